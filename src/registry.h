/* ---------------------------------------------------------------------------------------------------
   registry: the registry v2 client (distribution-spec), over a crioimg_http transport

     crioimg_registry_opts o = {0};                 zeroed = defaults: the default transport, verified
     o.insecure = decision.insecure;                TLS, credentials from the auth files
     crioimg_registry *r;
     crioimg_registry_open(&r, "quay.io", &o,       the domain as a reference gives it ("docker.io" is
                           err, sizeof err);        served at registry-1.docker.io); err: why not
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
    const volatile int *cancel;       /* nonzero stops the current call: ERR_CANCELLED (set it with crioimg_cancel) */
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
    /* Optional: told what the client does, a line at a time (no newline): DEBUG "GET URL: 200 (12 ms)"
       for every request and "... redirected (307) to URL"; INFO or WARN (a second or more) "retrying GET
       URL in 2000 ms (try 2 of 4): why" for every retry and Retry-After wait. A URL is logged without its
       query (a pre-signed blob URL's signature is a credential) and no header is ever logged. A pull
       with jobs > 1 calls it from its worker threads too. NULL: nothing is told. */
    void (*log)(void *log_user, crioimg_log_level level, const char *msg);
    void *log_user;
} crioimg_registry_opts;

typedef struct crioimg_registry crioimg_registry;

/* A client for the registry at domain ("docker.io", "quay.io", "127.0.0.1:5000", "[::1]:5000").
   Nothing is sent yet. ERR_REGISTRY_INVALID for a domain that is not one. On failure err (errcap bytes,
   may be NULL) says what failed, never empty (a certs.d file that cannot be read names it). */
CRIOIMG_API crioimg_result crioimg_registry_open(crioimg_registry **out, const char *domain, const crioimg_registry_opts *opts,
                                                 char *err, size_t errcap);
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
