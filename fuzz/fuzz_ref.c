/* libFuzzer target for reference parsing: never crash, never read past the input, never allocate, and
   round-trip: parse -> String -> parse gives the same parts; the familiar form parses back the same.
   Also drives the transport-qualified parser and path.Match with the input as the pattern. */
#ifndef _POSIX_C_SOURCE   /* crioimg's implementation: POSIX.1-2008 and 64-bit file offsets, before any #include */
#define _POSIX_C_SOURCE 200809L
#define _FILE_OFFSET_BITS 64
#endif
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifndef CRIOIMG_FUZZ_REPLAY
#define CRIOIMG_IMPLEMENTATION
#endif
#include "../crioimg.h"

/* The first component of s would be taken for a registry: FamiliarString does not survive a re-parse
   then (Go's familiarizeName strips "docker.io/" whatever follows it). */
static int fuzz_ref_looks_qualified(const char *s, size_t n)
{
    const char *slash = (const char *)memchr(s, '/', n);
    size_t c0;
    if (slash == NULL) return 0;
    c0 = (size_t)(slash - s);
    return memchr(s, '.', c0) || memchr(s, ':', c0) || (c0 == 9 && memcmp(s, "localhost", 9) == 0);
}

static void fuzz_ref_roundtrip(const crioimg_ref *a, int normalized)
{
    crioimg_ref b;
    char s[CRIOIMG_REF_STRING_MAX + 1];
    size_t l = crioimg_ref_string(a, s, sizeof s), dl, pl;
    const char *d, *p;
    if (l >= sizeof s) abort();
    if (a->name_len == 0) {  /* digest only */
        if (crioimg_ref_parse_any(&b, s, l) != CRIOIMG_OK || !crioimg_ref_equal(a, &b)) abort();
        return;
    }
    if (crioimg_ref_parse(&b, s, l) != CRIOIMG_OK || !crioimg_ref_equal(a, &b)) abort();
    d = crioimg_ref_domain(a, &dl);
    p = crioimg_ref_path(a, &pl);
    if (d != a->name || (dl ? dl + 1 + pl : pl) != a->name_len || p[pl] != '\0') abort();
    if (!normalized) return;
    if (crioimg_ref_parse_named(&b, s, l) != CRIOIMG_OK || !crioimg_ref_equal(a, &b)) abort();
    l = crioimg_ref_familiar_string(a, s, sizeof s);
    if (crioimg_id_is_full(s, l)) return;  /* a 64-hex familiar name is refused by design */
    if (fuzz_ref_looks_qualified(s, l)) return;  /* Go's FamiliarString keeps "docker.io/a.b/c" as "a.b/c" */
    if (crioimg_ref_parse_normalized(&b, s, l) != CRIOIMG_OK || !crioimg_ref_equal(a, &b)) abort();
}

/* The SSE2 fast path and the portable path must agree wherever the fast path decides. */
static void fuzz_ref_paths_agree(const char *s, size_t n)
{
#ifdef CRIOIMG__SSE2
    int prefixed;
    for (prefixed = 0; prefixed < 2; prefixed++) {
        crioimg__ref_masks k;
        crioimg__ref_match a, b;
        int fa, pb;
        crioimg__ref_classify(&k, s, n);
        fa = crioimg__ref_match_fast(&a, &k, s, n, prefixed);
        pb = crioimg__ref_match_parts(&b, s, n, prefixed, 0);
        if (fa == 0 && pb) abort();
        if (fa == 1 && (!pb || a.name_len != b.name_len || a.domain_len != b.domain_len || a.tag_len != b.tag_len ||
                        a.digest_len != b.digest_len || (a.tag == NULL) != (b.tag == NULL) ||
                        (a.digest == NULL) != (b.digest == NULL))) abort();
    }
    for (prefixed = 0; prefixed < 2; prefixed++)  /* here: fold; the long-path validator vs the scalar one */
        if (n > 0 && crioimg__ref_path_ok(s, n, prefixed) != crioimg__ref_path_scalar(s, n, prefixed)) abort();
#else
    (void)s; (void)n;
#endif
}

static int fuzz_ref(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    crioimg_ref r;
    crioimg_image_name in;
    char err[256];
    int m;
    fuzz_ref_paths_agree(s, size);
    if (crioimg_ref_parse_normalized(&r, s, size) == CRIOIMG_OK) fuzz_ref_roundtrip(&r, 1);
    if (crioimg_ref_parse(&r, s, size) == CRIOIMG_OK) fuzz_ref_roundtrip(&r, 0);
    if (crioimg_ref_parse_any(&r, s, size) == CRIOIMG_OK) fuzz_ref_roundtrip(&r, r.name_len && r.domain_len);
    if (crioimg_ref_parse_docker(&r, s, size) == CRIOIMG_OK && (r.tag_len == 0) == (r.digest_len == 0)) abort();
    crioimg_image_name_parse(&in, s, size, err, sizeof err, NULL);
    if (crioimg_ref_parse_normalized(&r, "quay.io/library/busybox:1.36", 28) != CRIOIMG_OK) abort();
    crioimg_ref_familiar_match(s, size, &r, &m);
    return 0;
}

#ifndef CRIOIMG_FUZZ_REPLAY
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return fuzz_ref(data, size); }
#endif
