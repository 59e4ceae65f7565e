/* ---------------------------------------------------------------------------------------------------
   store implementation, what its parts share (store.c, store_gc.c, store_memory.c, store_oci.c): the
   store's struct, the listing cache's and the view's types, and the generic layer's helpers
   --------------------------------------------------------------------------------------------------- */
#include "internal.h"
/* static in the one translation unit crioimg.h makes; extern in a part compiled alone (internal.h) */
#ifdef CRIOIMG__ALONE
#  define CRIOIMG__ST_SHARED
#else
#  define CRIOIMG__ST_SHARED static
#endif
/* manifest.c's arena, which the store's views use */
CRIOIMG__ST_SHARED void *crioimg__arena_alloc(void **head, const crioimg_allocator *a, size_t size);
CRIOIMG__ST_SHARED void crioimg__arena_free(void **head, const crioimg_allocator *a);

/* The listing cache (the OCI store's .crioimg-cache; see store.h for what it holds and when it is
   trusted). The format is the generic layer's; the store only finds the file, says how its blob
   directories look now, and writes a new one. */
typedef struct crioimg__st_cache {
    char *buf;                          /* the file as read, or NULL */
    size_t len;
    unsigned long long cur[4][5];       /* per digest algorithm: blobs/<alg> exists, dev, inode, mtime s, ns */
    int usable;                         /* cur was taken (else the cache is neither read nor written) */
    int trusted;                        /* the file's blob sizes still hold */
    int fresh;                          /* a new file was begun: its stats come after its stamp */
    int fresh_trusted;                  /* ... and the directories' mtimes are older than its start */
    int fd;                             /* the new file, -1 when none */
    char tmp[96];
} crioimg__st_cache;

typedef struct crioimg__st_cacheops {
    /* reads the file (c->buf, c->len, best effort) and the directories' state now (c->cur, c->usable) */
    void (*load)(void *user, const crioimg_allocator *a, crioimg__st_cache *c);
    /* starts a new file (c->fd, c->tmp, c->fresh_trusted); 0 when none can be written */
    int (*begin)(void *user, crioimg__st_cache *c);
    /* writes data to the new file and renames it into place; data NULL throws it away */
    void (*end)(void *user, crioimg__st_cache *c, const void *data, size_t len);
} crioimg__st_cacheops;

struct crioimg_store {
    crioimg_store_vtable vt;
    crioimg_allocator alloc;
    int read_only;
    const volatile int *cancel;   /* opts->cancel: copies into this store stop when it is nonzero */
    char err[512];
    crioimg_hasher hash[4];      /* by algorithm, set up once: asking the CPU for SHA paths costs microseconds */
    unsigned char hash_ready[4];
    const crioimg__st_cacheops *cache;   /* the built-in OCI store's listing cache; NULL for other stores */
    int more;                    /* the built-in OCI store, whose methods past reading are not set yet */
};

typedef struct crioimg__st_mf {
    const char *digest;      /* into the index block */
    char id[65];             /* config hex; "" when not an image manifest or unreadable */
    crioimg_result r;        /* why it could not be read, or OK */
    long long size;          /* config + layers, -1 when a blob is missing or differs */
    const char **blobs;      /* every blob it references, itself first (for removal) */
    size_t nblobs;
    size_t group;            /* the image it belongs to (index into the view's ids) */
    long long *decl;         /* an image manifest's: per blob the size it declares (its own size first) */
    int cacheable;           /* an image manifest whose every descriptor is valid: the cache may keep it */
    int nested;              /* an index with an index among its manifests, whose blobs are not listed */
} crioimg__st_mf;

/* a blob size already asked for */
typedef struct crioimg__st_statc { const char *d; long long size; crioimg_result r; } crioimg__st_statc;

typedef struct crioimg__st_view {
    crioimg_store_entry *e;  /* the index, one block */
    size_t n;
    const char **names;      /* per entry: the normalised name, or NULL when it names nothing */
    size_t *mf;              /* per entry: its manifest in mfs */
    crioimg__st_mf *mfs;
    size_t nmf;
    void *arena;
    /* blob sizes already asked for: images share layers, and each is stat()ed once per view */
    crioimg__st_statc *statc;
    size_t statcap, statn;
    crioimg__st_cache cache; /* the listing cache, when the store has one; its buffer lives as long as the view */
} crioimg__st_view;

#define CRIOIMG__ST_COPY_CHUNK ((size_t)256 << 10)       /* one read of a streamed copy or verification */
#define CRIOIMG__OCI_INDEX_MAX ((size_t)1 << 30)         /* index.json: about five million entries */

/* The generic layer's helpers (store.c) the other parts use; what a store's error detail is: store.h */
CRIOIMG__ST_SHARED crioimg_result crioimg__st_fail3(char *err, crioimg_result r, const char *a, const char *b, const char *c);
CRIOIMG__ST_SHARED crioimg_result crioimg__st_fail(crioimg_store *s, crioimg_result r, const char *a, const char *b, const char *c);
CRIOIMG__ST_SHARED crioimg_result crioimg__st_ctor_fail3(const crioimg_store_opts *opts, crioimg_result r, const char *a, const char *b, const char *c);
#define crioimg__st_ctor_fail(opts, r, a, b) crioimg__st_ctor_fail3((opts), (r), (a), (b), NULL)
/* a missing method is a clear ERR_UNSUPPORTED */
#define CRIOIMG__ST_NEED(s, m) \
    do { if ((s)->vt.m == NULL) return crioimg__st_fail((s), CRIOIMG_ERR_UNSUPPORTED, "store has no " #m " method", NULL, NULL); } while (0)
/* The built-in OCI store sets its methods past listing and reading whole blobs (writes, streaming
   reads, blob_list, clean) only when an entry point that calls them asks (store_oci.c): every use of
   those methods is behind CRIOIMG__ST_MORE, so a program that only lists does not link them. */
CRIOIMG__ST_SHARED void crioimg__oci_more(crioimg_store *s);
#define CRIOIMG__ST_MORE(s) do { if ((s)->more) crioimg__oci_more(s); } while (0)
/* crioimg_store_open's steps: out, opts->err and the allocator (every constructor), then the handle around
   a checked vtable (the built-in stores' own need no check) */
CRIOIMG__ST_SHARED crioimg_result crioimg__st_ctor_check(crioimg_store **out, const crioimg_store_opts *opts);
CRIOIMG__ST_SHARED crioimg_result crioimg__st_new(crioimg_store **out, const crioimg_store_vtable *vt, const crioimg_store_opts *opts);
CRIOIMG__ST_SHARED int crioimg__st_digest_ok(const char *d);
CRIOIMG__ST_SHARED crioimg_result crioimg__st_lock(crioimg_store *s, int exclusive);
/* also archive.c's (save): the index as entries, and a name normalised as ParseDockerRef makes it */
CRIOIMG__ST_SHARED crioimg_result crioimg__st_read_index(crioimg_store *s, crioimg_store_entry **e, size_t *n);
CRIOIMG__ST_SHARED int crioimg__st_norm(const char *name, char out[CRIOIMG_REF_STRING_MAX + 1], crioimg_ref *ref);
CRIOIMG__ST_SHARED void crioimg__st_unlock(crioimg_store *s);
CRIOIMG__ST_SHARED crioimg_result crioimg__st_blob_stat(crioimg_store *s, const char *d, long long *size);
CRIOIMG__ST_SHARED crioimg_result crioimg__st_read_index(crioimg_store *s, crioimg_store_entry **e, size_t *n);
/* the normalised form of a stored or given name, as ParseDockerRef makes it; 0 when it is no reference */
CRIOIMG__ST_SHARED int crioimg__st_norm(const char *name, char out[CRIOIMG_REF_STRING_MAX + 1], crioimg_ref *ref);
CRIOIMG__ST_SHARED crioimg_result crioimg__st_open_reader(crioimg_store *s, const char *digest, long long limit, crioimg_blob_reader **out);
CRIOIMG__ST_SHARED crioimg_result crioimg__st_view_load(crioimg_store *s, crioimg__st_view *v, int manifests, int save);
CRIOIMG__ST_SHARED void crioimg__st_view_free(crioimg_store *s, crioimg__st_view *v);
CRIOIMG__ST_SHARED crioimg_result crioimg__st_vstat(crioimg_store *s, crioimg__st_view *v, const char *d, long long *size);
CRIOIMG__ST_SHARED int crioimg__st_cmpstr(const void *a, const void *b);
CRIOIMG__ST_SHARED crioimg_result crioimg__st_copy_one(crioimg_store *dst, crioimg_store *src, const char *manifest_digest,
                                           const char *const *names, size_t nnames);
/* store_gc.c: what a failed copy wrote goes again when nothing references it */
