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
