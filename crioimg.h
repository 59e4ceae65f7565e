/* crioimg.h - v0.1.0 - container image references, registry resolution, pulls and a local image store
   in one C header. MIT licensed; see the end of this file.

   USAGE
     In exactly one C or C++ file:
         #define CRIOIMG_IMPLEMENTATION
     Everywhere else, include "crioimg.h" plainly for the declarations.

         crioimg_ref ref;
         crioimg_result r = crioimg_ref_parse_normalized(&ref, "nginx", 5);
         if (r != CRIOIMG_OK) puts(crioimg_result_str(r));    (prints Go's exact error text)
         else printf("%s:%s\n", ref.name, ref.tag);          ("docker.io/library/nginx:")

   OPTIONS (define before the #include that has CRIOIMG_IMPLEMENTATION)
     CRIOIMG_STATIC                  make every public function static (private copy per translation unit)
     CRIOIMG_API                     override the linkage of public functions (default: extern)
     CRIOIMG_MALLOC, CRIOIMG_REALLOC, CRIOIMG_FREE
                                     replace libc's allocator; define all three or none
     CRIOIMG_ASSERT(x)               replace assert() (used for programmer errors only, never for input)
     CRIOIMG_NO_SIMD                 leave out the SSE2 fast paths (x86-64) and the SHA-NI / ARMv8 SHA-256
                                     code; the portable code gives the same answers
     CRIOIMG_WITH_CURL               HTTP(S) through libcurl (link with -lcurl)
     CRIOIMG_WITH_MBEDTLS            the built-in HTTPS client on sockets + mbedtls; also mbedtls's
                                     SHA-256 as a path (link with -lmbedtls -lmbedx509 -lmbedcrypto;
                                     POSIX.1-2001: define _POSIX_C_SOURCE 200112L or later first)
     _FILE_OFFSET_BITS 64, _POSIX_C_SOURCE 200809L
                                     what the implementation needs on POSIX systems (see above): defined by
                                     crioimg.h when it comes first, else an #error names the one missing
     CRIOIMG_MBEDTLS_CA_FILE         the system CA bundle it trusts ("/etc/ssl/certs/ca-certificates.crt")

   CONVENTIONS
     Every fallible function returns a crioimg_result: 0 (CRIOIMG_OK) or a negative code, whose text
     crioimg_result_str() gives. Where the Go original (distribution/reference, containers/image) has an
     error text, that text is the description. Reference parsing allocates nothing and fills fixed-size
     caller-owned structs. A zeroed options struct means "defaults". No mutable global state.
*/
#ifndef CRIOIMG_H
#define CRIOIMG_H

/* The implementation needs 64-bit file offsets (blobs over 2 GiB on 32-bit systems) and, on POSIX systems,
   POSIX.1-2008 declarations (openat, fdopendir, getaddrinfo). Set here, as SQLite does, when crioimg.h is
   the first #include of the implementation's file; otherwise define _FILE_OFFSET_BITS 64 and
   _POSIX_C_SOURCE 200809L (or _GNU_SOURCE) before the first #include there. A build where they did not take
   stops with an #error that says so, never a library that fails at run time. */
#if defined(CRIOIMG_IMPLEMENTATION) && !defined(_FILE_OFFSET_BITS)
#  define _FILE_OFFSET_BITS 64
#endif
#if defined(CRIOIMG_IMPLEMENTATION) && (defined(__unix__) || defined(__APPLE__)) && defined(__STRICT_ANSI__) && \
    !defined(_POSIX_C_SOURCE) && !defined(_XOPEN_SOURCE) && !defined(_GNU_SOURCE) && !defined(_DEFAULT_SOURCE) && !defined(_BSD_SOURCE)
#  define _POSIX_C_SOURCE 200809L   /* strict -std=c99 declares nothing of POSIX without it */
#endif

#define CRIOIMG_VERSION_MAJOR 0
#define CRIOIMG_VERSION_MINOR 1
#define CRIOIMG_VERSION_PATCH 0
#define CRIOIMG_VERSION_STRING "0.1.0"

#include <stddef.h>
#include <stdint.h>   /* the hash contexts' fixed-width words */

#ifndef CRIOIMG_API
#  ifdef CRIOIMG_STATIC
#    if defined(__GNUC__) || defined(__clang__)
#      define CRIOIMG_API static __attribute__((unused))  /* a program need not call every function */
#    else
#      define CRIOIMG_API static
#    endif
#  else
#    define CRIOIMG_API extern
#  endif
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ==== src/core.h ==== */
/* ---------------------------------------------------------------------------------------------------
   core: result codes, allocator
   --------------------------------------------------------------------------------------------------- */

/* Every result code with its description, in one list: the enum and crioimg_result_str() are both made
   from it, so they cannot drift apart. Codes are stable: append, never renumber. The descriptions of the
   reference codes are the Go error texts (distribution/reference, go-digest, containers/image). */
#define CRIOIMG_RESULT_LIST(X) \
    X(OK,                      0,   "success") \
    X(ERR_INVALID_ARGS,       -1,   "invalid arguments") \
    X(ERR_NOMEM,              -2,   "out of memory") \
    X(ERR_BUFFER_TOO_SMALL,   -3,   "output buffer too small") \
    X(ERR_UNSUPPORTED,        -4,   "operation not supported") \
    X(ERR_NOT_FOUND,          -5,   "not found") \
    X(ERR_IO,                 -6,   "input/output error") \
    X(ERR_REF_FORMAT,         -100, "invalid reference format") \
    X(ERR_REF_TAG_FORMAT,     -101, "invalid tag format") \
    X(ERR_REF_DIGEST_FORMAT,  -102, "invalid digest format") \
    X(ERR_REF_UPPERCASE,      -103, "repository name must be lowercase") \
    X(ERR_REF_NAME_EMPTY,     -104, "repository name must have at least one component") \
    X(ERR_REF_NAME_TOO_LONG,  -105, "repository name must not be more than 255 characters") \
    X(ERR_REF_NOT_CANONICAL,  -106, "repository name must be canonical") \
    X(ERR_REF_NORM_UPPERCASE, -107, "invalid reference format: repository name must be lowercase") \
    X(ERR_REF_HEX_NAME,       -108, "invalid repository name, cannot specify 64-byte hexadecimal strings") \
    X(ERR_REF_NO_NAME,        -109, "reference has no name") \
    X(ERR_REF_BAD_PATTERN,    -110, "syntax error in pattern") \
    X(ERR_DIGEST_FORMAT,      -120, "invalid checksum digest format") \
    X(ERR_DIGEST_LENGTH,      -121, "invalid checksum digest length") \
    X(ERR_DIGEST_UNSUPPORTED, -122, "unsupported digest algorithm") \
    X(ERR_IMAGE_NAME_NO_COLON,-130, "invalid image name, expected colon-separated transport:reference") \
    X(ERR_IMAGE_NAME_TRANSPORT,-131,"invalid image name, unknown transport") \
    X(ERR_IMAGE_NAME_INVALID, -132, "invalid image name for its transport") \
    X(ERR_DIGEST_MISMATCH,    -123, "content does not match its digest") \
    X(ERR_SIZE_MISMATCH,      -124, "content does not match its size") \
    X(ERR_TOO_BIG,            -7,   "exceeded maximum allowed size") \
    X(ERR_JSON_SYNTAX,        -140, "invalid JSON") \
    X(ERR_JSON_TOO_BIG,       -141, "JSON document too large") \
    X(ERR_JSON_TOO_DEEP,      -142, "JSON nested too deeply") \
    X(ERR_JSON_DUPLICATE,     -143, "duplicate key in JSON object") \
    X(ERR_JSON_UTF8,          -144, "invalid UTF-8 in JSON") \
    X(ERR_JSON_TYPE,          -145, "JSON value of the wrong type") \
    X(ERR_JSON_RANGE,         -146, "JSON number out of range") \
    X(ERR_MANIFEST_INVALID,   -150, "invalid manifest") \
    X(ERR_MANIFEST_UNSUPPORTED, -151, "unsupported manifest type") \
    X(ERR_MANIFEST_AMBIGUOUS, -152, "ambiguous manifest: both manifests and layers or config") \
    X(ERR_MANIFEST_MEDIA_TYPE, -153, "manifest media type does not match its Content-Type") \
    X(ERR_PLATFORM_NOT_FOUND, -154, "no image in the index matches the platform") \
    X(ERR_AUTH_CHALLENGE,     -170, "malformed WWW-Authenticate header") \
    X(ERR_AUTH_REALM,         -171, "token realm refused") \
    X(ERR_HTTP_REDIRECT,      -172, "redirect refused") \
    X(ERR_TIMEOUT,            -8,   "timed out") \
    X(ERR_REGISTRY_INVALID,   -160, "invalid registry host") \
    X(ERR_REGISTRY_CIDR,      -161, "invalid CIDR") \
    X(ERR_REGISTRY_IMAGE_ID,  -162, "cannot parse an image ID") \
    X(ERR_REGISTRY_NO_SEARCH, -163, "no registries configured while trying to pull an unqualified image") \
    X(ERR_REGISTRY_BLOCKED,   -164, "registry is blocked in registries.conf") \
    X(ERR_REGISTRIES_CONF,    -165, "invalid registries configuration") \
    X(ERR_SHORT_NAME,         -166, "short-name resolution failed") \
    X(ERR_IMAGE_UNKNOWN,      -180, "image not known") \
    X(ERR_STORE_AMBIGUOUS,    -181, "ambiguous image ID prefix") \
    X(ERR_STORE_CORRUPT,      -182, "store is corrupt") \
    X(ERR_STORE_UNSAFE,       -183, "unsafe file in store (symlink or not a regular file)") \
    X(ERR_STORE_READ_ONLY,    -184, "store is read-only") \
    X(ERR_CANCELLED,          -9,   "operation cancelled") \
    X(ERR_HTTP_NO_TRANSPORT,  -173, "no HTTP transport available") \
    X(ERR_HTTP_CONNECT,       -174, "connection failed") \
    X(ERR_HTTP_TLS,           -175, "TLS handshake or certificate verification failed") \
    X(ERR_HTTP_PROTOCOL,      -176, "malformed HTTP response") \
    X(ERR_HTTP_STATUS,        -177, "unexpected HTTP status") \
    X(ERR_AUTH_REQUIRED,      -178, "authentication required") \
    X(ERR_AUTH_TOKEN,         -179, "invalid token response") \
    X(ERR_TLS_FILES,          -196, "invalid certificate directory") \
    X(ERR_REGISTRY_MANIFEST_UNKNOWN, -190, "manifest unknown") \
    X(ERR_REGISTRY_BLOB_UNKNOWN, -191, "blob unknown to registry") \
    X(ERR_REGISTRY_DENIED,    -192, "requested access to the resource is denied") \
    X(ERR_REGISTRY_TOO_MANY_REQUESTS, -193, "too many requests to registry") \
    X(ERR_REGISTRY_UNAVAILABLE, -194, "registry unavailable") \
    X(ERR_REGISTRY_NOT_V2,    -195, "endpoint does not support v2 API") \
    X(ERR_POLICY_INVALID,     -200, "invalid signature policy") \
    X(ERR_POLICY_REJECTED,    -201, "image rejected by signature policy") \
    X(ERR_POLICY_UNSUPPORTED, -202, "signature policy requirement not supported by crioimg")

#define CRIOIMG__RESULT_ENUM(name, value, text) CRIOIMG_##name = value,
typedef enum crioimg_result { CRIOIMG_RESULT_LIST(CRIOIMG__RESULT_ENUM) CRIOIMG__RESULT_FORCE_INT = -0x7fff } crioimg_result;
#undef CRIOIMG__RESULT_ENUM

/* The description of a result code; never NULL ("unknown result" for codes not in the list). */
CRIOIMG_API const char *crioimg_result_str(crioimg_result r);
/* The name of a result code without the CRIOIMG_ prefix ("ERR_REF_FORMAT"); never NULL. */
CRIOIMG_API const char *crioimg_result_name(crioimg_result r);

/* A run-time allocator, for the option structs of objects that allocate. All three functions or none:
   a zeroed struct means the compile-time default (CRIOIMG_MALLOC/REALLOC/FREE, else libc). */
typedef struct crioimg_allocator {
    void *(*alloc)(size_t size, void *user);
    void *(*realloc)(void *ptr, size_t new_size, void *user);
    void  (*free)(void *ptr, void *user);
    void *user;
} crioimg_allocator;

/* Checks an allocator: OK when it is all-zero (the default) or fully set, ERR_INVALID_ARGS otherwise. */
CRIOIMG_API crioimg_result crioimg_allocator_check(const crioimg_allocator *a);

/* The library's allocation entry points: a's functions when set, else the compile-time allocator (a may
   be NULL). Everything the library allocates goes through these, and so must any buffer that a host's
   store or transport hands to the library to free later. crioimg_free(a, NULL) does nothing. */
CRIOIMG_API void *crioimg_malloc(const crioimg_allocator *a, size_t size);
CRIOIMG_API void *crioimg_realloc(const crioimg_allocator *a, void *ptr, size_t size);
CRIOIMG_API void  crioimg_free(const crioimg_allocator *a, void *ptr);

/* Writes s (n bytes) as a JSON string with its quotes, escaped so that any input, even invalid UTF-8,
   gives valid JSON (invalid bytes become \ufffd, as Go's encoding/json does). Returns the length the
   result needs, not counting the NUL; writes at most cap bytes including a NUL (cap may be 0). */
CRIOIMG_API size_t crioimg_json_quote(char *out, size_t cap, const char *s, size_t n);

/* ==== src/ref.h ==== */
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
   a few linear passes at most (more only on failure, to find Go's error); nothing is allocated (the
   failure path uses a 4 KiB stack buffer). The parse functions zero the output struct on any parse
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

/* ==== src/digest.h ==== */
/* ---------------------------------------------------------------------------------------------------
   digest: OCI digests, SHA-256, SHA-384, SHA-512

   Digests as the OCI image-spec writes them:

     digest    := algorithm ":" encoded
     algorithm := component (separator component)*     component := [a-z0-9]+   separator := [+._-]
     encoded   := [a-zA-Z0-9=_-]+

   sha256 needs 64 lowercase hex digits, sha512 128; sha384 (go-digest knows it) 96. Any other algorithm
   that fits the grammar parses, as CRIOIMG_DIGEST_UNKNOWN, so that a document naming one can still be
   read; hashing and verifying refuse it (ERR_DIGEST_UNSUPPORTED). A parsed digest is safe to put into
   a path or URL: its parts hold no '/', '.', ':' (past the first) or anything outside the grammar.

   (crioimg_digest_validate, with the references, is go-digest's yes/no check; this is the parser.)

   Hashing never allocates. SHA-256 has up to four paths, one chosen when a context is initialised:
   x86-64 SHA-NI (CPUID) or ARMv8 crypto extensions (getauxval), else mbedtls's under
   CRIOIMG_WITH_MBEDTLS, else portable C. crioimg_sha256_init_impl() forces one (for tests and hosts that
   insist); every path gives the same bytes. SHA-384/512 are portable C.

     crioimg_digest d;
     if (crioimg_digest_parse(&d, s, n) != CRIOIMG_OK) ...;          d.algorithm, d.encoded: spans of s
     crioimg_hasher h;
     if (crioimg_hasher_init(&h, d.alg) != CRIOIMG_OK) ...;         unknown algorithm: refused
     crioimg_hasher_update(&h, chunk, len);                          as often as needed
     r = crioimg_hasher_verify(&h, &d);                              OK or ERR_DIGEST_MISMATCH
   --------------------------------------------------------------------------------------------------- */

typedef enum crioimg_digest_alg {
    CRIOIMG_DIGEST_UNKNOWN = 0,  /* grammatical, not implemented: refused wherever content is verified */
    CRIOIMG_DIGEST_SHA256,
    CRIOIMG_DIGEST_SHA384,
    CRIOIMG_DIGEST_SHA512
} crioimg_digest_alg;

#define CRIOIMG_DIGEST_BYTES_MAX  64   /* the longest hash (SHA-512) */
#define CRIOIMG_DIGEST_STRING_MAX 135  /* the longest known digest string, "sha512:" + 128 hex */

/* A parsed digest. The spans borrow from the parsed string. */
typedef struct crioimg_digest {
    crioimg_digest_alg alg;
    crioimg_span algorithm;   /* "sha256" */
    crioimg_span encoded;     /* what follows the ':' */
} crioimg_digest;

/* Parses s[0, n) as a digest. OK (also for an unknown algorithm: alg is then UNKNOWN);
   ERR_DIGEST_FORMAT for anything outside the grammar, or a known algorithm's encoded part that is not
   lowercase hex; ERR_DIGEST_LENGTH for a known algorithm's hex of the wrong length. On error *out is
   zeroed. crioimg_digest_error_message() says what exactly is wrong. */
CRIOIMG_API crioimg_result crioimg_digest_parse(crioimg_digest *out, const char *s, size_t n);
/* A one-line text for result r of parsing s (or of verifying against it): the result's text, the input
   quoted (the first 100 bytes, JSON-escaped) and what is wrong, e.g.
   invalid checksum digest format: "sha256:../../x": '.' at offset 7 is not allowed in the encoded part
   Written like snprintf: returns the full length; truncated when that is >= cap. */
CRIOIMG_API size_t crioimg_digest_error_message(crioimg_result r, const char *s, size_t n, char *out, size_t cap);

/* "sha256", "sha384", "sha512"; "" for UNKNOWN. */
CRIOIMG_API const char *crioimg_digest_alg_name(crioimg_digest_alg a);
/* The hash's size in bytes: 32, 48, 64; 0 for UNKNOWN. */
CRIOIMG_API size_t crioimg_digest_alg_size(crioimg_digest_alg a);
/* The algorithm named s[0, n) ("sha256" ...), or UNKNOWN. */
CRIOIMG_API crioimg_digest_alg crioimg_digest_alg_from_name(const char *s, size_t n);

/* ---- SHA-256 ---- */

typedef enum crioimg_sha256_impl {
    CRIOIMG_SHA256_AUTO = 0,     /* the fastest this CPU and build have */
    CRIOIMG_SHA256_PORTABLE,
    CRIOIMG_SHA256_X86_SHANI,    /* x86-64 SHA extensions (gcc/clang) */
    CRIOIMG_SHA256_ARMV8,        /* ARMv8 crypto extensions (aarch64, gcc >= 8 or clang >= 16) */
    CRIOIMG_SHA256_MBEDTLS       /* mbedtls_sha256_* (CRIOIMG_WITH_MBEDTLS) */
} crioimg_sha256_impl;
#define CRIOIMG_SHA256_IMPL_COUNT 5

/* A SHA-256 context: caller-owned, nothing to free, may be copied to fork a hash. Fields are private.
   Its layout is the same whatever the options (the union holds mbedtls's context when that path runs). */
typedef struct crioimg_sha256_ctx {
    union {
        struct { uint32_t h[8]; uint64_t len; unsigned char buf[64]; } s;  /* len: bytes so far */
        unsigned char ext[256];
        uint64_t align_u64;
        void *align_ptr;
    } u;
    unsigned impl;      /* crioimg_sha256_impl in use (never AUTO) */
} crioimg_sha256_ctx;

/* Starts a hash on the fastest path available. */
CRIOIMG_API void crioimg_sha256_init(crioimg_sha256_ctx *c);
/* Starts a hash on the given path: ERR_UNSUPPORTED (c set up for PORTABLE) when this CPU or build lacks
   it. AUTO is the same as crioimg_sha256_init. */
CRIOIMG_API crioimg_result crioimg_sha256_init_impl(crioimg_sha256_ctx *c, crioimg_sha256_impl impl);
CRIOIMG_API void crioimg_sha256_update(crioimg_sha256_ctx *c, const void *data, size_t n);
/* Writes the 32-byte hash and wipes the hash state (the path stays: see crioimg_sha256_reset). */
CRIOIMG_API void crioimg_sha256_final(crioimg_sha256_ctx *c, unsigned char out[32]);
/* Starts a new hash on the path c was initialised with, without asking the CPU again (CPUID costs
   microseconds in a virtual machine: this is for hashing many small things). c must have been
   initialised; a zeroed c gets crioimg_sha256_init. */
CRIOIMG_API void crioimg_sha256_reset(crioimg_sha256_ctx *c);
/* One-shot: out = SHA-256(data[0, n)). */
CRIOIMG_API void crioimg_sha256(const void *data, size_t n, unsigned char out[32]);
/* 1 when this CPU and build have the path; AUTO and PORTABLE always. Each call asks the CPU afresh. */
CRIOIMG_API int crioimg_sha256_impl_available(crioimg_sha256_impl impl);
/* "auto", "portable", "x86-shani", "armv8", "mbedtls"; "" for other values. */
CRIOIMG_API const char *crioimg_sha256_impl_name(crioimg_sha256_impl impl);

/* ---- SHA-512 and SHA-384 (portable C) ---- */

typedef struct crioimg_sha512_ctx {
    uint64_t h[8];
    uint64_t len;       /* bytes so far */
    unsigned char buf[128];
    unsigned out_len;   /* 64, or 48 for SHA-384 */
} crioimg_sha512_ctx;
typedef crioimg_sha512_ctx crioimg_sha384_ctx;

CRIOIMG_API void crioimg_sha512_init(crioimg_sha512_ctx *c);
CRIOIMG_API void crioimg_sha512_update(crioimg_sha512_ctx *c, const void *data, size_t n);
CRIOIMG_API void crioimg_sha512_final(crioimg_sha512_ctx *c, unsigned char out[64]);
CRIOIMG_API void crioimg_sha512(const void *data, size_t n, unsigned char out[64]);
CRIOIMG_API void crioimg_sha384_init(crioimg_sha384_ctx *c);
CRIOIMG_API void crioimg_sha384_update(crioimg_sha384_ctx *c, const void *data, size_t n);
CRIOIMG_API void crioimg_sha384_final(crioimg_sha384_ctx *c, unsigned char out[48]);
CRIOIMG_API void crioimg_sha384(const void *data, size_t n, unsigned char out[48]);

/* ---- any known algorithm ---- */

typedef struct crioimg_hasher {
    crioimg_digest_alg alg;
    union { crioimg_sha256_ctx sha256; crioimg_sha512_ctx sha512; } u;
} crioimg_hasher;

/* ERR_DIGEST_UNSUPPORTED for UNKNOWN (or any value outside the enum). */
CRIOIMG_API crioimg_result crioimg_hasher_init(crioimg_hasher *h, crioimg_digest_alg alg);
CRIOIMG_API void crioimg_hasher_update(crioimg_hasher *h, const void *data, size_t n);
/* Writes the hash (crioimg_digest_alg_size(h->alg) bytes, at most CRIOIMG_DIGEST_BYTES_MAX) and returns
   its size; wipes the hash state (algorithm and path stay, for crioimg_hasher_reset). */
CRIOIMG_API size_t crioimg_hasher_final(crioimg_hasher *h, unsigned char *out);
/* Starts a new hash with h's algorithm (and SHA-256 path), as crioimg_sha256_reset. */
CRIOIMG_API void crioimg_hasher_reset(crioimg_hasher *h);
/* Finishes as "sha256:<lowercase hex>" into out (cap bytes with the NUL; CRIOIMG_DIGEST_STRING_MAX + 1
   always suffices); returns the full length, truncated as snprintf when that is >= cap. */
CRIOIMG_API size_t crioimg_hasher_final_string(crioimg_hasher *h, char *out, size_t cap);
/* Finishes and compares with want: OK, ERR_DIGEST_MISMATCH, or ERR_DIGEST_UNSUPPORTED when want's
   algorithm is not the hasher's (an unknown algorithm never verifies). Either way h is wiped as by final. */
CRIOIMG_API crioimg_result crioimg_hasher_verify(crioimg_hasher *h, const crioimg_digest *want);
/* One-shot: does data[0, n) hash to want? OK, ERR_DIGEST_MISMATCH or ERR_DIGEST_UNSUPPORTED. */
CRIOIMG_API crioimg_result crioimg_digest_verify(const crioimg_digest *want, const void *data, size_t n);

/* ==== src/json.h ==== */
/* ---------------------------------------------------------------------------------------------------
   json: a strict RFC 8259 reader and an escaping writer

   The reader takes a whole document in a buffer and produces a flat array of tokens that point into the
   buffer (nothing is copied; strings are unescaped on demand). It is strict: UTF-8 validated, no
   trailing commas, comments, NaN, leading zeros or lone surrogates; one value per document, only
   whitespace (space, tab, CR, LF) around it; no byte order mark. It is bounded: a size cap (read to
   cap+1 and refused), a depth cap kept with an explicit stack (input never deepens the C stack), a token
   cap. Duplicate keys inside one object are found after unescaping ("a" and "\u0061" are the same key)
   in O(n log n) per object; crioimg_json_opts.allow_duplicates says whether that is an error. Numbers
   keep their text and are range-checked when read as integers. Errors carry the byte offset, its line
   and a message. A string may unescape to bytes holding a NUL (\u0000): a reader whose strings become C
   strings or decide anything (auth.json, policy.json) sets crioimg_json_opts.refuse_nul and reports
   "FILE:LINE: ..." with doc.err_line, or crioimg_json_line() for a token it finds wrong later.

   Memory: one token (sizeof(crioimg_json_token), 40 bytes on LP64) per value and per key, in one array
   grown geometrically; a few bytes of input can make a token ("[0,0,...]"), so the token array can be
   up to about 20 times the input. Pass a smaller max_tokens where documents are known to be small.
   --------------------------------------------------------------------------------------------------- */

typedef enum crioimg_json_type {
    CRIOIMG_JSON_NULL = 0,
    CRIOIMG_JSON_FALSE,
    CRIOIMG_JSON_TRUE,
    CRIOIMG_JSON_NUMBER,
    CRIOIMG_JSON_STRING,
    CRIOIMG_JSON_ARRAY,
    CRIOIMG_JSON_OBJECT
} crioimg_json_type;

/* One value. Tokens are in document order: a container is followed by its children, an object's
   children alternate key (a STRING token) and value. */
typedef struct crioimg_json_token {
    unsigned char type;    /* crioimg_json_type */
    unsigned char escaped; /* STRING: holds at least one backslash escape */
    size_t start, len;     /* the raw text: STRING without its quotes, NUMBER as written, containers whole */
    size_t count;          /* ARRAY: elements; OBJECT: members (key/value pairs) */
    size_t next;           /* index of the first token after this value and its children (the sibling) */
} crioimg_json_token;

typedef struct crioimg_json_opts {
    size_t max_size;        /* bytes; 0 = 4 MiB. A longer input is ERR_JSON_TOO_BIG without being read */
    size_t max_depth;       /* open containers: "1" is depth 0, "[]" 1, "[{}]" 2; 0 = 64 */
    size_t max_tokens;      /* 0 = max_size / 2 + 1 (every token takes at least 2 bytes but the root);
                               more tokens than this is ERR_JSON_TOO_BIG */
    int allow_duplicates;   /* 0: a repeated key in one object is CRIOIMG_ERR_JSON_DUPLICATE */
    crioimg_allocator alloc; /* zeroed = the default allocator */
    int refuse_nul;         /* 1: a \u0000 escape in any string or key is CRIOIMG_ERR_JSON_SYNTAX ("NUL
                               character (\u0000) in a string", err_line naming its line). Set it for
                               every document whose strings end up as C strings or decide anything
                               (auth.json, policy.json): then no decoded string can hold a NUL, so none can
                               be cut short by one. 0: strings keep their NULs; callers must use lengths. */
} crioimg_json_opts;

typedef struct crioimg_json {
    const char *buf;          /* the parsed text (borrowed: must outlive the document) */
    size_t len;
    crioimg_json_token *tok;  /* tok[0] is the root */
    size_t ntok;
    size_t err_offset;        /* on error: the byte offset where it was found */
    char err[128];            /* on error: what was wrong, e.g. "duplicate key \"layers\"" */
    crioimg_allocator alloc;
    unsigned long err_line;   /* on error: the 1-based line of err_offset, for "FILE:LINE: err" messages
                                 (0 when the document was refused by size, unread) */
} crioimg_json;

#define CRIOIMG_JSON_NONE ((size_t)-1)

/* Parses buf[0, len). On success doc holds the tokens (free with crioimg_json_free); on error doc->err,
   doc->err_offset and doc->err_line say why and where, and nothing needs freeing (freeing is harmless).
   opts may be NULL. Results: OK, ERR_JSON_SYNTAX (also an empty document, a BOM, bytes after the value,
   a \u0000 under opts->refuse_nul),
   ERR_JSON_TOO_BIG (size or token cap), ERR_JSON_TOO_DEEP, ERR_JSON_DUPLICATE, ERR_JSON_UTF8 (invalid
   UTF-8 in a string, or a \u escape of a lone surrogate), ERR_NOMEM, ERR_INVALID_ARGS (doc NULL, buf NULL
   with len > 0, a half-set allocator). */
CRIOIMG_API crioimg_result crioimg_json_parse(crioimg_json *doc, const char *buf, size_t len, const crioimg_json_opts *opts);
CRIOIMG_API void crioimg_json_free(crioimg_json *doc);

/* Navigation. Every function below takes any token index: CRIOIMG_JSON_NONE or an index past the end
   reads as "absent", so lookups chain: crioimg_json_int(d, crioimg_json_get(d, 0, "size"), ...). */

/* The value of key in the object at token obj, or CRIOIMG_JSON_NONE (also when obj is not an object).
   Keys are compared after unescaping, byte for byte (JSON keys are case-sensitive: "Layers" is not
   "layers"). Linear in the object's size. When duplicates were allowed, the last one wins, as in Go's
   encoding/json. */
CRIOIMG_API size_t crioimg_json_get(const crioimg_json *doc, size_t obj, const char *key);
/* Children: the first is obj + 1 (when count > 0), each next is doc->tok[i].next. For objects, i is a
   key and i + 1 its value. */

/* A STRING token unescaped into out (cap bytes with the NUL; out may be NULL when cap is 0). Returns the
   full length; out is truncated when that is >= cap. Never fails: the reader already validated the
   escapes, so the result is valid UTF-8. It may hold NUL bytes, from \u0000, unless the document was
   parsed with refuse_nul: compare the returned length with strlen(out) before using out as a C string,
   or parse with refuse_nul. 0 and "" for a token that is not a STRING. */
CRIOIMG_API size_t crioimg_json_string(const crioimg_json *doc, size_t tok, char *out, size_t cap);
/* The 1-based line of byte offset in the parsed text: for a message about a token found wrong after
   parsing (crioimg_json_line(doc, doc->tok[t].start)), in the "FILE:LINE: what" form that
   registries.conf messages use. 0 when doc is NULL. */
CRIOIMG_API unsigned long crioimg_json_line(const crioimg_json *doc, size_t offset);
/* 1 when the STRING token equals s[0, n) after unescaping, else 0 (also for other types). */
CRIOIMG_API int crioimg_json_string_eq(const crioimg_json *doc, size_t tok, const char *s, size_t n);
/* A NUMBER token as an integer in [min, max]: ERR_JSON_TYPE for another type or a fraction/exponent
   that is not integral, ERR_JSON_RANGE when out of range ("1e3" is 1000, "1.0" is 1, "-0" is 0; "1.5"
   and "1e-1" are ERR_JSON_TYPE; "1e400" is ERR_JSON_RANGE). Exact: no floating point is involved.
   ERR_NOT_FOUND for an absent token, ERR_INVALID_ARGS when min > max. *out is set only on success. */
CRIOIMG_API crioimg_result crioimg_json_int(const crioimg_json *doc, size_t tok, long long min, long long max, long long *out);

/* ---- writer: appends to a growable buffer; every string is escaped (crioimg_json_quote's rules) ----
   Compact output, no whitespace. The writer checks its calls: a key outside an object, a value in an
   object without its key, a mismatched end, a second top-level value or an invalid number make it fail
   with ERR_INVALID_ARGS; a 65th open container with ERR_JSON_TOO_DEEP; a failed allocation with
   ERR_NOMEM. After the first failure every call is ignored and finish reports it, so callers check once,
   at the end. Strings and keys that are not valid UTF-8 are written with U+FFFD (crioimg_json_quote).
   Duplicate keys are the caller's to avoid: the writer does not remember keys. */

#define CRIOIMG_JSON_WRITER_DEPTH 64   /* the bits of crioimg_json_writer.first */

typedef struct crioimg_json_writer {
    char *buf;             /* the text so far (NUL-terminated once anything is written), owned by the writer */
    size_t len, cap;
    size_t depth;          /* open containers, at most CRIOIMG_JSON_WRITER_DEPTH */
    unsigned long long first;  /* bit d-1: the next item in the container at depth d is its first */
    unsigned long long object; /* bit d-1: the container at depth d is an object */
    int after_key;         /* a key was written; its value comes next */
    int failed;            /* 0, or the first failure (a crioimg_result): everything after is dropped */
    crioimg_allocator alloc;
} crioimg_json_writer;

/* alloc may be NULL (the default allocator); a half-set one makes the writer fail with ERR_INVALID_ARGS. */
CRIOIMG_API void crioimg_json_writer_init(crioimg_json_writer *w, const crioimg_allocator *alloc);
CRIOIMG_API void crioimg_json_write_object_begin(crioimg_json_writer *w);
CRIOIMG_API void crioimg_json_write_object_end(crioimg_json_writer *w);
CRIOIMG_API void crioimg_json_write_array_begin(crioimg_json_writer *w);
CRIOIMG_API void crioimg_json_write_array_end(crioimg_json_writer *w);
CRIOIMG_API void crioimg_json_write_key(crioimg_json_writer *w, const char *key, size_t n);
CRIOIMG_API void crioimg_json_write_string(crioimg_json_writer *w, const char *s, size_t n);
CRIOIMG_API void crioimg_json_write_int(crioimg_json_writer *w, long long v);
/* A number as text, written as is after checking it against RFC 8259's number grammar (for copying a
   NUMBER token's text, which may not fit a long long). */
CRIOIMG_API void crioimg_json_write_number(crioimg_json_writer *w, const char *text, size_t n);
CRIOIMG_API void crioimg_json_write_bool(crioimg_json_writer *w, int v);
CRIOIMG_API void crioimg_json_write_null(crioimg_json_writer *w);
/* OK and the text (owned by the writer until crioimg_json_writer_free; text and len may be NULL), or the
   first failure; ERR_INVALID_ARGS also when the document is not complete (nothing written, a container
   left open, a key without its value). */
CRIOIMG_API crioimg_result crioimg_json_writer_finish(crioimg_json_writer *w, const char **text, size_t *len);
CRIOIMG_API void crioimg_json_writer_free(crioimg_json_writer *w);

/* ==== src/manifest.h ==== */
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
    char err[256];
    void *arena;
    crioimg_allocator alloc;
} crioimg_image_config;

/* Parses an OCI or Docker image configuration (the same JSON shape). */
CRIOIMG_API crioimg_result crioimg_image_config_parse(crioimg_image_config *c, const char *buf, size_t len,
                                                      const crioimg_manifest_opts *opts);
CRIOIMG_API void crioimg_image_config_free(crioimg_image_config *c);

/* config.User as a runtime reads it: "uid", "uid:gid", "name", "name:group". Numeric parts must be in
   [0, 2147483647]: "4294967296" must not wrap to 0 (CVE-2024-40635). *uid / *gid are set for numeric
   parts (else -1, also for "" = no User); ERR_JSON_RANGE for a number out of range or with a sign,
   ERR_INVALID_ARGS for an empty part (":1000"). */
CRIOIMG_API crioimg_result crioimg_image_config_user(const char *user, long *uid, long *gid);

/* ==== src/registries.h ==== */
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

/* ==== src/auth.h ==== */
/* ---------------------------------------------------------------------------------------------------
   auth: WWW-Authenticate challenges

   RFC 7235: one header value may carry several challenges ("Bearer realm="…",scope="a,b", Basic
   realm="x""), parameters are token or quoted-string (with backslash escapes, commas allowed inside),
   names are case-insensitive, a scheme may carry a token68 instead of parameters. containers/image reads
   only the first challenge of each header line; for that one, crioimg gives the same scheme and
   parameters (scheme and names lowercased, values unescaped). Linear, bounded, no allocation: the
   caller supplies the arrays and the buffer the unescaped strings go to.
   --------------------------------------------------------------------------------------------------- */

#define CRIOIMG_CHALLENGE_PARAMS_MAX 16

typedef struct crioimg_auth_challenge {
    const char *scheme;    /* lowercased: "bearer", "basic", ... */
    const char *token68;   /* the token68 form ("Negotiate abc=="), or NULL */
    size_t nparams;
    const char *names[CRIOIMG_CHALLENGE_PARAMS_MAX];   /* lowercased */
    const char *values[CRIOIMG_CHALLENGE_PARAMS_MAX];  /* unescaped */
} crioimg_auth_challenge;

/* Parses one WWW-Authenticate header value h[0, n) into up to max challenges (*count set). The strings
   are written to buf (cap bytes; 2 * n + 64 always suffices). Results: OK, ERR_AUTH_CHALLENGE (malformed:
   an unterminated quoted string, a parameter without a value, a repeated parameter, more than
   CRIOIMG_CHALLENGE_PARAMS_MAX parameters or max challenges), ERR_BUFFER_TOO_SMALL. */
CRIOIMG_API crioimg_result crioimg_www_authenticate_parse(const char *h, size_t n, crioimg_auth_challenge *out,
                                                          size_t max, size_t *count, char *buf, size_t cap);
/* The value of parameter name (lowercase) in c, or NULL. */
CRIOIMG_API const char *crioimg_auth_challenge_param(const crioimg_auth_challenge *c, const char *name);

/* ---- credentials from auth files (containers-auth.json(5), Docker's config.json) ---- */

typedef struct crioimg_credentials {
    char *username, *password, *identity_token;  /* NULL when absent; owned (crioimg_credentials_free) */
    crioimg_allocator alloc;
} crioimg_credentials;

/* Looks key up in the text of one auth file, as containers/image's findCredentialsInFile does: key is a
   repository ("quay.io/ns/repo"), a namespace or a registry ("quay.io"); the most specific entry of
   "auths" wins (repo, then each parent namespace, then the registry), then entries whose key, with
   "http(s)://" and a path stripped, names the registry (docker.io is index.docker.io), in document
   order. legacy_format reads ~/.dockercfg (entries at the top level, registry keys only). "auth" is
   base64 "user:password" (NULs trimmed from the password); "identitytoken" is read too. *found is 1 when
   an entry matched (an entry whose auth decodes to no ':' matches with no credentials, as in Docker).
   A "credHelpers" entry for the registry, or a "credsStore" (Docker's: every registry's credentials in a
   helper), is ERR_UNSUPPORTED: crioimg runs no helper programs. No string may hold a NUL: a \u0000 in the
   JSON is ERR_JSON_SYNTAX, an "auth" that decodes to a user name or password with a NUL inside is
   ERR_INVALID_ARGS (Go would send "user\0evil", a C string would send "user"). err (errcap bytes) says
   what was wrong and where ("line 3: ..."). alloc may be NULL. */
CRIOIMG_API crioimg_result crioimg_auth_file_lookup(crioimg_credentials *out, int *found, const char *json, size_t len,
                                                    const char *key, int legacy_format, const crioimg_allocator *alloc,
                                                    char *err, size_t errcap);
CRIOIMG_API void crioimg_credentials_free(crioimg_credentials *c);

/* An auth file to read, and whether it is in ~/.dockercfg's legacy format. */
typedef struct crioimg_auth_path { const char *path; int legacy_format; } crioimg_auth_path;
#define CRIOIMG_AUTH_PATHS_MAX 4

/* The auth files, in the order containers/image reads them (containers-auth.json(5)): authfile when
   given (--authfile), else $REGISTRY_AUTH_FILE, else $XDG_RUNTIME_DIR/containers/auth.json (else
   /run/containers/UID/auth.json); then ${XDG_CONFIG_HOME:-$HOME/.config}/containers/auth.json;
   ${DOCKER_CONFIG}/config.json or $HOME/.docker/config.json; $HOME/.dockercfg (legacy). Paths without
   a $HOME are left out. The strings go to buf (cap bytes; 4 * PATH_MAX always suffices). */
CRIOIMG_API crioimg_result crioimg_auth_file_paths(const char *authfile, crioimg_auth_path out[CRIOIMG_AUTH_PATHS_MAX],
                                                   size_t *n, char *buf, size_t cap);
/* Credentials for key from those files in order: the first file whose entry gives a user name wins; a
   missing file is skipped; a file that is not valid JSON is an error naming it and the line
   ("/run/user/1000/containers/auth.json:3: ..."; "reading PATH: ..." when it cannot be read). *found as
   for crioimg_auth_file_lookup. Files over 1 MiB are refused, and so is anything but a regular file (a
   FIFO or a device is never waited on). */
CRIOIMG_API crioimg_result crioimg_auth_lookup(crioimg_credentials *out, int *found, const char *key, const char *authfile,
                                               const crioimg_allocator *alloc, char *err, size_t errcap);

/* ==== src/policy.h ==== */
/* ---------------------------------------------------------------------------------------------------
   policy: the signature policy, containers-policy.json(5)

   containers/image's signature package (policy_config.go, policy_eval.go, policy_eval_simple.go) as far
   as crioimg verifies: the file is read with the same strictness (unknown and duplicate keys, a missing
   "default", an empty requirement list, unknown requirement types and every field of "signedBy",
   "signedBaseLayer" and "sigstoreSigned" are refused with c/image's texts, and a scope that the
   transport's ValidatePolicyConfigurationScope refuses is `Unknown key "SCOPE"`, as in c/image 5.23).
   A check picks the requirements the way PolicyContext.requirementsForImageRef does: the transport's
   section, then its PolicyConfigurationIdentity, then each of its PolicyConfigurationNamespaces in
   order, then the "" scope, else "default". For docker:// the identity is NAME:TAG or NAME@DIGEST, then
   the repository, each parent namespace, the registry host, and "*.domain" wildcards for each suffix of
   the host without its port; dir:, oci: and oci-archive: use the path resolved to an absolute path with
   symbolic links resolved (so the file system is consulted) and its parent directories; docker-archive:
   only the "" scope. Requirements are evaluated in order, as IsRunningImageAllowed does:
   "insecureAcceptAnything" passes, "reject" refuses with "Running image NAME is rejected by policy.",
   and "signedBy", "signedBaseLayer" and "sigstoreSigned" refuse with a "not supported by crioimg" text:
   crioimg verifies no signatures, so it never lets an image through a requirement it cannot check.

   Where no policy file exists at all (no --policy, no ~/.config/containers/policy.json, no
   /etc/containers/policy.json), crioimg_policy_load gives the built-in default: accept everything, the
   containers default that distributions install. (c/image's DefaultPolicy fails instead.)

   Hardening beyond c/image: a file that is not a regular file (a FIFO, a device, a directory) is refused
   without blocking (opened O_NONBLOCK, checked with fstat), files over 1 MiB are refused, and a NUL
   byte in any string (a "\u0000" escape) is refused with the file and line.

   HOW A PULL USES IT: load the policy once (crioimg_policy_load with --policy FILE or NULL); then, for
   each image pulled, call crioimg_policy_check with the transport-qualified name being pulled
   ("docker://quay.io/ns/img:tag", "oci:/dir:ref", ...) BEFORE any manifest or blob is fetched: for a
   registry name resolved through the search list, check each candidate ("docker://" + candidate) as it
   is tried. Anything but CRIOIMG_OK stops that pull; err holds the text for the user.
   --------------------------------------------------------------------------------------------------- */

typedef struct crioimg_policy crioimg_policy;

/* The most a policy file may hold; a longer one is ERR_TOO_BIG. */
#define CRIOIMG_POLICY_MAX_SIZE ((size_t)1 << 20)

/* Parses the text of a policy file, buf[0, len); name is the file named in error texts ("invalid
   policy in \"NAME\": ..."; NULL gives c/image's NewPolicyFromBytes texts without the prefix). alloc may
   be NULL. Results: OK, ERR_POLICY_INVALID (err says why, with c/image's text), ERR_TOO_BIG, ERR_NOMEM,
   ERR_INVALID_ARGS. *out is NULL on failure. */
CRIOIMG_API crioimg_result crioimg_policy_parse(crioimg_policy **out, const char *buf, size_t len, const char *name,
                                                const crioimg_allocator *alloc, char *err, size_t errcap);
/* Reads a policy file: path, else the default search ($HOME/.config/containers/policy.json when it
   exists, else /etc/containers/policy.json; when neither exists, the built-in accept-everything policy,
   which crioimg_policy_path() reports as ""). A path given that does not exist is ERR_NOT_FOUND; a file
   that cannot be read or is not a regular file is ERR_IO; over CRIOIMG_POLICY_MAX_SIZE, ERR_TOO_BIG. */
CRIOIMG_API crioimg_result crioimg_policy_load(crioimg_policy **out, const char *path, const crioimg_allocator *alloc,
                                               char *err, size_t errcap);
/* The built-in default policy (insecureAcceptAnything for everything). */
CRIOIMG_API crioimg_result crioimg_policy_new_default(crioimg_policy **out, const crioimg_allocator *alloc);
/* The file the policy came from ("" for the built-in default, and for crioimg_policy_parse without a
   name); owned by p. */
CRIOIMG_API const char *crioimg_policy_path(const crioimg_policy *p);
CRIOIMG_API void crioimg_policy_free(crioimg_policy *p);

/* May the image be pulled? name[0, n) is a transport-qualified name (crioimg_image_name_parse's grammar).
   OK: accepted. ERR_POLICY_REJECTED: a "reject" requirement applies. ERR_POLICY_UNSUPPORTED: a signature
   requirement applies, which crioimg cannot verify. A name that does not parse gives
   crioimg_image_name_parse's result; a path that cannot be resolved, ERR_IO; a containers-storage: name
   under a policy with a "containers-storage" section, ERR_UNSUPPORTED (its scopes name a store's driver
   and graph root). err (errcap bytes, may be NULL) gets the text. Thread-safe: p is not changed. */
CRIOIMG_API crioimg_result crioimg_policy_check(const crioimg_policy *p, const char *name, size_t n, char *err, size_t errcap);
/* The same for an already parsed name (its spans must still point into live text). */
CRIOIMG_API crioimg_result crioimg_policy_check_name(const crioimg_policy *p, const crioimg_image_name *name,
                                                     char *err, size_t errcap);

/* ==== src/http.h ==== */
/* ---------------------------------------------------------------------------------------------------
   http: URLs and the safety rules of following them

   What a registry client must decide before it sends a byte: where a Location header points (relative
   references resolved as RFC 3986 section 5 says), whether a redirect may be followed and with which
   headers (never downgrade https to http; never carry Authorization to another scheme, host or port:
   CVE-2018-1000007 and the distribution-spec), whether a token realm may receive credentials (https
   only unless the registry is insecure, no userinfo, no unspecified or link-local address such as the
   cloud metadata 169.254.169.254: CVE-2019-10214 and later realm SSRFs), how long Retry-After says to
   wait, and whether a 206 answers the Range that was asked for. All pure functions over (ptr, len).
   --------------------------------------------------------------------------------------------------- */

typedef struct crioimg_url {
    int https;                 /* 1 for https, 0 for http (other schemes are refused) */
    crioimg_span userinfo;     /* before '@' in the authority; len 0 when absent */
    int has_userinfo;
    crioimg_span host;         /* as written; an IPv6 literal keeps its brackets */
    unsigned port;             /* the explicit port, else 80 or 443 */
    int has_port;
    crioimg_span path;         /* from the first '/' or '?' of the rest up to any '#'; may be empty */
} crioimg_url;

/* An absolute http(s) URL. ERR_INVALID_ARGS for anything malformed (bad port, empty host, spaces or
   control bytes), ERR_UNSUPPORTED for another scheme. Spans borrow from s. */
CRIOIMG_API crioimg_result crioimg_url_parse(crioimg_url *u, const char *s, size_t n);

/* Resolves reference ref (absolute, "//host/…", "/path", "path", "?query") against the absolute URL
   base, as RFC 3986 5.2 does (dot segments removed), into out (cap bytes with the NUL). Returns the
   result's length in *len; ERR_BUFFER_TOO_SMALL, or the errors of crioimg_url_parse. */
CRIOIMG_API crioimg_result crioimg_url_resolve(const char *base, size_t bn, const char *ref, size_t rn,
                                               char *out, size_t cap, size_t *len);

/* Same scheme, host (case-insensitively) and port: the only case where credentials may follow. */
CRIOIMG_API int crioimg_url_same_origin(const crioimg_url *a, const crioimg_url *b);

#define CRIOIMG_HTTP_MAX_REDIRECTS 10

/* May the client follow redirect number hop (1 for the first) from from to to? OK with *keep_auth set
   when Authorization may go along (same origin); ERR_HTTP_REDIRECT with err saying why: more than
   CRIOIMG_HTTP_MAX_REDIRECTS, https to http, userinfo in the target, or a target host that is an
   unspecified, link-local or metadata address in any spelling (as crioimg_auth_realm_check refuses; a
   name that resolves to one is the transport's to refuse: refuse_local_addresses). */
CRIOIMG_API crioimg_result crioimg_http_redirect_check(const crioimg_url *from, const crioimg_url *to, unsigned hop,
                                                       int *keep_auth, char *err, size_t errcap);

/* May a token realm receive credentials? https only (http too when allow_http: the registry itself is
   insecure), no userinfo, no unspecified (0.0.0.0, [::]), link-local (169.254.0.0/16, fe80::/10) or
   well-known cloud metadata address (100.100.100.200, fd00:ec2::254), in any IPv4-in-IPv6 form either.
   OK or ERR_AUTH_REALM with err saying why. */
CRIOIMG_API crioimg_result crioimg_auth_realm_check(const char *realm, size_t n, int allow_http, char *err, size_t errcap);

/* Retry-After: delta-seconds, or an HTTP-date in the IMF-fixdate form senders must use ("Sun, 06 Nov
   1994 08:49:37 GMT") taken against now (Unix seconds). *seconds >= 0 (a date in the past is 0).
   ERR_INVALID_ARGS otherwise (including the obsolete date forms): the caller backs off its own way. */
CRIOIMG_API crioimg_result crioimg_http_retry_after(const char *v, size_t n, long long now, long long *seconds);

/* Content-Range "bytes FIRST-LAST/TOTAL" (TOTAL may be "*": *total = -1). ERR_INVALID_ARGS when
   malformed or FIRST > LAST or LAST >= TOTAL. */
CRIOIMG_API crioimg_result crioimg_http_content_range(const char *v, size_t n, long long *first, long long *last,
                                                      long long *total);
/* A 206 answers "Range: bytes=offset-" correctly when its Content-Range starts at offset and ends at
   the blob's last byte (size - 1, size known; a total, when given, must be size). */
CRIOIMG_API int crioimg_http_resume_ok(const char *content_range, size_t n, long long offset, long long size);

/* ---- the transport ----

   One HTTP request at a time, through a vtable the host supplies or a built-in one:

     crioimg_http *h;
     crioimg_http_open_default(&h, NULL);        libcurl (CRIOIMG_WITH_CURL), else sockets + mbedtls
                                                  (CRIOIMG_WITH_MBEDTLS), else ERR_HTTP_NO_TRANSPORT;
                                                  or crioimg_http_open(&h, &my_vtable, NULL)
     crioimg_http_request rq = {0};               a zeroed request means defaults
     rq.method = "GET"; rq.url = "https://quay.io/v2/"; rq.sink = my_sink; rq.tls.verify = 1;
     crioimg_http_do(h, &rq, err, sizeof err);
     crioimg_http_close(h);

   A transport never follows redirects and never retries: the registry client does both, by the
   rules above. crioimg_http_do checks the request before the transport sees it (an absolute http(s)
   URL, header names and values without CR/LF/NUL) and stands between the transport and the sink, so
   that even a host's transport cannot hand the sink a header field over CRIOIMG_HTTP_HEADER_MAX bytes,
   a header before the status, or body bytes of a HEAD. */

#define CRIOIMG_HTTP_VTABLE_VERSION 1
#define CRIOIMG_HTTP_HEADER_MAX (64 * 1024)         /* one header field, name and value */
#define CRIOIMG_HTTP_CONNECT_TIMEOUT_MS 30000       /* defaults for a zeroed request */
#define CRIOIMG_HTTP_IDLE_TIMEOUT_MS    60000
#define CRIOIMG_HTTP_HEADER_TIMEOUT_MS  30000       /* the whole header block, however it trickles in */
#define CRIOIMG_HTTP_MIN_BYTES          1024        /* the body's minimum progress: this many bytes ... */
#define CRIOIMG_HTTP_MIN_PERIOD_MS      30000       /* ... in every period this long */

typedef struct crioimg_http_header { const char *name, *value; } crioimg_http_header;

/* What TLS must check for one request. verify 1: the peer's chain against the system CAs plus
   ca_files, and the host name. verify 0: nothing (only for a registry that is insecure, or
   --tls-verify=false). A client certificate goes with its key (both or neither). */
typedef struct crioimg_tls_config {
    int verify;
    const char *const *ca_files;    /* PEM files trusted besides the system's CAs */
    size_t nca_files;
    const char *cert_file, *key_file;
} crioimg_tls_config;

/* Where a response goes: status once, then each header field in order (name and value with the
   surrounding white space trimmed; the final response's only, no interim 1xx), then the body as it
   arrives (never for HEAD). A callback that returns anything but OK stops the transfer and the request
   returns that result. NULL callbacks ignore what they would get. */
typedef struct crioimg_http_sink {
    void *ctx;
    crioimg_result (*status)(void *ctx, int code);
    crioimg_result (*header)(void *ctx, const char *name, size_t nlen, const char *value, size_t vlen);
    crioimg_result (*body)(void *ctx, const void *data, size_t len);
} crioimg_http_sink;

typedef struct crioimg_http_request {
    const char *method;                 /* NULL = "GET"; "HEAD", "POST" (token endpoints) */
    const char *url;                    /* absolute http(s) */
    const crioimg_http_header *headers; /* sent as given, in order */
    size_t nheaders;
    const void *body;                   /* POST only */
    size_t body_len;
    crioimg_tls_config tls;             /* for https URLs */
    long connect_timeout_ms;            /* 0 = CRIOIMG_HTTP_CONNECT_TIMEOUT_MS */
    long idle_timeout_ms;               /* no byte for this long aborts; 0 = CRIOIMG_HTTP_IDLE_TIMEOUT_MS */
    const volatile int *cancel;         /* when *cancel becomes nonzero the transfer stops: ERR_CANCELLED */
    crioimg_http_sink sink;
    /* 1: never connect to an unspecified (0.0.0.0/8, ::), link-local (169.254.0.0/16, fe80::/10) or
       metadata (100.100.100.200, fd00:ec2::254) address, IPv4-mapped, -compatible and NAT64 (64:ff9b::/96,
       64:ff9b:1::/48) forms included: the name is checked where it resolves,
       which crioimg_auth_realm_check cannot do (a realm "metadata.evil.io" may resolve to
       169.254.169.254). The built-in transports check every address they try (curl: each socket it
       opens, on a fresh connection; behind a proxy that is the proxy's address, and the proxy resolves
       the name unchecked: a host that sets proxies and fears its metadata service must filter there) and fail with
       ERR_HTTP_CONNECT when none is left; a host's transport should do the same. The registry client
       sets it for token requests and for every request a redirect chose. Appended last: older
       zero-initialised requests keep the old meaning. */
    int refuse_local_addresses;
    /* Time is bounded, not only silence: the idle timeout never fires on a server that drips one byte
       every few seconds. Counted from when the request is sent (connecting has its own timeout):
       header_timeout_ms: the status line and every header field (0 = CRIOIMG_HTTP_HEADER_TIMEOUT_MS);
       total_timeout_ms: the whole response, body included (0 = none: a blob may take long; the registry
       client sets it for manifests, tokens and error bodies);
       min_bytes / min_period_ms: once the body has started, fewer than min_bytes body bytes in any
       min_period_ms aborts (0 = CRIOIMG_HTTP_MIN_BYTES / CRIOIMG_HTTP_MIN_PERIOD_MS): a trickle ends.
       Each ends the request with ERR_TIMEOUT and a detail naming the rule. The built-in transports keep
       them to the period; crioimg_http_do checks them again whenever a host's transport hands it bytes.
       Appended last, zero meaning the defaults. */
    long header_timeout_ms;
    long total_timeout_ms;
    size_t min_bytes;
    long min_period_ms;
} crioimg_http_request;

/* A transport. request performs one request and returns OK when a whole response arrived, whatever its
   status; otherwise ERR_HTTP_CONNECT (name lookup, refused, reset, closed early), ERR_HTTP_TLS,
   ERR_TIMEOUT, ERR_CANCELLED, ERR_HTTP_PROTOCOL or the sink's result, with a one-line detail in err
   (errcap bytes). It may keep connections open for the next request. close releases it. */
typedef struct crioimg_http_vtable {
    unsigned version;                   /* CRIOIMG_HTTP_VTABLE_VERSION */
    void *user;
    crioimg_result (*request)(void *user, const crioimg_http_request *rq, char *err, size_t errcap);
    void (*close)(void *user);
} crioimg_http_vtable;

typedef struct crioimg_http crioimg_http;

/* A transport over the host's vtable (copied; version checked: ERR_INVALID_ARGS outside 1..current).
   alloc may be NULL. */
CRIOIMG_API crioimg_result crioimg_http_open(crioimg_http **out, const crioimg_http_vtable *vt, const crioimg_allocator *alloc);
/* The libcurl transport: connection reuse, HTTPS_PROXY/HTTP_PROXY/NO_PROXY from the environment as
   curl reads them, no redirects of its own. ERR_HTTP_NO_TRANSPORT when built without CRIOIMG_WITH_CURL.
   Proxies: curl's http_proxy, https_proxy/HTTPS_PROXY, all_proxy/ALL_PROXY and no_proxy/NO_PROXY, plus
   HTTP_PROXY in capitals as Go's ProxyFromEnvironment takes it (curl alone ignores it), except when
   REQUEST_METHOD is set (CGI, where it may come from a request header). The idle timeout counts from
   the end of the connection set-up (connect and TLS); a proxy's CONNECT answer is not reported. Extra
   CA files are joined to the system bundle (libcurl's own, else the usual places) once per list of
   files, capped at 16 MiB. Each open calls curl_global_init and each close curl_global_cleanup, which
   libcurl counts; with a libcurl older than 7.84 (no CURL_VERSION_THREADSAFE) those calls are not
   thread-safe, so a host with threads should call curl_global_init itself before it starts them. One
   crioimg_http is for one thread at a time. */
CRIOIMG_API crioimg_result crioimg_http_open_curl(crioimg_http **out, const crioimg_allocator *alloc);
/* The sockets + mbedtls transport (mbedtls 2.28 or later): HTTP/1.1, one idle kept-alive connection
   reused by the next request with the same scheme, host, port and TLS settings (a new one when the
   server has dropped it), chunked bodies, the same timeouts and cancel, the system CA bundle plus ca_files,
   client certificates; no proxies. mbedtls 2.x matches the server's certificate against DNS names
   only: an https URL with an IP address verifies only with verify 0. ERR_HTTP_NO_TRANSPORT when built
   without CRIOIMG_WITH_MBEDTLS or without POSIX sockets (getaddrinfo, as the registries module has). */
CRIOIMG_API crioimg_result crioimg_http_open_mbedtls(crioimg_http **out, const crioimg_allocator *alloc);
/* The first built-in transport compiled in (curl, then mbedtls), else ERR_HTTP_NO_TRANSPORT. */
CRIOIMG_API crioimg_result crioimg_http_open_default(crioimg_http **out, const crioimg_allocator *alloc);
/* Performs rq through h (see above). */
CRIOIMG_API crioimg_result crioimg_http_do(crioimg_http *h, const crioimg_http_request *rq, char *err, size_t errcap);
CRIOIMG_API void crioimg_http_close(crioimg_http *h);

/* ---- certificates for a registry ---- */

/* The TLS files for registry host ("quay.io", "127.0.0.1:5000"), found as containers/image's
   SetupCertificates finds them: in cert_dir when given (--cert-dir), else in the first directory that
   exists of ROOT/host for ROOT in roots (NULL: $HOME/.config/containers/certs.d, /etc/containers/certs.d,
   /etc/docker/certs.d). *.crt are CAs; a *.cert must have its *.key and a *.key its *.cert (ERR_TLS_FILES
   otherwise, with Go's message in err). out->config.verify is set to 1; its pointers point into out.
   roots, when given, ends with a NULL. Names are taken in byte order (Go's ReadDir); symlinks are
   followed as Go follows them, but what they reach must be a readable regular file (a dangling *.crt is
   skipped, as Go skips it). A missing directory, or one this user may not read, holds nothing (OK, no
   files). Of several client pairs the first by name is used (Go loads all; its TLS sends the first
   unless the server's request narrows the choice). host must not contain '/' or be "." or "..". */
typedef struct crioimg_tls_files {
    crioimg_tls_config config;
    void *arena;
    crioimg_allocator alloc;
} crioimg_tls_files;
CRIOIMG_API crioimg_result crioimg_tls_files_load(crioimg_tls_files *out, const char *host, const char *cert_dir,
                                                  const char *const *roots, const crioimg_allocator *alloc,
                                                  char *err, size_t errcap);
CRIOIMG_API void crioimg_tls_files_free(crioimg_tls_files *f);

/* ==== src/registry.h ==== */
/* ---------------------------------------------------------------------------------------------------
   registry: the registry v2 client (distribution-spec), over a crioimg_http transport

     crioimg_registry_opts o = {0};                 zeroed = defaults: the default transport, verified
     o.insecure = decision.insecure;                TLS, credentials from the auth files
     crioimg_registry *r;
     crioimg_registry_open(&r, "quay.io", &o);      the domain as a reference gives it ("docker.io" is
                                                    served at registry-1.docker.io)
     crioimg_registry_manifest m;
     crioimg_registry_get_manifest(r, "library/busybox", "latest", &m);   a tag or a digest
     crioimg_registry_get_blob(r, "library/busybox", &layer, my_consumer, ctx);
     crioimg_registry_manifest_free(r, &m);
     crioimg_registry_close(r);
     crioimg_registry_error(r) says what exactly failed, after any failure (before close).

   What it does on the way, so that the caller does not have to:
   - Scheme. A secure registry is reached over verified TLS only, never downgraded (CVE-2014-5277). An
     insecure one (the insecure-registry decision, or --tls-verify=false) over https without
     verification, falling back to http when https cannot connect. --tls-verify=true makes even an
     insecure registry secure. TLS files: crioimg_tls_files_load for the registry's host[:port].
   - Authentication. The first request that meets a 401 from the registry itself (not through a redirect
     to another origin, whose host would choose the realm) reads its WWW-Authenticate challenges: Basic
     gets the credentials; Bearer asks the realm (checked: crioimg_auth_realm_check on the realm and on
     every redirect of the token request, the transport told to refuse_local_addresses, the registry's
     TLS policy, response capped at 1 MiB) for a token for "repository:REPO:pull" with service, and the
     credentials when there are any (GET with Basic; POST with refresh_token for an identity token).
     Tokens are cached per scope until expires_in (default 60 s) has passed; a 401 with
     error="insufficient_scope" gets one fresh token and one retry; a second 401 is ERR_AUTH_REQUIRED.
     Credentials: opts username/password (--creds), else crioimg_auth_lookup for REGISTRY/REPO.
   - Redirects (blobs are often served from a CDN) are followed by this code, at most
     CRIOIMG_HTTP_MAX_REDIRECTS, by crioimg_http_redirect_check: Authorization goes along only to the
     same origin, and never from https to http; a request with a body (the refresh-token POST) is never
     redirected to another origin (ERR_HTTP_REDIRECT), and a same-origin 301/302/303 turns it into a
     GET without the body, as Go does. A redirect's own body is read up to
     CRIOIMG_REGISTRY_SMALL_BODY_MAX, then dropped. Foreign-layer urls get no credentials at all
     (CVE-2020-15157).
   - Retries: connection failures, 429 and 5xx are retried (opts.retries times, backoff doubling from
     opts.retry_delay_ms, or the server's Retry-After when it gives one, capped). A blob transfer that
     breaks resumes with "Range: bytes=N-" and uses the answer only when it is a correct 206
     (crioimg_http_resume_ok); otherwise it starts again and skips the N bytes the consumer already had.
     A try that delivered new bytes gives the transfer a fresh retry budget (containers/image's
     bodyReader reconnects while each try progresses).
   - Limits and checks: manifests capped at CRIOIMG_MANIFEST_MAX_SIZE; tokens and error bodies at
     CRIOIMG_REGISTRY_SMALL_BODY_MAX; a manifest fetched by digest must hash to it, one fetched by tag
     to its Docker-Content-Digest when the registry sends one; a blob must have its descriptor's size
     and digest, or the call fails with ERR_SIZE_MISMATCH / ERR_DIGEST_MISMATCH.

   Finer points (where this differs from, or adds to, containers/image):
   - repo, tag and digest are checked before they go into a URL: ERR_REF_FORMAT for a repository that is
     not a path of the reference grammar, ERR_REF_TAG_FORMAT / ERR_REF_DIGEST_FORMAT for the reference,
     ERR_DIGEST_FORMAT for a blob descriptor's digest; nothing is sent then.
   - Every challenge of every WWW-Authenticate line is read, in order; the first Bearer, or Basic when
     there are credentials, is answered (containers/image reads the first challenge of each line, which
     chooses the same for the usual "Bearer ..., Basic ..." line). Challenges first seen on a request's
     401 (after a 200 ping) are learnt there, and earn the one retry too.
   - Credentials are looked up for DOMAIN/REPO of each call's repository, so per-repository entries of
     an auth file apply; a Bearer request sends "account" with the user name, as containers/image does.
   - The token endpoint is asked once (no retries, as in containers/image); a 401 from it is
     ERR_AUTH_REQUIRED ("unable to retrieve auth token: invalid username/password: ...").
   - A redirect to another origin is fetched with verified TLS and the system CAs only, even from an
     insecure registry; 303 turns the method into GET.
   - Foreign-layer urls are tried in order, each with the retries; when none serves, the registry.
   - A successful ping is remembered; a failed one is tried again by the next call. HEAD by digest
     requires the Docker-Content-Digest to name that digest (ERR_DIGEST_MISMATCH).
   - Messages quote server text on one line (control bytes become '?').
   --------------------------------------------------------------------------------------------------- */

#define CRIOIMG_REGISTRY_SMALL_BODY_MAX ((size_t)1 << 20)   /* token responses and error bodies */
#define CRIOIMG_REGISTRY_TOTAL_TIMEOUT_MS 60000             /* a whole manifest, token or error response */
#define CRIOIMG_DOCKER_IO_ENDPOINT "registry-1.docker.io"

typedef enum crioimg_tls_verify {
    CRIOIMG_TLS_VERIFY_DEFAULT = 0,   /* by the insecure-registry decision */
    CRIOIMG_TLS_VERIFY_TRUE,          /* --tls-verify=true: verified TLS even for an insecure registry */
    CRIOIMG_TLS_VERIFY_FALSE          /* --tls-verify=false: http or unverified TLS allowed */
} crioimg_tls_verify;

typedef struct crioimg_registry_opts {
    crioimg_allocator alloc;          /* zeroed = the default allocator */
    crioimg_http *http;               /* borrowed; NULL: crioimg_http_open_default, owned by the client */
    int insecure;                     /* the insecure-registry decision for this registry */
    crioimg_tls_verify tls_verify;
    const char *cert_dir;             /* --cert-dir */
    const char *const *certs_d;       /* NULL-terminated roots of per-host dirs; NULL: the default ones */
    const char *username, *password;  /* --creds; NULL: the auth files */
    const char *authfile;             /* --authfile; NULL: the containers-auth.json(5) order */
    int no_auth_files;                /* read no auth file: anonymous unless username is given */
    const char *user_agent;           /* NULL: "crioimg/" CRIOIMG_VERSION_STRING */
    long connect_timeout_ms, idle_timeout_ms;   /* 0: the transport's defaults */
    int retries;                      /* 0: 3; negative: none */
    long retry_delay_ms;              /* the first backoff; 0: 1000 */
    long retry_after_max_ms;          /* the longest wait a Retry-After may ask; 0: 60000 */
    const volatile int *cancel;       /* nonzero stops the current call: ERR_CANCELLED */
    /* For tests and hosts with their own clocks; NULL: nanosleep, time(). */
    void (*sleep_ms)(void *user, long ms);
    long long (*now)(void *user);     /* Unix seconds */
    void *clock_user;
    /* Time bounds beyond the idle timeout (a server that drips a byte every few seconds never trips
       that one); appended last, zero meaning the defaults. header_timeout_ms: every response's header
       block (0: CRIOIMG_HTTP_HEADER_TIMEOUT_MS). total_timeout_ms: the whole of a ping, manifest, token
       or error response, body included (0: CRIOIMG_REGISTRY_TOTAL_TIMEOUT_MS); blob bodies have
       instead a minimum progress, blob_min_bytes in every blob_min_period_ms (0: CRIOIMG_HTTP_MIN_BYTES
       in CRIOIMG_HTTP_MIN_PERIOD_MS). Each try of a retried request gets them anew. */
    long header_timeout_ms;
    long total_timeout_ms;
    size_t blob_min_bytes;
    long blob_min_period_ms;
} crioimg_registry_opts;

typedef struct crioimg_registry crioimg_registry;

/* A client for the registry at domain ("docker.io", "quay.io", "127.0.0.1:5000", "[::1]:5000").
   Nothing is sent yet. ERR_REGISTRY_INVALID for a domain that is not one. */
CRIOIMG_API crioimg_result crioimg_registry_open(crioimg_registry **out, const char *domain, const crioimg_registry_opts *opts);
CRIOIMG_API void crioimg_registry_close(crioimg_registry *r);
/* The last failure's detail, in containers/image's words where it has them ("reading manifest latest in
   quay.io/foo/bar: manifest unknown"); "" if none. */
CRIOIMG_API const char *crioimg_registry_error(const crioimg_registry *r);

/* GET /v2/: picks the scheme and learns the challenge. The other calls ping first when needed. */
CRIOIMG_API crioimg_result crioimg_registry_ping(crioimg_registry *r);

typedef struct crioimg_registry_manifest {
    char *data;                       /* the bytes, as served (data[len] is a NUL, not counted) */
    size_t len;
    char media_type[256];             /* Content-Type without parameters; "" when absent */
    char digest[CRIOIMG_DIGEST_STRING_MAX + 1];   /* the bytes' digest (the one asked for, when by digest) */
} crioimg_registry_manifest;

/* GET /v2/REPO/manifests/REF with the Accept list CRIOIMG_MANIFEST_ACCEPT; ref is a tag or a digest.
   ERR_REGISTRY_MANIFEST_UNKNOWN, ERR_REGISTRY_DENIED, ERR_AUTH_REQUIRED, ERR_TOO_BIG, ERR_DIGEST_MISMATCH,
   the transport's errors. The bytes are not parsed: crioimg_manifest_parse(m.data, m.len, m.media_type). */
CRIOIMG_API crioimg_result crioimg_registry_get_manifest(crioimg_registry *r, const char *repo, const char *ref,
                                                         crioimg_registry_manifest *out);
CRIOIMG_API void crioimg_registry_manifest_free(crioimg_registry *r, crioimg_registry_manifest *m);

/* HEAD /v2/REPO/manifests/REF: what a tag points at now, without its bytes. digest is the
   Docker-Content-Digest header (ERR_HTTP_PROTOCOL when the registry sends none or an invalid one);
   media_type and size may be NULL. */
CRIOIMG_API crioimg_result crioimg_registry_head_manifest(crioimg_registry *r, const char *repo, const char *ref,
                                                          char digest[CRIOIMG_DIGEST_STRING_MAX + 1],
                                                          char *media_type, size_t media_type_cap, long long *size);

/* Where blob bytes go. Bytes are handed over as they arrive, before the whole blob is verified: the
   consumer keeps them provisional until crioimg_registry_get_blob returns OK (the store's blob writer
   does exactly that). A result other than OK stops the transfer. */
typedef crioimg_result (*crioimg_registry_blob_fn)(void *ctx, const void *data, size_t len);

/* GET /v2/REPO/blobs/DIGEST for descriptor d (its digest and size; its urls first, when it has any:
   foreign layers, fetched without credentials), streamed to fn, redirects and resumes handled as
   above. OK only when exactly d->size bytes with digest d->digest went to fn, each once and in order. */
CRIOIMG_API crioimg_result crioimg_registry_get_blob(crioimg_registry *r, const char *repo, const crioimg_descriptor *d,
                                                     crioimg_registry_blob_fn fn, void *ctx);

/* ==== src/store.h ==== */
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

#define CRIOIMG_STORE_VTABLE_VERSION 3   /* 2 added blob_open, blob_read, blob_close; 3 blob_sync */
#define CRIOIMG_STORE_NAME_ANNOTATION "io.crioimg.image.name"
#define CRIOIMG_OCI_REF_NAME_ANNOTATION "org.opencontainers.image.ref.name"

/* One index entry. name is the name as the index holds it ("" for none): the store keeps it as it is. */
typedef struct crioimg_store_entry {
    const char *name;
    const char *media_type;   /* the manifest's media type */
    const char *digest;       /* the manifest's digest, "sha256:<hex>" */
    long long size;           /* the manifest's size */
} crioimg_store_entry;

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
       by its strings; the library frees it with crioimg_free(alloc, *entries). An empty store: *n = 0. */
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
} crioimg_store_vtable;

typedef struct crioimg_store crioimg_store;

typedef struct crioimg_store_opts {
    crioimg_allocator alloc;   /* zeroed = the default allocator */
    int create;                /* crioimg_store_open_oci: create the directory (not its parents) and an
                                  empty layout when there is none */
    int read_only;             /* refuse every change (ERR_STORE_READ_ONLY); take shared locks only */
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
   into blobs/<alg>) that a killed process left are removed at a handle's first exclusive lock; a
   streaming write in progress holds its file's flock, and is left alone. */
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
   leaves only unreferenced blobs behind. Detail in dst's crioimg_store_error. */
CRIOIMG_API crioimg_result crioimg_store_copy_image(crioimg_store *dst, crioimg_store *src, const char *manifest_digest,
                                                    const char *const *names, size_t nnames);

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
   as crioimg_store_image_status takes) just the image it names, or none. */
CRIOIMG_API crioimg_result crioimg_store_list(crioimg_store *s, const char *filter, crioimg_image_list *out);
/* ImageStatus: the image named (full ID, "sha256:"+ID, unique ID prefix of 3+ hex, short or full name,
   name@digest, or containers-storage:[...]NAME or ...@ID); ERR_IMAGE_UNKNOWN when none is, ERR_STORE_AMBIGUOUS
   for a prefix of two IDs. out->n is 1 on success. */
CRIOIMG_API crioimg_result crioimg_store_image_status(crioimg_store *s, const char *name, crioimg_image_list *out);
/* Gives the image named by name_or_id the name new_name as well (taken from any other image). */
CRIOIMG_API crioimg_result crioimg_store_tag(crioimg_store *s, const char *name_or_id, const char *new_name);
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

/* ==== src/service.h ==== */
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
typedef struct crioimg_pull_options {
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
} crioimg_pull_options;

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
CRIOIMG_API crioimg_result crioimg_service_open_source(crioimg_service *svc, const char *name, const crioimg_pull_options *opts,
                                                       crioimg_image_source **out);
CRIOIMG_API void crioimg_image_source_free(crioimg_image_source *src);
/* CanPull: OK when crioimg_service_open_source finds the image (no blob is fetched). */
CRIOIMG_API crioimg_result crioimg_service_can_pull(crioimg_service *svc, const char *name, const crioimg_pull_options *opts);

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
   nothing of the image is recorded (blobs verified and stored before it are kept, for the next try),
   crioimg_service_error says which source failed how, and out is zeroed. opts->registry.cancel stops it
   promptly: ERR_CANCELLED, no partial blob. out may be NULL. */
CRIOIMG_API crioimg_result crioimg_service_pull_image(crioimg_service *svc, const char *name, const crioimg_pull_options *opts,
                                                      crioimg_pull_result *out);

#ifdef __cplusplus
}
#endif
#endif /* CRIOIMG_H */

#ifdef CRIOIMG_IMPLEMENTATION
#ifndef CRIOIMG_IMPLEMENTATION_INCLUDED
#define CRIOIMG_IMPLEMENTATION_INCLUDED 1
#ifdef __cplusplus
extern "C" {
#endif

/* ==== src/internal.h ==== */
/* ---------------------------------------------------------------------------------------------------
   implementation prelude: configuration checks, libc, internal linkage
   --------------------------------------------------------------------------------------------------- */

#if defined(CRIOIMG_MALLOC) || defined(CRIOIMG_REALLOC) || defined(CRIOIMG_FREE)
#  if !defined(CRIOIMG_MALLOC) || !defined(CRIOIMG_REALLOC) || !defined(CRIOIMG_FREE)
#    error "crioimg: define all of CRIOIMG_MALLOC, CRIOIMG_REALLOC and CRIOIMG_FREE, or none of them"
#  endif
#else
#  include <stdlib.h>
#  define CRIOIMG_MALLOC(sz) malloc(sz)
#  define CRIOIMG_REALLOC(p, sz) realloc(p, sz)
#  define CRIOIMG_FREE(p) free(p)
#endif

#ifndef CRIOIMG_ASSERT
#  include <assert.h>
#  define CRIOIMG_ASSERT(x) assert(x)
#endif

#include <string.h>
#include <stdio.h>   /* auth files */
#include <errno.h>
#if defined(__unix__) || defined(__APPLE__)
#  include <unistd.h>  /* getuid, read, close */
#  include <fcntl.h>   /* open: configuration files, never blocking (crioimg__config_read) */
#  include <sys/stat.h>
#  include <sys/types.h> /* off_t */
#  define CRIOIMG__HAVE_POSIX_IO 1
/* POSIX.1-2008 declared (crioimg.h defines _POSIX_C_SOURCE when it is the first #include; see intro.h) */
#  if defined(__GLIBC__)
#    if defined(__USE_XOPEN2K8)
#      define CRIOIMG__POSIX2008 1
#    endif
#  elif defined(_GNU_SOURCE) || defined(_DEFAULT_SOURCE) || defined(_BSD_SOURCE) || defined(__APPLE__) || \
        (defined(_POSIX_C_SOURCE) ? _POSIX_C_SOURCE >= 200809L : defined(_XOPEN_SOURCE) ? _XOPEN_SOURCE >= 700 : !defined(__STRICT_ANSI__))
#    define CRIOIMG__POSIX2008 1
#  endif
#  ifndef CRIOIMG__POSIX2008
#    error "crioimg: the implementation needs POSIX.1-2008: #define _POSIX_C_SOURCE 200809L before the first #include of the file that defines CRIOIMG_IMPLEMENTATION"
#  endif
/* 64-bit off_t: a 32-bit glibc build without it fails stat() on blobs over 2 GiB and readdir() with
   EOVERFLOW on large inode numbers */
#  if defined(__GLIBC__) && !defined(__USE_FILE_OFFSET64) && !defined(__OFF_T_MATCHES_OFF64_T)
#    error "crioimg: the implementation needs 64-bit file offsets: #define _FILE_OFFSET_BITS 64 before the first #include of the file that defines CRIOIMG_IMPLEMENTATION"
#  endif
typedef char crioimg__static_assert_off_t_64_bits[sizeof(off_t) >= 8 ? 1 : -1];
#endif
#include <limits.h>

/* SSE2 (every x86-64) classifies 16 bytes at once for the reference parser's fast path; everything it
   decides, the portable path decides the same way (the tests and the fuzz target compare the two). */
#if defined(__SSE2__) && (defined(__GNUC__) || defined(__clang__)) && !defined(CRIOIMG_NO_SIMD)
#  include <emmintrin.h>
#  define CRIOIMG__SSE2 1
#  define CRIOIMG__INLINE __attribute__((always_inline)) static inline  /* small SSE2 helpers in hot loops */
#endif

/* Internal functions shared between modules: all one translation unit in crioimg.h, so static. */
#define CRIOIMG__LIB static

/* A 256-entry byte table from a macro F(c) that is a constant expression of the byte value c:
   static const unsigned char t[256] = { CRIOIMG__TABLE256(F) }; keeps each table's rule in one line. */
#define CRIOIMG__T4(F, c) F(c), F((c) + 1), F((c) + 2), F((c) + 3)
#define CRIOIMG__T16(F, c) CRIOIMG__T4(F, c), CRIOIMG__T4(F, (c) + 4), CRIOIMG__T4(F, (c) + 8), CRIOIMG__T4(F, (c) + 12)
#define CRIOIMG__T64(F, c) CRIOIMG__T16(F, c), CRIOIMG__T16(F, (c) + 16), CRIOIMG__T16(F, (c) + 32), CRIOIMG__T16(F, (c) + 48)
#define CRIOIMG__TABLE256(F) CRIOIMG__T64(F, 0), CRIOIMG__T64(F, 64), CRIOIMG__T64(F, 128), CRIOIMG__T64(F, 192)

/* Sizes this code relies on. */
typedef char crioimg__static_assert_char_bits[CHAR_BIT == 8 ? 1 : -1];

/* ==== src/core.c ==== */
/* ---------------------------------------------------------------------------------------------------
   core implementation
   --------------------------------------------------------------------------------------------------- */

const char *crioimg_result_str(crioimg_result r)
{
#define CRIOIMG__RESULT_TEXT(name, value, text) case CRIOIMG_##name: return text;
    switch (r) {
    CRIOIMG_RESULT_LIST(CRIOIMG__RESULT_TEXT)
    default: break;
    }
#undef CRIOIMG__RESULT_TEXT
    return "unknown result";
}

const char *crioimg_result_name(crioimg_result r)
{
#define CRIOIMG__RESULT_NAME(name, value, text) case CRIOIMG_##name: return #name;
    switch (r) {
    CRIOIMG_RESULT_LIST(CRIOIMG__RESULT_NAME)
    default: break;
    }
#undef CRIOIMG__RESULT_NAME
    return "UNKNOWN";
}

crioimg_result crioimg_allocator_check(const crioimg_allocator *a)
{
    int n;
    if (a == NULL) return CRIOIMG_OK;
    n = (a->alloc != NULL) + (a->realloc != NULL) + (a->free != NULL);
    return (n == 0 || n == 3) ? CRIOIMG_OK : CRIOIMG_ERR_INVALID_ARGS;
}

void *crioimg_malloc(const crioimg_allocator *a, size_t size)
{
    if (a != NULL && a->alloc != NULL) return a->alloc(size, a->user);
    return CRIOIMG_MALLOC(size);
}

void *crioimg_realloc(const crioimg_allocator *a, void *ptr, size_t size)
{
    if (a != NULL && a->realloc != NULL) return a->realloc(ptr, size, a->user);
    return CRIOIMG_REALLOC(ptr, size);
}

void crioimg_free(const crioimg_allocator *a, void *ptr)
{
    if (ptr == NULL) return;
    if (a != NULL && a->free != NULL) a->free(ptr, a->user);
    else CRIOIMG_FREE(ptr);
}

/* Appends to a bounded output as snprintf does: counts everything, writes what fits, keeps a NUL. */
typedef struct crioimg__out { char *p; size_t cap, len; } crioimg__out;

CRIOIMG__LIB void crioimg__out_put(crioimg__out *o, const char *s, size_t n)
{
    if (o->len + 1 < o->cap) {
        size_t room = o->cap - 1 - o->len;
        memcpy(o->p + o->len, s, n < room ? n : room);
    }
    o->len += n;
    if (o->cap) o->p[o->len < o->cap ? o->len : o->cap - 1] = '\0';
}

CRIOIMG__LIB void crioimg__out_str(crioimg__out *o, const char *s)
{
    crioimg__out_put(o, s, strlen(s));
}

/* v in decimal */
CRIOIMG__LIB void crioimg__out_uint(crioimg__out *o, unsigned long long v)
{
    char d[24];
    size_t i = sizeof d;
    do { d[--i] = (char)('0' + v % 10); v /= 10; } while (v);
    crioimg__out_put(o, d + i, sizeof d - i);
}

/* a[0, an) equals the C string b, ASCII letters compared without case */
CRIOIMG__LIB int crioimg__ascii_ieq(const char *a, size_t an, const char *b)
{
    size_t i;
    if (an != strlen(b)) return 0;
    for (i = 0; i < an; i++) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z') x = (char)(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = (char)(y - 'A' + 'a');
        if (x != y) return 0;
    }
    return 1;
}

/* Length of the valid UTF-8 sequence at s (1-4), or 0 when it is not one (overlong, surrogate, > U+10FFFF,
   truncated). RFC 3629's table, as Go's utf8.DecodeRune applies it. */
CRIOIMG__LIB size_t crioimg__utf8_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    if (c < 0x80) return 1;
    if (c >= 0xc2 && c <= 0xdf) return (n >= 2 && (s[1] & 0xc0) == 0x80) ? 2 : 0;
    if (c >= 0xe0 && c <= 0xef) {
        unsigned lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
        return (n >= 3 && s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80) ? 3 : 0;
    }
    if (c >= 0xf0 && c <= 0xf4) {
        unsigned lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
        return (n >= 4 && s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 && (s[3] & 0xc0) == 0x80) ? 4 : 0;
    }
    return 0;
}

size_t crioimg_json_quote(char *out, size_t cap, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    crioimg__out o;
    size_t i = 0, run;
    o.p = out; o.cap = cap; o.len = 0;
    if (cap) out[0] = '\0';
    crioimg__out_put(&o, "\"", 1);
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        /* copy the longest run that needs no escaping in one go */
        for (run = i; run < n; run++) {
            unsigned char d = (unsigned char)s[run];
            if (d < 0x20 || d == '"' || d == '\\' || d >= 0x80) break;
        }
        if (run > i) { crioimg__out_put(&o, s + i, run - i); i = run; continue; }
        if (c >= 0x80) {
            size_t l = crioimg__utf8_len((const unsigned char *)s + i, n - i);
            /* U+2028 and U+2029 are escaped, as encoding/json does */
            if (l == 3 && c == 0xe2 && (unsigned char)s[i + 1] == 0x80 && ((unsigned char)s[i + 2] & 0xfe) == 0xa8) {
                crioimg__out_put(&o, (unsigned char)s[i + 2] == 0xa8 ? "\\u2028" : "\\u2029", 6);
                i += 3;
            } else if (l) {
                crioimg__out_put(&o, s + i, l);
                i += l;
            } else {
                crioimg__out_put(&o, "\\ufffd", 6);
                i++;
            }
            continue;
        }
        switch (c) {
        case '"':  crioimg__out_put(&o, "\\\"", 2); break;
        case '\\': crioimg__out_put(&o, "\\\\", 2); break;
        case '\n': crioimg__out_put(&o, "\\n", 2); break;
        case '\r': crioimg__out_put(&o, "\\r", 2); break;
        case '\t': crioimg__out_put(&o, "\\t", 2); break;
        default: {
            char u[6];
            u[0] = '\\'; u[1] = 'u'; u[2] = '0'; u[3] = '0'; u[4] = hex[c >> 4]; u[5] = hex[c & 15];
            crioimg__out_put(&o, u, 6);
        }
        }
        i++;
    }
    crioimg__out_put(&o, "\"", 1);
    return o.len;
}

/* Base64, standard alphabet, padded (RFC 4648), into out (cap bytes; (n + 3) / 4 * 3 always suffice);
   the decoded length, or (size_t)-1 when malformed or when it would not fit (never written past cap). strict: nothing but the alphabet, and the unused bits of the last group
   zero (canonical), as embedded descriptor data needs. Not strict: Go's base64.StdEncoding, which skips
   CR and LF and does not check those bits (auth files are read that way). */
CRIOIMG__LIB size_t crioimg__base64_decode(const char *s, size_t n, unsigned char *out, size_t cap, int strict)
{
    size_t i, o = 0, seen = 0;
    unsigned acc = 0;
    int bits = 0, pad = 0;
    for (i = 0; i < n; i++) {
        int v;
        char ch = s[i];
        if (!strict && (ch == '\r' || ch == '\n')) continue;
        seen++;
        if (ch == '=') { pad++; continue; }
        if (pad) return (size_t)-1;
        if (ch >= 'A' && ch <= 'Z') v = ch - 'A';
        else if (ch >= 'a' && ch <= 'z') v = ch - 'a' + 26;
        else if (ch >= '0' && ch <= '9') v = ch - '0' + 52;
        else if (ch == '+') v = 62;
        else if (ch == '/') v = 63;
        else return (size_t)-1;
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            if (o == cap) return (size_t)-1;
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    if (seen % 4 || pad > 2 || (pad && (seen - pad) % 4 + pad != 4)) return (size_t)-1;
    if (strict && acc != 0) return (size_t)-1;  /* non-canonical: the padding bits must be zero */
    return o;
}

/* Go's strings.EqualFold(a, b) for an ASCII b, as encoding/json matches keys to fields: ASCII case, and
   the two runes that simple-fold to ASCII letters, U+017F (long s) to 's' and U+212A (Kelvin) to 'k'. */
CRIOIMG__LIB int crioimg__go_fold_eq(const char *a, size_t an, const char *b)
{
    size_t i = 0;
    for (; *b; b++) {
        char y = (char)(*b >= 'A' && *b <= 'Z' ? *b - 'A' + 'a' : *b);
        if (i == an) return 0;
        if ((unsigned char)a[i] < 0x80) {
            char x = (char)(a[i] >= 'A' && a[i] <= 'Z' ? a[i] - 'A' + 'a' : a[i]);
            if (x != y) return 0;
            i++;
        } else if (y == 's' && an - i >= 2 && (unsigned char)a[i] == 0xc5 && (unsigned char)a[i + 1] == 0xbf) {
            i += 2;
        } else if (y == 'k' && an - i >= 3 && (unsigned char)a[i] == 0xe2 && (unsigned char)a[i + 1] == 0x84 && (unsigned char)a[i + 2] == 0xaa) {
            i += 3;
        } else {
            return 0;
        }
    }
    return i == an;
}

/* ---- small configuration files: registries.conf and its drop-ins, auth files, policy.json, certs.d ----
   Their paths come from users, environment variables and home directories, so one may name a FIFO, a
   terminal or a device. fopen() of a FIFO waits for a writer forever, and a device never ends: so the
   file is opened non-blocking, checked with fstat (on the descriptor, so it cannot be swapped after the
   check) and refused unless it is a regular file, then read to max + 1 bytes to see that it is over the
   cap. One helper for every module, so that no reader forgets a step. */

/* The kind of a file that is not a regular one, for messages. */
#ifdef CRIOIMG__HAVE_POSIX_IO
static const char *crioimg__file_kind(mode_t m)
{
    if (S_ISDIR(m)) return "a directory";
    if (S_ISFIFO(m)) return "a FIFO";
    if (S_ISCHR(m) || S_ISBLK(m)) return "a device";
    return "a special file";
}
#endif

/* Opens path for reading as above: a descriptor (>= 0), or -1 with *res (ERR_NOT_FOUND when it does not
   exist, ERR_IO otherwise) and why (may be NULL) given a reason without the path ("No such file or
   directory", "a FIFO, not a regular file"): callers name the path around it. *size: the file's size. */
#ifdef CRIOIMG__HAVE_POSIX_IO
static int crioimg__config_open(const char *path, crioimg_result *res, crioimg__out *why, size_t *size)
{
    int flags = O_RDONLY | O_NONBLOCK | O_NOCTTY, fd, en;
    struct stat st;
#ifdef O_CLOEXEC
    flags |= O_CLOEXEC;
#endif
    *size = 0;
    do fd = open(path, flags); while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        en = errno;
        *res = en == ENOENT || en == ENOTDIR ? CRIOIMG_ERR_NOT_FOUND : CRIOIMG_ERR_IO;
        if (why) crioimg__out_str(why, strerror(en));
        return -1;
    }
    if (fstat(fd, &st) != 0) {
        if (why) crioimg__out_str(why, strerror(errno));
        close(fd);
        *res = CRIOIMG_ERR_IO;
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        if (why) { crioimg__out_str(why, crioimg__file_kind(st.st_mode)); crioimg__out_str(why, ", not a regular file"); }
        close(fd);
        *res = CRIOIMG_ERR_IO;
        return -1;
    }
    *size = st.st_size > 0 ? (size_t)st.st_size : 0;
    return fd;
}
#endif

/* 1 when something is at path (Go's os.Stat(path) == nil): stat, never open, so a FIFO is not waited on. */
CRIOIMG__LIB int crioimg__path_exists(const char *path)
{
#ifdef CRIOIMG__HAVE_POSIX_IO
    struct stat st;
    return stat(path, &st) == 0;
#else
    FILE *f = fopen(path, "rb");
    if (f) fclose(f);
    return f != NULL;
#endif
}

/* Reads the regular file at path whole, at most max bytes, into *data (allocated from a, NUL-terminated
   after *len bytes; the caller frees it). Results: OK; ERR_NOT_FOUND (it does not exist); ERR_TOO_BIG
   (over max); ERR_IO (not a regular file, or open or read failed); ERR_NOMEM. On failure why (may be
   NULL) gets the reason, without the path. data NULL: only open, check and close (for files that another
   library then reads by path, such as TLS certificates). */
CRIOIMG__LIB crioimg_result crioimg__config_read(const char *path, size_t max, const crioimg_allocator *a, char **data, size_t *len,
                                                 crioimg__out *why)
{
    crioimg_result r = CRIOIMG_OK;
    size_t cap, got = 0;
    char *b = NULL;
#ifdef CRIOIMG__HAVE_POSIX_IO
    int fd = crioimg__config_open(path, &r, why, &cap);
#else
    FILE *f = fopen(path, "rb");
    cap = 4096;
#endif
    if (data) { *data = NULL; *len = 0; }
#ifdef CRIOIMG__HAVE_POSIX_IO
    if (fd < 0) return r;
    if (data == NULL) { close(fd); return CRIOIMG_OK; }
#else
    if (f == NULL) { if (why) crioimg__out_str(why, strerror(errno)); return errno == ENOENT ? CRIOIMG_ERR_NOT_FOUND : CRIOIMG_ERR_IO; }
    if (data == NULL) { fclose(f); return CRIOIMG_OK; }
#endif
    /* the size fstat saw is a first guess only: the file may grow or shrink while it is read */
    cap = (cap < max ? cap : max) + 1;
    for (;;) {
        size_t want;
        if (got == cap) {
            char *nb;
            if (cap > max) { r = CRIOIMG_ERR_TOO_BIG; break; }   /* max + 1 bytes came: over the cap */
            cap = cap > max / 2 ? max + 1 : cap * 2;
            if ((nb = (char *)crioimg_realloc(a, b, cap + 1)) == NULL) { r = CRIOIMG_ERR_NOMEM; break; }
            b = nb;
        } else if (b == NULL && (b = (char *)crioimg_malloc(a, cap + 1)) == NULL) { r = CRIOIMG_ERR_NOMEM; break; }
        want = cap - got;
#ifdef CRIOIMG__HAVE_POSIX_IO
        {
            ssize_t n = read(fd, b + got, want);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) { if (why) crioimg__out_str(why, strerror(errno)); r = CRIOIMG_ERR_IO; break; }
            if (n == 0) break;
            got += (size_t)n;
        }
#else
        {
            size_t n = fread(b + got, 1, want, f);
            got += n;
            if (n < want) { if (ferror(f)) { if (why) crioimg__out_str(why, "read error"); r = CRIOIMG_ERR_IO; } break; }
        }
#endif
    }
#ifdef CRIOIMG__HAVE_POSIX_IO
    close(fd);
#else
    fclose(f);
#endif
    if (r == CRIOIMG_ERR_TOO_BIG && why) {
        crioimg__out_str(why, "larger than ");
        crioimg__out_uint(why, max);
        crioimg__out_str(why, " bytes");
    }
    if (r != CRIOIMG_OK) { crioimg_free(a, b); return r; }
    b[got] = '\0';
    *data = b;
    *len = got;
    return CRIOIMG_OK;
}

/* The 1-based line of byte offset at in s[0, n) (at past the end counts as the end): for messages
   about a file that name the line where a byte offset is known. */
CRIOIMG__LIB unsigned long crioimg__line_of(const char *s, size_t n, size_t at)
{
    unsigned long line = 1;
    const char *p = s, *end;
    if (s == NULL) return line;
    end = s + (at < n ? at : n);
    while (p < end && (p = (const char *)memchr(p, '\n', (size_t)(end - p))) != NULL) { line++; p++; }
    return line;
}

/* ==== src/ref.c ==== */
/* ---------------------------------------------------------------------------------------------------
   ref implementation

   Go matches references with RE2 regexps (linear, but allocating). Here one hand-written pass finds the
   three parts the regexp captures, then small scanners check each part against its sub-grammar:

     reference := name [":" tag] ["@" digest]
     name      := [domain "/"] component ("/" component)*
     domain    := host [":" [0-9]+]        host := dcomp ("." dcomp)* | "[" [a-fA-F0-9:]+ "]"
     dcomp     := [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
     component := [a-z0-9]+ (("." | "_" | "__" | "-"+) [a-z0-9]+)*
     tag       := [\w][\w.-]{0,127}
     digest    := [A-Za-z][A-Za-z0-9]* ([-_+.][A-Za-z][A-Za-z0-9]*)* ":" [0-9a-fA-F]{32,}

   The split is unique: '@' appears only before the digest; a tag's ':' is the first ':' after the last
   '/' (a domain's port colon is always followed by a '/'); the first component is the domain when it can
   be one and more components follow, because Go's regexp prefers the optional domain group.
   --------------------------------------------------------------------------------------------------- */

/* character classes, one bit each */
#define CRIOIMG__C_LALNUM 0x01u  /* [a-z0-9]      path components */
#define CRIOIMG__C_ALNUM  0x02u  /* [a-zA-Z0-9]   domain components */
#define CRIOIMG__C_XDIGIT 0x04u  /* [0-9a-fA-F]   digests in references, IPv6 */
#define CRIOIMG__C_LHEX   0x08u  /* [0-9a-f]      IDs, go-digest's encoded part */
#define CRIOIMG__C_WORD   0x10u  /* [A-Za-z0-9_]  tags */
#define CRIOIMG__C_DIGIT  0x20u  /* [0-9] */
#define CRIOIMG__C_ALPHA  0x40u  /* [A-Za-z] */
#define CRIOIMG__C_UPPER  0x80u  /* [A-Z] */

/* One constant expression per byte, expanded into a const table: the classes are written once. */
#define CRIOIMG__CLS(c) ( \
    ((c) >= '0' && (c) <= '9') ? (CRIOIMG__C_LALNUM | CRIOIMG__C_ALNUM | CRIOIMG__C_XDIGIT | CRIOIMG__C_LHEX | CRIOIMG__C_WORD | CRIOIMG__C_DIGIT) : \
    ((c) >= 'a' && (c) <= 'z') ? (CRIOIMG__C_LALNUM | CRIOIMG__C_ALNUM | CRIOIMG__C_WORD | CRIOIMG__C_ALPHA | ((c) <= 'f' ? (CRIOIMG__C_XDIGIT | CRIOIMG__C_LHEX) : 0u)) : \
    ((c) >= 'A' && (c) <= 'Z') ? (CRIOIMG__C_ALNUM | CRIOIMG__C_WORD | CRIOIMG__C_ALPHA | CRIOIMG__C_UPPER | ((c) <= 'F' ? CRIOIMG__C_XDIGIT : 0u)) : \
    ((c) == '_') ? CRIOIMG__C_WORD : 0u)
static const unsigned char crioimg__ref_ctab[256] = { CRIOIMG__TABLE256(CRIOIMG__CLS) };
#undef CRIOIMG__CLS

#define CRIOIMG__IS(c, k) ((crioimg__ref_ctab[(unsigned char)(c)] & (k)) != 0)

/* Paths: component ("/" component)*, component := [a-z0-9]+ (("." | "_" | "__" | "-"+) [a-z0-9]+)*.
   With fold, [A-Z] counts as [a-z]: that is Go's second try on
   strings.ToLower(s), which tells "uppercase" from "invalid". Byte classes: 1 [a-z0-9], 2 '.', 3 '_',
   4 '-', 5 '/', 6 ':', 7 '@', 0 anything else. */
#define CRIOIMG__PCLS(c, up) ( \
    (((c) >= 'a' && (c) <= 'z') || ((c) >= '0' && (c) <= '9') || ((up) && (c) >= 'A' && (c) <= 'Z')) ? 1 : \
    (c) == '.' ? 2 : (c) == '_' ? 3 : (c) == '-' ? 4 : (c) == '/' ? 5 : (c) == ':' ? 6 : (c) == '@' ? 7 : 0)
#define CRIOIMG__PCLS_EXACT(c) CRIOIMG__PCLS(c, 0)
#define CRIOIMG__PCLS_FOLD(c) CRIOIMG__PCLS(c, 1)
static const unsigned char crioimg__ref_pcls[2][256] = {
    { CRIOIMG__TABLE256(CRIOIMG__PCLS_EXACT) },
    { CRIOIMG__TABLE256(CRIOIMG__PCLS_FOLD) }
};
#undef CRIOIMG__PCLS_FOLD
#undef CRIOIMG__PCLS_EXACT
#undef CRIOIMG__PCLS

/* Which byte may follow which: a path is valid when it starts and ends with an alnum, holds no other
   byte, every adjacent pair is allowed, and has no "___". Unlike a DFA, every pair is checked on its own,
   so the loop has no chain of dependent loads (about three times faster). 1 = bad pair, 2 = "__". */
static const unsigned char crioimg__ref_pair[8][8] = {
    /* next:      other alnum '.' '_' '-' '/' ':' '@' */
    /* other */ { 1,    1,    1,  1,  1,  1,  1,  1 },
    /* alnum */ { 1,    0,    0,  0,  0,  0,  1,  1 },
    /* '.'   */ { 1,    0,    1,  1,  1,  1,  1,  1 },
    /* '_'   */ { 1,    0,    1,  2,  1,  1,  1,  1 },
    /* '-'   */ { 1,    0,    1,  1,  0,  1,  1,  1 },
    /* '/'   */ { 1,    0,    1,  1,  1,  1,  1,  1 },
    /* ':'   */ { 1,    1,    1,  1,  1,  1,  1,  1 },
    /* '@'   */ { 1,    1,    1,  1,  1,  1,  1,  1 }
};

/* The path grammar over all of s[0, n), n > 0, one pair of bytes at a time. */
static int crioimg__ref_path_scalar(const char *s, size_t n, const unsigned char *cls)
{
    unsigned bad = 0, prev = cls[(unsigned char)s[0]], k;
    size_t i;
    if (prev != 1 || cls[(unsigned char)s[n - 1]] != 1) return 0;
    for (i = 1; i < n; i++) {
        k = cls[(unsigned char)s[i]];
        bad |= crioimg__ref_pair[prev][k];
        prev = k;
    }
    if (bad & 1) return 0;
    if (bad & 2) {  /* "__" is allowed, "___" is not */
        for (i = 2; i < n; i++) if (s[i] == '_' && s[i - 1] == '_' && s[i - 2] == '_') return 0;
    }
    return 1;
}

#ifdef CRIOIMG__SSE2
CRIOIMG__INLINE __m128i crioimg__sse_range(__m128i v, char lo, char hi)
{
    return _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8((char)(lo - 1))), _mm_cmpgt_epi8(_mm_set1_epi8((char)(hi + 1)), v));
}

/* alnum lanes: [a-z0-9], and [A-Z] with fold */
CRIOIMG__INLINE __m128i crioimg__sse_alnum(__m128i v, int fold)
{
    __m128i a = _mm_or_si128(crioimg__sse_range(v, 'a', 'z'), crioimg__sse_range(v, '0', '9'));
    return fold ? _mm_or_si128(a, crioimg__sse_range(v, 'A', 'Z')) : a;
}

/* The same pair rules 16 pairs at a time, for long inputs (the 1 MB worst cases): lanes of s[i..] meet
   lanes of s[i+1..] from a second, overlapping load. */
static int crioimg__ref_path_sse(const char *s, size_t n, const unsigned char *cls, int fold)
{
    __m128i bad = _mm_setzero_si128(), uu = _mm_setzero_si128();
    const __m128i dot = _mm_set1_epi8('.'), us = _mm_set1_epi8('_'), dash = _mm_set1_epi8('-'), sl = _mm_set1_epi8('/');
    size_t i;
    if (cls[(unsigned char)s[0]] != 1 || cls[(unsigned char)s[n - 1]] != 1) return 0;
    for (i = 0; i + 17 <= n; i += 16) {
        __m128i v0 = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        __m128i v1 = _mm_loadu_si128((const __m128i *)(const void *)(s + i + 1));
        __m128i a0 = crioimg__sse_alnum(v0, fold), a1 = crioimg__sse_alnum(v1, fold);
        __m128i d0 = _mm_or_si128(_mm_cmpeq_epi8(v0, dot), _mm_cmpeq_epi8(v0, sl));
        __m128i u0 = _mm_cmpeq_epi8(v0, us), u1 = _mm_cmpeq_epi8(v1, us);
        __m128i h0 = _mm_cmpeq_epi8(v0, dash), h1 = _mm_cmpeq_epi8(v1, dash);
        __m128i known = _mm_or_si128(_mm_or_si128(a0, d0), _mm_or_si128(u0, h0));
        bad = _mm_or_si128(bad, _mm_andnot_si128(known, _mm_set1_epi8(-1)));     /* a byte outside the set */
        bad = _mm_or_si128(bad, _mm_andnot_si128(a1, d0));                         /* '.' or '/' then not alnum */
        bad = _mm_or_si128(bad, _mm_andnot_si128(_mm_or_si128(a1, h1), h0));      /* '-' then not alnum or '-' */
        bad = _mm_or_si128(bad, _mm_andnot_si128(_mm_or_si128(a1, u1), u0));      /* '_' then not alnum or '_' */
        uu = _mm_or_si128(uu, _mm_and_si128(u0, u1));
    }
    if (_mm_movemask_epi8(bad)) return 0;
    {   /* the pairs the vectors did not reach */
        unsigned b = 0, prev = cls[(unsigned char)s[i]], k;
        size_t j;
        for (j = i + 1; j < n; j++) {
            k = cls[(unsigned char)s[j]];
            b |= crioimg__ref_pair[prev][k];
            prev = k;
        }
        if (b & 1) return 0;
        if ((b & 2) || _mm_movemask_epi8(uu))
            for (j = 2; j < n; j++) if (s[j] == '_' && s[j - 1] == '_' && s[j - 2] == '_') return 0;
    }
    return 1;
}
#endif

/* The path grammar over all of s[0, n) (no stop bytes inside). */
static int crioimg__ref_path_ok(const char *s, size_t n, int fold)
{
    const unsigned char *cls = crioimg__ref_pcls[fold != 0];
    if (n == 0) return 0;
#ifdef CRIOIMG__SSE2
    if (n >= 64) return crioimg__ref_path_sse(s, n, cls, fold);
#endif
    return crioimg__ref_path_scalar(s, n, cls);
}

/* the first of c1, c2 in s[0, n), or n (memchr: these runs can be megabytes long) */
static size_t crioimg__ref_find2(const char *s, size_t n, char c1, char c2)
{
    const char *p = (const char *)memchr(s, c1, n);
    if (p) n = (size_t)(p - s);
    p = (const char *)memchr(s, c2, n);
    return p ? (size_t)(p - s) : n;
}

/* [0-9]+ */
static int crioimg__ref_digits(const char *s, size_t n)
{
    size_t i;
    if (n == 0) return 0;
    for (i = 0; i < n; i++) if (!CRIOIMG__IS(s[i], CRIOIMG__C_DIGIT)) return 0;
    return 1;
}

/* domain := (dcomp ("." dcomp)* | "[" [a-fA-F0-9:]+ "]") [":" [0-9]+] */
static int crioimg__ref_domain(const char *s, size_t n)
{
    size_t i = 0;
    if (n == 0) return 0;
    if (s[0] == '[') {
        for (i = 1; i < n && (CRIOIMG__IS(s[i], CRIOIMG__C_XDIGIT) || s[i] == ':'); i++) {}
        if (i == 1 || i == n || s[i] != ']') return 0;
        i++;
    } else {
        for (;;) {
            size_t start = i;
            while (i < n && (CRIOIMG__IS(s[i], CRIOIMG__C_ALNUM) || s[i] == '-')) i++;
            if (i == start || s[start] == '-' || s[i - 1] == '-') return 0;
            if (i < n && s[i] == '.') { i++; continue; }
            break;
        }
    }
    if (i == n) return 1;
    return s[i] == ':' && crioimg__ref_digits(s + i + 1, n - i - 1);
}

/* tag := [\w][\w.-]{0,127} */
static int crioimg__ref_tag(const char *s, size_t n)
{
    size_t i;
    if (n == 0 || n > CRIOIMG_REF_TAG_MAX || !CRIOIMG__IS(s[0], CRIOIMG__C_WORD)) return 0;
    for (i = 1; i < n; i++)
        if (!CRIOIMG__IS(s[i], CRIOIMG__C_WORD) && s[i] != '.' && s[i] != '-') return 0;
    return 1;
}

/* The reference regexp's digest: [A-Za-z][A-Za-z0-9]*([-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,} */
static int crioimg__ref_digest_grammar(const char *s, size_t n)
{
    size_t i = 0, hex;
    for (;;) {
        if (i == n || !CRIOIMG__IS(s[i], CRIOIMG__C_ALPHA)) return 0;
        while (i < n && CRIOIMG__IS(s[i], CRIOIMG__C_ALNUM)) i++;
        if (i < n && (s[i] == '-' || s[i] == '_' || s[i] == '+' || s[i] == '.')) { i++; continue; }
        break;
    }
    if (i == n || s[i] != ':') return 0;
    for (hex = ++i; i < n; i++) if (!CRIOIMG__IS(s[i], CRIOIMG__C_XDIGIT)) return 0;
    return n - hex >= 32;
}

/* go-digest's DigestRegexpAnchored: [a-z0-9]+([.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+ */
static int crioimg__ref_godigest_grammar(const char *s, size_t n)
{
    size_t i = 0, enc;
    for (;;) {
        if (i == n || !CRIOIMG__IS(s[i], CRIOIMG__C_LALNUM)) return 0;
        while (i < n && CRIOIMG__IS(s[i], CRIOIMG__C_LALNUM)) i++;
        if (i < n && (s[i] == '.' || s[i] == '+' || s[i] == '_' || s[i] == '-')) { i++; continue; }
        break;
    }
    if (i == n || s[i] != ':') return 0;
    for (enc = ++i; i < n; i++)
        if (!CRIOIMG__IS(s[i], CRIOIMG__C_ALNUM) && s[i] != '=' && s[i] != '_' && s[i] != '-') return 0;
    return n > enc;
}

static int crioimg__ref_lhex(const char *s, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) if (!CRIOIMG__IS(s[i], CRIOIMG__C_LHEX)) return 0;
    return 1;
}

crioimg_result crioimg_digest_validate(const char *s, size_t n)
{
    const char *colon;
    size_t alg, want;
    if (s == NULL) return n ? CRIOIMG_ERR_INVALID_ARGS : CRIOIMG_ERR_DIGEST_FORMAT;
    if (n == 71 && memcmp(s, "sha256:", 7) == 0 && crioimg__ref_lhex(s + 7, 64)) return CRIOIMG_OK;  /* the usual one */
    colon = (const char *)memchr(s, ':', n);
    if (colon == NULL || colon == s || (size_t)(colon - s) + 1 == n) return CRIOIMG_ERR_DIGEST_FORMAT;
    alg = (size_t)(colon - s);
    if (alg == 6 && memcmp(s, "sha256", 6) == 0) want = 64;
    else if (alg == 6 && memcmp(s, "sha384", 6) == 0) want = 96;
    else if (alg == 6 && memcmp(s, "sha512", 6) == 0) want = 128;
    else return crioimg__ref_godigest_grammar(s, n) ? CRIOIMG_ERR_DIGEST_UNSUPPORTED : CRIOIMG_ERR_DIGEST_FORMAT;
    if (n - alg - 1 != want) return CRIOIMG_ERR_DIGEST_LENGTH;
    return crioimg__ref_lhex(colon + 1, want) ? CRIOIMG_OK : CRIOIMG_ERR_DIGEST_FORMAT;
}

int crioimg_id_is_full(const char *s, size_t n)
{
    return s != NULL && n == 64 && crioimg__ref_lhex(s, n);
}

int crioimg_id_is_prefix(const char *s, size_t n, size_t min_len)
{
    return s != NULL && n >= min_len && n >= 1 && n <= 64 && crioimg__ref_lhex(s, n);
}

/* ---- Go's strings.ToLower, as far as reference errors depend on it ----
   ParseNormalizedNamed says "must be lowercase" when strings.ToLower changes the remote name, and Parse
   says it when the lowercased input matches. ToLower changes a string when it holds [A-Z], a rune below
   (Go's unicode.ToLower moves it), or invalid UTF-8 (replaced by U+FFFD). */
static const struct { unsigned long lo, hi; unsigned char stride; } crioimg__ref_lower_ranges[] = {
    /* 120 ranges, from Go 1.19's unicode tables (Unicode 13.0.0) by tools/gen_unicode_lower.go */
    {0xc0,0xd6,1},{0xd8,0xde,1},{0x100,0x136,2},{0x139,0x147,2},{0x14a,0x178,2},{0x179,0x17d,2},
    {0x181,0x182,1},{0x184,0x186,2},{0x187,0x189,2},{0x18a,0x18b,1},{0x18e,0x191,1},{0x193,0x194,1},
    {0x196,0x198,1},{0x19c,0x19d,1},{0x19f,0x1a0,1},{0x1a2,0x1a6,2},{0x1a7,0x1a9,2},{0x1ac,0x1ae,2},
    {0x1af,0x1b1,2},{0x1b2,0x1b3,1},{0x1b5,0x1b7,2},{0x1b8,0x1b8,1},{0x1bc,0x1bc,1},{0x1c4,0x1c5,1},
    {0x1c7,0x1c8,1},{0x1ca,0x1cb,1},{0x1cd,0x1db,2},{0x1de,0x1ee,2},{0x1f1,0x1f2,1},{0x1f4,0x1f6,2},
    {0x1f7,0x1f8,1},{0x1fa,0x232,2},{0x23a,0x23b,1},{0x23d,0x23e,1},{0x241,0x243,2},{0x244,0x246,1},
    {0x248,0x24e,2},{0x370,0x372,2},{0x376,0x376,1},{0x37f,0x37f,1},{0x386,0x388,2},{0x389,0x38a,1},
    {0x38c,0x38e,2},{0x38f,0x391,2},{0x392,0x3a1,1},{0x3a3,0x3ab,1},{0x3cf,0x3cf,1},{0x3d8,0x3ee,2},
    {0x3f4,0x3f4,1},{0x3f7,0x3f9,2},{0x3fa,0x3fa,1},{0x3fd,0x42f,1},{0x460,0x480,2},{0x48a,0x4c0,2},
    {0x4c1,0x4cd,2},{0x4d0,0x52e,2},{0x531,0x556,1},{0x10a0,0x10c5,1},{0x10c7,0x10c7,1},{0x10cd,0x10cd,1},
    {0x13a0,0x13f5,1},{0x1c90,0x1cba,1},{0x1cbd,0x1cbf,1},{0x1e00,0x1e94,2},{0x1e9e,0x1efe,2},{0x1f08,0x1f0f,1},
    {0x1f18,0x1f1d,1},{0x1f28,0x1f2f,1},{0x1f38,0x1f3f,1},{0x1f48,0x1f4d,1},{0x1f59,0x1f5f,2},{0x1f68,0x1f6f,1},
    {0x1f88,0x1f8f,1},{0x1f98,0x1f9f,1},{0x1fa8,0x1faf,1},{0x1fb8,0x1fbc,1},{0x1fc8,0x1fcc,1},{0x1fd8,0x1fdb,1},
    {0x1fe8,0x1fec,1},{0x1ff8,0x1ffc,1},{0x2126,0x2126,1},{0x212a,0x212b,1},{0x2132,0x2132,1},{0x2160,0x216f,1},
    {0x2183,0x2183,1},{0x24b6,0x24cf,1},{0x2c00,0x2c2e,1},{0x2c60,0x2c62,2},{0x2c63,0x2c64,1},{0x2c67,0x2c6d,2},
    {0x2c6e,0x2c70,1},{0x2c72,0x2c72,1},{0x2c75,0x2c75,1},{0x2c7e,0x2c80,1},{0x2c82,0x2ce2,2},{0x2ceb,0x2ced,2},
    {0x2cf2,0x2cf2,1},{0xa640,0xa66c,2},{0xa680,0xa69a,2},{0xa722,0xa72e,2},{0xa732,0xa76e,2},{0xa779,0xa77d,2},
    {0xa77e,0xa786,2},{0xa78b,0xa78d,2},{0xa790,0xa792,2},{0xa796,0xa7aa,2},{0xa7ab,0xa7ae,1},{0xa7b0,0xa7b4,1},
    {0xa7b6,0xa7be,2},{0xa7c2,0xa7c4,2},{0xa7c5,0xa7c7,1},{0xa7c9,0xa7c9,1},{0xa7f5,0xa7f5,1},{0xff21,0xff3a,1},
    {0x10400,0x10427,1},{0x104b0,0x104d3,1},{0x10c80,0x10cb2,1},{0x118a0,0x118bf,1},{0x16e40,0x16e5f,1},{0x1e900,0x1e921,1},
};

/* the code point of a valid UTF-8 sequence of length l (crioimg__utf8_len) */
static unsigned long crioimg__utf8_decode(const unsigned char *c, size_t l)
{
    if (l == 1) return c[0];
    if (l == 2) return ((unsigned long)(c[0] & 0x1f) << 6) | (c[1] & 0x3fu);
    if (l == 3) return ((unsigned long)(c[0] & 0x0f) << 12) | ((unsigned long)(c[1] & 0x3f) << 6) | (c[2] & 0x3fu);
    return ((unsigned long)(c[0] & 0x07) << 18) | ((unsigned long)(c[1] & 0x3f) << 12) | ((unsigned long)(c[2] & 0x3f) << 6) | (c[3] & 0x3fu);
}

static int crioimg__ref_rune_has_lower(unsigned long r)
{
    size_t lo = 0, hi = sizeof crioimg__ref_lower_ranges / sizeof crioimg__ref_lower_ranges[0];
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (r < crioimg__ref_lower_ranges[mid].lo) hi = mid;
        else if (r > crioimg__ref_lower_ranges[mid].hi) lo = mid + 1;
        else return (r - crioimg__ref_lower_ranges[mid].lo) % crioimg__ref_lower_ranges[mid].stride == 0;
    }
    return 0;
}

/* 1 when s has a byte in [A-Z] or >= 0x80: the only bytes that Go's strings.ToLower may change */
static int crioimg__ref_upper_or_high(const char *s, size_t n)
{
    size_t i = 0;
    unsigned any = 0;
#ifdef CRIOIMG__SSE2
    __m128i acc = _mm_setzero_si128();
    for (; i + 16 <= n; i += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        /* bytes >= 0x80 are negative as signed chars: cmplt 0 finds them */
        acc = _mm_or_si128(acc, _mm_or_si128(crioimg__sse_range(v, 'A', 'Z'), _mm_cmplt_epi8(v, _mm_setzero_si128())));
    }
    any = (unsigned)_mm_movemask_epi8(acc);
#else
    for (; i + 8 <= n; i += 8) {  /* eight bytes at a time (Bit Twiddling Hacks' hasbetween) */
        const unsigned long long ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
        unsigned long long w, low7;
        memcpy(&w, s + i, 8);
        if (w & high) return 1;
        low7 = w & ~high;
        if ((ones * (127 + 'Z' + 1) - low7) & ~w & (low7 + ones * (127 - ('A' - 1))) & high) return 1;
    }
#endif
    for (; i < n; i++) any |= (unsigned)((unsigned)((unsigned char)s[i] - 'A') < 26u) | ((unsigned char)s[i] >> 7);
    return any != 0;
}

/* 1 when Go's strings.ToLower(s) != s */
static int crioimg__ref_lower_changes(const char *s, size_t n)
{
    size_t i = 0;
    if (!crioimg__ref_upper_or_high(s, n)) return 0;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        size_t l;
        if (c < 0x80) { if (c >= 'A' && c <= 'Z') return 1; i++; continue; }
        l = crioimg__utf8_len((const unsigned char *)s + i, n - i);
        if (l == 0 || crioimg__ref_rune_has_lower(crioimg__utf8_decode((const unsigned char *)s + i, l))) return 1;
        i += l;
    }
    return 0;
}

/* Go's retry on strings.ToLower(s) can only match when the result is ASCII: besides [A-Z], only U+0130
   (to 'i') and U+212A (to 'k') lower to ASCII. Inputs holding them are mapped into buf; 0 when the
   lowercased string cannot be ASCII or would not fit buf (then it cannot be told apart, see README). */
static size_t crioimg__ref_lower_ascii(const char *s, size_t n, char *buf, size_t cap)
{
    size_t i = 0, o = 0;
    while (i < n) {
        const unsigned char *c = (const unsigned char *)s + i;
        char m;
        if (c[0] < 0x80) { m = (char)c[0]; i++; }
        else if (n - i >= 2 && c[0] == 0xc4 && c[1] == 0xb0) { m = 'i'; i += 2; }
        else if (n - i >= 3 && c[0] == 0xe2 && c[1] == 0x84 && c[2] == 0xaa) { m = 'k'; i += 3; }
        else return 0;
        if (o == cap) return 0;
        buf[o++] = m;
    }
    return o;
}

/* ---- the reference match ---- */

/* What the reference regexp captures. name points into the input; the virtual name Go parses may have a
   constant prefix in front ("docker.io/" or "docker.io/library/", see crioimg_ref_parse_normalized). */
typedef struct crioimg__ref_match {
    const char *name, *tag, *digest;
    size_t name_len, tag_len, digest_len;
    size_t domain_len;  /* length of the domain inside the input's name part; unused with a prefix */
    int digest_ok;      /* the digest already passed go-digest's checks */
} crioimg__ref_match;

/* Full match of the reference grammar over prefix + s. A non-empty prefix is "domain/..." made by
   normalisation: then every component of s belongs to the path. */
#ifdef CRIOIMG__SSE2
/* ---- the fast path: classify up to 64 bytes with SSE2 into bit masks (bit i = byte i), then check the
   grammar with bit operations instead of a branch per byte. Branch mispredictions, not instructions,
   bound a byte-at-a-time parser on varied input; this has almost none. Whatever it cannot settle
   (IPv6 hosts, a name and tag over 64 bytes, any failure) it leaves to the portable path, so errors
   always come from one place. ---- */
typedef unsigned long long crioimg__mask;
#define CRIOIMG__MASK_BITS 64u
typedef struct crioimg__ref_masks {
    crioimg__mask an, up, dot, us, dash, slash, colon, at;
    size_t covered;  /* how many bytes the masks describe */
} crioimg__ref_masks;

static size_t crioimg__ctz(crioimg__mask x) { return (size_t)__builtin_ctzll(x); }          /* x != 0 */
static size_t crioimg__top(crioimg__mask x) { return 63 - (size_t)__builtin_clzll(x); }     /* x != 0 */

CRIOIMG__INLINE unsigned crioimg__sse_in(__m128i v, char lo, char hi)
{
    __m128i m = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8((char)(lo - 1))), _mm_cmpgt_epi8(_mm_set1_epi8((char)(hi + 1)), v));
    return (unsigned)_mm_movemask_epi8(m);
}

CRIOIMG__INLINE unsigned crioimg__sse_eq(__m128i v, char c)
{
    return (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(c)));
}

/* one 16-byte chunk into the per-class 16-bit masks of chunk j; shift drops bytes loaded twice */
CRIOIMG__INLINE void crioimg__ref_classify16(unsigned short w[8][4], size_t j, __m128i v, unsigned shift)
{
    unsigned lower = crioimg__sse_in(v, 'a', 'z'), digit = crioimg__sse_in(v, '0', '9');
    w[0][j] = (unsigned short)((lower | digit) >> shift);
    w[1][j] = (unsigned short)((unsigned)crioimg__sse_in(v, 'A', 'Z') >> shift);
    w[2][j] = (unsigned short)((unsigned)crioimg__sse_eq(v, '.') >> shift);
    w[3][j] = (unsigned short)((unsigned)crioimg__sse_eq(v, '_') >> shift);
    w[4][j] = (unsigned short)((unsigned)crioimg__sse_eq(v, '-') >> shift);
    w[5][j] = (unsigned short)((unsigned)crioimg__sse_eq(v, '/') >> shift);
    w[6][j] = (unsigned short)((unsigned)crioimg__sse_eq(v, ':') >> shift);
    w[7][j] = (unsigned short)((unsigned)crioimg__sse_eq(v, '@') >> shift);
}

/* Masks of s's first min(n, 64) bytes. Each 16-byte chunk gives a 16-bit mask per class, stored in
   little-endian order: four of them are the 64-bit mask (x86 is little-endian), with no shifts.
   A partial last chunk is loaded as the 16 bytes that end the input, its mask shifted down: nothing is
   read past the input, and nothing is copied. */
static void crioimg__ref_classify(crioimg__ref_masks *k, const char *s, size_t n)
{
    unsigned short w[8][4];
    size_t off, j;
    if (n > CRIOIMG__MASK_BITS) n = CRIOIMG__MASK_BITS;
    memset(w, 0, sizeof w);  /* 64 bytes: four stores */
    for (off = 0, j = 0; off + 16 <= n; off += 16, j++) {
        crioimg__ref_classify16(w, j, _mm_loadu_si128((const __m128i *)(const void *)(s + off)), 0);
        if (w[7][j]) { n = off + 16; break; }  /* an '@': what follows is the digest, checked apart */
    }
    if (off + 16 > n && off < n) {  /* a last, partial chunk */
        if (n >= 16) {
            crioimg__ref_classify16(w, j, _mm_loadu_si128((const __m128i *)(const void *)(s + n - 16)), (unsigned)(16 - (n - off)));
        } else {
            char tmp[16] = {0};
            memcpy(tmp, s, n);
            crioimg__ref_classify16(w, j, _mm_loadu_si128((const __m128i *)(const void *)tmp), 0);
        }
        j++;
    }
    memcpy(&k->an, w[0], 8); memcpy(&k->up, w[1], 8); memcpy(&k->dot, w[2], 8); memcpy(&k->us, w[3], 8);
    memcpy(&k->dash, w[4], 8); memcpy(&k->slash, w[5], 8); memcpy(&k->colon, w[6], 8); memcpy(&k->at, w[7], 8);
    k->covered = n;
}

/* Masks of s + off, from masks of s. */
static void crioimg__ref_masks_shift(crioimg__ref_masks *k, size_t off)
{
    k->an >>= off; k->up >>= off; k->dot >>= off; k->us >>= off;
    k->dash >>= off; k->slash >>= off; k->colon >>= off; k->at >>= off;
    k->covered -= off;
}

/* bits [a, b), a <= b <= 64 */
static crioimg__mask crioimg__bits(size_t a, size_t b)
{
    crioimg__mask all = ~(crioimg__mask)0;
    crioimg__mask hi = b >= CRIOIMG__MASK_BITS ? all : (((crioimg__mask)1 << b) - 1);
    return a >= CRIOIMG__MASK_BITS ? 0 : hi & (all << a);
}

#define CRIOIMG__BIT(m, i) ((int)(((m) >> (i)) & 1))

/* the path grammar over the bits [a, b), a < b */
static int crioimg__ref_path_bits(const crioimg__ref_masks *k, size_t a, size_t b)
{
    crioimg__mask p = crioimg__bits(a, b), an = k->an;
    crioimg__mask dot = k->dot & p, us = k->us & p, dash = k->dash & p, sl = k->slash & p;
    crioimg__mask pa = an << 1, na = an >> 1;  /* "the byte before / after is alnum" */
    if (p & ~(an | dot | us | dash | sl)) return 0;
    if (!CRIOIMG__BIT(an, a) || !CRIOIMG__BIT(an, b - 1)) return 0;
    if ((dot | sl) & ~(pa & na)) return 0;
    if (dash & ~((pa | dash << 1) & (na | dash >> 1))) return 0;
    if (us & ~((pa | us << 1) & (na | us >> 1))) return 0;
    return (us & (us << 1) & (us >> 1)) == 0;  /* "__" yes, "___" no */
}

/* the domain grammar (no IPv6) over the bits [0, b) */
static int crioimg__ref_domain_bits(const crioimg__ref_masks *k, const char *s, size_t b)
{
    crioimg__mask c = k->colon & crioimg__bits(0, b), an = k->an | k->up, h, dot, dash;
    size_t hend = b;
    if (c) {  /* host ":" port */
        size_t pc = crioimg__ctz(c);
        if ((c & (c - 1)) || !crioimg__ref_digits(s + pc + 1, b - pc - 1)) return 0;
        hend = pc;
    }
    if (hend == 0) return 0;
    h = crioimg__bits(0, hend);
    dot = k->dot & h; dash = k->dash & h;
    if (h & ~(an | dot | dash)) return 0;
    if (!CRIOIMG__BIT(an, 0) || !CRIOIMG__BIT(an, hend - 1)) return 0;
    if (dot & ~((an << 1) & (an >> 1))) return 0;
    return (dash & ~(((an | dash) << 1) & ((an | dash) >> 1))) == 0;
}

/* the digest after the '@' at s[at], if any: sha256 checked whole here, others by grammar */
static int crioimg__ref_fast_digest(crioimg__ref_match *m, const char *s, size_t at, size_t n)
{
    size_t i;
    m->digest = NULL; m->digest_len = 0; m->digest_ok = 0;
    if (at < n) {
        const char *d = s + at + 1;
        m->digest = d;
        m->digest_len = n - at - 1;
        if (m->digest_len == 71 && memcmp(d, "sha256:", 7) == 0) {
            __m128i ok = _mm_set1_epi8(-1);  /* 64 lowercase hex: go-digest's check, 16 at a time */
            for (i = 7; i < 71; i += 16) {
                __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(d + i));
                ok = _mm_and_si128(ok, _mm_or_si128(crioimg__sse_range(v, '0', '9'), crioimg__sse_range(v, 'a', 'f')));
            }
            if (_mm_movemask_epi8(ok) != 0xffff) return -1;
            m->digest_ok = 1;
        } else if (!crioimg__ref_digest_grammar(d, m->digest_len)) {
            return 0;
        }
    }
    return 1;
}

/* A name and tag longer than the masks: the first component from the masks, the rest with memchr and
   the SSE2 pair checks. */
static int crioimg__ref_match_long(crioimg__ref_match *m, const crioimg__ref_masks *k, const char *s, size_t n, int prefixed)
{
    const char *p = (const char *)memchr(s, '@', n), *q;
    size_t at = p ? (size_t)(p - s) : n, fs, ls, name_end;
    if (!k->slash) return -1;  /* a first component over 64 bytes: the portable path */
    fs = crioimg__ctz(k->slash);
    for (ls = at; ls > fs && s[ls - 1] != '/'; ls--) {}
    ls--;  /* the last '/' before the '@' */
    q = (const char *)memchr(s + ls + 1, ':', at - ls - 1);
    name_end = q ? (size_t)(q - s) : at;
    if (!crioimg__ref_path_ok(s + fs + 1, name_end - fs - 1, 0)) return 0;
    m->name = s;
    m->name_len = name_end;
    m->domain_len = 0;
    if (prefixed || !crioimg__ref_domain_bits(k, s, fs)) {
        if (!crioimg__ref_path_bits(k, 0, fs)) return 0;
    } else {
        m->domain_len = fs;
    }
    m->tag = NULL; m->tag_len = 0;
    if (q) {
        m->tag = q + 1;
        m->tag_len = at - name_end - 1;
        if (!crioimg__ref_tag(m->tag, m->tag_len)) return 0;
    }
    return crioimg__ref_fast_digest(m, s, at, n);
}

/* 1 matched, 0 no match here, -1 not for the fast path: either way the portable path decides then.
   kp holds the masks of s (covering kp->covered bytes of it). */
static int crioimg__ref_match_fast(crioimg__ref_match *m, const crioimg__ref_masks *kp, const char *s, size_t n, int prefixed)
{
    const crioimg__ref_masks *k = kp;
    crioimg__mask sl, c;
    size_t at, name_end, fs = 0;
    if (n == 0 || s[0] == '[') return -1;
    if (k->at) at = crioimg__ctz(k->at);
    else if (n <= k->covered) at = n;
    else return crioimg__ref_match_long(m, k, s, n, prefixed);
    sl = k->slash & crioimg__bits(0, at);
    c = k->colon & crioimg__bits(0, at);
    if (sl) {
        fs = crioimg__ctz(sl);
        c &= ~crioimg__bits(0, crioimg__top(sl) + 1);  /* a tag's ':' comes after the last '/' */
    }
    name_end = c ? crioimg__ctz(c) : at;
    if (name_end == 0) return 0;
    m->name = s;
    m->name_len = name_end;
    m->domain_len = 0;
    if (prefixed || !sl) {
        if (!crioimg__ref_path_bits(k, 0, name_end)) return 0;
    } else {
        if (fs + 1 >= name_end || !crioimg__ref_path_bits(k, fs + 1, name_end)) return 0;
        if (crioimg__ref_domain_bits(k, s, fs)) m->domain_len = fs;
        else if (!crioimg__ref_path_bits(k, 0, fs)) return 0;
    }
    m->tag = NULL; m->tag_len = 0;
    if (c) {  /* [\w][\w.-]{0,127} */
        crioimg__mask t = crioimg__bits(name_end + 1, at), w = k->an | k->up | k->us;
        if (!t || !CRIOIMG__BIT(w, name_end + 1) || (t & ~(w | k->dot | k->dash))) return 0;
        m->tag = s + name_end + 1;
        m->tag_len = at - name_end - 1;
    }
    return crioimg__ref_fast_digest(m, s, at, n);
}
#endif

static int crioimg__ref_match_parts(crioimg__ref_match *m, const char *s, size_t n, int prefixed, int fold)
{
    size_t at, i, c0_end;
    int c0_ok;
    m->domain_len = 0;
    m->digest_ok = 0;
    m->tag = m->digest = NULL;
    m->tag_len = m->digest_len = 0;
    m->name = s;
    /* the separators first, with memchr; then each part checked whole */
    at = crioimg__ref_find2(s, n, '@', '@');  /* (one memchr, the second finds nothing new) */
    /* the first component, up to '/' or ':' */
    i = c0_end = crioimg__ref_find2(s, at, '/', ':');
    if (i == 0) return 0;
    c0_ok = crioimg__ref_path_ok(s, c0_end, fold);
    if (i < at && s[i] == ':' && !prefixed) {
        /* a port when a '/' follows (before the '@'): then this is a domain; else a tag */
        const char *sl = (const char *)memchr(s + i, '/', at - i);
        if (sl) { i = c0_end = (size_t)(sl - s); c0_ok = 0; }
    }
    if (i < at && s[i] == '/') {
        /* the rest of the path, up to a tag's ':' */
        size_t end;
        i++;
        end = i + crioimg__ref_find2(s + i, at - i, ':', ':');
        if (!crioimg__ref_path_ok(s + i, end - i, fold)) return 0;
        i = end;
        if (!prefixed && crioimg__ref_domain(s, c0_end)) m->domain_len = c0_end;
        else if (!c0_ok) return 0;
    } else if (!c0_ok) {
        return 0;
    }
    m->name_len = i;
    if (i < at) {  /* s[i] is ':' */
        m->tag = s + i + 1;
        m->tag_len = at - i - 1;
        if (!crioimg__ref_tag(m->tag, m->tag_len)) return 0;
    }
    if (at < n) {
        m->digest = s + at + 1;
        m->digest_len = n - at - 1;
        if (!crioimg__ref_digest_grammar(m->digest, m->digest_len)) return 0;
    }
    return 1;
}

static int crioimg__ref_has_high(const char *s, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) if ((unsigned char)s[i] >= 0x80) return 1;
    return 0;
}

static void crioimg__ref_zero(crioimg_ref *r)
{
    memset(r, 0, sizeof *r);
}

static void crioimg__ref_set(char *dst, unsigned short *dlen, const char *src, size_t n)
{
    if (n) memcpy(dst, src, n);
    dst[n] = '\0';
    *dlen = (unsigned short)n;
}

/* The rest of Parse after a match: the length limit, go-digest's checks, then the result. */
static crioimg_result crioimg__ref_fill(crioimg_ref *out, const char *prefix, size_t plen, const crioimg__ref_match *m)
{
    crioimg_result r;
    if (plen + m->name_len > CRIOIMG_REF_NAME_MAX) { crioimg__ref_zero(out); return CRIOIMG_ERR_REF_NAME_TOO_LONG; }
    if (m->digest && !m->digest_ok && (r = crioimg_digest_validate(m->digest, m->digest_len)) != CRIOIMG_OK) {
        crioimg__ref_zero(out);
        return r;
    }
    if (plen == 18) memcpy(out->name, prefix, 18);  /* constant sizes: inlined stores, not calls */
    else if (plen == 10) memcpy(out->name, prefix, 10);
    memcpy(out->name + plen, m->name, m->name_len);
    out->name[plen + m->name_len] = '\0';
    out->name_len = (unsigned short)(plen + m->name_len);
    out->domain_len = (unsigned short)(plen ? 9 /* "docker.io" */ : m->domain_len);
    crioimg__ref_set(out->tag, &out->tag_len, m->tag, m->tag_len);
    if (m->digest_len == 71) {  /* sha256: the usual digest */
        memcpy(out->digest, m->digest, 71);
        out->digest[71] = '\0';
        out->digest_len = 71;
    } else {
        crioimg__ref_set(out->digest, &out->digest_len, m->digest, m->digest_len);
    }
    return CRIOIMG_OK;
}

/* Parse over prefix + s, where prefix is "" or a normalisation prefix ending in '/'. */
static crioimg_result crioimg__ref_parse(crioimg_ref *out, const char *prefix, size_t plen, const char *s, size_t n, int try_fast)
{
    crioimg__ref_match m;
    int ok = -1;
#ifdef CRIOIMG__SSE2
    if (try_fast) {
        crioimg__ref_masks k;
        crioimg__ref_classify(&k, s, n);
        ok = crioimg__ref_match_fast(&m, &k, s, n, plen != 0);
        if (ok == 1) return crioimg__ref_fill(out, prefix, plen, &m);
    }
#else
    (void)try_fast;
#endif
    ok = crioimg__ref_match_parts(&m, s, n, plen != 0, 0);
    if (!ok) {
        crioimg__ref_zero(out);
        if (plen == 0 && n == 0) return CRIOIMG_ERR_REF_NAME_EMPTY;
        /* Go tries again on strings.ToLower(s): that can only match otherwise when s has [A-Z] or runes
           that lower to ASCII (U+0130, U+212A) */
        if (crioimg__ref_lower_changes(s, n)) {
            if (crioimg__ref_match_parts(&m, s, n, plen != 0, 1)) return CRIOIMG_ERR_REF_UPPERCASE;
            if (crioimg__ref_has_high(s, n)) {
                char low[4096];
                size_t ln = crioimg__ref_lower_ascii(s, n, low, sizeof low);
                if (ln && crioimg__ref_match_parts(&m, low, ln, plen != 0, 1)) return CRIOIMG_ERR_REF_UPPERCASE;
            }
        }
        return CRIOIMG_ERR_REF_FORMAT;
    }
    return crioimg__ref_fill(out, prefix, plen, &m);
}

crioimg_result crioimg_ref_parse(crioimg_ref *out, const char *s, size_t n)
{
    if (out == NULL || (s == NULL && n)) return CRIOIMG_ERR_INVALID_ARGS;
    if (s == NULL) s = "";
    return crioimg__ref_parse(out, "", 0, s, n, 1);
}

static int crioimg__ref_is(const char *s, size_t n, const char *lit)
{
    size_t l = strlen(lit);
    return n == l && memcmp(s, lit, l) == 0;
}

crioimg_result crioimg_ref_parse_normalized(crioimg_ref *out, const char *s, size_t n)
{
    static const char lib_prefix[] = "docker.io/library/";
    const char *slash, *rem = s, *p;
    size_t rem_n = n, plen = 0, i;
    int dots;
    crioimg_result r;
    if (out == NULL || (s == NULL && n)) return CRIOIMG_ERR_INVALID_ARGS;
    if (s == NULL) s = rem = "";
    if (crioimg_id_is_full(s, n)) { crioimg__ref_zero(out); return CRIOIMG_ERR_REF_HEX_NAME; }
#ifdef CRIOIMG__SSE2
    {   /* the same steps on bit masks; anything unusual falls through to the portable code below */
        crioimg__ref_masks k;
        crioimg__ref_match m;
        crioimg__mask sl;
        size_t off = 0;
        crioimg__ref_classify(&k, s, n);
        sl = k.slash;
        /* with an '@' the masks cover the whole name (a '/' after it fails the digest anyway) */
        if (sl || k.at || n <= k.covered) {
            size_t fs = sl ? crioimg__ctz(sl) : n;
            if (!sl) plen = 18;
            else if (!((k.dot | k.colon) & crioimg__bits(0, fs)) && !crioimg__ref_is(s, fs, "localhost")) plen = 10;
            else if (crioimg__ref_is(s, fs, "index.docker.io") || crioimg__ref_is(s, fs, "docker.io")) {
                off = fs + 1;
                plen = (sl >> off) ? 10 : ((k.at || n <= k.covered) ? 18 : 0);
            }
            if (off == 0 || plen) {
                if (off) crioimg__ref_masks_shift(&k, off);
                /* an error from fill may lose to Go's lowercase check: the portable path decides it */
                if (crioimg__ref_match_fast(&m, &k, s + off, n - off, plen != 0) == 1 &&
                    crioimg__ref_fill(out, lib_prefix, plen, &m) == CRIOIMG_OK)
                    return CRIOIMG_OK;
            }
            plen = 0;
        }
    }
#endif
    /* splitDockerDomain: the first component is a domain if it has '.' or ':' or is "localhost" */
    slash = (const char *)memchr(s, '/', n);
    i = slash ? (size_t)(slash - s) : n;
    dots = memchr(s, '.', i) || memchr(s, ':', i);
    if (slash == NULL) {
        plen = 18;                                            /* "docker.io/library/" + s */
    } else if (!dots && !crioimg__ref_is(s, i, "localhost")) {
        plen = 10;                                            /* "docker.io/" + s */
    } else if (crioimg__ref_is(s, i, "index.docker.io") || crioimg__ref_is(s, i, "docker.io")) {
        rem = slash + 1;                                      /* "docker.io/" + what follows */
        rem_n = n - i - 1;
        plen = memchr(rem, '/', rem_n) ? 10 : 18;            /* one component: "library/" */
    }                                                         /* else: Go parses s itself */
    r = crioimg__ref_parse(out, lib_prefix, plen, rem, rem_n, 0);  /* the fast path was tried above */
    if (r == CRIOIMG_OK) return r;  /* a parsed path is lowercase, so Go's check below passed */
    /* Go checks first that the remote name (up to the first ':') is what strings.ToLower leaves
       unchanged; that error wins over Parse's */
    p = plen ? rem : slash + 1;
    i = crioimg__ref_find2(p, (size_t)(s + n - p), ':', ':');
    return crioimg__ref_lower_changes(p, i) ? CRIOIMG_ERR_REF_NORM_UPPERCASE : r;
}

/* name + [":" tag] + ["@" digest] into out, as String() and FamiliarString() write them */
static size_t crioimg__ref_write(const crioimg_ref *ref, const char *name, size_t name_len, char *out, size_t cap)
{
    size_t need = name_len + (ref->tag_len ? 1u + ref->tag_len : 0u) + (ref->digest_len ? (name_len ? 1u : 0u) + ref->digest_len : 0u);
    char *p = out;
    if (need >= cap) {  /* rare: the careful, truncating path */
        crioimg__out o;
        o.p = out; o.cap = cap; o.len = 0;
        if (cap) out[0] = '\0';
        crioimg__out_put(&o, name, name_len);
        if (ref->tag_len) { crioimg__out_put(&o, ":", 1); crioimg__out_put(&o, ref->tag, ref->tag_len); }
        if (ref->digest_len) {
            if (name_len) crioimg__out_put(&o, "@", 1);
            crioimg__out_put(&o, ref->digest, ref->digest_len);
        }
        return o.len;
    }
    memcpy(p, name, name_len);
    p += name_len;
    if (ref->tag_len) { *p++ = ':'; memcpy(p, ref->tag, ref->tag_len); p += ref->tag_len; }
    if (ref->digest_len) {
        if (name_len) *p++ = '@';
        memcpy(p, ref->digest, ref->digest_len);
        p += ref->digest_len;
    }
    *p = '\0';
    return need;
}

size_t crioimg_ref_string(const crioimg_ref *ref, char *out, size_t cap)
{
    if (ref == NULL) { if (cap) out[0] = '\0'; return 0; }
    return crioimg__ref_write(ref, ref->name, ref->name_len, out, cap);
}

crioimg_result crioimg_ref_parse_named(crioimg_ref *out, const char *s, size_t n)
{
    char buf[CRIOIMG_REF_STRING_MAX + 1];
    crioimg_result r = crioimg_ref_parse_normalized(out, s, n);
    if (r != CRIOIMG_OK) return r;
    if (crioimg_ref_string(out, buf, sizeof buf) != n || memcmp(buf, s, n) != 0) {
        crioimg__ref_zero(out);
        return CRIOIMG_ERR_REF_NOT_CANONICAL;
    }
    return CRIOIMG_OK;
}

/* A reference that is only a digest (ParseAnyReference of an ID or digest). */
static void crioimg__ref_digest_only(crioimg_ref *out, const char *alg, const char *s, size_t n)
{
    size_t alen = strlen(alg);
    crioimg__ref_zero(out);
    memcpy(out->digest, alg, alen);
    memcpy(out->digest + alen, s, n);
    out->digest[alen + n] = '\0';
    out->digest_len = (unsigned short)(alen + n);
}

crioimg_result crioimg_ref_parse_any(crioimg_ref *out, const char *s, size_t n)
{
    if (out == NULL || (s == NULL && n)) return CRIOIMG_ERR_INVALID_ARGS;
    if (crioimg_id_is_full(s, n)) { crioimg__ref_digest_only(out, "sha256:", s, n); return CRIOIMG_OK; }
    if (s != NULL && crioimg_digest_validate(s, n) == CRIOIMG_OK) { crioimg__ref_digest_only(out, "", s, n); return CRIOIMG_OK; }
    return crioimg_ref_parse_normalized(out, s, n);
}

void crioimg_ref_trim_named(crioimg_ref *ref)
{
    if (ref == NULL) return;
    ref->tag[0] = '\0'; ref->tag_len = 0;
    ref->digest[0] = '\0'; ref->digest_len = 0;
}

void crioimg_ref_tag_name_only(crioimg_ref *ref)
{
    if (ref == NULL || ref->name_len == 0 || ref->tag_len || ref->digest_len) return;
    crioimg__ref_set(ref->tag, &ref->tag_len, "latest", 6);
}

crioimg_result crioimg_ref_parse_docker(crioimg_ref *out, const char *s, size_t n)
{
    crioimg_result r = crioimg_ref_parse_normalized(out, s, n);
    if (r != CRIOIMG_OK) return r;
    if (out->tag_len && out->digest_len) { out->tag[0] = '\0'; out->tag_len = 0; }  /* the digest wins */
    crioimg_ref_tag_name_only(out);
    return CRIOIMG_OK;
}

crioimg_result crioimg_ref_with_name(crioimg_ref *out, const char *name, size_t n)
{
    crioimg__ref_match m;
    if (out == NULL || (name == NULL && n)) return CRIOIMG_ERR_INVALID_ARGS;
    crioimg__ref_zero(out);
    if (n > CRIOIMG_REF_NAME_MAX) return CRIOIMG_ERR_REF_NAME_TOO_LONG;
    /* anchoredNameRegexp: a name alone, so neither ':' outside the domain nor '@' may follow */
    if (n == 0 || !crioimg__ref_match_parts(&m, name, n, 0, 0) || m.tag || m.digest) return CRIOIMG_ERR_REF_FORMAT;
    crioimg__ref_set(out->name, &out->name_len, name, n);
    out->domain_len = (unsigned short)m.domain_len;
    return CRIOIMG_OK;
}

crioimg_result crioimg_ref_with_tag(crioimg_ref *out, const crioimg_ref *ref, const char *tag, size_t n)
{
    if (out == NULL || ref == NULL || (tag == NULL && n)) return CRIOIMG_ERR_INVALID_ARGS;
    if (ref->name_len == 0) return CRIOIMG_ERR_REF_NO_NAME;
    if (!crioimg__ref_tag(tag, n)) return CRIOIMG_ERR_REF_TAG_FORMAT;
    if (out != ref) *out = *ref;
    crioimg__ref_set(out->tag, &out->tag_len, tag, n);
    return CRIOIMG_OK;
}

crioimg_result crioimg_ref_with_digest(crioimg_ref *out, const crioimg_ref *ref, const char *digest, size_t n)
{
    if (out == NULL || ref == NULL || (digest == NULL && n)) return CRIOIMG_ERR_INVALID_ARGS;
    if (ref->name_len == 0) return CRIOIMG_ERR_REF_NO_NAME;
    if (n > CRIOIMG_REF_DIGEST_MAX || !crioimg__ref_digest_grammar(digest, n)) return CRIOIMG_ERR_REF_DIGEST_FORMAT;
    if (out != ref) *out = *ref;
    crioimg__ref_set(out->digest, &out->digest_len, digest, n);
    return CRIOIMG_OK;
}

const char *crioimg_ref_domain(const crioimg_ref *ref, size_t *len)
{
    if (len) *len = ref ? ref->domain_len : 0;
    return ref ? ref->name : "";
}

const char *crioimg_ref_path(const crioimg_ref *ref, size_t *len)
{
    size_t skip;
    if (ref == NULL) { if (len) *len = 0; return ""; }
    skip = ref->domain_len ? (size_t)ref->domain_len + 1 : 0;
    if (len) *len = ref->name_len - skip;
    return ref->name + skip;
}

/* familiarizeName: drop "docker.io/", then "library/" when exactly one component follows it */
const char *crioimg_ref_familiar_name(const crioimg_ref *ref, size_t *len)
{
    size_t plen;
    const char *p;
    if (ref == NULL) { if (len) *len = 0; return ""; }
    p = crioimg_ref_path(ref, &plen);
    if (!crioimg__ref_is(ref->name, ref->domain_len, "docker.io")) p = ref->name, plen = ref->name_len;
    else if (plen > 8 && memcmp(p, "library/", 8) == 0 && !memchr(p + 8, '/', plen - 8)) p += 8, plen -= 8;
    if (len) *len = plen;
    return p;
}

size_t crioimg_ref_familiar_string(const crioimg_ref *ref, char *out, size_t cap)
{
    size_t fl;
    const char *fn;
    if (ref == NULL || ref->name_len == 0) return crioimg_ref_string(ref, out, cap);
    fn = crioimg_ref_familiar_name(ref, &fl);
    return crioimg__ref_write(ref, fn, fl, out, cap);
}

int crioimg_ref_equal(const crioimg_ref *a, const crioimg_ref *b)
{
    return a && b && a->name_len == b->name_len && a->tag_len == b->tag_len && a->digest_len == b->digest_len &&
           a->domain_len == b->domain_len && memcmp(a->name, b->name, a->name_len) == 0 &&
           memcmp(a->tag, b->tag, a->tag_len) == 0 && memcmp(a->digest, b->digest, a->digest_len) == 0;
}

/* ---- Go's path.Match, byte for byte (names are ASCII; patterns may hold UTF-8 inside classes) ---- */

/* A pattern character in a class (getEsc): *r gets its code point; 0 on a malformed pattern. */
static int crioimg__match_esc(const char **p, const char *end, long *r)
{
    const char *c = *p;
    size_t l;
    if (c == end || *c == '-' || *c == ']') return 0;
    if (*c == '\\' && ++c == end) return 0;
    l = crioimg__utf8_len((const unsigned char *)c, (size_t)(end - c));
    if (l == 0) return 0;
    if (l == 1) *r = (unsigned char)*c;
    else if (l == 2) *r = ((long)(c[0] & 0x1f) << 6) | (c[1] & 0x3f);
    else if (l == 3) *r = ((long)(c[0] & 0x0f) << 12) | ((long)(c[1] & 0x3f) << 6) | (c[2] & 0x3f);
    else *r = ((long)(c[0] & 0x07) << 18) | ((long)(c[1] & 0x3f) << 12) | ((long)(c[2] & 0x3f) << 6) | (c[3] & 0x3f);
    *p = c + l;
    return *p != end;
}

/* matchChunk: 1 match (rest in *rest), 0 no match, -1 bad pattern. After a mismatch the chunk is still
   walked to the end so that a malformed pattern is reported, as Go does. */
static int crioimg__match_chunk(const char *c, const char *ce, const char *s, const char *se, const char **rest)
{
    int failed = 0;
    while (c < ce) {
        if (!failed && s == se) failed = 1;
        if (*c == '[') {
            long r = -1, lo, hi;
            int negated = 0, match = 0, nrange = 0;
            if (!failed) {
                size_t l = crioimg__utf8_len((const unsigned char *)s, (size_t)(se - s));
                r = l == 1 ? (unsigned char)*s : 0xfffd;  /* names are ASCII; anything else never matches */
                s += l ? l : 1;
            }
            c++;
            if (c < ce && *c == '^') { negated = 1; c++; }
            for (;;) {
                if (c < ce && *c == ']' && nrange > 0) { c++; break; }
                if (!crioimg__match_esc(&c, ce, &lo)) return -1;
                hi = lo;
                if (*c == '-') { c++; if (!crioimg__match_esc(&c, ce, &hi)) return -1; }
                if (lo <= r && r <= hi) match = 1;
                nrange++;
            }
            if (match == negated) failed = 1;
        } else if (*c == '?') {
            if (!failed) { if (*s == '/') failed = 1; s++; }
            c++;
        } else {
            if (*c == '\\' && ++c == ce) return -1;
            if (!failed) { if (*c != *s) failed = 1; s++; }
            c++;
        }
    }
    if (failed) return 0;
    *rest = s;
    return 1;
}

/* scanChunk: leading stars, then up to the next '*' outside a class */
static const char *crioimg__match_scan(const char **p, const char *pe, int *star)
{
    const char *c;
    int inrange = 0;
    *star = 0;
    while (*p < pe && **p == '*') { (*p)++; *star = 1; }
    for (c = *p; c < pe; c++) {
        if (*c == '\\') { if (c + 1 < pe) c++; }
        else if (*c == '[') inrange = 1;
        else if (*c == ']') inrange = 0;
        else if (*c == '*' && !inrange) break;
    }
    return c;
}

/* path.Match: 1, 0, or -1 for ErrBadPattern */
static int crioimg__path_match(const char *p, const char *pe, const char *s, const char *se)
{
    while (p < pe) {
        int star, k;
        const char *chunk = NULL, *ce, *t = NULL;
        ce = crioimg__match_scan(&p, pe, &star);
        chunk = p;
        p = ce;
        if (star && chunk == ce) return memchr(s, '/', (size_t)(se - s)) == NULL;
        k = crioimg__match_chunk(chunk, ce, s, se, &t);
        if (k == 1 && (t == se || p < pe)) { s = t; continue; }
        if (k < 0) return -1;
        if (star) {
            const char *i;
            int found = 0;
            for (i = s; i < se && *i != '/'; i++) {
                k = crioimg__match_chunk(chunk, ce, i + 1, se, &t);
                if (k == 1) {
                    if (p == pe && t != se) continue;
                    s = t; found = 1; break;
                }
                if (k < 0) return -1;
            }
            if (found) continue;
        }
        /* no match: the rest of the pattern must still be well-formed */
        while (p < pe) {
            const char *dummy;
            ce = crioimg__match_scan(&p, pe, &star);
            if (crioimg__match_chunk(p, ce, se, se, &dummy) < 0) return -1;
            p = ce;
        }
        return 0;
    }
    return s == se;
}

crioimg_result crioimg_ref_familiar_match(const char *pattern, size_t n, const crioimg_ref *ref, int *matched)
{
    char buf[CRIOIMG_REF_STRING_MAX + 1];
    size_t l;
    int k;
    if (matched) *matched = 0;
    if ((pattern == NULL && n) || ref == NULL || matched == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    if (pattern == NULL) pattern = "";
    l = crioimg_ref_familiar_string(ref, buf, sizeof buf);
    k = crioimg__path_match(pattern, pattern + n, buf, buf + l);
    if (k != 1 && ref->name_len) {
        const char *fn = crioimg_ref_familiar_name(ref, &l);
        *matched = crioimg__path_match(pattern, pattern + n, fn, fn + l) == 1;
    } else {
        *matched = k == 1;
    }
    return k < 0 ? CRIOIMG_ERR_REF_BAD_PATTERN : CRIOIMG_OK;
}

/* ---- error texts that carry the input ---- */

/* Go's %q (strconv.Quote) for the inputs that error texts quote: printable runes as they are, the usual
   backslash escapes, other runes as \uXXXX or \UXXXXXXXX, bytes that are not UTF-8 as \xNN. What is
   printable is Go's strconv.IsPrint, from these tables of the runes it rejects: */
/* from Go 1.19's strconv.IsPrint (Unicode 13.0.0) by tools/gen_unicode_print.go */
static const unsigned short crioimg__print_bmp[][2] = {
{0x80,0xa0},{0xad,0xad},{0x378,0x379},{0x380,0x383},{0x38b,0x38b},{0x38d,0x38d},{0x3a2,0x3a2},{0x530,0x530},
{0x557,0x558},{0x58b,0x58c},{0x590,0x590},{0x5c8,0x5cf},{0x5eb,0x5ee},{0x5f5,0x605},{0x61c,0x61d},{0x6dd,0x6dd},
{0x70e,0x70f},{0x74b,0x74c},{0x7b2,0x7bf},{0x7fb,0x7fc},{0x82e,0x82f},{0x83f,0x83f},{0x85c,0x85d},{0x85f,0x85f},
{0x86b,0x89f},{0x8b5,0x8b5},{0x8c8,0x8d2},{0x8e2,0x8e2},{0x984,0x984},{0x98d,0x98e},{0x991,0x992},{0x9a9,0x9a9},
{0x9b1,0x9b1},{0x9b3,0x9b5},{0x9ba,0x9bb},{0x9c5,0x9c6},{0x9c9,0x9ca},{0x9cf,0x9d6},{0x9d8,0x9db},{0x9de,0x9de},
{0x9e4,0x9e5},{0x9ff,0xa00},{0xa04,0xa04},{0xa0b,0xa0e},{0xa11,0xa12},{0xa29,0xa29},{0xa31,0xa31},{0xa34,0xa34},
{0xa37,0xa37},{0xa3a,0xa3b},{0xa3d,0xa3d},{0xa43,0xa46},{0xa49,0xa4a},{0xa4e,0xa50},{0xa52,0xa58},{0xa5d,0xa5d},
{0xa5f,0xa65},{0xa77,0xa80},{0xa84,0xa84},{0xa8e,0xa8e},{0xa92,0xa92},{0xaa9,0xaa9},{0xab1,0xab1},{0xab4,0xab4},
{0xaba,0xabb},{0xac6,0xac6},{0xaca,0xaca},{0xace,0xacf},{0xad1,0xadf},{0xae4,0xae5},{0xaf2,0xaf8},{0xb00,0xb00},
{0xb04,0xb04},{0xb0d,0xb0e},{0xb11,0xb12},{0xb29,0xb29},{0xb31,0xb31},{0xb34,0xb34},{0xb3a,0xb3b},{0xb45,0xb46},
{0xb49,0xb4a},{0xb4e,0xb54},{0xb58,0xb5b},{0xb5e,0xb5e},{0xb64,0xb65},{0xb78,0xb81},{0xb84,0xb84},{0xb8b,0xb8d},
{0xb91,0xb91},{0xb96,0xb98},{0xb9b,0xb9b},{0xb9d,0xb9d},{0xba0,0xba2},{0xba5,0xba7},{0xbab,0xbad},{0xbba,0xbbd},
{0xbc3,0xbc5},{0xbc9,0xbc9},{0xbce,0xbcf},{0xbd1,0xbd6},{0xbd8,0xbe5},{0xbfb,0xbff},{0xc0d,0xc0d},{0xc11,0xc11},
{0xc29,0xc29},{0xc3a,0xc3c},{0xc45,0xc45},{0xc49,0xc49},{0xc4e,0xc54},{0xc57,0xc57},{0xc5b,0xc5f},{0xc64,0xc65},
{0xc70,0xc76},{0xc8d,0xc8d},{0xc91,0xc91},{0xca9,0xca9},{0xcb4,0xcb4},{0xcba,0xcbb},{0xcc5,0xcc5},{0xcc9,0xcc9},
{0xcce,0xcd4},{0xcd7,0xcdd},{0xcdf,0xcdf},{0xce4,0xce5},{0xcf0,0xcf0},{0xcf3,0xcff},{0xd0d,0xd0d},{0xd11,0xd11},
{0xd45,0xd45},{0xd49,0xd49},{0xd50,0xd53},{0xd64,0xd65},{0xd80,0xd80},{0xd84,0xd84},{0xd97,0xd99},{0xdb2,0xdb2},
{0xdbc,0xdbc},{0xdbe,0xdbf},{0xdc7,0xdc9},{0xdcb,0xdce},{0xdd5,0xdd5},{0xdd7,0xdd7},{0xde0,0xde5},{0xdf0,0xdf1},
{0xdf5,0xe00},{0xe3b,0xe3e},{0xe5c,0xe80},{0xe83,0xe83},{0xe85,0xe85},{0xe8b,0xe8b},{0xea4,0xea4},{0xea6,0xea6},
{0xebe,0xebf},{0xec5,0xec5},{0xec7,0xec7},{0xece,0xecf},{0xeda,0xedb},{0xee0,0xeff},{0xf48,0xf48},{0xf6d,0xf70},
{0xf98,0xf98},{0xfbd,0xfbd},{0xfcd,0xfcd},{0xfdb,0xfff},{0x10c6,0x10c6},{0x10c8,0x10cc},{0x10ce,0x10cf},{0x1249,0x1249},
{0x124e,0x124f},{0x1257,0x1257},{0x1259,0x1259},{0x125e,0x125f},{0x1289,0x1289},{0x128e,0x128f},{0x12b1,0x12b1},{0x12b6,0x12b7},
{0x12bf,0x12bf},{0x12c1,0x12c1},{0x12c6,0x12c7},{0x12d7,0x12d7},{0x1311,0x1311},{0x1316,0x1317},{0x135b,0x135c},{0x137d,0x137f},
{0x139a,0x139f},{0x13f6,0x13f7},{0x13fe,0x13ff},{0x1680,0x1680},{0x169d,0x169f},{0x16f9,0x16ff},{0x170d,0x170d},{0x1715,0x171f},
{0x1737,0x173f},{0x1754,0x175f},{0x176d,0x176d},{0x1771,0x1771},{0x1774,0x177f},{0x17de,0x17df},{0x17ea,0x17ef},{0x17fa,0x17ff},
{0x180e,0x180f},{0x181a,0x181f},{0x1879,0x187f},{0x18ab,0x18af},{0x18f6,0x18ff},{0x191f,0x191f},{0x192c,0x192f},{0x193c,0x193f},
{0x1941,0x1943},{0x196e,0x196f},{0x1975,0x197f},{0x19ac,0x19af},{0x19ca,0x19cf},{0x19db,0x19dd},{0x1a1c,0x1a1d},{0x1a5f,0x1a5f},
{0x1a7d,0x1a7e},{0x1a8a,0x1a8f},{0x1a9a,0x1a9f},{0x1aae,0x1aaf},{0x1ac1,0x1aff},{0x1b4c,0x1b4f},{0x1b7d,0x1b7f},{0x1bf4,0x1bfb},
{0x1c38,0x1c3a},{0x1c4a,0x1c4c},{0x1c89,0x1c8f},{0x1cbb,0x1cbc},{0x1cc8,0x1ccf},{0x1cfb,0x1cff},{0x1dfa,0x1dfa},{0x1f16,0x1f17},
{0x1f1e,0x1f1f},{0x1f46,0x1f47},{0x1f4e,0x1f4f},{0x1f58,0x1f58},{0x1f5a,0x1f5a},{0x1f5c,0x1f5c},{0x1f5e,0x1f5e},{0x1f7e,0x1f7f},
{0x1fb5,0x1fb5},{0x1fc5,0x1fc5},{0x1fd4,0x1fd5},{0x1fdc,0x1fdc},{0x1ff0,0x1ff1},{0x1ff5,0x1ff5},{0x1fff,0x200f},{0x2028,0x202f},
{0x205f,0x206f},{0x2072,0x2073},{0x208f,0x208f},{0x209d,0x209f},{0x20c0,0x20cf},{0x20f1,0x20ff},{0x218c,0x218f},{0x2427,0x243f},
{0x244b,0x245f},{0x2b74,0x2b75},{0x2b96,0x2b96},{0x2c2f,0x2c2f},{0x2c5f,0x2c5f},{0x2cf4,0x2cf8},{0x2d26,0x2d26},{0x2d28,0x2d2c},
{0x2d2e,0x2d2f},{0x2d68,0x2d6e},{0x2d71,0x2d7e},{0x2d97,0x2d9f},{0x2da7,0x2da7},{0x2daf,0x2daf},{0x2db7,0x2db7},{0x2dbf,0x2dbf},
{0x2dc7,0x2dc7},{0x2dcf,0x2dcf},{0x2dd7,0x2dd7},{0x2ddf,0x2ddf},{0x2e53,0x2e7f},{0x2e9a,0x2e9a},{0x2ef4,0x2eff},{0x2fd6,0x2fef},
{0x2ffc,0x3000},{0x3040,0x3040},{0x3097,0x3098},{0x3100,0x3104},{0x3130,0x3130},{0x318f,0x318f},{0x31e4,0x31ef},{0x321f,0x321f},
{0x9ffd,0x9fff},{0xa48d,0xa48f},{0xa4c7,0xa4cf},{0xa62c,0xa63f},{0xa6f8,0xa6ff},{0xa7c0,0xa7c1},{0xa7cb,0xa7f4},{0xa82d,0xa82f},
{0xa83a,0xa83f},{0xa878,0xa87f},{0xa8c6,0xa8cd},{0xa8da,0xa8df},{0xa954,0xa95e},{0xa97d,0xa97f},{0xa9ce,0xa9ce},{0xa9da,0xa9dd},
{0xa9ff,0xa9ff},{0xaa37,0xaa3f},{0xaa4e,0xaa4f},{0xaa5a,0xaa5b},{0xaac3,0xaada},{0xaaf7,0xab00},{0xab07,0xab08},{0xab0f,0xab10},
{0xab17,0xab1f},{0xab27,0xab27},{0xab2f,0xab2f},{0xab6c,0xab6f},{0xabee,0xabef},{0xabfa,0xabff},{0xd7a4,0xd7af},{0xd7c7,0xd7ca},
{0xd7fc,0xd7ff},{0xe000,0xf8ff},{0xfa6e,0xfa6f},{0xfada,0xfaff},{0xfb07,0xfb12},{0xfb18,0xfb1c},{0xfb37,0xfb37},{0xfb3d,0xfb3d},
{0xfb3f,0xfb3f},{0xfb42,0xfb42},{0xfb45,0xfb45},{0xfbc2,0xfbd2},{0xfd40,0xfd4f},{0xfd90,0xfd91},{0xfdc8,0xfdef},{0xfdfe,0xfdff},
{0xfe1a,0xfe1f},{0xfe53,0xfe53},{0xfe67,0xfe67},{0xfe6c,0xfe6f},{0xfe75,0xfe75},{0xfefd,0xff00},{0xffbf,0xffc1},{0xffc8,0xffc9},
{0xffd0,0xffd1},{0xffd8,0xffd9},{0xffdd,0xffdf},{0xffe7,0xffe7},{0xffef,0xfffb},{0xfffe,0xffff},
};
static const unsigned long crioimg__print_astral[][2] = {
{0x1000c,0x1000c},{0x10027,0x10027},{0x1003b,0x1003b},{0x1003e,0x1003e},{0x1004e,0x1004f},{0x1005e,0x1007f},
{0x100fb,0x100ff},{0x10103,0x10106},{0x10134,0x10136},{0x1018f,0x1018f},{0x1019d,0x1019f},{0x101a1,0x101cf},
{0x101fe,0x1027f},{0x1029d,0x1029f},{0x102d1,0x102df},{0x102fc,0x102ff},{0x10324,0x1032c},{0x1034b,0x1034f},
{0x1037b,0x1037f},{0x1039e,0x1039e},{0x103c4,0x103c7},{0x103d6,0x103ff},{0x1049e,0x1049f},{0x104aa,0x104af},
{0x104d4,0x104d7},{0x104fc,0x104ff},{0x10528,0x1052f},{0x10564,0x1056e},{0x10570,0x105ff},{0x10737,0x1073f},
{0x10756,0x1075f},{0x10768,0x107ff},{0x10806,0x10807},{0x10809,0x10809},{0x10836,0x10836},{0x10839,0x1083b},
{0x1083d,0x1083e},{0x10856,0x10856},{0x1089f,0x108a6},{0x108b0,0x108df},{0x108f3,0x108f3},{0x108f6,0x108fa},
{0x1091c,0x1091e},{0x1093a,0x1093e},{0x10940,0x1097f},{0x109b8,0x109bb},{0x109d0,0x109d1},{0x10a04,0x10a04},
{0x10a07,0x10a0b},{0x10a14,0x10a14},{0x10a18,0x10a18},{0x10a36,0x10a37},{0x10a3b,0x10a3e},{0x10a49,0x10a4f},
{0x10a59,0x10a5f},{0x10aa0,0x10abf},{0x10ae7,0x10aea},{0x10af7,0x10aff},{0x10b36,0x10b38},{0x10b56,0x10b57},
{0x10b73,0x10b77},{0x10b92,0x10b98},{0x10b9d,0x10ba8},{0x10bb0,0x10bff},{0x10c49,0x10c7f},{0x10cb3,0x10cbf},
{0x10cf3,0x10cf9},{0x10d28,0x10d2f},{0x10d3a,0x10e5f},{0x10e7f,0x10e7f},{0x10eaa,0x10eaa},{0x10eae,0x10eaf},
{0x10eb2,0x10eff},{0x10f28,0x10f2f},{0x10f5a,0x10faf},{0x10fcc,0x10fdf},{0x10ff7,0x10fff},{0x1104e,0x11051},
{0x11070,0x1107e},{0x110bd,0x110bd},{0x110c2,0x110cf},{0x110e9,0x110ef},{0x110fa,0x110ff},{0x11135,0x11135},
{0x11148,0x1114f},{0x11177,0x1117f},{0x111e0,0x111e0},{0x111f5,0x111ff},{0x11212,0x11212},{0x1123f,0x1127f},
{0x11287,0x11287},{0x11289,0x11289},{0x1128e,0x1128e},{0x1129e,0x1129e},{0x112aa,0x112af},{0x112eb,0x112ef},
{0x112fa,0x112ff},{0x11304,0x11304},{0x1130d,0x1130e},{0x11311,0x11312},{0x11329,0x11329},{0x11331,0x11331},
{0x11334,0x11334},{0x1133a,0x1133a},{0x11345,0x11346},{0x11349,0x1134a},{0x1134e,0x1134f},{0x11351,0x11356},
{0x11358,0x1135c},{0x11364,0x11365},{0x1136d,0x1136f},{0x11375,0x113ff},{0x1145c,0x1145c},{0x11462,0x1147f},
{0x114c8,0x114cf},{0x114da,0x1157f},{0x115b6,0x115b7},{0x115de,0x115ff},{0x11645,0x1164f},{0x1165a,0x1165f},
{0x1166d,0x1167f},{0x116b9,0x116bf},{0x116ca,0x116ff},{0x1171b,0x1171c},{0x1172c,0x1172f},{0x11740,0x117ff},
{0x1183c,0x1189f},{0x118f3,0x118fe},{0x11907,0x11908},{0x1190a,0x1190b},{0x11914,0x11914},{0x11917,0x11917},
{0x11936,0x11936},{0x11939,0x1193a},{0x11947,0x1194f},{0x1195a,0x1199f},{0x119a8,0x119a9},{0x119d8,0x119d9},
{0x119e5,0x119ff},{0x11a48,0x11a4f},{0x11aa3,0x11abf},{0x11af9,0x11bff},{0x11c09,0x11c09},{0x11c37,0x11c37},
{0x11c46,0x11c4f},{0x11c6d,0x11c6f},{0x11c90,0x11c91},{0x11ca8,0x11ca8},{0x11cb7,0x11cff},{0x11d07,0x11d07},
{0x11d0a,0x11d0a},{0x11d37,0x11d39},{0x11d3b,0x11d3b},{0x11d3e,0x11d3e},{0x11d48,0x11d4f},{0x11d5a,0x11d5f},
{0x11d66,0x11d66},{0x11d69,0x11d69},{0x11d8f,0x11d8f},{0x11d92,0x11d92},{0x11d99,0x11d9f},{0x11daa,0x11edf},
{0x11ef9,0x11faf},{0x11fb1,0x11fbf},{0x11ff2,0x11ffe},{0x1239a,0x123ff},{0x1246f,0x1246f},{0x12475,0x1247f},
{0x12544,0x12fff},{0x1342f,0x143ff},{0x14647,0x167ff},{0x16a39,0x16a3f},{0x16a5f,0x16a5f},{0x16a6a,0x16a6d},
{0x16a70,0x16acf},{0x16aee,0x16aef},{0x16af6,0x16aff},{0x16b46,0x16b4f},{0x16b5a,0x16b5a},{0x16b62,0x16b62},
{0x16b78,0x16b7c},{0x16b90,0x16e3f},{0x16e9b,0x16eff},{0x16f4b,0x16f4e},{0x16f88,0x16f8e},{0x16fa0,0x16fdf},
{0x16fe5,0x16fef},{0x16ff2,0x16fff},{0x187f8,0x187ff},{0x18cd6,0x18cff},{0x18d09,0x1afff},{0x1b11f,0x1b14f},
{0x1b153,0x1b163},{0x1b168,0x1b16f},{0x1b2fc,0x1bbff},{0x1bc6b,0x1bc6f},{0x1bc7d,0x1bc7f},{0x1bc89,0x1bc8f},
{0x1bc9a,0x1bc9b},{0x1bca0,0x1cfff},{0x1d0f6,0x1d0ff},{0x1d127,0x1d128},{0x1d173,0x1d17a},{0x1d1e9,0x1d1ff},
{0x1d246,0x1d2df},{0x1d2f4,0x1d2ff},{0x1d357,0x1d35f},{0x1d379,0x1d3ff},{0x1d455,0x1d455},{0x1d49d,0x1d49d},
{0x1d4a0,0x1d4a1},{0x1d4a3,0x1d4a4},{0x1d4a7,0x1d4a8},{0x1d4ad,0x1d4ad},{0x1d4ba,0x1d4ba},{0x1d4bc,0x1d4bc},
{0x1d4c4,0x1d4c4},{0x1d506,0x1d506},{0x1d50b,0x1d50c},{0x1d515,0x1d515},{0x1d51d,0x1d51d},{0x1d53a,0x1d53a},
{0x1d53f,0x1d53f},{0x1d545,0x1d545},{0x1d547,0x1d549},{0x1d551,0x1d551},{0x1d6a6,0x1d6a7},{0x1d7cc,0x1d7cd},
{0x1da8c,0x1da9a},{0x1daa0,0x1daa0},{0x1dab0,0x1dfff},{0x1e007,0x1e007},{0x1e019,0x1e01a},{0x1e022,0x1e022},
{0x1e025,0x1e025},{0x1e02b,0x1e0ff},{0x1e12d,0x1e12f},{0x1e13e,0x1e13f},{0x1e14a,0x1e14d},{0x1e150,0x1e2bf},
{0x1e2fa,0x1e2fe},{0x1e300,0x1e7ff},{0x1e8c5,0x1e8c6},{0x1e8d7,0x1e8ff},{0x1e94c,0x1e94f},{0x1e95a,0x1e95d},
{0x1e960,0x1ec70},{0x1ecb5,0x1ed00},{0x1ed3e,0x1edff},{0x1ee04,0x1ee04},{0x1ee20,0x1ee20},{0x1ee23,0x1ee23},
{0x1ee25,0x1ee26},{0x1ee28,0x1ee28},{0x1ee33,0x1ee33},{0x1ee38,0x1ee38},{0x1ee3a,0x1ee3a},{0x1ee3c,0x1ee41},
{0x1ee43,0x1ee46},{0x1ee48,0x1ee48},{0x1ee4a,0x1ee4a},{0x1ee4c,0x1ee4c},{0x1ee50,0x1ee50},{0x1ee53,0x1ee53},
{0x1ee55,0x1ee56},{0x1ee58,0x1ee58},{0x1ee5a,0x1ee5a},{0x1ee5c,0x1ee5c},{0x1ee5e,0x1ee5e},{0x1ee60,0x1ee60},
{0x1ee63,0x1ee63},{0x1ee65,0x1ee66},{0x1ee6b,0x1ee6b},{0x1ee73,0x1ee73},{0x1ee78,0x1ee78},{0x1ee7d,0x1ee7d},
{0x1ee7f,0x1ee7f},{0x1ee8a,0x1ee8a},{0x1ee9c,0x1eea0},{0x1eea4,0x1eea4},{0x1eeaa,0x1eeaa},{0x1eebc,0x1eeef},
{0x1eef2,0x1efff},{0x1f02c,0x1f02f},{0x1f094,0x1f09f},{0x1f0af,0x1f0b0},{0x1f0c0,0x1f0c0},{0x1f0d0,0x1f0d0},
{0x1f0f6,0x1f0ff},{0x1f1ae,0x1f1e5},{0x1f203,0x1f20f},{0x1f23c,0x1f23f},{0x1f249,0x1f24f},{0x1f252,0x1f25f},
{0x1f266,0x1f2ff},{0x1f6d8,0x1f6df},{0x1f6ed,0x1f6ef},{0x1f6fd,0x1f6ff},{0x1f774,0x1f77f},{0x1f7d9,0x1f7df},
{0x1f7ec,0x1f7ff},{0x1f80c,0x1f80f},{0x1f848,0x1f84f},{0x1f85a,0x1f85f},{0x1f888,0x1f88f},{0x1f8ae,0x1f8af},
{0x1f8b2,0x1f8ff},{0x1f979,0x1f979},{0x1f9cc,0x1f9cc},{0x1fa54,0x1fa5f},{0x1fa6e,0x1fa6f},{0x1fa75,0x1fa77},
{0x1fa7b,0x1fa7f},{0x1fa87,0x1fa8f},{0x1faa9,0x1faaf},{0x1fab7,0x1fabf},{0x1fac3,0x1facf},{0x1fad7,0x1faff},
{0x1fb93,0x1fb93},{0x1fbcb,0x1fbef},{0x1fbfa,0x1ffff},{0x2a6de,0x2a6ff},{0x2b735,0x2b73f},{0x2b81e,0x2b81f},
{0x2cea2,0x2ceaf},{0x2ebe1,0x2f7ff},{0x2fa1e,0x2ffff},{0x3134b,0xe00ff},{0xe01f0,0x10ffff},
};

static int crioimg__rune_printable(unsigned long r)
{
    size_t lo = 0, hi;
    if (r < 0x10000) {
        hi = sizeof crioimg__print_bmp / sizeof crioimg__print_bmp[0];
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (r < crioimg__print_bmp[mid][0]) hi = mid;
            else if (r > crioimg__print_bmp[mid][1]) lo = mid + 1;
            else return 0;
        }
        return 1;
    }
    hi = sizeof crioimg__print_astral / sizeof crioimg__print_astral[0];
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (r < crioimg__print_astral[mid][0]) hi = mid;
        else if (r > crioimg__print_astral[mid][1]) lo = mid + 1;
        else return 0;
    }
    return 1;
}

static void crioimg__out_goquote(crioimg__out *o, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t i = 0;
    crioimg__out_put(o, "\"", 1);
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        const char *e = NULL;
        size_t l;
        switch (c) {
        case '\a': e = "\\a"; break;  case '\b': e = "\\b"; break;  case '\f': e = "\\f"; break;
        case '\n': e = "\\n"; break;  case '\r': e = "\\r"; break;  case '\t': e = "\\t"; break;
        case '\v': e = "\\v"; break;  case '"': e = "\\\""; break;  case '\\': e = "\\\\"; break;
        default: break;
        }
        if (e) { crioimg__out_str(o, e); i++; continue; }
        if (c >= 0x20 && c < 0x7f) { crioimg__out_put(o, s + i, 1); i++; continue; }
        l = c >= 0x80 ? crioimg__utf8_len((const unsigned char *)s + i, n - i) : 0;
        if (l == 0) {  /* a control byte, or a byte that is not UTF-8 */
            char x[4];
            x[0] = '\\'; x[1] = 'x'; x[2] = hex[c >> 4]; x[3] = hex[c & 15];
            crioimg__out_put(o, x, 4);
            i++;
            continue;
        }
        {
            unsigned long r = crioimg__utf8_decode((const unsigned char *)s + i, l);
            if (crioimg__rune_printable(r)) {
                crioimg__out_put(o, s + i, l);
            } else {
                char u[10];
                int k, digits = r < 0x10000 ? 4 : 8;
                u[0] = '\\'; u[1] = r < 0x10000 ? 'u' : 'U';
                for (k = 0; k < digits; k++) u[2 + k] = hex[(r >> (4 * (digits - 1 - k))) & 15];
                crioimg__out_put(o, u, (size_t)(2 + digits));
            }
            i += l;
        }
    }
    crioimg__out_put(o, "\"", 1);
}

/* The Go text of a reference error for input s; used by crioimg_ref_error_message and the transports. */
static void crioimg__ref_err_text(crioimg__out *o, crioimg_result r, const char *s, size_t n)
{
    if (r == CRIOIMG_ERR_REF_HEX_NAME) {
        crioimg__out_str(o, "invalid repository name (");
        crioimg__out_put(o, s, n);
        crioimg__out_str(o, "), cannot specify 64-byte hexadecimal strings");
    } else if (r == CRIOIMG_ERR_REF_NO_NAME) {
        crioimg__out_str(o, "reference ");
        crioimg__out_put(o, s, n);
        crioimg__out_str(o, " has no name");
    } else {
        crioimg__out_str(o, crioimg_result_str(r));
    }
}

size_t crioimg_ref_error_message(crioimg_result r, const char *s, size_t n, char *out, size_t cap)
{
    crioimg__out o;
    o.p = out; o.cap = cap; o.len = 0;
    if (cap) out[0] = '\0';
    if (s == NULL) s = "", n = 0;
    crioimg__ref_err_text(&o, r, s, n);
    return o.len;
}

/* ---- transport-qualified image names ---- */

static const struct { const char *name; crioimg_transport t; } crioimg__transports[] = {
    { "docker", CRIOIMG_TRANSPORT_DOCKER },
    { "containers-storage", CRIOIMG_TRANSPORT_CONTAINERS_STORAGE },
    { "oci", CRIOIMG_TRANSPORT_OCI },
    { "oci-archive", CRIOIMG_TRANSPORT_OCI_ARCHIVE },
    { "dir", CRIOIMG_TRANSPORT_DIR },
    { "docker-archive", CRIOIMG_TRANSPORT_DOCKER_ARCHIVE },
    { "docker-daemon", CRIOIMG_TRANSPORT_DOCKER_DAEMON }
};
/* Transports containers/image knows and crioimg does not: named as such rather than "unknown". */
static const char *const crioimg__transports_foreign[] = { "sif", "tarball", "ostree", "atomic" };

const char *crioimg_transport_name(crioimg_transport t)
{
    size_t i;
    for (i = 0; i < sizeof crioimg__transports / sizeof crioimg__transports[0]; i++)
        if (crioimg__transports[i].t == t) return crioimg__transports[i].name;
    return "";
}

/* OCI's ref.name grammar (containers/image oci/internal refRegexp): components of [A-Za-z0-9]+ joined by
   one of [-._:@+] or "--", components joined by '/'. */
CRIOIMG__LIB int crioimg__oci_refname_valid(const char *s, size_t n)
{
    size_t i = 0;
    for (;;) {
        if (i == n || !CRIOIMG__IS(s[i], CRIOIMG__C_ALNUM)) return 0;
        while (i < n && CRIOIMG__IS(s[i], CRIOIMG__C_ALNUM)) i++;
        if (i == n) return 1;
        if (s[i] == '-' && i + 1 < n && s[i + 1] == '-') i += 2;
        else if (memchr("-._:@+/", s[i], 7) != NULL) i++;  /* memchr: strchr would match a NUL */
        else return 0;
    }
}

static crioimg_span crioimg__span(const char *p, size_t n)
{
    crioimg_span sp;
    sp.ptr = p; sp.len = n;
    return sp;
}

/* An error for one image name: the text goes to o, the code is returned. */
static crioimg_result crioimg__iname_fail(crioimg__out *o, crioimg_result r, const char *a, const char *s, size_t n, const char *b)
{
    if (a) crioimg__out_str(o, a);
    if (s) crioimg__out_put(o, s, n);
    if (b) crioimg__out_str(o, b);
    return r;
}

static crioimg_result crioimg__iname_fail_q(crioimg__out *o, const char *a, const char *s, size_t n, const char *b)
{
    if (a) crioimg__out_str(o, a);
    crioimg__out_goquote(o, s, n);
    crioimg__out_str(o, b);
    return CRIOIMG_ERR_IMAGE_NAME_INVALID;
}

/* ParseNormalizedNamed for a transport; on failure the plain Go text, after an optional lead. */
static crioimg_result crioimg__iname_named(crioimg__out *o, crioimg_ref *ref, const char *s, size_t n, const char *lead, int quote)
{
    crioimg_result r = crioimg_ref_parse_normalized(ref, s, n);
    if (r == CRIOIMG_OK) return r;
    if (lead) crioimg__out_str(o, lead);
    if (quote) { crioimg__out_goquote(o, s, n); crioimg__out_str(o, ": "); }
    crioimg__ref_err_text(o, r, s, n);
    return r;
}

static crioimg_result crioimg__iname_docker(crioimg_image_name *out, crioimg__out *o, const char *s, size_t n)
{
    crioimg_result r;
    if (n < 2 || s[0] != '/' || s[1] != '/')
        return crioimg__iname_fail(o, CRIOIMG_ERR_IMAGE_NAME_INVALID, "docker: image reference ", s, n, " does not start with //");
    if ((r = crioimg__iname_named(o, &out->ref, s + 2, n - 2, NULL, 0)) != CRIOIMG_OK) return r;
    crioimg_ref_tag_name_only(&out->ref);
    if (out->ref.tag_len && out->ref.digest_len)
        return crioimg__iname_fail(o, CRIOIMG_ERR_IMAGE_NAME_INVALID, "Docker references with both a tag and digest are currently not supported", NULL, 0, NULL);
    out->has_ref = 1;
    return CRIOIMG_OK;
}

static int crioimg__is_abs(const char *s, size_t n) { return n > 0 && s[0] == '/'; }

/* containers-storage:[driver@graphroot+runroot:opt,opt]NAME[@ID] as storageTransport.ParseReference and
   ParseStoreReference read it. Only a store can expand an ID prefix: that is left to the caller
   (id_is_prefix), who reports "does not look like an image ID or digest" when the store has none. */
static crioimg_result crioimg__iname_storage(crioimg_image_name *out, crioimg__out *o, const char *s, size_t n)
{
    const char *ref = s, *at = NULL, *p;
    size_t rn = n;
    if (n > 0 && s[0] == '[') {
        const char *close = (const char *)memchr(s, ']', n), *spec = s + 1, *x;
        size_t sn;
        if (close == NULL) return crioimg__iname_fail(o, CRIOIMG_ERR_IMAGE_NAME_INVALID, "invalid reference", NULL, 0, NULL);
        sn = (size_t)(close - spec);
        ref = close + 1; rn = n - (size_t)(ref - s);
        if ((x = (const char *)memchr(spec, '@', sn)) != NULL) {
            out->driver = crioimg__span(spec, (size_t)(x - spec));
            sn -= (size_t)(x + 1 - spec); spec = x + 1;
            if (out->driver.len == 0 || sn == 0) return crioimg__iname_fail(o, CRIOIMG_ERR_IMAGE_NAME_INVALID, "invalid reference", NULL, 0, NULL);
        } else if (sn == 0) {
            return crioimg__iname_fail(o, CRIOIMG_ERR_IMAGE_NAME_INVALID, "invalid reference", NULL, 0, NULL);
        }
        if ((x = (const char *)memchr(spec, ':', sn)) != NULL) {
            out->options = crioimg__span(x + 1, sn - (size_t)(x + 1 - spec));
            sn = (size_t)(x - spec);
        }
        if ((x = (const char *)memchr(spec, '+', sn)) != NULL) {
            out->run_root = crioimg__span(x + 1, sn - (size_t)(x + 1 - spec));
            sn = (size_t)(x - spec);
        }
        out->graph_root = crioimg__span(spec, sn);
        if ((sn && !crioimg__is_abs(spec, sn)) || (out->run_root.len && !crioimg__is_abs(out->run_root.ptr, out->run_root.len)))
            return crioimg__iname_fail(o, CRIOIMG_ERR_IMAGE_NAME_INVALID, "path name is not absolute", NULL, 0, NULL);
    }
    /* ParseStoreReference */
    if (rn == 0) return crioimg__iname_fail_q(o, NULL, ref, rn, " is an empty reference: invalid reference");
    if (ref[0] == '[') {
        const char *close = (const char *)memchr(ref, ']', rn);
        if (close == NULL) return crioimg__iname_fail_q(o, "store specifier in ", ref, rn, " did not end: invalid reference");
        rn -= (size_t)(close + 1 - ref); ref = close + 1;
    }
    for (p = ref + rn; p > ref; p--) if (p[-1] == '@') { at = p - 1; break; }
    if (at) {
        const char *id = at + 1;
        size_t idn = rn - (size_t)(id - ref);
        if (idn == 0) return crioimg__iname_fail_q(o, "empty trailing digest or ID in ", ref, rn, ": invalid reference");
        if (crioimg_digest_validate(id, idn) != CRIOIMG_OK) {
            if (crioimg_id_is_full(id, idn)) out->id = crioimg__span(id, idn);
            else if (crioimg_id_is_prefix(id, idn, 3)) { out->id = crioimg__span(id, idn); out->id_is_prefix = 1; }
            else return crioimg__iname_fail_q(o, NULL, id, idn, " does not look like an image ID or digest: invalid reference");
            rn = (size_t)(at - ref);
        }
    }
    /* a bare hex string of 3+ characters may be an ID prefix: the caller tries the store first */
    if (out->id.len == 0 && rn >= 3 && !memchr(ref, '@', rn) && !memchr(ref, ':', rn) && crioimg_id_is_prefix(ref, rn, 3)) {
        out->id = crioimg__span(ref, rn);
        out->id_is_prefix = 1;
    }
    if (rn > 0) {
        crioimg_result r = crioimg__iname_named(o, &out->ref, ref, rn, "parsing named reference ", 1);
        if (r != CRIOIMG_OK) {
            /* a full-length ID alone is not a name, and is not an error either */
            if (!(crioimg_id_is_full(ref, rn) && out->id.ptr == ref)) return r;
            o->len = 0; if (o->cap) o->p[0] = '\0';
        } else {
            crioimg_ref_tag_name_only(&out->ref);
            out->has_ref = 1;
        }
    }
    if (!out->has_ref && out->id.len == 0) return crioimg__iname_fail(o, CRIOIMG_ERR_IMAGE_NAME_INVALID, "invalid reference", NULL, 0, NULL);
    return CRIOIMG_OK;
}

/* oci: and oci-archive: PATH[:IMAGE], the image checked against OCI's ref.name grammar */
static crioimg_result crioimg__iname_oci(crioimg_image_name *out, crioimg__out *o, const char *s, size_t n)
{
    const char *colon = (const char *)memchr(s, ':', n);
    out->path = crioimg__span(s, colon ? (size_t)(colon - s) : n);
    if (colon) out->oci_ref = crioimg__span(colon + 1, n - out->path.len - 1);
    if (out->oci_ref.len && !crioimg__oci_refname_valid(out->oci_ref.ptr, out->oci_ref.len))
        return crioimg__iname_fail(o, CRIOIMG_ERR_IMAGE_NAME_INVALID, "Invalid image ", out->oci_ref.ptr, out->oci_ref.len, NULL);
    return CRIOIMG_OK;
}

/* docker-archive's ":@N", with strconv.Atoi's checks and error texts: the magnitude is read as a
   uint64, stopping at the first non-digit ("invalid syntax") or the first uint64 overflow ("value out of
   range"); then it must fit an int64 (-2^63 allowed). */
static crioimg_result crioimg__iname_index(crioimg_image_name *out, crioimg__out *o, const char *s, size_t n)
{
    const unsigned long long max64 = 0xffffffffffffffffULL, int_max = 0x7fffffffffffffffULL;
    size_t i = (n > 0 && (s[0] == '+' || s[0] == '-')) ? 1 : 0;
    int neg = n > 0 && s[0] == '-';
    unsigned long long v = 0;
    const char *why = i == n ? "invalid syntax" : NULL;
    for (; i < n && !why; i++) {
        unsigned d = (unsigned)(unsigned char)s[i] - '0';
        if (d > 9) why = "invalid syntax";
        else if (v > (max64 - d) / 10) why = "value out of range";
        else v = v * 10 + d;
    }
    if (!why && (neg ? v > int_max + 1 : v > int_max)) why = "value out of range";
    if (why) {
        crioimg__out_str(o, "Invalid source index @");
        crioimg__out_put(o, s, n);
        crioimg__out_str(o, ": strconv.Atoi: parsing ");
        crioimg__out_goquote(o, s, n);
        crioimg__out_str(o, ": ");
        crioimg__out_str(o, why);
        return CRIOIMG_ERR_IMAGE_NAME_INVALID;
    }
    if (neg && v != 0) {
        crioimg__out_str(o, "Invalid source index @-");
        crioimg__out_uint(o, v);
        crioimg__out_str(o, ": must not be negative");
        return CRIOIMG_ERR_IMAGE_NAME_INVALID;
    }
    out->archive_index = (long long)v;
    return CRIOIMG_OK;
}

static crioimg_result crioimg__iname_docker_archive(crioimg_image_name *out, crioimg__out *o, const char *s, size_t n)
{
    const char *colon = (const char *)memchr(s, ':', n);
    char buf[CRIOIMG_REF_STRING_MAX + 1];
    crioimg_result r;
    if (n == 0) return crioimg__iname_fail(o, CRIOIMG_ERR_IMAGE_NAME_INVALID, "docker-archive reference  isn't of the form <path>[:<reference>]", NULL, 0, NULL);
    out->path = crioimg__span(s, colon ? (size_t)(colon - s) : n);
    if (!colon) return CRIOIMG_OK;
    s = colon + 1; n -= out->path.len + 1;
    if (n > 0 && s[0] == '@') return crioimg__iname_index(out, o, s + 1, n - 1);
    if ((r = crioimg__iname_named(o, &out->ref, s, n, "docker-archive parsing reference: ", 0)) != CRIOIMG_OK) return r;
    crioimg_ref_tag_name_only(&out->ref);
    crioimg_ref_string(&out->ref, buf, sizeof buf);
    if (out->ref.tag_len == 0)
        return crioimg__iname_fail(o, CRIOIMG_ERR_IMAGE_NAME_INVALID, "reference does not include a tag: ", buf, strlen(buf), NULL);
    if (out->ref.digest_len)
        return crioimg__iname_fail(o, CRIOIMG_ERR_IMAGE_NAME_INVALID, "docker-archive doesn't support digest references: ", buf, strlen(buf), NULL);
    out->has_ref = 1;
    return CRIOIMG_OK;
}

static crioimg_result crioimg__iname_daemon(crioimg_image_name *out, crioimg__out *o, const char *s, size_t n)
{
    char buf[CRIOIMG_REF_STRING_MAX + 1];
    const char *fn;
    size_t fl;
    crioimg_result r;
    if (crioimg_digest_validate(s, n) == CRIOIMG_OK) {
        if (memcmp(s, "sha256:", 7) != 0)
            return crioimg__iname_fail(o, CRIOIMG_ERR_IMAGE_NAME_INVALID, "Invalid docker-daemon: reference ", s, n, ": only digest algorithm sha256 accepted");
        out->id = crioimg__span(s + 7, n - 7);
        return CRIOIMG_OK;
    }
    if ((r = crioimg__iname_named(o, &out->ref, s, n, NULL, 0)) != CRIOIMG_OK) return r;
    fn = crioimg_ref_familiar_name(&out->ref, &fl);
    if (crioimg__ref_is(fn, fl, "sha256"))
        return crioimg__iname_fail(o, CRIOIMG_ERR_IMAGE_NAME_INVALID, "Invalid docker-daemon: reference ", s, n,
                                   ": The sha256 repository name is reserved for (non-shortened) digest references");
    crioimg_ref_familiar_string(&out->ref, buf, sizeof buf);
    if (!out->ref.tag_len && !out->ref.digest_len)
        return crioimg__iname_fail(o, CRIOIMG_ERR_IMAGE_NAME_INVALID, "docker-daemon: reference ", buf, strlen(buf), " has neither a tag nor a digest");
    if (out->ref.tag_len && out->ref.digest_len)
        return crioimg__iname_fail(o, CRIOIMG_ERR_IMAGE_NAME_INVALID, "docker-daemon: references with both a tag and digest are currently not supported", NULL, 0, NULL);
    out->has_ref = 1;
    return CRIOIMG_OK;
}

/* the parse proper; the error text goes to *op */
static crioimg_result crioimg__image_name_parse(crioimg_image_name *out, const char *s, size_t n, crioimg__out *op)
{
    crioimg__out o = *op;
    const char *colon, *rest;
    size_t tn, rn, i;
    crioimg_result r = CRIOIMG_ERR_IMAGE_NAME_TRANSPORT;
    memset(out, 0, sizeof *out);
    out->archive_index = -1;
    if (s == NULL) s = "";
    colon = (const char *)memchr(s, ':', n);
    if (colon == NULL) {
        crioimg__iname_fail(&o, CRIOIMG_OK, "Invalid image name \"", s, n, "\", expected colon-separated transport:reference");
        *op = o;
        return CRIOIMG_ERR_IMAGE_NAME_NO_COLON;
    }
    tn = (size_t)(colon - s); rest = colon + 1; rn = n - tn - 1;
    for (i = 0; i < sizeof crioimg__transports / sizeof crioimg__transports[0]; i++)
        if (crioimg__ref_is(s, tn, crioimg__transports[i].name)) out->transport = crioimg__transports[i].t;
    switch (out->transport) {
    case CRIOIMG_TRANSPORT_DOCKER: r = crioimg__iname_docker(out, &o, rest, rn); break;
    case CRIOIMG_TRANSPORT_CONTAINERS_STORAGE: r = crioimg__iname_storage(out, &o, rest, rn); break;
    case CRIOIMG_TRANSPORT_OCI: case CRIOIMG_TRANSPORT_OCI_ARCHIVE: r = crioimg__iname_oci(out, &o, rest, rn); break;
    case CRIOIMG_TRANSPORT_DIR: out->path = crioimg__span(rest, rn); r = CRIOIMG_OK; break;
    case CRIOIMG_TRANSPORT_DOCKER_ARCHIVE: r = crioimg__iname_docker_archive(out, &o, rest, rn); break;
    case CRIOIMG_TRANSPORT_DOCKER_DAEMON: r = crioimg__iname_daemon(out, &o, rest, rn); break;
    case CRIOIMG_TRANSPORT_NONE:
        for (i = 0; i < sizeof crioimg__transports_foreign / sizeof crioimg__transports_foreign[0]; i++)
            if (crioimg__ref_is(s, tn, crioimg__transports_foreign[i])) {
                crioimg__iname_fail(&o, CRIOIMG_OK, "Invalid image name \"", s, n, "\", transport \"");
                crioimg__iname_fail(&o, CRIOIMG_OK, NULL, s, tn, "\" is not supported by crioimg");
                *op = o;
                return CRIOIMG_ERR_UNSUPPORTED;
            }
        crioimg__iname_fail(&o, CRIOIMG_OK, "Invalid image name \"", s, n, "\", unknown transport \"");
        crioimg__iname_fail(&o, CRIOIMG_OK, NULL, s, tn, "\"");
        break;
    }
    if (r != CRIOIMG_OK) {
        crioimg_transport t = out->transport;
        memset(out, 0, sizeof *out);
        out->transport = t;
        out->archive_index = -1;
    }
    *op = o;
    return r;
}

crioimg_result crioimg_image_name_parse(crioimg_image_name *out, const char *s, size_t n, char *err, size_t errcap, size_t *errlen)
{
    crioimg__out o;
    crioimg_result r;
    o.p = err; o.cap = err ? errcap : 0; o.len = 0;
    if (o.cap) err[0] = '\0';
    if (errlen) *errlen = 0;
    if (out == NULL || (s == NULL && n)) return CRIOIMG_ERR_INVALID_ARGS;
    r = crioimg__image_name_parse(out, s, n, &o);
    if (errlen) *errlen = o.len;
    return r;
}

/* ==== src/digest.c ==== */
/* ---------------------------------------------------------------------------------------------------
   digest implementation

   The parser is one pass over the grammar (ref.c's character classes), then the known algorithm's
   length and lowercase-hex rules; the same function finds the reason for crioimg_digest_error_message,
   so the code and the message cannot disagree.

   SHA-256's paths share the buffering and padding below; each supplies only "compress these n blocks",
   which keeps its state in registers across a whole update. mbedtls (optional) is the exception: it does
   its own buffering, in the context's union. The hardware paths are compiled with a target attribute,
   so the rest of the library needs no -m or -march flags, and run only when the CPU says it has them.
   --------------------------------------------------------------------------------------------------- */

/* x86-64 SHA extensions: gcc >= 5 and clang know the intrinsics and the target attribute. */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(CRIOIMG_NO_SIMD) && \
    (defined(__clang__) || __GNUC__ >= 5)
#  include <immintrin.h>
#  include <cpuid.h>
#  define CRIOIMG__SHA256_SHANI 1
#endif

/* ARMv8 crypto extensions. gcc's arm_neon.h offers the SHA-256 intrinsics to any function compiled for
   "+crypto" (gcc >= 8); clang's only with the feature on the command line, before clang 16. */
#if defined(__aarch64__) && !defined(__AARCH64EB__) && !defined(CRIOIMG_NO_SIMD) && (defined(__GNUC__) || defined(__clang__))
#  if defined(__ARM_FEATURE_SHA2) || defined(__ARM_FEATURE_CRYPTO)
#    define CRIOIMG__ARMV8_TARGET
#    define CRIOIMG__SHA256_ARMV8 1
#  elif defined(__clang__) && __clang_major__ >= 16
#    define CRIOIMG__ARMV8_TARGET __attribute__((target("sha2")))
#    define CRIOIMG__SHA256_ARMV8 1
#  elif !defined(__clang__) && __GNUC__ >= 8
#    define CRIOIMG__ARMV8_TARGET __attribute__((target("+crypto")))
#    define CRIOIMG__SHA256_ARMV8 1
#  endif
#  ifdef CRIOIMG__SHA256_ARMV8
#    include <arm_neon.h>
#    if defined(__linux__)
#      include <sys/auxv.h>
#      ifndef HWCAP_SHA2
#        define HWCAP_SHA2 (1 << 6)
#      endif
#    endif
#  endif
#endif

#ifdef CRIOIMG_WITH_MBEDTLS
#  include <mbedtls/version.h>
#  include <mbedtls/sha256.h>
#  define CRIOIMG__SHA256_MBEDTLS 1
/* mbedtls's context lives in crioimg_sha256_ctx's union, so that the struct's layout does not depend on the
   build; an mbedtls whose context is bigger (an _ALT implementation) stops the build here. */
typedef char crioimg__static_assert_mbedtls_sha256_fits[
    sizeof(mbedtls_sha256_context) <= sizeof(((crioimg_sha256_ctx *)0)->u.ext) ? 1 : -1];
#  if MBEDTLS_VERSION_NUMBER >= 0x03000000
#    define crioimg__mbedtls_sha256_starts(c) mbedtls_sha256_starts(c, 0)
#    define crioimg__mbedtls_sha256_update(c, p, n) mbedtls_sha256_update(c, p, n)
#    define crioimg__mbedtls_sha256_finish(c, o) mbedtls_sha256_finish(c, o)
#  else
#    define crioimg__mbedtls_sha256_starts(c) mbedtls_sha256_starts_ret(c, 0)
#    define crioimg__mbedtls_sha256_update(c, p, n) mbedtls_sha256_update_ret(c, p, n)
#    define crioimg__mbedtls_sha256_finish(c, o) mbedtls_sha256_finish_ret(c, o)
#  endif
#endif

/* ---- the digest grammar ---- */

static const struct { const char *name; crioimg_digest_alg alg; size_t size; } crioimg__digest_algs[] = {
    { "sha256", CRIOIMG_DIGEST_SHA256, 32 },
    { "sha384", CRIOIMG_DIGEST_SHA384, 48 },
    { "sha512", CRIOIMG_DIGEST_SHA512, 64 }
};

crioimg_digest_alg crioimg_digest_alg_from_name(const char *s, size_t n)
{
    size_t i;
    if (s == NULL) return CRIOIMG_DIGEST_UNKNOWN;
    for (i = 0; i < sizeof crioimg__digest_algs / sizeof crioimg__digest_algs[0]; i++)
        if (n == 6 && memcmp(s, crioimg__digest_algs[i].name, 6) == 0) return crioimg__digest_algs[i].alg;
    return CRIOIMG_DIGEST_UNKNOWN;
}

const char *crioimg_digest_alg_name(crioimg_digest_alg a)
{
    size_t i;
    for (i = 0; i < sizeof crioimg__digest_algs / sizeof crioimg__digest_algs[0]; i++)
        if (crioimg__digest_algs[i].alg == a) return crioimg__digest_algs[i].name;
    return "";
}

size_t crioimg_digest_alg_size(crioimg_digest_alg a)
{
    size_t i;
    for (i = 0; i < sizeof crioimg__digest_algs / sizeof crioimg__digest_algs[0]; i++)
        if (crioimg__digest_algs[i].alg == a) return crioimg__digest_algs[i].size;
    return 0;
}

/* "'x' at offset 7"; a byte that cannot be shown plainly (a space, a quote, a control or non-ASCII byte)
   as "byte 0x0a at offset 7" */
static void crioimg__digest_why_byte(crioimg__out *o, char c, size_t at)
{
    unsigned char u = (unsigned char)c;
    if (u > 0x20 && u < 0x7f && u != '\'' && u != '"' && u != '\\') {
        char q[3];
        q[0] = '\''; q[1] = c; q[2] = '\'';
        crioimg__out_put(o, q, 3);
    } else {
        static const char hex[] = "0123456789abcdef";
        char b[4];
        b[0] = '0'; b[1] = 'x'; b[2] = hex[u >> 4]; b[3] = hex[u & 15];
        crioimg__out_str(o, "byte ");
        crioimg__out_put(o, b, 4);
    }
    crioimg__out_str(o, " at offset ");
    crioimg__out_uint(o, at);
}

/* Fails with r, writing the reason (msg, and the byte at s[at] when at is not (size_t)-1) to why. */
static crioimg_result crioimg__digest_fail(crioimg__out *why, crioimg_result r, const char *s, size_t at, const char *msg)
{
    if (why == NULL) return r;
    if (at != (size_t)-1) {
        crioimg__digest_why_byte(why, s[at], at);
        crioimg__out_str(why, " ");
    }
    crioimg__out_str(why, msg);
    return r;
}

#define CRIOIMG__DIGEST_SEP(c) ((c) == '+' || (c) == '.' || (c) == '_' || (c) == '-')

/* algorithm := [a-z0-9]+ ([+._-] [a-z0-9]+)*, over s[0, n), n > 0 */
static crioimg_result crioimg__digest_check_alg(const char *s, size_t n, crioimg__out *why)
{
    size_t i;
    for (i = 0; i < n; i++) {
        char c = s[i];
        if (CRIOIMG__IS(c, CRIOIMG__C_LALNUM)) continue;
        if (CRIOIMG__DIGEST_SEP(c)) {
            if (i == 0 || i + 1 == n || CRIOIMG__DIGEST_SEP(s[i - 1]))
                return crioimg__digest_fail(why, CRIOIMG_ERR_DIGEST_FORMAT, s, i,
                                            "is a separator that does not stand between two algorithm components");
            continue;
        }
        return crioimg__digest_fail(why, CRIOIMG_ERR_DIGEST_FORMAT, s, i, CRIOIMG__IS(c, CRIOIMG__C_UPPER) ?
                                    "is uppercase: algorithms are lowercase" :
                                    "is not allowed in the algorithm ([a-z0-9] components joined by one of +._-)");
    }
    return CRIOIMG_OK;
}

/* encoded := [a-zA-Z0-9=_-]+, then a known algorithm's length and lowercase hex */
static crioimg_result crioimg__digest_check_encoded(const char *s, size_t start, size_t n, crioimg_digest_alg alg,
                                                    crioimg__out *why)
{
    size_t i, want;
    for (i = start; i < n; i++)
        if (!CRIOIMG__IS(s[i], CRIOIMG__C_ALNUM) && s[i] != '=' && s[i] != '_' && s[i] != '-')
            return crioimg__digest_fail(why, CRIOIMG_ERR_DIGEST_FORMAT, s, i,
                                        "is not allowed in the encoded part (only [a-zA-Z0-9=_-])");
    if (alg == CRIOIMG_DIGEST_UNKNOWN) return CRIOIMG_OK;
    want = 2 * crioimg_digest_alg_size(alg);
    if (n - start != want) {
        if (why) {
            crioimg__out_str(why, crioimg_digest_alg_name(alg));
            crioimg__out_str(why, " needs ");
            crioimg__out_uint(why, want);
            crioimg__out_str(why, " hex digits, not ");
            crioimg__out_uint(why, n - start);
        }
        return CRIOIMG_ERR_DIGEST_LENGTH;
    }
    for (i = start; i < n; i++)
        if (!CRIOIMG__IS(s[i], CRIOIMG__C_LHEX))
            return crioimg__digest_fail(why, CRIOIMG_ERR_DIGEST_FORMAT, s, i, CRIOIMG__IS(s[i], CRIOIMG__C_XDIGIT) ?
                                        "is uppercase: the hex must be lowercase" : "is not a hex digit");
    return CRIOIMG_OK;
}

/* The whole check; why (may be NULL) gets the reason of a failure. */
static crioimg_result crioimg__digest_check(crioimg_digest *d, const char *s, size_t n, crioimg__out *why)
{
    const char *colon;
    size_t alen;
    crioimg_result r;
    if (n == 0) return crioimg__digest_fail(why, CRIOIMG_ERR_DIGEST_FORMAT, s, (size_t)-1, "the digest is empty");
    if (n == 71 && memcmp(s, "sha256:", 7) == 0 && crioimg__ref_lhex(s + 7, 64)) {  /* the usual one */
        alen = 6;
        d->alg = CRIOIMG_DIGEST_SHA256;
    } else {
        colon = (const char *)memchr(s, ':', n);
        if (colon == NULL)
            return crioimg__digest_fail(why, CRIOIMG_ERR_DIGEST_FORMAT, s, (size_t)-1, "no ':' between algorithm and encoded part");
        alen = (size_t)(colon - s);
        if (alen == 0) return crioimg__digest_fail(why, CRIOIMG_ERR_DIGEST_FORMAT, s, (size_t)-1, "the algorithm is empty");
        if (alen + 1 == n) return crioimg__digest_fail(why, CRIOIMG_ERR_DIGEST_FORMAT, s, (size_t)-1, "the encoded part is empty");
        if ((r = crioimg__digest_check_alg(s, alen, why)) != CRIOIMG_OK) return r;
        d->alg = crioimg_digest_alg_from_name(s, alen);
        if ((r = crioimg__digest_check_encoded(s, alen + 1, n, d->alg, why)) != CRIOIMG_OK) return r;
    }
    d->algorithm.ptr = s;
    d->algorithm.len = alen;
    d->encoded.ptr = s + alen + 1;
    d->encoded.len = n - alen - 1;
    return CRIOIMG_OK;
}

crioimg_result crioimg_digest_parse(crioimg_digest *out, const char *s, size_t n)
{
    crioimg_result r;
    if (out == NULL || (s == NULL && n)) return CRIOIMG_ERR_INVALID_ARGS;
    memset(out, 0, sizeof *out);
    r = crioimg__digest_check(out, s, n, NULL);
    if (r != CRIOIMG_OK) memset(out, 0, sizeof *out);
    return r;
}

size_t crioimg_digest_error_message(crioimg_result r, const char *s, size_t n, char *out, size_t cap)
{
    crioimg__out o;
    crioimg_digest d;
    char q[6 * 100 + 3];
    size_t shown = n > 100 ? 100 : n;
    o.p = out; o.cap = cap; o.len = 0;
    if (cap) out[0] = '\0';
    if (s == NULL) s = "", n = 0, shown = 0;
    crioimg__out_str(&o, crioimg_result_str(r));
    crioimg__out_str(&o, ": ");
    crioimg_json_quote(q, sizeof q, s, shown);
    if (n > shown) {  /* keep the closing quote after the ellipsis */
        size_t ql = strlen(q) - 1;
        crioimg__out_put(&o, q, ql);
        crioimg__out_str(&o, "...\"");
    } else {
        crioimg__out_str(&o, q);
    }
    if (r == CRIOIMG_ERR_DIGEST_FORMAT || r == CRIOIMG_ERR_DIGEST_LENGTH) {
        crioimg__out why;
        char w[160];
        why.p = w; why.cap = sizeof w; why.len = 0; w[0] = '\0';
        memset(&d, 0, sizeof d);
        if (crioimg__digest_check(&d, s, n, &why) == r) {
            crioimg__out_str(&o, ": ");
            crioimg__out_str(&o, w);
        }
    } else if (r == CRIOIMG_ERR_DIGEST_UNSUPPORTED) {
        crioimg__out_str(&o, ": crioimg verifies sha256, sha384 and sha512");
    }
    return o.len;
}

/* ---- SHA-256, portable ---- */

static const uint32_t crioimg__sha256_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
};

static const uint32_t crioimg__sha256_iv[8] = {
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19
};

static uint32_t crioimg__be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static void crioimg__put_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24); p[1] = (unsigned char)(v >> 16); p[2] = (unsigned char)(v >> 8); p[3] = (unsigned char)v;
}

#define CRIOIMG__ROR32(x, k) (((x) >> (k)) | ((x) << (32 - (k))))
/* One round, FIPS 180-4 6.2.2 step 3, with the eight working variables renamed instead of moved. */
#define CRIOIMG__SHA256_ROUND(a, b, c, d, e, f, g, h, i) do { \
        uint32_t t1_ = h + (CRIOIMG__ROR32(e, 6) ^ CRIOIMG__ROR32(e, 11) ^ CRIOIMG__ROR32(e, 25)) + \
                       (g ^ (e & (f ^ g))) + crioimg__sha256_k[i] + w[i]; \
        d += t1_; \
        h = t1_ + (CRIOIMG__ROR32(a, 2) ^ CRIOIMG__ROR32(a, 13) ^ CRIOIMG__ROR32(a, 22)) + ((a & b) | (c & (a | b))); \
    } while (0)

static void crioimg__sha256_blocks_portable(uint32_t st[8], const unsigned char *p, size_t nblocks)
{
    uint32_t w[64], a, b, c, d, e, f, g, h;
    size_t i;
    for (; nblocks > 0; nblocks--, p += 64) {
        for (i = 0; i < 16; i++) w[i] = crioimg__be32(p + 4 * i);
        for (i = 16; i < 64; i++) {
            uint32_t x = w[i - 15], y = w[i - 2];
            w[i] = w[i - 16] + w[i - 7] + (CRIOIMG__ROR32(x, 7) ^ CRIOIMG__ROR32(x, 18) ^ (x >> 3)) +
                   (CRIOIMG__ROR32(y, 17) ^ CRIOIMG__ROR32(y, 19) ^ (y >> 10));
        }
        a = st[0]; b = st[1]; c = st[2]; d = st[3]; e = st[4]; f = st[5]; g = st[6]; h = st[7];
        for (i = 0; i < 64; i += 8) {
            CRIOIMG__SHA256_ROUND(a, b, c, d, e, f, g, h, i);
            CRIOIMG__SHA256_ROUND(h, a, b, c, d, e, f, g, i + 1);
            CRIOIMG__SHA256_ROUND(g, h, a, b, c, d, e, f, i + 2);
            CRIOIMG__SHA256_ROUND(f, g, h, a, b, c, d, e, i + 3);
            CRIOIMG__SHA256_ROUND(e, f, g, h, a, b, c, d, i + 4);
            CRIOIMG__SHA256_ROUND(d, e, f, g, h, a, b, c, i + 5);
            CRIOIMG__SHA256_ROUND(c, d, e, f, g, h, a, b, i + 6);
            CRIOIMG__SHA256_ROUND(b, c, d, e, f, g, h, a, i + 7);
        }
        st[0] += a; st[1] += b; st[2] += c; st[3] += d; st[4] += e; st[5] += f; st[6] += g; st[7] += h;
    }
}
#undef CRIOIMG__SHA256_ROUND

/* ---- SHA-256, x86-64 SHA-NI ----
   The SHA instructions keep the state as ABEF/CDGH and do two rounds per sha256rnds2; msg1/msg2 extend
   the schedule four words at a time. w[] holds the last four message vectors, W[4g .. 4g+3] in w[g % 4]. */
#ifdef CRIOIMG__SHA256_SHANI
#define CRIOIMG__SHANI_RNDS(g) do { \
        __m128i m_ = _mm_add_epi32(w[(g) & 3], _mm_loadu_si128((const __m128i *)(const void *)(crioimg__sha256_k + 4 * (g)))); \
        s1 = _mm_sha256rnds2_epu32(s1, s0, m_); \
        s0 = _mm_sha256rnds2_epu32(s0, s1, _mm_shuffle_epi32(m_, 0x0e)); \
    } while (0)
/* completes W[4g+4 ..] (whose msg1 part is in w[(g+1) % 4]) from W[4g-3 .. 4g+3] */
#define CRIOIMG__SHANI_MSG2(g) \
    w[((g) + 1) & 3] = _mm_sha256msg2_epu32(_mm_add_epi32(w[((g) + 1) & 3], _mm_alignr_epi8(w[(g) & 3], w[((g) + 3) & 3], 4)), w[(g) & 3])
/* starts W[4g+12 ..] in the slot of W[4g-4 ..], which is no longer needed */
#define CRIOIMG__SHANI_MSG1(g) w[((g) + 3) & 3] = _mm_sha256msg1_epu32(w[((g) + 3) & 3], w[(g) & 3])
#define CRIOIMG__SHANI_LOAD(g) \
    w[g] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p + 16 * (g))), bswap)

__attribute__((target("sha,sse4.1")))
static void crioimg__sha256_blocks_shani(uint32_t st[8], const unsigned char *p, size_t nblocks)
{
    const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);  /* big-endian words */
    __m128i s0, s1, t, abef, cdgh, w[4];
    t = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)(const void *)st), 0xb1);         /* CDAB */
    s1 = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)(const void *)(st + 4)), 0x1b);  /* EFGH */
    s0 = _mm_alignr_epi8(t, s1, 8);        /* ABEF */
    s1 = _mm_blend_epi16(s1, t, 0xf0);     /* CDGH */
    for (; nblocks > 0; nblocks--, p += 64) {
        abef = s0; cdgh = s1;
        CRIOIMG__SHANI_LOAD(0); CRIOIMG__SHANI_RNDS(0);
        CRIOIMG__SHANI_LOAD(1); CRIOIMG__SHANI_RNDS(1); w[0] = _mm_sha256msg1_epu32(w[0], w[1]);
        CRIOIMG__SHANI_LOAD(2); CRIOIMG__SHANI_RNDS(2); w[1] = _mm_sha256msg1_epu32(w[1], w[2]);
        CRIOIMG__SHANI_LOAD(3); CRIOIMG__SHANI_RNDS(3); CRIOIMG__SHANI_MSG2(3); CRIOIMG__SHANI_MSG1(3);
        CRIOIMG__SHANI_RNDS(4);  CRIOIMG__SHANI_MSG2(4);  CRIOIMG__SHANI_MSG1(4);
        CRIOIMG__SHANI_RNDS(5);  CRIOIMG__SHANI_MSG2(5);  CRIOIMG__SHANI_MSG1(5);
        CRIOIMG__SHANI_RNDS(6);  CRIOIMG__SHANI_MSG2(6);  CRIOIMG__SHANI_MSG1(6);
        CRIOIMG__SHANI_RNDS(7);  CRIOIMG__SHANI_MSG2(7);  CRIOIMG__SHANI_MSG1(7);
        CRIOIMG__SHANI_RNDS(8);  CRIOIMG__SHANI_MSG2(8);  CRIOIMG__SHANI_MSG1(8);
        CRIOIMG__SHANI_RNDS(9);  CRIOIMG__SHANI_MSG2(9);  CRIOIMG__SHANI_MSG1(9);
        CRIOIMG__SHANI_RNDS(10); CRIOIMG__SHANI_MSG2(10); CRIOIMG__SHANI_MSG1(10);
        CRIOIMG__SHANI_RNDS(11); CRIOIMG__SHANI_MSG2(11); CRIOIMG__SHANI_MSG1(11);
        CRIOIMG__SHANI_RNDS(12); CRIOIMG__SHANI_MSG2(12); CRIOIMG__SHANI_MSG1(12);
        CRIOIMG__SHANI_RNDS(13); CRIOIMG__SHANI_MSG2(13);
        CRIOIMG__SHANI_RNDS(14); CRIOIMG__SHANI_MSG2(14);
        CRIOIMG__SHANI_RNDS(15);
        s0 = _mm_add_epi32(s0, abef);
        s1 = _mm_add_epi32(s1, cdgh);
    }
    t = _mm_shuffle_epi32(s0, 0x1b);       /* FEBA */
    s1 = _mm_shuffle_epi32(s1, 0xb1);      /* DCHG */
    s0 = _mm_blend_epi16(t, s1, 0xf0);     /* DCBA */
    s1 = _mm_alignr_epi8(s1, t, 8);        /* HGFE */
    _mm_storeu_si128((__m128i *)(void *)st, s0);
    _mm_storeu_si128((__m128i *)(void *)(st + 4), s1);
}
#undef CRIOIMG__SHANI_RNDS
#undef CRIOIMG__SHANI_MSG2
#undef CRIOIMG__SHANI_MSG1
#undef CRIOIMG__SHANI_LOAD

/* SHA (CPUID.7.0:EBX[29]), and the SSSE3 and SSE4.1 shuffles and blends the code around it uses. Three
   CPUID instructions: in a virtual machine each one traps to the hypervisor (microseconds), which is why
   crioimg_sha256_reset exists. */
static int crioimg__sha256_shani_present(void)
{
    unsigned a, b, c, d;
    if (__get_cpuid_max(0, NULL) < 7) return 0;
    __cpuid_count(7, 0, a, b, c, d);
    if (!(b & (1u << 29))) return 0;
    __cpuid(1, a, b, c, d);
    return (c & (1u << 9)) && (c & (1u << 19));
}
#endif

/* ---- SHA-256, ARMv8 crypto extensions ----
   sha256h/sha256h2 do four rounds on ABCD/EFGH; su0/su1 extend the schedule. w[g % 4] holds W[4g ..]. */
#ifdef CRIOIMG__SHA256_ARMV8
#define CRIOIMG__ARMV8_RNDS(g) do { \
        uint32x4_t wk_ = vaddq_u32(w[(g) & 3], vld1q_u32(crioimg__sha256_k + 4 * (g))), abcd_ = s0; \
        if ((g) < 12) w[(g) & 3] = vsha256su1q_u32(vsha256su0q_u32(w[(g) & 3], w[((g) + 1) & 3]), w[((g) + 2) & 3], w[((g) + 3) & 3]); \
        s0 = vsha256hq_u32(s0, s1, wk_); \
        s1 = vsha256h2q_u32(s1, abcd_, wk_); \
    } while (0)

CRIOIMG__ARMV8_TARGET
static void crioimg__sha256_blocks_armv8(uint32_t st[8], const unsigned char *p, size_t nblocks)
{
    uint32x4_t s0 = vld1q_u32(st), s1 = vld1q_u32(st + 4), abcd, efgh, w[4];
    for (; nblocks > 0; nblocks--, p += 64) {
        abcd = s0; efgh = s1;
        w[0] = vreinterpretq_u32_u8(vrev32q_u8(vld1q_u8(p)));
        w[1] = vreinterpretq_u32_u8(vrev32q_u8(vld1q_u8(p + 16)));
        w[2] = vreinterpretq_u32_u8(vrev32q_u8(vld1q_u8(p + 32)));
        w[3] = vreinterpretq_u32_u8(vrev32q_u8(vld1q_u8(p + 48)));
        CRIOIMG__ARMV8_RNDS(0);  CRIOIMG__ARMV8_RNDS(1);  CRIOIMG__ARMV8_RNDS(2);  CRIOIMG__ARMV8_RNDS(3);
        CRIOIMG__ARMV8_RNDS(4);  CRIOIMG__ARMV8_RNDS(5);  CRIOIMG__ARMV8_RNDS(6);  CRIOIMG__ARMV8_RNDS(7);
        CRIOIMG__ARMV8_RNDS(8);  CRIOIMG__ARMV8_RNDS(9);  CRIOIMG__ARMV8_RNDS(10); CRIOIMG__ARMV8_RNDS(11);
        CRIOIMG__ARMV8_RNDS(12); CRIOIMG__ARMV8_RNDS(13); CRIOIMG__ARMV8_RNDS(14); CRIOIMG__ARMV8_RNDS(15);
        s0 = vaddq_u32(s0, abcd);
        s1 = vaddq_u32(s1, efgh);
    }
    vst1q_u32(st, s0);
    vst1q_u32(st + 4, s1);
}
#undef CRIOIMG__ARMV8_RNDS

static int crioimg__sha256_armv8_present(void)
{
#if defined(__linux__)
    return (getauxval(AT_HWCAP) & HWCAP_SHA2) != 0;
#elif defined(__APPLE__) || defined(__ARM_FEATURE_SHA2) || defined(__ARM_FEATURE_CRYPTO)
    return 1;  /* every Apple arm64 CPU has them; or the build already assumes them */
#else
    return 0;  /* no way to ask: leave them alone */
#endif
}
#endif

/* ---- SHA-256: path choice, buffering, padding ---- */

int crioimg_sha256_impl_available(crioimg_sha256_impl impl)
{
    switch (impl) {
    case CRIOIMG_SHA256_AUTO:
    case CRIOIMG_SHA256_PORTABLE: return 1;
#ifdef CRIOIMG__SHA256_SHANI
    case CRIOIMG_SHA256_X86_SHANI: return crioimg__sha256_shani_present();
#endif
#ifdef CRIOIMG__SHA256_ARMV8
    case CRIOIMG_SHA256_ARMV8: return crioimg__sha256_armv8_present();
#endif
#ifdef CRIOIMG__SHA256_MBEDTLS
    case CRIOIMG_SHA256_MBEDTLS: return 1;
#endif
    default: return 0;
    }
}

const char *crioimg_sha256_impl_name(crioimg_sha256_impl impl)
{
    switch (impl) {
    case CRIOIMG_SHA256_AUTO: return "auto";
    case CRIOIMG_SHA256_PORTABLE: return "portable";
    case CRIOIMG_SHA256_X86_SHANI: return "x86-shani";
    case CRIOIMG_SHA256_ARMV8: return "armv8";
    case CRIOIMG_SHA256_MBEDTLS: return "mbedtls";
    default: return "";
    }
}

/* The CPU's own instructions first (several times faster), then mbedtls (a host that builds with it for
   HTTPS gets no slower hashing for it), then portable C. */
static crioimg_sha256_impl crioimg__sha256_best(void)
{
#ifdef CRIOIMG__SHA256_SHANI
    if (crioimg__sha256_shani_present()) return CRIOIMG_SHA256_X86_SHANI;
#endif
#ifdef CRIOIMG__SHA256_ARMV8
    if (crioimg__sha256_armv8_present()) return CRIOIMG_SHA256_ARMV8;
#endif
#ifdef CRIOIMG__SHA256_MBEDTLS
    return CRIOIMG_SHA256_MBEDTLS;
#else
    return CRIOIMG_SHA256_PORTABLE;
#endif
}

static void crioimg__sha256_blocks(crioimg_sha256_ctx *c, const unsigned char *p, size_t nblocks)
{
    switch (c->impl) {
#ifdef CRIOIMG__SHA256_SHANI
    case CRIOIMG_SHA256_X86_SHANI: crioimg__sha256_blocks_shani(c->u.s.h, p, nblocks); return;
#endif
#ifdef CRIOIMG__SHA256_ARMV8
    case CRIOIMG_SHA256_ARMV8: crioimg__sha256_blocks_armv8(c->u.s.h, p, nblocks); return;
#endif
    default: crioimg__sha256_blocks_portable(c->u.s.h, p, nblocks); return;
    }
}

#ifdef CRIOIMG__SHA256_MBEDTLS
#define CRIOIMG__MBEDTLS_CTX(c) ((mbedtls_sha256_context *)(void *)(c)->u.ext)
#endif

static void crioimg__sha256_start(crioimg_sha256_ctx *c, crioimg_sha256_impl impl)
{
    memset(c, 0, sizeof *c);
    c->impl = (unsigned)impl;
#ifdef CRIOIMG__SHA256_MBEDTLS
    if (impl == CRIOIMG_SHA256_MBEDTLS) {
        /* mbedtls's software SHA-256 cannot fail; an _ALT one that does yields a wrong hash, which
           verification then refuses */
        mbedtls_sha256_init(CRIOIMG__MBEDTLS_CTX(c));
        (void)crioimg__mbedtls_sha256_starts(CRIOIMG__MBEDTLS_CTX(c));
        return;
    }
#endif
    memcpy(c->u.s.h, crioimg__sha256_iv, sizeof c->u.s.h);
}

void crioimg_sha256_init(crioimg_sha256_ctx *c)
{
    crioimg__sha256_start(c, crioimg__sha256_best());
}

crioimg_result crioimg_sha256_init_impl(crioimg_sha256_ctx *c, crioimg_sha256_impl impl)
{
    if (impl == CRIOIMG_SHA256_AUTO) { crioimg_sha256_init(c); return CRIOIMG_OK; }
    if (!crioimg_sha256_impl_available(impl)) {
        crioimg__sha256_start(c, CRIOIMG_SHA256_PORTABLE);
        return CRIOIMG_ERR_UNSUPPORTED;
    }
    crioimg__sha256_start(c, impl);
    return CRIOIMG_OK;
}

void crioimg_sha256_reset(crioimg_sha256_ctx *c)
{
    if (c->impl == CRIOIMG_SHA256_AUTO || c->impl >= CRIOIMG_SHA256_IMPL_COUNT) crioimg_sha256_init(c);
    else crioimg__sha256_start(c, (crioimg_sha256_impl)c->impl);
}

void crioimg_sha256_update(crioimg_sha256_ctx *c, const void *data, size_t n)
{
    const unsigned char *p = (const unsigned char *)data;
    size_t used;
    if (n == 0) return;
#ifdef CRIOIMG__SHA256_MBEDTLS
    if (c->impl == CRIOIMG_SHA256_MBEDTLS) {
        (void)crioimg__mbedtls_sha256_update(CRIOIMG__MBEDTLS_CTX(c), p, n);
        return;
    }
#endif
    used = (size_t)(c->u.s.len & 63);
    c->u.s.len += n;
    if (used) {  /* fill the partial block first */
        size_t take = 64 - used;
        if (n < take) { memcpy(c->u.s.buf + used, p, n); return; }
        memcpy(c->u.s.buf + used, p, take);
        crioimg__sha256_blocks(c, c->u.s.buf, 1);
        p += take;
        n -= take;
    }
    if (n >= 64) {  /* whole blocks straight from the caller's memory */
        crioimg__sha256_blocks(c, p, n / 64);
        p += n & ~(size_t)63;
        n &= 63;
    }
    if (n) memcpy(c->u.s.buf, p, n);
}

void crioimg_sha256_final(crioimg_sha256_ctx *c, unsigned char out[32])
{
    size_t used, i;
    uint64_t bits;
#ifdef CRIOIMG__SHA256_MBEDTLS
    if (c->impl == CRIOIMG_SHA256_MBEDTLS) {
        (void)crioimg__mbedtls_sha256_finish(CRIOIMG__MBEDTLS_CTX(c), out);
        mbedtls_sha256_free(CRIOIMG__MBEDTLS_CTX(c));
        memset(&c->u, 0, sizeof c->u);
        return;
    }
#endif
    used = (size_t)(c->u.s.len & 63);
    bits = c->u.s.len << 3;
    c->u.s.buf[used++] = 0x80;
    if (used > 56) {  /* no room for the length: one more block */
        memset(c->u.s.buf + used, 0, 64 - used);
        crioimg__sha256_blocks(c, c->u.s.buf, 1);
        used = 0;
    }
    memset(c->u.s.buf + used, 0, 56 - used);
    crioimg__put_be32(c->u.s.buf + 56, (uint32_t)(bits >> 32));
    crioimg__put_be32(c->u.s.buf + 60, (uint32_t)bits);
    crioimg__sha256_blocks(c, c->u.s.buf, 1);
    for (i = 0; i < 8; i++) crioimg__put_be32(out + 4 * i, c->u.s.h[i]);
    memset(&c->u, 0, sizeof c->u);
}

void crioimg_sha256(const void *data, size_t n, unsigned char out[32])
{
    crioimg_sha256_ctx c;
    crioimg_sha256_init(&c);
    crioimg_sha256_update(&c, data, n);
    crioimg_sha256_final(&c, out);
}

/* ---- SHA-512 and SHA-384, portable ---- */

static const uint64_t crioimg__sha512_k[80] = {
    0x428a2f98d728ae22ULL, 0x7137449123ef65cdULL, 0xb5c0fbcfec4d3b2fULL, 0xe9b5dba58189dbbcULL,
    0x3956c25bf348b538ULL, 0x59f111f1b605d019ULL, 0x923f82a4af194f9bULL, 0xab1c5ed5da6d8118ULL,
    0xd807aa98a3030242ULL, 0x12835b0145706fbeULL, 0x243185be4ee4b28cULL, 0x550c7dc3d5ffb4e2ULL,
    0x72be5d74f27b896fULL, 0x80deb1fe3b1696b1ULL, 0x9bdc06a725c71235ULL, 0xc19bf174cf692694ULL,
    0xe49b69c19ef14ad2ULL, 0xefbe4786384f25e3ULL, 0x0fc19dc68b8cd5b5ULL, 0x240ca1cc77ac9c65ULL,
    0x2de92c6f592b0275ULL, 0x4a7484aa6ea6e483ULL, 0x5cb0a9dcbd41fbd4ULL, 0x76f988da831153b5ULL,
    0x983e5152ee66dfabULL, 0xa831c66d2db43210ULL, 0xb00327c898fb213fULL, 0xbf597fc7beef0ee4ULL,
    0xc6e00bf33da88fc2ULL, 0xd5a79147930aa725ULL, 0x06ca6351e003826fULL, 0x142929670a0e6e70ULL,
    0x27b70a8546d22ffcULL, 0x2e1b21385c26c926ULL, 0x4d2c6dfc5ac42aedULL, 0x53380d139d95b3dfULL,
    0x650a73548baf63deULL, 0x766a0abb3c77b2a8ULL, 0x81c2c92e47edaee6ULL, 0x92722c851482353bULL,
    0xa2bfe8a14cf10364ULL, 0xa81a664bbc423001ULL, 0xc24b8b70d0f89791ULL, 0xc76c51a30654be30ULL,
    0xd192e819d6ef5218ULL, 0xd69906245565a910ULL, 0xf40e35855771202aULL, 0x106aa07032bbd1b8ULL,
    0x19a4c116b8d2d0c8ULL, 0x1e376c085141ab53ULL, 0x2748774cdf8eeb99ULL, 0x34b0bcb5e19b48a8ULL,
    0x391c0cb3c5c95a63ULL, 0x4ed8aa4ae3418acbULL, 0x5b9cca4f7763e373ULL, 0x682e6ff3d6b2b8a3ULL,
    0x748f82ee5defb2fcULL, 0x78a5636f43172f60ULL, 0x84c87814a1f0ab72ULL, 0x8cc702081a6439ecULL,
    0x90befffa23631e28ULL, 0xa4506cebde82bde9ULL, 0xbef9a3f7b2c67915ULL, 0xc67178f2e372532bULL,
    0xca273eceea26619cULL, 0xd186b8c721c0c207ULL, 0xeada7dd6cde0eb1eULL, 0xf57d4f7fee6ed178ULL,
    0x06f067aa72176fbaULL, 0x0a637dc5a2c898a6ULL, 0x113f9804bef90daeULL, 0x1b710b35131c471bULL,
    0x28db77f523047d84ULL, 0x32caab7b40c72493ULL, 0x3c9ebe0a15c9bebcULL, 0x431d67c49c100d4cULL,
    0x4cc5d4becb3e42b6ULL, 0x597f299cfc657e2aULL, 0x5fcb6fab3ad6faecULL, 0x6c44198c4a475817ULL
};

static const uint64_t crioimg__sha512_iv[8] = {
    0x6a09e667f3bcc908ULL, 0xbb67ae8584caa73bULL, 0x3c6ef372fe94f82bULL, 0xa54ff53a5f1d36f1ULL,
    0x510e527fade682d1ULL, 0x9b05688c2b3e6c1fULL, 0x1f83d9abfb41bd6bULL, 0x5be0cd19137e2179ULL
};

static const uint64_t crioimg__sha384_iv[8] = {
    0xcbbb9d5dc1059ed8ULL, 0x629a292a367cd507ULL, 0x9159015a3070dd17ULL, 0x152fecd8f70e5939ULL,
    0x67332667ffc00b31ULL, 0x8eb44a8768581511ULL, 0xdb0c2e0d64f98fa7ULL, 0x47b5481dbefa4fa4ULL
};

static uint64_t crioimg__be64(const unsigned char *p)
{
    return (uint64_t)crioimg__be32(p) << 32 | crioimg__be32(p + 4);
}

static void crioimg__put_be64(unsigned char *p, uint64_t v)
{
    crioimg__put_be32(p, (uint32_t)(v >> 32));
    crioimg__put_be32(p + 4, (uint32_t)v);
}

#define CRIOIMG__ROR64(x, k) (((x) >> (k)) | ((x) << (64 - (k))))
#define CRIOIMG__SHA512_ROUND(a, b, c, d, e, f, g, h, i) do { \
        uint64_t t1_ = h + (CRIOIMG__ROR64(e, 14) ^ CRIOIMG__ROR64(e, 18) ^ CRIOIMG__ROR64(e, 41)) + \
                       (g ^ (e & (f ^ g))) + crioimg__sha512_k[i] + w[i]; \
        d += t1_; \
        h = t1_ + (CRIOIMG__ROR64(a, 28) ^ CRIOIMG__ROR64(a, 34) ^ CRIOIMG__ROR64(a, 39)) + ((a & b) | (c & (a | b))); \
    } while (0)

static void crioimg__sha512_blocks(uint64_t st[8], const unsigned char *p, size_t nblocks)
{
    uint64_t w[80], a, b, c, d, e, f, g, h;
    size_t i;
    for (; nblocks > 0; nblocks--, p += 128) {
        for (i = 0; i < 16; i++) w[i] = crioimg__be64(p + 8 * i);
        for (i = 16; i < 80; i++) {
            uint64_t x = w[i - 15], y = w[i - 2];
            w[i] = w[i - 16] + w[i - 7] + (CRIOIMG__ROR64(x, 1) ^ CRIOIMG__ROR64(x, 8) ^ (x >> 7)) +
                   (CRIOIMG__ROR64(y, 19) ^ CRIOIMG__ROR64(y, 61) ^ (y >> 6));
        }
        a = st[0]; b = st[1]; c = st[2]; d = st[3]; e = st[4]; f = st[5]; g = st[6]; h = st[7];
        for (i = 0; i < 80; i += 8) {
            CRIOIMG__SHA512_ROUND(a, b, c, d, e, f, g, h, i);
            CRIOIMG__SHA512_ROUND(h, a, b, c, d, e, f, g, i + 1);
            CRIOIMG__SHA512_ROUND(g, h, a, b, c, d, e, f, i + 2);
            CRIOIMG__SHA512_ROUND(f, g, h, a, b, c, d, e, i + 3);
            CRIOIMG__SHA512_ROUND(e, f, g, h, a, b, c, d, i + 4);
            CRIOIMG__SHA512_ROUND(d, e, f, g, h, a, b, c, i + 5);
            CRIOIMG__SHA512_ROUND(c, d, e, f, g, h, a, b, i + 6);
            CRIOIMG__SHA512_ROUND(b, c, d, e, f, g, h, a, i + 7);
        }
        st[0] += a; st[1] += b; st[2] += c; st[3] += d; st[4] += e; st[5] += f; st[6] += g; st[7] += h;
    }
}
#undef CRIOIMG__SHA512_ROUND

static void crioimg__sha512_start(crioimg_sha512_ctx *c, const uint64_t iv[8], unsigned out_len)
{
    memset(c, 0, sizeof *c);
    memcpy(c->h, iv, sizeof c->h);
    c->out_len = out_len;
}

void crioimg_sha512_init(crioimg_sha512_ctx *c) { crioimg__sha512_start(c, crioimg__sha512_iv, 64); }
void crioimg_sha384_init(crioimg_sha384_ctx *c) { crioimg__sha512_start(c, crioimg__sha384_iv, 48); }

void crioimg_sha512_update(crioimg_sha512_ctx *c, const void *data, size_t n)
{
    const unsigned char *p = (const unsigned char *)data;
    size_t used;
    if (n == 0) return;
    used = (size_t)(c->len & 127);
    c->len += n;
    if (used) {
        size_t take = 128 - used;
        if (n < take) { memcpy(c->buf + used, p, n); return; }
        memcpy(c->buf + used, p, take);
        crioimg__sha512_blocks(c->h, c->buf, 1);
        p += take;
        n -= take;
    }
    if (n >= 128) {
        crioimg__sha512_blocks(c->h, p, n / 128);
        p += n & ~(size_t)127;
        n &= 127;
    }
    if (n) memcpy(c->buf, p, n);
}

void crioimg_sha384_update(crioimg_sha384_ctx *c, const void *data, size_t n) { crioimg_sha512_update(c, data, n); }

/* Pads (the bit length is 128 bits wide; the byte count's top 3 bits are its high word) and writes the
   first out_len bytes of the state. */
static void crioimg__sha512_finish(crioimg_sha512_ctx *c, unsigned char *out)
{
    size_t used = (size_t)(c->len & 127), i;
    unsigned char full[64];
    c->buf[used++] = 0x80;
    if (used > 112) {
        memset(c->buf + used, 0, 128 - used);
        crioimg__sha512_blocks(c->h, c->buf, 1);
        used = 0;
    }
    memset(c->buf + used, 0, 112 - used);
    crioimg__put_be64(c->buf + 112, c->len >> 61);
    crioimg__put_be64(c->buf + 120, c->len << 3);
    crioimg__sha512_blocks(c->h, c->buf, 1);
    for (i = 0; i < 8; i++) crioimg__put_be64(full + 8 * i, c->h[i]);
    memcpy(out, full, c->out_len == 48 ? 48 : 64);
    memset(c, 0, sizeof *c);
}

void crioimg_sha512_final(crioimg_sha512_ctx *c, unsigned char out[64]) { c->out_len = 64; crioimg__sha512_finish(c, out); }
void crioimg_sha384_final(crioimg_sha384_ctx *c, unsigned char out[48]) { c->out_len = 48; crioimg__sha512_finish(c, out); }

void crioimg_sha512(const void *data, size_t n, unsigned char out[64])
{
    crioimg_sha512_ctx c;
    crioimg_sha512_init(&c);
    crioimg_sha512_update(&c, data, n);
    crioimg_sha512_final(&c, out);
}

void crioimg_sha384(const void *data, size_t n, unsigned char out[48])
{
    crioimg_sha384_ctx c;
    crioimg_sha384_init(&c);
    crioimg_sha384_update(&c, data, n);
    crioimg_sha384_final(&c, out);
}

/* ---- any known algorithm ---- */

crioimg_result crioimg_hasher_init(crioimg_hasher *h, crioimg_digest_alg alg)
{
    if (h == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    memset(h, 0, sizeof *h);
    switch (alg) {
    case CRIOIMG_DIGEST_SHA256: crioimg_sha256_init(&h->u.sha256); break;
    case CRIOIMG_DIGEST_SHA384: crioimg_sha384_init(&h->u.sha512); break;
    case CRIOIMG_DIGEST_SHA512: crioimg_sha512_init(&h->u.sha512); break;
    default: return CRIOIMG_ERR_DIGEST_UNSUPPORTED;
    }
    h->alg = alg;
    return CRIOIMG_OK;
}

void crioimg_hasher_update(crioimg_hasher *h, const void *data, size_t n)
{
    if (h->alg == CRIOIMG_DIGEST_SHA256) crioimg_sha256_update(&h->u.sha256, data, n);
    else if (h->alg != CRIOIMG_DIGEST_UNKNOWN) crioimg_sha512_update(&h->u.sha512, data, n);
}

size_t crioimg_hasher_final(crioimg_hasher *h, unsigned char *out)
{
    size_t n = crioimg_digest_alg_size(h->alg);
    switch (h->alg) {
    case CRIOIMG_DIGEST_SHA256: crioimg_sha256_final(&h->u.sha256, out); break;
    case CRIOIMG_DIGEST_SHA384: crioimg_sha384_final(&h->u.sha512, out); break;
    case CRIOIMG_DIGEST_SHA512: crioimg_sha512_final(&h->u.sha512, out); break;
    default: break;
    }
    return n;
}

void crioimg_hasher_reset(crioimg_hasher *h)
{
    if (h->alg == CRIOIMG_DIGEST_SHA256) crioimg_sha256_reset(&h->u.sha256);
    else if (h->alg == CRIOIMG_DIGEST_SHA384) crioimg_sha384_init(&h->u.sha512);
    else if (h->alg == CRIOIMG_DIGEST_SHA512) crioimg_sha512_init(&h->u.sha512);
}

static void crioimg__hex(char *out, const unsigned char *b, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t i;
    for (i = 0; i < n; i++) {
        out[2 * i] = hex[b[i] >> 4];
        out[2 * i + 1] = hex[b[i] & 15];
    }
}

size_t crioimg_hasher_final_string(crioimg_hasher *h, char *out, size_t cap)
{
    unsigned char b[CRIOIMG_DIGEST_BYTES_MAX];
    char s[CRIOIMG_DIGEST_STRING_MAX + 1];
    const char *name = crioimg_digest_alg_name(h->alg);
    size_t nl = strlen(name), bl = crioimg_hasher_final(h, b);
    crioimg__out o;
    memcpy(s, name, nl);
    s[nl] = ':';
    crioimg__hex(s + nl + 1, b, bl);
    o.p = out; o.cap = cap; o.len = 0;
    if (cap) out[0] = '\0';
    crioimg__out_put(&o, s, nl + 1 + 2 * bl);
    return o.len;
}

crioimg_result crioimg_hasher_verify(crioimg_hasher *h, const crioimg_digest *want)
{
    unsigned char b[CRIOIMG_DIGEST_BYTES_MAX];
    char hex[2 * CRIOIMG_DIGEST_BYTES_MAX];
    size_t n, i;
    unsigned diff = 0;
    if (want == NULL || want->alg == CRIOIMG_DIGEST_UNKNOWN || want->alg != h->alg) {
        crioimg_hasher_reset(h);  /* wiped all the same */
        return want == NULL ? CRIOIMG_ERR_INVALID_ARGS : CRIOIMG_ERR_DIGEST_UNSUPPORTED;
    }
    n = crioimg_hasher_final(h, b);
    if (want->encoded.len != 2 * n || want->encoded.ptr == NULL) return CRIOIMG_ERR_DIGEST_MISMATCH;
    crioimg__hex(hex, b, n);
    for (i = 0; i < 2 * n; i++) diff |= (unsigned)(hex[i] ^ want->encoded.ptr[i]);  /* no early exit */
    return diff ? CRIOIMG_ERR_DIGEST_MISMATCH : CRIOIMG_OK;
}

crioimg_result crioimg_digest_verify(const crioimg_digest *want, const void *data, size_t n)
{
    crioimg_hasher h;
    crioimg_result r;
    if (want == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    if ((r = crioimg_hasher_init(&h, want->alg)) != CRIOIMG_OK) return r;
    crioimg_hasher_update(&h, data, n);
    return crioimg_hasher_verify(&h, want);
}

/* ==== src/json.c ==== */
/* ---------------------------------------------------------------------------------------------------
   json implementation

   The reader is one loop over the input with three states (a value, a key, what follows a value). The
   open containers form a chain through their tokens: while a container is open its token's next field
   holds the index of the container around it, and becomes the real sibling index when it closes. So the
   nesting costs no stack, C or explicit, beyond the tokens themselves, and the depth cap only bounds what
   callers will meet. Duplicate keys are looked for when an object closes: its key indexes are sorted
   (heapsort: no recursion, n log n at worst) by their unescaped bytes, and equal neighbours are
   duplicates.
   --------------------------------------------------------------------------------------------------- */

#define CRIOIMG__JSON_MAX_SIZE  ((size_t)4 << 20)
#define CRIOIMG__JSON_MAX_DEPTH 64
#define CRIOIMG__JSON_SMALL_OBJ 8     /* objects up to this many members are checked pairwise, unsorted */

/* Bytes a string may hold as they are: not '"', '\\', a control character or non-ASCII. */
#define CRIOIMG__JP(c) ((c) >= 0x20 && (c) < 0x80 && (c) != '"' && (c) != '\\')
static const unsigned char crioimg__json_plain[256] = { CRIOIMG__TABLE256(CRIOIMG__JP) };
#undef CRIOIMG__JP

static int crioimg__json_digit(char c) { return c >= '0' && c <= '9'; }
static int crioimg__json_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* The value of 4 hex digits, or -1. */
static long crioimg__json_hex4(const char *s)
{
    long v = 0;
    int i;
    for (i = 0; i < 4; i++) {
        char c = s[i];
        int d = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
        if (d < 0) return -1;
        v = v * 16 + d;
    }
    return v;
}

/* v in decimal, no NUL; out holds at least 20 bytes. Returns the length. */
static size_t crioimg__json_utoa(char *out, unsigned long long v)
{
    char t[20];
    size_t n = 0, i;
    do { t[n++] = (char)('0' + (int)(v % 10)); v /= 10; } while (v);
    for (i = 0; i < n; i++) out[i] = t[n - 1 - i];
    return n;
}

/* RFC 8259's number, -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, as the longest prefix of s[0, n):
   its length, or 0 when there is none. The reader looks at the byte after it to name the error. */
static size_t crioimg__json_number_len(const char *s, size_t n)
{
    size_t i = 0, j;
    if (i < n && s[i] == '-') i++;
    if (i < n && s[i] == '0') i++;
    else if (i < n && s[i] >= '1' && s[i] <= '9') { while (i < n && crioimg__json_digit(s[i])) i++; }
    else return 0;
    if (i + 1 < n && s[i] == '.' && crioimg__json_digit(s[i + 1])) {
        i += 2;
        while (i < n && crioimg__json_digit(s[i])) i++;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        j = i + 1;
        if (j < n && (s[j] == '+' || s[j] == '-')) j++;
        if (j < n && crioimg__json_digit(s[j])) {
            while (j < n && crioimg__json_digit(s[j])) j++;
            i = j;
        }
    }
    return i;
}

/* Code point cp (not a surrogate) as UTF-8 into out; returns the length. */
static size_t crioimg__json_utf8(unsigned long cp, unsigned char *out)
{
    if (cp < 0x80) { out[0] = (unsigned char)cp; return 1; }
    if (cp < 0x800) { out[0] = (unsigned char)(0xc0 | (cp >> 6)); out[1] = (unsigned char)(0x80 | (cp & 0x3f)); return 2; }
    if (cp < 0x10000) {
        out[0] = (unsigned char)(0xe0 | (cp >> 12)); out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (unsigned char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (unsigned char)(0xf0 | (cp >> 18)); out[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
    out[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f)); out[3] = (unsigned char)(0x80 | (cp & 0x3f));
    return 4;
}

/* The escape at s[*i] (a backslash), already validated by the reader, as UTF-8 into out; moves *i past
   it (both halves of a surrogate pair). Returns the length, 1 to 4. */
static size_t crioimg__json_unescape(const char *s, size_t *i, unsigned char *out)
{
    char c = s[*i + 1];
    unsigned long cp;
    if (c != 'u') {
        *i += 2;
        out[0] = (unsigned char)(c == 'b' ? '\b' : c == 'f' ? '\f' : c == 'n' ? '\n' : c == 'r' ? '\r' : c == 't' ? '\t' : c);
        return 1;
    }
    cp = (unsigned long)crioimg__json_hex4(s + *i + 2);
    *i += 6;
    if (cp >= 0xd800 && cp <= 0xdbff) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + ((unsigned long)crioimg__json_hex4(s + *i + 2) - 0xdc00);
        *i += 6;
    }
    return crioimg__json_utf8(cp, out);
}

/* The unescaped bytes of a STRING token, one at a time: for comparing keys without copying them. */
typedef struct crioimg__json_cur {
    const char *s;
    size_t n, i;
    unsigned char b[4];   /* what the last escape decoded to */
    size_t bl, bi;
} crioimg__json_cur;

static void crioimg__json_cur_init(crioimg__json_cur *c, const crioimg_json *d, size_t t)
{
    c->s = d->buf + d->tok[t].start;
    c->n = d->tok[t].len;
    c->i = c->bl = c->bi = 0;
}

/* The next byte, or -1 at the end. */
static int crioimg__json_cur_next(crioimg__json_cur *c)
{
    if (c->bi < c->bl) return c->b[c->bi++];
    if (c->i >= c->n) return -1;
    if (c->s[c->i] != '\\') return (unsigned char)c->s[c->i++];
    c->bl = crioimg__json_unescape(c->s, &c->i, c->b);
    c->bi = 1;
    return c->b[0];
}

/* Orders two STRING tokens by their unescaped bytes (memcmp's order; a prefix comes first). */
static int crioimg__json_cmp(const crioimg_json *d, size_t a, size_t b)
{
    const crioimg_json_token *x = &d->tok[a], *y = &d->tok[b];
    crioimg__json_cur cx, cy;
    if (!x->escaped && !y->escaped) {
        size_t m = x->len < y->len ? x->len : y->len;
        int c = m ? memcmp(d->buf + x->start, d->buf + y->start, m) : 0;
        if (c) return c;
        return (x->len > y->len) - (x->len < y->len);
    }
    crioimg__json_cur_init(&cx, d, a);
    crioimg__json_cur_init(&cy, d, b);
    for (;;) {
        int p = crioimg__json_cur_next(&cx), q = crioimg__json_cur_next(&cy);
        if (p != q) return p - q;
        if (p < 0) return 0;
    }
}

/* A STRING token equals s[0, n) after unescaping. */
static int crioimg__json_eq(const crioimg_json *d, size_t t, const char *s, size_t n)
{
    const crioimg_json_token *k = &d->tok[t];
    crioimg__json_cur c;
    size_t i;
    if (n == 0) return k->len == 0;
    if (!k->escaped) return k->len == n && memcmp(d->buf + k->start, s, n) == 0;
    if (n > k->len) return 0;   /* unescaping only ever shortens */
    crioimg__json_cur_init(&c, d, t);
    for (i = 0; i < n; i++) if (crioimg__json_cur_next(&c) != (unsigned char)s[i]) return 0;
    return crioimg__json_cur_next(&c) < 0;
}

/* ---- the reader ---- */

typedef struct crioimg__json_p {
    crioimg_json *doc;
    const char *s;
    size_t n, pos;
    size_t cap;           /* of doc->tok */
    size_t max_tokens, max_depth, depth;
    size_t cur;           /* the innermost open container, or CRIOIMG_JSON_NONE at the top */
    size_t *keys, keys_cap;  /* scratch for the duplicate check */
    int allow_dup;
    int refuse_nul;
} crioimg__json_p;

enum { CRIOIMG__JS_VALUE, CRIOIMG__JS_KEY, CRIOIMG__JS_AFTER };

/* Sets doc->err to a, then the byte at s[what] described (unless what is CRIOIMG_JSON_NONE), then b;
   err_offset to at. Returns r. */
static crioimg_result crioimg__json_fail_byte(crioimg__json_p *p, crioimg_result r, size_t at, const char *a, size_t what, const char *b)
{
    static const char hex[] = "0123456789abcdef";
    crioimg__out o;
    o.p = p->doc->err; o.cap = sizeof p->doc->err; o.len = 0;
    crioimg__out_str(&o, a);
    if (what != CRIOIMG_JSON_NONE && what >= p->n) {
        crioimg__out_str(&o, "end of input");
    } else if (what != CRIOIMG_JSON_NONE) {
        unsigned char c = (unsigned char)p->s[what];
        char q[3];
        if (c >= 0x20 && c < 0x7f) { q[0] = '\''; q[1] = (char)c; q[2] = '\''; crioimg__out_put(&o, q, 3); }
        else { crioimg__out_str(&o, "byte 0x"); q[0] = hex[c >> 4]; q[1] = hex[c & 15]; crioimg__out_put(&o, q, 2); }
    }
    if (b) crioimg__out_str(&o, b);
    p->doc->err_offset = at;
    return r;
}

static crioimg_result crioimg__json_fail(crioimg__json_p *p, crioimg_result r, size_t at, const char *msg)
{
    return crioimg__json_fail_byte(p, r, at, msg, CRIOIMG_JSON_NONE, NULL);
}

/* "<what>, found 'x'" */
static crioimg_result crioimg__json_fail_found(crioimg__json_p *p, size_t at, const char *what)
{
    crioimg__out o;
    char m[96];
    o.p = m; o.cap = sizeof m; o.len = 0;
    crioimg__out_str(&o, what);
    crioimg__out_str(&o, ", found ");
    return crioimg__json_fail_byte(p, CRIOIMG_ERR_JSON_SYNTAX, at, m, at, NULL);
}

/* "<a><n><b>" for the limits */
static crioimg_result crioimg__json_fail_n(crioimg__json_p *p, crioimg_result r, size_t at, const char *a, size_t n, const char *b)
{
    crioimg__out o;
    char m[96], num[20];
    o.p = m; o.cap = sizeof m; o.len = 0;
    crioimg__out_str(&o, a);
    crioimg__out_put(&o, num, crioimg__json_utoa(num, n));
    crioimg__out_str(&o, b);
    return crioimg__json_fail(p, r, at, m);
}

/* `duplicate key "..."`: the key unescaped, then quoted again, cut at a character so the message fits. */
static crioimg_result crioimg__json_fail_dup(crioimg__json_p *p, size_t key)
{
    char raw[48], q[100];
    size_t full = crioimg_json_string(p->doc, key, raw, sizeof raw), have = full < sizeof raw ? full : sizeof raw - 1;
    size_t keep = 0, l, ql;
    crioimg__out o;
    while (keep < have) {
        l = crioimg__utf8_len((const unsigned char *)raw + keep, have - keep);
        if (l == 0 || crioimg_json_quote(NULL, 0, raw, keep + l) > 80) break;
        keep += l;
    }
    ql = crioimg_json_quote(q, sizeof q, raw, keep);
    o.p = p->doc->err; o.cap = sizeof p->doc->err; o.len = 0;
    crioimg__out_str(&o, "duplicate key ");
    if (keep == full) {
        crioimg__out_put(&o, q, ql);
    } else {
        crioimg__out_put(&o, q, ql - 1);   /* without the closing quote */
        crioimg__out_str(&o, "...\"");
    }
    p->doc->err_offset = p->doc->tok[key].start - 1;   /* the key's opening quote */
    return CRIOIMG_ERR_JSON_DUPLICATE;
}

/* Appends a token (its next is the index after it, right for a scalar); grows the array geometrically. */
static crioimg_result crioimg__json_push(crioimg__json_p *p, unsigned char type, size_t start)
{
    crioimg_json *d = p->doc;
    crioimg_json_token *t;
    if (d->ntok >= p->max_tokens)
        return crioimg__json_fail_n(p, CRIOIMG_ERR_JSON_TOO_BIG, start, "more than ", p->max_tokens, " values");
    if (d->ntok == p->cap) {
        size_t ncap = p->cap ? p->cap * 2 : 16;
        if (ncap > p->max_tokens || ncap < p->cap) ncap = p->max_tokens;
        if (ncap > (size_t)-1 / sizeof *t) return crioimg__json_fail(p, CRIOIMG_ERR_NOMEM, start, "out of memory");
        t = (crioimg_json_token *)crioimg_realloc(&d->alloc, d->tok, ncap * sizeof *t);
        if (t == NULL) return crioimg__json_fail(p, CRIOIMG_ERR_NOMEM, start, "out of memory");
        d->tok = t;
        p->cap = ncap;
    }
    t = &d->tok[d->ntok];
    t->type = type;
    t->escaped = 0;
    t->start = start;
    t->len = t->count = 0;
    t->next = ++d->ntok;
    return CRIOIMG_OK;
}

/* The 4 hex digits of a \u escape at s[j]: their value in *v, or why not (the input ends first, or a
   byte is not a hex digit) with the offset of the escape's backslash. */
static crioimg_result crioimg__json_hex_at(crioimg__json_p *p, size_t j, size_t esc, long *v)
{
    size_t k;
    for (k = 0; k < 4; k++) {
        char c;
        if (j + k >= p->n) return crioimg__json_fail(p, CRIOIMG_ERR_JSON_SYNTAX, p->n, "unterminated string");
        c = p->s[j + k];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return crioimg__json_fail(p, CRIOIMG_ERR_JSON_SYNTAX, esc, "invalid \\u escape");
    }
    *v = crioimg__json_hex4(p->s + j);
    return CRIOIMG_OK;
}

/* The escape at s[*at] (a backslash) inside a string: moves *at past it. Lone surrogates are refused, so
   that every string unescapes to valid UTF-8. */
static crioimg_result crioimg__json_escape(crioimg__json_p *p, size_t *at)
{
    const char *s = p->s;
    size_t i = *at, j, n = p->n;
    long cp, lo;
    crioimg_result r;
    if (i + 1 >= n) return crioimg__json_fail(p, CRIOIMG_ERR_JSON_SYNTAX, n, "unterminated string");
    switch (s[i + 1]) {
    case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
        *at = i + 2;
        return CRIOIMG_OK;
    case 'u':
        break;
    default:
        return crioimg__json_fail_byte(p, CRIOIMG_ERR_JSON_SYNTAX, i, "invalid escape: backslash then ", i + 1, NULL);
    }
    if ((r = crioimg__json_hex_at(p, i + 2, i, &cp)) != CRIOIMG_OK) return r;
    if (cp >= 0xdc00 && cp <= 0xdfff) return crioimg__json_fail(p, CRIOIMG_ERR_JSON_UTF8, i, "lone surrogate in \\u escape");
    /* the only way a NUL gets into a string (a raw one is a control character): here it is cheap to refuse */
    if (cp == 0 && p->refuse_nul) return crioimg__json_fail(p, CRIOIMG_ERR_JSON_SYNTAX, i, "NUL character (\\u0000) in a string");
    if (cp < 0xd800 || cp > 0xdbff) { *at = i + 6; return CRIOIMG_OK; }
    /* a high surrogate: the low half must follow at once */
    j = i + 6;
    if (j >= n || (s[j] == '\\' && j + 1 >= n)) return crioimg__json_fail(p, CRIOIMG_ERR_JSON_SYNTAX, n, "unterminated string");
    if (s[j] != '\\' || s[j + 1] != 'u') return crioimg__json_fail(p, CRIOIMG_ERR_JSON_UTF8, i, "lone surrogate in \\u escape");
    if ((r = crioimg__json_hex_at(p, j + 2, j, &lo)) != CRIOIMG_OK) return r;
    if (lo < 0xdc00 || lo > 0xdfff) return crioimg__json_fail(p, CRIOIMG_ERR_JSON_UTF8, i, "lone surrogate in \\u escape");
    *at = i + 12;
    return CRIOIMG_OK;
}

#ifdef CRIOIMG__SSE2
/* The first byte at or after i that a string cannot hold as it is, 16 at a time while 16 remain (a
   signed compare below 0x20 catches control bytes and non-ASCII bytes together); the loop after it
   finishes the job. */
static size_t crioimg__json_skip_plain(const unsigned char *s, size_t i, size_t n)
{
    const __m128i quote = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\'), sp = _mm_set1_epi8(0x20);
    while (n - i >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        int m = _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bs)),
                                               _mm_cmplt_epi8(v, sp)));
        if (m) return i + (size_t)__builtin_ctz((unsigned)m);
        i += 16;
    }
    return i;
}
#endif

/* The string whose opening quote is at pos: validates it, fills the token t (start, len, escaped) and
   moves pos past the closing quote. */
static crioimg_result crioimg__json_string(crioimg__json_p *p, size_t t)
{
    const unsigned char *s = (const unsigned char *)p->s;
    size_t n = p->n, i = p->pos + 1, start = i, l;
    unsigned char escaped = 0;
    crioimg_result r;
    for (;;) {
#ifdef CRIOIMG__SSE2
        i = crioimg__json_skip_plain(s, i, n);
#endif
        while (i < n && crioimg__json_plain[s[i]]) i++;
        if (i == n) return crioimg__json_fail(p, CRIOIMG_ERR_JSON_SYNTAX, n, "unterminated string");
        if (s[i] == '"') break;
        if (s[i] == '\\') {
            if ((r = crioimg__json_escape(p, &i)) != CRIOIMG_OK) return r;
            escaped = 1;
        } else if (s[i] < 0x20) {
            return crioimg__json_fail_byte(p, CRIOIMG_ERR_JSON_SYNTAX, i, "unescaped control character ", i, " in string");
        } else if ((l = crioimg__utf8_len(s + i, n - i)) == 0) {
            return crioimg__json_fail_byte(p, CRIOIMG_ERR_JSON_UTF8, i, "invalid UTF-8 in string: ", i, NULL);
        } else {
            i += l;
        }
    }
    p->doc->tok[t].start = start;
    p->doc->tok[t].len = i - start;
    p->doc->tok[t].escaped = escaped;
    p->pos = i + 1;
    return CRIOIMG_OK;
}

static crioimg_result crioimg__json_number(crioimg__json_p *p)
{
    size_t l = crioimg__json_number_len(p->s + p->pos, p->n - p->pos), end = p->pos + l;
    crioimg_result r;
    if (l == 0) return crioimg__json_fail(p, CRIOIMG_ERR_JSON_SYNTAX, p->pos, "invalid number");
    if (end < p->n) {
        char c = p->s[end];
        /* only a '0' can be followed by a digit here */
        if (crioimg__json_digit(c)) return crioimg__json_fail(p, CRIOIMG_ERR_JSON_SYNTAX, p->pos, "leading zero in number");
        if (c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
            return crioimg__json_fail(p, CRIOIMG_ERR_JSON_SYNTAX, p->pos, "invalid number");
    }
    if ((r = crioimg__json_push(p, CRIOIMG_JSON_NUMBER, p->pos)) != CRIOIMG_OK) return r;
    p->doc->tok[p->doc->ntok - 1].len = l;
    p->pos = end;
    return CRIOIMG_OK;
}

/* true, false, null: exactly, and not run on into a longer word ("truex") */
static crioimg_result crioimg__json_literal(crioimg__json_p *p)
{
    static const char *const word[3] = { "null", "false", "true" };
    const char *s = p->s + p->pos;
    size_t left = p->n - p->pos, l;
    int k = s[0] == 'n' ? 0 : s[0] == 'f' ? 1 : 2;
    crioimg_result r;
    l = strlen(word[k]);
    if (left < l || memcmp(s, word[k], l) != 0 ||
        (left > l && ((s[l] >= 'a' && s[l] <= 'z') || (s[l] >= 'A' && s[l] <= 'Z') || crioimg__json_digit(s[l]))))
        return crioimg__json_fail(p, CRIOIMG_ERR_JSON_SYNTAX, p->pos, "invalid literal");
    /* the type enum orders NULL, FALSE, TRUE as the words are */
    if ((r = crioimg__json_push(p, (unsigned char)(CRIOIMG_JSON_NULL + k), p->pos)) != CRIOIMG_OK) return r;
    p->doc->tok[p->doc->ntok - 1].len = l;
    p->pos += l;
    return CRIOIMG_OK;
}

/* Heapsort of key token indexes by unescaped bytes, then by index, so that of equal keys the one first
   in the document comes first. No recursion, n log n comparisons at worst. */
static int crioimg__json_key_less(const crioimg_json *d, size_t a, size_t b)
{
    int c = crioimg__json_cmp(d, a, b);
    return c < 0 || (c == 0 && a < b);
}

static void crioimg__json_sift(const crioimg_json *d, size_t *k, size_t root, size_t n)
{
    for (;;) {
        size_t child = 2 * root + 1, big = root, t;
        if (child < n && crioimg__json_key_less(d, k[big], k[child])) big = child;
        if (child + 1 < n && crioimg__json_key_less(d, k[big], k[child + 1])) big = child + 1;
        if (big == root) return;
        t = k[root]; k[root] = k[big]; k[big] = t;
        root = big;
    }
}

static void crioimg__json_sort_keys(const crioimg_json *d, size_t *k, size_t n)
{
    size_t i, t;
    for (i = n / 2; i-- > 0;) crioimg__json_sift(d, k, i, n);
    for (i = n; i-- > 1;) {
        t = k[0]; k[0] = k[i]; k[i] = t;
        crioimg__json_sift(d, k, 0, i);
    }
}

/* The object at obj has just closed: reports the first key in document order that repeats an earlier
   one. Small objects pairwise; larger ones sorted in a scratch array kept for the whole parse. */
static crioimg_result crioimg__json_dups(crioimg__json_p *p, size_t obj)
{
    crioimg_json *d = p->doc;
    size_t cnt = d->tok[obj].count, i, j, k = obj + 1, dup = CRIOIMG_JSON_NONE, small[CRIOIMG__JSON_SMALL_OBJ], *keys = small;
    if (cnt > CRIOIMG__JSON_SMALL_OBJ) {
        if (cnt > p->keys_cap) {
            size_t ncap = p->keys_cap * 2 > cnt ? p->keys_cap * 2 : cnt;
            size_t *nk = ncap > (size_t)-1 / sizeof *nk ? NULL : (size_t *)crioimg_realloc(&d->alloc, p->keys, ncap * sizeof *nk);
            if (nk == NULL) return crioimg__json_fail(p, CRIOIMG_ERR_NOMEM, d->tok[obj].start, "out of memory");
            p->keys = nk;
            p->keys_cap = ncap;
        }
        keys = p->keys;
    }
    for (i = 0; i < cnt; i++) { keys[i] = k; k = d->tok[k + 1].next; }
    if (cnt <= CRIOIMG__JSON_SMALL_OBJ) {
        for (i = 1; i < cnt && dup == CRIOIMG_JSON_NONE; i++)
            for (j = 0; j < i; j++) if (crioimg__json_cmp(d, keys[j], keys[i]) == 0) { dup = keys[i]; break; }
    } else {
        crioimg__json_sort_keys(d, keys, cnt);
        for (i = 1; i < cnt; i++)
            if (keys[i] < dup && crioimg__json_cmp(d, keys[i - 1], keys[i]) == 0) dup = keys[i];
    }
    return dup == CRIOIMG_JSON_NONE ? CRIOIMG_OK : crioimg__json_fail_dup(p, dup);
}

/* The closing bracket at pos ends the innermost container. */
static crioimg_result crioimg__json_close(crioimg__json_p *p)
{
    crioimg_json *d = p->doc;
    size_t c = p->cur;
    p->cur = d->tok[c].next;        /* the container around it, kept there while it was open */
    d->tok[c].next = d->ntok;
    d->tok[c].len = p->pos + 1 - d->tok[c].start;
    p->depth--;
    p->pos++;
    if (d->tok[c].type == CRIOIMG_JSON_OBJECT && !p->allow_dup && d->tok[c].count > 1) return crioimg__json_dups(p, c);
    return CRIOIMG_OK;
}

static void crioimg__json_skip_ws(crioimg__json_p *p)
{
    while (p->pos < p->n && crioimg__json_ws(p->s[p->pos])) p->pos++;
}

/* '[' or '{' at pos */
static crioimg_result crioimg__json_open(crioimg__json_p *p, int *state)
{
    crioimg_json *d = p->doc;
    int object = p->s[p->pos] == '{';
    size_t t = d->ntok;
    crioimg_result r;
    if (p->depth == p->max_depth)
        return crioimg__json_fail_n(p, CRIOIMG_ERR_JSON_TOO_DEEP, p->pos, "nested deeper than ", p->max_depth, " levels");
    if ((r = crioimg__json_push(p, object ? CRIOIMG_JSON_OBJECT : CRIOIMG_JSON_ARRAY, p->pos)) != CRIOIMG_OK) return r;
    d->tok[t].next = p->cur;
    p->cur = t;
    p->depth++;
    p->pos++;
    crioimg__json_skip_ws(p);
    if (p->pos < p->n && p->s[p->pos] == (object ? '}' : ']')) {
        *state = CRIOIMG__JS_AFTER;
        return crioimg__json_close(p);
    }
    *state = object ? CRIOIMG__JS_KEY : CRIOIMG__JS_VALUE;
    return CRIOIMG_OK;
}

/* A value at pos (not end of input). */
static crioimg_result crioimg__json_value(crioimg__json_p *p, int *state)
{
    crioimg_json *d = p->doc;
    char c = p->s[p->pos];
    int in_array = p->cur != CRIOIMG_JSON_NONE && d->tok[p->cur].type == CRIOIMG_JSON_ARRAY;
    crioimg_result r;
    if (c == ']' && in_array)   /* "[]" closed at the '[': here a ',' came before */
        return crioimg__json_fail(p, CRIOIMG_ERR_JSON_SYNTAX, p->pos, "trailing comma");
    if (in_array) d->tok[p->cur].count++;
    if (c == '{' || c == '[') return crioimg__json_open(p, state);
    *state = CRIOIMG__JS_AFTER;
    if (c == '"') {
        if ((r = crioimg__json_push(p, CRIOIMG_JSON_STRING, p->pos)) != CRIOIMG_OK) return r;
        return crioimg__json_string(p, d->ntok - 1);
    }
    if (c == '-' || crioimg__json_digit(c)) return crioimg__json_number(p);
    if (c == 't' || c == 'f' || c == 'n') return crioimg__json_literal(p);
    if (p->pos == 0 && p->n >= 3 && memcmp(p->s, "\xef\xbb\xbf", 3) == 0)
        return crioimg__json_fail(p, CRIOIMG_ERR_JSON_SYNTAX, 0, "byte order mark (not allowed in JSON)");
    return crioimg__json_fail_found(p, p->pos, "expected a value");
}

/* A key and its colon at pos (not end of input). */
static crioimg_result crioimg__json_key(crioimg__json_p *p, int *state)
{
    crioimg_json *d = p->doc;
    crioimg_result r;
    if (p->s[p->pos] == '}')    /* "{}" closed at the '{': here a ',' came before */
        return crioimg__json_fail(p, CRIOIMG_ERR_JSON_SYNTAX, p->pos, "trailing comma");
    if (p->s[p->pos] != '"') return crioimg__json_fail_found(p, p->pos, "expected a string key");
    d->tok[p->cur].count++;
    if ((r = crioimg__json_push(p, CRIOIMG_JSON_STRING, p->pos)) != CRIOIMG_OK) return r;
    if ((r = crioimg__json_string(p, d->ntok - 1)) != CRIOIMG_OK) return r;
    crioimg__json_skip_ws(p);
    if (p->pos == p->n || p->s[p->pos] != ':') return crioimg__json_fail_found(p, p->pos, "expected ':' after the key");
    p->pos++;
    *state = CRIOIMG__JS_VALUE;
    return CRIOIMG_OK;
}

/* After a value, at pos (not end of input): a comma or the container's end. */
static crioimg_result crioimg__json_after(crioimg__json_p *p, int *state)
{
    char c = p->s[p->pos];
    int object;
    if (p->cur == CRIOIMG_JSON_NONE) return crioimg__json_fail_found(p, p->pos, "unexpected data after the document");
    object = p->doc->tok[p->cur].type == CRIOIMG_JSON_OBJECT;
    if (c == ',') {
        p->pos++;
        *state = object ? CRIOIMG__JS_KEY : CRIOIMG__JS_VALUE;
        return CRIOIMG_OK;
    }
    if (c == (object ? '}' : ']')) return crioimg__json_close(p);
    return crioimg__json_fail_found(p, p->pos, object ? "expected ',' or '}'" : "expected ',' or ']'");
}

static crioimg_result crioimg__json_run(crioimg__json_p *p)
{
    int state = CRIOIMG__JS_VALUE;
    crioimg_result r;
    for (;;) {
        crioimg__json_skip_ws(p);
        if (p->pos == p->n) {
            if (state == CRIOIMG__JS_AFTER && p->cur == CRIOIMG_JSON_NONE) return CRIOIMG_OK;
            if (p->doc->ntok == 0) return crioimg__json_fail(p, CRIOIMG_ERR_JSON_SYNTAX, p->n, "empty document");
            return crioimg__json_fail(p, CRIOIMG_ERR_JSON_SYNTAX, p->n, "unexpected end of input");
        }
        if (state == CRIOIMG__JS_VALUE) r = crioimg__json_value(p, &state);
        else if (state == CRIOIMG__JS_KEY) r = crioimg__json_key(p, &state);
        else r = crioimg__json_after(p, &state);
        if (r != CRIOIMG_OK) return r;
    }
}

crioimg_result crioimg_json_parse(crioimg_json *doc, const char *buf, size_t len, const crioimg_json_opts *opts)
{
    crioimg__json_p p;
    crioimg_result r;
    size_t max_size = opts && opts->max_size ? opts->max_size : CRIOIMG__JSON_MAX_SIZE;
    if (doc == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    memset(doc, 0, sizeof *doc);
    memset(&p, 0, sizeof p);
    p.doc = doc;
    p.s = doc->buf = buf;
    p.n = doc->len = len;
    p.cur = CRIOIMG_JSON_NONE;
    p.max_depth = opts && opts->max_depth ? opts->max_depth : CRIOIMG__JSON_MAX_DEPTH;
    p.max_tokens = opts && opts->max_tokens ? opts->max_tokens : max_size / 2 + 1;
    p.allow_dup = opts && opts->allow_duplicates;
    p.refuse_nul = opts && opts->refuse_nul;
    if (buf == NULL && len > 0) return crioimg__json_fail(&p, CRIOIMG_ERR_INVALID_ARGS, 0, "no buffer");
    if (opts) {
        if (crioimg_allocator_check(&opts->alloc) != CRIOIMG_OK)
            return crioimg__json_fail(&p, CRIOIMG_ERR_INVALID_ARGS, 0, "allocator: set all three functions or none");
        doc->alloc = opts->alloc;
    }
    if (len > max_size) {  /* before reading a byte of it (so no line either) */
        r = crioimg__json_fail_n(&p, CRIOIMG_ERR_JSON_TOO_BIG, max_size, "document larger than ", max_size, " bytes");
        doc->err_line = 0;
        return r;
    }
    r = crioimg__json_run(&p);
    crioimg_free(&doc->alloc, p.keys);
    if (r != CRIOIMG_OK) {
        doc->err_line = crioimg__line_of(buf, len, doc->err_offset);
        crioimg_free(&doc->alloc, doc->tok);
        doc->tok = NULL;
        doc->ntok = 0;
    }
    return r;
}

void crioimg_json_free(crioimg_json *doc)
{
    if (doc == NULL) return;
    crioimg_free(&doc->alloc, doc->tok);
    doc->tok = NULL;
    doc->ntok = 0;
}

/* ---- navigation ---- */

static const crioimg_json_token *crioimg__json_tok(const crioimg_json *doc, size_t t, int type)
{
    if (doc == NULL || t >= doc->ntok || doc->tok[t].type != type) return NULL;
    return &doc->tok[t];
}

size_t crioimg_json_get(const crioimg_json *doc, size_t obj, const char *key)
{
    const crioimg_json_token *o = crioimg__json_tok(doc, obj, CRIOIMG_JSON_OBJECT);
    size_t i, k = obj + 1, n, found = CRIOIMG_JSON_NONE;
    if (o == NULL || key == NULL) return CRIOIMG_JSON_NONE;
    n = strlen(key);
    for (i = 0; i < o->count; i++) {
        if (crioimg__json_eq(doc, k, key, n)) found = k + 1;
        k = doc->tok[k + 1].next;
    }
    return found;
}

size_t crioimg_json_string(const crioimg_json *doc, size_t tok, char *out, size_t cap)
{
    const crioimg_json_token *t = crioimg__json_tok(doc, tok, CRIOIMG_JSON_STRING);
    crioimg__out o;
    const char *s;
    size_t i = 0;
    o.p = out; o.cap = out ? cap : 0; o.len = 0;
    if (o.cap) out[0] = '\0';
    if (t == NULL) return 0;
    s = doc->buf + t->start;
    while (i < t->len) {
        const char *bs = t->escaped ? (const char *)memchr(s + i, '\\', t->len - i) : NULL;
        size_t run = bs ? (size_t)(bs - (s + i)) : t->len - i;
        crioimg__out_put(&o, s + i, run);
        i += run;
        if (i < t->len) {
            unsigned char u[4];
            size_t l = crioimg__json_unescape(s, &i, u);
            crioimg__out_put(&o, (const char *)u, l);
        }
    }
    return o.len;
}

unsigned long crioimg_json_line(const crioimg_json *doc, size_t offset)
{
    if (doc == NULL || doc->buf == NULL) return 0;
    return crioimg__line_of(doc->buf, doc->len, offset);
}

int crioimg_json_string_eq(const crioimg_json *doc, size_t tok, const char *s, size_t n)
{
    if (crioimg__json_tok(doc, tok, CRIOIMG_JSON_STRING) == NULL || (s == NULL && n > 0)) return 0;
    return crioimg__json_eq(doc, tok, s, n);
}

/* The digits of a number's integer and fraction parts as one string D, digit j of it. */
typedef struct crioimg__json_digits { const char *ip, *fp; size_t il, fl; } crioimg__json_digits;

static int crioimg__json_digit_at(const crioimg__json_digits *g, size_t j)
{
    return (j < g->il ? g->ip[j] : g->fp[j - g->il]) - '0';
}

/* The number is D * 10^(E - fl). With D's leading zeros dropped and its trailing zeros moved into the
   exponent it is S * 10^e, S ending in a non-zero digit: an integer exactly when e >= 0, and one that
   fits 64 bits only when S's digits plus e are at most 19. E is read saturating at a bound past which
   the answer cannot change (the text is shorter than the bound), so nothing overflows. */
crioimg_result crioimg_json_int(const crioimg_json *doc, size_t tok, long long min, long long max, long long *out)
{
    const crioimg_json_token *t;
    crioimg__json_digits g;
    const char *s;
    size_t i = 0, n, first, last, total, emag = 0, bound, up, down, e, j;
    int neg, eneg = 0;
    unsigned long long mag = 0, lim;
    long long v;
    if (doc == NULL || tok >= doc->ntok) return CRIOIMG_ERR_NOT_FOUND;
    if (min > max) return CRIOIMG_ERR_INVALID_ARGS;
    if ((t = crioimg__json_tok(doc, tok, CRIOIMG_JSON_NUMBER)) == NULL) return CRIOIMG_ERR_JSON_TYPE;
    s = doc->buf + t->start;
    n = t->len;
    bound = n + 64;
    neg = s[0] == '-';
    i = (size_t)neg;
    g.ip = s + i;
    while (i < n && crioimg__json_digit(s[i])) i++;
    g.il = (size_t)(s + i - g.ip);
    g.fp = s + i; g.fl = 0;
    if (i < n && s[i] == '.') {
        g.fp = s + ++i;
        while (i < n && crioimg__json_digit(s[i])) i++;
        g.fl = (size_t)(s + i - g.fp);
    }
    if (i < n) {   /* the exponent */
        i++;
        if (s[i] == '+' || s[i] == '-') eneg = s[i++] == '-';
        for (; i < n; i++) {
            size_t dg = (size_t)(s[i] - '0');
            emag = emag <= (bound - dg) / 10 ? emag * 10 + dg : bound;
        }
    }
    total = g.il + g.fl;
    for (first = 0; first < total && crioimg__json_digit_at(&g, first) == 0; first++) {}
    if (first == total) v = 0;   /* zero, whatever the sign and exponent */
    else {
        for (last = total - 1; crioimg__json_digit_at(&g, last) == 0; last--) {}
        up = (eneg ? 0 : emag) + (total - 1 - last);   /* E plus the trailing zeros */
        down = (eneg ? emag : 0) + g.fl;
        if (up < down) return CRIOIMG_ERR_JSON_TYPE;
        e = up - down;
        if (last - first + 1 + e > 19) return CRIOIMG_ERR_JSON_RANGE;
        for (j = first; j <= last; j++) mag = mag * 10 + (unsigned long long)crioimg__json_digit_at(&g, j);
        for (j = 0; j < e; j++) mag *= 10;   /* at most 19 digits: below 2^64 */
        lim = (unsigned long long)LLONG_MAX + (neg ? 1u : 0u);
        if (mag > lim) return CRIOIMG_ERR_JSON_RANGE;
        v = !neg ? (long long)mag : mag == lim ? LLONG_MIN : -(long long)mag;
    }
    if (v < min || v > max) return CRIOIMG_ERR_JSON_RANGE;
    if (out) *out = v;
    return CRIOIMG_OK;
}

/* ---- the writer ---- */

static void crioimg__jw_fail(crioimg_json_writer *w, crioimg_result r)
{
    if (!w->failed) w->failed = (int)r;
}

/* Room for n more bytes and the NUL, growing geometrically. */
static int crioimg__jw_reserve(crioimg_json_writer *w, size_t n)
{
    size_t need, ncap;
    char *b;
    if (w->failed) return 0;
    if (n > (size_t)-1 - 1 - w->len) { crioimg__jw_fail(w, CRIOIMG_ERR_NOMEM); return 0; }
    need = w->len + n + 1;
    if (need <= w->cap) return 1;
    ncap = w->cap ? w->cap : 64;
    while (ncap < need) ncap = ncap > (size_t)-1 / 2 ? need : ncap * 2;
    if ((b = (char *)crioimg_realloc(&w->alloc, w->buf, ncap)) == NULL) { crioimg__jw_fail(w, CRIOIMG_ERR_NOMEM); return 0; }
    w->buf = b;
    w->cap = ncap;
    return 1;
}

static void crioimg__jw_put(crioimg_json_writer *w, const char *s, size_t n)
{
    if (!crioimg__jw_reserve(w, n)) return;
    memcpy(w->buf + w->len, s, n);
    w->len += n;
    w->buf[w->len] = '\0';
}

static void crioimg__jw_quoted(crioimg_json_writer *w, const char *s, size_t n)
{
    size_t need;
    if (s == NULL && n > 0) { crioimg__jw_fail(w, CRIOIMG_ERR_INVALID_ARGS); return; }
    need = crioimg_json_quote(NULL, 0, s ? s : "", n);
    if (!crioimg__jw_reserve(w, need)) return;
    w->len += crioimg_json_quote(w->buf + w->len, need + 1, s ? s : "", n);
}

/* The bit of the innermost open container (depth > 0). */
static unsigned long long crioimg__jw_bit(const crioimg_json_writer *w) { return 1ull << (w->depth - 1); }

/* Before any value: it must have a place (the top, once; after a key in an object; anywhere in an
   array) and gets its comma. 0 when the writer has failed. */
static int crioimg__jw_value(crioimg_json_writer *w)
{
    unsigned long long bit;
    if (w->failed) return 0;
    if (w->depth == 0) {
        if (w->len > 0) { crioimg__jw_fail(w, CRIOIMG_ERR_INVALID_ARGS); return 0; }
        return 1;
    }
    bit = crioimg__jw_bit(w);
    if (w->object & bit) {
        if (!w->after_key) { crioimg__jw_fail(w, CRIOIMG_ERR_INVALID_ARGS); return 0; }
        w->after_key = 0;
        return 1;
    }
    if (!(w->first & bit)) crioimg__jw_put(w, ",", 1);
    w->first &= ~bit;
    return !w->failed;
}

static void crioimg__jw_open(crioimg_json_writer *w, int object)
{
    unsigned long long bit;
    if (!crioimg__jw_value(w)) return;
    if (w->depth == CRIOIMG_JSON_WRITER_DEPTH) { crioimg__jw_fail(w, CRIOIMG_ERR_JSON_TOO_DEEP); return; }
    crioimg__jw_put(w, object ? "{" : "[", 1);
    w->depth++;
    bit = crioimg__jw_bit(w);
    w->first |= bit;
    if (object) w->object |= bit; else w->object &= ~bit;
}

static void crioimg__jw_close(crioimg_json_writer *w, int object)
{
    if (w->failed) return;
    if (w->depth == 0 || !(w->object & crioimg__jw_bit(w)) != !object || w->after_key) {
        crioimg__jw_fail(w, CRIOIMG_ERR_INVALID_ARGS);
        return;
    }
    crioimg__jw_put(w, object ? "}" : "]", 1);
    w->depth--;
}

void crioimg_json_writer_init(crioimg_json_writer *w, const crioimg_allocator *alloc)
{
    memset(w, 0, sizeof *w);
    if (alloc == NULL) return;
    if (crioimg_allocator_check(alloc) != CRIOIMG_OK) crioimg__jw_fail(w, CRIOIMG_ERR_INVALID_ARGS);
    else w->alloc = *alloc;
}

void crioimg_json_write_object_begin(crioimg_json_writer *w) { crioimg__jw_open(w, 1); }
void crioimg_json_write_object_end(crioimg_json_writer *w) { crioimg__jw_close(w, 1); }
void crioimg_json_write_array_begin(crioimg_json_writer *w) { crioimg__jw_open(w, 0); }
void crioimg_json_write_array_end(crioimg_json_writer *w) { crioimg__jw_close(w, 0); }

void crioimg_json_write_key(crioimg_json_writer *w, const char *key, size_t n)
{
    unsigned long long bit;
    if (w->failed) return;
    if (w->depth == 0 || !(w->object & (bit = crioimg__jw_bit(w))) || w->after_key) {
        crioimg__jw_fail(w, CRIOIMG_ERR_INVALID_ARGS);
        return;
    }
    if (!(w->first & bit)) crioimg__jw_put(w, ",", 1);
    w->first &= ~bit;
    crioimg__jw_quoted(w, key, n);
    crioimg__jw_put(w, ":", 1);
    w->after_key = 1;
}

void crioimg_json_write_string(crioimg_json_writer *w, const char *s, size_t n)
{
    if (crioimg__jw_value(w)) crioimg__jw_quoted(w, s, n);
}

void crioimg_json_write_int(crioimg_json_writer *w, long long v)
{
    char b[21];
    size_t n = 0;
    /* the magnitude in unsigned arithmetic, where LLONG_MIN's has room */
    unsigned long long m = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
    if (!crioimg__jw_value(w)) return;
    if (v < 0) b[n++] = '-';
    n += crioimg__json_utoa(b + n, m);
    crioimg__jw_put(w, b, n);
}

void crioimg_json_write_number(crioimg_json_writer *w, const char *text, size_t n)
{
    if (w->failed) return;
    if (text == NULL || n == 0 || crioimg__json_number_len(text, n) != n) { crioimg__jw_fail(w, CRIOIMG_ERR_INVALID_ARGS); return; }
    if (crioimg__jw_value(w)) crioimg__jw_put(w, text, n);
}

void crioimg_json_write_bool(crioimg_json_writer *w, int v)
{
    if (crioimg__jw_value(w)) crioimg__jw_put(w, v ? "true" : "false", v ? 4 : 5);
}

void crioimg_json_write_null(crioimg_json_writer *w)
{
    if (crioimg__jw_value(w)) crioimg__jw_put(w, "null", 4);
}

crioimg_result crioimg_json_writer_finish(crioimg_json_writer *w, const char **text, size_t *len)
{
    if (text) *text = NULL;
    if (len) *len = 0;
    if (w->failed) return (crioimg_result)w->failed;
    if (w->len == 0 || w->depth != 0 || w->after_key) return CRIOIMG_ERR_INVALID_ARGS;
    if (text) *text = w->buf;
    if (len) *len = w->len;
    return CRIOIMG_OK;
}

void crioimg_json_writer_free(crioimg_json_writer *w)
{
    if (w == NULL) return;
    crioimg_free(&w->alloc, w->buf);
    w->buf = NULL;
    w->len = w->cap = 0;
}

/* ==== src/manifest.c ==== */
/* ---------------------------------------------------------------------------------------------------
   manifest implementation
   --------------------------------------------------------------------------------------------------- */

/* ---- an arena: every string and array a parsed manifest exposes lives in a few blocks, freed together */

typedef struct crioimg__arena_block { struct crioimg__arena_block *next; size_t used, cap; } crioimg__arena_block;

/* size bytes from the arena whose head is *head, aligned for any field we store; NULL when out of memory */
static void *crioimg__arena_alloc(void **head, const crioimg_allocator *a, size_t size)
{
    crioimg__arena_block *b = (crioimg__arena_block *)*head;
    const size_t align = sizeof(long long) > sizeof(void *) ? sizeof(long long) : sizeof(void *);
    size_t hdr = (sizeof(crioimg__arena_block) + align - 1) / align * align;
    size = (size + align - 1) / align * align;
    if (b == NULL || b->cap - b->used < size) {
        size_t cap = size > 16384 ? size : 16384;
        crioimg__arena_block *nb = (crioimg__arena_block *)crioimg_malloc(a, hdr + cap);
        if (nb == NULL) return NULL;
        nb->next = b; nb->used = 0; nb->cap = cap;
        *head = b = nb;
    }
    b->used += size;
    return (char *)b + hdr + b->used - size;
}

static void crioimg__arena_free(void **head, const crioimg_allocator *a)
{
    crioimg__arena_block *b = (crioimg__arena_block *)*head;
    while (b) { crioimg__arena_block *n = b->next; crioimg_free(a, b); b = n; }
    *head = NULL;
}

/* ---- the parse context ---- */

typedef struct crioimg__mf {
    const crioimg_json *doc;
    void **arena;
    const crioimg_allocator *alloc;
    char *err;          /* 256 bytes */
    crioimg_result r;   /* the first error */
} crioimg__mf;

/* Records the first error: text (with an optional quoted part) */
static crioimg_result crioimg__mf_fail(crioimg__mf *c, crioimg_result r, const char *where, const char *what, const char *q)
{
    crioimg__out o;
    if (c->r != CRIOIMG_OK) return c->r;
    o.p = c->err; o.cap = 256; o.len = 0;
    if (where && *where) { crioimg__out_str(&o, where); crioimg__out_str(&o, ": "); }
    crioimg__out_str(&o, what);
    if (q) { crioimg__out_str(&o, " \""); crioimg__out_str(&o, q); crioimg__out_str(&o, "\""); }
    c->r = r;
    return r;
}

static const char *crioimg__mf_str(crioimg__mf *c, size_t tok)
{
    size_t n = crioimg_json_string(c->doc, tok, NULL, 0);
    char *s = (char *)crioimg__arena_alloc(c->arena, c->alloc, n + 1);
    if (s == NULL) { crioimg__mf_fail(c, CRIOIMG_ERR_NOMEM, "", "out of memory", NULL); return NULL; }
    crioimg_json_string(c->doc, tok, s, n + 1);
    if (memchr(s, '\0', n)) {  /* "\u0000": a C string would end there, Go's would not: refused */
        crioimg__mf_fail(c, CRIOIMG_ERR_MANIFEST_INVALID, "", "a string holds a NUL character", NULL);
        return NULL;
    }
    return s;
}

/* An optional string member: "" when absent, NULL (with the error set) when present but not a string */
static const char *crioimg__mf_opt_str(crioimg__mf *c, size_t obj, const char *key, const char *where)
{
    size_t t = crioimg_json_get(c->doc, obj, key);
    if (t == CRIOIMG_JSON_NONE || c->doc->tok[t].type == CRIOIMG_JSON_NULL) return "";
    if (c->doc->tok[t].type != CRIOIMG_JSON_STRING) { crioimg__mf_fail(c, CRIOIMG_ERR_MANIFEST_INVALID, where, "not a string:", key); return NULL; }
    return crioimg__mf_str(c, t);
}

/* Go's encoding/json matches keys to fields with strings.EqualFold, so to Go {"Layers": ...} and
   {"layer\u017f": ...} are "layers". A key that folds to a known field without being it is refused:
   what Go would read, we would not. */
static int crioimg__mf_keys(crioimg__mf *c, size_t obj, const char *const *known, const char *where)
{
    const crioimg_json *d = c->doc;
    size_t i, k, n;
    if (d->tok[obj].type != CRIOIMG_JSON_OBJECT)
        return crioimg__mf_fail(c, CRIOIMG_ERR_MANIFEST_INVALID, where, "not a JSON object", NULL) == CRIOIMG_OK;
    for (i = obj + 1, n = 0; n < d->tok[obj].count; n++, i = d->tok[i + 1].next) {
        char key[64];
        size_t kl = crioimg_json_string(d, i, key, sizeof key);
        if (kl >= sizeof key) continue;
        for (k = 0; known[k]; k++)
            if (crioimg__go_fold_eq(key, kl, known[k]) && !(kl == strlen(known[k]) && memcmp(key, known[k], kl) == 0)) {
                crioimg__mf_fail(c, CRIOIMG_ERR_MANIFEST_INVALID, where, "key differs from a known field only in case:", key);
                return 0;
            }
    }
    return 1;
}

/* ---- descriptors ---- */

/* an integer written as one, as Go decodes into int64/int: "1e3" and "1.0" are not */
static int crioimg__mf_int(const crioimg_json *doc, size_t t, long long min, long long max, long long *v)
{
    const crioimg_json_token *k;
    size_t i;
    if (t >= doc->ntok || doc->tok[t].type != CRIOIMG_JSON_NUMBER) return 0;
    k = &doc->tok[t];
    for (i = 0; i < k->len; i++) {
        char ch = doc->buf[k->start + i];
        if (ch == '.' || ch == 'e' || ch == 'E') return 0;
    }
    return crioimg_json_int(doc, t, min, max, v) == CRIOIMG_OK;
}

/* a descriptor's digest: the OCI grammar first, before it is used anywhere (CVE-2024-3727). An unknown
   algorithm passes here and is refused wherever content must be verified. */
static int crioimg__mf_digest_ok(const char *d)
{
    crioimg_digest dg;
    return crioimg_digest_parse(&dg, d, strlen(d)) == CRIOIMG_OK;
}

/* embedded data against its descriptor's digest (the digest already parsed once) */
static int crioimg__mf_data_matches(const char *d, const unsigned char *data, size_t n)
{
    crioimg_digest dg;
    return crioimg_digest_parse(&dg, d, strlen(d)) == CRIOIMG_OK && crioimg_digest_verify(&dg, data, n) == CRIOIMG_OK;
}

static int crioimg__mf_url_ok(const char *u)
{
    return strncmp(u, "https://", 8) == 0 || strncmp(u, "http://", 7) == 0;
}

static int crioimg__mf_platform(crioimg__mf *c, size_t t, crioimg_platform *p, const char *where)
{
    static const char *const known[] = { "architecture", "os", "os.version", "os.features", "variant", "features", NULL };
    if (!crioimg__mf_keys(c, t, known, where)) return 0;
    p->os = crioimg__mf_opt_str(c, t, "os", where);
    p->architecture = crioimg__mf_opt_str(c, t, "architecture", where);
    p->variant = crioimg__mf_opt_str(c, t, "variant", where);
    p->os_version = crioimg__mf_opt_str(c, t, "os.version", where);
    if (!p->os || !p->architecture || !p->variant || !p->os_version) return 0;
    if (!*p->os || !*p->architecture) {
        crioimg__mf_fail(c, CRIOIMG_ERR_MANIFEST_INVALID, where, "platform needs os and architecture", NULL);
        return 0;
    }
    return 1;
}

/* annotations: absent, null, or an object of strings */
static int crioimg__mf_annotations(crioimg__mf *c, size_t x, const char *where)
{
    const crioimg_json *doc = c->doc;
    size_t i, k;
    if (x == CRIOIMG_JSON_NONE || doc->tok[x].type == CRIOIMG_JSON_NULL) return 1;
    if (doc->tok[x].type != CRIOIMG_JSON_OBJECT)
        return crioimg__mf_fail(c, CRIOIMG_ERR_MANIFEST_INVALID, where, "annotations is not an object", NULL) == CRIOIMG_OK;
    for (i = x + 1, k = 0; k < doc->tok[x].count; k++, i = doc->tok[i + 1].next)
        if (doc->tok[i + 1].type != CRIOIMG_JSON_STRING)
            return crioimg__mf_fail(c, CRIOIMG_ERR_MANIFEST_INVALID, where, "annotation values must be strings", NULL) == CRIOIMG_OK;
    return 1;
}

static int crioimg__mf_descriptor(crioimg__mf *c, size_t t, crioimg_descriptor *d, const char *where)
{
    static const char *const known[] = { "mediaType", "digest", "size", "urls", "annotations", "data", "platform", "artifactType", NULL };
    const crioimg_json *doc = c->doc;
    size_t x;
    long long size;
    memset(d, 0, sizeof *d);
    if (!crioimg__mf_keys(c, t, known, where)) return 0;
    if ((x = crioimg_json_get(doc, t, "mediaType")) == CRIOIMG_JSON_NONE || doc->tok[x].type != CRIOIMG_JSON_STRING)
        return crioimg__mf_fail(c, CRIOIMG_ERR_MANIFEST_INVALID, where, "mediaType missing or not a string", NULL) == CRIOIMG_OK;
    if (!(d->media_type = crioimg__mf_str(c, x))) return 0;
    if ((x = crioimg_json_get(doc, t, "digest")) == CRIOIMG_JSON_NONE || doc->tok[x].type != CRIOIMG_JSON_STRING)
        return crioimg__mf_fail(c, CRIOIMG_ERR_MANIFEST_INVALID, where, "digest missing or not a string", NULL) == CRIOIMG_OK;
    if (!(d->digest = crioimg__mf_str(c, x))) return 0;
    if (!crioimg__mf_digest_ok(d->digest)) {
        char why[200];
        crioimg_digest dg;
        crioimg_digest_error_message(crioimg_digest_parse(&dg, d->digest, strlen(d->digest)), d->digest, strlen(d->digest), why, sizeof why);
        return crioimg__mf_fail(c, CRIOIMG_ERR_MANIFEST_INVALID, where, why, NULL) == CRIOIMG_OK;
    }
    if ((x = crioimg_json_get(doc, t, "size")) == CRIOIMG_JSON_NONE || !crioimg__mf_int(doc, x, 0, 0x7fffffffffffffffLL, &size))
        return crioimg__mf_fail(c, CRIOIMG_ERR_MANIFEST_INVALID, where, "size missing, negative or not an integer", NULL) == CRIOIMG_OK;
    d->size = size;
    if ((x = crioimg_json_get(doc, t, "urls")) != CRIOIMG_JSON_NONE && doc->tok[x].type != CRIOIMG_JSON_NULL) {
        size_t i, k;
        const char **urls;
        if (doc->tok[x].type != CRIOIMG_JSON_ARRAY)
            return crioimg__mf_fail(c, CRIOIMG_ERR_MANIFEST_INVALID, where, "urls is not an array", NULL) == CRIOIMG_OK;
        urls = (const char **)crioimg__arena_alloc(c->arena, c->alloc, (doc->tok[x].count + 1) * sizeof *urls);
        if (!urls) return crioimg__mf_fail(c, CRIOIMG_ERR_NOMEM, "", "out of memory", NULL) == CRIOIMG_OK;
        for (i = x + 1, k = 0; k < doc->tok[x].count; k++, i = doc->tok[i].next) {
            if (doc->tok[i].type != CRIOIMG_JSON_STRING || !(urls[k] = crioimg__mf_str(c, i)) || !crioimg__mf_url_ok(urls[k]))
                return crioimg__mf_fail(c, CRIOIMG_ERR_MANIFEST_INVALID, where, "urls: only http and https URLs are allowed", NULL) == CRIOIMG_OK;
        }
        d->urls = urls;
        d->nurls = k;
    }
    if (!crioimg__mf_annotations(c, crioimg_json_get(doc, t, "annotations"), where)) return 0;
    if ((x = crioimg_json_get(doc, t, "data")) != CRIOIMG_JSON_NONE && doc->tok[x].type != CRIOIMG_JSON_NULL) {
        size_t n, dl;
        char *b64;
        unsigned char *bytes;
        if (doc->tok[x].type != CRIOIMG_JSON_STRING)
            return crioimg__mf_fail(c, CRIOIMG_ERR_MANIFEST_INVALID, where, "data is not a string", NULL) == CRIOIMG_OK;
        if (!(b64 = (char *)crioimg__mf_str(c, x))) return 0;
        n = strlen(b64);
        if (!(bytes = (unsigned char *)crioimg__arena_alloc(c->arena, c->alloc, (n + 3) / 4 * 3 + 1)))
            return crioimg__mf_fail(c, CRIOIMG_ERR_NOMEM, "", "out of memory", NULL) == CRIOIMG_OK;
        if ((dl = crioimg__base64_decode(b64, n, bytes, (n + 3) / 4 * 3, 1)) == (size_t)-1)
            return crioimg__mf_fail(c, CRIOIMG_ERR_MANIFEST_INVALID, where, "data is not valid base64", NULL) == CRIOIMG_OK;
        if ((long long)dl != d->size)
            return crioimg__mf_fail(c, CRIOIMG_ERR_SIZE_MISMATCH, where, "embedded data does not match the descriptor's size", NULL) == CRIOIMG_OK;
        if (!crioimg__mf_data_matches(d->digest, bytes, dl))
            return crioimg__mf_fail(c, CRIOIMG_ERR_DIGEST_MISMATCH, where, "embedded data does not match the descriptor's digest", NULL) == CRIOIMG_OK;
        d->data = bytes;
        d->data_len = dl;
        d->has_data = 1;
    }
    if ((x = crioimg_json_get(doc, t, "platform")) != CRIOIMG_JSON_NONE && doc->tok[x].type != CRIOIMG_JSON_NULL) {
        if (!crioimg__mf_platform(c, x, &d->platform, where)) return 0;
        d->has_platform = 1;
    } else {
        d->platform.os = d->platform.architecture = d->platform.variant = d->platform.os_version = "";
    }
    if (!(d->artifact_type = crioimg__mf_opt_str(c, t, "artifactType", where))) return 0;
    return 1;
}

/* an array of descriptors into the arena */
static int crioimg__mf_descriptors(crioimg__mf *c, size_t t, const char *name, const crioimg_descriptor **out, size_t *n)
{
    const crioimg_json *doc = c->doc;
    crioimg_descriptor *ds;
    size_t i, k, count;
    if (doc->tok[t].type != CRIOIMG_JSON_ARRAY)
        return crioimg__mf_fail(c, CRIOIMG_ERR_MANIFEST_INVALID, name, "not an array", NULL) == CRIOIMG_OK;
    count = doc->tok[t].count;
    ds = (crioimg_descriptor *)crioimg__arena_alloc(c->arena, c->alloc, (count ? count : 1) * sizeof *ds);
    if (!ds) return crioimg__mf_fail(c, CRIOIMG_ERR_NOMEM, "", "out of memory", NULL) == CRIOIMG_OK;
    for (i = t + 1, k = 0; k < count; k++, i = doc->tok[i].next) {
        char where[48];
        crioimg__out o;
        o.p = where; o.cap = sizeof where; o.len = 0;
        crioimg__out_str(&o, name);
        crioimg__out_put(&o, "[", 1);
        crioimg__out_uint(&o, k);
        crioimg__out_put(&o, "]", 1);
        if (!crioimg__mf_descriptor(c, i, &ds[k], where)) return 0;
    }
    *out = ds;
    *n = count;
    return 1;
}

/* ---- the document ---- */

/* The Content-Type's media type: without parameters and surrounding spaces; "" when it says nothing
   (absent, or a generic type some registries send). */
static size_t crioimg__mf_content_type(const char *ct, const char **start)
{
    size_t n;
    *start = "";
    if (ct == NULL) return 0;
    while (*ct == ' ' || *ct == '\t') ct++;
    for (n = 0; ct[n] && ct[n] != ';' && ct[n] != ' ' && ct[n] != '\t'; n++) {}
    if (crioimg__ascii_ieq(ct, n, "application/json") || crioimg__ascii_ieq(ct, n, "text/plain") ||
        crioimg__ascii_ieq(ct, n, "application/octet-stream"))
        return 0;
    *start = ct;
    return n;
}

/* exact, as containers/image compares media types */
static int crioimg__mf_is(const char *type, size_t n, const char *lit)
{
    return n == strlen(lit) && memcmp(type, lit, n) == 0;
}

static crioimg_manifest_kind crioimg__mf_kind_of(const char *type, size_t n)
{
    if (crioimg__mf_is(type, n, CRIOIMG_MEDIA_OCI_MANIFEST)) return CRIOIMG_MANIFEST_OCI;
    if (crioimg__mf_is(type, n, CRIOIMG_MEDIA_OCI_INDEX)) return CRIOIMG_MANIFEST_OCI_INDEX;
    if (crioimg__mf_is(type, n, CRIOIMG_MEDIA_DOCKER_MANIFEST)) return CRIOIMG_MANIFEST_DOCKER_V2;
    if (crioimg__mf_is(type, n, CRIOIMG_MEDIA_DOCKER_LIST)) return CRIOIMG_MANIFEST_DOCKER_LIST;
    return CRIOIMG_MANIFEST_UNKNOWN;
}

static const char *crioimg__mf_kind_type(crioimg_manifest_kind k)
{
    switch (k) {
    case CRIOIMG_MANIFEST_OCI: return CRIOIMG_MEDIA_OCI_MANIFEST;
    case CRIOIMG_MANIFEST_OCI_INDEX: return CRIOIMG_MEDIA_OCI_INDEX;
    case CRIOIMG_MANIFEST_DOCKER_V2: return CRIOIMG_MEDIA_DOCKER_MANIFEST;
    case CRIOIMG_MANIFEST_DOCKER_LIST: return CRIOIMG_MEDIA_DOCKER_LIST;
    default: return "";
    }
}

static int crioimg__mf_is_schema1(const char *type, size_t n)
{
    return crioimg__mf_is(type, n, CRIOIMG_MEDIA_DOCKER_SCHEMA1) || crioimg__mf_is(type, n, CRIOIMG_MEDIA_DOCKER_SCHEMA1_SIGNED);
}

/* The type from the document's shape, as containers/image's GuessMIMEType guesses when no mediaType is
   given (OCI image-spec before 1.0.2 did not require it). */
static crioimg_manifest_kind crioimg__mf_guess(crioimg__mf *c, size_t cfg, size_t manifests)
{
    const crioimg_json *doc = c->doc;
    if (cfg != CRIOIMG_JSON_NONE) {
        size_t mt = crioimg_json_get(doc, cfg, "mediaType");
        if (mt != CRIOIMG_JSON_NONE && crioimg_json_string_eq(doc, mt, CRIOIMG_MEDIA_DOCKER_CONFIG, strlen(CRIOIMG_MEDIA_DOCKER_CONFIG)))
            return CRIOIMG_MANIFEST_DOCKER_V2;
        return CRIOIMG_MANIFEST_OCI;  /* an OCI image, or an artifact with its own config type */
    }
    if (manifests != CRIOIMG_JSON_NONE) return CRIOIMG_MANIFEST_OCI_INDEX;
    return CRIOIMG_MANIFEST_UNKNOWN;
}

static crioimg_result crioimg__mf_parse_doc(crioimg_manifest *m, crioimg__mf *c, const char *ct)
{
    static const char *const known[] = { "schemaVersion", "mediaType", "config", "layers", "manifests", "subject",
                                         "annotations", "artifactType", "signatures", "fsLayers", "history", NULL };
    const crioimg_json *doc = c->doc;
    size_t sv, mt, cfg, layers, manifests, subject, ctn, tn;
    const char *ctype, *type;
    long long version;
    if (doc->tok[0].type != CRIOIMG_JSON_OBJECT) return crioimg__mf_fail(c, CRIOIMG_ERR_MANIFEST_INVALID, "", "a manifest must be a JSON object", NULL);
    if (!crioimg__mf_keys(c, 0, known, "")) return c->r;
    cfg = crioimg_json_get(doc, 0, "config");
    layers = crioimg_json_get(doc, 0, "layers");
    manifests = crioimg_json_get(doc, 0, "manifests");
    subject = crioimg_json_get(doc, 0, "subject");
    if (manifests != CRIOIMG_JSON_NONE && (layers != CRIOIMG_JSON_NONE || cfg != CRIOIMG_JSON_NONE))
        return crioimg__mf_fail(c, CRIOIMG_ERR_MANIFEST_AMBIGUOUS, "", "a document with both \"manifests\" and \"layers\" or \"config\" is refused (CVE-2021-41190)", NULL);
    if ((sv = crioimg_json_get(doc, 0, "schemaVersion")) == CRIOIMG_JSON_NONE || !crioimg__mf_int(doc, sv, 0, 1000, &version))
        return crioimg__mf_fail(c, CRIOIMG_ERR_MANIFEST_INVALID, "", "schemaVersion missing or not an integer", NULL);
    if (version == 1) return crioimg__mf_fail(c, CRIOIMG_ERR_MANIFEST_UNSUPPORTED, "", "Docker schema 1 manifests are not supported", NULL);
    if (version != 2) return crioimg__mf_fail(c, CRIOIMG_ERR_MANIFEST_UNSUPPORTED, "", "unsupported schemaVersion", NULL);
    ctn = crioimg__mf_content_type(ct, &ctype);
    mt = crioimg_json_get(doc, 0, "mediaType");
    if (mt != CRIOIMG_JSON_NONE) {
        if (doc->tok[mt].type != CRIOIMG_JSON_STRING) return crioimg__mf_fail(c, CRIOIMG_ERR_MANIFEST_INVALID, "", "mediaType is not a string", NULL);
        if (!(type = crioimg__mf_str(c, mt))) return c->r;
        tn = strlen(type);
        if (ctn && !crioimg__ascii_ieq(ctype, ctn, type))
            return crioimg__mf_fail(c, CRIOIMG_ERR_MANIFEST_MEDIA_TYPE, "", "mediaType disagrees with the Content-Type: mediaType is", type);
    } else if (ctn) {
        type = ctype; tn = ctn;
    } else {
        type = crioimg__mf_kind_type(crioimg__mf_guess(c, cfg, manifests));
        tn = strlen(type);
    }
    if (crioimg__mf_is_schema1(type, tn)) return crioimg__mf_fail(c, CRIOIMG_ERR_MANIFEST_UNSUPPORTED, "", "Docker schema 1 manifests are not supported", NULL);
    m->kind = crioimg__mf_kind_of(type, tn);
    if (m->kind == CRIOIMG_MANIFEST_UNKNOWN) return crioimg__mf_fail(c, CRIOIMG_ERR_MANIFEST_UNSUPPORTED, "", "unsupported manifest type", tn ? type : "(none)");
    m->media_type = crioimg__mf_kind_type(m->kind);
    {   /* validateUnambiguousManifestFormat: only its own type's fields (schema 1's are another type's) */
        int image = m->kind == CRIOIMG_MANIFEST_OCI || m->kind == CRIOIMG_MANIFEST_DOCKER_V2;
        if (crioimg_json_get(doc, 0, "fsLayers") != CRIOIMG_JSON_NONE || crioimg_json_get(doc, 0, "history") != CRIOIMG_JSON_NONE ||
            (!image && (cfg != CRIOIMG_JSON_NONE || layers != CRIOIMG_JSON_NONE)) || (image && manifests != CRIOIMG_JSON_NONE))
            return crioimg__mf_fail(c, CRIOIMG_ERR_MANIFEST_AMBIGUOUS, "", "fields of another manifest type are refused (CVE-2021-41190) in", type);
    }
    if (m->kind == CRIOIMG_MANIFEST_OCI || m->kind == CRIOIMG_MANIFEST_DOCKER_V2) {
        if (cfg == CRIOIMG_JSON_NONE) return crioimg__mf_fail(c, CRIOIMG_ERR_MANIFEST_INVALID, "", "an image manifest needs a config", NULL);
        if (layers == CRIOIMG_JSON_NONE) return crioimg__mf_fail(c, CRIOIMG_ERR_MANIFEST_INVALID, "", "an image manifest needs layers", NULL);
        if (!crioimg__mf_descriptor(c, cfg, &m->config, "config")) return c->r;
        if (!crioimg__mf_descriptors(c, layers, "layers", &m->layers, &m->nlayers)) return c->r;
    } else {
        if (manifests == CRIOIMG_JSON_NONE) return crioimg__mf_fail(c, CRIOIMG_ERR_MANIFEST_INVALID, "", "an index needs manifests", NULL);
        if (!crioimg__mf_descriptors(c, manifests, "manifests", &m->manifests, &m->nmanifests)) return c->r;
    }
    if (!crioimg__mf_annotations(c, crioimg_json_get(doc, 0, "annotations"), "")) return c->r;
    if (subject != CRIOIMG_JSON_NONE && doc->tok[subject].type != CRIOIMG_JSON_NULL) {
        if (!crioimg__mf_descriptor(c, subject, &m->subject, "subject")) return c->r;
        m->has_subject = 1;
    }
    return CRIOIMG_OK;
}

/* A JSON error into the manifest's message, with where it was found. */
static crioimg_result crioimg__mf_json_fail(char *err, const crioimg_json *doc, crioimg_result r, size_t max)
{
    crioimg__out o;
    o.p = err; o.cap = 256; o.len = 0;
    if (r == CRIOIMG_ERR_JSON_TOO_BIG) {
        crioimg__out_str(&o, "exceeded maximum allowed size of ");
        crioimg__out_uint(&o, max);
        crioimg__out_str(&o, " bytes");
        return CRIOIMG_ERR_TOO_BIG;
    }
    crioimg__out_str(&o, doc->err[0] ? doc->err : crioimg_result_str(r));
    crioimg__out_str(&o, " at byte ");
    crioimg__out_uint(&o, doc->err_offset);
    return r;
}

/* the JSON options every manifest and config is read with */
static void crioimg__mf_json_opts(crioimg_json_opts *jo, const crioimg_manifest_opts *opts, size_t *max)
{
    memset(jo, 0, sizeof *jo);
    *max = opts && opts->max_size ? opts->max_size : CRIOIMG_MANIFEST_MAX_SIZE;
    jo->max_size = *max;
    jo->max_depth = 32;
    jo->max_tokens = (size_t)1 << 17;  /* about 10,000 layers' worth; bounds memory to ~5 MiB of tokens */
    jo->allow_duplicates = 0;
    if (opts) jo->alloc = opts->alloc;
}

crioimg_result crioimg_manifest_parse(crioimg_manifest *m, const char *buf, size_t len, const char *content_type,
                                      const crioimg_manifest_opts *opts)
{
    crioimg_json_opts jo;
    crioimg_json doc;
    crioimg__mf c;
    crioimg_result r;
    size_t max;
    if (m == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    memset(m, 0, sizeof *m);
    if (opts) m->alloc = opts->alloc;
    if ((buf == NULL && len) || crioimg_allocator_check(&m->alloc) != CRIOIMG_OK) return CRIOIMG_ERR_INVALID_ARGS;
    crioimg__mf_json_opts(&jo, opts, &max);
    if ((r = crioimg_json_parse(&doc, buf ? buf : "", len, &jo)) != CRIOIMG_OK) return crioimg__mf_json_fail(m->err, &doc, r, max);
    c.doc = &doc; c.arena = &m->arena; c.alloc = &m->alloc; c.err = m->err; c.r = CRIOIMG_OK;
    r = crioimg__mf_parse_doc(m, &c, content_type);
    crioimg_json_free(&doc);
    if (r != CRIOIMG_OK) {
        char keep[256];
        memcpy(keep, m->err, sizeof keep);
        crioimg_manifest_free(m);
        memcpy(m->err, keep, sizeof keep);
    }
    return r;
}

void crioimg_manifest_free(crioimg_manifest *m)
{
    crioimg_allocator a;
    if (m == NULL) return;
    a = m->alloc;
    crioimg__arena_free(&m->arena, &a);
    memset(m, 0, sizeof *m);
    m->alloc = a;
}

/* ---- platforms ---- */

void crioimg_platform_current(crioimg_platform *p)
{
    p->os_version = "";
    p->variant = "";
#if defined(__linux__)
    p->os = "linux";
#elif defined(__APPLE__)
    p->os = "darwin";
#elif defined(_WIN32)
    p->os = "windows";
#elif defined(__FreeBSD__)
    p->os = "freebsd";
#else
    p->os = "linux";
#endif
#if defined(__x86_64__) || defined(_M_X64)
    p->architecture = "amd64";
#elif defined(__aarch64__) || defined(_M_ARM64)
    p->architecture = "arm64";
    p->variant = "v8";
#elif defined(__arm__)
    p->architecture = "arm";
#  if defined(__ARM_ARCH) && __ARM_ARCH >= 8
    p->variant = "v8";
#  elif defined(__ARM_ARCH) && __ARM_ARCH == 7
    p->variant = "v7";
#  elif defined(__ARM_ARCH) && __ARM_ARCH == 6
    p->variant = "v6";
#  else
    p->variant = "v5";
#  endif
#elif defined(__i386__) || defined(_M_IX86)
    p->architecture = "386";
#elif defined(__powerpc64__) && defined(__LITTLE_ENDIAN__)
    p->architecture = "ppc64le";
#elif defined(__powerpc64__)
    p->architecture = "ppc64";
#elif defined(__s390x__)
    p->architecture = "s390x";
#elif defined(__riscv) && __riscv_xlen == 64
    p->architecture = "riscv64";
#elif defined(__mips64) && defined(__MIPSEL__)
    p->architecture = "mips64le";
#elif defined(__mips64)
    p->architecture = "mips64";
#elif defined(__mips__) && defined(__MIPSEL__)
    p->architecture = "mipsle";
#elif defined(__mips__)
    p->architecture = "mips";
#elif defined(__loongarch64)
    p->architecture = "loong64";
#else
    p->architecture = "unknown";
#endif
}

crioimg_result crioimg_platform_parse(crioimg_platform *p, const char *s, char *buf, size_t cap)
{
    size_t n, i, parts = 1;
    char *f[3];
    if (p == NULL || s == NULL || buf == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    n = strlen(s);
    if (n + 1 > cap) return CRIOIMG_ERR_BUFFER_TOO_SMALL;
    memcpy(buf, s, n + 1);
    f[0] = buf;
    for (i = 0; i < n; i++)
        if (buf[i] == '/') {
            if (parts == 3) return CRIOIMG_ERR_INVALID_ARGS;
            buf[i] = '\0';
            f[parts++] = buf + i + 1;
        }
    if (parts < 2 || !*f[0] || !*f[1] || (parts == 3 && !*f[2])) return CRIOIMG_ERR_INVALID_ARGS;
    p->os = f[0];
    p->architecture = f[1];
    p->variant = parts == 3 ? f[2] : "";
    p->os_version = "";
    return CRIOIMG_OK;
}

/* The variants to try, most wanted first, as containers/image's WantedPlatforms lists them. */
static size_t crioimg__mf_variants(const crioimg_platform *want, const char *out[8])
{
    static const char *const arm[] = { "v8", "v7", "v6", "v5", NULL };
    static const char *const arm64[] = { "v8", NULL };
    const char *const *order = strcmp(want->architecture, "arm") == 0 ? arm : strcmp(want->architecture, "arm64") == 0 ? arm64 : NULL;
    size_t n = 0, i;
    if (want->variant && *want->variant) {
        int found = 0;
        for (i = 0; order && order[i]; i++) {
            if (strcmp(order[i], want->variant) == 0) found = 1;
            if (found) out[n++] = order[i];
        }
        if (!found) out[n++] = want->variant;
        out[n++] = "";
    } else {
        out[n++] = "";
        for (i = 0; order && order[i]; i++) out[n++] = order[i];
    }
    return n;
}

crioimg_result crioimg_manifest_choose(const crioimg_manifest *m, const crioimg_platform *want, size_t *which, char *err, size_t errcap)
{
    crioimg_platform here;
    const char *variants[8];
    size_t nv, v, i;
    crioimg__out o;
    o.p = err; o.cap = err ? errcap : 0; o.len = 0;
    if (o.cap) err[0] = '\0';
    if (m == NULL || which == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    if (m->kind != CRIOIMG_MANIFEST_OCI_INDEX && m->kind != CRIOIMG_MANIFEST_DOCKER_LIST) return CRIOIMG_ERR_INVALID_ARGS;
    if (want == NULL) { crioimg_platform_current(&here); want = &here; }
    nv = crioimg__mf_variants(want, variants);
    for (v = 0; v < nv; v++)
        for (i = 0; i < m->nmanifests; i++) {
            const crioimg_descriptor *d = &m->manifests[i];
            if (d->has_platform && strcmp(d->platform.os, want->os) == 0 &&
                strcmp(d->platform.architecture, want->architecture) == 0 && strcmp(d->platform.variant, variants[v]) == 0) {
                *which = i;
                return CRIOIMG_OK;
            }
        }
    if (m->kind == CRIOIMG_MANIFEST_OCI_INDEX)  /* OCI1Index.ChooseInstance only: a Docker list has no such fallback */
        for (i = 0; i < m->nmanifests; i++)
            if (!m->manifests[i].has_platform) { *which = i; return CRIOIMG_OK; }
    crioimg__out_str(&o, m->kind == CRIOIMG_MANIFEST_DOCKER_LIST ? "no image found in manifest list for architecture " : "no image found in image index for architecture ");
    crioimg__out_str(&o, want->architecture);
    crioimg__out_str(&o, ", variant \"");
    crioimg__out_str(&o, variants[0]);
    crioimg__out_str(&o, "\", OS ");
    crioimg__out_str(&o, want->os);
    crioimg__out_str(&o, "; available:");
    for (i = 0; i < m->nmanifests; i++) {
        const crioimg_platform *p = &m->manifests[i].platform;
        crioimg__out_str(&o, i ? ", " : " ");
        crioimg__out_str(&o, p->os);
        crioimg__out_put(&o, "/", 1);
        crioimg__out_str(&o, p->architecture);
        if (*p->variant) { crioimg__out_put(&o, "/", 1); crioimg__out_str(&o, p->variant); }
    }
    if (m->nmanifests == 0) crioimg__out_str(&o, " nothing");
    return CRIOIMG_ERR_PLATFORM_NOT_FOUND;
}

/* ---- image configuration ---- */

/* config.Labels: an object of strings, kept in document order */
static void crioimg__mf_labels(crioimg__mf *c, size_t l, crioimg_image_config *cf)
{
    const crioimg_json *doc = c->doc;
    size_t n = doc->tok[l].count, i, k;
    const char **keys = (const char **)crioimg__arena_alloc(c->arena, c->alloc, (n + 1) * sizeof *keys);
    const char **vals = (const char **)crioimg__arena_alloc(c->arena, c->alloc, (n + 1) * sizeof *vals);
    if (!keys || !vals) { crioimg__mf_fail(c, CRIOIMG_ERR_NOMEM, "", "out of memory", NULL); return; }
    for (i = l + 1, k = 0; k < n; k++, i = doc->tok[i + 1].next) {
        if (doc->tok[i + 1].type != CRIOIMG_JSON_STRING) { crioimg__mf_fail(c, CRIOIMG_ERR_MANIFEST_INVALID, "config", "label values must be strings", NULL); return; }
        if (!(keys[k] = crioimg__mf_str(c, i)) || !(vals[k] = crioimg__mf_str(c, i + 1))) return;
    }
    cf->label_keys = keys;
    cf->label_values = vals;
    cf->nlabels = n;
}

crioimg_result crioimg_image_config_parse(crioimg_image_config *cf, const char *buf, size_t len, const crioimg_manifest_opts *opts)
{
    static const char *const known[] = { "os", "architecture", "variant", "created", "config", "rootfs", "history", "author", "os.version", NULL };
    static const char *const known_cfg[] = { "User", "Labels", "Env", "Entrypoint", "Cmd", "WorkingDir", "ExposedPorts", "Volumes", "StopSignal", NULL };
    crioimg_json_opts jo;
    crioimg_json doc;
    crioimg__mf c;
    crioimg_result r;
    size_t max, t;
    if (cf == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    memset(cf, 0, sizeof *cf);
    if (opts) cf->alloc = opts->alloc;
    if ((buf == NULL && len) || crioimg_allocator_check(&cf->alloc) != CRIOIMG_OK) return CRIOIMG_ERR_INVALID_ARGS;
    crioimg__mf_json_opts(&jo, opts, &max);
    if ((r = crioimg_json_parse(&doc, buf ? buf : "", len, &jo)) != CRIOIMG_OK) return crioimg__mf_json_fail(cf->err, &doc, r, max);
    c.doc = &doc; c.arena = &cf->arena; c.alloc = &cf->alloc; c.err = cf->err; c.r = CRIOIMG_OK;
    cf->os = cf->architecture = cf->variant = cf->created = cf->user = "";
    if (crioimg__mf_keys(&c, 0, known, "") &&
        (cf->os = crioimg__mf_opt_str(&c, 0, "os", "")) && (cf->architecture = crioimg__mf_opt_str(&c, 0, "architecture", "")) &&
        (cf->variant = crioimg__mf_opt_str(&c, 0, "variant", "")) && (cf->created = crioimg__mf_opt_str(&c, 0, "created", ""))) {
        t = crioimg_json_get(&doc, 0, "config");
        if (t != CRIOIMG_JSON_NONE && doc.tok[t].type != CRIOIMG_JSON_NULL && crioimg__mf_keys(&c, t, known_cfg, "config") &&
            (cf->user = crioimg__mf_opt_str(&c, t, "User", "config"))) {
            size_t l = crioimg_json_get(&doc, t, "Labels");
            if (l != CRIOIMG_JSON_NONE && doc.tok[l].type != CRIOIMG_JSON_NULL) {
                if (doc.tok[l].type != CRIOIMG_JSON_OBJECT) crioimg__mf_fail(&c, CRIOIMG_ERR_MANIFEST_INVALID, "config", "Labels is not an object", NULL);
                else crioimg__mf_labels(&c, l, cf);
            }
        }
    }
    crioimg_json_free(&doc);
    if (c.r != CRIOIMG_OK) {
        char keep[256];
        memcpy(keep, cf->err, sizeof keep);
        crioimg_image_config_free(cf);
        memcpy(cf->err, keep, sizeof keep);
    }
    return c.r;
}

void crioimg_image_config_free(crioimg_image_config *c)
{
    crioimg_allocator a;
    if (c == NULL) return;
    a = c->alloc;
    crioimg__arena_free(&c->arena, &a);
    memset(c, 0, sizeof *c);
    c->alloc = a;
}

/* one part of a User: a number in [0, INT32_MAX] sets *id, a name leaves it -1 */
static crioimg_result crioimg__mf_user_part(const char *s, size_t n, long *id)
{
    size_t i;
    long v = 0;
    *id = -1;
    if (n == 0) return CRIOIMG_ERR_INVALID_ARGS;
    if (n > 1 && (s[0] == '-' || s[0] == '+')) {  /* a signed number is no name, and no valid ID */
        for (i = 1; i < n && s[i] >= '0' && s[i] <= '9'; i++) {}
        if (i == n) return CRIOIMG_ERR_JSON_RANGE;
    }
    for (i = 0; i < n; i++) if (s[i] < '0' || s[i] > '9') return CRIOIMG_OK;  /* a name */
    for (i = 0; i < n; i++) {
        if (v > (2147483647L - (s[i] - '0')) / 10) return CRIOIMG_ERR_JSON_RANGE;
        v = v * 10 + (s[i] - '0');
    }
    *id = v;
    return CRIOIMG_OK;
}

crioimg_result crioimg_image_config_user(const char *user, long *uid, long *gid)
{
    const char *colon;
    crioimg_result r;
    long u, g = -1;
    if (user == NULL || uid == NULL || gid == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    *uid = *gid = -1;
    if (*user == '\0') return CRIOIMG_OK;  /* no User: the runtime's default */
    colon = strchr(user, ':');
    if ((r = crioimg__mf_user_part(user, colon ? (size_t)(colon - user) : strlen(user), &u)) != CRIOIMG_OK) return r;
    if (colon && (r = crioimg__mf_user_part(colon + 1, strlen(colon + 1), &g)) != CRIOIMG_OK) return r;
    *uid = u;
    *gid = g;
    return CRIOIMG_OK;
}

/* ==== src/registries.c ==== */
/* ---------------------------------------------------------------------------------------------------
   registries implementation
   --------------------------------------------------------------------------------------------------- */

#include <stdio.h>   /* fopen: registries.conf */
#include <stdlib.h>  /* qsort, getenv */

#ifndef CRIOIMG_NO_GETADDRINFO
#  if defined(CRIOIMG__POSIX2008)   /* every POSIX build (internal.h); elsewhere no default resolver */
#    include <sys/types.h>
#    include <sys/socket.h>
#    include <netdb.h>
#    include <netinet/in.h>
#    define CRIOIMG__HAVE_GETADDRINFO 1
#  endif
#endif

/* An address range [lo, hi] of one family: IPv4 as 32-bit values, IPv6 as two 64-bit halves. */
typedef struct crioimg__range4 { unsigned long lo, hi; } crioimg__range4;
typedef struct crioimg__u128 { unsigned long long hi, lo; } crioimg__u128;
typedef struct crioimg__range6 { crioimg__u128 lo, hi; } crioimg__range6;

typedef struct crioimg__host_cache {
    char *host;              /* the name looked up (no port) */
    unsigned char state;     /* 0 look-up failed, 1 no address in a CIDR, 2 an address in a CIDR */
    char detail[48];         /* the address that matched */
} crioimg__host_cache;

struct crioimg_registries {
    crioimg_allocator alloc;
    crioimg_resolver resolver;     /* copied; version 0 = none */
    crioimg_image_ids ids;         /* copied; version 0 = none */
    char **search; size_t nsearch;
    char **hosts; size_t nhosts;   /* exact host[:port] entries */
    crioimg__range4 *r4; size_t n4, cap4;
    crioimg__range6 *r6; size_t n6, cap6;
    int sorted;                    /* r4/r6 sorted and merged since the last add */
    crioimg__host_cache *cache; size_t ncache;
    struct crioimg__conf *conf;    /* registries.conf as loaded; NULL: none */
    char **files; size_t nfiles;   /* the files read, for the origins of aliases and search lists */
    char warn[256];
    char err[512];
};

CRIOIMG__LIB void crioimg__reg_seterr(crioimg_registries *r, const char *a, const char *b, size_t bn, const char *c)
{
    crioimg__out o;
    o.p = r->err; o.cap = sizeof r->err; o.len = 0;
    r->err[0] = '\0';
    if (a) crioimg__out_str(&o, a);
    if (b) crioimg__out_put(&o, b, bn);
    if (c) crioimg__out_str(&o, c);
}

CRIOIMG__LIB char *crioimg__reg_strndup(const crioimg_allocator *a, const char *s, size_t n)
{
    char *p = (char *)crioimg_malloc(a, n + 1);
    if (p) { if (n) memcpy(p, s, n); p[n] = '\0'; }
    return p;
}

/* Grows *arr (of elem-sized items) so that one more fits. 0 on out-of-memory. */
CRIOIMG__LIB int crioimg__reg_grow(const crioimg_allocator *a, void **arr, size_t n, size_t *cap, size_t elem)
{
    void *p;
    size_t nc;
    if (n < *cap) return 1;
    nc = *cap ? *cap * 2 : 8;
    if (nc > ((size_t)-1) / elem) return 0;
    p = crioimg_realloc(a, *arr, nc * elem);
    if (p == NULL) return 0;
    *arr = p;
    *cap = nc;
    return 1;
}

/* ---- IP literals and CIDRs, as Go's net package reads them ---- */

CRIOIMG__LIB int crioimg__ip4_parse(const char *s, size_t n, unsigned char out[4])
{
    size_t i = 0, part;
    for (part = 0; part < 4; part++) {
        unsigned v = 0;
        size_t d = 0, start;
        if (part > 0) { if (i >= n || s[i] != '.') return 0; i++; }
        start = i;
        while (i < n && s[i] >= '0' && s[i] <= '9' && d < 4) { v = v * 10 + (unsigned)(s[i] - '0'); i++; d++; }
        if (d == 0 || d > 3 || v > 255) return 0;
        if (d > 1 && s[start] == '0') return 0;  /* leading zeros: Go refuses them (octal ambiguity) */
        out[part] = (unsigned char)v;
    }
    return i == n;
}

CRIOIMG__LIB int crioimg__hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

CRIOIMG__LIB int crioimg__ip6_parse(const char *s, size_t n, unsigned char out[16])
{
    size_t i = 0, p = 0;
    int ellipsis = -1;
    memset(out, 0, 16);
    if (n >= 2 && s[0] == ':' && s[1] == ':') {
        ellipsis = 0;
        p = 2;
        if (p == n) return 1;
    }
    while (i < 16) {
        unsigned v = 0;
        size_t d = 0;
        while (p + d < n && d < 5 && crioimg__hexval(s[p + d]) >= 0) { v = v * 16 + (unsigned)crioimg__hexval(s[p + d]); d++; }
        if (d == 0 || d > 4) return 0;
        if (p + d < n && s[p + d] == '.') {  /* an IPv4 tail: the last 4 bytes */
            if (ellipsis < 0 && i != 12) return 0;
            if (i + 4 > 16) return 0;
            if (!crioimg__ip4_parse(s + p, n - p, out + i)) return 0;
            p = n;
            i += 4;
            break;
        }
        out[i] = (unsigned char)(v >> 8);
        out[i + 1] = (unsigned char)v;
        i += 2;
        p += d;
        if (p == n) break;
        if (s[p] != ':' || p + 1 == n) return 0;
        p++;
        if (s[p] == ':') {
            if (ellipsis >= 0) return 0;
            ellipsis = (int)i;
            p++;
            if (p == n) break;
        }
    }
    if (p != n) return 0;
    if (i < 16) {
        size_t k, tail;
        if (ellipsis < 0) return 0;
        tail = i - (size_t)ellipsis;
        for (k = 1; k <= tail; k++) out[16 - k] = out[(size_t)ellipsis + tail - k];
        for (k = (size_t)ellipsis; k < 16 - tail; k++) out[k] = 0;
    } else if (ellipsis >= 0) {
        return 0;  /* "::" must stand for at least one group */
    }
    return 1;
}

static const unsigned char crioimg__v4mapped[12] = { 0,0,0,0, 0,0,0,0, 0,0,0xff,0xff };

int crioimg_ip_parse(const char *s, size_t n, unsigned char out[16])
{
    if (s == NULL || out == NULL) return 0;
    if (crioimg__ip4_parse(s, n, out + 12)) { memcpy(out, crioimg__v4mapped, 12); return 1; }
    return crioimg__ip6_parse(s, n, out);
}

CRIOIMG__LIB int crioimg__ip_is_v4(const unsigned char a[16]) { return memcmp(a, crioimg__v4mapped, 12) == 0; }

crioimg_result crioimg_cidr_parse(const char *s, size_t n, unsigned char first[16], unsigned char last[16], int *is_v4)
{
    const char *slash;
    size_t al, i, bits, plen = 0, d = 0;
    unsigned char a[16];
    int v4;
    if (s == NULL || first == NULL || last == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    slash = (const char *)memchr(s, '/', n);
    if (slash == NULL) return CRIOIMG_ERR_REGISTRY_CIDR;
    al = (size_t)(slash - s);
    if (crioimg__ip4_parse(s, al, a + 12)) { memcpy(a, crioimg__v4mapped, 12); v4 = 1; }
    else if (crioimg__ip6_parse(s, al, a)) v4 = 0;
    else return CRIOIMG_ERR_REGISTRY_CIDR;
    bits = v4 ? 32 : 128;
    for (i = al + 1; i < n; i++, d++) {
        if (s[i] < '0' || s[i] > '9' || plen > 1000) return CRIOIMG_ERR_REGISTRY_CIDR;
        plen = plen * 10 + (size_t)(s[i] - '0');
    }
    if (d == 0 || plen > bits) return CRIOIMG_ERR_REGISTRY_CIDR;
    if (v4) plen += 96;  /* an IPv4 network as the IPv4-mapped block */
    else if (plen >= 96 && crioimg__ip_is_v4(a)) v4 = 1;  /* Go reads ::ffff:10.0.0.0/104 as 10.0.0.0/8 */
    for (i = 0; i < 16; i++) {
        unsigned keep = plen >= (i + 1) * 8 ? 8u : plen > i * 8 ? (unsigned)(plen - i * 8) : 0u;
        unsigned char mask = (unsigned char)(keep ? (0xffu << (8 - keep)) & 0xffu : 0u);
        first[i] = (unsigned char)(a[i] & mask);
        last[i] = (unsigned char)(a[i] | (unsigned char)~mask);
    }
    if (is_v4) *is_v4 = v4;
    return CRIOIMG_OK;
}

CRIOIMG__LIB unsigned long crioimg__v4val(const unsigned char a[16])
{
    return ((unsigned long)a[12] << 24) | ((unsigned long)a[13] << 16) | ((unsigned long)a[14] << 8) | a[15];
}

CRIOIMG__LIB crioimg__u128 crioimg__v6val(const unsigned char a[16])
{
    crioimg__u128 v;
    int i;
    v.hi = v.lo = 0;
    for (i = 0; i < 8; i++) { v.hi = (v.hi << 8) | a[i]; v.lo = (v.lo << 8) | a[8 + i]; }
    return v;
}

CRIOIMG__LIB int crioimg__u128_cmp(crioimg__u128 a, crioimg__u128 b)
{
    if (a.hi != b.hi) return a.hi < b.hi ? -1 : 1;
    if (a.lo != b.lo) return a.lo < b.lo ? -1 : 1;
    return 0;
}

/* b == a + 1 (ranges that touch merge too) */
CRIOIMG__LIB int crioimg__u128_next(crioimg__u128 a, crioimg__u128 b)
{
    crioimg__u128 c = a;
    if (++c.lo == 0) { if (++c.hi == 0) return 0; }
    return crioimg__u128_cmp(c, b) == 0;
}

/* Adds a range. Go keeps IPv4 and IPv6 networks apart (an IPv4 address never matches an IPv6 network,
   even ::ffff:0:0/96), and so do we: two sets. */
CRIOIMG__LIB crioimg_result crioimg__reg_add_range(crioimg_registries *r, const unsigned char first[16], const unsigned char last[16], int v4)
{
    if (v4) {
        if (!crioimg__reg_grow(&r->alloc, (void **)&r->r4, r->n4, &r->cap4, sizeof *r->r4)) return CRIOIMG_ERR_NOMEM;
        r->r4[r->n4].lo = crioimg__v4val(first);
        r->r4[r->n4].hi = crioimg__v4val(last);
        r->n4++;
    } else {
        if (!crioimg__reg_grow(&r->alloc, (void **)&r->r6, r->n6, &r->cap6, sizeof *r->r6)) return CRIOIMG_ERR_NOMEM;
        r->r6[r->n6].lo = crioimg__v6val(first);
        r->r6[r->n6].hi = crioimg__v6val(last);
        r->n6++;
    }
    r->sorted = 0;
    return CRIOIMG_OK;
}

/* Heap sorts (no recursion, no extra memory, O(n log n) whatever the input) by lo, then merges
   overlapping and adjacent ranges, so that a membership test is one binary search. */
#define CRIOIMG__HEAPSORT(name, T, LESS) \
    CRIOIMG__LIB void name(T *a, size_t n) \
    { \
        size_t start = n / 2, end = n, root, child; \
        T t; \
        while (end > 1) { \
            if (start > 0) start--; \
            else { end--; t = a[end]; a[end] = a[0]; a[0] = t; } \
            root = start; \
            while ((child = 2 * root + 1) < end) { \
                if (child + 1 < end && LESS(a[child], a[child + 1])) child++; \
                if (!LESS(a[root], a[child])) break; \
                t = a[root]; a[root] = a[child]; a[child] = t; \
                root = child; \
            } \
        } \
    }
#define CRIOIMG__LESS4(x, y) ((x).lo < (y).lo)
#define CRIOIMG__LESS6(x, y) (crioimg__u128_cmp((x).lo, (y).lo) < 0)
CRIOIMG__HEAPSORT(crioimg__sort4, crioimg__range4, CRIOIMG__LESS4)
CRIOIMG__HEAPSORT(crioimg__sort6, crioimg__range6, CRIOIMG__LESS6)

CRIOIMG__LIB void crioimg__reg_sort(crioimg_registries *r)
{
    size_t i, k;
    if (r->sorted) return;
    crioimg__sort4(r->r4, r->n4);
    for (i = 0, k = 0; i < r->n4; i++) {
        if (k > 0 && (r->r4[i].lo <= r->r4[k - 1].hi || r->r4[i].lo == r->r4[k - 1].hi + 1)) {
            if (r->r4[i].hi > r->r4[k - 1].hi) r->r4[k - 1].hi = r->r4[i].hi;
        } else r->r4[k++] = r->r4[i];
    }
    r->n4 = k;
    crioimg__sort6(r->r6, r->n6);
    for (i = 0, k = 0; i < r->n6; i++) {
        if (k > 0 && (crioimg__u128_cmp(r->r6[i].lo, r->r6[k - 1].hi) <= 0 || crioimg__u128_next(r->r6[k - 1].hi, r->r6[i].lo))) {
            if (crioimg__u128_cmp(r->r6[i].hi, r->r6[k - 1].hi) > 0) r->r6[k - 1].hi = r->r6[i].hi;
        } else r->r6[k++] = r->r6[i];
    }
    r->n6 = k;
    r->sorted = 1;
}

/* 1 when the address lies in an insecure CIDR of its family: the last range starting at or before it
   must also end at or after it. */
CRIOIMG__LIB int crioimg__reg_in_cidrs(crioimg_registries *r, const unsigned char a[16])
{
    size_t lo = 0, hi;
    crioimg__reg_sort(r);
    if (crioimg__ip_is_v4(a)) {
        unsigned long v = crioimg__v4val(a);
        hi = r->n4;
        while (lo < hi) { size_t mid = lo + (hi - lo) / 2; if (r->r4[mid].lo <= v) lo = mid + 1; else hi = mid; }
        return lo > 0 && r->r4[lo - 1].hi >= v;
    } else {
        crioimg__u128 v = crioimg__v6val(a);
        hi = r->n6;
        while (lo < hi) { size_t mid = lo + (hi - lo) / 2; if (crioimg__u128_cmp(r->r6[mid].lo, v) <= 0) lo = mid + 1; else hi = mid; }
        return lo > 0 && crioimg__u128_cmp(r->r6[lo - 1].hi, v) >= 0;
    }
}

CRIOIMG__LIB int crioimg__ip_is_loopback(const unsigned char a[16])
{
    static const unsigned char one[16] = { 0,0,0,0, 0,0,0,0, 0,0,0,0, 0,0,0,1 };
    return (crioimg__ip_is_v4(a) && a[12] == 127) || memcmp(a, one, 16) == 0;
}

/* An address as text: dotted quad for IPv4, RFC 5952 for IPv6 (the longest run of 2+ zero groups as ::). */
CRIOIMG__LIB void crioimg__ip_format(const unsigned char a[16], char *out, size_t cap)
{
    static const char hex[] = "0123456789abcdef";
    crioimg__out o;
    char t[8];
    int g, best = -1, bestlen = 1, run = 0;
    o.p = out; o.cap = cap; o.len = 0;
    if (cap) out[0] = '\0';
    if (crioimg__ip_is_v4(a)) {
        int i;
        for (i = 12; i < 16; i++) {
            unsigned v = a[i];
            size_t k = 0;
            if (i > 12) crioimg__out_put(&o, ".", 1);
            if (v >= 100) t[k++] = (char)('0' + v / 100);
            if (v >= 10) t[k++] = (char)('0' + v / 10 % 10);
            t[k++] = (char)('0' + v % 10);
            crioimg__out_put(&o, t, k);
        }
        return;
    }
    for (g = 0; g < 8; g++) {
        if (a[2 * g] == 0 && a[2 * g + 1] == 0) { run++; if (run > bestlen) { bestlen = run; best = g - run + 1; } }
        else run = 0;
    }
    for (g = 0; g < 8; g++) {
        unsigned v = ((unsigned)a[2 * g] << 8) | a[2 * g + 1];
        size_t k = 0;
        int sh, started = 0;
        if (g == best) { crioimg__out_put(&o, "::", 2); g += bestlen - 1; continue; }
        if (g > 0 && g != best + bestlen) crioimg__out_put(&o, ":", 1);
        for (sh = 12; sh >= 0; sh -= 4) {
            unsigned d = (v >> sh) & 15;
            if (d || started || sh == 0) { t[k++] = hex[d]; started = 1; }
        }
        crioimg__out_put(&o, t, k);
    }
}

/* ---- host names ---- */

/* A registry host: a name, an IPv4 literal or a bracketed IPv6 literal, each with an optional port, as
   the reference grammar reads the domain of "HOST/x". *hl gets the length of the host without the port,
   *bracket 1 when it was [IPv6]. */
CRIOIMG__LIB int crioimg__reg_host_split(const char *s, size_t n, size_t *hl, int *bracket)
{
    char buf[CRIOIMG_REF_NAME_MAX + 1];
    crioimg_ref ref;
    size_t i;
    if (n == 0 || n + 2 > CRIOIMG_REF_NAME_MAX) return 0;
    memcpy(buf, s, n);
    buf[n] = '/';
    buf[n + 1] = 'x';
    if (crioimg_ref_parse(&ref, buf, n + 2) != CRIOIMG_OK || ref.domain_len != n) return 0;
    *bracket = s[0] == '[';
    if (*bracket) {
        for (i = 0; i < n && s[i] != ']'; i++) {}
        *hl = i + 1;
    } else {
        const char *c = (const char *)memchr(s, ':', n);
        *hl = c ? (size_t)(c - s) : n;
    }
    return 1;
}

/* ---- the object ---- */

struct crioimg__conf;
CRIOIMG__LIB void crioimg__conf_free(const crioimg_allocator *a, struct crioimg__conf *c);
CRIOIMG__LIB crioimg_result crioimg__shortnames_resolve(crioimg_registries *r, const char *name, size_t n, crioimg_candidates *out);
CRIOIMG__LIB int crioimg__conf_insecure(const crioimg_registries *r, const char *host, size_t n, char *detail, size_t dcap);

crioimg_result crioimg_registries_new(crioimg_registries **out, const crioimg_registries_options *opts)
{
    crioimg_registries *r;
    crioimg_allocator a;
    unsigned char f[16], l[16];
    int v4;
    if (out == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    *out = NULL;
    memset(&a, 0, sizeof a);
    if (opts) {
        if (crioimg_allocator_check(&opts->alloc) != CRIOIMG_OK) return CRIOIMG_ERR_INVALID_ARGS;
        a = opts->alloc;
        if (opts->resolver && (opts->resolver->version == 0 || opts->resolver->version > CRIOIMG_RESOLVER_VERSION))
            return CRIOIMG_ERR_INVALID_ARGS;
        if (opts->image_ids && (opts->image_ids->version == 0 || opts->image_ids->version > CRIOIMG_IMAGE_IDS_VERSION))
            return CRIOIMG_ERR_INVALID_ARGS;
    }
    r = (crioimg_registries *)crioimg_malloc(&a, sizeof *r);
    if (r == NULL) return CRIOIMG_ERR_NOMEM;
    memset(r, 0, sizeof *r);
    r->alloc = a;
    if (opts && opts->resolver) r->resolver = *opts->resolver;
    if (opts && opts->image_ids) r->ids = *opts->image_ids;
    if (opts && opts->no_resolver) r->resolver.version = 0;
    else if (!(opts && opts->resolver)) r->resolver.version = (unsigned)-1;  /* the built-in one */
    /* the seed appended 127.0.0.0/8 to every configuration; ::1 is its IPv6 twin */
    if (crioimg_cidr_parse("127.0.0.0/8", 11, f, l, &v4) != CRIOIMG_OK || crioimg__reg_add_range(r, f, l, v4) != CRIOIMG_OK ||
        crioimg_cidr_parse("::1/128", 7, f, l, &v4) != CRIOIMG_OK || crioimg__reg_add_range(r, f, l, v4) != CRIOIMG_OK) {
        crioimg_registries_free(r);
        return CRIOIMG_ERR_NOMEM;
    }
    *out = r;
    return CRIOIMG_OK;
}

void crioimg_registries_free(crioimg_registries *r)
{
    size_t i;
    crioimg_allocator a;
    if (r == NULL) return;
    a = r->alloc;
    for (i = 0; i < r->nsearch; i++) crioimg_free(&a, r->search[i]);
    crioimg_free(&a, r->search);
    for (i = 0; i < r->nhosts; i++) crioimg_free(&a, r->hosts[i]);
    crioimg_free(&a, r->hosts);
    crioimg_free(&a, r->r4);
    crioimg_free(&a, r->r6);
    for (i = 0; i < r->ncache; i++) crioimg_free(&a, r->cache[i].host);
    crioimg_free(&a, r->cache);
    crioimg__conf_free(&a, r->conf);
    for (i = 0; i < r->nfiles; i++) crioimg_free(&a, r->files[i]);
    crioimg_free(&a, r->files);
    crioimg_free(&a, r);
}

const char *crioimg_registries_error(const crioimg_registries *r)
{
    return r ? r->err : "";
}

/* Appends a copy of s to a string list (count n; capacity is the next power of two, grown on demand). */
CRIOIMG__LIB crioimg_result crioimg__reg_list_add(const crioimg_allocator *a, char ***list, size_t *n, const char *s, size_t len)
{
    char *c;
    if ((*n & (*n - 1)) == 0) {  /* n is 0 or a power of two: full */
        size_t nc = *n ? *n * 2 : 4;
        char **p = (char **)crioimg_realloc(a, *list, nc * sizeof *p);
        if (p == NULL) return CRIOIMG_ERR_NOMEM;
        *list = p;
    }
    c = crioimg__reg_strndup(a, s, len);
    if (c == NULL) return CRIOIMG_ERR_NOMEM;
    (*list)[(*n)++] = c;
    return CRIOIMG_OK;
}

CRIOIMG__LIB int crioimg__reg_list_has(char *const *list, size_t n, const char *s, size_t len)
{
    size_t i;
    for (i = 0; i < n; i++) if (strlen(list[i]) == len && memcmp(list[i], s, len) == 0) return 1;
    return 0;
}

crioimg_result crioimg_registries_add_search(crioimg_registries *r, const char *name, size_t n)
{
    size_t hl;
    int br;
    if (r == NULL || (name == NULL && n)) return CRIOIMG_ERR_INVALID_ARGS;
    r->err[0] = '\0';
    if (!crioimg__reg_host_split(name, n, &hl, &br)) {
        crioimg__reg_seterr(r, "invalid registry \"", name, n, "\"");
        return CRIOIMG_ERR_REGISTRY_INVALID;
    }
    if (crioimg__reg_list_has(r->search, r->nsearch, name, n)) return CRIOIMG_OK;
    return crioimg__reg_list_add(&r->alloc, &r->search, &r->nsearch, name, n);
}

crioimg_result crioimg_registries_add_insecure(crioimg_registries *r, const char *entry, size_t n)
{
    unsigned char f[16], l[16];
    size_t hl;
    int v4, br;
    if (r == NULL || (entry == NULL && n)) return CRIOIMG_ERR_INVALID_ARGS;
    r->err[0] = '\0';
    if (memchr(entry, '/', n)) {
        /* Go sent anything that is not a CIDR to the host entries, where "10.0.0.0/33" then silently never
           matched: a '/' can only mean a CIDR, so a bad one is an error here. */
        if (crioimg_cidr_parse(entry, n, f, l, &v4) != CRIOIMG_OK) {
            crioimg__reg_seterr(r, "invalid CIDR address: ", entry, n, NULL);  /* Go's ParseError text */
            return CRIOIMG_ERR_REGISTRY_CIDR;
        }
        return crioimg__reg_add_range(r, f, l, v4);
    }
    if (!crioimg__reg_host_split(entry, n, &hl, &br)) {
        crioimg__reg_seterr(r, "invalid insecure registry \"", entry, n, "\": neither a CIDR nor a host[:port]");
        return CRIOIMG_ERR_REGISTRY_INVALID;
    }
    if (crioimg__reg_list_has(r->hosts, r->nhosts, entry, n)) return CRIOIMG_OK;
    return crioimg__reg_list_add(&r->alloc, &r->hosts, &r->nhosts, entry, n);
}

/* ---- resolution (the seed's ResolveNames) ---- */

void crioimg_candidates_free(crioimg_candidates *c)
{
    size_t i;
    if (c == NULL) return;
    for (i = 0; i < c->n; i++) crioimg_free(&c->alloc, c->items[i].name);
    crioimg_free(&c->alloc, c->items);
    memset(c, 0, sizeof *c);
}

/* Adds a candidate "a b" (a then b, no separator) whose origin is o; name and origin share one block. */
CRIOIMG__LIB crioimg_result crioimg__cand_add(crioimg_candidates *c, crioimg_candidate_rule rule, const char *a, size_t an,
                                              const char *b, size_t bn, const char *o, size_t on)
{
    char *p;
    if ((c->n & (c->n - 1)) == 0) {
        size_t nc = c->n ? c->n * 2 : 4;
        crioimg_candidate *q = (crioimg_candidate *)crioimg_realloc(&c->alloc, c->items, nc * sizeof *q);
        if (q == NULL) return CRIOIMG_ERR_NOMEM;
        c->items = q;
    }
    if (an + bn + on + 2 < an) return CRIOIMG_ERR_NOMEM;
    p = (char *)crioimg_malloc(&c->alloc, an + bn + on + 2);
    if (p == NULL) return CRIOIMG_ERR_NOMEM;
    if (an) memcpy(p, a, an);
    if (bn) memcpy(p + an, b, bn);
    p[an + bn] = '\0';
    if (on) memcpy(p + an + bn + 1, o, on);
    p[an + bn + 1 + on] = '\0';
    c->items[c->n].name = p;
    c->items[c->n].rule = rule;
    c->items[c->n].origin = p + an + bn + 1;
    c->items[c->n].insecure = 0;
    c->n++;
    return CRIOIMG_OK;
}

/* splitDockerDomain as the seed uses it: the first component is a domain when it holds '.' or ':' or is
   "localhost". Returns its length (0: none). */
CRIOIMG__LIB size_t crioimg__reg_domain_len(const char *s, size_t n)
{
    const char *slash = (const char *)memchr(s, '/', n);
    size_t c0;
    if (slash == NULL) return 0;
    c0 = (size_t)(slash - s);
    if (memchr(s, '.', c0) || memchr(s, ':', c0) || (c0 == 9 && memcmp(s, "localhost", 9) == 0)) return c0;
    return 0;
}

crioimg_result crioimg_registries_resolve(crioimg_registries *r, const char *name, size_t n, crioimg_candidates *out)
{
    crioimg_ref ref;
    crioimg_result res;
    size_t i;
    if (out) memset(out, 0, sizeof *out);
    if (r == NULL || out == NULL || (name == NULL && n)) return CRIOIMG_ERR_INVALID_ARGS;
    out->alloc = r->alloc;
    r->err[0] = '\0';
    /* maybe a truncated image ID: no registry is prepended then */
    if (r->ids.version && r->ids.expand && n >= 3 && crioimg_id_is_prefix(name, n, 3)) {
        char id[65];
        id[0] = '\0';
        if (r->ids.expand(r->ids.user, name, n, id) == CRIOIMG_OK && strlen(id) == 64 && memcmp(id, name, n) == 0)
            return crioimg__cand_add(out, CRIOIMG_CANDIDATE_IMAGE_ID, id, 64, NULL, 0, NULL, 0);
    }
    /* registries.conf rules apply only when no search list was given explicitly; a full ID is refused
       there too (containers/image would take it for a short name) */
    if (r->conf && r->nsearch == 0 && !crioimg_id_is_full(name, n)) return crioimg__shortnames_resolve(r, name, n, out);
    res = crioimg_ref_parse_normalized(&ref, name, n);
    if (res == CRIOIMG_ERR_REF_HEX_NAME) {
        crioimg__reg_seterr(r, crioimg_result_str(CRIOIMG_ERR_REGISTRY_IMAGE_ID), NULL, 0, NULL);
        return CRIOIMG_ERR_REGISTRY_IMAGE_ID;
    }
    if (res != CRIOIMG_OK) {
        crioimg_ref_error_message(res, name, n, r->err, sizeof r->err);
        return res;
    }
    if (crioimg__reg_domain_len(name, n))
        return crioimg__cand_add(out, CRIOIMG_CANDIDATE_QUALIFIED, name, n, NULL, 0, NULL, 0);
    if (r->nsearch == 0) {
        crioimg__reg_seterr(r, crioimg_result_str(CRIOIMG_ERR_REGISTRY_NO_SEARCH), NULL, 0, NULL);
        return CRIOIMG_ERR_REGISTRY_NO_SEARCH;
    }
    for (i = 0; i < r->nsearch; i++) {
        const char *reg = r->search[i];
        size_t rl = strlen(reg);
        int lib = rl == 9 && memcmp(reg, "docker.io", 9) == 0 && memchr(name, '/', n) == NULL;
        char pre[CRIOIMG_REF_NAME_MAX + 16];
        if (rl + 10 > sizeof pre) return CRIOIMG_ERR_REGISTRY_INVALID;  /* add_search bounds rl */
        memcpy(pre, reg, rl);
        memcpy(pre + rl, lib ? "/library/" : "/", lib ? 9 : 1);
        res = crioimg__cand_add(out, CRIOIMG_CANDIDATE_SEARCH, pre, rl + (lib ? 9 : 1), name, n, reg, rl);
        if (res != CRIOIMG_OK) { crioimg_candidates_free(out); out->alloc = r->alloc; return res; }
    }
    return CRIOIMG_OK;
}

/* ---- insecure registries (the seed's isSecureIndex) ---- */

const char *crioimg_insecure_rule_name(crioimg_insecure_rule rule)
{
    switch (rule) {
    case CRIOIMG_INSECURE_RULE_NONE: return "none";
    case CRIOIMG_INSECURE_RULE_HOST: return "host";
    case CRIOIMG_INSECURE_RULE_LOOPBACK: return "loopback";
    case CRIOIMG_INSECURE_RULE_CIDR: return "cidr";
    case CRIOIMG_INSECURE_RULE_CIDR_RESOLVED: return "cidr-resolved";
    case CRIOIMG_INSECURE_RULE_LOOKUP_FAILED: return "lookup-failed";
    case CRIOIMG_INSECURE_RULE_NO_MATCH: return "no-match";
    case CRIOIMG_INSECURE_RULE_CONF: return "registries-conf";
    }
    return "unknown";
}

#ifdef CRIOIMG__HAVE_GETADDRINFO
CRIOIMG__LIB crioimg_result crioimg__getaddrinfo(void *user, const char *host, unsigned char (*addrs)[16], size_t cap, size_t *n)
{
    struct addrinfo hints, *res = NULL, *ai;
    (void)user;
    *n = 0;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, NULL, &hints, &res) != 0) return CRIOIMG_ERR_NOT_FOUND;
    for (ai = res; ai && *n < cap; ai = ai->ai_next) {
        if (ai->ai_family == AF_INET) {
            const struct sockaddr_in *sa = (const struct sockaddr_in *)(const void *)ai->ai_addr;
            memcpy(addrs[*n], crioimg__v4mapped, 12);
            memcpy(addrs[*n] + 12, &sa->sin_addr, 4);
            (*n)++;
        } else if (ai->ai_family == AF_INET6) {
            const struct sockaddr_in6 *sa = (const struct sockaddr_in6 *)(const void *)ai->ai_addr;
            memcpy(addrs[*n], &sa->sin6_addr, 16);
            (*n)++;
        }
    }
    freeaddrinfo(res);
    return CRIOIMG_OK;
}
#endif

/* Looks host up (once: later calls answer from the cache). Returns the cache entry, or NULL on
   out-of-memory. */
CRIOIMG__LIB crioimg__host_cache *crioimg__reg_lookup(crioimg_registries *r, const char *host, size_t hl, int *cached)
{
    unsigned char addrs[32][16];
    size_t i, na = 0;
    crioimg_result res = CRIOIMG_ERR_UNSUPPORTED;
    crioimg__host_cache *c;
    char name[CRIOIMG_REF_NAME_MAX + 1];
    for (i = 0; i < r->ncache; i++)
        if (strlen(r->cache[i].host) == hl && memcmp(r->cache[i].host, host, hl) == 0) { *cached = 1; return &r->cache[i]; }
    *cached = 0;
    if ((r->ncache & (r->ncache - 1)) == 0) {
        size_t nc = r->ncache ? r->ncache * 2 : 4;
        crioimg__host_cache *p = (crioimg__host_cache *)crioimg_realloc(&r->alloc, r->cache, nc * sizeof *p);
        if (p == NULL) return NULL;
        r->cache = p;
    }
    c = &r->cache[r->ncache];
    c->host = crioimg__reg_strndup(&r->alloc, host, hl);
    if (c->host == NULL) return NULL;
    r->ncache++;
    c->state = 0;
    c->detail[0] = '\0';
    memcpy(name, host, hl);
    name[hl] = '\0';
    if (r->resolver.version == (unsigned)-1) {
#ifdef CRIOIMG__HAVE_GETADDRINFO
        res = crioimg__getaddrinfo(NULL, name, addrs, 32, &na);
#endif
    } else if (r->resolver.version && r->resolver.lookup) {
        res = r->resolver.lookup(r->resolver.user, name, addrs, 32, &na);
    }
    if (res != CRIOIMG_OK) return c;
    if (na > 32) na = 32;  /* a resolver that overstates its count is not believed past cap */
    c->state = 1;
    for (i = 0; i < na; i++)
        if (crioimg__reg_in_cidrs(r, addrs[i])) {
            c->state = 2;
            crioimg__ip_format(addrs[i], c->detail, sizeof c->detail);
            break;
        }
    return c;
}

crioimg_result crioimg_registries_check_host(crioimg_registries *r, const char *host, size_t n, crioimg_insecure_decision *out)
{
    size_t hl;
    int br;
    unsigned char ip[16];
    crioimg__host_cache *c;
    if (out) memset(out, 0, sizeof *out);
    if (r == NULL || out == NULL || (host == NULL && n)) return CRIOIMG_ERR_INVALID_ARGS;
    r->err[0] = '\0';
    if (!crioimg__reg_host_split(host, n, &hl, &br)) {
        crioimg__reg_seterr(r, "invalid registry host \"", host, n, "\"");
        return CRIOIMG_ERR_REGISTRY_INVALID;
    }
    /* an exact entry decides first, with no look-up (the seed's indexConfigs) */
    if (crioimg__reg_list_has(r->hosts, r->nhosts, host, n)) {
        out->insecure = 1;
        out->rule = CRIOIMG_INSECURE_RULE_HOST;
        memcpy(out->detail, host, n < sizeof out->detail - 1 ? n : sizeof out->detail - 1);
        return CRIOIMG_OK;
    }
    if (crioimg__conf_insecure(r, host, n, out->detail, sizeof out->detail)) {
        out->insecure = 1;
        out->rule = CRIOIMG_INSECURE_RULE_CONF;
        return CRIOIMG_OK;
    }
    if (crioimg_ip_parse(host + br, hl - 2 * (size_t)br, ip)) {
        crioimg__ip_format(ip, out->detail, sizeof out->detail);
        if (crioimg__ip_is_loopback(ip)) { out->insecure = 1; out->rule = CRIOIMG_INSECURE_RULE_LOOPBACK; }
        else if (crioimg__reg_in_cidrs(r, ip)) { out->insecure = 1; out->rule = CRIOIMG_INSECURE_RULE_CIDR; }
        else out->rule = CRIOIMG_INSECURE_RULE_NO_MATCH;
        return CRIOIMG_OK;
    }
    c = crioimg__reg_lookup(r, host, hl, &out->cached);
    if (c == NULL) return CRIOIMG_ERR_NOMEM;
    out->insecure = c->state == 2;
    out->rule = c->state == 0 ? CRIOIMG_INSECURE_RULE_LOOKUP_FAILED : c->state == 1 ? CRIOIMG_INSECURE_RULE_NO_MATCH
                                                                                    : CRIOIMG_INSECURE_RULE_CIDR_RESOLVED;
    memcpy(out->detail, c->detail, sizeof c->detail);
    return CRIOIMG_OK;
}

/* ===================================================================================================
   registries.conf (containers-registries.conf(5), v2, and v1 converted), read by a strict TOML subset
   =================================================================================================== */

/* ---- the TOML subset: comments, [table] and [[array.table]] headers, bare or quoted keys, basic and
   literal one-line strings, booleans, arrays of strings (over several lines, trailing comma allowed).
   Numbers and dates are read over for unknown keys only. Multi-line strings, inline tables and dotted
   keys are refused with a message: registries.conf never needs them, and refusing beats guessing. ---- */

#define CRIOIMG__TOML_MAX (1u << 20)   /* a registries.conf larger than 1 MiB is refused */
/* Counts that bound the quadratic checks (duplicate keys, conflicting registries) to well under a second
   for any file; real configurations have tens of entries, Debian's alias list about a hundred. */
#define CRIOIMG__TOML_MAX_ITEMS 4096    /* strings in one array; [[registry]] tables in one file */
#define CRIOIMG__TOML_MAX_KEYS 8192     /* keys in one table */

typedef struct crioimg__toml {
    const char *s;
    size_t n, pos;
    unsigned long line;
    const char *file;
    const crioimg_allocator *a;
    char *err;                /* r->err */
    size_t errcap;
} crioimg__toml;

typedef enum { CRIOIMG__TV_STRING = 1, CRIOIMG__TV_BOOL, CRIOIMG__TV_ARRAY, CRIOIMG__TV_OTHER } crioimg__tv_type;

typedef struct crioimg__tv {
    crioimg__tv_type type;
    char *str;                /* STRING (NUL-terminated, unescaped) */
    int b;                    /* BOOL */
    char **items; size_t nitems;  /* ARRAY of strings */
} crioimg__tv;

CRIOIMG__LIB void crioimg__tv_free(const crioimg_allocator *a, crioimg__tv *v)
{
    size_t i;
    crioimg_free(a, v->str);
    for (i = 0; i < v->nitems; i++) crioimg_free(a, v->items[i]);
    crioimg_free(a, v->items);
    memset(v, 0, sizeof *v);
}

/* "FILE:LINE: what" into the error buffer; always returns ERR_REGISTRIES_CONF. */
CRIOIMG__LIB crioimg_result crioimg__toml_fail(crioimg__toml *t, unsigned long line, const char *what, const char *arg, size_t an)
{
    crioimg__out o;
    o.p = t->err; o.cap = t->errcap; o.len = 0;
    crioimg__out_str(&o, t->file);
    crioimg__out_put(&o, ":", 1);
    crioimg__out_uint(&o, line);
    crioimg__out_put(&o, ": ", 2);
    crioimg__out_str(&o, what);
    if (arg) {
        char q[200];
        size_t ql = crioimg_json_quote(q, sizeof q, arg, an > 60 ? 60 : an);
        crioimg__out_put(&o, " ", 1);
        crioimg__out_put(&o, q, ql < sizeof q ? ql : sizeof q - 1);
    }
    return CRIOIMG_ERR_REGISTRIES_CONF;
}

CRIOIMG__LIB void crioimg__toml_ws(crioimg__toml *t)
{
    while (t->pos < t->n && (t->s[t->pos] == ' ' || t->s[t->pos] == '\t')) t->pos++;
}

/* Skips whitespace, then a comment; returns 1 at a newline (consumed) or the end, 0 at anything else. */
CRIOIMG__LIB int crioimg__toml_eol(crioimg__toml *t)
{
    crioimg__toml_ws(t);
    if (t->pos < t->n && t->s[t->pos] == '#') {
        while (t->pos < t->n && t->s[t->pos] != '\n') {
            unsigned char c = (unsigned char)t->s[t->pos];
            if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7f) return 0;
            t->pos++;
        }
    }
    if (t->pos >= t->n) return 1;
    if (t->s[t->pos] == '\r' && t->pos + 1 < t->n && t->s[t->pos + 1] == '\n') t->pos++;
    if (t->s[t->pos] == '\n') { t->pos++; t->line++; return 1; }
    return 0;
}

CRIOIMG__LIB int crioimg__toml_bare(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/* A string at t->pos (basic "..." or literal '...'), unescaped into a new allocation. */
CRIOIMG__LIB crioimg_result crioimg__toml_string(crioimg__toml *t, char **out, size_t *outlen)
{
    char q = t->s[t->pos];
    size_t start, cap, len = 0;
    char *b;
    *out = NULL;
    if (t->pos + 2 < t->n && t->s[t->pos + 1] == q && t->s[t->pos + 2] == q)
        return crioimg__toml_fail(t, t->line, "multi-line strings are not supported", NULL, 0);
    start = ++t->pos;
    while (t->pos < t->n && t->s[t->pos] != q && t->s[t->pos] != '\n') t->pos += (q == '"' && t->s[t->pos] == '\\' && t->pos + 1 < t->n) ? 2 : 1;
    if (t->pos >= t->n || t->s[t->pos] != q) return crioimg__toml_fail(t, t->line, "unterminated string", NULL, 0);
    cap = t->pos - start + 1;
    b = (char *)crioimg_malloc(t->a, cap);
    if (b == NULL) return CRIOIMG_ERR_NOMEM;
    for (; start < t->pos;) {
        unsigned char c = (unsigned char)t->s[start];
        if ((c < 0x20 && c != '\t') || c == 0x7f) { crioimg_free(t->a, b); return crioimg__toml_fail(t, t->line, "control character in string", NULL, 0); }
        if (c >= 0x80) {
            size_t l = crioimg__utf8_len((const unsigned char *)t->s + start, t->pos - start);
            if (l == 0) { crioimg_free(t->a, b); return crioimg__toml_fail(t, t->line, "invalid UTF-8 in string", NULL, 0); }
            memcpy(b + len, t->s + start, l);
            len += l; start += l;
            continue;
        }
        if (q == '"' && c == '\\') {
            char e = t->s[start + 1];
            const char *m = strchr("btnfr\"\\", e);
            if (e && m) {
                static const char rep[] = "\b\t\n\f\r\"\\";
                b[len++] = rep[m - "btnfr\"\\"];
                start += 2;
                continue;
            }
            if (e == 'u' || e == 'U') {
                size_t nd = e == 'u' ? 4 : 8, k;
                unsigned long cp = 0;
                if (start + 2 + nd > t->pos) { crioimg_free(t->a, b); return crioimg__toml_fail(t, t->line, "invalid escape in string", NULL, 0); }
                for (k = 0; k < nd; k++) {
                    int h = crioimg__hexval(t->s[start + 2 + k]);
                    if (h < 0) { crioimg_free(t->a, b); return crioimg__toml_fail(t, t->line, "invalid escape in string", NULL, 0); }
                    cp = cp * 16 + (unsigned long)h;
                }
                if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) { crioimg_free(t->a, b); return crioimg__toml_fail(t, t->line, "invalid escape in string", NULL, 0); }
                /* TOML allows \u0000, but every string here is a C string that decides something (a
                   location, a prefix, a mode, an alias): "example.com\u0000.attacker.io" must not
                   become "example.com" */
                if (cp == 0) { crioimg_free(t->a, b); return crioimg__toml_fail(t, t->line, "NUL character (\\u0000) in string", NULL, 0); }
                /* the UTF-8 form is never longer than the escape (6 or 10 bytes) */
                if (cp < 0x80) b[len++] = (char)cp;
                else if (cp < 0x800) { b[len++] = (char)(0xc0 | (cp >> 6)); b[len++] = (char)(0x80 | (cp & 63)); }
                else if (cp < 0x10000) { b[len++] = (char)(0xe0 | (cp >> 12)); b[len++] = (char)(0x80 | ((cp >> 6) & 63)); b[len++] = (char)(0x80 | (cp & 63)); }
                else { b[len++] = (char)(0xf0 | (cp >> 18)); b[len++] = (char)(0x80 | ((cp >> 12) & 63)); b[len++] = (char)(0x80 | ((cp >> 6) & 63)); b[len++] = (char)(0x80 | (cp & 63)); }
                start += 2 + nd;
                continue;
            }
            crioimg_free(t->a, b);
            return crioimg__toml_fail(t, t->line, "invalid escape in string", NULL, 0);
        }
        b[len++] = (char)c;
        start++;
    }
    b[len] = '\0';
    t->pos++;  /* the closing quote */
    *out = b;
    if (outlen) *outlen = len;
    return CRIOIMG_OK;
}

/* A key (bare or quoted) into a new allocation. Dotted keys are refused. */
CRIOIMG__LIB crioimg_result crioimg__toml_key(crioimg__toml *t, char **out)
{
    size_t st = t->pos;
    *out = NULL;
    if (t->pos < t->n && (t->s[t->pos] == '"' || t->s[t->pos] == '\'')) return crioimg__toml_string(t, out, NULL);
    while (t->pos < t->n && crioimg__toml_bare(t->s[t->pos])) t->pos++;
    if (t->pos == st) return crioimg__toml_fail(t, t->line, "expected a key", NULL, 0);
    *out = crioimg__reg_strndup(t->a, t->s + st, t->pos - st);
    return *out ? CRIOIMG_OK : CRIOIMG_ERR_NOMEM;
}

CRIOIMG__LIB crioimg_result crioimg__toml_value(crioimg__toml *t, crioimg__tv *v)
{
    char c;
    memset(v, 0, sizeof *v);
    if (t->pos >= t->n) return crioimg__toml_fail(t, t->line, "expected a value", NULL, 0);
    c = t->s[t->pos];
    if (c == '"' || c == '\'') { v->type = CRIOIMG__TV_STRING; return crioimg__toml_string(t, &v->str, NULL); }
    if (t->n - t->pos >= 4 && memcmp(t->s + t->pos, "true", 4) == 0) { v->type = CRIOIMG__TV_BOOL; v->b = 1; t->pos += 4; }
    else if (t->n - t->pos >= 5 && memcmp(t->s + t->pos, "false", 5) == 0) { v->type = CRIOIMG__TV_BOOL; t->pos += 5; }
    else if (c == '[') {
        v->type = CRIOIMG__TV_ARRAY;
        t->pos++;
        for (;;) {
            crioimg_result r;
            char *item;
            while (crioimg__toml_eol(t) && t->pos < t->n) {}
            crioimg__toml_ws(t);
            if (t->pos >= t->n) return crioimg__toml_fail(t, t->line, "unterminated array", NULL, 0);
            if (t->s[t->pos] == ']') { t->pos++; break; }
            if (t->s[t->pos] != '"' && t->s[t->pos] != '\'')
                return crioimg__toml_fail(t, t->line, "only arrays of strings are supported", NULL, 0);
            if (v->nitems >= CRIOIMG__TOML_MAX_ITEMS) return crioimg__toml_fail(t, t->line, "array too long (over 4096 strings)", NULL, 0);
            if ((r = crioimg__toml_string(t, &item, NULL)) != CRIOIMG_OK) return r;
            if ((v->nitems & (v->nitems - 1)) == 0) {
                size_t nc = v->nitems ? v->nitems * 2 : 4;
                char **p = (char **)crioimg_realloc(t->a, v->items, nc * sizeof *p);
                if (p == NULL) { crioimg_free(t->a, item); return CRIOIMG_ERR_NOMEM; }
                v->items = p;
            }
            v->items[v->nitems++] = item;
            while (crioimg__toml_eol(t) && t->pos < t->n) {}
            crioimg__toml_ws(t);
            if (t->pos < t->n && t->s[t->pos] == ',') { t->pos++; continue; }
            if (t->pos < t->n && t->s[t->pos] == ']') { t->pos++; break; }
            return crioimg__toml_fail(t, t->line, "expected ',' or ']' in array", NULL, 0);
        }
    } else if (c == '{') {
        return crioimg__toml_fail(t, t->line, "inline tables are not supported", NULL, 0);
    } else if ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == 'i' || c == 'n') {
        /* a number, date, inf or nan: read over (it can only belong to a key this reader ignores) */
        size_t st = t->pos;
        while (t->pos < t->n && (crioimg__toml_bare(t->s[t->pos]) || strchr("+.:", t->s[t->pos]) != NULL)) t->pos++;
        if (t->pos == st) return crioimg__toml_fail(t, t->line, "expected a value", NULL, 0);
        v->type = CRIOIMG__TV_OTHER;
    } else {
        return crioimg__toml_fail(t, t->line, "expected a value", NULL, 0);
    }
    return CRIOIMG_OK;
}

/* ---- one file's configuration ---- */

typedef enum { CRIOIMG__PFM_UNSET = 0, CRIOIMG__PFM_ALL, CRIOIMG__PFM_DIGEST, CRIOIMG__PFM_TAG, CRIOIMG__PFM_BAD } crioimg__pfm;

typedef struct crioimg__endpoint {
    char *location;
    int insecure;
    crioimg__pfm pull_from_mirror;
    char *pfm_text;               /* for the error message of an unsupported value */
} crioimg__endpoint;

typedef struct crioimg__regent {
    char *prefix;
    crioimg__endpoint ep;
    crioimg__endpoint *mirrors; size_t nmirrors, capm;
    int blocked, mirror_by_digest_only;
    unsigned long line;           /* of its [[registry]] header */
    const char *file;             /* borrowed from the conf's file list */
} crioimg__regent;

typedef struct crioimg__alias {
    char *name;
    char *value;                  /* normalized name (no tag); NULL: "" (no alias: an override that removes one) */
    const char *file;
    unsigned long line;
} crioimg__alias;

typedef struct crioimg__conf {
    crioimg__regent *regs; size_t nregs, capr;
    char **search; size_t nsearch; int has_search;
    const char *search_origin;
    char **helpers; size_t nhelpers; int has_helpers;
    int mode;                     /* 0 unset, else crioimg_short_name_mode */
    crioimg__alias *aliases; size_t naliases, capa;
    int v1, v2;                   /* saw v1 tables / v2 content */
    char **v1_search, **v1_insecure, **v1_block; size_t nv1_search, nv1_insecure, nv1_block;
    int has_v1_search;
} crioimg__conf;

CRIOIMG__LIB void crioimg__strlist_free(const crioimg_allocator *a, char **l, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) crioimg_free(a, l[i]);
    crioimg_free(a, l);
}

CRIOIMG__LIB void crioimg__regent_free(const crioimg_allocator *a, crioimg__regent *g)
{
    size_t i;
    crioimg_free(a, g->prefix);
    crioimg_free(a, g->ep.location);
    crioimg_free(a, g->ep.pfm_text);
    for (i = 0; i < g->nmirrors; i++) { crioimg_free(a, g->mirrors[i].location); crioimg_free(a, g->mirrors[i].pfm_text); }
    crioimg_free(a, g->mirrors);
}

CRIOIMG__LIB void crioimg__conf_free(const crioimg_allocator *a, struct crioimg__conf *c)
{
    size_t i;
    if (c == NULL) return;
    for (i = 0; i < c->nregs; i++) crioimg__regent_free(a, &c->regs[i]);
    crioimg_free(a, c->regs);
    crioimg__strlist_free(a, c->search, c->nsearch);
    crioimg__strlist_free(a, c->helpers, c->nhelpers);
    for (i = 0; i < c->naliases; i++) { crioimg_free(a, c->aliases[i].name); crioimg_free(a, c->aliases[i].value); }
    crioimg_free(a, c->aliases);
    crioimg__strlist_free(a, c->v1_search, c->nv1_search);
    crioimg__strlist_free(a, c->v1_insecure, c->nv1_insecure);
    crioimg__strlist_free(a, c->v1_block, c->nv1_block);
    crioimg_free(a, c);
}

typedef enum {
    CRIOIMG__CTX_ROOT, CRIOIMG__CTX_ALIASES, CRIOIMG__CTX_REGISTRY, CRIOIMG__CTX_MIRROR,
    CRIOIMG__CTX_V1_ROOT, CRIOIMG__CTX_V1_SEARCH, CRIOIMG__CTX_V1_INSECURE, CRIOIMG__CTX_V1_BLOCK, CRIOIMG__CTX_UNKNOWN
} crioimg__ctx;

CRIOIMG__LIB void crioimg__reg_warn(crioimg_registries *r, crioimg__toml *t, unsigned long line, const char *what, const char *k)
{
    char save[512];
    memcpy(save, r->err, sizeof save);
    crioimg__toml_fail(t, line, what, k, strlen(k));
    memcpy(r->warn, r->err, sizeof r->warn - 1);
    r->warn[sizeof r->warn - 1] = '\0';
    memcpy(r->err, save, sizeof save);
}

/* a type mismatch, as BurntSushi/toml refuses one */
CRIOIMG__LIB crioimg_result crioimg__toml_type(crioimg__toml *t, unsigned long line, const char *key, const char *want)
{
    char what[96];
    crioimg__out o;
    o.p = what; o.cap = sizeof what; o.len = 0;
    crioimg__out_str(&o, "incompatible types: expected ");
    crioimg__out_str(&o, want);
    crioimg__out_str(&o, " for key");
    return crioimg__toml_fail(t, line, what, key, strlen(key));
}

CRIOIMG__LIB crioimg__pfm crioimg__pfm_parse(const char *s)
{
    if (strcmp(s, "all") == 0) return CRIOIMG__PFM_ALL;
    if (strcmp(s, "digest-only") == 0) return CRIOIMG__PFM_DIGEST;
    if (strcmp(s, "tag-only") == 0) return CRIOIMG__PFM_TAG;
    if (s[0] == '\0') return CRIOIMG__PFM_UNSET;
    return CRIOIMG__PFM_BAD;
}

/* Reads one file's TOML into c (no checks beyond types yet). */
CRIOIMG__LIB crioimg_result crioimg__conf_read(crioimg_registries *r, crioimg__toml *t, crioimg__conf *c, unsigned long *lines)
{
    crioimg__ctx ctx = CRIOIMG__CTX_ROOT;
    char **seen = NULL, **tables = NULL;
    size_t nseen = 0, ntables = 0;
    crioimg_result res = CRIOIMG_OK;
    const crioimg_allocator *a = &r->alloc;
    if (t->n >= 3 && memcmp(t->s, "\xef\xbb\xbf", 3) == 0) t->pos = 3;  /* a UTF-8 byte order mark */
    while (res == CRIOIMG_OK && t->pos < t->n) {
        char *key = NULL;
        crioimg__tv v;
        unsigned long line;
        if (crioimg__toml_eol(t)) continue;
        crioimg__toml_ws(t);
        line = t->line;
        if (t->s[t->pos] == '[') {
            /* a table header: [a.b] or [[a.b]] */
            int arr = t->pos + 1 < t->n && t->s[t->pos + 1] == '[';
            char path[256];
            crioimg__out o;
            o.p = path; o.cap = sizeof path; o.len = 0; path[0] = '\0';
            t->pos += arr ? 2 : 1;
            for (;;) {
                crioimg__toml_ws(t);
                if ((res = crioimg__toml_key(t, &key)) != CRIOIMG_OK) break;
                if (o.len) crioimg__out_put(&o, ".", 1);
                crioimg__out_str(&o, key);
                crioimg_free(a, key); key = NULL;
                crioimg__toml_ws(t);
                if (t->pos < t->n && t->s[t->pos] == '.') { t->pos++; continue; }
                break;
            }
            if (res != CRIOIMG_OK) break;
            if (t->pos >= t->n || t->s[t->pos] != ']' || (arr && (t->pos + 1 >= t->n || t->s[t->pos + 1] != ']'))) {
                res = crioimg__toml_fail(t, line, "malformed table header", NULL, 0);
                break;
            }
            t->pos += arr ? 2 : 1;
            if (!crioimg__toml_eol(t)) { res = crioimg__toml_fail(t, line, "expected a newline after the table header", NULL, 0); break; }
            crioimg__strlist_free(a, seen, nseen); seen = NULL; nseen = 0;
            if (o.len >= sizeof path - 1) { res = crioimg__toml_fail(t, line, "table name too long", NULL, 0); break; }
            if (!arr) {
                if (ntables >= CRIOIMG__TOML_MAX_KEYS) { res = crioimg__toml_fail(t, line, "too many tables (over 8192)", NULL, 0); break; }
                if (crioimg__reg_list_has(tables, ntables, path, o.len)) { res = crioimg__toml_fail(t, line, "table defined twice:", path, o.len); break; }
                if ((res = crioimg__reg_list_add(a, &tables, &ntables, path, o.len)) != CRIOIMG_OK) break;
            }
            if (arr && strcmp(path, "registry") == 0) {
                crioimg__regent *g;
                if (c->nregs >= CRIOIMG__TOML_MAX_ITEMS) { res = crioimg__toml_fail(t, line, "too many [[registry]] tables (over 4096)", NULL, 0); break; }
                if (!crioimg__reg_grow(a, (void **)&c->regs, c->nregs, &c->capr, sizeof *c->regs)) { res = CRIOIMG_ERR_NOMEM; break; }
                g = &c->regs[c->nregs++];
                memset(g, 0, sizeof *g);
                g->line = line;
                g->file = t->file;
                c->v2 = 1;
                ctx = CRIOIMG__CTX_REGISTRY;
            } else if (arr && strcmp(path, "registry.mirror") == 0) {
                crioimg__regent *g;
                if (c->nregs == 0) { res = crioimg__toml_fail(t, line, "[[registry.mirror]] before any [[registry]]", NULL, 0); break; }
                g = &c->regs[c->nregs - 1];
                if (!crioimg__reg_grow(a, (void **)&g->mirrors, g->nmirrors, &g->capm, sizeof *g->mirrors)) { res = CRIOIMG_ERR_NOMEM; break; }
                if (g->nmirrors >= CRIOIMG__TOML_MAX_ITEMS) { res = crioimg__toml_fail(t, line, "too many [[registry.mirror]] tables (over 4096)", NULL, 0); break; }
                memset(&g->mirrors[g->nmirrors++], 0, sizeof *g->mirrors);
                ctx = CRIOIMG__CTX_MIRROR;
            } else if (!arr && strcmp(path, "aliases") == 0) ctx = CRIOIMG__CTX_ALIASES;
            else if (!arr && strcmp(path, "registries") == 0) ctx = CRIOIMG__CTX_V1_ROOT;
            else if (!arr && strcmp(path, "registries.search") == 0) ctx = CRIOIMG__CTX_V1_SEARCH;
            else if (!arr && strcmp(path, "registries.insecure") == 0) ctx = CRIOIMG__CTX_V1_INSECURE;
            else if (!arr && strcmp(path, "registries.block") == 0) ctx = CRIOIMG__CTX_V1_BLOCK;
            else if (strcmp(path, "registry") == 0 || strcmp(path, "registry.mirror") == 0 || strcmp(path, "aliases") == 0 ||
                     strncmp(path, "registries", 10) == 0) {
                res = crioimg__toml_fail(t, line, "incompatible types: wrong kind of table", path, o.len);
                break;
            } else {
                crioimg__reg_warn(r, t, line, "unknown table ignored:", path);
                ctx = CRIOIMG__CTX_UNKNOWN;
            }
            continue;
        }
        /* key = value */
        if ((res = crioimg__toml_key(t, &key)) != CRIOIMG_OK) break;
        crioimg__toml_ws(t);
        if (t->pos < t->n && t->s[t->pos] == '.') { crioimg_free(a, key); res = crioimg__toml_fail(t, line, "dotted keys are not supported", NULL, 0); break; }
        if (t->pos >= t->n || t->s[t->pos] != '=') { crioimg_free(a, key); res = crioimg__toml_fail(t, line, "expected '=' after the key", NULL, 0); break; }
        t->pos++;
        crioimg__toml_ws(t);
        if ((res = crioimg__toml_value(t, &v)) != CRIOIMG_OK) { crioimg_free(a, key); crioimg__tv_free(a, &v); break; }
        if (!crioimg__toml_eol(t)) { res = crioimg__toml_fail(t, t->line, "expected a newline after the value of", key, strlen(key)); }
        else if (nseen >= CRIOIMG__TOML_MAX_KEYS) { res = crioimg__toml_fail(t, line, "too many keys in one table (over 8192)", NULL, 0); }
        else if (crioimg__reg_list_has(seen, nseen, key, strlen(key))) { res = crioimg__toml_fail(t, line, "key defined twice:", key, strlen(key)); }
        else if ((res = crioimg__reg_list_add(a, &seen, &nseen, key, strlen(key))) == CRIOIMG_OK) {
            crioimg__regent *g = c->nregs ? &c->regs[c->nregs - 1] : NULL;
            crioimg__endpoint *ep = NULL;
            if (ctx == CRIOIMG__CTX_REGISTRY) ep = &g->ep;
            if (ctx == CRIOIMG__CTX_MIRROR) ep = &g->mirrors[g->nmirrors - 1];
#define CRIOIMG__WANT(T, name) if (v.type != (T)) { res = crioimg__toml_type(t, line, key, name); goto next; }
            if (ctx == CRIOIMG__CTX_ROOT && strcmp(key, "unqualified-search-registries") == 0) {
                CRIOIMG__WANT(CRIOIMG__TV_ARRAY, "an array of strings")
                c->search = v.items; c->nsearch = v.nitems; c->has_search = 1; v.items = NULL; v.nitems = 0;
                lines[0] = line;
                if (c->nsearch) c->v2 = 1;
            } else if (ctx == CRIOIMG__CTX_ROOT && strcmp(key, "credential-helpers") == 0) {
                CRIOIMG__WANT(CRIOIMG__TV_ARRAY, "an array of strings")
                c->helpers = v.items; c->nhelpers = v.nitems; c->has_helpers = 1; v.items = NULL; v.nitems = 0;
                if (c->nhelpers) c->v2 = 1;
            } else if (ctx == CRIOIMG__CTX_ROOT && strcmp(key, "short-name-mode") == 0) {
                CRIOIMG__WANT(CRIOIMG__TV_STRING, "a string")
                lines[1] = line;
                if (strcmp(v.str, "enforcing") == 0) c->mode = CRIOIMG_SHORT_NAME_ENFORCING;
                else if (strcmp(v.str, "permissive") == 0) c->mode = CRIOIMG_SHORT_NAME_PERMISSIVE;
                else if (strcmp(v.str, "disabled") == 0) c->mode = CRIOIMG_SHORT_NAME_DISABLED;
                else if (v.str[0] != '\0') {
                    char msg[160];
                    crioimg__out o;
                    o.p = msg; o.cap = sizeof msg; o.len = 0;
                    crioimg__out_str(&o, "invalid short-name mode:");
                    res = crioimg__toml_fail(t, line, msg, v.str, strlen(v.str));
                    goto next;
                }
                if (v.str[0]) c->v2 = 1;
            } else if (ctx == CRIOIMG__CTX_ALIASES) {
                CRIOIMG__WANT(CRIOIMG__TV_STRING, "a string")
                if (!crioimg__reg_grow(a, (void **)&c->aliases, c->naliases, &c->capa, sizeof *c->aliases)) { res = CRIOIMG_ERR_NOMEM; goto next; }
                c->aliases[c->naliases].name = key;
                c->aliases[c->naliases].value = v.str;
                c->aliases[c->naliases].file = t->file;
                c->aliases[c->naliases].line = line;
                c->naliases++;
                key = NULL; v.str = NULL;
                c->v2 = 1;
            } else if (ep && strcmp(key, "location") == 0) {
                CRIOIMG__WANT(CRIOIMG__TV_STRING, "a string")
                crioimg_free(a, ep->location); ep->location = v.str; v.str = NULL;
            } else if (ep && strcmp(key, "insecure") == 0) {
                CRIOIMG__WANT(CRIOIMG__TV_BOOL, "a boolean")
                ep->insecure = v.b;
            } else if (ep && strcmp(key, "pull-from-mirror") == 0) {
                CRIOIMG__WANT(CRIOIMG__TV_STRING, "a string")
                ep->pull_from_mirror = crioimg__pfm_parse(v.str);
                crioimg_free(a, ep->pfm_text); ep->pfm_text = v.str; v.str = NULL;
            } else if (ctx == CRIOIMG__CTX_REGISTRY && strcmp(key, "prefix") == 0) {
                CRIOIMG__WANT(CRIOIMG__TV_STRING, "a string")
                crioimg_free(a, g->prefix); g->prefix = v.str; v.str = NULL;
            } else if (ctx == CRIOIMG__CTX_REGISTRY && strcmp(key, "blocked") == 0) {
                CRIOIMG__WANT(CRIOIMG__TV_BOOL, "a boolean")
                g->blocked = v.b;
            } else if (ctx == CRIOIMG__CTX_REGISTRY && strcmp(key, "mirror-by-digest-only") == 0) {
                CRIOIMG__WANT(CRIOIMG__TV_BOOL, "a boolean")
                g->mirror_by_digest_only = v.b;
            } else if ((ctx == CRIOIMG__CTX_V1_SEARCH || ctx == CRIOIMG__CTX_V1_INSECURE || ctx == CRIOIMG__CTX_V1_BLOCK) &&
                       strcmp(key, "registries") == 0) {
                char ***l = ctx == CRIOIMG__CTX_V1_SEARCH ? &c->v1_search : ctx == CRIOIMG__CTX_V1_INSECURE ? &c->v1_insecure : &c->v1_block;
                size_t *ln = ctx == CRIOIMG__CTX_V1_SEARCH ? &c->nv1_search : ctx == CRIOIMG__CTX_V1_INSECURE ? &c->nv1_insecure : &c->nv1_block;
                CRIOIMG__WANT(CRIOIMG__TV_ARRAY, "an array of strings")
                crioimg__strlist_free(a, *l, *ln);
                *l = v.items; *ln = v.nitems; v.items = NULL; v.nitems = 0;
                if (*ln) c->v1 = 1;
                if (ctx == CRIOIMG__CTX_V1_SEARCH) { c->has_v1_search = 1; lines[0] = line; }
            } else {
                crioimg__reg_warn(r, t, line, "unknown key ignored:", key);
            }
#undef CRIOIMG__WANT
        }
    next:
        crioimg_free(a, key);
        crioimg__tv_free(a, &v);
    }
    crioimg__strlist_free(a, seen, nseen);
    crioimg__strlist_free(a, tables, ntables);
    return res;
}

/* parseLocation: trailing '/' dropped (in place); URI schemes refused. 0 on error (message set). */
CRIOIMG__LIB int crioimg__parse_location(crioimg__toml *t, unsigned long line, char *loc)
{
    size_t n = strlen(loc), orig = n;
    while (n > 0 && loc[n - 1] == '/') n--;
    if ((n >= 7 && memcmp(loc, "http://", 7) == 0) || (n >= 8 && memcmp(loc, "https://", 8) == 0)) {
        char msg[300];
        crioimg__out o;
        o.p = msg; o.cap = sizeof msg; o.len = 0;
        crioimg__out_str(&o, "invalid location '");
        crioimg__out_put(&o, loc, orig);
        crioimg__out_str(&o, "': URI schemes are not supported");
        crioimg__toml_fail(t, line, msg, NULL, 0);
        return 0;
    }
    loc[n] = '\0';
    return 1;
}

/* "what \"arg\" rest" as one message at line */
CRIOIMG__LIB crioimg_result crioimg__conf_fail3(crioimg__toml *t, unsigned long line, const char *a, const char *arg, const char *b,
                                                const char *arg2, const char *c)
{
    char msg[400], q[200];
    crioimg__out o;
    size_t ql;
    o.p = msg; o.cap = sizeof msg; o.len = 0;
    crioimg__out_str(&o, a);
    if (arg) { ql = crioimg_json_quote(q, sizeof q, arg, strlen(arg)); crioimg__out_put(&o, q, ql < sizeof q ? ql : sizeof q - 1); }
    if (b) crioimg__out_str(&o, b);
    if (arg2) { ql = crioimg_json_quote(q, sizeof q, arg2, strlen(arg2)); crioimg__out_put(&o, q, ql < sizeof q ? ql : sizeof q - 1); }
    if (c) crioimg__out_str(&o, c);
    return crioimg__toml_fail(t, line, msg, NULL, 0);
}

CRIOIMG__LIB int crioimg__regent_cmp(const void *x, const void *y)
{
    return strcmp(((const crioimg__regent *)x)->prefix, ((const crioimg__regent *)y)->prefix);
}

/* The first component of a (non-normalized) reference names a registry: '.' or ':' in it, or
   "localhost". */
CRIOIMG__LIB int crioimg__ref_has_registry(const crioimg_ref *ref)
{
    size_t dl;
    const char *d = crioimg_ref_domain(ref, &dl);
    return memchr(d, '.', dl) || memchr(d, ':', dl) || (dl == 9 && memcmp(d, "localhost", 9) == 0);
}

/* validateShortName and parseShortNameValue of containers/image, for one [aliases] entry. */
CRIOIMG__LIB crioimg_result crioimg__alias_check(crioimg__toml *t, crioimg__alias *al)
{
    crioimg_ref ref;
    crioimg_result res;
    char gerr[300];
    res = crioimg_ref_parse(&ref, al->name, strlen(al->name));
    if (res != CRIOIMG_OK) {
        crioimg_ref_error_message(res, al->name, strlen(al->name), gerr, sizeof gerr);
        return crioimg__conf_fail3(t, al->line, "validating short-name aliases: cannot parse short name: ", al->name, ": ", NULL, gerr);
    }
    if (ref.digest_len) return crioimg__conf_fail3(t, al->line, "validating short-name aliases: invalid short name ", al->name, ": must not contain digest", NULL, NULL);
    if (ref.tag_len) return crioimg__conf_fail3(t, al->line, "validating short-name aliases: invalid short name ", al->name, ": must not contain tag", NULL, NULL);
    if (crioimg__ref_has_registry(&ref)) return crioimg__conf_fail3(t, al->line, "validating short-name aliases: invalid short name ", al->name, ": must not contain registry", NULL, NULL);
    if (al->value[0] == '\0') {
        crioimg_free(t->a, al->value);
        al->value = NULL;
        return CRIOIMG_OK;
    }
    res = crioimg_ref_parse(&ref, al->value, strlen(al->value));
    if (res != CRIOIMG_OK) {
        crioimg_ref_error_message(res, al->value, strlen(al->value), gerr, sizeof gerr);
        return crioimg__conf_fail3(t, al->line, "validating short-name aliases: parsing alias ", al->value, ": ", NULL, gerr);
    }
    if (ref.digest_len) return crioimg__conf_fail3(t, al->line, "validating short-name aliases: invalid alias ", al->value, ": must not contain digest", NULL, NULL);
    if (ref.tag_len) return crioimg__conf_fail3(t, al->line, "validating short-name aliases: invalid alias ", al->value, ": must not contain tag", NULL, NULL);
    if (!crioimg__ref_has_registry(&ref)) return crioimg__conf_fail3(t, al->line, "validating short-name aliases: invalid alias ", al->value, ": must contain registry and repository", NULL, NULL);
    res = crioimg_ref_parse_normalized(&ref, al->value, strlen(al->value));
    if (res != CRIOIMG_OK) {
        crioimg_ref_error_message(res, al->value, strlen(al->value), gerr, sizeof gerr);
        return crioimg__conf_fail3(t, al->line, "validating short-name aliases: ", NULL, gerr, NULL, NULL);
    }
    if (strlen(al->value) < ref.name_len) {
        char *p = (char *)crioimg_realloc(t->a, al->value, ref.name_len + 1);
        if (p == NULL) return CRIOIMG_ERR_NOMEM;
        al->value = p;
    }
    memcpy(al->value, ref.name, ref.name_len + 1);
    return CRIOIMG_OK;
}

/* loadConfigFile after the TOML: v1 converted, postProcessRegistries, wildcard and alias checks. */
CRIOIMG__LIB crioimg_result crioimg__conf_check(crioimg_registries *r, crioimg__toml *t, crioimg__conf *c, int force_v2, const unsigned long *lines)
{
    const crioimg_allocator *a = &r->alloc;
    size_t i, j, k;
    if (c->v1) {
        if (force_v2) return crioimg__toml_fail(t, 1, "registry must be in v2 format but is in v1", NULL, 0);
        if (c->v2) return crioimg__toml_fail(t, 1, "mixing sysregistry v1/v2 is not supported", NULL, 0);
        /* ConvertToV2: blocked then insecure registries, one [[registry]] per location, in first-seen order */
        for (k = 0; k < 2; k++) {
            char **l = k == 0 ? c->v1_block : c->v1_insecure;
            size_t ln = k == 0 ? c->nv1_block : c->nv1_insecure;
            for (i = 0; i < ln; i++) {
                crioimg__regent *g = NULL;
                if (!crioimg__parse_location(t, lines[0] ? lines[0] : 1, l[i])) return CRIOIMG_ERR_REGISTRIES_CONF;
                for (j = 0; j < c->nregs; j++) if (strcmp(c->regs[j].ep.location, l[i]) == 0) g = &c->regs[j];
                if (g == NULL) {
                    if (!crioimg__reg_grow(a, (void **)&c->regs, c->nregs, &c->capr, sizeof *c->regs)) return CRIOIMG_ERR_NOMEM;
                    g = &c->regs[c->nregs++];
                    memset(g, 0, sizeof *g);
                    g->line = 1;
                    g->file = t->file;
                    g->ep.location = crioimg__reg_strndup(a, l[i], strlen(l[i]));
                    g->prefix = crioimg__reg_strndup(a, l[i], strlen(l[i]));
                    if (!g->ep.location || !g->prefix) return CRIOIMG_ERR_NOMEM;
                }
                if (k == 0) g->blocked = 1; else g->ep.insecure = 1;
            }
        }
        if (c->has_v1_search) {
            crioimg__strlist_free(a, c->search, c->nsearch);
            c->search = c->v1_search; c->nsearch = c->nv1_search; c->has_search = 1;
            c->v1_search = NULL; c->nv1_search = 0;
        }
    }
    for (i = 0; i < c->nregs; i++) {
        crioimg__regent *g = &c->regs[i];
        if (g->ep.location == NULL && (g->ep.location = crioimg__reg_strndup(a, "", 0)) == NULL) return CRIOIMG_ERR_NOMEM;
        if (!crioimg__parse_location(t, g->line, g->ep.location)) return CRIOIMG_ERR_REGISTRIES_CONF;
        if (g->prefix == NULL || g->prefix[0] == '\0') {
            if (g->ep.location[0] == '\0') return crioimg__toml_fail(t, g->line, "invalid condition: both location and prefix are unset", NULL, 0);
            crioimg_free(a, g->prefix);
            if ((g->prefix = crioimg__reg_strndup(a, g->ep.location, strlen(g->ep.location))) == NULL) return CRIOIMG_ERR_NOMEM;
        } else {
            if (!crioimg__parse_location(t, g->line, g->prefix)) return CRIOIMG_ERR_REGISTRIES_CONF;
            if (strncmp(g->prefix, "*.", 2) != 0 && g->ep.location[0] == '\0')
                return crioimg__toml_fail(t, g->line, "invalid condition: location is unset and prefix is not in the format: *.example.com", NULL, 0);
        }
        if (g->ep.pfm_text && g->ep.pfm_text[0])
            return crioimg__conf_fail3(t, g->line, "pull-from-mirror must not be set for a non-mirror registry ", g->prefix, NULL, NULL, NULL);
        for (j = 0; j < g->nmirrors; j++) {
            crioimg__endpoint *m = &g->mirrors[j];
            char tmp[512];
            size_t ml;
            if (m->location == NULL && (m->location = crioimg__reg_strndup(a, "", 0)) == NULL) return CRIOIMG_ERR_NOMEM;
            /* Go checks a trimmed copy and keeps the mirror's location as written (it ranges over copies) */
            ml = strlen(m->location);
            if (ml >= sizeof tmp) ml = sizeof tmp - 1;
            memcpy(tmp, m->location, ml);
            tmp[ml] = '\0';
            if (!crioimg__parse_location(t, g->line, tmp)) return CRIOIMG_ERR_REGISTRIES_CONF;
            if (tmp[0] == '\0') return crioimg__toml_fail(t, g->line, "invalid condition: mirror location is unset", NULL, 0);
            if (g->mirror_by_digest_only && m->pfm_text && m->pfm_text[0])
                return crioimg__conf_fail3(t, g->line, "cannot set mirror usage mirror-by-digest-only for the registry (", g->prefix,
                                           ") and pull-from-mirror for per-mirror (", tmp, ") at the same time");
            if (m->pull_from_mirror == CRIOIMG__PFM_BAD)
                return crioimg__conf_fail3(t, g->line, "unsupported pull-from-mirror value ", m->pfm_text, " for mirror ", tmp, NULL);
        }
    }
    /* one location (or wildcard prefix) must not be both secure and insecure, blocked and not */
    for (i = 0; i < c->nregs; i++) {
        const char *ki = c->regs[i].ep.location[0] ? c->regs[i].ep.location : c->regs[i].prefix;
        for (j = 0; j < c->nregs; j++) {
            const char *kj = c->regs[j].ep.location[0] ? c->regs[j].ep.location : c->regs[j].prefix;
            if (strcmp(ki, kj) != 0) continue;
            if (c->regs[i].ep.insecure != c->regs[j].ep.insecure)
                return crioimg__conf_fail3(t, c->regs[j].line, "registry '", NULL, c->regs[i].ep.location, NULL,
                                           "' is defined multiple times with conflicting 'insecure' setting");
            if (c->regs[i].blocked != c->regs[j].blocked)
                return crioimg__conf_fail3(t, c->regs[j].line, "registry '", NULL, c->regs[i].ep.location, NULL,
                                           "' is defined multiple times with conflicting 'blocked' setting");
        }
    }
    for (i = 0; i < c->nsearch; i++) {
        size_t hl;
        int br;
        if (!crioimg__parse_location(t, lines[0], c->search[i])) return CRIOIMG_ERR_REGISTRIES_CONF;
        if (!crioimg__reg_host_split(c->search[i], strlen(c->search[i]), &hl, &br))
            return crioimg__conf_fail3(t, lines[0], "Invalid unqualified-search-registries entry ", c->search[i], NULL, NULL, NULL);
    }
    /* the first of several [[registry]] with one prefix wins; then sorted by prefix */
    for (i = 0, k = 0; i < c->nregs; i++) {
        int dup = 0;
        for (j = 0; j < k; j++) if (strcmp(c->regs[j].prefix, c->regs[i].prefix) == 0) dup = 1;
        if (dup) crioimg__regent_free(a, &c->regs[i]);
        else c->regs[k++] = c->regs[i];
    }
    c->nregs = k;
    if (c->nregs > 1) qsort(c->regs, c->nregs, sizeof *c->regs, crioimg__regent_cmp);
    for (i = 0; i < c->nregs; i++) {
        const char *p = c->regs[i].prefix;
        if (strncmp(p, "*.", 2) == 0 && strpbrk(p, "/@:") != NULL)
            return crioimg__conf_fail3(t, c->regs[i].line, "Wildcarded prefix should be in the format: *.example.com. Current prefix ", p,
                                       " is incorrectly formatted", NULL, NULL);
    }
    for (i = 0; i < c->naliases; i++) {
        crioimg_result res = crioimg__alias_check(t, &c->aliases[i]);
        if (res != CRIOIMG_OK) return res;
    }
    return CRIOIMG_OK;
}

/* Parses and checks one file into a new conf. */
CRIOIMG__LIB crioimg_result crioimg__conf_load_one(crioimg_registries *r, const char *text, size_t n, const char *file, int force_v2, crioimg__conf **out)
{
    crioimg__toml t;
    crioimg__conf *c;
    crioimg_result res;
    unsigned long lines[2] = { 0, 0 };
    *out = NULL;
    memset(&t, 0, sizeof t);
    t.s = text; t.n = n; t.line = 1; t.file = file; t.a = &r->alloc; t.err = r->err; t.errcap = sizeof r->err;
    if (n > CRIOIMG__TOML_MAX) return crioimg__toml_fail(&t, 1, "file too large (over 1 MiB)", NULL, 0);
    {
        const char *nul = (const char *)memchr(text, '\0', n);
        if (nul) return crioimg__toml_fail(&t, crioimg__line_of(text, n, (size_t)(nul - text)), "NUL byte in file", NULL, 0);
    }
    c = (crioimg__conf *)crioimg_malloc(&r->alloc, sizeof *c);
    if (c == NULL) return CRIOIMG_ERR_NOMEM;
    memset(c, 0, sizeof *c);
    c->search_origin = file;
    res = crioimg__conf_read(r, &t, c, lines);
    if (res == CRIOIMG_OK) res = crioimg__conf_check(r, &t, c, force_v2, lines);
    if (res != CRIOIMG_OK) { crioimg__conf_free(&r->alloc, c); return res; }
    *out = c;
    return CRIOIMG_OK;
}

/* updateWithConfigurationFrom: u (consumed) over base. */
CRIOIMG__LIB crioimg_result crioimg__conf_merge(crioimg_registries *r, crioimg__conf *base, crioimg__conf *u)
{
    const crioimg_allocator *a = &r->alloc;
    size_t i, j;
    for (i = 0; i < u->nregs; i++) {
        crioimg__regent *g = NULL;
        for (j = 0; j < base->nregs; j++) if (strcmp(base->regs[j].prefix, u->regs[i].prefix) == 0) g = &base->regs[j];
        if (g) crioimg__regent_free(a, g);
        else {
            if (!crioimg__reg_grow(a, (void **)&base->regs, base->nregs, &base->capr, sizeof *base->regs)) return CRIOIMG_ERR_NOMEM;
            g = &base->regs[base->nregs++];
        }
        *g = u->regs[i];
    }
    u->nregs = 0;
    if (base->nregs > 1) qsort(base->regs, base->nregs, sizeof *base->regs, crioimg__regent_cmp);
    if (u->has_search) {
        crioimg__strlist_free(a, base->search, base->nsearch);
        base->search = u->search; base->nsearch = u->nsearch; base->has_search = 1;
        base->search_origin = u->search_origin;
        u->search = NULL; u->nsearch = 0;
    }
    if (u->has_helpers) {
        crioimg__strlist_free(a, base->helpers, base->nhelpers);
        base->helpers = u->helpers; base->nhelpers = u->nhelpers; base->has_helpers = 1;
        u->helpers = NULL; u->nhelpers = 0;
    }
    if (u->mode) base->mode = u->mode;
    for (i = 0; i < u->naliases; i++) {
        crioimg__alias *al = NULL;
        for (j = 0; j < base->naliases; j++) if (strcmp(base->aliases[j].name, u->aliases[i].name) == 0) al = &base->aliases[j];
        if (al) { crioimg_free(a, al->name); crioimg_free(a, al->value); }
        else {
            if (!crioimg__reg_grow(a, (void **)&base->aliases, base->naliases, &base->capa, sizeof *base->aliases)) return CRIOIMG_ERR_NOMEM;
            al = &base->aliases[base->naliases++];
        }
        *al = u->aliases[i];
    }
    u->naliases = 0;
    return CRIOIMG_OK;
}

/* Keeps a file name for the life of r (origins point at it). */
CRIOIMG__LIB const char *crioimg__reg_keep_name(crioimg_registries *r, const char *name)
{
    if (crioimg__reg_list_add(&r->alloc, &r->files, &r->nfiles, name, strlen(name)) != CRIOIMG_OK) return NULL;
    return r->files[r->nfiles - 1];
}

crioimg_result crioimg_registries_load_conf_text(crioimg_registries *r, const char *text, size_t n, const char *name, int dropin)
{
    crioimg__conf *c;
    crioimg_result res;
    const char *kept;
    if (r == NULL || (text == NULL && n)) return CRIOIMG_ERR_INVALID_ARGS;
    r->err[0] = '\0';
    if ((kept = crioimg__reg_keep_name(r, name ? name : "")) == NULL) return CRIOIMG_ERR_NOMEM;
    res = crioimg__conf_load_one(r, text ? text : "", n, kept, dropin, &c);
    if (res != CRIOIMG_OK) return res;
    if (dropin && r->conf) {
        res = crioimg__conf_merge(r, r->conf, c);
        crioimg__conf_free(&r->alloc, c);
        return res;
    }
    crioimg__conf_free(&r->alloc, r->conf);
    r->conf = c;
    return CRIOIMG_OK;
}

/* Reads and applies one file. ERR_NOT_FOUND when it does not exist (the caller decides whether that is
   an error; the message is set either way), ERR_IO when it cannot be read or is not a regular file (a
   FIFO or a device is refused, never waited on), ERR_TOO_BIG over 1 MiB. */
CRIOIMG__LIB crioimg_result crioimg__load_path(crioimg_registries *r, const char *path, int dropin)
{
    char *text, why[160];
    size_t n;
    crioimg__out w;
    crioimg_result res;
    w.p = why; w.cap = sizeof why; w.len = 0; why[0] = '\0';
    res = crioimg__config_read(path, CRIOIMG__TOML_MAX, &r->alloc, &text, &n, &w);
    if (res == CRIOIMG_ERR_NOT_FOUND || res == CRIOIMG_ERR_IO || res == CRIOIMG_ERR_TOO_BIG) {
        char rest[200];
        crioimg__out o;
        o.p = rest; o.cap = sizeof rest; o.len = 0;
        crioimg__out_str(&o, "\": ");
        crioimg__out_str(&o, why);
        crioimg__reg_seterr(r, dropin ? "loading drop-in registries configuration \"" : "loading registries configuration \"", path, strlen(path), rest);
        return res == CRIOIMG_ERR_TOO_BIG ? CRIOIMG_ERR_REGISTRIES_CONF : res;
    }
    if (res != CRIOIMG_OK) return res;
    res = crioimg_registries_load_conf_text(r, text, n, path, dropin);
    crioimg_free(&r->alloc, text);
    return res;
}

#if defined(CRIOIMG__POSIX2008)
#  include <dirent.h>
#  define CRIOIMG__HAVE_DIRENT 1
#endif


#ifdef CRIOIMG__HAVE_DIRENT
CRIOIMG__LIB int crioimg__strptr_cmp(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

static crioimg_result crioimg__reg_dirfail(crioimg_registries *r, const char *dir, int en)
{
    crioimg__out o;
    crioimg__reg_seterr(r, "reading ", dir, strlen(dir), ": ");
    o.p = r->err; o.cap = sizeof r->err; o.len = strlen(r->err);
    crioimg__out_str(&o, strerror(en));
    return CRIOIMG_ERR_IO;
}
#endif

/* The "*.conf" files of dir in name order, applied as drop-ins. A missing directory is no error. */
CRIOIMG__LIB crioimg_result crioimg__load_dir(crioimg_registries *r, const char *dir)
{
#ifdef CRIOIMG__HAVE_DIRENT
    DIR *d = opendir(dir);
    struct dirent *e;
    char **names = NULL;
    size_t nnames = 0, i, dl = strlen(dir);
    crioimg_result res = CRIOIMG_OK;
    if (d == NULL) {
        int en = errno;
        if (en == ENOENT || en == ENOTDIR) return CRIOIMG_OK;
        return crioimg__reg_dirfail(r, dir, en);
    }
    while (res == CRIOIMG_OK) {
        size_t l;
        char *full;
        struct stat st;
        errno = 0;   /* NULL with errno set is a failed read (EOVERFLOW, EIO), not the end of the listing */
        if ((e = readdir(d)) == NULL) {
            if (errno != 0) res = crioimg__reg_dirfail(r, dir, errno);
            break;
        }
        l = strlen(e->d_name);
        if (l < 5 || strcmp(e->d_name + l - 5, ".conf") != 0) continue;
        full = (char *)crioimg_malloc(&r->alloc, dl + l + 2);
        if (full == NULL) { res = CRIOIMG_ERR_NOMEM; break; }
        memcpy(full, dir, dl);
        full[dl] = '/';
        memcpy(full + dl + 1, e->d_name, l + 1);
        /* directories named *.conf are skipped, as WalkDir's callback skips them; stat, not open, so that
           a FIFO is not waited on here (reading it is refused with its name) */
        if (stat(full, &st) != 0 || S_ISDIR(st.st_mode)) { crioimg_free(&r->alloc, full); continue; }
        res = crioimg__reg_list_add(&r->alloc, &names, &nnames, full, dl + l + 1);
        crioimg_free(&r->alloc, full);
    }
    closedir(d);
    if (nnames > 1) qsort(names, nnames, sizeof *names, crioimg__strptr_cmp);
    for (i = 0; res == CRIOIMG_OK && i < nnames; i++) {
        res = crioimg__load_path(r, names[i], 1);
        if (res == CRIOIMG_ERR_NOT_FOUND) { res = CRIOIMG_OK; r->err[0] = '\0'; }   /* gone since the listing */
    }
    crioimg__strlist_free(&r->alloc, names, nnames);
    return res;
#else
    {   /* no directory listing on this (non-POSIX) platform: fine while there is no directory to list */
        FILE *f = fopen(dir, "r");
        if (f == NULL && errno == ENOENT) return CRIOIMG_OK;
        if (f) fclose(f);
    }
    crioimg__reg_seterr(r, "reading registries.conf.d: no directory listing on this platform", NULL, 0, NULL);
    return CRIOIMG_ERR_UNSUPPORTED;
#endif
}

crioimg_result crioimg_registries_load_conf(crioimg_registries *r, const crioimg_conf_paths *paths)
{
    char user_file[4096], user_dir[4096];
    const char *home, *main_path;
    int user_only = 0;
    crioimg_result res;
    if (r == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    r->err[0] = '\0';
    r->warn[0] = '\0';
    home = paths && paths->home ? paths->home : getenv("HOME");
    if (home == NULL) home = "";
    if (strlen(home) + 48 > sizeof user_file) return CRIOIMG_ERR_INVALID_ARGS;
    strcpy(user_file, home); strcat(user_file, "/.config/containers/registries.conf");
    strcpy(user_dir, home); strcat(user_dir, "/.config/containers/registries.conf.d");
    crioimg__conf_free(&r->alloc, r->conf);
    r->conf = NULL;
    if (paths && paths->path) main_path = paths->path;
    else if (home[0] && crioimg__path_exists(user_file)) { main_path = user_file; user_only = 1; }
    else main_path = "/etc/containers/registries.conf";
    res = crioimg__load_path(r, main_path, 0);
    if (res == CRIOIMG_ERR_NOT_FOUND && (paths && paths->path)) res = CRIOIMG_ERR_IO;
    if (res == CRIOIMG_ERR_NOT_FOUND) {
        /* a missing default file is an empty configuration (but one that is there and cannot be read,
           a FIFO say, is an error, as in Go) */
        r->err[0] = '\0';
        res = crioimg_registries_load_conf_text(r, "", 0, "", 0);
    }
    if (res != CRIOIMG_OK) { crioimg__conf_free(&r->alloc, r->conf); r->conf = NULL; return res; }
    if (paths && paths->dir) res = crioimg__load_dir(r, paths->dir);
    else if (user_only) res = crioimg__load_dir(r, user_dir);
    else {
        res = crioimg__load_dir(r, "/etc/containers/registries.conf.d");
        if (res == CRIOIMG_OK && home[0]) res = crioimg__load_dir(r, user_dir);
    }
    if (res != CRIOIMG_OK) { crioimg__conf_free(&r->alloc, r->conf); r->conf = NULL; }
    return res;
}

const char *crioimg_registries_warning(const crioimg_registries *r)
{
    return r ? r->warn : "";
}

crioimg_short_name_mode crioimg_registries_short_name_mode(const crioimg_registries *r)
{
    return r && r->conf ? (crioimg_short_name_mode)r->conf->mode : CRIOIMG_SHORT_NAME_UNSET;
}

/* ---- prefixes: refMatchingPrefix, FindRegistry ---- */

/* The length of prefix's match in ref, or -1. */
CRIOIMG__LIB long crioimg__prefix_match(const char *ref, size_t rl, const char *prefix)
{
    size_t pl = strlen(prefix);
    if (pl >= 2 && prefix[0] == '*' && prefix[1] == '.') {
        /* "*.example.com": ".example.com" inside the host part, then the end or a boundary */
        const char *sub = prefix + 1;
        size_t sl = pl - 1, i, idx = (size_t)-1;
        for (i = 0; i + sl <= rl; i++) if (memcmp(ref + i, sub, sl) == 0) { idx = i; break; }
        if (idx == (size_t)-1 || memchr(ref, '/', idx) != NULL) return -1;
        idx += sl;
        if (idx == rl || ref[idx] == ':' || ref[idx] == '/' || ref[idx] == '@') return (long)idx;
        return -1;
    }
    if (rl < pl || memcmp(ref, prefix, pl) != 0) return -1;
    if (rl == pl) return (long)pl;
    /* Go lets "example.com:5000" match "example.com" (':' is a boundary); kept for the same answers */
    if (ref[pl] == ':' || ref[pl] == '/' || ref[pl] == '@') return (long)pl;
    return -1;
}

CRIOIMG__LIB crioimg__regent *crioimg__find_registry(const crioimg__conf *c, const char *ref, size_t rl)
{
    crioimg__regent *best = NULL;
    size_t i, bl = 0;
    if (c == NULL) return NULL;
    for (i = 0; i < c->nregs; i++)
        if (crioimg__prefix_match(ref, rl, c->regs[i].prefix) != -1 && strlen(c->regs[i].prefix) > bl) {
            best = &c->regs[i];
            bl = strlen(best->prefix);
        }
    return best;
}

/* ---- short names (containers/image pkg/shortnames.Resolve) ---- */

/* "FMT-prefix \"name\": go-error" into r->err */
CRIOIMG__LIB crioimg_result crioimg__reg_fail_q(crioimg_registries *r, crioimg_result code, const char *a, const char *q, size_t qn,
                                                const char *b, const char *q2, const char *c)
{
    crioimg__out o;
    char buf[300];
    size_t l;
    o.p = r->err; o.cap = sizeof r->err; o.len = 0;
    r->err[0] = '\0';
    crioimg__out_str(&o, a);
    if (q) { l = crioimg_json_quote(buf, sizeof buf, q, qn); crioimg__out_put(&o, buf, l < sizeof buf ? l : sizeof buf - 1); }
    if (b) crioimg__out_str(&o, b);
    if (q2) { l = crioimg_json_quote(buf, sizeof buf, q2, strlen(q2)); crioimg__out_put(&o, buf, l < sizeof buf ? l : sizeof buf - 1); }
    if (c) crioimg__out_str(&o, c);
    return code;
}

/* A candidate from a reference: TagNameOnly, then its String(). */
CRIOIMG__LIB crioimg_result crioimg__cand_ref(crioimg_candidates *out, crioimg_candidate_rule rule, crioimg_ref *ref, const char *origin)
{
    char s[CRIOIMG_REF_STRING_MAX + 1];
    size_t l;
    crioimg_ref_tag_name_only(ref);
    l = crioimg_ref_string(ref, s, sizeof s);
    return crioimg__cand_add(out, rule, s, l, NULL, 0, origin, strlen(origin));
}

CRIOIMG__LIB crioimg_result crioimg__shortnames_resolve(crioimg_registries *r, const char *name, size_t n, crioimg_candidates *out)
{
    crioimg__conf *c = r->conf;
    crioimg_ref ref, nref;
    crioimg_result res;
    char gerr[300], key[CRIOIMG_REF_NAME_MAX + 1];
    size_t i;
    int mode = c->mode ? c->mode : CRIOIMG_SHORT_NAME_PERMISSIVE;
    res = crioimg_ref_parse(&ref, name, n);
    if (res != CRIOIMG_OK) {
        crioimg_ref_error_message(res, name, n, gerr, sizeof gerr);
        return crioimg__reg_fail_q(r, res, "cannot parse input: ", name, n, ": ", NULL, gerr);
    }
    if (crioimg__ref_has_registry(&ref)) {
        res = crioimg_ref_parse_normalized(&nref, name, n);
        if (res != CRIOIMG_OK) {
            crioimg_ref_error_message(res, name, n, gerr, sizeof gerr);
            return crioimg__reg_fail_q(r, res, "cannot normalize input: ", name, n, ": ", NULL, gerr);
        }
        return crioimg__cand_ref(out, CRIOIMG_CANDIDATE_QUALIFIED, &nref, "");
    }
    /* an alias, looked up by the name as written without tag or digest */
    memcpy(key, ref.name, ref.name_len + 1);
    for (i = 0; i < c->naliases; i++) {
        if (strcmp(c->aliases[i].name, key) != 0 || c->aliases[i].value == NULL) continue;
        if ((res = crioimg_ref_with_name(&nref, c->aliases[i].value, strlen(c->aliases[i].value))) != CRIOIMG_OK) return res;
        if (ref.tag_len && (res = crioimg_ref_with_tag(&nref, &nref, ref.tag, ref.tag_len)) != CRIOIMG_OK) return res;
        if (ref.digest_len && (res = crioimg_ref_with_digest(&nref, &nref, ref.digest, ref.digest_len)) != CRIOIMG_OK) return res;
        return crioimg__cand_ref(out, CRIOIMG_CANDIDATE_ALIAS, &nref, c->aliases[i].file);
    }
    if (c->nsearch == 0) {
        if (c->search_origin && c->search_origin[0])
            return crioimg__reg_fail_q(r, CRIOIMG_ERR_SHORT_NAME, "short-name ", name, n,
                                       " did not resolve to an alias and no unqualified-search registries are defined in ", c->search_origin, NULL);
        return crioimg__reg_fail_q(r, CRIOIMG_ERR_SHORT_NAME, "short-name ", name, n,
                                   " did not resolve to an alias and no containers-registries.conf(5) was found", NULL, NULL);
    }
    for (i = 0; i < c->nsearch; i++) {
        char full[CRIOIMG_REF_STRING_MAX + CRIOIMG_REF_NAME_MAX + 8];
        size_t sl = strlen(c->search[i]);
        if (sl + 1 + n > sizeof full) {
            res = CRIOIMG_ERR_REF_NAME_TOO_LONG;
        } else {
            memcpy(full, c->search[i], sl);
            full[sl] = '/';
            memcpy(full + sl + 1, name, n);
            res = crioimg_ref_parse_normalized(&nref, full, sl + 1 + n);
        }
        if (res != CRIOIMG_OK) {
            crioimg_ref_error_message(res, name, n, gerr, sizeof gerr);
            crioimg_candidates_free(out);
            out->alloc = r->alloc;
            return crioimg__reg_fail_q(r, res, "creating reference with unqualified-search registry ", c->search[i], sl, ": ", NULL, gerr);
        }
        if ((res = crioimg__cand_ref(out, CRIOIMG_CANDIDATE_UNQUALIFIED, &nref, c->search[i])) != CRIOIMG_OK) {
            crioimg_candidates_free(out);
            out->alloc = r->alloc;
            return res;
        }
    }
    if (mode == CRIOIMG_SHORT_NAME_DISABLED || out->n == 1 || mode == CRIOIMG_SHORT_NAME_PERMISSIVE) return CRIOIMG_OK;
    /* enforcing, several candidates: containers/image would prompt on a terminal; a library cannot */
    crioimg_candidates_free(out);
    out->alloc = r->alloc;
    return crioimg__reg_fail_q(r, CRIOIMG_ERR_SHORT_NAME, "short-name resolution enforced but cannot prompt without a TTY", NULL, 0, NULL, NULL, NULL);
}

/* ---- pull sources (PullSourcesFromReference) ---- */

CRIOIMG__LIB crioimg_result crioimg__rewrite(crioimg_registries *r, crioimg_candidates *out, crioimg_candidate_rule rule,
                                             const crioimg__endpoint *ep, const crioimg__regent *g, const char *rs, size_t rl)
{
    long pl = crioimg__prefix_match(rs, rl, g->prefix);
    char buf[CRIOIMG_REF_STRING_MAX + 600];
    crioimg_ref nref;
    crioimg_result res;
    size_t ll = strlen(ep->location);
    if (pl < 0) return crioimg__reg_fail_q(r, CRIOIMG_ERR_REGISTRIES_CONF, "invalid prefix '", NULL, 0, g->prefix, NULL, "' for reference");
    if (ll == 0) {
        if (strncmp(g->prefix, "*.", 2) != 0)
            return crioimg__reg_fail_q(r, CRIOIMG_ERR_REGISTRIES_CONF, "invalid prefix '", NULL, 0, g->prefix, NULL,
                                       "' for empty location, should be in the format: *.example.com");
        res = crioimg__cand_add(out, rule, rs, rl, NULL, 0, "", 0);
    } else {
        if (ll + (rl - (size_t)pl) >= sizeof buf) return crioimg__reg_fail_q(r, CRIOIMG_ERR_REF_NAME_TOO_LONG, "rewriting reference: repository name must not be more than 255 characters", NULL, 0, NULL, NULL, NULL);
        memcpy(buf, ep->location, ll);
        memcpy(buf + ll, rs + pl, rl - (size_t)pl);
        res = crioimg_ref_parse_named(&nref, buf, ll + rl - (size_t)pl);
        if (res != CRIOIMG_OK) {
            char gerr[300];
            crioimg_ref_error_message(res, buf, ll + rl - (size_t)pl, gerr, sizeof gerr);
            return crioimg__reg_fail_q(r, res, "rewriting reference: ", NULL, 0, NULL, NULL, gerr);
        }
        {
            char s[CRIOIMG_REF_STRING_MAX + 1];
            size_t l = crioimg_ref_string(&nref, s, sizeof s);
            res = crioimg__cand_add(out, rule, s, l, NULL, 0, ep->location, ll);
        }
    }
    if (res == CRIOIMG_OK) out->items[out->n - 1].insecure = ep->insecure;
    return res;
}

crioimg_result crioimg_registries_pull_sources(crioimg_registries *r, const char *name, size_t n, crioimg_candidates *out)
{
    crioimg_ref ref;
    crioimg_result res;
    char rs[CRIOIMG_REF_STRING_MAX + 1];
    size_t rl, i;
    crioimg__regent *g;
    int digested;
    if (out) memset(out, 0, sizeof *out);
    if (r == NULL || out == NULL || (name == NULL && n)) return CRIOIMG_ERR_INVALID_ARGS;
    out->alloc = r->alloc;
    r->err[0] = '\0';
    res = crioimg_ref_parse(&ref, name, n);
    if (res == CRIOIMG_OK && !crioimg__ref_has_registry(&ref))
        return crioimg__reg_fail_q(r, CRIOIMG_ERR_SHORT_NAME, "", name, n, " is a short name: resolve it first", NULL, NULL);
    res = crioimg_ref_parse_normalized(&ref, name, n);
    if (res != CRIOIMG_OK) { crioimg_ref_error_message(res, name, n, r->err, sizeof r->err); return res; }
    rl = crioimg_ref_string(&ref, rs, sizeof rs);
    digested = ref.digest_len > 0;
    g = crioimg__find_registry(r->conf, ref.name, ref.name_len);
    if (g == NULL) {
        size_t dl;
        const char *d = crioimg_ref_domain(&ref, &dl);
        return crioimg__cand_add(out, CRIOIMG_CANDIDATE_PRIMARY, rs, rl, NULL, 0, d, dl);
    }
    if (g->blocked) {
        res = crioimg__reg_fail_q(r, CRIOIMG_ERR_REGISTRY_BLOCKED, "registry ", NULL, 0, NULL, NULL, NULL);
        {
            crioimg__out o;
            o.p = r->err; o.cap = sizeof r->err; o.len = strlen(r->err);
            crioimg__out_str(&o, g->prefix);
            crioimg__out_str(&o, " is blocked in ");
            crioimg__out_str(&o, g->file ? g->file : "registries.conf");
        }
        return res;
    }
    for (i = 0; i < g->nmirrors; i++) {
        const crioimg__endpoint *m = &g->mirrors[i];
        if (g->mirror_by_digest_only ? !digested
                                     : ((m->pull_from_mirror == CRIOIMG__PFM_DIGEST && !digested) || (m->pull_from_mirror == CRIOIMG__PFM_TAG && digested)))
            continue;
        if ((res = crioimg__rewrite(r, out, CRIOIMG_CANDIDATE_MIRROR, m, g, rs, rl)) != CRIOIMG_OK) break;
    }
    if (res == CRIOIMG_OK) res = crioimg__rewrite(r, out, CRIOIMG_CANDIDATE_PRIMARY, &g->ep, g, rs, rl);
    if (res != CRIOIMG_OK) { crioimg_candidates_free(out); out->alloc = r->alloc; }
    return res;
}

/* registries.conf's word on a host: the insecure setting of the [[registry]] whose prefix matches it, or
   of a mirror whose location is on it. 1 insecure (detail gets the prefix or location), else 0. */
CRIOIMG__LIB int crioimg__conf_insecure(const crioimg_registries *r, const char *host, size_t n, char *detail, size_t dcap)
{
    const crioimg__regent *g;
    size_t i, j;
    if (r->conf == NULL) return 0;
    g = crioimg__find_registry(r->conf, host, n);
    if (g && g->ep.insecure) {
        size_t l = strlen(g->prefix);
        if (l >= dcap) l = dcap - 1;
        memcpy(detail, g->prefix, l); detail[l] = '\0';
        return 1;
    }
    for (i = 0; i < r->conf->nregs; i++)
        for (j = 0; j < r->conf->regs[i].nmirrors; j++) {
            const crioimg__endpoint *m = &r->conf->regs[i].mirrors[j];
            size_t ml = strcspn(m->location, "/");
            if (m->insecure && ml == n && memcmp(m->location, host, n) == 0) {
                if (ml >= dcap) ml = dcap - 1;
                memcpy(detail, m->location, ml); detail[ml] = '\0';
                return 1;
            }
        }
    return 0;
}

/* ==== src/auth.c ==== */
/* ---------------------------------------------------------------------------------------------------
   auth implementation
   --------------------------------------------------------------------------------------------------- */

/* RFC 7230 tchar (Go's isToken in containers/image: a CHAR, not a CTL, not a separator) */
#define CRIOIMG__TCHAR(c) ((c) > 32 && (c) < 127 && !((c) == '"' || (c) == '(' || (c) == ')' || (c) == ',' || \
    (c) == '/' || (c) == ':' || (c) == ';' || (c) == '<' || (c) == '=' || (c) == '>' || (c) == '?' || (c) == '@' || \
    (c) == '[' || (c) == ']' || (c) == '\\' || (c) == '{' || (c) == '}'))
static const unsigned char crioimg__auth_tchar[256] = { CRIOIMG__TABLE256(CRIOIMG__TCHAR) };
#undef CRIOIMG__TCHAR

/* the parse state: the input, and where unescaped strings go */
typedef struct crioimg__ah {
    const char *s;
    size_t n, i;
    char *buf;
    size_t cap, used;
} crioimg__ah;

static int crioimg__ah_is(const crioimg__ah *p, char c) { return p->i < p->n && p->s[p->i] == c; }

static void crioimg__ah_ows(crioimg__ah *p)
{
    while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t')) p->i++;
}

static size_t crioimg__ah_token(const crioimg__ah *p, size_t at)
{
    size_t j = at;
    while (j < p->n && crioimg__auth_tchar[(unsigned char)p->s[j]]) j++;
    return j - at;
}

/* copies s[at, at + len) into the buffer, lowercased when asked; NULL when it does not fit */
static const char *crioimg__ah_put(crioimg__ah *p, size_t at, size_t len, int lower)
{
    char *d;
    size_t k;
    if (p->cap - p->used < len + 1) return NULL;
    d = p->buf + p->used;
    for (k = 0; k < len; k++) {
        char c = p->s[at + k];
        d[k] = (lower && c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    d[len] = '\0';
    p->used += len + 1;
    return d;
}

/* a quoted-string at p->i (the opening quote), unescaped into the buffer */
static crioimg_result crioimg__ah_quoted(crioimg__ah *p, const char **out)
{
    char *d = p->buf + p->used;
    size_t room = p->cap - p->used, k = 0;
    p->i++;
    while (p->i < p->n) {
        unsigned char c = (unsigned char)p->s[p->i++];
        if (c == '"') {
            if (k == room) return CRIOIMG_ERR_BUFFER_TOO_SMALL;
            d[k++] = '\0';
            p->used += k;
            *out = d;
            return CRIOIMG_OK;
        }
        if (c == '\\') {
            if (p->i == p->n) break;
            c = (unsigned char)p->s[p->i++];
            if ((c < 0x20 && c != '\t') || c == 0x7f) return CRIOIMG_ERR_AUTH_CHALLENGE;  /* quoted-pair: no CTLs */
        } else if ((c < 0x20 && c != '\t') || c == 0x7f) {
            return CRIOIMG_ERR_AUTH_CHALLENGE;  /* qdtext has no control characters */
        }
        if (k == room) return CRIOIMG_ERR_BUFFER_TOO_SMALL;
        d[k++] = (char)c;
    }
    return CRIOIMG_ERR_AUTH_CHALLENGE;  /* unterminated */
}

/* Is there "token BWS = BWS value-start" at position at? That is a parameter, not a new challenge. */
static int crioimg__ah_param_ahead(const crioimg__ah *p, size_t at)
{
    size_t t = crioimg__ah_token(p, at), j = at + t;
    if (t == 0) return 0;
    while (j < p->n && (p->s[j] == ' ' || p->s[j] == '\t')) j++;
    if (j == p->n || p->s[j] != '=') return 0;
    for (j++; j < p->n && (p->s[j] == ' ' || p->s[j] == '\t'); j++) {}
    return j < p->n && (p->s[j] == '"' || crioimg__auth_tchar[(unsigned char)p->s[j]]);
}

static crioimg_result crioimg__ah_param(crioimg__ah *p, crioimg_auth_challenge *c)
{
    size_t t = crioimg__ah_token(p, p->i), k;
    const char *name, *value;
    crioimg_result r;
    if (c->nparams == CRIOIMG_CHALLENGE_PARAMS_MAX) return CRIOIMG_ERR_AUTH_CHALLENGE;
    if ((name = crioimg__ah_put(p, p->i, t, 1)) == NULL) return CRIOIMG_ERR_BUFFER_TOO_SMALL;
    p->i += t;
    crioimg__ah_ows(p);
    p->i++;  /* the '=' crioimg__ah_param_ahead saw */
    crioimg__ah_ows(p);
    if (crioimg__ah_is(p, '"')) {
        if ((r = crioimg__ah_quoted(p, &value)) != CRIOIMG_OK) return r;
    } else {
        t = crioimg__ah_token(p, p->i);
        if ((value = crioimg__ah_put(p, p->i, t, 0)) == NULL) return CRIOIMG_ERR_BUFFER_TOO_SMALL;
        p->i += t;
    }
    for (k = 0; k < c->nparams; k++)
        if (strcmp(c->names[k], name) == 0) return CRIOIMG_ERR_AUTH_CHALLENGE;  /* once per challenge (RFC 7235) */
    c->names[c->nparams] = name;
    c->values[c->nparams++] = value;
    return CRIOIMG_OK;
}

/* token68 := 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=", alone up to a ',' or the end */
static size_t crioimg__ah_token68(const crioimg__ah *p)
{
    size_t j = p->i;
    while (j < p->n) {
        char c = p->s[j];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/') j++;
        else break;
    }
    if (j == p->i) return 0;
    while (j < p->n && p->s[j] == '=') j++;
    {
        size_t e = j;
        while (e < p->n && (p->s[e] == ' ' || p->s[e] == '\t')) e++;
        if (e < p->n && p->s[e] != ',') return 0;
    }
    return j - p->i;
}

/* after the scheme: a token68, or parameters, up to where the next challenge starts */
static crioimg_result crioimg__ah_rest(crioimg__ah *p, crioimg_auth_challenge *c)
{
    crioimg_result r;
    size_t t68;
    if (p->i == p->n || p->s[p->i] == ',') return CRIOIMG_OK;            /* a bare scheme */
    if (p->s[p->i] != ' ' && p->s[p->i] != '\t') return CRIOIMG_ERR_AUTH_CHALLENGE;
    crioimg__ah_ows(p);
    if (p->i == p->n || p->s[p->i] == ',') return CRIOIMG_OK;
    if (!crioimg__ah_param_ahead(p, p->i)) {
        if ((t68 = crioimg__ah_token68(p)) == 0) return CRIOIMG_ERR_AUTH_CHALLENGE;
        if ((c->token68 = crioimg__ah_put(p, p->i, t68, 0)) == NULL) return CRIOIMG_ERR_BUFFER_TOO_SMALL;
        p->i += t68;
        return CRIOIMG_OK;
    }
    for (;;) {
        size_t mark;
        if ((r = crioimg__ah_param(p, c)) != CRIOIMG_OK) return r;
        crioimg__ah_ows(p);
        if (p->i == p->n) return CRIOIMG_OK;
        if (p->s[p->i] != ',') return CRIOIMG_ERR_AUTH_CHALLENGE;
        mark = p->i;  /* a ',' ends this parameter: the next one, or the next challenge */
        while (p->i < p->n && (p->s[p->i] == ',' || p->s[p->i] == ' ' || p->s[p->i] == '\t')) p->i++;
        if (!crioimg__ah_param_ahead(p, p->i)) { p->i = mark; return CRIOIMG_OK; }
    }
}

crioimg_result crioimg_www_authenticate_parse(const char *h, size_t n, crioimg_auth_challenge *out, size_t max,
                                              size_t *count, char *buf, size_t cap)
{
    crioimg__ah p;
    crioimg_result r;
    if (count) *count = 0;
    if ((h == NULL && n) || out == NULL || count == NULL || (buf == NULL && cap)) return CRIOIMG_ERR_INVALID_ARGS;
    p.s = h ? h : ""; p.n = n; p.i = 0; p.buf = buf; p.cap = cap; p.used = 0;
    for (;;) {
        crioimg_auth_challenge *c;
        size_t t;
        while (p.i < p.n && (p.s[p.i] == ',' || p.s[p.i] == ' ' || p.s[p.i] == '\t')) p.i++;  /* empty elements */
        if (p.i == p.n) return CRIOIMG_OK;
        if ((t = crioimg__ah_token(&p, p.i)) == 0 || *count == max) return CRIOIMG_ERR_AUTH_CHALLENGE;
        c = &out[(*count)++];
        memset(c, 0, sizeof *c);
        if ((c->scheme = crioimg__ah_put(&p, p.i, t, 1)) == NULL) return CRIOIMG_ERR_BUFFER_TOO_SMALL;
        p.i += t;
        if ((r = crioimg__ah_rest(&p, c)) != CRIOIMG_OK) return r;
    }
}

const char *crioimg_auth_challenge_param(const crioimg_auth_challenge *c, const char *name)
{
    size_t k;
    if (c == NULL || name == NULL) return NULL;
    for (k = 0; k < c->nparams; k++)
        if (strcmp(c->names[k], name) == 0) return c->values[k];
    return NULL;
}

/* ---- credentials from auth files ---- */

void crioimg_credentials_free(crioimg_credentials *c)
{
    crioimg_allocator a;
    if (c == NULL) return;
    a = c->alloc;
    crioimg_free(&a, c->username);
    crioimg_free(&a, c->password);
    crioimg_free(&a, c->identity_token);
    memset(c, 0, sizeof *c);
    c->alloc = a;
}

static char *crioimg__auth_dup(const crioimg_allocator *a, const char *s, size_t n)
{
    char *d = (char *)crioimg_malloc(a, n + 1);
    if (d) { memcpy(d, s, n); d[n] = '\0'; }
    return d;
}

/* normalizeRegistry: Docker Hub's other names are index.docker.io */
static void crioimg__auth_norm_registry(const char **r, size_t *n)
{
    if ((*n == 20 && memcmp(*r, "registry-1.docker.io", 20) == 0) || (*n == 9 && memcmp(*r, "docker.io", 9) == 0)) {
        *r = "index.docker.io";
        *n = 15;
    }
}

/* normalizeAuthFileKey: "https://host/v1/" names host */
static void crioimg__auth_norm_key(const char *k, size_t kn, int legacy, const char **r, size_t *n)
{
    int stripped = 0;
    if (kn >= 7 && memcmp(k, "http://", 7) == 0) { k += 7; kn -= 7; stripped = 1; }
    else if (kn >= 8 && memcmp(k, "https://", 8) == 0) { k += 8; kn -= 8; stripped = 1; }
    if (legacy || stripped) {
        const char *slash = (const char *)memchr(k, '/', kn);
        if (slash) kn = (size_t)(slash - k);
    }
    *r = k;
    *n = kn;
    crioimg__auth_norm_registry(r, n);
}

/* The value Go's encoding/json would decode into the struct field named field: the last member whose
   key folds to it (strings.EqualFold), or CRIOIMG_JSON_NONE. */
static size_t crioimg__auth_field(const crioimg_json *doc, size_t obj, const char *field)
{
    size_t i, k, found = CRIOIMG_JSON_NONE;
    if (obj >= doc->ntok || doc->tok[obj].type != CRIOIMG_JSON_OBJECT) return CRIOIMG_JSON_NONE;
    for (i = obj + 1, k = 0; k < doc->tok[obj].count; k++, i = doc->tok[i + 1].next) {
        char key[64];
        size_t kl = crioimg_json_string(doc, i, key, sizeof key);
        if (kl < sizeof key && crioimg__go_fold_eq(key, kl, field)) found = i + 1;
    }
    return found;
}

/* decodeDockerAuth for the entry at token v; on error *line is where */
static crioimg_result crioimg__auth_decode(crioimg_credentials *out, const crioimg_json *doc, size_t v, const crioimg_allocator *a, crioimg__out *e,
                                           unsigned long *line)
{
    size_t t = crioimg__auth_field(doc, v, "auth"), it = crioimg__auth_field(doc, v, "identitytoken"), n, dl;
    char *b64 = NULL;
    unsigned char *dec = NULL;
    const char *colon;
    crioimg_result r = CRIOIMG_OK;
    *line = crioimg_json_line(doc, doc->tok[v].start);
    if (doc->tok[v].type != CRIOIMG_JSON_OBJECT) { crioimg__out_str(e, "an auth entry is not an object"); return CRIOIMG_ERR_JSON_TYPE; }
    if ((t != CRIOIMG_JSON_NONE && doc->tok[t].type != CRIOIMG_JSON_STRING && doc->tok[t].type != CRIOIMG_JSON_NULL) ||
        (it != CRIOIMG_JSON_NONE && doc->tok[it].type != CRIOIMG_JSON_STRING && doc->tok[it].type != CRIOIMG_JSON_NULL)) {
        crioimg__out_str(e, "an auth entry's \"auth\" or \"identitytoken\" is not a string");  /* Go fails the file */
        return CRIOIMG_ERR_JSON_TYPE;
    }
    if (t != CRIOIMG_JSON_NONE && doc->tok[t].type == CRIOIMG_JSON_STRING) {
        *line = crioimg_json_line(doc, doc->tok[t].start);
        n = crioimg_json_string(doc, t, NULL, 0);
        b64 = (char *)crioimg_malloc(a, n + 1);
        dec = (unsigned char *)crioimg_malloc(a, (n + 3) / 4 * 3 + 1);
        if (!b64 || !dec) { r = CRIOIMG_ERR_NOMEM; goto done; }
        crioimg_json_string(doc, t, b64, n + 1);
        if ((dl = crioimg__base64_decode(b64, n, dec, (n + 3) / 4 * 3, 0)) == (size_t)-1) {
            crioimg__out_str(e, "the \"auth\" field is not base64");
            r = CRIOIMG_ERR_INVALID_ARGS;
            goto done;
        }
        colon = (const char *)memchr(dec, ':', dl);
        if (colon) {  /* "user:password", the password with NULs trimmed at both ends (strings.Trim) */
            const char *p = colon + 1, *end = (const char *)dec + dl;
            while (p < end && *p == '\0') p++;
            while (end > p && end[-1] == '\0') end--;
            /* any other NUL would cut the C strings short: "user\0evil:pw" must not become "user" */
            if (memchr(dec, '\0', (size_t)(colon - (const char *)dec)) || memchr(p, '\0', (size_t)(end - p))) {
                crioimg__out_str(e, "the \"auth\" field decodes to a user name or password that holds a NUL byte");
                r = CRIOIMG_ERR_INVALID_ARGS;
                goto done;
            }
            if (!(out->username = crioimg__auth_dup(a, (const char *)dec, (size_t)(colon - (const char *)dec))) ||
                !(out->password = crioimg__auth_dup(a, p, (size_t)(end - p)))) { r = CRIOIMG_ERR_NOMEM; goto done; }
        } else {
            goto done;  /* no ':': skipped, as Docker does (a credential-helper marker): no credentials */
        }
    }
    if (it != CRIOIMG_JSON_NONE && doc->tok[it].type == CRIOIMG_JSON_STRING && out->username) {
        n = crioimg_json_string(doc, it, NULL, 0);
        if (!(out->identity_token = (char *)crioimg_malloc(a, n + 1))) { r = CRIOIMG_ERR_NOMEM; goto done; }
        crioimg_json_string(doc, it, out->identity_token, n + 1);
    }
done:
    crioimg_free(a, b64);
    crioimg_free(a, dec);
    return r;
}

/* crioimg_auth_file_lookup with the message (e) and the line it is about (*line, 0 when none) apart, so
   that callers that know the file can say "FILE:LINE: what". */
static crioimg_result crioimg__auth_file_lookup(crioimg_credentials *out, int *found, const char *json, size_t len, const char *key,
                                                int legacy_format, const crioimg_allocator *alloc, crioimg__out *e, unsigned long *line)
{
    crioimg_json doc;
    crioimg_json_opts jo;
    crioimg_result r;
    size_t auths, klen, rlen, i, k, cut;
    const char *reg;
    *line = 0;
    if (out == NULL || found == NULL || key == NULL || (json == NULL && len)) return CRIOIMG_ERR_INVALID_ARGS;
    memset(out, 0, sizeof *out);
    if (alloc) out->alloc = *alloc;
    *found = 0;
    if (crioimg_allocator_check(&out->alloc) != CRIOIMG_OK) return CRIOIMG_ERR_INVALID_ARGS;
    memset(&jo, 0, sizeof jo);
    jo.max_size = (size_t)1 << 20;  /* an auth file is small; refuse anything bigger than 1 MiB */
    jo.alloc = out->alloc;
    jo.allow_duplicates = 1;        /* Go's encoding/json keeps the last one */
    jo.refuse_nul = 1;              /* every string here becomes a C string or a map key that decides */
    if ((r = crioimg_json_parse(&doc, json ? json : "", len, &jo)) != CRIOIMG_OK) {
        *line = doc.err_line;
        crioimg__out_str(e, doc.err[0] ? doc.err : crioimg_result_str(r));
        return r;
    }
    *line = 1;
    if (doc.tok[0].type != CRIOIMG_JSON_OBJECT) { crioimg__out_str(e, "an auth file must be a JSON object"); r = CRIOIMG_ERR_JSON_TYPE; goto done; }
    klen = strlen(key);
    reg = key;
    rlen = memchr(key, '/', klen) ? (size_t)((const char *)memchr(key, '/', klen) - key) : klen;
    if (!legacy_format) {
        size_t ch = crioimg__auth_field(&doc, 0, "credHelpers"), cs = crioimg__auth_field(&doc, 0, "credsStore"), hk;
        if (ch != CRIOIMG_JSON_NONE && doc.tok[ch].type == CRIOIMG_JSON_OBJECT) {
            char rb[256];
            if (rlen < sizeof rb) {
                memcpy(rb, reg, rlen); rb[rlen] = '\0';
                if ((hk = crioimg_json_get(&doc, ch, rb)) != CRIOIMG_JSON_NONE) {
                    *line = crioimg_json_line(&doc, doc.tok[hk].start);
                    crioimg__out_str(e, "a credential helper is configured for this registry; crioimg runs none");
                    r = CRIOIMG_ERR_UNSUPPORTED;
                    goto done;
                }
            }
        }
        /* Docker's credsStore keeps every registry's credentials in a helper program, and "auths" then
           holds no secrets: going on would pull anonymously without a word */
        if (cs != CRIOIMG_JSON_NONE && doc.tok[cs].type == CRIOIMG_JSON_STRING && doc.tok[cs].len > 0) {
            *line = crioimg_json_line(&doc, doc.tok[cs].start);
            crioimg__out_str(e, "a credential store (\"credsStore\") is configured; crioimg runs no credential helpers");
            r = CRIOIMG_ERR_UNSUPPORTED;
            goto done;
        }
        auths = crioimg__auth_field(&doc, 0, "auths");
        if (auths == CRIOIMG_JSON_NONE || doc.tok[auths].type != CRIOIMG_JSON_OBJECT) goto done;
        /* authKeysForKey: the key, then each parent namespace, down to the registry */
        for (cut = klen;;) {
            size_t hit = CRIOIMG_JSON_NONE;  /* the last one: a map keeps the last of repeated keys */
            for (i = auths + 1, k = 0; k < doc.tok[auths].count; k++, i = doc.tok[i + 1].next)
                if (crioimg_json_string_eq(&doc, i, key, cut)) hit = i + 1;
            if (hit != CRIOIMG_JSON_NONE) {
                *found = 1;
                r = crioimg__auth_decode(out, &doc, hit, &out->alloc, e, line);
                goto done;
            }
            while (cut > 0 && key[cut - 1] != '/') cut--;
            if (cut == 0) break;
            cut--;
        }
    } else {
        size_t hit = CRIOIMG_JSON_NONE;
        auths = 0;
        for (i = 1, k = 0; k < doc.tok[0].count; k++, i = doc.tok[i + 1].next)
            if (crioimg_json_string_eq(&doc, i, reg, rlen)) hit = i + 1;
        if (hit != CRIOIMG_JSON_NONE) {
            *found = 1;
            r = crioimg__auth_decode(out, &doc, hit, &out->alloc, e, line);
            goto done;
        }
    }
    /* entries whose normalised key names the registry, in document order */
    crioimg__auth_norm_registry(&reg, &rlen);
    for (i = auths + 1, k = 0; k < doc.tok[auths].count; k++, i = doc.tok[i + 1].next) {
        char kb[512];
        const char *nk;
        size_t kl = crioimg_json_string(&doc, i, kb, sizeof kb), nl;
        if (kl >= sizeof kb) continue;
        crioimg__auth_norm_key(kb, kl, legacy_format, &nk, &nl);
        if (nl == rlen && memcmp(nk, reg, rlen) == 0) {
            *found = 1;
            r = crioimg__auth_decode(out, &doc, i + 1, &out->alloc, e, line);
            goto done;
        }
    }
done:
    crioimg_json_free(&doc);
    if (r != CRIOIMG_OK) { crioimg_credentials_free(out); *found = 0; }
    return r;
}

crioimg_result crioimg_auth_file_lookup(crioimg_credentials *out, int *found, const char *json, size_t len, const char *key,
                                        int legacy_format, const crioimg_allocator *alloc, char *err, size_t errcap)
{
    char msg[200];
    crioimg__out e, m;
    unsigned long line;
    crioimg_result r;
    e.p = err; e.cap = err ? errcap : 0; e.len = 0;
    if (e.cap) err[0] = '\0';
    m.p = msg; m.cap = sizeof msg; m.len = 0; msg[0] = '\0';
    r = crioimg__auth_file_lookup(out, found, json, len, key, legacy_format, alloc, &m, &line);
    if (r != CRIOIMG_OK && line) { crioimg__out_str(&e, "line "); crioimg__out_uint(&e, line); crioimg__out_str(&e, ": "); }
    crioimg__out_str(&e, msg);
    return r;
}

/* ---- which files, and reading them ---- */

/* appends a + b into the buffer as one path; NULL when it does not fit */
static const char *crioimg__auth_join(char *buf, size_t cap, size_t *used, const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    char *d;
    if (cap - *used < la + lb + 1) return NULL;
    d = buf + *used;
    memcpy(d, a, la);
    memcpy(d + la, b, lb + 1);
    *used += la + lb + 1;
    return d;
}

crioimg_result crioimg_auth_file_paths(const char *authfile, crioimg_auth_path out[CRIOIMG_AUTH_PATHS_MAX], size_t *n,
                                       char *buf, size_t cap)
{
    const char *home = getenv("HOME"), *x, *p;
    size_t used = 0;
    char uid[64];
    if (out == NULL || n == NULL || buf == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    *n = 0;
    if (authfile && *authfile) p = crioimg__auth_join(buf, cap, &used, authfile, "");
    else if ((x = getenv("REGISTRY_AUTH_FILE")) && *x) p = crioimg__auth_join(buf, cap, &used, x, "");
    else if ((x = getenv("XDG_RUNTIME_DIR")) && *x) p = crioimg__auth_join(buf, cap, &used, x, "/containers/auth.json");
    else {  /* /run/containers/UID/auth.json */
#if defined(__unix__) || defined(__APPLE__)
        unsigned long u = (unsigned long)getuid();
#else
        unsigned long u = 0;
#endif
        crioimg__out t;
        t.p = uid; t.cap = sizeof uid; t.len = 0;
        crioimg__out_str(&t, "/run/containers/");
        crioimg__out_uint(&t, u);
        crioimg__out_str(&t, "/auth.json");
        p = crioimg__auth_join(buf, cap, &used, uid, "");
    }
    if (p == NULL) return CRIOIMG_ERR_BUFFER_TOO_SMALL;
    out[*n].path = p; out[(*n)++].legacy_format = 0;
    if ((x = getenv("XDG_CONFIG_HOME")) && *x) p = crioimg__auth_join(buf, cap, &used, x, "/containers/auth.json");
    else p = home ? crioimg__auth_join(buf, cap, &used, home, "/.config/containers/auth.json") : "";
    if (p == NULL) return CRIOIMG_ERR_BUFFER_TOO_SMALL;
    if (*p) { out[*n].path = p; out[(*n)++].legacy_format = 0; }
    if ((x = getenv("DOCKER_CONFIG")) && *x) p = crioimg__auth_join(buf, cap, &used, x, "/config.json");
    else p = home ? crioimg__auth_join(buf, cap, &used, home, "/.docker/config.json") : "";
    if (p == NULL) return CRIOIMG_ERR_BUFFER_TOO_SMALL;
    if (*p) { out[*n].path = p; out[(*n)++].legacy_format = 0; }
    if (home) {
        if ((p = crioimg__auth_join(buf, cap, &used, home, "/.dockercfg")) == NULL) return CRIOIMG_ERR_BUFFER_TOO_SMALL;
        out[*n].path = p; out[(*n)++].legacy_format = 1;
    }
    return CRIOIMG_OK;
}

crioimg_result crioimg_auth_lookup(crioimg_credentials *out, int *found, const char *key, const char *authfile,
                                   const crioimg_allocator *alloc, char *err, size_t errcap)
{
    crioimg_auth_path paths[CRIOIMG_AUTH_PATHS_MAX];
    char pbuf[4 * 4096 + 128];
    size_t np, i;
    crioimg_allocator a;
    crioimg_result r;
    crioimg__out e;
    e.p = err; e.cap = err ? errcap : 0; e.len = 0;
    if (e.cap) err[0] = '\0';
    if (out == NULL || found == NULL || key == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    memset(&a, 0, sizeof a);
    if (alloc) a = *alloc;
    memset(out, 0, sizeof *out);
    out->alloc = a;
    *found = 0;
    if ((r = crioimg_auth_file_paths(authfile, paths, &np, pbuf, sizeof pbuf)) != CRIOIMG_OK) return r;
    for (i = 0; i < np; i++) {
        char *data, fe[200];
        crioimg__out f;
        size_t len;
        unsigned long line = 0;
        f.p = fe; f.cap = sizeof fe; f.len = 0; fe[0] = '\0';
        /* a FIFO or a device named by --authfile or $REGISTRY_AUTH_FILE is refused, never waited on */
        r = crioimg__config_read(paths[i].path, (size_t)1 << 20, &a, &data, &len, &f);
        if (r == CRIOIMG_ERR_NOT_FOUND) continue;
        if (r == CRIOIMG_OK) {
            r = crioimg__auth_file_lookup(out, found, data, len, key, paths[i].legacy_format, &a, &f, &line);
            crioimg_free(&a, data);
        }
        if (r != CRIOIMG_OK) {
            /* one source, one message: "PATH:LINE: what" for what the file says, "reading PATH: why" when
               it cannot be read */
            if (line) {
                crioimg__out_str(&e, paths[i].path);
                crioimg__out_str(&e, ":");
                crioimg__out_uint(&e, line);
                crioimg__out_str(&e, ": ");
            } else {
                crioimg__out_str(&e, "reading ");
                crioimg__out_str(&e, paths[i].path);
                crioimg__out_str(&e, ": ");
            }
            crioimg__out_str(&e, fe[0] ? fe : crioimg_result_str(r));
            return r;
        }
        if (out->username) return CRIOIMG_OK;
        crioimg_credentials_free(out);
        *found = 0;
    }
    return CRIOIMG_OK;
}

/* ==== src/policy.c ==== */
/* ---------------------------------------------------------------------------------------------------
   policy implementation (containers/image signature/policy_config.go, policy_eval.go)
   --------------------------------------------------------------------------------------------------- */

#include <stdlib.h>  /* getenv, qsort */

/* Reading files without blocking (O_NONBLOCK, fstat) and resolving paths as Go's EvalSymlinks does need
   POSIX.1-2008 (a POSIX build without it stops at internal.h's #error); on other platforms, or under
   CRIOIMG_NO_POLICY_FILES, files and path scopes are refused with ERR_UNSUPPORTED, never read blindly. */
#if !defined(CRIOIMG_NO_POLICY_FILES) && (defined(__unix__) || defined(__APPLE__))
#  include <unistd.h>
#  if defined(CRIOIMG__POSIX2008)
#    define CRIOIMG__POLICY_FS 1
#  endif
#endif
#ifdef CRIOIMG__POLICY_FS
#  include <fcntl.h>
#  include <sys/stat.h>
#endif

/* requirement types, in c/image's order (policy_types.go) */
enum { CRIOIMG__PR_ACCEPT, CRIOIMG__PR_REJECT, CRIOIMG__PR_SIGNED_BY, CRIOIMG__PR_BASE_LAYER, CRIOIMG__PR_SIGSTORE };
static const char *const crioimg__pr_names[] = { "insecureAcceptAnything", "reject", "signedBy", "signedBaseLayer", "sigstoreSigned" };

typedef struct crioimg__pol_scope { const char *name; size_t len, first, n; } crioimg__pol_scope;  /* reqs[first, first + n) */
typedef struct crioimg__pol_transport { const char *name; size_t first, n; } crioimg__pol_transport; /* scopes, sorted */

struct crioimg_policy {
    crioimg_allocator alloc;
    char *path;
    unsigned char *reqs;
    size_t def_first, def_n;
    crioimg__pol_scope *scopes;
    crioimg__pol_transport *transports;
    size_t ntransports;
};

/* The parse: one walk validates and counts, a second over the same tokens fills (fill != NULL). */
typedef struct crioimg__pp {
    const crioimg_json *d;
    crioimg__out *e;
    crioimg_policy *fill;
    char *strings;                          /* fill: where names go */
    size_t nreqs, nscopes, ntransports, nstr;
    char *scratch; size_t scap;             /* one decoded string at a time */
    const crioimg_allocator *a;
} crioimg__pp;

#define CRIOIMG__PP_FAIL CRIOIMG_ERR_POLICY_INVALID

/* a decoded STRING token into the scratch buffer, NUL-terminated (strings hold no NUL: checked first) */
static crioimg_result crioimg__pp_str(crioimg__pp *p, size_t tok, const char **s, size_t *n)
{
    size_t need = p->d->tok[tok].len + 1;
    if (need > p->scap) {
        char *b = (char *)crioimg_realloc(p->a, p->scratch, need);
        if (b == NULL) return CRIOIMG_ERR_NOMEM;
        p->scratch = b; p->scap = need;
    }
    *n = crioimg_json_string(p->d, tok, p->scratch, p->scap);
    *s = p->scratch;
    return CRIOIMG_OK;
}

/* Go's %s of a decoded string: unescaped straight into the bounded output (what does not fit is
   counted, as crioimg__out_put does) */
static void crioimg__pp_put(crioimg__out *o, const crioimg_json *d, size_t tok)
{
    size_t room = o->len < o->cap ? o->cap - o->len : 0;
    o->len += crioimg_json_string(d, tok, room ? o->p + o->len : NULL, room);
}

/* Go's %v of the float64 a JSON number decodes to: the shortest digits that read back the same, as
   %e when the exponent is < -4 or >= 6 (strconv's 'g' with the shortest precision), else as a plain
   decimal ("1e3" is 1000, "0E0" is 0, "1234567" is 1.234567e+06). a: for a copy of a long number. */
static void crioimg__pp_put_float(crioimg__out *o, const char *s, size_t n, const crioimg_allocator *a)
{
    char small[64], *num = small, e[40], digits[24];
    double v;
    int prec, x;
    size_t nd = 0, i;
    const char *m;
    if (n >= sizeof small && (num = (char *)crioimg_malloc(a, n + 1)) == NULL) { crioimg__out_put(o, s, n); return; }
    memcpy(num, s, n);
    num[n] = '\0';
    v = strtod(num, NULL);
    if (num != small) crioimg_free(a, num);
    for (prec = 0; prec < 17; prec++) {
        snprintf(e, sizeof e, "%.*e", prec, v);
        if (strtod(e, NULL) == v) break;
    }
    m = e;
    if (*m == '-') { crioimg__out_put(o, "-", 1); m++; }
    if (*m < '0' || *m > '9') { crioimg__out_str(o, m); return; }  /* inf: Go fails earlier; keep the text */
    for (; *m && *m != 'e'; m++) if (*m != '.') digits[nd++] = *m;
    x = atoi(m + 1);
    if (x < -4 || x >= 6) { crioimg__out_str(o, e + (e[0] == '-')); return; }
    if (x < 0) {
        crioimg__out_str(o, "0.");
        for (i = 1; i < (size_t)-x; i++) crioimg__out_put(o, "0", 1);
        crioimg__out_put(o, digits, nd);
        return;
    }
    for (i = 0; i <= (size_t)x; i++) crioimg__out_put(o, i < nd ? digits + i : "0", 1);
    if (nd > (size_t)x + 1) { crioimg__out_put(o, ".", 1); crioimg__out_put(o, digits + x + 1, nd - (size_t)x - 1); }
}

static crioimg_result crioimg__pp_fail(crioimg__pp *p, const char *a, const crioimg_json *d, size_t tok, const char *b)
{
    crioimg__out_str(p->e, a);
    if (d) crioimg__pp_put(p->e, d, tok);
    if (b) crioimg__out_str(p->e, b);
    return CRIOIMG__PP_FAIL;
}

/* encoding/json's name for what a token is, in "cannot unmarshal X into ..." */
static const char *crioimg__pp_kind(const crioimg_json *d, size_t t)
{
    switch (d->tok[t].type) {
    case CRIOIMG_JSON_NUMBER: return "number";
    case CRIOIMG_JSON_STRING: return "string";
    case CRIOIMG_JSON_ARRAY: return "array";
    case CRIOIMG_JSON_OBJECT: return "object";
    default: return "bool";
    }
}

static crioimg_result crioimg__pp_type_error(crioimg__pp *p, size_t t, const char *go_type)
{
    crioimg__out_str(p->e, "json: cannot unmarshal ");
    crioimg__out_str(p->e, crioimg__pp_kind(p->d, t));
    crioimg__out_str(p->e, " into Go ");
    crioimg__out_str(p->e, go_type);
    return CRIOIMG__PP_FAIL;
}

/* ParanoidUnmarshalJSONObject's first check: `JSON object expected, got "%s"` with the decoder's token */
static crioimg_result crioimg__pp_object(crioimg__pp *p, size_t t)
{
    const crioimg_json_token *k = &p->d->tok[t];
    if (k->type == CRIOIMG_JSON_OBJECT) return CRIOIMG_OK;
    crioimg__out_str(p->e, "JSON object expected, got \"");
    switch (k->type) {
    case CRIOIMG_JSON_ARRAY: crioimg__out_str(p->e, "["); break;
    case CRIOIMG_JSON_STRING: crioimg__pp_put(p->e, p->d, t); break;
    case CRIOIMG_JSON_NULL: crioimg__out_str(p->e, "%!s(<nil>)"); break;
    case CRIOIMG_JSON_TRUE: crioimg__out_str(p->e, "%!s(bool=true)"); break;
    case CRIOIMG_JSON_FALSE: crioimg__out_str(p->e, "%!s(bool=false)"); break;
    default:
        crioimg__out_str(p->e, "%!s(float64=");
        crioimg__pp_put_float(p->e, p->d->buf + k->start, k->len, p->a);
        crioimg__out_str(p->e, ")");
    }
    crioimg__out_str(p->e, "\"");
    return CRIOIMG__PP_FAIL;
}

/* ---- the fields of one paranoid object: each key at most once (the JSON reader refuses repeats),
   an unknown key refused, values checked against their Go types ---- */

enum { CRIOIMG__F_PRTYPE, CRIOIMG__F_PRMTYPE, CRIOIMG__F_STRING, CRIOIMG__F_KEYTYPE, CRIOIMG__F_STRINGS, CRIOIMG__F_BYTES, CRIOIMG__F_RAW };
typedef struct crioimg__pfield { const char *key; int kind; } crioimg__pfield;
#define CRIOIMG__PF_MAX 6

static const char *const crioimg__sb_key_types[] = { "GPGKeys", "signedByGPGKeys", "X509Certificates", "signedByX509CAs" };

static int crioimg__pp_is_key_type(const char *s, size_t n)
{
    size_t i;
    for (i = 0; i < sizeof crioimg__sb_key_types / sizeof crioimg__sb_key_types[0]; i++)
        if (n == strlen(crioimg__sb_key_types[i]) && memcmp(s, crioimg__sb_key_types[i], n) == 0) return 1;
    return 0;
}

/* Where Go's base64.StdEncoding.Decode fails on s[0, n) (its CorruptInputError), or (size_t)-1 when it
   decodes: Go's decodeQuantum step by step (CR and LF skipped, "=" padding required, trailing bits not
   checked), so that "illegal base64 data at input byte N" names Go's N. */
static size_t crioimg__pp_b64_error(const char *s, size_t n)
{
    size_t si = 0;
    while (si < n) {
        int j;
        for (j = 0; j < 4; j++) {
            unsigned char in;
            if (si == n) return j == 0 ? (size_t)-1 : si - (size_t)j;  /* a quantum cut short: padding is required */
            in = (unsigned char)s[si++];
            if ((in >= 'A' && in <= 'Z') || (in >= 'a' && in <= 'z') || (in >= '0' && in <= '9') || in == '+' || in == '/') continue;
            if (in == '\n' || in == '\r') { j--; continue; }
            if (in != '=' || j < 2) return si - 1;
            if (j == 2) {  /* "==" expected */
                while (si < n && (s[si] == '\n' || s[si] == '\r')) si++;
                if (si == n) return n;
                if (s[si] != '=') return si - 1;
                si++;
            }
            while (si < n && (s[si] == '\n' || s[si] == '\r')) si++;
            return si < n ? si : (size_t)-1;   /* anything after the padding is an error */
        }
    }
    return (size_t)-1;
}

static crioimg_result crioimg__pp_value(crioimg__pp *p, int kind, size_t v)
{
    const crioimg_json *d = p->d;
    int type = d->tok[v].type;
    const char *s;
    size_t n, i;
    crioimg_result r;
    if (kind == CRIOIMG__F_RAW) return CRIOIMG_OK;
    if (kind == CRIOIMG__F_KEYTYPE) {  /* sbKeyType.UnmarshalJSON: a string (null is ""), then IsValid */
        if (type != CRIOIMG_JSON_STRING && type != CRIOIMG_JSON_NULL) return crioimg__pp_type_error(p, v, "value of type string");
        if (type == CRIOIMG_JSON_NULL) return crioimg__pp_fail(p, "Unrecognized keyType value \"\"", NULL, 0, NULL);
        if ((r = crioimg__pp_str(p, v, &s, &n)) != CRIOIMG_OK) return r;
        if (!crioimg__pp_is_key_type(s, n)) return crioimg__pp_fail(p, "Unrecognized keyType value \"", d, v, "\"");
        return CRIOIMG_OK;
    }
    if (type == CRIOIMG_JSON_NULL) return CRIOIMG_OK;   /* encoding/json: null leaves the value as it was */
    if (kind == CRIOIMG__F_STRINGS) {
        if (type != CRIOIMG_JSON_ARRAY) return crioimg__pp_type_error(p, v, "value of type []string");
        for (i = v + 1; i < d->tok[v].next; i = d->tok[i].next)
            if (d->tok[i].type != CRIOIMG_JSON_STRING && d->tok[i].type != CRIOIMG_JSON_NULL) return crioimg__pp_type_error(p, i, "value of type string");
        return CRIOIMG_OK;
    }
    if (kind == CRIOIMG__F_BYTES) {  /* []byte: base64 text, or an array of numbers 0-255 */
        if (type == CRIOIMG_JSON_STRING) {
            size_t bad;
            if ((r = crioimg__pp_str(p, v, &s, &n)) != CRIOIMG_OK) return r;
            if ((bad = crioimg__pp_b64_error(s, n)) != (size_t)-1) {
                crioimg__out_str(p->e, "illegal base64 data at input byte ");
                crioimg__out_uint(p->e, bad);
                return CRIOIMG__PP_FAIL;
            }
            return CRIOIMG_OK;
        }
        if (type != CRIOIMG_JSON_ARRAY) return crioimg__pp_type_error(p, v, "value of type []uint8");
        for (i = v + 1; i < d->tok[v].next; i = d->tok[i].next) {
            long long x;
            if (d->tok[i].type == CRIOIMG_JSON_NULL) continue;
            if (d->tok[i].type != CRIOIMG_JSON_NUMBER) return crioimg__pp_type_error(p, i, "value of type uint8");
            if (crioimg_json_int(d, i, 0, 255, &x) != CRIOIMG_OK) {
                crioimg__out_str(p->e, "json: cannot unmarshal number ");
                crioimg__out_put(p->e, d->buf + d->tok[i].start, d->tok[i].len < 64 ? d->tok[i].len : 64);
                crioimg__out_str(p->e, " into Go value of type uint8");
                return CRIOIMG__PP_FAIL;
            }
        }
        return CRIOIMG_OK;
    }
    if (type != CRIOIMG_JSON_STRING)
        return crioimg__pp_type_error(p, v, kind == CRIOIMG__F_PRTYPE ? "value of type signature.prTypeIdentifier" :
                                            kind == CRIOIMG__F_PRMTYPE ? "value of type signature.prmTypeIdentifier" : "value of type string");
    return CRIOIMG_OK;
}

/* ParanoidUnmarshalJSONObject (exact = 0) / ...ExactFields (exact = 1) over fields; at[i] is the value
   token of fields[i], or CRIOIMG_JSON_NONE when absent */
static crioimg_result crioimg__pp_fields(crioimg__pp *p, size_t obj, const crioimg__pfield *f, size_t nf, int exact, size_t *at)
{
    const crioimg_json *d = p->d;
    size_t i, k;
    crioimg_result r;
    if ((r = crioimg__pp_object(p, obj)) != CRIOIMG_OK) return r;
    for (k = 0; k < nf; k++) at[k] = CRIOIMG_JSON_NONE;
    for (i = obj + 1; i < d->tok[obj].next; i = d->tok[i + 1].next) {
        for (k = 0; k < nf; k++) if (crioimg_json_string_eq(d, i, f[k].key, strlen(f[k].key))) break;
        if (k == nf) return crioimg__pp_fail(p, "Unknown key \"", d, i, "\"");
        at[k] = i + 1;
        if ((r = crioimg__pp_value(p, f[k].kind, i + 1)) != CRIOIMG_OK) return r;
    }
    if (exact)
        for (k = 0; k < nf; k++)
            if (at[k] == CRIOIMG_JSON_NONE) {
                crioimg__out_str(p->e, "Key \"");
                crioimg__out_str(p->e, f[k].key);
                crioimg__out_str(p->e, "\" missing in a JSON object");
                return CRIOIMG__PP_FAIL;
            }
    return CRIOIMG_OK;
}

/* 1 when the string field at token t (absent or null: "") equals s */
static int crioimg__pp_field_is(const crioimg__pp *p, size_t t, const char *s)
{
    if (t == CRIOIMG_JSON_NONE || p->d->tok[t].type != CRIOIMG_JSON_STRING) return s[0] == '\0';
    return crioimg_json_string_eq(p->d, t, s, strlen(s));
}

/* `Unexpected policy requirement type "%s"` (c/image uses the text for reference matches too) */
static crioimg_result crioimg__pp_expect_type(crioimg__pp *p, size_t t, const char *want)
{
    if (crioimg__pp_field_is(p, t, want)) return CRIOIMG_OK;
    crioimg__out_str(p->e, "Unexpected policy requirement type \"");
    if (t != CRIOIMG_JSON_NONE && p->d->tok[t].type == CRIOIMG_JSON_STRING) crioimg__pp_put(p->e, p->d, t);
    crioimg__out_str(p->e, "\"");
    return CRIOIMG__PP_FAIL;
}

/* encoding/json into prCommon / prmCommon: the "type" member, its key matched without case as
   encoding/json does, the last one winning; a non-string one is an error, null changes nothing */
static crioimg_result crioimg__pp_common(crioimg__pp *p, size_t v, int prm, size_t *type_tok)
{
    const crioimg_json *d = p->d;
    size_t i;
    *type_tok = CRIOIMG_JSON_NONE;
    if (d->tok[v].type == CRIOIMG_JSON_NULL) return CRIOIMG_OK;
    if (d->tok[v].type != CRIOIMG_JSON_OBJECT)
        return crioimg__pp_type_error(p, v, prm ? "value of type signature.prmCommon" : "value of type signature.prCommon");
    for (i = v + 1; i < d->tok[v].next; i = d->tok[i + 1].next) {
        const crioimg_json_token *k = &d->tok[i];
        char key[8];
        size_t kl;
        if (k->len > 6 * 4 + 4) continue;  /* longer than any spelling of "type" */
        kl = crioimg_json_string(d, i, key, sizeof key);
        if (kl >= sizeof key || !crioimg__go_fold_eq(key, kl, "type")) continue;
        if (d->tok[i + 1].type == CRIOIMG_JSON_NULL) continue;
        if (d->tok[i + 1].type != CRIOIMG_JSON_STRING)
            return crioimg__pp_type_error(p, i + 1, prm ? "struct field prmCommon.type of type signature.prmTypeIdentifier"
                                                        : "struct field prCommon.type of type signature.prTypeIdentifier");
        *type_tok = i + 1;
    }
    return CRIOIMG_OK;
}

/* validateIdentityRemappingPrefix: a domain, or a name that starts with a domain and "/" */
static int crioimg__pp_remap_prefix_ok(const char *s, size_t n)
{
    const char *slash = (const char *)memchr(s, '/', n);
    size_t k;
    if (crioimg__ref_domain(s, n)) return 1;
    if (slash == NULL) return 0;
    k = (size_t)(slash - s);
    return crioimg__ref_domain(s, k) && (crioimg__ref_path_ok(s + k + 1, n - k - 1, 0) || crioimg__ref_path_ok(s, n, 0));
}

/* newPolicyReferenceMatchFromJSON and the prm* UnmarshalJSON methods */
static crioimg_result crioimg__pp_prm(crioimg__pp *p, size_t v)
{
    static const crioimg__pfield f_type[] = { { "type", CRIOIMG__F_PRMTYPE } };
    static const crioimg__pfield f_ref[] = { { "type", CRIOIMG__F_PRMTYPE }, { "dockerReference", CRIOIMG__F_STRING } };
    static const crioimg__pfield f_repo[] = { { "type", CRIOIMG__F_PRMTYPE }, { "dockerRepository", CRIOIMG__F_STRING } };
    static const crioimg__pfield f_remap[] = { { "type", CRIOIMG__F_PRMTYPE }, { "prefix", CRIOIMG__F_STRING }, { "signedPrefix", CRIOIMG__F_STRING } };
    static const char *const simple[] = { "matchExact", "matchRepoDigestOrExact", "matchRepository" };
    size_t tt, at[3], i;
    crioimg_result r;
    if ((r = crioimg__pp_common(p, v, 1, &tt)) != CRIOIMG_OK) return r;
    for (i = 0; i < 3; i++)
        if (crioimg__pp_field_is(p, tt, simple[i])) {
            if ((r = crioimg__pp_fields(p, v, f_type, 1, 1, at)) != CRIOIMG_OK) return r;
            return crioimg__pp_expect_type(p, at[0], simple[i]);
        }
    if (crioimg__pp_field_is(p, tt, "exactReference") || crioimg__pp_field_is(p, tt, "exactRepository")) {
        int is_ref = crioimg__pp_field_is(p, tt, "exactReference");
        const char *s, *what = is_ref ? "dockerReference" : "dockerRepository";
        size_t n;
        crioimg_ref ref;
        if ((r = crioimg__pp_fields(p, v, is_ref ? f_ref : f_repo, 2, 1, at)) != CRIOIMG_OK) return r;
        if ((r = crioimg__pp_expect_type(p, at[0], is_ref ? "exactReference" : "exactRepository")) != CRIOIMG_OK) return r;
        if (p->d->tok[at[1]].type == CRIOIMG_JSON_NULL) s = "", n = 0;
        else if ((r = crioimg__pp_str(p, at[1], &s, &n)) != CRIOIMG_OK) return r;
        r = crioimg_ref_parse_normalized(&ref, s, n);
        if (r != CRIOIMG_OK) {
            char m[300];
            crioimg_ref_error_message(r, s, n, m, sizeof m);
            crioimg__out_str(p->e, "Invalid format of ");
            crioimg__out_str(p->e, what);
            crioimg__out_str(p->e, " ");
            crioimg__out_put(p->e, s, n);
            crioimg__out_str(p->e, ": ");
            crioimg__out_str(p->e, m);
            return CRIOIMG__PP_FAIL;
        }
        if (is_ref && ref.tag_len == 0 && ref.digest_len == 0) {
            crioimg__out_str(p->e, "dockerReference ");
            crioimg__out_put(p->e, s, n);
            crioimg__out_str(p->e, " contains neither a tag nor digest");
            return CRIOIMG__PP_FAIL;
        }
        return CRIOIMG_OK;
    }
    if (crioimg__pp_field_is(p, tt, "remapIdentity")) {
        if ((r = crioimg__pp_fields(p, v, f_remap, 3, 1, at)) != CRIOIMG_OK) return r;
        if ((r = crioimg__pp_expect_type(p, at[0], "remapIdentity")) != CRIOIMG_OK) return r;
        for (i = 1; i <= 2; i++) {
            const char *s = "";
            size_t n = 0;
            if (p->d->tok[at[i]].type == CRIOIMG_JSON_STRING && (r = crioimg__pp_str(p, at[i], &s, &n)) != CRIOIMG_OK) return r;
            if (!crioimg__pp_remap_prefix_ok(s, n)) {
                crioimg__out_str(p->e, "prefix ");
                crioimg__out_goquote(p->e, s, n);
                crioimg__out_str(p->e, " is not valid");
                return CRIOIMG__PP_FAIL;
            }
        }
        return CRIOIMG_OK;
    }
    crioimg__out_str(p->e, "Unknown policy reference match type \"");
    if (tt != CRIOIMG_JSON_NONE) crioimg__pp_put(p->e, p->d, tt);
    crioimg__out_str(p->e, "\"");
    return CRIOIMG__PP_FAIL;
}

/* the signedIdentity member: absent means matchRepoDigestOrExact; present (even null) is parsed */
static crioimg_result crioimg__pp_identity(crioimg__pp *p, size_t t)
{
    return t == CRIOIMG_JSON_NONE ? CRIOIMG_OK : crioimg__pp_prm(p, t);
}

/* newPolicyRequirementFromJSON and the pr* UnmarshalJSON methods; *type gets the requirement's type */
static crioimg_result crioimg__pp_requirement(crioimg__pp *p, size_t v, unsigned char *type)
{
    static const crioimg__pfield f_simple[] = { { "type", CRIOIMG__F_PRTYPE } };
    static const crioimg__pfield f_signed_by[] = { { "type", CRIOIMG__F_PRTYPE }, { "keyType", CRIOIMG__F_KEYTYPE }, { "keyPath", CRIOIMG__F_STRING },
                                                   { "keyPaths", CRIOIMG__F_STRINGS }, { "keyData", CRIOIMG__F_BYTES }, { "signedIdentity", CRIOIMG__F_RAW } };
    static const crioimg__pfield f_base[] = { { "type", CRIOIMG__F_PRTYPE }, { "baseLayerIdentity", CRIOIMG__F_RAW } };
    static const crioimg__pfield f_sigstore[] = { { "type", CRIOIMG__F_PRTYPE }, { "keyPath", CRIOIMG__F_STRING }, { "keyData", CRIOIMG__F_BYTES },
                                                  { "signedIdentity", CRIOIMG__F_RAW } };
    const crioimg_json *d = p->d;
    size_t tt, at[CRIOIMG__PF_MAX];
    unsigned char t;
    crioimg_result r;
    if ((r = crioimg__pp_common(p, v, 0, &tt)) != CRIOIMG_OK) return r;
    for (t = 0; t < sizeof crioimg__pr_names / sizeof crioimg__pr_names[0]; t++)
        if (crioimg__pp_field_is(p, tt, crioimg__pr_names[t])) break;
    *type = t;
    switch (t) {
    case CRIOIMG__PR_ACCEPT:
    case CRIOIMG__PR_REJECT:
        if ((r = crioimg__pp_fields(p, v, f_simple, 1, 1, at)) != CRIOIMG_OK) return r;
        return crioimg__pp_expect_type(p, at[0], crioimg__pr_names[t]);
    case CRIOIMG__PR_SIGNED_BY: {
        int got_path, got_paths, got_data, sources = 0;
        if ((r = crioimg__pp_fields(p, v, f_signed_by, 6, 0, at)) != CRIOIMG_OK) return r;
        if ((r = crioimg__pp_expect_type(p, at[0], "signedBy")) != CRIOIMG_OK) return r;
        if ((r = crioimg__pp_identity(p, at[5])) != CRIOIMG_OK) return r;
        got_path = at[2] != CRIOIMG_JSON_NONE; got_paths = at[3] != CRIOIMG_JSON_NONE; got_data = at[4] != CRIOIMG_JSON_NONE;
        if (got_path + got_paths + got_data == 0)
            return crioimg__pp_fail(p, "Exactly one of keyPath, keyPaths and keyData must be specified, none of them present", NULL, 0, NULL);
        if (got_path + got_paths + got_data > 1)
            return crioimg__pp_fail(p, "Exactly one of keyPath, keyPaths and keyData must be specified, more than one present", NULL, 0, NULL);
        /* newPRSignedBy: a valid keyType, then exactly one non-empty key source (a null or "" keyPath and a
           null keyPaths or keyData count as none; "" keyData and [] keyPaths count, as in Go) */
        if (at[1] == CRIOIMG_JSON_NONE) return crioimg__pp_fail(p, "invalid keyType \"\"", NULL, 0, NULL);
        if (got_path && !crioimg__pp_field_is(p, at[2], "")) sources++;
        if (got_paths && d->tok[at[3]].type != CRIOIMG_JSON_NULL) sources++;
        if (got_data && d->tok[at[4]].type != CRIOIMG_JSON_NULL) sources++;
        if (sources != 1) return crioimg__pp_fail(p, "exactly one of keyPath, keyPaths and keyData must be specified", NULL, 0, NULL);
        return CRIOIMG_OK;
    }
    case CRIOIMG__PR_BASE_LAYER:
        if ((r = crioimg__pp_fields(p, v, f_base, 2, 1, at)) != CRIOIMG_OK) return r;
        if ((r = crioimg__pp_expect_type(p, at[0], "signedBaseLayer")) != CRIOIMG_OK) return r;
        return crioimg__pp_prm(p, at[1]);
    case CRIOIMG__PR_SIGSTORE:
        if ((r = crioimg__pp_fields(p, v, f_sigstore, 4, 0, at)) != CRIOIMG_OK) return r;
        if ((r = crioimg__pp_expect_type(p, at[0], "sigstoreSigned")) != CRIOIMG_OK) return r;
        if ((r = crioimg__pp_identity(p, at[3])) != CRIOIMG_OK) return r;
        if (at[1] != CRIOIMG_JSON_NONE && at[2] != CRIOIMG_JSON_NONE)
            return crioimg__pp_fail(p, "keyPath and keyData cannot be used simultaneously", NULL, 0, NULL);
        if (at[1] == CRIOIMG_JSON_NONE && at[2] == CRIOIMG_JSON_NONE)
            return crioimg__pp_fail(p, "At least one of keyPath and keyData must be specified", NULL, 0, NULL);
        return CRIOIMG_OK;
    default:
        crioimg__out_str(p->e, "Unknown policy requirement type \"");
        if (tt != CRIOIMG_JSON_NONE) crioimg__pp_put(p->e, d, tt);
        crioimg__out_str(p->e, "\"");
        return CRIOIMG__PP_FAIL;
    }
}

/* PolicyRequirements.UnmarshalJSON: a non-empty array of requirements; *first gets where they go */
static crioimg_result crioimg__pp_requirements(crioimg__pp *p, size_t v, size_t *first, size_t *n)
{
    const crioimg_json *d = p->d;
    size_t i;
    crioimg_result r;
    *first = p->nreqs; *n = 0;
    if (d->tok[v].type != CRIOIMG_JSON_ARRAY && d->tok[v].type != CRIOIMG_JSON_NULL)
        return crioimg__pp_type_error(p, v, "value of type []json.RawMessage");
    if (d->tok[v].type == CRIOIMG_JSON_NULL || d->tok[v].count == 0)
        return crioimg__pp_fail(p, "List of verification policy requirements must not be empty", NULL, 0, NULL);
    for (i = v + 1; i < d->tok[v].next; i = d->tok[i].next) {
        unsigned char t;
        if ((r = crioimg__pp_requirement(p, i, &t)) != CRIOIMG_OK) return r;
        if (p->fill) p->fill->reqs[p->nreqs] = t;
        p->nreqs++;
    }
    *n = p->nreqs - *first;
    return CRIOIMG_OK;
}

/* Go's filepath.Clean(s) == s for an absolute s: no empty, "." or ".." component, no trailing '/' */
static int crioimg__pp_clean_abs(const char *s, size_t n)
{
    size_t i = 1, start;
    if (n < 2 || s[0] != '/') return 0;  /* "/" itself is refused by every caller */
    for (;;) {
        start = i;
        while (i < n && s[i] != '/') i++;
        if (i == start || (i - start == 1 && s[start] == '.') || (i - start == 2 && s[start] == '.' && s[start + 1] == '.')) return 0;
        if (i == n) return 1;
        i++;
    }
}

/* containers/image's storageTransport.ValidatePolicyConfigurationScope */
static int crioimg__pp_storage_scope_ok(const char *s, size_t n)
{
    const char *close = (const char *)memchr(s, ']', n), *at, *rest;
    size_t spec, rn, f1;
    if (n == 0 || s[0] != '[' || close == NULL) return 0;
    spec = (size_t)(close - s) - 1;
    at = (const char *)memchr(s + 1, '@', spec);
    if (at == NULL) { if (spec == 0 || s[1] != '/') return 0; }
    else if (at == s + 1 || at + 1 == close || at[1] != '/') return 0;
    rest = close + 1;
    rn = n - (size_t)(rest - s);
    if ((at = (const char *)memchr(rest, '@', rn)) == NULL) return 1;
    rest = at + 1; rn = n - (size_t)(rest - s);
    at = (const char *)memchr(rest, '@', rn);
    f1 = at ? (size_t)(at - rest) : rn;
    if (at == NULL)  /* name@ID or name@digest */
        return crioimg_id_is_full(rest, f1) || crioimg_digest_validate(rest, f1) == CRIOIMG_OK;
    return crioimg_digest_validate(rest, f1) == CRIOIMG_OK && crioimg_id_is_full(at + 1, rn - f1 - 1);
}

/* Whether transport accepts scope ("" is always accepted), as its ValidatePolicyConfigurationScope in
   a default c/image 5.23 build: ostree is a stub there, and unknown transports accept anything. */
static int crioimg__pp_scope_ok(const char *tr, const char *s, size_t n)
{
    if (n == 0) return 1;
    if (strcmp(tr, "docker-archive") == 0 || strcmp(tr, "tarball") == 0) return 0;
    if (strcmp(tr, "dir") == 0 || strcmp(tr, "sif") == 0 || strcmp(tr, "oci") == 0 || strcmp(tr, "oci-archive") == 0)
        return crioimg__pp_clean_abs(s, n);
    if (strcmp(tr, "docker-daemon") == 0) return crioimg_digest_validate(s, n) != CRIOIMG_OK;
    if (strcmp(tr, "containers-storage") == 0) return crioimg__pp_storage_scope_ok(s, n);
    return 1;
}

/* a name into the strings area (fill) or counted */
static const char *crioimg__pp_keep(crioimg__pp *p, const char *s, size_t n)
{
    char *out = NULL;
    if (p->fill) { out = p->strings + p->nstr; memcpy(out, s, n); out[n] = '\0'; }
    p->nstr += n + 1;
    return out;
}

static int crioimg__pp_scope_cmp(const void *a, const void *b)
{
    const crioimg__pol_scope *x = (const crioimg__pol_scope *)a, *y = (const crioimg__pol_scope *)b;
    int c = memcmp(x->name, y->name, x->len < y->len ? x->len : y->len);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

static crioimg_result crioimg__pp_transports(crioimg__pp *p, size_t v)
{
    const crioimg_json *d = p->d;
    size_t i, j;
    crioimg_result r;
    if ((r = crioimg__pp_object(p, v)) != CRIOIMG_OK) return r;
    for (i = v + 1; i < d->tok[v].next; i = d->tok[i + 1].next) {
        const char *s, *tname;
        size_t n, first = p->nscopes;
        if ((r = crioimg__pp_str(p, i, &s, &n)) != CRIOIMG_OK) return r;
        tname = crioimg__pp_keep(p, s, n);
        if ((r = crioimg__pp_object(p, i + 1)) != CRIOIMG_OK) return r;
        for (j = i + 2; j < d->tok[i + 1].next; j = d->tok[j + 1].next) {
            size_t rf, rn;
            const char *sn;
            const char *tr = p->fill ? tname : NULL;
            char trbuf[32];
            if (tr == NULL) {  /* counting pass: the transport name is still in the scratch buffer's place */
                size_t tl = crioimg_json_string(d, i, trbuf, sizeof trbuf);
                tr = tl < sizeof trbuf ? trbuf : "";
            }
            if ((r = crioimg__pp_str(p, j, &s, &n)) != CRIOIMG_OK) return r;
            if (!crioimg__pp_scope_ok(tr, s, n)) return crioimg__pp_fail(p, "Unknown key \"", d, j, "\"");
            sn = crioimg__pp_keep(p, s, n);
            if ((r = crioimg__pp_requirements(p, j + 1, &rf, &rn)) != CRIOIMG_OK) return r;
            if (p->fill) {
                crioimg__pol_scope *sc = &p->fill->scopes[p->nscopes];
                sc->name = sn; sc->len = n; sc->first = rf; sc->n = rn;
            }
            p->nscopes++;
        }
        if (p->fill) {
            crioimg__pol_transport *t = &p->fill->transports[p->ntransports];
            t->name = tname; t->first = first; t->n = p->nscopes - first;
            qsort(p->fill->scopes + first, t->n, sizeof *p->fill->scopes, crioimg__pp_scope_cmp);
        }
        p->ntransports++;
    }
    return CRIOIMG_OK;
}

/* Policy.UnmarshalJSON */
static crioimg_result crioimg__pp_policy(crioimg__pp *p)
{
    const crioimg_json *d = p->d;
    size_t i, df = 0, dn = 0;
    int have_default = 0;
    crioimg_result r;
    if ((r = crioimg__pp_object(p, 0)) != CRIOIMG_OK) return r;
    for (i = 1; i < d->tok[0].next; i = d->tok[i + 1].next) {
        if (crioimg_json_string_eq(d, i, "default", 7)) {
            if ((r = crioimg__pp_requirements(p, i + 1, &df, &dn)) != CRIOIMG_OK) return r;
            have_default = 1;
        } else if (crioimg_json_string_eq(d, i, "transports", 10)) {
            if ((r = crioimg__pp_transports(p, i + 1)) != CRIOIMG_OK) return r;
        } else {
            return crioimg__pp_fail(p, "Unknown key \"", d, i, "\"");
        }
    }
    if (!have_default) return crioimg__pp_fail(p, "Default policy is missing", NULL, 0, NULL);
    if (p->fill) { p->fill->def_first = df; p->fill->def_n = dn; }
    return CRIOIMG_OK;
}

/* 1-based line of byte offset at */
static size_t crioimg__pp_line(const char *buf, size_t at)
{
    size_t i, line = 1;
    for (i = 0; i < at; i++) line += buf[i] == '\n';
    return line;
}

/* The offset of the first "\u0000" escape in a string of the document, or (size_t)-1. Escapes are
   already validated, so a backslash always starts one. */
static size_t crioimg__pp_find_nul(const crioimg_json *d)
{
    size_t t;
    for (t = 0; t < d->ntok; t++) {
        const crioimg_json_token *k = &d->tok[t];
        const char *s = d->buf + k->start;
        size_t i;
        if (k->type != CRIOIMG_JSON_STRING || !k->escaped) continue;
        for (i = 0; i < k->len; i++) {
            if (s[i] != '\\') continue;
            if (s[i + 1] == 'u' && memcmp(s + i + 2, "0000", 4) == 0) return k->start + i;
            i += s[i + 1] == 'u' ? 5 : 1;
        }
    }
    return (size_t)-1;
}

static void crioimg__pp_prefix(crioimg__out *e, const char *name)
{
    if (name == NULL) return;
    crioimg__out_str(e, "invalid policy in ");
    crioimg__out_goquote(e, name, strlen(name));
    crioimg__out_str(e, ": ");
}

crioimg_result crioimg_policy_parse(crioimg_policy **out, const char *buf, size_t len, const char *name,
                                    const crioimg_allocator *alloc, char *err, size_t errcap)
{
    crioimg_json doc;
    crioimg_json_opts jo;
    crioimg__pp p;
    crioimg__out e;
    crioimg_allocator a;
    crioimg_policy *pol;
    size_t at, nlen = name ? strlen(name) : 0, sz;
    crioimg_result r;
    e.p = err; e.cap = err ? errcap : 0; e.len = 0;
    if (e.cap) err[0] = '\0';
    if (out) *out = NULL;
    if (out == NULL || (buf == NULL && len > 0) || crioimg_allocator_check(alloc) != CRIOIMG_OK) return CRIOIMG_ERR_INVALID_ARGS;
    memset(&a, 0, sizeof a);
    if (alloc) a = *alloc;
    if (len > CRIOIMG_POLICY_MAX_SIZE) {
        crioimg__pp_prefix(&e, name);
        crioimg__out_str(&e, "larger than 1 MiB");
        return CRIOIMG_ERR_TOO_BIG;
    }
    memset(&jo, 0, sizeof jo);
    jo.max_size = CRIOIMG_POLICY_MAX_SIZE;
    jo.alloc = a;
    r = crioimg_json_parse(&doc, buf ? buf : "", len, &jo);
    if (r == CRIOIMG_ERR_NOMEM) return r;
    if (r != CRIOIMG_OK) {
        crioimg__pp_prefix(&e, name);
        if (r == CRIOIMG_ERR_JSON_DUPLICATE) {  /* ParanoidUnmarshalJSONObject's text */
            crioimg__out_str(&e, "Duplicate key");
            crioimg__out_str(&e, doc.err + strlen("duplicate key"));
        } else {
            crioimg__out_str(&e, "line ");
            crioimg__out_uint(&e, crioimg__pp_line(buf, doc.err_offset < len ? doc.err_offset : len));
            crioimg__out_str(&e, ": ");
            crioimg__out_str(&e, doc.err[0] ? doc.err : crioimg_result_str(r));
        }
        return r == CRIOIMG_ERR_JSON_TOO_BIG ? CRIOIMG_ERR_TOO_BIG : CRIOIMG_ERR_POLICY_INVALID;
    }
    /* Hardening: c/image would keep a NUL inside a scope or a path; nothing legitimate needs one. */
    if ((at = crioimg__pp_find_nul(&doc)) != (size_t)-1) {
        crioimg__pp_prefix(&e, name);
        crioimg__out_str(&e, "line ");
        crioimg__out_uint(&e, crioimg__pp_line(buf, at));
        crioimg__out_str(&e, ": a NUL byte (\\u0000) in a string is not allowed");
        crioimg_json_free(&doc);
        return CRIOIMG_ERR_POLICY_INVALID;
    }
    memset(&p, 0, sizeof p);
    p.d = &doc; p.a = &a;
    p.e = &e;
    crioimg__pp_prefix(&e, name);
    if ((r = crioimg__pp_policy(&p)) != CRIOIMG_OK) {
        crioimg_free(&a, p.scratch);
        crioimg_json_free(&doc);
        if (r != CRIOIMG_ERR_POLICY_INVALID && e.cap) err[0] = '\0';
        return r;
    }
    /* one block: the policy, its requirements, scopes, transports and names */
    sz = sizeof *pol + p.nscopes * sizeof(crioimg__pol_scope) + p.ntransports * sizeof(crioimg__pol_transport) + p.nreqs + p.nstr + nlen + 1;
    if ((pol = (crioimg_policy *)crioimg_malloc(&a, sz)) == NULL) {
        crioimg_free(&a, p.scratch);
        crioimg_json_free(&doc);
        return CRIOIMG_ERR_NOMEM;
    }
    memset(pol, 0, sizeof *pol);
    pol->alloc = a;
    pol->scopes = (crioimg__pol_scope *)(void *)(pol + 1);
    pol->transports = (crioimg__pol_transport *)(void *)(pol->scopes + p.nscopes);
    pol->reqs = (unsigned char *)(pol->transports + p.ntransports);
    pol->ntransports = p.ntransports;
    p.strings = (char *)pol->reqs + p.nreqs;
    pol->path = p.strings + p.nstr;
    memcpy(pol->path, name ? name : "", nlen + 1);
    p.fill = pol;
    p.nreqs = p.nscopes = p.ntransports = p.nstr = 0;
    e.len = 0;
    r = crioimg__pp_policy(&p);   /* cannot fail: the same walk succeeded */
    crioimg_free(&a, p.scratch);
    crioimg_json_free(&doc);
    if (e.cap) err[0] = '\0';
    if (r != CRIOIMG_OK) { crioimg_free(&a, pol); return r; }
    *out = pol;
    return CRIOIMG_OK;
}

crioimg_result crioimg_policy_new_default(crioimg_policy **out, const crioimg_allocator *alloc)
{
    static const char text[] = "{\"default\":[{\"type\":\"insecureAcceptAnything\"}]}";
    return crioimg_policy_parse(out, text, sizeof text - 1, NULL, alloc, NULL, 0);
}

const char *crioimg_policy_path(const crioimg_policy *p) { return p ? p->path : ""; }

void crioimg_policy_free(crioimg_policy *p)
{
    if (p) { crioimg_allocator a = p->alloc; crioimg_free(&a, p); }
}

/* ---- loading ---- */

#ifdef CRIOIMG__POLICY_FS
/* Go's "open PATH: no such file or directory": errno texts start in lower case there */
/* "OP PATH: message" with the message's first letter lowercased, as Go's os errors read. */
static void crioimg__pol_say(crioimg__out *e, const char *op, const char *path, const char *m)
{
    char c = m[0];
    crioimg__out_str(e, op);
    crioimg__out_str(e, " ");
    crioimg__out_str(e, path);
    crioimg__out_str(e, ": ");
    if (c >= 'A' && c <= 'Z' && m[1] >= 'a' && m[1] <= 'z') c = (char)(c - 'A' + 'a');
    if (c) crioimg__out_put(e, &c, 1);
    if (c) crioimg__out_str(e, m + 1);
}

static void crioimg__pol_errno(crioimg__out *e, const char *op, const char *path, int err)
{
    crioimg__pol_say(e, op, path, strerror(err));
}

/* The whole file through the library's one config-file reader (never blocks on a FIFO or device: only
   regular files are read, to the cap), its failures worded as Go's os errors are: "open PATH: no such
   file or directory", "read PATH: a FIFO, not a regular file". */
static crioimg_result crioimg__pol_read(const char *path, const crioimg_allocator *a, char **data, size_t *len, crioimg__out *e)
{
    char wb[256];
    crioimg__out why;
    crioimg_result r;
    why.p = wb; why.cap = sizeof wb; why.len = 0;
    wb[0] = '\0';
    r = crioimg__config_read(path, CRIOIMG_POLICY_MAX_SIZE, a, data, len, &why);
    if (r == CRIOIMG_OK || r == CRIOIMG_ERR_NOMEM) return r;
    if (r == CRIOIMG_ERR_TOO_BIG) {
        crioimg__pp_prefix(e, path);
        crioimg__out_str(e, "larger than 1 MiB");
        return r;
    }
    crioimg__pol_say(e, strstr(wb, "not a regular file") ? "read" : "open", path, wb);
    return r;
}
#endif

/* crioimg_policy_load with the system file as a parameter, so that tests can point it elsewhere */
static crioimg_result crioimg__policy_load(crioimg_policy **out, const char *path, const char *sys_path, const crioimg_allocator *alloc,
                                           char *err, size_t errcap)
{
    crioimg__out e;
    e.p = err; e.cap = err ? errcap : 0; e.len = 0;
    if (e.cap) err[0] = '\0';
    if (out) *out = NULL;
    if (out == NULL || crioimg_allocator_check(alloc) != CRIOIMG_OK) return CRIOIMG_ERR_INVALID_ARGS;
#ifdef CRIOIMG__POLICY_FS
    {
        static const char user_rel[] = "/.config/containers/policy.json";
        const char *home = getenv("HOME");
        char *user = NULL, *data;
        size_t len;
        crioimg_result r;
        struct stat st;
        if (path == NULL && home && home[0]) {  /* defaultPolicyPathWithHomeDir: the user file when it exists */
            size_t hl = strlen(home);
            if ((user = (char *)crioimg_malloc(alloc, hl + sizeof user_rel)) == NULL) return CRIOIMG_ERR_NOMEM;
            memcpy(user, home, hl);
            memcpy(user + hl, user_rel, sizeof user_rel);
            if (stat(user, &st) == 0) path = user;
        }
        r = crioimg__pol_read(path ? path : sys_path, alloc, &data, &len, &e);
        if (r == CRIOIMG_ERR_NOT_FOUND && path == NULL) {
            /* No policy file at all: the containers default (accept), as the README says. */
            crioimg_free(alloc, user);
            if (e.cap) err[0] = '\0';
            return crioimg_policy_new_default(out, alloc);
        }
        if (r == CRIOIMG_OK) {
            r = crioimg_policy_parse(out, data, len, path ? path : sys_path, alloc, err, errcap);
            crioimg_free(alloc, data);
        }
        crioimg_free(alloc, user);
        return r;
    }
#else
    (void)path; (void)sys_path;
    crioimg__out_str(&e, "reading a policy file: no POSIX file access in this build (not a POSIX platform, or CRIOIMG_NO_POLICY_FILES)");
    return CRIOIMG_ERR_UNSUPPORTED;
#endif
}

crioimg_result crioimg_policy_load(crioimg_policy **out, const char *path, const crioimg_allocator *alloc, char *err, size_t errcap)
{
    return crioimg__policy_load(out, path, "/etc/containers/policy.json", alloc, err, errcap);
}

/* ---- checking (PolicyContext.requirementsForImageRef, IsRunningImageAllowed) ---- */

static const crioimg__pol_scope *crioimg__pol_find(const crioimg_policy *p, const crioimg__pol_transport *t, const char *s, size_t n)
{
    size_t lo = t->first, hi = t->first + t->n;
    crioimg__pol_scope key;
    key.name = s; key.len = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = crioimg__pp_scope_cmp(&key, &p->scopes[mid]);
        if (c == 0) return &p->scopes[mid];
        if (c < 0) hi = mid; else lo = mid + 1;
    }
    return NULL;
}

/* transports.ImageName(ref): "transport:" + StringWithinTransport() */
static void crioimg__pol_image_name(crioimg__out *o, const crioimg_image_name *nm)
{
    char s[CRIOIMG_REF_STRING_MAX + 1];
    crioimg__out_str(o, crioimg_transport_name(nm->transport));
    crioimg__out_str(o, ":");
    switch (nm->transport) {
    case CRIOIMG_TRANSPORT_DOCKER:
        crioimg_ref_string(&nm->ref, s, sizeof s);
        crioimg__out_str(o, "//");
        crioimg__out_str(o, s);
        break;
    case CRIOIMG_TRANSPORT_DOCKER_DAEMON:
        if (nm->has_ref) { crioimg_ref_familiar_string(&nm->ref, s, sizeof s); crioimg__out_str(o, s); }
        else { crioimg__out_str(o, "sha256:"); crioimg__out_put(o, nm->id.ptr, nm->id.len); }
        break;
    case CRIOIMG_TRANSPORT_OCI:
    case CRIOIMG_TRANSPORT_OCI_ARCHIVE:   /* "%s:%s", the colon even with no image name */
        crioimg__out_put(o, nm->path.ptr, nm->path.len);
        crioimg__out_str(o, ":");
        crioimg__out_put(o, nm->oci_ref.ptr, nm->oci_ref.len);
        break;
    case CRIOIMG_TRANSPORT_DOCKER_ARCHIVE:
        crioimg__out_put(o, nm->path.ptr, nm->path.len);
        if (nm->has_ref) { crioimg_ref_string(&nm->ref, s, sizeof s); crioimg__out_str(o, ":"); crioimg__out_str(o, s); }
        else if (nm->archive_index >= 0) { crioimg__out_str(o, ":@"); crioimg__out_uint(o, (unsigned long long)nm->archive_index); }
        break;
    case CRIOIMG_TRANSPORT_CONTAINERS_STORAGE:
        if (nm->has_ref) { crioimg_ref_string(&nm->ref, s, sizeof s); crioimg__out_str(o, s); }
        if (nm->id.len) { if (nm->has_ref) crioimg__out_str(o, "@"); crioimg__out_put(o, nm->id.ptr, nm->id.len); }
        break;
    default:
        crioimg__out_put(o, nm->path.ptr, nm->path.len);
    }
}

#ifdef CRIOIMG__POLICY_FS
#define CRIOIMG__POL_PATH_MAX 4096

/* Go's filepath.EvalSymlinks over an absolute path in buf (cleaned in place); every component must
   exist. work is 3 * CRIOIMG__POL_PATH_MAX bytes of scratch. 0, or an errno. */
static int crioimg__pol_eval_symlinks(char *buf, char *work)
{
    char *res = work, *todo = work + CRIOIMG__POL_PATH_MAX, *link = work + 2 * CRIOIMG__POL_PATH_MAX;
    size_t rl = 0, tl = strlen(buf), links = 0;
    if (tl >= CRIOIMG__POL_PATH_MAX) return ENAMETOOLONG;
    memcpy(todo, buf, tl + 1);
    while (tl) {
        size_t i = 0, c;
        struct stat st;
        while (i < tl && todo[i] == '/') i++;
        c = i;
        while (c < tl && todo[c] != '/') c++;
        if (c == i) break;
        if (c - i == 1 && todo[i] == '.') { memmove(todo, todo + c, tl - c + 1); tl -= c; continue; }
        if (c - i == 2 && todo[i] == '.' && todo[i + 1] == '.') {
            while (rl && res[rl - 1] != '/') rl--;
            if (rl) rl--;
            memmove(todo, todo + c, tl - c + 1); tl -= c;
            continue;
        }
        if (rl + 1 + (c - i) >= CRIOIMG__POL_PATH_MAX) return ENAMETOOLONG;
        res[rl] = '/';
        memcpy(res + rl + 1, todo + i, c - i);
        res[rl + 1 + (c - i)] = '\0';
        if (lstat(res, &st) != 0) { int er = errno; memcpy(buf, res, rl + 2 + (c - i)); return er; }  /* buf: where it failed */
        memmove(todo, todo + c, tl - c + 1); tl -= c;
        if (S_ISLNK(st.st_mode)) {
            ssize_t k;
            if (++links > 255) return ELOOP;
            k = readlink(res, link, CRIOIMG__POL_PATH_MAX - 1);
            if (k < 0) return errno;
            if ((size_t)k + 1 + tl >= CRIOIMG__POL_PATH_MAX) return ENAMETOOLONG;
            memmove(todo + k + 1, todo, tl + 1);   /* the link's target, then what was left */
            memcpy(todo, link, (size_t)k);
            todo[k] = '/';
            tl += (size_t)k + 1;
            if (link[0] == '/') rl = 0;  /* a relative target is read from the link's directory: res as it was */
            continue;
        }
        rl += 1 + (c - i);
    }
    if (rl == 0) res[rl++] = '/';
    memcpy(buf, res, rl);
    buf[rl] = '\0';
    return 0;
}

/* filepath.Abs + Clean of s[0, n) into out (CRIOIMG__POL_PATH_MAX bytes) */
static int crioimg__pol_abs(const char *s, size_t n, char *out, char *work)
{
    size_t ol = 0, i = 0;
    if (n == 0 || s[0] != '/') {
        if (getcwd(out, CRIOIMG__POL_PATH_MAX) == NULL) return errno;
        ol = strlen(out);
    }
    if (ol + 1 + n >= CRIOIMG__POL_PATH_MAX) return ENAMETOOLONG;
    out[ol++] = '/';
    memcpy(out + ol, s, n);
    out[ol + n] = '\0';
    /* Clean: split and rebuild, dropping "." and resolving ".." lexically */
    memcpy(work, out, ol + n + 1);
    ol = 0;
    while (work[i]) {
        size_t c;
        while (work[i] == '/') i++;
        c = i;
        while (work[c] && work[c] != '/') c++;
        if (c == i) break;
        if (c - i == 1 && work[i] == '.') { i = c; continue; }
        if (c - i == 2 && work[i] == '.' && work[i + 1] == '.') { while (ol && out[ol - 1] != '/') ol--; if (ol) ol--; i = c; continue; }
        out[ol++] = '/';
        memcpy(out + ol, work + i, c - i);
        ol += c - i;
        i = c;
    }
    if (ol == 0) out[ol++] = '/';
    out[ol] = '\0';
    return 0;
}

/* explicitfilepath.ResolvePathToFullyExplicit of s[0, n) into out (CRIOIMG__POL_PATH_MAX bytes) */
static crioimg_result crioimg__pol_resolve(const char *s, size_t n, char *out, char *work, crioimg__out *e)
{
    struct stat st;
    int er;
    char *tmp = work + 3 * CRIOIMG__POL_PATH_MAX;
    if (memchr(s, '\0', n) != NULL || n >= CRIOIMG__POL_PATH_MAX) { er = EINVAL; goto fail; }
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    if (lstat(tmp, &st) == 0) {
        if ((er = crioimg__pol_abs(s, n, out, work)) != 0) goto fail;
        if ((er = crioimg__pol_eval_symlinks(out, work)) != 0) goto fail_at;
        return CRIOIMG_OK;
    }
    if ((er = errno) != ENOENT) goto fail;
    {   /* filepath.Split: the parent must exist and is resolved; the missing last name is appended */
        size_t k = n, fl, ol;
        const char *file;
        while (k && s[k - 1] != '/') k--;
        file = s + k; fl = n - k;
        if ((fl == 1 && file[0] == '.') || (fl == 2 && file[0] == '.' && file[1] == '.')) {
            crioimg__out_str(e, "Unexpectedly missing special filename component in ");
            crioimg__out_str(e, tmp);
            return CRIOIMG_ERR_IO;
        }
        if ((er = crioimg__pol_abs(s, k, out, work)) != 0) goto fail;
        if ((er = crioimg__pol_eval_symlinks(out, work)) != 0) goto fail_at;
        ol = strlen(out);
        if (fl) {
            if (ol + 1 + fl >= CRIOIMG__POL_PATH_MAX) { er = ENAMETOOLONG; goto fail; }
            if (ol > 1) out[ol++] = '/';
            memcpy(out + ol, file, fl);
            out[ol + fl] = '\0';
        }
        return CRIOIMG_OK;
    }
fail_at:  /* EvalSymlinks names the component that failed, as Go's "lstat /a/b: ..." */
    if (er != ENAMETOOLONG && er != ELOOP) { crioimg__pol_errno(e, "lstat", out, er); return CRIOIMG_ERR_IO; }
fail:
    crioimg__pol_errno(e, "lstat", tmp, er);
    return CRIOIMG_ERR_IO;
}
#endif

/* the requirements that apply: the transport's section, identity, namespaces, "", else default */
typedef struct crioimg__pol_pick {
    const crioimg_policy *p;
    const crioimg__pol_transport *t;
    const crioimg__pol_scope *hit;
} crioimg__pol_pick;

static int crioimg__pol_try(crioimg__pol_pick *k, const char *s, size_t n)
{
    if (k->hit == NULL) k->hit = crioimg__pol_find(k->p, k->t, s, n);
    return k->hit != NULL;
}

/* DockerReferenceIdentity, then DockerReferenceNamespaces (docker/policyconfiguration/naming.go) */
static void crioimg__pol_docker(crioimg__pol_pick *k, const crioimg_ref *ref)
{
    char id[CRIOIMG_REF_STRING_MAX + 1], wild[CRIOIMG_REF_NAME_MAX + 3];
    size_t n = ref->name_len, host, i;
    memcpy(id, ref->name, n);
    if (ref->tag_len) { id[n] = ':'; memcpy(id + n + 1, ref->tag, ref->tag_len); n += 1u + ref->tag_len; }
    else if (ref->digest_len) { id[n] = '@'; memcpy(id + n + 1, ref->digest, ref->digest_len); n += 1u + ref->digest_len; }
    if (crioimg__pol_try(k, id, n)) return;
    /* the repository and each parent namespace, down to the first component */
    for (n = ref->name_len;;) {
        if (crioimg__pol_try(k, ref->name, n)) return;
        while (n && ref->name[n - 1] != '/') n--;
        if (n == 0) break;
        n--;
    }
    /* "*.example.com", "*.com" for the first component without its port */
    for (host = 0; host < ref->name_len && ref->name[host] != '/'; host++) {}
    for (i = 0; i < host && ref->name[i] != ':'; i++) {}
    host = i;
    for (i = 0; i < host; i++) {
        if (ref->name[i] != '.') continue;
        wild[0] = '*';
        memcpy(wild + 1, ref->name + i, host - i);
        if (crioimg__pol_try(k, wild, host - i + 1)) return;
    }
}

crioimg_result crioimg_policy_check_name(const crioimg_policy *p, const crioimg_image_name *nm, char *err, size_t errcap)
{
    crioimg__out e;
    crioimg__pol_pick k;
    const char *tname;
    size_t i, first, n;
    e.p = err; e.cap = err ? errcap : 0; e.len = 0;
    if (e.cap) err[0] = '\0';
    if (p == NULL || nm == NULL || nm->transport == CRIOIMG_TRANSPORT_NONE) return CRIOIMG_ERR_INVALID_ARGS;
    tname = crioimg_transport_name(nm->transport);
    k.p = p; k.t = NULL; k.hit = NULL;
    for (i = 0; i < p->ntransports; i++) if (strcmp(p->transports[i].name, tname) == 0) k.t = &p->transports[i];
    if (k.t) {
        switch (nm->transport) {
        case CRIOIMG_TRANSPORT_DOCKER:
            crioimg__pol_docker(&k, &nm->ref);
            break;
        case CRIOIMG_TRANSPORT_DOCKER_DAEMON:  /* an image ID falls in the root namespace only */
            if (nm->has_ref) crioimg__pol_docker(&k, &nm->ref);
            break;
        case CRIOIMG_TRANSPORT_DIR:
        case CRIOIMG_TRANSPORT_OCI:
        case CRIOIMG_TRANSPORT_OCI_ARCHIVE: {
#ifdef CRIOIMG__POLICY_FS
            char *buf = (char *)crioimg_malloc(&p->alloc, 5 * CRIOIMG__POL_PATH_MAX);  /* path + 4 of scratch */
            crioimg_result r;
            size_t len;
            if (buf == NULL) return CRIOIMG_ERR_NOMEM;
            if ((r = crioimg__pol_resolve(nm->path.ptr, nm->path.len, buf, buf + CRIOIMG__POL_PATH_MAX, &e)) != CRIOIMG_OK) {
                crioimg_free(&p->alloc, buf);
                return r;
            }
            /* the resolved path, then its parents without "/" (dir: starts at the parent, as c/image's
               dirReference; oci and oci-archive list the path itself again first, which changes nothing) */
            len = strlen(buf);
            while (!crioimg__pol_try(&k, buf, len)) {
                while (len && buf[len - 1] != '/') len--;
                if (len <= 1) break;
                len--;
            }
            crioimg_free(&p->alloc, buf);
            break;
#else
            crioimg__out_str(&e, "resolving paths for policy scopes: no POSIX file access in this build (not a POSIX platform, or CRIOIMG_NO_POLICY_FILES)");
            return CRIOIMG_ERR_UNSUPPORTED;
#endif
        }
        case CRIOIMG_TRANSPORT_CONTAINERS_STORAGE:
            crioimg__out_str(&e, "containers-storage: policy scopes name a store's graph driver and root, which crioimg does not know: not supported by crioimg");
            return CRIOIMG_ERR_UNSUPPORTED;
        default:  /* docker-archive: only the "" scope (its identity is "") */
            break;
        }
        crioimg__pol_try(&k, "", 0);
    }
    if (k.hit) { first = k.hit->first; n = k.hit->n; }
    else { first = p->def_first; n = p->def_n; }
    /* IsRunningImageAllowed: every requirement in order must allow it */
    for (i = first; i < first + n; i++) {
        unsigned char t = p->reqs[i];
        if (t == CRIOIMG__PR_ACCEPT) continue;
        crioimg__out_str(&e, "Running image ");
        crioimg__pol_image_name(&e, nm);
        if (t == CRIOIMG__PR_REJECT) {
            crioimg__out_str(&e, " is rejected by policy.");
            return CRIOIMG_ERR_POLICY_REJECTED;
        }
        crioimg__out_str(&e, " requires a \"");
        crioimg__out_str(&e, crioimg__pr_names[t]);
        crioimg__out_str(&e, "\" signature check (");
        if (k.hit) {
            crioimg__out_str(&e, "policy transport ");
            crioimg__out_goquote(&e, tname, strlen(tname));
            crioimg__out_str(&e, " scope ");
            crioimg__out_goquote(&e, k.hit->name, k.hit->len);
        } else {
            crioimg__out_str(&e, "the policy's default");
        }
        crioimg__out_str(&e, "), which is not supported by crioimg");
        return CRIOIMG_ERR_POLICY_UNSUPPORTED;
    }
    return CRIOIMG_OK;
}

crioimg_result crioimg_policy_check(const crioimg_policy *p, const char *name, size_t n, char *err, size_t errcap)
{
    crioimg_image_name nm;
    crioimg_result r;
    if (err && errcap) err[0] = '\0';
    if (p == NULL || (name == NULL && n > 0)) return CRIOIMG_ERR_INVALID_ARGS;
    if ((r = crioimg_image_name_parse(&nm, name ? name : "", n, err, errcap, NULL)) != CRIOIMG_OK) return r;
    return crioimg_policy_check_name(p, &nm, err, errcap);
}

/* ==== src/http.c ==== */
/* ---------------------------------------------------------------------------------------------------
   http implementation
   --------------------------------------------------------------------------------------------------- */

crioimg_result crioimg_url_parse(crioimg_url *u, const char *s, size_t n)
{
    const char *p, *end, *auth, *auth_end, *at, *hs, *he;
    size_t i;
    if (u == NULL || (s == NULL && n)) return CRIOIMG_ERR_INVALID_ARGS;
    memset(u, 0, sizeof *u);
    if (s == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    for (i = 0; i < n; i++)  /* no spaces or control bytes anywhere: a URL is not free text */
        if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f) return CRIOIMG_ERR_INVALID_ARGS;
    p = (const char *)memchr(s, ':', n);
    if (p == NULL || p == s) return CRIOIMG_ERR_INVALID_ARGS;
    if (crioimg__ascii_ieq(s, (size_t)(p - s), "https")) u->https = 1;
    else if (!crioimg__ascii_ieq(s, (size_t)(p - s), "http")) return CRIOIMG_ERR_UNSUPPORTED;
    end = s + n;
    if (end - p < 3 || p[1] != '/' || p[2] != '/') return CRIOIMG_ERR_INVALID_ARGS;
    auth = p + 3;
    for (auth_end = auth; auth_end < end && *auth_end != '/' && *auth_end != '?' && *auth_end != '#'; auth_end++) {}
    at = NULL;
    for (p = auth; p < auth_end; p++) if (*p == '@') at = p;  /* the last '@' ends the userinfo */
    hs = auth;
    if (at) { u->has_userinfo = 1; u->userinfo.ptr = auth; u->userinfo.len = (size_t)(at - auth); hs = at + 1; }
    if (hs < auth_end && *hs == '[') {
        const char *close = (const char *)memchr(hs, ']', (size_t)(auth_end - hs));
        if (close == NULL || close == hs + 1) return CRIOIMG_ERR_INVALID_ARGS;
        for (p = hs + 1; p < close; p++)
            if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f') || (*p >= 'A' && *p <= 'F') || *p == ':' || *p == '.'))
                return CRIOIMG_ERR_INVALID_ARGS;  /* no zone IDs: they are not for registries */
        he = close + 1;
    } else {
        for (he = hs; he < auth_end && *he != ':'; he++) {}
        if (he == hs) return CRIOIMG_ERR_INVALID_ARGS;
        for (p = hs; p < he; p++)
            if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '-' || *p == '.' || *p == '_'))
                return CRIOIMG_ERR_INVALID_ARGS;
    }
    u->host.ptr = hs;
    u->host.len = (size_t)(he - hs);
    u->port = u->https ? 443 : 80;
    if (he < auth_end) {
        unsigned long v = 0;
        if (*he != ':' || he + 1 == auth_end) return CRIOIMG_ERR_INVALID_ARGS;
        for (p = he + 1; p < auth_end; p++) {
            if (*p < '0' || *p > '9') return CRIOIMG_ERR_INVALID_ARGS;
            v = v * 10 + (unsigned long)(*p - '0');
            if (v > 65535) return CRIOIMG_ERR_INVALID_ARGS;
        }
        if (v == 0) return CRIOIMG_ERR_INVALID_ARGS;
        u->port = (unsigned)v;
        u->has_port = 1;
    }
    p = (const char *)memchr(auth_end, '#', (size_t)(end - auth_end));
    u->path.ptr = auth_end;
    u->path.len = (size_t)((p ? p : end) - auth_end);
    return CRIOIMG_OK;
}

int crioimg_url_same_origin(const crioimg_url *a, const crioimg_url *b)
{
    size_t i;
    if (a == NULL || b == NULL || a->https != b->https || a->port != b->port || a->host.len != b->host.len) return 0;
    for (i = 0; i < a->host.len; i++) {
        char x = a->host.ptr[i], y = b->host.ptr[i];
        if (x >= 'A' && x <= 'Z') x = (char)(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = (char)(y - 'A' + 'a');
        if (x != y) return 0;
    }
    return 1;
}

/* RFC 3986 5.2.4: the path with "." and ".." segments removed, in place (the output never overtakes
   the input); returns the new length. The letters are the RFC's steps. */
static size_t crioimg__url_remove_dots(char *p, size_t n)
{
    size_t i = 0, o = 0;
    while (i < n) {
        size_t left = n - i;
        if (left >= 3 && memcmp(p + i, "../", 3) == 0) i += 3;                        /* A */
        else if (left >= 2 && memcmp(p + i, "./", 2) == 0) i += 2;                    /* A */
        else if (left >= 3 && memcmp(p + i, "/./", 3) == 0) i += 2;                   /* B: "/./" -> "/" */
        else if (left == 2 && memcmp(p + i, "/.", 2) == 0) { p[o++] = '/'; i = n; }   /* B: "/." at the end */
        else if ((left >= 4 && memcmp(p + i, "/../", 4) == 0) || (left == 3 && memcmp(p + i, "/..", 3) == 0)) {
            while (o > 0 && p[o - 1] != '/') o--;                                     /* C: drop the last segment */
            if (o > 0) o--;
            if (left == 3) { p[o++] = '/'; i = n; } else i += 3;
        } else if ((left == 1 && p[i] == '.') || (left == 2 && p[i] == '.' && p[i + 1] == '.')) {
            i = n;                                                                    /* D */
        } else {                                                                      /* E: one segment across */
            if (p[i] == '/') p[o++] = p[i++];
            while (i < n && p[i] != '/') p[o++] = p[i++];
        }
    }
    return o;
}

/* o holds a URL whose path starts at offset start: drop the fragment, remove dot segments from the path
   (not the query) when dots is set */
static void crioimg__url_finish(crioimg__out *o, size_t start, int dots)
{
    char *p = o->p + start, *hash, *q;
    size_t total, plen, kept;
    if (o->len >= o->cap) return;  /* truncated: the caller reports it */
    total = o->len - start;
    if ((hash = (char *)memchr(p, '#', total)) != NULL) total = (size_t)(hash - p);
    q = (char *)memchr(p, '?', total);
    plen = q ? (size_t)(q - p) : total;
    kept = dots ? crioimg__url_remove_dots(p, plen) : plen;
    memmove(p + kept, p + plen, total - plen);
    o->len = start + kept + (total - plen);
    o->p[o->len] = '\0';
}

/* RFC 3986 5.2.2, without fragments (never sent) */
crioimg_result crioimg_url_resolve(const char *base, size_t bn, const char *ref, size_t rn, char *out, size_t cap, size_t *len)
{
    crioimg_url b, t;
    crioimg__out o;
    crioimg_result r;
    size_t i, start, rp;
    if (len) *len = 0;
    if (out == NULL || len == NULL || (ref == NULL && rn)) return CRIOIMG_ERR_INVALID_ARGS;
    if ((r = crioimg_url_parse(&b, base, bn)) != CRIOIMG_OK) return r;
    o.p = out; o.cap = cap; o.len = 0;
    if (cap) out[0] = '\0';
    for (i = 0; i < rn && ref[i] != ':' && ref[i] != '/' && ref[i] != '?' && ref[i] != '#'; i++) {}
    if ((i < rn && i > 0 && ref[i] == ':') || (rn >= 2 && ref[0] == '/' && ref[1] == '/')) {
        /* an absolute or network-path reference: its own authority, its path without dot segments */
        if (ref[0] == '/') crioimg__out_str(&o, b.https ? "https:" : "http:");
        crioimg__out_put(&o, ref, rn);
        if (o.len >= cap) return CRIOIMG_ERR_BUFFER_TOO_SMALL;
        if ((r = crioimg_url_parse(&t, out, o.len)) != CRIOIMG_OK) return r;
        crioimg__url_finish(&o, (size_t)(t.path.ptr - out), 1);
    } else {
        crioimg__out_put(&o, base, (size_t)(b.path.ptr - base));  /* scheme://authority of the base */
        start = o.len;
        for (rp = 0; rp < rn && ref[rp] != '?' && ref[rp] != '#'; rp++) {}
        if (rp == 0) {  /* only a query or fragment: the base path as it is */
            const char *q = (const char *)memchr(b.path.ptr, '?', b.path.len);
            crioimg__out_put(&o, b.path.ptr, q && rp < rn && ref[0] == '?' ? (size_t)(q - b.path.ptr) : b.path.len);
            if (rp < rn && ref[0] == '?') crioimg__out_put(&o, ref, rn);
            crioimg__url_finish(&o, start, 0);
        } else {
            if (ref[0] != '/') {  /* merge: the base path up to its last '/' */
                const char *q = (const char *)memchr(b.path.ptr, '?', b.path.len), *slash = NULL, *p;
                size_t bl = q ? (size_t)(q - b.path.ptr) : b.path.len;
                for (p = b.path.ptr; p < b.path.ptr + bl; p++) if (*p == '/') slash = p;
                if (slash) crioimg__out_put(&o, b.path.ptr, (size_t)(slash - b.path.ptr) + 1);
                else crioimg__out_put(&o, "/", 1);
            }
            crioimg__out_put(&o, ref, rn);
            crioimg__url_finish(&o, start, 1);
        }
    }
    if (o.len >= cap) return CRIOIMG_ERR_BUFFER_TOO_SMALL;
    *len = o.len;
    return crioimg_url_parse(&t, out, o.len);  /* what we built must itself be a valid URL */
}

static crioimg_result crioimg__http_fail(char *err, size_t errcap, crioimg_result r, const char *a, const crioimg_span *s, const char *b)
{
    crioimg__out o;
    o.p = err; o.cap = err ? errcap : 0; o.len = 0;
    if (o.cap) err[0] = '\0';
    crioimg__out_str(&o, a);
    if (s) crioimg__out_put(&o, s->ptr, s->len);
    if (b) crioimg__out_str(&o, b);
    return r;
}

static int crioimg__http_host_forbidden(const crioimg_span *h);

crioimg_result crioimg_http_redirect_check(const crioimg_url *from, const crioimg_url *to, unsigned hop, int *keep_auth,
                                           char *err, size_t errcap)
{
    if (keep_auth) *keep_auth = 0;
    if (err && errcap) err[0] = '\0';
    if (from == NULL || to == NULL || keep_auth == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    if (hop > CRIOIMG_HTTP_MAX_REDIRECTS)
        return crioimg__http_fail(err, errcap, CRIOIMG_ERR_HTTP_REDIRECT, "stopped after 10 redirects", NULL, NULL);
    if (from->https && !to->https)
        return crioimg__http_fail(err, errcap, CRIOIMG_ERR_HTTP_REDIRECT, "refusing a redirect from https to http (", &to->host, ")");
    /* credentials in a Location are the server's choice of whom we log in to: never followed (libcurl
       would send them as Basic, the sockets transport would drop them; now neither transport sees one) */
    if (to->has_userinfo)
        return crioimg__http_fail(err, errcap, CRIOIMG_ERR_HTTP_REDIRECT, "refusing a redirect to a URL with user information (", &to->host, ")");
    /* a registry may not point us at the cloud's metadata service (the realm check's rule, for every hop) */
    if (crioimg__http_host_forbidden(&to->host))
        return crioimg__http_fail(err, errcap, CRIOIMG_ERR_HTTP_REDIRECT, "refusing a redirect to an unspecified or link-local address (", &to->host, ")");
    *keep_auth = crioimg_url_same_origin(from, to);
    return CRIOIMG_OK;
}

/* An IPv4 address as inet_aton reads it, which is how getaddrinfo takes a numeric host: 1 to 4 parts,
   each decimal, octal (leading 0) or hex (0x), the last part filling the bytes left ("2852039166",
   "0xa9.0xfe.0xa9.0xfe" and "169.16689662" are all 169.254.169.254). 1 with *a set, else 0. */
static int crioimg__http_inet_aton(const char *s, size_t n, unsigned long *a)
{
    unsigned long part[4];
    size_t np = 0, i = 0;
    while (i < n) {
        unsigned long v = 0;
        unsigned base = 10, digits = 0;
        if (np == 4) return 0;
        if (s[i] == '0' && i + 1 < n && (s[i + 1] == 'x' || s[i + 1] == 'X')) { base = 16; i += 2; digits = 1; }
        else if (s[i] == '0') base = 8;
        for (; i < n && s[i] != '.'; i++) {
            int d = crioimg__hexval(s[i]);  /* the registries module's */
            if (d < 0 || d >= (int)base) return 0;
            v = v * base + (unsigned)d;
            if (v > 0xffffffffUL) return 0;
            digits++;
        }
        if (digits == 0) return 0;
        part[np++] = v;
        if (i < n) { i++; if (i == n) return 0; }  /* a '.' must be followed by a part */
    }
    if (np == 0) return 0;
    if (np == 1) { *a = part[0]; return 1; }
    if (part[0] > 255) return 0;
    if (np == 2) { if (part[1] > 0xffffffUL) return 0; *a = part[0] << 24 | part[1]; return 1; }
    if (part[1] > 255) return 0;
    if (np == 3) { if (part[2] > 0xffffUL) return 0; *a = part[0] << 24 | part[1] << 16 | part[2]; return 1; }
    if (part[2] > 255 || part[3] > 255) return 0;
    *a = part[0] << 24 | part[1] << 16 | part[2] << 8 | part[3];
    return 1;
}

static int crioimg__http_v4_forbidden(unsigned long a)
{
    return (a >> 24) == 0 || (a >> 16) == 0xa9feUL ||  /* 0.0.0.0/8 (this host), 169.254.0.0/16 (link-local) */
           a == 0x646464c8UL;                         /* 100.100.100.200: a cloud's metadata service */
}

/* An address (4 bytes IPv4 or 16 bytes IPv6, network order) that is unspecified or link-local,
   IPv6 with an IPv4 inside (mapped ::ffff:0:0/96, compatible ::/96, NAT64 64:ff9b::/96) included; ::1,
   loopback, is allowed. The realm check runs it on literals, the transports on what a name resolved to. */
CRIOIMG__LIB int crioimg__http_ip_forbidden(const unsigned char *b, size_t n)
{
    static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
    static const unsigned char nat64[12] = { 0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0 };
    static const unsigned char zero[12] = { 0 };
    static const unsigned char ec2[16] = { 0xfd, 0, 0x0e, 0xc2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x54 };
    static const unsigned char nat64_local[6] = { 0, 0x64, 0xff, 0x9b, 0, 1 };
    unsigned long a;
    if (n == 4) return crioimg__http_v4_forbidden((unsigned long)b[0] << 24 | (unsigned long)b[1] << 16 | (unsigned long)b[2] << 8 | b[3]);
    if (n != 16) return 1;
    if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return 1;        /* fe80::/10 */
    if (memcmp(b, ec2, 16) == 0) return 1;                      /* fd00:ec2::254, EC2's metadata over IPv6 */
    if (memcmp(b, nat64_local, 6) == 0)                         /* 64:ff9b:1::/48 (RFC 8215): the IPv4 at the end */
        return crioimg__http_v4_forbidden((unsigned long)b[12] << 24 | (unsigned long)b[13] << 16 | (unsigned long)b[14] << 8 | b[15]);
    if (memcmp(b, mapped, 12) == 0 || memcmp(b, nat64, 12) == 0 || memcmp(b, zero, 12) == 0) {
        a = (unsigned long)b[12] << 24 | (unsigned long)b[13] << 16 | (unsigned long)b[14] << 8 | b[15];
        if (memcmp(b, zero, 12) == 0 && a == 1) return 0;       /* ::1, loopback */
        return crioimg__http_v4_forbidden(a) || memcmp(b, zero, 12) == 0;  /* :: and ::a.b.c.d are not for realms */
    }
    return 0;
}

/* A realm host that is an unspecified or link-local address, however it is spelt: IPv4 in any
   inet_aton form, IPv6 as crioimg__http_ip_forbidden reads it. A name passes here; the transport checks
   what it resolves to (crioimg_http_request.refuse_local_addresses, which the registry client sets for
   token requests). */
static int crioimg__http_host_forbidden(const crioimg_span *h)
{
    unsigned char b[16];
    unsigned long a;
    size_t n = h->len;
    if (n >= 2 && h->ptr[0] == '[') {
        if (!crioimg__ip6_parse(h->ptr + 1, n - 2, b)) return 1;  /* unparseable literal: refuse (the registries module's parser) */
        return crioimg__http_ip_forbidden(b, 16);
    }
    if (n > 0 && h->ptr[n - 1] == '.') n--;  /* "169.254.169.254." */
    return crioimg__http_inet_aton(h->ptr, n, &a) && crioimg__http_v4_forbidden(a);
}

#if defined(CRIOIMG_WITH_CURL) || defined(CRIOIMG_WITH_MBEDTLS)
#  ifdef _WIN32
#    include <winsock2.h>
#    include <ws2tcpip.h>
#  else
#    include <sys/types.h>
#    include <sys/socket.h>
#    include <netinet/in.h>
#  endif
/* The same test on a socket address a transport is about to connect to (len bytes at sa); any family
   but IPv4 and IPv6 is refused too, since nothing here can tell where it goes. */
static int crioimg__http_sockaddr_forbidden(const void *sa, size_t len)
{
    struct sockaddr_storage st;
    memset(&st, 0, sizeof st);
    memcpy(&st, sa, len < sizeof st ? len : sizeof st);
    if (st.ss_family == AF_INET && len >= sizeof(struct sockaddr_in))
        return crioimg__http_ip_forbidden((const unsigned char *)&((const struct sockaddr_in *)(const void *)&st)->sin_addr, 4);
    if (st.ss_family == AF_INET6 && len >= sizeof(struct sockaddr_in6))
        return crioimg__http_ip_forbidden(((const struct sockaddr_in6 *)(const void *)&st)->sin6_addr.s6_addr, 16);
    return 1;
}
#endif

crioimg_result crioimg_auth_realm_check(const char *realm, size_t n, int allow_http, char *err, size_t errcap)
{
    crioimg_url u;
    crioimg_result r = crioimg_url_parse(&u, realm, n);
    if (err && errcap) err[0] = '\0';
    if (r == CRIOIMG_ERR_UNSUPPORTED)
        return crioimg__http_fail(err, errcap, CRIOIMG_ERR_AUTH_REALM, "the token realm is not an http(s) URL", NULL, NULL);
    if (r != CRIOIMG_OK) return crioimg__http_fail(err, errcap, CRIOIMG_ERR_AUTH_REALM, "the token realm is not a valid URL", NULL, NULL);
    if (!u.https && !allow_http)
        return crioimg__http_fail(err, errcap, CRIOIMG_ERR_AUTH_REALM, "the token realm must be https for a secure registry (", &u.host, ")");
    if (u.has_userinfo)
        return crioimg__http_fail(err, errcap, CRIOIMG_ERR_AUTH_REALM, "the token realm carries user information", NULL, NULL);
    if (crioimg__http_host_forbidden(&u.host))
        return crioimg__http_fail(err, errcap, CRIOIMG_ERR_AUTH_REALM, "the token realm is an unspecified or link-local address (", &u.host, ")");
    return CRIOIMG_OK;
}

/* a run of digits: its value (saturating at max) and length */
static size_t crioimg__http_digits(const char *s, size_t n, long long max, long long *v)
{
    size_t i = 0;
    *v = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9') {
        int d = s[i++] - '0';
        *v = *v > (max - d) / 10 ? max : *v * 10 + d;
    }
    return i;
}

/* days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil) */
static long long crioimg__days_from_civil(long long y, unsigned m, unsigned d)
{
    long long era;
    unsigned yoe, doy, doe;
    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = (unsigned)(y - era * 400);
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (long long)doe - 719468;
}

crioimg_result crioimg_http_retry_after(const char *v, size_t n, long long now, long long *seconds)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    long long day, year, hh, mm, ss, t;
    unsigned mon;
    if (seconds) *seconds = 0;
    if (v == NULL || seconds == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t')) n--;
    while (n > 0 && (*v == ' ' || *v == '\t')) v++, n--;
    if (n > 0 && v[0] >= '0' && v[0] <= '9') {
        if (crioimg__http_digits(v, n, 0x7fffffffffffffffLL, seconds) != n) { *seconds = 0; return CRIOIMG_ERR_INVALID_ARGS; }
        return CRIOIMG_OK;
    }
    /* "Sun, 06 Nov 1994 08:49:37 GMT": exactly 29 bytes */
    if (n != 29 || v[3] != ',' || v[4] != ' ' || v[7] != ' ' || v[11] != ' ' || v[16] != ' ' || v[19] != ':' ||
        v[22] != ':' || v[25] != ' ' || memcmp(v + 26, "GMT", 3) != 0)
        return CRIOIMG_ERR_INVALID_ARGS;
    for (mon = 0; mon < 12; mon++) if (memcmp(months + 3 * mon, v + 8, 3) == 0) break;
    if (mon == 12 || crioimg__http_digits(v + 5, 2, 99, &day) != 2 || crioimg__http_digits(v + 12, 4, 9999, &year) != 4 ||
        crioimg__http_digits(v + 17, 2, 99, &hh) != 2 || crioimg__http_digits(v + 20, 2, 99, &mm) != 2 ||
        crioimg__http_digits(v + 23, 2, 99, &ss) != 2 || day < 1 || day > 31 || hh > 23 || mm > 59 || ss > 60)
        return CRIOIMG_ERR_INVALID_ARGS;
    t = crioimg__days_from_civil(year, mon + 1, (unsigned)day) * 86400 + hh * 3600 + mm * 60 + ss;
    *seconds = t > now ? t - now : 0;
    return CRIOIMG_OK;
}

crioimg_result crioimg_http_content_range(const char *v, size_t n, long long *first, long long *last, long long *total)
{
    const long long max = 0x7fffffffffffffffLL;
    size_t i = 6, k;
    if (first == NULL || last == NULL || total == NULL || v == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    *first = *last = *total = -1;
    if (n < 6 || memcmp(v, "bytes ", 6) != 0) return CRIOIMG_ERR_INVALID_ARGS;
    if ((k = crioimg__http_digits(v + i, n - i, max, first)) == 0 || k > 18) return CRIOIMG_ERR_INVALID_ARGS;
    i += k;
    if (i == n || v[i++] != '-') return CRIOIMG_ERR_INVALID_ARGS;
    if ((k = crioimg__http_digits(v + i, n - i, max, last)) == 0 || k > 18) return CRIOIMG_ERR_INVALID_ARGS;
    i += k;
    if (i == n || v[i++] != '/') return CRIOIMG_ERR_INVALID_ARGS;
    if (i + 1 == n && v[i] == '*') *total = -1;
    else if ((k = crioimg__http_digits(v + i, n - i, max, total)) == 0 || k > 18 || i + k != n) return CRIOIMG_ERR_INVALID_ARGS;
    if (*first > *last || (*total >= 0 && *last >= *total)) return CRIOIMG_ERR_INVALID_ARGS;
    return CRIOIMG_OK;
}

int crioimg_http_resume_ok(const char *content_range, size_t n, long long offset, long long size)
{
    long long first, last, total;
    if (crioimg_http_content_range(content_range, n, &first, &last, &total) != CRIOIMG_OK) return 0;
    return first == offset && last == size - 1 && (total < 0 || total == size);
}

/* ---- the transport: checks before, a guard after ---- */

/* A millisecond clock that does not jump with the wall clock where the platform has one (POSIX
   CLOCK_MONOTONIC); else time(), whose seconds still bound a dripping server, only coarser. */
#include <time.h>
static long long crioimg__http_now_ms(void)
{
#if defined(CLOCK_MONOTONIC) && !defined(_WIN32)
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) == 0) return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
#endif
    return (long long)time(NULL) * 1000;
}

/* The time rules of one request (crioimg_http_request: header, total, minimum progress), one copy for
   the guard and both built-in transports so that they end a trickle alike and in the same words. Times
   are crioimg__http_now_ms values; 0 is "no such deadline". */
typedef struct crioimg__hlim {
    long long header_dl, total_dl;      /* the header block, the whole response */
    long long win_start;                /* the current progress window (0 until the body starts) */
    unsigned long long win_bytes;       /* body bytes when that window started */
    unsigned long long min_bytes;
    long period;
} crioimg__hlim;

static void crioimg__hlim_init(crioimg__hlim *l, const crioimg_http_request *rq, long long now)
{
    long ht = rq->header_timeout_ms > 0 ? rq->header_timeout_ms : CRIOIMG_HTTP_HEADER_TIMEOUT_MS;
    memset(l, 0, sizeof *l);
    l->header_dl = now + ht;
    l->total_dl = rq->total_timeout_ms > 0 ? now + rq->total_timeout_ms : 0;
    l->min_bytes = rq->min_bytes > 0 ? rq->min_bytes : CRIOIMG_HTTP_MIN_BYTES;
    l->period = rq->min_period_ms > 0 ? rq->min_period_ms : CRIOIMG_HTTP_MIN_PERIOD_MS;
}

/* The header block is complete: its deadline is met, and the body's progress is counted from now. */
static void crioimg__hlim_body(crioimg__hlim *l, long long now, unsigned long long bytes)
{
    if (l->win_start) return;
    l->header_dl = 0;
    l->win_start = now;
    l->win_bytes = bytes;
}

/* OK while the rules hold at now, with bytes body bytes so far; else ERR_TIMEOUT with *why. A window
   that made its progress starts the next one. */
static crioimg_result crioimg__hlim_check(crioimg__hlim *l, long long now, unsigned long long bytes, const char **why)
{
    if (l->header_dl && now >= l->header_dl) { *why = "the response headers did not arrive within the header timeout"; return CRIOIMG_ERR_TIMEOUT; }
    if (l->total_dl && now >= l->total_dl) { *why = "the response did not arrive within the total timeout"; return CRIOIMG_ERR_TIMEOUT; }
    if (l->win_start && now - l->win_start >= l->period) {
        if (bytes - l->win_bytes < l->min_bytes) { *why = "the body arrived slower than the minimum progress rate"; return CRIOIMG_ERR_TIMEOUT; }
        l->win_start = now;
        l->win_bytes = bytes;
    }
    return CRIOIMG_OK;
}

struct crioimg_http {
    crioimg_http_vtable vt;
    crioimg_allocator alloc;
};

crioimg_result crioimg_http_open(crioimg_http **out, const crioimg_http_vtable *vt, const crioimg_allocator *alloc)
{
    crioimg_http *h;
    if (out == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    *out = NULL;
    if (vt == NULL || vt->version == 0 || vt->version > CRIOIMG_HTTP_VTABLE_VERSION) return CRIOIMG_ERR_INVALID_ARGS;
    if (crioimg_allocator_check(alloc) != CRIOIMG_OK) return CRIOIMG_ERR_INVALID_ARGS;
    h = (crioimg_http *)crioimg_malloc(alloc, sizeof *h);
    if (h == NULL) return CRIOIMG_ERR_NOMEM;
    memset(h, 0, sizeof *h);
    h->vt = *vt;   /* copied: the host's struct may go away */
    if (alloc) h->alloc = *alloc;
    *out = h;
    return CRIOIMG_OK;
}

#if defined(CRIOIMG_WITH_CURL) || defined(CRIOIMG_WITH_MBEDTLS)
/* A built-in backend's state behind a crioimg_http, as a host's would be; the state is closed when that
   fails, so each backend's open has one way out. */
static crioimg_result crioimg__http_open_builtin(crioimg_http **out, void *user,
                                                 crioimg_result (*request)(void *, const crioimg_http_request *, char *, size_t),
                                                 void (*close_fn)(void *), const crioimg_allocator *alloc)
{
    crioimg_http_vtable vt;
    crioimg_result r;
    memset(&vt, 0, sizeof vt);
    vt.version = CRIOIMG_HTTP_VTABLE_VERSION;
    vt.user = user;
    vt.request = request;
    vt.close = close_fn;
    if ((r = crioimg_http_open(out, &vt, alloc)) != CRIOIMG_OK) close_fn(user);
    return r;
}
#endif

void crioimg_http_close(crioimg_http *h)
{
    crioimg_allocator a;
    if (h == NULL) return;
    if (h->vt.close) h->vt.close(h->vt.user);
    a = h->alloc;
    crioimg_free(&a, h);
}

crioimg_result crioimg_http_open_default(crioimg_http **out, const crioimg_allocator *alloc)
{
#if defined(CRIOIMG_WITH_CURL)
    return crioimg_http_open_curl(out, alloc);
#else
    return crioimg_http_open_mbedtls(out, alloc);   /* ERR_HTTP_NO_TRANSPORT when that is not built either */
#endif
}

/* a header name is an RFC 7230 token (the auth module's table): nothing a request could be split at */
static int crioimg__http_token(const char *s, size_t n)
{
    size_t i;
    if (n == 0) return 0;
    for (i = 0; i < n; i++) if (!crioimg__auth_tchar[(unsigned char)s[i]]) return 0;
    return 1;
}

/* no byte that ends a header line (NUL cannot be in a C string; the sink side checks it too) */
static int crioimg__http_value_ok(const char *s, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) if (s[i] == '\r' || s[i] == '\n' || s[i] == '\0') return 0;
    return 1;
}

/* What every transport may take for granted about a request. *method gets the method spelt out. */
static crioimg_result crioimg__http_check(const crioimg_http_request *rq, const char **method, char *err, size_t errcap)
{
    crioimg_url u;
    crioimg_result r;
    size_t i;
    const char *m = rq->method ? rq->method : "GET";
    if (strcmp(m, "GET") != 0 && strcmp(m, "HEAD") != 0 && strcmp(m, "POST") != 0)
        return crioimg__http_fail(err, errcap, CRIOIMG_ERR_INVALID_ARGS, "the method must be GET, HEAD or POST", NULL, NULL);
    *method = m;
    if (rq->url == NULL) return crioimg__http_fail(err, errcap, CRIOIMG_ERR_INVALID_ARGS, "no URL", NULL, NULL);
    if ((r = crioimg_url_parse(&u, rq->url, strlen(rq->url))) != CRIOIMG_OK)
        return crioimg__http_fail(err, errcap, r, "not an absolute http(s) URL", NULL, NULL);
    /* libcurl would turn "user:pass@" into a Basic Authorization of its own and the sockets transport
       would drop it: neither is the caller's choice, so no transport sees one */
    if (u.has_userinfo) return crioimg__http_fail(err, errcap, CRIOIMG_ERR_INVALID_ARGS, "a URL with user information", NULL, NULL);
    if (rq->nheaders && rq->headers == NULL) return crioimg__http_fail(err, errcap, CRIOIMG_ERR_INVALID_ARGS, "no header array", NULL, NULL);
    for (i = 0; i < rq->nheaders; i++) {
        const crioimg_http_header *h = &rq->headers[i];
        if (h->name == NULL || h->value == NULL || !crioimg__http_token(h->name, strlen(h->name)))
            return crioimg__http_fail(err, errcap, CRIOIMG_ERR_INVALID_ARGS, "a request header name is not a token", NULL, NULL);
        if (!crioimg__http_value_ok(h->value, strlen(h->value)))
            return crioimg__http_fail(err, errcap, CRIOIMG_ERR_INVALID_ARGS, "a request header value has CR or LF", NULL, NULL);
    }
    if (strcmp(m, "POST") != 0 && (rq->body != NULL || rq->body_len))
        return crioimg__http_fail(err, errcap, CRIOIMG_ERR_INVALID_ARGS, "a body goes only with POST", NULL, NULL);
    if (rq->body_len && rq->body == NULL) return crioimg__http_fail(err, errcap, CRIOIMG_ERR_INVALID_ARGS, "no body bytes", NULL, NULL);
    if (rq->tls.nca_files && rq->tls.ca_files == NULL) return crioimg__http_fail(err, errcap, CRIOIMG_ERR_INVALID_ARGS, "no CA file array", NULL, NULL);
    for (i = 0; i < rq->tls.nca_files; i++)
        if (rq->tls.ca_files[i] == NULL) return crioimg__http_fail(err, errcap, CRIOIMG_ERR_INVALID_ARGS, "a CA file is NULL", NULL, NULL);
    if ((rq->tls.cert_file == NULL) != (rq->tls.key_file == NULL))
        return crioimg__http_fail(err, errcap, CRIOIMG_ERR_INVALID_ARGS, "a client certificate goes with its key", NULL, NULL);
    if (rq->connect_timeout_ms < 0 || rq->idle_timeout_ms < 0 || rq->header_timeout_ms < 0 || rq->total_timeout_ms < 0 || rq->min_period_ms < 0)
        return crioimg__http_fail(err, errcap, CRIOIMG_ERR_INVALID_ARGS, "a negative timeout", NULL, NULL);
    return CRIOIMG_OK;
}

/* The guard between a transport and the caller's sink: whatever the transport does, the sink sees a
   status, then bounded well-formed header fields, then the body (none for HEAD). The first thing it
   refuses sticks: a transport that ignores a stop gets the same answer again. */
#define CRIOIMG__HTTP_HEAD_MAX (256 * 1024)   /* one response's header fields together */

typedef struct crioimg__hguard {
    const crioimg_http_request *rq;   /* the caller's request, with its sink */
    int head, got_status, in_body;
    crioimg__hlim lim;                /* the time rules, checked on every callback */
    unsigned long long body_bytes;
    size_t head_bytes;                /* the header block so far: a flood of small fields is bounded too */
    crioimg_result r;                 /* OK until something stopped the transfer */
    char msg[128];                    /* why, when the guard stopped it (empty when the sink did) */
} crioimg__hguard;

static crioimg_result crioimg__hguard_stop(crioimg__hguard *g, crioimg_result r, const char *msg)
{
    if (g->r == CRIOIMG_OK) {
        crioimg__http_fail(g->msg, sizeof g->msg, r, msg, NULL, NULL);
        g->r = r;
    }
    return g->r;
}

/* on every callback: a stop sticks, a cancel is seen at once, and so is a time rule broken (a host's
   transport may keep none of them) */
static crioimg_result crioimg__hguard_enter(crioimg__hguard *g)
{
    const char *why = NULL;
    if (g->r != CRIOIMG_OK) return g->r;
    if (g->rq->cancel && *g->rq->cancel) return crioimg__hguard_stop(g, CRIOIMG_ERR_CANCELLED, "cancelled");
    if (crioimg__hlim_check(&g->lim, crioimg__http_now_ms(), g->body_bytes, &why) != CRIOIMG_OK)
        return crioimg__hguard_stop(g, CRIOIMG_ERR_TIMEOUT, why);
    return CRIOIMG_OK;
}

static crioimg_result crioimg__hguard_status(void *ctx, int code)
{
    crioimg__hguard *g = (crioimg__hguard *)ctx;
    crioimg_result r = crioimg__hguard_enter(g);
    if (r != CRIOIMG_OK) return r;
    if (g->got_status) return crioimg__hguard_stop(g, CRIOIMG_ERR_HTTP_PROTOCOL, "a second status from the transport");
    if (code < 200 || code > 999) return crioimg__hguard_stop(g, CRIOIMG_ERR_HTTP_PROTOCOL, "a status that is not a final response");
    g->got_status = 1;
    if (g->rq->sink.status && (r = g->rq->sink.status(g->rq->sink.ctx, code)) != CRIOIMG_OK) return crioimg__hguard_stop(g, r, "");
    return CRIOIMG_OK;
}

static crioimg_result crioimg__hguard_header(void *ctx, const char *name, size_t nlen, const char *value, size_t vlen)
{
    crioimg__hguard *g = (crioimg__hguard *)ctx;
    crioimg_result r = crioimg__hguard_enter(g);
    if (r != CRIOIMG_OK) return r;
    if (!g->got_status) return crioimg__hguard_stop(g, CRIOIMG_ERR_HTTP_PROTOCOL, "a header before the status");
    if (g->in_body) return crioimg__hguard_stop(g, CRIOIMG_ERR_HTTP_PROTOCOL, "a header after the body");
    if ((name == NULL && nlen) || (value == NULL && vlen)) return crioimg__hguard_stop(g, CRIOIMG_ERR_HTTP_PROTOCOL, "a NULL header");
    while (vlen && (value[0] == ' ' || value[0] == '\t')) value++, vlen--;
    while (vlen && (value[vlen - 1] == ' ' || value[vlen - 1] == '\t')) vlen--;
    if (nlen > CRIOIMG_HTTP_HEADER_MAX || vlen > CRIOIMG_HTTP_HEADER_MAX - nlen)
        return crioimg__hguard_stop(g, CRIOIMG_ERR_HTTP_PROTOCOL, "a response header field over 64 KiB");
    if (!crioimg__http_token(name, nlen)) return crioimg__hguard_stop(g, CRIOIMG_ERR_HTTP_PROTOCOL, "a response header name is not a token");
    if (!crioimg__http_value_ok(value, vlen)) return crioimg__hguard_stop(g, CRIOIMG_ERR_HTTP_PROTOCOL, "a response header value has CR, LF or NUL");
    if ((g->head_bytes += nlen + vlen + 4) > CRIOIMG__HTTP_HEAD_MAX)
        return crioimg__hguard_stop(g, CRIOIMG_ERR_HTTP_PROTOCOL, "response header block too long");
    if (g->rq->sink.header && (r = g->rq->sink.header(g->rq->sink.ctx, name, nlen, vlen ? value : "", vlen)) != CRIOIMG_OK)
        return crioimg__hguard_stop(g, r, "");
    return CRIOIMG_OK;
}

static crioimg_result crioimg__hguard_body(void *ctx, const void *data, size_t len)
{
    crioimg__hguard *g = (crioimg__hguard *)ctx;
    crioimg_result r;
    /* the body has started (the header deadline was met: only the transport knows exactly when) */
    if (g->r == CRIOIMG_OK && g->got_status) crioimg__hlim_body(&g->lim, crioimg__http_now_ms(), 0);
    g->body_bytes += len;
    r = crioimg__hguard_enter(g);
    if (r != CRIOIMG_OK) return r;
    if (!g->got_status) return crioimg__hguard_stop(g, CRIOIMG_ERR_HTTP_PROTOCOL, "body bytes before the status");
    if (len == 0) return CRIOIMG_OK;
    if (data == NULL) return crioimg__hguard_stop(g, CRIOIMG_ERR_HTTP_PROTOCOL, "NULL body bytes");
    if (g->head) return crioimg__hguard_stop(g, CRIOIMG_ERR_HTTP_PROTOCOL, "body bytes in answer to HEAD");
    g->in_body = 1;
    if (g->rq->sink.body && (r = g->rq->sink.body(g->rq->sink.ctx, data, len)) != CRIOIMG_OK) return crioimg__hguard_stop(g, r, "");
    return CRIOIMG_OK;
}

crioimg_result crioimg_http_do(crioimg_http *h, const crioimg_http_request *rq, char *err, size_t errcap)
{
    crioimg_http_request t;
    crioimg__hguard g;
    crioimg_result r;
    const char *method = "GET";
    if (err && errcap) err[0] = '\0';
    if (h == NULL || rq == NULL) return crioimg__http_fail(err, errcap, CRIOIMG_ERR_INVALID_ARGS, "no transport or no request", NULL, NULL);
    if ((r = crioimg__http_check(rq, &method, err, errcap)) != CRIOIMG_OK) return r;
    if (h->vt.request == NULL) return crioimg__http_fail(err, errcap, CRIOIMG_ERR_UNSUPPORTED, "the transport has no request method", NULL, NULL);
    if (rq->cancel && *rq->cancel) return crioimg__http_fail(err, errcap, CRIOIMG_ERR_CANCELLED, "cancelled", NULL, NULL);
    memset(&g, 0, sizeof g);
    g.rq = rq;
    g.head = strcmp(method, "HEAD") == 0;
    /* from here a host's transport still has to connect (the built-in ones count from when they did) */
    crioimg__hlim_init(&g.lim, rq, crioimg__http_now_ms() + (rq->connect_timeout_ms > 0 ? rq->connect_timeout_ms : CRIOIMG_HTTP_CONNECT_TIMEOUT_MS));
    t = *rq;  /* what the transport sees: defaults filled in, the guard as its sink */
    t.method = method;
    if (t.connect_timeout_ms == 0) t.connect_timeout_ms = CRIOIMG_HTTP_CONNECT_TIMEOUT_MS;
    if (t.idle_timeout_ms == 0) t.idle_timeout_ms = CRIOIMG_HTTP_IDLE_TIMEOUT_MS;
    if (t.header_timeout_ms == 0) t.header_timeout_ms = CRIOIMG_HTTP_HEADER_TIMEOUT_MS;
    if (t.min_bytes == 0) t.min_bytes = CRIOIMG_HTTP_MIN_BYTES;
    if (t.min_period_ms == 0) t.min_period_ms = CRIOIMG_HTTP_MIN_PERIOD_MS;
    t.sink.ctx = &g;
    t.sink.status = crioimg__hguard_status;
    t.sink.header = crioimg__hguard_header;
    t.sink.body = crioimg__hguard_body;
    r = h->vt.request(h->vt.user, &t, err, errcap);
    if (g.r != CRIOIMG_OK) {
        /* the guard's or the sink's stop wins over however the transport reported it */
        if (g.msg[0]) crioimg__http_fail(err, errcap, g.r, g.msg, NULL, NULL);
        else crioimg__http_fail(err, errcap, g.r, "the response sink stopped the transfer: ", NULL, crioimg_result_str(g.r));
        return g.r;
    }
    if (r == CRIOIMG_OK && !g.got_status)
        return crioimg__http_fail(err, errcap, CRIOIMG_ERR_HTTP_PROTOCOL, "the transport gave no status", NULL, NULL);
    if (r > 0) r = CRIOIMG_ERR_HTTP_PROTOCOL;  /* a host transport's stray positive value is no success */
    if (r != CRIOIMG_OK && err && errcap && err[0] == '\0') crioimg__http_fail(err, errcap, r, crioimg_result_str(r), NULL, NULL);
    return r;
}


/* ---- the libcurl transport ----

   One easy handle per crioimg_http, reset before each request: curl_easy_reset keeps the handle's
   connection and DNS caches, so requests to one registry reuse a connection. Proxies come from the
   environment as curl reads them (http_proxy, https_proxy/HTTPS_PROXY, all_proxy, no_proxy/NO_PROXY;
   nothing here sets CURLOPT_PROXY or CURLOPT_NOPROXY to turn that off), plus HTTP_PROXY in capitals,
   which curl ignores but Go's ProxyFromEnvironment (containers/image's) takes, except under CGI.

   curl_global_init: each open calls it and each close calls curl_global_cleanup; libcurl counts the
   calls, so the library's use nests inside the host's. On a libcurl without CURL_VERSION_THREADSAFE
   (before 7.84) that call is not thread-safe: a host with threads should call curl_global_init itself
   before it starts them (the library's calls then only move the count). */

#ifdef CRIOIMG_WITH_CURL
#include <curl/curl.h>
#include <stdlib.h>  /* getenv */

#define CRIOIMG__CURL_CA_MAX (16 * 1024 * 1024)  /* the system bundle and extra CAs together; ~200 KiB usual */

typedef struct crioimg__curl {
    CURL *easy;
    crioimg_allocator alloc;
    char *ca;            /* the PEM blob last built (system bundle + ca_files), for CURLOPT_CAINFO_BLOB */
    size_t ca_len;
    char *ca_key;        /* the ca_files it was built from, each with its NUL: rebuilt when they differ */
    size_t ca_key_len;
    char errbuf[CURL_ERROR_SIZE];
} crioimg__curl;

/* one request's state, shared by the callbacks */
typedef struct crioimg__curlx {
    const crioimg_http_request *rq;
    crioimg_result r;    /* why a callback stopped the transfer */
    int interim;         /* inside a 1xx response's header block: not reported */
    int in_body;         /* header lines after the body are trailers: not reported */
    CURL *easy;
    unsigned long long moved, moved_seen;  /* bytes through the callbacks, and at the last progress call */
    curl_off_t last_us;  /* when the progress callback last saw bytes move (curl's clock) */
    const char *why;     /* the detail when a callback stopped the transfer */
    crioimg__hlim lim;   /* header, total and progress rules, from when the connection is ready */
    int lim_on;
    unsigned long long body;   /* body bytes so far */
    int in_head;         /* between a status line and the end of its header block */
} crioimg__curlx;

/* the time rules start when the request can go (connection set up): connecting has its own timeout */
static void crioimg__curlx_lim_start(crioimg__curlx *c)
{
    if (!c->lim_on) { crioimg__hlim_init(&c->lim, c->rq, crioimg__http_now_ms()); c->lim_on = 1; }
}

static crioimg_result crioimg__curlx_stop(crioimg__curlx *c, crioimg_result r)
{
    if (c->r == CRIOIMG_OK) c->r = r;
    return c->r;
}

/* "HTTP/1.1 200 OK", "HTTP/2 404": the code, or -1 */
static int crioimg__curl_status_line(const char *p, size_t n)
{
    size_t i = 5;
    int code = 0, k;
    while (i < n && p[i] != ' ') i++;
    if (n - i < 4 || p[i] != ' ') return -1;
    for (k = 1; k <= 3; k++) {
        if (p[i + k] < '0' || p[i + k] > '9') return -1;
        code = code * 10 + (p[i + k] - '0');
    }
    if (n - i > 4 && p[i + 4] != ' ') return -1;
    return code;
}

/* one whole header line per call (curl's promise), with its CRLF */
static size_t crioimg__curl_on_header(char *p, size_t size, size_t nitems, void *u)
{
    crioimg__curlx *c = (crioimg__curlx *)u;
    const crioimg_http_sink *s = &c->rq->sink;
    size_t len = size * nitems, n = len;
    const char *colon;
    if (c->r != CRIOIMG_OK) return 0;
    c->moved += len;
    if (n && p[n - 1] == '\n') n--;
    if (n && p[n - 1] == '\r') n--;
    if (n >= 5 && memcmp(p, "HTTP/", 5) == 0) {  /* a name is a token: no '/' in it, so a status line */
        int code = crioimg__curl_status_line(p, n);
        if (code < 100) { crioimg__curlx_stop(c, CRIOIMG_ERR_HTTP_PROTOCOL); return 0; }
        c->interim = code < 200;
        c->in_head = 1;
        if (!c->interim && s->status && crioimg__curlx_stop(c, s->status(s->ctx, code)) != CRIOIMG_OK) return 0;
        return len;
    }
    if (n == 0) c->in_head = 0;
    if (n == 0 && !c->interim && !c->in_body) {   /* the final header block is complete */
        crioimg__curlx_lim_start(c);
        crioimg__hlim_body(&c->lim, crioimg__http_now_ms(), 0);
    }
    if (n == 0 || c->interim || c->in_body) return len;  /* the end of a block, a 1xx's fields, trailers */
    if (p[0] == ' ' || p[0] == '\t' || (colon = (const char *)memchr(p, ':', n)) == NULL) {
        crioimg__curlx_stop(c, CRIOIMG_ERR_HTTP_PROTOCOL);  /* obsolete line folding, or no field at all */
        return 0;
    }
    if (s->header) {
        const char *v = colon + 1;
        size_t vl = (size_t)(p + n - v);
        while (vl && (*v == ' ' || *v == '\t')) v++, vl--;
        while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t')) vl--;
        if (crioimg__curlx_stop(c, s->header(s->ctx, p, (size_t)(colon - p), v, vl)) != CRIOIMG_OK) return 0;
    }
    return len;
}

static size_t crioimg__curl_on_body(char *p, size_t size, size_t nitems, void *u)
{
    crioimg__curlx *c = (crioimg__curlx *)u;
    size_t len = size * nitems;
    if (c->r != CRIOIMG_OK) return 0;
    c->in_body = 1;
    c->body += len;
    if (len && c->rq->sink.body && crioimg__curlx_stop(c, c->rq->sink.body(c->rq->sink.ctx, p, len)) != CRIOIMG_OK) return 0;
    return len;
}

/* Called often, and about once a second when no byte moves: where a cancel is seen, and the idle
   timeout kept. curl's LOW_SPEED_TIME alone would be late: it averages the speed over the last five
   seconds or so, so a stall right after some bytes counts only once those have left its window. The
   clock starts when the connection is set up (PRETRANSFER): until then the connect timeout rules. */
static int crioimg__curl_on_progress(void *u, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    crioimg__curlx *c = (crioimg__curlx *)u;
    curl_off_t now = 0, ready = 0;
    unsigned long long key;
    (void)dt; (void)ut;
    if (c->r != CRIOIMG_OK) return 1;
    if (c->rq->cancel && *c->rq->cancel) { c->why = "cancelled"; crioimg__curlx_stop(c, CRIOIMG_ERR_CANCELLED); return 1; }
    if (curl_easy_getinfo(c->easy, CURLINFO_TOTAL_TIME_T, &now) != CURLE_OK ||
        curl_easy_getinfo(c->easy, CURLINFO_PRETRANSFER_TIME_T, &ready) != CURLE_OK || ready <= 0)
        return 0;
    /* header bytes (counted by the callbacks), body bytes and request bytes (a slow POST) are activity */
    key = c->moved + (unsigned long long)dn + (unsigned long long)un;
    if (key != c->moved_seen || c->last_us < ready) { c->moved_seen = key; c->last_us = now > ready ? now : ready; }
    if ((now - c->last_us) / 1000 >= (curl_off_t)c->rq->idle_timeout_ms) {
        c->why = "no data within the idle timeout";
        crioimg__curlx_stop(c, CRIOIMG_ERR_TIMEOUT);
        return 1;
    }
    /* a drip keeps the idle clock happy: the header, total and progress rules end it */
    crioimg__curlx_lim_start(c);
    if (crioimg__hlim_check(&c->lim, crioimg__http_now_ms(), c->body, &c->why) != CRIOIMG_OK) {
        crioimg__curlx_stop(c, CRIOIMG_ERR_TIMEOUT);
        return 1;
    }
    return 0;
}

/* appends the file at path to the blob, with a newline (a PEM file need not end with one); read as every
   configuration file is (crioimg__config_read): a FIFO or a device among the CA files is refused, not
   waited on. ERR_IO when it cannot be read, ERR_TOO_BIG past the blob's cap. */
static crioimg_result crioimg__curl_ca_add(crioimg__curl *k, size_t *cap, const char *path)
{
    char *d;
    size_t n;
    crioimg_result r;
    if (k->ca_len >= CRIOIMG__CURL_CA_MAX) return CRIOIMG_ERR_TOO_BIG;
    r = crioimg__config_read(path, CRIOIMG__CURL_CA_MAX - k->ca_len, &k->alloc, &d, &n, NULL);
    if (r == CRIOIMG_ERR_NOT_FOUND) r = CRIOIMG_ERR_IO;
    if (r != CRIOIMG_OK) return r;
    if (*cap - k->ca_len < n + 1) {
        size_t nc = *cap ? *cap * 2 : 256 * 1024;
        char *p;
        if (nc < k->ca_len + n + 1) nc = k->ca_len + n + 1;
        if (nc > CRIOIMG__CURL_CA_MAX + 1) nc = CRIOIMG__CURL_CA_MAX + 1;
        if ((p = (char *)crioimg_realloc(&k->alloc, k->ca, nc)) == NULL) { crioimg_free(&k->alloc, d); return CRIOIMG_ERR_NOMEM; }
        k->ca = p; *cap = nc;
    }
    memcpy(k->ca + k->ca_len, d, n);
    k->ca_len += n;
    k->ca[k->ca_len++] = '\n';
    crioimg_free(&k->alloc, d);
    return CRIOIMG_OK;
}

/* A CA directory OpenSSL can use: it holds at least one subject-hash link ("5a3f0ff8.0"). A directory
   without them (an image that ships only the bundle file) would silently trust nothing. */
static int crioimg__curl_hashed_dir(const char *path)
{
#ifdef CRIOIMG__HAVE_DIRENT
    DIR *d = opendir(path);
    struct dirent *e;
    int found = 0;
    if (d == NULL) return 0;
    while (!found && (e = readdir(d)) != NULL) {
        const char *n = e->d_name;
        size_t i;
        for (i = 0; i < 8 && crioimg__hexval(n[i]) >= 0; i++) {}
        found = i == 8 && n[8] == '.' && n[9] >= '0' && n[9] <= '9';
    }
    closedir(d);
    return found;
#else
    (void)path;
    return 0;   /* no way to look: the bundle it is */
#endif
}

/* The PEM blob of the system's CAs and t's ca_files: libcurl takes one CA source (CAINFO), and extra
   CAs must not replace the system's. Rebuilt only when the list of files changes. */
static crioimg_result crioimg__curl_ca_blob(crioimg__curl *k, const crioimg_tls_config *t, char *err, size_t errcap)
{
    static const char *const fallback[] = { "/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt",
                                            "/etc/ssl/cert.pem", "/etc/ssl/ca-bundle.pem" };
    const curl_version_info_data *vi = curl_version_info(CURLVERSION_NOW);
    size_t i, keylen = 0, cap = 0;
    crioimg_result r = CRIOIMG_OK;
    char *key, *kp;
    for (i = 0; i < t->nca_files; i++) keylen += strlen(t->ca_files[i]) + 1;
    if (k->ca && keylen == k->ca_key_len) {
        for (i = 0, kp = k->ca_key; i < t->nca_files; kp += strlen(kp) + 1, i++) if (strcmp(kp, t->ca_files[i]) != 0) break;
        if (i == t->nca_files) return CRIOIMG_OK;
    }
    crioimg_free(&k->alloc, k->ca); crioimg_free(&k->alloc, k->ca_key);
    k->ca = k->ca_key = NULL; k->ca_len = k->ca_key_len = 0;
    if ((key = (char *)crioimg_malloc(&k->alloc, keylen + 1)) == NULL) return CRIOIMG_ERR_NOMEM;
    for (i = 0, kp = key; i < t->nca_files; i++) { size_t l = strlen(t->ca_files[i]) + 1; memcpy(kp, t->ca_files[i], l); kp += l; }
    /* The system's CAs: a CA blob replaces curl's CA file but not its CA path, so when this libcurl has a
       CA path with subject-hash links (/etc/ssl/certs on Debian) the system's CAs come from there, looked up
       only as a chain needs them; parsing the whole bundle instead costs 20-30 ms a process. Else the
       bundle this libcurl was built with, else the usual places. */
    if (vi && vi->age >= CURLVERSION_SEVENTH && vi->capath && crioimg__curl_hashed_dir(vi->capath)) r = CRIOIMG_OK;
    else {
        if (vi && vi->age >= CURLVERSION_SEVENTH && vi->cainfo) r = crioimg__curl_ca_add(k, &cap, vi->cainfo);
        for (i = 0; (!vi || vi->age < CURLVERSION_SEVENTH || !vi->cainfo || r == CRIOIMG_ERR_IO) && i < sizeof fallback / sizeof *fallback; i++)
            if ((r = crioimg__curl_ca_add(k, &cap, fallback[i])) != CRIOIMG_ERR_IO) break;
        if (r == CRIOIMG_ERR_IO) r = CRIOIMG_OK;  /* no bundle file: the extra CAs alone */
    }
    for (i = 0; r == CRIOIMG_OK && i < t->nca_files; i++)
        if ((r = crioimg__curl_ca_add(k, &cap, t->ca_files[i])) != CRIOIMG_OK)
            crioimg__http_fail(err, errcap, r, "cannot read the CA file ", NULL, t->ca_files[i]);
    if (r != CRIOIMG_OK) {
        if (r == CRIOIMG_ERR_TOO_BIG) crioimg__http_fail(err, errcap, r, "the CA files are over 16 MiB", NULL, NULL);
        crioimg_free(&k->alloc, k->ca); crioimg_free(&k->alloc, key);
        k->ca = NULL; k->ca_len = 0;
        return r;
    }
    k->ca_key = key;
    k->ca_key_len = keylen;
    return CRIOIMG_OK;
}

/* "Name: value"; "Name;" for an empty value (curl reads "Name:" as "do not send Name") */
static crioimg_result crioimg__curl_headers(crioimg__curl *k, const crioimg_http_request *rq, struct curl_slist **out)
{
    size_t i;
    int expect = 0;
    *out = NULL;
    for (i = 0; i < rq->nheaders; i++) {
        const char *nm = rq->headers[i].name, *v = rq->headers[i].value;
        size_t nl = strlen(nm), vl = strlen(v);
        char *line = (char *)crioimg_malloc(&k->alloc, nl + vl + 3);
        struct curl_slist *n;
        if (line == NULL) return CRIOIMG_ERR_NOMEM;
        memcpy(line, nm, nl);
        if (vl) { line[nl] = ':'; line[nl + 1] = ' '; memcpy(line + nl + 2, v, vl + 1); }
        else { line[nl] = ';'; line[nl + 1] = '\0'; }
        n = curl_slist_append(*out, line);
        crioimg_free(&k->alloc, line);
        if (n == NULL) return CRIOIMG_ERR_NOMEM;
        *out = n;
        if (crioimg__ascii_ieq(nm, nl, "expect")) expect = 1;
    }
    if (!expect && rq->body_len) {
        /* curl would add "Expect: 100-continue" to a large POST and wait for the server: ask nothing */
        struct curl_slist *n = curl_slist_append(*out, "Expect:");
        if (n == NULL) return CRIOIMG_ERR_NOMEM;
        *out = n;
    }
    return CRIOIMG_OK;
}

static crioimg_result crioimg__curl_code(CURLcode cc, const crioimg__curlx *c)
{
    switch (cc) {
    case CURLE_OK: return CRIOIMG_OK;
    case CURLE_ABORTED_BY_CALLBACK: return c->r != CRIOIMG_OK ? c->r : CRIOIMG_ERR_CANCELLED;
    case CURLE_WRITE_ERROR: return c->r != CRIOIMG_OK ? c->r : CRIOIMG_ERR_IO;
    case CURLE_OPERATION_TIMEDOUT: return CRIOIMG_ERR_TIMEOUT;
    case CURLE_OUT_OF_MEMORY: return CRIOIMG_ERR_NOMEM;
    case CURLE_URL_MALFORMAT: return CRIOIMG_ERR_INVALID_ARGS;
    case CURLE_UNSUPPORTED_PROTOCOL: return CRIOIMG_ERR_UNSUPPORTED;
    case CURLE_SSL_CONNECT_ERROR: case CURLE_PEER_FAILED_VERIFICATION: case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER: case CURLE_SSL_CACERT_BADFILE: case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED: case CURLE_SSL_ENGINE_INITFAILED: case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_SSL_CRL_BADFILE: case CURLE_SSL_ISSUER_ERROR: case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS: case CURLE_USE_SSL_FAILED:
#if LIBCURL_VERSION_NUM >= 0x074d00
    case CURLE_SSL_CLIENTCERT:
#endif
        return CRIOIMG_ERR_HTTP_TLS;
    case CURLE_WEIRD_SERVER_REPLY: case CURLE_BAD_CONTENT_ENCODING: case CURLE_HTTP2: case CURLE_HTTP2_STREAM:
    case CURLE_RANGE_ERROR: case CURLE_HTTP_RETURNED_ERROR:
        return CRIOIMG_ERR_HTTP_PROTOCOL;
    default:  /* resolve, connect, send, receive, nothing or part of a body: the connection failed */
        return CRIOIMG_ERR_HTTP_CONNECT;
    }
}

/* CURLOPT_OPENSOCKETFUNCTION: every socket close-on-exec, so a child the host runs (conmon, runc) does
   not inherit a registry connection; and when the request refuses local addresses, the address curl
   resolved is checked before the socket exists (curl goes on to the name's next address, if any). */
static curl_socket_t crioimg__curl_open_socket(void *u, curlsocktype purpose, struct curl_sockaddr *a)
{
    crioimg__curlx *c = (crioimg__curlx *)u;
    if (c->rq->refuse_local_addresses && purpose == CURLSOCKTYPE_IPCXN && crioimg__http_sockaddr_forbidden(&a->addr, a->addrlen)) {
        c->why = "refusing to connect to an unspecified or link-local address";
        return CURL_SOCKET_BAD;
    }
#ifdef SOCK_CLOEXEC
    return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);   /* not inherited by a child the host runs */
#else
    return socket(a->family, a->socktype, a->protocol);
#endif
}

/* the options of one request; CURLE_OK or the first that failed */
static CURLcode crioimg__curl_setup(crioimg__curl *k, const crioimg_http_request *rq, crioimg__curlx *c, struct curl_slist *hl)
{
    CURL *e = k->easy;
    CURLcode cc = CURLE_OK;
    const char *proxy;
#define CRIOIMG__CURL_SET(opt, val) do { if (cc == CURLE_OK) cc = curl_easy_setopt(e, opt, val); } while (0)
    CRIOIMG__CURL_SET(CURLOPT_ERRORBUFFER, k->errbuf);
    CRIOIMG__CURL_SET(CURLOPT_URL, rq->url);
#if LIBCURL_VERSION_NUM >= 0x075500
    CRIOIMG__CURL_SET(CURLOPT_PROTOCOLS_STR, "http,https");
#else
    CRIOIMG__CURL_SET(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    CRIOIMG__CURL_SET(CURLOPT_FOLLOWLOCATION, 0L);  /* the registry client follows, by its rules */
    CRIOIMG__CURL_SET(CURLOPT_NOSIGNAL, 1L);        /* no SIGALRM for name lookups: safe in threads */
    CRIOIMG__CURL_SET(CURLOPT_PATH_AS_IS, 1L);      /* the path as the client resolved it */
    CRIOIMG__CURL_SET(CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);  /* a proxy's CONNECT answer is not the response */
    CRIOIMG__CURL_SET(CURLOPT_TCP_KEEPALIVE, 1L);
    CRIOIMG__CURL_SET(CURLOPT_CONNECTTIMEOUT_MS, rq->connect_timeout_ms);
    /* idle: under 1 byte/s for the whole period aborts (curl counts in seconds: rounded up); a backstop
       for the progress callback's own, exact check */
    CRIOIMG__CURL_SET(CURLOPT_LOW_SPEED_LIMIT, 1L);
    CRIOIMG__CURL_SET(CURLOPT_LOW_SPEED_TIME, rq->idle_timeout_ms / 1000 + (rq->idle_timeout_ms % 1000 != 0));
    /* the total rule, as a backstop for the progress callback's own check (curl counts the connect too) */
    if (rq->total_timeout_ms > 0) CRIOIMG__CURL_SET(CURLOPT_TIMEOUT_MS, rq->total_timeout_ms + rq->connect_timeout_ms + 1000);
    CRIOIMG__CURL_SET(CURLOPT_NOPROGRESS, 0L);
    CRIOIMG__CURL_SET(CURLOPT_XFERINFOFUNCTION, crioimg__curl_on_progress);
    CRIOIMG__CURL_SET(CURLOPT_XFERINFODATA, c);
    CRIOIMG__CURL_SET(CURLOPT_HEADERFUNCTION, crioimg__curl_on_header);
    CRIOIMG__CURL_SET(CURLOPT_HEADERDATA, c);
    CRIOIMG__CURL_SET(CURLOPT_WRITEFUNCTION, crioimg__curl_on_body);
    CRIOIMG__CURL_SET(CURLOPT_WRITEDATA, c);
    CRIOIMG__CURL_SET(CURLOPT_OPENSOCKETFUNCTION, crioimg__curl_open_socket);
    CRIOIMG__CURL_SET(CURLOPT_OPENSOCKETDATA, c);
    if (rq->refuse_local_addresses) CRIOIMG__CURL_SET(CURLOPT_FRESH_CONNECT, 1L);   /* a cached connection was never checked */
    if (strcmp(rq->method, "HEAD") == 0) {
        CRIOIMG__CURL_SET(CURLOPT_NOBODY, 1L);
    } else if (strcmp(rq->method, "POST") == 0) {
        CRIOIMG__CURL_SET(CURLOPT_POST, 1L);
        CRIOIMG__CURL_SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)rq->body_len);
        CRIOIMG__CURL_SET(CURLOPT_POSTFIELDS, rq->body_len ? (const char *)rq->body : "");
    } else {
        CRIOIMG__CURL_SET(CURLOPT_HTTPGET, 1L);
    }
    if (hl) CRIOIMG__CURL_SET(CURLOPT_HTTPHEADER, hl);
    /* Go's ProxyFromEnvironment takes HTTP_PROXY too; curl only http_proxy (httpoxy: under CGI, HTTP_PROXY
       may come from a request's "Proxy:" header, so Go ignores it when REQUEST_METHOD is set). NO_PROXY
       still applies: curl checks it for a proxy set this way as well. */
    if (strncmp(rq->url, "http:", 5) == 0 && getenv("http_proxy") == NULL && getenv("REQUEST_METHOD") == NULL &&
        (proxy = getenv("HTTP_PROXY")) != NULL && proxy[0])
        CRIOIMG__CURL_SET(CURLOPT_PROXY, proxy);
    CRIOIMG__CURL_SET(CURLOPT_SSL_VERIFYPEER, rq->tls.verify ? 1L : 0L);
    CRIOIMG__CURL_SET(CURLOPT_SSL_VERIFYHOST, rq->tls.verify ? 2L : 0L);
    if (rq->tls.verify && rq->tls.nca_files) {
#if LIBCURL_VERSION_NUM >= 0x074d00
        struct curl_blob b;
        b.data = k->ca; b.len = k->ca_len; b.flags = CURL_BLOB_COPY;  /* a connection keeps its TLS settings */
        CRIOIMG__CURL_SET(CURLOPT_CAINFO_BLOB, &b);
#else
        if (cc == CURLE_OK) cc = CURLE_NOT_BUILT_IN;
#endif
    }
    if (rq->tls.cert_file) {
        CRIOIMG__CURL_SET(CURLOPT_SSLCERT, rq->tls.cert_file);
        CRIOIMG__CURL_SET(CURLOPT_SSLCERTTYPE, "PEM");
        CRIOIMG__CURL_SET(CURLOPT_SSLKEY, rq->tls.key_file);
        CRIOIMG__CURL_SET(CURLOPT_SSLKEYTYPE, "PEM");
    }
#undef CRIOIMG__CURL_SET
    return cc;
}

static crioimg_result crioimg__curl_request(void *user, const crioimg_http_request *rq, char *err, size_t errcap)
{
    crioimg__curl *k = (crioimg__curl *)user;
    crioimg__curlx c;
    struct curl_slist *hl = NULL;
    crioimg_result r;
    CURLcode cc;
    memset(&c, 0, sizeof c);
    c.rq = rq;
    c.easy = k->easy;
    curl_easy_reset(k->easy);  /* every option back to its default; the connection cache stays */
    k->errbuf[0] = '\0';
    if (rq->tls.verify && rq->tls.nca_files && (r = crioimg__curl_ca_blob(k, &rq->tls, err, errcap)) != CRIOIMG_OK) return r;
    if ((r = crioimg__curl_headers(k, rq, &hl)) != CRIOIMG_OK) {
        curl_slist_free_all(hl);
        return crioimg__http_fail(err, errcap, r, "cannot build the request headers", NULL, NULL);
    }
    cc = crioimg__curl_setup(k, rq, &c, hl);
    if (cc != CURLE_OK) {
        curl_slist_free_all(hl);
        curl_easy_reset(k->easy);
        return crioimg__http_fail(err, errcap, CRIOIMG_ERR_UNSUPPORTED, "libcurl refused an option: ", NULL, curl_easy_strerror(cc));
    }
    cc = curl_easy_perform(k->easy);
    curl_easy_setopt(k->easy, CURLOPT_HTTPHEADER, (struct curl_slist *)NULL);  /* the list goes now */
    curl_slist_free_all(hl);
    r = crioimg__curl_code(cc, &c);
    if (cc == CURLE_OUT_OF_MEMORY && c.in_head && c.r == CRIOIMG_OK) {
        /* libcurl's word for a header line over its 100 KB buffer: the response's fault, in the words
           the guard and the sockets transport use for a field over 64 KiB */
        r = CRIOIMG_ERR_HTTP_PROTOCOL;
        c.why = "a response header field over 64 KiB";
    }
    if (r != CRIOIMG_OK && c.why) crioimg__http_fail(err, errcap, r, c.why, NULL, NULL);
    else if (r != CRIOIMG_OK) crioimg__http_fail(err, errcap, r, "curl: ", NULL, k->errbuf[0] ? k->errbuf : curl_easy_strerror(cc));
    /* The handle kept pointers to this call's state (&c for the callbacks, the caller's POST body and
       URL): reset now, so that nothing between requests (a close, a failed next setup) can reach them
       once they are gone. The connection cache survives a reset. */
    curl_easy_reset(k->easy);
    return r;
}

static void crioimg__curl_close(void *user)
{
    crioimg__curl *k = (crioimg__curl *)user;
    crioimg_allocator a = k->alloc;
    if (k->easy) curl_easy_cleanup(k->easy);
    crioimg_free(&a, k->ca);
    crioimg_free(&a, k->ca_key);
    crioimg_free(&a, k);
    curl_global_cleanup();  /* pairs with the open's curl_global_init: libcurl counts them */
}
#endif /* CRIOIMG_WITH_CURL */

crioimg_result crioimg_http_open_curl(crioimg_http **out, const crioimg_allocator *alloc)
{
#ifdef CRIOIMG_WITH_CURL
    crioimg__curl *k;
    if (out == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    *out = NULL;
    if (crioimg_allocator_check(alloc) != CRIOIMG_OK) return CRIOIMG_ERR_INVALID_ARGS;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) return CRIOIMG_ERR_HTTP_NO_TRANSPORT;
    k = (crioimg__curl *)crioimg_malloc(alloc, sizeof *k);
    if (k == NULL) { curl_global_cleanup(); return CRIOIMG_ERR_NOMEM; }
    memset(k, 0, sizeof *k);
    if (alloc) k->alloc = *alloc;
    if ((k->easy = curl_easy_init()) == NULL) { crioimg__curl_close(k); return CRIOIMG_ERR_NOMEM; }
    return crioimg__http_open_builtin(out, k, crioimg__curl_request, crioimg__curl_close, alloc);
#else
    (void)alloc;
    if (out) *out = NULL;
    return CRIOIMG_ERR_HTTP_NO_TRANSPORT;
#endif
}

/* ---- certificates for a registry: containers/image's dockerCertDir + tlsclientconfig.SetupCertificates ---- */

#ifdef CRIOIMG__HAVE_DIRENT
#include <sys/stat.h>

/* the names of one directory, sorted by name (Go's os.ReadDir order) */
typedef struct crioimg__tlsdir { char **names; size_t n; } crioimg__tlsdir;

static crioimg_result crioimg__tls_fail(char *err, size_t errcap, crioimg_result r, const char *a, const char *b, const char *c, const char *d)
{
    crioimg__out o;
    o.p = err; o.cap = err ? errcap : 0; o.len = 0;
    if (o.cap) err[0] = '\0';
    if (a) crioimg__out_str(&o, a);
    if (b) crioimg__out_str(&o, b);
    if (c) crioimg__out_str(&o, c);
    if (d) crioimg__out_str(&o, d);
    return r;
}

/* dir + "/" + name, from the allocator; NULL when out of memory */
static char *crioimg__tls_join(const crioimg_allocator *a, const char *dir, const char *name, const char *suffix)
{
    size_t dl = strlen(dir), nl = strlen(name), sl = suffix ? strlen(suffix) : 0;
    char *p = (char *)crioimg_malloc(a, dl + nl + sl + 2);
    if (p == NULL) return NULL;
    memcpy(p, dir, dl);
    p[dl] = '/';
    memcpy(p + dl + 1, name, nl);
    if (sl) memcpy(p + dl + 1 + nl, suffix, sl);
    p[dl + 1 + nl + sl] = '\0';
    return p;
}

/* A directory's entries. A missing or unreadable (permission) directory has none, as Go skips it. */
static crioimg_result crioimg__tls_readdir(const crioimg_allocator *a, const char *dir, crioimg__tlsdir *d, char *err, size_t errcap)
{
    DIR *dh;
    struct dirent *e;
    crioimg_result r = CRIOIMG_OK;
    d->names = NULL; d->n = 0;
    if ((dh = opendir(dir)) == NULL) {
        int en = errno;
        if (en == ENOENT || en == EACCES || en == EPERM) return CRIOIMG_OK;
        return crioimg__tls_fail(err, errcap, CRIOIMG_ERR_TLS_FILES, "open ", dir, ": ", strerror(en));
    }
    while (r == CRIOIMG_OK) {
        errno = 0;   /* NULL with errno set is a failed read (EOVERFLOW, EIO), not the end of the listing */
        if ((e = readdir(dh)) == NULL) {
            if (errno != 0) r = crioimg__tls_fail(err, errcap, CRIOIMG_ERR_TLS_FILES, "read ", dir, ": ", strerror(errno));
            break;
        }
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        r = crioimg__reg_list_add(a, &d->names, &d->n, e->d_name, strlen(e->d_name));  /* the registries module's */
    }
    closedir(dh);
    if (r != CRIOIMG_OK) return r;
    if (d->n > 1) qsort(d->names, d->n, sizeof *d->names, crioimg__strptr_cmp);
    return CRIOIMG_OK;
}

static int crioimg__tls_has(const crioimg__tlsdir *d, const char *name, size_t base, const char *suffix)
{
    size_t i, sl = strlen(suffix);
    for (i = 0; i < d->n; i++)
        if (strlen(d->names[i]) == base + sl && memcmp(d->names[i], name, base) == 0 && strcmp(d->names[i] + base, suffix) == 0) return 1;
    return 0;
}

static int crioimg__tls_ends(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* A file TLS will read: it must be a readable regular file (symlinks followed, as Go follows them).
   *gone is set, with OK, for a dangling entry (Go warns and goes on). */
static crioimg_result crioimg__tls_file(const char *path, int *gone, char *err, size_t errcap)
{
    struct stat st;
    char reason[96];
    crioimg__out why;
    *gone = 0;
    if (stat(path, &st) != 0) {
        int en = errno;
        if (en == ENOENT) { *gone = 1; return CRIOIMG_OK; }
        return crioimg__tls_fail(err, errcap, CRIOIMG_ERR_TLS_FILES, "open ", path, ": ", strerror(en));
    }
    if (!S_ISREG(st.st_mode)) return crioimg__tls_fail(err, errcap, CRIOIMG_ERR_TLS_FILES, "not a regular file: ", path, NULL, NULL);
    /* opened as every configuration file is (never blocking): a FIFO swapped in after the stat is refused */
    why.p = reason; why.cap = sizeof reason; why.len = 0; reason[0] = '\0';
    if (crioimg__config_read(path, 0, NULL, NULL, NULL, &why) != CRIOIMG_OK)
        return crioimg__tls_fail(err, errcap, CRIOIMG_ERR_TLS_FILES, "open ", path, ": ", reason);
    return CRIOIMG_OK;
}

static crioimg_result crioimg__tls_pair_file(const char *path, char *err, size_t errcap)
{
    int gone;
    crioimg_result r = crioimg__tls_file(path, &gone, err, errcap);
    if (r == CRIOIMG_OK && gone) r = crioimg__tls_fail(err, errcap, CRIOIMG_ERR_TLS_FILES, "open ", path, ": ", strerror(ENOENT));
    return r;
}

/* dockerCertDir: cert_dir itself, else ROOT/host for the first ROOT where that exists (stat; missing
   or forbidden goes on to the next), else none (*dir NULL). */
static crioimg_result crioimg__tls_dir(const crioimg_allocator *a, const char *host, const char *cert_dir,
                                       const char *const *roots, char **dir, char *err, size_t errcap)
{
    const char *defaults[4];
    char *home_root = NULL;
    const char *home;
    crioimg_result r = CRIOIMG_OK;
    size_t i;
    *dir = NULL;
    if (cert_dir) {
        size_t l = strlen(cert_dir);
        if ((*dir = (char *)crioimg_malloc(a, l + 1)) == NULL) return CRIOIMG_ERR_NOMEM;
        memcpy(*dir, cert_dir, l + 1);
        return CRIOIMG_OK;
    }
    if (roots == NULL) {
        size_t n = 0;
        if ((home = getenv("HOME")) != NULL && home[0]) {
            if ((home_root = crioimg__tls_join(a, home, ".config/containers/certs.d", NULL)) == NULL) return CRIOIMG_ERR_NOMEM;
            defaults[n++] = home_root;
        }
        defaults[n++] = "/etc/containers/certs.d";
        defaults[n++] = "/etc/docker/certs.d";
        defaults[n] = NULL;
        roots = defaults;
    }
    for (i = 0; roots[i] != NULL; i++) {
        struct stat st;
        char *p = crioimg__tls_join(a, roots[i], host, NULL);
        int en;
        if (p == NULL) { r = CRIOIMG_ERR_NOMEM; break; }
        if (stat(p, &st) == 0) { *dir = p; break; }
        en = errno;
        if (en != ENOENT && en != ENOTDIR && en != EACCES && en != EPERM) {
            r = crioimg__tls_fail(err, errcap, CRIOIMG_ERR_TLS_FILES, "stat ", p, ": ", strerror(en));
            crioimg_free(a, p);
            break;
        }
        crioimg_free(a, p);
    }
    crioimg_free(a, home_root);
    return r;
}

/* SetupCertificates over the sorted names: the CA files, and the first client pair by name (Go loads
   every pair and its TLS stack sends the first, unless the server's request narrows the choice) */
static crioimg_result crioimg__tls_scan(const crioimg_allocator *a, const char *dir, const crioimg__tlsdir *d,
                                        char **cas, size_t *nca, char **cert, char **key, char *err, size_t errcap)
{
    size_t i;
    for (i = 0; i < d->n; i++) {
        const char *nm = d->names[i];
        size_t l = strlen(nm);
        crioimg_result r;
        int gone;
        if (crioimg__tls_ends(nm, ".crt")) {
            if ((cas[*nca] = crioimg__tls_join(a, dir, nm, NULL)) == NULL) return CRIOIMG_ERR_NOMEM;
            r = crioimg__tls_file(cas[*nca], &gone, err, errcap);
            if (r != CRIOIMG_OK || gone) { crioimg_free(a, cas[*nca]); cas[*nca] = NULL; if (r != CRIOIMG_OK) return r; }
            else (*nca)++;
        } else if (crioimg__tls_ends(nm, ".cert")) {
            char *c, *k;
            if (!crioimg__tls_has(d, nm, l - 5, ".key")) {
                crioimg__out o;
                o.p = err; o.cap = err ? errcap : 0; o.len = 0;
                if (o.cap) err[0] = '\0';
                crioimg__out_str(&o, "missing key ");
                crioimg__out_put(&o, nm, l - 5);
                crioimg__out_str(&o, ".key for client certificate ");
                crioimg__out_str(&o, nm);
                crioimg__out_str(&o, ". Note that CA certificates should use the extension .crt");
                return CRIOIMG_ERR_TLS_FILES;
            }
            if ((c = crioimg__tls_join(a, dir, nm, NULL)) == NULL) return CRIOIMG_ERR_NOMEM;
            if ((k = crioimg__tls_join(a, dir, nm, NULL)) == NULL) { crioimg_free(a, c); return CRIOIMG_ERR_NOMEM; }
            memcpy(k + strlen(k) - 5, ".key", 5);
            /* the pair is loaded, not just listed: a dangling one fails as LoadX509KeyPair does */
            if ((r = crioimg__tls_pair_file(c, err, errcap)) != CRIOIMG_OK || (r = crioimg__tls_pair_file(k, err, errcap)) != CRIOIMG_OK) {
                crioimg_free(a, c); crioimg_free(a, k);
                return r;
            }
            if (*cert == NULL) { *cert = c; *key = k; }
            else { crioimg_free(a, c); crioimg_free(a, k); }
        } else if (crioimg__tls_ends(nm, ".key")) {
            if (!crioimg__tls_has(d, nm, l - 4, ".cert")) {
                crioimg__out o;
                o.p = err; o.cap = err ? errcap : 0; o.len = 0;
                if (o.cap) err[0] = '\0';
                crioimg__out_str(&o, "missing client certificate ");
                crioimg__out_put(&o, nm, l - 4);
                crioimg__out_str(&o, ".cert for key ");
                crioimg__out_str(&o, nm);
                return CRIOIMG_ERR_TLS_FILES;
            }
        }
    }
    return CRIOIMG_OK;
}

/* everything found, in one block: the CA pointer array, then the strings */
static crioimg_result crioimg__tls_pack(crioimg_tls_files *out, char **cas, size_t nca, const char *cert, const char *key)
{
    size_t i, total = nca * sizeof(char *) + 1;
    char *p;
    const char **arr;
    for (i = 0; i < nca; i++) total += strlen(cas[i]) + 1;
    if (cert) total += strlen(cert) + strlen(key) + 2;
    if ((out->arena = crioimg_malloc(&out->alloc, total)) == NULL) return CRIOIMG_ERR_NOMEM;
    arr = (const char **)out->arena;
    p = (char *)(arr + nca);
    for (i = 0; i < nca; i++) { size_t l = strlen(cas[i]) + 1; memcpy(p, cas[i], l); arr[i] = p; p += l; }
    if (cert) {
        size_t l = strlen(cert) + 1;
        memcpy(p, cert, l); out->config.cert_file = p; p += l;
        l = strlen(key) + 1;
        memcpy(p, key, l); out->config.key_file = p;
    }
    out->config.ca_files = nca ? arr : NULL;
    out->config.nca_files = nca;
    return CRIOIMG_OK;
}
#endif /* CRIOIMG__HAVE_DIRENT */

crioimg_result crioimg_tls_files_load(crioimg_tls_files *out, const char *host, const char *cert_dir, const char *const *roots,
                                      const crioimg_allocator *alloc, char *err, size_t errcap)
{
#ifdef CRIOIMG__HAVE_DIRENT
    crioimg__tlsdir d;
    char *dir = NULL, **cas = NULL, *cert = NULL, *key = NULL;
    size_t nca = 0, i;
    crioimg_result r;
#endif
    if (err && errcap) err[0] = '\0';
    if (out == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    memset(out, 0, sizeof *out);
    out->config.verify = 1;
    if (crioimg_allocator_check(alloc) != CRIOIMG_OK) return CRIOIMG_ERR_INVALID_ARGS;
    if (alloc) out->alloc = *alloc;
    /* host becomes a path component: nothing that could climb out of the root */
    if (host == NULL || host[0] == '\0' || strchr(host, '/') != NULL || strcmp(host, ".") == 0 || strcmp(host, "..") == 0)
        return crioimg__http_fail(err, errcap, CRIOIMG_ERR_INVALID_ARGS, "not a registry host: ", NULL, host ? host : "(null)");
#ifdef CRIOIMG__HAVE_DIRENT
    if ((r = crioimg__tls_dir(&out->alloc, host, cert_dir, roots, &dir, err, errcap)) != CRIOIMG_OK || dir == NULL) return r;
    r = crioimg__tls_readdir(&out->alloc, dir, &d, err, errcap);
    if (r == CRIOIMG_OK && d.n && (cas = (char **)crioimg_malloc(&out->alloc, d.n * sizeof *cas)) == NULL) r = CRIOIMG_ERR_NOMEM;
    if (r == CRIOIMG_OK) r = crioimg__tls_scan(&out->alloc, dir, &d, cas, &nca, &cert, &key, err, errcap);
    if (r == CRIOIMG_OK) r = crioimg__tls_pack(out, cas, nca, cert, key);
    for (i = 0; i < nca; i++) crioimg_free(&out->alloc, cas[i]);
    crioimg_free(&out->alloc, cas);
    crioimg_free(&out->alloc, cert);
    crioimg_free(&out->alloc, key);
    crioimg__strlist_free(&out->alloc, d.names, d.n);
    crioimg_free(&out->alloc, dir);
    if (r == CRIOIMG_ERR_NOMEM) crioimg__http_fail(err, errcap, r, "out of memory", NULL, NULL);
    return r;
#else
    (void)cert_dir; (void)roots;
    return crioimg__http_fail(err, errcap, CRIOIMG_ERR_UNSUPPORTED, "no directory listing on this platform", NULL, NULL);
#endif
}

void crioimg_tls_files_free(crioimg_tls_files *f)
{
    crioimg_allocator a;
    if (f == NULL) return;
    a = f->alloc;
    crioimg_free(&a, f->arena);
    memset(f, 0, sizeof *f);
}

/* ==== src/http_mbedtls.c ==== */
/* ---------------------------------------------------------------------------------------------------
   http_mbedtls: the built-in transport on POSIX sockets + mbedtls (CRIOIMG_WITH_MBEDTLS), for firmware
   without libcurl

   Two parts. The HTTP/1.1 response parser works on bytes only (no sockets, no TLS), so it is compiled
   in every build: the unit tests and fuzz/fuzz_http_response.c exercise it whatever the configuration.
   The transport around it (name lookup, non-blocking connect, TLS, keep-alive) exists only with
   CRIOIMG_WITH_MBEDTLS; without it crioimg_http_open_mbedtls says ERR_HTTP_NO_TRANSPORT.
   --------------------------------------------------------------------------------------------------- */

/* The parser's internals are used by the transport, the tests and the fuzz target; a build without
   mbedtls calls none of them, which must not be a warning. */
#if defined(__GNUC__) || defined(__clang__)
#  define CRIOIMG__H1_FN static __attribute__((unused))
#else
#  define CRIOIMG__H1_FN static
#endif

/* ---- the response parser ----

   A linear, bounded state machine fed any split of the response: each byte is looked at a bounded
   number of times, header lines are gathered in one caller-supplied buffer of CRIOIMG__H1_LINE_MAX
   bytes, and body bytes go to the sink straight from the input. Strict where leniency has been a
   request-smuggling or desync hole: CRLF only (no bare LF), no obs-fold, no white space before a
   header's colon, one Content-Length of plain digits, Transfer-Encoding only "chunked" and never
   together with Content-Length. */

#define CRIOIMG__H1_LINE_MAX (CRIOIMG_HTTP_HEADER_MAX + 256)  /* a field's name + value, ": " and padding */
#define CRIOIMG__H1_HEAD_MAX (256 * 1024)                     /* one response's status line + fields */
#define CRIOIMG__H1_MAX_INTERIM 32                            /* 1xx responses before the final one */
#define CRIOIMG__H1_CHUNK_MAX (1ULL << 60)                    /* far beyond any blob, far from overflow */

enum {
    CRIOIMG__H1_STATUS, CRIOIMG__H1_HEADER, CRIOIMG__H1_BODY_LEN, CRIOIMG__H1_BODY_EOF, CRIOIMG__H1_CHUNK_SIZE,
    CRIOIMG__H1_CHUNK_DATA, CRIOIMG__H1_CHUNK_END, CRIOIMG__H1_TRAILER, CRIOIMG__H1_DONE, CRIOIMG__H1_FAILED
};

typedef struct crioimg__h1 {
    int state;
    int head;                        /* the request was HEAD: no body whatever the fields say */
    int code;                        /* the current response's status */
    int close;                       /* the connection cannot carry another request */
    int has_len, chunked;
    unsigned interim;
    unsigned long long remaining;    /* Content-Length or chunk bytes still to come */
    size_t head_total;               /* bytes of this response's status line and fields (trailers too) */
    unsigned long long received;     /* every byte fed, to tell "nothing came" from "cut short" */
    char *line;                      /* CRIOIMG__H1_LINE_MAX bytes, the caller's */
    size_t llen;
    const crioimg_http_sink *sink;
    char *err;
    size_t errcap;
} crioimg__h1;

CRIOIMG__H1_FN void crioimg__h1_init(crioimg__h1 *p, char *line, int head, const crioimg_http_sink *sink, char *err, size_t errcap)
{
    memset(p, 0, sizeof *p);
    p->line = line;
    p->head = head;
    p->sink = sink;
    p->err = err;
    p->errcap = errcap;
    if (err && errcap) err[0] = '\0';
}

static crioimg_result crioimg__h1_fail(crioimg__h1 *p, crioimg_result r, const char *why)
{
    crioimg__out o;
    o.p = p->err; o.cap = p->err ? p->errcap : 0; o.len = 0;
    if (o.cap) o.p[0] = '\0';
    crioimg__out_str(&o, why);
    p->state = CRIOIMG__H1_FAILED;
    return r;
}

/* RFC 9110 tchar */
static int crioimg__h1_tchar(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c != 0 && memchr("!#$%&'*+-.^_`|~", c, 15) != NULL);
}

/* field-vchar, SP, HTAB, obs-text: anything but the other controls */
static int crioimg__h1_text(const char *s, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f) return 0;
    }
    return 1;
}

/* Gathers one line into p->line. 1 when it is complete (p->llen its length, CRLF dropped), 0 when the
   input ran out first, -1 on error (the detail written). counted: the line belongs to the header block
   and its cap. */
static int crioimg__h1_line(crioimg__h1 *p, const char *d, size_t n, size_t *i, int counted)
{
    const char *nl = (const char *)memchr(d + *i, '\n', n - *i);
    size_t take = nl ? (size_t)(nl - (d + *i)) : n - *i;
    if (take > CRIOIMG__H1_LINE_MAX - p->llen) {
        crioimg__h1_fail(p, CRIOIMG_ERR_HTTP_PROTOCOL, p->state == CRIOIMG__H1_CHUNK_SIZE ? "chunk size line too long" : "a response header field over 64 KiB");
        return -1;
    }
    if (counted && (p->head_total += take) > CRIOIMG__H1_HEAD_MAX) {
        crioimg__h1_fail(p, CRIOIMG_ERR_HTTP_PROTOCOL, "response header block too long");
        return -1;
    }
    memcpy(p->line + p->llen, d + *i, take);
    p->llen += take;
    *i += take;
    if (!nl) return 0;
    (*i)++;
    if (p->llen == 0 || p->line[p->llen - 1] != '\r') {
        crioimg__h1_fail(p, CRIOIMG_ERR_HTTP_PROTOCOL, "line not ended by CRLF");
        return -1;
    }
    p->llen--;
    return 1;
}

/* "HTTP/1.x NNN reason": the version, a three-digit code, an optional reason without controls */
static crioimg_result crioimg__h1_status(crioimg__h1 *p)
{
    const char *s = p->line;
    size_t n = p->llen;
    if (n < 12 || memcmp(s, "HTTP/1.", 7) != 0 || (s[7] != '0' && s[7] != '1') || s[8] != ' ' ||
        s[9] < '1' || s[9] > '5' || s[10] < '0' || s[10] > '9' || s[11] < '0' || s[11] > '9' ||
        (n > 12 && s[12] != ' ') || !crioimg__h1_text(s + 12, n - 12))
        return crioimg__h1_fail(p, CRIOIMG_ERR_HTTP_PROTOCOL, "malformed status line");
    p->code = (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
    p->close = p->close || s[7] == '0';  /* HTTP/1.0: one request a connection */
    p->has_len = p->chunked = 0;
    p->state = CRIOIMG__H1_HEADER;
    if (p->code < 200) return CRIOIMG_OK;  /* interim: nothing of it reaches the sink */
    return p->sink && p->sink->status ? p->sink->status(p->sink->ctx, p->code) : CRIOIMG_OK;
}

/* "close" among a Connection field's comma-separated options */
static int crioimg__h1_has_close(const char *v, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t s, e;
        while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ',')) i++;
        s = i;
        while (i < n && v[i] != ',') i++;
        for (e = i; e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'); e--) {}
        if (crioimg__ascii_ieq(v + s, e - s, "close")) return 1;
    }
    return 0;
}

static crioimg_result crioimg__h1_framing(crioimg__h1 *p, const char *name, size_t nlen, const char *v, size_t vlen)
{
    if (crioimg__ascii_ieq(name, nlen, "content-length")) {
        size_t i;
        if (p->has_len) return crioimg__h1_fail(p, CRIOIMG_ERR_HTTP_PROTOCOL, "more than one Content-Length");
        if (vlen == 0 || vlen > 18) return crioimg__h1_fail(p, CRIOIMG_ERR_HTTP_PROTOCOL, "invalid Content-Length");
        p->remaining = 0;
        for (i = 0; i < vlen; i++) {
            if (v[i] < '0' || v[i] > '9') return crioimg__h1_fail(p, CRIOIMG_ERR_HTTP_PROTOCOL, "invalid Content-Length");
            p->remaining = p->remaining * 10 + (unsigned)(v[i] - '0');
        }
        p->has_len = 1;
    } else if (crioimg__ascii_ieq(name, nlen, "transfer-encoding")) {
        if (p->chunked) return crioimg__h1_fail(p, CRIOIMG_ERR_HTTP_PROTOCOL, "more than one Transfer-Encoding");
        if (!crioimg__ascii_ieq(v, vlen, "chunked")) return crioimg__h1_fail(p, CRIOIMG_ERR_HTTP_PROTOCOL, "unsupported Transfer-Encoding");
        p->chunked = 1;
    } else if (crioimg__ascii_ieq(name, nlen, "connection") && crioimg__h1_has_close(v, vlen)) {
        p->close = 1;
    }
    return CRIOIMG_OK;
}

/* One field line: checked, its framing fields noted, and handed to the sink (final responses only). */
static crioimg_result crioimg__h1_field(crioimg__h1 *p)
{
    const char *s = p->line, *colon, *v;
    size_t n = p->llen, nlen, vlen, i;
    crioimg_result r;
    if (s[0] == ' ' || s[0] == '\t') return crioimg__h1_fail(p, CRIOIMG_ERR_HTTP_PROTOCOL, "obsolete line folding in a header field");
    colon = (const char *)memchr(s, ':', n);
    if (colon == NULL || colon == s) return crioimg__h1_fail(p, CRIOIMG_ERR_HTTP_PROTOCOL, "malformed header field");
    nlen = (size_t)(colon - s);
    for (i = 0; i < nlen; i++)
        if (!crioimg__h1_tchar((unsigned char)s[i])) return crioimg__h1_fail(p, CRIOIMG_ERR_HTTP_PROTOCOL, "malformed header field name");
    v = colon + 1;
    vlen = n - nlen - 1;
    while (vlen && (*v == ' ' || *v == '\t')) v++, vlen--;
    while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t')) vlen--;
    if (!crioimg__h1_text(v, vlen)) return crioimg__h1_fail(p, CRIOIMG_ERR_HTTP_PROTOCOL, "control character in a header field");
    if (nlen + vlen > CRIOIMG_HTTP_HEADER_MAX) return crioimg__h1_fail(p, CRIOIMG_ERR_HTTP_PROTOCOL, "a response header field over 64 KiB");
    if ((r = crioimg__h1_framing(p, s, nlen, v, vlen)) != CRIOIMG_OK) return r;
    if (p->code < 200 || p->sink == NULL || p->sink->header == NULL) return CRIOIMG_OK;
    return p->sink->header(p->sink->ctx, s, nlen, v, vlen);
}

/* The empty line: where the body starts and how it is framed (RFC 9112 6.3). */
static crioimg_result crioimg__h1_end_of_head(crioimg__h1 *p)
{
    if (p->code < 200) {
        if (p->code == 101) return crioimg__h1_fail(p, CRIOIMG_ERR_HTTP_PROTOCOL, "unexpected 101 Switching Protocols");
        if (++p->interim > CRIOIMG__H1_MAX_INTERIM) return crioimg__h1_fail(p, CRIOIMG_ERR_HTTP_PROTOCOL, "too many interim responses");
        p->head_total = 0;
        p->state = CRIOIMG__H1_STATUS;
        return CRIOIMG_OK;
    }
    if (p->has_len && p->chunked) return crioimg__h1_fail(p, CRIOIMG_ERR_HTTP_PROTOCOL, "both Content-Length and Transfer-Encoding");
    if (p->head || p->code == 204 || p->code == 304) p->state = CRIOIMG__H1_DONE;
    else if (p->chunked) p->state = CRIOIMG__H1_CHUNK_SIZE;
    else if (p->has_len) p->state = p->remaining ? CRIOIMG__H1_BODY_LEN : CRIOIMG__H1_DONE;
    else { p->state = CRIOIMG__H1_BODY_EOF; p->close = 1; }  /* the body ends when the connection does */
    return CRIOIMG_OK;
}

/* "1a2b[;ext...]": hex digits, then nothing or white space and extensions (ignored) */
static crioimg_result crioimg__h1_chunk_size(crioimg__h1 *p)
{
    size_t i = 0;
    unsigned long long v = 0;
    for (; i < p->llen; i++) {
        int d = crioimg__hexval(p->line[i]);  /* the registries module's */
        if (d < 0) break;
        if (v > CRIOIMG__H1_CHUNK_MAX >> 4) return crioimg__h1_fail(p, CRIOIMG_ERR_HTTP_PROTOCOL, "chunk size too large");
        v = v * 16 + (unsigned)d;
    }
    if (i == 0) return crioimg__h1_fail(p, CRIOIMG_ERR_HTTP_PROTOCOL, "malformed chunk size");
    while (i < p->llen && (p->line[i] == ' ' || p->line[i] == '\t')) i++;
    if ((i < p->llen && p->line[i] != ';') || !crioimg__h1_text(p->line + i, p->llen - i))
        return crioimg__h1_fail(p, CRIOIMG_ERR_HTTP_PROTOCOL, "malformed chunk size");
    p->remaining = v;
    p->head_total = 0;  /* trailers get a cap of their own */
    p->state = v ? CRIOIMG__H1_CHUNK_DATA : CRIOIMG__H1_TRAILER;
    return CRIOIMG_OK;
}

/* A complete line in the state that gathered it. */
static crioimg_result crioimg__h1_on_line(crioimg__h1 *p)
{
    switch (p->state) {
    case CRIOIMG__H1_STATUS: return crioimg__h1_status(p);
    case CRIOIMG__H1_HEADER: return p->llen == 0 ? crioimg__h1_end_of_head(p) : crioimg__h1_field(p);
    case CRIOIMG__H1_CHUNK_SIZE: return crioimg__h1_chunk_size(p);
    case CRIOIMG__H1_CHUNK_END:
        if (p->llen != 0) return crioimg__h1_fail(p, CRIOIMG_ERR_HTTP_PROTOCOL, "chunk data not followed by CRLF");
        p->state = CRIOIMG__H1_CHUNK_SIZE;
        return CRIOIMG_OK;
    default:  /* trailer fields are skipped: nothing the client needs comes in them */
        if (p->llen == 0) p->state = CRIOIMG__H1_DONE;
        else if (p->line[0] == ' ' || p->line[0] == '\t' || memchr(p->line, ':', p->llen) == NULL)
            return crioimg__h1_fail(p, CRIOIMG_ERR_HTTP_PROTOCOL, "malformed trailer field");
        return CRIOIMG_OK;
    }
}

/* body bytes to the sink, at most the remaining count when there is one */
static crioimg_result crioimg__h1_body(crioimg__h1 *p, const char *d, size_t n, size_t *i)
{
    size_t take = n - *i;
    if (p->state != CRIOIMG__H1_BODY_EOF && take > p->remaining) take = (size_t)p->remaining;
    if (p->state != CRIOIMG__H1_BODY_EOF) p->remaining -= take;
    *i += take;
    if (p->state == CRIOIMG__H1_BODY_LEN && p->remaining == 0) p->state = CRIOIMG__H1_DONE;
    if (p->state == CRIOIMG__H1_CHUNK_DATA && p->remaining == 0) p->state = CRIOIMG__H1_CHUNK_END;
    if (take == 0 || p->sink == NULL || p->sink->body == NULL) return CRIOIMG_OK;
    return p->sink->body(p->sink->ctx, d + *i - take, take);
}

/* Feeds n bytes. *used: how many belong to this response (fewer than n only once it is DONE: the rest
   is what the server sent after it). Any error ends the response: feeding again is a caller's bug. */
CRIOIMG__H1_FN crioimg_result crioimg__h1_feed(crioimg__h1 *p, const void *data, size_t n, size_t *used)
{
    const char *d = (const char *)data;
    size_t i = 0;
    crioimg_result r = CRIOIMG_OK;
    CRIOIMG_ASSERT(p->state != CRIOIMG__H1_FAILED);
    p->received += n;
    while (i < n && r == CRIOIMG_OK && p->state != CRIOIMG__H1_DONE) {
        if (p->state == CRIOIMG__H1_BODY_LEN || p->state == CRIOIMG__H1_BODY_EOF || p->state == CRIOIMG__H1_CHUNK_DATA) {
            r = crioimg__h1_body(p, d, n, &i);
        } else {
            int got = crioimg__h1_line(p, d, n, &i, p->state != CRIOIMG__H1_CHUNK_SIZE && p->state != CRIOIMG__H1_CHUNK_END);
            if (got < 0) { r = CRIOIMG_ERR_HTTP_PROTOCOL; break; }
            if (got == 0) break;
            r = crioimg__h1_on_line(p);
            p->llen = 0;
        }
    }
    if (r != CRIOIMG_OK && p->state != CRIOIMG__H1_FAILED) crioimg__h1_fail(p, r, "the response's receiver stopped the transfer");
    *used = i;
    return r;
}

/* The connection ended: OK when that is how this response ends (or it had already ended);
   ERR_HTTP_CONNECT when it was cut short. */
CRIOIMG__H1_FN crioimg_result crioimg__h1_eof(crioimg__h1 *p)
{
    if (p->state == CRIOIMG__H1_BODY_EOF) p->state = CRIOIMG__H1_DONE;
    if (p->state == CRIOIMG__H1_DONE) return CRIOIMG_OK;
    return crioimg__h1_fail(p, CRIOIMG_ERR_HTTP_CONNECT, p->received == 0 ? "the server closed the connection without a response"
                                                                          : "the server closed the connection before the response ended");
}

CRIOIMG__H1_FN int crioimg__h1_done(const crioimg__h1 *p) { return p->state == CRIOIMG__H1_DONE; }
/* the final response's header block is complete (its body, if any, is what comes now) */
CRIOIMG__H1_FN int crioimg__h1_in_body(const crioimg__h1 *p) { return p->state != CRIOIMG__H1_STATUS && p->state != CRIOIMG__H1_HEADER; }

/* ---- the transport ---- */

#if defined(CRIOIMG_WITH_MBEDTLS)
#  if !defined(__unix__) && !defined(__APPLE__)
#    error "crioimg: CRIOIMG_WITH_MBEDTLS needs POSIX sockets"
#  endif
#  include <unistd.h>
#  if !defined(_POSIX_VERSION) || _POSIX_VERSION < 200112L || (defined(__GLIBC__) && !defined(__USE_XOPEN2K))
#    error "crioimg: CRIOIMG_WITH_MBEDTLS needs POSIX.1-2001 (getaddrinfo): define _POSIX_C_SOURCE 200112L or later before any #include"
#  endif
#  include <fcntl.h>
#  include <netdb.h>
#  include <poll.h>
#  include <time.h>
#  include <sys/types.h>
#  include <sys/socket.h>
#  include <netinet/in.h>
#  include <mbedtls/version.h>
#  include <mbedtls/ssl.h>
#  include <mbedtls/entropy.h>
#  include <mbedtls/ctr_drbg.h>
#  include <mbedtls/x509_crt.h>
#  include <mbedtls/pk.h>
#  include <mbedtls/error.h>
#  if MBEDTLS_VERSION_NUMBER >= 0x03000000 && defined(MBEDTLS_PSA_CRYPTO_C)
#    define CRIOIMG__MT_PSA 1
#    include <psa/crypto.h>
#  endif

#  ifndef CRIOIMG_MBEDTLS_CA_FILE
#    define CRIOIMG_MBEDTLS_CA_FILE "/etc/ssl/certs/ca-certificates.crt"
#  endif
#  ifdef MSG_NOSIGNAL
#    define CRIOIMG__MT_SENDFLAGS MSG_NOSIGNAL
#  else
#    define CRIOIMG__MT_SENDFLAGS 0   /* SO_NOSIGPIPE is set on the socket instead (BSD, macOS) */
#  endif
#  define CRIOIMG__MT_SLICE_MS 100    /* how often a wait looks at the cancel flag */
#  define CRIOIMG__MT_BUF 16384

/* One connection; the TLS state lives here because mbedtls keeps pointers into its config. */
typedef struct crioimg__mt_conn {
    int fd;
    int tls;                          /* ssl and the rest below are initialised */
    int io_errno;                     /* the socket error behind a failed TLS read or write */
    mbedtls_ssl_context ssl;
    mbedtls_ssl_config conf;
    mbedtls_x509_crt ca, cert;
    mbedtls_pk_context key;
    char *key_id;                     /* scheme, host, port and TLS settings: what a reuse must match */
    int checked;                      /* opened with refuse_local_addresses: may carry such a request */
} crioimg__mt_conn;

typedef struct crioimg__mt {
    crioimg_allocator alloc;
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;    /* seeded once, in open */
    crioimg__mt_conn *idle;           /* at most one kept-alive connection */
    char *line;                       /* the parser's line buffer */
    char buf[CRIOIMG__MT_BUF];
} crioimg__mt;

/* When the next check of the time rules could fail: their nearest deadline (0: none), which bounds a
   read's wait. */
static long long crioimg__hlim_next(const crioimg__hlim *l)
{
    long long n = l->header_dl;
    if (l->total_dl && (n == 0 || l->total_dl < n)) n = l->total_dl;
    if (l->win_start && (n == 0 || l->win_start + l->period < n)) n = l->win_start + l->period;
    return n;
}

/* one request's situation, for the helpers below */
typedef struct crioimg__mt_io {
    crioimg__mt_conn *c;
    const volatile int *cancel;
    long idle_ms;
    long long hard;                   /* a time rule's next deadline (crioimg__hlim_next), 0: none */
    int hard_hit;                     /* a read's wait ended at it rather than at the idle timeout */
    char *err;
    size_t errcap;
} crioimg__mt_io;

static crioimg_result crioimg__mt_fail(char *err, size_t errcap, crioimg_result r, const char *a, const char *b, const char *c)
{
    crioimg__out o;
    o.p = err; o.cap = err ? errcap : 0; o.len = 0;
    if (o.cap) err[0] = '\0';
    crioimg__out_str(&o, a);
    if (b) crioimg__out_str(&o, b);
    if (c) crioimg__out_str(&o, c);
    return r;
}

static crioimg_result crioimg__mt_tls_fail(char *err, size_t errcap, const char *what, int code)
{
    char msg[160];
    mbedtls_strerror(code, msg, sizeof msg);
    return crioimg__mt_fail(err, errcap, CRIOIMG_ERR_HTTP_TLS, what, ": ", msg);
}

/* Waits until fd is ready for events or the deadline passes, looking at the cancel flag every
   CRIOIMG__MT_SLICE_MS. what names the wait in the detail. */
static crioimg_result crioimg__mt_wait(int fd, short events, long long deadline, const volatile int *cancel, char *err,
                                       size_t errcap, const char *what)
{
    for (;;) {
        struct pollfd pfd;
        long long left = deadline - crioimg__http_now_ms();
        int n;
        if (cancel && *cancel) return crioimg__mt_fail(err, errcap, CRIOIMG_ERR_CANCELLED, "cancelled while ", what, NULL);
        if (left <= 0) return crioimg__mt_fail(err, errcap, CRIOIMG_ERR_TIMEOUT, "timed out ", what, NULL);
        pfd.fd = fd;
        pfd.events = events;
        pfd.revents = 0;
        n = poll(&pfd, 1, (int)(left < CRIOIMG__MT_SLICE_MS ? left : CRIOIMG__MT_SLICE_MS));
        if (n > 0) return CRIOIMG_OK;  /* ready, or an error the next call reports */
        if (n < 0 && errno != EINTR) return crioimg__mt_fail(err, errcap, CRIOIMG_ERR_HTTP_CONNECT, "poll: ", strerror(errno), NULL);
    }
}

static void crioimg__mt_conn_free(crioimg__mt *t, crioimg__mt_conn *c)
{
    if (c == NULL) return;
    if (c->tls) {
        if (c->fd >= 0) mbedtls_ssl_close_notify(&c->ssl);  /* best effort: the socket is non-blocking */
        mbedtls_ssl_free(&c->ssl);
        mbedtls_ssl_config_free(&c->conf);
        mbedtls_x509_crt_free(&c->ca);
        mbedtls_x509_crt_free(&c->cert);
        mbedtls_pk_free(&c->key);
    }
    if (c->fd >= 0) close(c->fd);
    crioimg_free(&t->alloc, c->key_id);
    crioimg_free(&t->alloc, c);
}

/* ---- sockets ---- */

/* A non-blocking connect to one address, finished within the deadline. */
static crioimg_result crioimg__mt_connect_one(const struct addrinfo *ai, long long deadline, const volatile int *cancel, int *fdp,
                                              char *err, size_t errcap)
{
    int fd, soerr = 0, one = 1;
    socklen_t sl = sizeof soerr;
    crioimg_result r;
    *fdp = -1;
    if ((fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol)) < 0)
        return crioimg__mt_fail(err, errcap, CRIOIMG_ERR_HTTP_CONNECT, "socket: ", strerror(errno), NULL);
    (void)one;
#  if defined(SO_NOSIGPIPE)
    setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
#  endif
    if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0 || fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
        close(fd);
        return crioimg__mt_fail(err, errcap, CRIOIMG_ERR_HTTP_CONNECT, "fcntl: ", strerror(errno), NULL);
    }
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
        if (errno != EINPROGRESS && errno != EINTR) {
            r = crioimg__mt_fail(err, errcap, CRIOIMG_ERR_HTTP_CONNECT, "connect: ", strerror(errno), NULL);
            close(fd);
            return r;
        }
        if ((r = crioimg__mt_wait(fd, POLLOUT, deadline, cancel, err, errcap, "connecting")) != CRIOIMG_OK) { close(fd); return r; }
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0) soerr = errno;
        if (soerr != 0) {
            close(fd);
            return crioimg__mt_fail(err, errcap, CRIOIMG_ERR_HTTP_CONNECT, "connect: ", strerror(soerr), NULL);
        }
    }
    *fdp = fd;
    return CRIOIMG_OK;
}

/* Every address of host, in getaddrinfo's order, until one connects (with refuse_local, the unspecified
   and link-local ones are skipped). The last failure is reported;
   a timeout or cancel stops the walk. getaddrinfo itself blocks, with the resolver's own timeouts:
   neither the connect timeout nor the cancel flag can cut a name lookup short. */
static crioimg_result crioimg__mt_connect(const char *host, unsigned port, long long deadline, const volatile int *cancel,
                                          int refuse_local, int *fdp, char *err, size_t errcap)
{
    struct addrinfo hints, *res = NULL, *ai;
    char portstr[8];
    crioimg__out o;
    int g;
    crioimg_result r = CRIOIMG_ERR_HTTP_CONNECT;
    o.p = portstr; o.cap = sizeof portstr; o.len = 0;
    crioimg__out_uint(&o, port);
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    if ((g = getaddrinfo(host, portstr, &hints, &res)) != 0)
        return crioimg__mt_fail(err, errcap, CRIOIMG_ERR_HTTP_CONNECT, host, ": ", gai_strerror(g));
    for (ai = res; ai != NULL; ai = ai->ai_next) {
        if (refuse_local && crioimg__http_sockaddr_forbidden(ai->ai_addr, ai->ai_addrlen)) {  /* checked where the name resolved */
            r = crioimg__mt_fail(err, errcap, CRIOIMG_ERR_HTTP_CONNECT, host, ": refusing to connect to an unspecified or link-local address", NULL);
            continue;
        }
        r = crioimg__mt_connect_one(ai, deadline, cancel, fdp, err, errcap);
        if (r == CRIOIMG_OK || r == CRIOIMG_ERR_TIMEOUT || r == CRIOIMG_ERR_CANCELLED) break;
    }
    freeaddrinfo(res);
    return r;
}

/* mbedtls's BIO over the non-blocking socket: "would block" becomes WANT_READ/WANT_WRITE, which the
   callers turn into a poll with the timeouts and the cancel flag. */
static int crioimg__mt_bio_send(void *ctx, const unsigned char *buf, size_t len)
{
    crioimg__mt_conn *c = (crioimg__mt_conn *)ctx;
    ssize_t n = send(c->fd, buf, len, CRIOIMG__MT_SENDFLAGS);
    if (n >= 0) return (int)n;
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return MBEDTLS_ERR_SSL_WANT_WRITE;
    c->io_errno = errno;
    return MBEDTLS_ERR_SSL_INTERNAL_ERROR;
}

static int crioimg__mt_bio_recv(void *ctx, unsigned char *buf, size_t len)
{
    crioimg__mt_conn *c = (crioimg__mt_conn *)ctx;
    ssize_t n = recv(c->fd, buf, len, 0);
    if (n >= 0) return (int)n;
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return MBEDTLS_ERR_SSL_WANT_READ;
    c->io_errno = errno;
    return MBEDTLS_ERR_SSL_INTERNAL_ERROR;
}

/* Writes all of data within the idle timeout between progress. */
static crioimg_result crioimg__mt_write(crioimg__mt_io *io, const void *data, size_t len)
{
    const unsigned char *p = (const unsigned char *)data;
    while (len > 0) {
        long n;
        short ev = POLLOUT;
        if (io->c->tls) {
            int k = mbedtls_ssl_write(&io->c->ssl, p, len);
            if (k == MBEDTLS_ERR_SSL_WANT_READ) ev = POLLIN;
            else if (k != MBEDTLS_ERR_SSL_WANT_WRITE && k < 0) {
                if (io->c->io_errno) return crioimg__mt_fail(io->err, io->errcap, CRIOIMG_ERR_HTTP_CONNECT, "send: ", strerror(io->c->io_errno), NULL);
                return crioimg__mt_tls_fail(io->err, io->errcap, "TLS write", k);
            }
            n = k < 0 ? -1 : k;
        } else {
            n = (long)send(io->c->fd, p, len, CRIOIMG__MT_SENDFLAGS);
            if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                return crioimg__mt_fail(io->err, io->errcap, CRIOIMG_ERR_HTTP_CONNECT, "send: ", strerror(errno), NULL);
        }
        if (n > 0) { p += n; len -= (size_t)n; continue; }
        {
            crioimg_result r = crioimg__mt_wait(io->c->fd, ev, crioimg__http_now_ms() + io->idle_ms, io->cancel, io->err, io->errcap, "sending the request");
            if (r != CRIOIMG_OK) return r;
        }
    }
    return CRIOIMG_OK;
}

/* Reads what is there (waiting up to the idle timeout for the first byte): *got bytes, 0 at the end of
   the stream. */
static crioimg_result crioimg__mt_read(crioimg__mt_io *io, void *buf, size_t cap, size_t *got)
{
    *got = 0;
    for (;;) {
        short ev = POLLIN;
        crioimg_result r;
        if (io->c->tls) {
            int k = mbedtls_ssl_read(&io->c->ssl, (unsigned char *)buf, cap);
            if (k >= 0) { *got = (size_t)k; return CRIOIMG_OK; }
            if (k == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) return CRIOIMG_OK;  /* as 0 is: closed without close_notify */
#  if defined(MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET)
            if (k == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET) continue;  /* 3.6, TLS 1.3: a ticket, no data yet; read on */
#  endif
            if (k == MBEDTLS_ERR_SSL_WANT_WRITE) ev = POLLOUT;
            else if (k != MBEDTLS_ERR_SSL_WANT_READ) {
                if (io->c->io_errno) return crioimg__mt_fail(io->err, io->errcap, CRIOIMG_ERR_HTTP_CONNECT, "recv: ", strerror(io->c->io_errno), NULL);
                return crioimg__mt_tls_fail(io->err, io->errcap, "TLS read", k);
            }
        } else {
            ssize_t n = recv(io->c->fd, buf, cap, 0);
            if (n >= 0) { *got = (size_t)n; return CRIOIMG_OK; }
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                return crioimg__mt_fail(io->err, io->errcap, CRIOIMG_ERR_HTTP_CONNECT, "recv: ", strerror(errno), NULL);
        }
        {
            long long dl = crioimg__http_now_ms() + io->idle_ms;
            int hard = io->hard && io->hard < dl;
            r = crioimg__mt_wait(io->c->fd, ev, hard ? io->hard : dl, io->cancel, io->err, io->errcap, "waiting for the response");
            if (r == CRIOIMG_ERR_TIMEOUT && hard) io->hard_hit = 1;   /* the caller judges the rule */
            if (r != CRIOIMG_OK) return r;
        }
    }
}

/* ---- TLS ---- */

/* The trust anchors and client identity of cfg into c, then the handshake within the deadline. host is
   what the certificate must name. mbedtls 2.28 matches host against the certificate's dNSName SANs (or
   its CN when it has no SAN) as a string, and knows no iPAddress SANs: a registry reached at an IP
   literal ("127.0.0.1") verifies only when its certificate names that literal as a DNS name too
   (subjectAltName DNS:127.0.0.1, as the tests' certificates do). */
static crioimg_result crioimg__mt_tls_setup(crioimg__mt *t, crioimg__mt_conn *c, const crioimg_tls_config *cfg, const char *host,
                                            char *err, size_t errcap)
{
    int k;
    size_t i;
    mbedtls_ssl_init(&c->ssl);
    mbedtls_ssl_config_init(&c->conf);
    mbedtls_x509_crt_init(&c->ca);
    mbedtls_x509_crt_init(&c->cert);
    mbedtls_pk_init(&c->key);
    c->tls = 1;
    if ((k = mbedtls_ssl_config_defaults(&c->conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT)) != 0)
        return crioimg__mt_tls_fail(err, errcap, "TLS configuration", k);
#  if MBEDTLS_VERSION_NUMBER < 0x03000000
    mbedtls_ssl_conf_min_version(&c->conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);  /* TLS 1.2 */
#  endif
    mbedtls_ssl_conf_rng(&c->conf, mbedtls_ctr_drbg_random, &t->drbg);
    if (cfg->verify) {
        /* the system bundle may be absent (a firmware image with its own CAs in ca_files): then only those count */
        mbedtls_x509_crt_parse_file(&c->ca, CRIOIMG_MBEDTLS_CA_FILE);
        for (i = 0; i < cfg->nca_files; i++) {  /* > 0: some PEM blocks were not certificates, skipped as Go does */
            /* mbedtls fopen()s the path: a FIFO or a device is refused first (crioimg__config_read's check) */
            if (crioimg__config_read(cfg->ca_files[i], 0, NULL, NULL, NULL, NULL) != CRIOIMG_OK ||
                (k = mbedtls_x509_crt_parse_file(&c->ca, cfg->ca_files[i])) == MBEDTLS_ERR_PK_FILE_IO_ERROR)   /* the curl transport's words */
                return crioimg__mt_fail(err, errcap, CRIOIMG_ERR_IO, "cannot read the CA file ", cfg->ca_files[i], NULL);
            if (k < 0) return crioimg__mt_fail(err, errcap, CRIOIMG_ERR_HTTP_TLS, "cannot load the CA file ", cfg->ca_files[i], NULL);
        }
        mbedtls_ssl_conf_ca_chain(&c->conf, &c->ca, NULL);
        mbedtls_ssl_conf_authmode(&c->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
    } else {
        mbedtls_ssl_conf_authmode(&c->conf, MBEDTLS_SSL_VERIFY_NONE);
    }
    if ((cfg->cert_file == NULL) != (cfg->key_file == NULL))
        return crioimg__mt_fail(err, errcap, CRIOIMG_ERR_HTTP_TLS, "a client certificate needs its key and a key its certificate", NULL, NULL);
    if (cfg->cert_file) {
        if (crioimg__config_read(cfg->cert_file, 0, NULL, NULL, NULL, NULL) != CRIOIMG_OK ||
            crioimg__config_read(cfg->key_file, 0, NULL, NULL, NULL, NULL) != CRIOIMG_OK ||
            (k = mbedtls_x509_crt_parse_file(&c->cert, cfg->cert_file)) != 0)
            return crioimg__mt_fail(err, errcap, CRIOIMG_ERR_HTTP_TLS, "cannot load the client certificate ", cfg->cert_file, NULL);
#  if MBEDTLS_VERSION_NUMBER >= 0x03000000
        k = mbedtls_pk_parse_keyfile(&c->key, cfg->key_file, NULL, mbedtls_ctr_drbg_random, &t->drbg);
#  else
        k = mbedtls_pk_parse_keyfile(&c->key, cfg->key_file, NULL);
#  endif
        if (k != 0) return crioimg__mt_fail(err, errcap, CRIOIMG_ERR_HTTP_TLS, "cannot load the client key ", cfg->key_file, NULL);
#  if MBEDTLS_VERSION_NUMBER >= 0x03000000
        k = mbedtls_pk_check_pair(&c->cert.pk, &c->key, mbedtls_ctr_drbg_random, &t->drbg);
#  else
        k = mbedtls_pk_check_pair(&c->cert.pk, &c->key);
#  endif
        if (k != 0) return crioimg__mt_fail(err, errcap, CRIOIMG_ERR_HTTP_TLS, "the client key ", cfg->key_file, " does not match its certificate");
        if ((k = mbedtls_ssl_conf_own_cert(&c->conf, &c->cert, &c->key)) != 0) return crioimg__mt_tls_fail(err, errcap, "client certificate", k);
    }
    if ((k = mbedtls_ssl_setup(&c->ssl, &c->conf)) != 0) return crioimg__mt_tls_fail(err, errcap, "TLS setup", k);
    if ((k = mbedtls_ssl_set_hostname(&c->ssl, host)) != 0) return crioimg__mt_tls_fail(err, errcap, "TLS host name", k);
    mbedtls_ssl_set_bio(&c->ssl, c, crioimg__mt_bio_send, crioimg__mt_bio_recv, NULL);
    return CRIOIMG_OK;
}

static crioimg_result crioimg__mt_handshake(crioimg__mt_conn *c, long long deadline, const volatile int *cancel, char *err, size_t errcap)
{
    for (;;) {
        int k = mbedtls_ssl_handshake(&c->ssl);
        crioimg_result r;
        if (k == 0) return CRIOIMG_OK;
        if (k != MBEDTLS_ERR_SSL_WANT_READ && k != MBEDTLS_ERR_SSL_WANT_WRITE) {
            uint32_t flags = mbedtls_ssl_get_verify_result(&c->ssl);
            if (c->io_errno) return crioimg__mt_fail(err, errcap, CRIOIMG_ERR_HTTP_CONNECT, "TLS handshake: ", strerror(c->io_errno), NULL);
            if (k == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED && flags != 0 && flags != (uint32_t)-1) {
                char info[256];
                size_t n;
                if (mbedtls_x509_crt_verify_info(info, sizeof info, "", flags) < 0) info[0] = '\0';
                for (n = strlen(info); n > 0 && info[n - 1] == '\n'; n--) info[n - 1] = '\0';
                for (n = 0; info[n]; n++) if (info[n] == '\n') info[n] = ';';  /* one line */
                return crioimg__mt_fail(err, errcap, CRIOIMG_ERR_HTTP_TLS, "certificate verification failed: ", info, NULL);
            }
            return crioimg__mt_tls_fail(err, errcap, "TLS handshake", k);
        }
        r = crioimg__mt_wait(c->fd, k == MBEDTLS_ERR_SSL_WANT_READ ? POLLIN : POLLOUT, deadline, cancel, err, errcap, "in the TLS handshake");
        if (r != CRIOIMG_OK) return r;
    }
}

/* ---- one request ---- */

/* What a kept-alive connection must match to carry a request: scheme, host, port, and every TLS
   setting (a connection verified one way must not serve a request that asked for another). */
static char *crioimg__mt_key_id(crioimg__mt *t, const crioimg_url *u, const crioimg_tls_config *tls)
{
    crioimg__out o;
    char *s = NULL;
    int pass;
    size_t i;
    for (pass = 0; pass < 2; pass++) {
        o.p = s; o.cap = pass ? o.len + 1 : 0; o.len = 0;
        crioimg__out_str(&o, u->https ? "https\n" : "http\n");
        crioimg__out_put(&o, u->host.ptr, u->host.len);
        crioimg__out_str(&o, "\n");
        crioimg__out_uint(&o, u->port);
        if (u->https) {
            crioimg__out_str(&o, tls->verify ? "\nverify" : "\nno-verify");
            for (i = 0; tls->verify && i < tls->nca_files; i++) { crioimg__out_str(&o, "\nca "); crioimg__out_str(&o, tls->ca_files[i]); }
            if (tls->cert_file) { crioimg__out_str(&o, "\ncert "); crioimg__out_str(&o, tls->cert_file); }
            if (tls->key_file) { crioimg__out_str(&o, "\nkey "); crioimg__out_str(&o, tls->key_file); }
        }
        if (pass == 0 && (s = (char *)crioimg_malloc(&t->alloc, o.len + 1)) == NULL) return NULL;
    }
    return s;
}

/* The request head: request line, Host, the caller's fields, Content-Length when there is a body
   (or the method is POST), the empty line. Measured, then written. */
static char *crioimg__mt_head(crioimg__mt *t, const crioimg_http_request *rq, const char *method, const crioimg_url *u, size_t *len)
{
    crioimg__out o;
    char *s = NULL;
    int pass;
    size_t i;
    for (pass = 0; pass < 2; pass++) {
        o.p = s; o.cap = pass ? o.len + 1 : 0; o.len = 0;
        crioimg__out_str(&o, method);
        crioimg__out_str(&o, " ");
        if (u->path.len == 0 || u->path.ptr[0] != '/') crioimg__out_str(&o, "/");
        crioimg__out_put(&o, u->path.ptr, u->path.len);
        crioimg__out_str(&o, " HTTP/1.1\r\nHost: ");
        crioimg__out_put(&o, u->host.ptr, u->host.len);  /* an IPv6 literal keeps its brackets */
        if (u->port != (u->https ? 443u : 80u)) { crioimg__out_str(&o, ":"); crioimg__out_uint(&o, u->port); }
        crioimg__out_str(&o, "\r\n");
        for (i = 0; i < rq->nheaders; i++) {
            crioimg__out_str(&o, rq->headers[i].name);
            crioimg__out_str(&o, ": ");
            crioimg__out_str(&o, rq->headers[i].value);
            crioimg__out_str(&o, "\r\n");
        }
        if (rq->body_len || strcmp(method, "POST") == 0) {
            crioimg__out_str(&o, "Content-Length: ");
            crioimg__out_uint(&o, rq->body_len);
            crioimg__out_str(&o, "\r\n");
        }
        crioimg__out_str(&o, "\r\n");
        if (pass == 0 && (s = (char *)crioimg_malloc(&t->alloc, o.len + 1)) == NULL) return NULL;
    }
    *len = o.len;
    return s;
}

/* The method and header names must be tokens and values free of CR and LF: a line must not become two. */
static int crioimg__mt_headers_ok(const crioimg_http_request *rq)
{
    size_t i, k;
    for (k = 0; rq->method && rq->method[k]; k++) if (!crioimg__h1_tchar((unsigned char)rq->method[k])) return 0;
    if (rq->method && k == 0) return 0;
    for (i = 0; i < rq->nheaders; i++) {
        const char *n = rq->headers[i].name, *v = rq->headers[i].value;
        if (n == NULL || v == NULL || n[0] == '\0') return 0;
        for (k = 0; n[k]; k++) if (!crioimg__h1_tchar((unsigned char)n[k])) return 0;
        for (k = 0; v[k]; k++) if (v[k] == '\r' || v[k] == '\n') return 0;
    }
    return 1;
}

/* A fresh connection for u: TCP within the connect timeout, then TLS for https within the same. */
static crioimg_result crioimg__mt_open_conn(crioimg__mt *t, const crioimg_http_request *rq, const crioimg_url *u, const char *host,
                                            char *key_id, crioimg__mt_conn **out, char *err, size_t errcap)
{
    long ct = rq->connect_timeout_ms > 0 ? rq->connect_timeout_ms : CRIOIMG_HTTP_CONNECT_TIMEOUT_MS;
    long long deadline = crioimg__http_now_ms() + ct;
    crioimg__mt_conn *c = (crioimg__mt_conn *)crioimg_malloc(&t->alloc, sizeof *c);
    crioimg_result r;
    *out = NULL;
    if (c == NULL) { crioimg_free(&t->alloc, key_id); return crioimg__mt_fail(err, errcap, CRIOIMG_ERR_NOMEM, "out of memory", NULL, NULL); }
    memset(c, 0, sizeof *c);
    c->key_id = key_id;
    c->checked = rq->refuse_local_addresses;
    r = crioimg__mt_connect(host, u->port, deadline, rq->cancel, rq->refuse_local_addresses, &c->fd, err, errcap);
    if (r == CRIOIMG_OK && u->https) r = crioimg__mt_tls_setup(t, c, &rq->tls, host, err, errcap);
    if (r == CRIOIMG_OK && u->https) r = crioimg__mt_handshake(c, deadline, rq->cancel, err, errcap);
    if (r != CRIOIMG_OK) { crioimg__mt_conn_free(t, c); return r; }
    *out = c;
    return CRIOIMG_OK;
}

/* A kept-alive connection the server has closed (or sent stray bytes on) is readable while idle. */
static int crioimg__mt_still_open(const crioimg__mt_conn *c)
{
    struct pollfd pfd;
    pfd.fd = c->fd;
    pfd.events = POLLIN;
    pfd.revents = 0;
    return poll(&pfd, 1, 0) == 0;
}

/* Sends the request on c and parses the response into the sink. *reusable: c may carry the next one;
   *nothing: the server closed c without sending a byte (a kept-alive connection it had dropped). */
static crioimg_result crioimg__mt_exchange(crioimg__mt *t, crioimg__mt_conn *c, const crioimg_http_request *rq, const char *head,
                                           size_t hlen, int is_head, int *reusable, int *nothing, char *err, size_t errcap)
{
    crioimg__mt_io io;
    crioimg__h1 p;
    crioimg__hlim lim;
    crioimg_result r;
    io.c = c;
    io.cancel = rq->cancel;
    io.idle_ms = rq->idle_timeout_ms > 0 ? rq->idle_timeout_ms : CRIOIMG_HTTP_IDLE_TIMEOUT_MS;
    io.hard = 0;
    io.hard_hit = 0;
    io.err = err;
    io.errcap = errcap;
    *reusable = *nothing = 0;
    crioimg__hlim_init(&lim, rq, crioimg__http_now_ms());
    crioimg__h1_init(&p, t->line, is_head, &rq->sink, err, errcap);
    r = crioimg__mt_write(&io, head, hlen);
    if (r == CRIOIMG_OK && rq->body_len) r = crioimg__mt_write(&io, rq->body, rq->body_len);
    if (r == CRIOIMG_ERR_HTTP_CONNECT) *nothing = 1;  /* a dropped idle connection usually fails here */
    while (r == CRIOIMG_OK && !crioimg__h1_done(&p)) {
        size_t got, used;
        const char *why = NULL;
        long long now = crioimg__http_now_ms();
        /* a drip keeps the idle timeout from ever firing: the header, total and progress rules are
           judged between reads, and the reads wait no longer than their next deadline */
        if (crioimg__h1_in_body(&p)) crioimg__hlim_body(&lim, now, p.received);
        if (crioimg__hlim_check(&lim, now, p.received, &why) != CRIOIMG_OK) { r = crioimg__mt_fail(err, errcap, CRIOIMG_ERR_TIMEOUT, why, NULL, NULL); break; }
        io.hard = crioimg__hlim_next(&lim);
        io.hard_hit = 0;
        if ((r = crioimg__mt_read(&io, t->buf, sizeof t->buf, &got)) != CRIOIMG_OK) {
            if (r == CRIOIMG_ERR_TIMEOUT && io.hard_hit) r = CRIOIMG_OK;   /* judged at the top */
            continue;
        }
        if (got == 0) {
            *nothing = p.received == 0;
            r = crioimg__h1_eof(&p);
            break;
        }
        if ((r = crioimg__h1_feed(&p, t->buf, got, &used)) != CRIOIMG_OK) break;
        if (used < got) p.close = 1;  /* bytes after the response: the stream is out of step, do not reuse */
    }
    if (r == CRIOIMG_ERR_HTTP_CONNECT && p.received == 0) *nothing = 1;
    if (r == CRIOIMG_OK) *reusable = !p.close && !(c->tls && mbedtls_ssl_get_bytes_avail(&c->ssl) > 0);
    return r;
}

static crioimg_result crioimg__mt_request(void *user, const crioimg_http_request *rq, char *err, size_t errcap)
{
    crioimg__mt *t = (crioimg__mt *)user;
    crioimg_url u;
    char host[256], *head, *key_id;
    const char *method;
    size_t hlen;
    int attempt, is_head;
    crioimg_result r = CRIOIMG_OK;
    if (err && errcap) err[0] = '\0';
    if (rq == NULL || rq->url == NULL || (rq->body == NULL && rq->body_len) || (rq->headers == NULL && rq->nheaders) || !crioimg__mt_headers_ok(rq))
        return crioimg__mt_fail(err, errcap, CRIOIMG_ERR_INVALID_ARGS, "invalid request", NULL, NULL);
    if (crioimg_url_parse(&u, rq->url, strlen(rq->url)) != CRIOIMG_OK)
        return crioimg__mt_fail(err, errcap, CRIOIMG_ERR_INVALID_ARGS, "invalid URL ", rq->url, NULL);
    method = rq->method ? rq->method : "GET";
    is_head = strcmp(method, "HEAD") == 0;
    {   /* the host as getaddrinfo and the certificate check want it: an IPv6 literal without brackets */
        const char *h = u.host.ptr;
        size_t n = u.host.len;
        if (n >= 2 && h[0] == '[') { h++; n -= 2; }
        if (n >= sizeof host) return crioimg__mt_fail(err, errcap, CRIOIMG_ERR_INVALID_ARGS, "host name too long", NULL, NULL);
        memcpy(host, h, n);
        host[n] = '\0';
    }
    if ((head = crioimg__mt_head(t, rq, method, &u, &hlen)) == NULL) return crioimg__mt_fail(err, errcap, CRIOIMG_ERR_NOMEM, "out of memory", NULL, NULL);
    /* Once on the kept-alive connection when it matches; again on a new one when the server had
       dropped it without a word (the usual race of keep-alive), as curl does. */
    for (attempt = 0; attempt < 2; attempt++) {
        crioimg__mt_conn *c = NULL;
        int reusable, nothing, reused = 0;
        if ((key_id = crioimg__mt_key_id(t, &u, &rq->tls)) == NULL) { r = crioimg__mt_fail(err, errcap, CRIOIMG_ERR_NOMEM, "out of memory", NULL, NULL); break; }
        if (t->idle && strcmp(t->idle->key_id, key_id) == 0 && (t->idle->checked || !rq->refuse_local_addresses) &&
            crioimg__mt_still_open(t->idle)) {
            c = t->idle;
            reused = 1;
            crioimg_free(&t->alloc, key_id);
        } else {
            /* cleared before anything can fail: a failed open below must not leave t->idle pointing at
               freed memory for the next request (and close) to use and free again */
            crioimg__mt_conn *old = t->idle;
            t->idle = NULL;
            crioimg__mt_conn_free(t, old);
            if ((r = crioimg__mt_open_conn(t, rq, &u, host, key_id, &c, err, errcap)) != CRIOIMG_OK) break;
        }
        t->idle = NULL;
        r = crioimg__mt_exchange(t, c, rq, head, hlen, is_head, &reusable, &nothing, err, errcap);
        if (reusable) t->idle = c;
        else crioimg__mt_conn_free(t, c);
        if (!(r == CRIOIMG_ERR_HTTP_CONNECT && reused && nothing)) break;
    }
    crioimg_free(&t->alloc, head);
    return r;
}

static void crioimg__mt_close(void *user)
{
    crioimg__mt *t = (crioimg__mt *)user;
    crioimg_allocator a;
    if (t == NULL) return;
    a = t->alloc;
    crioimg__mt_conn_free(t, t->idle);
    mbedtls_ctr_drbg_free(&t->drbg);
    mbedtls_entropy_free(&t->entropy);
    crioimg_free(&a, t->line);
    crioimg_free(&a, t);
}

crioimg_result crioimg_http_open_mbedtls(crioimg_http **out, const crioimg_allocator *alloc)
{
    static const unsigned char pers[] = "crioimg http";
    crioimg__mt *t;
    if (out == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    *out = NULL;
    if (crioimg_allocator_check(alloc) != CRIOIMG_OK) return CRIOIMG_ERR_INVALID_ARGS;
    if ((t = (crioimg__mt *)crioimg_malloc(alloc, sizeof *t)) == NULL) return CRIOIMG_ERR_NOMEM;
    memset(t, 0, sizeof *t);
    if (alloc) t->alloc = *alloc;
#  ifdef CRIOIMG__MT_PSA
    /* TLS 1.3 in mbedtls 3.x (the default from 3.6) does its crypto through PSA, which the application
       must initialise first; it may be called again, and is a no-op then */
    if (psa_crypto_init() != PSA_SUCCESS) { crioimg_free(alloc, t); return CRIOIMG_ERR_HTTP_TLS; }
#  endif
    mbedtls_entropy_init(&t->entropy);
    mbedtls_ctr_drbg_init(&t->drbg);
    if ((t->line = (char *)crioimg_malloc(alloc, CRIOIMG__H1_LINE_MAX)) == NULL) { crioimg__mt_close(t); return CRIOIMG_ERR_NOMEM; }
    if (mbedtls_ctr_drbg_seed(&t->drbg, mbedtls_entropy_func, &t->entropy, pers, sizeof pers - 1) != 0) {
        crioimg__mt_close(t);
        return CRIOIMG_ERR_HTTP_TLS;
    }
    return crioimg__http_open_builtin(out, t, crioimg__mt_request, crioimg__mt_close, alloc);
}

#else

crioimg_result crioimg_http_open_mbedtls(crioimg_http **out, const crioimg_allocator *alloc)
{
    (void)alloc;
    if (out) *out = NULL;
    return CRIOIMG_ERR_HTTP_NO_TRANSPORT;
}

#endif /* CRIOIMG_WITH_MBEDTLS */

/* ==== src/registry.c ==== */
/* ---------------------------------------------------------------------------------------------------
   registry implementation

   Three layers, each small: an exchange is one request with its redirects (crioimg__rg_exchange); a send
   adds authorization, the one token refresh a 401 may earn, and the retries (crioimg__rg_send); the
   public calls build the URL from validated parts and judge the final answer. Every response goes
   through one sink (crioimg__rg_rsp) that keeps the few headers the client reads, caps every body it
   keeps, and hands blob bytes to the verifier (crioimg__rg_blob) that never delivers a byte twice.
   --------------------------------------------------------------------------------------------------- */

#include <time.h>
#if defined(CRIOIMG__POSIX2008)
#  define CRIOIMG__HAVE_NANOSLEEP 1
#endif

#define CRIOIMG__RG_URL_MAX 4096          /* URLs this client builds or follows */
#define CRIOIMG__RG_CHALLENGES_MAX 8
#define CRIOIMG__RG_WWW_MAX 8             /* WWW-Authenticate lines kept from one response */
#define CRIOIMG__RG_TOKEN_LIFETIME_MIN 60 /* Go's minimumTokenLifetimeSeconds */

typedef struct crioimg__rg_challenge { int bearer; char *realm, *service; } crioimg__rg_challenge;
typedef struct crioimg__rg_token { char *scope, *token; long long expires; } crioimg__rg_token;

struct crioimg_registry {
    crioimg_allocator alloc;
    crioimg_http *http;
    int own_http;
    char domain[CRIOIMG_REF_NAME_MAX + 1];   /* as the reference gives it: credentials, messages */
    char host[CRIOIMG_REF_NAME_MAX + 1];     /* where it is served: docker.io is registry-1.docker.io */
    int secure;                              /* verified https only */
    int pinged, https;                       /* the scheme the ping found */
    crioimg_tls_files tls;
    char *username, *password;               /* opts (--creds) */
    char *authfile;
    int no_auth_files;
    char *cred_key;                          /* the key creds were looked up for */
    crioimg_credentials creds;
    crioimg__rg_challenge ch[CRIOIMG__RG_CHALLENGES_MAX];
    size_t nch;
    crioimg__rg_token *tok;
    size_t ntok, tokcap;
    char *user_agent;
    long connect_timeout_ms, idle_timeout_ms, retry_delay_ms, retry_after_max_ms;
    long header_timeout_ms, total_timeout_ms, blob_min_period_ms;
    size_t blob_min_bytes;
    int retries;
    const volatile int *cancel;
    void (*sleep_ms)(void *user, long ms);
    long long (*now)(void *user);
    void *clock_user;
    char err[1024];
};

/* ---- small helpers ---- */

static crioimg_result crioimg__rg_fail(crioimg_registry *r, crioimg_result res, const char *a, const char *b, const char *c, const char *d)
{
    crioimg__out o;
    o.p = r->err; o.cap = sizeof r->err; o.len = 0;
    r->err[0] = '\0';
    crioimg__out_str(&o, a);
    if (b) crioimg__out_str(&o, b);
    if (c) crioimg__out_str(&o, c);
    if (d) crioimg__out_str(&o, d);
    return res;
}

#define CRIOIMG__RG_RESUME_PROGRESS ((long long)1 << 20)   /* bytes a broken blob try must add to reset the retries */

static long long crioimg__rg_now(const crioimg_registry *r)
{
    return r->now ? r->now(r->clock_user) : (long long)time(NULL);
}

static int crioimg__rg_cancelled(const crioimg_registry *r) { return r->cancel && *r->cancel; }

/* Waits ms, in slices of at most 100 ms so that a cancel is seen soon (a host's sleep_ms gets it whole) */
static void crioimg__rg_sleep(const crioimg_registry *r, long ms)
{
    if (r->sleep_ms) { r->sleep_ms(r->clock_user, ms); return; }
    while (ms > 0 && !crioimg__rg_cancelled(r)) {
        long slice = ms < 100 ? ms : 100;
#ifdef CRIOIMG__HAVE_NANOSLEEP
        struct timespec ts;
        ts.tv_sec = 0;
        ts.tv_nsec = slice * 1000000L;
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
#else
        {   /* no POSIX clock: the next second on time() */
            time_t end = time(NULL) + 1;
            while (time(NULL) < end) {}
            slice = 1000;
        }
#endif
        ms -= slice;
    }
}

/* Go's url.QueryEscape: unreserved bytes as they are, space as '+', the rest %XX */
static void crioimg__rg_qs(crioimg__out *o, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~') {
            crioimg__out_put(o, s, 1);
        } else if (c == ' ') {
            crioimg__out_put(o, "+", 1);
        } else {
            char e[3];
            e[0] = '%'; e[1] = hex[c >> 4]; e[2] = hex[c & 15];
            crioimg__out_put(o, e, 3);
        }
    }
}

/* base64 (RFC 4648, padded) of a + ":" + b: the Basic credentials */
static void crioimg__rg_basic(crioimg__out *o, const char *a, const char *b)
{
    static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t an = strlen(a), bn = strlen(b), n = an + 1 + bn, i;
    unsigned char g[3];
    crioimg__out_str(o, "Basic ");
    for (i = 0; i < n; i += 3) {
        size_t k, m = n - i < 3 ? n - i : 3;
        char e[4];
        for (k = 0; k < 3; k++) {
            size_t j = i + k;
            g[k] = (unsigned char)(j >= n ? 0 : j < an ? a[j] : j == an ? ':' : b[j - an - 1]);
        }
        e[0] = al[g[0] >> 2];
        e[1] = al[(g[0] & 3) << 4 | g[1] >> 4];
        e[2] = m > 1 ? al[(g[1] & 15) << 2 | g[2] >> 6] : '=';
        e[3] = m > 2 ? al[g[2] & 63] : '=';
        crioimg__out_put(o, e, 4);
    }
}

static char *crioimg__rg_dup(const crioimg_allocator *a, const char *s)
{
    return s ? crioimg__reg_strndup(a, s, strlen(s)) : NULL;
}

/* the reason phrase of the statuses a registry sends, for messages in Go's words */
static const char *crioimg__rg_status_text(int status)
{
    switch (status) {
    case 200: return "OK";
    case 206: return "Partial Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 416: return "Requested Range Not Satisfiable";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "";
    }
}

/* "invalid status code from registry 404 (Not Found)" */
static void crioimg__rg_status_msg(crioimg__out *o, int status)
{
    crioimg__out_str(o, "invalid status code from registry ");
    crioimg__out_uint(o, (unsigned long long)(status < 0 ? 0 : status));
    crioimg__out_str(o, " (");
    crioimg__out_str(o, crioimg__rg_status_text(status));
    crioimg__out_str(o, ")");
}

/* ---- validating what goes into a URL ---- */

/* repo must be a path of the reference grammar under domain (no "..", '?', '%', ':' or '@' can pass) */
static int crioimg__rg_repo_ok(const crioimg_registry *r, const char *repo)
{
    char buf[CRIOIMG_REF_NAME_MAX + 2];
    crioimg_ref ref;
    size_t dl = strlen(r->domain), rl;
    if (repo == NULL || (rl = strlen(repo)) == 0 || dl + 1 + rl > CRIOIMG_REF_NAME_MAX) return 0;
    memcpy(buf, r->domain, dl);
    buf[dl] = '/';
    memcpy(buf + dl + 1, repo, rl);
    return crioimg_ref_parse(&ref, buf, dl + 1 + rl) == CRIOIMG_OK && ref.domain_len == dl &&
           ref.name_len == dl + 1 + rl && ref.tag_len == 0 && ref.digest_len == 0;
}

/* tag := [\w][\w.-]{0,127} */
static int crioimg__rg_tag_ok(const char *t)
{
    size_t i, n = strlen(t);
    if (n == 0 || n > CRIOIMG_REF_TAG_MAX || t[0] == '.' || t[0] == '-') return 0;
    for (i = 0; i < n; i++) {
        char c = t[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-')) return 0;
    }
    return 1;
}

/* ---- the response sink ---- */

/* the blob being fetched: what was delivered, and the check of bytes a restart sends again */
typedef struct crioimg__rg_blob {
    crioimg_registry_blob_fn fn;
    void *ctx;
    long long size;
    crioimg_digest want;
    crioimg_hasher h;          /* over the delivered bytes */
    long long delivered;       /* bytes fn has had */
    long long asked;           /* the Range offset of the current request (0: none) */
    int norange;               /* a 206 was wrong: ask for the whole blob from now on */
    int started;               /* the current response's first byte was placed */
    long long pos;             /* the offset of the next byte of the current response */
    crioimg_hasher check;      /* a restart: hash of bytes [0, delivered) sent again ... */
    unsigned char mark[CRIOIMG_DIGEST_BYTES_MAX];   /* ... must equal this, the hash of those delivered */
    size_t marklen;
    int bad_range;             /* the current 206 does not answer the Range asked */
    int fatal;                 /* the content itself failed (size, digest, consumer): no retry helps */
} crioimg__rg_blob;

typedef struct crioimg__rg_rsp {
    crioimg_registry *r;
    int status;
    char location[CRIOIMG__RG_URL_MAX];
    int has_location, location_bad;
    char ctype[256];
    int ctype_bad;
    char dcd[CRIOIMG_DIGEST_STRING_MAX + 1];
    int has_dcd, dcd_bad;
    char retry_after[64];
    int has_retry_after;
    char crange[128];
    int has_crange;
    long long clen;            /* Content-Length, -1 when absent or unreadable */
    char *www[CRIOIMG__RG_WWW_MAX];
    size_t nwww;
    char *buf;                 /* a kept body: NUL-terminated */
    size_t len, cap, max;      /* max: the cap of a success body */
    int truncated;             /* an error body longer than CRIOIMG_REGISTRY_SMALL_BODY_MAX: cut */
    int too_big;               /* a success body longer than max */
    size_t skipped;            /* bytes of a 3xx body, which is not kept */
    int redirect_cut;          /* ... and it ran past CRIOIMG_REGISTRY_SMALL_BODY_MAX: not read further */
    int foreign;               /* the final response came through a hop to another origin: not the registry's word */
    long long small_deadline;  /* a blob request answered with something else: that body's deadline (0: none) */
    int small_late;            /* ... and it was missed */
    crioimg__rg_blob *blob;    /* success bodies go here instead */
} crioimg__rg_rsp;

static void crioimg__rg_rsp_reset(crioimg__rg_rsp *s)
{
    size_t i;
    for (i = 0; i < s->nwww; i++) crioimg_free(&s->r->alloc, s->www[i]);
    s->nwww = 0;
    s->status = 0;
    s->has_location = s->location_bad = s->ctype_bad = s->has_dcd = s->dcd_bad = s->has_retry_after = s->has_crange = 0;
    s->location[0] = s->ctype[0] = s->dcd[0] = s->retry_after[0] = s->crange[0] = '\0';
    s->clen = -1;
    s->len = s->skipped = 0;
    if (s->buf) s->buf[0] = '\0';
    s->truncated = s->too_big = s->redirect_cut = s->foreign = s->small_late = 0;
    s->small_deadline = 0;
    if (s->blob) { s->blob->started = 0; s->blob->bad_range = 0; }
}

static void crioimg__rg_rsp_free(crioimg__rg_rsp *s)
{
    crioimg__rg_rsp_reset(s);
    crioimg_free(&s->r->alloc, s->buf);
    s->buf = NULL;
    s->cap = 0;
}

static crioimg_result crioimg__rg_on_status(void *ctx, int code)
{
    crioimg__rg_rsp *s = (crioimg__rg_rsp *)ctx;
    s->status = code;
    /* a blob request goes with the minimum-progress rule only; what answers it instead (an error, a
       redirect) is a small body and gets the small bodies' overall deadline, kept here */
    if (s->blob && code != 200 && code != 206) s->small_deadline = crioimg__http_now_ms() + s->r->total_timeout_ms;
    return CRIOIMG_OK;
}

/* copies a header value into a fixed field; *bad when it does not fit */
static void crioimg__rg_keep(char *dst, size_t cap, int *has, int *bad, const char *v, size_t n)
{
    *has = 1;
    if (n >= cap) { if (bad) *bad = 1; dst[0] = '\0'; return; }
    memcpy(dst, v, n);
    dst[n] = '\0';
}

static crioimg_result crioimg__rg_on_header(void *ctx, const char *name, size_t nl, const char *v, size_t vl)
{
    crioimg__rg_rsp *s = (crioimg__rg_rsp *)ctx;
    int dummy = 0;
    if (crioimg__ascii_ieq(name, nl, "location")) {
        crioimg__rg_keep(s->location, sizeof s->location, &s->has_location, &s->location_bad, v, vl);
    } else if (crioimg__ascii_ieq(name, nl, "content-type")) {
        crioimg__rg_keep(s->ctype, sizeof s->ctype, &dummy, &s->ctype_bad, v, vl);
    } else if (crioimg__ascii_ieq(name, nl, "docker-content-digest")) {
        crioimg__rg_keep(s->dcd, sizeof s->dcd, &s->has_dcd, &s->dcd_bad, v, vl);
    } else if (crioimg__ascii_ieq(name, nl, "retry-after")) {
        crioimg__rg_keep(s->retry_after, sizeof s->retry_after, &s->has_retry_after, &dummy, v, vl);
    } else if (crioimg__ascii_ieq(name, nl, "content-range")) {
        crioimg__rg_keep(s->crange, sizeof s->crange, &s->has_crange, &dummy, v, vl);
    } else if (crioimg__ascii_ieq(name, nl, "content-length")) {
        long long x = 0;
        size_t i;
        for (i = 0; i < vl && i < 18 && v[i] >= '0' && v[i] <= '9'; i++) x = x * 10 + (v[i] - '0');
        s->clen = (vl > 0 && i == vl) ? x : -1;
    } else if (crioimg__ascii_ieq(name, nl, "www-authenticate") && s->nwww < CRIOIMG__RG_WWW_MAX) {
        char *c = crioimg__reg_strndup(&s->r->alloc, v, vl);
        if (c == NULL) return CRIOIMG_ERR_NOMEM;
        s->www[s->nwww++] = c;
    }
    return CRIOIMG_OK;
}

static crioimg_result crioimg__rg_append(crioimg__rg_rsp *s, const void *data, size_t n)
{
    if (s->cap - s->len < n + 1) {
        size_t nc = s->cap ? s->cap : 4096;
        char *nb;
        while (nc - s->len < n + 1) nc *= 2;
        if ((nb = (char *)crioimg_realloc(&s->r->alloc, s->buf, nc)) == NULL) return CRIOIMG_ERR_NOMEM;
        s->buf = nb;
        s->cap = nc;
    }
    memcpy(s->buf + s->len, data, n);
    s->len += n;
    s->buf[s->len] = '\0';
    return CRIOIMG_OK;
}

/* The first byte of a blob response (or its end, when it has none): where it starts. A 206 must answer
   the Range asked; a 200 starts at 0, and when bytes were delivered already, those come again and must
   hash as they did. */
static crioimg_result crioimg__rg_blob_begin(crioimg__rg_blob *b, const crioimg__rg_rsp *s)
{
    b->started = 1;
    if (s->status == 206) {
        if (!s->has_crange || !crioimg_http_resume_ok(s->crange, strlen(s->crange), b->asked, b->size)) {
            b->bad_range = 1;
            return CRIOIMG_ERR_HTTP_PROTOCOL;
        }
        b->pos = b->asked;
    } else {
        b->pos = 0;
    }
    if (b->pos < b->delivered) {  /* b->pos is 0 here: asked is 0 or delivered */
        b->check = b->h;
        b->marklen = crioimg_hasher_final(&b->check, b->mark);
        crioimg_hasher_reset(&b->check);
    }
    return CRIOIMG_OK;
}

static crioimg_result crioimg__rg_blob_put(crioimg__rg_blob *b, const crioimg__rg_rsp *s, const unsigned char *p, size_t n)
{
    crioimg_result res;
    if (!b->started && (res = crioimg__rg_blob_begin(b, s)) != CRIOIMG_OK) return res;
    if ((unsigned long long)n > (unsigned long long)(b->size - b->pos)) { b->fatal = 1; return CRIOIMG_ERR_SIZE_MISMATCH; }
    if (b->pos < b->delivered) {
        size_t k = (unsigned long long)(b->delivered - b->pos) < n ? (size_t)(b->delivered - b->pos) : n;
        crioimg_hasher_update(&b->check, p, k);
        b->pos += (long long)k;
        p += k;
        n -= k;
        if (b->pos == b->delivered) {
            unsigned char got[CRIOIMG_DIGEST_BYTES_MAX];
            size_t gl = crioimg_hasher_final(&b->check, got);
            if (gl != b->marklen || memcmp(got, b->mark, gl) != 0) { b->fatal = 1; return CRIOIMG_ERR_DIGEST_MISMATCH; }
        }
    }
    if (n == 0) return CRIOIMG_OK;
    crioimg_hasher_update(&b->h, p, n);
    b->pos += (long long)n;
    b->delivered += (long long)n;
    if ((res = b->fn(b->ctx, p, n)) != CRIOIMG_OK) b->fatal = 1;
    return res;
}

static crioimg_result crioimg__rg_on_body(void *ctx, const void *data, size_t n)
{
    crioimg__rg_rsp *s = (crioimg__rg_rsp *)ctx;
    if (s->small_deadline && crioimg__http_now_ms() >= s->small_deadline) { s->small_late = 1; return CRIOIMG_ERR_TIMEOUT; }
    if (s->status >= 300 && s->status < 400) {
        /* a redirect's body is not kept, but counted: one that never ends must not hold the call forever */
        if (n > CRIOIMG_REGISTRY_SMALL_BODY_MAX - s->skipped) { s->redirect_cut = 1; return CRIOIMG_ERR_TOO_BIG; }
        s->skipped += n;
        return CRIOIMG_OK;
    }
    if (s->status < 200 || s->status >= 300 || (s->blob && s->status != 200 && s->status != 206)) {
        /* an error body: kept up to the small cap, the rest cut (the answer is the status) */
        size_t room = CRIOIMG_REGISTRY_SMALL_BODY_MAX - s->len;
        if (n > room) { s->truncated = 1; if (room) (void)crioimg__rg_append(s, data, room); return CRIOIMG_ERR_TOO_BIG; }
        return crioimg__rg_append(s, data, n);
    }
    if (s->blob) return crioimg__rg_blob_put(s->blob, s, (const unsigned char *)data, n);
    if (n > s->max - s->len) { s->too_big = 1; return CRIOIMG_ERR_TOO_BIG; }
    return crioimg__rg_append(s, data, n);
}

/* ---- parsers of what the servers send (the fuzz target calls these) ---- */

/* text a server wrote, as one line of a message: control bytes become '?' */
static void crioimg__rg_put_line(crioimg__out *o, const char *s, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) crioimg__out_put(o, (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? "?" : s + i, 1);
}

/* RFC 3339 as Go's time.Time reads JSON: "YYYY-MM-DDThh:mm:ss[.frac](Z|+hh:mm|-hh:mm)", into Unix
   seconds; 0 when malformed */
CRIOIMG__LIB int crioimg__rg_rfc3339(const char *s, size_t n, long long *t)
{
    long long y, mo, d, h, mi, se, oh = 0, om = 0;
    size_t i = 19;
    if (n < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') || s[13] != ':' || s[16] != ':' ||
        crioimg__http_digits(s, 4, 9999, &y) != 4 || crioimg__http_digits(s + 5, 2, 99, &mo) != 2 ||
        crioimg__http_digits(s + 8, 2, 99, &d) != 2 || crioimg__http_digits(s + 11, 2, 99, &h) != 2 ||
        crioimg__http_digits(s + 14, 2, 99, &mi) != 2 || crioimg__http_digits(s + 17, 2, 99, &se) != 2 ||
        mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 59)
        return 0;
    if (s[i] == '.') {
        size_t k = i + 1;
        while (k < n && s[k] >= '0' && s[k] <= '9') k++;
        if (k == i + 1) return 0;
        i = k;
    }
    if (i + 1 == n && (s[i] == 'Z' || s[i] == 'z')) {
        i = n;
    } else if (i + 6 == n && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':' &&
               crioimg__http_digits(s + i + 1, 2, 99, &oh) == 2 && crioimg__http_digits(s + i + 4, 2, 99, &om) == 2 &&
               oh <= 23 && om <= 59) {
        if (s[i] == '-') { oh = -oh; om = -om; }
        i = n;
    }
    if (i != n) return 0;
    *t = crioimg__days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + se - oh * 3600 - om * 60;
    return 1;
}

/* A token response as containers/image's newBearerTokenFromJSONBlob reads it: a JSON object whose
   "token" (else "access_token") is the token, "expires_in" seconds (at least 60) from "issued_at" (else
   now). Field names fold as Go's decoder folds them; a field of the wrong type fails, as it fails there.
   *token is allocated (alloc); ERR_AUTH_TOKEN with err saying why. */
CRIOIMG__LIB crioimg_result crioimg__rg_token_parse(const char *b, size_t n, long long now, const crioimg_allocator *a,
                                                    char **token, long long *expires, char *err, size_t errcap)
{
    crioimg_json doc;
    crioimg_json_opts jo;
    crioimg__out e;
    size_t t, at, ei, ia;
    long long life = 0, issued = now;
    crioimg_result res = CRIOIMG_ERR_AUTH_TOKEN;
    e.p = err; e.cap = errcap; e.len = 0;
    if (errcap) err[0] = '\0';
    *token = NULL;
    *expires = 0;
    memset(&jo, 0, sizeof jo);
    jo.max_size = CRIOIMG_REGISTRY_SMALL_BODY_MAX;
    jo.allow_duplicates = 1;   /* encoding/json keeps the last */
    if (a) jo.alloc = *a;
    if ((res = crioimg_json_parse(&doc, b, n, &jo)) != CRIOIMG_OK) {
        if (res == CRIOIMG_ERR_NOMEM) return res;
        crioimg__out_str(&e, "the token response is not JSON: ");
        crioimg__out_str(&e, doc.err);
        return CRIOIMG_ERR_AUTH_TOKEN;
    }
    res = CRIOIMG_ERR_AUTH_TOKEN;   /* until a token is found */
    if (doc.tok[0].type != CRIOIMG_JSON_OBJECT) { crioimg__out_str(&e, "the token response is not a JSON object"); goto done; }
    t = crioimg__auth_field(&doc, 0, "token");
    at = crioimg__auth_field(&doc, 0, "access_token");
    ei = crioimg__auth_field(&doc, 0, "expires_in");
    ia = crioimg__auth_field(&doc, 0, "issued_at");
    if ((t != CRIOIMG_JSON_NONE && doc.tok[t].type != CRIOIMG_JSON_STRING && doc.tok[t].type != CRIOIMG_JSON_NULL) ||
        (at != CRIOIMG_JSON_NONE && doc.tok[at].type != CRIOIMG_JSON_STRING && doc.tok[at].type != CRIOIMG_JSON_NULL)) {
        crioimg__out_str(&e, "the token is not a string");
        goto done;
    }
    if (ei != CRIOIMG_JSON_NONE && doc.tok[ei].type != CRIOIMG_JSON_NULL &&
        crioimg_json_int(&doc, ei, -0x7fffffffffffffffLL, 0x7fffffffffffffffLL, &life) != CRIOIMG_OK) {
        crioimg__out_str(&e, "expires_in is not an integer");
        goto done;
    }
    if (ia != CRIOIMG_JSON_NONE && doc.tok[ia].type != CRIOIMG_JSON_NULL) {
        char ts[64];
        size_t tl = crioimg_json_string(&doc, ia, ts, sizeof ts);
        if (doc.tok[ia].type != CRIOIMG_JSON_STRING || tl >= sizeof ts || !crioimg__rg_rfc3339(ts, tl, &issued)) {
            crioimg__out_str(&e, "issued_at is not an RFC 3339 time");
            goto done;
        }
    }
    if (t == CRIOIMG_JSON_NONE || crioimg_json_string(&doc, t, NULL, 0) == 0) t = at;  /* "token" empty: access_token */
    if (t == CRIOIMG_JSON_NONE || doc.tok[t].type != CRIOIMG_JSON_STRING || crioimg_json_string(&doc, t, NULL, 0) == 0) {
        crioimg__out_str(&e, "the token response has no token");
        goto done;
    }
    {
        size_t tl = crioimg_json_string(&doc, t, NULL, 0), i;
        if ((*token = (char *)crioimg_malloc(a, tl + 1)) == NULL) { res = CRIOIMG_ERR_NOMEM; goto done; }
        crioimg_json_string(&doc, t, *token, tl + 1);
        for (i = 0; i < tl; i++)   /* it goes into a header line */
            if ((unsigned char)(*token)[i] < 0x20 || (*token)[i] == 0x7f) {
                crioimg_free(a, *token);
                *token = NULL;
                crioimg__out_str(&e, "the token holds control characters");
                goto done;
            }
    }
    if (life < CRIOIMG__RG_TOKEN_LIFETIME_MIN) life = CRIOIMG__RG_TOKEN_LIFETIME_MIN;
    if (life > 10LL * 366 * 86400) life = 10LL * 366 * 86400;   /* no overflow below */
    if (issued < -(1LL << 40)) issued = -(1LL << 40);
    if (issued > (1LL << 40)) issued = 1LL << 40;
    *expires = issued + life;
    res = CRIOIMG_OK;
done:
    crioimg_json_free(&doc);
    return res;
}

/* An error body as distribution writes it, {"errors":[{"code","message","detail"}]} (or the older
   {"details": "..."}): the result its first code means (MANIFEST_UNKNOWN and NAME_UNKNOWN give
   ERR_REGISTRY_MANIFEST_UNKNOWN; the caller says "blob" when that is what was asked), and its text in
   msg ("manifest unknown: manifest unknown", as errcode.Error prints). OK when the body names no code it
   knows; msg is "" when nothing could be read. */
CRIOIMG__LIB crioimg_result crioimg__rg_error_parse(const char *b, size_t n, int status, char *msg, size_t cap)
{
    crioimg_json doc;
    crioimg_json_opts jo;
    crioimg__out o;
    crioimg_result res = CRIOIMG_OK;
    size_t errs, i, k;
    o.p = msg; o.cap = cap; o.len = 0;
    if (cap) msg[0] = '\0';
    memset(&jo, 0, sizeof jo);
    jo.max_size = CRIOIMG_REGISTRY_SMALL_BODY_MAX;
    jo.max_depth = 16;
    jo.allow_duplicates = 1;
    if (n == 0 || crioimg_json_parse(&doc, b, n, &jo) != CRIOIMG_OK) return CRIOIMG_OK;
    if (doc.tok[0].type != CRIOIMG_JSON_OBJECT) goto done;
    if ((i = crioimg__auth_field(&doc, 0, "details")) != CRIOIMG_JSON_NONE && doc.tok[i].type == CRIOIMG_JSON_STRING &&
        crioimg_json_string(&doc, i, NULL, 0) > 0) {
        char d[512];
        size_t dl = crioimg_json_string(&doc, i, d, sizeof d);
        crioimg__out_str(&o, status == 401 ? "unauthorized: " : status == 429 ? "toomanyrequests: " : "unknown: ");
        crioimg__rg_put_line(&o, d, dl < sizeof d ? dl : sizeof d - 1);
        res = status == 401 ? CRIOIMG_ERR_AUTH_REQUIRED : status == 429 ? CRIOIMG_ERR_REGISTRY_TOO_MANY_REQUESTS : CRIOIMG_OK;
        goto done;
    }
    errs = crioimg__auth_field(&doc, 0, "errors");
    if (errs == CRIOIMG_JSON_NONE || doc.tok[errs].type != CRIOIMG_JSON_ARRAY) goto done;
    for (i = errs + 1, k = 0; k < doc.tok[errs].count; k++, i = doc.tok[i].next) {
        static const struct { const char *code; crioimg_result r; } map[] = {
            { "MANIFEST_UNKNOWN", CRIOIMG_ERR_REGISTRY_MANIFEST_UNKNOWN }, { "NAME_UNKNOWN", CRIOIMG_ERR_REGISTRY_MANIFEST_UNKNOWN },
            { "BLOB_UNKNOWN", CRIOIMG_ERR_REGISTRY_BLOB_UNKNOWN }, { "DENIED", CRIOIMG_ERR_REGISTRY_DENIED },
            { "UNAUTHORIZED", CRIOIMG_ERR_AUTH_REQUIRED }, { "TOOMANYREQUESTS", CRIOIMG_ERR_REGISTRY_TOO_MANY_REQUESTS },
        };
        char code[64], text[512];
        size_t cl, tl, c, m;
        if (doc.tok[i].type != CRIOIMG_JSON_OBJECT) continue;
        cl = crioimg_json_string(&doc, crioimg__auth_field(&doc, i, "code"), code, sizeof code);
        tl = crioimg_json_string(&doc, crioimg__auth_field(&doc, i, "message"), text, sizeof text);
        if (cl >= sizeof code) cl = 0;
        if (tl >= sizeof text) tl = sizeof text - 1;
        if (o.len) crioimg__out_str(&o, "; ");
        /* errcode.ErrorCode.Error(): the code lowercased, '_' as ' ' */
        for (c = 0; c < cl; c++) {
            char ch = code[c] == '_' ? ' ' : (code[c] >= 'A' && code[c] <= 'Z') ? (char)(code[c] - 'A' + 'a') : code[c];
            crioimg__rg_put_line(&o, &ch, 1);
        }
        if (cl == 0) crioimg__out_str(&o, "unknown");
        crioimg__out_str(&o, ": ");
        crioimg__rg_put_line(&o, text, tl);
        for (m = 0; res == CRIOIMG_OK && m < sizeof map / sizeof map[0]; m++)
            if (cl == strlen(map[m].code) && memcmp(code, map[m].code, cl) == 0) res = map[m].r;
    }
done:
    crioimg_json_free(&doc);
    return res;
}

/* ---- challenges, credentials, tokens ---- */

static void crioimg__rg_challenges_clear(crioimg_registry *r)
{
    size_t i;
    for (i = 0; i < r->nch; i++) {
        crioimg_free(&r->alloc, r->ch[i].realm);
        crioimg_free(&r->alloc, r->ch[i].service);
    }
    r->nch = 0;
}

/* Remembers the Basic and Bearer challenges of a response's WWW-Authenticate lines, in order. A line
   may carry several challenges (RFC 7235); containers/image reads the first of each line only, which
   for the usual "Bearer ..., Basic ..." line chooses the same. A malformed line is skipped. */
static crioimg_result crioimg__rg_challenges_learn(crioimg_registry *r, const crioimg__rg_rsp *s)
{
    size_t l, i;
    crioimg__rg_challenges_clear(r);
    for (l = 0; l < s->nwww; l++) {
        crioimg_auth_challenge c[CRIOIMG__RG_CHALLENGES_MAX];
        size_t n = strlen(s->www[l]), cap = 2 * n + 64, count = 0;
        char *buf = (char *)crioimg_malloc(&r->alloc, cap);
        if (buf == NULL) return CRIOIMG_ERR_NOMEM;
        if (crioimg_www_authenticate_parse(s->www[l], n, c, CRIOIMG__RG_CHALLENGES_MAX, &count, buf, cap) != CRIOIMG_OK) count = 0;
        for (i = 0; i < count && r->nch < CRIOIMG__RG_CHALLENGES_MAX; i++) {
            crioimg__rg_challenge *h = &r->ch[r->nch];
            int bearer = strcmp(c[i].scheme, "bearer") == 0;
            if (!bearer && strcmp(c[i].scheme, "basic") != 0) continue;
            const char *realm = crioimg_auth_challenge_param(&c[i], "realm"), *service = crioimg_auth_challenge_param(&c[i], "service");
            h->bearer = bearer;
            h->realm = crioimg__rg_dup(&r->alloc, realm);
            h->service = crioimg__rg_dup(&r->alloc, service);
            r->nch++;
            if ((realm && h->realm == NULL) || (service && h->service == NULL)) { crioimg_free(&r->alloc, buf); return CRIOIMG_ERR_NOMEM; }
        }
        crioimg_free(&r->alloc, buf);
    }
    return CRIOIMG_OK;
}

/* a Bearer challenge in this response asks for more scope */
static int crioimg__rg_insufficient_scope(const crioimg_registry *r, const crioimg__rg_rsp *s)
{
    size_t l, i;
    int found = 0;
    for (l = 0; l < s->nwww && !found; l++) {
        crioimg_auth_challenge c[CRIOIMG__RG_CHALLENGES_MAX];
        size_t n = strlen(s->www[l]), cap = 2 * n + 64, count = 0;
        char *buf = (char *)crioimg_malloc(&r->alloc, cap);
        if (buf == NULL) return 0;
        if (crioimg_www_authenticate_parse(s->www[l], n, c, CRIOIMG__RG_CHALLENGES_MAX, &count, buf, cap) != CRIOIMG_OK) count = 0;
        for (i = 0; i < count; i++) {
            const char *e = crioimg_auth_challenge_param(&c[i], "error");
            if (strcmp(c[i].scheme, "bearer") == 0 && e && strcmp(e, "insufficient_scope") == 0) found = 1;
        }
        crioimg_free(&r->alloc, buf);
    }
    return found;
}

/* The credentials for repo: --creds, else the auth files' entry for DOMAIN/REPO (looked up again only
   when the repository changes). Any of the three may come back NULL. */
static crioimg_result crioimg__rg_creds(crioimg_registry *r, const char *repo, const char **user, const char **pass, const char **idt)
{
    char key[CRIOIMG_REF_NAME_MAX + 2], e[512];
    crioimg__out o;
    crioimg_result res;
    int found = 0;
    *user = *pass = *idt = NULL;
    if (r->username) { *user = r->username; *pass = r->password ? r->password : ""; return CRIOIMG_OK; }
    if (r->no_auth_files) return CRIOIMG_OK;
    o.p = key; o.cap = sizeof key; o.len = 0;
    crioimg__out_str(&o, r->domain);
    if (repo) { crioimg__out_str(&o, "/"); crioimg__out_str(&o, repo); }
    if (r->cred_key == NULL || strcmp(r->cred_key, key) != 0) {
        crioimg_free(&r->alloc, r->cred_key);
        r->cred_key = NULL;
        crioimg_credentials_free(&r->creds);
        res = crioimg_auth_lookup(&r->creds, &found, key, r->authfile, &r->alloc, e, sizeof e);
        if (res != CRIOIMG_OK) return crioimg__rg_fail(r, res, "getting username and password: ", e, NULL, NULL);
        if ((r->cred_key = crioimg__rg_dup(&r->alloc, key)) == NULL) return CRIOIMG_ERR_NOMEM;
    }
    *user = r->creds.username;
    *pass = r->creds.password ? r->creds.password : "";
    *idt = r->creds.identity_token && *r->creds.identity_token ? r->creds.identity_token : NULL;
    return CRIOIMG_OK;
}

static crioimg__rg_token *crioimg__rg_token_find(crioimg_registry *r, const char *scope)
{
    size_t i;
    for (i = 0; i < r->ntok; i++) if (strcmp(r->tok[i].scope, scope) == 0) return &r->tok[i];
    return NULL;
}

static void crioimg__rg_token_drop(crioimg_registry *r, const char *scope)
{
    crioimg__rg_token *t = crioimg__rg_token_find(r, scope);
    if (t) t->expires = -0x7fffffffffffffffLL;   /* refetched on next use */
}

static crioimg_result crioimg__rg_exchange(crioimg_registry *r, const char *method, const char *url, const char *authz,
                                           const char *accept, const void *body, size_t body_len, const char *body_type,
                                           int registry_tls, int realm, crioimg__rg_rsp *s, char *terr, size_t terrcap);

/* Asks the Bearer challenge's realm for a token for scope, with the registry's TLS policy. */
static crioimg_result crioimg__rg_token_fetch(crioimg_registry *r, const crioimg__rg_challenge *ch, const char *scope,
                                              const char *user, const char *pass, const char *idt, char **token, long long *expires)
{
    char url[CRIOIMG__RG_URL_MAX], e[256], terr[256];
    char *form = NULL, *authz = NULL;
    crioimg__out u, f, ao;
    crioimg__rg_rsp s;
    crioimg_result res;
    if (ch->realm == NULL) return crioimg__rg_fail(r, CRIOIMG_ERR_AUTH_CHALLENGE, "missing realm in bearer auth challenge", NULL, NULL, NULL);
    if ((res = crioimg_auth_realm_check(ch->realm, strlen(ch->realm), !r->secure, e, sizeof e)) != CRIOIMG_OK)
        return crioimg__rg_fail(r, res, "requesting bearer token: ", e, NULL, NULL);
    u.p = url; u.cap = sizeof url; u.len = 0;
    crioimg__out_str(&u, ch->realm);
    memset(&s, 0, sizeof s);
    s.r = r;
    s.max = CRIOIMG_REGISTRY_SMALL_BODY_MAX;
    if (idt) {  /* OAuth2 refresh-token grant: the secrets go in the body, never in the URL */
        size_t cap = strlen(idt) * 3 + strlen(scope) * 3 + (ch->service ? strlen(ch->service) * 3 : 0) + 128;
        if ((form = (char *)crioimg_malloc(&r->alloc, cap)) == NULL) return CRIOIMG_ERR_NOMEM;
        f.p = form; f.cap = cap; f.len = 0;
        crioimg__out_str(&f, "grant_type=refresh_token&refresh_token=");
        crioimg__rg_qs(&f, idt);
        if (ch->service && *ch->service) { crioimg__out_str(&f, "&service="); crioimg__rg_qs(&f, ch->service); }
        crioimg__out_str(&f, "&scope=");
        crioimg__rg_qs(&f, scope);
        crioimg__out_str(&f, "&client_id=crioimg");
    } else {
        char sep = memchr(ch->realm, '?', strlen(ch->realm)) ? '&' : '?';
        if (user && *user) { crioimg__out_put(&u, &sep, 1); crioimg__out_str(&u, "account="); crioimg__rg_qs(&u, user); sep = '&'; }
        if (ch->service && *ch->service) { crioimg__out_put(&u, &sep, 1); crioimg__out_str(&u, "service="); crioimg__rg_qs(&u, ch->service); sep = '&'; }
        crioimg__out_put(&u, &sep, 1);
        crioimg__out_str(&u, "scope=");
        crioimg__rg_qs(&u, scope);
        if (user && *user && pass && *pass) {
            size_t cap = (strlen(user) + strlen(pass) + 3) / 3 * 4 + 16;
            if ((authz = (char *)crioimg_malloc(&r->alloc, cap)) == NULL) return CRIOIMG_ERR_NOMEM;
            ao.p = authz; ao.cap = cap; ao.len = 0;
            crioimg__rg_basic(&ao, user, pass);
        }
    }
    if (u.len >= sizeof url) { res = crioimg__rg_fail(r, CRIOIMG_ERR_AUTH_REALM, "requesting bearer token: the token URL is too long", NULL, NULL, NULL); goto done; }
    res = crioimg__rg_exchange(r, form ? "POST" : "GET", url, authz, NULL, form, form ? f.len : 0,
                               form ? "application/x-www-form-urlencoded" : NULL, 1, 1, &s, terr, sizeof terr);
    if (res == CRIOIMG_ERR_TOO_BIG && s.too_big) {
        res = crioimg__rg_fail(r, CRIOIMG_ERR_TOO_BIG, "requesting bearer token: the token response exceeds 1 MiB", NULL, NULL, NULL);
    } else if (res != CRIOIMG_OK) {
        res = crioimg__rg_fail(r, res, "requesting bearer token: ", terr[0] ? terr : crioimg_result_str(res), NULL, NULL);
    } else if (s.status != 200) {
        char m[512], em[256];
        crioimg__out mo;
        crioimg_result er = crioimg__rg_error_parse(s.buf, s.len, s.status, em, sizeof em);
        mo.p = m; mo.cap = sizeof m; mo.len = 0;
        if (s.status == 401) {
            crioimg__out_str(&mo, "unable to retrieve auth token: invalid username/password: ");
            if (em[0]) crioimg__out_str(&mo, em); else crioimg__rg_status_msg(&mo, s.status);
            res = CRIOIMG_ERR_AUTH_REQUIRED;
        } else if (s.status == 429) {
            crioimg__out_str(&mo, crioimg_result_str(CRIOIMG_ERR_REGISTRY_TOO_MANY_REQUESTS));
            res = CRIOIMG_ERR_REGISTRY_TOO_MANY_REQUESTS;
        } else {
            crioimg__out_str(&mo, "Requesting bearer token: ");
            crioimg__rg_status_msg(&mo, s.status);
            res = er == CRIOIMG_ERR_REGISTRY_DENIED ? er : CRIOIMG_ERR_HTTP_STATUS;
        }
        res = crioimg__rg_fail(r, res, m, NULL, NULL, NULL);
    } else {
        res = crioimg__rg_token_parse(s.buf ? s.buf : "", s.len, crioimg__rg_now(r), &r->alloc, token, expires, e, sizeof e);
        if (res != CRIOIMG_OK) res = crioimg__rg_fail(r, res, "requesting bearer token: ", e, NULL, NULL);
    }
done:
    crioimg__rg_rsp_free(&s);
    crioimg_free(&r->alloc, form);
    crioimg_free(&r->alloc, authz);
    return res;
}

/* The Authorization value for a request about repo (NULL: none), from the first challenge this client
   can answer: Basic with the credentials, or a Bearer token for "repository:REPO:pull" (cached until it
   expires). *bearer says which was sent. *out is allocated. */
static crioimg_result crioimg__rg_authz(crioimg_registry *r, const char *repo, char **out, int *bearer)
{
    const char *user, *pass, *idt;
    size_t i;
    crioimg_result res;
    *out = NULL;
    *bearer = 0;
    if (r->nch == 0) return CRIOIMG_OK;
    if ((res = crioimg__rg_creds(r, repo, &user, &pass, &idt)) != CRIOIMG_OK) return res;
    for (i = 0; i < r->nch; i++) {
        crioimg__out o;
        size_t cap;
        if (!r->ch[i].bearer) {
            if (user == NULL) continue;   /* nothing to answer Basic with */
            cap = (strlen(user) + strlen(pass) + 3) / 3 * 4 + 16;
            if ((*out = (char *)crioimg_malloc(&r->alloc, cap)) == NULL) return CRIOIMG_ERR_NOMEM;
            o.p = *out; o.cap = cap; o.len = 0;
            crioimg__rg_basic(&o, user, pass);
            return CRIOIMG_OK;
        } else {
            char scope[CRIOIMG_REF_NAME_MAX + 32];
            crioimg__rg_token *t;
            long long now = crioimg__rg_now(r);
            o.p = scope; o.cap = sizeof scope; o.len = 0;
            crioimg__out_str(&o, "repository:");
            crioimg__out_str(&o, repo ? repo : "");
            crioimg__out_str(&o, ":pull");
            t = crioimg__rg_token_find(r, scope);
            if (t == NULL || now > t->expires) {
                char *tk = NULL;
                long long exp = 0;
                if ((res = crioimg__rg_token_fetch(r, &r->ch[i], scope, user, pass, idt, &tk, &exp)) != CRIOIMG_OK) return res;
                if (t == NULL) {
                    if (!crioimg__reg_grow(&r->alloc, (void **)&r->tok, r->ntok, &r->tokcap, sizeof *r->tok)) {
                        crioimg_free(&r->alloc, tk);
                        return CRIOIMG_ERR_NOMEM;
                    }
                    t = &r->tok[r->ntok];
                    if ((t->scope = crioimg__rg_dup(&r->alloc, scope)) == NULL) { crioimg_free(&r->alloc, tk); return CRIOIMG_ERR_NOMEM; }
                    t->token = NULL;
                    r->ntok++;
                }
                crioimg_free(&r->alloc, t->token);
                t->token = tk;
                t->expires = exp;
            }
            cap = strlen(t->token) + 8;
            if ((*out = (char *)crioimg_malloc(&r->alloc, cap)) == NULL) return CRIOIMG_ERR_NOMEM;
            o.p = *out; o.cap = cap; o.len = 0;
            crioimg__out_str(&o, "Bearer ");
            crioimg__out_str(&o, t->token);
            *bearer = 1;
            return CRIOIMG_OK;
        }
    }
    return CRIOIMG_OK;
}

/* ---- one request, with its redirects ---- */

static int crioimg__rg_is_redirect(int s) { return s == 301 || s == 302 || s == 303 || s == 307 || s == 308; }

/* Sends method url (authz, when not NULL, as Authorization) and follows redirects by
   crioimg_http_redirect_check: Authorization only while every hop keeps the origin. registry_tls: the
   URL is the registry's (or its realm's), so its TLS policy and files apply; any other origin gets
   verified TLS with the system CAs. realm: url is a token realm, so every hop must pass
   crioimg_auth_realm_check as the realm did (a realm that redirects to 169.254.169.254 is the SSRF the
   check is for) and the transport is asked to refuse local addresses. A body never goes to another
   origin: such a redirect fails; a same-origin 301/302/303 turns a POST into a GET without it, as Go's
   client does. The final response is in s, with s->foreign set when any hop left the first URL's
   origin (its 401 is then not the registry's to learn challenges from); a transport failure is returned
   with its detail in terr. */
static crioimg_result crioimg__rg_exchange(crioimg_registry *r, const char *method, const char *url, const char *authz,
                                           const char *accept, const void *body, size_t body_len, const char *body_type,
                                           int registry_tls, int realm, crioimg__rg_rsp *s, char *terr, size_t terrcap)
{
    char cur[CRIOIMG__RG_URL_MAX], range[64];
    unsigned hop;
    int crossed = 0;
    size_t cl = strlen(url);
    crioimg_url start;
    if (cl >= sizeof cur || crioimg_url_parse(&start, url, cl) != CRIOIMG_OK) return CRIOIMG_ERR_INVALID_ARGS;
    memcpy(cur, url, cl + 1);
    terr[0] = '\0';
    for (hop = 0;; hop++) {
        crioimg_http_header hd[6];
        crioimg_http_request rq;
        crioimg_result res;
        crioimg_url from, to;
        char next[CRIOIMG__RG_URL_MAX];
        size_t nl;
        int keep = 0;
        memset(&rq, 0, sizeof rq);
        crioimg__rg_rsp_reset(s);
        s->foreign = crossed;
        hd[rq.nheaders].name = "User-Agent"; hd[rq.nheaders++].value = r->user_agent;
        hd[rq.nheaders].name = "Docker-Distribution-API-Version"; hd[rq.nheaders++].value = "registry/2.0";
        if (accept) { hd[rq.nheaders].name = "Accept"; hd[rq.nheaders++].value = accept; }
        if (authz) { hd[rq.nheaders].name = "Authorization"; hd[rq.nheaders++].value = authz; }
        if (body_type) { hd[rq.nheaders].name = "Content-Type"; hd[rq.nheaders++].value = body_type; }
        if (s->blob) {
            s->blob->asked = s->blob->norange ? 0 : s->blob->delivered;
            if (s->blob->asked > 0) {
                crioimg__out o;
                o.p = range; o.cap = sizeof range; o.len = 0;
                crioimg__out_str(&o, "bytes=");
                crioimg__out_uint(&o, (unsigned long long)s->blob->asked);
                crioimg__out_str(&o, "-");
                hd[rq.nheaders].name = "Range"; hd[rq.nheaders++].value = range;
            }
        }
        rq.method = method;
        rq.url = cur;
        rq.headers = hd;
        rq.body = body;
        rq.body_len = body_len;
        if (registry_tls) { rq.tls = r->tls.config; rq.tls.verify = r->secure; }
        else rq.tls.verify = 1;
        rq.connect_timeout_ms = r->connect_timeout_ms;
        rq.idle_timeout_ms = r->idle_timeout_ms;
        rq.header_timeout_ms = r->header_timeout_ms;
        if (s->blob) { rq.min_bytes = r->blob_min_bytes; rq.min_period_ms = r->blob_min_period_ms; }
        else rq.total_timeout_ms = r->total_timeout_ms;
        rq.cancel = r->cancel;
        /* a token realm, and every hop once a redirect left the first origin, is checked where its name
           resolves: a registry must not point us at the metadata service by a name either (its own
           origin is the user's choice, and may be anything the user chose) */
        rq.refuse_local_addresses = realm || crossed;
        rq.sink.ctx = s;
        rq.sink.status = crioimg__rg_on_status;
        rq.sink.header = crioimg__rg_on_header;
        rq.sink.body = crioimg__rg_on_body;
        res = crioimg_http_do(r->http, &rq, terr, terrcap);
        if (s->small_late) {
            crioimg__out o;
            o.p = terr; o.cap = terrcap; o.len = 0;
            crioimg__out_str(&o, "the response did not arrive within the total timeout");
            return CRIOIMG_ERR_TIMEOUT;
        }
        if (res == CRIOIMG_ERR_TOO_BIG && (s->truncated || s->redirect_cut)) res = CRIOIMG_OK;  /* a body cut at the cap */
        if (res == CRIOIMG_OK && s->blob && !s->blob->started && (s->status == 200 || s->status == 206))
            res = crioimg__rg_blob_begin(s->blob, s);   /* no body: still judged */
        if (res != CRIOIMG_OK) return res;
        if (!crioimg__rg_is_redirect(s->status)) return CRIOIMG_OK;
        if (!s->has_location || s->location_bad) {
            crioimg__out o;
            o.p = terr; o.cap = terrcap; o.len = 0;
            crioimg__out_str(&o, s->has_location ? "a redirect's Location is too long" : "a redirect without a Location");
            return CRIOIMG_ERR_HTTP_PROTOCOL;
        }
        if ((res = crioimg_url_resolve(cur, strlen(cur), s->location, strlen(s->location), next, sizeof next, &nl)) != CRIOIMG_OK ||
            crioimg_url_parse(&from, cur, strlen(cur)) != CRIOIMG_OK || crioimg_url_parse(&to, next, nl) != CRIOIMG_OK) {
            crioimg__out o;
            o.p = terr; o.cap = terrcap; o.len = 0;
            crioimg__out_str(&o, "a redirect to an invalid or unsupported URL");
            return CRIOIMG_ERR_HTTP_REDIRECT;
        }
        if (realm) {   /* first: a token request's hop is refused in the realm's own words */
            char e[200];
            if ((res = crioimg_auth_realm_check(next, nl, !r->secure, e, sizeof e)) != CRIOIMG_OK) {
                crioimg__out o;
                o.p = terr; o.cap = terrcap; o.len = 0;
                crioimg__out_str(&o, "a redirect of the token request: ");
                crioimg__out_str(&o, e);
                return res;
            }
        }
        if ((res = crioimg_http_redirect_check(&from, &to, hop + 1, &keep, terr, terrcap)) != CRIOIMG_OK) return res;
        if (body && !crioimg_url_same_origin(&from, &to)) {   /* a refresh token in a form: never to a host the redirect chose */
            crioimg__out o;
            o.p = terr; o.cap = terrcap; o.len = 0;
            crioimg__out_str(&o, "refusing to send a request body to another origin on a redirect (");
            crioimg__out_put(&o, to.host.ptr, to.host.len);
            crioimg__out_str(&o, ")");
            return CRIOIMG_ERR_HTTP_REDIRECT;
        }
        if (!keep) authz = NULL;                           /* and it stays dropped for every later hop */
        if (!crioimg_url_same_origin(&from, &to)) registry_tls = 0;
        if (!crioimg_url_same_origin(&start, &to)) crossed = 1;
        if ((s->status == 303 && strcmp(method, "HEAD") != 0) ||
            ((s->status == 301 || s->status == 302) && strcmp(method, "POST") == 0)) {
            method = "GET"; body = NULL; body_len = 0; body_type = NULL;
        }
        memcpy(cur, next, nl + 1);
    }
}

/* ---- requests with authorization and retries ---- */

typedef struct crioimg__rg_req {
    const char *method;
    const char *url;
    int registry;           /* the registry's own URL: its TLS policy, its authorization */
    int auth;               /* send Authorization for repo (not for the ping) */
    const char *repo;
    const char *accept;
    int no_conn_retry;      /* a failed connection is the caller's to handle (the insecure http fallback) */
} crioimg__rg_req;

static int crioimg__rg_retryable(crioimg_result res, const crioimg__rg_rsp *s, int no_conn_retry)
{
    if (s->blob && s->blob->fatal) return 0;
    if (s->blob && s->blob->bad_range) return 1;
    if (res == CRIOIMG_ERR_HTTP_CONNECT || res == CRIOIMG_ERR_TIMEOUT) return !no_conn_retry;
    if (res == CRIOIMG_ERR_HTTP_TLS) return 0;
    if (res != CRIOIMG_OK) return 0;
    return s->status == 429 || s->status == 500 || s->status == 502 || s->status == 503 || s->status == 504;
}

/* Performs rq: authorization (one fresh token and one more try on a 401 that asks for it), retries of
   failed connections, 429 and 5xx with backoff or Retry-After. On OK the final response is in s,
   whatever its status; otherwise r->err says what failed (prefixed by what). */
static crioimg_result crioimg__rg_send(crioimg_registry *r, const crioimg__rg_req *rq, crioimg__rg_rsp *s, const char *what)
{
    int attempt = 0, refreshed = 0;
    long delay = r->retry_delay_ms;
    long long progress = s->blob ? s->blob->delivered : 0, progress_at = s->blob ? crioimg__rg_now(r) : 0;
    for (;;) {
        char *authz = NULL, terr[256];
        int bearer = 0, learned = 0;
        crioimg_result res;
        if (crioimg__rg_cancelled(r)) return crioimg__rg_fail(r, CRIOIMG_ERR_CANCELLED, what, crioimg_result_str(CRIOIMG_ERR_CANCELLED), NULL, NULL);
        if (rq->auth && (res = crioimg__rg_authz(r, rq->repo, &authz, &bearer)) != CRIOIMG_OK) return res;
        if (s->blob && s->blob->bad_range) { s->blob->norange = 1; s->blob->bad_range = 0; }
        res = crioimg__rg_exchange(r, rq->method, rq->url, authz, rq->accept, NULL, 0, NULL, rq->registry, 0, s, terr, sizeof terr);
        crioimg_free(&r->alloc, authz);
        if ((res == CRIOIMG_ERR_HTTP_CONNECT || res == CRIOIMG_ERR_TIMEOUT) && s->blob && s->blob->started &&
            s->blob->pos == s->blob->size && s->blob->delivered == s->blob->size)
            res = CRIOIMG_OK;   /* broken after the last byte: a Range for nothing would only earn a 416 */
        if (res == CRIOIMG_OK && s->status == 401 && rq->auth && !refreshed && !s->foreign) {
            /* a token that no longer serves, a scope the server wants widened, or challenges the ping did
               not show (some registries answer /v2/ with 200): one fresh token, one more try. Only the
               registry's own 401 counts: one from a host a redirect chose would pick the realm that our
               credentials go to. */
            int insufficient = crioimg__rg_insufficient_scope(r, s);
            if (r->nch == 0 && s->nwww) {
                if (crioimg__rg_challenges_learn(r, s) != CRIOIMG_OK) return CRIOIMG_ERR_NOMEM;
                learned = r->nch > 0;
            }
            if (bearer || insufficient || learned) {
                char scope[CRIOIMG_REF_NAME_MAX + 32];
                crioimg__out o;
                o.p = scope; o.cap = sizeof scope; o.len = 0;
                crioimg__out_str(&o, "repository:");
                crioimg__out_str(&o, rq->repo ? rq->repo : "");
                crioimg__out_str(&o, ":pull");
                crioimg__rg_token_drop(r, scope);
                refreshed = 1;
                continue;
            }
        }
        if (s->blob && (s->blob->delivered - progress >= CRIOIMG__RG_RESUME_PROGRESS ||
                        (s->blob->delivered > progress && crioimg__rg_now(r) - progress_at >= 60))) {
            /* a blob that moved far enough since the last fresh budget earns another, as containers/image's
               bodyReader reconnects after 1 MiB of progress or a minute: a server that sends a byte a
               connection cannot keep a transfer going for ever */
            progress = s->blob->delivered;
            progress_at = crioimg__rg_now(r);
            attempt = 0;
            delay = r->retry_delay_ms;
        }
        if (!crioimg__rg_retryable(res, s, rq->no_conn_retry) || attempt >= r->retries) {
            if (s->blob && s->blob->bad_range)
                return crioimg__rg_fail(r, res, what, "the registry answers Range requests with another range: ",
                                        s->crange[0] ? s->crange : "no Content-Range", NULL);
            if (res != CRIOIMG_OK && !(s->blob && s->blob->fatal))
                return crioimg__rg_fail(r, res, what, terr[0] ? terr : crioimg_result_str(res), NULL, NULL);
            return res;
        }
        attempt++;
        {
            long wait = delay;
            long long sec;
            if (res == CRIOIMG_OK && s->has_retry_after && (s->status == 429 || s->status == 503) &&
                crioimg_http_retry_after(s->retry_after, strlen(s->retry_after), crioimg__rg_now(r), &sec) == CRIOIMG_OK)
                wait = sec > r->retry_after_max_ms / 1000 ? r->retry_after_max_ms : (long)sec * 1000;
            if (wait > r->retry_after_max_ms) wait = r->retry_after_max_ms;
            if (wait > 0) crioimg__rg_sleep(r, wait);
            if (delay < r->retry_after_max_ms) delay *= 2;
        }
    }
}

/* ---- the client ---- */

crioimg_result crioimg_registry_open(crioimg_registry **out, const char *domain, const crioimg_registry_opts *opts)
{
    crioimg_registry_opts zero;
    crioimg_registry *r;
    crioimg_result res;
    size_t dl, hl;
    int bracket;
    char e[512];
    if (out) *out = NULL;
    if (out == NULL || domain == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    if (opts == NULL) { memset(&zero, 0, sizeof zero); opts = &zero; }
    if (crioimg_allocator_check(&opts->alloc) != CRIOIMG_OK) return CRIOIMG_ERR_INVALID_ARGS;
    dl = strlen(domain);
    if (!crioimg__reg_host_split(domain, dl, &hl, &bracket) || dl > CRIOIMG_REF_NAME_MAX - 2) return CRIOIMG_ERR_REGISTRY_INVALID;
    if ((r = (crioimg_registry *)crioimg_malloc(&opts->alloc, sizeof *r)) == NULL) return CRIOIMG_ERR_NOMEM;
    memset(r, 0, sizeof *r);
    r->alloc = opts->alloc;
    r->creds.alloc = r->alloc;
    memcpy(r->domain, domain, dl + 1);
    if (strcmp(domain, "docker.io") == 0) memcpy(r->host, CRIOIMG_DOCKER_IO_ENDPOINT, sizeof CRIOIMG_DOCKER_IO_ENDPOINT);
    else memcpy(r->host, domain, dl + 1);
    r->secure = opts->tls_verify == CRIOIMG_TLS_VERIFY_TRUE ? 1 : opts->tls_verify == CRIOIMG_TLS_VERIFY_FALSE ? 0 : !opts->insecure;
    r->no_auth_files = opts->no_auth_files;
    r->connect_timeout_ms = opts->connect_timeout_ms;
    r->idle_timeout_ms = opts->idle_timeout_ms;
    r->header_timeout_ms = opts->header_timeout_ms > 0 ? opts->header_timeout_ms : 0;   /* 0: the transport's default */
    r->total_timeout_ms = opts->total_timeout_ms > 0 ? opts->total_timeout_ms : CRIOIMG_REGISTRY_TOTAL_TIMEOUT_MS;
    r->blob_min_bytes = opts->blob_min_bytes;
    r->blob_min_period_ms = opts->blob_min_period_ms > 0 ? opts->blob_min_period_ms : 0;
    r->retries = opts->retries == 0 ? 3 : opts->retries < 0 ? 0 : opts->retries;
    r->retry_delay_ms = opts->retry_delay_ms > 0 ? opts->retry_delay_ms : 1000;
    r->retry_after_max_ms = opts->retry_after_max_ms > 0 ? opts->retry_after_max_ms : 60000;
    r->cancel = opts->cancel;
    r->sleep_ms = opts->sleep_ms;
    r->now = opts->now;
    r->clock_user = opts->clock_user;
    if ((opts->username && (r->username = crioimg__rg_dup(&r->alloc, opts->username)) == NULL) ||
        (opts->password && (r->password = crioimg__rg_dup(&r->alloc, opts->password)) == NULL) ||
        (opts->authfile && (r->authfile = crioimg__rg_dup(&r->alloc, opts->authfile)) == NULL) ||
        (r->user_agent = crioimg__rg_dup(&r->alloc, opts->user_agent ? opts->user_agent : "crioimg/" CRIOIMG_VERSION_STRING)) == NULL) {
        crioimg_registry_close(r);
        return CRIOIMG_ERR_NOMEM;
    }
    res = crioimg_tls_files_load(&r->tls, domain, opts->cert_dir, opts->certs_d, &r->alloc, e, sizeof e);
    if (res != CRIOIMG_OK) { crioimg_registry_close(r); return res; }
    if (opts->http) {
        r->http = opts->http;
    } else {
        if ((res = crioimg_http_open_default(&r->http, &r->alloc)) != CRIOIMG_OK) { crioimg_registry_close(r); return res; }
        r->own_http = 1;
    }
    *out = r;
    return CRIOIMG_OK;
}

void crioimg_registry_close(crioimg_registry *r)
{
    crioimg_allocator a;
    size_t i;
    if (r == NULL) return;
    a = r->alloc;
    if (r->own_http) crioimg_http_close(r->http);
    crioimg_tls_files_free(&r->tls);
    crioimg__rg_challenges_clear(r);
    for (i = 0; i < r->ntok; i++) { crioimg_free(&a, r->tok[i].scope); crioimg_free(&a, r->tok[i].token); }
    crioimg_free(&a, r->tok);
    crioimg_credentials_free(&r->creds);
    crioimg_free(&a, r->cred_key);
    crioimg_free(&a, r->username);
    crioimg_free(&a, r->password);
    crioimg_free(&a, r->authfile);
    crioimg_free(&a, r->user_agent);
    crioimg_free(&a, r);
}

const char *crioimg_registry_error(const crioimg_registry *r)
{
    return r ? r->err : "";
}

/* base URL of the registry: "https://HOST" (no slash) */
static void crioimg__rg_base(const crioimg_registry *r, crioimg__out *o, int https)
{
    crioimg__out_str(o, https ? "https://" : "http://");
    crioimg__out_str(o, r->host);
}

static crioimg_result crioimg__rg_ping_once(crioimg_registry *r, int https, crioimg__rg_rsp *s)
{
    char url[CRIOIMG__RG_URL_MAX], what[CRIOIMG_REF_NAME_MAX + 64];
    crioimg__out o, w;
    crioimg__rg_req rq;
    o.p = url; o.cap = sizeof url; o.len = 0;
    crioimg__rg_base(r, &o, https);
    crioimg__out_str(&o, "/v2/");
    w.p = what; w.cap = sizeof what; w.len = 0;
    crioimg__out_str(&w, "pinging container registry ");
    crioimg__out_str(&w, r->host);
    crioimg__out_str(&w, ": ");
    memset(&rq, 0, sizeof rq);
    rq.method = "GET";
    rq.url = url;
    rq.registry = 1;
    rq.no_conn_retry = https && !r->secure;
    return crioimg__rg_send(r, &rq, s, what);
}

crioimg_result crioimg_registry_ping(crioimg_registry *r)
{
    crioimg__rg_rsp s;
    crioimg_result res;
    int https = 1;
    if (r == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    r->err[0] = '\0';
    memset(&s, 0, sizeof s);
    s.r = r;
    s.max = CRIOIMG_REGISTRY_SMALL_BODY_MAX;
    res = crioimg__rg_ping_once(r, 1, &s);
    if (!r->secure && (res == CRIOIMG_ERR_HTTP_CONNECT || res == CRIOIMG_ERR_HTTP_TLS || res == CRIOIMG_ERR_TIMEOUT)) {
        https = 0;   /* an insecure registry may speak plain http; a secure one never is asked */
        r->err[0] = '\0';
        res = crioimg__rg_ping_once(r, 0, &s);
    }
    if (res == CRIOIMG_OK) {
        if (s.status == 200 || s.status == 401) {
            /* challenges come from the registry's own /v2/ only, never from a host a redirect chose */
            if (s.foreign) crioimg__rg_challenges_clear(r);
            else res = crioimg__rg_challenges_learn(r, &s);
            if (res == CRIOIMG_OK) { r->pinged = 1; r->https = https; }
        } else {
            char m[256];
            crioimg__out o;
            o.p = m; o.cap = sizeof m; o.len = 0;
            crioimg__rg_status_msg(&o, s.status);
            res = s.status == 404 ? CRIOIMG_ERR_REGISTRY_NOT_V2 : s.status == 429 ? CRIOIMG_ERR_REGISTRY_TOO_MANY_REQUESTS :
                  s.status >= 500 ? CRIOIMG_ERR_REGISTRY_UNAVAILABLE : CRIOIMG_ERR_HTTP_STATUS;
            crioimg__rg_fail(r, res, "pinging container registry ", r->host, ": ", m);
        }
    }
    crioimg__rg_rsp_free(&s);
    return res;
}

/* The result and detail of a final answer that is not a success, in containers/image's words:
   "reading manifest latest in quay.io/foo/bar: manifest unknown: manifest unknown" */
static crioimg_result crioimg__rg_status_fail(crioimg_registry *r, const crioimg__rg_rsp *s, int blob, const char *what)
{
    char em[512], m[600];
    crioimg__out o;
    crioimg_result res = crioimg__rg_error_parse(s->buf, s->len, s->status, em, sizeof em);
    o.p = m; o.cap = sizeof m; o.len = 0;
    if (em[0]) crioimg__out_str(&o, em);
    else crioimg__rg_status_msg(&o, s->status);
    if (res == CRIOIMG_ERR_REGISTRY_MANIFEST_UNKNOWN && blob) res = CRIOIMG_ERR_REGISTRY_BLOB_UNKNOWN;
    if (res == CRIOIMG_OK) {
        switch (s->status) {
        case 401: res = CRIOIMG_ERR_AUTH_REQUIRED; break;
        case 403: res = CRIOIMG_ERR_REGISTRY_DENIED; break;
        case 404: res = blob ? CRIOIMG_ERR_REGISTRY_BLOB_UNKNOWN : CRIOIMG_ERR_REGISTRY_MANIFEST_UNKNOWN; break;
        case 429: res = CRIOIMG_ERR_REGISTRY_TOO_MANY_REQUESTS; break;
        default: res = s->status >= 500 ? CRIOIMG_ERR_REGISTRY_UNAVAILABLE : CRIOIMG_ERR_HTTP_STATUS;
        }
    }
    return crioimg__rg_fail(r, res, what, m, NULL, NULL);
}

/* "VERB THING in DOMAIN/REPO: " */
static void crioimg__rg_what(const crioimg_registry *r, char *buf, size_t cap, const char *verb, const char *thing, const char *repo)
{
    crioimg__out o;
    o.p = buf; o.cap = cap; o.len = 0;
    crioimg__out_str(&o, verb);
    crioimg__out_str(&o, thing);
    crioimg__out_str(&o, " in ");
    crioimg__out_str(&o, r->domain);
    crioimg__out_str(&o, "/");
    crioimg__out_str(&o, repo);
    crioimg__out_str(&o, ": ");
}

/* validated repo and ref, the ping done, the URL of /v2/REPO/KIND/REF */
static crioimg_result crioimg__rg_prepare(crioimg_registry *r, const char *repo, const char *kind, const char *ref, int *by_digest,
                                          char *url, size_t cap)
{
    crioimg__out o;
    crioimg_result res;
    r->err[0] = '\0';
    if (!crioimg__rg_repo_ok(r, repo))
        return crioimg__rg_fail(r, CRIOIMG_ERR_REF_FORMAT, "invalid repository name for ", r->domain, NULL, NULL);
    *by_digest = strchr(ref, ':') != NULL;
    if (*by_digest ? crioimg_digest_validate(ref, strlen(ref)) != CRIOIMG_OK : !crioimg__rg_tag_ok(ref))
        return crioimg__rg_fail(r, *by_digest ? CRIOIMG_ERR_REF_DIGEST_FORMAT : CRIOIMG_ERR_REF_TAG_FORMAT,
                                *by_digest ? "invalid digest format in " : "invalid tag format in ", repo, NULL, NULL);
    if (!r->pinged && (res = crioimg_registry_ping(r)) != CRIOIMG_OK) return res;
    o.p = url; o.cap = cap; o.len = 0;
    crioimg__rg_base(r, &o, r->https);
    crioimg__out_str(&o, "/v2/");
    crioimg__out_str(&o, repo);
    crioimg__out_str(&o, kind);
    crioimg__out_str(&o, ref);
    return o.len < cap ? CRIOIMG_OK : CRIOIMG_ERR_INVALID_ARGS;
}

/* Content-Type without parameters or surrounding white space */
static int crioimg__rg_media_type(const crioimg__rg_rsp *s, char *out, size_t cap)
{
    const char *p = s->ctype, *e;
    size_t n;
    if (s->ctype_bad) return 0;
    e = strchr(p, ';');
    n = e ? (size_t)(e - p) : strlen(p);
    while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t')) n--;
    if (n >= cap) return 0;
    memcpy(out, p, n);
    out[n] = '\0';
    return 1;
}

crioimg_result crioimg_registry_get_manifest(crioimg_registry *r, const char *repo, const char *ref, crioimg_registry_manifest *out)
{
    char url[CRIOIMG__RG_URL_MAX], what[CRIOIMG_REF_NAME_MAX * 2 + 64];
    crioimg__rg_rsp s;
    crioimg__rg_req rq;
    crioimg_digest want;
    crioimg_result res;
    int by_digest = 0;
    if (out) memset(out, 0, sizeof *out);
    if (r == NULL || repo == NULL || ref == NULL || out == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    if ((res = crioimg__rg_prepare(r, repo, "/manifests/", ref, &by_digest, url, sizeof url)) != CRIOIMG_OK) return res;
    crioimg__rg_what(r, what, sizeof what, "reading manifest ", ref, repo);
    memset(&s, 0, sizeof s);
    s.r = r;
    s.max = CRIOIMG_MANIFEST_MAX_SIZE;
    memset(&rq, 0, sizeof rq);
    rq.method = "GET"; rq.url = url; rq.registry = 1; rq.auth = 1; rq.repo = repo; rq.accept = CRIOIMG_MANIFEST_ACCEPT;
    res = crioimg__rg_send(r, &rq, &s, what);
    if (res == CRIOIMG_ERR_TOO_BIG && s.too_big) {
        res = crioimg__rg_fail(r, res, what, "the manifest exceeds 4 MiB", NULL, NULL);
    } else if (res == CRIOIMG_OK && s.status != 200) {
        res = crioimg__rg_status_fail(r, &s, 0, what);
    } else if (res == CRIOIMG_OK && !crioimg__rg_media_type(&s, out->media_type, sizeof out->media_type)) {
        res = crioimg__rg_fail(r, CRIOIMG_ERR_HTTP_PROTOCOL, what, "the Content-Type is too long", NULL, NULL);
    } else if (res == CRIOIMG_OK) {
        const char *data = s.buf ? s.buf : "";
        if (by_digest) {
            crioimg_digest_parse(&want, ref, strlen(ref));
            if (crioimg_digest_verify(&want, data, s.len) != CRIOIMG_OK)
                res = crioimg__rg_fail(r, CRIOIMG_ERR_DIGEST_MISMATCH, what, "the manifest does not match its digest", NULL, NULL);
            else memcpy(out->digest, ref, strlen(ref) + 1);
        } else {
            crioimg_hasher h;
            crioimg_hasher_init(&h, CRIOIMG_DIGEST_SHA256);
            crioimg_hasher_update(&h, data, s.len);
            crioimg_hasher_final_string(&h, out->digest, sizeof out->digest);
            if (s.has_dcd) {   /* the registry's word for it must agree, in whichever algorithm it gives */
                if (s.dcd_bad || crioimg_digest_validate(s.dcd, strlen(s.dcd)) != CRIOIMG_OK)
                    res = crioimg__rg_fail(r, CRIOIMG_ERR_HTTP_PROTOCOL, what, "invalid Docker-Content-Digest header", NULL, NULL);
                else if (crioimg_digest_parse(&want, s.dcd, strlen(s.dcd)) != CRIOIMG_OK || crioimg_digest_verify(&want, data, s.len) != CRIOIMG_OK)
                    res = crioimg__rg_fail(r, CRIOIMG_ERR_DIGEST_MISMATCH, what, "the manifest does not match its Docker-Content-Digest ", s.dcd, NULL);
            }
        }
        if (res == CRIOIMG_OK) {
            if (s.buf == NULL && (s.buf = (char *)crioimg_malloc(&r->alloc, 1)) == NULL) res = CRIOIMG_ERR_NOMEM;
            else {
                s.buf[s.len] = '\0';
                out->data = s.buf;
                out->len = s.len;
                s.buf = NULL;   /* now the caller's */
                s.cap = 0;
            }
        }
    }
    if (res != CRIOIMG_OK) memset(out, 0, sizeof *out);
    crioimg__rg_rsp_free(&s);
    return res;
}

void crioimg_registry_manifest_free(crioimg_registry *r, crioimg_registry_manifest *m)
{
    if (m == NULL) return;
    if (r) crioimg_free(&r->alloc, m->data);
    memset(m, 0, sizeof *m);
}

crioimg_result crioimg_registry_head_manifest(crioimg_registry *r, const char *repo, const char *ref,
                                              char digest[CRIOIMG_DIGEST_STRING_MAX + 1], char *media_type, size_t media_type_cap,
                                              long long *size)
{
    char url[CRIOIMG__RG_URL_MAX], what[CRIOIMG_REF_NAME_MAX * 2 + 64];
    crioimg__rg_rsp s;
    crioimg__rg_req rq;
    crioimg_result res;
    int by_digest = 0;
    if (digest) digest[0] = '\0';
    if (media_type && media_type_cap) media_type[0] = '\0';
    if (size) *size = -1;
    if (r == NULL || repo == NULL || ref == NULL || digest == NULL || (media_type && media_type_cap == 0)) return CRIOIMG_ERR_INVALID_ARGS;
    if ((res = crioimg__rg_prepare(r, repo, "/manifests/", ref, &by_digest, url, sizeof url)) != CRIOIMG_OK) return res;
    crioimg__rg_what(r, what, sizeof what, "reading manifest ", ref, repo);
    memset(&s, 0, sizeof s);
    s.r = r;
    memset(&rq, 0, sizeof rq);
    rq.method = "HEAD"; rq.url = url; rq.registry = 1; rq.auth = 1; rq.repo = repo; rq.accept = CRIOIMG_MANIFEST_ACCEPT;
    res = crioimg__rg_send(r, &rq, &s, what);
    if (res == CRIOIMG_OK && s.status != 200) res = crioimg__rg_status_fail(r, &s, 0, what);
    else if (res == CRIOIMG_OK && (!s.has_dcd || s.dcd_bad || crioimg_digest_validate(s.dcd, strlen(s.dcd)) != CRIOIMG_OK))
        res = crioimg__rg_fail(r, CRIOIMG_ERR_HTTP_PROTOCOL, what, s.has_dcd ? "invalid Docker-Content-Digest header" : "no Docker-Content-Digest header", NULL, NULL);
    else if (res == CRIOIMG_OK && by_digest && strcmp(s.dcd, ref) != 0)
        res = crioimg__rg_fail(r, CRIOIMG_ERR_DIGEST_MISMATCH, what, "the registry names another digest: ", s.dcd, NULL);
    else if (res == CRIOIMG_OK && media_type && !crioimg__rg_media_type(&s, media_type, media_type_cap))
        res = crioimg__rg_fail(r, CRIOIMG_ERR_HTTP_PROTOCOL, what, "the Content-Type is too long", NULL, NULL);
    if (res == CRIOIMG_OK) {
        memcpy(digest, s.dcd, strlen(s.dcd) + 1);
        if (size) *size = s.clen;
    } else if (media_type) {
        media_type[0] = '\0';
    }
    crioimg__rg_rsp_free(&s);
    return res;
}

/* After a source answered: all of the blob, and its digest. */
static crioimg_result crioimg__rg_blob_finish(crioimg_registry *r, crioimg__rg_blob *b, const char *what)
{
    char m[128];
    crioimg__out o;
    if (b->delivered != b->size) {
        o.p = m; o.cap = sizeof m; o.len = 0;
        crioimg__out_str(&o, "got ");
        crioimg__out_uint(&o, (unsigned long long)b->delivered);
        crioimg__out_str(&o, " bytes, want ");
        crioimg__out_uint(&o, (unsigned long long)b->size);
        return crioimg__rg_fail(r, CRIOIMG_ERR_SIZE_MISMATCH, what, m, NULL, NULL);
    }
    if (crioimg_hasher_verify(&b->h, &b->want) != CRIOIMG_OK)
        return crioimg__rg_fail(r, CRIOIMG_ERR_DIGEST_MISMATCH, what, "the blob does not match its digest", NULL, NULL);
    return CRIOIMG_OK;
}

/* one source of the blob (a foreign URL, or the registry): OK when it answered with the bytes */
static crioimg_result crioimg__rg_blob_from(crioimg_registry *r, const crioimg__rg_req *rq, crioimg__rg_blob *b, const char *what)
{
    crioimg__rg_rsp s;
    crioimg_result res;
    memset(&s, 0, sizeof s);
    s.r = r;
    s.blob = b;
    res = crioimg__rg_send(r, rq, &s, what);
    if (res != CRIOIMG_OK && b->fatal && r->err[0] == '\0')
        crioimg__rg_fail(r, res, what, res == CRIOIMG_ERR_SIZE_MISMATCH ? "more bytes than the blob's size" :
                         res == CRIOIMG_ERR_DIGEST_MISMATCH ? "the bytes sent again differ from the first ones" :
                         crioimg_result_str(res), NULL, NULL);
    else if (res == CRIOIMG_OK && s.status != 200 && s.status != 206)
        res = crioimg__rg_status_fail(r, &s, 1, what);
    crioimg__rg_rsp_free(&s);
    return res;
}

crioimg_result crioimg_registry_get_blob(crioimg_registry *r, const char *repo, const crioimg_descriptor *d,
                                         crioimg_registry_blob_fn fn, void *ctx)
{
    char url[CRIOIMG__RG_URL_MAX], what[CRIOIMG_REF_NAME_MAX * 2 + 200];
    crioimg__rg_blob b;
    crioimg__rg_req rq;
    crioimg_result res;
    size_t i;
    int by_digest = 0;
    if (r == NULL || repo == NULL || d == NULL || d->digest == NULL || fn == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    r->err[0] = '\0';
    memset(&b, 0, sizeof b);
    b.fn = fn;
    b.ctx = ctx;
    b.size = d->size;
    if (d->size < 0 || crioimg_digest_validate(d->digest, strlen(d->digest)) != CRIOIMG_OK ||
        crioimg_digest_parse(&b.want, d->digest, strlen(d->digest)) != CRIOIMG_OK || crioimg_hasher_init(&b.h, b.want.alg) != CRIOIMG_OK)
        return crioimg__rg_fail(r, CRIOIMG_ERR_DIGEST_FORMAT, "fetching blob: invalid descriptor digest or size", NULL, NULL, NULL);
    if (!crioimg__rg_repo_ok(r, repo))   /* before any request, foreign ones included */
        return crioimg__rg_fail(r, CRIOIMG_ERR_REF_FORMAT, "invalid repository name for ", r->domain, NULL, NULL);
    crioimg__rg_what(r, what, sizeof what, "fetching blob ", d->digest, repo);
    /* foreign layers first, with no credentials at all (CVE-2020-15157); when none serves, the registry */
    for (i = 0; i < d->nurls; i++) {
        crioimg_url u;
        if (d->urls[i] == NULL || strlen(d->urls[i]) >= sizeof url || crioimg_url_parse(&u, d->urls[i], strlen(d->urls[i])) != CRIOIMG_OK) continue;
        memset(&rq, 0, sizeof rq);
        rq.method = "GET"; rq.url = d->urls[i];
        res = crioimg__rg_blob_from(r, &rq, &b, what);
        if (res == CRIOIMG_OK) return crioimg__rg_blob_finish(r, &b, what);
        if (b.fatal || res == CRIOIMG_ERR_CANCELLED || res == CRIOIMG_ERR_NOMEM) return res;
        r->err[0] = '\0';   /* that source failed; the next one decides */
    }
    if ((res = crioimg__rg_prepare(r, repo, "/blobs/", d->digest, &by_digest, url, sizeof url)) != CRIOIMG_OK) return res;
    memset(&rq, 0, sizeof rq);
    rq.method = "GET"; rq.url = url; rq.registry = 1; rq.auth = 1; rq.repo = repo;
    if ((res = crioimg__rg_blob_from(r, &rq, &b, what)) != CRIOIMG_OK) return res;
    return crioimg__rg_blob_finish(r, &b, what);
}

/* ==== src/store.c ==== */
/* ---------------------------------------------------------------------------------------------------
   store implementation: the generic layer (images from index + blobs), the in-memory store, the OCI
   image-layout store
   --------------------------------------------------------------------------------------------------- */

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
    char err[512];
    crioimg_hasher hash[4];      /* by algorithm, set up once: asking the CPU for SHA paths costs microseconds */
    unsigned char hash_ready[4];
    const crioimg__st_cacheops *cache;   /* the built-in OCI store's listing cache; NULL for other stores */
};

static crioimg_result crioimg__st_fail3(char *err, crioimg_result r, const char *a, const char *b, const char *c)
{
    crioimg__out o;
    o.p = err; o.cap = 512; o.len = 0;
    err[0] = '\0';
    if (a) crioimg__out_str(&o, a);
    if (b) crioimg__out_str(&o, b);
    if (c) crioimg__out_str(&o, c);
    return r;
}

static crioimg_result crioimg__st_fail(crioimg_store *s, crioimg_result r, const char *a, const char *b, const char *c)
{
    return crioimg__st_fail3(s->err, r, a, b, c);
}

const char *crioimg_store_error(const crioimg_store *s)
{
    return s ? s->err : "";
}

/* A digest the store may use in a path: grammatical, a known algorithm, and lowercase hex of its length. */
static int crioimg__st_digest_ok(const char *d)
{
    crioimg_digest dg;
    return d != NULL && crioimg_digest_parse(&dg, d, strlen(d)) == CRIOIMG_OK && dg.alg != CRIOIMG_DIGEST_UNKNOWN;
}

/* Packs entries into one block (the array, then the strings), as read_index hands them over. */
static crioimg_result crioimg__st_pack(const crioimg_allocator *a, const crioimg_store_entry *e, size_t n,
                                       crioimg_store_entry **out, size_t *nout)
{
    size_t i, total = n * sizeof *e + 1;
    char *p;
    crioimg_store_entry *b;
    *out = NULL; *nout = 0;
    for (i = 0; i < n; i++) total += strlen(e[i].name) + strlen(e[i].media_type) + strlen(e[i].digest) + 3;
    b = (crioimg_store_entry *)crioimg_malloc(a, total);
    if (b == NULL) return CRIOIMG_ERR_NOMEM;
    p = (char *)(b + n);
    for (i = 0; i < n; i++) {
        size_t l;
        l = strlen(e[i].name) + 1; memcpy(p, e[i].name, l); b[i].name = p; p += l;
        l = strlen(e[i].media_type) + 1; memcpy(p, e[i].media_type, l); b[i].media_type = p; p += l;
        l = strlen(e[i].digest) + 1; memcpy(p, e[i].digest, l); b[i].digest = p; p += l;
        b[i].size = e[i].size;
    }
    *out = b; *nout = n;
    return CRIOIMG_OK;
}

crioimg_result crioimg_store_open(crioimg_store **out, const crioimg_store_vtable *vt, const crioimg_store_opts *opts)
{
    crioimg_store *s;
    const crioimg_allocator *a = opts ? &opts->alloc : NULL;
    if (out == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    *out = NULL;
    if (vt == NULL || vt->version == 0 || vt->version > CRIOIMG_STORE_VTABLE_VERSION) return CRIOIMG_ERR_INVALID_ARGS;
    if (crioimg_allocator_check(a) != CRIOIMG_OK) return CRIOIMG_ERR_INVALID_ARGS;
    s = (crioimg_store *)crioimg_malloc(a, sizeof *s);
    if (s == NULL) return CRIOIMG_ERR_NOMEM;
    memset(s, 0, sizeof *s);
    /* copied (the host's struct may go away), and only as far as its version reaches: a host built
       against an older header has a shorter struct */
    memcpy(&s->vt, vt, vt->version >= 3 ? sizeof *vt : vt->version == 2 ? offsetof(crioimg_store_vtable, blob_sync)
                                                                          : offsetof(crioimg_store_vtable, blob_open));
    if (a) s->alloc = *a;
    s->read_only = opts ? opts->read_only : 0;
    *out = s;
    return CRIOIMG_OK;
}

void crioimg_store_close(crioimg_store *s)
{
    crioimg_allocator a;
    if (s == NULL) return;
    if (s->vt.close) s->vt.close(s->vt.user);
    a = s->alloc;
    crioimg_free(&a, s);
}

/* ---- calls through the vtable: a missing method is a clear ERR_UNSUPPORTED ---- */

#define CRIOIMG__ST_NEED(s, m) \
    do { if ((s)->vt.m == NULL) return crioimg__st_fail((s), CRIOIMG_ERR_UNSUPPORTED, "store has no " #m " method", NULL, NULL); } while (0)

static crioimg_result crioimg__st_lock(crioimg_store *s, int exclusive)
{
    crioimg_result r;
    s->err[0] = '\0';
    if (exclusive && s->read_only) return crioimg__st_fail(s, CRIOIMG_ERR_STORE_READ_ONLY, "store opened read-only", NULL, NULL);
    CRIOIMG__ST_NEED(s, lock);
    CRIOIMG__ST_NEED(s, unlock);
    r = s->vt.lock(s->vt.user, exclusive);
    if (r != CRIOIMG_OK && s->err[0] == '\0') crioimg__st_fail(s, r, "cannot lock the store", NULL, NULL);
    return r;
}

static void crioimg__st_unlock(crioimg_store *s)
{
    s->vt.unlock(s->vt.user);
}

static crioimg_result crioimg__st_read_index(crioimg_store *s, crioimg_store_entry **e, size_t *n)
{
    CRIOIMG__ST_NEED(s, read_index);
    *e = NULL; *n = 0;
    return s->vt.read_index(s->vt.user, &s->alloc, e, n);
}

static crioimg_result crioimg__st_blob_stat(crioimg_store *s, const char *d, long long *size)
{
    CRIOIMG__ST_NEED(s, blob_stat);
    return s->vt.blob_stat(s->vt.user, d, size);
}

/* A blob, read and verified, under a lock the caller holds. */
static crioimg_result crioimg__st_get(crioimg_store *s, const char *d, size_t max, void **data, size_t *len)
{
    crioimg_digest dg;
    crioimg_result r;
    *data = NULL; *len = 0;
    CRIOIMG__ST_NEED(s, blob_get);
    if (crioimg_digest_parse(&dg, d, strlen(d)) != CRIOIMG_OK || dg.alg == CRIOIMG_DIGEST_UNKNOWN)
        return crioimg__st_fail(s, CRIOIMG_ERR_DIGEST_FORMAT, "invalid blob digest \"", d, "\"");
    r = s->vt.blob_get(s->vt.user, d, max ? max : CRIOIMG_MANIFEST_MAX_SIZE, &s->alloc, data, len);
    if (r != CRIOIMG_OK) {
        if (s->err[0] == '\0') crioimg__st_fail(s, r, "blob ", d, r == CRIOIMG_ERR_NOT_FOUND ? ": not in the store" : "");
        return r;
    }
    if (!s->hash_ready[dg.alg]) { crioimg_hasher_init(&s->hash[dg.alg], dg.alg); s->hash_ready[dg.alg] = 1; }
    else crioimg_hasher_reset(&s->hash[dg.alg]);
    crioimg_hasher_update(&s->hash[dg.alg], *data, *len);
    r = crioimg_hasher_verify(&s->hash[dg.alg], &dg);
    if (r != CRIOIMG_OK) {
        crioimg_free(&s->alloc, *data);
        *data = NULL; *len = 0;
        return crioimg__st_fail(s, r, "blob ", d, ": its content does not match its digest");
    }
    return CRIOIMG_OK;
}

crioimg_result crioimg_store_get_blob(crioimg_store *s, const char *digest, size_t max, void **data, size_t *len)
{
    crioimg_result r;
    if (s == NULL || data == NULL || len == NULL || digest == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    *data = NULL; *len = 0;
    r = crioimg__st_lock(s, 0);
    if (r != CRIOIMG_OK) return r;
    r = crioimg__st_get(s, digest, max, data, len);
    crioimg__st_unlock(s);
    return r;
}

crioimg_result crioimg_store_put_blob(crioimg_store *s, const char *digest, const void *data, size_t len)
{
    crioimg_digest dg;
    crioimg_result r;
    if (s == NULL || digest == NULL || (data == NULL && len > 0)) return CRIOIMG_ERR_INVALID_ARGS;
    s->err[0] = '\0';
    r = crioimg_digest_parse(&dg, digest, strlen(digest));
    if (r != CRIOIMG_OK) return crioimg__st_fail(s, r, "invalid blob digest \"", digest, "\"");
    r = crioimg_digest_verify(&dg, data, len);   /* before anything touches the store */
    if (r != CRIOIMG_OK) return crioimg__st_fail(s, r, "blob ", digest, ": content does not match the digest");
    r = crioimg__st_lock(s, 1);
    if (r != CRIOIMG_OK) return r;
    if (s->vt.blob_put == NULL) r = crioimg__st_fail(s, CRIOIMG_ERR_UNSUPPORTED, "store has no blob_put method", NULL, NULL);
    else r = s->vt.blob_put(s->vt.user, digest, data, len);
    crioimg__st_unlock(s);
    return r;
}

void crioimg_store_free_blob(crioimg_store *s, void *data)
{
    if (s) crioimg_free(&s->alloc, data);
}

/* Whether the store has blob digest, and its size: what a pull asks before fetching one. */
crioimg_result crioimg_store_blob_stat(crioimg_store *s, const char *digest, long long *size)
{
    crioimg_digest dg;
    crioimg_result r;
    long long sz = -1;
    if (size) *size = -1;
    if (s == NULL || digest == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    s->err[0] = '\0';
    r = crioimg_digest_parse(&dg, digest, strlen(digest));   /* a path is built from it */
    if (r != CRIOIMG_OK) return crioimg__st_fail(s, r, "invalid blob digest \"", digest, "\"");
    if ((r = crioimg__st_lock(s, 0)) != CRIOIMG_OK) return r;
    r = crioimg__st_blob_stat(s, digest, &sz);
    crioimg__st_unlock(s);
    if (r == CRIOIMG_OK && size) *size = sz;
    return r;
}

/* ---- streaming blob writes ---- */

struct crioimg_blob_writer {
    crioimg_store *s;
    crioimg_hasher h;
    char digest[CRIOIMG_DIGEST_STRING_MAX + 1];
    long long size, got;     /* size -1: unknown */
    void *handle;            /* the store's, when it streams */
    unsigned char *buf;      /* else the bytes so far */
    size_t cap;
    crioimg_result failed;
    int verified_by_caller;  /* crioimg__blob_writer_trust: the caller verifies the digest itself */
};

/* For a caller that commits only bytes it has verified against the digest itself, in the same stream
   (a pull: the registry client hashes every blob it delivers, and a blob that does not match is never
   committed): the writer then counts but does not hash, so each byte is hashed once. */
CRIOIMG__LIB void crioimg__blob_writer_trust(crioimg_blob_writer *w)
{
    if (w) w->verified_by_caller = 1;
}

static void crioimg__bw_free(crioimg_blob_writer *w, int abort_handle)
{
    crioimg_store *s = w->s;
    if (abort_handle && w->handle) s->vt.blob_abort(s->vt.user, w->handle);
    crioimg_free(&s->alloc, w->buf);
    crioimg_free(&s->alloc, w);
}

crioimg_result crioimg_store_blob_begin(crioimg_store *s, const char *digest, long long size, crioimg_blob_writer **out)
{
    crioimg_digest dg;
    crioimg_blob_writer *w;
    crioimg_result r;
    size_t dl;
    if (out) *out = NULL;
    if (s == NULL || digest == NULL || out == NULL || size < -1) return CRIOIMG_ERR_INVALID_ARGS;
    s->err[0] = '\0';
    if (s->read_only) return crioimg__st_fail(s, CRIOIMG_ERR_STORE_READ_ONLY, "store opened read-only", NULL, NULL);
    dl = strlen(digest);
    r = crioimg_digest_parse(&dg, digest, dl);
    if (r != CRIOIMG_OK) return crioimg__st_fail(s, r, "invalid blob digest \"", digest, "\"");
    if (dg.alg == CRIOIMG_DIGEST_UNKNOWN) return crioimg__st_fail(s, CRIOIMG_ERR_DIGEST_UNSUPPORTED, "blob ", digest, ": unsupported digest algorithm");
    if (s->vt.blob_put == NULL && s->vt.blob_begin == NULL)
        return crioimg__st_fail(s, CRIOIMG_ERR_UNSUPPORTED, "store has no blob_put method", NULL, NULL);
    w = (crioimg_blob_writer *)crioimg_malloc(&s->alloc, sizeof *w);
    if (w == NULL) return CRIOIMG_ERR_NOMEM;
    memset(w, 0, sizeof *w);
    w->s = s; w->size = size;
    memcpy(w->digest, digest, dl + 1);
    crioimg_hasher_init(&w->h, dg.alg);
    if (s->vt.blob_begin && s->vt.blob_write && s->vt.blob_commit && s->vt.blob_abort) {
        r = s->vt.blob_begin(s->vt.user, &w->handle);
        if (r != CRIOIMG_OK) { crioimg_free(&s->alloc, w); return r; }
    }
    *out = w;
    return CRIOIMG_OK;
}

crioimg_result crioimg_blob_writer_write(crioimg_blob_writer *w, const void *data, size_t len)
{
    crioimg_store *s;
    if (w == NULL || (data == NULL && len)) return CRIOIMG_ERR_INVALID_ARGS;
    s = w->s;
    if (w->failed) return w->failed;
    if (w->size >= 0 && (unsigned long long)len > (unsigned long long)(w->size - w->got)) {
        crioimg__st_fail(s, CRIOIMG_ERR_SIZE_MISMATCH, "blob ", w->digest, ": more bytes than its size");
        return w->failed = CRIOIMG_ERR_SIZE_MISMATCH;
    }
    if (!w->verified_by_caller) crioimg_hasher_update(&w->h, data, len);
    w->got += (long long)len;
    if (w->handle) {
        crioimg_result r = s->vt.blob_write(s->vt.user, w->handle, data, len);
        if (r != CRIOIMG_OK) return w->failed = r;
    } else if (len) {
        size_t have = (size_t)w->got - len;
        if (have + len > w->cap) {
            size_t nc = w->cap ? w->cap : 65536;
            unsigned char *nb;
            while (nc < have + len) nc *= 2;
            nb = (unsigned char *)crioimg_realloc(&s->alloc, w->buf, nc);
            if (nb == NULL) return w->failed = CRIOIMG_ERR_NOMEM;
            w->buf = nb; w->cap = nc;
        }
        memcpy(w->buf + have, data, len);
    }
    return CRIOIMG_OK;
}

crioimg_result crioimg_blob_writer_commit(crioimg_blob_writer *w)
{
    crioimg_store *s;
    crioimg_digest dg;
    crioimg_result r;
    if (w == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    s = w->s;
    r = w->failed;
    if (r == CRIOIMG_OK && w->size >= 0 && w->got != w->size) {
        r = crioimg__st_fail(s, CRIOIMG_ERR_SIZE_MISMATCH, "blob ", w->digest, ": fewer bytes than its size");
    }
    if (r == CRIOIMG_OK && !w->verified_by_caller) {
        crioimg_digest_parse(&dg, w->digest, strlen(w->digest));
        r = crioimg_hasher_verify(&w->h, &dg);
        if (r != CRIOIMG_OK) crioimg__st_fail(s, r, "blob ", w->digest, ": content does not match the digest");
    }
    if (r != CRIOIMG_OK) { crioimg__bw_free(w, 1); return r; }
    r = crioimg__st_lock(s, 1);
    if (r != CRIOIMG_OK) { crioimg__bw_free(w, 1); return r; }
    if (w->handle) { r = s->vt.blob_commit(s->vt.user, w->handle, w->digest); w->handle = NULL; }
    else r = s->vt.blob_put(s->vt.user, w->digest, w->buf, (size_t)w->got);
    crioimg__st_unlock(s);
    crioimg__bw_free(w, 0);
    return r;
}

crioimg_result crioimg_blob_writer_sync(crioimg_blob_writer *w)
{
    if (w == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    if (w->failed) return w->failed;
    if (w->handle && w->s->vt.blob_sync) return w->s->vt.blob_sync(w->s->vt.user, w->handle);
    return CRIOIMG_OK;   /* nothing to do early: commit makes it durable */
}

void crioimg_blob_writer_abort(crioimg_blob_writer *w)
{
    if (w) crioimg__bw_free(w, 1);
}

/* ---- streaming blob reads ---- */

struct crioimg_blob_reader {
    crioimg_store *s;
    crioimg_hasher h;
    char digest[CRIOIMG_DIGEST_STRING_MAX + 1];
    long long size;          /* the store's word, -1 when none */
    void *handle;            /* the store's, when it streams */
    unsigned char *buf;      /* else the whole blob */
    size_t len, off;
    crioimg_result failed;
    int done;                /* the end was reached and judged OK */
};

static int crioimg__st_streams(const crioimg_store *s)
{
    return s->vt.version >= 2 && s->vt.blob_open && s->vt.blob_read && s->vt.blob_close;
}

/* limit: the most bytes the caller will take (a descriptor's size), -1 for any: a store that cannot
   stream is then asked for at most that many, so no blob bigger than its descriptor is ever held. */
static crioimg_result crioimg__st_open_reader(crioimg_store *s, const char *digest, long long limit, crioimg_blob_reader **out)
{
    crioimg_digest dg;
    crioimg_blob_reader *w;
    crioimg_result r;
    size_t dl;
    if (out) *out = NULL;
    if (s == NULL || digest == NULL || out == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    s->err[0] = '\0';
    dl = strlen(digest);
    r = crioimg_digest_parse(&dg, digest, dl);
    if (r != CRIOIMG_OK) return crioimg__st_fail(s, r, "invalid blob digest \"", digest, "\"");
    if (dg.alg == CRIOIMG_DIGEST_UNKNOWN) return crioimg__st_fail(s, CRIOIMG_ERR_DIGEST_UNSUPPORTED, "blob ", digest, ": unsupported digest algorithm");
    if (!crioimg__st_streams(s) && s->vt.blob_get == NULL) return crioimg__st_fail(s, CRIOIMG_ERR_UNSUPPORTED, "store has no blob_get method", NULL, NULL);
    w = (crioimg_blob_reader *)crioimg_malloc(&s->alloc, sizeof *w);
    if (w == NULL) return CRIOIMG_ERR_NOMEM;
    memset(w, 0, sizeof *w);
    w->s = s; w->size = -1;
    memcpy(w->digest, digest, dl + 1);
    crioimg_hasher_init(&w->h, dg.alg);
    r = crioimg__st_lock(s, 0);
    if (r == CRIOIMG_OK) {
        if (crioimg__st_streams(s)) r = s->vt.blob_open(s->vt.user, digest, &w->handle, &w->size);
        else {
            /* a store that cannot stream: the blob whole, its size first so that no cap refuses it */
            long long sz = -1;
            size_t max = (size_t)-1 / 2;
            void *data = NULL;
            if (s->vt.blob_stat && s->vt.blob_stat(s->vt.user, digest, &sz) == CRIOIMG_OK && sz >= 0 && (unsigned long long)sz < max) max = (size_t)sz;
            if (limit >= 0 && (unsigned long long)limit < (unsigned long long)max) max = (size_t)limit;
            s->err[0] = '\0';
            r = s->vt.blob_get(s->vt.user, digest, max, &s->alloc, &data, &w->len);
            if (r == CRIOIMG_ERR_TOO_BIG && limit >= 0)
                r = crioimg__st_fail(s, CRIOIMG_ERR_SIZE_MISMATCH, "blob ", digest, ": more bytes than its size");
            w->buf = (unsigned char *)data;
            w->size = (long long)w->len;
        }
        crioimg__st_unlock(s);
    }
    if (r != CRIOIMG_OK) {
        if (s->err[0] == '\0') crioimg__st_fail(s, r, "blob ", digest, r == CRIOIMG_ERR_NOT_FOUND ? ": not in the store" : ": cannot be opened");
        crioimg_free(&s->alloc, w->buf);
        crioimg_free(&s->alloc, w);
        return r;
    }
    *out = w;
    return CRIOIMG_OK;
}

crioimg_result crioimg_blob_reader_read(crioimg_blob_reader *w, void *buf, size_t cap, size_t *n)
{
    crioimg_store *s;
    crioimg_digest dg;
    crioimg_result r;
    if (n) *n = 0;
    if (w == NULL || n == NULL || buf == NULL || cap == 0) return CRIOIMG_ERR_INVALID_ARGS;   /* *n 0 means the end */
    s = w->s;
    if (w->failed) return w->failed;
    if (w->done) return CRIOIMG_OK;
    if (w->handle) {
        r = s->vt.blob_read(s->vt.user, w->handle, buf, cap, n);
        if (r == CRIOIMG_OK && *n > cap) r = crioimg__st_fail(s, CRIOIMG_ERR_IO, "blob ", w->digest, ": the store read past the buffer");
        if (r != CRIOIMG_OK) {
            *n = 0;
            if (s->err[0] == '\0') crioimg__st_fail(s, r, "blob ", w->digest, ": read failed");
            return w->failed = r;
        }
    } else {
        *n = w->len - w->off < cap ? w->len - w->off : cap;
        memcpy(buf, w->buf + w->off, *n);
        w->off += *n;
    }
    if (*n > 0) { crioimg_hasher_update(&w->h, buf, *n); return CRIOIMG_OK; }
    /* the end: now the bytes are judged */
    crioimg_digest_parse(&dg, w->digest, strlen(w->digest));
    r = crioimg_hasher_verify(&w->h, &dg);
    if (r != CRIOIMG_OK) {
        crioimg__st_fail(s, r, "blob ", w->digest, ": its content does not match its digest");
        return w->failed = r;
    }
    w->done = 1;
    return CRIOIMG_OK;
}

crioimg_result crioimg_store_blob_open(crioimg_store *s, const char *digest, crioimg_blob_reader **out)
{
    return crioimg__st_open_reader(s, digest, -1, out);
}

long long crioimg_blob_reader_size(const crioimg_blob_reader *w)
{
    return w ? w->size : -1;
}

void crioimg_blob_reader_close(crioimg_blob_reader *w)
{
    crioimg_store *s;
    if (w == NULL) return;
    s = w->s;
    if (w->handle) s->vt.blob_close(s->vt.user, w->handle);
    crioimg_free(&s->alloc, w->buf);
    crioimg_free(&s->alloc, w);
}

/* ---- copying between stores: every byte bounded by its descriptor, nothing held whole ---- */

/* "blob D: the source has N bytes, its descriptor says M" into dst's detail */
static crioimg_result crioimg__st_size_fail(crioimg_store *s, const char *d, long long have, long long want)
{
    crioimg__out o;
    o.p = s->err; o.cap = sizeof s->err; o.len = 0;
    s->err[0] = '\0';
    crioimg__out_str(&o, "blob ");
    crioimg__out_str(&o, d);
    crioimg__out_str(&o, ": the source has ");
    crioimg__out_uint(&o, (unsigned long long)have);
    crioimg__out_str(&o, " bytes, its descriptor says ");
    crioimg__out_uint(&o, (unsigned long long)want);
    return CRIOIMG_ERR_SIZE_MISMATCH;
}

/* The source's detail as dst's (when they are one store, it is there already) */
static crioimg_result crioimg__st_relay(crioimg_store *dst, crioimg_store *src, crioimg_result r)
{
    if (dst == src) return r;
    return crioimg__st_fail(dst, r, src->err[0] ? src->err : crioimg_result_str(r), NULL, NULL);
}

#define CRIOIMG__ST_COPY_CHUNK ((size_t)256 << 10)

crioimg_result crioimg_store_copy_blob(crioimg_store *dst, crioimg_store *src, const char *digest, long long size)
{
    crioimg_blob_reader *rd = NULL;
    crioimg_blob_writer *w = NULL;
    unsigned char *buf = NULL;
    crioimg_result r;
    long long have;
    size_t n = 0;
    if (dst == NULL || src == NULL || digest == NULL || size < -1) return CRIOIMG_ERR_INVALID_ARGS;
    dst->err[0] = '\0';
    if (!crioimg__st_digest_ok(digest)) return crioimg__st_fail(dst, CRIOIMG_ERR_DIGEST_FORMAT, "invalid blob digest \"", digest, "\"");
    /* already there with that size: content-addressed, and every read verifies it anyway */
    if (crioimg__st_lock(dst, 0) == CRIOIMG_OK) {
        int there = dst->vt.blob_stat && dst->vt.blob_stat(dst->vt.user, digest, &have) == CRIOIMG_OK && (size < 0 || have == size);
        crioimg__st_unlock(dst);
        dst->err[0] = '\0';
        if (there) return CRIOIMG_OK;
    }
    r = crioimg__st_open_reader(src, digest, size, &rd);
    if (r != CRIOIMG_OK) return crioimg__st_relay(dst, src, r);
    /* the source's own word on the size settles a mismatch before a byte is read (a 3 GB file behind a
       143-byte descriptor costs nothing) */
    have = crioimg_blob_reader_size(rd);
    if (size >= 0 && have >= 0 && have != size) { crioimg_blob_reader_close(rd); return crioimg__st_size_fail(dst, digest, have, size); }
    buf = (unsigned char *)crioimg_malloc(&dst->alloc, CRIOIMG__ST_COPY_CHUNK);
    if (buf == NULL) { crioimg_blob_reader_close(rd); return CRIOIMG_ERR_NOMEM; }
    r = crioimg_store_blob_begin(dst, digest, size, &w);
    /* a source that grows while read is cut off by the writer at the first byte past size */
    while (r == CRIOIMG_OK) {
        r = crioimg_blob_reader_read(rd, buf, CRIOIMG__ST_COPY_CHUNK, &n);
        if (r != CRIOIMG_OK) { crioimg__st_relay(dst, src, r); break; }
        if (n == 0) break;   /* the end, and the reader found the digest right */
        r = crioimg_blob_writer_write(w, buf, n);
    }
    crioimg_blob_reader_close(rd);
    crioimg_free(&dst->alloc, buf);
    if (w == NULL) return r;
    if (r != CRIOIMG_OK) { crioimg_blob_writer_abort(w); return r; }
    return crioimg_blob_writer_commit(w);   /* checks size and digest again: a short source ends here */
}

crioimg_result crioimg_store_copy_image(crioimg_store *dst, crioimg_store *src, const char *manifest_digest,
                                        const char *const *names, size_t nnames)
{
    void *data = NULL;
    size_t len = 0, i;
    crioimg_manifest man;
    crioimg_manifest_opts mo;
    crioimg_result r;
    if (dst == NULL || src == NULL || manifest_digest == NULL || (names == NULL && nnames)) return CRIOIMG_ERR_INVALID_ARGS;
    dst->err[0] = '\0';
    memset(&man, 0, sizeof man);
    memset(&mo, 0, sizeof mo);
    mo.alloc = dst->alloc;
    r = crioimg_store_get_blob(src, manifest_digest, 0, &data, &len);   /* 4 MiB at most, verified */
    if (r != CRIOIMG_OK) { crioimg__st_relay(dst, src, r); goto done; }
    r = crioimg_manifest_parse(&man, (const char *)data, len, NULL, &mo);
    if (r != CRIOIMG_OK) { crioimg__st_fail(dst, r, "manifest ", manifest_digest, ": invalid"); goto done; }
    if (man.kind != CRIOIMG_MANIFEST_OCI && man.kind != CRIOIMG_MANIFEST_DOCKER_V2) {
        r = crioimg__st_fail(dst, CRIOIMG_ERR_MANIFEST_UNSUPPORTED, "manifest ", manifest_digest, ": not an image manifest");
        goto done;
    }
    /* config and layers before the manifest, the manifest before the entry: whatever a failure leaves
       is unreferenced, never an entry without its blobs */
    for (i = 0; r == CRIOIMG_OK && i <= man.nlayers; i++) {
        const crioimg_descriptor *d = i == 0 ? &man.config : &man.layers[i - 1];
        r = crioimg_store_copy_blob(dst, src, d->digest, d->size);
    }
    if (r == CRIOIMG_OK) r = crioimg_store_put_blob(dst, manifest_digest, data, len);
    if (r == CRIOIMG_OK) r = crioimg_store_add_image(dst, manifest_digest, names, nnames);
done:
    crioimg_manifest_free(&man);
    crioimg_free(&src->alloc, data);
    return r;
}

/* ---- the view: the index with every distinct manifest read, for the image operations ---- */

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

static void crioimg__st_view_free(crioimg_store *s, crioimg__st_view *v)
{
    crioimg_free(&s->alloc, v->e);
    crioimg_free(&s->alloc, v->cache.buf);
    crioimg__arena_free(&v->arena, &s->alloc);
    memset(v, 0, sizeof *v);
}

static char *crioimg__st_strdup(crioimg__st_view *v, const crioimg_allocator *a, const char *str)
{
    size_t l = strlen(str) + 1;
    char *p = (char *)crioimg__arena_alloc(&v->arena, a, l);
    if (p) memcpy(p, str, l);
    return p;
}

/* The normalised form of a stored or given name, as ParseDockerRef makes it; 0 when it is no reference. */
static int crioimg__st_norm(const char *name, char out[CRIOIMG_REF_STRING_MAX + 1], crioimg_ref *ref)
{
    crioimg_ref tmp;
    if (ref == NULL) ref = &tmp;
    if (name == NULL || name[0] == '\0') return 0;
    if (crioimg_ref_parse_docker(ref, name, strlen(name)) != CRIOIMG_OK) return 0;
    crioimg_ref_string(ref, out, CRIOIMG_REF_STRING_MAX + 1);
    return 1;
}

/* A string to sort by, with its first 16 bytes as two big-endian numbers: comparing those first orders
   as strcmp does, and settles nearly every comparison of digests and IDs (which strcmp would walk
   through "sha256:" for) without touching the strings -- the sorts were 15% of a listing of 100,000. */
typedef struct crioimg__st_sortkey { unsigned long long p0, p1; const char *key; size_t i; } crioimg__st_sortkey;

static void crioimg__st_setkey(crioimg__st_sortkey *k, const char *key, size_t i)
{
    size_t j;
    int end = 0;
    k->p0 = k->p1 = 0;
    for (j = 0; j < 16; j++) {
        unsigned long long c = end ? 0 : (unsigned char)key[j];
        if (c == 0) end = 1;   /* NUL pads: a shorter string sorts first, as with strcmp */
        if (j < 8) k->p0 = k->p0 << 8 | c; else k->p1 = k->p1 << 8 | c;
    }
    k->key = key;
    k->i = i;
}

static int crioimg__st_cmpkey(const void *a, const void *b)
{
    const crioimg__st_sortkey *x = (const crioimg__st_sortkey *)a, *y = (const crioimg__st_sortkey *)b;
    int c;
    if (x->p0 != y->p0) return x->p0 < y->p0 ? -1 : 1;
    if (x->p1 != y->p1) return x->p1 < y->p1 ? -1 : 1;
    c = strcmp(x->key, y->key);
    if (c) return c;
    return ((const crioimg__st_sortkey *)a)->i < ((const crioimg__st_sortkey *)b)->i ? -1 :
           ((const crioimg__st_sortkey *)a)->i > ((const crioimg__st_sortkey *)b)->i;
}

/* A blob's size through the view's cache (open addressing on the digest's first hex digits, which are
   uniformly spread). */
static crioimg_result crioimg__st_vstat(crioimg_store *s, crioimg__st_view *v, const char *d, long long *size)
{
    size_t h = 0, i, k;
    const char *x = strchr(d, ':');
    if (d == NULL) return CRIOIMG_ERR_NOMEM;
    if (v->statc == NULL || v->statn * 2 >= v->statcap) return crioimg__st_blob_stat(s, d, size);  /* full: no caching */
    for (k = 1; x && x[k] && k <= 12; k++) h = h * 31 + (unsigned char)x[k];
    for (i = h & (v->statcap - 1);; i = (i + 1) & (v->statcap - 1)) {
        if (v->statc[i].d == NULL) {
            v->statc[i].r = crioimg__st_blob_stat(s, d, &v->statc[i].size);
            v->statc[i].d = d;
            v->statn++;
            break;
        }
        if (strcmp(v->statc[i].d, d) == 0) break;
    }
    *size = v->statc[i].size;
    return v->statc[i].r;
}

/* Reads one manifest: its ID, size and the blobs it references. An index (skopeo copy --all) is no
   image, but its children's blobs are referenced too, so removal never takes them. */
static void crioimg__st_read_mf(crioimg_store *s, crioimg__st_view *v, crioimg__st_mf *m, int depth)
{
    void *data = NULL;
    size_t len = 0, i, cap;
    crioimg_manifest man;
    crioimg_manifest_opts mo;
    memset(&mo, 0, sizeof mo);
    mo.alloc = s->alloc;
    m->id[0] = '\0'; m->size = -1; m->blobs = NULL; m->nblobs = 0; m->decl = NULL; m->cacheable = 0;
    m->r = crioimg__st_get(s, m->digest, 0, &data, &len);
    if (m->r != CRIOIMG_OK) return;
    m->r = crioimg_manifest_parse(&man, (const char *)data, len, NULL, &mo);
    crioimg_free(&s->alloc, data);
    if (m->r != CRIOIMG_OK) {
        crioimg__st_fail(s, m->r, "manifest ", m->digest, ": invalid");
        crioimg_manifest_free(&man);
        return;
    }
    cap = 1 + (man.kind == CRIOIMG_MANIFEST_OCI || man.kind == CRIOIMG_MANIFEST_DOCKER_V2 ? 1 + man.nlayers : 0);
    if (man.kind == CRIOIMG_MANIFEST_OCI_INDEX || man.kind == CRIOIMG_MANIFEST_DOCKER_LIST) cap += man.nmanifests;
    m->blobs = (const char **)crioimg__arena_alloc(&v->arena, &s->alloc, cap * sizeof *m->blobs);
    if (m->blobs == NULL) { m->r = CRIOIMG_ERR_NOMEM; crioimg_manifest_free(&man); return; }
    m->blobs[m->nblobs++] = m->digest;
    if (man.kind == CRIOIMG_MANIFEST_OCI || man.kind == CRIOIMG_MANIFEST_DOCKER_V2) {
        long long total = 0, sz;
        int whole = 1, valid = 1;
        crioimg_digest dg;
        const char *d = man.config.digest;
        m->decl = (long long *)crioimg__arena_alloc(&v->arena, &s->alloc, cap * sizeof *m->decl);
        if (m->decl == NULL) { m->r = CRIOIMG_ERR_NOMEM; crioimg_manifest_free(&man); return; }
        m->decl[0] = (long long)len;
        if (crioimg__st_digest_ok(d)) {
            if (crioimg_digest_parse(&dg, d, strlen(d)) == CRIOIMG_OK && dg.alg == CRIOIMG_DIGEST_SHA256)
                memcpy(m->id, dg.encoded.ptr, 64), m->id[64] = '\0';
            m->decl[m->nblobs] = man.config.size;
            m->blobs[m->nblobs++] = crioimg__st_strdup(v, &s->alloc, d);
            if (m->blobs[m->nblobs - 1] == NULL) { m->r = CRIOIMG_ERR_NOMEM; m->nblobs--; crioimg_manifest_free(&man); return; }
            if (crioimg__st_vstat(s, v, m->blobs[m->nblobs - 1], &sz) != CRIOIMG_OK || sz != man.config.size) whole = 0;
            total += man.config.size;
        } else whole = valid = 0;
        for (i = 0; i < man.nlayers; i++) {
            d = man.layers[i].digest;
            if (!crioimg__st_digest_ok(d)) { whole = valid = 0; continue; }
            m->decl[m->nblobs] = man.layers[i].size;
            m->blobs[m->nblobs++] = crioimg__st_strdup(v, &s->alloc, d);
            if (m->blobs[m->nblobs - 1] == NULL) { m->r = CRIOIMG_ERR_NOMEM; m->nblobs--; crioimg_manifest_free(&man); return; }
            if (crioimg__st_vstat(s, v, m->blobs[m->nblobs - 1], &sz) != CRIOIMG_OK || sz != man.layers[i].size) whole = 0;
            total += man.layers[i].size;
        }
        m->size = whole ? total : -1;
        m->cacheable = valid && m->id[0] && depth == 0;
    } else if (man.kind == CRIOIMG_MANIFEST_OCI_INDEX || man.kind == CRIOIMG_MANIFEST_DOCKER_LIST) {
        /* an index (skopeo copy --all) is the image of the instance this machine would run, as
           containers/image chooses it: its ID and size; every instance's blobs stay referenced */
        size_t which = (size_t)-1;
        char cerr[64];
        if (depth == 0 && crioimg_manifest_choose(&man, NULL, &which, cerr, sizeof cerr) != CRIOIMG_OK) which = (size_t)-1;
        for (i = 0; i < man.nmanifests; i++) {
            const char *d = man.manifests[i].digest;
            crioimg__st_mf child;
            size_t k;
            if (!crioimg__st_digest_ok(d)) continue;
            m->blobs[m->nblobs] = crioimg__st_strdup(v, &s->alloc, d);
            if (m->blobs[m->nblobs] == NULL) { m->r = CRIOIMG_ERR_NOMEM; break; }
            m->nblobs++;
            if (depth > 0) continue;
            memset(&child, 0, sizeof child);
            child.digest = m->blobs[m->nblobs - 1];
            crioimg__st_read_mf(s, v, &child, depth + 1);
            if (child.r != CRIOIMG_OK || child.nblobs < 2) continue;
            if (i == which && child.id[0]) { memcpy(m->id, child.id, sizeof m->id); m->size = child.size; }
            {   /* the child's config and layers join this entry's list */
                const char **nb = (const char **)crioimg__arena_alloc(&v->arena, &s->alloc,
                                                                     (cap + child.nblobs) * sizeof *nb);
                if (nb == NULL) continue;
                memcpy(nb, m->blobs, m->nblobs * sizeof *nb);
                for (k = 1; k < child.nblobs; k++) nb[m->nblobs++] = child.blobs[k];
                m->blobs = nb;
                cap += child.nblobs;
            }
        }
    }
    crioimg_manifest_free(&man);
}

/* ---- the listing cache's file format (what it holds and when it is trusted: store.h) ----
   "crioimg-cache-1\n"; u64 trusted (1: the sizes seen hold while the directories are as stamped);
   4 x 5 u64: per digest algorithm, blobs/<alg> (exists, st_dev, st_ino, mtime s, mtime ns); u64 record
   count; the records, in strcmp order of their manifest digests; u64 checksum of everything before it.
   A record: the manifest digest (u8 length, the bytes, NUL); u64 kind (0: read it every time -- an
   index, or a manifest that could not be read; 1: an image manifest); for kind 1, u64 the manifest's
   size, u64 the number of blobs, then each blob, config first: its digest (as above), u64 the size
   its descriptor declares, u64 the size seen (all ones: missing). Integers are little-endian. */
#define CRIOIMG__ST_CMAGIC "crioimg-cache-1\n"
#define CRIOIMG__ST_CHDR (16 + 8 + 4 * 5 * 8 + 8)

typedef struct crioimg__st_crec {
    const char *digest;           /* into the file's buffer */
    unsigned long long kind, mlen, nb;
    const unsigned char *p;       /* the first blob */
} crioimg__st_crec;

static unsigned long long crioimg__st_get64(const unsigned char *p)
{
    unsigned long long v = 0;
    int i;
    for (i = 7; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

static unsigned char *crioimg__st_put64(unsigned char *p, unsigned long long v)
{
    int i;
    for (i = 0; i < 8; i++, v >>= 8) p[i] = (unsigned char)(v & 0xff);
    return p + 8;
}

/* Not cryptographic: it catches a file torn by a crash (the cache is written without fsync) */
static unsigned long long crioimg__st_csum(const unsigned char *p, size_t n)
{
    unsigned long long h = 0x9e3779b97f4a7c15ULL;
    size_t i;
    for (i = 0; i + 8 <= n; i += 8) { h = (h ^ crioimg__st_get64(p + i)) * 0x100000001b3ULL; h ^= h >> 29; }
    for (; i < n; i++) h = (h ^ p[i]) * 0x100000001b3ULL;
    return h;
}

/* A digest in the file: length, bytes, NUL, and valid (the file is input like any other). */
static const char *crioimg__st_cstr(const unsigned char **pp, const unsigned char *end)
{
    const unsigned char *p = *pp;
    size_t l;
    if (p >= end) return NULL;
    l = *p;
    if ((size_t)(end - p) < l + 2 || p[1 + l] != '\0' || memchr(p + 1, '\0', l) != NULL) return NULL;
    if (!crioimg__st_digest_ok((const char *)p + 1)) return NULL;
    *pp = p + l + 2;
    return (const char *)p + 1;
}

/* Checks the whole file and returns its records (in the view's arena); none when anything is off. Sets
   v->cache.trusted when the sizes it saw still hold. */
static size_t crioimg__st_cache_decode(crioimg_store *s, crioimg__st_view *v, crioimg__st_crec **out)
{
    crioimg__st_cache *c = &v->cache;
    const unsigned char *p = (const unsigned char *)c->buf, *end;
    unsigned long long n, k, j;
    crioimg__st_crec *rec;
    int a, f;
    *out = NULL;
    c->trusted = 0;
    if (c->buf == NULL || !c->usable || c->len < CRIOIMG__ST_CHDR + 8 || memcmp(p, CRIOIMG__ST_CMAGIC, 16) != 0) return 0;
    end = p + c->len - 8;
    if (crioimg__st_get64(end) != crioimg__st_csum(p, c->len - 8)) return 0;
    n = crioimg__st_get64(p + CRIOIMG__ST_CHDR - 8);
    if (n > c->len / 10) return 0;
    rec = (crioimg__st_crec *)crioimg__arena_alloc(&v->arena, &s->alloc, ((size_t)n + 1) * sizeof *rec);
    if (rec == NULL) return 0;
    p += CRIOIMG__ST_CHDR;
    for (k = 0; k < n; k++) {
        rec[k].digest = crioimg__st_cstr(&p, end);
        if (rec[k].digest == NULL || (k && strcmp(rec[k - 1].digest, rec[k].digest) >= 0) || end - p < 8) return 0;
        rec[k].kind = crioimg__st_get64(p); p += 8;
        rec[k].nb = 0;
        if (rec[k].kind == 0) continue;
        if (rec[k].kind != 1 || end - p < 16) return 0;
        rec[k].mlen = crioimg__st_get64(p); rec[k].nb = crioimg__st_get64(p + 8); p += 16;
        /* config first, and sha256: the image ID is its hex */
        if (rec[k].nb < 1 || rec[k].nb > (unsigned long long)(end - p) / 18 || end - p < 8 || memcmp(p + 1, "sha256:", 7) != 0) return 0;
        rec[k].p = p;
        for (j = 0; j < rec[k].nb; j++) {
            if (crioimg__st_cstr(&p, end) == NULL || end - p < 16) return 0;
            if (crioimg__st_get64(p) > ((unsigned long long)1 << 48)) return 0;   /* no sum can overflow */
            p += 16;
        }
    }
    if (p != end) return 0;
    f = crioimg__st_get64((const unsigned char *)c->buf + 16) == 1;
    for (a = 0; a < 4 && f; a++)
        for (j = 0; j < 5 && f; j++) f = crioimg__st_get64((const unsigned char *)c->buf + 24 + (a * 5 + j) * 8) == c->cur[a][j];
    c->trusted = f;
    *out = rec;
    return (size_t)n;
}

/* An image manifest from its record. stat_now: the record's sizes are not trusted, ask the store for
   each (and for the manifest's own size, which must be the record's). 0: read the manifest instead. */
static int crioimg__st_from_rec(crioimg_store *s, crioimg__st_view *v, crioimg__st_mf *m, const crioimg__st_crec *rc, int stat_now)
{
    const unsigned char *p = rc->p;
    size_t j, nb = (size_t)rc->nb;
    long long total = 0, sz;
    int whole = 1;
    if (rc->kind != 1) return 0;
    if (stat_now && (crioimg__st_vstat(s, v, m->digest, &sz) != CRIOIMG_OK || (unsigned long long)sz != rc->mlen)) return 0;
    m->blobs = (const char **)crioimg__arena_alloc(&v->arena, &s->alloc, (nb + 1) * sizeof *m->blobs);
    m->decl = (long long *)crioimg__arena_alloc(&v->arena, &s->alloc, (nb + 1) * sizeof *m->decl);
    if (m->blobs == NULL || m->decl == NULL) return 0;
    m->blobs[0] = m->digest; m->decl[0] = (long long)rc->mlen; m->nblobs = 1;
    for (j = 0; j < nb; j++) {
        const char *d = (const char *)p + 1;
        long long decl, seen;
        p += 2 + *p;
        decl = (long long)crioimg__st_get64(p);
        seen = (long long)crioimg__st_get64(p + 8);
        p += 16;
        if (stat_now && crioimg__st_vstat(s, v, d, &seen) != CRIOIMG_OK) seen = -1;
        if (seen != decl) whole = 0;
        total += decl;
        m->decl[m->nblobs] = decl;
        m->blobs[m->nblobs++] = d;
    }
    memcpy(m->id, m->blobs[1] + 7, 64);
    m->id[64] = '\0';
    m->size = whole ? total : -1;
    m->r = CRIOIMG_OK;
    m->cacheable = 1;
    return 1;
}

static unsigned char *crioimg__st_cput(unsigned char *p, const char *d)
{
    size_t l = strlen(d);
    *p++ = (unsigned char)l;
    memcpy(p, d, l + 1);
    return p + l + 1;
}

/* Writes the new cache file: every manifest of the view, with the sizes seen since it was begun. */
static void crioimg__st_cache_save(crioimg_store *s, crioimg__st_view *v)
{
    crioimg__st_cache *c = &v->cache;
    size_t i, j, need = CRIOIMG__ST_CHDR + 8;
    unsigned char *buf, *p;
    int a;
    for (i = 0; i < v->nmf; i++) {
        const crioimg__st_mf *m = &v->mfs[i];
        need += 2 + strlen(m->digest) + 8;
        if (m->r == CRIOIMG_OK && m->cacheable)
            for (need += 16, j = 1; j < m->nblobs; j++) need += 2 + strlen(m->blobs[j]) + 16;
    }
    buf = (unsigned char *)crioimg_malloc(&s->alloc, need);
    if (buf == NULL) { s->cache->end(s->vt.user, c, NULL, 0); return; }
    memcpy(buf, CRIOIMG__ST_CMAGIC, 16);
    p = crioimg__st_put64(buf + 16, (unsigned long long)c->fresh_trusted);
    for (a = 0; a < 4; a++) for (j = 0; j < 5; j++) p = crioimg__st_put64(p, c->cur[a][j]);
    p = crioimg__st_put64(p, (unsigned long long)v->nmf);
    for (i = 0; i < v->nmf; i++) {
        const crioimg__st_mf *m = &v->mfs[i];
        int img = m->r == CRIOIMG_OK && m->cacheable;
        p = crioimg__st_cput(p, m->digest);
        p = crioimg__st_put64(p, (unsigned long long)img);
        if (!img) continue;
        p = crioimg__st_put64(p, (unsigned long long)m->decl[0]);
        p = crioimg__st_put64(p, (unsigned long long)(m->nblobs - 1));
        for (j = 1; j < m->nblobs; j++) {
            long long sz = -1;
            crioimg_result r = crioimg__st_vstat(s, v, m->blobs[j], &sz);
            /* only a size it read, or "missing" for a blob that is not there: a stat that failed otherwise
               (EOVERFLOW, EIO) or gave no size leaves the old cache as it is */
            if (r == CRIOIMG_OK ? sz < 0 : r != CRIOIMG_ERR_NOT_FOUND) { crioimg_free(&s->alloc, buf); s->cache->end(s->vt.user, c, NULL, 0); return; }
            p = crioimg__st_cput(p, m->blobs[j]);
            p = crioimg__st_put64(p, (unsigned long long)m->decl[j]);
            p = crioimg__st_put64(p, r == CRIOIMG_OK ? (unsigned long long)sz : ~0ULL);
        }
    }
    crioimg__st_put64(p, crioimg__st_csum(buf, (size_t)(p - buf)));
    s->cache->end(s->vt.user, c, buf, need);
    crioimg_free(&s->alloc, buf);
}

/* Every distinct manifest of the view: from the cache where it has them, else read. */
static crioimg_result crioimg__st_read_mfs(crioimg_store *s, crioimg__st_view *v, int save)
{
    crioimg__st_crec *rec = NULL;
    size_t nrec = 0, ri = 0, i, *hit;
    int all = 1;
    char saved[512];
    saved[0] = '\0';
    v->cache.fd = -1;
    hit = (size_t *)crioimg__arena_alloc(&v->arena, &s->alloc, (v->nmf + 1) * sizeof *hit);
    if (hit == NULL) return CRIOIMG_ERR_NOMEM;
    if (s->cache) {
        s->cache->load(s->vt.user, &s->alloc, &v->cache);
        nrec = crioimg__st_cache_decode(s, v, &rec);
    }
    for (i = 0; i < v->nmf; i++) {   /* both in digest order */
        while (ri < nrec && strcmp(rec[ri].digest, v->mfs[i].digest) < 0) ri++;
        hit[i] = ri < nrec && strcmp(rec[ri].digest, v->mfs[i].digest) == 0 ? ri : (size_t)-1;
        if (hit[i] == (size_t)-1) all = 0;
    }
    /* a new file when this one is stale or lacks a manifest; begun before any stat, which is what
       makes the sizes it records trustworthy */
    if (s->cache && save && v->cache.usable && !(v->cache.trusted && all)) s->cache->begin(s->vt.user, &v->cache);
    for (i = 0; i < v->nmf; i++) {
        crioimg__st_mf *m = &v->mfs[i];
        if (hit[i] == (size_t)-1 || !crioimg__st_from_rec(s, v, m, &rec[hit[i]], !v->cache.trusted)) crioimg__st_read_mf(s, v, m, 0);
        if (m->r != CRIOIMG_OK && saved[0] == '\0') memcpy(saved, s->err, sizeof saved);
        if (m->r == CRIOIMG_ERR_NOMEM) { if (v->cache.fresh) s->cache->end(s->vt.user, &v->cache, NULL, 0); return CRIOIMG_ERR_NOMEM; }
    }
    if (v->cache.fresh) crioimg__st_cache_save(s, v);
    memcpy(s->err, saved, sizeof saved);   /* the first broken manifest, for whoever asks */
    return CRIOIMG_OK;
}

/* Loads the index; with manifests set, also every distinct manifest (IDs, sizes, blobs). save: a
   listing, which refreshes the cache when it is stale. */
static crioimg_result crioimg__st_view_load(crioimg_store *s, crioimg__st_view *v, int manifests, int save)
{
    crioimg_result r;
    size_t i, j;
    crioimg__st_sortkey *k = NULL;
    memset(v, 0, sizeof *v);
    v->cache.fd = -1;
    r = crioimg__st_read_index(s, &v->e, &v->n);
    if (r != CRIOIMG_OK) return r;
    v->names = (const char **)crioimg__arena_alloc(&v->arena, &s->alloc, (v->n + 1) * sizeof *v->names);
    v->mf = (size_t *)crioimg__arena_alloc(&v->arena, &s->alloc, (v->n + 1) * sizeof *v->mf);
    v->mfs = (crioimg__st_mf *)crioimg__arena_alloc(&v->arena, &s->alloc, (v->n + 1) * sizeof *v->mfs);
    k = (crioimg__st_sortkey *)crioimg_malloc(&s->alloc, (v->n + 1) * sizeof *k);
    if (!v->names || !v->mf || !v->mfs || !k) { crioimg_free(&s->alloc, k); return CRIOIMG_ERR_NOMEM; }
    for (i = 0; i < v->n; i++) {
        char norm[CRIOIMG_REF_STRING_MAX + 1];
        if (!crioimg__st_digest_ok(v->e[i].digest)) {   /* a backend must not hand these over; check anyway */
            crioimg_free(&s->alloc, k);
            return crioimg__st_fail(s, CRIOIMG_ERR_STORE_CORRUPT, "index entry with an invalid digest \"", v->e[i].digest, "\"");
        }
        v->names[i] = crioimg__st_norm(v->e[i].name, norm, NULL) ? crioimg__st_strdup(v, &s->alloc, norm) : NULL;
        crioimg__st_setkey(&k[i], v->e[i].digest, i);
    }
    /* distinct manifests, by digest */
    qsort(k, v->n, sizeof *k, crioimg__st_cmpkey);
    for (i = 0; i < v->n; i = j) {
        crioimg__st_mf *m = &v->mfs[v->nmf];
        memset(m, 0, sizeof *m);
        m->digest = k[i].key;
        m->r = CRIOIMG_OK;
        for (j = i; j < v->n && strcmp(k[j].key, k[i].key) == 0; j++) v->mf[k[j].i] = v->nmf;
        v->nmf++;
    }
    crioimg_free(&s->alloc, k);
    if (manifests) {
        /* room for the blobs of typical images (config + a few layers) at half load; past that,
           crioimg__st_vstat stops caching */
        for (v->statcap = 64; v->statcap < v->nmf * 8; v->statcap *= 2) {}
        v->statc = (crioimg__st_statc *)crioimg__arena_alloc(&v->arena, &s->alloc, v->statcap * sizeof *v->statc);
        if (v->statc) memset(v->statc, 0, v->statcap * sizeof *v->statc);
        return crioimg__st_read_mfs(s, v, save);
    }
    return CRIOIMG_OK;
}

/* Groups manifests into images by ID; returns the number of images (mfs without an ID get none). */
static size_t crioimg__st_group(crioimg_store *s, crioimg__st_view *v, crioimg_result *r)
{
    size_t i, j, g = 0, nk = 0;
    crioimg__st_sortkey *k = (crioimg__st_sortkey *)crioimg_malloc(&s->alloc, (v->nmf + 1) * sizeof *k);
    *r = CRIOIMG_OK;
    if (k == NULL) { *r = CRIOIMG_ERR_NOMEM; return 0; }
    for (i = 0; i < v->nmf; i++) {
        v->mfs[i].group = (size_t)-1;
        if (v->mfs[i].id[0]) { crioimg__st_setkey(&k[nk], v->mfs[i].id, i); nk++; }
    }
    qsort(k, nk, sizeof *k, crioimg__st_cmpkey);
    for (i = 0; i < nk; i = j, g++)
        for (j = i; j < nk && strcmp(k[j].key, k[i].key) == 0; j++) v->mfs[k[j].i].group = g;
    crioimg_free(&s->alloc, k);
    return g;
}

/* ---- naming an image ---- */

typedef struct crioimg__st_target {
    const char *id;      /* the image's ID (into the view), or NULL when a name names an unreadable manifest */
    int by_id;           /* named by its ID or an ID prefix */
    char norm[CRIOIMG_REF_STRING_MAX + 1];  /* the normalised name, when named by one */
    size_t entry;        /* an entry with that name (or of that image) */
} crioimg__st_target;

static int crioimg__st_hexpfx(const char *s, size_t n)
{
    return crioimg_id_is_prefix(s, n, 3);
}

/* The image named by a full ID, a unique prefix, a name or a containers-storage: name. */
static crioimg_result crioimg__st_resolve(crioimg_store *s, crioimg__st_view *v, const char *input, crioimg__st_target *t)
{
    size_t n = strlen(input), i;
    const char *idq = NULL;        /* an ID or prefix to try */
    size_t idn = 0;
    int have_name = 0, is_full = 0;
    crioimg_ref ref;
    memset(t, 0, sizeof *t);
    if (n >= 19 && memcmp(input, "containers-storage:", 19) == 0) {
        crioimg_image_name in;
        char e[256];
        if (crioimg_image_name_parse(&in, input, n, e, sizeof e, NULL) != CRIOIMG_OK)
            return crioimg__st_fail(s, CRIOIMG_ERR_IMAGE_NAME_INVALID, e, NULL, NULL);
        if (in.id.len) { idq = in.id.ptr; idn = in.id.len; }
        if (in.has_ref) {
            ref = in.ref;
            if (ref.digest[0]) ref.tag[0] = '\0', ref.tag_len = 0;   /* the digest wins, as ParseDockerRef */
            crioimg_ref_tag_name_only(&ref);
            crioimg_ref_string(&ref, t->norm, sizeof t->norm);
            have_name = 1;
        }
    } else {
        if (n == 71 && memcmp(input, "sha256:", 7) == 0 && crioimg_id_is_full(input + 7, 64)) { idq = input + 7; idn = 64; }
        else if (crioimg_id_is_full(input, n)) { idq = input; idn = 64; }
        else {
            have_name = crioimg__st_norm(input, t->norm, &ref);
            if (crioimg__st_hexpfx(input, n)) { idq = input; idn = n; }
        }
    }
    is_full = idq != NULL && idn == 64;
    if (is_full) {
        for (i = 0; i < v->nmf; i++)
            if (memcmp(v->mfs[i].id, idq, 64) == 0) { t->id = v->mfs[i].id; t->by_id = 1; break; }
        if (t->id == NULL && !have_name) return crioimg__st_fail(s, CRIOIMG_ERR_IMAGE_UNKNOWN, "image not known: ", input, NULL);
        if (t->id) return CRIOIMG_OK;
    }
    if (have_name) {
        for (i = 0; i < v->n; i++)
            if (v->names[i] && strcmp(v->names[i], t->norm) == 0) {
                crioimg__st_mf *m = &v->mfs[v->mf[i]];
                if (m->r != CRIOIMG_OK && m->r != CRIOIMG_ERR_NOT_FOUND && m->id[0] == '\0') {
                    /* the name is there but its manifest is broken: say so, keep the entry findable */
                    t->id = NULL; t->entry = i;
                    return crioimg__st_fail(s, m->r, "image ", t->norm, ": its manifest cannot be read");
                }
                t->id = m->id[0] ? m->id : NULL;
                t->entry = i;
                return CRIOIMG_OK;
            }
        /* name@digest also finds an image of that repository pulled under another name form */
        if (ref.digest[0]) {
            for (i = 0; i < v->n; i++) {
                const char *nm = v->names[i];
                size_t rl = strlen(ref.name);
                if (nm && strncmp(nm, ref.name, rl) == 0 && (nm[rl] == ':' || nm[rl] == '@') &&
                    strcmp(v->mfs[v->mf[i]].digest, ref.digest) == 0 && v->mfs[v->mf[i]].id[0]) {
                    t->id = v->mfs[v->mf[i]].id; t->entry = i;
                    return CRIOIMG_OK;
                }
            }
        }
    }
    if (idq != NULL && !is_full) {
        const char *found = NULL;
        for (i = 0; i < v->nmf; i++) {
            if (v->mfs[i].id[0] && memcmp(v->mfs[i].id, idq, idn) == 0) {
                if (found && strcmp(found, v->mfs[i].id) != 0)
                    return crioimg__st_fail(s, CRIOIMG_ERR_STORE_AMBIGUOUS, "ambiguous image ID prefix \"", input, "\"");
                found = v->mfs[i].id;
            }
        }
        if (found) { t->id = found; t->by_id = 1; t->norm[0] = '\0'; return CRIOIMG_OK; }
    }
    if (!have_name && idq == NULL) {
        crioimg_result pr = crioimg_ref_parse_docker(&ref, input, n);
        char msg[CRIOIMG_IMAGE_NAME_ERR_MAX];
        if (pr == CRIOIMG_OK) pr = CRIOIMG_ERR_REF_FORMAT;
        crioimg_ref_error_message(pr, input, n, msg, sizeof msg);
        return crioimg__st_fail(s, pr, msg, NULL, NULL);
    }
    return crioimg__st_fail(s, CRIOIMG_ERR_IMAGE_UNKNOWN, "image not known: ", input, NULL);
}

/* ---- building image records ----
   Every step is a sort or a pass over the image's entries, so a listing is O(n log n) in the index
   whatever its shape (one image with 100,000 names; 4,000 manifests of one config), and an image's
   repo digests are at most one per repository plus one per named entry (see store.h). */

/* a repo digest to be: group (the repository's first name), order within it, the manifest */
typedef struct crioimg__st_pair { size_t g, ord, mf; } crioimg__st_pair;

static int crioimg__st_cmppair(const void *a, const void *b)
{
    const crioimg__st_pair *x = (const crioimg__st_pair *)a, *y = (const crioimg__st_pair *)b;
    if (x->g != y->g) return x->g < y->g ? -1 : 1;
    return x->ord < y->ord ? -1 : x->ord > y->ord;
}

/* Scratch for one image at a time, sized for the image with the most named entries. */
typedef struct crioimg__st_scratch {
    size_t *ent;                 /* the image's named entries, index order */
    size_t *uidx;                /* per named entry: its name's place among the distinct names */
    size_t *lead;                /* per distinct name: the first distinct name of its repository */
    const char **repo;           /* per distinct name: its repository, NULL when it has none */
    crioimg__st_sortkey *k;
    crioimg__st_pair *pairs;     /* 2 per named entry at most */
    size_t *mfstamp;             /* per manifest: the last repository group that took it */
    void *arena;                 /* the repository strings */
} crioimg__st_scratch;

/* The names (distinct, first-appearance order) and repo digests of an image: "repository@digest" for
   the image's first manifest (CRI-O's image digest) and for each manifest a name of that repository
   points at, deduplicated, repositories in the order of their first names. */
static crioimg_result crioimg__st_build_names(crioimg_store *s, crioimg__st_view *v, crioimg__st_scratch *x,
                                              size_t first, const size_t *next, size_t stamp0, crioimg_image *im, void **arena)
{
    size_t c = 0, nn = 0, a, j, np = 0, nr = 0, g = (size_t)-1, st = 0;
    const char **names, **dg;
    for (j = first; j != (size_t)-1; j = next[j]) if (v->names[j]) x->ent[c++] = j;
    if (c == 0) {   /* empty lists, never NULL ones, as before */
        static const char *const none[1] = { NULL };
        im->names = none; im->nnames = 0; im->digests = none; im->ndigests = 0;
        return CRIOIMG_OK;
    }
    /* distinct names: sorted, the first of each run (the sort breaks ties by position) stands for it */
    for (a = 0; a < c; a++) crioimg__st_setkey(&x->k[a], v->names[x->ent[a]], a);
    qsort(x->k, c, sizeof *x->k, crioimg__st_cmpkey);
    for (a = 0; a < c; a++)   /* lead, for now: per entry, the first entry with its name */
        x->lead[x->k[a].i] = a > 0 && strcmp(x->k[a].key, x->k[a - 1].key) == 0 ? x->lead[x->k[a - 1].i] : x->k[a].i;
    names = (const char **)crioimg__arena_alloc(arena, &s->alloc, (c + 1) * sizeof *names);
    if (names == NULL) return CRIOIMG_ERR_NOMEM;
    for (a = 0; a < c; a++) {
        if (x->lead[a] != a) { x->uidx[a] = x->uidx[x->lead[a]]; continue; }   /* that first came earlier */
        x->uidx[a] = nn;
        names[nn++] = v->names[x->ent[a]];
    }
    /* repositories: each distinct name's, grouped by a sort */
    for (a = 0; a < nn; a++) {
        crioimg_ref rf;
        size_t rl;
        char *r;
        x->repo[a] = NULL;
        x->lead[a] = a;
        if (crioimg_ref_parse_docker(&rf, names[a], strlen(names[a])) != CRIOIMG_OK) continue;
        rl = strlen(rf.name) + 1;
        r = (char *)crioimg__arena_alloc(&x->arena, &s->alloc, rl);
        if (r == NULL) return CRIOIMG_ERR_NOMEM;
        memcpy(r, rf.name, rl);
        x->repo[a] = r;
        crioimg__st_setkey(&x->k[nr++], r, a);
    }
    qsort(x->k, nr, sizeof *x->k, crioimg__st_cmpkey);
    for (a = 1; a < nr; a++) if (strcmp(x->k[a].key, x->k[a - 1].key) == 0) x->lead[x->k[a].i] = x->lead[x->k[a - 1].i];
    /* candidate pairs: each repository with the first manifest, then with each of its names' */
    for (a = 0; a < nn; a++) if (x->repo[a] && x->lead[a] == a) { x->pairs[np].g = a; x->pairs[np].ord = 0; x->pairs[np].mf = v->mf[first]; np++; }
    for (a = 0; a < c; a++) {
        size_t u = x->uidx[a];
        if (x->repo[u] == NULL) continue;
        x->pairs[np].g = x->lead[u]; x->pairs[np].ord = a + 1; x->pairs[np].mf = v->mf[x->ent[a]]; np++;
    }
    qsort(x->pairs, np, sizeof *x->pairs, crioimg__st_cmppair);
    dg = (const char **)crioimg__arena_alloc(arena, &s->alloc, (np + 1) * sizeof *dg);
    if (dg == NULL) return CRIOIMG_ERR_NOMEM;
    nr = 0;
    for (a = 0; a < np; a++) {
        const crioimg__st_pair *p = &x->pairs[a];
        const char *repo = x->repo[p->g], *d = v->mfs[p->mf].digest;
        size_t rl = strlen(repo), dl = strlen(d);
        char *out;
        if (p->g != g) { g = p->g; st = stamp0 + a; }   /* a stamp no other group of any image used */
        if (x->mfstamp[p->mf] == st) continue;           /* this repository has it already */
        x->mfstamp[p->mf] = st;
        out = (char *)crioimg__arena_alloc(arena, &s->alloc, rl + 1 + dl + 1);
        if (out == NULL) return CRIOIMG_ERR_NOMEM;
        memcpy(out, repo, rl); out[rl] = '@'; memcpy(out + rl + 1, d, dl + 1);
        dg[nr++] = out;
    }
    /* names point into the view's arena: copied into the list's */
    for (a = 0; a < nn; a++) {
        size_t ln = strlen(names[a]) + 1;
        char *cp = (char *)crioimg__arena_alloc(arena, &s->alloc, ln);
        if (cp == NULL) return CRIOIMG_ERR_NOMEM;
        memcpy(cp, names[a], ln);
        names[a] = cp;
    }
    im->names = names; im->nnames = nn;
    im->digests = dg; im->ndigests = nr;
    return CRIOIMG_OK;
}

static crioimg_result crioimg__st_build(crioimg_store *s, crioimg__st_view *v, const char *only_id, crioimg_image_list *out)
{
    crioimg_result r;
    size_t ng, i, nimg = 0, maxc = 0, stamp = 0;
    size_t *slot = NULL, *order = NULL, *cnt = NULL, *next = NULL, *last = NULL;
    crioimg__st_scratch x;
    crioimg_image_list l;
    memset(&l, 0, sizeof l);
    memset(&x, 0, sizeof x);
    l.alloc = s->alloc;
    ng = crioimg__st_group(s, v, &r);
    if (r != CRIOIMG_OK) return r;
    slot = (size_t *)crioimg_malloc(&s->alloc, (ng + 1) * sizeof *slot);   /* group -> image, in index order */
    order = (size_t *)crioimg_malloc(&s->alloc, (ng + 1) * sizeof *order); /* image -> first entry */
    cnt = (size_t *)crioimg_malloc(&s->alloc, (ng + 1) * sizeof *cnt);     /* image -> named entries */
    next = (size_t *)crioimg_malloc(&s->alloc, (v->n + 1) * sizeof *next); /* entry -> next entry of its image */
    last = (size_t *)crioimg_malloc(&s->alloc, (ng + 1) * sizeof *last);   /* group -> its last entry so far */
    if (!slot || !order || !cnt || !next || !last) { r = CRIOIMG_ERR_NOMEM; goto done; }
    for (i = 0; i < ng; i++) slot[i] = last[i] = (size_t)-1;
    /* each image's entries as a chain, so building every image is linear in the index */
    for (i = 0; i < v->n; i++) {
        size_t g = v->mfs[v->mf[i]].group;
        next[i] = (size_t)-1;
        if (g == (size_t)-1) continue;
        if (last[g] != (size_t)-1) next[last[g]] = i;
        last[g] = i;
    }
    for (i = 0; i < v->n; i++) {
        size_t g = v->mfs[v->mf[i]].group;
        if (g == (size_t)-1) continue;
        if (only_id && strcmp(v->mfs[v->mf[i]].id, only_id) != 0) continue;
        if (slot[g] == (size_t)-1) { slot[g] = nimg; order[nimg] = i; cnt[nimg] = 0; nimg++; }
        if (v->names[i]) cnt[slot[g]]++;
    }
    for (i = 0; i < nimg; i++) if (cnt[i] > maxc) maxc = cnt[i];
    x.ent = (size_t *)crioimg_malloc(&s->alloc, (maxc + 1) * sizeof *x.ent);
    x.uidx = (size_t *)crioimg_malloc(&s->alloc, (maxc + 1) * sizeof *x.uidx);
    x.lead = (size_t *)crioimg_malloc(&s->alloc, (maxc + 1) * sizeof *x.lead);
    x.repo = (const char **)crioimg_malloc(&s->alloc, (maxc + 1) * sizeof *x.repo);
    x.k = (crioimg__st_sortkey *)crioimg_malloc(&s->alloc, (maxc + 1) * sizeof *x.k);
    x.pairs = (crioimg__st_pair *)crioimg_malloc(&s->alloc, (2 * maxc + 1) * sizeof *x.pairs);
    x.mfstamp = (size_t *)crioimg_malloc(&s->alloc, (v->nmf + 1) * sizeof *x.mfstamp);
    if (!x.ent || !x.uidx || !x.lead || !x.repo || !x.k || !x.pairs || !x.mfstamp) { r = CRIOIMG_ERR_NOMEM; goto done; }
    for (i = 0; i <= v->nmf; i++) x.mfstamp[i] = (size_t)-1;
    l.images = (crioimg_image *)crioimg__arena_alloc(&l.arena, &s->alloc, (nimg + 1) * sizeof *l.images);
    if (l.images == NULL) { r = CRIOIMG_ERR_NOMEM; goto done; }
    for (i = 0; i < nimg; i++) {
        crioimg_image *im = &l.images[i];
        const crioimg__st_mf *m0 = &v->mfs[v->mf[order[i]]];
        memset(im, 0, sizeof *im);
        memcpy(im->id, m0->id, 65);
        im->size = m0->size;
        r = crioimg__st_build_names(s, v, &x, order[i], next, stamp, im, &l.arena);
        if (r != CRIOIMG_OK) goto done;
        stamp += 2 * cnt[i] + 1;   /* past every stamp this image could use */
        crioimg__arena_free(&x.arena, &s->alloc);
        {
            size_t dl = strlen(m0->digest) + 1;
            char *c = (char *)crioimg__arena_alloc(&l.arena, &s->alloc, dl);
            if (c == NULL) { r = CRIOIMG_ERR_NOMEM; goto done; }
            memcpy(c, m0->digest, dl);
            im->manifest_digest = c;
        }
        if (im->nnames) {
            crioimg_ref rf;
            char fam[CRIOIMG_REF_STRING_MAX + 1];
            size_t fl;
            char *c;
            fam[0] = '\0';
            if (crioimg_ref_parse_normalized(&rf, im->names[0], strlen(im->names[0])) == CRIOIMG_OK)
                crioimg_ref_familiar_string(&rf, fam, sizeof fam);
            fl = strlen(fam) + 1;
            c = (char *)crioimg__arena_alloc(&l.arena, &s->alloc, fl);
            if (c == NULL) { r = CRIOIMG_ERR_NOMEM; goto done; }
            memcpy(c, fam, fl);
            im->image_ref = c;
        } else im->image_ref = "";
    }
    l.n = nimg;
    *out = l;
    l.arena = NULL;
    r = CRIOIMG_OK;
done:
    crioimg_free(&s->alloc, slot);
    crioimg_free(&s->alloc, order);
    crioimg_free(&s->alloc, cnt);
    crioimg_free(&s->alloc, next);
    crioimg_free(&s->alloc, last);
    crioimg_free(&s->alloc, x.ent);
    crioimg_free(&s->alloc, x.uidx);
    crioimg_free(&s->alloc, x.lead);
    crioimg_free(&s->alloc, x.repo);
    crioimg_free(&s->alloc, x.k);
    crioimg_free(&s->alloc, x.pairs);
    crioimg_free(&s->alloc, x.mfstamp);
    crioimg__arena_free(&x.arena, &s->alloc);
    crioimg__arena_free(&l.arena, &s->alloc);
    return r;
}

void crioimg_image_list_free(crioimg_image_list *l)
{
    if (l == NULL) return;
    crioimg__arena_free(&l->arena, &l->alloc);
    memset(l, 0, sizeof *l);
}

crioimg_result crioimg_store_list(crioimg_store *s, const char *filter, crioimg_image_list *out)
{
    crioimg__st_view v;
    crioimg__st_target t;
    crioimg_result r;
    if (out) memset(out, 0, sizeof *out);
    if (s == NULL || out == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    out->alloc = s->alloc;
    r = crioimg__st_lock(s, 0);
    if (r != CRIOIMG_OK) return r;
    r = crioimg__st_view_load(s, &v, 1, 1);
    if (r == CRIOIMG_OK) {
        if (filter && filter[0]) {
            /* the seed: a filter names one image; naming none lists nothing, without an error */
            if (crioimg__st_resolve(s, &v, filter, &t) == CRIOIMG_OK && t.id) r = crioimg__st_build(s, &v, t.id, out);
        } else r = crioimg__st_build(s, &v, NULL, out);
    }
    crioimg__st_view_free(s, &v);
    crioimg__st_unlock(s);
    return r;
}

/* The image's manifests read and verified again: the cache knew them, but a status is for one image
   and should notice a manifest changed in place (which the cache cannot see). */
static crioimg_result crioimg__st_verify(crioimg_store *s, crioimg__st_view *v, const char *id)
{
    size_t i;
    for (i = 0; i < v->nmf; i++) {
        void *data;
        size_t len;
        crioimg_result r;
        if (strcmp(v->mfs[i].id, id) != 0) continue;
        r = crioimg__st_get(s, v->mfs[i].digest, 0, &data, &len);
        crioimg_free(&s->alloc, data);
        if (r != CRIOIMG_OK) return r;
    }
    return CRIOIMG_OK;
}

crioimg_result crioimg_store_image_status(crioimg_store *s, const char *name, crioimg_image_list *out)
{
    crioimg__st_view v;
    crioimg__st_target t;
    crioimg_result r;
    if (out) memset(out, 0, sizeof *out);
    if (s == NULL || out == NULL || name == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    out->alloc = s->alloc;
    r = crioimg__st_lock(s, 0);
    if (r != CRIOIMG_OK) return r;
    r = crioimg__st_view_load(s, &v, 1, 1);
    if (r == CRIOIMG_OK) r = crioimg__st_resolve(s, &v, name, &t);
    if (r == CRIOIMG_OK && t.id == NULL) r = crioimg__st_fail(s, CRIOIMG_ERR_IMAGE_UNKNOWN, "image not known: ", name, NULL);
    if (r == CRIOIMG_OK && v.cache.buf) r = crioimg__st_verify(s, &v, t.id);
    if (r == CRIOIMG_OK) r = crioimg__st_build(s, &v, t.id, out);
    if (r == CRIOIMG_OK && out->n != 1) { crioimg_image_list_free(out); r = CRIOIMG_ERR_IMAGE_UNKNOWN; }
    crioimg__st_view_free(s, &v);
    crioimg__st_unlock(s);
    return r;
}

/* ---- changes ---- */

static int crioimg__st_cmpstr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int crioimg__st_findmf(const void *key, const void *elem)
{
    return strcmp((const char *)key, ((const crioimg__st_mf *)elem)->digest);
}

/* Writes the entries that keep[] marks (plus extra), then deletes the blobs that only dropped
   manifests referenced. The index goes first: a crash after it leaves unreferenced blobs, never an
   entry without its blobs. When a remaining manifest cannot be read, nothing is deleted: what it
   references is unknown. */
static crioimg_result crioimg__st_commit(crioimg_store *s, crioimg__st_view *v, const unsigned char *keep,
                                         const crioimg_store_entry *extra, size_t nextra, int gc)
{
    crioimg_store_entry *ne;
    size_t i, k, nn = 0, nkeep = 0, ncand = 0;
    const char **kept = NULL, **cand = NULL;
    unsigned char *mfkept = NULL;
    crioimg_result r;
    CRIOIMG__ST_NEED(s, write_index);
    ne = (crioimg_store_entry *)crioimg_malloc(&s->alloc, (v->n + nextra + 1) * sizeof *ne);
    if (ne == NULL) return CRIOIMG_ERR_NOMEM;
    for (i = 0; i < v->n; i++) if (keep[i]) ne[nn++] = v->e[i];
    for (i = 0; i < nextra; i++) ne[nn++] = extra[i];
    r = s->vt.write_index(s->vt.user, ne, nn);
    crioimg_free(&s->alloc, ne);
    if (r != CRIOIMG_OK || !gc || s->vt.blob_delete == NULL) return r;
    mfkept = (unsigned char *)crioimg_malloc(&s->alloc, v->nmf + 1);
    if (mfkept == NULL) return CRIOIMG_OK;   /* the index is written; leftover blobs are harmless */
    memset(mfkept, 0, v->nmf + 1);
    for (i = 0; i < v->n; i++) if (keep[i]) mfkept[v->mf[i]] = 1;
    for (i = 0; i < nextra; i++) {   /* the view's manifests are in digest order */
        const crioimg__st_mf *m = (const crioimg__st_mf *)bsearch(extra[i].digest, v->mfs, v->nmf, sizeof *v->mfs, crioimg__st_findmf);
        if (m) mfkept[m - v->mfs] = 1;
    }
    for (i = 0; i < v->nmf; i++) {
        if (mfkept[i] && v->mfs[i].r != CRIOIMG_OK) goto out;
        if (mfkept[i]) nkeep += v->mfs[i].nblobs; else ncand += v->mfs[i].nblobs;
    }
    kept = (const char **)crioimg_malloc(&s->alloc, (nkeep + 1) * sizeof *kept);
    cand = (const char **)crioimg_malloc(&s->alloc, (ncand + 1) * sizeof *cand);
    if (!kept || !cand) goto out;
    nkeep = ncand = 0;
    for (i = 0; i < v->nmf; i++)
        for (k = 0; k < v->mfs[i].nblobs; k++) {
            if (mfkept[i]) kept[nkeep++] = v->mfs[i].blobs[k];
            else cand[ncand++] = v->mfs[i].blobs[k];
        }
    qsort(kept, nkeep, sizeof *kept, crioimg__st_cmpstr);
    qsort(cand, ncand, sizeof *cand, crioimg__st_cmpstr);
    for (i = 0; i < ncand; i++) {
        if (i > 0 && strcmp(cand[i], cand[i - 1]) == 0) continue;
        if (nkeep && bsearch(&cand[i], kept, nkeep, sizeof *kept, crioimg__st_cmpstr)) continue;
        (void)s->vt.blob_delete(s->vt.user, cand[i]);   /* already gone is fine */
    }
out:
    crioimg_free(&s->alloc, kept);
    crioimg_free(&s->alloc, cand);
    crioimg_free(&s->alloc, mfkept);
    return CRIOIMG_OK;
}

/* Adds entries naming manifest (media type, size) with names[] (normalised already), taking each name
   from wherever it was; a manifest that so loses its last entry keeps one without a name. Sorts and
   per-manifest counts, so that it is O(n log n) however many names either side has. */
static int crioimg__st_findkey(const void *key, const void *elem)
{
    return strcmp((const char *)key, ((const crioimg__st_sortkey *)elem)->key);
}

static crioimg_result crioimg__st_add_names(crioimg_store *s, crioimg__st_view *v, const char *digest,
                                            const char *media_type, long long size, const char *const *names, size_t nn)
{
    unsigned char *keep, *first;
    size_t *left;                 /* per manifest: the entries it keeps */
    crioimg_store_entry *extra;
    crioimg__st_sortkey *k;
    size_t i, nx = 0;
    int have_unnamed = 0;
    crioimg_result r = CRIOIMG_ERR_NOMEM;
    keep = (unsigned char *)crioimg_malloc(&s->alloc, v->n + nn + 1);
    extra = (crioimg_store_entry *)crioimg_malloc(&s->alloc, (nn + v->n + 1) * sizeof *extra);
    left = (size_t *)crioimg_malloc(&s->alloc, (v->nmf + 1) * sizeof *left);
    k = (crioimg__st_sortkey *)crioimg_malloc(&s->alloc, (nn + 1) * sizeof *k);
    if (!keep || !extra || !left || !k) goto done;
    first = keep + v->n;
    /* the new names, sorted: the first of each run is the one added, and a look-up for the entries */
    for (i = 0; i < nn; i++) crioimg__st_setkey(&k[i], names[i], i);
    qsort(k, nn, sizeof *k, crioimg__st_cmpkey);
    for (i = 0; i < nn; i++) first[k[i].i] = i == 0 || strcmp(k[i].key, k[i - 1].key) != 0;
    memset(left, 0, (v->nmf + 1) * sizeof *left);
    for (i = 0; i < v->n; i++) {
        keep[i] = !(v->names[i] && nn && bsearch(v->names[i], k, nn, sizeof *k, crioimg__st_findkey));
        if (keep[i]) left[v->mf[i]]++;
        if (strcmp(v->e[i].digest, digest) == 0 && v->e[i].name[0] == '\0') have_unnamed = 1;
    }
    for (i = 0; i < nn; i++) {
        if (!first[i]) continue;
        extra[nx].name = names[i]; extra[nx].media_type = media_type; extra[nx].digest = digest; extra[nx].size = size;
        nx++;
    }
    if (nn == 0 && !have_unnamed) {
        extra[nx].name = ""; extra[nx].media_type = media_type; extra[nx].digest = digest; extra[nx].size = size;
        nx++;
    }
    /* a manifest left without entries keeps an unnamed one: its image stays, as containers/storage keeps it */
    for (i = 0; i < v->n; i++) {
        if (keep[i] || left[v->mf[i]] || strcmp(v->e[i].digest, digest) == 0) continue;
        extra[nx] = v->e[i]; extra[nx].name = ""; nx++;
        left[v->mf[i]] = 1;   /* once */
    }
    r = crioimg__st_commit(s, v, keep, extra, nx, 0);
done:
    crioimg_free(&s->alloc, keep);
    crioimg_free(&s->alloc, extra);
    crioimg_free(&s->alloc, left);
    crioimg_free(&s->alloc, k);
    return r;
}

/* Normalises names into one arena block: NULL and a detail on the first invalid one. */
static crioimg_result crioimg__st_norm_names(crioimg_store *s, const char *const *names, size_t nn, char ***out)
{
    size_t i;
    char **o;
    *out = NULL;
    o = (char **)crioimg_malloc(&s->alloc, (nn + 1) * (sizeof *o + CRIOIMG_REF_STRING_MAX + 1));
    if (o == NULL) return CRIOIMG_ERR_NOMEM;
    for (i = 0; i < nn; i++) {
        crioimg_ref ref;
        crioimg_result r = names[i] ? crioimg_ref_parse_docker(&ref, names[i], strlen(names[i])) : CRIOIMG_ERR_INVALID_ARGS;
        o[i] = (char *)(o + nn + 1) + i * (CRIOIMG_REF_STRING_MAX + 1);
        if (r != CRIOIMG_OK) {
            char msg[CRIOIMG_IMAGE_NAME_ERR_MAX];
            if (names[i]) crioimg_ref_error_message(r, names[i], strlen(names[i]), msg, sizeof msg); else msg[0] = '\0';
            crioimg_free(&s->alloc, o);
            return crioimg__st_fail(s, r, names[i] ? "invalid image name \"" : "NULL image name", names[i], names[i] ? "\"" : NULL);
        }
        crioimg_ref_string(&ref, o[i], CRIOIMG_REF_STRING_MAX + 1);
    }
    *out = o;
    return CRIOIMG_OK;
}

crioimg_result crioimg_store_add_image(crioimg_store *s, const char *manifest_digest, const char *const *names, size_t nnames)
{
    crioimg_result r;
    crioimg__st_view v;
    void *data = NULL;
    size_t len = 0, i;
    char **norm = NULL;
    crioimg_manifest man;
    crioimg_manifest_opts mo;
    long long sz;
    char media[128];
    if (s == NULL || manifest_digest == NULL || (names == NULL && nnames)) return CRIOIMG_ERR_INVALID_ARGS;
    s->err[0] = '\0';
    if (!crioimg__st_digest_ok(manifest_digest))
        return crioimg__st_fail(s, CRIOIMG_ERR_DIGEST_FORMAT, "invalid manifest digest \"", manifest_digest, "\"");
    r = crioimg__st_norm_names(s, names, nnames, &norm);
    if (r != CRIOIMG_OK) return r;
    r = crioimg__st_lock(s, 1);
    if (r != CRIOIMG_OK) { crioimg_free(&s->alloc, norm); return r; }
    memset(&v, 0, sizeof v);
    memset(&man, 0, sizeof man);
    memset(&mo, 0, sizeof mo);
    mo.alloc = s->alloc;
    r = crioimg__st_get(s, manifest_digest, 0, &data, &len);
    if (r != CRIOIMG_OK) goto done;
    r = crioimg_manifest_parse(&man, (const char *)data, len, NULL, &mo);
    if (r != CRIOIMG_OK) { crioimg__st_fail(s, r, "manifest: ", man.err, NULL); goto done; }
    if (man.kind != CRIOIMG_MANIFEST_OCI && man.kind != CRIOIMG_MANIFEST_DOCKER_V2) {
        r = crioimg__st_fail(s, CRIOIMG_ERR_MANIFEST_UNSUPPORTED, "manifest ", manifest_digest, ": not an image manifest");
        goto done;
    }
    {
        crioimg_digest dg;
        if (crioimg_digest_parse(&dg, man.config.digest, strlen(man.config.digest)) != CRIOIMG_OK || dg.alg != CRIOIMG_DIGEST_SHA256) {
            r = crioimg__st_fail(s, CRIOIMG_ERR_MANIFEST_UNSUPPORTED, "manifest ", manifest_digest, ": config digest is not sha256 (no image ID)");
            goto done;
        }
    }
    for (i = 0; i <= man.nlayers; i++) {
        const crioimg_descriptor *d = i == 0 ? &man.config : &man.layers[i - 1];
        r = crioimg__st_blob_stat(s, d->digest, &sz);
        if (r == CRIOIMG_OK && sz != d->size) r = CRIOIMG_ERR_SIZE_MISMATCH;
        if (r != CRIOIMG_OK) { crioimg__st_fail(s, r, "blob ", d->digest, r == CRIOIMG_ERR_NOT_FOUND ? ": not in the store" : ": wrong size"); goto done; }
    }
    {
        size_t ml = strlen(man.media_type);
        if (ml >= sizeof media) ml = sizeof media - 1;
        memcpy(media, man.media_type, ml); media[ml] = '\0';
    }
    r = crioimg__st_view_load(s, &v, 0, 0);
    if (r == CRIOIMG_OK) r = crioimg__st_add_names(s, &v, manifest_digest, media, (long long)len, (const char *const *)norm, nnames);
done:
    crioimg_manifest_free(&man);
    crioimg_free(&s->alloc, data);
    crioimg__st_view_free(s, &v);
    crioimg__st_unlock(s);
    crioimg_free(&s->alloc, norm);
    return r;
}

crioimg_result crioimg_store_tag(crioimg_store *s, const char *name_or_id, const char *new_name)
{
    crioimg_result r;
    crioimg__st_view v;
    crioimg__st_target t;
    char **norm = NULL;
    size_t i;
    if (s == NULL || name_or_id == NULL || new_name == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    s->err[0] = '\0';
    r = crioimg__st_norm_names(s, &new_name, 1, &norm);
    if (r != CRIOIMG_OK) return r;
    r = crioimg__st_lock(s, 1);
    if (r != CRIOIMG_OK) { crioimg_free(&s->alloc, norm); return r; }
    r = crioimg__st_view_load(s, &v, 1, 0);
    if (r == CRIOIMG_OK) r = crioimg__st_resolve(s, &v, name_or_id, &t);
    if (r == CRIOIMG_OK && t.id == NULL) r = crioimg__st_fail(s, CRIOIMG_ERR_IMAGE_UNKNOWN, "image not known: ", name_or_id, NULL);
    if (r == CRIOIMG_OK) {
        for (i = 0; i < v.n && strcmp(v.mfs[v.mf[i]].id, t.id) != 0; i++) {}
        r = crioimg__st_add_names(s, &v, v.e[i].digest, v.e[i].media_type, v.e[i].size, (const char *const *)norm, 1);
    }
    crioimg__st_view_free(s, &v);
    crioimg__st_unlock(s);
    crioimg_free(&s->alloc, norm);
    return r;
}

/* untag (remove_all 0) and remove (1). */
static crioimg_result crioimg__st_drop(crioimg_store *s, const char *name, int remove_all)
{
    crioimg_result r;
    crioimg__st_view v;
    crioimg__st_target t;
    unsigned char *keep = NULL;
    size_t i;
    if (s == NULL || name == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    r = crioimg__st_lock(s, 1);
    if (r != CRIOIMG_OK) return r;
    r = crioimg__st_view_load(s, &v, 1, 0);
    if (r == CRIOIMG_OK) {
        r = crioimg__st_resolve(s, &v, name, &t);
        /* a name whose manifest is broken can still be untagged or removed: only its entries go */
        if (r != CRIOIMG_OK && t.id == NULL && t.norm[0] && v.n && t.entry < v.n && v.names[t.entry] &&
            strcmp(v.names[t.entry], t.norm) == 0)
            r = CRIOIMG_OK, s->err[0] = '\0';
    }
    if (r == CRIOIMG_OK) {
        keep = (unsigned char *)crioimg_malloc(&s->alloc, v.n + 1);
        if (keep == NULL) r = CRIOIMG_ERR_NOMEM;
    }
    if (r == CRIOIMG_OK) {
        int whole = remove_all || t.by_id || t.id == NULL;
        size_t named_left = 0;
        for (i = 0; i < v.n; i++) {
            const crioimg__st_mf *m = &v.mfs[v.mf[i]];
            int mine = t.id ? strcmp(m->id, t.id) == 0 : (v.names[i] && strcmp(v.names[i], t.norm) == 0);
            keep[i] = 1;
            if (!mine) continue;
            if (whole || (v.names[i] && strcmp(v.names[i], t.norm) == 0)) keep[i] = 0;
            else if (v.names[i]) named_left++;
        }
        if (!whole && named_left == 0)   /* that was its last name: the image goes */
            for (i = 0; i < v.n; i++) if (strcmp(v.mfs[v.mf[i]].id, t.id) == 0) keep[i] = 0;
        r = crioimg__st_commit(s, &v, keep, NULL, 0, 1);
    }
    crioimg_free(&s->alloc, keep);
    crioimg__st_view_free(s, &v);
    crioimg__st_unlock(s);
    return r;
}

crioimg_result crioimg_store_untag(crioimg_store *s, const char *name) { return crioimg__st_drop(s, name, 0); }
crioimg_result crioimg_store_remove(crioimg_store *s, const char *name_or_id) { return crioimg__st_drop(s, name_or_id, 1); }

void crioimg_image_write_json(const crioimg_image *img, crioimg_json_writer *w)
{
    size_t i;
    crioimg_json_write_object_begin(w);
    crioimg_json_write_key(w, "id", 2);
    crioimg_json_write_string(w, img->id, strlen(img->id));
    crioimg_json_write_key(w, "names", 5);
    crioimg_json_write_array_begin(w);
    for (i = 0; i < img->nnames; i++) crioimg_json_write_string(w, img->names[i], strlen(img->names[i]));
    crioimg_json_write_array_end(w);
    crioimg_json_write_key(w, "digests", 7);
    crioimg_json_write_array_begin(w);
    for (i = 0; i < img->ndigests; i++) crioimg_json_write_string(w, img->digests[i], strlen(img->digests[i]));
    crioimg_json_write_array_end(w);
    crioimg_json_write_key(w, "size", 4);
    if (img->size < 0) crioimg_json_write_null(w); else crioimg_json_write_int(w, img->size);
    crioimg_json_write_key(w, "imageRef", 8);
    crioimg_json_write_string(w, img->image_ref, strlen(img->image_ref));
    crioimg_json_write_object_end(w);
}

/* ---- the in-memory store ---- */

/* A blob's bytes, counted: a reader keeps them alive after the blob is deleted. */
typedef struct crioimg__mem_bytes { size_t refs, len; unsigned char *p; } crioimg__mem_bytes;
typedef struct crioimg__mem_blob { char *digest; crioimg__mem_bytes *bytes; } crioimg__mem_blob;

typedef struct crioimg__mem {
    crioimg_store_entry *e;
    size_t n;
    crioimg__mem_blob *b;
    size_t nb, capb;
    int depth;
    crioimg_allocator alloc;
} crioimg__mem;

static crioimg_result crioimg__mem_lock(void *u, int exclusive) { (void)exclusive; ((crioimg__mem *)u)->depth++; return CRIOIMG_OK; }
static crioimg_result crioimg__mem_unlock(void *u) { ((crioimg__mem *)u)->depth--; return CRIOIMG_OK; }

static crioimg_result crioimg__mem_read_index(void *u, const crioimg_allocator *a, crioimg_store_entry **e, size_t *n)
{
    crioimg__mem *m = (crioimg__mem *)u;
    return crioimg__st_pack(a, m->e, m->n, e, n);
}

static crioimg_result crioimg__mem_write_index(void *u, const crioimg_store_entry *e, size_t n)
{
    crioimg__mem *m = (crioimg__mem *)u;
    crioimg_store_entry *ne;
    size_t nn;
    crioimg_result r = crioimg__st_pack(&m->alloc, e, n, &ne, &nn);
    if (r != CRIOIMG_OK) return r;
    crioimg_free(&m->alloc, m->e);
    m->e = ne; m->n = nn;
    return CRIOIMG_OK;
}

static void crioimg__mem_release(const crioimg_allocator *a, crioimg__mem_bytes *b)
{
    if (b == NULL || --b->refs > 0) return;
    crioimg_free(a, b->p);
    crioimg_free(a, b);
}

/* The blobs are kept in digest order: a look-up is a binary search (listing stats every blob), *at
   where d is or would go. */
static crioimg__mem_blob *crioimg__mem_search(crioimg__mem *m, const char *d, size_t *at)
{
    size_t lo = 0, hi = m->nb;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(m->b[mid].digest, d);
        if (c == 0) { *at = mid; return &m->b[mid]; }
        if (c < 0) lo = mid + 1; else hi = mid;
    }
    *at = lo;
    return NULL;
}

static crioimg__mem_blob *crioimg__mem_find(crioimg__mem *m, const char *d)
{
    size_t at;
    return crioimg__mem_search(m, d, &at);
}

static crioimg_result crioimg__mem_blob_stat(void *u, const char *d, long long *size)
{
    crioimg__mem_blob *b = crioimg__mem_find((crioimg__mem *)u, d);
    if (b == NULL) return CRIOIMG_ERR_NOT_FOUND;
    *size = (long long)b->bytes->len;
    return CRIOIMG_OK;
}

static crioimg_result crioimg__mem_blob_get(void *u, const char *d, size_t max, const crioimg_allocator *a, void **data, size_t *len)
{
    crioimg__mem_blob *b = crioimg__mem_find((crioimg__mem *)u, d);
    if (b == NULL) return CRIOIMG_ERR_NOT_FOUND;
    if (b->bytes->len > max) return CRIOIMG_ERR_TOO_BIG;
    *data = crioimg_malloc(a, b->bytes->len + 1);
    if (*data == NULL) return CRIOIMG_ERR_NOMEM;
    if (b->bytes->len) memcpy(*data, b->bytes->p, b->bytes->len);
    *len = b->bytes->len;
    return CRIOIMG_OK;
}

static crioimg_result crioimg__mem_blob_put(void *u, const char *d, const void *data, size_t len)
{
    crioimg__mem *m = (crioimg__mem *)u;
    crioimg__mem_blob *b;
    size_t dl = strlen(d) + 1, at;
    if (crioimg__mem_search(m, d, &at)) return CRIOIMG_OK;
    if (m->nb == m->capb) {
        size_t nc = m->capb ? m->capb * 2 : 16;
        crioimg__mem_blob *nbp = (crioimg__mem_blob *)crioimg_realloc(&m->alloc, m->b, nc * sizeof *nbp);
        if (nbp == NULL) return CRIOIMG_ERR_NOMEM;
        m->b = nbp; m->capb = nc;
    }
    memmove(&m->b[at + 1], &m->b[at], (m->nb - at) * sizeof *m->b);
    b = &m->b[at];
    b->digest = (char *)crioimg_malloc(&m->alloc, dl);
    b->bytes = (crioimg__mem_bytes *)crioimg_malloc(&m->alloc, sizeof *b->bytes);
    if (b->bytes) { b->bytes->refs = 1; b->bytes->len = len; b->bytes->p = (unsigned char *)crioimg_malloc(&m->alloc, len + 1); }
    if (!b->digest || !b->bytes || !b->bytes->p) {
        crioimg_free(&m->alloc, b->digest);
        if (b->bytes) crioimg_free(&m->alloc, b->bytes->p);
        crioimg_free(&m->alloc, b->bytes);
        memmove(&m->b[at], &m->b[at + 1], (m->nb - at) * sizeof *m->b);
        return CRIOIMG_ERR_NOMEM;
    }
    memcpy(b->digest, d, dl);
    if (len) memcpy(b->bytes->p, data, len);
    m->nb++;
    return CRIOIMG_OK;
}

static crioimg_result crioimg__mem_blob_delete(void *u, const char *d)
{
    crioimg__mem *m = (crioimg__mem *)u;
    crioimg__mem_blob *b = crioimg__mem_find(m, d);
    if (b == NULL) return CRIOIMG_ERR_NOT_FOUND;
    crioimg_free(&m->alloc, b->digest);
    crioimg__mem_release(&m->alloc, b->bytes);
    m->nb--;
    memmove(b, b + 1, (size_t)(&m->b[m->nb] - b) * sizeof *b);
    return CRIOIMG_OK;
}

typedef struct crioimg__mem_r { crioimg__mem_bytes *b; size_t off; } crioimg__mem_r;

static crioimg_result crioimg__mem_blob_open(void *u, const char *d, void **handle, long long *size)
{
    crioimg__mem *m = (crioimg__mem *)u;
    crioimg__mem_blob *b = crioimg__mem_find(m, d);
    crioimg__mem_r *h;
    if (b == NULL) return CRIOIMG_ERR_NOT_FOUND;
    h = (crioimg__mem_r *)crioimg_malloc(&m->alloc, sizeof *h);
    if (h == NULL) return CRIOIMG_ERR_NOMEM;
    h->b = b->bytes; h->off = 0;
    h->b->refs++;
    *handle = h;
    *size = (long long)h->b->len;
    return CRIOIMG_OK;
}

static crioimg_result crioimg__mem_blob_read(void *u, void *handle, void *buf, size_t cap, size_t *n)
{
    crioimg__mem_r *h = (crioimg__mem_r *)handle;
    (void)u;
    *n = h->b->len - h->off < cap ? h->b->len - h->off : cap;
    memcpy(buf, h->b->p + h->off, *n);
    h->off += *n;
    return CRIOIMG_OK;
}

static void crioimg__mem_blob_close(void *u, void *handle)
{
    crioimg__mem *m = (crioimg__mem *)u;
    crioimg__mem_r *h = (crioimg__mem_r *)handle;
    crioimg__mem_release(&m->alloc, h->b);
    crioimg_free(&m->alloc, h);
}

static void crioimg__mem_close(void *u)
{
    crioimg__mem *m = (crioimg__mem *)u;
    crioimg_allocator a = m->alloc;
    size_t i;
    for (i = 0; i < m->nb; i++) { crioimg_free(&a, m->b[i].digest); crioimg__mem_release(&a, m->b[i].bytes); }
    crioimg_free(&a, m->b);
    crioimg_free(&a, m->e);
    crioimg_free(&a, m);
}

crioimg_result crioimg_store_open_memory(crioimg_store **out, const crioimg_store_opts *opts)
{
    crioimg_store_vtable vt;
    crioimg__mem *m;
    crioimg_result r;
    const crioimg_allocator *a = opts ? &opts->alloc : NULL;
    if (out == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    *out = NULL;
    if (crioimg_allocator_check(a) != CRIOIMG_OK) return CRIOIMG_ERR_INVALID_ARGS;
    m = (crioimg__mem *)crioimg_malloc(a, sizeof *m);
    if (m == NULL) return CRIOIMG_ERR_NOMEM;
    memset(m, 0, sizeof *m);
    if (a) m->alloc = *a;
    memset(&vt, 0, sizeof vt);
    vt.version = CRIOIMG_STORE_VTABLE_VERSION;
    vt.user = m;
    vt.lock = crioimg__mem_lock; vt.unlock = crioimg__mem_unlock;
    vt.read_index = crioimg__mem_read_index; vt.write_index = crioimg__mem_write_index;
    vt.blob_stat = crioimg__mem_blob_stat; vt.blob_get = crioimg__mem_blob_get;
    vt.blob_put = crioimg__mem_blob_put; vt.blob_delete = crioimg__mem_blob_delete;
    vt.close = crioimg__mem_close;
    vt.blob_open = crioimg__mem_blob_open; vt.blob_read = crioimg__mem_blob_read; vt.blob_close = crioimg__mem_blob_close;
    r = crioimg_store_open(out, &vt, opts);
    if (r != CRIOIMG_OK) crioimg__mem_close(m);
    return r;
}

/* ---- index.json, as the OCI layout store reads and writes it ---- */

#define CRIOIMG__OCI_INDEX_MAX ((size_t)1 << 30)   /* about five million entries */

/* The OCI ref.name grammar (image-spec annotations): components of alphanumerics joined by one of
   -._:@+ or "--", separated by '/'. containers/image checks oci: names with the same expression. */
static int crioimg__st_oci_name_ok(const char *s)
{
    size_t i = 0, n = strlen(s);
    while (i < n) {
        size_t run = 0;
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9'))) return 0;
        while (i < n && ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9'))) i++;
        if (i == n) return 1;
        if (s[i] == '/') { i++; if (i == n) return 0; continue; }
        while (i + run < n && strchr("-._:@+", s[i + run]) && s[i + run] != '\0') run++;
        if (run == 0) return 0;
        if (!(run == 1 || (run == 2 && s[i] == '-' && s[i + 1] == '-'))) return 0;
        i += run;
        if (i == n) return 0;
    }
    return n > 0;
}

crioimg_result crioimg_store_index_parse(const char *data, size_t len, const crioimg_allocator *a,
                                         crioimg_store_entry **entries, size_t *n, char *errout, size_t errcap)
{
    void *arena = NULL;
    size_t i, t, k;
    char err[512];
    crioimg_json doc;
    crioimg_json_opts jo;
    crioimg_store_entry *e = NULL;
    crioimg_result r;
    if (entries == NULL || n == NULL || (data == NULL && len)) return CRIOIMG_ERR_INVALID_ARGS;
    *entries = NULL; *n = 0; err[0] = '\0';
    if (crioimg_allocator_check(a) != CRIOIMG_OK) return CRIOIMG_ERR_INVALID_ARGS;
    memset(&jo, 0, sizeof jo);
    jo.max_size = CRIOIMG__OCI_INDEX_MAX;
    if (a) jo.alloc = *a;
    r = crioimg_json_parse(&doc, data, len, &jo);
    if (r != CRIOIMG_OK) {
        crioimg__st_fail3(err, r == CRIOIMG_ERR_NOMEM ? r : CRIOIMG_ERR_STORE_CORRUPT, "index.json: ", doc.err, NULL);
        if (errcap) { crioimg__out eo; eo.p = errout; eo.cap = errcap; eo.len = 0; errout[0] = '\0'; crioimg__out_str(&eo, err); }
        return r == CRIOIMG_ERR_NOMEM ? r : CRIOIMG_ERR_STORE_CORRUPT;
    }
    r = CRIOIMG_OK;
    if (doc.tok[0].type != CRIOIMG_JSON_OBJECT) { r = crioimg__st_fail3(err, CRIOIMG_ERR_STORE_CORRUPT, "index.json: not an object", NULL, NULL); goto done; }
    t = crioimg_json_get(&doc, 0, "manifests");
    if (t == CRIOIMG_JSON_NONE) goto done;    /* no images */
    if (doc.tok[t].type != CRIOIMG_JSON_ARRAY) { r = crioimg__st_fail3(err, CRIOIMG_ERR_STORE_CORRUPT, "index.json: manifests is not an array", NULL, NULL); goto done; }
    e = (crioimg_store_entry *)crioimg_malloc(a, (doc.tok[t].count + 1) * sizeof *e);
    if (e == NULL) { r = CRIOIMG_ERR_NOMEM; goto done; }
    for (i = t + 1, k = 0; k < doc.tok[t].count; i = doc.tok[i].next, k++) {
        size_t dt, mt, st, an, nm;
        long long sz = 0;
        char where[64];
        char *strs[3];
        size_t toks[3], j;
        crioimg__out wo;
        wo.p = where; wo.cap = sizeof where; wo.len = 0;
        crioimg__out_str(&wo, "index.json: manifests[");
        crioimg__out_uint(&wo, k);
        crioimg__out_str(&wo, "]: ");
        if (doc.tok[i].type != CRIOIMG_JSON_OBJECT) { r = crioimg__st_fail3(err, CRIOIMG_ERR_STORE_CORRUPT, where, "not an object", NULL); goto done; }
        dt = crioimg_json_get(&doc, i, "digest");
        mt = crioimg_json_get(&doc, i, "mediaType");
        st = crioimg_json_get(&doc, i, "size");
        an = crioimg_json_get(&doc, i, "annotations");
        nm = crioimg_json_get(&doc, an, CRIOIMG_STORE_NAME_ANNOTATION);
        if (nm == CRIOIMG_JSON_NONE) nm = crioimg_json_get(&doc, an, CRIOIMG_OCI_REF_NAME_ANNOTATION);
        if (dt == CRIOIMG_JSON_NONE || doc.tok[dt].type != CRIOIMG_JSON_STRING) { r = crioimg__st_fail3(err, CRIOIMG_ERR_STORE_CORRUPT, where, "no digest", NULL); goto done; }
        if (st != CRIOIMG_JSON_NONE && crioimg_json_int(&doc, st, 0, (long long)CRIOIMG__OCI_INDEX_MAX * 4, &sz) != CRIOIMG_OK) {
            r = crioimg__st_fail3(err, CRIOIMG_ERR_STORE_CORRUPT, where, "bad size", NULL); goto done;
        }
        toks[0] = nm; toks[1] = mt; toks[2] = dt;
        for (j = 0; j < 3; j++) {
            size_t l = (toks[j] != CRIOIMG_JSON_NONE && doc.tok[toks[j]].type == CRIOIMG_JSON_STRING) ? crioimg_json_string(&doc, toks[j], NULL, 0) : 0;
            strs[j] = (char *)crioimg__arena_alloc(&arena, a, l + 1);
            if (strs[j] == NULL) { r = CRIOIMG_ERR_NOMEM; goto done; }
            strs[j][0] = '\0';
            if (l) crioimg_json_string(&doc, toks[j], strs[j], l + 1);
            if (strlen(strs[j]) != l) { r = crioimg__st_fail3(err, CRIOIMG_ERR_STORE_CORRUPT, where, "NUL in a string", NULL); goto done; }
        }
        /* the digest becomes a path: checked before anything else sees it (CVE-2024-3727) */
        if (!crioimg__st_digest_ok(strs[2])) {
            char msg[300];
            crioimg_digest dg;
            crioimg_result dr = crioimg_digest_parse(&dg, strs[2], strlen(strs[2]));
            if (dr == CRIOIMG_OK) dr = CRIOIMG_ERR_DIGEST_UNSUPPORTED;
            crioimg_digest_error_message(dr, strs[2], strlen(strs[2]), msg, sizeof msg);
            r = crioimg__st_fail3(err, CRIOIMG_ERR_STORE_CORRUPT, where, msg, NULL);
            goto done;
        }
        e[k].name = strs[0]; e[k].media_type = strs[1]; e[k].digest = strs[2]; e[k].size = sz;
    }
    r = crioimg__st_pack(a, e, doc.tok[t].count, entries, n);
done:
    crioimg_free(a, e);
    crioimg__arena_free(&arena, a);
    crioimg_json_free(&doc);
    if (r != CRIOIMG_OK && errcap) { crioimg__out eo; eo.p = errout; eo.cap = errcap; eo.len = 0; errout[0] = '\0'; crioimg__out_str(&eo, err); }
    return r;
}

void crioimg_store_index_write(const crioimg_store_entry *e, size_t n, crioimg_json_writer *wp)
{
    size_t i;
    crioimg_json_write_object_begin(wp);
    crioimg_json_write_key(wp, "schemaVersion", 13);
    crioimg_json_write_int(wp, 2);
    crioimg_json_write_key(wp, "mediaType", 9);
    crioimg_json_write_string(wp, CRIOIMG_MEDIA_OCI_INDEX, strlen(CRIOIMG_MEDIA_OCI_INDEX));
    crioimg_json_write_key(wp, "manifests", 9);
    crioimg_json_write_array_begin(wp);
    for (i = 0; i < n; i++) {
        crioimg_json_write_object_begin(wp);
        crioimg_json_write_key(wp, "mediaType", 9);
        crioimg_json_write_string(wp, e[i].media_type, strlen(e[i].media_type));
        crioimg_json_write_key(wp, "digest", 6);
        crioimg_json_write_string(wp, e[i].digest, strlen(e[i].digest));
        crioimg_json_write_key(wp, "size", 4);
        crioimg_json_write_int(wp, e[i].size);
        if (e[i].name[0]) {
            const char *key = crioimg__st_oci_name_ok(e[i].name) ? CRIOIMG_OCI_REF_NAME_ANNOTATION : CRIOIMG_STORE_NAME_ANNOTATION;
            crioimg_json_write_key(wp, "annotations", 11);
            crioimg_json_write_object_begin(wp);
            crioimg_json_write_key(wp, key, strlen(key));
            crioimg_json_write_string(wp, e[i].name, strlen(e[i].name));
            crioimg_json_write_object_end(wp);
        }
        crioimg_json_write_object_end(wp);
    }
    crioimg_json_write_array_end(wp);
    crioimg_json_write_object_end(wp);
}

/* ---- the OCI image-layout store (POSIX.1-2008: openat and friends, plus flock) ---- */

#if !defined(CRIOIMG_NO_OCI_STORE) && (defined(__unix__) || defined(__APPLE__))
#  include <unistd.h>
#  if defined(CRIOIMG__POSIX2008)
#    define CRIOIMG__OCI_STORE 1
#  endif
#endif

#ifdef CRIOIMG__OCI_STORE
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <sys/stat.h>
#include <sys/file.h>
#include <time.h>
#include <stdio.h>   /* renameat */

/* The system calls through which the OCI store makes things durable. A test build (CRIOIMG__TEST_FAULTS
   defined before the implementation, as tests/test_all.c does) routes them through a table the tests
   swap, to fail them with ENOSPC or EIO at chosen points; any other build calls libc directly. */
#ifdef CRIOIMG__TEST_FAULTS
typedef struct crioimg__oci_sys {
    ssize_t (*write)(int fd, const void *buf, size_t n);
    int (*fsync)(int fd);
    int (*renameat)(int olddirfd, const char *oldpath, int newdirfd, const char *newpath);
} crioimg__oci_sys;
static crioimg__oci_sys crioimg__store_fault = { write, fsync, renameat };
#  define CRIOIMG__OCI_WRITE crioimg__store_fault.write
#  define CRIOIMG__OCI_FSYNC crioimg__store_fault.fsync
#  define CRIOIMG__OCI_RENAMEAT crioimg__store_fault.renameat
#else
#  define CRIOIMG__OCI_WRITE write
#  define CRIOIMG__OCI_FSYNC fsync
#  define CRIOIMG__OCI_RENAMEAT renameat
#endif

#define CRIOIMG__OCI_TMP ".crioimg-tmp-"
#define CRIOIMG__OCI_LOCK ".crioimg.lock"
typedef struct crioimg__oci {
    int root, lockfd;
    int algfd[4];             /* blobs/<alg>, by crioimg_digest_alg; -1 until first needed */
    int depth, exclusive, cleaned, read_only;
    unsigned long tmpn;
    char *err;                /* the store's detail buffer (512 bytes) */
    crioimg_allocator alloc;
} crioimg__oci;

static crioimg_result crioimg__oci_errno(crioimg__oci *o, int e, const char *what, const char *name)
{
    crioimg_result r = e == ENOENT ? CRIOIMG_ERR_NOT_FOUND : (e == ELOOP || e == ENOTDIR || e == EMLINK) ? CRIOIMG_ERR_STORE_UNSAFE :
                       e == ENOMEM ? CRIOIMG_ERR_NOMEM : CRIOIMG_ERR_IO;
    crioimg__out out;
    out.p = o->err; out.cap = 512; out.len = 0;
    crioimg__out_str(&out, what);
    crioimg__out_str(&out, " ");
    crioimg__out_str(&out, name);
    crioimg__out_str(&out, ": ");
    crioimg__out_str(&out, r == CRIOIMG_ERR_STORE_UNSAFE ? "a symlink or not a directory (never followed)" : strerror(e));
    return r;
}

/* Reads a regular file under dirfd, never through a symlink, at most max bytes. */
static crioimg_result crioimg__oci_read(crioimg__oci *o, int dirfd, const char *name, size_t max,
                                        const crioimg_allocator *a, void **data, size_t *len)
{
    struct stat st;
    char *buf;
    size_t got = 0;
    int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    *data = NULL; *len = 0;
    if (fd < 0) return crioimg__oci_errno(o, errno, "cannot open", name);
    if (fstat(fd, &st) != 0) { int e = errno; close(fd); return crioimg__oci_errno(o, e, "cannot stat", name); }
    if (!S_ISREG(st.st_mode)) { close(fd); return crioimg__st_fail3(o->err, CRIOIMG_ERR_STORE_UNSAFE, name, ": not a regular file", NULL); }
    if ((unsigned long long)st.st_size > (unsigned long long)max) { close(fd); return crioimg__st_fail3(o->err, CRIOIMG_ERR_TOO_BIG, name, ": too big", NULL); }
    buf = (char *)crioimg_malloc(a, (size_t)st.st_size + 1);
    if (buf == NULL) { close(fd); return CRIOIMG_ERR_NOMEM; }
    while (got < (size_t)st.st_size) {
        ssize_t k = read(fd, buf + got, (size_t)st.st_size - got);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) break;
        got += (size_t)k;
    }
    close(fd);
    if (got != (size_t)st.st_size) { crioimg_free(a, buf); return crioimg__st_fail3(o->err, CRIOIMG_ERR_IO, name, ": short read", NULL); }
    buf[got] = '\0';
    *data = buf; *len = got;
    return CRIOIMG_OK;
}

/* blobs/<alg> as a directory descriptor, made when create is set; never through a symlink. */
static crioimg_result crioimg__oci_algdir(crioimg__oci *o, const char *digest, int create, int *fd, const char **hex)
{
    crioimg_digest dg;
    int blobs;
    const char *an;
    if (crioimg_digest_parse(&dg, digest, strlen(digest)) != CRIOIMG_OK || dg.alg == CRIOIMG_DIGEST_UNKNOWN)
        return crioimg__st_fail3(o->err, CRIOIMG_ERR_DIGEST_FORMAT, "invalid digest \"", digest, "\"");
    *hex = dg.encoded.ptr;
    if (o->algfd[dg.alg] >= 0) { *fd = o->algfd[dg.alg]; return CRIOIMG_OK; }
    an = crioimg_digest_alg_name(dg.alg);
    blobs = openat(o->root, "blobs", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (blobs < 0 && errno == ENOENT && create) {
        if (mkdirat(o->root, "blobs", 0755) != 0 && errno != EEXIST) return crioimg__oci_errno(o, errno, "cannot create", "blobs");
        blobs = openat(o->root, "blobs", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
    if (blobs < 0) return crioimg__oci_errno(o, errno, "cannot open", "blobs");
    *fd = openat(blobs, an, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (*fd < 0 && errno == ENOENT && create) {
        if (mkdirat(blobs, an, 0755) != 0 && errno != EEXIST) { int e = errno; close(blobs); return crioimg__oci_errno(o, e, "cannot create blobs/", an); }
        (void)CRIOIMG__OCI_FSYNC(blobs);
        *fd = openat(blobs, an, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
    if (*fd < 0) { int e = errno; close(blobs); return crioimg__oci_errno(o, e, "cannot open blobs/", an); }
    close(blobs);
    o->algfd[dg.alg] = *fd;
    return CRIOIMG_OK;
}

/* A new temporary file in the store's root (the same file system as everything it will be renamed
   to), open for writing in *fdp; name gets its name. */
static crioimg_result crioimg__oci_tmpopen(crioimg__oci *o, char name[96], int *fdp)
{
    int fd = -1, tries;
    *fdp = -1;
    for (tries = 0; tries < 100 && fd < 0; tries++) {
        crioimg__out out;
        char num[64];
        unsigned long long v[3];
        int i, k;
        v[0] = (unsigned long long)getpid(); v[1] = ++o->tmpn; v[2] = (unsigned long long)time(NULL) ^ (unsigned long long)(size_t)o;
        out.p = name; out.cap = 96; out.len = 0;
        crioimg__out_str(&out, CRIOIMG__OCI_TMP);
        for (i = 0; i < 3; i++) {
            k = 0;
            do { num[k++] = "0123456789abcdef"[v[i] & 15]; v[i] >>= 4; } while (v[i] && k < 63);
            while (k) crioimg__out_put(&out, &num[--k], 1);
            if (i < 2) crioimg__out_put(&out, "-", 1);
        }
        fd = openat(o->root, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0 && errno != EEXIST) return crioimg__oci_errno(o, errno, "cannot create", name);
    }
    if (fd < 0) return crioimg__st_fail3(o->err, CRIOIMG_ERR_IO, "cannot create a temporary file", NULL, NULL);
    *fdp = fd;
    return CRIOIMG_OK;
}

/* Writes data to a new temporary file (crioimg__oci_tmpopen), fsynced. name gets its name. */
static crioimg_result crioimg__oci_tmp(crioimg__oci *o, const void *data, size_t len, char name[96])
{
    int fd;
    size_t done = 0;
    crioimg_result r = crioimg__oci_tmpopen(o, name, &fd);
    if (r != CRIOIMG_OK) return r;
    while (done < len) {
        ssize_t k = CRIOIMG__OCI_WRITE(fd, (const char *)data + done, len - done);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) { int e = k < 0 ? errno : EIO; close(fd); unlinkat(o->root, name, 0); return crioimg__oci_errno(o, e, "cannot write", name); }
        done += (size_t)k;
    }
    if (CRIOIMG__OCI_FSYNC(fd) != 0) { int e = errno; close(fd); unlinkat(o->root, name, 0); return crioimg__oci_errno(o, e, "cannot fsync", name); }
    if (close(fd) != 0) { int e = errno; unlinkat(o->root, name, 0); return crioimg__oci_errno(o, e, "cannot close", name); }
    return CRIOIMG_OK;
}

/* Replaces root/name with data atomically: temp file, fsync, rename, fsync of the directory. */
static crioimg_result crioimg__oci_replace(crioimg__oci *o, const char *name, const void *data, size_t len)
{
    char tmp[96];
    crioimg_result r = crioimg__oci_tmp(o, data, len, tmp);
    if (r != CRIOIMG_OK) return r;
    if (CRIOIMG__OCI_RENAMEAT(o->root, tmp, o->root, name) != 0) { int e = errno; unlinkat(o->root, tmp, 0); return crioimg__oci_errno(o, e, "cannot rename to", name); }
    (void)CRIOIMG__OCI_FSYNC(o->root);
    return CRIOIMG_OK;
}

/* Removes the temporary files a killed process left. Under the exclusive lock, so no index or small
   blob write is in progress; streaming writes hold their file's flock and are skipped. 1 when the whole
   directory was read (a listing that failed part way, readdir NULL with errno set, is tried again later). */
static int crioimg__oci_clean(crioimg__oci *o)
{
    int fd = dup(o->root), done;
    DIR *d;
    struct dirent *de;
    if (fd < 0) return 0;
    d = fdopendir(fd);
    if (d == NULL) { close(fd); return 0; }
    rewinddir(d);
    for (;;) {
        int tf;
        errno = 0;
        if ((de = readdir(d)) == NULL) break;
        if (strncmp(de->d_name, CRIOIMG__OCI_TMP, sizeof CRIOIMG__OCI_TMP - 1) != 0) continue;
        /* a streaming write in progress holds its file's flock: only files nobody holds go */
        tf = openat(o->root, de->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
        if (tf < 0) { if (errno == ELOOP) (void)unlinkat(o->root, de->d_name, 0); continue; }
        if (flock(tf, LOCK_EX | LOCK_NB) == 0) (void)unlinkat(o->root, de->d_name, 0);
        close(tf);
    }
    done = errno == 0;
    closedir(d);
    return done;
}

/* blobs/ and each blobs/<alg> there is must be a directory, not a symlink to one: checked at every
   lock, so that no command (a listing that would see no blobs, an untag that would rewrite the index
   believing its manifests broken) works on a store where they are not. Absent ones are fine. */
static crioimg_result crioimg__oci_safe_dirs(crioimg__oci *o)
{
    struct stat st;
    int b, i;
    if (fstatat(o->root, "blobs", &st, AT_SYMLINK_NOFOLLOW) != 0) return errno == ENOENT ? CRIOIMG_OK : crioimg__oci_errno(o, errno, "cannot stat", "blobs");
    if (!S_ISDIR(st.st_mode)) return crioimg__oci_errno(o, ENOTDIR, "unsafe store:", "blobs");
    b = openat(o->root, "blobs", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (b < 0) return crioimg__oci_errno(o, errno, "unsafe store:", "blobs");
    for (i = 1; i < 4; i++) {
        const char *an = crioimg_digest_alg_name((crioimg_digest_alg)i);
        char path[32] = "blobs/";
        size_t al = strlen(an);
        if (al > sizeof path - 7) al = sizeof path - 7;
        memcpy(path + 6, an, al); path[6 + al] = '\0';
        if (fstatat(b, an, &st, AT_SYMLINK_NOFOLLOW) != 0) {
            if (errno == ENOENT) continue;
            { int e = errno; close(b); return crioimg__oci_errno(o, e, "cannot stat", path); }
        }
        if (!S_ISDIR(st.st_mode)) { close(b); return crioimg__oci_errno(o, ENOTDIR, "unsafe store:", path); }
    }
    close(b);
    return CRIOIMG_OK;
}

static crioimg_result crioimg__oci_lock(void *u, int exclusive)
{
    crioimg__oci *o = (crioimg__oci *)u;
    crioimg_result r;
    if (o->depth++ > 0) return CRIOIMG_OK;
    if (o->lockfd >= 0) {
        while (flock(o->lockfd, exclusive ? LOCK_EX : LOCK_SH) != 0) {
            if (errno == EINTR) continue;
            o->depth--;
            return crioimg__oci_errno(o, errno, "cannot lock", CRIOIMG__OCI_LOCK);
        }
    } else if (exclusive) {
        o->depth--;
        return crioimg__st_fail3(o->err, CRIOIMG_ERR_STORE_READ_ONLY, "no lock file: cannot change the store", NULL, NULL);
    }
    r = crioimg__oci_safe_dirs(o);
    if (r != CRIOIMG_OK) {
        if (--o->depth == 0 && o->lockfd >= 0) (void)flock(o->lockfd, LOCK_UN);
        return r;
    }
    o->exclusive = exclusive;
    if (exclusive && !o->cleaned) o->cleaned = crioimg__oci_clean(o);
    return CRIOIMG_OK;
}

static crioimg_result crioimg__oci_unlock(void *u)
{
    crioimg__oci *o = (crioimg__oci *)u;
    if (o->depth > 0 && --o->depth == 0 && o->lockfd >= 0) (void)flock(o->lockfd, LOCK_UN);
    return CRIOIMG_OK;
}

static crioimg_result crioimg__oci_read_index(void *u, const crioimg_allocator *a, crioimg_store_entry **entries, size_t *n)
{
    crioimg__oci *o = (crioimg__oci *)u;
    void *data = NULL;
    size_t len = 0;
    crioimg_result r;
    r = crioimg__oci_read(o, o->root, "index.json", CRIOIMG__OCI_INDEX_MAX, a, &data, &len);
    if (r == CRIOIMG_ERR_NOT_FOUND) return crioimg__st_fail3(o->err, CRIOIMG_ERR_STORE_CORRUPT, "index.json is missing", NULL, NULL);
    if (r != CRIOIMG_OK) return r;
    r = crioimg_store_index_parse((const char *)data, len, a, entries, n, o->err, 512);
    crioimg_free(a, data);
    return r;
}

static crioimg_result crioimg__oci_write_index(void *u, const crioimg_store_entry *e, size_t n)
{
    crioimg__oci *o = (crioimg__oci *)u;
    crioimg_json_writer w;
    const char *text;
    size_t len;
    crioimg_result r;
    crioimg_json_writer_init(&w, &o->alloc);
    crioimg_store_index_write(e, n, &w);
    r = crioimg_json_writer_finish(&w, &text, &len);
    if (r == CRIOIMG_OK) r = crioimg__oci_replace(o, "index.json", text, len);
    crioimg_json_writer_free(&w);
    return r;
}

static crioimg_result crioimg__oci_blob_stat(void *u, const char *d, long long *size)
{
    crioimg__oci *o = (crioimg__oci *)u;
    int fd;
    const char *hex;
    struct stat st;
    crioimg_result r = crioimg__oci_algdir(o, d, 0, &fd, &hex);
    if (r != CRIOIMG_OK) return r;
    if (fstatat(fd, hex, &st, AT_SYMLINK_NOFOLLOW) != 0) return crioimg__oci_errno(o, errno, "cannot stat blob", d);
    if (!S_ISREG(st.st_mode)) return crioimg__st_fail3(o->err, CRIOIMG_ERR_STORE_UNSAFE, "blob ", d, ": not a regular file");
    *size = (long long)st.st_size;
    return CRIOIMG_OK;
}

static crioimg_result crioimg__oci_blob_get(void *u, const char *d, size_t max, const crioimg_allocator *a, void **data, size_t *len)
{
    crioimg__oci *o = (crioimg__oci *)u;
    int fd;
    const char *hex;
    crioimg_result r = crioimg__oci_algdir(o, d, 0, &fd, &hex);
    if (r != CRIOIMG_OK) return r;
    return crioimg__oci_read(o, fd, hex, max, a, data, len);
}

static crioimg_result crioimg__oci_blob_put(void *u, const char *d, const void *data, size_t len)
{
    crioimg__oci *o = (crioimg__oci *)u;
    int fd;
    const char *hex;
    char tmp[96];
    struct stat st;
    crioimg_result r = crioimg__oci_algdir(o, d, 1, &fd, &hex);
    if (r != CRIOIMG_OK) return r;
    /* already there (content-addressed: same name, same bytes; reads verify them anyway) */
    if (fstatat(fd, hex, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) && (unsigned long long)st.st_size == (unsigned long long)len)
        return CRIOIMG_OK;
    r = crioimg__oci_tmp(o, data, len, tmp);
    if (r != CRIOIMG_OK) return r;
    if (CRIOIMG__OCI_RENAMEAT(o->root, tmp, fd, hex) != 0) { int e = errno; unlinkat(o->root, tmp, 0); return crioimg__oci_errno(o, e, "cannot rename blob", d); }
    (void)CRIOIMG__OCI_FSYNC(fd);
    return CRIOIMG_OK;
}

static crioimg_result crioimg__oci_blob_delete(void *u, const char *d)
{
    crioimg__oci *o = (crioimg__oci *)u;
    int fd;
    const char *hex;
    crioimg_result r = crioimg__oci_algdir(o, d, 0, &fd, &hex);
    if (r != CRIOIMG_OK) return r;
    if (unlinkat(fd, hex, 0) != 0) return crioimg__oci_errno(o, errno, "cannot delete blob", d);
    return CRIOIMG_OK;
}

/* A streaming read: the open descriptor keeps reading the blob even if it is deleted meanwhile. */
typedef struct crioimg__oci_r { int fd; } crioimg__oci_r;

static crioimg_result crioimg__oci_blob_open(void *u, const char *d, void **handle, long long *size)
{
    crioimg__oci *o = (crioimg__oci *)u;
    int dfd, fd;
    const char *hex;
    struct stat st;
    crioimg__oci_r *h;
    crioimg_result r = crioimg__oci_algdir(o, d, 0, &dfd, &hex);
    if (r != CRIOIMG_OK) return r;
    fd = openat(dfd, hex, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return crioimg__oci_errno(o, errno, "cannot open blob", d);
    if (fstat(fd, &st) != 0) { int e = errno; close(fd); return crioimg__oci_errno(o, e, "cannot stat blob", d); }
    if (!S_ISREG(st.st_mode)) { close(fd); return crioimg__st_fail3(o->err, CRIOIMG_ERR_STORE_UNSAFE, "blob ", d, ": not a regular file"); }
    h = (crioimg__oci_r *)crioimg_malloc(&o->alloc, sizeof *h);
    if (h == NULL) { close(fd); return CRIOIMG_ERR_NOMEM; }
    h->fd = fd;
    *handle = h;
    *size = (long long)st.st_size;
    return CRIOIMG_OK;
}

static crioimg_result crioimg__oci_blob_read(void *u, void *handle, void *buf, size_t cap, size_t *n)
{
    crioimg__oci_r *h = (crioimg__oci_r *)handle;
    ssize_t k;
    do k = read(h->fd, buf, cap); while (k < 0 && errno == EINTR);
    if (k < 0) return crioimg__oci_errno((crioimg__oci *)u, errno, "cannot read", "blob");
    *n = (size_t)k;
    return CRIOIMG_OK;
}

static void crioimg__oci_blob_close(void *u, void *handle)
{
    crioimg__oci *o = (crioimg__oci *)u;
    crioimg__oci_r *h = (crioimg__oci_r *)handle;
    close(h->fd);
    crioimg_free(&o->alloc, h);
}

/* A streaming write: a temporary file flock()ed for as long as it is written, so that another process's
   cleanup (which removes only temporary files it can lock) leaves it alone. Made under the store's
   shared lock: a cleanup holds the exclusive one, so it cannot slip in between creating and locking. */
/* A blob being written. synced / sync_errno: what blob_sync did, which may run on another thread than
   the handle's other calls and so touches nothing but the handle (commit reports its failure). */
typedef struct crioimg__oci_w { int fd; char name[96]; int synced, sync_errno; } crioimg__oci_w;

static crioimg_result crioimg__oci_blob_begin(void *u, void **handle)
{
    crioimg__oci *o = (crioimg__oci *)u;
    crioimg__oci_w *h;
    crioimg_result r;
    h = (crioimg__oci_w *)crioimg_malloc(&o->alloc, sizeof *h);
    if (h == NULL) return CRIOIMG_ERR_NOMEM;
    h->synced = h->sync_errno = 0;
    r = crioimg__oci_lock(o, 0);
    if (r == CRIOIMG_OK) {
        r = crioimg__oci_tmpopen(o, h->name, &h->fd);
        if (r == CRIOIMG_OK && flock(h->fd, LOCK_EX | LOCK_NB) != 0) {
            r = crioimg__oci_errno(o, errno, "cannot lock", h->name);
            close(h->fd);
            unlinkat(o->root, h->name, 0);
        }
        crioimg__oci_unlock(o);
    }
    if (r != CRIOIMG_OK) { crioimg_free(&o->alloc, h); return r; }
    *handle = h;
    return CRIOIMG_OK;
}

static crioimg_result crioimg__oci_blob_write(void *u, void *handle, const void *data, size_t len)
{
    crioimg__oci *o = (crioimg__oci *)u;
    crioimg__oci_w *h = (crioimg__oci_w *)handle;
    size_t done = 0;
    while (done < len) {
        ssize_t k = CRIOIMG__OCI_WRITE(h->fd, (const char *)data + done, len - done);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return crioimg__oci_errno(o, k < 0 ? errno : EIO, "cannot write", h->name);
        done += (size_t)k;
    }
    return CRIOIMG_OK;
}

static void crioimg__oci_blob_abort(void *u, void *handle)
{
    crioimg__oci *o = (crioimg__oci *)u;
    crioimg__oci_w *h = (crioimg__oci_w *)handle;
    unlinkat(o->root, h->name, 0);
    close(h->fd);
    crioimg_free(&o->alloc, h);
}

/* The bytes made durable before commit, outside every lock, so that a commit under the store's lock is
   a rename (a 32 MiB blob's fsync takes 100 ms that other writers would otherwise wait through). */
static crioimg_result crioimg__oci_blob_sync(void *u, void *handle)
{
    crioimg__oci_w *h = (crioimg__oci_w *)handle;
    (void)u;
    if (h->synced || h->sync_errno) return h->sync_errno ? CRIOIMG_ERR_IO : CRIOIMG_OK;
    if (CRIOIMG__OCI_FSYNC(h->fd) != 0) { h->sync_errno = errno ? errno : EIO; return CRIOIMG_ERR_IO; }
    h->synced = 1;
    return CRIOIMG_OK;
}

static crioimg_result crioimg__oci_blob_commit(void *u, void *handle, const char *d)
{
    crioimg__oci *o = (crioimg__oci *)u;
    crioimg__oci_w *h = (crioimg__oci_w *)handle;
    int fd;
    const char *hex;
    crioimg_result r = CRIOIMG_OK;
    if (h->sync_errno) r = crioimg__oci_errno(o, h->sync_errno, "cannot fsync", h->name);
    else if (!h->synced && CRIOIMG__OCI_FSYNC(h->fd) != 0) r = crioimg__oci_errno(o, errno, "cannot fsync", h->name);
    if (r == CRIOIMG_OK) r = crioimg__oci_algdir(o, d, 1, &fd, &hex);
    if (r == CRIOIMG_OK && CRIOIMG__OCI_RENAMEAT(o->root, h->name, fd, hex) != 0) r = crioimg__oci_errno(o, errno, "cannot rename blob", d);
    if (r == CRIOIMG_OK) { (void)CRIOIMG__OCI_FSYNC(fd); close(h->fd); crioimg_free(&o->alloc, h); return CRIOIMG_OK; }
    crioimg__oci_blob_abort(u, handle);
    return r;
}

/* ---- the listing cache (.crioimg-cache) ---- */

#define CRIOIMG__OCI_CACHE ".crioimg-cache"
#if defined(__APPLE__)
#  define CRIOIMG__OCI_MTIM(st) ((st).st_mtimespec)
#else
#  define CRIOIMG__OCI_MTIM(st) ((st).st_mtim)
#endif

/* Each blobs/<alg> as it is now (absent ones all zero); 0 when blobs/ or one of them is not a plain
   directory: no cache then. */
static int crioimg__oci_stamps(crioimg__oci *o, unsigned long long cur[4][5])
{
    int b = openat(o->root, "blobs", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), i;
    memset(cur, 0, 4 * sizeof cur[0]);
    if (b < 0) return errno == ENOENT;
    for (i = 1; i < 4; i++) {
        struct stat st;
        if (fstatat(b, crioimg_digest_alg_name((crioimg_digest_alg)i), &st, AT_SYMLINK_NOFOLLOW) != 0) {
            if (errno == ENOENT) continue;
            close(b);
            return 0;
        }
        if (!S_ISDIR(st.st_mode)) { close(b); return 0; }
        cur[i][0] = 1;
        cur[i][1] = (unsigned long long)st.st_dev;
        cur[i][2] = (unsigned long long)st.st_ino;
        cur[i][3] = (unsigned long long)CRIOIMG__OCI_MTIM(st).tv_sec;
        cur[i][4] = (unsigned long long)CRIOIMG__OCI_MTIM(st).tv_nsec;
    }
    close(b);
    return 1;
}

static void crioimg__oci_cache_load(void *u, const crioimg_allocator *a, crioimg__st_cache *c)
{
    crioimg__oci *o = (crioimg__oci *)u;
    void *data = NULL;
    size_t len = 0;
    c->usable = crioimg__oci_stamps(o, c->cur);
    if (!c->usable) return;
    if (crioimg__oci_read(o, o->root, CRIOIMG__OCI_CACHE, CRIOIMG__OCI_INDEX_MAX, a, &data, &len) == CRIOIMG_OK) { c->buf = (char *)data; c->len = len; }
    else o->err[0] = '\0';   /* no cache (or an unreadable one) is no error: it is made again */
}

/* The new file's birth time is the proof: every directory's mtime must be older than it (by the same
   clock, the file system's), so a change made after the stats that follow cannot leave an mtime
   unchanged. Written only into stores crioimg manages (with a lock file), under the store's lock. */
static int crioimg__oci_cache_begin(void *u, crioimg__st_cache *c)
{
    crioimg__oci *o = (crioimg__oci *)u;
    struct stat st;
    int i;
    if (o->lockfd < 0 || o->depth == 0) return 0;
    if (crioimg__oci_tmpopen(o, c->tmp, &c->fd) != CRIOIMG_OK) { o->err[0] = '\0'; c->fd = -1; return 0; }
    if (fstat(c->fd, &st) != 0) { close(c->fd); unlinkat(o->root, c->tmp, 0); c->fd = -1; return 0; }
    c->fresh_trusted = 1;
    for (i = 1; i < 4; i++) {
        unsigned long long s0 = (unsigned long long)CRIOIMG__OCI_MTIM(st).tv_sec, n0 = (unsigned long long)CRIOIMG__OCI_MTIM(st).tv_nsec;
        if (!c->cur[i][0]) continue;
        if (c->cur[i][1] != (unsigned long long)st.st_dev || !(s0 > c->cur[i][3] || (s0 == c->cur[i][3] && n0 > c->cur[i][4])))
            c->fresh_trusted = 0;
    }
    c->fresh = 1;
    return 1;
}

/* No fsync: after a crash the file is stale or torn, and then it fails its stamps or its checksum. */
static void crioimg__oci_cache_end(void *u, crioimg__st_cache *c, const void *data, size_t len)
{
    crioimg__oci *o = (crioimg__oci *)u;
    size_t done = 0;
    int ok = data != NULL;
    while (ok && done < len) {
        ssize_t k = CRIOIMG__OCI_WRITE(c->fd, (const char *)data + done, len - done);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) ok = 0; else done += (size_t)k;
    }
    if (close(c->fd) != 0) ok = 0;
    c->fd = -1;
    c->fresh = 0;
    if (!ok || CRIOIMG__OCI_RENAMEAT(o->root, c->tmp, o->root, CRIOIMG__OCI_CACHE) != 0) (void)unlinkat(o->root, c->tmp, 0);
}

static const crioimg__st_cacheops crioimg__oci_cacheops = { crioimg__oci_cache_load, crioimg__oci_cache_begin, crioimg__oci_cache_end };

static void crioimg__oci_close(void *u)
{
    crioimg__oci *o = (crioimg__oci *)u;
    crioimg_allocator a = o->alloc;
    int i;
    for (i = 0; i < 4; i++) if (o->algfd[i] >= 0) close(o->algfd[i]);
    if (o->lockfd >= 0) close(o->lockfd);   /* drops this handle's flock only */
    if (o->root >= 0) close(o->root);
    crioimg_free(&a, o);
}

/* Checks the layout (creating an empty one when asked, under the lock). */
static crioimg_result crioimg__oci_check(crioimg__oci *o, int create)
{
    static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
    static const char empty[] = "{\"schemaVersion\":2,\"mediaType\":\"" CRIOIMG_MEDIA_OCI_INDEX "\",\"manifests\":[]}";
    void *data = NULL;
    size_t len = 0;
    crioimg_json doc;
    crioimg_result r = crioimg__oci_read(o, o->root, "oci-layout", 4096, &o->alloc, &data, &len);
    if (r == CRIOIMG_ERR_NOT_FOUND && create) {
        struct stat st;
        if (fstatat(o->root, "index.json", &st, AT_SYMLINK_NOFOLLOW) == 0)
            return crioimg__st_fail3(o->err, CRIOIMG_ERR_STORE_CORRUPT, "index.json without oci-layout: not an OCI image layout", NULL, NULL);
        r = crioimg__oci_replace(o, "index.json", empty, sizeof empty - 1);
        if (r == CRIOIMG_OK) r = crioimg__oci_replace(o, "oci-layout", layout, sizeof layout - 1);
        return r;
    }
    if (r == CRIOIMG_ERR_NOT_FOUND) return crioimg__st_fail3(o->err, CRIOIMG_ERR_STORE_CORRUPT, "no oci-layout file: not an OCI image layout", NULL, NULL);
    if (r != CRIOIMG_OK) return r;
    r = crioimg_json_parse(&doc, (const char *)data, len, NULL);
    if (r != CRIOIMG_OK || !crioimg_json_string_eq(&doc, crioimg_json_get(&doc, 0, "imageLayoutVersion"), "1.0.0", 5))
        r = crioimg__st_fail3(o->err, CRIOIMG_ERR_STORE_CORRUPT, "oci-layout: imageLayoutVersion is not \"1.0.0\"", NULL, NULL);
    crioimg_json_free(&doc);
    crioimg_free(&o->alloc, data);
    return r;
}

crioimg_result crioimg_store_open_oci(crioimg_store **out, const char *dir, const crioimg_store_opts *opts)
{
    crioimg_store_vtable vt;
    crioimg__oci *o;
    crioimg_result r;
    int i, create = opts ? opts->create && !opts->read_only : 0;
    const crioimg_allocator *a = opts ? &opts->alloc : NULL;
    if (out == NULL || dir == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    *out = NULL;
    if (crioimg_allocator_check(a) != CRIOIMG_OK) return CRIOIMG_ERR_INVALID_ARGS;
    o = (crioimg__oci *)crioimg_malloc(a, sizeof *o);
    if (o == NULL) return CRIOIMG_ERR_NOMEM;
    memset(o, 0, sizeof *o);
    if (a) o->alloc = *a;
    o->lockfd = -1;
    for (i = 0; i < 4; i++) o->algfd[i] = -1;
    o->read_only = opts ? opts->read_only : 0;
    memset(&vt, 0, sizeof vt);
    vt.version = CRIOIMG_STORE_VTABLE_VERSION;
    vt.user = o;
    vt.lock = crioimg__oci_lock; vt.unlock = crioimg__oci_unlock;
    vt.read_index = crioimg__oci_read_index; vt.write_index = crioimg__oci_write_index;
    vt.blob_stat = crioimg__oci_blob_stat; vt.blob_get = crioimg__oci_blob_get;
    vt.blob_put = crioimg__oci_blob_put; vt.blob_delete = crioimg__oci_blob_delete;
    vt.close = crioimg__oci_close;
    vt.blob_begin = crioimg__oci_blob_begin; vt.blob_write = crioimg__oci_blob_write;
    vt.blob_commit = crioimg__oci_blob_commit; vt.blob_abort = crioimg__oci_blob_abort;
    vt.blob_sync = crioimg__oci_blob_sync;
    vt.blob_open = crioimg__oci_blob_open; vt.blob_read = crioimg__oci_blob_read; vt.blob_close = crioimg__oci_blob_close;
    o->root = -1;
    r = crioimg_store_open(out, &vt, opts);
    if (r != CRIOIMG_OK) { crioimg_free(a, o); return r; }
    o->err = (*out)->err;
    (*out)->cache = &crioimg__oci_cacheops;
    /* the directory the caller names may be reached through a symlink: that is their choice; inside it,
       nothing is followed */
    o->root = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (o->root < 0 && errno == ENOENT && create) {
        if (mkdir(dir, 0755) != 0 && errno != EEXIST) { r = crioimg__oci_errno(o, errno, "cannot create", dir); goto fail; }
        o->root = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    }
    if (o->root < 0) { r = crioimg__oci_errno(o, errno, "cannot open", dir); if (r == CRIOIMG_ERR_STORE_UNSAFE) r = CRIOIMG_ERR_IO; goto fail; }
    if (!o->read_only) {
        /* O_NONBLOCK: a FIFO planted as the lock file must not hang the open (it is refused below) */
        o->lockfd = openat(o->root, CRIOIMG__OCI_LOCK, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0644);
        if (o->lockfd < 0 && (errno == EROFS || errno == EACCES)) o->read_only = 1, (*out)->read_only = 1;
        else if (o->lockfd < 0) { r = crioimg__oci_errno(o, errno, "cannot open", CRIOIMG__OCI_LOCK); goto fail; }
    }
    if (o->lockfd < 0) {
        o->lockfd = openat(o->root, CRIOIMG__OCI_LOCK, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
        if (o->lockfd < 0 && errno != ENOENT) { r = crioimg__oci_errno(o, errno, "cannot open", CRIOIMG__OCI_LOCK); goto fail; }
    }
    {
        struct stat st;
        if (o->lockfd >= 0 && (fstat(o->lockfd, &st) != 0 || !S_ISREG(st.st_mode))) {
            r = crioimg__st_fail3(o->err, CRIOIMG_ERR_STORE_UNSAFE, CRIOIMG__OCI_LOCK, ": not a regular file", NULL);
            goto fail;
        }
    }
    r = crioimg__oci_lock(o, create);
    if (r != CRIOIMG_OK) goto fail;
    r = crioimg__oci_check(o, create);
    crioimg__oci_unlock(o);
    if (r != CRIOIMG_OK) goto fail;
    return CRIOIMG_OK;
fail:
    crioimg_store_close(*out);
    *out = NULL;
    return r;
}

#else /* no POSIX.1-2008 */

crioimg_result crioimg_store_open_oci(crioimg_store **out, const char *dir, const crioimg_store_opts *opts)
{
    (void)dir; (void)opts;
    if (out) *out = NULL;
    return CRIOIMG_ERR_UNSUPPORTED;
}

#endif

/* ==== src/service.c ==== */
/* ---------------------------------------------------------------------------------------------------
   service implementation
   --------------------------------------------------------------------------------------------------- */

struct crioimg_service {
    crioimg_allocator alloc;
    crioimg_store *store;          /* borrowed */
    crioimg_registries *reg;
    crioimg_image_ids ids;         /* the registries' way into the store's IDs */
    char transport[64];
    crioimg_http *http;            /* opened on the first pull that brings none, kept for reuse */
    char err[2048];
};

/* The seed's truncated-ID expansion: only an image ID may match (never a name that looks like hex). */
static crioimg_result crioimg__svc_expand(void *user, const char *prefix, size_t n, char id[65])
{
    crioimg_service *svc = (crioimg_service *)user;
    crioimg_image_list l;
    char p[65];
    crioimg_result r;
    if (n < 3 || n > 64 || svc->store == NULL) return CRIOIMG_ERR_NOT_FOUND;
    memcpy(p, prefix, n);
    p[n] = '\0';
    if (!crioimg_id_is_prefix(p, n, 3)) return CRIOIMG_ERR_NOT_FOUND;
    r = crioimg_store_image_status(svc->store, p, &l);
    if (r == CRIOIMG_OK && l.n == 1 && strncmp(l.images[0].id, p, n) == 0) memcpy(id, l.images[0].id, 65);
    else r = CRIOIMG_ERR_NOT_FOUND;  /* none, several, or a name: not an ID prefix */
    crioimg_image_list_free(&l);
    return r;
}

/* err = a b (b may be NULL). */
static void crioimg__svc_say(char *err, size_t errcap, const char *a, const char *b)
{
    crioimg__out o;
    o.p = err; o.cap = errcap; o.len = 0;
    crioimg__out_str(&o, a);
    if (b) crioimg__out_str(&o, b);
}

static crioimg_result crioimg__svc_fail(crioimg_service *svc, crioimg_result r, const char *what)
{
    crioimg__svc_say(svc->err, sizeof svc->err, what && *what ? what : crioimg_result_str(r), NULL);
    return r;
}

crioimg_result crioimg_service_new(crioimg_service **out, crioimg_store *store, const crioimg_service_options *opts,
                                   char *err, size_t errcap)
{
    crioimg_service_options none;
    crioimg_registries_options ro;
    crioimg_service *svc;
    crioimg_result r;
    size_t i;
    if (err && errcap) err[0] = '\0';
    if (out == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    *out = NULL;
    if (opts == NULL) { memset(&none, 0, sizeof none); opts = &none; }
    if (crioimg_allocator_check(&opts->alloc) != CRIOIMG_OK ||
        (opts->ninsecure && opts->insecure_registries == NULL) || (opts->nregistries && opts->registries == NULL) ||
        (opts->default_transport && strlen(opts->default_transport) >= 64))
        return CRIOIMG_ERR_INVALID_ARGS;
    if ((svc = (crioimg_service *)crioimg_malloc(&opts->alloc, sizeof *svc)) == NULL) return CRIOIMG_ERR_NOMEM;
    memset(svc, 0, sizeof *svc);
    svc->alloc = opts->alloc;
    svc->store = store;
    strcpy(svc->transport, opts->default_transport ? opts->default_transport : "docker://");
    svc->ids.version = CRIOIMG_IMAGE_IDS_VERSION;
    svc->ids.user = svc;
    svc->ids.expand = crioimg__svc_expand;
    memset(&ro, 0, sizeof ro);
    ro.alloc = opts->alloc;
    ro.resolver = opts->resolver;
    ro.no_resolver = opts->no_resolver;
    ro.image_ids = &svc->ids;
    if ((r = crioimg_registries_new(&svc->reg, &ro)) != CRIOIMG_OK) { crioimg_free(&opts->alloc, svc); return r; }
    for (i = 0; i < opts->ninsecure && r == CRIOIMG_OK; i++)
        r = crioimg_registries_add_insecure(svc->reg, opts->insecure_registries[i], strlen(opts->insecure_registries[i]));
    for (i = 0; i < opts->nregistries && r == CRIOIMG_OK; i++)
        r = crioimg_registries_add_search(svc->reg, opts->registries[i], strlen(opts->registries[i]));
    if (r == CRIOIMG_OK && opts->registries_conf) r = crioimg_registries_load_conf(svc->reg, opts->registries_conf);
    if (r != CRIOIMG_OK) {
        crioimg__svc_say(err, err ? errcap : 0, crioimg_registries_error(svc->reg)[0] ? crioimg_registries_error(svc->reg) : crioimg_result_str(r), NULL);
        crioimg_service_free(svc);
        return r;
    }
    *out = svc;
    return CRIOIMG_OK;
}

void crioimg_service_free(crioimg_service *svc)
{
    crioimg_allocator a;
    if (svc == NULL) return;
    a = svc->alloc;
    crioimg_registries_free(svc->reg);
    crioimg_http_close(svc->http);
    crioimg_free(&a, svc);
}

const char *crioimg_service_error(const crioimg_service *svc) { return svc ? svc->err : ""; }
crioimg_store *crioimg_service_store(crioimg_service *svc) { return svc ? svc->store : NULL; }
crioimg_registries *crioimg_service_registries(crioimg_service *svc) { return svc ? svc->reg : NULL; }
const char *crioimg_service_default_transport(const crioimg_service *svc) { return svc ? svc->transport : ""; }

/* A store operation's result, with the store's message kept on the service */
static crioimg_result crioimg__svc_store(crioimg_service *svc, crioimg_result r)
{
    svc->err[0] = '\0';   /* the store functions refuse a NULL store: say why */
    if (svc->store == NULL) return crioimg__svc_fail(svc, CRIOIMG_ERR_INVALID_ARGS, "the image service has no store");
    return r == CRIOIMG_OK ? r : crioimg__svc_fail(svc, r, crioimg_store_error(svc->store));
}

crioimg_result crioimg_service_list_images(crioimg_service *svc, const char *filter, crioimg_image_list *out)
{
    if (svc == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    return crioimg__svc_store(svc, crioimg_store_list(svc->store, filter, out));
}

crioimg_result crioimg_service_image_status(crioimg_service *svc, const char *name, crioimg_image_list *out)
{
    if (svc == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    return crioimg__svc_store(svc, crioimg_store_image_status(svc->store, name, out));
}

crioimg_result crioimg_service_untag_image(crioimg_service *svc, const char *name)
{
    if (svc == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    return crioimg__svc_store(svc, crioimg_store_untag(svc->store, name));
}

crioimg_result crioimg_service_remove_image(crioimg_service *svc, const char *name)
{
    if (svc == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    return crioimg__svc_store(svc, crioimg_store_remove(svc->store, name));
}

crioimg_result crioimg_service_resolve_names(crioimg_service *svc, const char *name, size_t n, crioimg_candidates *out)
{
    crioimg_result r;
    if (svc == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    svc->err[0] = '\0';
    r = crioimg_registries_resolve(svc->reg, name, n, out);
    return r == CRIOIMG_OK ? r : crioimg__svc_fail(svc, r, crioimg_registries_error(svc->reg));
}

/* ---- where an image comes from ---- */

/* Adds "what: detail" to the service's message, "; " between sources, truncated at its end. */
static void crioimg__svc_note(crioimg_service *svc, const char *what, const char *detail)
{
    crioimg__out o;
    o.p = svc->err; o.cap = sizeof svc->err; o.len = strlen(svc->err);
    if (o.len) crioimg__out_str(&o, "; ");
    crioimg__out_str(&o, what);
    crioimg__out_str(&o, ": ");
    crioimg__out_str(&o, detail);
}

/* The reference part of name: "docker://" dropped; a name with any other transport cannot be pulled. A
   name that is not transport-qualified ("busybox:1", "localhost:5000/x": alltransports finds no
   transport "busybox" or "localhost") is the reference itself, as the seed's default transport made it. */
static crioimg_result crioimg__svc_docker_name(crioimg_service *svc, const char *name, const char **rest)
{
    crioimg_image_name in;
    size_t n = strlen(name);
    if (n >= 9 && memcmp(name, "docker://", 9) == 0) { *rest = name + 9; return CRIOIMG_OK; }
    if (crioimg_image_name_parse(&in, name, n, NULL, 0, NULL) == CRIOIMG_OK && in.transport != CRIOIMG_TRANSPORT_DOCKER) {
        svc->err[0] = '\0';
        crioimg__svc_note(svc, name, "only docker:// images can be pulled");
        return CRIOIMG_ERR_UNSUPPORTED;
    }
    *rest = name;
    return CRIOIMG_OK;
}

/* A copy of a manifest the registry served, allocated as the registry allocates (its alloc option). */
static crioimg_result crioimg__svc_manifest_copy(const crioimg_allocator *a, const crioimg_registry_manifest *from,
                                                 crioimg_registry_manifest *to)
{
    *to = *from;
    if ((to->data = (char *)crioimg_malloc(a, from->len + 1)) == NULL) return CRIOIMG_ERR_NOMEM;
    memcpy(to->data, from->data, from->len + 1);
    return CRIOIMG_OK;
}

/* src->top parsed into *top (the caller frees it on OK); err says why not: what is served as a manifest
   must be one (schemaVersion, a known media type), whether a pull goes on with it or it is only shown. */
static crioimg_result crioimg__svc_parse_top(crioimg_image_source *src, crioimg_manifest *top, char *err, size_t errcap)
{
    crioimg_manifest_opts mo;
    crioimg_result r;
    memset(&mo, 0, sizeof mo);
    mo.alloc = src->alloc;
    r = crioimg_manifest_parse(top, src->top.data, src->top.len, src->top.media_type, &mo);
    if (r != CRIOIMG_OK) {
        crioimg__svc_say(err, errcap, "parsing manifest: ", top->err);
        crioimg_manifest_free(top);
    }
    return r;
}

/* The image manifest for the platform: top itself, or the index entry chosen, fetched by digest. */
/* The image manifest d names, from the store when it has it (a pull of an index's image pulled before
   asks the registry for nothing more): OK with src->image filled, or an error and nothing filled. */
static crioimg_result crioimg__svc_stored_manifest(crioimg_service *svc, crioimg_image_source *src, const crioimg_descriptor *d)
{
    void *data;
    size_t len;
    crioimg_result r;
    if (svc->store == NULL || strlen(d->media_type) >= sizeof src->image.media_type) return CRIOIMG_ERR_NOT_FOUND;
    if (crioimg_store_blob_stat(svc->store, d->digest, NULL) != CRIOIMG_OK) return CRIOIMG_ERR_NOT_FOUND;
    r = crioimg_store_get_blob(svc->store, d->digest, 0, &data, &len);   /* verified against the digest */
    if (r != CRIOIMG_OK) return r;
    if ((long long)len != d->size) r = CRIOIMG_ERR_SIZE_MISMATCH;
    else if ((src->image.data = (char *)crioimg_malloc(&src->alloc, len + 1)) == NULL) r = CRIOIMG_ERR_NOMEM;
    else {
        memcpy(src->image.data, data, len);
        src->image.data[len] = '\0';
        src->image.len = len;
        strcpy(src->image.media_type, d->media_type);
        strcpy(src->image.digest, d->digest);
    }
    crioimg_store_free_blob(svc->store, data);
    return r;
}

static crioimg_result crioimg__svc_choose(crioimg_service *svc, crioimg_image_source *src, const crioimg_pull_options *opts,
                                          char *err, size_t errcap)
{
    crioimg_manifest_opts mo;
    crioimg_manifest top;
    crioimg_result r;
    size_t which;
    memset(&mo, 0, sizeof mo);
    mo.alloc = src->alloc;
    if ((r = crioimg__svc_parse_top(src, &top, err, errcap)) != CRIOIMG_OK) return r;
    if (top.kind == CRIOIMG_MANIFEST_OCI || top.kind == CRIOIMG_MANIFEST_DOCKER_V2) {
        src->manifest = top;
        return crioimg__svc_manifest_copy(&src->alloc, &src->top, &src->image);
    }
    r = crioimg_manifest_choose(&top, opts->platform, &which, err, errcap);
    if (r == CRIOIMG_OK && crioimg__svc_stored_manifest(svc, src, &top.manifests[which]) != CRIOIMG_OK) {
        r = crioimg_registry_get_manifest(src->registry, src->repo, top.manifests[which].digest, &src->image);
        if (r != CRIOIMG_OK) crioimg__svc_say(err, errcap, crioimg_registry_error(src->registry), NULL);
    }
    crioimg_manifest_free(&top);
    if (r != CRIOIMG_OK) return r;
    r = crioimg_manifest_parse(&src->manifest, src->image.data, src->image.len, src->image.media_type, &mo);
    if (r != CRIOIMG_OK) crioimg__svc_say(err, errcap, "parsing manifest: ", src->manifest.err);
    else if (src->manifest.kind != CRIOIMG_MANIFEST_OCI && src->manifest.kind != CRIOIMG_MANIFEST_DOCKER_V2) {
        crioimg__svc_say(err, errcap, "the index entry for the platform is not an image manifest", NULL);
        r = CRIOIMG_ERR_MANIFEST_UNSUPPORTED;   /* an index in an index: containers/image refuses it too */
    }
    return r;
}

/* 1 when location's own [[registry]] in registries.conf is blocked: a mirror may be, even when the
   registry it mirrors is not (containers/image refuses it when it looks the physical reference up). */
static int crioimg__svc_blocked(crioimg_service *svc, const char *location)
{
    crioimg_candidates c;
    crioimg_result r = crioimg_registries_pull_sources(svc->reg, location, strlen(location), &c);
    crioimg_candidates_free(&c);
    return r == CRIOIMG_ERR_REGISTRY_BLOCKED;
}

/* An image source with what a pull needs to open more clients to the same registry (one per thread):
   the options its client was opened with, after the insecure decision and the credentials rule. */
typedef struct crioimg__svc_src {
    crioimg_image_source pub;   /* first: the public struct's address is this one's */
    crioimg_registry_opts ro;
    char host[CRIOIMG_REF_NAME_MAX + 1];
} crioimg__svc_src;

/* Tries one pull source of the name pulled: location (a qualified reference), reached as insecure when
   the insecure-registry logic or registries.conf (conf_insecure) says so. The caller's credentials go
   only to the pulled name's own registry: a mirror elsewhere gets its own from the auth files, as
   containers/image drops DockerAuthConfig for a mirror on another domain. */
static crioimg_result crioimg__svc_try(crioimg_service *svc, crioimg_image_source *src, const char *pulled, const char *location,
                                       int conf_insecure, const crioimg_pull_options *opts)
{
    crioimg_registry_opts ro = opts->registry;
    crioimg_insecure_decision d;
    crioimg_ref own;
    char host[CRIOIMG_REF_NAME_MAX + 1], err[512];
    const char *domain, *refpart, *own_domain;
    size_t dlen, own_len;
    crioimg_result r;
    err[0] = '\0';
    r = crioimg_ref_parse_docker(&src->ref, location, strlen(location));
    if (r != CRIOIMG_OK) { crioimg__svc_note(svc, location, crioimg_result_str(r)); return r; }
    crioimg_ref_string(&src->ref, src->location, sizeof src->location);
    if (crioimg__svc_blocked(svc, src->location)) {
        crioimg__svc_note(svc, src->location, crioimg_result_str(CRIOIMG_ERR_REGISTRY_BLOCKED));
        return CRIOIMG_ERR_REGISTRY_BLOCKED;
    }
    domain = crioimg_ref_domain(&src->ref, &dlen);
    memcpy(host, domain, dlen);
    host[dlen] = '\0';
    src->repo = crioimg_ref_path(&src->ref, NULL);
    if (crioimg_ref_parse_normalized(&own, pulled, strlen(pulled)) != CRIOIMG_OK ||
        (own_domain = crioimg_ref_domain(&own, &own_len), own_len != dlen || memcmp(own_domain, domain, dlen) != 0)) {
        ro.username = NULL;
        ro.password = NULL;
    }
    r = crioimg_registries_check_host(svc->reg, host, dlen, &d);
    if (r != CRIOIMG_OK) { crioimg__svc_note(svc, src->location, crioimg_result_str(r)); return r; }
    ro.insecure = d.insecure || conf_insecure;
    if (ro.http == NULL) {
        if (svc->http == NULL && (r = crioimg_http_open_default(&svc->http, &svc->alloc)) != CRIOIMG_OK) {
            crioimg__svc_note(svc, src->location, crioimg_result_str(r));
            return r;
        }
        ro.http = svc->http;
    }
    r = crioimg_registry_open(&src->registry, host, &ro);
    if (r != CRIOIMG_OK) { crioimg__svc_note(svc, src->location, crioimg_result_str(r)); return r; }
    ((crioimg__svc_src *)src)->ro = ro;
    memcpy(((crioimg__svc_src *)src)->host, host, dlen + 1);
    refpart = src->ref.digest[0] ? src->ref.digest : src->ref.tag;
    r = crioimg_registry_get_manifest(src->registry, src->repo, refpart, &src->top);
    if (r != CRIOIMG_OK) {
        crioimg__svc_note(svc, src->location, crioimg_registry_error(src->registry)[0] ? crioimg_registry_error(src->registry)
                                                                                       : crioimg_result_str(r));
        return r;
    }
    if (opts->top_only) {   /* shown as served, but only when it is a manifest (a 200 error page is not) */
        crioimg_manifest m;
        if ((r = crioimg__svc_parse_top(src, &m, err, sizeof err)) == CRIOIMG_OK) crioimg_manifest_free(&m);
    } else {
        r = crioimg__svc_choose(svc, src, opts, err, sizeof err);
    }
    if (r != CRIOIMG_OK) crioimg__svc_note(svc, src->location, err[0] ? err : crioimg_result_str(r));
    return r;
}

/* Releases what a source holds, keeping the struct for the next try. */
static void crioimg__svc_source_clear(crioimg_image_source *src)
{
    if (src->registry) {
        crioimg_registry_manifest_free(src->registry, &src->top);
        crioimg_registry_manifest_free(src->registry, &src->image);
        crioimg_registry_close(src->registry);
    }
    crioimg_manifest_free(&src->manifest);
    src->registry = NULL;
    memset(&src->top, 0, sizeof src->top);
    memset(&src->image, 0, sizeof src->image);
    memset(&src->manifest, 0, sizeof src->manifest);
}

/* The signature policy's word on a candidate, as containers/image asks it of the docker:// reference
   before reading anything of the image; a refusal is noted as that candidate's failure. */
static crioimg_result crioimg__svc_policy(crioimg_service *svc, const crioimg_policy *pol, const char *candidate)
{
    char name[9 + CRIOIMG_REF_STRING_MAX + 1], err[512];
    crioimg__out o;
    crioimg_result r;
    o.p = name; o.cap = sizeof name; o.len = 0;
    crioimg__out_str(&o, "docker://");
    crioimg__out_str(&o, candidate);
    err[0] = '\0';
    r = crioimg_policy_check(pol, name, o.len, err, sizeof err);
    if (r != CRIOIMG_OK) crioimg__svc_note(svc, candidate, err[0] ? err : crioimg_result_str(r));
    return r;
}

crioimg_result crioimg_service_open_source(crioimg_service *svc, const char *name, const crioimg_pull_options *opts,
                                           crioimg_image_source **out)
{
    crioimg_pull_options none;
    crioimg_candidates cands, sources;
    crioimg_image_source *src;
    crioimg_result r, last = CRIOIMG_ERR_NOT_FOUND;
    const char *ref;
    size_t i, j;
    if (out) *out = NULL;
    if (svc == NULL || name == NULL || out == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    if (opts == NULL) { memset(&none, 0, sizeof none); opts = &none; }
    svc->err[0] = '\0';
    if ((r = crioimg__svc_docker_name(svc, name, &ref)) != CRIOIMG_OK) return r;
    if ((r = crioimg_service_resolve_names(svc, ref, strlen(ref), &cands)) != CRIOIMG_OK) return r;
    if ((src = (crioimg_image_source *)crioimg_malloc(&opts->registry.alloc, sizeof(crioimg__svc_src))) == NULL) {
        crioimg_candidates_free(&cands);
        return CRIOIMG_ERR_NOMEM;
    }
    memset(src, 0, sizeof(crioimg__svc_src));
    src->alloc = opts->registry.alloc;
    for (i = 0; i < cands.n && last != CRIOIMG_OK && last != CRIOIMG_ERR_CANCELLED; i++) {
        if (opts->policy && (r = crioimg__svc_policy(svc, opts->policy, cands.items[i].name)) != CRIOIMG_OK) {
            last = r;
            continue;
        }
        r = crioimg_registries_pull_sources(svc->reg, cands.items[i].name, strlen(cands.items[i].name), &sources);
        if (r != CRIOIMG_OK) {
            crioimg__svc_note(svc, cands.items[i].name, crioimg_registries_error(svc->reg));
            last = r;
            continue;
        }
        for (j = 0; j < sources.n && last != CRIOIMG_OK; j++) {
            crioimg__svc_source_clear(src);
            last = crioimg__svc_try(svc, src, cands.items[i].name, sources.items[j].name, sources.items[j].insecure, opts);
            if (last == CRIOIMG_ERR_CANCELLED) break;   /* the caller wants nothing more */
        }
        crioimg_candidates_free(&sources);
        if (last == CRIOIMG_OK) crioimg__svc_say(src->name, sizeof src->name, cands.items[i].name, NULL);
    }
    crioimg_candidates_free(&cands);
    if (last != CRIOIMG_OK) { crioimg_image_source_free(src); return last; }
    svc->err[0] = '\0';
    *out = src;
    return CRIOIMG_OK;
}

void crioimg_image_source_free(crioimg_image_source *src)
{
    crioimg_allocator a;
    if (src == NULL) return;
    a = src->alloc;
    crioimg__svc_source_clear(src);
    crioimg_free(&a, src);
}

crioimg_result crioimg_service_can_pull(crioimg_service *svc, const char *name, const crioimg_pull_options *opts)
{
    crioimg_image_source *src;
    crioimg_result r = crioimg_service_open_source(svc, name, opts, &src);
    crioimg_image_source_free(src);
    return r;
}

/* ---- PullImage ---- */

/* Threads for parallel blobs: POSIX threads on every POSIX build; elsewhere (and
   under CRIOIMG_NO_THREADS) a pull fetches one blob at a time, which is a slower pull, not a failure. */
#if !defined(CRIOIMG_NO_THREADS) && defined(CRIOIMG__POSIX2008)
#  include <pthread.h>
#  define CRIOIMG__SVC_THREADS 1
#endif

#define CRIOIMG__PULL_JOBS 3
#define CRIOIMG__PULL_MAX_JOBS 16   /* more connections than this only annoy a registry */

typedef struct crioimg__pull_blob {
    const crioimg_descriptor *d;
    long long done;
    int fetch;                     /* 1: to be fetched (not in the store, and the first of its digest) */
} crioimg__pull_blob;

/* One pull's shared state. Everything in it, the store handle and the progress callback are used under
   mu (the store's handle is for one thread at a time); only the network transfers run outside it. */
typedef struct crioimg__pull {
    crioimg_service *svc;
    crioimg__svc_src *src;
    const crioimg_pull_options *opts;
    crioimg__pull_blob *blobs;
    size_t count, next;
    long long total, total_done;
    int stop;                      /* a blob failed: the others give up at their next bytes */
    crioimg_result failed;
    char err[1024];                /* the first failure, as it will be reported */
    size_t fetched, skipped;
    long long bytes;
    int threaded;
#ifdef CRIOIMG__SVC_THREADS
    pthread_mutex_t mu;
#endif
} crioimg__pull;

static void crioimg__pull_lock(crioimg__pull *p)
{
#ifdef CRIOIMG__SVC_THREADS
    if (p->threaded) pthread_mutex_lock(&p->mu);
#else
    (void)p;
#endif
}

static void crioimg__pull_unlock(crioimg__pull *p)
{
#ifdef CRIOIMG__SVC_THREADS
    if (p->threaded) pthread_mutex_unlock(&p->mu);
#else
    (void)p;
#endif
}

/* Tells the host (under the lock); k is a blob's index, or count for the image as a whole. */
static void crioimg__pull_event(crioimg__pull *p, crioimg_pull_event ev, size_t k)
{
    crioimg_pull_progress e;
    if (p->opts->progress == NULL) return;
    memset(&e, 0, sizeof e);
    e.event = ev;
    e.source = p->src->pub.location;
    e.index = k;
    e.count = p->count;
    e.digest = "";
    e.media_type = "";
    if (k < p->count) {
        e.digest = p->blobs[k].d->digest;
        e.media_type = p->blobs[k].d->media_type;
        e.size = p->blobs[k].d->size;
        e.done = p->blobs[k].done;
    }
    e.total = p->total;
    e.total_done = p->total_done;
    p->opts->progress(p->opts->progress_user, &e);
}

/* The first failure wins the message (under the lock). The registry client's messages name the blob
   already; the store's get "storing blob DIGEST: " in front (k < count). */
static void crioimg__pull_failed(crioimg__pull *p, size_t k, crioimg_result r, const char *detail)
{
    crioimg__out o;
    p->stop = 1;
    if (p->failed != CRIOIMG_OK) return;
    p->failed = r;
    o.p = p->err; o.cap = sizeof p->err; o.len = 0;
    if (k < p->count) {
        crioimg__out_str(&o, "storing blob ");
        crioimg__out_str(&o, p->blobs[k].d->digest);
        crioimg__out_str(&o, ": ");
    }
    crioimg__out_str(&o, detail && *detail ? detail : crioimg_result_str(r));
}

typedef struct crioimg__pull_sink {
    crioimg__pull *p;
    size_t k;
    crioimg_blob_writer *w;
    crioimg_result store_failed;   /* the store refused bytes: its message, not the registry's */
    char err[512];
} crioimg__pull_sink;

/* Bytes from the registry, as they arrive, into the blob writer (which hashes and counts them too:
   nothing is committed that does not match). */
static crioimg_result crioimg__pull_sink_fn(void *ctx, const void *data, size_t len)
{
    crioimg__pull_sink *k = (crioimg__pull_sink *)ctx;
    crioimg__pull *p = k->p;
    crioimg_result r;
    crioimg__pull_lock(p);
    if (p->stop) r = CRIOIMG_ERR_CANCELLED;
    else if ((r = crioimg_blob_writer_write(k->w, data, len)) != CRIOIMG_OK) {
        k->store_failed = r;
        crioimg__svc_say(k->err, sizeof k->err, crioimg_store_error(p->svc->store), NULL);
    } else {
        p->blobs[k->k].done += (long long)len;
        p->total_done += (long long)len;
        crioimg__pull_event(p, CRIOIMG_PULL_BLOB_PROGRESS, k->k);
    }
    crioimg__pull_unlock(p);
    return r;
}

/* Blob k from reg into the store: begun, streamed, committed only when size and digest match. */
static crioimg_result crioimg__pull_one(crioimg__pull *p, crioimg_registry *reg, size_t k)
{
    crioimg_store *st = p->svc->store;
    crioimg__pull_sink sink;
    const crioimg_descriptor *d = p->blobs[k].d;
    crioimg_result r;
    memset(&sink, 0, sizeof sink);
    sink.p = p;
    sink.k = k;
    crioimg__pull_lock(p);
    r = crioimg_store_blob_begin(st, d->digest, d->size, &sink.w);
    if (r != CRIOIMG_OK) crioimg__pull_failed(p, k, r, crioimg_store_error(st));
    else {
        crioimg__blob_writer_trust(sink.w);   /* crioimg_registry_get_blob verifies; OK is committed */
        crioimg__pull_event(p, CRIOIMG_PULL_BLOB_STARTED, k);
    }
    crioimg__pull_unlock(p);
    if (r != CRIOIMG_OK) return r;
    r = crioimg_registry_get_blob(reg, p->src->pub.repo, d, crioimg__pull_sink_fn, &sink);
    if (r == CRIOIMG_OK) (void)crioimg_blob_writer_sync(sink.w);   /* the fsync outside both locks; commit reports a failure */
    crioimg__pull_lock(p);
    if (r == CRIOIMG_OK) {
        if ((r = crioimg_blob_writer_commit(sink.w)) != CRIOIMG_OK) crioimg__pull_failed(p, k, r, crioimg_store_error(st));
    } else {
        crioimg_blob_writer_abort(sink.w);
        if (sink.store_failed) crioimg__pull_failed(p, k, sink.store_failed, sink.err);
        else if (!(r == CRIOIMG_ERR_CANCELLED && p->stop)) {
            const char *why = crioimg_registry_error(reg);
            crioimg__pull_failed(p, *why ? p->count : k, r, why);   /* the client's message names the blob */
        }
    }
    if (r == CRIOIMG_OK) {
        p->fetched++;
        p->bytes += d->size;
        crioimg__pull_event(p, CRIOIMG_PULL_BLOB_DONE, k);
    } else if (!(r == CRIOIMG_ERR_CANCELLED && p->failed != CRIOIMG_ERR_CANCELLED && p->failed != CRIOIMG_OK)) {
        crioimg__pull_event(p, CRIOIMG_PULL_BLOB_FAILED, k);   /* not the ones stopped for another's failure */
    }
    crioimg__pull_unlock(p);
    return r;
}

/* Takes blobs to fetch off the shared list until it is empty or a blob failed. */
static void crioimg__pull_work(crioimg__pull *p, crioimg_registry *reg)
{
    for (;;) {
        size_t k;
        crioimg__pull_lock(p);
        while (p->next < p->count && !p->blobs[p->next].fetch) p->next++;
        if (p->stop || p->next == p->count) { crioimg__pull_unlock(p); return; }
        k = p->next++;
        crioimg__pull_unlock(p);
        if (crioimg__pull_one(p, reg, k) != CRIOIMG_OK) return;
    }
}

#ifdef CRIOIMG__SVC_THREADS
typedef struct crioimg__pull_worker {
    crioimg__pull *p;
    crioimg_registry *reg;
    crioimg_http *http;            /* its own, unless the host gave one */
    pthread_t th;
} crioimg__pull_worker;

static void *crioimg__pull_thread(void *arg)
{
    crioimg__pull_worker *w = (crioimg__pull_worker *)arg;
    crioimg__pull_work(w->p, w->reg);
    return NULL;
}

/* A further worker's client to the same registry (tokens are per client) over its own transport,
   unless the host gave one. Made and freed on the calling thread: libcurl's global set-up, which each
   transport's open and close count, is not thread-safe before 7.84. */
static crioimg_result crioimg__pull_worker_open(crioimg__pull *p, crioimg__pull_worker *w)
{
    crioimg_registry_opts ro = p->src->ro;
    crioimg_result r;
    memset(w, 0, sizeof *w);
    w->p = p;
    if (p->opts->registry.http == NULL) {
        if ((r = crioimg_http_open_default(&w->http, &p->svc->alloc)) != CRIOIMG_OK) return r;
        ro.http = w->http;
    }
    if ((r = crioimg_registry_open(&w->reg, p->src->host, &ro)) != CRIOIMG_OK) {
        crioimg_http_close(w->http);
        w->http = NULL;
    }
    return r;
}

static void crioimg__pull_worker_close(crioimg__pull_worker *w)
{
    crioimg_registry_close(w->reg);
    crioimg_http_close(w->http);
}
#endif

/* Fetches every blob marked fetch, with up to jobs workers (the calling thread is one). A worker that
   cannot be made leaves its share to the others. */
static void crioimg__pull_run(crioimg__pull *p, int jobs)
{
    size_t want = 0, k;
#ifdef CRIOIMG__SVC_THREADS
    crioimg__pull_worker w[CRIOIMG__PULL_MAX_JOBS];
    int nw = 0, started = 0, i;
#endif
    for (k = 0; k < p->count; k++) want += (size_t)p->blobs[k].fetch;
    if (jobs > CRIOIMG__PULL_MAX_JOBS) jobs = CRIOIMG__PULL_MAX_JOBS;
    if ((size_t)jobs > want) jobs = (int)want;
    p->next = 0;
#ifdef CRIOIMG__SVC_THREADS
    while (nw + 1 < jobs && crioimg__pull_worker_open(p, &w[nw]) == CRIOIMG_OK) nw++;
    if (nw && pthread_mutex_init(&p->mu, NULL) == 0) {
        p->threaded = 1;
        for (started = 0; started < nw; started++)
            if (pthread_create(&w[started].th, NULL, crioimg__pull_thread, &w[started]) != 0) break;
    }
    crioimg__pull_work(p, p->src->pub.registry);
    for (i = 0; i < started; i++) pthread_join(w[i].th, NULL);
    if (p->threaded) pthread_mutex_destroy(&p->mu);
    p->threaded = 0;
    for (i = 0; i < nw; i++) crioimg__pull_worker_close(&w[i]);
#else
    (void)jobs;
    crioimg__pull_work(p, p->src->pub.registry);
#endif
}

static int crioimg__pull_cmp_digest(const void *a, const void *b)
{
    const crioimg__pull_blob *x = *(const crioimg__pull_blob *const *)a, *y = *(const crioimg__pull_blob *const *)b;
    int c = strcmp(x->d->digest, y->d->digest);
    return c ? c : (x < y ? -1 : x > y);
}

/* Marks what to fetch: blobs the store lacks, each digest once (an image may list a layer twice). The
   sort keeps this n log n for a manifest's worth of layers. */
static crioimg_result crioimg__pull_plan(crioimg__pull *p)
{
    crioimg__pull_blob **by;
    size_t k;
    long long have;
    p->total = p->total_done = 0;
    for (k = 0; k < p->count; k++) {
        crioimg__pull_blob *b = &p->blobs[k];
        b->done = 0;
        b->fetch = !(crioimg_store_blob_stat(p->svc->store, b->d->digest, &have) == CRIOIMG_OK && have == b->d->size);
        p->total += b->d->size;
    }
    if ((by = (crioimg__pull_blob **)crioimg_malloc(&p->svc->alloc, p->count * sizeof *by)) == NULL) return CRIOIMG_ERR_NOMEM;
    for (k = 0; k < p->count; k++) by[k] = &p->blobs[k];
    qsort(by, p->count, sizeof *by, crioimg__pull_cmp_digest);
    for (k = 1; k < p->count; k++)
        if (strcmp(by[k]->d->digest, by[k - 1]->d->digest) == 0) by[k]->fetch = 0;
    crioimg_free(&p->svc->alloc, by);
    return CRIOIMG_OK;
}

/* The seed's destination: Name() ":" tag, or Name() "@" digest (the candidate, as the docker transport
   reads it: a tag added when there is neither, the tag dropped when there are both). */
static crioimg_result crioimg__pull_dest(const char *candidate, char *out, size_t cap)
{
    crioimg_ref ref;
    crioimg_result r = crioimg_ref_parse_docker(&ref, candidate, strlen(candidate));
    if (r == CRIOIMG_OK) crioimg_ref_string(&ref, out, cap);
    return r;
}

/* The blobs' phase and the image's record; ERR_NOT_FOUND from the record means a blob the plan found was
   removed meanwhile (another process's rmi), which the caller answers with a second plan. */
static crioimg_result crioimg__pull_store(crioimg__pull *p, int jobs, const char *dest)
{
    crioimg_image_source *src = &p->src->pub;
    crioimg_store *st = p->svc->store;
    crioimg_result r;
    size_t k;
    const char *names[1];
    if ((r = crioimg__pull_plan(p)) != CRIOIMG_OK) return r;
    for (k = 0; k < p->count; k++)
        if (!p->blobs[k].fetch) {
            p->blobs[k].done = p->blobs[k].d->size;
            p->total_done += p->blobs[k].d->size;
            p->skipped++;
            crioimg__pull_event(p, CRIOIMG_PULL_BLOB_SKIPPED, k);
        }
    crioimg__pull_event(p, CRIOIMG_PULL_STARTED, p->count);
    crioimg__pull_run(p, jobs);
    if (p->failed != CRIOIMG_OK) return p->failed;
    /* the manifest last, byte for byte as served: an index entry never points at an incomplete image */
    if ((r = crioimg_store_put_blob(st, src->image.digest, src->image.data, src->image.len)) != CRIOIMG_OK) {
        crioimg__pull_failed(p, p->count, r, crioimg_store_error(st));
        return r;
    }
    names[0] = dest;
    if ((r = crioimg_store_add_image(st, src->image.digest, names, 1)) != CRIOIMG_OK)
        crioimg__pull_failed(p, p->count, r, crioimg_store_error(st));
    return r;
}

crioimg_result crioimg_service_pull_image(crioimg_service *svc, const char *name, const crioimg_pull_options *opts,
                                          crioimg_pull_result *out)
{
    crioimg_pull_options o;
    crioimg_image_source *pub = NULL;
    crioimg__pull p;
    crioimg_image_list l;
    char dest[CRIOIMG_REF_STRING_MAX + 1];
    crioimg_result r;
    size_t k;
    int round;
    if (out) memset(out, 0, sizeof *out);
    if (svc == NULL || name == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    svc->err[0] = '\0';
    if (svc->store == NULL) return crioimg__svc_fail(svc, CRIOIMG_ERR_INVALID_ARGS, "the image service has no store");
    if (opts == NULL) memset(&o, 0, sizeof o);
    else o = *opts;
    o.top_only = 0;
    if (o.jobs < 0) return crioimg__svc_fail(svc, CRIOIMG_ERR_INVALID_ARGS, "jobs must not be negative");
    if ((r = crioimg_service_open_source(svc, name, &o, &pub)) != CRIOIMG_OK) return r;
    memset(&p, 0, sizeof p);
    p.svc = svc;
    p.src = (crioimg__svc_src *)pub;
    p.opts = &o;
    p.count = 1 + pub->manifest.nlayers;
    r = crioimg__pull_dest(pub->name, dest, sizeof dest);
    if (r != CRIOIMG_OK) crioimg__pull_failed(&p, p.count, r, NULL);
    else if ((p.blobs = (crioimg__pull_blob *)crioimg_malloc(&svc->alloc, p.count * sizeof *p.blobs)) == NULL)
        r = CRIOIMG_ERR_NOMEM;
    if (r == CRIOIMG_OK) {
        p.blobs[0].d = &pub->manifest.config;
        for (k = 1; k < p.count; k++) p.blobs[k].d = &pub->manifest.layers[k - 1];
        for (round = 0; round < 3; round++) {
            p.failed = CRIOIMG_OK;
            p.stop = 0;
            p.err[0] = '\0';
            r = crioimg__pull_store(&p, o.jobs ? o.jobs : CRIOIMG__PULL_JOBS, dest);
            if (r != CRIOIMG_ERR_NOT_FOUND) break;
        }
    }
    if (r == CRIOIMG_OK && out) {
        crioimg__svc_say(out->name, sizeof out->name, dest, NULL);
        crioimg__svc_say(out->manifest_digest, sizeof out->manifest_digest, pub->image.digest, NULL);
        crioimg__svc_say(out->source, sizeof out->source, pub->location, NULL);
        out->blobs_fetched = p.fetched;
        out->blobs_skipped = p.skipped;
        out->bytes_fetched = p.bytes;
        if (crioimg_store_image_status(svc->store, dest, &l) == CRIOIMG_OK) {
            memcpy(out->id, l.images[0].id, sizeof out->id);
            crioimg_image_list_free(&l);
        }
    }
    if (r == CRIOIMG_OK) crioimg__pull_event(&p, CRIOIMG_PULL_DONE, p.count);
    else {
        svc->err[0] = '\0';
        crioimg__svc_note(svc, pub->location, p.err[0] ? p.err : crioimg_result_str(r));
    }
    crioimg_free(&svc->alloc, p.blobs);
    crioimg_image_source_free(pub);
    return r;
}

#ifdef __cplusplus
}
#endif
#endif /* CRIOIMG_IMPLEMENTATION_INCLUDED */
#endif /* CRIOIMG_IMPLEMENTATION */

/*
MIT License

Copyright (c) 2026 the crioimg authors

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
*/
