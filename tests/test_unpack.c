/* Layer application and image unpacking: layers made with the tar writer, applied with
   crioimg_layer_apply into a scratch directory that sits next to an "outside" directory that must stay
   empty; hostile entries one row a case; crioimg_unpack of an image in a memory store. */
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>
#include <dirent.h>

typedef struct tu_src { const unsigned char *p; size_t len, pos, step; } tu_src;

static crioimg_result tu_read(void *user, void *buf, size_t cap, size_t *n)
{
    tu_src *s = (tu_src *)user;
    size_t k = s->len - s->pos;
    if (k > cap) k = cap;
    if (s->step && k > s->step) k = s->step;
    memcpy(buf, s->p + s->pos, k);
    s->pos += k;
    *n = k;
    return CRIOIMG_OK;
}

/* A layer from a compact description: "TYPE path [link|content]" lines. TYPE: f file, d dir, l symlink,
   h hard link, p fifo, c char device. */
static void tu_layer(tt_buf *b, const char *spec)
{
    crioimg_tar_writer *w;
    crioimg_tar_writer_opts o;
    char line[512];
    memset(&o, 0, sizeof o);
    o.write = tt_write; o.user = b;
    b->len = 0;
    if (crioimg_tar_writer_new(&w, &o) != CRIOIMG_OK) return;
    while (*spec) {
        const char *nl = strchr(spec, '\n');
        size_t n = nl ? (size_t)(nl - spec) : strlen(spec);
        char *path, *arg;
        crioimg_tar_entry e;
        memcpy(line, spec, n); line[n] = '\0';
        spec += n + (nl != NULL);
        path = line + 2;
        arg = strchr(path, ' ');
        if (arg) *arg++ = '\0';
        memset(&e, 0, sizeof e);
        e.path = path; e.linkname = ""; e.mode = line[0] == 'd' ? 0755 : 0644; e.mtime = 1600000000;
        switch (line[0]) {
        case 'f': e.type = CRIOIMG_TAR_FILE; e.size = arg ? (long long)strlen(arg) : 0; break;
        case 'd': e.type = CRIOIMG_TAR_DIR; break;
        case 'l': e.type = CRIOIMG_TAR_SYMLINK; e.linkname = arg; break;
        case 'h': e.type = CRIOIMG_TAR_LINK; e.linkname = arg; break;
        case 'p': e.type = CRIOIMG_TAR_FIFO; break;
        case 'c': e.type = CRIOIMG_TAR_CHAR; e.devmajor = 1; e.devminor = 3; break;
        }
        crioimg_tar_write_header(w, &e);
        if (e.size) crioimg_tar_write_data(w, arg, (size_t)e.size);
    }
    crioimg_tar_writer_finish(w);
    crioimg_tar_writer_free(w);
}

static char tu_base[256], tu_dest[300], tu_out[300];

static int tu_count(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int n = 0;
    if (d == NULL) return -1;
    while ((de = readdir(d)) != NULL) if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) n++;
    closedir(d);
    return n;
}

static void tu_rm(const char *path)
{
    char cmd[700];
    snprintf(cmd, sizeof cmd, "chmod -R u+rwx '%s' 2>/dev/null; rm -rf '%s'", path, path);
    if (system(cmd) != 0) {}
}

/* Applies the layers (separated by "--\n") to a fresh destination. */
static crioimg_result tu_apply(const char *layers, const crioimg_unpack_opts *o, char *err, size_t errcap)
{
    tt_buf b = { NULL, 0, 0 };
    crioimg_result r = CRIOIMG_OK;
    int fd;
    char *copy = strdup(layers), *p = copy;
    tu_rm(tu_dest);
    mkdir(tu_dest, 0755);
    fd = open(tu_dest, O_RDONLY | O_DIRECTORY);
    while (p && r == CRIOIMG_OK) {
        char *sep = strstr(p, "--\n");
        tu_src s;
        if (sep) *sep = '\0';
        tu_layer(&b, p);
        memset(&s, 0, sizeof s);
        s.p = b.p; s.len = b.len; s.step = 1000;
        r = crioimg_layer_apply(fd, NULL, tu_read, &s, NULL, o, NULL, err, errcap);
        p = sep ? sep + 3 : NULL;
    }
    close(fd);
    free(copy);
    free(b.p);
    return r;
}

static int tu_file_is(const char *rel, const char *content)
{
    char path[1200], buf[256];
    FILE *f;
    size_t n;
    snprintf(path, sizeof path, "%s/%s", tu_dest, rel);
    f = fopen(path, "rb");
    if (f == NULL) return content == NULL;
    n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return content != NULL && strcmp(buf, content) == 0;
}

static int tu_lexists(const char *rel)
{
    char path[1200];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", tu_dest, rel);
    return lstat(path, &st) == 0;
}

static void test_unpack_layers(void)
{
    char err[1024];
    crioimg_result r;
    /* files, directories, links; then whiteouts; then an opaque directory */
    r = tu_apply("d etc/\nf etc/a one\nf etc/b two\nl etc/s a\nh etc/h etc/a\nd opq/\nf opq/old x\np fifo\n"
                 "--\nf etc/.wh.b\nf etc/a ONE\nf etc/.wh.nothing\n"
                 "--\nd opq/\nf opq/.wh..wh..opq\nf opq/new y\n", NULL, err, sizeof err);
    CHECK(r == CRIOIMG_OK);
    CHECK(tu_file_is("etc/a", "ONE") && tu_file_is("etc/h", "one") && tu_file_is("etc/b", NULL));
    CHECK(tu_file_is("etc/s", "ONE"));
    CHECK(tu_file_is("opq/new", "y") && tu_file_is("opq/old", NULL));
    CHECK(tu_lexists("fifo"));
    /* the opaque whiteout after the directory's new entries keeps them */
    r = tu_apply("d o/\nf o/low x\n--\nf o/new y\nf o/.wh..wh..opq\n", NULL, err, sizeof err);
    CHECK(r == CRIOIMG_OK && tu_file_is("o/new", "y") && !tu_lexists("o/low"));
    /* a directory replaced by a file and back */
    r = tu_apply("d x/\nf x/in 1\n--\nf x 2\n--\nd x/\nf x/again 3\n", NULL, err, sizeof err);
    CHECK(r == CRIOIMG_OK && tu_file_is("x/again", "3") && !tu_lexists("x/in"));
    /* missing parents are made; absolute names are taken inside */
    r = tu_apply("f /deep/er/file z\n", NULL, err, sizeof err);
    CHECK(r == CRIOIMG_OK && tu_file_is("deep/er/file", "z"));
    CHECK(tu_count(tu_out) == 0);
}

static void test_unpack_hostile(void)
{
    static char outside_abs[400], rel_up[400];
    static const struct { const char *name, *layers; crioimg_result r; const char *inside; } rows[] = {
        { "dotdot", "f ../escape x\n", CRIOIMG_ERR_UNPACK_UNSAFE, NULL },
        { "dotdot-deep", "d a/\nf a/../../escape x\n", CRIOIMG_ERR_UNPACK_UNSAFE, NULL },
        { "symlink then write", "l ln @OUT\nf ln/pwned x\n", CRIOIMG_OK, "@OUT/pwned" },
        { "symlink up then write", "l ln @UP\nf ln/pwned x\n", CRIOIMG_OK, "@OUT/pwned" },
        { "symlink from an earlier layer", "l ln @OUT\n--\nf ln/pwned x\n", CRIOIMG_OK, "@OUT/pwned" },
        { "symlink chain", "d a/\nl a/b ../../../..\nl c a/b\nf c/pwned x\n", CRIOIMG_OK, "pwned" },
        { "hard link outside", "h hl ../../victim\n", CRIOIMG_ERR_UNPACK_UNSAFE, NULL },
        { "hard link absolute", "h hl @OUT/victim\n", CRIOIMG_ERR_IO, NULL },
        { "hard link through a symlink", "l ln @OUT\nh hl ln/victim\n", CRIOIMG_ERR_IO, NULL },
        { "hard link to a symlink", "l s @OUT/victim\nh h s\n", CRIOIMG_OK, "h" },
        { "hard link to itself", "f a x\nh a a\n", CRIOIMG_ERR_TAR_FORMAT, NULL },
        { "whiteout ..", "d a/\nf a/.wh...\n", CRIOIMG_ERR_UNPACK_UNSAFE, NULL },
        { "whiteout through a symlink", "l ln @OUT\n--\nf ln/.wh.victim\n", CRIOIMG_OK, "ln" },
        { "opaque through a symlink", "l ln @OUT\n--\nf ln/.wh..wh..opq\n", CRIOIMG_OK, "ln" },
        { "file over a symlink", "l v @OUT/victim\n--\nf v mine\n", CRIOIMG_OK, "v" },
        { "replace the destination", "f ./ x\n", CRIOIMG_ERR_UNPACK_UNSAFE, NULL },
    };
    size_t i;
    char victim[500];
    snprintf(outside_abs, sizeof outside_abs, "%s", tu_out);
    snprintf(rel_up, sizeof rel_up, "../../../../../../../../..%s", tu_out);
    snprintf(victim, sizeof victim, "%s/victim", tu_out);
    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char layers[1024], inside[600], err[1024];
        const char *s;
        size_t n = 0;
        crioimg_result r;
        FILE *f;
        tests_context = rows[i].name;
        for (s = rows[i].layers; *s && n < sizeof layers - 400; s++) {
            if (strncmp(s, "@OUT", 4) == 0) { n += (size_t)snprintf(layers + n, sizeof layers - n, "%s", outside_abs); s += 3; }
            else if (strncmp(s, "@UP", 3) == 0) { n += (size_t)snprintf(layers + n, sizeof layers - n, "%s", rel_up); s += 2; }
            else layers[n++] = *s;
        }
        layers[n] = '\0';
        f = fopen(victim, "w"); if (f) { fputs("original", f); fclose(f); }
        err[0] = '\0';
        r = tu_apply(layers, NULL, err, sizeof err);
        CHECK(r == rows[i].r);
        if (r != CRIOIMG_OK) CHECK(strstr(err, "entry \"") != NULL && strstr(err, "at offset") != NULL);
        /* nothing outside changed: the victim alone, as it was */
        CHECK(tu_count(tu_out) == 1);
        f = fopen(victim, "r");
        if (f) { char b[32] = ""; CHECK(fgets(b, sizeof b, f) && strcmp(b, "original") == 0); fclose(f); }
        if (rows[i].inside) {
            if (strncmp(rows[i].inside, "@OUT", 4) == 0) snprintf(inside, sizeof inside, "%s%s", outside_abs, rows[i].inside + 4);
            else snprintf(inside, sizeof inside, "%s", rows[i].inside);
            CHECK(tu_lexists(inside));
        }
    }
    tests_context = "";
    {
        char path[700];
        snprintf(path, sizeof path, "%s/escape", tu_base);
        CHECK(access(path, F_OK) != 0);
    }
}

static void test_unpack_limits(void)
{
    crioimg_unpack_opts o;
    tt_buf b = { NULL, 0, 0 };
    tu_src s;
    char err[1024];
    int fd;
    volatile int cancel = 1;
    static const char spec[] = "f big 0123456789012345678901234567890123456789\n";
    memset(&o, 0, sizeof o);
    o.max_layer_size = 1024;   /* a 2 KiB tar */
    tu_layer(&b, spec);
    tu_rm(tu_dest); mkdir(tu_dest, 0755);
    fd = open(tu_dest, O_RDONLY | O_DIRECTORY);
    memset(&s, 0, sizeof s); s.p = b.p; s.len = b.len;
    CHECK(crioimg_layer_apply(fd, NULL, tu_read, &s, NULL, &o, NULL, err, sizeof err) == CRIOIMG_ERR_TOO_BIG);
    CHECK(strstr(err, "max_layer_size") != NULL);
    /* the diff_id is checked */
    memset(&s, 0, sizeof s); s.p = b.p; s.len = b.len;
    CHECK(crioimg_layer_apply(fd, NULL, tu_read, &s, "sha256:0000000000000000000000000000000000000000000000000000000000000000", NULL, NULL,
                              err, sizeof err) == CRIOIMG_ERR_DIGEST_MISMATCH);
    CHECK(strstr(err, "diff_id") != NULL);
    {
        char d[80];
        crioimg_hasher h;
        crioimg_hasher_init(&h, CRIOIMG_DIGEST_SHA256);
        crioimg_hasher_update(&h, b.p, b.len);
        crioimg_hasher_final_string(&h, d, sizeof d);
        memset(&s, 0, sizeof s); s.p = b.p; s.len = b.len;
        CHECK(crioimg_layer_apply(fd, "application/vnd.oci.image.layer.v1.tar", tu_read, &s, d, NULL, NULL, err, sizeof err) == CRIOIMG_OK);
    }
    /* media types */
    memset(&s, 0, sizeof s); s.p = b.p; s.len = b.len;
    CHECK(crioimg_layer_apply(fd, "application/vnd.oci.image.layer.v1.tar+zstd", tu_read, &s, NULL, NULL, NULL, err, sizeof err) == CRIOIMG_ERR_UNSUPPORTED);
    CHECK(strstr(err, "not supported") != NULL);
    {
        int gz;
        CHECK(crioimg_layer_compression("application/vnd.docker.image.rootfs.diff.tar.gzip", &gz) == CRIOIMG_OK && gz == 1);
        CHECK(crioimg_layer_compression("application/vnd.oci.image.layer.v1.tar", &gz) == CRIOIMG_OK && gz == 0);
        CHECK(crioimg_layer_compression("application/vnd.oci.image.layer.v1.tar+gzip+encrypted", &gz) == CRIOIMG_ERR_UNSUPPORTED);
    }
    /* cancel */
    memset(&o, 0, sizeof o);
    o.cancel = &cancel;
    memset(&s, 0, sizeof s); s.p = b.p; s.len = b.len;
    CHECK(crioimg_layer_apply(fd, NULL, tu_read, &s, NULL, &o, NULL, err, sizeof err) == CRIOIMG_ERR_CANCELLED);
    /* a truncated layer */
    memset(&s, 0, sizeof s); s.p = b.p; s.len = 600;
    CHECK(crioimg_layer_apply(fd, NULL, tu_read, &s, NULL, NULL, NULL, err, sizeof err) == CRIOIMG_ERR_TAR_FORMAT);
    CHECK(strstr(err, "cut short") != NULL);
    close(fd);
    free(b.p);
}

/* A whole image in a memory store: a bundle made, and a failing one leaves nothing. */
static void test_unpack_image(void)
{
    crioimg_store *st;
    tt_buf b = { NULL, 0, 0 };
    char ldig[80], cdig[80], mdig[80], cfg[1024], man[1024], err[1024], path[700];
    const char *name = "example.com/app:1";
    crioimg_unpack_opts o;
    crioimg_unpack_result res;
    int k;
    CHECK(crioimg_store_open_memory(&st, NULL) == CRIOIMG_OK);
    tu_layer(&b, "d etc/\nf etc/passwd root:x:0:0::/root:/bin/sh\nf etc/greeting hi\n");
    for (k = 0; k < 2; k++) {
        size_t cn, mn;
        ts_put(st, (const char *)b.p, b.len, ldig);
        cn = (size_t)snprintf(cfg, sizeof cfg, "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Env\":[\"A=1\"],\"Cmd\":[\"run\"],"
                              "\"User\":\"root\",\"Labels\":{\"l\":\"v\"}},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"%s\"]}}",
                              k ? "sha256:1111111111111111111111111111111111111111111111111111111111111111" : ldig);
        ts_put(st, cfg, cn, cdig);
        mn = (size_t)snprintf(man, sizeof man, "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                              "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"%s\",\"size\":%lu},"
                              "\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"%s\",\"size\":%lu}]}",
                              cdig, (unsigned long)cn, ldig, (unsigned long)b.len);
        ts_put(st, man, mn, mdig);
        CHECK(crioimg_store_add_image(st, mdig, k ? &name : &name, 1) == CRIOIMG_OK);
        memset(&o, 0, sizeof o);
        memset(&res, 0, sizeof res);
        snprintf(path, sizeof path, "%s/bundle%d", tu_base, k);
        if (k == 0) {
            CHECK(crioimg_unpack(st, name, path, &o, &res, err, sizeof err) == CRIOIMG_OK);
            CHECK(res.layers == 1 && res.entries == 3);
            snprintf(path, sizeof path, "%s/bundle0/rootfs/etc/greeting", tu_base);
            CHECK(access(path, F_OK) == 0);
            snprintf(path, sizeof path, "%s/bundle0/config.json", tu_base);
            CHECK(access(path, F_OK) == 0);
            snprintf(path, sizeof path, "%s/bundle0", tu_base);
            CHECK(crioimg_unpack(st, name, path, &o, &res, err, sizeof err) == CRIOIMG_ERR_INVALID_ARGS);   /* exists */
        } else {
            CHECK(crioimg_unpack(st, name, path, &o, &res, err, sizeof err) == CRIOIMG_ERR_DIGEST_MISMATCH);
            CHECK(strstr(err, "example.com/app:1") != NULL && strstr(err, ldig) != NULL && strstr(err, "diff_id") != NULL);
            CHECK(access(path, F_OK) != 0);
            CHECK(tu_count(tu_base) == 3);   /* dest, outside, bundle0: no temporary tree left */
        }
    }
    CHECK(crioimg_unpack(st, "nosuch", path, &o, &res, err, sizeof err) == CRIOIMG_ERR_IMAGE_UNKNOWN);
    CHECK(strstr(err, "nosuch") != NULL);
    crioimg_store_close(st);
    free(b.p);
}

static void test_unpack(void)
{
    snprintf(tu_base, sizeof tu_base, "/tmp/crioimg-unpack-XXXXXX");
    if (mkdtemp(tu_base) == NULL) { CHECK(0); return; }
    snprintf(tu_dest, sizeof tu_dest, "%s/dest", tu_base);
    snprintf(tu_out, sizeof tu_out, "%s/outside", tu_base);
    mkdir(tu_out, 0755);
    test_unpack_layers();
    test_unpack_hostile();
    test_unpack_limits();
    test_unpack_image();
    tu_rm(tu_base);
}
