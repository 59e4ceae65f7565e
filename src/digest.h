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
