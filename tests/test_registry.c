/* The registry v2 client against a scripted transport: each row is a conversation. Its steps are the
   requests the client must make, in order (method, URL, the Authorization it must or must not carry,
   the Range, the TLS verification), each with the answer the fake server gives (status, headers, body,
   or a connection that breaks after some body bytes). Its actions are the calls the test makes and what
   they must return. A request the script does not expect, or one the script expects that never comes,
   fails the row. */

#define RG_ABC "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"   /* "abc" */
#define RG_HW  "sha256:b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"   /* "hello world" */
#define RG_NIL "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"   /* "" */
#define RG_OCI "application/vnd.oci.image.manifest.v1+json"
#define RG_BASIC "Basic dTpw"   /* u:p */
#define RG_CH_BEARER "WWW-Authenticate: Bearer realm=\"https://auth.io/token\",service=\"reg.io\"\n"
#define RG_TOKEN_URL "https://auth.io/token?service=reg.io&scope=repository%3Alib%2Fx%3Apull"
#define RG_TOKEN_URL_U "https://auth.io/token?account=u&service=reg.io&scope=repository%3Alib%2Fx%3Apull"
#define RG_MURL "https://reg.io/v2/lib/x/manifests/latest"
#define RG_BURL "https://reg.io/v2/lib/x/blobs/" RG_HW

enum { RG_ANY_VERIFY = 0, RG_VERIFY, RG_NO_VERIFY };

typedef struct rg_step {
    const char *method, *url;     /* what must come (method NULL: GET) */
    const char *auth;             /* Authorization it must carry; NULL: none at all */
    const char *range;            /* Range it must carry; NULL: none */
    int verify;                   /* RG_VERIFY / RG_NO_VERIFY: what TLS must check */
    const char *body_has;         /* a POST body must contain this */
    int status;                   /* the answer */
    const char *headers;          /* "Name: value\n" lines */
    const char *body;
    size_t big;                   /* instead of body: this many spaces */
    crioimg_result fail;          /* a transport failure ... */
    long cut;                     /* ... before the status (-1), or after this many body bytes */
} rg_step;

enum { RG_PING = 1, RG_MANIFEST, RG_HEAD, RG_BLOB };

typedef struct rg_action {
    int kind;
    const char *repo, *ref;       /* ref: a tag or digest; for blobs the descriptor's digest */
    long long size;               /* blobs: the descriptor's size */
    const char *url;              /* blobs: one foreign URL */
    crioimg_result want;
    const char *want_data;        /* the manifest or the blob bytes delivered */
    const char *want_media;
    const char *want_err;         /* a substring of crioimg_registry_error */
    long long advance;            /* seconds the clock moves before the call */
} rg_action;

enum { RG_CREDS = 1, RG_INSECURE = 2, RG_IDTOKEN = 4, RG_CANCEL = 8, RG_CANCEL_ON_SLEEP = 16, RG_TLS_TRUE = 32, RG_REAL_SLEEP = 64 };

typedef struct rg_row {
    const char *name, *domain;
    int flags;
    rg_step steps[16];
    rg_action actions[4];
    const char *want_sleeps;      /* the backoff the client slept, "1000,2000"; NULL: none */
} rg_row;

typedef struct rg_fake {
    const rg_step *steps;
    size_t n, i;
    char bad[512];
    long long now;
    char sleeps[256];
    volatile int cancel;
    int cancel_on_sleep;
    int prev_redirect;          /* the last step answered with a redirect: this request may be its target */
    const char *domain;         /* the registry's */
    int crossed;                /* this chain of redirects has left the registry's origin */
} rg_fake;

static rg_fake rg_f;

static void rg_bad(rg_fake *f, const char *what, const char *url)
{
    if (f->bad[0] == '\0') snprintf(f->bad, sizeof f->bad, "step %u: %s (%s)", (unsigned)f->i, what, url ? url : "");
}

static const char *rg_header(const crioimg_http_request *rq, const char *name)
{
    size_t i;
    for (i = 0; i < rq->nheaders; i++)
        if (crioimg__ascii_ieq(rq->headers[i].name, strlen(rq->headers[i].name), name)) return rq->headers[i].value;
    return NULL;
}

static crioimg_result rg_fake_request(void *user, const crioimg_http_request *rq, char *err, size_t errcap)
{
    rg_fake *f = (rg_fake *)user;
    const rg_step *s;
    const char *a, *p, *body;
    size_t blen, off = 0;
    crioimg_result res;
    char *big = NULL;
    if (f->i >= f->n) { rg_bad(f, "unexpected request", rq->url); snprintf(err, errcap, "no such step"); return CRIOIMG_ERR_HTTP_CONNECT; }
    s = &f->steps[f->i];
    if (strcmp(rq->url, s->url) != 0) rg_bad(f, "URL differs", rq->url);
    if (strcmp(rq->method ? rq->method : "GET", s->method ? s->method : "GET") != 0) rg_bad(f, "method differs", rq->method);
    a = rg_header(rq, "Authorization");
    if ((a == NULL) != (s->auth == NULL) || (a && strcmp(a, s->auth) != 0)) rg_bad(f, "Authorization differs", a ? a : "(none)");
    a = rg_header(rq, "Range");
    if ((a == NULL) != (s->range == NULL) || (a && strcmp(a, s->range) != 0)) rg_bad(f, "Range differs", a ? a : "(none)");
    if (strncmp(rq->url, "https:", 6) == 0 && ((s->verify == RG_VERIFY && rq->tls.insecure_skip_verify) || (s->verify == RG_NO_VERIFY && !rq->tls.insecure_skip_verify)))
        rg_bad(f, "TLS verification differs", rq->url);
    if (s->body_has && (rq->body == NULL || strstr((const char *)rq->body, s->body_has) == NULL)) rg_bad(f, "POST body differs", (const char *)rq->body);
    if (strcmp(rq->method ? rq->method : "GET", "POST") != 0 && (rq->body || rq->body_len)) rg_bad(f, "a body on a request without one", rq->url);
    /* token requests, and every request of a redirect chain once it left the registry's origin, refuse
       local addresses where names resolve (these tests' registries are reached at https://DOMAIN) */
    {
        const char *dom = f->domain ? f->domain : "reg.io";
        size_t dl = strlen(dom);
        int own = strncmp(rq->url, "https://", 8) == 0 && strncmp(rq->url + 8, dom, dl) == 0 && rq->url[8 + dl] == '/';
        if (!f->prev_redirect) f->crossed = 0;      /* a new request, not a hop */
        else if (!own) f->crossed = 1;              /* and every later hop of the chain, back home too */
        if (rq->refuse_local_addresses != (strstr(rq->url, "/token") != NULL || f->crossed))
            rg_bad(f, "refuse_local_addresses not set for exactly the token requests and other origins' redirect targets", rq->url);
        f->prev_redirect = s->status >= 300 && s->status < 400 && !s->fail;
    }
    a = rg_header(rq, "User-Agent");
    if (a == NULL || strcmp(a, "crioimg/" CRIOIMG_VERSION_STRING) != 0) rg_bad(f, "User-Agent differs", a);
    a = rg_header(rq, "Accept");
    if (strstr(rq->url, "/manifests/") && (a == NULL || strcmp(a, CRIOIMG_MANIFEST_ACCEPT) != 0)) rg_bad(f, "Accept differs", a);
    if (rq->cancel != &f->cancel) rg_bad(f, "the cancel flag is not passed on", rq->url);
    f->i++;
    if (s->fail && s->cut < 0) { snprintf(err, errcap, "connection refused"); return s->fail; }
    if (rq->sink.status && (res = rq->sink.status(rq->sink.ctx, s->status)) != CRIOIMG_OK) return res;
    for (p = s->headers; p && *p;) {   /* "Name: value\n" */
        const char *colon = strchr(p, ':'), *nl = strchr(p, '\n'), *v = colon + 1;
        while (*v == ' ') v++;
        if (rq->sink.header && (res = rq->sink.header(rq->sink.ctx, p, (size_t)(colon - p), v, (size_t)(nl - v))) != CRIOIMG_OK) return res;
        p = nl + 1;
    }
    if (s->big) { big = (char *)malloc(s->big); memset(big, ' ', s->big); }
    body = big ? big : s->body ? s->body : "";
    blen = big ? s->big : strlen(body);
    if (s->fail && (size_t)s->cut < blen) blen = (size_t)s->cut;
    if (strcmp(rq->method ? rq->method : "GET", "HEAD") == 0) blen = 0;
    while (off < blen) {   /* in small pieces, as a network gives them */
        size_t k = blen - off < 4 ? blen - off : (big ? (blen - off < 65536 ? blen - off : 65536) : 4);
        if (rq->sink.body && (res = rq->sink.body(rq->sink.ctx, body + off, k)) != CRIOIMG_OK) { free(big); return res; }
        off += k;
        if (s->status >= 300 && s->status < 400 && off > CRIOIMG_REGISTRY_SMALL_BODY_MAX + 65536) {
            rg_bad(f, "a redirect's body read past the cap", rq->url);
            break;
        }
    }
    free(big);
    if (s->fail) { snprintf(err, errcap, "connection reset by peer"); return s->fail; }
    return CRIOIMG_OK;
}

static long long rg_now(void *user) { return ((rg_fake *)user)->now; }

static void rg_sleep(void *user, long ms)
{
    rg_fake *f = (rg_fake *)user;
    size_t l = strlen(f->sleeps);
    snprintf(f->sleeps + l, sizeof f->sleeps - l, "%s%ld", l ? "," : "", ms);
    if (f->cancel_on_sleep) f->cancel = 1;
}

typedef struct rg_sinkbuf { char data[64]; size_t len; int over; } rg_sinkbuf;

static crioimg_result rg_consume(void *ctx, const void *data, size_t len)
{
    rg_sinkbuf *b = (rg_sinkbuf *)ctx;
    if (len > sizeof b->data - 1 - b->len) { b->over = 1; return CRIOIMG_ERR_IO; }
    memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return CRIOIMG_OK;
}

static const char *rg_authfile(void)
{
    static char path[64];
    FILE *f;
    if (path[0]) return path;
    snprintf(path, sizeof path, "/tmp/crioimg-test-auth-%ld.json", (long)getpid());
    f = fopen(path, "w");
    if (f == NULL) return NULL;
    fputs("{\"auths\":{\"reg.io/lib\":{\"auth\":\"dTpw\",\"identitytoken\":\"IDT/+=\"}}}", f);
    fclose(f);
    return path;
}

static const rg_row rg_rows[] = {
    { "anonymous ping and manifest", "reg.io", 0, {
        { NULL, "https://reg.io/v2/", NULL, NULL, RG_VERIFY, NULL, 200, NULL, NULL, 0, CRIOIMG_OK, 0 },
        { NULL, RG_MURL, NULL, NULL, RG_VERIFY, NULL, 200, "Content-Type: " RG_OCI "; charset=utf-8\nDocker-Content-Digest: " RG_ABC "\n", "abc", 0, CRIOIMG_OK, 0 } },
      { { RG_MANIFEST, "lib/x", "latest", 0, NULL, CRIOIMG_OK, "abc", RG_OCI, NULL, 0 } }, NULL },
    { "manifest by digest, then HEAD", "reg.io", 0, {
        { NULL, "https://reg.io/v2/", NULL, NULL, RG_VERIFY, NULL, 200, NULL, NULL, 0, CRIOIMG_OK, 0 },
        { NULL, "https://reg.io/v2/lib/x/manifests/" RG_ABC, NULL, NULL, RG_VERIFY, NULL, 200, "Content-Type: " RG_OCI "\n", "abc", 0, CRIOIMG_OK, 0 },
        { "HEAD", RG_MURL, NULL, NULL, RG_VERIFY, NULL, 200, "Content-Type: " RG_OCI "\nDocker-Content-Digest: " RG_ABC "\nContent-Length: 3\n", "abc", 0, CRIOIMG_OK, 0 },
        { "HEAD", RG_MURL, NULL, NULL, RG_VERIFY, NULL, 200, "Content-Type: " RG_OCI "\n", NULL, 0, CRIOIMG_OK, 0 } },
      { { RG_MANIFEST, "lib/x", RG_ABC, 0, NULL, CRIOIMG_OK, "abc", RG_OCI, NULL, 0 },
        { RG_HEAD, "lib/x", "latest", 0, NULL, CRIOIMG_OK, RG_ABC, RG_OCI, NULL, 0 },
        { RG_HEAD, "lib/x", "latest", 0, NULL, CRIOIMG_ERR_HTTP_PROTOCOL, NULL, NULL, "no Docker-Content-Digest", 0 } }, NULL },
    { "Basic", "reg.io", RG_CREDS, {
        { NULL, "https://reg.io/v2/", NULL, NULL, RG_VERIFY, NULL, 401, "WWW-Authenticate: Basic realm=\"reg\"\n", NULL, 0, CRIOIMG_OK, 0 },
        { NULL, RG_MURL, RG_BASIC, NULL, RG_VERIFY, NULL, 200, "Docker-Content-Digest: " RG_ABC "\n", "abc", 0, CRIOIMG_OK, 0 } },
      { { RG_MANIFEST, "lib/x", "latest", 0, NULL, CRIOIMG_OK, "abc", "", NULL, 0 } }, NULL },
    { "Basic refused: one request, no loop", "reg.io", RG_CREDS, {
        { NULL, "https://reg.io/v2/", NULL, NULL, RG_VERIFY, NULL, 401, "WWW-Authenticate: Basic realm=\"reg\"\n", NULL, 0, CRIOIMG_OK, 0 },
        { NULL, RG_MURL, RG_BASIC, NULL, RG_VERIFY, NULL, 401, "WWW-Authenticate: Basic realm=\"reg\"\n",
          "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"authentication required\"}]}", 0, CRIOIMG_OK, 0 } },
      { { RG_MANIFEST, "lib/x", "latest", 0, NULL, CRIOIMG_ERR_AUTH_REQUIRED, NULL, NULL, "reading manifest latest in reg.io/lib/x: unauthorized: authentication required", 0 } }, NULL },
    { "Bearer: token cached, refetched when expired", "reg.io", RG_CREDS, {
        { NULL, "https://reg.io/v2/", NULL, NULL, RG_VERIFY, NULL, 401, RG_CH_BEARER, NULL, 0, CRIOIMG_OK, 0 },
        { NULL, RG_TOKEN_URL_U, RG_BASIC, NULL, RG_VERIFY, NULL, 200, NULL, "{\"token\":\"T1\",\"expires_in\":300}", 0, CRIOIMG_OK, 0 },
        { NULL, RG_MURL, "Bearer T1", NULL, RG_VERIFY, NULL, 200, NULL, "abc", 0, CRIOIMG_OK, 0 },
        { NULL, RG_MURL, "Bearer T1", NULL, RG_VERIFY, NULL, 200, NULL, "abc", 0, CRIOIMG_OK, 0 },
        { NULL, RG_TOKEN_URL_U, RG_BASIC, NULL, RG_VERIFY, NULL, 200, NULL, "{\"access_token\":\"T2\"}", 0, CRIOIMG_OK, 0 },
        { NULL, RG_MURL, "Bearer T2", NULL, RG_VERIFY, NULL, 200, NULL, "abc", 0, CRIOIMG_OK, 0 } },
      { { RG_MANIFEST, "lib/x", "latest", 0, NULL, CRIOIMG_OK, "abc", NULL, NULL, 0 },
        { RG_MANIFEST, "lib/x", "latest", 0, NULL, CRIOIMG_OK, "abc", NULL, NULL, 299 },
        { RG_MANIFEST, "lib/x", "latest", 0, NULL, CRIOIMG_OK, "abc", NULL, NULL, 2 } }, NULL },
    { "Bearer: issued_at in the past, expires_in below 60 s", "reg.io", 0, {
        { NULL, "https://reg.io/v2/", NULL, NULL, RG_VERIFY, NULL, 401, RG_CH_BEARER, NULL, 0, CRIOIMG_OK, 0 },
        { NULL, RG_TOKEN_URL, NULL, NULL, RG_VERIFY, NULL, 200, NULL, "{\"token\":\"T1\",\"expires_in\":5,\"issued_at\":\"2001-09-09T01:46:40Z\"}", 0, CRIOIMG_OK, 0 },
        { NULL, RG_MURL, "Bearer T1", NULL, RG_VERIFY, NULL, 200, NULL, "abc", 0, CRIOIMG_OK, 0 },
        { NULL, RG_MURL, "Bearer T1", NULL, RG_VERIFY, NULL, 200, NULL, "abc", 0, CRIOIMG_OK, 0 },
        { NULL, RG_TOKEN_URL, NULL, NULL, RG_VERIFY, NULL, 200, NULL, "{\"token\":\"T2\"}", 0, CRIOIMG_OK, 0 },
        { NULL, RG_MURL, "Bearer T2", NULL, RG_VERIFY, NULL, 200, NULL, "abc", 0, CRIOIMG_OK, 0 } },
      { { RG_MANIFEST, "lib/x", "latest", 0, NULL, CRIOIMG_OK, "abc", NULL, NULL, 0 },
        { RG_MANIFEST, "lib/x", "latest", 0, NULL, CRIOIMG_OK, "abc", NULL, NULL, 60 },     /* 1000000060: not yet after */
        { RG_MANIFEST, "lib/x", "latest", 0, NULL, CRIOIMG_OK, "abc", NULL, NULL, 1 } }, NULL },
    { "identity token: POST refresh_token grant", "reg.io", RG_IDTOKEN, {
        { NULL, "https://reg.io/v2/", NULL, NULL, RG_VERIFY, NULL, 401, RG_CH_BEARER, NULL, 0, CRIOIMG_OK, 0 },
        { "POST", "https://auth.io/token", NULL, NULL, RG_VERIFY,
          "grant_type=refresh_token&refresh_token=IDT%2F%2B%3D&service=reg.io&scope=repository%3Alib%2Fx%3Apull&client_id=crioimg",
          200, NULL, "{\"access_token\":\"A1\",\"expires_in\":3600}", 0, CRIOIMG_OK, 0 },
        { NULL, RG_MURL, "Bearer A1", NULL, RG_VERIFY, NULL, 200, NULL, "abc", 0, CRIOIMG_OK, 0 } },
      { { RG_MANIFEST, "lib/x", "latest", 0, NULL, CRIOIMG_OK, "abc", NULL, NULL, 0 } }, NULL },
    { "insufficient_scope: one fresh token, one retry", "reg.io", 0, {
        { NULL, "https://reg.io/v2/", NULL, NULL, RG_VERIFY, NULL, 401, RG_CH_BEARER, NULL, 0, CRIOIMG_OK, 0 },
        { NULL, RG_TOKEN_URL, NULL, NULL, RG_VERIFY, NULL, 200, NULL, "{\"token\":\"T1\"}", 0, CRIOIMG_OK, 0 },
        { NULL, RG_MURL, "Bearer T1", NULL, RG_VERIFY, NULL, 401,
          "WWW-Authenticate: Bearer realm=\"https://auth.io/token\",service=\"reg.io\",error=\"insufficient_scope\"\n", NULL, 0, CRIOIMG_OK, 0 },
        { NULL, RG_TOKEN_URL, NULL, NULL, RG_VERIFY, NULL, 200, NULL, "{\"token\":\"T2\"}", 0, CRIOIMG_OK, 0 },
        { NULL, RG_MURL, "Bearer T2", NULL, RG_VERIFY, NULL, 200, NULL, "abc", 0, CRIOIMG_OK, 0 } },
      { { RG_MANIFEST, "lib/x", "latest", 0, NULL, CRIOIMG_OK, "abc", NULL, NULL, 0 } }, NULL },
    { "401 after a fresh token: ERR_AUTH_REQUIRED, no loop", "reg.io", 0, {
        { NULL, "https://reg.io/v2/", NULL, NULL, RG_VERIFY, NULL, 401, RG_CH_BEARER, NULL, 0, CRIOIMG_OK, 0 },
        { NULL, RG_TOKEN_URL, NULL, NULL, RG_VERIFY, NULL, 200, NULL, "{\"token\":\"T1\"}", 0, CRIOIMG_OK, 0 },
        { NULL, RG_MURL, "Bearer T1", NULL, RG_VERIFY, NULL, 401, RG_CH_BEARER, NULL, 0, CRIOIMG_OK, 0 },
        { NULL, RG_TOKEN_URL, NULL, NULL, RG_VERIFY, NULL, 200, NULL, "{\"token\":\"T2\"}", 0, CRIOIMG_OK, 0 },
        { NULL, RG_MURL, "Bearer T2", NULL, RG_VERIFY, NULL, 401, RG_CH_BEARER, NULL, 0, CRIOIMG_OK, 0 } },
      { { RG_MANIFEST, "lib/x", "latest", 0, NULL, CRIOIMG_ERR_AUTH_REQUIRED, NULL, NULL, "invalid status code from registry 401 (Unauthorized)", 0 } }, NULL },
    { "challenges first seen on a 401 after a 200 ping", "reg.io", 0, {
        { NULL, "https://reg.io/v2/", NULL, NULL, RG_VERIFY, NULL, 200, NULL, NULL, 0, CRIOIMG_OK, 0 },
        { NULL, RG_MURL, NULL, NULL, RG_VERIFY, NULL, 401, RG_CH_BEARER, NULL, 0, CRIOIMG_OK, 0 },
        { NULL, RG_TOKEN_URL, NULL, NULL, RG_VERIFY, NULL, 200, NULL, "{\"token\":\"T1\"}", 0, CRIOIMG_OK, 0 },
        { NULL, RG_MURL, "Bearer T1", NULL, RG_VERIFY, NULL, 200, NULL, "abc", 0, CRIOIMG_OK, 0 } },
      { { RG_MANIFEST, "lib/x", "latest", 0, NULL, CRIOIMG_OK, "abc", NULL, NULL, 0 } }, NULL },
    { "auth file entries are per repository", "reg.io", RG_IDTOKEN, {
        { NULL, "https://reg.io/v2/", NULL, NULL, RG_VERIFY, NULL, 401, "WWW-Authenticate: Basic realm=\"reg\"\n", NULL, 0, CRIOIMG_OK, 0 },
        { NULL, RG_MURL, RG_BASIC, NULL, RG_VERIFY, NULL, 200, NULL, "abc", 0, CRIOIMG_OK, 0 },
        { NULL, "https://reg.io/v2/other/y/manifests/latest", NULL, NULL, RG_VERIFY, NULL, 401, "WWW-Authenticate: Basic realm=\"reg\"\n", NULL, 0, CRIOIMG_OK, 0 },
        { NULL, RG_MURL, RG_BASIC, NULL, RG_VERIFY, NULL, 200, NULL, "abc", 0, CRIOIMG_OK, 0 } },
      { { RG_MANIFEST, "lib/x", "latest", 0, NULL, CRIOIMG_OK, "abc", NULL, NULL, 0 },
        { RG_MANIFEST, "other/y", "latest", 0, NULL, CRIOIMG_ERR_AUTH_REQUIRED, NULL, NULL, "401 (Unauthorized)", 0 },
        { RG_MANIFEST, "lib/x", "latest", 0, NULL, CRIOIMG_OK, "abc", NULL, NULL, 0 } }, NULL },
    { "several challenges in one header: the first one served", "reg.io", RG_CREDS, {
        { NULL, "https://reg.io/v2/", NULL, NULL, RG_VERIFY, NULL, 401,
          "WWW-Authenticate: Negotiate abc==, Bearer realm=\"https://auth.io/token\",service=\"reg.io\", Basic realm=\"r\"\n", NULL, 0, CRIOIMG_OK, 0 },
        { NULL, RG_TOKEN_URL_U, RG_BASIC, NULL, RG_VERIFY, NULL, 200, NULL, "{\"token\":\"T1\"}", 0, CRIOIMG_OK, 0 },
        { NULL, RG_MURL, "Bearer T1", NULL, RG_VERIFY, NULL, 200, NULL, "abc", 0, CRIOIMG_OK, 0 } },
      { { RG_MANIFEST, "lib/x", "latest", 0, NULL, CRIOIMG_OK, "abc", NULL, NULL, 0 } }, NULL },
    { "http realm on a secure registry: refused, no credentials sent", "reg.io", RG_CREDS, {
        { NULL, "https://reg.io/v2/", NULL, NULL, RG_VERIFY, NULL, 401, "WWW-Authenticate: Bearer realm=\"http://auth.io/token\"\n", NULL, 0, CRIOIMG_OK, 0 } },
      { { RG_MANIFEST, "lib/x", "latest", 0, NULL, CRIOIMG_ERR_AUTH_REALM, NULL, NULL, "must be https", 0 } }, NULL },
    { "http realm on an insecure registry: allowed", "reg.io", RG_INSECURE, {
        { NULL, "https://reg.io/v2/", NULL, NULL, RG_NO_VERIFY, NULL, 401, "WWW-Authenticate: Bearer realm=\"http://auth.io/token\"\n", NULL, 0, CRIOIMG_OK, 0 },
        { NULL, "http://auth.io/token?scope=repository%3Alib%2Fx%3Apull", NULL, NULL, RG_ANY_VERIFY, NULL, 200, NULL, "{\"token\":\"T\"}", 0, CRIOIMG_OK, 0 },
        { NULL, RG_MURL, "Bearer T", NULL, RG_NO_VERIFY, NULL, 200, NULL, "abc", 0, CRIOIMG_OK, 0 } },
      { { RG_MANIFEST, "lib/x", "latest", 0, NULL, CRIOIMG_OK, "abc", NULL, NULL, 0 } }, NULL },
    { "realm with userinfo: refused", "reg.io", RG_CREDS, {
        { NULL, "https://reg.io/v2/", NULL, NULL, RG_VERIFY, NULL, 401, "WWW-Authenticate: Bearer realm=\"https://x:y@auth.io/token\"\n", NULL, 0, CRIOIMG_OK, 0 } },
      { { RG_MANIFEST, "lib/x", "latest", 0, NULL, CRIOIMG_ERR_AUTH_REALM, NULL, NULL, "user information", 0 } }, NULL },
    { "realm at the metadata address: refused", "reg.io", 0, {
        { NULL, "https://reg.io/v2/", NULL, NULL, RG_VERIFY, NULL, 401, "WWW-Authenticate: Bearer realm=\"https://169.254.169.254/token\"\n", NULL, 0, CRIOIMG_OK, 0 } },
      { { RG_MANIFEST, "lib/x", "latest", 0, NULL, CRIOIMG_ERR_AUTH_REALM, NULL, NULL, "link-local", 0 } }, NULL },
    { "token body over 1 MiB", "reg.io", 0, {
        { NULL, "https://reg.io/v2/", NULL, NULL, RG_VERIFY, NULL, 401, RG_CH_BEARER, NULL, 0, CRIOIMG_OK, 0 },
        { NULL, RG_TOKEN_URL, NULL, NULL, RG_VERIFY, NULL, 200, NULL, NULL, ((size_t)1 << 20) + 1, CRIOIMG_OK, 0 } },
      { { RG_MANIFEST, "lib/x", "latest", 0, NULL, CRIOIMG_ERR_TOO_BIG, NULL, NULL, "exceeds 1 MiB", 0 } }, NULL },
    { "token body not JSON", "reg.io", 0, {
        { NULL, "https://reg.io/v2/", NULL, NULL, RG_VERIFY, NULL, 401, RG_CH_BEARER, NULL, 0, CRIOIMG_OK, 0 },
        { NULL, RG_TOKEN_URL, NULL, NULL, RG_VERIFY, NULL, 200, NULL, "<html>token</html>", 0, CRIOIMG_OK, 0 } },
      { { RG_MANIFEST, "lib/x", "latest", 0, NULL, CRIOIMG_ERR_AUTH_TOKEN, NULL, NULL, "not JSON", 0 } }, NULL },
    { "token body without a token", "reg.io", 0, {
        { NULL, "https://reg.io/v2/", NULL, NULL, RG_VERIFY, NULL, 401, RG_CH_BEARER, NULL, 0, CRIOIMG_OK, 0 },
        { NULL, RG_TOKEN_URL, NULL, NULL, RG_VERIFY, NULL, 200, NULL, "{\"token\":\"\",\"expires_in\":60}", 0, CRIOIMG_OK, 0 } },
      { { RG_MANIFEST, "lib/x", "latest", 0, NULL, CRIOIMG_ERR_AUTH_TOKEN, NULL, NULL, "no token", 0 } }, NULL },
    { "token endpoint refuses the credentials", "reg.io", RG_CREDS, {
        { NULL, "https://reg.io/v2/", NULL, NULL, RG_VERIFY, NULL, 401, RG_CH_BEARER, NULL, 0, CRIOIMG_OK, 0 },
        { NULL, RG_TOKEN_URL_U, RG_BASIC, NULL, RG_VERIFY, NULL, 401, NULL, "{\"details\":\"incorrect username or password\"}", 0, CRIOIMG_OK, 0 } },
      { { RG_MANIFEST, "lib/x", "latest", 0, NULL, CRIOIMG_ERR_AUTH_REQUIRED, NULL, NULL,
          "unable to retrieve auth token: invalid username/password: unauthorized: incorrect username or password", 0 } }, NULL },
    { "secure registry: never http, connection retried", "reg.io", 0, {
        { NULL, "https://reg.io/v2/", NULL, NULL, RG_VERIFY, NULL, 0, NULL, NULL, 0, CRIOIMG_ERR_HTTP_CONNECT, -1 },
        { NULL, "https://reg.io/v2/", NULL, NULL, RG_VERIFY, NULL, 0, NULL, NULL, 0, CRIOIMG_ERR_HTTP_CONNECT, -1 },
        { NULL, "https://reg.io/v2/", NULL, NULL, RG_VERIFY, NULL, 0, NULL, NULL, 0, CRIOIMG_ERR_HTTP_CONNECT, -1 },
        { NULL, "https://reg.io/v2/", NULL, NULL, RG_VERIFY, NULL, 0, NULL, NULL, 0, CRIOIMG_ERR_HTTP_CONNECT, -1 } },
      { { RG_PING, NULL, NULL, 0, NULL, CRIOIMG_ERR_HTTP_CONNECT, NULL, NULL, "pinging container registry reg.io: connection refused", 0 } },
      "1000,2000,4000" },
    { "secure registry: a TLS failure is final", "reg.io", 0, {
        { NULL, "https://reg.io/v2/", NULL, NULL, RG_VERIFY, NULL, 0, NULL, NULL, 0, CRIOIMG_ERR_HTTP_TLS, -1 } },
      { { RG_PING, NULL, NULL, 0, NULL, CRIOIMG_ERR_HTTP_TLS, NULL, NULL, NULL, 0 } }, NULL },
    { "--tls-verify=true on an insecure registry: verified, no http", "reg.io", RG_INSECURE | RG_TLS_TRUE, {
        { NULL, "https://reg.io/v2/", NULL, NULL, RG_VERIFY, NULL, 0, NULL, NULL, 0, CRIOIMG_ERR_HTTP_TLS, -1 } },
      { { RG_PING, NULL, NULL, 0, NULL, CRIOIMG_ERR_HTTP_TLS, NULL, NULL, NULL, 0 } }, NULL },
    { "insecure registry: unverified https, then http", "reg.io", RG_INSECURE, {
        { NULL, "https://reg.io/v2/", NULL, NULL, RG_NO_VERIFY, NULL, 0, NULL, NULL, 0, CRIOIMG_ERR_HTTP_CONNECT, -1 },
        { NULL, "http://reg.io/v2/", NULL, NULL, RG_ANY_VERIFY, NULL, 200, NULL, NULL, 0, CRIOIMG_OK, 0 },
        { NULL, "http://reg.io/v2/lib/x/manifests/latest", NULL, NULL, RG_ANY_VERIFY, NULL, 200, NULL, "abc", 0, CRIOIMG_OK, 0 } },
      { { RG_MANIFEST, "lib/x", "latest", 0, NULL, CRIOIMG_OK, "abc", NULL, NULL, 0 } }, NULL },
    { "ping 404: not a v2 registry", "reg.io", 0, {
        { NULL, "https://reg.io/v2/", NULL, NULL, RG_VERIFY, NULL, 404, NULL, "not here", 0, CRIOIMG_OK, 0 } },
      { { RG_PING, NULL, NULL, 0, NULL, CRIOIMG_ERR_REGISTRY_NOT_V2, NULL, NULL, "pinging container registry reg.io: invalid status code from registry 404 (Not Found)", 0 } }, NULL },
    { "redirect to another host drops Authorization", "reg.io", RG_CREDS, {
        { NULL, "https://reg.io/v2/", NULL, NULL, RG_VERIFY, NULL, 401, "WWW-Authenticate: Basic realm=\"reg\"\n", NULL, 0, CRIOIMG_OK, 0 },
        { NULL, RG_BURL, RG_BASIC, NULL, RG_VERIFY, NULL, 307, "Location: https://cdn.io/blob?sig=1\n", "moved", 0, CRIOIMG_OK, 0 },
        { NULL, "https://cdn.io/blob?sig=1", NULL, NULL, RG_VERIFY, NULL, 200, NULL, "hello world", 0, CRIOIMG_OK, 0 } },
      { { RG_BLOB, "lib/x", RG_HW, 11, NULL, CRIOIMG_OK, "hello world", NULL, NULL, 0 } }, NULL },
    { "redirect from https to http refused", "reg.io", RG_CREDS, {
        { NULL, "https://reg.io/v2/", NULL, NULL, RG_VERIFY, NULL, 401, "WWW-Authenticate: Basic realm=\"reg\"\n", NULL, 0, CRIOIMG_OK, 0 },
        { NULL, RG_BURL, RG_BASIC, NULL, RG_VERIFY, NULL, 302, "Location: http://cdn.io/blob\n", NULL, 0, CRIOIMG_OK, 0 } },
      { { RG_BLOB, "lib/x", RG_HW, 11, NULL, CRIOIMG_ERR_HTTP_REDIRECT, "", NULL, "from https to http", 0 } }, NULL },
    { "401 from a redirect target on another origin: no challenge learned, no credentials sent", "reg.io", RG_CREDS, {
        { NULL, "https://reg.io/v2/", NULL, NULL, RG_VERIFY, NULL, 200, NULL, NULL, 0, CRIOIMG_OK, 0 },
        { NULL, RG_MURL, NULL, NULL, RG_VERIFY, NULL, 302, "Location: https://cdn.other.io/m\n", NULL, 0, CRIOIMG_OK, 0 },
        { NULL, "https://cdn.other.io/m", NULL, NULL, RG_VERIFY, NULL, 401, "WWW-Authenticate: Bearer realm=\"https://evil.io/token\",service=\"x\"\n", NULL, 0, CRIOIMG_OK, 0 },
        { NULL, RG_MURL, NULL, NULL, RG_VERIFY, NULL, 200, NULL, "abc", 0, CRIOIMG_OK, 0 } },
      { { RG_MANIFEST, "lib/x", "latest", 0, NULL, CRIOIMG_ERR_AUTH_REQUIRED, NULL, NULL, "401 (Unauthorized)", 0 },
        { RG_MANIFEST, "lib/x", "latest", 0, NULL, CRIOIMG_OK, "abc", NULL, NULL, 0 } }, NULL },
    { "401 after a hop through another origin back to the registry: not learned either", "reg.io", RG_CREDS, {
        { NULL, "https://reg.io/v2/", NULL, NULL, RG_VERIFY, NULL, 200, NULL, NULL, 0, CRIOIMG_OK, 0 },
        { NULL, RG_MURL, NULL, NULL, RG_VERIFY, NULL, 302, "Location: https://cdn.other.io/m\n", NULL, 0, CRIOIMG_OK, 0 },
        { NULL, "https://cdn.other.io/m", NULL, NULL, RG_VERIFY, NULL, 302, "Location: https://reg.io/v2/lib/x/manifests/v1\n", NULL, 0, CRIOIMG_OK, 0 },
        { NULL, "https://reg.io/v2/lib/x/manifests/v1", NULL, NULL, RG_VERIFY, NULL, 401, "WWW-Authenticate: Basic realm=\"r\"\n", NULL, 0, CRIOIMG_OK, 0 } },
      { { RG_MANIFEST, "lib/x", "latest", 0, NULL, CRIOIMG_ERR_AUTH_REQUIRED, NULL, NULL, "401 (Unauthorized)", 0 } }, NULL },
    { "401 after a same-origin redirect: learned", "reg.io", RG_CREDS, {
        { NULL, "https://reg.io/v2/", NULL, NULL, RG_VERIFY, NULL, 200, NULL, NULL, 0, CRIOIMG_OK, 0 },
        { NULL, RG_MURL, NULL, NULL, RG_VERIFY, NULL, 307, "Location: /v2/lib/x/manifests/v1\n", NULL, 0, CRIOIMG_OK, 0 },
        { NULL, "https://reg.io/v2/lib/x/manifests/v1", NULL, NULL, RG_VERIFY, NULL, 401, "WWW-Authenticate: Basic realm=\"r\"\n", NULL, 0, CRIOIMG_OK, 0 },
        { NULL, RG_MURL, RG_BASIC, NULL, RG_VERIFY, NULL, 307, "Location: /v2/lib/x/manifests/v1\n", NULL, 0, CRIOIMG_OK, 0 },
        { NULL, "https://reg.io/v2/lib/x/manifests/v1", RG_BASIC, NULL, RG_VERIFY, NULL, 200, NULL, "abc", 0, CRIOIMG_OK, 0 } },
      { { RG_MANIFEST, "lib/x", "latest", 0, NULL, CRIOIMG_OK, "abc", NULL, NULL, 0 } }, NULL },
    { "ping redirected to another origin: its challenges are not kept", "reg.io", RG_CREDS, {
        { NULL, "https://reg.io/v2/", NULL, NULL, RG_VERIFY, NULL, 302, "Location: https://other.io/v2/\n", NULL, 0, CRIOIMG_OK, 0 },
        { NULL, "https://other.io/v2/", NULL, NULL, RG_VERIFY, NULL, 401, "WWW-Authenticate: Bearer realm=\"https://evil.io/token\"\n", NULL, 0, CRIOIMG_OK, 0 },
        { NULL, RG_MURL, NULL, NULL, RG_VERIFY, NULL, 200, NULL, "abc", 0, CRIOIMG_OK, 0 } },
      { { RG_PING, NULL, NULL, 0, NULL, CRIOIMG_OK, NULL, NULL, NULL, 0 },
        { RG_MANIFEST, "lib/x", "latest", 0, NULL, CRIOIMG_OK, "abc", NULL, NULL, 0 } }, NULL },
    { "refresh-token POST redirected to another origin: refused, the body stays", "reg.io", RG_IDTOKEN, {
        { NULL, "https://reg.io/v2/", NULL, NULL, RG_VERIFY, NULL, 401, RG_CH_BEARER, NULL, 0, CRIOIMG_OK, 0 },
        { "POST", "https://auth.io/token", NULL, NULL, RG_VERIFY, "refresh_token=IDT", 302, "Location: https://elsewhere.example/collect\n", NULL, 0, CRIOIMG_OK, 0 },
        { "POST", "https://auth.io/token", NULL, NULL, RG_VERIFY, "refresh_token=IDT", 307, "Location: https://elsewhere.example/collect\n", NULL, 0, CRIOIMG_OK, 0 } },
      { { RG_MANIFEST, "lib/x", "latest", 0, NULL, CRIOIMG_ERR_HTTP_REDIRECT, NULL, NULL, "refusing to send a request body to another origin", 0 },
        { RG_MANIFEST, "lib/x", "latest", 0, NULL, CRIOIMG_ERR_HTTP_REDIRECT, NULL, NULL, "(elsewhere.example)", 0 } }, NULL },
    { "refresh-token POST, same-origin 302: a GET without the body, as Go does", "reg.io", RG_IDTOKEN, {
        { NULL, "https://reg.io/v2/", NULL, NULL, RG_VERIFY, NULL, 401, RG_CH_BEARER, NULL, 0, CRIOIMG_OK, 0 },
        { "POST", "https://auth.io/token", NULL, NULL, RG_VERIFY, "refresh_token=IDT", 302, "Location: /token2\n", NULL, 0, CRIOIMG_OK, 0 },
        { NULL, "https://auth.io/token2", NULL, NULL, RG_VERIFY, NULL, 200, NULL, "{\"token\":\"T\"}", 0, CRIOIMG_OK, 0 },
        { NULL, RG_MURL, "Bearer T", NULL, RG_VERIFY, NULL, 200, NULL, "abc", 0, CRIOIMG_OK, 0 } },
      { { RG_MANIFEST, "lib/x", "latest", 0, NULL, CRIOIMG_OK, "abc", NULL, NULL, 0 } }, NULL },
    { "token realm redirected to the metadata address: refused before any request", "reg.io", RG_INSECURE | RG_CREDS, {
        { NULL, "https://reg.io/v2/", NULL, NULL, RG_NO_VERIFY, NULL, 401, "WWW-Authenticate: Bearer realm=\"http://auth.io/token\"\n", NULL, 0, CRIOIMG_OK, 0 },
        { NULL, "http://auth.io/token?account=u&scope=repository%3Alib%2Fx%3Apull", RG_BASIC, NULL, RG_ANY_VERIFY, NULL, 302,
          "Location: http://169.254.169.254/latest/meta-data/iam/security-credentials/role\n", NULL, 0, CRIOIMG_OK, 0 },
        { NULL, "http://auth.io/token?account=u&scope=repository%3Alib%2Fx%3Apull", RG_BASIC, NULL, RG_ANY_VERIFY, NULL, 307,
          "Location: https://[::ffff:a9fe:a9fe]/x\n", NULL, 0, CRIOIMG_OK, 0 } },
      { { RG_MANIFEST, "lib/x", "latest", 0, NULL, CRIOIMG_ERR_AUTH_REALM, NULL, NULL, "a redirect of the token request: the token realm is an unspecified or link-local address (169.254.169.254)", 0 },
        { RG_MANIFEST, "lib/x", "latest", 0, NULL, CRIOIMG_ERR_AUTH_REALM, NULL, NULL, "link-local address ([::ffff:a9fe:a9fe])", 0 } }, NULL },
    { "token realm redirected to a URL with user information: refused", "reg.io", 0, {
        { NULL, "https://reg.io/v2/", NULL, NULL, RG_VERIFY, NULL, 401, RG_CH_BEARER, NULL, 0, CRIOIMG_OK, 0 },
        { NULL, RG_TOKEN_URL, NULL, NULL, RG_VERIFY, NULL, 302, "Location: https://user:pw@auth2.io/token\n", NULL, 0, CRIOIMG_OK, 0 } },
      { { RG_MANIFEST, "lib/x", "latest", 0, NULL, CRIOIMG_ERR_AUTH_REALM, NULL, NULL, "user information", 0 } }, NULL },
    { "a redirect with an endless body: read up to the cap, then followed", "reg.io", 0, {
        { NULL, "https://reg.io/v2/", NULL, NULL, RG_VERIFY, NULL, 200, NULL, NULL, 0, CRIOIMG_OK, 0 },
        { NULL, RG_MURL, NULL, NULL, RG_VERIFY, NULL, 302, "Location: /v2/lib/x/manifests/v1\n", NULL, (size_t)16 << 20, CRIOIMG_OK, 0 },
        { NULL, "https://reg.io/v2/lib/x/manifests/v1", NULL, NULL, RG_VERIFY, NULL, 200, NULL, "abc", 0, CRIOIMG_OK, 0 } },
      { { RG_MANIFEST, "lib/x", "latest", 0, NULL, CRIOIMG_OK, "abc", NULL, NULL, 0 } }, NULL },
    { "relative Location keeps Authorization on the same origin", "reg.io", RG_CREDS, {
        { NULL, "https://reg.io/v2/", NULL, NULL, RG_VERIFY, NULL, 401, "WWW-Authenticate: Basic realm=\"reg\"\n", NULL, 0, CRIOIMG_OK, 0 },
        { NULL, RG_MURL, RG_BASIC, NULL, RG_VERIFY, NULL, 301, "Location: ../../y/./manifests/v1\n", NULL, 0, CRIOIMG_OK, 0 },
        { NULL, "https://reg.io/v2/lib/y/manifests/v1", RG_BASIC, NULL, RG_VERIFY, NULL, 200, NULL, "abc", 0, CRIOIMG_OK, 0 } },
      { { RG_MANIFEST, "lib/x", "latest", 0, NULL, CRIOIMG_OK, "abc", NULL, NULL, 0 } }, NULL },
    { "11 redirects refused", "reg.io", 0, {
        { NULL, "https://reg.io/v2/", NULL, NULL, RG_VERIFY, NULL, 200, NULL, NULL, 0, CRIOIMG_OK, 0 },
        { NULL, RG_MURL, NULL, NULL, RG_VERIFY, NULL, 302, "Location: /r1\n", NULL, 0, CRIOIMG_OK, 0 },
        { NULL, "https://reg.io/r1", NULL, NULL, RG_VERIFY, NULL, 302, "Location: /r2\n", NULL, 0, CRIOIMG_OK, 0 },
        { NULL, "https://reg.io/r2", NULL, NULL, RG_VERIFY, NULL, 302, "Location: /r3\n", NULL, 0, CRIOIMG_OK, 0 },
        { NULL, "https://reg.io/r3", NULL, NULL, RG_VERIFY, NULL, 302, "Location: /r4\n", NULL, 0, CRIOIMG_OK, 0 },
        { NULL, "https://reg.io/r4", NULL, NULL, RG_VERIFY, NULL, 302, "Location: /r5\n", NULL, 0, CRIOIMG_OK, 0 },
        { NULL, "https://reg.io/r5", NULL, NULL, RG_VERIFY, NULL, 302, "Location: /r6\n", NULL, 0, CRIOIMG_OK, 0 },
        { NULL, "https://reg.io/r6", NULL, NULL, RG_VERIFY, NULL, 302, "Location: /r7\n", NULL, 0, CRIOIMG_OK, 0 },
        { NULL, "https://reg.io/r7", NULL, NULL, RG_VERIFY, NULL, 302, "Location: /r8\n", NULL, 0, CRIOIMG_OK, 0 },
        { NULL, "https://reg.io/r8", NULL, NULL, RG_VERIFY, NULL, 302, "Location: /r9\n", NULL, 0, CRIOIMG_OK, 0 },
        { NULL, "https://reg.io/r9", NULL, NULL, RG_VERIFY, NULL, 302, "Location: /r10\n", NULL, 0, CRIOIMG_OK, 0 },
        { NULL, "https://reg.io/r10", NULL, NULL, RG_VERIFY, NULL, 302, "Location: /r11\n", NULL, 0, CRIOIMG_OK, 0 } },
      { { RG_MANIFEST, "lib/x", "latest", 0, NULL, CRIOIMG_ERR_HTTP_REDIRECT, NULL, NULL, "stopped after 10 redirects", 0 } }, NULL },
    { "429 with Retry-After, then success", "reg.io", 0, {
        { NULL, "https://reg.io/v2/", NULL, NULL, RG_VERIFY, NULL, 200, NULL, NULL, 0, CRIOIMG_OK, 0 },
        { NULL, RG_MURL, NULL, NULL, RG_VERIFY, NULL, 429, "Retry-After: 7\n", "{\"errors\":[{\"code\":\"TOOMANYREQUESTS\",\"message\":\"slow down\"}]}", 0, CRIOIMG_OK, 0 },
        { NULL, RG_MURL, NULL, NULL, RG_VERIFY, NULL, 200, NULL, "abc", 0, CRIOIMG_OK, 0 } },
      { { RG_MANIFEST, "lib/x", "latest", 0, NULL, CRIOIMG_OK, "abc", NULL, NULL, 0 } }, "7000" },
    { "429 after every retry", "reg.io", 0, {
        { NULL, "https://reg.io/v2/", NULL, NULL, RG_VERIFY, NULL, 200, NULL, NULL, 0, CRIOIMG_OK, 0 },
        { NULL, RG_MURL, NULL, NULL, RG_VERIFY, NULL, 429, "Retry-After: 100000\n", NULL, 0, CRIOIMG_OK, 0 },
        { NULL, RG_MURL, NULL, NULL, RG_VERIFY, NULL, 429, "Retry-After: bogus\n", NULL, 0, CRIOIMG_OK, 0 },
        { NULL, RG_MURL, NULL, NULL, RG_VERIFY, NULL, 429, NULL, NULL, 0, CRIOIMG_OK, 0 },
        { NULL, RG_MURL, NULL, NULL, RG_VERIFY, NULL, 429, NULL, NULL, 0, CRIOIMG_OK, 0 } },
      { { RG_MANIFEST, "lib/x", "latest", 0, NULL, CRIOIMG_ERR_REGISTRY_TOO_MANY_REQUESTS, NULL, NULL, "429 (Too Many Requests)", 0 } },
      "60000,2000,4000" },
    { "503 retries exhausted", "reg.io", 0, {
        { NULL, "https://reg.io/v2/", NULL, NULL, RG_VERIFY, NULL, 200, NULL, NULL, 0, CRIOIMG_OK, 0 },
        { NULL, RG_MURL, NULL, NULL, RG_VERIFY, NULL, 503, NULL, NULL, 0, CRIOIMG_OK, 0 },
        { NULL, RG_MURL, NULL, NULL, RG_VERIFY, NULL, 503, NULL, NULL, 0, CRIOIMG_OK, 0 },
        { NULL, RG_MURL, NULL, NULL, RG_VERIFY, NULL, 502, NULL, NULL, 0, CRIOIMG_OK, 0 },
        { NULL, RG_MURL, NULL, NULL, RG_VERIFY, NULL, 503, NULL, NULL, 0, CRIOIMG_OK, 0 } },
      { { RG_MANIFEST, "lib/x", "latest", 0, NULL, CRIOIMG_ERR_REGISTRY_UNAVAILABLE, NULL, NULL, "503 (Service Unavailable)", 0 } },
      "1000,2000,4000" },
    { "503 retries with the built-in sleep", "reg.io", RG_REAL_SLEEP, {
        { NULL, "https://reg.io/v2/", NULL, NULL, RG_VERIFY, NULL, 200, NULL, NULL, 0, CRIOIMG_OK, 0 },
        { NULL, RG_MURL, NULL, NULL, RG_VERIFY, NULL, 503, "Retry-After: 0\n", NULL, 0, CRIOIMG_OK, 0 },
        { NULL, RG_MURL, NULL, NULL, RG_VERIFY, NULL, 504, NULL, NULL, 0, CRIOIMG_OK, 0 },
        { NULL, RG_MURL, NULL, NULL, RG_VERIFY, NULL, 200, NULL, "abc", 0, CRIOIMG_OK, 0 } },
      { { RG_MANIFEST, "lib/x", "latest", 0, NULL, CRIOIMG_OK, "abc", NULL, NULL, 0 } }, NULL },
    { "manifest transfer broken: fetched again whole", "reg.io", 0, {
        { NULL, "https://reg.io/v2/", NULL, NULL, RG_VERIFY, NULL, 200, NULL, NULL, 0, CRIOIMG_OK, 0 },
        { NULL, RG_MURL, NULL, NULL, RG_VERIFY, NULL, 200, NULL, "abc", 0, CRIOIMG_ERR_TIMEOUT, 2 },
        { NULL, RG_MURL, NULL, NULL, RG_VERIFY, NULL, 200, NULL, "abc", 0, CRIOIMG_OK, 0 } },
      { { RG_MANIFEST, "lib/x", "latest", 0, NULL, CRIOIMG_OK, "abc", NULL, NULL, 0 } }, "1000" },
    { "HEAD by digest naming another digest", "reg.io", 0, {
        { NULL, "https://reg.io/v2/", NULL, NULL, RG_VERIFY, NULL, 200, NULL, NULL, 0, CRIOIMG_OK, 0 },
        { "HEAD", "https://reg.io/v2/lib/x/manifests/" RG_ABC, NULL, NULL, RG_VERIFY, NULL, 200, "Docker-Content-Digest: " RG_HW "\n", NULL, 0, CRIOIMG_OK, 0 } },
      { { RG_HEAD, "lib/x", RG_ABC, 0, NULL, CRIOIMG_ERR_DIGEST_MISMATCH, NULL, NULL, "another digest", 0 } }, NULL },
    { "blob: every resume answered with a wrong range", "reg.io", 0, {
        { NULL, "https://reg.io/v2/", NULL, NULL, RG_VERIFY, NULL, 200, NULL, NULL, 0, CRIOIMG_OK, 0 },
        { NULL, RG_BURL, NULL, NULL, RG_VERIFY, NULL, 200, NULL, "hello world", 0, CRIOIMG_ERR_HTTP_CONNECT, 4 },
        { NULL, RG_BURL, NULL, "bytes=4-", RG_VERIFY, NULL, 206, "Content-Range: bytes 4-9/11\n", "o worl", 0, CRIOIMG_OK, 0 },
        { NULL, RG_BURL, NULL, NULL, RG_VERIFY, NULL, 206, "Content-Range: bytes 4-10/11\n", "o world", 0, CRIOIMG_OK, 0 },
        { NULL, RG_BURL, NULL, NULL, RG_VERIFY, NULL, 206, "Content-Range: bytes 1-10/11\n", "ello world", 0, CRIOIMG_OK, 0 } },
      { { RG_BLOB, "lib/x", RG_HW, 11, NULL, CRIOIMG_ERR_HTTP_PROTOCOL, "hell", NULL, "another range: bytes 1-10/11", 0 } }, "1000,2000,4000" },
    { "manifest unknown, with the registry's message", "reg.io", 0, {
        { NULL, "https://reg.io/v2/", NULL, NULL, RG_VERIFY, NULL, 200, NULL, NULL, 0, CRIOIMG_OK, 0 },
        { NULL, RG_MURL, NULL, NULL, RG_VERIFY, NULL, 404, NULL,
          "{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\",\"message\":\"manifest unknown\",\"detail\":{\"Tag\":\"latest\"}}]}", 0, CRIOIMG_OK, 0 } },
      { { RG_MANIFEST, "lib/x", "latest", 0, NULL, CRIOIMG_ERR_REGISTRY_MANIFEST_UNKNOWN, NULL, NULL,
          "reading manifest latest in reg.io/lib/x: manifest unknown: manifest unknown", 0 } }, NULL },
    { "denied", "reg.io", 0, {
        { NULL, "https://reg.io/v2/", NULL, NULL, RG_VERIFY, NULL, 200, NULL, NULL, 0, CRIOIMG_OK, 0 },
        { NULL, RG_MURL, NULL, NULL, RG_VERIFY, NULL, 403, NULL, "{\"errors\":[{\"code\":\"DENIED\",\"message\":\"requested access to the resource is denied\"}]}", 0, CRIOIMG_OK, 0 } },
      { { RG_MANIFEST, "lib/x", "latest", 0, NULL, CRIOIMG_ERR_REGISTRY_DENIED, NULL, NULL, "denied: requested access", 0 } }, NULL },
    { "error body over 1 MiB: cut, the status decides", "reg.io", 0, {
        { NULL, "https://reg.io/v2/", NULL, NULL, RG_VERIFY, NULL, 200, NULL, NULL, 0, CRIOIMG_OK, 0 },
        { NULL, RG_MURL, NULL, NULL, RG_VERIFY, NULL, 404, NULL, NULL, ((size_t)1 << 20) + 100, CRIOIMG_OK, 0 } },
      { { RG_MANIFEST, "lib/x", "latest", 0, NULL, CRIOIMG_ERR_REGISTRY_MANIFEST_UNKNOWN, NULL, NULL, "404 (Not Found)", 0 } }, NULL },
    { "manifest by digest that does not match", "reg.io", 0, {
        { NULL, "https://reg.io/v2/", NULL, NULL, RG_VERIFY, NULL, 200, NULL, NULL, 0, CRIOIMG_OK, 0 },
        { NULL, "https://reg.io/v2/lib/x/manifests/" RG_ABC, NULL, NULL, RG_VERIFY, NULL, 200, NULL, "abd", 0, CRIOIMG_OK, 0 } },
      { { RG_MANIFEST, "lib/x", RG_ABC, 0, NULL, CRIOIMG_ERR_DIGEST_MISMATCH, NULL, NULL, "does not match its digest", 0 } }, NULL },
    { "manifest over 4 MiB", "reg.io", 0, {
        { NULL, "https://reg.io/v2/", NULL, NULL, RG_VERIFY, NULL, 200, NULL, NULL, 0, CRIOIMG_OK, 0 },
        { NULL, RG_MURL, NULL, NULL, RG_VERIFY, NULL, 200, NULL, NULL, ((size_t)4 << 20) + 1, CRIOIMG_OK, 0 } },
      { { RG_MANIFEST, "lib/x", "latest", 0, NULL, CRIOIMG_ERR_TOO_BIG, NULL, NULL, "exceeds 4 MiB", 0 } }, NULL },
    { "manifest of exactly 4 MiB", "reg.io", 0, {
        { NULL, "https://reg.io/v2/", NULL, NULL, RG_VERIFY, NULL, 200, NULL, NULL, 0, CRIOIMG_OK, 0 },
        { NULL, RG_MURL, NULL, NULL, RG_VERIFY, NULL, 200, NULL, NULL, (size_t)4 << 20, CRIOIMG_OK, 0 } },
      { { RG_MANIFEST, "lib/x", "latest", 0, NULL, CRIOIMG_OK, NULL, NULL, NULL, 0 } }, NULL },
    { "Docker-Content-Digest that does not match", "reg.io", 0, {
        { NULL, "https://reg.io/v2/", NULL, NULL, RG_VERIFY, NULL, 200, NULL, NULL, 0, CRIOIMG_OK, 0 },
        { NULL, RG_MURL, NULL, NULL, RG_VERIFY, NULL, 200, "Docker-Content-Digest: " RG_NIL "\n", "abc", 0, CRIOIMG_OK, 0 },
        { NULL, RG_MURL, NULL, NULL, RG_VERIFY, NULL, 200, "Docker-Content-Digest: sha256:../../etc\n", "abc", 0, CRIOIMG_OK, 0 } },
      { { RG_MANIFEST, "lib/x", "latest", 0, NULL, CRIOIMG_ERR_DIGEST_MISMATCH, NULL, NULL, "Docker-Content-Digest " RG_NIL, 0 },
        { RG_MANIFEST, "lib/x", "latest", 0, NULL, CRIOIMG_ERR_HTTP_PROTOCOL, NULL, NULL, "invalid Docker-Content-Digest", 0 } }, NULL },
    { "blob streamed and verified", "reg.io", 0, {
        { NULL, "https://reg.io/v2/", NULL, NULL, RG_VERIFY, NULL, 200, NULL, NULL, 0, CRIOIMG_OK, 0 },
        { NULL, RG_BURL, NULL, NULL, RG_VERIFY, NULL, 200, NULL, "hello world", 0, CRIOIMG_OK, 0 } },
      { { RG_BLOB, "lib/x", RG_HW, 11, NULL, CRIOIMG_OK, "hello world", NULL, NULL, 0 } }, NULL },
    { "blob with another digest", "reg.io", 0, {
        { NULL, "https://reg.io/v2/", NULL, NULL, RG_VERIFY, NULL, 200, NULL, NULL, 0, CRIOIMG_OK, 0 },
        { NULL, "https://reg.io/v2/lib/x/blobs/" RG_ABC, NULL, NULL, RG_VERIFY, NULL, 200, NULL, "abd", 0, CRIOIMG_OK, 0 } },
      { { RG_BLOB, "lib/x", RG_ABC, 3, NULL, CRIOIMG_ERR_DIGEST_MISMATCH, "abd", NULL, "does not match its digest", 0 } }, NULL },
    { "blob longer than its size: stopped at once", "reg.io", 0, {
        { NULL, "https://reg.io/v2/", NULL, NULL, RG_VERIFY, NULL, 200, NULL, NULL, 0, CRIOIMG_OK, 0 },
        { NULL, "https://reg.io/v2/lib/x/blobs/" RG_ABC, NULL, NULL, RG_VERIFY, NULL, 200, NULL, "abcdefgh", 0, CRIOIMG_OK, 0 } },
      { { RG_BLOB, "lib/x", RG_ABC, 3, NULL, CRIOIMG_ERR_SIZE_MISMATCH, "", NULL, "more bytes than the blob's size", 0 } }, NULL },
    { "blob shorter than its size", "reg.io", 0, {
        { NULL, "https://reg.io/v2/", NULL, NULL, RG_VERIFY, NULL, 200, NULL, NULL, 0, CRIOIMG_OK, 0 },
        { NULL, RG_BURL, NULL, NULL, RG_VERIFY, NULL, 200, NULL, "hello", 0, CRIOIMG_OK, 0 } },
      { { RG_BLOB, "lib/x", RG_HW, 11, NULL, CRIOIMG_ERR_SIZE_MISMATCH, "hello", NULL, "got 5 bytes, want 11", 0 } }, NULL },
    { "blob: the connection breaks after the last byte", "reg.io", 0, {
        { NULL, "https://reg.io/v2/", NULL, NULL, RG_VERIFY, NULL, 200, NULL, NULL, 0, CRIOIMG_OK, 0 },
        { NULL, RG_BURL, NULL, NULL, RG_VERIFY, NULL, 200, NULL, "hello world", 0, CRIOIMG_ERR_HTTP_CONNECT, 11 } },
      { { RG_BLOB, "lib/x", RG_HW, 11, NULL, CRIOIMG_OK, "hello world", NULL, NULL, 0 } }, NULL },
    { "empty blob", "reg.io", 0, {
        { NULL, "https://reg.io/v2/", NULL, NULL, RG_VERIFY, NULL, 200, NULL, NULL, 0, CRIOIMG_OK, 0 },
        { NULL, "https://reg.io/v2/lib/x/blobs/" RG_NIL, NULL, NULL, RG_VERIFY, NULL, 200, NULL, "", 0, CRIOIMG_OK, 0 } },
      { { RG_BLOB, "lib/x", RG_NIL, 0, NULL, CRIOIMG_OK, "", NULL, NULL, 0 } }, NULL },
    { "blob unknown", "reg.io", 0, {
        { NULL, "https://reg.io/v2/", NULL, NULL, RG_VERIFY, NULL, 200, NULL, NULL, 0, CRIOIMG_OK, 0 },
        { NULL, RG_BURL, NULL, NULL, RG_VERIFY, NULL, 404, NULL, "{\"errors\":[{\"code\":\"BLOB_UNKNOWN\",\"message\":\"blob unknown to registry\"}]}", 0, CRIOIMG_OK, 0 } },
      { { RG_BLOB, "lib/x", RG_HW, 11, NULL, CRIOIMG_ERR_REGISTRY_BLOB_UNKNOWN, "", NULL, "fetching blob " RG_HW " in reg.io/lib/x: blob unknown: blob unknown to registry", 0 } }, NULL },
    { "blob resumed with a correct 206", "reg.io", 0, {
        { NULL, "https://reg.io/v2/", NULL, NULL, RG_VERIFY, NULL, 200, NULL, NULL, 0, CRIOIMG_OK, 0 },
        { NULL, RG_BURL, NULL, NULL, RG_VERIFY, NULL, 200, NULL, "hello world", 0, CRIOIMG_ERR_HTTP_CONNECT, 4 },
        { NULL, RG_BURL, NULL, "bytes=4-", RG_VERIFY, NULL, 206, "Content-Range: bytes 4-10/11\n", "o world", 0, CRIOIMG_OK, 0 } },
      { { RG_BLOB, "lib/x", RG_HW, 11, NULL, CRIOIMG_OK, "hello world", NULL, NULL, 0 } }, "1000" },
    { "blob resume answered by 200: restart, the first bytes skipped", "reg.io", 0, {
        { NULL, "https://reg.io/v2/", NULL, NULL, RG_VERIFY, NULL, 200, NULL, NULL, 0, CRIOIMG_OK, 0 },
        { NULL, RG_BURL, NULL, NULL, RG_VERIFY, NULL, 200, NULL, "hello world", 0, CRIOIMG_ERR_HTTP_CONNECT, 6 },
        { NULL, RG_BURL, NULL, "bytes=6-", RG_VERIFY, NULL, 200, NULL, "hello world", 0, CRIOIMG_ERR_HTTP_CONNECT, 3 },
        { NULL, RG_BURL, NULL, "bytes=6-", RG_VERIFY, NULL, 200, NULL, "hello world", 0, CRIOIMG_OK, 0 } },
      { { RG_BLOB, "lib/x", RG_HW, 11, NULL, CRIOIMG_OK, "hello world", NULL, NULL, 0 } }, "1000,2000" },
    { "blob restart with other first bytes: refused", "reg.io", 0, {
        { NULL, "https://reg.io/v2/", NULL, NULL, RG_VERIFY, NULL, 200, NULL, NULL, 0, CRIOIMG_OK, 0 },
        { NULL, RG_BURL, NULL, NULL, RG_VERIFY, NULL, 200, NULL, "hello world", 0, CRIOIMG_ERR_HTTP_CONNECT, 6 },
        { NULL, RG_BURL, NULL, "bytes=6-", RG_VERIFY, NULL, 200, NULL, "HELLO world", 0, CRIOIMG_OK, 0 } },
      { { RG_BLOB, "lib/x", RG_HW, 11, NULL, CRIOIMG_ERR_DIGEST_MISMATCH, "hello ", NULL, "differ", 0 } }, "1000" },
    { "blob resume answered by a wrong 206: started again", "reg.io", 0, {
        { NULL, "https://reg.io/v2/", NULL, NULL, RG_VERIFY, NULL, 200, NULL, NULL, 0, CRIOIMG_OK, 0 },
        { NULL, RG_BURL, NULL, NULL, RG_VERIFY, NULL, 200, NULL, "hello world", 0, CRIOIMG_ERR_HTTP_CONNECT, 4 },
        { NULL, RG_BURL, NULL, "bytes=4-", RG_VERIFY, NULL, 206, "Content-Range: bytes 3-10/11\n", "lo world", 0, CRIOIMG_OK, 0 },
        { NULL, RG_BURL, NULL, NULL, RG_VERIFY, NULL, 200, NULL, "hello world", 0, CRIOIMG_OK, 0 } },
      { { RG_BLOB, "lib/x", RG_HW, 11, NULL, CRIOIMG_OK, "hello world", NULL, NULL, 0 } }, "1000,2000" },
    { "blob resume: 206 without Content-Range", "reg.io", 0, {
        { NULL, "https://reg.io/v2/", NULL, NULL, RG_VERIFY, NULL, 200, NULL, NULL, 0, CRIOIMG_OK, 0 },
        { NULL, RG_BURL, NULL, NULL, RG_VERIFY, NULL, 200, NULL, "hello world", 0, CRIOIMG_ERR_HTTP_CONNECT, 4 },
        { NULL, RG_BURL, NULL, "bytes=4-", RG_VERIFY, NULL, 206, NULL, "o world", 0, CRIOIMG_OK, 0 },
        { NULL, RG_BURL, NULL, NULL, RG_VERIFY, NULL, 200, NULL, "hello world", 0, CRIOIMG_ERR_HTTP_CONNECT, 2 },
        { NULL, RG_BURL, NULL, NULL, RG_VERIFY, NULL, 200, NULL, "hello world", 0, CRIOIMG_ERR_HTTP_CONNECT, 4 } },
      { { RG_BLOB, "lib/x", RG_HW, 11, NULL, CRIOIMG_ERR_HTTP_CONNECT, "hell"  /* retries (3) spent without progress */, NULL, NULL, 0 } }, "1000,2000,4000" },
    { "blob resume: a few bytes a try earn no fresh budget (1 MiB or a minute of progress would)", "reg.io", 0, {
        { NULL, "https://reg.io/v2/", NULL, NULL, RG_VERIFY, NULL, 200, NULL, NULL, 0, CRIOIMG_OK, 0 },
        { NULL, RG_BURL, NULL, NULL, RG_VERIFY, NULL, 200, NULL, "hello world", 0, CRIOIMG_ERR_HTTP_CONNECT, 2 },
        { NULL, RG_BURL, NULL, "bytes=2-", RG_VERIFY, NULL, 206, "Content-Range: bytes 2-10/11\n", "llo world", 0, CRIOIMG_ERR_HTTP_CONNECT, 2 },
        { NULL, RG_BURL, NULL, "bytes=4-", RG_VERIFY, NULL, 206, "Content-Range: bytes 4-10/11\n", "o world", 0, CRIOIMG_ERR_HTTP_CONNECT, 2 },
        { NULL, RG_BURL, NULL, "bytes=6-", RG_VERIFY, NULL, 206, "Content-Range: bytes 6-10/11\n", "world", 0, CRIOIMG_ERR_HTTP_CONNECT, 2 } },
      { { RG_BLOB, "lib/x", RG_HW, 11, NULL, CRIOIMG_ERR_HTTP_CONNECT, "hello wo", NULL, NULL, 0 } }, "1000,2000,4000" },
    { "foreign URL fetched without credentials", "reg.io", RG_CREDS, {
        { NULL, "https://foreign.io/layer", NULL, NULL, RG_VERIFY, NULL, 200, NULL, "hello world", 0, CRIOIMG_OK, 0 } },
      { { RG_BLOB, "lib/x", RG_HW, 11, "https://foreign.io/layer", CRIOIMG_OK, "hello world", NULL, NULL, 0 } }, NULL },
    { "foreign URL fails: the registry serves it, with credentials", "reg.io", RG_CREDS, {
        { NULL, "https://foreign.io/layer", NULL, NULL, RG_VERIFY, NULL, 404, NULL, NULL, 0, CRIOIMG_OK, 0 },
        { NULL, "https://reg.io/v2/", NULL, NULL, RG_VERIFY, NULL, 401, "WWW-Authenticate: Basic realm=\"reg\"\n", NULL, 0, CRIOIMG_OK, 0 },
        { NULL, RG_BURL, RG_BASIC, NULL, RG_VERIFY, NULL, 200, NULL, "hello world", 0, CRIOIMG_OK, 0 } },
      { { RG_BLOB, "lib/x", RG_HW, 11, "https://foreign.io/layer", CRIOIMG_OK, "hello world", NULL, NULL, 0 } }, NULL },
    { "docker.io is served at registry-1.docker.io", "docker.io", 0, {
        { NULL, "https://registry-1.docker.io/v2/", NULL, NULL, RG_VERIFY, NULL, 200, NULL, NULL, 0, CRIOIMG_OK, 0 },
        { NULL, "https://registry-1.docker.io/v2/library/busybox/manifests/latest", NULL, NULL, RG_VERIFY, NULL, 404, NULL, NULL, 0, CRIOIMG_OK, 0 } },
      { { RG_MANIFEST, "library/busybox", "latest", 0, NULL, CRIOIMG_ERR_REGISTRY_MANIFEST_UNKNOWN, NULL, NULL, "in docker.io/library/busybox:", 0 } }, NULL },
    { "an IPv6 registry with a port", "[::1]:5000", 0, {
        { NULL, "https://[::1]:5000/v2/", NULL, NULL, RG_VERIFY, NULL, 200, NULL, NULL, 0, CRIOIMG_OK, 0 },
        { NULL, "https://[::1]:5000/v2/a/manifests/v1.0", NULL, NULL, RG_VERIFY, NULL, 200, NULL, "abc", 0, CRIOIMG_OK, 0 } },
      { { RG_MANIFEST, "a", "v1.0", 0, NULL, CRIOIMG_OK, "abc", NULL, NULL, 0 } }, NULL },
    { "repository and reference injection refused before any request", "reg.io", 0, { { NULL, NULL, NULL, NULL, 0, NULL, 0, NULL, NULL, 0, CRIOIMG_OK, 0 } },
      { { RG_MANIFEST, "../x", "latest", 0, NULL, CRIOIMG_ERR_REF_FORMAT, NULL, NULL, NULL, 0 },
        { RG_MANIFEST, "lib/x?y=1", "latest", 0, NULL, CRIOIMG_ERR_REF_FORMAT, NULL, NULL, NULL, 0 },
        { RG_MANIFEST, "lib%2fx", "latest", 0, NULL, CRIOIMG_ERR_REF_FORMAT, NULL, NULL, NULL, 0 },
        { RG_MANIFEST, "lib/x", "../../v2/y", 0, NULL, CRIOIMG_ERR_REF_TAG_FORMAT, NULL, NULL, NULL, 0 } }, NULL },
    { "more injection attempts", "reg.io", 0, { { NULL, NULL, NULL, NULL, 0, NULL, 0, NULL, NULL, 0, CRIOIMG_OK, 0 } },
      { { RG_MANIFEST, "lib/x", "latest?x", 0, NULL, CRIOIMG_ERR_REF_TAG_FORMAT, NULL, NULL, NULL, 0 },
        { RG_HEAD, "lib/x", "sha256:../../../etc/passwd", 0, NULL, CRIOIMG_ERR_REF_DIGEST_FORMAT, NULL, NULL, NULL, 0 },
        { RG_BLOB, "lib/x", "sha256:%2e%2e", 1, NULL, CRIOIMG_ERR_DIGEST_FORMAT, "", NULL, NULL, 0 },
        { RG_BLOB, "lib/../x", RG_HW, 11, "https://foreign.io/layer", CRIOIMG_ERR_REF_FORMAT, "", NULL, NULL, 0 } }, NULL },
    { "cancelled before the call", "reg.io", RG_CANCEL, { { NULL, NULL, NULL, NULL, 0, NULL, 0, NULL, NULL, 0, CRIOIMG_OK, 0 } },
      { { RG_MANIFEST, "lib/x", "latest", 0, NULL, CRIOIMG_ERR_CANCELLED, NULL, NULL, "cancelled", 0 } }, NULL },
    { "cancelled while backing off", "reg.io", RG_CANCEL_ON_SLEEP, {
        { NULL, "https://reg.io/v2/", NULL, NULL, RG_VERIFY, NULL, 200, NULL, NULL, 0, CRIOIMG_OK, 0 },
        { NULL, RG_MURL, NULL, NULL, RG_VERIFY, NULL, 503, NULL, NULL, 0, CRIOIMG_OK, 0 } },
      { { RG_MANIFEST, "lib/x", "latest", 0, NULL, CRIOIMG_ERR_CANCELLED, NULL, NULL, NULL, 0 } }, "1000" },
};

/* What the client logs (crioimg_registry_opts.log) for some of the rows above: a line each, its level's
   letter first (E W I D), times in ms as T; URLs without their query. */
static const struct { const char *row, *log; } rg_logs[] = {
    { "redirect to another host drops Authorization",
      "D GET https://reg.io/v2/: 401 (T ms)\n"
      "D GET " RG_BURL ": 307 (T ms)\n"
      "D GET " RG_BURL " redirected (307) to https://cdn.io/blob?... (no credentials sent there)\n"
      "D GET https://cdn.io/blob?...: 200 (T ms)\n" },
    { "503 retries exhausted",
      "D GET https://reg.io/v2/: 200 (T ms)\n"
      "D GET " RG_MURL ": 503 (T ms)\n"
      "W retrying GET " RG_MURL " in 1000 ms (try 2 of 4): the registry answered 503\n"
      "D GET " RG_MURL ": 503 (T ms)\n"
      "W retrying GET " RG_MURL " in 2000 ms (try 3 of 4): the registry answered 503\n"
      "D GET " RG_MURL ": 502 (T ms)\n"
      "W retrying GET " RG_MURL " in 4000 ms (try 4 of 4): the registry answered 502\n"
      "D GET " RG_MURL ": 503 (T ms)\n" },
    { "503 retries with the built-in sleep",
      "D GET https://reg.io/v2/: 200 (T ms)\n"
      "D GET " RG_MURL ": 503 (T ms)\n"
      "I retrying GET " RG_MURL " in 0 ms (try 2 of 3): the registry answered 503 with Retry-After\n"
      "D GET " RG_MURL ": 504 (T ms)\n"
      "I retrying GET " RG_MURL " in 10 ms (try 3 of 3): the registry answered 504\n"
      "D GET " RG_MURL ": 200 (T ms)\n" },
};
static char rg_log_got[4096];

/* The log's lines, with the request times (which vary) as T */
static void rg_log(void *user, crioimg_log_level level, const char *msg)
{
    size_t n = strlen(rg_log_got);
    const char *start = msg;
    (void)user;
    if (n + strlen(msg) + 4 >= sizeof rg_log_got) return;
    rg_log_got[n++] = "EWID"[level];
    rg_log_got[n++] = ' ';
    while (*msg) {
        const char *d = msg;
        while (*d >= '0' && *d <= '9') d++;
        if (d > msg && strncmp(d, " ms)", 4) == 0 && msg > start &&
            (msg[-1] == '(' || (msg - start >= 7 && strncmp(msg - 7, " after ", 7) == 0))) {
            rg_log_got[n++] = 'T';
            msg = d;
            continue;
        }
        rg_log_got[n++] = *msg++;
    }
    rg_log_got[n++] = '\n';
    rg_log_got[n] = '\0';
}

static void test_registry_row(const rg_row *row)
{
    const char *want_log = NULL;
    crioimg_http_vtable vt;
    crioimg_http *h = NULL;
    crioimg_registry *r = NULL;
    crioimg_registry_opts o;
    size_t a;
    memset(&rg_f, 0, sizeof rg_f);
    rg_f.steps = row->steps;
    rg_f.domain = row->domain;
    while (rg_f.n < sizeof row->steps / sizeof row->steps[0] && row->steps[rg_f.n].url) rg_f.n++;
    rg_f.now = 1000000000;
    rg_f.cancel = (row->flags & RG_CANCEL) != 0;
    rg_f.cancel_on_sleep = (row->flags & RG_CANCEL_ON_SLEEP) != 0;
    memset(&vt, 0, sizeof vt);
    vt.version = CRIOIMG_HTTP_VTABLE_VERSION;
    vt.user = &rg_f;
    vt.request = rg_fake_request;
    memset(&o, 0, sizeof o);
    o.http = NULL;
    o.no_auth_files = !(row->flags & RG_IDTOKEN);
    if (row->flags & RG_IDTOKEN) o.authfile = rg_authfile();
    if (row->flags & RG_CREDS) { o.username = "u"; o.password = "p"; }
    o.insecure = (row->flags & RG_INSECURE) != 0;
    if (row->flags & RG_TLS_TRUE) o.tls_verify = CRIOIMG_TLS_VERIFY_TRUE;
    o.sleep_ms = (row->flags & RG_REAL_SLEEP) ? NULL : rg_sleep;
    if (row->flags & RG_REAL_SLEEP) { o.retry_delay_ms = 5; o.retries = 2; }
    o.now = rg_now;
    o.clock_user = &rg_f;
    o.cancel = &rg_f.cancel;
    for (a = 0; a < sizeof rg_logs / sizeof rg_logs[0]; a++) if (strcmp(rg_logs[a].row, row->name) == 0) want_log = rg_logs[a].log;
    rg_log_got[0] = '\0';
    if (want_log) o.log = rg_log;
    tests_context = row->name;
    if (!CHECK(crioimg_http_open(&h, &vt, NULL) == CRIOIMG_OK)) return;
    o.http = h;
    if (!CHECK(crioimg_registry_open(&r, row->domain, &o, NULL, 0) == CRIOIMG_OK)) { crioimg_http_close(h); return; }
    for (a = 0; a < sizeof row->actions / sizeof row->actions[0] && row->actions[a].kind; a++) {
        const rg_action *ac = &row->actions[a];
        crioimg_result res = CRIOIMG_OK;
        char dig[CRIOIMG_DIGEST_STRING_MAX + 1], media[256];
        rg_f.now += ac->advance;
        if (ac->kind == RG_PING) {
            res = crioimg_registry_ping(r);
        } else if (ac->kind == RG_MANIFEST) {
            crioimg_registry_manifest m;
            res = crioimg_registry_get_manifest(r, ac->repo, ac->ref, &m);
            if (res == CRIOIMG_OK) {
                if (ac->want_data) CHECK_STR(m.data, ac->want_data);
                if (ac->want_media) CHECK_STR(m.media_type, ac->want_media);
                CHECK(m.data != NULL && m.data[m.len] == '\0' && strncmp(m.digest, "sha256:", 7) == 0);
                if (strchr(ac->ref, ':')) CHECK_STR(m.digest, ac->ref);
            } else {
                CHECK(m.data == NULL && m.len == 0);
            }
            crioimg_registry_manifest_free(r, &m);
        } else if (ac->kind == RG_HEAD) {
            long long size = 0;
            res = crioimg_registry_head_manifest(r, ac->repo, ac->ref, dig, media, sizeof media, &size);
            if (res == CRIOIMG_OK) {
                CHECK_STR(dig, ac->want_data);
                CHECK_STR(media, ac->want_media);
                CHECK(size == 3);
            }
        } else {
            crioimg_descriptor d;
            rg_sinkbuf got;
            const char *urls[1];
            memset(&d, 0, sizeof d);
            memset(&got, 0, sizeof got);
            d.digest = ac->ref;
            d.size = ac->size;
            urls[0] = ac->url;
            if (ac->url) { d.urls = urls; d.nurls = 1; }
            res = crioimg_registry_get_blob(r, ac->repo, &d, rg_consume, &got);
            CHECK(!got.over);
            if (ac->want_data) CHECK_STR(got.data, ac->want_data);   /* each byte once, in order */
        }
        if (!CHECK(res == ac->want)) fprintf(stderr, "  got %s: %s\n", crioimg_result_name(res), crioimg_registry_error(r));
        if (ac->want_err && !CHECK(strstr(crioimg_registry_error(r), ac->want_err) != NULL))
            fprintf(stderr, "  error \"%s\" lacks \"%s\"\n", crioimg_registry_error(r), ac->want_err);
        if (ac->want != CRIOIMG_OK) CHECK(crioimg_registry_error(r)[0] != '\0');
        else CHECK_STR(crioimg_registry_error(r), "");   /* no stale detail after a success */
    }
    if (!CHECK(rg_f.bad[0] == '\0' && rg_f.i == rg_f.n))
        fprintf(stderr, "  script: %s; %u of %u steps taken\n", rg_f.bad, (unsigned)rg_f.i, (unsigned)rg_f.n);
    CHECK_STR(rg_f.sleeps, row->want_sleeps ? row->want_sleeps : "");
    if (want_log) CHECK_STR(rg_log_got, want_log);
    crioimg_registry_close(r);
    crioimg_http_close(h);
}

/* open: domains, options, the transport */
static void test_registry_open(void)
{
    static const struct { const char *domain; crioimg_result want; } rows[] = {
        { "quay.io", CRIOIMG_OK }, { "docker.io", CRIOIMG_OK }, { "localhost:5000", CRIOIMG_OK }, { "[::1]:5000", CRIOIMG_OK },
        { "127.0.0.1", CRIOIMG_OK }, { "", CRIOIMG_ERR_REGISTRY_INVALID }, { "quay.io/x", CRIOIMG_ERR_REGISTRY_INVALID },
        { "a b", CRIOIMG_ERR_REGISTRY_INVALID }, { "host:port", CRIOIMG_ERR_REGISTRY_INVALID }, { "evil.io?x", CRIOIMG_ERR_REGISTRY_INVALID },
        { "u@evil.io", CRIOIMG_ERR_REGISTRY_INVALID }, { "[::1", CRIOIMG_ERR_REGISTRY_INVALID },
    };
    crioimg_http_vtable vt;
    crioimg_http *h;
    crioimg_registry_opts o;
    crioimg_registry *r;
    size_t i;
    char err[512];
    memset(&vt, 0, sizeof vt);
    vt.version = CRIOIMG_HTTP_VTABLE_VERSION;
    vt.user = &rg_f;
    vt.request = rg_fake_request;
    if (!CHECK(crioimg_http_open(&h, &vt, NULL) == CRIOIMG_OK)) return;
    memset(&o, 0, sizeof o);
    o.http = h;
    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        tests_context = rows[i].domain;
        r = NULL;
        strcpy(err, "stale");
        CHECK(crioimg_registry_open(&r, rows[i].domain, &o, err, sizeof err) == rows[i].want);
        CHECK((r != NULL) == (rows[i].want == CRIOIMG_OK));
        /* the constructor's rule: a failure hands its text back, never empty; success leaves "" */
        if (rows[i].want == CRIOIMG_ERR_REGISTRY_INVALID) CHECK(strncmp(err, "invalid registry domain \"", 25) == 0);
        else CHECK_STR(err, "");
        if (r) CHECK_STR(crioimg_registry_error(r), "");
        crioimg_registry_close(r);
    }
    tests_context = "the default transport";
    o.http = NULL;
    r = NULL;
#if defined(CRIOIMG_WITH_CURL) || defined(CRIOIMG_WITH_MBEDTLS)
    CHECK(crioimg_registry_open(&r, "quay.io", &o, NULL, 0) == CRIOIMG_OK && r != NULL);   /* a built-in one, owned */
    crioimg_registry_close(r);
#else
    CHECK(crioimg_registry_open(&r, "quay.io", &o, NULL, 0) == CRIOIMG_ERR_HTTP_NO_TRANSPORT && r == NULL);
#endif
    CHECK(crioimg_registry_open(NULL, "quay.io", &o, err, sizeof err) == CRIOIMG_ERR_INVALID_ARGS);
    CHECK_STR(err, crioimg_result_str(CRIOIMG_ERR_INVALID_ARGS));
    CHECK(crioimg_registry_open(NULL, "quay.io", &o, err, 1) == CRIOIMG_ERR_INVALID_ARGS && err[0] == '\0');  /* truncated, never overflowed */
    /* a cert_dir that cannot be read: the TLS files' detail, not only the code */
    o.http = h;
    o.cert_dir = "tests/test_registry.c";
    r = NULL;
    if (CHECK(crioimg_registry_open(&r, "quay.io", &o, err, sizeof err) != CRIOIMG_OK && r == NULL))
        CHECK(strstr(err, "tests/test_registry.c") != NULL);
    else
        crioimg_registry_close(r);
    o.cert_dir = NULL;
    CHECK_STR(crioimg_registry_error(NULL), "");
    crioimg_http_close(h);
}

/* the token and error-body parsers, one row a body */
static void test_registry_parsers(void)
{
    static const struct { const char *body; crioimg_result want; const char *token; long long expires; } tokens[] = {
        { "{\"token\":\"t\",\"expires_in\":300}", CRIOIMG_OK, "t", 1000000300 },
        { "{\"token\":\"t\"}", CRIOIMG_OK, "t", 1000000060 },
        { "{\"token\":\"t\",\"expires_in\":-5}", CRIOIMG_OK, "t", 1000000060 },
        { "{\"access_token\":\"a\",\"expires_in\":61}", CRIOIMG_OK, "a", 1000000061 },
        { "{\"token\":\"\",\"access_token\":\"a\"}", CRIOIMG_OK, "a", 1000000060 },
        { "{\"TOKEN\":\"t\"}", CRIOIMG_OK, "t", 1000000060 },                                    /* Go folds names */
        { "{\"token\":\"t\",\"issued_at\":\"2020-01-01T00:00:00Z\",\"expires_in\":100}", CRIOIMG_OK, "t", 1577836900 },
        { "{\"token\":\"t\",\"issued_at\":\"2020-01-01T01:00:00.123+01:00\"}", CRIOIMG_OK, "t", 1577836860 },
        { "{\"token\":\"t\",\"issued_at\":null,\"expires_in\":null}", CRIOIMG_OK, "t", 1000000060 },
        { "{\"token\":\"t\",\"token\":\"u\"}", CRIOIMG_OK, "u", 1000000060 },                    /* the last, as Go */
        { "{\"token\":5}", CRIOIMG_ERR_AUTH_TOKEN, NULL, 0 },
        { "{\"token\":\"t\",\"expires_in\":\"300\"}", CRIOIMG_ERR_AUTH_TOKEN, NULL, 0 },
        { "{\"token\":\"t\",\"expires_in\":1.5}", CRIOIMG_ERR_AUTH_TOKEN, NULL, 0 },
        { "{\"token\":\"t\",\"issued_at\":\"yesterday\"}", CRIOIMG_ERR_AUTH_TOKEN, NULL, 0 },
        { "{\"token\":\"t\\r\\nX-Evil: 1\"}", CRIOIMG_ERR_AUTH_TOKEN, NULL, 0 },                 /* header injection */
        { "{}", CRIOIMG_ERR_AUTH_TOKEN, NULL, 0 },
        { "[\"token\"]", CRIOIMG_ERR_AUTH_TOKEN, NULL, 0 },
        { "", CRIOIMG_ERR_AUTH_TOKEN, NULL, 0 },
        { "{\"token\":\"t\"", CRIOIMG_ERR_AUTH_TOKEN, NULL, 0 },
    };
    static const struct { int status; const char *body; crioimg_result want; const char *msg; } errors[] = {
        { 404, "{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\",\"message\":\"manifest unknown\"}]}", CRIOIMG_ERR_REGISTRY_MANIFEST_UNKNOWN, "manifest unknown: manifest unknown" },
        { 404, "{\"errors\":[{\"code\":\"NAME_UNKNOWN\",\"message\":\"repository name not known to registry\"}]}", CRIOIMG_ERR_REGISTRY_MANIFEST_UNKNOWN, "name unknown: repository name not known to registry" },
        { 404, "{\"errors\":[{\"code\":\"BLOB_UNKNOWN\",\"message\":\"x\"}]}", CRIOIMG_ERR_REGISTRY_BLOB_UNKNOWN, "blob unknown: x" },
        { 403, "{\"errors\":[{\"code\":\"DENIED\",\"message\":\"no\"},{\"code\":\"UNAUTHORIZED\",\"message\":\"who\"}]}", CRIOIMG_ERR_REGISTRY_DENIED, "denied: no; unauthorized: who" },
        { 401, "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"authentication required\"}]}", CRIOIMG_ERR_AUTH_REQUIRED, "unauthorized: authentication required" },
        { 429, "{\"errors\":[{\"code\":\"TOOMANYREQUESTS\",\"message\":\"slow\"}]}", CRIOIMG_ERR_REGISTRY_TOO_MANY_REQUESTS, "toomanyrequests: slow" },
        { 401, "{\"details\":\"incorrect username or password\"}", CRIOIMG_ERR_AUTH_REQUIRED, "unauthorized: incorrect username or password" },
        { 500, "{\"details\":\"boom\"}", CRIOIMG_OK, "unknown: boom" },
        { 401, "{\"details\":\"a\\r\\nb\"}", CRIOIMG_ERR_AUTH_REQUIRED, "unauthorized: a??b" },   /* one line (fuzz finding) */
        { 400, "{\"errors\":[{\"code\":\"SIZE_INVALID\",\"message\":\"m\\nx\"}]}", CRIOIMG_OK, "size invalid: m?x" },
        { 404, "{\"errors\":[]}", CRIOIMG_OK, "" },
        { 404, "404 page not found", CRIOIMG_OK, "" },
        { 404, "", CRIOIMG_OK, "" },
        { 404, "{\"errors\":[1,\"x\",{}]}", CRIOIMG_OK, "unknown: " },
    };
    size_t i;
    for (i = 0; i < sizeof tokens / sizeof tokens[0]; i++) {
        char *tok = NULL, err[200];
        long long exp = 0;
        crioimg_result res = crioimg__rg_token_parse(tokens[i].body, strlen(tokens[i].body), 1000000000, NULL, &tok, &exp, err, sizeof err);
        tests_context = tokens[i].body;
        CHECK(res == tokens[i].want);
        if (res == CRIOIMG_OK) { CHECK_STR(tok, tokens[i].token); CHECK(exp == tokens[i].expires); }
        else CHECK(tok == NULL && err[0] != '\0');
        crioimg_free(NULL, tok);
    }
    for (i = 0; i < sizeof errors / sizeof errors[0]; i++) {
        char msg[256];
        tests_context = errors[i].body;
        CHECK(crioimg__rg_error_parse(errors[i].body, strlen(errors[i].body), errors[i].status, msg, sizeof msg) == errors[i].want);
        CHECK_STR(msg, errors[i].msg);
    }
}

static void test_registry_oom(void);

static void test_registry(void)
{
    size_t i;
    test_registry_open();
    test_registry_oom();
    test_registry_parsers();
    for (i = 0; i < sizeof rg_rows / sizeof rg_rows[0]; i++) test_registry_row(&rg_rows[i]);
    if (rg_authfile()) remove(rg_authfile());
    tests_context = "";
}

/* ---- out of memory: every allocation of a whole conversation fails in turn ---- */

static long rg_oom_left;   /* allocations until the next one fails; < 0: never */
static void *rg_oom_alloc(size_t n, void *u) { (void)u; if (rg_oom_left == 0) return NULL; if (rg_oom_left > 0) rg_oom_left--; return malloc(n); }
static void *rg_oom_realloc(void *p, size_t n, void *u) { (void)u; if (rg_oom_left == 0) return NULL; if (rg_oom_left > 0) rg_oom_left--; return realloc(p, n); }
static void rg_oom_free(void *p, void *u) { (void)u; free(p); }

/* answers by URL, in any order: a conversation cut short by a failed allocation leaves the script */
static crioimg_result rg_oom_request(void *user, const crioimg_http_request *rq, char *err, size_t errcap)
{
    rg_fake *f = (rg_fake *)user;
    size_t i;
    for (i = 0; i < f->n; i++)
        if (strcmp(f->steps[i].url, rq->url) == 0) {
            f->i = i;
            return rg_fake_request(user, rq, err, errcap);
        }
    snprintf(err, errcap, "no step for %s", rq->url);
    return CRIOIMG_ERR_HTTP_CONNECT;
}

static void test_registry_oom(void)
{
    static const rg_step steps[] = {
        { NULL, "https://reg.io/v2/", NULL, NULL, RG_VERIFY, NULL, 401, RG_CH_BEARER, NULL, 0, CRIOIMG_OK, 0 },
        { NULL, RG_TOKEN_URL_U, RG_BASIC, NULL, RG_VERIFY, NULL, 200, NULL, "{\"token\":\"T1\",\"expires_in\":300}", 0, CRIOIMG_OK, 0 },
        { NULL, RG_MURL, "Bearer T1", NULL, RG_VERIFY, NULL, 200, "Content-Type: " RG_OCI "\n", "abc", 0, CRIOIMG_OK, 0 },
        { NULL, RG_BURL, "Bearer T1", NULL, RG_VERIFY, NULL, 200, NULL, "hello world", 0, CRIOIMG_OK, 0 },
    };
    long n;
    int done = 0, bad = 0;
    for (n = 0; n < 2000 && !done; n++) {
        crioimg_http_vtable vt;
        crioimg_http *h = NULL;
        crioimg_registry *r = NULL;
        crioimg_registry_opts o;
        crioimg_registry_manifest m;
        crioimg_descriptor d;
        rg_sinkbuf got;
        crioimg_result a = CRIOIMG_ERR_NOMEM, b = CRIOIMG_ERR_NOMEM, res;
        memset(&rg_f, 0, sizeof rg_f);
        rg_f.steps = steps;
        rg_f.n = sizeof steps / sizeof steps[0];
        rg_f.now = 1000000000;
        memset(&vt, 0, sizeof vt);
        vt.version = CRIOIMG_HTTP_VTABLE_VERSION;
        vt.user = &rg_f;
        vt.request = rg_oom_request;
        memset(&o, 0, sizeof o);
        o.alloc.alloc = rg_oom_alloc; o.alloc.realloc = rg_oom_realloc; o.alloc.free = rg_oom_free;
        o.username = "u"; o.password = "p"; o.no_auth_files = 1;
        o.sleep_ms = rg_sleep; o.now = rg_now; o.clock_user = &rg_f; o.cancel = &rg_f.cancel;
        o.retries = -1;
        rg_oom_left = n;
        if (crioimg_http_open(&h, &vt, NULL) != CRIOIMG_OK) { bad++; break; }
        o.http = h;
        res = crioimg_registry_open(&r, "reg.io", &o, NULL, 0);
        if (res == CRIOIMG_OK) {
            a = crioimg_registry_get_manifest(r, "lib/x", "latest", &m);
            if (a == CRIOIMG_OK && (m.len != 3 || strcmp(m.data, "abc") != 0)) bad++;
            crioimg_registry_manifest_free(r, &m);
            memset(&d, 0, sizeof d);
            memset(&got, 0, sizeof got);
            d.digest = RG_HW;
            d.size = 11;
            b = crioimg_registry_get_blob(r, "lib/x", &d, rg_consume, &got);
            if (b == CRIOIMG_OK && strcmp(got.data, "hello world") != 0) bad++;
        } else if (res != CRIOIMG_ERR_NOMEM) {
            bad++;
        }
        if ((a != CRIOIMG_OK && a != CRIOIMG_ERR_NOMEM) || (b != CRIOIMG_OK && b != CRIOIMG_ERR_NOMEM)) {
            bad++;
            fprintf(stderr, "oom at %ld: %s / %s: %s\n", n, crioimg_result_name(a), crioimg_result_name(b), crioimg_registry_error(r));
        }
        done = a == CRIOIMG_OK && b == CRIOIMG_OK && rg_oom_left > 0;
        crioimg_registry_close(r);
        crioimg_http_close(h);
    }
    tests_context = "allocation failures";
    CHECK(done);
    CHECK(bad == 0);
    CHECK(n > 10);   /* the conversation does allocate: every one of those failures was met */
}
