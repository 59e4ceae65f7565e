/* ---------------------------------------------------------------------------------------------------
   store: where images live, and the image service's list / status / tag / untag / remove

   A store is a vtable over two things, the way an OCI image layout is made: an index (a list of
   entries, each a manifest digest with at most one image name) and content-addressed blobs. Everything
   the image service does is built on those once, here, so a host store only moves bytes:

     crioimg_store *s;
     crioimg_store_open_oci(&s, "/var/lib/crioimg", NULL);        or crioimg_store_open_memory, or
                                                                  crioimg_store_open(&s, &my_vtable, NULL)
     crioimg_image_list l;
     crioimg_store_list(s, NULL, &l);                             every image: l.images[i].id, names ...
     crioimg_image_list_free(&l);
     crioimg_store_untag(s, "nginx:1.25");                        the last name gone: the image goes too
     crioimg_store_remove(s, "4a1f");                             full ID, unique ID prefix, short name,
                                                                  full name or containers-storage: name
     crioimg_store_close(s);
     crioimg_store_error(s) says what exactly failed, after any failure (before close).

   Errors. After a failure, crioimg_store_error(s) is never empty. A constructor that fails has no
   handle to ask, so it hands its text back: set opts.err/opts.errcap (a caller's buffer; the text is
   NUL-terminated, truncated, never overflowed) and crioimg_store_open_oci writes there why it failed,
   naming the directory: "DIR: no such directory", "DIR: is a file, not a directory", "DIR: permission
   denied", "DIR: not an OCI image layout (no oci-layout file)", "DIR: oci-layout: ...". Left "" on success.

   A handle is for one thread at a time. Threads (and processes) that share a store each open their
   own handle: the OCI store's lock then keeps them apart.

   Images. An image's ID is its config digest's hex, as containers/storage makes it; every index entry
   whose manifest has that config belongs to it. Its names are the entries' names, normalised
   ("docker.io/library/nginx:1.25"); a name without tag or digest gets ":latest"; if a name has both,
   the digest wins (ParseDockerRef). A name belongs to one image at a time: giving it to another image
   takes it from the first.

   Repo digests ("repository@manifest-digest", crioimg_image.digests). CRI-O pairs each name's
   repository with the image's one digest; libimage pairs every name with every manifest digest of the
   image, which is names x manifests (4,000 manifests of one config, each named in its own repository:
   16 million strings). Here each repository of the image's names gets the image's first manifest's
   digest (CRI-O's answer), then the digest of each manifest a name of that repository points at; no
   pair twice; repositories in the order of their first names. So an image has at most one repo digest
   per repository plus one per named entry: linear in the index, and for the usual image (one
   manifest) exactly CRI-O's list.

   Cost. Listing, status, tag, untag and remove are O(n log n) in the index's entries (sorts and
   per-manifest counts, never a pass per name), in time and memory, whatever the index's shape: one
   image with 100,000 names, or thousands of manifests of one config (tests/test_store.c checks both,
   bench/store/run measures them).

   The OCI layout store (POSIX; see crioimg_store_open_oci) keeps the OCI image-layout format, so that
   skopeo (oci:DIR:NAME) and umoci (--layout DIR) read it and it reads what they write: one index.json
   entry per name, the full normalised name in "org.opencontainers.image.ref.name" when the OCI ref
   grammar allows it (it does for almost every name; not for "__", "---" or bracketed IPv6 hosts), and
   otherwise in "io.crioimg.image.name" (CRIOIMG_STORE_NAME_ANNOTATION). A ref.name written by another
   tool ("busybox:latest", "v1") is read as a reference and normalised; one that is not a valid reference
   names nothing, and is kept as it is.

   The listing cache (.crioimg-cache in the OCI store's directory). Listing needs, per image, what its
   manifest says (config, layers, their declared sizes) and whether those blobs are there with those
   sizes; without the cache that is an open and read of every manifest and a stat of every blob. What a
   manifest says never goes stale (it is content-addressed and was verified when read); only blob
   presence can. So the file keeps, per manifest digest, its config and layer digests with their
   declared sizes and the sizes seen, plus a stamp of each blobs/<alg> directory (device, inode, mtime
   to the nanosecond). The rule:
     - manifest contents in the file are used whenever the file is whole (magic, checksum, every digest
       valid, records in order); otherwise it is ignored and rebuilt;
     - the sizes seen are trusted only while every blobs/<alg> still has the stamped mtime, inode and
       device (adding, removing or renaming a blob changes its directory's mtime), and only if the file
       was begun strictly after that mtime by the file system's own clock (the new file's mtime is
       compared), so that a change in the same clock tick as the stamp cannot hide: such a "racy" file
       is written untrusted, and the next listing stats every blob and writes a trusted one;
     - when the sizes are not trusted, every blob (manifests too) is stat()ed again; a manifest whose
       size differs from its record is read again; so a blob removed by another tool is "size unknown"
       and a removed manifest is a missing image, never one served from the file.
   What the file cannot see: a blob rewritten in place (same name, new bytes, directory untouched),
   which no OCI tool does (they write a new file and rename it), nor a blob replaced by other bytes of
   the same size (a blob named by its digest holds those bytes or is corrupt); reads still verify every digest
   (crioimg_store_get_blob, and crioimg_store_image_status re-reads the image's manifests), and a file
   system clock set backwards could forge an unchanged mtime. The file is written, without fsync (a torn
   one fails its checksum), by a listing that found it stale or missing, under the store's (shared)
   lock, through a temporary file and a rename; only into stores crioimg manages (a .crioimg.lock is
   there: a read-only handle on another tool's layout writes nothing), and never when the directory is
   not writable. Deleting it is always safe. Changes (tag, untag, remove) use it as listings do (a removal
   learns from it which blobs the image held) but do not write it.
   --------------------------------------------------------------------------------------------------- */

#define CRIOIMG_STORE_VTABLE_VERSION 5   /* 2 added blob_open, blob_read, blob_close; 3 blob_sync; 4 blob_list, clean, blob_error; 5 blob_pread */
#define CRIOIMG_STORE_NAME_ANNOTATION "io.crioimg.image.name"
#define CRIOIMG_OCI_REF_NAME_ANNOTATION "org.opencontainers.image.ref.name"

/* One index entry. name is the name as the index holds it ("" for none): the store keeps it as it is. */
typedef struct crioimg_store_entry {
    const char *name;
    const char *media_type;   /* the manifest's media type */
    const char *digest;       /* the manifest's digest, "sha256:<hex>" */
    long long size;           /* the manifest's size */
} crioimg_store_entry;

/* Copies n entries into one block from crioimg_malloc(alloc, ...): the entry array followed by its
   strings, which is what a vtable's read_index hands over (and what crioimg_store_index_parse gives);
   crioimg_free(alloc, *out) frees it all. A NULL string is copied as "". n = 0 still allocates (a
   block holding no entries), so *out is never NULL on success. The built-in memory store keeps its
   index this way too. CRIOIMG_OK, ERR_NOMEM (*out NULL, nothing to free) or ERR_INVALID_ARGS (out
   NULL, or entries NULL with n > 0). */
CRIOIMG_API crioimg_result crioimg_store_entries_pack(const crioimg_store_entry *entries, size_t n,
                                                      const crioimg_allocator *alloc, crioimg_store_entry **out);

/* What a store does. Strings passed in are NUL-terminated; digests passed in are validated first (a
   known algorithm, lowercase hex of its length), so a method may build a path from one. Methods return
   CRIOIMG_OK or an error; the built-in stores also leave a detail for crioimg_store_error. A NULL method
   makes whatever needs it fail with ERR_UNSUPPORTED. The library holds the lock around every call but
   close; the lock must exclude other processes too. */
typedef struct crioimg_store_vtable {
    unsigned version;         /* CRIOIMG_STORE_VTABLE_VERSION */
    void *user;
    /* exclusive: 1 for a change, 0 for reading. Calls nest (the library never nests them itself). */
    crioimg_result (*lock)(void *user, int exclusive);
    crioimg_result (*unlock)(void *user);
    /* The whole index as one block allocated with crioimg_malloc(alloc, ...): the entry array followed
       by its strings (crioimg_store_entries_pack makes one from the host's entries); the library frees
       it with crioimg_free(alloc, *entries). An empty store: *n = 0. */
    crioimg_result (*read_index)(void *user, const crioimg_allocator *alloc, crioimg_store_entry **entries, size_t *n);
    /* Replaces the whole index, atomically: after a crash either the old or the new one is there. */
    crioimg_result (*write_index)(void *user, const crioimg_store_entry *entries, size_t n);
    /* The blob's size, or ERR_NOT_FOUND. */
    crioimg_result (*blob_stat)(void *user, const char *digest, long long *size);
    /* The blob's bytes, at most max (else ERR_TOO_BIG), in a buffer from crioimg_malloc(alloc, ...). The
       library verifies them against the digest. */
    crioimg_result (*blob_get)(void *user, const char *digest, size_t max, const crioimg_allocator *alloc,
                               void **data, size_t *len);
    /* Stores a blob whose bytes the library has verified; durable once it returns; visible only whole. */
    crioimg_result (*blob_put)(void *user, const char *digest, const void *data, size_t len);
    /* Deletes a blob; ERR_NOT_FOUND when it is not there. */
    crioimg_result (*blob_delete)(void *user, const char *digest);
    /* Releases everything; called once, by crioimg_store_close. */
    void (*close)(void *user);
    /* Streaming writes, for blobs too big to hold in memory (all four or none: without them the library
       buffers the blob and calls blob_put). begin makes somewhere to write (without the store's lock:
       a pull may take minutes, and must survive other processes' cleanup meanwhile); write appends;
       commit makes it blob digest, durable and visible whole (under the exclusive lock), and frees the
       handle; abort throws it away and frees the handle. The library hashes and counts what is
       written and commits only what matches. */
    crioimg_result (*blob_begin)(void *user, void **handle);
    crioimg_result (*blob_write)(void *user, void *handle, const void *data, size_t len);
    crioimg_result (*blob_commit)(void *user, void *handle, const char *digest);
    void (*blob_abort)(void *user, void *handle);
    /* ---- version 2 ---- */
    /* Streaming reads, for blobs too big to hold in memory (all three or none: without them, and for a
       version-1 table, the library reads the blob whole with blob_get). open (under the shared lock)
       finds the blob, ERR_NOT_FOUND when it is not there, and makes a handle; *size is its size, or -1
       when unknown. read (without the lock) gives the next bytes, at most cap, *n 0 at the end. close
       (without the lock) frees the handle. A handle must keep reading the blob it opened even when the
       blob is deleted meanwhile (the OCI store's open descriptor does; the memory store counts
       references). The library hashes what is read and judges it at the end. */
    crioimg_result (*blob_open)(void *user, const char *digest, void **handle, long long *size);
    crioimg_result (*blob_read)(void *user, void *handle, void *buf, size_t cap, size_t *n);
    void (*blob_close)(void *user, void *handle);
    /* ---- version 3 ---- */
    /* Optional: makes what was written to handle durable (fsync), before commit and without the store's
       lock, so that commit, under the lock, is short. It may be called on another thread than the
       handle's other calls while the store is in use elsewhere: it may touch only its handle (keep a
       failure there, for commit to report). Commit must still make the blob durable when it was not
       called. */
    crioimg_result (*blob_sync)(void *user, void *handle);
    /* ---- version 4 ---- */
    /* Optional (crioimg_store_gc and crioimg_store_verify need it): calls fn once for every blob the store
       holds, with its digest ("sha256:<hex>", valid) and size, under the lock the library holds; fn
       returns non-zero to stop. A file that is no blob (a name that is not a digest, not a regular
       file) is not a blob: it is skipped. A listing that fails part way is an error, never a short list. */
    crioimg_result (*blob_list)(void *user, int (*fn)(void *ctx, const char *digest, long long size), void *ctx);
    /* Optional (crioimg_store_gc): removes what the store keeps besides index and blobs and may throw
       away (temporary files a killed process left, caches), under the exclusive lock; *files and
       *bytes count what went (including what the store removed on its own since it was opened). */
    crioimg_result (*clean)(void *user, size_t *files, long long *bytes);
    /* Optional: the detail of handle's last blob_write failure ("" when none), kept in the handle. A
       store that has it promises that blob_write, like blob_sync, touches only its handle: a pull then
       writes its blobs from several threads at once, each to its own handle, without serialising them
       (the built-in OCI store has it; a store without it gets one blob_write at a time). */
    const char *(*blob_error)(void *user, void *handle);
    /* ---- version 5 ---- */
    /* Optional: reads back bytes [off, off + len) of what handle was written so far (blob_write), all
       of them (*n = len) unless the store lost some. Called on another thread than the handle's writes,
       while they go on, and never for bytes not yet written; like blob_sync it may touch only its
       handle. A pull then lets a worker with nothing left to fetch hash a blob from the store while
       the blob's own worker receives and writes it (the built-in OCI store has it: pread). */
    crioimg_result (*blob_pread)(void *user, void *handle, long long off, void *buf, size_t len, size_t *n);
} crioimg_store_vtable;
/* crioimg_store_vtable vt = CRIOIMG_STORE_VTABLE_INIT; then set user and the methods the store has: the
   version is this header's, every method not set is NULL ("unsupported") */
#define CRIOIMG_STORE_VTABLE_INIT { CRIOIMG_STORE_VTABLE_VERSION, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }

typedef struct crioimg_store crioimg_store;

typedef struct crioimg_store_opts {
    crioimg_allocator alloc;   /* zeroed = the default allocator */
    int create;                /* crioimg_store_open_oci: create the directory (not its parents) and an
                                  empty layout when there is none */
    int read_only;             /* refuse every change (ERR_STORE_READ_ONLY); take shared locks only (bar
                                  the one try without waiting that removes stale temporaries, below) */
    char *err;                 /* constructors: where a failure's detail goes ("Errors" above); NULL: nowhere */
    size_t errcap;             /* err's size in bytes, the NUL included */
    const volatile int *cancel; /* nonzero stops a copy into this store (crioimg_store_copy_image, _blob) at
                                  its next chunk: ERR_CANCELLED, and what the copy wrote goes again. The OCI
                                  store also ends a wait for its lock when a signal arrives with it set */
    void (*log)(void *log_user, crioimg_log_level level, const char *msg); /* NULL: none. The OCI store says
                                  (WARN) when it has waited a second for its lock, held by another process */
    void *log_user;
} crioimg_store_opts;

/* A store over a host's vtable (copied; vt->version checked: ERR_INVALID_ARGS outside 1..current). */
CRIOIMG_API crioimg_result crioimg_store_open(crioimg_store **out, const crioimg_store_vtable *vt, const crioimg_store_opts *opts);
/* The built-in in-memory store: empty, private to this handle, gone at close. */
CRIOIMG_API crioimg_result crioimg_store_open_memory(crioimg_store **out, const crioimg_store_opts *opts);
/* The built-in OCI image-layout store in directory dir (POSIX only; ERR_UNSUPPORTED elsewhere or under
   CRIOIMG_NO_OCI_STORE). ERR_NOT_FOUND when dir is missing and opts->create is 0; ERR_STORE_CORRUPT when
   it is not an OCI layout; ERR_STORE_UNSAFE when blobs/ or a blob is a symlink or not what it should be
   (blobs/ and blobs/<alg> are checked again at every lock: every operation on a store where one has
   become a symlink fails so, rather than see no blobs).
   Locking: flock(2) on dir/.crioimg.lock, a file of its own, so a lock held by one handle holds against
   other processes and against other handles of this process, and closing any other descriptor never
   drops it. Temporary files (.crioimg-tmp-*, in dir itself: every blob is written there, then renamed
   into blobs/<alg>) that a killed process left are removed by the next handle that locks the store,
   whatever it does: at its first exclusive lock, or at its first shared one (a listing, a read, a
   read-only handle's) when the exclusive lock is free at that moment -- tried without waiting, then
   stepped down to shared, so a reader never waits to clean. A streaming write in progress holds its
   file's flock, and is left alone. A store without .crioimg.lock (another tool's layout) is never
   cleaned; CRIOIMG_NO_STORE_WRITE builds never clean. */
CRIOIMG_API crioimg_result crioimg_store_open_oci(crioimg_store **out, const char *dir, const crioimg_store_opts *opts);
CRIOIMG_API void crioimg_store_close(crioimg_store *s);
/* The last failure's detail ("index.json: entry 3: invalid checksum digest format ..."); "" if none. */
CRIOIMG_API const char *crioimg_store_error(const crioimg_store *s);
/* ---- index.json ---- */

/* Reads an OCI index.json as the layout store does (for hosts that keep a layout somewhere else):
   entries in one block from crioimg_malloc(alloc, ...) (free it with crioimg_free), each digest checked
   (a known algorithm, its hex length) before anyone can use it in a path; the name is our annotation
   when present, else org.opencontainers.image.ref.name, else "". Unknown fields and media types are
   fine. ERR_STORE_CORRUPT (err says where and why, errcap bytes with the NUL) or ERR_NOMEM. */
CRIOIMG_API crioimg_result crioimg_store_index_parse(const char *buf, size_t len, const crioimg_allocator *alloc,
                                                     crioimg_store_entry **entries, size_t *n, char *err, size_t errcap);
/* Writes entries as index.json: ref.name where the OCI grammar allows the name, else our annotation. */
CRIOIMG_API void crioimg_store_index_write(const crioimg_store_entry *entries, size_t n, crioimg_json_writer *w);

/* ---- blobs ---- */

/* Stores data as blob digest after checking it: ERR_DIGEST_MISMATCH / ERR_DIGEST_UNSUPPORTED / an
   invalid digest's code; nothing is stored then. */
CRIOIMG_API crioimg_result crioimg_store_put_blob(crioimg_store *s, const char *digest, const void *data, size_t len);
/* The blob's bytes, verified against its digest (a blob on disk that no longer matches is
   ERR_DIGEST_MISMATCH, never returned); free *data with crioimg_free(&opts.alloc, ...) -- the store's
   allocator. max 0 = 4 MiB. */
CRIOIMG_API crioimg_result crioimg_store_get_blob(crioimg_store *s, const char *digest, size_t max, void **data, size_t *len);

/* Frees what crioimg_store_get_blob gave, with the store's allocator. */
CRIOIMG_API void crioimg_store_free_blob(crioimg_store *s, void *data);
/* OK with *size (may be NULL) when the store has blob digest, ERR_NOT_FOUND when not; its bytes are not
   read (a pull skips a blob the store has: its name is its digest, verified when it was stored). */
CRIOIMG_API crioimg_result crioimg_store_blob_stat(crioimg_store *s, const char *digest, long long *size);

/* A blob written in pieces, hashed on the way: begin with the digest (and the size, or -1 when unknown),
   write as often as needed, then commit (verifies size and digest, then makes it a blob: OK,
   ERR_SIZE_MISMATCH, ERR_DIGEST_MISMATCH; nothing is stored on failure) or abort. Commit and abort free
   the writer. A write past the size fails at once with ERR_SIZE_MISMATCH. */
typedef struct crioimg_blob_writer crioimg_blob_writer;
CRIOIMG_API crioimg_result crioimg_store_blob_begin(crioimg_store *s, const char *digest, long long size, crioimg_blob_writer **out);
CRIOIMG_API crioimg_result crioimg_blob_writer_write(crioimg_blob_writer *w, const void *data, size_t len);
CRIOIMG_API crioimg_result crioimg_blob_writer_commit(crioimg_blob_writer *w);
/* Optional, before commit: makes the bytes durable now, without any lock (the store's blob_sync), so that
   the commit holds the store's lock only for the rename. It touches only the writer and its handle, so
   a host may call it on another thread than the store's other calls. OK when the store has nothing to
   do early; a failure shows at commit too. */
CRIOIMG_API crioimg_result crioimg_blob_writer_sync(crioimg_blob_writer *w);
CRIOIMG_API void crioimg_blob_writer_abort(crioimg_blob_writer *w);

/* A blob read in pieces, hashed on the way, for blobs too big to load whole (crioimg_store_get_blob).
   open: ERR_NOT_FOUND, an invalid digest's code, or ERR_DIGEST_UNSUPPORTED; then read as often as
   needed: OK with *n > 0 bytes, until OK with *n == 0 at the end -- and only that final OK says the
   bytes matched the digest. Every byte before it is provisional: a blob that does not match gives
   ERR_DIGEST_MISMATCH at the end instead (also when it is longer or shorter than the store said), and
   the same error for every read after. A caller that must not act on unverified bytes buffers or
   stages them until then. size is the store's word for the length (-1 when it gave none). close frees
   the reader, at any point. The store's lock is held only while opening: a removal meanwhile does not
   cut the read short. */
typedef struct crioimg_blob_reader crioimg_blob_reader;
CRIOIMG_API crioimg_result crioimg_store_blob_open(crioimg_store *s, const char *digest, crioimg_blob_reader **out);
CRIOIMG_API crioimg_result crioimg_blob_reader_read(crioimg_blob_reader *r, void *buf, size_t cap, size_t *n);
CRIOIMG_API long long crioimg_blob_reader_size(const crioimg_blob_reader *r);
CRIOIMG_API void crioimg_blob_reader_close(crioimg_blob_reader *r);

/* Copies blob digest from src into dst as a stream (no blob is ever held whole), against its
   descriptor's size (-1 when there is none: then only the digest bounds it). A source that says it
   is bigger or smaller than size is refused before a byte is read; one that turns out bigger is cut
   off at the first byte past size; one that ends short is refused at the end; the digest is checked
   before the blob becomes visible in dst (ERR_SIZE_MISMATCH, ERR_DIGEST_MISMATCH; nothing is stored
   then). A blob dst already has with that size is not copied again (reads verify it). Every failure's
   detail is dst's crioimg_store_error, the source's copied there. The building block of imports:
   layouts, archives, save. */
CRIOIMG_API crioimg_result crioimg_store_copy_blob(crioimg_store *dst, crioimg_store *src, const char *digest, long long size);
/* Copies an image whose manifest (an OCI image manifest or Docker schema 2, at most 4 MiB) is blob
   manifest_digest of src: config and layers with crioimg_store_copy_blob against their descriptors,
   then the manifest, then crioimg_store_add_image(dst, manifest_digest, names, nnames). A failure
   takes back, under the exclusive lock, the blobs it wrote that no image references (a killed copy
   leaves them for crioimg_store_gc). Detail in dst's crioimg_store_error. */
CRIOIMG_API crioimg_result crioimg_store_copy_image(crioimg_store *dst, crioimg_store *src, const char *manifest_digest,
                                                    const char *const *names, size_t nnames);
/* The same, for a manifest that may be an index (an OCI image index or Docker manifest list, as
   skopeo copy --all writes): the image for platform (NULL: this machine), chosen as a pull chooses it,
   is copied and recorded under names; the index itself is not stored. */
CRIOIMG_API crioimg_result crioimg_store_copy_image_platform(crioimg_store *dst, crioimg_store *src, const char *manifest_digest,
                                                             const crioimg_platform *platform, const char *const *names, size_t nnames);

/* ---- garbage collection and verification ---- */

/* What crioimg_store_gc removed. */
typedef struct crioimg_store_gc_result {
    size_t blobs;              /* blobs no index entry references (through its manifest, or an index's) */
    long long blob_bytes;
    size_t files;              /* the store's other leftovers: stale temporary files, the listing cache */
    long long file_bytes;
} crioimg_store_gc_result;
/* Removes, under the store's exclusive lock, every blob that no image references (what a failed or
   killed pull or import left) and the store's leftovers (vtable clean). A manifest of the index that
   cannot be read (missing or corrupt) makes it remove nothing (ERR_STORE_CORRUPT: what that manifest
   references is unknown; crioimg_store_verify says which). A pull or import that runs at the same
   time may fail for a blob removed under it (never leaving an entry without its blobs): run gc when
   the store is quiet. Needs the vtable's blob_list and blob_delete (ERR_UNSUPPORTED without). */
CRIOIMG_API crioimg_result crioimg_store_gc(crioimg_store *s, crioimg_store_gc_result *out);

/* One thing crioimg_store_verify found broken. */
typedef struct crioimg_store_problem {
    const char *kind;          /* "blob" or "image" */
    const char *subject;       /* the blob's digest; the image's first name, else its manifest's digest */
    const char *detail;        /* what is wrong, in words */
} crioimg_store_problem;
typedef struct crioimg_store_verify_result {
    size_t blobs, images;      /* how many were checked: every blob, every distinct manifest of the index */
    crioimg_store_problem *problems;
    size_t nproblems;          /* 0: the store is sound */
    void *arena;               /* everything above lives here */
    crioimg_allocator alloc;
} crioimg_store_verify_result;
/* Reads every blob and hashes it against its name, and checks every index entry: its manifest there and
   valid, its config and layers there with the sizes the manifest gives (an index: each of its
   manifests there). Under the shared lock; changes nothing. OK when it could look at everything, with
   out->nproblems saying what is broken; an error when it could not (no blob_list, I/O). Free out with
   crioimg_store_verify_result_free. */
CRIOIMG_API crioimg_result crioimg_store_verify(crioimg_store *s, crioimg_store_verify_result *out);
CRIOIMG_API void crioimg_store_verify_result_free(crioimg_store_verify_result *r);

/* ---- images ---- */

typedef struct crioimg_image {
    char id[65];                 /* the config digest's hex */
    const char *const *names;    /* full normalised names, index order */
    size_t nnames;
    const char *const *digests;  /* "repository@manifest-digest": see "Repo digests" above */
    size_t ndigests;
    long long size;              /* config plus layers; -1 when a blob is missing */
    const char *image_ref;       /* the familiar form of its first name; "" when it has none */
    const char *manifest_digest; /* its (first) manifest's digest */
} crioimg_image;

typedef struct crioimg_image_list {
    crioimg_image *images;
    size_t n;
    void *arena;                 /* everything above lives here */
    crioimg_allocator alloc;
} crioimg_image_list;

/* Records an image whose manifest (an OCI image manifest or Docker schema 2), config and layers are
   already blobs of the store, under names (each a reference, normalised; may be none). The manifest
   is read and verified; a missing config or layer is ERR_NOT_FOUND. */
CRIOIMG_API crioimg_result crioimg_store_add_image(crioimg_store *s, const char *manifest_digest,
                                                   const char *const *names, size_t nnames);
/* ListImages(filter): every image, in index order of their first entries; with a filter (a name or ID,
   as crioimg_store_image_status takes) just the image it names, or none. A filter that is no valid name
   or ID is the seed's getRef error: its ERR_REF_* / ERR_IMAGE_NAME_* result, Go's text in
   crioimg_store_error, no list. */
CRIOIMG_API crioimg_result crioimg_store_list(crioimg_store *s, const char *filter, crioimg_image_list *out);
/* ImageStatus: the image named (full ID, "sha256:"+ID, unique ID prefix of 3+ hex, short or full name,
   name@digest, or containers-storage:[...]NAME or ...@ID); ERR_IMAGE_UNKNOWN when none is, ERR_STORE_AMBIGUOUS
   for a prefix of two IDs. out->n is 1 on success. */
CRIOIMG_API crioimg_result crioimg_store_image_status(crioimg_store *s, const char *name, crioimg_image_list *out);
/* Gives the image named by name_or_id the name new_name as well (taken from any other image). A name with
   a digest must carry one of the image's manifest digests (ERR_DIGEST_MISMATCH otherwise). */
CRIOIMG_API crioimg_result crioimg_store_tag(crioimg_store *s, const char *name_or_id, const char *new_name);
/* The same for n names at once, under one lock: every name is checked first (ERR_REF_* and the name for
   one that is none, ERR_DIGEST_MISMATCH for a digest that is not the image's), and one bad name gives
   none of them (containers/storage's AddNames). */
CRIOIMG_API crioimg_result crioimg_store_tag_names(crioimg_store *s, const char *name_or_id, const char *const *new_names, size_t n);
/* UntagImage: removes the name given (tag, digest or full-name form); when it was the image's last
   name, or when the image was named by its ID, removes the image. */
CRIOIMG_API crioimg_result crioimg_store_untag(crioimg_store *s, const char *name);
/* RemoveImage: removes the image, whatever names it has. The index is rewritten first; then the blobs
   that only the removed image referenced are deleted. */
CRIOIMG_API crioimg_result crioimg_store_remove(crioimg_store *s, const char *name_or_id);
CRIOIMG_API void crioimg_image_list_free(crioimg_image_list *l);
/* The record as design.md section 4 prints it: {"id","names","digests","size","imageRef"}; size is
   null when unknown. */
CRIOIMG_API void crioimg_image_write_json(const crioimg_image *img, crioimg_json_writer *w);
