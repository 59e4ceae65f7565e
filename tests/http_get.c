/* The transport tests' driver: requests through crioimg_http_open_default (libcurl in this build), one
   transport for all URLs so that connections can be reused, each response printed as

     status CODE
     header NAME: VALUE          (one a field, in order)
     body LEN
     BYTES

   or "error RESULT_NAME: detail" (exit 1 at the end).

     http_get [-X METHOD] [-d BODY] [-H 'Name: value']... [--ca FILE]... [--cert F --key F] [-k]
              [--idle-ms N] [--cancel-after-bytes N] URL...
*/
#define _POSIX_C_SOURCE 200809L
#define CRIOIMG_IMPLEMENTATION
#include "../crioimg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct resp {
    char *body;
    size_t len, cap;
    long cancel_after;          /* set *cancel once this many body bytes came; -1: never */
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

static crioimg_result on_body(void *ctx, const void *d, size_t n)
{
    resp *r = (resp *)ctx;
    if (r->len + n > r->cap) {
        size_t nc = (r->len + n) * 2;
        char *p = (char *)realloc(r->body, nc);
        if (p == NULL) return CRIOIMG_ERR_NOMEM;
        r->body = p; r->cap = nc;
    }
    memcpy(r->body + r->len, d, n);
    r->len += n;
    if (r->cancel_after >= 0 && (long)r->len >= r->cancel_after) r->cancel = 1;
    return CRIOIMG_OK;
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
    int i, failed = 0;
    crioimg_result r;
    memset(&rq, 0, sizeof rq);
    memset(&rs, 0, sizeof rs);
    rs.cancel_after = -1;
    rq.tls.verify = 1;
    for (i = 1; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "-k") == 0) { rq.tls.verify = 0; continue; }
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
        else if (strcmp(a, "--cancel-after-bytes") == 0) rs.cancel_after = atol(v);
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
    for (; i < argc; i++) {
        rq.url = argv[i];
        rs.len = 0; rs.cancel = 0;
        r = crioimg_http_do(h, &rq, err, sizeof err);
        if (r != CRIOIMG_OK) { printf("error %s: %s\n", crioimg_result_name(r), err); failed = 1; continue; }
        printf("body %lu\n", (unsigned long)rs.len);
        fwrite(rs.body ? rs.body : "", 1, rs.len, stdout);
        fflush(stdout);
    }
    crioimg_http_close(h);
    free(rs.body);
    return failed;
}
