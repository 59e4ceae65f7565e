/* libFuzzer target for manifests, indexes and image configs: never crash, leak or read past the input;
   a parsed document's fields are consistent; platform choice and User parsing never misbehave. */
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

static void fuzz_manifest_check(const crioimg_manifest *m)
{
    static const char *const wants[] = { "linux/amd64", "linux/arm/v7", "linux/arm64", "windows/amd64" };
    size_t i, which;
    char err[512], buf[64];
    crioimg_digest dg;
    if (m->kind == CRIOIMG_MANIFEST_UNKNOWN || !m->media_type) abort();
    for (i = 0; i < m->nlayers; i++)
        if (m->layers[i].size < 0 || crioimg_digest_parse(&dg, m->layers[i].digest, strlen(m->layers[i].digest)) != CRIOIMG_OK) abort();
    for (i = 0; i < m->nmanifests; i++)
        if (m->manifests[i].size < 0 || (m->manifests[i].has_data && (long long)m->manifests[i].data_len != m->manifests[i].size)) abort();
    if (m->kind == CRIOIMG_MANIFEST_OCI_INDEX || m->kind == CRIOIMG_MANIFEST_DOCKER_LIST)
        for (i = 0; i < sizeof wants / sizeof wants[0]; i++) {
            crioimg_platform p;
            if (crioimg_platform_parse(&p, wants[i], buf, sizeof buf) != CRIOIMG_OK) abort();
            if (crioimg_manifest_choose(m, &p, &which, err, sizeof err) == CRIOIMG_OK && which >= m->nmanifests) abort();
        }
}

static int fuzz_manifest(const uint8_t *data, size_t size)
{
    static const char *const types[] = { NULL, CRIOIMG_MEDIA_OCI_MANIFEST, CRIOIMG_MEDIA_DOCKER_LIST };
    const char *s = (const char *)data;
    crioimg_manifest m;
    crioimg_image_config c;
    size_t t;
    for (t = 0; t < sizeof types / sizeof types[0]; t++) {
        if (crioimg_manifest_parse(&m, s, size, types[t], NULL) == CRIOIMG_OK) fuzz_manifest_check(&m);
        else if (m.err[0] == '\0') abort();  /* every failure says why */
        crioimg_manifest_free(&m);
    }
    if (crioimg_image_config_parse(&c, s, size, NULL) == CRIOIMG_OK) {
        long uid, gid;
        if (crioimg_image_config_user(c.user, &uid, &gid) == CRIOIMG_OK && (uid < -1 || gid < -1)) abort();
        /* Env, Entrypoint, Cmd: NULL-terminated, counted, every string whole (no NUL inside) */
        if ((c.env && c.env[c.nenv]) || (c.entrypoint && c.entrypoint[c.nentrypoint]) || (c.cmd && c.cmd[c.ncmd])) abort();
        if ((!c.env && c.nenv) || (!c.entrypoint && c.nentrypoint) || (!c.cmd && c.ncmd)) abort();
        if (!c.author || !c.working_dir) abort();
    }
    crioimg_image_config_free(&c);
    return 0;
}

#ifndef CRIOIMG_FUZZ_REPLAY
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return fuzz_manifest(data, size); }
#endif
