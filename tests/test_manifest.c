/* Manifests, indexes, platform choice and image configs: one row a document. */

#define MF_D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define MF_D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"
#define MF_HELLO "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"  /* sha256("hello") */
#define MF_DESC(mt, d, size) "{\"mediaType\":\"" mt "\",\"digest\":\"" d "\",\"size\":" #size "}"
#define MF_LAYER MF_DESC("application/vnd.oci.image.layer.v1.tar+gzip", MF_D2, 32)
#define MF_OCI_CFG MF_DESC("application/vnd.oci.image.config.v1+json", MF_D1, 100)
#define MF_DOCKER_CFG MF_DESC("application/vnd.docker.container.image.v1+json", MF_D1, 100)
#define MF_OCI(extra) "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":" MF_OCI_CFG ",\"layers\":[" MF_LAYER "]" extra "}"
#define MF_PLAT(os, arch, variant) "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" MF_D1 "\",\"size\":500,\"platform\":{\"os\":\"" os "\",\"architecture\":\"" arch "\"" variant "}}"

typedef struct mf_case {
    const char *name, *content_type, *doc;
    crioimg_result want;
    crioimg_manifest_kind kind;
    size_t n;  /* layers or manifests */
} mf_case;

static const mf_case mf_cases[] = {
    /* the four types, declared, guessed and from the Content-Type */
    { "oci manifest", NULL, MF_OCI(""), CRIOIMG_OK, CRIOIMG_MANIFEST_OCI, 1 },
    { "oci manifest, matching Content-Type", CRIOIMG_MEDIA_OCI_MANIFEST, MF_OCI(""), CRIOIMG_OK, CRIOIMG_MANIFEST_OCI, 1 },
    { "Content-Type parameters ignored", CRIOIMG_MEDIA_OCI_MANIFEST "; charset=utf-8", MF_OCI(""), CRIOIMG_OK, CRIOIMG_MANIFEST_OCI, 1 },
    { "generic Content-Type says nothing", "application/json", MF_OCI(""), CRIOIMG_OK, CRIOIMG_MANIFEST_OCI, 1 },
    { "oci without mediaType: guessed from config", NULL,
      "{\"schemaVersion\":2,\"config\":" MF_OCI_CFG ",\"layers\":[]}", CRIOIMG_OK, CRIOIMG_MANIFEST_OCI, 0 },
    { "docker v2", NULL,
      "{\"schemaVersion\":2,\"mediaType\":\"" CRIOIMG_MEDIA_DOCKER_MANIFEST "\",\"config\":" MF_DOCKER_CFG ",\"layers\":[" MF_LAYER "," MF_LAYER "]}",
      CRIOIMG_OK, CRIOIMG_MANIFEST_DOCKER_V2, 2 },
    { "docker v2 without mediaType: guessed from config", NULL,
      "{\"schemaVersion\":2,\"config\":" MF_DOCKER_CFG ",\"layers\":[" MF_LAYER "]}", CRIOIMG_OK, CRIOIMG_MANIFEST_DOCKER_V2, 1 },
    { "mediaType absent, Content-Type decides", CRIOIMG_MEDIA_DOCKER_MANIFEST,
      "{\"schemaVersion\":2,\"config\":" MF_DOCKER_CFG ",\"layers\":[]}", CRIOIMG_OK, CRIOIMG_MANIFEST_DOCKER_V2, 0 },
    { "oci index", NULL,
      "{\"schemaVersion\":2,\"mediaType\":\"" CRIOIMG_MEDIA_OCI_INDEX "\",\"manifests\":[" MF_PLAT("linux", "amd64", "") "]}",
      CRIOIMG_OK, CRIOIMG_MANIFEST_OCI_INDEX, 1 },
    { "index without mediaType", NULL, "{\"schemaVersion\":2,\"manifests\":[]}", CRIOIMG_OK, CRIOIMG_MANIFEST_OCI_INDEX, 0 },
    { "docker list", NULL,
      "{\"schemaVersion\":2,\"mediaType\":\"" CRIOIMG_MEDIA_DOCKER_LIST "\",\"manifests\":[" MF_PLAT("linux", "amd64", "") "," MF_PLAT("linux", "arm", ",\"variant\":\"v7\"") "]}",
      CRIOIMG_OK, CRIOIMG_MANIFEST_DOCKER_LIST, 2 },
    { "zero layers (an artifact)", NULL,
      "{\"schemaVersion\":2,\"mediaType\":\"" CRIOIMG_MEDIA_OCI_MANIFEST "\",\"artifactType\":\"application/x.a\",\"config\":" MF_OCI_CFG ",\"layers\":[]}",
      CRIOIMG_OK, CRIOIMG_MANIFEST_OCI, 0 },
    { "subject", NULL, MF_OCI(",\"subject\":" MF_DESC(CRIOIMG_MEDIA_OCI_MANIFEST, MF_D1, 7)), CRIOIMG_OK, CRIOIMG_MANIFEST_OCI, 1 },
    { "unknown fields ignored", NULL, MF_OCI(",\"x-custom\":{\"a\":[1,2]}"), CRIOIMG_OK, CRIOIMG_MANIFEST_OCI, 1 },
    { "annotations", NULL, MF_OCI(",\"annotations\":{\"a\":\"b\"}"), CRIOIMG_OK, CRIOIMG_MANIFEST_OCI, 1 },
    { "foreign layer urls (https)", NULL,
      "{\"schemaVersion\":2,\"config\":" MF_OCI_CFG ",\"layers\":[{\"mediaType\":\"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip\",\"digest\":\"" MF_D2 "\",\"size\":1,\"urls\":[\"https://example.com/l\"]}]}",
      CRIOIMG_OK, CRIOIMG_MANIFEST_OCI, 1 },
    { "embedded data, checked", NULL,
      "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"application/x\",\"digest\":\"" MF_HELLO "\",\"size\":5,\"data\":\"aGVsbG8=\"},\"layers\":[]}",
      CRIOIMG_OK, CRIOIMG_MANIFEST_OCI, 0 },

    /* CVE-2021-41190: ambiguous documents and disagreeing types */
    { "manifests and layers", NULL,
      "{\"schemaVersion\":2,\"manifests\":[],\"layers\":[]}", CRIOIMG_ERR_MANIFEST_AMBIGUOUS, CRIOIMG_MANIFEST_UNKNOWN, 0 },
    { "manifests and config", CRIOIMG_MEDIA_OCI_INDEX,
      "{\"schemaVersion\":2,\"manifests\":[],\"config\":" MF_OCI_CFG "}", CRIOIMG_ERR_MANIFEST_AMBIGUOUS, CRIOIMG_MANIFEST_UNKNOWN, 0 },
    { "mediaType disagrees with Content-Type", CRIOIMG_MEDIA_OCI_INDEX, MF_OCI(""), CRIOIMG_ERR_MANIFEST_MEDIA_TYPE, CRIOIMG_MANIFEST_UNKNOWN, 0 },
    { "a key differing only in case (Go would read it)", NULL,
      "{\"schemaVersion\":2,\"config\":" MF_OCI_CFG ",\"layers\":[],\"Layers\":[" MF_LAYER "]}", CRIOIMG_ERR_MANIFEST_INVALID, CRIOIMG_MANIFEST_UNKNOWN, 0 },
    { "case variant in a descriptor", NULL,
      "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"a\",\"digest\":\"" MF_D1 "\",\"size\":1,\"Digest\":\"" MF_D2 "\"},\"layers\":[]}",
      CRIOIMG_ERR_MANIFEST_INVALID, CRIOIMG_MANIFEST_UNKNOWN, 0 },
    { "duplicate key", NULL,
      "{\"schemaVersion\":2,\"config\":" MF_OCI_CFG ",\"layers\":[],\"layers\":[" MF_LAYER "]}", CRIOIMG_ERR_JSON_DUPLICATE, CRIOIMG_MANIFEST_UNKNOWN, 0 },

    /* types we do not read */
    { "schema 1", NULL, "{\"schemaVersion\":1,\"name\":\"x\",\"tag\":\"y\",\"fsLayers\":[]}", CRIOIMG_ERR_MANIFEST_UNSUPPORTED, CRIOIMG_MANIFEST_UNKNOWN, 0 },
    { "schema 1 signed, by Content-Type", CRIOIMG_MEDIA_DOCKER_SCHEMA1_SIGNED, "{\"schemaVersion\":1,\"signatures\":[]}",
      CRIOIMG_ERR_MANIFEST_UNSUPPORTED, CRIOIMG_MANIFEST_UNKNOWN, 0 },
    { "schemaVersion 3", NULL, "{\"schemaVersion\":3,\"manifests\":[]}", CRIOIMG_ERR_MANIFEST_UNSUPPORTED, CRIOIMG_MANIFEST_UNKNOWN, 0 },
    { "unknown mediaType", NULL, "{\"schemaVersion\":2,\"mediaType\":\"application/x.foo\",\"manifests\":[]}",
      CRIOIMG_ERR_MANIFEST_UNSUPPORTED, CRIOIMG_MANIFEST_UNKNOWN, 0 },
    { "nothing to guess from", NULL, "{\"schemaVersion\":2}", CRIOIMG_ERR_MANIFEST_UNSUPPORTED, CRIOIMG_MANIFEST_UNKNOWN, 0 },

    /* structure */
    { "not an object", NULL, "[]", CRIOIMG_ERR_MANIFEST_INVALID, CRIOIMG_MANIFEST_UNKNOWN, 0 },
    { "schemaVersion missing", NULL, "{\"config\":" MF_OCI_CFG ",\"layers\":[]}", CRIOIMG_ERR_MANIFEST_INVALID, CRIOIMG_MANIFEST_UNKNOWN, 0 },
    { "schemaVersion a string", NULL, "{\"schemaVersion\":\"2\",\"manifests\":[]}", CRIOIMG_ERR_MANIFEST_INVALID, CRIOIMG_MANIFEST_UNKNOWN, 0 },
    { "mediaType a number", NULL, "{\"schemaVersion\":2,\"mediaType\":5,\"manifests\":[]}", CRIOIMG_ERR_MANIFEST_INVALID, CRIOIMG_MANIFEST_UNKNOWN, 0 },
    { "manifest without config", CRIOIMG_MEDIA_OCI_MANIFEST, "{\"schemaVersion\":2,\"layers\":[]}", CRIOIMG_ERR_MANIFEST_INVALID, CRIOIMG_MANIFEST_UNKNOWN, 0 },
    { "manifest without layers", NULL, "{\"schemaVersion\":2,\"config\":" MF_OCI_CFG "}", CRIOIMG_ERR_MANIFEST_INVALID, CRIOIMG_MANIFEST_UNKNOWN, 0 },
    { "layers an object", NULL, "{\"schemaVersion\":2,\"config\":" MF_OCI_CFG ",\"layers\":{}}", CRIOIMG_ERR_MANIFEST_INVALID, CRIOIMG_MANIFEST_UNKNOWN, 0 },
    { "truncated", NULL, "{\"schemaVersion\":2,\"config\":", CRIOIMG_ERR_JSON_SYNTAX, CRIOIMG_MANIFEST_UNKNOWN, 0 },
    { "invalid UTF-8", NULL, "{\"schemaVersion\":2,\"annotations\":{\"a\":\"\xff\"},\"manifests\":[]}", CRIOIMG_ERR_JSON_UTF8, CRIOIMG_MANIFEST_UNKNOWN, 0 },

    /* descriptors */
    { "digest with a path in it", NULL,
      "{\"schemaVersion\":2,\"config\":" MF_DESC("a", "sha256:../../etc/passwd", 1) ",\"layers\":[]}", CRIOIMG_ERR_MANIFEST_INVALID, CRIOIMG_MANIFEST_UNKNOWN, 0 },
    { "uppercase digest", NULL,
      "{\"schemaVersion\":2,\"config\":" MF_DESC("a", "sha256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 1) ",\"layers\":[]}",
      CRIOIMG_ERR_MANIFEST_INVALID, CRIOIMG_MANIFEST_UNKNOWN, 0 },
    { "short digest", NULL, "{\"schemaVersion\":2,\"config\":" MF_DESC("a", "sha256:abc", 1) ",\"layers\":[]}", CRIOIMG_ERR_MANIFEST_INVALID, CRIOIMG_MANIFEST_UNKNOWN, 0 },
    { "digest without algorithm", NULL, "{\"schemaVersion\":2,\"config\":" MF_DESC("a", "1111", 1) ",\"layers\":[]}", CRIOIMG_ERR_MANIFEST_INVALID, CRIOIMG_MANIFEST_UNKNOWN, 0 },
    { "negative size", NULL, "{\"schemaVersion\":2,\"config\":" MF_DESC("a", MF_D1, -1) ",\"layers\":[]}", CRIOIMG_ERR_MANIFEST_INVALID, CRIOIMG_MANIFEST_UNKNOWN, 0 },
    { "fractional size", NULL, "{\"schemaVersion\":2,\"config\":" MF_DESC("a", MF_D1, 1.5) ",\"layers\":[]}", CRIOIMG_ERR_MANIFEST_INVALID, CRIOIMG_MANIFEST_UNKNOWN, 0 },
    { "huge size", NULL, "{\"schemaVersion\":2,\"config\":" MF_DESC("a", MF_D1, 1e30) ",\"layers\":[]}", CRIOIMG_ERR_MANIFEST_INVALID, CRIOIMG_MANIFEST_UNKNOWN, 0 },
    { "size as a string", NULL,
      "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"a\",\"digest\":\"" MF_D1 "\",\"size\":\"1\"},\"layers\":[]}", CRIOIMG_ERR_MANIFEST_INVALID, CRIOIMG_MANIFEST_UNKNOWN, 0 },
    { "descriptor without mediaType", NULL,
      "{\"schemaVersion\":2,\"config\":{\"digest\":\"" MF_D1 "\",\"size\":1},\"layers\":[]}", CRIOIMG_ERR_MANIFEST_INVALID, CRIOIMG_MANIFEST_UNKNOWN, 0 },
    { "a url that is not http(s)", NULL,
      "{\"schemaVersion\":2,\"config\":" MF_OCI_CFG ",\"layers\":[{\"mediaType\":\"a\",\"digest\":\"" MF_D2 "\",\"size\":1,\"urls\":[\"file:///etc/passwd\"]}]}",
      CRIOIMG_ERR_MANIFEST_INVALID, CRIOIMG_MANIFEST_UNKNOWN, 0 },
    { "annotation value not a string", NULL, MF_OCI(",\"annotations\":{\"a\":1}"), CRIOIMG_ERR_MANIFEST_INVALID, CRIOIMG_MANIFEST_UNKNOWN, 0 },
    { "embedded data of the wrong size", NULL,
      "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"a\",\"digest\":\"" MF_HELLO "\",\"size\":6,\"data\":\"aGVsbG8=\"},\"layers\":[]}",
      CRIOIMG_ERR_SIZE_MISMATCH, CRIOIMG_MANIFEST_UNKNOWN, 0 },
    { "embedded data of the wrong digest", NULL,
      "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"a\",\"digest\":\"" MF_HELLO "\",\"size\":5,\"data\":\"aGVsbE8=\"},\"layers\":[]}",
      CRIOIMG_ERR_DIGEST_MISMATCH, CRIOIMG_MANIFEST_UNKNOWN, 0 },
    { "embedded data not base64", NULL,
      "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"a\",\"digest\":\"" MF_HELLO "\",\"size\":5,\"data\":\"aGVsbG8\"},\"layers\":[]}",
      CRIOIMG_ERR_MANIFEST_INVALID, CRIOIMG_MANIFEST_UNKNOWN, 0 },
    /* from a review: what Go's decoder would read differently (its keys fold like strings.EqualFold) */
    { "a key folding to a field through U+017F", CRIOIMG_MEDIA_OCI_INDEX,
      "{\"schemaVersion\":2,\"mediaType\":\"" CRIOIMG_MEDIA_OCI_INDEX "\",\"manifests\":[],\"layer\xc5\xbf\":[" MF_LAYER "]}",
      CRIOIMG_ERR_MANIFEST_INVALID, CRIOIMG_MANIFEST_UNKNOWN, 0 },
    { "a key folding to a field through U+212A", NULL,
      "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"a\",\"digest\":\"" MF_D1 "\",\"size\":1,\"\xe2\x84\xaaind\":1},\"layers\":[],\"manife\xc5\xbfts\":[]}",
      CRIOIMG_ERR_MANIFEST_INVALID, CRIOIMG_MANIFEST_UNKNOWN, 0 },
    { "a NUL inside the mediaType", CRIOIMG_MEDIA_OCI_MANIFEST,
      "{\"schemaVersion\":2,\"mediaType\":\"" CRIOIMG_MEDIA_OCI_MANIFEST "\\u0000evil\",\"config\":" MF_OCI_CFG ",\"layers\":[]}",
      CRIOIMG_ERR_MANIFEST_INVALID, CRIOIMG_MANIFEST_UNKNOWN, 0 },
    { "a NUL inside a digest", NULL,
      "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"a\",\"digest\":\"" MF_D1 "\\u0000/../x\",\"size\":1},\"layers\":[]}",
      CRIOIMG_ERR_MANIFEST_INVALID, CRIOIMG_MANIFEST_UNKNOWN, 0 },
    { "schema 1 fields in a v2 manifest", NULL, MF_OCI(",\"fsLayers\":[]"), CRIOIMG_ERR_MANIFEST_AMBIGUOUS, CRIOIMG_MANIFEST_UNKNOWN, 0 },
    { "history in an index", NULL, "{\"schemaVersion\":2,\"manifests\":[],\"history\":[]}", CRIOIMG_ERR_MANIFEST_AMBIGUOUS, CRIOIMG_MANIFEST_UNKNOWN, 0 },
    { "size written 1e3 (Go's int64 refuses it)", NULL, "{\"schemaVersion\":2,\"config\":" MF_DESC("a", MF_D1, 1e3) ",\"layers\":[]}", CRIOIMG_ERR_MANIFEST_INVALID, CRIOIMG_MANIFEST_UNKNOWN, 0 },
    { "schemaVersion written 2.0", NULL, "{\"schemaVersion\":2.0,\"manifests\":[]}", CRIOIMG_ERR_MANIFEST_INVALID, CRIOIMG_MANIFEST_UNKNOWN, 0 },
    { "a mediaType in other case is another type", NULL, "{\"schemaVersion\":2,\"mediaType\":\"APPLICATION/VND.OCI.IMAGE.INDEX.V1+JSON\",\"manifests\":[]}",
      CRIOIMG_ERR_MANIFEST_UNSUPPORTED, CRIOIMG_MANIFEST_UNKNOWN, 0 },
    { "platform without os", NULL,
      "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"a\",\"digest\":\"" MF_D1 "\",\"size\":1,\"platform\":{\"architecture\":\"amd64\"}}]}",
      CRIOIMG_ERR_MANIFEST_INVALID, CRIOIMG_MANIFEST_UNKNOWN, 0 },
};

static void test_manifest_table(void)
{
    size_t i;
    for (i = 0; i < sizeof mf_cases / sizeof mf_cases[0]; i++) {
        const mf_case *c = &mf_cases[i];
        crioimg_manifest m;
        crioimg_result r = crioimg_manifest_parse(&m, c->doc, strlen(c->doc), c->content_type, NULL);
        tests_context = c->name;
        if (!CHECK(r == c->want)) fprintf(stderr, "  got %s (%s): %s\n", crioimg_result_name(r), crioimg_result_str(r), m.err);
        if (r == CRIOIMG_OK) {
            CHECK(m.kind == c->kind);
            CHECK((m.kind == CRIOIMG_MANIFEST_OCI || m.kind == CRIOIMG_MANIFEST_DOCKER_V2 ? m.nlayers : m.nmanifests) == c->n);
        } else {
            CHECK(m.err[0] != '\0' && m.arena == NULL);
        }
        crioimg_manifest_free(&m);
    }
}

/* What a parsed manifest exposes, and the limits. */
static void test_manifest_fields(void)
{
    static const char doc[] = "{\"schemaVersion\":2,\"mediaType\":\"" CRIOIMG_MEDIA_OCI_MANIFEST "\",\"config\":" MF_OCI_CFG
                              ",\"layers\":[" MF_LAYER ",{\"mediaType\":\"application/x\",\"digest\":\"" MF_HELLO "\",\"size\":5,\"data\":\"aGVsbG8=\",\"urls\":[\"https://a/b\",\"http://c\"]}]}";
    crioimg_manifest m;
    char *big;
    size_t i, n;
    tests_context = "fields";
    CHECK(crioimg_manifest_parse(&m, doc, sizeof doc - 1, NULL, NULL) == CRIOIMG_OK);
    CHECK_STR(m.media_type, CRIOIMG_MEDIA_OCI_MANIFEST);
    CHECK_STR(m.config.digest, MF_D1);
    CHECK(m.config.size == 100);
    CHECK(m.nlayers == 2 && m.layers[0].size == 32 && m.layers[1].nurls == 2);
    CHECK_STR(m.layers[1].urls[1], "http://c");
    CHECK(m.layers[1].has_data && m.layers[1].data_len == 5 && memcmp(m.layers[1].data, "hello", 5) == 0);
    crioimg_manifest_free(&m);
    crioimg_manifest_free(&m);  /* twice is harmless */

    tests_context = "size cap (4 MiB, counted before parsing)";
    n = CRIOIMG_MANIFEST_MAX_SIZE + 1;
    big = (char *)malloc(n);
    CHECK(big != NULL);
    if (big) {
        memset(big, ' ', n);
        memcpy(big, MF_OCI(""), sizeof(MF_OCI("")) - 1);
        CHECK(crioimg_manifest_parse(&m, big, n, NULL, NULL) == CRIOIMG_ERR_TOO_BIG);
        CHECK_STR(m.err, "exceeded maximum allowed size of 4194304 bytes");
        CHECK(crioimg_manifest_parse(&m, big, n - 1, NULL, NULL) == CRIOIMG_OK);  /* at the cap: read */
        crioimg_manifest_free(&m);
        free(big);
    }

    tests_context = "100,000-deep nesting: refused, bounded stack";
    n = 200000;
    big = (char *)malloc(n);
    if (big) {
        for (i = 0; i < n / 2; i++) big[i] = '[';
        for (; i < n; i++) big[i] = ']';
        CHECK(crioimg_manifest_parse(&m, big, n, NULL, NULL) == CRIOIMG_ERR_JSON_TOO_DEEP);
        free(big);
    }
}

static void test_manifest_choose(void)
{
    static const char doc[] = "{\"schemaVersion\":2,\"mediaType\":\"" CRIOIMG_MEDIA_DOCKER_LIST "\",\"manifests\":["
        MF_PLAT("linux", "amd64", "") "," MF_PLAT("linux", "arm64", ",\"variant\":\"v8\"") ","
        MF_PLAT("linux", "arm", ",\"variant\":\"v7\"") "," MF_PLAT("linux", "arm", ",\"variant\":\"v6\"") "]}";
    static const struct { const char *want; crioimg_result r; size_t which; } rows[] = {
        { "linux/amd64", CRIOIMG_OK, 0 },
        { "linux/arm64", CRIOIMG_OK, 1 },          /* no variant wanted: "" first, then v8 */
        { "linux/arm64/v8", CRIOIMG_OK, 1 },
        { "linux/arm/v8", CRIOIMG_OK, 2 },         /* v8 runs v7 images */
        { "linux/arm/v7", CRIOIMG_OK, 2 },
        { "linux/arm/v6", CRIOIMG_OK, 3 },
        { "linux/arm/v5", CRIOIMG_ERR_PLATFORM_NOT_FOUND, 0 },  /* nothing older than v6 here */
        { "linux/arm", CRIOIMG_OK, 2 },            /* "" then v8, v7: the newest that is there */
        { "windows/amd64", CRIOIMG_ERR_PLATFORM_NOT_FOUND, 0 },
        { "linux/s390x", CRIOIMG_ERR_PLATFORM_NOT_FOUND, 0 },
    };
    crioimg_manifest m;
    size_t i, which;
    char err[512], pbuf[64];
    CHECK(crioimg_manifest_parse(&m, doc, sizeof doc - 1, NULL, NULL) == CRIOIMG_OK);
    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        crioimg_platform p;
        tests_context = rows[i].want;
        CHECK(crioimg_platform_parse(&p, rows[i].want, pbuf, sizeof pbuf) == CRIOIMG_OK);
        which = 99;
        CHECK(crioimg_manifest_choose(&m, &p, &which, err, sizeof err) == rows[i].r);
        if (rows[i].r == CRIOIMG_OK) CHECK(which == rows[i].which);
    }
    tests_context = "what the index offers";
    {
        crioimg_platform p;
        crioimg_platform_parse(&p, "windows/amd64", pbuf, sizeof pbuf);
        crioimg_manifest_choose(&m, &p, &which, err, sizeof err);
        CHECK_STR(err, "no image found in manifest list for architecture amd64, variant \"\", OS windows; "
                       "available: linux/amd64, linux/arm64/v8, linux/arm/v7, linux/arm/v6");
    }
    tests_context = "the running machine";
    {
        crioimg_platform here;
        crioimg_platform_current(&here);
        CHECK(*here.os && *here.architecture);
#if defined(__x86_64__) && defined(__linux__)
        CHECK(crioimg_manifest_choose(&m, NULL, &which, err, sizeof err) == CRIOIMG_OK && which == 0);
#endif
    }
    crioimg_manifest_free(&m);
    tests_context = "an entry without a platform is the fallback";
    {
        static const char d2[] = "{\"schemaVersion\":2,\"manifests\":[" MF_PLAT("linux", "ppc64le", "") ","
                                 MF_DESC(CRIOIMG_MEDIA_OCI_MANIFEST, MF_D2, 3) "]}";
        crioimg_platform p;
        CHECK(crioimg_manifest_parse(&m, d2, sizeof d2 - 1, NULL, NULL) == CRIOIMG_OK);
        crioimg_platform_parse(&p, "linux/amd64", pbuf, sizeof pbuf);
        CHECK(crioimg_manifest_choose(&m, &p, &which, err, sizeof err) == CRIOIMG_OK && which == 1);
        crioimg_manifest_free(&m);
    }
    tests_context = "a Docker list has no platform-less fallback (Schema2List.ChooseInstance)";
    {
        static const char d3[] = "{\"schemaVersion\":2,\"mediaType\":\"" CRIOIMG_MEDIA_DOCKER_LIST "\",\"manifests\":[" MF_PLAT("linux", "ppc64le", "") ","
                                 MF_DESC(CRIOIMG_MEDIA_DOCKER_MANIFEST, MF_D2, 3) "]}";
        crioimg_platform p;
        CHECK(crioimg_manifest_parse(&m, d3, sizeof d3 - 1, NULL, NULL) == CRIOIMG_OK);
        crioimg_platform_parse(&p, "linux/amd64", pbuf, sizeof pbuf);
        CHECK(crioimg_manifest_choose(&m, &p, &which, err, sizeof err) == CRIOIMG_ERR_PLATFORM_NOT_FOUND);
        crioimg_manifest_free(&m);
    }
    tests_context = "platform strings";
    {
        crioimg_platform p;
        CHECK(crioimg_platform_parse(&p, "linux", pbuf, sizeof pbuf) == CRIOIMG_ERR_INVALID_ARGS);
        CHECK(crioimg_platform_parse(&p, "linux//v7", pbuf, sizeof pbuf) == CRIOIMG_ERR_INVALID_ARGS);
        CHECK(crioimg_platform_parse(&p, "a/b/c/d", pbuf, sizeof pbuf) == CRIOIMG_ERR_INVALID_ARGS);
        CHECK(crioimg_platform_parse(&p, "linux/arm/v7", pbuf, 4) == CRIOIMG_ERR_BUFFER_TOO_SMALL);
    }
}

static void test_image_config(void)
{
    static const char doc[] = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"created\":\"2024-01-02T03:04:05Z\","
        "\"config\":{\"User\":\"1000:1000\",\"Labels\":{\"b\":\"2\",\"a\":\"1\"},\"Env\":[\"A=1\"]},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}";
    static const struct { const char *user; crioimg_result r; long uid, gid; } users[] = {
        { "", CRIOIMG_OK, -1, -1 },
        { "0", CRIOIMG_OK, 0, -1 },
        { "1000:1000", CRIOIMG_OK, 1000, 1000 },
        { "nginx", CRIOIMG_OK, -1, -1 },
        { "nginx:www", CRIOIMG_OK, -1, -1 },
        { "1000:www", CRIOIMG_OK, 1000, -1 },
        { "2147483647", CRIOIMG_OK, 2147483647L, -1 },
        { "2147483648", CRIOIMG_ERR_JSON_RANGE, -1, -1 },
        { "4294967296", CRIOIMG_ERR_JSON_RANGE, -1, -1 },  /* must not wrap to 0 (CVE-2024-40635) */
        { "0:4294967296", CRIOIMG_ERR_JSON_RANGE, -1, -1 },
        { "99999999999999999999999", CRIOIMG_ERR_JSON_RANGE, -1, -1 },
        { "-1", CRIOIMG_ERR_JSON_RANGE, -1, -1 },
        { ":1000", CRIOIMG_ERR_INVALID_ARGS, -1, -1 },
        { "1000:", CRIOIMG_ERR_INVALID_ARGS, -1, -1 },
    };
    crioimg_image_config c;
    size_t i;
    long uid, gid;
    tests_context = "config";
    CHECK(crioimg_image_config_parse(&c, doc, sizeof doc - 1, NULL) == CRIOIMG_OK);
    CHECK_STR(c.os, "linux");
    CHECK_STR(c.architecture, "amd64");
    CHECK_STR(c.variant, "");
    CHECK_STR(c.created, "2024-01-02T03:04:05Z");
    CHECK_STR(c.user, "1000:1000");
    CHECK(c.nlabels == 2);
    if (c.nlabels == 2) { CHECK_STR(c.label_keys[0], "b"); CHECK_STR(c.label_values[1], "1"); }
    crioimg_image_config_free(&c);
    for (i = 0; i < sizeof users / sizeof users[0]; i++) {
        tests_context = users[i].user;
        CHECK(crioimg_image_config_user(users[i].user, &uid, &gid) == users[i].r);
        if (users[i].r == CRIOIMG_OK) CHECK(uid == users[i].uid && gid == users[i].gid);
    }
    tests_context = "config: bad documents";
    CHECK(crioimg_image_config_parse(&c, "{\"config\":{\"user\":\"0\"}}", strlen("{\"config\":{\"user\":\"0\"}}"), NULL) == CRIOIMG_ERR_MANIFEST_INVALID);
    CHECK(crioimg_image_config_parse(&c, "{\"config\":{\"Labels\":{\"a\":1}}}", strlen("{\"config\":{\"Labels\":{\"a\":1}}}"), NULL) == CRIOIMG_ERR_MANIFEST_INVALID);
    CHECK(crioimg_image_config_parse(&c, "{\"os\":1}", strlen("{\"os\":1}"), NULL) == CRIOIMG_ERR_MANIFEST_INVALID);
    CHECK(crioimg_image_config_parse(&c, "{\"os\":\"linux\",\"os\":\"windows\"}", strlen("{\"os\":\"linux\",\"os\":\"windows\"}"), NULL) == CRIOIMG_ERR_JSON_DUPLICATE);
    CHECK(crioimg_image_config_parse(&c, "{}", strlen("{}"), NULL) == CRIOIMG_OK);
    CHECK(c.exposed_ports == NULL && c.nvolumes == 0);
    CHECK_STR(c.stop_signal, "");
    crioimg_image_config_free(&c);
    /* ExposedPorts and Volumes: Go's map[string]struct{}; the keys in document order */
    tests_context = "config: ports, volumes, stop signal";
    {
        static const char pv[] = "{\"config\":{\"ExposedPorts\":{\"80/tcp\":{},\"53/udp\":{}},\"Volumes\":{\"/data\":{}},\"StopSignal\":\"SIGQUIT\"}}";
        CHECK(crioimg_image_config_parse(&c, pv, sizeof pv - 1, NULL) == CRIOIMG_OK);
        CHECK(c.nexposed_ports == 2 && c.nvolumes == 1);
        if (c.nexposed_ports == 2) { CHECK_STR(c.exposed_ports[0], "80/tcp"); CHECK_STR(c.exposed_ports[1], "53/udp"); CHECK(c.exposed_ports[2] == NULL); }
        if (c.nvolumes == 1) CHECK_STR(c.volumes[0], "/data");
        CHECK_STR(c.stop_signal, "SIGQUIT");
        crioimg_image_config_free(&c);
    }
    CHECK(crioimg_image_config_parse(&c, "{\"config\":{\"ExposedPorts\":[\"80\"]}}", strlen("{\"config\":{\"ExposedPorts\":[\"80\"]}}"), NULL) == CRIOIMG_ERR_MANIFEST_INVALID);
    CHECK(crioimg_image_config_parse(&c, "{\"config\":{\"Volumes\":{\"/d\":1}}}", strlen("{\"config\":{\"Volumes\":{\"/d\":1}}}"), NULL) == CRIOIMG_ERR_MANIFEST_INVALID);
    CHECK(crioimg_image_config_parse(&c, "{\"config\":{\"StopSignal\":9}}", strlen("{\"config\":{\"StopSignal\":9}}"), NULL) == CRIOIMG_ERR_MANIFEST_INVALID);
}

/* Env, Entrypoint, Cmd, WorkingDir, author: what inspect shows (issue 12) */
static void test_image_config_run(void)
{
    static const char docker[] = "{\"architecture\":\"arm\",\"variant\":\"v7\",\"os\":\"linux\",\"author\":\"me\","
        "\"config\":{\"Env\":[\"PATH=/bin\",\"A=b c\"],\"Entrypoint\":[\"/bin/sh\",\"-c\"],\"Cmd\":[\"echo hi\"],\"WorkingDir\":\"/w\"},"
        "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]},\"history\":[]}";
    static const char oci[] = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Cmd\":[],\"Entrypoint\":null}}";
    static const struct { const char *doc; crioimg_result r; const char *err; } bad[] = {
        { "{\"config\":{\"Env\":\"A=1\"}}", CRIOIMG_ERR_MANIFEST_INVALID, "config: not an array of strings: \"Env\"" },
        { "{\"config\":{\"Env\":[1]}}", CRIOIMG_ERR_MANIFEST_INVALID, "config: not an array of strings: \"Env\"" },
        { "{\"config\":{\"Entrypoint\":{}}}", CRIOIMG_ERR_MANIFEST_INVALID, "config: not an array of strings: \"Entrypoint\"" },
        { "{\"config\":{\"Cmd\":[\"a\",null]}}", CRIOIMG_ERR_MANIFEST_INVALID, "config: not an array of strings: \"Cmd\"" },
        { "{\"config\":{\"Cmd\":[\"a\\u0000b\"]}}", CRIOIMG_ERR_MANIFEST_INVALID, "a string holds a NUL character" },
        { "{\"config\":{\"WorkingDir\":[]}}", CRIOIMG_ERR_MANIFEST_INVALID, NULL },
        { "{\"author\":7}", CRIOIMG_ERR_MANIFEST_INVALID, NULL },
        { "{\"config\":[]}", CRIOIMG_ERR_MANIFEST_INVALID, "config is not an object" },
    };
    crioimg_image_config c;
    crioimg_manifest_opts o;
    char *big;
    size_t i, n;
    tests_context = "config: Docker, with Env/Entrypoint/Cmd";
    CHECK(crioimg_image_config_parse(&c, docker, sizeof docker - 1, NULL) == CRIOIMG_OK);
    CHECK_STR(c.variant, "v7");
    CHECK_STR(c.author, "me");
    CHECK_STR(c.working_dir, "/w");
    CHECK(c.nenv == 2 && c.nentrypoint == 2 && c.ncmd == 1);
    if (c.nenv == 2) { CHECK_STR(c.env[0], "PATH=/bin"); CHECK_STR(c.env[1], "A=b c"); CHECK(c.env[2] == NULL); }
    if (c.nentrypoint == 2) { CHECK_STR(c.entrypoint[0], "/bin/sh"); CHECK_STR(c.entrypoint[1], "-c"); }
    if (c.ncmd == 1) CHECK_STR(c.cmd[0], "echo hi");
    crioimg_image_config_free(&c);
    tests_context = "config: OCI, empty and null arrays, the optional fields absent";
    CHECK(crioimg_image_config_parse(&c, oci, sizeof oci - 1, NULL) == CRIOIMG_OK);
    CHECK(c.ncmd == 0 && c.cmd != NULL && c.nentrypoint == 0 && c.entrypoint == NULL && c.nenv == 0 && c.env == NULL);
    CHECK_STR(c.author, "");
    CHECK_STR(c.working_dir, "");
    CHECK_STR(c.user, "");
    crioimg_image_config_free(&c);
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        tests_context = bad[i].doc;
        CHECK(crioimg_image_config_parse(&c, bad[i].doc, strlen(bad[i].doc), NULL) == bad[i].r);
        if (bad[i].err) CHECK_STR(c.err, bad[i].err);
        CHECK(c.arena == NULL);
        crioimg_image_config_free(&c);
    }
    tests_context = "config: over max_size refused, bounded";
    n = 100000;
    big = (char *)malloc(n * 4 + 64);
    CHECK(big != NULL);
    if (big) {
        size_t len = 0;
        memcpy(big, "{\"config\":{\"Env\":[", 18); len = 18;
        for (i = 0; i < n; i++) { memcpy(big + len, i ? ",\"\"" : "\"\"", i ? 3 : 2); len += i ? 3 : 2; }
        memcpy(big + len, "]}}", 3); len += 3;
        memset(&o, 0, sizeof o);
        o.max_size = 1024;
        CHECK(crioimg_image_config_parse(&c, big, len, &o) == CRIOIMG_ERR_TOO_BIG);
        crioimg_image_config_free(&c);
        CHECK(crioimg_image_config_parse(&c, big, len, NULL) == CRIOIMG_OK);
        CHECK(c.nenv == n);
        crioimg_image_config_free(&c);
        free(big);
    }
}

static size_t mf_fail_after;
static void *mf_alloc(size_t n, void *u) { (void)u; if (mf_fail_after == 0) return NULL; mf_fail_after--; return malloc(n); }
static void *mf_realloc(void *p, size_t n, void *u) { (void)u; if (mf_fail_after == 0) return NULL; mf_fail_after--; return realloc(p, n); }
static void mf_free(void *p, void *u) { (void)u; free(p); }

/* Every allocation failing in turn: a clean ERR_NOMEM each time (ASan would see a leak). */
static void test_manifest_nomem(void)
{
    static const char doc[] = MF_OCI(",\"annotations\":{\"a\":\"b\"}");
    crioimg_manifest_opts o;
    crioimg_manifest m;
    size_t k;
    memset(&o, 0, sizeof o);
    o.alloc.alloc = mf_alloc; o.alloc.realloc = mf_realloc; o.alloc.free = mf_free;
    tests_context = "allocation failures";
    for (k = 0; k < 64; k++) {
        crioimg_result r;
        mf_fail_after = k;
        r = crioimg_manifest_parse(&m, doc, sizeof doc - 1, NULL, &o);
        crioimg_manifest_free(&m);
        if (r == CRIOIMG_OK) break;
        CHECK(r == CRIOIMG_ERR_NOMEM);
    }
    CHECK(k < 64);
}

static void test_manifest(void)
{
    test_manifest_table();
    test_manifest_fields();
    test_manifest_choose();
    test_image_config();
    test_image_config_run();
    test_manifest_nomem();
}
