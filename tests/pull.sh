#!/usr/bin/env bash
# crioimg pull end to end: Debian's docker-registry on loopback (tests/netenv.sh), images built by umoci
# and pushed by skopeo, tests/faultproxy.py in front injecting faults (corrupt byte, dropped connection,
# 500s, stall, redirect to 127.0.0.2, 5 MiB manifests, manifest bytes not matching their digest), a
# second docker-registry as a pull-through cache mirror, TLS + Basic + Bearer. The store is checked with
# skopeo, umoci and a sha256sum checker. Usage: tests/pull.sh CRIOIMG [CRIOIMG_MBEDTLS]
# Every fault case runs against both binaries (the libcurl and the sockets+mbedtls transport). Rows
# marked "KNOWN FAILURE" are real failures of code outside the pull section, reported, still counted.
set -uo pipefail
bin=${1:?usage: tests/pull.sh path/to/crioimg [path/to/crioimg-mbedtls]}
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
mbin=${2:-}
if [ -n "$mbin" ]; then
  if [ -x "$mbin" ]; then mbin=$(cd "$(dirname "$mbin")" && pwd)/$(basename "$mbin")
  else echo "pull: $mbin not built: the mbedtls rows are skipped" >&2; mbin=; fi
fi
HERE=$(cd "$(dirname "$0")" && pwd)
for tool in docker-registry skopeo umoci htpasswd openssl python3 curl sha256sum script timeout; do
  command -v "$tool" >/dev/null || { echo "pull: $tool not installed: skipped" >&2; echo "0 passed, 0 failed"; exit 0; }
done
. "$HERE/netenv.sh"
netenv_init || exit 1
W=$NETENV_DIR/work; mkdir -p "$W"
pass=0 fail=0 known=0
T_LAST=$SECONDS
# PULL_TIMES=1: each row's seconds since the previous one on stderr (to keep the suite short)
tick() { [ -n "${PULL_TIMES:-}" ] && echo "TIME $((SECONDS - T_LAST))s: $1" >&2; T_LAST=$SECONDS; }
ok()  { pass=$((pass + 1)); tick "${1:-}"; }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; tick "$1"; }
# t DESC 'shell condition'
t() { if eval "$2" >/dev/null 2>"$W/t.err"; then ok "$1"; else bad "$1"; tail -n 3 "$W/t.err" >&2; fi; }
# tk CAUSE DESC 'condition': a known failure (outside the pull code): counted failed, marked as such
tk() { if eval "$3" >/dev/null 2>"$W/t.err"; then ok "$2"; else bad "KNOWN FAILURE ($1): $2"; known=$((known + 1)); tail -n 3 "$W/t.err" >&2; fi; }

# ---------------------------------------------------------------- the environment
C=$NETENV_DIR/ca
L2=$NETENV_DIR/oci-layers
netenv_ca || { echo "0 passed, 1 failed"; exit 1; }
# test/layers:1: four layers of random bytes (256 KiB, 512 KiB, 768 KiB, 1.5 MiB), built with umoci
mk_layers() {
  (
    set -e
    b=$NETENV_DIR/bundle-layers
    umoci init --layout "$L2"
    umoci new --image "$L2:layers"
    umoci config --image "$L2:layers" --os linux --architecture amd64 --config.label pulltest=layers
    i=0
    for kb in 256 512 768 1536; do
      i=$((i + 1)); rm -rf "$b"; mkdir -p "$b"
      head -c $((kb * 1024)) /dev/urandom > "$b/f$i"
      umoci insert --image "$L2:layers" "$b/f$i" "/data/f$i"
    done
    echo "layers here" > "$b/hello"; umoci insert --image "$L2:layers" "$b/hello" /etc/hello
    umoci gc --layout "$L2"; rm -rf "$b"
  ) > "$NETENV_DIR/layers.log" 2>&1
}
# test/big:1: one layer of 8 MiB of random bytes (a worker with nothing left to fetch hashes it)
mk_big() {
  (
    set -e
    b=$NETENV_DIR/bundle-big L=$NETENV_DIR/oci-big
    umoci init --layout "$L"
    umoci new --image "$L:big"
    umoci config --image "$L:big" --os linux --architecture amd64
    rm -rf "$b"; mkdir -p "$b"
    head -c $((8 * 1024 * 1024)) /dev/urandom > "$b/big"
    umoci insert --image "$L:big" "$b/big" /big
    umoci gc --layout "$L"; rm -rf "$b"
    skopeo copy -q --dest-tls-verify=false "oci:$L:big" "docker://127.0.0.1:${NETENV_PORT[plain]}/test/big:1"
  ) > "$NETENV_DIR/big.log" 2>&1
}
{ netenv_registry plain && netenv_images plain && mk_layers &&
  skopeo copy -q --dest-tls-verify=false "oci:$L2:layers" "docker://127.0.0.1:${NETENV_PORT[plain]}/test/layers:1" && mk_big &&
  netenv_registry tls --tls && netenv_registry auth --tls --htpasswd alice s3cret &&
  netenv_registry authp --htpasswd alice s3cret &&
  netenv_fakereg tok --mode bearer --user bob:tokpw --refresh-token RT-bob --jwt-key "$C/token.key" --jwt-cert "$C/token.crt" \
    --service netenv-registry --issuer netenv-issuer &&
  netenv_registry token --token "http://127.0.0.1:${NETENV_FR_PORT[tok]}/token" netenv-registry netenv-issuer "$C/token.crt"
} || { echo "pull: the environment did not start: $(tail -n 3 "$NETENV_DIR/layers.log" 2>/dev/null)" >&2; echo "0 passed, 1 failed"; exit 1; }

declare -A PX=() PXO=()
# faultproxy NAME UPSTREAM: tests/faultproxy.py in front of UPSTREAM; PX[NAME]=127.0.0.1:PORT, PXO[NAME] the 127.0.0.2 port
faultproxy() {
  local name=$1 up=$2 pf=$NETENV_DIR/px-$1.ports pid i k v
  python3 "$HERE/faultproxy.py" --upstream "$up" --log "$NETENV_DIR/px-$name.log" --portfile "$pf" \
    > "$NETENV_DIR/px-$name.out" 2>&1 &
  pid=$!; NETENV_PIDS+=("$pid")
  for i in $(seq 1 100); do [ -s "$pf" ] && break; kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  [ -s "$pf" ] || { netenv_log "faultproxy $name did not start: $(tail -n 3 "$NETENV_DIR/px-$name.out")"; return 1; }
  while read -r k v; do if [ "$k" = main ]; then PX[$name]=127.0.0.1:$v; else PXO[$name]=$v; fi; done < "$pf"
}
pxctl() { curl -sf -o /dev/null --max-time 5 "http://${PX[$1]}/_ctl?$2"; }
pxlog() { cat "$NETENV_DIR/px-$1.log"; }
P=127.0.0.1:${NETENV_PORT[plain]} T=127.0.0.1:${NETENV_PORT[tls]} A=127.0.0.1:${NETENV_PORT[auth]}
AP=127.0.0.1:${NETENV_PORT[authp]} K=127.0.0.1:${NETENV_PORT[token]}
{ faultproxy f "$P" && faultproxy st "$P" && faultproxy fa "$AP" && faultproxy prim "$P"; } ||
  { echo "pull: a fault proxy did not start" >&2; echo "0 passed, 1 failed"; exit 1; }
X=${PX[f]}
mkdir -p "$W/cad"; cp "$C/ca.crt" "$W/cad/ca.crt"

# the digests, from the layouts umoci wrote
eval "$(python3 - "$NETENV_DIR/oci" "$L2" "$NETENV_DIR/oci-big" <<'EOF'
import json, os, sys
def lay(L):
    blob = lambda d: json.load(open(os.path.join(L, "blobs", "sha256", d[7:])))
    return blob, {m["annotations"]["org.opencontainers.image.ref.name"]: m["digest"] for m in json.load(open(os.path.join(L, "index.json")))["manifests"]}
blob, idx = lay(sys.argv[1])
for var, tag in (("HELLO", "hello:1"), ("AMD", "amd64:1"), ("ARM", "arm64:1")):
    m = blob(idx[tag])
    print("%s_D=%s %s_CFG=%s %s_LAYER=%s" % (var, idx[tag], var, m["config"]["digest"], var, m["layers"][0]["digest"]))
blob, idx = lay(sys.argv[3])
m = blob(idx["big"])
print("BIG_D=%s BIG_CFG=%s BIG_L=%s" % (idx["big"], m["config"]["digest"], m["layers"][0]["digest"]))
blob, idx = lay(sys.argv[2])
m = blob(idx["layers"])
print("LY_D=%s LY_CFG=%s LY_N=%d" % (idx["layers"], m["config"]["digest"], len(m["layers"])))
print("LY_L=(%s)" % " ".join(l["digest"] for l in m["layers"]))
EOF
)"
sha() { sha256sum "$1" | cut -c1-64; }
raw() { skopeo inspect --raw --tls-verify=false "$@"; }
V2S2_CFG=$(raw "docker://$P/test/v2s2:1" 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["config"]["digest"])')
V2S2_D=$(skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://$P/test/v2s2:1" 2>/dev/null)

# store_ok DIR: index.json parses; every manifest it references, and their configs and layers, are
# present and hash to their names (sha256sum); no blob file anywhere hashes to another name.
cat > "$W/refs.py" <<'EOF'
import json, os, sys
S = sys.argv[1]
out = []
if not os.path.exists(os.path.join(S, "index.json")):   # a store killed before its first index: empty
    sys.exit(0)
idx = json.load(open(os.path.join(S, "index.json")))
for m in idx.get("manifests", []):
    d = m["digest"]; out.append(d)
    p = os.path.join(S, "blobs", *d.split(":", 1))
    if not os.path.exists(p): print("missing " + d); continue
    man = json.load(open(p))
    for x in [man.get("config")] + man.get("layers", []) + man.get("manifests", []):
        if x: out.append(x["digest"])
print("\n".join(out))
EOF
store_ok() {
  local S=$1 d f refs
  if [ -e "$S/index.json" ]; then
    grep -q '"imageLayoutVersion" *: *"1.0.0"' "$S/oci-layout" 2>/dev/null || { echo "$S: index.json without a valid oci-layout" >&2; return 1; }
  fi
  refs=$(python3 "$W/refs.py" "$S") || { echo "index.json of $S does not parse" >&2; return 1; }
  for d in $refs; do
    [ "$d" = missing ] && { echo "a manifest is missing" >&2; return 1; }
    case $d in sha256:*) ;; *) continue ;; esac
    f=$S/blobs/sha256/${d#sha256:}
    [ -f "$f" ] || { echo "referenced $d missing" >&2; return 1; }
  done
  # one sha256sum over every blob file: each line's hash must be its file's name
  if [ -n "$(ls "$S/blobs/sha256" 2>/dev/null)" ]; then
    (cd "$S/blobs/sha256" && sha256sum -- *) | awk '$1 != $2 { print "blob " $2 " does not hash to its name"; bad = 1 } END { exit bad }' >&2 || return 1
  fi
}
notmp() { [ -z "$(find "$1" -name '.crioimg-tmp*' 2>/dev/null)" ]; }
# no_image DIR: the store has no image (no index entry), no temp file, and is still valid
no_image() { notmp "$1" && { [ ! -e "$1/index.json" ] || [ "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1])).get("manifests",[])))' "$1/index.json")" = 0 ]; }; }
nblobs() { ls "$1/blobs/sha256" 2>/dev/null | wc -l; }

# run BIN ARGS...: with a time limit; out, err, rc in $W. The note a pull into a new store ends with goes
# to $W/made instead of $W/err (it is said on every first pull; the rows below check the rest of stderr)
run() {
  local b=$1; shift
  timeout 60 "$b" "$@" > "$W/out" 2> "$W/err.all"; echo $? > "$W/rc"
  grep -a '^crioimg pull: created a new store in ' "$W/err.all" > "$W/made"; grep -av '^crioimg pull: created a new store in ' "$W/err.all" > "$W/err"
}
rc() { cat "$W/rc"; }
out() { cat "$W/out"; }
# pulls DESC WANT-ID BIN ARGS...: exit 0, stdout exactly the ID, stderr empty but for the new store's note (no terminal)
pulls() {
  local desc=$1 want=$2; shift 2
  run "$@"
  if [ "$(rc)" = 0 ] && [ "$(out)" = "$want" ] && [ ! -s "$W/err" ]; then ok "$desc"
  else bad "$desc: exit $(rc), out [$(head -c 200 "$W/out")] want [$want]: $(head -n 2 "$W/err")"; fi
}
# survives DESC WANT-ID N BIN ARGS...: exit 0, stdout exactly the ID, and on stderr exactly N lines, each a
# retry announced (a wait of a second or more is said even without -v and without a terminal)
survives() {
  local desc=$1 want=$2 n=$3; shift 3
  run "$@"
  if [ "$(rc)" = 0 ] && [ "$(out)" = "$want" ] && [ "$(wc -l < "$W/err")" = "$n" ] &&
     ! grep -Ev '^crioimg: warning: retrying GET http://[^ ]+/blobs/sha256:[0-9a-f]{64} in [0-9]+ ms \(try [0-9]+ of [0-9]+\): .+' "$W/err" | grep -q .; then ok "$desc"
  else bad "$desc: exit $(rc), out [$(head -c 200 "$W/out")] want [$want], $(wc -l < "$W/err") lines on stderr, want $n: $(head -n 2 "$W/err")"; fi
}
# refused DESC ERE BIN ARGS...: exit 1..123, one line "crioimg pull: ..." on stderr matching ERE, nothing on stdout
refused() {
  local desc=$1 re=$2; shift 2
  run "$@"
  local r; r=$(rc)
  grep -v "^crioimg: warning: retrying " "$W/err" > "$W/err1"   # the retries said on the way are not the error
  if [ "$r" != 0 ] && [ "$r" -lt 124 ] && [ "$(wc -l < "$W/err1")" = 1 ] && grep -Eq '^crioimg( [a-z-]+)?: ' "$W/err1" &&
     grep -Eqi "$re" "$W/err1" && [ ! -s "$W/out" ]; then ok "$desc"
  else bad "$desc: exit $r, stderr [$(head -c 400 "$W/err")] want /$re/"; fi
}
id() { echo "${1#sha256:}"; }
LYID=$(id "$LY_CFG") HELLOID=$(id "$HELLO_CFG")
BINS=("$bin"); [ -n "$mbin" ] && BINS+=("$mbin")
tag() { [ "$1" = "$bin" ] && echo curl || echo mbedtls; }

t "environment: test/layers:1 pushed, skopeo's config digest is the layout's" \
  '[ "$(raw "docker://$P/test/layers:1" | python3 -c "import json,sys; print(json.load(sys.stdin)[\"config\"][\"digest\"])")" = "$LY_CFG" ] && [ "$LY_N" = 5 ]'
t "environment: the fault proxy passes and logs JSON lines with the User-Agent" \
  'pxctl f mode=pass && curl -s -A probe "http://$X/v2/" >/dev/null && pxlog f | grep -q "\"p\":\"/v2/\",.*\"ua\":\"probe\""'

# ---------------------------------------------------------------- the stall (started first: it waits out the idle timeout)
has_timeout=0
"$bin" pull --help 2>&1 | grep -q -- '--min-rate' && has_timeout=1
declare -A STALL_PID=()
# without --timeout the stall is the first GET only (one per binary: they start together): the 60 s idle
# timeout ends it and the pull resumes
# (a stall on every GET costs 60 s per retry); with --min-rate (a blob's slowest progress: --timeout is
# for headers and small bodies) every GET stalls and the pull must fail
if [ "$has_timeout" = 1 ]; then pxctl st "mode=stall&digest=${LY_L[3]}"; else pxctl st "mode=stall&n=${#BINS[@]}&digest=${LY_L[3]}"; fi
for b in "${BINS[@]}"; do
  s=$W/stall-$(tag "$b")
  topt=(); [ "$has_timeout" = 1 ] && topt=(--min-rate 1024/2s --retry-times 1)
  ( t0=$SECONDS; timeout 150 "$b" pull --store "$s" "${topt[@]}" "${PX[st]}/test/layers:1" > "$s.out" 2> "$s.err"
    echo $? > "$s.rc"; echo $((SECONDS - t0)) > "$s.secs" ) &
  STALL_PID[$b]=$!
done

# ---------------------------------------------------------------- PullImage: names, ID, store contents
for b in "${BINS[@]}"; do
  n=$(tag "$b"); S=$W/s-$n
  pxctl f mode=pass
  pulls "$n: pull by tag prints the image ID (the config digest's hex)" "$LYID" "$b" pull --store "$S" "$X/test/layers:1"
  t "$n: one manifest GET, one GET per blob, no Authorization sent to an open registry" \
    '[ "$(pxlog f | grep -c "\"m\":\"GET\",\"p\":\"/v2/test/layers/manifests/")" = 1 ] && [ "$(pxlog f | grep -c "\"m\":\"GET\",\"p\":\"/v2/test/layers/blobs/")" = 6 ] && ! pxlog f | grep -q "\"auth\":\"[^\"]"'
  t "$n: the store is consistent (every blob hashes to its name)" 'store_ok "$S" && notmp "$S"'
  t "$n: crioimg images lists the seed's name Name():tag with the ID" '"$bin" images --store "$S" | grep "$X/test/layers" | grep -q "${LYID:0:12}"'
  t "$n: crioimg inspect: the name and ID" '"$bin" inspect --store "$S" "$X/test/layers:1" > "$W/insp" && grep -q "\"$X/test/layers:1\"" "$W/insp" && grep -q "$LYID" "$W/insp"'
  t "$n: the manifest stored byte for byte as served (skopeo inspect --raw, crioimg manifest)" \
    'raw "docker://$P/test/layers:1" > "$W/want" && cmp "$W/want" "$S/blobs/sha256/${LY_D#sha256:}" && "$bin" manifest "$X/test/layers:1" | cmp - "$W/want"'
  t "$n: skopeo reads the store (oci:STORE:NAME)" \
    'ref=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[\"manifests\"][0][\"annotations\"][\"org.opencontainers.image.ref.name\"])" "$S/index.json") && skopeo inspect --raw "oci:$S:$ref" | cmp - "$W/want" && [ "$(skopeo inspect --format "{{.Labels.pulltest}}" "oci:$S:$ref")" = layers ]'
  t "$n: umoci ls and umoci unpack --rootless" \
    'ref=$(umoci ls --layout "$S" | head -n 1) && [ -n "$ref" ] && rm -rf "$W/bundle" && umoci unpack --rootless --image "$S:$ref" "$W/bundle" && [ "$(cat "$W/bundle/rootfs/etc/hello")" = "layers here" ] && [ "$(stat -c %s "$W/bundle/rootfs/data/f4")" = $((1536 * 1024)) ]'
  # re-pull: one manifest request, nothing written but the names
  stat -c '%n %i %Y %s' "$S"/blobs/sha256/* > "$W/stat1"
  sleep 1.1
  pxctl f mode=pass
  pulls "$n: re-pull prints the same ID" "$LYID" "$b" pull --store "$S" "$X/test/layers:1"
  t "$n: re-pull cost one manifest request and no blob GET" \
    '[ "$(pxlog f | grep -c "/manifests/")" = 1 ] && ! pxlog f | grep -q "/blobs/"'
  t "$n: re-pull: the blob files unchanged (inode, mtime, size)" 'stat -c "%n %i %Y %s" "$S"/blobs/sha256/* | cmp - "$W/stat1"'
  # by digest
  pulls "$n: pull by digest" "$LYID" "$b" pull --store "$S" "$X/test/layers@$LY_D"
  t "$n: by digest: the name Name()@digest recorded beside the tag" \
    '"$bin" images --store "$S" --json | grep -q "\"$X/test/layers@$LY_D\"" && "$bin" images --store "$S" --json | grep -q "\"$X/test/layers:1\""'
  t "$n: by digest: nothing fetched again" '! pxlog f | grep -q "/blobs/" && store_ok "$S"'
  # a tag and a digest: the digest wins, the tag is dropped with a note (as CRI-O does), nothing new stored
  run "$b" pull --store "$S" "docker://$X/test/layers:nosuchtag@$LY_D"
  t "$n: pull NAME:TAG@DIGEST: the digest wins (the ID; only the note on stderr; no name with the tag recorded)" \
    '[ "$(rc)" = 0 ] && [ "$(out)" = "$LYID" ] && [ "$(cat "$W/err")" = "crioimg pull: note: docker://$X/test/layers:nosuchtag@$LY_D has both a tag and a digest: the digest wins, the tag \"nosuchtag\" is dropped (as CRI-O does)" ] && ! "$bin" images --store "$S" --json | grep -q nosuchtag'
  # Docker schema2 and an index
  S2=$W/s2-$n
  pulls "$n: Docker schema2 image" "$(id "$V2S2_CFG")" "$b" pull --store "$S2" "$X/test/v2s2:1"
  t "$n: schema2 manifest stored as served" 'raw "docker://$P/test/v2s2:1" | cmp - "$S2/blobs/sha256/${V2S2_D#sha256:}" && store_ok "$S2"'
  pulls "$n: --platform linux/arm64 from an OCI index" "$(id "$ARM_CFG")" "$b" pull --store "$S2" --platform linux/arm64 "$X/test/multi:1"
  t "$n: index: the arm64 image manifest stored, its ID in images" \
    '[ -f "$S2/blobs/sha256/${ARM_D#sha256:}" ] && "$bin" images --store "$S2" | grep -q "$(id "$ARM_CFG" | cut -c1-12)" && store_ok "$S2"'
  pulls "$n: a small image (one layer)" "$HELLOID" "$b" pull --store "$S2" "$X/test/hello:1"
done
t "skopeo copy of the same image into a layout: the same config and manifest digest as crioimg's store" \
  'skopeo copy -q --src-tls-verify=false "docker://$P/test/layers:1" "oci:$W/skopeo-oci:x" && [ -f "$W/skopeo-oci/blobs/sha256/${LY_D#sha256:}" ] && cmp "$W/skopeo-oci/blobs/sha256/${LY_D#sha256:}" "$W/s-curl/blobs/sha256/${LY_D#sha256:}"'

# ---------------------------------------------------------------- short names: candidates in order
for b in "${BINS[@]}"; do
  n=$(tag "$b"); S=$W/short-$n
  dead=127.0.0.1:$(netenv_free_port)
  pxctl f mode=pass
  pulls "$n: short name through --registry" "$LYID" "$b" pull --store "$S" --registry "$X" test/layers:1
  t "$n: short name: stored under the candidate's name" '"$bin" images --store "$S" --json | grep -q "\"$X/test/layers:1\""'
  # --retry-times 0: the candidates' order and reports are under test here; the retries' waits on a
  # refused connection (7 s a row) are, in "connection refused: the registry named" below
  pulls "$n: short name: a dead first candidate, then the next works" "$LYID" "$b" pull --store "$S" --retry-times 0 --registry "$dead" --registry "$X" test/layers:1
  refused "$n: short name: every candidate's failure reported" "$dead.*$X|$X.*$dead" "$b" pull --store "$W/short2-$n" --retry-times 0 --registry "$dead" --registry "$X" test/nothere:1
  t "$n: short name failure: nothing in the store" 'no_image "$W/short2-$n"'
done

# ---------------------------------------------------------------- parallel layers
# overlap LOG: the most blob GETs in flight at once (from the proxy's start/end times)
overlap() { python3 - "$1" <<'EOF'
import json, sys
ev = []
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["m"] == "GET" and "/blobs/" in r["p"]:
        # the proxy logs t1 after its last write: the next request of a one-at-a-time client may arrive
        # before that on a loaded machine, so an overlap under 0.2 s is not counted as two at once
        ev += [(r["t0"], 1), (max(r["t0"], r["t1"] - 0.2), -1)]
cur = best = 0
for _, d in sorted(ev, key=lambda e: (e[0], e[1])):
    cur += d; best = max(best, cur)
print(best)
EOF
}
for b in "${BINS[@]}"; do
  n=$(tag "$b")
  pxctl f "mode=pass&rate=2000000"
  pulls "$n: default jobs (throttled blobs)" "$LYID" "$b" pull --store "$W/j3-$n" "$X/test/layers:1"
  t "$n: default: blobs in parallel, never more than 3 at once" 'o=$(overlap "$NETENV_DIR/px-f.log"); [ "$o" -ge 2 ] && [ "$o" -le 3 ]'
  pxctl f "mode=pass&rate=2000000"
  pulls "$n: --jobs 1" "$LYID" "$b" pull --store "$W/j1-$n" --jobs 1 "$X/test/layers:1"
  t "$n: --jobs 1: one blob at a time" '[ "$(overlap "$NETENV_DIR/px-f.log")" = 1 ] && store_ok "$W/j1-$n"'
  # slower blobs here (about 2 s each): a loaded machine may start the fourth worker a second late, and
  # the 4 big layers must still be seen in flight together
  pxctl f "mode=pass&rate=700000"
  pulls "$n: --jobs 6" "$LYID" "$b" pull --store "$W/j6-$n" --jobs 6 "$X/test/layers:1"
  t "$n: --jobs 6: more than 3 blobs at once (the 4 big layers overlap), never more than 6" 'o=$(overlap "$NETENV_DIR/px-f.log"); [ "$o" -ge 4 ] && [ "$o" -le 6 ] && store_ok "$W/j6-$n"'
  refused "$n: --jobs -1 refused" 'jobs' "$b" pull --store "$W/jbad-$n" --jobs -1 "$X/test/layers:1"
  refused "$n: --jobs x refused" 'jobs' "$b" pull --store "$W/jbad-$n" --jobs x "$X/test/layers:1"
  # a worker with nothing left to fetch (the config's) hashes the big layer from the store while the
  # layer's worker receives it (the proxy serves it at 6 MB/s: a second and a half, so that a loaded machine still has most of it to go when the config is done); -v says when it takes over
  for mode in pass corrupt drop; do
    S=$W/help-$mode-$n
    pxctl f "mode=$mode&digest=$BIG_L&rate=6000000"
    run "$b" pull -v --store "$S" "$X/test/big:1"
    helped='grep -q "^crioimg: debug: blob $BIG_L: hashed by another worker from here on$" "$W/err"'
    case $mode in
      pass) t "$n: big layer hashed by an idle worker (-v says so): the image stored, the store consistent" \
              '[ "$(rc)" = 0 ] && [ "$(out)" = "$(id "$BIG_CFG")" ] && eval "$helped" && store_ok "$S" && notmp "$S" && cmp <(raw "docker://$P/test/big:1") "$S/blobs/sha256/${BIG_D#sha256:}"' ;;
      corrupt) t "$n: big layer hashed by an idle worker, a byte corrupted: refused naming the blob, no image, nothing left" \
              '[ "$(rc)" = 1 ] && eval "$helped" && grep -q "^crioimg pull: .*${BIG_L#sha256:}.*does not match its digest" "$W/err" && [ ! -s "$W/out" ] && [ ! -e "$S" ]' ;;
      drop) t "$n: big layer hashed by an idle worker, its connection dropped half way: resumed with Range, stored" \
              '[ "$(rc)" = 0 ] && [ "$(out)" = "$(id "$BIG_CFG")" ] && eval "$helped" && pxlog f | grep -q "\"fault\":\"dropped\"" && pxlog f | grep -q "\"status\":206" && store_ok "$S"' ;;
    esac
  done
  # two processes, one store, at once
  S=$W/two-$n
  pxctl f "mode=pass&rate=3000000"
  ( timeout 60 "$b" pull --store "$S" "$X/test/layers:1" > "$W/two1.out" 2> "$W/two1.err"; echo $? > "$W/two1.rc" ) &
  p1=$!
  ( timeout 60 "$b" pull --store "$S" "$X/test/layers:1" > "$W/two2.out" 2> "$W/two2.err"; echo $? > "$W/two2.rc" ) &
  p2=$!
  wait "$p1" "$p2"
  t "$n: two pulls of one image into one store at once: both succeed with the ID" \
    '[ "$(cat "$W/two1.rc")$(cat "$W/two2.rc")" = 00 ] && [ "$(cat "$W/two1.out")" = "$LYID" ] && [ "$(cat "$W/two2.out")" = "$LYID" ]'
  t "$n: two pulls: the store consistent, one image (crioimg, skopeo, umoci)" \
    'store_ok "$S" && notmp "$S" && [ "$("$bin" images --store "$S" --json | grep -o "\"id\"" | wc -l)" = 1 ] && umoci ls --layout "$S" | grep -q . && skopeo inspect --raw "oci:$S:$(umoci ls --layout "$S" | head -n 1)" >/dev/null'
done

# ---------------------------------------------------------------- progress and terminals
pxctl f "mode=pass&rate=4000000"
script -qfc "timeout 60 $bin pull --store $W/tty1 $X/test/layers:1 2>$W/tty1.err" /dev/null > "$W/tty1.out" 2>&1
t "pty on stdout only: no progress (stderr not a terminal), the ID on stdout" '! grep -q Copying "$W/tty1.err" && grep -q "$LYID" "$W/tty1.out"'
pxctl f "mode=pass&rate=4000000"
script -qfc "timeout 60 $bin pull --store $W/tty2 $X/test/layers:1" /dev/null > "$W/tty2.out" 2>&1
t "pty: \"Copying blob\" progress lines and the ID" \
  'grep -q "Copying blob" "$W/tty2.out" && grep -q "Copying config" "$W/tty2.out" && [ "$(tr -d "\r" < "$W/tty2.out" | tail -n 2 | head -n 1)" = "$LYID" ]'
t "pty: the new store announced, last" '[ "$(tr -d "\r" < "$W/tty2.out" | tail -n 1)" = "crioimg pull: created a new store in $W/tty2" ]'
script -qfc "timeout 60 $bin pull --store $W/tty2 $X/test/layers:1" /dev/null > "$W/tty3.out" 2>&1
t "pty: a re-pull shows the blobs as skipped" 'grep -q "skipped: already exists" "$W/tty3.out"'
t "pty: a store that exists is not announced" '! grep -q "created a new store" "$W/tty3.out"'
script -qfc "timeout 60 $bin pull -q --store $W/tty4 $X/test/layers:1" /dev/null > "$W/tty4.out" 2>&1
t "pty with -q: only the ID" '[ "$(tr -d "\r" < "$W/tty4.out")" = "$LYID" ]'
pulls "no terminal: only the ID (stderr empty)" "$LYID" "$bin" pull --store "$W/tty5" "$X/test/layers:1"
t "no terminal: a new store is said on stderr all the same" '[ "$(cat "$W/made")" = "crioimg pull: created a new store in $W/tty5" ]'

# Ctrl-C and SIGTERM mid-pull of a stalled blob
for b in "${BINS[@]}"; do
  n=$(tag "$b")
  for sig in INT TERM; do
    S=$W/sig$sig-$n
    pxctl f "mode=stall&digest=${LY_L[3]}"
    # --foreground: timeout(1) otherwise passes the signal on twice (to the child, then to its process
    # group), and a second signal kills crioimg at once, as it should
    timeout --foreground 60 "$b" pull --store "$S" "$X/test/layers:1" > "$W/sig.out" 2> "$W/sig.err" &
    pid=$!
    for _ in $(seq 1 400); do pxlog f | grep -q '"fault":"stalled"' && break; sleep 0.05; done   # a loaded machine is slow
    sleep 0.3
    [ -e "$S/blobs/sha256/${LY_L[3]#sha256:}" ] && vis=1 || vis=0
    kill -s "$sig" "$pid"; wait "$pid"; r=$?
    t "$n: SIG$sig: the half-fetched blob was not visible under its digest while stalled" '[ "$vis" = 0 ]'
    want=$([ $sig = INT ] && echo 130 || echo 143)
    t "$n: SIG$sig mid-blob: exit $want, one error line" '[ "$r" = "$want" ] && [ "$(wc -l < "$W/sig.err")" = 1 ] && [ ! -s "$W/sig.out" ]'
    t "$n: SIG$sig: no temp file, no index entry, the store valid" 'no_image "$S" && store_ok "$S"'
  done
done

# ENOSPC shim: write(2) on a store temp file fails with ENOSPC once ENOSPC_AFTER bytes went to such files
cat > "$W/enospc.c" <<'EOC'
#define _DEFAULT_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>
ssize_t write(int fd, const void *buf, size_t n);
static long long written;
ssize_t write(int fd, const void *buf, size_t n)
{
    char link[64], path[4096];
    ssize_t l;
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    l = readlink(link, path, sizeof path - 1);
    if (l > 0) {
        const char *lim = getenv("ENOSPC_AFTER");
        path[l] = '\0';
        if (lim && strstr(path, ".crioimg-tmp")) {
            if (written + (long long)n > atoll(lim)) { errno = ENOSPC; return -1; }
            written += (long long)n;
        }
    }
    return (ssize_t)syscall(SYS_write, fd, buf, n);
}
EOC
cc -std=c99 -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Werror -O2 -shared -fPIC -o "$W/enospc.so" "$W/enospc.c" 2> "$W/enospc.cc.err"
t "the ENOSPC write shim compiles under the strict flags" '[ -f "$W/enospc.so" ] || { cat "$W/enospc.cc.err" >&2; false; }'

# A store killed while being created: src/store.c writes index.json, then oci-layout; a kill between the
# two leaves the empty index.json alone, which the next command that creates finishes (a kill -9 round
# hits it now and then; here it is made on purpose)
mkdir -p "$W/gap/blobs/sha256"
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}' > "$W/gap/index.json"
pxctl f mode=pass
run "$bin" pull --store "$W/gap" "$X/test/layers:1"
t "a store killed between index.json and oci-layout of its creation can still be pulled into" '[ "$(rc)" = 0 ] || { head -n 1 "$W/err" >&2; false; }'
t "... and is an OCI layout again" 'store_ok "$W/gap" && umoci ls --layout "$W/gap" | grep -q .'

# ---------------------------------------------------------------- faults, both binaries
for b in "${BINS[@]}"; do
  n=$(tag "$b")
  # a corrupted byte in a layer
  S=$W/corrupt-$n
  pxctl f "mode=corrupt&digest=${LY_L[1]}"
  refused "$n: corrupted layer refused, naming the blob and the digest" "${LY_L[1]#sha256:}.*digest|digest.*${LY_L[1]#sha256:}" "$b" pull --store "$S" "$X/test/layers:1"
  t "$n: corrupted layer: no image, no bad blob stored, no temp file" \
    'no_image "$S" && [ ! -e "$S/blobs/sha256/${LY_L[1]#sha256:}" ] && store_ok "$S" && pxlog f | grep -q "\"fault\":\"corrupt\""'
  t "$n: corrupted layer: the blobs stored before it taken back on the spot, and the store this pull made taken away (nothing left)" \
    '[ ! -e "$S" ]'
  pxctl f "mode=corrupt&digest=$LY_CFG"
  refused "$n: corrupted config refused, naming it" "${LY_CFG#sha256:}" "$b" pull --store "$W/corruptcfg-$n" "$X/test/layers:1"
  t "$n: corrupted config: no image, not stored" 'no_image "$W/corruptcfg-$n" && [ ! -e "$W/corruptcfg-$n/blobs/sha256/${LY_CFG#sha256:}" ] && store_ok "$W/corruptcfg-$n"'
  pxctl f mode=pass
  pulls "$n: after the corrupt attempt, a clean pull into the same store" "$LYID" "$b" pull --store "$S" "$X/test/layers:1"
  t "$n: ... and the store consistent" 'store_ok "$S"'
  # a connection dropped half-way through each blob
  S=$W/drop-$n
  pxctl f mode=drop
  survives "$n: every blob's connection dropped half-way: survived, each retry said on stderr" "$LYID" 6 "$b" pull --store "$S" "$X/test/layers:1"
  t "$n: drop: each of the 6 blobs cut once and resumed with Range (206)" \
    '[ "$(pxlog f | grep -c "\"fault\":\"dropped\"")" = 6 ] && [ "$(pxlog f | grep -c "\"range\":\"bytes=[1-9][0-9]*-\",.*\"status\":206")" = 6 ] && store_ok "$S"'
  # two 500s per blob
  S=$W/e500-$n
  pxctl f "mode=err500&n=2"
  survives "$n: two 500s per blob: survived, each retry said on stderr" "$LYID" 12 "$b" pull --store "$S" "$X/test/layers:1"
  t "$n: 500s: 12 answered, then each blob 200" \
    '[ "$(pxlog f | grep -c "\"status\":500")" = 12 ] && [ "$(pxlog f | grep "/blobs/" | grep -c "\"status\":200")" = 6 ] && store_ok "$S"'
  # 5 MiB manifest: refused, bounded memory (8 MiB over a normal pull's peak; under ASan, whose quarantine
  # keeps freed buffers resident, 48 MiB: still less than the 64 MiB manifest)
  slack=8192; grep -qa __asan_init "$b" && slack=49152
  S=$W/big-$n
  pxctl f mode=pass
  /usr/bin/time -f %M -o "$W/rss0" timeout 60 "$b" pull --store "$W/rss0-$n" "$X/test/hello:1" > /dev/null 2>&1
  pxctl f "mode=bigmanifest&n=5"
  /usr/bin/time -f %M -o "$W/rss1" timeout 60 "$b" pull --store "$S" "$X/test/hello:1" > "$W/out" 2> "$W/err"; echo $? > "$W/rc"
  t "$n: a 5 MiB manifest refused with a size error" \
    '[ "$(rc)" = 1 ] && grep -Eqi "big|large|size|exceed|limit" "$W/err" && grep -q "$X" "$W/err" && no_image "$S"'
  t "$n: 5 MiB manifest: max RSS within $((slack / 1024)) MiB of a normal pull's ($(cat "$W/rss0" 2>/dev/null) KiB)" \
    '[ "$(tail -n 1 "$W/rss1")" -lt $(( $(tail -n 1 "$W/rss0") + slack )) ]'
  pxctl f "mode=bigchunked&n=64"
  /usr/bin/time -f %M -o "$W/rss2" timeout 60 "$b" pull --store "$S" "$X/test/hello:1" > "$W/out" 2> "$W/err"; echo $? > "$W/rc"
  t "$n: a 64 MiB chunked manifest refused, RSS bounded ($(tail -n 1 "$W/rss2" 2>/dev/null) KiB)" \
    '[ "$(rc)" = 1 ] && grep -Eqi "big|large|size|exceed|limit" "$W/err" && no_image "$S" && [ "$(tail -n 1 "$W/rss2")" -lt $(( $(tail -n 1 "$W/rss0") + slack )) ]'
  # manifest by digest whose bytes do not match
  pxctl f mode=badmanifest
  refused "$n: a manifest by digest whose bytes do not match: refused" 'digest' "$b" pull --store "$S" "$X/test/layers@$LY_D"
  t "$n: bad manifest: nothing stored" 'no_image "$S" && [ "$(nblobs "$S")" = 0 ]'
  # kill -9 at random moments on a throttled proxy
  S=$W/kill-$n
  bad_round= layout_gap=0
  for i in $(seq 1 20); do
    pxctl f "mode=pass&rate=3000000"
    "$b" pull --store "$S" "$X/test/layers:1" > /dev/null 2>&1 &
    pid=$!
    sleep "0.$(printf '%03d' $((RANDOM % 300)))"
    kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
    # killed inside the store's creation: the empty index alone, finished by the next pull (checked below)
    if [ -e "$S/index.json" ] && [ ! -e "$S/oci-layout" ]; then layout_gap=1; continue; fi
    store_ok "$S" 2>> "$W/kill.err" || { bad_round="$bad_round $i"; }
    # a store killed before its first index has none: that is consistent too
  done
  killrow=t
  $killrow "$n: kill -9 at random moments, 20 rounds: the store consistent after each" '[ -z "$bad_round" ] || { echo "rounds:$bad_round $(tail -n 2 "$W/kill.err")" >&2; false; }'
  pxctl f mode=pass
  run "$b" pull --store "$S" "$X/test/layers:1"
  $killrow "$n: after the kills, a final pull completes" '[ "$(rc)" = 0 ] && [ "$(out)" = "$LYID" ] || { head -n 2 "$W/err" >&2; false; }'
  $killrow "$n: ... the store consistent, umoci lists it, leftover temp files gone or invisible" \
    'store_ok "$S" && umoci ls --layout "$S" | grep -q . && "$bin" images --store "$S" | grep -q "${LYID:0:12}"'
  # the disk filling up: RLIMIT_FSIZE 1 MiB (EFBIG) with SIGXFSZ ignored; the 1.5 MiB layer cannot be written
  S=$W/full-$n
  pxctl f mode=pass
  ( trap '' XFSZ; ulimit -f 1024; exec timeout 60 "$b" pull --store "$S" "$X/test/layers:1" ) > "$W/out" 2> "$W/err"; echo $? > "$W/rc"
  t "$n: file size limit (EFBIG) mid-pull: exit 1 with a clear error" \
    '[ "$(rc)" = 1 ] && [ "$(wc -l < "$W/err")" = 1 ] && grep -Eqi "large|space|write|EFBIG|limit" "$W/err"'
  t "$n: EFBIG: no partial blob, no temp file, no image, the store valid (umoci, crioimg images)" \
    'no_image "$S" && store_ok "$S" && [ ! -e "$S/blobs/sha256/${LY_L[3]#sha256:}" ] && "$bin" images --store "$S" >/dev/null && { [ ! -e "$S/index.json" ] || umoci ls --layout "$S" >/dev/null; }'
  # ENOSPC from write(2), by an LD_PRELOAD shim
  if [ -f "$W/enospc.so" ]; then
    S=$W/enospc-$n
    ( ENOSPC_AFTER=1000000 LD_PRELOAD=$W/enospc.so exec timeout 60 "$b" pull --store "$S" "$X/test/layers:1" ) > "$W/out" 2> "$W/err"; echo $? > "$W/rc"
    t "$n: ENOSPC mid-pull: exit 1 naming the lack of space" '[ "$(rc)" = 1 ] && [ "$(wc -l < "$W/err")" = 1 ] && grep -Eqi "space" "$W/err"'
    t "$n: ENOSPC: no partial blob, no temp file, no image, the store valid" \
      'no_image "$S" && store_ok "$S" && [ ! -e "$S/blobs/sha256/${LY_L[3]#sha256:}" ] && "$bin" images --store "$S" >/dev/null'
  fi
done

# ---------------------------------------------------------------- a blob redirect to another host (auth'd registry)
for b in "${BINS[@]}"; do
  n=$(tag "$b"); S=$W/redir-$n
  pxctl fa mode=redirect
  pulls "$n: blobs redirected to 127.0.0.2 (htpasswd registry): followed" "$LYID" "$b" pull --store "$S" --creds alice:s3cret "${PX[fa]}/test/layers:1"
  t "$n: redirect: every blob came from 127.0.0.2, which got no Authorization; the registry got Basic" \
    '[ "$(pxlog fa | grep -c "\"l\":\"other\",\"m\":\"GET\",.*\"status\":200")" = 6 ] && ! pxlog fa | grep "\"l\":\"other\"" | grep -q "\"auth\":\"[^\"]" && pxlog fa | grep "\"l\":\"main\"" | grep -q "\"auth\":\"Basic " && store_ok "$S"'
  refused "$n: wrong password: refused, no password echoed" 'unauthori|authenticat|credential|denied|401' "$b" pull --store "$W/redir-bad-$n" --creds alice:Wr0ngPw "${PX[fa]}/test/layers:1"
  t "$n: wrong password: nowhere in the output, nothing stored" '! grep -q Wr0ngPw "$W/err" && no_image "$W/redir-bad-$n"'
done

# ---------------------------------------------------------------- scale beyond one registry: a pull-through cache mirror
# the primary is $P behind the fault proxy "prim"; the cache is a second docker-registry proxying it
cport=$(netenv_free_port)
mkdir -p "$NETENV_DIR/cache"
printf 'version: 0.1\nlog:\n  level: info\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: 127.0.0.1:%s\nproxy:\n  remoteurl: http://%s\n' \
  "$NETENV_DIR/cache/data" "$cport" "${PX[prim]}" > "$NETENV_DIR/cache/config.yml"
docker-registry serve "$NETENV_DIR/cache/config.yml" > "$NETENV_DIR/cache/log" 2>&1 &
cpid=$!; NETENV_PIDS+=("$cpid")
netenv_wait_http "http://127.0.0.1:$cport/v2/" "$cpid"
CACHE=127.0.0.1:$cport
printf '[[registry]]\nlocation = "%s"\n[[registry.mirror]]\nlocation = "%s"\ninsecure = true\n' "${PX[prim]}" "$CACHE" > "$W/cache.conf"
for b in "${BINS[@]}"; do
  n=$(tag "$b"); S=$W/cache-$n
  pxctl prim mode=pass
  pulls "$n: pull through a registries.conf mirror that is a pull-through cache" "$LYID" "$b" pull --store "$S" --registries-conf "$W/cache.conf" "${PX[prim]}/test/layers:1"
  t "$n: cache: the primary saw no request from crioimg (every one has the cache's Go User-Agent)" \
    '! pxlog prim | grep -v "\"ua\":\"\(docker\|distribution\|Go-http-client\)" | grep . >&2'
  t "$n: cache: the name recorded is the primary's, the store consistent" '"$bin" images --store "$S" --json | grep -q "\"${PX[prim]}/test/layers:1\"" && store_ok "$S"'
done
t "cache: the cache did fetch from the primary at least once" 'grep -q "docker-registry\|Go-http-client\|distribution" "$NETENV_DIR/px-prim.log" || [ -d "$NETENV_DIR/cache/data/docker" ]'
# blocked registries
printf '[[registry]]\nlocation = "%s"\nblocked = true\n' "$X" > "$W/blocked.conf"
for b in "${BINS[@]}"; do
  n=$(tag "$b")
  pxctl f mode=pass
  refused "$n: a blocked registry refused (containers/image's \"registry ... is blocked in ...\")" "registry $X.* is blocked in .*blocked.conf" \
    "$b" pull --store "$W/blocked-$n" --registries-conf "$W/blocked.conf" "$X/test/layers:1"
  t "$n: blocked: not one request reached it, nothing stored" '[ ! -s "$NETENV_DIR/px-f.log" ] && no_image "$W/blocked-$n"'
done
# pull-from-mirror: the mirror is the fault proxy "f" (same storage as the primary); the primary is "prim"
for pfm in digest-only tag-only; do
  printf '[[registry]]\nlocation = "%s"\n[[registry.mirror]]\nlocation = "%s"\ninsecure = true\npull-from-mirror = "%s"\n' "${PX[prim]}" "$X" "$pfm" > "$W/pfm.conf"
  for b in "${BINS[@]}"; do
    n=$(tag "$b")
    for how in tag digest; do
      S=$W/pfm-$pfm-$how-$n
      ref=${PX[prim]}/test/layers:1; [ $how = digest ] && ref=${PX[prim]}/test/layers@$LY_D
      pxctl f mode=pass; pxctl prim mode=pass
      pulls "$n: pull-from-mirror=$pfm, by $how" "$LYID" "$b" pull --store "$S" --registries-conf "$W/pfm.conf" "$ref"
      if { [ $pfm = digest-only ] && [ $how = digest ]; } || { [ $pfm = tag-only ] && [ $how = tag ]; }; then
        t "$n: $pfm by $how: served by the mirror, the primary not contacted" 'pxlog f | grep -q "/manifests/" && ! pxlog prim | grep -q "/v2/test"'
      else
        t "$n: $pfm by $how: the mirror not contacted" '[ ! -s "$NETENV_DIR/px-f.log" ] && pxlog prim | grep -q "/manifests/"'
      fi
    done
  done
done

# ---------------------------------------------------------------- verified TLS, Basic and Bearer (both binaries)
# mbedtls 2.28 knows no iPAddress SANs (src/http_mbedtls.c says so): verified TLS is asked of both builds
# under the name localhost (a DNS SAN of the test certificate); the IP literal for the curl build only
TL=localhost:${NETENV_PORT[tls]} AL=localhost:${NETENV_PORT[auth]}
for b in "${BINS[@]}"; do
  n=$(tag "$b")
  if [ "$b" = "$bin" ]; then
    pulls "$n: TLS verified with --cert-dir (127.0.0.1)" "$LYID" "$b" pull --store "$W/tlsip-$n" --tls-verify=true --cert-dir "$W/cad" "$T/test/layers:1"
  fi
  pulls "$n: TLS verified with --cert-dir (localhost)" "$LYID" "$b" pull --store "$W/tls-$n" --tls-verify=true --cert-dir "$W/cad" "$TL/test/layers:1"
  t "$n: TLS: the store consistent" 'store_ok "$W/tls-$n"'
  refused "$n: TLS: refused without the CA" 'certificate|x509|tls|ssl|verif' "$b" pull --store "$W/tlsno-$n" --tls-verify=true "$TL/test/layers:1"
  t "$n: TLS refused: nothing stored" 'no_image "$W/tlsno-$n"'
  mkdir -p "$HOME/.config/containers/certs.d/$AL" && cp "$C/ca.crt" "$HOME/.config/containers/certs.d/$AL/"
  pulls "$n: htpasswd (Basic) over TLS verified by certs.d under \$HOME" "$LYID" "$b" pull --store "$W/basic-$n" --tls-verify=true --creds alice:s3cret "$AL/test/layers:1"
  rm -rf "$HOME/.config/containers/certs.d"
  netenv_fr_ctl tok mode=bearer
  pulls "$n: Bearer (token registry, fakereg's JWTs)" "$LYID" "$b" pull --store "$W/bearer-$n" --creds bob:tokpw "$K/test/layers:1"
  t "$n: Bearer: at most one token per worker (3), the store consistent" \
    '[ "$(netenv_fr_log tok | grep -c "\"p\":\"/token")" -le 3 ] && store_ok "$W/bearer-$n"'
  refused "$n: Bearer: wrong password refused" 'unauthori|authenticat|credential|denied|401' "$b" pull --store "$W/bearer-bad-$n" --creds bob:nope "$K/test/layers:1"
  t "$n: Bearer refused: nothing stored" 'no_image "$W/bearer-bad-$n"'
done

# ---------------------------------------------------------------- bad input
for b in "${BINS[@]}"; do
  n=$(tag "$b"); S=$W/badin-$n
  pxctl f mode=pass
  refused "$n: a missing tag: the source and manifest unknown" "$X/test/layers.*manifest unknown" "$b" pull --store "$S" "$X/test/layers:nope"
  refused "$n: a missing repository" "$X/test/nothere" "$b" pull --store "$S" "$X/test/nothere:1"
  refused "$n: an invalid reference" 'invalid|reference|format|name' "$b" pull --store "$S" "$X/Test/UPPER:1"
  refused "$n: another transport" 'docker|transport|oci' "$b" pull --store "$S" "oci:/tmp/x:y"
  refused "$n: connection refused: the registry named" "127.0.0.1:1" "$b" pull --store "$S" "127.0.0.1:1/test/layers:1"
  refused "$n: --platform not in the index" 'platform|s390x|match' "$b" pull --store "$S" --platform linux/s390x "$X/test/multi:1"
  t "$n: bad input: the store has nothing" 'no_image "$S" && [ "$(nblobs "$S")" = 0 ]'
  run "$b" pull --store "$S"
  t "$n: no NAME: usage, exit 2" '[ "$(rc)" = 2 ] && grep -q "usage: crioimg pull" "$W/err"'
  printf x > "$W/notadir"
  refused "$n: --store is a file" 'store|directory|notadir' "$b" pull --store "$W/notadir" "$X/test/layers:1"
done

# ---------------------------------------------------------------- the stall's results
for b in "${BINS[@]}"; do
  n=$(tag "$b"); s=$W/stall-$n
  wait "${STALL_PID[$b]}"
  el=$(cat "$s.secs" 2>/dev/null)
  echo "stall $n: exit $(cat "$s.rc" 2>/dev/null) after ${el}s: $(head -c 300 "$s.err")" > "$W/stall.why"
  if [ "$has_timeout" = 1 ]; then
    t "$n: a stall mid-blob ended by --min-rate 1024/2s --retry-times 1: exit 1 within 30 s (took ${el}s)" '[ "$(cat "$s.rc")" = 1 ] && [ "$el" -lt 30 ] && grep -Eqi "timeout|timed out|no data|progress|slower" "$s.err" || { cat "$W/stall.why" >&2; false; }'
  else
    echo "NOTE: crioimg pull has no --timeout yet: the stall is ended by the 30 s idle timeout" >&2
    t "$n: a stall mid-blob ended by the 30 s idle timeout (no --timeout yet), then resumed: the ID (took ${el}s)" \
      '[ "$(cat "$s.rc")" = 0 ] && [ "$(cat "$s.out")" = "$LYID" ] && [ "$el" -ge 55 ] || { cat "$W/stall.why" >&2; false; }'
    t "$n: stall: the resume asked for the bytes after the ones received" \
      'pxlog st | grep "${LY_L[3]}" | grep -q "\"range\":\"bytes=[1-9][0-9]*-\""'
  fi
  if [ "$has_timeout" = 1 ]; then
    t "$n: stall: no temp file, no image, the store valid" 'no_image "$s" && store_ok "$s"'
  else
    t "$n: stall: no temp file, the store valid" 'notmp "$s" && store_ok "$s"'
  fi
done

[ "$known" != 0 ] && echo "($known of the failures are known failures outside the pull code)" >&2
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
