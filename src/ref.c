/* ---------------------------------------------------------------------------------------------------
   ref implementation

   Go matches references with RE2 regexps (linear, but allocating). Here one hand-written pass finds the
   three parts the regexp captures, then small scanners check each part against its sub-grammar:

     reference := name [":" tag] ["@" digest]
     name      := [domain "/"] component ("/" component)*
     domain    := host [":" [0-9]+]        host := dcomp ("." dcomp)* | "[" [a-fA-F0-9:]+ "]"
     dcomp     := [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
     component := [a-z0-9]+ (("." | "_" | "__" | "-"+) [a-z0-9]+)*
     tag       := [\w][\w.-]{0,127}
     digest    := [A-Za-z][A-Za-z0-9]* ([-_+.][A-Za-z][A-Za-z0-9]*)* ":" [0-9a-fA-F]{32,}

   The split is unique: '@' appears only before the digest; a tag's ':' is the first ':' after the last
   '/' (a domain's port colon is always followed by a '/'); the first component is the domain when it can
   be one and more components follow, because Go's regexp prefers the optional domain group.
   --------------------------------------------------------------------------------------------------- */
#include "internal.h"
#include "ref_internal.h"

/* the character classes (CRIOIMG__C_*): ref_internal.h */
/* One constant expression per byte, expanded into a const table: the classes are written once. */
#define CRIOIMG__CLS(c) ( \
    ((c) >= '0' && (c) <= '9') ? (CRIOIMG__C_LALNUM | CRIOIMG__C_ALNUM | CRIOIMG__C_XDIGIT | CRIOIMG__C_LHEX | CRIOIMG__C_WORD | CRIOIMG__C_DIGIT) : \
    ((c) >= 'a' && (c) <= 'z') ? (CRIOIMG__C_LALNUM | CRIOIMG__C_ALNUM | CRIOIMG__C_WORD | CRIOIMG__C_ALPHA | ((c) <= 'f' ? (CRIOIMG__C_XDIGIT | CRIOIMG__C_LHEX) : 0u)) : \
    ((c) >= 'A' && (c) <= 'Z') ? (CRIOIMG__C_ALNUM | CRIOIMG__C_WORD | CRIOIMG__C_ALPHA | CRIOIMG__C_UPPER | ((c) <= 'F' ? CRIOIMG__C_XDIGIT : 0u)) : \
    ((c) == '_') ? CRIOIMG__C_WORD : 0u)
CRIOIMG__LIB_DATA const unsigned char crioimg__ref_ctab[256] = { CRIOIMG__TABLE256(CRIOIMG__CLS) };
#undef CRIOIMG__CLS

/* the same, where hi (the lowered view, see crioimg__ref_lowered_len) makes every byte >= 0x80 a letter */
#define CRIOIMG__ISH(c, k, hi) (CRIOIMG__IS(c, k) || ((hi) && (unsigned char)(c) >= 0x80))

/* Paths: component ("/" component)*, component := [a-z0-9]+ (("." | "_" | "__" | "-"+) [a-z0-9]+)*.
   With fold, [A-Z] counts as [a-z]: that is Go's second try on
   strings.ToLower(s), which tells "uppercase" from "invalid"; with fold 2 (the lowered view) every byte
   >= 0x80 counts as a letter too. Byte classes: 1 [a-z0-9], 2 '.', 3 '_',
   4 '-', 5 '/', 6 ':', 7 '@', 0 anything else. */
#define CRIOIMG__PCLS(c, up) ( \
    (((c) >= 'a' && (c) <= 'z') || ((c) >= '0' && (c) <= '9') || ((up) && (c) >= 'A' && (c) <= 'Z') || ((up) == 2 && (c) >= 0x80)) ? 1 : \
    (c) == '.' ? 2 : (c) == '_' ? 3 : (c) == '-' ? 4 : (c) == '/' ? 5 : (c) == ':' ? 6 : (c) == '@' ? 7 : 0)
#define CRIOIMG__PCLS_EXACT(c) CRIOIMG__PCLS(c, 0)
#define CRIOIMG__PCLS_FOLD(c) CRIOIMG__PCLS(c, 1)
#define CRIOIMG__PCLS_LOWERED(c) CRIOIMG__PCLS(c, 2)
#if defined(__OPTIMIZE_SIZE__) && !defined(CRIOIMG__SSE2)
/* a build for size keeps the exact table alone (0.5 KB less): fold's other letters are tested per byte */
static const unsigned char crioimg__ref_pcls[1][256] = { { CRIOIMG__TABLE256(CRIOIMG__PCLS_EXACT) } };
#  define CRIOIMG__REF_PCL(fold, c) (crioimg__ref_pcls[0][c] ? crioimg__ref_pcls[0][c] : \
                                     ((fold) && ((unsigned)(c) - 'A' < 26u || ((fold) == 2 && (c) >= 0x80))) ? 1u : 0u)
#else
static const unsigned char crioimg__ref_pcls[3][256] = {
    { CRIOIMG__TABLE256(CRIOIMG__PCLS_EXACT) },
    { CRIOIMG__TABLE256(CRIOIMG__PCLS_FOLD) },
    { CRIOIMG__TABLE256(CRIOIMG__PCLS_LOWERED) }
};
#  define CRIOIMG__REF_PCL(fold, c) crioimg__ref_pcls[fold][c]
#endif
#undef CRIOIMG__PCLS_LOWERED
#undef CRIOIMG__PCLS_FOLD
#undef CRIOIMG__PCLS_EXACT
#undef CRIOIMG__PCLS

/* Which byte may follow which: a path is valid when it starts and ends with an alnum, holds no other
   byte, every adjacent pair is allowed, and has no "___". Unlike a DFA, every pair is checked on its own,
   so the loop has no chain of dependent loads (about three times faster). 1 = bad pair, 2 = "__". */
static const unsigned char crioimg__ref_pair[8][8] = {
    /* next:      other alnum '.' '_' '-' '/' ':' '@' */
    /* other */ { 1,    1,    1,  1,  1,  1,  1,  1 },
    /* alnum */ { 1,    0,    0,  0,  0,  0,  1,  1 },
    /* '.'   */ { 1,    0,    1,  1,  1,  1,  1,  1 },
    /* '_'   */ { 1,    0,    1,  2,  1,  1,  1,  1 },
    /* '-'   */ { 1,    0,    1,  1,  0,  1,  1,  1 },
    /* '/'   */ { 1,    0,    1,  1,  1,  1,  1,  1 },
    /* ':'   */ { 1,    1,    1,  1,  1,  1,  1,  1 },
    /* '@'   */ { 1,    1,    1,  1,  1,  1,  1,  1 }
};

/* The path grammar over all of s[0, n), n > 0, one pair of bytes at a time. */
static int crioimg__ref_path_scalar(const char *s, size_t n, int fold)
{
    unsigned bad = 0, prev = CRIOIMG__REF_PCL(fold, (unsigned char)s[0]), k;
    size_t i;
    if (prev != 1 || CRIOIMG__REF_PCL(fold, (unsigned char)s[n - 1]) != 1) return 0;
    for (i = 1; i < n; i++) {
        k = CRIOIMG__REF_PCL(fold, (unsigned char)s[i]);
        bad |= crioimg__ref_pair[prev][k];
        prev = k;
    }
    if (bad & 1) return 0;
    if (bad & 2) {  /* "__" is allowed, "___" is not */
        for (i = 2; i < n; i++) if (s[i] == '_' && s[i - 1] == '_' && s[i - 2] == '_') return 0;
    }
    return 1;
}

#ifdef CRIOIMG__SSE2
CRIOIMG__INLINE __m128i crioimg__sse_range(__m128i v, char lo, char hi)
{
    return _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8((char)(lo - 1))), _mm_cmpgt_epi8(_mm_set1_epi8((char)(hi + 1)), v));
}

/* alnum lanes: [a-z0-9], and [A-Z] with fold */
CRIOIMG__INLINE __m128i crioimg__sse_alnum(__m128i v, int fold)
{
    __m128i a = _mm_or_si128(crioimg__sse_range(v, 'a', 'z'), crioimg__sse_range(v, '0', '9'));
    return fold ? _mm_or_si128(a, crioimg__sse_range(v, 'A', 'Z')) : a;
}

/* The same pair rules 16 pairs at a time, for long inputs (the 1 MB worst cases): lanes of s[i..] meet
   lanes of s[i+1..] from a second, overlapping load. */
static int crioimg__ref_path_sse(const char *s, size_t n, const unsigned char *cls, int fold)
{
    __m128i bad = _mm_setzero_si128(), uu = _mm_setzero_si128();
    const __m128i dot = _mm_set1_epi8('.'), us = _mm_set1_epi8('_'), dash = _mm_set1_epi8('-'), sl = _mm_set1_epi8('/');
    size_t i;
    if (cls[(unsigned char)s[0]] != 1 || cls[(unsigned char)s[n - 1]] != 1) return 0;
    for (i = 0; i + 17 <= n; i += 16) {
        __m128i v0 = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        __m128i v1 = _mm_loadu_si128((const __m128i *)(const void *)(s + i + 1));
        __m128i a0 = crioimg__sse_alnum(v0, fold), a1 = crioimg__sse_alnum(v1, fold);
        __m128i d0 = _mm_or_si128(_mm_cmpeq_epi8(v0, dot), _mm_cmpeq_epi8(v0, sl));
        __m128i u0 = _mm_cmpeq_epi8(v0, us), u1 = _mm_cmpeq_epi8(v1, us);
        __m128i h0 = _mm_cmpeq_epi8(v0, dash), h1 = _mm_cmpeq_epi8(v1, dash);
        __m128i known = _mm_or_si128(_mm_or_si128(a0, d0), _mm_or_si128(u0, h0));
        bad = _mm_or_si128(bad, _mm_andnot_si128(known, _mm_set1_epi8(-1)));     /* a byte outside the set */
        bad = _mm_or_si128(bad, _mm_andnot_si128(a1, d0));                         /* '.' or '/' then not alnum */
        bad = _mm_or_si128(bad, _mm_andnot_si128(_mm_or_si128(a1, h1), h0));      /* '-' then not alnum or '-' */
        bad = _mm_or_si128(bad, _mm_andnot_si128(_mm_or_si128(a1, u1), u0));      /* '_' then not alnum or '_' */
        uu = _mm_or_si128(uu, _mm_and_si128(u0, u1));
    }
    if (_mm_movemask_epi8(bad)) return 0;
    {   /* the pairs the vectors did not reach */
        unsigned b = 0, prev = cls[(unsigned char)s[i]], k;
        size_t j;
        for (j = i + 1; j < n; j++) {
            k = cls[(unsigned char)s[j]];
            b |= crioimg__ref_pair[prev][k];
            prev = k;
        }
        if (b & 1) return 0;
        if ((b & 2) || _mm_movemask_epi8(uu))
            for (j = 2; j < n; j++) if (s[j] == '_' && s[j - 1] == '_' && s[j - 2] == '_') return 0;
    }
    return 1;
}
#endif

/* The path grammar over all of s[0, n) (no stop bytes inside). */
CRIOIMG__LIB int crioimg__ref_path_ok(const char *s, size_t n, int fold)
{
    if (n == 0) return 0;
#ifdef CRIOIMG__SSE2
    if (n >= 64 && fold < 2) return crioimg__ref_path_sse(s, n, crioimg__ref_pcls[fold], fold);
#endif
    return crioimg__ref_path_scalar(s, n, fold);
}

/* the first of c1, c2 in s[0, n), or n (memchr: these runs can be megabytes long) */
static size_t crioimg__ref_find2(const char *s, size_t n, char c1, char c2)
{
    const char *p = (const char *)memchr(s, c1, n);
    if (p) n = (size_t)(p - s);
    p = (const char *)memchr(s, c2, n);
    return p ? (size_t)(p - s) : n;
}

/* [0-9]+ */
static int crioimg__ref_digits(const char *s, size_t n)
{
    size_t i;
    if (n == 0) return 0;
    for (i = 0; i < n; i++) if (!CRIOIMG__IS(s[i], CRIOIMG__C_DIGIT)) return 0;
    return 1;
}

/* domain := (dcomp ("." dcomp)* | "[" [a-fA-F0-9:]+ "]") [":" [0-9]+]; hi: the lowered view */
static int crioimg__ref_domain_in(const char *s, size_t n, int hi)
{
    size_t i = 0;
    if (n == 0) return 0;
    if (s[0] == '[') {
        for (i = 1; i < n && (CRIOIMG__IS(s[i], CRIOIMG__C_XDIGIT) || s[i] == ':'); i++) {}
        if (i == 1 || i == n || s[i] != ']') return 0;
        i++;
    } else {
        for (;;) {
            size_t start = i;
            while (i < n && (CRIOIMG__ISH(s[i], CRIOIMG__C_ALNUM, hi) || s[i] == '-')) i++;
            if (i == start || s[start] == '-' || s[i - 1] == '-') return 0;
            if (i < n && s[i] == '.') { i++; continue; }
            break;
        }
    }
    if (i == n) return 1;
    return s[i] == ':' && crioimg__ref_digits(s + i + 1, n - i - 1);
}

CRIOIMG__LIB int crioimg__ref_domain(const char *s, size_t n) { return crioimg__ref_domain_in(s, n, 0); }

/* tag := [\w][\w.-]{0,127}; hi: the lowered view, where the length counts runes (each one character
   once lowered), not bytes */
static int crioimg__ref_tag_in(const char *s, size_t n, int hi)
{
    size_t i, len = n;
    if (hi)
        for (i = 0; i < n; i++) len -= ((unsigned char)s[i] & 0xc0) == 0x80;  /* continuation bytes */
    if (n == 0 || len > CRIOIMG_REF_TAG_MAX || !CRIOIMG__ISH(s[0], CRIOIMG__C_WORD, hi)) return 0;
    for (i = 1; i < n; i++)
        if (!CRIOIMG__ISH(s[i], CRIOIMG__C_WORD, hi) && s[i] != '.' && s[i] != '-') return 0;
    return 1;
}

static int crioimg__ref_tag(const char *s, size_t n) { return crioimg__ref_tag_in(s, n, 0); }

/* The reference regexp's digest: [A-Za-z][A-Za-z0-9]*([-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,};
   hi: the lowered view (letters there are never hex digits) */
static int crioimg__ref_digest_grammar_in(const char *s, size_t n, int hi)
{
    size_t i = 0, hex;
    for (;;) {
        if (i == n || !CRIOIMG__ISH(s[i], CRIOIMG__C_ALPHA, hi)) return 0;
        while (i < n && CRIOIMG__ISH(s[i], CRIOIMG__C_ALNUM, hi)) i++;
        if (i < n && (s[i] == '-' || s[i] == '_' || s[i] == '+' || s[i] == '.')) { i++; continue; }
        break;
    }
    if (i == n || s[i] != ':') return 0;
    for (hex = ++i; i < n; i++) if (!CRIOIMG__IS(s[i], CRIOIMG__C_XDIGIT)) return 0;
    return n - hex >= 32;
}

static int crioimg__ref_digest_grammar(const char *s, size_t n) { return crioimg__ref_digest_grammar_in(s, n, 0); }

/* go-digest's DigestRegexpAnchored: [a-z0-9]+([.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+ */
static int crioimg__ref_godigest_grammar(const char *s, size_t n)
{
    size_t i = 0, enc;
    for (;;) {
        if (i == n || !CRIOIMG__IS(s[i], CRIOIMG__C_LALNUM)) return 0;
        while (i < n && CRIOIMG__IS(s[i], CRIOIMG__C_LALNUM)) i++;
        if (i < n && (s[i] == '.' || s[i] == '+' || s[i] == '_' || s[i] == '-')) { i++; continue; }
        break;
    }
    if (i == n || s[i] != ':') return 0;
    for (enc = ++i; i < n; i++)
        if (!CRIOIMG__IS(s[i], CRIOIMG__C_ALNUM) && s[i] != '=' && s[i] != '_' && s[i] != '-') return 0;
    return n > enc;
}

CRIOIMG__LIB int crioimg__ref_lhex(const char *s, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) if (!CRIOIMG__IS(s[i], CRIOIMG__C_LHEX)) return 0;
    return 1;
}

crioimg_result crioimg_digest_validate(const char *s, size_t n)
{
    const char *colon;
    size_t alg, want;
    if (s == NULL) return n ? CRIOIMG_ERR_INVALID_ARGS : CRIOIMG_ERR_DIGEST_FORMAT;
    if (n == 71 && memcmp(s, "sha256:", 7) == 0 && crioimg__ref_lhex(s + 7, 64)) return CRIOIMG_OK;  /* the usual one */
    colon = (const char *)memchr(s, ':', n);
    if (colon == NULL || colon == s || (size_t)(colon - s) + 1 == n) return CRIOIMG_ERR_DIGEST_FORMAT;
    alg = (size_t)(colon - s);
    if (alg == 6 && memcmp(s, "sha256", 6) == 0) want = 64;
    else if (alg == 6 && memcmp(s, "sha384", 6) == 0) want = 96;
    else if (alg == 6 && memcmp(s, "sha512", 6) == 0) want = 128;
    else return crioimg__ref_godigest_grammar(s, n) ? CRIOIMG_ERR_DIGEST_UNSUPPORTED : CRIOIMG_ERR_DIGEST_FORMAT;
    if (n - alg - 1 != want) return CRIOIMG_ERR_DIGEST_LENGTH;
    return crioimg__ref_lhex(colon + 1, want) ? CRIOIMG_OK : CRIOIMG_ERR_DIGEST_FORMAT;
}

int crioimg_id_is_full(const char *s, size_t n)
{
    return s != NULL && n == 64 && crioimg__ref_lhex(s, n);
}

int crioimg_id_is_prefix(const char *s, size_t n, size_t min_len)
{
    return s != NULL && n >= min_len && n >= 1 && n <= 64 && crioimg__ref_lhex(s, n);
}

/* ---- Go's strings.ToLower, as far as reference errors depend on it ----
   ParseNormalizedNamed says "must be lowercase" when strings.ToLower changes the remote name, and Parse
   says it when the lowercased input matches. ToLower changes a string when it holds [A-Z], a rune below
   (Go's unicode.ToLower moves it), or invalid UTF-8 (replaced by U+FFFD). */
/* One 32-bit word a range (the table is 480 bytes, not 2.9 KB): the first code point in bits 0-16, the
   range's length less one in bits 17-24, the stride (1 or 2) less one in bit 25. */
#define CRIOIMG__LR(lo, hi, stride) ((uint32_t)(lo) | ((uint32_t)((hi) - (lo)) << 17) | ((uint32_t)((stride) - 1) << 25))
static const uint32_t crioimg__ref_lower_ranges[] = {
    /* 120 ranges, from Go 1.19's unicode tables (Unicode 13.0.0) by tools/gen_unicode_lower.go */
    CRIOIMG__LR(0xc0,0xd6,1), CRIOIMG__LR(0xd8,0xde,1), CRIOIMG__LR(0x100,0x136,2),
    CRIOIMG__LR(0x139,0x147,2), CRIOIMG__LR(0x14a,0x178,2), CRIOIMG__LR(0x179,0x17d,2),
    CRIOIMG__LR(0x181,0x182,1), CRIOIMG__LR(0x184,0x186,2), CRIOIMG__LR(0x187,0x189,2),
    CRIOIMG__LR(0x18a,0x18b,1), CRIOIMG__LR(0x18e,0x191,1), CRIOIMG__LR(0x193,0x194,1),
    CRIOIMG__LR(0x196,0x198,1), CRIOIMG__LR(0x19c,0x19d,1), CRIOIMG__LR(0x19f,0x1a0,1),
    CRIOIMG__LR(0x1a2,0x1a6,2), CRIOIMG__LR(0x1a7,0x1a9,2), CRIOIMG__LR(0x1ac,0x1ae,2),
    CRIOIMG__LR(0x1af,0x1b1,2), CRIOIMG__LR(0x1b2,0x1b3,1), CRIOIMG__LR(0x1b5,0x1b7,2),
    CRIOIMG__LR(0x1b8,0x1b8,1), CRIOIMG__LR(0x1bc,0x1bc,1), CRIOIMG__LR(0x1c4,0x1c5,1),
    CRIOIMG__LR(0x1c7,0x1c8,1), CRIOIMG__LR(0x1ca,0x1cb,1), CRIOIMG__LR(0x1cd,0x1db,2),
    CRIOIMG__LR(0x1de,0x1ee,2), CRIOIMG__LR(0x1f1,0x1f2,1), CRIOIMG__LR(0x1f4,0x1f6,2),
    CRIOIMG__LR(0x1f7,0x1f8,1), CRIOIMG__LR(0x1fa,0x232,2), CRIOIMG__LR(0x23a,0x23b,1),
    CRIOIMG__LR(0x23d,0x23e,1), CRIOIMG__LR(0x241,0x243,2), CRIOIMG__LR(0x244,0x246,1),
    CRIOIMG__LR(0x248,0x24e,2), CRIOIMG__LR(0x370,0x372,2), CRIOIMG__LR(0x376,0x376,1),
    CRIOIMG__LR(0x37f,0x37f,1), CRIOIMG__LR(0x386,0x388,2), CRIOIMG__LR(0x389,0x38a,1),
    CRIOIMG__LR(0x38c,0x38e,2), CRIOIMG__LR(0x38f,0x391,2), CRIOIMG__LR(0x392,0x3a1,1),
    CRIOIMG__LR(0x3a3,0x3ab,1), CRIOIMG__LR(0x3cf,0x3cf,1), CRIOIMG__LR(0x3d8,0x3ee,2),
    CRIOIMG__LR(0x3f4,0x3f4,1), CRIOIMG__LR(0x3f7,0x3f9,2), CRIOIMG__LR(0x3fa,0x3fa,1),
    CRIOIMG__LR(0x3fd,0x42f,1), CRIOIMG__LR(0x460,0x480,2), CRIOIMG__LR(0x48a,0x4c0,2),
    CRIOIMG__LR(0x4c1,0x4cd,2), CRIOIMG__LR(0x4d0,0x52e,2), CRIOIMG__LR(0x531,0x556,1),
    CRIOIMG__LR(0x10a0,0x10c5,1), CRIOIMG__LR(0x10c7,0x10c7,1), CRIOIMG__LR(0x10cd,0x10cd,1),
    CRIOIMG__LR(0x13a0,0x13f5,1), CRIOIMG__LR(0x1c90,0x1cba,1), CRIOIMG__LR(0x1cbd,0x1cbf,1),
    CRIOIMG__LR(0x1e00,0x1e94,2), CRIOIMG__LR(0x1e9e,0x1efe,2), CRIOIMG__LR(0x1f08,0x1f0f,1),
    CRIOIMG__LR(0x1f18,0x1f1d,1), CRIOIMG__LR(0x1f28,0x1f2f,1), CRIOIMG__LR(0x1f38,0x1f3f,1),
    CRIOIMG__LR(0x1f48,0x1f4d,1), CRIOIMG__LR(0x1f59,0x1f5f,2), CRIOIMG__LR(0x1f68,0x1f6f,1),
    CRIOIMG__LR(0x1f88,0x1f8f,1), CRIOIMG__LR(0x1f98,0x1f9f,1), CRIOIMG__LR(0x1fa8,0x1faf,1),
    CRIOIMG__LR(0x1fb8,0x1fbc,1), CRIOIMG__LR(0x1fc8,0x1fcc,1), CRIOIMG__LR(0x1fd8,0x1fdb,1),
    CRIOIMG__LR(0x1fe8,0x1fec,1), CRIOIMG__LR(0x1ff8,0x1ffc,1), CRIOIMG__LR(0x2126,0x2126,1),
    CRIOIMG__LR(0x212a,0x212b,1), CRIOIMG__LR(0x2132,0x2132,1), CRIOIMG__LR(0x2160,0x216f,1),
    CRIOIMG__LR(0x2183,0x2183,1), CRIOIMG__LR(0x24b6,0x24cf,1), CRIOIMG__LR(0x2c00,0x2c2e,1),
    CRIOIMG__LR(0x2c60,0x2c62,2), CRIOIMG__LR(0x2c63,0x2c64,1), CRIOIMG__LR(0x2c67,0x2c6d,2),
    CRIOIMG__LR(0x2c6e,0x2c70,1), CRIOIMG__LR(0x2c72,0x2c72,1), CRIOIMG__LR(0x2c75,0x2c75,1),
    CRIOIMG__LR(0x2c7e,0x2c80,1), CRIOIMG__LR(0x2c82,0x2ce2,2), CRIOIMG__LR(0x2ceb,0x2ced,2),
    CRIOIMG__LR(0x2cf2,0x2cf2,1), CRIOIMG__LR(0xa640,0xa66c,2), CRIOIMG__LR(0xa680,0xa69a,2),
    CRIOIMG__LR(0xa722,0xa72e,2), CRIOIMG__LR(0xa732,0xa76e,2), CRIOIMG__LR(0xa779,0xa77d,2),
    CRIOIMG__LR(0xa77e,0xa786,2), CRIOIMG__LR(0xa78b,0xa78d,2), CRIOIMG__LR(0xa790,0xa792,2),
    CRIOIMG__LR(0xa796,0xa7aa,2), CRIOIMG__LR(0xa7ab,0xa7ae,1), CRIOIMG__LR(0xa7b0,0xa7b4,1),
    CRIOIMG__LR(0xa7b6,0xa7be,2), CRIOIMG__LR(0xa7c2,0xa7c4,2), CRIOIMG__LR(0xa7c5,0xa7c7,1),
    CRIOIMG__LR(0xa7c9,0xa7c9,1), CRIOIMG__LR(0xa7f5,0xa7f5,1), CRIOIMG__LR(0xff21,0xff3a,1),
    CRIOIMG__LR(0x10400,0x10427,1), CRIOIMG__LR(0x104b0,0x104d3,1), CRIOIMG__LR(0x10c80,0x10cb2,1),
    CRIOIMG__LR(0x118a0,0x118bf,1), CRIOIMG__LR(0x16e40,0x16e5f,1), CRIOIMG__LR(0x1e900,0x1e921,1),
};


/* the code point of a valid UTF-8 sequence of length l (crioimg__utf8_len) */
static unsigned long crioimg__utf8_decode(const unsigned char *c, size_t l)
{
    if (l == 1) return c[0];
    if (l == 2) return ((unsigned long)(c[0] & 0x1f) << 6) | (c[1] & 0x3fu);
    if (l == 3) return ((unsigned long)(c[0] & 0x0f) << 12) | ((unsigned long)(c[1] & 0x3f) << 6) | (c[2] & 0x3fu);
    return ((unsigned long)(c[0] & 0x07) << 18) | ((unsigned long)(c[1] & 0x3f) << 12) | ((unsigned long)(c[2] & 0x3f) << 6) | (c[3] & 0x3fu);
}

static int crioimg__ref_rune_has_lower(unsigned long r)
{
    size_t lo = 0, hi = sizeof crioimg__ref_lower_ranges / sizeof crioimg__ref_lower_ranges[0];
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        uint32_t e = crioimg__ref_lower_ranges[mid];
        unsigned long first = e & 0x1ffffu, last = first + ((e >> 17) & 0xffu);
        if (r < first) hi = mid;
        else if (r > last) lo = mid + 1;
        else return (r - first) % (((e >> 25) & 1u) + 1u) == 0;
    }
    return 0;
}

/* 1 when s has a byte in [A-Z] or >= 0x80: the only bytes that Go's strings.ToLower may change */
static int crioimg__ref_upper_or_high(const char *s, size_t n)
{
    size_t i = 0;
    unsigned any = 0;
#ifdef CRIOIMG__SSE2
    __m128i acc = _mm_setzero_si128();
    for (; i + 16 <= n; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        /* bytes >= 0x80 are negative as signed chars: cmplt 0 finds them */
        acc = _mm_or_si128(acc, _mm_or_si128(crioimg__sse_range(v, 'A', 'Z'), _mm_cmplt_epi8(v, _mm_setzero_si128())));
    }
    any = (unsigned)_mm_movemask_epi8(acc);
#else
    for (; i + 8 <= n; i += 8) {  /* eight bytes at a time (Bit Twiddling Hacks' hasbetween) */
        const unsigned long long ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
        unsigned long long w, low7;
        memcpy(&w, s + i, 8);
        if (w & high) return 1;
        low7 = w & ~high;
        if ((ones * (127 + 'Z' + 1) - low7) & ~w & (low7 + ones * (127 - ('A' - 1))) & high) return 1;
    }
#endif
    for (; i < n; i++) any |= (unsigned)((unsigned)((unsigned char)s[i] - 'A') < 26u) | ((unsigned char)s[i] >> 7);
    return any != 0;
}

/* 1 when Go's strings.ToLower(s) != s */
static int crioimg__ref_lower_changes(const char *s, size_t n)
{
    size_t i = 0;
    if (!crioimg__ref_upper_or_high(s, n)) return 0;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        size_t l;
        if (c < 0x80) { if (c >= 'A' && c <= 'Z') return 1; i++; continue; }
        l = crioimg__utf8_len((const unsigned char *)s + i, n - i);
        if (l == 0 || crioimg__ref_rune_has_lower(crioimg__utf8_decode((const unsigned char *)s + i, l))) return 1;
        i += l;
    }
    return 0;
}

/* Go's retry on strings.ToLower(s) can only match when the result is ASCII: besides [A-Z], only U+0130
   (to 'i') and U+212A (to 'k') lower to ASCII. The length of that lowered string, or 0 when it cannot be
   ASCII or is over CRIOIMG__REF_LOWER_MAX (then it is not told apart, see README). When every byte >= 0x80
   belongs to one of those two runes, the grammar with those bytes taken as letters (fold 2, "the lowered
   view") answers as the lowered string would: a rune's bytes sit in a run of letters where its letter
   would, and only a tag's length counts characters (crioimg__ref_tag_in counts runes). No copy is made:
   reference parsing stays within a small stack frame. */
#define CRIOIMG__REF_LOWER_MAX 4096   /* the former copy's size, kept so that no answer changes */
static size_t crioimg__ref_lowered_len(const char *s, size_t n)
{
    size_t i = 0, o = 0;
    while (i < n) {
        const unsigned char *c = (const unsigned char *)s + i;
        if (c[0] < 0x80) i++;
        else if (n - i >= 2 && c[0] == 0xc4 && c[1] == 0xb0) i += 2;
        else if (n - i >= 3 && c[0] == 0xe2 && c[1] == 0x84 && c[2] == 0xaa) i += 3;
        else return 0;
        if (o == CRIOIMG__REF_LOWER_MAX) return 0;
        o++;
    }
    return o;
}

/* ---- the reference match ---- */

/* What the reference regexp captures. name points into the input; the virtual name Go parses may have a
   constant prefix in front ("docker.io/" or "docker.io/library/", see crioimg_ref_parse_normalized). */
typedef struct crioimg__ref_match {
    const char *name, *tag, *digest;
    size_t name_len, tag_len, digest_len;
    size_t domain_len;  /* length of the domain inside the input's name part; unused with a prefix */
    int digest_ok;      /* the digest already passed go-digest's checks */
} crioimg__ref_match;

/* Full match of the reference grammar over prefix + s. A non-empty prefix is "domain/..." made by
   normalisation: then every component of s belongs to the path. */
#ifdef CRIOIMG__SSE2
/* ---- the fast path: classify up to 64 bytes with SSE2 into bit masks (bit i = byte i), then check the
   grammar with bit operations instead of a branch per byte. Branch mispredictions, not instructions,
   bound a byte-at-a-time parser on varied input; this has almost none. Whatever it cannot settle
   (IPv6 hosts, a name and tag over 64 bytes, any failure) it leaves to the portable path, so errors
   always come from one place. ---- */
typedef unsigned long long crioimg__mask;
#define CRIOIMG__MASK_BITS 64u
typedef struct crioimg__ref_masks {
    crioimg__mask an, up, dot, us, dash, slash, colon, at;
    size_t covered;  /* how many bytes the masks describe */
} crioimg__ref_masks;

static size_t crioimg__ctz(crioimg__mask x) { return (size_t)__builtin_ctzll(x); }          /* x != 0 */
static size_t crioimg__top(crioimg__mask x) { return 63 - (size_t)__builtin_clzll(x); }     /* x != 0 */

CRIOIMG__INLINE unsigned crioimg__sse_in(__m128i v, char lo, char hi)
{
    __m128i m = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8((char)(lo - 1))), _mm_cmpgt_epi8(_mm_set1_epi8((char)(hi + 1)), v));
    return (unsigned)_mm_movemask_epi8(m);
}

CRIOIMG__INLINE unsigned crioimg__sse_eq(__m128i v, char c)
{
    return (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(c)));
}

/* one 16-byte chunk into the per-class 16-bit masks of chunk j; shift drops bytes loaded twice */
CRIOIMG__INLINE void crioimg__ref_classify16(unsigned short w[8][4], size_t j, __m128i v, unsigned shift)
{
    unsigned lower = crioimg__sse_in(v, 'a', 'z'), digit = crioimg__sse_in(v, '0', '9');
    w[0][j] = (unsigned short)((lower | digit) >> shift);
    w[1][j] = (unsigned short)((unsigned)crioimg__sse_in(v, 'A', 'Z') >> shift);
    w[2][j] = (unsigned short)((unsigned)crioimg__sse_eq(v, '.') >> shift);
    w[3][j] = (unsigned short)((unsigned)crioimg__sse_eq(v, '_') >> shift);
    w[4][j] = (unsigned short)((unsigned)crioimg__sse_eq(v, '-') >> shift);
    w[5][j] = (unsigned short)((unsigned)crioimg__sse_eq(v, '/') >> shift);
    w[6][j] = (unsigned short)((unsigned)crioimg__sse_eq(v, ':') >> shift);
    w[7][j] = (unsigned short)((unsigned)crioimg__sse_eq(v, '@') >> shift);
}

/* Masks of s's first min(n, 64) bytes. Each 16-byte chunk gives a 16-bit mask per class, stored in
   little-endian order: four of them are the 64-bit mask (x86 is little-endian), with no shifts.
   A partial last chunk is loaded as the 16 bytes that end the input, its mask shifted down: nothing is
   read past the input, and nothing is copied (but for an input under 16 bytes). One call site of the
   always-inline classify16: at -O0 each site has its own temporaries (three made a 4 KiB frame). */
static void crioimg__ref_classify(crioimg__ref_masks *k, const char *s, size_t n)
{
    unsigned short w[8][4];
    char tmp[16];
    size_t off, j;
    if (n > CRIOIMG__MASK_BITS) n = CRIOIMG__MASK_BITS;
    memset(w, 0, sizeof w);  /* 64 bytes: four stores */
    for (off = 0, j = 0; off < n; off += 16, j++) {
        const char *p = s + off;
        unsigned shift = 0;
        if (off + 16 > n) {  /* a last, partial chunk */
            if (n >= 16) {
                p = s + n - 16;
                shift = (unsigned)(16 - (n - off));
            } else {
                memset(tmp, 0, sizeof tmp);
                memcpy(tmp, s, n);
                p = tmp;
            }
        }
        crioimg__ref_classify16(w, j, _mm_loadu_si128((const __m128i *)(const void *)p), shift);
        if (w[7][j] && off + 16 <= n) { n = off + 16; break; }  /* an '@': what follows is the digest, checked apart */
    }
    memcpy(&k->an, w[0], 8); memcpy(&k->up, w[1], 8); memcpy(&k->dot, w[2], 8); memcpy(&k->us, w[3], 8);
    memcpy(&k->dash, w[4], 8); memcpy(&k->slash, w[5], 8); memcpy(&k->colon, w[6], 8); memcpy(&k->at, w[7], 8);
    k->covered = n;
}

/* Masks of s + off, from masks of s. */
static void crioimg__ref_masks_shift(crioimg__ref_masks *k, size_t off)
{
    k->an >>= off; k->up >>= off; k->dot >>= off; k->us >>= off;
    k->dash >>= off; k->slash >>= off; k->colon >>= off; k->at >>= off;
    k->covered -= off;
}

/* bits [a, b), a <= b <= 64 */
static crioimg__mask crioimg__bits(size_t a, size_t b)
{
    crioimg__mask all = ~(crioimg__mask)0;
    crioimg__mask hi = b >= CRIOIMG__MASK_BITS ? all : (((crioimg__mask)1 << b) - 1);
    return a >= CRIOIMG__MASK_BITS ? 0 : hi & (all << a);
}

#define CRIOIMG__BIT(m, i) ((int)(((m) >> (i)) & 1))

/* the path grammar over the bits [a, b), a < b */
static int crioimg__ref_path_bits(const crioimg__ref_masks *k, size_t a, size_t b)
{
    crioimg__mask p = crioimg__bits(a, b), an = k->an;
    crioimg__mask dot = k->dot & p, us = k->us & p, dash = k->dash & p, sl = k->slash & p;
    crioimg__mask pa = an << 1, na = an >> 1;  /* "the byte before / after is alnum" */
    if (p & ~(an | dot | us | dash | sl)) return 0;
    if (!CRIOIMG__BIT(an, a) || !CRIOIMG__BIT(an, b - 1)) return 0;
    if ((dot | sl) & ~(pa & na)) return 0;
    if (dash & ~((pa | dash << 1) & (na | dash >> 1))) return 0;
    if (us & ~((pa | us << 1) & (na | us >> 1))) return 0;
    return (us & (us << 1) & (us >> 1)) == 0;  /* "__" yes, "___" no */
}

/* the domain grammar (no IPv6) over the bits [0, b) */
static int crioimg__ref_domain_bits(const crioimg__ref_masks *k, const char *s, size_t b)
{
    crioimg__mask c = k->colon & crioimg__bits(0, b), an = k->an | k->up, h, dot, dash;
    size_t hend = b;
    if (c) {  /* host ":" port */
        size_t pc = crioimg__ctz(c);
        if ((c & (c - 1)) || !crioimg__ref_digits(s + pc + 1, b - pc - 1)) return 0;
        hend = pc;
    }
    if (hend == 0) return 0;
    h = crioimg__bits(0, hend);
    dot = k->dot & h; dash = k->dash & h;
    if (h & ~(an | dot | dash)) return 0;
    if (!CRIOIMG__BIT(an, 0) || !CRIOIMG__BIT(an, hend - 1)) return 0;
    if (dot & ~((an << 1) & (an >> 1))) return 0;
    return (dash & ~(((an | dash) << 1) & ((an | dash) >> 1))) == 0;
}

/* the digest after the '@' at s[at], if any: sha256 checked whole here, others by grammar */
static int crioimg__ref_fast_digest(crioimg__ref_match *m, const char *s, size_t at, size_t n)
{
    size_t i;
    m->digest = NULL; m->digest_len = 0; m->digest_ok = 0;
    if (at < n) {
        const char *d = s + at + 1;
        m->digest = d;
        m->digest_len = n - at - 1;
        if (m->digest_len == 71 && memcmp(d, "sha256:", 7) == 0) {
            __m128i ok = _mm_set1_epi8(-1);  /* 64 lowercase hex: go-digest's check, 16 at a time */
            for (i = 7; i < 71; i += 16) {
                __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(d + i));
                ok = _mm_and_si128(ok, _mm_or_si128(crioimg__sse_range(v, '0', '9'), crioimg__sse_range(v, 'a', 'f')));
            }
            if (_mm_movemask_epi8(ok) != 0xffff) return -1;
            m->digest_ok = 1;
        } else if (!crioimg__ref_digest_grammar(d, m->digest_len)) {
            return 0;
        }
    }
    return 1;
}

/* A name and tag longer than the masks: the first component from the masks, the rest with memchr and
   the SSE2 pair checks. */
static int crioimg__ref_match_long(crioimg__ref_match *m, const crioimg__ref_masks *k, const char *s, size_t n, int prefixed)
{
    const char *p = (const char *)memchr(s, '@', n), *q;
    size_t at = p ? (size_t)(p - s) : n, fs, ls, name_end;
    if (!k->slash) return -1;  /* a first component over 64 bytes: the portable path */
    fs = crioimg__ctz(k->slash);
    for (ls = at; ls > fs && s[ls - 1] != '/'; ls--) {}
    ls--;  /* the last '/' before the '@' */
    q = (const char *)memchr(s + ls + 1, ':', at - ls - 1);
    name_end = q ? (size_t)(q - s) : at;
    if (!crioimg__ref_path_ok(s + fs + 1, name_end - fs - 1, 0)) return 0;
    m->name = s;
    m->name_len = name_end;
    m->domain_len = 0;
    if (prefixed || !crioimg__ref_domain_bits(k, s, fs)) {
        if (!crioimg__ref_path_bits(k, 0, fs)) return 0;
    } else {
        m->domain_len = fs;
    }
    m->tag = NULL; m->tag_len = 0;
    if (q) {
        m->tag = q + 1;
        m->tag_len = at - name_end - 1;
        if (!crioimg__ref_tag(m->tag, m->tag_len)) return 0;
    }
    return crioimg__ref_fast_digest(m, s, at, n);
}

/* 1 matched, 0 no match here, -1 not for the fast path: either way the portable path decides then.
   kp holds the masks of s (covering kp->covered bytes of it). */
static int crioimg__ref_match_fast(crioimg__ref_match *m, const crioimg__ref_masks *kp, const char *s, size_t n, int prefixed)
{
    const crioimg__ref_masks *k = kp;
    crioimg__mask sl, c;
    size_t at, name_end, fs = 0;
    if (n == 0 || s[0] == '[') return -1;
    if (k->at) at = crioimg__ctz(k->at);
    else if (n <= k->covered) at = n;
    else return crioimg__ref_match_long(m, k, s, n, prefixed);
    sl = k->slash & crioimg__bits(0, at);
    c = k->colon & crioimg__bits(0, at);
    if (sl) {
        fs = crioimg__ctz(sl);
        c &= ~crioimg__bits(0, crioimg__top(sl) + 1);  /* a tag's ':' comes after the last '/' */
    }
    name_end = c ? crioimg__ctz(c) : at;
    if (name_end == 0) return 0;
    m->name = s;
    m->name_len = name_end;
    m->domain_len = 0;
    if (prefixed || !sl) {
        if (!crioimg__ref_path_bits(k, 0, name_end)) return 0;
    } else {
        if (fs + 1 >= name_end || !crioimg__ref_path_bits(k, fs + 1, name_end)) return 0;
        if (crioimg__ref_domain_bits(k, s, fs)) m->domain_len = fs;
        else if (!crioimg__ref_path_bits(k, 0, fs)) return 0;
    }
    m->tag = NULL; m->tag_len = 0;
    if (c) {  /* [\w][\w.-]{0,127} */
        crioimg__mask t = crioimg__bits(name_end + 1, at), w = k->an | k->up | k->us;
        if (!t || !CRIOIMG__BIT(w, name_end + 1) || (t & ~(w | k->dot | k->dash))) return 0;
        m->tag = s + name_end + 1;
        m->tag_len = at - name_end - 1;
    }
    return crioimg__ref_fast_digest(m, s, at, n);
}
#endif

/* fold: 0 exact, 1 [A-Z] as [a-z], 2 the lowered view too (crioimg__ref_lowered_len) */
static int crioimg__ref_match_parts(crioimg__ref_match *m, const char *s, size_t n, int prefixed, int fold)
{
    size_t at, i, c0_end;
    int c0_ok;
    m->domain_len = 0;
    m->digest_ok = 0;
    m->tag = m->digest = NULL;
    m->tag_len = m->digest_len = 0;
    m->name = s;
    /* the separators first, with memchr; then each part checked whole */
    at = crioimg__ref_find2(s, n, '@', '@');  /* (one memchr, the second finds nothing new) */
    /* the first component, up to '/' or ':' */
    i = c0_end = crioimg__ref_find2(s, at, '/', ':');
    if (i == 0) return 0;
    c0_ok = crioimg__ref_path_ok(s, c0_end, fold);
    if (i < at && s[i] == ':' && !prefixed) {
        /* a port when a '/' follows (before the '@'): then this is a domain; else a tag */
        const char *sl = (const char *)memchr(s + i, '/', at - i);
        if (sl) { i = c0_end = (size_t)(sl - s); c0_ok = 0; }
    }
    if (i < at && s[i] == '/') {
        /* the rest of the path, up to a tag's ':' */
        size_t end;
        i++;
        end = i + crioimg__ref_find2(s + i, at - i, ':', ':');
        if (!crioimg__ref_path_ok(s + i, end - i, fold)) return 0;
        i = end;
        if (!prefixed && crioimg__ref_domain_in(s, c0_end, fold == 2)) m->domain_len = c0_end;
        else if (!c0_ok) return 0;
    } else if (!c0_ok) {
        return 0;
    }
    m->name_len = i;
    if (i < at) {  /* s[i] is ':' */
        m->tag = s + i + 1;
        m->tag_len = at - i - 1;
        if (!crioimg__ref_tag_in(m->tag, m->tag_len, fold == 2)) return 0;
    }
    if (at < n) {
        m->digest = s + at + 1;
        m->digest_len = n - at - 1;
        if (!crioimg__ref_digest_grammar_in(m->digest, m->digest_len, fold == 2)) return 0;
    }
    return 1;
}

static int crioimg__ref_has_high(const char *s, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) if ((unsigned char)s[i] >= 0x80) return 1;
    return 0;
}

static void crioimg__ref_zero(crioimg_ref *r)
{
    memset(r, 0, sizeof *r);
}

static void crioimg__ref_set(char *dst, unsigned short *dlen, const char *src, size_t n)
{
    if (n) memcpy(dst, src, n);
    dst[n] = '\0';
    *dlen = (unsigned short)n;
}

/* The rest of Parse after a match: the length limit, go-digest's checks, then the result. */
static crioimg_result crioimg__ref_fill(crioimg_ref *out, const char *prefix, size_t plen, const crioimg__ref_match *m)
{
    crioimg_result r;
    if (plen + m->name_len > CRIOIMG_REF_NAME_MAX) { crioimg__ref_zero(out); return CRIOIMG_ERR_REF_NAME_TOO_LONG; }
    if (m->digest && !m->digest_ok && (r = crioimg_digest_validate(m->digest, m->digest_len)) != CRIOIMG_OK) {
        crioimg__ref_zero(out);
        return r;
    }
    if (plen == 18) memcpy(out->name, prefix, 18);  /* constant sizes: inlined stores, not calls */
    else if (plen == 10) memcpy(out->name, prefix, 10);
    memcpy(out->name + plen, m->name, m->name_len);
    out->name[plen + m->name_len] = '\0';
    out->name_len = (unsigned short)(plen + m->name_len);
    out->domain_len = (unsigned short)(plen ? 9 /* "docker.io" */ : m->domain_len);
    crioimg__ref_set(out->tag, &out->tag_len, m->tag, m->tag_len);
    if (m->digest_len == 71) {  /* sha256: the usual digest */
        memcpy(out->digest, m->digest, 71);
        out->digest[71] = '\0';
        out->digest_len = 71;
    } else {
        crioimg__ref_set(out->digest, &out->digest_len, m->digest, m->digest_len);
    }
    return CRIOIMG_OK;
}

/* Parse over prefix + s, where prefix is "" or a normalisation prefix ending in '/'. */
static crioimg_result crioimg__ref_parse(crioimg_ref *out, const char *prefix, size_t plen, const char *s, size_t n, int try_fast)
{
    crioimg__ref_match m;
    int ok = -1;
#ifdef CRIOIMG__SSE2
    if (try_fast) {
        crioimg__ref_masks k;
        crioimg__ref_classify(&k, s, n);
        ok = crioimg__ref_match_fast(&m, &k, s, n, plen != 0);
        if (ok == 1) return crioimg__ref_fill(out, prefix, plen, &m);
    }
#else
    (void)try_fast;
#endif
    ok = crioimg__ref_match_parts(&m, s, n, plen != 0, 0);
    if (!ok) {
        crioimg__ref_zero(out);
        if (plen == 0 && n == 0) return CRIOIMG_ERR_REF_NAME_EMPTY;
        /* Go tries again on strings.ToLower(s): that can only match otherwise when s has [A-Z] or runes
           that lower to ASCII (U+0130, U+212A) */
        if (crioimg__ref_lower_changes(s, n)) {
            if (crioimg__ref_match_parts(&m, s, n, plen != 0, 1)) return CRIOIMG_ERR_REF_UPPERCASE;
            if (crioimg__ref_has_high(s, n) && crioimg__ref_lowered_len(s, n) &&
                crioimg__ref_match_parts(&m, s, n, plen != 0, 2)) return CRIOIMG_ERR_REF_UPPERCASE;
        }
        return CRIOIMG_ERR_REF_FORMAT;
    }
    return crioimg__ref_fill(out, prefix, plen, &m);
}

crioimg_result crioimg_ref_parse(crioimg_ref *out, const char *s, size_t n)
{
    if (out == NULL || (s == NULL && n)) return CRIOIMG_ERR_INVALID_ARGS;
    if (s == NULL) s = "";
    return crioimg__ref_parse(out, "", 0, s, n, 1);
}

static int crioimg__ref_is(const char *s, size_t n, const char *lit)
{
    size_t l = strlen(lit);
    return n == l && memcmp(s, lit, l) == 0;
}

crioimg_result crioimg_ref_parse_normalized(crioimg_ref *out, const char *s, size_t n)
{
    static const char lib_prefix[] = "docker.io/library/";
    const char *slash, *rem = s, *p;
    size_t rem_n = n, plen = 0, i;
    int dots;
    crioimg_result r;
    if (out == NULL || (s == NULL && n)) return CRIOIMG_ERR_INVALID_ARGS;
    if (s == NULL) s = rem = "";
    if (crioimg_id_is_full(s, n)) { crioimg__ref_zero(out); return CRIOIMG_ERR_REF_HEX_NAME; }
#ifdef CRIOIMG__SSE2
    {   /* the same steps on bit masks; anything unusual falls through to the portable code below */
        crioimg__ref_masks k;
        crioimg__ref_match m;
        crioimg__mask sl;
        size_t off = 0;
        crioimg__ref_classify(&k, s, n);
        sl = k.slash;
        /* with an '@' the masks cover the whole name (a '/' after it fails the digest anyway) */
        if (sl || k.at || n <= k.covered) {
            size_t fs = sl ? crioimg__ctz(sl) : n;
            if (!sl) plen = 18;
            else if (!((k.dot | k.colon) & crioimg__bits(0, fs)) && !crioimg__ref_is(s, fs, "localhost")) plen = 10;
            else if (crioimg__ref_is(s, fs, "index.docker.io") || crioimg__ref_is(s, fs, "docker.io")) {
                off = fs + 1;
                plen = (sl >> off) ? 10 : ((k.at || n <= k.covered) ? 18 : 0);
            }
            if (off == 0 || plen) {
                if (off) crioimg__ref_masks_shift(&k, off);
                /* an error from fill may lose to Go's lowercase check: the portable path decides it */
                if (crioimg__ref_match_fast(&m, &k, s + off, n - off, plen != 0) == 1 &&
                    crioimg__ref_fill(out, lib_prefix, plen, &m) == CRIOIMG_OK)
                    return CRIOIMG_OK;
            }
            plen = 0;
        }
    }
#endif
    /* splitDockerDomain: the first component is a domain if it has '.' or ':' or is "localhost" */
    slash = (const char *)memchr(s, '/', n);
    i = slash ? (size_t)(slash - s) : n;
    dots = memchr(s, '.', i) || memchr(s, ':', i);
    if (slash == NULL) {
        plen = 18;                                            /* "docker.io/library/" + s */
    } else if (!dots && !crioimg__ref_is(s, i, "localhost")) {
        plen = 10;                                            /* "docker.io/" + s */
    } else if (crioimg__ref_is(s, i, "index.docker.io") || crioimg__ref_is(s, i, "docker.io")) {
        rem = slash + 1;                                      /* "docker.io/" + what follows */
        rem_n = n - i - 1;
        plen = memchr(rem, '/', rem_n) ? 10 : 18;            /* one component: "library/" */
    }                                                         /* else: Go parses s itself */
    r = crioimg__ref_parse(out, lib_prefix, plen, rem, rem_n, 0);  /* the fast path was tried above */
    if (r == CRIOIMG_OK) return r;  /* a parsed path is lowercase, so Go's check below passed */
    /* Go checks first that the remote name (up to the first ':') is what strings.ToLower leaves
       unchanged; that error wins over Parse's */
    p = plen ? rem : slash + 1;
    i = crioimg__ref_find2(p, (size_t)(s + n - p), ':', ':');
    return crioimg__ref_lower_changes(p, i) ? CRIOIMG_ERR_REF_NORM_UPPERCASE : r;
}

/* name + [":" tag] + ["@" digest] into out, as String() and FamiliarString() write them */
static size_t crioimg__ref_write(const crioimg_ref *ref, const char *name, size_t name_len, char *out, size_t cap)
{
    size_t need = name_len + (ref->tag_len ? 1u + ref->tag_len : 0u) + (ref->digest_len ? (name_len ? 1u : 0u) + ref->digest_len : 0u);
    char *p = out;
    if (need >= cap) {  /* rare: the careful, truncating path */
        crioimg__out o;
        o.p = out; o.cap = cap; o.len = 0;
        if (cap) out[0] = '\0';
        crioimg__out_put(&o, name, name_len);
        if (ref->tag_len) { crioimg__out_put(&o, ":", 1); crioimg__out_put(&o, ref->tag, ref->tag_len); }
        if (ref->digest_len) {
            if (name_len) crioimg__out_put(&o, "@", 1);
            crioimg__out_put(&o, ref->digest, ref->digest_len);
        }
        return o.len;
    }
    memcpy(p, name, name_len);
    p += name_len;
    if (ref->tag_len) { *p++ = ':'; memcpy(p, ref->tag, ref->tag_len); p += ref->tag_len; }
    if (ref->digest_len) {
        if (name_len) *p++ = '@';
        memcpy(p, ref->digest, ref->digest_len);
        p += ref->digest_len;
    }
    *p = '\0';
    return need;
}

size_t crioimg_ref_string(const crioimg_ref *ref, char *out, size_t cap)
{
    if (ref == NULL) { if (cap) out[0] = '\0'; return 0; }
    return crioimg__ref_write(ref, ref->name, ref->name_len, out, cap);
}

crioimg_result crioimg_ref_parse_named(crioimg_ref *out, const char *s, size_t n)
{
    char buf[CRIOIMG_REF_STRING_MAX + 1];
    crioimg_result r = crioimg_ref_parse_normalized(out, s, n);
    if (r != CRIOIMG_OK) return r;
    if (crioimg_ref_string(out, buf, sizeof buf) != n || memcmp(buf, s, n) != 0) {
        crioimg__ref_zero(out);
        return CRIOIMG_ERR_REF_NOT_CANONICAL;
    }
    return CRIOIMG_OK;
}

/* A reference that is only a digest (ParseAnyReference of an ID or digest). */
static void crioimg__ref_digest_only(crioimg_ref *out, const char *alg, const char *s, size_t n)
{
    size_t alen = strlen(alg);
    crioimg__ref_zero(out);
    memcpy(out->digest, alg, alen);
    memcpy(out->digest + alen, s, n);
    out->digest[alen + n] = '\0';
    out->digest_len = (unsigned short)(alen + n);
}

crioimg_result crioimg_ref_parse_any(crioimg_ref *out, const char *s, size_t n)
{
    if (out == NULL || (s == NULL && n)) return CRIOIMG_ERR_INVALID_ARGS;
    if (crioimg_id_is_full(s, n)) { crioimg__ref_digest_only(out, "sha256:", s, n); return CRIOIMG_OK; }
    if (s != NULL && crioimg_digest_validate(s, n) == CRIOIMG_OK) { crioimg__ref_digest_only(out, "", s, n); return CRIOIMG_OK; }
    return crioimg_ref_parse_normalized(out, s, n);
}

void crioimg_ref_trim_named(crioimg_ref *ref)
{
    if (ref == NULL) return;
    ref->tag[0] = '\0'; ref->tag_len = 0;
    ref->digest[0] = '\0'; ref->digest_len = 0;
}

void crioimg_ref_tag_name_only(crioimg_ref *ref)
{
    if (ref == NULL || ref->name_len == 0 || ref->tag_len || ref->digest_len) return;
    crioimg__ref_set(ref->tag, &ref->tag_len, "latest", 6);
}

crioimg_result crioimg_ref_parse_docker(crioimg_ref *out, const char *s, size_t n)
{
    crioimg_result r = crioimg_ref_parse_normalized(out, s, n);
    if (r != CRIOIMG_OK) return r;
    if (out->tag_len && out->digest_len) { out->tag[0] = '\0'; out->tag_len = 0; }  /* the digest wins */
    crioimg_ref_tag_name_only(out);
    return CRIOIMG_OK;
}

crioimg_result crioimg_ref_with_name(crioimg_ref *out, const char *name, size_t n)
{
    crioimg__ref_match m;
    if (out == NULL || (name == NULL && n)) return CRIOIMG_ERR_INVALID_ARGS;
    crioimg__ref_zero(out);
    if (n > CRIOIMG_REF_NAME_MAX) return CRIOIMG_ERR_REF_NAME_TOO_LONG;
    /* anchoredNameRegexp: a name alone, so neither ':' outside the domain nor '@' may follow */
    if (n == 0 || !crioimg__ref_match_parts(&m, name, n, 0, 0) || m.tag || m.digest) return CRIOIMG_ERR_REF_FORMAT;
    crioimg__ref_set(out->name, &out->name_len, name, n);
    out->domain_len = (unsigned short)m.domain_len;
    return CRIOIMG_OK;
}

crioimg_result crioimg_ref_with_tag(crioimg_ref *out, const crioimg_ref *ref, const char *tag, size_t n)
{
    if (out == NULL || ref == NULL || (tag == NULL && n)) return CRIOIMG_ERR_INVALID_ARGS;
    if (ref->name_len == 0) return CRIOIMG_ERR_REF_NO_NAME;
    if (!crioimg__ref_tag(tag, n)) return CRIOIMG_ERR_REF_TAG_FORMAT;
    if (out != ref) *out = *ref;
    crioimg__ref_set(out->tag, &out->tag_len, tag, n);
    return CRIOIMG_OK;
}

crioimg_result crioimg_ref_with_digest(crioimg_ref *out, const crioimg_ref *ref, const char *digest, size_t n)
{
    if (out == NULL || ref == NULL || (digest == NULL && n)) return CRIOIMG_ERR_INVALID_ARGS;
    if (ref->name_len == 0) return CRIOIMG_ERR_REF_NO_NAME;
    if (n > CRIOIMG_REF_DIGEST_MAX || !crioimg__ref_digest_grammar(digest, n)) return CRIOIMG_ERR_REF_DIGEST_FORMAT;
    if (out != ref) *out = *ref;
    crioimg__ref_set(out->digest, &out->digest_len, digest, n);
    return CRIOIMG_OK;
}

const char *crioimg_ref_domain(const crioimg_ref *ref, size_t *len)
{
    if (len) *len = ref ? ref->domain_len : 0;
    return ref ? ref->name : "";
}

const char *crioimg_ref_path(const crioimg_ref *ref, size_t *len)
{
    size_t skip;
    if (ref == NULL) { if (len) *len = 0; return ""; }
    skip = ref->domain_len ? (size_t)ref->domain_len + 1 : 0;
    if (len) *len = ref->name_len - skip;
    return ref->name + skip;
}

/* familiarizeName: drop "docker.io/", then "library/" when exactly one component follows it */
const char *crioimg_ref_familiar_name(const crioimg_ref *ref, size_t *len)
{
    size_t plen;
    const char *p;
    if (ref == NULL) { if (len) *len = 0; return ""; }
    p = crioimg_ref_path(ref, &plen);
    if (!crioimg__ref_is(ref->name, ref->domain_len, "docker.io")) p = ref->name, plen = ref->name_len;
    else if (plen > 8 && memcmp(p, "library/", 8) == 0 && !memchr(p + 8, '/', plen - 8)) p += 8, plen -= 8;
    if (len) *len = plen;
    return p;
}

size_t crioimg_ref_familiar_string(const crioimg_ref *ref, char *out, size_t cap)
{
    size_t fl;
    const char *fn;
    if (ref == NULL || ref->name_len == 0) return crioimg_ref_string(ref, out, cap);
    fn = crioimg_ref_familiar_name(ref, &fl);
    return crioimg__ref_write(ref, fn, fl, out, cap);
}

int crioimg_ref_equal(const crioimg_ref *a, const crioimg_ref *b)
{
    return a && b && a->name_len == b->name_len && a->tag_len == b->tag_len && a->digest_len == b->digest_len &&
           a->domain_len == b->domain_len && memcmp(a->name, b->name, a->name_len) == 0 &&
           memcmp(a->tag, b->tag, a->tag_len) == 0 && memcmp(a->digest, b->digest, a->digest_len) == 0;
}

/* ---- Go's path.Match, byte for byte (names are ASCII; patterns may hold UTF-8 inside classes) ---- */

/* A pattern character in a class (getEsc): *r gets its code point; 0 on a malformed pattern. */
static int crioimg__match_esc(const char **p, const char *end, long *r)
{
    const char *c = *p;
    size_t l;
    if (c == end || *c == '-' || *c == ']') return 0;
    if (*c == '\\' && ++c == end) return 0;
    l = crioimg__utf8_len((const unsigned char *)c, (size_t)(end - c));
    if (l == 0) return 0;
    if (l == 1) *r = (unsigned char)*c;
    else if (l == 2) *r = ((long)(c[0] & 0x1f) << 6) | (c[1] & 0x3f);
    else if (l == 3) *r = ((long)(c[0] & 0x0f) << 12) | ((long)(c[1] & 0x3f) << 6) | (c[2] & 0x3f);
    else *r = ((long)(c[0] & 0x07) << 18) | ((long)(c[1] & 0x3f) << 12) | ((long)(c[2] & 0x3f) << 6) | (c[3] & 0x3f);
    *p = c + l;
    return *p != end;
}

/* matchChunk: 1 match (rest in *rest), 0 no match, -1 bad pattern. After a mismatch the chunk is still
   walked to the end so that a malformed pattern is reported, as Go does. */
static int crioimg__match_chunk(const char *c, const char *ce, const char *s, const char *se, const char **rest)
{
    int failed = 0;
    while (c < ce) {
        if (!failed && s == se) failed = 1;
        if (*c == '[') {
            long r = -1, lo, hi;
            int negated = 0, match = 0, nrange = 0;
            if (!failed) {
                size_t l = crioimg__utf8_len((const unsigned char *)s, (size_t)(se - s));
                r = l == 1 ? (unsigned char)*s : 0xfffd;  /* names are ASCII; anything else never matches */
                s += l ? l : 1;
            }
            c++;
            if (c < ce && *c == '^') { negated = 1; c++; }
            for (;;) {
                if (c < ce && *c == ']' && nrange > 0) { c++; break; }
                if (!crioimg__match_esc(&c, ce, &lo)) return -1;
                hi = lo;
                if (*c == '-') { c++; if (!crioimg__match_esc(&c, ce, &hi)) return -1; }
                if (lo <= r && r <= hi) match = 1;
                nrange++;
            }
            if (match == negated) failed = 1;
        } else if (*c == '?') {
            if (!failed) { if (*s == '/') failed = 1; s++; }
            c++;
        } else {
            if (*c == '\\' && ++c == ce) return -1;
            if (!failed) { if (*c != *s) failed = 1; s++; }
            c++;
        }
    }
    if (failed) return 0;
    *rest = s;
    return 1;
}

/* scanChunk: leading stars, then up to the next '*' outside a class */
static const char *crioimg__match_scan(const char **p, const char *pe, int *star)
{
    const char *c;
    int inrange = 0;
    *star = 0;
    while (*p < pe && **p == '*') { (*p)++; *star = 1; }
    for (c = *p; c < pe; c++) {
        if (*c == '\\') { if (c + 1 < pe) c++; }
        else if (*c == '[') inrange = 1;
        else if (*c == ']') inrange = 0;
        else if (*c == '*' && !inrange) break;
    }
    return c;
}

/* path.Match: 1, 0, or -1 for ErrBadPattern */
static int crioimg__path_match(const char *p, const char *pe, const char *s, const char *se)
{
    while (p < pe) {
        int star, k;
        const char *chunk = NULL, *ce, *t = NULL;
        ce = crioimg__match_scan(&p, pe, &star);
        chunk = p;
        p = ce;
        if (star && chunk == ce) return memchr(s, '/', (size_t)(se - s)) == NULL;
        k = crioimg__match_chunk(chunk, ce, s, se, &t);
        if (k == 1 && (t == se || p < pe)) { s = t; continue; }
        if (k < 0) return -1;
        if (star) {
            const char *i;
            int found = 0;
            for (i = s; i < se && *i != '/'; i++) {
                k = crioimg__match_chunk(chunk, ce, i + 1, se, &t);
                if (k == 1) {
                    if (p == pe && t != se) continue;
                    s = t; found = 1; break;
                }
                if (k < 0) return -1;
            }
            if (found) continue;
        }
        /* no match: the rest of the pattern must still be well-formed */
        while (p < pe) {
            const char *dummy;
            ce = crioimg__match_scan(&p, pe, &star);
            if (crioimg__match_chunk(p, ce, se, se, &dummy) < 0) return -1;
            p = ce;
        }
        return 0;
    }
    return s == se;
}

crioimg_result crioimg_ref_familiar_match(const char *pattern, size_t n, const crioimg_ref *ref, int *matched)
{
    char buf[CRIOIMG_REF_STRING_MAX + 1];
    size_t l;
    int k;
    if (matched) *matched = 0;
    if ((pattern == NULL && n) || ref == NULL || matched == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    if (pattern == NULL) pattern = "";
    l = crioimg_ref_familiar_string(ref, buf, sizeof buf);
    k = crioimg__path_match(pattern, pattern + n, buf, buf + l);
    if (k != 1 && ref->name_len) {
        const char *fn = crioimg_ref_familiar_name(ref, &l);
        *matched = crioimg__path_match(pattern, pattern + n, fn, fn + l) == 1;
    } else {
        *matched = k == 1;
    }
    return k < 0 ? CRIOIMG_ERR_REF_BAD_PATTERN : CRIOIMG_OK;
}

/* ---- error texts that carry the input ---- */

/* Go's %q (strconv.Quote) for the inputs that error texts quote: printable runes as they are, the usual
   backslash escapes, other runes as \uXXXX or \UXXXXXXXX, bytes that are not UTF-8 as \xNN. What is
   printable is Go's strconv.IsPrint, from this table of the runes it rejects: */
/* CRIOIMG_NO_UNICODE_QUOTE leaves the table (1.4 KB) out: every non-ASCII rune is then escaped (only
   error texts differ). */
#ifndef CRIOIMG_NO_UNICODE_QUOTE
/* from Go 1.19's strconv.IsPrint (Unicode 13.0.0) by tools/gen_unicode_print.go: 679 ranges */
static const unsigned char crioimg__print_not[] = {
0,32,12,0,202,5,1,6,3,7,0,1,0,20,0,141,3,0,38,1,50,1,3,0,55,7,27,3,6,16,22,1,
191,1,0,48,1,59,1,101,13,59,1,49,1,15,0,28,1,1,0,11,52,21,0,18,10,15,0,161,1,0,8,1,
2,1,22,0,7,0,1,2,4,1,9,1,2,1,4,7,1,3,2,0,5,1,25,1,3,0,6,3,2,1,22,0,
7,0,2,0,2,0,2,1,1,0,5,3,2,1,3,2,1,6,4,0,1,6,17,9,3,0,9,0,3,0,22,0,
7,0,2,0,5,1,10,0,3,0,3,1,1,14,4,1,12,6,7,0,3,0,8,1,2,1,22,0,7,0,2,0,
5,1,9,1,2,1,3,6,3,3,2,0,5,1,18,9,2,0,6,2,3,0,4,2,2,0,1,0,2,2,2,2,
3,2,12,3,5,2,3,0,4,1,1,5,1,13,21,4,13,0,3,0,23,0,16,2,8,0,3,0,4,6,2,0,
3,4,4,1,10,6,22,0,3,0,23,0,10,0,5,1,9,0,3,0,4,6,2,6,1,0,4,1,10,0,2,12,
13,0,3,0,51,0,3,0,6,3,16,1,26,0,3,0,18,2,24,0,9,0,1,1,7,2,1,3,6,0,1,0,
8,5,10,1,3,11,58,3,29,36,2,0,1,0,5,0,24,0,1,0,23,1,5,0,1,0,6,1,10,1,4,31,
72,0,36,3,39,0,36,0,15,0,13,36,198,1,0,1,4,1,1,249,2,0,4,1,7,0,1,0,4,1,41,0,
4,1,33,0,4,1,7,0,1,0,4,1,15,0,57,0,4,1,67,1,32,2,26,5,86,1,6,1,128,5,0,28,
2,89,6,13,0,7,10,23,8,20,11,13,0,3,0,2,11,94,1,10,5,10,5,14,1,10,5,89,6,43,4,70,
9,31,0,12,3,12,3,1,2,42,1,5,10,44,3,26,5,11,2,62,1,65,0,29,1,11,5,10,5,14,1,17,
62,76,3,45,2,116,7,60,2,15,2,60,6,43,1,11,7,43,4,250,1,0,155,2,1,6,1,38,1,6,1,8,
0,1,0,1,0,1,0,31,1,53,0,15,0,14,1,6,0,19,1,3,0,9,16,24,7,47,16,2,1,27,0,13,
2,32,15,33,14,140,1,3,151,5,24,11,20,148,14,1,32,0,152,1,0,47,0,148,1,4,45,0,1,4,1,1,
56,6,2,13,24,8,7,0,7,0,7,0,7,0,7,0,7,0,7,0,7,0,115,44,26,0,89,11,214,1,25,12,
4,63,0,86,1,103,4,43,0,94,0,84,11,47,0,221,219,1,2,141,9,2,55,8,220,2,19,184,1,7,192,1,
1,9,41,56,2,10,5,56,7,70,7,12,5,116,10,30,2,78,0,11,3,33,0,55,8,14,1,10,1,103,23,28,
9,6,1,6,1,6,8,7,0,7,0,60,3,126,1,10,5,164,87,11,23,3,49,3,128,16,255,49,238,2,1,106,
37,7,11,5,4,26,0,5,0,1,0,2,0,2,0,124,16,237,2,15,64,1,54,39,14,1,26,5,51,0,19,0,
4,3,5,0,135,1,3,190,1,2,6,1,6,1,6,1,3,2,7,0,7,12,2,1,12,0,26,0,19,0,2,0,
15,1,14,33,123,4,3,3,45,2,88,0,13,2,1,46,46,129,1,29,2,49,14,28,3,36,8,30,4,43,4,30,
0,37,3,14,41,158,1,1,10,5,36,3,36,3,40,7,52,10,1,143,1,183,2,8,22,9,8,151,1,6,1,1,
0,44,0,2,2,1,1,23,0,72,7,9,47,19,0,2,4,33,2,27,4,1,63,56,3,20,1,50,0,2,4,8,
0,3,0,29,1,3,3,10,6,9,6,64,31,39,3,12,8,54,2,29,1,27,4,26,6,4,11,7,79,73,54,51,
12,51,6,46,7,10,165,2,31,0,42,0,3,1,2,77,40,7,42,85,28,19,23,8,78,3,30,14,62,0,4,13,
25,6,10,5,53,0,18,7,39,8,96,0,20,10,18,0,44,64,7,0,1,0,4,0,15,0,11,5,59,4,10,5,
4,0,8,1,2,1,22,0,7,0,2,0,5,0,10,1,2,1,3,1,1,5,1,4,7,1,7,2,5,138,1,92,
0,5,29,72,7,10,165,1,54,1,38,33,69,10,10,5,13,18,57,6,10,53,27,1,15,3,16,191,1,60,99,83,
11,8,1,1,1,8,0,2,0,30,0,2,1,12,8,10,69,8,1,46,1,11,26,72,7,83,28,57,134,2,9,0,
45,0,14,9,29,2,32,1,22,0,14,72,7,0,2,0,44,2,1,0,2,0,9,7,10,5,6,0,2,0,37,0,
2,0,6,6,10,181,2,25,182,1,1,14,50,12,155,7,101,111,0,5,10,196,1,187,21,175,8,208,31,199,4,184,
67,185,4,6,31,0,10,3,2,95,30,1,6,9,70,9,10,0,7,0,21,4,19,175,5,91,100,75,3,57,6,17,
63,5,10,2,13,248,47,7,214,9,41,9,246,69,159,2,48,3,16,4,7,140,3,131,18,107,4,13,2,9,6,10,
1,4,223,38,246,1,9,39,1,74,7,110,22,70,153,1,20,11,87,8,25,134,1,85,0,71,0,2,1,1,1,2,
1,4,0,12,0,1,0,7,0,65,0,4,1,8,0,7,0,28,0,4,0,5,0,1,2,7,0,212,2,1,164,2,
1,190,5,14,5,0,15,207,10,7,0,17,1,7,0,2,0,5,212,1,45,2,14,1,10,3,2,239,2,58,4,1,
255,9,197,1,1,16,40,76,3,10,3,2,144,6,68,75,61,193,1,4,0,27,0,2,0,1,1,1,0,10,0,4,
0,1,0,1,5,1,3,1,0,1,0,1,0,3,0,2,0,1,1,1,0,1,0,1,0,1,0,1,0,2,0,1,
1,4,0,7,0,4,0,4,0,1,0,10,0,17,4,3,0,5,0,17,51,2,141,2,44,3,100,11,15,1,15,0,
15,0,37,9,174,1,55,29,12,44,3,9,6,2,13,6,153,1,216,7,7,13,2,13,2,116,11,89,6,12,19,12,
3,56,7,10,5,40,7,30,1,2,77,121,0,82,0,135,1,11,14,1,5,2,3,4,7,8,25,6,7,8,3,12,
7,40,147,1,0,55,36,10,133,8,222,205,2,33,181,32,10,222,1,1,130,45,13,177,58,158,24,158,4,225,11,203,
38,180,219,43,240,1,143,252,11,
};

/* Whether r is printable: the ranges it rejects read from the start (the format: tools/gen_unicode_print.go) */
static unsigned long crioimg__print_next(const unsigned char **pp)
{
    unsigned long v = 0;
    unsigned sh = 0;
    unsigned char c;
    do { c = *(*pp)++; v |= (unsigned long)(c & 127) << sh; sh += 7; } while (c & 128);
    return v;
}

static int crioimg__rune_printable(unsigned long r)
{
    const unsigned char *p = crioimg__print_not, *end = p + sizeof crioimg__print_not;
    unsigned long lo, hi = 0x7f;
    while (p < end) {
        lo = hi + 1 + crioimg__print_next(&p);
        hi = lo + crioimg__print_next(&p);
        if (r < lo) return 1;
        if (r <= hi) return 0;
    }
    return 1;
}
#else
static int crioimg__rune_printable(unsigned long r) { (void)r; return 0; }
#endif

CRIOIMG__LIB void crioimg__out_goquote(crioimg__out *o, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t i = 0;
    crioimg__out_put(o, "\"", 1);
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        const char *e = NULL;
        size_t l;
        switch (c) {
        case '\a': e = "\\a"; break;  case '\b': e = "\\b"; break;  case '\f': e = "\\f"; break;
        case '\n': e = "\\n"; break;  case '\r': e = "\\r"; break;  case '\t': e = "\\t"; break;
        case '\v': e = "\\v"; break;  case '"': e = "\\\""; break;  case '\\': e = "\\\\"; break;
        default: break;
        }
        if (e) { crioimg__out_str(o, e); i++; continue; }
        if (c >= 0x20 && c < 0x7f) { crioimg__out_put(o, s + i, 1); i++; continue; }
        l = c >= 0x80 ? crioimg__utf8_len((const unsigned char *)s + i, n - i) : 0;
        if (l == 0) {  /* a control byte, or a byte that is not UTF-8 */
            char x[4];
            x[0] = '\\'; x[1] = 'x'; x[2] = hex[c >> 4]; x[3] = hex[c & 15];
            crioimg__out_put(o, x, 4);
            i++;
            continue;
        }
        {
            unsigned long r = crioimg__utf8_decode((const unsigned char *)s + i, l);
            if (crioimg__rune_printable(r)) {
                crioimg__out_put(o, s + i, l);
            } else {
                char u[10];
                int k, digits = r < 0x10000 ? 4 : 8;
                u[0] = '\\'; u[1] = r < 0x10000 ? 'u' : 'U';
                for (k = 0; k < digits; k++) u[2 + k] = hex[(r >> (4 * (digits - 1 - k))) & 15];
                crioimg__out_put(o, u, (size_t)(2 + digits));
            }
            i += l;
        }
    }
    crioimg__out_put(o, "\"", 1);
}

/* The Go text of a reference error for input s; used by crioimg_ref_error_message and the transports. */
static void crioimg__ref_err_text(crioimg__out *o, crioimg_result r, const char *s, size_t n)
{
    if (r == CRIOIMG_ERR_REF_HEX_NAME) {
        crioimg__out_str(o, "invalid repository name (");
        crioimg__out_put(o, s, n);
        crioimg__out_str(o, "), cannot specify 64-byte hexadecimal strings");
    } else if (r == CRIOIMG_ERR_REF_NO_NAME) {
        crioimg__out_str(o, "reference ");
        crioimg__out_put(o, s, n);
        crioimg__out_str(o, " has no name");
    } else {
        crioimg__out_str(o, crioimg_result_str(r));
    }
}

size_t crioimg_ref_error_message(crioimg_result r, const char *s, size_t n, char *out, size_t cap)
{
    crioimg__out o;
    o.p = out; o.cap = cap; o.len = 0;
    if (cap) out[0] = '\0';
    if (s == NULL) s = "", n = 0;
    crioimg__ref_err_text(&o, r, s, n);
    return o.len;
}

/* ---- transport-qualified image names ---- */

static const struct { const char *name; crioimg_transport t; } crioimg__transports[] = {
    { "docker", CRIOIMG_TRANSPORT_DOCKER },
    { "containers-storage", CRIOIMG_TRANSPORT_CONTAINERS_STORAGE },
    { "oci", CRIOIMG_TRANSPORT_OCI },
    { "oci-archive", CRIOIMG_TRANSPORT_OCI_ARCHIVE },
    { "dir", CRIOIMG_TRANSPORT_DIR },
    { "docker-archive", CRIOIMG_TRANSPORT_DOCKER_ARCHIVE },
    { "docker-daemon", CRIOIMG_TRANSPORT_DOCKER_DAEMON }
};
/* Transports containers/image knows and crioimg does not: named as such rather than "unknown". */
static const char *const crioimg__transports_foreign[] = { "sif", "tarball", "ostree", "atomic" };

const char *crioimg_transport_name(crioimg_transport t)
{
    size_t i;
    for (i = 0; i < sizeof crioimg__transports / sizeof crioimg__transports[0]; i++)
        if (crioimg__transports[i].t == t) return crioimg__transports[i].name;
    return "";
}

/* OCI's ref.name grammar (containers/image oci/internal refRegexp): components of [A-Za-z0-9]+ joined by
   one of [-._:@+] or "--", components joined by '/'. */
CRIOIMG__LIB int crioimg__oci_refname_valid(const char *s, size_t n)
{
    size_t i = 0;
    for (;;) {
        if (i == n || !CRIOIMG__IS(s[i], CRIOIMG__C_ALNUM)) return 0;
        while (i < n && CRIOIMG__IS(s[i], CRIOIMG__C_ALNUM)) i++;
        if (i == n) return 1;
        if (s[i] == '-' && i + 1 < n && s[i + 1] == '-') i += 2;
        else if (memchr("-._:@+/", s[i], 7) != NULL) i++;  /* memchr: strchr would match a NUL */
        else return 0;
    }
}

static crioimg_span crioimg__span(const char *p, size_t n)
{
    crioimg_span sp;
    sp.ptr = p; sp.len = n;
    return sp;
}

/* An error for one image name: the text goes to o, the code is returned. */
static crioimg_result crioimg__iname_fail(crioimg__out *o, crioimg_result r, const char *a, const char *s, size_t n, const char *b)
{
    if (a) crioimg__out_str(o, a);
    if (s) crioimg__out_put(o, s, n);
    if (b) crioimg__out_str(o, b);
    return r;
}

static crioimg_result crioimg__iname_fail_q(crioimg__out *o, const char *a, const char *s, size_t n, const char *b)
{
    if (a) crioimg__out_str(o, a);
    crioimg__out_goquote(o, s, n);
    crioimg__out_str(o, b);
    return CRIOIMG_ERR_IMAGE_NAME_INVALID;
}

/* ParseNormalizedNamed for a transport; on failure the plain Go text, after an optional lead. */
static crioimg_result crioimg__iname_named(crioimg__out *o, crioimg_ref *ref, const char *s, size_t n, const char *lead, int quote)
{
    crioimg_result r = crioimg_ref_parse_normalized(ref, s, n);
    if (r == CRIOIMG_OK) return r;
    if (lead) crioimg__out_str(o, lead);
    if (quote) { crioimg__out_goquote(o, s, n); crioimg__out_str(o, ": "); }
    crioimg__ref_err_text(o, r, s, n);
    return r;
}

static crioimg_result crioimg__iname_docker(crioimg_image_name *out, crioimg__out *o, const char *s, size_t n)
{
    crioimg_result r;
    if (n < 2 || s[0] != '/' || s[1] != '/')
        return crioimg__iname_fail(o, CRIOIMG_ERR_IMAGE_NAME_INVALID, "docker: image reference ", s, n, " does not start with //");
    if ((r = crioimg__iname_named(o, &out->ref, s + 2, n - 2, NULL, 0)) != CRIOIMG_OK) return r;
    crioimg_ref_tag_name_only(&out->ref);
    if (out->ref.tag_len && out->ref.digest_len)
        return crioimg__iname_fail(o, CRIOIMG_ERR_IMAGE_NAME_INVALID, "Docker references with both a tag and digest are currently not supported", NULL, 0, NULL);
    out->has_ref = 1;
    return CRIOIMG_OK;
}

static int crioimg__is_abs(const char *s, size_t n) { return n > 0 && s[0] == '/'; }

/* containers-storage:[driver@graphroot+runroot:opt,opt]NAME[@ID] as storageTransport.ParseReference and
   ParseStoreReference read it. Only a store can expand an ID prefix: that is left to the caller
   (id_is_prefix), who reports "does not look like an image ID or digest" when the store has none. */
static crioimg_result crioimg__iname_storage(crioimg_image_name *out, crioimg__out *o, const char *s, size_t n)
{
    const char *ref = s, *at = NULL, *p;
    size_t rn = n;
    if (n > 0 && s[0] == '[') {
        const char *close = (const char *)memchr(s, ']', n), *spec = s + 1, *x;
        size_t sn;
        if (close == NULL) return crioimg__iname_fail(o, CRIOIMG_ERR_IMAGE_NAME_INVALID, "invalid reference", NULL, 0, NULL);
        sn = (size_t)(close - spec);
        ref = close + 1; rn = n - (size_t)(ref - s);
        if ((x = (const char *)memchr(spec, '@', sn)) != NULL) {
            out->driver = crioimg__span(spec, (size_t)(x - spec));
            sn -= (size_t)(x + 1 - spec); spec = x + 1;
            if (out->driver.len == 0 || sn == 0) return crioimg__iname_fail(o, CRIOIMG_ERR_IMAGE_NAME_INVALID, "invalid reference", NULL, 0, NULL);
        } else if (sn == 0) {
            return crioimg__iname_fail(o, CRIOIMG_ERR_IMAGE_NAME_INVALID, "invalid reference", NULL, 0, NULL);
        }
        if ((x = (const char *)memchr(spec, ':', sn)) != NULL) {
            out->options = crioimg__span(x + 1, sn - (size_t)(x + 1 - spec));
            sn = (size_t)(x - spec);
        }
        if ((x = (const char *)memchr(spec, '+', sn)) != NULL) {
            out->run_root = crioimg__span(x + 1, sn - (size_t)(x + 1 - spec));
            sn = (size_t)(x - spec);
        }
        out->graph_root = crioimg__span(spec, sn);
        if ((sn && !crioimg__is_abs(spec, sn)) || (out->run_root.len && !crioimg__is_abs(out->run_root.ptr, out->run_root.len)))
            return crioimg__iname_fail(o, CRIOIMG_ERR_IMAGE_NAME_INVALID, "path name is not absolute", NULL, 0, NULL);
    }
    /* ParseStoreReference */
    if (rn == 0) return crioimg__iname_fail_q(o, NULL, ref, rn, " is an empty reference: invalid reference");
    if (ref[0] == '[') {
        const char *close = (const char *)memchr(ref, ']', rn);
        if (close == NULL) return crioimg__iname_fail_q(o, "store specifier in ", ref, rn, " did not end: invalid reference");
        rn -= (size_t)(close + 1 - ref); ref = close + 1;
    }
    for (p = ref + rn; p > ref; p--) if (p[-1] == '@') { at = p - 1; break; }
    if (at) {
        const char *id = at + 1;
        size_t idn = rn - (size_t)(id - ref);
        if (idn == 0) return crioimg__iname_fail_q(o, "empty trailing digest or ID in ", ref, rn, ": invalid reference");
        if (crioimg_digest_validate(id, idn) != CRIOIMG_OK) {
            if (crioimg_id_is_full(id, idn)) out->id = crioimg__span(id, idn);
            else if (crioimg_id_is_prefix(id, idn, 3)) { out->id = crioimg__span(id, idn); out->id_is_prefix = 1; }
            else return crioimg__iname_fail_q(o, NULL, id, idn, " does not look like an image ID or digest: invalid reference");
            rn = (size_t)(at - ref);
        }
    }
    /* a bare hex string of 3+ characters may be an ID prefix: the caller tries the store first */
    if (out->id.len == 0 && rn >= 3 && !memchr(ref, '@', rn) && !memchr(ref, ':', rn) && crioimg_id_is_prefix(ref, rn, 3)) {
        out->id = crioimg__span(ref, rn);
        out->id_is_prefix = 1;
    }
    if (rn > 0) {
        crioimg_result r = crioimg__iname_named(o, &out->ref, ref, rn, "parsing named reference ", 1);
        if (r != CRIOIMG_OK) {
            /* a full-length ID alone is not a name, and is not an error either */
            if (!(crioimg_id_is_full(ref, rn) && out->id.ptr == ref)) return r;
            o->len = 0; if (o->cap) o->p[0] = '\0';
        } else {
            crioimg_ref_tag_name_only(&out->ref);
            out->has_ref = 1;
        }
    }
    if (!out->has_ref && out->id.len == 0) return crioimg__iname_fail(o, CRIOIMG_ERR_IMAGE_NAME_INVALID, "invalid reference", NULL, 0, NULL);
    return CRIOIMG_OK;
}

/* oci: and oci-archive: PATH[:IMAGE], the image checked against OCI's ref.name grammar */
static crioimg_result crioimg__iname_oci(crioimg_image_name *out, crioimg__out *o, const char *s, size_t n)
{
    const char *colon = (const char *)memchr(s, ':', n);
    out->path = crioimg__span(s, colon ? (size_t)(colon - s) : n);
    if (colon) out->oci_ref = crioimg__span(colon + 1, n - out->path.len - 1);
    if (out->oci_ref.len && !crioimg__oci_refname_valid(out->oci_ref.ptr, out->oci_ref.len))
        return crioimg__iname_fail(o, CRIOIMG_ERR_IMAGE_NAME_INVALID, "Invalid image ", out->oci_ref.ptr, out->oci_ref.len, NULL);
    return CRIOIMG_OK;
}

/* docker-archive's ":@N", with strconv.Atoi's checks and error texts: the magnitude is read as a
   uint64, stopping at the first non-digit ("invalid syntax") or the first uint64 overflow ("value out of
   range"); then it must fit an int64 (-2^63 allowed). */
static crioimg_result crioimg__iname_index(crioimg_image_name *out, crioimg__out *o, const char *s, size_t n)
{
    const unsigned long long max64 = 0xffffffffffffffffULL, int_max = 0x7fffffffffffffffULL;
    size_t i = (n > 0 && (s[0] == '+' || s[0] == '-')) ? 1 : 0;
    int neg = n > 0 && s[0] == '-';
    unsigned long long v = 0;
    const char *why = i == n ? "invalid syntax" : NULL;
    for (; i < n && !why; i++) {
        unsigned d = (unsigned)(unsigned char)s[i] - '0';
        if (d > 9) why = "invalid syntax";
        else if (v > (max64 - d) / 10) why = "value out of range";
        else v = v * 10 + d;
    }
    if (!why && (neg ? v > int_max + 1 : v > int_max)) why = "value out of range";
    if (why) {
        crioimg__out_str(o, "Invalid source index @");
        crioimg__out_put(o, s, n);
        crioimg__out_str(o, ": strconv.Atoi: parsing ");
        crioimg__out_goquote(o, s, n);
        crioimg__out_str(o, ": ");
        crioimg__out_str(o, why);
        return CRIOIMG_ERR_IMAGE_NAME_INVALID;
    }
    if (neg && v != 0) {
        crioimg__out_str(o, "Invalid source index @-");
        crioimg__out_uint(o, v);
        crioimg__out_str(o, ": must not be negative");
        return CRIOIMG_ERR_IMAGE_NAME_INVALID;
    }
    out->archive_index = (long long)v;
    return CRIOIMG_OK;
}

static crioimg_result crioimg__iname_docker_archive(crioimg_image_name *out, crioimg__out *o, const char *s, size_t n)
{
    const char *colon = (const char *)memchr(s, ':', n);
    char buf[CRIOIMG_REF_STRING_MAX + 1];
    crioimg_result r;
    if (n == 0) return crioimg__iname_fail(o, CRIOIMG_ERR_IMAGE_NAME_INVALID, "docker-archive reference  isn't of the form <path>[:<reference>]", NULL, 0, NULL);
    out->path = crioimg__span(s, colon ? (size_t)(colon - s) : n);
    if (!colon) return CRIOIMG_OK;
    s = colon + 1; n -= out->path.len + 1;
    if (n > 0 && s[0] == '@') return crioimg__iname_index(out, o, s + 1, n - 1);
    if ((r = crioimg__iname_named(o, &out->ref, s, n, "docker-archive parsing reference: ", 0)) != CRIOIMG_OK) return r;
    crioimg_ref_tag_name_only(&out->ref);
    crioimg_ref_string(&out->ref, buf, sizeof buf);
    if (out->ref.tag_len == 0)
        return crioimg__iname_fail(o, CRIOIMG_ERR_IMAGE_NAME_INVALID, "reference does not include a tag: ", buf, strlen(buf), NULL);
    if (out->ref.digest_len)
        return crioimg__iname_fail(o, CRIOIMG_ERR_IMAGE_NAME_INVALID, "docker-archive doesn't support digest references: ", buf, strlen(buf), NULL);
    out->has_ref = 1;
    return CRIOIMG_OK;
}

static crioimg_result crioimg__iname_daemon(crioimg_image_name *out, crioimg__out *o, const char *s, size_t n)
{
    char buf[CRIOIMG_REF_STRING_MAX + 1];
    const char *fn;
    size_t fl;
    crioimg_result r;
    if (crioimg_digest_validate(s, n) == CRIOIMG_OK) {
        if (memcmp(s, "sha256:", 7) != 0)
            return crioimg__iname_fail(o, CRIOIMG_ERR_IMAGE_NAME_INVALID, "Invalid docker-daemon: reference ", s, n, ": only digest algorithm sha256 accepted");
        out->id = crioimg__span(s + 7, n - 7);
        return CRIOIMG_OK;
    }
    if ((r = crioimg__iname_named(o, &out->ref, s, n, NULL, 0)) != CRIOIMG_OK) return r;
    fn = crioimg_ref_familiar_name(&out->ref, &fl);
    if (crioimg__ref_is(fn, fl, "sha256"))
        return crioimg__iname_fail(o, CRIOIMG_ERR_IMAGE_NAME_INVALID, "Invalid docker-daemon: reference ", s, n,
                                   ": The sha256 repository name is reserved for (non-shortened) digest references");
    crioimg_ref_familiar_string(&out->ref, buf, sizeof buf);
    if (!out->ref.tag_len && !out->ref.digest_len)
        return crioimg__iname_fail(o, CRIOIMG_ERR_IMAGE_NAME_INVALID, "docker-daemon: reference ", buf, strlen(buf), " has neither a tag nor a digest");
    if (out->ref.tag_len && out->ref.digest_len)
        return crioimg__iname_fail(o, CRIOIMG_ERR_IMAGE_NAME_INVALID, "docker-daemon: references with both a tag and digest are currently not supported", NULL, 0, NULL);
    out->has_ref = 1;
    return CRIOIMG_OK;
}

/* the parse proper; the error text goes to *op */
static crioimg_result crioimg__image_name_parse(crioimg_image_name *out, const char *s, size_t n, crioimg__out *op)
{
    crioimg__out o = *op;
    const char *colon, *rest;
    size_t tn, rn, i;
    crioimg_result r = CRIOIMG_ERR_IMAGE_NAME_TRANSPORT;
    memset(out, 0, sizeof *out);
    out->archive_index = -1;
    if (s == NULL) s = "";
    colon = (const char *)memchr(s, ':', n);
    if (colon == NULL) {
        crioimg__iname_fail(&o, CRIOIMG_OK, "Invalid image name \"", s, n, "\", expected colon-separated transport:reference");
        *op = o;
        return CRIOIMG_ERR_IMAGE_NAME_NO_COLON;
    }
    tn = (size_t)(colon - s); rest = colon + 1; rn = n - tn - 1;
    for (i = 0; i < sizeof crioimg__transports / sizeof crioimg__transports[0]; i++)
        if (crioimg__ref_is(s, tn, crioimg__transports[i].name)) out->transport = crioimg__transports[i].t;
    switch (out->transport) {
    case CRIOIMG_TRANSPORT_DOCKER: r = crioimg__iname_docker(out, &o, rest, rn); break;
    case CRIOIMG_TRANSPORT_CONTAINERS_STORAGE: r = crioimg__iname_storage(out, &o, rest, rn); break;
    case CRIOIMG_TRANSPORT_OCI: case CRIOIMG_TRANSPORT_OCI_ARCHIVE: r = crioimg__iname_oci(out, &o, rest, rn); break;
    case CRIOIMG_TRANSPORT_DIR: out->path = crioimg__span(rest, rn); r = CRIOIMG_OK; break;
    case CRIOIMG_TRANSPORT_DOCKER_ARCHIVE: r = crioimg__iname_docker_archive(out, &o, rest, rn); break;
    case CRIOIMG_TRANSPORT_DOCKER_DAEMON: r = crioimg__iname_daemon(out, &o, rest, rn); break;
    case CRIOIMG_TRANSPORT_NONE:
        for (i = 0; i < sizeof crioimg__transports_foreign / sizeof crioimg__transports_foreign[0]; i++)
            if (crioimg__ref_is(s, tn, crioimg__transports_foreign[i])) {
                crioimg__iname_fail(&o, CRIOIMG_OK, "Invalid image name \"", s, n, "\", transport \"");
                crioimg__iname_fail(&o, CRIOIMG_OK, NULL, s, tn, "\" is not supported by crioimg");
                *op = o;
                return CRIOIMG_ERR_UNSUPPORTED;
            }
        crioimg__iname_fail(&o, CRIOIMG_OK, "Invalid image name \"", s, n, "\", unknown transport \"");
        crioimg__iname_fail(&o, CRIOIMG_OK, NULL, s, tn, "\"");
        break;
    }
    if (r != CRIOIMG_OK) {
        crioimg_transport t = out->transport;
        memset(out, 0, sizeof *out);
        out->transport = t;
        out->archive_index = -1;
    }
    *op = o;
    return r;
}

/* "containers-storage:..." alone, as crioimg_image_name_parse parses it: the store's name look-ups take
   only this transport, and need not link the parsers of the others (docker-archive, oci, daemon). */
CRIOIMG__LIB crioimg_result crioimg__image_name_parse_storage(crioimg_image_name *out, const char *s, size_t n, char *err, size_t errcap)
{
    crioimg__out o;
    crioimg_result r;
    o.p = err; o.cap = err ? errcap : 0; o.len = 0;
    if (o.cap) err[0] = '\0';
    if (out == NULL || s == NULL || n < 19 || memcmp(s, "containers-storage:", 19) != 0) return CRIOIMG_ERR_INVALID_ARGS;
    memset(out, 0, sizeof *out);
    out->archive_index = -1;
    out->transport = CRIOIMG_TRANSPORT_CONTAINERS_STORAGE;
    r = crioimg__iname_storage(out, &o, s + 19, n - 19);
    if (r != CRIOIMG_OK) {
        memset(out, 0, sizeof *out);
        out->transport = CRIOIMG_TRANSPORT_CONTAINERS_STORAGE;
        out->archive_index = -1;
    }
    return r;
}

crioimg_result crioimg_image_name_parse(crioimg_image_name *out, const char *s, size_t n, char *err, size_t errcap, size_t *errlen)
{
    crioimg__out o;
    crioimg_result r;
    o.p = err; o.cap = err ? errcap : 0; o.len = 0;
    if (o.cap) err[0] = '\0';
    if (errlen) *errlen = 0;
    if (out == NULL || (s == NULL && n)) return CRIOIMG_ERR_INVALID_ARGS;
    r = crioimg__image_name_parse(out, s, n, &o);
    if (errlen) *errlen = o.len;
    return r;
}
