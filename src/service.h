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
   (PullImage and CanPull need the registry client, which comes next.)
   --------------------------------------------------------------------------------------------------- */

typedef struct crioimg_service crioimg_service;

/* Zeroed means defaults. */
typedef struct crioimg_service_options {
    crioimg_allocator alloc;
    const char *default_transport;              /* NULL: "docker://" */
    const char *const *insecure_registries;     /* --insecure-registry entries: CIDRs or host[:port] */
    size_t ninsecure;
    const char *const *registries;              /* the unqualified-search list, in order */
    size_t nregistries;
    const crioimg_conf_paths *registries_conf;  /* non-NULL: read registries.conf from there as well */
    const crioimg_resolver *resolver;           /* as crioimg_registries_options */
    int no_resolver;
} crioimg_service_options;

/* A service over store (borrowed: it must outlive the service). ERR_INVALID_ARGS for bad options,
   ERR_REGISTRY_CIDR for a malformed CIDR, ERR_REGISTRIES_CONF for a bad registries.conf; err (errcap
   bytes, may be NULL) then says which. */
CRIOIMG_API crioimg_result crioimg_service_new(crioimg_service **out, crioimg_store *store, const crioimg_service_options *opts,
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
