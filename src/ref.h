/* ---------------------------------------------------------------------------------------------------
   ref: container image references

   The grammar and normalisation of distribution/reference as containers/image carries it
   (docker/reference), with go-digest's digest checks (sha256, sha384, sha512), plus bracketed IPv6 hosts
   ("[::1]:5000/repo") as distribution/reference accepts them since 2022. Functions mirror the Go API:

     Go                          C
     Parse                       crioimg_ref_parse
     ParseNormalizedNamed        crioimg_ref_parse_normalized
     ParseNamed                  crioimg_ref_parse_named
     ParseAnyReference           crioimg_ref_parse_any
     ParseDockerRef              crioimg_ref_parse_docker
     WithName/WithTag/WithDigest crioimg_ref_with_name / _with_tag / _with_digest
     TrimNamed, TagNameOnly      crioimg_ref_trim_named, crioimg_ref_tag_name_only
     Name, Domain, Path          ref.name, crioimg_ref_domain, crioimg_ref_path
     String, FamiliarString      crioimg_ref_string, crioimg_ref_familiar_string
     FamiliarName, FamiliarMatch crioimg_ref_familiar_name, crioimg_ref_familiar_match

   Inputs are (pointer, length): embedded NUL, newline and non-ASCII bytes are errors. Every parse takes
   a few linear passes at most (more only on failure, to find Go's error); nothing is allocated, and no
   input is copied (the stack frames stay small). The parse functions zero the output struct on any parse
   error (not on ERR_INVALID_ARGS); with_tag/with_digest leave it untouched on error. The error texts are
   Go's (crioimg_result_str); where Go puts the input into the text, crioimg_ref_error_message() formats
   it the same way.
   --------------------------------------------------------------------------------------------------- */

#define CRIOIMG_REF_NAME_MAX   255   /* NameTotalLengthMax: domain, '/' and path together */
#define CRIOIMG_REF_TAG_MAX    128
#define CRIOIMG_REF_DIGEST_MAX 135   /* "sha512:" + 128 hex, the longest digest a reference can hold */
/* The longest String() of any reference, not counting the NUL. */
#define CRIOIMG_REF_STRING_MAX (CRIOIMG_REF_NAME_MAX + 1 + CRIOIMG_REF_TAG_MAX + 1 + CRIOIMG_REF_DIGEST_MAX)

/* A parsed reference. Go's reference kinds are told apart by which fields are empty:
   name only (repository), name+tag, name+digest, name+tag+digest, digest only (ParseAnyReference). */
typedef struct crioimg_ref {
    char name[CRIOIMG_REF_NAME_MAX + 1];     /* Name(): [domain "/"] path; "" for a digest-only reference */
    char tag[CRIOIMG_REF_TAG_MAX + 1];       /* "" when absent */
    char digest[CRIOIMG_REF_DIGEST_MAX + 1]; /* "algorithm:hex", "" when absent */
    unsigned short name_len, domain_len, tag_len, digest_len; /* domain is name[0, domain_len) */
} crioimg_ref;

/* Parse: the reference grammar, no normalisation. "foo/bar" has domain "foo". */
CRIOIMG_API crioimg_result crioimg_ref_parse(crioimg_ref *out, const char *s, size_t n);
/* ParseNormalizedNamed: docker.io and library/ added as the docker CLI does; no tag added. */
CRIOIMG_API crioimg_result crioimg_ref_parse_normalized(crioimg_ref *out, const char *s, size_t n);
/* ParseNamed: ParseNormalizedNamed, then ERR_REF_NOT_CANONICAL unless the input was already canonical. */
CRIOIMG_API crioimg_result crioimg_ref_parse_named(crioimg_ref *out, const char *s, size_t n);
/* ParseAnyReference: a 64-hex ID ("sha256:" added) or a valid digest gives a digest-only reference;
   anything else goes through ParseNormalizedNamed. */
CRIOIMG_API crioimg_result crioimg_ref_parse_any(crioimg_ref *out, const char *s, size_t n);
/* ParseDockerRef: ParseNormalizedNamed, then the digest wins over a tag, then ":latest" if neither. */
CRIOIMG_API crioimg_result crioimg_ref_parse_docker(crioimg_ref *out, const char *s, size_t n);

/* WithName: a name-only reference from a name (no normalisation). */
CRIOIMG_API crioimg_result crioimg_ref_with_name(crioimg_ref *out, const char *name, size_t n);
/* WithTag / WithDigest: out = ref with that tag / digest (a digest on ref is kept by WithTag, a tag is
   kept by WithDigest). out may be ref. WithDigest checks the digest grammar only, as Go does; a digest
   longer than CRIOIMG_REF_DIGEST_MAX is refused with ERR_REF_DIGEST_FORMAT (Go has no bound). */
CRIOIMG_API crioimg_result crioimg_ref_with_tag(crioimg_ref *out, const crioimg_ref *ref, const char *tag, size_t n);
CRIOIMG_API crioimg_result crioimg_ref_with_digest(crioimg_ref *out, const crioimg_ref *ref, const char *digest, size_t n);
/* TrimNamed: drop tag and digest. TagNameOnly: add "latest" when there is neither. In place. */
CRIOIMG_API void crioimg_ref_trim_named(crioimg_ref *ref);
CRIOIMG_API void crioimg_ref_tag_name_only(crioimg_ref *ref);

/* Domain() and Path() as pointers into ref->name, with their lengths in *len (may be NULL).
   The domain is not NUL-terminated (a '/' follows it); the path is. */
CRIOIMG_API const char *crioimg_ref_domain(const crioimg_ref *ref, size_t *len);
CRIOIMG_API const char *crioimg_ref_path(const crioimg_ref *ref, size_t *len);
/* FamiliarName(): a suffix of ref->name ("docker.io/library/x" gives "x"); NUL-terminated. */
CRIOIMG_API const char *crioimg_ref_familiar_name(const crioimg_ref *ref, size_t *len);
/* String() / FamiliarString(): written to out (cap bytes with the NUL; CRIOIMG_REF_STRING_MAX + 1 always
   suffices). Return the length of the full string; it is truncated when that is >= cap. */
CRIOIMG_API size_t crioimg_ref_string(const crioimg_ref *ref, char *out, size_t cap);
CRIOIMG_API size_t crioimg_ref_familiar_string(const crioimg_ref *ref, char *out, size_t cap);
/* FamiliarMatch: Go's path.Match of pattern against FamiliarString, then against FamiliarName.
   *matched is set; ERR_REF_BAD_PATTERN for a malformed pattern (as path.ErrBadPattern). */
CRIOIMG_API crioimg_result crioimg_ref_familiar_match(const char *pattern, size_t n, const crioimg_ref *ref, int *matched);
/* 1 when the two references are the same (name, tag and digest), else 0. */
CRIOIMG_API int crioimg_ref_equal(const crioimg_ref *a, const crioimg_ref *b);

/* Digests as go-digest's Parse checks them: "algorithm:encoded", algorithm sha256, sha384 or sha512,
   lowercase hex of the algorithm's length. OK, ERR_DIGEST_FORMAT, ERR_DIGEST_LENGTH or
   ERR_DIGEST_UNSUPPORTED. */
CRIOIMG_API crioimg_result crioimg_digest_validate(const char *s, size_t n);

/* Image IDs: 1 when s is a full ID (64 lowercase hex: IdentifierRegexp); 0 otherwise. */
CRIOIMG_API int crioimg_id_is_full(const char *s, size_t n);
/* 1 when s could be a prefix of an ID: lowercase hex, min_len to 64 characters (containers/storage
   expands prefixes of 3 or more; ShortIdentifierRegexp wanted 6). */
CRIOIMG_API int crioimg_id_is_prefix(const char *s, size_t n, size_t min_len);

/* The error text Go gives for reference-parsing result r on input s, written like crioimg_ref_string
   (returns the full length). Most texts are crioimg_result_str(r); ERR_REF_HEX_NAME and ERR_REF_NO_NAME
   include the input, as Go's do. (Image-name errors get their full text from crioimg_image_name_parse.) */
CRIOIMG_API size_t crioimg_ref_error_message(crioimg_result r, const char *s, size_t n, char *out, size_t cap);

/* ---- transport-qualified image names (containers/image alltransports: "transport:reference") ---- */

typedef enum crioimg_transport {
    CRIOIMG_TRANSPORT_NONE = 0,
    CRIOIMG_TRANSPORT_DOCKER,             /* docker://NAME (tag or digest; ":latest" added) */
    CRIOIMG_TRANSPORT_CONTAINERS_STORAGE, /* containers-storage:[STORE-SPEC]NAME[@ID] or ID, or @ID */
    CRIOIMG_TRANSPORT_OCI,                /* oci:PATH[:REF] */
    CRIOIMG_TRANSPORT_OCI_ARCHIVE,        /* oci-archive:PATH[:REF] */
    CRIOIMG_TRANSPORT_DIR,                /* dir:PATH */
    CRIOIMG_TRANSPORT_DOCKER_ARCHIVE,     /* docker-archive:PATH[:NAME:TAG | :@INDEX] */
    CRIOIMG_TRANSPORT_DOCKER_DAEMON       /* docker-daemon:NAME:TAG or docker-daemon:sha256:ID */
} crioimg_transport;

/* A borrowed piece of the input: ptr points into the string that was parsed. */
typedef struct crioimg_span { const char *ptr; size_t len; } crioimg_span;

typedef struct crioimg_image_name {
    crioimg_transport transport;
    int has_ref;            /* ref is set (docker, containers-storage with a name, docker-daemon, archives) */
    crioimg_ref ref;
    crioimg_span path;      /* oci, oci-archive, dir, docker-archive: the path */
    crioimg_span oci_ref;   /* oci, oci-archive: the image name after the path's colon (may be empty) */
    crioimg_span id;        /* containers-storage: the image ID; docker-daemon: the sha256 hex */
    int id_is_prefix;       /* containers-storage: id must be looked up in a store: a prefix of 3+ hex,
                               or a bare ID (Go accepts one only when its store has the image). With
                               has_ref also set, the store decides: an image with that ID, else the name */
    long long archive_index; /* docker-archive ":@N"; -1 when not given */
    /* containers-storage store specifier "[driver@graphroot+runroot:opt,opt]"; empty spans when absent */
    crioimg_span driver, graph_root, run_root, options;
} crioimg_image_name;

/* alltransports.ParseImageName: "transport:rest", each transport parsing its rest as containers/image
   does. Spans borrow from s. On error, err (when not NULL) gets containers/image's error text for it,
   truncated to errcap bytes with the NUL, never overflowed, and *errlen (when not NULL) its full length:
   the text quotes the input, which may hold NUL bytes (Go's %s keeps them). CRIOIMG_IMAGE_NAME_ERR_MAX
   bytes hold the text for inputs of a few hundred bytes; quoting can make a long input's text several
   times longer. */
#define CRIOIMG_IMAGE_NAME_ERR_MAX 4096
CRIOIMG_API crioimg_result crioimg_image_name_parse(crioimg_image_name *out, const char *s, size_t n,
                                                    char *err, size_t errcap, size_t *errlen);
/* The transport's name as containers/image spells it ("docker", "containers-storage", ...); "" for NONE. */
CRIOIMG_API const char *crioimg_transport_name(crioimg_transport t);
