/* ---------------------------------------------------------------------------------------------------
   store implementation: the generic layer (images from index + blobs) and index.json as the OCI layout
   reads and writes it. The built-in backends are parts of their own: store_memory.c (in-memory) and
   store_oci.c (the OCI image-layout directory); both come after this part and use its helpers.
   --------------------------------------------------------------------------------------------------- */
#include "store_internal.h"

CRIOIMG__ST_SHARED crioimg_result crioimg__st_fail3(char *err, crioimg_result r, const char *a, const char *b, const char *c)
{
    crioimg__out o;
    o.p = err; o.cap = 512; o.len = 0;
    err[0] = '\0';
    if (a) crioimg__out_str(&o, a);
    if (b) crioimg__out_str(&o, b);
    if (c) crioimg__out_str(&o, c);
    return r;
}

CRIOIMG__ST_SHARED crioimg_result crioimg__st_fail(crioimg_store *s, crioimg_result r, const char *a, const char *b, const char *c)
{
    return crioimg__st_fail3(s->err, r, a, b, c);
}

const char *crioimg_store_error(const crioimg_store *s)
{
    return s ? s->err : "";
}

/* A constructor's failure: its text into opts->err when the caller gave a buffer ("Errors" in store.h).
   a may be NULL: then the result's description. */
CRIOIMG__ST_SHARED crioimg_result crioimg__st_ctor_fail3(const crioimg_store_opts *opts, crioimg_result r, const char *a, const char *b, const char *c)
{
    crioimg__out o;
    if (opts == NULL || opts->err == NULL || opts->errcap == 0) return r;
    o.p = opts->err; o.cap = opts->errcap; o.len = 0;
    opts->err[0] = '\0';
    crioimg__out_str(&o, a ? a : crioimg_result_str(r));
    if (b) crioimg__out_str(&o, b);
    if (c) crioimg__out_str(&o, c);
    return r;
}

/* Texts several functions give, named once. A string literal two functions share is placed among the
   strings of whichever the compiler emits first, so a program that links only the other carries all of
   those too (issue 13: a listing carried the streaming reader's texts, and archive.c's); a named array is
   a section of its own. */
static const char crioimg__st_t_digest[] = "invalid blob digest \"";
static const char crioimg__st_t_absent[] = ": not in the store";
static const char crioimg__st_t_noget[] = "store has no blob_get method";
static const char crioimg__st_t_notobj[] = "not an object";

/* A digest the store may use in a path: grammatical, a known algorithm, and lowercase hex of its length. */
CRIOIMG__ST_SHARED int crioimg__st_digest_ok(const char *d)
{
    crioimg_digest dg;
    return d != NULL && crioimg_digest_parse(&dg, d, strlen(d)) == CRIOIMG_OK && dg.alg != CRIOIMG_DIGEST_UNKNOWN;
}

static size_t crioimg__st_slen(const char *s) { return s ? strlen(s) + 1 : 1; }
static char *crioimg__st_scopy(char **p, const char *s)
{
    char *d = *p;
    size_t l = crioimg__st_slen(s);
    if (s) memcpy(d, s, l); else d[0] = '\0';
    *p += l;
    return d;
}

/* Fills b, sized for them: n entries, then their strings. */
static void crioimg__st_pack_into(crioimg_store_entry *b, const crioimg_store_entry *entries, size_t n)
{
    char *p = (char *)(b + n);
    size_t i;
    for (i = 0; i < n; i++) {
        b[i].name = crioimg__st_scopy(&p, entries[i].name);
        b[i].media_type = crioimg__st_scopy(&p, entries[i].media_type);
        b[i].digest = crioimg__st_scopy(&p, entries[i].digest);
        b[i].size = entries[i].size;
    }
}

/* One block, as read_index hands it over: the array first (so freeing the array frees it all), then
   the strings; sizes summed with overflow checks, since a host's n is not bounded by us. */
crioimg_result crioimg_store_entries_pack(const crioimg_store_entry *entries, size_t n, const crioimg_allocator *alloc,
                                          crioimg_store_entry **out)
{
    size_t i, total;
    crioimg_store_entry *b;
    if (out == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    *out = NULL;
    if (entries == NULL && n > 0) return CRIOIMG_ERR_INVALID_ARGS;
    if (n > ((size_t)-1 - 1) / sizeof *entries) return CRIOIMG_ERR_NOMEM;
    total = n * sizeof *entries + 1;
    for (i = 0; i < n; i++) {
        size_t l = crioimg__st_slen(entries[i].name), m = crioimg__st_slen(entries[i].media_type),
               d = crioimg__st_slen(entries[i].digest);
        if (l > (size_t)-1 - total || m > (size_t)-1 - total - l || d > (size_t)-1 - total - l - m) return CRIOIMG_ERR_NOMEM;
        total += l + m + d;
    }
    b = (crioimg_store_entry *)crioimg_malloc(alloc, total);
    if (b == NULL) return CRIOIMG_ERR_NOMEM;
    crioimg__st_pack_into(b, entries, n);
    *out = b;
    return CRIOIMG_OK;
}

/* The handle around a vtable already checked: crioimg_store_open checks a host's; the built-in stores
   pass their own, and so do not link those checks' texts. */
CRIOIMG__ST_SHARED crioimg_result crioimg__st_new(crioimg_store **out, const crioimg_store_vtable *vt, const crioimg_store_opts *opts)
{
    crioimg_store *s;
    const crioimg_allocator *a = opts ? &opts->alloc : NULL;
    s = (crioimg_store *)crioimg_malloc(a, sizeof *s);
    if (s == NULL) return crioimg__st_ctor_fail(opts, CRIOIMG_ERR_NOMEM, NULL, NULL);
    memset(s, 0, sizeof *s);
    /* copied (the host's struct may go away), and only as far as its version reaches: a host built
       against an older header has a shorter struct */
    memcpy(&s->vt, vt, vt->version >= 5 ? sizeof *vt : vt->version == 4 ? offsetof(crioimg_store_vtable, blob_pread) :
                       vt->version == 3 ? offsetof(crioimg_store_vtable, blob_list) :
                       vt->version == 2 ? offsetof(crioimg_store_vtable, blob_sync) : offsetof(crioimg_store_vtable, blob_open));
    if (a) s->alloc = *a;
    s->read_only = opts ? opts->read_only : 0;
    s->cancel = opts ? opts->cancel : NULL;
    *out = s;
    return CRIOIMG_OK;
}

/* Every constructor's first steps: the caller's error buffer emptied, out checked and set to NULL, the
   allocator checked. One function, so each text is one literal: a literal several functions share sits
   among the strings of whichever the compiler emits first, and a program linking another carries them. */
CRIOIMG__ST_SHARED crioimg_result crioimg__st_ctor_check(crioimg_store **out, const crioimg_store_opts *opts)
{
    if (opts && opts->err && opts->errcap) opts->err[0] = '\0';
    if (out == NULL) return crioimg__st_ctor_fail(opts, CRIOIMG_ERR_INVALID_ARGS, "no place for the store handle (out is NULL)", NULL);
    *out = NULL;
    if (crioimg_allocator_check(opts ? &opts->alloc : NULL) != CRIOIMG_OK)
        return crioimg__st_ctor_fail(opts, CRIOIMG_ERR_INVALID_ARGS, "allocator: set all of malloc, realloc and free, or none", NULL);
    return CRIOIMG_OK;
}

crioimg_result crioimg_store_open(crioimg_store **out, const crioimg_store_vtable *vt, const crioimg_store_opts *opts)
{
    crioimg_result r;
    if (out != NULL && (vt == NULL || vt->version == 0 || vt->version > CRIOIMG_STORE_VTABLE_VERSION)) {   /* before the allocator */
        *out = NULL;
        return crioimg__st_ctor_fail(opts, CRIOIMG_ERR_INVALID_ARGS, vt ? "store vtable version outside 1..CRIOIMG_STORE_VTABLE_VERSION" : "no store vtable", NULL);
    }
    if ((r = crioimg__st_ctor_check(out, opts)) != CRIOIMG_OK) return r;
    return crioimg__st_new(out, vt, opts);
}

void crioimg_store_close(crioimg_store *s)
{
    crioimg_allocator a;
    if (s == NULL) return;
    if (s->vt.close) s->vt.close(s->vt.user);
    a = s->alloc;
    crioimg_free(&a, s);
}

/* ---- calls through the vtable: a missing method is a clear ERR_UNSUPPORTED ---- */


CRIOIMG__ST_SHARED crioimg_result crioimg__st_lock(crioimg_store *s, int exclusive)
{
    crioimg_result r;
    s->err[0] = '\0';
    if (exclusive && s->read_only) return crioimg__st_fail(s, CRIOIMG_ERR_STORE_READ_ONLY, "store opened read-only", NULL, NULL);
    CRIOIMG__ST_NEED(s, lock);
    CRIOIMG__ST_NEED(s, unlock);
    r = s->vt.lock(s->vt.user, exclusive);
    if (r != CRIOIMG_OK && s->err[0] == '\0') crioimg__st_fail(s, r, "cannot lock the store", NULL, NULL);
    return r;
}

CRIOIMG__ST_SHARED void crioimg__st_unlock(crioimg_store *s)
{
    s->vt.unlock(s->vt.user);
}

CRIOIMG__ST_SHARED crioimg_result crioimg__st_read_index(crioimg_store *s, crioimg_store_entry **e, size_t *n)
{
    CRIOIMG__ST_NEED(s, read_index);
    *e = NULL; *n = 0;
    return s->vt.read_index(s->vt.user, &s->alloc, e, n);
}

/* Asked by every path that writes blobs and then records an image (pull, copy, archive load) before its
   first blob: a store whose index cannot be read would take the blobs and then refuse the record, and
   what it took could not go again (taking back, like gc, needs the index). The store's own words. */
CRIOIMG__LIB crioimg_result crioimg__store_index_ok(crioimg_store *s)
{
    crioimg_store_entry *e = NULL;
    size_t n = 0;
    crioimg_result r = crioimg__st_lock(s, 0);
    if (r != CRIOIMG_OK) return r;
    r = crioimg__st_read_index(s, &e, &n);
    crioimg__st_unlock(s);
    crioimg_free(&s->alloc, e);
    return r;
}

CRIOIMG__ST_SHARED crioimg_result crioimg__st_blob_stat(crioimg_store *s, const char *d, long long *size)
{
    CRIOIMG__ST_NEED(s, blob_stat);
    return s->vt.blob_stat(s->vt.user, d, size);
}

/* A blob, read and verified, under a lock the caller holds. */
static crioimg_result crioimg__st_get(crioimg_store *s, const char *d, size_t max, void **data, size_t *len)
{
    crioimg_digest dg;
    crioimg_result r;
    *data = NULL; *len = 0;
    CRIOIMG__ST_NEED(s, blob_get);
    if (crioimg_digest_parse(&dg, d, strlen(d)) != CRIOIMG_OK || dg.alg == CRIOIMG_DIGEST_UNKNOWN)
        return crioimg__st_fail(s, CRIOIMG_ERR_DIGEST_FORMAT, crioimg__st_t_digest, d, "\"");
    r = s->vt.blob_get(s->vt.user, d, max ? max : CRIOIMG_MANIFEST_MAX_SIZE, &s->alloc, data, len);
    if (r != CRIOIMG_OK) {
        if (s->err[0] == '\0') crioimg__st_fail(s, r, "blob ", d, r == CRIOIMG_ERR_NOT_FOUND ? crioimg__st_t_absent : "");
        return r;
    }
    if (!s->hash_ready[dg.alg]) { crioimg_hasher_init(&s->hash[dg.alg], dg.alg); s->hash_ready[dg.alg] = 1; }
    else crioimg_hasher_reset(&s->hash[dg.alg]);
    crioimg_hasher_update(&s->hash[dg.alg], *data, *len);
    r = crioimg_hasher_verify(&s->hash[dg.alg], &dg);
    if (r != CRIOIMG_OK) {
        crioimg_free(&s->alloc, *data);
        *data = NULL; *len = 0;
        return crioimg__st_fail(s, r, "blob ", d, ": its content does not match its digest");
    }
    return CRIOIMG_OK;
}

crioimg_result crioimg_store_get_blob(crioimg_store *s, const char *digest, size_t max, void **data, size_t *len)
{
    crioimg_result r;
    if (s == NULL || data == NULL || len == NULL || digest == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    *data = NULL; *len = 0;
    r = crioimg__st_lock(s, 0);
    if (r != CRIOIMG_OK) return r;
    r = crioimg__st_get(s, digest, max, data, len);
    crioimg__st_unlock(s);
    return r;
}

crioimg_result crioimg_store_put_blob(crioimg_store *s, const char *digest, const void *data, size_t len)
{
    crioimg_digest dg;
    crioimg_result r;
    if (s == NULL || digest == NULL || (data == NULL && len > 0)) return CRIOIMG_ERR_INVALID_ARGS;
    s->err[0] = '\0';
    r = crioimg_digest_parse(&dg, digest, strlen(digest));
    if (r != CRIOIMG_OK) return crioimg__st_fail(s, r, crioimg__st_t_digest, digest, "\"");
    r = crioimg_digest_verify(&dg, data, len);   /* before anything touches the store */
    if (r != CRIOIMG_OK) return crioimg__st_fail(s, r, "blob ", digest, ": content does not match the digest");
    CRIOIMG__ST_MORE(s);
    r = crioimg__st_lock(s, 1);
    if (r != CRIOIMG_OK) return r;
    if (s->vt.blob_put == NULL) r = crioimg__st_fail(s, CRIOIMG_ERR_UNSUPPORTED, "store has no blob_put method", NULL, NULL);
    else r = s->vt.blob_put(s->vt.user, digest, data, len);
    crioimg__st_unlock(s);
    return r;
}

void crioimg_store_free_blob(crioimg_store *s, void *data)
{
    if (s) crioimg_free(&s->alloc, data);
}

/* Whether the store has blob digest, and its size: what a pull asks before fetching one. */
crioimg_result crioimg_store_blob_stat(crioimg_store *s, const char *digest, long long *size)
{
    crioimg_digest dg;
    crioimg_result r;
    long long sz = -1;
    if (size) *size = -1;
    if (s == NULL || digest == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    s->err[0] = '\0';
    r = crioimg_digest_parse(&dg, digest, strlen(digest));   /* a path is built from it */
    if (r != CRIOIMG_OK) return crioimg__st_fail(s, r, crioimg__st_t_digest, digest, "\"");
    if ((r = crioimg__st_lock(s, 0)) != CRIOIMG_OK) return r;
    r = crioimg__st_blob_stat(s, digest, &sz);
    crioimg__st_unlock(s);
    if (r == CRIOIMG_OK && size) *size = sz;
    return r;
}

/* ---- streaming blob writes ---- */

struct crioimg_blob_writer {
    crioimg_store *s;
    crioimg_hasher h;
    char digest[CRIOIMG_DIGEST_STRING_MAX + 1];
    long long size, got;     /* size -1: unknown */
    void *handle;            /* the store's, when it streams */
    unsigned char *buf;      /* else the bytes so far */
    size_t cap;
    crioimg_result failed;
    int verified_by_caller;  /* crioimg__blob_writer_trust: the caller verifies the digest itself */
    char err[512];           /* a failure the writer found itself (too many bytes): crioimg__st_fail3 */
};

/* For a caller that commits only bytes it has verified against the digest itself, in the same stream
   (a pull: the registry client hashes every blob it delivers, and a blob that does not match is never
   committed): the writer then counts but does not hash, so each byte is hashed once. */
CRIOIMG__LIB void crioimg__blob_writer_trust(crioimg_blob_writer *w)
{
    if (w) w->verified_by_caller = 1;
}

static void crioimg__bw_free(crioimg_blob_writer *w, int abort_handle)
{
    crioimg_store *s = w->s;
    if (abort_handle && w->handle) s->vt.blob_abort(s->vt.user, w->handle);
    crioimg_free(&s->alloc, w->buf);
    crioimg_free(&s->alloc, w);
}

crioimg_result crioimg_store_blob_begin(crioimg_store *s, const char *digest, long long size, crioimg_blob_writer **out)
{
    crioimg_digest dg;
    crioimg_blob_writer *w;
    crioimg_result r;
    size_t dl;
    if (out) *out = NULL;
    if (s == NULL || digest == NULL || out == NULL || size < -1) return CRIOIMG_ERR_INVALID_ARGS;
    s->err[0] = '\0';
    if (s->read_only) return crioimg__st_fail(s, CRIOIMG_ERR_STORE_READ_ONLY, "store opened read-only", NULL, NULL);
    dl = strlen(digest);
    r = crioimg_digest_parse(&dg, digest, dl);
    if (r != CRIOIMG_OK) return crioimg__st_fail(s, r, crioimg__st_t_digest, digest, "\"");
    if (dg.alg == CRIOIMG_DIGEST_UNKNOWN) return crioimg__st_fail(s, CRIOIMG_ERR_DIGEST_UNSUPPORTED, "blob ", digest, ": unsupported digest algorithm");
    CRIOIMG__ST_MORE(s);
    if (s->vt.blob_put == NULL && s->vt.blob_begin == NULL)
        return crioimg__st_fail(s, CRIOIMG_ERR_UNSUPPORTED, "store has no blob_put method", NULL, NULL);
    w = (crioimg_blob_writer *)crioimg_malloc(&s->alloc, sizeof *w);
    if (w == NULL) return CRIOIMG_ERR_NOMEM;
    memset(w, 0, sizeof *w);
    w->s = s; w->size = size;
    memcpy(w->digest, digest, dl + 1);
    crioimg_hasher_init(&w->h, dg.alg);
    if (s->vt.blob_begin && s->vt.blob_write && s->vt.blob_commit && s->vt.blob_abort) {
        r = s->vt.blob_begin(s->vt.user, &w->handle);
        if (r != CRIOIMG_OK) { crioimg_free(&s->alloc, w); return r; }
    }
    *out = w;
    return CRIOIMG_OK;
}

/* A writer whose bytes go to a store handle that keeps its own failures (blob_error): its writes touch
   nothing shared, so a pull's workers make them for different blobs at once, outside their lock. */
CRIOIMG__LIB int crioimg__blob_writer_concurrent(const crioimg_blob_writer *w)
{
    return w->handle != NULL && w->s->vt.blob_error != NULL;
}

/* The detail of w's failure: its own, else its handle's, else the store's. */
CRIOIMG__LIB const char *crioimg__blob_writer_error(const crioimg_blob_writer *w)
{
    const char *e;
    if (w->err[0]) return w->err;
    if (w->handle && w->s->vt.blob_error && (e = w->s->vt.blob_error(w->s->vt.user, w->handle)) != NULL && *e) return e;
    return w->s->err;
}

/* crioimg_blob_writer_write without the store's error text: touches only w, and through the store, its
   handle (for a concurrent writer; see crioimg__blob_writer_concurrent). */
CRIOIMG__LIB crioimg_result crioimg__blob_writer_put(crioimg_blob_writer *w, const void *data, size_t len)
{
    crioimg_store *s = w->s;
    if (w->failed) return w->failed;
    if (w->size >= 0 && (unsigned long long)len > (unsigned long long)(w->size - w->got)) {
        crioimg__st_fail3(w->err, CRIOIMG_ERR_SIZE_MISMATCH, "blob ", w->digest, ": more bytes than its size");
        return w->failed = CRIOIMG_ERR_SIZE_MISMATCH;
    }
    if (!w->verified_by_caller) crioimg_hasher_update(&w->h, data, len);
    w->got += (long long)len;
    if (w->handle) {
        crioimg_result r = s->vt.blob_write(s->vt.user, w->handle, data, len);
        if (r != CRIOIMG_OK) return w->failed = r;
    } else if (len) {
        size_t have = (size_t)w->got - len;
        if (have + len > w->cap) {
            size_t nc = w->cap ? w->cap : 65536;
            unsigned char *nb;
            while (nc < have + len) nc *= 2;
            nb = (unsigned char *)crioimg_realloc(&s->alloc, w->buf, nc);
            if (nb == NULL) return w->failed = CRIOIMG_ERR_NOMEM;
            w->buf = nb; w->cap = nc;
        }
        memcpy(w->buf + have, data, len);
    }
    return CRIOIMG_OK;
}

/* Reading back what w was written (the store's blob_pread), on another thread than its writes: a pull's
   worker with nothing left to fetch hashes a blob from the store while the blob's own worker receives
   it. Only for a store whose handles are its own (crioimg__blob_writer_concurrent). */
CRIOIMG__LIB int crioimg__blob_writer_can_pread(const crioimg_blob_writer *w)
{
    return crioimg__blob_writer_concurrent(w) && w->s->vt.blob_pread != NULL;
}

CRIOIMG__LIB crioimg_result crioimg__blob_writer_pread(crioimg_blob_writer *w, long long off, void *buf, size_t len)
{
    size_t n = 0;
    crioimg_result r = w->s->vt.blob_pread(w->s->vt.user, w->handle, off, buf, len, &n);
    return r == CRIOIMG_OK && n != len ? CRIOIMG_ERR_IO : r;
}

crioimg_result crioimg_blob_writer_write(crioimg_blob_writer *w, const void *data, size_t len)
{
    crioimg_result r;
    const char *e;
    if (w == NULL || (data == NULL && len)) return CRIOIMG_ERR_INVALID_ARGS;
    if ((r = crioimg__blob_writer_put(w, data, len)) != CRIOIMG_OK && (e = crioimg__blob_writer_error(w)) != w->s->err)
        crioimg__st_fail(w->s, r, e, NULL, NULL);
    return r;
}

crioimg_result crioimg_blob_writer_commit(crioimg_blob_writer *w)
{
    crioimg_store *s;
    crioimg_digest dg;
    crioimg_result r;
    if (w == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    s = w->s;
    r = w->failed;
    if (r == CRIOIMG_OK && w->size >= 0 && w->got != w->size) {
        r = crioimg__st_fail(s, CRIOIMG_ERR_SIZE_MISMATCH, "blob ", w->digest, ": fewer bytes than its size");
    }
    if (r == CRIOIMG_OK && !w->verified_by_caller) {
        crioimg_digest_parse(&dg, w->digest, strlen(w->digest));
        r = crioimg_hasher_verify(&w->h, &dg);
        if (r != CRIOIMG_OK) crioimg__st_fail(s, r, "blob ", w->digest, ": content does not match the digest");
    }
    if (r != CRIOIMG_OK) { crioimg__bw_free(w, 1); return r; }
    r = crioimg__st_lock(s, 1);
    if (r != CRIOIMG_OK) { crioimg__bw_free(w, 1); return r; }
    if (w->handle) { r = s->vt.blob_commit(s->vt.user, w->handle, w->digest); w->handle = NULL; }
    else r = s->vt.blob_put(s->vt.user, w->digest, w->buf, (size_t)w->got);
    crioimg__st_unlock(s);
    crioimg__bw_free(w, 0);
    return r;
}

crioimg_result crioimg_blob_writer_sync(crioimg_blob_writer *w)
{
    if (w == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    if (w->failed) return w->failed;
    if (w->handle && w->s->vt.blob_sync) return w->s->vt.blob_sync(w->s->vt.user, w->handle);
    return CRIOIMG_OK;   /* nothing to do early: commit makes it durable */
}

void crioimg_blob_writer_abort(crioimg_blob_writer *w)
{
    if (w) crioimg__bw_free(w, 1);
}

/* ---- streaming blob reads ---- */

struct crioimg_blob_reader {
    crioimg_store *s;
    crioimg_hasher h;
    char digest[CRIOIMG_DIGEST_STRING_MAX + 1];
    long long size;          /* the store's word, -1 when none */
    void *handle;            /* the store's, when it streams */
    unsigned char *buf;      /* else the whole blob */
    size_t len, off;
    crioimg_result failed;
    int done;                /* the end was reached and judged OK */
};

static int crioimg__st_streams(const crioimg_store *s)
{
    return s->vt.version >= 2 && s->vt.blob_open && s->vt.blob_read && s->vt.blob_close;
}

/* limit: the most bytes the caller will take (a descriptor's size), -1 for any: a store that cannot
   stream is then asked for at most that many, so no blob bigger than its descriptor is ever held. */
CRIOIMG__ST_SHARED crioimg_result crioimg__st_open_reader(crioimg_store *s, const char *digest, long long limit, crioimg_blob_reader **out)
{
    crioimg_digest dg;
    crioimg_blob_reader *w;
    crioimg_result r;
    size_t dl;
    if (out) *out = NULL;
    if (s == NULL || digest == NULL || out == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    s->err[0] = '\0';
    dl = strlen(digest);
    r = crioimg_digest_parse(&dg, digest, dl);
    if (r != CRIOIMG_OK) return crioimg__st_fail(s, r, crioimg__st_t_digest, digest, "\"");
    if (dg.alg == CRIOIMG_DIGEST_UNKNOWN) return crioimg__st_fail(s, CRIOIMG_ERR_DIGEST_UNSUPPORTED, "blob ", digest, ": unsupported digest algorithm");
    CRIOIMG__ST_MORE(s);
    if (!crioimg__st_streams(s) && s->vt.blob_get == NULL) return crioimg__st_fail(s, CRIOIMG_ERR_UNSUPPORTED, crioimg__st_t_noget, NULL, NULL);
    w = (crioimg_blob_reader *)crioimg_malloc(&s->alloc, sizeof *w);
    if (w == NULL) return CRIOIMG_ERR_NOMEM;
    memset(w, 0, sizeof *w);
    w->s = s; w->size = -1;
    memcpy(w->digest, digest, dl + 1);
    crioimg_hasher_init(&w->h, dg.alg);
    r = crioimg__st_lock(s, 0);
    if (r == CRIOIMG_OK) {
        if (crioimg__st_streams(s)) r = s->vt.blob_open(s->vt.user, digest, &w->handle, &w->size);
        else {
            /* a store that cannot stream: the blob whole, its size first so that no cap refuses it */
            long long sz = -1;
            size_t max = (size_t)-1 / 2;
            void *data = NULL;
            if (s->vt.blob_stat && s->vt.blob_stat(s->vt.user, digest, &sz) == CRIOIMG_OK && sz >= 0 && (unsigned long long)sz < max) max = (size_t)sz;
            if (limit >= 0 && (unsigned long long)limit < (unsigned long long)max) max = (size_t)limit;
            s->err[0] = '\0';
            r = s->vt.blob_get(s->vt.user, digest, max, &s->alloc, &data, &w->len);
            if (r == CRIOIMG_ERR_TOO_BIG && limit >= 0)
                r = crioimg__st_fail(s, CRIOIMG_ERR_SIZE_MISMATCH, "blob ", digest, ": more bytes than its size");
            w->buf = (unsigned char *)data;
            w->size = (long long)w->len;
        }
        crioimg__st_unlock(s);
    }
    if (r != CRIOIMG_OK) {
        if (s->err[0] == '\0') crioimg__st_fail(s, r, "blob ", digest, r == CRIOIMG_ERR_NOT_FOUND ? crioimg__st_t_absent : ": cannot be opened");
        crioimg_free(&s->alloc, w->buf);
        crioimg_free(&s->alloc, w);
        return r;
    }
    *out = w;
    return CRIOIMG_OK;
}

crioimg_result crioimg_blob_reader_read(crioimg_blob_reader *w, void *buf, size_t cap, size_t *n)
{
    crioimg_store *s;
    crioimg_digest dg;
    crioimg_result r;
    if (n) *n = 0;
    if (w == NULL || n == NULL || buf == NULL || cap == 0) return CRIOIMG_ERR_INVALID_ARGS;   /* *n 0 means the end */
    s = w->s;
    if (w->failed) return w->failed;
    if (w->done) return CRIOIMG_OK;
    if (w->handle) {
        r = s->vt.blob_read(s->vt.user, w->handle, buf, cap, n);
        if (r == CRIOIMG_OK && *n > cap) r = crioimg__st_fail(s, CRIOIMG_ERR_IO, "blob ", w->digest, ": the store read past the buffer");
        if (r != CRIOIMG_OK) {
            *n = 0;
            if (s->err[0] == '\0') crioimg__st_fail(s, r, "blob ", w->digest, ": read failed");
            return w->failed = r;
        }
    } else {
        *n = w->len - w->off < cap ? w->len - w->off : cap;
        memcpy(buf, w->buf + w->off, *n);
        w->off += *n;
    }
    if (*n > 0) { crioimg_hasher_update(&w->h, buf, *n); return CRIOIMG_OK; }
    /* the end: now the bytes are judged */
    crioimg_digest_parse(&dg, w->digest, strlen(w->digest));
    r = crioimg_hasher_verify(&w->h, &dg);
    if (r != CRIOIMG_OK) {
        crioimg__st_fail(s, r, "blob ", w->digest, ": its content does not match its digest");
        return w->failed = r;
    }
    w->done = 1;
    return CRIOIMG_OK;
}

crioimg_result crioimg_store_blob_open(crioimg_store *s, const char *digest, crioimg_blob_reader **out)
{
    return crioimg__st_open_reader(s, digest, -1, out);
}

long long crioimg_blob_reader_size(const crioimg_blob_reader *w)
{
    return w ? w->size : -1;
}

void crioimg_blob_reader_close(crioimg_blob_reader *w)
{
    crioimg_store *s;
    if (w == NULL) return;
    s = w->s;
    if (w->handle) s->vt.blob_close(s->vt.user, w->handle);
    crioimg_free(&s->alloc, w->buf);
    crioimg_free(&s->alloc, w);
}

/* ---- copying between stores: every byte bounded by its descriptor, nothing held whole ---- */

/* "blob D: the source has N bytes, its descriptor says M" into dst's detail */
static crioimg_result crioimg__st_size_fail(crioimg_store *s, const char *d, long long have, long long want)
{
    crioimg__out o;
    o.p = s->err; o.cap = sizeof s->err; o.len = 0;
    s->err[0] = '\0';
    crioimg__out_str(&o, "blob ");
    crioimg__out_str(&o, d);
    crioimg__out_str(&o, ": the source has ");
    crioimg__out_uint(&o, (unsigned long long)have);
    crioimg__out_str(&o, " bytes, its descriptor says ");
    crioimg__out_uint(&o, (unsigned long long)want);
    return CRIOIMG_ERR_SIZE_MISMATCH;
}

/* The source's detail as dst's (when they are one store, it is there already) */
static crioimg_result crioimg__st_relay(crioimg_store *dst, crioimg_store *src, crioimg_result r)
{
    if (dst == src) return r;
    return crioimg__st_fail(dst, r, src->err[0] ? src->err : crioimg_result_str(r), NULL, NULL);
}


/* *wrote: set when the blob was not in dst before (a failed import takes back what it wrote) */
static crioimg_result crioimg__st_copy_blob(crioimg_store *dst, crioimg_store *src, const char *digest, long long size, int *wrote)
{
    crioimg_blob_reader *rd = NULL;
    crioimg_blob_writer *w = NULL;
    unsigned char *buf = NULL;
    crioimg_result r;
    long long have;
    size_t n = 0;
    if (dst == NULL || src == NULL || digest == NULL || size < -1) return CRIOIMG_ERR_INVALID_ARGS;
    dst->err[0] = '\0';
    if (!crioimg__st_digest_ok(digest)) return crioimg__st_fail(dst, CRIOIMG_ERR_DIGEST_FORMAT, crioimg__st_t_digest, digest, "\"");
    /* already there with that size: content-addressed, and every read verifies it anyway */
    if (crioimg__st_lock(dst, 0) == CRIOIMG_OK) {
        int there = dst->vt.blob_stat && dst->vt.blob_stat(dst->vt.user, digest, &have) == CRIOIMG_OK && (size < 0 || have == size);
        crioimg__st_unlock(dst);
        dst->err[0] = '\0';
        if (there) return CRIOIMG_OK;
    }
    r = crioimg__st_open_reader(src, digest, size, &rd);
    if (r != CRIOIMG_OK) return crioimg__st_relay(dst, src, r);
    /* the source's own word on the size settles a mismatch before a byte is read (a 3 GB file behind a
       143-byte descriptor costs nothing) */
    have = crioimg_blob_reader_size(rd);
    if (size >= 0 && have >= 0 && have != size) { crioimg_blob_reader_close(rd); return crioimg__st_size_fail(dst, digest, have, size); }
    buf = (unsigned char *)crioimg_malloc(&dst->alloc, CRIOIMG__ST_COPY_CHUNK);
    if (buf == NULL) { crioimg_blob_reader_close(rd); return CRIOIMG_ERR_NOMEM; }
    r = crioimg_store_blob_begin(dst, digest, size, &w);
    /* a source that grows while read is cut off by the writer at the first byte past size */
    while (r == CRIOIMG_OK) {
        if (crioimg_cancelled(dst->cancel)) { r = crioimg__st_fail(dst, CRIOIMG_ERR_CANCELLED, "cancelled", NULL, NULL); break; }
        r = crioimg_blob_reader_read(rd, buf, CRIOIMG__ST_COPY_CHUNK, &n);
        if (r != CRIOIMG_OK) { crioimg__st_relay(dst, src, r); break; }
        if (n == 0) break;   /* the end, and the reader found the digest right */
        r = crioimg_blob_writer_write(w, buf, n);
    }
    crioimg_blob_reader_close(rd);
    crioimg_free(&dst->alloc, buf);
    if (w == NULL) return r;
    if (r != CRIOIMG_OK) { crioimg_blob_writer_abort(w); return r; }
    r = crioimg_blob_writer_commit(w);   /* checks size and digest again: a short source ends here */
    if (r == CRIOIMG_OK && wrote) *wrote = 1;
    return r;
}

crioimg_result crioimg_store_copy_blob(crioimg_store *dst, crioimg_store *src, const char *digest, long long size)
{
    return crioimg__st_copy_blob(dst, src, digest, size, NULL);
}


/* A manifest of src, at most 4 MiB, verified, parsed (free both, also on failure); detail in dst. */
static crioimg_result crioimg__st_src_manifest(crioimg_store *dst, crioimg_store *src, const char *digest, void **data,
                                               size_t *len, crioimg_manifest *man)
{
    crioimg_manifest_opts mo;
    crioimg_result r;
    memset(man, 0, sizeof *man);
    memset(&mo, 0, sizeof mo);
    mo.alloc = dst->alloc;
    *data = NULL; *len = 0;
    r = crioimg_store_get_blob(src, digest, 0, data, len);
    if (r != CRIOIMG_OK) return crioimg__st_relay(dst, src, r);
    r = crioimg_manifest_parse(man, (const char *)*data, *len, NULL, &mo);
    if (r != CRIOIMG_OK) crioimg__st_fail(dst, r, "manifest ", digest, ": invalid");
    return r;
}

crioimg_result crioimg_store_copy_image(crioimg_store *dst, crioimg_store *src, const char *manifest_digest,
                                        const char *const *names, size_t nnames)
{
    return crioimg_store_copy_image_platform(dst, src, manifest_digest, NULL, names, nnames);
}

crioimg_result crioimg_store_copy_image_platform(crioimg_store *dst, crioimg_store *src, const char *manifest_digest,
                                                 const crioimg_platform *platform, const char *const *names, size_t nnames)
{
    void *data = NULL;
    size_t len = 0;
    crioimg_manifest man;
    crioimg_result r;
    if (dst == NULL || src == NULL || manifest_digest == NULL || (names == NULL && nnames)) return CRIOIMG_ERR_INVALID_ARGS;
    dst->err[0] = '\0';
    memset(&man, 0, sizeof man);
    if ((r = crioimg__store_index_ok(dst)) != CRIOIMG_OK) goto done;
    if ((r = crioimg__st_src_manifest(dst, src, manifest_digest, &data, &len, &man)) != CRIOIMG_OK) goto done;
    if (man.kind == CRIOIMG_MANIFEST_OCI_INDEX || man.kind == CRIOIMG_MANIFEST_DOCKER_LIST) {
        /* an index (skopeo copy --all): the image for the platform, chosen as a pull chooses it; that
           image's manifest is what the store records (an index of indexes is refused there) */
        size_t which = 0;
        char cerr[256], child[CRIOIMG_DIGEST_STRING_MAX + 1];
        r = crioimg_manifest_choose(&man, platform, &which, cerr, sizeof cerr);
        if (r != CRIOIMG_OK) {
            crioimg__out o;
            o.p = dst->err; o.cap = sizeof dst->err; o.len = 0;
            crioimg__out_str(&o, "index ");
            crioimg__out_str(&o, manifest_digest);
            crioimg__out_str(&o, ": ");
            crioimg__out_str(&o, cerr);
            goto done;
        }
        if (strlen(man.manifests[which].digest) >= sizeof child) { r = CRIOIMG_ERR_DIGEST_FORMAT; goto done; }
        strcpy(child, man.manifests[which].digest);
        crioimg_manifest_free(&man);
        memset(&man, 0, sizeof man);
        r = crioimg__st_copy_one(dst, src, child, names, nnames);
        goto done;
    }
    crioimg_manifest_free(&man);
    memset(&man, 0, sizeof man);
    r = crioimg__st_copy_one(dst, src, manifest_digest, names, nnames);
done:
    crioimg_manifest_free(&man);
    crioimg_free(&src->alloc, data);
    return r;
}

/* One image manifest with its config and layers. */
CRIOIMG__ST_SHARED crioimg_result crioimg__st_copy_one(crioimg_store *dst, crioimg_store *src, const char *manifest_digest,
                                           const char *const *names, size_t nnames)
{
    void *data = NULL;
    size_t len = 0, i, nw = 0;
    crioimg_manifest man;
    crioimg_result r;
    const char **wrote = NULL;   /* the blobs this copy put into dst: taken back when it fails */
    long long had;
    if ((r = crioimg__st_src_manifest(dst, src, manifest_digest, &data, &len, &man)) != CRIOIMG_OK) goto done;
    if (man.kind != CRIOIMG_MANIFEST_OCI && man.kind != CRIOIMG_MANIFEST_DOCKER_V2) {
        r = crioimg__st_fail(dst, CRIOIMG_ERR_MANIFEST_UNSUPPORTED, "manifest ", manifest_digest, ": not an image manifest");
        goto done;
    }
    /* config and layers before the manifest, the manifest before the entry: whatever a failure leaves
       is unreferenced, never an entry without its blobs */
    wrote = (const char **)crioimg_malloc(&dst->alloc, (man.nlayers + 2) * sizeof *wrote);
    if (wrote == NULL) { r = CRIOIMG_ERR_NOMEM; goto done; }
    for (i = 0; r == CRIOIMG_OK && i <= man.nlayers; i++) {
        const crioimg_descriptor *d = i == 0 ? &man.config : &man.layers[i - 1];
        int w = 0;
        r = crioimg__st_copy_blob(dst, src, d->digest, d->size, &w);
        if (w) wrote[nw++] = d->digest;
    }
    if (r == CRIOIMG_OK) {
        int fresh = crioimg_store_blob_stat(dst, manifest_digest, &had) == CRIOIMG_ERR_NOT_FOUND;
        r = crioimg_store_put_blob(dst, manifest_digest, data, len);
        if (r == CRIOIMG_OK && fresh) wrote[nw++] = manifest_digest;
    }
    if (r == CRIOIMG_OK) r = crioimg_store_add_image(dst, manifest_digest, names, nnames);
    if (r != CRIOIMG_OK) crioimg__gc_take_back(dst, wrote, nw);   /* what nothing else references goes again */
done:
    crioimg_free(&dst->alloc, (void *)wrote);
    crioimg_manifest_free(&man);
    crioimg_free(&src->alloc, data);
    return r;
}

/* ---- the view: the index with every distinct manifest read, for the image operations ---- */

CRIOIMG__ST_SHARED void crioimg__st_view_free(crioimg_store *s, crioimg__st_view *v)
{
    crioimg_free(&s->alloc, v->e);
    crioimg_free(&s->alloc, v->cache.buf);
    crioimg__arena_free(&v->arena, &s->alloc);
    memset(v, 0, sizeof *v);
}

/* str copied into the arena at *arena; NULL when out of memory */
static char *crioimg__st_strdup(void **arena, const crioimg_allocator *a, const char *str)
{
    size_t l = strlen(str) + 1;
    char *p = (char *)crioimg__arena_alloc(arena, a, l);
    if (p) memcpy(p, str, l);
    return p;
}

/* The normalised form of a stored or given name, as ParseDockerRef makes it; 0 when it is no reference. */
CRIOIMG__ST_SHARED int crioimg__st_norm(const char *name, char out[CRIOIMG_REF_STRING_MAX + 1], crioimg_ref *ref)
{
    crioimg_ref tmp;
    if (ref == NULL) ref = &tmp;
    if (name == NULL || name[0] == '\0') return 0;
    if (crioimg_ref_parse_docker(ref, name, strlen(name)) != CRIOIMG_OK) return 0;
    crioimg_ref_string(ref, out, CRIOIMG_REF_STRING_MAX + 1);
    return 1;
}

/* A string to sort by, with its first 16 bytes as two big-endian numbers: comparing those first orders
   as strcmp does, and settles nearly every comparison of digests and IDs (which strcmp would walk
   through "sha256:" for) without touching the strings -- the sorts were 15% of a listing of 100,000. */
typedef struct crioimg__st_sortkey { unsigned long long p0, p1; const char *key; size_t i; } crioimg__st_sortkey;

static void crioimg__st_setkey(crioimg__st_sortkey *k, const char *key, size_t i)
{
    size_t j;
    int end = 0;
    k->p0 = k->p1 = 0;
    for (j = 0; j < 16; j++) {
        unsigned long long c = end ? 0 : (unsigned char)key[j];
        if (c == 0) end = 1;   /* NUL pads: a shorter string sorts first, as with strcmp */
        if (j < 8) k->p0 = k->p0 << 8 | c; else k->p1 = k->p1 << 8 | c;
    }
    k->key = key;
    k->i = i;
}

static int crioimg__st_cmpkey(const void *a, const void *b)
{
    const crioimg__st_sortkey *x = (const crioimg__st_sortkey *)a, *y = (const crioimg__st_sortkey *)b;
    int c;
    if (x->p0 != y->p0) return x->p0 < y->p0 ? -1 : 1;
    if (x->p1 != y->p1) return x->p1 < y->p1 ? -1 : 1;
    c = strcmp(x->key, y->key);
    if (c) return c;
    return ((const crioimg__st_sortkey *)a)->i < ((const crioimg__st_sortkey *)b)->i ? -1 :
           ((const crioimg__st_sortkey *)a)->i > ((const crioimg__st_sortkey *)b)->i;
}

/* A blob's size through the view's cache (open addressing on the digest's first hex digits, which are
   uniformly spread). */
CRIOIMG__ST_SHARED crioimg_result crioimg__st_vstat(crioimg_store *s, crioimg__st_view *v, const char *d, long long *size)
{
    size_t h = 0, i, k;
    const char *x;
    if (d == NULL) return CRIOIMG_ERR_NOMEM;
    x = (const char *)memchr(d, ':', strlen(d));   /* memchr: other parts import it, strchr only this */
    if (v->statc == NULL || v->statn * 2 >= v->statcap) return crioimg__st_blob_stat(s, d, size);  /* full: no caching */
    for (k = 1; x && x[k] && k <= 12; k++) h = h * 31 + (unsigned char)x[k];
    for (i = h & (v->statcap - 1);; i = (i + 1) & (v->statcap - 1)) {
        if (v->statc[i].d == NULL) {
            v->statc[i].r = crioimg__st_blob_stat(s, d, &v->statc[i].size);
            v->statc[i].d = d;
            v->statn++;
            break;
        }
        if (strcmp(v->statc[i].d, d) == 0) break;
    }
    *size = v->statc[i].size;
    return v->statc[i].r;
}

/* An image manifest's config or layer d, declaring size decl: into m's blob list (whole cleared when the
   store lacks it or has another size); 0 when out of memory. */
static int crioimg__st_add_blob(crioimg_store *s, crioimg__st_view *v, crioimg__st_mf *m, const char *d, long long decl, int *whole)
{
    long long sz;
    const char *c = crioimg__st_strdup(&v->arena, &s->alloc, d);
    if (c == NULL) return 0;
    m->decl[m->nblobs] = decl;
    m->blobs[m->nblobs++] = c;
    if (crioimg__st_vstat(s, v, c, &sz) != CRIOIMG_OK || sz != decl) *whole = 0;
    return 1;
}

/* Reads one manifest: its ID, size and the blobs it references. An index (skopeo copy --all) is no
   image, but its children's blobs are referenced too, so removal never takes them. */
static void crioimg__st_read_mf(crioimg_store *s, crioimg__st_view *v, crioimg__st_mf *m, int depth)
{
    void *data = NULL;
    size_t len = 0, i, cap;
    crioimg_manifest man;
    crioimg_manifest_opts mo;
    memset(&mo, 0, sizeof mo);
    mo.alloc = s->alloc;
    m->id[0] = '\0'; m->size = -1; m->blobs = NULL; m->nblobs = 0; m->decl = NULL; m->cacheable = 0; m->nested = 0;
    m->r = crioimg__st_get(s, m->digest, 0, &data, &len);
    if (m->r != CRIOIMG_OK) return;
    m->r = crioimg_manifest_parse(&man, (const char *)data, len, NULL, &mo);
    crioimg_free(&s->alloc, data);
    if (m->r != CRIOIMG_OK) {
        crioimg__st_fail(s, m->r, "manifest ", m->digest, ": invalid");
        crioimg_manifest_free(&man);
        return;
    }
    cap = 1 + (man.kind == CRIOIMG_MANIFEST_OCI || man.kind == CRIOIMG_MANIFEST_DOCKER_V2 ? 1 + man.nlayers : 0);
    if (man.kind == CRIOIMG_MANIFEST_OCI_INDEX || man.kind == CRIOIMG_MANIFEST_DOCKER_LIST) cap += man.nmanifests;
    m->blobs = (const char **)crioimg__arena_alloc(&v->arena, &s->alloc, cap * sizeof *m->blobs);
    if (m->blobs == NULL) { m->r = CRIOIMG_ERR_NOMEM; crioimg_manifest_free(&man); return; }
    m->blobs[m->nblobs++] = m->digest;
    if (man.kind == CRIOIMG_MANIFEST_OCI || man.kind == CRIOIMG_MANIFEST_DOCKER_V2) {
        long long total = 0;
        int whole = 1, valid = 1;
        crioimg_digest dg;
        m->decl = (long long *)crioimg__arena_alloc(&v->arena, &s->alloc, cap * sizeof *m->decl);
        if (m->decl == NULL) { m->r = CRIOIMG_ERR_NOMEM; crioimg_manifest_free(&man); return; }
        m->decl[0] = (long long)len;
        /* the config (i == 0, its sha256 hex the image ID), then the layers */
        for (i = 0; i <= man.nlayers; i++) {
            const crioimg_descriptor *ds = i ? &man.layers[i - 1] : &man.config;
            if (!crioimg__st_digest_ok(ds->digest)) { whole = valid = 0; continue; }
            if (i == 0 && crioimg_digest_parse(&dg, ds->digest, strlen(ds->digest)) == CRIOIMG_OK && dg.alg == CRIOIMG_DIGEST_SHA256)
                memcpy(m->id, dg.encoded.ptr, 64), m->id[64] = '\0';
            if (!crioimg__st_add_blob(s, v, m, ds->digest, ds->size, &whole)) { m->r = CRIOIMG_ERR_NOMEM; crioimg_manifest_free(&man); return; }
            total += ds->size;
        }
        m->size = whole ? total : -1;
        m->cacheable = valid && m->id[0] && depth == 0;
    } else if (man.kind == CRIOIMG_MANIFEST_OCI_INDEX || man.kind == CRIOIMG_MANIFEST_DOCKER_LIST) {
        /* an index (skopeo copy --all) is the image of the instance this machine would run, as
           containers/image chooses it: its ID and size; every instance's blobs stay referenced */
        size_t which = (size_t)-1;
        if (depth == 0 && crioimg_manifest_choose(&man, NULL, &which, NULL, 0) != CRIOIMG_OK) which = (size_t)-1;   /* no text: none is shown */
        for (i = 0; i < man.nmanifests; i++) {
            const char *d = man.manifests[i].digest;
            crioimg__st_mf child;
            size_t k;
            if (!crioimg__st_digest_ok(d)) continue;
            m->blobs[m->nblobs] = crioimg__st_strdup(&v->arena, &s->alloc, d);
            if (m->blobs[m->nblobs] == NULL) { m->r = CRIOIMG_ERR_NOMEM; break; }
            m->nblobs++;
            if (depth > 0) continue;
            memset(&child, 0, sizeof child);
            child.digest = m->blobs[m->nblobs - 1];
            crioimg__st_read_mf(s, v, &child, depth + 1);
            if (child.r == CRIOIMG_OK && child.decl == NULL) m->nested = 1;   /* an index in an index: not read further */
            if (child.r != CRIOIMG_OK || child.nblobs < 2) continue;
            if (i == which && child.id[0]) { memcpy(m->id, child.id, sizeof m->id); m->size = child.size; }
            {   /* the child's config and layers join this entry's list */
                const char **nb = (const char **)crioimg__arena_alloc(&v->arena, &s->alloc,
                                                                     (cap + child.nblobs) * sizeof *nb);
                if (nb == NULL) continue;
                memcpy(nb, m->blobs, m->nblobs * sizeof *nb);
                for (k = 1; k < child.nblobs; k++) nb[m->nblobs++] = child.blobs[k];
                m->blobs = nb;
                cap += child.nblobs;
            }
        }
    }
    crioimg_manifest_free(&man);
}

/* ---- the listing cache's file format (what it holds and when it is trusted: store.h) ----
   "crioimg-cache-1\n"; u64 trusted (1: the sizes seen hold while the directories are as stamped);
   4 x 5 u64: per digest algorithm, blobs/<alg> (exists, st_dev, st_ino, mtime s, mtime ns); u64 record
   count; the records, in strcmp order of their manifest digests; u64 checksum of everything before it.
   A record: the manifest digest (u8 length, the bytes, NUL); u64 kind (0: read it every time -- an
   index, or a manifest that could not be read; 1: an image manifest); for kind 1, u64 the manifest's
   size, u64 the number of blobs, then each blob, config first: its digest (as above), u64 the size
   its descriptor declares, u64 the size seen (all ones: missing). Integers are little-endian. */
#define CRIOIMG__ST_CMAGIC "crioimg-cache-1\n"
#define CRIOIMG__ST_CHDR (16 + 8 + 4 * 5 * 8 + 8)

typedef struct crioimg__st_crec {
    const char *digest;           /* into the file's buffer */
    unsigned long long kind, mlen, nb;
    const unsigned char *p;       /* the first blob */
} crioimg__st_crec;

static unsigned long long crioimg__st_get64(const unsigned char *p)
{
    unsigned long long v = 0;
    int i;
    for (i = 7; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

static unsigned char *crioimg__st_put64(unsigned char *p, unsigned long long v)
{
    int i;
    for (i = 0; i < 8; i++, v >>= 8) p[i] = (unsigned char)(v & 0xff);
    return p + 8;
}

/* Not cryptographic: it catches a file torn by a crash (the cache is written without fsync) */
static unsigned long long crioimg__st_csum(const unsigned char *p, size_t n)
{
    unsigned long long h = 0x9e3779b97f4a7c15ULL;
    size_t i;
    for (i = 0; i + 8 <= n; i += 8) { h = (h ^ crioimg__st_get64(p + i)) * 0x100000001b3ULL; h ^= h >> 29; }
    for (; i < n; i++) h = (h ^ p[i]) * 0x100000001b3ULL;
    return h;
}

/* A digest in the file: length, bytes, NUL, and valid (the file is input like any other). */
static const char *crioimg__st_cstr(const unsigned char **pp, const unsigned char *end)
{
    const unsigned char *p = *pp;
    size_t l;
    if (p >= end) return NULL;
    l = *p;
    if ((size_t)(end - p) < l + 2 || p[1 + l] != '\0' || memchr(p + 1, '\0', l) != NULL) return NULL;
    if (!crioimg__st_digest_ok((const char *)p + 1)) return NULL;
    *pp = p + l + 2;
    return (const char *)p + 1;
}

/* Checks the whole file and returns its records (in the view's arena); none when anything is off. Sets
   v->cache.trusted when the sizes it saw still hold. */
static size_t crioimg__st_cache_decode(crioimg_store *s, crioimg__st_view *v, crioimg__st_crec **out)
{
    crioimg__st_cache *c = &v->cache;
    const unsigned char *p = (const unsigned char *)c->buf, *end;
    unsigned long long n, k, j;
    crioimg__st_crec *rec;
    int a, f;
    *out = NULL;
    c->trusted = 0;
    if (c->buf == NULL || !c->usable || c->len < CRIOIMG__ST_CHDR + 8 || memcmp(p, CRIOIMG__ST_CMAGIC, 16) != 0) return 0;
    end = p + c->len - 8;
    if (crioimg__st_get64(end) != crioimg__st_csum(p, c->len - 8)) return 0;
    n = crioimg__st_get64(p + CRIOIMG__ST_CHDR - 8);
    if (n > c->len / 10) return 0;
    rec = (crioimg__st_crec *)crioimg__arena_alloc(&v->arena, &s->alloc, ((size_t)n + 1) * sizeof *rec);
    if (rec == NULL) return 0;
    p += CRIOIMG__ST_CHDR;
    for (k = 0; k < n; k++) {
        rec[k].digest = crioimg__st_cstr(&p, end);
        if (rec[k].digest == NULL || (k && strcmp(rec[k - 1].digest, rec[k].digest) >= 0) || end - p < 8) return 0;
        rec[k].kind = crioimg__st_get64(p); p += 8;
        rec[k].nb = 0;
        if (rec[k].kind == 0) continue;
        if (rec[k].kind != 1 || end - p < 16) return 0;
        rec[k].mlen = crioimg__st_get64(p); rec[k].nb = crioimg__st_get64(p + 8); p += 16;
        /* config first, and sha256: the image ID is its hex */
        if (rec[k].nb < 1 || rec[k].nb > (unsigned long long)(end - p) / 18 || end - p < 8 || memcmp(p + 1, "sha256:", 7) != 0) return 0;
        rec[k].p = p;
        for (j = 0; j < rec[k].nb; j++) {
            if (crioimg__st_cstr(&p, end) == NULL || end - p < 16) return 0;
            if (crioimg__st_get64(p) > ((unsigned long long)1 << 48)) return 0;   /* no sum can overflow */
            p += 16;
        }
    }
    if (p != end) return 0;
    f = crioimg__st_get64((const unsigned char *)c->buf + 16) == 1;
    for (a = 0; a < 4 && f; a++)
        for (j = 0; j < 5 && f; j++) f = crioimg__st_get64((const unsigned char *)c->buf + 24 + (a * 5 + j) * 8) == c->cur[a][j];
    c->trusted = f;
    *out = rec;
    return (size_t)n;
}

/* An image manifest from its record. stat_now: the record's sizes are not trusted, ask the store for
   each (and for the manifest's own size, which must be the record's). 0: read the manifest instead. */
static int crioimg__st_from_rec(crioimg_store *s, crioimg__st_view *v, crioimg__st_mf *m, const crioimg__st_crec *rc, int stat_now)
{
    const unsigned char *p = rc->p;
    size_t j, nb = (size_t)rc->nb;
    long long total = 0, sz;
    int whole = 1;
    if (rc->kind != 1) return 0;
    if (stat_now && (crioimg__st_vstat(s, v, m->digest, &sz) != CRIOIMG_OK || (unsigned long long)sz != rc->mlen)) return 0;
    m->blobs = (const char **)crioimg__arena_alloc(&v->arena, &s->alloc, (nb + 1) * sizeof *m->blobs);
    m->decl = (long long *)crioimg__arena_alloc(&v->arena, &s->alloc, (nb + 1) * sizeof *m->decl);
    if (m->blobs == NULL || m->decl == NULL) return 0;
    m->blobs[0] = m->digest; m->decl[0] = (long long)rc->mlen; m->nblobs = 1;
    for (j = 0; j < nb; j++) {
        const char *d = (const char *)p + 1;
        long long decl, seen;
        p += 2 + *p;
        decl = (long long)crioimg__st_get64(p);
        seen = (long long)crioimg__st_get64(p + 8);
        p += 16;
        if (stat_now && crioimg__st_vstat(s, v, d, &seen) != CRIOIMG_OK) seen = -1;
        if (seen != decl) whole = 0;
        total += decl;
        m->decl[m->nblobs] = decl;
        m->blobs[m->nblobs++] = d;
    }
    memcpy(m->id, m->blobs[1] + 7, 64);
    m->id[64] = '\0';
    m->size = whole ? total : -1;
    m->r = CRIOIMG_OK;
    m->cacheable = 1;
    return 1;
}

static unsigned char *crioimg__st_cput(unsigned char *p, const char *d)
{
    size_t l = strlen(d);
    *p++ = (unsigned char)l;
    memcpy(p, d, l + 1);
    return p + l + 1;
}

/* Writes the new cache file: every manifest of the view, with the sizes seen since it was begun. */
static void crioimg__st_cache_save(crioimg_store *s, crioimg__st_view *v)
{
    crioimg__st_cache *c = &v->cache;
    size_t i, j, need = CRIOIMG__ST_CHDR + 8;
    unsigned char *buf, *p;
    int a;
    for (i = 0; i < v->nmf; i++) {
        const crioimg__st_mf *m = &v->mfs[i];
        need += 2 + strlen(m->digest) + 8;
        if (m->r == CRIOIMG_OK && m->cacheable)
            for (need += 16, j = 1; j < m->nblobs; j++) need += 2 + strlen(m->blobs[j]) + 16;
    }
    buf = (unsigned char *)crioimg_malloc(&s->alloc, need);
    if (buf == NULL) { s->cache->end(s->vt.user, c, NULL, 0); return; }
    memcpy(buf, CRIOIMG__ST_CMAGIC, 16);
    p = crioimg__st_put64(buf + 16, (unsigned long long)c->fresh_trusted);
    for (a = 0; a < 4; a++) for (j = 0; j < 5; j++) p = crioimg__st_put64(p, c->cur[a][j]);
    p = crioimg__st_put64(p, (unsigned long long)v->nmf);
    for (i = 0; i < v->nmf; i++) {
        const crioimg__st_mf *m = &v->mfs[i];
        int img = m->r == CRIOIMG_OK && m->cacheable;
        p = crioimg__st_cput(p, m->digest);
        p = crioimg__st_put64(p, (unsigned long long)img);
        if (!img) continue;
        p = crioimg__st_put64(p, (unsigned long long)m->decl[0]);
        p = crioimg__st_put64(p, (unsigned long long)(m->nblobs - 1));
        for (j = 1; j < m->nblobs; j++) {
            long long sz = -1;
            crioimg_result r = crioimg__st_vstat(s, v, m->blobs[j], &sz);
            /* only a size it read, or "missing" for a blob that is not there: a stat that failed otherwise
               (EOVERFLOW, EIO) or gave no size leaves the old cache as it is */
            if (r == CRIOIMG_OK ? sz < 0 : r != CRIOIMG_ERR_NOT_FOUND) { crioimg_free(&s->alloc, buf); s->cache->end(s->vt.user, c, NULL, 0); return; }
            p = crioimg__st_cput(p, m->blobs[j]);
            p = crioimg__st_put64(p, (unsigned long long)m->decl[j]);
            p = crioimg__st_put64(p, r == CRIOIMG_OK ? (unsigned long long)sz : ~0ULL);
        }
    }
    crioimg__st_put64(p, crioimg__st_csum(buf, (size_t)(p - buf)));
    s->cache->end(s->vt.user, c, buf, need);
    crioimg_free(&s->alloc, buf);
}

/* Every distinct manifest of the view: from the cache where it has them, else read. */
static crioimg_result crioimg__st_read_mfs(crioimg_store *s, crioimg__st_view *v, int save)
{
    crioimg__st_crec *rec = NULL;
    size_t nrec = 0, ri = 0, i, *hit;
    int all = 1;
    char saved[512];
    saved[0] = '\0';
    v->cache.fd = -1;
    hit = (size_t *)crioimg__arena_alloc(&v->arena, &s->alloc, (v->nmf + 1) * sizeof *hit);
    if (hit == NULL) return CRIOIMG_ERR_NOMEM;
    if (s->cache) {
        s->cache->load(s->vt.user, &s->alloc, &v->cache);
        nrec = crioimg__st_cache_decode(s, v, &rec);
    }
    for (i = 0; i < v->nmf; i++) {   /* both in digest order */
        while (ri < nrec && strcmp(rec[ri].digest, v->mfs[i].digest) < 0) ri++;
        hit[i] = ri < nrec && strcmp(rec[ri].digest, v->mfs[i].digest) == 0 ? ri : (size_t)-1;
        if (hit[i] == (size_t)-1) all = 0;
    }
    /* a new file when this one is stale or lacks a manifest; begun before any stat, which is what
       makes the sizes it records trustworthy */
    if (s->cache && s->cache->begin && save && v->cache.usable && !(v->cache.trusted && all)) s->cache->begin(s->vt.user, &v->cache);
    for (i = 0; i < v->nmf; i++) {
        crioimg__st_mf *m = &v->mfs[i];
        if (hit[i] == (size_t)-1 || !crioimg__st_from_rec(s, v, m, &rec[hit[i]], !v->cache.trusted)) crioimg__st_read_mf(s, v, m, 0);
        if (m->r != CRIOIMG_OK && saved[0] == '\0') memcpy(saved, s->err, sizeof saved);
        if (m->r == CRIOIMG_ERR_NOMEM) { if (v->cache.fresh) s->cache->end(s->vt.user, &v->cache, NULL, 0); return CRIOIMG_ERR_NOMEM; }
    }
    if (v->cache.fresh) crioimg__st_cache_save(s, v);
    memcpy(s->err, saved, sizeof saved);   /* the first broken manifest, for whoever asks */
    return CRIOIMG_OK;
}

/* Loads the index; with manifests set, also every distinct manifest (IDs, sizes, blobs). save: a
   listing, which refreshes the cache when it is stale. Not inlined: gcc would split it in two (partial
   inlining), each half with its own unwind entry, for nothing a caller gains. */
CRIOIMG__ST_SHARED CRIOIMG__NOINLINE crioimg_result crioimg__st_view_load(crioimg_store *s, crioimg__st_view *v, int manifests, int save)
{
    crioimg_result r;
    size_t i, j;
    crioimg__st_sortkey *k = NULL;
    memset(v, 0, sizeof *v);
    v->cache.fd = -1;
    r = crioimg__st_read_index(s, &v->e, &v->n);
    if (r != CRIOIMG_OK) return r;
    v->names = (const char **)crioimg__arena_alloc(&v->arena, &s->alloc, (v->n + 1) * sizeof *v->names);
    v->mf = (size_t *)crioimg__arena_alloc(&v->arena, &s->alloc, (v->n + 1) * sizeof *v->mf);
    v->mfs = (crioimg__st_mf *)crioimg__arena_alloc(&v->arena, &s->alloc, (v->n + 1) * sizeof *v->mfs);
    k = (crioimg__st_sortkey *)crioimg_malloc(&s->alloc, (v->n + 1) * sizeof *k);
    if (!v->names || !v->mf || !v->mfs || !k) { crioimg_free(&s->alloc, k); return CRIOIMG_ERR_NOMEM; }
    for (i = 0; i < v->n; i++) {
        char norm[CRIOIMG_REF_STRING_MAX + 1];
        if (!crioimg__st_digest_ok(v->e[i].digest)) {   /* a backend must not hand these over; check anyway */
            crioimg_free(&s->alloc, k);
            return crioimg__st_fail(s, CRIOIMG_ERR_STORE_CORRUPT, "index entry with an invalid digest \"", v->e[i].digest, "\"");
        }
        v->names[i] = crioimg__st_norm(v->e[i].name, norm, NULL) ? crioimg__st_strdup(&v->arena, &s->alloc, norm) : NULL;
        crioimg__st_setkey(&k[i], v->e[i].digest, i);
    }
    /* distinct manifests, by digest */
    qsort(k, v->n, sizeof *k, crioimg__st_cmpkey);
    for (i = 0; i < v->n; i = j) {
        crioimg__st_mf *m = &v->mfs[v->nmf];
        memset(m, 0, sizeof *m);
        m->digest = k[i].key;
        m->r = CRIOIMG_OK;
        for (j = i; j < v->n && strcmp(k[j].key, k[i].key) == 0; j++) v->mf[k[j].i] = v->nmf;
        v->nmf++;
    }
    crioimg_free(&s->alloc, k);
    if (manifests) {
        /* room for the blobs of typical images (config + a few layers) at half load; past that,
           crioimg__st_vstat stops caching */
        for (v->statcap = 64; v->statcap < v->nmf * 8; v->statcap *= 2) {}
        v->statc = (crioimg__st_statc *)crioimg__arena_alloc(&v->arena, &s->alloc, v->statcap * sizeof *v->statc);
        if (v->statc) memset(v->statc, 0, v->statcap * sizeof *v->statc);
        return crioimg__st_read_mfs(s, v, save);
    }
    return CRIOIMG_OK;
}

/* Groups manifests into images by ID; returns the number of images (mfs without an ID get none). */
static size_t crioimg__st_group(crioimg_store *s, crioimg__st_view *v, crioimg_result *r)
{
    size_t i, j, g = 0, nk = 0;
    crioimg__st_sortkey *k = (crioimg__st_sortkey *)crioimg_malloc(&s->alloc, (v->nmf + 1) * sizeof *k);
    *r = CRIOIMG_OK;
    if (k == NULL) { *r = CRIOIMG_ERR_NOMEM; return 0; }
    for (i = 0; i < v->nmf; i++) {
        v->mfs[i].group = (size_t)-1;
        if (v->mfs[i].id[0]) { crioimg__st_setkey(&k[nk], v->mfs[i].id, i); nk++; }
    }
    qsort(k, nk, sizeof *k, crioimg__st_cmpkey);
    for (i = 0; i < nk; i = j, g++)
        for (j = i; j < nk && strcmp(k[j].key, k[i].key) == 0; j++) v->mfs[k[j].i].group = g;
    crioimg_free(&s->alloc, k);
    return g;
}

/* ---- naming an image ---- */

typedef struct crioimg__st_target {
    const char *id;      /* the image's ID (into the view), or NULL when a name names an unreadable manifest */
    int by_id;           /* named by its ID or an ID prefix */
    char norm[CRIOIMG_REF_STRING_MAX + 1];  /* the normalised name, when named by one */
    size_t entry;        /* an entry with that name (or of that image) */
} crioimg__st_target;

static int crioimg__st_hexpfx(const char *s, size_t n)
{
    return crioimg_id_is_prefix(s, n, 3);
}

/* The image named by a full ID, a unique prefix, a name or a containers-storage: name. */
static crioimg_result crioimg__st_resolve(crioimg_store *s, crioimg__st_view *v, const char *input, crioimg__st_target *t)
{
    size_t n = strlen(input), i;
    const char *idq = NULL;        /* an ID or prefix to try */
    size_t idn = 0;
    int have_name = 0, is_full = 0;
    crioimg_ref ref;
    memset(t, 0, sizeof *t);
    if (n >= 19 && memcmp(input, "containers-storage:", 19) == 0) {
        crioimg_image_name in;
        char e[256];
        if (crioimg__image_name_parse_storage(&in, input, n, e, sizeof e) != CRIOIMG_OK)
            return crioimg__st_fail(s, CRIOIMG_ERR_IMAGE_NAME_INVALID, e, NULL, NULL);
        if (in.id.len) { idq = in.id.ptr; idn = in.id.len; }
        if (in.has_ref) {
            ref = in.ref;
            if (ref.digest[0]) ref.tag[0] = '\0', ref.tag_len = 0;   /* the digest wins, as ParseDockerRef */
            crioimg_ref_tag_name_only(&ref);
            crioimg_ref_string(&ref, t->norm, sizeof t->norm);
            have_name = 1;
        }
    } else {
        if (n == 71 && memcmp(input, "sha256:", 7) == 0 && crioimg_id_is_full(input + 7, 64)) { idq = input + 7; idn = 64; }
        else if (crioimg_id_is_full(input, n)) { idq = input; idn = 64; }
        else {
            have_name = crioimg__st_norm(input, t->norm, &ref);
            if (crioimg__st_hexpfx(input, n)) { idq = input; idn = n; }
        }
    }
    is_full = idq != NULL && idn == 64;
    if (is_full) {
        for (i = 0; i < v->nmf; i++)
            if (memcmp(v->mfs[i].id, idq, 64) == 0) { t->id = v->mfs[i].id; t->by_id = 1; break; }
        if (t->id == NULL && !have_name) return crioimg__st_fail(s, CRIOIMG_ERR_IMAGE_UNKNOWN, "image not known: ", input, NULL);
        if (t->id) return CRIOIMG_OK;
    }
    if (have_name) {
        for (i = 0; i < v->n; i++)
            if (v->names[i] && strcmp(v->names[i], t->norm) == 0) {
                crioimg__st_mf *m = &v->mfs[v->mf[i]];
                if (m->r != CRIOIMG_OK && m->r != CRIOIMG_ERR_NOT_FOUND && m->id[0] == '\0') {
                    /* the name is there but its manifest is broken: say so, keep the entry findable */
                    t->id = NULL; t->entry = i;
                    return crioimg__st_fail(s, m->r, "image ", t->norm, ": its manifest cannot be read");
                }
                t->id = m->id[0] ? m->id : NULL;
                t->entry = i;
                return CRIOIMG_OK;
            }
        /* name@digest also finds an image of that repository pulled under another name form */
        if (ref.digest[0]) {
            for (i = 0; i < v->n; i++) {
                const char *nm = v->names[i];
                size_t rl = strlen(ref.name);
                /* strlen and memcmp, not strncmp: a libc import costs a program 80 bytes */
                if (nm && strlen(nm) > rl && memcmp(nm, ref.name, rl) == 0 && (nm[rl] == ':' || nm[rl] == '@') &&
                    strcmp(v->mfs[v->mf[i]].digest, ref.digest) == 0 && v->mfs[v->mf[i]].id[0]) {
                    t->id = v->mfs[v->mf[i]].id; t->entry = i;
                    return CRIOIMG_OK;
                }
            }
        }
    }
    if (idq != NULL && !is_full) {
        const char *found = NULL;
        for (i = 0; i < v->nmf; i++) {
            if (v->mfs[i].id[0] && memcmp(v->mfs[i].id, idq, idn) == 0) {
                if (found && strcmp(found, v->mfs[i].id) != 0)
                    return crioimg__st_fail(s, CRIOIMG_ERR_STORE_AMBIGUOUS, "ambiguous image ID prefix \"", input, "\"");
                found = v->mfs[i].id;
            }
        }
        if (found) { t->id = found; t->by_id = 1; t->norm[0] = '\0'; return CRIOIMG_OK; }
    }
    if (!have_name && idq == NULL) {
        /* Go's text, straight into the detail buffer (a 4 KiB message buffer here made this frame 5 KB) */
        crioimg_result pr = crioimg_ref_parse_docker(&ref, input, n);
        if (pr == CRIOIMG_OK) pr = CRIOIMG_ERR_REF_FORMAT;
        crioimg_ref_error_message(pr, input, n, s->err, sizeof s->err);
        return pr;
    }
    return crioimg__st_fail(s, CRIOIMG_ERR_IMAGE_UNKNOWN, "image not known: ", input, NULL);
}

/* ---- building image records ----
   Every step is a sort or a pass over the image's entries, so a listing is O(n log n) in the index
   whatever its shape (one image with 100,000 names; 4,000 manifests of one config), and an image's
   repo digests are at most one per repository plus one per named entry (see store.h). */

/* a repo digest to be: group (the repository's first name), order within it, the manifest */
typedef struct crioimg__st_pair { size_t g, ord, mf; } crioimg__st_pair;

static int crioimg__st_cmppair(const void *a, const void *b)
{
    const crioimg__st_pair *x = (const crioimg__st_pair *)a, *y = (const crioimg__st_pair *)b;
    if (x->g != y->g) return x->g < y->g ? -1 : 1;
    return x->ord < y->ord ? -1 : x->ord > y->ord;
}

/* Scratch for one image at a time, sized for the image with the most named entries. */
typedef struct crioimg__st_scratch {
    size_t *ent;                 /* the image's named entries, index order */
    size_t *uidx;                /* per named entry: its name's place among the distinct names */
    size_t *lead;                /* per distinct name: the first distinct name of its repository */
    const char **repo;           /* per distinct name: its repository, NULL when it has none */
    crioimg__st_sortkey *k;
    crioimg__st_pair *pairs;     /* 2 per named entry at most */
    size_t *mfstamp;             /* per manifest: the last repository group that took it */
    void *arena;                 /* the repository strings */
} crioimg__st_scratch;

/* The names (distinct, first-appearance order) and repo digests of an image: "repository@digest" for
   the image's first manifest (CRI-O's image digest) and for each manifest a name of that repository
   points at, deduplicated, repositories in the order of their first names. */
static crioimg_result crioimg__st_build_names(crioimg_store *s, crioimg__st_view *v, crioimg__st_scratch *x,
                                              size_t first, const size_t *next, size_t stamp0, crioimg_image *im, void **arena)
{
    size_t c = 0, nn = 0, a, j, np = 0, nr = 0, g = (size_t)-1, st = 0;
    const char **names, **dg;
    for (j = first; j != (size_t)-1; j = next[j]) if (v->names[j]) x->ent[c++] = j;
    if (c == 0) {   /* empty lists, never NULL ones, as before */
        static const char *const none[1] = { NULL };
        im->names = none; im->nnames = 0; im->digests = none; im->ndigests = 0;
        return CRIOIMG_OK;
    }
    /* distinct names: sorted, the first of each run (the sort breaks ties by position) stands for it */
    for (a = 0; a < c; a++) crioimg__st_setkey(&x->k[a], v->names[x->ent[a]], a);
    qsort(x->k, c, sizeof *x->k, crioimg__st_cmpkey);
    for (a = 0; a < c; a++)   /* lead, for now: per entry, the first entry with its name */
        x->lead[x->k[a].i] = a > 0 && strcmp(x->k[a].key, x->k[a - 1].key) == 0 ? x->lead[x->k[a - 1].i] : x->k[a].i;
    names = (const char **)crioimg__arena_alloc(arena, &s->alloc, (c + 1) * sizeof *names);
    if (names == NULL) return CRIOIMG_ERR_NOMEM;
    for (a = 0; a < c; a++) {
        if (x->lead[a] != a) { x->uidx[a] = x->uidx[x->lead[a]]; continue; }   /* that first came earlier */
        x->uidx[a] = nn;
        names[nn++] = v->names[x->ent[a]];
    }
    /* repositories: each distinct name's, grouped by a sort */
    for (a = 0; a < nn; a++) {
        crioimg_ref rf;
        char *r;
        x->repo[a] = NULL;
        x->lead[a] = a;
        if (crioimg_ref_parse_docker(&rf, names[a], strlen(names[a])) != CRIOIMG_OK) continue;
        if ((r = crioimg__st_strdup(&x->arena, &s->alloc, rf.name)) == NULL) return CRIOIMG_ERR_NOMEM;
        x->repo[a] = r;
        crioimg__st_setkey(&x->k[nr++], r, a);
    }
    qsort(x->k, nr, sizeof *x->k, crioimg__st_cmpkey);
    for (a = 1; a < nr; a++) if (strcmp(x->k[a].key, x->k[a - 1].key) == 0) x->lead[x->k[a].i] = x->lead[x->k[a - 1].i];
    /* candidate pairs: each repository with the first manifest, then with each of its names' */
    for (a = 0; a < nn; a++) if (x->repo[a] && x->lead[a] == a) { x->pairs[np].g = a; x->pairs[np].ord = 0; x->pairs[np].mf = v->mf[first]; np++; }
    for (a = 0; a < c; a++) {
        size_t u = x->uidx[a];
        if (x->repo[u] == NULL) continue;
        x->pairs[np].g = x->lead[u]; x->pairs[np].ord = a + 1; x->pairs[np].mf = v->mf[x->ent[a]]; np++;
    }
    qsort(x->pairs, np, sizeof *x->pairs, crioimg__st_cmppair);
    dg = (const char **)crioimg__arena_alloc(arena, &s->alloc, (np + 1) * sizeof *dg);
    if (dg == NULL) return CRIOIMG_ERR_NOMEM;
    nr = 0;
    for (a = 0; a < np; a++) {
        const crioimg__st_pair *p = &x->pairs[a];
        const char *repo = x->repo[p->g], *d = v->mfs[p->mf].digest;
        size_t rl = strlen(repo), dl = strlen(d);
        char *out;
        if (p->g != g) { g = p->g; st = stamp0 + a; }   /* a stamp no other group of any image used */
        if (x->mfstamp[p->mf] == st) continue;           /* this repository has it already */
        x->mfstamp[p->mf] = st;
        out = (char *)crioimg__arena_alloc(arena, &s->alloc, rl + 1 + dl + 1);
        if (out == NULL) return CRIOIMG_ERR_NOMEM;
        memcpy(out, repo, rl); out[rl] = '@'; memcpy(out + rl + 1, d, dl + 1);
        dg[nr++] = out;
    }
    /* names point into the view's arena: copied into the list's */
    for (a = 0; a < nn; a++) if ((names[a] = crioimg__st_strdup(arena, &s->alloc, names[a])) == NULL) return CRIOIMG_ERR_NOMEM;
    im->names = names; im->nnames = nn;
    im->digests = dg; im->ndigests = nr;
    return CRIOIMG_OK;
}

static crioimg_result crioimg__st_build(crioimg_store *s, crioimg__st_view *v, const char *only_id, crioimg_image_list *out)
{
    crioimg_result r;
    size_t ng, i, nimg = 0, maxc = 0, stamp = 0;
    size_t *slot = NULL, *order = NULL, *cnt = NULL, *next = NULL, *last = NULL;
    crioimg__st_scratch x;
    crioimg_image_list l;
    memset(&l, 0, sizeof l);
    memset(&x, 0, sizeof x);
    l.alloc = s->alloc;
    ng = crioimg__st_group(s, v, &r);
    if (r != CRIOIMG_OK) return r;
    /* the index arrays in one allocation (ng <= nmf <= n: no sum overflows what the view holds already) */
    slot = (size_t *)crioimg_malloc(&s->alloc, (4 * (ng + 1) + v->n + 1) * sizeof *slot);   /* group -> image, in index order */
    if (slot == NULL) { r = CRIOIMG_ERR_NOMEM; goto done; }
    order = slot + ng + 1;   /* image -> first entry */
    cnt = order + ng + 1;    /* image -> named entries */
    last = cnt + ng + 1;     /* group -> its last entry so far */
    next = last + ng + 1;    /* entry -> next entry of its image */
    for (i = 0; i < ng; i++) slot[i] = last[i] = (size_t)-1;
    /* each image's entries as a chain, so building every image is linear in the index */
    for (i = 0; i < v->n; i++) {
        size_t g = v->mfs[v->mf[i]].group;
        next[i] = (size_t)-1;
        if (g == (size_t)-1) continue;
        if (last[g] != (size_t)-1) next[last[g]] = i;
        last[g] = i;
    }
    for (i = 0; i < v->n; i++) {
        size_t g = v->mfs[v->mf[i]].group;
        if (g == (size_t)-1) continue;
        if (only_id && strcmp(v->mfs[v->mf[i]].id, only_id) != 0) continue;
        if (slot[g] == (size_t)-1) { slot[g] = nimg; order[nimg] = i; cnt[nimg] = 0; nimg++; }
        if (v->names[i]) cnt[slot[g]]++;
    }
    for (i = 0; i < nimg; i++) if (cnt[i] > maxc) maxc = cnt[i];
    x.repo = (const char **)crioimg_malloc(&s->alloc, (maxc + 1) * sizeof *x.repo);
    x.k = (crioimg__st_sortkey *)crioimg_malloc(&s->alloc, (maxc + 1) * sizeof *x.k);
    /* the pairs (size_t triples) and the size_t arrays in one allocation */
    x.pairs = (crioimg__st_pair *)crioimg_malloc(&s->alloc, (2 * maxc + 1) * sizeof *x.pairs + (3 * (maxc + 1) + v->nmf + 1) * sizeof(size_t));
    if (!x.repo || !x.k || !x.pairs) { r = CRIOIMG_ERR_NOMEM; goto done; }
    x.ent = (size_t *)(void *)(x.pairs + 2 * maxc + 1);
    x.uidx = x.ent + maxc + 1;
    x.lead = x.uidx + maxc + 1;
    x.mfstamp = x.lead + maxc + 1;
    for (i = 0; i <= v->nmf; i++) x.mfstamp[i] = (size_t)-1;
    l.images = (crioimg_image *)crioimg__arena_alloc(&l.arena, &s->alloc, (nimg + 1) * sizeof *l.images);
    if (l.images == NULL) { r = CRIOIMG_ERR_NOMEM; goto done; }
    for (i = 0; i < nimg; i++) {
        crioimg_image *im = &l.images[i];
        const crioimg__st_mf *m0 = &v->mfs[v->mf[order[i]]];
        memset(im, 0, sizeof *im);
        memcpy(im->id, m0->id, 65);
        im->size = m0->size;
        r = crioimg__st_build_names(s, v, &x, order[i], next, stamp, im, &l.arena);
        if (r != CRIOIMG_OK) goto done;
        stamp += 2 * cnt[i] + 1;   /* past every stamp this image could use */
        crioimg__arena_free(&x.arena, &s->alloc);
        if ((im->manifest_digest = crioimg__st_strdup(&l.arena, &s->alloc, m0->digest)) == NULL) { r = CRIOIMG_ERR_NOMEM; goto done; }
        if (im->nnames) {
            crioimg_ref rf;
            char fam[CRIOIMG_REF_STRING_MAX + 1];
            fam[0] = '\0';
            if (crioimg_ref_parse_normalized(&rf, im->names[0], strlen(im->names[0])) == CRIOIMG_OK)
                crioimg_ref_familiar_string(&rf, fam, sizeof fam);
            if ((im->image_ref = crioimg__st_strdup(&l.arena, &s->alloc, fam)) == NULL) { r = CRIOIMG_ERR_NOMEM; goto done; }
        } else im->image_ref = "";
    }
    l.n = nimg;
    *out = l;
    l.arena = NULL;
    r = CRIOIMG_OK;
done:
    crioimg_free(&s->alloc, slot);      /* and order, cnt, last, next */
    crioimg_free(&s->alloc, x.repo);
    crioimg_free(&s->alloc, x.k);
    crioimg_free(&s->alloc, x.pairs);   /* and ent, uidx, lead, mfstamp */
    crioimg__arena_free(&x.arena, &s->alloc);
    crioimg__arena_free(&l.arena, &s->alloc);
    return r;
}

void crioimg_image_list_free(crioimg_image_list *l)
{
    if (l == NULL) return;
    crioimg__arena_free(&l->arena, &l->alloc);
    memset(l, 0, sizeof *l);
}

/* What a listing makes of its view: every image, or (crioimg__st_pick_one) the one a filter names. */
typedef crioimg_result (*crioimg__st_pick)(crioimg_store *s, crioimg__st_view *v, const char *filter, crioimg_image_list *out);

/* The seed: a filter names one image; naming none lists nothing, without an error; a filter that is no
   name at all is getRef's error. */
static crioimg_result crioimg__st_pick_one(crioimg_store *s, crioimg__st_view *v, const char *filter, crioimg_image_list *out)
{
    crioimg__st_target t;
    crioimg_result rr = crioimg__st_resolve(s, v, filter, &t);
    if (rr == CRIOIMG_OK && t.id) return crioimg__st_build(s, v, t.id, out);
    if ((rr <= CRIOIMG_ERR_REF_FORMAT && rr >= CRIOIMG_ERR_REF_BAD_PATTERN) ||
        (rr <= CRIOIMG_ERR_IMAGE_NAME_NO_COLON && rr >= CRIOIMG_ERR_IMAGE_NAME_INVALID)) return rr;
    s->err[0] = '\0';   /* not known, or ambiguous: an empty list, no error */
    return CRIOIMG_OK;
}

/* The listing: the view under the shared lock, then pick (NULL: every image). */
static CRIOIMG__NOINLINE crioimg_result crioimg__st_list(crioimg_store *s, crioimg__st_pick pick, const char *filter,
                                                        crioimg_image_list *out)
{
    crioimg__st_view v;
    crioimg_result r;
    if (out) memset(out, 0, sizeof *out);
    if (s == NULL || out == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    out->alloc = s->alloc;
    r = crioimg__st_lock(s, 0);
    if (r != CRIOIMG_OK) return r;
    r = crioimg__st_view_load(s, &v, 1, 1);
    if (r == CRIOIMG_OK) r = pick ? pick(s, &v, filter, out) : crioimg__st_build(s, &v, NULL, out);
    crioimg__st_view_free(s, &v);
    crioimg__st_unlock(s);
    return r;
}

/* A call of its own with fewer arguments than crioimg_store_list's, which keeps that one small (below). */
static CRIOIMG__NOINLINE crioimg_result crioimg__st_list_all(crioimg_store *s, crioimg_image_list *out)
{
    return crioimg__st_list(s, NULL, NULL, out);
}

/* Name resolution (the containers-storage: parser, Go's %q for its errors: some 5 KB) is reached only
   through the pointer passed when a filter is given. This function is that small so that a compiler
   inlines it where it is called: a program that lists with a NULL filter written in its call then does
   not link resolution (issue 13: bench/footprint/list.c). */
crioimg_result crioimg_store_list(crioimg_store *s, const char *filter, crioimg_image_list *out)
{
    return filter && filter[0] ? crioimg__st_list(s, crioimg__st_pick_one, filter, out) : crioimg__st_list_all(s, out);
}

/* The image's manifests read and verified again: the cache knew them, but a status is for one image
   and should notice a manifest changed in place (which the cache cannot see). */
static crioimg_result crioimg__st_verify(crioimg_store *s, crioimg__st_view *v, const char *id)
{
    size_t i;
    for (i = 0; i < v->nmf; i++) {
        void *data;
        size_t len;
        crioimg_result r;
        if (strcmp(v->mfs[i].id, id) != 0) continue;
        r = crioimg__st_get(s, v->mfs[i].digest, 0, &data, &len);
        crioimg_free(&s->alloc, data);
        if (r != CRIOIMG_OK) return r;
    }
    return CRIOIMG_OK;
}

crioimg_result crioimg_store_image_status(crioimg_store *s, const char *name, crioimg_image_list *out)
{
    crioimg__st_view v;
    crioimg__st_target t;
    crioimg_result r;
    if (out) memset(out, 0, sizeof *out);
    if (s == NULL || out == NULL || name == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    out->alloc = s->alloc;
    r = crioimg__st_lock(s, 0);
    if (r != CRIOIMG_OK) return r;
    r = crioimg__st_view_load(s, &v, 1, 1);
    if (r == CRIOIMG_OK) r = crioimg__st_resolve(s, &v, name, &t);
    if (r == CRIOIMG_OK && t.id == NULL) r = crioimg__st_fail(s, CRIOIMG_ERR_IMAGE_UNKNOWN, "image not known: ", name, NULL);
    if (r == CRIOIMG_OK && v.cache.buf) r = crioimg__st_verify(s, &v, t.id);
    if (r == CRIOIMG_OK) r = crioimg__st_build(s, &v, t.id, out);
    if (r == CRIOIMG_OK && out->n != 1) { crioimg_image_list_free(out); r = CRIOIMG_ERR_IMAGE_UNKNOWN; }
    crioimg__st_view_free(s, &v);
    crioimg__st_unlock(s);
    return r;
}

/* ---- changes ---- */

CRIOIMG__ST_SHARED int crioimg__st_cmpstr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int crioimg__st_findmf(const void *key, const void *elem)
{
    return strcmp((const char *)key, ((const crioimg__st_mf *)elem)->digest);
}

/* Writes the entries that keep[] marks (plus extra), then deletes the blobs that only dropped
   manifests referenced. The index goes first: a crash after it leaves unreferenced blobs, never an
   entry without its blobs. When a remaining manifest cannot be read, nothing is deleted: what it
   references is unknown. */
static crioimg_result crioimg__st_commit(crioimg_store *s, crioimg__st_view *v, const unsigned char *keep,
                                         const crioimg_store_entry *extra, size_t nextra, int gc)
{
    crioimg_store_entry *ne;
    size_t i, k, nn = 0, nkeep = 0, ncand = 0;
    const char **kept = NULL, **cand = NULL;
    unsigned char *mfkept = NULL;
    crioimg_result r;
    CRIOIMG__ST_MORE(s);
    CRIOIMG__ST_NEED(s, write_index);
    ne = (crioimg_store_entry *)crioimg_malloc(&s->alloc, (v->n + nextra + 1) * sizeof *ne);
    if (ne == NULL) return CRIOIMG_ERR_NOMEM;
    for (i = 0; i < v->n; i++) if (keep[i]) ne[nn++] = v->e[i];
    for (i = 0; i < nextra; i++) ne[nn++] = extra[i];
    r = s->vt.write_index(s->vt.user, ne, nn);
    crioimg_free(&s->alloc, ne);
    if (r != CRIOIMG_OK || !gc || s->vt.blob_delete == NULL) return r;
    mfkept = (unsigned char *)crioimg_malloc(&s->alloc, v->nmf + 1);
    if (mfkept == NULL) return CRIOIMG_OK;   /* the index is written; leftover blobs are harmless */
    memset(mfkept, 0, v->nmf + 1);
    for (i = 0; i < v->n; i++) if (keep[i]) mfkept[v->mf[i]] = 1;
    for (i = 0; i < nextra; i++) {   /* the view's manifests are in digest order */
        const crioimg__st_mf *m = (const crioimg__st_mf *)bsearch(extra[i].digest, v->mfs, v->nmf, sizeof *v->mfs, crioimg__st_findmf);
        if (m) mfkept[m - v->mfs] = 1;
    }
    for (i = 0; i < v->nmf; i++) {
        if (mfkept[i] && v->mfs[i].r != CRIOIMG_OK) goto out;
        if (mfkept[i]) nkeep += v->mfs[i].nblobs; else ncand += v->mfs[i].nblobs;
    }
    kept = (const char **)crioimg_malloc(&s->alloc, (nkeep + 1) * sizeof *kept);
    cand = (const char **)crioimg_malloc(&s->alloc, (ncand + 1) * sizeof *cand);
    if (!kept || !cand) goto out;
    nkeep = ncand = 0;
    for (i = 0; i < v->nmf; i++)
        for (k = 0; k < v->mfs[i].nblobs; k++) {
            if (mfkept[i]) kept[nkeep++] = v->mfs[i].blobs[k];
            else cand[ncand++] = v->mfs[i].blobs[k];
        }
    qsort(kept, nkeep, sizeof *kept, crioimg__st_cmpstr);
    qsort(cand, ncand, sizeof *cand, crioimg__st_cmpstr);
    for (i = 0; i < ncand; i++) {
        if (i > 0 && strcmp(cand[i], cand[i - 1]) == 0) continue;
        if (nkeep && bsearch(&cand[i], kept, nkeep, sizeof *kept, crioimg__st_cmpstr)) continue;
        (void)s->vt.blob_delete(s->vt.user, cand[i]);   /* already gone is fine */
    }
out:
    crioimg_free(&s->alloc, kept);
    crioimg_free(&s->alloc, cand);
    crioimg_free(&s->alloc, mfkept);
    return CRIOIMG_OK;
}

/* Adds entries naming manifest (media type, size) with names[] (normalised already), taking each name
   from wherever it was; a manifest that so loses its last entry keeps one without a name. Sorts and
   per-manifest counts, so that it is O(n log n) however many names either side has. */
static int crioimg__st_findkey(const void *key, const void *elem)
{
    return strcmp((const char *)key, ((const crioimg__st_sortkey *)elem)->key);
}

static crioimg_result crioimg__st_add_names(crioimg_store *s, crioimg__st_view *v, const char *digest,
                                            const char *media_type, long long size, const char *const *names, size_t nn)
{
    unsigned char *keep, *first;
    size_t *left;                 /* per manifest: the entries it keeps */
    crioimg_store_entry *extra;
    crioimg__st_sortkey *k;
    size_t i, nx = 0;
    int have_unnamed = 0;
    crioimg_result r = CRIOIMG_ERR_NOMEM;
    keep = (unsigned char *)crioimg_malloc(&s->alloc, v->n + nn + 1);
    extra = (crioimg_store_entry *)crioimg_malloc(&s->alloc, (nn + v->n + 1) * sizeof *extra);
    left = (size_t *)crioimg_malloc(&s->alloc, (v->nmf + 1) * sizeof *left);
    k = (crioimg__st_sortkey *)crioimg_malloc(&s->alloc, (nn + 1) * sizeof *k);
    if (!keep || !extra || !left || !k) goto done;
    first = keep + v->n;
    /* the new names, sorted: the first of each run is the one added, and a look-up for the entries */
    for (i = 0; i < nn; i++) crioimg__st_setkey(&k[i], names[i], i);
    qsort(k, nn, sizeof *k, crioimg__st_cmpkey);
    for (i = 0; i < nn; i++) first[k[i].i] = i == 0 || strcmp(k[i].key, k[i - 1].key) != 0;
    memset(left, 0, (v->nmf + 1) * sizeof *left);
    for (i = 0; i < v->n; i++) {
        keep[i] = !(v->names[i] && nn && bsearch(v->names[i], k, nn, sizeof *k, crioimg__st_findkey));
        if (keep[i]) left[v->mf[i]]++;
        if (strcmp(v->e[i].digest, digest) == 0 && v->e[i].name[0] == '\0') have_unnamed = 1;
    }
    for (i = 0; i < nn; i++) {
        if (!first[i]) continue;
        extra[nx].name = names[i]; extra[nx].media_type = media_type; extra[nx].digest = digest; extra[nx].size = size;
        nx++;
    }
    if (nn == 0 && !have_unnamed) {
        extra[nx].name = ""; extra[nx].media_type = media_type; extra[nx].digest = digest; extra[nx].size = size;
        nx++;
    }
    /* a manifest left without entries keeps an unnamed one: its image stays, as containers/storage keeps it */
    for (i = 0; i < v->n; i++) {
        if (keep[i] || left[v->mf[i]] || strcmp(v->e[i].digest, digest) == 0) continue;
        extra[nx] = v->e[i]; extra[nx].name = ""; nx++;
        left[v->mf[i]] = 1;   /* once */
    }
    r = crioimg__st_commit(s, v, keep, extra, nx, 0);
done:
    crioimg_free(&s->alloc, keep);
    crioimg_free(&s->alloc, extra);
    crioimg_free(&s->alloc, left);
    crioimg_free(&s->alloc, k);
    return r;
}

/* Normalises names into one arena block: NULL and a detail on the first invalid one. */
static crioimg_result crioimg__st_norm_names(crioimg_store *s, const char *const *names, size_t nn, char ***out)
{
    size_t i;
    char **o;
    *out = NULL;
    o = (char **)crioimg_malloc(&s->alloc, (nn + 1) * (sizeof *o + CRIOIMG_REF_STRING_MAX + 1));
    if (o == NULL) return CRIOIMG_ERR_NOMEM;
    for (i = 0; i < nn; i++) {
        crioimg_ref ref;
        crioimg_result r = names[i] ? crioimg_ref_parse_docker(&ref, names[i], strlen(names[i])) : CRIOIMG_ERR_INVALID_ARGS;
        o[i] = (char *)(o + nn + 1) + i * (CRIOIMG_REF_STRING_MAX + 1);
        if (r != CRIOIMG_OK) {   /* "NAME: " and Go's words for what is wrong with it */
            char why[256];
            crioimg_free(&s->alloc, o);
            if (names[i] == NULL) return crioimg__st_fail(s, r, "NULL image name", NULL, NULL);
            crioimg_ref_error_message(r, names[i], strlen(names[i]), why, sizeof why);
            return crioimg__st_fail(s, r, names[i], ": ", why);
        }
        crioimg_ref_string(&ref, o[i], CRIOIMG_REF_STRING_MAX + 1);
    }
    *out = o;
    return CRIOIMG_OK;
}

crioimg_result crioimg_store_add_image(crioimg_store *s, const char *manifest_digest, const char *const *names, size_t nnames)
{
    crioimg_result r;
    crioimg__st_view v;
    void *data = NULL;
    size_t len = 0, i;
    char **norm = NULL;
    crioimg_manifest man;
    crioimg_manifest_opts mo;
    long long sz;
    char media[128];
    if (s == NULL || manifest_digest == NULL || (names == NULL && nnames)) return CRIOIMG_ERR_INVALID_ARGS;
    s->err[0] = '\0';
    if (!crioimg__st_digest_ok(manifest_digest))
        return crioimg__st_fail(s, CRIOIMG_ERR_DIGEST_FORMAT, "invalid manifest digest \"", manifest_digest, "\"");
    r = crioimg__st_norm_names(s, names, nnames, &norm);
    if (r != CRIOIMG_OK) return r;
    r = crioimg__st_lock(s, 1);
    if (r != CRIOIMG_OK) { crioimg_free(&s->alloc, norm); return r; }
    memset(&v, 0, sizeof v);
    memset(&man, 0, sizeof man);
    memset(&mo, 0, sizeof mo);
    mo.alloc = s->alloc;
    r = crioimg__st_get(s, manifest_digest, 0, &data, &len);
    if (r != CRIOIMG_OK) goto done;
    r = crioimg_manifest_parse(&man, (const char *)data, len, NULL, &mo);
    if (r != CRIOIMG_OK) { crioimg__st_fail(s, r, "manifest: ", man.err, NULL); goto done; }
    if (man.kind != CRIOIMG_MANIFEST_OCI && man.kind != CRIOIMG_MANIFEST_DOCKER_V2) {
        r = crioimg__st_fail(s, CRIOIMG_ERR_MANIFEST_UNSUPPORTED, "manifest ", manifest_digest, ": not an image manifest");
        goto done;
    }
    {
        crioimg_digest dg;
        if (crioimg_digest_parse(&dg, man.config.digest, strlen(man.config.digest)) != CRIOIMG_OK || dg.alg != CRIOIMG_DIGEST_SHA256) {
            r = crioimg__st_fail(s, CRIOIMG_ERR_MANIFEST_UNSUPPORTED, "manifest ", manifest_digest, ": config digest is not sha256 (no image ID)");
            goto done;
        }
    }
    for (i = 0; i <= man.nlayers; i++) {
        const crioimg_descriptor *d = i == 0 ? &man.config : &man.layers[i - 1];
        r = crioimg__st_blob_stat(s, d->digest, &sz);
        if (r == CRIOIMG_OK && sz != d->size) r = CRIOIMG_ERR_SIZE_MISMATCH;
        if (r != CRIOIMG_OK) { crioimg__st_fail(s, r, "blob ", d->digest, r == CRIOIMG_ERR_NOT_FOUND ? crioimg__st_t_absent : ": wrong size"); goto done; }
    }
    {
        size_t ml = strlen(man.media_type);
        if (ml >= sizeof media) ml = sizeof media - 1;
        memcpy(media, man.media_type, ml); media[ml] = '\0';
    }
    r = crioimg__st_view_load(s, &v, 0, 0);
    if (r == CRIOIMG_OK) r = crioimg__st_add_names(s, &v, manifest_digest, media, (long long)len, (const char *const *)norm, nnames);
done:
    crioimg_manifest_free(&man);
    crioimg_free(&s->alloc, data);
    crioimg__st_view_free(s, &v);
    crioimg__st_unlock(s);
    crioimg_free(&s->alloc, norm);
    return r;
}

/* The entry of image id a name new (normalised) is to point at: with a digest, that manifest's entry (one
   of the image's, as containers/storage refuses another), else the image's first. v->n, with s->err
   said, when there is none. */
static size_t crioimg__st_tag_entry(crioimg_store *s, const crioimg__st_view *v, const char *id, const char *norm)
{
    const char *at = strchr(norm, '@');
    size_t i;
    crioimg__out o;
    for (i = 0; i < v->n; i++)
        if (strcmp(v->mfs[v->mf[i]].id, id) == 0 && (at == NULL || strcmp(v->e[i].digest, at + 1) == 0)) return i;
    o.p = s->err; o.cap = sizeof s->err; o.len = 0;
    crioimg__out_str(&o, norm);
    crioimg__out_str(&o, ": its digest is not the manifest digest of image ");
    crioimg__out_str(&o, id);
    for (i = 0; i < v->n; i++)   /* say which digest the image has */
        if (strcmp(v->mfs[v->mf[i]].id, id) == 0) { crioimg__out_str(&o, " ("); crioimg__out_str(&o, v->e[i].digest); crioimg__out_str(&o, ")"); break; }
    return v->n;
}

crioimg_result crioimg_store_tag(crioimg_store *s, const char *name_or_id, const char *new_name)
{
    return crioimg_store_tag_names(s, name_or_id, &new_name, 1);
}

crioimg_result crioimg_store_tag_names(crioimg_store *s, const char *name_or_id, const char *const *new_names, size_t n)
{
    crioimg_result r;
    crioimg__st_view v;
    crioimg__st_target t;
    char **norm = NULL, id[CRIOIMG_DIGEST_STRING_MAX + 1];
    size_t i, k, e;
    if (s == NULL || name_or_id == NULL || (new_names == NULL && n)) return CRIOIMG_ERR_INVALID_ARGS;
    s->err[0] = '\0';
    r = crioimg__st_norm_names(s, new_names, n, &norm);
    if (r != CRIOIMG_OK) return r;
    r = crioimg__st_lock(s, 1);
    if (r != CRIOIMG_OK) { crioimg_free(&s->alloc, norm); return r; }
    r = crioimg__st_view_load(s, &v, 1, 0);
    if (r == CRIOIMG_OK) r = crioimg__st_resolve(s, &v, name_or_id, &t);
    if (r == CRIOIMG_OK && t.id == NULL) r = crioimg__st_fail(s, CRIOIMG_ERR_IMAGE_UNKNOWN, "image not known: ", name_or_id, NULL);
    if (r == CRIOIMG_OK) {
        if (strlen(t.id) >= sizeof id) r = CRIOIMG_ERR_STORE_CORRUPT;
        else strcpy(id, t.id);   /* the view is loaded again below: the ID outlives it */
    }
    for (k = 0; r == CRIOIMG_OK && k < n; k++)   /* every name checked before any is given */
        if (crioimg__st_tag_entry(s, &v, id, norm[k]) == v.n) r = CRIOIMG_ERR_DIGEST_MISMATCH;
    /* each name to its entry: one commit for all names of one entry (the usual case: one commit), the view
       read again after each, under the one lock */
    for (k = 0; r == CRIOIMG_OK && k < n; k++) {
        const char *group[64];
        size_t ng = 0;
        if (norm[k][0] == '\0') continue;   /* given with an earlier group */
        e = crioimg__st_tag_entry(s, &v, id, norm[k]);
        for (i = k; i < n && ng < sizeof group / sizeof *group; i++)
            if (norm[i][0] && crioimg__st_tag_entry(s, &v, id, norm[i]) == e) group[ng++] = norm[i];
        r = crioimg__st_add_names(s, &v, v.e[e].digest, v.e[e].media_type, v.e[e].size, group, ng);
        for (i = 0; i < ng; i++) ((char *)group[i])[0] = '\0';
        crioimg__st_view_free(s, &v);
        if (r == CRIOIMG_OK && k + 1 < n) r = crioimg__st_view_load(s, &v, 1, 0);
    }
    crioimg__st_view_free(s, &v);
    crioimg__st_unlock(s);
    crioimg_free(&s->alloc, norm);
    return r;
}

/* untag (remove_all 0) and remove (1). */
static crioimg_result crioimg__st_drop(crioimg_store *s, const char *name, int remove_all)
{
    crioimg_result r;
    crioimg__st_view v;
    crioimg__st_target t;
    unsigned char *keep = NULL;
    size_t i;
    if (s == NULL || name == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    r = crioimg__st_lock(s, 1);
    if (r != CRIOIMG_OK) return r;
    r = crioimg__st_view_load(s, &v, 1, 0);
    if (r == CRIOIMG_OK) {
        r = crioimg__st_resolve(s, &v, name, &t);
        /* a name whose manifest is broken can still be untagged or removed: only its entries go */
        if (r != CRIOIMG_OK && t.id == NULL && t.norm[0] && v.n && t.entry < v.n && v.names[t.entry] &&
            strcmp(v.names[t.entry], t.norm) == 0)
            r = CRIOIMG_OK, s->err[0] = '\0';
    }
    if (r == CRIOIMG_OK) {
        keep = (unsigned char *)crioimg_malloc(&s->alloc, v.n + 1);
        if (keep == NULL) r = CRIOIMG_ERR_NOMEM;
    }
    if (r == CRIOIMG_OK) {
        int whole = remove_all || t.by_id || t.id == NULL;
        size_t named_left = 0;
        for (i = 0; i < v.n; i++) {
            const crioimg__st_mf *m = &v.mfs[v.mf[i]];
            int mine = t.id ? strcmp(m->id, t.id) == 0 : (v.names[i] && strcmp(v.names[i], t.norm) == 0);
            keep[i] = 1;
            if (!mine) continue;
            if (whole || (v.names[i] && strcmp(v.names[i], t.norm) == 0)) keep[i] = 0;
            else if (v.names[i]) named_left++;
        }
        if (!whole && named_left == 0)   /* that was its last name: the image goes */
            for (i = 0; i < v.n; i++) if (strcmp(v.mfs[v.mf[i]].id, t.id) == 0) keep[i] = 0;
        r = crioimg__st_commit(s, &v, keep, NULL, 0, 1);
    }
    crioimg_free(&s->alloc, keep);
    crioimg__st_view_free(s, &v);
    crioimg__st_unlock(s);
    return r;
}

crioimg_result crioimg_store_untag(crioimg_store *s, const char *name) { return crioimg__st_drop(s, name, 0); }
crioimg_result crioimg_store_remove(crioimg_store *s, const char *name_or_id) { return crioimg__st_drop(s, name_or_id, 1); }

void crioimg_image_write_json(const crioimg_image *img, crioimg_json_writer *w)
{
    size_t i;
    crioimg_json_write_object_begin(w);
    crioimg_json_write_key(w, "id", 2);
    crioimg_json_write_string(w, img->id, strlen(img->id));
    crioimg_json_write_key(w, "names", 5);
    crioimg_json_write_array_begin(w);
    for (i = 0; i < img->nnames; i++) crioimg_json_write_string(w, img->names[i], strlen(img->names[i]));
    crioimg_json_write_array_end(w);
    crioimg_json_write_key(w, "digests", 7);
    crioimg_json_write_array_begin(w);
    for (i = 0; i < img->ndigests; i++) crioimg_json_write_string(w, img->digests[i], strlen(img->digests[i]));
    crioimg_json_write_array_end(w);
    crioimg_json_write_key(w, "size", 4);
    if (img->size < 0) crioimg_json_write_null(w); else crioimg_json_write_int(w, img->size);
    crioimg_json_write_key(w, "imageRef", 8);
    crioimg_json_write_string(w, img->image_ref, strlen(img->image_ref));
    crioimg_json_write_object_end(w);
}

/* ---- index.json, as the OCI layout store reads and writes it ---- */


/* The OCI ref.name grammar (image-spec annotations): components of alphanumerics joined by one of
   -._:@+ or "--", separated by '/'. containers/image checks oci: names with the same expression. */
static int crioimg__st_oci_name_ok(const char *s)
{
    size_t i = 0, n = strlen(s);
    while (i < n) {
        size_t run = 0;
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9'))) return 0;
        while (i < n && ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9'))) i++;
        if (i == n) return 1;
        if (s[i] == '/') { i++; if (i == n) return 0; continue; }
        while (i + run < n && strchr("-._:@+", s[i + run]) && s[i + run] != '\0') run++;
        if (run == 0) return 0;
        if (!(run == 1 || (run == 2 && s[i] == '-' && s[i + 1] == '-'))) return 0;
        i += run;
        if (i == n) return 0;
    }
    return n > 0;
}

crioimg_result crioimg_store_index_parse(const char *data, size_t len, const crioimg_allocator *a,
                                         crioimg_store_entry **entries, size_t *n, char *errout, size_t errcap)
{
    void *arena = NULL;
    size_t i, t, k, total = 0;
    char err[512];
    crioimg_json doc;
    crioimg_json_opts jo;
    crioimg_store_entry *e = NULL;
    crioimg_result r;
    if (entries == NULL || n == NULL || (data == NULL && len)) return CRIOIMG_ERR_INVALID_ARGS;
    *entries = NULL; *n = 0; err[0] = '\0';
    if (crioimg_allocator_check(a) != CRIOIMG_OK) return CRIOIMG_ERR_INVALID_ARGS;
    memset(&jo, 0, sizeof jo);
    jo.max_size = CRIOIMG__OCI_INDEX_MAX;
    if (a) jo.alloc = *a;
    r = crioimg_json_parse(&doc, data, len, &jo);
    if (r != CRIOIMG_OK) {
        crioimg__st_fail3(err, r == CRIOIMG_ERR_NOMEM ? r : CRIOIMG_ERR_STORE_CORRUPT, "index.json: ", doc.err, NULL);
        if (errcap) { crioimg__out eo; eo.p = errout; eo.cap = errcap; eo.len = 0; errout[0] = '\0'; crioimg__out_str(&eo, err); }
        return r == CRIOIMG_ERR_NOMEM ? r : CRIOIMG_ERR_STORE_CORRUPT;
    }
    r = CRIOIMG_OK;
    if (doc.tok[0].type != CRIOIMG_JSON_OBJECT) { r = crioimg__st_fail3(err, CRIOIMG_ERR_STORE_CORRUPT, "index.json: not an object", NULL, NULL); goto done; }
    t = crioimg_json_get(&doc, 0, "manifests");
    if (t == CRIOIMG_JSON_NONE) goto done;    /* no images */
    if (doc.tok[t].type != CRIOIMG_JSON_ARRAY) { r = crioimg__st_fail3(err, CRIOIMG_ERR_STORE_CORRUPT, "index.json: manifests is not an array", NULL, NULL); goto done; }
    e = (crioimg_store_entry *)crioimg_malloc(a, (doc.tok[t].count + 1) * sizeof *e);
    if (e == NULL) { r = CRIOIMG_ERR_NOMEM; goto done; }
    for (i = t + 1, k = 0; k < doc.tok[t].count; i = doc.tok[i].next, k++) {
        size_t dt, mt, st, an, nm;
        long long sz = 0;
        char where[64];
        char *strs[3];
        size_t toks[3], j;
        crioimg__out wo;
        wo.p = where; wo.cap = sizeof where; wo.len = 0;
        crioimg__out_str(&wo, "index.json: manifests[");
        crioimg__out_uint(&wo, k);
        crioimg__out_str(&wo, "]: ");
        if (doc.tok[i].type != CRIOIMG_JSON_OBJECT) { r = crioimg__st_fail3(err, CRIOIMG_ERR_STORE_CORRUPT, where, crioimg__st_t_notobj, NULL); goto done; }
        dt = crioimg_json_get(&doc, i, "digest");
        mt = crioimg_json_get(&doc, i, "mediaType");
        st = crioimg_json_get(&doc, i, "size");
        an = crioimg_json_get(&doc, i, "annotations");
        nm = crioimg_json_get(&doc, an, CRIOIMG_STORE_NAME_ANNOTATION);
        if (nm == CRIOIMG_JSON_NONE) nm = crioimg_json_get(&doc, an, CRIOIMG_OCI_REF_NAME_ANNOTATION);
        if (dt == CRIOIMG_JSON_NONE || doc.tok[dt].type != CRIOIMG_JSON_STRING) { r = crioimg__st_fail3(err, CRIOIMG_ERR_STORE_CORRUPT, where, "no digest", NULL); goto done; }
        if (st != CRIOIMG_JSON_NONE && crioimg_json_int(&doc, st, 0, (long long)CRIOIMG__OCI_INDEX_MAX * 4, &sz) != CRIOIMG_OK) {
            r = crioimg__st_fail3(err, CRIOIMG_ERR_STORE_CORRUPT, where, "bad size", NULL); goto done;
        }
        toks[0] = nm; toks[1] = mt; toks[2] = dt;
        for (j = 0; j < 3; j++) {
            size_t l = (toks[j] != CRIOIMG_JSON_NONE && doc.tok[toks[j]].type == CRIOIMG_JSON_STRING) ? crioimg_json_string(&doc, toks[j], NULL, 0) : 0;
            strs[j] = (char *)crioimg__arena_alloc(&arena, a, l + 1);
            if (strs[j] == NULL) { r = CRIOIMG_ERR_NOMEM; goto done; }
            strs[j][0] = '\0';
            if (l) crioimg_json_string(&doc, toks[j], strs[j], l + 1);
            if (strlen(strs[j]) != l) { r = crioimg__st_fail3(err, CRIOIMG_ERR_STORE_CORRUPT, where, "NUL in a string", NULL); goto done; }
            total += l + 1;
        }
        /* the digest becomes a path: checked before anything else sees it (CVE-2024-3727) */
        if (!crioimg__st_digest_ok(strs[2])) {
            char msg[300];
            crioimg_digest dg;
            crioimg_result dr = crioimg_digest_parse(&dg, strs[2], strlen(strs[2]));
            if (dr == CRIOIMG_OK) dr = CRIOIMG_ERR_DIGEST_UNSUPPORTED;
            crioimg_digest_error_message(dr, strs[2], strlen(strs[2]), msg, sizeof msg);
            r = crioimg__st_fail3(err, CRIOIMG_ERR_STORE_CORRUPT, where, msg, NULL);
            goto done;
        }
        e[k].name = strs[0]; e[k].media_type = strs[1]; e[k].digest = strs[2]; e[k].size = sz;
    }
    {   /* one block, as read_index hands it over (crioimg_store_entries_pack's layout, made here from what
           was counted: a listing then does not link that function's general checks) */
        size_t cnt = doc.tok[t].count;
        crioimg_store_entry *blk = cnt > ((size_t)-1 - total - 1) / sizeof *blk ? NULL :
                                   (crioimg_store_entry *)crioimg_malloc(a, cnt * sizeof *blk + total + 1);
        if (blk == NULL) { r = CRIOIMG_ERR_NOMEM; goto done; }
        crioimg__st_pack_into(blk, e, cnt);
        *entries = blk;
        *n = cnt;
    }
done:
    crioimg_free(a, e);
    crioimg__arena_free(&arena, a);
    crioimg_json_free(&doc);
    if (r != CRIOIMG_OK && errcap) { crioimg__out eo; eo.p = errout; eo.cap = errcap; eo.len = 0; errout[0] = '\0'; crioimg__out_str(&eo, err); }
    return r;
}

void crioimg_store_index_write(const crioimg_store_entry *e, size_t n, crioimg_json_writer *wp)
{
    size_t i;
    crioimg_json_write_object_begin(wp);
    crioimg_json_write_key(wp, "schemaVersion", 13);
    crioimg_json_write_int(wp, 2);
    crioimg_json_write_key(wp, "mediaType", 9);
    crioimg_json_write_string(wp, CRIOIMG_MEDIA_OCI_INDEX, strlen(CRIOIMG_MEDIA_OCI_INDEX));
    crioimg_json_write_key(wp, "manifests", 9);
    crioimg_json_write_array_begin(wp);
    for (i = 0; i < n; i++) {
        crioimg_json_write_object_begin(wp);
        crioimg_json_write_key(wp, "mediaType", 9);
        crioimg_json_write_string(wp, e[i].media_type, strlen(e[i].media_type));
        crioimg_json_write_key(wp, "digest", 6);
        crioimg_json_write_string(wp, e[i].digest, strlen(e[i].digest));
        crioimg_json_write_key(wp, "size", 4);
        crioimg_json_write_int(wp, e[i].size);
        if (e[i].name[0]) {
            const char *key = crioimg__st_oci_name_ok(e[i].name) ? CRIOIMG_OCI_REF_NAME_ANNOTATION : CRIOIMG_STORE_NAME_ANNOTATION;
            crioimg_json_write_key(wp, "annotations", 11);
            crioimg_json_write_object_begin(wp);
            crioimg_json_write_key(wp, key, strlen(key));
            crioimg_json_write_string(wp, e[i].name, strlen(e[i].name));
            crioimg_json_write_object_end(wp);
        }
        crioimg_json_write_object_end(wp);
    }
    crioimg_json_write_array_end(wp);
    crioimg_json_write_object_end(wp);
}
