/* The store: the image service's operations as tables, run against both built-in stores; then what
   only the OCI layout store has (the file format, bad input on disk, locking, temp files). */
#include <sys/stat.h>
#include <sys/file.h>
#include <fcntl.h>
#include <unistd.h>
#include <errno.h>
#include <dirent.h>
#include <time.h>

static void ts_digest(const void *d, size_t n, char out[72])
{
    crioimg_hasher h;
    crioimg_hasher_init(&h, CRIOIMG_DIGEST_SHA256);
    crioimg_hasher_update(&h, d, n);
    crioimg_hasher_final_string(&h, out, 72);
}

static void ts_put(crioimg_store *s, const char *text, size_t n, char dig[72])
{
    ts_digest(text, n, dig);
    CHECK(crioimg_store_put_blob(s, dig, text, n) == CRIOIMG_OK);
}

/* A config for seed k (its digest is the image ID). */
static size_t ts_config(char *buf, size_t cap, unsigned k)
{
    return (size_t)snprintf(buf, cap, "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Labels\":{\"seed\":\"%u\"}},"
                            "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}", k);
}

typedef struct ts_image { char manifest[72], config[72], own[72], common[72], id[65]; long long size; } ts_image;

/* An image with config seed k, its own layer and a layer every test image shares. */
static void ts_make(crioimg_store *s, unsigned k, ts_image *im)
{
    char cfg[256], layer[64], man[1024];
    size_t cn = ts_config(cfg, sizeof cfg, k), ln = (size_t)snprintf(layer, sizeof layer, "layer-of-%u", k), mn;
    static const char common[] = "the layer every test image shares";
    ts_put(s, cfg, cn, im->config);
    ts_put(s, layer, ln, im->own);
    ts_put(s, common, sizeof common - 1, im->common);
    mn = (size_t)snprintf(man, sizeof man,
        "{\"schemaVersion\":2,\"mediaType\":\"" CRIOIMG_MEDIA_OCI_MANIFEST "\",\"config\":{\"mediaType\":\"" CRIOIMG_MEDIA_OCI_CONFIG
        "\",\"digest\":\"%s\",\"size\":%u},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"%s\",\"size\":%u},"
        "{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"%s\",\"size\":%u}]}",
        im->config, (unsigned)cn, im->common, (unsigned)(sizeof common - 1), im->own, (unsigned)ln);
    ts_put(s, man, mn, im->manifest);
    memcpy(im->id, im->config + 7, 65);
    im->size = (long long)(cn + ln + sizeof common - 1);
}

/* Two config seeds whose IDs share their first three hex digits (for the ambiguous-prefix rows). */
static void ts_twins(unsigned *a, unsigned *b)
{
    static unsigned seen[4096];   /* seed by first three hex digits; 0 = none (seeds start at 1000) */
    unsigned k;
    memset(seen, 0, sizeof seen);
    for (k = 1000; k < 100000; k++) {
        char cfg[256], d[72], h[4];
        unsigned v;
        ts_digest(cfg, ts_config(cfg, sizeof cfg, k), d);
        memcpy(h, d + 7, 3); h[3] = '\0';
        v = (unsigned)strtoul(h, NULL, 16);
        if (seen[v]) { *a = seen[v]; *b = k; return; }
        seen[v] = k;
    }
    *a = *b = 0;
}

static int ts_has(const crioimg_image *im, const char *name)
{
    size_t i;
    for (i = 0; i < im->nnames; i++) if (strcmp(im->names[i], name) == 0) return 1;
    return 0;
}

static size_t ts_count(crioimg_store *s)
{
    crioimg_image_list l;
    size_t n;
    if (crioimg_store_list(s, NULL, &l) != CRIOIMG_OK) return (size_t)-1;
    n = l.n;
    crioimg_image_list_free(&l);
    return n;
}

static crioimg_result ts_status(crioimg_store *s, const char *name, char id[65])
{
    crioimg_image_list l;
    crioimg_result r = crioimg_store_image_status(s, name, &l);
    id[0] = '\0';
    if (r == CRIOIMG_OK) memcpy(id, l.images[0].id, 65);
    crioimg_image_list_free(&l);
    return r;
}

/* Every operation of the image service, the same on any store. */
static void test_store_ops(crioimg_store *s, const char *kind)
{
    ts_image a, b, c, t1, t2;
    unsigned k1, k2;
    crioimg_image_list l;
    char id[65], buf[160], pfx[16];
    const char *names_a[] = { "nginx:1.25", "quay.io/a/b" };
    const char *names_b[] = { "docker.io/library/busybox:latest" };
    const char *names_c[] = { "c__d/e---f:1", "[::1]:5000/x/y:2" };
    const char *names_t1[] = { "twin:1" };
    const char *names_t2[] = { "twin:2" };
    void *data;
    size_t len, i;
    tests_context = kind;

    CHECK(ts_count(s) == 0);
    ts_make(s, 1, &a);
    ts_make(s, 2, &b);
    ts_make(s, 3, &c);
    CHECK(crioimg_store_add_image(s, a.manifest, names_a, 2) == CRIOIMG_OK);
    CHECK(crioimg_store_add_image(s, b.manifest, names_b, 1) == CRIOIMG_OK);
    CHECK(crioimg_store_add_image(s, c.manifest, names_c, 2) == CRIOIMG_OK);
    CHECK(ts_count(s) == 3);

    /* the record */
    CHECK(crioimg_store_image_status(s, "nginx:1.25", &l) == CRIOIMG_OK);
    if (CHECK(l.n == 1)) {
        const crioimg_image *im = &l.images[0];
        CHECK_STR(im->id, a.id);
        CHECK(im->nnames == 2);
        if (im->nnames == 2) { CHECK_STR(im->names[0], "docker.io/library/nginx:1.25"); CHECK_STR(im->names[1], "quay.io/a/b:latest"); }
        CHECK(im->ndigests == 2);
        snprintf(buf, sizeof buf, "docker.io/library/nginx@%s", a.manifest);
        if (im->ndigests == 2) CHECK_STR(im->digests[0], buf);
        snprintf(buf, sizeof buf, "quay.io/a/b@%s", a.manifest);
        if (im->ndigests == 2) CHECK_STR(im->digests[1], buf);
        CHECK(im->size == a.size);
        CHECK_STR(im->image_ref, "nginx:1.25");
        CHECK_STR(im->manifest_digest, a.manifest);
        {
            crioimg_json_writer w;
            const char *text;
            char want[1024];
            crioimg_json_writer_init(&w, NULL);
            crioimg_image_write_json(im, &w);
            CHECK(crioimg_json_writer_finish(&w, &text, NULL) == CRIOIMG_OK);
            snprintf(want, sizeof want, "{\"id\":\"%s\",\"names\":[\"docker.io/library/nginx:1.25\",\"quay.io/a/b:latest\"],"
                     "\"digests\":[\"docker.io/library/nginx@%s\",\"quay.io/a/b@%s\"],\"size\":%lld,\"imageRef\":\"nginx:1.25\"}",
                     a.id, a.manifest, a.manifest, a.size);
            CHECK_STR(text, want);
            crioimg_json_writer_free(&w);
        }
    }
    crioimg_image_list_free(&l);
    /* names outside the OCI ref grammar are kept whole */
    CHECK(ts_status(s, "c__d/e---f:1", id) == CRIOIMG_OK && strcmp(id, c.id) == 0);
    CHECK(ts_status(s, "[::1]:5000/x/y:2", id) == CRIOIMG_OK && strcmp(id, c.id) == 0);

    /* naming an image: every form of the seed */
    memcpy(pfx, a.id, 12); pfx[12] = '\0';
    {
        struct { const char *name; crioimg_result want; const char *id; } rows[8];
        char full[80], sha[80], cs[120], csid[120];
        snprintf(full, sizeof full, "%s", a.id);
        snprintf(sha, sizeof sha, "sha256:%s", a.id);
        snprintf(cs, sizeof cs, "containers-storage:nginx:1.25");
        snprintf(csid, sizeof csid, "containers-storage:[overlay@/x]@%s", a.id);
        rows[0].name = full; rows[0].want = CRIOIMG_OK; rows[0].id = a.id;
        rows[1].name = sha; rows[1].want = CRIOIMG_OK; rows[1].id = a.id;
        rows[2].name = pfx; rows[2].want = CRIOIMG_OK; rows[2].id = a.id;
        rows[3].name = "nginx:1.25"; rows[3].want = CRIOIMG_OK; rows[3].id = a.id;
        rows[4].name = "docker.io/library/busybox"; rows[4].want = CRIOIMG_OK; rows[4].id = b.id;
        rows[5].name = cs; rows[5].want = CRIOIMG_OK; rows[5].id = a.id;
        rows[6].name = "nginx:1.26"; rows[6].want = CRIOIMG_ERR_IMAGE_UNKNOWN; rows[6].id = "";
        rows[7].name = csid; rows[7].want = CRIOIMG_OK; rows[7].id = a.id;
        for (i = 0; i < 8; i++) {
            crioimg_result r = ts_status(s, rows[i].name, id);
            tests_context = rows[i].name;
            CHECK(r == rows[i].want);
            CHECK_STR(id, rows[i].id);
        }
        tests_context = kind;
    }
    snprintf(buf, sizeof buf, "nginx@%s", a.manifest);            /* name@digest */
    CHECK(ts_status(s, buf, id) == CRIOIMG_OK && strcmp(id, a.id) == 0);
    CHECK(ts_status(s, "Nginx", id) == CRIOIMG_ERR_REF_NORM_UPPERCASE);
    CHECK(ts_status(s, "0000000000000000000000000000000000000000000000000000000000000000", id) == CRIOIMG_ERR_IMAGE_UNKNOWN);

    /* an ambiguous prefix is an error; one more digit names one image */
    ts_twins(&k1, &k2);
    CHECK(k1 != 0);
    ts_make(s, k1, &t1);
    ts_make(s, k2, &t2);
    CHECK(crioimg_store_add_image(s, t1.manifest, names_t1, 1) == CRIOIMG_OK);
    CHECK(crioimg_store_add_image(s, t2.manifest, names_t2, 1) == CRIOIMG_OK);
    memcpy(pfx, t1.id, 3); pfx[3] = '\0';
    CHECK(ts_status(s, pfx, id) == CRIOIMG_ERR_STORE_AMBIGUOUS);
    CHECK(strstr(crioimg_store_error(s), "ambiguous") != NULL);
    for (i = 3; i < 64 && t1.id[i] == t2.id[i]; i++) {}
    memcpy(pfx, t1.id, i + 1); pfx[i + 1] = '\0';
    CHECK(ts_status(s, pfx, id) == CRIOIMG_OK && strcmp(id, t1.id) == 0);
    CHECK(crioimg_store_remove(s, pfx) == CRIOIMG_OK);
    CHECK(crioimg_store_remove(s, t2.id) == CRIOIMG_OK);

    /* list(filter): the image the filter names, or nothing */
    CHECK(crioimg_store_list(s, "busybox", &l) == CRIOIMG_OK && l.n == 1 && strcmp(l.images[0].id, b.id) == 0);
    crioimg_image_list_free(&l);
    CHECK(crioimg_store_list(s, "nothing:here", &l) == CRIOIMG_OK && l.n == 0);
    crioimg_image_list_free(&l);
    CHECK(crioimg_store_list(s, NULL, &l) == CRIOIMG_OK && l.n == 3);
    if (l.n == 3) { CHECK_STR(l.images[0].id, a.id); CHECK_STR(l.images[1].id, b.id); CHECK_STR(l.images[2].id, c.id); }
    crioimg_image_list_free(&l);

    /* tag: a new name; a name taken from another image */
    CHECK(crioimg_store_tag(s, "nginx:1.25", "x:1") == CRIOIMG_OK);
    CHECK(crioimg_store_tag(s, b.id, "quay.io/a/b") == CRIOIMG_OK);
    CHECK(crioimg_store_image_status(s, a.id, &l) == CRIOIMG_OK);
    if (l.n == 1) {
        CHECK(ts_has(&l.images[0], "docker.io/library/x:1"));
        CHECK(!ts_has(&l.images[0], "quay.io/a/b:latest"));
    }
    crioimg_image_list_free(&l);
    CHECK(ts_status(s, "quay.io/a/b", id) == CRIOIMG_OK && strcmp(id, b.id) == 0);
    /* an image whose only name moves away stays, unnamed, as containers/storage keeps it */
    {
        const char *solo[] = { "solo:1" };
        ts_make(s, 5, &t1);
        CHECK(crioimg_store_add_image(s, t1.manifest, solo, 1) == CRIOIMG_OK);
        CHECK(crioimg_store_tag(s, b.id, "solo:1") == CRIOIMG_OK);
        CHECK(crioimg_store_image_status(s, t1.id, &l) == CRIOIMG_OK && l.n == 1 && l.images[0].nnames == 0);
        crioimg_image_list_free(&l);
        CHECK(crioimg_store_remove(s, t1.id) == CRIOIMG_OK);
        CHECK(ts_status(s, "solo:1", id) == CRIOIMG_OK && strcmp(id, b.id) == 0);
        CHECK(crioimg_store_untag(s, "solo:1") == CRIOIMG_OK);
    }
    CHECK(crioimg_store_tag(s, "nope", "y") == CRIOIMG_ERR_IMAGE_UNKNOWN);
    CHECK(crioimg_store_tag(s, "x:1", "UPPER") == CRIOIMG_ERR_REF_NORM_UPPERCASE);
    {   /* a name with a digest: only the image's own manifest digest, and the entry points at it */
        char dn[200];
        snprintf(dn, sizeof dn, "quay.io/d/e@%s", b.manifest);
        CHECK(crioimg_store_tag(s, "x:1", dn) == CRIOIMG_ERR_DIGEST_MISMATCH);
        CHECK(strstr(crioimg_store_error(s), "is not the manifest digest of image") != NULL && strstr(crioimg_store_error(s), a.manifest) != NULL);
        CHECK(ts_status(s, dn, id) == CRIOIMG_ERR_IMAGE_UNKNOWN);
        CHECK(crioimg_store_tag(s, b.id, dn) == CRIOIMG_OK);
        CHECK(ts_status(s, dn, id) == CRIOIMG_OK && strcmp(id, b.id) == 0);
        CHECK(crioimg_store_untag(s, dn) == CRIOIMG_OK);
    }
    {   /* several names at once: all or none (AddNames); a digest name and plain ones in one call */
        char dn[200];
        const char *bad[3], *good[3];
        snprintf(dn, sizeof dn, "quay.io/d/f@%s", a.manifest);
        bad[0] = "m:1"; bad[1] = "m:2"; bad[2] = "Bad:3";
        CHECK(crioimg_store_tag_names(s, "x:1", bad, 3) == CRIOIMG_ERR_REF_NORM_UPPERCASE);
        CHECK(strstr(crioimg_store_error(s), "Bad:3: invalid reference format: repository name must be lowercase") != NULL);
        CHECK(ts_status(s, "m:1", id) == CRIOIMG_ERR_IMAGE_UNKNOWN);
        bad[2] = "quay.io/d/g@sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";
        CHECK(crioimg_store_tag_names(s, "x:1", bad, 3) == CRIOIMG_ERR_DIGEST_MISMATCH);
        CHECK(ts_status(s, "m:1", id) == CRIOIMG_ERR_IMAGE_UNKNOWN && ts_status(s, "m:2", id) == CRIOIMG_ERR_IMAGE_UNKNOWN);
        good[0] = "m:1"; good[1] = dn; good[2] = "m:2";
        CHECK(crioimg_store_tag_names(s, "x:1", good, 3) == CRIOIMG_OK);
        CHECK(ts_status(s, "m:1", id) == CRIOIMG_OK && strcmp(id, a.id) == 0);
        CHECK(ts_status(s, "m:2", id) == CRIOIMG_OK && strcmp(id, a.id) == 0);
        CHECK(ts_status(s, dn, id) == CRIOIMG_OK && strcmp(id, a.id) == 0);
        CHECK(crioimg_store_tag_names(s, "x:1", NULL, 0) == CRIOIMG_OK);
        CHECK(crioimg_store_untag(s, "m:1") == CRIOIMG_OK && crioimg_store_untag(s, "m:2") == CRIOIMG_OK && crioimg_store_untag(s, dn) == CRIOIMG_OK);
    }

    /* untag: one name; the last name takes the image and its own blobs, never shared ones */
    CHECK(crioimg_store_untag(s, "x:1") == CRIOIMG_OK);
    CHECK(ts_status(s, "x:1", id) == CRIOIMG_ERR_IMAGE_UNKNOWN);
    CHECK(ts_status(s, "nginx:1.25", id) == CRIOIMG_OK);
    CHECK(crioimg_store_untag(s, "docker.io/library/nginx:1.25") == CRIOIMG_OK);
    CHECK(ts_status(s, a.id, id) == CRIOIMG_ERR_IMAGE_UNKNOWN);
    CHECK(crioimg_store_get_blob(s, a.own, 0, &data, &len) == CRIOIMG_ERR_NOT_FOUND);
    CHECK(crioimg_store_get_blob(s, a.config, 0, &data, &len) == CRIOIMG_ERR_NOT_FOUND);
    CHECK(crioimg_store_get_blob(s, a.manifest, 0, &data, &len) == CRIOIMG_ERR_NOT_FOUND);
    CHECK(crioimg_store_get_blob(s, a.common, 0, &data, &len) == CRIOIMG_OK);
    crioimg_free(NULL, data);
    CHECK(crioimg_store_untag(s, "nginx:1.25") == CRIOIMG_ERR_IMAGE_UNKNOWN);
    /* untag by ID removes the image, whatever its names */
    CHECK(crioimg_store_untag(s, c.id) == CRIOIMG_OK);
    CHECK(ts_count(s) == 1);
    /* remove by a name removes every name */
    CHECK(crioimg_store_tag(s, "busybox", "more:1") == CRIOIMG_OK);
    CHECK(crioimg_store_remove(s, "more:1") == CRIOIMG_OK);
    CHECK(ts_count(s) == 0);
    CHECK(crioimg_store_get_blob(s, a.common, 0, &data, &len) == CRIOIMG_ERR_NOT_FOUND);

    /* bad input: nothing changes */
    ts_make(s, 4, &a);
    CHECK(crioimg_store_put_blob(s, a.config, "other bytes", 11) == CRIOIMG_ERR_DIGEST_MISMATCH);
    CHECK(crioimg_store_put_blob(s, "sha256:../../etc/passwd", "x", 1) == CRIOIMG_ERR_DIGEST_FORMAT);
    CHECK(crioimg_store_put_blob(s, "md5:d41d8cd98f00b204e9800998ecf8427e", "", 0) == CRIOIMG_ERR_DIGEST_UNSUPPORTED);
    {
        const char *bad[] = { "Bad:Name" };
        CHECK(crioimg_store_add_image(s, a.manifest, bad, 1) == CRIOIMG_ERR_REF_NORM_UPPERCASE);
    }
    CHECK(crioimg_store_add_image(s, a.config, names_b, 1) == CRIOIMG_ERR_MANIFEST_INVALID);  /* a config is no manifest */
    CHECK(crioimg_store_add_image(s, "sha256:0000000000000000000000000000000000000000000000000000000000000000", names_b, 1) == CRIOIMG_ERR_NOT_FOUND);
    CHECK(ts_count(s) == 0);
    /* a manifest whose layer is missing is refused */
    {
        char man[512], md[72];
        size_t mn = (size_t)snprintf(man, sizeof man,
            "{\"schemaVersion\":2,\"mediaType\":\"" CRIOIMG_MEDIA_OCI_MANIFEST "\",\"config\":{\"mediaType\":\"" CRIOIMG_MEDIA_OCI_CONFIG
            "\",\"digest\":\"%s\",\"size\":%d},\"layers\":[{\"mediaType\":\"x\",\"digest\":\"sha256:1111111111111111111111111111111111111111111111111111111111111111\",\"size\":3}]}",
            a.config, (int)ts_config(buf, sizeof buf, 4));
        ts_put(s, man, mn, md);
        CHECK(crioimg_store_add_image(s, md, names_b, 1) == CRIOIMG_ERR_NOT_FOUND);
    }
    /* streaming writes: in pieces, verified at commit; nothing stored on a mismatch or abort */
    {
        static const char big[] = "0123456789abcdefghijklmnopqrstuvwxyz";
        char d[72];
        crioimg_blob_writer *w;
        ts_digest(big, sizeof big - 1, d);
        CHECK(crioimg_store_blob_begin(s, d, (long long)sizeof big - 1, &w) == CRIOIMG_OK);
        for (i = 0; i + 5 < sizeof big - 1; i += 5) CHECK(crioimg_blob_writer_write(w, big + i, 5) == CRIOIMG_OK);
        CHECK(crioimg_blob_writer_write(w, big + i, sizeof big - 1 - i) == CRIOIMG_OK);
        CHECK(crioimg_blob_writer_commit(w) == CRIOIMG_OK);
        CHECK(crioimg_store_get_blob(s, d, 0, &data, &len) == CRIOIMG_OK && len == sizeof big - 1 && memcmp(data, big, len) == 0);
        crioimg_free(NULL, data);
        CHECK(crioimg_store_blob_begin(s, a.config, -1, &w) == CRIOIMG_OK);   /* wrong bytes for that digest */
        CHECK(crioimg_blob_writer_write(w, big, 10) == CRIOIMG_OK);
        CHECK(crioimg_blob_writer_commit(w) == CRIOIMG_ERR_DIGEST_MISMATCH);
        ts_digest(big, 10, d);
        CHECK(crioimg_store_blob_begin(s, d, 9, &w) == CRIOIMG_OK);            /* more than its size */
        CHECK(crioimg_blob_writer_write(w, big, 10) == CRIOIMG_ERR_SIZE_MISMATCH);
        CHECK(crioimg_blob_writer_commit(w) == CRIOIMG_ERR_SIZE_MISMATCH);
        CHECK(crioimg_store_blob_begin(s, d, 11, &w) == CRIOIMG_OK);           /* fewer */
        CHECK(crioimg_blob_writer_write(w, big, 10) == CRIOIMG_OK);
        CHECK(crioimg_blob_writer_commit(w) == CRIOIMG_ERR_SIZE_MISMATCH);
        CHECK(crioimg_store_blob_begin(s, d, 10, &w) == CRIOIMG_OK);           /* aborted */
        CHECK(crioimg_blob_writer_write(w, big, 10) == CRIOIMG_OK);
        crioimg_blob_writer_abort(w);
        CHECK(crioimg_store_get_blob(s, d, 0, &data, &len) == CRIOIMG_ERR_NOT_FOUND);
        CHECK(crioimg_store_blob_begin(s, "sha256:../x", -1, &w) == CRIOIMG_ERR_DIGEST_FORMAT && w == NULL);
        CHECK(crioimg_store_blob_begin(s, "md5:d41d8cd98f00b204e9800998ecf8427e", -1, &w) == CRIOIMG_ERR_DIGEST_UNSUPPORTED);
    }
    /* no names: listed without names, removed by ID */
    CHECK(crioimg_store_add_image(s, a.manifest, NULL, 0) == CRIOIMG_OK);
    CHECK(crioimg_store_list(s, NULL, &l) == CRIOIMG_OK && l.n == 1 && l.images[0].nnames == 0 && l.images[0].image_ref[0] == '\0');
    crioimg_image_list_free(&l);
    CHECK(crioimg_store_remove(s, a.id) == CRIOIMG_OK);
    CHECK(ts_count(s) == 0);
    tests_context = "";
}

/* Flips a blob's first byte behind the store's back (in memory, or on disk for the OCI store). */
static void ts_tamper(crioimg_store *s, const char *d)
{
    if (s->vt.blob_get == crioimg__mem_blob_get) {
        crioimg__mem_blob *b = crioimg__mem_find((crioimg__mem *)s->vt.user, d);
        CHECK(b != NULL && b->bytes->len > 0);
        if (b && b->bytes->len) b->bytes->p[0] ^= 1;
    }
#ifdef CRIOIMG__OCI_STORE
    else {
        crioimg__oci *o = (crioimg__oci *)s->vt.user;
        unsigned char c = 0;
        int fd = o->algfd[CRIOIMG_DIGEST_SHA256] >= 0 ? openat(o->algfd[CRIOIMG_DIGEST_SHA256], d + 7, O_RDWR) : -1;
        CHECK(fd >= 0 && pread(fd, &c, 1, 0) == 1);
        c ^= 1;
        CHECK(fd >= 0 && pwrite(fd, &c, 1, 0) == 1);
        if (fd >= 0) close(fd);
    }
#endif
}

/* Reads a whole blob through a reader in pieces of step bytes: the bytes, and the result of the end. */
static crioimg_result ts_stream(crioimg_store *s, const char *d, size_t step, unsigned char *out, size_t cap, size_t *got)
{
    crioimg_blob_reader *r;
    crioimg_result res;
    unsigned char piece[4096];
    size_t n;
    *got = 0;
    res = crioimg_store_blob_open(s, d, &r);
    if (res != CRIOIMG_OK) return res;
    for (;;) {
        res = crioimg_blob_reader_read(r, piece, step, &n);
        if (res != CRIOIMG_OK || n == 0) break;
        if (*got + n <= cap) memcpy(out + *got, piece, n);
        *got += n;
    }
    if (res == CRIOIMG_OK) CHECK(crioimg_blob_reader_read(r, piece, step, &n) == CRIOIMG_OK && n == 0);   /* the end stays the end */
    else CHECK(crioimg_blob_reader_read(r, piece, step, &n) == res && n == 0);                          /* and a failure stays */
    crioimg_blob_reader_close(r);
    return res;
}

/* Streaming reads, the same on any store: in pieces of any size, verified at the end only, alive
   across a removal. */
static void test_store_reader(crioimg_store *s, const char *kind)
{
    static unsigned char big[200000], back[200000];
    char d[72], d2[72];
    size_t i, got;
    crioimg_blob_reader *r;
    ts_image a;
    const char *na[] = { "reader:1" };
    static const size_t steps[] = { 1, 7, 4096, 1000 };
    tests_context = kind;
    for (i = 0; i < sizeof big; i++) big[i] = (unsigned char)(i * 131 + (i >> 9));
    ts_digest(big, sizeof big, d);
    CHECK(crioimg_store_put_blob(s, d, big, sizeof big) == CRIOIMG_OK);
    for (i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        memset(back, 0, sizeof back);
        CHECK(ts_stream(s, d, steps[i], back, sizeof back, &got) == CRIOIMG_OK);
        CHECK(got == sizeof big && memcmp(back, big, sizeof big) == 0);
    }
    CHECK(crioimg_store_blob_open(s, d, &r) == CRIOIMG_OK);
    CHECK(crioimg_blob_reader_size(r) == (long long)sizeof big);
    {
        size_t n;
        CHECK(crioimg_blob_reader_read(r, back, 0, &n) == CRIOIMG_ERR_INVALID_ARGS);   /* *n 0 is the end: no empty buffers */
    }
    crioimg_blob_reader_close(r);   /* closed half way: fine */
    ts_digest("", 0, d2);
    CHECK(crioimg_store_put_blob(s, d2, "", 0) == CRIOIMG_OK);
    CHECK(ts_stream(s, d2, 10, back, sizeof back, &got) == CRIOIMG_OK && got == 0);
    CHECK(crioimg_store_blob_open(s, "sha256:0000000000000000000000000000000000000000000000000000000000000000", &r) == CRIOIMG_ERR_NOT_FOUND && r == NULL);
    CHECK(strstr(crioimg_store_error(s), "not in the store") != NULL || strstr(crioimg_store_error(s), "No such file") != NULL);
    CHECK(crioimg_store_blob_open(s, "sha256:../../etc/passwd", &r) == CRIOIMG_ERR_DIGEST_FORMAT && r == NULL);
    CHECK(crioimg_store_blob_open(s, "md5:d41d8cd98f00b204e9800998ecf8427e", &r) == CRIOIMG_ERR_DIGEST_UNSUPPORTED);
    /* a reader outlives the blob's removal */
    ts_make(s, 31, &a);
    CHECK(crioimg_store_add_image(s, a.manifest, na, 1) == CRIOIMG_OK);
    CHECK(crioimg_store_blob_open(s, a.own, &r) == CRIOIMG_OK);
    CHECK(crioimg_store_remove(s, "reader:1") == CRIOIMG_OK);
    {
        void *data; size_t len, n, tot = 0;
        CHECK(crioimg_store_get_blob(s, a.own, 0, &data, &len) == CRIOIMG_ERR_NOT_FOUND);
        while (crioimg_blob_reader_read(r, back + tot, 3, &n) == CRIOIMG_OK && n) tot += n;
        CHECK(tot == 11 && memcmp(back, "layer-of-31", 11) == 0);
        CHECK(crioimg_blob_reader_read(r, back, 3, &n) == CRIOIMG_OK && n == 0);
    }
    crioimg_blob_reader_close(r);
    /* bytes that no longer match: all of them come, provisionally, then ERR_DIGEST_MISMATCH */
    ts_tamper(s, d);
    CHECK(ts_stream(s, d, 4096, back, sizeof back, &got) == CRIOIMG_ERR_DIGEST_MISMATCH);
    CHECK(got == sizeof big && back[0] == (big[0] ^ 1));
    CHECK(strstr(crioimg_store_error(s), "does not match") != NULL);
    tests_context = "";
}

/* A host store with only some methods: the rest fail clearly. */
static crioimg_result ts_nolock(void *u, int x) { (void)u; (void)x; return CRIOIMG_OK; }
static crioimg_result ts_nounlock(void *u) { (void)u; return CRIOIMG_OK; }

static void test_store_vtable(void)
{
    crioimg_store_vtable vt;
    crioimg_store *s;
    crioimg_image_list l;
    memset(&vt, 0, sizeof vt);
    CHECK(crioimg_store_open(&s, &vt, NULL) == CRIOIMG_ERR_INVALID_ARGS && s == NULL);
    vt.version = CRIOIMG_STORE_VTABLE_VERSION + 1;
    CHECK(crioimg_store_open(&s, &vt, NULL) == CRIOIMG_ERR_INVALID_ARGS);
    vt.version = CRIOIMG_STORE_VTABLE_VERSION;
    CHECK(crioimg_store_open(&s, &vt, NULL) == CRIOIMG_OK);
    CHECK(crioimg_store_list(s, NULL, &l) == CRIOIMG_ERR_UNSUPPORTED);
    CHECK(strstr(crioimg_store_error(s), "lock") != NULL);
    crioimg_store_close(s);
    vt.lock = ts_nolock; vt.unlock = ts_nounlock;
    CHECK(crioimg_store_open(&s, &vt, NULL) == CRIOIMG_OK);
    memset(&vt, 0xff, sizeof vt);   /* copied at open: the host's struct may change */
    CHECK(crioimg_store_list(s, NULL, &l) == CRIOIMG_ERR_UNSUPPORTED);
    CHECK_STR(crioimg_store_error(s), "store has no read_index method");
    CHECK(crioimg_store_put_blob(s, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "", 0) == CRIOIMG_ERR_UNSUPPORTED);
    crioimg_store_close(s);
    {
        crioimg_store_opts o;
        memset(&o, 0, sizeof o);
        o.read_only = 1;
        CHECK(crioimg_store_open_memory(&s, &o) == CRIOIMG_OK);
        CHECK(crioimg_store_untag(s, "x") == CRIOIMG_ERR_STORE_READ_ONLY);
        crioimg_store_close(s);
    }
}

#ifdef CRIOIMG__OCI_STORE
static void ts_write(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f) { fputs(text, f); fclose(f); }
}

static char *ts_read(const char *path)
{
    static char buf[65536];
    FILE *f = fopen(path, "r");
    size_t n = 0;
    buf[0] = '\0';
    if (f) { n = fread(buf, 1, sizeof buf - 1, f); fclose(f); }
    buf[n] = '\0';
    return buf;
}

static void test_store_oci(void)
{
    char dir[] = "/tmp/crioimg-test-store-XXXXXX", p[128], q[1024], id[65];
    crioimg_store *s = NULL, *s2 = NULL;
    crioimg_store_opts o;
    ts_image a;
    const char *names[] = { "nginx:1.25", "c__d/e:1" };
    int fd;
    static const struct { const char *name; int ok; } grammar[] = {
        { "docker.io/library/nginx:1.25", 1 }, { "localhost:5000/a/b@sha256:abc", 1 }, { "v1", 1 }, { "a--b", 1 },
        { "a__b", 0 }, { "a---b", 0 }, { "[::1]:5000/x", 0 }, { "a/", 0 }, { "/a", 0 }, { "a//b", 0 }, { "", 0 }, { "a.", 0 },
    };
    size_t i;
    for (i = 0; i < sizeof grammar / sizeof grammar[0]; i++) {
        tests_context = grammar[i].name;
        CHECK(crioimg__st_oci_name_ok(grammar[i].name) == grammar[i].ok);
    }
    tests_context = "oci";
    if (mkdtemp(dir) == NULL) { CHECK(0); return; }
    memset(&o, 0, sizeof o);
    snprintf(p, sizeof p, "%s/store", dir);
    CHECK(crioimg_store_open_oci(&s, p, &o) == CRIOIMG_ERR_NOT_FOUND);
    o.create = 1;
    CHECK(crioimg_store_open_oci(&s, p, &o) == CRIOIMG_OK);
    if (s == NULL) return;
    test_store_ops(s, "oci store");
    test_store_reader(s, "oci store reader");

    /* the file format: one entry per name, ref.name where the grammar allows, else ours */
    ts_make(s, 7, &a);
    CHECK(crioimg_store_add_image(s, a.manifest, names, 2) == CRIOIMG_OK);
    snprintf(q, sizeof q, "%s/index.json", p);
    CHECK(strstr(ts_read(q), "\"org.opencontainers.image.ref.name\":\"docker.io/library/nginx:1.25\"") != NULL);
    CHECK(strstr(ts_read(q), "\"io.crioimg.image.name\":\"docker.io/c__d/e:1\"") != NULL);
    snprintf(q, sizeof q, "%s/oci-layout", p);
    CHECK_STR(ts_read(q), "{\"imageLayoutVersion\":\"1.0.0\"}");
    snprintf(q, sizeof q, "%s/blobs/sha256/%s", p, a.id);
    CHECK(access(q, R_OK) == 0);

    /* the lock holds against a second handle of this process, also after that handle closes */
    CHECK(crioimg_store_open_oci(&s2, p, &o) == CRIOIMG_OK);
    CHECK(crioimg__st_lock(s, 1) == CRIOIMG_OK);
    snprintf(q, sizeof q, "%s/.crioimg.lock", p);
    fd = open(q, O_RDONLY);
    CHECK(fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK);
    crioimg_store_close(s2);
    CHECK(fd >= 0 && flock(fd, LOCK_SH | LOCK_NB) != 0);
    crioimg__st_unlock(s);
    CHECK(fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0);
    if (fd >= 0) close(fd);

    /* a temporary file a killed writer left goes at the next change (by a new handle) */
    snprintf(q, sizeof q, "%s/.crioimg-tmp-dead-1-2", p);
    ts_write(q, "half a blob");
    CHECK(crioimg_store_open_oci(&s2, p, &o) == CRIOIMG_OK);
    CHECK(crioimg_store_tag(s2, "nginx:1.25", "n:2") == CRIOIMG_OK);
    CHECK(access(q, F_OK) != 0);
    crioimg_store_close(s2);

    /* ... and at the next read too, by a read-only handle (what `crioimg images` opens), when the store's
       exclusive lock is free at that moment; never a file whose flock a live writer holds; and never by
       waiting: with the store's lock held elsewhere the reader reads at once and leaves the file */
    {
        crioimg_store_opts ro = o;
        crioimg_image_list l;
        char live[1024], lk[1024];
        int held;
        ro.read_only = 1; ro.create = 0;
        snprintf(live, sizeof live, "%s/.crioimg-tmp-live-3-4", p);
        snprintf(lk, sizeof lk, "%s/.crioimg.lock", p);
        ts_write(q, "half a blob");
        ts_write(live, "a writer's");
        held = open(live, O_RDONLY);
        CHECK(held >= 0 && flock(held, LOCK_EX | LOCK_NB) == 0);
        CHECK(crioimg_store_open_oci(&s2, p, &ro) == CRIOIMG_OK);
        CHECK(crioimg_store_list(s2, NULL, &l) == CRIOIMG_OK && l.n >= 1);
        crioimg_image_list_free(&l);
        CHECK(access(q, F_OK) != 0);                 /* stale: gone */
        CHECK(access(live, F_OK) == 0);              /* held: stays */
        crioimg_store_close(s2);
        if (held >= 0) close(held);
        ts_write(q, "half a blob");
        fd = open(lk, O_RDONLY);
        CHECK(fd >= 0 && flock(fd, LOCK_SH) == 0);   /* another reader: the exclusive lock is not free */
        CHECK(crioimg_store_open_oci(&s2, p, &ro) == CRIOIMG_OK);
        CHECK(crioimg_store_list(s2, NULL, &l) == CRIOIMG_OK && l.n >= 1);   /* did not wait */
        crioimg_image_list_free(&l);
        CHECK(access(q, F_OK) == 0 && access(live, F_OK) == 0);
        crioimg_store_close(s2);
        if (fd >= 0) close(fd);
        CHECK(crioimg_store_open_oci(&s2, p, &ro) == CRIOIMG_OK);   /* the lock free again: both go */
        CHECK(access(q, F_OK) != 0 && access(live, F_OK) != 0);
        crioimg_store_close(s2);
    }

    /* a streaming write in progress survives another process's cleanup; a dead one's file does not */
    {
        crioimg_blob_writer *w;
        char d[72], tmpname[1024];
        int found = 0;
        DIR *dd;
        struct dirent *de;
        ts_digest("streamed", 8, d);
        CHECK(crioimg_store_blob_begin(s, d, 8, &w) == CRIOIMG_OK);
        CHECK(crioimg_blob_writer_write(w, "stre", 4) == CRIOIMG_OK);
        CHECK(crioimg_store_open_oci(&s2, p, &o) == CRIOIMG_OK);
        CHECK(crioimg_store_tag(s2, "nginx:1.25", "n:3") == CRIOIMG_OK);     /* cleans */
        crioimg_store_close(s2);
        dd = opendir(p);
        while (dd && (de = readdir(dd)) != NULL)
            if (strncmp(de->d_name, ".crioimg-tmp-", 13) == 0) { found++; snprintf(tmpname, sizeof tmpname, "%s/%s", p, de->d_name); }
        if (dd) closedir(dd);
        CHECK(found == 1);
        CHECK(crioimg_blob_writer_write(w, "amed", 4) == CRIOIMG_OK);
        CHECK(crioimg_blob_writer_commit(w) == CRIOIMG_OK);
        CHECK(found == 1 && access(tmpname, F_OK) != 0);                     /* renamed into blobs/ */
        CHECK(crioimg_store_untag(s, "n:3") == CRIOIMG_OK);
    }
    /* a blob that no longer matches its digest: never returned */
    snprintf(q, sizeof q, "%s/blobs/sha256/%s", p, a.own + 7);
    ts_write(q, "tampered");
    {
        void *data; size_t len;
        CHECK(crioimg_store_get_blob(s, a.own, 0, &data, &len) == CRIOIMG_ERR_DIGEST_MISMATCH);
    }
    /* the manifest tampered: the image cannot be listed or inspected, but its names can still go */
    snprintf(q, sizeof q, "%s/blobs/sha256/%s", p, a.manifest + 7);
    ts_write(q, "{}");
    CHECK(ts_status(s, "nginx:1.25", id) == CRIOIMG_ERR_DIGEST_MISMATCH);
    CHECK(ts_count(s) == 0);
    CHECK(crioimg_store_untag(s, "n:2") == CRIOIMG_OK);
    CHECK(crioimg_store_remove(s, "nginx:1.25") == CRIOIMG_OK);
    CHECK(crioimg_store_remove(s, "c__d/e:1") == CRIOIMG_OK);

    /* what another tool wrote: a short ref.name is normalised */
    ts_make(s, 8, &a);
    snprintf(q, sizeof q, "%s/index.json", p);
    {
        char idx[1024];
        snprintf(idx, sizeof idx, "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"" CRIOIMG_MEDIA_OCI_MANIFEST "\",\"digest\":\"%s\","
                 "\"size\":1,\"annotations\":{\"org.opencontainers.image.ref.name\":\"busybox:v1\"}},{\"mediaType\":\"x\",\"digest\":\"%s\",\"size\":1,"
                 "\"annotations\":{\"org.opencontainers.image.ref.name\":\"Not A Name\"}}]}", a.manifest, a.manifest);
        ts_write(q, idx);
    }
    CHECK(ts_status(s, "docker.io/library/busybox:v1", id) == CRIOIMG_OK && strcmp(id, a.id) == 0);
    CHECK(crioimg_store_tag(s, "busybox:v1", "other:1") == CRIOIMG_OK);
    CHECK(strstr(ts_read(q), "Not A Name") != NULL);   /* an entry naming nothing is kept as it is */
    CHECK(strstr(ts_read(q), "\"busybox:v1\"") != NULL);  /* and so is another tool's short name */
    CHECK(crioimg_store_untag(s, "busybox:v1") == CRIOIMG_OK);
    CHECK(ts_count(s) == 1);
    CHECK(crioimg_store_untag(s, "other:1") == CRIOIMG_OK);   /* the last name: the unnamed entry goes too */
    CHECK(ts_count(s) == 0 && strstr(ts_read(q), "Not A Name") == NULL);

    /* an index (skopeo copy --all): the image is the instance this machine runs */
    {
        ts_image mine, other;
        crioimg_platform cur;
        char idx[2048], ixd[72], ent[1024];
        void *data; size_t len;
        size_t xn;
        ts_make(s, 9, &mine);
        ts_make(s, 10, &other);
        crioimg_platform_current(&cur);
        xn = (size_t)snprintf(idx, sizeof idx, "{\"schemaVersion\":2,\"mediaType\":\"" CRIOIMG_MEDIA_OCI_INDEX "\",\"manifests\":["
            "{\"mediaType\":\"" CRIOIMG_MEDIA_OCI_MANIFEST "\",\"digest\":\"%s\",\"size\":1,\"platform\":{\"os\":\"plan9\",\"architecture\":\"mips\"}},"
            "{\"mediaType\":\"" CRIOIMG_MEDIA_OCI_MANIFEST "\",\"digest\":\"%s\",\"size\":1,\"platform\":{\"os\":\"%s\",\"architecture\":\"%s\"%s%s%s}}]}",
            other.manifest, mine.manifest, cur.os, cur.architecture, cur.variant[0] ? ",\"variant\":\"" : "", cur.variant, cur.variant[0] ? "\"" : "");
        ts_put(s, idx, xn, ixd);
        snprintf(ent, sizeof ent, "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"" CRIOIMG_MEDIA_OCI_INDEX "\",\"digest\":\"%s\",\"size\":%u,"
                 "\"annotations\":{\"org.opencontainers.image.ref.name\":\"multi:1\"}}]}", ixd, (unsigned)xn);
        ts_write(q, ent);
        {
            crioimg_image_list l;
            CHECK(crioimg_store_image_status(s, "multi:1", &l) == CRIOIMG_OK);
            if (l.n == 1) { CHECK_STR(l.images[0].id, mine.id); CHECK(l.images[0].size == mine.size); CHECK_STR(l.images[0].manifest_digest, ixd); }
            crioimg_image_list_free(&l);
        }
        CHECK(crioimg_store_remove(s, "multi:1") == CRIOIMG_OK);   /* every instance's blobs go with it */
        CHECK(crioimg_store_get_blob(s, mine.config, 0, &data, &len) == CRIOIMG_ERR_NOT_FOUND);
        CHECK(crioimg_store_get_blob(s, other.own, 0, &data, &len) == CRIOIMG_ERR_NOT_FOUND);
        CHECK(crioimg_store_get_blob(s, ixd, 0, &data, &len) == CRIOIMG_ERR_NOT_FOUND);
    }
    /* bad files: clear errors */
    {
        static const char *const bad_index[] = {
            "{\"schemaVersion\":2,\"manifests\":[{\"digest\":\"sha256:../../etc/passwd\",\"size\":1}]}",
            "{\"schemaVersion\":2,\"manifests\":[{\"digest\":\"sha256:ab",
            "[1,2]",
            "{\"manifests\":{}}",
            "{\"manifests\":[{\"digest\":\"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\",\"size\":-1}]}",
        };
        crioimg_image_list l;
        for (i = 0; i < sizeof bad_index / sizeof bad_index[0]; i++) {
            tests_context = bad_index[i];
            ts_write(q, bad_index[i]);
            CHECK(crioimg_store_list(s, NULL, &l) == CRIOIMG_ERR_STORE_CORRUPT);
            CHECK(strstr(crioimg_store_error(s), "index.json") != NULL);
            CHECK(crioimg_store_untag(s, "x") == CRIOIMG_ERR_STORE_CORRUPT);
            CHECK_STR(ts_read(q), bad_index[i]);   /* nothing rewritten */
        }
        tests_context = "oci";
        ts_write(q, "{\"schemaVersion\":2,\"manifests\":[]}");
    }
    /* blobs/ or blobs/sha256 as a symlink is never followed, and no command works on such a store
       (a listing would see no image, an untag would rewrite the index): refused at open, and at every
       lock when it is swapped in after */
    {
        static const char *const which[] = { "blobs", "blobs/sha256" };
        size_t w;
        for (w = 0; w < 2; w++) {
            char b1[256], b2[256], before[4096];
            void *data; size_t len;
            crioimg_store *ro;
            crioimg_store_opts rop;
            crioimg_image_list l;
            tests_context = which[w];
            snprintf(b1, sizeof b1, "%s/%s", p, which[w]);
            snprintf(b2, sizeof b2, "%s/elsewhere", dir);
            snprintf(q, sizeof q, "%s/index.json", p);
            snprintf(before, sizeof before, "%s", ts_read(q));
            CHECK(crioimg_store_open_oci(&s2, p, &o) == CRIOIMG_OK);   /* opened while it is sound */
            CHECK(rename(b1, b2) == 0);
            CHECK(symlink(b2, b1) == 0);
            CHECK(crioimg_store_list(s2, NULL, &l) == CRIOIMG_ERR_STORE_UNSAFE);
            CHECK(strstr(crioimg_store_error(s2), which[w]) != NULL && strstr(crioimg_store_error(s2), "symlink") != NULL);
            CHECK(crioimg_store_image_status(s2, a.id, &l) == CRIOIMG_ERR_STORE_UNSAFE);
            CHECK(crioimg_store_untag(s2, "nginx:1.25") == CRIOIMG_ERR_STORE_UNSAFE);
            CHECK(crioimg_store_remove(s2, a.id) == CRIOIMG_ERR_STORE_UNSAFE);
            CHECK(crioimg_store_tag(s2, a.id, "other:1") == CRIOIMG_ERR_STORE_UNSAFE);
            CHECK(crioimg_store_get_blob(s2, a.config, 0, &data, &len) == CRIOIMG_ERR_STORE_UNSAFE);
            {
                char cfg[256];
                size_t cn = ts_config(cfg, sizeof cfg, 8);
                CHECK(crioimg_store_put_blob(s2, a.config, cfg, cn) == CRIOIMG_ERR_STORE_UNSAFE);
            }
            CHECK_STR(ts_read(q), before);   /* nothing rewritten */
            crioimg_store_close(s2);
            CHECK(crioimg_store_open_oci(&s2, p, &o) == CRIOIMG_ERR_STORE_UNSAFE && s2 == NULL);
            memset(&rop, 0, sizeof rop);
            rop.read_only = 1;
            CHECK(crioimg_store_open_oci(&ro, p, &rop) == CRIOIMG_ERR_STORE_UNSAFE && ro == NULL);
            unlink(b1);
            CHECK(rename(b2, b1) == 0);
        }
        tests_context = "oci";
    }
    /* index.json as a symlink (to a file outside the store): refused, never followed, never written through */
    {
        char i1[256], i2[256];
        snprintf(i1, sizeof i1, "%s/index.json", p);
        snprintf(i2, sizeof i2, "%s/outside.json", dir);
        ts_write(i2, "{\"schemaVersion\":2,\"manifests\":[]}");
        unlink(i1);
        CHECK(symlink(i2, i1) == 0);
        CHECK(ts_count(s) == (size_t)-1);
        CHECK(crioimg_store_tag(s, "x", "y") == CRIOIMG_ERR_STORE_UNSAFE);
        CHECK_STR(ts_read(i2), "{\"schemaVersion\":2,\"manifests\":[]}");
        unlink(i1);
        ts_write(i1, "{\"schemaVersion\":2,\"manifests\":[]}");
        CHECK(ts_count(s) == 0);
    }
    /* a FIFO as the lock file: refused, without hanging */
    {
        char l1[256];
        o.read_only = 1;
        snprintf(l1, sizeof l1, "%s/.crioimg.lock", p);
        unlink(l1);
        CHECK(mkfifo(l1, 0644) == 0);
        CHECK(crioimg_store_open_oci(&s2, p, &o) == CRIOIMG_ERR_STORE_UNSAFE && s2 == NULL);
        o.read_only = 0;
        CHECK(crioimg_store_open_oci(&s2, p, &o) == CRIOIMG_ERR_STORE_UNSAFE && s2 == NULL);
        unlink(l1);
    }
    /* not a layout */
    snprintf(q, sizeof q, "%s/oci-layout", p);
    ts_write(q, "{\"imageLayoutVersion\":\"9\"}");
    CHECK(crioimg_store_open_oci(&s2, p, &o) == CRIOIMG_ERR_STORE_CORRUPT && s2 == NULL);
    crioimg_store_close(s);
    {
        char cmd[600];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        CHECK(system(cmd) == 0);
    }
    tests_context = "";
}

/* ---- the listing cache (.crioimg-cache): store.h's rule, case by case ---- */

static crioimg_result (*ts_orig_get)(void *, const char *, size_t, const crioimg_allocator *, void **, size_t *);
static crioimg_result (*ts_orig_stat)(void *, const char *, long long *);
static unsigned ts_ngets, ts_nstats;
static crioimg_result ts_counting_get(void *u, const char *d, size_t max, const crioimg_allocator *a, void **data, size_t *len)
{
    ts_ngets++;
    return ts_orig_get(u, d, max, a, data, len);
}
static const char *ts_stat_fail;   /* a digest whose stat fails as with EOVERFLOW */
static crioimg_result ts_counting_stat(void *u, const char *d, long long *size)
{
    ts_nstats++;
    if (ts_stat_fail && strcmp(d, ts_stat_fail) == 0) return CRIOIMG_ERR_IO;
    return ts_orig_stat(u, d, size);
}

/* The size listed for name (-1 unknown), -2 when it is not listed; counts the blob reads and stats. */
static long long ts_size(crioimg_store *s, const char *name)
{
    crioimg_image_list l;
    long long sz = -2;
    ts_ngets = ts_nstats = 0;
    if (crioimg_store_list(s, name, &l) == CRIOIMG_OK && l.n == 1) sz = l.images[0].size;
    crioimg_image_list_free(&l);
    return sz;
}

/* Sets a directory's mtime to now + delta seconds (a directory older or newer than the cache). */
static void ts_mtime(const char *path, long delta)
{
    struct timespec t[2];
    clock_gettime(CLOCK_REALTIME, &t[0]);
    t[0].tv_sec += delta;
    t[1] = t[0];
    CHECK(utimensat(AT_FDCWD, path, t, 0) == 0);
}

/* The file's trusted flag: 1, 0, or -1 when it is not a cache file. */
static int ts_cache_flag(const char *path)
{
    unsigned char b[24];
    FILE *f = fopen(path, "rb");
    size_t n = f ? fread(b, 1, sizeof b, f) : 0;
    if (f) fclose(f);
    if (n != sizeof b || memcmp(b, CRIOIMG__ST_CMAGIC, 16) != 0) return -1;
    return (int)crioimg__st_get64(b + 16);
}

static size_t ts_slurp(const char *path, unsigned char *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    size_t n = f ? fread(buf, 1, cap, f) : 0;
    if (f) fclose(f);
    return n;
}

static void ts_spit(const char *path, const unsigned char *buf, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (f) { CHECK(fwrite(buf, 1, n, f) == n); fclose(f); }
}

static void test_store_oci_cache(void)
{
    char dir[] = "/tmp/crioimg-test-cache-XXXXXX", p[128], bd[256], cf[256], q[1024], id[65];
    static unsigned char buf[65536], orig[65536];
    crioimg_store *s = NULL, *s2 = NULL;
    crioimg_store_opts o;
    ts_image a, b;
    const char *na[] = { "cache:a" }, *nb[] = { "cache:b" };
    struct stat st;
    size_t n, i;
    tests_context = "oci cache";
    if (mkdtemp(dir) == NULL) { CHECK(0); return; }
    snprintf(p, sizeof p, "%s/store", dir);
    snprintf(bd, sizeof bd, "%s/blobs/sha256", p);
    snprintf(cf, sizeof cf, "%s/.crioimg-cache", p);
    memset(&o, 0, sizeof o);
    o.create = 1;
    CHECK(crioimg_store_open_oci(&s, p, &o) == CRIOIMG_OK);
    if (s == NULL) return;
    ts_orig_get = s->vt.blob_get; s->vt.blob_get = ts_counting_get;
    ts_orig_stat = s->vt.blob_stat; s->vt.blob_stat = ts_counting_stat;
    ts_make(s, 21, &a);
    ts_make(s, 22, &b);
    CHECK(crioimg_store_add_image(s, a.manifest, na, 1) == CRIOIMG_OK);
    CHECK(crioimg_store_add_image(s, b.manifest, nb, 1) == CRIOIMG_OK);

    /* blobs/sha256 older than the listing: the file it writes is trusted, and the next listing reads
       no manifest and stats no blob */
    ts_mtime(bd, -3600);
    CHECK(ts_size(s, "cache:a") == a.size && ts_ngets == 2 && ts_nstats > 0);
    CHECK(ts_cache_flag(cf) == 1);
    CHECK(ts_size(s, "cache:a") == a.size && ts_ngets == 0 && ts_nstats == 0);
    CHECK(ts_size(s, "cache:b") == b.size && ts_ngets == 0 && ts_nstats == 0);
    CHECK(ts_count(s) == 2);
    /* names come from index.json, never from the file: another tool's index change is seen at once */
    CHECK(crioimg_store_tag(s, "cache:a", "cache:a2") == CRIOIMG_OK);
    CHECK(ts_size(s, "cache:a2") == a.size && ts_ngets == 0 && ts_nstats == 0);
    /* an image's status re-reads its manifest: one changed in place (which the file cannot see) is refused */
    snprintf(q, sizeof q, "%s/%s", bd, a.manifest + 7);
    CHECK(stat(bd, &st) == 0);
    ts_write(q, "{}");
    CHECK(ts_status(s, "cache:a", id) == CRIOIMG_ERR_DIGEST_MISMATCH);
    CHECK(ts_status(s, "cache:b", id) == CRIOIMG_OK && strcmp(id, b.id) == 0);
    {
        char man[1024], cfg[256], layer[64];
        static const char common[] = "the layer every test image shares";
        size_t cn = ts_config(cfg, sizeof cfg, 21), ln = (size_t)snprintf(layer, sizeof layer, "layer-of-%u", 21u);
        snprintf(man, sizeof man,
            "{\"schemaVersion\":2,\"mediaType\":\"" CRIOIMG_MEDIA_OCI_MANIFEST "\",\"config\":{\"mediaType\":\"" CRIOIMG_MEDIA_OCI_CONFIG
            "\",\"digest\":\"%s\",\"size\":%u},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"%s\",\"size\":%u},"
            "{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"%s\",\"size\":%u}]}",
            a.config, (unsigned)cn, a.common, (unsigned)(sizeof common - 1), a.own, (unsigned)ln);
        ts_write(q, man);   /* back as it was */
    }
    CHECK(ts_status(s, "cache:a", id) == CRIOIMG_OK && strcmp(id, a.id) == 0);

    /* a blob removed by another tool changes the directory's mtime: its size is unknown at once */
    snprintf(q, sizeof q, "%s/%s", bd, a.own + 7);
    CHECK(unlink(q) == 0);
    CHECK(ts_size(s, "cache:a") == -1 && ts_nstats > 0);
    CHECK(ts_size(s, "cache:b") == b.size);
    ts_put(s, "layer-of-21", 11, q);
    CHECK(ts_size(s, "cache:a") == a.size);

    /* racy: the directory's mtime is not older than the file's start (a change in the same clock tick
       would keep it): the file is written untrusted, and a blob removed with the mtime put back (what
       such a change looks like) is still noticed */
    ts_mtime(bd, 3600);
    CHECK(ts_size(s, "cache:b") == b.size);
    CHECK(ts_cache_flag(cf) == 0);
    CHECK(stat(bd, &st) == 0);
    snprintf(q, sizeof q, "%s/%s", bd, b.config + 7);
    CHECK(unlink(q) == 0);
    {
        struct timespec t[2];
        t[0] = st.st_mtim; t[1] = st.st_mtim;
        CHECK(utimensat(AT_FDCWD, bd, t, 0) == 0);
    }
    CHECK(ts_size(s, "cache:b") == -1 && ts_nstats > 0 && ts_ngets == 0);   /* manifests still from the file */
    /* a manifest removed the same way: the image is gone, never served from the file */
    snprintf(q, sizeof q, "%s/%s", bd, b.manifest + 7);
    CHECK(unlink(q) == 0);
    {
        struct timespec t[2];
        t[0] = st.st_mtim; t[1] = st.st_mtim;
        CHECK(utimensat(AT_FDCWD, bd, t, 0) == 0);
    }
    CHECK(ts_size(s, "cache:b") == -2);
    CHECK(ts_size(s, "cache:a") == a.size);
    CHECK(crioimg_store_remove(s, "cache:b") == CRIOIMG_OK);

    /* a damaged file is ignored (the listing is right) and written again */
    ts_mtime(bd, -3600);
    CHECK(ts_size(s, "cache:a") == a.size && ts_cache_flag(cf) == 1);
    n = ts_slurp(cf, orig, sizeof orig);
    CHECK(n > 100 && n < sizeof orig);
    for (i = 0; i < 6; i++) {
        size_t m = n;
        memcpy(buf, orig, n);
        switch (i) {
        case 0: m = n / 2; break;                                   /* torn */
        case 1: buf[n / 2] ^= 0x20; break;                          /* a bit flipped: the checksum */
        case 2: m = 0; break;                                       /* empty */
        case 3: memcpy(buf, "not a cache at all", 18); m = 18; break;
        case 4: {                                                   /* a planted path, checksum fixed up */
            unsigned char *c = buf + CRIOIMG__ST_CHDR + 1 + 71 + 1 + 8 + 16 + 1;   /* the config digest */
            CHECK(memcmp(c, a.config, 71) == 0);
            memcpy(c + 7, "../../etc/passwd", 16);
            crioimg__st_put64(buf + n - 8, crioimg__st_csum(buf, n - 8));
            break;
        }
        case 5: {                                                   /* a wrong record count */
            crioimg__st_put64(buf + CRIOIMG__ST_CHDR - 8, 0);       /* a count that is wrong */
            crioimg__st_put64(buf + n - 8, crioimg__st_csum(buf, n - 8));
            break;
        }
        }
        tests_context = i == 0 ? "torn cache" : i == 1 ? "flipped cache" : i == 2 ? "empty cache" : i == 3 ? "garbage cache" : i == 4 ? "planted cache" : "miscounted cache";
        ts_spit(cf, buf, m);
        CHECK(ts_size(s, "cache:a") == a.size && ts_ngets == 1);    /* read again, not from the file */
        CHECK(ts_size(s, "cache:a") == a.size && ts_ngets == 0 && ts_nstats == 0);   /* written again */
    }
    /* a blob whose stat fails other than "missing" (EOVERFLOW on a 32-bit build without 64-bit offsets):
       no file is written, so none can tell later readers the blob is missing */
    tests_context = "oci cache: a stat that failed";
    unlink(cf);
    ts_stat_fail = a.own;
    CHECK(ts_size(s, "cache:a") == -1 && access(cf, F_OK) != 0);
    ts_stat_fail = NULL;
    CHECK(ts_size(s, "cache:a") == a.size && access(cf, F_OK) == 0);
    CHECK(ts_size(s, "cache:a") == a.size && ts_ngets == 0 && ts_nstats == 0);
    /* the file as a symlink: not followed, and replaced (the link, not what it points at) */
    tests_context = "oci cache";
    snprintf(q, sizeof q, "%s/outside", dir);
    ts_spit(q, orig, n);
    unlink(cf);
    CHECK(symlink(q, cf) == 0);
    CHECK(ts_size(s, "cache:a") == a.size && ts_ngets == 1);
    CHECK(lstat(cf, &st) == 0 && S_ISREG(st.st_mode));
    CHECK(ts_slurp(q, buf, sizeof buf) == n && memcmp(buf, orig, n) == 0);
    crioimg_store_close(s);

    /* read-only, on a layout crioimg does not manage (no lock file): nothing written */
    unlink(cf);
    snprintf(q, sizeof q, "%s/.crioimg.lock", p);
    unlink(q);
    o.create = 0; o.read_only = 1;
    CHECK(crioimg_store_open_oci(&s2, p, &o) == CRIOIMG_OK);
    if (s2) {
        CHECK(ts_count(s2) == 1);
        CHECK(access(cf, F_OK) != 0);
        crioimg_store_close(s2);
    }
    {
        char cmd[600];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        CHECK(system(cmd) == 0);
    }
    tests_context = "";
}

/* ---- fault injection: writes that fail with ENOSPC or EIO lose nothing ---- */

static int ts_fault_kind = -1;     /* 0 write, 1 fsync, 2 rename, 3 any; -1 none */
static long ts_fault_at, ts_fault_calls, ts_fault_hits;
static int ts_fault_errno = ENOSPC;

/* Counted atomically: a pull's workers write their blobs from several threads at once. */
static int ts_fault_hit(int kind)
{
    if (ts_fault_kind != kind && ts_fault_kind != 3) return 0;
#if (defined(__GNUC__) || defined(__clang__)) && !defined(__TINYC__)
    if (__atomic_add_fetch(&ts_fault_calls, 1, __ATOMIC_RELAXED) != ts_fault_at) return 0;
    __atomic_add_fetch(&ts_fault_hits, 1, __ATOMIC_RELAXED);
#else
    if (++ts_fault_calls != ts_fault_at) return 0;
    ts_fault_hits++;
#endif
    return 1;
}
static ssize_t ts_f_write(int fd, const void *b, size_t n)
{
    if (!ts_fault_hit(0)) return write(fd, b, n);
    if (n > 1 && write(fd, b, n / 2) < 0) return -1;   /* the disk filled up half way */
    errno = ts_fault_errno;
    return -1;
}
static int ts_f_fsync(int fd)
{
    if (!ts_fault_hit(1)) return fsync(fd);
    errno = ts_fault_errno;
    return -1;
}
static int ts_f_renameat(int a, const char *b, int c, const char *d)
{
    if (!ts_fault_hit(2)) return renameat(a, b, c, d);
    errno = ts_fault_errno;
    return -1;
}
static void ts_fault(int kind, long at, int err)
{
    crioimg__store_fault.write = ts_f_write;
    crioimg__store_fault.fsync = ts_f_fsync;
    crioimg__store_fault.renameat = ts_f_renameat;
    ts_fault_kind = kind; ts_fault_at = at; ts_fault_calls = 0; ts_fault_hits = 0; ts_fault_errno = err;
}

/* Temporary files in the store's root. */
static int ts_tmpfiles(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int n = 0;
    while (d && (de = readdir(d)) != NULL) if (strncmp(de->d_name, ".crioimg-tmp-", 13) == 0) n++;
    if (d) closedir(d);
    return n;
}

/* The store opens clean (a new handle) and every image it lists has all its blobs. */
static size_t ts_reopen_check(const char *p)
{
    crioimg_store *s2 = NULL;
    crioimg_store_opts o;
    crioimg_image_list l;
    size_t i, n = (size_t)-1;
    memset(&o, 0, sizeof o);
    CHECK(crioimg_store_open_oci(&s2, p, &o) == CRIOIMG_OK);
    if (s2 == NULL) return n;
    CHECK(crioimg_store_list(s2, NULL, &l) == CRIOIMG_OK);
    for (i = 0; i < l.n; i++) CHECK(l.images[i].size > 0);
    n = l.n;
    crioimg_image_list_free(&l);
    crioimg_store_close(s2);
    return n;
}

/* A store whose creation was killed between its two renames (the empty index.json, no oci-layout):
   refused as it is, finished by the next open that creates; any other index.json without oci-layout
   stays refused. */
static void test_store_interrupted_create(void)
{
    static const char empty[] = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":[]}";
    static const char other[] = "{\"schemaVersion\":2,\"manifests\":[]}";
    char dir[] = "/tmp/crioimg-test-create-XXXXXX", p[256];
    int k;
    tests_context = "interrupted creation";
    if (mkdtemp(dir) == NULL) { CHECK(0); return; }
    for (k = 0; k < 2; k++) {
        crioimg_store *s = NULL;
        crioimg_store_opts o;
        FILE *f;
        snprintf(p, sizeof p, "%s/index.json", dir);
        f = fopen(p, "w");
        if (f) { fputs(k == 0 ? empty : other, f); fclose(f); }
        memset(&o, 0, sizeof o);
        CHECK(crioimg_store_open_oci(&s, dir, &o) == CRIOIMG_ERR_STORE_CORRUPT);
        o.create = 1;
        CHECK(crioimg_store_open_oci(&s, dir, &o) == (k == 0 ? CRIOIMG_OK : CRIOIMG_ERR_STORE_CORRUPT));
        crioimg_store_close(s);
        snprintf(p, sizeof p, "%s/oci-layout", dir);
        CHECK(access(p, F_OK) == (k == 0 ? 0 : -1));
        unlink(p);
    }
    snprintf(p, sizeof p, "rm -rf '%s'", dir);
    CHECK(system(p) == 0);
    tests_context = "";
}

static void test_store_faults(void)
{
    char dir[] = "/tmp/crioimg-test-faults-XXXXXX", p[128], q[1024], idx0[65536], d[72];
    crioimg_store *s = NULL;
    crioimg_store_opts o;
    ts_image a;
    const char *na[] = { "keep:1" };
    static const int errs[] = { ENOSPC, EIO };
    static const char *const what[] = { "cannot write", "cannot fsync", "cannot rename" };
    int kind, e;
    unsigned k;
    long hits;
    tests_context = "faults";
    if (mkdtemp(dir) == NULL) { CHECK(0); return; }
    snprintf(p, sizeof p, "%s/store", dir);
    snprintf(q, sizeof q, "%s/index.json", p);
    memset(&o, 0, sizeof o);
    o.create = 1;
    CHECK(crioimg_store_open_oci(&s, p, &o) == CRIOIMG_OK);
    if (s == NULL) return;
    ts_make(s, 41, &a);
    CHECK(crioimg_store_add_image(s, a.manifest, na, 1) == CRIOIMG_OK);
    snprintf(idx0, sizeof idx0, "%s", ts_read(q));

    for (kind = 0; kind < 3; kind++)
        for (e = 0; e < 2; e++) {
            crioimg_blob_writer *w;
            void *data;
            size_t len;
            crioimg_result r;
            char blob[32];
            int n = snprintf(blob, sizeof blob, "fault blob %d %d", kind, e);
            tests_context = what[kind];
            ts_digest(blob, (size_t)n, d);
            /* a blob write: ERR_IO with the call and the errno in the detail; no blob, no temporary file */
            ts_fault(kind, 1, errs[e]);
            CHECK(crioimg_store_put_blob(s, d, blob, (size_t)n) == CRIOIMG_ERR_IO && ts_fault_hits == 1);
            CHECK(strstr(crioimg_store_error(s), what[kind]) != NULL && strstr(crioimg_store_error(s), strerror(errs[e])) != NULL);
            ts_fault(-1, 0, 0);
            CHECK(crioimg_store_get_blob(s, d, 0, &data, &len) == CRIOIMG_ERR_NOT_FOUND);
            CHECK(ts_tmpfiles(p) == 0);
            /* the same as a streaming write: the failure surfaces at the write or at the commit */
            ts_fault(kind, 1, errs[e]);
            CHECK(crioimg_store_blob_begin(s, d, n, &w) == CRIOIMG_OK);
            r = crioimg_blob_writer_write(w, blob, (size_t)n);
            CHECK(r == (kind == 0 ? CRIOIMG_ERR_IO : CRIOIMG_OK));
            CHECK(crioimg_blob_writer_commit(w) == CRIOIMG_ERR_IO && ts_fault_hits == 1);
            CHECK(strstr(crioimg_store_error(s), what[kind]) != NULL);
            ts_fault(-1, 0, 0);
            CHECK(crioimg_store_get_blob(s, d, 0, &data, &len) == CRIOIMG_ERR_NOT_FOUND);
            CHECK(ts_tmpfiles(p) == 0);
            /* with the early sync a pull makes (outside the locks): a failed fsync there is reported by
               the commit, with its errno, and nothing is stored */
            ts_fault(kind, 1, errs[e]);
            CHECK(crioimg_store_blob_begin(s, d, n, &w) == CRIOIMG_OK);
            r = crioimg_blob_writer_write(w, blob, (size_t)n);
            CHECK(crioimg_blob_writer_sync(w) == (kind == 0 ? CRIOIMG_ERR_IO : kind == 1 ? CRIOIMG_ERR_IO : CRIOIMG_OK));
            CHECK(crioimg_blob_writer_commit(w) == CRIOIMG_ERR_IO && ts_fault_hits == 1);
            CHECK(strstr(crioimg_store_error(s), what[kind]) != NULL && strstr(crioimg_store_error(s), strerror(errs[e])) != NULL);
            ts_fault(-1, 0, 0);
            CHECK(crioimg_store_get_blob(s, d, 0, &data, &len) == CRIOIMG_ERR_NOT_FOUND);
            CHECK(ts_tmpfiles(p) == 0);
            /* an index.json write: ERR_IO; the old index is there, byte for byte, and reads */
            ts_fault(kind, 1, errs[e]);
            CHECK(crioimg_store_tag(s, "keep:1", "new:1") == CRIOIMG_ERR_IO && ts_fault_hits == 1);
            CHECK(strstr(crioimg_store_error(s), what[kind]) != NULL && strstr(crioimg_store_error(s), strerror(errs[e])) != NULL);
            ts_fault(-1, 0, 0);
            CHECK_STR(ts_read(q), idx0);
            CHECK(ts_count(s) == 1 && ts_status(s, "keep:1", d) == CRIOIMG_OK && ts_status(s, "new:1", d) == CRIOIMG_ERR_IMAGE_UNKNOWN);
            CHECK(ts_tmpfiles(p) == 0);
            CHECK(ts_reopen_check(p) == 1);
            /* a removal: the index is written first, so a failure there removes nothing */
            ts_fault(kind, 1, errs[e]);
            CHECK(crioimg_store_remove(s, "keep:1") == CRIOIMG_ERR_IO);
            ts_fault(-1, 0, 0);
            CHECK_STR(ts_read(q), idx0);
            CHECK(ts_reopen_check(p) == 1);
        }
    /* a listing whose cache write fails still lists, and leaves nothing behind */
    tests_context = "faults: cache";
    for (kind = 0; kind < 3; kind += 2) {   /* write and rename: the cache is never fsynced */
        char cf[256];
        snprintf(cf, sizeof cf, "%s/.crioimg-cache", p);
        unlink(cf);
        ts_fault(kind, 1, EIO);
        CHECK(ts_count(s) == 1 && ts_fault_hits == 1);
        ts_fault(-1, 0, 0);
        CHECK(ts_tmpfiles(p) == 0 && access(cf, F_OK) != 0);
    }
    /* every write, fsync and rename of a whole pull-and-tag, failed in turn: the store never lists a
       half image, never keeps a temporary file, and opens clean */
    tests_context = "faults: each call in turn";
    for (k = 1; k < 200; k++) {
        ts_image b;
        const char *nb[] = { "each:1" };
        char cfg[256], layer[64], man[1024];
        static const char common[] = "the layer every test image shares";
        size_t cn = ts_config(cfg, sizeof cfg, 42), ln = (size_t)snprintf(layer, sizeof layer, "layer-of-%u", 42u), mn;
        crioimg_result r = CRIOIMG_OK;
        ts_digest(cfg, cn, b.config);
        ts_digest(layer, ln, b.own);
        ts_digest(common, sizeof common - 1, b.common);
        mn = (size_t)snprintf(man, sizeof man,
            "{\"schemaVersion\":2,\"mediaType\":\"" CRIOIMG_MEDIA_OCI_MANIFEST "\",\"config\":{\"mediaType\":\"" CRIOIMG_MEDIA_OCI_CONFIG
            "\",\"digest\":\"%s\",\"size\":%u},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"%s\",\"size\":%u},"
            "{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"%s\",\"size\":%u}]}",
            b.config, (unsigned)cn, b.common, (unsigned)(sizeof common - 1), b.own, (unsigned)ln);
        ts_digest(man, mn, b.manifest);
        ts_fault(3, (long)k, k % 2 ? ENOSPC : EIO);
        if (r == CRIOIMG_OK) r = crioimg_store_put_blob(s, b.config, cfg, cn);
        if (r == CRIOIMG_OK) r = crioimg_store_put_blob(s, b.own, layer, ln);
        if (r == CRIOIMG_OK) r = crioimg_store_put_blob(s, b.common, common, sizeof common - 1);
        if (r == CRIOIMG_OK) r = crioimg_store_put_blob(s, b.manifest, man, mn);
        if (r == CRIOIMG_OK) r = crioimg_store_add_image(s, b.manifest, nb, 1);
        if (r == CRIOIMG_OK) r = crioimg_store_tag(s, "each:1", "each:2");
        if (r == CRIOIMG_OK) r = crioimg_store_remove(s, "each:1");
        hits = ts_fault_hits;
        ts_fault(-1, 0, 0);
        CHECK(r == CRIOIMG_OK || r == CRIOIMG_ERR_IO);
        CHECK(r == CRIOIMG_OK || hits == 1);
        CHECK(ts_tmpfiles(p) == 0);
        CHECK(ts_reopen_check(p) == 1 || ts_reopen_check(p) == 2);
        CHECK(ts_status(s, "keep:1", d) == CRIOIMG_OK);
        (void)crioimg_store_remove(s, "each:1");   /* whatever of it got in */
        if (hits == 0) break;                       /* past the last call: the whole sequence ran */
    }
    CHECK(k > 10 && k < 200);
    ts_fault(-1, 0, 0);
    crioimg_store_close(s);
    CHECK(ts_reopen_check(p) == 1);
    {
        char cmd[600];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        CHECK(system(cmd) == 0);
    }
    tests_context = "";
}
#endif

static crioimg_result ts_never_open(void *u, const char *d, void **h, long long *sz)
{
    (void)u; (void)d; (void)h; (void)sz;
    CHECK(0);   /* a version-1 table has no such field: never read, never called */
    return CRIOIMG_ERR_IO;
}

/* A version-1 host (the memory store's methods, as a host built against the version-1 header would
   give them): readers fall back to blob_get, with the same verification. */
static void test_store_reader_v1(void)
{
    crioimg_store *ms, *s;
    crioimg_store_vtable vt;
    CHECK(crioimg_store_open_memory(&ms, NULL) == CRIOIMG_OK);
    if (ms == NULL) return;
    vt = ms->vt;
    vt.version = 1;
    vt.close = NULL;             /* ms closes it */
    vt.blob_open = ts_never_open;
    vt.blob_read = NULL; vt.blob_close = NULL;
    CHECK(crioimg_store_open(&s, &vt, NULL) == CRIOIMG_OK);
    if (s) {
        CHECK(s->vt.blob_open == NULL);   /* only version 1's fields were copied */
        test_store_reader(s, "version-1 host store");
        crioimg_store_close(s);
    }
    crioimg_store_close(ms);
}

/* A source that never ends and never says its size (a network stream, a corrupt archive): counts
   what it hands out, so the copy is seen to stop at the descriptor's size, not at the source's end. */
static unsigned long long ts_endless_served;
static crioimg_result ts_endless_open(void *u, const char *d, void **h, long long *sz)
{
    (void)u; (void)d;
    *h = &ts_endless_served; *sz = -1;
    return CRIOIMG_OK;
}
static crioimg_result ts_endless_read(void *u, void *h, void *buf, size_t cap, size_t *n)
{
    (void)u; (void)h;
    memset(buf, 'x', cap);
    *n = cap;
    ts_endless_served += cap;
    return CRIOIMG_OK;
}
static void ts_endless_close(void *u, void *h) { (void)u; (void)h; }
/* A version-1 source (blob_get only): the most it was asked for */
static size_t ts_v1_max;
static crioimg_result ts_v1_get(void *u, const char *d, size_t max, const crioimg_allocator *a, void **data, size_t *len)
{
    ts_v1_max = max;
    return crioimg__mem_blob_get(u, d, max, a, data, len);
}

/* ListImages(filter): a filter that is no name is the seed's getRef error; one that names nothing, an empty
   list and no error. */
static void test_store_list_filter(void)
{
    crioimg_store *s;
    crioimg_image_list l;
    ts_image a;
    crioimg_result r;
    tests_context = "list filter";
    CHECK(crioimg_store_open_memory(&s, NULL) == CRIOIMG_OK);
    ts_make(s, 7, &a);
    CHECK(crioimg_store_add_image(s, a.manifest, NULL, 0) == CRIOIMG_OK);
    r = crioimg_store_list(s, "Bad!", &l);
    CHECK(r == CRIOIMG_ERR_IMAGE_NAME_INVALID || (r <= CRIOIMG_ERR_REF_FORMAT && r >= CRIOIMG_ERR_REF_BAD_PATTERN));
    CHECK(l.n == 0 && crioimg_store_error(s)[0] != '\0');
    r = crioimg_store_list(s, "Upper/case", &l);
    CHECK(r != CRIOIMG_OK && strstr(crioimg_store_error(s), "must be lowercase") != NULL);
    CHECK(crioimg_store_list(s, "nosuch:1", &l) == CRIOIMG_OK && l.n == 0);
    crioimg_image_list_free(&l);
    CHECK(crioimg_store_list(s, a.id, &l) == CRIOIMG_OK && l.n == 1);
    crioimg_image_list_free(&l);
    crioimg_store_close(s);
}

/* crioimg_store_copy_blob / copy_image: bounded by the descriptor, verified before visible. */
static void test_store_copy(void)
{
    static unsigned char big[300000];
    crioimg_store *src, *dst, *odd;
    crioimg_store_vtable vt;
    char d[72], id[65];
    ts_image a;
    const char *names[] = { "copied:1", "quay.io/c/d:2" };
    size_t i;
    long long have;
    struct { const char *what; long long size; crioimg_result want; const char *err; } rows[] = {
        { "its size", (long long)sizeof big, CRIOIMG_OK, "" },
        { "no size given", -1, CRIOIMG_OK, "" },
        { "descriptor smaller: refused before reading", 143, CRIOIMG_ERR_SIZE_MISMATCH, "the source has 300000 bytes, its descriptor says 143" },
        { "descriptor bigger", (long long)sizeof big + 1, CRIOIMG_ERR_SIZE_MISMATCH, "the source has 300000 bytes, its descriptor says 300001" },
        { "empty descriptor", 0, CRIOIMG_ERR_SIZE_MISMATCH, "its descriptor says 0" },
    };
    tests_context = "copy";
    CHECK(crioimg_store_open_memory(&src, NULL) == CRIOIMG_OK);
    for (i = 0; i < sizeof big; i++) big[i] = (unsigned char)(i * 7 + (i >> 11));
    ts_digest(big, sizeof big, d);
    CHECK(crioimg_store_put_blob(src, d, big, sizeof big) == CRIOIMG_OK);
    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        tests_context = rows[i].what;
        CHECK(crioimg_store_open_memory(&dst, NULL) == CRIOIMG_OK);
        CHECK(crioimg_store_copy_blob(dst, src, d, rows[i].size) == rows[i].want);
        CHECK(strstr(crioimg_store_error(dst), rows[i].err) != NULL);
        CHECK((crioimg__mem_blob_stat(dst->vt.user, d, &have) == CRIOIMG_OK) == (rows[i].want == CRIOIMG_OK));
        crioimg_store_close(dst);
    }
    tests_context = "copy";
    CHECK(crioimg_store_open_memory(&dst, NULL) == CRIOIMG_OK);
    /* the source's bytes no longer match: nothing lands */
    ts_tamper(src, d);
    CHECK(crioimg_store_copy_blob(dst, src, d, (long long)sizeof big) == CRIOIMG_ERR_DIGEST_MISMATCH);
    CHECK(crioimg__mem_blob_stat(dst->vt.user, d, &have) == CRIOIMG_ERR_NOT_FOUND);
    ts_tamper(src, d);
    CHECK(crioimg_store_copy_blob(dst, src, "sha256:0000000000000000000000000000000000000000000000000000000000000000", 5) == CRIOIMG_ERR_NOT_FOUND);
    CHECK(strstr(crioimg_store_error(dst), "not in the store") != NULL);
    CHECK(crioimg_store_copy_blob(dst, src, "sha256:../../x", 5) == CRIOIMG_ERR_DIGEST_FORMAT);
    /* an endless source with no size: cut off at the first piece past the descriptor */
    memset(&vt, 0, sizeof vt);
    vt = src->vt;
    vt.close = NULL;
    vt.blob_open = ts_endless_open; vt.blob_read = ts_endless_read; vt.blob_close = ts_endless_close;
    CHECK(crioimg_store_open(&odd, &vt, NULL) == CRIOIMG_OK);
    ts_endless_served = 0;
    CHECK(crioimg_store_copy_blob(dst, odd, d, 1000000) == CRIOIMG_ERR_SIZE_MISMATCH);
    CHECK(ts_endless_served > 1000000 && ts_endless_served <= 1000000 + ((size_t)1 << 20));
    CHECK(strstr(crioimg_store_error(dst), "more bytes than its size") != NULL);
    crioimg_store_close(odd);
    /* a version-1 source is asked for no more than the descriptor says */
    vt = src->vt;
    vt.version = 1; vt.close = NULL; vt.blob_get = ts_v1_get;
    CHECK(crioimg_store_open(&odd, &vt, NULL) == CRIOIMG_OK);
    CHECK(crioimg_store_copy_blob(dst, odd, d, 143) == CRIOIMG_ERR_SIZE_MISMATCH && ts_v1_max == 143);
    CHECK(crioimg_store_copy_blob(dst, odd, d, (long long)sizeof big) == CRIOIMG_OK && ts_v1_max == sizeof big);
    crioimg_store_close(odd);
    /* whole images; one already there is not copied again */
    ts_make(src, 41, &a);
    CHECK(crioimg_store_copy_image(dst, src, a.manifest, names, 2) == CRIOIMG_OK);
    CHECK(ts_status(dst, "copied:1", id) == CRIOIMG_OK && strcmp(id, a.id) == 0);
    CHECK(ts_status(dst, "quay.io/c/d:2", id) == CRIOIMG_OK && strcmp(id, a.id) == 0);
    CHECK(crioimg_store_copy_image(dst, src, a.manifest, NULL, 0) == CRIOIMG_OK);
    CHECK(crioimg_store_copy_image(dst, src, d, NULL, 0) != CRIOIMG_OK);   /* not a manifest */
    {   /* a manifest whose layer descriptor lies about its size: no entry, an error naming the blob */
        char man[1024], md[72];
        size_t mn = (size_t)snprintf(man, sizeof man,
            "{\"schemaVersion\":2,\"mediaType\":\"" CRIOIMG_MEDIA_OCI_MANIFEST "\",\"config\":{\"mediaType\":\"" CRIOIMG_MEDIA_OCI_CONFIG
            "\",\"digest\":\"%s\",\"size\":%lld},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"%s\",\"size\":143}]}",
            a.config, (long long)ts_config(man, sizeof man, 41), d);
        crioimg_store *dst2;
        ts_put(src, man, mn, md);
        CHECK(crioimg_store_open_memory(&dst2, NULL) == CRIOIMG_OK);
        CHECK(crioimg_store_copy_image(dst2, src, md, names, 1) == CRIOIMG_ERR_SIZE_MISMATCH);
        CHECK(strstr(crioimg_store_error(dst2), d) != NULL && strstr(crioimg_store_error(dst2), "its descriptor says 143") != NULL);
        CHECK(ts_count(dst2) == 0);
        CHECK(((crioimg__mem *)dst2->vt.user)->nb == 0);   /* the config it wrote was taken back */
        crioimg_store_close(dst2);
    }
    {   /* the destination's cancel flag set: the copy stops with ERR_CANCELLED and leaves nothing */
        crioimg_store *dst4;
        crioimg_store_opts co;
        volatile int stop = 1;
        memset(&co, 0, sizeof co);
        co.cancel = &stop;
        CHECK(crioimg_store_open_memory(&dst4, &co) == CRIOIMG_OK);
        CHECK(crioimg_store_copy_image(dst4, src, a.manifest, names, 1) == CRIOIMG_ERR_CANCELLED);
        CHECK(strstr(crioimg_store_error(dst4), "cancelled") != NULL);
        CHECK(ts_count(dst4) == 0 && ((crioimg__mem *)dst4->vt.user)->nb == 0);
        stop = 0;
        CHECK(crioimg_store_copy_image(dst4, src, a.manifest, names, 1) == CRIOIMG_OK);
        crioimg_store_close(dst4);
    }
    {   /* an index (skopeo copy --all): the platform's image is copied and named, the index is not stored */
        ts_image x86, arm;
        char idx[1024], idd[72], iid[65];
        const char *nm[] = { "multi:1" };
        size_t in;
        crioimg_platform pl;
        crioimg_store *dst3;
        long long sz;
        ts_make(src, 71, &x86);
        ts_make(src, 72, &arm);
        in = (size_t)snprintf(idx, sizeof idx, "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":["
            "{\"mediaType\":\"" CRIOIMG_MEDIA_OCI_MANIFEST "\",\"digest\":\"%s\",\"size\":1,\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"}},"
            "{\"mediaType\":\"" CRIOIMG_MEDIA_OCI_MANIFEST "\",\"digest\":\"%s\",\"size\":1,\"platform\":{\"architecture\":\"arm64\",\"os\":\"linux\"}}]}",
            x86.manifest, arm.manifest);
        ts_put(src, idx, in, idd);
        memset(&pl, 0, sizeof pl);
        pl.os = "linux"; pl.architecture = "arm64"; pl.variant = ""; pl.os_version = "";
        CHECK(crioimg_store_open_memory(&dst3, NULL) == CRIOIMG_OK);
        CHECK(crioimg_store_copy_image_platform(dst3, src, idd, &pl, nm, 1) == CRIOIMG_OK);
        CHECK(ts_status(dst3, "multi:1", iid) == CRIOIMG_OK && strcmp(iid, arm.id) == 0);
        CHECK(crioimg_store_blob_stat(dst3, idd, &sz) == CRIOIMG_ERR_NOT_FOUND);
        CHECK(crioimg_store_blob_stat(dst3, x86.own, &sz) == CRIOIMG_ERR_NOT_FOUND);
        pl.architecture = "s390x";
        CHECK(crioimg_store_copy_image_platform(dst3, src, idd, &pl, nm, 1) != CRIOIMG_OK);
        CHECK(strstr(crioimg_store_error(dst3), "s390x") != NULL && strstr(crioimg_store_error(dst3), idd) != NULL);
        CHECK(crioimg_store_copy_image(dst3, src, idd, nm, 1) == CRIOIMG_OK || strstr(crioimg_store_error(dst3), "index") != NULL);
        crioimg_store_close(dst3);
    }
    crioimg_store_close(dst);
    crioimg_store_close(src);
    tests_context = "";
}

/* An allocator that knows the peak of what is allocated at once: memory is asserted, not guessed. */
typedef struct ts_meter { size_t now, peak; } ts_meter;
static void *ts_m_alloc(size_t n, void *u)
{
    ts_meter *m = (ts_meter *)u;
    size_t *p = (size_t *)malloc(n + sizeof(size_t) * 2);
    if (p == NULL) return NULL;
    p[0] = n;
    m->now += n;
    if (m->now > m->peak) m->peak = m->now;
    return p + 2;
}
static void ts_m_free(void *q, void *u)
{
    if (q) { size_t *p = (size_t *)q - 2; ((ts_meter *)u)->now -= p[0]; free(p); }
}
static void *ts_m_realloc(void *q, size_t n, void *u)
{
    void *r = ts_m_alloc(n, u);
    if (r && q) { size_t old = ((size_t *)q)[-2]; memcpy(r, q, old < n ? old : n); }
    if (r) ts_m_free(q, u);
    return r;
}

static double ts_seconds(clock_t since) { return (double)(clock() - since) / CLOCKS_PER_SEC; }

/* Listing and naming are O(n log n) in the index, and repo digests are bounded (one per repository
   plus one per named entry), whatever the index's shape: one image with 100,000 names, and 4,000
   manifests of one config each named in its own repository (which made 16 million repo digests, 1.6
   GB, when every name was paired with every manifest). CPU-time bounds are loose (the quadratic
   versions took minutes); the memory bounds are what the allocator saw at its peak. */
static void test_store_scale(void)
{
    enum { NAMES = 100000, SHARED = 4000 };
    crioimg_store *s;
    crioimg_store_opts o;
    ts_meter m;
    crioimg_store_entry *e;
    crioimg_image_list l;
    ts_image a;
    char (*nm)[48];
    size_t i;
    clock_t t0;
    memset(&o, 0, sizeof o);
    memset(&m, 0, sizeof m);
    o.alloc.alloc = ts_m_alloc; o.alloc.realloc = ts_m_realloc; o.alloc.free = ts_m_free; o.alloc.user = &m;
    e = (crioimg_store_entry *)malloc(NAMES * sizeof *e);
    nm = (char (*)[48])malloc(NAMES * sizeof *nm);
    if (!CHECK(e && nm) || !CHECK(crioimg_store_open_memory(&s, &o) == CRIOIMG_OK)) { free(e); free(nm); return; }
    tests_context = "100,000 names on one image";
    ts_make(s, 51, &a);
    /* every 10th name is a second tag of the repository before it, every 100th repeats a name */
    for (i = 0; i < NAMES; i++) {
        if (i % 100 == 99) snprintf(nm[i], sizeof nm[i], "example.com/r%u:v1", (unsigned)(i - 1));
        else if (i % 10 == 9) snprintf(nm[i], sizeof nm[i], "example.com/r%u:v2", (unsigned)(i - 1));
        else snprintf(nm[i], sizeof nm[i], "example.com/r%u:v1", (unsigned)i);
        e[i].name = nm[i]; e[i].media_type = CRIOIMG_MEDIA_OCI_MANIFEST; e[i].digest = a.manifest; e[i].size = 100;
    }
    CHECK(s->vt.write_index(s->vt.user, e, NAMES) == CRIOIMG_OK);
    m.peak = m.now;
    t0 = clock();
    CHECK(crioimg_store_list(s, NULL, &l) == CRIOIMG_OK && l.n == 1);
    if (l.n == 1) {
        CHECK(l.images[0].nnames == NAMES - NAMES / 100);
        CHECK(l.images[0].ndigests == NAMES - NAMES / 10);   /* one per repository: one manifest */
        CHECK_STR(l.images[0].names[1], "example.com/r1:v1");
        CHECK_STR(l.images[0].names[9], "example.com/r8:v2");
    }
    crioimg_image_list_free(&l);
    CHECK(ts_seconds(t0) < 5.0);
    CHECK(m.peak - m.now < (size_t)64 << 20);
    t0 = clock();
    CHECK(crioimg_store_tag(s, "example.com/r5:v1", "example.com/new:1") == CRIOIMG_OK);
    CHECK(crioimg_store_untag(s, "example.com/r6:v1") == CRIOIMG_OK);
    {
        char id[65];
        CHECK(ts_status(s, "example.com/new:1", id) == CRIOIMG_OK && strcmp(id, a.id) == 0);
    }
    CHECK(crioimg_store_remove(s, "example.com/r7:v1") == CRIOIMG_OK);
    CHECK(ts_count(s) == 0);
    CHECK(ts_seconds(t0) < 5.0);
    {   /* 100,000 names given at once, then one name on 100,000 entries taken by another image */
        const char **np = (const char **)malloc(NAMES * sizeof *np);
        ts_image b;
        char id[65];
        ts_make(s, 53, &a);
        ts_make(s, 54, &b);
        for (i = 0; np && i < NAMES; i++) np[i] = nm[i];
        t0 = clock();
        CHECK(np && crioimg_store_add_image(s, a.manifest, np, NAMES) == CRIOIMG_OK);
        CHECK(crioimg_store_list(s, NULL, &l) == CRIOIMG_OK && l.n == 1 && l.images[0].nnames == NAMES - NAMES / 100);
        crioimg_image_list_free(&l);
        for (i = 0; i < NAMES; i++) { e[i].name = "example.com/dup:1"; e[i].digest = a.manifest; }
        CHECK(s->vt.write_index(s->vt.user, e, NAMES) == CRIOIMG_OK);
        CHECK(crioimg_store_add_image(s, b.manifest, NULL, 0) == CRIOIMG_OK);
        CHECK(crioimg_store_tag(s, b.id, "example.com/dup:1") == CRIOIMG_OK);
        CHECK(ts_status(s, "example.com/dup:1", id) == CRIOIMG_OK && strcmp(id, b.id) == 0);
        CHECK(ts_count(s) == 2);   /* a keeps an entry without a name */
        CHECK(ts_seconds(t0) < 5.0);
        free(np);
    }
    crioimg_store_close(s);

    tests_context = "4,000 manifests of one config";
    memset(&m, 0, sizeof m);
    if (!CHECK(crioimg_store_open_memory(&s, &o) == CRIOIMG_OK)) { free(e); free(nm); return; }
    {
        char cfg[256], cd[72], man[1024];
        size_t cn = ts_config(cfg, sizeof cfg, 52);
        static char md[SHARED][72];
        ts_put(s, cfg, cn, cd);
        for (i = 0; i < SHARED; i++) {
            char layer[32], ld[72];
            size_t ln = (size_t)snprintf(layer, sizeof layer, "shared-config layer %u", (unsigned)i);
            size_t mn;
            ts_put(s, layer, ln, ld);
            mn = (size_t)snprintf(man, sizeof man,
                "{\"schemaVersion\":2,\"mediaType\":\"" CRIOIMG_MEDIA_OCI_MANIFEST "\",\"config\":{\"mediaType\":\"" CRIOIMG_MEDIA_OCI_CONFIG
                "\",\"digest\":\"%s\",\"size\":%u},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"%s\",\"size\":%u}]}",
                cd, (unsigned)cn, ld, (unsigned)ln);
            ts_put(s, man, mn, md[i]);
            snprintf(nm[i], sizeof nm[i], "example.com/s%u:v1", (unsigned)i);
            e[i].name = nm[i]; e[i].media_type = CRIOIMG_MEDIA_OCI_MANIFEST; e[i].digest = md[i]; e[i].size = (long long)mn;
        }
        CHECK(s->vt.write_index(s->vt.user, e, SHARED) == CRIOIMG_OK);
        m.peak = m.now;
        t0 = clock();
        CHECK(crioimg_store_list(s, NULL, &l) == CRIOIMG_OK && l.n == 1);
        if (l.n == 1) {
            char want[160];
            CHECK(l.images[0].nnames == SHARED);
            /* each repository: the image's first manifest, and its own one (s0's are the same) */
            CHECK(l.images[0].ndigests == 2 * SHARED - 1);
            snprintf(want, sizeof want, "example.com/s7@%s", md[0]);
            if (l.images[0].ndigests == 2 * SHARED - 1) CHECK_STR(l.images[0].digests[13], want);
            snprintf(want, sizeof want, "example.com/s7@%s", md[7]);
            if (l.images[0].ndigests == 2 * SHARED - 1) CHECK_STR(l.images[0].digests[14], want);
        }
        crioimg_image_list_free(&l);
        CHECK(crioimg_store_image_status(s, "example.com/s9:v1", &l) == CRIOIMG_OK && l.n == 1 && l.images[0].ndigests == 2 * SHARED - 1);
        crioimg_image_list_free(&l);
        CHECK(ts_seconds(t0) < 5.0);
        CHECK(m.peak - m.now < (size_t)16 << 20);
    }
    crioimg_store_close(s);
    free(e);
    free(nm);
    tests_context = "";
}

#ifdef CRIOIMG__OCI_STORE
/* A blob over 4 GiB (sparse: no disk used) has its size on every target: 64-bit file offsets, never a
   stat that fails with EOVERFLOW on a 32-bit build or a size cut to size_t. */
static void test_store_oci_large(void)
{
    char dir[] = "/tmp/crioimg-test-large-XXXXXX", p[128], b[256], f[512];
    const char *d = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const long long big = 5LL << 30;
    crioimg_store *s = NULL;
    crioimg_store_opts o;
    long long size = -1;
    int fd;
    tests_context = "oci: a 5 GiB blob";
    if (mkdtemp(dir) == NULL) { CHECK(0); return; }
    memset(&o, 0, sizeof o);
    o.create = 1;
    snprintf(p, sizeof p, "%s/store", dir);
    CHECK(crioimg_store_open_oci(&s, p, &o) == CRIOIMG_OK);
    snprintf(b, sizeof b, "%s/blobs", p); (void)mkdir(b, 0755);
    snprintf(b, sizeof b, "%s/blobs/sha256", p); (void)mkdir(b, 0755);
    snprintf(f, sizeof f, "%s/%s", b, d + 7);
    fd = open(f, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0 && ftruncate(fd, (off_t)big) == 0);
    if (fd >= 0) close(fd);
    if (s) CHECK(crioimg_store_blob_stat(s, d, &size) == CRIOIMG_OK && size == big);
    crioimg_store_close(s);
    snprintf(b, sizeof b, "rm -rf '%s'", dir);
    CHECK(system(b) == 0);
}
#endif

static int ts_blobs_cb(void *ctx, const char *d, long long size) { (void)d; (void)size; (*(size_t *)ctx)++; return 0; }
static size_t ts_blobs(crioimg_store *s)
{
    size_t n = 0;
    CHECK(s->vt.blob_list(s->vt.user, ts_blobs_cb, &n) == CRIOIMG_OK);
    return n;
}

/* gc and verify, the same on any store: what a killed import left goes, images stay whole; verify
   names each broken blob and image. dir: the OCI store's directory (leftover files), or NULL. */
static void test_store_gc(crioimg_store *s, const char *dir)
{
    ts_image a, b, c;
    crioimg_store_gc_result g;
    crioimg_store_verify_result vr;
    const char *na[] = { "gc-a:1" }, *nb[] = { "gc-b:1" };
    char orphan[72], p[512];
    long long sz;
    ts_make(s, 51, &a);
    ts_make(s, 52, &b);
    CHECK(crioimg_store_add_image(s, a.manifest, na, 1) == CRIOIMG_OK);
    CHECK(crioimg_store_add_image(s, b.manifest, nb, 1) == CRIOIMG_OK);
    /* a sound store: verify finds nothing, gc removes nothing */
    CHECK(crioimg_store_verify(s, &vr) == CRIOIMG_OK);
    CHECK(vr.nproblems == 0 && vr.blobs == ts_blobs(s) && vr.images == 2);
    crioimg_store_verify_result_free(&vr);
    CHECK(crioimg_store_gc(s, &g) == CRIOIMG_OK && g.blobs == 0 && g.blob_bytes == 0);
    /* what a killed import leaves: c's blobs without its entry (the shared layer stays), and an orphan */
    ts_make(s, 53, &c);
    ts_put(s, "orphan", 6, orphan);
    if (dir) {
        snprintf(p, sizeof p, "%s/.crioimg-tmp-dead-9-9", dir);
        ts_write(p, "half");
        CHECK(ts_count(s) == 2);   /* writes the listing cache */
    }
    CHECK(crioimg_store_gc(s, &g) == CRIOIMG_OK);
    CHECK(g.blobs == 4);   /* c's manifest, config and own layer; the orphan */
    CHECK(g.blob_bytes > 6);
    if (dir) CHECK(g.files == 2 && g.file_bytes > 4);   /* the stale temporary file and the cache */
    else CHECK(g.files == 0);
    if (dir) { CHECK(access(p, F_OK) != 0); snprintf(p, sizeof p, "%s/.crioimg-cache", dir); CHECK(access(p, F_OK) != 0); }
    CHECK(crioimg_store_blob_stat(s, c.manifest, &sz) == CRIOIMG_ERR_NOT_FOUND);
    CHECK(crioimg_store_blob_stat(s, c.own, &sz) == CRIOIMG_ERR_NOT_FOUND);
    CHECK(crioimg_store_blob_stat(s, orphan, &sz) == CRIOIMG_ERR_NOT_FOUND);
    CHECK(crioimg_store_blob_stat(s, c.common, &sz) == CRIOIMG_OK);
    CHECK(ts_count(s) == 2);
    CHECK(crioimg_store_verify(s, &vr) == CRIOIMG_OK && vr.nproblems == 0);
    crioimg_store_verify_result_free(&vr);
    /* broken: a's layer altered (a blob problem), b's layer gone (an image problem) */
    ts_tamper(s, a.own);
    CHECK(s->vt.blob_delete(s->vt.user, b.own) == CRIOIMG_OK);
    CHECK(crioimg_store_verify(s, &vr) == CRIOIMG_OK);
    CHECK(vr.nproblems == 3);   /* the blob, the image that holds it, the image that misses one */
    if (vr.nproblems == 3) {
        size_t q, ia = 3, ib = 3;
        CHECK_STR(vr.problems[0].kind, "blob");
        CHECK_STR(vr.problems[0].subject, a.own);
        CHECK_STR(vr.problems[0].detail, "its content does not match its digest");
        for (q = 1; q < 3; q++) {
            CHECK_STR(vr.problems[q].kind, "image");
            if (strcmp(vr.problems[q].subject, "docker.io/library/gc-a:1") == 0) ia = q;
            if (strcmp(vr.problems[q].subject, "docker.io/library/gc-b:1") == 0) ib = q;
        }
        CHECK(ia < 3 && ib < 3);
        if (ia < 3) CHECK(strstr(vr.problems[ia].detail, a.own) != NULL && strstr(vr.problems[ia].detail, "does not match its digest") != NULL);
        if (ib < 3) CHECK(strstr(vr.problems[ib].detail, b.own) != NULL && strstr(vr.problems[ib].detail, "not in the store") != NULL);
    }
    crioimg_store_verify_result_free(&vr);
    /* a manifest that cannot be read: gc removes nothing, and says why */
    ts_put(s, "orphan", 6, orphan);
    ts_tamper(s, a.manifest);
    CHECK(crioimg_store_gc(s, &g) == CRIOIMG_ERR_STORE_CORRUPT && g.blobs == 0);
    CHECK(strstr(crioimg_store_error(s), a.manifest) != NULL);
    CHECK(crioimg_store_blob_stat(s, orphan, &sz) == CRIOIMG_OK);
    CHECK(crioimg_store_verify(s, &vr) == CRIOIMG_OK && vr.nproblems >= 3);
    crioimg_store_verify_result_free(&vr);
    ts_tamper(s, a.manifest);
    ts_tamper(s, a.own);
    CHECK(crioimg_store_remove(s, "gc-a:1") == CRIOIMG_OK);
    CHECK(crioimg_store_remove(s, "gc-b:1") == CRIOIMG_OK);
    CHECK(crioimg_store_gc(s, &g) == CRIOIMG_OK);
    CHECK(ts_blobs(s) == 0);
}

static void test_store_gc_all(void)
{
    crioimg_store *s;
    crioimg_store_vtable vt = CRIOIMG_STORE_VTABLE_INIT;
    crioimg_store_gc_result g;
    crioimg_store_verify_result vr;
    tests_context = "gc memory";
    CHECK(crioimg_store_open_memory(&s, NULL) == CRIOIMG_OK);
    test_store_gc(s, NULL);
    /* a host store without blob_list: a clear ERR_UNSUPPORTED (over the memory store's methods, which
       stays open under it: its user must outlive this handle, whose close is NULL) */
    vt = s->vt; vt.version = 3; vt.close = NULL;
    {
        crioimg_store *mem = s;
        CHECK(crioimg_store_open(&s, &vt, NULL) == CRIOIMG_OK);
        CHECK(s->vt.blob_list == NULL);
        CHECK(crioimg_store_gc(s, &g) == CRIOIMG_ERR_UNSUPPORTED);
        CHECK(strstr(crioimg_store_error(s), "blob_list") != NULL);
        CHECK(crioimg_store_verify(s, &vr) == CRIOIMG_ERR_UNSUPPORTED && vr.nproblems == 0);
        crioimg_store_close(s);
        crioimg_store_close(mem);
    }
    {   /* an index holding an index: what the inner one's images hold is not followed, so gc removes nothing */
        ts_image x;
        char inner[512], outer[512], di[72], dout[72], orphan[72];
        size_t ni, no;
        crioimg_store_entry e;
        long long sz;
        CHECK(crioimg_store_open_memory(&s, NULL) == CRIOIMG_OK);
        ts_make(s, 81, &x);
        ni = (size_t)snprintf(inner, sizeof inner, "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":["
                              "{\"mediaType\":\"" CRIOIMG_MEDIA_OCI_MANIFEST "\",\"digest\":\"%s\",\"size\":1}]}", x.manifest);
        ts_put(s, inner, ni, di);
        no = (size_t)snprintf(outer, sizeof outer, "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":["
                              "{\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"digest\":\"%s\",\"size\":%u}]}", di, (unsigned)ni);
        ts_put(s, outer, no, dout);
        ts_put(s, "orphan", 6, orphan);
        e.name = "nested:1"; e.media_type = "application/vnd.oci.image.index.v1+json"; e.digest = dout; e.size = (long long)no;
        CHECK(s->vt.write_index(s->vt.user, &e, 1) == CRIOIMG_OK);
        CHECK(crioimg_store_gc(s, &g) == CRIOIMG_ERR_UNSUPPORTED && g.blobs == 0);
        CHECK(strstr(crioimg_store_error(s), dout) != NULL);
        CHECK(crioimg_store_blob_stat(s, x.own, &sz) == CRIOIMG_OK && crioimg_store_blob_stat(s, orphan, &sz) == CRIOIMG_OK);
        crioimg_store_close(s);
    }
#ifdef CRIOIMG__OCI_STORE
    {
        char dir[] = "/tmp/crioimg-test-gc-XXXXXX", p[300];
        crioimg_store_opts o;
        tests_context = "gc oci";
        if (mkdtemp(dir) == NULL) { CHECK(0); return; }
        memset(&o, 0, sizeof o);
        o.create = 1;
        CHECK(crioimg_store_open_oci(&s, dir, &o) == CRIOIMG_OK);
        if (s) { test_store_gc(s, dir); crioimg_store_close(s); }
        snprintf(p, sizeof p, "rm -rf '%s'", dir);
        CHECK(system(p) == 0);
    }
#endif
    tests_context = "";
}

/* A constructor that fails hands its text back (opts.err), naming the directory: one row a case. */
static void test_store_ctor_err(void)
{
    char dir[] = "/tmp/crioimg-test-ctor-XXXXXX", p[256], want[512], err[512];
    static const struct { const char *sub; int make; crioimg_result r; const char *text; } rows[] = {
        { "missing", 0, CRIOIMG_ERR_NOT_FOUND, "no such directory" },
        { "afile", 1, CRIOIMG_ERR_IO, "is a file, not a directory" },
        { "empty", 2, CRIOIMG_ERR_STORE_CORRUPT, "not an OCI image layout (no oci-layout file)" },
        { "badlayout", 3, CRIOIMG_ERR_STORE_CORRUPT, "oci-layout: imageLayoutVersion is not \"1.0.0\"" },
        { "afile/below", 0, CRIOIMG_ERR_IO, "not a directory" },
    };
    size_t i;
    crioimg_store *s;
    crioimg_store_opts o;
    crioimg_store_vtable vt = CRIOIMG_STORE_VTABLE_INIT;
    if (mkdtemp(dir) == NULL) { CHECK(0); return; }
    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        tests_context = rows[i].sub;
        snprintf(p, sizeof p, "%s/%s", dir, rows[i].sub);
        if (rows[i].make == 1) ts_write(p, "x");
        if (rows[i].make >= 2) mkdir(p, 0755);
        if (rows[i].make == 3) { char q[300]; snprintf(q, sizeof q, "%s/oci-layout", p); ts_write(q, "{\"imageLayoutVersion\":\"9\"}"); }
        memset(&o, 0, sizeof o);
        o.err = err; o.errcap = sizeof err;
        strcpy(err, "stale");
        s = (crioimg_store *)&o;
        CHECK(crioimg_store_open_oci(&s, p, &o) == rows[i].r);
        CHECK(s == NULL);
        snprintf(want, sizeof want, "%s: %s", p, rows[i].text);
        CHECK_STR(err, want);
        o.errcap = 8;   /* truncated, never overflowed */
        CHECK(crioimg_store_open_oci(&s, p, &o) == rows[i].r);
        CHECK(strlen(err) == 7 && strncmp(err, p, 7) == 0);
    }
    tests_context = "ctor";
    /* success leaves the text empty; no buffer is fine */
    memset(&o, 0, sizeof o);
    o.err = err; o.errcap = sizeof err; o.create = 1;
    strcpy(err, "stale");
    snprintf(p, sizeof p, "%s/made", dir);
    CHECK(crioimg_store_open_oci(&s, p, &o) == CRIOIMG_OK);
    CHECK_STR(err, "");
    crioimg_store_close(s);
    o.err = NULL;
    snprintf(p, sizeof p, "%s/missing", dir);
    CHECK(crioimg_store_open_oci(&s, p, NULL) == CRIOIMG_ERR_NOT_FOUND);
    /* a host vtable of an unknown version, and the memory store */
    o.err = err; o.errcap = sizeof err;
    vt.version = CRIOIMG_STORE_VTABLE_VERSION + 1;
    CHECK(crioimg_store_open(&s, &vt, &o) == CRIOIMG_ERR_INVALID_ARGS);
    CHECK(strstr(err, "version") != NULL);
    CHECK(crioimg_store_open_memory(&s, &o) == CRIOIMG_OK);
    CHECK_STR(err, "");
    crioimg_store_close(s);
    snprintf(p, sizeof p, "rm -rf '%s'", dir);
    CHECK(system(p) == 0);
}

/* crioimg_store_entries_pack: one block, array then strings, as read_index hands it over. The meter
   allocator proves it is one allocation whose free returns everything; a failing one, that nothing
   leaks and *out is NULL. */
static void *ts_nomem_alloc(size_t n, void *u) { (void)n; (void)u; return NULL; }
static void *ts_nomem_realloc(void *q, size_t n, void *u) { (void)q; (void)n; (void)u; return NULL; }
static void ts_nomem_free(void *q, void *u) { (void)u; CHECK(q == NULL); }
static void test_store_entries_pack(void)
{
    static const struct { size_t n; const char *name, *mt, *digest; long long size; const char *want_name, *want_mt; } rows[] = {
        { 0, NULL, NULL, NULL, 0, NULL, NULL },                                    /* empty: a block, no entries */
        { 1, "docker.io/library/a:1", "application/vnd.oci.image.manifest.v1+json",
          "sha256:0000000000000000000000000000000000000000000000000000000000000001", 42,
          "docker.io/library/a:1", "application/vnd.oci.image.manifest.v1+json" },
        { 1, NULL, NULL, "sha256:0000000000000000000000000000000000000000000000000000000000000002", 7, "", "" }, /* NULL as "" */
        { 1, "", "", "", -1, "", "" },                                             /* "" stays "" */
        { 1000, "quay.io/x/y:tag", "m", "sha256:0000000000000000000000000000000000000000000000000000000000000003",
          1LL << 40, "quay.io/x/y:tag", "m" },                                     /* many */
    };
    size_t r, i;
    crioimg_store_entry *in, *out;
    ts_meter m;
    crioimg_allocator ma, fail;
    memset(&ma, 0, sizeof ma);
    ma.alloc = ts_m_alloc; ma.realloc = ts_m_realloc; ma.free = ts_m_free; ma.user = &m;
    memset(&fail, 0, sizeof fail);
    fail.alloc = ts_nomem_alloc; fail.realloc = ts_nomem_realloc; fail.free = ts_nomem_free;
    in = (crioimg_store_entry *)malloc(1000 * sizeof *in);
    if (!CHECK(in != NULL)) return;
    for (r = 0; r < sizeof rows / sizeof rows[0]; r++) {
        tests_context = rows[r].name ? rows[r].name : "(null name)";
        for (i = 0; i < rows[r].n; i++) {
            in[i].name = rows[r].name; in[i].media_type = rows[r].mt; in[i].digest = rows[r].digest;
            in[i].size = rows[r].size + (long long)i;
        }
        memset(&m, 0, sizeof m);
        out = NULL;
        CHECK(crioimg_store_entries_pack(in, rows[r].n, &ma, &out) == CRIOIMG_OK);
        if (!CHECK(out != NULL)) continue;
        CHECK(m.now == m.peak && m.now >= rows[r].n * sizeof *out);   /* one allocation */
        for (i = 0; i < rows[r].n; i++) {
            CHECK_STR(out[i].name, rows[r].want_name);
            CHECK_STR(out[i].media_type, rows[r].want_mt);
            CHECK_STR(out[i].digest, rows[r].digest ? rows[r].digest : "");
            CHECK(out[i].size == rows[r].size + (long long)i);
            /* the strings live in the block, after the array, never borrowed from the input */
            CHECK((const char *)out[i].name >= (const char *)(out + rows[r].n) && out[i].name != in[i].name);
            CHECK((const char *)out[i].digest < (const char *)out + m.now);
        }
        crioimg_free(&ma, out);
        CHECK(m.now == 0);
        out = in;   /* a failed pack leaves NULL, never a stale pointer */
        CHECK(crioimg_store_entries_pack(in, rows[r].n, &fail, &out) == CRIOIMG_ERR_NOMEM);
        CHECK(out == NULL);
    }
    tests_context = "bad arguments";
    CHECK(crioimg_store_entries_pack(in, 1, NULL, NULL) == CRIOIMG_ERR_INVALID_ARGS);
    CHECK(crioimg_store_entries_pack(NULL, 1, NULL, &out) == CRIOIMG_ERR_INVALID_ARGS && out == NULL);
    CHECK(crioimg_store_entries_pack(NULL, 0, NULL, &out) == CRIOIMG_OK && out != NULL);
    crioimg_free(NULL, out);
    /* a count whose array alone overflows size_t: refused before any arithmetic wraps */
    CHECK(crioimg_store_entries_pack(in, (size_t)-1 / sizeof *in + 1, &fail, &out) == CRIOIMG_ERR_NOMEM && out == NULL);
    free(in);
    tests_context = "";
}

static void test_store(void)
{
    crioimg_store *s;
    test_store_entries_pack();
    test_store_vtable();
    CHECK(crioimg_store_open_memory(&s, NULL) == CRIOIMG_OK);
    test_store_ops(s, "memory store");
    test_store_reader(s, "memory store reader");
    crioimg_store_close(s);
    test_store_reader_v1();
    test_store_copy();
    test_store_list_filter();
    test_store_scale();
    test_store_gc_all();
#ifdef CRIOIMG__OCI_STORE
    test_store_oci();
    test_store_oci_large();
    test_store_oci_cache();
    test_store_faults();
    test_store_interrupted_create();
    test_store_ctor_err();
#else
    CHECK(crioimg_store_open_oci(&s, "/tmp", NULL) == CRIOIMG_ERR_UNSUPPORTED);
#endif
}
