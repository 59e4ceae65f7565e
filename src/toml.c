/* ---------------------------------------------------------------------------------------------------
   TOML reader implementation: TOML 1.0 (https://toml.io/en/v1.0.0), whole, into a crioimg__tnode tree.
   Every value form is read and checked (numbers, dates, multi-line strings, inline tables, dotted keys)
   even where registries.conf has no use for it: a file the Go decoder refuses is refused here too, and
   one it accepts is accepted. Bounds the Go decoder does not have, for small stacks and a time bound:
   1 MiB, 4096 items an array, 8192 keys a table, 32 parts a key, values nested 16 deep. No NUL in any string (issue 10).
   --------------------------------------------------------------------------------------------------- */
#include "internal.h"
#include "toml.h"

/* "FILE:LINE: what [arg]" into the error buffer; always returns ERR_REGISTRIES_CONF. */
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

CRIOIMG__LIB crioimg_result crioimg__toml_err(crioimg__toml *t, const char *what)
{
    return crioimg__toml_fail(t, t->line, what, NULL, 0);
}

CRIOIMG__LIB void crioimg__tnode_free(const crioimg_allocator *a, crioimg__tnode *n)
{
    size_t i;
    if (n == NULL) return;
    for (i = 0; i < n->nkids; i++) crioimg__tnode_free(a, n->kids[i]);
    crioimg_free(a, n->kids);
    crioimg_free(a, n->key);
    crioimg_free(a, n->str);
    crioimg_free(a, n);
}

/* A new node owning key (freed here when out of memory). */
CRIOIMG__LIB crioimg__tnode *crioimg__tnode_new(crioimg__toml *t, int type, char *key, unsigned long line)
{
    crioimg__tnode *n = (crioimg__tnode *)crioimg_malloc(t->a, sizeof *n);
    if (n == NULL) { crioimg_free(t->a, key); return NULL; }
    memset(n, 0, sizeof *n);
    n->type = (unsigned char)type;
    n->key = key;
    n->line = line;
    return n;
}

/* Appends kid to p (a table or an array); kid is freed on failure. */
CRIOIMG__LIB crioimg_result crioimg__tnode_add(crioimg__toml *t, crioimg__tnode *p, crioimg__tnode *kid)
{
    if (p->nkids >= (p->type == CRIOIMG__TN_TABLE ? CRIOIMG__TOML_MAX_KEYS : CRIOIMG__TOML_MAX_ITEMS)) {
        crioimg__tnode_free(t->a, kid);
        return crioimg__toml_err(t, p->type == CRIOIMG__TN_TABLE ? "too many keys in one table (over 8192)" : "array too long (over 4096 items)");
    }
    if (p->nkids == p->cap) {
        size_t nc = p->cap ? p->cap * 2 : 4;
        crioimg__tnode **k = (crioimg__tnode **)crioimg_realloc(t->a, p->kids, nc * sizeof *k);
        if (k == NULL) { crioimg__tnode_free(t->a, kid); return CRIOIMG_ERR_NOMEM; }
        p->kids = k;
        p->cap = nc;
    }
    p->kids[p->nkids++] = kid;
    return CRIOIMG_OK;
}

CRIOIMG__LIB crioimg__tnode *crioimg__tnode_get(const crioimg__tnode *p, const char *key)
{
    size_t i;
    for (i = 0; i < p->nkids; i++) if (strcmp(p->kids[i]->key, key) == 0) return p->kids[i];
    return NULL;
}

CRIOIMG__LIB void crioimg__toml_ws(crioimg__toml *t)
{
    while (t->pos < t->n && (t->s[t->pos] == ' ' || t->s[t->pos] == '\t')) t->pos++;
}

/* 1 at a newline (LF or CRLF) at t->pos, which is consumed. */
CRIOIMG__LIB int crioimg__toml_newline(crioimg__toml *t)
{
    if (t->pos < t->n && t->s[t->pos] == '\n') { t->pos++; t->line++; return 1; }
    if (t->pos + 1 < t->n && t->s[t->pos] == '\r' && t->s[t->pos + 1] == '\n') { t->pos += 2; t->line++; return 1; }
    return 0;
}

/* Whitespace, then a comment if any; then 1 at a newline (consumed) or the end, 0 at anything else. */
CRIOIMG__LIB int crioimg__toml_eol(crioimg__toml *t)
{
    crioimg__toml_ws(t);
    if (t->pos < t->n && t->s[t->pos] == '#') {
        while (t->pos < t->n && t->s[t->pos] != '\n' && !(t->s[t->pos] == '\r' && t->pos + 1 < t->n && t->s[t->pos + 1] == '\n')) {
            unsigned char c = (unsigned char)t->s[t->pos];
            if ((c < 0x20 && c != '\t') || c == 0x7f) return 0;  /* the caller reports the control character */
            t->pos++;
        }
    }
    return t->pos >= t->n || crioimg__toml_newline(t);
}

/* Blank lines, whitespace and comments inside an array; an error only for a control character. */
CRIOIMG__LIB crioimg_result crioimg__toml_skip_lines(crioimg__toml *t)
{
    for (;;) {
        if (crioimg__toml_eol(t)) { if (t->pos >= t->n) return CRIOIMG_OK; continue; }
        if (t->pos < t->n && t->s[t->pos] != '\r' && (((unsigned char)t->s[t->pos] < 0x20 && t->s[t->pos] != '\t') || t->s[t->pos] == 0x7f))
            return crioimg__toml_err(t, "control character in a comment");
        return CRIOIMG_OK;
    }
}

CRIOIMG__LIB int crioimg__toml_bare(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/* Appends code point cp as UTF-8 to b (room is the caller's: never longer than its escape). */
CRIOIMG__LIB size_t crioimg__toml_put_utf8(char *b, unsigned long cp)
{
    if (cp < 0x80) { b[0] = (char)cp; return 1; }
    if (cp < 0x800) { b[0] = (char)(0xc0 | (cp >> 6)); b[1] = (char)(0x80 | (cp & 63)); return 2; }
    if (cp < 0x10000) { b[0] = (char)(0xe0 | (cp >> 12)); b[1] = (char)(0x80 | ((cp >> 6) & 63)); b[2] = (char)(0x80 | (cp & 63)); return 3; }
    b[0] = (char)(0xf0 | (cp >> 18)); b[1] = (char)(0x80 | ((cp >> 12) & 63)); b[2] = (char)(0x80 | ((cp >> 6) & 63)); b[3] = (char)(0x80 | (cp & 63));
    return 4;
}

/* The escape at t->s[*i] ('\\' seen) into b at *len; a multi-line string's line-ending backslash
   ("\" before a newline, with only whitespace between) drops all whitespace and newlines after it. */
CRIOIMG__LIB crioimg_result crioimg__toml_escape(crioimg__toml *t, size_t *i, size_t end, int ml, char *b, size_t *len)
{
    char e = *i + 1 < end ? t->s[*i + 1] : '\0';
    /* a switch, not an index computed from two string literals: whether equal literals are merged is up
       to the compiler (tcc does not), and "reg\\.example" must not depend on it */
    char d = e == 'b' ? '\b' : e == 't' ? '\t' : e == 'n' ? '\n' : e == 'f' ? '\f' : e == 'r' ? '\r'
           : e == '"' ? '"' : e == '\\' ? '\\' : '\0';
    if (d != '\0') { b[(*len)++] = d; *i += 2; return CRIOIMG_OK; }
    if (e == 'u' || e == 'U') {
        size_t nd = e == 'u' ? 4 : 8, k;
        unsigned long cp = 0;
        if (*i + 2 + nd > end) return crioimg__toml_err(t, "invalid escape in string");
        for (k = 0; k < nd; k++) {
            int h = crioimg__hexval(t->s[*i + 2 + k]);
            if (h < 0) return crioimg__toml_err(t, "invalid escape in string");
            cp = cp * 16 + (unsigned long)h;
        }
        if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return crioimg__toml_err(t, "invalid escape in string");
        /* TOML allows \u0000, but every string here is a C string that decides something (a location, a
           prefix, a mode, an alias): "example.com\u0000.attacker.io" must not become "example.com" */
        if (cp == 0) return crioimg__toml_err(t, "NUL character (\\u0000) in string");
        *len += crioimg__toml_put_utf8(b + *len, cp);
        *i += 2 + nd;
        return CRIOIMG_OK;
    }
    if (ml) {
        size_t k = *i + 1;
        while (k < end && (t->s[k] == ' ' || t->s[k] == '\t')) k++;
        if (k < end && (t->s[k] == '\n' || (t->s[k] == '\r' && k + 1 < end && t->s[k + 1] == '\n'))) {
            while (k < end && (t->s[k] == ' ' || t->s[k] == '\t' || t->s[k] == '\n' || (t->s[k] == '\r' && k + 1 < end && t->s[k + 1] == '\n'))) {
                if (t->s[k] == '\n') t->line++;
                k++;
            }
            *i = k;
            return CRIOIMG_OK;
        }
    }
    return crioimg__toml_err(t, "invalid escape in string");
}

/* A string at t->pos (basic, literal, multi-line basic or literal), unescaped into a new allocation. */
CRIOIMG__LIB crioimg_result crioimg__toml_string(crioimg__toml *t, char **out)
{
    char q = t->s[t->pos];
    int ml = t->pos + 2 < t->n && t->s[t->pos + 1] == q && t->s[t->pos + 2] == q;
    size_t i, end, len = 0;
    char *b;
    crioimg_result res;
    *out = NULL;
    t->pos += ml ? 3 : 1;
    if (ml && crioimg__toml_newline(t)) {}  /* a newline right after the opening quotes is trimmed */
    /* find the end first (the unescaped text is never longer) */
    for (end = t->pos;; ) {
        if (end >= t->n || (!ml && (t->s[end] == '\n' || t->s[end] == '\r'))) return crioimg__toml_err(t, "unterminated string");
        if (q == '"' && t->s[end] == '\\' && end + 1 < t->n) { end += 2; continue; }
        if (t->s[end] == q && (!ml || (end + 2 < t->n && t->s[end + 1] == q && t->s[end + 2] == q))) break;
        end++;
    }
    /* up to two quotes may end a multi-line string's content: """a""""" is a"" */
    if (ml) {
        size_t r = 3;
        while (end + r < t->n && t->s[end + r] == q) r++;
        if (r > 5) return crioimg__toml_err(t, "too many quotes at the end of a multi-line string");
        end += r - 3;
    }
    if ((b = (char *)crioimg_malloc(t->a, end - t->pos + 1)) == NULL) return CRIOIMG_ERR_NOMEM;
    for (i = t->pos; i < end;) {
        unsigned char c = (unsigned char)t->s[i];
        if (c == '\n' || (c == '\r' && i + 1 < end && t->s[i + 1] == '\n')) {  /* only in multi-line strings */
            if (c == '\r') b[len++] = t->s[i++];
            b[len++] = t->s[i++];
            t->line++;
            continue;
        }
        if ((c < 0x20 && c != '\t') || c == 0x7f) { crioimg_free(t->a, b); return crioimg__toml_err(t, "control character in string"); }
        if (q == '"' && c == '\\') {
            if ((res = crioimg__toml_escape(t, &i, end, ml, b, &len)) != CRIOIMG_OK) { crioimg_free(t->a, b); return res; }
            continue;
        }
        b[len++] = (char)c;
        i++;
    }
    b[len] = '\0';
    t->pos = end + (ml ? 3 : 1);
    *out = b;
    return CRIOIMG_OK;
}

/* One key part (bare or quoted) into a new allocation. */
CRIOIMG__LIB crioimg_result crioimg__toml_key1(crioimg__toml *t, char **out)
{
    size_t st = t->pos;
    *out = NULL;
    if (t->pos < t->n && (t->s[t->pos] == '"' || t->s[t->pos] == '\'')) {
        if (t->pos + 2 < t->n && t->s[t->pos + 1] == t->s[t->pos] && t->s[t->pos + 2] == t->s[t->pos])
            return crioimg__toml_err(t, "a multi-line string cannot be a key");
        return crioimg__toml_string(t, out);
    }
    while (t->pos < t->n && crioimg__toml_bare(t->s[t->pos])) t->pos++;
    if (t->pos == st) return crioimg__toml_err(t, "expected a key");
    if ((*out = (char *)crioimg_malloc(t->a, t->pos - st + 1)) == NULL) return CRIOIMG_ERR_NOMEM;
    memcpy(*out, t->s + st, t->pos - st);
    (*out)[t->pos - st] = '\0';
    return CRIOIMG_OK;
}

/* A dotted key's parts, on the heap: keyval recurses through inline tables, its frame stays small. */
typedef struct crioimg__tkey { char **part; size_t n, cap; } crioimg__tkey;

CRIOIMG__LIB void crioimg__tkey_free(const crioimg_allocator *a, crioimg__tkey *k)
{
    while (k->n) crioimg_free(a, k->part[--k->n]);
    crioimg_free(a, k->part);
    k->part = NULL;
    k->cap = 0;
}

/* A dotted key (a."b".c, whitespace allowed around the dots). */
CRIOIMG__LIB crioimg_result crioimg__toml_key(crioimg__toml *t, crioimg__tkey *k)
{
    crioimg_result res;
    k->n = 0;
    k->cap = 0;
    k->part = NULL;
    for (;;) {
        crioimg__toml_ws(t);
        if (k->n == CRIOIMG__TOML_MAX_DEPTH) { crioimg__tkey_free(t->a, k); return crioimg__toml_err(t, "key has too many parts (over 32)"); }
        if (k->n == k->cap) {
            size_t nc = k->cap ? k->cap * 2 : 4;
            char **p = (char **)crioimg_realloc(t->a, k->part, nc * sizeof *p);
            if (p == NULL) { crioimg__tkey_free(t->a, k); return CRIOIMG_ERR_NOMEM; }
            k->part = p;
            k->cap = nc;
        }
        if ((res = crioimg__toml_key1(t, &k->part[k->n])) != CRIOIMG_OK) { crioimg__tkey_free(t->a, k); return res; }
        k->n++;
        crioimg__toml_ws(t);
        if (t->pos < t->n && t->s[t->pos] == '.') { t->pos++; continue; }
        return CRIOIMG_OK;
    }
}

/* ---- numbers and dates: the token is checked against TOML's grammar and Go's ranges ---- */

/* digits of base (with single underscores between them) over s[i..n); returns the end or 0 */
CRIOIMG__LIB size_t crioimg__toml_digits(const char *s, size_t i, size_t n, int base)
{
    size_t st = i;
    for (; i < n; i++) {
        int h = crioimg__hexval(s[i]);
        if (s[i] == '_') { if (i == st || i + 1 >= n || s[i - 1] == '_' || crioimg__hexval(s[i + 1]) < 0 || crioimg__hexval(s[i + 1]) >= base) return 0; continue; }
        if (h < 0 || h >= base) break;
    }
    return i > st ? i : 0;
}

/* 1 when the decimal digit string d (no leading zeros) is above the limit lim */
CRIOIMG__LIB int crioimg__toml_above(const char *d, size_t n, const char *lim)
{
    size_t ln = strlen(lim);
    return n != ln ? n > ln : memcmp(d, lim, n) > 0;
}

/* 1 when the mantissa digits d (0.d...) are at or above lim's (0.lim...) */
CRIOIMG__LIB int crioimg__toml_mant_above(const char *d, size_t n, const char *lim)
{
    size_t ln = strlen(lim), m = n < ln ? n : ln;
    int c = memcmp(d, lim, m);
    return c != 0 ? c > 0 : n >= ln;
}

CRIOIMG__LIB crioimg_result crioimg__toml_number(crioimg__toml *t, const char *s, size_t n, crioimg__tnode *v)
{
    size_t i = 0, e, k;
    int neg = 0;
    char dig[40];
    size_t nd = 0, lead;
    long exp10 = 0;
    if (s[0] == '+' || s[0] == '-') { neg = s[0] == '-'; i = 1; }
    if (n - i == 3 && (memcmp(s + i, "inf", 3) == 0 || memcmp(s + i, "nan", 3) == 0)) { v->type = CRIOIMG__TN_FLOAT; return CRIOIMG_OK; }
    if (i == 0 && n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'o' || s[1] == 'b')) {
        int base = s[1] == 'x' ? 16 : s[1] == 'o' ? 8 : 2;
        unsigned long long val = 0, max = 0x7fffffffffffffffULL;
        if (crioimg__toml_digits(s, 2, n, base) != n) return crioimg__toml_err(t, "invalid integer");
        for (k = 2; k < n; k++) {
            if (s[k] == '_') continue;
            if (val > (max - (unsigned)crioimg__hexval(s[k])) / (unsigned)base) return crioimg__toml_err(t, "integer out of range (int64)");
            val = val * (unsigned)base + (unsigned)crioimg__hexval(s[k]);
        }
        v->type = CRIOIMG__TN_INT;
        return CRIOIMG_OK;
    }
    /* the integer part: 0, or no leading zero */
    if ((e = crioimg__toml_digits(s, i, n, 10)) == 0) return crioimg__toml_err(t, "invalid number");
    if (s[i] == '0' && e > i + 1) return crioimg__toml_err(t, "invalid number: leading zero");
    for (k = i; k < e; k++) if (s[k] != '_' && nd < sizeof dig) dig[nd++] = s[k]; else if (s[k] != '_') exp10++;
    if (e == n) {
        const char *d = dig;
        while (nd > 1 && *d == '0') { d++; nd--; }
        if (exp10 || crioimg__toml_above(d, nd, neg ? "9223372036854775808" : "9223372036854775807"))
            return crioimg__toml_err(t, "integer out of range (int64)");
        v->type = CRIOIMG__TN_INT;
        return CRIOIMG_OK;
    }
    if (s[e] == '.') {
        size_t f = crioimg__toml_digits(s, e + 1, n, 10);
        if (f == 0) return crioimg__toml_err(t, "invalid float: '.' must be followed by digits");
        for (k = e + 1; k < f; k++) if (s[k] != '_' && nd < sizeof dig) { dig[nd++] = s[k]; exp10--; }
        e = f;
    }
    if (e < n && (s[e] == 'e' || s[e] == 'E')) {
        size_t x = e + 1, xe;
        long ev = 0;
        int eneg = 0;
        if (x < n && (s[x] == '+' || s[x] == '-')) { eneg = s[x] == '-'; x++; }
        if ((xe = crioimg__toml_digits(s, x, n, 10)) != n) return crioimg__toml_err(t, "invalid float exponent");
        for (k = x; k < n; k++) if (s[k] != '_' && ev < 100000) ev = ev * 10 + (s[k] - '0');
        exp10 += eneg ? -ev : ev;
        e = n;
    }
    if (e != n) return crioimg__toml_err(t, "invalid number");
    /* Go's ParseFloat refuses what rounds to infinity (underflow to zero is no error) */
    for (lead = 0; lead < nd && dig[lead] == '0'; lead++) {}
    if (lead < nd) {
        long mag = (long)(nd - lead) + exp10;  /* the value is in [10^(mag-1), 10^mag) */
        if (mag > 309 || (mag == 309 && crioimg__toml_mant_above(dig + lead, nd - lead, "17976931348623158079")))
            return crioimg__toml_err(t, "float out of range (float64)");
    }
    v->type = CRIOIMG__TN_FLOAT;
    return CRIOIMG_OK;
}

CRIOIMG__LIB int crioimg__toml_2d(const char *s, int *v)
{
    if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9') return 0;
    *v = (s[0] - '0') * 10 + (s[1] - '0');
    return 1;
}

/* HH:MM:SS[.frac] at s; returns its length or 0 */
CRIOIMG__LIB size_t crioimg__toml_time(const char *s, size_t n)
{
    int h, m, sec;
    size_t i = 8;
    if (n < 8 || !crioimg__toml_2d(s, &h) || s[2] != ':' || !crioimg__toml_2d(s + 3, &m) || s[5] != ':' || !crioimg__toml_2d(s + 6, &sec)) return 0;
    if (h > 23 || m > 59 || sec > 59) return 0;
    if (i < n && s[i] == '.') {  /* 1 to 9 digits: Go's time.Parse refuses more */
        size_t st = ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9') i++;
        if (i == st || i - st > 9) return 0;
    }
    return i;
}

CRIOIMG__LIB crioimg_result crioimg__toml_datetime(crioimg__toml *t, const char *s, size_t n, crioimg__tnode *v)
{
    static const unsigned char mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    int y1, y2, mo, d, oh, om;
    size_t i;
    v->type = CRIOIMG__TN_DATETIME;
    if (n >= 3 && s[2] == ':') {  /* a local time */
        if (crioimg__toml_time(s, n) == n) return CRIOIMG_OK;
        return crioimg__toml_err(t, "invalid time");
    }
    if (n < 10 || !crioimg__toml_2d(s, &y1) || !crioimg__toml_2d(s + 2, &y2) || s[4] != '-' || !crioimg__toml_2d(s + 5, &mo) || s[7] != '-' ||
        !crioimg__toml_2d(s + 8, &d))
        return crioimg__toml_err(t, "invalid date");
    {
        int y = y1 * 100 + y2, leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || (mo == 2 && d == 29 && !leap)) return crioimg__toml_err(t, "invalid date");
    }
    if (n == 10) return CRIOIMG_OK;
    if (s[10] != 'T' && s[10] != 't' && s[10] != ' ') return crioimg__toml_err(t, "invalid date-time");
    if ((i = crioimg__toml_time(s + 11, n - 11)) == 0) return crioimg__toml_err(t, "invalid date-time");
    i += 11;
    if (i == n) return CRIOIMG_OK;
    if ((s[i] == 'Z' || s[i] == 'z') && i + 1 == n) return CRIOIMG_OK;
    /* an offset is any two digits each (Go's time.Parse checks no range there) */
    if ((s[i] == '+' || s[i] == '-') && i + 6 == n && crioimg__toml_2d(s + i + 1, &oh) && s[i + 3] == ':' && crioimg__toml_2d(s + i + 4, &om))
        return CRIOIMG_OK;
    return crioimg__toml_err(t, "invalid date-time offset");
}

/* A number, date, time, boolean, inf or nan at t->pos: the token as the Go lexer delimits it. */
CRIOIMG__LIB crioimg_result crioimg__toml_scalar(crioimg__toml *t, crioimg__tnode *v)
{
    const char *s = t->s + t->pos;
    size_t n = 0, rest = t->n - t->pos;
    if ((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')) {
        while (n < rest && ((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' && s[n] <= 'Z'))) n++;
        t->pos += n;
        if (n == 4 && memcmp(s, "true", 4) == 0) { v->type = CRIOIMG__TN_BOOL; v->b = 1; return CRIOIMG_OK; }
        if (n == 5 && memcmp(s, "false", 5) == 0) { v->type = CRIOIMG__TN_BOOL; return CRIOIMG_OK; }
        if (n == 3 && (memcmp(s, "inf", 3) == 0 || memcmp(s, "nan", 3) == 0)) { v->type = CRIOIMG__TN_FLOAT; return CRIOIMG_OK; }
        return crioimg__toml_err(t, "expected a value");
    }
    if (s[0] >= '0' && s[0] <= '9') {
        while (n < rest && s[n] >= '0' && s[n] <= '9') n++;
        if (n < rest && (s[n] == '-' || s[n] == ':')) {
            while (n < rest && ((s[n] >= '0' && s[n] <= '9') || strchr("-:Tt .Zz+", s[n]) != NULL) && s[n] != '\0') n++;
            while (n > 0 && s[n - 1] == ' ') n--;
            t->pos += n;
            return crioimg__toml_datetime(t, s, n, v);
        }
    }
    while (n < rest && (crioimg__toml_bare(s[n]) || s[n] == '.' || s[n] == '+')) n++;
    t->pos += n;
    if (n == 0) return crioimg__toml_err(t, "expected a value");
    return crioimg__toml_number(t, s, n, v);
}

CRIOIMG__LIB crioimg_result crioimg__toml_keyval(crioimg__toml *t, crioimg__tnode *table, int inl);

/* The value at t->pos into v (whose type is 0). */
CRIOIMG__LIB crioimg_result crioimg__toml_value(crioimg__toml *t, crioimg__tnode *v)
{
    char c;
    crioimg_result res = CRIOIMG_OK;
    if (t->pos >= t->n) return crioimg__toml_err(t, "expected a value");
    c = t->s[t->pos];
    if (c == '"' || c == '\'') { v->type = CRIOIMG__TN_STRING; return crioimg__toml_string(t, &v->str); }
    if (c != '[' && c != '{') return crioimg__toml_scalar(t, v);
    if (t->depth >= CRIOIMG__TOML_MAX_NEST) return crioimg__toml_err(t, "values nested too deep (over 16)");
    t->depth++;
    t->pos++;
    if (c == '[') {
        v->type = CRIOIMG__TN_ARRAY;
        for (;;) {
            crioimg__tnode *item;
            if ((res = crioimg__toml_skip_lines(t)) != CRIOIMG_OK) break;
            if (t->pos < t->n && t->s[t->pos] == ']') { t->pos++; break; }
            if ((item = crioimg__tnode_new(t, 0, NULL, t->line)) == NULL) { res = CRIOIMG_ERR_NOMEM; break; }
            if ((res = crioimg__toml_value(t, item)) != CRIOIMG_OK) { crioimg__tnode_free(t->a, item); break; }
            if ((res = crioimg__tnode_add(t, v, item)) != CRIOIMG_OK) break;
            if ((res = crioimg__toml_skip_lines(t)) != CRIOIMG_OK) break;
            if (t->pos < t->n && t->s[t->pos] == ',') { t->pos++; continue; }
            if (t->pos < t->n && t->s[t->pos] == ']') { t->pos++; break; }
            res = crioimg__toml_err(t, t->pos < t->n ? "expected ',' or ']' in array" : "unterminated array");
            break;
        }
    } else {
        v->type = CRIOIMG__TN_TABLE;
        crioimg__toml_ws(t);
        if (t->pos < t->n && t->s[t->pos] == '}') t->pos++;
        else for (;;) {
            if ((res = crioimg__toml_keyval(t, v, 1)) != CRIOIMG_OK) break;
            crioimg__toml_ws(t);
            if (t->pos < t->n && t->s[t->pos] == ',') { t->pos++; continue; }
            if (t->pos < t->n && t->s[t->pos] == '}') { t->pos++; break; }
            res = crioimg__toml_err(t, "expected ',' or '}' in inline table");
            break;
        }
    }
    t->depth--;
    return res;
}

/* A key set twice. A value array is refused even where BurntSushi/toml 1.2.0 lets the second
   definition replace it (a = [1] then a = 2, [a] or a.b = 1): the README's list of differences. */
CRIOIMG__LIB crioimg_result crioimg__toml_twice(crioimg__toml *t, unsigned long line, const char *what, const char *key)
{
    return crioimg__toml_fail(t, line, what, key, strlen(key));
}

/* Goes from p into the table part names (made implicit if missing), as the decoder does on the way
   to a key or a header: through tables of any kind and into the last table of an array of tables. */
CRIOIMG__LIB crioimg_result crioimg__toml_into(crioimg__toml *t, crioimg__tnode **p, char **part, unsigned long line, int dotted)
{
    crioimg__tnode *nx = crioimg__tnode_get(*p, *part);
    crioimg_result res;
    if (nx == NULL) {
        if ((nx = crioimg__tnode_new(t, CRIOIMG__TN_TABLE, *part, line)) == NULL) return CRIOIMG_ERR_NOMEM;
        *part = NULL;
        nx->flags = CRIOIMG__TF_IMPLICIT;
        if ((res = crioimg__tnode_add(t, *p, nx)) != CRIOIMG_OK) return res;
    } else if (nx->type == CRIOIMG__TN_ARRAY && (nx->flags & CRIOIMG__TF_AOT)) {
        nx = nx->kids[nx->nkids - 1];
    } else if (nx->type != CRIOIMG__TN_TABLE) {
        return crioimg__toml_twice(t, line, "key defined twice:", *part);
    } else if (dotted) {
        nx->flags &= (unsigned char)~CRIOIMG__TF_IMPLICIT;  /* the decoder's dotted key names an existing table */
    }
    *p = nx;
    return CRIOIMG_OK;
}

/* key = value into table (inl: inside an inline table, where no newline may follow). */
CRIOIMG__LIB crioimg_result crioimg__toml_keyval(crioimg__toml *t, crioimg__tnode *table, int inl)
{
    crioimg__tkey k;
    crioimg__tnode *cur = table, *v, *ex;
    crioimg_result res = CRIOIMG_OK;
    unsigned long line = t->line;
    size_t i;
    if ((res = crioimg__toml_key(t, &k)) != CRIOIMG_OK) return res;
    for (i = 0; i + 1 < k.n && res == CRIOIMG_OK; i++) res = crioimg__toml_into(t, &cur, &k.part[i], line, 1);
    if (res == CRIOIMG_OK) {
        crioimg__toml_ws(t);
        if (t->pos >= t->n || t->s[t->pos] != '=') res = crioimg__toml_err(t, "expected '=' after the key");
    }
    if (res != CRIOIMG_OK) { crioimg__tkey_free(t->a, &k); return res; }
    t->pos++;
    crioimg__toml_ws(t);
    v = crioimg__tnode_new(t, 0, k.part[k.n - 1], line);
    k.part[k.n - 1] = NULL;
    crioimg__tkey_free(t->a, &k);
    if (v == NULL) return CRIOIMG_ERR_NOMEM;
    if ((res = crioimg__toml_value(t, v)) != CRIOIMG_OK) { crioimg__tnode_free(t->a, v); return res; }
    ex = crioimg__tnode_get(cur, v->key);
    if (ex && ex->type == CRIOIMG__TN_TABLE && (ex->flags & CRIOIMG__TF_IMPLICIT) && v->type != CRIOIMG__TN_TABLE) {
        /* a.b = 1 then a = 2: the decoder keeps the table and drops the value (once) */
        ex->flags &= (unsigned char)~CRIOIMG__TF_IMPLICIT;
        crioimg__tnode_free(t->a, v);
        v = ex;
    } else if (ex) {
        res = crioimg__toml_twice(t, line, "key defined twice:", v->key);
        crioimg__tnode_free(t->a, v);
        return res;
    } else if ((res = crioimg__tnode_add(t, cur, v)) != CRIOIMG_OK) {
        return res;
    }
    if (!inl && !crioimg__toml_eol(t)) return crioimg__toml_fail(t, t->line, "expected a newline after the value of", v->key, strlen(v->key));
    return CRIOIMG_OK;
}

/* A [table] or [[array.of.tables]] header: the table later keys go into, in *cur. */
CRIOIMG__LIB crioimg_result crioimg__toml_header(crioimg__toml *t, crioimg__tnode *root, crioimg__tnode **cur)
{
    int arr = t->pos + 1 < t->n && t->s[t->pos + 1] == '[';
    unsigned long line = t->line;
    crioimg__tkey k;
    crioimg__tnode *p = root, *nx;
    crioimg_result res = CRIOIMG_OK;
    size_t i;
    t->pos += arr ? 2 : 1;
    if ((res = crioimg__toml_key(t, &k)) != CRIOIMG_OK) return res;
    if (t->pos >= t->n || t->s[t->pos] != ']' || (arr && (t->pos + 1 >= t->n || t->s[t->pos + 1] != ']')))
        res = crioimg__toml_fail(t, line, "malformed table header", NULL, 0);
    else
        t->pos += arr ? 2 : 1;
    for (i = 0; i + 1 < k.n && res == CRIOIMG_OK; i++) res = crioimg__toml_into(t, &p, &k.part[i], line, 0);
    if (res != CRIOIMG_OK) { crioimg__tkey_free(t->a, &k); return res; }
    nx = crioimg__tnode_get(p, k.part[k.n - 1]);
    if (nx == NULL) {
        if ((nx = crioimg__tnode_new(t, arr ? CRIOIMG__TN_ARRAY : CRIOIMG__TN_TABLE, k.part[k.n - 1], line)) == NULL) res = CRIOIMG_ERR_NOMEM;
        else {
            k.part[k.n - 1] = NULL;
            nx->flags = (unsigned char)(arr ? CRIOIMG__TF_AOT : 0);
            res = crioimg__tnode_add(t, p, nx);
        }
    } else if (arr ? !(nx->type == CRIOIMG__TN_ARRAY && (nx->flags & CRIOIMG__TF_AOT))
                   : !(nx->type == CRIOIMG__TN_TABLE && (nx->flags & CRIOIMG__TF_IMPLICIT))) {
        res = crioimg__toml_twice(t, line, arr || nx->type != CRIOIMG__TN_TABLE ? "key defined twice:" : "table defined twice:", k.part[k.n - 1]);
    } else if (!arr) {
        nx->flags &= (unsigned char)~CRIOIMG__TF_IMPLICIT;
    }
    crioimg__tkey_free(t->a, &k);
    if (res != CRIOIMG_OK) return res;
    if (arr) {
        crioimg__tnode *tab = crioimg__tnode_new(t, CRIOIMG__TN_TABLE, NULL, line);
        if (tab == NULL) return CRIOIMG_ERR_NOMEM;
        if ((res = crioimg__tnode_add(t, nx, tab)) != CRIOIMG_OK) return res;
        nx = tab;
    }
    *cur = nx;
    if (!crioimg__toml_eol(t)) return crioimg__toml_fail(t, line, "expected a newline after the table header", NULL, 0);
    return CRIOIMG_OK;
}

/* Parses t's whole text into a new root table (freed by the caller with crioimg__tnode_free). */
CRIOIMG__LIB crioimg_result crioimg__toml_parse(crioimg__toml *t, crioimg__tnode **out)
{
    crioimg__tnode *root, *cur;
    crioimg_result res = CRIOIMG_OK;
    size_t i;
    *out = NULL;
    if (t->n > CRIOIMG__TOML_MAX) return crioimg__toml_fail(t, 1, "file too large (over 1 MiB)", NULL, 0);
    {
        const char *nul = (const char *)memchr(t->s, '\0', t->n);
        if (nul) return crioimg__toml_fail(t, crioimg__line_of(t->s, t->n, (size_t)(nul - t->s)), "NUL byte in file", NULL, 0);
    }
    /* BurntSushi/toml 1.2.0 reads over the two bytes of a UTF-16 byte order mark (and then UTF-8),
       not over a UTF-8 one (U+FEFF is then no key) */
    if (t->n >= 2 && (((unsigned char)t->s[0] == 0xff && (unsigned char)t->s[1] == 0xfe) || ((unsigned char)t->s[0] == 0xfe && (unsigned char)t->s[1] == 0xff)))
        t->pos = 2;
    if (t->n - t->pos >= 3 && memcmp(t->s + t->pos, "\xef\xbb\xbf", 3) == 0)
        return crioimg__toml_fail(t, 1, "a UTF-8 byte order mark (containers/image's decoder refuses it)", NULL, 0);
    /* the whole text is UTF-8, comments included */
    for (i = t->pos; i < t->n;) {
        size_t l = (unsigned char)t->s[i] < 0x80 ? 1 : crioimg__utf8_len((const unsigned char *)t->s + i, t->n - i);
        if (l == 0) return crioimg__toml_fail(t, crioimg__line_of(t->s, t->n, i), "invalid UTF-8", NULL, 0);
        i += l;
    }
    if ((root = crioimg__tnode_new(t, CRIOIMG__TN_TABLE, NULL, 1)) == NULL) return CRIOIMG_ERR_NOMEM;
    cur = root;
    while (res == CRIOIMG_OK && t->pos < t->n) {
        size_t at = t->pos;
        if (crioimg__toml_eol(t)) continue;
        if (t->pos < t->n && (((unsigned char)t->s[t->pos] < 0x20 && t->s[t->pos] != '\t') || t->s[t->pos] == 0x7f)) {
            res = crioimg__toml_err(t, memchr(t->s + at, '#', t->pos - at) ? "control character in a comment" : "unexpected control character");
            break;
        }
        if (t->s[t->pos] == '[') res = crioimg__toml_header(t, root, &cur);
        else res = crioimg__toml_keyval(t, cur, 0);
    }
    if (res != CRIOIMG_OK) { crioimg__tnode_free(t->a, root); return res; }
    *out = root;
    return CRIOIMG_OK;
}
