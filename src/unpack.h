/* ---------------------------------------------------------------------------------------------------
   unpack: layers applied into a directory (OCI image-spec changesets), and images of a store unpacked
   into root filesystems or OCI runtime bundles

     crioimg_unpack_opts o = {0};              zeroed: defaults (limits on, ownership as the user runs)
     char err[1024];
     r = crioimg_unpack(store, "nginx:1.25", "/run/bundles/web", &o, NULL, err, sizeof err);
         a bundle as `umoci unpack` writes it: /run/bundles/web/rootfs and /run/bundles/web/config.json
         (o.rootfs_only: the tree alone, at dest)

     Hosts with their own snapshotters apply one layer stream (any reader) onto a directory they opened:
     r = crioimg_layer_apply(dirfd, media_type, my_read, my_user, "sha256:<diff id>", &o, &res, err, sizeof err);

   Layers are streamed: the blob is read in pieces, decompressed (gzip) into a buffer, hashed and handed
   to the tar reader, and each entry's content written straight to its file; memory is the buffers and
   per-layer bookkeeping (a hash per entry for opaque whiteouts, a record per directory for its mode and
   mtime), whatever the image's size. Every layer's compressed stream is checked against its descriptor
   (the store's blob reader) and its uncompressed stream against the config's rootfs.diff_ids.

   Safety. Every path is resolved under the destination, component by component, with openat and
   O_NOFOLLOW: a symlink met on the way (one the image planted, in this layer or an earlier one) is
   followed as if the destination were "/" (chroot semantics: an absolute target or ".." stays inside),
   never the host's. Entries naming ".." are refused, absolute names are taken relative to the
   destination, hard links must name an entry inside it (a link to a symlink links the symlink itself),
   whiteouts naming "." or ".." are refused. Nothing is ever opened or created outside the destination.
   A layer that decompresses to more than max_layer_size bytes is refused (bombs). crioimg_unpack builds
   the tree under a temporary name next to dest and renames it into place only when every layer was
   applied and verified: a failed unpack leaves nothing behind. The store is only read.

   Ownership: as root, entries get their uid/gid and devices are made; otherwise (or with rootless set)
   everything belongs to the running user, as `umoci unpack --rootless` does, and character and block
   devices are skipped (counted in res.skipped_devices). Modes keep setuid/setgid/sticky; mtimes are set
   (directories' after their contents); xattrs (PAX SCHILY.xattr.*) are set where the file system lets
   us, and counted when it does not. Media types: OCI and Docker layer tar and tar+gzip; +zstd and
   encrypted layers are refused (ERR_UNSUPPORTED, naming the layer). POSIX.1-2008 only: elsewhere, or
   when compiled without its declarations, these functions return ERR_UNSUPPORTED.
   --------------------------------------------------------------------------------------------------- */

/* A source of bytes: fills buf with up to cap bytes, *n = 0 at the end. */
typedef crioimg_result (*crioimg_read_fn)(void *user, void *buf, size_t cap, size_t *n);

typedef struct crioimg_unpack_progress {
    size_t layer, nlayers;       /* this layer (0-based), of how many */
    const char *digest;          /* its (compressed) digest; "" for crioimg_layer_apply */
    long long size, done;        /* its compressed bytes: all (-1 when unknown), read so far */
    long long total, total_done; /* every layer's compressed bytes */
    int finished;                /* 1 on the last call for this layer */
} crioimg_unpack_progress;

typedef void (*crioimg_unpack_progress_fn)(void *user, const crioimg_unpack_progress *p);

typedef struct crioimg_unpack_opts {
    crioimg_allocator alloc;               /* zeroed = the default allocator */
    unsigned long long max_layer_size;     /* uncompressed bytes of one layer; 0 = 64 GiB */
    int rootless;                          /* 1: never chown nor make devices, even as root; 0: only
                                              when the effective user is not root */
    int rootfs_only;                       /* crioimg_unpack: dest is the tree itself, no bundle */
    crioimg_unpack_progress_fn progress;   /* NULL: none; called after each piece read */
    void *progress_user;
    const volatile int *cancel;            /* non-NULL and non-zero: stop (ERR_CANCELLED) */
} crioimg_unpack_opts;
typedef crioimg_unpack_opts crioimg_unpack_options;   /* its name before 0.2 (every options struct is _opts now) */

typedef struct crioimg_unpack_result {
    size_t layers;                 /* layers applied */
    long long entries;             /* tar entries applied (whiteouts included) */
    long long bytes;               /* uncompressed layer bytes */
    size_t skipped_devices;        /* device nodes not made (not root) */
    size_t xattr_failures;         /* xattrs the file system refused */
} crioimg_unpack_result;

/* "tar" (0) or "gzip" (1) for a layer media type: OCI and Docker layer types (also their
   non-distributable variants) and "" (plain tar); ERR_UNSUPPORTED for +zstd, encrypted (+encrypted) and
   anything else. */
CRIOIMG_API crioimg_result crioimg_layer_compression(const char *media_type, int *gzip);

/* Applies one layer stream (media_type as crioimg_layer_compression reads it) onto the directory dirfd
   (borrowed; not closed). diff_id, when not NULL, is the digest the uncompressed stream must have: the
   result is ERR_DIGEST_MISMATCH after the layer was applied when it does not (the caller discards the
   tree). Whatever the caller read from the source is the caller's to verify. err (errcap bytes, may be
   NULL) says which entry at which offset and what was wrong. res (may be NULL) is added to. */
CRIOIMG_API crioimg_result crioimg_layer_apply(int dirfd, const char *media_type, crioimg_read_fn read, void *read_user,
                                               const char *diff_id, const crioimg_unpack_opts *opts,
                                               crioimg_unpack_result *res, char *err, size_t errcap);

/* Unpacks the image name_or_id (as crioimg_store_image_status finds it) of store s into dest, which
   must not exist (or be an empty directory): an OCI runtime bundle (dest/rootfs and dest/config.json,
   made from the image config's Env, Entrypoint, Cmd, WorkingDir, User and Labels, the latter as
   annotations), or the tree alone with opts->rootfs_only. err names the image, the layer and the entry
   on failure; dest is then left as it was. */
CRIOIMG_API crioimg_result crioimg_unpack(crioimg_store *s, const char *name_or_id, const char *dest,
                                          const crioimg_unpack_opts *opts, crioimg_unpack_result *res,
                                          char *err, size_t errcap);
