#!/usr/bin/env bash
# The registry client end to end, against Debian's docker-registry (plain, TLS, mutual TLS, htpasswd,
# token auth with tests/fakereg.py as the token server) and tests/fakereg.py's fault modes, through the
# CLI contract of ../shared/design.md section 4 (can-pull, manifest, blob). Usage: tests/registry_net.sh
# CRIOIMG. Loopback only; every server started is stopped on exit (tests/netenv.sh's trap).
# Until `crioimg can-pull` exists only the environment self-checks run (servers, skopeo, fakereg probed
# with curl); the client cases are skipped with one "SKIP:" line.
set -uo pipefail
bin=${1:?usage: tests/registry_net.sh path/to/crioimg}
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
for tool in docker-registry skopeo umoci htpasswd openssl python3 curl; do
  command -v "$tool" >/dev/null || { echo "registry_net: $tool not installed: skipped" >&2; echo "0 passed, 0 failed"; exit 0; }
done
. "$(dirname "$0")/netenv.sh"
netenv_init || exit 1
W=$NETENV_DIR/work; mkdir -p "$W"
pass=0 fail=0
ok()  { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
# t DESC 'shell condition'
t() { if eval "$2" >/dev/null 2>"$W/t.err"; then ok; else bad "$1"; tail -n 3 "$W/t.err" >&2; fi; }

# ---------------------------------------------------------------- the environment
C=$NETENV_DIR/ca
netenv_ca || { echo "0 passed, 1 failed"; exit 1; }
netenv_registry plain && netenv_images plain &&
  netenv_registry tls --tls && netenv_registry mtls --mtls && netenv_registry auth --tls --htpasswd alice s3cret &&
  netenv_fakereg tok --mode bearer --user bob:tokpw --refresh-token RT-bob --jwt-key "$C/token.key" --jwt-cert "$C/token.crt" \
    --service netenv-registry --issuer netenv-issuer &&
  netenv_registry token --token "http://127.0.0.1:${NETENV_FR_PORT[tok]}/token" netenv-registry netenv-issuer "$C/token.crt" &&
  netenv_fakereg fr --user alice:frpw --refresh-token RT-alice ||
  { echo "registry_net: the environment did not start" >&2; echo "0 passed, 1 failed"; exit 1; }
P=127.0.0.1:${NETENV_PORT[plain]} T=127.0.0.1:${NETENV_PORT[tls]} M=127.0.0.1:${NETENV_PORT[mtls]}
A=127.0.0.1:${NETENV_PORT[auth]} K=127.0.0.1:${NETENV_PORT[token]}
F=127.0.0.1:${NETENV_FR_PORT[fr]} FT=127.0.0.1:${NETENV_FR_PORT[fr-tls]}
FO=127.0.0.2:${NETENV_FR_PORT[fr-other]} FA=127.0.0.1:${NETENV_FR_PORT[fr-alt]}
L=$NETENV_DIR/oci
# cert dirs as --cert-dir and certs.d want them
mkdir -p "$W/cad" "$W/cad-client" "$W/cad-other"
cp "$C/ca.crt" "$W/cad/ca.crt"
cp "$C/ca.crt" "$C/client.cert" "$C/client.key" "$W/cad-client/"
cp "$C/other-ca.crt" "$W/cad-other/ca.crt"

# the digests the tests expect, from the layout umoci wrote
eval "$(python3 - "$L" <<'EOF'
import json, os, sys
L = sys.argv[1]
blob = lambda d: json.load(open(os.path.join(L, "blobs", "sha256", d[7:])))
idx = {m["annotations"]["org.opencontainers.image.ref.name"]: m["digest"] for m in json.load(open(os.path.join(L, "index.json")))["manifests"]}
for var, tag in (("HELLO", "hello:1"), ("AMD", "amd64:1"), ("ARM", "arm64:1")):
    m = blob(idx[tag])
    print("%s_D=%s %s_CFG=%s %s_LAYER=%s" % (var, idx[tag], var, m["config"]["digest"], var, m["layers"][0]["digest"]))
print("MULTI_D=%s" % idx["multi:1"])
EOF
)"
sha() { sha256sum "$1" | cut -c1-64; }
raw() { skopeo inspect --raw --tls-verify=false "$@"; }
hdr() { curl -s -o /dev/null -D - "$@" | tr -d '\r'; }
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
V2S2_D=$(skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://$P/test/v2s2:1" 2>/dev/null)
V2S2_CFG=$(raw "docker://$P/test/v2s2:1" 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["config"]["digest"])')

# ---------------------------------------------------------------- environment self-checks
t "CA: the server certificate verifies for 127.0.0.1, localhost and ::1" \
  'openssl verify -CAfile "$C/ca.crt" "$C/server.crt" && openssl x509 -in "$C/server.crt" -noout -ext subjectAltName | grep -q "IP Address:127.0.0.1, IP Address:127.0.0.2, DNS:localhost, IP Address:0:0:0:0:0:0:0:1"'
t "CA: not under the unrelated CA" '! openssl verify -CAfile "$C/other-ca.crt" "$C/server.crt"'
t "CA: the client certificate verifies" 'openssl verify -CAfile "$C/ca.crt" "$C/client.cert"'
t "plain registry answers /v2/" '[ "$(code "http://$P/v2/")" = 200 ]'
t "skopeo pushed three repositories" '[ "$(curl -s "http://$P/v2/_catalog")" = "{\"repositories\":[\"test/hello\",\"test/multi\",\"test/v2s2\"]}" ]'
t "test/hello:1 is umoci's OCI manifest, byte for byte" '[ "sha256:$(raw "docker://$P/test/hello:1" | sha256sum | cut -c1-64)" = "$HELLO_D" ]'
t "test/v2s2:1 is Docker schema2" 'raw "docker://$P/test/v2s2:1" | grep -q "\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\"" && [ -n "$V2S2_D" ] && [ "$V2S2_D" != "$HELLO_D" ]'
t "test/multi:1 is an OCI index of linux/amd64 and linux/arm64" \
  '[ "sha256:$(raw "docker://$P/test/multi:1" | sha256sum | cut -c1-64)" = "$MULTI_D" ] && raw "docker://$P/test/multi:1" | grep -q "\"$ARM_D\",\"size\":[0-9]*,\"platform\":{\"architecture\":\"arm64\",\"os\":\"linux\"}"'
t "skopeo --override-arch arm64 sees the arm64 image" \
  '[ "$(skopeo inspect --override-arch arm64 --tls-verify=false --format "{{.Architecture}}" "docker://$P/test/multi:1")" = arm64 ]'
t "a blob's bytes hash to its digest" 'curl -sf -o "$W/b" "http://$P/v2/test/hello/blobs/$HELLO_LAYER" && [ "sha256:$(sha "$W/b")" = "$HELLO_LAYER" ]'
t "a missing tag is MANIFEST_UNKNOWN" 'curl -s "http://$P/v2/test/hello/manifests/nope" | grep -q MANIFEST_UNKNOWN'
t "TLS registry with the CA" '[ "$(code --cacert "$C/ca.crt" "https://$T/v2/")" = 200 ] && [ "$(code --cacert "$C/ca.crt" "https://localhost:${NETENV_PORT[tls]}/v2/")" = 200 ]'
t "TLS registry refused without the CA" 'curl -s -o /dev/null "https://$T/v2/"; [ $? = 60 ]'
t "TLS registry refused under the unrelated CA" 'curl -s -o /dev/null --cacert "$C/other-ca.crt" "https://$T/v2/"; [ $? = 60 ]'
t "skopeo reads the TLS registry with --cert-dir" 'skopeo inspect --raw --cert-dir "$W/cad" "docker://$T/test/hello:1" | grep -q "$HELLO_LAYER"'
t "mutual TLS: with the client certificate" '[ "$(code --cacert "$C/ca.crt" --cert "$C/client.cert" --key "$C/client.key" "https://$M/v2/")" = 200 ]'
t "mutual TLS: refused without it" '! curl -s -o /dev/null --cacert "$C/ca.crt" "https://$M/v2/"'
t "htpasswd: 401 Basic without credentials" 'hdr --cacert "$C/ca.crt" "https://$A/v2/" | grep -q "^HTTP/[0-9.]* 401" && hdr --cacert "$C/ca.crt" "https://$A/v2/" | grep -qi "^www-authenticate: basic"'
t "htpasswd: 200 with them, 401 with a wrong password" '[ "$(code --cacert "$C/ca.crt" -u alice:s3cret "https://$A/v2/")" = 200 ] && [ "$(code --cacert "$C/ca.crt" -u alice:nope "https://$A/v2/")" = 401 ]'
t "skopeo pushes with --dest-creds and --dest-cert-dir (htpasswd over verified TLS)" \
  'skopeo copy -q --dest-creds alice:s3cret --dest-cert-dir "$W/cad" "oci:$L:hello:1" "docker://$A/pushed/hello:1" &&
   [ "$(curl -s --cacert "$C/ca.crt" -u alice:s3cret "https://$A/v2/pushed/hello/tags/list")" = "{\"name\":\"pushed/hello\",\"tags\":[\"1\"]}" ]'
t "token registry: Bearer challenge with fakereg as realm" \
  'hdr "http://$K/v2/test/hello/manifests/1" | grep -qi "^www-authenticate: Bearer realm=\"http://127.0.0.1:${NETENV_FR_PORT[tok]}/token\",service=\"netenv-registry\",scope=\"repository:test/hello:pull\""'
t "token registry: skopeo --creds through fakereg's JWT (docker-registry verified its signature)" \
  'raw --creds bob:tokpw "docker://$K/test/hello:1" | grep -q "$HELLO_LAYER"'
t "token registry: skopeo with a wrong password refused" '! raw --creds bob:nope "docker://$K/test/hello:1"'
tokpost() { curl -s -X POST -d "grant_type=refresh_token&refresh_token=$2&service=netenv-registry&scope=repository:test/hello:pull&client_id=t" "http://$1/token" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'; }
t "token registry: a refresh_token (identity token) grant gives a token docker-registry accepts" \
  'tk=$(tokpost "127.0.0.1:${NETENV_FR_PORT[tok]}" RT-bob) && [ "$(code -H "Authorization: Bearer $tk" -H "Accept: application/vnd.oci.image.manifest.v1+json" "http://$K/v2/test/hello/manifests/1")" = 200 ]'
t "token registry: a token for another repository is refused" \
  'tk=$(tokpost "127.0.0.1:${NETENV_FR_PORT[tok]}" RT-bob) && [ "$(code -H "Authorization: Bearer $tk" "http://$K/v2/test/v2s2/manifests/1")" = 401 ]'

# fakereg, probed with curl, mode by mode
ctl() { netenv_fr_ctl fr "$1"; }
frlog() { netenv_fr_log fr; }
frtoken() {   # frtoken [curl options]: a token from fakereg's main realm for test/hello
  curl -s "$@" "http://$F/token?service=fakereg&scope=repository:test/hello:pull" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'
}
FM=http://$F/v2/test/hello
t "fakereg open: manifest with its Docker-Content-Digest, over TLS too" \
  'ctl mode=open && [ "$(curl -s "$FM/manifests/1" | sha256sum | cut -c1-64)" = "${HELLO_D#sha256:}" ] && hdr "$FM/manifests/1" | grep -q "^Docker-Content-Digest: $HELLO_D" && curl -sf --cacert "$C/ca.crt" "https://$FT/v2/test/hello/manifests/1" | grep -q "$HELLO_LAYER"'
t "fakereg open: missing tag and blob" 'ctl mode=open && curl -s "$FM/manifests/2" | grep -q MANIFEST_UNKNOWN && [ "$(code "$FM/blobs/sha256:$(printf %064d 0)")" = 404 ]'
t "fakereg basic: 401 without, 200 with" 'ctl mode=basic && [ "$(code "$FM/manifests/1")" = 401 ] && [ "$(code -u alice:frpw "$FM/manifests/1")" = 200 ]'
t "fakereg bearer: challenge, token with Basic, token accepted, log records Authorization" \
  'ctl mode=bearer && hdr "$FM/manifests/1" | grep -q "^WWW-Authenticate: Bearer realm=\"http://$F/token\",service=\"fakereg\",scope=\"repository:test/hello:pull\"" &&
   tk=$(frtoken -u alice:frpw) && [ "$(code -H "Authorization: Bearer $tk" "$FM/manifests/1")" = 200 ] &&
   [ "$(code -H "Authorization: Bearer $tk" "http://$F/v2/test/v2s2/manifests/1")" = 401 ] && [ "$(code "http://$F/token?scope=x")" = 401 ] &&
   frlog | grep -q "\"auth\":\"Bearer $tk\",\"range\":\"\",\"status\":200"'
t "fakereg bearer: refresh_token grant" 'ctl mode=bearer && [ -n "$(tokpost "$F" RT-alice)" ] && ! tokpost "$F" RT-wrong'
t "fakereg multi: Basic and Bearer in one WWW-Authenticate; either accepted" \
  'ctl mode=multi && hdr "$FM/manifests/1" | grep -q "^WWW-Authenticate: Basic realm=\"x\", Bearer realm=\"http://$F/token\",service=\"fakereg\",scope=\"repository:test/hello:pull,repository:other/x:pull\"$" &&
   [ "$(code -u alice:frpw "$FM/manifests/1")" = 200 ] && tk=$(frtoken -u alice:frpw) && [ "$(code -H "Authorization: Bearer $tk" "$FM/manifests/1")" = 200 ]'
t "fakereg realm-other: the realm is on 127.0.0.2 and issues tokens there" \
  'ctl mode=realm-other && hdr "$FM/manifests/1" | grep -q "realm=\"http://$FO/token\"" &&
   tk=$(curl -s -u alice:frpw "http://$FO/token?service=fakereg&scope=repository:test/hello:pull" | python3 -c "import json,sys; print(json.load(sys.stdin)[\"token\"])") &&
   [ "$(code -H "Authorization: Bearer $tk" "$FM/manifests/1")" = 200 ] && frlog | grep -q "\"l\":\"other\",\"m\":\"GET\",\"p\":\"/token"'
t "fakereg realm-http: the TLS listener names an http realm" \
  'ctl mode=realm-http && hdr --cacert "$C/ca.crt" "https://$FT/v2/" | grep -q "realm=\"http://$F/token\""'
t "fakereg loop401: a valid token is still refused" \
  'ctl mode=loop401 && tk=$(frtoken -u alice:frpw) && [ -n "$tk" ] && [ "$(code -H "Authorization: Bearer $tk" "$FM/manifests/1")" = 401 ]'
t "fakereg redirect: blob GET goes to 127.0.0.2, which records no Authorization from curl" \
  'ctl mode=redirect && tk=$(frtoken -u alice:frpw) && hdr -H "Authorization: Bearer $tk" "$FM/blobs/$HELLO_LAYER" | grep -q "^Location: http://$FO/blobs/$HELLO_LAYER" &&
   curl -sfL -o "$W/b" -H "Authorization: Bearer $tk" "$FM/blobs/$HELLO_LAYER" && [ "sha256:$(sha "$W/b")" = "$HELLO_LAYER" ] &&
   frlog | grep -q "{\"l\":\"other\",\"m\":\"GET\",\"p\":\"/blobs/$HELLO_LAYER\",\"auth\":\"\",\"range\":\"\",\"status\":200}"'
t "fakereg redirect-port: blob GET goes to another port" \
  'ctl mode=redirect-port && tk=$(frtoken -u alice:frpw) && hdr -H "Authorization: Bearer $tk" "$FM/blobs/$HELLO_LAYER" | grep -q "^Location: http://$FA/blobs/$HELLO_LAYER"'
t "fakereg redirect-same: a relative Location, then the blob with the token" \
  'ctl mode=redirect-same && tk=$(frtoken -u alice:frpw) && hdr -H "Authorization: Bearer $tk" "$FM/blobs/$HELLO_LAYER" | grep -q "^Location: ../blobs/$HELLO_LAYER?redirected=1" &&
   curl -sfL -o "$W/b" -H "Authorization: Bearer $tk" "$FM/blobs/$HELLO_LAYER" && [ "sha256:$(sha "$W/b")" = "$HELLO_LAYER" ]'
t "fakereg foreign: layers carry urls on 127.0.0.2" \
  'ctl mode=foreign && tk=$(frtoken -u alice:frpw) && curl -sf -H "Authorization: Bearer $tk" "$FM/manifests/1" | grep -q "\"urls\":\[\"http://$FO/blobs/$HELLO_LAYER\"\]"'
t "fakereg retry429: 429 with Retry-After: 1 twice, then 200" \
  'ctl "mode=retry429&n=2" && hdr "$FM/manifests/1" | grep -q "^Retry-After: 1" && [ "$(code "$FM/manifests/1")" = 429 ] && [ "$(code "$FM/manifests/1")" = 200 ]'
t "fakereg retry503: 503 once, then 200" 'ctl "mode=retry503&n=1" && [ "$(code "$FM/blobs/$HELLO_LAYER")" = 503 ] && [ "$(code "$FM/blobs/$HELLO_LAYER")" = 200 ]'
blobsize=$(stat -c %s "$L/blobs/sha256/${HELLO_LAYER#sha256:}")
half=$((blobsize / 2))
t "fakereg drop-206: half a blob and a closed connection, then a correct 206 for the rest" \
  'ctl mode=drop-206 && { curl -s -o "$W/p1" "$FM/blobs/$HELLO_LAYER"; [ $? = 18 ]; } && [ "$(stat -c %s "$W/p1")" = "$half" ] &&
   hdr -H "Range: bytes=$half-" "$FM/blobs/$HELLO_LAYER" | grep -q "^Content-Range: bytes $half-$((blobsize - 1))/$blobsize" &&
   curl -s -H "Range: bytes=$half-" "$FM/blobs/$HELLO_LAYER" >> "$W/p1" && [ "sha256:$(sha "$W/p1")" = "$HELLO_LAYER" ] &&
   [ "$(code "$FM/blobs/$HELLO_LAYER")" = 200 ]'
t "fakereg drop-200: Range ignored" 'ctl mode=drop-200 && curl -s -o /dev/null "$FM/blobs/$HELLO_LAYER"; [ "$(code -H "Range: bytes=$half-" "$FM/blobs/$HELLO_LAYER")" = 200 ]'
t "fakereg drop-bad206: a 206 that starts at 0" 'ctl mode=drop-bad206 && curl -s -o /dev/null "$FM/blobs/$HELLO_LAYER"; hdr -H "Range: bytes=$half-" "$FM/blobs/$HELLO_LAYER" | grep -q "^Content-Range: bytes 0-"'
t "fakereg baddigest: the right size, the wrong bytes" \
  'ctl mode=baddigest && curl -sf -o "$W/b" "$FM/blobs/$HELLO_LAYER" && [ "$(stat -c %s "$W/b")" = "$blobsize" ] && [ "sha256:$(sha "$W/b")" != "$HELLO_LAYER" ]'
t "fakereg bigtoken: a token body over 1 MiB" '[ "$(ctl mode=bigtoken && curl -s -u alice:frpw "http://$F/token?service=fakereg" | wc -c)" -gt 1048576 ]'
t "fakereg badtoken / notoken" 'ctl mode=badtoken && ! frtoken -u alice:frpw && ctl mode=notoken && curl -s -u alice:frpw "http://$F/token" | grep -qx "{\"expires_in\":60}"'
t "fakereg bigheader: one WWW-Authenticate line over 70 KiB" \
  'ctl mode=bigheader && [ "$(hdr "http://$F/v2/" | grep "^WWW-Authenticate:" | wc -c)" -gt 71680 ]'
t "fakereg bigmanifest: over 4 MiB, with a matching digest header" \
  'ctl mode=bigmanifest && curl -s -D "$W/h" -o "$W/m" "$FM/manifests/1" && [ "$(stat -c %s "$W/m")" -gt 4194304 ] && grep -q "^Docker-Content-Digest: sha256:$(sha "$W/m")" "$W/h"'
if [ -n "${NETENV_FR_PORT[fr-v6]:-}" ]; then
  t "fakereg on [::1]" 'ctl mode=open && curl -sfg "http://[::1]:${NETENV_FR_PORT[fr-v6]}/v2/test/hello/manifests/1" | grep -q "$HELLO_LAYER"'
fi
t "fakereg logs method, path, Authorization and Range as JSON lines" \
  'ctl mode=open && curl -s -o /dev/null -u u:p -H "Range: bytes=1-" "$FM/blobs/$HELLO_LAYER" &&
   [ "$(frlog)" = "{\"l\":\"main\",\"m\":\"GET\",\"p\":\"/v2/test/hello/blobs/$HELLO_LAYER\",\"auth\":\"Basic dTpw\",\"range\":\"bytes=1-\",\"status\":200}" ]'

# ---------------------------------------------------------------- the client, through the CLI
cp_help=$("$bin" can-pull --help 2>&1)
cp_rc=$?
if [ "$cp_rc" != 0 ] && grep -qi "unknown command" <<< "$cp_help"; then
  echo "SKIP: crioimg can-pull not built yet (the client cases below are ready)" >&2
  echo "$pass passed, $fail failed"
  [ "$fail" = 0 ]; exit
fi

# run ARGS...: crioimg with a time limit; out, err and rc in $W
run() { timeout 30 "$bin" "$@" > "$W/out" 2> "$W/err"; echo $? > "$W/rc"; }
rc() { cat "$W/rc"; }
# pulls DESC WANT-STDOUT ARGS...: exit 0 and exactly that output
pulls() {
  local desc=$1 want=$2; shift 2
  run "$@"
  if [ "$(rc)" = 0 ] && [ "$(cat "$W/out")" = "$want" ]; then ok
  else bad "$desc: exit $(rc), out [$(head -c 200 "$W/out")] want [$want]: $(head -n 2 "$W/err")"; fi
}
# refused DESC ERE ARGS...: a non-zero exit below 124 (no crash, no timeout) with one line "crioimg: ..."
# (or "crioimg COMMAND: ...", as the other commands write) on stderr matching ERE (case-insensitive)
refused() {
  local desc=$1 re=$2; shift 2
  run "$@"
  local r; r=$(rc)
  grep -v "^crioimg: warning: retrying " "$W/err" > "$W/err1"   # the retries said on the way are not the error
  if [ "$r" != 0 ] && [ "$r" -lt 124 ] && [ "$(wc -l < "$W/err1")" = 1 ] && grep -Eq '^crioimg( [a-z-]+)?: ' "$W/err1" && grep -Eqi "$re" "$W/err1"; then ok
  else bad "$desc: exit $r, stderr [$(head -c 300 "$W/err")] want /$re/"; fi
}
# fetched DESC DIGEST ARGS...: blob -o FILE succeeded and FILE hashes to DIGEST
fetched() {
  local desc=$1 d=$2; shift 2
  rm -f "$W/blob"
  run blob -o "$W/blob" "$@"
  if [ "$(rc)" = 0 ] && [ -f "$W/blob" ] && [ "sha256:$(sha "$W/blob")" = "$d" ]; then ok
  else bad "$desc: exit $(rc): $(head -n 2 "$W/err")"; fi
}
# notfetched DESC ERE ARGS...: blob -o FILE refused and FILE not written
notfetched() {
  local desc=$1 re=$2; shift 2
  rm -f "$W/blob"
  refused "$desc" "$re" blob -o "$W/blob" "$@"
  [ -e "$W/blob" ] && bad "$desc: $W/blob written"
  return 0
}
AUTHFAIL='unauthori|authenticat|credential|denied|401'
TLSFAIL='certificate|x509|tls|ssl|verif'
authjson() { printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$1" "$(printf %s "$2" | base64 -w0)"; }

# plain http registry
pulls   "can-pull"                         "$P/test/hello:1 $HELLO_D"   can-pull "$P/test/hello:1"
pulls   "can-pull Docker schema2"          "$P/test/v2s2:1 $V2S2_D"     can-pull "$P/test/v2s2:1"
pulls   "can-pull by digest"               "$P/test/hello@$HELLO_D $HELLO_D" can-pull "$P/test/hello@$HELLO_D"
pulls   "--platform linux/arm64 (index)"   "$P/test/multi:1 $ARM_D"     can-pull --platform linux/arm64 "$P/test/multi:1"
pulls   "--platform linux/amd64 (index)"   "$P/test/multi:1 $AMD_D"     can-pull --platform linux/amd64 "$P/test/multi:1"
[ "$(uname -m)" = x86_64 ] && pulls "the host's platform by default" "$P/test/multi:1 $AMD_D" can-pull "$P/test/multi:1"
refused "--platform linux/s390x is not in the index" 'platform|s390x|no image|match' can-pull --platform linux/s390x "$P/test/multi:1"
refused "missing tag"                      'manifest unknown'           can-pull "$P/test/hello:nope"
refused "missing repository"               'unknown|not found|name'     can-pull "$P/test/nothere:1"
for img in hello:1 v2s2:1 multi:1; do
  raw "docker://$P/test/$img" > "$W/want"
  run manifest "$P/test/$img"
  t "manifest $img: skopeo's raw bytes exactly" '[ "$(rc)" = 0 ] && cmp "$W/out" "$W/want"'
done
fetched    "blob: the config"              "$HELLO_CFG"   "$P/test/hello:1" "$HELLO_CFG"
fetched    "blob: the layer"               "$HELLO_LAYER" "$P/test/hello:1" "$HELLO_LAYER"
fetched    "blob: Docker schema2 config"   "$V2S2_CFG"    "$P/test/v2s2:1" "$V2S2_CFG"
fetched    "blob: the arm64 layer"         "$ARM_LAYER"   --platform linux/arm64 "$P/test/multi:1" "$ARM_LAYER"
notfetched "blob: not in the platform's manifest" '' --platform linux/amd64 "$P/test/multi:1" "$ARM_LAYER"
notfetched "blob: an invalid digest"       'digest|xyz'       "$P/test/hello:1" "sha256:xyz"
# --json: what was written, once verified (on stderr for -o -, where stdout is the blob itself)
run blob --json -o "$W/blob" "$P/test/hello:1" "$HELLO_LAYER"
t "blob --json: one object naming the file and the blob" '[ "$(rc)" = 0 ] && python3 -c "import json,sys; o=json.load(open(sys.argv[1])); assert o[\"output\"]==sys.argv[2] and o[\"digest\"]==sys.argv[3] and o[\"size\"]==int(sys.argv[4]) and o[\"image\"].endswith(\"/test/hello:1\") and o[\"mediaType\"], o" "$W/out" "$W/blob" "$HELLO_LAYER" "$(stat -c %s "$W/blob")"'
run blob --json -o - "$P/test/hello:1" "$HELLO_LAYER"
t "blob --json -o -: the blob alone on stdout, the object on stderr" '[ "$(rc)" = 0 ] && [ "sha256:$(sha "$W/out")" = "$HELLO_LAYER" ] && grep -q "\"digest\":\"$HELLO_LAYER\"" "$W/err"'

# TLS: 127.0.0.0/8 is insecure by default, so verification is asked for with --tls-verify=true
refused "TLS: refused without the CA"      "$TLSFAIL"   can-pull --tls-verify=true "$T/test/hello:1"
refused "TLS: refused under an unrelated CA" "$TLSFAIL" can-pull --tls-verify=true --cert-dir "$W/cad-other" "$T/test/hello:1"
refused "TLS: the failure in words, the TLS library's detail after them" \
  "the server's certificate is not signed by a trusted CA: give its CA with --cert-dir or certs.d \\((curl|mbedtls): " \
  can-pull --tls-verify=true "$T/test/hello:1"
pulls   "TLS: --cert-dir with the CA"      "$T/test/hello:1 $HELLO_D" can-pull --tls-verify=true --cert-dir "$W/cad" "$T/test/hello:1"
pulls   "TLS: the name localhost, verified" "localhost:${NETENV_PORT[tls]}/test/hello:1 $HELLO_D" \
        can-pull --tls-verify=true --cert-dir "$W/cad" "localhost:${NETENV_PORT[tls]}/test/hello:1"
mkdir -p "$HOME/.config/containers/certs.d/$T" && cp "$C/ca.crt" "$HOME/.config/containers/certs.d/$T/"
pulls   "TLS: the CA in \$HOME/.config/containers/certs.d/HOST:PORT" "$T/test/hello:1 $HELLO_D" can-pull --tls-verify=true "$T/test/hello:1"
rm -rf "$HOME/.config/containers/certs.d"
pulls   "TLS: --tls-verify=false without the CA" "$T/test/hello:1 $HELLO_D" can-pull --tls-verify=false "$T/test/hello:1"
pulls   "TLS: insecure by default on 127.0.0.1"  "$T/test/hello:1 $HELLO_D" can-pull "$T/test/hello:1"
pulls   "mutual TLS: client certificate from --cert-dir" "$M/test/hello:1 $HELLO_D" can-pull --tls-verify=true --cert-dir "$W/cad-client" "$M/test/hello:1"
refused "mutual TLS: refused without a client certificate" '.' can-pull --tls-verify=true --cert-dir "$W/cad" "$M/test/hello:1"

# htpasswd (over TLS, verified)
V=(--tls-verify=true --cert-dir "$W/cad")
authjson "$A" alice:s3cret > "$W/auth.json"
authjson "$A" alice:wrong > "$W/auth-wrong.json"
pulls   "htpasswd: --creds"                "$A/test/hello:1 $HELLO_D" can-pull "${V[@]}" --creds alice:s3cret "$A/test/hello:1"
pulls   "htpasswd: --authfile"             "$A/test/hello:1 $HELLO_D" can-pull "${V[@]}" --authfile "$W/auth.json" "$A/test/hello:1"
export REGISTRY_AUTH_FILE=$W/auth.json
pulls   "htpasswd: \$REGISTRY_AUTH_FILE" "$A/test/hello:1 $HELLO_D" can-pull "${V[@]}" "$A/test/hello:1"
unset REGISTRY_AUTH_FILE
cp "$W/auth.json" "$HOME/.config/containers/auth.json"
pulls   "htpasswd: \$HOME/.config/containers/auth.json" "$A/test/hello:1 $HELLO_D" can-pull "${V[@]}" "$A/test/hello:1"
rm -f "$HOME/.config/containers/auth.json"
refused "htpasswd: wrong password"         "$AUTHFAIL" can-pull "${V[@]}" --creds alice:wrong "$A/test/hello:1"
refused "htpasswd: wrong password in --authfile" "$AUTHFAIL" can-pull "${V[@]}" --authfile "$W/auth-wrong.json" "$A/test/hello:1"
refused "htpasswd: no credentials"         "$AUTHFAIL" can-pull "${V[@]}" "$A/test/hello:1"
fetched "htpasswd: blob with --creds"      "$HELLO_LAYER" "${V[@]}" --creds alice:s3cret "$A/test/hello:1" "$HELLO_LAYER"

# Bearer: docker-registry with fakereg's JWTs
netenv_fr_ctl tok mode=bearer
pulls   "token: --creds"                   "$K/test/hello:1 $HELLO_D" can-pull --creds bob:tokpw "$K/test/hello:1"
t       "token: the realm got Basic credentials and the scope" \
        'netenv_fr_log tok | grep -Eq "\"p\":\"/token\?[^\"]*scope=repository(:|%3A)test(/|%2F)hello(:|%3A)pull[^\"]*\",\"auth\":\"Basic $(printf bob:tokpw | base64)\""'
fetched "token: blob"                      "$HELLO_LAYER" --creds bob:tokpw "$K/test/hello:1" "$HELLO_LAYER"
refused "token: wrong password"            "$AUTHFAIL" can-pull --creds bob:nope "$K/test/hello:1"
refused "token: no credentials"            "$AUTHFAIL" can-pull "$K/test/hello:1"
# as containers/image's decodeDockerAuth: the identity token counts only beside an "auth" with a ':'
printf '{"auths":{"%s":{"auth":"%s","identitytoken":"RT-bob"}}}\n' "$K" "$(printf 'bob:' | base64)" > "$W/idtoken.json"
netenv_fr_ctl tok mode=bearer
pulls   "token: identity token (refresh_token)" "$K/test/hello:1 $HELLO_D" can-pull --authfile "$W/idtoken.json" "$K/test/hello:1"
t       "token: the identity token went as a POST" 'netenv_fr_log tok | grep -q "\"m\":\"POST\",\"p\":\"/token\""'

# fakereg: Bearer variants and faults
G=(--creds alice:frpw)
frmode() { ctl "$1"; }
frmode mode=bearer
pulls   "fakereg bearer: --creds"          "$F/test/hello:1 $HELLO_D" can-pull "${G[@]}" "$F/test/hello:1"
t       "fakereg bearer: one token for the manifest and the blob (cached per scope)" \
        'frmode mode=bearer && run blob -o "$W/blob" "${G[@]}" "$F/test/hello:1" "$HELLO_LAYER" && [ "$(rc)" = 0 ] && [ "$(frlog | grep -c "\"p\":\"/token")" = 1 ]'
frmode mode=multi
pulls   "multi-challenge header"           "$F/test/hello:1 $HELLO_D" can-pull "${G[@]}" "$F/test/hello:1"
frmode mode=realm-other
pulls   "realm on another host"            "$F/test/hello:1 $HELLO_D" can-pull "${G[@]}" "$F/test/hello:1"
t       "realm on another host: the token came from 127.0.0.2" 'frlog | grep -q "\"l\":\"other\",\"m\":\"[A-Z]*\",\"p\":\"/token"'
frmode mode=realm-http
refused "http realm for a verified https registry" 'realm|http' can-pull "${G[@]}" --tls-verify=true --cert-dir "$W/cad" "$FT/test/hello:1"
t       "http realm: no request reached the realm" '! frlog | grep -q "\"p\":\"/token"'
frmode mode=realm-http
pulls   "http realm for an insecure (http) registry" "$F/test/hello:1 $HELLO_D" can-pull "${G[@]}" "$F/test/hello:1"
frmode mode=bearer
pulls   "fakereg over TLS, verified"       "$FT/test/hello:1 $HELLO_D" can-pull "${G[@]}" --tls-verify=true --cert-dir "$W/cad" "$FT/test/hello:1"
# mirrors (registries.conf): the caller's --creds go only to the pulled name's own registry, and a mirror
# whose own [[registry]] is blocked is never contacted (containers/image does both)
printf '[[registry]]\nlocation = "%s"\n[[registry.mirror]]\nlocation = "%s"\n' "$P" "$F" > "$W/mirror.conf"
frmode mode=basic
pulls   "mirror on another host: falls back to the registry" "$P/test/hello:1 $HELLO_D" can-pull --registries-conf "$W/mirror.conf" "${G[@]}" "$P/test/hello:1"
t       "mirror on another host: it was asked, and got no --creds" 'frlog | grep -q "\"p\":\"/v2/" && ! frlog | grep -q "\"auth\":\"Basic"'
cp "$W/mirror.conf" "$W/mirror-blocked.conf"
printf '[[registry]]\nlocation = "%s"\nblocked = true\n' "$F" >> "$W/mirror-blocked.conf"
frmode mode=open
pulls   "blocked mirror: skipped, the registry serves" "$P/test/hello:1 $HELLO_D" can-pull --registries-conf "$W/mirror-blocked.conf" "$P/test/hello:1"
t       "blocked mirror: not one request reached it" '[ -z "$(frlog)" ]'
frmode mode=loop401
refused "401 loop"                         "$AUTHFAIL" can-pull "${G[@]}" "$F/test/hello:1"
t       "401 loop stopped after at most 8 registry requests and 4 tokens" \
        '[ "$(frlog | grep -c "\"p\":\"/v2/")" -le 8 ] && [ "$(frlog | grep -c "\"p\":\"/token")" -le 4 ]'
frmode mode=redirect
fetched "redirected blob (other host)"     "$HELLO_LAYER" "${G[@]}" "$F/test/hello:1" "$HELLO_LAYER"
t       "redirect: the blob came from 127.0.0.2 and no Authorization arrived there" \
        'frlog | grep -q "\"l\":\"other\",\"m\":\"GET\",\"p\":\"/blobs/$HELLO_LAYER\"" && ! frlog | grep "\"l\":\"other\"" | grep -qv "\"auth\":\"\""'
frmode mode=redirect
notfetched "redirect from https to http refused" 'redirect|http' "${G[@]}" --tls-verify=true --cert-dir "$W/cad" "$FT/test/hello:1" "$HELLO_LAYER"
t       "https to http redirect: nothing reached the http host" '! frlog | grep -q "\"l\":\"other\""'
frmode mode=redirect-port
fetched "redirected blob (other port)"     "$HELLO_LAYER" "${G[@]}" "$F/test/hello:1" "$HELLO_LAYER"
t       "redirect to another port: no Authorization arrived there" \
        'frlog | grep -q "\"l\":\"alt\",\"m\":\"GET\"" && ! frlog | grep "\"l\":\"alt\"" | grep -qv "\"auth\":\"\""'
frmode mode=redirect-same
fetched "redirected blob (same origin, relative Location)" "$HELLO_LAYER" "${G[@]}" "$F/test/hello:1" "$HELLO_LAYER"
t       "same-origin redirect: Authorization went along" \
        'frlog | grep -q "\"p\":\"/v2/test/hello/blobs/$HELLO_LAYER?redirected=1\",\"auth\":\"Bearer [^\"]*\",\"range\":\"\",\"status\":200"'
frmode mode=foreign
fetched "foreign layer (urls)"             "$HELLO_LAYER" "${G[@]}" "$F/test/hello:1" "$HELLO_LAYER"
t       "foreign layer: fetched from its url on 127.0.0.2 without credentials" \
        'frlog | grep -q "{\"l\":\"other\",\"m\":\"GET\",\"p\":\"/blobs/$HELLO_LAYER\",\"auth\":\"\"" && ! frlog | grep "\"l\":\"other\"" | grep -qv "\"auth\":\"\""'
frmode "mode=retry429&n=2"
pulls   "429 twice"                        "$F/test/hello:1 $HELLO_D" can-pull "$F/test/hello:1"
t       "retried after 429 then succeeded" '[ "$(frlog | grep -c "\"status\":429")" = 2 ] && frlog | tail -n 1 | grep -q "\"status\":200"'
frmode "mode=retry503&n=1"
fetched "503 once on a blob"               "$HELLO_LAYER" "$F/test/hello:1" "$HELLO_LAYER"
t       "retried after 503 then succeeded" '[ "$(frlog | grep -c "\"status\":503")" = 1 ] && frlog | grep "blobs/$HELLO_LAYER" | tail -n 1 | grep -q "\"status\":200"'
for mode in drop-206 drop-200 drop-bad206; do
  frmode "mode=$mode"
  fetched "dropped connection, then $mode" "$HELLO_LAYER" "$F/test/hello:1" "$HELLO_LAYER"
  t       "$mode: the transfer was cut, and the resume used Range" \
          'frlog | grep -q "\"status\":\"dropped\"" && frlog | grep -q "\"range\":\"bytes=[1-9][0-9]*-\""'
done
frmode mode=drop-206
t       "drop-206: the resume asked for the bytes after the ones received" 'run blob -o "$W/blob" "$F/test/hello:1" "$HELLO_LAYER"; frlog | grep -q "\"range\":\"bytes=$half-\",\"status\":206"'
frmode mode=baddigest
notfetched "wrong digest refused, FILE not written" 'digest' "$F/test/hello:1" "$HELLO_LAYER"
if [ -n "${NETENV_FR_PORT[fr-v6]:-}" ]; then
  F6="[::1]:${NETENV_FR_PORT[fr-v6]}"
  frmode mode=bearer
  pulls "IPv6 literal registry [::1]:PORT with Bearer" "$F6/test/hello:1 $HELLO_D" can-pull "${G[@]}" "$F6/test/hello:1"
  fetched "IPv6: blob" "$HELLO_LAYER" "${G[@]}" "$F6/test/hello:1" "$HELLO_LAYER"
fi
frmode mode=bigtoken
refused "oversized token refused"          '.' can-pull "${G[@]}" "$F/test/hello:1"
frmode mode=badtoken
refused "token body not JSON"              '.' can-pull "${G[@]}" "$F/test/hello:1"
frmode mode=notoken
refused "token body without a token"       '.' can-pull "${G[@]}" "$F/test/hello:1"
frmode mode=bigheader
refused "a 70 KiB WWW-Authenticate line"   '.' can-pull "${G[@]}" "$F/test/hello:1"
frmode mode=notmanifest
refused "manifest: an HTML page served as the manifest is an error" 'parsing manifest' manifest "$F/test/hello:1"
t       "manifest: nothing printed for it" '[ ! -s "$W/out" ]'
refused "can-pull: the same"               'parsing manifest' can-pull "$F/test/hello:1"
frmode mode=redirect-meta
refused "manifest redirected to the metadata address" 'unspecified or link-local address \(169\.254\.169\.254\)' manifest "$F/test/hello:1"
frmode mode=redirect-meta-blob
notfetched "blob redirected to the metadata address" 'unspecified or link-local address' "$F/test/hello:1" "$HELLO_LAYER"
frmode mode=redirect-userinfo
notfetched "blob redirected to a URL with user information" 'user information' "${G[@]}" "$F/test/hello:1" "$HELLO_LAYER"
t       "userinfo redirect: nothing reached its target" '! frlog | grep -q "\"l\":\"other\""'
frmode mode=bigmanifest
refused "a manifest over 4 MiB"            'big|large|size|exceed|limit' manifest "$F/test/hello:1"
refused "a manifest over 4 MiB (can-pull)" 'big|large|size|exceed|limit' can-pull "$F/test/hello:1"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
