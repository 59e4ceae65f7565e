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
