/* WWW-Authenticate: one row a header. Params are written "name=value|name=value"; challenges are
   separated by " ; " in the expectation. The first three rows are containers/image's own test cases
   (docker/wwwauthenticate_test.go), which crioimg reads the same way. */

typedef struct auth_case { const char *header; crioimg_result want; const char *expect; } auth_case;

static const auth_case auth_cases[] = {
    { "Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\",scope=\"repository:library/busybox:pull\"", CRIOIMG_OK,
      "bearer: realm=https://auth.docker.io/token|service=registry.docker.io|scope=repository:library/busybox:pull" },
    { "Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\",scope=\"repository:library/busybox:pull,push\"", CRIOIMG_OK,
      "bearer: realm=https://auth.docker.io/token|service=registry.docker.io|scope=repository:library/busybox:pull,push" },
    { "Bearer realm=\"http://127.0.0.1:5000/openshift/token\"", CRIOIMG_OK, "bearer: realm=http://127.0.0.1:5000/openshift/token" },
    /* several challenges in one header (RFC 7235), which containers/image does not read */
    { "Bearer realm=\"https://a/token\",service=\"s\", Basic realm=\"r\"", CRIOIMG_OK, "bearer: realm=https://a/token|service=s ; basic: realm=r" },
    { "Basic realm=\"x\", Bearer realm=\"y\",scope=\"a,b\"", CRIOIMG_OK, "basic: realm=x ; bearer: realm=y|scope=a,b" },
    { "Basic, Bearer realm=y", CRIOIMG_OK, "basic: ; bearer: realm=y" },
    { "Negotiate abc123==, Basic realm=r", CRIOIMG_OK, "negotiate: =abc123== ; basic: realm=r" },
    { "Negotiate", CRIOIMG_OK, "negotiate:" },
    /* case, whitespace, empty list elements, token values, escapes */
    { "BEARER Realm=\"x\" , SERVICE = y", CRIOIMG_OK, "bearer: realm=x|service=y" },
    { " ,, Bearer realm=x,,, service=y ,", CRIOIMG_OK, "bearer: realm=x|service=y" },
    { "Bearer realm=\"a\\\"b\\\\c\\,d\"", CRIOIMG_OK, "bearer: realm=a\"b\\c,d" },
    { "Bearer realm=\"\"", CRIOIMG_OK, "bearer: realm=" },
    { "Bearer error=\"insufficient_scope\",scope=\"repository:a:pull\"", CRIOIMG_OK, "bearer: error=insufficient_scope|scope=repository:a:pull" },
    { "", CRIOIMG_OK, "" },
    /* malformed */
    { "Bearer realm=\"unterminated", CRIOIMG_ERR_AUTH_CHALLENGE, NULL },
    { "Bearer realm=\"a\",realm=\"b\"", CRIOIMG_ERR_AUTH_CHALLENGE, NULL },   /* a parameter once per challenge */
    { "Bearer realm=\"a\" junk", CRIOIMG_ERR_AUTH_CHALLENGE, NULL },
    { "Bearer =x", CRIOIMG_ERR_AUTH_CHALLENGE, NULL },
    { "\"Bearer\"", CRIOIMG_ERR_AUTH_CHALLENGE, NULL },
    { "Bearer realm=\"a\x01b\"", CRIOIMG_ERR_AUTH_CHALLENGE, NULL },
    { "Bearer\x01", CRIOIMG_ERR_AUTH_CHALLENGE, NULL },
    { "Bearer realm=\"a\\\x7f\"", CRIOIMG_ERR_AUTH_CHALLENGE, NULL },   /* found by the fuzzer: a quoted DEL */
    { "Bearer a=1,b=2,c=3,d=4,e=5,f=6,g=7,h=8,i=9,j=10,k=11,l=12,m=13,n=14,o=15,p=16,q=17", CRIOIMG_ERR_AUTH_CHALLENGE, NULL },
};

/* the challenges written back in the expectation's form */
static void auth_render(const crioimg_auth_challenge *c, size_t n, char *out, size_t cap)
{
    crioimg__out o;
    size_t i, k;
    o.p = out; o.cap = cap; o.len = 0;
    out[0] = '\0';
    for (i = 0; i < n; i++) {
        if (i) crioimg__out_str(&o, " ; ");
        crioimg__out_str(&o, c[i].scheme);
        crioimg__out_str(&o, c[i].token68 || c[i].nparams ? ": " : ":");
        if (c[i].token68) { crioimg__out_str(&o, "="); crioimg__out_str(&o, c[i].token68); }
        for (k = 0; k < c[i].nparams; k++) {
            if (k) crioimg__out_str(&o, "|");
            crioimg__out_str(&o, c[i].names[k]);
            crioimg__out_str(&o, "=");
            crioimg__out_str(&o, c[i].values[k]);
        }
    }
}

static void test_auth(void)
{
    size_t i, n;
    crioimg_auth_challenge ch[8];
    char buf[1024], got[1024];
    for (i = 0; i < sizeof auth_cases / sizeof auth_cases[0]; i++) {
        const auth_case *c = &auth_cases[i];
        crioimg_result r = crioimg_www_authenticate_parse(c->header, strlen(c->header), ch, 8, &n, buf, sizeof buf);
        tests_context = c->header;
        CHECK(r == c->want);
        if (r == CRIOIMG_OK && c->expect) {
            auth_render(ch, n, got, sizeof got);
            CHECK_STR(got, c->expect);
        }
    }
    tests_context = "lookup and limits";
    {
        static const char h[] = "Bearer realm=\"r\",service=\"s\"";
        CHECK(crioimg_www_authenticate_parse(h, sizeof h - 1, ch, 8, &n, buf, sizeof buf) == CRIOIMG_OK && n == 1);
        CHECK_STR(crioimg_auth_challenge_param(&ch[0], "service"), "s");
        CHECK(crioimg_auth_challenge_param(&ch[0], "scope") == NULL);
        CHECK(crioimg_www_authenticate_parse(h, sizeof h - 1, ch, 8, &n, buf, 8) == CRIOIMG_ERR_BUFFER_TOO_SMALL);
        CHECK(crioimg_www_authenticate_parse("A, B, C", 7, ch, 2, &n, buf, sizeof buf) == CRIOIMG_ERR_AUTH_CHALLENGE);
        CHECK(crioimg_www_authenticate_parse(h, sizeof h - 1, NULL, 8, &n, buf, sizeof buf) == CRIOIMG_ERR_INVALID_ARGS);
    }
}
