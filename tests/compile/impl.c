#define CRIOIMG_IMPLEMENTATION
#include "../../crioimg.h"
#if !defined(CRIOIMG_IMPLEMENTATION_INCLUDED)
#error "implementation not included"
#endif
