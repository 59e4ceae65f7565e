#!/usr/bin/env bash
# The stack targets (issue 13) as tests: bench/stack/run at -O2 and -Os, gcc's -fstack-usage: no function
# needs more than 4 KiB, and a whole pull (examples/test_harness.c on a pattern-filled thread stack) stays
# under 32 KiB. One check per line bench/stack/run judges. Skipped without gcc (the frames are gcc's).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
if ! command -v "${CC:-gcc}" >/dev/null || ! "${CC:-gcc}" --version 2>/dev/null | grep -qi gcc; then
  echo "stack: gcc not found: skipped" >&2; echo "0 passed, 0 failed"; exit 0
fi
out=$(OUT=build/stack-test bench/stack/run 2>&1); rc=$?
pass=0 fail=0
while IFS= read -r l; do
  case "$l" in
    "frames ("*"0 functions over"*) pass=$((pass + 1)) ;;
    "frames ("*) fail=$((fail + 1)); echo "FAIL: $l" >&2 ;;
    "pull ("*"target 32768: met") pass=$((pass + 1)) ;;
    "pull ("*) fail=$((fail + 1)); echo "FAIL: $l" >&2 ;;
  esac
done <<< "$out"
[ "$rc" = 0 ] || { fail=$((fail + 1)); echo "FAIL: bench/stack/run exited $rc: $(tail -n 5 <<< "$out")" >&2; }
[ $((pass + fail)) = 4 ] || { fail=$((fail + 1)); echo "FAIL: $((pass + fail)) verdicts, want 4: $out" >&2; }
[ "$fail" = 0 ] || echo "$out" >&2
echo "$pass passed, $fail failed"
