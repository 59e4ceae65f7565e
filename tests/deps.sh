#!/usr/bin/env bash
# tools/deps's refusals, installing nothing and reaching no mirror: run as a user without root (root
# runs it as nobody through setpriv; another user as itself), with a sudo of our own first in PATH (one
# that refuses, or one that only records what it was asked), and a package name no mirror has
# (CRIOIMG_DEPS_EXTRA). tests/fresh.sh does the same against a real mirror, and an unreachable one, in a
# fresh chroot. Closing line: N passed, N failed.
set -uo pipefail
cd "$(dirname "$0")/.."
pass=0 fail=0
ok()  { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
chmod 755 "$W"
cp tools/deps "$W/deps"   # where a user without root can read it, wherever this checkout is
NOPKG=crioimg-no-such-package
# as_user SUDO-KIND CMD...: CMD as a user without root, with $W/SUDO-KIND first in PATH
as_user() {
  local kind=$1; shift
  if [ "$(id -u)" = 0 ]; then
    setpriv --reuid=65534 --regid=65534 --clear-groups env -i HOME="$W" PATH="$W/$kind:$PATH" LANG=C.UTF-8 "$@"
  else
    env -i HOME="$HOME" PATH="$W/$kind:$PATH" LANG=C.UTF-8 "$@"
  fi
}
if [ "$(id -u)" = 0 ] && ! command -v setpriv > /dev/null; then
  echo "deps: setpriv (util-linux) not installed: skipped"; echo "0 passed, 0 failed"; exit 0
fi
mkdir -p "$W/nosudo" "$W/sudo" "$W/sudo-noupdate"
# a sudo that asks for a password (so -n fails)
printf '#!/bin/sh\necho "sudo $*" >> %s/sudo.log\nexit 1\n' "$W" > "$W/nosudo/sudo"
# a sudo that works without a password and only records: apt-get update "succeeds" (and reads nothing
# new: the lists are whatever the system has), install would be recorded, never run
printf '#!/bin/sh\necho "sudo $*" >> %s/sudo.log\nexit 0\n' "$W" > "$W/sudo/sudo"
# a sudo whose apt-get update cannot reach the mirror
printf '#!/bin/sh\necho "sudo $*" >> %s/sudo.log\ncase "$*" in *"apt-get update"*) echo "W: Failed to fetch http://mirror.invalid/debian/dists/bookworm/InRelease" >&2; exit 100;; esac\nexit 0\n' "$W" > "$W/sudo-noupdate/sudo"
chmod 755 "$W"/*/sudo; touch "$W/sudo.log"; chmod 666 "$W/sudo.log"

# 1. no root, no sudo: the exact command, exit 1, nothing run
: > "$W/sudo.log"
as_user nosudo env CRIOIMG_DEPS_EXTRA=$NOPKG "$W/deps" demo > "$W/out" 2>&1; rc=$?
if [ "$rc" = 1 ] && grep -qx "  sudo apt-get update && sudo apt-get install -y --no-install-recommends $NOPKG" "$W/out"; then ok
else bad "no root, no sudo: exit $rc, expected 1 and the sudo apt-get command: $(cat "$W/out")"; fi
grep -q 'apt-get' "$W/sudo.log" && bad "no root, no sudo: sudo was asked to run apt-get" || ok

# 2. sudo without a password, a package the lists lack: named, the sudo command given, nothing installed
: > "$W/sudo.log"
as_user sudo env CRIOIMG_DEPS_EXTRA=$NOPKG "$W/deps" demo > "$W/out" 2>&1; rc=$?
if [ "$rc" = 1 ] && grep -q "not in the package lists of this system's mirror: $NOPKG;" "$W/out" &&
   grep -q "run: sudo apt-get update && sudo apt-get install -y --no-install-recommends $NOPKG" "$W/out"; then ok
else bad "a package the mirror lacks: exit $rc: $(cat "$W/out")"; fi
grep -q 'apt-get install' "$W/sudo.log" && bad "a package the mirror lacks: apt-get install was run: $(cat "$W/sudo.log")" || ok
grep -q 'sudo env DEBIAN_FRONTEND=noninteractive apt-get update' "$W/sudo.log" && ok || bad "sudo was not asked for apt-get update: $(cat "$W/sudo.log")"

# 3. the mirror unreachable: says so, names the packages and the command, nothing installed
: > "$W/sudo.log"
as_user sudo-noupdate env CRIOIMG_DEPS_EXTRA=$NOPKG "$W/deps" demo > "$W/out" 2>&1; rc=$?
if [ "$rc" = 1 ] && grep -q "could not read the package lists from the mirror" "$W/out" &&
   grep -q "needed: $NOPKG; once the mirror answers, run: sudo apt-get update && sudo apt-get install -y --no-install-recommends $NOPKG" "$W/out"; then ok
else bad "mirror unreachable: exit $rc: $(cat "$W/out")"; fi
grep -q 'apt-get install' "$W/sudo.log" && bad "mirror unreachable: apt-get install was run" || ok

# 4. a profile that does not exist: usage, exit 2
as_user nosudo "$W/deps" nonsense > "$W/out" 2>&1; rc=$?
[ "$rc" = 2 ] && grep -q 'usage: tools/deps demo|test|ci' "$W/out" && ok || bad "tools/deps nonsense: exit $rc: $(cat "$W/out")"

# 5. nothing missing (make test installed the test profile first): silent, exit 0, no sudo asked
if [ -z "$(for p in skopeo umoci docker-registry build-essential; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"; done)" ]; then
  : > "$W/sudo.log"
  as_user nosudo "$W/deps" demo > "$W/out" 2>&1; rc=$?
  [ "$rc" = 0 ] && [ ! -s "$W/out" ] && ok || bad "all installed: exit $rc, said: $(cat "$W/out")"
  grep -q apt-get "$W/sudo.log" && bad "all installed: sudo was asked for apt-get" || ok
else
  echo "deps: the demo's packages are not installed: the nothing-missing case skipped"
fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
