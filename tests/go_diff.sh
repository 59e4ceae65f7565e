#!/usr/bin/env bash
# Differential test: build/crioimg parse --json (and --any) against the Go original, the oracle
# bench/go/refparse.go built from Debian's golang-github-containers-image-dev, on generated references,
# the fuzz corpus and edge cases; every line must be byte-identical. Lines holding '[' are left out:
# bracketed IPv6 hosts are crioimg's deliberate extension, which the Go copy predates.
# Usage: tests/go_diff.sh CRIOIMG.  Skips (0 passed) when go or the Go package is missing.
set -uo pipefail
bin=${1:?usage: tests/go_diff.sh path/to/crioimg}
root=$(cd "$(dirname "$0")/.." && pwd)
out=$root/build/go_diff
gopath=${GOPATH_REF:-/usr/share/gocode}
if ! command -v go >/dev/null || [ ! -d "$gopath/src/github.com/containers/image/docker/reference" ]; then
  echo "go_diff: go or golang-github-containers-image-dev not installed: skipped" >&2
  echo "0 passed, 0 failed"; exit 0
fi
mkdir -p "$out"
if ! GO111MODULE=off GOPATH="$gopath" GOFLAGS= GOCACHE="$out/gocache" go build -o "$out/refparse" "$root/bench/go/refparse.go"; then
  echo "go_diff: cannot build the Go oracle"; echo "0 passed, 1 failed"; exit 1
fi
cc -O2 -o "$out/gen_refs" "$root/bench/gen_refs.c" || { echo "0 passed, 1 failed"; exit 1; }
{
  "$out/gen_refs" 20000
  # every corpus file that is one line
  perl -e 'for (@ARGV) { open(my $f, "<", $_) or next; local $/; my $c = <$f>; $c = "" unless defined $c;
             print "$c\n" unless $c =~ /\n/ }' "$root"/fuzz/corpus/ref/*   # one perl, not a wc per file
  # edge cases: odd bytes, case, lengths, digests
  printf '%s\n' '' ' ' 'a b' 'A' 'a:B' 'Ab/c' 'a/B' 'foo@SHA256:abc' 'K' 'exampl\xe2\x84\xaa.com/foo' 'sha256:abc' \
    'sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff' 'sha512:ff' 'localhost' 'localhost/x' \
    'index.docker.io/x' 'docker.io/x/y' 'docker.io' 'docker.io/' '/x' 'x/' 'a//b' 'a..b' 'a__b' 'a___b' 'a--b' \
    'a.-b' 'x:' 'x@' 'x:@sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff' 'h:99999999999999999999/r'
  printf 'bus\xc3\x89ybox\nbus\xc3\xa9ybox\nfoo:\xc4\xb0x\nbus\xffybox\nx:\xff\nx\x01\nx\t\n'
  printf 'docker.io/library/%0255d\n' 0; printf 'a/%0253d\n' 0; printf 'a/%0254d\n' 0
} | grep -av '\[' > "$out/inputs"
pass=0 fail=0
for mode in "" --any; do
  "$bin" parse --json $mode < "$out/inputs" > "$out/c.out" 2>/dev/null
  rc=$?   # 0, or 1 when some names did not parse; anything else (a crash, a sanitizer) is a failure
  "$out/refparse" $mode < "$out/inputs" > "$out/go.out"
  n=$(wc -l < "$out/go.out")
  if [ "$rc" -gt 1 ]; then
    echo "go_diff${mode:+ $mode}: $bin exited $rc" >&2
    fail=$((fail + n)); continue
  fi
  # every line compared in place: a short output counts its missing lines as failures
  bad=$(paste -d '\n' "$out/c.out" "$out/go.out" | awk 'NR % 2 { a = $0; next } $0 != a { d++ } END { print d + 0 }')
  extra=$(( $(wc -l < "$out/c.out") - n )); [ "$extra" -lt 0 ] && extra=$(( -extra ))
  bad=$((bad + extra))
  fail=$((fail + bad)); pass=$((pass + n - (bad > n ? n : bad)))
  if [ "$bad" != 0 ]; then
    echo "go_diff${mode:+ $mode}: $bad of $n lines differ from Go; first:" >&2
    diff "$out/c.out" "$out/go.out" | head -n 6 >&2
  fi
done
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
