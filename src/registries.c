/* ---------------------------------------------------------------------------------------------------
   registries implementation
   --------------------------------------------------------------------------------------------------- */

#ifndef CRIOIMG_NO_GETADDRINFO
#  if !defined(_WIN32) && ((defined(_POSIX_C_SOURCE) && _POSIX_C_SOURCE >= 200112L) || defined(_GNU_SOURCE) || \
       defined(_DEFAULT_SOURCE) || defined(__APPLE__))
     /* getaddrinfo is declared only with POSIX feature macros: a strict -std=c99 build without them gets
        no default resolver (every name then counts as not found, hence secure) rather than a build error. */
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

CRIOIMG__LIB int crioimg__hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
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

crioimg_result crioimg_registries_new(crioimg_registries **out, const crioimg_registries_options *opts)
{
    crioimg_registries *r;
    crioimg_allocator a;
    unsigned char f[16], l[16];
    int v4;
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
    /* the seed appended 127.0.0.0/8 to every configuration; ::1 is its IPv6 twin */
    if (crioimg_cidr_parse("127.0.0.0/8", 11, f, l, &v4) != CRIOIMG_OK || crioimg__reg_add_range(r, f, l, v4) != CRIOIMG_OK ||
        crioimg_cidr_parse("::1/128", 7, f, l, &v4) != CRIOIMG_OK || crioimg__reg_add_range(r, f, l, v4) != CRIOIMG_OK) {
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
