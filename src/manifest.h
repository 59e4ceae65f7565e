/* ---------------------------------------------------------------------------------------------------
   manifest: OCI image manifests and indexes, Docker schema 2 manifests and manifest lists, image configs

   Parsing validates as it reads: the document is strict JSON with no duplicate keys and no keys that
   differ from a known field only in case (Go's encoding/json would read "Layers" as "layers"); size is
   capped (4 MiB, as containers/image and distribution cap it); a document that has both "manifests" and
   "layers"/"config", or whose mediaType disagrees with the Content-Type it came with, is refused
   (CVE-2021-41190); every descriptor's digest, size, URLs and embedded data are checked. Docker schema 1
   is recognised and refused as unsupported. The result owns copies of everything it exposes.
   --------------------------------------------------------------------------------------------------- */

#define CRIOIMG_MEDIA_OCI_MANIFEST      "application/vnd.oci.image.manifest.v1+json"
#define CRIOIMG_MEDIA_OCI_INDEX         "application/vnd.oci.image.index.v1+json"
#define CRIOIMG_MEDIA_OCI_CONFIG        "application/vnd.oci.image.config.v1+json"
#define CRIOIMG_MEDIA_DOCKER_MANIFEST   "application/vnd.docker.distribution.manifest.v2+json"
#define CRIOIMG_MEDIA_DOCKER_LIST       "application/vnd.docker.distribution.manifest.list.v2+json"
#define CRIOIMG_MEDIA_DOCKER_CONFIG     "application/vnd.docker.container.image.v1+json"
#define CRIOIMG_MEDIA_DOCKER_SCHEMA1    "application/vnd.docker.distribution.manifest.v1+json"
#define CRIOIMG_MEDIA_DOCKER_SCHEMA1_SIGNED "application/vnd.docker.distribution.manifest.v1+prettyjws"
/* The Accept header a registry client sends for manifests: every type crioimg reads. */
#define CRIOIMG_MANIFEST_ACCEPT \
    CRIOIMG_MEDIA_OCI_MANIFEST ", " CRIOIMG_MEDIA_OCI_INDEX ", " \
    CRIOIMG_MEDIA_DOCKER_MANIFEST ", " CRIOIMG_MEDIA_DOCKER_LIST
/* The most a manifest or config may weigh. */
#define CRIOIMG_MANIFEST_MAX_SIZE ((size_t)4 << 20)

typedef enum crioimg_manifest_kind {
    CRIOIMG_MANIFEST_UNKNOWN = 0,
    CRIOIMG_MANIFEST_OCI,           /* an image manifest: config + layers */
    CRIOIMG_MANIFEST_OCI_INDEX,     /* an index: manifests */
    CRIOIMG_MANIFEST_DOCKER_V2,
    CRIOIMG_MANIFEST_DOCKER_LIST
} crioimg_manifest_kind;

typedef struct crioimg_platform {
    const char *os, *architecture, *variant, *os_version;  /* "" when absent */
} crioimg_platform;

typedef struct crioimg_descriptor {
    const char *media_type;
    const char *digest;        /* checked: "algorithm:encoded" */
    long long size;            /* >= 0 */
    const char *const *urls;   /* foreign-layer locations (never sent credentials) */
    size_t nurls;
    const unsigned char *data; /* embedded content, decoded and checked against size (and digest) */
    size_t data_len;
    int has_data, has_platform;
    crioimg_platform platform; /* index entries */
    const char *artifact_type; /* "" when absent */
} crioimg_descriptor;

typedef struct crioimg_manifest {
    crioimg_manifest_kind kind;
    const char *media_type;             /* the type it was read as */
    crioimg_descriptor config;          /* manifests */
    const crioimg_descriptor *layers;
    size_t nlayers;
    const crioimg_descriptor *manifests; /* indexes and lists */
    size_t nmanifests;
    int has_subject;
    crioimg_descriptor subject;
    char err[256];                      /* on error: what was wrong */
    void *arena;                        /* everything above points into this one block */
    crioimg_allocator alloc;
} crioimg_manifest;

typedef struct crioimg_manifest_opts {
    size_t max_size;          /* 0 = CRIOIMG_MANIFEST_MAX_SIZE */
    crioimg_allocator alloc;  /* zeroed = the default allocator */
} crioimg_manifest_opts;

/* Parses and validates a manifest or index. content_type is the Content-Type it came with (NULL or ""
   when unknown; parameters after ';' are ignored). On error m->err says why; crioimg_manifest_free is
   safe either way. Results: OK, ERR_MANIFEST_INVALID, ERR_MANIFEST_UNSUPPORTED (schema 1, unknown
   types), ERR_MANIFEST_AMBIGUOUS, ERR_MANIFEST_MEDIA_TYPE, ERR_TOO_BIG, ERR_JSON_*, ERR_NOMEM. */
CRIOIMG_API crioimg_result crioimg_manifest_parse(crioimg_manifest *m, const char *buf, size_t len,
                                                  const char *content_type, const crioimg_manifest_opts *opts);
CRIOIMG_API void crioimg_manifest_free(crioimg_manifest *m);

/* The platform this program runs on, in Go's GOOS/GOARCH names ("linux", "amd64", "arm"+"v7", ...). */
CRIOIMG_API void crioimg_platform_current(crioimg_platform *p);
/* Parses "os/arch[/variant]" into p (pointers into s, which must stay alive; NUL-terminated copies
   are the caller's concern), ERR_INVALID_ARGS when malformed. buf (cap bytes) holds the pieces. */
CRIOIMG_API crioimg_result crioimg_platform_parse(crioimg_platform *p, const char *s, char *buf, size_t cap);

/* Chooses the instance of an index or list for want (NULL: the running machine), as containers/image's
   ChooseInstance does: the wanted variant, then older compatible ones (arm v8 > v7 > v6 > v5), then no
   variant; failing that an entry without a platform. *which is an index into m->manifests. When nothing
   matches: ERR_PLATFORM_NOT_FOUND, and err (errcap bytes) lists what the index offers. */
CRIOIMG_API crioimg_result crioimg_manifest_choose(const crioimg_manifest *m, const crioimg_platform *want,
                                                   size_t *which, char *err, size_t errcap);

/* ---- image configuration ---- */

typedef struct crioimg_image_config {
    const char *os, *architecture, *variant, *created, *user;  /* "" when absent */
    const char *const *label_keys;   /* config.Labels, in document order */
    const char *const *label_values;
    size_t nlabels;
    const char *author, *working_dir;  /* author, config.WorkingDir: "" when absent */
    const char *const *env;          /* config.Env, Entrypoint, Cmd: NULL-terminated, NULL when absent */
    size_t nenv;
    const char *const *entrypoint;
    size_t nentrypoint;
    const char *const *cmd;
    size_t ncmd;
    const char *const *exposed_ports;  /* config.ExposedPorts' keys ("80/tcp"), Volumes' keys ("/data"), in */
    size_t nexposed_ports;             /* document order: NULL-terminated, NULL when absent */
    const char *const *volumes;
    size_t nvolumes;
    const char *stop_signal;           /* config.StopSignal: "" when absent */
    char err[256];
    void *arena;
    crioimg_allocator alloc;
} crioimg_image_config;

/* Parses an OCI or Docker image configuration (the same JSON shape). A member of the wrong type
   (Env not an array of strings, User not a string, ...) or a string holding NUL is ERR_MANIFEST_INVALID
   with c->err saying which; the input is bounded by opts->max_size (CRIOIMG_MANIFEST_MAX_SIZE). */
CRIOIMG_API crioimg_result crioimg_image_config_parse(crioimg_image_config *c, const char *buf, size_t len,
                                                      const crioimg_manifest_opts *opts);
CRIOIMG_API void crioimg_image_config_free(crioimg_image_config *c);

/* config.User as a runtime reads it: "uid", "uid:gid", "name", "name:group". Numeric parts must be in
   [0, 2147483647]: "4294967296" must not wrap to 0 (CVE-2024-40635). *uid / *gid are set for numeric
   parts (else -1, also for "" = no User); ERR_JSON_RANGE for a number out of range or with a sign,
   ERR_INVALID_ARGS for an empty part (":1000"). */
CRIOIMG_API crioimg_result crioimg_image_config_user(const char *user, long *uid, long *gid);
