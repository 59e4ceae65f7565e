/* A small driver of the built-in sockets + mbedtls transport for tests/http_mbedtls.sh: performs each URL
   in turn through one transport (so keep-alive shows) and prints one line a request:
     result=NAME status=CODE len=BODY-BYTES body=FIRST-BYTES err=DETAIL
   Options: --method M, --data STR (the body), --header "Name: value" (repeatable), --cacert FILE
   (repeatable), --cert FILE --key FILE, --insecure (verify=0), --idle-ms N, --connect-ms N,
   --cancel-ms N (a thread raises the cancel flag after N ms). */
#define _POSIX_C_SOURCE 200809L
#define CRIOIMG_IMPLEMENTATION
#include "../crioimg.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct got { int code; size_t len, kept; char body[256]; } got;

static crioimg_result on_status(void *ctx, int code) { ((got *)ctx)->code = code; return CRIOIMG_OK; }

/* counts the body and keeps its first bytes, new lines as spaces (one output line a request) */
static crioimg_result on_body(void *ctx, const void *data, size_t len)
{
    got *g = (got *)ctx;
    size_t k;
    for (k = 0; k < len && g->kept < sizeof g->body - 1; k++) {
        char c = ((const char *)data)[k];
        g->body[g->kept++] = c == '\n' || c == '\r' ? ' ' : c;
    }
    g->len += len;
    return CRIOIMG_OK;
}

static volatile int cancel_flag;
static long cancel_ms;

static void *canceller(void *arg)
{
    struct timespec ts;
    (void)arg;
    ts.tv_sec = cancel_ms / 1000;
    ts.tv_nsec = (cancel_ms % 1000) * 1000000L;
    nanosleep(&ts, NULL);
    cancel_flag = 1;
    return NULL;
}

int main(int argc, char **argv)
{
    crioimg_http *h;
    crioimg_http_request rq;
    crioimg_http_header hdr[16];
    char names[16][128];
    const char *cas[8];
    int i, failed = 0;
    pthread_t th;
    crioimg_result r;
    memset(&rq, 0, sizeof rq);
    rq.tls.verify = 1;
    rq.tls.ca_files = cas;
    rq.headers = hdr;
    for (i = 1; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(o, "--insecure") == 0) { rq.tls.verify = 0; continue; }
        if (v == NULL) { fprintf(stderr, "%s needs a value\n", o); return 2; }
        i++;
        if (strcmp(o, "--method") == 0) rq.method = v;
        else if (strcmp(o, "--data") == 0) { rq.body = v; rq.body_len = strlen(v); }
        else if (strcmp(o, "--header") == 0 && rq.nheaders < 16) {
            const char *colon = strchr(v, ':');
            size_t n = colon ? (size_t)(colon - v) : 0;
            if (colon == NULL || n >= sizeof names[0]) return 2;
            memcpy(names[rq.nheaders], v, n);
            names[rq.nheaders][n] = '\0';
            hdr[rq.nheaders].name = names[rq.nheaders];
            hdr[rq.nheaders].value = colon + 1 + (colon[1] == ' ');
            rq.nheaders++;
        } else if (strcmp(o, "--cacert") == 0 && rq.tls.nca_files < 8) cas[rq.tls.nca_files++] = v;
        else if (strcmp(o, "--cert") == 0) rq.tls.cert_file = v;
        else if (strcmp(o, "--key") == 0) rq.tls.key_file = v;
        else if (strcmp(o, "--idle-ms") == 0) rq.idle_timeout_ms = atol(v);
        else if (strcmp(o, "--connect-ms") == 0) rq.connect_timeout_ms = atol(v);
        else if (strcmp(o, "--cancel-ms") == 0) { cancel_ms = atol(v); rq.cancel = &cancel_flag; }
        else { fprintf(stderr, "unknown option %s\n", o); return 2; }
    }
    if ((r = crioimg_http_open_mbedtls(&h, NULL)) != CRIOIMG_OK) { printf("open: %s\n", crioimg_result_name(r)); return 1; }
    if (cancel_ms && pthread_create(&th, NULL, canceller, NULL) != 0) return 1;
    for (; i < argc; i++) {
        got g;
        char err[512];
        memset(&g, 0, sizeof g);
        rq.url = argv[i];
        rq.sink.ctx = &g;
        rq.sink.status = on_status;
        rq.sink.body = on_body;
        r = crioimg_http_do(h, &rq, err, sizeof err);
        printf("result=%s status=%d len=%lu body=%s err=%s\n", crioimg_result_name(r), g.code, (unsigned long)g.len, g.body, err);
        fflush(stdout);
        failed |= r != CRIOIMG_OK;
    }
    if (cancel_ms) pthread_join(th, NULL);
    crioimg_http_close(h);
    return failed;
}
