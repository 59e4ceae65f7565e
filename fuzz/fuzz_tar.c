/* libFuzzer target for the tar reader: never crash, leak or read past the input; the same events and
   entries whether the input comes whole or cut at a point the input chooses (its first byte); every
   failure says why; every entry's strings are NUL-terminated and within the limits; what is read can be
   written again by the writer, and that reads back the same. */
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

typedef struct fz_tar_sum { unsigned long long h; unsigned long entries, data; crioimg_result r; } fz_tar_sum;

static unsigned long long fz_tar_mix(unsigned long long h, const void *p, size_t n)
{
    const unsigned char *c = (const unsigned char *)p;
    size_t i;
    for (i = 0; i < n; i++) { h ^= c[i]; h *= 1099511628211ULL; }
    return h;
}

typedef struct fz_tar_out { uint8_t *p; size_t len, cap; } fz_tar_out;

static crioimg_result fz_tar_sink(void *user, const void *data, size_t len)
{
    fz_tar_out *o = (fz_tar_out *)user;
    if (o->len + len > o->cap) {
        size_t c = o->cap ? o->cap : 4096;
        uint8_t *q;
        while (c < o->len + len) c *= 2;
        q = (uint8_t *)realloc(o->p, c);
        if (q == NULL) return CRIOIMG_ERR_NOMEM;
        o->p = q; o->cap = c;
    }
    memcpy(o->p + o->len, data, len);
    o->len += len;
    return CRIOIMG_OK;
}

/* Reads data in two pieces (cut at `cut`), hashing what comes out; w, when not NULL, rewrites it. */
static void fz_tar_read(const uint8_t *data, size_t size, size_t cut, fz_tar_sum *s, crioimg_tar_writer *w, int *rewritten)
{
    crioimg_tar_reader *t;
    crioimg_tar_reader_opts o;
    size_t piece;
    memset(s, 0, sizeof *s);
    s->h = 14695981039346656037ULL;
    memset(&o, 0, sizeof o);
    o.max_header = 1 << 16;
    if (crioimg_tar_reader_new(&t, &o) != CRIOIMG_OK) abort();
    for (piece = 0; piece < 2 && s->r == CRIOIMG_OK; piece++) {
        const uint8_t *p = piece ? data + cut : data;
        size_t n = piece ? size - cut : cut, pos = 0;
        while (pos < n) {
            crioimg_tar_event ev;
            const void *d;
            size_t used, dl;
            s->r = crioimg_tar_reader_next(t, p + pos, n - pos, &used, &ev, &d, &dl);
            if (used > n - pos) abort();
            pos += used;
            if (s->r != CRIOIMG_OK) break;
            if (ev == CRIOIMG_TAR_ENTRY) {
                const crioimg_tar_entry *e = crioimg_tar_reader_entry(t);
                size_t i;
                if (e == NULL || e->path[0] == '\0' || strlen(e->path) > (64 << 10) || e->size < 0) abort();
                s->entries++;
                s->h = fz_tar_mix(s->h, e->path, strlen(e->path) + 1);
                s->h = fz_tar_mix(s->h, e->linkname, strlen(e->linkname) + 1);
                s->h = fz_tar_mix(s->h, &e->type, sizeof e->type);
                s->h = fz_tar_mix(s->h, &e->size, sizeof e->size);
                for (i = 0; i < e->nxattrs; i++) s->h = fz_tar_mix(s->h, e->xattrs[i].value, e->xattrs[i].len);
                if (w && (e->type == CRIOIMG_TAR_GLOBAL || crioimg_tar_write_header(w, e) != CRIOIMG_OK)) { w = NULL; *rewritten = 0; }
            } else if (ev == CRIOIMG_TAR_DATA) {
                if (dl == 0 || (const uint8_t *)d < p || (const uint8_t *)d + dl > p + n) abort();
                s->data += dl;
                s->h = fz_tar_mix(s->h, d, dl);
                if (w && crioimg_tar_write_data(w, d, dl) != CRIOIMG_OK) { w = NULL; *rewritten = 0; }
            } else if (ev == CRIOIMG_TAR_NEED_INPUT && pos < n) abort();
        }
    }
    if (s->r == CRIOIMG_OK) s->r = crioimg_tar_reader_finish(t);
    if (s->r != CRIOIMG_OK && crioimg_tar_reader_error(t)[0] == '\0') abort();   /* every failure says why */
    crioimg_tar_reader_free(t);
}

static int fuzz_tar(const uint8_t *data, size_t size)
{
    fz_tar_sum a, b;
    size_t cut = size ? data[0] * size / 256 : 0;
    int rewritten = 1;
    fz_tar_read(data, size, size, &a, NULL, &rewritten);
    fz_tar_read(data, size, cut, &b, NULL, &rewritten);
    if (a.r != b.r || a.h != b.h || a.entries != b.entries || a.data != b.data) abort();
    /* rewritten by the writer, an archive that read cleanly reads again to the same entries */
    if (a.r == CRIOIMG_OK && size < (1 << 16)) {
        crioimg_tar_writer *w;
        crioimg_tar_writer_opts wo;
        fz_tar_out out;
        memset(&wo, 0, sizeof wo);
        memset(&out, 0, sizeof out);
        wo.write = fz_tar_sink;
        wo.user = &out;
        if (crioimg_tar_writer_new(&w, &wo) != CRIOIMG_OK) abort();
        fz_tar_read(data, size, size, &b, w, &rewritten);
        if (rewritten && crioimg_tar_writer_finish(w) == CRIOIMG_OK) {
            fz_tar_read(out.p, out.len, out.len / 2, &b, NULL, &rewritten);
            if (b.r != CRIOIMG_OK || b.h != a.h || b.entries != a.entries || b.data != a.data) abort();
        }
        crioimg_tar_writer_free(w);
        free(out.p);
    }
    return 0;
}

#ifndef CRIOIMG_FUZZ_REPLAY
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return fuzz_tar(data, size); }
#endif
