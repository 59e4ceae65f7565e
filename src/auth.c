/* ---------------------------------------------------------------------------------------------------
   auth implementation
   --------------------------------------------------------------------------------------------------- */
#include "internal.h"

/* RFC 7230 tchar (Go's isToken in containers/image: a CHAR, not a CTL, not a separator) */
#define CRIOIMG__TCHAR(c) ((c) > 32 && (c) < 127 && !((c) == '"' || (c) == '(' || (c) == ')' || (c) == ',' || \
    (c) == '/' || (c) == ':' || (c) == ';' || (c) == '<' || (c) == '=' || (c) == '>' || (c) == '?' || (c) == '@' || \
    (c) == '[' || (c) == ']' || (c) == '\\' || (c) == '{' || (c) == '}'))
CRIOIMG__LIB_DATA const unsigned char crioimg__auth_tchar[256] = { CRIOIMG__TABLE256(CRIOIMG__TCHAR) };
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
CRIOIMG__LIB size_t crioimg__auth_field(const crioimg_json *doc, size_t obj, const char *field)
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

/* crioimg_auth_lookup's search, with the path buffers its caller allocated */
static crioimg_result crioimg__auth_lookup_in(crioimg_credentials *out, int *found, const char *key, const char *authfile,
                                              const crioimg_allocator *ap, crioimg__out *ep, crioimg_auth_path *paths,
                                              char *pbuf, size_t pcap)
{
    crioimg_allocator a = *ap;
    crioimg__out e = *ep;
    size_t np, i;
    crioimg_result r;
    if ((r = crioimg_auth_file_paths(authfile, paths, &np, pbuf, pcap)) != CRIOIMG_OK) return r;
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

crioimg_result crioimg_auth_lookup(crioimg_credentials *out, int *found, const char *key, const char *authfile,
                                   const crioimg_allocator *alloc, char *err, size_t errcap)
{
    /* the paths (up to four of PATH_MAX each) on the heap: 16 KiB is more than a small thread's stack */
    struct crioimg__auth_paths { crioimg_auth_path paths[CRIOIMG_AUTH_PATHS_MAX]; char pbuf[4 * 4096 + 128]; } *ps;
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
    if ((ps = (struct crioimg__auth_paths *)crioimg_malloc(&a, sizeof *ps)) == NULL) return CRIOIMG_ERR_NOMEM;
    r = crioimg__auth_lookup_in(out, found, key, authfile, &a, &e, ps->paths, ps->pbuf, sizeof ps->pbuf);
    crioimg_free(&a, ps);
    return r;
}
