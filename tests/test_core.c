/* core: result codes, allocator, JSON quoting */

static size_t core_allocs;
static void *core_alloc(size_t n, void *u) { (void)u; core_allocs++; return malloc(n); }
static void *core_realloc(void *p, size_t n, void *u) { (void)u; return realloc(p, n); }
static void core_free(void *p, void *u) { (void)u; core_allocs--; free(p); }

static void test_core(void)
{
    crioimg_allocator a;
    char out[64];
    void *p;

    tests_context = "results";
    CHECK(CRIOIMG_OK == 0);
    CHECK_STR(crioimg_result_str(CRIOIMG_OK), "success");
    CHECK_STR(crioimg_result_str(CRIOIMG_ERR_REF_FORMAT), "invalid reference format");
    CHECK_STR(crioimg_result_str(CRIOIMG_ERR_DIGEST_LENGTH), "invalid checksum digest length");
    CHECK_STR(crioimg_result_str((crioimg_result)-9999), "unknown result");
    CHECK_STR(crioimg_result_name(CRIOIMG_ERR_REF_UPPERCASE), "ERR_REF_UPPERCASE");
    {   /* every code in the list is negative (but OK), distinct, and has a text */
#define T_CODE(name, value, text) { value, text },
        static const struct { int v; const char *t; } all[] = { CRIOIMG_RESULT_LIST(T_CODE) };
#undef T_CODE
        size_t i, j;
        for (i = 0; i < sizeof all / sizeof all[0]; i++) {
            CHECK(i == 0 ? all[i].v == 0 : all[i].v < 0);
            CHECK(strlen(all[i].t) > 0 && strcmp(crioimg_result_str((crioimg_result)all[i].v), all[i].t) == 0);
            for (j = 0; j < i; j++) CHECK(all[i].v != all[j].v);
        }
    }

    tests_context = "version";
    CHECK(CRIOIMG_VERSION_MAJOR == 0 && CRIOIMG_VERSION_MINOR >= 1);
    CHECK(CRIOIMG_IMPLEMENTATION_INCLUDED == 1);

    tests_context = "allocator";
    memset(&a, 0, sizeof a);
    CHECK(crioimg_allocator_check(&a) == CRIOIMG_OK);
    CHECK(crioimg_allocator_check(NULL) == CRIOIMG_OK);
    {   /* cancel flags: NULL never cancelled; set, then seen */
        volatile int flag = 0;
        CHECK(!crioimg_cancelled(NULL));
        CHECK(!crioimg_cancelled(&flag));
        crioimg_cancel(&flag);
        crioimg_cancel(NULL);
        CHECK(crioimg_cancelled(&flag) && flag == 1);
    }
    a.alloc = core_alloc;
    CHECK(crioimg_allocator_check(&a) == CRIOIMG_ERR_INVALID_ARGS);
    a.realloc = core_realloc; a.free = core_free;
    CHECK(crioimg_allocator_check(&a) == CRIOIMG_OK);
    p = crioimg_malloc(&a, 16);
    CHECK(p != NULL && core_allocs == 1);
    p = crioimg_realloc(&a, p, 32);
    CHECK(p != NULL);
    crioimg_free(&a, p);
    CHECK(core_allocs == 0);
    crioimg_free(&a, NULL);
    p = crioimg_malloc(NULL, 8);  /* the compile-time default */
    CHECK(p != NULL);
    crioimg_free(NULL, p);

    tests_context = "json quote";
    CHECK(crioimg_json_quote(out, sizeof out, "a\"b\\c\n\x01", 7) == 17);
    CHECK_STR(out, "\"a\\\"b\\\\c\\n\\u0001\"");
    crioimg_json_quote(out, sizeof out, "caf\xc3\xa9 \xff<>&", 10);
    CHECK_STR(out, "\"caf\xc3\xa9 \\ufffd<>&\"");       /* invalid UTF-8 replaced; no HTML escaping */
    crioimg_json_quote(out, sizeof out, "\xe2\x80\xa8", 3);
    CHECK_STR(out, "\"\\u2028\"");
    crioimg_json_quote(out, sizeof out, "\xed\xa0\x80", 3);  /* a surrogate is not UTF-8 */
    CHECK_STR(out, "\"\\ufffd\\ufffd\\ufffd\"");
    CHECK(crioimg_json_quote(out, 4, "abcdef", 6) == 8);     /* truncated, still terminated */
    CHECK_STR(out, "\"ab");
    CHECK(crioimg_json_quote(NULL, 0, "abc", 3) == 5);
}
