/* JSON: the accept/reject table (tests/json_cases.h), error messages and offsets, navigation, integers,
   duplicate keys, limits, allocation failure and the writer. Every accepted document also goes through
   the fuzz target's checks (fuzz/fuzz_json.c): token invariants, exact limits, write-back round trip. */
#include "json_cases.h"

/* A document of the given pieces: open repeated k times, mid once, close repeated k times. */
static char *json_nest(const char *open, const char *mid, const char *close, size_t k, size_t *len)
{
    size_t lo = strlen(open), lm = strlen(mid), lc = strlen(close), i, n = 0;
    char *s = (char *)malloc(k * (lo + lc) + lm + 1);
    if (s == NULL) return NULL;
    for (i = 0; i < k; i++) { memcpy(s + n, open, lo); n += lo; }
    memcpy(s + n, mid, lm); n += lm;
    for (i = 0; i < k; i++) { memcpy(s + n, close, lc); n += lc; }
    s[n] = '\0';
    *len = n;
    return s;
}

static void test_json_table(void)
{
    size_t i, accepted = 0;
    for (i = 0; i < sizeof json_cases / sizeof json_cases[0]; i++) {
        const json_case *c = &json_cases[i];
        crioimg_json d;
        crioimg_json_opts o;
        crioimg_result r;
        int nul = 0;
        tests_context = c->name;
        memset(&o, 0, sizeof o);
        o.keep_nul = 1;   /* want is the RFC reader's answer: NULs kept, as JSONTestSuite and Go see them */
        r = crioimg_json_parse(&d, c->doc, c->len, &o);
        if (!test_check(r == c->want, __FILE__, __LINE__, crioimg_result_name(r))) fprintf(stderr, "  err: %s\n", d.err);
        CHECK((c->name[0] == 'y') == (c->want == CRIOIMG_OK) || c->name[0] == 'i');   /* the name agrees */
        if (r == CRIOIMG_OK) {
            accepted++;
            CHECK(d.ntok > 0 && d.tok[0].next == d.ntok && d.err[0] == '\0');
            nul = fuzz_json_has_nul(&d);
        } else {
            CHECK(d.tok == NULL && d.ntok == 0 && d.err[0] != '\0' && d.err_offset <= c->len);
        }
        crioimg_json_free(&d);
        /* with default options (NULs refused), only the accepted rows whose strings hold a NUL change */
        r = crioimg_json_parse(&d, c->doc, c->len, NULL);
        if (c->want == CRIOIMG_OK) CHECK(r == (nul ? CRIOIMG_ERR_JSON_SYNTAX : CRIOIMG_OK));
        else CHECK(r != CRIOIMG_OK);
        crioimg_json_free(&d);
        /* with duplicates allowed, only the duplicate rows change */
        memset(&o, 0, sizeof o);
        o.keep_nul = 1;
        o.allow_duplicates = 1;
        r = crioimg_json_parse(&d, c->doc, c->len, &o);
        CHECK(r == (c->want == CRIOIMG_ERR_JSON_DUPLICATE ? CRIOIMG_OK : c->want));
        crioimg_json_free(&d);
        fuzz_json((const uint8_t *)c->doc, c->len);   /* aborts on any broken invariant */
    }
    tests_context = "json table size";
    CHECK(i >= 150 && accepted >= 50);
}

/* The message and offset of an error, one row a case. */
static void test_json_messages(void)
{
    static const struct { const char *doc; size_t len; crioimg_result want; size_t at; const char *msg; } rows[] = {
#define M(doc, want, at, msg) { doc, sizeof(doc) - 1, CRIOIMG_##want, at, msg }
        M("", ERR_JSON_SYNTAX, 0, "empty document"),
        M(" \n", ERR_JSON_SYNTAX, 2, "empty document"),
        M("[1,]", ERR_JSON_SYNTAX, 3, "trailing comma"),
        M("{\"a\":1,}", ERR_JSON_SYNTAX, 7, "trailing comma"),
        M("{\"layers\":1,\"layers\":2}", ERR_JSON_DUPLICATE, 12, "duplicate key \"layers\""),
        M("{\"a\\\"\\n\":1,\"a\\\"\\u000a\":2}", ERR_JSON_DUPLICATE, 11, "duplicate key \"a\\\"\\n\""),
        M("[tru]", ERR_JSON_SYNTAX, 1, "invalid literal"),
        M("nullx", ERR_JSON_SYNTAX, 0, "invalid literal"),
        M("[\"\\ud800\"]", ERR_JSON_UTF8, 2, "lone surrogate in \\u escape"),
        M("[\"\\udc00\\ud800\"]", ERR_JSON_UTF8, 2, "lone surrogate in \\u escape"),
        M("[\"a\xff\"]", ERR_JSON_UTF8, 3, "invalid UTF-8 in string: byte 0xff"),
        M("[\"\xed\xa0\x80\"]", ERR_JSON_UTF8, 2, "invalid UTF-8 in string: byte 0xed"),
        M("[01]", ERR_JSON_SYNTAX, 1, "leading zero in number"),
        M("[-]", ERR_JSON_SYNTAX, 1, "invalid number"),
        M("[1.]", ERR_JSON_SYNTAX, 1, "invalid number"),
        M("[1", ERR_JSON_SYNTAX, 2, "unexpected end of input"),
        M("{\"a\":", ERR_JSON_SYNTAX, 5, "unexpected end of input"),
        M("[1 2]", ERR_JSON_SYNTAX, 3, "expected ',' or ']', found '2'"),
        M("{\"a\":1 \"b\"}", ERR_JSON_SYNTAX, 7, "expected ',' or '}', found '\"'"),
        M("[1}", ERR_JSON_SYNTAX, 2, "expected ',' or ']', found '}'"),
        M("{\"a\" 1}", ERR_JSON_SYNTAX, 5, "expected ':' after the key, found '1'"),
        M("{\"a\"", ERR_JSON_SYNTAX, 4, "expected ':' after the key, found end of input"),
        M("{1:1}", ERR_JSON_SYNTAX, 1, "expected a string key, found '1'"),
        M("[x]", ERR_JSON_SYNTAX, 1, "expected a value, found 'x'"),
        M("[\x00]", ERR_JSON_SYNTAX, 1, "expected a value, found byte 0x00"),
        M("1 2", ERR_JSON_SYNTAX, 2, "unexpected data after the document, found '2'"),
        M("\xef\xbb\xbf{}", ERR_JSON_SYNTAX, 0, "byte order mark (not allowed in JSON)"),
        M("\"a\x01\"", ERR_JSON_SYNTAX, 2, "unescaped control character byte 0x01 in string"),
        M("[\"\\x\"]", ERR_JSON_SYNTAX, 2, "invalid escape: backslash then 'x'"),
        M("[\"\\u12g4\"]", ERR_JSON_SYNTAX, 2, "invalid \\u escape"),
        M("[\"\\ud800\\u12g4\"]", ERR_JSON_SYNTAX, 8, "invalid \\u escape"),
        M("\"abc", ERR_JSON_SYNTAX, 4, "unterminated string"),
        M("\"\\u12", ERR_JSON_SYNTAX, 5, "unterminated string"),
#undef M
    };
    size_t i;
    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        crioimg_json d;
        tests_context = rows[i].msg;
        CHECK(crioimg_json_parse(&d, rows[i].doc, rows[i].len, NULL) == rows[i].want);
        CHECK(d.err_offset == rows[i].at);
        CHECK_STR(d.err, rows[i].msg);
    }
}

/* Long or odd keys are cut at a character and escaped, so the message stays short, valid and readable. */
static void test_json_dup_messages(void)
{
    static const struct { const char *key; const char *msg; } rows[] = {
        { "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk",
          "duplicate key \"kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk...\"" },        /* 47 of 100 */
        { "\\u0001\\u0001\\u0001\\u0001\\u0001\\u0001\\u0001\\u0001\\u0001\\u0001\\u0001\\u0001\\u0001\\u0001\\u0001\\u0001\\u0001\\u0001",
          "duplicate key \"\\u0001\\u0001\\u0001\\u0001\\u0001\\u0001\\u0001\\u0001\\u0001\\u0001\\u0001\\u0001\\u0001...\"" },
        { "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
          "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9",   /* 25 x U+00E9: cut at 23 */
          "duplicate key \"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
          "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9...\"" },
        { "\\u0000", "duplicate key \"\\u0000\"" },
        { "\\u2028", "duplicate key \"\\u2028\"" },
    };
    crioimg_json_opts keep = fuzz_json_keep();   /* the \u0000 key is a key */
    size_t i;
    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char doc[512];
        crioimg_json d;
        int n = snprintf(doc, sizeof doc, "{\"%s\":1,\"%s\":2}", rows[i].key, rows[i].key);
        tests_context = rows[i].msg;
        CHECK(crioimg_json_parse(&d, doc, (size_t)n, &keep) == CRIOIMG_ERR_JSON_DUPLICATE);
        CHECK_STR(d.err, rows[i].msg);
        CHECK(d.err_offset == strlen(rows[i].key) + 6);
    }
}

static void test_json_navigation(void)
{
    static const char doc[] =
        "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
        "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:aa\",\"size\":7023},"
        "\"layers\":[{\"size\":1},{\"size\":2e3}],"
        "\"annotations\":{\"a\\u0062\":\"x\\ty\",\"\":\"empty\"},\"Layers\":null}";
    crioimg_json d;
    size_t cfg, layers, l2, ann, t;
    long long v = -1;
    char out[16];
    tests_context = "json navigation";
    if (!CHECK(crioimg_json_parse(&d, doc, sizeof doc - 1, NULL) == CRIOIMG_OK)) return;
    CHECK(d.tok[0].type == CRIOIMG_JSON_OBJECT && d.tok[0].count == 6);
    CHECK(crioimg_json_int(&d, crioimg_json_get(&d, 0, "schemaVersion"), 2, 2, &v) == CRIOIMG_OK && v == 2);
    t = crioimg_json_get(&d, 0, "mediaType");
    CHECK(crioimg_json_string_eq(&d, t, "application/vnd.oci.image.manifest.v1+json", 42));
    CHECK(!crioimg_json_string_eq(&d, t, "application/vnd.oci.image.manifest.v1+jso", 41));
    cfg = crioimg_json_get(&d, 0, "config");
    CHECK(crioimg_json_int(&d, crioimg_json_get(&d, cfg, "size"), 0, LLONG_MAX, &v) == CRIOIMG_OK && v == 7023);
    CHECK(crioimg_json_int(&d, crioimg_json_get(&d, cfg, "nope"), 0, LLONG_MAX, &v) == CRIOIMG_ERR_NOT_FOUND);
    CHECK(crioimg_json_int(&d, crioimg_json_get(&d, cfg, "digest"), 0, LLONG_MAX, &v) == CRIOIMG_ERR_JSON_TYPE);
    layers = crioimg_json_get(&d, 0, "layers");
    CHECK(layers != CRIOIMG_JSON_NONE && d.tok[layers].type == CRIOIMG_JSON_ARRAY && d.tok[layers].count == 2);
    l2 = d.tok[layers + 1].next;   /* the second element: the first's sibling */
    CHECK(crioimg_json_int(&d, crioimg_json_get(&d, l2, "size"), 0, LLONG_MAX, &v) == CRIOIMG_OK && v == 2000);
    CHECK(d.tok[l2].next == d.tok[layers].next);
    t = crioimg_json_get(&d, 0, "Layers");   /* keys are case-sensitive */
    CHECK(t != layers && t != CRIOIMG_JSON_NONE && d.tok[t].type == CRIOIMG_JSON_NULL);
    CHECK(crioimg_json_get(&d, 0, "LAYERS") == CRIOIMG_JSON_NONE);
    CHECK(crioimg_json_get(&d, 0, "missing") == CRIOIMG_JSON_NONE);
    CHECK(crioimg_json_get(&d, layers, "size") == CRIOIMG_JSON_NONE);            /* not an object */
    CHECK(crioimg_json_get(&d, CRIOIMG_JSON_NONE, "size") == CRIOIMG_JSON_NONE);  /* chains */
    CHECK(crioimg_json_get(&d, d.ntok, "size") == CRIOIMG_JSON_NONE);
    CHECK(crioimg_json_get(&d, 0, NULL) == CRIOIMG_JSON_NONE);
    ann = crioimg_json_get(&d, 0, "annotations");
    t = crioimg_json_get(&d, ann, "ab");      /* the key was written "a\u0062" */
    CHECK(crioimg_json_string(&d, t, out, sizeof out) == 3);
    CHECK_STR(out, "x\ty");
    CHECK(crioimg_json_string_eq(&d, t, "x\ty", 3) && !crioimg_json_string_eq(&d, t, "x\\ty", 4));
    CHECK(crioimg_json_string(&d, t, out, 3) == 3);   /* truncated, terminated, full length returned */
    CHECK_STR(out, "x\t");
    CHECK(crioimg_json_string(&d, t, NULL, 0) == 3);
    CHECK(crioimg_json_string_eq(&d, ann + 1, "ab", 2) && d.tok[ann + 1].escaped);
    t = crioimg_json_get(&d, ann, "");
    CHECK(crioimg_json_string_eq(&d, t, "empty", 5));
    CHECK(crioimg_json_string_eq(&d, d.tok[ann + 2].next, "", 0));   /* the empty key itself */
    out[0] = 'z';
    CHECK(crioimg_json_string(&d, 0, out, sizeof out) == 0 && out[0] == '\0');   /* not a string */
    CHECK(crioimg_json_string(&d, CRIOIMG_JSON_NONE, out, sizeof out) == 0);
    CHECK(!crioimg_json_string_eq(&d, 0, "", 0) && !crioimg_json_string_eq(&d, CRIOIMG_JSON_NONE, "", 0));
    CHECK(crioimg_json_int(&d, 0, 0, 1, &v) == CRIOIMG_ERR_JSON_TYPE);
    CHECK(crioimg_json_int(&d, CRIOIMG_JSON_NONE, 0, 1, &v) == CRIOIMG_ERR_NOT_FOUND);
    CHECK(crioimg_json_int(&d, crioimg_json_get(&d, 0, "schemaVersion"), 5, 1, &v) == CRIOIMG_ERR_INVALID_ARGS);
    crioimg_json_free(&d);
    CHECK(d.tok == NULL && d.ntok == 0);
    crioimg_json_free(&d);   /* harmless twice */
    crioimg_json_free(NULL);

    {   /* with duplicates allowed, get gives the last, as Go's encoding/json keeps the last */
        static const char dup[] = "{\"a\":1,\"b\":2,\"a\":3}";
        crioimg_json_opts o;
        memset(&o, 0, sizeof o);
        o.allow_duplicates = 1;
        tests_context = "json get with duplicates";
        CHECK(crioimg_json_parse(&d, dup, sizeof dup - 1, &o) == CRIOIMG_OK);
        CHECK(crioimg_json_int(&d, crioimg_json_get(&d, 0, "a"), 0, 9, &v) == CRIOIMG_OK && v == 3);
        crioimg_json_free(&d);
    }
}

/* Numbers read as integers: exact, overflow-safe, no floating point. */
static void test_json_int(void)
{
    static const struct { const char *text; long long min, max; crioimg_result want; long long v; } rows[] = {
#define I(text, range, want, v) { text, range, CRIOIMG_##want, v }
#define ALL LLONG_MIN, LLONG_MAX
#define IN(min, max) min, max
        I("0", ALL, OK, 0),
        I("-0", ALL, OK, 0),
        I("-0.0e-7", ALL, OK, 0),
        I("0e99999999999999999999999", ALL, OK, 0),
        I("0.000e-5", ALL, OK, 0),
        I("42", ALL, OK, 42),
        I("-42", ALL, OK, -42),
        I("1e3", ALL, OK, 1000),
        I("1E+2", ALL, OK, 100),
        I("1.0", ALL, OK, 1),
        I("1.000000000000000000000000000000", ALL, OK, 1),
        I("10e-1", ALL, OK, 1),
        I("100e-2", ALL, OK, 1),
        I("0.1e1", ALL, OK, 1),
        I("100000000000000000000e-20", ALL, OK, 1),
        I("1.5", ALL, ERR_JSON_TYPE, 0),
        I("1e-1", ALL, ERR_JSON_TYPE, 0),
        I("0.5", ALL, ERR_JSON_TYPE, 0),
        I("-1.5e0", ALL, ERR_JSON_TYPE, 0),
        I("12345678901234567890e-10", ALL, ERR_JSON_TYPE, 0),
        I("1e-400", ALL, ERR_JSON_TYPE, 0),
        I("-1e-99999999999999999999999", ALL, ERR_JSON_TYPE, 0),
        I("9223372036854775807", ALL, OK, LLONG_MAX),
        I("9223372036854775808", ALL, ERR_JSON_RANGE, 0),
        I("-9223372036854775808", ALL, OK, LLONG_MIN),
        I("-9223372036854775809", ALL, ERR_JSON_RANGE, 0),
        I("92233720368547758.07e2", ALL, OK, LLONG_MAX),
        I("9.223372036854775807e18", ALL, OK, LLONG_MAX),
        I("9.223372036854775808e18", ALL, ERR_JSON_RANGE, 0),
        I("-9.223372036854775808e18", ALL, OK, LLONG_MIN),
        I("0.00000000000000000009223372036854775807e38", ALL, OK, LLONG_MAX),
        I("1e18", ALL, OK, 1000000000000000000LL),
        I("1e19", ALL, ERR_JSON_RANGE, 0),
        I("-1e19", ALL, ERR_JSON_RANGE, 0),
        I("18446744073709551616", ALL, ERR_JSON_RANGE, 0),
        I("99999999999999999999", ALL, ERR_JSON_RANGE, 0),
        I("1e400", ALL, ERR_JSON_RANGE, 0),
        I("1e99999999999999999999999999999", ALL, ERR_JSON_RANGE, 0),
        I("5", IN(0, 4), ERR_JSON_RANGE, 0),
        I("-1", IN(0, LLONG_MAX), ERR_JSON_RANGE, 0),
        I("2", IN(2, 2), OK, 2),
        I("4294967296", IN(0, 4294967295LL), ERR_JSON_RANGE, 0),
        I("4294967295", IN(0, 4294967295LL), OK, 4294967295LL),
        I("1.5", IN(0, 0), ERR_JSON_TYPE, 0),          /* not an integer beats out of range */
#undef ALL
#undef IN
#undef I
    };
    size_t i;
    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        crioimg_json d;
        long long v = 12345;
        tests_context = rows[i].text;
        if (!CHECK(crioimg_json_parse(&d, rows[i].text, strlen(rows[i].text), NULL) == CRIOIMG_OK)) continue;
        CHECK(crioimg_json_int(&d, 0, rows[i].min, rows[i].max, &v) == rows[i].want);
        CHECK(v == (rows[i].want == CRIOIMG_OK ? rows[i].v : 12345));   /* untouched on error */
        crioimg_json_free(&d);
    }
}

/* n keys "k0".."k<n-1>" (every odd one written "\u006b<i>"), then extra members, in one object. */
static char *json_many_keys(size_t n, const char *extra, size_t *len)
{
    size_t cap = n * 24 + strlen(extra) + 8, i, at = 0;
    char *s = (char *)malloc(cap);
    if (s == NULL) return NULL;
    s[at++] = '{';
    for (i = 0; i < n; i++)
        at += (size_t)snprintf(s + at, cap - at, "%s\"%s%lu\":%lu", i ? "," : "", i % 2 ? "\\u006b" : "k", (unsigned long)i, (unsigned long)i);
    at += (size_t)snprintf(s + at, cap - at, "%s}", extra);
    *len = at;
    return s;
}

static void test_json_duplicates(void)
{
    crioimg_json d;
    size_t n, t;
    long long v;
    char *s;
    /* 100,000 distinct keys: accepted (the check sorts, so this is n log n, not n^2) */
    tests_context = "json 100000 distinct keys";
    if ((s = json_many_keys(100000, "", &n)) != NULL) {
        CHECK(crioimg_json_parse(&d, s, n, NULL) == CRIOIMG_OK);
        CHECK(d.ntok == 200001 && d.tok[0].count == 100000);
        t = crioimg_json_get(&d, 0, "k99999");
        CHECK(crioimg_json_int(&d, t, 0, LLONG_MAX, &v) == CRIOIMG_OK && v == 99999);
        CHECK(crioimg_json_int(&d, crioimg_json_get(&d, 0, "k0"), 0, LLONG_MAX, &v) == CRIOIMG_OK && v == 0);
        crioimg_json_free(&d);
        free(s);
    }
    /* and one more that equals "k77777" only after unescaping */
    tests_context = "json 100000 keys and a duplicate";
    if ((s = json_many_keys(100000, ",\"\\u006b\\u0037\\u0037777\":0", &n)) != NULL) {
        CHECK(crioimg_json_parse(&d, s, n, NULL) == CRIOIMG_ERR_JSON_DUPLICATE);
        CHECK_STR(d.err, "duplicate key \"k77777\"");
        CHECK(d.err_offset == n - 26);
        free(s);
    }
    /* the first repeat in document order is the one reported, whichever sorts first */
    {
        static const char doc[] = "{\"z\":0,\"y\":0,\"x\":0,\"w\":0,\"v\":0,\"u\":0,\"t\":0,\"s\":0,\"r\":0,\"y\":1,\"a\":0,\"a\":1}";
        tests_context = "json first duplicate";
        CHECK(crioimg_json_parse(&d, doc, sizeof doc - 1, NULL) == CRIOIMG_ERR_JSON_DUPLICATE);
        CHECK_STR(d.err, "duplicate key \"y\"");
        CHECK(d.err_offset == 55);
    }
}

static void test_json_limits(void)
{
    crioimg_json d;
    crioimg_json_opts o;
    size_t n, i;
    char *s;
    tests_context = "json depth 64 is the default cap";
    s = json_nest("[", "", "]", 64, &n);
    CHECK(s && crioimg_json_parse(&d, s, n, NULL) == CRIOIMG_OK && d.ntok == 64);
    crioimg_json_free(&d); free(s);
    s = json_nest("[", "", "]", 65, &n);
    CHECK(s && crioimg_json_parse(&d, s, n, NULL) == CRIOIMG_ERR_JSON_TOO_DEEP && d.err_offset == 64);
    CHECK_STR(d.err, "nested deeper than 64 levels");
    free(s);
    s = json_nest("{\"a\":", "1", "}", 64, &n);
    CHECK(s && crioimg_json_parse(&d, s, n, NULL) == CRIOIMG_OK);
    crioimg_json_free(&d); free(s);
    s = json_nest("{\"a\":", "1", "}", 65, &n);
    CHECK(s && crioimg_json_parse(&d, s, n, NULL) == CRIOIMG_ERR_JSON_TOO_DEEP && d.err_offset == 64 * 5);
    free(s);
    tests_context = "json i_structure_500_nested_arrays";
    s = json_nest("[", "", "]", 500, &n);
    CHECK(s && crioimg_json_parse(&d, s, n, NULL) == CRIOIMG_ERR_JSON_TOO_DEEP);
    free(s);

    tests_context = "json max_depth set";
    memset(&o, 0, sizeof o);
    o.max_depth = 3;
    CHECK(crioimg_json_parse(&d, "[[[1]]]", 7, &o) == CRIOIMG_OK);
    crioimg_json_free(&d);
    CHECK(crioimg_json_parse(&d, "[[[[1]]]]", 9, &o) == CRIOIMG_ERR_JSON_TOO_DEEP && d.err_offset == 3);
    CHECK(crioimg_json_parse(&d, "1", 1, &o) == CRIOIMG_OK && d.ntok == 1);   /* a scalar is depth 0 */
    crioimg_json_free(&d);

    /* 100,000 deep: refused at the cap, at once; with the cap lifted, parsed without recursion */
    tests_context = "json 100000 deep";
    s = json_nest("[", "", "]", 100000, &n);
    if (s) {
        CHECK(crioimg_json_parse(&d, s, n, NULL) == CRIOIMG_ERR_JSON_TOO_DEEP && d.err_offset == 64 && d.tok == NULL);
        o.max_depth = 100000;
        CHECK(crioimg_json_parse(&d, s, n, &o) == CRIOIMG_OK && d.ntok == 100000);
        CHECK(d.tok[0].next == 100000 && d.tok[0].count == 1 && d.tok[99999].count == 0 && d.tok[99999].next == 100000);
        CHECK(d.tok[99999].start == 99999 && d.tok[99999].len == 2 && d.tok[0].len == n);
        crioimg_json_free(&d);
        o.max_depth = 99999;
        CHECK(crioimg_json_parse(&d, s, n, &o) == CRIOIMG_ERR_JSON_TOO_DEEP && d.err_offset == 99999);
        o.max_depth = 100000;
        CHECK(crioimg_json_parse(&d, s, n / 2 + 7, &o) == CRIOIMG_ERR_JSON_SYNTAX);   /* truncated */
        CHECK_STR(d.err, "unexpected end of input");
        free(s);
    }
    s = json_nest("{\"a\":", "{}", "}", 100000, &n);
    if (s) {
        CHECK(crioimg_json_parse(&d, s, n, NULL) == CRIOIMG_ERR_JSON_TOO_DEEP);
        o.max_depth = 100001;
        CHECK(crioimg_json_parse(&d, s, n, &o) == CRIOIMG_OK && d.ntok == 200001);
        crioimg_json_free(&d);
        free(s);
    }

    /* size: the cap is checked before a byte is read, so an invalid document over it is TOO_BIG */
    tests_context = "json max_size";
    memset(&o, 0, sizeof o);
    o.max_size = 5;
    CHECK(crioimg_json_parse(&d, "[1,2]", 5, &o) == CRIOIMG_OK);
    crioimg_json_free(&d);
    CHECK(crioimg_json_parse(&d, "[1,2] ", 6, &o) == CRIOIMG_ERR_JSON_TOO_BIG && d.err_offset == 5);
    CHECK_STR(d.err, "document larger than 5 bytes");
    CHECK(crioimg_json_parse(&d, "xxxxxx", 6, &o) == CRIOIMG_ERR_JSON_TOO_BIG);
    tests_context = "json default max_size 4 MiB";
    n = (size_t)4 << 20;
    if ((s = (char *)malloc(n + 1)) != NULL) {
        memset(s, 'a', n + 1);
        s[0] = '"'; s[n - 1] = '"';
        CHECK(crioimg_json_parse(&d, s, n, NULL) == CRIOIMG_OK && d.ntok == 1 && d.tok[0].len == n - 2);
        crioimg_json_free(&d);
        s[n - 1] = 'a'; s[n] = '"';
        CHECK(crioimg_json_parse(&d, s, n + 1, NULL) == CRIOIMG_ERR_JSON_TOO_BIG);
        /* the densest document that fits, "[0,0,...,0]": the default token cap never binds first */
        s[0] = '[';
        for (i = 1; i < n - 3; i += 2) { s[i] = '0'; s[i + 1] = ','; }
        s[n - 3] = '0'; s[n - 2] = ']';
        CHECK(crioimg_json_parse(&d, s, n - 1, NULL) == CRIOIMG_OK && d.ntok == n / 2);
        crioimg_json_free(&d);
        free(s);
    }

    tests_context = "json max_tokens";
    memset(&o, 0, sizeof o);
    o.max_tokens = 3;
    CHECK(crioimg_json_parse(&d, "[1,2]", 5, &o) == CRIOIMG_OK && d.ntok == 3);
    crioimg_json_free(&d);
    CHECK(crioimg_json_parse(&d, "[1,2,3]", 7, &o) == CRIOIMG_ERR_JSON_TOO_BIG && d.err_offset == 5);
    CHECK_STR(d.err, "more than 3 values");
}

static void test_json_args_and_memory(void)
{
    crioimg_json d;
    crioimg_json_opts o;
    fuzz_json_heap h;
    size_t fail_at, nomem = 0, n;
    crioimg_result r = CRIOIMG_ERR_NOMEM;
    char *s;

    tests_context = "json arguments";
    CHECK(crioimg_json_parse(NULL, "1", 1, NULL) == CRIOIMG_ERR_INVALID_ARGS);
    CHECK(crioimg_json_parse(&d, NULL, 5, NULL) == CRIOIMG_ERR_INVALID_ARGS);
    CHECK(crioimg_json_parse(&d, NULL, 0, NULL) == CRIOIMG_ERR_JSON_SYNTAX);
    memset(&o, 0, sizeof o);
    o.alloc = fuzz_json_allocator(&h, 0);
    o.alloc.free = NULL;   /* half set */
    CHECK(crioimg_json_parse(&d, "1", 1, &o) == CRIOIMG_ERR_INVALID_ARGS && h.calls == 0);

    /* every allocation failing in turn: ERR_NOMEM and nothing left over, until it succeeds */
    tests_context = "json allocation failure";
    s = json_many_keys(300, ",\"arr\":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20]", &n);
    for (fail_at = 1; s && fail_at < 100 && r == CRIOIMG_ERR_NOMEM; fail_at++) {
        o.alloc = fuzz_json_allocator(&h, fail_at);
        r = crioimg_json_parse(&d, s, n, &o);
        if (r == CRIOIMG_ERR_NOMEM) { nomem++; CHECK(d.tok == NULL && h.live == 0); CHECK_STR(d.err, "out of memory"); }
        crioimg_json_free(&d);
        CHECK(h.live == 0);
    }
    CHECK(r == CRIOIMG_OK && nomem >= 5);   /* token growth and the key scratch both failed at some point */
    free(s);

    tests_context = "json writer allocation failure";
    for (fail_at = 1, nomem = 0, r = CRIOIMG_ERR_NOMEM; fail_at < 20 && r == CRIOIMG_ERR_NOMEM; fail_at++) {
        crioimg_json_writer w;
        crioimg_allocator a = fuzz_json_allocator(&h, fail_at);
        size_t i;
        crioimg_json_writer_init(&w, &a);
        crioimg_json_write_array_begin(&w);
        for (i = 0; i < 200; i++) crioimg_json_write_string(&w, "0123456789", 10);
        crioimg_json_write_array_end(&w);
        r = crioimg_json_writer_finish(&w, NULL, NULL);
        if (r == CRIOIMG_ERR_NOMEM) nomem++;
        crioimg_json_writer_free(&w);
        CHECK(h.live == 0);
    }
    CHECK(r == CRIOIMG_OK && nomem >= 3);
}

/* The writer driven by a tiny script, one row a case: { } [ ] begin/end, k K keys "k" "K", s string,
   i int, t true, n null, N number "1.5e3", x number "01" (invalid). */
static void json_write_script(crioimg_json_writer *w, const char *ops)
{
    for (; *ops; ops++) {
        switch (*ops) {
        case '{': crioimg_json_write_object_begin(w); break;
        case '}': crioimg_json_write_object_end(w); break;
        case '[': crioimg_json_write_array_begin(w); break;
        case ']': crioimg_json_write_array_end(w); break;
        case 'k': crioimg_json_write_key(w, "k", 1); break;
        case 'K': crioimg_json_write_key(w, "K", 1); break;
        case 's': crioimg_json_write_string(w, "s", 1); break;
        case 'i': crioimg_json_write_int(w, 1); break;
        case 't': crioimg_json_write_bool(w, 1); break;
        case 'n': crioimg_json_write_null(w); break;
        case 'N': crioimg_json_write_number(w, "1.5e3", 5); break;
        case 'x': crioimg_json_write_number(w, "01", 2); break;
        default: break;
        }
    }
}

static void test_json_writer(void)
{
    static const struct { const char *ops; crioimg_result want; const char *text; } rows[] = {
        { "{ks}", CRIOIMG_OK, "{\"k\":\"s\"}" },
        { "[sitnN]", CRIOIMG_OK, "[\"s\",1,true,null,1.5e3]" },
        { "{k{}K[]}", CRIOIMG_OK, "{\"k\":{},\"K\":[]}" },
        { "[[[]],{}]", CRIOIMG_OK, "[[[]],{}]" },
        { "{k[{ki}]}", CRIOIMG_OK, "{\"k\":[{\"k\":1}]}" },
        { "s", CRIOIMG_OK, "\"s\"" },
        { "N", CRIOIMG_OK, "1.5e3" },
        { "", CRIOIMG_ERR_INVALID_ARGS, NULL },        /* nothing written */
        { "ss", CRIOIMG_ERR_INVALID_ARGS, NULL },      /* two documents */
        { "[]s", CRIOIMG_ERR_INVALID_ARGS, NULL },
        { "k", CRIOIMG_ERR_INVALID_ARGS, NULL },       /* a key outside an object */
        { "[k]", CRIOIMG_ERR_INVALID_ARGS, NULL },
        { "{s}", CRIOIMG_ERR_INVALID_ARGS, NULL },     /* a value without its key */
        { "{k}", CRIOIMG_ERR_INVALID_ARGS, NULL },     /* a key without its value */
        { "{kK", CRIOIMG_ERR_INVALID_ARGS, NULL },
        { "{k", CRIOIMG_ERR_INVALID_ARGS, NULL },
        { "[}", CRIOIMG_ERR_INVALID_ARGS, NULL },      /* mismatched ends */
        { "{]", CRIOIMG_ERR_INVALID_ARGS, NULL },
        { "]", CRIOIMG_ERR_INVALID_ARGS, NULL },
        { "[", CRIOIMG_ERR_INVALID_ARGS, NULL },       /* left open */
        { "[x]", CRIOIMG_ERR_INVALID_ARGS, NULL },     /* not a JSON number */
        { "[i}]", CRIOIMG_ERR_INVALID_ARGS, NULL },    /* calls after a failure are ignored */
    };
    size_t i;
    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        crioimg_json_writer w;
        const char *text = "unset";
        size_t len = 99;
        tests_context = rows[i].ops;
        crioimg_json_writer_init(&w, NULL);
        json_write_script(&w, rows[i].ops);
        CHECK(crioimg_json_writer_finish(&w, &text, &len) == rows[i].want);
        if (rows[i].text) { CHECK_STR(text, rows[i].text); CHECK(len == strlen(rows[i].text)); }
        else CHECK(text == NULL && len == 0);
        crioimg_json_writer_free(&w);
    }

    {   /* numbers: the grammar, checked */
        static const char *const good[] = { "0", "-0", "1e-5", "0.5E+10", "-12.340e0", "123456789012345678901234567890" };
        static const char *const bad[] = { "01", "1.", "+1", ".5", "1e", "NaN", " 1", "1 ", "-", "0x1", "1e+" };
        for (i = 0; i < sizeof good / sizeof good[0]; i++) {
            crioimg_json_writer w;
            const char *t;
            tests_context = good[i];
            crioimg_json_writer_init(&w, NULL);
            crioimg_json_write_number(&w, good[i], strlen(good[i]));
            CHECK(crioimg_json_writer_finish(&w, &t, NULL) == CRIOIMG_OK && strcmp(t, good[i]) == 0);
            crioimg_json_writer_free(&w);
        }
        for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            crioimg_json_writer w;
            tests_context = bad[i];
            crioimg_json_writer_init(&w, NULL);
            crioimg_json_write_number(&w, bad[i], strlen(bad[i]));
            CHECK(crioimg_json_writer_finish(&w, NULL, NULL) == CRIOIMG_ERR_INVALID_ARGS);
            crioimg_json_writer_free(&w);
        }
    }

    {   /* integers at the edges, and strings that need escaping, read back the same */
        static const long long ints[] = { 0, -1, 1, LLONG_MAX, LLONG_MIN, 1000000007LL };
        static const struct { const char *s; size_t n; const char *back; size_t bn; } strs[] = {
            { "plain", 5, "plain", 5 },
            { "q\"b\\s/", 6, "q\"b\\s/", 6 },
            { "\n\r\t\b\f\x01\x1f", 7, "\n\r\t\b\f\x01\x1f", 7 },
            { "nul\0in", 6, "nul\0in", 6 },
            { "caf\xc3\xa9 \xf0\x9f\x90\xb3", 10, "caf\xc3\xa9 \xf0\x9f\x90\xb3", 10 },
            { "\xe2\x80\xa8\xe2\x80\xa9", 6, "\xe2\x80\xa8\xe2\x80\xa9", 6 },
            { "bad\xff", 4, "bad\xef\xbf\xbd", 6 },                  /* invalid UTF-8 becomes U+FFFD */
            { "\xed\xa0\x80", 3, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd", 9 },
            { "", 0, "", 0 },
        };
        crioimg_json_writer w;
        crioimg_json d;
        crioimg_json_opts keep = fuzz_json_keep();
        const char *t;
        size_t len, k;
        long long v;
        tests_context = "json writer round trip";
        crioimg_json_writer_init(&w, NULL);
        crioimg_json_write_object_begin(&w);
        crioimg_json_write_key(&w, "ints", 4);
        crioimg_json_write_array_begin(&w);
        for (i = 0; i < sizeof ints / sizeof ints[0]; i++) crioimg_json_write_int(&w, ints[i]);
        crioimg_json_write_array_end(&w);
        crioimg_json_write_key(&w, "strs", 4);
        crioimg_json_write_array_begin(&w);
        for (i = 0; i < sizeof strs / sizeof strs[0]; i++) crioimg_json_write_string(&w, strs[i].s, strs[i].n);
        crioimg_json_write_array_end(&w);
        crioimg_json_write_key(&w, "k\"\n\xff", 4);
        crioimg_json_write_bool(&w, 0);
        crioimg_json_write_object_end(&w);
        CHECK(crioimg_json_writer_finish(&w, &t, &len) == CRIOIMG_OK && strlen(t) == len);
        CHECK(strstr(t, "[0,-1,1,9223372036854775807,-9223372036854775808,1000000007]") != NULL);
        CHECK(strstr(t, "\"\\u2028\\u2029\"") != NULL && strstr(t, "\"k\\\"\\n\\ufffd\":false") != NULL);
        if (CHECK(crioimg_json_parse(&d, t, len, &keep) == CRIOIMG_OK)) {   /* "nul\0in" comes back whole */
            size_t a = crioimg_json_get(&d, 0, "ints"), b = crioimg_json_get(&d, 0, "strs");
            for (i = 0, k = a + 1; i < sizeof ints / sizeof ints[0]; i++, k = d.tok[k].next)
                CHECK(crioimg_json_int(&d, k, LLONG_MIN, LLONG_MAX, &v) == CRIOIMG_OK && v == ints[i]);
            for (i = 0, k = b + 1; i < sizeof strs / sizeof strs[0]; i++, k = d.tok[k].next) {
                tests_context = strs[i].s;
                CHECK(crioimg_json_string_eq(&d, k, strs[i].back, strs[i].bn));
            }
            tests_context = "json writer round trip";
            CHECK(d.tok[crioimg_json_get(&d, 0, "k\"\n\xef\xbf\xbd")].type == CRIOIMG_JSON_FALSE);
            crioimg_json_free(&d);
        }
        crioimg_json_writer_free(&w);
        crioimg_json_writer_free(&w);   /* harmless twice */
    }

    {   /* depth: 64 open containers, not 65, as the reader's default */
        crioimg_json_writer w;
        crioimg_json d;
        const char *t;
        size_t len;
        tests_context = "json writer depth";
        crioimg_json_writer_init(&w, NULL);
        for (i = 0; i < 64; i++) crioimg_json_write_array_begin(&w);
        for (i = 0; i < 64; i++) crioimg_json_write_array_end(&w);
        CHECK(crioimg_json_writer_finish(&w, &t, &len) == CRIOIMG_OK && len == 128);
        CHECK(crioimg_json_parse(&d, t, len, NULL) == CRIOIMG_OK && d.ntok == 64);
        crioimg_json_free(&d);
        crioimg_json_writer_free(&w);
        crioimg_json_writer_init(&w, NULL);
        for (i = 0; i < 65; i++) crioimg_json_write_array_begin(&w);
        for (i = 0; i < 65; i++) crioimg_json_write_array_end(&w);
        CHECK(crioimg_json_writer_finish(&w, &t, &len) == CRIOIMG_ERR_JSON_TOO_DEEP);
        crioimg_json_writer_free(&w);
    }

    {   /* a half-set allocator is refused at init, reported at finish, and nothing is allocated */
        crioimg_json_writer w;
        fuzz_json_heap h;
        crioimg_allocator a = fuzz_json_allocator(&h, 0);
        tests_context = "json writer allocator";
        a.realloc = NULL;
        crioimg_json_writer_init(&w, &a);
        crioimg_json_write_null(&w);
        CHECK(crioimg_json_writer_finish(&w, NULL, NULL) == CRIOIMG_ERR_INVALID_ARGS && h.calls == 0);
        crioimg_json_writer_free(&w);
    }
}

/* Every accepted table document written back from its tokens parses to the same tree (the fuzz target
   checks the same on every input; here it is spelt out on known documents). */
static void test_json_roundtrip_table(void)
{
    size_t i, done = 0;
    for (i = 0; i < sizeof json_cases / sizeof json_cases[0]; i++) {
        crioimg_json d, e;
        crioimg_json_writer w;
        const char *t;
        size_t len;
        crioimg_json_opts keep = fuzz_json_keep();
        if (json_cases[i].want != CRIOIMG_OK) continue;
        tests_context = json_cases[i].name;
        if (crioimg_json_parse(&d, json_cases[i].doc, json_cases[i].len, &keep) != CRIOIMG_OK) continue;
        crioimg_json_writer_init(&w, NULL);
        CHECK(fuzz_json_rewrite(&d, &w, &t, &len) == CRIOIMG_OK);
        CHECK(crioimg_json_parse(&e, t, len, &keep) == CRIOIMG_OK && fuzz_json_same(&d, &e));
        done++;
        crioimg_json_free(&e);
        crioimg_json_writer_free(&w);
        crioimg_json_free(&d);
    }
    tests_context = "json round trips";
    CHECK(done >= 50);
    {   /* the rewrite is compact and canonical in its escapes */
        static const char in[] = " { \"a\\u0062\" : [ 1.50 , \"\\/\\u00e9\\ud83d\\ude00\" , true ] } ";
        crioimg_json d;
        crioimg_json_writer w;
        const char *t;
        CHECK(crioimg_json_parse(&d, in, sizeof in - 1, NULL) == CRIOIMG_OK);
        crioimg_json_writer_init(&w, NULL);
        CHECK(fuzz_json_rewrite(&d, &w, &t, NULL) == CRIOIMG_OK);
        CHECK_STR(t, "{\"ab\":[1.50,\"/\xc3\xa9\xf0\x9f\x98\x80\",true]}");
        crioimg_json_writer_free(&w);
        crioimg_json_free(&d);
    }
}

/* issue 10, 13: a \u0000 anywhere (value, key, after other escapes) is refused by default -- a zeroed
   struct, NULL options, or refuse_nul (its old opt-in, kept) -- with the line; keep_nul keeps it, and it
   then survives unescaping with its length, so a caller that uses lengths loses nothing */
static void test_json_refuse_nul(void)
{
    static const struct { const char *text; crioimg_result want; size_t at; unsigned long line; } rows[] = {
        { "\"a\\u0000b\"", CRIOIMG_ERR_JSON_SYNTAX, 2, 1 },
        { "{\n\"k\":\n\"x\\u0000\"}", CRIOIMG_ERR_JSON_SYNTAX, 9, 3 },
        { "{\"k\\u0000\":1}", CRIOIMG_ERR_JSON_SYNTAX, 3, 1 },                 /* in a key */
        { "[\"\\n\\t\\u0041\",\r\n\"\\u0000\"]", CRIOIMG_ERR_JSON_SYNTAX, 17, 2 },
        { "\"\\u0001 \\u0100 \\ud83d\\ude00\"", CRIOIMG_OK, 0, 0 },             /* other escapes pass */
        { "\"\\\\u0000\"", CRIOIMG_OK, 0, 0 },                                    /* an escaped backslash, then text */
    };
    /* the options, and whether they keep NULs */
    static const struct { const char *name; int use, refuse_nul, keep_nul, keeps; } opts[] = {
        { "NULL options", 0, 0, 0, 0 },
        { "zeroed options", 1, 0, 0, 0 },
        { "refuse_nul", 1, 1, 0, 0 },
        { "keep_nul", 1, 0, 1, 1 },
        { "refuse_nul wins over keep_nul", 1, 1, 1, 0 },
    };
    crioimg_json_opts o;
    crioimg_json d;
    size_t i, k;
    char out[8];
    for (k = 0; k < sizeof opts / sizeof opts[0]; k++) {
        memset(&o, 0, sizeof o);
        o.refuse_nul = opts[k].refuse_nul;
        o.keep_nul = opts[k].keep_nul;
        for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
            crioimg_result want = opts[k].keeps ? CRIOIMG_OK : rows[i].want;
            tests_context = rows[i].text;
            if (!CHECK(crioimg_json_parse(&d, rows[i].text, strlen(rows[i].text), opts[k].use ? &o : NULL) == want))
                fprintf(stderr, "  with %s\n", opts[k].name);
            if (want != CRIOIMG_OK) {
                CHECK_STR(d.err, "NUL character (\\u0000) in a string");
                CHECK(d.err_offset == rows[i].at);
                CHECK(d.err_line == rows[i].line);
            }
            crioimg_json_free(&d);
        }
    }
    tests_context = "json NUL kept with its length (keep_nul)";
    memset(&o, 0, sizeof o);
    o.keep_nul = 1;
    CHECK(crioimg_json_parse(&d, "\"a\\u0000b\"", 10, &o) == CRIOIMG_OK);
    CHECK(crioimg_json_string(&d, 0, out, sizeof out) == 3 && memcmp(out, "a\0b", 4) == 0 && strlen(out) == 1);
    CHECK(crioimg_json_string_eq(&d, 0, "a\0b", 3) && !crioimg_json_string_eq(&d, 0, "a", 1));
    crioimg_json_free(&d);
    tests_context = "json err_line and crioimg_json_line";
    CHECK(crioimg_json_parse(&d, "{\n\"a\": 1,\n\"b\": x}", 17, NULL) == CRIOIMG_ERR_JSON_SYNTAX && d.err_line == 3);
    CHECK(crioimg_json_parse(&d, "[\n1,\n\n2]", 8, NULL) == CRIOIMG_OK);
    CHECK(crioimg_json_line(&d, d.tok[0].start) == 1 && crioimg_json_line(&d, d.tok[1].start) == 2 &&
          crioimg_json_line(&d, d.tok[2].start) == 4 && crioimg_json_line(&d, 1000) == 4 && crioimg_json_line(NULL, 0) == 0);
    crioimg_json_free(&d);
    memset(&o, 0, sizeof o);
    o.max_size = 2;
    CHECK(crioimg_json_parse(&d, "[\n\n]", 4, &o) == CRIOIMG_ERR_JSON_TOO_BIG && d.err_line == 0);   /* unread: no line */
}

static void test_json(void)
{
    test_json_refuse_nul();
    test_json_table();
    test_json_messages();
    test_json_dup_messages();
    test_json_navigation();
    test_json_int();
    test_json_duplicates();
    test_json_limits();
    test_json_args_and_memory();
    test_json_writer();
    test_json_roundtrip_table();
}
