/* libFuzzer target for URLs, Location resolution, Retry-After and Content-Range: never crash or read
   past the input; what resolves is a valid URL, resolves to itself again, and keeps its origin rules. */
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

static int fuzz_http(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    crioimg_url u, v;
    char out[8192], again[8192], err[256];
    size_t len, len2;
    long long a, b, c;
    int keep;
    if (crioimg_url_parse(&u, s, size) == CRIOIMG_OK) {
        if (u.host.len == 0 || u.port == 0 || u.port > 65535) abort();
        crioimg_auth_realm_check(s, size, 1, err, sizeof err);
    }
    if (crioimg_url_resolve("https://r.example:5000/v2/a/b/manifests/c?x=1", 46, s, size, out, sizeof out, &len) == CRIOIMG_OK) {
        if (len != strlen(out) || crioimg_url_parse(&v, out, len) != CRIOIMG_OK) abort();
        /* resolving is idempotent: what it made, resolved again, is the same URL */
        if (crioimg_url_resolve("http://other/", 13, out, len, again, sizeof again, &len2) != CRIOIMG_OK || len2 != len || memcmp(out, again, len) != 0) abort();
        crioimg_url_parse(&u, "https://r.example:5000/v2/", 26);
        if (crioimg_http_redirect_check(&u, &v, 1, &keep, err, sizeof err) == CRIOIMG_OK && keep) {
            /* Authorization may only follow to the very same origin, checked here independently */
            size_t i;
            if (!v.https || v.port != 5000 || v.host.len != 9 || v.has_userinfo) abort();
            for (i = 0; i < 9; i++) if ((v.host.ptr[i] | 0x20) != "r.example"[i]) abort();
        }
        if (!v.https && crioimg_http_redirect_check(&u, &v, 1, &keep, err, sizeof err) == CRIOIMG_OK) abort();
    }
    if (crioimg_http_retry_after(s, size, 1700000000LL, &a) == CRIOIMG_OK && a < 0) abort();
    if (crioimg_http_content_range(s, size, &a, &b, &c) == CRIOIMG_OK && (a < 0 || a > b || (c >= 0 && b >= c))) abort();
    return 0;
}

#ifndef CRIOIMG_FUZZ_REPLAY
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return fuzz_http(data, size); }
#endif
