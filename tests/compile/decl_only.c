/* declarations only; the implementation is linked from impl.c */
#include "../../crioimg.h"
#ifdef CRIOIMG_IMPLEMENTATION_INCLUDED
#error "declarations-only unit got the implementation"
#endif
int main(void)
{
    crioimg_ref r;
    return crioimg_ref_parse_normalized(&r, "nginx", 5) == CRIOIMG_OK && r.name_len == 23 ? 0 : 1;
}
