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
