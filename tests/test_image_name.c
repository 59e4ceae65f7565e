/* Transport-qualified image names (containers/image alltransports). */

typedef struct iname_case { const char *in, *err; } iname_case;

static const iname_case iname_go_cases[] = {
    /* Expected results from containers/image 5.23, produced by running its ParseReference functions:
       the exact error text, or NULL for success. */
    { "docker://nginx", NULL },
    { "docker:nginx", "docker: image reference nginx does not start with //" },
    { "docker://Foo", "invalid reference format: repository name must be lowercase" },
    { "docker://a:b@sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", "Docker references with both a tag and digest are currently not supported" },
    { "docker://", "invalid reference format" },
    { "docker://localhost:5000/x@sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", NULL },
    { "nocolon", "Invalid image name \"nocolon\", expected colon-separated transport:reference" },
    { "foo:bar", "Invalid image name \"foo:bar\", unknown transport \"foo\"" },
    { ":x", "Invalid image name \":x\", unknown transport \"\"" },
    { "docker-archive:", "docker-archive reference  isn't of the form <path>[:<reference>]" },
    { "docker-archive:/tmp/x.tar", NULL },
    { "docker-archive:/tmp/x.tar:@5", NULL },
    { "docker-archive:/tmp/x.tar:@-5", "Invalid source index @-5: must not be negative" },
    { "docker-archive:/tmp/x.tar:@-05", "Invalid source index @-5: must not be negative" },
    { "docker-archive:/tmp/x.tar:@x", "Invalid source index @x: strconv.Atoi: parsing \"x\": invalid syntax" },
    { "docker-archive:/tmp/x.tar:@99999999999999999999", "Invalid source index @99999999999999999999: strconv.Atoi: parsing \"99999999999999999999\": value out of range" },
    { "docker-archive:/tmp/x.tar:busybox", NULL },
    { "docker-archive:/tmp/x.tar:busybox@sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", "reference does not include a tag: docker.io/library/busybox@sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff" },
    { "docker-archive:/tmp/x.tar:a:b@sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", "docker-archive doesn't support digest references: docker.io/library/a:b@sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff" },
    { "docker-archive:/tmp/x.tar:Bad", "docker-archive parsing reference: invalid reference format: repository name must be lowercase" },
    { "docker-archive:/tmp/x.tar:@+3", NULL },
    { "docker-archive:/tmp/x.tar:@", "Invalid source index @: strconv.Atoi: parsing \"\": invalid syntax" },
    { "docker-daemon:busybox", "docker-daemon: reference busybox has neither a tag nor a digest" },
    { "docker-daemon:busybox:1", NULL },
    { "docker-daemon:sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", NULL },
    { "docker-daemon:sha512:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", "Invalid docker-daemon: reference sha512:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff: only digest algorithm sha256 accepted" },
    { "docker-daemon:sha256:latest", "Invalid docker-daemon: reference sha256:latest: The sha256 repository name is reserved for (non-shortened) digest references" },
    { "docker-daemon:a:b@sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", "docker-daemon: references with both a tag and digest are currently not supported" },
    { "docker-daemon:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", "invalid repository name (ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff), cannot specify 64-byte hexadecimal strings" },
    { "oci:/tmp/x:foo", NULL },
    { "oci:/tmp/x:foo/bar:1.0", NULL },
    { "oci:/tmp/x:-bad", "Invalid image -bad" },
    { "oci:/tmp/x:a--b", NULL },
    { "oci:/tmp/x:a---b", "Invalid image a---b" },
    { "oci:/tmp/x", NULL },
    { "dir:/tmp/x", NULL },
    { "docker://ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", "invalid repository name (ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff), cannot specify 64-byte hexadecimal strings" },
    /* strconv.Atoi at the int64 edges, and Go's %q of non-printable runes (from a review) */
    { "docker-archive:p:@9223372036854775808x", "Invalid source index @9223372036854775808x: strconv.Atoi: parsing \"9223372036854775808x\": invalid syntax" },
    { "docker-archive:p:@-9223372036854775808", "Invalid source index @-9223372036854775808: must not be negative" },
    { "docker-archive:p:@9223372036854775807", NULL },
    { "docker-archive:p:@-9223372036854775809", "Invalid source index @-9223372036854775809: strconv.Atoi: parsing \"-9223372036854775809\": value out of range" },
    { "docker-archive:p:@18446744073709551616", "Invalid source index @18446744073709551616: strconv.Atoi: parsing \"18446744073709551616\": value out of range" },
    { "docker-archive:p:@18446744073709551615", "Invalid source index @18446744073709551615: strconv.Atoi: parsing \"18446744073709551615\": value out of range" },
    { "docker-archive:p:@\xc2""\x85""", "Invalid source index @\xc2""\x85"": strconv.Atoi: parsing \"\\u0085\": invalid syntax" },
    { "docker-archive:p:@a\xe2""\x80""\x8b""b\xf0""\x9f""\x98""\x80""\xc3""\xa9""\x01""\xff""", "Invalid source index @a\xe2""\x80""\x8b""b\xf0""\x9f""\x98""\x80""\xc3""\xa9""\x01""\xff"": strconv.Atoi: parsing \"a\\u200bb\xf0""\x9f""\x98""\x80""\xc3""\xa9""\\x01\\xff\": invalid syntax" },
    { "docker-archive:p:@\xc2""\xa0""\xef""\xbb""\xbf""\xf3""\xb0""\x80""\x80""", "Invalid source index @\xc2""\xa0""\xef""\xbb""\xbf""\xf3""\xb0""\x80""\x80"": strconv.Atoi: parsing \"\\u00a0\\ufeff\\U000f0000\": invalid syntax" },
};

/* containers-storage: rows follow storageTransport.ParseReference/ParseStoreReference (5.23) read line by
   line; Go cannot run these without opening a real store, so they are derived from its code. */
#define ID64 "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
static const iname_case iname_storage_cases[] = {
    { "containers-storage:", "\"\" is an empty reference: invalid reference" },
    { "containers-storage:[", "invalid reference" },
    { "containers-storage:[]busybox", "invalid reference" },
    { "containers-storage:[@/var/lib]busybox", "invalid reference" },
    { "containers-storage:[overlay@]busybox", "invalid reference" },
    { "containers-storage:[var/lib]busybox", "path name is not absolute" },
    { "containers-storage:[/var/lib+run]busybox", "path name is not absolute" },
    { "containers-storage:[overlay@/var/lib/containers/storage+/run/containers/storage:o1,o2]busybox", NULL },
    { "containers-storage:[/var/lib]", "\"\" is an empty reference: invalid reference" },
    { "containers-storage:[/var/lib][x", "store specifier in \"[x\" did not end: invalid reference" },
    { "containers-storage:busybox", NULL },
    { "containers-storage:busybox@", "empty trailing digest or ID in \"busybox@\": invalid reference" },
    { "containers-storage:busybox@xyz", "\"xyz\" does not look like an image ID or digest: invalid reference" },
    { "containers-storage:busybox@" ID64, NULL },
    { "containers-storage:@" ID64, NULL },
    { "containers-storage:" ID64, NULL },
    { "containers-storage:busybox@sha256:" ID64, NULL },
    { "containers-storage:Busybox", "parsing named reference \"Busybox\": invalid reference format: repository name must be lowercase" },
    { "containers-storage:a b", "parsing named reference \"a b\": invalid reference format" },
    { "containers-storage:abc", NULL },
    { "containers-storage:@abc", NULL },
    { "sif:/tmp/x.sif", "Invalid image name \"sif:/tmp/x.sif\", transport \"sif\" is not supported by crioimg" },
};

static void test_image_name_table(const iname_case *rows, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        crioimg_image_name in;
        char err[CRIOIMG_IMAGE_NAME_ERR_MAX];
        crioimg_result r = crioimg_image_name_parse(&in, rows[i].in, strlen(rows[i].in), err, sizeof err, NULL);
        tests_context = rows[i].in;
        if (rows[i].err == NULL) { CHECK(r == CRIOIMG_OK); CHECK_STR(err, ""); }
        else { CHECK(r != CRIOIMG_OK); CHECK_STR(err, rows[i].err); }
    }
}

/* What the parsed parts hold, for the transports crioimg acts on. */
static void test_image_name_fields(void)
{
    crioimg_image_name in;
    char s[CRIOIMG_REF_STRING_MAX + 1];
    const char *x;

    tests_context = "docker fields";
    x = "docker://nginx";
    CHECK(crioimg_image_name_parse(&in, x, strlen(x), NULL, 0, NULL) == CRIOIMG_OK);
    CHECK(in.transport == CRIOIMG_TRANSPORT_DOCKER && in.has_ref);
    crioimg_ref_string(&in.ref, s, sizeof s);
    CHECK_STR(s, "docker.io/library/nginx:latest");
    CHECK_STR(crioimg_transport_name(in.transport), "docker");

    tests_context = "containers-storage fields";
    x = "containers-storage:[overlay@/var/lib/c+/run/c:o1,o2]quay.io/a/b:1@" ID64;
    CHECK(crioimg_image_name_parse(&in, x, strlen(x), NULL, 0, NULL) == CRIOIMG_OK);
    CHECK(in.transport == CRIOIMG_TRANSPORT_CONTAINERS_STORAGE && in.has_ref && !in.id_is_prefix);
    CHECK(in.driver.len == 7 && memcmp(in.driver.ptr, "overlay", 7) == 0);
    CHECK(in.graph_root.len == 10 && memcmp(in.graph_root.ptr, "/var/lib/c", 10) == 0);
    CHECK(in.run_root.len == 6 && memcmp(in.run_root.ptr, "/run/c", 6) == 0);
    CHECK(in.options.len == 5 && memcmp(in.options.ptr, "o1,o2", 5) == 0);
    CHECK(in.id.len == 64 && memcmp(in.id.ptr, ID64, 64) == 0);
    crioimg_ref_string(&in.ref, s, sizeof s);
    CHECK_STR(s, "quay.io/a/b:1");

    tests_context = "containers-storage bare ID";
    x = "containers-storage:" ID64;
    CHECK(crioimg_image_name_parse(&in, x, strlen(x), NULL, 0, NULL) == CRIOIMG_OK);
    CHECK(!in.has_ref && in.id.len == 64 && in.id_is_prefix);  /* Go accepts it only when the store has it */

    tests_context = "containers-storage ID prefix or name";
    x = "containers-storage:abc";  /* a store decides: an image whose ID starts "abc", else docker.io/library/abc */
    CHECK(crioimg_image_name_parse(&in, x, strlen(x), NULL, 0, NULL) == CRIOIMG_OK);
    CHECK(in.has_ref && in.id_is_prefix && in.id.len == 3);
    crioimg_ref_string(&in.ref, s, sizeof s);
    CHECK_STR(s, "docker.io/library/abc:latest");

    tests_context = "oci fields";
    x = "oci:/tmp/layout:foo/bar:1.0";
    CHECK(crioimg_image_name_parse(&in, x, strlen(x), NULL, 0, NULL) == CRIOIMG_OK);
    CHECK(in.transport == CRIOIMG_TRANSPORT_OCI && !in.has_ref);
    CHECK(in.path.len == 11 && memcmp(in.path.ptr, "/tmp/layout", 11) == 0);
    CHECK(in.oci_ref.len == 11 && memcmp(in.oci_ref.ptr, "foo/bar:1.0", 11) == 0);

    tests_context = "docker-archive index";
    x = "docker-archive:/tmp/x.tar:@+3";
    CHECK(crioimg_image_name_parse(&in, x, strlen(x), NULL, 0, NULL) == CRIOIMG_OK);
    CHECK(in.archive_index == 3);

    tests_context = "error text truncated, never overflowed";
    {
        char small[8];
        x = "nocolon-but-long";
        CHECK(crioimg_image_name_parse(&in, x, strlen(x), small, sizeof small, NULL) == CRIOIMG_ERR_IMAGE_NAME_NO_COLON);
        CHECK_STR(small, "Invalid");
    }
    tests_context = "embedded NUL";
    CHECK(crioimg_image_name_parse(&in, "docker://a\0b", 12, NULL, 0, NULL) == CRIOIMG_ERR_REF_FORMAT);
    {   /* a NUL is no separator of OCI's ref.name (strchr would have said it is); the text keeps it, errlen
           tells its length (Go: "Invalid image a\x00b" with the raw byte) */
        char err[64];
        size_t el = 0;
        CHECK(crioimg_image_name_parse(&in, "oci:/x:a\0b", 10, err, sizeof err, &el) == CRIOIMG_ERR_IMAGE_NAME_INVALID);
        CHECK(el == 17 && memcmp(err, "Invalid image a\0b", 17) == 0);
    }
}

static void test_image_name(void)
{
    test_image_name_table(iname_go_cases, sizeof iname_go_cases / sizeof iname_go_cases[0]);
    test_image_name_table(iname_storage_cases, sizeof iname_storage_cases / sizeof iname_storage_cases[0]);
    test_image_name_fields();
}
