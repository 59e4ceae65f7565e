/* must NOT compile: CRIOIMG_MALLOC without CRIOIMG_REALLOC and CRIOIMG_FREE */
#include <stdlib.h>
#define CRIOIMG_MALLOC(n) malloc(n)
#define CRIOIMG_IMPLEMENTATION
#include "../../crioimg.h"
