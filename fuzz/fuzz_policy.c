/* libFuzzer target for the signature policy: never crash, leak or read past the input; every refusal
   is ERR_POLICY_INVALID (or ERR_TOO_BIG / ERR_NOMEM) with a text that names the file; an accepted
   policy holds no NUL in a transport or scope name (a "\u0000" is refused) and only known requirement
   types, its scopes are sorted, and checks over it give one of the documented results with a text. */
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

static void fuzz_policy_use(const crioimg_policy *p)
{
    static const char *const names[] = { "docker://busybox", "docker://a.b.example.com:5000/ns/x:1", "docker://x.com/y@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                                         "docker-daemon:busybox:latest", "docker-archive:/nonexistent/a.tar", "oci:/nonexistent:x",
                                         "dir:/", "dir:/nonexistent-crioimg", "containers-storage:busybox" };
    size_t i, j;
    char err[512];
    for (i = 0; i < p->ntransports; i++) {
        const crioimg__pol_transport *t = &p->transports[i];
        if (memchr(t->name, '\0', strlen(t->name) + 1) != t->name + strlen(t->name)) abort();
        for (j = t->first; j < t->first + t->n; j++) {
            const crioimg__pol_scope *s = &p->scopes[j];
            if (memchr(s->name, '\0', s->len) != NULL || s->name[s->len] != '\0' || s->n == 0) abort();
            if (j > t->first && crioimg__pp_scope_cmp(&p->scopes[j - 1], s) >= 0) abort();
        }
    }
    for (i = 0; i < p->def_first + p->def_n; i++) if (p->reqs[i] > CRIOIMG__PR_SIGSTORE) abort();
    if (p->def_n == 0) abort();
    for (i = 0; i < sizeof names / sizeof names[0]; i++) {
        crioimg_result r = crioimg_policy_check(p, names[i], strlen(names[i]), err, sizeof err);
        if (r == CRIOIMG_OK) { if (err[0]) abort(); }
        else if (r == CRIOIMG_ERR_POLICY_REJECTED || r == CRIOIMG_ERR_POLICY_UNSUPPORTED || r == CRIOIMG_ERR_IO ||
                 r == CRIOIMG_ERR_UNSUPPORTED) { if (err[0] == '\0') abort(); }
        else if (r != CRIOIMG_ERR_NOMEM) abort();
    }
}

static int fuzz_policy(const uint8_t *data, size_t size)
{
    crioimg_policy *p = NULL;
    char err[512];
    crioimg_result r = crioimg_policy_parse(&p, (const char *)data, size, "f.json", NULL, err, sizeof err);
    if (r == CRIOIMG_OK) {
        if (p == NULL || err[0]) abort();
        fuzz_policy_use(p);
        crioimg_policy_free(p);
    } else if (r == CRIOIMG_ERR_POLICY_INVALID || r == CRIOIMG_ERR_TOO_BIG) {
        if (p != NULL || strncmp(err, "invalid policy in \"f.json\": ", 28) != 0) abort();
    } else if (r != CRIOIMG_ERR_NOMEM) {
        abort();
    }
    return 0;
}

#ifndef CRIOIMG_FUZZ_REPLAY
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return fuzz_policy(data, size); }
#endif
