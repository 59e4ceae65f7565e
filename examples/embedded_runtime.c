/* An embedded runtime's pull: the host brings its own HTTP transport (examples/host_transport.c: plain
   HTTP/1.0 over sockets, no TLS library, no libcurl) and its own store (examples/host_store.c: a vtable
   over arrays of this program; a device would put its flash or database there). The library does the
   rest: name resolution, the insecure-registry decision, the registry protocol (ping, tokens, retries),
   digests and sizes checked before anything is stored, the image recorded under its name. One blob at a
   time (jobs = 1): no thread is started, so this also runs where there are none.

     cc -std=c99 -o embedded_runtime embedded_runtime.c
     ./embedded_runtime http://127.0.0.1:5000 test/hello:1     a registry given as a URL
     ./embedded_runtime 127.0.0.1:5000/test/hello:1            or the name as a whole

   Loopback registries are insecure by default (CRI-O's rule), so the library asks https first, which
   this transport refuses, then plain http. An http:// URL makes its host insecure as
   --insecure-registry would. Prints each blob as it is stored, then the image as the store lists it.
*/
#define EXAMPLE_NO_MAIN
#include "host_transport.c"   /* first: it sets _POSIX_C_SOURCE for the system headers */
#include "host_store.c"

/* The registry client asks an insecure registry over https first and falls back to plain http when that
   cannot connect or fails TLS. host_transport.c has no TLS at all and says so with ERR_UNSUPPORTED; here
   that is reported as the TLS failure it amounts to, so the fallback happens. (A secure registry still
   fails: it is never asked over plain http.) */
static crioimg_result plain_http_request(void *user, const crioimg_http_request *rq, char *err, size_t errcap)
{
    crioimg_result r = request(user, rq, err, errcap);   /* host_transport.c's */
    return r == CRIOIMG_ERR_UNSUPPORTED && strncmp(rq->url, "https:", 6) == 0 ? CRIOIMG_ERR_HTTP_TLS : r;
}

/* Progress: one line per blob stored or skipped (the library calls this one call at a time). */
static void on_progress(void *user, const crioimg_pull_progress *p)
{
    (void)user;
    if (p->event == CRIOIMG_PULL_STARTED)
        printf("pulling %s: %zu blobs, %lld bytes\n", p->source, p->count, p->total);
    else if (p->event == CRIOIMG_PULL_BLOB_DONE || p->event == CRIOIMG_PULL_BLOB_SKIPPED)
        printf("  %s %.19s  %lld bytes\n", p->event == CRIOIMG_PULL_BLOB_DONE ? "stored " : "skipped", p->digest, p->size);
}

int main(int argc, char **argv)
{
    host h;                          /* the host's store: see host_store.c */
    crioimg_store_vtable svt;
    crioimg_http_vtable hvt;         /* the host's transport: see host_transport.c */
    crioimg_store *st = NULL;
    crioimg_http *http = NULL;
    crioimg_service *svc = NULL;
    crioimg_service_opts so;
    crioimg_pull_opts po;
    crioimg_pull_result res;
    crioimg_image_list l;
    char name[CRIOIMG_REF_STRING_MAX + 1], insecure[256], err[512];
    const char *insecure_list[1];
    crioimg_result r;
    size_t i;
    int status = 1;

    if (argc == 3 && strncmp(argv[1], "http://", 7) == 0) {
        /* http://HOST[:PORT] and REPO:TAG: the registry is told insecure, as --insecure-registry HOST:PORT */
        size_t n = strcspn(argv[1] + 7, "/");
        if (n == 0 || n >= sizeof insecure) { fprintf(stderr, "embedded_runtime: bad registry URL %s\n", argv[1]); return 2; }
        memcpy(insecure, argv[1] + 7, n);
        insecure[n] = '\0';
        if ((size_t)snprintf(name, sizeof name, "%s/%s", insecure, argv[2]) >= sizeof name) { fprintf(stderr, "embedded_runtime: name too long\n"); return 2; }
    } else if (argc == 2) {
        if (strlen(argv[1]) >= sizeof name) { fprintf(stderr, "embedded_runtime: name too long\n"); return 2; }
        strcpy(name, argv[1]);
        insecure[0] = '\0';
    } else {
        fprintf(stderr, "usage: embedded_runtime http://HOST:PORT REPO:TAG\n       embedded_runtime REGISTRY/REPO:TAG\n");
        return 2;
    }

    /* the host's store and transport, each plugged in through its vtable */
    memset(&h, 0, sizeof h);
    host_store_vtable(&h, &svt);
    host_transport_vtable(&hvt);
    hvt.request = plain_http_request;
    if (crioimg_store_open(&st, &svt, NULL) != CRIOIMG_OK || crioimg_http_open(&http, &hvt, NULL) != CRIOIMG_OK) {
        fprintf(stderr, "embedded_runtime: cannot open the store or the transport\n");
        goto out;
    }

    /* the image service over that store: CRI-O's GetImageService */
    memset(&so, 0, sizeof so);
    if (insecure[0]) { insecure_list[0] = insecure; so.insecure_registries = insecure_list; so.ninsecure = 1; }
    if ((r = crioimg_service_new(&svc, st, &so, err, sizeof err)) != CRIOIMG_OK) {
        fprintf(stderr, "embedded_runtime: %s\n", err[0] ? err : crioimg_result_str(r));
        goto out;
    }

    /* the pull: through the host's transport, one blob at a time, no thread */
    memset(&po, 0, sizeof po);
    po.registry.http = http;          /* borrowed: the service never closes it */
    po.registry.no_auth_files = 1;    /* a device has no ~/.docker/config.json; give username/password if needed */
    po.jobs = 1;
    po.progress = on_progress;
    if ((r = crioimg_service_pull_image(svc, name, &po, &res)) != CRIOIMG_OK) {
        fprintf(stderr, "embedded_runtime: pull %s: %s\n", name, crioimg_service_error(svc));
        goto out;
    }
    printf("pulled %s from %s: %zu blobs fetched (%lld bytes), %zu skipped\n", res.name, res.source,
           res.blobs_fetched, res.bytes_fetched, res.blobs_skipped);

    /* what the store holds now, as crictl images would show it */
    if ((r = crioimg_service_list_images(svc, NULL, &l)) != CRIOIMG_OK) {
        fprintf(stderr, "embedded_runtime: list: %s\n", crioimg_service_error(svc));
        goto out;
    }
    for (i = 0; i < l.n; i++)
        printf("IMAGE %.12s  %s  %lld bytes\n", l.images[i].id, l.images[i].image_ref, l.images[i].size);
    status = l.n == 1 && strcmp(l.images[0].id, res.id) == 0 ? 0 : 1;
    crioimg_image_list_free(&l);
    printf("host store: %zu index entries, %zu blobs\n", h.n, h.nblobs);

out:
    crioimg_service_free(svc);        /* the service before the store it borrows */
    crioimg_store_close(st);
    crioimg_http_close(http);
    host_store_free(&h);
    return status;
}
