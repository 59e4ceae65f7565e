#!/usr/bin/env bash
# Images as files, against real peers. Usage: tests/archive.sh CRIOIMG.
#  - load: an image built by umoci, written by skopeo copy as docker-archive:, oci-archive: and dir:, and
#    the umoci layout itself (oci:), loaded by crioimg import and crioimg pull: the manifest digest and
#    config digest (the image ID) must be the ones skopeo inspect reports for the same source;
#  - save: crioimg save writes docker-archive, oci-archive and OCI layouts that skopeo copy and skopeo
#    inspect read (same digests) and umoci unpack unpacks; twice the same images give identical bytes;
#  - choice: several images in one archive, a reference, an index, containers/image's error texts;
#  - hostile archives: each refused with the entry and problem named, and the store unchanged.
# Skips (0 passed) when skopeo, umoci or python3 is missing.
set -uo pipefail
bin=${1:?usage: tests/archive.sh path/to/crioimg}
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
here=$(cd "$(dirname "$0")" && pwd)
if ! command -v skopeo >/dev/null || ! command -v umoci >/dev/null || ! command -v python3 >/dev/null; then
  echo "archive: skopeo, umoci or python3 not installed: skipped" >&2
  echo "0 passed, 0 failed"; exit 0
fi
pass=0 fail=0
t() { if eval "$2" >"$tmp/out" 2>"$tmp/err"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1" >&2; tail -n 8 "$tmp/out" "$tmp/err" >&2; fi; }
tmp=$(mktemp -d); trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
cd "$tmp"
export CRIOIMG_STORE=$tmp/store
S=$CRIOIMG_STORE
ci() { "$bin" "$@"; }
# what a store holds: its blobs and its index's entries (a store made by a failed import is as empty as none)
store_sum() { { [ -d "$S/blobs" ] && (cd "$S" && find blobs -type f -print0 | sort -z | xargs -0 -r sha256sum)
              [ -f "$S/index.json" ] && python3 -c 'import json,sys; print(sorted(json.dumps(m, sort_keys=True) for m in json.load(open(sys.argv[1])).get("manifests") or []))' "$S/index.json"; } | grep -v '^\[\]$' | sha256sum; }
rootless=; [ "$(id -u)" = 0 ] || rootless=--rootless
index_sum() { [ -f "$S/index.json" ] && python3 -c 'import json,sys; print(sorted(json.dumps(m, sort_keys=True) for m in json.load(open(sys.argv[1])).get("manifests") or []))' "$S/index.json" | grep -v '^\[\]$' | sha256sum; }
# every blob in the store is named by its content's digest, and no temporary file is left
blobs_ok() { ! ls -a "$S" | grep -q '^\.crioimg-tmp-' && { [ ! -d "$S/blobs/sha256" ] || (cd "$S/blobs/sha256" && for f in *; do [ "$f" = '*' ] || [ "$(sha256sum < "$f" | cut -d" " -f1)" = "$f" ] || exit 1; done); }; }
sha() { sha256sum | cut -d' ' -f1; }
# the manifest digest and config digest skopeo sees in a source
sk_manifest() { skopeo inspect --raw "$1" | sha; }
sk_config() { skopeo inspect --config --raw "$1" | sha; }
# what crioimg recorded for a name: "ID MANIFEST-HEX"
ci_digests() { ci inspect "$1" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["id"], " ".join(x.split("@sha256:")[1] for x in d["digests"]))'; }

# ---- a test image: two layers, made by umoci ----
umoci init --layout img >/dev/null && umoci new --image img:t >/dev/null
umoci unpack $rootless --image img:t b >/dev/null 2>&1
mkdir -p b/rootfs/etc b/rootfs/usr/bin
echo hello > b/rootfs/etc/hello
umoci repack --image img:t b >/dev/null 2>&1 && rm -rf b
umoci unpack $rootless --image img:t b >/dev/null 2>&1
head -c 300000 /dev/urandom > b/rootfs/usr/bin/big
ln -s ../../etc/hello b/rootfs/usr/bin/lnk
umoci repack --image img:t b >/dev/null 2>&1 && rm -rf b
umoci config --image img:t --config.cmd /bin/sh >/dev/null 2>&1
skopeo copy -q oci:img:t docker-archive:da.tar:example.com/app:v1
skopeo copy -q oci:img:t oci-archive:oa.tar:v1
skopeo copy -q oci:img:t dir:dd
umoci config --image img:t --tag t2 --config.env OTHER=1 >/dev/null 2>&1
skopeo copy -q oci:img:t2 docker-archive:da2.tar:example.com/other:v2

# ---- load: the digests skopeo reports ----
for src in docker-archive:da.tar oci-archive:oa.tar:v1 dir:dd oci:img:t; do
  t "import $src: manifest and config digests as skopeo inspect reports" \
    'id=$(ci import $src x.io/load:${src%%:*}) && [ "$id" = "$(sk_config $src)" ] && ci_digests x.io/load:${src%%:*} | grep -q "^$id .*$(sk_manifest $src)"'
done
t "import docker-archive: names from RepoTags when none are given" 'ci import docker-archive:da.tar && ci inspect example.com/app:v1 | grep -q "\"id\":\"$(sk_config docker-archive:da.tar)\""'
t "import docker-archive:FILE:NAME:TAG" 'ci import docker-archive:da.tar:example.com/app:v1 >/dev/null && ci inspect example.com/app:v1 >/dev/null'
t "pull docker-archive: through the image service prints the image ID" '[ "$(ci pull -q docker-archive:da.tar)" = "$(sk_config docker-archive:da.tar)" ]'
t "pull oci-archive: through the image service" '[ "$(ci pull -q oci-archive:oa.tar)" = "$(sk_config oci-archive:oa.tar)" ]'
t "a loaded docker-archive image unpacks (uncompressed layers labelled gzip, as c/image labels them)" \
  'ci unpack --rootfs-only example.com/app:v1 un1 && cmp un1/etc/hello <(echo hello) && [ -s un1/usr/bin/big ]'
t "a second load stores nothing new" 'before=$(store_sum); ci import docker-archive:da.tar >/dev/null && [ "$(store_sum)" = "$before" ]'

# gzip-compressed layers inside a docker-archive: read as c/image does (inflated, checked by diff ID)
python3 - da.tar dagz.tar <<'EOF'
import tarfile, gzip, io, json, sys
src = tarfile.open(sys.argv[1]); out = tarfile.open(sys.argv[2], "w", format=tarfile.PAX_FORMAT)
layers = json.load(src.extractfile("manifest.json"))[0]["Layers"]
for m in src.getmembers():
    if m.isfile():
        data = src.extractfile(m).read()
        if m.name in layers: data = gzip.compress(data, mtime=0)
        m.size = len(data); out.addfile(m, io.BytesIO(data))
    elif m.isdir(): out.addfile(m)
out.close()
EOF
t "docker-archive with gzip layers: same digests as skopeo inspect" \
  'id=$(ci import docker-archive:dagz.tar x.io/gz:1) && [ "$id" = "$(sk_config docker-archive:dagz.tar)" ] && ci_digests x.io/gz:1 | grep -q "$(sk_manifest docker-archive:dagz.tar)"'

# ---- save: reproducible, and read back by skopeo and umoci ----
id=$(sk_config docker-archive:da.tar)
dmf=$(sk_manifest docker-archive:da.tar)
omf=$(sk_manifest oci:img:t)
t "save docker-archive twice: identical bytes" 'ci save -o s1.tar example.com/app:v1 x.io/load:oci && ci save -o s2.tar example.com/app:v1 x.io/load:oci && cmp s1.tar s2.tar'
t "save docker-archive: one item, both RepoTags, fixed owners, modes and mtimes" \
  'tar xOf s1.tar manifest.json | python3 -c "import json,sys; d=json.load(sys.stdin); assert len(d)==1 and d[0][\"RepoTags\"]==[\"example.com/app:v1\",\"x.io/load:oci\"], d" && tar tvf s1.tar | awk "{ if (\$2 != \"0/0\" || \$4 != \"1970-01-01\" || \$1 != \"-rw-r--r--\") exit 1 }"'
t "skopeo inspect of the saved docker-archive: crioimg's manifest and config digests" \
  '[ "$(sk_manifest docker-archive:s1.tar:example.com/app:v1)" = "$dmf" ] && [ "$(sk_config docker-archive:s1.tar:x.io/load:oci)" = "$id" ]'
t "skopeo copy docker-archive:SAVED oci:DIR:TAG, then umoci unpack" \
  'skopeo copy -q docker-archive:s1.tar:example.com/app:v1 oci:back:t && umoci unpack $rootless --image back:t ub >/dev/null && cmp ub/rootfs/usr/bin/big un1/usr/bin/big'
t "save oci-archive twice: identical bytes" 'ci save --format oci-archive -o o1.tar x.io/load:oci example.com/app:v1 && ci save --format oci-archive -o o2.tar x.io/load:oci example.com/app:v1 && cmp o1.tar o2.tar'
t "skopeo inspect of the saved oci-archive: the OCI image keeps its manifest digest, every name its config" \
  '[ "$(sk_manifest oci-archive:o1.tar:x.io/load:oci)" = "$omf" ] && [ "$(sk_config oci-archive:o1.tar:example.com/app:v1)" = "$id" ]'
t "skopeo copy oci-archive:SAVED oci:DIR:TAG" 'skopeo copy -q oci-archive:o1.tar:example.com/app:v1 oci:back2:t && [ "$(sk_config oci:back2:t)" = "$id" ]'
t "save oci-dir: umoci unpack reads it by ref.name" \
  'ci save --format oci-dir -o od x.io/load:oci && umoci unpack $rootless --image od:x.io/load:oci uo >/dev/null && cmp uo/rootfs/etc/hello <(echo hello)'
t "saved oci-archive, extracted: umoci unpack reads it" 'mkdir ox && tar -C ox -xf o1.tar && umoci unpack $rootless --image ox:example.com/app:v1 uox >/dev/null && [ -s uox/rootfs/usr/bin/big ]'
t "save by ID: every tag of the image" 'ci save -o byid.tar $id && tar xOf byid.tar manifest.json | grep -q "example.com/app:v1"'
t "save of an unknown image: exit 1, no file" '! ci save -o nope.tar no/such:image 2>e && grep -q "no/such:image" e && [ ! -e nope.tar ] && ! ls nope.tar.* 2>/dev/null'
t "save oci-dir onto an existing path is refused" '! ci save --format oci-dir -o od x.io/load:oci'
# a blob that changed in the store is found while it is written: the save fails and leaves nothing
cp -r "$S" store-bad && for b in $(find store-bad/blobs/sha256 -type f -size +100k); do
  chmod u+w $b && printf X | dd of=$b bs=1 seek=100 conv=notrunc 2>/dev/null; done
for fmt in docker-archive oci-archive oci-dir; do
  t "save $fmt of a corrupt store: refused naming the blob, no file and no temporary left" \
    '! ci save --store store-bad --format $fmt -o bad-$fmt x.io/load:oci 2>e && grep -q "sha256:" e && [ ! -e bad-$fmt ] && ! ls -d bad-$fmt.* 2>/dev/null'
done
t "crioimg's own archives load back with the same IDs" \
  'S2=$tmp/store2; [ "$(CRIOIMG_STORE=$S2 "$bin" import docker-archive:s1.tar:x.io/load:oci)" = "$id" ] && [ "$(CRIOIMG_STORE=$S2 "$bin" import oci-archive:o1.tar:x.io/load:oci)" = "$id" ]'

# a layer stored as a multi-member gzip: its trailer does not give its size, and save finds out
mkdir -p mm/etc && head -c 100000 /dev/urandom | base64 > mm/etc/a && tar -C mm -cf mm.tar etc
head -c 6144 mm.tar | gzip -n > mm.tar.gz && tail -c +6145 mm.tar | gzip -n >> mm.tar.gz
python3 "$here/unpack_helper.py" layout mmlayout mm mm.tar.gz
t "save docker-archive of a multi-member gzip layer: the right size, read back by skopeo" \
  'mid=$(ci import oci:mmlayout:mm x.io/mm:1) && ci save -o mm-save.tar x.io/mm:1 && [ "$(sk_config docker-archive:mm-save.tar)" = "$mid" ] &&
   tar xOf mm-save.tar "$(tar tf mm-save.tar | grep "\.tar$")" | cmp - mm.tar'

# ---- choosing the image ----
t "docker-archive with two images and no choice: containers/image's error" \
  'ci import docker-archive:da2.tar >/dev/null && ci save -o two.tar example.com/app:v1 example.com/other:v2 && ! ci import docker-archive:two.tar 2>e && grep -q "Unexpected tar manifest.json: expected 1 item, got 2" e'
t "docker-archive :@1 picks the second item" '[ "$(ci import docker-archive:two.tar:@1)" = "$(sk_config docker-archive:da2.tar)" ]'
t "docker-archive :NAME:TAG picks that item" '[ "$(ci import docker-archive:two.tar:example.com/other:v2)" = "$(sk_config docker-archive:da2.tar)" ]'
t "skopeo reads both images of crioimg's two-image archive" '[ "$(sk_config docker-archive:two.tar:example.com/other:v2)" = "$(sk_config docker-archive:da2.tar)" ] && [ "$(sk_config docker-archive:two.tar:@0)" = "$id" ]'
t "docker-archive :@5 is out of range" '! ci import docker-archive:two.tar:@5 2>e && grep -q "Invalid source index @5, only 2 manifest items available" e'
t "docker-archive :NAME:TAG that is not there" '! ci import docker-archive:two.tar:x.io/none:1 2>e && grep -q "Tag \"x.io/none:1\" not found" e'
t "oci layout with two images and no reference: containers/image's error" \
  'skopeo copy -q oci:img:t oci:img:u && ! ci import oci:img 2>e && grep -q "more than one image in oci, choose an image" e'
t "oci reference that is not there" '! ci import oci:img:nope 2>e && grep -q "no descriptor found for reference \"nope\"" e'
# an index.json entry that is itself an index: the platform's image is taken
python3 - img <<'EOF'
import json, hashlib, os, sys, platform
d = sys.argv[1]
idx = json.load(open(os.path.join(d, "index.json")))
m = [x for x in idx["manifests"] if x.get("annotations", {}).get("org.opencontainers.image.ref.name") == "t"][0]
arch = {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm"}.get(platform.machine(), platform.machine())
inner = dict(m); inner.pop("annotations", None); inner["platform"] = {"os": "linux", "architecture": arch}
other = dict(inner); other["platform"] = {"os": "windows", "architecture": arch}
body = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [other, inner]}).encode()
h = hashlib.sha256(body).hexdigest()
open(os.path.join(d, "blobs/sha256", h), "wb").write(body)
idx["manifests"].append({"mediaType": "application/vnd.oci.image.index.v1+json", "digest": "sha256:" + h, "size": len(body),
                         "annotations": {"org.opencontainers.image.ref.name": "multi"}})
json.dump(idx, open(os.path.join(d, "index.json"), "w"))
EOF
t "oci reference naming an index: the image for this platform" '[ "$(ci import oci:img:multi x.io/multi:1)" = "$id" ] && ci_digests x.io/multi:1 | grep -q "$omf"'

# ---- hostile archives: refused, named, nothing stored ----
# (into a store of their own: one that has the image's blobs already would never read them again)
export CRIOIMG_STORE=$tmp/hstore
S=$CRIOIMG_STORE
python3 - da.tar <<'EOF'
import tarfile, io, json, sys, gzip
src = tarfile.open(sys.argv[1])
members = [(m, src.extractfile(m).read() if m.isfile() else None) for m in src.getmembers()]
man = json.loads([d for m, d in members if m.name == "manifest.json"][0])
def write(name, items):
    out = tarfile.open(name, "w", format=tarfile.GNU_FORMAT)
    for m, d in items:
        m = tarfile.TarInfo(m.name) if isinstance(m, str) else m
        if d is not None: m.size = len(d); out.addfile(m, io.BytesIO(d))
        else: out.addfile(m)
    out.close()
def with_manifest(mf, extra=()):
    items = [(m, d) for m, d in members if m.name != "manifest.json"] + list(extra)
    return items + [(tarfile.TarInfo("manifest.json"), json.dumps(mf).encode())]
layer0 = man[0]["Layers"][0]
ldata = [d for m, d in members if m.name == layer0][0]
# an entry whose name climbs out
write("h-dotdot.tar", members + [(tarfile.TarInfo("../../etc/evil"), b"x")])
# an absolute entry name
write("h-abs.tar", members + [(tarfile.TarInfo("/etc/evil"), b"x")])
# a layer path in manifest.json that climbs out
bad = json.loads(json.dumps(man)); bad[0]["Layers"][0] = "../" + layer0
write("h-mfdotdot.tar", with_manifest(bad))
# manifest.json names a symlink
sl = tarfile.TarInfo("link.tar"); sl.type = tarfile.SYMTYPE; sl.linkname = layer0
bad = json.loads(json.dumps(man)); bad[0]["Layers"][0] = "link.tar"
write("h-symlink.tar", with_manifest(bad, [(sl, None)]))
# manifest.json names a hard link
hl = tarfile.TarInfo("hard.tar"); hl.type = tarfile.LNKTYPE; hl.linkname = layer0
bad = json.loads(json.dumps(man)); bad[0]["Layers"][0] = "hard.tar"
write("h-hardlink.tar", with_manifest(bad, [(hl, None)]))
# the same entry twice
write("h-dup.tar", members + [(tarfile.TarInfo(layer0), b"other")])
# manifest.json over the 4 MiB cap
big = json.loads(json.dumps(man)); big[0]["Pad"] = "x" * (4 << 20)
write("h-bigmanifest.tar", with_manifest(big))
# a layer whose bytes are not its diff ID
write("h-diffid.tar", [(m, (d[:-1024] + b"\x01" + d[-1023:]) if m.name == layer0 else d) for m, d in members])
# a gzip layer that is corrupt
write("h-badgz.tar", [(m, gzip.compress(d)[:-8] + b"\0" * 8 if m.name == layer0 else d) for m, d in members])
# a device entry
dev = tarfile.TarInfo("dev"); dev.type = tarfile.CHRTYPE; dev.devmajor = 1; dev.devminor = 3
write("h-dev.tar", members + [(dev, None)])
# manifest.json names a file that is not there
bad = json.loads(json.dumps(man)); bad[0]["Layers"][0] = "missing.tar"
write("h-missing.tar", with_manifest(bad))
EOF
head -c 150000 da.tar > h-trunc.tar
head -c 100000 /dev/urandom > h-random.tar
gzip -c da.tar > h-gzip.tar
cases=(
  "h-dotdot.tar|../../etc/evil|path leaves the archive"
  "h-abs.tar|/etc/evil|path leaves the archive"
  "h-mfdotdot.tar|../|path leaves the archive"
  "h-symlink.tar|link.tar|a link"
  "h-hardlink.tar|hard.tar|a link"
  "h-dup.tar|appears twice|appears twice"
  "h-bigmanifest.tar|manifest.json|over the"
  "h-dev.tar|\"dev\"|not a regular file"
  "h-missing.tar|missing.tar|no such file"
  "h-trunc.tar|truncated|"
  "h-random.tar|not a tar archive|"
  "h-gzip.tar|gzip-compressed|decompress it first"
)
for c in "${cases[@]}"; do
  IFS='|' read -r f what why <<<"$c"
  t "hostile $f: refused naming \"$what\" and the store unchanged" \
    'before=$(store_sum); ! ci import docker-archive:$f x.io/hostile:1 2>e && grep -q "docker-archive:$f" e && grep -qF -- "$what" e && grep -qF -- "$why" e && [ "$(store_sum)" = "$before" ] && ! ci inspect x.io/hostile:1 2>/dev/null'
done
# layers whose bytes are wrong are found while they stream: the blobs verified before them may stay
# (as a failed pull keeps them, for the next try), but no image is recorded and nothing unverified lands
content=(
  "h-diffid.tar|does not match its diff ID|sha256:"
  "h-badgz.tar|.tar|"
)
for c in "${content[@]}"; do
  IFS='|' read -r f what why <<<"$c"
  t "hostile $f: refused naming \"$what\", no image recorded, every blob verified" \
    'before=$(index_sum); ! ci import docker-archive:$f x.io/hostile:1 2>e && grep -q "docker-archive:$f" e && grep -qF -- "$what" e && grep -qF -- "$why" e && [ "$(index_sum)" = "$before" ] && blobs_ok && ! ci inspect x.io/hostile:1 2>/dev/null'
done
t "a truncated oci-archive is refused" 'head -c 20000 oa.tar > h-oatrunc.tar; before=$(store_sum); ! ci import oci-archive:h-oatrunc.tar 2>e && grep -q "truncated" e && [ "$(store_sum)" = "$before" ]'
t "dir: with a changed blob is refused, nothing recorded" \
  'cp -r dd dbad && f=$(ls -S dbad | head -1) && printf X | dd of=dbad/$f bs=1 seek=10 conv=notrunc 2>/dev/null && before=$(index_sum); ! ci import dir:dbad x.io/bad:1 2>e && grep -q "$f: content does not match its digest" e && [ "$(index_sum)" = "$before" ] && blobs_ok'

# ---- the command line ----
t "crioimg --help lists save and the file sources of import and pull" \
  'ci --help > h && grep -q "crioimg save \[--store DIR\] \[--format docker-archive|oci-archive|oci-dir\] \[--json\] -o PATH NAME|ID" h && grep -q "docker-archive:FILE\[:NAME:TAG|:@N\]" h'
t "save --help and import --help exit 0 with their usage" 'ci save --help | grep -q "^usage: crioimg save" && ci import --help | grep -q "^usage: crioimg import"'
t "save without -o, or with an unknown format: usage error (2)" \
  'ci save x.io/load:oci; [ $? = 2 ] && { ci save --format tarball -o z.tar x.io/load:oci; [ $? = 2 ]; } && [ ! -e z.tar ]'
t "options after the arguments, --opt=value" 'ci save x.io/load:oci --output=late.tar --format=oci-archive --store="$tmp/store" && [ "$(sk_manifest oci-archive:late.tar:x.io/load:oci)" = "$omf" ]'

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
