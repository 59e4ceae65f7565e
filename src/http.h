/* ---------------------------------------------------------------------------------------------------
   http: URLs and the safety rules of following them

   What a registry client must decide before it sends a byte: where a Location header points (relative
   references resolved as RFC 3986 section 5 says), whether a redirect may be followed and with which
   headers (never downgrade https to http; never carry Authorization to another scheme, host or port:
   CVE-2018-1000007 and the distribution-spec), whether a token realm may receive credentials (https
   only unless the registry is insecure, no userinfo, no unspecified or link-local address such as the
   cloud metadata 169.254.169.254: CVE-2019-10214 and later realm SSRFs), how long Retry-After says to
   wait, and whether a 206 answers the Range that was asked for. All pure functions over (ptr, len).
   --------------------------------------------------------------------------------------------------- */

typedef struct crioimg_url {
    int https;                 /* 1 for https, 0 for http (other schemes are refused) */
    crioimg_span userinfo;     /* before '@' in the authority; len 0 when absent */
    int has_userinfo;
    crioimg_span host;         /* as written; an IPv6 literal keeps its brackets */
    unsigned port;             /* the explicit port, else 80 or 443 */
    int has_port;
    crioimg_span path;         /* from the first '/' or '?' of the rest up to any '#'; may be empty */
} crioimg_url;

/* An absolute http(s) URL. ERR_INVALID_ARGS for anything malformed (bad port, empty host, spaces or
   control bytes), ERR_UNSUPPORTED for another scheme. Spans borrow from s. */
CRIOIMG_API crioimg_result crioimg_url_parse(crioimg_url *u, const char *s, size_t n);

/* Resolves reference ref (absolute, "//host/…", "/path", "path", "?query") against the absolute URL
   base, as RFC 3986 5.2 does (dot segments removed), into out (cap bytes with the NUL). Returns the
   result's length in *len; ERR_BUFFER_TOO_SMALL, or the errors of crioimg_url_parse. */
CRIOIMG_API crioimg_result crioimg_url_resolve(const char *base, size_t bn, const char *ref, size_t rn,
                                               char *out, size_t cap, size_t *len);

/* Same scheme, host (case-insensitively) and port: the only case where credentials may follow. */
CRIOIMG_API int crioimg_url_same_origin(const crioimg_url *a, const crioimg_url *b);

#define CRIOIMG_HTTP_MAX_REDIRECTS 10

/* May the client follow redirect number hop (1 for the first) from from to to? OK with *keep_auth set
   when Authorization may go along (same origin, and no userinfo in the target); ERR_HTTP_REDIRECT with
   err saying why: more than
   CRIOIMG_HTTP_MAX_REDIRECTS, or https to http. */
CRIOIMG_API crioimg_result crioimg_http_redirect_check(const crioimg_url *from, const crioimg_url *to, unsigned hop,
                                                       int *keep_auth, char *err, size_t errcap);

/* May a token realm receive credentials? https only (http too when allow_http: the registry itself is
   insecure), no userinfo, no unspecified (0.0.0.0, [::]) or link-local (169.254.0.0/16, fe80::/10)
   address. OK or ERR_AUTH_REALM with err saying why. */
CRIOIMG_API crioimg_result crioimg_auth_realm_check(const char *realm, size_t n, int allow_http, char *err, size_t errcap);

/* Retry-After: delta-seconds, or an HTTP-date in the IMF-fixdate form senders must use ("Sun, 06 Nov
   1994 08:49:37 GMT") taken against now (Unix seconds). *seconds >= 0 (a date in the past is 0).
   ERR_INVALID_ARGS otherwise (including the obsolete date forms): the caller backs off its own way. */
CRIOIMG_API crioimg_result crioimg_http_retry_after(const char *v, size_t n, long long now, long long *seconds);

/* Content-Range "bytes FIRST-LAST/TOTAL" (TOTAL may be "*": *total = -1). ERR_INVALID_ARGS when
   malformed or FIRST > LAST or LAST >= TOTAL. */
CRIOIMG_API crioimg_result crioimg_http_content_range(const char *v, size_t n, long long *first, long long *last,
                                                      long long *total);
/* A 206 answers "Range: bytes=offset-" correctly when its Content-Range starts at offset and ends at
   the blob's last byte (size - 1, size known; a total, when given, must be size). */
CRIOIMG_API int crioimg_http_resume_ok(const char *content_range, size_t n, long long offset, long long size);
