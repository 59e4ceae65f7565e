/* ---------------------------------------------------------------------------------------------------
   registries implementation
   --------------------------------------------------------------------------------------------------- */

#include <stdio.h>   /* fopen: registries.conf */
#include <stdlib.h>  /* qsort, getenv */

#ifndef CRIOIMG_NO_GETADDRINFO
#  if defined(CRIOIMG__POSIX2008)   /* every POSIX build (internal.h); elsewhere no default resolver */
#    include <sys/types.h>
#    include <sys/socket.h>
#    include <netdb.h>
#    include <netinet/in.h>
#    define CRIOIMG__HAVE_GETADDRINFO 1
#  endif
#endif

/* An address range [lo, hi] of one family: IPv4 as 32-bit values, IPv6 as two 64-bit halves. */
typedef struct crioimg__range4 { unsigned long lo, hi; } crioimg__range4;
typedef struct crioimg__u128 { unsigned long long hi, lo; } crioimg__u128;
typedef struct crioimg__range6 { crioimg__u128 lo, hi; } crioimg__range6;

typedef struct crioimg__host_cache {
    char *host;              /* the name looked up (no port) */
    unsigned char state;     /* 0 look-up failed, 1 no address in a CIDR, 2 an address in a CIDR */
    char detail[48];         /* the address that matched */
} crioimg__host_cache;

struct crioimg_registries {
    crioimg_allocator alloc;
    crioimg_resolver resolver;     /* copied; version 0 = none */
    crioimg_image_ids ids;         /* copied; version 0 = none */
    char **search; size_t nsearch;
    char **hosts; size_t nhosts;   /* exact host[:port] entries */
    crioimg__range4 *r4; size_t n4, cap4;
    crioimg__range6 *r6; size_t n6, cap6;
    int sorted;                    /* r4/r6 sorted and merged since the last add */
    crioimg__host_cache *cache; size_t ncache;
    struct crioimg__conf *conf;    /* registries.conf as loaded; NULL: none */
    char **files; size_t nfiles;   /* the files read, for the origins of aliases and search lists */
    char warn[256];
    char err[512];
};

CRIOIMG__LIB void crioimg__reg_seterr(crioimg_registries *r, const char *a, const char *b, size_t bn, const char *c)
{
    crioimg__out o;
    o.p = r->err; o.cap = sizeof r->err; o.len = 0;
    r->err[0] = '\0';
    if (a) crioimg__out_str(&o, a);
    if (b) crioimg__out_put(&o, b, bn);
    if (c) crioimg__out_str(&o, c);
}

CRIOIMG__LIB char *crioimg__reg_strndup(const crioimg_allocator *a, const char *s, size_t n)
{
    char *p = (char *)crioimg_malloc(a, n + 1);
    if (p) { if (n) memcpy(p, s, n); p[n] = '\0'; }
    return p;
}

/* Grows *arr (of elem-sized items) so that one more fits. 0 on out-of-memory. */
CRIOIMG__LIB int crioimg__reg_grow(const crioimg_allocator *a, void **arr, size_t n, size_t *cap, size_t elem)
{
    void *p;
    size_t nc;
    if (n < *cap) return 1;
    nc = *cap ? *cap * 2 : 8;
    if (nc > ((size_t)-1) / elem) return 0;
    p = crioimg_realloc(a, *arr, nc * elem);
    if (p == NULL) return 0;
    *arr = p;
    *cap = nc;
    return 1;
}

/* ---- IP literals and CIDRs, as Go's net package reads them ---- */

CRIOIMG__LIB int crioimg__ip4_parse(const char *s, size_t n, unsigned char out[4])
{
    size_t i = 0, part;
    for (part = 0; part < 4; part++) {
        unsigned v = 0;
        size_t d = 0, start;
        if (part > 0) { if (i >= n || s[i] != '.') return 0; i++; }
        start = i;
        while (i < n && s[i] >= '0' && s[i] <= '9' && d < 4) { v = v * 10 + (unsigned)(s[i] - '0'); i++; d++; }
        if (d == 0 || d > 3 || v > 255) return 0;
        if (d > 1 && s[start] == '0') return 0;  /* leading zeros: Go refuses them (octal ambiguity) */
        out[part] = (unsigned char)v;
    }
    return i == n;
}

CRIOIMG__LIB int crioimg__ip6_parse(const char *s, size_t n, unsigned char out[16])
{
    size_t i = 0, p = 0;
    int ellipsis = -1;
    memset(out, 0, 16);
    if (n >= 2 && s[0] == ':' && s[1] == ':') {
        ellipsis = 0;
        p = 2;
        if (p == n) return 1;
    }
    while (i < 16) {
        unsigned v = 0;
        size_t d = 0;
        while (p + d < n && d < 5 && crioimg__hexval(s[p + d]) >= 0) { v = v * 16 + (unsigned)crioimg__hexval(s[p + d]); d++; }
        if (d == 0 || d > 4) return 0;
        if (p + d < n && s[p + d] == '.') {  /* an IPv4 tail: the last 4 bytes */
            if (ellipsis < 0 && i != 12) return 0;
            if (i + 4 > 16) return 0;
            if (!crioimg__ip4_parse(s + p, n - p, out + i)) return 0;
            p = n;
            i += 4;
            break;
        }
        out[i] = (unsigned char)(v >> 8);
        out[i + 1] = (unsigned char)v;
        i += 2;
        p += d;
        if (p == n) break;
        if (s[p] != ':' || p + 1 == n) return 0;
        p++;
        if (s[p] == ':') {
            if (ellipsis >= 0) return 0;
            ellipsis = (int)i;
            p++;
            if (p == n) break;
        }
    }
    if (p != n) return 0;
    if (i < 16) {
        size_t k, tail;
        if (ellipsis < 0) return 0;
        tail = i - (size_t)ellipsis;
        for (k = 1; k <= tail; k++) out[16 - k] = out[(size_t)ellipsis + tail - k];
        for (k = (size_t)ellipsis; k < 16 - tail; k++) out[k] = 0;
    } else if (ellipsis >= 0) {
        return 0;  /* "::" must stand for at least one group */
    }
    return 1;
}

static const unsigned char crioimg__v4mapped[12] = { 0,0,0,0, 0,0,0,0, 0,0,0xff,0xff };

int crioimg_ip_parse(const char *s, size_t n, unsigned char out[16])
{
    if (s == NULL || out == NULL) return 0;
    if (crioimg__ip4_parse(s, n, out + 12)) { memcpy(out, crioimg__v4mapped, 12); return 1; }
    return crioimg__ip6_parse(s, n, out);
}

CRIOIMG__LIB int crioimg__ip_is_v4(const unsigned char a[16]) { return memcmp(a, crioimg__v4mapped, 12) == 0; }

crioimg_result crioimg_cidr_parse(const char *s, size_t n, unsigned char first[16], unsigned char last[16], int *is_v4)
{
    const char *slash;
    size_t al, i, bits, plen = 0, d = 0;
    unsigned char a[16];
    int v4;
    if (s == NULL || first == NULL || last == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    slash = (const char *)memchr(s, '/', n);
    if (slash == NULL) return CRIOIMG_ERR_REGISTRY_CIDR;
    al = (size_t)(slash - s);
    if (crioimg__ip4_parse(s, al, a + 12)) { memcpy(a, crioimg__v4mapped, 12); v4 = 1; }
    else if (crioimg__ip6_parse(s, al, a)) v4 = 0;
    else return CRIOIMG_ERR_REGISTRY_CIDR;
    bits = v4 ? 32 : 128;
    for (i = al + 1; i < n; i++, d++) {
        if (s[i] < '0' || s[i] > '9' || plen > 1000) return CRIOIMG_ERR_REGISTRY_CIDR;
        plen = plen * 10 + (size_t)(s[i] - '0');
    }
    if (d == 0 || plen > bits) return CRIOIMG_ERR_REGISTRY_CIDR;
    if (v4) plen += 96;  /* an IPv4 network as the IPv4-mapped block */
    else if (plen >= 96 && crioimg__ip_is_v4(a)) v4 = 1;  /* Go reads ::ffff:10.0.0.0/104 as 10.0.0.0/8 */
    for (i = 0; i < 16; i++) {
        unsigned keep = plen >= (i + 1) * 8 ? 8u : plen > i * 8 ? (unsigned)(plen - i * 8) : 0u;
        unsigned char mask = (unsigned char)(keep ? (0xffu << (8 - keep)) & 0xffu : 0u);
        first[i] = (unsigned char)(a[i] & mask);
        last[i] = (unsigned char)(a[i] | (unsigned char)~mask);
    }
    if (is_v4) *is_v4 = v4;
    return CRIOIMG_OK;
}

CRIOIMG__LIB unsigned long crioimg__v4val(const unsigned char a[16])
{
    return ((unsigned long)a[12] << 24) | ((unsigned long)a[13] << 16) | ((unsigned long)a[14] << 8) | a[15];
}

CRIOIMG__LIB crioimg__u128 crioimg__v6val(const unsigned char a[16])
{
    crioimg__u128 v;
    int i;
    v.hi = v.lo = 0;
    for (i = 0; i < 8; i++) { v.hi = (v.hi << 8) | a[i]; v.lo = (v.lo << 8) | a[8 + i]; }
    return v;
}

CRIOIMG__LIB int crioimg__u128_cmp(crioimg__u128 a, crioimg__u128 b)
{
    if (a.hi != b.hi) return a.hi < b.hi ? -1 : 1;
    if (a.lo != b.lo) return a.lo < b.lo ? -1 : 1;
    return 0;
}

/* b == a + 1 (ranges that touch merge too) */
CRIOIMG__LIB int crioimg__u128_next(crioimg__u128 a, crioimg__u128 b)
{
    crioimg__u128 c = a;
    if (++c.lo == 0) { if (++c.hi == 0) return 0; }
    return crioimg__u128_cmp(c, b) == 0;
}

/* Adds a range. Go keeps IPv4 and IPv6 networks apart (an IPv4 address never matches an IPv6 network,
   even ::ffff:0:0/96), and so do we: two sets. */
CRIOIMG__LIB crioimg_result crioimg__reg_add_range(crioimg_registries *r, const unsigned char first[16], const unsigned char last[16], int v4)
{
    if (v4) {
        if (!crioimg__reg_grow(&r->alloc, (void **)&r->r4, r->n4, &r->cap4, sizeof *r->r4)) return CRIOIMG_ERR_NOMEM;
        r->r4[r->n4].lo = crioimg__v4val(first);
        r->r4[r->n4].hi = crioimg__v4val(last);
        r->n4++;
    } else {
        if (!crioimg__reg_grow(&r->alloc, (void **)&r->r6, r->n6, &r->cap6, sizeof *r->r6)) return CRIOIMG_ERR_NOMEM;
        r->r6[r->n6].lo = crioimg__v6val(first);
        r->r6[r->n6].hi = crioimg__v6val(last);
        r->n6++;
    }
    r->sorted = 0;
    return CRIOIMG_OK;
}

/* Heap sorts (no recursion, no extra memory, O(n log n) whatever the input) by lo, then merges
   overlapping and adjacent ranges, so that a membership test is one binary search. */
#define CRIOIMG__HEAPSORT(name, T, LESS) \
    CRIOIMG__LIB void name(T *a, size_t n) \
    { \
        size_t start = n / 2, end = n, root, child; \
        T t; \
        while (end > 1) { \
            if (start > 0) start--; \
            else { end--; t = a[end]; a[end] = a[0]; a[0] = t; } \
            root = start; \
            while ((child = 2 * root + 1) < end) { \
                if (child + 1 < end && LESS(a[child], a[child + 1])) child++; \
                if (!LESS(a[root], a[child])) break; \
                t = a[root]; a[root] = a[child]; a[child] = t; \
                root = child; \
            } \
        } \
    }
#define CRIOIMG__LESS4(x, y) ((x).lo < (y).lo)
#define CRIOIMG__LESS6(x, y) (crioimg__u128_cmp((x).lo, (y).lo) < 0)
CRIOIMG__HEAPSORT(crioimg__sort4, crioimg__range4, CRIOIMG__LESS4)
CRIOIMG__HEAPSORT(crioimg__sort6, crioimg__range6, CRIOIMG__LESS6)

CRIOIMG__LIB void crioimg__reg_sort(crioimg_registries *r)
{
    size_t i, k;
    if (r->sorted) return;
    crioimg__sort4(r->r4, r->n4);
    for (i = 0, k = 0; i < r->n4; i++) {
        if (k > 0 && (r->r4[i].lo <= r->r4[k - 1].hi || r->r4[i].lo == r->r4[k - 1].hi + 1)) {
            if (r->r4[i].hi > r->r4[k - 1].hi) r->r4[k - 1].hi = r->r4[i].hi;
        } else r->r4[k++] = r->r4[i];
    }
    r->n4 = k;
    crioimg__sort6(r->r6, r->n6);
    for (i = 0, k = 0; i < r->n6; i++) {
        if (k > 0 && (crioimg__u128_cmp(r->r6[i].lo, r->r6[k - 1].hi) <= 0 || crioimg__u128_next(r->r6[k - 1].hi, r->r6[i].lo))) {
            if (crioimg__u128_cmp(r->r6[i].hi, r->r6[k - 1].hi) > 0) r->r6[k - 1].hi = r->r6[i].hi;
        } else r->r6[k++] = r->r6[i];
    }
    r->n6 = k;
    r->sorted = 1;
}

/* 1 when the address lies in an insecure CIDR of its family: the last range starting at or before it
   must also end at or after it. */
CRIOIMG__LIB int crioimg__reg_in_cidrs(crioimg_registries *r, const unsigned char a[16])
{
    size_t lo = 0, hi;
    crioimg__reg_sort(r);
    if (crioimg__ip_is_v4(a)) {
        unsigned long v = crioimg__v4val(a);
        hi = r->n4;
        while (lo < hi) { size_t mid = lo + (hi - lo) / 2; if (r->r4[mid].lo <= v) lo = mid + 1; else hi = mid; }
        return lo > 0 && r->r4[lo - 1].hi >= v;
    } else {
        crioimg__u128 v = crioimg__v6val(a);
        hi = r->n6;
        while (lo < hi) { size_t mid = lo + (hi - lo) / 2; if (crioimg__u128_cmp(r->r6[mid].lo, v) <= 0) lo = mid + 1; else hi = mid; }
        return lo > 0 && crioimg__u128_cmp(r->r6[lo - 1].hi, v) >= 0;
    }
}

CRIOIMG__LIB int crioimg__ip_is_loopback(const unsigned char a[16])
{
    static const unsigned char one[16] = { 0,0,0,0, 0,0,0,0, 0,0,0,0, 0,0,0,1 };
    return (crioimg__ip_is_v4(a) && a[12] == 127) || memcmp(a, one, 16) == 0;
}

/* An address as text: dotted quad for IPv4, RFC 5952 for IPv6 (the longest run of 2+ zero groups as ::). */
CRIOIMG__LIB void crioimg__ip_format(const unsigned char a[16], char *out, size_t cap)
{
    static const char hex[] = "0123456789abcdef";
    crioimg__out o;
    char t[8];
    int g, best = -1, bestlen = 1, run = 0;
    o.p = out; o.cap = cap; o.len = 0;
    if (cap) out[0] = '\0';
    if (crioimg__ip_is_v4(a)) {
        int i;
        for (i = 12; i < 16; i++) {
            unsigned v = a[i];
            size_t k = 0;
            if (i > 12) crioimg__out_put(&o, ".", 1);
            if (v >= 100) t[k++] = (char)('0' + v / 100);
            if (v >= 10) t[k++] = (char)('0' + v / 10 % 10);
            t[k++] = (char)('0' + v % 10);
            crioimg__out_put(&o, t, k);
        }
        return;
    }
    for (g = 0; g < 8; g++) {
        if (a[2 * g] == 0 && a[2 * g + 1] == 0) { run++; if (run > bestlen) { bestlen = run; best = g - run + 1; } }
        else run = 0;
    }
    for (g = 0; g < 8; g++) {
        unsigned v = ((unsigned)a[2 * g] << 8) | a[2 * g + 1];
        size_t k = 0;
        int sh, started = 0;
        if (g == best) { crioimg__out_put(&o, "::", 2); g += bestlen - 1; continue; }
        if (g > 0 && g != best + bestlen) crioimg__out_put(&o, ":", 1);
        for (sh = 12; sh >= 0; sh -= 4) {
            unsigned d = (v >> sh) & 15;
            if (d || started || sh == 0) { t[k++] = hex[d]; started = 1; }
        }
        crioimg__out_put(&o, t, k);
    }
}

/* ---- host names ---- */

/* A registry host: a name, an IPv4 literal or a bracketed IPv6 literal, each with an optional port, as
   the reference grammar reads the domain of "HOST/x". *hl gets the length of the host without the port,
   *bracket 1 when it was [IPv6]. */
CRIOIMG__LIB int crioimg__reg_host_split(const char *s, size_t n, size_t *hl, int *bracket)
{
    char buf[CRIOIMG_REF_NAME_MAX + 1];
    crioimg_ref ref;
    size_t i;
    if (n == 0 || n + 2 > CRIOIMG_REF_NAME_MAX) return 0;
    memcpy(buf, s, n);
    buf[n] = '/';
    buf[n + 1] = 'x';
    if (crioimg_ref_parse(&ref, buf, n + 2) != CRIOIMG_OK || ref.domain_len != n) return 0;
    *bracket = s[0] == '[';
    if (*bracket) {
        for (i = 0; i < n && s[i] != ']'; i++) {}
        *hl = i + 1;
    } else {
        const char *c = (const char *)memchr(s, ':', n);
        *hl = c ? (size_t)(c - s) : n;
    }
    return 1;
}

/* ---- the object ---- */

struct crioimg__conf;
CRIOIMG__LIB void crioimg__conf_free(const crioimg_allocator *a, struct crioimg__conf *c);
CRIOIMG__LIB crioimg_result crioimg__shortnames_resolve(crioimg_registries *r, const char *name, size_t n, crioimg_candidates *out);
CRIOIMG__LIB int crioimg__conf_insecure(const crioimg_registries *r, const char *host, size_t n, char *detail, size_t dcap);

crioimg_result crioimg_registries_new(crioimg_registries **out, const crioimg_registries_options *opts)
{
    crioimg_registries *r;
    crioimg_allocator a;
    unsigned char f[16], l[16];
    if (out == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    *out = NULL;
    memset(&a, 0, sizeof a);
    if (opts) {
        if (crioimg_allocator_check(&opts->alloc) != CRIOIMG_OK) return CRIOIMG_ERR_INVALID_ARGS;
        a = opts->alloc;
        if (opts->resolver && (opts->resolver->version == 0 || opts->resolver->version > CRIOIMG_RESOLVER_VERSION))
            return CRIOIMG_ERR_INVALID_ARGS;
        if (opts->image_ids && (opts->image_ids->version == 0 || opts->image_ids->version > CRIOIMG_IMAGE_IDS_VERSION))
            return CRIOIMG_ERR_INVALID_ARGS;
    }
    r = (crioimg_registries *)crioimg_malloc(&a, sizeof *r);
    if (r == NULL) return CRIOIMG_ERR_NOMEM;
    memset(r, 0, sizeof *r);
    r->alloc = a;
    if (opts && opts->resolver) r->resolver = *opts->resolver;
    if (opts && opts->image_ids) r->ids = *opts->image_ids;
    if (opts && opts->no_resolver) r->resolver.version = 0;
    else if (!(opts && opts->resolver)) r->resolver.version = (unsigned)-1;  /* the built-in one */
    /* the seed appended 127.0.0.0/8 to every configuration; ::1 is its IPv6 twin. As bytes (what
       crioimg_cidr_parse gives for them), so that a program that never parses a CIDR links no parser. */
    memset(f, 0, 16); memset(l, 0, 16);
    f[10] = f[11] = l[10] = l[11] = 0xff;   /* ::ffff:127.0.0.0 - ::ffff:127.255.255.255 */
    f[12] = l[12] = 127; l[13] = l[14] = l[15] = 0xff;
    if (crioimg__reg_add_range(r, f, l, 1) != CRIOIMG_OK) { crioimg_registries_free(r); return CRIOIMG_ERR_NOMEM; }
    memset(f, 0, 16); f[15] = 1;            /* ::1/128 */
    if (crioimg__reg_add_range(r, f, f, 0) != CRIOIMG_OK) {
        crioimg_registries_free(r);
        return CRIOIMG_ERR_NOMEM;
    }
    *out = r;
    return CRIOIMG_OK;
}

void crioimg_registries_free(crioimg_registries *r)
{
    size_t i;
    crioimg_allocator a;
    if (r == NULL) return;
    a = r->alloc;
    for (i = 0; i < r->nsearch; i++) crioimg_free(&a, r->search[i]);
    crioimg_free(&a, r->search);
    for (i = 0; i < r->nhosts; i++) crioimg_free(&a, r->hosts[i]);
    crioimg_free(&a, r->hosts);
    crioimg_free(&a, r->r4);
    crioimg_free(&a, r->r6);
    for (i = 0; i < r->ncache; i++) crioimg_free(&a, r->cache[i].host);
    crioimg_free(&a, r->cache);
    crioimg__conf_free(&a, r->conf);
    for (i = 0; i < r->nfiles; i++) crioimg_free(&a, r->files[i]);
    crioimg_free(&a, r->files);
    crioimg_free(&a, r);
}

const char *crioimg_registries_error(const crioimg_registries *r)
{
    return r ? r->err : "";
}

/* Appends a copy of s to a string list (count n; capacity is the next power of two, grown on demand). */
CRIOIMG__LIB crioimg_result crioimg__reg_list_add(const crioimg_allocator *a, char ***list, size_t *n, const char *s, size_t len)
{
    char *c;
    if ((*n & (*n - 1)) == 0) {  /* n is 0 or a power of two: full */
        size_t nc = *n ? *n * 2 : 4;
        char **p = (char **)crioimg_realloc(a, *list, nc * sizeof *p);
        if (p == NULL) return CRIOIMG_ERR_NOMEM;
        *list = p;
    }
    c = crioimg__reg_strndup(a, s, len);
    if (c == NULL) return CRIOIMG_ERR_NOMEM;
    (*list)[(*n)++] = c;
    return CRIOIMG_OK;
}

CRIOIMG__LIB int crioimg__reg_list_has(char *const *list, size_t n, const char *s, size_t len)
{
    size_t i;
    for (i = 0; i < n; i++) if (strlen(list[i]) == len && memcmp(list[i], s, len) == 0) return 1;
    return 0;
}

crioimg_result crioimg_registries_add_search(crioimg_registries *r, const char *name, size_t n)
{
    size_t hl;
    int br;
    if (r == NULL || (name == NULL && n)) return CRIOIMG_ERR_INVALID_ARGS;
    r->err[0] = '\0';
    if (!crioimg__reg_host_split(name, n, &hl, &br)) {
        crioimg__reg_seterr(r, "invalid registry \"", name, n, "\"");
        return CRIOIMG_ERR_REGISTRY_INVALID;
    }
    if (crioimg__reg_list_has(r->search, r->nsearch, name, n)) return CRIOIMG_OK;
    return crioimg__reg_list_add(&r->alloc, &r->search, &r->nsearch, name, n);
}

crioimg_result crioimg_registries_add_insecure(crioimg_registries *r, const char *entry, size_t n)
{
    unsigned char f[16], l[16];
    size_t hl;
    int v4, br;
    if (r == NULL || (entry == NULL && n)) return CRIOIMG_ERR_INVALID_ARGS;
    r->err[0] = '\0';
    if (memchr(entry, '/', n)) {
        /* Go sent anything that is not a CIDR to the host entries, where "10.0.0.0/33" then silently never
           matched: a '/' can only mean a CIDR, so a bad one is an error here. */
        if (crioimg_cidr_parse(entry, n, f, l, &v4) != CRIOIMG_OK) {
            crioimg__reg_seterr(r, "invalid CIDR address: ", entry, n, NULL);  /* Go's ParseError text */
            return CRIOIMG_ERR_REGISTRY_CIDR;
        }
        return crioimg__reg_add_range(r, f, l, v4);
    }
    if (!crioimg__reg_host_split(entry, n, &hl, &br)) {
        crioimg__reg_seterr(r, "invalid insecure registry \"", entry, n, "\": neither a CIDR nor a host[:port]");
        return CRIOIMG_ERR_REGISTRY_INVALID;
    }
    if (crioimg__reg_list_has(r->hosts, r->nhosts, entry, n)) return CRIOIMG_OK;
    return crioimg__reg_list_add(&r->alloc, &r->hosts, &r->nhosts, entry, n);
}

/* ---- resolution (the seed's ResolveNames) ---- */

void crioimg_candidates_free(crioimg_candidates *c)
{
    size_t i;
    if (c == NULL) return;
    for (i = 0; i < c->n; i++) crioimg_free(&c->alloc, c->items[i].name);
    crioimg_free(&c->alloc, c->items);
    memset(c, 0, sizeof *c);
}

/* Adds a candidate "a b" (a then b, no separator) whose origin is o; name and origin share one block. */
CRIOIMG__LIB crioimg_result crioimg__cand_add(crioimg_candidates *c, crioimg_candidate_rule rule, const char *a, size_t an,
                                              const char *b, size_t bn, const char *o, size_t on)
{
    char *p;
    if ((c->n & (c->n - 1)) == 0) {
        size_t nc = c->n ? c->n * 2 : 4;
        crioimg_candidate *q = (crioimg_candidate *)crioimg_realloc(&c->alloc, c->items, nc * sizeof *q);
        if (q == NULL) return CRIOIMG_ERR_NOMEM;
        c->items = q;
    }
    if (an + bn + on + 2 < an) return CRIOIMG_ERR_NOMEM;
    p = (char *)crioimg_malloc(&c->alloc, an + bn + on + 2);
    if (p == NULL) return CRIOIMG_ERR_NOMEM;
    if (an) memcpy(p, a, an);
    if (bn) memcpy(p + an, b, bn);
    p[an + bn] = '\0';
    if (on) memcpy(p + an + bn + 1, o, on);
    p[an + bn + 1 + on] = '\0';
    c->items[c->n].name = p;
    c->items[c->n].rule = rule;
    c->items[c->n].origin = p + an + bn + 1;
    c->items[c->n].insecure = 0;
    c->n++;
    return CRIOIMG_OK;
}

/* splitDockerDomain as the seed uses it: the first component is a domain when it holds '.' or ':' or is
   "localhost". Returns its length (0: none). */
CRIOIMG__LIB size_t crioimg__reg_domain_len(const char *s, size_t n)
{
    const char *slash = (const char *)memchr(s, '/', n);
    size_t c0;
    if (slash == NULL) return 0;
    c0 = (size_t)(slash - s);
    if (memchr(s, '.', c0) || memchr(s, ':', c0) || (c0 == 9 && memcmp(s, "localhost", 9) == 0)) return c0;
    return 0;
}

crioimg_result crioimg_registries_resolve(crioimg_registries *r, const char *name, size_t n, crioimg_candidates *out)
{
    crioimg_ref ref;
    crioimg_result res;
    size_t i;
    if (out) memset(out, 0, sizeof *out);
    if (r == NULL || out == NULL || (name == NULL && n)) return CRIOIMG_ERR_INVALID_ARGS;
    out->alloc = r->alloc;
    r->err[0] = '\0';
    /* maybe a truncated image ID: no registry is prepended then */
    if (r->ids.version && r->ids.expand && n >= 3 && crioimg_id_is_prefix(name, n, 3)) {
        char id[65];
        id[0] = '\0';
        if (r->ids.expand(r->ids.user, name, n, id) == CRIOIMG_OK && strlen(id) == 64 && memcmp(id, name, n) == 0)
            return crioimg__cand_add(out, CRIOIMG_CANDIDATE_IMAGE_ID, id, 64, NULL, 0, NULL, 0);
    }
    /* registries.conf rules apply only when no search list was given explicitly; a full ID is refused
       there too (containers/image would take it for a short name) */
    if (r->conf && r->nsearch == 0 && !crioimg_id_is_full(name, n)) return crioimg__shortnames_resolve(r, name, n, out);
    res = crioimg_ref_parse_normalized(&ref, name, n);
    if (res == CRIOIMG_ERR_REF_HEX_NAME) {
        crioimg__reg_seterr(r, crioimg_result_str(CRIOIMG_ERR_REGISTRY_IMAGE_ID), NULL, 0, NULL);
        return CRIOIMG_ERR_REGISTRY_IMAGE_ID;
    }
    if (res != CRIOIMG_OK) {
        crioimg_ref_error_message(res, name, n, r->err, sizeof r->err);
        return res;
    }
    if (crioimg__reg_domain_len(name, n))
        return crioimg__cand_add(out, CRIOIMG_CANDIDATE_QUALIFIED, name, n, NULL, 0, NULL, 0);
    if (r->nsearch == 0) {
        crioimg__reg_seterr(r, crioimg_result_str(CRIOIMG_ERR_REGISTRY_NO_SEARCH), NULL, 0, NULL);
        return CRIOIMG_ERR_REGISTRY_NO_SEARCH;
    }
    for (i = 0; i < r->nsearch; i++) {
        const char *reg = r->search[i];
        size_t rl = strlen(reg);
        int lib = rl == 9 && memcmp(reg, "docker.io", 9) == 0 && memchr(name, '/', n) == NULL;
        char pre[CRIOIMG_REF_NAME_MAX + 16];
        if (rl + 10 > sizeof pre) return CRIOIMG_ERR_REGISTRY_INVALID;  /* add_search bounds rl */
        memcpy(pre, reg, rl);
        memcpy(pre + rl, lib ? "/library/" : "/", lib ? 9 : 1);
        res = crioimg__cand_add(out, CRIOIMG_CANDIDATE_SEARCH, pre, rl + (lib ? 9 : 1), name, n, reg, rl);
        if (res != CRIOIMG_OK) { crioimg_candidates_free(out); out->alloc = r->alloc; return res; }
    }
    return CRIOIMG_OK;
}

/* ---- insecure registries (the seed's isSecureIndex) ---- */

const char *crioimg_insecure_rule_name(crioimg_insecure_rule rule)
{
    switch (rule) {
    case CRIOIMG_INSECURE_RULE_NONE: return "none";
    case CRIOIMG_INSECURE_RULE_HOST: return "host";
    case CRIOIMG_INSECURE_RULE_LOOPBACK: return "loopback";
    case CRIOIMG_INSECURE_RULE_CIDR: return "cidr";
    case CRIOIMG_INSECURE_RULE_CIDR_RESOLVED: return "cidr-resolved";
    case CRIOIMG_INSECURE_RULE_LOOKUP_FAILED: return "lookup-failed";
    case CRIOIMG_INSECURE_RULE_NO_MATCH: return "no-match";
    case CRIOIMG_INSECURE_RULE_CONF: return "registries-conf";
    }
    return "unknown";
}

#ifdef CRIOIMG__HAVE_GETADDRINFO
CRIOIMG__LIB crioimg_result crioimg__getaddrinfo(void *user, const char *host, unsigned char (*addrs)[16], size_t cap, size_t *n)
{
    struct addrinfo hints, *res = NULL, *ai;
    (void)user;
    *n = 0;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, NULL, &hints, &res) != 0) return CRIOIMG_ERR_NOT_FOUND;
    for (ai = res; ai && *n < cap; ai = ai->ai_next) {
        if (ai->ai_family == AF_INET) {
            const struct sockaddr_in *sa = (const struct sockaddr_in *)(const void *)ai->ai_addr;
            memcpy(addrs[*n], crioimg__v4mapped, 12);
            memcpy(addrs[*n] + 12, &sa->sin_addr, 4);
            (*n)++;
        } else if (ai->ai_family == AF_INET6) {
            const struct sockaddr_in6 *sa = (const struct sockaddr_in6 *)(const void *)ai->ai_addr;
            memcpy(addrs[*n], &sa->sin6_addr, 16);
            (*n)++;
        }
    }
    freeaddrinfo(res);
    return CRIOIMG_OK;
}
#endif

/* Looks host up (once: later calls answer from the cache). Returns the cache entry, or NULL on
   out-of-memory. */
CRIOIMG__LIB crioimg__host_cache *crioimg__reg_lookup(crioimg_registries *r, const char *host, size_t hl, int *cached)
{
    unsigned char addrs[32][16];
    size_t i, na = 0;
    crioimg_result res = CRIOIMG_ERR_UNSUPPORTED;
    crioimg__host_cache *c;
    char name[CRIOIMG_REF_NAME_MAX + 1];
    for (i = 0; i < r->ncache; i++)
        if (strlen(r->cache[i].host) == hl && memcmp(r->cache[i].host, host, hl) == 0) { *cached = 1; return &r->cache[i]; }
    *cached = 0;
    if ((r->ncache & (r->ncache - 1)) == 0) {
        size_t nc = r->ncache ? r->ncache * 2 : 4;
        crioimg__host_cache *p = (crioimg__host_cache *)crioimg_realloc(&r->alloc, r->cache, nc * sizeof *p);
        if (p == NULL) return NULL;
        r->cache = p;
    }
    c = &r->cache[r->ncache];
    c->host = crioimg__reg_strndup(&r->alloc, host, hl);
    if (c->host == NULL) return NULL;
    r->ncache++;
    c->state = 0;
    c->detail[0] = '\0';
    memcpy(name, host, hl);
    name[hl] = '\0';
    if (r->resolver.version == (unsigned)-1) {
#ifdef CRIOIMG__HAVE_GETADDRINFO
        res = crioimg__getaddrinfo(NULL, name, addrs, 32, &na);
#endif
    } else if (r->resolver.version && r->resolver.lookup) {
        res = r->resolver.lookup(r->resolver.user, name, addrs, 32, &na);
    }
    if (res != CRIOIMG_OK) return c;
    if (na > 32) na = 32;  /* a resolver that overstates its count is not believed past cap */
    c->state = 1;
    for (i = 0; i < na; i++)
        if (crioimg__reg_in_cidrs(r, addrs[i])) {
            c->state = 2;
            crioimg__ip_format(addrs[i], c->detail, sizeof c->detail);
            break;
        }
    return c;
}

crioimg_result crioimg_registries_check_host(crioimg_registries *r, const char *host, size_t n, crioimg_insecure_decision *out)
{
    size_t hl;
    int br;
    unsigned char ip[16];
    crioimg__host_cache *c;
    if (out) memset(out, 0, sizeof *out);
    if (r == NULL || out == NULL || (host == NULL && n)) return CRIOIMG_ERR_INVALID_ARGS;
    r->err[0] = '\0';
    if (!crioimg__reg_host_split(host, n, &hl, &br)) {
        crioimg__reg_seterr(r, "invalid registry host \"", host, n, "\"");
        return CRIOIMG_ERR_REGISTRY_INVALID;
    }
    /* an exact entry decides first, with no look-up (the seed's indexConfigs) */
    if (crioimg__reg_list_has(r->hosts, r->nhosts, host, n)) {
        out->insecure = 1;
        out->rule = CRIOIMG_INSECURE_RULE_HOST;
        memcpy(out->detail, host, n < sizeof out->detail - 1 ? n : sizeof out->detail - 1);
        return CRIOIMG_OK;
    }
    if (crioimg__conf_insecure(r, host, n, out->detail, sizeof out->detail)) {
        out->insecure = 1;
        out->rule = CRIOIMG_INSECURE_RULE_CONF;
        return CRIOIMG_OK;
    }
    if (crioimg_ip_parse(host + br, hl - 2 * (size_t)br, ip)) {
        crioimg__ip_format(ip, out->detail, sizeof out->detail);
        if (crioimg__ip_is_loopback(ip)) { out->insecure = 1; out->rule = CRIOIMG_INSECURE_RULE_LOOPBACK; }
        else if (crioimg__reg_in_cidrs(r, ip)) { out->insecure = 1; out->rule = CRIOIMG_INSECURE_RULE_CIDR; }
        else out->rule = CRIOIMG_INSECURE_RULE_NO_MATCH;
        return CRIOIMG_OK;
    }
    c = crioimg__reg_lookup(r, host, hl, &out->cached);
    if (c == NULL) return CRIOIMG_ERR_NOMEM;
    out->insecure = c->state == 2;
    out->rule = c->state == 0 ? CRIOIMG_INSECURE_RULE_LOOKUP_FAILED : c->state == 1 ? CRIOIMG_INSECURE_RULE_NO_MATCH
                                                                                    : CRIOIMG_INSECURE_RULE_CIDR_RESOLVED;
    memcpy(out->detail, c->detail, sizeof c->detail);
    return CRIOIMG_OK;
}

/* ===================================================================================================
   registries.conf (containers-registries.conf(5), v2, and v1 converted), read by src/toml.c as its decoder reads it
   =================================================================================================== */

/* ---- one file's configuration ---- */

typedef enum { CRIOIMG__PFM_UNSET = 0, CRIOIMG__PFM_ALL, CRIOIMG__PFM_DIGEST, CRIOIMG__PFM_TAG, CRIOIMG__PFM_BAD } crioimg__pfm;

typedef struct crioimg__endpoint {
    char *location;
    int insecure;
    crioimg__pfm pull_from_mirror;
    char *pfm_text;               /* for the error message of an unsupported value */
} crioimg__endpoint;

typedef struct crioimg__regent {
    char *prefix;
    crioimg__endpoint ep;
    crioimg__endpoint *mirrors; size_t nmirrors, capm;
    int blocked, mirror_by_digest_only;
    unsigned long line;           /* of its [[registry]] header */
    const char *file;             /* borrowed from the conf's file list */
} crioimg__regent;

typedef struct crioimg__alias {
    char *name;
    char *value;                  /* normalized name (no tag); NULL: "" (no alias: an override that removes one) */
    const char *file;
    unsigned long line;
} crioimg__alias;

typedef struct crioimg__conf {
    crioimg__regent *regs; size_t nregs, capr;
    char **search; size_t nsearch; int has_search;
    const char *search_origin;
    char **helpers; size_t nhelpers; int has_helpers;
    int mode;                     /* 0 unset, else crioimg_short_name_mode */
    crioimg__alias *aliases; size_t naliases, capa;
    int v1, v2;                   /* saw v1 tables / v2 content */
    char **v1_search, **v1_insecure, **v1_block; size_t nv1_search, nv1_insecure, nv1_block;
    int has_v1_search;
    unsigned v1_set;              /* the v1 lists set (bit 0 search, 1 insecure, 2 block) */
} crioimg__conf;

CRIOIMG__LIB void crioimg__strlist_free(const crioimg_allocator *a, char **l, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) crioimg_free(a, l[i]);
    crioimg_free(a, l);
}

CRIOIMG__LIB void crioimg__regent_free(const crioimg_allocator *a, crioimg__regent *g)
{
    size_t i;
    crioimg_free(a, g->prefix);
    crioimg_free(a, g->ep.location);
    crioimg_free(a, g->ep.pfm_text);
    for (i = 0; i < g->nmirrors; i++) { crioimg_free(a, g->mirrors[i].location); crioimg_free(a, g->mirrors[i].pfm_text); }
    crioimg_free(a, g->mirrors);
}

CRIOIMG__LIB void crioimg__conf_free(const crioimg_allocator *a, struct crioimg__conf *c)
{
    size_t i;
    if (c == NULL) return;
    for (i = 0; i < c->nregs; i++) crioimg__regent_free(a, &c->regs[i]);
    crioimg_free(a, c->regs);
    crioimg__strlist_free(a, c->search, c->nsearch);
    crioimg__strlist_free(a, c->helpers, c->nhelpers);
    for (i = 0; i < c->naliases; i++) { crioimg_free(a, c->aliases[i].name); crioimg_free(a, c->aliases[i].value); }
    crioimg_free(a, c->aliases);
    crioimg__strlist_free(a, c->v1_search, c->nv1_search);
    crioimg__strlist_free(a, c->v1_insecure, c->nv1_insecure);
    crioimg__strlist_free(a, c->v1_block, c->nv1_block);
    crioimg_free(a, c);
}

CRIOIMG__LIB void crioimg__reg_warn(crioimg_registries *r, crioimg__toml *t, unsigned long line, const char *what, const char *k)
{
    char save[512];
    memcpy(save, r->err, sizeof save);
    crioimg__toml_fail(t, line, what, k, strlen(k));
    memcpy(r->warn, r->err, sizeof r->warn - 1);
    r->warn[sizeof r->warn - 1] = '\0';
    memcpy(r->err, save, sizeof save);
}

CRIOIMG__LIB crioimg__pfm crioimg__pfm_parse(const char *s)
{
    if (strcmp(s, "all") == 0) return CRIOIMG__PFM_ALL;
    if (strcmp(s, "digest-only") == 0) return CRIOIMG__PFM_DIGEST;
    if (strcmp(s, "tag-only") == 0) return CRIOIMG__PFM_TAG;
    if (s[0] == '\0') return CRIOIMG__PFM_UNSET;
    return CRIOIMG__PFM_BAD;
}

/* ---- the TOML tree into sysregistriesv2's structs, as BurntSushi/toml's decoder fills them ---- */

/* Field names of the Go structs (their toml tags); the tables below end at NULL. */
static const char *const crioimg__f_root[] = { "registry", "unqualified-search-registries", "credential-helpers", "short-name-mode",
                                               "aliases", "registries", NULL };
static const char *const crioimg__f_registry[] = { "prefix", "location", "insecure", "pull-from-mirror", "mirror", "blocked",
                                                   "mirror-by-digest-only", NULL };
static const char *const crioimg__f_endpoint[] = { "location", "insecure", "pull-from-mirror", NULL };
static const char *const crioimg__f_v1[] = { "search", "insecure", "block", NULL };
static const char *const crioimg__f_v1list[] = { "registries", NULL };

/* strings.EqualFold(key, field) for a field name of lower-case ASCII letters and '-': besides ASCII
   case, U+017F (long s) folds to s and U+212A (Kelvin sign) to k, as Go's Unicode folding has it */
CRIOIMG__LIB int crioimg__fold_eq(const char *key, const char *field)
{
    const unsigned char *k = (const unsigned char *)key;
    for (; *field; field++) {
        char f = *field;
        if (*k == (unsigned char)f || (f >= 'a' && f <= 'z' && *k == (unsigned char)(f - 'a' + 'A'))) { k++; continue; }
        if (f == 's' && k[0] == 0xc5 && k[1] == 0xbf) { k += 2; continue; }
        if (f == 'k' && k[0] == 0xe2 && k[1] == 0x84 && k[2] == 0xaa) { k += 3; continue; }
        return 0;
    }
    return *k == '\0';
}

/* Which field a key sets, as the decoder picks it: the exact name first, else the first that folds
   equal; -1 for none (the key is ignored, as the decoder ignores it). */
CRIOIMG__LIB int crioimg__field_of(const char *const *fields, const char *key)
{
    int i, fold = -1;
    for (i = 0; fields[i]; i++) {
        if (strcmp(fields[i], key) == 0) return i;
        if (fold < 0 && crioimg__fold_eq(key, fields[i])) fold = i;
    }
    return fold;
}

/* The fields the members of table set, into slot[] (NULL: unset), with a warning for unknown keys. Two
   keys on one field (location and Location) are refused: the decoder would keep either, by map order;
   except for a struct field (bit f of structs) given two tables: the decoder fills the one struct from
   both, and so does the caller, from every member on that field (crioimg__v1_read). */
CRIOIMG__LIB crioimg_result crioimg__fields(crioimg_registries *r, crioimg__toml *t, const crioimg__tnode *table, const char *const *fields,
                                            const crioimg__tnode **slot, unsigned structs)
{
    size_t i, nf = 0;
    while (fields[nf]) slot[nf++] = NULL;
    for (i = 0; i < table->nkids; i++) {
        const crioimg__tnode *k = table->kids[i];
        int f = crioimg__field_of(fields, k->key);
        if (f < 0) { crioimg__reg_warn(r, t, k->line, "unknown key ignored:", k->key); continue; }
        if (slot[f] && (structs >> f & 1u) && slot[f]->type == CRIOIMG__TN_TABLE && k->type == CRIOIMG__TN_TABLE) continue;
        if (slot[f]) {
            char msg[160];
            crioimg__out o;
            o.p = msg; o.cap = sizeof msg; o.len = 0;
            crioimg__out_str(&o, "keys that differ only in case set one field: ");
            o.len += crioimg_json_quote(msg + o.len, o.len < sizeof msg ? sizeof msg - o.len : 0, slot[f]->key, strlen(slot[f]->key));
            if (o.len >= sizeof msg) o.len = sizeof msg - 1;
            crioimg__out_str(&o, " and");
            return crioimg__toml_fail(t, k->line, msg, k->key, strlen(k->key));
        }
        slot[f] = k;
    }
    return CRIOIMG_OK;
}

static const char *const crioimg__tn_names[] = { "?", "a string", "an integer", "a float", "a boolean", "a date-time", "an array", "a table" };

/* a type mismatch, where the decoder refuses one */
CRIOIMG__LIB crioimg_result crioimg__toml_type(crioimg__toml *t, const crioimg__tnode *v, const char *key, const char *want)
{
    char what[128];
    crioimg__out o;
    o.p = what; o.cap = sizeof what; o.len = 0;
    crioimg__out_str(&o, "incompatible types: expected ");
    crioimg__out_str(&o, want);
    crioimg__out_str(&o, ", found ");
    crioimg__out_str(&o, crioimg__tn_names[v->type < 8 ? v->type : 0]);
    crioimg__out_str(&o, ", for key");
    return crioimg__toml_fail(t, v->line, what, key, strlen(key));
}

/* A string field: NULL when unset; else the string (taken from the tree) or a type error. */
CRIOIMG__LIB crioimg_result crioimg__want_str(crioimg__toml *t, const crioimg__tnode *v, const char *key, char **dst)
{
    if (v == NULL) return CRIOIMG_OK;
    if (v->type != CRIOIMG__TN_STRING) return crioimg__toml_type(t, v, key, "a string");
    crioimg_free(t->a, *dst);
    *dst = v->str;
    ((crioimg__tnode *)v)->str = NULL;
    return CRIOIMG_OK;
}

CRIOIMG__LIB crioimg_result crioimg__want_bool(crioimg__toml *t, const crioimg__tnode *v, const char *key, int *dst)
{
    if (v == NULL) return CRIOIMG_OK;
    if (v->type != CRIOIMG__TN_BOOL) return crioimg__toml_type(t, v, key, "a boolean");
    *dst = v->b;
    return CRIOIMG_OK;
}

/* A []string field: the strings taken from the tree into a new list. */
CRIOIMG__LIB crioimg_result crioimg__want_strs(crioimg__toml *t, const crioimg__tnode *v, const char *key, char ***dst, size_t *n)
{
    size_t i;
    char **l;
    if (v->type != CRIOIMG__TN_ARRAY) return crioimg__toml_type(t, v, key, "an array of strings");
    for (i = 0; i < v->nkids; i++) if (v->kids[i]->type != CRIOIMG__TN_STRING) return crioimg__toml_type(t, v->kids[i], key, "a string in the array");
    if ((l = (char **)crioimg_malloc(t->a, (v->nkids ? v->nkids : 1) * sizeof *l)) == NULL) return CRIOIMG_ERR_NOMEM;
    for (i = 0; i < v->nkids; i++) { l[i] = v->kids[i]->str; v->kids[i]->str = NULL; }
    crioimg__strlist_free(t->a, *dst, *n);
    *dst = l;
    *n = v->nkids;
    return CRIOIMG_OK;
}

/* Endpoint's fields (location, insecure, pull-from-mirror) from slots 0..2 of s. */
CRIOIMG__LIB crioimg_result crioimg__endpoint_read(crioimg__toml *t, const crioimg__tnode *const *s, crioimg__endpoint *ep)
{
    crioimg_result res;
    if ((res = crioimg__want_str(t, s[0], s[0] ? s[0]->key : "", &ep->location)) != CRIOIMG_OK) return res;
    if ((res = crioimg__want_bool(t, s[1], s[1] ? s[1]->key : "", &ep->insecure)) != CRIOIMG_OK) return res;
    if ((res = crioimg__want_str(t, s[2], s[2] ? s[2]->key : "", &ep->pfm_text)) != CRIOIMG_OK) return res;
    if (ep->pfm_text) ep->pull_from_mirror = crioimg__pfm_parse(ep->pfm_text);
    return CRIOIMG_OK;
}

/* One [[registry]] (a table in the registry array). */
CRIOIMG__LIB crioimg_result crioimg__registry_read(crioimg_registries *r, crioimg__toml *t, crioimg__conf *c, const crioimg__tnode *tab)
{
    const crioimg__tnode *s[8];
    crioimg__regent *g;
    crioimg_result res;
    size_t i;
    if (!crioimg__reg_grow(t->a, (void **)&c->regs, c->nregs, &c->capr, sizeof *c->regs)) return CRIOIMG_ERR_NOMEM;
    g = &c->regs[c->nregs++];
    memset(g, 0, sizeof *g);
    g->line = tab->line;
    g->file = t->file;
    if ((res = crioimg__fields(r, t, tab, crioimg__f_registry, s, 0)) != CRIOIMG_OK) return res;
    if ((res = crioimg__want_str(t, s[0], s[0] ? s[0]->key : "", &g->prefix)) != CRIOIMG_OK) return res;
    if ((res = crioimg__endpoint_read(t, s + 1, &g->ep)) != CRIOIMG_OK) return res;
    if ((res = crioimg__want_bool(t, s[5], s[5] ? s[5]->key : "", &g->blocked)) != CRIOIMG_OK) return res;
    if ((res = crioimg__want_bool(t, s[6], s[6] ? s[6]->key : "", &g->mirror_by_digest_only)) != CRIOIMG_OK) return res;
    if (s[4] == NULL) return CRIOIMG_OK;
    if (s[4]->type != CRIOIMG__TN_ARRAY) return crioimg__toml_type(t, s[4], s[4]->key, "an array of tables");
    for (i = 0; i < s[4]->nkids; i++) {
        const crioimg__tnode *m = s[4]->kids[i], *ms[3];
        crioimg__endpoint *ep;
        if (m->type != CRIOIMG__TN_TABLE) return crioimg__toml_type(t, m, s[4]->key, "a table in the array");
        if (!crioimg__reg_grow(t->a, (void **)&g->mirrors, g->nmirrors, &g->capm, sizeof *g->mirrors)) return CRIOIMG_ERR_NOMEM;
        ep = &g->mirrors[g->nmirrors++];
        memset(ep, 0, sizeof *ep);
        if ((res = crioimg__fields(r, t, m, crioimg__f_endpoint, ms, 0)) != CRIOIMG_OK) return res;
        if ((res = crioimg__endpoint_read(t, ms, ep)) != CRIOIMG_OK) return res;
    }
    return CRIOIMG_OK;
}

/* registries (v1): a struct of three structs (search, insecure, block) of one []string each. One list
   set by two spellings (the decoder keeps either) is refused as crioimg__fields refuses it. */
CRIOIMG__LIB crioimg_result crioimg__v1_read(crioimg_registries *r, crioimg__toml *t, crioimg__conf *c, const crioimg__tnode *v, unsigned long *lines)
{
    const crioimg__tnode *v1[3];
    crioimg_result res;
    size_t j;
    if (v->type != CRIOIMG__TN_TABLE) return crioimg__toml_type(t, v, v->key, "a table");
    if ((res = crioimg__fields(r, t, v, crioimg__f_v1, v1, 7u)) != CRIOIMG_OK) return res;
    for (j = 0; j < v->nkids; j++) {
        const crioimg__tnode *sub = v->kids[j], *l;
        int f = crioimg__field_of(crioimg__f_v1, sub->key);
        char ***dst = f == 0 ? &c->v1_search : f == 1 ? &c->v1_insecure : &c->v1_block;
        size_t *dn = f == 0 ? &c->nv1_search : f == 1 ? &c->nv1_insecure : &c->nv1_block;
        if (f < 0) continue;
        if (sub->type != CRIOIMG__TN_TABLE) return crioimg__toml_type(t, sub, sub->key, "a table");
        if ((res = crioimg__fields(r, t, sub, crioimg__f_v1list, &l, 0)) != CRIOIMG_OK) return res;
        if (l == NULL) continue;
        if (c->v1_set & (1u << f)) return crioimg__toml_fail(t, l->line, "keys that differ only in case set one field:", l->key, strlen(l->key));
        c->v1_set |= 1u << f;
        if ((res = crioimg__want_strs(t, l, l->key, dst, dn)) != CRIOIMG_OK) return res;
        if (*dn) c->v1 = 1;
        if (f == 0) { c->has_v1_search = 1; lines[0] = l->line; }
    }
    return CRIOIMG_OK;
}

/* Applies one file's TOML tree to c (no checks beyond types yet). lines[0]: the line of the search
   list, lines[1]: of short-name-mode. */
CRIOIMG__LIB crioimg_result crioimg__conf_apply(crioimg_registries *r, crioimg__toml *t, crioimg__tnode *root, crioimg__conf *c, unsigned long *lines)
{
    const crioimg__tnode *s[6], *v;
    crioimg_result res;
    size_t i;
    if ((res = crioimg__fields(r, t, root, crioimg__f_root, s, 1u << 5)) != CRIOIMG_OK) return res;
    if ((v = s[0]) != NULL) {  /* registry: []Registry */
        if (v->type != CRIOIMG__TN_ARRAY) return crioimg__toml_type(t, v, v->key, "an array of tables");
        for (i = 0; i < v->nkids; i++) {
            if (v->kids[i]->type != CRIOIMG__TN_TABLE) return crioimg__toml_type(t, v->kids[i], v->key, "a table in the array");
            if ((res = crioimg__registry_read(r, t, c, v->kids[i])) != CRIOIMG_OK) return res;
        }
        if (c->nregs) c->v2 = 1;
    }
    if ((v = s[1]) != NULL) {
        if ((res = crioimg__want_strs(t, v, v->key, &c->search, &c->nsearch)) != CRIOIMG_OK) return res;
        c->has_search = 1;
        lines[0] = v->line;
        if (c->nsearch) c->v2 = 1;
    }
    if ((v = s[2]) != NULL) {
        if ((res = crioimg__want_strs(t, v, v->key, &c->helpers, &c->nhelpers)) != CRIOIMG_OK) return res;
        c->has_helpers = 1;
        if (c->nhelpers) c->v2 = 1;
    }
    if ((v = s[3]) != NULL) {
        if (v->type != CRIOIMG__TN_STRING) return crioimg__toml_type(t, v, v->key, "a string");
        lines[1] = v->line;
        if (strcmp(v->str, "enforcing") == 0) c->mode = CRIOIMG_SHORT_NAME_ENFORCING;
        else if (strcmp(v->str, "permissive") == 0) c->mode = CRIOIMG_SHORT_NAME_PERMISSIVE;
        else if (strcmp(v->str, "disabled") == 0) c->mode = CRIOIMG_SHORT_NAME_DISABLED;
        else if (v->str[0] != '\0') return crioimg__toml_fail(t, v->line, "invalid short-name mode:", v->str, strlen(v->str));
        if (v->str[0]) c->v2 = 1;
    }
    /* aliases: map[string]string, its keys as written; a value that is no table at all ([[aliases]],
       aliases = 1) the decoder leaves alone, so it is ignored here too */
    if ((v = s[4]) != NULL && v->type == CRIOIMG__TN_TABLE) {
        for (i = 0; i < v->nkids; i++) {
            crioimg__tnode *e = v->kids[i];
            crioimg__alias *al;
            if (e->type != CRIOIMG__TN_STRING) return crioimg__toml_type(t, e, e->key, "a string");
            if (!crioimg__reg_grow(t->a, (void **)&c->aliases, c->naliases, &c->capa, sizeof *c->aliases)) return CRIOIMG_ERR_NOMEM;
            al = &c->aliases[c->naliases++];
            al->name = e->key; al->value = e->str; al->file = t->file; al->line = e->line;
            e->key = NULL; e->str = NULL;
            c->v2 = 1;
        }
    }
    for (i = 0; s[5] && i < root->nkids; i++)  /* registries: the v1 struct, from each spelling of it */
        if (crioimg__field_of(crioimg__f_root, root->kids[i]->key) == 5 && (res = crioimg__v1_read(r, t, c, root->kids[i], lines)) != CRIOIMG_OK)
            return res;
    return CRIOIMG_OK;
}

/* parseLocation: trailing '/' dropped (in place); URI schemes refused. 0 on error (message set). */
CRIOIMG__LIB int crioimg__parse_location(crioimg__toml *t, unsigned long line, char *loc)
{
    size_t n = strlen(loc), orig = n;
    while (n > 0 && loc[n - 1] == '/') n--;
    if ((n >= 7 && memcmp(loc, "http://", 7) == 0) || (n >= 8 && memcmp(loc, "https://", 8) == 0)) {
        char msg[300];
        crioimg__out o;
        o.p = msg; o.cap = sizeof msg; o.len = 0;
        crioimg__out_str(&o, "invalid location '");
        crioimg__out_put(&o, loc, orig);
        crioimg__out_str(&o, "': URI schemes are not supported");
        crioimg__toml_fail(t, line, msg, NULL, 0);
        return 0;
    }
    loc[n] = '\0';
    return 1;
}

/* "what \"arg\" rest" as one message at line */
CRIOIMG__LIB crioimg_result crioimg__conf_fail3(crioimg__toml *t, unsigned long line, const char *a, const char *arg, const char *b,
                                                const char *arg2, const char *c)
{
    char msg[400], q[200];
    crioimg__out o;
    size_t ql;
    o.p = msg; o.cap = sizeof msg; o.len = 0;
    crioimg__out_str(&o, a);
    if (arg) { ql = crioimg_json_quote(q, sizeof q, arg, strlen(arg)); crioimg__out_put(&o, q, ql < sizeof q ? ql : sizeof q - 1); }
    if (b) crioimg__out_str(&o, b);
    if (arg2) { ql = crioimg_json_quote(q, sizeof q, arg2, strlen(arg2)); crioimg__out_put(&o, q, ql < sizeof q ? ql : sizeof q - 1); }
    if (c) crioimg__out_str(&o, c);
    return crioimg__toml_fail(t, line, msg, NULL, 0);
}

CRIOIMG__LIB int crioimg__regent_cmp(const void *x, const void *y)
{
    return strcmp(((const crioimg__regent *)x)->prefix, ((const crioimg__regent *)y)->prefix);
}

/* The first component of a (non-normalized) reference names a registry: '.' or ':' in it, or
   "localhost". */
CRIOIMG__LIB int crioimg__ref_has_registry(const crioimg_ref *ref)
{
    size_t dl;
    const char *d = crioimg_ref_domain(ref, &dl);
    return memchr(d, '.', dl) || memchr(d, ':', dl) || (dl == 9 && memcmp(d, "localhost", 9) == 0);
}

/* validateShortName and parseShortNameValue of containers/image, for one [aliases] entry. */
CRIOIMG__LIB crioimg_result crioimg__alias_check(crioimg__toml *t, crioimg__alias *al)
{
    crioimg_ref ref;
    crioimg_result res;
    char gerr[300];
    res = crioimg_ref_parse(&ref, al->name, strlen(al->name));
    if (res != CRIOIMG_OK) {
        crioimg_ref_error_message(res, al->name, strlen(al->name), gerr, sizeof gerr);
        return crioimg__conf_fail3(t, al->line, "validating short-name aliases: cannot parse short name: ", al->name, ": ", NULL, gerr);
    }
    if (ref.digest_len) return crioimg__conf_fail3(t, al->line, "validating short-name aliases: invalid short name ", al->name, ": must not contain digest", NULL, NULL);
    if (ref.tag_len) return crioimg__conf_fail3(t, al->line, "validating short-name aliases: invalid short name ", al->name, ": must not contain tag", NULL, NULL);
    if (crioimg__ref_has_registry(&ref)) return crioimg__conf_fail3(t, al->line, "validating short-name aliases: invalid short name ", al->name, ": must not contain registry", NULL, NULL);
    if (al->value[0] == '\0') {
        crioimg_free(t->a, al->value);
        al->value = NULL;
        return CRIOIMG_OK;
    }
    res = crioimg_ref_parse(&ref, al->value, strlen(al->value));
    if (res != CRIOIMG_OK) {
        crioimg_ref_error_message(res, al->value, strlen(al->value), gerr, sizeof gerr);
        return crioimg__conf_fail3(t, al->line, "validating short-name aliases: parsing alias ", al->value, ": ", NULL, gerr);
    }
    if (ref.digest_len) return crioimg__conf_fail3(t, al->line, "validating short-name aliases: invalid alias ", al->value, ": must not contain digest", NULL, NULL);
    if (ref.tag_len) return crioimg__conf_fail3(t, al->line, "validating short-name aliases: invalid alias ", al->value, ": must not contain tag", NULL, NULL);
    if (!crioimg__ref_has_registry(&ref)) return crioimg__conf_fail3(t, al->line, "validating short-name aliases: invalid alias ", al->value, ": must contain registry and repository", NULL, NULL);
    res = crioimg_ref_parse_normalized(&ref, al->value, strlen(al->value));
    if (res != CRIOIMG_OK) {
        crioimg_ref_error_message(res, al->value, strlen(al->value), gerr, sizeof gerr);
        return crioimg__conf_fail3(t, al->line, "validating short-name aliases: ", NULL, gerr, NULL, NULL);
    }
    if (strlen(al->value) < ref.name_len) {
        char *p = (char *)crioimg_realloc(t->a, al->value, ref.name_len + 1);
        if (p == NULL) return CRIOIMG_ERR_NOMEM;
        al->value = p;
    }
    memcpy(al->value, ref.name, ref.name_len + 1);
    return CRIOIMG_OK;
}

/* loadConfigFile after the TOML: v1 converted, postProcessRegistries, wildcard and alias checks. */
CRIOIMG__LIB crioimg_result crioimg__conf_check(crioimg_registries *r, crioimg__toml *t, crioimg__conf *c, int force_v2, const unsigned long *lines)
{
    const crioimg_allocator *a = &r->alloc;
    size_t i, j, k;
    if (c->v1) {
        if (force_v2) return crioimg__toml_fail(t, 1, "registry must be in v2 format but is in v1", NULL, 0);
        if (c->v2) return crioimg__toml_fail(t, 1, "mixing sysregistry v1/v2 is not supported", NULL, 0);
        /* ConvertToV2: blocked then insecure registries, one [[registry]] per location, in first-seen order */
        for (k = 0; k < 2; k++) {
            char **l = k == 0 ? c->v1_block : c->v1_insecure;
            size_t ln = k == 0 ? c->nv1_block : c->nv1_insecure;
            for (i = 0; i < ln; i++) {
                crioimg__regent *g = NULL;
                if (!crioimg__parse_location(t, lines[0] ? lines[0] : 1, l[i])) return CRIOIMG_ERR_REGISTRIES_CONF;
                for (j = 0; j < c->nregs; j++) if (strcmp(c->regs[j].ep.location, l[i]) == 0) g = &c->regs[j];
                if (g == NULL) {
                    if (!crioimg__reg_grow(a, (void **)&c->regs, c->nregs, &c->capr, sizeof *c->regs)) return CRIOIMG_ERR_NOMEM;
                    g = &c->regs[c->nregs++];
                    memset(g, 0, sizeof *g);
                    g->line = 1;
                    g->file = t->file;
                    g->ep.location = crioimg__reg_strndup(a, l[i], strlen(l[i]));
                    g->prefix = crioimg__reg_strndup(a, l[i], strlen(l[i]));
                    if (!g->ep.location || !g->prefix) return CRIOIMG_ERR_NOMEM;
                }
                if (k == 0) g->blocked = 1; else g->ep.insecure = 1;
            }
        }
        if (c->has_v1_search) {
            crioimg__strlist_free(a, c->search, c->nsearch);
            c->search = c->v1_search; c->nsearch = c->nv1_search; c->has_search = 1;
            c->v1_search = NULL; c->nv1_search = 0;
        }
    }
    for (i = 0; i < c->nregs; i++) {
        crioimg__regent *g = &c->regs[i];
        if (g->ep.location == NULL && (g->ep.location = crioimg__reg_strndup(a, "", 0)) == NULL) return CRIOIMG_ERR_NOMEM;
        if (!crioimg__parse_location(t, g->line, g->ep.location)) return CRIOIMG_ERR_REGISTRIES_CONF;
        if (g->prefix == NULL || g->prefix[0] == '\0') {
            if (g->ep.location[0] == '\0') return crioimg__toml_fail(t, g->line, "invalid condition: both location and prefix are unset", NULL, 0);
            crioimg_free(a, g->prefix);
            if ((g->prefix = crioimg__reg_strndup(a, g->ep.location, strlen(g->ep.location))) == NULL) return CRIOIMG_ERR_NOMEM;
        } else {
            if (!crioimg__parse_location(t, g->line, g->prefix)) return CRIOIMG_ERR_REGISTRIES_CONF;
            if (strncmp(g->prefix, "*.", 2) != 0 && g->ep.location[0] == '\0')
                return crioimg__toml_fail(t, g->line, "invalid condition: location is unset and prefix is not in the format: *.example.com", NULL, 0);
        }
        if (g->ep.pfm_text && g->ep.pfm_text[0])
            return crioimg__conf_fail3(t, g->line, "pull-from-mirror must not be set for a non-mirror registry ", g->prefix, NULL, NULL, NULL);
        for (j = 0; j < g->nmirrors; j++) {
            crioimg__endpoint *m = &g->mirrors[j];
            char tmp[512];
            size_t ml;
            if (m->location == NULL && (m->location = crioimg__reg_strndup(a, "", 0)) == NULL) return CRIOIMG_ERR_NOMEM;
            /* Go checks a trimmed copy and keeps the mirror's location as written (it ranges over copies) */
            ml = strlen(m->location);
            if (ml >= sizeof tmp) ml = sizeof tmp - 1;
            memcpy(tmp, m->location, ml);
            tmp[ml] = '\0';
            if (!crioimg__parse_location(t, g->line, tmp)) return CRIOIMG_ERR_REGISTRIES_CONF;
            if (tmp[0] == '\0') return crioimg__toml_fail(t, g->line, "invalid condition: mirror location is unset", NULL, 0);
            if (g->mirror_by_digest_only && m->pfm_text && m->pfm_text[0])
                return crioimg__conf_fail3(t, g->line, "cannot set mirror usage mirror-by-digest-only for the registry (", g->prefix,
                                           ") and pull-from-mirror for per-mirror (", tmp, ") at the same time");
            if (m->pull_from_mirror == CRIOIMG__PFM_BAD)
                return crioimg__conf_fail3(t, g->line, "unsupported pull-from-mirror value ", m->pfm_text, " for mirror ", tmp, NULL);
        }
    }
    /* one location (or wildcard prefix) must not be both secure and insecure, blocked and not */
    for (i = 0; i < c->nregs; i++) {
        const char *ki = c->regs[i].ep.location[0] ? c->regs[i].ep.location : c->regs[i].prefix;
        for (j = 0; j < c->nregs; j++) {
            const char *kj = c->regs[j].ep.location[0] ? c->regs[j].ep.location : c->regs[j].prefix;
            if (strcmp(ki, kj) != 0) continue;
            if (c->regs[i].ep.insecure != c->regs[j].ep.insecure)
                return crioimg__conf_fail3(t, c->regs[j].line, "registry '", NULL, c->regs[i].ep.location, NULL,
                                           "' is defined multiple times with conflicting 'insecure' setting");
            if (c->regs[i].blocked != c->regs[j].blocked)
                return crioimg__conf_fail3(t, c->regs[j].line, "registry '", NULL, c->regs[i].ep.location, NULL,
                                           "' is defined multiple times with conflicting 'blocked' setting");
        }
    }
    for (i = 0; i < c->nsearch; i++) {
        size_t hl;
        int br;
        if (!crioimg__parse_location(t, lines[0], c->search[i])) return CRIOIMG_ERR_REGISTRIES_CONF;
        if (!crioimg__reg_host_split(c->search[i], strlen(c->search[i]), &hl, &br))
            return crioimg__conf_fail3(t, lines[0], "Invalid unqualified-search-registries entry ", c->search[i], NULL, NULL, NULL);
    }
    /* the first of several [[registry]] with one prefix wins; then sorted by prefix */
    for (i = 0, k = 0; i < c->nregs; i++) {
        int dup = 0;
        for (j = 0; j < k; j++) if (strcmp(c->regs[j].prefix, c->regs[i].prefix) == 0) dup = 1;
        if (dup) crioimg__regent_free(a, &c->regs[i]);
        else c->regs[k++] = c->regs[i];
    }
    c->nregs = k;
    if (c->nregs > 1) qsort(c->regs, c->nregs, sizeof *c->regs, crioimg__regent_cmp);
    for (i = 0; i < c->nregs; i++) {
        const char *p = c->regs[i].prefix;
        if (strncmp(p, "*.", 2) == 0 && strpbrk(p, "/@:") != NULL)
            return crioimg__conf_fail3(t, c->regs[i].line, "Wildcarded prefix should be in the format: *.example.com. Current prefix ", p,
                                       " is incorrectly formatted", NULL, NULL);
    }
    for (i = 0; i < c->naliases; i++) {
        crioimg_result res = crioimg__alias_check(t, &c->aliases[i]);
        if (res != CRIOIMG_OK) return res;
    }
    return CRIOIMG_OK;
}

/* Parses and checks one file into a new conf. */
CRIOIMG__LIB crioimg_result crioimg__conf_load_one(crioimg_registries *r, const char *text, size_t n, const char *file, int force_v2, crioimg__conf **out)
{
    crioimg__toml t;
    crioimg__tnode *root;
    crioimg__conf *c;
    crioimg_result res;
    unsigned long lines[2] = { 0, 0 };
    *out = NULL;
    memset(&t, 0, sizeof t);
    t.s = text; t.n = n; t.line = 1; t.file = file; t.a = &r->alloc; t.err = r->err; t.errcap = sizeof r->err;
    if ((res = crioimg__toml_parse(&t, &root)) != CRIOIMG_OK) return res;
    c = (crioimg__conf *)crioimg_malloc(&r->alloc, sizeof *c);
    if (c == NULL) { crioimg__tnode_free(&r->alloc, root); return CRIOIMG_ERR_NOMEM; }
    memset(c, 0, sizeof *c);
    c->search_origin = file;
    res = crioimg__conf_apply(r, &t, root, c, lines);
    crioimg__tnode_free(&r->alloc, root);
    if (res == CRIOIMG_OK) res = crioimg__conf_check(r, &t, c, force_v2, lines);
    if (res != CRIOIMG_OK) { crioimg__conf_free(&r->alloc, c); return res; }
    *out = c;
    return CRIOIMG_OK;
}

/* updateWithConfigurationFrom: u (consumed) over base. */
CRIOIMG__LIB crioimg_result crioimg__conf_merge(crioimg_registries *r, crioimg__conf *base, crioimg__conf *u)
{
    const crioimg_allocator *a = &r->alloc;
    size_t i, j;
    for (i = 0; i < u->nregs; i++) {
        crioimg__regent *g = NULL;
        for (j = 0; j < base->nregs; j++) if (strcmp(base->regs[j].prefix, u->regs[i].prefix) == 0) g = &base->regs[j];
        if (g) crioimg__regent_free(a, g);
        else {
            if (!crioimg__reg_grow(a, (void **)&base->regs, base->nregs, &base->capr, sizeof *base->regs)) return CRIOIMG_ERR_NOMEM;
            g = &base->regs[base->nregs++];
        }
        *g = u->regs[i];
    }
    u->nregs = 0;
    if (base->nregs > 1) qsort(base->regs, base->nregs, sizeof *base->regs, crioimg__regent_cmp);
    if (u->has_search) {
        crioimg__strlist_free(a, base->search, base->nsearch);
        base->search = u->search; base->nsearch = u->nsearch; base->has_search = 1;
        base->search_origin = u->search_origin;
        u->search = NULL; u->nsearch = 0;
    }
    if (u->has_helpers) {
        crioimg__strlist_free(a, base->helpers, base->nhelpers);
        base->helpers = u->helpers; base->nhelpers = u->nhelpers; base->has_helpers = 1;
        u->helpers = NULL; u->nhelpers = 0;
    }
    if (u->mode) base->mode = u->mode;
    for (i = 0; i < u->naliases; i++) {
        crioimg__alias *al = NULL;
        for (j = 0; j < base->naliases; j++) if (strcmp(base->aliases[j].name, u->aliases[i].name) == 0) al = &base->aliases[j];
        if (al) { crioimg_free(a, al->name); crioimg_free(a, al->value); }
        else {
            if (!crioimg__reg_grow(a, (void **)&base->aliases, base->naliases, &base->capa, sizeof *base->aliases)) return CRIOIMG_ERR_NOMEM;
            al = &base->aliases[base->naliases++];
        }
        *al = u->aliases[i];
    }
    u->naliases = 0;
    return CRIOIMG_OK;
}

/* Keeps a file name for the life of r (origins point at it). */
CRIOIMG__LIB const char *crioimg__reg_keep_name(crioimg_registries *r, const char *name)
{
    if (crioimg__reg_list_add(&r->alloc, &r->files, &r->nfiles, name, strlen(name)) != CRIOIMG_OK) return NULL;
    return r->files[r->nfiles - 1];
}

crioimg_result crioimg_registries_load_conf_text(crioimg_registries *r, const char *text, size_t n, const char *name, int dropin)
{
    crioimg__conf *c;
    crioimg_result res;
    const char *kept;
    if (r == NULL || (text == NULL && n)) return CRIOIMG_ERR_INVALID_ARGS;
    r->err[0] = '\0';
    if ((kept = crioimg__reg_keep_name(r, name ? name : "")) == NULL) return CRIOIMG_ERR_NOMEM;
    res = crioimg__conf_load_one(r, text ? text : "", n, kept, dropin, &c);
    if (res != CRIOIMG_OK) return res;
    if (dropin && r->conf) {
        res = crioimg__conf_merge(r, r->conf, c);
        crioimg__conf_free(&r->alloc, c);
        return res;
    }
    crioimg__conf_free(&r->alloc, r->conf);
    r->conf = c;
    return CRIOIMG_OK;
}

/* Reads and applies one file. ERR_NOT_FOUND when it does not exist (the caller decides whether that is
   an error; the message is set either way), ERR_IO when it cannot be read or is not a regular file (a
   FIFO or a device is refused, never waited on), ERR_TOO_BIG over 1 MiB. */
CRIOIMG__LIB crioimg_result crioimg__load_path(crioimg_registries *r, const char *path, int dropin)
{
    char *text, why[160];
    size_t n;
    crioimg__out w;
    crioimg_result res;
    w.p = why; w.cap = sizeof why; w.len = 0; why[0] = '\0';
    res = crioimg__config_read(path, CRIOIMG__TOML_MAX, &r->alloc, &text, &n, &w);
    if (res == CRIOIMG_ERR_NOT_FOUND || res == CRIOIMG_ERR_IO || res == CRIOIMG_ERR_TOO_BIG) {
        char rest[200];
        crioimg__out o;
        o.p = rest; o.cap = sizeof rest; o.len = 0;
        crioimg__out_str(&o, "\": ");
        crioimg__out_str(&o, why);
        crioimg__reg_seterr(r, dropin ? "loading drop-in registries configuration \"" : "loading registries configuration \"", path, strlen(path), rest);
        return res == CRIOIMG_ERR_TOO_BIG ? CRIOIMG_ERR_REGISTRIES_CONF : res;
    }
    if (res != CRIOIMG_OK) return res;
    res = crioimg_registries_load_conf_text(r, text, n, path, dropin);
    crioimg_free(&r->alloc, text);
    return res;
}

#if defined(CRIOIMG__POSIX2008)
#  include <dirent.h>
#  define CRIOIMG__HAVE_DIRENT 1
#endif


#ifdef CRIOIMG__HAVE_DIRENT
CRIOIMG__LIB int crioimg__strptr_cmp(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

static crioimg_result crioimg__reg_dirfail(crioimg_registries *r, const char *dir, int en)
{
    crioimg__out o;
    crioimg__reg_seterr(r, "reading ", dir, strlen(dir), ": ");
    o.p = r->err; o.cap = sizeof r->err; o.len = strlen(r->err);
    crioimg__out_str(&o, strerror(en));
    return CRIOIMG_ERR_IO;
}
#endif

/* The "*.conf" files of dir in name order, applied as drop-ins. A missing directory is no error. */
CRIOIMG__LIB crioimg_result crioimg__load_dir(crioimg_registries *r, const char *dir)
{
#ifdef CRIOIMG__HAVE_DIRENT
    DIR *d = opendir(dir);
    struct dirent *e;
    char **names = NULL;
    size_t nnames = 0, i, dl = strlen(dir);
    crioimg_result res = CRIOIMG_OK;
    if (d == NULL) {
        int en = errno;
        if (en == ENOENT || en == ENOTDIR) return CRIOIMG_OK;
        return crioimg__reg_dirfail(r, dir, en);
    }
    while (res == CRIOIMG_OK) {
        size_t l;
        char *full;
        struct stat st;
        errno = 0;   /* NULL with errno set is a failed read (EOVERFLOW, EIO), not the end of the listing */
        if ((e = readdir(d)) == NULL) {
            if (errno != 0) res = crioimg__reg_dirfail(r, dir, errno);
            break;
        }
        l = strlen(e->d_name);
        if (l < 5 || strcmp(e->d_name + l - 5, ".conf") != 0) continue;
        full = (char *)crioimg_malloc(&r->alloc, dl + l + 2);
        if (full == NULL) { res = CRIOIMG_ERR_NOMEM; break; }
        memcpy(full, dir, dl);
        full[dl] = '/';
        memcpy(full + dl + 1, e->d_name, l + 1);
        /* directories named *.conf are skipped, as WalkDir's callback skips them; stat, not open, so that
           a FIFO is not waited on here (reading it is refused with its name) */
        if (stat(full, &st) != 0 || S_ISDIR(st.st_mode)) { crioimg_free(&r->alloc, full); continue; }
        res = crioimg__reg_list_add(&r->alloc, &names, &nnames, full, dl + l + 1);
        crioimg_free(&r->alloc, full);
    }
    closedir(d);
    if (nnames > 1) qsort(names, nnames, sizeof *names, crioimg__strptr_cmp);
    for (i = 0; res == CRIOIMG_OK && i < nnames; i++) {
        res = crioimg__load_path(r, names[i], 1);
        if (res == CRIOIMG_ERR_NOT_FOUND) { res = CRIOIMG_OK; r->err[0] = '\0'; }   /* gone since the listing */
    }
    crioimg__strlist_free(&r->alloc, names, nnames);
    return res;
#else
    {   /* no directory listing on this (non-POSIX) platform: fine while there is no directory to list */
        FILE *f = fopen(dir, "r");
        if (f == NULL && errno == ENOENT) return CRIOIMG_OK;
        if (f) fclose(f);
    }
    crioimg__reg_seterr(r, "reading registries.conf.d: no directory listing on this platform", NULL, 0, NULL);
    return CRIOIMG_ERR_UNSUPPORTED;
#endif
}

/* crioimg_registries_load_conf with its two path buffers (4096 bytes each) from the caller */
static crioimg_result crioimg__reg_load_conf_in(crioimg_registries *r, const crioimg_conf_paths *paths, char *user_file, char *user_dir)
{
    const char *home, *main_path;
    int user_only = 0;
    crioimg_result res;
    if (r == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    r->err[0] = '\0';
    r->warn[0] = '\0';
    home = paths && paths->home ? paths->home : getenv("HOME");
    if (home == NULL) home = "";
    if (strlen(home) + 48 > 4096) return CRIOIMG_ERR_INVALID_ARGS;
    strcpy(user_file, home); strcat(user_file, "/.config/containers/registries.conf");
    strcpy(user_dir, home); strcat(user_dir, "/.config/containers/registries.conf.d");
    crioimg__conf_free(&r->alloc, r->conf);
    r->conf = NULL;
    if (paths && paths->path) main_path = paths->path;
    else if (home[0] && crioimg__path_exists(user_file)) { main_path = user_file; user_only = 1; }
    else main_path = "/etc/containers/registries.conf";
    res = crioimg__load_path(r, main_path, 0);
    if (res == CRIOIMG_ERR_NOT_FOUND && (paths && paths->path)) res = CRIOIMG_ERR_IO;
    if (res == CRIOIMG_ERR_NOT_FOUND) {
        /* a missing default file is an empty configuration (but one that is there and cannot be read,
           a FIFO say, is an error, as in Go) */
        r->err[0] = '\0';
        res = crioimg_registries_load_conf_text(r, "", 0, "", 0);
    }
    if (res != CRIOIMG_OK) { crioimg__conf_free(&r->alloc, r->conf); r->conf = NULL; return res; }
    if (paths && paths->dir) res = crioimg__load_dir(r, paths->dir);
    else if (user_only) res = crioimg__load_dir(r, user_dir);
    else {
        res = crioimg__load_dir(r, "/etc/containers/registries.conf.d");
        if (res == CRIOIMG_OK && home[0]) res = crioimg__load_dir(r, user_dir);
    }
    if (res != CRIOIMG_OK) { crioimg__conf_free(&r->alloc, r->conf); r->conf = NULL; }
    return res;
}

crioimg_result crioimg_registries_load_conf(crioimg_registries *r, const crioimg_conf_paths *paths)
{
    /* the per-user file and directory names on the heap: 8 KiB is too much for a small thread's stack */
    char *buf;
    crioimg_result res;
    if (r == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    if ((buf = (char *)crioimg_malloc(&r->alloc, 2 * 4096)) == NULL) {
        static const char oom[] = "out of memory";
        memcpy(r->err, oom, sizeof oom);
        return CRIOIMG_ERR_NOMEM;
    }
    res = crioimg__reg_load_conf_in(r, paths, buf, buf + 4096);
    crioimg_free(&r->alloc, buf);
    return res;
}

const char *crioimg_registries_warning(const crioimg_registries *r)
{
    return r ? r->warn : "";
}

crioimg_short_name_mode crioimg_registries_short_name_mode(const crioimg_registries *r)
{
    return r && r->conf ? (crioimg_short_name_mode)r->conf->mode : CRIOIMG_SHORT_NAME_UNSET;
}

/* ---- prefixes: refMatchingPrefix, FindRegistry ---- */

/* The length of prefix's match in ref, or -1. */
CRIOIMG__LIB long crioimg__prefix_match(const char *ref, size_t rl, const char *prefix)
{
    size_t pl = strlen(prefix);
    if (pl >= 2 && prefix[0] == '*' && prefix[1] == '.') {
        /* "*.example.com": ".example.com" inside the host part, then the end or a boundary */
        const char *sub = prefix + 1;
        size_t sl = pl - 1, i, idx = (size_t)-1;
        for (i = 0; i + sl <= rl; i++) if (memcmp(ref + i, sub, sl) == 0) { idx = i; break; }
        if (idx == (size_t)-1 || memchr(ref, '/', idx) != NULL) return -1;
        idx += sl;
        if (idx == rl || ref[idx] == ':' || ref[idx] == '/' || ref[idx] == '@') return (long)idx;
        return -1;
    }
    if (rl < pl || memcmp(ref, prefix, pl) != 0) return -1;
    if (rl == pl) return (long)pl;
    /* Go lets "example.com:5000" match "example.com" (':' is a boundary); kept for the same answers */
    if (ref[pl] == ':' || ref[pl] == '/' || ref[pl] == '@') return (long)pl;
    return -1;
}

CRIOIMG__LIB crioimg__regent *crioimg__find_registry(const crioimg__conf *c, const char *ref, size_t rl)
{
    crioimg__regent *best = NULL;
    size_t i, bl = 0;
    if (c == NULL) return NULL;
    for (i = 0; i < c->nregs; i++)
        if (crioimg__prefix_match(ref, rl, c->regs[i].prefix) != -1 && strlen(c->regs[i].prefix) > bl) {
            best = &c->regs[i];
            bl = strlen(best->prefix);
        }
    return best;
}

/* ---- short names (containers/image pkg/shortnames.Resolve) ---- */

/* "FMT-prefix \"name\": go-error" into r->err */
CRIOIMG__LIB crioimg_result crioimg__reg_fail_q(crioimg_registries *r, crioimg_result code, const char *a, const char *q, size_t qn,
                                                const char *b, const char *q2, const char *c)
{
    crioimg__out o;
    char buf[300];
    size_t l;
    o.p = r->err; o.cap = sizeof r->err; o.len = 0;
    r->err[0] = '\0';
    crioimg__out_str(&o, a);
    if (q) { l = crioimg_json_quote(buf, sizeof buf, q, qn); crioimg__out_put(&o, buf, l < sizeof buf ? l : sizeof buf - 1); }
    if (b) crioimg__out_str(&o, b);
    if (q2) { l = crioimg_json_quote(buf, sizeof buf, q2, strlen(q2)); crioimg__out_put(&o, buf, l < sizeof buf ? l : sizeof buf - 1); }
    if (c) crioimg__out_str(&o, c);
    return code;
}

/* A candidate from a reference: TagNameOnly, then its String(). */
CRIOIMG__LIB crioimg_result crioimg__cand_ref(crioimg_candidates *out, crioimg_candidate_rule rule, crioimg_ref *ref, const char *origin)
{
    char s[CRIOIMG_REF_STRING_MAX + 1];
    size_t l;
    crioimg_ref_tag_name_only(ref);
    l = crioimg_ref_string(ref, s, sizeof s);
    return crioimg__cand_add(out, rule, s, l, NULL, 0, origin, strlen(origin));
}

CRIOIMG__LIB crioimg_result crioimg__shortnames_resolve(crioimg_registries *r, const char *name, size_t n, crioimg_candidates *out)
{
    crioimg__conf *c = r->conf;
    crioimg_ref ref, nref;
    crioimg_result res;
    char gerr[300], key[CRIOIMG_REF_NAME_MAX + 1];
    size_t i;
    int mode = c->mode ? c->mode : CRIOIMG_SHORT_NAME_PERMISSIVE;
    res = crioimg_ref_parse(&ref, name, n);
    if (res != CRIOIMG_OK) {
        crioimg_ref_error_message(res, name, n, gerr, sizeof gerr);
        return crioimg__reg_fail_q(r, res, "cannot parse input: ", name, n, ": ", NULL, gerr);
    }
    if (crioimg__ref_has_registry(&ref)) {
        res = crioimg_ref_parse_normalized(&nref, name, n);
        if (res != CRIOIMG_OK) {
            crioimg_ref_error_message(res, name, n, gerr, sizeof gerr);
            return crioimg__reg_fail_q(r, res, "cannot normalize input: ", name, n, ": ", NULL, gerr);
        }
        return crioimg__cand_ref(out, CRIOIMG_CANDIDATE_QUALIFIED, &nref, "");
    }
    /* an alias, looked up by the name as written without tag or digest */
    memcpy(key, ref.name, ref.name_len + 1);
    for (i = 0; i < c->naliases; i++) {
        if (strcmp(c->aliases[i].name, key) != 0 || c->aliases[i].value == NULL) continue;
        if ((res = crioimg_ref_with_name(&nref, c->aliases[i].value, strlen(c->aliases[i].value))) != CRIOIMG_OK) return res;
        if (ref.tag_len && (res = crioimg_ref_with_tag(&nref, &nref, ref.tag, ref.tag_len)) != CRIOIMG_OK) return res;
        if (ref.digest_len && (res = crioimg_ref_with_digest(&nref, &nref, ref.digest, ref.digest_len)) != CRIOIMG_OK) return res;
        return crioimg__cand_ref(out, CRIOIMG_CANDIDATE_ALIAS, &nref, c->aliases[i].file);
    }
    if (c->nsearch == 0) {
        if (c->search_origin && c->search_origin[0])
            return crioimg__reg_fail_q(r, CRIOIMG_ERR_SHORT_NAME, "short-name ", name, n,
                                       " did not resolve to an alias and no unqualified-search registries are defined in ", c->search_origin, NULL);
        return crioimg__reg_fail_q(r, CRIOIMG_ERR_SHORT_NAME, "short-name ", name, n,
                                   " did not resolve to an alias and no containers-registries.conf(5) was found", NULL, NULL);
    }
    for (i = 0; i < c->nsearch; i++) {
        char full[CRIOIMG_REF_STRING_MAX + CRIOIMG_REF_NAME_MAX + 8];
        size_t sl = strlen(c->search[i]);
        if (sl + 1 + n > sizeof full) {
            res = CRIOIMG_ERR_REF_NAME_TOO_LONG;
        } else {
            memcpy(full, c->search[i], sl);
            full[sl] = '/';
            memcpy(full + sl + 1, name, n);
            res = crioimg_ref_parse_normalized(&nref, full, sl + 1 + n);
        }
        if (res != CRIOIMG_OK) {
            crioimg_ref_error_message(res, name, n, gerr, sizeof gerr);
            crioimg_candidates_free(out);
            out->alloc = r->alloc;
            return crioimg__reg_fail_q(r, res, "creating reference with unqualified-search registry ", c->search[i], sl, ": ", NULL, gerr);
        }
        if ((res = crioimg__cand_ref(out, CRIOIMG_CANDIDATE_UNQUALIFIED, &nref, c->search[i])) != CRIOIMG_OK) {
            crioimg_candidates_free(out);
            out->alloc = r->alloc;
            return res;
        }
    }
    if (mode == CRIOIMG_SHORT_NAME_DISABLED || out->n == 1 || mode == CRIOIMG_SHORT_NAME_PERMISSIVE) return CRIOIMG_OK;
    /* enforcing, several candidates: containers/image would prompt on a terminal; a library cannot */
    crioimg_candidates_free(out);
    out->alloc = r->alloc;
    return crioimg__reg_fail_q(r, CRIOIMG_ERR_SHORT_NAME, "short-name resolution enforced but cannot prompt without a TTY", NULL, 0, NULL, NULL, NULL);
}

/* ---- pull sources (PullSourcesFromReference) ---- */

CRIOIMG__LIB crioimg_result crioimg__rewrite(crioimg_registries *r, crioimg_candidates *out, crioimg_candidate_rule rule,
                                             const crioimg__endpoint *ep, const crioimg__regent *g, const char *rs, size_t rl)
{
    long pl = crioimg__prefix_match(rs, rl, g->prefix);
    char buf[CRIOIMG_REF_STRING_MAX + 600];
    crioimg_ref nref;
    crioimg_result res;
    size_t ll = strlen(ep->location);
    if (pl < 0) return crioimg__reg_fail_q(r, CRIOIMG_ERR_REGISTRIES_CONF, "invalid prefix '", NULL, 0, g->prefix, NULL, "' for reference");
    if (ll == 0) {
        if (strncmp(g->prefix, "*.", 2) != 0)
            return crioimg__reg_fail_q(r, CRIOIMG_ERR_REGISTRIES_CONF, "invalid prefix '", NULL, 0, g->prefix, NULL,
                                       "' for empty location, should be in the format: *.example.com");
        res = crioimg__cand_add(out, rule, rs, rl, NULL, 0, "", 0);
    } else {
        if (ll + (rl - (size_t)pl) >= sizeof buf) return crioimg__reg_fail_q(r, CRIOIMG_ERR_REF_NAME_TOO_LONG, "rewriting reference: repository name must not be more than 255 characters", NULL, 0, NULL, NULL, NULL);
        memcpy(buf, ep->location, ll);
        memcpy(buf + ll, rs + pl, rl - (size_t)pl);
        res = crioimg_ref_parse_named(&nref, buf, ll + rl - (size_t)pl);
        if (res != CRIOIMG_OK) {
            char gerr[300];
            crioimg_ref_error_message(res, buf, ll + rl - (size_t)pl, gerr, sizeof gerr);
            return crioimg__reg_fail_q(r, res, "rewriting reference: ", NULL, 0, NULL, NULL, gerr);
        }
        {
            char s[CRIOIMG_REF_STRING_MAX + 1];
            size_t l = crioimg_ref_string(&nref, s, sizeof s);
            res = crioimg__cand_add(out, rule, s, l, NULL, 0, ep->location, ll);
        }
    }
    if (res == CRIOIMG_OK) out->items[out->n - 1].insecure = ep->insecure;
    return res;
}

crioimg_result crioimg_registries_pull_sources(crioimg_registries *r, const char *name, size_t n, crioimg_candidates *out)
{
    crioimg_ref ref;
    crioimg_result res;
    char rs[CRIOIMG_REF_STRING_MAX + 1];
    size_t rl, i;
    crioimg__regent *g;
    int digested;
    if (out) memset(out, 0, sizeof *out);
    if (r == NULL || out == NULL || (name == NULL && n)) return CRIOIMG_ERR_INVALID_ARGS;
    out->alloc = r->alloc;
    r->err[0] = '\0';
    res = crioimg_ref_parse(&ref, name, n);
    if (res == CRIOIMG_OK && !crioimg__ref_has_registry(&ref))
        return crioimg__reg_fail_q(r, CRIOIMG_ERR_SHORT_NAME, "", name, n, " is a short name: resolve it first", NULL, NULL);
    res = crioimg_ref_parse_normalized(&ref, name, n);
    if (res != CRIOIMG_OK) { crioimg_ref_error_message(res, name, n, r->err, sizeof r->err); return res; }
    rl = crioimg_ref_string(&ref, rs, sizeof rs);
    digested = ref.digest_len > 0;
    g = crioimg__find_registry(r->conf, ref.name, ref.name_len);
    if (g == NULL) {
        size_t dl;
        const char *d = crioimg_ref_domain(&ref, &dl);
        return crioimg__cand_add(out, CRIOIMG_CANDIDATE_PRIMARY, rs, rl, NULL, 0, d, dl);
    }
    if (g->blocked) {
        res = crioimg__reg_fail_q(r, CRIOIMG_ERR_REGISTRY_BLOCKED, "registry ", NULL, 0, NULL, NULL, NULL);
        {
            crioimg__out o;
            o.p = r->err; o.cap = sizeof r->err; o.len = strlen(r->err);
            crioimg__out_str(&o, g->prefix);
            crioimg__out_str(&o, " is blocked in ");
            crioimg__out_str(&o, g->file ? g->file : "registries.conf");
        }
        return res;
    }
    for (i = 0; i < g->nmirrors; i++) {
        const crioimg__endpoint *m = &g->mirrors[i];
        if (g->mirror_by_digest_only ? !digested
                                     : ((m->pull_from_mirror == CRIOIMG__PFM_DIGEST && !digested) || (m->pull_from_mirror == CRIOIMG__PFM_TAG && digested)))
            continue;
        if ((res = crioimg__rewrite(r, out, CRIOIMG_CANDIDATE_MIRROR, m, g, rs, rl)) != CRIOIMG_OK) break;
    }
    if (res == CRIOIMG_OK) res = crioimg__rewrite(r, out, CRIOIMG_CANDIDATE_PRIMARY, &g->ep, g, rs, rl);
    if (res != CRIOIMG_OK) { crioimg_candidates_free(out); out->alloc = r->alloc; }
    return res;
}

/* registries.conf's word on a host: the insecure setting of the [[registry]] whose prefix matches it, or
   of a mirror whose location is on it. 1 insecure (detail gets the prefix or location), else 0. */
CRIOIMG__LIB int crioimg__conf_insecure(const crioimg_registries *r, const char *host, size_t n, char *detail, size_t dcap)
{
    const crioimg__regent *g;
    size_t i, j;
    if (r->conf == NULL) return 0;
    g = crioimg__find_registry(r->conf, host, n);
    if (g && g->ep.insecure) {
        size_t l = strlen(g->prefix);
        if (l >= dcap) l = dcap - 1;
        memcpy(detail, g->prefix, l); detail[l] = '\0';
        return 1;
    }
    for (i = 0; i < r->conf->nregs; i++)
        for (j = 0; j < r->conf->regs[i].nmirrors; j++) {
            const crioimg__endpoint *m = &r->conf->regs[i].mirrors[j];
            size_t ml = strcspn(m->location, "/");
            if (m->insecure && ml == n && memcmp(m->location, host, n) == 0) {
                if (ml >= dcap) ml = dcap - 1;
                memcpy(detail, m->location, ml); detail[ml] = '\0';
                return 1;
            }
        }
    return 0;
}
