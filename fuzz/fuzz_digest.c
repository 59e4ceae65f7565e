/* libFuzzer target for digests: the parser never crashes, never reads past the input, never allocates;
   what it accepts and refuses is what a plain character-by-character reading of the image-spec grammar
   says, and what go-digest's check (crioimg_digest_validate) says for the known algorithms; its spans
   tile the input; every refusal has a reason in its message. The input is also hashed on every SHA-256
   path this CPU and build have, whole and split at input-chosen points, and with SHA-384/512 split: all
   must agree. A hash's digest string must parse and verify, and stop verifying when one digit changes. */
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

/* The grammar read plainly, as the image-spec writes it: the result the parser must give. */
static crioimg_result fuzz_digest_expect(const char *s, size_t n, crioimg_digest_alg *alg)
{
    size_t i = 0, start, want;
    for (;;) {  /* component (separator component)* */
        start = i;
        while (i < n && ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9'))) i++;
        if (i == start) return CRIOIMG_ERR_DIGEST_FORMAT;
        if (i < n && (s[i] == '+' || s[i] == '.' || s[i] == '_' || s[i] == '-')) { i++; continue; }
        break;
    }
    if (i == n || s[i] != ':') return CRIOIMG_ERR_DIGEST_FORMAT;
    *alg = i == 6 && memcmp(s, "sha256", 6) == 0 ? CRIOIMG_DIGEST_SHA256 :
           i == 6 && memcmp(s, "sha384", 6) == 0 ? CRIOIMG_DIGEST_SHA384 :
           i == 6 && memcmp(s, "sha512", 6) == 0 ? CRIOIMG_DIGEST_SHA512 : CRIOIMG_DIGEST_UNKNOWN;
    start = ++i;
    for (; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '=' || c == '_' || c == '-'))
            return CRIOIMG_ERR_DIGEST_FORMAT;
    }
    if (n == start) return CRIOIMG_ERR_DIGEST_FORMAT;
    if (*alg == CRIOIMG_DIGEST_UNKNOWN) return CRIOIMG_OK;
    want = *alg == CRIOIMG_DIGEST_SHA256 ? 64 : *alg == CRIOIMG_DIGEST_SHA384 ? 96 : 128;
    if (n - start != want) return CRIOIMG_ERR_DIGEST_LENGTH;
    for (i = start; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'f') || (s[i] >= '0' && s[i] <= '9'))) return CRIOIMG_ERR_DIGEST_FORMAT;
    return CRIOIMG_OK;
}

static void fuzz_digest_parse(const char *s, size_t n)
{
    crioimg_digest d;
    crioimg_digest_alg alg = CRIOIMG_DIGEST_UNKNOWN;
    crioimg_result want = fuzz_digest_expect(s, n, &alg), r = crioimg_digest_parse(&d, s, n), v;
    char msg[1024];
    size_t l;
    if (r != want) abort();
    v = crioimg_digest_validate(s, n);
    if ((r == CRIOIMG_OK && alg != CRIOIMG_DIGEST_UNKNOWN) != (v == CRIOIMG_OK)) abort();
    if ((r == CRIOIMG_OK && alg == CRIOIMG_DIGEST_UNKNOWN) != (v == CRIOIMG_ERR_DIGEST_UNSUPPORTED)) abort();
    l = crioimg_digest_error_message(r == CRIOIMG_OK ? CRIOIMG_ERR_DIGEST_UNSUPPORTED : r, s, n, msg, sizeof msg);
    if (l != strlen(msg) || l >= sizeof msg) abort();
    if (r != CRIOIMG_OK) {
        /* the message ends with the reason: after the quoted input there is ": " and more */
        const char *q = strrchr(msg, '"');
        if (d.alg != 0 || d.algorithm.ptr != NULL || q == NULL || q[1] != ':' || q[3] == '\0') abort();
        return;
    }
    if (d.alg != alg || d.algorithm.ptr != s || d.algorithm.len == 0 || s[d.algorithm.len] != ':' ||
        d.encoded.ptr != s + d.algorithm.len + 1 || d.algorithm.len + 1 + d.encoded.len != n ||
        memchr(s, '/', n) != NULL || memchr(d.encoded.ptr, '.', d.encoded.len) != NULL) abort();
    if (alg == CRIOIMG_DIGEST_UNKNOWN && crioimg_digest_verify(&d, s, n) != CRIOIMG_ERR_DIGEST_UNSUPPORTED) abort();
}

/* One context per SHA-256 path, asked of the CPU once (CPUID traps in a VM); copies are reused. */
static crioimg_sha256_ctx fuzz_digest_paths[CRIOIMG_SHA256_IMPL_COUNT];
static int fuzz_digest_have[CRIOIMG_SHA256_IMPL_COUNT], fuzz_digest_ready;

static void fuzz_digest_hash(const uint8_t *p, size_t n)
{
    unsigned char ref[64], got[64];
    size_t cut1 = n ? p[0] % (n + 1) : 0, cut2 = n > 1 ? cut1 + p[1] % (n - cut1 + 1) : cut1;
    crioimg_hasher h;
    crioimg_digest d;
    char s[CRIOIMG_DIGEST_STRING_MAX + 1];
    int i;
    if (!fuzz_digest_ready) {
        for (i = CRIOIMG_SHA256_PORTABLE; i < CRIOIMG_SHA256_IMPL_COUNT; i++)
            fuzz_digest_have[i] = crioimg_sha256_init_impl(&fuzz_digest_paths[i], (crioimg_sha256_impl)i) == CRIOIMG_OK;
        fuzz_digest_ready = 1;
    }
    for (i = CRIOIMG_SHA256_PORTABLE; i < CRIOIMG_SHA256_IMPL_COUNT; i++) {
        crioimg_sha256_ctx c;
        if (!fuzz_digest_have[i]) continue;
        c = fuzz_digest_paths[i];
        crioimg_sha256_update(&c, p, n);
        crioimg_sha256_final(&c, i == CRIOIMG_SHA256_PORTABLE ? ref : got);
        if (i != CRIOIMG_SHA256_PORTABLE && memcmp(ref, got, 32) != 0) abort();
        c = fuzz_digest_paths[i];  /* in three pieces */
        crioimg_sha256_update(&c, p, cut1);
        crioimg_sha256_update(&c, p + cut1, cut2 - cut1);
        crioimg_sha256_update(&c, p + cut2, n - cut2);
        crioimg_sha256_final(&c, got);
        if (memcmp(ref, got, 32) != 0) abort();
    }
    /* the digest string of the hash parses, verifies, and a changed digit does not */
    h.alg = CRIOIMG_DIGEST_SHA256;
    h.u.sha256 = fuzz_digest_paths[CRIOIMG_SHA256_PORTABLE];
    crioimg_hasher_update(&h, p, n);
    if (crioimg_hasher_final_string(&h, s, sizeof s) != 71) abort();
    if (crioimg_digest_parse(&d, s, 71) != CRIOIMG_OK || d.alg != CRIOIMG_DIGEST_SHA256) abort();
    if (crioimg_digest_verify(&d, p, n) != CRIOIMG_OK) abort();
    s[7 + cut1 % 64] = s[7 + cut1 % 64] == '0' ? '1' : '0';
    if (crioimg_digest_verify(&d, p, n) != CRIOIMG_ERR_DIGEST_MISMATCH) abort();
    /* SHA-512 and SHA-384, whole and split */
    crioimg_sha512(p, n, ref);
    crioimg_sha512_init(&h.u.sha512);
    crioimg_sha512_update(&h.u.sha512, p, cut1);
    crioimg_sha512_update(&h.u.sha512, p + cut1, n - cut1);
    crioimg_sha512_final(&h.u.sha512, got);
    if (memcmp(ref, got, 64) != 0) abort();
    crioimg_sha384(p, n, ref);
    crioimg_sha384_init(&h.u.sha512);
    crioimg_sha384_update(&h.u.sha512, p, cut2);
    crioimg_sha384_update(&h.u.sha512, p + cut2, n - cut2);
    crioimg_sha384_final(&h.u.sha512, got);
    if (memcmp(ref, got, 48) != 0) abort();
}

static int fuzz_digest(const uint8_t *data, size_t size)
{
    fuzz_digest_parse((const char *)data, size);
    fuzz_digest_hash(data, size);
    return 0;
}

#ifndef CRIOIMG_FUZZ_REPLAY
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return fuzz_digest(data, size); }
#endif
