/* libFuzzer target for what a registry's servers send back as JSON: token responses and error bodies.
   Never crash or read past the input; a token comes back exactly when the result is OK, non-empty and
   fit for a header line (no control bytes); an error body's message is always one bounded line. */
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

static int fuzz_token(const uint8_t *data, size_t size)
{
    static const int statuses[] = { 400, 401, 403, 404, 429, 500 };
    const char *s = (const char *)data;
    char *tok = NULL, err[160], msg[200];
    long long exp = 0, t;
    size_t i, k;
    crioimg_result r = crioimg__rg_token_parse(s, size, 1700000000, NULL, &tok, &exp, err, sizeof err);
    if ((r == CRIOIMG_OK) != (tok != NULL)) abort();
    if (strlen(err) >= sizeof err || strchr(err, '\n') || strchr(err, '\r')) abort();
    if (tok) {
        if (tok[0] == '\0') abort();
        for (k = 0; tok[k]; k++) if ((unsigned char)tok[k] < 0x20 || tok[k] == 0x7f) abort();
        free(tok);
    } else if (r != CRIOIMG_ERR_AUTH_TOKEN && r != CRIOIMG_ERR_NOMEM) {
        abort();
    }
    for (i = 0; i < sizeof statuses / sizeof statuses[0]; i++) {
        r = crioimg__rg_error_parse(s, size, statuses[i], msg, sizeof msg);
        if (strlen(msg) >= sizeof msg || strchr(msg, '\n') || strchr(msg, '\r')) abort();
        if (r != CRIOIMG_OK && r != CRIOIMG_ERR_REGISTRY_MANIFEST_UNKNOWN && r != CRIOIMG_ERR_REGISTRY_BLOB_UNKNOWN &&
            r != CRIOIMG_ERR_REGISTRY_DENIED && r != CRIOIMG_ERR_AUTH_REQUIRED && r != CRIOIMG_ERR_REGISTRY_TOO_MANY_REQUESTS) abort();
        if (r != CRIOIMG_OK && msg[0] == '\0') abort();
    }
    (void)crioimg__rg_rfc3339(s, size, &t);
    return 0;
}

#ifndef CRIOIMG_FUZZ_REPLAY
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return fuzz_token(data, size); }
#endif
