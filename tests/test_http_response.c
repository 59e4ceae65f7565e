/* The built-in transport's HTTP/1.1 response parser (src/http_mbedtls.c): one row a response, each fed
   all at once and one byte at a time (the answers must agree), with the recording sink of
   fuzz/fuzz_http_response.c. */

static void test_http_response_rows(void)
{
    static const struct {
        const char *in;
        int head;
        crioimg_result r;
        int code;
        const char *fields, *body;   /* what the sink got (checked when r is OK) */
        int close;                   /* the connection cannot be reused */
    } rows[] = {
        /* framing */
        { "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A:  b c \t\r\n\r\nhello", 0, CRIOIMG_OK, 200, "Content-Length: 5\nX-A: b c\n", "hello", 0 },
        { "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 0, CRIOIMG_OK, 200, "Content-Length: 0\n", "", 0 },
        { "HTTP/1.1 404\r\nContent-Length: 2\r\n\r\nno", 0, CRIOIMG_OK, 404, "Content-Length: 2\n", "no", 0 },   /* no reason phrase */
        { "HTTP/1.1 200 OK\r\n\r\nuntil close", 0, CRIOIMG_OK, 200, "", "until close", 1 },
        { "HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx", 0, CRIOIMG_OK, 200, "Content-Length: 1\n", "x", 1 },
        { "HTTP/1.1 200 OK\r\nConnection: keep-alive, Close\r\nContent-Length: 1\r\n\r\nx", 0, CRIOIMG_OK, 200, "Connection: keep-alive, Close\nContent-Length: 1\n", "x", 1 },
        { "HTTP/1.1 200 OK\r\nConnection: closed\r\nContent-Length: 0\r\n\r\n", 0, CRIOIMG_OK, 200, "Connection: closed\nContent-Length: 0\n", "", 0 },
        /* no body: HEAD, 204, 304, whatever the fields say */
        { "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", 1, CRIOIMG_OK, 200, "Content-Length: 10\n", "", 0 },
        { "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", 1, CRIOIMG_OK, 200, "Transfer-Encoding: chunked\n", "", 0 },
        { "HTTP/1.1 204 No Content\r\n\r\n", 0, CRIOIMG_OK, 204, "", "", 0 },
        { "HTTP/1.1 304 Not Modified\r\nContent-Length: 7\r\n\r\n", 0, CRIOIMG_OK, 304, "Content-Length: 7\n", "", 0 },
        /* chunked: extensions ignored, upper and lower case hex, trailers skipped */
        { "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-T: 1\r\n\r\n", 0, CRIOIMG_OK, 200,
          "Transfer-Encoding: chunked\n", "hello world", 0 },
        { "HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\nA\r\n0123456789\r\nb \r\nabcdefghijk\r\n000\r\n\r\n", 0, CRIOIMG_OK, 200,
          "Transfer-Encoding: Chunked\n", "0123456789abcdefghijk", 0 },
        /* interim responses are skipped, their fields too */
        { "HTTP/1.1 100 Continue\r\nX-I: 1\r\n\r\nHTTP/1.1 103 Early Hints\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 0, CRIOIMG_OK, 200,
          "Content-Length: 2\n", "ok", 0 },
        { "HTTP/1.1 101 Switching Protocols\r\n\r\n", 0, CRIOIMG_ERR_HTTP_PROTOCOL, 0, NULL, NULL, 0 },
        /* status lines */
        { "HTTP/2 200 OK\r\n\r\n", 0, CRIOIMG_ERR_HTTP_PROTOCOL, 0, NULL, NULL, 0 },
        { "HTTP/1.2 200 OK\r\n\r\n", 0, CRIOIMG_ERR_HTTP_PROTOCOL, 0, NULL, NULL, 0 },
        { "http/1.1 200 OK\r\n\r\n", 0, CRIOIMG_ERR_HTTP_PROTOCOL, 0, NULL, NULL, 0 },
        { "HTTP/1.1 20 OK\r\n\r\n", 0, CRIOIMG_ERR_HTTP_PROTOCOL, 0, NULL, NULL, 0 },
        { "HTTP/1.1 2000 OK\r\n\r\n", 0, CRIOIMG_ERR_HTTP_PROTOCOL, 0, NULL, NULL, 0 },
        { "HTTP/1.1 600 X\r\n\r\n", 0, CRIOIMG_ERR_HTTP_PROTOCOL, 0, NULL, NULL, 0 },
        { "HTTP/1.1 099 X\r\n\r\n", 0, CRIOIMG_ERR_HTTP_PROTOCOL, 0, NULL, NULL, 0 },
        { "HTTP/1.1  200 OK\r\n\r\n", 0, CRIOIMG_ERR_HTTP_PROTOCOL, 0, NULL, NULL, 0 },
        { "HTTP/1.1 200 O\x01K\r\n\r\n", 0, CRIOIMG_ERR_HTTP_PROTOCOL, 0, NULL, NULL, 0 },
        { "ICY 200 OK\r\n\r\n", 0, CRIOIMG_ERR_HTTP_PROTOCOL, 0, NULL, NULL, 0 },
        { "\r\nHTTP/1.1 200 OK\r\n\r\n", 0, CRIOIMG_ERR_HTTP_PROTOCOL, 0, NULL, NULL, 0 },
        /* missing CRLF */
        { "HTTP/1.1 200 OK\nContent-Length: 0\n\n", 0, CRIOIMG_ERR_HTTP_PROTOCOL, 0, NULL, NULL, 0 },
        { "HTTP/1.1 200 OK\r\nA: b\n\r\n", 0, CRIOIMG_ERR_HTTP_PROTOCOL, 0, NULL, NULL, 0 },
        { "HTTP/1.1 200 OK\r\nA: b\r\n\n", 0, CRIOIMG_ERR_HTTP_PROTOCOL, 0, NULL, NULL, 0 },
        { "HTTP/1.1 200 OK\r\nA: b\rc\r\n\r\n", 0, CRIOIMG_ERR_HTTP_PROTOCOL, 0, NULL, NULL, 0 },
        /* header fields */
        { "HTTP/1.1 200 OK\r\nA: b\r\n c\r\n\r\n", 0, CRIOIMG_ERR_HTTP_PROTOCOL, 0, NULL, NULL, 0 },       /* obs-fold */
        { "HTTP/1.1 200 OK\r\nA: b\r\n\tc\r\n\r\n", 0, CRIOIMG_ERR_HTTP_PROTOCOL, 0, NULL, NULL, 0 },
        { "HTTP/1.1 200 OK\r\n Content-Length: 1\r\n\r\nx", 0, CRIOIMG_ERR_HTTP_PROTOCOL, 0, NULL, NULL, 0 },
        { "HTTP/1.1 200 OK\r\nContent-Length : 1\r\n\r\nx", 0, CRIOIMG_ERR_HTTP_PROTOCOL, 0, NULL, NULL, 0 },  /* white space before ':' */
        { "HTTP/1.1 200 OK\r\nAb\r\n\r\n", 0, CRIOIMG_ERR_HTTP_PROTOCOL, 0, NULL, NULL, 0 },
        { "HTTP/1.1 200 OK\r\n: b\r\n\r\n", 0, CRIOIMG_ERR_HTTP_PROTOCOL, 0, NULL, NULL, 0 },
        { "HTTP/1.1 200 OK\r\nA(b): c\r\n\r\n", 0, CRIOIMG_ERR_HTTP_PROTOCOL, 0, NULL, NULL, 0 },
        { "HTTP/1.1 200 OK\r\nA: b\x01\r\n\r\n", 0, CRIOIMG_ERR_HTTP_PROTOCOL, 0, NULL, NULL, 0 },
        { "HTTP/1.1 200 OK\r\nA: b\x7f\r\n\r\n", 0, CRIOIMG_ERR_HTTP_PROTOCOL, 0, NULL, NULL, 0 },
        { "HTTP/1.1 200 OK\r\nA: caf\xc3\xa9\r\nContent-Length: 0\r\n\r\n", 0, CRIOIMG_OK, 200, "A: caf\xc3\xa9\nContent-Length: 0\n", "", 0 },
        { "HTTP/1.1 200 OK\r\nA:\r\nContent-Length: 0\r\n\r\n", 0, CRIOIMG_OK, 200, "A: \nContent-Length: 0\n", "", 0 },
        /* Content-Length: one, digits only; never with Transfer-Encoding */
        { "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx", 0, CRIOIMG_ERR_HTTP_PROTOCOL, 0, NULL, NULL, 0 },
        { "HTTP/1.1 200 OK\r\nContent-Length: 1\r\ncontent-length: 2\r\n\r\nxy", 0, CRIOIMG_ERR_HTTP_PROTOCOL, 0, NULL, NULL, 0 },
        { "HTTP/1.1 200 OK\r\nContent-Length: 1, 1\r\n\r\nx", 0, CRIOIMG_ERR_HTTP_PROTOCOL, 0, NULL, NULL, 0 },
        { "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", 0, CRIOIMG_ERR_HTTP_PROTOCOL, 0, NULL, NULL, 0 },
        { "HTTP/1.1 200 OK\r\nContent-Length: +1\r\n\r\nx", 0, CRIOIMG_ERR_HTTP_PROTOCOL, 0, NULL, NULL, 0 },
        { "HTTP/1.1 200 OK\r\nContent-Length: 0x1\r\n\r\nx", 0, CRIOIMG_ERR_HTTP_PROTOCOL, 0, NULL, NULL, 0 },
        { "HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n", 0, CRIOIMG_ERR_HTTP_PROTOCOL, 0, NULL, NULL, 0 },
        { "HTTP/1.1 200 OK\r\nContent-Length: 1234567890123456789\r\n\r\n", 0, CRIOIMG_ERR_HTTP_PROTOCOL, 0, NULL, NULL, 0 },
        { "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 0, CRIOIMG_ERR_HTTP_PROTOCOL, 0, NULL, NULL, 0 },
        { "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n", 0, CRIOIMG_ERR_HTTP_PROTOCOL, 0, NULL, NULL, 0 },
        { "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", 0, CRIOIMG_ERR_HTTP_PROTOCOL, 0, NULL, NULL, 0 },
        { "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 0, CRIOIMG_ERR_HTTP_PROTOCOL, 0, NULL, NULL, 0 },
        { "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 0, CRIOIMG_ERR_HTTP_PROTOCOL, 0, NULL, NULL, 0 },
        /* chunk sizes */
        { "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 0, CRIOIMG_ERR_HTTP_PROTOCOL, 0, NULL, NULL, 0 },
        { "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\r\n", 0, CRIOIMG_ERR_HTTP_PROTOCOL, 0, NULL, NULL, 0 },
        { "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n", 0, CRIOIMG_ERR_HTTP_PROTOCOL, 0, NULL, NULL, 0 },
        { "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n", 0, CRIOIMG_ERR_HTTP_PROTOCOL, 0, NULL, NULL, 0 },
        { "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1 x\r\n", 0, CRIOIMG_ERR_HTTP_PROTOCOL, 0, NULL, NULL, 0 },
        { "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\n", 0, CRIOIMG_ERR_HTTP_PROTOCOL, 0, NULL, NULL, 0 },
        { "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffffff\r\n", 0, CRIOIMG_ERR_HTTP_PROTOCOL, 0, NULL, NULL, 0 },
        { "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n", 0, CRIOIMG_ERR_HTTP_PROTOCOL, 0, NULL, NULL, 0 },
        { "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n", 0, CRIOIMG_ERR_HTTP_PROTOCOL, 0, NULL, NULL, 0 },
        { "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n folded\r\n\r\n", 0, CRIOIMG_ERR_HTTP_PROTOCOL, 0, NULL, NULL, 0 },
        /* cut short: the connection's fault, not the protocol's */
        { "", 0, CRIOIMG_ERR_HTTP_CONNECT, 0, NULL, NULL, 0 },
        { "HTTP/1.1 200 OK\r\nContent-Le", 0, CRIOIMG_ERR_HTTP_CONNECT, 0, NULL, NULL, 0 },
        { "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", 0, CRIOIMG_ERR_HTTP_CONNECT, 0, NULL, NULL, 0 },
        { "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n", 0, CRIOIMG_ERR_HTTP_CONNECT, 0, NULL, NULL, 0 },
        { "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: 1\r\n", 0, CRIOIMG_ERR_HTTP_CONNECT, 0, NULL, NULL, 0 },
    };
    static fuzz_h1_rec a, b;
    char *line = (char *)malloc(CRIOIMG__H1_LINE_MAX), ea[128], eb[128];
    size_t i, ua, ub;
    int ca, cb;
    if (!CHECK(line != NULL)) return;
    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        size_t n = strlen(rows[i].in);
        crioimg_result ra, rb;
        tests_context = rows[i].in;
        ra = fuzz_h1_run(rows[i].in, n, rows[i].head, 0, &a, line, &ua, &ca, ea, sizeof ea);
        rb = fuzz_h1_run(rows[i].in, n, rows[i].head, 1, &b, line, &ub, &cb, eb, sizeof eb);
        CHECK(ra == rows[i].r);
        CHECK(rb == ra && a.hash == b.hash && strcmp(ea, eb) == 0);
        CHECK(!a.misordered && !b.misordered);
        if (ra != CRIOIMG_OK) { CHECK(ea[0] != '\0'); continue; }
        CHECK(a.code == rows[i].code && a.nstatus == 1);
        CHECK_STR(a.fields, rows[i].fields);
        CHECK_STR(a.body, rows[i].body);
        CHECK(ca == rows[i].close && cb == ca);
        CHECK(ua == n && ub == n);
    }
    /* and through the fuzz target's own checks, in pieces of 1 to 4 bytes (it aborts on a violation) */
    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        size_t n = strlen(rows[i].in), k;
        uint8_t *buf = (uint8_t *)malloc(n + 1);
        if (!CHECK(buf != NULL)) break;
        memcpy(buf + 1, rows[i].in, n);
        for (k = 0; k < 8; k++) { buf[0] = (uint8_t)((k >> 1) << 1 | (unsigned)rows[i].head); CHECK(fuzz_http_response(buf, n + 1) == 0); }
        free(buf);
    }
    free(line);
}

/* Field and header-block limits, at the edge and one byte past it; bytes after a response; a sink
   that stops the transfer. */
static void test_http_response_limits(void)
{
    static fuzz_h1_rec rec;
    const size_t max = CRIOIMG_HTTP_HEADER_MAX;
    size_t cap = 6 * max, n, used, k;
    char *in = (char *)malloc(cap), *line = (char *)malloc(CRIOIMG__H1_LINE_MAX), err[128];
    int close;
    if (!CHECK(in != NULL && line != NULL)) { free(in); free(line); return; }

    tests_context = "a field of exactly CRIOIMG_HTTP_HEADER_MAX bytes";
    n = (size_t)sprintf(in, "HTTP/1.1 200 OK\r\nX: ");
    memset(in + n, 'v', max - 1); n += max - 1;
    n += (size_t)sprintf(in + n, "\r\nContent-Length: 0\r\n\r\n");
    CHECK(fuzz_h1_run(in, n, 0, 0, &rec, line, &used, &close, err, sizeof err) == CRIOIMG_OK);
    CHECK(rec.nheaders == 2);
    tests_context = "a field one byte over";
    n = (size_t)sprintf(in, "HTTP/1.1 200 OK\r\nX: ");
    memset(in + n, 'v', max); n += max;
    n += (size_t)sprintf(in + n, "\r\nContent-Length: 0\r\n\r\n");
    CHECK(fuzz_h1_run(in, n, 0, 0, &rec, line, &used, &close, err, sizeof err) == CRIOIMG_ERR_HTTP_PROTOCOL);
    CHECK(rec.nheaders == 0);
    tests_context = "a line longer than the line buffer";
    n = (size_t)sprintf(in, "HTTP/1.1 200 OK\r\nX: ");
    memset(in + n, 'v', CRIOIMG__H1_LINE_MAX + 10); n += CRIOIMG__H1_LINE_MAX + 10;
    CHECK(fuzz_h1_run(in, n, 0, 7, &rec, line, &used, &close, err, sizeof err) == CRIOIMG_ERR_HTTP_PROTOCOL);
    CHECK_STR(err, "a response header field over 64 KiB");
    tests_context = "a header block over the cap, made of fields under theirs";
    n = (size_t)sprintf(in, "HTTP/1.1 200 OK\r\n");
    for (k = 0; k < 5; k++) {
        n += (size_t)sprintf(in + n, "X%u: ", (unsigned)k);
        memset(in + n, 'v', max - 10); n += max - 10;
        n += (size_t)sprintf(in + n, "\r\n");
    }
    n += (size_t)sprintf(in + n, "Content-Length: 0\r\n\r\n");
    CHECK(fuzz_h1_run(in, n, 0, 0, &rec, line, &used, &close, err, sizeof err) == CRIOIMG_ERR_HTTP_PROTOCOL);
    CHECK(strstr(err, "header block") != NULL);
    tests_context = "too many interim responses";
    for (n = 0, k = 0; k < 40; k++) n += (size_t)sprintf(in + n, "HTTP/1.1 100 Continue\r\n\r\n");
    n += (size_t)sprintf(in + n, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    CHECK(fuzz_h1_run(in, n, 0, 0, &rec, line, &used, &close, err, sizeof err) == CRIOIMG_ERR_HTTP_PROTOCOL);
    tests_context = "bytes after the response are not consumed";
    n = (size_t)sprintf(in, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n");
    CHECK(fuzz_h1_run(in, n, 0, 0, &rec, line, &used, &close, err, sizeof err) == CRIOIMG_OK);
    CHECK(used == n - 17 && rec.body_len == 2);
    tests_context = "a sink that stops the transfer";
    n = (size_t)sprintf(in, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    for (k = 1; k <= 3; k++) {
        rec.stop_at = k;
        CHECK(fuzz_h1_run(in, n, 0, 1, &rec, line, &used, &close, err, sizeof err) == CRIOIMG_ERR_CANCELLED);
        CHECK(rec.events == k && strstr(err, "stopped") != NULL);
    }
    rec.stop_at = 0;
    free(in);
    free(line);
}

/* crioimg_http_open_mbedtls: ERR_HTTP_NO_TRANSPORT in a build without mbedtls; with it, an allocator
   that fails each allocation in turn gives ERR_NOMEM and leaks nothing (the sanitizer build checks). */
static void *t_mt_alloc(size_t n, void *u) { size_t *left = (size_t *)u; if (*left == 0) return NULL; --*left; return malloc(n); }
#ifdef CRIOIMG_WITH_MBEDTLS
static void *t_mt_realloc(void *p, size_t n, void *u) { size_t *left = (size_t *)u; if (*left == 0) return NULL; --*left; return realloc(p, n); }
static void t_mt_free(void *p, void *u) { (void)u; free(p); }
#endif

static void test_http_open_mbedtls(void)
{
    crioimg_http *h = (crioimg_http *)&h;
    crioimg_allocator half;
    tests_context = "crioimg_http_open_mbedtls";
    memset(&half, 0, sizeof half);
    half.alloc = t_mt_alloc;
    CHECK(crioimg_http_open_mbedtls(NULL, NULL) != CRIOIMG_OK);
    CHECK(crioimg_http_open_mbedtls(&h, &half) != CRIOIMG_OK && h == NULL);  /* all three functions or none */
#ifndef CRIOIMG_WITH_MBEDTLS
    CHECK(crioimg_http_open_mbedtls(&h, NULL) == CRIOIMG_ERR_HTTP_NO_TRANSPORT && h == NULL);
#else
    size_t fail_at;
    CHECK(crioimg_http_open_mbedtls(&h, NULL) == CRIOIMG_OK && h != NULL);
    crioimg_http_close(h);
    for (fail_at = 0; fail_at < 8; fail_at++) {
        size_t left = fail_at;
        crioimg_allocator a;
        crioimg_result r;
        a.alloc = t_mt_alloc; a.realloc = t_mt_realloc; a.free = t_mt_free; a.user = &left;
        r = crioimg_http_open_mbedtls(&h, &a);
        CHECK(r == CRIOIMG_OK || (r == CRIOIMG_ERR_NOMEM && h == NULL));
        if (r == CRIOIMG_OK) {
            /* a request that fails before the network (no allocation may leak on the way either) */
            crioimg_http_request rq;
            char err[128];
            memset(&rq, 0, sizeof rq);
            rq.url = "ftp://127.0.0.1/";
            CHECK(crioimg_http_do(h, &rq, err, sizeof err) == CRIOIMG_ERR_UNSUPPORTED && err[0] != '\0');  /* as every transport */
            crioimg_http_close(h);
        }
    }
#endif
}

static void test_http_response(void)
{
    test_http_response_rows();
    test_http_response_limits();
    test_http_open_mbedtls();
}
