/* Inflate: every vector of tests/data/inflate_vectors.h (from tools/gen_inflate_vectors: zlib's streams
   and hand-written ones for every length/distance code, bad codes, bad distances, gzip header flags)
   decoded whole, a byte at a time (input and output), and in random pieces, with the same output or the
   same error each way; then the gzip framing (CRC-32, ISIZE, multi-member, trailing bytes), truncation at
   every offset, the output limit, raw streams that stop where they end, and that nothing allocates after
   creation. tests/inflate.sh compares big real files with gzip -dc. */
#include "data/inflate_vectors.h"

#define INF_OUTCAP ((size_t)1 << 21)
static unsigned char inf_out[INF_OUTCAP];

enum { INF_WHOLE, INF_BYTES, INF_RANDOM, INF_MODES };
static const char *const inf_mode_names[] = { "whole", "byte by byte", "random pieces" };

typedef struct inf_result {
    crioimg_result r;
    size_t out_len, in_used;   /* output, and input consumed */
    unsigned long long total_out;
    int stalled;               /* a call with room on both sides that did nothing */
    char msg[200];
} inf_result;

static unsigned inf_rng = 1;
static unsigned inf_rand(void) { inf_rng = inf_rng * 1103515245u + 12345u; return inf_rng >> 8; }

/* Decodes in[0, n) into inf_out, fed as mode says; stops at the first error, at the end of the input
   (then finish), or when a raw stream has ended. */
static inf_result inf_decode(const unsigned char *in, size_t n, int raw, unsigned long long max_output, int mode)
{
    inf_result res;
    crioimg_inflate *z;
    crioimg_inflate_opts o;
    size_t pos = 0, idle = 0;
    memset(&res, 0, sizeof res);
    memset(&o, 0, sizeof o);
    o.format = raw ? CRIOIMG_INFLATE_RAW : CRIOIMG_INFLATE_GZIP;
    o.max_output = max_output;
    if ((res.r = crioimg_inflate_new(&z, &o)) != CRIOIMG_OK) return res;
    for (;;) {
        size_t inn = n - pos, outn = INF_OUTCAP - res.out_len, used, got;
        int fin;
        if (mode == INF_BYTES) { if (inn > 1) inn = 1; if (outn > 1) outn = 1; }
        if (mode == INF_RANDOM) {
            size_t a = inf_rand() % 4 == 0 ? inf_rand() % 4 : inf_rand() % 3000, b = 1 + inf_rand() % (inf_rand() % 2 ? 10 : 70000);
            if (inn > a) inn = a;
            if (outn > b) outn = b;
        }
        res.r = crioimg_inflate_run(z, in ? in + pos : NULL, inn, &used, inf_out + res.out_len, outn, &got, &fin);
        pos += used;
        res.out_len += got;
        if (res.r != CRIOIMG_OK) break;
        if (used == 0 && got == 0 && inn > 0 && outn > 0 && !(raw && fin)) res.stalled = 1;
        if ((raw && fin) || (pos == n && got < outn)) { res.r = crioimg_inflate_finish(z); break; }
        if (used == 0 && got == 0 && ++idle > 8) { res.stalled = 1; break; }
        if (used || got) idle = 0;
    }
    res.in_used = pos;
    res.total_out = crioimg_inflate_total_out(z);
    snprintf(res.msg, sizeof res.msg, "%s", crioimg_inflate_error(z));
    crioimg_inflate_free(z);
    return res;
}

static void test_inflate_vectors(void)
{
    size_t i;
    int mode;
    for (i = 0; i < sizeof inf_vectors / sizeof inf_vectors[0]; i++) {
        const inf_vector *v = &inf_vectors[i];
        for (mode = 0; mode < INF_MODES; mode++) {
            inf_result res;
            char ctx[200];
            if (mode == INF_BYTES && v->out_len > 200000) continue;  /* the bomb: whole and random only */
            snprintf(ctx, sizeof ctx, "%s, %s", v->name, inf_mode_names[mode]);
            tests_context = ctx;
            res = inf_decode(v->data, v->size, v->raw, 0, mode);
            CHECK(!res.stalled);
            if (!CHECK(res.r == v->result)) fprintf(stderr, "  got %s: %s\n", crioimg_result_name(res.r), res.msg);
            if (v->result == CRIOIMG_OK) {
                CHECK(res.out_len == v->out_len && res.total_out == v->out_len);
                CHECK(crioimg_crc32(0, inf_out, res.out_len) == v->crc);
                CHECK(res.in_used == v->size);
                CHECK(res.msg[0] == '\0');
            } else {
                CHECK(strstr(res.msg, " at input offset ") != NULL);
            }
        }
    }
    tests_context = "";
}

static const inf_vector *inf_find(const char *name)
{
    size_t i;
    for (i = 0; i < sizeof inf_vectors / sizeof inf_vectors[0]; i++)
        if (strcmp(inf_vectors[i].name, name) == 0) return &inf_vectors[i];
    fprintf(stderr, "no inflate vector %s\n", name);
    return &inf_vectors[0];
}

/* A vector changed: bytes replaced at `at` (negative: from the end), or appended. */
static unsigned char inf_buf[1 << 16];
static size_t inf_edit(const inf_vector *v, long at, const char *bytes, size_t n, int append)
{
    size_t len = v->size;
    memcpy(inf_buf, v->data, len);
    if (append) { memcpy(inf_buf + len, bytes, n); return len + n; }
    memcpy(inf_buf + (at < 0 ? (long)len + at : at), bytes, n);
    return len;
}

static void test_inflate_framing(void)
{
    const inf_vector *one = inf_find("FEXTRA FNAME FCOMMENT FHCRC"), *raw = inf_find("one distance code");
    inf_result res;
    size_t n;
    int mode;
    /* trailer: CRC-32, ISIZE */
    n = inf_edit(one, -8, "\x55", 1, 0);
    res = inf_decode(inf_buf, n, 0, 0, INF_WHOLE);
    CHECK(res.r == CRIOIMG_ERR_INFLATE_CHECK);
    CHECK_STR(res.msg, "gzip CRC-32 mismatch at input offset 343");
    n = inf_edit(one, -4, "\x01", 1, 0);
    res = inf_decode(inf_buf, n, 0, 0, INF_BYTES);
    CHECK(res.r == CRIOIMG_ERR_INFLATE_CHECK);
    CHECK_STR(res.msg, "gzip ISIZE (length) mismatch at input offset 347");
    /* after the last member: zero bytes are fine, anything else is not, a lone magic byte is truncated */
    for (mode = 0; mode < INF_MODES; mode++) {
        tests_context = inf_mode_names[mode];
        n = inf_edit(one, 0, "\0\0\0\0\0", 5, 1);
        res = inf_decode(inf_buf, n, 0, 0, mode);
        CHECK(res.r == CRIOIMG_OK && res.out_len == one->out_len && res.in_used == n);
        n = inf_edit(one, 0, "\0\0x", 3, 1);
        res = inf_decode(inf_buf, n, 0, 0, mode);
        CHECK(res.r == CRIOIMG_ERR_INFLATE_TRAILING);
        CHECK_STR(res.msg, "trailing garbage after the last gzip member (after zero bytes) at input offset 353");
        n = inf_edit(one, 0, "PK", 2, 1);
        res = inf_decode(inf_buf, n, 0, 0, mode);
        CHECK(res.r == CRIOIMG_ERR_INFLATE_TRAILING && res.out_len == one->out_len);
        n = inf_edit(one, 0, "\x1f", 1, 1);
        res = inf_decode(inf_buf, n, 0, 0, mode);
        CHECK(res.r == CRIOIMG_ERR_INFLATE_TRUNCATED);
        CHECK_STR(res.msg, "input ends in a gzip header (after a complete gzip member) at input offset 352");
        n = inf_edit(one, 0, "\x1f\x8b\x08\x00", 4, 1);
        res = inf_decode(inf_buf, n, 0, 0, mode);
        CHECK(res.r == CRIOIMG_ERR_INFLATE_TRUNCATED);
        /* the same member twice: twice the output */
        n = inf_edit(one, 0, (const char *)one->data, one->size, 1);
        res = inf_decode(inf_buf, n, 0, 0, mode);
        CHECK(res.r == CRIOIMG_OK && res.out_len == 2 * one->out_len && memcmp(inf_out, inf_out + one->out_len, one->out_len) == 0);
        /* raw: the bytes after the stream are left alone */
        n = inf_edit(raw, 0, "tail", 4, 1);
        res = inf_decode(inf_buf, n, 1, 0, mode);
        CHECK(res.r == CRIOIMG_OK && res.in_used == raw->size && res.out_len == raw->out_len);
    }
    tests_context = "";
    /* empty input: truncated, not OK */
    res = inf_decode(NULL, 0, 0, 0, INF_WHOLE);
    CHECK(res.r == CRIOIMG_ERR_INFLATE_TRUNCATED);
    CHECK_STR(res.msg, "input ends in a gzip header at input offset 0");
}

static void test_inflate_truncated(void)
{
    /* every prefix of the small ones; of the larger ones, every 61st and the last 300 */
    static const char *const names[] = { "FEXTRA FNAME FCOMMENT FHCRC", "every length and distance code (dynamic, 15-bit codes)",
                                         "stored, fixed and dynamic blocks with flushes", "one distance code", "empty" };
    size_t i, k;
    for (i = 0; i < sizeof names / sizeof names[0]; i++) {
        const inf_vector *v = inf_find(names[i]);
        unsigned long bad = 0;
        tests_context = names[i];
        for (k = 0; k < v->size; k += v->size > 1000 && k + 300 < v->size ? 61 : 1) {
            inf_result res = inf_decode(v->data, k, v->raw, 0, k % 7 == 0 ? INF_BYTES : INF_WHOLE);
            if (res.r != CRIOIMG_ERR_INFLATE_TRUNCATED || res.stalled || strstr(res.msg, "input ends ") != res.msg) {
                if (bad++ < 3) fprintf(stderr, "  prefix %lu: %s: %s\n", (unsigned long)k, crioimg_result_name(res.r), res.msg);
            }
        }
        CHECK(bad == 0);
    }
    tests_context = "";
}

static void test_inflate_limit(void)
{
    const inf_vector *v = inf_find("1 MiB of zeros (a small bomb)");
    int mode;
    for (mode = 0; mode < INF_MODES; mode += 2) {
        inf_result res;
        tests_context = inf_mode_names[mode];
        res = inf_decode(v->data, v->size, 0, v->out_len, mode);
        CHECK(res.r == CRIOIMG_OK && res.out_len == v->out_len);
        res = inf_decode(v->data, v->size, 0, v->out_len - 1, mode);
        CHECK(res.r == CRIOIMG_ERR_TOO_BIG && res.out_len == v->out_len - 1 && res.total_out == v->out_len - 1);
        CHECK(strncmp(res.msg, "output exceeds the limit of 1048575 bytes at input offset ", 58) == 0);
        res = inf_decode(v->data, v->size, 0, 1000, mode);
        CHECK(res.r == CRIOIMG_ERR_TOO_BIG && res.out_len == 1000);
    }
    tests_context = "";
}

/* issue 13: a zeroed max_output is CRIOIMG_INFLATE_MAX_OUTPUT (64 GiB), not unlimited; NO_LIMIT lifts it.
   64 GiB is too much to decode here: the decoder is told it has already written all but 1000 bytes of
   it (total_out, which only the limit reads; the gzip trailer checks its member's own count). */
static void test_inflate_default_limit(void)
{
    static const struct { const char *name; int null_opts; unsigned long long max_output; crioimg_result want; } rows[] = {
        { "NULL options: capped", 1, 0, CRIOIMG_ERR_TOO_BIG },
        { "zeroed options: capped", 0, 0, CRIOIMG_ERR_TOO_BIG },
        { "CRIOIMG_INFLATE_NO_LIMIT: not capped", 0, CRIOIMG_INFLATE_NO_LIMIT, CRIOIMG_OK },
    };
    const inf_vector *v = inf_find("1 MiB of zeros (a small bomb)");
    static unsigned char out[1 << 16];
    const unsigned long long before = CRIOIMG_INFLATE_MAX_OUTPUT - 1000;
    size_t i;
    CHECK(CRIOIMG_INFLATE_MAX_OUTPUT == 64ull << 30);
    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        crioimg_inflate_opts o;
        crioimg_inflate *z;
        crioimg_result r = CRIOIMG_OK;
        size_t pos = 0, used, got;
        int fin = 0;
        tests_context = rows[i].name;
        memset(&o, 0, sizeof o);
        o.max_output = rows[i].max_output;
        if (!CHECK(crioimg_inflate_new(&z, rows[i].null_opts ? NULL : &o) == CRIOIMG_OK)) continue;
        z->total_out = before;
        while (r == CRIOIMG_OK && !fin) {
            r = crioimg_inflate_run(z, v->data + pos, v->size - pos, &used, out, sizeof out, &got, &fin);
            pos += used;
        }
        CHECK(r == rows[i].want);
        if (rows[i].want == CRIOIMG_OK) {
            CHECK(crioimg_inflate_finish(z) == CRIOIMG_OK && crioimg_inflate_total_out(z) == before + v->out_len);
        } else {
            CHECK(crioimg_inflate_total_out(z) == CRIOIMG_INFLATE_MAX_OUTPUT);   /* nothing past the cap */
            CHECK(strncmp(crioimg_inflate_error(z), "output exceeds the limit of 68719476736 bytes", 45) == 0);
        }
        crioimg_inflate_free(z);
    }
    tests_context = "";
}

static void test_inflate_api(void)
{
    crioimg_inflate *z = (crioimg_inflate *)1;
    crioimg_inflate_opts o;
    const inf_vector *v = inf_find("dynamic, level 9 text");
    size_t used, got, allocs;
    int fin = 7;
    unsigned char small[1 << 15];
    memset(&o, 0, sizeof o);
    CHECK(crioimg_inflate_new(NULL, &o) == CRIOIMG_ERR_INVALID_ARGS);
    o.format = (crioimg_inflate_format)2;
    CHECK(crioimg_inflate_new(&z, &o) == CRIOIMG_ERR_INVALID_ARGS && z == NULL);
    o.format = CRIOIMG_INFLATE_GZIP;
    o.alloc.alloc = NULL;
    o.alloc.free = NULL;
    o.alloc.realloc = NULL;
    o.alloc.user = &o;
    CHECK(crioimg_inflate_new(&z, NULL) == CRIOIMG_OK);
    CHECK(crioimg_inflate_run(z, NULL, 1, &used, small, 1, &got, &fin) == CRIOIMG_ERR_INVALID_ARGS);
    CHECK(crioimg_inflate_run(z, v->data, 1, NULL, small, 1, &got, &fin) == CRIOIMG_ERR_INVALID_ARGS);
    CHECK(crioimg_inflate_run(NULL, v->data, 1, &used, small, 1, &got, &fin) == CRIOIMG_ERR_INVALID_ARGS);
    /* after creation nothing allocates, however the data comes */
    allocs = t_allocs;
    CHECK(crioimg_inflate_run(z, v->data, v->size, &used, small, sizeof small, &got, &fin) == CRIOIMG_OK);
    CHECK(used < v->size && got == sizeof small && fin == 0);   /* the output filled up first */
    CHECK(crioimg_inflate_finish(z) == CRIOIMG_ERR_INFLATE_TRUNCATED);
    CHECK(crioimg_inflate_run(z, v->data, 1, &used, small, 1, &got, &fin) == CRIOIMG_ERR_INFLATE_TRUNCATED);  /* sticky */
    CHECK(t_allocs == allocs);
    crioimg_inflate_free(z);
    crioimg_inflate_free(NULL);
    CHECK_STR(crioimg_inflate_error(NULL), "");
    CHECK(crioimg_inflate_total_out(NULL) == 0);
    CHECK_STR(crioimg_result_str(CRIOIMG_ERR_INFLATE_TRAILING), "trailing garbage after compressed data");
}

static void test_inflate_crc32(void)
{
    unsigned char buf[1000];
    size_t i, cut;
    unsigned long whole;
    CHECK(crioimg_crc32(0, "123456789", 9) == 0xcbf43926ul);
    CHECK(crioimg_crc32(0, NULL, 0) == 0);
    CHECK(crioimg_crc32(0, "a", 1) == 0xe8b7be43ul);
    for (i = 0; i < sizeof buf; i++) buf[i] = (unsigned char)(i * 31 + (i >> 3));
    whole = crioimg_crc32(0, buf, sizeof buf);
    for (cut = 0; cut <= sizeof buf; cut += 7)
        if (!CHECK(crioimg_crc32(crioimg_crc32(0, buf, cut), buf + cut, sizeof buf - cut) == whole)) break;
    for (i = 0; i < 16; i++)   /* any alignment */
        if (!CHECK(crioimg_crc32(crioimg_crc32(0, buf, i), buf + i, 500) == crioimg_crc32(0, buf, 500 + i))) break;
}

static void test_inflate(void)
{
    test_inflate_crc32();
    test_inflate_vectors();
    test_inflate_framing();
    test_inflate_truncated();
    test_inflate_limit();
    test_inflate_default_limit();
    test_inflate_api();
}
