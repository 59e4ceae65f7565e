/* Images as files: path cleaning, containers/image's choice of image in manifest.json and index.json
   (with its error texts), and a docker-archive made here with the tar writer loaded into a memory store
   (diff IDs computed from the layer bytes), saved again (same bytes twice) and reloaded (same ID);
   hostile archives refused with nothing recorded. */

typedef struct ta_case { const char *in, *want; crioimg_result r; } ta_case;

static void ta_clean(void)
{
    static const ta_case cases[] = {
        { "manifest.json", "manifest.json", CRIOIMG_OK },
        { "./a//b/", "a/b", CRIOIMG_OK },
        { "./", "", CRIOIMG_OK },
        { "a/./b", "a/b", CRIOIMG_OK },
        { "../x", NULL, CRIOIMG_ERR_ARCHIVE_UNSAFE },
        { "a/../../x", NULL, CRIOIMG_ERR_ARCHIVE_UNSAFE },
        { "a/..", NULL, CRIOIMG_ERR_ARCHIVE_UNSAFE },
        { "/etc/passwd", NULL, CRIOIMG_ERR_ARCHIVE_UNSAFE },
        { "a..b/..c", "a..b/..c", CRIOIMG_OK },
    };
    size_t i;
    char out[64];
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        crioimg_result r = crioimg__arc_clean(cases[i].in, out, sizeof out);
        CHECK(r == cases[i].r);
        if (cases[i].want && r == CRIOIMG_OK) CHECK_STR(out, cases[i].want);
    }
    CHECK(crioimg__arc_clean("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", out, sizeof out) == CRIOIMG_ERR_TOO_BIG);
}

typedef struct ta_choice { const char *doc, *ref; long long index; long long want; crioimg_result r; const char *err; } ta_choice;

static void ta_docker_choose(void)
{
    static const char two[] = "[{\"Config\":\"a.json\",\"RepoTags\":[\"busybox:1\"],\"Layers\":[\"l1.tar\"]},"
                              "{\"Config\":\"b.json\",\"RepoTags\":null,\"Layers\":[]}]";
    static const char one[] = "[{\"Config\":\"a.json\",\"Layers\":[\"l1.tar\"],\"Parent\":\"x\"}]";
    static const ta_choice cases[] = {
        { one, NULL, -1, 0, CRIOIMG_OK, "" },
        { two, NULL, -1, -1, CRIOIMG_ERR_ARCHIVE_CHOICE, "Unexpected tar manifest.json: expected 1 item, got 2" },
        { two, NULL, 1, 1, CRIOIMG_OK, "" },
        { two, NULL, 2, -1, CRIOIMG_ERR_ARCHIVE_CHOICE, "Invalid source index @2, only 2 manifest items available" },
        { two, "docker.io/library/busybox:1", -1, 0, CRIOIMG_OK, "" },
        { two, "docker.io/library/busybox:2", -1, -1, CRIOIMG_ERR_ARCHIVE_CHOICE, "Tag \"docker.io/library/busybox:2\" not found" },
        { "[{\"Config\":\"a\",\"RepoTags\":[\"UPPER:1\"],\"Layers\":[]}]", "docker.io/library/x:1", -1, -1, CRIOIMG_ERR_ARCHIVE_INVALID,
          "Invalid tag \"UPPER:1\" in manifest.json item @0" },
        { "{}", NULL, -1, -1, CRIOIMG_ERR_ARCHIVE_INVALID, "not an array" },
        { "[{\"Config\":\"\",\"Layers\":[]}]", NULL, -1, -1, CRIOIMG_ERR_ARCHIVE_INVALID, "item @0: Config is not a file name" },
        { "[{\"Config\":\"a\",\"Layers\":[1]}]", NULL, -1, -1, CRIOIMG_ERR_ARCHIVE_INVALID, "item @0: Layers is not a list" },
        { "[{\"Config\":\"a\",\"Layers\":[],\"RepoTags\":\"x\"}]", NULL, -1, -1, CRIOIMG_ERR_ARCHIVE_INVALID, "RepoTags is not a list" },
    };
    size_t i;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        crioimg_json d;
        crioimg_ref ref;
        char err[256] = "";
        size_t item = 0;
        crioimg_result r;
        memset(&d, 0, sizeof d);
        CHECK(crioimg_json_parse(&d, cases[i].doc, strlen(cases[i].doc), NULL) == CRIOIMG_OK);
        if (cases[i].ref) CHECK(crioimg_ref_parse_normalized(&ref, cases[i].ref, strlen(cases[i].ref)) == CRIOIMG_OK);
        r = crioimg__arc_docker_check(&d, err, sizeof err);
        if (r == CRIOIMG_OK) r = crioimg__arc_docker_choose(&d, cases[i].ref ? &ref : NULL, cases[i].index, &item, err, sizeof err);
        CHECK(r == cases[i].r);
        if (cases[i].err[0]) CHECK(strstr(err, cases[i].err) != NULL);
        if (r == CRIOIMG_OK) CHECK(item == crioimg__arc_elem(&d, 0, (size_t)cases[i].want));
        crioimg_json_free(&d);
    }
}

static void ta_oci_choose(void)
{
    static const crioimg_store_entry e[] = {
        { "v1", CRIOIMG_MEDIA_OCI_MANIFEST, "sha256:1", 1 },
        { "docker", CRIOIMG_MEDIA_DOCKER_MANIFEST, "sha256:2", 1 },   /* c/image looks only at OCI types */
        { "multi", CRIOIMG_MEDIA_OCI_INDEX, "sha256:3", 1 },
        { "v1", CRIOIMG_MEDIA_OCI_MANIFEST, "sha256:4", 1 },          /* the first match wins */
    };
    static const struct { size_t n; const char *ref; long long want; const char *err; } cases[] = {
        { 1, "", 0, "" },
        { 4, "", -1, "more than one image in oci, choose an image" },
        { 4, "v1", 0, "" },
        { 4, "multi", 2, "" },
        { 4, "docker", -1, "no descriptor found for reference \"docker\"" },
        { 4, "nope", -1, "no descriptor found for reference \"nope\"" },
        { 0, "", -1, "no descriptor found" },
    };
    size_t i;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[256] = "";
        size_t which = 99;
        crioimg_result r = crioimg__arc_oci_choose(e, cases[i].n, cases[i].ref, &which, err, sizeof err);
        CHECK((r == CRIOIMG_OK) == (cases[i].want >= 0));
        if (cases[i].want >= 0) CHECK(which == (size_t)cases[i].want);
        else CHECK(strstr(err, cases[i].err) != NULL);
    }
}

/* ---- a docker-archive written here ---- */

typedef struct ta_file { FILE *f; } ta_file;

static crioimg_result ta_fwrite(void *user, const void *data, size_t len)
{
    return fwrite(data, 1, len, ((ta_file *)user)->f) == len ? CRIOIMG_OK : CRIOIMG_ERR_IO;
}

static void ta_add(crioimg_tar_writer *w, const char *path, const void *data, size_t len, int type)
{
    crioimg_tar_entry e;
    memset(&e, 0, sizeof e);
    e.type = type;
    e.path = path;
    e.linkname = type == CRIOIMG_TAR_SYMLINK ? "elsewhere" : "";
    e.uname = e.gname = "";
    e.mode = 0644;
    e.size = type == CRIOIMG_TAR_FILE ? (long long)len : 0;
    CHECK(crioimg_tar_write_header(w, &e) == CRIOIMG_OK);
    if (len && type == CRIOIMG_TAR_FILE) CHECK(crioimg_tar_write_data(w, data, len) == CRIOIMG_OK);
}

/* A layer tar holding one file, into out (a buffer of cap bytes); its length. */
static size_t ta_layer(unsigned char *out, size_t cap, const char *name, const char *content)
{
    tt_buf b;
    crioimg_tar_writer_opts o;
    crioimg_tar_writer *w = NULL;
    size_t n;
    memset(&b, 0, sizeof b);
    memset(&o, 0, sizeof o);
    o.write = tt_write;
    o.user = &b;
    CHECK(crioimg_tar_writer_new(&w, &o) == CRIOIMG_OK);
    ta_add(w, name, content, strlen(content), CRIOIMG_TAR_FILE);
    CHECK(crioimg_tar_writer_finish(w) == CRIOIMG_OK);
    crioimg_tar_writer_free(w);
    n = b.len < cap ? b.len : cap;
    memcpy(out, b.p, n);
    free(b.p);
    return n;
}

/* Writes path: a docker-archive of one image with two layers, manifest.json first or last, with an
   extra entry (hostile: name and type) when extra is not NULL. *config gets the config's digest. */
static void ta_archive(const char *path, int manifest_first, const char *extra, int extra_type, const char *layer0_path, char config[72])
{
    static unsigned char l0[4096], l1[4096];
    size_t n0 = ta_layer(l0, sizeof l0, "etc/hello", "hello\n"), n1 = ta_layer(l1, sizeof l1, "bin/tool", "#!/bin/sh\necho tool\n");
    char d0[72], d1[72], cfg[512], mf[512];
    ta_file tf;
    crioimg_tar_writer_opts o;
    crioimg_tar_writer *w = NULL;
    crioimg__arc_sha256(l0, n0, d0);
    crioimg__arc_sha256(l1, n1, d1);
    snprintf(cfg, sizeof cfg, "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"%s\",\"%s\"]}}", d0, d1);
    crioimg__arc_sha256(cfg, strlen(cfg), config);
    snprintf(mf, sizeof mf, "[{\"Config\":\"%s.json\",\"RepoTags\":[\"example.com/t:1\"],\"Layers\":[\"%s\",\"l1/layer.tar\"]}]", config + 7,
             layer0_path ? layer0_path : "l0/layer.tar");
    tf.f = fopen(path, "wb");
    CHECK(tf.f != NULL);
    memset(&o, 0, sizeof o);
    o.write = ta_fwrite;
    o.user = &tf;
    CHECK(crioimg_tar_writer_new(&w, &o) == CRIOIMG_OK);
    if (manifest_first) ta_add(w, "manifest.json", mf, strlen(mf), CRIOIMG_TAR_FILE);
    ta_add(w, "l0/", NULL, 0, CRIOIMG_TAR_DIR);
    ta_add(w, "l0/layer.tar", l0, n0, CRIOIMG_TAR_FILE);
    ta_add(w, "./l1//layer.tar", l1, n1, CRIOIMG_TAR_FILE);
    {
        char name[100];
        snprintf(name, sizeof name, "%s.json", config + 7);
        ta_add(w, name, cfg, strlen(cfg), CRIOIMG_TAR_FILE);
    }
    if (extra) ta_add(w, extra, "x", 1, extra_type);
    if (!manifest_first) ta_add(w, "manifest.json", mf, strlen(mf), CRIOIMG_TAR_FILE);
    CHECK(crioimg_tar_writer_finish(w) == CRIOIMG_OK);
    crioimg_tar_writer_free(w);
    fclose(tf.f);
}

static int ta_same_file(const char *a, const char *b)
{
    FILE *x = fopen(a, "rb"), *y = fopen(b, "rb");
    int same = x && y, c, d;
    while (same && (c = fgetc(x)) == (d = fgetc(y)) && c != EOF) {}
    if (same) same = c == d;
    if (x) fclose(x);
    if (y) fclose(y);
    return same;
}

/* Progress events: each blob's bytes only grow, and a blob ends with done == total. */
typedef struct ta_prog { char what[80]; long long last; unsigned long events, ends; int bad; } ta_prog;

static void ta_progress(void *user, const crioimg_archive_progress *p)
{
    ta_prog *g = (ta_prog *)user;
    if (strcmp(g->what, p->what) != 0) { snprintf(g->what, sizeof g->what, "%s", p->what); g->last = 0; }
    if (p->done < g->last || (p->total >= 0 && p->done > p->total)) g->bad = 1;
    g->last = p->done;
    g->events++;
    if (p->done == p->total) g->ends++;
}

static void ta_roundtrip(const char *dir)
{
    char path[512], src[600], out1[512], out2[512], cfg[72], err[1024];
    crioimg_store *s = NULL, *s2 = NULL;
    crioimg_archive_load_result res, res2;
    crioimg_image_list l;
    const char *name = "example.com/t:1";
    int first;
    crioimg_archive_save_opts dopts, oopts;
    crioimg_archive_load_opts lo;
    ta_prog prog;
    memset(&dopts, 0, sizeof dopts);
    memset(&oopts, 0, sizeof oopts);
    memset(&lo, 0, sizeof lo);
    memset(&prog, 0, sizeof prog);
    dopts.format = CRIOIMG_ARCHIVE_DOCKER;
    dopts.progress = lo.progress = ta_progress;
    dopts.progress_user = lo.progress_user = &prog;
    oopts.format = CRIOIMG_ARCHIVE_OCI;
    for (first = 0; first < 2; first++) {
        snprintf(path, sizeof path, "%s/img%d.tar", dir, first);
        ta_archive(path, first, NULL, 0, NULL, cfg);
        snprintf(src, sizeof src, "docker-archive:%s", path);
        CHECK(crioimg_store_open_memory(&s, NULL) == CRIOIMG_OK);
        memset(&prog, 0, sizeof prog);
        CHECK(crioimg_archive_load(s, src, &lo, &res, err, sizeof err) == CRIOIMG_OK);
        CHECK(prog.events >= 2 && prog.ends >= 2 && !prog.bad);   /* two layers streamed */
        CHECK_STR(res.id, cfg + 7);
        CHECK_STR(res.name, name);
        CHECK(res.blobs_stored == 3);
        memset(&l, 0, sizeof l);
        CHECK(crioimg_store_image_status(s, name, &l) == CRIOIMG_OK && l.n == 1 && strcmp(l.images[0].id, cfg + 7) == 0);
        crioimg_image_list_free(&l);
        /* a second load finds every blob there */
        CHECK(crioimg_archive_load(s, src, NULL, &res2, err, sizeof err) == CRIOIMG_OK);
        CHECK(res2.blobs_skipped == 2 && strcmp(res2.manifest_digest, res.manifest_digest) == 0);
        /* save twice: the same bytes; reload: the same image and manifest */
        snprintf(out1, sizeof out1, "%s/save%d-a.tar", dir, first);
        snprintf(out2, sizeof out2, "%s/save%d-b.tar", dir, first);
        CHECK(crioimg_archive_save(s, NULL, out1, &name, 1, err, sizeof err) == CRIOIMG_OK);
        memset(&prog, 0, sizeof prog);
        CHECK(crioimg_archive_save(s, &dopts, out2, &name, 1, err, sizeof err) == CRIOIMG_OK);
        CHECK(prog.ends >= 2 && !prog.bad);
        CHECK(ta_same_file(out1, out2));
        CHECK(crioimg_store_open_memory(&s2, NULL) == CRIOIMG_OK);
        snprintf(src, sizeof src, "docker-archive:%s", out1);
        CHECK(crioimg_archive_load(s2, src, NULL, &res2, err, sizeof err) == CRIOIMG_OK);
        CHECK_STR(res2.id, res.id);
        CHECK_STR(res2.manifest_digest, res.manifest_digest);
        crioimg_store_close(s2);
        /* oci-archive: reloads with the same ID */
        CHECK(crioimg_archive_save(s, &oopts, out2, &name, 1, err, sizeof err) == CRIOIMG_OK);
        CHECK(crioimg_store_open_memory(&s2, NULL) == CRIOIMG_OK);
        snprintf(src, sizeof src, "oci-archive:%s:%s", out2, name);
        CHECK(crioimg_archive_load(s2, src, NULL, &res2, err, sizeof err) == CRIOIMG_OK);
        CHECK_STR(res2.id, res.id);
        CHECK_STR(res2.name, name);
        crioimg_store_close(s2);
        crioimg_store_close(s);
        s = NULL;
        unlink(path); unlink(out1); unlink(out2);
    }
}

typedef struct ta_hostile { const char *extra; int type; const char *layer0; crioimg_result r; const char *err; } ta_hostile;

static void ta_hostiles(const char *dir)
{
    static const ta_hostile cases[] = {
        { "../evil", CRIOIMG_TAR_FILE, NULL, CRIOIMG_ERR_ARCHIVE_UNSAFE, "entry \"../evil\": path leaves the archive" },
        { "/abs", CRIOIMG_TAR_FILE, NULL, CRIOIMG_ERR_ARCHIVE_UNSAFE, "entry \"/abs\": path leaves the archive" },
        { "l0/layer.tar", CRIOIMG_TAR_FILE, NULL, CRIOIMG_ERR_ARCHIVE_UNSAFE, "entry \"l0/layer.tar\" appears twice" },
        { "link", CRIOIMG_TAR_SYMLINK, "link", CRIOIMG_ERR_ARCHIVE_UNSAFE, "entry \"link\": a link" },
        { "fifo", CRIOIMG_TAR_FIFO, NULL, CRIOIMG_ERR_ARCHIVE_UNSAFE, "entry \"fifo\": not a regular file" },
        { NULL, 0, "../l0/layer.tar", CRIOIMG_ERR_ARCHIVE_UNSAFE, "\"../l0/layer.tar\": path leaves the archive" },
        { NULL, 0, "nope.tar", CRIOIMG_ERR_NOT_FOUND, "\"nope.tar\": no such file in the archive" },
    };
    size_t i;
    char path[512], src[600], cfg[72], err[1024];
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        crioimg_store *s = NULL;
        crioimg_image_list l;
        snprintf(path, sizeof path, "%s/hostile.tar", dir);
        ta_archive(path, 0, cases[i].extra, cases[i].type, cases[i].layer0, cfg);
        snprintf(src, sizeof src, "docker-archive:%s", path);
        CHECK(crioimg_store_open_memory(&s, NULL) == CRIOIMG_OK);
        CHECK(crioimg_archive_load(s, src, NULL, NULL, err, sizeof err) == cases[i].r);
        CHECK(strstr(err, cases[i].err) != NULL && strstr(err, src) == err);
        memset(&l, 0, sizeof l);
        CHECK(crioimg_store_list(s, NULL, &l) == CRIOIMG_OK && l.n == 0);
        CHECK(crioimg_store_blob_stat(s, cfg, NULL) == CRIOIMG_ERR_NOT_FOUND);   /* nothing stored: checked before */
        crioimg_image_list_free(&l);
        crioimg_store_close(s);
        unlink(path);
    }
}

/* PullImage's events for a file source: indexes within count, each blob ends DONE with done == size. */
typedef struct ta_pull_events { unsigned long progress, done; size_t count; int bad; } ta_pull_events;

static void ta_pull_progress(void *user, const crioimg_pull_progress *p)
{
    ta_pull_events *e = (ta_pull_events *)user;
    if (e->count == 0) e->count = p->count;
    if (p->count != e->count || p->index >= p->count || p->digest == NULL || strncmp(p->digest, "sha256:", 7) != 0) e->bad = 1;
    if (p->event == CRIOIMG_PULL_BLOB_DONE) { e->done++; if (p->done != p->size) e->bad = 1; }
    else if (p->event == CRIOIMG_PULL_BLOB_PROGRESS) e->progress++;
    else e->bad = 1;
}

/* PullImage with a file transport: the service loads the archive into its store. */
static void ta_service(const char *dir)
{
    char path[512], src[600], cfg[72], err[512];
    crioimg_store *s = NULL;
    crioimg_service *svc = NULL;
    crioimg_pull_result out;
    crioimg_pull_opts po;
    ta_pull_events ev;
    snprintf(path, sizeof path, "%s/svc.tar", dir);
    ta_archive(path, 0, NULL, 0, NULL, cfg);
    snprintf(src, sizeof src, "docker-archive:%s", path);
    CHECK(crioimg_store_open_memory(&s, NULL) == CRIOIMG_OK);
    CHECK(crioimg_service_new(&svc, s, NULL, err, sizeof err) == CRIOIMG_OK);
    memset(&po, 0, sizeof po);
    memset(&ev, 0, sizeof ev);
    po.progress = ta_pull_progress;
    po.progress_user = &ev;
    CHECK(crioimg_service_pull_image(svc, src, &po, &out) == CRIOIMG_OK);
    CHECK(ev.count == 3 && ev.done == 3 && !ev.bad);   /* config and two layers */
    CHECK_STR(out.id, cfg + 7);
    CHECK_STR(out.name, "example.com/t:1");
    CHECK_STR(out.source, src);
    CHECK(out.blobs_fetched == 3);
    snprintf(src, sizeof src, "docker-archive:%s:@1", path);
    CHECK(crioimg_service_pull_image(svc, src, NULL, &out) == CRIOIMG_ERR_ARCHIVE_CHOICE);
    CHECK(strstr(crioimg_service_error(svc), "Invalid source index @1, only 1 manifest items available") != NULL);
    crioimg_service_free(svc);
    crioimg_store_close(s);
    unlink(path);
}

/* Cancelling: the flag stops a load at its next read and a save at its next write; what the load stored
   goes again (nothing of the image is left, gc finds nothing), and the save leaves no file. */
typedef struct ta_stop { volatile int flag; size_t at; } ta_stop;

static void ta_stop_at(void *user, const crioimg_archive_progress *p)
{
    ta_stop *t = (ta_stop *)user;
    if (p->index >= t->at) t->flag = 1;
}

static void ta_cancel(const char *dir)
{
    char path[512], src[600], out[512], cfg[72], err[1024];
    crioimg_store *s = NULL;
    crioimg_archive_load_opts lo;
    crioimg_archive_save_opts so;
    crioimg_store_gc_result gc;
    crioimg_image_list l;
    const char *name = "example.com/t:1";
    long long size;
    ta_stop stop;
    snprintf(path, sizeof path, "%s/cancel.tar", dir);
    ta_archive(path, 1, NULL, 0, NULL, cfg);
    snprintf(src, sizeof src, "docker-archive:%s", path);
    CHECK(crioimg_store_open_memory(&s, NULL) == CRIOIMG_OK);
    memset(&lo, 0, sizeof lo);
    memset(&stop, 0, sizeof stop);
    stop.at = 2;   /* the config (0) and the first layer (1) are stored by then */
    lo.progress = ta_stop_at;
    lo.progress_user = &stop;
    lo.cancel = &stop.flag;
    CHECK(crioimg_archive_load(s, src, &lo, NULL, err, sizeof err) == CRIOIMG_ERR_CANCELLED);
    CHECK(strstr(err, "cancelled") != NULL);
    CHECK(crioimg_store_blob_stat(s, cfg, &size) == CRIOIMG_ERR_NOT_FOUND);   /* taken back */
    CHECK(crioimg_store_gc(s, &gc) == CRIOIMG_OK && gc.blobs == 0);
    memset(&l, 0, sizeof l);
    CHECK(crioimg_store_list(s, NULL, &l) == CRIOIMG_OK && l.n == 0);
    crioimg_image_list_free(&l);
    /* loaded whole, then a save cancelled at its first blob: no file at out */
    CHECK(crioimg_archive_load(s, src, NULL, NULL, err, sizeof err) == CRIOIMG_OK);
    snprintf(out, sizeof out, "%s/cancel-out.tar", dir);
    memset(&so, 0, sizeof so);
    memset(&stop, 0, sizeof stop);
    so.progress = ta_stop_at;
    so.progress_user = &stop;
    so.cancel = &stop.flag;
    CHECK(crioimg_archive_save(s, &so, out, &name, 1, err, sizeof err) == CRIOIMG_ERR_CANCELLED);
    CHECK(access(out, F_OK) != 0);
    {
        DIR *d = opendir(dir);
        struct dirent *de;
        int others = 0;
        while (d && (de = readdir(d)) != NULL)
            if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") && strcmp(de->d_name, "cancel.tar")) others++;
        if (d) closedir(d);
        CHECK(others == 0);   /* no temporary left beside out */
    }
    crioimg_store_close(s);
    unlink(path);
}

static void test_archive(void)
{
    char dir[] = "/tmp/crioimg-test-archive-XXXXXX";
    ta_clean();
    ta_docker_choose();
    ta_oci_choose();
    if (mkdtemp(dir) == NULL) { CHECK(0); return; }
    ta_roundtrip(dir);
    ta_hostiles(dir);
    ta_service(dir);
    ta_cancel(dir);
    rmdir(dir);
}
