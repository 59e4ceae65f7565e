/* ---------------------------------------------------------------------------------------------------
   digest implementation

   The parser is one pass over the grammar (ref.c's character classes), then the known algorithm's
   length and lowercase-hex rules; the same function finds the reason for crioimg_digest_error_message,
   so the code and the message cannot disagree.

   SHA-256's paths share the buffering and padding below; each supplies only "compress these n blocks",
   which keeps its state in registers across a whole update. mbedtls (optional) is the exception: it does
   its own buffering, in the context's union. The hardware paths are compiled with a target attribute,
   so the rest of the library needs no -m or -march flags, and run only when the CPU says it has them.
   --------------------------------------------------------------------------------------------------- */
#include "internal.h"
#include "ref_internal.h"

/* x86-64 SHA extensions: gcc >= 5 and clang know the intrinsics and the target attribute. A build for
   size (-Os) leaves them out, as it does the SSE2 text paths (internal.h), unless CRIOIMG_SIMD_AT_OS: the
   portable code hashes the same (issue 13: 0.5 KB of a program that lists a store). */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(CRIOIMG_NO_SIMD) && \
    (defined(__clang__) || __GNUC__ >= 5) && (!defined(__OPTIMIZE_SIZE__) || defined(CRIOIMG_SIMD_AT_OS))
#  include <immintrin.h>
#  include <cpuid.h>
#  define CRIOIMG__SHA256_SHANI 1
#endif

/* ARMv8 crypto extensions. gcc's arm_neon.h offers the SHA-256 intrinsics to any function compiled for
   "+crypto" (gcc >= 8); clang's only with the feature on the command line, before clang 16. */
#if defined(__aarch64__) && !defined(__AARCH64EB__) && !defined(CRIOIMG_NO_SIMD) && (defined(__GNUC__) || defined(__clang__))
#  if defined(__ARM_FEATURE_SHA2) || defined(__ARM_FEATURE_CRYPTO)
#    define CRIOIMG__ARMV8_TARGET
#    define CRIOIMG__SHA256_ARMV8 1
#  elif defined(__clang__) && __clang_major__ >= 16
#    define CRIOIMG__ARMV8_TARGET __attribute__((target("sha2")))
#    define CRIOIMG__SHA256_ARMV8 1
#  elif !defined(__clang__) && __GNUC__ >= 8
#    define CRIOIMG__ARMV8_TARGET __attribute__((target("+crypto")))
#    define CRIOIMG__SHA256_ARMV8 1
#  endif
#  ifdef CRIOIMG__SHA256_ARMV8
#    include <arm_neon.h>
#    if defined(__linux__)
#      include <sys/auxv.h>
#      ifndef HWCAP_SHA2
#        define HWCAP_SHA2 (1 << 6)
#      endif
#    endif
#  endif
#endif

#ifdef CRIOIMG_WITH_MBEDTLS
#  include <mbedtls/version.h>
#  include <mbedtls/sha256.h>
#  define CRIOIMG__SHA256_MBEDTLS 1
/* mbedtls's context lives in crioimg_sha256_ctx's union, so that the struct's layout does not depend on the
   build; an mbedtls whose context is bigger (an _ALT implementation) stops the build here. */
typedef char crioimg__static_assert_mbedtls_sha256_fits[
    sizeof(mbedtls_sha256_context) <= sizeof(((crioimg_sha256_ctx *)0)->u.ext) ? 1 : -1];
#  if MBEDTLS_VERSION_NUMBER >= 0x03000000
#    define crioimg__mbedtls_sha256_starts(c) mbedtls_sha256_starts(c, 0)
#    define crioimg__mbedtls_sha256_update(c, p, n) mbedtls_sha256_update(c, p, n)
#    define crioimg__mbedtls_sha256_finish(c, o) mbedtls_sha256_finish(c, o)
#  else
#    define crioimg__mbedtls_sha256_starts(c) mbedtls_sha256_starts_ret(c, 0)
#    define crioimg__mbedtls_sha256_update(c, p, n) mbedtls_sha256_update_ret(c, p, n)
#    define crioimg__mbedtls_sha256_finish(c, o) mbedtls_sha256_finish_ret(c, o)
#  endif
#endif

/* ---- the digest grammar ---- */

/* the names in the table itself, not pointed to: no relocations in a position-independent program */
static const struct { char name[7]; unsigned char alg, size; } crioimg__digest_algs[] = {
    { "sha256", CRIOIMG_DIGEST_SHA256, 32 },
    { "sha384", CRIOIMG_DIGEST_SHA384, 48 },
    { "sha512", CRIOIMG_DIGEST_SHA512, 64 }
};

crioimg_digest_alg crioimg_digest_alg_from_name(const char *s, size_t n)
{
    size_t i;
    if (s == NULL) return CRIOIMG_DIGEST_UNKNOWN;
    for (i = 0; i < sizeof crioimg__digest_algs / sizeof crioimg__digest_algs[0]; i++)
        if (n == 6 && memcmp(s, crioimg__digest_algs[i].name, 6) == 0) return (crioimg_digest_alg)crioimg__digest_algs[i].alg;
    return CRIOIMG_DIGEST_UNKNOWN;
}

const char *crioimg_digest_alg_name(crioimg_digest_alg a)
{
    size_t i;
    for (i = 0; i < sizeof crioimg__digest_algs / sizeof crioimg__digest_algs[0]; i++)
        if (crioimg__digest_algs[i].alg == (unsigned)a) return crioimg__digest_algs[i].name;
    return "";
}

size_t crioimg_digest_alg_size(crioimg_digest_alg a)
{
    size_t i;
    for (i = 0; i < sizeof crioimg__digest_algs / sizeof crioimg__digest_algs[0]; i++)
        if (crioimg__digest_algs[i].alg == (unsigned)a) return crioimg__digest_algs[i].size;
    return 0;
}

/* "'x' at offset 7"; a byte that cannot be shown plainly (a space, a quote, a control or non-ASCII byte)
   as "byte 0x0a at offset 7" */
static void crioimg__digest_why_byte(crioimg__out *o, char c, size_t at)
{
    unsigned char u = (unsigned char)c;
    if (u > 0x20 && u < 0x7f && u != '\'' && u != '"' && u != '\\') {
        char q[3];
        q[0] = '\''; q[1] = c; q[2] = '\'';
        crioimg__out_put(o, q, 3);
    } else {
        static const char hex[] = "0123456789abcdef";
        char b[4];
        b[0] = '0'; b[1] = 'x'; b[2] = hex[u >> 4]; b[3] = hex[u & 15];
        crioimg__out_str(o, "byte ");
        crioimg__out_put(o, b, 4);
    }
    crioimg__out_str(o, " at offset ");
    crioimg__out_uint(o, at);
}

/* Fails with r, writing the reason (msg, and the byte at s[at] when at is not (size_t)-1) to why. */
static crioimg_result crioimg__digest_fail(crioimg__out *why, crioimg_result r, const char *s, size_t at, const char *msg)
{
    if (why == NULL) return r;
    if (at != (size_t)-1) {
        crioimg__digest_why_byte(why, s[at], at);
        crioimg__out_str(why, " ");
    }
    crioimg__out_str(why, msg);
    return r;
}

#define CRIOIMG__DIGEST_SEP(c) ((c) == '+' || (c) == '.' || (c) == '_' || (c) == '-')

/* algorithm := [a-z0-9]+ ([+._-] [a-z0-9]+)*, over s[0, n), n > 0 */
static crioimg_result crioimg__digest_check_alg(const char *s, size_t n, crioimg__out *why)
{
    size_t i;
    for (i = 0; i < n; i++) {
        char c = s[i];
        if (CRIOIMG__IS(c, CRIOIMG__C_LALNUM)) continue;
        if (CRIOIMG__DIGEST_SEP(c)) {
            if (i == 0 || i + 1 == n || CRIOIMG__DIGEST_SEP(s[i - 1]))
                return crioimg__digest_fail(why, CRIOIMG_ERR_DIGEST_FORMAT, s, i,
                                            "is a separator that does not stand between two algorithm components");
            continue;
        }
        return crioimg__digest_fail(why, CRIOIMG_ERR_DIGEST_FORMAT, s, i, CRIOIMG__IS(c, CRIOIMG__C_UPPER) ?
                                    "is uppercase: algorithms are lowercase" :
                                    "is not allowed in the algorithm ([a-z0-9] components joined by one of +._-)");
    }
    return CRIOIMG_OK;
}

/* encoded := [a-zA-Z0-9=_-]+, then a known algorithm's length and lowercase hex */
static crioimg_result crioimg__digest_check_encoded(const char *s, size_t start, size_t n, crioimg_digest_alg alg,
                                                    crioimg__out *why)
{
    size_t i, want;
    for (i = start; i < n; i++)
        if (!CRIOIMG__IS(s[i], CRIOIMG__C_ALNUM) && s[i] != '=' && s[i] != '_' && s[i] != '-')
            return crioimg__digest_fail(why, CRIOIMG_ERR_DIGEST_FORMAT, s, i,
                                        "is not allowed in the encoded part (only [a-zA-Z0-9=_-])");
    if (alg == CRIOIMG_DIGEST_UNKNOWN) return CRIOIMG_OK;
    want = 2 * crioimg_digest_alg_size(alg);
    if (n - start != want) {
        if (why) {
            crioimg__out_str(why, crioimg_digest_alg_name(alg));
            crioimg__out_str(why, " needs ");
            crioimg__out_uint(why, want);
            crioimg__out_str(why, " hex digits, not ");
            crioimg__out_uint(why, n - start);
        }
        return CRIOIMG_ERR_DIGEST_LENGTH;
    }
    for (i = start; i < n; i++)
        if (!CRIOIMG__IS(s[i], CRIOIMG__C_LHEX))
            return crioimg__digest_fail(why, CRIOIMG_ERR_DIGEST_FORMAT, s, i, CRIOIMG__IS(s[i], CRIOIMG__C_XDIGIT) ?
                                        "is uppercase: the hex must be lowercase" : "is not a hex digit");
    return CRIOIMG_OK;
}

/* The whole check; why (may be NULL) gets the reason of a failure. */
static crioimg_result crioimg__digest_check(crioimg_digest *d, const char *s, size_t n, crioimg__out *why)
{
    const char *colon;
    size_t alen;
    crioimg_result r;
    if (n == 0) return crioimg__digest_fail(why, CRIOIMG_ERR_DIGEST_FORMAT, s, (size_t)-1, "the digest is empty");
    if (n == 71 && memcmp(s, "sha256:", 7) == 0 && crioimg__ref_lhex(s + 7, 64)) {  /* the usual one */
        alen = 6;
        d->alg = CRIOIMG_DIGEST_SHA256;
    } else {
        colon = (const char *)memchr(s, ':', n);
        if (colon == NULL)
            return crioimg__digest_fail(why, CRIOIMG_ERR_DIGEST_FORMAT, s, (size_t)-1, "no ':' between algorithm and encoded part");
        alen = (size_t)(colon - s);
        if (alen == 0) return crioimg__digest_fail(why, CRIOIMG_ERR_DIGEST_FORMAT, s, (size_t)-1, "the algorithm is empty");
        if (alen + 1 == n) return crioimg__digest_fail(why, CRIOIMG_ERR_DIGEST_FORMAT, s, (size_t)-1, "the encoded part is empty");
        if ((r = crioimg__digest_check_alg(s, alen, why)) != CRIOIMG_OK) return r;
        d->alg = crioimg_digest_alg_from_name(s, alen);
        if ((r = crioimg__digest_check_encoded(s, alen + 1, n, d->alg, why)) != CRIOIMG_OK) return r;
    }
    d->algorithm.ptr = s;
    d->algorithm.len = alen;
    d->encoded.ptr = s + alen + 1;
    d->encoded.len = n - alen - 1;
    return CRIOIMG_OK;
}

crioimg_result crioimg_digest_parse(crioimg_digest *out, const char *s, size_t n)
{
    crioimg_result r;
    if (out == NULL || (s == NULL && n)) return CRIOIMG_ERR_INVALID_ARGS;
    memset(out, 0, sizeof *out);
    r = crioimg__digest_check(out, s, n, NULL);
    if (r != CRIOIMG_OK) memset(out, 0, sizeof *out);
    return r;
}

size_t crioimg_digest_error_message(crioimg_result r, const char *s, size_t n, char *out, size_t cap)
{
    crioimg__out o;
    crioimg_digest d;
    char q[6 * 100 + 3];
    size_t shown = n > 100 ? 100 : n;
    o.p = out; o.cap = cap; o.len = 0;
    if (cap) out[0] = '\0';
    if (s == NULL) s = "", n = 0, shown = 0;
    crioimg__out_str(&o, crioimg_result_str(r));
    crioimg__out_str(&o, ": ");
    crioimg_json_quote(q, sizeof q, s, shown);
    if (n > shown) {  /* keep the closing quote after the ellipsis */
        size_t ql = strlen(q) - 1;
        crioimg__out_put(&o, q, ql);
        crioimg__out_str(&o, "...\"");
    } else {
        crioimg__out_str(&o, q);
    }
    if (r == CRIOIMG_ERR_DIGEST_FORMAT || r == CRIOIMG_ERR_DIGEST_LENGTH) {
        crioimg__out why;
        char w[160];
        why.p = w; why.cap = sizeof w; why.len = 0; w[0] = '\0';
        memset(&d, 0, sizeof d);
        if (crioimg__digest_check(&d, s, n, &why) == r) {
            crioimg__out_str(&o, ": ");
            crioimg__out_str(&o, w);
        }
    } else if (r == CRIOIMG_ERR_DIGEST_UNSUPPORTED) {
#ifdef CRIOIMG_NO_SHA512
        crioimg__out_str(&o, ": crioimg verifies sha256 (built with CRIOIMG_NO_SHA512)");
#else
        crioimg__out_str(&o, ": crioimg verifies sha256, sha384 and sha512");
#endif
    }
    return o.len;
}

/* ---- SHA-256, portable ---- */

static const uint32_t crioimg__sha256_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
};

static const uint32_t crioimg__sha256_iv[8] = {
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19
};

static uint32_t crioimg__be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static void crioimg__put_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24); p[1] = (unsigned char)(v >> 16); p[2] = (unsigned char)(v >> 8); p[3] = (unsigned char)v;
}

#define CRIOIMG__ROR32(x, k) (((x) >> (k)) | ((x) << (32 - (k))))
/* One round, FIPS 180-4 6.2.2 step 3, with the eight working variables renamed instead of moved. */
#define CRIOIMG__SHA256_ROUND(a, b, c, d, e, f, g, h, i) do { \
        uint32_t t1_ = h + (CRIOIMG__ROR32(e, 6) ^ CRIOIMG__ROR32(e, 11) ^ CRIOIMG__ROR32(e, 25)) + \
                       (g ^ (e & (f ^ g))) + crioimg__sha256_k[i] + w[i]; \
        d += t1_; \
        h = t1_ + (CRIOIMG__ROR32(a, 2) ^ CRIOIMG__ROR32(a, 13) ^ CRIOIMG__ROR32(a, 22)) + ((a & b) | (c & (a | b))); \
    } while (0)

/* A build for size (-Os) runs the rounds one at a time instead of eight unrolled with renamed variables:
   the same hash in 0.9 KB less code each for SHA-256 and SHA-512 (the portable paths only). The working
   variables are renamed by index, not moved: at round i, variable k (a = 0 .. h = 7) is v_[(k - i) & 7],
   and after N rounds (a multiple of 8) each is back in its place. st and w are the block functions'; K(i)
   is round i's constant; E and A are the Sigma rotations. */
#define CRIOIMG__SHA_ROLLED(T, ROR, K, N, E1, E2, E3, A1, A2, A3) do { \
        T v_[8], t1_, a_, e_; \
        memcpy(v_, st, sizeof v_); \
        for (i = 0; i < (N); i++) { \
            a_ = v_[-i & 7]; e_ = v_[(4 - i) & 7]; \
            t1_ = v_[(7 - i) & 7] + (ROR(e_, E1) ^ ROR(e_, E2) ^ ROR(e_, E3)) + \
                  (v_[(6 - i) & 7] ^ (e_ & (v_[(5 - i) & 7] ^ v_[(6 - i) & 7]))) + K(i) + w[i]; \
            v_[(3 - i) & 7] += t1_; \
            v_[(7 - i) & 7] = t1_ + (ROR(a_, A1) ^ ROR(a_, A2) ^ ROR(a_, A3)) + \
                              ((a_ & v_[(1 - i) & 7]) | (v_[(2 - i) & 7] & (a_ | v_[(1 - i) & 7]))); \
        } \
        for (i = 0; i < 8; i++) st[i] += v_[i]; \
    } while (0)
#define CRIOIMG__SHA256_K(i) crioimg__sha256_k[i]

/* The same rounds unrolled eight at a time (the working variables rotate by renaming, not by moving), for
   speed: ROUND(a..h, i) is one SHA-256 or SHA-512 round. */
#define CRIOIMG__SHA_UNROLLED(T, ROUND, N) do { \
        T a, b, c, d, e, f, g, h; \
        a = st[0]; b = st[1]; c = st[2]; d = st[3]; e = st[4]; f = st[5]; g = st[6]; h = st[7]; \
        for (i = 0; i < (N); i += 8) { \
            ROUND(a, b, c, d, e, f, g, h, i); \
            ROUND(h, a, b, c, d, e, f, g, i + 1); \
            ROUND(g, h, a, b, c, d, e, f, i + 2); \
            ROUND(f, g, h, a, b, c, d, e, i + 3); \
            ROUND(e, f, g, h, a, b, c, d, i + 4); \
            ROUND(d, e, f, g, h, a, b, c, i + 5); \
            ROUND(c, d, e, f, g, h, a, b, i + 6); \
            ROUND(b, c, d, e, f, g, h, a, i + 7); \
        } \
        st[0] += a; st[1] += b; st[2] += c; st[3] += d; st[4] += e; st[5] += f; st[6] += g; st[7] += h; \
    } while (0)

static void crioimg__sha256_blocks_portable(uint32_t st[8], const unsigned char *p, size_t nblocks)
{
    uint32_t w[64];
    size_t i;
    for (; nblocks > 0; nblocks--, p += 64) {
        for (i = 0; i < 16; i++) w[i] = crioimg__be32(p + 4 * i);
        for (i = 16; i < 64; i++) {
            uint32_t x = w[i - 15], y = w[i - 2];
            w[i] = w[i - 16] + w[i - 7] + (CRIOIMG__ROR32(x, 7) ^ CRIOIMG__ROR32(x, 18) ^ (x >> 3)) +
                   (CRIOIMG__ROR32(y, 17) ^ CRIOIMG__ROR32(y, 19) ^ (y >> 10));
        }
#ifdef __OPTIMIZE_SIZE__
        CRIOIMG__SHA_ROLLED(uint32_t, CRIOIMG__ROR32, CRIOIMG__SHA256_K, 64, 6, 11, 25, 2, 13, 22);
#else
        CRIOIMG__SHA_UNROLLED(uint32_t, CRIOIMG__SHA256_ROUND, 64);
#endif
    }
}
#undef CRIOIMG__SHA256_ROUND

/* ---- SHA-256, x86-64 SHA-NI ----
   The SHA instructions keep the state as ABEF/CDGH and do two rounds per sha256rnds2; msg1/msg2 extend
   the schedule four words at a time. w[] holds the last four message vectors, W[4g .. 4g+3] in w[g % 4]. */
#ifdef CRIOIMG__SHA256_SHANI
/* rounds 4g .. 4g+3, whose W are in w[i] (i = g % 4, a constant where g may not be, bar the -Os loop) */
#define CRIOIMG__SHANI_RNDS(g, i) do { \
        __m128i m_ = _mm_add_epi32(w[i], _mm_loadu_si128((const __m128i *)(const void *)(crioimg__sha256_k + 4 * (g)))); \
        s1 = _mm_sha256rnds2_epu32(s1, s0, m_); \
        s0 = _mm_sha256rnds2_epu32(s0, s1, _mm_shuffle_epi32(m_, 0x0e)); \
    } while (0)
/* completes W[4g+4 ..] (whose msg1 part is in w[(g+1) % 4]) from W[4g-3 .. 4g+3] */
#define CRIOIMG__SHANI_MSG2(g) \
    w[((g) + 1) & 3] = _mm_sha256msg2_epu32(_mm_add_epi32(w[((g) + 1) & 3], _mm_alignr_epi8(w[(g) & 3], w[((g) + 3) & 3], 4)), w[(g) & 3])
/* starts W[4g+12 ..] in the slot of W[4g-4 ..], which is no longer needed */
#define CRIOIMG__SHANI_MSG1(g) w[((g) + 3) & 3] = _mm_sha256msg1_epu32(w[((g) + 3) & 3], w[(g) & 3])
#define CRIOIMG__SHANI_LOAD(g) \
    w[g] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p + 16 * (g))), bswap)

__attribute__((target("sha,sse4.1")))
static void crioimg__sha256_blocks_shani(uint32_t st[8], const unsigned char *p, size_t nblocks)
{
    const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);  /* big-endian words */
    __m128i s0, s1, t, abef, cdgh, w[4];
    t = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)(const void *)st), 0xb1);         /* CDAB */
    s1 = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)(const void *)(st + 4)), 0x1b);  /* EFGH */
    s0 = _mm_alignr_epi8(t, s1, 8);        /* ABEF */
    s1 = _mm_blend_epi16(s1, t, 0xf0);     /* CDGH */
    for (; nblocks > 0; nblocks--, p += 64) {
        unsigned g;
        abef = s0; cdgh = s1;
#ifdef __OPTIMIZE_SIZE__
        /* a build for size (with CRIOIMG_SIMD_AT_OS, which keeps SHA-NI there) runs the sixteen groups as one
           loop, the steps each group takes chosen by its number (the unrolled sequence below, step for
           step): 0.6 KB less */
        for (g = 0; g < 16; g++) {
            if (g < 4) CRIOIMG__SHANI_LOAD(g);
            CRIOIMG__SHANI_RNDS(g, g & 3);
            if (g >= 3 && g <= 14) CRIOIMG__SHANI_MSG2(g);
            if (g >= 1 && g <= 12) CRIOIMG__SHANI_MSG1(g);
        }
#else
        CRIOIMG__SHANI_LOAD(0); CRIOIMG__SHANI_RNDS(0, 0);
        CRIOIMG__SHANI_LOAD(1); CRIOIMG__SHANI_RNDS(1, 1); w[0] = _mm_sha256msg1_epu32(w[0], w[1]);
        CRIOIMG__SHANI_LOAD(2); CRIOIMG__SHANI_RNDS(2, 2); w[1] = _mm_sha256msg1_epu32(w[1], w[2]);
        CRIOIMG__SHANI_LOAD(3); CRIOIMG__SHANI_RNDS(3, 3); CRIOIMG__SHANI_MSG2(3); CRIOIMG__SHANI_MSG1(3);
        /* rounds 16-47 have one shape: a loop of two, not eight copies (at -O0 each copy has its own
           temporaries: unrolled, the frame was 4,136 bytes) */
        for (g = 4; g < 12; g += 4) {
            CRIOIMG__SHANI_RNDS(g, 0);     CRIOIMG__SHANI_MSG2(0); CRIOIMG__SHANI_MSG1(0);
            CRIOIMG__SHANI_RNDS(g + 1, 1); CRIOIMG__SHANI_MSG2(1); CRIOIMG__SHANI_MSG1(1);
            CRIOIMG__SHANI_RNDS(g + 2, 2); CRIOIMG__SHANI_MSG2(2); CRIOIMG__SHANI_MSG1(2);
            CRIOIMG__SHANI_RNDS(g + 3, 3); CRIOIMG__SHANI_MSG2(3); CRIOIMG__SHANI_MSG1(3);
        }
        CRIOIMG__SHANI_RNDS(12, 0); CRIOIMG__SHANI_MSG2(12); CRIOIMG__SHANI_MSG1(12);
        CRIOIMG__SHANI_RNDS(13, 1); CRIOIMG__SHANI_MSG2(13);
        CRIOIMG__SHANI_RNDS(14, 2); CRIOIMG__SHANI_MSG2(14);
        CRIOIMG__SHANI_RNDS(15, 3);
#endif
        s0 = _mm_add_epi32(s0, abef);
        s1 = _mm_add_epi32(s1, cdgh);
    }
    t = _mm_shuffle_epi32(s0, 0x1b);       /* FEBA */
    s1 = _mm_shuffle_epi32(s1, 0xb1);      /* DCHG */
    s0 = _mm_blend_epi16(t, s1, 0xf0);     /* DCBA */
    s1 = _mm_alignr_epi8(s1, t, 8);        /* HGFE */
    _mm_storeu_si128((__m128i *)(void *)st, s0);
    _mm_storeu_si128((__m128i *)(void *)(st + 4), s1);
}
#undef CRIOIMG__SHANI_RNDS
#undef CRIOIMG__SHANI_MSG2
#undef CRIOIMG__SHANI_MSG1
#undef CRIOIMG__SHANI_LOAD

/* SHA (CPUID.7.0:EBX[29]), and the SSSE3 and SSE4.1 shuffles and blends the code around it uses. Three
   CPUID instructions: in a virtual machine each one traps to the hypervisor (microseconds), which is why
   crioimg_sha256_reset exists. */
static int crioimg__sha256_shani_present(void)
{
    unsigned a, b, c, d;
    if (__get_cpuid_max(0, NULL) < 7) return 0;
    __cpuid_count(7, 0, a, b, c, d);
    if (!(b & (1u << 29))) return 0;
    __cpuid(1, a, b, c, d);
    return (c & (1u << 9)) && (c & (1u << 19));
}
#endif

/* ---- SHA-256, ARMv8 crypto extensions ----
   sha256h/sha256h2 do four rounds on ABCD/EFGH; su0/su1 extend the schedule. w[g % 4] holds W[4g ..]. */
#ifdef CRIOIMG__SHA256_ARMV8
#define CRIOIMG__ARMV8_RNDS(g) do { \
        uint32x4_t wk_ = vaddq_u32(w[(g) & 3], vld1q_u32(crioimg__sha256_k + 4 * (g))), abcd_ = s0; \
        if ((g) < 12) w[(g) & 3] = vsha256su1q_u32(vsha256su0q_u32(w[(g) & 3], w[((g) + 1) & 3]), w[((g) + 2) & 3], w[((g) + 3) & 3]); \
        s0 = vsha256hq_u32(s0, s1, wk_); \
        s1 = vsha256h2q_u32(s1, abcd_, wk_); \
    } while (0)

CRIOIMG__ARMV8_TARGET
static void crioimg__sha256_blocks_armv8(uint32_t st[8], const unsigned char *p, size_t nblocks)
{
    uint32x4_t s0 = vld1q_u32(st), s1 = vld1q_u32(st + 4), abcd, efgh, w[4];
    for (; nblocks > 0; nblocks--, p += 64) {
        abcd = s0; efgh = s1;
        w[0] = vreinterpretq_u32_u8(vrev32q_u8(vld1q_u8(p)));
        w[1] = vreinterpretq_u32_u8(vrev32q_u8(vld1q_u8(p + 16)));
        w[2] = vreinterpretq_u32_u8(vrev32q_u8(vld1q_u8(p + 32)));
        w[3] = vreinterpretq_u32_u8(vrev32q_u8(vld1q_u8(p + 48)));
        CRIOIMG__ARMV8_RNDS(0);  CRIOIMG__ARMV8_RNDS(1);  CRIOIMG__ARMV8_RNDS(2);  CRIOIMG__ARMV8_RNDS(3);
        CRIOIMG__ARMV8_RNDS(4);  CRIOIMG__ARMV8_RNDS(5);  CRIOIMG__ARMV8_RNDS(6);  CRIOIMG__ARMV8_RNDS(7);
        CRIOIMG__ARMV8_RNDS(8);  CRIOIMG__ARMV8_RNDS(9);  CRIOIMG__ARMV8_RNDS(10); CRIOIMG__ARMV8_RNDS(11);
        CRIOIMG__ARMV8_RNDS(12); CRIOIMG__ARMV8_RNDS(13); CRIOIMG__ARMV8_RNDS(14); CRIOIMG__ARMV8_RNDS(15);
        s0 = vaddq_u32(s0, abcd);
        s1 = vaddq_u32(s1, efgh);
    }
    vst1q_u32(st, s0);
    vst1q_u32(st + 4, s1);
}
#undef CRIOIMG__ARMV8_RNDS

static int crioimg__sha256_armv8_present(void)
{
#if defined(__linux__)
    return (getauxval(AT_HWCAP) & HWCAP_SHA2) != 0;
#elif defined(__APPLE__) || defined(__ARM_FEATURE_SHA2) || defined(__ARM_FEATURE_CRYPTO)
    return 1;  /* every Apple arm64 CPU has them; or the build already assumes them */
#else
    return 0;  /* no way to ask: leave them alone */
#endif
}
#endif

/* ---- SHA-256: path choice, buffering, padding ---- */

int crioimg_sha256_impl_available(crioimg_sha256_impl impl)
{
    switch (impl) {
    case CRIOIMG_SHA256_AUTO:
    case CRIOIMG_SHA256_PORTABLE: return 1;
#ifdef CRIOIMG__SHA256_SHANI
    case CRIOIMG_SHA256_X86_SHANI: return crioimg__sha256_shani_present();
#endif
#ifdef CRIOIMG__SHA256_ARMV8
    case CRIOIMG_SHA256_ARMV8: return crioimg__sha256_armv8_present();
#endif
#ifdef CRIOIMG__SHA256_MBEDTLS
    case CRIOIMG_SHA256_MBEDTLS: return 1;
#endif
    default: return 0;
    }
}

const char *crioimg_sha256_impl_name(crioimg_sha256_impl impl)
{
    switch (impl) {
    case CRIOIMG_SHA256_AUTO: return "auto";
    case CRIOIMG_SHA256_PORTABLE: return "portable";
    case CRIOIMG_SHA256_X86_SHANI: return "x86-shani";
    case CRIOIMG_SHA256_ARMV8: return "armv8";
    case CRIOIMG_SHA256_MBEDTLS: return "mbedtls";
    default: return "";
    }
}

/* The CPU's own instructions first (several times faster), then mbedtls (a host that builds with it for
   HTTPS gets no slower hashing for it), then portable C. */
static crioimg_sha256_impl crioimg__sha256_best(void)
{
#ifdef CRIOIMG__SHA256_SHANI
    if (crioimg__sha256_shani_present()) return CRIOIMG_SHA256_X86_SHANI;
#endif
#ifdef CRIOIMG__SHA256_ARMV8
    if (crioimg__sha256_armv8_present()) return CRIOIMG_SHA256_ARMV8;
#endif
#ifdef CRIOIMG__SHA256_MBEDTLS
    return CRIOIMG_SHA256_MBEDTLS;
#else
    return CRIOIMG_SHA256_PORTABLE;
#endif
}

static void crioimg__sha256_blocks(crioimg_sha256_ctx *c, const unsigned char *p, size_t nblocks)
{
    switch (c->impl) {
#ifdef CRIOIMG__SHA256_SHANI
    case CRIOIMG_SHA256_X86_SHANI: crioimg__sha256_blocks_shani(c->u.s.h, p, nblocks); return;
#endif
#ifdef CRIOIMG__SHA256_ARMV8
    case CRIOIMG_SHA256_ARMV8: crioimg__sha256_blocks_armv8(c->u.s.h, p, nblocks); return;
#endif
    default: crioimg__sha256_blocks_portable(c->u.s.h, p, nblocks); return;
    }
}

#ifdef CRIOIMG__SHA256_MBEDTLS
#define CRIOIMG__MBEDTLS_CTX(c) ((mbedtls_sha256_context *)(void *)(c)->u.ext)
#endif

static void crioimg__sha256_start(crioimg_sha256_ctx *c, crioimg_sha256_impl impl)
{
    memset(c, 0, sizeof *c);
    c->impl = (unsigned)impl;
#ifdef CRIOIMG__SHA256_MBEDTLS
    if (impl == CRIOIMG_SHA256_MBEDTLS) {
        /* mbedtls's software SHA-256 cannot fail; an _ALT one that does yields a wrong hash, which
           verification then refuses */
        mbedtls_sha256_init(CRIOIMG__MBEDTLS_CTX(c));
        (void)crioimg__mbedtls_sha256_starts(CRIOIMG__MBEDTLS_CTX(c));
        return;
    }
#endif
    memcpy(c->u.s.h, crioimg__sha256_iv, sizeof c->u.s.h);
}

void crioimg_sha256_init(crioimg_sha256_ctx *c)
{
    crioimg__sha256_start(c, crioimg__sha256_best());
}

crioimg_result crioimg_sha256_init_impl(crioimg_sha256_ctx *c, crioimg_sha256_impl impl)
{
    if (impl == CRIOIMG_SHA256_AUTO) { crioimg_sha256_init(c); return CRIOIMG_OK; }
    if (!crioimg_sha256_impl_available(impl)) {
        crioimg__sha256_start(c, CRIOIMG_SHA256_PORTABLE);
        return CRIOIMG_ERR_UNSUPPORTED;
    }
    crioimg__sha256_start(c, impl);
    return CRIOIMG_OK;
}

void crioimg_sha256_reset(crioimg_sha256_ctx *c)
{
    if (c->impl == CRIOIMG_SHA256_AUTO || c->impl >= CRIOIMG_SHA256_IMPL_COUNT) crioimg_sha256_init(c);
    else crioimg__sha256_start(c, (crioimg_sha256_impl)c->impl);
}

void crioimg_sha256_update(crioimg_sha256_ctx *c, const void *data, size_t n)
{
    const unsigned char *p = (const unsigned char *)data;
    size_t used;
    if (n == 0) return;
#ifdef CRIOIMG__SHA256_MBEDTLS
    if (c->impl == CRIOIMG_SHA256_MBEDTLS) {
        (void)crioimg__mbedtls_sha256_update(CRIOIMG__MBEDTLS_CTX(c), p, n);
        return;
    }
#endif
    used = (size_t)(c->u.s.len & 63);
    c->u.s.len += n;
    if (used) {  /* fill the partial block first */
        size_t take = 64 - used;
        if (n < take) { memcpy(c->u.s.buf + used, p, n); return; }
        memcpy(c->u.s.buf + used, p, take);
        crioimg__sha256_blocks(c, c->u.s.buf, 1);
        p += take;
        n -= take;
    }
    if (n >= 64) {  /* whole blocks straight from the caller's memory */
        crioimg__sha256_blocks(c, p, n / 64);
        p += n & ~(size_t)63;
        n &= 63;
    }
    if (n) memcpy(c->u.s.buf, p, n);
}

void crioimg_sha256_final(crioimg_sha256_ctx *c, unsigned char out[32])
{
    size_t used, i;
    uint64_t bits;
#ifdef CRIOIMG__SHA256_MBEDTLS
    if (c->impl == CRIOIMG_SHA256_MBEDTLS) {
        (void)crioimg__mbedtls_sha256_finish(CRIOIMG__MBEDTLS_CTX(c), out);
        mbedtls_sha256_free(CRIOIMG__MBEDTLS_CTX(c));
        memset(&c->u, 0, sizeof c->u);
        return;
    }
#endif
    used = (size_t)(c->u.s.len & 63);
    bits = c->u.s.len << 3;
    c->u.s.buf[used++] = 0x80;
    if (used > 56) {  /* no room for the length: one more block */
        memset(c->u.s.buf + used, 0, 64 - used);
        crioimg__sha256_blocks(c, c->u.s.buf, 1);
        used = 0;
    }
    memset(c->u.s.buf + used, 0, 56 - used);
    crioimg__put_be32(c->u.s.buf + 56, (uint32_t)(bits >> 32));
    crioimg__put_be32(c->u.s.buf + 60, (uint32_t)bits);
    crioimg__sha256_blocks(c, c->u.s.buf, 1);
    for (i = 0; i < 8; i++) crioimg__put_be32(out + 4 * i, c->u.s.h[i]);
    memset(&c->u, 0, sizeof c->u);
}

void crioimg_sha256(const void *data, size_t n, unsigned char out[32])
{
    crioimg_sha256_ctx c;
    crioimg_sha256_init(&c);
    crioimg_sha256_update(&c, data, n);
    crioimg_sha256_final(&c, out);
}

/* ---- SHA-512 and SHA-384, portable ---- */

/* CRIOIMG_NO_SHA512 leaves them out (about 2.5 KB): crioimg_sha512*, crioimg_sha384* are not defined, and
   a hasher for either algorithm is ERR_DIGEST_UNSUPPORTED. The digest grammar still knows them. */
#ifndef CRIOIMG_NO_SHA512

/* SHA-512's constants are the first 64 bits of the fractions of the cube roots of the first 80 primes,
   SHA-256's the first 32 bits of the first 64: the top halves of the first 64 are crioimg__sha256_k. So
   only the low halves and the last 16 top halves are kept here (384 bytes, not 640). */
static const uint32_t crioimg__sha512_klo[80] = {
    0xd728ae22, 0x23ef65cd, 0xec4d3b2f, 0x8189dbbc, 0xf348b538, 0xb605d019, 0xaf194f9b, 0xda6d8118,
    0xa3030242, 0x45706fbe, 0x4ee4b28c, 0xd5ffb4e2, 0xf27b896f, 0x3b1696b1, 0x25c71235, 0xcf692694,
    0x9ef14ad2, 0x384f25e3, 0x8b8cd5b5, 0x77ac9c65, 0x592b0275, 0x6ea6e483, 0xbd41fbd4, 0x831153b5,
    0xee66dfab, 0x2db43210, 0x98fb213f, 0xbeef0ee4, 0x3da88fc2, 0x930aa725, 0xe003826f, 0x0a0e6e70,
    0x46d22ffc, 0x5c26c926, 0x5ac42aed, 0x9d95b3df, 0x8baf63de, 0x3c77b2a8, 0x47edaee6, 0x1482353b,
    0x4cf10364, 0xbc423001, 0xd0f89791, 0x0654be30, 0xd6ef5218, 0x5565a910, 0x5771202a, 0x32bbd1b8,
    0xb8d2d0c8, 0x5141ab53, 0xdf8eeb99, 0xe19b48a8, 0xc5c95a63, 0xe3418acb, 0x7763e373, 0xd6b2b8a3,
    0x5defb2fc, 0x43172f60, 0xa1f0ab72, 0x1a6439ec, 0x23631e28, 0xde82bde9, 0xb2c67915, 0xe372532b,
    0xea26619c, 0x21c0c207, 0xcde0eb1e, 0xee6ed178, 0x72176fba, 0xa2c898a6, 0xbef90dae, 0x131c471b,
    0x23047d84, 0x40c72493, 0x15c9bebc, 0x9c100d4c, 0xcb3e42b6, 0xfc657e2a, 0x3ad6faec, 0x4a475817
};
static const uint32_t crioimg__sha512_khi[16] = {
    0xca273ece, 0xd186b8c7, 0xeada7dd6, 0xf57d4f7f, 0x06f067aa, 0x0a637dc5, 0x113f9804, 0x1b710b35,
    0x28db77f5, 0x32caab7b, 0x3c9ebe0a, 0x431d67c4, 0x4cc5d4be, 0x597f299c, 0x5fcb6fab, 0x6c44198c
};
#define CRIOIMG__SHA512_K(i) \
    ((uint64_t)((i) < 64 ? crioimg__sha256_k[i] : crioimg__sha512_khi[(i) - 64]) << 32 | crioimg__sha512_klo[i])

static const uint64_t crioimg__sha512_iv[8] = {
    0x6a09e667f3bcc908ULL, 0xbb67ae8584caa73bULL, 0x3c6ef372fe94f82bULL, 0xa54ff53a5f1d36f1ULL,
    0x510e527fade682d1ULL, 0x9b05688c2b3e6c1fULL, 0x1f83d9abfb41bd6bULL, 0x5be0cd19137e2179ULL
};

static const uint64_t crioimg__sha384_iv[8] = {
    0xcbbb9d5dc1059ed8ULL, 0x629a292a367cd507ULL, 0x9159015a3070dd17ULL, 0x152fecd8f70e5939ULL,
    0x67332667ffc00b31ULL, 0x8eb44a8768581511ULL, 0xdb0c2e0d64f98fa7ULL, 0x47b5481dbefa4fa4ULL
};

static uint64_t crioimg__be64(const unsigned char *p)
{
    return (uint64_t)crioimg__be32(p) << 32 | crioimg__be32(p + 4);
}

static void crioimg__put_be64(unsigned char *p, uint64_t v)
{
    crioimg__put_be32(p, (uint32_t)(v >> 32));
    crioimg__put_be32(p + 4, (uint32_t)v);
}

#define CRIOIMG__ROR64(x, k) (((x) >> (k)) | ((x) << (64 - (k))))
#define CRIOIMG__SHA512_ROUND(a, b, c, d, e, f, g, h, i) do { \
        uint64_t t1_ = h + (CRIOIMG__ROR64(e, 14) ^ CRIOIMG__ROR64(e, 18) ^ CRIOIMG__ROR64(e, 41)) + \
                       (g ^ (e & (f ^ g))) + CRIOIMG__SHA512_K(i) + w[i]; \
        d += t1_; \
        h = t1_ + (CRIOIMG__ROR64(a, 28) ^ CRIOIMG__ROR64(a, 34) ^ CRIOIMG__ROR64(a, 39)) + ((a & b) | (c & (a | b))); \
    } while (0)

static void crioimg__sha512_blocks(uint64_t st[8], const unsigned char *p, size_t nblocks)
{
    uint64_t w[80];
    size_t i;
    for (; nblocks > 0; nblocks--, p += 128) {
        for (i = 0; i < 16; i++) w[i] = crioimg__be64(p + 8 * i);
        for (i = 16; i < 80; i++) {
            uint64_t x = w[i - 15], y = w[i - 2];
            w[i] = w[i - 16] + w[i - 7] + (CRIOIMG__ROR64(x, 1) ^ CRIOIMG__ROR64(x, 8) ^ (x >> 7)) +
                   (CRIOIMG__ROR64(y, 19) ^ CRIOIMG__ROR64(y, 61) ^ (y >> 6));
        }
#ifdef __OPTIMIZE_SIZE__
        CRIOIMG__SHA_ROLLED(uint64_t, CRIOIMG__ROR64, CRIOIMG__SHA512_K, 80, 14, 18, 41, 28, 34, 39);
#else
        CRIOIMG__SHA_UNROLLED(uint64_t, CRIOIMG__SHA512_ROUND, 80);
#endif
    }
}
#undef CRIOIMG__SHA512_ROUND

static void crioimg__sha512_start(crioimg_sha512_ctx *c, const uint64_t iv[8], unsigned out_len)
{
    memset(c, 0, sizeof *c);
    memcpy(c->h, iv, sizeof c->h);
    c->out_len = out_len;
}

/* SHA-384 or SHA-512 by algorithm: what the hasher starts (it finishes with crioimg__sha512_finish, the
   length set here), so that a program hashing through it links no per-algorithm wrapper */
static void crioimg__sha512_start_alg(crioimg_sha512_ctx *c, crioimg_digest_alg alg)
{
    if (alg == CRIOIMG_DIGEST_SHA384) crioimg__sha512_start(c, crioimg__sha384_iv, 48);
    else crioimg__sha512_start(c, crioimg__sha512_iv, 64);
}

void crioimg_sha512_init(crioimg_sha512_ctx *c) { crioimg__sha512_start(c, crioimg__sha512_iv, 64); }
void crioimg_sha384_init(crioimg_sha384_ctx *c) { crioimg__sha512_start(c, crioimg__sha384_iv, 48); }

void crioimg_sha512_update(crioimg_sha512_ctx *c, const void *data, size_t n)
{
    const unsigned char *p = (const unsigned char *)data;
    size_t used;
    if (n == 0) return;
    used = (size_t)(c->len & 127);
    c->len += n;
    if (used) {
        size_t take = 128 - used;
        if (n < take) { memcpy(c->buf + used, p, n); return; }
        memcpy(c->buf + used, p, take);
        crioimg__sha512_blocks(c->h, c->buf, 1);
        p += take;
        n -= take;
    }
    if (n >= 128) {
        crioimg__sha512_blocks(c->h, p, n / 128);
        p += n & ~(size_t)127;
        n &= 127;
    }
    if (n) memcpy(c->buf, p, n);
}

void crioimg_sha384_update(crioimg_sha384_ctx *c, const void *data, size_t n) { crioimg_sha512_update(c, data, n); }

/* Pads (the bit length is 128 bits wide; the byte count's top 3 bits are its high word) and writes the
   first out_len bytes of the state. */
static void crioimg__sha512_finish(crioimg_sha512_ctx *c, unsigned char *out)
{
    size_t used = (size_t)(c->len & 127), i;
    unsigned char full[64];
    c->buf[used++] = 0x80;
    if (used > 112) {
        memset(c->buf + used, 0, 128 - used);
        crioimg__sha512_blocks(c->h, c->buf, 1);
        used = 0;
    }
    memset(c->buf + used, 0, 112 - used);
    crioimg__put_be64(c->buf + 112, c->len >> 61);
    crioimg__put_be64(c->buf + 120, c->len << 3);
    crioimg__sha512_blocks(c->h, c->buf, 1);
    for (i = 0; i < 8; i++) crioimg__put_be64(full + 8 * i, c->h[i]);
    memcpy(out, full, c->out_len == 48 ? 48 : 64);
    memset(c, 0, sizeof *c);
}

void crioimg_sha512_final(crioimg_sha512_ctx *c, unsigned char out[64]) { c->out_len = 64; crioimg__sha512_finish(c, out); }
void crioimg_sha384_final(crioimg_sha384_ctx *c, unsigned char out[48]) { c->out_len = 48; crioimg__sha512_finish(c, out); }

void crioimg_sha512(const void *data, size_t n, unsigned char out[64])
{
    crioimg_sha512_ctx c;
    crioimg_sha512_init(&c);
    crioimg_sha512_update(&c, data, n);
    crioimg_sha512_final(&c, out);
}

void crioimg_sha384(const void *data, size_t n, unsigned char out[48])
{
    crioimg_sha384_ctx c;
    crioimg_sha384_init(&c);
    crioimg_sha384_update(&c, data, n);
    crioimg_sha384_final(&c, out);
}
#endif /* CRIOIMG_NO_SHA512 */

/* ---- any known algorithm ---- */

crioimg_result crioimg_hasher_init(crioimg_hasher *h, crioimg_digest_alg alg)
{
    if (h == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    memset(h, 0, sizeof *h);
    switch (alg) {
    case CRIOIMG_DIGEST_SHA256: crioimg_sha256_init(&h->u.sha256); break;
#ifndef CRIOIMG_NO_SHA512
    case CRIOIMG_DIGEST_SHA384: case CRIOIMG_DIGEST_SHA512: crioimg__sha512_start_alg(&h->u.sha512, alg); break;
#endif
    default: return CRIOIMG_ERR_DIGEST_UNSUPPORTED;
    }
    h->alg = alg;
    return CRIOIMG_OK;
}

void crioimg_hasher_update(crioimg_hasher *h, const void *data, size_t n)
{
    if (h->alg == CRIOIMG_DIGEST_SHA256) crioimg_sha256_update(&h->u.sha256, data, n);
#ifndef CRIOIMG_NO_SHA512
    else if (h->alg != CRIOIMG_DIGEST_UNKNOWN) crioimg_sha512_update(&h->u.sha512, data, n);
#endif
}

size_t crioimg_hasher_final(crioimg_hasher *h, unsigned char *out)
{
    size_t n = crioimg_digest_alg_size(h->alg);
    switch (h->alg) {
    case CRIOIMG_DIGEST_SHA256: crioimg_sha256_final(&h->u.sha256, out); break;
#ifndef CRIOIMG_NO_SHA512
    case CRIOIMG_DIGEST_SHA384: case CRIOIMG_DIGEST_SHA512: crioimg__sha512_finish(&h->u.sha512, out); break;
#endif
    default: break;
    }
    return n;
}

void crioimg_hasher_reset(crioimg_hasher *h)
{
    if (h->alg == CRIOIMG_DIGEST_SHA256) crioimg_sha256_reset(&h->u.sha256);
#ifndef CRIOIMG_NO_SHA512
    else if (h->alg == CRIOIMG_DIGEST_SHA384 || h->alg == CRIOIMG_DIGEST_SHA512) crioimg__sha512_start_alg(&h->u.sha512, h->alg);
#endif
}

static void crioimg__hex(char *out, const unsigned char *b, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t i;
    for (i = 0; i < n; i++) {
        out[2 * i] = hex[b[i] >> 4];
        out[2 * i + 1] = hex[b[i] & 15];
    }
}

size_t crioimg_hasher_final_string(crioimg_hasher *h, char *out, size_t cap)
{
    unsigned char b[CRIOIMG_DIGEST_BYTES_MAX];
    char s[CRIOIMG_DIGEST_STRING_MAX + 1];
    const char *name = crioimg_digest_alg_name(h->alg);
    size_t nl = strlen(name), bl = crioimg_hasher_final(h, b);
    crioimg__out o;
    memcpy(s, name, nl);
    s[nl] = ':';
    crioimg__hex(s + nl + 1, b, bl);
    o.p = out; o.cap = cap; o.len = 0;
    if (cap) out[0] = '\0';
    crioimg__out_put(&o, s, nl + 1 + 2 * bl);
    return o.len;
}

crioimg_result crioimg_hasher_verify(crioimg_hasher *h, const crioimg_digest *want)
{
    unsigned char b[CRIOIMG_DIGEST_BYTES_MAX];
    char hex[2 * CRIOIMG_DIGEST_BYTES_MAX];
    size_t n, i;
    unsigned diff = 0;
    if (want == NULL || want->alg == CRIOIMG_DIGEST_UNKNOWN || want->alg != h->alg) {
        crioimg_hasher_reset(h);  /* wiped all the same */
        return want == NULL ? CRIOIMG_ERR_INVALID_ARGS : CRIOIMG_ERR_DIGEST_UNSUPPORTED;
    }
    n = crioimg_hasher_final(h, b);
    if (want->encoded.len != 2 * n || want->encoded.ptr == NULL) return CRIOIMG_ERR_DIGEST_MISMATCH;
    crioimg__hex(hex, b, n);
    for (i = 0; i < 2 * n; i++) diff |= (unsigned)(hex[i] ^ want->encoded.ptr[i]);  /* no early exit */
    return diff ? CRIOIMG_ERR_DIGEST_MISMATCH : CRIOIMG_OK;
}

crioimg_result crioimg_digest_verify(const crioimg_digest *want, const void *data, size_t n)
{
    crioimg_hasher h;
    crioimg_result r;
    if (want == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    if ((r = crioimg_hasher_init(&h, want->alg)) != CRIOIMG_OK) return r;
    crioimg_hasher_update(&h, data, n);
    return crioimg_hasher_verify(&h, want);
}
