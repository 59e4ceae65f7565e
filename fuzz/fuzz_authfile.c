/* libFuzzer target for auth files (containers-auth.json, Docker's config.json, ~/.dockercfg): never
   crash, leak or read past the input; every refusal says its line; and the NUL rule of issue 10: no
   credential comes out shorter than the bytes it was decoded from. The credentials are C strings, so
   the check goes the other way: the user name and password given must be exactly what some "auth"
   string decodes to (user ":" password, the password's NULs at either end trimmed, as Go trims them),
   and an identity token exactly some JSON string, length for length; a document with a \u0000 in any
   string is never accepted. */
#ifndef FUZZ_AUTHFILE_C
#define FUZZ_AUTHFILE_C 1   /* fuzz_auth.c includes it too */
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

/* token t unescaped into a new buffer (*n its length) */
static char *fuzz_authfile_str(const crioimg_json *d, size_t t, size_t *n)
{
    char *b;
    *n = crioimg_json_string(d, t, NULL, 0);
    if ((b = (char *)malloc(*n + 1)) == NULL) abort();
    crioimg_json_string(d, t, b, *n + 1);
    return b;
}

/* 1 when some string of d base64-decodes to user ":" NUL* pass NUL*, exactly */
static int fuzz_authfile_from_auth(const crioimg_json *d, const char *user, const char *pass)
{
    size_t t, ul = strlen(user), pl = strlen(pass);
    int hit = 0;
    for (t = 0; t < d->ntok && !hit; t++) {
        size_t n, dl, a, z;
        char *s;
        unsigned char *dec;
        if (d->tok[t].type != CRIOIMG_JSON_STRING) continue;
        s = fuzz_authfile_str(d, t, &n);
        if ((dec = (unsigned char *)malloc((n + 3) / 4 * 3 + 1)) == NULL) abort();
        dl = crioimg__base64_decode(s, n, dec, (n + 3) / 4 * 3, 0);
        if (dl != (size_t)-1 && dl > ul && memcmp(dec, user, ul) == 0 && dec[ul] == ':') {
            for (a = ul + 1; a < dl && dec[a] == 0; a++) {}
            for (z = dl; z > a && dec[z - 1] == 0; z--) {}
            hit = z - a == pl && memcmp(dec + a, pass, pl) == 0;
        }
        free(dec);
        free(s);
    }
    return hit;
}

/* 1 when some string of d is exactly s (length for length); *nul set when any string holds a NUL */
static int fuzz_authfile_has_string(const crioimg_json *d, const char *want, int *nul)
{
    size_t t, wl = want ? strlen(want) : 0;
    int hit = 0;
    *nul = 0;
    for (t = 0; t < d->ntok; t++) {
        size_t n;
        char *s;
        if (d->tok[t].type != CRIOIMG_JSON_STRING) continue;
        s = fuzz_authfile_str(d, t, &n);
        if (strlen(s) != n) *nul = 1;
        if (want && n == wl && memcmp(s, want, n) == 0) hit = 1;
        free(s);
    }
    return hit;
}

static int fuzz_authfile(const uint8_t *data, size_t size)
{
    static const char *const keys[] = { "a.io", "docker.io/library/x", "localhost:5000/ns/r" };
    const char *s = (const char *)data;
    crioimg_json d;
    crioimg_json_opts o;
    crioimg_result pr;
    size_t q;
    int nul = 0;
    /* the same document as a plain reader sees it (NULs kept), for the oracle */
    memset(&o, 0, sizeof o);
    o.allow_duplicates = 1;
    o.keep_nul = 1;
    o.max_size = (size_t)1 << 20;
    pr = crioimg_json_parse(&d, s, size, &o);
    if (pr == CRIOIMG_OK) fuzz_authfile_has_string(&d, NULL, &nul);
    for (q = 0; q < 6; q++) {
        crioimg_credentials cr;
        int found;
        char err[256];
        crioimg_result r = crioimg_auth_file_lookup(&cr, &found, s, size, keys[q % 3], (int)(q / 3), NULL, err, sizeof err);
        if (r == CRIOIMG_OK) {
            int dummy;
            if (pr != CRIOIMG_OK || nul) abort();   /* a \u0000 anywhere refuses the file */
            if (cr.password && !cr.username) abort();
            if (cr.username && !fuzz_authfile_from_auth(&d, cr.username, cr.password ? cr.password : "")) abort();
            if (cr.identity_token && !fuzz_authfile_has_string(&d, cr.identity_token, &dummy)) abort();
        } else {
            if (found || cr.username || cr.password || cr.identity_token) abort();
            if (r != CRIOIMG_ERR_NOMEM && strncmp(err, "line ", 5) != 0) abort();   /* every refusal says where */
        }
        crioimg_credentials_free(&cr);
    }
    crioimg_json_free(&d);
    return 0;
}

#if !defined(CRIOIMG_FUZZ_REPLAY) && !defined(FUZZ_AUTHFILE_NO_MAIN)
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return fuzz_authfile(data, size); }
#endif
#endif
