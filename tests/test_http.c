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
        { "https://r.io/v2/a", "https://u:p@r.io/x", 1, CRIOIMG_OK, 0 },        /* userinfo in the target: no Authorization */
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

static void test_http(void)
{
    test_url_parse();
    test_url_resolve();
    test_redirects_and_realms();
    test_retry_and_ranges();
}
