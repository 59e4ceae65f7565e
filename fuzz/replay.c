/* Replays fuzz corpora without libFuzzer: every file under fuzz/corpus/<target>/ through its target.
   CI runs it (plain and under ASan+UBSan); prints "N passed, N failed" (a crash fails the run). */
#define _POSIX_C_SOURCE 200809L
#define _FILE_OFFSET_BITS 64   /* large blobs on 32-bit systems: before any #include, as crioimg needs */
#define CRIOIMG_IMPLEMENTATION
#include "../crioimg.h"
#define CRIOIMG_FUZZ_REPLAY 1
#include "fuzz_ref.c"
#include "fuzz_digest.c"
#include "fuzz_json.c"
#include "fuzz_manifest.c"
#include "fuzz_auth.c"
#include "fuzz_http.c"
#include "fuzz_http_response.c"
#include "fuzz_cidr.c"
#include "fuzz_regconf.c"
#include "fuzz_store.c"
#include "fuzz_token.c"
#include "fuzz_policy.c"
#include "fuzz_authfile.c"
#include "fuzz_tar.c"
#include "fuzz_unpack.c"
#include "fuzz_inflate.c"
#include "fuzz_archive.c"

#include <dirent.h>
#include <stdio.h>

static const struct { const char *name; int (*run)(const uint8_t *, size_t); } targets[] = {
    { "ref", fuzz_ref },
    { "digest", fuzz_digest },
    { "json", fuzz_json },
    { "manifest", fuzz_manifest },
    { "auth", fuzz_auth },
    { "http", fuzz_http },
    { "http_response", fuzz_http_response },
    { "cidr", fuzz_cidr },
    { "regconf", fuzz_regconf },
    { "store", fuzz_store },
    { "token", fuzz_token },
    { "policy", fuzz_policy },
    { "authfile", fuzz_authfile },
    { "tar", fuzz_tar },
    { "unpack", fuzz_unpack },
    { "inflate", fuzz_inflate },
    { "archive", fuzz_archive },
};

static int replay_file(const char *path, int (*run)(const uint8_t *, size_t))
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf;
    long n;
    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        if (f) fclose(f);
        return 0;
    }
    buf = (uint8_t *)malloc(n ? (size_t)n : 1);  /* exactly n bytes: ASan sees any read past them */
    if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) { free(buf); fclose(f); return 0; }
    fclose(f);
    run(buf, (size_t)n);
    free(buf);
    return 1;
}

int main(int argc, char **argv)
{
    const char *root = argc > 1 ? argv[1] : "fuzz/corpus";
    unsigned long passed = 0, failed = 0;
    size_t t;
    for (t = 0; t < sizeof targets / sizeof targets[0]; t++) {
        char dir[4096], path[8192];
        DIR *d;
        struct dirent *e;
        snprintf(dir, sizeof dir, "%s/%s", root, targets[t].name);
        if ((d = opendir(dir)) == NULL) { fprintf(stderr, "replay: no corpus %s\n", dir); failed++; continue; }
        while ((e = readdir(d)) != NULL) {
            if (e->d_name[0] == '.') continue;
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            if (replay_file(path, targets[t].run)) passed++;
            else { fprintf(stderr, "replay: cannot read %s\n", path); failed++; }
        }
        closedir(d);
    }
    printf("%lu passed, %lu failed\n", passed, failed);
    return failed ? 1 : 0;
}
