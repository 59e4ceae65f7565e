/* The registry client against a real registry (distribution's docker-registry on loopback), over a
   test-only transport: plain HTTP/1.1 on a socket, one connection a request, no TLS (an https URL is a
   connection failure, which an insecure registry answers by falling back to http). It exists so that
   this branch can meet a real server before the built-in transports land; tests/registry_live.sh runs it.

   registry_live HOST:PORT REPO TAG    prints, one a line:
     manifest DIGEST MEDIA-TYPE LEN      (by tag; then again by digest, and HEAD, which must agree)
     blob DIGEST SIZE                    (config and every layer, streamed and verified)
     unknown RESULT-NAME                 (a tag that does not exist)
     unknown-blob RESULT-NAME            (a digest that does not exist) */
#define _POSIX_C_SOURCE 200809L
#define CRIOIMG_IMPLEMENTATION
#include "../crioimg.h"
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>

static int live_write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t k = write(fd, p, n);
        if (k <= 0) return 0;
        p += k; n -= (size_t)k;
    }
    return 1;
}

/* the response, read whole (test registries serve small images) */
static crioimg_result live_request(void *user, const crioimg_http_request *rq, char *err, size_t errcap)
{
    crioimg_url u;
    char host[256], port[8], *req, *resp = NULL, *p, *end, *hdr_end;
    size_t rn = 0, cap = 0, i, len;
    struct addrinfo hints, *ai = NULL;
    int fd = -1, status, head = rq->method && strcmp(rq->method, "HEAD") == 0, chunked = 0;
    long long clen = -1;
    crioimg_result res = CRIOIMG_ERR_HTTP_CONNECT;
    (void)user;
    if (crioimg_url_parse(&u, rq->url, strlen(rq->url)) != CRIOIMG_OK || u.host.len >= sizeof host) return CRIOIMG_ERR_INVALID_ARGS;
    if (u.https) { snprintf(err, errcap, "the test transport has no TLS"); return CRIOIMG_ERR_HTTP_CONNECT; }
    memcpy(host, u.host.ptr, u.host.len); host[u.host.len] = '\0';
    snprintf(port, sizeof port, "%u", u.port);
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, port, &hints, &ai) != 0) { snprintf(err, errcap, "lookup failed"); return res; }
    fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) { snprintf(err, errcap, "connect failed"); goto done; }
    req = (char *)malloc(8192 + rq->body_len);
    len = (size_t)snprintf(req, 8192, "%s %.*s HTTP/1.1\r\nHost: %s:%s\r\nConnection: close\r\n", rq->method ? rq->method : "GET",
                           (int)(u.path.len ? u.path.len : 1), u.path.len ? u.path.ptr : "/", host, port);
    for (i = 0; i < rq->nheaders; i++) len += (size_t)snprintf(req + len, 8192 - len, "%s: %s\r\n", rq->headers[i].name, rq->headers[i].value);
    if (rq->body) len += (size_t)snprintf(req + len, 8192 - len, "Content-Length: %lu\r\n", (unsigned long)rq->body_len);
    len += (size_t)snprintf(req + len, 8192 - len, "\r\n");
    if (rq->body) { memcpy(req + len, rq->body, rq->body_len); len += rq->body_len; }
    i = live_write_all(fd, req, len);
    free(req);
    if (!i) { snprintf(err, errcap, "write failed"); goto done; }
    for (;;) {
        ssize_t k;
        if (cap - rn < 65536) { cap = cap ? cap * 2 : 131072; resp = (char *)realloc(resp, cap + 1); }
        k = read(fd, resp + rn, cap - rn);
        if (k < 0) { snprintf(err, errcap, "read failed"); goto done; }
        if (k == 0) break;
        rn += (size_t)k;
    }
    resp[rn] = '\0';
    res = CRIOIMG_ERR_HTTP_PROTOCOL;
    if ((hdr_end = strstr(resp, "\r\n\r\n")) == NULL || sscanf(resp, "HTTP/1.%*c %d", &status) != 1) goto done;
    if ((res = rq->sink.status ? rq->sink.status(rq->sink.ctx, status) : CRIOIMG_OK) != CRIOIMG_OK) goto done;
    for (p = strstr(resp, "\r\n") + 2; p < hdr_end; p = end + 2) {
        char *colon = strchr(p, ':'), *v;
        end = strstr(p, "\r\n");
        if (colon == NULL || colon > end) { res = CRIOIMG_ERR_HTTP_PROTOCOL; goto done; }
        for (v = colon + 1; *v == ' ' || *v == '\t'; v++) {}
        if (crioimg__ascii_ieq(p, (size_t)(colon - p), "content-length")) clen = atoll(v);
        if (crioimg__ascii_ieq(p, (size_t)(colon - p), "transfer-encoding") && strncmp(v, "chunked", 7) == 0) chunked = 1;
        if (rq->sink.header && (res = rq->sink.header(rq->sink.ctx, p, (size_t)(colon - p), v, (size_t)(end - v))) != CRIOIMG_OK) goto done;
    }
    p = hdr_end + 4;
    res = CRIOIMG_OK;
    if (head) goto done;
    if (chunked) {
        for (;;) {
            unsigned long n = strtoul(p, &end, 16);
            if (end == p || (end = strstr(end, "\r\n")) == NULL) { res = CRIOIMG_ERR_HTTP_PROTOCOL; break; }
            if (n == 0) break;
            if ((size_t)(resp + rn - (end + 2)) < n + 2) { res = CRIOIMG_ERR_HTTP_CONNECT; break; }
            if (rq->sink.body && (res = rq->sink.body(rq->sink.ctx, end + 2, n)) != CRIOIMG_OK) break;
            p = end + 2 + n + 2;
        }
    } else {
        size_t have = (size_t)(resp + rn - p);
        if (clen >= 0 && (size_t)clen < have) have = (size_t)clen;
        if (have && rq->sink.body) res = rq->sink.body(rq->sink.ctx, p, have);
        if (res == CRIOIMG_OK && clen >= 0 && have < (size_t)clen) { snprintf(err, errcap, "closed early"); res = CRIOIMG_ERR_HTTP_CONNECT; }
    }
done:
    if (fd >= 0) close(fd);
    freeaddrinfo(ai);
    free(resp);
    return res;
}

typedef struct { crioimg_sha256_ctx c; long long n; } live_sink;
static crioimg_result live_consume(void *ctx, const void *data, size_t len)
{
    live_sink *s = (live_sink *)ctx;
    crioimg_sha256_update(&s->c, data, len);
    s->n += (long long)len;
    return CRIOIMG_OK;
}

static int live_blob(crioimg_registry *r, const char *repo, const crioimg_descriptor *d)
{
    live_sink s;
    crioimg_result res;
    crioimg_sha256_init(&s.c);
    s.n = 0;
    res = crioimg_registry_get_blob(r, repo, d, live_consume, &s);
    if (res != CRIOIMG_OK) { fprintf(stderr, "blob %s: %s\n", d->digest, crioimg_registry_error(r)); return 0; }
    printf("blob %s %lld\n", d->digest, s.n);
    return 1;
}

int main(int argc, char **argv)
{
    crioimg_http_vtable vt;
    crioimg_http *h;
    crioimg_registry *r;
    crioimg_registry_opts o;
    crioimg_registry_manifest m, m2;
    crioimg_manifest parsed;
    crioimg_descriptor d;
    crioimg_result res;
    char dig[CRIOIMG_DIGEST_STRING_MAX + 1], media[256];
    long long size;
    size_t i;
    int ok = 1;
    if (argc != 4) { fprintf(stderr, "usage: registry_live HOST:PORT REPO TAG\n"); return 2; }
    memset(&vt, 0, sizeof vt);
    vt.version = CRIOIMG_HTTP_VTABLE_VERSION;
    vt.request = live_request;
    if (crioimg_http_open(&h, &vt, NULL) != CRIOIMG_OK) return 1;
    memset(&o, 0, sizeof o);
    o.http = h;
    o.insecure = 1;
    o.no_auth_files = 1;
    o.retries = 2;          /* the fault proxy of tests/registry_live.sh breaks each blob's first transfer */
    o.retry_delay_ms = 10;
    if ((res = crioimg_registry_open(&r, argv[1], &o)) != CRIOIMG_OK) { fprintf(stderr, "open: %s\n", crioimg_result_str(res)); return 1; }
    if ((res = crioimg_registry_get_manifest(r, argv[2], argv[3], &m)) != CRIOIMG_OK) {
        fprintf(stderr, "manifest: %s\n", crioimg_registry_error(r));
        return 1;
    }
    printf("manifest %s %s %lu\n", m.digest, m.media_type, (unsigned long)m.len);
    if (crioimg_registry_get_manifest(r, argv[2], m.digest, &m2) != CRIOIMG_OK || m2.len != m.len || memcmp(m2.data, m.data, m.len) != 0 ||
        strcmp(m2.media_type, m.media_type) != 0) { fprintf(stderr, "by digest: %s\n", crioimg_registry_error(r)); ok = 0; }
    else printf("manifest %s %s %lu\n", m2.digest, m2.media_type, (unsigned long)m2.len);
    crioimg_registry_manifest_free(r, &m2);
    if (crioimg_registry_head_manifest(r, argv[2], argv[3], dig, media, sizeof media, &size) != CRIOIMG_OK || strcmp(dig, m.digest) != 0 ||
        strcmp(media, m.media_type) != 0 || size != (long long)m.len) { fprintf(stderr, "head: %s\n", crioimg_registry_error(r)); ok = 0; }
    else printf("manifest %s %s %lld\n", dig, media, size);
    if (crioimg_manifest_parse(&parsed, m.data, m.len, m.media_type, NULL) != CRIOIMG_OK) { fprintf(stderr, "parse: %s\n", parsed.err); ok = 0; }
    else {
        ok &= live_blob(r, argv[2], &parsed.config);
        for (i = 0; i < parsed.nlayers; i++) ok &= live_blob(r, argv[2], &parsed.layers[i]);
    }
    crioimg_manifest_free(&parsed);
    crioimg_registry_manifest_free(r, &m);
    res = crioimg_registry_get_manifest(r, argv[2], "no-such-tag", &m);
    printf("unknown %s\n", crioimg_result_name(res));
    fprintf(stderr, "%s\n", crioimg_registry_error(r));
    memset(&d, 0, sizeof d);
    d.digest = "sha256:0000000000000000000000000000000000000000000000000000000000000000";
    d.size = 1;
    {
        live_sink s;
        crioimg_sha256_init(&s.c);
        s.n = 0;
        res = crioimg_registry_get_blob(r, argv[2], &d, live_consume, &s);
    }
    printf("unknown-blob %s\n", crioimg_result_name(res));
    fprintf(stderr, "%s\n", crioimg_registry_error(r));
    crioimg_registry_close(r);
    crioimg_http_close(h);
    return ok ? 0 : 1;
}
