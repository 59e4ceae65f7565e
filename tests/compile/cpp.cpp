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
    return std::strcmp(r.tag, "1") == 0 ? 0 : 1;
}
