/* All C tests in one program, built against the amalgamated crioimg.h with the implementation in this
   translation unit, so tests can also reach crioimg__ internals. The allocator is replaced by counting
   wrappers so that tests can assert what allocates. */
#define _POSIX_C_SOURCE 200809L
#define _FILE_OFFSET_BITS 64   /* large blobs on 32-bit systems: before any #include, as crioimg needs */
#include <stdlib.h>
#include <stddef.h>

static size_t t_allocs;
/* counted atomically where the compiler can: a pull with jobs > 1 allocates from several threads */
#if defined(__GNUC__) || defined(__clang__)
#  define T_COUNT() __atomic_fetch_add(&t_allocs, 1, __ATOMIC_RELAXED)
#else
#  define T_COUNT() t_allocs++
#endif
static void *t_malloc(size_t n) { T_COUNT(); return malloc(n); }
static void *t_realloc(void *p, size_t n) { T_COUNT(); return realloc(p, n); }
static void t_free(void *p) { free(p); }
#define CRIOIMG_MALLOC(n) t_malloc(n)
#define CRIOIMG_REALLOC(p, n) t_realloc(p, n)
#define CRIOIMG_FREE(p) t_free(p)
#define CRIOIMG__TEST_FAULTS 1    /* the OCI store's write/fsync/rename through a table tests swap (test_store.c) */
#define CRIOIMG_IMPLEMENTATION
#include "../crioimg.h"

#include "test.h"
#define CRIOIMG_FUZZ_REPLAY 1      /* the fuzz targets' helpers, without their libFuzzer entry points */
#include "../fuzz/fuzz_ref.c"
#include "../fuzz/fuzz_json.c"
#include "../fuzz/fuzz_http_response.c"
#include "test_core.c"
#include "test_ref.c"
#include "test_image_name.c"
#include "test_digest.c"
#include "test_json.c"
#include "test_inflate.c"
#include "test_manifest.c"
#include "test_auth.c"
#include "test_http.c"
#include "test_registry.c"
#include "test_http_response.c"
#include "test_registries.c"
#include "test_registries_conf.c"
#include "test_store.c"
#include "test_service.c"
#include "test_pull.c"
#include "test_policy.c"
#include "test_tar.c"
#include "test_unpack.c"
#include "test_archive.c"

int main(void)
{
    test_core();
    test_ref();
    test_image_name();
    test_digest();
    test_json();
    test_inflate();
    test_manifest();
    test_auth();
    test_http();
    test_registry();
    test_http_response();
    test_registries();
    test_registries_conf();
    test_store();
    test_service();
    test_pull();
    test_policy();
    test_tar();
    test_unpack();
    test_archive();
    return tests_done();
}
