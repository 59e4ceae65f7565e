/* CRIOIMG_STATIC: each translation unit has its own private copy; two of them link into one program */
#define CRIOIMG_STATIC
#define CRIOIMG_IMPLEMENTATION
#include "../../crioimg.h"
#ifndef CRIOIMG_IMPLEMENTATION_INCLUDED
#error "implementation not included"
#endif
int static_b(void);
int main(void)
{
    crioimg_ref r;
    return crioimg_ref_parse(&r, "a/b", 3) == CRIOIMG_OK && static_b() == 0 ? 0 : 1;
}
