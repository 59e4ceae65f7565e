/* libFuzzer target for index.json as the store reads it: never crash, leak or read past the input;
   every digest that comes out is safe for a path; what the writer writes reads back the same; the
   image operations on an index whose manifests are missing fail cleanly. */
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

static int fuzz_store(const uint8_t *data, size_t size)
{
    crioimg_store_entry *e = NULL, *e2 = NULL;
    size_t n = 0, n2 = 0, i;
    char err[256];
    crioimg_json_writer w;
    const char *text;
    size_t len;
    crioimg_store *s;
    crioimg_image_list l;
    if (crioimg_store_index_parse((const char *)data, size, NULL, &e, &n, err, sizeof err) != CRIOIMG_OK) {
        if (err[0] == '\0') abort();   /* every failure says why */
        return 0;
    }
    for (i = 0; i < n; i++) {
        crioimg_digest dg;
        if (crioimg_digest_parse(&dg, e[i].digest, strlen(e[i].digest)) != CRIOIMG_OK || dg.alg == CRIOIMG_DIGEST_UNKNOWN) abort();
        if (strchr(e[i].digest, '/') || strstr(e[i].digest, "..") || e[i].size < 0) abort();
    }
    crioimg_json_writer_init(&w, NULL);
    crioimg_store_index_write(e, n, &w);
    if (crioimg_json_writer_finish(&w, &text, &len) != CRIOIMG_OK) abort();
    if (crioimg_store_index_parse(text, len, NULL, &e2, &n2, err, sizeof err) != CRIOIMG_OK || n2 != n) abort();
    for (i = 0; i < n; i++)
        if (strcmp(e[i].name, e2[i].name) || strcmp(e[i].digest, e2[i].digest) || strcmp(e[i].media_type, e2[i].media_type) ||
            e[i].size != e2[i].size) abort();
    crioimg_json_writer_free(&w);
    crioimg_free(NULL, e2);
    /* the image operations over that index, in a memory store without its blobs */
    if (crioimg_store_open_memory(&s, NULL) != CRIOIMG_OK) abort();
    if (s->vt.write_index(s->vt.user, e, n) != CRIOIMG_OK) abort();
    if (crioimg_store_list(s, NULL, &l) != CRIOIMG_OK || l.n != 0) abort();
    crioimg_image_list_free(&l);
    for (i = 0; i < n && i < 4; i++) {
        if (crioimg_store_image_status(s, e[i].name, &l) == CRIOIMG_OK) abort();   /* no manifest, no image */
        crioimg_image_list_free(&l);
        (void)crioimg_store_untag(s, e[i].name);   /* the entries of a name whose manifest is missing can go */
    }
    crioimg_store_close(s);
    crioimg_free(NULL, e);
    return 0;
}

#ifndef CRIOIMG_FUZZ_REPLAY
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return fuzz_store(data, size); }
#endif
