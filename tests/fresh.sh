#!/usr/bin/env bash
# tests/fresh.sh: the README's two commands on a fresh Debian 12, proven in a clean root file system.
#
# As root: makes a Debian 12 (bookworm) minbase root file system with mmdebstrap (installed on the host
# first when missing) from the same package mirror the host uses (its apt sources that name bookworm),
# copies `git archive HEAD` of this repository into it (so only committed files count), and in a chroot
# that shares the host's network (127.0.0.1 is the host's loopback) with /proc, /sys, /dev/pts and
# /dev/shm mounted:
#   1. bad input first, on the untouched system: tools/deps as a user without root or sudo prints the
#      exact install command and exits 1; with the mirror unreachable, and with a package the mirror does
#      not have, it names the packages, exits non-zero and installs nothing;
#   2. the first command, tools/demo, from nothing (it installs its packages, builds, pulls, ...); it must
#      exit 0, print what it promises, and leave no process running;
#   3. the second command's install step (tools/deps test), `make -j2 all` (at -O0), and a quick part of the
#      suites: the unit tests, the CLI tests and the examples (with the README's C example).
# FRESH_FULL=1 runs the whole second command (tools/test) in the chroot instead of 3's suites: about 20
# minutes more on two cores, too long for CI. CI's own machine is a fresh Debian machine where .ci/run
# runs `tools/deps ci` and then `make test`: that is the full proof of the second command.
# Each phase's wall time is printed, and a closing "N passed, N failed" line counts the checks.
# Every mount, process and file made here is gone when it ends, however it ends (the EXIT trap);
# FRESH_KEEP=1 leaves the root file system (unmounted) and says where.
# Environment: FRESH_SUITE (default bookworm), FRESH_MIRROR (one URL instead of the host's sources),
# FRESH_REF (default HEAD), FRESH_FULL, FRESH_KEEP, TMPDIR (where the root file system goes: ~1.5 GiB).
set -uo pipefail
cd "$(dirname "$0")/.."
src=$(pwd)
suite=${FRESH_SUITE:-bookworm}
ref=${FRESH_REF:-HEAD}
pass=0 fail=0
times=()
ok()  { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
say() { printf '\n== fresh: %s\n' "$*"; }
phase_t0=0 phase_name=
phase() { phase_end; phase_name=$1; phase_t0=$SECONDS; say "$1"; }
phase_end() { [ -n "$phase_name" ] && times+=("$(printf '%-58s %5d s' "$phase_name" $((SECONDS - phase_t0)))"); phase_name=; }
summary() {
  phase_end
  echo; echo "== fresh: phases (wall time)"
  local l; for l in "${times[@]}"; do echo "  $l"; done
  echo "$pass passed, $fail failed"
}
die() { bad "$*"; summary; exit 1; }

[ "$(id -u)" = 0 ] || { echo "tests/fresh.sh: needs root (mmdebstrap, chroot and mounts); run it as root or skip it" >&2; exit 1; }
command -v git > /dev/null && git rev-parse --verify -q "$ref^{commit}" > /dev/null ||
  { echo "tests/fresh.sh: needs a git checkout with $ref" >&2; exit 1; }

phase "host: mmdebstrap"
if ! command -v mmdebstrap > /dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  { apt-get install -y -qq --no-install-recommends mmdebstrap > /dev/null 2>&1 ||
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends mmdebstrap > /dev/null; }; } ||
    die "could not install mmdebstrap on the host: apt-get install -y mmdebstrap"
fi
mmdebstrap --version

# the mirror: the host's own apt sources that name the suite (one-line or deb822 files), else FRESH_MIRROR,
# else Debian's default
mirrors=()
if [ -n "${FRESH_MIRROR:-}" ]; then
  mirrors=("$FRESH_MIRROR")
else
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] && grep -v '^[[:space:]]*#' "$f" | grep -qw "$suite" && mirrors+=("$f")
  done
  [ ${#mirrors[@]} -gt 0 ] || mirrors=(http://deb.debian.org/debian)
fi
echo "mirror: ${mirrors[*]}"

base=$(mktemp -d "${TMPDIR:-/var/tmp}/crioimg-fresh.XXXXXX") && base=$(realpath "$base") || die "mktemp failed"
R=$base/root
mounted=()
in_root_pids() {  # the processes whose root directory is the chroot
  local p
  for p in /proc/[0-9]*; do [ "$(readlink "$p/root" 2>/dev/null)" = "$R" ] && echo "${p#/proc/}"; done
}
cleanup() {
  local rc=$? pids i m left
  trap - EXIT INT TERM
  pids=$(in_root_pids)
  if [ -n "$pids" ]; then
    # shellcheck disable=SC2086
    kill $pids 2> /dev/null; sleep 1
    pids=$(in_root_pids); [ -z "$pids" ] || kill -9 $pids 2> /dev/null
  fi
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
    m=${mounted[i]}
    umount "$m" 2> /dev/null || umount -l "$m" 2> /dev/null || echo "fresh: could not unmount $m" >&2
  done
  # anything else mounted under it (mmdebstrap's own, when it was stopped half-way), deepest first
  for m in $(awk -v r="$R" 'index($2, r "/") == 1 { print $2 }' /proc/self/mounts | sort -r); do
    umount "$m" 2> /dev/null || umount -l "$m" 2> /dev/null || echo "fresh: could not unmount $m" >&2
  done
  left=$(awk -v r="$R" 'index($2, r) == 1 { print $2 }' /proc/self/mounts)
  if [ -n "$left" ]; then
    # never remove a tree with a host file system still mounted in it
    echo "fresh: still mounted, $base left in place: $left" >&2
    rc=1
  elif [ "${FRESH_KEEP:-0}" = 1 ]; then
    echo "fresh: kept $R" >&2
  else
    rm -rf --one-file-system "$base"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

phase "rootfs: mmdebstrap --variant=minbase $suite"
if ! mmdebstrap --variant=minbase "$suite" "$R" "${mirrors[@]}" > "$base/mmdebstrap.log" 2>&1; then
  tail -n 20 "$base/mmdebstrap.log" >&2
  die "mmdebstrap could not make the root file system from ${mirrors[*]} (is the mirror reachable?)"
fi
grep -E '^I: success' "$base/mmdebstrap.log"
du -sh "$R" | awk '{ print "root file system: " $1 }'

phase "copy: git archive $ref into /src, mounts"
mkdir -p "$R/src"
git archive "$ref" | tar -x -C "$R/src" || die "git archive $ref failed"
echo "$(git rev-parse --short "$ref"): $(find "$R/src" -type f | wc -l) files"
mnt() { mount "$@" && mounted+=("${*: -1}"); }
# a machine that cannot mount (an unprivileged container) cannot run this test at all: say so and exit 77,
# which .ci/run reports as not run (the documented equivalent is then CI's own fresh machine)
mnt -t proc proc "$R/proc" || { echo "tests/fresh.sh: cannot mount /proc in the chroot here (no privilege?): not run" >&2; summary; exit 77; }
mnt -t sysfs sysfs "$R/sys" || die "mount sysfs"
mkdir -p "$R/dev/pts" "$R/dev/shm"
mnt -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts "$R/dev/pts" || die "mount devpts"
[ -e "$R/dev/ptmx" ] || touch "$R/dev/ptmx"
mnt --bind "$R/dev/pts/ptmx" "$R/dev/ptmx" || die "bind ptmx"
mnt -t tmpfs -o mode=1777 shm "$R/dev/shm" || die "mount /dev/shm"
cp -L /etc/resolv.conf "$R/etc/resolv.conf" 2> /dev/null || true
# no daemon starts from a package's postinst in a chroot (docker-registry's would take port 5000 on the
# host's network and outlive the test): the usual policy-rc.d for chroots and images
printf '#!/bin/sh\nexit 101\n' > "$R/usr/sbin/policy-rc.d"; chmod 755 "$R/usr/sbin/policy-rc.d"

# run a command in the chroot, as root, with a clean environment
PATHS=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
inroot() { chroot "$R" /usr/bin/env -i HOME=/root PATH=$PATHS LANG=C.UTF-8 TERM=dumb /bin/bash -c "cd /src && $1"; }
installed() { chroot "$R" dpkg-query -W -f='${Status}' "$1" 2> /dev/null | grep -q 'install ok installed'; }
nothing_installed() {
  local p; for p in build-essential skopeo docker-registry umoci libcurl4-openssl-dev; do installed "$p" && return 1; done; return 0
}

phase "bad input: no root, no mirror, a package the mirror lacks"
# a user without root, on a system without sudo: the exact command, exit 1
chroot --userspec=nobody:nogroup "$R" /usr/bin/env -i HOME=/tmp PATH=$PATHS LANG=C.UTF-8 /bin/bash -c \
  'cd /src && tools/deps demo' > "$base/nonroot.out" 2>&1; rc=$?
cat "$base/nonroot.out"
if [ "$rc" = 1 ] && grep -q 'sudo apt-get update && sudo apt-get install -y --no-install-recommends .*build-essential.*docker-registry' "$base/nonroot.out"; then ok
else bad "tools/deps demo without root: exit $rc, expected 1 and the sudo apt-get command"; fi
nothing_installed && ok || bad "tools/deps without root installed something"
# the mirror unreachable (a closed port on loopback): the packages named, exit non-zero, nothing installed
srcs=$(cd "$R/etc/apt" && find sources.list sources.list.d -type f 2> /dev/null)
mkdir -p "$base/apt-sources"; (cd "$R/etc/apt" && cp --parents $srcs "$base/apt-sources/")
(cd "$R/etc/apt" && rm -f $srcs)
echo "deb http://127.0.0.1:9/debian $suite main" > "$R/etc/apt/sources.list"
inroot 'tools/deps demo' > "$base/nomirror.out" 2>&1; rc=$?
tail -n 6 "$base/nomirror.out"
if [ "$rc" != 0 ] && grep -q 'tools/deps: .*build-essential' "$base/nomirror.out" && grep -q 'apt-get install' "$base/nomirror.out"; then ok
else bad "tools/deps demo with the mirror unreachable: exit $rc, expected non-zero and the packages named"; fi
nothing_installed && ok || bad "tools/deps with no mirror installed something"
rm -f "$R/etc/apt/sources.list"; cp -a "$base/apt-sources/." "$R/etc/apt/"
# a package the mirror does not have (named through tools/deps's test hook): that one named, nothing installed
inroot 'CRIOIMG_DEPS_EXTRA=crioimg-no-such-package tools/deps demo' > "$base/nopkg.out" 2>&1; rc=$?
tail -n 4 "$base/nopkg.out"
if [ "$rc" != 0 ] && grep -q 'not in the package lists.*crioimg-no-such-package' "$base/nopkg.out"; then ok
else bad "tools/deps with a package the mirror lacks: exit $rc, expected non-zero naming crioimg-no-such-package"; fi
nothing_installed && ok || bad "tools/deps with a missing package installed something"

phase "first command: tools/demo (installs, builds, pulls, lists, inspects, unpacks, saves)"
inroot 'tools/demo' > "$base/demo.out" 2>&1; rc=$?
cat "$base/demo.out"
[ "$rc" = 0 ] && ok || bad "tools/demo exited $rc"
for want in '^\$ build/crioimg pull --store \$DEMO/store 127.0.0.1:[0-9]*/demo/hello:1$' '^[0-9a-f]\{64\}$' \
            '^127.0.0.1:[0-9]*/demo/hello  *1  *[0-9a-f]\{12\}' '"names":\["127.0.0.1:[0-9]*/demo/hello:1"\]' \
            '^crioimg demo$' '^\$ build/crioimg save --store \$DEMO/store -o \$DEMO/hello.tar ' '^sha256:[0-9a-f]\{64\}$' \
            'build/crioimg pull docker.io/library/alpine:3.20'; do
  grep -q -- "$want" "$base/demo.out" && ok || bad "tools/demo's output lacks /$want/"
done
left=$(in_root_pids)
if [ -z "$left" ]; then ok; else bad "tools/demo left processes running: $(ps -o pid=,args= -p $left | tr '\n' ';')"; fi

if [ "${FRESH_FULL:-0}" = 1 ]; then
  phase "second command: tools/test (every suite)"
  inroot 'tools/test' > "$base/test.out" 2>&1; rc=$?
  grep -E '^[a-z(].* passed, .* failed|^skipped|^---|^FAIL' "$base/test.out" | tail -n 60
  line=$(tail -n 1 "$base/test.out"); echo "$line"
  [ "$rc" = 0 ] && ok || bad "tools/test exited $rc: $line"
else
  phase "second command's install step: tools/deps test"
  inroot 'tools/deps test' 2>&1 | tail -n 3; rc=${PIPESTATUS[0]}
  [ "$rc" = 0 ] && ok || bad "tools/deps test exited $rc"
  inroot 'tools/deps test' > "$base/deps2.out" 2>&1; rc=$?
  [ "$rc" = 0 ] && [ ! -s "$base/deps2.out" ] && ok || bad "tools/deps test a second time: exit $rc, said: $(cat "$base/deps2.out")"

  # at -O0: what this proves is that tools/deps test brings everything every build needs (libcurl,
  # mbedtls, the compilers); the optimised builds are CI's own, and -O0 takes a quarter of the CPU time
  phase "make -j2 all (CFLAGS=-O0)"
  inroot 'make -j2 all CFLAGS=-O0' > "$base/make.out" 2>&1; rc=$?
  [ "$rc" = 0 ] && ok || { tail -n 20 "$base/make.out"; bad "make -j2 all exited $rc"; }

  phase "quick suites: unit (C), cli, examples"
  for s in 'build/test_crioimg' 'tests/cli.sh build/crioimg' 'tests/examples.sh build'; do
    t0=$SECONDS
    inroot "$s" > "$base/suite.out" 2>&1; rc=$?
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$base/suite.out" | tail -n 1)
    printf '  %-28s %s (exit %s, %s s)\n' "$s" "${line:-no closing line}" "$rc" $((SECONDS - t0))
    if [ "$rc" = 0 ] && [ -n "$line" ] && [ "${line#* passed, }" = "0 failed" ]; then ok
    else tail -n 30 "$base/suite.out"; bad "$s in the chroot: exit $rc, ${line:-no closing line}"; fi
  done
fi

summary
[ "$fail" = 0 ]
