/* inflate_gunzip: crioimg's inflate as a filter, for the benchmark (bench/inflate/run) and the
   differential tests (tests/inflate.sh). Reads FILE (or stdin) in 256 KiB pieces, writes what it decodes
   to stdout in 256 KiB pieces.
     inflate_gunzip [--raw] [--max N] [FILE]
   --raw: a bare DEFLATE stream (then the bytes after it are ignored); --max N: refuse more than N bytes
   of output (without it, or with 0: the library's default cap, CRIOIMG_INFLATE_MAX_OUTPUT). Exit 0 on success, 1 with crioimg's message on stderr otherwise, 2 on usage errors. */
#define _POSIX_C_SOURCE 200809L
#define CRIOIMG_IMPLEMENTATION
#include "../../crioimg.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PIECE (256 * 1024)

static int fail(crioimg_inflate *z, crioimg_result r)
{
    fprintf(stderr, "inflate_gunzip: %s: %s\n", crioimg_result_str(r), crioimg_inflate_error(z));
    return 1;
}

int main(int argc, char **argv)
{
    static unsigned char in[PIECE], out[PIECE];
    crioimg_inflate_opts o;
    crioimg_inflate *z;
    crioimg_result r;
    FILE *f = stdin;
    const char *path = NULL;
    size_t n, used, got;
    int i, fin = 0, eof = 0;
    memset(&o, 0, sizeof o);
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--raw") == 0) o.format = CRIOIMG_INFLATE_RAW;
        else if (strcmp(argv[i], "--max") == 0 && i + 1 < argc) o.max_output = strtoull(argv[++i], NULL, 10);
        else if (argv[i][0] == '-' && argv[i][1] != '\0') { fprintf(stderr, "usage: inflate_gunzip [--raw] [--max N] [FILE]\n"); return 2; }
        else path = argv[i];
    }
    if (path && strcmp(path, "-") != 0 && (f = fopen(path, "rb")) == NULL) { perror(path); return 1; }
    if ((r = crioimg_inflate_new(&z, &o)) != CRIOIMG_OK) { fprintf(stderr, "inflate_gunzip: %s\n", crioimg_result_str(r)); return 1; }
    while (!eof) {
        const unsigned char *p = in;
        n = fread(in, 1, sizeof in, f);
        if (n < sizeof in) { if (ferror(f)) { perror("read"); return 1; } eof = 1; }
        /* until the piece is used up and the output stops filling the buffer (at the end: until then) */
        do {
            r = crioimg_inflate_run(z, p, n, &used, out, sizeof out, &got, &fin);
            if (got && fwrite(out, 1, got, stdout) != got) { perror("write"); return 1; }  /* even before an error */
            if (r != CRIOIMG_OK) return fail(z, r);
            p += used;
            n -= used;
        } while ((n > 0 || got == sizeof out) && !fin);
        if (fin && o.format == CRIOIMG_INFLATE_RAW) break;
    }
    if ((r = crioimg_inflate_finish(z)) != CRIOIMG_OK) return fail(z, r);
    crioimg_inflate_free(z);
    if (fflush(stdout) != 0) { perror("write"); return 1; }
    return 0;
}
