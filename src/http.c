/* ---------------------------------------------------------------------------------------------------
   http implementation
   --------------------------------------------------------------------------------------------------- */
#include "http_internal.h"
#include "netaddr.h"

crioimg_result crioimg_url_parse(crioimg_url *u, const char *s, size_t n)
{
    const char *p, *end, *auth, *auth_end, *at, *hs, *he;
    size_t i;
    if (u == NULL || (s == NULL && n)) return CRIOIMG_ERR_INVALID_ARGS;
    memset(u, 0, sizeof *u);
    if (s == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    for (i = 0; i < n; i++)  /* no spaces or control bytes anywhere: a URL is not free text */
        if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f) return CRIOIMG_ERR_INVALID_ARGS;
    p = (const char *)memchr(s, ':', n);
    if (p == NULL || p == s) return CRIOIMG_ERR_INVALID_ARGS;
    if (crioimg__ascii_ieq(s, (size_t)(p - s), "https")) u->https = 1;
    else if (!crioimg__ascii_ieq(s, (size_t)(p - s), "http")) return CRIOIMG_ERR_UNSUPPORTED;
    end = s + n;
    if (end - p < 3 || p[1] != '/' || p[2] != '/') return CRIOIMG_ERR_INVALID_ARGS;
    auth = p + 3;
    for (auth_end = auth; auth_end < end && *auth_end != '/' && *auth_end != '?' && *auth_end != '#'; auth_end++) {}
    at = NULL;
    for (p = auth; p < auth_end; p++) if (*p == '@') at = p;  /* the last '@' ends the userinfo */
    hs = auth;
    if (at) { u->has_userinfo = 1; u->userinfo.ptr = auth; u->userinfo.len = (size_t)(at - auth); hs = at + 1; }
    if (hs < auth_end && *hs == '[') {
        const char *close = (const char *)memchr(hs, ']', (size_t)(auth_end - hs));
        if (close == NULL || close == hs + 1) return CRIOIMG_ERR_INVALID_ARGS;
        for (p = hs + 1; p < close; p++)
            if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f') || (*p >= 'A' && *p <= 'F') || *p == ':' || *p == '.'))
                return CRIOIMG_ERR_INVALID_ARGS;  /* no zone IDs: they are not for registries */
        he = close + 1;
    } else {
        for (he = hs; he < auth_end && *he != ':'; he++) {}
        if (he == hs) return CRIOIMG_ERR_INVALID_ARGS;
        for (p = hs; p < he; p++)
            if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '-' || *p == '.' || *p == '_'))
                return CRIOIMG_ERR_INVALID_ARGS;
    }
    u->host.ptr = hs;
    u->host.len = (size_t)(he - hs);
    u->port = u->https ? 443 : 80;
    if (he < auth_end) {
        unsigned long v = 0;
        if (*he != ':' || he + 1 == auth_end) return CRIOIMG_ERR_INVALID_ARGS;
        for (p = he + 1; p < auth_end; p++) {
            if (*p < '0' || *p > '9') return CRIOIMG_ERR_INVALID_ARGS;
            v = v * 10 + (unsigned long)(*p - '0');
            if (v > 65535) return CRIOIMG_ERR_INVALID_ARGS;
        }
        if (v == 0) return CRIOIMG_ERR_INVALID_ARGS;
        u->port = (unsigned)v;
        u->has_port = 1;
    }
    p = (const char *)memchr(auth_end, '#', (size_t)(end - auth_end));
    u->path.ptr = auth_end;
    u->path.len = (size_t)((p ? p : end) - auth_end);
    return CRIOIMG_OK;
}

int crioimg_url_same_origin(const crioimg_url *a, const crioimg_url *b)
{
    size_t i;
    if (a == NULL || b == NULL || a->https != b->https || a->port != b->port || a->host.len != b->host.len) return 0;
    for (i = 0; i < a->host.len; i++) {
        char x = a->host.ptr[i], y = b->host.ptr[i];
        if (x >= 'A' && x <= 'Z') x = (char)(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = (char)(y - 'A' + 'a');
        if (x != y) return 0;
    }
    return 1;
}

/* RFC 3986 5.2.4: the path with "." and ".." segments removed, in place (the output never overtakes
   the input); returns the new length. The letters are the RFC's steps. */
static size_t crioimg__url_remove_dots(char *p, size_t n)
{
    size_t i = 0, o = 0;
    while (i < n) {
        size_t left = n - i;
        if (left >= 3 && memcmp(p + i, "../", 3) == 0) i += 3;                        /* A */
        else if (left >= 2 && memcmp(p + i, "./", 2) == 0) i += 2;                    /* A */
        else if (left >= 3 && memcmp(p + i, "/./", 3) == 0) i += 2;                   /* B: "/./" -> "/" */
        else if (left == 2 && memcmp(p + i, "/.", 2) == 0) { p[o++] = '/'; i = n; }   /* B: "/." at the end */
        else if ((left >= 4 && memcmp(p + i, "/../", 4) == 0) || (left == 3 && memcmp(p + i, "/..", 3) == 0)) {
            while (o > 0 && p[o - 1] != '/') o--;                                     /* C: drop the last segment */
            if (o > 0) o--;
            if (left == 3) { p[o++] = '/'; i = n; } else i += 3;
        } else if ((left == 1 && p[i] == '.') || (left == 2 && p[i] == '.' && p[i + 1] == '.')) {
            i = n;                                                                    /* D */
        } else {                                                                      /* E: one segment across */
            if (p[i] == '/') p[o++] = p[i++];
            while (i < n && p[i] != '/') p[o++] = p[i++];
        }
    }
    return o;
}

/* o holds a URL whose path starts at offset start: drop the fragment, remove dot segments from the path
   (not the query) when dots is set */
static void crioimg__url_finish(crioimg__out *o, size_t start, int dots)
{
    char *p = o->p + start, *hash, *q;
    size_t total, plen, kept;
    if (o->len >= o->cap) return;  /* truncated: the caller reports it */
    total = o->len - start;
    if ((hash = (char *)memchr(p, '#', total)) != NULL) total = (size_t)(hash - p);
    q = (char *)memchr(p, '?', total);
    plen = q ? (size_t)(q - p) : total;
    kept = dots ? crioimg__url_remove_dots(p, plen) : plen;
    memmove(p + kept, p + plen, total - plen);
    o->len = start + kept + (total - plen);
    o->p[o->len] = '\0';
}

/* RFC 3986 5.2.2, without fragments (never sent) */
crioimg_result crioimg_url_resolve(const char *base, size_t bn, const char *ref, size_t rn, char *out, size_t cap, size_t *len)
{
    crioimg_url b, t;
    crioimg__out o;
    crioimg_result r;
    size_t i, start, rp;
    if (len) *len = 0;
    if (out == NULL || len == NULL || (ref == NULL && rn)) return CRIOIMG_ERR_INVALID_ARGS;
    if ((r = crioimg_url_parse(&b, base, bn)) != CRIOIMG_OK) return r;
    o.p = out; o.cap = cap; o.len = 0;
    if (cap) out[0] = '\0';
    for (i = 0; i < rn && ref[i] != ':' && ref[i] != '/' && ref[i] != '?' && ref[i] != '#'; i++) {}
    if ((i < rn && i > 0 && ref[i] == ':') || (rn >= 2 && ref[0] == '/' && ref[1] == '/')) {
        /* an absolute or network-path reference: its own authority, its path without dot segments */
        if (ref[0] == '/') crioimg__out_str(&o, b.https ? "https:" : "http:");
        crioimg__out_put(&o, ref, rn);
        if (o.len >= cap) return CRIOIMG_ERR_BUFFER_TOO_SMALL;
        if ((r = crioimg_url_parse(&t, out, o.len)) != CRIOIMG_OK) return r;
        crioimg__url_finish(&o, (size_t)(t.path.ptr - out), 1);
    } else {
        crioimg__out_put(&o, base, (size_t)(b.path.ptr - base));  /* scheme://authority of the base */
        start = o.len;
        for (rp = 0; rp < rn && ref[rp] != '?' && ref[rp] != '#'; rp++) {}
        if (rp == 0) {  /* only a query or fragment: the base path as it is */
            const char *q = (const char *)memchr(b.path.ptr, '?', b.path.len);
            crioimg__out_put(&o, b.path.ptr, q && rp < rn && ref[0] == '?' ? (size_t)(q - b.path.ptr) : b.path.len);
            if (rp < rn && ref[0] == '?') crioimg__out_put(&o, ref, rn);
            crioimg__url_finish(&o, start, 0);
        } else {
            if (ref[0] != '/') {  /* merge: the base path up to its last '/' */
                const char *q = (const char *)memchr(b.path.ptr, '?', b.path.len), *slash = NULL, *p;
                size_t bl = q ? (size_t)(q - b.path.ptr) : b.path.len;
                for (p = b.path.ptr; p < b.path.ptr + bl; p++) if (*p == '/') slash = p;
                if (slash) crioimg__out_put(&o, b.path.ptr, (size_t)(slash - b.path.ptr) + 1);
                else crioimg__out_put(&o, "/", 1);
            }
            crioimg__out_put(&o, ref, rn);
            crioimg__url_finish(&o, start, 1);
        }
    }
    if (o.len >= cap) return CRIOIMG_ERR_BUFFER_TOO_SMALL;
    *len = o.len;
    return crioimg_url_parse(&t, out, o.len);  /* what we built must itself be a valid URL */
}

static crioimg_result crioimg__http_fail(char *err, size_t errcap, crioimg_result r, const char *a, const crioimg_span *s, const char *b)
{
    crioimg__out o;
    o.p = err; o.cap = err ? errcap : 0; o.len = 0;
    if (o.cap) err[0] = '\0';
    crioimg__out_str(&o, a);
    if (s) crioimg__out_put(&o, s->ptr, s->len);
    if (b) crioimg__out_str(&o, b);
    return r;
}

static int crioimg__http_host_forbidden(const crioimg_span *h);

#if defined(CRIOIMG_WITH_CURL) || defined(CRIOIMG_WITH_MBEDTLS)
/* ---- TLS failures in words ----
   Both transports name what went wrong the same way, then give their TLS library's own detail: a user
   reads "the server's certificate has expired", not "error:0A000086" or "X509 - Certificate
   verification failed". */
/* the kinds (CRIOIMG__TLS_*): http_internal.h */

static const char *crioimg__tls_words(int kind)
{
    switch (kind) {
    case CRIOIMG__TLS_UNTRUSTED: return "the server's certificate is not signed by a trusted CA: give its CA with --cert-dir or certs.d";
    case CRIOIMG__TLS_EXPIRED:   return "the server's certificate has expired";
    case CRIOIMG__TLS_FUTURE:    return "the server's certificate is not valid yet: is this machine's clock right?";
    case CRIOIMG__TLS_NAME:      return "the server's certificate is for another host name";
    case CRIOIMG__TLS_PLAIN:     return "the server does not speak TLS on this port: is it plain HTTP?";
    default:                     return NULL;
    }
}

/* "WORDS (WHO: DETAIL)", or "WHO: DETAIL" when the kind has no words */
CRIOIMG__LIB crioimg_result crioimg__tls_fail_words(char *err, size_t errcap, crioimg_result r, int kind, const char *who, const char *detail)
{
    const char *w = crioimg__tls_words(kind);
    crioimg__out o;
    o.p = err; o.cap = err ? errcap : 0; o.len = 0;
    if (o.cap) err[0] = '\0';
    if (w) { crioimg__out_str(&o, w); crioimg__out_str(&o, " ("); }
    crioimg__out_str(&o, who);
    crioimg__out_str(&o, detail);
    if (w) crioimg__out_str(&o, ")");
    return r;
}
#endif

crioimg_result crioimg_http_redirect_check(const crioimg_url *from, const crioimg_url *to, unsigned hop, int *keep_auth,
                                           char *err, size_t errcap)
{
    if (keep_auth) *keep_auth = 0;
    if (err && errcap) err[0] = '\0';
    if (from == NULL || to == NULL || keep_auth == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    if (hop > CRIOIMG_HTTP_MAX_REDIRECTS)
        return crioimg__http_fail(err, errcap, CRIOIMG_ERR_HTTP_REDIRECT, "stopped after 10 redirects", NULL, NULL);
    if (from->https && !to->https)
        return crioimg__http_fail(err, errcap, CRIOIMG_ERR_HTTP_REDIRECT, "refusing a redirect from https to http (", &to->host, ")");
    /* credentials in a Location are the server's choice of whom we log in to: never followed (libcurl
       would send them as Basic, the sockets transport would drop them; now neither transport sees one) */
    if (to->has_userinfo)
        return crioimg__http_fail(err, errcap, CRIOIMG_ERR_HTTP_REDIRECT, "refusing a redirect to a URL with user information (", &to->host, ")");
    /* a registry may not point us at the cloud's metadata service (the realm check's rule, for every hop) */
    if (crioimg__http_host_forbidden(&to->host))
        return crioimg__http_fail(err, errcap, CRIOIMG_ERR_HTTP_REDIRECT, "refusing a redirect to an unspecified or link-local address (", &to->host, ")");
    *keep_auth = crioimg_url_same_origin(from, to);
    return CRIOIMG_OK;
}

/* An IPv4 address as inet_aton reads it, which is how getaddrinfo takes a numeric host: 1 to 4 parts,
   each decimal, octal (leading 0) or hex (0x), the last part filling the bytes left ("2852039166",
   "0xa9.0xfe.0xa9.0xfe" and "169.16689662" are all 169.254.169.254). 1 with *a set, else 0. */
static int crioimg__http_inet_aton(const char *s, size_t n, unsigned long *a)
{
    unsigned long part[4];
    size_t np = 0, i = 0;
    while (i < n) {
        unsigned long v = 0;
        unsigned base = 10, digits = 0;
        if (np == 4) return 0;
        if (s[i] == '0' && i + 1 < n && (s[i + 1] == 'x' || s[i + 1] == 'X')) { base = 16; i += 2; digits = 1; }
        else if (s[i] == '0') base = 8;
        for (; i < n && s[i] != '.'; i++) {
            int d = crioimg__hexval(s[i]);  /* core's */
            if (d < 0 || d >= (int)base) return 0;
            v = v * base + (unsigned)d;
            if (v > 0xffffffffUL) return 0;
            digits++;
        }
        if (digits == 0) return 0;
        part[np++] = v;
        if (i < n) { i++; if (i == n) return 0; }  /* a '.' must be followed by a part */
    }
    if (np == 0) return 0;
    if (np == 1) { *a = part[0]; return 1; }
    if (part[0] > 255) return 0;
    if (np == 2) { if (part[1] > 0xffffffUL) return 0; *a = part[0] << 24 | part[1]; return 1; }
    if (part[1] > 255) return 0;
    if (np == 3) { if (part[2] > 0xffffUL) return 0; *a = part[0] << 24 | part[1] << 16 | part[2]; return 1; }
    if (part[2] > 255 || part[3] > 255) return 0;
    *a = part[0] << 24 | part[1] << 16 | part[2] << 8 | part[3];
    return 1;
}

static int crioimg__http_v4_forbidden(unsigned long a)
{
    return (a >> 24) == 0 || (a >> 16) == 0xa9feUL ||  /* 0.0.0.0/8 (this host), 169.254.0.0/16 (link-local) */
           a == 0x646464c8UL;                         /* 100.100.100.200: a cloud's metadata service */
}

/* An address (4 bytes IPv4 or 16 bytes IPv6, network order) that is unspecified or link-local,
   IPv6 with an IPv4 inside (mapped ::ffff:0:0/96, compatible ::/96, NAT64 64:ff9b::/96) included; ::1,
   loopback, is allowed. The realm check runs it on literals, the transports on what a name resolved to. */
CRIOIMG__LIB int crioimg__http_ip_forbidden(const unsigned char *b, size_t n)
{
    static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
    static const unsigned char nat64[12] = { 0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0 };
    static const unsigned char zero[12] = { 0 };
    static const unsigned char ec2[16] = { 0xfd, 0, 0x0e, 0xc2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x54 };
    static const unsigned char nat64_local[6] = { 0, 0x64, 0xff, 0x9b, 0, 1 };
    unsigned long a;
    if (n == 4) return crioimg__http_v4_forbidden((unsigned long)b[0] << 24 | (unsigned long)b[1] << 16 | (unsigned long)b[2] << 8 | b[3]);
    if (n != 16) return 1;
    if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return 1;        /* fe80::/10 */
    if (memcmp(b, ec2, 16) == 0) return 1;                      /* fd00:ec2::254, EC2's metadata over IPv6 */
    if (memcmp(b, nat64_local, 6) == 0)                         /* 64:ff9b:1::/48 (RFC 8215): the IPv4 at the end */
        return crioimg__http_v4_forbidden((unsigned long)b[12] << 24 | (unsigned long)b[13] << 16 | (unsigned long)b[14] << 8 | b[15]);
    if (memcmp(b, mapped, 12) == 0 || memcmp(b, nat64, 12) == 0 || memcmp(b, zero, 12) == 0) {
        a = (unsigned long)b[12] << 24 | (unsigned long)b[13] << 16 | (unsigned long)b[14] << 8 | b[15];
        if (memcmp(b, zero, 12) == 0 && a == 1) return 0;       /* ::1, loopback */
        return crioimg__http_v4_forbidden(a) || memcmp(b, zero, 12) == 0;  /* :: and ::a.b.c.d are not for realms */
    }
    return 0;
}

/* A realm host that is an unspecified or link-local address, however it is spelt: IPv4 in any
   inet_aton form, IPv6 as crioimg__http_ip_forbidden reads it. A name passes here; the transport checks
   what it resolves to (crioimg_http_request.refuse_local_addresses, which the registry client sets for
   token requests). */
static int crioimg__http_host_forbidden(const crioimg_span *h)
{
    unsigned char b[16];
    unsigned long a;
    size_t n = h->len;
    if (n >= 2 && h->ptr[0] == '[') {
        if (!crioimg__ip6_parse(h->ptr + 1, n - 2, b)) return 1;  /* unparseable literal: refuse (the registries module's parser) */
        return crioimg__http_ip_forbidden(b, 16);
    }
    if (n > 0 && h->ptr[n - 1] == '.') n--;  /* "169.254.169.254." */
    return crioimg__http_inet_aton(h->ptr, n, &a) && crioimg__http_v4_forbidden(a);
}

#if defined(CRIOIMG_WITH_CURL) || defined(CRIOIMG_WITH_MBEDTLS)
#  ifdef _WIN32
#    include <winsock2.h>
#    include <ws2tcpip.h>
#  else
#    include <sys/types.h>
#    include <sys/socket.h>
#    include <netinet/in.h>
#  endif
/* The same test on a socket address a transport is about to connect to (len bytes at sa); any family
   but IPv4 and IPv6 is refused too, since nothing here can tell where it goes. */
CRIOIMG__LIB int crioimg__http_sockaddr_forbidden(const void *sa, size_t len)
{
    struct sockaddr_storage st;
    memset(&st, 0, sizeof st);
    memcpy(&st, sa, len < sizeof st ? len : sizeof st);
    if (st.ss_family == AF_INET && len >= sizeof(struct sockaddr_in))
        return crioimg__http_ip_forbidden((const unsigned char *)&((const struct sockaddr_in *)(const void *)&st)->sin_addr, 4);
    if (st.ss_family == AF_INET6 && len >= sizeof(struct sockaddr_in6))
        return crioimg__http_ip_forbidden(((const struct sockaddr_in6 *)(const void *)&st)->sin6_addr.s6_addr, 16);
    return 1;
}
#endif

crioimg_result crioimg_auth_realm_check(const char *realm, size_t n, int allow_http, char *err, size_t errcap)
{
    crioimg_url u;
    crioimg_result r = crioimg_url_parse(&u, realm, n);
    if (err && errcap) err[0] = '\0';
    if (r == CRIOIMG_ERR_UNSUPPORTED)
        return crioimg__http_fail(err, errcap, CRIOIMG_ERR_AUTH_REALM, "the token realm is not an http(s) URL", NULL, NULL);
    if (r != CRIOIMG_OK) return crioimg__http_fail(err, errcap, CRIOIMG_ERR_AUTH_REALM, "the token realm is not a valid URL", NULL, NULL);
    if (!u.https && !allow_http)
        return crioimg__http_fail(err, errcap, CRIOIMG_ERR_AUTH_REALM, "the token realm must be https for a secure registry (", &u.host, ")");
    if (u.has_userinfo)
        return crioimg__http_fail(err, errcap, CRIOIMG_ERR_AUTH_REALM, "the token realm carries user information", NULL, NULL);
    if (crioimg__http_host_forbidden(&u.host))
        return crioimg__http_fail(err, errcap, CRIOIMG_ERR_AUTH_REALM, "the token realm is an unspecified or link-local address (", &u.host, ")");
    return CRIOIMG_OK;
}

/* a run of digits: its value (saturating at max) and length */
CRIOIMG__LIB size_t crioimg__http_digits(const char *s, size_t n, long long max, long long *v)
{
    size_t i = 0;
    *v = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9') {
        int d = s[i++] - '0';
        *v = *v > (max - d) / 10 ? max : *v * 10 + d;
    }
    return i;
}

/* days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil) */
CRIOIMG__LIB long long crioimg__days_from_civil(long long y, unsigned m, unsigned d)
{
    long long era;
    unsigned yoe, doy, doe;
    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = (unsigned)(y - era * 400);
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (long long)doe - 719468;
}

crioimg_result crioimg_http_retry_after(const char *v, size_t n, long long now, long long *seconds)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    long long day, year, hh, mm, ss, t;
    unsigned mon;
    if (seconds) *seconds = 0;
    if (v == NULL || seconds == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t')) n--;
    while (n > 0 && (*v == ' ' || *v == '\t')) v++, n--;
    if (n > 0 && v[0] >= '0' && v[0] <= '9') {
        if (crioimg__http_digits(v, n, 0x7fffffffffffffffLL, seconds) != n) { *seconds = 0; return CRIOIMG_ERR_INVALID_ARGS; }
        return CRIOIMG_OK;
    }
    /* "Sun, 06 Nov 1994 08:49:37 GMT": exactly 29 bytes */
    if (n != 29 || v[3] != ',' || v[4] != ' ' || v[7] != ' ' || v[11] != ' ' || v[16] != ' ' || v[19] != ':' ||
        v[22] != ':' || v[25] != ' ' || memcmp(v + 26, "GMT", 3) != 0)
        return CRIOIMG_ERR_INVALID_ARGS;
    for (mon = 0; mon < 12; mon++) if (memcmp(months + 3 * mon, v + 8, 3) == 0) break;
    if (mon == 12 || crioimg__http_digits(v + 5, 2, 99, &day) != 2 || crioimg__http_digits(v + 12, 4, 9999, &year) != 4 ||
        crioimg__http_digits(v + 17, 2, 99, &hh) != 2 || crioimg__http_digits(v + 20, 2, 99, &mm) != 2 ||
        crioimg__http_digits(v + 23, 2, 99, &ss) != 2 || day < 1 || day > 31 || hh > 23 || mm > 59 || ss > 60)
        return CRIOIMG_ERR_INVALID_ARGS;
    t = crioimg__days_from_civil(year, mon + 1, (unsigned)day) * 86400 + hh * 3600 + mm * 60 + ss;
    *seconds = t > now ? t - now : 0;
    return CRIOIMG_OK;
}

crioimg_result crioimg_http_content_range(const char *v, size_t n, long long *first, long long *last, long long *total)
{
    const long long max = 0x7fffffffffffffffLL;
    size_t i = 6, k;
    if (first == NULL || last == NULL || total == NULL || v == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    *first = *last = *total = -1;
    if (n < 6 || memcmp(v, "bytes ", 6) != 0) return CRIOIMG_ERR_INVALID_ARGS;
    if ((k = crioimg__http_digits(v + i, n - i, max, first)) == 0 || k > 18) return CRIOIMG_ERR_INVALID_ARGS;
    i += k;
    if (i == n || v[i++] != '-') return CRIOIMG_ERR_INVALID_ARGS;
    if ((k = crioimg__http_digits(v + i, n - i, max, last)) == 0 || k > 18) return CRIOIMG_ERR_INVALID_ARGS;
    i += k;
    if (i == n || v[i++] != '/') return CRIOIMG_ERR_INVALID_ARGS;
    if (i + 1 == n && v[i] == '*') *total = -1;
    else if ((k = crioimg__http_digits(v + i, n - i, max, total)) == 0 || k > 18 || i + k != n) return CRIOIMG_ERR_INVALID_ARGS;
    if (*first > *last || (*total >= 0 && *last >= *total)) return CRIOIMG_ERR_INVALID_ARGS;
    return CRIOIMG_OK;
}

int crioimg_http_resume_ok(const char *content_range, size_t n, long long offset, long long size)
{
    long long first, last, total;
    if (crioimg_http_content_range(content_range, n, &first, &last, &total) != CRIOIMG_OK) return 0;
    return first == offset && last == size - 1 && (total < 0 || total == size);
}

/* ---- the transport: checks before, a guard after ---- */

/* A millisecond clock that does not jump with the wall clock where the platform has one (POSIX
   CLOCK_MONOTONIC); else time(), whose seconds still bound a dripping server, only coarser. */
#include <time.h>
CRIOIMG__LIB long long crioimg__http_now_ms(void)
{
#if defined(CLOCK_MONOTONIC) && !defined(_WIN32)
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) == 0) return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
#endif
    return (long long)time(NULL) * 1000;
}

/* The time rules of one request (crioimg_http_request: header, total, minimum progress), one copy for
   the guard and both built-in transports so that they end a trickle alike and in the same words. Times
   are crioimg__http_now_ms values; 0 is "no such deadline".
   The struct: http_internal.h. */
CRIOIMG__LIB void crioimg__hlim_init(crioimg__hlim *l, const crioimg_http_request *rq, long long now)
{
    long ht = rq->header_timeout_ms > 0 ? rq->header_timeout_ms : CRIOIMG_HTTP_HEADER_TIMEOUT_MS;
    memset(l, 0, sizeof *l);
    l->header_dl = now + ht;
    l->total_dl = rq->total_timeout_ms > 0 ? now + rq->total_timeout_ms : 0;
    l->min_bytes = rq->min_bytes > 0 ? rq->min_bytes : CRIOIMG_HTTP_MIN_BYTES;
    l->period = rq->min_period_ms > 0 ? rq->min_period_ms : CRIOIMG_HTTP_MIN_PERIOD_MS;
}

/* The header block is complete: its deadline is met, and the body's progress is counted from now. */
CRIOIMG__LIB void crioimg__hlim_body(crioimg__hlim *l, long long now, unsigned long long bytes)
{
    if (l->win_start) return;
    l->header_dl = 0;
    l->win_start = now;
    l->win_bytes = bytes;
}

/* OK while the rules hold at now, with bytes body bytes so far; else ERR_TIMEOUT with *why. A window
   that made its progress starts the next one. */
CRIOIMG__LIB crioimg_result crioimg__hlim_check(crioimg__hlim *l, long long now, unsigned long long bytes, const char **why)
{
    if (l->header_dl && now >= l->header_dl) { *why = "the response headers did not arrive within the header timeout"; return CRIOIMG_ERR_TIMEOUT; }
    if (l->total_dl && now >= l->total_dl) { *why = "the response did not arrive within the total timeout"; return CRIOIMG_ERR_TIMEOUT; }
    if (l->win_start && now - l->win_start >= l->period) {
        if (bytes - l->win_bytes < l->min_bytes) { *why = "the body arrived slower than the minimum progress rate"; return CRIOIMG_ERR_TIMEOUT; }
        l->win_start = now;
        l->win_bytes = bytes;
    }
    return CRIOIMG_OK;
}

struct crioimg_http {
    crioimg_http_vtable vt;
    crioimg_allocator alloc;
};

crioimg_result crioimg_http_open(crioimg_http **out, const crioimg_http_vtable *vt, const crioimg_allocator *alloc)
{
    crioimg_http *h;
    if (out == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    *out = NULL;
    if (vt == NULL || vt->version == 0 || vt->version > CRIOIMG_HTTP_VTABLE_VERSION) return CRIOIMG_ERR_INVALID_ARGS;
    if (crioimg_allocator_check(alloc) != CRIOIMG_OK) return CRIOIMG_ERR_INVALID_ARGS;
    h = (crioimg_http *)crioimg_malloc(alloc, sizeof *h);
    if (h == NULL) return CRIOIMG_ERR_NOMEM;
    memset(h, 0, sizeof *h);
    h->vt = *vt;   /* copied: the host's struct may go away */
    if (alloc) h->alloc = *alloc;
    *out = h;
    return CRIOIMG_OK;
}

#if defined(CRIOIMG_WITH_CURL) || defined(CRIOIMG_WITH_MBEDTLS)
/* A built-in backend's state behind a crioimg_http, as a host's would be; the state is closed when that
   fails, so each backend's open has one way out. */
CRIOIMG__LIB crioimg_result crioimg__http_open_builtin(crioimg_http **out, void *user,
                                                       crioimg_result (*request)(void *, const crioimg_http_request *, char *, size_t),
                                                       void (*close_fn)(void *), const crioimg_allocator *alloc)
{
    crioimg_http_vtable vt;
    crioimg_result r;
    memset(&vt, 0, sizeof vt);
    vt.version = CRIOIMG_HTTP_VTABLE_VERSION;
    vt.user = user;
    vt.request = request;
    vt.close = close_fn;
    if ((r = crioimg_http_open(out, &vt, alloc)) != CRIOIMG_OK) close_fn(user);
    return r;
}
#endif

void crioimg_http_close(crioimg_http *h)
{
    crioimg_allocator a;
    if (h == NULL) return;
    if (h->vt.close) h->vt.close(h->vt.user);
    a = h->alloc;
    crioimg_free(&a, h);
}

crioimg_result crioimg_http_open_default(crioimg_http **out, const crioimg_allocator *alloc)
{
#if defined(CRIOIMG_WITH_CURL)
    return crioimg_http_open_curl(out, alloc);
#else
    return crioimg_http_open_mbedtls(out, alloc);   /* ERR_HTTP_NO_TRANSPORT when that is not built either */
#endif
}

/* a header name is an RFC 7230 token (the auth module's table): nothing a request could be split at */
static int crioimg__http_token(const char *s, size_t n)
{
    size_t i;
    if (n == 0) return 0;
    for (i = 0; i < n; i++) if (!crioimg__auth_tchar[(unsigned char)s[i]]) return 0;
    return 1;
}

/* no byte that ends a header line (NUL cannot be in a C string; the sink side checks it too) */
static int crioimg__http_value_ok(const char *s, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) if (s[i] == '\r' || s[i] == '\n' || s[i] == '\0') return 0;
    return 1;
}

/* What every transport may take for granted about a request. *method gets the method spelt out. */
static crioimg_result crioimg__http_check(const crioimg_http_request *rq, const char **method, char *err, size_t errcap)
{
    crioimg_url u;
    crioimg_result r;
    size_t i;
    const char *m = rq->method ? rq->method : "GET";
    if (strcmp(m, "GET") != 0 && strcmp(m, "HEAD") != 0 && strcmp(m, "POST") != 0)
        return crioimg__http_fail(err, errcap, CRIOIMG_ERR_INVALID_ARGS, "the method must be GET, HEAD or POST", NULL, NULL);
    *method = m;
    if (rq->url == NULL) return crioimg__http_fail(err, errcap, CRIOIMG_ERR_INVALID_ARGS, "no URL", NULL, NULL);
    if ((r = crioimg_url_parse(&u, rq->url, strlen(rq->url))) != CRIOIMG_OK)
        return crioimg__http_fail(err, errcap, r, "not an absolute http(s) URL", NULL, NULL);
    /* libcurl would turn "user:pass@" into a Basic Authorization of its own and the sockets transport
       would drop it: neither is the caller's choice, so no transport sees one */
    if (u.has_userinfo) return crioimg__http_fail(err, errcap, CRIOIMG_ERR_INVALID_ARGS, "a URL with user information", NULL, NULL);
    if (rq->nheaders && rq->headers == NULL) return crioimg__http_fail(err, errcap, CRIOIMG_ERR_INVALID_ARGS, "no header array", NULL, NULL);
    for (i = 0; i < rq->nheaders; i++) {
        const crioimg_http_header *h = &rq->headers[i];
        if (h->name == NULL || h->value == NULL || !crioimg__http_token(h->name, strlen(h->name)))
            return crioimg__http_fail(err, errcap, CRIOIMG_ERR_INVALID_ARGS, "a request header name is not a token", NULL, NULL);
        if (!crioimg__http_value_ok(h->value, strlen(h->value)))
            return crioimg__http_fail(err, errcap, CRIOIMG_ERR_INVALID_ARGS, "a request header value has CR or LF", NULL, NULL);
    }
    if (strcmp(m, "POST") != 0 && (rq->body != NULL || rq->body_len))
        return crioimg__http_fail(err, errcap, CRIOIMG_ERR_INVALID_ARGS, "a body goes only with POST", NULL, NULL);
    if (rq->body_len && rq->body == NULL) return crioimg__http_fail(err, errcap, CRIOIMG_ERR_INVALID_ARGS, "no body bytes", NULL, NULL);
    if (rq->tls.nca_files && rq->tls.ca_files == NULL) return crioimg__http_fail(err, errcap, CRIOIMG_ERR_INVALID_ARGS, "no CA file array", NULL, NULL);
    for (i = 0; i < rq->tls.nca_files; i++)
        if (rq->tls.ca_files[i] == NULL) return crioimg__http_fail(err, errcap, CRIOIMG_ERR_INVALID_ARGS, "a CA file is NULL", NULL, NULL);
    if ((rq->tls.cert_file == NULL) != (rq->tls.key_file == NULL))
        return crioimg__http_fail(err, errcap, CRIOIMG_ERR_INVALID_ARGS, "a client certificate goes with its key", NULL, NULL);
    if (rq->connect_timeout_ms < 0 || rq->idle_timeout_ms < 0 || rq->header_timeout_ms < 0 || rq->total_timeout_ms < 0 || rq->min_period_ms < 0)
        return crioimg__http_fail(err, errcap, CRIOIMG_ERR_INVALID_ARGS, "a negative timeout", NULL, NULL);
    return CRIOIMG_OK;
}

/* The guard between a transport and the caller's sink: whatever the transport does, the sink sees a
   status, then bounded well-formed header fields, then the body (none for HEAD). The first thing it
   refuses sticks: a transport that ignores a stop gets the same answer again. */
#define CRIOIMG__HTTP_HEAD_MAX (256 * 1024)   /* one response's header fields together */

typedef struct crioimg__hguard {
    const crioimg_http_request *rq;   /* the caller's request, with its sink */
    int head, got_status, in_body;
    crioimg__hlim lim;                /* the time rules, checked on every callback */
    unsigned long long body_bytes;
    size_t head_bytes;                /* the header block so far: a flood of small fields is bounded too */
    crioimg_result r;                 /* OK until something stopped the transfer */
    char msg[128];                    /* why, when the guard stopped it (empty when the sink did) */
} crioimg__hguard;

static crioimg_result crioimg__hguard_stop(crioimg__hguard *g, crioimg_result r, const char *msg)
{
    if (g->r == CRIOIMG_OK) {
        crioimg__http_fail(g->msg, sizeof g->msg, r, msg, NULL, NULL);
        g->r = r;
    }
    return g->r;
}

/* on every callback: a stop sticks, a cancel is seen at once, and so is a time rule broken (a host's
   transport may keep none of them) */
static crioimg_result crioimg__hguard_enter(crioimg__hguard *g)
{
    const char *why = NULL;
    if (g->r != CRIOIMG_OK) return g->r;
    if (crioimg_cancelled(g->rq->cancel)) return crioimg__hguard_stop(g, CRIOIMG_ERR_CANCELLED, "cancelled");
    if (crioimg__hlim_check(&g->lim, crioimg__http_now_ms(), g->body_bytes, &why) != CRIOIMG_OK)
        return crioimg__hguard_stop(g, CRIOIMG_ERR_TIMEOUT, why);
    return CRIOIMG_OK;
}

static crioimg_result crioimg__hguard_status(void *ctx, int code)
{
    crioimg__hguard *g = (crioimg__hguard *)ctx;
    crioimg_result r = crioimg__hguard_enter(g);
    if (r != CRIOIMG_OK) return r;
    if (g->got_status) return crioimg__hguard_stop(g, CRIOIMG_ERR_HTTP_PROTOCOL, "a second status from the transport");
    if (code < 200 || code > 999) return crioimg__hguard_stop(g, CRIOIMG_ERR_HTTP_PROTOCOL, "a status that is not a final response");
    g->got_status = 1;
    if (g->rq->sink.status && (r = g->rq->sink.status(g->rq->sink.ctx, code)) != CRIOIMG_OK) return crioimg__hguard_stop(g, r, "");
    return CRIOIMG_OK;
}

static crioimg_result crioimg__hguard_header(void *ctx, const char *name, size_t nlen, const char *value, size_t vlen)
{
    crioimg__hguard *g = (crioimg__hguard *)ctx;
    crioimg_result r = crioimg__hguard_enter(g);
    if (r != CRIOIMG_OK) return r;
    if (!g->got_status) return crioimg__hguard_stop(g, CRIOIMG_ERR_HTTP_PROTOCOL, "a header before the status");
    if (g->in_body) return crioimg__hguard_stop(g, CRIOIMG_ERR_HTTP_PROTOCOL, "a header after the body");
    if ((name == NULL && nlen) || (value == NULL && vlen)) return crioimg__hguard_stop(g, CRIOIMG_ERR_HTTP_PROTOCOL, "a NULL header");
    while (vlen && (value[0] == ' ' || value[0] == '\t')) value++, vlen--;
    while (vlen && (value[vlen - 1] == ' ' || value[vlen - 1] == '\t')) vlen--;
    if (nlen > CRIOIMG_HTTP_HEADER_MAX || vlen > CRIOIMG_HTTP_HEADER_MAX - nlen)
        return crioimg__hguard_stop(g, CRIOIMG_ERR_HTTP_PROTOCOL, "a response header field over 64 KiB");
    if (!crioimg__http_token(name, nlen)) return crioimg__hguard_stop(g, CRIOIMG_ERR_HTTP_PROTOCOL, "a response header name is not a token");
    if (!crioimg__http_value_ok(value, vlen)) return crioimg__hguard_stop(g, CRIOIMG_ERR_HTTP_PROTOCOL, "a response header value has CR, LF or NUL");
    if ((g->head_bytes += nlen + vlen + 4) > CRIOIMG__HTTP_HEAD_MAX)
        return crioimg__hguard_stop(g, CRIOIMG_ERR_HTTP_PROTOCOL, "response header block too long");
    if (g->rq->sink.header && (r = g->rq->sink.header(g->rq->sink.ctx, name, nlen, vlen ? value : "", vlen)) != CRIOIMG_OK)
        return crioimg__hguard_stop(g, r, "");
    return CRIOIMG_OK;
}

static crioimg_result crioimg__hguard_body(void *ctx, const void *data, size_t len)
{
    crioimg__hguard *g = (crioimg__hguard *)ctx;
    crioimg_result r;
    /* the body has started (the header deadline was met: only the transport knows exactly when) */
    if (g->r == CRIOIMG_OK && g->got_status) crioimg__hlim_body(&g->lim, crioimg__http_now_ms(), 0);
    g->body_bytes += len;
    r = crioimg__hguard_enter(g);
    if (r != CRIOIMG_OK) return r;
    if (!g->got_status) return crioimg__hguard_stop(g, CRIOIMG_ERR_HTTP_PROTOCOL, "body bytes before the status");
    if (len == 0) return CRIOIMG_OK;
    if (data == NULL) return crioimg__hguard_stop(g, CRIOIMG_ERR_HTTP_PROTOCOL, "NULL body bytes");
    if (g->head) return crioimg__hguard_stop(g, CRIOIMG_ERR_HTTP_PROTOCOL, "body bytes in answer to HEAD");
    g->in_body = 1;
    if (g->rq->sink.body && (r = g->rq->sink.body(g->rq->sink.ctx, data, len)) != CRIOIMG_OK) return crioimg__hguard_stop(g, r, "");
    return CRIOIMG_OK;
}

crioimg_result crioimg_http_do(crioimg_http *h, const crioimg_http_request *rq, char *err, size_t errcap)
{
    crioimg_http_request t;
    crioimg__hguard g;
    crioimg_result r;
    const char *method = "GET";
    if (err && errcap) err[0] = '\0';
    if (h == NULL || rq == NULL) return crioimg__http_fail(err, errcap, CRIOIMG_ERR_INVALID_ARGS, "no transport or no request", NULL, NULL);
    if ((r = crioimg__http_check(rq, &method, err, errcap)) != CRIOIMG_OK) return r;
    if (h->vt.request == NULL) return crioimg__http_fail(err, errcap, CRIOIMG_ERR_UNSUPPORTED, "the transport has no request method", NULL, NULL);
    if (crioimg_cancelled(rq->cancel)) return crioimg__http_fail(err, errcap, CRIOIMG_ERR_CANCELLED, "cancelled", NULL, NULL);
    memset(&g, 0, sizeof g);
    g.rq = rq;
    g.head = strcmp(method, "HEAD") == 0;
    /* from here a host's transport still has to connect (the built-in ones count from when they did) */
    crioimg__hlim_init(&g.lim, rq, crioimg__http_now_ms() + (rq->connect_timeout_ms > 0 ? rq->connect_timeout_ms : CRIOIMG_HTTP_CONNECT_TIMEOUT_MS));
    t = *rq;  /* what the transport sees: defaults filled in, the guard as its sink */
    t.method = method;
    if (t.connect_timeout_ms == 0) t.connect_timeout_ms = CRIOIMG_HTTP_CONNECT_TIMEOUT_MS;
    if (t.idle_timeout_ms == 0) t.idle_timeout_ms = CRIOIMG_HTTP_IDLE_TIMEOUT_MS;
    if (t.header_timeout_ms == 0) t.header_timeout_ms = CRIOIMG_HTTP_HEADER_TIMEOUT_MS;
    if (t.min_bytes == 0) t.min_bytes = CRIOIMG_HTTP_MIN_BYTES;
    if (t.min_period_ms == 0) t.min_period_ms = CRIOIMG_HTTP_MIN_PERIOD_MS;
    t.refuse_local_addresses = rq->refuse_local_addresses || !rq->allow_local_addresses;   /* zero refuses */
    t.sink.ctx = &g;
    t.sink.status = crioimg__hguard_status;
    t.sink.header = crioimg__hguard_header;
    t.sink.body = crioimg__hguard_body;
    r = h->vt.request(h->vt.user, &t, err, errcap);
    if (g.r != CRIOIMG_OK) {
        /* the guard's or the sink's stop wins over however the transport reported it */
        if (g.msg[0]) crioimg__http_fail(err, errcap, g.r, g.msg, NULL, NULL);
        else crioimg__http_fail(err, errcap, g.r, "the response sink stopped the transfer: ", NULL, crioimg_result_str(g.r));
        return g.r;
    }
    if (r == CRIOIMG_OK && !g.got_status)
        return crioimg__http_fail(err, errcap, CRIOIMG_ERR_HTTP_PROTOCOL, "the transport gave no status", NULL, NULL);
    if (r > 0) r = CRIOIMG_ERR_HTTP_PROTOCOL;  /* a host transport's stray positive value is no success */
    if (r != CRIOIMG_OK && err && errcap && err[0] == '\0') crioimg__http_fail(err, errcap, r, crioimg_result_str(r), NULL, NULL);
    return r;
}


/* ---- the libcurl transport ----

   One easy handle per crioimg_http, reset before each request: curl_easy_reset keeps the handle's
   connection and DNS caches, so requests to one registry reuse a connection. Proxies come from the
   environment as curl reads them (http_proxy, https_proxy/HTTPS_PROXY, all_proxy, no_proxy/NO_PROXY;
   nothing here sets CURLOPT_PROXY or CURLOPT_NOPROXY to turn that off), plus HTTP_PROXY in capitals,
   which curl ignores but Go's ProxyFromEnvironment (containers/image's) takes, except under CGI.

   curl_global_init: each open calls it and each close calls curl_global_cleanup; libcurl counts the
   calls, so the library's use nests inside the host's. On a libcurl without CURL_VERSION_THREADSAFE
   (before 7.84) that call is not thread-safe: a host with threads should call curl_global_init itself
   before it starts them (the library's calls then only move the count). */

#ifdef CRIOIMG_WITH_CURL
#include <curl/curl.h>
#include <stdlib.h>  /* getenv */

#define CRIOIMG__CURL_CA_MAX (16 * 1024 * 1024)  /* the system bundle and extra CAs together; ~200 KiB usual */

typedef struct crioimg__curl {
    CURL *easy;
    crioimg_allocator alloc;
    char *ca;            /* the PEM blob last built (system bundle + ca_files), for CURLOPT_CAINFO_BLOB */
    size_t ca_len;
    char *ca_key;        /* the ca_files it was built from, each with its NUL: rebuilt when they differ */
    size_t ca_key_len;
    char errbuf[CURL_ERROR_SIZE];
} crioimg__curl;

/* one request's state, shared by the callbacks */
typedef struct crioimg__curlx {
    const crioimg_http_request *rq;
    crioimg_result r;    /* why a callback stopped the transfer */
    int interim;         /* inside a 1xx response's header block: not reported */
    int in_body;         /* header lines after the body are trailers: not reported */
    CURL *easy;
    unsigned long long moved, moved_seen;  /* bytes through the callbacks, and at the last progress call */
    curl_off_t last_us;  /* when the progress callback last saw bytes move (curl's clock) */
    const char *why;     /* the detail when a callback stopped the transfer */
    crioimg__hlim lim;   /* header, total and progress rules, from when the connection is ready */
    int lim_on;
    unsigned long long body;   /* body bytes so far */
    int in_head;         /* between a status line and the end of its header block */
} crioimg__curlx;

/* the time rules start when the request can go (connection set up): connecting has its own timeout */
static void crioimg__curlx_lim_start(crioimg__curlx *c)
{
    if (!c->lim_on) { crioimg__hlim_init(&c->lim, c->rq, crioimg__http_now_ms()); c->lim_on = 1; }
}

static crioimg_result crioimg__curlx_stop(crioimg__curlx *c, crioimg_result r)
{
    if (c->r == CRIOIMG_OK) c->r = r;
    return c->r;
}

/* "HTTP/1.1 200 OK", "HTTP/2 404": the code, or -1 */
static int crioimg__curl_status_line(const char *p, size_t n)
{
    size_t i = 5;
    int code = 0, k;
    while (i < n && p[i] != ' ') i++;
    if (n - i < 4 || p[i] != ' ') return -1;
    for (k = 1; k <= 3; k++) {
        if (p[i + k] < '0' || p[i + k] > '9') return -1;
        code = code * 10 + (p[i + k] - '0');
    }
    if (n - i > 4 && p[i + 4] != ' ') return -1;
    return code;
}

/* one whole header line per call (curl's promise), with its CRLF */
static size_t crioimg__curl_on_header(char *p, size_t size, size_t nitems, void *u)
{
    crioimg__curlx *c = (crioimg__curlx *)u;
    const crioimg_http_sink *s = &c->rq->sink;
    size_t len = size * nitems, n = len;
    const char *colon;
    if (c->r != CRIOIMG_OK) return 0;
    c->moved += len;
    if (n && p[n - 1] == '\n') n--;
    if (n && p[n - 1] == '\r') n--;
    if (n >= 5 && memcmp(p, "HTTP/", 5) == 0) {  /* a name is a token: no '/' in it, so a status line */
        int code = crioimg__curl_status_line(p, n);
        if (code < 100) { crioimg__curlx_stop(c, CRIOIMG_ERR_HTTP_PROTOCOL); return 0; }
        c->interim = code < 200;
        c->in_head = 1;
        if (!c->interim && s->status && crioimg__curlx_stop(c, s->status(s->ctx, code)) != CRIOIMG_OK) return 0;
        return len;
    }
    if (n == 0) c->in_head = 0;
    if (n == 0 && !c->interim && !c->in_body) {   /* the final header block is complete */
        crioimg__curlx_lim_start(c);
        crioimg__hlim_body(&c->lim, crioimg__http_now_ms(), 0);
    }
    if (n == 0 || c->interim || c->in_body) return len;  /* the end of a block, a 1xx's fields, trailers */
    if (p[0] == ' ' || p[0] == '\t' || (colon = (const char *)memchr(p, ':', n)) == NULL) {
        crioimg__curlx_stop(c, CRIOIMG_ERR_HTTP_PROTOCOL);  /* obsolete line folding, or no field at all */
        return 0;
    }
    if (s->header) {
        const char *v = colon + 1;
        size_t vl = (size_t)(p + n - v);
        while (vl && (*v == ' ' || *v == '\t')) v++, vl--;
        while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t')) vl--;
        if (crioimg__curlx_stop(c, s->header(s->ctx, p, (size_t)(colon - p), v, vl)) != CRIOIMG_OK) return 0;
    }
    return len;
}

static size_t crioimg__curl_on_body(char *p, size_t size, size_t nitems, void *u)
{
    crioimg__curlx *c = (crioimg__curlx *)u;
    size_t len = size * nitems;
    if (c->r != CRIOIMG_OK) return 0;
    c->in_body = 1;
    c->body += len;
    if (len && c->rq->sink.body && crioimg__curlx_stop(c, c->rq->sink.body(c->rq->sink.ctx, p, len)) != CRIOIMG_OK) return 0;
    return len;
}

/* Called often, and about once a second when no byte moves: where a cancel is seen, and the idle
   timeout kept. curl's LOW_SPEED_TIME alone would be late: it averages the speed over the last five
   seconds or so, so a stall right after some bytes counts only once those have left its window. The
   clock starts when the connection is set up (PRETRANSFER): until then the connect timeout rules. */
static int crioimg__curl_on_progress(void *u, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    crioimg__curlx *c = (crioimg__curlx *)u;
    curl_off_t now = 0, ready = 0;
    unsigned long long key;
    (void)dt; (void)ut;
    if (c->r != CRIOIMG_OK) return 1;
    if (crioimg_cancelled(c->rq->cancel)) { c->why = "cancelled"; crioimg__curlx_stop(c, CRIOIMG_ERR_CANCELLED); return 1; }
    if (curl_easy_getinfo(c->easy, CURLINFO_TOTAL_TIME_T, &now) != CURLE_OK ||
        curl_easy_getinfo(c->easy, CURLINFO_PRETRANSFER_TIME_T, &ready) != CURLE_OK || ready <= 0)
        return 0;
    /* header bytes (counted by the callbacks), body bytes and request bytes (a slow POST) are activity */
    key = c->moved + (unsigned long long)dn + (unsigned long long)un;
    if (key != c->moved_seen || c->last_us < ready) { c->moved_seen = key; c->last_us = now > ready ? now : ready; }
    if ((now - c->last_us) / 1000 >= (curl_off_t)c->rq->idle_timeout_ms) {
        c->why = "no data within the idle timeout";
        crioimg__curlx_stop(c, CRIOIMG_ERR_TIMEOUT);
        return 1;
    }
    /* a drip keeps the idle clock happy: the header, total and progress rules end it */
    crioimg__curlx_lim_start(c);
    if (crioimg__hlim_check(&c->lim, crioimg__http_now_ms(), c->body, &c->why) != CRIOIMG_OK) {
        crioimg__curlx_stop(c, CRIOIMG_ERR_TIMEOUT);
        return 1;
    }
    return 0;
}

/* appends the file at path to the blob, with a newline (a PEM file need not end with one); read as every
   configuration file is (crioimg__config_read): a FIFO or a device among the CA files is refused, not
   waited on. ERR_IO when it cannot be read, ERR_TOO_BIG past the blob's cap. */
static crioimg_result crioimg__curl_ca_add(crioimg__curl *k, size_t *cap, const char *path)
{
    char *d;
    size_t n;
    crioimg_result r;
    if (k->ca_len >= CRIOIMG__CURL_CA_MAX) return CRIOIMG_ERR_TOO_BIG;
    r = crioimg__config_read(path, CRIOIMG__CURL_CA_MAX - k->ca_len, &k->alloc, &d, &n, NULL);
    if (r == CRIOIMG_ERR_NOT_FOUND) r = CRIOIMG_ERR_IO;
    if (r != CRIOIMG_OK) return r;
    if (*cap - k->ca_len < n + 1) {
        size_t nc = *cap ? *cap * 2 : 256 * 1024;
        char *p;
        if (nc < k->ca_len + n + 1) nc = k->ca_len + n + 1;
        if (nc > CRIOIMG__CURL_CA_MAX + 1) nc = CRIOIMG__CURL_CA_MAX + 1;
        if ((p = (char *)crioimg_realloc(&k->alloc, k->ca, nc)) == NULL) { crioimg_free(&k->alloc, d); return CRIOIMG_ERR_NOMEM; }
        k->ca = p; *cap = nc;
    }
    memcpy(k->ca + k->ca_len, d, n);
    k->ca_len += n;
    k->ca[k->ca_len++] = '\n';
    crioimg_free(&k->alloc, d);
    return CRIOIMG_OK;
}

/* A CA directory OpenSSL can use: it holds at least one subject-hash link ("5a3f0ff8.0"). A directory
   without them (an image that ships only the bundle file) would silently trust nothing. 1: it has one;
   0: it has none, or cannot be opened; -1 with errno: reading it failed (not the same as "none"). */
static int crioimg__curl_hashed_dir(const char *path)
{
#ifdef CRIOIMG__HAVE_DIRENT
    DIR *d = opendir(path);
    struct dirent *e;
    int found = 0, en;
    if (d == NULL) return 0;
    while (!found) {
        const char *n;
        size_t i;
        errno = 0;   /* NULL with errno set is a failed read (EIO, EOVERFLOW), not the end of the listing */
        if ((e = readdir(d)) == NULL) {
            if (errno != 0) found = -1;
            break;
        }
        n = e->d_name;
        for (i = 0; i < 8 && crioimg__hexval(n[i]) >= 0; i++) {}
        found = i == 8 && n[8] == '.' && n[9] >= '0' && n[9] <= '9';
    }
    en = errno;
    closedir(d);
    errno = en;
    return found;
#else
    (void)path;
    return 0;   /* no way to look: the bundle it is */
#endif
}

/* The PEM blob of the system's CAs and t's ca_files: libcurl takes one CA source (CAINFO), and extra
   CAs must not replace the system's. Rebuilt only when the list of files changes. */
static crioimg_result crioimg__curl_ca_blob(crioimg__curl *k, const crioimg_tls_config *t, char *err, size_t errcap)
{
    static const char *const fallback[] = { "/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt",
                                            "/etc/ssl/cert.pem", "/etc/ssl/ca-bundle.pem" };
    const curl_version_info_data *vi = curl_version_info(CURLVERSION_NOW);
    size_t i, keylen = 0, cap = 0;
    crioimg_result r = CRIOIMG_OK;
    char *key, *kp;
    int hashed = 0;
    for (i = 0; i < t->nca_files; i++) keylen += strlen(t->ca_files[i]) + 1;
    if (k->ca && keylen == k->ca_key_len) {
        for (i = 0, kp = k->ca_key; i < t->nca_files; kp += strlen(kp) + 1, i++) if (strcmp(kp, t->ca_files[i]) != 0) break;
        if (i == t->nca_files) return CRIOIMG_OK;
    }
    crioimg_free(&k->alloc, k->ca); crioimg_free(&k->alloc, k->ca_key);
    k->ca = k->ca_key = NULL; k->ca_len = k->ca_key_len = 0;
    if ((key = (char *)crioimg_malloc(&k->alloc, keylen + 1)) == NULL) return CRIOIMG_ERR_NOMEM;
    for (i = 0, kp = key; i < t->nca_files; i++) { size_t l = strlen(t->ca_files[i]) + 1; memcpy(kp, t->ca_files[i], l); kp += l; }
    /* The system's CAs: a CA blob replaces curl's CA file but not its CA path, so when this libcurl has a
       CA path with subject-hash links (/etc/ssl/certs on Debian) the system's CAs come from there, looked up
       only as a chain needs them; parsing the whole bundle instead costs 20-30 ms a process. Else the
       bundle this libcurl was built with, else the usual places. */
    if (vi && vi->age >= CURLVERSION_SEVENTH && vi->capath && (hashed = crioimg__curl_hashed_dir(vi->capath)) != 0) {
        if (hashed < 0) {   /* a failed read is an error, never "no links here" */
            crioimg__out o;
            const char *why = strerror(errno);
            o.p = err; o.cap = err ? errcap : 0; o.len = 0;
            crioimg__out_str(&o, "reading directory ");
            crioimg__out_str(&o, vi->capath);
            crioimg__out_str(&o, ": ");
            crioimg__out_str(&o, why);
            r = CRIOIMG_ERR_IO;
        }
    } else {
        if (vi && vi->age >= CURLVERSION_SEVENTH && vi->cainfo) r = crioimg__curl_ca_add(k, &cap, vi->cainfo);
        for (i = 0; (!vi || vi->age < CURLVERSION_SEVENTH || !vi->cainfo || r == CRIOIMG_ERR_IO) && i < sizeof fallback / sizeof *fallback; i++)
            if ((r = crioimg__curl_ca_add(k, &cap, fallback[i])) != CRIOIMG_ERR_IO) break;
        if (r == CRIOIMG_ERR_IO) r = CRIOIMG_OK;  /* no bundle file: the extra CAs alone */
    }
    for (i = 0; r == CRIOIMG_OK && i < t->nca_files; i++)
        if ((r = crioimg__curl_ca_add(k, &cap, t->ca_files[i])) != CRIOIMG_OK)
            crioimg__http_fail(err, errcap, r, "cannot read the CA file ", NULL, t->ca_files[i]);
    if (r != CRIOIMG_OK) {
        if (r == CRIOIMG_ERR_TOO_BIG) crioimg__http_fail(err, errcap, r, "the CA files are over 16 MiB", NULL, NULL);
        crioimg_free(&k->alloc, k->ca); crioimg_free(&k->alloc, key);
        k->ca = NULL; k->ca_len = 0;
        return r;
    }
    k->ca_key = key;
    k->ca_key_len = keylen;
    return CRIOIMG_OK;
}

/* "Name: value"; "Name;" for an empty value (curl reads "Name:" as "do not send Name") */
static crioimg_result crioimg__curl_headers(crioimg__curl *k, const crioimg_http_request *rq, struct curl_slist **out)
{
    size_t i;
    int expect = 0;
    *out = NULL;
    for (i = 0; i < rq->nheaders; i++) {
        const char *nm = rq->headers[i].name, *v = rq->headers[i].value;
        size_t nl = strlen(nm), vl = strlen(v);
        char *line = (char *)crioimg_malloc(&k->alloc, nl + vl + 3);
        struct curl_slist *n;
        if (line == NULL) return CRIOIMG_ERR_NOMEM;
        memcpy(line, nm, nl);
        if (vl) { line[nl] = ':'; line[nl + 1] = ' '; memcpy(line + nl + 2, v, vl + 1); }
        else { line[nl] = ';'; line[nl + 1] = '\0'; }
        n = curl_slist_append(*out, line);
        crioimg_free(&k->alloc, line);
        if (n == NULL) return CRIOIMG_ERR_NOMEM;
        *out = n;
        if (crioimg__ascii_ieq(nm, nl, "expect")) expect = 1;
    }
    if (!expect && rq->body_len) {
        /* curl would add "Expect: 100-continue" to a large POST and wait for the server: ask nothing */
        struct curl_slist *n = curl_slist_append(*out, "Expect:");
        if (n == NULL) return CRIOIMG_ERR_NOMEM;
        *out = n;
    }
    return CRIOIMG_OK;
}

static crioimg_result crioimg__curl_code(CURLcode cc, const crioimg__curlx *c)
{
    switch (cc) {
    case CURLE_OK: return CRIOIMG_OK;
    case CURLE_ABORTED_BY_CALLBACK: return c->r != CRIOIMG_OK ? c->r : CRIOIMG_ERR_CANCELLED;
    case CURLE_WRITE_ERROR: return c->r != CRIOIMG_OK ? c->r : CRIOIMG_ERR_IO;
    case CURLE_OPERATION_TIMEDOUT: return CRIOIMG_ERR_TIMEOUT;
    case CURLE_OUT_OF_MEMORY: return CRIOIMG_ERR_NOMEM;
    case CURLE_URL_MALFORMAT: return CRIOIMG_ERR_INVALID_ARGS;
    case CURLE_UNSUPPORTED_PROTOCOL: return CRIOIMG_ERR_UNSUPPORTED;
    case CURLE_SSL_CONNECT_ERROR: case CURLE_PEER_FAILED_VERIFICATION: case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER: case CURLE_SSL_CACERT_BADFILE: case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED: case CURLE_SSL_ENGINE_INITFAILED: case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_SSL_CRL_BADFILE: case CURLE_SSL_ISSUER_ERROR: case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS: case CURLE_USE_SSL_FAILED:
#if LIBCURL_VERSION_NUM >= 0x074d00
    case CURLE_SSL_CLIENTCERT:
#endif
        return CRIOIMG_ERR_HTTP_TLS;
    case CURLE_WEIRD_SERVER_REPLY: case CURLE_BAD_CONTENT_ENCODING: case CURLE_HTTP2: case CURLE_HTTP2_STREAM:
    case CURLE_RANGE_ERROR: case CURLE_HTTP_RETURNED_ERROR:
        return CRIOIMG_ERR_HTTP_PROTOCOL;
    default:  /* resolve, connect, send, receive, nothing or part of a body: the connection failed */
        return CRIOIMG_ERR_HTTP_CONNECT;
    }
}

/* What a TLS failure was, from libcurl's message (OpenSSL's verify and record-layer texts, as Debian's
   libcurl4-openssl builds them; another TLS backend's words fall through to "other") */
static int crioimg__curl_tls_kind(const char *m)
{
    static const struct { const char *needle; int kind; } rows[] = {
        { "certificate has expired", CRIOIMG__TLS_EXPIRED },
        { "certificate is not yet valid", CRIOIMG__TLS_FUTURE },
        { "unable to get local issuer certificate", CRIOIMG__TLS_UNTRUSTED },
        { "self-signed certificate", CRIOIMG__TLS_UNTRUSTED },
        { "self signed certificate", CRIOIMG__TLS_UNTRUSTED },
        { "unable to verify the first certificate", CRIOIMG__TLS_UNTRUSTED },
        { "subject name matches", CRIOIMG__TLS_NAME },
        { "does not match target host name", CRIOIMG__TLS_NAME },
        { "wrong version number", CRIOIMG__TLS_PLAIN },
        { "packet length too long", CRIOIMG__TLS_PLAIN },
        { "http request", CRIOIMG__TLS_PLAIN },
    };
    size_t i;
    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) if (strstr(m, rows[i].needle)) return rows[i].kind;
    return CRIOIMG__TLS_OTHER;
}

/* CURLOPT_OPENSOCKETFUNCTION: every socket close-on-exec, so a child the host runs (conmon, runc) does
   not inherit a registry connection; and when the request refuses local addresses, the address curl
   resolved is checked before the socket exists (curl goes on to the name's next address, if any). */
static curl_socket_t crioimg__curl_open_socket(void *u, curlsocktype purpose, struct curl_sockaddr *a)
{
    crioimg__curlx *c = (crioimg__curlx *)u;
    if (c->rq->refuse_local_addresses && purpose == CURLSOCKTYPE_IPCXN && crioimg__http_sockaddr_forbidden(&a->addr, a->addrlen)) {
        c->why = "refusing to connect to an unspecified or link-local address";
        return CURL_SOCKET_BAD;
    }
#ifdef SOCK_CLOEXEC
    return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);   /* not inherited by a child the host runs */
#else
    return socket(a->family, a->socktype, a->protocol);
#endif
}

/* the options of one request; CURLE_OK or the first that failed */
static CURLcode crioimg__curl_setup(crioimg__curl *k, const crioimg_http_request *rq, crioimg__curlx *c, struct curl_slist *hl)
{
    CURL *e = k->easy;
    CURLcode cc = CURLE_OK;
    const char *proxy;
#define CRIOIMG__CURL_SET(opt, val) do { if (cc == CURLE_OK) cc = curl_easy_setopt(e, opt, val); } while (0)
    CRIOIMG__CURL_SET(CURLOPT_ERRORBUFFER, k->errbuf);
    CRIOIMG__CURL_SET(CURLOPT_URL, rq->url);
#if LIBCURL_VERSION_NUM >= 0x075500
    CRIOIMG__CURL_SET(CURLOPT_PROTOCOLS_STR, "http,https");
#else
    CRIOIMG__CURL_SET(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    CRIOIMG__CURL_SET(CURLOPT_FOLLOWLOCATION, 0L);  /* the registry client follows, by its rules */
    CRIOIMG__CURL_SET(CURLOPT_NOSIGNAL, 1L);        /* no SIGALRM for name lookups: safe in threads */
    CRIOIMG__CURL_SET(CURLOPT_PATH_AS_IS, 1L);      /* the path as the client resolved it */
    CRIOIMG__CURL_SET(CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);  /* a proxy's CONNECT answer is not the response */
    CRIOIMG__CURL_SET(CURLOPT_TCP_KEEPALIVE, 1L);
    CRIOIMG__CURL_SET(CURLOPT_CONNECTTIMEOUT_MS, rq->connect_timeout_ms);
    /* idle: under 1 byte/s for the whole period aborts (curl counts in seconds: rounded up); a backstop
       for the progress callback's own, exact check */
    CRIOIMG__CURL_SET(CURLOPT_LOW_SPEED_LIMIT, 1L);
    CRIOIMG__CURL_SET(CURLOPT_LOW_SPEED_TIME, rq->idle_timeout_ms / 1000 + (rq->idle_timeout_ms % 1000 != 0));
    /* the total rule, as a backstop for the progress callback's own check (curl counts the connect too) */
    if (rq->total_timeout_ms > 0) CRIOIMG__CURL_SET(CURLOPT_TIMEOUT_MS, rq->total_timeout_ms + rq->connect_timeout_ms + 1000);
    CRIOIMG__CURL_SET(CURLOPT_NOPROGRESS, 0L);
    CRIOIMG__CURL_SET(CURLOPT_XFERINFOFUNCTION, crioimg__curl_on_progress);
    CRIOIMG__CURL_SET(CURLOPT_XFERINFODATA, c);
    CRIOIMG__CURL_SET(CURLOPT_HEADERFUNCTION, crioimg__curl_on_header);
    CRIOIMG__CURL_SET(CURLOPT_HEADERDATA, c);
    CRIOIMG__CURL_SET(CURLOPT_WRITEFUNCTION, crioimg__curl_on_body);
    CRIOIMG__CURL_SET(CURLOPT_WRITEDATA, c);
    CRIOIMG__CURL_SET(CURLOPT_OPENSOCKETFUNCTION, crioimg__curl_open_socket);
    CRIOIMG__CURL_SET(CURLOPT_OPENSOCKETDATA, c);
    if (rq->refuse_local_addresses) CRIOIMG__CURL_SET(CURLOPT_FRESH_CONNECT, 1L);   /* a cached connection was never checked */
    if (strcmp(rq->method, "HEAD") == 0) {
        CRIOIMG__CURL_SET(CURLOPT_NOBODY, 1L);
    } else if (strcmp(rq->method, "POST") == 0) {
        CRIOIMG__CURL_SET(CURLOPT_POST, 1L);
        CRIOIMG__CURL_SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)rq->body_len);
        CRIOIMG__CURL_SET(CURLOPT_POSTFIELDS, rq->body_len ? (const char *)rq->body : "");
    } else {
        CRIOIMG__CURL_SET(CURLOPT_HTTPGET, 1L);
    }
    if (hl) CRIOIMG__CURL_SET(CURLOPT_HTTPHEADER, hl);
    /* Go's ProxyFromEnvironment takes HTTP_PROXY too; curl only http_proxy (httpoxy: under CGI, HTTP_PROXY
       may come from a request's "Proxy:" header, so Go ignores it when REQUEST_METHOD is set). NO_PROXY
       still applies: curl checks it for a proxy set this way as well. */
    if (strncmp(rq->url, "http:", 5) == 0 && getenv("http_proxy") == NULL && getenv("REQUEST_METHOD") == NULL &&
        (proxy = getenv("HTTP_PROXY")) != NULL && proxy[0])
        CRIOIMG__CURL_SET(CURLOPT_PROXY, proxy);
    CRIOIMG__CURL_SET(CURLOPT_SSL_VERIFYPEER, !rq->tls.insecure_skip_verify ? 1L : 0L);
    CRIOIMG__CURL_SET(CURLOPT_SSL_VERIFYHOST, !rq->tls.insecure_skip_verify ? 2L : 0L);
    if (!rq->tls.insecure_skip_verify && rq->tls.nca_files) {
#if LIBCURL_VERSION_NUM >= 0x074d00
        struct curl_blob b;
        b.data = k->ca; b.len = k->ca_len; b.flags = CURL_BLOB_COPY;  /* a connection keeps its TLS settings */
        CRIOIMG__CURL_SET(CURLOPT_CAINFO_BLOB, &b);
#else
        if (cc == CURLE_OK) cc = CURLE_NOT_BUILT_IN;
#endif
    }
    if (rq->tls.cert_file) {
        CRIOIMG__CURL_SET(CURLOPT_SSLCERT, rq->tls.cert_file);
        CRIOIMG__CURL_SET(CURLOPT_SSLCERTTYPE, "PEM");
        CRIOIMG__CURL_SET(CURLOPT_SSLKEY, rq->tls.key_file);
        CRIOIMG__CURL_SET(CURLOPT_SSLKEYTYPE, "PEM");
    }
#undef CRIOIMG__CURL_SET
    return cc;
}

static crioimg_result crioimg__curl_request(void *user, const crioimg_http_request *rq, char *err, size_t errcap)
{
    crioimg__curl *k = (crioimg__curl *)user;
    crioimg__curlx c;
    struct curl_slist *hl = NULL;
    crioimg_result r;
    CURLcode cc;
    memset(&c, 0, sizeof c);
    c.rq = rq;
    c.easy = k->easy;
    curl_easy_reset(k->easy);  /* every option back to its default; the connection cache stays */
    k->errbuf[0] = '\0';
    if (!rq->tls.insecure_skip_verify && rq->tls.nca_files && (r = crioimg__curl_ca_blob(k, &rq->tls, err, errcap)) != CRIOIMG_OK) return r;
    if ((r = crioimg__curl_headers(k, rq, &hl)) != CRIOIMG_OK) {
        curl_slist_free_all(hl);
        return crioimg__http_fail(err, errcap, r, "cannot build the request headers", NULL, NULL);
    }
    cc = crioimg__curl_setup(k, rq, &c, hl);
    if (cc != CURLE_OK) {
        curl_slist_free_all(hl);
        curl_easy_reset(k->easy);
        return crioimg__http_fail(err, errcap, CRIOIMG_ERR_UNSUPPORTED, "libcurl refused an option: ", NULL, curl_easy_strerror(cc));
    }
    cc = curl_easy_perform(k->easy);
    curl_easy_setopt(k->easy, CURLOPT_HTTPHEADER, (struct curl_slist *)NULL);  /* the list goes now */
    curl_slist_free_all(hl);
    r = crioimg__curl_code(cc, &c);
    if (cc == CURLE_OUT_OF_MEMORY && c.in_head && c.r == CRIOIMG_OK) {
        /* libcurl's word for a header line over its 100 KB buffer: the response's fault, in the words
           the guard and the sockets transport use for a field over 64 KiB */
        r = CRIOIMG_ERR_HTTP_PROTOCOL;
        c.why = "a response header field over 64 KiB";
    }
    if (r != CRIOIMG_OK && c.why) crioimg__http_fail(err, errcap, r, c.why, NULL, NULL);
    else if (r != CRIOIMG_OK) {
        const char *detail = k->errbuf[0] ? k->errbuf : curl_easy_strerror(cc);
        crioimg__tls_fail_words(err, errcap, r, r == CRIOIMG_ERR_HTTP_TLS ? crioimg__curl_tls_kind(detail) : CRIOIMG__TLS_OTHER, "curl: ", detail);
    }
    /* The handle kept pointers to this call's state (&c for the callbacks, the caller's POST body and
       URL): reset now, so that nothing between requests (a close, a failed next setup) can reach them
       once they are gone. The connection cache survives a reset. */
    curl_easy_reset(k->easy);
    return r;
}

static void crioimg__curl_close(void *user)
{
    crioimg__curl *k = (crioimg__curl *)user;
    crioimg_allocator a = k->alloc;
    if (k->easy) curl_easy_cleanup(k->easy);
    crioimg_free(&a, k->ca);
    crioimg_free(&a, k->ca_key);
    crioimg_free(&a, k);
    curl_global_cleanup();  /* pairs with the open's curl_global_init: libcurl counts them */
}
#endif /* CRIOIMG_WITH_CURL */

crioimg_result crioimg_http_open_curl(crioimg_http **out, const crioimg_allocator *alloc)
{
#ifdef CRIOIMG_WITH_CURL
    crioimg__curl *k;
    if (out == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    *out = NULL;
    if (crioimg_allocator_check(alloc) != CRIOIMG_OK) return CRIOIMG_ERR_INVALID_ARGS;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) return CRIOIMG_ERR_HTTP_NO_TRANSPORT;
    k = (crioimg__curl *)crioimg_malloc(alloc, sizeof *k);
    if (k == NULL) { curl_global_cleanup(); return CRIOIMG_ERR_NOMEM; }
    memset(k, 0, sizeof *k);
    if (alloc) k->alloc = *alloc;
    if ((k->easy = curl_easy_init()) == NULL) { crioimg__curl_close(k); return CRIOIMG_ERR_NOMEM; }
    return crioimg__http_open_builtin(out, k, crioimg__curl_request, crioimg__curl_close, alloc);
#else
    (void)alloc;
    if (out) *out = NULL;
    return CRIOIMG_ERR_HTTP_NO_TRANSPORT;
#endif
}

/* ---- certificates for a registry: containers/image's dockerCertDir + tlsclientconfig.SetupCertificates ---- */

#ifdef CRIOIMG__HAVE_DIRENT
#include <sys/stat.h>

/* the names of one directory, sorted by name (Go's os.ReadDir order) */
typedef struct crioimg__tlsdir { char **names; size_t n; } crioimg__tlsdir;

static crioimg_result crioimg__tls_fail(char *err, size_t errcap, crioimg_result r, const char *a, const char *b, const char *c, const char *d)
{
    crioimg__out o;
    o.p = err; o.cap = err ? errcap : 0; o.len = 0;
    if (o.cap) err[0] = '\0';
    if (a) crioimg__out_str(&o, a);
    if (b) crioimg__out_str(&o, b);
    if (c) crioimg__out_str(&o, c);
    if (d) crioimg__out_str(&o, d);
    return r;
}

/* dir + "/" + name, from the allocator; NULL when out of memory */
static char *crioimg__tls_join(const crioimg_allocator *a, const char *dir, const char *name, const char *suffix)
{
    size_t dl = strlen(dir), nl = strlen(name), sl = suffix ? strlen(suffix) : 0;
    char *p = (char *)crioimg_malloc(a, dl + nl + sl + 2);
    if (p == NULL) return NULL;
    memcpy(p, dir, dl);
    p[dl] = '/';
    memcpy(p + dl + 1, name, nl);
    if (sl) memcpy(p + dl + 1 + nl, suffix, sl);
    p[dl + 1 + nl + sl] = '\0';
    return p;
}

/* A directory's entries. A missing or unreadable (permission) directory has none, as Go skips it. */
static crioimg_result crioimg__tls_readdir(const crioimg_allocator *a, const char *dir, crioimg__tlsdir *d, char *err, size_t errcap)
{
    DIR *dh;
    struct dirent *e;
    crioimg_result r = CRIOIMG_OK;
    d->names = NULL; d->n = 0;
    if ((dh = opendir(dir)) == NULL) {
        int en = errno;
        if (en == ENOENT || en == EACCES || en == EPERM) return CRIOIMG_OK;
        return crioimg__tls_fail(err, errcap, CRIOIMG_ERR_TLS_FILES, "open ", dir, ": ", strerror(en));
    }
    while (r == CRIOIMG_OK) {
        errno = 0;   /* NULL with errno set is a failed read (EOVERFLOW, EIO), not the end of the listing */
        if ((e = readdir(dh)) == NULL) {
            if (errno != 0) r = crioimg__tls_fail(err, errcap, CRIOIMG_ERR_TLS_FILES, "read ", dir, ": ", strerror(errno));
            break;
        }
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        r = crioimg__reg_list_add(a, &d->names, &d->n, e->d_name, strlen(e->d_name));  /* core's */
    }
    closedir(dh);
    if (r != CRIOIMG_OK) return r;
    if (d->n > 1) qsort(d->names, d->n, sizeof *d->names, crioimg__strptr_cmp);
    return CRIOIMG_OK;
}

static int crioimg__tls_has(const crioimg__tlsdir *d, const char *name, size_t base, const char *suffix)
{
    size_t i, sl = strlen(suffix);
    for (i = 0; i < d->n; i++)
        if (strlen(d->names[i]) == base + sl && memcmp(d->names[i], name, base) == 0 && strcmp(d->names[i] + base, suffix) == 0) return 1;
    return 0;
}

static int crioimg__tls_ends(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* A file TLS will read: it must be a readable regular file (symlinks followed, as Go follows them).
   *gone is set, with OK, for a dangling entry (Go warns and goes on). */
static crioimg_result crioimg__tls_file(const char *path, int *gone, char *err, size_t errcap)
{
    struct stat st;
    char reason[96];
    crioimg__out why;
    *gone = 0;
    if (stat(path, &st) != 0) {
        int en = errno;
        if (en == ENOENT) { *gone = 1; return CRIOIMG_OK; }
        return crioimg__tls_fail(err, errcap, CRIOIMG_ERR_TLS_FILES, "open ", path, ": ", strerror(en));
    }
    if (!S_ISREG(st.st_mode)) return crioimg__tls_fail(err, errcap, CRIOIMG_ERR_TLS_FILES, "not a regular file: ", path, NULL, NULL);
    /* opened as every configuration file is (never blocking): a FIFO swapped in after the stat is refused */
    why.p = reason; why.cap = sizeof reason; why.len = 0; reason[0] = '\0';
    if (crioimg__config_read(path, 0, NULL, NULL, NULL, &why) != CRIOIMG_OK)
        return crioimg__tls_fail(err, errcap, CRIOIMG_ERR_TLS_FILES, "open ", path, ": ", reason);
    return CRIOIMG_OK;
}

static crioimg_result crioimg__tls_pair_file(const char *path, char *err, size_t errcap)
{
    int gone;
    crioimg_result r = crioimg__tls_file(path, &gone, err, errcap);
    if (r == CRIOIMG_OK && gone) r = crioimg__tls_fail(err, errcap, CRIOIMG_ERR_TLS_FILES, "open ", path, ": ", strerror(ENOENT));
    return r;
}

/* dockerCertDir: cert_dir itself, else ROOT/host for the first ROOT where that exists (stat; missing
   or forbidden goes on to the next), else none (*dir NULL). */
static crioimg_result crioimg__tls_dir(const crioimg_allocator *a, const char *host, const char *cert_dir,
                                       const char *const *roots, char **dir, char *err, size_t errcap)
{
    const char *defaults[4];
    char *home_root = NULL;
    const char *home;
    crioimg_result r = CRIOIMG_OK;
    size_t i;
    *dir = NULL;
    if (cert_dir) {
        size_t l = strlen(cert_dir);
        if ((*dir = (char *)crioimg_malloc(a, l + 1)) == NULL) return CRIOIMG_ERR_NOMEM;
        memcpy(*dir, cert_dir, l + 1);
        return CRIOIMG_OK;
    }
    if (roots == NULL) {
        size_t n = 0;
        if ((home = getenv("HOME")) != NULL && home[0]) {
            if ((home_root = crioimg__tls_join(a, home, ".config/containers/certs.d", NULL)) == NULL) return CRIOIMG_ERR_NOMEM;
            defaults[n++] = home_root;
        }
        defaults[n++] = "/etc/containers/certs.d";
        defaults[n++] = "/etc/docker/certs.d";
        defaults[n] = NULL;
        roots = defaults;
    }
    for (i = 0; roots[i] != NULL; i++) {
        struct stat st;
        char *p = crioimg__tls_join(a, roots[i], host, NULL);
        int en;
        if (p == NULL) { r = CRIOIMG_ERR_NOMEM; break; }
        if (stat(p, &st) == 0) { *dir = p; break; }
        en = errno;
        if (en != ENOENT && en != ENOTDIR && en != EACCES && en != EPERM) {
            r = crioimg__tls_fail(err, errcap, CRIOIMG_ERR_TLS_FILES, "stat ", p, ": ", strerror(en));
            crioimg_free(a, p);
            break;
        }
        crioimg_free(a, p);
    }
    crioimg_free(a, home_root);
    return r;
}

/* SetupCertificates over the sorted names: the CA files, and the first client pair by name (Go loads
   every pair and its TLS stack sends the first, unless the server's request narrows the choice) */
static crioimg_result crioimg__tls_scan(const crioimg_allocator *a, const char *dir, const crioimg__tlsdir *d,
                                        char **cas, size_t *nca, char **cert, char **key, char *err, size_t errcap)
{
    size_t i;
    for (i = 0; i < d->n; i++) {
        const char *nm = d->names[i];
        size_t l = strlen(nm);
        crioimg_result r;
        int gone;
        if (crioimg__tls_ends(nm, ".crt")) {
            if ((cas[*nca] = crioimg__tls_join(a, dir, nm, NULL)) == NULL) return CRIOIMG_ERR_NOMEM;
            r = crioimg__tls_file(cas[*nca], &gone, err, errcap);
            if (r != CRIOIMG_OK || gone) { crioimg_free(a, cas[*nca]); cas[*nca] = NULL; if (r != CRIOIMG_OK) return r; }
            else (*nca)++;
        } else if (crioimg__tls_ends(nm, ".cert")) {
            char *c, *k;
            if (!crioimg__tls_has(d, nm, l - 5, ".key")) {
                crioimg__out o;
                o.p = err; o.cap = err ? errcap : 0; o.len = 0;
                if (o.cap) err[0] = '\0';
                crioimg__out_str(&o, "missing key ");
                crioimg__out_put(&o, nm, l - 5);
                crioimg__out_str(&o, ".key for client certificate ");
                crioimg__out_str(&o, nm);
                crioimg__out_str(&o, ". Note that CA certificates should use the extension .crt");
                return CRIOIMG_ERR_TLS_FILES;
            }
            if ((c = crioimg__tls_join(a, dir, nm, NULL)) == NULL) return CRIOIMG_ERR_NOMEM;
            if ((k = crioimg__tls_join(a, dir, nm, NULL)) == NULL) { crioimg_free(a, c); return CRIOIMG_ERR_NOMEM; }
            memcpy(k + strlen(k) - 5, ".key", 5);
            /* the pair is loaded, not just listed: a dangling one fails as LoadX509KeyPair does */
            if ((r = crioimg__tls_pair_file(c, err, errcap)) != CRIOIMG_OK || (r = crioimg__tls_pair_file(k, err, errcap)) != CRIOIMG_OK) {
                crioimg_free(a, c); crioimg_free(a, k);
                return r;
            }
            if (*cert == NULL) { *cert = c; *key = k; }
            else { crioimg_free(a, c); crioimg_free(a, k); }
        } else if (crioimg__tls_ends(nm, ".key")) {
            if (!crioimg__tls_has(d, nm, l - 4, ".cert")) {
                crioimg__out o;
                o.p = err; o.cap = err ? errcap : 0; o.len = 0;
                if (o.cap) err[0] = '\0';
                crioimg__out_str(&o, "missing client certificate ");
                crioimg__out_put(&o, nm, l - 4);
                crioimg__out_str(&o, ".cert for key ");
                crioimg__out_str(&o, nm);
                return CRIOIMG_ERR_TLS_FILES;
            }
        }
    }
    return CRIOIMG_OK;
}

/* everything found, in one block: the CA pointer array, then the strings */
static crioimg_result crioimg__tls_pack(crioimg_tls_files *out, char **cas, size_t nca, const char *cert, const char *key)
{
    size_t i, total = nca * sizeof(char *) + 1;
    char *p;
    const char **arr;
    for (i = 0; i < nca; i++) total += strlen(cas[i]) + 1;
    if (cert) total += strlen(cert) + strlen(key) + 2;
    if ((out->arena = crioimg_malloc(&out->alloc, total)) == NULL) return CRIOIMG_ERR_NOMEM;
    arr = (const char **)out->arena;
    p = (char *)(arr + nca);
    for (i = 0; i < nca; i++) { size_t l = strlen(cas[i]) + 1; memcpy(p, cas[i], l); arr[i] = p; p += l; }
    if (cert) {
        size_t l = strlen(cert) + 1;
        memcpy(p, cert, l); out->config.cert_file = p; p += l;
        l = strlen(key) + 1;
        memcpy(p, key, l); out->config.key_file = p;
    }
    out->config.ca_files = nca ? arr : NULL;
    out->config.nca_files = nca;
    return CRIOIMG_OK;
}
#endif /* CRIOIMG__HAVE_DIRENT */

crioimg_result crioimg_tls_files_load(crioimg_tls_files *out, const char *host, const char *cert_dir, const char *const *roots,
                                      const crioimg_allocator *alloc, char *err, size_t errcap)
{
#ifdef CRIOIMG__HAVE_DIRENT
    crioimg__tlsdir d;
    char *dir = NULL, **cas = NULL, *cert = NULL, *key = NULL;
    size_t nca = 0, i;
    crioimg_result r;
#endif
    if (err && errcap) err[0] = '\0';
    if (out == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    memset(out, 0, sizeof *out);
    out->config.insecure_skip_verify = 0;
    if (crioimg_allocator_check(alloc) != CRIOIMG_OK) return CRIOIMG_ERR_INVALID_ARGS;
    if (alloc) out->alloc = *alloc;
    /* host becomes a path component: nothing that could climb out of the root */
    if (host == NULL || host[0] == '\0' || strchr(host, '/') != NULL || strcmp(host, ".") == 0 || strcmp(host, "..") == 0)
        return crioimg__http_fail(err, errcap, CRIOIMG_ERR_INVALID_ARGS, "not a registry host: ", NULL, host ? host : "(null)");
#ifdef CRIOIMG__HAVE_DIRENT
    if ((r = crioimg__tls_dir(&out->alloc, host, cert_dir, roots, &dir, err, errcap)) != CRIOIMG_OK || dir == NULL) return r;
    r = crioimg__tls_readdir(&out->alloc, dir, &d, err, errcap);
    if (r == CRIOIMG_OK && d.n && (cas = (char **)crioimg_malloc(&out->alloc, d.n * sizeof *cas)) == NULL) r = CRIOIMG_ERR_NOMEM;
    if (r == CRIOIMG_OK) r = crioimg__tls_scan(&out->alloc, dir, &d, cas, &nca, &cert, &key, err, errcap);
    if (r == CRIOIMG_OK) r = crioimg__tls_pack(out, cas, nca, cert, key);
    for (i = 0; i < nca; i++) crioimg_free(&out->alloc, cas[i]);
    crioimg_free(&out->alloc, cas);
    crioimg_free(&out->alloc, cert);
    crioimg_free(&out->alloc, key);
    crioimg__strlist_free(&out->alloc, d.names, d.n);
    crioimg_free(&out->alloc, dir);
    if (r == CRIOIMG_ERR_NOMEM) crioimg__http_fail(err, errcap, r, "out of memory", NULL, NULL);
    return r;
#else
    (void)cert_dir; (void)roots;
    return crioimg__http_fail(err, errcap, CRIOIMG_ERR_UNSUPPORTED, "no directory listing on this platform", NULL, NULL);
#endif
}

void crioimg_tls_files_free(crioimg_tls_files *f)
{
    crioimg_allocator a;
    if (f == NULL) return;
    a = f->alloc;
    crioimg_free(&a, f->arena);
    memset(f, 0, sizeof *f);
}
