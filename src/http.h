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
   when Authorization may go along (same origin); ERR_HTTP_REDIRECT with err saying why: more than
   CRIOIMG_HTTP_MAX_REDIRECTS, https to http, userinfo in the target, or a target host that is an
   unspecified, link-local or metadata address in any spelling (as crioimg_auth_realm_check refuses; a
   name that resolves to one is the transport's to refuse: refuse_local_addresses). */
CRIOIMG_API crioimg_result crioimg_http_redirect_check(const crioimg_url *from, const crioimg_url *to, unsigned hop,
                                                       int *keep_auth, char *err, size_t errcap);

/* May a token realm receive credentials? https only (http too when allow_http: the registry itself is
   insecure), no userinfo, no unspecified (0.0.0.0, [::]), link-local (169.254.0.0/16, fe80::/10) or
   well-known cloud metadata address (100.100.100.200, fd00:ec2::254), in any IPv4-in-IPv6 form either.
   OK or ERR_AUTH_REALM with err saying why. */
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

/* ---- the transport ----

   One HTTP request at a time, through a vtable the host supplies or a built-in one:

     crioimg_http *h;
     crioimg_http_open_default(&h, NULL);        libcurl (CRIOIMG_WITH_CURL), else sockets + mbedtls
                                                  (CRIOIMG_WITH_MBEDTLS), else ERR_HTTP_NO_TRANSPORT;
                                                  or crioimg_http_open(&h, &my_vtable, NULL)
     crioimg_http_request rq = {0};               a zeroed request means defaults (local addresses
                                                  refused: see allow_local_addresses)
     rq.method = "GET"; rq.url = "https://quay.io/v2/"; rq.sink = my_sink;   (TLS verified)
     crioimg_http_do(h, &rq, err, sizeof err);
     crioimg_http_close(h);

   A transport never follows redirects and never retries: the registry client does both, by the
   rules above. crioimg_http_do checks the request before the transport sees it (an absolute http(s)
   URL, header names and values without CR/LF/NUL) and stands between the transport and the sink, so
   that even a host's transport cannot hand the sink a header field over CRIOIMG_HTTP_HEADER_MAX bytes,
   a header before the status, or body bytes of a HEAD. */

#define CRIOIMG_HTTP_VTABLE_VERSION 1
#define CRIOIMG_HTTP_HEADER_MAX (64 * 1024)         /* one header field, name and value */
#define CRIOIMG_HTTP_CONNECT_TIMEOUT_MS 30000       /* defaults for a zeroed request */
#define CRIOIMG_HTTP_IDLE_TIMEOUT_MS    30000       /* a registry that stops sending is reported in 30 s */
#define CRIOIMG_HTTP_HEADER_TIMEOUT_MS  30000       /* the whole header block, however it trickles in */
#define CRIOIMG_HTTP_MIN_BYTES          1024        /* the body's minimum progress: this many bytes ... */
#define CRIOIMG_HTTP_MIN_PERIOD_MS      30000       /* ... in every period this long */

typedef struct crioimg_http_header { const char *name, *value; } crioimg_http_header;

/* What TLS must check for one request. Zeroed (the default): the peer's chain against the system
   CAs plus ca_files, and the host name. insecure_skip_verify 1: nothing (only for a registry that is
   insecure, or --tls-verify=false); named as Go's tls.Config names it, so that a zeroed struct is
   the safe choice. A client certificate goes with its key (both or neither). */
typedef struct crioimg_tls_config {
    int insecure_skip_verify;
    const char *const *ca_files;    /* PEM files trusted besides the system's CAs */
    size_t nca_files;
    const char *cert_file, *key_file;
} crioimg_tls_config;

/* Where a response goes: status once, then each header field in order (name and value with the
   surrounding white space trimmed; the final response's only, no interim 1xx), then the body as it
   arrives (never for HEAD). A callback that returns anything but OK stops the transfer and the request
   returns that result. NULL callbacks ignore what they would get. */
typedef struct crioimg_http_sink {
    void *ctx;
    crioimg_result (*status)(void *ctx, int code);
    crioimg_result (*header)(void *ctx, const char *name, size_t nlen, const char *value, size_t vlen);
    crioimg_result (*body)(void *ctx, const void *data, size_t len);
} crioimg_http_sink;

typedef struct crioimg_http_request {
    const char *method;                 /* NULL = "GET"; "HEAD", "POST" (token endpoints) */
    const char *url;                    /* absolute http(s) */
    const crioimg_http_header *headers; /* sent as given, in order */
    size_t nheaders;
    const void *body;                   /* POST only */
    size_t body_len;
    crioimg_tls_config tls;             /* for https URLs */
    long connect_timeout_ms;            /* 0 = CRIOIMG_HTTP_CONNECT_TIMEOUT_MS */
    long idle_timeout_ms;               /* no byte for this long aborts; 0 = CRIOIMG_HTTP_IDLE_TIMEOUT_MS */
    const volatile int *cancel;         /* when *cancel becomes nonzero the transfer stops: ERR_CANCELLED (crioimg_cancel, crioimg_cancelled) */
    crioimg_http_sink sink;
    /* 1: never connect to an unspecified (0.0.0.0/8, ::), link-local (169.254.0.0/16, fe80::/10) or
       metadata (100.100.100.200, fd00:ec2::254) address, IPv4-mapped, -compatible and NAT64 (64:ff9b::/96,
       64:ff9b:1::/48) forms included: the name is checked where it resolves,
       which crioimg_auth_realm_check cannot do (a realm "metadata.evil.io" may resolve to
       169.254.169.254). The built-in transports check every address they try (curl: each socket it
       opens, on a fresh connection; behind a proxy that is the proxy's address, and the proxy resolves
       the name unchecked: a host that sets proxies and fears its metadata service must filter there) and fail with
       ERR_HTTP_CONNECT when none is left; a host's transport should do the same. The registry client
       sets it for token requests and for every request a redirect chose. A zeroed request refuses them
       too, since 0.2: see allow_local_addresses, last. */
    int refuse_local_addresses;
    /* Time is bounded, not only silence: the idle timeout never fires on a server that drips one byte
       every few seconds. Counted from when the request is sent (connecting has its own timeout):
       header_timeout_ms: the status line and every header field (0 = CRIOIMG_HTTP_HEADER_TIMEOUT_MS);
       total_timeout_ms: the whole response, body included (0 = none: a blob may take long; the registry
       client sets it for manifests, tokens and error bodies);
       min_bytes / min_period_ms: once the body has started, fewer than min_bytes body bytes in any
       min_period_ms aborts (0 = CRIOIMG_HTTP_MIN_BYTES / CRIOIMG_HTTP_MIN_PERIOD_MS): a trickle ends.
       Each ends the request with ERR_TIMEOUT and a detail naming the rule. The built-in transports keep
       them to the period; crioimg_http_do checks them again whenever a host's transport hands it bytes.
       Appended last, zero meaning the defaults. */
    long header_timeout_ms;
    long total_timeout_ms;
    size_t min_bytes;
    long min_period_ms;
    /* Zero is safe (issue 13): crioimg_http_do refuses the addresses refuse_local_addresses names unless
       this is 1, and hands the transport refuse_local_addresses = 1 then (a host's transport reads only
       that field). 1: connect to whatever the name resolves to, as before 0.2 -- for a URL the user chose
       (the registry client sets it for the registry's own origin, whose address is the user's choice);
       refuse_local_addresses 1 still refuses whatever this says. Appended last. */
    int allow_local_addresses;
} crioimg_http_request;

/* A transport. request performs one request and returns OK when a whole response arrived, whatever its
   status; otherwise ERR_HTTP_CONNECT (name lookup, refused, reset, closed early), ERR_HTTP_TLS,
   ERR_TIMEOUT, ERR_CANCELLED, ERR_HTTP_PROTOCOL or the sink's result, with a one-line detail in err
   (errcap bytes). It may keep connections open for the next request. close releases it. */
typedef struct crioimg_http_vtable {
    unsigned version;                   /* CRIOIMG_HTTP_VTABLE_VERSION */
    void *user;
    crioimg_result (*request)(void *user, const crioimg_http_request *rq, char *err, size_t errcap);
    void (*close)(void *user);
} crioimg_http_vtable;
/* crioimg_http_vtable vt = CRIOIMG_HTTP_VTABLE_INIT; then set user, request, close */
#define CRIOIMG_HTTP_VTABLE_INIT { CRIOIMG_HTTP_VTABLE_VERSION, 0, 0, 0 }

typedef struct crioimg_http crioimg_http;

/* A transport over the host's vtable (copied; version checked: ERR_INVALID_ARGS outside 1..current).
   alloc may be NULL. */
CRIOIMG_API crioimg_result crioimg_http_open(crioimg_http **out, const crioimg_http_vtable *vt, const crioimg_allocator *alloc);
/* The libcurl transport: connection reuse, HTTPS_PROXY/HTTP_PROXY/NO_PROXY from the environment as
   curl reads them, no redirects of its own. ERR_HTTP_NO_TRANSPORT when built without CRIOIMG_WITH_CURL.
   Proxies: curl's http_proxy, https_proxy/HTTPS_PROXY, all_proxy/ALL_PROXY and no_proxy/NO_PROXY, plus
   HTTP_PROXY in capitals as Go's ProxyFromEnvironment takes it (curl alone ignores it), except when
   REQUEST_METHOD is set (CGI, where it may come from a request header). The idle timeout counts from
   the end of the connection set-up (connect and TLS); a proxy's CONNECT answer is not reported. Extra
   CA files are joined to the system bundle (libcurl's own, else the usual places) once per list of
   files, capped at 16 MiB. Each open calls curl_global_init and each close curl_global_cleanup, which
   libcurl counts; with a libcurl older than 7.84 (no CURL_VERSION_THREADSAFE) those calls are not
   thread-safe, so a host with threads should call curl_global_init itself before it starts them. One
   crioimg_http is for one thread at a time. */
CRIOIMG_API crioimg_result crioimg_http_open_curl(crioimg_http **out, const crioimg_allocator *alloc);
/* The sockets + mbedtls transport (mbedtls 2.28 or later): HTTP/1.1, one idle kept-alive connection
   reused by the next request with the same scheme, host, port and TLS settings (a new one when the
   server has dropped it), chunked bodies, the same timeouts and cancel, the system CA bundle plus ca_files,
   client certificates; no proxies. A host name is matched against the certificate's DNS names by
   mbedtls, an IP literal against its iPAddress SANs by this transport (mbedtls 2.x has no such check),
   as curl and Go match them. ERR_HTTP_NO_TRANSPORT when built
   without CRIOIMG_WITH_MBEDTLS or without POSIX sockets (getaddrinfo, as the registries module has). */
CRIOIMG_API crioimg_result crioimg_http_open_mbedtls(crioimg_http **out, const crioimg_allocator *alloc);
/* The first built-in transport compiled in (curl, then mbedtls), else ERR_HTTP_NO_TRANSPORT. */
CRIOIMG_API crioimg_result crioimg_http_open_default(crioimg_http **out, const crioimg_allocator *alloc);
/* Performs rq through h (see above). */
CRIOIMG_API crioimg_result crioimg_http_do(crioimg_http *h, const crioimg_http_request *rq, char *err, size_t errcap);
CRIOIMG_API void crioimg_http_close(crioimg_http *h);

/* ---- certificates for a registry ---- */

/* The TLS files for registry host ("quay.io", "127.0.0.1:5000"), found as containers/image's
   SetupCertificates finds them: in cert_dir when given (--cert-dir), else in the first directory that
   exists of ROOT/host for ROOT in roots (NULL: $HOME/.config/containers/certs.d, /etc/containers/certs.d,
   /etc/docker/certs.d). *.crt are CAs; a *.cert must have its *.key and a *.key its *.cert (ERR_TLS_FILES
   otherwise, with Go's message in err). out->config verifies (insecure_skip_verify 0); its pointers point into out.
   roots, when given, ends with a NULL. Names are taken in byte order (Go's ReadDir); symlinks are
   followed as Go follows them, but what they reach must be a readable regular file (a dangling *.crt is
   skipped, as Go skips it). A missing directory, or one this user may not read, holds nothing (OK, no
   files). Of several client pairs the first by name is used (Go loads all; its TLS sends the first
   unless the server's request narrows the choice). host must not contain '/' or be "." or "..". */
typedef struct crioimg_tls_files {
    crioimg_tls_config config;
    void *arena;
    crioimg_allocator alloc;
} crioimg_tls_files;
CRIOIMG_API crioimg_result crioimg_tls_files_load(crioimg_tls_files *out, const char *host, const char *cert_dir,
                                                  const char *const *roots, const crioimg_allocator *alloc,
                                                  char *err, size_t errcap);
CRIOIMG_API void crioimg_tls_files_free(crioimg_tls_files *f);
