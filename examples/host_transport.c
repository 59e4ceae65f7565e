/* A transport of the host's own: plain HTTP/1.0 over POSIX sockets (http only, one connection a
   request, the body read to the close), plugged in with crioimg_http_open. The library checks each
   request before this code sees it and guards what it hands back, so the transport stays simple.

     cc -std=c99 -o host_transport host_transport.c && ./host_transport http://127.0.0.1:5000/v2/

   prints the status, the header fields and then the body. Another program can reuse the transport:
   #define EXAMPLE_NO_MAIN, #include "host_transport.c" first (it sets _POSIX_C_SOURCE), then call
   host_transport_vtable (examples/embedded_runtime.c does). */
#define _POSIX_C_SOURCE 200809L
#define _FILE_OFFSET_BITS 64   /* large blobs on 32-bit systems: before any #include, as crioimg needs */
#define CRIOIMG_IMPLEMENTATION
#include "../crioimg.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static crioimg_result fail(char *err, size_t cap, crioimg_result r, const char *what)
{
    snprintf(err, cap, "%s", what);
    return r;
}

/* waits up to ms for fd to be ready (POLLIN or POLLOUT) */
static int ready(int fd, short ev, long ms)
{
    struct pollfd p;
    int n;
    p.fd = fd; p.events = ev; p.revents = 0;
    do n = poll(&p, 1, (int)ms); while (n < 0 && errno == EINTR);
    return n > 0;
}

static int dial(const char *host, unsigned port, long ms)
{
    struct addrinfo hints, *res, *a;
    char ps[8];
    int fd = -1;
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    snprintf(ps, sizeof ps, "%u", port);
    if (getaddrinfo(host, ps, &hints, &res) != 0) return -1;
    for (a = res; a && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
        if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen) != 0) { close(fd); fd = -1; }
    }
    freeaddrinfo(res);
    (void)ms;  /* a blocking connect: the kernel's own timeout (a real host would connect non-blocking) */
    return fd;
}

/* the head of a response (status line and fields), then the rest as body */
static crioimg_result parse_head(const crioimg_http_request *rq, char *head, size_t n, char *err, size_t cap)
{
    char *line = head, *end = head + n, *nl;
    int code;
    if (sscanf(head, "HTTP/%*d.%*d %3d", &code) != 1) return fail(err, cap, CRIOIMG_ERR_HTTP_PROTOCOL, "no status line");
    if (rq->sink.status(rq->sink.ctx, code) != CRIOIMG_OK) return CRIOIMG_ERR_CANCELLED;
    while ((nl = memchr(line, '\n', (size_t)(end - line))) != NULL) {
        char *colon;
        line = nl + 1;
        nl = memchr(line, '\n', (size_t)(end - line));
        if (nl == NULL || nl == line || (nl == line + 1 && line[0] == '\r')) break;
        if ((colon = memchr(line, ':', (size_t)(nl - line))) == NULL) return fail(err, cap, CRIOIMG_ERR_HTTP_PROTOCOL, "a line without ':'");
        {
            crioimg_result r = rq->sink.header(rq->sink.ctx, line, (size_t)(colon - line), colon + 1,
                                               (size_t)(nl - colon - 1) - (nl[-1] == '\r'));
            if (r != CRIOIMG_OK) return r;
        }
    }
    return CRIOIMG_OK;
}

static crioimg_result request(void *user, const crioimg_http_request *rq, char *err, size_t cap)
{
    crioimg_url u;
    char host[256], *req, head[16384], buf[16384];
    size_t hn = 0, i, rl;
    int fd, in_head = 1;
    crioimg_result r = CRIOIMG_OK;
    (void)user;
    crioimg_url_parse(&u, rq->url, strlen(rq->url));  /* crioimg_http_do already checked it */
    if (u.https) return fail(err, cap, CRIOIMG_ERR_UNSUPPORTED, "this transport speaks plain http only");
    if (u.host.len >= sizeof host) return fail(err, cap, CRIOIMG_ERR_INVALID_ARGS, "host name too long");
    memcpy(host, u.host.ptr + (u.host.ptr[0] == '['), u.host.len - 2 * (u.host.ptr[0] == '['));
    host[u.host.len - 2 * (u.host.ptr[0] == '[')] = '\0';
    if ((fd = dial(host, u.port, rq->connect_timeout_ms)) < 0) return fail(err, cap, CRIOIMG_ERR_HTTP_CONNECT, "cannot connect");
    rl = strlen(rq->url) + rq->body_len + 256;
    for (i = 0; i < rq->nheaders; i++) rl += strlen(rq->headers[i].name) + strlen(rq->headers[i].value) + 4;
    if ((req = malloc(rl)) == NULL) { close(fd); return CRIOIMG_ERR_NOMEM; }
    rl = (size_t)sprintf(req, "%s %.*s HTTP/1.0\r\nHost: %.*s\r\n", rq->method, (int)(u.path.len ? u.path.len : 1),
                         u.path.len ? u.path.ptr : "/", (int)(u.path.ptr - u.host.ptr), u.host.ptr);
    for (i = 0; i < rq->nheaders; i++) rl += (size_t)sprintf(req + rl, "%s: %s\r\n", rq->headers[i].name, rq->headers[i].value);
    if (rq->body_len) rl += (size_t)sprintf(req + rl, "Content-Length: %lu\r\n", (unsigned long)rq->body_len);
    rl += (size_t)sprintf(req + rl, "\r\n");
    if (rq->body_len) memcpy(req + rl, rq->body, rq->body_len);
    rl += rq->body_len;
    for (i = 0; i < rl && r == CRIOIMG_OK;) {
        ssize_t w = ready(fd, POLLOUT, rq->idle_timeout_ms) ? write(fd, req + i, rl - i) : -1;
        if (w <= 0) r = fail(err, cap, CRIOIMG_ERR_HTTP_CONNECT, "cannot send the request");
        else i += (size_t)w;
    }
    free(req);
    while (r == CRIOIMG_OK) {
        ssize_t n;
        if (!ready(fd, POLLIN, rq->idle_timeout_ms)) { r = fail(err, cap, CRIOIMG_ERR_TIMEOUT, "no byte within the idle timeout"); break; }
        if ((n = read(fd, buf, sizeof buf)) < 0) { r = fail(err, cap, CRIOIMG_ERR_HTTP_CONNECT, "read failed"); break; }
        if (n == 0) { if (in_head) r = fail(err, cap, CRIOIMG_ERR_HTTP_CONNECT, "closed before the response"); break; }
        if (!in_head) { r = rq->sink.body(rq->sink.ctx, buf, (size_t)n); continue; }
        if (hn + (size_t)n > sizeof head) { r = fail(err, cap, CRIOIMG_ERR_HTTP_PROTOCOL, "response head over 16 KiB"); break; }
        memcpy(head + hn, buf, (size_t)n);
        hn += (size_t)n;
        for (i = 3; i < hn; i++) {
            if (memcmp(head + i - 3, "\r\n\r\n", 4) != 0) continue;
            in_head = 0;
            if ((r = parse_head(rq, head, i + 1, err, cap)) == CRIOIMG_OK && hn > i + 1 && strcmp(rq->method, "HEAD") != 0)
                r = rq->sink.body(rq->sink.ctx, head + i + 1, hn - i - 1);
            break;
        }
    }
    close(fd);
    return r;
}

/* The vtable: what crioimg_http_open takes. This transport keeps no state (user stays NULL, no close)
   and one request never touches another's, so it may serve several threads at once. */
static void host_transport_vtable(crioimg_http_vtable *vt)
{
    memset(vt, 0, sizeof *vt);
    vt->version = CRIOIMG_HTTP_VTABLE_VERSION;
    vt->request = request;
}

#ifndef EXAMPLE_NO_MAIN
static crioimg_result print_status(void *c, int code) { (void)c; printf("HTTP %d\n", code); return CRIOIMG_OK; }
static crioimg_result print_header(void *c, const char *n, size_t nl, const char *v, size_t vl)
{
    (void)c;
    printf("%.*s: %.*s\n", (int)nl, n, (int)vl, v);
    return CRIOIMG_OK;
}
static crioimg_result print_body(void *c, const void *d, size_t n)
{
    if (*(int *)c == 0) { putchar('\n'); *(int *)c = 1; }
    fwrite(d, 1, n, stdout);
    return CRIOIMG_OK;
}

int main(int argc, char **argv)
{
    crioimg_http_vtable vt;
    crioimg_http_request rq;
    crioimg_http *h;
    char err[256];
    int in_body = 0;
    crioimg_result r;
    if (argc != 2) { fprintf(stderr, "usage: host_transport URL\n"); return 2; }
    host_transport_vtable(&vt);
    if (crioimg_http_open(&h, &vt, NULL) != CRIOIMG_OK) return 1;
    memset(&rq, 0, sizeof rq);
    rq.url = argv[1];
    rq.sink.ctx = &in_body;
    rq.sink.status = print_status;
    rq.sink.header = print_header;
    rq.sink.body = print_body;
    r = crioimg_http_do(h, &rq, err, sizeof err);
    crioimg_http_close(h);
    if (r != CRIOIMG_OK) { fprintf(stderr, "host_transport: %s: %s\n", crioimg_result_name(r), err); return 1; }
    return 0;
}
#endif /* EXAMPLE_NO_MAIN */
