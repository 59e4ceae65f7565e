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

/* The images a store holds, for the seed's truncated-ID expansion: expand writes the full 64-hex ID of
   the one image whose ID starts with prefix (n >= 3) into id (NUL-terminated) and returns CRIOIMG_OK;
   CRIOIMG_ERR_NOT_FOUND when no image (or more than one) matches. */
#define CRIOIMG_IMAGE_IDS_VERSION 1
typedef struct crioimg_image_ids {
    unsigned version;          /* CRIOIMG_IMAGE_IDS_VERSION */
    void *user;
    crioimg_result (*expand)(void *user, const char *prefix, size_t n, char id[65]);
} crioimg_image_ids;

/* Zeroed means defaults. */
typedef struct crioimg_registries_options {
    crioimg_allocator alloc;
    const crioimg_resolver *resolver;  /* NULL: getaddrinfo where the platform has it (see below) */
    int no_resolver;                   /* 1: never look names up (every name is then secure unless an
                                          entry says otherwise) */
    const crioimg_image_ids *image_ids; /* NULL: no store attached, no ID expansion */
} crioimg_registries_options;

typedef struct crioimg_registries crioimg_registries;

/* A new, empty configuration: no search list, no insecure entries but the two built-in loopback CIDRs.
   ERR_INVALID_ARGS for a bad allocator or a vtable whose version is 0 or newer than this header's. */
CRIOIMG_API crioimg_result crioimg_registries_new(crioimg_registries **out, const crioimg_registries_options *opts);
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
    CRIOIMG_CANDIDATE_SEARCH          /* a registry of the search list */
} crioimg_candidate_rule;

typedef struct crioimg_candidate {
    char *name;                  /* NUL-terminated; owned by the list */
    crioimg_candidate_rule rule;
    const char *origin;          /* SEARCH: the registry; else "" (borrowed from the list) */
} crioimg_candidate;

typedef struct crioimg_candidates {
    crioimg_candidate *items;
    size_t n;
    crioimg_allocator alloc;     /* how items was allocated */
} crioimg_candidates;

/* The seed's ResolveNames. On success out holds the candidates in pull order (free with
   crioimg_candidates_free; it is zeroed first, so freeing after a failure is safe too). Errors:
   ERR_REGISTRY_IMAGE_ID ("cannot parse an image ID") for a 64-hex name, ERR_REGISTRY_NO_SEARCH ("no
   registries configured while trying to pull an unqualified image"), or the reference error
   (crioimg_registries_error gives Go's text). */
CRIOIMG_API crioimg_result crioimg_registries_resolve(crioimg_registries *r, const char *name, size_t n, crioimg_candidates *out);
CRIOIMG_API void crioimg_candidates_free(crioimg_candidates *c);

/* ---- insecure registries ---- */

typedef enum crioimg_insecure_rule {
    CRIOIMG_INSECURE_RULE_NONE = 0,      /* secure: nothing said otherwise */
    CRIOIMG_INSECURE_RULE_HOST,          /* insecure: an exact host[:port] entry */
    CRIOIMG_INSECURE_RULE_LOOPBACK,      /* insecure: 127.0.0.0/8 or ::1, built in */
    CRIOIMG_INSECURE_RULE_CIDR,          /* insecure: the IP literal lies in an insecure CIDR */
    CRIOIMG_INSECURE_RULE_CIDR_RESOLVED, /* insecure: an address of the name lies in an insecure CIDR */
    CRIOIMG_INSECURE_RULE_LOOKUP_FAILED, /* secure: the name could not be looked up */
    CRIOIMG_INSECURE_RULE_NO_MATCH       /* secure: looked up (or a literal); no address in any CIDR */
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
/* "none", "host", "loopback", "cidr", "cidr-resolved", "lookup-failed", "no-match". */
CRIOIMG_API const char *crioimg_insecure_rule_name(crioimg_insecure_rule rule);
