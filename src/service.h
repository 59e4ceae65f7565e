/* ---------------------------------------------------------------------------------------------------
   service: the image service of CRI-O's seed (GetImageService), joining a store and the registries

   GetImageService(store, defaultTransport, insecureRegistries, registries) is crioimg_service_new with
   the store and an options struct; the methods map one to one:

     Go (seed)                 C
     ListImages(filter)        crioimg_service_list_images
     ImageStatus(name)         crioimg_service_image_status
     UntagImage(name)          crioimg_service_untag_image
     RemoveImage(name)         crioimg_service_remove_image
     ResolveNames(name)        crioimg_service_resolve_names (truncated IDs expanded through the store)
     GetStore()                crioimg_service_store
     CanPull(name)             crioimg_service_can_pull
     PullImage(name, options)  crioimg_service_pull_image

   A service made without a store (store NULL) resolves names and checks pulls; its store methods fail
   with ERR_INVALID_ARGS.
   --------------------------------------------------------------------------------------------------- */

typedef struct crioimg_service crioimg_service;

/* Zeroed means defaults. */
typedef struct crioimg_service_opts {
    crioimg_allocator alloc;
    const char *default_transport;              /* NULL: "docker://" */
    const char *const *insecure_registries;     /* --insecure-registry entries: CIDRs or host[:port] */
    size_t ninsecure;
    const char *const *registries;              /* the unqualified-search list, in order */
    size_t nregistries;
    const crioimg_conf_paths *registries_conf;  /* non-NULL: read registries.conf from there as well */
    const crioimg_resolver *resolver;           /* as crioimg_registries_opts */
    int no_resolver;
} crioimg_service_opts;
typedef crioimg_service_opts crioimg_service_options;   /* its name before 0.2 (every options struct is _opts now) */

/* A service over store (borrowed: it must outlive the service). ERR_INVALID_ARGS for bad options,
   ERR_REGISTRY_CIDR for a malformed CIDR, ERR_REGISTRIES_CONF for a bad registries.conf; err (errcap
   bytes, may be NULL) then says which. */
CRIOIMG_API crioimg_result crioimg_service_new(crioimg_service **out, crioimg_store *store, const crioimg_service_opts *opts,
                                               char *err, size_t errcap);
CRIOIMG_API void crioimg_service_free(crioimg_service *svc);
/* The message of the last failure ("" when none); valid until the next call on svc. */
CRIOIMG_API const char *crioimg_service_error(const crioimg_service *svc);
CRIOIMG_API crioimg_store *crioimg_service_store(crioimg_service *svc);
CRIOIMG_API crioimg_registries *crioimg_service_registries(crioimg_service *svc);
/* The default transport, "docker://" unless the options said otherwise. */
CRIOIMG_API const char *crioimg_service_default_transport(const crioimg_service *svc);

CRIOIMG_API crioimg_result crioimg_service_list_images(crioimg_service *svc, const char *filter, crioimg_image_list *out);
CRIOIMG_API crioimg_result crioimg_service_image_status(crioimg_service *svc, const char *name, crioimg_image_list *out);
CRIOIMG_API crioimg_result crioimg_service_untag_image(crioimg_service *svc, const char *name);
CRIOIMG_API crioimg_result crioimg_service_remove_image(crioimg_service *svc, const char *name);
/* ResolveNames: the candidates for name in pull order (crioimg_registries_resolve), with a truncated ID
   (3+ hex) that prefixes exactly one image of the store expanded to its full ID. */
CRIOIMG_API crioimg_result crioimg_service_resolve_names(crioimg_service *svc, const char *name, size_t n, crioimg_candidates *out);

/* ---- where an image comes from: resolution, mirrors, the registry client and the platform ---- */

/* What a pull tells its progress callback. Blobs are numbered 0 (the config) to count-1 (the last layer). */
typedef enum crioimg_pull_event {
    CRIOIMG_PULL_STARTED = 1,   /* the image was found (source, count, total known); no blob yet */
    CRIOIMG_PULL_BLOB_SKIPPED,  /* blob index is in the store already */
    CRIOIMG_PULL_BLOB_STARTED,  /* its transfer begins */
    CRIOIMG_PULL_BLOB_PROGRESS, /* bytes arrived (done grew) */
    CRIOIMG_PULL_BLOB_DONE,     /* verified and stored */
    CRIOIMG_PULL_BLOB_FAILED,   /* given up on; the pull fails */
    CRIOIMG_PULL_DONE           /* the image is recorded under its name */
} crioimg_pull_event;

typedef struct crioimg_pull_progress {
    crioimg_pull_event event;
    const char *source;         /* the reference it is pulled from (a mirror's, or the registry's) */
    size_t index, count;        /* this blob; how many the image has (config + layers) */
    const char *digest;         /* this blob's digest ("" for STARTED and DONE) */
    const char *media_type;
    long long size, done;       /* this blob: its size, bytes stored so far */
    long long total, total_done;/* every blob of the image; skipped blobs count as done */
} crioimg_pull_progress;

typedef void (*crioimg_pull_progress_fn)(void *user, const crioimg_pull_progress *p);

/* How to reach registries, for every source tried. */
typedef struct crioimg_pull_opts {
    crioimg_registry_opts registry;   /* for every registry tried; .insecure is decided per registry (the
                                         insecure-registry logic, or registries.conf) and .http, when
                                         NULL, is a transport the service opens once and keeps */
    const crioimg_platform *platform; /* NULL: this machine */
    int top_only;                     /* stop at the manifest as served (image and manifest left empty) */
    /* ---- crioimg_service_pull_image only ---- */
    int jobs;                         /* blobs fetched at once: 0 means 3; 1 starts no thread (hosts with
                                         no threads, or built with CRIOIMG_NO_THREADS, get 1 whatever this
                                         says). Above 1, a host's own registry.http must take concurrent
                                         requests; the built-in ones open one transport per thread. */
    crioimg_pull_progress_fn progress;   /* NULL: none. Called one call at a time, from whichever of the
                                            pull's threads has news; it must not call into svc. */
    void *progress_user;
    const crioimg_policy *policy;     /* NULL: accept (no policy). Each candidate is checked as
                                         "docker://" + candidate before anything is fetched from it;
                                         one the policy refuses is a failed candidate, with its text. */
} crioimg_pull_opts;
typedef crioimg_pull_opts crioimg_pull_options;   /* its name before 0.2 (every options struct is _opts now) */

/* One image found at a registry: the manifest as served, and the image manifest for the platform. */
typedef struct crioimg_image_source {
    char name[CRIOIMG_REF_STRING_MAX + 1];      /* the candidate that was pulled ("docker.io/library/x:1") */
    char location[CRIOIMG_REF_STRING_MAX + 1];  /* where it was fetched: the same, or a mirror's reference */
    crioimg_ref ref;                            /* location, parsed (tag, or digest) */
    crioimg_registry *registry;                 /* connected to location's registry */
    const char *repo;                           /* location's path in the registry (points into ref) */
    crioimg_registry_manifest top;              /* what location's tag or digest names, as served */
    crioimg_registry_manifest image;            /* the image manifest chosen for the platform; a copy of
                                                   top when top is one */
    crioimg_manifest manifest;                  /* image, parsed */
    crioimg_allocator alloc;
} crioimg_image_source;

/* Finds name (a reference, or "docker://" + one; other transports are ERR_UNSUPPORTED) the way a pull
   does: each candidate of crioimg_service_resolve_names in order, each of its pull sources
   (crioimg_registries_pull_sources: mirrors, then the registry), until one serves a manifest, and the
   image manifest for the platform when that is an index. The first that works is *out (free it with
   crioimg_image_source_free, before the service); when none does, the last failure is the result and
   crioimg_service_error lists each source tried with why it failed. Nothing is stored. */
CRIOIMG_API crioimg_result crioimg_service_open_source(crioimg_service *svc, const char *name, const crioimg_pull_opts *opts,
                                                       crioimg_image_source **out);
CRIOIMG_API void crioimg_image_source_free(crioimg_image_source *src);
/* CanPull: OK when crioimg_service_open_source finds the image (no blob is fetched). */
CRIOIMG_API crioimg_result crioimg_service_can_pull(crioimg_service *svc, const char *name, const crioimg_pull_opts *opts);

/* ---- PullImage ---- */

typedef struct crioimg_pull_result {
    char name[CRIOIMG_REF_STRING_MAX + 1];       /* the name it is stored under, as the seed builds it:
                                                    Name() ":" tag, or Name() "@" digest when pulled by one */
    char id[65];                                 /* the image ID (its config digest's hex) */
    char manifest_digest[CRIOIMG_DIGEST_STRING_MAX + 1];   /* the image manifest stored */
    char source[CRIOIMG_REF_STRING_MAX + 1];     /* where it came from: a mirror's reference or the name */
    size_t blobs_fetched, blobs_skipped;         /* of config + layers */
    long long bytes_fetched;
} crioimg_pull_result;

/* PullImage: name (a reference, or "docker://" + one) found as crioimg_service_open_source finds it, then
   its config and layers streamed from the registry through their digests into the store
   (crioimg_store_blob_begin: nothing is visible until size and digest match; opts->jobs at once, each
   transfer resumed when a connection breaks), the image manifest stored byte for byte as served, and the
   image recorded under out->name (taken from any image that had it). A blob the store has already is not
   fetched: an image pulled before costs its manifest request and the rewrite of its name. On failure
   nothing of the image is recorded and nothing of it stays behind: the blobs this pull stored that no
   index entry references are removed on the spot, under the store's exclusive lock (a blob that was
   there before the pull, or that another image references, stays); crioimg_service_error says which
   source failed how, and out is zeroed. opts->registry.cancel stops it promptly: ERR_CANCELLED, no
   partial blob, the same clean-up. out may be NULL.
   A name with the oci:, oci-archive:, docker-archive: or dir: transport is loaded from its file instead
   (crioimg_archive_load: opts->policy and opts->platform apply; out->name is the first name it got,
   out->source the name given, blobs_fetched the blobs stored). */
CRIOIMG_API crioimg_result crioimg_service_pull_image(crioimg_service *svc, const char *name, const crioimg_pull_opts *opts,
                                                      crioimg_pull_result *out);
