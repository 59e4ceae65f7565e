/* URLs, redirects, realms, Retry-After and Content-Range: one row a case. */

static void test_url_parse(void)
{
    static const struct { const char *in; crioimg_result r; int https; const char *host; unsigned port; const char *path; int userinfo; } rows[] = {
        { "https://registry-1.docker.io/v2/", CRIOIMG_OK, 1, "registry-1.docker.io", 443, "/v2/", 0 },
        { "http://127.0.0.1:5000/v2/x/manifests/y?a=b#frag", CRIOIMG_OK, 0, "127.0.0.1", 5000, "/v2/x/manifests/y?a=b", 0 },
        { "HTTPS://Host.Example:8443", CRIOIMG_OK, 1, "Host.Example", 8443, "", 0 },
        { "https://[::1]:5000/token", CRIOIMG_OK, 1, "[::1]", 5000, "/token", 0 },
        { "https://user:pw@auth.example/token", CRIOIMG_OK, 1, "auth.example", 443, "/token", 1 },
        { "https://a@b@evil.example/", CRIOIMG_OK, 1, "evil.example", 443, "/", 1 },   /* the last '@' ends userinfo */
        { "https://h?x", CRIOIMG_OK, 1, "h", 443, "?x", 0 },
        { "ftp://h/x", CRIOIMG_ERR_UNSUPPORTED, 0, NULL, 0, NULL, 0 },
        { "file:///etc/passwd", CRIOIMG_ERR_UNSUPPORTED, 0, NULL, 0, NULL, 0 },
        { "https:/h/x", CRIOIMG_ERR_INVALID_ARGS, 0, NULL, 0, NULL, 0 },
        { "https://", CRIOIMG_ERR_INVALID_ARGS, 0, NULL, 0, NULL, 0 },
        { "https://h:", CRIOIMG_ERR_INVALID_ARGS, 0, NULL, 0, NULL, 0 },
        { "https://h:0/", CRIOIMG_ERR_INVALID_ARGS, 0, NULL, 0, NULL, 0 },
        { "https://h:65536/", CRIOIMG_ERR_INVALID_ARGS, 0, NULL, 0, NULL, 0 },
        { "https://h:12a/", CRIOIMG_ERR_INVALID_ARGS, 0, NULL, 0, NULL, 0 },
        { "https://h x/", CRIOIMG_ERR_INVALID_ARGS, 0, NULL, 0, NULL, 0 },
        { "https://[fe80::1%25eth0]/", CRIOIMG_ERR_INVALID_ARGS, 0, NULL, 0, NULL, 0 },
        { "https://[]/", CRIOIMG_ERR_INVALID_ARGS, 0, NULL, 0, NULL, 0 },
        { "https://h\r\nX-Evil: 1/", CRIOIMG_ERR_INVALID_ARGS, 0, NULL, 0, NULL, 0 },
        { "//h/x", CRIOIMG_ERR_INVALID_ARGS, 0, NULL, 0, NULL, 0 },
    };
    size_t i;
    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        crioimg_url u;
        crioimg_result r = crioimg_url_parse(&u, rows[i].in, strlen(rows[i].in));
        tests_context = rows[i].in;
        CHECK(r == rows[i].r);
        if (r == CRIOIMG_OK) {
            CHECK(u.https == rows[i].https && u.port == rows[i].port && u.has_userinfo == rows[i].userinfo);
            CHECK(u.host.len == strlen(rows[i].host) && memcmp(u.host.ptr, rows[i].host, u.host.len) == 0);
            CHECK(u.path.len == strlen(rows[i].path) && memcmp(u.path.ptr, rows[i].path, u.path.len) == 0);
        }
    }
}

/* RFC 3986 section 5.4's examples (base "http://a/b/c/d;p?q"), fragments dropped: they are never sent */
static void test_url_resolve(void)
{
    static const struct { const char *ref, *want; } rows[] = {
        { "g", "http://a/b/c/g" }, { "./g", "http://a/b/c/g" }, { "g/", "http://a/b/c/g/" }, { "/g", "http://a/g" },
        { "//g", "http://g" }, { "?y", "http://a/b/c/d;p?y" }, { "g?y", "http://a/b/c/g?y" }, { "#s", "http://a/b/c/d;p?q" },
        { "g#s", "http://a/b/c/g" }, { "g?y#s", "http://a/b/c/g?y" }, { ";x", "http://a/b/c/;x" }, { "g;x", "http://a/b/c/g;x" },
        { "g;x?y#s", "http://a/b/c/g;x?y" }, { "", "http://a/b/c/d;p?q" }, { ".", "http://a/b/c/" }, { "./", "http://a/b/c/" },
        { "..", "http://a/b/" }, { "../", "http://a/b/" }, { "../g", "http://a/b/g" }, { "../..", "http://a/" },
        { "../../", "http://a/" }, { "../../g", "http://a/g" },
        /* 5.4.2, abnormal */
        { "../../../g", "http://a/g" }, { "../../../../g", "http://a/g" }, { "/./g", "http://a/g" }, { "/../g", "http://a/g" },
        { "g.", "http://a/b/c/g." }, { ".g", "http://a/b/c/.g" }, { "g..", "http://a/b/c/g.." }, { "..g", "http://a/b/c/..g" },
        { "./../g", "http://a/b/g" }, { "./g/.", "http://a/b/c/g/" }, { "g/./h", "http://a/b/c/g/h" }, { "g/../h", "http://a/b/c/h" },
        { "g;x=1/./y", "http://a/b/c/g;x=1/y" }, { "g;x=1/../y", "http://a/b/c/y" }, { "g?y/./x", "http://a/b/c/g?y/./x" },
        { "g?y/../x", "http://a/b/c/g?y/../x" },
        /* absolute references stand alone; other schemes are refused */
        { "https://s3.example/blob?sig=1", "https://s3.example/blob?sig=1" },
        /* from a review: dot segments of absolute and network-path references go too (5.2.2) */
        { "//h2/a/../b", "http://h2/b" }, { "https://h3/./x/../y?a/../b", "https://h3/y?a/../b" },
    };
    size_t i, len;
    char out[256];
    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        tests_context = rows[i].ref;
        CHECK(crioimg_url_resolve("http://a/b/c/d;p?q", 18, rows[i].ref, strlen(rows[i].ref), out, sizeof out, &len) == CRIOIMG_OK);
        CHECK_STR(out, rows[i].want);
        CHECK(len == strlen(rows[i].want));
    }
    tests_context = "resolve: an empty path keeps the base path as it is";
    CHECK(crioimg_url_resolve("http://a/b/..", 13, "?x", 2, out, sizeof out, &len) == CRIOIMG_OK);
    CHECK_STR(out, "http://a/b/..?x");
    CHECK(crioimg_url_resolve("http://a/b/..?y", 15, "", 0, out, sizeof out, &len) == CRIOIMG_OK);
    CHECK_STR(out, "http://a/b/..?y");
    tests_context = "resolve: refused and too small";
    CHECK(crioimg_url_resolve("http://a/b", 10, "ftp://x/y", 9, out, sizeof out, &len) == CRIOIMG_ERR_UNSUPPORTED);
    CHECK(crioimg_url_resolve("http://a/b", 10, "/long/path", 10, out, 8, &len) == CRIOIMG_ERR_BUFFER_TOO_SMALL);
    CHECK(crioimg_url_resolve("nope", 4, "/x", 2, out, sizeof out, &len) == CRIOIMG_ERR_INVALID_ARGS);
}

static void test_redirects_and_realms(void)
{
    static const struct { const char *from, *to; unsigned hop; crioimg_result r; int keep; } redirects[] = {
        { "https://r.io/v2/a/blobs/x", "https://r.io/v2/b/blobs/x", 1, CRIOIMG_OK, 1 },
        { "https://r.io/v2/a", "https://R.IO:443/x", 1, CRIOIMG_OK, 1 },          /* same origin, written differently */
        { "https://r.io/v2/a", "https://cdn.r.io/x", 1, CRIOIMG_OK, 0 },          /* another host: no Authorization */
        { "https://r.io/v2/a", "https://r.io:8443/x", 1, CRIOIMG_OK, 0 },         /* another port */
        { "http://r.io/v2/a", "https://r.io/x", 1, CRIOIMG_OK, 0 },               /* another scheme (an upgrade is fine) */
        { "https://r.io/v2/a", "http://r.io/x", 1, CRIOIMG_ERR_HTTP_REDIRECT, 0 }, /* never https to http */
        { "https://r.io/v2/a", "https://u:p@r.io/x", 1, CRIOIMG_ERR_HTTP_REDIRECT, 0 }, /* userinfo in the target: never followed */
        { "https://r.io/v2/a", "https://u@cdn.io/x", 1, CRIOIMG_ERR_HTTP_REDIRECT, 0 },
        /* never to the metadata service or an unspecified or link-local address, however spelt */
        { "http://r.io/v2/a", "http://169.254.169.254/latest/meta-data", 1, CRIOIMG_ERR_HTTP_REDIRECT, 0 },
        { "http://r.io/v2/a", "http://2852039166/x", 1, CRIOIMG_ERR_HTTP_REDIRECT, 0 },
        { "http://r.io/v2/a", "http://0xa9.0xfe.0xa9.0xfe/x", 1, CRIOIMG_ERR_HTTP_REDIRECT, 0 },
        { "https://r.io/v2/a", "https://[fd00:ec2::254]/x", 1, CRIOIMG_ERR_HTTP_REDIRECT, 0 },
        { "https://r.io/v2/a", "https://[::ffff:169.254.169.254]/x", 1, CRIOIMG_ERR_HTTP_REDIRECT, 0 },
        { "https://r.io/v2/a", "https://100.100.100.200/x", 1, CRIOIMG_ERR_HTTP_REDIRECT, 0 },
        { "https://r.io/v2/a", "https://0.0.0.0:5000/x", 1, CRIOIMG_ERR_HTTP_REDIRECT, 0 },
        { "https://r.io/v2/a", "https://[fe80::1]/x", 1, CRIOIMG_ERR_HTTP_REDIRECT, 0 },
        { "https://r.io/v2/a", "https://127.0.0.1:5000/x", 1, CRIOIMG_OK, 0 },        /* loopback is a registry's own business */
        { "https://r.io/v2/a", "https://169.254.example/x", 1, CRIOIMG_OK, 0 },      /* a name: the transport checks what it resolves to */
        { "https://r.io/v2/a", "https://r.io/x", 10, CRIOIMG_OK, 1 },
        { "https://r.io/v2/a", "https://r.io/x", 11, CRIOIMG_ERR_HTTP_REDIRECT, 0 },
    };
    static const struct { const char *realm; int allow_http; crioimg_result r; } realms[] = {
        { "https://auth.docker.io/token", 0, CRIOIMG_OK },
        { "http://127.0.0.1:5001/token", 1, CRIOIMG_OK },             /* an insecure registry's own token server */
        { "http://auth.example/token", 0, CRIOIMG_ERR_AUTH_REALM },   /* CVE-2019-10214: not for a secure registry */
        { "https://user:pw@auth.example/token", 0, CRIOIMG_ERR_AUTH_REALM },
        { "https://169.254.169.254/latest/meta-data", 0, CRIOIMG_ERR_AUTH_REALM },
        { "http://169.254.169.254/", 1, CRIOIMG_ERR_AUTH_REALM },
        { "https://0.0.0.0/token", 0, CRIOIMG_ERR_AUTH_REALM },
        { "https://[::]/token", 0, CRIOIMG_ERR_AUTH_REALM },
        { "https://[fe80::1]/token", 0, CRIOIMG_ERR_AUTH_REALM },
        { "https://[::1]:5001/token", 0, CRIOIMG_OK },
        /* from a review: every spelling getaddrinfo accepts for those addresses */
        { "https://0/t", 0, CRIOIMG_ERR_AUTH_REALM }, { "https://0.0.0/t", 0, CRIOIMG_ERR_AUTH_REALM },
        { "https://000.000.000.000/t", 0, CRIOIMG_ERR_AUTH_REALM }, { "https://2852039166/t", 0, CRIOIMG_ERR_AUTH_REALM },
        { "https://0xa9fea9fe/t", 0, CRIOIMG_ERR_AUTH_REALM }, { "https://0xa9.0xfe.0xa9.0xfe/t", 0, CRIOIMG_ERR_AUTH_REALM },
        { "https://0251.0376.0251.0376/t", 0, CRIOIMG_ERR_AUTH_REALM }, { "https://169.16689662/t", 0, CRIOIMG_ERR_AUTH_REALM },
        { "https://169.254.169.254./t", 0, CRIOIMG_ERR_AUTH_REALM },
        { "https://[::ffff:169.254.169.254]/t", 0, CRIOIMG_ERR_AUTH_REALM }, { "https://[::ffff:a9fe:a9fe]/t", 0, CRIOIMG_ERR_AUTH_REALM },
        { "https://[0:0:0:0:0:ffff:a9fe:a9fe]/t", 0, CRIOIMG_ERR_AUTH_REALM }, { "https://[::ffff:0.0.0.0]/t", 0, CRIOIMG_ERR_AUTH_REALM },
        { "https://[::0.0.0.0]/t", 0, CRIOIMG_ERR_AUTH_REALM }, { "https://[64:ff9b::a9fe:a9fe]/t", 0, CRIOIMG_ERR_AUTH_REALM },
        { "https://[FE80::1]/t", 0, CRIOIMG_ERR_AUTH_REALM }, { "https://[febf::1]/t", 0, CRIOIMG_ERR_AUTH_REALM },
        { "https://[fe8::1]/t", 0, CRIOIMG_OK },            /* 0fe8::1 is not link-local */
        { "https://[2001:db8::1]/t", 0, CRIOIMG_OK }, { "https://10.0.0.1/t", 0, CRIOIMG_OK }, { "https://1.2.3/t", 0, CRIOIMG_OK },
        { "https://169.254.example/t", 0, CRIOIMG_OK },     /* a name: checked where it connects */
        { "file:///etc/passwd", 1, CRIOIMG_ERR_AUTH_REALM },
        { "token", 0, CRIOIMG_ERR_AUTH_REALM },
    };
    size_t i;
    char err[256];
    for (i = 0; i < sizeof redirects / sizeof redirects[0]; i++) {
        crioimg_url a, b;
        int keep = -1;
        tests_context = redirects[i].to;
        CHECK(crioimg_url_parse(&a, redirects[i].from, strlen(redirects[i].from)) == CRIOIMG_OK);
        CHECK(crioimg_url_parse(&b, redirects[i].to, strlen(redirects[i].to)) == CRIOIMG_OK);
        CHECK(crioimg_http_redirect_check(&a, &b, redirects[i].hop, &keep, err, sizeof err) == redirects[i].r);
        CHECK(keep == redirects[i].keep);
        if (redirects[i].r != CRIOIMG_OK) CHECK(err[0] != '\0');
    }
    for (i = 0; i < sizeof realms / sizeof realms[0]; i++) {
        tests_context = realms[i].realm;
        CHECK(crioimg_auth_realm_check(realms[i].realm, strlen(realms[i].realm), realms[i].allow_http, err, sizeof err) == realms[i].r);
        if (realms[i].r != CRIOIMG_OK) CHECK(err[0] != '\0');
    }
}

static void test_retry_and_ranges(void)
{
    static const struct { const char *v; crioimg_result r; long long s; } retry[] = {
        { "120", CRIOIMG_OK, 120 }, { " 0 ", CRIOIMG_OK, 0 }, { "99999999999999999999999", CRIOIMG_OK, 0x7fffffffffffffffLL },
        { "Sun, 06 Nov 1994 08:49:37 GMT", CRIOIMG_OK, 60 },    /* now is 60 s before it */
        { "Sun, 06 Nov 1994 08:48:37 GMT", CRIOIMG_OK, 0 },     /* in the past */
        { "Sunday, 06-Nov-94 08:49:37 GMT", CRIOIMG_ERR_INVALID_ARGS, 0 },
        { "-5", CRIOIMG_ERR_INVALID_ARGS, 0 }, { "12s", CRIOIMG_ERR_INVALID_ARGS, 0 }, { "", CRIOIMG_ERR_INVALID_ARGS, 0 },
        { "Sun, 32 Nov 1994 08:49:37 GMT", CRIOIMG_ERR_INVALID_ARGS, 0 }, { "Sun, 06 Foo 1994 08:49:37 GMT", CRIOIMG_ERR_INVALID_ARGS, 0 },
    };
    static const struct { const char *v; crioimg_result r; long long first, last, total; } ranges[] = {
        { "bytes 500-999/1000", CRIOIMG_OK, 500, 999, 1000 }, { "bytes 0-0/1", CRIOIMG_OK, 0, 0, 1 },
        { "bytes 500-999/*", CRIOIMG_OK, 500, 999, -1 },
        { "bytes 500-1000/1000", CRIOIMG_ERR_INVALID_ARGS, 0, 0, 0 }, { "bytes 9-5/10", CRIOIMG_ERR_INVALID_ARGS, 0, 0, 0 },
        { "bytes */1000", CRIOIMG_ERR_INVALID_ARGS, 0, 0, 0 }, { "bits 0-1/2", CRIOIMG_ERR_INVALID_ARGS, 0, 0, 0 },
        { "bytes 0-1/2x", CRIOIMG_ERR_INVALID_ARGS, 0, 0, 0 }, { "bytes 1-99999999999999999999/*", CRIOIMG_ERR_INVALID_ARGS, 0, 0, 0 },
    };
    const long long now = 784111777 - 60;  /* 1994-11-06 08:49:37 UTC is 784111777 */
    size_t i;
    for (i = 0; i < sizeof retry / sizeof retry[0]; i++) {
        long long s = -1;
        tests_context = retry[i].v;
        CHECK(crioimg_http_retry_after(retry[i].v, strlen(retry[i].v), now, &s) == retry[i].r);
        CHECK(s == retry[i].s);
    }
    for (i = 0; i < sizeof ranges / sizeof ranges[0]; i++) {
        long long f, l, t;
        tests_context = ranges[i].v;
        CHECK(crioimg_http_content_range(ranges[i].v, strlen(ranges[i].v), &f, &l, &t) == ranges[i].r);
        if (ranges[i].r == CRIOIMG_OK) CHECK(f == ranges[i].first && l == ranges[i].last && t == ranges[i].total);
    }
    tests_context = "resume";
    CHECK(crioimg_http_resume_ok("bytes 500-999/1000", 18, 500, 1000));
    CHECK(crioimg_http_resume_ok("bytes 500-999/*", 15, 500, 1000));
    CHECK(!crioimg_http_resume_ok("bytes 400-999/1000", 18, 500, 1000));  /* not where we asked */
    CHECK(!crioimg_http_resume_ok("bytes 500-998/1000", 18, 500, 1000));  /* short of the end */
    CHECK(!crioimg_http_resume_ok("bytes 500-999/1001", 18, 500, 1000));  /* another blob */
}

/* ---- the transport dispatcher, over a scripted transport ---- */

/* one thing the fake transport hands its sink: 's' status, 'h' header, 'b' body bytes; or 'z', a pause */
typedef struct fake_ev { char kind; int code; const char *a; size_t alen; const char *b; size_t blen; } fake_ev;

typedef struct fake_tr {
    const fake_ev *script;
    size_t nscript;
    crioimg_result ret;           /* what request returns at the end */
    int calls, closed, go_on;     /* go_on: keep calling the sink after it refused (a careless transport) */
    crioimg_result last;          /* what the sink said to the last event */
    crioimg_http_request seen;    /* the request as the transport got it */
    volatile int *cancel_at_body; /* set before the body event, as a host thread would */
} fake_tr;

static crioimg_result fake_request(void *user, const crioimg_http_request *rq, char *err, size_t errcap)
{
    fake_tr *f = (fake_tr *)user;
    size_t i;
    f->calls++;
    f->seen = *rq;
    for (i = 0; i < f->nscript; i++) {
        const fake_ev *e = &f->script[i];
        if (e->kind == 'z') {   /* a pause of code ms: a server that drips */
            struct timespec ts;
            ts.tv_sec = e->code / 1000; ts.tv_nsec = (long)(e->code % 1000) * 1000000L;
            nanosleep(&ts, NULL);
            continue;
        }
        if (e->kind == 's') f->last = rq->sink.status(rq->sink.ctx, e->code);
        else if (e->kind == 'h') f->last = rq->sink.header(rq->sink.ctx, e->a, e->alen, e->b, e->blen);
        else {
            if (f->cancel_at_body) *f->cancel_at_body = 1;
            f->last = rq->sink.body(rq->sink.ctx, e->a, e->alen);
        }
        if (f->last != CRIOIMG_OK && !f->go_on) return f->last;
    }
    if (f->ret != CRIOIMG_OK && errcap) err[0] = '\0';
    return f->ret;
}

static void fake_close(void *user) { ((fake_tr *)user)->closed++; }

/* what the caller's sink saw, as text: "200|A=x|body:abc" */
typedef struct seen_sink { char log[256]; crioimg_result status_ret; } seen_sink;

static void seen_add(seen_sink *s, const char *a, size_t an)
{
    size_t l = strlen(s->log);
    if (l + an + 2 >= sizeof s->log) an = sizeof s->log - l - 2;
    if (l) s->log[l++] = '|';
    memcpy(s->log + l, a, an);
    s->log[l + an] = '\0';
}
static crioimg_result seen_status(void *c, int code)
{
    char b[16];
    snprintf(b, sizeof b, "%d", code);
    seen_add((seen_sink *)c, b, strlen(b));
    return ((seen_sink *)c)->status_ret;
}
static crioimg_result seen_header(void *c, const char *n, size_t nl, const char *v, size_t vl)
{
    char b[96];
    snprintf(b, sizeof b, "%.*s=%.*s", (int)(nl > 40 ? 40 : nl), n, (int)(vl > 40 ? 40 : vl), v);
    seen_add((seen_sink *)c, b, strlen(b));
    return CRIOIMG_OK;
}
static crioimg_result seen_body(void *c, const void *d, size_t n)
{
    char b[96];
    snprintf(b, sizeof b, "body:%.*s", (int)(n > 40 ? 40 : n), (const char *)d);
    seen_add((seen_sink *)c, b, strlen(b));
    return CRIOIMG_OK;
}

static void http_free_only(void *p, void *u) { (void)u; free(p); }

static void test_http_open(void)
{
    crioimg_http_vtable vt;
    crioimg_http *h = (crioimg_http *)&vt;
    fake_tr f;
    memset(&vt, 0, sizeof vt);
    memset(&f, 0, sizeof f);
    tests_context = "http_open: the vtable is checked and copied";
    vt.user = &f; vt.request = fake_request; vt.close = fake_close;
    CHECK(crioimg_http_open(&h, &vt, NULL) == CRIOIMG_ERR_INVALID_ARGS && h == NULL);   /* version 0 */
    vt.version = CRIOIMG_HTTP_VTABLE_VERSION + 1;
    CHECK(crioimg_http_open(&h, &vt, NULL) == CRIOIMG_ERR_INVALID_ARGS);
    CHECK(crioimg_http_open(&h, NULL, NULL) == CRIOIMG_ERR_INVALID_ARGS);
    CHECK(crioimg_http_open(NULL, &vt, NULL) == CRIOIMG_ERR_INVALID_ARGS);
    vt.version = CRIOIMG_HTTP_VTABLE_VERSION;
    {
        crioimg_allocator a;
        memset(&a, 0, sizeof a);
        a.free = http_free_only;
        CHECK(crioimg_http_open(&h, &vt, &a) == CRIOIMG_ERR_INVALID_ARGS);  /* all three or none */
    }
    CHECK(crioimg_http_open(&h, &vt, NULL) == CRIOIMG_OK && h != NULL);
    memset(&vt, 0, sizeof vt);  /* the host's struct may go: the transport kept a copy */
    {
        static const fake_ev ok[] = { { 's', 204, NULL, 0, NULL, 0 } };
        crioimg_http_request rq;
        char err[128];
        memset(&rq, 0, sizeof rq);
        rq.url = "http://127.0.0.1:1/v2/";
        f.script = ok; f.nscript = 1;
        CHECK(crioimg_http_do(h, &rq, err, sizeof err) == CRIOIMG_OK && f.calls == 1);  /* NULL sink callbacks ignore */
    }
    crioimg_http_close(h);
    CHECK(f.closed == 1);
    crioimg_http_close(NULL);

    tests_context = "built-in transports";
    h = NULL;
#ifdef CRIOIMG_WITH_CURL
    CHECK(crioimg_http_open_curl(&h, NULL) == CRIOIMG_OK && h != NULL);
    crioimg_http_close(h);
#else
    CHECK(crioimg_http_open_curl(&h, NULL) == CRIOIMG_ERR_HTTP_NO_TRANSPORT && h == NULL);
#endif
#ifdef CRIOIMG_WITH_MBEDTLS
    CHECK(crioimg_http_open_mbedtls(&h, NULL) == CRIOIMG_OK && h != NULL);
    crioimg_http_close(h);
#else
    CHECK(crioimg_http_open_mbedtls(&h, NULL) == CRIOIMG_ERR_HTTP_NO_TRANSPORT && h == NULL);
#endif
#if defined(CRIOIMG_WITH_CURL) || defined(CRIOIMG_WITH_MBEDTLS)
    CHECK(crioimg_http_open_default(&h, NULL) == CRIOIMG_OK && h != NULL);  /* curl first, then mbedtls */
    crioimg_http_close(h);
#else
    CHECK(crioimg_http_open_default(&h, NULL) == CRIOIMG_ERR_HTTP_NO_TRANSPORT && h == NULL);
#endif
}

/* requests refused before the transport sees them: one row a rule */
static void test_http_request_checks(void)
{
    static const crioimg_http_header good[] = { { "Accept", "application/json" }, { "X-Empty", "" } };
    static const crioimg_http_header bad_name[] = { { "Bad Name", "x" } };
    static const crioimg_http_header colon_name[] = { { "A:b", "x" } };
    static const crioimg_http_header empty_name[] = { { "", "x" } };
    static const crioimg_http_header crlf[] = { { "X", "a\r\nInjected: 1" } };
    static const crioimg_http_header lf[] = { { "X", "a\nb" } };
    static const crioimg_http_header null_value[] = { { "X", NULL } };
    static const char *const one_ca[] = { "/ca.pem" };
    static const char *const null_ca[] = { NULL };
    static const struct {
        const char *what, *method, *url;
        const crioimg_http_header *h; size_t nh;
        const char *body; size_t blen;
        const char *const *ca; size_t nca;
        const char *cert, *key;
        long cto, ito;
        crioimg_result want;
    } rows[] = {
        { "GET with headers", NULL, "https://quay.io/v2/", good, 2, NULL, 0, one_ca, 1, "/c.cert", "/c.key", 0, 0, CRIOIMG_OK },
        { "HEAD", "HEAD", "http://[::1]:5000/v2/", NULL, 0, NULL, 0, NULL, 0, NULL, NULL, 5, 5, CRIOIMG_OK },
        { "POST with a body", "POST", "https://auth.example/token", NULL, 0, "a=b", 3, NULL, 0, NULL, NULL, 0, 0, CRIOIMG_OK },
        { "POST without a body", "POST", "https://auth.example/token", NULL, 0, NULL, 0, NULL, 0, NULL, NULL, 0, 0, CRIOIMG_OK },
        { "PUT", "PUT", "https://quay.io/v2/", NULL, 0, NULL, 0, NULL, 0, NULL, NULL, 0, 0, CRIOIMG_ERR_INVALID_ARGS },
        { "lower-case get", "get", "https://quay.io/v2/", NULL, 0, NULL, 0, NULL, 0, NULL, NULL, 0, 0, CRIOIMG_ERR_INVALID_ARGS },
        { "no URL", NULL, NULL, NULL, 0, NULL, 0, NULL, 0, NULL, NULL, 0, 0, CRIOIMG_ERR_INVALID_ARGS },
        { "relative URL", NULL, "/v2/", NULL, 0, NULL, 0, NULL, 0, NULL, NULL, 0, 0, CRIOIMG_ERR_INVALID_ARGS },
        { "ftp URL", NULL, "ftp://h/x", NULL, 0, NULL, 0, NULL, 0, NULL, NULL, 0, 0, CRIOIMG_ERR_UNSUPPORTED },
        { "file URL", NULL, "file:///etc/passwd", NULL, 0, NULL, 0, NULL, 0, NULL, NULL, 0, 0, CRIOIMG_ERR_UNSUPPORTED },
        { "CRLF in the URL", NULL, "http://h/\r\nX: 1", NULL, 0, NULL, 0, NULL, 0, NULL, NULL, 0, 0, CRIOIMG_ERR_INVALID_ARGS },
        { "headers missing", NULL, "http://h/", NULL, 1, NULL, 0, NULL, 0, NULL, NULL, 0, 0, CRIOIMG_ERR_INVALID_ARGS },
        { "space in a name", NULL, "http://h/", bad_name, 1, NULL, 0, NULL, 0, NULL, NULL, 0, 0, CRIOIMG_ERR_INVALID_ARGS },
        { "colon in a name", NULL, "http://h/", colon_name, 1, NULL, 0, NULL, 0, NULL, NULL, 0, 0, CRIOIMG_ERR_INVALID_ARGS },
        { "empty name", NULL, "http://h/", empty_name, 1, NULL, 0, NULL, 0, NULL, NULL, 0, 0, CRIOIMG_ERR_INVALID_ARGS },
        { "CRLF in a value", NULL, "http://h/", crlf, 1, NULL, 0, NULL, 0, NULL, NULL, 0, 0, CRIOIMG_ERR_INVALID_ARGS },
        { "LF in a value", NULL, "http://h/", lf, 1, NULL, 0, NULL, 0, NULL, NULL, 0, 0, CRIOIMG_ERR_INVALID_ARGS },
        { "NULL value", NULL, "http://h/", null_value, 1, NULL, 0, NULL, 0, NULL, NULL, 0, 0, CRIOIMG_ERR_INVALID_ARGS },
        { "body on GET", NULL, "http://h/", NULL, 0, "x", 1, NULL, 0, NULL, NULL, 0, 0, CRIOIMG_ERR_INVALID_ARGS },
        { "body on HEAD", "HEAD", "http://h/", NULL, 0, "", 0, NULL, 0, NULL, NULL, 0, 0, CRIOIMG_ERR_INVALID_ARGS },
        { "length without bytes", "POST", "http://h/", NULL, 0, NULL, 3, NULL, 0, NULL, NULL, 0, 0, CRIOIMG_ERR_INVALID_ARGS },
        { "CA count without array", NULL, "https://h/", NULL, 0, NULL, 0, NULL, 1, NULL, NULL, 0, 0, CRIOIMG_ERR_INVALID_ARGS },
        { "NULL CA file", NULL, "https://h/", NULL, 0, NULL, 0, null_ca, 1, NULL, NULL, 0, 0, CRIOIMG_ERR_INVALID_ARGS },
        { "cert without key", NULL, "https://h/", NULL, 0, NULL, 0, NULL, 0, "/c.cert", NULL, 0, 0, CRIOIMG_ERR_INVALID_ARGS },
        { "key without cert", NULL, "https://h/", NULL, 0, NULL, 0, NULL, 0, NULL, "/c.key", 0, 0, CRIOIMG_ERR_INVALID_ARGS },
        { "negative timeout", NULL, "https://h/", NULL, 0, NULL, 0, NULL, 0, NULL, NULL, -1, 0, CRIOIMG_ERR_INVALID_ARGS },
        { "negative idle timeout", NULL, "https://h/", NULL, 0, NULL, 0, NULL, 0, NULL, NULL, 0, -5, CRIOIMG_ERR_INVALID_ARGS },
    };
    static const fake_ev ok[] = { { 's', 200, NULL, 0, NULL, 0 } };
    crioimg_http_vtable vt;
    crioimg_http *h;
    fake_tr f;
    size_t i;
    memset(&vt, 0, sizeof vt);
    memset(&f, 0, sizeof f);
    vt.version = CRIOIMG_HTTP_VTABLE_VERSION; vt.user = &f; vt.request = fake_request;
    if (!CHECK(crioimg_http_open(&h, &vt, NULL) == CRIOIMG_OK)) return;
    f.script = ok; f.nscript = 1;
    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        crioimg_http_request rq;
        char err[128];
        int before = f.calls;
        crioimg_result r;
        memset(&rq, 0, sizeof rq);
        rq.method = rows[i].method; rq.url = rows[i].url;
        rq.headers = rows[i].h; rq.nheaders = rows[i].nh;
        rq.body = rows[i].body; rq.body_len = rows[i].blen;
        rq.tls.ca_files = rows[i].ca; rq.tls.nca_files = rows[i].nca;
        rq.tls.cert_file = rows[i].cert; rq.tls.key_file = rows[i].key;
        rq.connect_timeout_ms = rows[i].cto; rq.idle_timeout_ms = rows[i].ito;
        tests_context = rows[i].what;
        r = crioimg_http_do(h, &rq, err, sizeof err);
        CHECK(r == rows[i].want);
        CHECK(f.calls == before + (rows[i].want == CRIOIMG_OK));  /* a refused request never reaches the transport */
        if (r != CRIOIMG_OK) CHECK(err[0] != '\0');
        if (r == CRIOIMG_OK) {
            /* defaults filled in for the transport; the caller's values kept */
            CHECK_STR(f.seen.method, rows[i].method ? rows[i].method : "GET");
            CHECK(f.seen.connect_timeout_ms == (rows[i].cto ? rows[i].cto : CRIOIMG_HTTP_CONNECT_TIMEOUT_MS));
            CHECK(f.seen.idle_timeout_ms == (rows[i].ito ? rows[i].ito : CRIOIMG_HTTP_IDLE_TIMEOUT_MS));
            CHECK(f.seen.url == rows[i].url && f.seen.nheaders == rows[i].nh && f.seen.body_len == rows[i].blen);
        }
    }
    tests_context = "a URL with user information never reaches a transport (curl would log in with it, the sockets one drop it)";
    {
        crioimg_http_request rq;
        char err[128];
        int before = f.calls;
        memset(&rq, 0, sizeof rq);
        rq.url = "https://user:pw@quay.io/v2/";
        CHECK(crioimg_http_do(h, &rq, err, sizeof err) == CRIOIMG_ERR_INVALID_ARGS && f.calls == before);
        CHECK_STR(err, "a URL with user information");
        tests_context = "negative time rules are refused; zero ones are the defaults";
        rq.url = "https://quay.io/v2/";
        rq.header_timeout_ms = -1;
        CHECK(crioimg_http_do(h, &rq, err, sizeof err) == CRIOIMG_ERR_INVALID_ARGS);
        rq.header_timeout_ms = 0; rq.total_timeout_ms = -1;
        CHECK(crioimg_http_do(h, &rq, err, sizeof err) == CRIOIMG_ERR_INVALID_ARGS);
        rq.total_timeout_ms = 0; rq.min_period_ms = -1;
        CHECK(crioimg_http_do(h, &rq, err, sizeof err) == CRIOIMG_ERR_INVALID_ARGS);
        rq.min_period_ms = 0;
        CHECK(crioimg_http_do(h, &rq, err, sizeof err) == CRIOIMG_OK);
        CHECK(f.seen.header_timeout_ms == CRIOIMG_HTTP_HEADER_TIMEOUT_MS && f.seen.total_timeout_ms == 0 &&
              f.seen.min_bytes == CRIOIMG_HTTP_MIN_BYTES && f.seen.min_period_ms == CRIOIMG_HTTP_MIN_PERIOD_MS);
        /* issue 13: a zeroed request refuses local addresses, and a host's transport is told so in the one
           field it knows; allow_local_addresses lifts it, unless refuse_local_addresses is set too */
        tests_context = "local addresses: zero refuses, allow_local_addresses allows, refuse wins";
        CHECK(f.seen.refuse_local_addresses == 1);
        rq.allow_local_addresses = 1;
        CHECK(crioimg_http_do(h, &rq, err, sizeof err) == CRIOIMG_OK && f.seen.refuse_local_addresses == 0);
        rq.refuse_local_addresses = 1;
        CHECK(crioimg_http_do(h, &rq, err, sizeof err) == CRIOIMG_OK && f.seen.refuse_local_addresses == 1);
    }
    tests_context = "no transport, no request, no request method";
    CHECK(crioimg_http_do(NULL, NULL, NULL, 0) == CRIOIMG_ERR_INVALID_ARGS);
    CHECK(crioimg_http_do(h, NULL, NULL, 0) == CRIOIMG_ERR_INVALID_ARGS);
    crioimg_http_close(h);
    vt.request = NULL;
    if (CHECK(crioimg_http_open(&h, &vt, NULL) == CRIOIMG_OK)) {
        crioimg_http_request rq;
        memset(&rq, 0, sizeof rq);
        rq.url = "http://h/";
        CHECK(crioimg_http_do(h, &rq, NULL, 0) == CRIOIMG_ERR_UNSUPPORTED);
        crioimg_http_close(h);
    }
}

/* the guard between a transport and the sink: what a transport hands over, what the sink sees */
static void test_http_guard(void)
{
    static char big[CRIOIMG_HTTP_HEADER_MAX + 2];
    static const fake_ev normal[] = { { 's', 200, NULL, 0, NULL, 0 }, { 'h', 0, "Docker-Content-Digest", 21, "  sha256:x \t", 12 },
                                      { 'h', 0, "X-Empty", 7, "", 0 }, { 'b', 0, "abc", 3, NULL, 0 }, { 'b', 0, "de", 2, NULL, 0 } };
    static const fake_ev header_first[] = { { 'h', 0, "A", 1, "x", 1 }, { 's', 200, NULL, 0, NULL, 0 } };
    static const fake_ev body_first[] = { { 'b', 0, "x", 1, NULL, 0 } };
    static const fake_ev two_status[] = { { 's', 200, NULL, 0, NULL, 0 }, { 's', 200, NULL, 0, NULL, 0 } };
    static const fake_ev interim[] = { { 's', 100, NULL, 0, NULL, 0 } };
    static const fake_ev low[] = { { 's', 99, NULL, 0, NULL, 0 } };
    static const fake_ev high[] = { { 's', 1000, NULL, 0, NULL, 0 } };
    static const fake_ev bad_name[] = { { 's', 200, NULL, 0, NULL, 0 }, { 'h', 0, "A B", 3, "x", 1 } };
    static const fake_ev empty_name[] = { { 's', 200, NULL, 0, NULL, 0 }, { 'h', 0, "", 0, "x", 1 } };
    static const fake_ev lf_value[] = { { 's', 200, NULL, 0, NULL, 0 }, { 'h', 0, "A", 1, "x\ny", 3 } };
    static const fake_ev nul_value[] = { { 's', 200, NULL, 0, NULL, 0 }, { 'h', 0, "A", 1, "x\0y", 3 } };
    static const fake_ev after_body[] = { { 's', 200, NULL, 0, NULL, 0 }, { 'b', 0, "x", 1, NULL, 0 }, { 'h', 0, "A", 1, "x", 1 } };
    static const fake_ev status_only[] = { { 's', 404, NULL, 0, NULL, 0 } };
    static const fake_ev nothing[] = { { 's', 0, NULL, 0, NULL, 0 } };
    static const fake_ev head_body[] = { { 's', 200, NULL, 0, NULL, 0 }, { 'b', 0, "x", 1, NULL, 0 } };
    static const fake_ev head_empty[] = { { 's', 200, NULL, 0, NULL, 0 }, { 'b', 0, "", 0, NULL, 0 } };
    /* name + value exactly at the limit, and one byte over: "X" and the rest of big */
    fake_ev at_max[2], over_max[3];
    const struct { const char *what; const char *method; const fake_ev *ev; size_t n; int go_on; crioimg_result ret, want; const char *sink; } fixed[] = {
        { "status, headers trimmed, body", NULL, normal, 5, 0, CRIOIMG_OK, CRIOIMG_OK, "200|Docker-Content-Digest=sha256:x|X-Empty=|body:abc|body:de" },
        { "a header before the status", NULL, header_first, 2, 1, CRIOIMG_OK, CRIOIMG_ERR_HTTP_PROTOCOL, "" },
        { "body before the status", NULL, body_first, 1, 0, CRIOIMG_OK, CRIOIMG_ERR_HTTP_PROTOCOL, "" },
        { "a second status", NULL, two_status, 2, 0, CRIOIMG_OK, CRIOIMG_ERR_HTTP_PROTOCOL, "200" },
        { "an interim status", NULL, interim, 1, 0, CRIOIMG_OK, CRIOIMG_ERR_HTTP_PROTOCOL, "" },
        { "status 99", NULL, low, 1, 0, CRIOIMG_OK, CRIOIMG_ERR_HTTP_PROTOCOL, "" },
        { "status 1000", NULL, high, 1, 0, CRIOIMG_OK, CRIOIMG_ERR_HTTP_PROTOCOL, "" },
        { "a name with a space", NULL, bad_name, 2, 0, CRIOIMG_OK, CRIOIMG_ERR_HTTP_PROTOCOL, "200" },
        { "an empty name", NULL, empty_name, 2, 0, CRIOIMG_OK, CRIOIMG_ERR_HTTP_PROTOCOL, "200" },
        { "LF in a value", NULL, lf_value, 2, 0, CRIOIMG_OK, CRIOIMG_ERR_HTTP_PROTOCOL, "200" },
        { "NUL in a value", NULL, nul_value, 2, 0, CRIOIMG_OK, CRIOIMG_ERR_HTTP_PROTOCOL, "200" },
        { "a header after the body", NULL, after_body, 3, 0, CRIOIMG_OK, CRIOIMG_ERR_HTTP_PROTOCOL, "200|body:x" },
        { "an error status is still a response", NULL, status_only, 1, 0, CRIOIMG_OK, CRIOIMG_OK, "404" },
        { "no status at all", NULL, nothing, 0, 0, CRIOIMG_OK, CRIOIMG_ERR_HTTP_PROTOCOL, "" },
        { "the transport's error", NULL, status_only, 1, 0, CRIOIMG_ERR_TIMEOUT, CRIOIMG_ERR_TIMEOUT, "404" },
        { "a stray positive result", NULL, status_only, 1, 0, (crioimg_result)7, CRIOIMG_ERR_HTTP_PROTOCOL, "404" },
        { "body on HEAD", "HEAD", head_body, 2, 0, CRIOIMG_OK, CRIOIMG_ERR_HTTP_PROTOCOL, "200" },
        { "empty body call on HEAD", "HEAD", head_empty, 2, 0, CRIOIMG_OK, CRIOIMG_OK, "200" },
        { "a field of 64 KiB", NULL, at_max, 2, 0, CRIOIMG_OK, CRIOIMG_OK, "200|X=bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb" },
        { "a field over 64 KiB, and a transport that goes on", NULL, over_max, 3, 1, CRIOIMG_OK, CRIOIMG_ERR_HTTP_PROTOCOL, "200" },
    };
    crioimg_http_vtable vt;
    crioimg_http *h;
    fake_tr f;
    size_t i;
    memset(big, 'b', sizeof big);
    at_max[0] = normal[0];
    at_max[1].kind = 'h'; at_max[1].a = "X"; at_max[1].alen = 1; at_max[1].b = big; at_max[1].blen = CRIOIMG_HTTP_HEADER_MAX - 1;
    over_max[0] = at_max[0]; over_max[1] = at_max[1]; over_max[1].blen = CRIOIMG_HTTP_HEADER_MAX;
    over_max[2] = normal[3];
    memset(&vt, 0, sizeof vt);
    vt.version = CRIOIMG_HTTP_VTABLE_VERSION; vt.request = fake_request;
    for (i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
        crioimg_http_request rq;
        seen_sink s;
        char err[160];
        crioimg_result r;
        memset(&f, 0, sizeof f);
        memset(&s, 0, sizeof s);
        vt.user = &f;
        if (!CHECK(crioimg_http_open(&h, &vt, NULL) == CRIOIMG_OK)) return;
        f.script = fixed[i].ev; f.nscript = fixed[i].n; f.ret = fixed[i].ret; f.go_on = fixed[i].go_on;
        memset(&rq, 0, sizeof rq);
        rq.method = fixed[i].method;
        rq.url = "https://registry.example/v2/";
        rq.sink.ctx = &s; rq.sink.status = seen_status; rq.sink.header = seen_header; rq.sink.body = seen_body;
        tests_context = fixed[i].what;
        r = crioimg_http_do(h, &rq, err, sizeof err);
        CHECK(r == fixed[i].want);
        CHECK_STR(s.log, fixed[i].sink);
        if (r != CRIOIMG_OK) CHECK(err[0] != '\0');
        if (fixed[i].go_on && r != CRIOIMG_OK) CHECK(f.last == r);  /* later callbacks get the same answer */
        crioimg_http_close(h);
    }

    /* a host's transport that keeps no time rules: the guard ends a drip at the next bytes it hands over */
    {
        static const fake_ev drip_head[] = { { 's', 200, NULL, 0, NULL, 0 }, { 'z', 80, NULL, 0, NULL, 0 }, { 'h', 0, "A", 1, "1", 1 },
                                             { 'z', 80, NULL, 0, NULL, 0 }, { 'h', 0, "B", 1, "2", 1 }, { 'b', 0, "x", 1, NULL, 0 } };
        static const fake_ev drip_body[] = { { 's', 200, NULL, 0, NULL, 0 }, { 'b', 0, "ab", 2, NULL, 0 }, { 'z', 80, NULL, 0, NULL, 0 },
                                             { 'b', 0, "cd", 2, NULL, 0 }, { 'z', 80, NULL, 0, NULL, 0 }, { 'b', 0, "ef", 2, NULL, 0 } };
        static const fake_ev fast_body[] = { { 's', 200, NULL, 0, NULL, 0 }, { 'b', 0, "abcdefghij", 10, NULL, 0 }, { 'z', 80, NULL, 0, NULL, 0 },
                                             { 'b', 0, "abcdefghij", 10, NULL, 0 }, { 'z', 80, NULL, 0, NULL, 0 }, { 'b', 0, "abcdefghij", 10, NULL, 0 } };
        static const struct { const char *what; const fake_ev *ev; size_t n; long header, total; size_t min; long period;
                              crioimg_result want; const char *err; } drips[] = {
            { "headers dripping past the header timeout", drip_head, 6, 120, 0, 0, 0, CRIOIMG_ERR_TIMEOUT,
              "the response headers did not arrive within the header timeout" },
            { "a body past the total timeout", drip_body, 6, 0, 120, 0, 0, CRIOIMG_ERR_TIMEOUT, "the response did not arrive within the total timeout" },
            { "a body slower than the minimum progress", drip_body, 6, 0, 0, 10, 60, CRIOIMG_ERR_TIMEOUT,
              "the body arrived slower than the minimum progress rate" },
            { "a body that keeps the minimum progress", fast_body, 6, 0, 0, 10, 60, CRIOIMG_OK, "" },
            { "a slow body under the defaults (no total, 1 KiB in 30 s)", drip_body, 6, 0, 0, 0, 0, CRIOIMG_OK, "" },
        };
        for (i = 0; i < sizeof drips / sizeof drips[0]; i++) {
            crioimg_http_request rq;
            seen_sink s;
            char err[160];
            memset(&f, 0, sizeof f);
            memset(&s, 0, sizeof s);
            vt.user = &f;
            if (!CHECK(crioimg_http_open(&h, &vt, NULL) == CRIOIMG_OK)) return;
            f.script = drips[i].ev; f.nscript = drips[i].n;
            memset(&rq, 0, sizeof rq);
            rq.url = "https://registry.example/v2/";
            rq.connect_timeout_ms = 1;   /* the guard's clocks start after the connect timeout */
            rq.header_timeout_ms = drips[i].header; rq.total_timeout_ms = drips[i].total;
            rq.min_bytes = drips[i].min; rq.min_period_ms = drips[i].period;
            rq.sink.ctx = &s; rq.sink.status = seen_status; rq.sink.header = seen_header; rq.sink.body = seen_body;
            tests_context = drips[i].what;
            CHECK(crioimg_http_do(h, &rq, err, sizeof err) == drips[i].want);
            CHECK_STR(err, drips[i].err);
            crioimg_http_close(h);
        }
    }

    tests_context = "the sink's own result stops the request, whatever the transport returns";
    {
        crioimg_http_request rq;
        seen_sink s;
        char err[160];
        memset(&f, 0, sizeof f);
        memset(&s, 0, sizeof s);
        s.status_ret = CRIOIMG_ERR_AUTH_REQUIRED;
        vt.user = &f;
        if (!CHECK(crioimg_http_open(&h, &vt, NULL) == CRIOIMG_OK)) return;
        f.script = normal; f.nscript = 5; f.go_on = 1;
        memset(&rq, 0, sizeof rq);
        rq.url = "https://registry.example/v2/";
        rq.sink.ctx = &s; rq.sink.status = seen_status; rq.sink.header = seen_header; rq.sink.body = seen_body;
        CHECK(crioimg_http_do(h, &rq, err, sizeof err) == CRIOIMG_ERR_AUTH_REQUIRED);
        CHECK_STR(s.log, "200");   /* nothing after the refusal reached the sink */
        CHECK(f.last == CRIOIMG_ERR_AUTH_REQUIRED);

        tests_context = "cancel: before the request, and while the body arrives";
        {
            volatile int cancel = 1;
            rq.cancel = &cancel;
            s.status_ret = CRIOIMG_OK; s.log[0] = '\0';
            f.calls = 0;
            CHECK(crioimg_http_do(h, &rq, err, sizeof err) == CRIOIMG_ERR_CANCELLED && f.calls == 0);
            cancel = 0;
            f.cancel_at_body = (volatile int *)&cancel;
            CHECK(crioimg_http_do(h, &rq, err, sizeof err) == CRIOIMG_ERR_CANCELLED && f.calls == 1);
            CHECK_STR(s.log, "200|Docker-Content-Digest=sha256:x|X-Empty=");
            CHECK_STR(err, "cancelled");
        }
        crioimg_http_close(h);
    }
}

#ifdef CRIOIMG_WITH_CURL
/* the libcurl backend's status lines (HTTP/2 has no minor version) */
static void test_curl_status_line(void)
{
    static const struct { const char *line; int code; } rows[] = {
        { "HTTP/1.1 200 OK", 200 }, { "HTTP/2 404 ", 404 }, { "HTTP/1.0 302", 302 }, { "HTTP/1.1 103 Early Hints", 103 },
        { "HTTP/1.1 20", -1 }, { "HTTP/1.1 2000 x", -1 }, { "HTTP/1.1 abc", -1 }, { "HTTP/1.1", -1 }, { "HTTP/1.1  200", -1 },
    };
    size_t i;
    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        tests_context = rows[i].line;
        CHECK(crioimg__curl_status_line(rows[i].line, strlen(rows[i].line)) == rows[i].code);
    }
}
#endif

/* ---- certificate directories, as containers/image finds and reads them ---- */

static void tls_put(const char *dir, const char *rel, const char *text)
{
    char path[512], cmd[700];
    FILE *f;
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    snprintf(cmd, sizeof cmd, "mkdir -p \"$(dirname '%s')\"", path);
    if (system(cmd) != 0) return;
    if (text && (f = fopen(path, "wb")) != NULL) { fputs(text, f); fclose(f); }
}

/* what a load found, as "ca:a.crt,b.crt cert:c.cert key:c.key" with paths relative to base */
static void tls_show(const crioimg_tls_files *t, const char *base, char *out, size_t cap)
{
    size_t i, bl = strlen(base), l = 0;
    out[0] = '\0';
    l += (size_t)snprintf(out + l, cap - l, "ca:");
    for (i = 0; i < t->config.nca_files; i++)
        l += (size_t)snprintf(out + l, cap - l, "%s%s", i ? "," : "", strncmp(t->config.ca_files[i], base, bl) == 0 ? t->config.ca_files[i] + bl + 1 : t->config.ca_files[i]);
    if (t->config.cert_file) l += (size_t)snprintf(out + l, cap - l, " cert:%s key:%s", t->config.cert_file + bl + 1, t->config.key_file + bl + 1);
}

static void test_tls_files(void)
{
    static const struct {
        const char *what;
        const char *files;        /* created under the temp dir, space-separated; a trailing '/' makes a directory */
        const char *cert_dir;     /* relative to the temp dir, or NULL */
        int roots;                /* 1: roots r1 r2 r3 under the temp dir; 0: none given */
        const char *host;
        crioimg_result want;
        const char *found;        /* as tls_show prints it */
        const char *err;
    } rows[] = {
        { "CA files only, in name order", "r1/h:5000/b.crt r1/h:5000/a.crt r1/h:5000/notes.txt r1/h:5000/c.pem", NULL, 1, "h:5000",
          CRIOIMG_OK, "ca:r1/h:5000/a.crt,r1/h:5000/b.crt", "" },
        { "client pair", "r1/h/client.cert r1/h/client.key r1/h/ca.crt", NULL, 1, "h", CRIOIMG_OK,
          "ca:r1/h/ca.crt cert:r1/h/client.cert key:r1/h/client.key", "" },
        { "two pairs: the first by name", "r1/h/b.cert r1/h/b.key r1/h/a.cert r1/h/a.key", NULL, 1, "h", CRIOIMG_OK,
          "ca: cert:r1/h/a.cert key:r1/h/a.key", "" },
        { "a certificate without its key", "r1/h/client.cert r1/h/ca.crt", NULL, 1, "h", CRIOIMG_ERR_TLS_FILES, NULL,
          "missing key client.key for client certificate client.cert. Note that CA certificates should use the extension .crt" },
        { "a key without its certificate", "r1/h/client.key", NULL, 1, "h", CRIOIMG_ERR_TLS_FILES, NULL,
          "missing client certificate client.cert for key client.key" },
        { "cert_dir is the directory itself, over the roots", "mine/x.crt r1/h/y.crt", "mine", 1, "h", CRIOIMG_OK, "ca:mine/x.crt", "" },
        { "the first root where the host exists wins", "r2/h/second.crt r3/h/third.crt r1/other/first.crt", NULL, 1, "h",
          CRIOIMG_OK, "ca:r2/h/second.crt", "" },
        { "an empty host directory still wins", "r1/h/ r2/h/second.crt", NULL, 1, "h", CRIOIMG_OK, "ca:", "" },
        { "no directory anywhere", "r1/other/x.crt", NULL, 1, "h", CRIOIMG_OK, "ca:", "" },
        { "a missing cert_dir", "", "nowhere", 1, "h", CRIOIMG_OK, "ca:", "" },
        { "a directory named like a CA is refused", "r1/h/dir.crt/", NULL, 1, "h", CRIOIMG_ERR_TLS_FILES, NULL, NULL },
        { "the host's entry is a file", "r1/h", NULL, 1, "h", CRIOIMG_ERR_TLS_FILES, NULL, NULL },
        { "a host that climbs out", "", NULL, 1, "..", CRIOIMG_ERR_INVALID_ARGS, NULL, NULL },
        { "a host with a slash", "", NULL, 1, "a/../../etc", CRIOIMG_ERR_INVALID_ARGS, NULL, NULL },
        { "an empty host", "", NULL, 1, "", CRIOIMG_ERR_INVALID_ARGS, NULL, NULL },
    };
    size_t i;
    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char dir[] = "/tmp/crioimg-tls-XXXXXX", files[512], *tok, *save = NULL, cmd[600], shown[512], err[256], cd[512];
        char r1[512], r2[512], r3[512];
        const char *roots[4];
        crioimg_tls_files t;
        crioimg_result r;
        tests_context = rows[i].what;
        if (!CHECK(mkdtemp(dir) != NULL)) return;
        snprintf(files, sizeof files, "%s", rows[i].files);
        for (tok = strtok_r(files, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
            size_t l = strlen(tok);
            if (tok[l - 1] == '/') { tok[l - 1] = '\0'; snprintf(cmd, sizeof cmd, "mkdir -p '%s/%s'", dir, tok); CHECK(system(cmd) == 0); }
            else tls_put(dir, tok, "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n");
        }
        snprintf(r1, sizeof r1, "%s/r1", dir); snprintf(r2, sizeof r2, "%s/r2", dir); snprintf(r3, sizeof r3, "%s/r3", dir);
        roots[0] = r1; roots[1] = r2; roots[2] = r3; roots[3] = NULL;
        if (rows[i].cert_dir) snprintf(cd, sizeof cd, "%s/%s", dir, rows[i].cert_dir);
        r = crioimg_tls_files_load(&t, rows[i].host, rows[i].cert_dir ? cd : NULL, roots, NULL, err, sizeof err);
        CHECK(r == rows[i].want);
        CHECK(t.config.insecure_skip_verify == 0);
        if (r == CRIOIMG_OK) { tls_show(&t, dir, shown, sizeof shown); CHECK_STR(shown, rows[i].found); }
        else { CHECK(t.config.nca_files == 0 && t.config.cert_file == NULL && t.arena == NULL); CHECK(err[0] != '\0'); }
        if (rows[i].err) CHECK_STR(err, rows[i].err);
        crioimg_tls_files_free(&t);
        CHECK(t.arena == NULL && t.config.nca_files == 0);
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        CHECK(system(cmd) == 0);
    }

    tests_context = "tls files: the default roots start at $HOME/.config/containers/certs.d; dangling links are skipped";
    {
        char dir[] = "/tmp/crioimg-tls-XXXXXX", cmd[600], shown[512], err[256], *saved_home = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
        crioimg_tls_files t;
        if (!CHECK(mkdtemp(dir) != NULL)) { free(saved_home); return; }
        tls_put(dir, ".config/containers/certs.d/reg.example:5000/home.crt", "x\n");
        snprintf(cmd, sizeof cmd, "ln -s '%s/gone' '%s/.config/containers/certs.d/reg.example:5000/dangling.crt'", dir, dir);
        CHECK(system(cmd) == 0);
        setenv("HOME", dir, 1);
        CHECK(crioimg_tls_files_load(&t, "reg.example:5000", NULL, NULL, NULL, err, sizeof err) == CRIOIMG_OK);
        tls_show(&t, dir, shown, sizeof shown);
        CHECK_STR(shown, "ca:.config/containers/certs.d/reg.example:5000/home.crt");
        crioimg_tls_files_free(&t);
        crioimg_tls_files_free(NULL);
        CHECK(crioimg_tls_files_load(NULL, "h", NULL, NULL, NULL, err, sizeof err) == CRIOIMG_ERR_INVALID_ARGS);
        if (saved_home) { setenv("HOME", saved_home, 1); free(saved_home); } else unsetenv("HOME");
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        CHECK(system(cmd) == 0);
    }
}

/* refuse_local_addresses: the address test itself, on bytes and on socket addresses, and the built-in
   transport refusing before it connects (no packet leaves: the refused addresses are never dialled;
   the one allowed case dials 127.0.0.1:9, loopback) */
static void test_refuse_local(void)
{
    static const struct { const char *ip; int forbidden; } rows[] = {
        { "0.0.0.0", 1 }, { "0.1.2.3", 1 }, { "169.254.169.254", 1 }, { "169.254.0.1", 1 }, { "127.0.0.1", 0 },
        { "10.0.0.1", 0 }, { "169.253.255.255", 0 }, { "169.255.0.0", 0 },
        { "::", 1 }, { "fe80::1", 1 }, { "febf::1", 1 }, { "fec0::1", 0 }, { "::ffff:169.254.169.254", 1 }, { "::ffff:0.0.0.0", 1 },
        { "::169.254.169.254", 1 }, { "64:ff9b::a9fe:a9fe", 1 }, { "::ffff:127.0.0.1", 0 }, { "::1", 0 }, { "2001:db8::1", 0 },
        /* cloud metadata services outside link-local, and RFC 8215's local-use NAT64 */
        { "100.100.100.200", 1 }, { "100.100.100.201", 0 }, { "fd00:ec2::254", 1 }, { "fd00:ec2::253", 0 },
        { "64:ff9b:1::a9fe:a9fe", 1 }, { "64:ff9b:1::a00:1", 0 }, { "::ffff:100.100.100.200", 1 },
    };
    size_t i;
    tests_context = "refuse_local_addresses";
    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        unsigned char b[16];
        unsigned long a;
        int v6 = strchr(rows[i].ip, ':') != NULL;
        if (v6) CHECK(crioimg__ip6_parse(rows[i].ip, strlen(rows[i].ip), b));
        else {
            CHECK(crioimg__http_inet_aton(rows[i].ip, strlen(rows[i].ip), &a));
            b[0] = (unsigned char)(a >> 24); b[1] = (unsigned char)(a >> 16); b[2] = (unsigned char)(a >> 8); b[3] = (unsigned char)a;
        }
        if (!CHECK(crioimg__http_ip_forbidden(b, v6 ? 16 : 4) == rows[i].forbidden)) fprintf(stderr, "  %s\n", rows[i].ip);
#if defined(CRIOIMG_WITH_CURL) || defined(CRIOIMG_WITH_MBEDTLS)
        if (v6) {
            struct sockaddr_in6 sa;
            memset(&sa, 0, sizeof sa);
            sa.sin6_family = AF_INET6;
            memcpy(sa.sin6_addr.s6_addr, b, 16);
            CHECK(crioimg__http_sockaddr_forbidden(&sa, sizeof sa) == rows[i].forbidden);
        } else {
            struct sockaddr_in sa;
            memset(&sa, 0, sizeof sa);
            sa.sin_family = AF_INET;
            memcpy(&sa.sin_addr, b, 4);
            CHECK(crioimg__http_sockaddr_forbidden(&sa, sizeof sa) == rows[i].forbidden);
            CHECK(crioimg__http_sockaddr_forbidden(&sa, 2) == 1);   /* too short to say: refused */
        }
#endif
    }
#if defined(CRIOIMG_WITH_CURL) || defined(CRIOIMG_WITH_MBEDTLS)
    {
        static const char *const refused[] = { "http://0.0.0.0:9/", "http://[::]:9/", "http://[::ffff:0.0.0.0]:9/", "https://0.0.0.0:9/" };
        crioimg_http *h = NULL;
        crioimg_http_request rq;
        char err[256];
        if (!CHECK(crioimg_http_open_default(&h, NULL) == CRIOIMG_OK)) return;
        for (i = 0; i < sizeof refused / sizeof refused[0]; i++) {
            memset(&rq, 0, sizeof rq);
            rq.url = refused[i];
            rq.connect_timeout_ms = 2000;
            rq.refuse_local_addresses = 1;
            if (!CHECK(crioimg_http_do(h, &rq, err, sizeof err) == CRIOIMG_ERR_HTTP_CONNECT) ||
                !CHECK(strstr(err, "unspecified or link-local") != NULL))
                fprintf(stderr, "  %s: %s\n", refused[i], err);
        }
        /* issue 13: a zeroed request refuses them too; allow_local_addresses lets the transport dial */
        for (i = 0; i < 2; i++) {
            memset(&rq, 0, sizeof rq);
            rq.url = "http://0.0.0.0:9/";
            rq.connect_timeout_ms = 2000;
            rq.idle_timeout_ms = 2000;
            rq.allow_local_addresses = (int)i;
            (void)crioimg_http_do(h, &rq, err, sizeof err);
            if (!CHECK((strstr(err, "unspecified or link-local") != NULL) == (i == 0))) fprintf(stderr, "  0.0.0.0, allow %d: %s\n", (int)i, err);
        }
        memset(&rq, 0, sizeof rq);   /* loopback passes the check (port 9 is closed, or answers: either way not refused by it) */
        rq.url = "http://127.0.0.1:9/";
        rq.connect_timeout_ms = 2000;
        rq.idle_timeout_ms = 2000;
        rq.refuse_local_addresses = 1;
        (void)crioimg_http_do(h, &rq, err, sizeof err);
        if (!CHECK(strstr(err, "unspecified or link-local") == NULL)) fprintf(stderr, "  127.0.0.1: %s\n", err);
        crioimg_http_close(h);
    }
#endif
}

static void test_http(void)
{
    test_url_parse();
    test_url_resolve();
    test_redirects_and_realms();
    test_retry_and_ranges();
    test_http_open();
    test_http_request_checks();
    test_http_guard();
    test_tls_files();
    test_refuse_local();
#ifdef CRIOIMG_WITH_CURL
    test_curl_status_line();
#endif
}
