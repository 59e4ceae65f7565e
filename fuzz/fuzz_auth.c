/* libFuzzer target for WWW-Authenticate parsing: never crash or read past the input; with a buffer of
   2n + 64 bytes it never runs out; what it parses, written back in canonical form, parses the same.
   The same bytes also go through the auth-file target's checks (fuzz_authfile.c). */
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
#define FUZZ_AUTHFILE_NO_MAIN 1
#include "fuzz_authfile.c"

/* c written back as "scheme k="v", ..." (quotes and backslashes escaped) */
static size_t fuzz_auth_write(const crioimg_auth_challenge *c, size_t n, char *out)
{
    size_t i, k, o = 0;
    const char *p;
    for (i = 0; i < n; i++) {
        if (i) { out[o++] = ','; out[o++] = ' '; }
        for (p = c[i].scheme; *p; p++) out[o++] = *p;
        if (c[i].token68) { out[o++] = ' '; for (p = c[i].token68; *p; p++) out[o++] = *p; }
        for (k = 0; k < c[i].nparams; k++) {
            out[o++] = k ? ',' : ' ';
            for (p = c[i].names[k]; *p; p++) out[o++] = *p;
            out[o++] = '='; out[o++] = '"';
            for (p = c[i].values[k]; *p; p++) { if (*p == '"' || *p == '\\') out[o++] = '\\'; out[o++] = *p; }
            out[o++] = '"';
        }
    }
    return o;
}

static int fuzz_auth(const uint8_t *data, size_t size)
{
    crioimg_auth_challenge a[8], b[8];
    size_t na, nb, i, k, cap = 2 * size + 64, wl;
    char *buf = (char *)malloc(cap), *buf2, *w;
    crioimg_result r = crioimg_www_authenticate_parse((const char *)data, size, a, 8, &na, buf, cap);
    if (r == CRIOIMG_ERR_BUFFER_TOO_SMALL) abort();
    if (r == CRIOIMG_OK) {
        w = (char *)malloc(4 * size + 64);
        wl = fuzz_auth_write(a, na, w);
        buf2 = (char *)malloc(2 * wl + 64);
        if (crioimg_www_authenticate_parse(w, wl, b, 8, &nb, buf2, 2 * wl + 64) != CRIOIMG_OK || nb != na) abort();
        for (i = 0; i < na; i++) {
            if (strcmp(a[i].scheme, b[i].scheme) != 0 || a[i].nparams != b[i].nparams) abort();
            if ((a[i].token68 == NULL) != (b[i].token68 == NULL) || (a[i].token68 && strcmp(a[i].token68, b[i].token68) != 0)) abort();
            for (k = 0; k < a[i].nparams; k++)
                if (strcmp(a[i].names[k], b[i].names[k]) != 0 || strcmp(a[i].values[k], b[i].values[k]) != 0) abort();
        }
        free(buf2);
        free(w);
    }
    free(buf);
    fuzz_authfile(data, size);   /* the same bytes as an auth file, with that target's checks */
    return 0;
}

#ifndef CRIOIMG_FUZZ_REPLAY
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return fuzz_auth(data, size); }
#endif
