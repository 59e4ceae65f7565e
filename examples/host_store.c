/* A store of the host's own: the image service over a vtable the host supplies. Here the index and the
   blobs live in plain arrays of this program (a real host would use its database or object store);
   the library does everything else: verifying blobs, naming, listing, untagging, removing.

     cc -std=c99 -o host_store host_store.c && ./host_store

   Another program can reuse the store: #define EXAMPLE_NO_MAIN, #include "host_store.c", then
   host_store_vtable and host_store_free (examples/embedded_runtime.c does). Blobs are held whole in
   memory (no streaming methods: the library buffers each blob and calls blob_put), so this suits small
   images; a host with big layers adds blob_begin/write/commit/abort over its files. */
#define CRIOIMG_IMPLEMENTATION
#include "../crioimg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BLOBS 16
typedef struct host {
    crioimg_store_entry *index;  /* one block, as read_index hands it over */
    size_t n;
    struct { char digest[80]; char *data; size_t len; } blobs[MAX_BLOBS];
    size_t nblobs;
    int locked;                  /* a real host takes a lock other processes see */
} host;

static crioimg_result h_lock(void *u, int exclusive) { (void)exclusive; ((host *)u)->locked++; return CRIOIMG_OK; }
static crioimg_result h_unlock(void *u) { ((host *)u)->locked--; return CRIOIMG_OK; }

static crioimg_result h_read_index(void *u, const crioimg_allocator *a, crioimg_store_entry **e, size_t *n)
{
    host *h = (host *)u;
    *n = h->n;
    return crioimg_store_entries_pack(h->index, h->n, a, e);   /* one block: the library frees it */
}

static crioimg_result h_write_index(void *u, const crioimg_store_entry *e, size_t n)
{
    host *h = (host *)u;
    crioimg_store_entry *copy;
    crioimg_result r = crioimg_store_entries_pack(e, n, NULL, &copy);   /* replaced whole: atomic for this host */
    if (r != CRIOIMG_OK) return r;
    crioimg_free(NULL, h->index);
    h->index = copy; h->n = n;
    return CRIOIMG_OK;
}

static int find(host *h, const char *d)
{
    size_t i;
    for (i = 0; i < h->nblobs; i++) if (strcmp(h->blobs[i].digest, d) == 0) return (int)i;
    return -1;
}

static crioimg_result h_stat(void *u, const char *d, long long *size)
{
    int i = find((host *)u, d);
    if (i < 0) return CRIOIMG_ERR_NOT_FOUND;
    *size = (long long)((host *)u)->blobs[i].len;
    return CRIOIMG_OK;
}

static crioimg_result h_get(void *u, const char *d, size_t max, const crioimg_allocator *a, void **data, size_t *len)
{
    host *h = (host *)u;
    int i = find(h, d);
    if (i < 0) return CRIOIMG_ERR_NOT_FOUND;
    if (h->blobs[i].len > max) return CRIOIMG_ERR_TOO_BIG;
    if ((*data = crioimg_malloc(a, h->blobs[i].len + 1)) == NULL) return CRIOIMG_ERR_NOMEM;
    memcpy(*data, h->blobs[i].data, h->blobs[i].len);
    *len = h->blobs[i].len;
    return CRIOIMG_OK;
}

static crioimg_result h_put(void *u, const char *d, const void *data, size_t len)
{
    host *h = (host *)u;
    if (find(h, d) >= 0) return CRIOIMG_OK;
    if (h->nblobs == MAX_BLOBS || strlen(d) >= sizeof h->blobs[0].digest) return CRIOIMG_ERR_NOMEM;
    if ((h->blobs[h->nblobs].data = (char *)malloc(len + 1)) == NULL) return CRIOIMG_ERR_NOMEM;
    memcpy(h->blobs[h->nblobs].data, data, len);
    strcpy(h->blobs[h->nblobs].digest, d);
    h->blobs[h->nblobs++].len = len;
    return CRIOIMG_OK;
}

static crioimg_result h_delete(void *u, const char *d)
{
    host *h = (host *)u;
    int i = find(h, d);
    if (i < 0) return CRIOIMG_ERR_NOT_FOUND;
    free(h->blobs[i].data);
    h->blobs[i] = h->blobs[--h->nblobs];
    return CRIOIMG_OK;
}

/* The vtable over h (zeroed first): what crioimg_store_open takes. */
static void host_store_vtable(host *h, crioimg_store_vtable *vt)
{
    static const crioimg_store_vtable init = CRIOIMG_STORE_VTABLE_INIT;   /* this header's version, no methods */
    *vt = init;
    vt->user = h;
    vt->lock = h_lock; vt->unlock = h_unlock;
    vt->read_index = h_read_index; vt->write_index = h_write_index;
    vt->blob_stat = h_stat; vt->blob_get = h_get; vt->blob_put = h_put; vt->blob_delete = h_delete;
}

/* What the host holds, freed (after crioimg_store_close). */
static void host_store_free(host *h)
{
    while (h->nblobs) free(h->blobs[--h->nblobs].data);
    crioimg_free(NULL, h->index);
    h->index = NULL; h->n = 0;
}

#ifndef EXAMPLE_NO_MAIN
static void put(crioimg_store *s, const char *text, char digest[80])
{
    crioimg_hasher hs;
    crioimg_hasher_init(&hs, CRIOIMG_DIGEST_SHA256);
    crioimg_hasher_update(&hs, text, strlen(text));
    crioimg_hasher_final_string(&hs, digest, 80);
    if (crioimg_store_put_blob(s, digest, text, strlen(text)) != CRIOIMG_OK) { puts(crioimg_store_error(s)); exit(1); }
}

int main(void)
{
    host h;
    crioimg_store_vtable vt;
    crioimg_store *s;
    crioimg_image_list l;
    char cfg[80], layer[80], man[80], text[1024];
    const char *names[] = { "example.com/app:1", "app:stable" };
    size_t i;
    memset(&h, 0, sizeof h);
    host_store_vtable(&h, &vt);
    if (crioimg_store_open(&s, &vt, NULL) != CRIOIMG_OK) return 1;

    put(s, "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}", cfg);
    put(s, "a layer", layer);
    snprintf(text, sizeof text, "{\"schemaVersion\":2,\"mediaType\":\"%s\",\"config\":{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":78},"
             "\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"%s\",\"size\":7}]}",
             CRIOIMG_MEDIA_OCI_MANIFEST, CRIOIMG_MEDIA_OCI_CONFIG, cfg, layer);
    put(s, text, man);
    if (crioimg_store_add_image(s, man, names, 2) != CRIOIMG_OK) { puts(crioimg_store_error(s)); return 1; }

    if (crioimg_store_list(s, NULL, &l) != CRIOIMG_OK) return 1;
    for (i = 0; i < l.n; i++)
        printf("%.12s  %s (+%zu more)  %lld bytes\n", l.images[i].id, l.images[i].image_ref, l.images[i].nnames - 1, l.images[i].size);
    crioimg_image_list_free(&l);
    if (crioimg_store_untag(s, "app:stable") != CRIOIMG_OK || crioimg_store_untag(s, "example.com/app:1") != CRIOIMG_OK) return 1;
    printf("after untagging both names: %zu index entries, %zu blobs\n", h.n, h.nblobs);   /* 0, 0 */
    crioimg_store_close(s);
    i = h.n + h.nblobs;
    host_store_free(&h);
    return i == 0 ? 0 : 1;
}
#endif /* EXAMPLE_NO_MAIN */
