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
#include <stdio.h>   /* auth files */
#include <errno.h>
#if defined(__unix__) || defined(__APPLE__)
#  include <unistd.h>  /* getuid, read, close */
#  include <fcntl.h>   /* open: configuration files, never blocking (crioimg__config_read) */
#  include <sys/stat.h>
#  include <sys/types.h> /* off_t */
#  define CRIOIMG__HAVE_POSIX_IO 1
/* POSIX.1-2008 declared (crioimg.h defines _POSIX_C_SOURCE when it is the first #include; see intro.h) */
#  if defined(__GLIBC__)
#    if defined(__USE_XOPEN2K8)
#      define CRIOIMG__POSIX2008 1
#    endif
#  elif defined(_GNU_SOURCE) || defined(_DEFAULT_SOURCE) || defined(_BSD_SOURCE) || defined(__APPLE__) || \
        (defined(_POSIX_C_SOURCE) ? _POSIX_C_SOURCE >= 200809L : defined(_XOPEN_SOURCE) ? _XOPEN_SOURCE >= 700 : !defined(__STRICT_ANSI__))
#    define CRIOIMG__POSIX2008 1
#  endif
#  ifndef CRIOIMG__POSIX2008
#    error "crioimg: the implementation needs POSIX.1-2008: #define _POSIX_C_SOURCE 200809L before the first #include of the file that defines CRIOIMG_IMPLEMENTATION"
#  endif
/* 64-bit off_t: a 32-bit glibc build without it fails stat() on blobs over 2 GiB and readdir() with
   EOVERFLOW on large inode numbers */
#  if defined(__GLIBC__) && !defined(__USE_FILE_OFFSET64) && !defined(__OFF_T_MATCHES_OFF64_T)
#    error "crioimg: the implementation needs 64-bit file offsets: #define _FILE_OFFSET_BITS 64 before the first #include of the file that defines CRIOIMG_IMPLEMENTATION"
#  endif
typedef char crioimg__static_assert_off_t_64_bits[sizeof(off_t) >= 8 ? 1 : -1];
#endif
#include <limits.h>

/* SSE2 (every x86-64) classifies 16 bytes at once for the reference parser's fast path; everything it
   decides, the portable path decides the same way (the tests and the fuzz target compare the two).
   A build for size (-Os: __OPTIMIZE_SIZE__) leaves these text paths out, 4.6 KB of a parse-only program,
   unless CRIOIMG_SIMD_AT_OS asks for them; the SHA-256 instructions (SHA-NI, ARMv8) stay, as hashing
   layers is where the time goes. */
#if defined(__SSE2__) && (defined(__GNUC__) || defined(__clang__)) && !defined(CRIOIMG_NO_SIMD) && \
    (!defined(__OPTIMIZE_SIZE__) || defined(CRIOIMG_SIMD_AT_OS))
#  include <emmintrin.h>
#  define CRIOIMG__SSE2 1
#  define CRIOIMG__INLINE __attribute__((always_inline)) static inline  /* small SSE2 helpers in hot loops */
#endif

/* Keeps a function's frame out of its caller's: a rarely taken path with big locals (the token fetch)
   must not add them to every request's stack. */
#if defined(__GNUC__) || defined(__clang__)
#  define CRIOIMG__NOINLINE __attribute__((noinline))
#else
#  define CRIOIMG__NOINLINE
#endif

/* Internal functions shared between modules: all one translation unit in crioimg.h, so static. */
#define CRIOIMG__LIB static

/* A 256-entry byte table from a macro F(c) that is a constant expression of the byte value c:
   static const unsigned char t[256] = { CRIOIMG__TABLE256(F) }; keeps each table's rule in one line. */
#define CRIOIMG__T4(F, c) F(c), F((c) + 1), F((c) + 2), F((c) + 3)
#define CRIOIMG__T16(F, c) CRIOIMG__T4(F, c), CRIOIMG__T4(F, (c) + 4), CRIOIMG__T4(F, (c) + 8), CRIOIMG__T4(F, (c) + 12)
#define CRIOIMG__T64(F, c) CRIOIMG__T16(F, c), CRIOIMG__T16(F, (c) + 16), CRIOIMG__T16(F, (c) + 32), CRIOIMG__T16(F, (c) + 48)
#define CRIOIMG__TABLE256(F) CRIOIMG__T64(F, 0), CRIOIMG__T64(F, 64), CRIOIMG__T64(F, 128), CRIOIMG__T64(F, 192)

/* Sizes this code relies on. */
typedef char crioimg__static_assert_char_bits[CHAR_BIT == 8 ? 1 : -1];

/* Writeback started as a blob streams in (Linux's sync_file_range, asynchronous): by the time the blob
   is complete most of it is on its way to the disk, and the fsync before commit waits for the last
   stretch instead of writing the whole blob then (measured in bench/pull: that fsync was a third of a
   pull's wall time; the same holds for an archive crioimg save writes). Advisory only: fsync still decides durability, and a failure here is ignored.
   CRIOIMG_NO_WRITEBACK turns it off. Declared here when <fcntl.h> did not (it does under _GNU_SOURCE):
   one symbol with 64-bit offsets in glibc and musl alike, which off_t is under _FILE_OFFSET_BITS 64. */
#if defined(__linux__) && defined(CRIOIMG__HAVE_POSIX_IO) && !defined(CRIOIMG_NO_WRITEBACK)
#  define CRIOIMG__WRITEBACK 1
#  ifndef SYNC_FILE_RANGE_WRITE
#    define SYNC_FILE_RANGE_WRITE 2
extern int sync_file_range(int fd, off_t offset, off_t nbytes, unsigned int flags);
#  endif
#endif
#define CRIOIMG__WRITEBACK_STEP (4LL << 20)   /* bytes between two writeback starts */
