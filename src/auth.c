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
