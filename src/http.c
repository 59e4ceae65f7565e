/* ---------------------------------------------------------------------------------------------------
   http implementation
   --------------------------------------------------------------------------------------------------- */

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
    *keep_auth = crioimg_url_same_origin(from, to) && !to->has_userinfo;  /* credentials in a Location: not ours to add to */
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
            int d = crioimg__hexval(s[i]);  /* the registries module's */
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
    return (a >> 24) == 0 || (a >> 16) == 0xa9feUL;  /* 0.0.0.0/8 (this host), 169.254.0.0/16 (link-local) */
}

/* A realm host that is an unspecified or link-local address, however it is spelt: IPv4 in any
   inet_aton form, IPv6 with an IPv4 inside (mapped ::ffff:0:0/96, compatible ::/96, NAT64 64:ff9b::/96).
   A name is left to the connection, which checks the address it reaches. */
static int crioimg__http_host_forbidden(const crioimg_span *h)
{
    unsigned char b[16];
    unsigned long a;
    size_t n = h->len;
    if (n >= 2 && h->ptr[0] == '[') {
        static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
        static const unsigned char nat64[12] = { 0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0 };
        static const unsigned char zero[12] = { 0 };
        if (!crioimg__ip6_parse(h->ptr + 1, n - 2, b)) return 1;  /* unparseable literal: refuse (the registries module's parser) */
        if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return 1;        /* fe80::/10 */
        if (memcmp(b, mapped, 12) == 0 || memcmp(b, nat64, 12) == 0 || memcmp(b, zero, 12) == 0) {
            a = (unsigned long)b[12] << 24 | (unsigned long)b[13] << 16 | (unsigned long)b[14] << 8 | b[15];
            if (memcmp(b, zero, 12) == 0 && a == 1) return 0;       /* ::1, loopback */
            return crioimg__http_v4_forbidden(a) || memcmp(b, zero, 12) == 0;  /* :: and ::a.b.c.d are not for realms */
        }
        return 0;
    }
    if (n > 0 && h->ptr[n - 1] == '.') n--;  /* "169.254.169.254." */
    return crioimg__http_inet_aton(h->ptr, n, &a) && crioimg__http_v4_forbidden(a);
}

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
static size_t crioimg__http_digits(const char *s, size_t n, long long max, long long *v)
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
static long long crioimg__days_from_civil(long long y, unsigned m, unsigned d)
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

/* TEMPORARY: replaced by the transport branch at merge */

struct crioimg_http { crioimg_http_vtable vt; crioimg_allocator alloc; };

crioimg_result crioimg_http_open(crioimg_http **out, const crioimg_http_vtable *vt, const crioimg_allocator *alloc)
{
    crioimg_http *h;
    if (out) *out = NULL;
    if (out == NULL || vt == NULL || vt->version == 0 || vt->version > CRIOIMG_HTTP_VTABLE_VERSION || vt->request == NULL ||
        crioimg_allocator_check(alloc) != CRIOIMG_OK) return CRIOIMG_ERR_INVALID_ARGS;
    if ((h = (crioimg_http *)crioimg_malloc(alloc, sizeof *h)) == NULL) return CRIOIMG_ERR_NOMEM;
    memset(h, 0, sizeof *h);
    h->vt = *vt;
    if (alloc) h->alloc = *alloc;
    *out = h;
    return CRIOIMG_OK;
}

crioimg_result crioimg_http_open_curl(crioimg_http **out, const crioimg_allocator *alloc)
{
    (void)alloc;
    if (out) *out = NULL;
    return CRIOIMG_ERR_HTTP_NO_TRANSPORT;
}

crioimg_result crioimg_http_open_mbedtls(crioimg_http **out, const crioimg_allocator *alloc)
{
    (void)alloc;
    if (out) *out = NULL;
    return CRIOIMG_ERR_HTTP_NO_TRANSPORT;
}

crioimg_result crioimg_http_open_default(crioimg_http **out, const crioimg_allocator *alloc)
{
    return crioimg_http_open_curl(out, alloc);
}

crioimg_result crioimg_http_do(crioimg_http *h, const crioimg_http_request *rq, char *err, size_t errcap)
{
    crioimg_url u;
    if (err && errcap) err[0] = '\0';
    if (h == NULL || rq == NULL || rq->url == NULL || crioimg_url_parse(&u, rq->url, strlen(rq->url)) != CRIOIMG_OK)
        return CRIOIMG_ERR_INVALID_ARGS;
    return h->vt.request(h->vt.user, rq, err, errcap);
}

void crioimg_http_close(crioimg_http *h)
{
    crioimg_allocator a;
    if (h == NULL) return;
    if (h->vt.close) h->vt.close(h->vt.user);
    a = h->alloc;
    crioimg_free(&a, h);
}

crioimg_result crioimg_tls_files_load(crioimg_tls_files *out, const char *host, const char *cert_dir, const char *const *roots,
                                      const crioimg_allocator *alloc, char *err, size_t errcap)
{
    (void)host; (void)cert_dir; (void)roots;
    if (err && errcap) err[0] = '\0';
    if (out == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    memset(out, 0, sizeof *out);
    if (alloc) out->alloc = *alloc;
    out->config.verify = 1;
    return CRIOIMG_OK;
}

void crioimg_tls_files_free(crioimg_tls_files *f)
{
    if (f) memset(&f->config, 0, sizeof f->config);
}
