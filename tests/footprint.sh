#!/usr/bin/env bash
# The footprint targets (issue 13) as tests: bench/footprint/run --check --no-cli, one check per use case
# with a target (parse <= 12 KB, resolve <= 40 KB, list a store <= 64 KB), as the script judges them on
# x86-64. The targets are gcc's on x86-64: with another compiler or on another machine the suite is
# skipped. armhf is left out here (ARMHF_CC=none): no target is judged there, and it would double the time.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
cc=${CC:-gcc}
if ! command -v "$cc" >/dev/null || ! "$cc" --version 2>/dev/null | grep -q 'Free Software Foundation'; then
  echo "footprint: $cc is not gcc (the targets are gcc's): skipped" >&2; echo "0 passed, 0 failed"; exit 0
fi
case $("$cc" -dumpmachine 2>/dev/null) in
  x86_64-*) ;;
  *) echo "footprint: $cc does not build for x86-64 (the targets are for x86-64): skipped" >&2; echo "0 passed, 0 failed"; exit 0 ;;
esac
out=$(CC="$cc" ARMHF_CC=none OUT=build/footprint-test bench/footprint/run --check --no-cli 2>&1); rc=$?
# Every target is met now (list since branch foot2), so each fails when it regresses. FOOTPRINT_OPEN names
# use cases (space-separated) whose target is not reached yet: those are reported on a SKIP line, in make
# test's summary, instead of failing every run (none by default).
open_cases=${FOOTPRINT_OPEN:-}
pass=0 fail=0 open=0
while IFS= read -r l; do
  read -r _ name _ <<< "$l"
  case "$l" in
    "x86-64 "*"target "*": met") pass=$((pass + 1)) ;;
    "x86-64 "*"target "*)
      if [[ " $open_cases " == *" $name "* ]]; then open=$((open + 1)); echo "SKIP: $l (not reached yet: issue 13)"
      else fail=$((fail + 1)); echo "FAIL: $l" >&2; fi ;;
  esac
done <<< "$out"
# --check exits 1 exactly when a target is not met, which the rows above count already
[ "$rc" = 0 ] || [ "$fail" != 0 ] || [ "$open" != 0 ] || { fail=$((fail + 1)); echo "FAIL: bench/footprint/run exited $rc: $(tail -n 5 <<< "$out")" >&2; }
[ $((pass + fail + open)) -ge 3 ] || { fail=$((fail + 1)); echo "FAIL: $((pass + fail + open)) verdicts, want 3: $out" >&2; }
[ "$fail" = 0 ] || echo "$out" >&2
echo "$pass passed, $fail failed"
