#!/usr/bin/env bash
# The store through the CLI, as a user meets it: the four ways a store path can be wrong (each its own
# message, naming the path), gc and verify (with skopeo and umoci reading the store after gc), imports
# that fail or are killed (nothing left behind), skopeo copy --all and umoci layouts, and tag's refusals.
# Usage: tests/store_cli.sh CRIOIMG
set -uo pipefail
bin=${1:?usage: tests/store_cli.sh path/to/crioimg}
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
. "$(dirname "$0")/layout.sh"
# mkindex DIR REF: a layout whose one entry REF is an OCI index of two images, linux/amd64 (seed 61) and
# linux/arm64 (seed 62), as skopeo copy --all writes; prints the two config hexes, amd64 first
mkindex() {
  local dir=$1 ref=$2 a b ma mb sa sb i si ia ib
  ia=$(mklayout "$dir" x 61 300); ma=$(sed 's/.*"digest":"\(sha256:[0-9a-f]*\)".*/\1/' "$dir/index.json"); sa=$(stat -c %s "$dir/blobs/sha256/${ma#sha256:}")
  ib=$(mklayout "$dir" x 62 300); mb=$(sed 's/.*"digest":"\(sha256:[0-9a-f]*\)".*/\1/' "$dir/index.json"); sb=$(stat -c %s "$dir/blobs/sha256/${mb#sha256:}")
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":%s,"platform":{"architecture":"amd64","os":"linux"}},{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":%s,"platform":{"architecture":"arm64","os":"linux"}}]}' "$ma" "$sa" "$mb" "$sb" > "$dir/i.tmp"
  si=$(stat -c %s "$dir/i.tmp"); i=$(mkblob "$dir" "$dir/i.tmp")
  printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"%s"}}]}' "$i" "$si" "$ref" > "$dir/index.json"
  echo "$ia $ib"
}
pass=0 fail=0 skipped=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
# expect NAME RC OUT -- CMD...: exit status RC and stdout+stderr exactly OUT ("*" for any output)
expect() {
  local name=$1 want_rc=$2 want_out=$3; shift 4
  local out rc
  out=$("$@" 2>&1); rc=$?
  [ "$rc" = "$want_rc" ] || { bad "$name: exit $rc, want $want_rc ($out)"; return; }
  [ "$want_out" = "*" ] || [ "$out" = "$want_out" ] || { bad "$name: got [$out] want [$want_out]"; return; }
  ok
}
t=$(mktemp -d); trap 'chmod -R u+rwx "$t" 2>/dev/null; rm -rf "$t"' EXIT
chmod 755 "$t"

# ---- opening a store: a file, a missing directory, a permission problem, a directory that is no store ----
: > "$t/afile"; mkdir "$t/empty" "$t/locked"; chmod 000 "$t/locked"
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
mklayout "$t/la" x 1 >/dev/null
for c in images import; do
  arg=(); [ $c = import ] && arg=("$t/la:x" x:1)
  expect "$c: a file" 1 "crioimg $c: $t/afile: is a file, not a directory" -- "$bin" $c --store "$t/afile" "${arg[@]}"
done
expect "images: no store there lists nothing" 0 "IMAGE               TAG                 IMAGE ID            SIZE" -- "$bin" images --store "$t/missing"
expect "images: a directory that is no store" 1 "crioimg images: $t/empty: not an OCI image layout (no oci-layout file)" -- "$bin" images --store "$t/empty"
expect "images: nothing written into it" 0 "" -- ls -A "$t/empty"
expect "import: the source is missing" 1 "crioimg import: $t/nolayout: no such directory" -- "$bin" import --store "$t/s0" "$t/nolayout:x"
expect "import: the source is a file" 1 "crioimg import: $t/afile: is a file, not a directory" -- "$bin" import --store "$t/s0" "$t/afile:x"
expect "import: the source is no layout" 1 "crioimg import: $t/empty: not an OCI image layout (no oci-layout file)" -- "$bin" import --store "$t/s0" "$t/empty:x"
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
  for c in images tag; do
    arg=(); [ $c = tag ] && arg=(a:1 b:1)
    expect "$c: permission denied" 1 "crioimg $c: $t/locked: permission denied" -- nobody "$bin" $c --store "$t/locked" "${arg[@]}"
  done
elif [ "$(id -u)" != 0 ]; then
  expect "images: permission denied" 1 "crioimg images: $t/locked: permission denied" -- "$bin" images --store "$t/locked"
else skipped=$((skipped + 1)); fi
chmod 755 "$t/locked"

# ---- gc and verify ----
S=$t/store
nblobs() { find "$S/blobs" -type f | wc -l; }
"$bin" import --store "$S" "$t/la:x" a:1 >/dev/null || bad "setup: import"
mklayout "$t/lb" y 2 5000 >/dev/null; "$bin" import --store "$S" "$t/lb:y" b:1 >/dev/null || bad "setup: import b"
expect "verify: a sound store" 0 "ok: 6 blobs, 2 images" -- "$bin" verify --store "$S"
expect "gc: no blob to remove (the listing cache import's ID look-up wrote may go)" 0 "ok" -- bash -c "'$bin' gc --store '$S' | grep -qE '^removed 0 blobs \(0 bytes\) and [01] other files' && echo ok"
before=$(nblobs)
# a failed import (the layer is not the size its manifest says) takes back what it wrote
mklayout "$t/lie" lie 3 1000 999 >/dev/null
expect "import: a lying descriptor fails" 1 "*" -- "$bin" import --store "$S" "$t/lie:lie" lie:1
expect "import: a failed import leaves no blob behind" 0 "$before" -- nblobs
# an import killed while it streams a layer: the next gc removes its temporary file and its blobs
mklayout "$t/big" big 4 60000000 >/dev/null
"$bin" import --store "$S" "$t/big:big" big:1 >/dev/null 2>&1 & pid=$!
for _ in $(seq 1 200); do ls -A "$S" | grep -q '^\.crioimg-tmp-' && break; sleep 0.02; done
kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
expect "kill -9 import: left a temporary file" 0 "1" -- bash -c "ls -A '$S' | grep -c '^\.crioimg-tmp-'"
expect "kill -9 import: verify still passes (no image broken)" 0 "ok: $(nblobs) blobs, 2 images" -- "$bin" verify --store "$S"
expect "kill -9 import: the next command, a reader (verify), removed its temporary file" 0 "0" -- bash -c "ls -A '$S' | grep -c '^\.crioimg-tmp-'; true"
# planted leftovers: a blob nobody references, stale temporary files whose lock nobody holds, the cache
printf 'orphan' > "$t/orphan"; mkblob "$S" "$t/orphan" >/dev/null
# a reader (images) removes a stale temporary file, never one whose flock a live process holds
printf 'stale' > "$S/.crioimg-tmp-dead-1-2"
printf 'held' > "$S/.crioimg-tmp-live-5-6"
exec 9<"$S/.crioimg-tmp-live-5-6"; flock -x 9
"$bin" images --store "$S" >/dev/null
expect "images: removed the stale temporary file" 0 "0" -- bash -c "ls -A '$S' | grep -c '^\.crioimg-tmp-dead-'; true"
expect "images: left the one a live process holds" 0 "1" -- bash -c "ls -A '$S' | grep -c '^\.crioimg-tmp-live-'"
exec 9<&-
[ -f "$S/.crioimg-cache" ] && ok || bad "images wrote no listing cache"
printf 'stale' > "$S/.crioimg-tmp-dead-1-2"
# the killed import may have committed its config before the kill (1 or 2 blobs); files: the temporary
# file the live process held (released now), the one planted after images, the cache
expect "gc --json: counts" 0 "ok" -- bash -c "'$bin' gc --store '$S' --json | grep -qE '^\{\"blobs\":[12],\"blobBytes\":[0-9]+,\"files\":3,\"fileBytes\":[0-9]+\}\$' && echo ok"
expect "gc: back to the images' blobs" 0 "$before" -- nblobs
expect "gc: no temporary file, no cache left" 0 "0" -- bash -c "ls -A '$S' | grep -c '^\.crioimg-'; true"
expect "gc: the images are whole" 0 "ok: $before blobs, 2 images" -- "$bin" verify --store "$S"
expect "gc: images still lists both" 0 "2" -- imgs "$bin" "$S" count
if command -v skopeo >/dev/null; then
  for n in a:1 b:1; do expect "gc: skopeo inspect $n" 0 "*" -- skopeo inspect "oci:$S:docker.io/library/$n"; done
else skipped=$((skipped + 1)); fi
if command -v umoci >/dev/null; then
  for n in a:1 b:1; do expect "gc: umoci stat $n" 0 "*" -- umoci stat --image "$S:docker.io/library/$n"; done
else skipped=$((skipped + 1)); fi
# verify finds what is broken, names it, exits 1; --json lists the same
lay=$(ls "$S/blobs/sha256" | head -n 1)
cp "$S/blobs/sha256/$lay" "$t/keep"; printf 'x' >> "$S/blobs/sha256/$lay"
expect "verify: a changed blob" 1 "*" -- "$bin" verify --store "$S"
expect "verify: names it (the blob, and the image that holds it)" 0 "2" -- bash -c "'$bin' verify --store '$S' 2>/dev/null | grep -c 'sha256:$lay'"
expect "verify --json" 0 "" -- bash -c "'$bin' verify --store '$S' --json 2>/dev/null | grep -q '\"problems\":\[{\"kind\"'"
expect "verify --json: exit 1 too" 1 "*" -- "$bin" verify --store "$S" --json
cp "$t/keep" "$S/blobs/sha256/$lay"
# a byte changed in place (the size still right): the blob, and each image that holds it, named
for b in $(ls "$S/blobs/sha256"); do
  cp "$S/blobs/sha256/$b" "$t/keep2"
  python3 -c 'import sys; p=sys.argv[1]; d=bytearray(open(p,"rb").read()); d[len(d)//2]^=1; open(p,"wb").write(d)' "$S/blobs/sha256/$b"
  n=$("$bin" verify --store "$S" 2>/dev/null | grep -c "sha256:$b")
  cp "$t/keep2" "$S/blobs/sha256/$b"
  [ "$n" -ge 2 ] && ok || bad "verify: a byte flipped in $b: named $n times (the blob and its image), want 2 or more"
done
expect "verify: sound again" 0 "ok: $before blobs, 2 images" -- "$bin" verify --store "$S"
expect "gc: never creates a store" 1 "crioimg gc: $t/nostore: no such directory (no store there; import or pull creates one)" -- "$bin" gc --store "$t/nostore"
expect "verify: a usage error" 2 "*" -- "$bin" verify --store "$S" extra

# ---- imports: skopeo copy --all layouts (an index), umoci's bare tags, memory that does not grow ----
read -r amd arm < <(mkindex "$t/multi" multi)
I=$t/istore
expect "import: an index gives this machine's image (a new store: said on stderr)" 0 "$amd"$'\n'"crioimg import: created a new store in $I" -- "$bin" import --store "$I" "$t/multi:multi" m:amd
expect "import --platform linux/arm64" 0 "$arm" -- "$bin" import --store "$I" --platform linux/arm64 "$t/multi:multi" m:arm
expect "import --platform=, after the source" 0 "$arm" -- "$bin" import --store "$I" "$t/multi:multi" --platform=linux/arm64 m:arm2
expect "import oci: of the index, --platform" 0 "$arm" -- "$bin" import --store "$I" --platform linux/arm64 "oci:$t/multi:multi" m:arm3
before=$(find "$I/blobs" -type f | wc -l); cp "$I/index.json" "$t/ix.before"
expect "import: no image for the platform, named" 0 "" -- bash -c "'$bin' import --store '$I' --platform linux/s390x '$t/multi:multi' m:s 2>&1 | grep -q 'available: linux/amd64, linux/arm64'"
expect "import: an invalid --platform is a usage error" 2 "*" -- "$bin" import --store "$I" --platform nonsense "$t/multi:multi" m:s
expect "import: a refused platform changes nothing" 0 "$before" -- bash -c "find '$I/blobs' -type f | wc -l; cmp -s '$I/index.json' '$t/ix.before' || echo changed"
expect "import: the index's images are whole" 0 "*" -- "$bin" verify --store "$I"
if command -v skopeo >/dev/null; then
  expect "skopeo reads the arm64 image crioimg stored (its config)" 0 "sha256:$arm" -- bash -c "skopeo inspect --raw oci:'$I':docker.io/library/m:arm | sed 's/.*\"config\":{[^}]*\"digest\":\"\([^\"]*\)\".*/\1/'"
fi
mklayout "$t/umoci" latest 7 >/dev/null
expect "import: a bare tag needs a NAME" 1 "crioimg import: $t/umoci:latest: \"latest\" is a tag, not an image name: give the name to store it under (crioimg import $t/umoci:latest NAME)" -- "$bin" import --store "$I" "$t/umoci:latest"
expect "import: never docker.io/library/latest" 0 "0" -- bash -c "grep -c 'library/latest' '$I/index.json'; true"
expect "import: a bare tag under the NAME given" 0 "*" -- "$bin" import --store "$I" "$t/umoci:latest" quay.io/me/tool:1
expect "import: stored under that name" 0 "docker.io/library/latest absent" -- bash -c "'$bin' inspect --store '$I' quay.io/me/tool:1 >/dev/null && ! grep -q library/latest '$I/index.json' && echo docker.io/library/latest absent"
if command -v umoci >/dev/null; then
  umoci init --layout "$t/real-umoci" >/dev/null 2>&1 && umoci new --image "$t/real-umoci:latest" >/dev/null 2>&1
  expect "umoci's own layout: refused without a NAME" 1 "*" -- "$bin" import --store "$I" "$t/real-umoci:latest"
  expect "umoci's own layout: under a NAME" 0 "*" -- "$bin" import --store "$I" "$t/real-umoci:latest" umoci/made:1
else skipped=$((skipped + 1)); fi
# a 200 MB layer streams: peak RSS stays far below the layer (LAYOUT:REF and oci:)
if [ -x /usr/bin/time ]; then
  mklayout "$t/l200" l200 8 200000000 >/dev/null
  k=0
  for src in "$t/l200:l200" "oci:$t/l200:l200"; do
    k=$((k + 1))   # a store each: the second import would find the layer there and copy nothing
    /usr/bin/time -o "$t/rss.txt" -f %M "$bin" import --store "$t/rss$k" "$src" big:200 >/dev/null 2>&1; kb=$(tail -n 1 "$t/rss.txt")
    [ -f "$t/rss$k/blobs/sha256/$(sed 's/.*"layers":\[{[^}]*"digest":"sha256:\([0-9a-f]*\)".*/\1/' "$t/l200/blobs/sha256/$(sed 's/.*"digest":"sha256:\([0-9a-f]*\)".*/\1/' "$t/l200/index.json")")" ] && ok || bad "import $src: the layer is not in the store"
    echo "import of a 200 MB layer ($src): peak RSS $kb KB" >&2
    [ "${kb:-999999}" -lt 32768 ] && ok || bad "import $src: peak RSS $kb KB"
  done
else skipped=$((skipped + 1)); fi

# ---- tag: a name with a digest must be the image's manifest digest ----
T=$t/tstore
"$bin" import --store "$T" "$t/la:x" a:1 >/dev/null
md=$(sed 's/.*"digest":"\(sha256:[0-9a-f]*\)".*/\1/' "$t/la/index.json"); ida=$(cut -d' ' -f1 <<<"$("$bin" inspect --store "$T" a:1 | sed 's/.*"id":"\([0-9a-f]*\)".*/\1/')")
Z=sha256:$(printf '%064d' 1)
cp "$T/index.json" "$t/tix.before"
expect "tag: another digest is refused, naming both" 1 "crioimg tag: q.io/b@$Z: its digest is not the manifest digest of image $ida ($md)" -- "$bin" tag --store "$T" a:1 "q.io/b@$Z"
expect "tag: refused, index.json unchanged" 0 "" -- cmp "$T/index.json" "$t/tix.before"
expect "tag: the image's own digest (the name printed)" 0 "q.io/b@$md" -- "$bin" tag --store "$T" a:1 "q.io/b@$md"
expect "tag: found by it" 0 "*" -- "$bin" inspect --store "$T" "q.io/b@$md"

echo "$pass passed, $fail failed"
[ "$skipped" = 0 ] || echo "$skipped skipped"
[ "$fail" = 0 ]
