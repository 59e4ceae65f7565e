/* The registry client against a real registry (distribution's docker-registry on loopback), over the
   library's own transport (crioimg_http_open_default: libcurl in this build). The registry is plain
   http and configured insecure: the client's https attempt fails and it falls back to http, as for
   any insecure registry. tests/registry_live.sh runs it.

   registry_live HOST:PORT REPO TAG    prints, one a line:
     manifest DIGEST MEDIA-TYPE LEN      (by tag; then again by digest, and HEAD, which must agree)
     blob DIGEST SIZE                    (config and every layer, streamed and verified)
     unknown RESULT-NAME                 (a tag that does not exist)
     unknown-blob RESULT-NAME            (a digest that does not exist) */
#define _POSIX_C_SOURCE 200809L
#define _FILE_OFFSET_BITS 64   /* large blobs on 32-bit systems: before any #include, as crioimg needs */
#define CRIOIMG_IMPLEMENTATION
#include "../crioimg.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct { crioimg_sha256_ctx c; long long n; } live_sink;
static crioimg_result live_consume(void *ctx, const void *data, size_t len)
{
    live_sink *s = (live_sink *)ctx;
    crioimg_sha256_update(&s->c, data, len);
    s->n += (long long)len;
    return CRIOIMG_OK;
}

static int live_blob(crioimg_registry *r, const char *repo, const crioimg_descriptor *d)
{
    live_sink s;
    crioimg_result res;
    crioimg_sha256_init(&s.c);
    s.n = 0;
    res = crioimg_registry_get_blob(r, repo, d, live_consume, &s);
    if (res != CRIOIMG_OK) { fprintf(stderr, "blob %s: %s\n", d->digest, crioimg_registry_error(r)); return 0; }
    printf("blob %s %lld\n", d->digest, s.n);
    return 1;
}

int main(int argc, char **argv)
{
    crioimg_http *h;
    crioimg_registry *r;
    crioimg_registry_opts o;
    crioimg_registry_manifest m, m2;
    crioimg_manifest parsed;
    crioimg_descriptor d;
    crioimg_result res;
    char dig[CRIOIMG_DIGEST_STRING_MAX + 1], media[256], err[512];
    long long size;
    size_t i;
    int ok = 1;
    if (argc != 4) { fprintf(stderr, "usage: registry_live HOST:PORT REPO TAG\n"); return 2; }
    if ((res = crioimg_http_open_default(&h, NULL)) != CRIOIMG_OK) { fprintf(stderr, "transport: %s\n", crioimg_result_str(res)); return 1; }
    memset(&o, 0, sizeof o);
    o.http = h;
    o.insecure = 1;
    o.no_auth_files = 1;
    o.retries = 2;          /* the fault proxy of tests/registry_live.sh breaks each blob's first transfer */
    o.retry_delay_ms = 10;
    if ((res = crioimg_registry_open(&r, argv[1], &o, err, sizeof err)) != CRIOIMG_OK) { fprintf(stderr, "open: %s\n", err); return 1; }
    if ((res = crioimg_registry_get_manifest(r, argv[2], argv[3], &m)) != CRIOIMG_OK) {
        fprintf(stderr, "manifest: %s\n", crioimg_registry_error(r));
        return 1;
    }
    printf("manifest %s %s %lu\n", m.digest, m.media_type, (unsigned long)m.len);
    if (crioimg_registry_get_manifest(r, argv[2], m.digest, &m2) != CRIOIMG_OK || m2.len != m.len || memcmp(m2.data, m.data, m.len) != 0 ||
        strcmp(m2.media_type, m.media_type) != 0) { fprintf(stderr, "by digest: %s\n", crioimg_registry_error(r)); ok = 0; }
    else printf("manifest %s %s %lu\n", m2.digest, m2.media_type, (unsigned long)m2.len);
    crioimg_registry_manifest_free(r, &m2);
    if (crioimg_registry_head_manifest(r, argv[2], argv[3], dig, media, sizeof media, &size) != CRIOIMG_OK || strcmp(dig, m.digest) != 0 ||
        strcmp(media, m.media_type) != 0 || size != (long long)m.len) { fprintf(stderr, "head: %s\n", crioimg_registry_error(r)); ok = 0; }
    else printf("manifest %s %s %lld\n", dig, media, size);
    if (crioimg_manifest_parse(&parsed, m.data, m.len, m.media_type, NULL) != CRIOIMG_OK) { fprintf(stderr, "parse: %s\n", parsed.err); ok = 0; }
    else {
        ok &= live_blob(r, argv[2], &parsed.config);
        for (i = 0; i < parsed.nlayers; i++) ok &= live_blob(r, argv[2], &parsed.layers[i]);
    }
    crioimg_manifest_free(&parsed);
    crioimg_registry_manifest_free(r, &m);
    res = crioimg_registry_get_manifest(r, argv[2], "no-such-tag", &m);
    printf("unknown %s\n", crioimg_result_name(res));
    fprintf(stderr, "%s\n", crioimg_registry_error(r));
    memset(&d, 0, sizeof d);
    d.digest = "sha256:0000000000000000000000000000000000000000000000000000000000000000";
    d.size = 1;
    {
        live_sink s;
        crioimg_sha256_init(&s.c);
        s.n = 0;
        res = crioimg_registry_get_blob(r, argv[2], &d, live_consume, &s);
    }
    printf("unknown-blob %s\n", crioimg_result_name(res));
    fprintf(stderr, "%s\n", crioimg_registry_error(r));
    crioimg_registry_close(r);
    crioimg_http_close(h);
    return ok ? 0 : 1;
}
