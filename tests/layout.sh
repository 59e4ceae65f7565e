# Sourced by the shell tests: builds OCI layouts by hand (no registry, no umoci), for crioimg import.
#   mklayout DIR REF SEED [LAYER-BYTES]   an image named REF in layout DIR (created when missing): its
#                                         config says SEED (so SEED picks the image ID), its one layer
#                                         holds LAYER-BYTES random bytes (default 100)
#   mklayout DIR REF SEED LAYER-BYTES SAYS  the same, but the manifest declares the layer SAYS bytes long
mkblob() {  # mkblob DIR FILE -> prints the digest, moves FILE into DIR/blobs/sha256
  local h; h=$(sha256sum "$2" | cut -c1-64)
  mkdir -p "$1/blobs/sha256"; mv -f "$2" "$1/blobs/sha256/$h"; echo "sha256:$h"
}
mklayout() {
  local dir=$1 ref=$2 seed=$3 n=${4:-100} says=${5:-} c l m cs ls ms
  mkdir -p "$dir/blobs/sha256"
  [ -f "$dir/oci-layout" ] || printf '{"imageLayoutVersion":"1.0.0"}' > "$dir/oci-layout"
  [ -f "$dir/index.json" ] || printf '{"schemaVersion":2,"manifests":[]}' > "$dir/index.json"
  printf '{"architecture":"amd64","os":"linux","config":{"Labels":{"seed":"%s"}},"rootfs":{"type":"layers","diff_ids":[]}}' "$seed" > "$dir/c.tmp"
  cs=$(stat -c %s "$dir/c.tmp"); c=$(mkblob "$dir" "$dir/c.tmp")
  head -c "$n" /dev/urandom > "$dir/l.tmp"; ls=${says:-$(stat -c %s "$dir/l.tmp")}; l=$(mkblob "$dir" "$dir/l.tmp")
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"%s","size":%s}]}' "$c" "$cs" "$l" "$ls" > "$dir/m.tmp"
  ms=$(stat -c %s "$dir/m.tmp"); m=$(mkblob "$dir" "$dir/m.tmp")
  # one entry, REF as its ref.name (replacing the layout's index: one image per layout keeps this simple)
  printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"%s"}}]}' "$m" "$ms" "$ref" > "$dir/index.json"
  echo "${c#sha256:}"
}

# What a store lists, read from `images -o json` (crictl's document, one for the whole store):
#   imgs BIN STORE count     how many images
#   imgs BIN STORE tags      every repoTag, sorted, one a line
#   imgs BIN STORE unsized   how many images have no size (CRI-O's 0: a blob of theirs is missing)
# It fails when the store does not list or prints no valid document.
imgs() {
  "$1" images --store "$2" -o json | python3 -c '
import json, sys
d = json.load(sys.stdin)["images"]
w = sys.argv[1]
if w == "count": print(len(d))
elif w == "tags": print("\n".join(sorted(t for i in d for t in i["repoTags"])))
elif w == "unsized": print(sum(1 for i in d if i["size"] == "0"))
else: sys.exit("imgs: unknown question " + w)
' "$3"
}
