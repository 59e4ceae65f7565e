/* ---------------------------------------------------------------------------------------------------
   registry implementation

   Three layers, each small: an exchange is one request with its redirects (crioimg__rg_exchange); a send
   adds authorization, the one token refresh a 401 may earn, and the retries (crioimg__rg_send); the
   public calls build the URL from validated parts and judge the final answer. Every response goes
   through one sink (crioimg__rg_rsp) that keeps the few headers the client reads, caps every body it
   keeps, and hands blob bytes to the verifier (crioimg__rg_blob) that never delivers a byte twice.
   --------------------------------------------------------------------------------------------------- */
#include "internal.h"
#include "netaddr.h"

#include <time.h>
#if defined(CRIOIMG__POSIX2008)
#  define CRIOIMG__HAVE_NANOSLEEP 1
#endif

#define CRIOIMG__RG_URL_MAX 4096          /* URLs this client builds or follows */
#define CRIOIMG__RG_CHALLENGES_MAX 8
#define CRIOIMG__RG_WWW_MAX 8             /* WWW-Authenticate lines kept from one response */
#define CRIOIMG__RG_TOKEN_LIFETIME_MIN 60 /* Go's minimumTokenLifetimeSeconds */

typedef struct crioimg__rg_challenge { int bearer; char *realm, *service; } crioimg__rg_challenge;
typedef struct crioimg__rg_token { char *scope, *token; long long expires; } crioimg__rg_token;

struct crioimg_registry {
    crioimg_allocator alloc;
    crioimg_http *http;
    int own_http;
    char domain[CRIOIMG_REF_NAME_MAX + 1];   /* as the reference gives it: credentials, messages */
    char host[CRIOIMG_REF_NAME_MAX + 1];     /* where it is served: docker.io is registry-1.docker.io */
    int secure;                              /* verified https only */
    int pinged, https;                       /* the scheme the ping found */
    crioimg_tls_files tls;
    char *username, *password;               /* opts (--creds) */
    char *authfile;
    int no_auth_files;
    char *cred_key;                          /* the key creds were looked up for */
    crioimg_credentials creds;
    crioimg__rg_challenge ch[CRIOIMG__RG_CHALLENGES_MAX];
    size_t nch;
    crioimg__rg_token *tok;
    size_t ntok, tokcap;
    char *user_agent;
    long connect_timeout_ms, idle_timeout_ms, retry_delay_ms, retry_after_max_ms;
    long header_timeout_ms, total_timeout_ms, blob_min_period_ms;
    size_t blob_min_bytes;
    int retries;
    const volatile int *cancel;
    void (*sleep_ms)(void *user, long ms);
    long long (*now)(void *user);
    void *clock_user;
    void (*log)(void *log_user, crioimg_log_level level, const char *msg);
    void *log_user;
    char err[1024];
};

/* ---- small helpers ---- */

static crioimg_result crioimg__rg_fail(crioimg_registry *r, crioimg_result res, const char *a, const char *b, const char *c, const char *d)
{
    crioimg__out o;
    o.p = r->err; o.cap = sizeof r->err; o.len = 0;
    r->err[0] = '\0';
    crioimg__out_str(&o, a);
    if (b) crioimg__out_str(&o, b);
    if (c) crioimg__out_str(&o, c);
    if (d) crioimg__out_str(&o, d);
    return res;
}

#define CRIOIMG__RG_RESUME_PROGRESS ((long long)1 << 20)   /* bytes a broken blob try must add to reset the retries */

static long long crioimg__rg_now(const crioimg_registry *r)
{
    return r->now ? r->now(r->clock_user) : (long long)time(NULL);
}

static int crioimg__rg_cancelled(const crioimg_registry *r) { return crioimg_cancelled(r->cancel); }

/* Waits ms, in slices of at most 100 ms so that a cancel is seen soon (a host's sleep_ms gets it whole) */
static void crioimg__rg_sleep(const crioimg_registry *r, long ms)
{
    if (r->sleep_ms) { r->sleep_ms(r->clock_user, ms); return; }
    while (ms > 0 && !crioimg__rg_cancelled(r)) {
        long slice = ms < 100 ? ms : 100;
#ifdef CRIOIMG__HAVE_NANOSLEEP
        struct timespec ts;
        ts.tv_sec = 0;
        ts.tv_nsec = slice * 1000000L;
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
#else
        {   /* no POSIX clock: the next second on time() */
            time_t end = time(NULL) + 1;
            while (time(NULL) < end) {}
            slice = 1000;
        }
#endif
        ms -= slice;
    }
}

/* Go's url.QueryEscape: unreserved bytes as they are, space as '+', the rest %XX */
static void crioimg__rg_qs(crioimg__out *o, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~') {
            crioimg__out_put(o, s, 1);
        } else if (c == ' ') {
            crioimg__out_put(o, "+", 1);
        } else {
            char e[3];
            e[0] = '%'; e[1] = hex[c >> 4]; e[2] = hex[c & 15];
            crioimg__out_put(o, e, 3);
        }
    }
}

/* base64 (RFC 4648, padded) of a + ":" + b: the Basic credentials */
static void crioimg__rg_basic(crioimg__out *o, const char *a, const char *b)
{
    static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t an = strlen(a), bn = strlen(b), n = an + 1 + bn, i;
    unsigned char g[3];
    crioimg__out_str(o, "Basic ");
    for (i = 0; i < n; i += 3) {
        size_t k, m = n - i < 3 ? n - i : 3;
        char e[4];
        for (k = 0; k < 3; k++) {
            size_t j = i + k;
            g[k] = (unsigned char)(j >= n ? 0 : j < an ? a[j] : j == an ? ':' : b[j - an - 1]);
        }
        e[0] = al[g[0] >> 2];
        e[1] = al[(g[0] & 3) << 4 | g[1] >> 4];
        e[2] = m > 1 ? al[(g[1] & 15) << 2 | g[2] >> 6] : '=';
        e[3] = m > 2 ? al[g[2] & 63] : '=';
        crioimg__out_put(o, e, 4);
    }
}

static char *crioimg__rg_dup(const crioimg_allocator *a, const char *s)
{
    return s ? crioimg__reg_strndup(a, s, strlen(s)) : NULL;
}

/* the reason phrase of the statuses a registry sends, for messages in Go's words */
static const char *crioimg__rg_status_text(int status)
{
    switch (status) {
    case 200: return "OK";
    case 206: return "Partial Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 416: return "Requested Range Not Satisfiable";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "";
    }
}

/* "invalid status code from registry 404 (Not Found)" */
static void crioimg__rg_status_msg(crioimg__out *o, int status)
{
    crioimg__out_str(o, "invalid status code from registry ");
    crioimg__out_uint(o, (unsigned long long)(status < 0 ? 0 : status));
    crioimg__out_str(o, " (");
    crioimg__out_str(o, crioimg__rg_status_text(status));
    crioimg__out_str(o, ")");
}

/* ---- validating what goes into a URL ---- */

/* repo must be a path of the reference grammar under domain (no "..", '?', '%', ':' or '@' can pass) */
static int crioimg__rg_repo_ok(const crioimg_registry *r, const char *repo)
{
    char buf[CRIOIMG_REF_NAME_MAX + 2];
    crioimg_ref ref;
    size_t dl = strlen(r->domain), rl;
    if (repo == NULL || (rl = strlen(repo)) == 0 || dl + 1 + rl > CRIOIMG_REF_NAME_MAX) return 0;
    memcpy(buf, r->domain, dl);
    buf[dl] = '/';
    memcpy(buf + dl + 1, repo, rl);
    return crioimg_ref_parse(&ref, buf, dl + 1 + rl) == CRIOIMG_OK && ref.domain_len == dl &&
           ref.name_len == dl + 1 + rl && ref.tag_len == 0 && ref.digest_len == 0;
}

/* tag := [\w][\w.-]{0,127} */
static int crioimg__rg_tag_ok(const char *t)
{
    size_t i, n = strlen(t);
    if (n == 0 || n > CRIOIMG_REF_TAG_MAX || t[0] == '.' || t[0] == '-') return 0;
    for (i = 0; i < n; i++) {
        char c = t[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-')) return 0;
    }
    return 1;
}

/* ---- the response sink ---- */

/* the blob being fetched: what was delivered, and the check of bytes a restart sends again */
typedef struct crioimg__rg_blob {
    crioimg_registry_blob_fn fn;
    void *ctx;
    long long size;
    crioimg_digest want;
    crioimg_hasher h;          /* over the delivered bytes */
    long long delivered;       /* bytes fn has had */
    long long asked;           /* the Range offset of the current request (0: none) */
    int norange;               /* a 206 was wrong: ask for the whole blob from now on */
    int started;               /* the current response's first byte was placed */
    long long pos;             /* the offset of the next byte of the current response */
    crioimg_hasher check;      /* a restart: hash of bytes [0, delivered) sent again ... */
    unsigned char mark[CRIOIMG_DIGEST_BYTES_MAX];   /* ... must equal this, the hash of those delivered */
    size_t marklen;
    int bad_range;             /* the current 206 does not answer the Range asked */
    int fatal;                 /* the content itself failed (size, digest, consumer): no retry helps */
    const crioimg__hash_relay *relay;   /* who applies delivered bytes to h (NULL: this code, at once) */
} crioimg__rg_blob;

/* h holds every byte delivered (a relay may lag behind) */
static void crioimg__rg_blob_drain(crioimg__rg_blob *b)
{
    if (b->relay) b->relay->drain(b->relay->u);
}

typedef struct crioimg__rg_rsp {
    crioimg_registry *r;
    int status;
    char *location;                   /* CRIOIMG__RG_URL_MAX bytes, allocated at the first Location: a
                                         response struct lives on the stack of every request */
    int has_location, location_bad;
    char ctype[256];
    int ctype_bad;
    char dcd[CRIOIMG_DIGEST_STRING_MAX + 1];
    int has_dcd, dcd_bad;
    char retry_after[64];
    int has_retry_after;
    char crange[128];
    int has_crange;
    long long clen;            /* Content-Length, -1 when absent or unreadable */
    char *www[CRIOIMG__RG_WWW_MAX];
    size_t nwww;
    char *buf;                 /* a kept body: NUL-terminated */
    size_t len, cap, max;      /* max: the cap of a success body */
    int truncated;             /* an error body longer than CRIOIMG_REGISTRY_SMALL_BODY_MAX: cut */
    int too_big;               /* a success body longer than max */
    size_t skipped;            /* bytes of a 3xx body, which is not kept */
    int redirect_cut;          /* ... and it ran past CRIOIMG_REGISTRY_SMALL_BODY_MAX: not read further */
    int foreign;               /* the final response came through a hop to another origin: not the registry's word */
    long long small_deadline;  /* a blob request answered with something else: that body's deadline (0: none) */
    int small_late;            /* ... and it was missed */
    crioimg__rg_blob *blob;    /* success bodies go here instead */
} crioimg__rg_rsp;

static void crioimg__rg_rsp_reset(crioimg__rg_rsp *s)
{
    size_t i;
    for (i = 0; i < s->nwww; i++) crioimg_free(&s->r->alloc, s->www[i]);
    s->nwww = 0;
    s->status = 0;
    s->has_location = s->location_bad = s->ctype_bad = s->has_dcd = s->dcd_bad = s->has_retry_after = s->has_crange = 0;
    if (s->location) s->location[0] = '\0';
    s->ctype[0] = s->dcd[0] = s->retry_after[0] = s->crange[0] = '\0';
    s->clen = -1;
    s->len = s->skipped = 0;
    if (s->buf) s->buf[0] = '\0';
    s->truncated = s->too_big = s->redirect_cut = s->foreign = s->small_late = 0;
    s->small_deadline = 0;
    if (s->blob) { s->blob->started = 0; s->blob->bad_range = 0; }
}

static void crioimg__rg_rsp_free(crioimg__rg_rsp *s)
{
    crioimg__rg_rsp_reset(s);
    crioimg_free(&s->r->alloc, s->buf);
    crioimg_free(&s->r->alloc, s->location);
    s->location = NULL;
    s->buf = NULL;
    s->cap = 0;
}

static crioimg_result crioimg__rg_on_status(void *ctx, int code)
{
    crioimg__rg_rsp *s = (crioimg__rg_rsp *)ctx;
    s->status = code;
    /* a blob request goes with the minimum-progress rule only; what answers it instead (an error, a
       redirect) is a small body and gets the small bodies' overall deadline, kept here */
    if (s->blob && code != 200 && code != 206) s->small_deadline = crioimg__http_now_ms() + s->r->total_timeout_ms;
    return CRIOIMG_OK;
}

/* copies a header value into a fixed field; *bad when it does not fit */
static void crioimg__rg_keep(char *dst, size_t cap, int *has, int *bad, const char *v, size_t n)
{
    *has = 1;
    if (n >= cap) { if (bad) *bad = 1; dst[0] = '\0'; return; }
    memcpy(dst, v, n);
    dst[n] = '\0';
}

static crioimg_result crioimg__rg_on_header(void *ctx, const char *name, size_t nl, const char *v, size_t vl)
{
    crioimg__rg_rsp *s = (crioimg__rg_rsp *)ctx;
    int dummy = 0;
    if (crioimg__ascii_ieq(name, nl, "location")) {
        if (s->location == NULL && (s->location = (char *)crioimg_malloc(&s->r->alloc, CRIOIMG__RG_URL_MAX)) == NULL)
            return CRIOIMG_ERR_NOMEM;
        crioimg__rg_keep(s->location, CRIOIMG__RG_URL_MAX, &s->has_location, &s->location_bad, v, vl);
    } else if (crioimg__ascii_ieq(name, nl, "content-type")) {
        crioimg__rg_keep(s->ctype, sizeof s->ctype, &dummy, &s->ctype_bad, v, vl);
    } else if (crioimg__ascii_ieq(name, nl, "docker-content-digest")) {
        crioimg__rg_keep(s->dcd, sizeof s->dcd, &s->has_dcd, &s->dcd_bad, v, vl);
    } else if (crioimg__ascii_ieq(name, nl, "retry-after")) {
        crioimg__rg_keep(s->retry_after, sizeof s->retry_after, &s->has_retry_after, &dummy, v, vl);
    } else if (crioimg__ascii_ieq(name, nl, "content-range")) {
        crioimg__rg_keep(s->crange, sizeof s->crange, &s->has_crange, &dummy, v, vl);
    } else if (crioimg__ascii_ieq(name, nl, "content-length")) {
        long long x = 0;
        size_t i;
        for (i = 0; i < vl && i < 18 && v[i] >= '0' && v[i] <= '9'; i++) x = x * 10 + (v[i] - '0');
        s->clen = (vl > 0 && i == vl) ? x : -1;
    } else if (crioimg__ascii_ieq(name, nl, "www-authenticate") && s->nwww < CRIOIMG__RG_WWW_MAX) {
        char *c = crioimg__reg_strndup(&s->r->alloc, v, vl);
        if (c == NULL) return CRIOIMG_ERR_NOMEM;
        s->www[s->nwww++] = c;
    }
    return CRIOIMG_OK;
}

static crioimg_result crioimg__rg_append(crioimg__rg_rsp *s, const void *data, size_t n)
{
    if (s->cap - s->len < n + 1) {
        size_t nc = s->cap ? s->cap : 4096;
        char *nb;
        while (nc - s->len < n + 1) nc *= 2;
        if ((nb = (char *)crioimg_realloc(&s->r->alloc, s->buf, nc)) == NULL) return CRIOIMG_ERR_NOMEM;
        s->buf = nb;
        s->cap = nc;
    }
    memcpy(s->buf + s->len, data, n);
    s->len += n;
    s->buf[s->len] = '\0';
    return CRIOIMG_OK;
}

/* The first byte of a blob response (or its end, when it has none): where it starts. A 206 must answer
   the Range asked; a 200 starts at 0, and when bytes were delivered already, those come again and must
   hash as they did. */
static crioimg_result crioimg__rg_blob_begin(crioimg__rg_blob *b, const crioimg__rg_rsp *s)
{
    b->started = 1;
    if (s->status == 206) {
        if (!s->has_crange || !crioimg_http_resume_ok(s->crange, strlen(s->crange), b->asked, b->size)) {
            b->bad_range = 1;
            return CRIOIMG_ERR_HTTP_PROTOCOL;
        }
        b->pos = b->asked;
    } else {
        b->pos = 0;
    }
    if (b->pos < b->delivered) {  /* b->pos is 0 here: asked is 0 or delivered */
        crioimg__rg_blob_drain(b);
        b->check = b->h;
        b->marklen = crioimg_hasher_final(&b->check, b->mark);
        crioimg_hasher_reset(&b->check);
    }
    return CRIOIMG_OK;
}

static crioimg_result crioimg__rg_blob_put(crioimg__rg_blob *b, const crioimg__rg_rsp *s, const unsigned char *p, size_t n)
{
    crioimg_result res;
    if (!b->started && (res = crioimg__rg_blob_begin(b, s)) != CRIOIMG_OK) return res;
    if ((unsigned long long)n > (unsigned long long)(b->size - b->pos)) { b->fatal = 1; return CRIOIMG_ERR_SIZE_MISMATCH; }
    if (b->pos < b->delivered) {
        size_t k = (unsigned long long)(b->delivered - b->pos) < n ? (size_t)(b->delivered - b->pos) : n;
        crioimg_hasher_update(&b->check, p, k);
        b->pos += (long long)k;
        p += k;
        n -= k;
        if (b->pos == b->delivered) {
            unsigned char got[CRIOIMG_DIGEST_BYTES_MAX];
            size_t gl = crioimg_hasher_final(&b->check, got);
            if (gl != b->marklen || memcmp(got, b->mark, gl) != 0) { b->fatal = 1; return CRIOIMG_ERR_DIGEST_MISMATCH; }
        }
    }
    if (n == 0) return CRIOIMG_OK;
    if (b->relay) b->relay->hash(b->relay->u, &b->h, p, n);
    else crioimg_hasher_update(&b->h, p, n);
    b->pos += (long long)n;
    b->delivered += (long long)n;
    if ((res = b->fn(b->ctx, p, n)) != CRIOIMG_OK) b->fatal = 1;
    return res;
}

static crioimg_result crioimg__rg_on_body(void *ctx, const void *data, size_t n)
{
    crioimg__rg_rsp *s = (crioimg__rg_rsp *)ctx;
    if (s->small_deadline && crioimg__http_now_ms() >= s->small_deadline) { s->small_late = 1; return CRIOIMG_ERR_TIMEOUT; }
    if (s->status >= 300 && s->status < 400) {
        /* a redirect's body is not kept, but counted: one that never ends must not hold the call forever */
        if (n > CRIOIMG_REGISTRY_SMALL_BODY_MAX - s->skipped) { s->redirect_cut = 1; return CRIOIMG_ERR_TOO_BIG; }
        s->skipped += n;
        return CRIOIMG_OK;
    }
    if (s->status < 200 || s->status >= 300 || (s->blob && s->status != 200 && s->status != 206)) {
        /* an error body: kept up to the small cap, the rest cut (the answer is the status) */
        size_t room = CRIOIMG_REGISTRY_SMALL_BODY_MAX - s->len;
        if (n > room) { s->truncated = 1; if (room) (void)crioimg__rg_append(s, data, room); return CRIOIMG_ERR_TOO_BIG; }
        return crioimg__rg_append(s, data, n);
    }
    if (s->blob) return crioimg__rg_blob_put(s->blob, s, (const unsigned char *)data, n);
    if (n > s->max - s->len) { s->too_big = 1; return CRIOIMG_ERR_TOO_BIG; }
    return crioimg__rg_append(s, data, n);
}

/* ---- parsers of what the servers send (the fuzz target calls these) ---- */

/* text a server wrote, as one line of a message: control bytes become '?' */
static void crioimg__rg_put_line(crioimg__out *o, const char *s, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) crioimg__out_put(o, (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? "?" : s + i, 1);
}

/* RFC 3339 as Go's time.Time reads JSON: "YYYY-MM-DDThh:mm:ss[.frac](Z|+hh:mm|-hh:mm)", into Unix
   seconds; 0 when malformed */
CRIOIMG__LIB int crioimg__rg_rfc3339(const char *s, size_t n, long long *t)
{
    long long y, mo, d, h, mi, se, oh = 0, om = 0;
    size_t i = 19;
    if (n < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') || s[13] != ':' || s[16] != ':' ||
        crioimg__http_digits(s, 4, 9999, &y) != 4 || crioimg__http_digits(s + 5, 2, 99, &mo) != 2 ||
        crioimg__http_digits(s + 8, 2, 99, &d) != 2 || crioimg__http_digits(s + 11, 2, 99, &h) != 2 ||
        crioimg__http_digits(s + 14, 2, 99, &mi) != 2 || crioimg__http_digits(s + 17, 2, 99, &se) != 2 ||
        mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 59)
        return 0;
    if (s[i] == '.') {
        size_t k = i + 1;
        while (k < n && s[k] >= '0' && s[k] <= '9') k++;
        if (k == i + 1) return 0;
        i = k;
    }
    if (i + 1 == n && (s[i] == 'Z' || s[i] == 'z')) {
        i = n;
    } else if (i + 6 == n && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':' &&
               crioimg__http_digits(s + i + 1, 2, 99, &oh) == 2 && crioimg__http_digits(s + i + 4, 2, 99, &om) == 2 &&
               oh <= 23 && om <= 59) {
        if (s[i] == '-') { oh = -oh; om = -om; }
        i = n;
    }
    if (i != n) return 0;
    *t = crioimg__days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + se - oh * 3600 - om * 60;
    return 1;
}

/* A token response as containers/image's newBearerTokenFromJSONBlob reads it: a JSON object whose
   "token" (else "access_token") is the token, "expires_in" seconds (at least 60) from "issued_at" (else
   now). Field names fold as Go's decoder folds them; a field of the wrong type fails, as it fails there.
   *token is allocated (alloc); ERR_AUTH_TOKEN with err saying why. */
CRIOIMG__LIB crioimg_result crioimg__rg_token_parse(const char *b, size_t n, long long now, const crioimg_allocator *a,
                                                    char **token, long long *expires, char *err, size_t errcap)
{
    crioimg_json doc;
    crioimg_json_opts jo;
    crioimg__out e;
    size_t t, at, ei, ia;
    long long life = 0, issued = now;
    crioimg_result res = CRIOIMG_ERR_AUTH_TOKEN;
    e.p = err; e.cap = errcap; e.len = 0;
    if (errcap) err[0] = '\0';
    *token = NULL;
    *expires = 0;
    memset(&jo, 0, sizeof jo);
    jo.max_size = CRIOIMG_REGISTRY_SMALL_BODY_MAX;
    jo.allow_duplicates = 1;   /* encoding/json keeps the last */
    if (a) jo.alloc = *a;
    if ((res = crioimg_json_parse(&doc, b, n, &jo)) != CRIOIMG_OK) {
        if (res == CRIOIMG_ERR_NOMEM) return res;
        crioimg__out_str(&e, "the token response is not JSON: ");
        crioimg__out_str(&e, doc.err);
        return CRIOIMG_ERR_AUTH_TOKEN;
    }
    res = CRIOIMG_ERR_AUTH_TOKEN;   /* until a token is found */
    if (doc.tok[0].type != CRIOIMG_JSON_OBJECT) { crioimg__out_str(&e, "the token response is not a JSON object"); goto done; }
    t = crioimg__auth_field(&doc, 0, "token");
    at = crioimg__auth_field(&doc, 0, "access_token");
    ei = crioimg__auth_field(&doc, 0, "expires_in");
    ia = crioimg__auth_field(&doc, 0, "issued_at");
    if ((t != CRIOIMG_JSON_NONE && doc.tok[t].type != CRIOIMG_JSON_STRING && doc.tok[t].type != CRIOIMG_JSON_NULL) ||
        (at != CRIOIMG_JSON_NONE && doc.tok[at].type != CRIOIMG_JSON_STRING && doc.tok[at].type != CRIOIMG_JSON_NULL)) {
        crioimg__out_str(&e, "the token is not a string");
        goto done;
    }
    if (ei != CRIOIMG_JSON_NONE && doc.tok[ei].type != CRIOIMG_JSON_NULL &&
        crioimg_json_int(&doc, ei, -0x7fffffffffffffffLL, 0x7fffffffffffffffLL, &life) != CRIOIMG_OK) {
        crioimg__out_str(&e, "expires_in is not an integer");
        goto done;
    }
    if (ia != CRIOIMG_JSON_NONE && doc.tok[ia].type != CRIOIMG_JSON_NULL) {
        char ts[64];
        size_t tl = crioimg_json_string(&doc, ia, ts, sizeof ts);
        if (doc.tok[ia].type != CRIOIMG_JSON_STRING || tl >= sizeof ts || !crioimg__rg_rfc3339(ts, tl, &issued)) {
            crioimg__out_str(&e, "issued_at is not an RFC 3339 time");
            goto done;
        }
    }
    if (t == CRIOIMG_JSON_NONE || crioimg_json_string(&doc, t, NULL, 0) == 0) t = at;  /* "token" empty: access_token */
    if (t == CRIOIMG_JSON_NONE || doc.tok[t].type != CRIOIMG_JSON_STRING || crioimg_json_string(&doc, t, NULL, 0) == 0) {
        crioimg__out_str(&e, "the token response has no token");
        goto done;
    }
    {
        size_t tl = crioimg_json_string(&doc, t, NULL, 0), i;
        if ((*token = (char *)crioimg_malloc(a, tl + 1)) == NULL) { res = CRIOIMG_ERR_NOMEM; goto done; }
        crioimg_json_string(&doc, t, *token, tl + 1);
        for (i = 0; i < tl; i++)   /* it goes into a header line */
            if ((unsigned char)(*token)[i] < 0x20 || (*token)[i] == 0x7f) {
                crioimg_free(a, *token);
                *token = NULL;
                crioimg__out_str(&e, "the token holds control characters");
                goto done;
            }
    }
    if (life < CRIOIMG__RG_TOKEN_LIFETIME_MIN) life = CRIOIMG__RG_TOKEN_LIFETIME_MIN;
    if (life > 10LL * 366 * 86400) life = 10LL * 366 * 86400;   /* no overflow below */
    if (issued < -(1LL << 40)) issued = -(1LL << 40);
    if (issued > (1LL << 40)) issued = 1LL << 40;
    *expires = issued + life;
    res = CRIOIMG_OK;
done:
    crioimg_json_free(&doc);
    return res;
}

/* An error body as distribution writes it, {"errors":[{"code","message","detail"}]} (or the older
   {"details": "..."}): the result its first code means (MANIFEST_UNKNOWN and NAME_UNKNOWN give
   ERR_REGISTRY_MANIFEST_UNKNOWN; the caller says "blob" when that is what was asked), and its text in
   msg ("manifest unknown: manifest unknown", as errcode.Error prints). OK when the body names no code it
   knows; msg is "" when nothing could be read. */
CRIOIMG__LIB crioimg_result crioimg__rg_error_parse(const char *b, size_t n, int status, char *msg, size_t cap)
{
    crioimg_json doc;
    crioimg_json_opts jo;
    crioimg__out o;
    crioimg_result res = CRIOIMG_OK;
    size_t errs, i, k;
    o.p = msg; o.cap = cap; o.len = 0;
    if (cap) msg[0] = '\0';
    memset(&jo, 0, sizeof jo);
    jo.max_size = CRIOIMG_REGISTRY_SMALL_BODY_MAX;
    jo.max_depth = 16;
    jo.allow_duplicates = 1;
    if (n == 0 || crioimg_json_parse(&doc, b, n, &jo) != CRIOIMG_OK) return CRIOIMG_OK;
    if (doc.tok[0].type != CRIOIMG_JSON_OBJECT) goto done;
    if ((i = crioimg__auth_field(&doc, 0, "details")) != CRIOIMG_JSON_NONE && doc.tok[i].type == CRIOIMG_JSON_STRING &&
        crioimg_json_string(&doc, i, NULL, 0) > 0) {
        char d[512];
        size_t dl = crioimg_json_string(&doc, i, d, sizeof d);
        crioimg__out_str(&o, status == 401 ? "unauthorized: " : status == 429 ? "toomanyrequests: " : "unknown: ");
        crioimg__rg_put_line(&o, d, dl < sizeof d ? dl : sizeof d - 1);
        res = status == 401 ? CRIOIMG_ERR_AUTH_REQUIRED : status == 429 ? CRIOIMG_ERR_REGISTRY_TOO_MANY_REQUESTS : CRIOIMG_OK;
        goto done;
    }
    errs = crioimg__auth_field(&doc, 0, "errors");
    if (errs == CRIOIMG_JSON_NONE || doc.tok[errs].type != CRIOIMG_JSON_ARRAY) goto done;
    for (i = errs + 1, k = 0; k < doc.tok[errs].count; k++, i = doc.tok[i].next) {
        static const struct { const char *code; crioimg_result r; } map[] = {
            { "MANIFEST_UNKNOWN", CRIOIMG_ERR_REGISTRY_MANIFEST_UNKNOWN }, { "NAME_UNKNOWN", CRIOIMG_ERR_REGISTRY_MANIFEST_UNKNOWN },
            { "BLOB_UNKNOWN", CRIOIMG_ERR_REGISTRY_BLOB_UNKNOWN }, { "DENIED", CRIOIMG_ERR_REGISTRY_DENIED },
            { "UNAUTHORIZED", CRIOIMG_ERR_AUTH_REQUIRED }, { "TOOMANYREQUESTS", CRIOIMG_ERR_REGISTRY_TOO_MANY_REQUESTS },
        };
        char code[64], text[512];
        size_t cl, tl, c, m;
        if (doc.tok[i].type != CRIOIMG_JSON_OBJECT) continue;
        cl = crioimg_json_string(&doc, crioimg__auth_field(&doc, i, "code"), code, sizeof code);
        tl = crioimg_json_string(&doc, crioimg__auth_field(&doc, i, "message"), text, sizeof text);
        if (cl >= sizeof code) cl = 0;
        if (tl >= sizeof text) tl = sizeof text - 1;
        if (o.len) crioimg__out_str(&o, "; ");
        /* errcode.ErrorCode.Error(): the code lowercased, '_' as ' ' */
        for (c = 0; c < cl; c++) {
            char ch = code[c] == '_' ? ' ' : (code[c] >= 'A' && code[c] <= 'Z') ? (char)(code[c] - 'A' + 'a') : code[c];
            crioimg__rg_put_line(&o, &ch, 1);
        }
        if (cl == 0) crioimg__out_str(&o, "unknown");
        crioimg__out_str(&o, ": ");
        crioimg__rg_put_line(&o, text, tl);
        for (m = 0; res == CRIOIMG_OK && m < sizeof map / sizeof map[0]; m++)
            if (cl == strlen(map[m].code) && memcmp(code, map[m].code, cl) == 0) res = map[m].r;
    }
done:
    crioimg_json_free(&doc);
    return res;
}

/* ---- challenges, credentials, tokens ---- */

static void crioimg__rg_challenges_clear(crioimg_registry *r)
{
    size_t i;
    for (i = 0; i < r->nch; i++) {
        crioimg_free(&r->alloc, r->ch[i].realm);
        crioimg_free(&r->alloc, r->ch[i].service);
    }
    r->nch = 0;
}

/* Remembers the Basic and Bearer challenges of a response's WWW-Authenticate lines, in order. A line
   may carry several challenges (RFC 7235); containers/image reads the first of each line only, which
   for the usual "Bearer ..., Basic ..." line chooses the same. A malformed line is skipped. */
static crioimg_result crioimg__rg_challenges_learn(crioimg_registry *r, const crioimg__rg_rsp *s)
{
    size_t l, i;
    crioimg__rg_challenges_clear(r);
    for (l = 0; l < s->nwww; l++) {
        crioimg_auth_challenge c[CRIOIMG__RG_CHALLENGES_MAX];
        size_t n = strlen(s->www[l]), cap = 2 * n + 64, count = 0;
        char *buf = (char *)crioimg_malloc(&r->alloc, cap);
        if (buf == NULL) return CRIOIMG_ERR_NOMEM;
        if (crioimg_www_authenticate_parse(s->www[l], n, c, CRIOIMG__RG_CHALLENGES_MAX, &count, buf, cap) != CRIOIMG_OK) count = 0;
        for (i = 0; i < count && r->nch < CRIOIMG__RG_CHALLENGES_MAX; i++) {
            crioimg__rg_challenge *h = &r->ch[r->nch];
            int bearer = strcmp(c[i].scheme, "bearer") == 0;
            if (!bearer && strcmp(c[i].scheme, "basic") != 0) continue;
            const char *realm = crioimg_auth_challenge_param(&c[i], "realm"), *service = crioimg_auth_challenge_param(&c[i], "service");
            h->bearer = bearer;
            h->realm = crioimg__rg_dup(&r->alloc, realm);
            h->service = crioimg__rg_dup(&r->alloc, service);
            r->nch++;
            if ((realm && h->realm == NULL) || (service && h->service == NULL)) { crioimg_free(&r->alloc, buf); return CRIOIMG_ERR_NOMEM; }
        }
        crioimg_free(&r->alloc, buf);
    }
    return CRIOIMG_OK;
}

/* A second client to the same registry (a pull's workers) starts where this one's ping left it: the
   scheme found and the challenges. That saves each worker a /v2/ request and, for an insecure registry
   that speaks plain http, a refused TLS attempt before it (each worker started 10-15 ms late on
   loopback). Nothing is adopted across hosts or security settings; tokens stay per client. */
CRIOIMG__LIB crioimg_result crioimg__registry_adopt_ping(crioimg_registry *dst, const crioimg_registry *src)
{
    size_t i;
    if (!src->pinged || dst->pinged || dst->secure != src->secure || strcmp(dst->host, src->host) != 0) return CRIOIMG_OK;
    crioimg__rg_challenges_clear(dst);
    for (i = 0; i < src->nch; i++) {
        crioimg__rg_challenge *h = &dst->ch[dst->nch++];
        h->bearer = src->ch[i].bearer;
        h->realm = crioimg__rg_dup(&dst->alloc, src->ch[i].realm);
        h->service = crioimg__rg_dup(&dst->alloc, src->ch[i].service);
        if ((src->ch[i].realm && h->realm == NULL) || (src->ch[i].service && h->service == NULL)) {
            crioimg__rg_challenges_clear(dst);
            return CRIOIMG_ERR_NOMEM;
        }
    }
    dst->pinged = 1;
    dst->https = src->https;
    return CRIOIMG_OK;
}

/* a Bearer challenge in this response asks for more scope */
static int crioimg__rg_insufficient_scope(const crioimg_registry *r, const crioimg__rg_rsp *s)
{
    size_t l, i;
    int found = 0;
    for (l = 0; l < s->nwww && !found; l++) {
        crioimg_auth_challenge c[CRIOIMG__RG_CHALLENGES_MAX];
        size_t n = strlen(s->www[l]), cap = 2 * n + 64, count = 0;
        char *buf = (char *)crioimg_malloc(&r->alloc, cap);
        if (buf == NULL) return 0;
        if (crioimg_www_authenticate_parse(s->www[l], n, c, CRIOIMG__RG_CHALLENGES_MAX, &count, buf, cap) != CRIOIMG_OK) count = 0;
        for (i = 0; i < count; i++) {
            const char *e = crioimg_auth_challenge_param(&c[i], "error");
            if (strcmp(c[i].scheme, "bearer") == 0 && e && strcmp(e, "insufficient_scope") == 0) found = 1;
        }
        crioimg_free(&r->alloc, buf);
    }
    return found;
}

/* The credentials for repo: --creds, else the auth files' entry for DOMAIN/REPO (looked up again only
   when the repository changes). Any of the three may come back NULL. */
static crioimg_result crioimg__rg_creds(crioimg_registry *r, const char *repo, const char **user, const char **pass, const char **idt)
{
    char key[CRIOIMG_REF_NAME_MAX + 2], e[512];
    crioimg__out o;
    crioimg_result res;
    int found = 0;
    *user = *pass = *idt = NULL;
    if (r->username) { *user = r->username; *pass = r->password ? r->password : ""; return CRIOIMG_OK; }
    if (r->no_auth_files) return CRIOIMG_OK;
    o.p = key; o.cap = sizeof key; o.len = 0;
    crioimg__out_str(&o, r->domain);
    if (repo) { crioimg__out_str(&o, "/"); crioimg__out_str(&o, repo); }
    if (r->cred_key == NULL || strcmp(r->cred_key, key) != 0) {
        crioimg_free(&r->alloc, r->cred_key);
        r->cred_key = NULL;
        crioimg_credentials_free(&r->creds);
        res = crioimg_auth_lookup(&r->creds, &found, key, r->authfile, &r->alloc, e, sizeof e);
        if (res != CRIOIMG_OK) return crioimg__rg_fail(r, res, "getting username and password: ", e, NULL, NULL);
        if ((r->cred_key = crioimg__rg_dup(&r->alloc, key)) == NULL) return CRIOIMG_ERR_NOMEM;
    }
    *user = r->creds.username;
    *pass = r->creds.password ? r->creds.password : "";
    *idt = r->creds.identity_token && *r->creds.identity_token ? r->creds.identity_token : NULL;
    return CRIOIMG_OK;
}

static crioimg__rg_token *crioimg__rg_token_find(crioimg_registry *r, const char *scope)
{
    size_t i;
    for (i = 0; i < r->ntok; i++) if (strcmp(r->tok[i].scope, scope) == 0) return &r->tok[i];
    return NULL;
}

static void crioimg__rg_token_drop(crioimg_registry *r, const char *scope)
{
    crioimg__rg_token *t = crioimg__rg_token_find(r, scope);
    if (t) t->expires = -0x7fffffffffffffffLL;   /* refetched on next use */
}

static crioimg_result crioimg__rg_exchange(crioimg_registry *r, const char *method, const char *url, const char *authz,
                                           const char *accept, const void *body, size_t body_len, const char *body_type,
                                           int registry_tls, int realm, crioimg__rg_rsp *s, char *terr, size_t terrcap);

/* Asks the Bearer challenge's realm for a token for scope, with the registry's TLS policy. */
/* crioimg__rg_token_fetch with its URL buffer (CRIOIMG__RG_URL_MAX bytes) from the caller */
static CRIOIMG__NOINLINE crioimg_result crioimg__rg_token_fetch_in(crioimg_registry *r, const crioimg__rg_challenge *ch, const char *scope,
                                              const char *user, const char *pass, const char *idt, char **token, long long *expires, char *url)
{
    char e[256], terr[256];
    char *form = NULL, *authz = NULL;
    crioimg__out u, f, ao;
    crioimg__rg_rsp s;
    crioimg_result res;
    if (ch->realm == NULL) return crioimg__rg_fail(r, CRIOIMG_ERR_AUTH_CHALLENGE, "missing realm in bearer auth challenge", NULL, NULL, NULL);
    if ((res = crioimg_auth_realm_check(ch->realm, strlen(ch->realm), !r->secure, e, sizeof e)) != CRIOIMG_OK)
        return crioimg__rg_fail(r, res, "requesting bearer token: ", e, NULL, NULL);
    u.p = url; u.cap = CRIOIMG__RG_URL_MAX; u.len = 0;
    crioimg__out_str(&u, ch->realm);
    memset(&s, 0, sizeof s);
    s.r = r;
    s.max = CRIOIMG_REGISTRY_SMALL_BODY_MAX;
    if (idt) {  /* OAuth2 refresh-token grant: the secrets go in the body, never in the URL */
        size_t cap = strlen(idt) * 3 + strlen(scope) * 3 + (ch->service ? strlen(ch->service) * 3 : 0) + 128;
        if ((form = (char *)crioimg_malloc(&r->alloc, cap)) == NULL) return CRIOIMG_ERR_NOMEM;
        f.p = form; f.cap = cap; f.len = 0;
        crioimg__out_str(&f, "grant_type=refresh_token&refresh_token=");
        crioimg__rg_qs(&f, idt);
        if (ch->service && *ch->service) { crioimg__out_str(&f, "&service="); crioimg__rg_qs(&f, ch->service); }
        crioimg__out_str(&f, "&scope=");
        crioimg__rg_qs(&f, scope);
        crioimg__out_str(&f, "&client_id=crioimg");
    } else {
        char sep = memchr(ch->realm, '?', strlen(ch->realm)) ? '&' : '?';
        if (user && *user) { crioimg__out_put(&u, &sep, 1); crioimg__out_str(&u, "account="); crioimg__rg_qs(&u, user); sep = '&'; }
        if (ch->service && *ch->service) { crioimg__out_put(&u, &sep, 1); crioimg__out_str(&u, "service="); crioimg__rg_qs(&u, ch->service); sep = '&'; }
        crioimg__out_put(&u, &sep, 1);
        crioimg__out_str(&u, "scope=");
        crioimg__rg_qs(&u, scope);
        if (user && *user && pass && *pass) {
            size_t cap = (strlen(user) + strlen(pass) + 3) / 3 * 4 + 16;
            if ((authz = (char *)crioimg_malloc(&r->alloc, cap)) == NULL) return CRIOIMG_ERR_NOMEM;
            ao.p = authz; ao.cap = cap; ao.len = 0;
            crioimg__rg_basic(&ao, user, pass);
        }
    }
    if (u.len >= CRIOIMG__RG_URL_MAX) { res = crioimg__rg_fail(r, CRIOIMG_ERR_AUTH_REALM, "requesting bearer token: the token URL is too long", NULL, NULL, NULL); goto done; }
    res = crioimg__rg_exchange(r, form ? "POST" : "GET", url, authz, NULL, form, form ? f.len : 0,
                               form ? "application/x-www-form-urlencoded" : NULL, 1, 1, &s, terr, sizeof terr);
    if (res == CRIOIMG_ERR_TOO_BIG && s.too_big) {
        res = crioimg__rg_fail(r, CRIOIMG_ERR_TOO_BIG, "requesting bearer token: the token response exceeds 1 MiB", NULL, NULL, NULL);
    } else if (res != CRIOIMG_OK) {
        res = crioimg__rg_fail(r, res, "requesting bearer token: ", terr[0] ? terr : crioimg_result_str(res), NULL, NULL);
    } else if (s.status != 200) {
        char m[512], em[256];
        crioimg__out mo;
        crioimg_result er = crioimg__rg_error_parse(s.buf, s.len, s.status, em, sizeof em);
        mo.p = m; mo.cap = sizeof m; mo.len = 0;
        if (s.status == 401) {
            crioimg__out_str(&mo, "unable to retrieve auth token: invalid username/password: ");
            if (em[0]) crioimg__out_str(&mo, em); else crioimg__rg_status_msg(&mo, s.status);
            res = CRIOIMG_ERR_AUTH_REQUIRED;
        } else if (s.status == 429) {
            crioimg__out_str(&mo, crioimg_result_str(CRIOIMG_ERR_REGISTRY_TOO_MANY_REQUESTS));
            res = CRIOIMG_ERR_REGISTRY_TOO_MANY_REQUESTS;
        } else {
            crioimg__out_str(&mo, "Requesting bearer token: ");
            crioimg__rg_status_msg(&mo, s.status);
            res = er == CRIOIMG_ERR_REGISTRY_DENIED ? er : CRIOIMG_ERR_HTTP_STATUS;
        }
        res = crioimg__rg_fail(r, res, m, NULL, NULL, NULL);
    } else {
        res = crioimg__rg_token_parse(s.buf ? s.buf : "", s.len, crioimg__rg_now(r), &r->alloc, token, expires, e, sizeof e);
        if (res != CRIOIMG_OK) res = crioimg__rg_fail(r, res, "requesting bearer token: ", e, NULL, NULL);
    }
done:
    crioimg__rg_rsp_free(&s);
    crioimg_free(&r->alloc, form);
    crioimg_free(&r->alloc, authz);
    return res;
}

static crioimg_result crioimg__rg_token_fetch(crioimg_registry *r, const crioimg__rg_challenge *ch, const char *scope,
                                              const char *user, const char *pass, const char *idt, char **token, long long *expires)
{
    /* the URL on the heap: 4 KiB per call is too much for the stack of a small thread */
    char *url = (char *)crioimg_malloc(&r->alloc, CRIOIMG__RG_URL_MAX);
    crioimg_result res;
    if (url == NULL) {
        return crioimg__rg_fail(r, CRIOIMG_ERR_NOMEM, "out of memory", NULL, NULL, NULL);
    }
    res = crioimg__rg_token_fetch_in(r, ch, scope, user, pass, idt, token, expires, url);
    if (url) crioimg_free(&r->alloc, url);
    return res;
}

/* The Authorization value for a request about repo (NULL: none), from the first challenge this client
   can answer: Basic with the credentials, or a Bearer token for "repository:REPO:pull" (cached until it
   expires). *bearer says which was sent. *out is allocated. */
static crioimg_result crioimg__rg_authz(crioimg_registry *r, const char *repo, char **out, int *bearer)
{
    const char *user, *pass, *idt;
    size_t i;
    crioimg_result res;
    *out = NULL;
    *bearer = 0;
    if (r->nch == 0) return CRIOIMG_OK;
    if ((res = crioimg__rg_creds(r, repo, &user, &pass, &idt)) != CRIOIMG_OK) return res;
    for (i = 0; i < r->nch; i++) {
        crioimg__out o;
        size_t cap;
        if (!r->ch[i].bearer) {
            if (user == NULL) continue;   /* nothing to answer Basic with */
            cap = (strlen(user) + strlen(pass) + 3) / 3 * 4 + 16;
            if ((*out = (char *)crioimg_malloc(&r->alloc, cap)) == NULL) return CRIOIMG_ERR_NOMEM;
            o.p = *out; o.cap = cap; o.len = 0;
            crioimg__rg_basic(&o, user, pass);
            return CRIOIMG_OK;
        } else {
            char scope[CRIOIMG_REF_NAME_MAX + 32];
            crioimg__rg_token *t;
            long long now = crioimg__rg_now(r);
            o.p = scope; o.cap = sizeof scope; o.len = 0;
            crioimg__out_str(&o, "repository:");
            crioimg__out_str(&o, repo ? repo : "");
            crioimg__out_str(&o, ":pull");
            t = crioimg__rg_token_find(r, scope);
            if (t == NULL || now > t->expires) {
                char *tk = NULL;
                long long exp = 0;
                if ((res = crioimg__rg_token_fetch(r, &r->ch[i], scope, user, pass, idt, &tk, &exp)) != CRIOIMG_OK) return res;
                if (t == NULL) {
                    if (!crioimg__reg_grow(&r->alloc, (void **)&r->tok, r->ntok, &r->tokcap, sizeof *r->tok)) {
                        crioimg_free(&r->alloc, tk);
                        return CRIOIMG_ERR_NOMEM;
                    }
                    t = &r->tok[r->ntok];
                    if ((t->scope = crioimg__rg_dup(&r->alloc, scope)) == NULL) { crioimg_free(&r->alloc, tk); return CRIOIMG_ERR_NOMEM; }
                    t->token = NULL;
                    r->ntok++;
                }
                crioimg_free(&r->alloc, t->token);
                t->token = tk;
                t->expires = exp;
            }
            cap = strlen(t->token) + 8;
            if ((*out = (char *)crioimg_malloc(&r->alloc, cap)) == NULL) return CRIOIMG_ERR_NOMEM;
            o.p = *out; o.cap = cap; o.len = 0;
            crioimg__out_str(&o, "Bearer ");
            crioimg__out_str(&o, t->token);
            *bearer = 1;
            return CRIOIMG_OK;
        }
    }
    return CRIOIMG_OK;
}

/* ---- the host's log (crioimg_registry_opts.log) ---- */

/* A URL as a log shows it: without its query or fragment, which may carry a pre-signed URL's signature */
static void crioimg__rg_log_url(crioimg__out *o, const char *url)
{
    size_t n = strcspn(url, "?#");
    crioimg__out_put(o, url, n);
    if (url[n]) crioimg__out_str(o, "?...");
}

/* "METHOD URL", how every log line names the request */
static void crioimg__rg_log_call(crioimg__out *o, const char *method, const char *url)
{
    crioimg__out_str(o, method);
    crioimg__out_str(o, " ");
    crioimg__rg_log_url(o, url);
}

/* "METHOD URL: STATUS (N ms)", or ": failed after N ms: why". Out of line: its buffer is on the stack
   only while a host logs. */
static CRIOIMG__NOINLINE void crioimg__rg_log_request(const crioimg_registry *r, const char *method, const char *url,
                                                      crioimg_result res, int status, long long ms, const char *why)
{
    char m[640];
    crioimg__out o;
    o.p = m; o.cap = sizeof m; o.len = 0;
    crioimg__rg_log_call(&o, method, url);
    if (res == CRIOIMG_OK) {
        crioimg__out_str(&o, ": ");
        crioimg__out_uint(&o, (unsigned long long)status);
        crioimg__out_str(&o, " (");
    } else crioimg__out_str(&o, ": failed after ");
    crioimg__out_uint(&o, (unsigned long long)(ms > 0 ? ms : 0));
    crioimg__out_str(&o, " ms");
    if (res == CRIOIMG_OK) crioimg__out_str(&o, ")");
    else { crioimg__out_str(&o, ": "); crioimg__out_str(&o, why && *why ? why : crioimg_result_str(res)); }
    r->log(r->log_user, CRIOIMG_LOG_DEBUG, m);
}

static CRIOIMG__NOINLINE void crioimg__rg_log_redirect(const crioimg_registry *r, const char *method, const char *from,
                                                       int status, const char *to, int kept)
{
    char m[640];
    crioimg__out o;
    o.p = m; o.cap = sizeof m; o.len = 0;
    crioimg__rg_log_call(&o, method, from);
    crioimg__out_str(&o, " redirected (");
    crioimg__out_uint(&o, (unsigned long long)status);
    crioimg__out_str(&o, ") to ");
    crioimg__rg_log_url(&o, to);
    if (!kept) crioimg__out_str(&o, " (no credentials sent there)");
    r->log(r->log_user, CRIOIMG_LOG_DEBUG, m);
}

/* "retrying METHOD URL in N ms (try K of N): why"; WARN when the wait is a second or more */
static CRIOIMG__NOINLINE void crioimg__rg_log_retry(const crioimg_registry *r, const char *method, const char *url, long wait,
                                                    int attempt, crioimg_result res, int status, int retry_after, const char *why)
{
    char m[640];
    crioimg__out o;
    o.p = m; o.cap = sizeof m; o.len = 0;
    crioimg__out_str(&o, "retrying ");
    crioimg__rg_log_call(&o, method, url);
    crioimg__out_str(&o, " in ");
    crioimg__out_uint(&o, (unsigned long long)(wait > 0 ? wait : 0));
    crioimg__out_str(&o, " ms (try ");
    crioimg__out_uint(&o, (unsigned long long)attempt + 1);
    crioimg__out_str(&o, " of ");
    crioimg__out_uint(&o, (unsigned long long)r->retries + 1);
    crioimg__out_str(&o, "): ");
    if (res != CRIOIMG_OK) crioimg__out_str(&o, why && *why ? why : crioimg_result_str(res));
    else {
        crioimg__out_str(&o, "the registry answered ");
        crioimg__out_uint(&o, (unsigned long long)status);
        if (retry_after) crioimg__out_str(&o, " with Retry-After");
    }
    r->log(r->log_user, wait >= 1000 ? CRIOIMG_LOG_WARN : CRIOIMG_LOG_INFO, m);
}

/* ---- one request, with its redirects ---- */

static int crioimg__rg_is_redirect(int s) { return s == 301 || s == 302 || s == 303 || s == 307 || s == 308; }

/* Sends method url (authz, when not NULL, as Authorization) and follows redirects by
   crioimg_http_redirect_check: Authorization only while every hop keeps the origin. registry_tls: the
   URL is the registry's (or its realm's), so its TLS policy and files apply; any other origin gets
   verified TLS with the system CAs. realm: url is a token realm, so every hop must pass
   crioimg_auth_realm_check as the realm did (a realm that redirects to 169.254.169.254 is the SSRF the
   check is for) and the transport is asked to refuse local addresses. A body never goes to another
   origin: such a redirect fails; a same-origin 301/302/303 turns a POST into a GET without it, as Go's
   client does. The final response is in s, with s->foreign set when any hop left the first URL's
   origin (its 401 is then not the registry's to learn challenges from); a transport failure is returned
   with its detail in terr. */
/* crioimg__rg_exchange with its two URL buffers (CRIOIMG__RG_URL_MAX bytes each) from the caller */
static crioimg_result crioimg__rg_exchange_in(crioimg_registry *r, const char *method, const char *url, const char *authz,
                                              const char *accept, const void *body, size_t body_len, const char *body_type,
                                              int registry_tls, int realm, crioimg__rg_rsp *s, char *terr, size_t terrcap,
                                              char *cur, char *next)
{
    char range[64];
    unsigned hop;
    int crossed = 0;
    size_t cl = strlen(url);
    crioimg_url start;
    if (cl >= CRIOIMG__RG_URL_MAX || crioimg_url_parse(&start, url, cl) != CRIOIMG_OK) return CRIOIMG_ERR_INVALID_ARGS;
    memcpy(cur, url, cl + 1);
    terr[0] = '\0';
    for (hop = 0;; hop++) {
        crioimg_http_header hd[6];
        crioimg_http_request rq;
        crioimg_result res;
        crioimg_url from, to;
        size_t nl;
        int keep = 0;
        memset(&rq, 0, sizeof rq);
        crioimg__rg_rsp_reset(s);
        s->foreign = crossed;
        hd[rq.nheaders].name = "User-Agent"; hd[rq.nheaders++].value = r->user_agent;
        hd[rq.nheaders].name = "Docker-Distribution-API-Version"; hd[rq.nheaders++].value = "registry/2.0";
        if (accept) { hd[rq.nheaders].name = "Accept"; hd[rq.nheaders++].value = accept; }
        if (authz) { hd[rq.nheaders].name = "Authorization"; hd[rq.nheaders++].value = authz; }
        if (body_type) { hd[rq.nheaders].name = "Content-Type"; hd[rq.nheaders++].value = body_type; }
        if (s->blob) {
            s->blob->asked = s->blob->norange ? 0 : s->blob->delivered;
            if (s->blob->asked > 0) {
                crioimg__out o;
                o.p = range; o.cap = sizeof range; o.len = 0;
                crioimg__out_str(&o, "bytes=");
                crioimg__out_uint(&o, (unsigned long long)s->blob->asked);
                crioimg__out_str(&o, "-");
                hd[rq.nheaders].name = "Range"; hd[rq.nheaders++].value = range;
            }
        }
        rq.method = method;
        rq.url = cur;
        rq.headers = hd;
        rq.body = body;
        rq.body_len = body_len;
        if (registry_tls) { rq.tls = r->tls.config; rq.tls.insecure_skip_verify = !r->secure; }
        else rq.tls.insecure_skip_verify = 0;
        rq.connect_timeout_ms = r->connect_timeout_ms;
        rq.idle_timeout_ms = r->idle_timeout_ms;
        rq.header_timeout_ms = r->header_timeout_ms;
        if (s->blob) { rq.min_bytes = r->blob_min_bytes; rq.min_period_ms = r->blob_min_period_ms; }
        else rq.total_timeout_ms = r->total_timeout_ms;
        rq.cancel = r->cancel;
        /* a token realm, and every hop once a redirect left the first origin, is checked where its name
           resolves: a registry must not point us at the metadata service by a name either (its own
           origin is the user's choice, and may be anything the user chose) */
        rq.refuse_local_addresses = realm || crossed;
        rq.allow_local_addresses = !rq.refuse_local_addresses;
        rq.sink.ctx = s;
        rq.sink.status = crioimg__rg_on_status;
        rq.sink.header = crioimg__rg_on_header;
        rq.sink.body = crioimg__rg_on_body;
        if (r->log) {
            long long t0 = crioimg__http_now_ms();
            res = crioimg_http_do(r->http, &rq, terr, terrcap);
            crioimg__rg_log_request(r, method, cur, res, s->status, crioimg__http_now_ms() - t0, terr);
        } else res = crioimg_http_do(r->http, &rq, terr, terrcap);
        if (s->small_late) {
            crioimg__out o;
            o.p = terr; o.cap = terrcap; o.len = 0;
            crioimg__out_str(&o, "the response did not arrive within the total timeout");
            return CRIOIMG_ERR_TIMEOUT;
        }
        if (res == CRIOIMG_ERR_TOO_BIG && (s->truncated || s->redirect_cut)) res = CRIOIMG_OK;  /* a body cut at the cap */
        if (res == CRIOIMG_OK && s->blob && !s->blob->started && (s->status == 200 || s->status == 206))
            res = crioimg__rg_blob_begin(s->blob, s);   /* no body: still judged */
        if (res != CRIOIMG_OK) return res;
        if (!crioimg__rg_is_redirect(s->status)) return CRIOIMG_OK;
        if (!s->has_location || s->location_bad) {
            crioimg__out o;
            o.p = terr; o.cap = terrcap; o.len = 0;
            crioimg__out_str(&o, s->has_location ? "a redirect's Location is too long" : "a redirect without a Location");
            return CRIOIMG_ERR_HTTP_PROTOCOL;
        }
        if ((res = crioimg_url_resolve(cur, strlen(cur), s->location, strlen(s->location), next, CRIOIMG__RG_URL_MAX, &nl)) != CRIOIMG_OK ||
            crioimg_url_parse(&from, cur, strlen(cur)) != CRIOIMG_OK || crioimg_url_parse(&to, next, nl) != CRIOIMG_OK) {
            crioimg__out o;
            o.p = terr; o.cap = terrcap; o.len = 0;
            crioimg__out_str(&o, "a redirect to an invalid or unsupported URL");
            return CRIOIMG_ERR_HTTP_REDIRECT;
        }
        if (realm) {   /* first: a token request's hop is refused in the realm's own words */
            char e[200];
            if ((res = crioimg_auth_realm_check(next, nl, !r->secure, e, sizeof e)) != CRIOIMG_OK) {
                crioimg__out o;
                o.p = terr; o.cap = terrcap; o.len = 0;
                crioimg__out_str(&o, "a redirect of the token request: ");
                crioimg__out_str(&o, e);
                return res;
            }
        }
        if ((res = crioimg_http_redirect_check(&from, &to, hop + 1, &keep, terr, terrcap)) != CRIOIMG_OK) return res;
        if (body && !crioimg_url_same_origin(&from, &to)) {   /* a refresh token in a form: never to a host the redirect chose */
            crioimg__out o;
            o.p = terr; o.cap = terrcap; o.len = 0;
            crioimg__out_str(&o, "refusing to send a request body to another origin on a redirect (");
            crioimg__out_put(&o, to.host.ptr, to.host.len);
            crioimg__out_str(&o, ")");
            return CRIOIMG_ERR_HTTP_REDIRECT;
        }
        if (r->log) crioimg__rg_log_redirect(r, method, cur, s->status, next, keep && authz != NULL);
        if (!keep) authz = NULL;                           /* and it stays dropped for every later hop */
        if (!crioimg_url_same_origin(&from, &to)) registry_tls = 0;
        if (!crioimg_url_same_origin(&start, &to)) crossed = 1;
        if ((s->status == 303 && strcmp(method, "HEAD") != 0) ||
            ((s->status == 301 || s->status == 302) && strcmp(method, "POST") == 0)) {
            method = "GET"; body = NULL; body_len = 0; body_type = NULL;
        }
        memcpy(cur, next, nl + 1);
    }
}

/* The two URL buffers on the heap: 8 KiB on the stack of every request was too much for small threads */
static crioimg_result crioimg__rg_exchange(crioimg_registry *r, const char *method, const char *url, const char *authz,
                                           const char *accept, const void *body, size_t body_len, const char *body_type,
                                           int registry_tls, int realm, crioimg__rg_rsp *s, char *terr, size_t terrcap)
{
    char *urls = (char *)crioimg_malloc(&r->alloc, 2 * (size_t)CRIOIMG__RG_URL_MAX);
    crioimg_result res;
    if (urls == NULL) { terr[0] = '\0'; return CRIOIMG_ERR_NOMEM; }
    res = crioimg__rg_exchange_in(r, method, url, authz, accept, body, body_len, body_type, registry_tls, realm, s, terr, terrcap,
                                  urls, urls + CRIOIMG__RG_URL_MAX);
    crioimg_free(&r->alloc, urls);
    return res;
}

/* ---- requests with authorization and retries ---- */

typedef struct crioimg__rg_req {
    const char *method;
    const char *url;
    int registry;           /* the registry's own URL: its TLS policy, its authorization */
    int auth;               /* send Authorization for repo (not for the ping) */
    const char *repo;
    const char *accept;
    int no_conn_retry;      /* a failed connection is the caller's to handle (the insecure http fallback) */
} crioimg__rg_req;

static int crioimg__rg_retryable(crioimg_result res, const crioimg__rg_rsp *s, int no_conn_retry)
{
    if (s->blob && s->blob->fatal) return 0;
    if (s->blob && s->blob->bad_range) return 1;
    if (res == CRIOIMG_ERR_HTTP_CONNECT || res == CRIOIMG_ERR_TIMEOUT) return !no_conn_retry;
    if (res == CRIOIMG_ERR_HTTP_TLS) return 0;
    if (res != CRIOIMG_OK) return 0;
    return s->status == 429 || s->status == 500 || s->status == 502 || s->status == 503 || s->status == 504;
}

/* Performs rq: authorization (one fresh token and one more try on a 401 that asks for it), retries of
   failed connections, 429 and 5xx with backoff or Retry-After. On OK the final response is in s,
   whatever its status; otherwise r->err says what failed (prefixed by what). */
static crioimg_result crioimg__rg_send(crioimg_registry *r, const crioimg__rg_req *rq, crioimg__rg_rsp *s, const char *what)
{
    int attempt = 0, refreshed = 0;
    long delay = r->retry_delay_ms;
    long long progress = s->blob ? s->blob->delivered : 0, progress_at = s->blob ? crioimg__rg_now(r) : 0;
    for (;;) {
        char *authz = NULL, terr[256];
        int bearer = 0, learned = 0;
        crioimg_result res;
        if (crioimg__rg_cancelled(r)) return crioimg__rg_fail(r, CRIOIMG_ERR_CANCELLED, what, crioimg_result_str(CRIOIMG_ERR_CANCELLED), NULL, NULL);
        if (rq->auth && (res = crioimg__rg_authz(r, rq->repo, &authz, &bearer)) != CRIOIMG_OK) return res;
        if (s->blob && s->blob->bad_range) { s->blob->norange = 1; s->blob->bad_range = 0; }
        res = crioimg__rg_exchange(r, rq->method, rq->url, authz, rq->accept, NULL, 0, NULL, rq->registry, 0, s, terr, sizeof terr);
        crioimg_free(&r->alloc, authz);
        if ((res == CRIOIMG_ERR_HTTP_CONNECT || res == CRIOIMG_ERR_TIMEOUT) && s->blob && s->blob->started &&
            s->blob->pos == s->blob->size && s->blob->delivered == s->blob->size)
            res = CRIOIMG_OK;   /* broken after the last byte: a Range for nothing would only earn a 416 */
        if (res == CRIOIMG_OK && s->status == 401 && rq->auth && !refreshed && !s->foreign) {
            /* a token that no longer serves, a scope the server wants widened, or challenges the ping did
               not show (some registries answer /v2/ with 200): one fresh token, one more try. Only the
               registry's own 401 counts: one from a host a redirect chose would pick the realm that our
               credentials go to. */
            int insufficient = crioimg__rg_insufficient_scope(r, s);
            if (r->nch == 0 && s->nwww) {
                if (crioimg__rg_challenges_learn(r, s) != CRIOIMG_OK) return CRIOIMG_ERR_NOMEM;
                learned = r->nch > 0;
            }
            if (bearer || insufficient || learned) {
                char scope[CRIOIMG_REF_NAME_MAX + 32];
                crioimg__out o;
                o.p = scope; o.cap = sizeof scope; o.len = 0;
                crioimg__out_str(&o, "repository:");
                crioimg__out_str(&o, rq->repo ? rq->repo : "");
                crioimg__out_str(&o, ":pull");
                crioimg__rg_token_drop(r, scope);
                refreshed = 1;
                continue;
            }
        }
        if (s->blob && (s->blob->delivered - progress >= CRIOIMG__RG_RESUME_PROGRESS ||
                        (s->blob->delivered > progress && crioimg__rg_now(r) - progress_at >= 60))) {
            /* a blob that moved far enough since the last fresh budget earns another, as containers/image's
               bodyReader reconnects after 1 MiB of progress or a minute: a server that sends a byte a
               connection cannot keep a transfer going for ever */
            progress = s->blob->delivered;
            progress_at = crioimg__rg_now(r);
            attempt = 0;
            delay = r->retry_delay_ms;
        }
        if (!crioimg__rg_retryable(res, s, rq->no_conn_retry) || attempt >= r->retries) {
            if (s->blob && s->blob->bad_range)
                return crioimg__rg_fail(r, res, what, "the registry answers Range requests with another range: ",
                                        s->crange[0] ? s->crange : "no Content-Range", NULL);
            if (res != CRIOIMG_OK && !(s->blob && s->blob->fatal))
                return crioimg__rg_fail(r, res, what, terr[0] ? terr : crioimg_result_str(res), NULL, NULL);
            return res;
        }
        attempt++;
        {
            long wait = delay;
            long long sec;
            if (res == CRIOIMG_OK && s->has_retry_after && (s->status == 429 || s->status == 503) &&
                crioimg_http_retry_after(s->retry_after, strlen(s->retry_after), crioimg__rg_now(r), &sec) == CRIOIMG_OK)
                wait = sec > r->retry_after_max_ms / 1000 ? r->retry_after_max_ms : (long)sec * 1000;
            if (wait > r->retry_after_max_ms) wait = r->retry_after_max_ms;
            if (r->log) crioimg__rg_log_retry(r, rq->method, rq->url, wait, attempt, res, s->status, s->has_retry_after, terr);
            if (wait > 0) crioimg__rg_sleep(r, wait);
            if (delay < r->retry_after_max_ms) delay *= 2;
        }
    }
}

/* ---- the client ---- */

static crioimg_result crioimg__rg_open(crioimg_registry **out, const char *domain, const crioimg_registry_opts *opts, char *e, size_t ecap)
{
    crioimg_registry_opts zero;
    crioimg_registry *r;
    crioimg_result res;
    size_t dl, hl;
    int bracket;
    if (out) *out = NULL;
    if (out == NULL || domain == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    if (opts == NULL) { memset(&zero, 0, sizeof zero); opts = &zero; }
    if (crioimg_allocator_check(&opts->alloc) != CRIOIMG_OK) return CRIOIMG_ERR_INVALID_ARGS;
    dl = strlen(domain);
    if (!crioimg__reg_host_split(domain, dl, &hl, &bracket) || dl > CRIOIMG_REF_NAME_MAX - 2) {
        crioimg__out o;
        o.p = e; o.cap = ecap; o.len = 0;
        crioimg__out_str(&o, "invalid registry domain \"");
        crioimg__out_put(&o, domain, dl < 300 ? dl : 300);
        crioimg__out_str(&o, "\"");
        return CRIOIMG_ERR_REGISTRY_INVALID;
    }
    if ((r = (crioimg_registry *)crioimg_malloc(&opts->alloc, sizeof *r)) == NULL) return CRIOIMG_ERR_NOMEM;
    memset(r, 0, sizeof *r);
    r->alloc = opts->alloc;
    r->creds.alloc = r->alloc;
    memcpy(r->domain, domain, dl + 1);
    if (strcmp(domain, "docker.io") == 0) memcpy(r->host, CRIOIMG_DOCKER_IO_ENDPOINT, sizeof CRIOIMG_DOCKER_IO_ENDPOINT);
    else memcpy(r->host, domain, dl + 1);
    r->secure = opts->tls_verify == CRIOIMG_TLS_VERIFY_TRUE ? 1 : opts->tls_verify == CRIOIMG_TLS_VERIFY_FALSE ? 0 : !opts->insecure;
    r->no_auth_files = opts->no_auth_files;
    r->connect_timeout_ms = opts->connect_timeout_ms;
    r->idle_timeout_ms = opts->idle_timeout_ms;
    r->header_timeout_ms = opts->header_timeout_ms > 0 ? opts->header_timeout_ms : 0;   /* 0: the transport's default */
    r->total_timeout_ms = opts->total_timeout_ms > 0 ? opts->total_timeout_ms : CRIOIMG_REGISTRY_TOTAL_TIMEOUT_MS;
    r->blob_min_bytes = opts->blob_min_bytes;
    r->blob_min_period_ms = opts->blob_min_period_ms > 0 ? opts->blob_min_period_ms : 0;
    r->retries = opts->retries == 0 ? 3 : opts->retries < 0 ? 0 : opts->retries;
    r->retry_delay_ms = opts->retry_delay_ms > 0 ? opts->retry_delay_ms : 1000;
    r->retry_after_max_ms = opts->retry_after_max_ms > 0 ? opts->retry_after_max_ms : 60000;
    r->cancel = opts->cancel;
    r->sleep_ms = opts->sleep_ms;
    r->now = opts->now;
    r->clock_user = opts->clock_user;
    r->log = opts->log;
    r->log_user = opts->log_user;
    if ((opts->username && (r->username = crioimg__rg_dup(&r->alloc, opts->username)) == NULL) ||
        (opts->password && (r->password = crioimg__rg_dup(&r->alloc, opts->password)) == NULL) ||
        (opts->authfile && (r->authfile = crioimg__rg_dup(&r->alloc, opts->authfile)) == NULL) ||
        (r->user_agent = crioimg__rg_dup(&r->alloc, opts->user_agent ? opts->user_agent : "crioimg/" CRIOIMG_VERSION_STRING)) == NULL) {
        crioimg_registry_close(r);
        return CRIOIMG_ERR_NOMEM;
    }
    res = crioimg_tls_files_load(&r->tls, domain, opts->cert_dir, opts->certs_d, &r->alloc, e, ecap);
    if (res != CRIOIMG_OK) { crioimg_registry_close(r); return res; }
    if (opts->http) {
        r->http = opts->http;
    } else {
        if ((res = crioimg_http_open_default(&r->http, &r->alloc)) != CRIOIMG_OK) { crioimg_registry_close(r); return res; }
        r->own_http = 1;
    }
    *out = r;
    return CRIOIMG_OK;
}

/* The constructor's rule (header, ERRORS): a failure always leaves a text in err. */
crioimg_result crioimg_registry_open(crioimg_registry **out, const char *domain, const crioimg_registry_opts *opts,
                                     char *err, size_t errcap)
{
    char e[512];
    crioimg_result r;
    crioimg__out o;
    e[0] = '\0';
    r = crioimg__rg_open(out, domain, opts, e, sizeof e);
    if (err && errcap) {
        o.p = err; o.cap = errcap; o.len = 0;
        err[0] = '\0';
        if (r != CRIOIMG_OK) crioimg__out_str(&o, e[0] ? e : crioimg_result_str(r));
    }
    return r;
}

void crioimg_registry_close(crioimg_registry *r)
{
    crioimg_allocator a;
    size_t i;
    if (r == NULL) return;
    a = r->alloc;
    if (r->own_http) crioimg_http_close(r->http);
    crioimg_tls_files_free(&r->tls);
    crioimg__rg_challenges_clear(r);
    for (i = 0; i < r->ntok; i++) { crioimg_free(&a, r->tok[i].scope); crioimg_free(&a, r->tok[i].token); }
    crioimg_free(&a, r->tok);
    crioimg_credentials_free(&r->creds);
    crioimg_free(&a, r->cred_key);
    crioimg_free(&a, r->username);
    crioimg_free(&a, r->password);
    crioimg_free(&a, r->authfile);
    crioimg_free(&a, r->user_agent);
    crioimg_free(&a, r);
}

const char *crioimg_registry_error(const crioimg_registry *r)
{
    return r ? r->err : "";
}

/* base URL of the registry: "https://HOST" (no slash) */
static void crioimg__rg_base(const crioimg_registry *r, crioimg__out *o, int https)
{
    crioimg__out_str(o, https ? "https://" : "http://");
    crioimg__out_str(o, r->host);
}

/* crioimg__rg_ping_once with its URL buffer (CRIOIMG__RG_URL_MAX bytes) from the caller */
static crioimg_result crioimg__rg_ping_once_in(crioimg_registry *r, int https, crioimg__rg_rsp *s, char *url)
{
    char what[CRIOIMG_REF_NAME_MAX + 64];
    crioimg__out o, w;
    crioimg__rg_req rq;
    o.p = url; o.cap = CRIOIMG__RG_URL_MAX; o.len = 0;
    crioimg__rg_base(r, &o, https);
    crioimg__out_str(&o, "/v2/");
    w.p = what; w.cap = sizeof what; w.len = 0;
    crioimg__out_str(&w, "pinging container registry ");
    crioimg__out_str(&w, r->host);
    crioimg__out_str(&w, ": ");
    memset(&rq, 0, sizeof rq);
    rq.method = "GET";
    rq.url = url;
    rq.registry = 1;
    rq.no_conn_retry = https && !r->secure;
    return crioimg__rg_send(r, &rq, s, what);
}

static crioimg_result crioimg__rg_ping_once(crioimg_registry *r, int https, crioimg__rg_rsp *s)
{
    /* the URL on the heap: 4 KiB per call is too much for the stack of a small thread */
    char *url = (char *)crioimg_malloc(&r->alloc, CRIOIMG__RG_URL_MAX);
    crioimg_result res;
    if (url == NULL) {
        return crioimg__rg_fail(r, CRIOIMG_ERR_NOMEM, "out of memory", NULL, NULL, NULL);
    }
    res = crioimg__rg_ping_once_in(r, https, s, url);
    if (url) crioimg_free(&r->alloc, url);
    return res;
}

crioimg_result crioimg_registry_ping(crioimg_registry *r)
{
    crioimg__rg_rsp s;
    crioimg_result res;
    int https = 1;
    if (r == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    r->err[0] = '\0';
    memset(&s, 0, sizeof s);
    s.r = r;
    s.max = CRIOIMG_REGISTRY_SMALL_BODY_MAX;
    res = crioimg__rg_ping_once(r, 1, &s);
    if (!r->secure && (res == CRIOIMG_ERR_HTTP_CONNECT || res == CRIOIMG_ERR_HTTP_TLS || res == CRIOIMG_ERR_TIMEOUT)) {
        https = 0;   /* an insecure registry may speak plain http; a secure one never is asked */
        r->err[0] = '\0';
        res = crioimg__rg_ping_once(r, 0, &s);
    }
    if (res == CRIOIMG_OK) {
        if (s.status == 200 || s.status == 401) {
            /* challenges come from the registry's own /v2/ only, never from a host a redirect chose */
            if (s.foreign) crioimg__rg_challenges_clear(r);
            else res = crioimg__rg_challenges_learn(r, &s);
            if (res == CRIOIMG_OK) { r->pinged = 1; r->https = https; }
        } else {
            char m[256];
            crioimg__out o;
            o.p = m; o.cap = sizeof m; o.len = 0;
            crioimg__rg_status_msg(&o, s.status);
            res = s.status == 404 ? CRIOIMG_ERR_REGISTRY_NOT_V2 : s.status == 429 ? CRIOIMG_ERR_REGISTRY_TOO_MANY_REQUESTS :
                  s.status >= 500 ? CRIOIMG_ERR_REGISTRY_UNAVAILABLE : CRIOIMG_ERR_HTTP_STATUS;
            crioimg__rg_fail(r, res, "pinging container registry ", r->host, ": ", m);
        }
    }
    crioimg__rg_rsp_free(&s);
    return res;
}

/* The result and detail of a final answer that is not a success, in containers/image's words:
   "reading manifest latest in quay.io/foo/bar: manifest unknown: manifest unknown" */
static crioimg_result crioimg__rg_status_fail(crioimg_registry *r, const crioimg__rg_rsp *s, int blob, const char *what)
{
    char em[512], m[600];
    crioimg__out o;
    crioimg_result res = crioimg__rg_error_parse(s->buf, s->len, s->status, em, sizeof em);
    o.p = m; o.cap = sizeof m; o.len = 0;
    if (em[0]) crioimg__out_str(&o, em);
    else crioimg__rg_status_msg(&o, s->status);
    if (res == CRIOIMG_ERR_REGISTRY_MANIFEST_UNKNOWN && blob) res = CRIOIMG_ERR_REGISTRY_BLOB_UNKNOWN;
    if (res == CRIOIMG_OK) {
        switch (s->status) {
        case 401: res = CRIOIMG_ERR_AUTH_REQUIRED; break;
        case 403: res = CRIOIMG_ERR_REGISTRY_DENIED; break;
        case 404: res = blob ? CRIOIMG_ERR_REGISTRY_BLOB_UNKNOWN : CRIOIMG_ERR_REGISTRY_MANIFEST_UNKNOWN; break;
        case 429: res = CRIOIMG_ERR_REGISTRY_TOO_MANY_REQUESTS; break;
        default: res = s->status >= 500 ? CRIOIMG_ERR_REGISTRY_UNAVAILABLE : CRIOIMG_ERR_HTTP_STATUS;
        }
    }
    return crioimg__rg_fail(r, res, what, m, NULL, NULL);
}

/* "VERB THING in DOMAIN/REPO: " */
static void crioimg__rg_what(const crioimg_registry *r, char *buf, size_t cap, const char *verb, const char *thing, const char *repo)
{
    crioimg__out o;
    o.p = buf; o.cap = cap; o.len = 0;
    crioimg__out_str(&o, verb);
    crioimg__out_str(&o, thing);
    crioimg__out_str(&o, " in ");
    crioimg__out_str(&o, r->domain);
    crioimg__out_str(&o, "/");
    crioimg__out_str(&o, repo);
    crioimg__out_str(&o, ": ");
}

/* validated repo and ref, the ping done, the URL of /v2/REPO/KIND/REF */
static crioimg_result crioimg__rg_prepare(crioimg_registry *r, const char *repo, const char *kind, const char *ref, int *by_digest,
                                          char *url, size_t cap)
{
    crioimg__out o;
    crioimg_result res;
    r->err[0] = '\0';
    if (!crioimg__rg_repo_ok(r, repo))
        return crioimg__rg_fail(r, CRIOIMG_ERR_REF_FORMAT, "invalid repository name for ", r->domain, NULL, NULL);
    *by_digest = strchr(ref, ':') != NULL;
    if (*by_digest ? crioimg_digest_validate(ref, strlen(ref)) != CRIOIMG_OK : !crioimg__rg_tag_ok(ref))
        return crioimg__rg_fail(r, *by_digest ? CRIOIMG_ERR_REF_DIGEST_FORMAT : CRIOIMG_ERR_REF_TAG_FORMAT,
                                *by_digest ? "invalid digest format in " : "invalid tag format in ", repo, NULL, NULL);
    if (!r->pinged && (res = crioimg_registry_ping(r)) != CRIOIMG_OK) return res;
    o.p = url; o.cap = cap; o.len = 0;
    crioimg__rg_base(r, &o, r->https);
    crioimg__out_str(&o, "/v2/");
    crioimg__out_str(&o, repo);
    crioimg__out_str(&o, kind);
    crioimg__out_str(&o, ref);
    return o.len < cap ? CRIOIMG_OK : CRIOIMG_ERR_INVALID_ARGS;
}

/* Content-Type without parameters or surrounding white space */
static int crioimg__rg_media_type(const crioimg__rg_rsp *s, char *out, size_t cap)
{
    const char *p = s->ctype, *e;
    size_t n;
    if (s->ctype_bad) return 0;
    e = strchr(p, ';');
    n = e ? (size_t)(e - p) : strlen(p);
    while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t')) n--;
    if (n >= cap) return 0;
    memcpy(out, p, n);
    out[n] = '\0';
    return 1;
}

/* crioimg_registry_get_manifest with its URL buffer (CRIOIMG__RG_URL_MAX bytes) from the caller */
static crioimg_result crioimg_registry_get_manifest_in(crioimg_registry *r, const char *repo, const char *ref, crioimg_registry_manifest *out, char *url)
{
    char what[CRIOIMG_REF_NAME_MAX * 2 + 64];
    crioimg__rg_rsp s;
    crioimg__rg_req rq;
    crioimg_digest want;
    crioimg_result res;
    int by_digest = 0;
    if (out) memset(out, 0, sizeof *out);
    if (r == NULL || repo == NULL || ref == NULL || out == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    if ((res = crioimg__rg_prepare(r, repo, "/manifests/", ref, &by_digest, url, CRIOIMG__RG_URL_MAX)) != CRIOIMG_OK) return res;
    crioimg__rg_what(r, what, sizeof what, "reading manifest ", ref, repo);
    memset(&s, 0, sizeof s);
    s.r = r;
    s.max = CRIOIMG_MANIFEST_MAX_SIZE;
    memset(&rq, 0, sizeof rq);
    rq.method = "GET"; rq.url = url; rq.registry = 1; rq.auth = 1; rq.repo = repo; rq.accept = CRIOIMG_MANIFEST_ACCEPT;
    res = crioimg__rg_send(r, &rq, &s, what);
    if (res == CRIOIMG_ERR_TOO_BIG && s.too_big) {
        res = crioimg__rg_fail(r, res, what, "the manifest exceeds 4 MiB", NULL, NULL);
    } else if (res == CRIOIMG_OK && s.status != 200) {
        res = crioimg__rg_status_fail(r, &s, 0, what);
    } else if (res == CRIOIMG_OK && !crioimg__rg_media_type(&s, out->media_type, sizeof out->media_type)) {
        res = crioimg__rg_fail(r, CRIOIMG_ERR_HTTP_PROTOCOL, what, "the Content-Type is too long", NULL, NULL);
    } else if (res == CRIOIMG_OK) {
        const char *data = s.buf ? s.buf : "";
        if (by_digest) {
            crioimg_digest_parse(&want, ref, strlen(ref));
            if (crioimg_digest_verify(&want, data, s.len) != CRIOIMG_OK)
                res = crioimg__rg_fail(r, CRIOIMG_ERR_DIGEST_MISMATCH, what, "the manifest does not match its digest", NULL, NULL);
            else memcpy(out->digest, ref, strlen(ref) + 1);
        } else {
            crioimg_hasher h;
            crioimg_hasher_init(&h, CRIOIMG_DIGEST_SHA256);
            crioimg_hasher_update(&h, data, s.len);
            crioimg_hasher_final_string(&h, out->digest, sizeof out->digest);
            if (s.has_dcd) {   /* the registry's word for it must agree, in whichever algorithm it gives */
                if (s.dcd_bad || crioimg_digest_validate(s.dcd, strlen(s.dcd)) != CRIOIMG_OK)
                    res = crioimg__rg_fail(r, CRIOIMG_ERR_HTTP_PROTOCOL, what, "invalid Docker-Content-Digest header", NULL, NULL);
                else if (crioimg_digest_parse(&want, s.dcd, strlen(s.dcd)) != CRIOIMG_OK || crioimg_digest_verify(&want, data, s.len) != CRIOIMG_OK)
                    res = crioimg__rg_fail(r, CRIOIMG_ERR_DIGEST_MISMATCH, what, "the manifest does not match its Docker-Content-Digest ", s.dcd, NULL);
            }
        }
        if (res == CRIOIMG_OK) {
            if (s.buf == NULL && (s.buf = (char *)crioimg_malloc(&r->alloc, 1)) == NULL) res = CRIOIMG_ERR_NOMEM;
            else {
                s.buf[s.len] = '\0';
                out->data = s.buf;
                out->len = s.len;
                s.buf = NULL;   /* now the caller's */
                s.cap = 0;
            }
        }
    }
    if (res != CRIOIMG_OK) memset(out, 0, sizeof *out);
    crioimg__rg_rsp_free(&s);
    return res;
}

crioimg_result crioimg_registry_get_manifest(crioimg_registry *r, const char *repo, const char *ref, crioimg_registry_manifest *out)
{
    /* the URL on the heap: 4 KiB per call is too much for the stack of a small thread */
    char *url = r ? (char *)crioimg_malloc(&r->alloc, CRIOIMG__RG_URL_MAX) : NULL;
    crioimg_result res;
    if (r != NULL && url == NULL) {
        if (out) memset(out, 0, sizeof *out);
        return crioimg__rg_fail(r, CRIOIMG_ERR_NOMEM, "out of memory", NULL, NULL, NULL);
    }
    res = crioimg_registry_get_manifest_in(r, repo, ref, out, url);
    if (url) crioimg_free(&r->alloc, url);
    return res;
}

void crioimg_registry_manifest_free(crioimg_registry *r, crioimg_registry_manifest *m)
{
    if (m == NULL) return;
    if (r) crioimg_free(&r->alloc, m->data);
    memset(m, 0, sizeof *m);
}

/* crioimg_registry_head_manifest with its URL buffer (CRIOIMG__RG_URL_MAX bytes) from the caller */
static crioimg_result crioimg_registry_head_manifest_in(crioimg_registry *r, const char *repo, const char *ref,
                                              char digest[CRIOIMG_DIGEST_STRING_MAX + 1], char *media_type, size_t media_type_cap,
                                              long long *size, char *url)
{
    char what[CRIOIMG_REF_NAME_MAX * 2 + 64];
    crioimg__rg_rsp s;
    crioimg__rg_req rq;
    crioimg_result res;
    int by_digest = 0;
    if (digest) digest[0] = '\0';
    if (media_type && media_type_cap) media_type[0] = '\0';
    if (size) *size = -1;
    if (r == NULL || repo == NULL || ref == NULL || digest == NULL || (media_type && media_type_cap == 0)) return CRIOIMG_ERR_INVALID_ARGS;
    if ((res = crioimg__rg_prepare(r, repo, "/manifests/", ref, &by_digest, url, CRIOIMG__RG_URL_MAX)) != CRIOIMG_OK) return res;
    crioimg__rg_what(r, what, sizeof what, "reading manifest ", ref, repo);
    memset(&s, 0, sizeof s);
    s.r = r;
    memset(&rq, 0, sizeof rq);
    rq.method = "HEAD"; rq.url = url; rq.registry = 1; rq.auth = 1; rq.repo = repo; rq.accept = CRIOIMG_MANIFEST_ACCEPT;
    res = crioimg__rg_send(r, &rq, &s, what);
    if (res == CRIOIMG_OK && s.status != 200) res = crioimg__rg_status_fail(r, &s, 0, what);
    else if (res == CRIOIMG_OK && (!s.has_dcd || s.dcd_bad || crioimg_digest_validate(s.dcd, strlen(s.dcd)) != CRIOIMG_OK))
        res = crioimg__rg_fail(r, CRIOIMG_ERR_HTTP_PROTOCOL, what, s.has_dcd ? "invalid Docker-Content-Digest header" : "no Docker-Content-Digest header", NULL, NULL);
    else if (res == CRIOIMG_OK && by_digest && strcmp(s.dcd, ref) != 0)
        res = crioimg__rg_fail(r, CRIOIMG_ERR_DIGEST_MISMATCH, what, "the registry names another digest: ", s.dcd, NULL);
    else if (res == CRIOIMG_OK && media_type && !crioimg__rg_media_type(&s, media_type, media_type_cap))
        res = crioimg__rg_fail(r, CRIOIMG_ERR_HTTP_PROTOCOL, what, "the Content-Type is too long", NULL, NULL);
    if (res == CRIOIMG_OK) {
        memcpy(digest, s.dcd, strlen(s.dcd) + 1);
        if (size) *size = s.clen;
    } else if (media_type) {
        media_type[0] = '\0';
    }
    crioimg__rg_rsp_free(&s);
    return res;
}

crioimg_result crioimg_registry_head_manifest(crioimg_registry *r, const char *repo, const char *ref,
                                              char digest[CRIOIMG_DIGEST_STRING_MAX + 1], char *media_type, size_t media_type_cap,
                                              long long *size)
{
    /* the URL on the heap: 4 KiB per call is too much for the stack of a small thread */
    char *url = r ? (char *)crioimg_malloc(&r->alloc, CRIOIMG__RG_URL_MAX) : NULL;
    crioimg_result res;
    if (r != NULL && url == NULL) {
        if (digest) digest[0] = '\0';
        return crioimg__rg_fail(r, CRIOIMG_ERR_NOMEM, "out of memory", NULL, NULL, NULL);
    }
    res = crioimg_registry_head_manifest_in(r, repo, ref, digest, media_type, media_type_cap, size, url);
    if (url) crioimg_free(&r->alloc, url);
    return res;
}

/* After a source answered: all of the blob, and its digest. */
static crioimg_result crioimg__rg_blob_finish(crioimg_registry *r, crioimg__rg_blob *b, const char *what)
{
    char m[128];
    crioimg__out o;
    if (b->delivered != b->size) {
        o.p = m; o.cap = sizeof m; o.len = 0;
        crioimg__out_str(&o, "got ");
        crioimg__out_uint(&o, (unsigned long long)b->delivered);
        crioimg__out_str(&o, " bytes, want ");
        crioimg__out_uint(&o, (unsigned long long)b->size);
        return crioimg__rg_fail(r, CRIOIMG_ERR_SIZE_MISMATCH, what, m, NULL, NULL);
    }
    crioimg__rg_blob_drain(b);
    if (crioimg_hasher_verify(&b->h, &b->want) != CRIOIMG_OK)
        return crioimg__rg_fail(r, CRIOIMG_ERR_DIGEST_MISMATCH, what, "the blob does not match its digest", NULL, NULL);
    return CRIOIMG_OK;
}

/* one source of the blob (a foreign URL, or the registry): OK when it answered with the bytes */
static crioimg_result crioimg__rg_blob_from(crioimg_registry *r, const crioimg__rg_req *rq, crioimg__rg_blob *b, const char *what)
{
    crioimg__rg_rsp s;
    crioimg_result res;
    memset(&s, 0, sizeof s);
    s.r = r;
    s.blob = b;
    res = crioimg__rg_send(r, rq, &s, what);
    if (res != CRIOIMG_OK && b->fatal && r->err[0] == '\0')
        crioimg__rg_fail(r, res, what, res == CRIOIMG_ERR_SIZE_MISMATCH ? "more bytes than the blob's size" :
                         res == CRIOIMG_ERR_DIGEST_MISMATCH ? "the bytes sent again differ from the first ones" :
                         crioimg_result_str(res), NULL, NULL);
    else if (res == CRIOIMG_OK && s.status != 200 && s.status != 206)
        res = crioimg__rg_status_fail(r, &s, 1, what);
    crioimg__rg_rsp_free(&s);
    return res;
}

/* The sources of blob b, in order: foreign layers first, with no credentials at all (CVE-2020-15157);
   when none serves, the registry. url: a buffer of CRIOIMG__RG_URL_MAX bytes. */
static crioimg_result crioimg__rg_blob_sources(crioimg_registry *r, const char *repo, const crioimg_descriptor *d,
                                               crioimg__rg_blob *b, char *url, const char *what)
{
    crioimg__rg_req rq;
    crioimg_result res;
    size_t i;
    int by_digest = 0;
    for (i = 0; i < d->nurls; i++) {
        crioimg_url u;
        if (d->urls[i] == NULL || strlen(d->urls[i]) >= CRIOIMG__RG_URL_MAX || crioimg_url_parse(&u, d->urls[i], strlen(d->urls[i])) != CRIOIMG_OK) continue;
        memset(&rq, 0, sizeof rq);
        rq.method = "GET"; rq.url = d->urls[i];
        res = crioimg__rg_blob_from(r, &rq, b, what);
        if (res == CRIOIMG_OK) return crioimg__rg_blob_finish(r, b, what);
        if (b->fatal || res == CRIOIMG_ERR_CANCELLED || res == CRIOIMG_ERR_NOMEM) return res;
        r->err[0] = '\0';   /* that source failed; the next one decides */
    }
    if ((res = crioimg__rg_prepare(r, repo, "/blobs/", d->digest, &by_digest, url, CRIOIMG__RG_URL_MAX)) != CRIOIMG_OK) return res;
    memset(&rq, 0, sizeof rq);
    rq.method = "GET"; rq.url = url; rq.registry = 1; rq.auth = 1; rq.repo = repo;
    if ((res = crioimg__rg_blob_from(r, &rq, b, what)) != CRIOIMG_OK) return res;
    return crioimg__rg_blob_finish(r, b, what);
}

CRIOIMG__LIB crioimg_result crioimg__registry_get_blob_relay(crioimg_registry *r, const char *repo, const crioimg_descriptor *d,
                                                             crioimg_registry_blob_fn fn, void *ctx, const crioimg__hash_relay *relay)
{
    char what[CRIOIMG_REF_NAME_MAX * 2 + 200];
    crioimg__rg_blob b;
    crioimg_result res;
    char *url;
    if (r == NULL || repo == NULL || d == NULL || d->digest == NULL || fn == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    r->err[0] = '\0';
    memset(&b, 0, sizeof b);
    b.fn = fn;
    b.ctx = ctx;
    b.size = d->size;
    if (d->size < 0 || crioimg_digest_validate(d->digest, strlen(d->digest)) != CRIOIMG_OK ||
        crioimg_digest_parse(&b.want, d->digest, strlen(d->digest)) != CRIOIMG_OK || crioimg_hasher_init(&b.h, b.want.alg) != CRIOIMG_OK)
        return crioimg__rg_fail(r, CRIOIMG_ERR_DIGEST_FORMAT, "fetching blob: invalid descriptor digest or size", NULL, NULL, NULL);
    if (!crioimg__rg_repo_ok(r, repo))   /* before any request, foreign ones included */
        return crioimg__rg_fail(r, CRIOIMG_ERR_REF_FORMAT, "invalid repository name for ", r->domain, NULL, NULL);
    /* the URL on the heap: 4 KiB per call is too much for the stack of a small thread */
    if ((url = (char *)crioimg_malloc(&r->alloc, CRIOIMG__RG_URL_MAX)) == NULL)
        return crioimg__rg_fail(r, CRIOIMG_ERR_NOMEM, "out of memory", NULL, NULL, NULL);
    crioimg__rg_what(r, what, sizeof what, "fetching blob ", d->digest, repo);
    b.relay = relay;
    res = crioimg__rg_blob_sources(r, repo, d, &b, url, what);
    crioimg__rg_blob_drain(&b);   /* a relay touches b.h no more once this returns */
    crioimg_free(&r->alloc, url);
    return res;
}

crioimg_result crioimg_registry_get_blob(crioimg_registry *r, const char *repo, const crioimg_descriptor *d,
                                         crioimg_registry_blob_fn fn, void *ctx)
{
    return crioimg__registry_get_blob_relay(r, repo, d, fn, ctx, NULL);
}
