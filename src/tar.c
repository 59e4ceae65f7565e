/* ---------------------------------------------------------------------------------------------------
   tar implementation: the streaming reader and the writer
   --------------------------------------------------------------------------------------------------- */

#include "internal.h"

#define CRIOIMG__TAR_HDR   0   /* collecting a 512-byte header block */
#define CRIOIMG__TAR_SPEC  1   /* collecting a PAX or GNU long-name header's content */
#define CRIOIMG__TAR_DATA  2   /* handing out an entry's content */
#define CRIOIMG__TAR_PAD   3   /* skipping the padding to the next block */
#define CRIOIMG__TAR_ZERO1 4   /* one zero block seen: the next must be one too (or the input ends) */
#define CRIOIMG__TAR_END   5

/* crioimg__tbuf: internal.h */

struct crioimg_tar_reader {
    crioimg_allocator alloc;
    size_t max_header, max_path;
    long long max_entry;
    int state, special, fresh, end_told;
    crioimg_result failed;
    unsigned char blk[512];
    size_t blen;
    long long off, remain, pad, hstart;
    long long pad_full;       /* the current entry's whole padding: EOF before any of it ends the archive */
    crioimg__tbuf pax, lname, llink;
    crioimg_tar_xattr *xattrs;
    size_t nxattrs, capxattrs;
    crioimg_tar_entry e;
    int has_entry;
    /* the header's own strings: prefix "/" name, linkname, uname, gname */
    char name[257], link[101], uname[33], gname[33];
    char err[512];
};

static crioimg_result crioimg__tar_fail(crioimg_tar_reader *t, crioimg_result r, const char *path, const char *what)
{
    if (path && path[0])
        snprintf(t->err, sizeof t->err, "entry \"%.300s\" at offset %lld: %s", path, t->hstart, what);
    else
        snprintf(t->err, sizeof t->err, "header at offset %lld: %s", t->hstart, what);
    t->failed = r;
    return r;
}

crioimg_result crioimg_tar_reader_new(crioimg_tar_reader **out, const crioimg_tar_reader_opts *opts)
{
    crioimg_tar_reader *t;
    const crioimg_allocator *a = opts ? &opts->alloc : NULL;
    if (out == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    *out = NULL;
    if (crioimg_allocator_check(a) != CRIOIMG_OK) return CRIOIMG_ERR_INVALID_ARGS;
    t = (crioimg_tar_reader *)crioimg_malloc(a, sizeof *t);
    if (t == NULL) return CRIOIMG_ERR_NOMEM;
    memset(t, 0, sizeof *t);
    if (a) t->alloc = *a;
    t->max_header = opts && opts->max_header ? opts->max_header : ((size_t)1 << 20);
    t->max_path = opts && opts->max_path ? opts->max_path : ((size_t)64 << 10);
    /* zero is capped; only a negative value (CRIOIMG_TAR_NO_LIMIT) lifts the cap (max_entry 0 here) */
    t->max_entry = !opts || opts->max_entry_size == 0 ? CRIOIMG_TAR_MAX_ENTRY_SIZE : opts->max_entry_size > 0 ? opts->max_entry_size : 0;
    t->fresh = 1;
    *out = t;
    return CRIOIMG_OK;
}

void crioimg_tar_reader_free(crioimg_tar_reader *t)
{
    crioimg_allocator a;
    if (t == NULL) return;
    a = t->alloc;
    crioimg_free(&a, t->pax.p);
    crioimg_free(&a, t->lname.p);
    crioimg_free(&a, t->llink.p);
    crioimg_free(&a, t->xattrs);
    crioimg_free(&a, t);
}

const crioimg_tar_entry *crioimg_tar_reader_entry(const crioimg_tar_reader *t)
{
    return t && t->has_entry ? &t->e : NULL;
}

long long crioimg_tar_reader_offset(const crioimg_tar_reader *t) { return t ? t->off : 0; }
const char *crioimg_tar_reader_error(const crioimg_tar_reader *t) { return t ? t->err : ""; }

/* Appends n bytes, at most max in all (0 when it would pass that, or memory ran out). */
CRIOIMG__LIB int crioimg__tbuf_put(const crioimg_allocator *a, crioimg__tbuf *b, const void *p, size_t n, size_t max)
{
    if (n > max - b->len || b->len + n > max) return 0;
    if (b->len + n + 1 > b->cap) {
        size_t c = b->cap ? b->cap : 512;
        char *q;
        while (c < b->len + n + 1) c *= 2;
        q = (char *)crioimg_realloc(a, b->p, c);
        if (q == NULL) return 0;
        b->p = q; b->cap = c;
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
    b->p[b->len] = '\0';
    return 1;
}

/* A numeric header field: octal text (spaces and NULs around it), or GNU's base-256 (the top bit of
   the first byte set; 0xff starts a negative number). 0 when malformed or out of range. */
static int crioimg__tar_num(const unsigned char *f, size_t n, long long *out)
{
    unsigned long long v = 0;
    size_t i = 0;
    if (n > 0 && (f[0] & 0x80)) {   /* base-256, as Go's archive/tar reads it */
        unsigned char inv = (f[0] & 0x40) ? 0xff : 0;
        for (i = 0; i < n; i++) {
            unsigned char c = (unsigned char)(f[i] ^ inv);
            if (i == 0) c &= 0x7f;
            if (v >> 56) return 0;
            v = (v << 8) | c;
        }
        if (v >> 63) return 0;
        *out = inv ? -(long long)v - 1 : (long long)v;
        return 1;
    }
    while (i < n && (f[i] == ' ' || f[i] == '\0')) i++;
    while (n > i && (f[n - 1] == ' ' || f[n - 1] == '\0')) n--;
    for (; i < n; i++) {
        if (f[i] < '0' || f[i] > '7') return 0;
        if (v >> 60) return 0;
        v = v * 8 + (unsigned)(f[i] - '0');
    }
    *out = (long long)v;
    return 1;
}

/* A NUL-terminated copy of a header string field (cut at its first NUL). */
static void crioimg__tar_str(char *out, const unsigned char *f, size_t n)
{
    size_t i = 0;
    while (i < n && f[i]) { out[i] = (char)f[i]; i++; }
    out[i] = '\0';
}

static int crioimg__tar_zero(const unsigned char *b)
{
    size_t i;
    for (i = 0; i < 512; i++) if (b[i]) return 0;
    return 1;
}

/* A decimal PAX number (sign allowed), or seconds with an optional fraction (nsec != NULL). */
static int crioimg__tar_dec(const char *s, size_t n, long long *out, long *nsec)
{
    size_t i = 0;
    int neg = 0;
    unsigned long long v = 0;
    long ns = 0;
    if (i < n && (s[i] == '-' || s[i] == '+')) { neg = s[i] == '-'; i++; }
    if (i == n || s[i] < '0' || s[i] > '9') return 0;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
        if (v > ((unsigned long long)LLONG_MAX - 9) / 10) return 0;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    if (i < n && s[i] == '.' && nsec) {
        int d = 0;
        for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++, d++) if (d < 9) ns = ns * 10 + (s[i] - '0');
        if (d == 0) return 0;
        for (; d < 9; d++) ns *= 10;
    }
    if (i != n) return 0;
    *out = neg ? -(long long)v : (long long)v;
    if (nsec) {
        /* -1.5 is 1.5 seconds before the epoch: -2 s + 0.5 s */
        if (neg && ns) { *out -= 1; ns = 1000000000L - ns; }
        *nsec = ns;
    }
    return 1;
}

/* Applies the PAX records in t->pax to t->e (strings are cut in place in the buffer). */
static crioimg_result crioimg__tar_pax(crioimg_tar_reader *t)
{
    char *p = t->pax.p, *end = t->pax.p + t->pax.len;
    t->nxattrs = 0;
    while (p < end) {
        size_t len = 0, klen;
        char *q = p, *rec_end, *key, *eq, *val;
        size_t vlen;
        while (q < end && *q >= '0' && *q <= '9') {
            if (len > t->max_header) break;
            len = len * 10 + (size_t)(*q - '0');
            q++;
        }
        if (q == p || q >= end || *q != ' ' || len < (size_t)(q - p) + 3 || len > (size_t)(end - p))
            return crioimg__tar_fail(t, CRIOIMG_ERR_TAR_FORMAT, t->name, "malformed PAX record");
        rec_end = p + len;
        if (rec_end[-1] != '\n') return crioimg__tar_fail(t, CRIOIMG_ERR_TAR_FORMAT, t->name, "malformed PAX record (no newline)");
        key = q + 1;
        eq = (char *)memchr(key, '=', (size_t)(rec_end - 1 - key));
        if (eq == NULL || eq == key) return crioimg__tar_fail(t, CRIOIMG_ERR_TAR_FORMAT, t->name, "malformed PAX record (no key)");
        klen = (size_t)(eq - key);
        if (memchr(key, '\0', klen)) return crioimg__tar_fail(t, CRIOIMG_ERR_TAR_FORMAT, t->name, "NUL in a PAX key");
        val = eq + 1;
        vlen = (size_t)(rec_end - 1 - val);
        *eq = '\0';
        rec_end[-1] = '\0';
        p = rec_end;
#define CRIOIMG__KEY(s) (klen == sizeof(s) - 1 && memcmp(key, s, klen) == 0)
        if (CRIOIMG__KEY("path") || CRIOIMG__KEY("linkpath") || CRIOIMG__KEY("uname") || CRIOIMG__KEY("gname")) {
            if (memchr(val, '\0', vlen)) return crioimg__tar_fail(t, CRIOIMG_ERR_TAR_FORMAT, t->name, "NUL in a PAX path or name");
            if (vlen == 0) continue;   /* an empty value deletes the record: the header's field stands */
            if (key[0] == 'p') t->e.path = val;
            else if (key[0] == 'l') t->e.linkname = val;
            else if (key[0] == 'u') t->e.uname = val;
            else t->e.gname = val;
        } else if (CRIOIMG__KEY("size") || CRIOIMG__KEY("uid") || CRIOIMG__KEY("gid")) {
            long long v;
            if (vlen == 0) continue;
            if (!crioimg__tar_dec(val, vlen, &v, NULL) || v < 0)
                return crioimg__tar_fail(t, CRIOIMG_ERR_TAR_FORMAT, t->name, "invalid PAX number");
            if (key[0] == 's') t->e.size = v; else if (key[0] == 'u') t->e.uid = v; else t->e.gid = v;
        } else if (CRIOIMG__KEY("mtime")) {
            long long v;
            long ns;
            if (vlen == 0) continue;
            if (!crioimg__tar_dec(val, vlen, &v, &ns)) return crioimg__tar_fail(t, CRIOIMG_ERR_TAR_FORMAT, t->name, "invalid PAX mtime");
            t->e.mtime = v; t->e.mtime_nsec = ns;
        } else if (klen > 13 && memcmp(key, "SCHILY.xattr.", 13) == 0) {
            if (t->nxattrs == t->capxattrs) {
                size_t c = t->capxattrs ? t->capxattrs * 2 : 8;
                crioimg_tar_xattr *x = (crioimg_tar_xattr *)crioimg_realloc(&t->alloc, t->xattrs, c * sizeof *x);
                if (x == NULL) return crioimg__tar_fail(t, CRIOIMG_ERR_NOMEM, t->name, "out of memory");
                t->xattrs = x; t->capxattrs = c;
            }
            t->xattrs[t->nxattrs].name = key + 13;
            t->xattrs[t->nxattrs].value = (const unsigned char *)val;
            t->xattrs[t->nxattrs].len = vlen;
            t->nxattrs++;
        } else if (klen >= 11 && memcmp(key, "GNU.sparse.", 11) == 0) {
            return crioimg__tar_fail(t, CRIOIMG_ERR_UNSUPPORTED, NULL, "GNU sparse files are not supported");
        }
        /* anything else (atime, ctime, comment, charset, vendor keys) changes nothing we keep */
#undef CRIOIMG__KEY
    }
    return CRIOIMG_OK;
}

/* GNU long name/link content: cut at the first NUL. */
static const char *crioimg__tar_gnustr(crioimg__tbuf *b)
{
    return b->p ? b->p : "";
}

/* A complete header block in t->blk: an entry (*ev = ENTRY), a special header (its content comes
   next), or an end block. */
static crioimg_result crioimg__tar_header(crioimg_tar_reader *t, crioimg_tar_event *ev)
{
    const unsigned char *b = t->blk;
    long long sum, size, v;
    unsigned long long us = 0;
    long long ss = 0;
    size_t i;
    int type, ustar, gnu;
    *ev = CRIOIMG_TAR_NEED_INPUT;
    if (t->state == CRIOIMG__TAR_ZERO1) {
        if (crioimg__tar_zero(b)) { t->state = CRIOIMG__TAR_END; *ev = CRIOIMG_TAR_END; t->end_told = 1; return CRIOIMG_OK; }
        t->hstart = t->off - 512;
        return crioimg__tar_fail(t, CRIOIMG_ERR_TAR_FORMAT, NULL, "a header after a single zero block");
    }
    if (t->fresh) {
        t->hstart = t->off - 512;
        t->pax.len = t->lname.len = t->llink.len = 0;
        if (t->pax.p) t->pax.p[0] = '\0';
        if (t->lname.p) t->lname.p[0] = '\0';
        if (t->llink.p) t->llink.p[0] = '\0';
        t->fresh = 0;
    }
    if (crioimg__tar_zero(b)) {
        if (t->pax.len || t->lname.len || t->llink.len)
            return crioimg__tar_fail(t, CRIOIMG_ERR_TAR_FORMAT, NULL, "end of archive after a PAX or GNU header with no entry");
        t->state = CRIOIMG__TAR_ZERO1;
        t->fresh = 1;
        return CRIOIMG_OK;
    }
    for (i = 0; i < 512; i++) {
        unsigned c = (i >= 148 && i < 156) ? ' ' : b[i];
        us += c;
        ss += (signed char)c;
    }
    if (!crioimg__tar_num(b + 148, 8, &sum) || (sum != (long long)us && sum != ss))
        return crioimg__tar_fail(t, CRIOIMG_ERR_TAR_FORMAT, NULL, "invalid header checksum");
    ustar = memcmp(b + 257, "ustar\0", 6) == 0;
    gnu = memcmp(b + 257, "ustar  \0", 8) == 0;
    type = b[156];
    if (!crioimg__tar_num(b + 124, 12, &size) || size < 0)
        return crioimg__tar_fail(t, CRIOIMG_ERR_TAR_FORMAT, NULL, "invalid size field");
    if (type == 'x' || type == 'L' || type == 'K') {
        crioimg__tbuf *sb = type == 'x' ? &t->pax : type == 'L' ? &t->lname : &t->llink;
        if ((unsigned long long)size > t->max_header)
            return crioimg__tar_fail(t, CRIOIMG_ERR_TOO_BIG, NULL, type == 'x' ? "PAX header too large" : "GNU long name too large");
        if (type != 'x') sb->len = 0;   /* a second long name replaces the first */
        if (!crioimg__tbuf_put(&t->alloc, sb, "", 0, (size_t)-1))
            return crioimg__tar_fail(t, CRIOIMG_ERR_NOMEM, NULL, "out of memory");
        t->special = type;
        t->remain = size;
        t->pad = (512 - (size & 511)) & 511;
        t->state = CRIOIMG__TAR_SPEC;
        return CRIOIMG_OK;
    }
    if (type == 'S') return crioimg__tar_fail(t, CRIOIMG_ERR_UNSUPPORTED, NULL, "GNU sparse files are not supported");

    /* the entry itself */
    memset(&t->e, 0, sizeof t->e);
    t->e.offset = t->hstart;
    if (ustar && !gnu && b[345]) {
        /* ustar's prefix; star archives keep 131 bytes of it and a "tar" trailer */
        size_t plen = memcmp(b + 508, "tar\0", 4) == 0 ? 131 : 155;
        crioimg__tar_str(t->name, b + 345, plen);
        i = strlen(t->name);
        t->name[i++] = '/';
        crioimg__tar_str(t->name + i, b, 100);
    } else {
        crioimg__tar_str(t->name, b, 100);
    }
    crioimg__tar_str(t->link, b + 157, 100);
    crioimg__tar_str(t->uname, b + 265, 32);
    crioimg__tar_str(t->gname, b + 297, 32);
    t->e.path = t->lname.len ? crioimg__tar_gnustr(&t->lname) : t->name;
    t->e.linkname = t->llink.len ? crioimg__tar_gnustr(&t->llink) : t->link;
    t->e.uname = t->uname;
    t->e.gname = t->gname;
    if (!crioimg__tar_num(b + 100, 8, &v)) return crioimg__tar_fail(t, CRIOIMG_ERR_TAR_FORMAT, t->e.path, "invalid mode field");
    t->e.mode = (unsigned)(v & 07777);
    if (!crioimg__tar_num(b + 108, 8, &t->e.uid) || !crioimg__tar_num(b + 116, 8, &t->e.gid))
        return crioimg__tar_fail(t, CRIOIMG_ERR_TAR_FORMAT, t->e.path, "invalid uid or gid field");
    if (!crioimg__tar_num(b + 136, 12, &t->e.mtime)) return crioimg__tar_fail(t, CRIOIMG_ERR_TAR_FORMAT, t->e.path, "invalid mtime field");
    t->e.size = size;
    if (ustar || gnu) {
        if (!crioimg__tar_num(b + 329, 8, &v) || v < 0) return crioimg__tar_fail(t, CRIOIMG_ERR_TAR_FORMAT, t->e.path, "invalid device number");
        t->e.devmajor = (unsigned long)v;
        if (!crioimg__tar_num(b + 337, 8, &v) || v < 0) return crioimg__tar_fail(t, CRIOIMG_ERR_TAR_FORMAT, t->e.path, "invalid device number");
        t->e.devminor = (unsigned long)v;
    }
    if (t->pax.len && crioimg__tar_pax(t) != CRIOIMG_OK) return t->failed;
    t->e.xattrs = t->nxattrs ? t->xattrs : NULL;
    t->e.nxattrs = t->pax.len ? t->nxattrs : 0;
    if (type == '\0' || type == '7') {
        size_t n = strlen(t->e.path);
        type = (type == '\0' && n > 0 && t->e.path[n - 1] == '/') ? CRIOIMG_TAR_DIR : CRIOIMG_TAR_FILE;
    }
    t->e.type = type;
    if (strlen(t->e.path) > t->max_path || strlen(t->e.linkname) > t->max_path)
        return crioimg__tar_fail(t, CRIOIMG_ERR_TOO_BIG, NULL, "path too long");
    if (t->e.path[0] == '\0') return crioimg__tar_fail(t, CRIOIMG_ERR_TAR_FORMAT, NULL, "entry with an empty name");
    /* header-only types carry no content whatever their size field says (as Go's archive/tar reads them) */
    if (type == CRIOIMG_TAR_LINK || type == CRIOIMG_TAR_SYMLINK || type == CRIOIMG_TAR_CHAR ||
        type == CRIOIMG_TAR_BLOCK || type == CRIOIMG_TAR_DIR || type == CRIOIMG_TAR_FIFO)
        t->e.size = 0;
    if (t->max_entry && t->e.size > t->max_entry) return crioimg__tar_fail(t, CRIOIMG_ERR_TOO_BIG, t->e.path, "entry larger than the limit");
    if (t->e.size > LLONG_MAX - 1024) return crioimg__tar_fail(t, CRIOIMG_ERR_TAR_FORMAT, t->e.path, "invalid size");
    t->remain = t->e.size;
    t->pad = t->pad_full = (512 - (t->e.size & 511)) & 511;
    t->state = CRIOIMG__TAR_DATA;
    t->has_entry = 1;
    t->fresh = 1;
    *ev = CRIOIMG_TAR_ENTRY;
    return CRIOIMG_OK;
}

crioimg_result crioimg_tar_reader_next(crioimg_tar_reader *t, const void *in, size_t len, size_t *used,
                                       crioimg_tar_event *ev, const void **data, size_t *data_len)
{
    const unsigned char *p = (const unsigned char *)in;
    size_t pos = 0;
    crioimg_result r;
    if (used) *used = 0;
    if (data) *data = NULL;
    if (data_len) *data_len = 0;
    if (ev) *ev = CRIOIMG_TAR_NEED_INPUT;
    if (t == NULL || used == NULL || ev == NULL || data == NULL || data_len == NULL || (in == NULL && len > 0))
        return CRIOIMG_ERR_INVALID_ARGS;
    if (t->failed) return t->failed;
    for (;;) {
        size_t avail = len - pos, k;
        switch (t->state) {
        case CRIOIMG__TAR_HDR:
        case CRIOIMG__TAR_ZERO1:
            if (avail == 0) goto out;
            k = 512 - t->blen;
            if (k > avail) k = avail;
            memcpy(t->blk + t->blen, p + pos, k);
            t->blen += k; pos += k; t->off += (long long)k;
            if (t->blen < 512) goto out;
            t->blen = 0;
            r = crioimg__tar_header(t, ev);
            if (r != CRIOIMG_OK) { *used = pos; return r; }
            if (*ev != CRIOIMG_TAR_NEED_INPUT) { *used = pos; return CRIOIMG_OK; }
            break;
        case CRIOIMG__TAR_SPEC: {
            crioimg__tbuf *sb = t->special == 'x' ? &t->pax : t->special == 'L' ? &t->lname : &t->llink;
            if (t->remain == 0) {
                /* GNU long names end in NULs; PAX records are checked when their entry comes */
                if (t->special != 'x') sb->len = strlen(sb->p);
                t->state = CRIOIMG__TAR_PAD;
                break;
            }
            if (avail == 0) goto out;
            k = (unsigned long long)t->remain < avail ? (size_t)t->remain : avail;
            if (!crioimg__tbuf_put(&t->alloc, sb, p + pos, k, t->max_header * 2 + 1))
                return crioimg__tar_fail(t, CRIOIMG_ERR_NOMEM, NULL, "out of memory");
            pos += k; t->off += (long long)k; t->remain -= (long long)k;
            break;
        }
        case CRIOIMG__TAR_DATA:
            if (t->remain == 0) { t->state = CRIOIMG__TAR_PAD; break; }
            if (avail == 0) goto out;
            k = (unsigned long long)t->remain < avail ? (size_t)t->remain : avail;
            *data = p + pos;
            *data_len = k;
            pos += k; t->off += (long long)k; t->remain -= (long long)k;
            *ev = CRIOIMG_TAR_DATA;
            *used = pos;
            return CRIOIMG_OK;
        case CRIOIMG__TAR_PAD:
            if (t->pad == 0) { t->state = CRIOIMG__TAR_HDR; break; }
            if (avail == 0) goto out;
            k = (unsigned long long)t->pad < avail ? (size_t)t->pad : avail;
            pos += k; t->off += (long long)k; t->pad -= (long long)k;
            break;
        default: /* END: what follows the end blocks (a record's zero padding, or anything) is ignored */
            t->off += (long long)avail;
            *used = len;
            if (!t->end_told) { t->end_told = 1; *ev = CRIOIMG_TAR_END; }
            return CRIOIMG_OK;
        }
    }
out:
    *used = pos;
    return CRIOIMG_OK;
}

crioimg_result crioimg_tar_reader_finish(crioimg_tar_reader *t)
{
    if (t == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    if (t->failed) return t->failed;
    if (t->state == CRIOIMG__TAR_END) return CRIOIMG_OK;
    if (t->state == CRIOIMG__TAR_ZERO1 && t->blen == 0) return CRIOIMG_OK;
    if (t->state == CRIOIMG__TAR_HDR && t->blen == 0 && t->fresh) return CRIOIMG_OK;
    if (t->state == CRIOIMG__TAR_PAD && t->pad == 0 && t->fresh) return CRIOIMG_OK;
    /* the last entry's content, then the end of input before any padding: Go's archive/tar takes that as
       the end of the archive (its padding read meets io.EOF, not ErrUnexpectedEOF), and umoci writes
       such layers; part of the padding is still a cut */
    if ((t->state == CRIOIMG__TAR_PAD || t->state == CRIOIMG__TAR_DATA) && t->has_entry && t->remain == 0 && t->pad == t->pad_full)
        return CRIOIMG_OK;
    if (t->state == CRIOIMG__TAR_DATA && t->remain == 0 && t->pad == 0) return CRIOIMG_OK;
    t->hstart = t->has_entry && t->fresh ? t->e.offset : t->hstart;
    return crioimg__tar_fail(t, CRIOIMG_ERR_TAR_FORMAT, t->has_entry && t->fresh ? t->e.path : NULL,
                             t->state == CRIOIMG__TAR_DATA || t->state == CRIOIMG__TAR_PAD ? "archive cut short in the entry's content"
                                                                                          : "archive cut short in a header");
}

/* ---- writer ---- */

struct crioimg_tar_writer {
    crioimg_tar_writer_opts o;
    crioimg_result failed;
    long long off, remain, pad;
    unsigned char blk[512], pblk[512];   /* the entry's header; its PAX header */
    crioimg__tbuf pax;
};

crioimg_result crioimg_tar_writer_new(crioimg_tar_writer **out, const crioimg_tar_writer_opts *opts)
{
    crioimg_tar_writer *w;
    if (out == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    *out = NULL;
    if (opts == NULL || opts->write == NULL || crioimg_allocator_check(&opts->alloc) != CRIOIMG_OK) return CRIOIMG_ERR_INVALID_ARGS;
    w = (crioimg_tar_writer *)crioimg_malloc(&opts->alloc, sizeof *w);
    if (w == NULL) return CRIOIMG_ERR_NOMEM;
    memset(w, 0, sizeof *w);
    w->o = *opts;
    if (w->o.file_mode == 0) w->o.file_mode = 0644;
    if (w->o.dir_mode == 0) w->o.dir_mode = 0755;
    *out = w;
    return CRIOIMG_OK;
}

void crioimg_tar_writer_free(crioimg_tar_writer *w)
{
    crioimg_allocator a;
    if (w == NULL) return;
    a = w->o.alloc;
    crioimg_free(&a, w->pax.p);
    crioimg_free(&a, w);
}

long long crioimg_tar_writer_offset(const crioimg_tar_writer *w) { return w ? w->off : 0; }

static crioimg_result crioimg__tw_out(crioimg_tar_writer *w, const void *p, size_t n)
{
    crioimg_result r;
    if (w->failed) return w->failed;
    r = w->o.write(w->o.user, p, n);
    if (r != CRIOIMG_OK) { w->failed = r; return r; }
    w->off += (long long)n;
    return CRIOIMG_OK;
}

static crioimg_result crioimg__tw_pad(crioimg_tar_writer *w)
{
    static const unsigned char zero[512] = { 0 };
    crioimg_result r = CRIOIMG_OK;
    if (w->remain != 0) return CRIOIMG_ERR_INVALID_ARGS;
    if (w->pad) r = crioimg__tw_out(w, zero, (size_t)w->pad);
    w->pad = 0;
    return r;
}

/* v as octal in a field of n bytes (n-1 digits and a NUL); 0 when it does not fit. */
static int crioimg__tw_oct(unsigned char *f, size_t n, long long v)
{
    size_t i;
    if (v < 0) return 0;
    f[n - 1] = '\0';
    for (i = n - 1; i-- > 0;) { f[i] = (unsigned char)('0' + (v & 7)); v >>= 3; }
    return v == 0;
}

static int crioimg__tw_record(crioimg_tar_writer *w, const char *key, const char *val, size_t vlen)
{
    char num[32];
    size_t n = strlen(key) + vlen + 3, d = 1, t;
    for (;;) {   /* the length counts its own digits */
        size_t m = n + d, dd = 0;
        for (t = m; t; t /= 10) dd++;
        if (dd == d) break;
        d = dd;
    }
    snprintf(num, sizeof num, "%lu ", (unsigned long)(n + d));
    return crioimg__tbuf_put(&w->o.alloc, &w->pax, num, strlen(num), (size_t)-1 / 2) &&
           crioimg__tbuf_put(&w->o.alloc, &w->pax, key, strlen(key), (size_t)-1 / 2) &&
           crioimg__tbuf_put(&w->o.alloc, &w->pax, "=", 1, (size_t)-1 / 2) &&
           crioimg__tbuf_put(&w->o.alloc, &w->pax, val, vlen, (size_t)-1 / 2) &&
           crioimg__tbuf_put(&w->o.alloc, &w->pax, "\n", 1, (size_t)-1 / 2);
}

static void crioimg__tw_checksum(unsigned char *b)
{
    unsigned long sum = 0;
    size_t i;
    memset(b + 148, ' ', 8);
    for (i = 0; i < 512; i++) sum += b[i];
    crioimg__tw_oct(b + 148, 7, (long long)sum);   /* six digits, NUL, then the space left in place */
}

static void crioimg__tw_common(unsigned char *b, int type)
{
    b[156] = (unsigned char)type;
    memcpy(b + 257, "ustar\0" "00", 8);
}

crioimg_result crioimg_tar_write_header(crioimg_tar_writer *w, const crioimg_tar_entry *e)
{
    unsigned char *b;
    size_t plen, llen, split = 0, i;
    long long mtime, uid, gid, size;
    unsigned mode;
    const char *uname, *gname;
    char num[48];
    crioimg_result r;
    if (w == NULL || e == NULL || e->path == NULL || e->path[0] == '\0') return CRIOIMG_ERR_INVALID_ARGS;
    if (w->failed) return w->failed;
    if ((r = crioimg__tw_pad(w)) != CRIOIMG_OK) return r;
    b = w->blk;
    memset(b, 0, 512);
    w->pax.len = 0;
    mtime = (w->o.flags & CRIOIMG_TAR_FIXED_MTIME) ? w->o.mtime : e->mtime;
    uid = (w->o.flags & CRIOIMG_TAR_FIXED_OWNER) ? w->o.uid : e->uid;
    gid = (w->o.flags & CRIOIMG_TAR_FIXED_OWNER) ? w->o.gid : e->gid;
    uname = (w->o.flags & CRIOIMG_TAR_FIXED_OWNER) || e->uname == NULL ? "" : e->uname;
    gname = (w->o.flags & CRIOIMG_TAR_FIXED_OWNER) || e->gname == NULL ? "" : e->gname;
    mode = e->mode & 07777;
    if (w->o.flags & CRIOIMG_TAR_FIXED_MODE)
        mode = e->type == CRIOIMG_TAR_DIR ? w->o.dir_mode : e->type == CRIOIMG_TAR_SYMLINK ? 0777
             : (e->mode & 0111) ? 0755 : w->o.file_mode;
    size = e->type == CRIOIMG_TAR_FILE ? e->size : 0;
    if (size < 0) return CRIOIMG_ERR_INVALID_ARGS;

    plen = strlen(e->path);
    if (plen > 100) {   /* ustar's prefix takes up to 155 bytes before a '/' */
        for (i = plen - 1; i > 0; i--)
            if (e->path[i] == '/' && i <= 155 && plen - i - 1 <= 100 && plen - i - 1 > 0) { split = i; break; }
    }
    if (plen <= 100) memcpy(b, e->path, plen);
    else if (split) { memcpy(b + 345, e->path, split); memcpy(b, e->path + split + 1, plen - split - 1); }
    else {
        if (!crioimg__tw_record(w, "path", e->path, plen)) return CRIOIMG_ERR_NOMEM;
        memcpy(b, e->path, 100);
    }
    llen = e->linkname ? strlen(e->linkname) : 0;
    if (llen <= 100) { if (llen) memcpy(b + 157, e->linkname, llen); }
    else {
        if (!crioimg__tw_record(w, "linkpath", e->linkname, llen)) return CRIOIMG_ERR_NOMEM;
        memcpy(b + 157, e->linkname, 100);
    }
    crioimg__tw_oct(b + 100, 8, mode);
#define CRIOIMG__TW_NUM(field, n, key, v) \
    if (!crioimg__tw_oct(b + (field), (n), (v))) { \
        snprintf(num, sizeof num, "%lld", (long long)(v)); \
        if (!crioimg__tw_record(w, key, num, strlen(num))) return CRIOIMG_ERR_NOMEM; \
        crioimg__tw_oct(b + (field), (n), 0); }
    CRIOIMG__TW_NUM(108, 8, "uid", uid)
    CRIOIMG__TW_NUM(116, 8, "gid", gid)
    CRIOIMG__TW_NUM(124, 12, "size", size)
    CRIOIMG__TW_NUM(136, 12, "mtime", mtime)
#undef CRIOIMG__TW_NUM
    if (strlen(uname) <= 32) memcpy(b + 265, uname, strlen(uname));
    else if (!crioimg__tw_record(w, "uname", uname, strlen(uname))) return CRIOIMG_ERR_NOMEM;
    if (strlen(gname) <= 32) memcpy(b + 297, gname, strlen(gname));
    else if (!crioimg__tw_record(w, "gname", gname, strlen(gname))) return CRIOIMG_ERR_NOMEM;
    if (!crioimg__tw_oct(b + 329, 8, (long long)e->devmajor) || !crioimg__tw_oct(b + 337, 8, (long long)e->devminor))
        return CRIOIMG_ERR_INVALID_ARGS;
    for (i = 0; i < e->nxattrs; i++) {
        char key[300];
        if (strlen(e->xattrs[i].name) > sizeof key - 14) return CRIOIMG_ERR_INVALID_ARGS;
        snprintf(key, sizeof key, "SCHILY.xattr.%s", e->xattrs[i].name);
        if (!crioimg__tw_record(w, key, (const char *)e->xattrs[i].value, e->xattrs[i].len)) return CRIOIMG_ERR_NOMEM;
    }
    crioimg__tw_common(b, e->type);
    if (w->pax.len) {
        /* the PAX header first: a fixed name and metadata, so the bytes depend on the entry alone */
        unsigned char *h = w->pblk;
        const char *base = strrchr(e->path, '/');
        size_t blen;
        static const unsigned char zero[512] = { 0 };
        memset(h, 0, 512);
        base = base && base[1] ? base + 1 : e->path;
        blen = strlen(base);
        if (blen > 100 - 13) blen = 100 - 13;
        memcpy(h, "PaxHeaders.0/", 13);
        memcpy(h + 13, base, blen);
        crioimg__tw_oct(h + 100, 8, 0644);
        crioimg__tw_oct(h + 108, 8, 0);
        crioimg__tw_oct(h + 116, 8, 0);
        crioimg__tw_oct(h + 124, 12, (long long)w->pax.len);
        crioimg__tw_oct(h + 136, 12, 0);
        crioimg__tw_common(h, 'x');
        crioimg__tw_checksum(h);
        r = crioimg__tw_out(w, h, 512);
        if (r == CRIOIMG_OK) r = crioimg__tw_out(w, w->pax.p, w->pax.len);
        if (r == CRIOIMG_OK && (w->pax.len & 511)) r = crioimg__tw_out(w, zero, 512 - (w->pax.len & 511));
        if (r != CRIOIMG_OK) return r;
    }
    crioimg__tw_checksum(b);
    if ((r = crioimg__tw_out(w, b, 512)) != CRIOIMG_OK) return r;
    w->remain = size;
    w->pad = (512 - (size & 511)) & 511;
    return CRIOIMG_OK;
}

crioimg_result crioimg_tar_write_data(crioimg_tar_writer *w, const void *data, size_t len)
{
    crioimg_result r;
    if (w == NULL || (data == NULL && len > 0)) return CRIOIMG_ERR_INVALID_ARGS;
    if (w->failed) return w->failed;
    if ((unsigned long long)len > (unsigned long long)w->remain) return CRIOIMG_ERR_SIZE_MISMATCH;
    if (len == 0) return CRIOIMG_OK;
    if ((r = crioimg__tw_out(w, data, len)) != CRIOIMG_OK) return r;
    w->remain -= (long long)len;
    return CRIOIMG_OK;
}

crioimg_result crioimg_tar_writer_finish(crioimg_tar_writer *w)
{
    static const unsigned char zero[1024] = { 0 };
    crioimg_result r;
    if (w == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    if (w->failed) return w->failed;
    if ((r = crioimg__tw_pad(w)) != CRIOIMG_OK) return r;
    return crioimg__tw_out(w, zero, sizeof zero);
}
