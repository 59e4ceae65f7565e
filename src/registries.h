/* ---------------------------------------------------------------------------------------------------
   registries: where a name may be pulled from, and whether a registry host is insecure

   One crioimg_registries object holds what CRI-O's image service was configured with: the search list
   (its "registries" option), the insecure-registry entries (CIDRs and host[:port] entries), and a
   resolver for host names. It answers two questions:

   - crioimg_registries_resolve(): the seed's ResolveNames (cri-o 5ea050fc, December 2017): a qualified
     name is returned as given; a 64-hex ID is an error; an unqualified name gives REGISTRY/NAME for each
     registry of the search list, in order, "library/" added only for docker.io and a one-component
     name; no tag is added.
   - crioimg_registries_check_host(): the seed's isSecureIndex, made safe. A host is insecure when its
     exact host[:port] entry says so, or when its IP literal, or an address the resolver gives for its
     name, lies in an insecure CIDR (127.0.0.0/8 and ::1/128 always are). A failed look-up means secure,
     as in the seed. Unlike the seed: the resolver is asked only when no explicit entry decides, at most
     once per host (the answer is cached on the object), and CIDR membership is a binary search over
     sorted, merged ranges (O(log n)), not a scan.

   The object is not thread-safe: the look-up cache changes on queries. Detailed error texts are on the
   object (crioimg_registries_error), never global.
   --------------------------------------------------------------------------------------------------- */

/* A host-name resolver. Asked only for names, never for IP literals. Fills addrs with up to cap
   addresses, 16 bytes each (IPv4 as the IPv4-mapped IPv6 address ::ffff:a.b.c.d), and their count in
   *n. Any result other than CRIOIMG_OK means the look-up failed: the host is then secure (as in the
   seed), and that answer is cached like any other. A resolver that may hang should give up on its own
   and return CRIOIMG_ERR_TIMEOUT: the library cannot interrupt a synchronous call. */
#define CRIOIMG_RESOLVER_VERSION 1
typedef struct crioimg_resolver {
    unsigned version;          /* CRIOIMG_RESOLVER_VERSION */
    void *user;
    crioimg_result (*lookup)(void *user, const char *host, unsigned char (*addrs)[16], size_t cap, size_t *n);
} crioimg_resolver;
/* crioimg_resolver r = CRIOIMG_RESOLVER_INIT; then set user and lookup: the version filled in, the rest
   zero (as for every vtable's *_INIT below) */
#define CRIOIMG_RESOLVER_INIT { CRIOIMG_RESOLVER_VERSION, 0, 0 }

/* The images a store holds, for the seed's truncated-ID expansion: expand writes the full 64-hex ID of
   the one image whose ID starts with prefix (n >= 3) into id (NUL-terminated) and returns CRIOIMG_OK;
   CRIOIMG_ERR_NOT_FOUND when no image (or more than one) matches. */
#define CRIOIMG_IMAGE_IDS_VERSION 1
typedef struct crioimg_image_ids {
    unsigned version;          /* CRIOIMG_IMAGE_IDS_VERSION */
    void *user;
    crioimg_result (*expand)(void *user, const char *prefix, size_t n, char id[65]);
} crioimg_image_ids;
#define CRIOIMG_IMAGE_IDS_INIT { CRIOIMG_IMAGE_IDS_VERSION, 0, 0 }

/* Zeroed means defaults. */
typedef struct crioimg_registries_opts {
    crioimg_allocator alloc;
    const crioimg_resolver *resolver;  /* NULL: getaddrinfo where the platform has it (see below) */
    int no_resolver;                   /* 1: never look names up (every name is then secure unless an
                                          entry says otherwise) */
    const crioimg_image_ids *image_ids; /* NULL: no store attached, no ID expansion */
} crioimg_registries_opts;
typedef crioimg_registries_opts crioimg_registries_options;   /* its name before 0.2 (every options struct is _opts now) */

typedef struct crioimg_registries crioimg_registries;

/* A new, empty configuration: no search list, no insecure entries but the two built-in loopback CIDRs.
   ERR_INVALID_ARGS for a bad allocator or a vtable whose version is 0 or newer than this header's. */
CRIOIMG_API crioimg_result crioimg_registries_new(crioimg_registries **out, const crioimg_registries_opts *opts);
CRIOIMG_API void crioimg_registries_free(crioimg_registries *r);
/* The message of the last failure on r ("" when none). Valid until the next call on r. */
CRIOIMG_API const char *crioimg_registries_error(const crioimg_registries *r);

/* Appends a registry to the search list (a duplicate is dropped, order kept, as the seed does). The name
   must be a registry host: a name, IPv4 or [IPv6], optional :port. ERR_REGISTRY_INVALID otherwise. */
CRIOIMG_API crioimg_result crioimg_registries_add_search(crioimg_registries *r, const char *name, size_t n);
/* An --insecure-registry entry: a CIDR ("10.0.0.0/8", "fd00::/8") goes to the CIDR set, a host[:port]
   to the exact entries. ERR_REGISTRY_CIDR for a malformed CIDR ("10.0.0.0/33", "10.0.0/8"), and
   ERR_REGISTRY_INVALID for anything that is neither (an entry holding '/' must be a CIDR). */
CRIOIMG_API crioimg_result crioimg_registries_add_insecure(crioimg_registries *r, const char *entry, size_t n);

/* Parses a CIDR as Go's net.ParseCIDR does (dotted-quad IPv4 without leading zeros, or IPv6, then
   '/' and a decimal prefix length within the address size). The network's first and last addresses
   are written as 16-byte IPv6 (IPv4 as ::ffff:a.b.c.d); *is_v4 says which family it was. */
CRIOIMG_API crioimg_result crioimg_cidr_parse(const char *s, size_t n, unsigned char first[16], unsigned char last[16], int *is_v4);
/* Parses an IP literal (IPv4 dotted quad or IPv6, unbracketed) into 16 bytes; 1 on success, 0 if s is
   not one. */
CRIOIMG_API int crioimg_ip_parse(const char *s, size_t n, unsigned char out[16]);

/* ---- resolution ---- */

typedef enum crioimg_candidate_rule {
    CRIOIMG_CANDIDATE_QUALIFIED = 1,  /* the name was qualified: returned as given */
    CRIOIMG_CANDIDATE_IMAGE_ID,       /* a truncated ID the attached store expanded */
    CRIOIMG_CANDIDATE_SEARCH,         /* a registry of the search list given with add_search */
    CRIOIMG_CANDIDATE_ALIAS,          /* a short-name alias of registries.conf */
    CRIOIMG_CANDIDATE_UNQUALIFIED,    /* unqualified-search-registries of registries.conf */
    CRIOIMG_CANDIDATE_MIRROR,         /* pull sources: a mirror */
    CRIOIMG_CANDIDATE_PRIMARY         /* pull sources: the registry itself */
} crioimg_candidate_rule;

typedef struct crioimg_candidate {
    char *name;                  /* NUL-terminated; owned by the list */
    crioimg_candidate_rule rule;
    const char *origin;          /* SEARCH, UNQUALIFIED: the registry; ALIAS: the file that set it;
                                    MIRROR, PRIMARY: the endpoint's location; else "" (owned by the list) */
    int insecure;                /* MIRROR, PRIMARY: the endpoint is insecure in registries.conf */
} crioimg_candidate;

typedef struct crioimg_candidates {
    crioimg_candidate *items;
    size_t n;
    crioimg_allocator alloc;     /* how items was allocated */
} crioimg_candidates;

/* With a search list (add_search), or with no registries.conf loaded: the seed's ResolveNames. With
   registries.conf loaded and no search list: containers/image's shortnames.Resolve (see load_conf):
   a qualified name as itself with ":latest" added when it has neither tag nor digest; a short name's
   alias; else one candidate per unqualified-search registry; in enforcing mode more than one candidate
   is ERR_SHORT_NAME ("short-name resolution enforced but cannot prompt without a TTY": a library cannot
   prompt). The seed's ResolveNames: on success out holds the candidates in pull order (free with
   crioimg_candidates_free; it is zeroed first, so freeing after a failure is safe too). Errors:
   ERR_REGISTRY_IMAGE_ID ("cannot parse an image ID") for a 64-hex name, ERR_REGISTRY_NO_SEARCH ("no
   registries configured while trying to pull an unqualified image"), or the reference error
   (crioimg_registries_error gives Go's text). */
CRIOIMG_API crioimg_result crioimg_registries_resolve(crioimg_registries *r, const char *name, size_t n, crioimg_candidates *out);
CRIOIMG_API void crioimg_candidates_free(crioimg_candidates *c);

/* ---- registries.conf ---- */

typedef enum crioimg_short_name_mode {
    CRIOIMG_SHORT_NAME_UNSET = 0,      /* not set by any file: containers/image's default, permissive */
    CRIOIMG_SHORT_NAME_ENFORCING,
    CRIOIMG_SHORT_NAME_PERMISSIVE,
    CRIOIMG_SHORT_NAME_DISABLED
} crioimg_short_name_mode;

/* Where registries.conf is read from; NULL fields mean containers/image's defaults:
   - path: the main file. Default: $HOME/.config/containers/registries.conf when it exists (then only the
     per-user drop-in directory is read), else /etc/containers/registries.conf (a missing default file is
     an empty configuration; a missing explicit one is an error). skopeo's --registries-conf and
     CONTAINERS_REGISTRIES_CONF set this.
   - dir: one drop-in directory read instead of the default ones (/etc/containers/registries.conf.d, then
     $HOME/.config/containers/registries.conf.d). "*.conf" files, in name order, each in the v2 format.
   - home: instead of $HOME. */
typedef struct crioimg_conf_paths {
    const char *path, *dir, *home;
} crioimg_conf_paths;

/* Reads registries.conf and its drop-ins as containers/image does (v1 files converted; drop-ins
   override registries by prefix, the search list, the short-name mode and single aliases). Replaces any
   configuration loaded before. Errors: ERR_REGISTRIES_CONF with crioimg_registries_error() naming the
   file and line ("/etc/containers/registries.conf:7: invalid short-name mode: \"x\""; a NUL in any
   string, raw or as \u0000, is one), also for a file over 1 MiB; ERR_IO when a file cannot be read or
   is not a regular file (a FIFO or a device is refused at once, never waited on), or when a drop-in
   directory exists but cannot be listed (a read error part way is one too); ERR_UNSUPPORTED for a drop-in
   directory that exists on a non-POSIX platform (no directory listing there; a missing one is no error).
   Unknown keys and tables are ignored, as containers/image ignores them; crioimg_registries_warning()
   names the last one. Without a search list from crioimg_registries_add_search, resolution then
   follows the loaded configuration (aliases, unqualified-search-registries, short-name mode). */
CRIOIMG_API crioimg_result crioimg_registries_load_conf(crioimg_registries *r, const crioimg_conf_paths *paths);
/* The same for one file's text (name is used in messages); dropin 1 makes it a drop-in applied over what
   is loaded (which must then be v2). */
CRIOIMG_API crioimg_result crioimg_registries_load_conf_text(crioimg_registries *r, const char *text, size_t n, const char *name, int dropin);
/* The last warning ("" when none): an ignored key or table, with file and line. */
CRIOIMG_API const char *crioimg_registries_warning(const crioimg_registries *r);
/* The short-name mode in effect (UNSET resolves as PERMISSIVE). */
CRIOIMG_API crioimg_short_name_mode crioimg_registries_short_name_mode(const crioimg_registries *r);

/* The pull sources of a qualified name (crioimg_ref_parse_normalized; a short name is an error
   ERR_SHORT_NAME): the mirrors of its [[registry]] in order (honouring mirror-by-digest-only and
   pull-from-mirror), then the primary location, each with the reference rewritten from the prefix to the
   endpoint's location; rule MIRROR or PRIMARY, origin the endpoint's location, insecure its setting.
   With no matching [[registry]], the name itself (PRIMARY). ERR_REGISTRY_BLOCKED for a blocked one. */
CRIOIMG_API crioimg_result crioimg_registries_pull_sources(crioimg_registries *r, const char *name, size_t n, crioimg_candidates *out);

/* ---- insecure registries ---- */

typedef enum crioimg_insecure_rule {
    CRIOIMG_INSECURE_RULE_NONE = 0,      /* secure: nothing said otherwise */
    CRIOIMG_INSECURE_RULE_HOST,          /* insecure: an exact host[:port] entry */
    CRIOIMG_INSECURE_RULE_LOOPBACK,      /* insecure: 127.0.0.0/8 or ::1, built in */
    CRIOIMG_INSECURE_RULE_CIDR,          /* insecure: the IP literal lies in an insecure CIDR */
    CRIOIMG_INSECURE_RULE_CIDR_RESOLVED, /* insecure: an address of the name lies in an insecure CIDR */
    CRIOIMG_INSECURE_RULE_LOOKUP_FAILED, /* secure: the name could not be looked up */
    CRIOIMG_INSECURE_RULE_NO_MATCH,      /* secure: looked up (or a literal); no address in any CIDR */
    CRIOIMG_INSECURE_RULE_CONF           /* insecure: registries.conf says insecure = true */
} crioimg_insecure_rule;

typedef struct crioimg_insecure_decision {
    int insecure;                 /* 1 insecure, 0 secure */
    crioimg_insecure_rule rule;
    char detail[96];              /* the entry, CIDR or address that decided ("" when none) */
    int cached;                   /* 1 when the resolver's answer came from the cache */
} crioimg_insecure_decision;

/* Decides host ("name", "name:port", "1.2.3.4:5000", "[::1]:5000"). ERR_REGISTRY_INVALID for anything
   else. The resolver is asked at most once per host name for the life of r. */
CRIOIMG_API crioimg_result crioimg_registries_check_host(crioimg_registries *r, const char *host, size_t n, crioimg_insecure_decision *out);
/* "none", "host", "loopback", "cidr", "cidr-resolved", "lookup-failed", "no-match", "registries-conf". */
CRIOIMG_API const char *crioimg_insecure_rule_name(crioimg_insecure_rule rule);
