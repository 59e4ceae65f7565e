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
    return std::strcmp(r.tag, "1") == 0 ? 0 : 1;
}
