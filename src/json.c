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
#include "internal.h"

#define CRIOIMG__JSON_MAX_SIZE  ((size_t)4 << 20)
#define CRIOIMG__JSON_MAX_DEPTH 64
#define CRIOIMG__JSON_SMALL_OBJ 8     /* objects up to this many members are checked pairwise, unsorted */

/* Bytes a string may hold as they are: not '"', '\\', a control character or non-ASCII. */
#define CRIOIMG__JP(c) ((c) >= 0x20 && (c) < 0x80 && (c) != '"' && (c) != '\\')
static const unsigned char crioimg__json_plain[256] = { CRIOIMG__TABLE256(CRIOIMG__JP) };
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
    int refuse_nul;
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
    /* the only way a NUL gets into a string (a raw one is a control character): here it is cheap to refuse */
    if (cp == 0 && p->refuse_nul) return crioimg__json_fail(p, CRIOIMG_ERR_JSON_SYNTAX, i, "NUL character (\\u0000) in a string");
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

/* Texts toml.c gives too, named: a literal two parts share is placed among the strings of whichever
   function the compiler emits first, and a program that reads JSON only would carry the TOML reader's
   (issue 13). */
static const char crioimg__json_t_number[] = "invalid number";
static const char crioimg__json_t_value[] = "expected a value";

static crioimg_result crioimg__json_number(crioimg__json_p *p)
{
    size_t l = crioimg__json_number_len(p->s + p->pos, p->n - p->pos), end = p->pos + l;
    crioimg_result r;
    if (l == 0) return crioimg__json_fail(p, CRIOIMG_ERR_JSON_SYNTAX, p->pos, crioimg__json_t_number);
    if (end < p->n) {
        char c = p->s[end];
        /* only a '0' can be followed by a digit here */
        if (crioimg__json_digit(c)) return crioimg__json_fail(p, CRIOIMG_ERR_JSON_SYNTAX, p->pos, "leading zero in number");
        if (c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
            return crioimg__json_fail(p, CRIOIMG_ERR_JSON_SYNTAX, p->pos, crioimg__json_t_number);
    }
    if ((r = crioimg__json_push(p, CRIOIMG_JSON_NUMBER, p->pos)) != CRIOIMG_OK) return r;
    p->doc->tok[p->doc->ntok - 1].len = l;
    p->pos = end;
    return CRIOIMG_OK;
}

/* true, false, null: exactly, and not run on into a longer word ("truex") */
static crioimg_result crioimg__json_literal(crioimg__json_p *p)
{
    static const char word[3][6] = { "null", "false", "true" };   /* not pointers: no relocations in a PIE */
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
    /* byte by byte, not memcmp with a literal toml.c has too (see crioimg__json_t_number) */
    if (p->pos == 0 && p->n >= 3 && (unsigned char)p->s[0] == 0xef && (unsigned char)p->s[1] == 0xbb && (unsigned char)p->s[2] == 0xbf)
        return crioimg__json_fail(p, CRIOIMG_ERR_JSON_SYNTAX, 0, "byte order mark (not allowed in JSON)");
    return crioimg__json_fail_found(p, p->pos, crioimg__json_t_value);
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
    p.refuse_nul = !opts || opts->refuse_nul || !opts->keep_nul;   /* zero refuses: keeping is asked for by name */
    if (buf == NULL && len > 0) return crioimg__json_fail(&p, CRIOIMG_ERR_INVALID_ARGS, 0, "no buffer");
    if (opts) {
        if (crioimg_allocator_check(&opts->alloc) != CRIOIMG_OK)
            return crioimg__json_fail(&p, CRIOIMG_ERR_INVALID_ARGS, 0, "allocator: set all three functions or none");
        doc->alloc = opts->alloc;
    }
    if (len > max_size) {  /* before reading a byte of it (so no line either) */
        r = crioimg__json_fail_n(&p, CRIOIMG_ERR_JSON_TOO_BIG, max_size, "document larger than ", max_size, " bytes");
        doc->err_line = 0;
        return r;
    }
    r = crioimg__json_run(&p);
    crioimg_free(&doc->alloc, p.keys);
    if (r != CRIOIMG_OK) {
        doc->err_line = crioimg__line_of(buf, len, doc->err_offset);
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

unsigned long crioimg_json_line(const crioimg_json *doc, size_t offset)
{
    if (doc == NULL || doc->buf == NULL) return 0;
    return crioimg__line_of(doc->buf, doc->len, offset);
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
