/* registries.conf: containers/image's pkg/sysregistriesv2 and pkg/shortnames tests, ported as data
   (their testdata files are copied under tests/data/registries and tests/data/shortnames). Skipped, with
   why: TestNewConfigWrapper (RootForImplicitAbsolutePaths has no equivalent), TestConfigCache and
   TestInvalidateCache (no global cache, by design), TestCredentialHelpers (parsed, not exposed yet),
   Add/Remove and ResolveAndRecord (the per-user alias cache file is not written), the Docker-Hub-only
   column of TestResolve (a Podman API mode), the "invalid mode" rows of
   TestResolveWithVaryingShortNameModes (no API passes an invalid mode). Tests run from the repository
   root (tests/run does). */

#define RD "tests/data/registries/"
#define SD "tests/data/shortnames/"
#define NOWHERE "tests/data/this-does-not-exist"
#define DG "@sha256:d366a4665ab44f0648d7a00ae3fae139d55e32f9712c67accd604bb55df9d05a"
#define AA "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

static crioimg_registries *conf_load(const char *path, const char *dir, crioimg_result *res)
{
    crioimg_registries *r = NULL;
    crioimg_registries_opts o;
    crioimg_conf_paths p;
    memset(&o, 0, sizeof o);
    o.no_resolver = 1;
    if (crioimg_registries_new(&r, &o) != CRIOIMG_OK) return NULL;
    p.path = path; p.dir = dir; p.home = NOWHERE;
    *res = crioimg_registries_load_conf(r, &p);
    return r;
}

static const crioimg__regent *conf_find(crioimg_registries *r, const char *ref)
{
    return crioimg__find_registry(r->conf, ref, strlen(ref));
}

static void test_conf_prefix_match(void)
{
    static const struct { const char *ref, *prefix; long want; } cases[] = {
        /* TestRefMatchingSubdomainPrefix */
        { "docker.io", "*.io", 9 }, { "docker.io/foo", "*.com", -1 }, { "example.com/foo", "*.co", -1 },
        { "example.com/foo", "*.example.com", -1 }, { "example.com/foo", "*.com", 11 }, { "example.com/foo:bar", "*.com", 11 },
        { "example.com/foo/bar:baz", "*.com", 11 }, { "yet.another.example.com/foo", "**.example.com", -1 },
        { "yet.another.example.com/foo", "***.another.example.com", -1 },
        { "yet.another.example.com/foo", "**********.another.example.com", -1 },
        { "yet.another.example.com/foo/bar", "**********.another.example.com", -1 },
        { "yet.another.example.com/foo/bar", "*.another.example.com", 23 },
        { "another.example.com/namespace.com/foo/bar/bbq:baz", "*.example.com", 19 },
        { "example.net/namespace-ends-in.com/foo/bar/bbq:baz", "*.com", -1 },
        { "another.example.com/namespace.com/foo/bar/bbq:baz", "*.namespace.com", -1 },
        { "sub.example.com/foo/bar", "*.com", 15 }, { "sub.example.com/foo/bar", "*.example.com", 15 },
        { "another.sub.example.com/foo/bar/bbq:baz", "*.example.com", 23 },
        { "another.sub.example.com/foo/bar/bbq:baz", "*.sub.example.com", 23 },
        { "yet.another.example.com/foo/bar@" AA, "*.example.com", 23 },
        { "yet.another.sub.example.com/foo/bar@" AA, "*.sub.example.com", 27 },
        /* TestRefMatchingPrefix */
        { "docker.io", "docker.io", 9 }, { "docker.io", "example.com", -1 }, { "example.com:5000", "example.com:5000", 16 },
        { "example.com:50000", "example.com:5000", -1 }, { "example.com:5000", "example.com", 11 },
        { "example.com/foo", "example.com", 11 }, { "example.com/foo/bar", "example.com", 11 },
        { "example.com/foo/bar:baz", "example.com", 11 }, { "example.com/foo/bar@" AA, "example.com", 11 },
        { "docker.io", "docker.io/library", -1 }, { "docker.io/library", "docker.io/library", 17 },
        { "example.com/library", "docker.io/library", -1 }, { "docker.io/libraryy", "docker.io/library", -1 },
        { "docker.io/library/busybox", "docker.io/library", 17 }, { "docker.io", "docker.io/library/busybox", -1 },
        { "docker.io/library/busybox", "docker.io/library/busybox", 25 },
        { "example.com/library/busybox", "docker.io/library/busybox", -1 },
        { "docker.io/library/busybox2", "docker.io/library/busybox", -1 },
        { "example.com", "example.com/foo:bar", -1 }, { "example.com/foo", "example.com/foo:bar", -1 },
        { "example.com/foo:bar", "example.com/foo:bar", 19 }, { "example.com/foo:bar2", "example.com/foo:bar", -1 },
        { "example.com", "example.com/foo@" AA, -1 }, { "example.com/foo", "example.com/foo@" AA, -1 },
        { "example.com/foo@" AA, "example.com/foo@" AA, 87 },
        { "example.com/foo@sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", "example.com/foo@" AA, -1 },
        { "example.com/foo", "*", -1 },
        /* the issue's bad input: a wildcard is no suffix match */
        { "evilexample.com/x", "*.example.com", -1 }, { "a.example.com.evil/x", "*.example.com", -1 },
        { "a.example.com", "*.example.com", 13 }, { "a.example.com@x", "*.example.com", 13 },
    };
    size_t i;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tests_context = cases[i].ref;
        CHECK(crioimg__prefix_match(cases[i].ref, strlen(cases[i].ref), cases[i].prefix) == cases[i].want);
    }
}

static void test_conf_rewrite(void)
{
    /* TestRewriteReferenceSuccess and TestRewriteReferenceFailedDuringParseNamed ("" = must fail) */
    static const struct { const char *in, *prefix, *location, *want; } cases[] = {
        { "example.com/image", "example.com", "example.com", "example.com/image" },
        { "example.com/image:latest", "example.com", "example.com", "example.com/image:latest" },
        { "example.com:5000/image", "example.com:5000", "example.com:5000", "example.com:5000/image" },
        { "example.com:5000/image:latest", "example.com:5000", "example.com:5000", "example.com:5000/image:latest" },
        { "example.com/foo@" AA, "example.com", "example.com", "example.com/foo@" AA },
        { "example.com/foo/image:latest", "example.com/foo", "example.com", "example.com/image:latest" },
        { "example.com/foo/image:latest", "example.com/foo", "example.com/path", "example.com/path/image:latest" },
        { "docker.io/library/image:latest", "docker.io", "docker.io", "docker.io/library/image:latest" },
        { "docker.io/library/image", "docker.io/library", "example.com", "example.com/image" },
        { "docker.io/library/image", "docker.io", "example.com", "example.com/library/image" },
        { "docker.io/library/prefix/image", "docker.io/library/prefix", "example.com", "example.com/image" },
        { "docker.io/namespace/image", "*.io", "example.com", "example.com/namespace/image" },
        { "docker.io/library/prefix/image", "*.io", "example.com", "example.com/library/prefix/image" },
        { "sub.example.io/library/prefix/image", "*.example.io", "example.com", "example.com/library/prefix/image" },
        { "another.sub.example.io:5000/library/prefix/image:latest", "*.sub.example.io", "example.com", "example.com:5000/library/prefix/image:latest" },
        { "foo.bar.io/ns1/ns2/ns3/ns4", "*.bar.io", "omg.bbq.com/roflmao", "omg.bbq.com/roflmao/ns1/ns2/ns3/ns4" },
        { "abc.internal.registry.com/foo:bar", "*.internal.registry.com", "", "abc.internal.registry.com/foo:bar" },
        { "blah.foo.bar.com/omg:bbq", "*.com", "", "blah.foo.bar.com/omg:bbq" },
        { "alien.vs.predator.foobar.io:5000/omg", "*.foobar.io", "", "alien.vs.predator.foobar.io:5000/omg" },
        { "alien.vs.predator.foobar.io:5000/foo@" AA, "*.foobar.io", "", "alien.vs.predator.foobar.io:5000/foo@" AA },
        { "alien.vs.predator.foobar.io:5000/omg:bbq", "*.foobar.io", "", "alien.vs.predator.foobar.io:5000/omg:bbq" },
        { "example.com/foo/image:latest", "example.com/foo", "example.com/path/", "" },
        { "example.com/foo@" AA, "example.com/foo", "example.com", "" },
        { "example.com:5000/image:latest", "example.com", "", "" },
        { "example.com:5000/image:latest", "example.com", "example.com:5000", "" },
        { "example.com/foo/image:latest", "example.com//foo", "example.com/path", "" },
        { "example.com/image:latest", "image", "anotherimage", "" },
        { "example.com/foo/image:latest", "example.com/foo/", "example.com", "" },
        { "example.com/foo/image", "example.com/fo", "example.com/foo", "" },
        { "example.com/foo:latest", "example.com/fo", "example.com/foo", "" },
        { "example.com/foo@" AA, "example.com/fo", "example.com/foo", "" },
        { "docker.io/library/image", "example.com", "example.com", "" },
        { "docker.io/library/image", "*.com", "example.com", "" },
        { "foo.docker.io/library/image", "*.example.com", "example.com/image", "" },
        { "foo.docker.io/library/image", "*.docker.com", "example.com/image", "" },
    };
    crioimg_registries *r;
    crioimg_registries_opts o;
    size_t i;
    memset(&o, 0, sizeof o);
    o.no_resolver = 1;
    if (!CHECK(crioimg_registries_new(&r, &o) == CRIOIMG_OK)) return;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        crioimg__regent g;
        crioimg_candidates c;
        crioimg_ref ref;
        char rs[CRIOIMG_REF_STRING_MAX + 1], pre[200], loc[200];
        size_t rl;
        crioimg_result res;
        tests_context = cases[i].in;
        memset(&g, 0, sizeof g);
        memset(&c, 0, sizeof c);
        snprintf(pre, sizeof pre, "%s", cases[i].prefix);
        snprintf(loc, sizeof loc, "%s", cases[i].location);
        g.prefix = pre;
        g.ep.location = loc;
        if (!CHECK(crioimg_ref_parse_normalized(&ref, cases[i].in, strlen(cases[i].in)) == CRIOIMG_OK)) continue;
        rl = crioimg_ref_string(&ref, rs, sizeof rs);
        res = crioimg__rewrite(r, &c, CRIOIMG_CANDIDATE_PRIMARY, &g.ep, &g, rs, rl);
        if (cases[i].want[0]) { if (CHECK(res == CRIOIMG_OK && c.n == 1)) CHECK_STR(c.items[0].name, cases[i].want); }
        else CHECK(res != CRIOIMG_OK && c.n == 0);
        crioimg_candidates_free(&c);
    }
    crioimg_registries_free(r);
}

static void test_conf_files(void)
{
    /* TestInvalidV2Configs, TestInvalidMirrorConfig, v1 and mixing errors: the Go text, plus file:line */
    static const struct { const char *file, *want; } bad[] = {
        { "insecure-conflicts.conf", RD "insecure-conflicts.conf:11: registry 'registry.com' is defined multiple times with conflicting 'insecure' setting" },
        { "blocked-conflicts.conf", RD "blocked-conflicts.conf:11: registry 'registry.com' is defined multiple times with conflicting 'blocked' setting" },
        { "missing-mirror-location.conf", RD "missing-mirror-location.conf:6: invalid condition: mirror location is unset" },
        { "invalid-prefix.conf", RD "invalid-prefix.conf:1: invalid location 'http://schema-is-invalid.com': URI schemes are not supported" },
        { "this-does-not-exist.conf", "loading registries configuration \"" RD "this-does-not-exist.conf\": No such file or directory" },
        { "invalid-config-level-mirror.conf", RD "invalid-config-level-mirror.conf:1: pull-from-mirror must not be set for a non-mirror registry \"registry-a.com/foo\"" },
        { "invalid-conflict-mirror.conf", RD "invalid-conflict-mirror.conf:1: cannot set mirror usage mirror-by-digest-only for the registry (\"registry-a.com/foo\") and pull-from-mirror for per-mirror (\"mirror-1.registry-a.com\") at the same time" },
        { "invalid-value-mirror.conf", RD "invalid-value-mirror.conf:1: unsupported pull-from-mirror value \"notvalid\" for mirror \"mirror-1.registry-a.com\"" },
        { "v1-invalid-block.conf", RD "v1-invalid-block.conf:2: invalid location 'http://schema-is-invalid.com': URI schemes are not supported" },
        { "v1-invalid-insecure.conf", RD "v1-invalid-insecure.conf:2: invalid location 'http://schema-is-invalid.com': URI schemes are not supported" },
        { "v1-invalid-search.conf", RD "v1-invalid-search.conf:2: invalid location 'http://schema-is-invalid.com': URI schemes are not supported" },
        { "mixing-v1-v2.conf", RD "mixing-v1-v2.conf:1: mixing sysregistry v1/v2 is not supported" },
        { "invalid-search.conf", RD "invalid-search.conf:1: Invalid unqualified-search-registries entry \"registry-a.com/namespace-is-forbidden\"" },
        { "invalid-short-name-mode.conf", RD "invalid-short-name-mode.conf:1: invalid short-name mode: \"invalid\"" },
        { "invalid-aliases.conf", RD "invalid-aliases.conf:2: validating short-name aliases: invalid alias \"quay.io/repo/image:1\": must not contain tag" },
        { "try-update-cache-invalid.conf", RD "try-update-cache-invalid.conf:1: expected '=' after the key" },
    };
    /* files that load, with how many [[registry]] they give (GetRegistries) */
    static const struct { const char *file, *dir; size_t nregs; } good[] = {
        { "empty.conf", NOWHERE, 0 }, { "mirrors.conf", NOWHERE, 2 }, { "find-registry.conf", RD "registries.conf.d", 19 },
        { "unqualified-search.conf", NOWHERE, 4 }, { "unmarshal.conf", NOWHERE, 4 }, { "v1-compatibility.conf", NOWHERE, 4 },
        { "pull-sources-from-reference.conf", NOWHERE, 2 }, { "pull-sources-mirror-reference.conf", NOWHERE, 7 },
        { "try-update-cache-valid.conf", NOWHERE, 1 }, { "base-for-registries.d.conf", RD "registries.conf.d", 6 },
        { "aliases.conf", NOWHERE, 0 }, { "cred-helper.conf", NOWHERE, 3 },
    };
    /* TestFindRegistry: find-registry.conf with registries.conf.d; "" location = no registry */
    static const struct { const char *ref, *prefix, *location; } find[] = {
        { "simple-prefix.com/foo/bar:latest", "simple-prefix.com", "registry.com:5000" },
        { "simple-prefix.com/", "simple-prefix.com", "registry.com:5000" },
        { "simple-prefix.com", "simple-prefix.com", "registry.com:5000" },
        { "not.so.simple-prefix.com/", "*.so.simple-prefix.com", "subdomain-prefix.com" },
        { "not.quite.simple-prefix.com/", "*.simple-prefix.com", "subdomain-prefix-2.com" },
        { "not.quite.simple-prefix.com:5000/with/path/and/beyond:tag", "*.simple-prefix.com", "subdomain-prefix-2.com" },
        { "really.not.quite.simple-prefix.com:5000/with/path/and/beyond:tag", "*.not.quite.simple-prefix.com", "subdomain-prefix-1-overridden-by-dropin-location.com" },
        { "foo.docker.io:5000/omg/wtf/bbq:foo", "*.docker.io", "subdomain-prefix-2.com" },
        { "foo.bar.example.com:6000/omg/wtf/bbq@" AA, "*.bar.example.com", "subdomain-prefix-3-overridden-by-dropin-location.com" },
        { "foo.bar.docker.io:5000/omg/wtf/bbq:foo", "*.bar.docker.io", "subdomain-prefix-4.com" },
        { "foo.bar.example.com:5000/omg/wtf/bbq:foo", "foo.bar.example.com:5000", "subdomain-prefix-5.com" },
        { "simple-prefix.comx", "", "" },
        { "complex-prefix.com:4000/with/path/and/beyond:tag", "complex-prefix.com:4000/with/path", "another-registry.com:5000" },
        { "no-prefix.com/foo:tag", "no-prefix.com", "no-prefix.com" },
        { "empty-prefix.com/foo:tag", "empty-prefix.com", "empty-prefix.com" },
    };
    crioimg_registries *r;
    crioimg_result res;
    char path[512];
    size_t i;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        tests_context = bad[i].file;
        snprintf(path, sizeof path, RD "%s", bad[i].file);
        r = conf_load(path, NOWHERE, &res);
        CHECK(res == (strstr(bad[i].file, "does-not") ? CRIOIMG_ERR_IO : CRIOIMG_ERR_REGISTRIES_CONF));
        CHECK_STR(crioimg_registries_error(r), bad[i].want);
        CHECK(r->conf == NULL);
        crioimg_registries_free(r);
    }
    for (i = 0; i < sizeof good / sizeof good[0]; i++) {
        tests_context = good[i].file;
        snprintf(path, sizeof path, RD "%s", good[i].file);
        r = conf_load(path, good[i].dir, &res);
        if (CHECK(res == CRIOIMG_OK) && CHECK(r->conf != NULL)) CHECK(r->conf->nregs == good[i].nregs);
        crioimg_registries_free(r);
    }
    r = conf_load(RD "find-registry.conf", RD "registries.conf.d", &res);
    for (i = 0; res == CRIOIMG_OK && i < sizeof find / sizeof find[0]; i++) {
        const crioimg__regent *g = conf_find(r, find[i].ref);
        tests_context = find[i].ref;
        if (find[i].location[0] == '\0') { CHECK(g == NULL); continue; }
        if (!CHECK(g != NULL)) continue;
        CHECK_STR(g->prefix, find[i].prefix);
        CHECK_STR(g->ep.location, find[i].location);
    }
    crioimg_registries_free(r);
    /* TestMirrors */
    r = conf_load(RD "mirrors.conf", NOWHERE, &res);
    {
        const crioimg__regent *g = conf_find(r, "registry.com/image:tag");
        tests_context = "mirrors";
        if (CHECK(g != NULL && g->nmirrors == 2)) {
            CHECK_STR(g->mirrors[0].location, "mirror-1.registry.com");
            CHECK(!g->mirrors[0].insecure);
            CHECK_STR(g->mirrors[1].location, "mirror-2.registry.com");
            CHECK(g->mirrors[1].insecure);
        }
    }
    crioimg_registries_free(r);
    /* TestFindUnqualifiedSearchRegistries, TestV1BackwardsCompatibility */
    r = conf_load(RD "unqualified-search.conf", NOWHERE, &res);
    tests_context = "unqualified-search";
    if (CHECK(res == CRIOIMG_OK && r->conf->nsearch == 3)) {
        CHECK_STR(r->conf->search[0], "registry-a.com");
        CHECK_STR(r->conf->search[2], "registry-d.com");
        CHECK_STR(r->conf->search_origin, RD "unqualified-search.conf");
    }
    crioimg_registries_free(r);
    r = conf_load(RD "v1-compatibility.conf", NOWHERE, &res);
    tests_context = "v1";
    if (CHECK(res == CRIOIMG_OK && r->conf->nsearch == 3)) {
        const crioimg__regent *g = conf_find(r, "registry-b.com/bar/foo/barfoo:latest");
        CHECK_STR(r->conf->search[0], "registry-a.com");  /* "registry-a.com////" trimmed */
        CHECK(g && g->ep.insecure && g->blocked);
    }
    crioimg_registries_free(r);
    /* TestRegistriesConfDirectory */
    r = conf_load(RD "base-for-registries.d.conf", RD "registries.conf.d", &res);
    tests_context = "registries.conf.d";
    if (CHECK(res == CRIOIMG_OK && r->conf->nregs == 6 && r->conf->nsearch == 1)) {
        static const char *const want[] = { "subdomain-prefix-3-overridden-by-dropin-location.com", "subdomain-prefix-2-overridden-by-dropin-location.com",
                                            "subdomain-prefix-1-overridden-by-dropin-location.com", "1.com", "2.com", "base.com" };
        const crioimg__regent *g = conf_find(r, "base.com/test:latest");
        for (i = 0; i < 6; i++) CHECK_STR(r->conf->regs[i].ep.location, want[i]);
        CHECK(g && g->blocked);
        CHECK_STR(r->conf->search[0], "example-overwrite.com");
        CHECK_STR(r->conf->search_origin, RD "registries.conf.d/config-1.conf");
        CHECK(r->conf->mode == CRIOIMG_SHORT_NAME_PERMISSIVE);  /* config-2 over the base's unset */
    }
    crioimg_registries_free(r);
    r = conf_load(RD "unqualified-search.conf", RD "registries.conf.d-usr1", &res);
    CHECK(res == CRIOIMG_OK && r->conf->nsearch == 3);   /* nothing overrides the base file */
    crioimg_registries_free(r);
    r = conf_load(RD "unqualified-search.conf", RD "registries.conf.d-usr2", &res);
    CHECK(res == CRIOIMG_OK && r->conf->nsearch == 0 && r->conf->has_search);  /* overridden with [] */
    crioimg_registries_free(r);
    /* a v1 drop-in is refused */
    r = conf_load(RD "empty.conf", NULL, &res);
    CHECK(crioimg_registries_load_conf_text(r, "[registries.search]\nregistries = [\"a.com\"]\n", 42, "d.conf", 1) == CRIOIMG_ERR_REGISTRIES_CONF);
    CHECK_STR(crioimg_registries_error(r), "d.conf:1: registry must be in v2 format but is in v1");
    crioimg_registries_free(r);
}

static void test_conf_pull_sources(void)
{
    /* TestPullSourcesFromReference and TestPullSourcesMirrorFromReference: endpoint locations in order */
    static const struct { const char *file, *ref, *want; } cases[] = {
        { "pull-sources-from-reference.conf", "registry-a.com/foo/image@" AA,
          "mirror-1.registry-a.com/image@" AA " mirror-1.registry-a.com\nmirror-2.registry-a.com/image@" AA " mirror-2.registry-a.com!\nregistry-a.com/bar/image@" AA " registry-a.com/bar" },
        { "pull-sources-from-reference.conf", "registry-a.com/foo/image:aaa",
          "mirror-1.registry-a.com/image:aaa mirror-1.registry-a.com\nmirror-2.registry-a.com/image:aaa mirror-2.registry-a.com!\nregistry-a.com/bar/image:aaa registry-a.com/bar" },
        { "pull-sources-from-reference.conf", "registry-b.com/foo/image@" AA,
          "mirror-1.registry-b.com/image@" AA " mirror-1.registry-b.com\nmirror-2.registry-b.com/image@" AA " mirror-2.registry-b.com\nregistry-b.com/bar/image@" AA " registry-b.com/bar" },
        { "pull-sources-from-reference.conf", "registry-b.com/foo/image:aaa", "registry-b.com/bar/image:aaa registry-b.com/bar" },
        { "pull-sources-from-reference.conf", "other.com/x", "other.com/x other.com" },
        { "mirrors.conf", "blocked.registry.com/x:1", "error: registry blocked.registry.com is blocked in " RD "mirrors.conf" },
        { "mirrors.conf", "nginx", "error: \"nginx\" is a short name: resolve it first" },
    };
    static const struct { const char *reg, *digest_src, *tag_src; } mirror[] = {
        { "registry-a.com/foo/image", "mirror-1.registry-a.com mirror-2.registry-a.com registry-a.com/bar", "mirror-1.registry-a.com mirror-2.registry-a.com registry-a.com/bar" },
        { "registry-b.com/foo/image", "mirror-1.registry-b.com mirror-2.registry-b.com registry-b.com/bar", "registry-b.com/bar" },
        { "registry-c.com/foo/image", "mirror-1.registry-c.com mirror-2.registry-c.com registry-c.com/bar", "mirror-1.registry-c.com registry-c.com/bar" },
        { "registry-d.com/foo/image", "mirror-1.registry-d.com mirror-2.registry-d.com registry-d.com/bar", "registry-d.com/bar" },
        { "registry-e.com/foo/image", "registry-e.com/bar", "mirror-1.registry-e.com mirror-2.registry-e.com registry-e.com/bar" },
        { "registry-f.com/foo/image", "mirror-1.registry-f.com registry-f.com/bar", "mirror-1.registry-f.com mirror-2.registry-f.com registry-f.com/bar" },
        { "registry-g.com/foo/image", "mirror-1.registry-g.com mirror-3.registry-g.com mirror-4.registry-g.com registry-g.com/bar",
          "mirror-2.registry-g.com mirror-3.registry-g.com mirror-4.registry-g.com registry-g.com/bar" },
    };
    size_t i, k;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        crioimg_registries *r;
        crioimg_result res;
        crioimg_candidates c;
        char path[512], got[2048];
        size_t len = 0;
        snprintf(path, sizeof path, RD "%s", cases[i].file);
        r = conf_load(path, NOWHERE, &res);
        tests_context = cases[i].ref;
        got[0] = '\0';
        if (crioimg_registries_pull_sources(r, cases[i].ref, strlen(cases[i].ref), &c) != CRIOIMG_OK)
            snprintf(got, sizeof got, "error: %s", crioimg_registries_error(r));
        for (k = 0; k < c.n; k++)
            len += (size_t)snprintf(got + len, sizeof got - len, "%s%s %s%s", k ? "\n" : "", c.items[k].name, c.items[k].origin, c.items[k].insecure ? "!" : "");
        CHECK_STR(got, cases[i].want);
        crioimg_candidates_free(&c);
        crioimg_registries_free(r);
    }
    for (i = 0; i < sizeof mirror / sizeof mirror[0]; i++) {
        crioimg_registries *r;
        crioimg_result res;
        int dg;
        r = conf_load(RD "pull-sources-mirror-reference.conf", NOWHERE, &res);
        for (dg = 0; dg < 2; dg++) {
            crioimg_candidates c;
            char ref[300], got[1024];
            size_t len = 0;
            snprintf(ref, sizeof ref, "%s%s", mirror[i].reg, dg ? "@" AA : ":aaa");
            tests_context = ref;
            got[0] = '\0';
            CHECK(crioimg_registries_pull_sources(r, ref, strlen(ref), &c) == CRIOIMG_OK);
            for (k = 0; k < c.n; k++) len += (size_t)snprintf(got + len, sizeof got - len, "%s%s", k ? " " : "", c.items[k].origin);
            CHECK_STR(got, dg ? mirror[i].digest_src : mirror[i].tag_src);
            CHECK(c.n > 0 && c.items[c.n - 1].rule == CRIOIMG_CANDIDATE_PRIMARY);
            crioimg_candidates_free(&c);
        }
        crioimg_registries_free(r);
    }
}

/* the candidates of resolve joined by '\n', or "error: TEXT" */
static const char *conf_resolve(crioimg_registries *r, const char *name, char *buf, size_t cap)
{
    return resolve_str(r, name, buf, cap);
}

static void test_conf_shortnames(void)
{
    /* TestResolve (aliases.conf, enforcing) and TestResolveWithDropInConfigs (+ registries.conf.d) */
    static const struct { const char *dir, *in, *want; } cases[] = {
        { NOWHERE, "docker", "docker.io/library/foo:latest" }, { NOWHERE, "docker:tag", "docker.io/library/foo:tag" },
        { NOWHERE, "docker" DG, "docker.io/library/foo" DG }, { NOWHERE, "quay/foo", "quay.io/library/foo:latest" },
        { NOWHERE, "quay/foo:tag", "quay.io/library/foo:tag" }, { NOWHERE, "quay/foo" DG, "quay.io/library/foo" DG },
        { NOWHERE, "example", "example.com/library/foo:latest" }, { NOWHERE, "example:tag", "example.com/library/foo:tag" },
        { NOWHERE, "example" DG, "example.com/library/foo" DG }, { NOWHERE, "registry.com/repo/image", "registry.com/repo/image:latest" },
        { NOWHERE, "registry.com/repo/image:tag", "registry.com/repo/image:tag" },
        { NOWHERE, "registry.com/repo/image" DG, "registry.com/repo/image" DG },
        { NOWHERE, "doesnotexist", "error: short-name \"doesnotexist\" did not resolve to an alias and no unqualified-search registries are defined in \"" SD "aliases.conf\"" },
        { NOWHERE, "", "error: cannot parse input: \"\": repository name must have at least one component" },
        { NOWHERE, "Invalid#$", "error: cannot parse input: \"Invalid#$\": invalid reference format" },
        { NOWHERE, "empty", "error: short-name \"empty\" did not resolve to an alias and no unqualified-search registries are defined in \"" SD "aliases.conf\"" },
        { SD "registries.conf.d", "docker", "docker.io/library/config1:latest" },
        { SD "registries.conf.d", "docker:tag", "docker.io/library/config1:tag" },
        { SD "registries.conf.d", "docker" DG, "docker.io/library/config1" DG },
        { SD "registries.conf.d", "quay/foo", "quay.io/library/foo:latest" },
        { SD "registries.conf.d", "quay/foo" DG, "quay.io/library/foo" DG },
        { SD "registries.conf.d", "config1", "config1.com/image:latest" },
        { SD "registries.conf.d", "config1:tag", "config1.com/image:tag" },
        { SD "registries.conf.d", "barz", "barz.com/config2:latest" },
        { SD "registries.conf.d", "barz" DG, "barz.com/config2" DG },
        { SD "registries.conf.d", "doesnotexist", "example-overwrite.com/doesnotexist:latest" },
        { SD "registries.conf.d", "example", "example-overwrite.com/example:latest" },  /* config-2 empties the alias */
        { SD "registries.conf.d", "quay.io/repo/fedora", "quay.io/repo/fedora:latest" },
        { SD "registries.conf.d", "localhost/repo/fedora:sometag", "localhost/repo/fedora:sometag" },
        { SD "registries.conf.d", "", "error: cannot parse input: \"\": repository name must have at least one component" },
    };
    /* TestResolveWithVaryingShortNameModes (the mode set as ctx.ShortNameMode sets it); -1 = error */
    static const struct { const char *file; int mode; const char *name; int n; } modes[] = {
        { "no-reg.conf", CRIOIMG_SHORT_NAME_PERMISSIVE, "repo/image", 1 }, { "one-reg.conf", CRIOIMG_SHORT_NAME_PERMISSIVE, "repo/image", 1 },
        { "two-reg.conf", CRIOIMG_SHORT_NAME_PERMISSIVE, "repo/image", 1 }, { "no-reg.conf", CRIOIMG_SHORT_NAME_PERMISSIVE, "doesnotexist", -1 },
        { "one-reg.conf", CRIOIMG_SHORT_NAME_PERMISSIVE, "doesnotexist", 1 }, { "two-reg.conf", CRIOIMG_SHORT_NAME_PERMISSIVE, "doesnotexist", 2 },
        { "no-reg.conf", CRIOIMG_SHORT_NAME_DISABLED, "repo/image", 1 }, { "one-reg.conf", CRIOIMG_SHORT_NAME_DISABLED, "repo/image", 1 },
        { "two-reg.conf", CRIOIMG_SHORT_NAME_DISABLED, "repo/image", 1 }, { "no-reg.conf", CRIOIMG_SHORT_NAME_DISABLED, "doesnotexist", -1 },
        { "one-reg.conf", CRIOIMG_SHORT_NAME_DISABLED, "doesnotexist", 1 }, { "two-reg.conf", CRIOIMG_SHORT_NAME_DISABLED, "doesnotexist", 2 },
        { "no-reg.conf", CRIOIMG_SHORT_NAME_ENFORCING, "repo/image", 1 }, { "one-reg.conf", CRIOIMG_SHORT_NAME_ENFORCING, "repo/image", 1 },
        { "two-reg.conf", CRIOIMG_SHORT_NAME_ENFORCING, "repo/image", 1 }, { "no-reg.conf", CRIOIMG_SHORT_NAME_ENFORCING, "doesnotexist", -1 },
        { "one-reg.conf", CRIOIMG_SHORT_NAME_ENFORCING, "doesnotexist", 1 }, { "two-reg.conf", CRIOIMG_SHORT_NAME_ENFORCING, "doesnotexist", -1 },
    };
    size_t i;
    char buf[2048];
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        crioimg_result res;
        crioimg_registries *r = conf_load(SD "aliases.conf", cases[i].dir, &res);
        tests_context = cases[i].in;
        CHECK(res == CRIOIMG_OK);
        CHECK_STR(conf_resolve(r, cases[i].in, buf, sizeof buf), cases[i].want);
        crioimg_registries_free(r);
    }
    for (i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        crioimg_result res;
        crioimg_registries *r;
        crioimg_candidates c;
        char path[256];
        snprintf(path, sizeof path, SD "%s", modes[i].file);
        r = conf_load(path, NOWHERE, &res);
        tests_context = modes[i].file;
        if (!CHECK(res == CRIOIMG_OK)) { crioimg_registries_free(r); continue; }
        r->conf->mode = modes[i].mode;
        res = crioimg_registries_resolve(r, modes[i].name, strlen(modes[i].name), &c);
        if (modes[i].n < 0) CHECK(res != CRIOIMG_OK);
        else CHECK(res == CRIOIMG_OK && c.n == (size_t)modes[i].n);
        crioimg_candidates_free(&c);
        crioimg_registries_free(r);
    }
    /* enforcing with two search registries: the error a library gives instead of a prompt */
    {
        crioimg_result res;
        crioimg_registries *r = conf_load(SD "two-reg.conf", NOWHERE, &res);
        r->conf->mode = CRIOIMG_SHORT_NAME_ENFORCING;
        tests_context = "enforcing";
        CHECK_STR(conf_resolve(r, "doesnotexist", buf, sizeof buf), "error: short-name resolution enforced but cannot prompt without a TTY");
        r->conf->mode = CRIOIMG_SHORT_NAME_PERMISSIVE;
        CHECK_STR(conf_resolve(r, "doesnotexist:1", buf, sizeof buf), "quay.io/doesnotexist:1\nregistry.com/doesnotexist:1");
        /* an explicit search list overrides registries.conf: the seed's rules, no ":latest" */
        CHECK(crioimg_registries_add_search(r, "docker.io", 9) == CRIOIMG_OK);
        CHECK_STR(conf_resolve(r, "repo/image", buf, sizeof buf), "docker.io/repo/image");
        crioimg_registries_free(r);
    }
}

/* TOML (as BurntSushi/toml 1.2.0 reads it) and semantic errors name file and line; unknown keys warn
   (pinned: containers/image ignores them too) */
static void test_conf_toml(void)
{
    static const struct { const char *text, *want; } cases[] = {
        { "", "" },
        { "# only a comment\n\n", "" },
        { "unqualified-search-registries = [\n  \"a.com\", # first\n  'b.com',\n]\n", "" },
        { "\xef\xbb\xbfshort-name-mode = \"disabled\"\r\n", "t.conf:1: a UTF-8 byte order mark (containers/image's decoder refuses it)" },
        { "\xff\xfeshort-name-mode = \"disabled\"\r\n", "" },  /* UTF-16's, read over as the decoder does */
        { "[aliases]\n\"x\" = \"a.com/x\"\n'y' = 'a.com/y'\n", "" },
        { "unknown = 1\n[other]\nk = 2020-01-01\n", "" },
        { "[[registry]]\nlocation = \"a.com\"\ninsecure = \"yes\"\n", "t.conf:3: incompatible types: expected a boolean, found a string, for key \"insecure\"" },
        { "a = \"x\"\na = \"y\"\n", "t.conf:2: key defined twice: \"a\"" },
        { "[aliases]\n[aliases]\n", "t.conf:2: table defined twice: \"aliases\"" },
        { "x = \"unterminated\n", "t.conf:1: unterminated string" },
        /* issue 16: all of TOML 1.0 is read, where registries.conf uses it or not */
        { "x = \"\"\"\nmulti\\\n   line\"\"\"\ny = '''a'b'''\n", "" },
        { "x = {a = 1, b.c = [1, 2.5, true, 1979-05-27 07:32:00, {}]}\na.b = 1\n", "" },
        { "[registries.unknown]\nx = [[1], ['a']]\n[[aliases]]\n", "" },
        { "Unqualified-Search-Registries = ['a.com']\nSHORT-NAME-MODE = 'disabled'\n[Aliases]\nx = 'a.com/x'\n[[Registry]]\nLocation = 'a.com'\n", "" },
        { "[[registry]]\nLocation = \"http://quay.io\"\n", "t.conf:1: invalid location 'http://quay.io': URI schemes are not supported" },
        { "registries = ['a.com']\n", "t.conf:1: incompatible types: expected a table, found an array, for key \"registries\"" },
        { "[[registry]]\nlocation = 'a.com'\nmirror = ['host']\n", "t.conf:3: incompatible types: expected a table in the array, found a string, for key \"mirror\"" },
        { "[[registry]]\nlocation = 'a.com'\nmirror = 1\n", "t.conf:3: incompatible types: expected an array of tables, found an integer, for key \"mirror\"" },
        { "[aliases.sub]\n", "t.conf:1: incompatible types: expected a string, found a table, for key \"sub\"" },
        { "registry = \"x\"\n", "t.conf:1: incompatible types: expected an array of tables, found a string, for key \"registry\"" },
        { "a = 1\n[a]\n", "t.conf:2: key defined twice: \"a\"" },
        /* BurntSushi/toml 1.2.0's rules on extending tables, looser than TOML 1.0's */
        { "[a.b]\nc = 1\n[a]\nb.d = 2\n", "" },
        { "a.b = 1\n[a]\n", "" },
        { "x = {a = 1}\n[x.b]\nx.c = 1\n", "" },
        { "x = {a = 1}\n[x]\n", "t.conf:2: table defined twice: \"x\"" },
        { "[x]\na.b = 1\na = 2\n", "" },
        { "[x]\na.b = 1\na = 2\na = 3\n", "t.conf:4: key defined twice: \"a\"" },
        /* pinned difference: the decoder lets a second definition replace a value array */
        { "a = [1]\na = 2\n", "t.conf:2: key defined twice: \"a\"" },
        { "a = [1]\n[a]\n", "t.conf:2: key defined twice: \"a\"" },
        /* pinned: bounds for small stacks */
        { "a = [[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]\n", "" },
        { "a = [[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]\n", "t.conf:1: values nested too deep (over 16)" },
        { "a = 01\n", "t.conf:1: invalid number: leading zero" },
        { "a = 1__0\n", "t.conf:1: invalid number" },
        { "a = 0XFF\n", "t.conf:1: invalid number" },
        { "a = 1e\n", "t.conf:1: invalid float exponent" },
        { "a = 9223372036854775808\n", "t.conf:1: integer out of range (int64)" },
        { "a = 2021-02-29\n", "t.conf:1: invalid date" },
        { "a = 07:32:00.123456789\nb = 1979-05-27T07:32:00.5+99:99\n", "" },
        { "a = 07:32:00.1234567891\n", "t.conf:1: invalid time" },
        { "# \xff\n", "t.conf:1: invalid UTF-8" },
        /* pinned difference: the decoder would keep either of two keys on one field, by Go's map order */
        { "[[registry]]\nlocation = 'a.com'\nLocation = 'b.com'\n", "t.conf:3: keys that differ only in case set one field: \"location\" and \"Location\"" },
        /* ...but two spellings of a struct's table fill the one struct, as the decoder fills it */
        { "[registries.unknown]\n[Registries.search]\nregistries = ['a.com']\n[REGISTRIES.Search]\n", "" },
        { "[registries.search]\nregistries = ['a.com']\n[Registries.search]\nregistries = ['b.com']\n", "t.conf:4: keys that differ only in case set one field: \"registries\"" },
        { "x = \"a\" y\n", "t.conf:1: expected a newline after the value of \"x\"" },
        { "x = [\"a\" \"b\"]\n", "t.conf:1: expected ',' or ']' in array" },
        { "x = [1, 2]\n", "" },
        { "x = \"\\q\"\n", "t.conf:1: invalid escape in string" },
        { "x = \"\\ud800\"\n", "t.conf:1: invalid escape in string" },
        { "x = \"\xff\"\n", "t.conf:1: invalid UTF-8" },
        { "[registry\n", "t.conf:1: malformed table header" },
        { "\n\n[[registry.mirror]]\n", "t.conf:3: incompatible types: expected an array of tables, found a table, for key \"registry\"" },
        { "[registry]\n", "t.conf:1: incompatible types: expected an array of tables, found a table, for key \"registry\"" },
        { "[[registry]]\nprefix = \"a.com\"\n", "t.conf:1: invalid condition: location is unset and prefix is not in the format: *.example.com" },
        { "[[registry]]\ninsecure = true\n", "t.conf:1: invalid condition: both location and prefix are unset" },
        { "[[registry]]\nprefix = \"*.a.com:5000\"\n", "t.conf:1: Wildcarded prefix should be in the format: *.example.com. Current prefix \"*.a.com:5000\" is incorrectly formatted" },
        { "[aliases]\n\"a.com/x\" = \"b.com/x\"\n", "t.conf:2: validating short-name aliases: invalid short name \"a.com/x\": must not contain registry" },
        { "[aliases]\n\"x:1\" = \"b.com/x\"\n", "t.conf:2: validating short-name aliases: invalid short name \"x:1\": must not contain tag" },
        { "[aliases]\nx = \"b/x\"\n", "t.conf:2: validating short-name aliases: invalid alias \"b/x\": must contain registry and repository" },
        { "[aliases]\nx = \"b.com/x@" AA "\"\n", "t.conf:2: validating short-name aliases: invalid alias \"b.com/x@" AA "\": must not contain digest" },
        { "[aliases]\nx = \"B.com/X\"\n", "t.conf:2: validating short-name aliases: parsing alias \"B.com/X\": repository name must be lowercase" },
        { "short-name-mode = \"bogus\"\n", "t.conf:1: invalid short-name mode: \"bogus\"" },
        /* every escape decodes to its own character, whatever the compiler does with string literals (tcc) */
        { "short-name-mode = \"reg\\\\.example\"\n", "t.conf:1: invalid short-name mode: \"reg\\\\.example\"" },
        { "short-name-mode = \"\\b\\t\\n\\f\\r\\\"\\\\\"\n", "t.conf:1: invalid short-name mode: \"\\u0008\\t\\n\\u000c\\r\\\"\\\\\"" },
        /* issue 10: a \u0000 never shortens a string that decides anything; every place a string goes */
        { "[[registry]]\nlocation = \"example.com\\u0000.attacker.io\"\ninsecure = true\n", "t.conf:2: NUL character (\\u0000) in string" },
        { "[[registry]]\nprefix = \"a.com\\U00000000.evil\"\nlocation = \"b.com\"\n", "t.conf:2: NUL character (\\u0000) in string" },
        { "[[registry]]\nlocation = \"a.com\"\n[[registry.mirror]]\nlocation = \"m.com\\u0000x\"\n", "t.conf:4: NUL character (\\u0000) in string" },
        { "short-name-mode = \"enforcing\\u0000bogus\"\n", "t.conf:1: NUL character (\\u0000) in string" },
        { "[aliases]\n\"x\" = \"a.com/x\\u0000evil\"\n", "t.conf:2: NUL character (\\u0000) in string" },
        { "[aliases]\n\"x\\u0000y\" = \"a.com/x\"\n", "t.conf:2: NUL character (\\u0000) in string" },
        { "unqualified-search-registries = [\n\"a.com\",\n\"b.com\\u0000.evil\"]\n", "t.conf:3: NUL character (\\u0000) in string" },
        { "[registries.insecure]\nregistries = [\"a.com\\u0000x\"]\n", "t.conf:2: NUL character (\\u0000) in string" },
        { "[\"a\\u0000b\"]\n", "t.conf:1: NUL character (\\u0000) in string" },
        { "x = 'a\\u0000b' # a literal string has no escapes: six plain characters\n", "" },
    };
    size_t i;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        crioimg_registries *r;
        crioimg_registries_opts o;
        crioimg_result res;
        memset(&o, 0, sizeof o);
        o.no_resolver = 1;
        tests_context = cases[i].text;
        if (!CHECK(crioimg_registries_new(&r, &o) == CRIOIMG_OK)) continue;
        res = crioimg_registries_load_conf_text(r, cases[i].text, strlen(cases[i].text), "t.conf", 0);
        CHECK(res == (cases[i].want[0] ? CRIOIMG_ERR_REGISTRIES_CONF : CRIOIMG_OK));
        CHECK_STR(crioimg_registries_error(r), cases[i].want);
        crioimg_registries_free(r);
    }
    {   /* a raw NUL byte: refused with the line it is on */
        static const char z[] = "a = 1\nb = \"x\0y\"\n";
        crioimg_registries *r;
        crioimg_registries_opts o;
        memset(&o, 0, sizeof o);
        o.no_resolver = 1;
        tests_context = "raw NUL";
        if (CHECK(crioimg_registries_new(&r, &o) == CRIOIMG_OK)) {
            CHECK(crioimg_registries_load_conf_text(r, z, sizeof z - 1, "z.conf", 0) == CRIOIMG_ERR_REGISTRIES_CONF);
            CHECK_STR(crioimg_registries_error(r), "z.conf:2: NUL byte in file");
            crioimg_registries_free(r);
        }
    }
    {
        crioimg_registries *r;
        crioimg_registries_opts o;
        memset(&o, 0, sizeof o);
        o.no_resolver = 1;
        CHECK(crioimg_registries_new(&r, &o) == CRIOIMG_OK);
        static const char w[] = "x = 1\n[[registry]]\nlocation = \"a.com\"\nfancy = true\n";
        CHECK(crioimg_registries_load_conf_text(r, w, sizeof w - 1, "w.conf", 0) == CRIOIMG_OK);
        CHECK_STR(crioimg_registries_warning(r), "w.conf:4: unknown key ignored: \"fancy\"");
        crioimg_registries_free(r);
    }
    {
        /* the counts that bound the quadratic checks */
        static char big[4200 * 40];
        crioimg_registries *r;
        crioimg_registries_opts o;
        size_t len = 0, k;
        memset(&o, 0, sizeof o);
        o.no_resolver = 1;
        for (k = 0; k < 4097; k++) len += (size_t)snprintf(big + len, sizeof big - len, "[[registry]]\nlocation = \"r%lu.com\"\n", (unsigned long)k);
        CHECK(crioimg_registries_new(&r, &o) == CRIOIMG_OK);
        tests_context = "4097 registries";
        CHECK(crioimg_registries_load_conf_text(r, big, len, "big.conf", 0) == CRIOIMG_ERR_REGISTRIES_CONF);
        CHECK_STR(crioimg_registries_error(r), "big.conf:8193: array too long (over 4096 items)");
        len -= strlen("[[registry]]\nlocation = \"r4096.com\"\n");
        CHECK(crioimg_registries_load_conf_text(r, big, len, "big.conf", 0) == CRIOIMG_OK && r->conf->nregs == 4096);
        crioimg_registries_free(r);
    }
}

/* registries.conf's insecure = true in the host decision, and the resolver not asked then */
static void test_conf_insecure(void)
{
    static const char text[] =
        "[[registry]]\nlocation = \"conf-insecure.example\"\ninsecure = true\n"
        "[[registry]]\nprefix = \"*.lab.example\"\nlocation = \"\"\ninsecure = true\n"
        "[[registry]]\nlocation = \"primary.example\"\n[[registry.mirror]]\nlocation = \"mirror.example:5000/x\"\ninsecure = true\n";
    fake_dns d;
    crioimg_registries *r;
    crioimg_insecure_decision dec;
    memset(&d, 0, sizeof d);
    r = new_reg(&d, NULL, NULL);
    if (!r) return;
    tests_context = "conf insecure";
    CHECK(crioimg_registries_load_conf_text(r, text, sizeof text - 1, "i.conf", 0) == CRIOIMG_OK);
    CHECK(crioimg_registries_check_host(r, "conf-insecure.example", 21, &dec) == CRIOIMG_OK && dec.insecure &&
          dec.rule == CRIOIMG_INSECURE_RULE_CONF && strcmp(dec.detail, "conf-insecure.example") == 0);
    CHECK(crioimg_registries_check_host(r, "a.lab.example:443", 17, &dec) == CRIOIMG_OK && dec.insecure && strcmp(dec.detail, "*.lab.example") == 0);
    CHECK(crioimg_registries_check_host(r, "evillab.example", 15, &dec) == CRIOIMG_OK && !dec.insecure);
    CHECK(crioimg_registries_check_host(r, "mirror.example:5000", 19, &dec) == CRIOIMG_OK && dec.insecure);
    CHECK(crioimg_registries_check_host(r, "primary.example", 15, &dec) == CRIOIMG_OK && !dec.insecure);
    CHECK(d.calls == 2);   /* only evillab.example and primary.example were looked up */
    {
        /* a pull served by a mirror: pull sources ask nothing; only the host contacted is decided */
        crioimg_candidates c;
        unsigned before = d.calls;
        CHECK(crioimg_registries_pull_sources(r, "primary2.example/x:1", 20, &c) == CRIOIMG_OK);
        CHECK(d.calls == before);
        crioimg_candidates_free(&c);
        CHECK(crioimg_registries_load_conf_text(r, "[[registry]]\nlocation = \"p.example\"\n[[registry.mirror]]\nlocation = \"intranet.example\"\n", 86, "m.conf", 0) == CRIOIMG_OK);
        CHECK(crioimg_registries_add_insecure(r, "10.0.0.0/8", 10) == CRIOIMG_OK);
        CHECK(crioimg_registries_pull_sources(r, "p.example/x:1", 13, &c) == CRIOIMG_OK && c.n == 2);
        if (c.n == 2) {
            CHECK_STR(c.items[0].origin, "intranet.example");
            CHECK(crioimg_registries_check_host(r, c.items[0].origin, strlen(c.items[0].origin), &dec) == CRIOIMG_OK && dec.insecure &&
                  dec.rule == CRIOIMG_INSECURE_RULE_CIDR_RESOLVED);
            CHECK(d.calls == before + 1 && strcmp(d.last, "intranet.example") == 0);   /* never p.example */
        }
        crioimg_candidates_free(&c);
    }
    crioimg_registries_free(r);
}

/* issue 10: a FIFO, a device or a directory given as registries.conf or found as a drop-in is refused
   at once, never waited on; a file over 1 MiB is refused by its size */
static void test_conf_special_files(void)
{
    static const struct { const char *what, *path, *dir, *want; crioimg_result res; } cases[] = {
        { "fifo as the file", "@/fifo", NULL, "loading registries configuration \"@/fifo\": a FIFO, not a regular file", CRIOIMG_ERR_IO },
        { "device as the file", "/dev/null", NULL, "loading registries configuration \"/dev/null\": a device, not a regular file", CRIOIMG_ERR_IO },
        { "directory as the file", "@", NULL, "loading registries configuration \"@\": a directory, not a regular file", CRIOIMG_ERR_IO },
        { "fifo as a drop-in", RD "empty.conf", "@/d", "loading drop-in registries configuration \"@/d/b.conf\": a FIFO, not a regular file", CRIOIMG_ERR_IO },
        { "file over 1 MiB", "@/big.conf", NULL, "loading registries configuration \"@/big.conf\": larger than 1048576 bytes", CRIOIMG_ERR_REGISTRIES_CONF },
    };
    char dir[] = "/tmp/crioimg-conf-XXXXXX", path[600], dpath[600], want[800], cmd[700];
    size_t i;
    FILE *f;
    if (mkdtemp(dir) == NULL) { CHECK(!"mkdtemp"); return; }
    snprintf(path, sizeof path, "%s/fifo", dir);
    CHECK(mkfifo(path, 0600) == 0);
    snprintf(path, sizeof path, "%s/d", dir);
    CHECK(mkdir(path, 0700) == 0);
    snprintf(path, sizeof path, "%s/d/a.conf", dir);   /* a directory named *.conf is skipped, as in Go */
    CHECK(mkdir(path, 0700) == 0);
    snprintf(path, sizeof path, "%s/d/b.conf", dir);
    CHECK(mkfifo(path, 0600) == 0);
    snprintf(path, sizeof path, "%s/big.conf", dir);
    if ((f = fopen(path, "wb")) != NULL) {
        for (i = 0; i < (1u << 20) / 16; i++) fputs("# padding......\n", f);
        fputs("\n", f);
        fclose(f);
    }
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        crioimg_registries *r;
        crioimg_result res;
        const char *at;
        tests_context = cases[i].what;
        /* "@" stands for the scratch directory */
        at = strchr(cases[i].path, '@');
        snprintf(path, sizeof path, "%s%s", at ? dir : "", at ? at + 1 : cases[i].path);
        if (cases[i].dir) snprintf(dpath, sizeof dpath, "%s%s", dir, cases[i].dir + 1);
        {
            const char *w = cases[i].want, *a = strchr(w, '@');
            if (a) snprintf(want, sizeof want, "%.*s%s%s", (int)(a - w), w, dir, a + 1);
            else snprintf(want, sizeof want, "%s", w);
        }
        r = conf_load(path, cases[i].dir ? dpath : NOWHERE, &res);
        if (r == NULL) continue;
        CHECK(res == cases[i].res);
        CHECK_STR(crioimg_registries_error(r), want);
        crioimg_registries_free(r);
    }
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
}

/* the system's own registries.conf (Debian's, with its shortnames.conf drop-in) loads, when present */
static void test_conf_system(void)
{
    crioimg_registries *r;
    crioimg_result res;
    FILE *f = fopen("/etc/containers/registries.conf", "rb");
    if (f == NULL) return;
    fclose(f);
    r = conf_load(NULL, NULL, &res);
    tests_context = crioimg_registries_error(r);
    CHECK(res == CRIOIMG_OK);
    crioimg_registries_free(r);
}

static void test_registries_conf(void)
{
    test_conf_prefix_match();
    test_conf_rewrite();
    test_conf_files();
    test_conf_pull_sources();
    test_conf_shortnames();
    test_conf_toml();
    test_conf_insecure();
    test_conf_special_files();
    test_conf_system();
    tests_context = "";
}
