#!/usr/bin/env bash
# Differential test of the signature policy parser: crioimg_policy_parse against containers/image's
# signature.NewPolicyFromBytes with every transport registered (tests/go/policy.go, built from Debian's
# golang-github-containers-image-dev), over tests/test_policy.c's parse rows, the fuzz corpus and the
# fixtures. Every line must be identical, except where crioimg's own JSON reader words a syntax error
# (both must refuse), a duplicate key is reported before another error Go meets first (both refuse),
# and a "\u0000" escape, which only crioimg refuses (hardening). Skips (0 passed) without go or the package.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/tests/go/oracle.sh"
go_oracle go_diff_policy signature
# the tags drop what needs C libraries (gpgme, btrfs, devicemapper) and the ostree transport, a stub by default
if ! GO111MODULE=off GOPATH="$gopath" GOFLAGS= GOCACHE="$out/gocache" go build \
     -tags "containers_image_openpgp exclude_graphdriver_btrfs exclude_graphdriver_devicemapper btrfs_noversion containers_image_ostree_stub" \
     -o "$out/policy" "$root/tests/go/policy.go"; then
  echo "go_diff_policy: cannot build the Go oracle"; echo "0 passed, 1 failed"; exit 1
fi
${CC:-cc} -std=c99 -O1 -o "$out/policy_c" "$root/tests/go/policy_c.c" || { echo "0 passed, 1 failed"; exit 1; }
files=("$root"/fuzz/corpus/policy/* "$root"/tests/data/policy/*.json)
"$out/policy_c" d "${files[@]}" > "$out/docs" || { echo "0 passed, 1 failed"; exit 1; }
"$out/policy_c" r "${files[@]}" > "$out/c.out"
"$out/policy" < "$out/docs" > "$out/go.out"
python3 - "$out/c.out" "$out/go.out" <<'PY'
import sys
c = open(sys.argv[1], encoding='utf-8', errors='replace').read().split('\n')[:-1]
g = open(sys.argv[2], encoding='utf-8', errors='replace').read().split('\n')[:-1]
passed = failed = 0
if len(c) != len(g):
    print("go_diff_policy: %d results from crioimg, %d from Go" % (len(c), len(g)), file=sys.stderr); failed += 1
for i, (a, b) in enumerate(zip(c, g)):
    same = a == b or (b.startswith('ERR ') and (a.startswith('ERR line ') or a.startswith('ERR Duplicate key ')))
    if a.startswith('ERR line ') and 'NUL byte' in a:
        same = True  # crioimg's hardening; Go accepts the NUL
    if same: passed += 1
    else:
        failed += 1
        if failed < 10: print("go_diff_policy: document %d:\n  crioimg: %s\n  Go:      %s" % (i + 1, a[:400], b[:400]), file=sys.stderr)
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
PY
