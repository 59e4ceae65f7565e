/* ---------------------------------------------------------------------------------------------------
   store implementation: the built-in in-memory store (crioimg_store_open_memory), a vtable over sorted
   arrays; it uses the generic layer's helpers (store.c)
   --------------------------------------------------------------------------------------------------- */
#include "store_internal.h"

/* ---- the in-memory store ---- */

/* A blob's bytes, counted: a reader keeps them alive after the blob is deleted. */
typedef struct crioimg__mem_bytes { size_t refs, len; unsigned char *p; } crioimg__mem_bytes;
typedef struct crioimg__mem_blob { char *digest; crioimg__mem_bytes *bytes; } crioimg__mem_blob;

typedef struct crioimg__mem {
    crioimg_store_entry *e;
    size_t n;
    crioimg__mem_blob *b;
    size_t nb, capb;
    int depth;
    crioimg_allocator alloc;
} crioimg__mem;

static crioimg_result crioimg__mem_lock(void *u, int exclusive) { (void)exclusive; ((crioimg__mem *)u)->depth++; return CRIOIMG_OK; }
static crioimg_result crioimg__mem_unlock(void *u) { ((crioimg__mem *)u)->depth--; return CRIOIMG_OK; }

static crioimg_result crioimg__mem_read_index(void *u, const crioimg_allocator *a, crioimg_store_entry **e, size_t *n)
{
    crioimg__mem *m = (crioimg__mem *)u;
    crioimg_result r = crioimg_store_entries_pack(m->e, m->n, a, e);
    *n = r == CRIOIMG_OK ? m->n : 0;
    return r;
}

static crioimg_result crioimg__mem_write_index(void *u, const crioimg_store_entry *e, size_t n)
{
    crioimg__mem *m = (crioimg__mem *)u;
    crioimg_store_entry *ne;
    crioimg_result r = crioimg_store_entries_pack(e, n, &m->alloc, &ne);
    if (r != CRIOIMG_OK) return r;
    crioimg_free(&m->alloc, m->e);
    m->e = ne; m->n = n;
    return CRIOIMG_OK;
}

static void crioimg__mem_release(const crioimg_allocator *a, crioimg__mem_bytes *b)
{
    if (b == NULL || --b->refs > 0) return;
    crioimg_free(a, b->p);
    crioimg_free(a, b);
}

/* The blobs are kept in digest order: a look-up is a binary search (listing stats every blob), *at
   where d is or would go. */
static crioimg__mem_blob *crioimg__mem_search(crioimg__mem *m, const char *d, size_t *at)
{
    size_t lo = 0, hi = m->nb;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(m->b[mid].digest, d);
        if (c == 0) { *at = mid; return &m->b[mid]; }
        if (c < 0) lo = mid + 1; else hi = mid;
    }
    *at = lo;
    return NULL;
}

static crioimg__mem_blob *crioimg__mem_find(crioimg__mem *m, const char *d)
{
    size_t at;
    return crioimg__mem_search(m, d, &at);
}

static crioimg_result crioimg__mem_blob_stat(void *u, const char *d, long long *size)
{
    crioimg__mem_blob *b = crioimg__mem_find((crioimg__mem *)u, d);
    if (b == NULL) return CRIOIMG_ERR_NOT_FOUND;
    *size = (long long)b->bytes->len;
    return CRIOIMG_OK;
}

static crioimg_result crioimg__mem_blob_get(void *u, const char *d, size_t max, const crioimg_allocator *a, void **data, size_t *len)
{
    crioimg__mem_blob *b = crioimg__mem_find((crioimg__mem *)u, d);
    if (b == NULL) return CRIOIMG_ERR_NOT_FOUND;
    if (b->bytes->len > max) return CRIOIMG_ERR_TOO_BIG;
    *data = crioimg_malloc(a, b->bytes->len + 1);
    if (*data == NULL) return CRIOIMG_ERR_NOMEM;
    if (b->bytes->len) memcpy(*data, b->bytes->p, b->bytes->len);
    *len = b->bytes->len;
    return CRIOIMG_OK;
}

static crioimg_result crioimg__mem_blob_put(void *u, const char *d, const void *data, size_t len)
{
    crioimg__mem *m = (crioimg__mem *)u;
    crioimg__mem_blob *b;
    size_t dl = strlen(d) + 1, at;
    if (crioimg__mem_search(m, d, &at)) return CRIOIMG_OK;
    if (m->nb == m->capb) {
        size_t nc = m->capb ? m->capb * 2 : 16;
        crioimg__mem_blob *nbp = (crioimg__mem_blob *)crioimg_realloc(&m->alloc, m->b, nc * sizeof *nbp);
        if (nbp == NULL) return CRIOIMG_ERR_NOMEM;
        m->b = nbp; m->capb = nc;
    }
    memmove(&m->b[at + 1], &m->b[at], (m->nb - at) * sizeof *m->b);
    b = &m->b[at];
    b->digest = (char *)crioimg_malloc(&m->alloc, dl);
    b->bytes = (crioimg__mem_bytes *)crioimg_malloc(&m->alloc, sizeof *b->bytes);
    if (b->bytes) { b->bytes->refs = 1; b->bytes->len = len; b->bytes->p = (unsigned char *)crioimg_malloc(&m->alloc, len + 1); }
    if (!b->digest || !b->bytes || !b->bytes->p) {
        crioimg_free(&m->alloc, b->digest);
        if (b->bytes) crioimg_free(&m->alloc, b->bytes->p);
        crioimg_free(&m->alloc, b->bytes);
        memmove(&m->b[at], &m->b[at + 1], (m->nb - at) * sizeof *m->b);
        return CRIOIMG_ERR_NOMEM;
    }
    memcpy(b->digest, d, dl);
    if (len) memcpy(b->bytes->p, data, len);
    m->nb++;
    return CRIOIMG_OK;
}

static crioimg_result crioimg__mem_blob_delete(void *u, const char *d)
{
    crioimg__mem *m = (crioimg__mem *)u;
    crioimg__mem_blob *b = crioimg__mem_find(m, d);
    if (b == NULL) return CRIOIMG_ERR_NOT_FOUND;
    crioimg_free(&m->alloc, b->digest);
    crioimg__mem_release(&m->alloc, b->bytes);
    m->nb--;
    memmove(b, b + 1, (size_t)(&m->b[m->nb] - b) * sizeof *b);
    return CRIOIMG_OK;
}

typedef struct crioimg__mem_r { crioimg__mem_bytes *b; size_t off; } crioimg__mem_r;

static crioimg_result crioimg__mem_blob_open(void *u, const char *d, void **handle, long long *size)
{
    crioimg__mem *m = (crioimg__mem *)u;
    crioimg__mem_blob *b = crioimg__mem_find(m, d);
    crioimg__mem_r *h;
    if (b == NULL) return CRIOIMG_ERR_NOT_FOUND;
    h = (crioimg__mem_r *)crioimg_malloc(&m->alloc, sizeof *h);
    if (h == NULL) return CRIOIMG_ERR_NOMEM;
    h->b = b->bytes; h->off = 0;
    h->b->refs++;
    *handle = h;
    *size = (long long)h->b->len;
    return CRIOIMG_OK;
}

static crioimg_result crioimg__mem_blob_read(void *u, void *handle, void *buf, size_t cap, size_t *n)
{
    crioimg__mem_r *h = (crioimg__mem_r *)handle;
    (void)u;
    *n = h->b->len - h->off < cap ? h->b->len - h->off : cap;
    memcpy(buf, h->b->p + h->off, *n);
    h->off += *n;
    return CRIOIMG_OK;
}

static void crioimg__mem_blob_close(void *u, void *handle)
{
    crioimg__mem *m = (crioimg__mem *)u;
    crioimg__mem_r *h = (crioimg__mem_r *)handle;
    crioimg__mem_release(&m->alloc, h->b);
    crioimg_free(&m->alloc, h);
}

static crioimg_result crioimg__mem_blob_list(void *u, int (*fn)(void *ctx, const char *digest, long long size), void *ctx)
{
    crioimg__mem *m = (crioimg__mem *)u;
    size_t i;
    for (i = 0; i < m->nb; i++) if (fn(ctx, m->b[i].digest, (long long)m->b[i].bytes->len)) break;
    return CRIOIMG_OK;
}

static void crioimg__mem_close(void *u)
{
    crioimg__mem *m = (crioimg__mem *)u;
    crioimg_allocator a = m->alloc;
    size_t i;
    for (i = 0; i < m->nb; i++) { crioimg_free(&a, m->b[i].digest); crioimg__mem_release(&a, m->b[i].bytes); }
    crioimg_free(&a, m->b);
    crioimg_free(&a, m->e);
    crioimg_free(&a, m);
}

crioimg_result crioimg_store_open_memory(crioimg_store **out, const crioimg_store_opts *opts)
{
    crioimg_store_vtable vt;
    crioimg__mem *m;
    crioimg_result r;
    const crioimg_allocator *a = opts ? &opts->alloc : NULL;
    if ((r = crioimg__st_ctor_check(out, opts)) != CRIOIMG_OK) return r;
    m = (crioimg__mem *)crioimg_malloc(a, sizeof *m);
    if (m == NULL) return crioimg__st_ctor_fail(opts, CRIOIMG_ERR_NOMEM, NULL, NULL);
    memset(m, 0, sizeof *m);
    if (a) m->alloc = *a;
    memset(&vt, 0, sizeof vt);
    vt.version = CRIOIMG_STORE_VTABLE_VERSION;
    vt.user = m;
    vt.lock = crioimg__mem_lock; vt.unlock = crioimg__mem_unlock;
    vt.read_index = crioimg__mem_read_index; vt.write_index = crioimg__mem_write_index;
    vt.blob_stat = crioimg__mem_blob_stat; vt.blob_get = crioimg__mem_blob_get;
    vt.blob_put = crioimg__mem_blob_put; vt.blob_delete = crioimg__mem_blob_delete;
    vt.close = crioimg__mem_close;
    vt.blob_open = crioimg__mem_blob_open; vt.blob_read = crioimg__mem_blob_read; vt.blob_close = crioimg__mem_blob_close;
    vt.blob_list = crioimg__mem_blob_list;
    r = crioimg__st_new(out, &vt, opts);
    if (r != CRIOIMG_OK) crioimg__mem_close(m);
    return r;
}
