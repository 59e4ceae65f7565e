/* ---------------------------------------------------------------------------------------------------
   http_mbedtls: the built-in transport on POSIX sockets + mbedtls (CRIOIMG_WITH_MBEDTLS), for firmware
   without libcurl

   Two parts. The HTTP/1.1 response parser works on bytes only (no sockets, no TLS), so it is compiled
   in every build: the unit tests and fuzz/fuzz_http_response.c exercise it whatever the configuration.
   The transport around it (name lookup, non-blocking connect, TLS, keep-alive) exists only with
   CRIOIMG_WITH_MBEDTLS; without it crioimg_http_open_mbedtls says ERR_HTTP_NO_TRANSPORT.
   --------------------------------------------------------------------------------------------------- */
#include "http_internal.h"

/* The parser's internals are used by the transport, the tests and the fuzz target; a build without
   mbedtls calls none of them, which must not be a warning. */
#if defined(__GNUC__) || defined(__clang__)
#  define CRIOIMG__H1_FN static __attribute__((unused))
#else
#  define CRIOIMG__H1_FN static
#endif

/* ---- the response parser ----

   A linear, bounded state machine fed any split of the response: each byte is looked at a bounded
   number of times, header lines are gathered in one caller-supplied buffer of CRIOIMG__H1_LINE_MAX
   bytes, and body bytes go to the sink straight from the input. Strict where leniency has been a
   request-smuggling or desync hole: CRLF only (no bare LF), no obs-fold, no white space before a
   header's colon, one Content-Length of plain digits, Transfer-Encoding only "chunked" and never
   together with Content-Length. */

#define CRIOIMG__H1_LINE_MAX (CRIOIMG_HTTP_HEADER_MAX + 256)  /* a field's name + value, ": " and padding */
#define CRIOIMG__H1_HEAD_MAX (256 * 1024)                     /* one response's status line + fields */
#define CRIOIMG__H1_MAX_INTERIM 32                            /* 1xx responses before the final one */
#define CRIOIMG__H1_CHUNK_MAX (1ULL << 60)                    /* far beyond any blob, far from overflow */

enum {
    CRIOIMG__H1_STATUS, CRIOIMG__H1_HEADER, CRIOIMG__H1_BODY_LEN, CRIOIMG__H1_BODY_EOF, CRIOIMG__H1_CHUNK_SIZE,
    CRIOIMG__H1_CHUNK_DATA, CRIOIMG__H1_CHUNK_END, CRIOIMG__H1_TRAILER, CRIOIMG__H1_DONE, CRIOIMG__H1_FAILED
};

typedef struct crioimg__h1 {
    int state;
    int head;                        /* the request was HEAD: no body whatever the fields say */
    int code;                        /* the current response's status */
    int close;                       /* the connection cannot carry another request */
    int has_len, chunked;
    unsigned interim;
    unsigned long long remaining;    /* Content-Length or chunk bytes still to come */
    size_t head_total;               /* bytes of this response's status line and fields (trailers too) */
    unsigned long long received;     /* every byte fed, to tell "nothing came" from "cut short" */
    char *line;                      /* CRIOIMG__H1_LINE_MAX bytes, the caller's */
    size_t llen;
    const crioimg_http_sink *sink;
    char *err;
    size_t errcap;
} crioimg__h1;

CRIOIMG__H1_FN void crioimg__h1_init(crioimg__h1 *p, char *line, int head, const crioimg_http_sink *sink, char *err, size_t errcap)
{
    memset(p, 0, sizeof *p);
    p->line = line;
    p->head = head;
    p->sink = sink;
    p->err = err;
    p->errcap = errcap;
    if (err && errcap) err[0] = '\0';
}

static crioimg_result crioimg__h1_fail(crioimg__h1 *p, crioimg_result r, const char *why)
{
    crioimg__out o;
    o.p = p->err; o.cap = p->err ? p->errcap : 0; o.len = 0;
    if (o.cap) o.p[0] = '\0';
    crioimg__out_str(&o, why);
    p->state = CRIOIMG__H1_FAILED;
    return r;
}

/* RFC 9110 tchar */
static int crioimg__h1_tchar(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c != 0 && memchr("!#$%&'*+-.^_`|~", c, 15) != NULL);
}

/* field-vchar, SP, HTAB, obs-text: anything but the other controls */
static int crioimg__h1_text(const char *s, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f) return 0;
    }
    return 1;
}

/* Gathers one line into p->line. 1 when it is complete (p->llen its length, CRLF dropped), 0 when the
   input ran out first, -1 on error (the detail written). counted: the line belongs to the header block
   and its cap. */
static int crioimg__h1_line(crioimg__h1 *p, const char *d, size_t n, size_t *i, int counted)
{
    const char *nl = (const char *)memchr(d + *i, '\n', n - *i);
    size_t take = nl ? (size_t)(nl - (d + *i)) : n - *i;
    if (take > CRIOIMG__H1_LINE_MAX - p->llen) {
        crioimg__h1_fail(p, CRIOIMG_ERR_HTTP_PROTOCOL, p->state == CRIOIMG__H1_CHUNK_SIZE ? "chunk size line too long" : "a response header field over 64 KiB");
        return -1;
    }
    if (counted && (p->head_total += take) > CRIOIMG__H1_HEAD_MAX) {
        crioimg__h1_fail(p, CRIOIMG_ERR_HTTP_PROTOCOL, "response header block too long");
        return -1;
    }
    memcpy(p->line + p->llen, d + *i, take);
    p->llen += take;
    *i += take;
    if (!nl) return 0;
    (*i)++;
    if (p->llen == 0 || p->line[p->llen - 1] != '\r') {
        crioimg__h1_fail(p, CRIOIMG_ERR_HTTP_PROTOCOL, "line not ended by CRLF");
        return -1;
    }
    p->llen--;
    return 1;
}

/* "HTTP/1.x NNN reason": the version, a three-digit code, an optional reason without controls */
static crioimg_result crioimg__h1_status(crioimg__h1 *p)
{
    const char *s = p->line;
    size_t n = p->llen;
    if (n < 12 || memcmp(s, "HTTP/1.", 7) != 0 || (s[7] != '0' && s[7] != '1') || s[8] != ' ' ||
        s[9] < '1' || s[9] > '5' || s[10] < '0' || s[10] > '9' || s[11] < '0' || s[11] > '9' ||
        (n > 12 && s[12] != ' ') || !crioimg__h1_text(s + 12, n - 12))
        return crioimg__h1_fail(p, CRIOIMG_ERR_HTTP_PROTOCOL, "malformed status line");
    p->code = (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
    p->close = p->close || s[7] == '0';  /* HTTP/1.0: one request a connection */
    p->has_len = p->chunked = 0;
    p->state = CRIOIMG__H1_HEADER;
    if (p->code < 200) return CRIOIMG_OK;  /* interim: nothing of it reaches the sink */
    return p->sink && p->sink->status ? p->sink->status(p->sink->ctx, p->code) : CRIOIMG_OK;
}

/* "close" among a Connection field's comma-separated options */
static int crioimg__h1_has_close(const char *v, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t s, e;
        while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ',')) i++;
        s = i;
        while (i < n && v[i] != ',') i++;
        for (e = i; e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'); e--) {}
        if (crioimg__ascii_ieq(v + s, e - s, "close")) return 1;
    }
    return 0;
}

static crioimg_result crioimg__h1_framing(crioimg__h1 *p, const char *name, size_t nlen, const char *v, size_t vlen)
{
    if (crioimg__ascii_ieq(name, nlen, "content-length")) {
        size_t i;
        if (p->has_len) return crioimg__h1_fail(p, CRIOIMG_ERR_HTTP_PROTOCOL, "more than one Content-Length");
        if (vlen == 0 || vlen > 18) return crioimg__h1_fail(p, CRIOIMG_ERR_HTTP_PROTOCOL, "invalid Content-Length");
        p->remaining = 0;
        for (i = 0; i < vlen; i++) {
            if (v[i] < '0' || v[i] > '9') return crioimg__h1_fail(p, CRIOIMG_ERR_HTTP_PROTOCOL, "invalid Content-Length");
            p->remaining = p->remaining * 10 + (unsigned)(v[i] - '0');
        }
        p->has_len = 1;
    } else if (crioimg__ascii_ieq(name, nlen, "transfer-encoding")) {
        if (p->chunked) return crioimg__h1_fail(p, CRIOIMG_ERR_HTTP_PROTOCOL, "more than one Transfer-Encoding");
        if (!crioimg__ascii_ieq(v, vlen, "chunked")) return crioimg__h1_fail(p, CRIOIMG_ERR_HTTP_PROTOCOL, "unsupported Transfer-Encoding");
        p->chunked = 1;
    } else if (crioimg__ascii_ieq(name, nlen, "connection") && crioimg__h1_has_close(v, vlen)) {
        p->close = 1;
    }
    return CRIOIMG_OK;
}

/* One field line: checked, its framing fields noted, and handed to the sink (final responses only). */
static crioimg_result crioimg__h1_field(crioimg__h1 *p)
{
    const char *s = p->line, *colon, *v;
    size_t n = p->llen, nlen, vlen, i;
    crioimg_result r;
    if (s[0] == ' ' || s[0] == '\t') return crioimg__h1_fail(p, CRIOIMG_ERR_HTTP_PROTOCOL, "obsolete line folding in a header field");
    colon = (const char *)memchr(s, ':', n);
    if (colon == NULL || colon == s) return crioimg__h1_fail(p, CRIOIMG_ERR_HTTP_PROTOCOL, "malformed header field");
    nlen = (size_t)(colon - s);
    for (i = 0; i < nlen; i++)
        if (!crioimg__h1_tchar((unsigned char)s[i])) return crioimg__h1_fail(p, CRIOIMG_ERR_HTTP_PROTOCOL, "malformed header field name");
    v = colon + 1;
    vlen = n - nlen - 1;
    while (vlen && (*v == ' ' || *v == '\t')) v++, vlen--;
    while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t')) vlen--;
    if (!crioimg__h1_text(v, vlen)) return crioimg__h1_fail(p, CRIOIMG_ERR_HTTP_PROTOCOL, "control character in a header field");
    if (nlen + vlen > CRIOIMG_HTTP_HEADER_MAX) return crioimg__h1_fail(p, CRIOIMG_ERR_HTTP_PROTOCOL, "a response header field over 64 KiB");
    if ((r = crioimg__h1_framing(p, s, nlen, v, vlen)) != CRIOIMG_OK) return r;
    if (p->code < 200 || p->sink == NULL || p->sink->header == NULL) return CRIOIMG_OK;
    return p->sink->header(p->sink->ctx, s, nlen, v, vlen);
}

/* The empty line: where the body starts and how it is framed (RFC 9112 6.3). */
static crioimg_result crioimg__h1_end_of_head(crioimg__h1 *p)
{
    if (p->code < 200) {
        if (p->code == 101) return crioimg__h1_fail(p, CRIOIMG_ERR_HTTP_PROTOCOL, "unexpected 101 Switching Protocols");
        if (++p->interim > CRIOIMG__H1_MAX_INTERIM) return crioimg__h1_fail(p, CRIOIMG_ERR_HTTP_PROTOCOL, "too many interim responses");
        p->head_total = 0;
        p->state = CRIOIMG__H1_STATUS;
        return CRIOIMG_OK;
    }
    if (p->has_len && p->chunked) return crioimg__h1_fail(p, CRIOIMG_ERR_HTTP_PROTOCOL, "both Content-Length and Transfer-Encoding");
    if (p->head || p->code == 204 || p->code == 304) p->state = CRIOIMG__H1_DONE;
    else if (p->chunked) p->state = CRIOIMG__H1_CHUNK_SIZE;
    else if (p->has_len) p->state = p->remaining ? CRIOIMG__H1_BODY_LEN : CRIOIMG__H1_DONE;
    else { p->state = CRIOIMG__H1_BODY_EOF; p->close = 1; }  /* the body ends when the connection does */
    return CRIOIMG_OK;
}

/* "1a2b[;ext...]": hex digits, then nothing or white space and extensions (ignored) */
static crioimg_result crioimg__h1_chunk_size(crioimg__h1 *p)
{
    size_t i = 0;
    unsigned long long v = 0;
    for (; i < p->llen; i++) {
        int d = crioimg__hexval(p->line[i]);  /* core's */
        if (d < 0) break;
        if (v > CRIOIMG__H1_CHUNK_MAX >> 4) return crioimg__h1_fail(p, CRIOIMG_ERR_HTTP_PROTOCOL, "chunk size too large");
        v = v * 16 + (unsigned)d;
    }
    if (i == 0) return crioimg__h1_fail(p, CRIOIMG_ERR_HTTP_PROTOCOL, "malformed chunk size");
    while (i < p->llen && (p->line[i] == ' ' || p->line[i] == '\t')) i++;
    if ((i < p->llen && p->line[i] != ';') || !crioimg__h1_text(p->line + i, p->llen - i))
        return crioimg__h1_fail(p, CRIOIMG_ERR_HTTP_PROTOCOL, "malformed chunk size");
    p->remaining = v;
    p->head_total = 0;  /* trailers get a cap of their own */
    p->state = v ? CRIOIMG__H1_CHUNK_DATA : CRIOIMG__H1_TRAILER;
    return CRIOIMG_OK;
}

/* A complete line in the state that gathered it. */
static crioimg_result crioimg__h1_on_line(crioimg__h1 *p)
{
    switch (p->state) {
    case CRIOIMG__H1_STATUS: return crioimg__h1_status(p);
    case CRIOIMG__H1_HEADER: return p->llen == 0 ? crioimg__h1_end_of_head(p) : crioimg__h1_field(p);
    case CRIOIMG__H1_CHUNK_SIZE: return crioimg__h1_chunk_size(p);
    case CRIOIMG__H1_CHUNK_END:
        if (p->llen != 0) return crioimg__h1_fail(p, CRIOIMG_ERR_HTTP_PROTOCOL, "chunk data not followed by CRLF");
        p->state = CRIOIMG__H1_CHUNK_SIZE;
        return CRIOIMG_OK;
    default:  /* trailer fields are skipped: nothing the client needs comes in them */
        if (p->llen == 0) p->state = CRIOIMG__H1_DONE;
        else if (p->line[0] == ' ' || p->line[0] == '\t' || memchr(p->line, ':', p->llen) == NULL)
            return crioimg__h1_fail(p, CRIOIMG_ERR_HTTP_PROTOCOL, "malformed trailer field");
        return CRIOIMG_OK;
    }
}

/* body bytes to the sink, at most the remaining count when there is one */
static crioimg_result crioimg__h1_body(crioimg__h1 *p, const char *d, size_t n, size_t *i)
{
    size_t take = n - *i;
    if (p->state != CRIOIMG__H1_BODY_EOF && take > p->remaining) take = (size_t)p->remaining;
    if (p->state != CRIOIMG__H1_BODY_EOF) p->remaining -= take;
    *i += take;
    if (p->state == CRIOIMG__H1_BODY_LEN && p->remaining == 0) p->state = CRIOIMG__H1_DONE;
    if (p->state == CRIOIMG__H1_CHUNK_DATA && p->remaining == 0) p->state = CRIOIMG__H1_CHUNK_END;
    if (take == 0 || p->sink == NULL || p->sink->body == NULL) return CRIOIMG_OK;
    return p->sink->body(p->sink->ctx, d + *i - take, take);
}

/* Feeds n bytes. *used: how many belong to this response (fewer than n only once it is DONE: the rest
   is what the server sent after it). Any error ends the response: feeding again is a caller's bug. */
CRIOIMG__H1_FN crioimg_result crioimg__h1_feed(crioimg__h1 *p, const void *data, size_t n, size_t *used)
{
    const char *d = (const char *)data;
    size_t i = 0;
    crioimg_result r = CRIOIMG_OK;
    CRIOIMG_ASSERT(p->state != CRIOIMG__H1_FAILED);
    p->received += n;
    while (i < n && r == CRIOIMG_OK && p->state != CRIOIMG__H1_DONE) {
        if (p->state == CRIOIMG__H1_BODY_LEN || p->state == CRIOIMG__H1_BODY_EOF || p->state == CRIOIMG__H1_CHUNK_DATA) {
            r = crioimg__h1_body(p, d, n, &i);
        } else {
            int got = crioimg__h1_line(p, d, n, &i, p->state != CRIOIMG__H1_CHUNK_SIZE && p->state != CRIOIMG__H1_CHUNK_END);
            if (got < 0) { r = CRIOIMG_ERR_HTTP_PROTOCOL; break; }
            if (got == 0) break;
            r = crioimg__h1_on_line(p);
            p->llen = 0;
        }
    }
    if (r != CRIOIMG_OK && p->state != CRIOIMG__H1_FAILED) crioimg__h1_fail(p, r, "the response's receiver stopped the transfer");
    *used = i;
    return r;
}

/* The connection ended: OK when that is how this response ends (or it had already ended);
   ERR_HTTP_CONNECT when it was cut short. */
CRIOIMG__H1_FN crioimg_result crioimg__h1_eof(crioimg__h1 *p)
{
    if (p->state == CRIOIMG__H1_BODY_EOF) p->state = CRIOIMG__H1_DONE;
    if (p->state == CRIOIMG__H1_DONE) return CRIOIMG_OK;
    return crioimg__h1_fail(p, CRIOIMG_ERR_HTTP_CONNECT, p->received == 0 ? "the server closed the connection without a response"
                                                                          : "the server closed the connection before the response ended");
}

CRIOIMG__H1_FN int crioimg__h1_done(const crioimg__h1 *p) { return p->state == CRIOIMG__H1_DONE; }
/* the final response's header block is complete (its body, if any, is what comes now) */
CRIOIMG__H1_FN int crioimg__h1_in_body(const crioimg__h1 *p) { return p->state != CRIOIMG__H1_STATUS && p->state != CRIOIMG__H1_HEADER; }

/* ---- the transport ---- */

#if defined(CRIOIMG_WITH_MBEDTLS)
#  if !defined(__unix__) && !defined(__APPLE__)
#    error "crioimg: CRIOIMG_WITH_MBEDTLS needs POSIX sockets"
#  endif
#  include <unistd.h>
#  if !defined(_POSIX_VERSION) || _POSIX_VERSION < 200112L || (defined(__GLIBC__) && !defined(__USE_XOPEN2K))
#    error "crioimg: CRIOIMG_WITH_MBEDTLS needs POSIX.1-2001 (getaddrinfo): define _POSIX_C_SOURCE 200112L or later before any #include"
#  endif
#  include <fcntl.h>
#  include <netdb.h>
#  include <poll.h>
#  include <time.h>
#  include <sys/types.h>
#  include <sys/socket.h>
#  include <netinet/in.h>
#  include <arpa/inet.h>   /* inet_pton: an IP literal host checked against iPAddress SANs */
#  include <mbedtls/version.h>
#  include <mbedtls/ssl.h>
#  include <mbedtls/entropy.h>
#  include <mbedtls/ctr_drbg.h>
#  include <mbedtls/x509_crt.h>
#  include <mbedtls/pk.h>
#  include <mbedtls/error.h>
#  if MBEDTLS_VERSION_NUMBER >= 0x03000000 && defined(MBEDTLS_PSA_CRYPTO_C)
#    define CRIOIMG__MT_PSA 1
#    include <psa/crypto.h>
#  endif

#  ifndef CRIOIMG_MBEDTLS_CA_FILE
#    define CRIOIMG_MBEDTLS_CA_FILE "/etc/ssl/certs/ca-certificates.crt"
#  endif
#  ifdef MSG_NOSIGNAL
#    define CRIOIMG__MT_SENDFLAGS MSG_NOSIGNAL
#  else
#    define CRIOIMG__MT_SENDFLAGS 0   /* SO_NOSIGPIPE is set on the socket instead (BSD, macOS) */
#  endif
#  define CRIOIMG__MT_SLICE_MS 100    /* how often a wait looks at the cancel flag */
#  define CRIOIMG__MT_BUF 16384

/* One connection; the TLS state lives here because mbedtls keeps pointers into its config. */
typedef struct crioimg__mt_conn {
    int fd;
    int tls;                          /* ssl and the rest below are initialised */
    int io_errno;                     /* the socket error behind a failed TLS read or write */
    mbedtls_ssl_context ssl;
    mbedtls_ssl_config conf;
    mbedtls_x509_crt ca, cert;
    mbedtls_pk_context key;
    char *key_id;                     /* scheme, host, port and TLS settings: what a reuse must match */
    int checked;                      /* opened with refuse_local_addresses: may carry such a request */
    unsigned char ip[16];             /* the host, when it is an IP literal: what an iPAddress SAN must hold */
    size_t iplen;                     /* 4 or 16; 0 for a host name */
} crioimg__mt_conn;

typedef struct crioimg__mt {
    crioimg_allocator alloc;
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;    /* seeded once, in open */
    crioimg__mt_conn *idle;           /* at most one kept-alive connection */
    char *line;                       /* the parser's line buffer */
    char buf[CRIOIMG__MT_BUF];
} crioimg__mt;

/* When the next check of the time rules could fail: their nearest deadline (0: none), which bounds a
   read's wait. */
static long long crioimg__hlim_next(const crioimg__hlim *l)
{
    long long n = l->header_dl;
    if (l->total_dl && (n == 0 || l->total_dl < n)) n = l->total_dl;
    if (l->win_start && (n == 0 || l->win_start + l->period < n)) n = l->win_start + l->period;
    return n;
}

/* one request's situation, for the helpers below */
typedef struct crioimg__mt_io {
    crioimg__mt_conn *c;
    const volatile int *cancel;
    long idle_ms;
    long long hard;                   /* a time rule's next deadline (crioimg__hlim_next), 0: none */
    int hard_hit;                     /* a read's wait ended at it rather than at the idle timeout */
    char *err;
    size_t errcap;
} crioimg__mt_io;

static crioimg_result crioimg__mt_fail(char *err, size_t errcap, crioimg_result r, const char *a, const char *b, const char *c)
{
    crioimg__out o;
    o.p = err; o.cap = err ? errcap : 0; o.len = 0;
    if (o.cap) err[0] = '\0';
    crioimg__out_str(&o, a);
    if (b) crioimg__out_str(&o, b);
    if (c) crioimg__out_str(&o, c);
    return r;
}

static crioimg_result crioimg__mt_tls_fail(char *err, size_t errcap, const char *what, int code)
{
    char msg[160];
    mbedtls_strerror(code, msg, sizeof msg);
    return crioimg__mt_fail(err, errcap, CRIOIMG_ERR_HTTP_TLS, what, ": ", msg);
}

/* Waits until fd is ready for events or the deadline passes, looking at the cancel flag every
   CRIOIMG__MT_SLICE_MS. what names the wait in the detail. */
static crioimg_result crioimg__mt_wait(int fd, short events, long long deadline, const volatile int *cancel, char *err,
                                       size_t errcap, const char *what)
{
    for (;;) {
        struct pollfd pfd;
        long long left = deadline - crioimg__http_now_ms();
        int n;
        if (crioimg_cancelled(cancel)) return crioimg__mt_fail(err, errcap, CRIOIMG_ERR_CANCELLED, "cancelled while ", what, NULL);
        if (left <= 0) return crioimg__mt_fail(err, errcap, CRIOIMG_ERR_TIMEOUT, "timed out ", what, NULL);
        pfd.fd = fd;
        pfd.events = events;
        pfd.revents = 0;
        n = poll(&pfd, 1, (int)(left < CRIOIMG__MT_SLICE_MS ? left : CRIOIMG__MT_SLICE_MS));
        if (n > 0) return CRIOIMG_OK;  /* ready, or an error the next call reports */
        if (n < 0 && errno != EINTR) return crioimg__mt_fail(err, errcap, CRIOIMG_ERR_HTTP_CONNECT, "poll: ", strerror(errno), NULL);
    }
}

static void crioimg__mt_conn_free(crioimg__mt *t, crioimg__mt_conn *c)
{
    if (c == NULL) return;
    if (c->tls) {
        if (c->fd >= 0) mbedtls_ssl_close_notify(&c->ssl);  /* best effort: the socket is non-blocking */
        mbedtls_ssl_free(&c->ssl);
        mbedtls_ssl_config_free(&c->conf);
        mbedtls_x509_crt_free(&c->ca);
        mbedtls_x509_crt_free(&c->cert);
        mbedtls_pk_free(&c->key);
    }
    if (c->fd >= 0) close(c->fd);
    crioimg_free(&t->alloc, c->key_id);
    crioimg_free(&t->alloc, c);
}

/* ---- sockets ---- */

/* A non-blocking connect to one address, finished within the deadline. */
static crioimg_result crioimg__mt_connect_one(const struct addrinfo *ai, long long deadline, const volatile int *cancel, int *fdp,
                                              char *err, size_t errcap)
{
    int fd, soerr = 0, one = 1;
    socklen_t sl = sizeof soerr;
    crioimg_result r;
    *fdp = -1;
    if ((fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol)) < 0)
        return crioimg__mt_fail(err, errcap, CRIOIMG_ERR_HTTP_CONNECT, "socket: ", strerror(errno), NULL);
    (void)one;
#  if defined(SO_NOSIGPIPE)
    setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
#  endif
    if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0 || fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
        close(fd);
        return crioimg__mt_fail(err, errcap, CRIOIMG_ERR_HTTP_CONNECT, "fcntl: ", strerror(errno), NULL);
    }
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
        if (errno != EINPROGRESS && errno != EINTR) {
            r = crioimg__mt_fail(err, errcap, CRIOIMG_ERR_HTTP_CONNECT, "connect: ", strerror(errno), NULL);
            close(fd);
            return r;
        }
        if ((r = crioimg__mt_wait(fd, POLLOUT, deadline, cancel, err, errcap, "connecting")) != CRIOIMG_OK) { close(fd); return r; }
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0) soerr = errno;
        if (soerr != 0) {
            close(fd);
            return crioimg__mt_fail(err, errcap, CRIOIMG_ERR_HTTP_CONNECT, "connect: ", strerror(soerr), NULL);
        }
    }
    *fdp = fd;
    return CRIOIMG_OK;
}

/* Every address of host, in getaddrinfo's order, until one connects (with refuse_local, the unspecified
   and link-local ones are skipped). The last failure is reported;
   a timeout or cancel stops the walk. getaddrinfo itself blocks, with the resolver's own timeouts:
   neither the connect timeout nor the cancel flag can cut a name lookup short. */
static crioimg_result crioimg__mt_connect(const char *host, unsigned port, long long deadline, const volatile int *cancel,
                                          int refuse_local, int *fdp, char *err, size_t errcap)
{
    struct addrinfo hints, *res = NULL, *ai;
    char portstr[8];
    crioimg__out o;
    int g;
    crioimg_result r = CRIOIMG_ERR_HTTP_CONNECT;
    o.p = portstr; o.cap = sizeof portstr; o.len = 0;
    crioimg__out_uint(&o, port);
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    if ((g = getaddrinfo(host, portstr, &hints, &res)) != 0)
        return crioimg__mt_fail(err, errcap, CRIOIMG_ERR_HTTP_CONNECT, host, ": ", gai_strerror(g));
    for (ai = res; ai != NULL; ai = ai->ai_next) {
        if (refuse_local && crioimg__http_sockaddr_forbidden(ai->ai_addr, ai->ai_addrlen)) {  /* checked where the name resolved */
            r = crioimg__mt_fail(err, errcap, CRIOIMG_ERR_HTTP_CONNECT, host, ": refusing to connect to an unspecified or link-local address", NULL);
            continue;
        }
        r = crioimg__mt_connect_one(ai, deadline, cancel, fdp, err, errcap);
        if (r == CRIOIMG_OK || r == CRIOIMG_ERR_TIMEOUT || r == CRIOIMG_ERR_CANCELLED) break;
    }
    freeaddrinfo(res);
    return r;
}

/* mbedtls's BIO over the non-blocking socket: "would block" becomes WANT_READ/WANT_WRITE, which the
   callers turn into a poll with the timeouts and the cancel flag. */
static int crioimg__mt_bio_send(void *ctx, const unsigned char *buf, size_t len)
{
    crioimg__mt_conn *c = (crioimg__mt_conn *)ctx;
    ssize_t n = send(c->fd, buf, len, CRIOIMG__MT_SENDFLAGS);
    if (n >= 0) return (int)n;
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return MBEDTLS_ERR_SSL_WANT_WRITE;
    c->io_errno = errno;
    return MBEDTLS_ERR_SSL_INTERNAL_ERROR;
}

static int crioimg__mt_bio_recv(void *ctx, unsigned char *buf, size_t len)
{
    crioimg__mt_conn *c = (crioimg__mt_conn *)ctx;
    ssize_t n = recv(c->fd, buf, len, 0);
    if (n >= 0) return (int)n;
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return MBEDTLS_ERR_SSL_WANT_READ;
    c->io_errno = errno;
    return MBEDTLS_ERR_SSL_INTERNAL_ERROR;
}

/* Writes all of data within the idle timeout between progress. */
static crioimg_result crioimg__mt_write(crioimg__mt_io *io, const void *data, size_t len)
{
    const unsigned char *p = (const unsigned char *)data;
    while (len > 0) {
        long n;
        short ev = POLLOUT;
        if (io->c->tls) {
            int k = mbedtls_ssl_write(&io->c->ssl, p, len);
            if (k == MBEDTLS_ERR_SSL_WANT_READ) ev = POLLIN;
            else if (k != MBEDTLS_ERR_SSL_WANT_WRITE && k < 0) {
                if (io->c->io_errno) return crioimg__mt_fail(io->err, io->errcap, CRIOIMG_ERR_HTTP_CONNECT, "send: ", strerror(io->c->io_errno), NULL);
                return crioimg__mt_tls_fail(io->err, io->errcap, "TLS write", k);
            }
            n = k < 0 ? -1 : k;
        } else {
            n = (long)send(io->c->fd, p, len, CRIOIMG__MT_SENDFLAGS);
            if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                return crioimg__mt_fail(io->err, io->errcap, CRIOIMG_ERR_HTTP_CONNECT, "send: ", strerror(errno), NULL);
        }
        if (n > 0) { p += n; len -= (size_t)n; continue; }
        {
            crioimg_result r = crioimg__mt_wait(io->c->fd, ev, crioimg__http_now_ms() + io->idle_ms, io->cancel, io->err, io->errcap, "sending the request");
            if (r != CRIOIMG_OK) return r;
        }
    }
    return CRIOIMG_OK;
}

/* Reads what is there (waiting up to the idle timeout for the first byte): *got bytes, 0 at the end of
   the stream. */
static crioimg_result crioimg__mt_read(crioimg__mt_io *io, void *buf, size_t cap, size_t *got)
{
    *got = 0;
    for (;;) {
        short ev = POLLIN;
        crioimg_result r;
        if (io->c->tls) {
            int k = mbedtls_ssl_read(&io->c->ssl, (unsigned char *)buf, cap);
            if (k >= 0) { *got = (size_t)k; return CRIOIMG_OK; }
            if (k == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) return CRIOIMG_OK;  /* as 0 is: closed without close_notify */
#  if defined(MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET)
            if (k == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET) continue;  /* 3.6, TLS 1.3: a ticket, no data yet; read on */
#  endif
            if (k == MBEDTLS_ERR_SSL_WANT_WRITE) ev = POLLOUT;
            else if (k != MBEDTLS_ERR_SSL_WANT_READ) {
                if (io->c->io_errno) return crioimg__mt_fail(io->err, io->errcap, CRIOIMG_ERR_HTTP_CONNECT, "recv: ", strerror(io->c->io_errno), NULL);
                return crioimg__mt_tls_fail(io->err, io->errcap, "TLS read", k);
            }
        } else {
            ssize_t n = recv(io->c->fd, buf, cap, 0);
            if (n >= 0) { *got = (size_t)n; return CRIOIMG_OK; }
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                return crioimg__mt_fail(io->err, io->errcap, CRIOIMG_ERR_HTTP_CONNECT, "recv: ", strerror(errno), NULL);
        }
        {
            long long dl = crioimg__http_now_ms() + io->idle_ms;
            int hard = io->hard && io->hard < dl;
            r = crioimg__mt_wait(io->c->fd, ev, hard ? io->hard : dl, io->cancel, io->err, io->errcap, "waiting for the response");
            if (r == CRIOIMG_ERR_TIMEOUT && hard) io->hard_hit = 1;   /* the caller judges the rule */
            if (r != CRIOIMG_OK) return r;
        }
    }
}

/* ---- TLS ---- */

/* A registry reached at an IP literal ("127.0.0.1", "::1") must be named by an iPAddress SAN of its
   certificate, as Go's crypto/tls and curl check it. mbedtls 2.28 compares the host only with dNSName
   SANs (or the CN) as a string, so for an IP literal this callback decides the leaf's name check
   instead: the mismatch flag mbedtls set is cleared, and set again unless an iPAddress SAN holds exactly
   those bytes (the SAN list keeps every entry with its context tag, [7] for iPAddress). */
static int crioimg__mt_verify_ip(void *p, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
    const crioimg__mt_conn *c = (const crioimg__mt_conn *)p;
    const mbedtls_x509_sequence *san;
    if (depth != 0 || c->iplen == 0) return 0;
    *flags |= MBEDTLS_X509_BADCERT_CN_MISMATCH;
    for (san = &crt->subject_alt_names; san != NULL && san->buf.p != NULL; san = san->next)
        if (san->buf.tag == (MBEDTLS_ASN1_CONTEXT_SPECIFIC | 7) && san->buf.len == c->iplen && memcmp(san->buf.p, c->ip, c->iplen) == 0) {
            *flags &= ~(uint32_t)MBEDTLS_X509_BADCERT_CN_MISMATCH;
            break;
        }
    return 0;
}

/* The trust anchors and client identity of cfg into c, then the handshake within the deadline. host is
   what the certificate must name: a DNS name (mbedtls's own check), or an IP literal
   (crioimg__mt_verify_ip). */
static crioimg_result crioimg__mt_tls_setup(crioimg__mt *t, crioimg__mt_conn *c, const crioimg_tls_config *cfg, const char *host,
                                            char *err, size_t errcap)
{
    int k;
    size_t i;
    mbedtls_ssl_init(&c->ssl);
    mbedtls_ssl_config_init(&c->conf);
    mbedtls_x509_crt_init(&c->ca);
    mbedtls_x509_crt_init(&c->cert);
    mbedtls_pk_init(&c->key);
    c->tls = 1;
    if ((k = mbedtls_ssl_config_defaults(&c->conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT)) != 0)
        return crioimg__mt_tls_fail(err, errcap, "TLS configuration", k);
#  if MBEDTLS_VERSION_NUMBER < 0x03000000
    mbedtls_ssl_conf_min_version(&c->conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);  /* TLS 1.2 */
#  endif
    mbedtls_ssl_conf_rng(&c->conf, mbedtls_ctr_drbg_random, &t->drbg);
    if (!cfg->insecure_skip_verify) {
        /* the system bundle may be absent (a firmware image with its own CAs in ca_files): then only those count */
        mbedtls_x509_crt_parse_file(&c->ca, CRIOIMG_MBEDTLS_CA_FILE);
        for (i = 0; i < cfg->nca_files; i++) {  /* > 0: some PEM blocks were not certificates, skipped as Go does */
            /* mbedtls fopen()s the path: a FIFO or a device is refused first (crioimg__config_read's check) */
            if (crioimg__config_read(cfg->ca_files[i], 0, NULL, NULL, NULL, NULL) != CRIOIMG_OK ||
                (k = mbedtls_x509_crt_parse_file(&c->ca, cfg->ca_files[i])) == MBEDTLS_ERR_PK_FILE_IO_ERROR)   /* the curl transport's words */
                return crioimg__mt_fail(err, errcap, CRIOIMG_ERR_IO, "cannot read the CA file ", cfg->ca_files[i], NULL);
            if (k < 0) return crioimg__mt_fail(err, errcap, CRIOIMG_ERR_HTTP_TLS, "cannot load the CA file ", cfg->ca_files[i], NULL);
        }
        mbedtls_ssl_conf_ca_chain(&c->conf, &c->ca, NULL);
        mbedtls_ssl_conf_authmode(&c->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
        c->iplen = inet_pton(AF_INET, host, c->ip) == 1 ? 4 : inet_pton(AF_INET6, host, c->ip) == 1 ? 16 : 0;
        if (c->iplen) mbedtls_ssl_conf_verify(&c->conf, crioimg__mt_verify_ip, c);
    } else {
        mbedtls_ssl_conf_authmode(&c->conf, MBEDTLS_SSL_VERIFY_NONE);
    }
    if ((cfg->cert_file == NULL) != (cfg->key_file == NULL))
        return crioimg__mt_fail(err, errcap, CRIOIMG_ERR_HTTP_TLS, "a client certificate needs its key and a key its certificate", NULL, NULL);
    if (cfg->cert_file) {
        if (crioimg__config_read(cfg->cert_file, 0, NULL, NULL, NULL, NULL) != CRIOIMG_OK ||
            crioimg__config_read(cfg->key_file, 0, NULL, NULL, NULL, NULL) != CRIOIMG_OK ||
            (k = mbedtls_x509_crt_parse_file(&c->cert, cfg->cert_file)) != 0)
            return crioimg__mt_fail(err, errcap, CRIOIMG_ERR_HTTP_TLS, "cannot load the client certificate ", cfg->cert_file, NULL);
#  if MBEDTLS_VERSION_NUMBER >= 0x03000000
        k = mbedtls_pk_parse_keyfile(&c->key, cfg->key_file, NULL, mbedtls_ctr_drbg_random, &t->drbg);
#  else
        k = mbedtls_pk_parse_keyfile(&c->key, cfg->key_file, NULL);
#  endif
        if (k != 0) return crioimg__mt_fail(err, errcap, CRIOIMG_ERR_HTTP_TLS, "cannot load the client key ", cfg->key_file, NULL);
#  if MBEDTLS_VERSION_NUMBER >= 0x03000000
        k = mbedtls_pk_check_pair(&c->cert.pk, &c->key, mbedtls_ctr_drbg_random, &t->drbg);
#  else
        k = mbedtls_pk_check_pair(&c->cert.pk, &c->key);
#  endif
        if (k != 0) return crioimg__mt_fail(err, errcap, CRIOIMG_ERR_HTTP_TLS, "the client key ", cfg->key_file, " does not match its certificate");
        if ((k = mbedtls_ssl_conf_own_cert(&c->conf, &c->cert, &c->key)) != 0) return crioimg__mt_tls_fail(err, errcap, "client certificate", k);
    }
    if ((k = mbedtls_ssl_setup(&c->ssl, &c->conf)) != 0) return crioimg__mt_tls_fail(err, errcap, "TLS setup", k);
    if ((k = mbedtls_ssl_set_hostname(&c->ssl, host)) != 0) return crioimg__mt_tls_fail(err, errcap, "TLS host name", k);
    mbedtls_ssl_set_bio(&c->ssl, c, crioimg__mt_bio_send, crioimg__mt_bio_recv, NULL);
    return CRIOIMG_OK;
}

/* The handshake's error when the server answered in plain HTTP: its first bytes ("HTTP/1.1 400")
   read as a TLS record header */
static int crioimg__mt_plain_answer(int k)
{
#ifdef MBEDTLS_ERR_SSL_DECODE_ERROR
    if (k == MBEDTLS_ERR_SSL_DECODE_ERROR) return 1;
#endif
    return k == MBEDTLS_ERR_SSL_INVALID_RECORD;
}

static crioimg_result crioimg__mt_handshake(crioimg__mt_conn *c, long long deadline, const volatile int *cancel, char *err, size_t errcap)
{
    for (;;) {
        int k = mbedtls_ssl_handshake(&c->ssl);
        crioimg_result r;
        if (k == 0) return CRIOIMG_OK;
        if (k != MBEDTLS_ERR_SSL_WANT_READ && k != MBEDTLS_ERR_SSL_WANT_WRITE) {
            uint32_t flags = mbedtls_ssl_get_verify_result(&c->ssl);
            if (c->io_errno) return crioimg__mt_fail(err, errcap, CRIOIMG_ERR_HTTP_CONNECT, "TLS handshake: ", strerror(c->io_errno), NULL);
            if (k == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED && flags != 0 && flags != (uint32_t)-1) {
                char info[256], detail[300];
                size_t n;
                int kind = (flags & MBEDTLS_X509_BADCERT_NOT_TRUSTED) ? CRIOIMG__TLS_UNTRUSTED :
                           (flags & MBEDTLS_X509_BADCERT_EXPIRED) ? CRIOIMG__TLS_EXPIRED :
                           (flags & MBEDTLS_X509_BADCERT_FUTURE) ? CRIOIMG__TLS_FUTURE :
                           (flags & MBEDTLS_X509_BADCERT_CN_MISMATCH) ? CRIOIMG__TLS_NAME : CRIOIMG__TLS_OTHER;
                crioimg__out o;
                if (mbedtls_x509_crt_verify_info(info, sizeof info, "", flags) < 0) info[0] = '\0';
                for (n = strlen(info); n > 0 && info[n - 1] == '\n'; n--) info[n - 1] = '\0';
                for (n = 0; info[n]; n++) if (info[n] == '\n') info[n] = ';';  /* one line */
                o.p = detail; o.cap = sizeof detail; o.len = 0;
                crioimg__out_str(&o, "certificate verification failed: ");
                crioimg__out_str(&o, info);
                return crioimg__tls_fail_words(err, errcap, CRIOIMG_ERR_HTTP_TLS, kind, "mbedtls: ", detail);
            }
            if (crioimg__mt_plain_answer(k)) {
                char msg[160];
                mbedtls_strerror(k, msg, sizeof msg);
                return crioimg__tls_fail_words(err, errcap, CRIOIMG_ERR_HTTP_TLS, CRIOIMG__TLS_PLAIN, "mbedtls: TLS handshake: ", msg);
            }
            return crioimg__mt_tls_fail(err, errcap, "TLS handshake", k);
        }
        r = crioimg__mt_wait(c->fd, k == MBEDTLS_ERR_SSL_WANT_READ ? POLLIN : POLLOUT, deadline, cancel, err, errcap, "in the TLS handshake");
        if (r != CRIOIMG_OK) return r;
    }
}

/* ---- one request ---- */

/* What a kept-alive connection must match to carry a request: scheme, host, port, and every TLS
   setting (a connection verified one way must not serve a request that asked for another). */
static char *crioimg__mt_key_id(crioimg__mt *t, const crioimg_url *u, const crioimg_tls_config *tls)
{
    crioimg__out o;
    char *s = NULL;
    int pass;
    size_t i;
    for (pass = 0; pass < 2; pass++) {
        o.p = s; o.cap = pass ? o.len + 1 : 0; o.len = 0;
        crioimg__out_str(&o, u->https ? "https\n" : "http\n");
        crioimg__out_put(&o, u->host.ptr, u->host.len);
        crioimg__out_str(&o, "\n");
        crioimg__out_uint(&o, u->port);
        if (u->https) {
            crioimg__out_str(&o, !tls->insecure_skip_verify ? "\nverify" : "\nno-verify");
            for (i = 0; !tls->insecure_skip_verify && i < tls->nca_files; i++) { crioimg__out_str(&o, "\nca "); crioimg__out_str(&o, tls->ca_files[i]); }
            if (tls->cert_file) { crioimg__out_str(&o, "\ncert "); crioimg__out_str(&o, tls->cert_file); }
            if (tls->key_file) { crioimg__out_str(&o, "\nkey "); crioimg__out_str(&o, tls->key_file); }
        }
        if (pass == 0 && (s = (char *)crioimg_malloc(&t->alloc, o.len + 1)) == NULL) return NULL;
    }
    return s;
}

/* The request head: request line, Host, the caller's fields, Content-Length when there is a body
   (or the method is POST), the empty line. Measured, then written. */
static char *crioimg__mt_head(crioimg__mt *t, const crioimg_http_request *rq, const char *method, const crioimg_url *u, size_t *len)
{
    crioimg__out o;
    char *s = NULL;
    int pass;
    size_t i;
    for (pass = 0; pass < 2; pass++) {
        o.p = s; o.cap = pass ? o.len + 1 : 0; o.len = 0;
        crioimg__out_str(&o, method);
        crioimg__out_str(&o, " ");
        if (u->path.len == 0 || u->path.ptr[0] != '/') crioimg__out_str(&o, "/");
        crioimg__out_put(&o, u->path.ptr, u->path.len);
        crioimg__out_str(&o, " HTTP/1.1\r\nHost: ");
        crioimg__out_put(&o, u->host.ptr, u->host.len);  /* an IPv6 literal keeps its brackets */
        if (u->port != (u->https ? 443u : 80u)) { crioimg__out_str(&o, ":"); crioimg__out_uint(&o, u->port); }
        crioimg__out_str(&o, "\r\n");
        for (i = 0; i < rq->nheaders; i++) {
            crioimg__out_str(&o, rq->headers[i].name);
            crioimg__out_str(&o, ": ");
            crioimg__out_str(&o, rq->headers[i].value);
            crioimg__out_str(&o, "\r\n");
        }
        if (rq->body_len || strcmp(method, "POST") == 0) {
            crioimg__out_str(&o, "Content-Length: ");
            crioimg__out_uint(&o, rq->body_len);
            crioimg__out_str(&o, "\r\n");
        }
        crioimg__out_str(&o, "\r\n");
        if (pass == 0 && (s = (char *)crioimg_malloc(&t->alloc, o.len + 1)) == NULL) return NULL;
    }
    *len = o.len;
    return s;
}

/* The method and header names must be tokens and values free of CR and LF: a line must not become two. */
static int crioimg__mt_headers_ok(const crioimg_http_request *rq)
{
    size_t i, k;
    for (k = 0; rq->method && rq->method[k]; k++) if (!crioimg__h1_tchar((unsigned char)rq->method[k])) return 0;
    if (rq->method && k == 0) return 0;
    for (i = 0; i < rq->nheaders; i++) {
        const char *n = rq->headers[i].name, *v = rq->headers[i].value;
        if (n == NULL || v == NULL || n[0] == '\0') return 0;
        for (k = 0; n[k]; k++) if (!crioimg__h1_tchar((unsigned char)n[k])) return 0;
        for (k = 0; v[k]; k++) if (v[k] == '\r' || v[k] == '\n') return 0;
    }
    return 1;
}

/* A fresh connection for u: TCP within the connect timeout, then TLS for https within the same. */
static crioimg_result crioimg__mt_open_conn(crioimg__mt *t, const crioimg_http_request *rq, const crioimg_url *u, const char *host,
                                            char *key_id, crioimg__mt_conn **out, char *err, size_t errcap)
{
    long ct = rq->connect_timeout_ms > 0 ? rq->connect_timeout_ms : CRIOIMG_HTTP_CONNECT_TIMEOUT_MS;
    long long deadline = crioimg__http_now_ms() + ct;
    crioimg__mt_conn *c = (crioimg__mt_conn *)crioimg_malloc(&t->alloc, sizeof *c);
    crioimg_result r;
    *out = NULL;
    if (c == NULL) { crioimg_free(&t->alloc, key_id); return crioimg__mt_fail(err, errcap, CRIOIMG_ERR_NOMEM, "out of memory", NULL, NULL); }
    memset(c, 0, sizeof *c);
    c->key_id = key_id;
    c->checked = rq->refuse_local_addresses;
    r = crioimg__mt_connect(host, u->port, deadline, rq->cancel, rq->refuse_local_addresses, &c->fd, err, errcap);
    if (r == CRIOIMG_OK && u->https) r = crioimg__mt_tls_setup(t, c, &rq->tls, host, err, errcap);
    if (r == CRIOIMG_OK && u->https) r = crioimg__mt_handshake(c, deadline, rq->cancel, err, errcap);
    if (r != CRIOIMG_OK) { crioimg__mt_conn_free(t, c); return r; }
    *out = c;
    return CRIOIMG_OK;
}

/* A kept-alive connection the server has closed (or sent stray bytes on) is readable while idle. */
static int crioimg__mt_still_open(const crioimg__mt_conn *c)
{
    struct pollfd pfd;
    pfd.fd = c->fd;
    pfd.events = POLLIN;
    pfd.revents = 0;
    return poll(&pfd, 1, 0) == 0;
}

/* Sends the request on c and parses the response into the sink. *reusable: c may carry the next one;
   *nothing: the server closed c without sending a byte (a kept-alive connection it had dropped). */
static crioimg_result crioimg__mt_exchange(crioimg__mt *t, crioimg__mt_conn *c, const crioimg_http_request *rq, const char *head,
                                           size_t hlen, int is_head, int *reusable, int *nothing, char *err, size_t errcap)
{
    crioimg__mt_io io;
    crioimg__h1 p;
    crioimg__hlim lim;
    crioimg_result r;
    io.c = c;
    io.cancel = rq->cancel;
    io.idle_ms = rq->idle_timeout_ms > 0 ? rq->idle_timeout_ms : CRIOIMG_HTTP_IDLE_TIMEOUT_MS;
    io.hard = 0;
    io.hard_hit = 0;
    io.err = err;
    io.errcap = errcap;
    *reusable = *nothing = 0;
    crioimg__hlim_init(&lim, rq, crioimg__http_now_ms());
    crioimg__h1_init(&p, t->line, is_head, &rq->sink, err, errcap);
    r = crioimg__mt_write(&io, head, hlen);
    if (r == CRIOIMG_OK && rq->body_len) r = crioimg__mt_write(&io, rq->body, rq->body_len);
    if (r == CRIOIMG_ERR_HTTP_CONNECT) *nothing = 1;  /* a dropped idle connection usually fails here */
    while (r == CRIOIMG_OK && !crioimg__h1_done(&p)) {
        size_t got, used;
        const char *why = NULL;
        long long now = crioimg__http_now_ms();
        /* a drip keeps the idle timeout from ever firing: the header, total and progress rules are
           judged between reads, and the reads wait no longer than their next deadline */
        if (crioimg__h1_in_body(&p)) crioimg__hlim_body(&lim, now, p.received);
        if (crioimg__hlim_check(&lim, now, p.received, &why) != CRIOIMG_OK) { r = crioimg__mt_fail(err, errcap, CRIOIMG_ERR_TIMEOUT, why, NULL, NULL); break; }
        io.hard = crioimg__hlim_next(&lim);
        io.hard_hit = 0;
        if ((r = crioimg__mt_read(&io, t->buf, sizeof t->buf, &got)) != CRIOIMG_OK) {
            if (r == CRIOIMG_ERR_TIMEOUT && io.hard_hit) r = CRIOIMG_OK;   /* judged at the top */
            continue;
        }
        if (got == 0) {
            *nothing = p.received == 0;
            r = crioimg__h1_eof(&p);
            break;
        }
        if ((r = crioimg__h1_feed(&p, t->buf, got, &used)) != CRIOIMG_OK) break;
        if (used < got) p.close = 1;  /* bytes after the response: the stream is out of step, do not reuse */
    }
    if (r == CRIOIMG_ERR_HTTP_CONNECT && p.received == 0) *nothing = 1;
    if (r == CRIOIMG_OK) *reusable = !p.close && !(c->tls && mbedtls_ssl_get_bytes_avail(&c->ssl) > 0);
    return r;
}

static crioimg_result crioimg__mt_request(void *user, const crioimg_http_request *rq, char *err, size_t errcap)
{
    crioimg__mt *t = (crioimg__mt *)user;
    crioimg_url u;
    char host[256], *head, *key_id;
    const char *method;
    size_t hlen;
    int attempt, is_head;
    crioimg_result r = CRIOIMG_OK;
    if (err && errcap) err[0] = '\0';
    if (rq == NULL || rq->url == NULL || (rq->body == NULL && rq->body_len) || (rq->headers == NULL && rq->nheaders) || !crioimg__mt_headers_ok(rq))
        return crioimg__mt_fail(err, errcap, CRIOIMG_ERR_INVALID_ARGS, "invalid request", NULL, NULL);
    if (crioimg_url_parse(&u, rq->url, strlen(rq->url)) != CRIOIMG_OK)
        return crioimg__mt_fail(err, errcap, CRIOIMG_ERR_INVALID_ARGS, "invalid URL ", rq->url, NULL);
    method = rq->method ? rq->method : "GET";
    is_head = strcmp(method, "HEAD") == 0;
    {   /* the host as getaddrinfo and the certificate check want it: an IPv6 literal without brackets */
        const char *h = u.host.ptr;
        size_t n = u.host.len;
        if (n >= 2 && h[0] == '[') { h++; n -= 2; }
        if (n >= sizeof host) return crioimg__mt_fail(err, errcap, CRIOIMG_ERR_INVALID_ARGS, "host name too long", NULL, NULL);
        memcpy(host, h, n);
        host[n] = '\0';
    }
    if ((head = crioimg__mt_head(t, rq, method, &u, &hlen)) == NULL) return crioimg__mt_fail(err, errcap, CRIOIMG_ERR_NOMEM, "out of memory", NULL, NULL);
    /* Once on the kept-alive connection when it matches; again on a new one when the server had
       dropped it without a word (the usual race of keep-alive), as curl does. */
    for (attempt = 0; attempt < 2; attempt++) {
        crioimg__mt_conn *c = NULL;
        int reusable, nothing, reused = 0;
        if ((key_id = crioimg__mt_key_id(t, &u, &rq->tls)) == NULL) { r = crioimg__mt_fail(err, errcap, CRIOIMG_ERR_NOMEM, "out of memory", NULL, NULL); break; }
        if (t->idle && strcmp(t->idle->key_id, key_id) == 0 && (t->idle->checked || !rq->refuse_local_addresses) &&
            crioimg__mt_still_open(t->idle)) {
            c = t->idle;
            reused = 1;
            crioimg_free(&t->alloc, key_id);
        } else {
            /* cleared before anything can fail: a failed open below must not leave t->idle pointing at
               freed memory for the next request (and close) to use and free again */
            crioimg__mt_conn *old = t->idle;
            t->idle = NULL;
            crioimg__mt_conn_free(t, old);
            if ((r = crioimg__mt_open_conn(t, rq, &u, host, key_id, &c, err, errcap)) != CRIOIMG_OK) break;
        }
        t->idle = NULL;
        r = crioimg__mt_exchange(t, c, rq, head, hlen, is_head, &reusable, &nothing, err, errcap);
        if (reusable) t->idle = c;
        else crioimg__mt_conn_free(t, c);
        if (!(r == CRIOIMG_ERR_HTTP_CONNECT && reused && nothing)) break;
    }
    crioimg_free(&t->alloc, head);
    return r;
}

static void crioimg__mt_close(void *user)
{
    crioimg__mt *t = (crioimg__mt *)user;
    crioimg_allocator a;
    if (t == NULL) return;
    a = t->alloc;
    crioimg__mt_conn_free(t, t->idle);
    mbedtls_ctr_drbg_free(&t->drbg);
    mbedtls_entropy_free(&t->entropy);
    crioimg_free(&a, t->line);
    crioimg_free(&a, t);
}

crioimg_result crioimg_http_open_mbedtls(crioimg_http **out, const crioimg_allocator *alloc)
{
    static const unsigned char pers[] = "crioimg http";
    crioimg__mt *t;
    if (out == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    *out = NULL;
    if (crioimg_allocator_check(alloc) != CRIOIMG_OK) return CRIOIMG_ERR_INVALID_ARGS;
    if ((t = (crioimg__mt *)crioimg_malloc(alloc, sizeof *t)) == NULL) return CRIOIMG_ERR_NOMEM;
    memset(t, 0, sizeof *t);
    if (alloc) t->alloc = *alloc;
#  ifdef CRIOIMG__MT_PSA
    /* TLS 1.3 in mbedtls 3.x (the default from 3.6) does its crypto through PSA, which the application
       must initialise first; it may be called again, and is a no-op then */
    if (psa_crypto_init() != PSA_SUCCESS) { crioimg_free(alloc, t); return CRIOIMG_ERR_HTTP_TLS; }
#  endif
    mbedtls_entropy_init(&t->entropy);
    mbedtls_ctr_drbg_init(&t->drbg);
    if ((t->line = (char *)crioimg_malloc(alloc, CRIOIMG__H1_LINE_MAX)) == NULL) { crioimg__mt_close(t); return CRIOIMG_ERR_NOMEM; }
    if (mbedtls_ctr_drbg_seed(&t->drbg, mbedtls_entropy_func, &t->entropy, pers, sizeof pers - 1) != 0) {
        crioimg__mt_close(t);
        return CRIOIMG_ERR_HTTP_TLS;
    }
    return crioimg__http_open_builtin(out, t, crioimg__mt_request, crioimg__mt_close, alloc);
}

#else

crioimg_result crioimg_http_open_mbedtls(crioimg_http **out, const crioimg_allocator *alloc)
{
    (void)alloc;
    if (out) *out = NULL;
    return CRIOIMG_ERR_HTTP_NO_TRANSPORT;
}

#endif /* CRIOIMG_WITH_MBEDTLS */
