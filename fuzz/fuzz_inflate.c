/* libFuzzer target for inflate. The input's first byte chooses gzip or raw and how to cut the pieces,
   the next two the output limit (1 to 65536 bytes, so a bomb costs nothing); the rest is the stream.
   It is decoded three ways: whole (all input, all output room at once), a byte at a time (one byte of
   input, one of output room, per call) and in pieces of input-chosen sizes. The three must end with the
   same result; with the same output when that is OK, and otherwise one output a prefix of the other;
   never more output than the limit, never a call that does nothing with room on both sides, never an
   error without its text. */
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

#define FUZZ_INFLATE_MAX 65536

typedef struct fuzz_inflate_out { crioimg_result r; size_t len; unsigned char buf[FUZZ_INFLATE_MAX]; } fuzz_inflate_out;

/* mode 0: whole; 1: bytes; 2: pieces from the seed */
static void fuzz_inflate_decode(const uint8_t *in, size_t n, int raw, unsigned long long max, int mode, uint32_t seed,
                                fuzz_inflate_out *o)
{
    crioimg_inflate_opts opts;
    crioimg_inflate *z;
    size_t pos = 0;
    memset(&opts, 0, sizeof opts);
    opts.format = raw ? CRIOIMG_INFLATE_RAW : CRIOIMG_INFLATE_GZIP;
    opts.max_output = max;
    o->len = 0;
    if ((o->r = crioimg_inflate_new(&z, &opts)) != CRIOIMG_OK) abort();
    for (;;) {
        size_t inn = n - pos, outn = sizeof o->buf - o->len, used, got;
        int fin;
        if (mode == 1) { if (inn > 1) inn = 1; if (outn > 1) outn = 1; }
        if (mode == 2) {
            seed = seed * 1103515245u + 12345u;
            if (inn > (seed >> 8) % 700) inn = (seed >> 8) % 700;
            seed = seed * 1103515245u + 12345u;
            if (outn > 1 + (seed >> 8) % 5000) outn = 1 + (seed >> 8) % 5000;
        }
        o->r = crioimg_inflate_run(z, pos < n ? in + pos : NULL, inn, &used, o->buf + o->len, outn, &got, &fin);
        if (used > inn || got > outn) abort();
        pos += used;
        o->len += got;
        if (crioimg_inflate_total_out(z) != o->len || o->len > max) abort();
        if (o->r != CRIOIMG_OK) break;
        if (used == 0 && got == 0 && inn > 0 && outn > 0 && !(raw && fin)) abort();   /* stuck */
        if ((raw && fin) || (pos == n && got < outn)) { o->r = crioimg_inflate_finish(z); break; }
        if (fin && !raw && used != inn) abort();  /* gzip says finished only with all it was given used */
    }
    if (o->r != CRIOIMG_OK && crioimg_inflate_error(z)[0] == '\0') abort();
    if (crioimg_inflate_run(z, in, 0, &pos, NULL, 0, &pos, NULL) != o->r) abort();  /* errors stick */
    crioimg_inflate_free(z);
}

static fuzz_inflate_out fuzz_inflate_outs[3];

static int fuzz_inflate(const uint8_t *data, size_t size)
{
    int raw, i;
    unsigned long long max;
    uint32_t seed;
    if (size < 3) return 0;
    raw = data[0] & 1;
    seed = data[0] * 0x9e3779b9u;
    max = 1 + ((unsigned long long)data[1] << 8 | data[2]);
    for (i = 0; i < 3; i++) fuzz_inflate_decode(data + 3, size - 3, raw, max, i, seed, &fuzz_inflate_outs[i]);
    for (i = 1; i < 3; i++) {
        const fuzz_inflate_out *a = &fuzz_inflate_outs[0], *b = &fuzz_inflate_outs[i];
        size_t common = a->len < b->len ? a->len : b->len;
        if (a->r != b->r) abort();
        if (a->r == CRIOIMG_OK && a->len != b->len) abort();
        if (memcmp(a->buf, b->buf, common) != 0) abort();
    }
    return 0;
}

#ifndef CRIOIMG_FUZZ_REPLAY
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return fuzz_inflate(data, size); }
#endif
