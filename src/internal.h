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

/* SSE2 (every x86-64) classifies 16 bytes at once for the reference parser's fast path; everything it
   decides, the portable path decides the same way (the tests and the fuzz target compare the two). */
#if defined(__SSE2__) && (defined(__GNUC__) || defined(__clang__)) && !defined(CRIOIMG_NO_SIMD)
#  include <emmintrin.h>
#  define CRIOIMG__SSE2 1
#  define CRIOIMG__INLINE __attribute__((always_inline)) static inline  /* small SSE2 helpers in hot loops */
#endif

/* Internal functions shared between modules: all one translation unit in crioimg.h, so static. */
#define CRIOIMG__LIB static

/* Sizes this code relies on. */
typedef char crioimg__static_assert_char_bits[CHAR_BIT == 8 ? 1 : -1];
