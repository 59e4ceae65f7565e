/* crioimg.h - v0.1.0 - container image references, registry resolution, pulls and a local image store
   in one C header. MIT licensed; see the end of this file.

   USAGE
     In exactly one C or C++ file:
         #define CRIOIMG_IMPLEMENTATION
         #include "crioimg.h"
     Everywhere else, include "crioimg.h" plainly for the declarations.

         crioimg_ref ref;
         crioimg_result r = crioimg_ref_parse_normalized(&ref, "nginx", 5);
         if (r != CRIOIMG_OK) puts(crioimg_result_str(r));    (prints Go's exact error text)
         else printf("%s:%s\n", ref.name, ref.tag);          ("docker.io/library/nginx:")

   OPTIONS (define before the #include that has CRIOIMG_IMPLEMENTATION)
     CRIOIMG_STATIC                  make every public function static (private copy per translation unit)
     CRIOIMG_API                     override the linkage of public functions (default: extern)
     CRIOIMG_MALLOC, CRIOIMG_REALLOC, CRIOIMG_FREE
                                     replace libc's allocator; define all three or none
     CRIOIMG_ASSERT(x)               replace assert() (used for programmer errors only, never for input)
     CRIOIMG_NO_SIMD                 leave out the SSE2 fast paths (x86-64) and the SHA-NI / ARMv8 SHA-256
                                     code; the portable code gives the same answers
     CRIOIMG_WITH_CURL               HTTP(S) through libcurl (link with -lcurl)
     CRIOIMG_WITH_MBEDTLS            the built-in HTTPS client on sockets + mbedtls; also mbedtls's
                                     SHA-256 as a path (link with -lmbedtls -lmbedx509 -lmbedcrypto;
                                     POSIX.1-2001: define _POSIX_C_SOURCE 200112L or later first)
     _FILE_OFFSET_BITS 64, _POSIX_C_SOURCE 200809L
                                     what the implementation needs on POSIX systems (see above): defined by
                                     crioimg.h when it comes first, else an #error names the one missing
     CRIOIMG_MBEDTLS_CA_FILE         the system CA bundle it trusts ("/etc/ssl/certs/ca-certificates.crt")

   CONVENTIONS
     Every fallible function returns a crioimg_result: 0 (CRIOIMG_OK) or a negative code, whose text
     crioimg_result_str() gives. Where the Go original (distribution/reference, containers/image) has an
     error text, that text is the description. Reference parsing allocates nothing and fills fixed-size
     caller-owned structs. A zeroed options struct means "defaults". No mutable global state.
*/
#ifndef CRIOIMG_H
#define CRIOIMG_H

/* The implementation needs 64-bit file offsets (blobs over 2 GiB on 32-bit systems) and, on POSIX systems,
   POSIX.1-2008 declarations (openat, fdopendir, getaddrinfo). Set here, as SQLite does, when crioimg.h is
   the first #include of the implementation's file; otherwise define _FILE_OFFSET_BITS 64 and
   _POSIX_C_SOURCE 200809L (or _GNU_SOURCE) before the first #include there. A build where they did not take
   stops with an #error that says so, never a library that fails at run time. */
#if defined(CRIOIMG_IMPLEMENTATION) && !defined(_FILE_OFFSET_BITS)
#  define _FILE_OFFSET_BITS 64
#endif
#if defined(CRIOIMG_IMPLEMENTATION) && (defined(__unix__) || defined(__APPLE__)) && defined(__STRICT_ANSI__) && \
    !defined(_POSIX_C_SOURCE) && !defined(_XOPEN_SOURCE) && !defined(_GNU_SOURCE) && !defined(_DEFAULT_SOURCE) && !defined(_BSD_SOURCE)
#  define _POSIX_C_SOURCE 200809L   /* strict -std=c99 declares nothing of POSIX without it */
#endif

#define CRIOIMG_VERSION_MAJOR 0
#define CRIOIMG_VERSION_MINOR 1
#define CRIOIMG_VERSION_PATCH 0
#define CRIOIMG_VERSION_STRING "0.1.0"

#include <stddef.h>
#include <stdint.h>   /* the hash contexts' fixed-width words */

#ifndef CRIOIMG_API
#  ifdef CRIOIMG_STATIC
#    if defined(__GNUC__) || defined(__clang__)
#      define CRIOIMG_API static __attribute__((unused))  /* a program need not call every function */
#    else
#      define CRIOIMG_API static
#    endif
#  else
#    define CRIOIMG_API extern
#  endif
#endif

#ifdef __cplusplus
extern "C" {
#endif
