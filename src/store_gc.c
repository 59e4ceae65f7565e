/* ---------------------------------------------------------------------------------------------------
   store implementation: garbage collection and verification (crioimg_store_gc, crioimg_store_verify),
   and the sweep a failed import uses to take back what it wrote; built on the generic layer's view
   (store.c) and the vtable's blob_list, blob_delete and clean
   --------------------------------------------------------------------------------------------------- */
#include "store_internal.h"

/* Every blob of the store (blob_list), copied into an arena. */
typedef struct crioimg__gc_blobs {
    const char **d;
    long long *size;
    size_t n, cap;
    void *arena;
    const crioimg_allocator *a;
    int nomem;
} crioimg__gc_blobs;

static int crioimg__gc_collect(void *ctx, const char *digest, long long size)
{
    crioimg__gc_blobs *b = (crioimg__gc_blobs *)ctx;
    size_t l = strlen(digest) + 1;
    char *c;
    if (b->n == b->cap) {
        size_t nc = b->cap ? b->cap * 2 : 256;
        const char **nd = (const char **)crioimg_realloc(b->a, (void *)b->d, nc * sizeof *nd);
        long long *ns;
        if (nd == NULL) return b->nomem = 1;
        b->d = nd;
        ns = (long long *)crioimg_realloc(b->a, b->size, nc * sizeof *ns);
        if (ns == NULL) return b->nomem = 1;
        b->size = ns;
        b->cap = nc;
    }
    c = (char *)crioimg__arena_alloc(&b->arena, b->a, l);
    if (c == NULL) return b->nomem = 1;
    memcpy(c, digest, l);
    b->d[b->n] = c;
    b->size[b->n++] = size;
    return 0;
}

static void crioimg__gc_blobs_free(crioimg__gc_blobs *b)
{
    crioimg_free(b->a, (void *)b->d);
    crioimg_free(b->a, b->size);
    crioimg__arena_free(&b->arena, b->a);
}

/* Every blob of the store, under the lock the caller holds. */
static crioimg_result crioimg__gc_list(crioimg_store *s, crioimg__gc_blobs *b)
{
    crioimg_result r;
    memset(b, 0, sizeof *b);
    b->a = &s->alloc;
    CRIOIMG__ST_MORE(s);
    if (s->vt.version < 4 || s->vt.blob_list == NULL)
        return crioimg__st_fail(s, CRIOIMG_ERR_UNSUPPORTED, "store has no blob_list method", NULL, NULL);
    r = s->vt.blob_list(s->vt.user, crioimg__gc_collect, b);
    if (r == CRIOIMG_OK && b->nomem) r = CRIOIMG_ERR_NOMEM;
    if (r != CRIOIMG_OK && s->err[0] == '\0') crioimg__st_fail(s, r, "cannot list the store's blobs", NULL, NULL);
    return r;
}

/* The index with every manifest read from the blobs themselves, never from the listing cache: gc and
   verify judge what is on disk now. */
static crioimg_result crioimg__gc_view(crioimg_store *s, crioimg__st_view *v)
{
    const crioimg__st_cacheops *c = s->cache;
    crioimg_result r;
    s->cache = NULL;
    r = crioimg__st_view_load(s, v, 1, 0);
    s->cache = c;
    return r;
}

/* The blobs the index references, sorted (every manifest's own list: config and layers, an index's
   manifests and theirs). A manifest that is there but cannot be read makes it fail: what it references
   is unknown. One that is missing references nothing that can be found. */
static crioimg_result crioimg__gc_referenced(crioimg_store *s, crioimg__st_view *v, const char ***out, size_t *n)
{
    size_t i, k, total = 0;
    const char **ref;
    *out = NULL; *n = 0;
    for (i = 0; i < v->nmf; i++) {
        if (v->mfs[i].r != CRIOIMG_OK && v->mfs[i].r != CRIOIMG_ERR_NOT_FOUND)
            return crioimg__st_fail(s, CRIOIMG_ERR_STORE_CORRUPT, "manifest ", v->mfs[i].digest,
                                    " cannot be read, so what it references is unknown: nothing removed (crioimg verify says more)");
        if (v->mfs[i].nested)
            return crioimg__st_fail(s, CRIOIMG_ERR_UNSUPPORTED, "index ", v->mfs[i].digest,
                                    " holds an index, whose images are not followed: nothing removed");
        total += v->mfs[i].nblobs;
    }
    ref = (const char **)crioimg_malloc(&s->alloc, (total + 1) * sizeof *ref);
    if (ref == NULL) return CRIOIMG_ERR_NOMEM;
    for (i = 0; i < v->nmf; i++)
        for (k = 0; k < v->mfs[i].nblobs; k++) ref[(*n)++] = v->mfs[i].blobs[k];
    qsort(ref, *n, sizeof *ref, crioimg__st_cmpstr);
    *out = ref;
    return CRIOIMG_OK;
}

/* Deletes those of cand[] that the index does not reference, under the exclusive lock the caller
   holds; counts them (sizes from size[], when given). */
static crioimg_result crioimg__gc_sweep(crioimg_store *s, const char *const *cand, const long long *size, size_t ncand,
                                        size_t *count, long long *bytes)
{
    crioimg__st_view v;
    const char **ref = NULL;
    size_t nref = 0, i;
    crioimg_result r;
    CRIOIMG__ST_MORE(s);
    CRIOIMG__ST_NEED(s, blob_delete);
    r = crioimg__gc_view(s, &v);
    if (r == CRIOIMG_OK) r = crioimg__gc_referenced(s, &v, &ref, &nref);
    for (i = 0; r == CRIOIMG_OK && i < ncand; i++) {
        long long sz = size ? size[i] : -1;
        if (nref && bsearch(&cand[i], ref, nref, sizeof *ref, crioimg__st_cmpstr)) continue;
        if (size == NULL && crioimg__st_blob_stat(s, cand[i], &sz) != CRIOIMG_OK) { s->err[0] = '\0'; continue; }
        r = s->vt.blob_delete(s->vt.user, cand[i]);
        if (r == CRIOIMG_ERR_NOT_FOUND) { r = CRIOIMG_OK; s->err[0] = '\0'; continue; }
        if (r == CRIOIMG_OK) { if (count) (*count)++; if (bytes && sz > 0) *bytes += sz; }
    }
    crioimg_free(&s->alloc, (void *)ref);
    crioimg__st_view_free(s, &v);
    return r;
}

/* What a failed copy wrote (digests[]) goes again when nothing references it: under the exclusive lock,
   best effort (a failure here leaves blobs for crioimg_store_gc, never an entry without its blobs). */
CRIOIMG__LIB void crioimg__gc_take_back(crioimg_store *s, const char *const *digests, size_t n)
{
    char saved[sizeof s->err];
    if (n == 0) return;
    memcpy(saved, s->err, sizeof saved);   /* the copy's failure is what the caller reports */
    if (crioimg__st_lock(s, 1) == CRIOIMG_OK) {
        (void)crioimg__gc_sweep(s, digests, NULL, n, NULL, NULL);
        crioimg__st_unlock(s);
    }
    memcpy(s->err, saved, sizeof saved);
}

crioimg_result crioimg_store_gc(crioimg_store *s, crioimg_store_gc_result *out)
{
    crioimg__gc_blobs b;
    crioimg_store_gc_result res;
    crioimg_result r;
    if (out) memset(out, 0, sizeof *out);
    if (s == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    memset(&res, 0, sizeof res);
    r = crioimg__st_lock(s, 1);
    if (r != CRIOIMG_OK) return r;
    r = crioimg__gc_list(s, &b);
    if (r == CRIOIMG_OK) r = crioimg__gc_sweep(s, b.d, b.size, b.n, &res.blobs, &res.blob_bytes);
    if (r == CRIOIMG_OK && s->vt.version >= 4 && s->vt.clean) r = s->vt.clean(s->vt.user, &res.files, &res.file_bytes);
    crioimg__gc_blobs_free(&b);
    crioimg__st_unlock(s);
    if (out) *out = res;
    return r;
}

/* ---- verification ---- */

static crioimg_result crioimg__vf_add(crioimg_store *s, crioimg_store_verify_result *out, size_t *cap, const char *kind,
                                      const char *subject, const char *a, const char *b, const char *c)
{
    char text[512];
    crioimg__out o;
    size_t l;
    crioimg_store_problem *p;
    char *sub, *det;
    if (out->nproblems == *cap) {
        size_t nc = *cap ? *cap * 2 : 16;
        crioimg_store_problem *np = (crioimg_store_problem *)crioimg__arena_alloc(&out->arena, &s->alloc, nc * sizeof *np);
        if (np == NULL) return CRIOIMG_ERR_NOMEM;
        if (out->nproblems) memcpy(np, out->problems, out->nproblems * sizeof *np);
        out->problems = np;
        *cap = nc;
    }
    o.p = text; o.cap = sizeof text; o.len = 0; text[0] = '\0';
    if (a) crioimg__out_str(&o, a);
    if (b) crioimg__out_str(&o, b);
    if (c) crioimg__out_str(&o, c);
    l = strlen(subject) + 1;
    sub = (char *)crioimg__arena_alloc(&out->arena, &s->alloc, l + strlen(text) + 1);
    if (sub == NULL) return CRIOIMG_ERR_NOMEM;
    memcpy(sub, subject, l);
    det = sub + l;
    memcpy(det, text, strlen(text) + 1);
    p = &out->problems[out->nproblems++];
    p->kind = kind; p->subject = sub; p->detail = det;
    return CRIOIMG_OK;
}

/* Reads blob d whole through a stream and judges it against its name. */
static crioimg_result crioimg__vf_blob(crioimg_store *s, const char *d, unsigned char *buf, size_t cap)
{
    crioimg_blob_reader *rd;
    size_t n = 1;
    crioimg_result r = crioimg__st_open_reader(s, d, -1, &rd);
    if (r != CRIOIMG_OK) return r;
    while (r == CRIOIMG_OK && n > 0) r = crioimg_blob_reader_read(rd, buf, cap, &n);
    crioimg_blob_reader_close(rd);
    return r;
}

crioimg_result crioimg_store_verify(crioimg_store *s, crioimg_store_verify_result *out)
{
    crioimg__gc_blobs b;
    crioimg__st_view v;
    unsigned char *buf = NULL;
    const char **first = NULL;    /* per manifest: its first entry's name */
    const char **bad = NULL;      /* the blobs whose content is not their name's: the images using them are broken too */
    size_t i, k, cap = 0, nbad = 0;
    crioimg_result r;
    if (out) memset(out, 0, sizeof *out);
    if (s == NULL || out == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    out->alloc = s->alloc;
    memset(&v, 0, sizeof v);
    r = crioimg__st_lock(s, 0);
    if (r != CRIOIMG_OK) return r;
    r = crioimg__gc_list(s, &b);
    if (r == CRIOIMG_OK && (buf = (unsigned char *)crioimg_malloc(&s->alloc, CRIOIMG__ST_COPY_CHUNK)) == NULL) r = CRIOIMG_ERR_NOMEM;
    if (r == CRIOIMG_OK && (bad = (const char **)crioimg_malloc(&s->alloc, (b.n + 1) * sizeof *bad)) == NULL) r = CRIOIMG_ERR_NOMEM;
    /* every blob against its name */
    for (i = 0; r == CRIOIMG_OK && i < b.n; i++) {
        crioimg_result br = crioimg__vf_blob(s, b.d[i], buf, CRIOIMG__ST_COPY_CHUNK);
        out->blobs++;
        if (br == CRIOIMG_ERR_NOMEM) r = br;
        else if (br != CRIOIMG_OK) {
            bad[nbad++] = b.d[i];
            r = crioimg__vf_add(s, out, &cap, "blob", b.d[i], br == CRIOIMG_ERR_DIGEST_MISMATCH ?
                                "its content does not match its digest" : s->err[0] ? s->err : crioimg_result_str(br), NULL, NULL);
        }
    }
    if (nbad > 1) qsort(bad, nbad, sizeof *bad, crioimg__st_cmpstr);
    /* every entry's manifest, and what it references */
    if (r == CRIOIMG_OK) r = crioimg__gc_view(s, &v);
    if (r == CRIOIMG_OK && (first = (const char **)crioimg_malloc(&s->alloc, (v.nmf + 1) * sizeof *first)) == NULL) r = CRIOIMG_ERR_NOMEM;
    if (r == CRIOIMG_OK) {
        for (i = 0; i < v.nmf; i++) first[i] = NULL;
        for (i = v.n; i-- > 0;) if (v.names[i]) first[v.mf[i]] = v.names[i];   /* backwards: the first wins */
    }
    for (i = 0; r == CRIOIMG_OK && i < v.nmf; i++) {
        const crioimg__st_mf *m = &v.mfs[i];
        const char *who = first[i] ? first[i] : m->digest;
        out->images++;
        if (m->r != CRIOIMG_OK) {
            r = crioimg__vf_add(s, out, &cap, "image", who, "manifest ", m->digest,
                                m->r == CRIOIMG_ERR_NOT_FOUND ? ": not in the store" : m->r == CRIOIMG_ERR_DIGEST_MISMATCH ?
                                ": its content does not match its digest" : ": not a valid manifest");
            continue;
        }
        for (k = 1; r == CRIOIMG_OK && k < m->nblobs; k++) {
            long long sz = -1;
            crioimg_result sr = crioimg__st_vstat(s, &v, m->blobs[k], &sz);
            char num[64];
            crioimg__out o;
            if (sr == CRIOIMG_OK && nbad && bsearch(&m->blobs[k], bad, nbad, sizeof *bad, crioimg__st_cmpstr)) {
                r = crioimg__vf_add(s, out, &cap, "image", who, "blob ", m->blobs[k], ": its content does not match its digest");
                continue;
            }
            if (sr == CRIOIMG_OK && (m->decl == NULL || sz == m->decl[k])) continue;
            o.p = num; o.cap = sizeof num; o.len = 0; num[0] = '\0';
            if (sr == CRIOIMG_OK) {
                crioimg__out_str(&o, ": ");
                crioimg__out_uint(&o, (unsigned long long)sz);
                crioimg__out_str(&o, " bytes, the manifest says ");
                crioimg__out_uint(&o, (unsigned long long)m->decl[k]);
            }
            r = crioimg__vf_add(s, out, &cap, "image", who, "blob ", m->blobs[k], sr == CRIOIMG_OK ? num : ": not in the store");
        }
        s->err[0] = '\0';
    }
    crioimg_free(&s->alloc, (void *)first);
    crioimg_free(&s->alloc, (void *)bad);
    crioimg_free(&s->alloc, buf);
    crioimg__st_view_free(s, &v);
    crioimg__gc_blobs_free(&b);
    crioimg__st_unlock(s);
    if (r != CRIOIMG_OK) crioimg_store_verify_result_free(out);
    return r;
}

void crioimg_store_verify_result_free(crioimg_store_verify_result *r)
{
    crioimg_allocator a;
    if (r == NULL) return;
    a = r->alloc;
    crioimg__arena_free(&r->arena, &a);
    memset(r, 0, sizeof *r);
}
