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

static void test_auth_challenges(void)
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
    {   /* issue 10: a NUL anywhere in a challenge (raw, quoted, escaped, in a token) refuses it: the
           values are C strings, and "realm=\"https://a\0.evil\"" must not read as "https://a" */
        static const struct { const char *h; size_t n; } nul[] = {
            { "Bearer realm=\"a\0b\"", 18 }, { "Bearer realm=\"a\\\0b\"", 19 }, { "Bearer realm=a\0b", 16 },
            { "Bearer\0 realm=\"a\"", 17 }, { "Negotiate ab\0c", 14 }, { "Bearer realm=\"a\",\0", 18 },
        };
        for (i = 0; i < sizeof nul / sizeof nul[0]; i++) {
            tests_context = "NUL in a challenge";
            CHECK(crioimg_www_authenticate_parse(nul[i].h, nul[i].n, ch, 8, &n, buf, sizeof buf) == CRIOIMG_ERR_AUTH_CHALLENGE);
        }
    }
}

/* containers/image pkg/docker/config: its testdata files (as data) and its TestGetAuth*, refpath and
   legacy cases, for one file at a time (the file order is crioimg_auth_file_paths' business). */
static const char authf_example[] = "{\n  \"auths\": {\n    \"example.org\": {\n      \"auth\": \"ZXhhbXBsZTpvcmc=\"\n    }\n  }\n}\n";
static const char authf_example_identitytoken[] = "{\n    \"auths\": {\n        \"example.org\": {\n            \"auth\": \"MDAwMDAwMDAtMDAwMC0wMDAwLTAwMDAtMDAwMDAwMDAwMDAwOg==\",\n            \"identitytoken\": \"some very long identity token\"\n        }\n    }\n}";
static const char authf_empty[] = "{}\n";
static const char authf_full[] = "{\n  \"auths\": {\n    \"example.org\": {\n      \"auth\": \"ZXhhbXBsZTpvcmc=\"\n    },\n    \"index.docker.io\": {\n      \"auth\": \"aW5kZXg6ZG9ja2VyLmlv\"\n    },\n    \"docker.io\": {\n      \"auth\": \"ZG9ja2VyOmlv\"\n    },\n    \"localhost\": {\n      \"auth\": \"bG9jYWw6aG9zdA==\"\n    },\n    \"localhost:5000\": {\n      \"auth\": \"bG9jYWw6aG9zdC01MDAw\"\n    },\n    \"10.10.30.45\": {\n      \"auth\": \"MTAuMTA6MzAuNDU=\"\n    },\n    \"10.10.30.45:5000\": {\n      \"auth\": \"MTAuMTA6MzAuNDUtNTAwMA==\"\n    },\n    \"https://normalize.example.org/v1\": {\n      \"auth\": \"bm9ybWFsaXplOmV4YW1wbGU=\"\n    }\n  }\n}\n";
static const char authf_abnormal[] = "{\n  \"auths\": {\n    \"example.org\": {\n      \"auth\": \"ZXhhbXBsZTpvcmc=\"\n    },\n    \"https://index.docker.io/v1\": {\n      \"auth\": \"aW5kZXg6ZG9ja2VyLmlv\"\n    },\n    \"https://127.0.0.1:5000\": {\n      \"auth\": \"MTI3LjA6MC4xLTUwMDA=\"\n    },\n    \"http://localhost\": {\n      \"auth\": \"bG9jYWw6aG9zdA==\"\n    },\n    \"https://localhost:5001\": {\n      \"auth\": \"bG9jYWw6aG9zdC01MDAx\"\n    },\n    \"localhost:5000\": {\n      \"auth\": \"bG9jYWw6aG9zdC01MDAw\"\n    }\n  }\n}\n";
static const char authf_refpath[] = "{\n  \"auths\": {\n    \"example.org/repo\": { \"auth\": \"ZXhhbXBsZTpvcmc=\" },\n    \"example.org\": { \"auth\": \"bG9jYWw6aG9zdA==\" },\n    \"docker.io/vendor\": { \"auth\": \"Zmlyc3Q6bGV2ZWw=\"},\n    \"docker.io\": { \"auth\": \"dG9wOmxldmVs\"},\n    \"docker.io/library/busybox\": { \"auth\": \"bGlicmFyeTpidXN5Ym94\" },\n    \"docker.io/library\": { \"auth\": \"bGlicmFyeTpvdGhlcg==\" }\n  }\n}\n";
static const char authf_legacy[] = "{\n  \"http://index.docker.io/v1\": {\n    \"auth\": \"ZG9ja2VyOmlvLWxlZ2FjeQ==\"\n  },\n  \"https://localhost/v1\": {\n    \"auth\": \"bG9jYWw6aG9zdC1sZWdhY3k=\"\n  }\n}\n";

typedef struct authf_case { const char *file, *key; int legacy; const char *user, *pass, *token; crioimg_result want; } authf_case;
static const authf_case authf_cases[] = {
    { authf_example, "index.docker.io", 0, NULL, NULL, NULL, CRIOIMG_OK },
    { authf_example, "example.org", 0, "example", "org", NULL, CRIOIMG_OK },
    { authf_example, "registry.example.org", 0, NULL, NULL, NULL, CRIOIMG_OK },
    { authf_full, "docker.io", 0, "docker", "io", NULL, CRIOIMG_OK },
    { authf_abnormal, "docker.io", 0, "index", "docker.io", NULL, CRIOIMG_OK },
    { authf_full, "normalize.example.org", 0, "normalize", "example", NULL, CRIOIMG_OK },
    { authf_full, "localhost", 0, "local", "host", NULL, CRIOIMG_OK },
    { authf_full, "10.10.30.45:5000", 0, "10.10", "30.45-5000", NULL, CRIOIMG_OK },
    { authf_abnormal, "localhost:5000", 0, "local", "host-5000", NULL, CRIOIMG_OK },
    { authf_example_identitytoken, "example.org", 0, "00000000-0000-0000-0000-000000000000", "", "some very long identity token", CRIOIMG_OK },
    { authf_empty, "localhost:5000", 0, NULL, NULL, NULL, CRIOIMG_OK },
    { authf_refpath, "example.org/repo/image", 0, "example", "org", NULL, CRIOIMG_OK },
    { authf_refpath, "example.org/repo", 0, "example", "org", NULL, CRIOIMG_OK },
    { authf_refpath, "example.org/image", 0, "local", "host", NULL, CRIOIMG_OK },
    { authf_refpath, "docker.io/library/busybox", 0, "library", "busybox", NULL, CRIOIMG_OK },
    { authf_refpath, "docker.io/library/notbusybox", 0, "library", "other", NULL, CRIOIMG_OK },
    { authf_refpath, "docker.io/vendor/product", 0, "first", "level", NULL, CRIOIMG_OK },
    { authf_refpath, "docker.io/vendor", 0, "first", "level", NULL, CRIOIMG_OK },
    { authf_refpath, "docker.io/other-vendor/other-product", 0, "top", "level", NULL, CRIOIMG_OK },
    { authf_legacy, "docker.io", 1, "docker", "io-legacy", NULL, CRIOIMG_OK },
    { authf_legacy, "localhost", 1, "local", "host-legacy", NULL, CRIOIMG_OK },
    { authf_legacy, "example.org", 1, NULL, NULL, NULL, CRIOIMG_OK },
    /* crioimg's own: bad files, helpers, odd entries */
    { "{\"auths\":{\"a.io\":{\"auth\":\"!!\"}}}", "a.io", 0, NULL, NULL, NULL, CRIOIMG_ERR_INVALID_ARGS },
    { "{\"credHelpers\":{\"a.io\":\"secretservice\"}}", "a.io/x", 0, NULL, NULL, NULL, CRIOIMG_ERR_UNSUPPORTED },
    { "{\"auths\":{\"a.io\":{\"auth\":\"bm9jb2xvbg==\"},\"https://a.io/v1/\":{\"auth\":\"dTpw\"}}}", "a.io", 0, NULL, NULL, NULL, CRIOIMG_OK },  /* "nocolon": the entry decides, with nothing */
    { "{\"auths\":{\"a.io\":{\"auth\":\"dTpwAAA=\"}}}", "a.io", 0, "u", "p", NULL, CRIOIMG_OK },  /* "u:p\\0\\0": NULs trimmed */
    { "{\"auths\":{\"a.io\":{\"auth\":\"dTpw\\nOnE=\"}}}", "a.io", 0, "u", "p:q", NULL, CRIOIMG_OK },  /* Go skips newlines in base64 */
    { "[]", "a.io", 0, NULL, NULL, NULL, CRIOIMG_ERR_JSON_TYPE },
    /* from a review: Go's decoding, a map keeps the last repeated key and struct fields fold */
    { "{\"auths\":{\"r.io\":{\"auth\":\"QTph\"},\"r.io\":{\"auth\":\"Qjpi\"}}}", "r.io", 0, "B", "b", NULL, CRIOIMG_OK },
    { "{\"Auths\":{\"r.io\":{\"Auth\":\"QTph\",\"IdentityToken\":\"t\"}}}", "r.io", 0, "A", "a", "t", CRIOIMG_OK },
    { "{\"credhelpers\":{\"r.io\":\"pass\"},\"auths\":{\"r.io\":{\"auth\":\"QTph\"}}}", "r.io", 0, NULL, NULL, NULL, CRIOIMG_ERR_UNSUPPORTED },
    { "{\"auths\":{\"r.io\":{\"auth\":5}}}", "r.io", 0, NULL, NULL, NULL, CRIOIMG_ERR_JSON_TYPE },
    { "{", "a.io", 0, NULL, NULL, NULL, CRIOIMG_ERR_JSON_SYNTAX },
};

static void test_auth_files(void)
{
    size_t i;
    for (i = 0; i < sizeof authf_cases / sizeof authf_cases[0]; i++) {
        const authf_case *c = &authf_cases[i];
        crioimg_credentials cr;
        int found;
        char err[256];
        crioimg_result r = crioimg_auth_file_lookup(&cr, &found, c->file, strlen(c->file), c->key, c->legacy, NULL, err, sizeof err);
        tests_context = c->key;
        if (!CHECK(r == c->want)) fprintf(stderr, "  got %s: %s\n", crioimg_result_name(r), err);
        if (r == CRIOIMG_OK) {
            CHECK_STR(cr.username, c->user);
            CHECK_STR(cr.password, c->pass);
            CHECK_STR(cr.identity_token, c->token);
        } else {
            CHECK(err[0] != '\0' && cr.username == NULL);
        }
        crioimg_credentials_free(&cr);
    }
}

/* issue 10: no string from an auth file keeps a NUL (a C string would be cut short by it: "user\0evil:pw"
   once sent "Basic user:pw"); Docker's credsStore is refused as credHelpers is; every error says its line */
static void test_auth_file_errors(void)
{
    static const struct { const char *file, *key; crioimg_result want; const char *err, *user, *pass; } rows[] = {
        { "{\"auths\":{\"a.io\":{\"auth\":\"dXNlcgBldmlsOnB3\"}}}", "a.io", CRIOIMG_ERR_INVALID_ARGS,   /* user\0evil:pw */
          "line 1: the \"auth\" field decodes to a user name or password that holds a NUL byte", NULL, NULL },
        { "{\"auths\":{\"a.io\":{\"auth\":\"dTpwAHg=\"}}}", "a.io", CRIOIMG_ERR_INVALID_ARGS,   /* u:p\0x */
          "line 1: the \"auth\" field decodes to a user name or password that holds a NUL byte", NULL, NULL },
        { "{\n \"auths\": {\n  \"a.io\": {\n   \"auth\": \"dXNlcgBldmlsOnB3\"\n  }\n }\n}\n", "a.io", CRIOIMG_ERR_INVALID_ARGS,
          "line 4: the \"auth\" field decodes to a user name or password that holds a NUL byte", NULL, NULL },
        { "{\"auths\":{\"a.io\":{\"auth\":\"dToAAHAAAA==\"}}}", "a.io", CRIOIMG_OK, "", "u", "p" },   /* u:\0\0p\0\0: Go trims them */
        { "{\"auths\":{\"a.io\":{\"auth\":\"dTpwdw\\u0000==\"}}}", "a.io", CRIOIMG_ERR_JSON_SYNTAX,
          "line 1: NUL character (\\u0000) in a string", NULL, NULL },
        { "{\"auths\":{\n\"a.io\\u0000.evil\":{\"auth\":\"dTpwdw==\"}}}", "a.io", CRIOIMG_ERR_JSON_SYNTAX,
          "line 2: NUL character (\\u0000) in a string", NULL, NULL },
        { "{\"auths\":{\"a.io\":{\"auth\":\"dTpwdw==\",\"identitytoken\":\"t\\u0000x\"}}}", "a.io", CRIOIMG_ERR_JSON_SYNTAX,
          "line 1: NUL character (\\u0000) in a string", NULL, NULL },
        { "{\n\"credsStore\": \"desktop\",\n\"auths\": {\"a.io\": {}}}", "a.io", CRIOIMG_ERR_UNSUPPORTED,
          "line 2: a credential store (\"credsStore\") is configured; crioimg runs no credential helpers", NULL, NULL },
        { "{\"credsStore\":\"\",\"auths\":{\"a.io\":{\"auth\":\"dTpwdw==\"}}}", "a.io", CRIOIMG_OK, "", "u", "pw" },  /* "": unset */
        { "{\"credHelpers\":{\n\"a.io\":\"pass\"}}", "a.io/x", CRIOIMG_ERR_UNSUPPORTED,
          "line 2: a credential helper is configured for this registry; crioimg runs none", NULL, NULL },
        { "{\n\"auths\": {\"a.io\": {\"auth\": \"!!\"}}}", "a.io", CRIOIMG_ERR_INVALID_ARGS, "line 2: the \"auth\" field is not base64", NULL, NULL },
        { "{\n\n  [", "a.io", CRIOIMG_ERR_JSON_SYNTAX, "line 3: expected a string key, found '['", NULL, NULL },
    };
    size_t i;
    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        crioimg_credentials cr;
        int found;
        char err[256];
        crioimg_result r = crioimg_auth_file_lookup(&cr, &found, rows[i].file, strlen(rows[i].file), rows[i].key, 0, NULL, err, sizeof err);
        tests_context = rows[i].file;
        if (!CHECK(r == rows[i].want)) fprintf(stderr, "  got %s: %s\n", crioimg_result_name(r), err);
        CHECK_STR(err, rows[i].err);
        CHECK_STR(cr.username, rows[i].user);
        CHECK_STR(cr.password, rows[i].pass);
        crioimg_credentials_free(&cr);
    }
}

/* which files, in which order, and reading them: a scratch $HOME */
static void auth_put(const char *dir, const char *rel, const char *text)
{
    char path[512], cmd[600];
    FILE *f;
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    snprintf(cmd, sizeof cmd, "mkdir -p \"$(dirname '%s')\"", path);
    if (system(cmd) != 0) return;
    f = fopen(path, "wb");
    if (f) { fputs(text, f); fclose(f); }
}

static void test_auth_paths(void)
{
    static const char *const vars[] = { "HOME", "XDG_RUNTIME_DIR", "XDG_CONFIG_HOME", "DOCKER_CONFIG", "REGISTRY_AUTH_FILE" };
    char *saved[5], dir[] = "/tmp/crioimg-auth-XXXXXX", buf[4096], want[512], err[512], cmd[600];
    crioimg_auth_path p[CRIOIMG_AUTH_PATHS_MAX];
    crioimg_credentials cr;
    size_t n, i;
    int found;
    for (i = 0; i < 5; i++) { const char *v = getenv(vars[i]); saved[i] = v ? strdup(v) : NULL; unsetenv(vars[i]); }
    tests_context = "auth file paths";
    if (!CHECK(mkdtemp(dir) != NULL)) return;
    setenv("HOME", dir, 1);
    snprintf(want, sizeof want, "%s/run", dir);
    setenv("XDG_RUNTIME_DIR", want, 1);
    CHECK(crioimg_auth_file_paths(NULL, p, &n, buf, sizeof buf) == CRIOIMG_OK && n == 4);
    snprintf(want, sizeof want, "%s/run/containers/auth.json", dir);  CHECK_STR(p[0].path, want);
    snprintf(want, sizeof want, "%s/.config/containers/auth.json", dir); CHECK_STR(p[1].path, want);
    snprintf(want, sizeof want, "%s/.docker/config.json", dir);       CHECK_STR(p[2].path, want);
    snprintf(want, sizeof want, "%s/.dockercfg", dir);                CHECK_STR(p[3].path, want);
    CHECK(!p[0].legacy_format && !p[2].legacy_format && p[3].legacy_format);
    setenv("REGISTRY_AUTH_FILE", "/etc/x.json", 1);
    setenv("DOCKER_CONFIG", "/etc/docker", 1);
    setenv("XDG_CONFIG_HOME", "/etc/cfg", 1);
    CHECK(crioimg_auth_file_paths(NULL, p, &n, buf, sizeof buf) == CRIOIMG_OK && n == 4);
    CHECK_STR(p[0].path, "/etc/x.json");
    CHECK_STR(p[1].path, "/etc/cfg/containers/auth.json");
    CHECK_STR(p[2].path, "/etc/docker/config.json");
    CHECK(crioimg_auth_file_paths("/given.json", p, &n, buf, sizeof buf) == CRIOIMG_OK);
    CHECK_STR(p[0].path, "/given.json");  /* --authfile wins over $REGISTRY_AUTH_FILE */
    unsetenv("XDG_RUNTIME_DIR"); unsetenv("REGISTRY_AUTH_FILE");
    CHECK(crioimg_auth_file_paths(NULL, p, &n, buf, sizeof buf) == CRIOIMG_OK);
    CHECK(strncmp(p[0].path, "/run/containers/", 16) == 0 && strstr(p[0].path, "/auth.json") != NULL);
    CHECK(crioimg_auth_file_paths(NULL, p, &n, buf, 8) == CRIOIMG_ERR_BUFFER_TOO_SMALL);
    unsetenv("DOCKER_CONFIG"); unsetenv("XDG_CONFIG_HOME");

    tests_context = "auth lookup across files";
    snprintf(want, sizeof want, "%s/run", dir);
    setenv("XDG_RUNTIME_DIR", want, 1);
    auth_put(dir, "run/containers/auth.json", "{\"auths\":{\"other.io\":{\"auth\":\"dTpw\"},\"a.io\":{\"auth\":\"bm9jb2xvbg==\"}}}");
    auth_put(dir, ".docker/config.json", "{\"auths\":{\"a.io\":{\"auth\":\"ZG9ja2VyOmNmZw==\"}}}");
    CHECK(crioimg_auth_lookup(&cr, &found, "a.io/ns/repo", NULL, NULL, err, sizeof err) == CRIOIMG_OK);
    CHECK(found == 1);
    CHECK_STR(cr.username, "docker");  /* the first file's entry has no ':': on to the next file */
    CHECK_STR(cr.password, "cfg");
    crioimg_credentials_free(&cr);
    CHECK(crioimg_auth_lookup(&cr, &found, "other.io", NULL, NULL, err, sizeof err) == CRIOIMG_OK && found);
    CHECK_STR(cr.username, "u");
    crioimg_credentials_free(&cr);
    CHECK(crioimg_auth_lookup(&cr, &found, "none.io", NULL, NULL, err, sizeof err) == CRIOIMG_OK && !found && cr.username == NULL);
    auth_put(dir, ".config/containers/auth.json", "{broken");
    CHECK(crioimg_auth_lookup(&cr, &found, "a.io", NULL, NULL, err, sizeof err) == CRIOIMG_ERR_JSON_SYNTAX);
    CHECK(strstr(err, ".config/containers/auth.json") != NULL);  /* the error names the file */
    snprintf(want, sizeof want, "%s/.config/containers/auth.json:1: expected a string key, found 'b'", dir);
    CHECK_STR(err, want);                                          /* ... and the line */

    /* issue 10: what --authfile names is read only when it is a regular file (a FIFO is never waited
       on), under 1 MiB; each message has one source, not two glued together */
    tests_context = "auth file kinds";
    {
        char fifo[300], big[300], w2[400];
        FILE *f;
        snprintf(fifo, sizeof fifo, "%s/fifo.json", dir);
        CHECK(mkfifo(fifo, 0600) == 0);
        CHECK(crioimg_auth_lookup(&cr, &found, "a.io", fifo, NULL, err, sizeof err) == CRIOIMG_ERR_IO);
        snprintf(w2, sizeof w2, "reading %s: a FIFO, not a regular file", fifo);
        CHECK_STR(err, w2);
        CHECK(crioimg_auth_lookup(&cr, &found, "a.io", dir, NULL, err, sizeof err) == CRIOIMG_ERR_IO);
        snprintf(w2, sizeof w2, "reading %s: a directory, not a regular file", dir);
        CHECK_STR(err, w2);
        snprintf(big, sizeof big, "%s/huge.json", dir);
        if ((f = fopen(big, "wb")) != NULL) {
            for (i = 0; i < (1u << 20) / 8 + 1; i++) fputs("        ", f);
            fclose(f);
        }
        CHECK(crioimg_auth_lookup(&cr, &found, "a.io", big, NULL, err, sizeof err) == CRIOIMG_ERR_TOO_BIG);
        snprintf(w2, sizeof w2, "reading %s: larger than 1048576 bytes", big);
        CHECK_STR(err, w2);
    }

    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) CHECK(!"cleanup");
    for (i = 0; i < 5; i++) { if (saved[i]) { setenv(vars[i], saved[i], 1); free(saved[i]); } else unsetenv(vars[i]); }
}


/* base64 (core): exact output buffers, so that ASan sees a write past them (the fuzzer found one) */
static void test_base64(void)
{
    static const struct { const char *in; int strict; const char *out; } rows[] = {
        { "aGVsbG8=", 1, "hello" }, { "aGVsbG8", 1, NULL }, { "aGVsbG8", 0, NULL }, { "aGVsbA==", 1, "hell" },
        { "aGVsbB==", 1, NULL },          /* non-canonical padding bits: strict refuses */
        { "aGVsbB==", 0, "hell" },        /* Go's StdEncoding accepts them */
        { "aGVs\r\nbG8=", 0, "hello" },   /* Go skips CR and LF */
        { "aGVs\r\nbG8=", 1, NULL },
        { "AAAAAAA", 0, NULL }, { "A===", 1, NULL }, { "A=B=", 1, NULL }, { "", 1, "" }, { "=", 1, NULL },
        { "////", 1, "\xff\xff\xff" }, { "++++", 1, "\xfb\xef\xbe" }, { "YQ", 1, NULL }, { "YQ==", 1, "a" },
    };
    size_t i;
    tests_context = "base64";
    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        size_t n = strlen(rows[i].in), cap = (n + 3) / 4 * 3, got;
        unsigned char *out = (unsigned char *)malloc(cap ? cap : 1);
        tests_context = rows[i].in;
        got = crioimg__base64_decode(rows[i].in, n, out, cap, rows[i].strict);
        if (rows[i].out == NULL) CHECK(got == (size_t)-1);
        else CHECK(got == strlen(rows[i].out) && memcmp(out, rows[i].out, got) == 0);
        free(out);
    }
}

static void test_auth(void)
{
    test_auth_challenges();
    test_auth_files();
    test_auth_file_errors();
    test_auth_paths();
    test_base64();
}
