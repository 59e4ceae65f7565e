/* ---------------------------------------------------------------------------------------------------
   network addresses: IPv4/IPv6 literals and CIDRs as Go's net package reads them, address ranges,
   registry host[:port] names, and the built-in resolver (getaddrinfo) behind crioimg_resolver
   --------------------------------------------------------------------------------------------------- */

#include "internal.h"
#include "netaddr.h"

#ifndef CRIOIMG_NO_GETADDRINFO
#  if defined(CRIOIMG__POSIX2008)   /* every POSIX build (internal.h); elsewhere no default resolver */
#    include <sys/types.h>
#    include <sys/socket.h>
#    include <netdb.h>
#    include <netinet/in.h>
#    define CRIOIMG__HAVE_GETADDRINFO 1
#  endif
#endif

/* crioimg__range4/6, crioimg__u128 and what other parts use from here: netaddr.h */

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

/* Heap sorts ranges (no recursion, no extra memory, O(n log n) whatever the input) by lo; the registries'
   insecure set then merges overlapping and adjacent ones (crioimg__reg_sort). */
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
