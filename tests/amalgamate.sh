#!/usr/bin/env bash
# tools/amalgamate: deterministic, fails loudly (non-zero, nothing written) on a missing part or an
# unknown option, and --check notices a stale crioimg.h. Runs on a scratch copy of the tree.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/t"; cp -r "$root/src" "$root/tools" "$root/LICENSE" "$root/crioimg.h" "$tmp/t/"
cd "$tmp/t"
pass=0 fail=0
t() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1" >&2; fi; }
t "check passes on the committed header" 'tools/amalgamate --check'
t "two runs give the same bytes" 'tools/amalgamate -o a.h && tools/amalgamate -o b.h && cmp -s a.h b.h && cmp -s a.h crioimg.h'
t "no CR, no date in the output" '! grep -q $'"'"'\r'"'"' crioimg.h && ! grep -qE "20[0-9]{2}-[0-9]{2}-[0-9]{2}" crioimg.h'
t "unknown option fails" '! tools/amalgamate --bogus 2>/dev/null'
cp crioimg.h before.h
echo '/* drift */' >> src/core.h
t "check fails when src changed" '! tools/amalgamate --check 2>/dev/null'
t "a failed check writes nothing" 'cmp -s crioimg.h before.h'
echo 'src/missing.c' >> src/MANIFEST
t "a missing part fails" '! tools/amalgamate 2>/dev/null'
t "a failed run writes nothing" 'cmp -s crioimg.h before.h && [ -z "$(ls -A . | grep "^\.crioimg")" ]'
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
