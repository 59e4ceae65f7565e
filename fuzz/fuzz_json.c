/* libFuzzer target for the JSON reader and writer: never crash, never read past the input, never leak.
   On success the tokens must describe the input exactly (spans inside the buffer and on the right
   bytes, sibling indexes increasing and consistent, counts right, strings unescaping to valid UTF-8,
   lookups finding every key); the limits must cut exactly where the document needs them; a failing
   allocator gives ERR_NOMEM or the same answer; and the document written back from its tokens must parse
   to the same structure and rewrite to the same bytes; the SSE2 string scan agrees with the byte loop.
   The helpers serve the unit tests too. */
#ifndef _POSIX_C_SOURCE   /* crioimg's implementation: POSIX.1-2008 and 64-bit file offsets, before any #include */
#define _POSIX_C_SOURCE 200809L
#define _FILE_OFFSET_BITS 64
#endif
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifndef CRIOIMG_FUZZ_REPLAY
#define CRIOIMG_IMPLEMENTATION
#endif
#include "../crioimg.h"

/* An allocator that fails its fail_at-th allocation (counting from 1; 0 = never) and counts live blocks. */
typedef struct fuzz_json_heap { size_t calls, fail_at, live; } fuzz_json_heap;

static void *fuzz_json_heap_alloc(size_t n, void *u)
{
    fuzz_json_heap *h = (fuzz_json_heap *)u;
    void *p;
    if (++h->calls == h->fail_at) return NULL;
    if ((p = malloc(n ? n : 1)) != NULL) h->live++;
    return p;
}

static void *fuzz_json_heap_realloc(void *old, size_t n, void *u)
{
    fuzz_json_heap *h = (fuzz_json_heap *)u;
    void *p;
    if (++h->calls == h->fail_at) return NULL;
    if ((p = realloc(old, n ? n : 1)) != NULL && old == NULL) h->live++;
    return p;
}

static void fuzz_json_heap_free(void *p, void *u)
{
    fuzz_json_heap *h = (fuzz_json_heap *)u;
    if (p) { h->live--; free(p); }
}

static crioimg_allocator fuzz_json_allocator(fuzz_json_heap *h, size_t fail_at)
{
    crioimg_allocator a;
    h->calls = 0; h->fail_at = fail_at; h->live = 0;
    a.alloc = fuzz_json_heap_alloc; a.realloc = fuzz_json_heap_realloc; a.free = fuzz_json_heap_free; a.user = h;
    return a;
}

/* A STRING token unescaped into a new buffer (NUL-terminated; *n its length). */
static char *fuzz_json_unescaped(const crioimg_json *d, size_t t, size_t *n)
{
    size_t l = crioimg_json_string(d, t, NULL, 0);
    char *s = (char *)malloc(l + 1);
    if (s == NULL || crioimg_json_string(d, t, s, l + 1) != l || s[l] != '\0') abort();
    *n = l;
    return s;
}

static int fuzz_json_ws(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

/* A STRING token: quotes around it, the escaped flag right, unescaping consistent and valid UTF-8. */
static void fuzz_json_check_string(const crioimg_json *d, size_t i)
{
    const crioimg_json_token *t = &d->tok[i];
    size_t n, k, l, cut;
    char *s, *part;
    if (t->start == 0 || d->buf[t->start - 1] != '"' || t->start + t->len >= d->len || d->buf[t->start + t->len] != '"') abort();
    if ((memchr(d->buf + t->start, '\\', t->len) != NULL) != (t->escaped != 0)) abort();
    s = fuzz_json_unescaped(d, i, &n);
    if (n > t->len || (!t->escaped && (n != t->len || memcmp(s, d->buf + t->start, n) != 0))) abort();
    for (k = 0; k < n; k += l) if ((l = crioimg__utf8_len((const unsigned char *)s + k, n - k)) == 0) abort();
    if (!crioimg_json_string_eq(d, i, s, n)) abort();
    if (n > 0) {
        s[n - 1] ^= 1;
        if (crioimg_json_string_eq(d, i, s, n) || crioimg_json_string_eq(d, i, s, n - 1)) abort();
        s[n - 1] ^= 1;
    }
    cut = n / 2 + 1;   /* a truncated copy is a terminated prefix and still reports the full length */
    if ((part = (char *)malloc(cut)) == NULL) abort();
    if (crioimg_json_string(d, i, part, cut) != n || memcmp(part, s, strlen(part)) != 0 || strlen(part) > cut - 1) abort();
    if (memchr(s, '\0', n) == NULL && strlen(part) != (n < cut ? n : cut - 1)) abort();
    free(part);
    free(s);
}

/* A NUMBER token: its text is exactly a number; reading it as an integer is consistent. */
static void fuzz_json_check_number(const crioimg_json *d, size_t i)
{
    const crioimg_json_token *t = &d->tok[i];
    const char *s = d->buf + t->start;
    long long v, w;
    size_t k, digits = 0;
    int plain = 1;
    crioimg_result r;
    if (crioimg__json_number_len(s, t->len) != t->len) abort();
    for (k = 0; k < t->len; k++) {
        if (s[k] >= '0' && s[k] <= '9') digits++;
        else if (!(k == 0 && s[k] == '-')) plain = 0;
    }
    r = crioimg_json_int(d, i, LLONG_MIN, LLONG_MAX, &v);
    if (r != CRIOIMG_OK && r != CRIOIMG_ERR_JSON_TYPE && r != CRIOIMG_ERR_JSON_RANGE) abort();
    if (plain && digits <= 18) {   /* plain integers that surely fit: strtoll agrees */
        char tmp[24];
        memcpy(tmp, s, t->len); tmp[t->len] = '\0';
        if (r != CRIOIMG_OK || v != strtoll(tmp, NULL, 10)) abort();
    }
    if (plain && r == CRIOIMG_ERR_JSON_TYPE) abort();
    if (r == CRIOIMG_OK) {
        if (crioimg_json_int(d, i, v, v, &w) != CRIOIMG_OK || w != v) abort();
        if (v != LLONG_MAX && crioimg_json_int(d, i, v + 1, LLONG_MAX, &w) != CRIOIMG_ERR_JSON_RANGE) abort();
        if (v != LLONG_MIN && crioimg_json_int(d, i, LLONG_MIN, v - 1, &w) != CRIOIMG_ERR_JSON_RANGE) abort();
    } else if (crioimg_json_int(d, i, 0, 0, &w) != r) {
        abort();
    }
}

/* A container: brackets at its ends, children tiling it, keys strings, the count right. */
static void fuzz_json_check_container(const crioimg_json *d, size_t i, int dups_allowed)
{
    const crioimg_json_token *t = &d->tok[i];
    int object = t->type == CRIOIMG_JSON_OBJECT;
    size_t c = i + 1, k = 0;
    if (t->len < 2 || d->buf[t->start] != (object ? '{' : '[') || d->buf[t->start + t->len - 1] != (object ? '}' : ']')) abort();
    while (c < t->next) {
        if (object && k % 2 == 0 && d->tok[c].type != CRIOIMG_JSON_STRING) abort();
        if (d->tok[c].next > t->next || d->tok[c].start + d->tok[c].len > t->start + t->len) abort();
        c = d->tok[c].next;
        k++;
    }
    if (c != t->next || k != (object ? 2 * t->count : t->count)) abort();
    if (!object || dups_allowed) return;
    for (c = i + 1, k = 0; k < t->count && k < 16; k++, c = d->tok[c + 1].next) {   /* every key is found */
        size_t n;
        char *key = fuzz_json_unescaped(d, c, &n);
        if (strlen(key) == n && crioimg_json_get(d, i, key) != c + 1) abort();
        free(key);
    }
}

/* Every invariant of a parsed document; returns its depth (open containers at the deepest point). */
static size_t fuzz_json_check(const crioimg_json *d, int dups_allowed)
{
    size_t i, sp = 0, depth = 0, *stk;
    if (d->ntok == 0 || d->tok == NULL || d->tok[0].next != d->ntok) abort();
    for (i = 0; i < d->tok[0].start - (d->tok[0].type == CRIOIMG_JSON_STRING); i++) if (!fuzz_json_ws(d->buf[i])) abort();
    for (i = d->tok[0].start + d->tok[0].len + (d->tok[0].type == CRIOIMG_JSON_STRING); i < d->len; i++)
        if (!fuzz_json_ws(d->buf[i])) abort();
    if ((stk = (size_t *)malloc(d->ntok * sizeof *stk)) == NULL) abort();
    for (i = 0; i < d->ntok; i++) {
        const crioimg_json_token *t = &d->tok[i];
        if (t->type > CRIOIMG_JSON_OBJECT || t->next <= i || t->next > d->ntok) abort();
        if (t->start > d->len || t->len > d->len - t->start) abort();
        if (i > 0 && t->start <= d->tok[i - 1].start) abort();
        while (sp > 0 && d->tok[stk[sp - 1]].next <= i) sp--;
        if (sp > 0 && t->next > d->tok[stk[sp - 1]].next) abort();
        switch (t->type) {
        case CRIOIMG_JSON_NULL: case CRIOIMG_JSON_FALSE: case CRIOIMG_JSON_TRUE: {
            static const char *const word[3] = { "null", "false", "true" };
            if (t->len != strlen(word[t->type]) || memcmp(d->buf + t->start, word[t->type], t->len) != 0 || t->next != i + 1) abort();
            break;
        }
        case CRIOIMG_JSON_NUMBER: if (t->next != i + 1) abort(); fuzz_json_check_number(d, i); break;
        case CRIOIMG_JSON_STRING: if (t->next != i + 1) abort(); fuzz_json_check_string(d, i); break;
        default:
            fuzz_json_check_container(d, i, dups_allowed);
            stk[sp++] = i;
            if (sp > depth) depth = sp;
        }
    }
    free(stk);
    return depth;
}

/* Writes the document back from its tokens (no recursion: an explicit stack of open containers). */
static crioimg_result fuzz_json_rewrite(const crioimg_json *d, crioimg_json_writer *w, const char **text, size_t *len)
{
    size_t i, sp = 0, *stk, *seen, n;
    char *s;
    if ((stk = (size_t *)malloc(d->ntok * sizeof *stk)) == NULL || (seen = (size_t *)malloc(d->ntok * sizeof *seen)) == NULL) abort();
    for (i = 0; i < d->ntok; i++) {
        const crioimg_json_token *t = &d->tok[i];
        int key;
        while (sp > 0 && d->tok[stk[sp - 1]].next <= i) {
            if (d->tok[stk[--sp]].type == CRIOIMG_JSON_OBJECT) crioimg_json_write_object_end(w);
            else crioimg_json_write_array_end(w);
        }
        key = sp > 0 && d->tok[stk[sp - 1]].type == CRIOIMG_JSON_OBJECT && seen[sp - 1] % 2 == 0;
        if (sp > 0) seen[sp - 1]++;
        switch (t->type) {
        case CRIOIMG_JSON_NULL: crioimg_json_write_null(w); break;
        case CRIOIMG_JSON_FALSE: crioimg_json_write_bool(w, 0); break;
        case CRIOIMG_JSON_TRUE: crioimg_json_write_bool(w, 1); break;
        case CRIOIMG_JSON_NUMBER: crioimg_json_write_number(w, d->buf + t->start, t->len); break;
        case CRIOIMG_JSON_STRING:
            s = fuzz_json_unescaped(d, i, &n);
            if (key) crioimg_json_write_key(w, s, n); else crioimg_json_write_string(w, s, n);
            free(s);
            break;
        default:
            if (t->type == CRIOIMG_JSON_OBJECT) crioimg_json_write_object_begin(w); else crioimg_json_write_array_begin(w);
            seen[sp] = 0;
            stk[sp++] = i;
        }
    }
    while (sp > 0) {
        if (d->tok[stk[--sp]].type == CRIOIMG_JSON_OBJECT) crioimg_json_write_object_end(w);
        else crioimg_json_write_array_end(w);
    }
    free(stk);
    free(seen);
    return crioimg_json_writer_finish(w, text, len);
}

/* Same tree: types, counts, shape, unescaped strings, number texts. */
static int fuzz_json_same(const crioimg_json *a, const crioimg_json *b)
{
    size_t i;
    if (a->ntok != b->ntok) return 0;
    for (i = 0; i < a->ntok; i++) {
        const crioimg_json_token *x = &a->tok[i], *y = &b->tok[i];
        if (x->type != y->type || x->count != y->count || x->next != y->next) return 0;
        if (x->type == CRIOIMG_JSON_NUMBER && (x->len != y->len || memcmp(a->buf + x->start, b->buf + y->start, x->len) != 0)) return 0;
        if (x->type == CRIOIMG_JSON_STRING) {
            size_t n, m;
            char *s = fuzz_json_unescaped(a, i, &n), *t = fuzz_json_unescaped(b, i, &m);
            int eq = n == m && memcmp(s, t, n) == 0;
            free(s); free(t);
            if (!eq) return 0;
        }
    }
    return 1;
}

/* Options that keep NULs (keep_nul, else zeroed): the plain RFC 8259 reader, as Go's encoding/json
   reads; the checks below compare the default (NULs refused) with it. */
static crioimg_json_opts fuzz_json_keep(void)
{
    crioimg_json_opts o;
    memset(&o, 0, sizeof o);
    o.keep_nul = 1;
    return o;
}

/* Write back, parse again: the same structure; write that back: the same bytes. */
static void fuzz_json_roundtrip(const crioimg_json *d)
{
    crioimg_json_opts keep = fuzz_json_keep();
    crioimg_json_writer w1, w2;
    crioimg_json e;
    const char *t1, *t2;
    size_t n1, n2;
    crioimg_json_writer_init(&w1, NULL);
    crioimg_json_writer_init(&w2, NULL);
    if (fuzz_json_rewrite(d, &w1, &t1, &n1) != CRIOIMG_OK) abort();
    if (crioimg_json_parse(&e, t1, n1, &keep) != CRIOIMG_OK || !fuzz_json_same(d, &e)) abort();
    fuzz_json_check(&e, 0);
    if (fuzz_json_rewrite(&e, &w2, &t2, &n2) != CRIOIMG_OK || n1 != n2 || memcmp(t1, t2, n1) != 0) abort();
    crioimg_json_free(&e);
    crioimg_json_writer_free(&w1);
    crioimg_json_writer_free(&w2);
}

/* The same input with one option changed must give want. */
static void fuzz_json_expect(const char *s, size_t n, const crioimg_json_opts *o, crioimg_result want)
{
    crioimg_json e;
    crioimg_result r = crioimg_json_parse(&e, s, n, o);
    if (r != want) abort();
    crioimg_json_free(&e);
}

static void fuzz_json_limits(const crioimg_json *d, const char *s, size_t n, size_t depth)
{
    crioimg_json_opts o = fuzz_json_keep();
    o.max_size = n; fuzz_json_expect(s, n, &o, CRIOIMG_OK);
    if (n > 1) { o.max_size = n - 1; fuzz_json_expect(s, n, &o, CRIOIMG_ERR_JSON_TOO_BIG); }
    o = fuzz_json_keep();
    o.max_tokens = d->ntok; fuzz_json_expect(s, n, &o, CRIOIMG_OK);
    if (d->ntok > 1) { o.max_tokens = d->ntok - 1; fuzz_json_expect(s, n, &o, CRIOIMG_ERR_JSON_TOO_BIG); }
    o = fuzz_json_keep();
    if (depth > 0) { o.max_depth = depth; fuzz_json_expect(s, n, &o, CRIOIMG_OK); }
    if (depth > 1) { o.max_depth = depth - 1; fuzz_json_expect(s, n, &o, CRIOIMG_ERR_JSON_TOO_DEEP); }
}

/* The SSE2 skip over plain string bytes stops where the byte loop would, or where fewer than 16 remain. */
static void fuzz_json_paths_agree(const uint8_t *s, size_t n)
{
#ifdef CRIOIMG__SSE2
    size_t from, j, k;
    for (from = 0; from <= n; from += n / 3 + 1) {
        j = crioimg__json_skip_plain(s, from, n);
        for (k = from; k < j; k++) if (!crioimg__json_plain[s[k]]) abort();
        if (j < from || (n - j >= 16 && crioimg__json_plain[s[j]])) abort();
    }
#else
    (void)s; (void)n;
#endif
}

/* 1 when some string or key of d unescapes to bytes holding a NUL (its length against its C length) */
static int fuzz_json_has_nul(const crioimg_json *d)
{
    size_t t;
    for (t = 0; t < d->ntok; t++) {
        size_t n;
        char *b;
        int nul;
        if (d->tok[t].type != CRIOIMG_JSON_STRING || !d->tok[t].escaped) continue;
        n = crioimg_json_string(d, t, NULL, 0);
        if ((b = (char *)malloc(n + 1)) == NULL) abort();
        if (crioimg_json_string(d, t, b, n + 1) != n) abort();
        nul = strlen(b) != n;
        free(b);
        if (nul) return 1;
    }
    return 0;
}

/* NULs refused (issue 10; the default since issue 13, keep_nul 0): exactly the documents with a NUL in a
   decoded string are refused, at the line of its offset, and nothing else changes. d and r are the parse
   with keep_nul. refuse_nul 1 (its old opt-in, kept for source compatibility) refuses whatever keep_nul
   says, alike. */
static void fuzz_json_refuse_nul(const crioimg_json *d, crioimg_result r, const char *s, size_t size)
{
    crioimg_json e, c;
    crioimg_json_opts o;
    crioimg_result r3, rc;
    size_t i;
    unsigned long line = 1;
    r3 = crioimg_json_parse(&e, s, size, NULL);
    o = fuzz_json_keep();
    o.refuse_nul = 1;
    rc = crioimg_json_parse(&c, s, size, &o);
    if (rc != r3 || c.err_offset != e.err_offset || strcmp(c.err, e.err) != 0 || (rc == CRIOIMG_OK && !fuzz_json_same(&c, &e))) abort();
    crioimg_json_free(&c);
    if (r == CRIOIMG_OK) {
        int nul = fuzz_json_has_nul(d);
        if (nul != (r3 != CRIOIMG_OK)) abort();
        if (r3 == CRIOIMG_OK && !fuzz_json_same(d, &e)) abort();
        if (r3 != CRIOIMG_OK && (r3 != CRIOIMG_ERR_JSON_SYNTAX || strcmp(e.err, "NUL character (\\u0000) in a string") != 0)) abort();
    }
    if (r3 == CRIOIMG_OK && fuzz_json_has_nul(&e)) abort();   /* whatever r was */
    if (r3 != CRIOIMG_OK && r3 != CRIOIMG_ERR_JSON_TOO_BIG) {   /* err_line is the line of err_offset */
        for (i = 0; i < e.err_offset && i < size; i++) line += s[i] == '\n';
        if (e.err_line != line) abort();
    }
    crioimg_json_free(&e);
}

static int fuzz_json(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    crioimg_json d, e;
    crioimg_json_opts o;
    fuzz_json_heap h;
    crioimg_result r, r2;
    fuzz_json_paths_agree(data, size);
    o = fuzz_json_keep();
    r = crioimg_json_parse(&d, s, size, &o);
    if (r != CRIOIMG_OK) {
        if (d.tok != NULL || d.ntok != 0 || d.err[0] == '\0' || d.err_offset > size) abort();
        if (r != CRIOIMG_ERR_JSON_SYNTAX && r != CRIOIMG_ERR_JSON_TOO_BIG && r != CRIOIMG_ERR_JSON_TOO_DEEP &&
            r != CRIOIMG_ERR_JSON_DUPLICATE && r != CRIOIMG_ERR_JSON_UTF8) abort();
    }
    /* allowing duplicates changes nothing but the duplicate error */
    o = fuzz_json_keep();
    o.allow_duplicates = 1;
    r2 = crioimg_json_parse(&e, s, size, &o);
    if (r == CRIOIMG_OK && (r2 != CRIOIMG_OK || !fuzz_json_same(&d, &e))) abort();
    if (r == CRIOIMG_ERR_JSON_DUPLICATE && r2 == CRIOIMG_ERR_JSON_DUPLICATE) abort();
    if (r != CRIOIMG_OK && r != CRIOIMG_ERR_JSON_DUPLICATE && (r2 != r || e.err_offset != d.err_offset || strcmp(e.err, d.err) != 0)) abort();
    if (r2 == CRIOIMG_OK) fuzz_json_check(&e, 1);
    crioimg_json_free(&e);
    fuzz_json_refuse_nul(&d, r, s, size);
    /* an allocation failing somewhere: out of memory, or the same answer; nothing leaks either way */
    o = fuzz_json_keep();
    o.alloc = fuzz_json_allocator(&h, 1 + size % 6);
    r2 = crioimg_json_parse(&e, s, size, &o);
    if (r2 != r && r2 != CRIOIMG_ERR_NOMEM) abort();
    crioimg_json_free(&e);
    if (h.live != 0) abort();
    if (r == CRIOIMG_OK) {
        size_t depth = fuzz_json_check(&d, 0);
        fuzz_json_limits(&d, s, size, depth);
        fuzz_json_roundtrip(&d);
    }
    crioimg_json_free(&d);
    crioimg_json_free(&d);   /* harmless twice */
    return 0;
}

#ifndef CRIOIMG_FUZZ_REPLAY
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return fuzz_json(data, size); }
#endif
