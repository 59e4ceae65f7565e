#!/usr/bin/env bash
# The store through the CLI, as a user meets it: the four ways a store path can be wrong (each its own
# message, naming the path), gc and verify (with skopeo and umoci reading the store after gc), imports
# that fail or are killed (nothing left behind), skopeo copy --all and umoci layouts, and tag's refusals.
# Usage: tests/store_cli.sh CRIOIMG
set -uo pipefail
bin=${1:?usage: tests/store_cli.sh path/to/crioimg}
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
. "$(dirname "$0")/layout.sh"
pass=0 fail=0 skipped=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
# expect NAME RC OUT -- CMD...: exit status RC and stdout+stderr exactly OUT ("*" for any output)
expect() {
  local name=$1 want_rc=$2 want_out=$3; shift 4
  local out rc
  out=$("$@" 2>&1); rc=$?
  [ "$rc" = "$want_rc" ] || { bad "$name: exit $rc, want $want_rc ($out)"; return; }
  [ "$want_out" = "*" ] || [ "$out" = "$want_out" ] || { bad "$name: got [$out] want [$want_out]"; return; }
  ok
}
t=$(mktemp -d); trap 'chmod -R u+rwx "$t" 2>/dev/null; rm -rf "$t"' EXIT
chmod 755 "$t"

# ---- opening a store: a file, a missing directory, a permission problem, a directory that is no store ----
: > "$t/afile"; mkdir "$t/empty" "$t/locked"; chmod 000 "$t/locked"
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
mklayout "$t/la" x 1 >/dev/null
for c in images import; do
  arg=(); [ $c = import ] && arg=("$t/la:x")
  expect "$c: a file" 1 "crioimg $c: $t/afile: is a file, not a directory" -- "$bin" $c --store "$t/afile" "${arg[@]}"
done
expect "images: no store there lists nothing" 0 "IMAGE               TAG                 IMAGE ID            SIZE" -- "$bin" images --store "$t/missing"
expect "images: a directory that is no store" 1 "crioimg images: $t/empty: not an OCI image layout (no oci-layout file)" -- "$bin" images --store "$t/empty"
expect "images: nothing written into it" 0 "" -- ls -A "$t/empty"
expect "import: the source is missing" 1 "crioimg import: $t/nolayout: no such directory" -- "$bin" import --store "$t/s0" "$t/nolayout:x"
expect "import: the source is a file" 1 "crioimg import: $t/afile: is a file, not a directory" -- "$bin" import --store "$t/s0" "$t/afile:x"
expect "import: the source is no layout" 1 "crioimg import: $t/empty: not an OCI image layout (no oci-layout file)" -- "$bin" import --store "$t/s0" "$t/empty:x"
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
  for c in images tag; do
    arg=(); [ $c = tag ] && arg=(a:1 b:1)
    expect "$c: permission denied" 1 "crioimg $c: $t/locked: permission denied" -- nobody "$bin" $c --store "$t/locked" "${arg[@]}"
  done
elif [ "$(id -u)" != 0 ]; then
  expect "images: permission denied" 1 "crioimg images: $t/locked: permission denied" -- "$bin" images --store "$t/locked"
else skipped=$((skipped + 1)); fi
chmod 755 "$t/locked"

echo "$pass passed, $fail failed"
[ "$skipped" = 0 ] || echo "$skipped skipped"
[ "$fail" = 0 ]
