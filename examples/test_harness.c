/* A test harness for code that pulls images, with no registry and no disk: a canned transport (an
   HTTP vtable that answers from byte arrays built here) and the library's in-memory store. The code
   under test is deploy() below, standing for a host's own logic; the tests call it as they would in
   production and check what it returns and what the store then holds, including the failures a real
   registry can cause (an unknown tag, a corrupted blob).

     cc -std=c99 -o test_harness test_harness.c && ./test_harness

   Ends with "N passed, N failed"; exit status 1 when a test failed. */
/* POSIX declarations: a pull reads the registry's certs.d directory (crioimg_tls_files_load), which
   needs <dirent.h>; without them every secure registry fails with ERR_UNSUPPORTED */
#define _POSIX_C_SOURCE 200809L
#define _FILE_OFFSET_BITS 64   /* large blobs on 32-bit systems: before any #include, as crioimg needs */
#define CRIOIMG_IMPLEMENTATION
#include "../crioimg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the code under test ---------------------------------------------------------------------- */

/* Pulls name and makes sure the store lists it afterwards; on success *id is the image ID. This is where
   a host's own logic would be (policy, bookkeeping, starting a container ...). */
static crioimg_result deploy(crioimg_service *svc, const crioimg_pull_opts *po, const char *name, char id[65])
{
    crioimg_pull_result res;
    crioimg_image_list l;
    crioimg_result r = crioimg_service_pull_image(svc, name, po, &res);
    if (r != CRIOIMG_OK) return r;
    if ((r = crioimg_service_image_status(svc, res.name, &l)) != CRIOIMG_OK) return r;
    r = l.n == 1 && strcmp(l.images[0].id, res.id) == 0 ? CRIOIMG_OK : CRIOIMG_ERR_IMAGE_UNKNOWN;
    memcpy(id, res.id, 65);
    crioimg_image_list_free(&l);
    return r;
}

/* ---- the canned registry ---------------------------------------------------------------------- */

/* One canned answer: a URL path and what to serve for it. */
typedef struct canned {
    char path[256];
    const char *content_type;    /* NULL: none */
    char digest[CRIOIMG_DIGEST_STRING_MAX + 1];   /* Docker-Content-Digest; "" for none */
    char *body;
    size_t len;
} canned;

#define MAX_CANNED 16
typedef struct canned_registry {
    canned answers[MAX_CANNED];
    size_t n;
    unsigned requests;           /* how many requests reached the transport */
} canned_registry;

static void sha256_of(const void *data, size_t len, char out[CRIOIMG_DIGEST_STRING_MAX + 1])
{
    crioimg_hasher h;
    crioimg_hasher_init(&h, CRIOIMG_DIGEST_SHA256);
    crioimg_hasher_update(&h, data, len);
    crioimg_hasher_final_string(&h, out, CRIOIMG_DIGEST_STRING_MAX + 1);
}

/* Adds an answer (the body copied); its digest is the body's own sha256. */
static canned *can(canned_registry *c, const char *path, const char *content_type, const void *body, size_t len)
{
    canned *a = &c->answers[c->n++];
    snprintf(a->path, sizeof a->path, "%s", path);
    a->content_type = content_type;
    a->body = (char *)malloc(len + 1);
    memcpy(a->body, body, len);
    a->len = len;
    sha256_of(body, len, a->digest);
    return a;
}

/* The transport: finds the URL's path among the answers; 200 with it, else a registry's 404. The scheme
   and host are ignored: every registry is this one. */
static crioimg_result canned_request(void *user, const crioimg_http_request *rq, char *err, size_t errcap)
{
    static const char unknown[] = "{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\",\"message\":\"manifest unknown\"}]}";
    canned_registry *c = (canned_registry *)user;
    crioimg_url u;
    const canned *a = NULL;
    size_t i;
    crioimg_result r;
    int head = rq->method && strcmp(rq->method, "HEAD") == 0;
    char len[32];
    (void)err; (void)errcap;
    c->requests++;
    crioimg_url_parse(&u, rq->url, strlen(rq->url));
    for (i = 0; i < c->n; i++)
        if (strlen(c->answers[i].path) == u.path.len && memcmp(c->answers[i].path, u.path.ptr, u.path.len) == 0) a = &c->answers[i];
    if (a == NULL) {
        if ((r = rq->sink.status(rq->sink.ctx, 404)) != CRIOIMG_OK) return r;
        if ((r = rq->sink.header(rq->sink.ctx, "Content-Type", 12, "application/json", 16)) != CRIOIMG_OK) return r;
        return head ? CRIOIMG_OK : rq->sink.body(rq->sink.ctx, unknown, sizeof unknown - 1);
    }
    if ((r = rq->sink.status(rq->sink.ctx, 200)) != CRIOIMG_OK) return r;
    snprintf(len, sizeof len, "%lu", (unsigned long)a->len);
    if ((r = rq->sink.header(rq->sink.ctx, "Content-Length", 14, len, strlen(len))) != CRIOIMG_OK) return r;
    if (a->content_type && (r = rq->sink.header(rq->sink.ctx, "Content-Type", 12, a->content_type, strlen(a->content_type))) != CRIOIMG_OK)
        return r;
    if (strncmp(a->path, "/v2/", 4) == 0 && strlen(a->path) > 4 &&
        (r = rq->sink.header(rq->sink.ctx, "Docker-Content-Digest", 21, a->digest, strlen(a->digest))) != CRIOIMG_OK)
        return r;
    return head || a->len == 0 ? CRIOIMG_OK : rq->sink.body(rq->sink.ctx, a->body, a->len);
}

static void canned_close(void *user)
{
    canned_registry *c = (canned_registry *)user;
    while (c->n) free(c->answers[--c->n].body);
}

/* A tiny image in repository repo, tag tag: a config and one layer; the manifest names both by digest.
   corrupt: the layer served is not the layer the manifest names (a flipped byte, the same size). */
static void can_image(canned_registry *c, const char *repo, const char *tag, const char *layer_text, int corrupt)
{
    static const char config[] = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}";
    char cfg[CRIOIMG_DIGEST_STRING_MAX + 1], lay[CRIOIMG_DIGEST_STRING_MAX + 1], path[256], man[1024];
    size_t n = strlen(layer_text);
    char *served = (char *)malloc(n + 1);
    sha256_of(config, sizeof config - 1, cfg);
    sha256_of(layer_text, n, lay);
    memcpy(served, layer_text, n + 1);
    if (corrupt) served[0] ^= 1;
    snprintf(path, sizeof path, "/v2/%s/blobs/%s", repo, cfg);
    can(c, path, "application/octet-stream", config, sizeof config - 1);
    snprintf(path, sizeof path, "/v2/%s/blobs/%s", repo, lay);
    can(c, path, "application/octet-stream", served, n);
    free(served);
    snprintf(man, sizeof man,
             "{\"schemaVersion\":2,\"mediaType\":\"%s\",\"config\":{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%lu},"
             "\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"%s\",\"size\":%lu}]}",
             CRIOIMG_MEDIA_OCI_MANIFEST, CRIOIMG_MEDIA_OCI_CONFIG, cfg, (unsigned long)(sizeof config - 1), lay, (unsigned long)n);
    snprintf(path, sizeof path, "/v2/%s/manifests/%s", repo, tag);
    can(c, path, CRIOIMG_MEDIA_OCI_MANIFEST, man, strlen(man));
}

/* ---- the tests -------------------------------------------------------------------------------- */

static int passed, failed;

#define CHECK(cond, ...) do {                                            \
        if (cond) passed++;                                              \
        else { failed++; printf("FAIL %s:%d: ", __FILE__, __LINE__); printf(__VA_ARGS__); printf("\n"); } \
    } while (0)

static void no_sleep(void *user, long ms) { (void)user; (void)ms; }

int main(void)
{
    canned_registry reg;
    crioimg_http_vtable vt = CRIOIMG_HTTP_VTABLE_INIT;   /* this header's version, the rest NULL */
    crioimg_http *http;
    crioimg_store *st;
    crioimg_service *svc;
    crioimg_service_opts so;
    crioimg_pull_opts po;
    crioimg_image_list l;
    char id[65] = "", err[256];
    unsigned before;
    crioimg_result r;

    /* the fixtures: one registry with a good image, one whose layer is served corrupted */
    memset(&reg, 0, sizeof reg);
    can(&reg, "/v2/", "application/json", "{}", 2);
    can_image(&reg, "team/app", "1", "the layer of app:1", 0);
    can_image(&reg, "team/broken", "1", "the layer of broken:1", 1);

    vt.user = &reg;
    vt.request = canned_request;
    vt.close = canned_close;
    if (crioimg_http_open(&http, &vt, NULL) != CRIOIMG_OK || crioimg_store_open_memory(&st, NULL) != CRIOIMG_OK) return 1;

    memset(&so, 0, sizeof so);
    so.no_resolver = 1;               /* registry.test is never looked up: secure, by rule */
    if (crioimg_service_new(&svc, st, &so, err, sizeof err) != CRIOIMG_OK) { printf("service: %s\n", err); return 1; }

    memset(&po, 0, sizeof po);
    po.registry.http = http;          /* every request goes to the canned registry */
    po.registry.no_auth_files = 1;    /* the developer's own credentials stay out of the tests */
    po.registry.retries = -1;         /* a canned failure is final; no backoff to wait for */
    po.registry.sleep_ms = no_sleep;
    po.jobs = 1;

    /* 1. the good image: deployed, listed under its full name, its two blobs fetched */
    r = deploy(svc, &po, "registry.test/team/app:1", id);
    CHECK(r == CRIOIMG_OK, "deploy app:1: %s: %s", crioimg_result_name(r), crioimg_service_error(svc));
    CHECK(crioimg_service_list_images(svc, NULL, &l) == CRIOIMG_OK && l.n == 1 &&
          strcmp(l.images[0].names[0], "registry.test/team/app:1") == 0 && strcmp(l.images[0].id, id) == 0,
          "the store lists registry.test/team/app:1 only");
    crioimg_image_list_free(&l);

    /* 2. deployed again: only the manifest is asked for (the blobs are in the store) */
    before = reg.requests;
    r = deploy(svc, &po, "registry.test/team/app:1", id);
    CHECK(r == CRIOIMG_OK, "deploy app:1 again: %s", crioimg_result_name(r));
    CHECK(reg.requests - before <= 2, "a second deploy made %u requests (ping and manifest expected)", reg.requests - before);

    /* 3. an unknown tag: the registry's 404, as the registry's error */
    r = deploy(svc, &po, "registry.test/team/app:2", id);
    CHECK(r == CRIOIMG_ERR_REGISTRY_MANIFEST_UNKNOWN, "deploy app:2: %s (want ERR_REGISTRY_MANIFEST_UNKNOWN)", crioimg_result_name(r));
    CHECK(strstr(crioimg_service_error(svc), "manifest unknown") != NULL, "the message says why: %s", crioimg_service_error(svc));

    /* 4. a corrupted layer: refused by its digest, nothing recorded */
    memset(&l, 0, sizeof l);
    r = deploy(svc, &po, "registry.test/team/broken:1", id);
    CHECK(r == CRIOIMG_ERR_DIGEST_MISMATCH, "deploy broken:1: %s (want ERR_DIGEST_MISMATCH)", crioimg_result_name(r));
    CHECK(crioimg_service_image_status(svc, "registry.test/team/broken:1", &l) == CRIOIMG_ERR_IMAGE_UNKNOWN,
          "broken:1 is not in the store");
    crioimg_image_list_free(&l);

    /* 5. the store is as before the failures: app:1 alone */
    CHECK(crioimg_service_list_images(svc, NULL, &l) == CRIOIMG_OK && l.n == 1, "one image left");
    crioimg_image_list_free(&l);

    /* 6. an invalid name never reaches the transport */
    before = reg.requests;
    r = deploy(svc, &po, "registry.test/Team/App:1", id);
    CHECK(r != CRIOIMG_OK && reg.requests == before, "an invalid name: %s, %u requests", crioimg_result_name(r), reg.requests - before);

    crioimg_service_free(svc);
    crioimg_store_close(st);
    crioimg_http_close(http);         /* calls canned_close */
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
