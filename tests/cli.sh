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
# ---- the store: images, inspect, tag, untag, rmi, import (design.md section 4) ----
. "$(dirname "$0")/layout.sh"
S=$t/store
ida=$(mklayout "$t/la" a 1 1500); idb=$(mklayout "$t/lb" b 2 2000000)
expect "images: a store not made yet is empty" 0 "" -- "$bin" images --store "$S" --json
expect "images: only the header on an empty store" 0 "IMAGE               TAG                 IMAGE ID            SIZE" -- env CRIOIMG_STORE="$S" "$bin" images
expect "import prints the image ID" 0 "$ida" -- "$bin" import --store "$S" "$t/la:a" nginx:1.25 quay.io/x/y@sha256:$H
expect "import: the REF is the name when none given" 0 "$idb" -- "$bin" import --store="$S" "$t/lb:b"
expect "import: a missing image" 1 "" -- "$bin" import --store "$S" "$t/lb:nope"
expect "images: crictl's table (tabwriter 20, 1, 3)" 0 "IMAGE                     TAG                 IMAGE ID            SIZE
docker.io/library/nginx   1.25                ${ida:0:12}        1.61kB
docker.io/library/b       latest              ${idb:0:12}        2MB" -- "$bin" images --store "$S"
expect "images: CRIOIMG_STORE" 0 "2" -- bash -c "CRIOIMG_STORE='$S' '$bin' images --json | wc -l"
expect "images: XDG_DATA_HOME" 0 "0" -- bash -c "XDG_DATA_HOME='$t/xdg' CRIOIMG_STORE= '$bin' images --json | wc -l"
expect "images --json FILTER" 0 "{\"id\":\"$idb\",\"names\":[\"docker.io/library/b:latest\"],\"digests\":[\"docker.io/library/b@$(sed -n 's/.*"digest":"\(sha256:[0-9a-f]*\)".*/\1/p' "$t/lb/index.json")\"],\"size\":$((2000000 + $(stat -c %s "$t/lb/blobs/sha256/$idb"))),\"imageRef\":\"b:latest\"}" -- "$bin" images --store "$S" --json b
expect "images: a filter that names nothing" 0 "" -- "$bin" images --store "$S" --json nothing
expect "inspect by ID prefix" 0 "docker.io/library/nginx:1.25" -- bash -c "'$bin' inspect --store '$S' ${ida:0:5} | sed 's/.*\"names\":\[\"\([^\"]*\)\".*/\1/'"
expect "inspect: containers-storage: name" 0 "$ida" -- bash -c "'$bin' inspect --store '$S' containers-storage:nginx:1.25 | sed 's/.*\"id\":\"\([^\"]*\)\".*/\1/'"
expect "inspect: unknown" 1 "" -- "$bin" inspect --store "$S" nginx:9
expect "inspect: one line on stderr" 1 "crioimg inspect: nginx:9: image not known: nginx:9" -- bash -c "'$bin' inspect --store '$S' nginx:9 2>&1"
expect "inspect: an invalid name" 1 "crioimg inspect: Bad: invalid reference format: repository name must be lowercase" -- bash -c "'$bin' inspect --store '$S' Bad 2>&1"
expect "tag" 0 "" -- "$bin" tag --store "$S" nginx:1.25 other:2
expect "untag one name" 0 "" -- "$bin" untag --store "$S" other:2
expect "untag: gone" 1 "" -- "$bin" inspect --store "$S" other:2
expect "untag: the digest name" 0 "" -- "$bin" untag --store "$S" quay.io/x/y@sha256:$H
expect "untag: the last name removes the image" 0 "1" -- bash -c "'$bin' untag --store '$S' nginx:1.25 && '$bin' images --store '$S' --json | wc -l"
expect "rmi by ID" 0 "0" -- bash -c "'$bin' rmi --store '$S' $idb && '$bin' images --store '$S' --json | wc -l"
expect "rmi: every blob gone" 0 "0" -- bash -c "ls '$S/blobs/sha256' | wc -l"
expect "rmi: unknown" 1 "" -- "$bin" rmi --store "$S" nothing
expect "rmi: no NAME is a usage error" 2 "" -- "$bin" rmi --store "$S"
expect "images: unknown option" 2 "" -- "$bin" images --bogus
mkdir -p "$t/notalayout"
expect "images: not a layout" 1 "" -- "$bin" images --store "$t/notalayout"
hs=$(dirname "$bin")/host_store
if [ -x "$hs" ]; then expect "examples/host_store: a host's own vtable" 0 "after untagging both names: 0 index entries, 0 blobs" -- bash -c "'$hs' | tail -n 1"; fi
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
