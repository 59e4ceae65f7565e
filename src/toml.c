/* ---------------------------------------------------------------------------------------------------
   TOML reader implementation
   --------------------------------------------------------------------------------------------------- */

CRIOIMG__LIB int crioimg__hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

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
            /* a switch, not an index computed from two string literals: whether equal literals are
               merged is up to the compiler (tcc does not), and "reg\\.example" must not depend on it */
            char d = e == 'b' ? '\b' : e == 't' ? '\t' : e == 'n' ? '\n' : e == 'f' ? '\f' : e == 'r' ? '\r'
                   : e == '"' ? '"' : e == '\\' ? '\\' : '\0';
            if (d != '\0') {
                b[len++] = d;
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
    if ((*out = (char *)crioimg_malloc(t->a, t->pos - st + 1)) == NULL) return CRIOIMG_ERR_NOMEM;
    memcpy(*out, t->s + st, t->pos - st);
    (*out)[t->pos - st] = '\0';
    return CRIOIMG_OK;
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
