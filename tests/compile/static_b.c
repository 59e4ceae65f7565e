#define CRIOIMG_STATIC
#define CRIOIMG_IMPLEMENTATION
#include "../../crioimg.h"
#include "../../crioimg.h"  /* a second inclusion is harmless */
#ifndef CRIOIMG_IMPLEMENTATION_INCLUDED
#error "implementation not included"
#endif
int static_b(void);
int static_b(void)
{
    crioimg_ref r;
    return crioimg_ref_parse_normalized(&r, "nginx", 5) == CRIOIMG_OK ? 0 : 1;
}
