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
     CRIOIMG_NO_SIMD                 leave out the SSE2 fast paths (x86-64); the portable code decides alike
     CRIOIMG_WITH_CURL               HTTP(S) through libcurl (link with -lcurl)
     CRIOIMG_WITH_MBEDTLS            the built-in HTTPS client on sockets + mbedtls

   CONVENTIONS
     Every fallible function returns a crioimg_result: 0 (CRIOIMG_OK) or a negative code, whose text
     crioimg_result_str() gives. Where the Go original (distribution/reference, containers/image) has an
     error text, that text is the description. Reference parsing allocates nothing and fills fixed-size
     caller-owned structs. A zeroed options struct means "defaults". No mutable global state.
*/
#ifndef CRIOIMG_H
#define CRIOIMG_H

#define CRIOIMG_VERSION_MAJOR 0
#define CRIOIMG_VERSION_MINOR 1
#define CRIOIMG_VERSION_PATCH 0
#define CRIOIMG_VERSION_STRING "0.1.0"

#include <stddef.h>

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
    X(ERR_PLATFORM_NOT_FOUND, -154, "no image in the index matches the platform")

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

   Inputs are (pointer, length): embedded NUL, newline and non-ASCII bytes are errors. Every parse is one
   linear pass (at most two on failure, to tell "uppercase" from "invalid"); nothing is allocated.
   On error the output struct is zeroed. The error texts are Go's (crioimg_result_str); where Go puts the
   input into the text, crioimg_ref_error_message() formats it the same way.
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

/* The error text Go gives for result r on input s, written like crioimg_ref_string (returns the full
   length). Most texts are crioimg_result_str(r); ERR_REF_HEX_NAME, ERR_REF_NO_NAME and the image-name
   errors include the input, as Go's do. */
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
    long archive_index;     /* docker-archive ":@N"; -1 when not given */
    /* containers-storage store specifier "[driver@graphroot+runroot:opt,opt]"; empty spans when absent */
    crioimg_span driver, graph_root, run_root, options;
} crioimg_image_name;

/* alltransports.ParseImageName: "transport:rest", each transport parsing its rest as containers/image
   does. Spans borrow from s. On error, err (when not NULL) gets containers/image's error text for it,
   truncated to errcap bytes with the NUL (CRIOIMG_IMAGE_NAME_ERR_MAX bytes hold any text for an input
   of up to 1000 bytes; longer inputs are cut inside the message, never overflowed). */
#define CRIOIMG_IMAGE_NAME_ERR_MAX 4096
CRIOIMG_API crioimg_result crioimg_image_name_parse(crioimg_image_name *out, const char *s, size_t n,
                                                    char *err, size_t errcap);
/* The transport's name as containers/image spells it ("docker", "containers-storage", ...); "" for NONE. */
CRIOIMG_API const char *crioimg_transport_name(crioimg_transport t);

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
   keep their text and are range-checked when read as integers. Errors carry the byte offset and a
   message.

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
} crioimg_json_opts;

typedef struct crioimg_json {
    const char *buf;          /* the parsed text (borrowed: must outlive the document) */
    size_t len;
    crioimg_json_token *tok;  /* tok[0] is the root */
    size_t ntok;
    size_t err_offset;        /* on error: the byte offset where it was found */
    char err[128];            /* on error: what was wrong, e.g. "duplicate key \"layers\"" */
    crioimg_allocator alloc;
} crioimg_json;

#define CRIOIMG_JSON_NONE ((size_t)-1)

/* Parses buf[0, len). On success doc holds the tokens (free with crioimg_json_free); on error doc->err
   and doc->err_offset say why and where, and nothing needs freeing (freeing is harmless). opts may be
   NULL. Results: OK, ERR_JSON_SYNTAX (also an empty document, a BOM, bytes after the value),
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
   escapes, so the result is valid UTF-8 (it may hold NUL bytes, from \u0000). 0 and "" for a token that
   is not a STRING. */
CRIOIMG_API size_t crioimg_json_string(const crioimg_json *doc, size_t tok, char *out, size_t cap);
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
#define CRIOIMG__CLS4(c) CRIOIMG__CLS(c), CRIOIMG__CLS((c) + 1), CRIOIMG__CLS((c) + 2), CRIOIMG__CLS((c) + 3)
#define CRIOIMG__CLS16(c) CRIOIMG__CLS4(c), CRIOIMG__CLS4((c) + 4), CRIOIMG__CLS4((c) + 8), CRIOIMG__CLS4((c) + 12)
#define CRIOIMG__CLS64(c) CRIOIMG__CLS16(c), CRIOIMG__CLS16((c) + 16), CRIOIMG__CLS16((c) + 32), CRIOIMG__CLS16((c) + 48)
static const unsigned char crioimg__ref_ctab[256] = {
    CRIOIMG__CLS64(0), CRIOIMG__CLS64(64), CRIOIMG__CLS64(128), CRIOIMG__CLS64(192)
};
#undef CRIOIMG__CLS64
#undef CRIOIMG__CLS16
#undef CRIOIMG__CLS4
#undef CRIOIMG__CLS

#define CRIOIMG__IS(c, k) ((crioimg__ref_ctab[(unsigned char)(c)] & (k)) != 0)

/* Paths: component ("/" component)*, component := [a-z0-9]+ (("." | "_" | "__" | "-"+) [a-z0-9]+)*.
   With fold, [A-Z] counts as [a-z]: that is Go's second try on
   strings.ToLower(s), which tells "uppercase" from "invalid". Byte classes: 1 [a-z0-9], 2 '.', 3 '_',
   4 '-', 5 '/', 6 ':', 7 '@', 0 anything else. */
#define CRIOIMG__PCLS(c, up) ( \
    (((c) >= 'a' && (c) <= 'z') || ((c) >= '0' && (c) <= '9') || ((up) && (c) >= 'A' && (c) <= 'Z')) ? 1 : \
    (c) == '.' ? 2 : (c) == '_' ? 3 : (c) == '-' ? 4 : (c) == '/' ? 5 : (c) == ':' ? 6 : (c) == '@' ? 7 : 0)
#define CRIOIMG__PCLS4(c, up) CRIOIMG__PCLS(c, up), CRIOIMG__PCLS((c) + 1, up), CRIOIMG__PCLS((c) + 2, up), CRIOIMG__PCLS((c) + 3, up)
#define CRIOIMG__PCLS16(c, up) CRIOIMG__PCLS4(c, up), CRIOIMG__PCLS4((c) + 4, up), CRIOIMG__PCLS4((c) + 8, up), CRIOIMG__PCLS4((c) + 12, up)
#define CRIOIMG__PCLS64(c, up) CRIOIMG__PCLS16(c, up), CRIOIMG__PCLS16((c) + 16, up), CRIOIMG__PCLS16((c) + 32, up), CRIOIMG__PCLS16((c) + 48, up)
static const unsigned char crioimg__ref_pcls[2][256] = {
    { CRIOIMG__PCLS64(0, 0), CRIOIMG__PCLS64(64, 0), CRIOIMG__PCLS64(128, 0), CRIOIMG__PCLS64(192, 0) },
    { CRIOIMG__PCLS64(0, 1), CRIOIMG__PCLS64(64, 1), CRIOIMG__PCLS64(128, 1), CRIOIMG__PCLS64(192, 1) }
};
#undef CRIOIMG__PCLS64
#undef CRIOIMG__PCLS16
#undef CRIOIMG__PCLS4
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

/* Go's %q (strconv.Quote) for the inputs that error texts quote: printable ASCII as is, the usual
   backslash escapes, other bytes as \xNN; valid UTF-8 is kept (Go keeps printable runes). */
static void crioimg__out_goquote(crioimg__out *o, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t i = 0;
    crioimg__out_put(o, "\"", 1);
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        const char *e = NULL;
        switch (c) {
        case '\a': e = "\\a"; break;  case '\b': e = "\\b"; break;  case '\f': e = "\\f"; break;
        case '\n': e = "\\n"; break;  case '\r': e = "\\r"; break;  case '\t': e = "\\t"; break;
        case '\v': e = "\\v"; break;  case '"': e = "\\\""; break;  case '\\': e = "\\\\"; break;
        default: break;
        }
        if (e) { crioimg__out_str(o, e); i++; continue; }
        if (c >= 0x20 && c < 0x7f) { crioimg__out_put(o, s + i, 1); i++; continue; }
        if (c >= 0x80) {
            size_t l = crioimg__utf8_len((const unsigned char *)s + i, n - i);
            if (l) { crioimg__out_put(o, s + i, l); i += l; continue; }
        }
        {
            char x[4];
            x[0] = '\\'; x[1] = 'x'; x[2] = hex[c >> 4]; x[3] = hex[c & 15];
            crioimg__out_put(o, x, 4);
            i++;
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
        else if (strchr("-._:@+/", s[i]) != NULL) i++;
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

/* docker-archive's ":@N", with strconv.Atoi's checks and error texts (Go stops at the first overflow) */
static crioimg_result crioimg__iname_index(crioimg_image_name *out, crioimg__out *o, const char *s, size_t n)
{
    size_t i = (n > 0 && (s[0] == '+' || s[0] == '-')) ? 1 : 0;
    long v = 0;
    const char *why = i == n ? "invalid syntax" : NULL;
    char num[24];
    size_t k = sizeof num;
    for (; i < n && !why; i++) {
        int d = s[i] - '0';
        if (d < 0 || d > 9) why = "invalid syntax";
        else if (v > (LONG_MAX - d) / 10) why = "value out of range";
        else v = v * 10 + d;
    }
    if (why) {
        crioimg__out_str(o, "Invalid source index @");
        crioimg__out_put(o, s, n);
        crioimg__out_str(o, ": strconv.Atoi: parsing ");
        crioimg__out_goquote(o, s, n);
        crioimg__out_str(o, ": ");
        crioimg__out_str(o, why);
        return CRIOIMG_ERR_IMAGE_NAME_INVALID;
    }
    if (s[0] == '-' && v != 0) {
        do { num[--k] = (char)('0' + v % 10); v /= 10; } while (v);
        crioimg__out_str(o, "Invalid source index @-");
        crioimg__out_put(o, num + k, sizeof num - k);
        crioimg__out_str(o, ": must not be negative");
        return CRIOIMG_ERR_IMAGE_NAME_INVALID;
    }
    out->archive_index = v;
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

crioimg_result crioimg_image_name_parse(crioimg_image_name *out, const char *s, size_t n, char *err, size_t errcap)
{
    crioimg__out o;
    const char *colon, *rest;
    size_t tn, rn, i;
    crioimg_result r = CRIOIMG_ERR_IMAGE_NAME_TRANSPORT;
    o.p = err; o.cap = err ? errcap : 0; o.len = 0;
    if (o.cap) err[0] = '\0';
    if (out == NULL || (s == NULL && n)) return CRIOIMG_ERR_INVALID_ARGS;
    memset(out, 0, sizeof *out);
    out->archive_index = -1;
    if (s == NULL) s = "";
    colon = (const char *)memchr(s, ':', n);
    if (colon == NULL) {
        crioimg__iname_fail(&o, CRIOIMG_OK, "Invalid image name \"", s, n, "\", expected colon-separated transport:reference");
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
    return r;
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
#define CRIOIMG__JP4(c) CRIOIMG__JP(c), CRIOIMG__JP((c) + 1), CRIOIMG__JP((c) + 2), CRIOIMG__JP((c) + 3)
#define CRIOIMG__JP16(c) CRIOIMG__JP4(c), CRIOIMG__JP4((c) + 4), CRIOIMG__JP4((c) + 8), CRIOIMG__JP4((c) + 12)
#define CRIOIMG__JP64(c) CRIOIMG__JP16(c), CRIOIMG__JP16((c) + 16), CRIOIMG__JP16((c) + 32), CRIOIMG__JP16((c) + 48)
static const unsigned char crioimg__json_plain[256] = {
    CRIOIMG__JP64(0), CRIOIMG__JP64(64), CRIOIMG__JP64(128), CRIOIMG__JP64(192)
};
#undef CRIOIMG__JP64
#undef CRIOIMG__JP16
#undef CRIOIMG__JP4
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
    if (buf == NULL && len > 0) return crioimg__json_fail(&p, CRIOIMG_ERR_INVALID_ARGS, 0, "no buffer");
    if (opts) {
        if (crioimg_allocator_check(&opts->alloc) != CRIOIMG_OK)
            return crioimg__json_fail(&p, CRIOIMG_ERR_INVALID_ARGS, 0, "allocator: set all three functions or none");
        doc->alloc = opts->alloc;
    }
    if (len > max_size)   /* before reading a byte of it */
        return crioimg__json_fail_n(&p, CRIOIMG_ERR_JSON_TOO_BIG, max_size, "document larger than ", max_size, " bytes");
    r = crioimg__json_run(&p);
    crioimg_free(&doc->alloc, p.keys);
    if (r != CRIOIMG_OK) {
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
