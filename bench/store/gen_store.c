/* gen_store DIR N [MODE]: an OCI layout of N index entries for bench/store/run, written directly
   (adding them one by one through the store would rewrite index.json N times). MODE:
     images (the default): N images, each with its own config (so its own ID), one layer of its own and
       one layer every image shares, and one name: example.com/bench/imgI:v1;
     names: one image with N names, example.com/bench/nI:v1 (N repositories, one manifest);
     shared: N manifests sharing one config (so one image), each with a layer of its own and one name,
       example.com/bench/sI:v1 (N repositories x N manifest digests, were every pair made). */
#define _POSIX_C_SOURCE 200809L
#define _FILE_OFFSET_BITS 64   /* large blobs on 32-bit systems: before any #include, as crioimg needs */
#define CRIOIMG_IMPLEMENTATION
#include "../../crioimg.h"
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

static void hexd(const char *s, size_t n, char out[72])
{
    crioimg_hasher h;
    crioimg_hasher_init(&h, CRIOIMG_DIGEST_SHA256);
    crioimg_hasher_update(&h, s, n);
    crioimg_hasher_final_string(&h, out, 72);
}

static void put(const char *dir, const char *s, size_t n, char d[72])
{
    char p[4096];
    FILE *f;
    hexd(s, n, d);
    snprintf(p, sizeof p, "%s/blobs/sha256/%s", dir, d + 7);
    f = fopen(p, "wb");
    if (!f || fwrite(s, 1, n, f) != n || fclose(f) != 0) { perror(p); exit(1); }
}

int main(int argc, char **argv)
{
    char p[4096], cfg[512], lay[64], man[2048], cd[72], ld[72], md[72], common[72];
    static const char shared[] = "the layer every image shares";
    unsigned long i, n;
    const char *mode = argc > 3 ? argv[3] : "images", *prefix = "img";
    int names = strcmp(mode, "names") == 0, one_config = names || strcmp(mode, "shared") == 0;
    FILE *idx;
    if ((argc != 3 && argc != 4) || (!one_config && strcmp(mode, "images") != 0)) { fputs("usage: gen_store DIR N [images|names|shared]\n", stderr); return 2; }
    if (one_config) prefix = names ? "n" : "s";
    n = strtoul(argv[2], NULL, 10);
    mkdir(argv[1], 0755);
    snprintf(p, sizeof p, "%s/blobs", argv[1]); mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/blobs/sha256", argv[1]); mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/oci-layout", argv[1]);
    idx = fopen(p, "w"); fputs("{\"imageLayoutVersion\":\"1.0.0\"}", idx); fclose(idx);
    /* the lock file every store crioimg made has: it marks a store crioimg manages, where a listing may
       keep its cache (.crioimg-cache) */
    snprintf(p, sizeof p, "%s/.crioimg.lock", argv[1]);
    idx = fopen(p, "w"); fclose(idx);
    put(argv[1], shared, sizeof shared - 1, common);
    snprintf(p, sizeof p, "%s/index.json", argv[1]);
    idx = fopen(p, "w");
    if (!idx) { perror(p); return 1; }
    fputs("{\"schemaVersion\":2,\"manifests\":[", idx);
    for (i = 0; i < n; i++) {
        size_t cn = (size_t)snprintf(cfg, sizeof cfg, "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Labels\":{\"i\":\"%lu\"}},"
                                     "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}", one_config ? 0 : i);
        size_t ln = (size_t)snprintf(lay, sizeof lay, "layer %lu", names ? 0 : i), mn;
        if (!names || i == 0) { put(argv[1], cfg, cn, cd); put(argv[1], lay, ln, ld); }
        mn = (size_t)snprintf(man, sizeof man,
            "{\"schemaVersion\":2,\"mediaType\":\"" CRIOIMG_MEDIA_OCI_MANIFEST "\",\"config\":{\"mediaType\":\"" CRIOIMG_MEDIA_OCI_CONFIG
            "\",\"digest\":\"%s\",\"size\":%zu},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"%s\",\"size\":%zu},"
            "{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"%s\",\"size\":%zu}]}",
            cd, cn, common, sizeof shared - 1, ld, ln);
        if (!names || i == 0) put(argv[1], man, mn, md);
        fprintf(idx, "%s{\"mediaType\":\"" CRIOIMG_MEDIA_OCI_MANIFEST "\",\"digest\":\"%s\",\"size\":%zu,"
                "\"annotations\":{\"org.opencontainers.image.ref.name\":\"example.com/bench/%s%lu:v1\"}}", i ? "," : "", md, mn, prefix, i);
    }
    fputs("]}", idx);
    if (fclose(idx) != 0) { perror(p); return 1; }
    return 0;
}
