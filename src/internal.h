/* ---------------------------------------------------------------------------------------------------
   implementation prelude: configuration checks, libc, internal linkage
   --------------------------------------------------------------------------------------------------- */
#ifndef CRIOIMG__INTERNAL_H   /* a part compiled alone may include it twice (through toml.h, netaddr.h, ...) */
#define CRIOIMG__INTERNAL_H 1

/* A part compiled alone (clang -fsyntax-only -std=c99 -Isrc src/X.c): the public declarations from the
   committed header; internal functions shared between parts are then extern (CRIOIMG__LIB below), so a
   prototype of one defined in another part is never "unused" (this file is never linked). In crioimg.h,
   CRIOIMG_H is always defined here. Every part includes this file (or a header that includes it) before
   anything else, so the feature macros the implementation needs are set here, before any system header,
   by the rule crioimg.h applies for its users (intro.h); crioimg.h's own copy of the rule does not act
   here, as it is included below without CRIOIMG_IMPLEMENTATION. */
#ifndef CRIOIMG_H
#  ifndef _FILE_OFFSET_BITS
#    define _FILE_OFFSET_BITS 64
#  endif
#  if (defined(__unix__) || defined(__APPLE__)) && defined(__STRICT_ANSI__) && !defined(_POSIX_C_SOURCE) && \
      !defined(_XOPEN_SOURCE) && !defined(_GNU_SOURCE) && !defined(_DEFAULT_SOURCE) && !defined(_BSD_SOURCE)
#    define _POSIX_C_SOURCE 200809L
#  endif
#  undef CRIOIMG_IMPLEMENTATION
#  include "../crioimg.h"
#  define CRIOIMG_IMPLEMENTATION 1
#  define CRIOIMG__ALONE 1
#endif

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
#  include <signal.h>    /* kill(pid, 0): is the process that left a temporary gone (crioimg__tmp_orphan) */
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
   unless CRIOIMG_SIMD_AT_OS asks for them, and so is x86-64 SHA-NI (digest.c: 0.5 KB of a program that
   lists a store, issue 13); the ARMv8 SHA-256 instructions stay. */
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

/* Internal functions shared between modules: all one translation unit in crioimg.h, so static
   (extern in a part compiled alone: see above). */
#ifdef CRIOIMG__ALONE
#  define CRIOIMG__LIB
#  define CRIOIMG__LIB_DATA
#else
#  define CRIOIMG__LIB static
#  define CRIOIMG__LIB_DATA static   /* a table; declared below only for a part compiled alone (C++ has no tentative definitions) */
#endif

/* ---- helpers shared between parts: one declaration each, here; each defined once, in the part named ---- */

/* core.c: appends to a bounded output as snprintf does: counts everything, writes what fits, keeps a NUL */
typedef struct crioimg__out { char *p; size_t cap, len; } crioimg__out;
CRIOIMG__LIB void crioimg__out_put(crioimg__out *o, const char *s, size_t n);
CRIOIMG__LIB void crioimg__out_str(crioimg__out *o, const char *s);
CRIOIMG__LIB void crioimg__out_uint(crioimg__out *o, unsigned long long v);
CRIOIMG__LIB int crioimg__hexval(char c);
CRIOIMG__LIB int crioimg__ascii_ieq(const char *a, size_t an, const char *b);
CRIOIMG__LIB size_t crioimg__utf8_len(const unsigned char *s, size_t n);
CRIOIMG__LIB size_t crioimg__base64_decode(const char *s, size_t n, unsigned char *out, size_t cap, int strict);
CRIOIMG__LIB int crioimg__go_fold_eq(const char *a, size_t an, const char *b);
CRIOIMG__LIB int crioimg__path_exists(const char *path);
CRIOIMG__LIB crioimg_result crioimg__config_read(const char *path, size_t max, const crioimg_allocator *a, char **data, size_t *len,
                                                 crioimg__out *why);
CRIOIMG__LIB unsigned long crioimg__line_of(const char *s, size_t n, size_t at);
CRIOIMG__LIB void crioimg__writeback(int fd, long long written, long long *flushed);
/* ref.c: "containers-storage:..." alone */
CRIOIMG__LIB crioimg_result crioimg__image_name_parse_storage(crioimg_image_name *out, const char *s, size_t n, char *err, size_t errcap);
/* store.c: what the service's pull workers need of a blob writer */
CRIOIMG__LIB void crioimg__blob_writer_trust(crioimg_blob_writer *w);
CRIOIMG__LIB int crioimg__blob_writer_concurrent(const crioimg_blob_writer *w);
CRIOIMG__LIB const char *crioimg__blob_writer_error(const crioimg_blob_writer *w);
CRIOIMG__LIB crioimg_result crioimg__blob_writer_put(crioimg_blob_writer *w, const void *data, size_t len);
CRIOIMG__LIB int crioimg__blob_writer_can_pread(const crioimg_blob_writer *w);
CRIOIMG__LIB crioimg_result crioimg__blob_writer_pread(crioimg_blob_writer *w, long long off, void *buf, size_t len);
/* store.c: the store's index can be read (before a write path's first blob) */
CRIOIMG__LIB crioimg_result crioimg__store_index_ok(crioimg_store *s);
/* store_gc.c: a failed import or pull takes back the blobs it wrote that nothing references */
CRIOIMG__LIB void crioimg__gc_take_back(crioimg_store *s, const char *const *digests, size_t n);
/* registry.c: a worker's client takes over what its parent's ping learned */
CRIOIMG__LIB crioimg_result crioimg__registry_adopt_ping(crioimg_registry *dst, const crioimg_registry *src);
/* registry.c: who applies a blob's delivered bytes to the client's hasher. By default the client, as they
   arrive; through a relay (a pull's), someone else may, later (service.c: a worker with nothing left to
   fetch hashes them as read back from the store, while this thread receives and writes). hash is called
   with each delivered byte, in order, just before the consumer gets it; drain returns once every byte
   handed is in h, or the consumer failed (the blob is lost then, and h does not matter). The client
   drains before it reads h and before it returns. */
typedef struct crioimg__hash_relay {
    void (*hash)(void *u, crioimg_hasher *h, const void *p, size_t n);
    void (*drain)(void *u);
    void *u;
} crioimg__hash_relay;
CRIOIMG__LIB crioimg_result crioimg__registry_get_blob_relay(crioimg_registry *r, const char *repo, const crioimg_descriptor *d,
                                                             crioimg_registry_blob_fn fn, void *ctx, const crioimg__hash_relay *relay);
/* http.c: numbers and times of HTTP headers, and the clock the clients time out with */
CRIOIMG__LIB size_t crioimg__http_digits(const char *s, size_t n, long long max, long long *v);
CRIOIMG__LIB long long crioimg__days_from_civil(long long y, unsigned m, unsigned d);
CRIOIMG__LIB long long crioimg__http_now_ms(void);
/* auth.c: the member Go's encoding/json would decode into a struct field (case-folded key) */
CRIOIMG__LIB size_t crioimg__auth_field(const crioimg_json *doc, size_t obj, const char *field);
/* registries.c: allocation helpers the registry client shares */
CRIOIMG__LIB char *crioimg__reg_strndup(const crioimg_allocator *a, const char *s, size_t n);
CRIOIMG__LIB int crioimg__reg_grow(const crioimg_allocator *a, void **arr, size_t n, size_t *cap, size_t elem);
#ifdef CRIOIMG__ALONE
/* auth.c: RFC 7230 tchar, by byte (defined before every use in crioimg.h) */
extern const unsigned char crioimg__auth_tchar[256];
#endif
/* tar.c: a growing buffer with a cap (long names, PAX records; the unpacker's paths) */
typedef struct crioimg__tbuf { char *p; size_t len, cap; } crioimg__tbuf;
CRIOIMG__LIB int crioimg__tbuf_put(const crioimg_allocator *a, crioimg__tbuf *b, const void *p, size_t n, size_t max);

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

#ifdef CRIOIMG__HAVE_POSIX_IO
/* core.c: name is prefix + ".crioimg-tmp-" + a pid + end (a character, or '\0' for the name's end) and that
   process is gone: a temporary a killed save or unpack left, 1; else 0 (ours, alive, or not such a name).
   A pid another process took again only delays the removal. */
CRIOIMG__LIB int crioimg__tmp_orphan(const char *name, const char *prefix, size_t plen, char end);
#endif

#endif /* CRIOIMG__INTERNAL_H */
