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

   CONTENTS (section: prefix -- entry points)
     core:        crioimg_result, crioimg_allocator -- crioimg_result_str, crioimg_result_name
     reference:   crioimg_ref_, crioimg_image_name_, crioimg_id_ -- crioimg_ref_parse_normalized,
                  crioimg_ref_parse_any, crioimg_ref_string, crioimg_image_name_parse
     digest:      crioimg_digest_, crioimg_sha256/384/512_, crioimg_hasher_ -- crioimg_digest_validate,
                  crioimg_hasher_init/update/verify, crioimg_sha256
     json:        crioimg_json_ -- crioimg_json_parse, crioimg_json_get, crioimg_json_writer_init
     inflate:     crioimg_inflate_ -- crioimg_inflate_new/run/finish (gzip and raw DEFLATE)
     manifest:    crioimg_manifest_, crioimg_platform_, crioimg_image_config_ -- crioimg_manifest_parse,
                  crioimg_manifest_choose
     registries:  crioimg_registries_, crioimg_cidr_, crioimg_candidates_ -- crioimg_registries_new,
                  crioimg_registries_load_conf, crioimg_registries_resolve, crioimg_registries_check_host
     auth:        crioimg_auth_, crioimg_credentials_ -- crioimg_auth_lookup, crioimg_www_authenticate_parse
     policy:      crioimg_policy_ -- crioimg_policy_load, crioimg_policy_check
     http:        crioimg_http_ -- crioimg_http_open (a host vtable or a built-in), crioimg_http_do
     registry:    crioimg_registry_ -- crioimg_registry_open, _get_manifest, _get_blob
     store:       crioimg_store_, crioimg_blob_, crioimg_image_list_ -- crioimg_store_open_oci,
                  crioimg_store_open_memory, crioimg_store_open (host vtable, crioimg_store_entries_pack
                  for its read_index), crioimg_store_list
     service:     crioimg_service_ -- crioimg_service_new, crioimg_service_pull_image,
                  crioimg_service_list_images (CRI-O's image service)
     tar, unpack: crioimg_tar_, crioimg_unpack -- crioimg_tar_reader_new, crioimg_unpack
   Public names start crioimg_ / CRIOIMG_; crioimg__ / CRIOIMG__ are internal.

   OPTIONS (define before the #include that has CRIOIMG_IMPLEMENTATION; none changes a public struct)
     CRIOIMG_STATIC                  make every public function static (private copy per translation unit)
     CRIOIMG_API                     override the linkage of public functions (default: extern)
     CRIOIMG_MALLOC, CRIOIMG_REALLOC, CRIOIMG_FREE
                                     replace libc's allocator; define all three or none (a crioimg_allocator
                                     in an options struct overrides them per object)
     CRIOIMG_ASSERT(x)               replace assert() (used for programmer errors only, never for input)
     CRIOIMG_WITH_CURL               HTTP(S) through libcurl (link with -lcurl)
     CRIOIMG_WITH_MBEDTLS            the built-in HTTPS client on sockets + mbedtls; also mbedtls's
                                     SHA-256 as a path (link with -lmbedtls -lmbedx509 -lmbedcrypto;
                                     POSIX.1-2001: define _POSIX_C_SOURCE 200112L or later first)
     CRIOIMG_MBEDTLS_CA_FILE         the system CA bundle it trusts ("/etc/ssl/certs/ca-certificates.crt")
     _FILE_OFFSET_BITS 64, _POSIX_C_SOURCE 200809L
                                     what the implementation needs on POSIX systems (see below): defined by
                                     crioimg.h when it comes first, else an #error names the one missing
   Leaving parts out (each makes the calls that need the part fail with a clear result, never silently):
     CRIOIMG_NO_SIMD                 leave out the SSE2 fast paths (x86-64) and the SHA-NI / ARMv8 SHA-256
                                     code; the portable code gives the same answers. Under -Os
                                     (__OPTIMIZE_SIZE__) the SSE2 text paths and SHA-NI are left out anyway
     CRIOIMG_SIMD_AT_OS              unless this is defined; the ARMv8 SHA-256 instructions stay
     CRIOIMG_NO_SHA512               leave out SHA-384 and SHA-512 (crioimg_sha384_*, crioimg_sha512_* are
                                     not defined; a hasher or a blob with those digests is
                                     ERR_DIGEST_UNSUPPORTED; the grammar still accepts them)
     CRIOIMG_NO_OCI_STORE            leave out the OCI image-layout store: crioimg_store_open_oci is
                                     ERR_UNSUPPORTED (the in-memory store and host stores remain)
     CRIOIMG_NO_STORE_WRITE          the OCI image-layout store only reads: opened read-only whatever the
                                     options say (create ignored; every change ERR_STORE_READ_ONLY), its
                                     writing code and the listing-cache writer left out
     CRIOIMG_NO_WRITEBACK            no early writeback (sync_file_range) while a blob or a saved archive is written (Linux)
     CRIOIMG_NO_GETADDRINFO          no built-in name resolver for insecure-registry CIDR checks: names are
                                     then looked up only through a host's crioimg_resolver (directory
                                     reading of registries.conf.d and certs.d is not affected)
     CRIOIMG_NO_THREADS              a pull fetches one blob at a time (no pthreads)
     CRIOIMG_NO_POLICY_FILES         policy.json files and path scopes are ERR_UNSUPPORTED (in-memory
                                     policies remain)
     CRIOIMG_NO_UNPACK               crioimg_unpack / crioimg_layer_apply are ERR_UNSUPPORTED
     CRIOIMG_NO_UNICODE_QUOTE        error texts that quote an input as Go's %q does escape every non-ASCII
                                     rune (\uXXXX) instead of keeping the printable ones: Go's
                                     strconv.IsPrint table (1.4 KB) left out; results are the same, only
                                     such texts differ from Go's
   What each use case costs in a program (-Os, --gc-sections): bench/footprint/run.

   THREADS
     No mutable global state: separate objects may be used on separate threads freely. One object
     (crioimg_store, crioimg_registries, crioimg_http, crioimg_registry, crioimg_service, a parser) is for
     one thread at a time; the exceptions are said where they are (crioimg_policy_check reads only; a
     pull with jobs > 1 runs its own threads over one store handle and transport, a host store's
     blob_sync may be called off-thread, and so may its blob_write, for different handles at once,
     when it has blob_error). Processes and threads that share an OCI store each open their
     own handle; the store locks (flock) for them.

   OWNERSHIP
     What crioimg_x_new/_open/_parse/_load gives, crioimg_x_free/_close takes back. Strings a function
     returns are borrowed: they live as long as their owner (or until the next call on it, as *_error()
     texts). Structs filled for the caller (crioimg_ref, crioimg_digest) are caller-owned and allocate
     nothing; lists (crioimg_candidates, crioimg_image_list) are freed with their _free. Vtables and
     options are copied: the caller's struct may go away after the call.

   STACK
     Parsers fill fixed-size structs and the JSON and TOML readers cap their nesting, so no input
     deepens the stack without bound. Buffers of PATH_MAX or URL size come from the allocator, not the
     stack. No function's frame is over 4 KiB: with gcc 12 on x86-64 the largest is 3,456 bytes at -O2
     and 3,360 at -Os (crioimg__arc_docker, loading a docker-archive), and about 3 KiB at -O0 (the SHA-NI
     block function, 3,128 bytes; clang -O0 3,112). A whole pull (examples/test_harness.c) peaks at
     about 30 KiB of stack (30,696 bytes at -O2). bench/stack/run measures both at -O2 and -Os, and
     tests/stack.sh fails past 4 KiB a frame or 32 KiB a pull.

   ERRORS
     Every fallible function returns a crioimg_result: 0 (CRIOIMG_OK) or a negative code, whose text
     crioimg_result_str() gives. Where the Go original (distribution/reference, containers/image) has an
     error text, that text is the description. One rule for the detail, as sqlite3_errmsg():
     - an object's *_error() text is never empty after a failed call on it: crioimg_store_error(),
       crioimg_registries_error(), crioimg_service_error(), crioimg_registry_error(),
       crioimg_inflate_error(), crioimg_tar_reader_error() -- valid until the next call on that object;
     - a constructor that fails hands its text back through its err/errcap pair (crioimg_service_new,
       crioimg_registry_open: never empty on failure, "" on success); constructors without one
       (crioimg_registries_new, crioimg_http_open*) fail only with codes that say everything
       (ERR_INVALID_ARGS for a bad vtable version or allocator, ERR_NOMEM, ERR_HTTP_NO_TRANSPORT);
     - functions without an object take an err/errcap pair too (a NUL-terminated text, truncated, never
       overflowed);
     - a host's vtable returns its detail the same way: the HTTP transport's request writes err/errcap
       (crioimg_http_do puts the result's text there when the transport left it empty).
     There is no second channel (no global, no errno) for the same failure. A zeroed options struct means
     "defaults", and the defaults are the safe ones (TLS verified unless insecure_skip_verify says
     otherwise, limits on).

   VTABLES
     A host supplies a store, an HTTP transport or a name resolver as a struct of function pointers
     whose first field is its version: start from CRIOIMG_STORE_VTABLE_INIT, CRIOIMG_HTTP_VTABLE_INIT,
     CRIOIMG_RESOLVER_INIT or CRIOIMG_IMAGE_IDS_INIT and set the methods it has; a NULL method is
     "unsupported" (a clear result, never a crash).
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
