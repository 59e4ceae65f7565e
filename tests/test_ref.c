/* Reference parsing: every case of the Go test tables (tests/ref_cases.h, ported as data), our extensions
   (IPv6, C edge cases), and properties the Go tests do not state: linear time, no allocation, round
   trips, truncation. */
#include "ref_cases.h"


/* Checks one expected field; NULL in the table means "not checked". */
static void ref_expect(const char *what, const char *want, const char *got, size_t got_len)
{
    char buf[CRIOIMG_REF_STRING_MAX + 64];
    if (want == NULL) return;
    if (got_len >= sizeof buf) got_len = sizeof buf - 1;
    memcpy(buf, got, got_len);
    buf[got_len] = '\0';
    test_check_str(buf, want, __FILE__, __LINE__, what);
}

static void ref_expect_all(const ref_case *c, const crioimg_ref *r)
{
    char s[CRIOIMG_REF_STRING_MAX + 1];
    size_t l;
    const char *p;
    ref_expect("name", c->name, r->name, r->name_len);
    p = crioimg_ref_domain(r, &l); ref_expect("domain", c->domain, p, l);
    p = crioimg_ref_path(r, &l);   ref_expect("path", c->path, p, l);
    ref_expect("tag", c->tag, r->tag, r->tag_len);
    ref_expect("digest", c->digest, r->digest, r->digest_len);
    l = crioimg_ref_string(r, s, sizeof s); ref_expect("string", c->string, s, l);
    p = crioimg_ref_familiar_name(r, &l);   ref_expect("familiar_name", c->familiar_name, p, l);
    l = crioimg_ref_familiar_string(r, s, sizeof s); ref_expect("familiar_string", c->familiar_string, s, l);
}

/* The result of a regexp-only op: matched or not, and its captures. */
static void ref_run_regexp(const ref_case *c, const char *in, size_t n)
{
    int matched = 0;
    crioimg__ref_match m;
    if (strcmp(c->op, "re_domain") == 0) matched = crioimg__ref_domain(in, n);
    else if (strcmp(c->op, "re_identifier") == 0) matched = crioimg_id_is_full(in, n);
    else if (strcmp(c->op, "re_short_identifier") == 0) matched = crioimg_id_is_prefix(in, n, 6);
    else if (strcmp(c->op, "re_name") == 0) {
        matched = crioimg__ref_match_parts(&m, in, n, 0, 0) && !m.tag && !m.digest;
        if (matched) {
            ref_expect("domain", c->domain, in, m.domain_len);
            ref_expect("path", c->path, in + (m.domain_len ? m.domain_len + 1 : 0), n - (m.domain_len ? m.domain_len + 1 : 0));
        }
    } else if (strcmp(c->op, "re_reference") == 0) {
        matched = crioimg__ref_match_parts(&m, in, n, 0, 0);
        if (matched) {
            ref_expect("name", c->name, m.name, m.name_len);
            ref_expect("tag", c->tag, m.tag ? m.tag : "", m.tag_len);
            ref_expect("digest", c->digest, m.digest ? m.digest : "", m.digest_len);
        }
    } else {
        CHECK(!"unknown op");
        return;
    }
    CHECK(matched == (c->err == NULL));
}

static void ref_run_case(const ref_case *c)
{
    crioimg_ref r;
    crioimg_result rc;
    const char *in = c->in;
    size_t n = c->in_len ? c->in_len : strlen(in);
    tests_context = c->in;
    if (strncmp(c->op, "re_", 3) == 0) { ref_run_regexp(c, in, n); return; }
    if (strcmp(c->op, "parse") == 0) rc = crioimg_ref_parse(&r, in, n);
    else if (strcmp(c->op, "normalized") == 0 || strcmp(c->op, "familiar") == 0) rc = crioimg_ref_parse_normalized(&r, in, n);
    else if (strcmp(c->op, "named") == 0) rc = crioimg_ref_parse_named(&r, in, n);
    else if (strcmp(c->op, "any") == 0) rc = crioimg_ref_parse_any(&r, in, n);
    else if (strcmp(c->op, "docker") == 0) rc = crioimg_ref_parse_docker(&r, in, n);
    else if (strcmp(c->op, "with_name") == 0) rc = crioimg_ref_with_name(&r, in, n);
    else if (strcmp(c->op, "with_tag") == 0 || strcmp(c->op, "with_digest") == 0) {
        int tag = strcmp(c->op, "with_tag") == 0;
        rc = crioimg_ref_with_name(&r, in, n);
        if (rc == CRIOIMG_OK && c->arg2)
            rc = tag ? crioimg_ref_with_digest(&r, &r, c->arg2, strlen(c->arg2)) : crioimg_ref_with_tag(&r, &r, c->arg2, strlen(c->arg2));
        if (rc == CRIOIMG_OK)
            rc = tag ? crioimg_ref_with_tag(&r, &r, c->arg, strlen(c->arg)) : crioimg_ref_with_digest(&r, &r, c->arg, strlen(c->arg));
    } else if (strcmp(c->op, "familiar_match") == 0) {
        int matched = 0;
        CHECK(crioimg_ref_parse_any(&r, in, n) == CRIOIMG_OK);
        rc = crioimg_ref_familiar_match(c->arg, strlen(c->arg), &r, &matched);
        if (c->err && strcmp(c->err, "nomatch") == 0) { CHECK(rc == CRIOIMG_OK && !matched); return; }
        if (c->err) { char e[256]; crioimg_ref_error_message(rc, in, n, e, sizeof e); CHECK_STR(e, c->err); return; }
        CHECK(rc == CRIOIMG_OK && matched);
        return;
    } else {
        CHECK(!"unknown op");
        return;
    }
    if (c->err) {
        char e[1024];
        crioimg_ref_error_message(rc, in, n, e, sizeof e);
        CHECK(rc != CRIOIMG_OK);
        CHECK_STR(e, c->err);
        return;
    }
    if (!CHECK(rc == CRIOIMG_OK)) { fprintf(stderr, "  error: %s\n", crioimg_result_str(rc)); return; }
    ref_expect_all(c, &r);
}

/* parse -> String -> parse gives the same parts; the familiar form parses back to the same reference */
static void ref_round_trip(const ref_case *c)
{
    crioimg_ref a, b;
    char s[CRIOIMG_REF_STRING_MAX + 1];
    size_t n = c->in_len ? c->in_len : strlen(c->in), l;
    tests_context = c->in;
    if (crioimg_ref_parse_normalized(&a, c->in, n) != CRIOIMG_OK) return;
    l = crioimg_ref_string(&a, s, sizeof s);
    CHECK(crioimg_ref_parse_named(&b, s, l) == CRIOIMG_OK && crioimg_ref_equal(&a, &b));
    CHECK(crioimg_ref_parse(&b, s, l) == CRIOIMG_OK && crioimg_ref_equal(&a, &b));
    l = crioimg_ref_familiar_string(&a, s, sizeof s);
    if (crioimg_id_is_full(s, l)) return;  /* docker.io/library/<64 hex> has a familiar form Go refuses */
    if (fuzz_ref_looks_qualified(s, l)) return;  /* "docker.io/a.b/c" has the familiar form "a.b/c" */
    CHECK(crioimg_ref_parse_normalized(&b, s, l) == CRIOIMG_OK && crioimg_ref_equal(&a, &b));
}

/* Worst-case inputs for a backtracking matcher: the right answers on 1 MB inputs. Their speed is
   measured in bench/ (tests are not timed); a quadratic matcher would stall this test for minutes. */
static void ref_linear(void)
{
    static char big[1 << 20];
    static const char *const pats[] = { "a-", "-.", "a/", "a_", "A.", "a:", "[:", "a@" };
    size_t p, i;
    for (p = 0; p < sizeof pats / sizeof pats[0]; p++) {
        crioimg_ref r;
        crioimg_image_name in;
        for (i = 0; i < sizeof big; i++) big[i] = pats[p][i & 1];
        tests_context = pats[p];
        CHECK(crioimg_ref_parse_normalized(&r, big, sizeof big) != CRIOIMG_OK);
        CHECK(crioimg_ref_parse(&r, big, sizeof big) != CRIOIMG_OK);
        CHECK(crioimg_ref_parse_any(&r, big, sizeof big) != CRIOIMG_OK);
        CHECK(crioimg_image_name_parse(&in, big, sizeof big, NULL, 0, NULL) != CRIOIMG_OK);
    }
    /* a valid name-shaped input longer than 255: the length error, not a format error */
    for (i = 0; i < sizeof big; i++) big[i] = (i & 1) ? '/' : 'a';
    {
        crioimg_ref r;
        tests_context = "1 MB of a/";
        CHECK(crioimg_ref_parse(&r, big, sizeof big - 1) == CRIOIMG_ERR_REF_NAME_TOO_LONG);
    }
}

/* Extra checks on API behaviour that the Go tables cannot express. */
static void ref_api(void)
{
    crioimg_ref r, t;
    char s[8], e[64];
    int m;
    tests_context = "api";
    CHECK(crioimg_ref_parse(NULL, "a", 1) == CRIOIMG_ERR_INVALID_ARGS);
    CHECK(crioimg_ref_parse(&r, NULL, 1) == CRIOIMG_ERR_INVALID_ARGS);
    CHECK(crioimg_ref_parse(&r, NULL, 0) == CRIOIMG_ERR_REF_NAME_EMPTY);
    /* on error the output is zeroed */
    memset(&r, 0x55, sizeof r);
    CHECK(crioimg_ref_parse_normalized(&r, "A", 1) != CRIOIMG_OK);
    CHECK(r.name[0] == 0 && r.name_len == 0 && r.tag_len == 0 && r.digest_len == 0);
    /* String truncates and says how long it would be */
    CHECK(crioimg_ref_parse_normalized(&r, "nginx:1", 7) == CRIOIMG_OK);
    CHECK(crioimg_ref_string(&r, s, sizeof s) == 25);
    CHECK_STR(s, "docker.");
    CHECK(crioimg_ref_string(&r, NULL, 0) == 25);
    /* TrimNamed, TagNameOnly, and WithTag keeping a digest */
    t = r; crioimg_ref_trim_named(&t); CHECK(t.tag_len == 0 && t.digest_len == 0 && t.name_len == r.name_len);
    crioimg_ref_tag_name_only(&t); CHECK_STR(t.tag, "latest");
    CHECK(crioimg_ref_with_digest(&t, &r, "sha256:" "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", 71) == CRIOIMG_OK);
    CHECK_STR(t.tag, "1");
    crioimg_ref_tag_name_only(&t); CHECK_STR(t.tag, "1");
    /* a digest-only reference has no name to tag */
    CHECK(crioimg_ref_parse_any(&t, "sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", 71) == CRIOIMG_OK);
    CHECK(crioimg_ref_with_tag(&t, &t, "x", 1) == CRIOIMG_ERR_REF_NO_NAME);
    CHECK(crioimg_ref_familiar_match("sha256:*", 8, &t, &m) == CRIOIMG_OK && m);
    /* WithDigest refuses what no fixed-size struct can hold (Go has no bound) */
    {
        char d[200];
        memcpy(d, "sha256:", 7);
        memset(d + 7, 'a', sizeof d - 7);
        CHECK(crioimg_ref_with_digest(&t, &r, d, sizeof d) == CRIOIMG_ERR_REF_DIGEST_FORMAT);
    }
    /* digests as go-digest checks them */
    CHECK(crioimg_digest_validate("sha256:../../etc/passwd", 23) == CRIOIMG_ERR_DIGEST_LENGTH);
    CHECK(crioimg_digest_validate("sha256:" "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF", 71) == CRIOIMG_ERR_DIGEST_FORMAT);
    CHECK(crioimg_digest_validate("md5:abc", 7) == CRIOIMG_ERR_DIGEST_UNSUPPORTED);
    CHECK(crioimg_digest_validate("MD5:abc", 7) == CRIOIMG_ERR_DIGEST_FORMAT);
    CHECK(crioimg_digest_validate(":abc", 4) == CRIOIMG_ERR_DIGEST_FORMAT);
    CHECK(crioimg_digest_validate("sha256:", 7) == CRIOIMG_ERR_DIGEST_FORMAT);
    /* IDs */
    CHECK(crioimg_id_is_prefix("abc", 3, 3) && !crioimg_id_is_prefix("ab", 2, 3) && !crioimg_id_is_prefix("abg", 3, 3));
    /* the error texts that quote their input, and truncation */
    CHECK(crioimg_ref_error_message(CRIOIMG_ERR_REF_FORMAT, "x", 1, e, sizeof e) == 24);
    CHECK_STR(e, "invalid reference format");
    CHECK(crioimg_ref_error_message(CRIOIMG_ERR_REF_NO_NAME, "x", 1, e, sizeof e) == 23);
    CHECK_STR(e, "reference x has no name");
    /* a bad pattern is reported even when the match already failed (path.Match) */
    CHECK(crioimg_ref_parse_normalized(&r, "nginx", 5) == CRIOIMG_OK);
    CHECK(crioimg_ref_familiar_match("x[", 2, &r, &m) == CRIOIMG_ERR_REF_BAD_PATTERN && !m);
    CHECK(crioimg_ref_familiar_match("ng*", 3, &r, &m) == CRIOIMG_OK && m);
    CHECK(crioimg_ref_familiar_match("[^a-m]ginx", 10, &r, &m) == CRIOIMG_OK && m);
    CHECK(crioimg_ref_familiar_match("*/nginx", 7, &r, &m) == CRIOIMG_OK && !m);
}

/* The parser never allocates: every allocator call would show in the counters. */
static void ref_no_alloc(void)
{
    size_t i;
    crioimg_ref r;
    size_t before = t_allocs;
    for (i = 0; i < sizeof ref_cases / sizeof ref_cases[0]; i++) {
        const ref_case *c = &ref_cases[i];
        size_t n = c->in_len ? c->in_len : strlen(c->in);
        crioimg_ref_parse_normalized(&r, c->in, n);
        crioimg_ref_parse_any(&r, c->in, n);
        crioimg_ref_parse(&r, c->in, n);
    }
    tests_context = "no allocation";
    CHECK(t_allocs == before);
}

/* Go's retry on strings.ToLower(s) when the lowercased input can be ASCII: U+0130 (\304\260) lowers to
   'i', U+212A (\342\204\252) to 'k'. Checked without a copy of the input (the lowered view): the tag limit
   counts characters after lowering, and a lowered input over 4096 characters is not told apart (README). */
static void ref_lowered(void)
{
    static const struct { const char *in; size_t rune_len, runes; const char *prefix; crioimg_result want; } rows[] = {
        { "\304\260mage", 0, 0, "", CRIOIMG_ERR_REF_UPPERCASE },                   /* "image" */
        { "a:\304\260", 0, 0, "", CRIOIMG_ERR_REF_UPPERCASE },                      /* in a tag */
        { "\342\204\252ube/x\304\260", 0, 0, "", CRIOIMG_ERR_REF_UPPERCASE },       /* two components */
        { "\304\260.io:5000/x", 0, 0, "", CRIOIMG_ERR_REF_UPPERCASE },              /* in a domain with a port */
        { "a@sha\304\260:0123456789abcdef0123456789abcdef", 0, 0, "", CRIOIMG_ERR_REF_UPPERCASE }, /* a digest's algorithm */
        { "a@sha256:0123456789abcdef0123456789abcde\304\260", 0, 0, "", CRIOIMG_ERR_REF_FORMAT },  /* 'i' is no hex digit */
        { "bus\303\251\304\260", 0, 0, "", CRIOIMG_ERR_REF_FORMAT },                 /* é stays non-ASCII */
        { "\304\260", 2, 127, "a:", CRIOIMG_ERR_REF_UPPERCASE },                    /* a tag of 127 characters lowered (254 bytes) */
        { "\304\260", 2, 128, "a:", CRIOIMG_ERR_REF_UPPERCASE },                    /* 128: the limit */
        { "\304\260", 2, 129, "a:", CRIOIMG_ERR_REF_FORMAT },                       /* 129: over it */
        { "\342\204\252", 3, 4096, "", CRIOIMG_ERR_REF_UPPERCASE },                 /* 4096 characters lowered */
        { "\342\204\252", 3, 4097, "", CRIOIMG_ERR_REF_FORMAT },                    /* over: not told apart */
    };
    static char buf[3 * 4097 + 8];
    size_t i, k;
    crioimg_ref r;
    tests_context = "lowered view";
    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        size_t n = strlen(rows[i].prefix);
        memcpy(buf, rows[i].prefix, n);
        if (rows[i].runes == 0) { memcpy(buf + n, rows[i].in, strlen(rows[i].in)); n += strlen(rows[i].in); }
        for (k = 0; k < rows[i].runes; k++) { memcpy(buf + n, rows[i].in, rows[i].rune_len); n += rows[i].rune_len; }
        CHECK(crioimg_ref_parse(&r, buf, n) == rows[i].want);
    }
}

static void test_ref(void)
{
    size_t i;
    for (i = 0; i < sizeof ref_cases / sizeof ref_cases[0]; i++) ref_run_case(&ref_cases[i]);
    for (i = 0; i < sizeof ref_cases_extra / sizeof ref_cases_extra[0]; i++) ref_run_case(&ref_cases_extra[i]);
    for (i = 0; i < sizeof ref_cases / sizeof ref_cases[0]; i++) ref_round_trip(&ref_cases[i]);
    for (i = 0; i < sizeof ref_cases_extra / sizeof ref_cases_extra[0]; i++) ref_round_trip(&ref_cases_extra[i]);
    /* the fuzz target's properties (it aborts on a violation) over every table input */
    for (i = 0; i < sizeof ref_cases / sizeof ref_cases[0]; i++) {
        const ref_case *c = &ref_cases[i];
        CHECK(fuzz_ref((const uint8_t *)c->in, c->in_len ? c->in_len : strlen(c->in)) == 0);
    }
    ref_api();
    ref_no_alloc();
    ref_linear();
    ref_lowered();
}
