/* ---------------------------------------------------------------------------------------------------
   archive: images as files -- docker-archive, oci-archive, oci and dir as sources; docker-archive,
   oci-archive and OCI layout directories as what `save` writes
     crioimg_archive_load_result res;
     char err[1024];
     crioimg_archive_load(store, "docker-archive:/media/usb/app.tar", NULL, &res, err, sizeof err);
     crioimg_archive_save(store, NULL, "/media/usb/app.tar", names, n, err, sizeof err);   NULL: docker-archive
   Sources, with containers/image's syntax and its choice of image:
     oci:DIR[:REF], oci-archive:FILE[:REF]  the index.json entry whose org.opencontainers.image.ref.name
                                            is REF; without REF the only entry ("more than one image in
                                            oci, choose an image" otherwise). An entry that is an index
                                            gives the image for the platform (crioimg_manifest_choose).
     docker-archive:FILE[:NAME:TAG | :@N]   the manifest.json item with that RepoTag, or item N; without
                                            either the only item ("Unexpected tar manifest.json: expected
                                            1 item, got N" otherwise). Stored with the Docker schema 2
                                            manifest containers/image generates for it (layers are the
                                            uncompressed tars, digest = diff ID, media type
                                            ...rootfs.diff.tar.gzip as c/image writes it), so the image
                                            ID and manifest digest are those podman and skopeo show.
     dir:DIR                                manifest.json and blobs named by their hex, as skopeo writes.
   Every blob is verified (size and digest, and for docker-archive layers the diff ID of the
   decompressed bytes) before it lands, through crioimg_store_blob_begin: a failure leaves nothing of
   the image in the store but verified blobs. Layers stream from the file: memory stays a few buffers.
   Archives are read in place: a first pass over the tar headers (contents skipped by seeking) indexes
   the regular files; manifest.json, index.json and configs (at most 4 MiB each) are then read by
   offset, layers streamed from theirs. Refused, each with the file, entry and problem named: entries
   with an absolute path or "..", devices, duplicate entries, links that manifest.json or index.json
   name (other links, such as the legacy layer links c/image writes, are never read), truncated archives, non-tar files,
   gzip-compressed archives (decompress them first), references to missing entries.
   Save writes a tar (or a directory, for CRIOIMG_ARCHIVE_OCI_DIR) next to path, fsyncs it and renames
   it into place: path appears only complete. The bytes depend only on the images: entries in a fixed
   order, mtime 0, owner 0/0, modes 0644/0755, no user names. Layouts:
     docker-archive: <config hex>.json, <diff ID hex>.tar per layer (uncompressed, as docker save and
                     c/image write them; gzip layers are inflated twice: once to learn the size for the
                     header, once to write), then manifest.json [{"Config","RepoTags","Layers"}].
     oci-archive / oci-dir: oci-layout, blobs/, blobs/sha256/, each blob once (config, layers as
                     stored, manifest), then index.json with one entry per name, in
                     org.opencontainers.image.ref.name. Docker schema 2 manifests are converted to OCI
                     ones (as skopeo copy does) since c/image's oci: transport looks up names only among
                     OCI manifests; configs and layers are the same bytes, so the image ID stays.
   --------------------------------------------------------------------------------------------------- */

typedef enum crioimg_archive_format {
    CRIOIMG_ARCHIVE_DOCKER = 1,   /* docker-archive: what docker save and podman save write */
    CRIOIMG_ARCHIVE_OCI,          /* oci-archive: a tar of an OCI image layout */
    CRIOIMG_ARCHIVE_OCI_DIR       /* an OCI image layout directory (oci:DIR) */
} crioimg_archive_format;

/* Progress of a load or save, per blob: called as bytes move (at most once per 64 KiB read) and once
   more with done == total at the blob's end. what is "sha256:<hex>" of the blob (for a docker-archive
   layer, its diff ID); total is -1 when unknown (a gzip layer being inflated). */
typedef struct crioimg_archive_progress {
    const char *what;
    long long done, total;
    size_t index, count;   /* load: the blob (0 the config, then the layers) of how many; save: of the
                              image being written */
} crioimg_archive_progress;
typedef void (*crioimg_archive_progress_fn)(void *user, const crioimg_archive_progress *p);

typedef struct crioimg_archive_load_opts {
    const char *const *names;            /* store the image under these; none: the names the source gives
                                            (the reference given, else RepoTags or ref.name) */
    size_t nnames;
    const crioimg_platform *platform;    /* for an index: NULL = the running machine */
    crioimg_archive_progress_fn progress; /* NULL: none */
    void *progress_user;
    const volatile int *cancel;          /* nonzero stops the load: ERR_CANCELLED, nothing of it stored */
    int require_name;                    /* no names given and none in the source (an oci: ref.name that is a
                                            bare tag such as "latest" names nothing): ERR_INVALID_ARGS, nothing
                                            stored; 0: the image is stored by ID only (what PullImage does) */
} crioimg_archive_load_opts;

typedef struct crioimg_archive_save_opts {
    crioimg_archive_format format;       /* 0 = CRIOIMG_ARCHIVE_DOCKER */
    crioimg_archive_progress_fn progress; /* NULL: none */
    void *progress_user;
    const volatile int *cancel;          /* nonzero stops the save: ERR_CANCELLED, path not made */
} crioimg_archive_save_opts;

typedef struct crioimg_archive_load_result {
    char id[65];                                         /* the image ID (config digest hex) */
    char manifest_digest[CRIOIMG_DIGEST_STRING_MAX + 1];  /* the image manifest stored */
    char name[CRIOIMG_REF_STRING_MAX + 1];               /* the first name it was stored under, "" if none */
    size_t blobs_stored, blobs_skipped;                  /* config + layers */
} crioimg_archive_load_result;

/* 1 when name uses one of the file transports above (oci:, oci-archive:, docker-archive:, dir:). */
CRIOIMG_API int crioimg_archive_is_source(const char *name);

/* Loads the image source names (see above) into s. err (errcap bytes) says what failed and where:
   'docker-archive:x.tar: entry "../etc/passwd": path leaves the archive'. out may be NULL. Results:
   ERR_ARCHIVE_*, ERR_IMAGE_NAME_*, ERR_DIGEST_MISMATCH, ERR_SIZE_MISMATCH, ERR_IO, ERR_NOT_FOUND,
   ERR_TAR_FORMAT, ERR_INFLATE_*, ERR_JSON_*, ERR_MANIFEST_*, ERR_PLATFORM_NOT_FOUND, ERR_NOMEM. */
CRIOIMG_API crioimg_result crioimg_archive_load(crioimg_store *s, const char *source, const crioimg_archive_load_opts *opts,
                                                crioimg_archive_load_result *out, char *err, size_t errcap);

/* Writes the images named (each a name or ID, as crioimg_store_image_status takes) to path in
   opts->format (opts may be NULL: a docker-archive).
   names[i] given by name is saved under that name; given by ID, under all of the image's tagged names.
   path must not exist for CRIOIMG_ARCHIVE_OCI_DIR; an archive file replaces one. POSIX only. */
CRIOIMG_API crioimg_result crioimg_archive_save(crioimg_store *s, const crioimg_archive_save_opts *opts, const char *path,
                                                const char *const *names, size_t n, char *err, size_t errcap);
