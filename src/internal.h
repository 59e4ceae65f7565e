/* ---------------------------------------------------------------------------------------------------
   implementation prelude: configuration checks, libc, internal linkage
   --------------------------------------------------------------------------------------------------- */

#if defined(CRIOIMG_MALLOC) || defined(CRIOIMG_REALLOC) || defined(CRIOIMG_FREE)
#  if !defined(CRIOIMG_MALLOC) || !defined(CRIOIMG_REALLOC) || !defined(CRIOIMG_FREE)
#    error "crioimg: define all of CRIOIMG_MALLOC, CRIOIMG_REALLOC and CRIOIMG_FREE, or none of them"
#  endif
#else
#  include <stdlib.h>
#  define CRIOIMG_MALLOC(sz) malloc(sz)
#  define CRIOIMG_REALLOC(p, sz) realloc(p, sz)
#  define CRIOIMG_FREE(p) free(p)
#endif

#ifndef CRIOIMG_ASSERT
#  include <assert.h>
#  define CRIOIMG_ASSERT(x) assert(x)
#endif

#include <string.h>
#include <limits.h>

/* Internal functions shared between modules: all one translation unit in crioimg.h, so static. */
#define CRIOIMG__LIB static

/* Sizes this code relies on. */
typedef char crioimg__static_assert_char_bits[CHAR_BIT == 8 ? 1 : -1];
