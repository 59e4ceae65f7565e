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
    X(ERR_POLICY_UNSUPPORTED, -202, "signature policy requirement not supported by crioimg") \
    X(ERR_INFLATE_FORMAT,     -220, "not in gzip format") \
    X(ERR_INFLATE_DATA,       -221, "invalid compressed data") \
    X(ERR_INFLATE_CHECK,      -222, "compressed data fails its CRC-32 or length check") \
    X(ERR_INFLATE_TRUNCATED,  -223, "compressed data is truncated") \
    X(ERR_INFLATE_TRAILING,   -224, "trailing garbage after compressed data") \
    X(ERR_TAR_FORMAT,         -230, "invalid tar archive") \
    X(ERR_UNPACK_UNSAFE,      -231, "layer entry refused: it would reach outside the destination") \
    X(ERR_ARCHIVE_INVALID,    -240, "invalid image archive") \
    X(ERR_ARCHIVE_UNSAFE,     -241, "archive entry refused: absolute path, \"..\", link or duplicate") \
    X(ERR_ARCHIVE_CHOICE,     -242, "the archive holds no single image matching the reference")

#define CRIOIMG__RESULT_ENUM(name, value, text) CRIOIMG_##name = value,
typedef enum crioimg_result { CRIOIMG_RESULT_LIST(CRIOIMG__RESULT_ENUM) CRIOIMG__RESULT_FORCE_INT = -0x7fff } crioimg_result;
#undef CRIOIMG__RESULT_ENUM

/* The description of a result code; never NULL ("unknown result" for codes not in the list). */
CRIOIMG_API const char *crioimg_result_str(crioimg_result r);
/* The name of a result code without the CRIOIMG_ prefix ("ERR_REF_FORMAT"); never NULL. */
CRIOIMG_API const char *crioimg_result_name(crioimg_result r);

/* How much a log line matters, for the log hooks (crioimg_registry_opts.log, crioimg_store_opts.log): WARN
   for a retry or wait of a second or more, which a user should hear about even unasked; INFO for shorter
   ones; DEBUG for every request and redirect. */
typedef enum crioimg_log_level { CRIOIMG_LOG_ERROR = 0, CRIOIMG_LOG_WARN = 1, CRIOIMG_LOG_INFO = 2, CRIOIMG_LOG_DEBUG = 3 } crioimg_log_level;

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

/* Cancel flags (the `cancel` of an HTTP request, of registry options, of unpack options) are written by
   one thread while the library reads them in others: crioimg_cancel sets one with an atomic store,
   crioimg_cancelled reads one with an atomic load (a host's own transport reads rq->cancel with it).
   Where the compiler has no atomics (tcc) they are volatile accesses; from a signal handler a plain
   store to the volatile int is fine too. A NULL flag is never cancelled. */
CRIOIMG_API void crioimg_cancel(volatile int *flag);
CRIOIMG_API int  crioimg_cancelled(const volatile int *flag);

/* Writes s (n bytes) as a JSON string with its quotes, escaped so that any input, even invalid UTF-8,
   gives valid JSON (invalid bytes become \ufffd, as Go's encoding/json does). Returns the length the
   result needs, not counting the NUL; writes at most cap bytes including a NUL (cap may be 0). */
CRIOIMG_API size_t crioimg_json_quote(char *out, size_t cap, const char *s, size_t n);
