#!/usr/bin/env bash
# Command-line contract tests for build/crioimg (../shared/design.md section 4). Usage: tests/cli.sh CRIOIMG
set -uo pipefail
bin=${1:?usage: tests/cli.sh path/to/crioimg}
pass=0 fail=0
ok()  { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
# expect NAME WANT-STATUS WANT-STDOUT -- command...
expect() {
  local name=$1 want_rc=$2 want_out=$3; shift 4
  local out rc
  out=$("$@" 2>/dev/null); rc=$?
  [ "$rc" = "$want_rc" ] || { bad "$name: exit $rc, want $want_rc"; return; }
  [ "$out" = "$want_out" ] || { bad "$name: got [$out] want [$want_out]"; return; }
  ok
}
# the rows that reach a registry (a certs.d check, an auth file read for a 401) need an HTTP transport:
# a CLI built without one (the cross and tcc builds: no libcurl for them) skips them, and says how many
skipped=0
net=1; case $("$bin" can-pull localhost:1/x:1 2>&1) in *"no HTTP transport available"*) net=0;; esac
expect_net() { if [ "$net" = 1 ]; then expect "$@"; else skipped=$((skipped + 1)); fi; }
H=ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff

expect "plain" 0 "docker.io/library/nginx" -- "$bin" parse nginx
expect "several names" 0 $'docker.io/library/nginx\nquay.io/a/b:1' -- "$bin" parse nginx quay.io/a/b:1
expect "json success" 0 '{"input":"nginx:1.25","name":"docker.io/library/nginx","domain":"docker.io","path":"library/nginx","tag":"1.25","digest":"","familiar":"nginx:1.25","string":"docker.io/library/nginx:1.25"}' -- "$bin" parse --json nginx:1.25
expect "json error" 1 '{"input":"Nginx","error":"invalid reference format: repository name must be lowercase"}' -- "$bin" parse --json Nginx
expect "json any id" 0 "{\"input\":\"$H\",\"name\":\"\",\"domain\":\"\",\"path\":\"\",\"tag\":\"\",\"digest\":\"sha256:$H\",\"familiar\":\"sha256:$H\",\"string\":\"sha256:$H\"}" -- "$bin" parse --json --any "$H"
expect "json hex name" 1 "{\"input\":\"$H\",\"error\":\"invalid repository name ($H), cannot specify 64-byte hexadecimal strings\"}" -- "$bin" parse --json "$H"
expect "ipv6" 0 '[::1]:5000/repo:tag' -- "$bin" parse '[::1]:5000/repo:tag'
expect "stdin, in order, CR kept" 1 $'{"input":"a","name":"docker.io/library/a","domain":"docker.io","path":"library/a","tag":"","digest":"","familiar":"a","string":"docker.io/library/a"}\n{"input":"b\\r","error":"invalid reference format"}\n{"input":"","error":"invalid reference format"}\n{"input":"c","name":"docker.io/library/c","domain":"docker.io","path":"library/c","tag":"","digest":"","familiar":"c","string":"docker.io/library/c"}' -- bash -c "printf 'a\nb\r\n\nc' | '$bin' parse --json"
# invalid UTF-8 makes Go's strings.ToLower change the name: Go's text is the "lowercase" one
expect "json escapes odd bytes" 1 '{"input":"a\"\\\u0001\ufffd","error":"invalid reference format: repository name must be lowercase"}' -- bash -c "printf 'a\"\\\\\\001\\377\n' | '$bin' parse --json"
expect "error message on stderr" 1 'crioimg: "Nginx": invalid reference format: repository name must be lowercase' -- bash -c "'$bin' parse Nginx 2>&1"
expect "unknown option" 2 "" -- "$bin" parse --nope
expect "unknown command" 2 "" -- "$bin" frobnicate
expect "version" 0 "crioimg 0.1.0" -- "$bin" --version
# a long line (1 MB) is read whole and fails quickly
expect "1 MB line" 1 "1" -- bash -c "set -o pipefail; head -c 1048576 /dev/zero | tr '\\0' a | sed 's/aa/a-/g' | '$bin' parse --json | wc -l"
# 100,000 lines give 100,000 objects, in order
expect "many lines" 0 "100000 docker.io/library/x99999" -- bash -c "seq 0 99999 | sed 's/^/x/' | '$bin' parse | awk 'END{print NR, \$0}'"

# ---- digest: the same hashes as coreutils' sha256sum, "sha256:" before each ----
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
for n in 0 1 55 56 63 64 65 119 120 1000 1048577 3000001; do head -c "$n" /dev/urandom > "$t/f$n"; done
files=("$t"/f*)
sums() { sha256sum "$@" | sed -E 's/^(\\?)/\1sha256:/'; }
expect "digest: files of every edge size" 0 "$(sums "${files[@]}")" -- "$bin" digest "${files[@]}"
expect "digest: stdin when no FILE" 0 "$(sums - < "$t/f1000")" -- bash -c "'$bin' digest < '$t/f1000'"
expect "digest: - is stdin, in order" 0 "$(sums "$t/f1" - < "$t/f65")" -- bash -c "'$bin' digest '$t/f1' - < '$t/f65'"
expect "digest: a pipe in odd pieces" 0 "$(head -c 5000000 /dev/zero | sums)" -- bash -c "head -c 5000000 /dev/zero | '$bin' digest"
expect "digest: empty input" 0 "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  -" -- bash -c "'$bin' digest < /dev/null"
printf x > "$t/back\\slash"; printf y > "$t/new"$'\n'"line"
expect "digest: names escaped as sha256sum does" 0 "$(sums "$t/back\\slash" "$t/new"$'\n'"line")" -- "$bin" digest "$t/back\\slash" "$t/new"$'\n'"line"
printf z > "$t/-x"; abs=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
expect "digest: -- ends the options" 0 "$(cd "$t" && sums -- -x)" -- bash -c "cd '$t' && '$abs' digest -- -x"
expect "digest: a missing file fails, the others are hashed" 1 "$(sums "$t/f1" "$t/f64")" -- "$bin" digest "$t/f1" "$t/missing" "$t/f64"
expect "digest: one error line on stderr" 1 "crioimg digest: $t/missing: No such file or directory" -- bash -c "'$bin' digest '$t/missing' 2>&1 >/dev/null"
expect "digest: a directory fails" 1 "" -- "$bin" digest "$t"
expect "digest: --algorithm sha512" 0 "$(sha512sum "$t/f1000" | sed 's/^/sha512:/')" -- "$bin" digest --algorithm sha512 "$t/f1000"
expect "digest: --algorithm=sha384" 0 "$(sha384sum "$t/f65" | sed 's/^/sha384:/')" -- "$bin" digest --algorithm=sha384 "$t/f65"
expect "digest: unknown algorithm" 2 "" -- "$bin" digest --algorithm md5 "$t/f1"
expect "digest: unknown option" 2 "" -- "$bin" digest --bogus
# ---- resolve: the seed's ResolveNames with --registry; registry: the insecure decision ----
export HOME="$t"; unset CONTAINERS_REGISTRIES_CONF   # no per-user registries.conf from the real home
R3=(--registry testregistry.com --registry registry.access.redhat.com --registry docker.io)
D=sha256:dc5f67a48da730d67bf4bfb8824ea8a51be26711de090d6d5a1ffff2723168a3
expect "resolve: search order, tag kept" 0 $'testregistry.com/openshift3/ose-deployer:sometag\nregistry.access.redhat.com/openshift3/ose-deployer:sometag\ndocker.io/openshift3/ose-deployer:sometag' -- "$bin" resolve "${R3[@]}" openshift3/ose-deployer:sometag
expect "resolve: digest kept" 0 "testregistry.com/openshift3/ose-deployer@$D"$'\n'"registry.access.redhat.com/openshift3/ose-deployer@$D"$'\n'"docker.io/openshift3/ose-deployer@$D" -- "$bin" resolve "${R3[@]}" "openshift3/ose-deployer@$D"
expect "resolve: library/ for docker.io only" 0 $'testregistry.com/nginx:latest\nregistry.access.redhat.com/nginx:latest\ndocker.io/library/nginx:latest' -- "$bin" resolve "${R3[@]}" nginx:latest
expect "resolve: qualified as given" 0 "mypersonalregistry.com/nginx:latest" -- "$bin" resolve "${R3[@]}" mypersonalregistry.com/nginx:latest
expect "resolve: duplicates dropped" 0 $'a.io/x\ndocker.io/library/x' -- "$bin" resolve --registry a.io --registry docker.io --registry=a.io x
: > "$t/empty.conf"
expect "resolve: no registries" 1 "crioimg resolve: short-name \"openshift3/ose-deployer:latest\" did not resolve to an alias and no unqualified-search registries are defined in \"$t/empty.conf\"" -- bash -c "'$bin' resolve --registries-conf '$t/empty.conf' openshift3/ose-deployer:latest 2>&1"
expect "resolve: image ID" 1 "crioimg resolve: cannot parse an image ID" -- bash -c "'$bin' resolve 6ad733544a6317992a6fac4eb19fe1df577d4dec7529efec28a5bd0edad0fd30 2>&1"
expect "resolve: bad name" 1 "crioimg resolve: invalid reference format: repository name must be lowercase" -- bash -c "'$bin' resolve --registry a.io Nginx 2>&1"
expect "resolve: --json" 0 '{"name":"docker.io/library/nginx","rule":"search","origin":"docker.io"}' -- "$bin" resolve --json --registry docker.io nginx
expect "resolve: bad --registry" 2 "" -- "$bin" resolve --registry a/b x
expect "resolve: no NAME" 2 "" -- "$bin" resolve --registry a.io
expect "registry: secure IP" 0 "secure" -- "$bin" registry 192.0.2.1
expect "registry: loopback" 0 "insecure" -- "$bin" registry 127.0.0.1:5000
expect "registry: ::1" 0 "insecure" -- "$bin" registry '[::1]:5000'
expect "registry: CIDR" 0 "insecure" -- "$bin" registry --insecure-registry 192.0.2.0/24 192.0.2.77:5000
expect "registry: IPv6 CIDR" 0 "insecure" -- "$bin" registry --insecure-registry 2001:db8::/32 '[2001:db8::1]'
expect "registry: host entry (no look-up)" 0 '{"host":"reg.invalid:5000","insecure":true,"rule":"host","detail":"reg.invalid:5000"}' -- "$bin" registry --json --insecure-registry reg.invalid:5000 reg.invalid:5000
expect "registry: --json no match" 0 '{"host":"192.0.2.1","insecure":false,"rule":"no-match","detail":"192.0.2.1"}' -- "$bin" registry --json --insecure-registry 10.0.0.0/8 192.0.2.1
expect "registry: --json loopback" 0 '{"host":"127.0.0.2","insecure":true,"rule":"loopback","detail":"127.0.0.2"}' -- "$bin" registry --json 127.0.0.2
expect "registry: malformed CIDR" 2 "crioimg registry: invalid CIDR address: 10.0.0.0/33" -- bash -c "'$bin' registry --insecure-registry 10.0.0.0/33 x.io 2>&1"
expect "registry: bad host" 1 "" -- "$bin" registry 'a/b'
expect "registry: unknown option" 2 "" -- "$bin" registry --nope x.io
# ---- registries.conf: --registries-conf, CONTAINERS_REGISTRIES_CONF ----
cat > "$t/reg.conf" <<'CONF'
unqualified-search-registries = ["quay.io", "docker.io"]
short-name-mode = "permissive"
[aliases]
"myalias" = "quay.io/team/thing"
[[registry]]
location = "conf-insecure.invalid"
insecure = true
CONF
printf 'unqualified-search-registries = ["quay.io", "docker.io"]\nshort-name-mode = "enforcing"\n' > "$t/enforcing.conf"
printf '[[registry]]\nlocation = "a.com"\nbogus = \n' > "$t/bad.conf"
expect "conf: search registries, :latest added" 0 $'quay.io/myimage:latest\ndocker.io/library/myimage:latest' -- "$bin" resolve --registries-conf "$t/reg.conf" myimage
expect "conf: alias, tag kept" 0 "quay.io/team/thing:2" -- "$bin" resolve --registries-conf "$t/reg.conf" myalias:2
expect "conf: alias --json" 0 "{\"name\":\"quay.io/team/thing:latest\",\"rule\":\"alias\",\"origin\":\"$t/reg.conf\"}" -- "$bin" resolve --json --registries-conf "$t/reg.conf" myalias
expect "conf: qualified gets :latest" 0 "example.com/a/b:latest" -- "$bin" resolve --registries-conf "$t/reg.conf" example.com/a/b
expect "conf: --registry wins (seed rules)" 0 "r.io/myimage" -- "$bin" resolve --registries-conf "$t/reg.conf" --registry r.io myimage
expect "conf: CONTAINERS_REGISTRIES_CONF" 0 "quay.io/team/thing:latest" -- env CONTAINERS_REGISTRIES_CONF="$t/reg.conf" "$bin" resolve myalias
expect "conf: enforcing and ambiguous" 1 "crioimg resolve: short-name resolution enforced but cannot prompt without a TTY" -- bash -c "'$bin' resolve --registries-conf '$t/enforcing.conf' myimage 2>&1"
expect "conf: error names file and line" 2 "crioimg resolve: $t/bad.conf:3: expected a value" -- bash -c "'$bin' resolve --registries-conf '$t/bad.conf' x 2>&1"
expect "conf: missing explicit file" 2 "crioimg resolve: loading registries configuration \"$t/nope.conf\": No such file or directory" -- bash -c "'$bin' resolve --registries-conf '$t/nope.conf' x 2>&1"
# issue 10: a FIFO or a device as registries.conf is refused at once (timeout: waiting on it would hang);
# a \u0000 never shortens a location or a mode
mkfifo "$t/fifo.conf"
expect "conf: FIFO refused, never waited on" 2 "crioimg resolve: loading registries configuration \"$t/fifo.conf\": a FIFO, not a regular file" -- bash -c "timeout 5 '$bin' resolve --registries-conf '$t/fifo.conf' x 2>&1"
expect "conf: device refused" 2 "crioimg registry: loading registries configuration \"/dev/zero\": a device, not a regular file" -- bash -c "timeout 5 '$bin' registry --registries-conf /dev/zero x.io 2>&1"
mkdir -p "$t/fifo-home/.config/containers/registries.conf.d"; mkfifo "$t/fifo-home/.config/containers/registries.conf.d/50-x.conf"
expect "conf: FIFO drop-in refused" 2 "crioimg resolve: loading drop-in registries configuration \"$t/fifo-home/.config/containers/registries.conf.d/50-x.conf\": a FIFO, not a regular file" -- bash -c "HOME='$t/fifo-home' timeout 5 '$bin' resolve --registries-conf '$t/reg.conf' x 2>&1"
mkdir -p "$t/certs-fifo"; mkfifo "$t/certs-fifo/ca.crt"
expect_net "cert-dir: FIFO *.crt refused, never waited on (the file named)" 1 "crioimg can-pull: localhost:1/x:1: not a regular file: $t/certs-fifo/ca.crt" -- bash -c "timeout 5 '$bin' can-pull --cert-dir '$t/certs-fifo' localhost:1/x:1 2>&1"
printf '[[registry]]\nlocation = "example.com\\u0000.attacker.io"\ninsecure = true\n' > "$t/nul.conf"
expect "conf: NUL in location" 2 "crioimg registry: $t/nul.conf:2: NUL character (\\u0000) in string" -- bash -c "'$bin' registry --registries-conf '$t/nul.conf' example.com 2>&1"
printf 'short-name-mode = "enforcing\\u0000bogus"\n' > "$t/nulmode.conf"
expect "conf: NUL in short-name-mode" 2 "crioimg resolve: $t/nulmode.conf:1: NUL character (\\u0000) in string" -- bash -c "'$bin' resolve --registries-conf '$t/nulmode.conf' x 2>&1"
expect "conf: insecure = true" 0 '{"host":"conf-insecure.invalid","insecure":true,"rule":"registries-conf","detail":"conf-insecure.invalid"}' -- "$bin" registry --json --registries-conf "$t/reg.conf" conf-insecure.invalid
# the per-user file replaces /etc/containers/registries.conf; then only the per-user drop-ins apply, in name order
mkdir -p "$t/.config/containers/registries.conf.d"
printf 'unqualified-search-registries = ["user.example"]\n[aliases]\n"u1" = "user.example/one"\n' > "$t/.config/containers/registries.conf"
printf '[aliases]\n"u1" = "dropin-a.example/one"\n' > "$t/.config/containers/registries.conf.d/10-a.conf"
printf '[aliases]\n"u1" = "dropin-b.example/one"\n' > "$t/.config/containers/registries.conf.d/20-b.conf"
printf '[aliases]\n"u1" = "ignored.example/one"\n' > "$t/.config/containers/registries.conf.d/30-c.conf.disabled"
expect "conf: per-user file, drop-ins in name order" 0 "dropin-b.example/one:latest" -- "$bin" resolve u1
expect "conf: per-user search list" 0 "user.example/other:latest" -- "$bin" resolve other
printf '[registries.search]\nregistries = ["v1.example"]\n' > "$t/.config/containers/registries.conf.d/40-v1.conf"
expect "conf: a v1 drop-in is refused" 2 "crioimg resolve: $t/.config/containers/registries.conf.d/40-v1.conf:1: registry must be in v2 format but is in v1" -- bash -c "'$bin' resolve other 2>&1"
rm -rf "$t/.config"
# ---- the store: images, inspect, tag, untag, rmi, import (design.md section 4) ----
. "$(dirname "$0")/layout.sh"
S=$t/store
ida=$(mklayout "$t/la" a 1 1500); idb=$(mklayout "$t/lb" b 2 2000000)
mda=$(sed -n 's/.*"digest":"sha256:\([0-9a-f]*\)".*/\1/p' "$t/la/index.json")   # a's manifest digest
# the image count in images --json (crictl's document), for the rows below that pipe into it
nimg() { python3 -c 'import json, sys; print(len(json.load(sys.stdin)["images"]))'; }
export -f nimg
expect "images: a store not made yet is empty" 0 $'{\n  "images": []\n}' -- "$bin" images --store "$S" --json
expect "images: only the header on an empty store" 0 "IMAGE               TAG                 IMAGE ID            SIZE" -- env CRIOIMG_STORE="$S" "$bin" images
expect "import prints the image ID" 0 "$ida" -- "$bin" import --store "$S" "$t/la:a" nginx:1.25 quay.io/x/y@sha256:$mda
expect "import: a bare REF is a tag: refused without a NAME" 1 "crioimg import: $t/lb:b: \"b\" is a tag, not an image name: give the name to store it under (crioimg import $t/lb:b NAME)" -- bash -c "'$bin' import --store='$S' '$t/lb:b' 2>&1"
expect "import: a bare REF under the NAME given" 0 "$idb" -- "$bin" import --store="$S" "$t/lb:b" b
expect "import: a missing image" 1 "" -- "$bin" import --store "$S" "$t/lb:nope" x:1
# memory is bounded by the descriptor, not by the file: a 50 MB layer behind a 143-byte descriptor fails
# before it is read; a 200 MB layer streams through (peak RSS, where /usr/bin/time can say, under 32 MB)
mklayout "$t/liar" liar 3 50000000 143 >/dev/null
expect "import: a blob bigger than its descriptor" 1 "crioimg import: $t/liar:liar: blob $(sed -n 's/.*"layers":\[{[^}]*"digest":"\([^"]*\)".*/\1/p' "$t"/liar/blobs/sha256/* 2>/dev/null | head -n 1): the source has 50000000 bytes, its descriptor says 143" -- bash -c "'$bin' import --store '$t/s2' '$t/liar:liar' liar:1 2>&1"
expect "import: nothing of it stored" 0 "0" -- imgs "$bin" "$t/s2" count
rss() { /usr/bin/time -f %M -o "$t/rss" "$@" >/dev/null 2>&1; local rc=$?; echo "$rc $(cat "$t/rss" | tail -n 1)"; }
if [ -x /usr/bin/time ]; then
  read -r rc kb < <(rss "$bin" import --store "$t/s2" "$t/liar:liar" liar:1)
  [ "$rc" = 1 ] && [ "$kb" -lt 32768 ] && ok || bad "import of a lying descriptor: exit $rc, peak RSS $kb KB"
  mklayout "$t/l200" l200 4 200000000 >/dev/null
  read -r rc kb < <(rss "$bin" import --store "$t/s2" "$t/l200:l200" l200:1)
  [ "$rc" = 0 ] && [ "$kb" -lt 32768 ] && ok || bad "import of a 200 MB layer: exit $rc, peak RSS $kb KB"
  rm -rf "$t/l200" "$t/s2"
fi
rm -rf "$t/liar"
# Ctrl-C during import and save: exit 130, "cancelled", nothing half-done left (the signal comes once the
# command's temporary file is there: the store's for an import, the archive's beside PATH for a save)
mklayout "$t/lsig" lsig 5 200000000 >/dev/null
sigint_when() {   # GLOB CMD...: run CMD, SIGINT it once a file matches GLOB; its exit status
  local glob=$1 pid i; shift
  "$@" > /dev/null 2> "$t/sig.err" & pid=$!
  for i in $(seq 1 1000); do compgen -G "$glob" > /dev/null && break; sleep 0.01; done
  kill -INT "$pid"; wait "$pid"; echo $?
}
"$bin" import --store "$t/ssig" "$t/la:a" small:1 > /dev/null && "$bin" gc --store "$t/ssig" > /dev/null   # a store with an image, clean
expect "import: Ctrl-C, exit 130" 0 "130" -- sigint_when "$t/ssig/.crioimg-tmp-*" "$bin" import --store "$t/ssig" "oci:$t/lsig:lsig" sig:1
expect "import: Ctrl-C, said so" 0 "crioimg import: oci:$t/lsig:lsig: cancelled" -- cat "$t/sig.err"
expect "import: Ctrl-C, nothing of it left (gc finds nothing; the image that was there stays)" 0 '{"blobs":0,"blobBytes":0,"files":0,"fileBytes":0}'$'\n'"$ida" -- bash -c "'$bin' gc --store '$t/ssig' --json && '$bin' images -q --store '$t/ssig'"
expect "import LAYOUT-DIR:REF: Ctrl-C, exit 130" 0 "130" -- sigint_when "$t/ssig2/.crioimg-tmp-*" "$bin" import --store "$t/ssig2" "$t/lsig:lsig" sig:1
expect "import LAYOUT-DIR:REF: Ctrl-C, said so" 0 "crioimg import: $t/lsig:lsig: cancelled" -- cat "$t/sig.err"
expect "import LAYOUT-DIR:REF: Ctrl-C into a new store: no store left at all" 0 "absent" -- bash -c "[ -e '$t/ssig2' ] && ls -A '$t/ssig2' || echo absent"
"$bin" rmi --store "$t/ssig" small:1 > /dev/null
"$bin" import --store "$t/ssig" "oci:$t/lsig:lsig" sig:1 > /dev/null
expect "save: Ctrl-C, exit 130" 0 "130" -- sigint_when "$t/sig.tar.crioimg-tmp-*" "$bin" save --store "$t/ssig" --format oci-archive -o "$t/sig.tar" sig:1
expect "save: Ctrl-C, said so" 0 "crioimg save: $t/sig.tar: cancelled" -- cat "$t/sig.err"
expect "save: Ctrl-C, no archive and no temporary" 0 "" -- bash -c "ls -d '$t'/sig.tar* 2>/dev/null; true"
rm -rf "$t/lsig" "$t/ssig" "$t/ssig2"
expect "images: crictl's table (tabwriter 20, 1, 3)" 0 "IMAGE                     TAG                 IMAGE ID            SIZE
docker.io/library/nginx   1.25                ${ida:0:12}        1.61kB
docker.io/library/b       latest              ${idb:0:12}        2MB" -- "$bin" images --store "$S"
expect "images: CRIOIMG_STORE" 0 "2" -- bash -c "CRIOIMG_STORE='$S' '$bin' images --json | nimg"
expect "images: XDG_DATA_HOME" 0 "0" -- bash -c "XDG_DATA_HOME='$t/xdg' CRIOIMG_STORE= '$bin' images --json | nimg"
expect "images --json: the same document as -o json" 0 "$idb same" -- bash -c "'$bin' images --store '$S' --json b > '$t/j1' && '$bin' images --store '$S' -o json b > '$t/j2' && cmp -s '$t/j1' '$t/j2' && python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[\"images\"][0][\"id\"], \"same\")' '$t/j1'"
expect "images --json -o table: usage error" 2 "crioimg images: --json and -o table contradict each other (--json is -o json)" -- bash -c "'$bin' images --store '$S' --json -o table 2>&1"
expect "images: a filter that names nothing" 0 $'{\n  "images": []\n}' -- "$bin" images --store "$S" --json nothing
expect "inspect by ID prefix" 0 "docker.io/library/nginx:1.25" -- bash -c "'$bin' inspect --store '$S' ${ida:0:5} | sed 's/.*\"names\":\[\"\([^\"]*\)\".*/\1/'"
expect "inspect: containers-storage: name" 0 "$ida" -- bash -c "'$bin' inspect --store '$S' containers-storage:nginx:1.25 | sed 's/.*\"id\":\"\([^\"]*\)\".*/\1/'"
expect "inspect: unknown" 1 "" -- "$bin" inspect --store "$S" nginx:9
expect "inspect: one line on stderr" 1 "crioimg inspect: nginx:9: image not known" -- bash -c "'$bin' inspect --store '$S' nginx:9 2>&1"
expect "inspect: an invalid name" 1 "crioimg inspect: Bad: invalid reference format: repository name must be lowercase" -- bash -c "'$bin' inspect --store '$S' Bad 2>&1"
expect "tag: an ID is not a name" 1 "crioimg tag: sha256:$H: an image ID, not a name (give a name such as repo:tag)" -- bash -c "'$bin' tag --store '$S' nginx:1.25 sha256:$H 2>&1"
expect "tag: a bare hex ID is not a name" 1 "crioimg tag: $H: an image ID, not a name (give a name such as repo:tag)" -- bash -c "'$bin' tag --store '$S' nginx:1.25 $H 2>&1"
expect "tag: refused ID, index.json unchanged" 0 "" -- bash -c "cp '$S/index.json' '$t/ix.before' && { '$bin' tag --store '$S' nginx:1.25 sha256:$H 2>/dev/null; cmp '$S/index.json' '$t/ix.before'; }"
expect "tag prints the name given" 0 "docker.io/library/other:2" -- "$bin" tag --store "$S" nginx:1.25 other:2
expect "untag one name, printed" 0 "docker.io/library/other:2" -- "$bin" untag --store "$S" other:2
expect "untag: gone" 1 "" -- "$bin" inspect --store "$S" other:2
expect "untag: the digest name" 0 "quay.io/x/y@sha256:$mda" -- "$bin" untag --store "$S" quay.io/x/y@sha256:$mda
expect "untag: the last name removes the image" 0 $'docker.io/library/nginx:1.25\n1' -- bash -c "'$bin' untag --store '$S' nginx:1.25 && '$bin' images --store '$S' --json | nimg"
expect "rmi by ID, the ID printed" 0 "$idb"$'\n0' -- bash -c "'$bin' rmi --store '$S' $idb && '$bin' images --store '$S' --json | nimg"
expect "rmi: every blob gone" 0 "0" -- bash -c "ls '$S/blobs/sha256' | wc -l"
expect "rmi: unknown" 1 "" -- "$bin" rmi --store "$S" nothing
expect "rmi: no NAME is a usage error" 2 "" -- "$bin" rmi --store "$S"
# tag, untag and rmi never create a store; each kind of wrong path has its own message naming it
mkdir "$t/notstore"; : > "$t/afile"
for c in tag untag rmi; do
  expect "$c: missing dir, message" 1 "crioimg $c: $t/nostore: no such directory (no store there; import or pull creates one)" -- bash -c "'$bin' $c --store '$t/nostore' a:1 b:2 2>&1 >/dev/null"
  expect "$c: missing dir not created" 1 "" -- test -e "$t/nostore"
  expect "$c: a file, message" 1 "crioimg $c: $t/afile: is a file, not a store directory" -- bash -c "'$bin' $c --store '$t/afile' a:1 b:2 2>&1 >/dev/null"
  expect "$c: not a store, message" 1 "crioimg $c: $t/notstore: not a store (no oci-layout or index.json; import or pull creates one)" -- bash -c "'$bin' $c --store '$t/notstore' a:1 b:2 2>&1 >/dev/null"
  expect "$c: not a store, left empty" 0 "" -- bash -c "ls -A '$t/notstore'"
done
expect "images: unknown option" 2 "" -- "$bin" images --bogus
# a symlinked blobs/ or blobs/sha256 makes every command fail (never an empty listing, never an index
# rewritten by an untag that took the manifests for broken)
"$bin" import --store "$S" "$t/la:a" sym:1 >/dev/null
for link in blobs blobs/sha256; do
  mv "$S/$link" "$t/moved"; ln -s "$t/moved" "$S/$link"; cp "$S/index.json" "$t/index.before"
  expect "$link as a symlink: images" 1 "crioimg images: $S: unsafe store: $link: a symlink or not a directory (never followed)" -- bash -c "'$bin' images --store '$S' 2>&1"
  expect "$link as a symlink: inspect" 1 "" -- "$bin" inspect --store "$S" sym:1
  expect "$link as a symlink: untag" 1 "" -- "$bin" untag --store "$S" sym:1
  expect "$link as a symlink: rmi" 1 "" -- "$bin" rmi --store "$S" sym:1
  expect "$link as a symlink: tag" 1 "" -- "$bin" tag --store "$S" sym:1 sym:2
  expect "$link as a symlink: import" 1 "" -- "$bin" import --store "$S" "$t/la:a"
  expect "$link as a symlink: the index untouched" 0 "" -- cmp "$S/index.json" "$t/index.before"
  rm "$S/$link"; mv "$t/moved" "$S/$link"
done
expect "sound again: rmi" 0 "$ida" -- "$bin" rmi --store "$S" sym:1
mkdir -p "$t/notalayout"
expect "images: not a layout" 1 "" -- "$bin" images --store "$t/notalayout"
hs=$(dirname "$bin")/host_store
if [ -x "$hs" ]; then expect "examples/host_store: a host's own vtable" 0 "after untagging both names: 0 index entries, 0 blobs" -- bash -c "'$hs' | tail -n 1"; fi

# ---- can-pull, manifest, blob: the options (the network cases are in registry_net.sh) ----
expect "can-pull: no NAME is a usage error" 2 "" -- "$bin" can-pull
expect "can-pull: unknown option" 2 "" -- "$bin" can-pull --bogus x
expect "can-pull: bad --tls-verify" 2 "crioimg can-pull: --tls-verify: invalid value \"maybe\"" -- bash -c "'$bin' can-pull --tls-verify=maybe x 2>&1"
expect "can-pull: bad --platform" 2 "crioimg can-pull: --platform: invalid platform \"linux\" (OS/ARCH[/VARIANT])" -- bash -c "'$bin' can-pull --platform linux x 2>&1"
expect "can-pull: --creds with an empty user" 2 "crioimg can-pull: username can't be empty" -- bash -c "'$bin' can-pull --creds :pw x 2>&1"
expect "can-pull: --creds USER without a terminal" 2 "crioimg can-pull: --creds bob: no password given, and no terminal to ask for one on" -- bash -c "setsid '$bin' can-pull --creds bob x </dev/null 2>&1"
expect "can-pull: only docker:// images" 1 "crioimg can-pull: oci:/tmp/x:y: only docker:// images can be pulled" -- bash -c "'$bin' can-pull oci:/tmp/x:y 2>&1"
# --timeout takes Go's durations or plain seconds; --min-rate BYTES/DURATION; --retry-times N (0: none).
# A valid value gets as far as the name (exit 1); a bad one is a usage error naming it.
for d in 30s 1m30s 250ms 1.5h 0.5 30 2m 1h2m3s 1500us; do
  expect "can-pull: --timeout $d" 1 "crioimg can-pull: oci:/tmp/x:y: only docker:// images can be pulled" -- bash -c "'$bin' can-pull --timeout $d oci:/tmp/x:y 2>&1"
done
for d in bogus 0 0s -1s 1m30 1x s 1..5s ''; do
  expect "can-pull: bad --timeout '$d'" 2 "crioimg can-pull: --timeout: invalid duration \"$d\" (30s, 2m, or seconds)" -- bash -c "'$bin' can-pull --timeout='$d' x 2>&1"
done
expect "can-pull: --min-rate 1024/30s" 1 "crioimg can-pull: oci:/tmp/x:y: only docker:// images can be pulled" -- bash -c "'$bin' can-pull --min-rate 1024/30s oci:/tmp/x:y 2>&1"
for r in 100 0/1s x/1s 100/0 100/ -5/1s; do
  expect "can-pull: bad --min-rate '$r'" 2 "crioimg can-pull: --min-rate: invalid rate \"$r\" (BYTES/DURATION, as 1024/30s)" -- bash -c "'$bin' can-pull --min-rate '$r' x 2>&1"
done
expect "can-pull: --retry-times 0" 1 "crioimg can-pull: oci:/tmp/x:y: only docker:// images can be pulled" -- bash -c "'$bin' can-pull --retry-times 0 oci:/tmp/x:y 2>&1"
expect "can-pull: bad --retry-times" 2 "crioimg can-pull: --retry-times: invalid number \"-1\"" -- bash -c "'$bin' can-pull --retry-times -1 x 2>&1"
expect "blob: -o is required" 2 "" -- "$bin" blob x sha256:$H
# issue 10: what --authfile names is refused at once when it is a FIFO, and no credential is cut short
# by a NUL; Docker's credsStore is refused, not skipped. A loopback server that asks every request for
# Basic credentials makes the client read the auth file.
cat > "$t/srv401.py" <<'PY'
import http.server, socketserver, sys, threading
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(401); self.send_header("WWW-Authenticate", 'Basic realm="r"')
        self.send_header("Content-Length", "0"); self.end_headers()
    do_HEAD = do_GET
    def log_message(self, *a): pass
s = socketserver.TCPServer(("127.0.0.1", 0), H)
open(sys.argv[1] + ".tmp", "w").write(str(s.server_address[1]))
import os; os.rename(sys.argv[1] + ".tmp", sys.argv[1])
threading.Timer(60, s.shutdown).start()   # never outlives the tests
s.serve_forever()
PY
python3 "$t/srv401.py" "$t/port401" & srv=$!
trap 'kill $srv 2>/dev/null; rm -rf "$t"' EXIT
for _ in $(seq 100); do [ -s "$t/port401" ] && break; sleep 0.1; done
P=$(cat "$t/port401" 2>/dev/null || echo 1)
mkfifo "$t/auth-fifo.json"
expect_net "authfile: FIFO refused, never waited on" 1 "crioimg can-pull: 127.0.0.1:$P/x:1: getting username and password: reading $t/auth-fifo.json: a FIFO, not a regular file" -- bash -c "timeout 5 '$bin' can-pull --authfile '$t/auth-fifo.json' 127.0.0.1:$P/x:1 2>&1"
printf '{"auths": {\n"127.0.0.1:%s": {"auth": "dXNlcgBldmlsOnB3"}}}' "$P" > "$t/auth-nul.json"   # user\0evil:pw
expect_net "authfile: NUL in the user name" 1 "crioimg can-pull: 127.0.0.1:$P/x:1: getting username and password: $t/auth-nul.json:2: the \"auth\" field decodes to a user name or password that holds a NUL byte" -- bash -c "timeout 5 '$bin' can-pull --authfile '$t/auth-nul.json' 127.0.0.1:$P/x:1 2>&1"
printf '{"credsStore": "desktop"}' > "$t/auth-store.json"
expect_net "authfile: credsStore refused" 1 "crioimg can-pull: 127.0.0.1:$P/x:1: getting username and password: $t/auth-store.json:1: a credential store (\"credsStore\") is configured; crioimg runs no credential helpers" -- bash -c "timeout 5 '$bin' can-pull --authfile '$t/auth-store.json' 127.0.0.1:$P/x:1 2>&1"
kill $srv 2>/dev/null; wait $srv 2>/dev/null

# ---- conventions (issue 12): one option parser for every command ----
expect "options after the operands" 0 "$("$bin" parse --json nginx)" -- "$bin" parse nginx --json
expect "--opt=value and --opt value" 0 "$("$bin" resolve --registry a.io x)" -- "$bin" resolve x --registry=a.io
expect "a missing value: the message" 2 "crioimg images: option --store needs a value" -- bash -c "'$bin' images --store 2>&1"
expect "a missing value of -o" 2 "crioimg save: option -o needs a value" -- bash -c "'$bin' save x -o 2>&1"
expect "an unknown option is named" 2 "crioimg images: unknown option --stor (crioimg images --help lists the options)" -- bash -c "'$bin' images --stor=x 2>&1"
expect "a flag takes no value" 2 "crioimg parse: option --json takes no value" -- bash -c "'$bin' parse --json=1 x 2>&1"
expect "-- ends the options everywhere" 1 "crioimg inspect: --json: invalid reference format" -- bash -c "'$bin' inspect --store '$S' -- --json 2>&1"
expect "too few operands: usage, exit 2" 2 $'crioimg inspect: too few arguments\nusage: crioimg inspect [--store DIR] NAME|ID' -- bash -c "'$bin' inspect 2>&1"
expect "too many operands: exit 2" 2 "" -- "$bin" resolve a b
expect "- is stdin for digest, after options too" 0 "$(printf abc | sha256sum | sed 's/^/sha256:/')" -- bash -c "printf abc | '$bin' digest - --algorithm sha256"
# ---- help: from the same table as the parser ----
cmds=$("$bin" help --bash-completion | sed -n 's/^    \([a-z-]*\)) opts=.*/\1/p')
expect "completion lists every command of --help" 0 "$(echo "$cmds")" -- bash -c "'$bin' --help | sed -n 's/^  crioimg \([a-z-]*\) .*/\1/p'"
for c in $cmds; do
  expect "$c --help: usage, exit 0" 0 "usage: crioimg $c" -- bash -c "'$bin' $c --help | head -n 1 | cut -d' ' -f1-3"
  expect "$c -h is --help" 0 "$("$bin" $c --help)" -- "$bin" $c -h
  expect "help $c is $c --help" 0 "$("$bin" $c --help)" -- "$bin" help $c
  expect "$c --help after an operand" 0 "$("$bin" $c --help)" -- "$bin" $c x --help
  expect "$c --help has an example" 0 "1" -- bash -c "'$bin' $c --help | grep -c '^Example:'"
  # every option the completion offers is accepted by the parser (a missing value, not an unknown option)
  for o in $("$bin" help --bash-completion | sed -n "s/^    $c) opts=\"\\(.*\\)\" ;;/\\1/p"); do
    case $("$bin" $c "$o" 2>&1 </dev/null) in *"unknown option"*) bad "$c: completion offers $o, the parser refuses it";; *) ok;; esac
  done
done
expect "--help defines the option groups" 0 $'STORE:\nREGISTRY-OPTIONS:\nAUTH-OPTIONS:\nNETWORK-OPTIONS:' -- bash -c "'$bin' --help | grep -E '^[A-Z-]+:$'"
expect "help of an unknown command" 2 "" -- "$bin" help frobnicate
man=$("$bin" help --man)
expect "man page: .TH" 0 ".TH CRIOIMG 1" -- bash -c "printf '%s\n' \"\$1\" | head -n 1 | cut -d' ' -f1-3" _ "$man"
for c in $cmds; do expect "man page: .SS $c" 0 1 -- bash -c "printf '%s\n' \"\$1\" | sed 's/\\\\-/-/g' | grep -cx '.SS $c'" _ "$man"; done
if command -v groff >/dev/null; then expect "man page: groff reads it without a warning" 0 "" -- bash -c "printf '%s\n' \"\$1\" | groff -man -Tutf8 -ww -z 2>&1" _ "$man"; fi
expect "completion: bash reads it" 0 "complete -F _crioimg crioimg" -- bash -c "eval \"\$('$bin' help --bash-completion)\" && complete -p crioimg"
expect "completion: options of images" 0 "--no-trunc" -- bash -c "eval \"\$('$bin' help --bash-completion)\"; COMP_WORDS=(crioimg images --no-t); COMP_CWORD=2; _crioimg; echo \"\${COMPREPLY[*]}\""

# ---- images: crictl's flags (-q, --digests, --no-trunc, -o json|table); --json stays the seed's records ----
SI=$t/si
"$bin" import --store "$SI" "$t/la:a" nginx:1.25 >/dev/null; "$bin" import --store "$SI" "$t/lb:b" b >/dev/null
mda=$(sed -n 's/.*"digest":"sha256:\([0-9a-f]*\)".*/\1/p' "$t/la/index.json"); mdb=$(sed -n 's/.*"digest":"sha256:\([0-9a-f]*\)".*/\1/p' "$t/lb/index.json")
sizeb=$((2000000 + $(stat -c %s "$t/lb/blobs/sha256/$idb")))
expect "images -q: the IDs" 0 "$ida"$'\n'"$idb" -- "$bin" images --store "$SI" -q
expect "images -q FILTER" 0 "$idb" -- "$bin" images -q b --store "$SI"
expect "images --no-trunc: full IDs" 0 "IMAGE                     TAG                 IMAGE ID                                                           SIZE
docker.io/library/nginx   1.25                $ida   1.61kB
docker.io/library/b       latest              $idb   2MB" -- "$bin" images --store "$SI" --no-trunc
expect "images --digests: a DIGEST column" 0 "IMAGE                     TAG                 DIGEST              IMAGE ID            SIZE
docker.io/library/nginx   1.25                ${mda:0:12}        ${ida:0:12}        1.61kB
docker.io/library/b       latest              ${mdb:0:12}        ${idb:0:12}        2MB" -- "$bin" images --store "$SI" --digests
expect "images -o table is the default" 0 "$("$bin" images --store "$SI")" -- "$bin" images --store "$SI" -o table
expect "images -o json: crictl's document" 0 "{
  \"images\": [
    {
      \"id\": \"$idb\",
      \"repoTags\": [
        \"docker.io/library/b:latest\"
      ],
      \"repoDigests\": [
        \"docker.io/library/b@sha256:$mdb\"
      ],
      \"size\": \"$sizeb\",
      \"uid\": null,
      \"username\": \"\",
      \"spec\": null,
      \"pinned\": false
    }
  ]
}" -- "$bin" images --store "$SI" -o json b
expect "images -o=json: valid JSON, every image" 0 "2 ['id', 'repoTags', 'repoDigests', 'size', 'uid', 'username', 'spec', 'pinned']" -- bash -c "'$bin' images --store '$SI' -o=json | python3 -c 'import json,sys; d=json.load(sys.stdin)[\"images\"]; print(len(d), list(d[0]))'"
expect "images -o json: empty" 0 $'{\n  "images": []\n}' -- "$bin" images --store "$t/nothing-here" -o json
expect "images -o json: a filter that names nothing" 0 $'{\n  "images": []\n}' -- "$bin" images --store "$SI" -o json nothing
expect "images -o yaml: usage error" 2 "crioimg images: -o: unknown format \"yaml\" (json or table)" -- bash -c "'$bin' images --store '$SI' -o yaml 2>&1"
expect "images: an invalid FILTER, Go's text, exit 1" 1 "crioimg images: Bad: invalid reference format: repository name must be lowercase" -- bash -c "'$bin' images --store '$SI' Bad 2>&1"
expect "images: an invalid FILTER, no store yet" 1 "crioimg images: Bad: invalid reference format: repository name must be lowercase" -- bash -c "'$bin' images --store '$t/nothing-here' Bad 2>&1"
expect "images: an ID prefix is a FILTER" 0 "$ida" -- "$bin" images --store "$SI" -q "${ida:0:6}"

# ---- write commands: one line a thing done (podman's habit), --json one object ----
SW=$t/sw
expect "import --json" 0 "{\"id\":\"$ida\",\"manifestDigest\":\"sha256:$mda\",\"name\":\"w:1\"}" -- "$bin" import --store "$SW" --json "$t/la:a" w:1
expect "tag: each name given, normalised" 0 $'docker.io/library/w:2\nquay.io/a/b:latest' -- "$bin" tag --store "$SW" w:1 w:2 quay.io/a/b
expect "tag --json" 0 "{\"id\":\"$ida\",\"tagged\":[\"docker.io/library/w:3\"]}" -- "$bin" tag --json --store "$SW" w:1 w:3
expect "tag: an ID among the NEWNAMEs: refused before any name is given, exit 1" 1 "crioimg tag: sha256:$H: an image ID, not a name (give a name such as repo:tag)" -- bash -c "'$bin' tag --store '$SW' w:1 w:4 'sha256:$H' 2>&1"
expect "tag: ... w:4 not given" 1 "crioimg inspect: w:4: image not known" -- bash -c "'$bin' inspect --store '$SW' w:4 2>&1"
expect "untag --json" 0 '{"untagged":["docker.io/library/w:2","docker.io/library/w:3"]}' -- "$bin" untag --store "$SW" w:2 w:3 --json
expect "rmi --json" 0 "{\"deleted\":[\"$ida\"]}" -- "$bin" rmi --store "$SW" --json w:1
expect "rmi --json: nothing done, exit 1" 1 '{"deleted":[]}' -- "$bin" rmi --store "$SW" --json w:1
expect "import LAYOUT:REF prints the ID" 0 "$idb" -- "$bin" import --store "$SW" "$t/lb:b" b
expect_net "pull --json (a file source): one object" 0 "$ida ['id', 'manifestDigest', 'name', 'source', 'blobsFetched', 'blobsSkipped', 'bytesFetched']" -- bash -c "'$bin' pull --store '$SW' --json 'oci:$t/la:a' | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d[\"id\"], list(d))'"
expect "import --json (archive source)" 0 "{\"id\":\"$idb\",\"manifestDigest\":\"sha256:$mdb\",\"name\":\"docker.io/library/c:1\"}" -- "$bin" import --store "$SW" --json "oci:$t/lb:b" c:1

expect "inspect --json is inspect" 0 "$("$bin" inspect --store "$SW" c:1)" -- "$bin" inspect --json --store "$SW" c:1
expect "can-pull --json: taken (the name is what fails here)" 1 "crioimg can-pull: oci:/tmp/x:y: only docker:// images can be pulled" -- bash -c "'$bin' can-pull --json oci:/tmp/x:y 2>&1"

# ---- a name with both a tag and a digest: the digest wins, the tag goes with a note, in every command (CRI-O's
# way); parse alone shows the name as written ----
SD=$t/sd; "$bin" import --store "$SD" "$t/la:a" nginx:1.25 >/dev/null
note() { echo "crioimg $1: note: $2 has both a tag and a digest: the digest wins, the tag \"$3\" is dropped (as CRI-O does)"; }
expect "tag+digest: parse shows both" 0 "quay.io/a/b:1@sha256:$H" -- "$bin" parse "quay.io/a/b:1@sha256:$H"
expect "tag+digest: resolve drops the tag" 0 "quay.io/a/b@sha256:$H" -- "$bin" resolve "quay.io/a/b:1@sha256:$H"
expect "tag+digest: resolve's note on stderr" 0 "$(note resolve "quay.io/a/b:1@sha256:$H" 1)" -- bash -c "'$bin' resolve 'quay.io/a/b:1@sha256:$H' 2>&1 >/dev/null"
expect "tag+digest: inspect finds the image by its digest" 0 "$ida" -- bash -c "'$bin' inspect --store '$SD' 'nginx:9@sha256:$mda' | sed 's/^{\"id\":\"\([0-9a-f]*\)\".*/\1/'"
expect "tag+digest: images FILTER" 0 "$ida" -- "$bin" images -q --store "$SD" "nginx:9@sha256:$mda"
expect "tag+digest: images' note" 0 "$(note images "nginx:9@sha256:$mda" 9)" -- bash -c "'$bin' images -q --store '$SD' 'nginx:9@sha256:$mda' 2>&1 >/dev/null"
expect "tag+digest: tag records NAME@DIGEST" 0 "docker.io/library/x@sha256:$mda" -- "$bin" tag --store "$SD" nginx:1.25 "x:1@sha256:$mda"
expect "tag+digest: tag's digest still checked" 1 "" -- "$bin" tag --store "$SD" nginx:1.25 "x:1@sha256:$H"
expect "tag+digest: untag" 0 "docker.io/library/x@sha256:$mda" -- "$bin" untag --store "$SD" "x:2@sha256:$mda"
expect "tag+digest: no name with a tag and a digest was ever stored" 0 "[\"docker.io/library/nginx:1.25\"]" -- bash -c "'$bin' inspect --store '$SD' nginx:1.25 | sed 's/.*\"names\":\(\[[^]]*\]\).*/\1/'"
expect "tag+digest: rmi" 0 "$ida" -- "$bin" rmi --store "$SD" "nginx:1@sha256:$mda"
expect "tag: a missing source is named once" 1 "crioimg tag: nginx:1.25: image not known" -- bash -c "'$bin' tag --store '$SD' nginx:1.25 y:1 2>&1"

# ---- bad input changes nothing on disk; each message names what the user typed wrong ----
SU=$t/su; "$bin" import --store "$SU" "$t/la:a" u:1 > /dev/null; "$bin" tag --store "$SU" u:1 u:2 > /dev/null
expect "untag: an ID is refused, naming rmi" 1 "crioimg untag: ${ida:0:12}: an image ID, not a name (untag removes names; crioimg rmi ${ida:0:12} removes the image)" -- bash -c "'$bin' untag --store '$SU' '${ida:0:12}' 2>&1"
expect "untag: sha256:ID refused too; the image and its names stay" 0 "docker.io/library/u:1 docker.io/library/u:2" -- bash -c "'$bin' untag --store '$SU' 'sha256:$ida' 2>/dev/null; '$bin' images --store '$SU' -o json | python3 -c 'import json,sys; print(*json.load(sys.stdin)[\"images\"][0][\"repoTags\"])'"
expect "import: an ID as NAME is refused, nothing stored" 1 "crioimg import: sha256:$H: an image ID, not a name (give a name such as repo:tag)" -- bash -c "'$bin' import --store '$t/nsu' '$t/la:a' 'sha256:$H' 2>&1"
expect "import LAYOUT-DIR:REF: a NAME whose digest is not the manifest's is refused" 1 "crioimg import: name x@sha256:$H: its digest is not the image's manifest digest (sha256:$mda)" -- bash -c "'$bin' import --store '$t/nsu' '$t/la:a' 'x@sha256:$H' 2>&1"
expect "import oci:: the same, and no store is left" 0 "crioimg import: oci:$t/la:a: name x@sha256:$H: its digest is not the image's manifest digest (sha256:$mda)|absent" -- bash -c "'$bin' import --store '$t/nsu' 'oci:$t/la:a' 'x@sha256:$H' 2>&1 | tr -d '\n'; echo \"|\$([ -e '$t/nsu' ] && echo there || echo absent)\""
expect "import: a NAME with the manifest's own digest is taken" 0 "$ida" -- "$bin" import --store "$t/nsu2" "oci:$t/la:a" "x@sha256:$mda"
rm -rf "$t/nsu2"
expect "import: a missing source makes no store" 0 "1 absent" -- bash -c "'$bin' import --store '$t/nsu' 'oci:$t/no-such-layout' x:1 2>/dev/null; echo \$? \$([ -e '$t/nsu' ] && echo there || echo absent)"
expect "import: an invalid NAME makes no store" 0 "1 absent" -- bash -c "'$bin' import --store '$t/nsu' '$t/la:a' 'Bad!' 2>/dev/null; echo \$? \$([ -e '$t/nsu' ] && echo there || echo absent)"
mkdir -p "$t/full"; echo keep > "$t/full/notes.txt"
expect "import: a non-empty directory that is no store is refused, untouched" 0 "crioimg import: $t/full: not a store, and not empty: a new store needs a new or empty directory"$'\n'"|notes.txt" -- bash -c "'$bin' import --store '$t/full' '$t/la:a' x:1 2>&1; echo \"|\$(ls -A '$t/full')\"" 
expect "inspect: a store path with no store is named" 1 "crioimg inspect: $t/nsu: no store there (import or pull creates one)" -- bash -c "'$bin' inspect --store '$t/nsu' x:1 2>&1"
expect "unpack: a store path with no store is named" 1 "crioimg unpack: $t/nsu: no store there (import or pull creates one)" -- bash -c "'$bin' unpack --store '$t/nsu' x:1 '$t/bundle-x' 2>&1"
expect "save -o -: no store: named, and no temporary directory left" 0 "crioimg save: $t/nsu: no store there (import or pull creates one)"$'\n'"|" -- bash -c "TMPDIR='$t/tmpd' && mkdir -p \$TMPDIR && export TMPDIR && '$bin' save --store '$t/nsu' -o - x:1 2>&1 | cat; echo \"|\$(ls -A '$t/tmpd')\""
expect "save: prints the PATH it made" 0 "$t/said.tar" -- "$bin" save --store "$SU" --format oci-archive -o "$t/said.tar" u:1
expect "save --json: one object" 0 "{\"output\":\"$t/said2.tar\",\"format\":\"oci-archive\",\"images\":[\"u:1\",\"u:2\"]}" -- "$bin" save --store "$SU" --json --format oci-archive -o "$t/said2.tar" u:1 u:2
expect "save --json -o -: the object on stderr, the archive alone on stdout" 0 "{\"output\":\"-\",\"format\":\"oci-archive\",\"images\":[\"u:1\"]}|ok" -- bash -c "'$bin' save --store '$SU' --json --format oci-archive -o - u:1 2>'$t/said.err' | cmp -s - '$t/said.tar' && echo \"\$(cat '$t/said.err')|ok\""
expect "import -: an archive on stdin (its kind from its entries)" 0 "$ida" -- bash -c "'$bin' import --store '$t/sin' - in:1 < '$t/said.tar'"
expect "import oci-archive:-: the same, said so" 0 "$ida" -- bash -c "'$bin' import --store '$t/sin' oci-archive:- in:2 < '$t/said.tar'"
expect "import docker-archive:- of an OCI archive: refused, naming what the user typed; no temporary left" 1 "crioimg import: docker-archive:-: \"manifest.json\": no such file in the archive"$'\n'"|" -- bash -c "TMPDIR='$t/tmpi' && mkdir -p \$TMPDIR && export TMPDIR && '$bin' import --store '$t/sin' docker-archive:- in:3 < '$t/said.tar' 2>&1; r=\$?; echo \"|\$(ls -A '$t/tmpi')\"; exit \$r"
python3 -c "import sys; h=bytearray(512); h[0:5]=b'xxxxx'; h[124:136]=b'-77777777777'; sys.stdout.buffer.write(bytes(h)*3+bytes(1024))" > "$t/negsize.tar"
expect "import -: a header with a negative size ends the kind test (no endless walk), and the load refuses it" 1 "" -- timeout 10 "$bin" import --store "$t/sin" - n:1 < "$t/negsize.tar"
rm -rf "$t/sin" "$t/tmpi" "$t/negsize.tar"
expect "save: an unknown image named once" 1 "crioimg save: $t/x.tar: image not known: nosuch:1" -- bash -c "'$bin' save --store '$SU' -o '$t/x.tar' nosuch:1 2>&1"
expect "save: a missing directory for PATH: the PATH named, not a temporary" 1 "crioimg save: $t/nodir/x.tar: cannot create it: No such file or directory" -- bash -c "'$bin' save --store '$SU' --format oci-archive -o '$t/nodir/x.tar' u:1 2>&1"
expect "--store= (empty): usage error" 2 "crioimg images: option --store needs a value" -- bash -c "'$bin' images --store= 2>&1"
expect "--authfile: a missing file is said at once" 1 "crioimg can-pull: --authfile $t/no-auth.json: No such file or directory" -- bash -c "'$bin' can-pull --authfile '$t/no-auth.json' 127.0.0.1:1/x:1 2>&1"
# a killed save's temporaries (PATH.crioimg-tmp-PID, a file or an oci-dir directory) go at the next save to PATH
dead=$(sh -c 'echo $$'); mkdir -p "$t/sv" "$t/sv/d.crioimg-tmp-$dead/blobs"
echo half > "$t/sv/x.tar.crioimg-tmp-$dead"; echo other > "$t/sv/y.tar.crioimg-tmp-$dead"; echo mine > "$t/sv/x.tar.crioimg-tmp-$$"
"$bin" save --store "$SU" --format oci-archive -o "$t/sv/x.tar" u:1 && "$bin" save --store "$SU" --format oci-dir -o "$t/sv/d" u:1
expect "save: a dead save's temporaries for the same PATH are gone; others stay" 0 "d x.tar x.tar.crioimg-tmp-$$ y.tar.crioimg-tmp-$dead" -- bash -c "ls '$t/sv' | tr '\n' ' ' | sed 's/ \$//'"
rm -rf "$SU" "$t/full" "$t/sv" "$t/tmpd"

# ---- a store another process holds: the wait is said after a second, then the command goes on ----
"$bin" import --store "$t/lk" "$t/la:a" lk:1 > /dev/null
flock "$t/lk/.crioimg.lock" sleep 1.6 & holder=$!
sleep 0.3
expect "store lock held elsewhere: rmi waits, says so once, then removes" 0 "$ida|crioimg: warning: waiting for the lock of store $t/lk: another process is using it" -- bash -c "o=\$('$bin' rmi --store '$t/lk' lk:1 2>'$t/lk.err'); echo \"\$o|\$(cat '$t/lk.err')\""
wait "$holder"
expect "store lock free: no wait, nothing said" 0 "" -- bash -c "'$bin' images -q --store '$t/lk' 2>&1"
rm -rf "$t/lk"

# ---- "-": stdin for an input, stdout for -o ----
expect "parse: - reads stdin, in place" 0 $'docker.io/library/x\ndocker.io/library/a\ndocker.io/library/b\ndocker.io/library/y' -- bash -c "printf 'a\nb\n' | '$bin' parse x - y"
"$bin" import --store "$t/ss" "$t/la:a" s:1 >/dev/null
expect "save -o -: the same bytes as save -o FILE, no temporary left" 0 "" -- bash -c "'$bin' save --store '$t/ss' --format oci-archive -o '$t/o1.tar' s:1 >/dev/null && '$bin' save --store '$t/ss' --format=oci-archive -o - s:1 | cmp - '$t/o1.tar' && ! ls -d \"\${TMPDIR:-/tmp}\"/crioimg-save.* 2>/dev/null | grep -q ."
# (layout.sh's configs list no diff_ids: a docker-archive of them fails, which is what this row wants)
expect "save -o - that fails: exit 1, nothing on stdout, no temporary left" 1 "" -- bash -c "'$bin' save --store '$t/ss' -o - s:1; rc=\$?; ! ls -d \"\${TMPDIR:-/tmp}\"/crioimg-save.* 2>/dev/null | grep -q . && exit \$rc; exit 9"
expect "save -o - of an unknown image: exit 1, nothing on stdout" 1 "" -- "$bin" save --store "$t/ss" -o - no/such:1
expect "save --format oci-dir -o -: usage error" 2 "crioimg save: -o -: oci-dir is a directory, not a stream" -- bash -c "'$bin' save --store '$t/ss' --format oci-dir -o - s:1 2>&1 >/dev/null"

# ---- exit status after a signal: 130 after SIGINT, 143 after SIGTERM (a registry that never answers) ----
cat > "$t/stall.py" <<'PY'
import socket, sys, threading, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", 0)); s.listen(16)
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1]))
import os; os.rename(sys.argv[1] + ".tmp", sys.argv[1])
held = []
threading.Timer(60, lambda: os._exit(0)).start()   # never outlives the tests
while True:
    c, _ = s.accept(); held.append(c)                  # read nothing, answer nothing
    open(sys.argv[1] + ".conn", "a").write("x\n")
PY
python3 "$t/stall.py" "$t/stallport" & stall=$!
for _ in $(seq 100); do [ -s "$t/stallport" ] && break; sleep 0.1; done
SP=$(cat "$t/stallport" 2>/dev/null || echo 1)
# sig SIGNAL ARGS...: crioimg ARGS in the background until it has connected, then the signal; its exit status
sig() {
  local s=$1 pid n0 rc; shift
  n0=$(cat "$t/stallport.conn" 2>/dev/null | wc -l)
  "$bin" "$@" >/dev/null 2>"$t/sig.err" & pid=$!
  for _ in $(seq 100); do [ "$(cat "$t/stallport.conn" 2>/dev/null | wc -l)" -gt "$n0" ] && break; sleep 0.05; done
  kill -s "$s" $pid; wait $pid; rc=$?
  echo "$rc"
}
expect_net "pull, SIGTERM while the registry stalls: 143" 0 143 -- sig TERM pull --store "$t/sigstore" "127.0.0.1:$SP/x:1"
expect_net "pull, SIGINT while the registry stalls: 130" 0 130 -- sig INT pull --store "$t/sigstore" "127.0.0.1:$SP/x:1"
expect_net "can-pull, SIGINT: 130" 0 130 -- sig INT can-pull "127.0.0.1:$SP/x:1"
expect_net "manifest, SIGTERM: 143" 0 143 -- sig TERM manifest "127.0.0.1:$SP/x:1"
expect_net "pull after a signal: no image recorded" 0 "" -- "$bin" images --store "$t/sigstore" -q
expect_net "a signal is caught: the command says why it stopped" 0 "crioimg manifest: 127.0.0.1:$SP/x:1: pinging container registry 127.0.0.1:$SP: cancelled" -- cat "$t/sig.err"
# --timeout bounds the whole command, retries included (without it, 5 retries of a 1 s header timeout
# took over a minute); a single request's own timeout, when it trips first, keeps its words
expect_net "--timeout 1s with retries against a stall: exit 1 within 4 s" 0 "1 fast" -- bash -c "s=\$(date +%s); '$bin' can-pull --timeout 1s --retry-times 5 127.0.0.1:$SP/x:1 2>'$t/to.err'; rc=\$?; [ \$((\$(date +%s) - s)) -le 4 ] && echo \"\$rc fast\" || echo \"\$rc slow\""
expect_net "--timeout: the message names it" 0 "crioimg can-pull: --timeout 1s: the command did not finish in time" -- tail -n 1 "$t/to.err"
# --log-level=debug (-v): each HTTP request and how it ended, on stderr
expect_net "-v: the request, how it ended and its time, on stderr" 0 "1" -- bash -c "'$bin' can-pull -v --timeout 1s --retry-times 0 127.0.0.1:$SP/x:1 2>&1 >/dev/null | grep -c '^crioimg: debug: GET https://127.0.0.1:$SP/v2/: failed after [0-9]* ms: '"
expect_net "--log-level=debug is -v" 0 "1" -- bash -c "'$bin' can-pull --log-level=debug --timeout 1s --retry-times 0 127.0.0.1:$SP/x:1 2>&1 >/dev/null | grep -c '^crioimg: debug: GET https://127.0.0.1:$SP/v2/: failed after [0-9]* ms: '"
expect_net "--log-level=info: no debug line" 0 "0" -- bash -c "'$bin' can-pull --log-level info --timeout 1s --retry-times 0 127.0.0.1:$SP/x:1 2>&1 >/dev/null | grep -c debug; true"
# a wait of a second or more is told unasked on a terminal (as progress is drawn there), not in a script
if command -v script >/dev/null; then
  cs=$(mktemp -d)
  expect "on a terminal: the first import into a new store says it created one" 0 "crioimg import: created a new store in $cs/new" -- \
    bash -c "script -qfc \"'$bin' import --store '$cs/new' '$t/lb:b' b 2>&1 >/dev/null\" /dev/null | tr -d '\\r' | grep '^crioimg import: created'"
  expect "on a terminal: the second import into it says nothing of the kind" 1 "" -- \
    bash -c "script -qfc \"'$bin' import --store '$cs/new' '$t/lb:b' b 2>&1 >/dev/null\" /dev/null | tr -d '\\r' | grep '^crioimg import: created'"
  rm -rf "$cs"
  expect_net "on a terminal: a retry's wait is announced" 0 "1" -- bash -c "script -qfc \"'$bin' can-pull --retry-times 1 127.0.0.1:1/x:1\" /dev/null | tr -d '\\r' | grep -c '^crioimg: warning: retrying GET http://127.0.0.1:1/v2/ in 1000 ms'"
fi
# not a terminal: said on stderr all the same, after the command's own output, once; a failed command
# takes its new store away again and so says nothing of one
expect "a new store is said on stderr, after the ID" 0 "$idb|crioimg import: created a new store in $t/ns" -- \
  bash -c "'$bin' import --store '$t/ns' '$t/lb:b' b >'$t/ns.out' 2>'$t/ns.err'; paste '$t/ns.out' '$t/ns.err' -d '|'"
expect "an existing store is not" 0 "$idb" -- "$bin" import --store "$t/ns" "$t/lb:b" b
expect "a failed import into a new store: its error alone, no store left" 0 "crioimg import: $t/lb:nope: image not known: nope"$'\n'"|1|gone" -- \
  bash -c "'$bin' import --store '$t/ns2' '$t/lb:nope' x:1 2>&1; echo \"|\$?|\$([ -e '$t/ns2' ] && echo left || echo gone)\""
expect_net "not a terminal: the retry's wait is announced too, then the one-line error" 0 "crioimg: warning: retrying GET http://127.0.0.1:1/v2/ in 1000 ms (try 2 of 2): 2" -- bash -c "'$bin' can-pull --retry-times 1 127.0.0.1:1/x:1 2>&1 | sed -n '1s/): .*/): /p; \$=' | paste -sd ''"
expect_net "--log-level error: only the error" 0 "1" -- bash -c "'$bin' can-pull --log-level error --retry-times 1 127.0.0.1:1/x:1 2>&1 | wc -l"
expect "--log-level: an unknown level" 2 "crioimg can-pull: --log-level: unknown level \"loud\" (debug, info, warn or error)" -- bash -c "'$bin' can-pull --log-level loud x 2>&1"
kill $stall 2>/dev/null; wait $stall 2>/dev/null

# ---- bad input changes nothing; errors name what the user typed wrong (a fresh-eyes audit, stop 22) ----
SB=$t/sb
mklayout "$t/lsb" sb 31 700 >/dev/null
"$bin" import --store "$SB" "$t/lsb:sb" sb:1 >/dev/null 2>&1
cp "$SB/index.json" "$t/sb.ix"
expect "tag: one bad NEWNAME among good ones: Go's words, exit 1" 1 "crioimg tag: Bad:2: invalid reference format: repository name must be lowercase" -- bash -c "'$bin' tag --store '$SB' sb:1 good:1 Bad:2 2>&1"
expect "tag: ... and no name given at all" 0 "" -- cmp "$SB/index.json" "$t/sb.ix"
expect "tag: a digest NEWNAME that is not the image's: nothing given" 1 "0" -- bash -c "'$bin' tag --store '$SB' sb:1 good:2 'x@sha256:$H' 2>/dev/null; r=\$?; cmp -s '$SB/index.json' '$t/sb.ix'; echo \$?; exit \$r"
expect "untag: one unknown name among known: nothing removed" 1 "crioimg untag: nosuch:1: image not known"$'\n'"|same" -- bash -c "'$bin' untag --store '$SB' sb:1 nosuch:1 2>&1; r=\$?; cmp -s '$SB/index.json' '$t/sb.ix' && echo '|same' || echo '|changed'; exit \$r" 
expect "rmi: one unknown name among known: nothing removed" 1 "same" -- bash -c "'$bin' rmi --store '$SB' sb:1 nosuch:3 2>/dev/null; r=\$?; cmp -s '$SB/index.json' '$t/sb.ix' && echo same || echo changed; exit \$r"
expect "an option where a value belongs: needs a value" 2 "crioimg import: option --store needs a value (--json is an option; --store=--json gives a value that starts with -)" -- bash -c "cd '$t' && '$abs' import '$t/lsb:sb' x:1 --store --json 2>&1; r=\$?; [ -e '$t/--json' ] && echo 'a store named --json'; exit \$r"
expect "images --store -q: needs a value, not an empty listing" 2 "crioimg images: option --store needs a value (-q is an option; --store=-q gives a value that starts with -)" -- bash -c "'$bin' images --store -q 2>&1"
expect "a negative number is still a value, refused by its own check" 2 "crioimg can-pull: --retry-times: invalid number \"-2\"" -- bash -c "'$bin' can-pull --retry-times -2 x 2>&1"
expect "--timeout that took NAME: an invalid duration, not too few arguments" 2 "crioimg can-pull: --timeout: invalid duration \"127.0.0.1:1/x:1\" (30s, 2m, or seconds)" -- bash -c "'$bin' can-pull --timeout 127.0.0.1:1/x:1 2>&1"
mkdir "$t/half"; cp "$SB/oci-layout" "$t/half/"
expect "a store without index.json: the store named, not the image argument" 1 "crioimg tag: $t/half: index.json is missing" -- bash -c "'$bin' tag --store '$t/half' a:1 b:1 2>&1"
echo garbage > "$t/half/index.json"
expect "import into a store whose index is unreadable: refused before any blob, naming the store" 1 "crioimg import: $t/half: index.json: expected a value, found 'g'"$'\n'"|0 blobs" -- bash -c "'$bin' import --store '$t/half' '$t/lsb:sb' x:1 2>&1; r=\$?; echo \"|\$(ls '$t/half/blobs/sha256' 2>/dev/null | wc -l) blobs\"; exit \$r"
expect "a store path through a file: not a directory" 1 "crioimg tag: $t/afile/sub: not a directory (part of the path is a file) (no store there; import or pull creates one)" -- bash -c ": > '$t/afile'; '$bin' tag --store '$t/afile/sub' a b 2>&1"
expect "import of something that is no source: named" 2 "crioimg import: $t/afile: not an image source (oci:DIR[:REF], oci-archive:FILE[:REF], docker-archive:FILE, dir:DIR, LAYOUT-DIR:REF or - for an archive on stdin)" -- bash -c "'$bin' import --store '$SB' '$t/afile' 2>&1"
expect "blob: a DIGEST that is none is said before any request" 1 "crioimg blob: sha256:zz: invalid checksum digest length" -- bash -c "'$bin' blob -o '$t/bz' 127.0.0.1:1/x:1 sha256:zz 2>&1"
# - is stdin for the input file options too, once
expect "--registries-conf -: read from stdin" 0 "quay.io/nginx:latest" -- bash -c "printf 'unqualified-search-registries = [\"quay.io\"]\n' | '$bin' resolve --registries-conf - nginx"
expect "stdin is read once: two inputs that are - refused" 2 "crioimg pull: stdin can be read once: only one of the inputs may be -" -- bash -c "echo x | '$bin' pull --store '$SB' --policy - --authfile - x 2>&1"
# --timeout bounds every command: a wait for a lock another process holds ends, exit 1, store unchanged
exec 9>>"$SB/.crioimg.lock"; flock 9   # this shell holds the lock (released when fd 9 closes below)
expect "--timeout on a store command waiting for the lock: stopped in time, exit 1" 0 "1 fast|crioimg tag: --timeout 1s: the command did not finish in time" -- bash -c "s=\$(date +%s); '$bin' tag --timeout 1s --store '$SB' sb:1 late:1 2>'$t/lk.err'; rc=\$?; [ \$((\$(date +%s) - s)) -le 3 ] && echo \"\$rc fast|\$(tail -n 1 '$t/lk.err')\" || echo \"\$rc slow\""
exec 9>&-
expect "... and nothing changed" 0 "" -- cmp "$SB/index.json" "$t/sb.ix"
# the stdin copies live nowhere anyone has to clean: import - leaves nothing in TMPDIR, even killed
mkdir "$t/tmpd"
"$bin" save --store "$SB" --format oci-archive -o "$t/sb.tar" sb:1 >/dev/null
expect "import -: nothing left in TMPDIR" 0 "0" -- bash -c "TMPDIR='$t/tmpd' '$bin' import --store '$t/s-in' - sb:1 < '$t/sb.tar' >/dev/null 2>&1; ls -A '$t/tmpd' | wc -l"
expect "import - killed while it reads stdin: nothing left in TMPDIR" 0 "0" -- bash -c "{ cat '$t/sb.tar'; sleep 3; } | TMPDIR='$t/tmpd' '$bin' import --store '$t/s-in2' - sb:1 >/dev/null 2>&1 & p=\$!; sleep 0.5; kill -9 \$p; wait \$p 2>/dev/null; ls -A '$t/tmpd' | wc -l"
mkdir -p "$t/tmpd/crioimg-save.999999.abcdef"; : > "$t/tmpd/crioimg-save.999999.abcdef/archive.tar"
expect "save -o -: a spool a killed save left (its process gone) is taken away" 0 "0" -- bash -c "TMPDIR='$t/tmpd' '$bin' save --store '$SB' --format oci-archive -o - sb:1 | cmp -s - '$t/sb.tar' && ls -A '$t/tmpd' | wc -l"

# ---- make install: the header, the tool, the man page and the completion (run when the tool is up to date) ----
root=$(cd "$(dirname "$0")/.." && pwd); bdir=$(cd "$(dirname "$bin")" && pwd)
if [ "$(basename "$bin")" != crioimg ]; then
  # a cross build run through its qemu or tcc wrapper (make test-arm64, test-armhf ...): make install
  # would run the build's own tool to write the man page; the native runs test it
  echo "SKIP: make install: $bin is a wrapper around another build's tool"
elif make -s -q -C "$root" B="$bdir" "$bdir/crioimg" 2>/dev/null; then
  expect "make install DESTDIR PREFIX" 0 "" -- make -s -C "$root" B="$bdir" install DESTDIR="$t/inst" PREFIX=/usr/local
  expect "install: the files" 0 $'/usr/local/bin/crioimg\n/usr/local/include/crioimg.h\n/usr/local/share/bash-completion/completions/crioimg\n/usr/local/share/man/man1/crioimg.1' -- bash -c "cd '$t/inst' && find . -type f | sed 's/^\\.//' | sort"
  expect "install: the installed tool runs" 0 "crioimg 0.1.0" -- "$t/inst/usr/local/bin/crioimg" --version
  expect "install: the header is the repository's" 0 "" -- cmp "$t/inst/usr/local/include/crioimg.h" "$root/crioimg.h"
  expect "install: the man page is help --man" 0 "$("$bin" help --man)" -- cat "$t/inst/usr/local/share/man/man1/crioimg.1"
  expect "install: the man page has .TH and every command" 0 "$(echo "$cmds" | wc -l)" -- bash -c "grep -q '^\\.TH CRIOIMG 1' '$t/inst/usr/local/share/man/man1/crioimg.1' && sed 's/\\\\-/-/g' '$t/inst/usr/local/share/man/man1/crioimg.1' | grep -cxE '\\.SS ($(echo $cmds | tr ' ' '|'))'"
  expect "install: the completion is help --bash-completion" 0 "$("$bin" help --bash-completion)" -- cat "$t/inst/usr/local/share/bash-completion/completions/crioimg"
else
  echo "SKIP: make install: $bdir/crioimg is not up to date with the sources"
fi

[ "$skipped" = 0 ] || echo "$skipped skipped: no HTTP transport in this build"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
