/* ---------------------------------------------------------------------------------------------------
   core implementation
   --------------------------------------------------------------------------------------------------- */
#include "internal.h"

/* The texts and names as one string each and the codes as one table, all from the X-macro list: a
   switch over 80 cases took 1.7 KB of code and jump tables where these take a loop. */
#define CRIOIMG__RESULT_CODE(name, value, text) value,
static const short crioimg__result_codes[] = { CRIOIMG_RESULT_LIST(CRIOIMG__RESULT_CODE) };
#undef CRIOIMG__RESULT_CODE

/* the i-th of the NUL-separated strings in s, or dflt when r is not a code */
static const char *crioimg__result_nth(crioimg_result r, const char *s, const char *dflt)
{
    size_t i, k;
    for (i = 0; i < sizeof crioimg__result_codes / sizeof crioimg__result_codes[0]; i++)
        if (crioimg__result_codes[i] == (int)r) break;
    if (i == sizeof crioimg__result_codes / sizeof crioimg__result_codes[0]) return dflt;
    for (k = 0; k < i; k++) s += strlen(s) + 1;
    return s;
}

const char *crioimg_result_str(crioimg_result r)
{
#define CRIOIMG__RESULT_TEXT(name, value, text) text "\0"
    static const char texts[] = CRIOIMG_RESULT_LIST(CRIOIMG__RESULT_TEXT);
#undef CRIOIMG__RESULT_TEXT
    return crioimg__result_nth(r, texts, "unknown result");
}

const char *crioimg_result_name(crioimg_result r)
{
#define CRIOIMG__RESULT_NAME(name, value, text) #name "\0"
    static const char names[] = CRIOIMG_RESULT_LIST(CRIOIMG__RESULT_NAME);
#undef CRIOIMG__RESULT_NAME
    return crioimg__result_nth(r, names, "UNKNOWN");
}

/* GCC and clang's __atomic builtins (relaxed: the flag orders nothing else, it only has to be seen
   soon and without a data race); tcc has none, and a volatile access is what it can do. */
#if (defined(__GNUC__) || defined(__clang__)) && !defined(__TINYC__)
void crioimg_cancel(volatile int *flag) { if (flag) __atomic_store_n(flag, 1, __ATOMIC_RELAXED); }
int crioimg_cancelled(const volatile int *flag) { return flag != NULL && __atomic_load_n(flag, __ATOMIC_RELAXED) != 0; }
#else
void crioimg_cancel(volatile int *flag) { if (flag) *flag = 1; }
int crioimg_cancelled(const volatile int *flag) { return flag != NULL && *flag != 0; }
#endif

crioimg_result crioimg_allocator_check(const crioimg_allocator *a)
{
    int n;
    if (a == NULL) return CRIOIMG_OK;
    n = (a->alloc != NULL) + (a->realloc != NULL) + (a->free != NULL);
    return (n == 0 || n == 3) ? CRIOIMG_OK : CRIOIMG_ERR_INVALID_ARGS;
}

void *crioimg_malloc(const crioimg_allocator *a, size_t size)
{
    if (a != NULL && a->alloc != NULL) return a->alloc(size, a->user);
    return CRIOIMG_MALLOC(size);
}

void *crioimg_realloc(const crioimg_allocator *a, void *ptr, size_t size)
{
    if (a != NULL && a->realloc != NULL) return a->realloc(ptr, size, a->user);
    return CRIOIMG_REALLOC(ptr, size);
}

void crioimg_free(const crioimg_allocator *a, void *ptr)
{
    if (ptr == NULL) return;
    if (a != NULL && a->free != NULL) a->free(ptr, a->user);
    else CRIOIMG_FREE(ptr);
}

/* crioimg__out (internal.h): appends to a bounded output as snprintf does. */

CRIOIMG__LIB void crioimg__out_put(crioimg__out *o, const char *s, size_t n)
{
    if (n != 0 && o->len + 1 < o->cap) { /* n == 0 may come with s == NULL (an empty field) */
        size_t room = o->cap - 1 - o->len;
        memcpy(o->p + o->len, s, n < room ? n : room);
    }
    o->len += n;
    if (o->cap) o->p[o->len < o->cap ? o->len : o->cap - 1] = '\0';
}

CRIOIMG__LIB void crioimg__out_str(crioimg__out *o, const char *s)
{
    crioimg__out_put(o, s, strlen(s));
}

/* v in decimal */
CRIOIMG__LIB void crioimg__out_uint(crioimg__out *o, unsigned long long v)
{
    char d[24];
    size_t i = sizeof d;
    do { d[--i] = (char)('0' + v % 10); v /= 10; } while (v);
    crioimg__out_put(o, d + i, sizeof d - i);
}

/* a hexadecimal digit's value, -1 for any other byte (TOML escapes, HTTP chunk sizes, IPv6 groups) */
CRIOIMG__LIB int crioimg__hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* a[0, an) equals the C string b, ASCII letters compared without case */
CRIOIMG__LIB int crioimg__ascii_ieq(const char *a, size_t an, const char *b)
{
    size_t i;
    if (an != strlen(b)) return 0;
    for (i = 0; i < an; i++) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z') x = (char)(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = (char)(y - 'A' + 'a');
        if (x != y) return 0;
    }
    return 1;
}

/* Length of the valid UTF-8 sequence at s (1-4), or 0 when it is not one (overlong, surrogate, > U+10FFFF,
   truncated). RFC 3629's table, as Go's utf8.DecodeRune applies it. */
CRIOIMG__LIB size_t crioimg__utf8_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    if (c < 0x80) return 1;
    if (c >= 0xc2 && c <= 0xdf) return (n >= 2 && (s[1] & 0xc0) == 0x80) ? 2 : 0;
    if (c >= 0xe0 && c <= 0xef) {
        unsigned lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
        return (n >= 3 && s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80) ? 3 : 0;
    }
    if (c >= 0xf0 && c <= 0xf4) {
        unsigned lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
        return (n >= 4 && s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 && (s[3] & 0xc0) == 0x80) ? 4 : 0;
    }
    return 0;
}

size_t crioimg_json_quote(char *out, size_t cap, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    crioimg__out o;
    size_t i = 0, run;
    o.p = out; o.cap = cap; o.len = 0;
    if (cap) out[0] = '\0';
    crioimg__out_put(&o, "\"", 1);
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        /* copy the longest run that needs no escaping in one go */
        for (run = i; run < n; run++) {
            unsigned char d = (unsigned char)s[run];
            if (d < 0x20 || d == '"' || d == '\\' || d >= 0x80) break;
        }
        if (run > i) { crioimg__out_put(&o, s + i, run - i); i = run; continue; }
        if (c >= 0x80) {
            size_t l = crioimg__utf8_len((const unsigned char *)s + i, n - i);
            /* U+2028 and U+2029 are escaped, as encoding/json does */
            if (l == 3 && c == 0xe2 && (unsigned char)s[i + 1] == 0x80 && ((unsigned char)s[i + 2] & 0xfe) == 0xa8) {
                crioimg__out_put(&o, (unsigned char)s[i + 2] == 0xa8 ? "\\u2028" : "\\u2029", 6);
                i += 3;
            } else if (l) {
                crioimg__out_put(&o, s + i, l);
                i += l;
            } else {
                crioimg__out_put(&o, "\\ufffd", 6);
                i++;
            }
            continue;
        }
        switch (c) {
        case '"':  crioimg__out_put(&o, "\\\"", 2); break;
        case '\\': crioimg__out_put(&o, "\\\\", 2); break;
        case '\n': crioimg__out_put(&o, "\\n", 2); break;
        case '\r': crioimg__out_put(&o, "\\r", 2); break;
        case '\t': crioimg__out_put(&o, "\\t", 2); break;
        default: {
            char u[6];
            u[0] = '\\'; u[1] = 'u'; u[2] = '0'; u[3] = '0'; u[4] = hex[c >> 4]; u[5] = hex[c & 15];
            crioimg__out_put(&o, u, 6);
        }
        }
        i++;
    }
    crioimg__out_put(&o, "\"", 1);
    return o.len;
}

/* Base64, standard alphabet, padded (RFC 4648), into out (cap bytes; (n + 3) / 4 * 3 always suffice);
   the decoded length, or (size_t)-1 when malformed or when it would not fit (never written past cap). strict: nothing but the alphabet, and the unused bits of the last group
   zero (canonical), as embedded descriptor data needs. Not strict: Go's base64.StdEncoding, which skips
   CR and LF and does not check those bits (auth files are read that way). */
CRIOIMG__LIB size_t crioimg__base64_decode(const char *s, size_t n, unsigned char *out, size_t cap, int strict)
{
    size_t i, o = 0, seen = 0;
    unsigned acc = 0;
    int bits = 0, pad = 0;
    for (i = 0; i < n; i++) {
        int v;
        char ch = s[i];
        if (!strict && (ch == '\r' || ch == '\n')) continue;
        seen++;
        if (ch == '=') { pad++; continue; }
        if (pad) return (size_t)-1;
        if (ch >= 'A' && ch <= 'Z') v = ch - 'A';
        else if (ch >= 'a' && ch <= 'z') v = ch - 'a' + 26;
        else if (ch >= '0' && ch <= '9') v = ch - '0' + 52;
        else if (ch == '+') v = 62;
        else if (ch == '/') v = 63;
        else return (size_t)-1;
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            if (o == cap) return (size_t)-1;
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    if (seen % 4 || pad > 2 || (pad && (seen - pad) % 4 + pad != 4)) return (size_t)-1;
    if (strict && acc != 0) return (size_t)-1;  /* non-canonical: the padding bits must be zero */
    return o;
}

/* Go's strings.EqualFold(a, b) for an ASCII b, as encoding/json matches keys to fields: ASCII case, and
   the two runes that simple-fold to ASCII letters, U+017F (long s) to 's' and U+212A (Kelvin) to 'k'. */
CRIOIMG__LIB int crioimg__go_fold_eq(const char *a, size_t an, const char *b)
{
    size_t i = 0;
    for (; *b; b++) {
        char y = (char)(*b >= 'A' && *b <= 'Z' ? *b - 'A' + 'a' : *b);
        if (i == an) return 0;
        if ((unsigned char)a[i] < 0x80) {
            char x = (char)(a[i] >= 'A' && a[i] <= 'Z' ? a[i] - 'A' + 'a' : a[i]);
            if (x != y) return 0;
            i++;
        } else if (y == 's' && an - i >= 2 && (unsigned char)a[i] == 0xc5 && (unsigned char)a[i + 1] == 0xbf) {
            i += 2;
        } else if (y == 'k' && an - i >= 3 && (unsigned char)a[i] == 0xe2 && (unsigned char)a[i + 1] == 0x84 && (unsigned char)a[i + 2] == 0xaa) {
            i += 3;
        } else {
            return 0;
        }
    }
    return i == an;
}

/* ---- small configuration files: registries.conf and its drop-ins, auth files, policy.json, certs.d ----
   Their paths come from users, environment variables and home directories, so one may name a FIFO, a
   terminal or a device. fopen() of a FIFO waits for a writer forever, and a device never ends: so the
   file is opened non-blocking, checked with fstat (on the descriptor, so it cannot be swapped after the
   check) and refused unless it is a regular file, then read to max + 1 bytes to see that it is over the
   cap. One helper for every module, so that no reader forgets a step. */

#ifdef CRIOIMG__HAVE_POSIX_IO
CRIOIMG__LIB int crioimg__tmp_orphan(const char *name, const char *prefix, size_t plen, char end)
{
    static const char tag[] = ".crioimg-tmp-";
    const char *q;
    long pid = 0;
    if (strncmp(name, prefix, plen) != 0 || strncmp(name + plen, tag, sizeof tag - 1) != 0) return 0;
    for (q = name + plen + sizeof tag - 1; *q >= '0' && *q <= '9' && pid < 100000000L; q++) pid = pid * 10 + (*q - '0');
    if (q == name + plen + sizeof tag - 1 || *q != end || pid == (long)getpid()) return 0;
    return kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}
#endif

/* The kind of a file that is not a regular one, for messages. */
#ifdef CRIOIMG__HAVE_POSIX_IO
static const char *crioimg__file_kind(mode_t m)
{
    if (S_ISDIR(m)) return "a directory";
    if (S_ISFIFO(m)) return "a FIFO";
    if (S_ISCHR(m) || S_ISBLK(m)) return "a device";
    return "a special file";
}
#endif

/* Opens path for reading as above: a descriptor (>= 0), or -1 with *res (ERR_NOT_FOUND when it does not
   exist, ERR_IO otherwise) and why (may be NULL) given a reason without the path ("No such file or
   directory", "a FIFO, not a regular file"): callers name the path around it. *size: the file's size. */
#ifdef CRIOIMG__HAVE_POSIX_IO
static int crioimg__config_open(const char *path, crioimg_result *res, crioimg__out *why, size_t *size)
{
    int flags = O_RDONLY | O_NONBLOCK | O_NOCTTY, fd, en;
    struct stat st;
#ifdef O_CLOEXEC
    flags |= O_CLOEXEC;
#endif
    *size = 0;
    do fd = open(path, flags); while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        en = errno;
        *res = en == ENOENT || en == ENOTDIR ? CRIOIMG_ERR_NOT_FOUND : CRIOIMG_ERR_IO;
        if (why) crioimg__out_str(why, strerror(en));
        return -1;
    }
    if (fstat(fd, &st) != 0) {
        if (why) crioimg__out_str(why, strerror(errno));
        close(fd);
        *res = CRIOIMG_ERR_IO;
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        if (why) { crioimg__out_str(why, crioimg__file_kind(st.st_mode)); crioimg__out_str(why, ", not a regular file"); }
        close(fd);
        *res = CRIOIMG_ERR_IO;
        return -1;
    }
    *size = st.st_size > 0 ? (size_t)st.st_size : 0;
    return fd;
}
#endif

/* 1 when something is at path (Go's os.Stat(path) == nil): stat, never open, so a FIFO is not waited on. */
CRIOIMG__LIB int crioimg__path_exists(const char *path)
{
#ifdef CRIOIMG__HAVE_POSIX_IO
    struct stat st;
    return stat(path, &st) == 0;
#else
    FILE *f = fopen(path, "rb");
    if (f) fclose(f);
    return f != NULL;
#endif
}

/* Reads the regular file at path whole, at most max bytes, into *data (allocated from a, NUL-terminated
   after *len bytes; the caller frees it). Results: OK; ERR_NOT_FOUND (it does not exist); ERR_TOO_BIG
   (over max); ERR_IO (not a regular file, or open or read failed); ERR_NOMEM. On failure why (may be
   NULL) gets the reason, without the path. data NULL: only open, check and close (for files that another
   library then reads by path, such as TLS certificates). */
CRIOIMG__LIB crioimg_result crioimg__config_read(const char *path, size_t max, const crioimg_allocator *a, char **data, size_t *len,
                                                 crioimg__out *why)
{
    crioimg_result r = CRIOIMG_OK;
    size_t cap, got = 0;
    char *b = NULL;
#ifdef CRIOIMG__HAVE_POSIX_IO
    int fd = crioimg__config_open(path, &r, why, &cap);
#else
    FILE *f = fopen(path, "rb");
    cap = 4096;
#endif
    if (data) { *data = NULL; *len = 0; }
#ifdef CRIOIMG__HAVE_POSIX_IO
    if (fd < 0) return r;
    if (data == NULL) { close(fd); return CRIOIMG_OK; }
#else
    if (f == NULL) { if (why) crioimg__out_str(why, strerror(errno)); return errno == ENOENT ? CRIOIMG_ERR_NOT_FOUND : CRIOIMG_ERR_IO; }
    if (data == NULL) { fclose(f); return CRIOIMG_OK; }
#endif
    /* the size fstat saw is a first guess only: the file may grow or shrink while it is read */
    cap = (cap < max ? cap : max) + 1;
    for (;;) {
        size_t want;
        if (got == cap) {
            char *nb;
            if (cap > max) { r = CRIOIMG_ERR_TOO_BIG; break; }   /* max + 1 bytes came: over the cap */
            cap = cap > max / 2 ? max + 1 : cap * 2;
            if ((nb = (char *)crioimg_realloc(a, b, cap + 1)) == NULL) { r = CRIOIMG_ERR_NOMEM; break; }
            b = nb;
        } else if (b == NULL && (b = (char *)crioimg_malloc(a, cap + 1)) == NULL) { r = CRIOIMG_ERR_NOMEM; break; }
        want = cap - got;
#ifdef CRIOIMG__HAVE_POSIX_IO
        {
            ssize_t n = read(fd, b + got, want);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) { if (why) crioimg__out_str(why, strerror(errno)); r = CRIOIMG_ERR_IO; break; }
            if (n == 0) break;
            got += (size_t)n;
        }
#else
        {
            size_t n = fread(b + got, 1, want, f);
            got += n;
            if (n < want) { if (ferror(f)) { if (why) crioimg__out_str(why, "read error"); r = CRIOIMG_ERR_IO; } break; }
        }
#endif
    }
#ifdef CRIOIMG__HAVE_POSIX_IO
    close(fd);
#else
    fclose(f);
#endif
    if (r == CRIOIMG_ERR_TOO_BIG && why) {
        crioimg__out_str(why, "larger than ");
        crioimg__out_uint(why, max);
        crioimg__out_str(why, " bytes");
    }
    if (r != CRIOIMG_OK) { crioimg_free(a, b); return r; }
    b[got] = '\0';
    *data = b;
    *len = got;
    return CRIOIMG_OK;
}

/* The 1-based line of byte offset at in s[0, n) (at past the end counts as the end): for messages
   about a file that name the line where a byte offset is known. */
CRIOIMG__LIB unsigned long crioimg__line_of(const char *s, size_t n, size_t at)
{
    unsigned long line = 1;
    const char *p = s, *end;
    if (s == NULL) return line;
    end = s + (at < n ? at : n);
    while (p < end && (p = (const char *)memchr(p, '\n', (size_t)(end - p))) != NULL) { line++; p++; }
    return line;
}

/* Starts writeback of what was written to fd since *flushed once 4 MiB have gathered (see
   CRIOIMG__WRITEBACK): the store's blobs and crioimg save's archives, both fsynced at the end. */
CRIOIMG__LIB void crioimg__writeback(int fd, long long written, long long *flushed)
{
#ifdef CRIOIMG__WRITEBACK
    if (written - *flushed < CRIOIMG__WRITEBACK_STEP) return;
    (void)sync_file_range(fd, (off_t)*flushed, (off_t)(written - *flushed), SYNC_FILE_RANGE_WRITE);
    *flushed = written;
#else
    (void)fd; (void)written; (void)flushed;
#endif
}
