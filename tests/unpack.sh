#!/usr/bin/env bash
# crioimg unpack against real peers and a hostile-layer corpus. Usage: tests/unpack.sh CRIOIMG.
#  - images built by umoci (Go's archive/tar writes its layers) and layers written by GNU tar (gnu and
#    posix formats), unpacked by crioimg and by `umoci unpack` (--rootless when not root), the two trees
#    compared entry by entry (type, mode, owner, size, content hash, mtime, symlink target, hard-link
#    identity, xattrs), whiteouts and opaque whiteouts across layers included; gzip layers as umoci
#    wrote them and the same images with uncompressed layers;
#  - hostile layers (tests/unpack_helper.py hostile): each refused, or confined to the destination; nothing
#    is ever written outside it, nothing is left behind when refused, and the store is never modified.
# Skips (0 passed) when umoci or python3 is missing.
set -uo pipefail
bin=${1:?usage: tests/unpack.sh path/to/crioimg}
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
here=$(cd "$(dirname "$0")" && pwd)
H="python3 $here/unpack_helper.py"
if ! command -v umoci >/dev/null || ! command -v python3 >/dev/null; then
  echo "unpack: umoci or python3 not installed: skipped" >&2
  echo "0 passed, 0 failed"; exit 0
fi
pass=0 fail=0
t() { if eval "$2" >"$tmp/out" 2>"$tmp/err"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1" >&2; tail -n 8 "$tmp/out" "$tmp/err" >&2; fi; }
tmp=$(mktemp -d); trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
cd "$tmp"
S=$tmp/store
ci() { "$bin" "$1" --store "$S" "${@:2}"; }
root=0; [ "$(id -u)" = 0 ] && root=1
rootless=; [ $root = 1 ] || rootless=--rootless
umoci_unpack() { umoci unpack $rootless --image "$1" "$2" >/dev/null 2>&1; }
store_sum() { (cd "$S" && find . -type f ! -name .crioimg-cache ! -name .crioimg.lock -print0 | sort -z | xargs -0 sha256sum | sha256sum); }

# ---- an image built by umoci, three layers: files of every kind, then whiteouts, then opaque ----
umoci init --layout img >/dev/null && umoci new --image img:t >/dev/null
umoci_unpack img:t b
R=b/rootfs
mkdir -p $R/etc $R/usr/bin $R/d/sub/deeper $R/opq/old $R/sticky $R/perm
echo hello > $R/etc/hello
head -c 200000 /dev/urandom > $R/usr/bin/big && chmod 4755 $R/usr/bin/big
echo sg > $R/usr/bin/sg && chmod 2711 $R/usr/bin/sg
chmod 1777 $R/sticky
chmod 0500 $R/perm
ln -s ../etc/hello $R/usr/bin/lnk
ln -s /nonexistent/abs $R/dangling
ln $R/etc/hello $R/etc/hard
mkfifo $R/fifo
echo old > $R/opq/old/f && echo keep > $R/opq/keep
echo x > $R/d/sub/deeper/x
long=$(printf 'a%.0s' {1..120})/$(printf 'b%.0s' {1..120})
mkdir -p "$R/$long" && echo long > "$R/$long/f"
python3 -c 'import os,sys; os.setxattr(sys.argv[1], "user.crioimg", b"v\x00al")' $R/etc/hello 2>/dev/null
if [ $root = 1 ]; then
  mknod $R/null c 1 3; mknod $R/blk b 7 0
  chown 1000:1001 $R/d/sub $R/etc/hello; chown -h 1234:1234 $R/usr/bin/lnk
fi
umoci repack --image img:t b >/dev/null 2>&1
rm -rf b; umoci_unpack img:t b; R=b/rootfs
rm $R/etc/hard; rm -rf $R/d/sub; echo new > $R/new; echo changed > $R/etc/hello
umoci repack --image img:t b >/dev/null 2>&1
rm -rf b; umoci_unpack img:t b; R=b/rootfs
rm -rf $R/opq && mkdir -p $R/opq && echo fresh > $R/opq/fresh
umoci repack --image img:t b >/dev/null 2>&1
umoci config --image img:t --config.env X=1 --config.entrypoint /bin/true --config.cmd arg --config.workingdir /etc \
  --config.user 0:0 --config.label a=b >/dev/null 2>&1
t "umoci built a three-layer image" '[ "$(umoci ls --layout img)" = t ]'
$H gunzip-layout img t plain

t "import (gzip layers)" 'ci import img:t gz:1'
t "import (uncompressed layers)" 'ci import plain:t plain:1'
sum0=$(store_sum)
umoci_unpack img:t ref
t "unpack: uncompressed layers" 'ci unpack plain:1 out-plain'
t "  same tree as umoci unpack" '$H compare ref/rootfs out-plain/rootfs'
t "unpack: gzip layers (umoci's)" 'ci unpack gz:1 out-gz'
t "  same tree as umoci unpack" '$H compare ref/rootfs out-gz/rootfs'
t "  the whiteouts hid what they name" '[ ! -e out-gz/rootfs/etc/hard ] && [ ! -e out-gz/rootfs/d/sub ] && [ "$(cat out-gz/rootfs/etc/hello)" = changed ]'
t "  the opaque directory holds only the new layer" '[ "$(ls out-gz/rootfs/opq)" = fresh ]'
t "  config.json: args, env, cwd, user, labels" 'python3 -c "
import json,sys; c=json.load(open(\"out-gz/config.json\")); p=c[\"process\"]
assert p[\"args\"]==[\"/bin/true\",\"arg\"], p[\"args\"]; assert \"X=1\" in p[\"env\"]; assert p[\"cwd\"]==\"/etc\"
assert p[\"user\"]=={\"uid\":0,\"gid\":0}; assert c[\"annotations\"][\"a\"]==\"b\"; assert c[\"root\"][\"path\"]==\"rootfs\""'
t "  config.json accepted where umoci's is (same top-level keys)" 'python3 -c "
import json; a=json.load(open(\"out-gz/config.json\")); b=json.load(open(\"ref/config.json\"))
missing=[k for k in (\"ociVersion\",\"process\",\"root\",\"mounts\",\"linux\") if k not in a]; assert not missing, missing"'
t "unpack --rootfs-only" 'ci unpack --rootfs-only gz:1 out-rootfs && [ ! -e out-rootfs/config.json ] && $H compare ref/rootfs out-rootfs'
t "unpack by ID prefix, options after arguments" 'ci unpack "$(ci inspect gz:1 | python3 -c "import json,sys; print(json.load(sys.stdin)[\"id\"][:12])")" out-id --rootfs-only && $H compare ref/rootfs out-id'
t "an existing non-empty destination is refused, and kept" 'mkdir -p busy && echo keep > busy/f && ! ci unpack gz:1 busy && [ "$(cat busy/f)" = keep ]'
t "an empty destination directory is fine" 'mkdir -p empty && ci unpack gz:1 empty && [ -f empty/config.json ]'
dead=$(sh -c 'echo $$')
t "a killed unpack's temporary (.DEST.crioimg-tmp-PID-N of a process gone) goes at the next unpack to DEST; a live one stays" \
  'mkdir -p .out-sw.crioimg-tmp-$dead-0/rootfs/x .out-sw.crioimg-tmp-$$-0 && echo y > .out-sw.crioimg-tmp-$dead-0/rootfs/x/f &&
   ci unpack -q gz:1 out-sw && [ ! -e .out-sw.crioimg-tmp-$dead-0 ] && [ -d .out-sw.crioimg-tmp-$$-0 ] && [ -f out-sw/config.json ] && rmdir .out-sw.crioimg-tmp-$$-0'
t "unpack prints the bundle it made (-q: nothing)" '[ "$(ci unpack gz:1 out-say)" = out-say ] && [ -z "$(ci unpack -q gz:1 out-say-q)" ]'
t "unpack --json: one object of what it made" \
  'ci unpack --json gz:1 out-json | python3 -c "import json,sys; d=json.load(sys.stdin); assert d[\"bundle\"]==\"out-json\" and d[\"image\"]==\"gz:1\" and d[\"layers\"]>=1 and d[\"entries\"]>0 and d[\"bytes\"]>0, d"'
t "an unknown image: exit 1, message names it" '! ci unpack nosuch:1 out-x 2>&1 | grep -q nosuch; ! ci unpack nosuch:1 out-x; [ ! -e out-x ]'
t "usage errors exit 2" 'ci unpack gz:1; [ $? = 2 ]'
t "the store was not modified" '[ "$(store_sum)" = "$sum0" ]'

# ---- the same image through skopeo: a docker-archive and back into an OCI layout (skopeo's gzip) ----
if command -v skopeo >/dev/null; then
  t "skopeo: docker-archive and back" 'skopeo copy oci:img:t docker-archive:da.tar:sk:t && skopeo copy docker-archive:da.tar oci:sk:t'
  t "skopeo's image unpacks to the same tree" 'ci import sk:t sk:1 && ci unpack --rootfs-only sk:1 out-sk && $H compare ref/rootfs out-sk'
fi

# ---- layers written by GNU tar (gnu and posix formats), compared with umoci unpack of the same image ----
if command -v tar >/dev/null; then
  mkdir -p gt/src/dir/$(printf 'c%.0s' {1..110}) gt/src/e
  echo a > gt/src/dir/$(printf 'c%.0s' {1..110})/$(printf 'd%.0s' {1..110})
  ln -s $(printf 'l%.0s' {1..150}) gt/src/longlink
  echo f > gt/src/e/f && ln gt/src/e/f gt/src/e/hard && chmod 0640 gt/src/e/f
  python3 -c 'import os; os.setxattr("gt/src/e/f", "user.gnu", b"tar")' 2>/dev/null
  (cd gt/src && tar --format=gnu --numeric-owner -cf ../gnu.tar . && tar --format=posix --xattrs --numeric-owner -cf ../pax.tar .)
  $H layout gnu-layout g gt/gnu.tar && $H layout gnu-layout p gt/pax.tar
  t "GNU tar --format=gnu layer" 'ci import gnu-layout:g gnutar:1 && ci unpack --rootfs-only gnutar:1 out-gnu && umoci_unpack gnu-layout:g ref-gnu && $H compare ref-gnu/rootfs out-gnu'
  t "GNU tar --format=posix layer (PAX, xattrs)" 'ci import gnu-layout:p paxtar:1 && ci unpack --rootfs-only paxtar:1 out-pax && umoci_unpack gnu-layout:p ref-pax && $H compare ref-pax/rootfs out-pax'
fi

# ---- hostile layers ----
outside=$tmp/outside
mkdir -p "$outside" && echo original > "$outside/victim"
$H hostile hostile "$outside"
outside_sum() { (cd "$outside" && find . -printf '%p %y %m %s\n' | sort; sha256sum victim); }
osum0=$(outside_sum)
n=0
for first in hostile/*.0.tar hostile/*.0.tar.gz; do
  case=${first#hostile/}; case=${case%%.0.tar*}
  layers=$(ls hostile/"$case".*.tar* | sort -t. -k2 -n)
  n=$((n + 1))
  gzflag=; case $case in gz-*|bomb) gzflag=;; esac
  $H layout "hl-$case" x $layers
  ci import "hl-$case":x "hostile/$case:1" >/dev/null 2>&1 || { fail=$((fail + 1)); echo "FAIL: import $case" >&2; continue; }
  extra=; [ "$case" = bomb ] && extra="--max-layer-size 16777216"
  ci unpack $extra --rootfs-only "hostile/$case:1" "dest-$case" >"$tmp/o" 2>"$tmp/e"; rc=$?
  msg=$(cat "$tmp/e")
  case $case in
    absolute|symlink-*|hardlink-to-symlink|hardlink-via-symlink|whiteout-through-symlink|opaque-through-symlink)
      # confined (or refused): whatever it made is inside the destination
      t "hostile $case: confined or refused (rc=$rc)" '[ $rc = 0 ] || { [ $rc = 1 ] && [ ! -e "dest-$case" ]; }' ;;
    *)
      t "hostile $case: refused, nothing left behind" '[ $rc = 1 ] && [ ! -e "dest-$case" ] && ! ls -a . | grep -q "crioimg-tmp"'
      t "hostile $case: the message names the image and the layer" 'echo "$msg" | grep -q "hostile/$case" && echo "$msg" | grep -q "layer sha256:"' ;;
  esac
  t "hostile $case: nothing written outside the destination" '[ "$(outside_sum)" = "$osum0" ] && [ ! -e "$tmp/escape" ] && [ ! -e /abs-escape ] && [ ! -e "$tmp/../escape" ]'
done
t "the hostile corpus was generated" '[ $n -ge 20 ]'
t "the absolute entry landed inside" '[ -f "dest-absolute$outside/abs-escape" ]'
t "a symlink planted by an earlier layer: the write stayed inside" '[ ! -e "$outside/pwned" ] && [ -f "dest-symlink-earlier-layer$outside/pwned" ]'
t "the entry is named in the message (dotdot)" '! ci unpack --rootfs-only hostile/dotdot:1 x-dd 2>"$tmp/e3"; grep -q "entry \"../escape\" at offset 0" "$tmp/e3"'

# ---- verification: diff_id, compressed digest, unsupported media types ----
$H layout hl-good x hostile/truncated.0.tar >/dev/null 2>&1
printf 'hello' > one.txt && tar -cf one.tar one.txt
$H layout badiff x --diff-id sha256:0000000000000000000000000000000000000000000000000000000000000000 one.tar
t "a layer that does not match its diff_id is refused" 'ci import badiff:x badiff:1 && ! ci unpack badiff:1 d-badiff 2>"$tmp/e2" && grep -q "diff_id" "$tmp/e2" && [ ! -e d-badiff ]'
$H layout zstd x --media-type application/vnd.oci.image.layer.v1.tar+zstd one.tar
t "a zstd layer: not supported, naming the layer" 'ci import zstd:x zstd:1 && ! ci unpack zstd:1 d-zstd 2>"$tmp/e2" && grep -q "not supported" "$tmp/e2" && grep -q "layer sha256:" "$tmp/e2" && [ ! -e d-zstd ]'
$H layout enc x --media-type application/vnd.oci.image.layer.v1.tar+gzip+encrypted one.tar
t "an encrypted layer: not supported" 'ci import enc:x enc:1 && ! ci unpack enc:1 d-enc 2>"$tmp/e2" && grep -q "not supported" "$tmp/e2"'
cp -a "$S" store2
ldig=$(python3 -c "import json; m=json.load(open('store2/blobs/sha256/'+[x for x in json.load(open('store2/index.json'))['manifests'] if 'plain' in json.dumps(x)][0]['digest'].split(':')[1])); print(m['layers'][0]['digest'].split(':')[1])")
# one byte flipped (not overwritten with a fixed one, which was already there once in 256 runs)
chmod u+w store2/blobs/sha256/$ldig && python3 -c 'import sys; f = open(sys.argv[1], "r+b"); f.seek(100000); b = f.read(1); f.seek(100000); f.write(bytes([b[0] ^ 0xff]))' store2/blobs/sha256/$ldig
t "a layer blob changed in the store is refused (its digest)" '! "$bin" unpack --store store2 plain:1 d-corrupt 2>"$tmp/e2"; grep -q "layer sha256:$ldig: the layer blob does not match its digest" "$tmp/e2" && [ ! -e d-corrupt ]'
gzdig=$(python3 -c "import json; m=json.load(open('store2/blobs/sha256/'+[x for x in json.load(open('store2/index.json'))['manifests'] if 'gz:1' in json.dumps(x)][0]['digest'].split(':')[1])); print(m['layers'][0]['digest'].split(':')[1])")
chmod u+w store2/blobs/sha256/$gzdig && printf 'X' | dd of=store2/blobs/sha256/$gzdig bs=1 seek=100 conv=notrunc 2>/dev/null
t "a gzip layer blob changed in the store is refused" '! "$bin" unpack --store store2 gz:1 d-corrupt2 2>"$tmp/e2"; grep -q "layer sha256:$gzdig: " "$tmp/e2" && [ ! -e d-corrupt2 ]'

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
