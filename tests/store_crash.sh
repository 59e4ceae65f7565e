#!/usr/bin/env bash
# Crash test: crioimg killed with SIGKILL in the middle of changing the store (importing a 30 MB image,
# removing it, adding and removing names), again and again. After each kill the store must open
# clean and list exactly what it listed before the change or what it lists after it, never a broken
# image; every blob under its digest's name must hash to it; leftover temporary files go at the next
# change. Usage: tests/store_crash.sh CRIOIMG [ROUNDS]
set -uo pipefail
bin=${1:?usage: tests/store_crash.sh path/to/crioimg [rounds]}
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
rounds=${2:-60}
. "$(dirname "$0")/layout.sh"
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
S=$t/store
names() { "$bin" images --store "$S" --json | sed 's/.*"names":\[\([^]]*\)\].*/\1/' | tr ',' '\n' | tr -d '"' | grep . | sort; }
mklayout "$t/base" base 1 1000 >/dev/null
mklayout "$t/big" big 2 30000000 >/dev/null
"$bin" import --store "$S" "$t/base:base" base:1 >/dev/null || bad "setup"
killed=0
for i in $(seq 1 "$rounds"); do
  before=$(names)
  case $((i % 3)) in
    0|1) if grep -qx docker.io/library/big:latest <<<"$before"; then
           op=(rmi big); after=$(grep -vx docker.io/library/big:latest <<<"$before")
         else
           op=(import "$t/big:big"); after=$(printf '%s\ndocker.io/library/big:latest\n' "$before" | grep . | sort)
         fi ;;
    2)   n=docker.io/library/t$((i % 4)):latest
         if grep -qx "$n" <<<"$before"; then op=(untag "$n"); after=$(grep -vx "$n" <<<"$before")
         else op=(tag base:1 "$n"); after=$(printf '%s\n%s\n' "$before" "$n" | grep . | sort); fi ;;
  esac
  "$bin" "${op[0]}" --store "$S" "${op[@]:1}" >/dev/null 2>&1 &
  pid=$!
  # kill somewhere inside the change: an import takes ~100 ms here, the others a few ms
  if [ "${op[0]}" = import ]; then ms=$((RANDOM % 120)); else ms=$((RANDOM % 6)); fi
  sleep "0.$(printf '%03d' "$ms")"
  kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  [ $? = 137 ] && killed=$((killed + 1))
  now=$(names) || { bad "round $i: the store does not list after a kill (${op[*]})"; continue; }
  if [ "$now" = "$before" ] || [ "$now" = "$after" ]; then ok; else bad "round $i (${op[*]}): listed [$now], want [$before] or [$after]"; fi
  # never a broken image: every listed image has all its blobs (size known) and can be inspected
  if "$bin" images --store "$S" --json | grep -q '"size":null'; then bad "round $i: an image with a missing blob"; else ok; fi
done
# every blob file holds what its name says (a killed write never lands under a digest's name)
badblobs=0
for f in "$S"/blobs/sha256/*; do
  [ -e "$f" ] || continue
  [ "$(sha256sum "$f" | cut -c1-64)" = "$(basename "$f")" ] || badblobs=$((badblobs + 1))
done
[ "$badblobs" = 0 ] && ok || bad "$badblobs blobs do not match their names"
"$bin" tag --store "$S" base:1 final:1 >/dev/null && ok || bad "a change after the kills"
[ -z "$(ls -A "$S" | grep '^\.crioimg-tmp-')" ] && ok || bad "temporary files left after a change"
echo "killed $killed of $rounds changes in flight" >&2
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
