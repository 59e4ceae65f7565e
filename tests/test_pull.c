/* PullImage (crioimg_service_pull_image) against a canned registry: a transport that serves one small
   image from memory (a config and layers, an OCI manifest, and an index over it), counts what it was
   asked, and breaks on request (a corrupted byte, a cut connection, a 404). The store is the in-memory
   one, so each case sees exactly what a pull leaves behind. Rows below are the cases; the network
   suite (tests/pull.sh) does the same against docker-registry. */

#define TP_NLAYERS 5
#define TP_MANIFEST_UNKNOWN "{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\",\"message\":\"manifest unknown\"}]}"
#define TP_BLOB_UNKNOWN "{\"errors\":[{\"code\":\"BLOB_UNKNOWN\",\"message\":\"blob unknown to registry\"}]}"
#define TP_LAYER_SIZE 70000           /* several pieces per layer at the fake's 16 KiB a piece */

typedef struct tp_blob { char digest[72]; unsigned char *data; size_t len; } tp_blob;
static size_t tp_big;                /* non-zero: layer 0's size (tp_build) */

typedef struct tp_reg {
    tp_blob config, layer[TP_NLAYERS];
    char manifest[4096], index[2048];
    char mdigest[72], idigest[72];
    int dup_layer;                   /* the manifest lists layer 0 twice */
    /* faults */
    int corrupt;                     /* layer index + 1 whose last byte is wrong */
    int cut;                         /* layer index + 1 whose first transfer breaks halfway */
    int missing;                     /* layer index + 1 that answers 404 */
    volatile int *cancel_at_bytes;   /* set to 1 after this many blob bytes (see tp_progress) */
    int wait_help;                   /* layer 0 waits, a quarter in, until another worker hashes it */
    volatile int helped;             /* the pull said so (tp_log) */
    volatile int *cancel_on_help;    /* then set to 1 */
    /* what was asked */
    int pings, manifests, blobs, blob_bytes;
    int cut_done;
#ifdef CRIOIMG__SVC_THREADS
    pthread_mutex_t mu;              /* the pull's threads share this transport (jobs > 1) */
#endif
} tp_reg;

static void tp_set(tp_blob *b, const char *text, size_t len)
{
    size_t i, tl = strlen(text);
    b->data = (unsigned char *)malloc(len);
    for (i = 0; i < len; i++) b->data[i] = (unsigned char)(text[i % tl] + (i / tl) % 7);
    b->len = len;
    ts_digest(b->data, len, b->digest);
}

static void tp_build(tp_reg *g, int dup_layer)
{
    char *p;
    int k;
    crioimg_platform me;
    memset(g, 0, sizeof *g);
#ifdef CRIOIMG__SVC_THREADS
    pthread_mutex_init(&g->mu, NULL);
#endif
    g->dup_layer = dup_layer;
    tp_set(&g->config, "{\"architecture\":\"amd64\",\"os\":\"linux\"}", 38);
    for (k = 0; k < TP_NLAYERS; k++) {
        char t[32];
        sprintf(t, "layer %d of the test image ", k);
        tp_set(&g->layer[k], t, k == 0 && tp_big ? tp_big : TP_LAYER_SIZE + (size_t)k);
    }
    p = g->manifest;
    p += sprintf(p, "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                    "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"%s\",\"size\":%u},"
                    "\"layers\":[", g->config.digest, (unsigned)g->config.len);
    for (k = 0; k < TP_NLAYERS + dup_layer; k++) {
        const tp_blob *b = &g->layer[k < TP_NLAYERS ? k : 0];
        p += sprintf(p, "%s{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"%s\",\"size\":%u}",
                     k ? "," : "", b->digest, (unsigned)b->len);
    }
    strcpy(p, "]}");
    ts_digest(g->manifest, strlen(g->manifest), g->mdigest);
    crioimg_platform_current(&me);
    sprintf(g->index, "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":["
                      "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"%s\",\"size\":%u,"
                      "\"platform\":{\"architecture\":\"%s\",\"os\":\"%s\"}}]}",
            g->mdigest, (unsigned)strlen(g->manifest), me.architecture, me.os);
    ts_digest(g->index, strlen(g->index), g->idigest);
}

static void tp_free(tp_reg *g)
{
    int k;
    free(g->config.data);
    for (k = 0; k < TP_NLAYERS; k++) free(g->layer[k].data);
#ifdef CRIOIMG__SVC_THREADS
    pthread_mutex_destroy(&g->mu);
#endif
}

static void tp_lock(tp_reg *g)
{
#ifdef CRIOIMG__SVC_THREADS
    pthread_mutex_lock(&g->mu);
#else
    (void)g;
#endif
}

static void tp_unlock(tp_reg *g)
{
#ifdef CRIOIMG__SVC_THREADS
    pthread_mutex_unlock(&g->mu);
#else
    (void)g;
#endif
}

/* Until g->helped, 5 s at most (a pull whose idle worker never takes over fails the CHECK instead). */
static void tp_wait_help(tp_reg *g)
{
    int i;
    for (i = 0; i < 5000 && !crioimg_cancelled(&g->helped); i++) {
        struct timespec ts;
        ts.tv_sec = 0; ts.tv_nsec = 1000000;
        nanosleep(&ts, NULL);
    }
}

static crioimg_result tp_answer_wait(const crioimg_http_request *rq, int status, const char *ctype, const char *dcd,
                                     const unsigned char *body, size_t len, size_t cut_at, tp_reg *wait);

static crioimg_result tp_answer(const crioimg_http_request *rq, int status, const char *ctype, const char *dcd,
                                const unsigned char *body, size_t len, size_t cut_at)
{
    return tp_answer_wait(rq, status, ctype, dcd, body, len, cut_at, NULL);
}

/* wait: a quarter into the body, tp_wait_help(wait) */
static crioimg_result tp_answer_wait(const crioimg_http_request *rq, int status, const char *ctype, const char *dcd,
                                     const unsigned char *body, size_t len, size_t cut_at, tp_reg *wait)
{
    crioimg_result r;
    size_t off = 0;
    if ((r = rq->sink.status(rq->sink.ctx, status)) != CRIOIMG_OK) return r;
    if (ctype && (r = rq->sink.header(rq->sink.ctx, "Content-Type", 12, ctype, strlen(ctype))) != CRIOIMG_OK) return r;
    if (dcd && (r = rq->sink.header(rq->sink.ctx, "Docker-Content-Digest", 21, dcd, strlen(dcd))) != CRIOIMG_OK) return r;
    if (strcmp(rq->method ? rq->method : "GET", "HEAD") == 0) return CRIOIMG_OK;
    while (off < len && off < cut_at) {
        size_t k = len - off < 16384 ? len - off : 16384;
        if (k > cut_at - off) k = cut_at - off;
        if (wait && off >= len / 4) { tp_wait_help(wait); wait = NULL; }
        if (crioimg_cancelled(rq->cancel)) return CRIOIMG_ERR_CANCELLED;
        if ((r = rq->sink.body(rq->sink.ctx, body + off, k)) != CRIOIMG_OK) return r;
        off += k;
    }
    return off < len ? CRIOIMG_ERR_HTTP_CONNECT : CRIOIMG_OK;
}

static crioimg_result tp_request(void *user, const crioimg_http_request *rq, char *err, size_t errcap)
{
    static const char base[] = "https://reg.io/v2/lib/x/";
    tp_reg *g = (tp_reg *)user;
    const char *u = rq->url;
    int k;
    if (strcmp(u, "https://reg.io/v2/") == 0) {
        tp_lock(g); g->pings++; tp_unlock(g);
        return tp_answer(rq, 200, NULL, NULL, (const unsigned char *)"{}", 2, (size_t)-1);
    }
    if (strncmp(u, base, sizeof base - 1) != 0) { snprintf(err, errcap, "unexpected %s", u); return CRIOIMG_ERR_HTTP_CONNECT; }
    u += sizeof base - 1;
    if (strncmp(u, "manifests/", 10) == 0) {
        const char *ref = u + 10;
        tp_lock(g); g->manifests++; tp_unlock(g);
        if (strcmp(ref, "1") == 0 || strcmp(ref, g->mdigest) == 0)
            return tp_answer(rq, 200, "application/vnd.oci.image.manifest.v1+json", g->mdigest,
                             (const unsigned char *)g->manifest, strlen(g->manifest), (size_t)-1);
        if (strcmp(ref, "multi") == 0 || strcmp(ref, g->idigest) == 0)
            return tp_answer(rq, 200, "application/vnd.oci.image.index.v1+json", g->idigest,
                             (const unsigned char *)g->index, strlen(g->index), (size_t)-1);
        return tp_answer(rq, 404, "application/json", NULL, (const unsigned char *)TP_MANIFEST_UNKNOWN, strlen(TP_MANIFEST_UNKNOWN), (size_t)-1);
    }
    if (strncmp(u, "blobs/", 6) == 0) {
        const tp_blob *b = NULL;
        size_t cut = (size_t)-1;
        int which = 0;
        if (strcmp(u + 6, g->config.digest) == 0) b = &g->config;
        for (k = 0; k < TP_NLAYERS && b == NULL; k++)
            if (strcmp(u + 6, g->layer[k].digest) == 0) { b = &g->layer[k]; which = k + 1; }
        tp_lock(g);
        g->blobs++;
        if (b && which && which == g->cut && !g->cut_done) { g->cut_done = 1; cut = b->len / 2; }
        tp_unlock(g);
        if (b == NULL || (which && which == g->missing))
            return tp_answer(rq, 404, "application/json", NULL, (const unsigned char *)TP_BLOB_UNKNOWN, strlen(TP_BLOB_UNKNOWN), (size_t)-1);
        if (which && which == g->corrupt) {
            unsigned char *bad = (unsigned char *)malloc(b->len);
            crioimg_result r;
            memcpy(bad, b->data, b->len);
            bad[b->len - 1] ^= 1;
            r = tp_answer_wait(rq, 200, "application/octet-stream", NULL, bad, b->len, (size_t)-1, which == 1 && g->wait_help ? g : NULL);
            free(bad);
            return r;
        }
        return tp_answer_wait(rq, 200, "application/octet-stream", NULL, b->data, b->len, cut, which == 1 && g->wait_help ? g : NULL);
    }
    snprintf(err, errcap, "unexpected %s", rq->url);
    return CRIOIMG_ERR_HTTP_CONNECT;
}

typedef struct tp_events {
    char log[4096];                  /* one letter per event: S started, k skipped, b blob started, d done, f failed, D done */
    long long last_total_done, total;
    int progress, monotonic;
    volatile int *cancel;            /* set once progress passes cancel_after bytes */
    long long cancel_after;
} tp_events;

static void tp_progress(void *user, const crioimg_pull_progress *e)
{
    tp_events *v = (tp_events *)user;
    size_t l = strlen(v->log);
    static const char letter[] = "?SkbpdfD";
    if (e->total_done < v->last_total_done) v->monotonic = 0;
    v->last_total_done = e->total_done;
    v->total = e->total;
    if (e->event == CRIOIMG_PULL_BLOB_PROGRESS) v->progress++;
    else if (l + 1 < sizeof v->log) { v->log[l] = letter[e->event]; v->log[l + 1] = '\0'; }
    if (v->cancel && e->total_done >= v->cancel_after) crioimg_cancel(v->cancel);
}

/* The registry log: the pull says when another worker takes over hashing a blob */
static void tp_log(void *user, crioimg_log_level level, const char *msg)
{
    tp_reg *g = (tp_reg *)user;
    if (level == CRIOIMG_LOG_DEBUG && strstr(msg, ": hashed by another worker from here on") && strstr(msg, g->layer[0].digest)) {
        if (g->cancel_on_help) crioimg_cancel(g->cancel_on_help);
        crioimg_cancel(&g->helped);
    }
}

static size_t tp_count(const char *s, char c)
{
    size_t n = 0;
    for (; *s; s++) n += *s == c;
    return n;
}

typedef struct tp_env {
    tp_reg g;
    crioimg_http *http;
    crioimg_store *st;
    crioimg_service *svc;
    crioimg_pull_opts o;
    tp_events ev;
    volatile int cancel;
} tp_env;

static void tp_open(tp_env *t, int dup_layer, int jobs)
{
    crioimg_http_vtable vt;
    memset(t, 0, sizeof *t);
    tp_build(&t->g, dup_layer);
    memset(&vt, 0, sizeof vt);
    vt.version = CRIOIMG_HTTP_VTABLE_VERSION;
    vt.user = &t->g;
    vt.request = tp_request;
    CHECK(crioimg_http_open(&t->http, &vt, NULL) == CRIOIMG_OK);
    CHECK(crioimg_store_open_memory(&t->st, NULL) == CRIOIMG_OK);
    CHECK(crioimg_service_new(&t->svc, t->st, NULL, NULL, 0) == CRIOIMG_OK);
    t->o.registry.http = t->http;
    t->o.registry.no_auth_files = 1;
    t->o.registry.retries = -1;
    t->o.registry.cancel = &t->cancel;
    t->o.jobs = jobs;
    t->o.progress = tp_progress;
    t->o.progress_user = &t->ev;
    t->ev.monotonic = 1;
}

static void tp_close(tp_env *t)
{
    crioimg_service_free(t->svc);
    crioimg_store_close(t->st);
    crioimg_http_close(t->http);
    tp_free(&t->g);
}

/* t's memory store swapped for an OCI store made in dir (a mkdtemp template): 0 when it cannot be */
static int tp_use_oci(tp_env *t, char *dir)
{
    crioimg_store_opts so;
    if (mkdtemp(dir) == NULL) return 0;
    crioimg_service_free(t->svc);
    crioimg_store_close(t->st);
    memset(&so, 0, sizeof so);
    so.create = 1;
    CHECK(crioimg_store_open_oci(&t->st, dir, &so) == CRIOIMG_OK);
    CHECK(crioimg_service_new(&t->svc, t->st, NULL, NULL, 0) == CRIOIMG_OK);
    return 1;
}

static int tp_has(tp_env *t, const char *digest)
{
    return crioimg_store_blob_stat(t->st, digest, NULL) == CRIOIMG_OK;
}

/* t (on an OCI store in dir) holds the image whole; closed, the store reopens clean and goes */
static void tp_close_oci_whole(tp_env *t, const char *dir)
{
    char cmd[200];
    int k;
    CHECK(tp_has(t, t->g.config.digest) && tp_has(t, t->g.mdigest));
    for (k = 0; k < TP_NLAYERS; k++) CHECK(tp_has(t, t->g.layer[k].digest));
    tp_close(t);
    CHECK(ts_reopen_check(dir) == 1);
    CHECK(ts_tmpfiles(dir) == 0);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
}

static size_t tp_images(tp_env *t)
{
    crioimg_image_list l;
    size_t n = 0;
    if (crioimg_store_list(t->st, NULL, &l) == CRIOIMG_OK) n = l.n;
    crioimg_image_list_free(&l);
    return n;
}

static void test_pull(void)
{
    static const int jobs_rows[] = { 1, 0, 3, 16 };
    size_t j;
    for (j = 0; j < sizeof jobs_rows / sizeof jobs_rows[0]; j++) {
        tp_env t;
        crioimg_pull_result res;
        int k;
        char want_id[65];
        tests_context = jobs_rows[j] == 1 ? "pull, jobs 1" : jobs_rows[j] == 0 ? "pull, jobs default" : jobs_rows[j] == 3 ? "pull, jobs 3" : "pull, jobs 16";
        tp_open(&t, 0, jobs_rows[j]);
        CHECK(crioimg_service_pull_image(t.svc, "reg.io/lib/x:1", &t.o, &res) == CRIOIMG_OK);
        CHECK_STR(crioimg_service_error(t.svc), "");
        CHECK_STR(res.name, "reg.io/lib/x:1");
        strcpy(want_id, t.g.config.digest + 7);
        CHECK_STR(res.id, want_id);
        CHECK_STR(res.manifest_digest, t.g.mdigest);
        CHECK_STR(res.source, "reg.io/lib/x:1");
        CHECK(res.blobs_fetched == 1 + TP_NLAYERS && res.blobs_skipped == 0);
        CHECK(t.g.manifests == 1 && t.g.blobs == 1 + TP_NLAYERS);
        CHECK(tp_has(&t, t.g.config.digest) && tp_has(&t, t.g.mdigest));
        for (k = 0; k < TP_NLAYERS; k++) CHECK(tp_has(&t, t.g.layer[k].digest));
        CHECK(tp_images(&t) == 1);
        /* events: started once, each blob begun and done, then done; progress never goes back */
        CHECK(t.ev.log[0] == 'S' && t.ev.log[strlen(t.ev.log) - 1] == 'D');
        CHECK(tp_count(t.ev.log, 'b') == 1 + TP_NLAYERS && tp_count(t.ev.log, 'd') == 1 + TP_NLAYERS);
        CHECK(t.ev.progress >= 1 + TP_NLAYERS && t.ev.monotonic && t.ev.last_total_done == t.ev.total);
        {   /* the manifest stored is the bytes served */
            void *data;
            size_t len;
            CHECK(crioimg_store_get_blob(t.st, t.g.mdigest, 0, &data, &len) == CRIOIMG_OK &&
                  len == strlen(t.g.manifest) && memcmp(data, t.g.manifest, len) == 0);
            crioimg_store_free_blob(t.st, data);
        }
        /* again: the manifest only, every blob skipped */
        t.g.manifests = t.g.blobs = 0;
        t.ev.log[0] = '\0';
        CHECK(crioimg_service_pull_image(t.svc, "docker://reg.io/lib/x:1", &t.o, &res) == CRIOIMG_OK);
        CHECK(t.g.manifests == 1 && t.g.blobs == 0 && res.blobs_fetched == 0 && res.blobs_skipped == 1 + TP_NLAYERS);
        CHECK(tp_count(t.ev.log, 'k') == 1 + TP_NLAYERS && tp_count(t.ev.log, 'b') == 0);
        tp_close(&t);
    }

    {   /* by digest: the name is Name()@digest */
        tp_env t;
        crioimg_pull_result res;
        char name[200];
        tests_context = "pull by digest";
        tp_open(&t, 0, 2);
        sprintf(name, "reg.io/lib/x@%s", t.g.mdigest);
        CHECK(crioimg_service_pull_image(t.svc, name, &t.o, &res) == CRIOIMG_OK);
        CHECK_STR(res.name, name);
        tp_close(&t);
    }

    {   /* an index: the platform's manifest; pulled again, the index alone is asked for */
        tp_env t;
        crioimg_pull_result res;
        tests_context = "pull of an index";
        tp_open(&t, 0, 3);
        CHECK(crioimg_service_pull_image(t.svc, "reg.io/lib/x:multi", &t.o, &res) == CRIOIMG_OK);
        CHECK_STR(res.manifest_digest, t.g.mdigest);
        CHECK(t.g.manifests == 2);
        t.g.manifests = t.g.blobs = 0;
        CHECK(crioimg_service_pull_image(t.svc, "reg.io/lib/x:multi", &t.o, &res) == CRIOIMG_OK);
        CHECK(t.g.manifests == 1 && t.g.blobs == 0);
        tp_close(&t);
    }

    {   /* a layer listed twice is fetched once */
        tp_env t;
        crioimg_pull_result res;
        tests_context = "a layer listed twice";
        tp_open(&t, 1, 3);
        CHECK(crioimg_service_pull_image(t.svc, "reg.io/lib/x:1", &t.o, &res) == CRIOIMG_OK);
        CHECK(t.g.blobs == 1 + TP_NLAYERS && res.blobs_fetched == 1 + TP_NLAYERS);
        CHECK(tp_count(t.ev.log, 'd') == 1 + TP_NLAYERS);
        tp_close(&t);
    }

    {   /* faults: a corrupted layer and a missing one are refused, leaving no image and no bad blob */
        static const struct { const char *what; int corrupt, missing, cut; crioimg_result want; const char *msg; } rows[] = {
            { "a corrupted layer", 3, 0, 0, CRIOIMG_ERR_DIGEST_MISMATCH, "sha256:" },
            { "a missing layer", 0, 2, 0, CRIOIMG_ERR_REGISTRY_BLOB_UNKNOWN, "blob unknown to registry" },
            { "a cut transfer, resumed", 0, 0, 4, CRIOIMG_OK, "" },
        };
        size_t i;
        for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
            int jobs;
            for (jobs = 1; jobs <= 3; jobs += 2) {
                tp_env t;
                crioimg_pull_result res;
                crioimg_result r;
                tests_context = rows[i].what;
                tp_open(&t, 0, jobs);
                t.o.registry.retries = 2;
                t.o.registry.sleep_ms = NULL;
                t.o.registry.retry_delay_ms = 1;
                t.g.corrupt = rows[i].corrupt;
                t.g.missing = rows[i].missing;
                t.g.cut = rows[i].cut;
                r = crioimg_service_pull_image(t.svc, "reg.io/lib/x:1", &t.o, &res);
                CHECK(r == rows[i].want);
                if (!CHECK(strstr(crioimg_service_error(t.svc), rows[i].msg) != NULL)) fprintf(stderr, "  error: %s\n", crioimg_service_error(t.svc));
                if (rows[i].want != CRIOIMG_OK) {
                    int bad = rows[i].corrupt ? rows[i].corrupt : rows[i].missing;
                    CHECK(tp_images(&t) == 0 && !tp_has(&t, t.g.mdigest) && !tp_has(&t, t.g.layer[bad - 1].digest));
                    CHECK(res.name[0] == '\0' && res.id[0] == '\0');
                    CHECK(strstr(crioimg_service_error(t.svc), "reg.io/lib/x:1: ") == crioimg_service_error(t.svc));
                    CHECK(tp_count(t.ev.log, 'D') == 0 && tp_count(t.ev.log, 'f') >= 1);
                } else {
                    CHECK(tp_images(&t) == 1);
                }
                tp_close(&t);
            }
        }
    }

    {   /* cancel: stopped promptly, nothing recorded, nothing partial */
        int jobs;
        for (jobs = 1; jobs <= 3; jobs += 2) {
            tp_env t;
            crioimg_pull_result res;
            int k, have = 0;
            tests_context = "cancel";
            tp_open(&t, 0, jobs);
            t.ev.cancel = &t.cancel;
            t.ev.cancel_after = TP_LAYER_SIZE;
            CHECK(crioimg_service_pull_image(t.svc, "reg.io/lib/x:1", &t.o, &res) == CRIOIMG_ERR_CANCELLED);
            CHECK(tp_images(&t) == 0 && !tp_has(&t, t.g.mdigest));
            for (k = 0; k < TP_NLAYERS; k++) have += tp_has(&t, t.g.layer[k].digest);
            CHECK(have < TP_NLAYERS);
            CHECK(have == 0 && !tp_has(&t, t.g.config.digest));   /* what it had stored was taken back */
            tp_close(&t);
        }
    }

    {   /* a failed pull takes back on the spot what it stored: in a memory store and an OCI store, with one
           worker (the config and layers 1-3 committed before layer 4's corrupted bytes) and three; layer 0,
           put in the store before the pull (unreferenced), stays; nothing else is left, so gc finds only
           layer 0, and no temporary file remains; the next pull skips layer 0 */
        int oci, jobs;
        for (oci = 0; oci <= 1; oci++)
            for (jobs = 1; jobs <= 3; jobs += 2) {
                tp_env t;
                crioimg_pull_result res;
                crioimg_store_gc_result gc;
                char dir[] = "/tmp/crioimg-test-pull-XXXXXX", cmd[200];
                int k;
                tests_context = oci ? "a failed pull takes back its blobs, OCI store" : "a failed pull takes back its blobs, memory store";
                tp_open(&t, 0, jobs);
                if (oci && !CHECK(tp_use_oci(&t, dir))) { tp_close(&t); return; }
                CHECK(crioimg_store_put_blob(t.st, t.g.layer[0].digest, t.g.layer[0].data, t.g.layer[0].len) == CRIOIMG_OK);
                t.g.corrupt = TP_NLAYERS;
                CHECK(crioimg_service_pull_image(t.svc, "reg.io/lib/x:1", &t.o, &res) == CRIOIMG_ERR_DIGEST_MISMATCH);
                if (jobs == 1) CHECK(tp_count(t.ev.log, 'd') == TP_NLAYERS - 1);   /* config, layers 1-3 were stored */
                CHECK(strstr(crioimg_service_error(t.svc), "sha256:") != NULL);     /* the pull's own failure, not the clean-up's */
                CHECK(tp_images(&t) == 0 && !tp_has(&t, t.g.mdigest) && !tp_has(&t, t.g.config.digest));
                for (k = 1; k < TP_NLAYERS; k++) CHECK(!tp_has(&t, t.g.layer[k].digest));
                CHECK(tp_has(&t, t.g.layer[0].digest));                            /* there before: stays */
                if (oci) CHECK(ts_tmpfiles(dir) == 0);
                t.g.corrupt = 0;
                t.g.blobs = 0;
                CHECK(crioimg_service_pull_image(t.svc, "reg.io/lib/x:1", &t.o, &res) == CRIOIMG_OK);
                CHECK(res.blobs_skipped == 1 && res.blobs_fetched == TP_NLAYERS && t.g.blobs == TP_NLAYERS);
                memset(&gc, 0, sizeof gc);
                CHECK(crioimg_store_gc(t.st, &gc) == CRIOIMG_OK && gc.blobs == 0);   /* every blob is the image's */
                tp_close(&t);
                if (oci) {
                    CHECK(ts_reopen_check(dir) == 1);
                    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
                    CHECK(system(cmd) == 0);
                }
            }
    }

    {   /* the signature policy: checked per candidate before anything is fetched from it */
        static const struct { const char *policy; crioimg_result want; const char *msg; } rows[] = {
            { "{\"default\":[{\"type\":\"insecureAcceptAnything\"}]}", CRIOIMG_OK, "" },
            { "{\"default\":[{\"type\":\"reject\"}]}", CRIOIMG_ERR_POLICY_REJECTED,
              "reg.io/lib/x:1: Running image docker://reg.io/lib/x:1 is rejected by policy." },
            { "{\"default\":[{\"type\":\"insecureAcceptAnything\"}],\"transports\":{\"docker\":{\"reg.io/lib\":[{\"type\":\"reject\"}]}}}",
              CRIOIMG_ERR_POLICY_REJECTED, "is rejected by policy." },
            { "{\"default\":[{\"type\":\"reject\"}],\"transports\":{\"docker\":{\"reg.io/lib/x\":[{\"type\":\"insecureAcceptAnything\"}]}}}",
              CRIOIMG_OK, "" },
            { "{\"default\":[{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\",\"keyPath\":\"/k\"}]}",
              CRIOIMG_ERR_POLICY_UNSUPPORTED, "not supported by crioimg" },
        };
        size_t i;
        for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
            tp_env t;
            crioimg_policy *pol = NULL;
            char err[256];
            tests_context = rows[i].policy;
            tp_open(&t, 0, 1);
            CHECK(crioimg_policy_parse(&pol, rows[i].policy, strlen(rows[i].policy), "p.json", NULL, err, sizeof err) == CRIOIMG_OK);
            t.o.policy = pol;
            CHECK(crioimg_service_pull_image(t.svc, "reg.io/lib/x:1", &t.o, NULL) == rows[i].want);
            CHECK(strstr(crioimg_service_error(t.svc), rows[i].msg) != NULL);
            if (rows[i].want != CRIOIMG_OK) CHECK(t.g.pings + t.g.manifests + t.g.blobs == 0 && tp_images(&t) == 0);
            crioimg_policy_free(pol);
            tp_close(&t);
        }
    }

    {   /* arguments */
        tp_env t;
        tests_context = "pull arguments";
        tp_open(&t, 0, 1);
        CHECK(crioimg_service_pull_image(NULL, "x", NULL, NULL) == CRIOIMG_ERR_INVALID_ARGS);
        CHECK(crioimg_service_pull_image(t.svc, NULL, NULL, NULL) == CRIOIMG_ERR_INVALID_ARGS);
        t.o.jobs = -1;
        CHECK(crioimg_service_pull_image(t.svc, "reg.io/lib/x:1", &t.o, NULL) == CRIOIMG_ERR_INVALID_ARGS);
        t.o.jobs = 1;
        /* file transports are loaded from their files (tests/test_archive.c, tests/archive.sh); a registry
           only serves docker:// names, and containers-storage: is nobody's */
        CHECK(crioimg_service_pull_image(t.svc, "oci:/nonexistent-crioimg/x:y", &t.o, NULL) == CRIOIMG_ERR_NOT_FOUND);
        CHECK(strstr(crioimg_service_error(t.svc), "oci:/nonexistent-crioimg/x:y: ") != NULL);
        CHECK(crioimg_service_pull_image(t.svc, "containers-storage:x", &t.o, NULL) == CRIOIMG_ERR_UNSUPPORTED);
        CHECK(crioimg_service_pull_image(t.svc, "reg.io/lib/x:1", &t.o, NULL) == CRIOIMG_OK);   /* out may be NULL */
        tp_close(&t);
        {
            crioimg_service *svc;
            CHECK(crioimg_service_new(&svc, NULL, NULL, NULL, 0) == CRIOIMG_OK);
            CHECK(crioimg_service_pull_image(svc, "reg.io/lib/x:1", NULL, NULL) == CRIOIMG_ERR_INVALID_ARGS);
            CHECK_STR(crioimg_service_error(svc), "the image service has no store");
            crioimg_service_free(svc);
        }
    }

    {   /* into the OCI store, whose blob writes run outside the pull's lock (blob_error), with three
           workers: the image whole and reopenable; a disk that fills up half way through a write (every
           position a write can fail at) loses nothing: the store's error names the file and errno, no
           temporary file or image is left, and the next pull completes */
        static const long at_rows[] = { 0, 1, 3, 9, 17 };
        size_t a;
        for (a = 0; a < sizeof at_rows / sizeof at_rows[0]; a++) {
            tp_env t;
            crioimg_pull_result res;
            char dir[] = "/tmp/crioimg-test-pull-XXXXXX";
            tests_context = at_rows[a] ? "pull into an OCI store, ENOSPC at a write" : "pull into an OCI store, jobs 3";
            tp_open(&t, 0, 3);
            if (!tp_use_oci(&t, dir)) { CHECK(0); tp_close(&t); return; }
            if (at_rows[a]) {
                ts_fault(0, at_rows[a], ENOSPC);
                CHECK(crioimg_service_pull_image(t.svc, "reg.io/lib/x:1", &t.o, &res) == CRIOIMG_ERR_IO);
                CHECK(ts_fault_hits == 1);
                ts_fault(-1, 0, 0);
                CHECK(strstr(crioimg_service_error(t.svc), "cannot write .crioimg-tmp-") != NULL);
                CHECK(strstr(crioimg_service_error(t.svc), ": No space left on device") != NULL);
                CHECK(ts_tmpfiles(dir) == 0);
                CHECK(tp_images(&t) == 0 && !tp_has(&t, t.g.mdigest));
            }
            CHECK(crioimg_service_pull_image(t.svc, "reg.io/lib/x:1", &t.o, &res) == CRIOIMG_OK);
            CHECK_STR(crioimg_service_error(t.svc), "");
            tp_close_oci_whole(&t, dir);
        }
    }
#ifdef CRIOIMG__SVC_THREADS
    {   /* a worker with nothing left to fetch hashes a big blob (layer 0, 6 MiB) from the OCI store while
           its own worker receives it (the registry serves it a quarter at a time until the pull says so):
           the image whole; a corrupted last byte refused; a connection cut half way survived (the bytes
           sent again are checked against the hash of those the helper hashed); a disk that fills up and
           a cancel while it hashes lose nothing; then the next pull completes */
        static const char *const rows[] = { "ok", "corrupt", "cut", "enospc", "cancel" };
        size_t i;
        for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
            tp_env t;
            crioimg_pull_result res;
            crioimg_result want = CRIOIMG_OK, got;
            char dir[] = "/tmp/crioimg-test-pull-XXXXXX";
            tests_context = rows[i];
            tp_big = 6u << 20;
            tp_open(&t, 0, 3);
            tp_big = 0;
            if (!tp_use_oci(&t, dir)) { CHECK(0); tp_close(&t); return; }
            t.o.registry.log = tp_log;
            t.o.registry.log_user = &t.g;
            t.o.registry.retries = 2;
            t.o.registry.sleep_ms = NULL;
            t.o.registry.retry_delay_ms = 1;
            t.g.wait_help = 1;
            if (i == 1) t.g.corrupt = 1, want = CRIOIMG_ERR_DIGEST_MISMATCH;
            if (i == 2) t.g.cut = 1;
            if (i == 3) ts_fault(0, 300, ENOSPC), want = CRIOIMG_ERR_IO;   /* write 300: within layer 0's second half */
            if (i == 4) t.g.cancel_on_help = &t.cancel, want = CRIOIMG_ERR_CANCELLED;
            got = crioimg_service_pull_image(t.svc, "reg.io/lib/x:1", &t.o, &res);
            if (i == 3) ts_fault(-1, 0, 0);
            CHECK(got == want);
            CHECK(crioimg_cancelled(&t.g.helped));
            if (want != CRIOIMG_OK) {
                CHECK(tp_images(&t) == 0 && !tp_has(&t, t.g.layer[0].digest) && ts_tmpfiles(dir) == 0);
                if (i == 1) CHECK(strstr(crioimg_service_error(t.svc), "does not match its digest") != NULL);
                if (i == 3) CHECK(strstr(crioimg_service_error(t.svc), "No space left on device") != NULL);
                t.g.corrupt = 0; t.g.wait_help = 0; t.g.cancel_on_help = NULL; t.cancel = 0;
                CHECK(crioimg_service_pull_image(t.svc, "reg.io/lib/x:1", &t.o, &res) == CRIOIMG_OK);
            }
            if (i == 2) CHECK(t.g.cut_done == 1);
            CHECK(tp_images(&t) == 1);
            tp_close_oci_whole(&t, dir);
        }
    }
#endif
    tests_context = "";
}
