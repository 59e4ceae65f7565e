/* libFuzzer target for the HTTP/1.1 response parser of the built-in transport (src/http_mbedtls.c,
   compiled in every build): never crash, never read past the input; the sink sees the status once and
   first, header fields within CRIOIMG_HTTP_HEADER_MAX, no body for HEAD; and the answer does not depend
   on how the bytes are split, as the network splits them (all at once against pieces of 1 to 128
   bytes). The first input byte chooses HEAD (bit 0) and the piece size (the rest); the response
   follows. The helpers serve the unit tests too. */
#ifndef _POSIX_C_SOURCE   /* crioimg's implementation: POSIX.1-2008 and 64-bit file offsets, before any #include */
#define _POSIX_C_SOURCE 200809L
#define _FILE_OFFSET_BITS 64
#endif
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifndef CRIOIMG_FUZZ_REPLAY
#define CRIOIMG_IMPLEMENTATION
#endif
#include "../crioimg.h"

/* What the sink saw: the events hashed (FNV-1a), and the first bytes of the fields and the body kept
   as text for the tests. */
typedef struct fuzz_h1_rec {
    int code, nstatus, misordered, head;
    unsigned long nheaders, events, stop_at;   /* stop_at: the sink answers ERR_CANCELLED at that event */
    unsigned long long hash, body_len;
    char fields[1024], body[1024];
    size_t flen, blen;
} fuzz_h1_rec;

static void fuzz_h1_mix(fuzz_h1_rec *r, const void *p, size_t n)
{
    const unsigned char *b = (const unsigned char *)p;
    size_t i;
    for (i = 0; i < n; i++) r->hash = (r->hash ^ b[i]) * 1099511628211ULL;
}

static void fuzz_h1_keep(char *dst, size_t cap, size_t *len, const void *p, size_t n)
{
    size_t room = cap - 1 - *len;
    if (n > room) n = room;
    memcpy(dst + *len, p, n);
    *len += n;
    dst[*len] = '\0';
}

static crioimg_result fuzz_h1_status(void *ctx, int code)
{
    fuzz_h1_rec *r = (fuzz_h1_rec *)ctx;
    if (r->nstatus++ || r->nheaders || r->body_len || code < 200 || code > 599) r->misordered = 1;
    r->code = code;
    fuzz_h1_mix(r, &code, sizeof code);
    return ++r->events == r->stop_at ? CRIOIMG_ERR_CANCELLED : CRIOIMG_OK;
}

static crioimg_result fuzz_h1_header(void *ctx, const char *name, size_t nlen, const char *value, size_t vlen)
{
    fuzz_h1_rec *r = (fuzz_h1_rec *)ctx;
    if (r->nstatus != 1 || r->body_len || nlen == 0 || nlen + vlen > CRIOIMG_HTTP_HEADER_MAX) r->misordered = 1;
    r->nheaders++;
    fuzz_h1_mix(r, name, nlen);
    fuzz_h1_mix(r, ":", 1);
    fuzz_h1_mix(r, value, vlen);
    fuzz_h1_keep(r->fields, sizeof r->fields, &r->flen, name, nlen);
    fuzz_h1_keep(r->fields, sizeof r->fields, &r->flen, ": ", 2);
    fuzz_h1_keep(r->fields, sizeof r->fields, &r->flen, value, vlen);
    fuzz_h1_keep(r->fields, sizeof r->fields, &r->flen, "\n", 1);
    return ++r->events == r->stop_at ? CRIOIMG_ERR_CANCELLED : CRIOIMG_OK;
}

static crioimg_result fuzz_h1_body(void *ctx, const void *data, size_t len)
{
    fuzz_h1_rec *r = (fuzz_h1_rec *)ctx;
    size_t i;
    if (r->nstatus != 1 || r->head || len == 0) r->misordered = 1;
    r->body_len += len;
    for (i = 0; i < len; i++) fuzz_h1_mix(r, (const char *)data + i, 1);  /* the same hash however it is split */
    fuzz_h1_keep(r->body, sizeof r->body, &r->blen, data, len);
    return ++r->events == r->stop_at ? CRIOIMG_ERR_CANCELLED : CRIOIMG_OK;
}

/* Parses data as one response, fed in pieces of step bytes (0: all at once), then the end of the stream
   unless the response ended first. *used: the bytes that belonged to it; *close: whether the connection
   could not carry another request. line: CRIOIMG__H1_LINE_MAX bytes. */
static crioimg_result fuzz_h1_run(const void *data, size_t n, int head, size_t step, fuzz_h1_rec *rec, char *line,
                                  size_t *used, int *close, char *err, size_t errcap)
{
    crioimg_http_sink sink;
    crioimg__h1 p;
    crioimg_result r = CRIOIMG_OK;
    size_t off = 0;
    unsigned long stop_at = rec->stop_at;
    memset(rec, 0, sizeof *rec);
    rec->stop_at = stop_at;
    rec->head = head;
    rec->hash = 14695981039346656037ULL;
    sink.ctx = rec;
    sink.status = fuzz_h1_status;
    sink.header = fuzz_h1_header;
    sink.body = fuzz_h1_body;
    crioimg__h1_init(&p, line, head, &sink, err, errcap);
    *used = 0;
    while (off < n) {
        size_t piece = step == 0 || n - off < step ? n - off : step, u;
        r = crioimg__h1_feed(&p, (const char *)data + off, piece, &u);
        *used += u;
        off += piece;
        if (r != CRIOIMG_OK || crioimg__h1_done(&p)) break;
    }
    if (r == CRIOIMG_OK && !crioimg__h1_done(&p)) r = crioimg__h1_eof(&p);
    *close = p.close;
    return r;
}

static int fuzz_http_response(const uint8_t *data, size_t size)
{
    static fuzz_h1_rec a, b;
    static char *line;
    char ea[128], eb[128];
    size_t ua, ub;
    int ca, cb, head;
    crioimg_result ra, rb;
    if (size == 0) return 0;
    if (line == NULL && (line = (char *)malloc(CRIOIMG__H1_LINE_MAX)) == NULL) abort();
    head = data[0] & 1;
    a.stop_at = b.stop_at = 0;
    ra = fuzz_h1_run(data + 1, size - 1, head, 0, &a, line, &ua, &ca, ea, sizeof ea);
    rb = fuzz_h1_run(data + 1, size - 1, head, (size_t)(data[0] >> 1) + 1, &b, line, &ub, &cb, eb, sizeof eb);
    if (ra != rb || a.hash != b.hash || a.nheaders != b.nheaders || a.body_len != b.body_len || strcmp(ea, eb) != 0) abort();
    if (a.misordered || b.misordered || ua > size - 1) abort();
    if (ra == CRIOIMG_OK && (ua != ub || ca != cb || a.nstatus != 1)) abort();
    if (ra != CRIOIMG_OK && ra != CRIOIMG_ERR_HTTP_PROTOCOL && ra != CRIOIMG_ERR_HTTP_CONNECT) abort();
    if (ra != CRIOIMG_OK && ea[0] == '\0') abort();  /* every failure says why */
    /* a sink that stops the transfer stops it: its result comes back and nothing follows */
    if (a.events > 0) {
        b.stop_at = 1;
        rb = fuzz_h1_run(data + 1, size - 1, head, 0, &b, line, &ub, &cb, eb, sizeof eb);
        if (rb != CRIOIMG_ERR_CANCELLED || b.events != 1) abort();
    }
    return 0;
}

#ifndef CRIOIMG_FUZZ_REPLAY
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return fuzz_http_response(data, size); }
#endif
