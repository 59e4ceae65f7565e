/* libFuzzer target for the archive readers: the input is read as a docker-archive manifest.json (shape
   check, then containers/image's choice by index and by tag), as an OCI index.json (parse, then the oci
   transport's choice), and, written to a file, as a docker-archive and an oci-archive loaded into a
   memory store (the tar index, entry checks, manifest and config reading, layer streaming). Never crash
   or leak; every failure says why; a load that succeeds has recorded its image. */
#ifndef _POSIX_C_SOURCE   /* crioimg's implementation: POSIX.1-2008 and 64-bit file offsets, before any #include */
#define _POSIX_C_SOURCE 200809L
#define _FILE_OFFSET_BITS 64
#endif
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <unistd.h>
#ifndef CRIOIMG_FUZZ_REPLAY
#define CRIOIMG_IMPLEMENTATION
#endif
#include "../crioimg.h"

static void fz_arc_manifest_json(const uint8_t *data, size_t size)
{
    crioimg_json d;
    crioimg_ref ref;
    char err[512];
    size_t item;
    memset(&d, 0, sizeof d);
    if (crioimg_json_parse(&d, (const char *)data, size, NULL) != CRIOIMG_OK) return;
    err[0] = '\0';
    if (crioimg__arc_docker_check(&d, err, sizeof err) != CRIOIMG_OK) {
        if (err[0] == '\0') abort();
    } else {
        long long idx;
        for (idx = -1; idx < 3; idx++) {
            err[0] = '\0';
            if (crioimg__arc_docker_choose(&d, NULL, idx, &item, err, sizeof err) != CRIOIMG_OK) { if (err[0] == '\0') abort(); }
            else if (item >= d.ntok || d.tok[item].type != CRIOIMG_JSON_OBJECT) abort();
        }
        if (crioimg_ref_parse_normalized(&ref, "busybox:1", 9) != CRIOIMG_OK) abort();
        err[0] = '\0';
        if (crioimg__arc_docker_choose(&d, &ref, -1, &item, err, sizeof err) != CRIOIMG_OK && err[0] == '\0') abort();
    }
    crioimg_json_free(&d);
}

static void fz_arc_index_json(const uint8_t *data, size_t size)
{
    crioimg_store_entry *e = NULL;
    size_t n = 0, which;
    char err[512];
    static const char *const refs[] = { "", "latest", "busybox:1" };
    size_t i;
    if (crioimg_store_index_parse((const char *)data, size, NULL, &e, &n, err, sizeof err) != CRIOIMG_OK) return;
    for (i = 0; i < sizeof refs / sizeof refs[0]; i++) {
        err[0] = '\0';
        if (crioimg__arc_oci_choose(e, n, refs[i], &which, err, sizeof err) != CRIOIMG_OK) { if (err[0] == '\0') abort(); }
        else if (which >= n) abort();
    }
    free(e);
}

static void fz_arc_load(const uint8_t *data, size_t size)
{
    char path[] = "/tmp/crioimg-fuzz-archive-XXXXXX", src[128], err[1024];
    static const char *const kinds[] = { "docker-archive", "oci-archive" };
    size_t k;
    int fd = mkstemp(path);
    if (fd < 0) return;
    if (write(fd, data, size) != (ssize_t)size) { close(fd); unlink(path); return; }
    close(fd);
    for (k = 0; k < 2; k++) {
        crioimg_store *s = NULL;
        crioimg_archive_load_result res;
        crioimg_result r;
        if (crioimg_store_open_memory(&s, NULL) != CRIOIMG_OK) abort();
        snprintf(src, sizeof src, "%s:%s", kinds[k], path);
        err[0] = '\0';
        r = crioimg_archive_load(s, src, NULL, &res, err, sizeof err);
        if (r != CRIOIMG_OK && err[0] == '\0') abort();
        if (r == CRIOIMG_OK) {
            crioimg_image_list l;
            memset(&l, 0, sizeof l);
            if (crioimg_store_list(s, NULL, &l) != CRIOIMG_OK || l.n != 1 || strcmp(l.images[0].id, res.id) != 0) abort();
            crioimg_image_list_free(&l);
        }
        crioimg_store_close(s);
    }
    unlink(path);
}

static int fuzz_archive(const uint8_t *data, size_t size)
{
    fz_arc_manifest_json(data, size);
    fz_arc_index_json(data, size);
    fz_arc_load(data, size);
    return 0;
}

#ifndef CRIOIMG_FUZZ_REPLAY
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return fuzz_archive(data, size); }
#endif
