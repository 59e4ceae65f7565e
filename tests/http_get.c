/* The transport tests' driver (tests/transport.sh): requests through crioimg_http_open_default, which is
   libcurl in build/http_get and the sockets + mbedtls transport in build/http_get_mbedtls. One transport
   for all URLs, so that connections can be reused; each response printed as

     status CODE
     header NAME: VALUE          (one a field, in order)
     body LEN
     BYTES                       (up to 64 KiB, and a new line when they lack one; a longer body
                                  as "sha256 HEX")

   or, when a request fails, "error RESULT_NAME: detail" and "partial LEN" (the body bytes that came
   before it; exit 1 at the end).

     http_get [-X METHOD] [-d BODY] [-H 'Name: value']... [--ca FILE]... [--cert F] [--key F] [-k]
              [--idle-ms N] [--connect-ms N] [--header-ms N] [--total-ms N] [--min-bytes N --period-ms N]
              [--cancel-after-bytes N] [--cancel-ms N] URL...

   --cancel-after-bytes raises the cancel flag from the body callback; --cancel-ms from another thread
   after N ms (once, for the whole run), which is how a stalled transfer is cancelled. */
#define _POSIX_C_SOURCE 200809L
#define _FILE_OFFSET_BITS 64   /* large blobs on 32-bit systems: before any #include, as crioimg needs */
#define CRIOIMG_IMPLEMENTATION
#include "../crioimg.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SHOW_MAX 65536          /* a body longer than this is shown by its SHA-256 */

typedef struct resp {
    char *body;
    size_t len, cap;
    crioimg_sha256_ctx sha;
    long cancel_after;          /* set *cancel once this many body bytes came; -1: never */
    long cancel_ms;             /* a thread sets *cancel after this many ms; 0: never */
    volatile int cancel;
} resp;

static crioimg_result on_status(void *ctx, int code) { (void)ctx; printf("status %d\n", code); return CRIOIMG_OK; }

static crioimg_result on_header(void *ctx, const char *n, size_t nl, const char *v, size_t vl)
{
    (void)ctx;
    if (vl > 200) printf("header %.*s: (%lu bytes)\n", (int)nl, n, (unsigned long)vl);
    else printf("header %.*s: %.*s\n", (int)nl, n, (int)vl, v);
    return CRIOIMG_OK;
}

/* keeps the first SHOW_MAX bytes, hashes them all */
static crioimg_result on_body(void *ctx, const void *d, size_t n)
{
    resp *r = (resp *)ctx;
    size_t keep = r->len >= SHOW_MAX ? 0 : SHOW_MAX - r->len < n ? SHOW_MAX - r->len : n;
    if (r->len + keep > r->cap) {
        size_t nc = (r->len + keep) * 2;
        char *p = (char *)realloc(r->body, nc);
        if (p == NULL) return CRIOIMG_ERR_NOMEM;
        r->body = p; r->cap = nc;
    }
    if (keep) memcpy(r->body + r->len, d, keep);
    crioimg_sha256_update(&r->sha, d, n);
    r->len += n;
    if (r->cancel_after >= 0 && (long)r->len >= r->cancel_after) r->cancel = 1;
    return CRIOIMG_OK;
}

static void print_body(resp *r)
{
    unsigned char md[32];
    int k;
    printf("body %lu\n", (unsigned long)r->len);
    if (r->len <= SHOW_MAX) {
        fwrite(r->body ? r->body : "", 1, r->len, stdout);
        if (r->len && r->body[r->len - 1] != '\n') printf("\n");   /* the next response starts a line */
        return;
    }
    crioimg_sha256_final(&r->sha, md);
    printf("sha256 ");
    for (k = 0; k < 32; k++) printf("%02x", md[k]);
    printf("\n");
}

static void *canceller(void *arg)
{
    resp *r = (resp *)arg;
    struct timespec ts;
    ts.tv_sec = r->cancel_ms / 1000;
    ts.tv_nsec = (r->cancel_ms % 1000) * 1000000L;
    nanosleep(&ts, NULL);
    r->cancel = 1;
    return NULL;
}

int main(int argc, char **argv)
{
    crioimg_http *h;
    crioimg_http_header hdrs[16];
    const char *cas[8];
    char names[16][256], err[512];
    size_t nh = 0, nca = 0;
    crioimg_http_request rq;
    resp rs;
    pthread_t th;
    int i, failed = 0;
    crioimg_result r;
    memset(&rq, 0, sizeof rq);
    memset(&rs, 0, sizeof rs);
    rs.cancel_after = -1;
    rq.tls.insecure_skip_verify = 0;   /* the default: verified */
    rq.allow_local_addresses = 1;      /* a URL the user typed, as the registry's own origin (a zeroed request refuses them) */
    for (i = 1; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "-k") == 0) { rq.tls.insecure_skip_verify = 1; continue; }
        if (v == NULL) { fprintf(stderr, "http_get: %s needs a value\n", a); return 2; }
        i++;
        if (strcmp(a, "-X") == 0) rq.method = v;
        else if (strcmp(a, "-d") == 0) { rq.body = v; rq.body_len = strlen(v); }
        else if (strcmp(a, "-H") == 0 && nh < 16) {
            const char *c = strchr(v, ':');
            size_t l = c ? (size_t)(c - v) : strlen(v);
            if (l >= sizeof names[0]) return 2;
            memcpy(names[nh], v, l); names[nh][l] = '\0';
            hdrs[nh].name = names[nh];
            hdrs[nh].value = c ? c + 1 + (c[1] == ' ') : "";
            nh++;
        } else if (strcmp(a, "--ca") == 0 && nca < 8) cas[nca++] = v;
        else if (strcmp(a, "--cert") == 0) rq.tls.cert_file = v;
        else if (strcmp(a, "--key") == 0) rq.tls.key_file = v;
        else if (strcmp(a, "--idle-ms") == 0) rq.idle_timeout_ms = atol(v);
        else if (strcmp(a, "--connect-ms") == 0) rq.connect_timeout_ms = atol(v);
        else if (strcmp(a, "--header-ms") == 0) rq.header_timeout_ms = atol(v);
        else if (strcmp(a, "--total-ms") == 0) rq.total_timeout_ms = atol(v);
        else if (strcmp(a, "--min-bytes") == 0) rq.min_bytes = (size_t)atol(v);
        else if (strcmp(a, "--period-ms") == 0) rq.min_period_ms = atol(v);
        else if (strcmp(a, "--cancel-after-bytes") == 0) rs.cancel_after = atol(v);
        else if (strcmp(a, "--cancel-ms") == 0) rs.cancel_ms = atol(v);
        else { fprintf(stderr, "http_get: unknown option %s\n", a); return 2; }
    }
    rq.headers = hdrs; rq.nheaders = nh;
    rq.tls.ca_files = cas; rq.tls.nca_files = nca;
    rq.cancel = &rs.cancel;
    rq.sink.ctx = &rs;
    rq.sink.status = on_status;
    rq.sink.header = on_header;
    rq.sink.body = on_body;
    if ((r = crioimg_http_open_default(&h, NULL)) != CRIOIMG_OK) {
        printf("error %s: cannot open the transport\n", crioimg_result_name(r));
        return 1;
    }
    if (rs.cancel_ms > 0 && pthread_create(&th, NULL, canceller, &rs) != 0) { crioimg_http_close(h); return 2; }
    for (; i < argc; i++) {
        rq.url = argv[i];
        rs.len = 0;
        if (rs.cancel_ms == 0) rs.cancel = 0;   /* the thread's flag stays up once raised */
        crioimg_sha256_init(&rs.sha);
        r = crioimg_http_do(h, &rq, err, sizeof err);
        if (r != CRIOIMG_OK) printf("error %s: %s\npartial %lu\n", crioimg_result_name(r), err, (unsigned long)rs.len);
        else print_body(&rs);
        failed |= r != CRIOIMG_OK;
        fflush(stdout);
    }
    if (rs.cancel_ms > 0) pthread_join(th, NULL);
    crioimg_http_close(h);
    free(rs.body);
    return failed;
}
