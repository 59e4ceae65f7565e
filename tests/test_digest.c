/* Digests and hashing: the OCI digest grammar row by row, the FIPS 180-4 examples, NIST's SHAVS vectors
   (tests/data/sha2_vectors.txt, from tools/gen_sha_vectors), and every SHA-256 path this CPU and build
   have against the portable one on random inputs of every length 0..10,000, whole and in random pieces. */

#define DG_VECTORS "tests/data/sha2_vectors.txt"  /* tests run from the repository root */

typedef struct dg_row { const char *in; crioimg_result r; crioimg_digest_alg alg; } dg_row;

#define DG_H64 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define DG_H32 "0123456789abcdef0123456789abcdef"
#define DG_H96 DG_H64 DG_H32
#define DG_H128 DG_H64 DG_H64
#define DG_U64 "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"

static const dg_row dg_rows[] = {
    /* the known algorithms */
    { "sha256:" DG_H64,                 CRIOIMG_OK, CRIOIMG_DIGEST_SHA256 },
    { "sha384:" DG_H96,                 CRIOIMG_OK, CRIOIMG_DIGEST_SHA384 },
    { "sha512:" DG_H128,                CRIOIMG_OK, CRIOIMG_DIGEST_SHA512 },
    /* unknown algorithms parse (the image-spec's own examples among them); verifying refuses them */
    { "multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8", CRIOIMG_OK, CRIOIMG_DIGEST_UNKNOWN },
    { "sha256+b64u:LCa0a2j_xo_5m0U8HTBBNBNCLXBkg7-g-YpeiGJm564", CRIOIMG_OK, CRIOIMG_DIGEST_UNKNOWN },
    { "blake3:" DG_H64,                 CRIOIMG_OK, CRIOIMG_DIGEST_UNKNOWN },
    { "md5:ZZ==",                       CRIOIMG_OK, CRIOIMG_DIGEST_UNKNOWN },
    { "a:b",                            CRIOIMG_OK, CRIOIMG_DIGEST_UNKNOWN },
    { "a.b_c-d+e:x=_-Y9",               CRIOIMG_OK, CRIOIMG_DIGEST_UNKNOWN },
    { "sha-256:" DG_U64,                CRIOIMG_OK, CRIOIMG_DIGEST_UNKNOWN },  /* uppercase is fine there */
    { "sha2560:" DG_H64,                CRIOIMG_OK, CRIOIMG_DIGEST_UNKNOWN },
    { "0:0",                            CRIOIMG_OK, CRIOIMG_DIGEST_UNKNOWN },
    /* empty parts */
    { "",                               CRIOIMG_ERR_DIGEST_FORMAT, 0 },
    { ":",                              CRIOIMG_ERR_DIGEST_FORMAT, 0 },
    { "sha256",                         CRIOIMG_ERR_DIGEST_FORMAT, 0 },
    { "sha256:",                        CRIOIMG_ERR_DIGEST_FORMAT, 0 },
    { ":" DG_H64,                       CRIOIMG_ERR_DIGEST_FORMAT, 0 },
    /* uppercase, short, long, not hex */
    { "sha256:" DG_U64,                 CRIOIMG_ERR_DIGEST_FORMAT, 0 },
    { "sha256:E3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", CRIOIMG_ERR_DIGEST_FORMAT, 0 },
    { "SHA256:" DG_H64,                 CRIOIMG_ERR_DIGEST_FORMAT, 0 },
    { "Sha256:" DG_H64,                 CRIOIMG_ERR_DIGEST_FORMAT, 0 },
    { "sha256:abc",                     CRIOIMG_ERR_DIGEST_LENGTH, 0 },
    { "sha256:" DG_H32,                 CRIOIMG_ERR_DIGEST_LENGTH, 0 },
    { "sha256:" DG_H64 "0",             CRIOIMG_ERR_DIGEST_LENGTH, 0 },
    { "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85", CRIOIMG_ERR_DIGEST_LENGTH, 0 },
    { "sha512:" DG_H64,                 CRIOIMG_ERR_DIGEST_LENGTH, 0 },
    { "sha384:" DG_H64,                 CRIOIMG_ERR_DIGEST_LENGTH, 0 },
    { "sha256:g3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", CRIOIMG_ERR_DIGEST_FORMAT, 0 },
    { "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85=", CRIOIMG_ERR_DIGEST_FORMAT, 0 },
    { "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85_", CRIOIMG_ERR_DIGEST_FORMAT, 0 },
    /* path tricks: never a path, even at the right length */
    { "sha256:../../x",                 CRIOIMG_ERR_DIGEST_FORMAT, 0 },
    { "sha256:../../../../../../../../../../../../../../../../../../../../etc", CRIOIMG_ERR_DIGEST_FORMAT, 0 },
    { "sha256:/" DG_H64,                CRIOIMG_ERR_DIGEST_FORMAT, 0 },
    { "../sha256:" DG_H64,              CRIOIMG_ERR_DIGEST_FORMAT, 0 },
    { "sha256/../x:" DG_H64,            CRIOIMG_ERR_DIGEST_FORMAT, 0 },
    { "a:b/c",                          CRIOIMG_ERR_DIGEST_FORMAT, 0 },
    { "a:b.c",                          CRIOIMG_ERR_DIGEST_FORMAT, 0 },
    /* separators in odd places */
    { "+sha256:abc",                    CRIOIMG_ERR_DIGEST_FORMAT, 0 },
    { "sha256+:abc",                    CRIOIMG_ERR_DIGEST_FORMAT, 0 },
    { "sha256-:abc",                    CRIOIMG_ERR_DIGEST_FORMAT, 0 },
    { ".sha256:abc",                    CRIOIMG_ERR_DIGEST_FORMAT, 0 },
    { "sha__256:abc",                   CRIOIMG_ERR_DIGEST_FORMAT, 0 },
    { "sha+-256:abc",                   CRIOIMG_ERR_DIGEST_FORMAT, 0 },
    { "a..b:x",                         CRIOIMG_ERR_DIGEST_FORMAT, 0 },
    { "_:x",                            CRIOIMG_ERR_DIGEST_FORMAT, 0 },
    /* other bytes */
    { "sha256:" DG_H64 ":x",            CRIOIMG_ERR_DIGEST_FORMAT, 0 },
    { "sha256::" DG_H64,                CRIOIMG_ERR_DIGEST_FORMAT, 0 },
    { "sha256 :" DG_H64,                CRIOIMG_ERR_DIGEST_FORMAT, 0 },
    { "sha256:" DG_H64 "\n",            CRIOIMG_ERR_DIGEST_FORMAT, 0 },
    { " sha256:" DG_H64,                CRIOIMG_ERR_DIGEST_FORMAT, 0 },
    { "sha@256:abc",                    CRIOIMG_ERR_DIGEST_FORMAT, 0 },
    { "a:b c",                          CRIOIMG_ERR_DIGEST_FORMAT, 0 },
    { "a:b+c",                          CRIOIMG_ERR_DIGEST_FORMAT, 0 },
    { "a:\xc3\xa9",                     CRIOIMG_ERR_DIGEST_FORMAT, 0 },
    { "\xc3\xa9:a",                     CRIOIMG_ERR_DIGEST_FORMAT, 0 },
};

static void dg_test_parse(void)
{
    size_t i;
    crioimg_digest d;
    for (i = 0; i < sizeof dg_rows / sizeof dg_rows[0]; i++) {
        const dg_row *row = &dg_rows[i];
        size_t n = strlen(row->in);
        crioimg_result r, v;
        tests_context = row->in;
        r = crioimg_digest_parse(&d, row->in, n);
        if (!test_check(r == row->r, __FILE__, __LINE__, "result")) {
            fprintf(stderr, "  got %s, want %s\n", crioimg_result_name(r), crioimg_result_name(row->r));
            continue;
        }
        if (r == CRIOIMG_OK) {
            const char *colon = strchr(row->in, ':');
            CHECK(d.alg == row->alg);
            CHECK(d.algorithm.ptr == row->in && d.algorithm.len == (size_t)(colon - row->in));
            CHECK(d.encoded.ptr == colon + 1 && d.encoded.len == n - d.algorithm.len - 1);
        } else {
            CHECK(d.alg == 0 && d.algorithm.ptr == NULL && d.encoded.ptr == NULL && d.encoded.len == 0);
        }
        /* go-digest's check (crioimg_digest_validate) accepts exactly the known digests this accepts */
        v = crioimg_digest_validate(row->in, n);
        CHECK((r == CRIOIMG_OK && row->alg != CRIOIMG_DIGEST_UNKNOWN) == (v == CRIOIMG_OK));
        CHECK((r == CRIOIMG_OK && row->alg == CRIOIMG_DIGEST_UNKNOWN) == (v == CRIOIMG_ERR_DIGEST_UNSUPPORTED));
    }

    tests_context = "parse: lengths and NUL";
    CHECK(crioimg_digest_parse(&d, "sha256:" DG_H64, 70) == CRIOIMG_ERR_DIGEST_LENGTH);   /* n, not strlen */
    CHECK(crioimg_digest_parse(&d, "a:b\0c", 5) == CRIOIMG_ERR_DIGEST_FORMAT);
    CHECK(crioimg_digest_parse(&d, "a\0:b", 4) == CRIOIMG_ERR_DIGEST_FORMAT);
    CHECK(crioimg_digest_parse(&d, NULL, 0) == CRIOIMG_ERR_DIGEST_FORMAT);
    CHECK(crioimg_digest_parse(&d, NULL, 3) == CRIOIMG_ERR_INVALID_ARGS);
    CHECK(crioimg_digest_parse(NULL, "a:b", 3) == CRIOIMG_ERR_INVALID_ARGS);

    tests_context = "algorithms";
    CHECK_STR(crioimg_digest_alg_name(CRIOIMG_DIGEST_SHA384), "sha384");
    CHECK_STR(crioimg_digest_alg_name(CRIOIMG_DIGEST_UNKNOWN), "");
    CHECK(crioimg_digest_alg_size(CRIOIMG_DIGEST_SHA256) == 32 && crioimg_digest_alg_size(CRIOIMG_DIGEST_SHA512) == 64);
    CHECK(crioimg_digest_alg_size(CRIOIMG_DIGEST_UNKNOWN) == 0);
    CHECK(crioimg_digest_alg_from_name("sha512", 6) == CRIOIMG_DIGEST_SHA512);
    CHECK(crioimg_digest_alg_from_name("sha51", 5) == CRIOIMG_DIGEST_UNKNOWN);
    CHECK(crioimg_digest_alg_from_name("SHA256", 6) == CRIOIMG_DIGEST_UNKNOWN);
}

/* The message for result r on input in. */
static const char *dg_msg(crioimg_result r, const char *in, size_t n)
{
    static char buf[512];
    size_t l = crioimg_digest_error_message(r, in, n, buf, sizeof buf);
    CHECK(l == strlen(buf));
    return buf;
}

static void dg_test_messages(void)
{
    static const struct { const char *in; const char *msg; } rows[] = {
        { "sha256:../../x", "invalid checksum digest format: \"sha256:../../x\": '.' at offset 7 is not allowed in the encoded part (only [a-zA-Z0-9=_-])" },
        { "sha256:abc", "invalid checksum digest length: \"sha256:abc\": sha256 needs 64 hex digits, not 3" },
        { "sha256:" DG_U64, "invalid checksum digest format: \"sha256:" DG_U64 "\": 'E' at offset 7 is uppercase: the hex must be lowercase" },
        { "SHA256:" DG_H64, "invalid checksum digest format: \"SHA256:" DG_H64 "\": 'S' at offset 0 is uppercase: algorithms are lowercase" },
        { "sha256:" DG_H64 "0", "invalid checksum digest length: \"sha256:" DG_H64 "0\": sha256 needs 64 hex digits, not 65" },
        { "sha256:g3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
          "invalid checksum digest format: \"sha256:g3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\": 'g' at offset 7 is not a hex digit" },
        { "sha256", "invalid checksum digest format: \"sha256\": no ':' between algorithm and encoded part" },
        { "", "invalid checksum digest format: \"\": the digest is empty" },
        { ":x", "invalid checksum digest format: \":x\": the algorithm is empty" },
        { "sha256:", "invalid checksum digest format: \"sha256:\": the encoded part is empty" },
        { "sha+:x", "invalid checksum digest format: \"sha+:x\": '+' at offset 3 is a separator that does not stand between two algorithm components" },
        { "sh a:x", "invalid checksum digest format: \"sh a:x\": byte 0x20 at offset 2 is not allowed in the algorithm ([a-z0-9] components joined by one of +._-)" },
        { "a:b\n", "invalid checksum digest format: \"a:b\\n\": byte 0x0a at offset 3 is not allowed in the encoded part (only [a-zA-Z0-9=_-])" },
        { "a:b'", "invalid checksum digest format: \"a:b'\": byte 0x27 at offset 3 is not allowed in the encoded part (only [a-zA-Z0-9=_-])" },
    };
    size_t i;
    char small[8], big[300];
    tests_context = "error messages";
    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        crioimg_digest d;
        crioimg_result r = crioimg_digest_parse(&d, rows[i].in, strlen(rows[i].in));
        tests_context = rows[i].in;
        CHECK(r != CRIOIMG_OK);
        CHECK_STR(dg_msg(r, rows[i].in, strlen(rows[i].in)), rows[i].msg);
    }
    tests_context = "error messages: unsupported, long input, truncation";
    CHECK_STR(dg_msg(CRIOIMG_ERR_DIGEST_UNSUPPORTED, "md5:abc", 7),
              "unsupported digest algorithm: \"md5:abc\": crioimg verifies sha256, sha384 and sha512");
    CHECK_STR(dg_msg(CRIOIMG_ERR_DIGEST_MISMATCH, "sha256:" DG_H64, 71),
              "content does not match its digest: \"sha256:" DG_H64 "\"");
    memset(big, 'a', sizeof big);
    big[0] = ':';
    CHECK_STR(dg_msg(CRIOIMG_ERR_DIGEST_FORMAT, big, sizeof big),
              "invalid checksum digest format: \":aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...\": the algorithm is empty");
    CHECK(crioimg_digest_error_message(CRIOIMG_ERR_DIGEST_FORMAT, "", 0, small, sizeof small) > sizeof small);
    CHECK_STR(small, "invalid");
    CHECK(crioimg_digest_error_message(CRIOIMG_ERR_DIGEST_FORMAT, NULL, 0, NULL, 0) == strlen(dg_msg(CRIOIMG_ERR_DIGEST_FORMAT, "", 0)));
}

/* ---- hashing helpers ---- */

static void dg_hex(const unsigned char *b, size_t n, char *out)
{
    static const char hex[] = "0123456789abcdef";
    size_t i;
    for (i = 0; i < n; i++) { out[2 * i] = hex[b[i] >> 4]; out[2 * i + 1] = hex[b[i] & 15]; }
    out[2 * n] = '\0';
}

static int dg_unhex(const char *s, size_t n, unsigned char *out)
{
    size_t i;
    if (n % 2) return 0;
    for (i = 0; i < n; i += 2) {
        int hi = s[i] <= '9' ? s[i] - '0' : (s[i] | 32) - 'a' + 10, lo = s[i + 1] <= '9' ? s[i + 1] - '0' : (s[i + 1] | 32) - 'a' + 10;
        if (hi < 0 || hi > 15 || lo < 0 || lo > 15) return 0;
        out[i / 2] = (unsigned char)(hi << 4 | lo);
    }
    return 1;
}

/* The SHA-256 paths this CPU and build have, portable first; their count. */
static size_t dg_paths(crioimg_sha256_impl *out)
{
    size_t n = 0;
    int i;
    for (i = CRIOIMG_SHA256_PORTABLE; i < CRIOIMG_SHA256_IMPL_COUNT; i++)
        if (crioimg_sha256_impl_available((crioimg_sha256_impl)i)) out[n++] = (crioimg_sha256_impl)i;
    return n;
}

/* One context per path, initialised once and reset for every hash: asking the CPU each time would cost
   seconds here (CPUID traps in a virtual machine). */
static crioimg_sha256_ctx dg_ctx[CRIOIMG_SHA256_IMPL_COUNT];

static void dg_sha256_on(crioimg_sha256_impl impl, const void *p, size_t n, unsigned char out[32])
{
    crioimg_sha256_ctx *c = &dg_ctx[impl];
    if (c->impl != (unsigned)impl) CHECK(crioimg_sha256_init_impl(c, impl) == CRIOIMG_OK && c->impl == (unsigned)impl);
    else crioimg_sha256_reset(c);
    crioimg_sha256_update(c, p, n);
    crioimg_sha256_final(c, out);
}

/* Hashes p[0, n) with alg (and SHA-256 path impl) in one call; the hex into out. */
static void dg_hash_hex(crioimg_digest_alg alg, crioimg_sha256_impl impl, const void *p, size_t n, char *out)
{
    unsigned char b[64];
    if (alg == CRIOIMG_DIGEST_SHA256) dg_sha256_on(impl, p, n, b);
    else if (alg == CRIOIMG_DIGEST_SHA384) crioimg_sha384(p, n, b);
    else crioimg_sha512(p, n, b);
    dg_hex(b, crioimg_digest_alg_size(alg), out);
}

static void dg_test_fips(void)
{
    static const struct { const char *msg; unsigned long repeat; const char *sha256, *sha384, *sha512; } ex[] = {
        { "abc", 1,
          "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
          "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7",
          "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f" },
        { "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 1,   /* 448 bits */
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
          "3391fdddfc8dc7393707a65b1b4709397cf8b1d162af05abfe8f450de5f36bc6b0455a8520bc4e6f5fe95b1fe3c8452b",
          "204a8fc6dda82f0a0ced7beb8e08a41657c16ef468b228a8279be331a703c33596fd15c13b1b07f9aa1d3bea57789ca031ad85c7a71dd70354ec631238ca3445" },
        { "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu", 1,  /* 896 bits */
          "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1",
          "09330c33f71147e83d192fc782cd1b4753111b173b3b05d22fa08086e3b0f712fcc7c71a557e2db966c3e9fa91746039",
          "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909" },
        { "a", 1000000,
          "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
          "9d0e1809716474cb086e834e310a4a1ced149e9c00f248527972cec5704c2a5b07b8b3dc38ecc4ebae97ddd87f3d8985",
          "e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973ebde0ff244877ea60a4cb0432ce577c31beb009c5c2c49aa2e4eadb217ad8cc09b" },
        { "", 1,
          "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
          "38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da274edebfe76f65fbd51ad2f14898b95b",
          "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e" },
    };
    crioimg_sha256_impl paths[CRIOIMG_SHA256_IMPL_COUNT];
    size_t np = dg_paths(paths), i, j;
    char hex[129];
    for (i = 0; i < sizeof ex / sizeof ex[0]; i++) {
        size_t n = strlen(ex[i].msg) * ex[i].repeat;
        char *m = (char *)malloc(n + 1);
        if (!CHECK(m != NULL)) return;
        if (ex[i].repeat > 1) memset(m, ex[i].msg[0], n); else memcpy(m, ex[i].msg, n);
        tests_context = ex[i].repeat > 1 ? "FIPS 180-4: one million 'a'" : ex[i].msg;
        for (j = 0; j < np; j++) {
            dg_hash_hex(CRIOIMG_DIGEST_SHA256, paths[j], m, n, hex);
            CHECK_STR(hex, ex[i].sha256);
        }
        dg_hash_hex(CRIOIMG_DIGEST_SHA384, CRIOIMG_SHA256_AUTO, m, n, hex);
        CHECK_STR(hex, ex[i].sha384);
        dg_hash_hex(CRIOIMG_DIGEST_SHA512, CRIOIMG_SHA256_AUTO, m, n, hex);
        CHECK_STR(hex, ex[i].sha512);
        free(m);
    }
}

/* One Monte Carlo checkpoint (SHAVS 6.4): MD0 = MD1 = MD2 = seed, MDi = H(MDi-3 || MDi-2 || MDi-1) for
   i = 3 .. 1002; the result is MD1002. */
static void dg_monte(crioimg_digest_alg alg, crioimg_sha256_impl impl, const unsigned char *seed, unsigned char *out)
{
    size_t sz = crioimg_digest_alg_size(alg), i;
    unsigned char md[3][64], m[192];
    for (i = 0; i < 3; i++) memcpy(md[i], seed, sz);
    for (i = 3; i < 1003; i++) {
        memcpy(m, md[0], sz); memcpy(m + sz, md[1], sz); memcpy(m + 2 * sz, md[2], sz);
        memmove(md[0], md[1], sz); memmove(md[1], md[2], sz);
        if (alg == CRIOIMG_DIGEST_SHA256) dg_sha256_on(impl, m, 3 * sz, md[2]);
        else if (alg == CRIOIMG_DIGEST_SHA384) crioimg_sha384(m, 3 * sz, md[2]);
        else crioimg_sha512(m, 3 * sz, md[2]);
    }
    memcpy(out, md[2], sz);
}

/* Reads the whole vector file; NULL (and a failed check) when it is missing. */
static char *dg_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *p = NULL;
    long n;
    if (f && fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0 && (p = (char *)malloc((size_t)n + 1)) != NULL) {
        *len = fread(p, 1, (size_t)n, f);
        p[*len] = '\0';
    }
    if (f) fclose(f);
    return p;
}

static void dg_test_nist(void)
{
    crioimg_sha256_impl paths[CRIOIMG_SHA256_IMPL_COUNT];
    size_t np = dg_paths(paths), len = 0, j, counts[2] = {0, 0};
    char *text = dg_read_file(DG_VECTORS, &len), *line, *next;
    unsigned char *msg = (unsigned char *)malloc(16384), seed[64], md[64], got[64];
    tests_context = DG_VECTORS;
    if (!CHECK(text != NULL && msg != NULL)) { free(text); free(msg); return; }
    for (line = text; *line; line = next) {
        char alg_s[32], *f1, *f2, *f3, *end;
        crioimg_digest_alg alg;
        int monte;
        size_t mlen;
        next = strchr(line, '\n');
        if (next) *next++ = '\0'; else next = line + strlen(line);
        if (line[0] == '#' || line[0] == '\0') continue;
        f1 = line; f2 = strchr(f1, ' '); f3 = f2 ? strchr(f2 + 1, ' ') : NULL;
        if (!CHECK(f3 != NULL && (size_t)(f2 - f1) < sizeof alg_s)) break;
        memcpy(alg_s, f1, (size_t)(f2 - f1)); alg_s[f2 - f1] = '\0';
        f2++; *f3++ = '\0';
        monte = (end = strstr(alg_s, "-monte")) != NULL;
        if (monte) *end = '\0';
        alg = crioimg_digest_alg_from_name(alg_s, strlen(alg_s));
        tests_context = line;
        mlen = strcmp(f2, "-") == 0 ? 0 : strlen(f2) / 2;
        if (!CHECK(alg != CRIOIMG_DIGEST_UNKNOWN && mlen <= 16384 && strlen(f3) == 2 * crioimg_digest_alg_size(alg) &&
                   dg_unhex(f3, strlen(f3), md) && (mlen == 0 || dg_unhex(f2, strlen(f2), monte ? seed : msg)))) break;
        counts[monte]++;
        if (alg == CRIOIMG_DIGEST_SHA256) {
            for (j = 0; j < np; j++) {
                if (monte) dg_monte(alg, paths[j], seed, got); else dg_sha256_on(paths[j], msg, mlen, got);
                if (!CHECK(memcmp(got, md, 32) == 0)) fprintf(stderr, "  path %s\n", crioimg_sha256_impl_name(paths[j]));
            }
        } else if (monte) {
            dg_monte(alg, CRIOIMG_SHA256_AUTO, seed, got);
            CHECK(memcmp(got, md, crioimg_digest_alg_size(alg)) == 0);
        } else {  /* through the generic hasher, as "alg:hex" */
            crioimg_hasher h;
            char want[CRIOIMG_DIGEST_STRING_MAX + 1], s[CRIOIMG_DIGEST_STRING_MAX + 1];
            CHECK(crioimg_hasher_init(&h, alg) == CRIOIMG_OK);
            crioimg_hasher_update(&h, msg, mlen);
            crioimg_hasher_final_string(&h, s, sizeof s);
            snprintf(want, sizeof want, "%s:%s", alg_s, f3);
            CHECK_STR(s, want);
        }
    }
    tests_context = "NIST vectors: counts";
    CHECK(counts[0] == 515 && counts[1] == 300);  /* ShortMsg + LongMsg; Monte checkpoints */
    free(text);
    free(msg);
}

/* xorshift64*: reproducible random bytes */
static uint64_t dg_rand(uint64_t *s)
{
    *s ^= *s >> 12; *s ^= *s << 25; *s ^= *s >> 27;
    return *s * 2685821657736338717ULL;
}

/* Feeds p[0, n) to c in random pieces: mostly short (across block edges), sometimes empty or long. */
static void dg_update_split(crioimg_hasher *h, const unsigned char *p, size_t n, uint64_t *rs)
{
    while (n > 0) {
        uint64_t r = dg_rand(rs);
        size_t k = (r & 7) == 0 ? 0 : (r & 7) == 1 ? (size_t)(r >> 8) % 4096 : (size_t)(r >> 8) % 150;
        if (k > n) k = n;
        crioimg_hasher_update(h, p, k);
        p += k;
        n -= k;
    }
}

static void dg_test_paths(void)
{
    enum { MAX = 10000 };
    crioimg_sha256_impl paths[CRIOIMG_SHA256_IMPL_COUNT];
    size_t np = dg_paths(paths), len, j;
    unsigned char *buf = (unsigned char *)malloc(MAX + 16), ref[64], got[64];
    unsigned long bad_whole[CRIOIMG_SHA256_IMPL_COUNT] = {0}, bad_split[CRIOIMG_SHA256_IMPL_COUNT] = {0}, bad512 = 0, bad384 = 0;
    uint64_t rs = 0x9e3779b97f4a7c15ULL;
    char names[128] = "";
    if (!CHECK(buf != NULL)) return;
    for (j = 0; j < MAX + 16; j++) buf[j] = (unsigned char)(dg_rand(&rs) >> 56);
    for (len = 0; len <= MAX; len++) {
        const unsigned char *p = buf + len % 16;  /* every alignment */
        crioimg_hasher h;
        dg_sha256_on(CRIOIMG_SHA256_PORTABLE, p, len, ref);
        for (j = 0; j < np; j++) {
            if (j > 0) {
                dg_sha256_on(paths[j], p, len, got);
                bad_whole[j] += memcmp(got, ref, 32) != 0;
            }
            h.alg = CRIOIMG_DIGEST_SHA256;   /* the hasher on this path */
            h.u.sha256 = dg_ctx[paths[j]];
            crioimg_hasher_reset(&h);
            dg_update_split(&h, p, len, &rs);
            crioimg_hasher_final(&h, got);
            bad_split[j] += memcmp(got, ref, 32) != 0;
        }
        crioimg_sha512(p, len, ref);
        crioimg_hasher_init(&h, CRIOIMG_DIGEST_SHA512);
        dg_update_split(&h, p, len, &rs);
        crioimg_hasher_final(&h, got);
        bad512 += memcmp(got, ref, 64) != 0;
        crioimg_sha384(p, len, ref);
        crioimg_hasher_init(&h, CRIOIMG_DIGEST_SHA384);
        dg_update_split(&h, p, len, &rs);
        crioimg_hasher_final(&h, got);
        bad384 += memcmp(got, ref, 48) != 0;
    }
    for (j = 0; j < np; j++) {
        tests_context = crioimg_sha256_impl_name(paths[j]);
        CHECK(bad_whole[j] == 0);   /* the same hash as portable for every length 0..10000 */
        CHECK(bad_split[j] == 0);   /* and fed in random pieces */
        strcat(names, " ");
        strcat(names, crioimg_sha256_impl_name(paths[j]));
    }
    tests_context = "sha512/sha384 split updates";
    CHECK(bad512 == 0 && bad384 == 0);
    {
        crioimg_sha256_ctx c;
        crioimg_sha256_init(&c);
        printf("digest: SHA-256 paths checked:%s (auto picks %s)\n", names, crioimg_sha256_impl_name((crioimg_sha256_impl)c.impl));
    }
    free(buf);
}

static void dg_test_api(void)
{
    static const char abc256[] = "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    crioimg_digest d;
    crioimg_hasher h;
    crioimg_sha256_ctx c, fork;
    unsigned char a[32], b[32];
    char s[CRIOIMG_DIGEST_STRING_MAX + 1];
    int i, avail = 0;

    tests_context = "paths: forcing, availability";
    CHECK(crioimg_sha256_impl_available(CRIOIMG_SHA256_PORTABLE) && crioimg_sha256_impl_available(CRIOIMG_SHA256_AUTO));
    CHECK(!crioimg_sha256_impl_available((crioimg_sha256_impl)99));
    CHECK(crioimg_sha256_init_impl(&c, (crioimg_sha256_impl)99) == CRIOIMG_ERR_UNSUPPORTED && c.impl == CRIOIMG_SHA256_PORTABLE);
    for (i = CRIOIMG_SHA256_PORTABLE; i < CRIOIMG_SHA256_IMPL_COUNT; i++) {
        int ok = crioimg_sha256_impl_available((crioimg_sha256_impl)i);
        avail += ok;
        CHECK(crioimg_sha256_init_impl(&c, (crioimg_sha256_impl)i) == (ok ? CRIOIMG_OK : CRIOIMG_ERR_UNSUPPORTED));
        crioimg_sha256_update(&c, "abc", 3);   /* an unavailable path falls back to portable: still right */
        crioimg_sha256_final(&c, a);
        dg_hex(a, 32, s);
        CHECK_STR(s, abc256 + 7);
        CHECK(strlen(crioimg_sha256_impl_name((crioimg_sha256_impl)i)) > 0);
    }
    CHECK(avail >= 1);
    CHECK(crioimg_sha256_init_impl(&c, CRIOIMG_SHA256_AUTO) == CRIOIMG_OK && c.impl != CRIOIMG_SHA256_AUTO);
    CHECK_STR(crioimg_sha256_impl_name((crioimg_sha256_impl)99), "");
#if defined(__x86_64__) && !defined(CRIOIMG_NO_SIMD) && (defined(__GNUC__) || defined(__clang__))
    CHECK(!crioimg_sha256_impl_available(CRIOIMG_SHA256_ARMV8));
#endif
#ifdef CRIOIMG_NO_SIMD
    CHECK(!crioimg_sha256_impl_available(CRIOIMG_SHA256_X86_SHANI) && !crioimg_sha256_impl_available(CRIOIMG_SHA256_ARMV8));
#endif
#ifdef CRIOIMG_WITH_MBEDTLS
    CHECK(crioimg_sha256_impl_available(CRIOIMG_SHA256_MBEDTLS));
#else
    CHECK(!crioimg_sha256_impl_available(CRIOIMG_SHA256_MBEDTLS));
#endif

    tests_context = "a context copied mid-stream hashes on alike";
    crioimg_sha256_init(&c);
    crioimg_sha256_update(&c, "ab", 2);
    fork = c;
    crioimg_sha256_update(&c, "c", 1);
    crioimg_sha256_update(&fork, "c", 1);
    crioimg_sha256_final(&c, a);
    crioimg_sha256_final(&fork, b);
    CHECK(memcmp(a, b, 32) == 0);
    crioimg_sha256("abc", 3, b);
    CHECK(memcmp(a, b, 32) == 0);
    crioimg_sha256(NULL, 0, a);
    dg_hex(a, 32, s);
    CHECK_STR(s, DG_H64);

    tests_context = "reset: the same path, a fresh hash";
    crioimg_sha256_init_impl(&c, CRIOIMG_SHA256_PORTABLE);
    crioimg_sha256_update(&c, "xyz", 3);
    crioimg_sha256_reset(&c);
    CHECK(c.impl == CRIOIMG_SHA256_PORTABLE);
    crioimg_sha256_update(&c, "abc", 3);
    crioimg_sha256_final(&c, a);
    CHECK(c.impl == CRIOIMG_SHA256_PORTABLE);   /* final keeps the path */
    crioimg_sha256_reset(&c);
    crioimg_sha256_update(&c, "abc", 3);
    crioimg_sha256_final(&c, b);
    CHECK(memcmp(a, b, 32) == 0);
    memset(&c, 0, sizeof c);
    crioimg_sha256_reset(&c);   /* zeroed: initialised on the best path */
    CHECK(c.impl != CRIOIMG_SHA256_AUTO);
    crioimg_sha256_update(&c, "abc", 3);
    crioimg_sha256_final(&c, b);
    CHECK(memcmp(a, b, 32) == 0);
    CHECK(crioimg_hasher_init(&h, CRIOIMG_DIGEST_SHA384) == CRIOIMG_OK);
    crioimg_hasher_update(&h, "x", 1);
    crioimg_hasher_reset(&h);
    CHECK(crioimg_hasher_final_string(&h, s, sizeof s) == 103);
    CHECK_STR(s, "sha384:38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da274edebfe76f65fbd51ad2f14898b95b");

    tests_context = "hasher: final_string, verify";
    CHECK(crioimg_hasher_init(&h, CRIOIMG_DIGEST_SHA256) == CRIOIMG_OK);
    crioimg_hasher_update(&h, "abc", 3);
    CHECK(crioimg_hasher_final_string(&h, s, sizeof s) == 71);
    CHECK_STR(s, abc256);
    CHECK(crioimg_hasher_init(&h, CRIOIMG_DIGEST_SHA256) == CRIOIMG_OK);
    CHECK(crioimg_hasher_final_string(&h, s, 8) == 71);   /* truncated as snprintf */
    CHECK_STR(s, "sha256:");
    CHECK(crioimg_digest_parse(&d, abc256, sizeof abc256 - 1) == CRIOIMG_OK);
    CHECK(crioimg_digest_verify(&d, "abc", 3) == CRIOIMG_OK);
    CHECK(crioimg_digest_verify(&d, "abd", 3) == CRIOIMG_ERR_DIGEST_MISMATCH);
    CHECK(crioimg_digest_verify(&d, "", 0) == CRIOIMG_ERR_DIGEST_MISMATCH);
    CHECK(crioimg_hasher_init(&h, CRIOIMG_DIGEST_SHA256) == CRIOIMG_OK);
    crioimg_hasher_update(&h, "a", 1);
    crioimg_hasher_update(&h, "bc", 2);
    CHECK(crioimg_hasher_verify(&h, &d) == CRIOIMG_OK);
    CHECK(crioimg_hasher_init(&h, CRIOIMG_DIGEST_SHA512) == CRIOIMG_OK);
    CHECK(crioimg_hasher_verify(&h, &d) == CRIOIMG_ERR_DIGEST_UNSUPPORTED);   /* not the hasher's algorithm */
    CHECK(crioimg_digest_parse(&d, "sha512:" DG_H128, 135) == CRIOIMG_OK);
    CHECK(crioimg_digest_verify(&d, "abc", 3) == CRIOIMG_ERR_DIGEST_MISMATCH);
    CHECK(crioimg_digest_parse(&d, "sha384:38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da274edebfe76f65fbd51ad2f14898b95b", 103) == CRIOIMG_OK);
    CHECK(crioimg_digest_verify(&d, "", 0) == CRIOIMG_OK);

    tests_context = "an unknown algorithm parses but never verifies";
    CHECK(crioimg_digest_parse(&d, "blake3:" DG_H64, 71) == CRIOIMG_OK && d.alg == CRIOIMG_DIGEST_UNKNOWN);
    CHECK(crioimg_digest_verify(&d, "", 0) == CRIOIMG_ERR_DIGEST_UNSUPPORTED);
    CHECK(crioimg_hasher_init(&h, d.alg) == CRIOIMG_ERR_DIGEST_UNSUPPORTED);
    CHECK(crioimg_hasher_init(&h, (crioimg_digest_alg)42) == CRIOIMG_ERR_DIGEST_UNSUPPORTED);
    CHECK(crioimg_hasher_init(NULL, CRIOIMG_DIGEST_SHA256) == CRIOIMG_ERR_INVALID_ARGS);
    CHECK(crioimg_digest_verify(NULL, "", 0) == CRIOIMG_ERR_INVALID_ARGS);

    tests_context = "hashing allocates nothing";
    {
        size_t before = t_allocs;
        crioimg_sha256("abc", 3, a);
        CHECK(crioimg_digest_parse(&d, abc256, 71) == CRIOIMG_OK && crioimg_digest_verify(&d, "abc", 3) == CRIOIMG_OK);
        CHECK(t_allocs == before);
    }
}

static void test_digest(void)
{
    dg_test_parse();
    dg_test_messages();
    dg_test_api();
    dg_test_fips();
    dg_test_nist();
    dg_test_paths();
}
