/* libFuzzer target for the TOML reader (src/toml.c) and registries.conf: never crash, leak or read past the
   input; every refusal names a file and line; an accepted file's registries are sorted by prefix with no
   prefix twice; resolution, pull sources and host decisions over it never misbehave; an accepted file
   holds no NUL, raw or escaped, in any string (issue 10). The input is read as a main file, then again
   as a drop-in over it. */
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

static void fuzz_regconf_use(crioimg_registries *r)
{
    static const char *const names[] = { "nginx", "repo/image:1", "docker", "a.com/x/y@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                                          "registry.com/foo/bar:tag", "localhost/x", "quay.io/a/b" };
    static const char *const hosts[] = { "registry.com", "a.lab.example:5000", "10.1.2.3", "mirror-1.registry.com" };
    const crioimg__conf *c = r->conf;
    size_t i;
    if (c == NULL) abort();
    for (i = 1; i < c->nregs; i++) if (strcmp(c->regs[i - 1].prefix, c->regs[i].prefix) >= 0) abort();
    for (i = 0; i < sizeof names / sizeof names[0]; i++) {
        crioimg_candidates cs;
        size_t k;
        if (crioimg_registries_resolve(r, names[i], strlen(names[i]), &cs) == CRIOIMG_OK) {
            if (cs.n == 0) abort();
            for (k = 0; k < cs.n; k++) if (cs.items[k].name == NULL || cs.items[k].origin == NULL) abort();
        } else if (crioimg_registries_error(r)[0] == '\0') abort();
        crioimg_candidates_free(&cs);
        if (crioimg_registries_pull_sources(r, names[i], strlen(names[i]), &cs) == CRIOIMG_OK &&
            (cs.n == 0 || cs.items[cs.n - 1].rule != CRIOIMG_CANDIDATE_PRIMARY)) abort();
        crioimg_candidates_free(&cs);
    }
    for (i = 0; i < sizeof hosts / sizeof hosts[0]; i++) {
        crioimg_insecure_decision d;
        if (crioimg_registries_check_host(r, hosts[i], strlen(hosts[i]), &d) != CRIOIMG_OK) abort();
    }
}

/* 1 when a basic string of the text ("...", outside comments and literal '...' strings) holds a
   \u0000 or \U00000000 escape: a NUL in a decoded string. A multi-line string reads to this scan as
   empty strings around a one-line one, which is enough to see an escape in it. Whether each corpus file
   loads or is refused alike in containers/image is tests/go_diff_registries.sh's part (issue 16). */
static int fuzz_regconf_nul_escape(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        char c = s[i++];
        if (c == '#') { while (i < n && s[i] != '\n') i++; }
        else if (c == '\'') { while (i < n && s[i] != '\'' && s[i] != '\n') i++; i++; }
        else if (c == '"') {
            while (i < n && s[i] != '"' && s[i] != '\n') {
                if (s[i] == '\\' && i + 1 < n) {
                    if (s[i + 1] == 'u' && i + 6 <= n && memcmp(s + i + 2, "0000", 4) == 0) return 1;
                    if (s[i + 1] == 'U' && i + 10 <= n && memcmp(s + i + 2, "00000000", 8) == 0) return 1;
                    i += 2;
                } else i++;
            }
            i++;
        }
    }
    return 0;
}

static int fuzz_regconf(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    crioimg_registries *r;
    crioimg_registries_opts o;
    crioimg_result res;
    memset(&o, 0, sizeof o);
    o.no_resolver = 1;
    if (crioimg_registries_new(&r, &o) != CRIOIMG_OK) abort();
    res = crioimg_registries_load_conf_text(r, s, size, "f.conf", 0);
    /* issue 10: an accepted file has no NUL in any decoded string (a key, a location, a mode...) */
    if (res == CRIOIMG_OK && (memchr(s, '\0', size) || fuzz_regconf_nul_escape(s, size))) abort();
    if (res == CRIOIMG_OK) {
        fuzz_regconf_use(r);
        res = crioimg_registries_load_conf_text(r, s, size, "d.conf", 1);
        if (res == CRIOIMG_OK) fuzz_regconf_use(r);
        else if (strncmp(crioimg_registries_error(r), "d.conf:", 7) != 0) abort();
    } else if (res == CRIOIMG_ERR_REGISTRIES_CONF) {
        if (strncmp(crioimg_registries_error(r), "f.conf:", 7) != 0) abort();  /* file and line */
    } else if (res != CRIOIMG_ERR_NOMEM) {
        abort();
    }
    crioimg_registries_free(r);
    return 0;
}

#ifndef CRIOIMG_FUZZ_REPLAY
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return fuzz_regconf(data, size); }
#endif
