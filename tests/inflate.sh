#!/usr/bin/env bash
# crioimg's inflate against gzip -dc (and libdeflate-gunzip -c, when installed) on real files: gzip -c
# at levels 1, 6 and 9 of text, binaries, a tar of a directory, random bytes, zeros, empty input, and
# multi-member files; python's zlib for raw DEFLATE streams (several strategies and window sizes). The
# decoded bytes' sha256 must be the reference's. Then what must fail: truncated files, trailing garbage,
# a corrupted CRC, the output limit.
#   tests/inflate.sh [BUILD_DIR]      uses BUILD_DIR/inflate_gunzip (build/inflate_gunzip)
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
B=${1:-build}
bin=$B/inflate_gunzip
[ -x "$bin" ] || { echo "inflate.sh: no $bin (make $bin)"; echo "0 passed, 1 failed"; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
t() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1" >&2; fi; }
sha() { sha256sum | cut -d' ' -f1; }
have_libdeflate=0; command -v libdeflate-gunzip >/dev/null && have_libdeflate=1

# inputs: a few MB of different kinds
cp /etc/services "$tmp/text" 2>/dev/null || seq 1 200000 > "$tmp/text"
cp "$(command -v gcc || command -v sh)" "$tmp/binary"
tar cf "$tmp/dir.tar" -C /usr/share/doc --exclude='*.gz' . 2>/dev/null || true
head -c 6000000 "$tmp/dir.tar" > "$tmp/tar"; rm -f "$tmp/dir.tar"
head -c 1500000 /dev/urandom > "$tmp/random"
head -c 3000000 /dev/zero > "$tmp/zeros"
: > "$tmp/empty"
for f in text binary tar random zeros empty; do
  for l in 1 6 9; do
    gzip -"$l" -c < "$tmp/$f" > "$tmp/$f.$l.gz"
    want=$(gzip -dc < "$tmp/$f.$l.gz" | sha)
    t "$f at level $l" '[ "$("$bin" "$tmp/$f.$l.gz" | sha)" = "$want" ]'
    [ $have_libdeflate = 1 ] && t "$f at level $l (libdeflate agrees)" '[ "$(libdeflate-gunzip -c < "$tmp/$f.$l.gz" | sha)" = "$want" ]'
  done
done
# stdin, and a multi-member file of several kinds
t "stdin" '[ "$("$bin" < "$tmp/tar.6.gz" | sha)" = "$(sha < "$tmp/tar")" ]'
cat "$tmp/text.1.gz" "$tmp/empty.6.gz" "$tmp/binary.9.gz" "$tmp/zeros.6.gz" > "$tmp/multi.gz"
t "multi-member" '[ "$("$bin" "$tmp/multi.gz" | sha)" = "$(gzip -dc < "$tmp/multi.gz" | sha)" ]'
# raw streams from python's zlib
if command -v python3 >/dev/null; then
  python3 - "$tmp" <<'PY'
import sys, zlib
d = sys.argv[1]
data = open(d + "/tar", "rb").read()[:3000000] + open(d + "/binary", "rb").read()[:1000000]
for name, level, wbits, strat in (("l1", 1, -15, 0), ("l9", 9, -15, 0), ("w9", 6, -9, 0), ("huff", 6, -15, zlib.Z_HUFFMAN_ONLY),
                                   ("rle", 6, -15, zlib.Z_RLE), ("fixed", 6, -15, zlib.Z_FIXED), ("store", 0, -15, 0)):
    c = zlib.compressobj(level, zlib.DEFLATED, wbits, 9, strat)
    out = bytearray()
    for i in range(0, len(data), 100000):  # flushes between pieces: block boundaries everywhere
        out += c.compress(data[i:i + 100000]) + c.flush(zlib.Z_SYNC_FLUSH if i % 300000 else zlib.Z_NO_FLUSH)
    out += c.flush()
    open(d + "/raw." + name, "wb").write(out)
open(d + "/raw.want", "wb").write(data)
PY
  want=$(sha < "$tmp/raw.want")
  for r in l1 l9 w9 huff rle fixed store; do
    t "raw DEFLATE ($r)" '[ "$("$bin" --raw "$tmp/raw.$r" | sha)" = "$want" ]'
  done
fi
# failures: truncated at a few offsets, trailing garbage, trailing zeros (accepted), a bad CRC, a bomb
size=$(stat -c %s "$tmp/tar.6.gz")
for cut in 1 10 100 5000 $((size / 2)) $((size - 9)) $((size - 1)); do
  head -c "$cut" "$tmp/tar.6.gz" > "$tmp/cut.gz"
  t "truncated at $cut fails" '! "$bin" "$tmp/cut.gz" >/dev/null 2>"$tmp/err" && grep -q "truncated" "$tmp/err"'
done
{ cat "$tmp/text.6.gz"; printf 'garbage'; } > "$tmp/trail.gz"
t "trailing garbage fails" '! "$bin" "$tmp/trail.gz" >/dev/null 2>"$tmp/err" && grep -q "trailing garbage" "$tmp/err"'
{ cat "$tmp/text.6.gz"; head -c 1000 /dev/zero; } > "$tmp/zpad.gz"
t "trailing zeros are accepted" '[ "$("$bin" "$tmp/zpad.gz" | sha)" = "$(sha < "$tmp/text")" ]'
cp "$tmp/binary.6.gz" "$tmp/crc.gz"
printf '\x00\x00\x00\x00' | dd of="$tmp/crc.gz" bs=1 seek=$(( $(stat -c %s "$tmp/crc.gz") - 8 )) conv=notrunc 2>/dev/null
t "bad CRC fails" '! "$bin" "$tmp/crc.gz" >/dev/null 2>"$tmp/err" && grep -q "CRC-32" "$tmp/err"'
t "output limit: a bomb stops there" '! "$bin" --max 1000000 "$tmp/zeros.9.gz" > "$tmp/out" 2>"$tmp/err" && [ "$(stat -c %s "$tmp/out")" = 1000000 ] && grep -q "limit" "$tmp/err"'
t "output limit: exactly enough" '"$bin" --max 3000000 "$tmp/zeros.9.gz" | cmp -s - "$tmp/zeros"'
t "not gzip fails" '! "$bin" "$tmp/text" >/dev/null 2>&1'
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
