// The header compiled as C++ (declarations and implementation), used from C++ code.
#define CRIOIMG_IMPLEMENTATION
#include "../../crioimg.h"
#ifndef CRIOIMG_IMPLEMENTATION_INCLUDED
#error "implementation not included"
#endif
#include <cstring>
int main()
{
    crioimg_ref r;
    const char *s = "quay.io/a/b:1";
    if (crioimg_ref_parse_normalized(&r, s, std::strlen(s)) != CRIOIMG_OK) return 1;
    crioimg_digest d;   // digests and hashing from C++ too
    const char *dg = "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    if (crioimg_digest_parse(&d, dg, std::strlen(dg)) != CRIOIMG_OK || crioimg_digest_verify(&d, "abc", 3) != CRIOIMG_OK) return 1;
    // the vtable initialisers, as C++ aggregate initialisation: the version set, everything else null
    crioimg_store_vtable sv = CRIOIMG_STORE_VTABLE_INIT;
    crioimg_http_vtable hv = CRIOIMG_HTTP_VTABLE_INIT;
    crioimg_resolver rv = CRIOIMG_RESOLVER_INIT;
    crioimg_image_ids iv = CRIOIMG_IMAGE_IDS_INIT;
    if (sv.version != CRIOIMG_STORE_VTABLE_VERSION || sv.blob_sync != NULL || hv.version != CRIOIMG_HTTP_VTABLE_VERSION ||
        hv.request != NULL || rv.version != CRIOIMG_RESOLVER_VERSION || iv.version != CRIOIMG_IMAGE_IDS_VERSION) return 1;
    return std::strcmp(r.tag, "1") == 0 ? 0 : 1;
}
