/* bench_ref: in-process benchmark of crioimg_ref_parse_normalized (Go: reference.ParseNormalizedNamed).

     bench_ref FILE [CALLS]      FILE: references, one per line (split on '\n' only)
                                 CALLS: total timed calls, default 10000000

   The references are loaded into memory, parsed once as a warm-up, then parsed round-robin for CALLS
   calls in 3 rounds of CALLS/3; the fastest round is reported, timed with clock_gettime(CLOCK_MONOTONIC):

     c_refs <references in FILE>
     c_ok <how many of them parse>
     c_ns_per_call <nanoseconds per call, best round>
     c_allocs_per_call <allocator calls per call over all timed rounds>

   The library allocates nothing while parsing. To show it, this file defines CRIOIMG_MALLOC, _REALLOC and
   _FREE as counting wrappers before including the implementation: any allocation the library makes goes
   through them and is counted.

   gcc -std=c99 -O2 -Wall -Wextra -Wpedantic -Werror -I. bench/bench_ref.c -o build/bench/bench_ref */
#define _POSIX_C_SOURCE 200809L
#define _FILE_OFFSET_BITS 64   /* large blobs on 32-bit systems: before any #include, as crioimg needs */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static unsigned long long bench_alloc_calls, bench_free_calls;

/* Not static: a build of the library that never allocates leaves them unused, which must not warn. */
void *bench_malloc(size_t size);
void *bench_realloc(void *p, size_t size);
void bench_free(void *p);
void *bench_malloc(size_t size) { bench_alloc_calls++; return malloc(size); }
void *bench_realloc(void *p, size_t size) { bench_alloc_calls++; return realloc(p, size); }
void bench_free(void *p) { if (p) bench_free_calls++; free(p); }

#define CRIOIMG_MALLOC(sz) bench_malloc(sz)
#define CRIOIMG_REALLOC(p, sz) bench_realloc(p, sz)
#define CRIOIMG_FREE(p) bench_free(p)
#define CRIOIMG_IMPLEMENTATION
#include "crioimg.h"

typedef struct line { const char *s; size_t n; } line;

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t cap = 0, n = 0;
    if (!f) return NULL;
    for (;;) {
        size_t got;
        if (cap - n < 65536) {
            char *nb;
            cap = cap ? cap * 2 : 1 << 20;
            nb = realloc(buf, cap);
            if (!nb) { free(buf); fclose(f); return NULL; }
            buf = nb;
        }
        got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) break;
    }
    if (ferror(f)) { free(buf); fclose(f); return NULL; }
    fclose(f);
    *len = n;
    return buf;
}

int main(int argc, char **argv) {
    char *data, *p, *end, *stop;
    size_t len = 0, nlines = 0, cap = 0, i, j, ok = 0;
    line *lines = NULL;
    unsigned long long calls = 10000000ULL, per_round, k, allocs_before, sink = 0;
    double best = 0;
    int round;
    crioimg_ref ref;

    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: bench_ref FILE [CALLS]\n");
        return 2;
    }
    if (argc == 3) {
        calls = strtoull(argv[2], &stop, 10);
        if (*argv[2] == '\0' || *stop != '\0' || calls < 3) { fprintf(stderr, "bench_ref: bad CALLS\n"); return 2; }
    }
    data = read_file(argv[1], &len);
    if (!data) { perror(argv[1]); return 1; }
    for (p = data, end = data + len; p < end;) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (nlines == cap) {
            line *nb;
            cap = cap ? cap * 2 : 4096;
            nb = realloc(lines, cap * sizeof *lines);
            if (!nb) { perror("bench_ref"); return 1; }
            lines = nb;
        }
        lines[nlines].s = p;
        lines[nlines].n = n;
        nlines++;
        p += n + 1;
    }
    if (nlines == 0) { fprintf(stderr, "bench_ref: %s has no references\n", argv[1]); return 1; }
    if (nlines < 100000)
        fprintf(stderr, "bench_ref: warning: only %lu references (100000 or more give a realistic cache load)\n",
                (unsigned long)nlines);

    /* Warm-up, and the success count. */
    for (i = 0; i < nlines; i++)
        if (crioimg_ref_parse_normalized(&ref, lines[i].s, lines[i].n) == CRIOIMG_OK) ok++;

    per_round = calls / 3;
    allocs_before = bench_alloc_calls;
    for (round = 0, j = 0; round < 3; round++) {
        double t0 = now_ns(), t;
        for (k = 0; k < per_round; k++) {
            crioimg_result r = crioimg_ref_parse_normalized(&ref, lines[j].s, lines[j].n);
            /* Use the result so the call cannot be dropped. */
            sink += (unsigned long long)(r == CRIOIMG_OK) + ref.name_len;
            if (++j == nlines) j = 0;
        }
        t = (now_ns() - t0) / (double)per_round;
        if (round == 0 || t < best) best = t;
    }

    {   /* the worst case for a backtracking matcher: 1 MB of "a-", which must fail in linear time */
        size_t big = (size_t)1 << 20, q;
        char *w = malloc(big);
        double wbest = 0;
        if (!w) { perror("bench_ref"); return 1; }
        for (q = 0; q < big; q++) w[q] = (q & 1) ? '-' : 'a';
        for (round = 0; round < 5; round++) {
            double t0 = now_ns(), t;
            sink += (unsigned long long)crioimg_ref_parse_normalized(&ref, w, big);
            t = now_ns() - t0;
            if (round == 0 || t < wbest) wbest = t;
        }
        printf("c_worst_1mb_us %.1f\n", wbest / 1000.0);
        free(w);
    }
    printf("c_refs %lu\n", (unsigned long)nlines);
    printf("c_ok %lu\n", (unsigned long)ok);
    printf("c_ns_per_call %.2f\n", best);
    printf("c_allocs_per_call %.6f\n", (double)(bench_alloc_calls - allocs_before) / (double)(per_round * 3));
    fprintf(stderr, "bench_ref: %llu calls, checksum %llu, allocator calls in total %llu (frees %llu)\n",
            per_round * 3, sink, bench_alloc_calls, bench_free_calls);
    free(lines);
    free(data);
    return 0;
}
