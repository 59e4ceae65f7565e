/* crioimg: the command-line face of crioimg.h (see ../shared/design.md section 4 for the contract).

     crioimg parse [--json] [--any] [NAME...]     names from stdin, one a line, when none are given
     crioimg digest [--algorithm ALG] [FILE...]   "sha256:<hex>  FILE" per file; stdin when none ("-")
     crioimg images|inspect|tag|untag|rmi|import|save [--store DIR] ...   the image store (an OCI layout)

     crioimg resolve [REGISTRY-OPTIONS] [--json] NAME     candidate names, one a line, in pull order
     crioimg registry [REGISTRY-OPTIONS] [--json] HOST[:PORT]   "secure" or "insecure"
     crioimg can-pull [REGISTRY-OPTIONS] [AUTH-OPTIONS] [--platform P] NAME   "NAME MANIFEST-DIGEST" when pullable
     crioimg manifest [REGISTRY-OPTIONS] [AUTH-OPTIONS] [--platform P] NAME   the manifest, as served
     crioimg blob [REGISTRY-OPTIONS] [AUTH-OPTIONS] [--platform P] -o FILE NAME DIGEST   a blob, verified
     REGISTRY-OPTIONS: --registry R (repeatable), --insecure-registry CIDR|HOST[:PORT] (repeatable),
                       --registries-conf FILE
     AUTH-OPTIONS:     --creds USER[:PASS] (asked on the terminal when left out), --authfile FILE, --cert-dir DIR, --tls-verify[=true|false]
     NETWORK-OPTIONS:  --timeout DURATION (headers, and all of a manifest, token or error body: 30s, 2m or seconds),
                       --min-rate BYTES/DURATION (a blob's slowest progress), --retry-times N

   Exit status 0 on success; non-zero, with a one-line message on stderr, on failure. */
#define _POSIX_C_SOURCE 200809L
#define _FILE_OFFSET_BITS 64   /* large blobs on 32-bit systems: before any #include, as crioimg needs */
#define CRIOIMG_IMPLEMENTATION
#include "../crioimg.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/file.h>
#include <dirent.h>
#include <termios.h>
#include <signal.h>
#include <time.h>

/* ---- a growable byte buffer for output, flushed to stdout in large writes ---- */

typedef struct buf { char *p; size_t len, cap; } buf;

static void die_nomem(void)
{
    fputs("crioimg: out of memory\n", stderr);
    exit(2);
}

static void buf_reserve(buf *b, size_t more)
{
    size_t want = b->len + more;
    if (want <= b->cap) return;
    if (b->cap == 0) b->cap = 1 << 16;
    while (b->cap < want) b->cap *= 2;
    b->p = (char *)realloc(b->p, b->cap);
    if (b->p == NULL) die_nomem();
}

static void buf_put(buf *b, const char *s, size_t n)
{
    buf_reserve(b, n);
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

static void buf_str(buf *b, const char *s) { buf_put(b, s, strlen(s)); }

/* s as a JSON string. Most strings need no escaping: those are copied as they are. */
/* bytes JSON must escape, or that may be invalid UTF-8 */
#define ESC(c) ((c) < 0x20 || (c) == '"' || (c) == '\\' || (c) >= 0x80)
#define ESC4(c) ESC(c), ESC((c) + 1), ESC((c) + 2), ESC((c) + 3)
#define ESC16(c) ESC4(c), ESC4((c) + 4), ESC4((c) + 8), ESC4((c) + 12)
#define ESC64(c) ESC16(c), ESC16((c) + 16), ESC16((c) + 32), ESC16((c) + 48)
static const unsigned char json_esc[256] = { ESC64(0), ESC64(64), ESC64(128), ESC64(192) };
#undef ESC64
#undef ESC16
#undef ESC4
#undef ESC

static void buf_json(buf *b, const char *s, size_t n)
{
    size_t i, need;
    unsigned any = 0;
    for (i = 0; i < n; i++) any |= json_esc[(unsigned char)s[i]];
    if (!any) {
        buf_reserve(b, n + 2);
        b->p[b->len] = '"';
        memcpy(b->p + b->len + 1, s, n);
        b->p[b->len + 1 + n] = '"';
        b->len += n + 2;
        return;
    }
    need = n < 4096 ? n * 6 + 2 : crioimg_json_quote(NULL, 0, s, n);  /* 6 bytes a char at most */
    buf_reserve(b, need + 1);
    b->len += crioimg_json_quote(b->p + b->len, need + 1, s, n);
}

/* A string the reference grammar made: it holds no byte JSON must escape. */
static char *put_field(char *p, const char *key, size_t klen, const char *s, size_t n)
{
    memcpy(p, key, klen);
    p += klen;
    memcpy(p, s, n);
    p += n;
    *p++ = '"';
    return p;
}

static int buf_flush(buf *b, FILE *f)
{
    int ok = b->len == 0 || fwrite(b->p, 1, b->len, f) == b->len;
    b->len = 0;
    return ok;
}

/* ---- reading lines of any length from a stream ---- */

typedef struct lines { FILE *f; char *p; size_t start, len, cap; int eof; } lines;

/* Next line without its '\n' (a '\r' stays: it is part of the input). 0 at the end. */
static int lines_next(lines *l, const char **s, size_t *n)
{
    for (;;) {
        char *nl = l->len > l->start ? (char *)memchr(l->p + l->start, '\n', l->len - l->start) : NULL;
        if (nl) {
            *s = l->p + l->start;
            *n = (size_t)(nl - *s);
            l->start += *n + 1;
            return 1;
        }
        if (l->eof) {
            if (l->len == l->start) return 0;
            *s = l->p + l->start;
            *n = l->len - l->start;
            l->start = l->len;
            return 1;
        }
        if (l->start > 0) {  /* keep the partial line, drop what was consumed */
            memmove(l->p, l->p + l->start, l->len - l->start);
            l->len -= l->start;
            l->start = 0;
        }
        if (l->cap - l->len < (1 << 16)) {
            l->cap = l->cap ? l->cap * 2 : 1 << 20;
            l->p = (char *)realloc(l->p, l->cap);
            if (l->p == NULL) die_nomem();
        }
        {
            size_t got = fread(l->p + l->len, 1, l->cap - l->len, l->f);
            l->len += got;
            if (got == 0) l->eof = 1;
        }
    }
}

/* ---- crioimg parse ---- */

typedef struct parse_opts { int json, any; } parse_opts;

/* One input: its JSON object (or plain line) into out, its error (if any) into err. 0 on success. */
static int parse_one(const parse_opts *o, const char *s, size_t n, buf *out, buf *err)
{
    crioimg_ref ref;
    crioimg_result r = o->any ? crioimg_ref_parse_any(&ref, s, n) : crioimg_ref_parse_normalized(&ref, s, n);
    size_t dl, pl;
    const char *dom, *path;
    if (r != CRIOIMG_OK) {
        char msg[512];
        size_t ml = crioimg_ref_error_message(r, s, n, msg, sizeof msg);
        buf *to = o->json ? out : err;
        if (ml >= sizeof msg) ml = sizeof msg - 1;  /* no reference error is this long; cut, never overflow */
        if (o->json) { buf_str(to, "{\"input\":"); buf_json(to, s, n); buf_str(to, ",\"error\":"); buf_json(to, msg, ml); buf_str(to, "}\n"); }
        else { buf_str(to, "crioimg: "); buf_json(to, s, n); buf_str(to, ": "); buf_put(to, msg, ml); buf_str(to, "\n"); }
        return 1;
    }
    if (!o->json) {
        buf_reserve(out, CRIOIMG_REF_STRING_MAX + 2);
        out->len += crioimg_ref_string(&ref, out->p + out->len, CRIOIMG_REF_STRING_MAX + 1);
        out->p[out->len++] = '\n';
        return 0;
    }
    dom = crioimg_ref_domain(&ref, &dl);
    path = crioimg_ref_path(&ref, &pl);
    {
        /* a parsed reference holds only grammar bytes: none needs escaping */
#define KEY(k) ",\"" k "\":\"", sizeof(",\"" k "\":\"") - 1
        char *p;
        buf_reserve(out, 128 + n + ref.name_len + dl + pl + ref.tag_len + ref.digest_len + 2 * (CRIOIMG_REF_STRING_MAX + 1));
        p = out->p + out->len;
        p = put_field(p, "{\"input\":\"", sizeof("{\"input\":\"") - 1, s, n);
        p = put_field(p, KEY("name"), ref.name, ref.name_len);
        p = put_field(p, KEY("domain"), dom, dl);
        p = put_field(p, KEY("path"), path, pl);
        p = put_field(p, KEY("tag"), ref.tag, ref.tag_len);
        p = put_field(p, KEY("digest"), ref.digest, ref.digest_len);
        p = put_field(p, KEY("familiar"), "", 0) - 1;  /* the key; the value is written in place */
        p += crioimg_ref_familiar_string(&ref, p, CRIOIMG_REF_STRING_MAX + 1);
        *p++ = '"';
        p = put_field(p, KEY("string"), "", 0) - 1;
        p += crioimg_ref_string(&ref, p, CRIOIMG_REF_STRING_MAX + 1);
        *p++ = '"';
#undef KEY
        *p++ = '}';
        *p++ = '\n';
        out->len = (size_t)(p - out->p);
    }
    return 0;
}

static int cmd_parse(int argc, char **argv)
{
    parse_opts o = {0, 0};
    buf out = {NULL, 0, 0}, err = {NULL, 0, 0};
    size_t failed = 0, total = 0;
    int i, names = 0, ok = 1;
    for (i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) o.json = 1;
        else if (strcmp(argv[i], "--any") == 0) o.any = 1;
        else if (strcmp(argv[i], "--") == 0) { i++; break; }
        else if (argv[i][0] == '-' && argv[i][1] == '-') {
            fprintf(stderr, "crioimg parse: unknown option %s\n", argv[i]);
            return 2;
        } else break;
    }
    for (; i < argc; i++, names++) {
        failed += (size_t)parse_one(&o, argv[i], strlen(argv[i]), &out, &err);
        total++;
    }
    if (names == 0) {
        lines l;
        const char *s;
        size_t n;
        memset(&l, 0, sizeof l);
        l.f = stdin;
        while (lines_next(&l, &s, &n)) {
            failed += (size_t)parse_one(&o, s, n, &out, &err);
            total++;
            if (out.len >= (1 << 20)) ok &= buf_flush(&out, stdout);
            if (err.len >= (1 << 16)) buf_flush(&err, stderr);
        }
        free(l.p);
    }
    ok &= buf_flush(&out, stdout);
    ok &= fflush(stdout) == 0;
    buf_flush(&err, stderr);
    free(out.p);
    free(err.p);
    if (!ok) { fputs("crioimg: write error\n", stderr); return 2; }
    if (failed && o.json) fprintf(stderr, "crioimg: %lu of %lu names did not parse\n", (unsigned long)failed, (unsigned long)total);
    return failed ? 1 : 0;
}

/* ---- crioimg digest ---- */

#define DIGEST_CHUNK (1 << 20)  /* big reads, few system calls; still small enough to stay in cache */

/* Hashes everything fd gives into h. 0, or the errno of the read that failed. */
static int digest_fd(int fd, crioimg_hasher *h, unsigned char *chunk)
{
#ifdef POSIX_FADV_SEQUENTIAL
    (void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);  /* more read-ahead; a pipe just says no */
#endif
    for (;;) {
        ssize_t got = read(fd, chunk, DIGEST_CHUNK);
        if (got > 0) crioimg_hasher_update(h, chunk, (size_t)got);
        else if (got == 0) return 0;
        else if (errno != EINTR) return errno;
    }
}

/* The name as sha256sum prints it: a name holding a backslash, newline or carriage return is written with
   C escapes and its line starts with a backslash, so that every name stays on one line. */
static void digest_print(FILE *out, const char *digest, const char *name)
{
    const char *p;
    if (strpbrk(name, "\\\n\r") == NULL) { fprintf(out, "%s  %s\n", digest, name); return; }
    fprintf(out, "\\%s  ", digest);
    for (p = name; *p; p++) {
        if (*p == '\\') fputs("\\\\", out);
        else if (*p == '\n') fputs("\\n", out);
        else if (*p == '\r') fputs("\\r", out);
        else fputc(*p, out);
    }
    fputc('\n', out);
}

/* One file ("-" is stdin): its line on stdout, or a line on stderr. 0 on success. */
static int digest_one(const char *name, crioimg_hasher *h, unsigned char *chunk)
{
    char line[CRIOIMG_DIGEST_STRING_MAX + 1];
    int std = strcmp(name, "-") == 0, fd = std ? 0 : open(name, O_RDONLY), err;
    if (fd < 0) { fprintf(stderr, "crioimg digest: %s: %s\n", name, strerror(errno)); return 1; }
    crioimg_hasher_reset(h);
    err = digest_fd(fd, h, chunk);
    if (!std) close(fd);
    if (err) { fprintf(stderr, "crioimg digest: %s: %s\n", name, strerror(err)); return 1; }
    crioimg_hasher_final_string(h, line, sizeof line);
    digest_print(stdout, line, name);
    return 0;
}

static int cmd_digest(int argc, char **argv)
{
    crioimg_digest_alg alg = CRIOIMG_DIGEST_SHA256;
    crioimg_hasher h;
    unsigned char *chunk;
    int i, failed = 0;
    for (i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) { i++; break; }
        if (strcmp(a, "--algorithm") == 0 || strncmp(a, "--algorithm=", 12) == 0) {
            const char *v = a[11] == '=' ? a + 12 : (i + 1 < argc ? argv[++i] : "");
            alg = crioimg_digest_alg_from_name(v, strlen(v));
            if (alg == CRIOIMG_DIGEST_UNKNOWN) {
                fprintf(stderr, "crioimg digest: unsupported algorithm \"%s\" (sha256, sha384, sha512)\n", v);
                return 2;
            }
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "crioimg digest: unknown option %s\n", a);
            return 2;
        } else break;
    }
    chunk = (unsigned char *)malloc(DIGEST_CHUNK);
    if (chunk == NULL) die_nomem();
    crioimg_hasher_init(&h, alg);  /* once: every file reuses its SHA-256 path */
    if (i == argc) failed |= digest_one("-", &h, chunk);
    for (; i < argc; i++) failed |= digest_one(argv[i], &h, chunk);
    free(chunk);
    if (fflush(stdout) != 0 || ferror(stdout)) { fputs("crioimg: write error\n", stderr); return 2; }
    return failed ? 1 : 0;
}

/* ---- registry options: --registry, --insecure-registry, --registries-conf ---- */

typedef struct reg_opts { crioimg_registries *reg; int json; const char *conf; int nsearch; } reg_opts;

/* registries.conf as skopeo reads it: --registries-conf, else $CONTAINERS_REGISTRIES_CONF, else the default
   files; with the drop-in directories. 1 on success. */
static int reg_conf(const char *cmd, reg_opts *o)
{
    crioimg_conf_paths p;
    crioimg_result r;
    memset(&p, 0, sizeof p);
    p.path = o->conf ? o->conf : getenv("CONTAINERS_REGISTRIES_CONF");
    if (p.path && p.path[0] == '\0') p.path = NULL;
    r = crioimg_registries_load_conf(o->reg, &p);
    if (r != CRIOIMG_OK) {
        fprintf(stderr, "crioimg %s: %s\n", cmd, crioimg_registries_error(o->reg)[0] ? crioimg_registries_error(o->reg) : crioimg_result_str(r));
        return 0;
    }
    return 1;
}

/* One REGISTRY-OPTION at argv[*i] (--registry, --insecure-registry, --registries-conf; "--opt value" or
   "--opt=value"): its letter ('r', 'i', 'c') with *v set and *i on the value, 0 when argv[*i] is not one,
   -1 after a message. */
static int reg_option(const char *cmd, int argc, char **argv, int *i, const char **v)
{
    const char *a = argv[*i];
    size_t kl = strcspn(a, "=");
    int which;
    if (kl == 10 && strncmp(a, "--registry", kl) == 0) which = 'r';
    else if (kl == 19 && strncmp(a, "--insecure-registry", kl) == 0) which = 'i';
    else if (kl == 17 && strncmp(a, "--registries-conf", kl) == 0) which = 'c';
    else return 0;
    if (a[kl] == '=') *v = a + kl + 1;
    else if (*i + 1 < argc) *v = argv[++*i];
    else { fprintf(stderr, "crioimg %s: %.*s needs a value\n", cmd, (int)kl, a); return -1; }
    return which;
}

/* Reads the registry options and the other flags of resolve/registry from argv; returns the index of the
   first operand, or -1 after printing a message (exit status 2). */
static int reg_args(const char *cmd, int argc, char **argv, reg_opts *o)
{
    int i, which;
    const char *v = NULL;
    crioimg_result r = crioimg_registries_new(&o->reg, NULL);
    if (r != CRIOIMG_OK) { fprintf(stderr, "crioimg %s: %s\n", cmd, crioimg_result_str(r)); return -1; }
    for (i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) return reg_conf(cmd, o) ? i + 1 : -1;
        if (strcmp(a, "--json") == 0) { o->json = 1; continue; }
        if (a[0] != '-' || a[1] != '-') return reg_conf(cmd, o) ? i : -1;
        which = reg_option(cmd, argc, argv, &i, &v);
        if (which < 0) return -1;
        if (which == 0) { fprintf(stderr, "crioimg %s: unknown option %s\n", cmd, a); return -1; }
        if (which == 'r') {
            r = crioimg_registries_add_search(o->reg, v, strlen(v));
            o->nsearch++;
        } else if (which == 'i') {
            r = crioimg_registries_add_insecure(o->reg, v, strlen(v));
        } else {
            o->conf = v;
            r = CRIOIMG_OK;
        }
        if (r != CRIOIMG_OK) { fprintf(stderr, "crioimg %s: %s\n", cmd, crioimg_registries_error(o->reg)); return -1; }
    }
    return reg_conf(cmd, o) ? i : -1;
}

/* ---- crioimg resolve ---- */

static int cmd_resolve(int argc, char **argv)
{
    reg_opts o;
    crioimg_candidates c;
    crioimg_result r;
    size_t k;
    int i;
    memset(&o, 0, sizeof o);
    i = reg_args("resolve", argc, argv, &o);
    if (i < 0 || i + 1 != argc) {
        if (i >= 0) fputs("usage: crioimg resolve [REGISTRY-OPTIONS] [--json] NAME\n", stderr);
        crioimg_registries_free(o.reg);
        return 2;
    }
    r = crioimg_registries_resolve(o.reg, argv[i], strlen(argv[i]), &c);
    if (r != CRIOIMG_OK) {
        fprintf(stderr, "crioimg resolve: %s\n", crioimg_registries_error(o.reg));
        crioimg_registries_free(o.reg);
        return 1;
    }
    for (k = 0; k < c.n; k++) {
        if (!o.json) { printf("%s\n", c.items[k].name); continue; }
        {
            static const char *const rules[] = { "", "qualified", "image-id", "search", "alias", "unqualified-search", "mirror", "primary" };
            buf b = {NULL, 0, 0};
            buf_str(&b, "{\"name\":");
            buf_json(&b, c.items[k].name, strlen(c.items[k].name));
            buf_str(&b, ",\"rule\":\"");
            buf_str(&b, rules[c.items[k].rule]);
            buf_str(&b, "\",\"origin\":");
            buf_json(&b, c.items[k].origin, strlen(c.items[k].origin));
            buf_str(&b, "}\n");
            buf_flush(&b, stdout);
            free(b.p);
        }
    }
    crioimg_candidates_free(&c);
    crioimg_registries_free(o.reg);
    return fflush(stdout) == 0 ? 0 : 2;
}

/* ---- crioimg registry ---- */

static int cmd_registry(int argc, char **argv)
{
    reg_opts o;
    crioimg_insecure_decision d;
    crioimg_result r;
    int i;
    memset(&o, 0, sizeof o);
    i = reg_args("registry", argc, argv, &o);
    if (i < 0 || i + 1 != argc) {
        if (i >= 0) fputs("usage: crioimg registry [REGISTRY-OPTIONS] [--json] HOST[:PORT]\n", stderr);
        crioimg_registries_free(o.reg);
        return 2;
    }
    r = crioimg_registries_check_host(o.reg, argv[i], strlen(argv[i]), &d);
    if (r != CRIOIMG_OK) {
        fprintf(stderr, "crioimg registry: %s\n", crioimg_registries_error(o.reg)[0] ? crioimg_registries_error(o.reg) : crioimg_result_str(r));
        crioimg_registries_free(o.reg);
        return 1;
    }
    if (o.json) {
        buf b = {NULL, 0, 0};
        buf_str(&b, "{\"host\":");
        buf_json(&b, argv[i], strlen(argv[i]));
        buf_str(&b, d.insecure ? ",\"insecure\":true,\"rule\":\"" : ",\"insecure\":false,\"rule\":\"");
        buf_str(&b, crioimg_insecure_rule_name(d.rule));
        buf_str(&b, "\",\"detail\":");
        buf_json(&b, d.detail, strlen(d.detail));
        buf_str(&b, "}\n");
        buf_flush(&b, stdout);
        free(b.p);
    } else {
        puts(d.insecure ? "insecure" : "secure");
    }
    crioimg_registries_free(o.reg);
    return fflush(stdout) == 0 ? 0 : 2;
}

/* ---- the store: images, inspect, tag, untag, rmi, import ---- */

typedef struct store_args { const char *dir; int json; int nargs; char **args; char dflt[4096]; } store_args;

/* The store's directory: dir when given, else $CRIOIMG_STORE, $XDG_DATA_HOME/crioimg,
   ~/.local/share/crioimg (built in out); NULL after a message when there is none. */
static const char *store_dir(const char *cmd, const char *dir, char *out, size_t cap)
{
    const char *e;
    if (dir && dir[0]) return dir;
    if ((e = getenv("CRIOIMG_STORE")) != NULL && e[0]) return e;
    if ((e = getenv("XDG_DATA_HOME")) != NULL && e[0]) { snprintf(out, cap, "%s/crioimg", e); return out; }
    if ((e = getenv("HOME")) != NULL && e[0]) { snprintf(out, cap, "%s/.local/share/crioimg", e); return out; }
    fprintf(stderr, "crioimg %s: no store: give --store DIR or set CRIOIMG_STORE\n", cmd);
    return NULL;
}

/* [--store DIR] [--json] ARGS...; the store defaults to $CRIOIMG_STORE, $XDG_DATA_HOME/crioimg,
   ~/.local/share/crioimg. 0, or 2 after a usage message. */
static int store_args_parse(const char *cmd, int argc, char **argv, int allow_json, store_args *sa)
{
    int i;
    memset(sa, 0, sizeof *sa);
    for (i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) { i++; break; }
        if (strcmp(a, "--store") == 0 && i + 1 < argc) sa->dir = argv[++i];
        else if (strncmp(a, "--store=", 8) == 0) sa->dir = a + 8;
        else if (allow_json && strcmp(a, "--json") == 0) sa->json = 1;
        else if (a[0] == '-' && a[1] != '\0') { fprintf(stderr, "crioimg %s: unknown option %s\n", cmd, a); return 2; }
        else break;
    }
    sa->args = argv + i;
    sa->nargs = argc - i;
    return (sa->dir = store_dir(cmd, sa->dir, sa->dflt, sizeof sa->dflt)) != NULL ? 0 : 2;
}

static void store_fail(const char *cmd, const char *what, crioimg_store *s, crioimg_result r)
{
    const char *d = s ? crioimg_store_error(s) : "";
    if (d[0]) fprintf(stderr, "crioimg %s: %s: %s\n", cmd, what, d);
    else fprintf(stderr, "crioimg %s: %s: %s\n", cmd, what, crioimg_result_str(r));
}

/* mkdir -p of the store's parents, for a first write to the default place */
static void mkdir_parents(const char *dir)
{
    char p[4096];
    size_t i, n = strlen(dir);
    if (n >= sizeof p) return;
    memcpy(p, dir, n + 1);
    for (i = 1; i < n; i++)
        if (p[i] == '/') { p[i] = '\0'; (void)mkdir(p, 0755); p[i] = '/'; }
}

/* Opens the store; a reader of a store that does not exist yet gets NULL and 0 (an empty store). */
static int store_open(const char *cmd, const store_args *sa, int write, crioimg_store **s)
{
    crioimg_store_opts o;
    crioimg_result r;
    struct stat st;
    char err[1024];
    memset(&o, 0, sizeof o);
    o.err = err; o.errcap = sizeof err;   /* the library's words for a failed open, naming the directory */
    *s = NULL;
    if (write == 2) { /* tag, untag, rmi change existing images: never create a store */
        if (stat(sa->dir, &st) != 0) {
            fprintf(stderr, "crioimg %s: %s: %s (no store there; import or pull creates one)\n", cmd, sa->dir,
                    errno == EACCES ? "permission denied" : "no such directory");
            return 1;
        }
        if (!S_ISDIR(st.st_mode)) {
            fprintf(stderr, "crioimg %s: %s: is a file, not a store directory\n", cmd, sa->dir);
            return 1;
        }
        o.create = 0;
        {
            char lay[4096];
            snprintf(lay, sizeof lay, "%s/oci-layout", sa->dir);
            /* no oci-layout: not a store (and nothing written into it); unreadable: the library says why */
            r = stat(lay, &st) == 0 || errno != ENOENT ? crioimg_store_open_oci(s, sa->dir, &o) : CRIOIMG_ERR_NOT_FOUND;
        }
        if (r == CRIOIMG_ERR_NOT_FOUND) {
            fprintf(stderr, "crioimg %s: %s: not a store (no oci-layout or index.json; import or pull creates one)\n", cmd, sa->dir);
            return 1;
        }
        if (r != CRIOIMG_OK) {
            fprintf(stderr, "crioimg %s: %s\n", cmd, err);
            return 1;
        }
        return 0;
    }
    o.create = write;
    o.read_only = !write;
    if (write) mkdir_parents(sa->dir);
    r = crioimg_store_open_oci(s, sa->dir, &o);
    if (r == CRIOIMG_ERR_NOT_FOUND && !write && stat(sa->dir, &st) != 0) return 0;   /* no store yet: empty */
    if (r != CRIOIMG_OK) {
        fprintf(stderr, "crioimg %s: %s\n", cmd, err);
        return 1;
    }
    return 0;
}

/* go-units' HumanSizeWithPrecision(size, 3), as crictl prints sizes */
static void human_size(long long size, char *out, size_t cap)
{
    static const char *const units[] = { "B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB" };
    double v = (double)size;
    int i = 0;
    if (size < 0) { snprintf(out, cap, "unknown"); return; }
    while (v >= 1000.0 && i < 8) { v /= 1000.0; i++; }
    snprintf(out, cap, "%.3g%s", v, units[i]);
}

typedef struct row { const char *c[4]; size_t l[4]; } row;

static int cmd_images(int argc, char **argv)
{
    store_args sa;
    crioimg_store *s;
    crioimg_image_list l;
    crioimg_result r;
    buf out = { NULL, 0, 0 };
    size_t i, j, nrows = 0, caprows = 0, w[3];
    row *rows = NULL;
    char *sizes = NULL, *ids = NULL;
    int rc = store_args_parse("images", argc, argv, 1, &sa);
    if (rc) return rc;
    if (sa.nargs > 1) { fputs("crioimg images: at most one FILTER\n", stderr); return 2; }
    if ((rc = store_open("images", &sa, 0, &s)) != 0) return rc;
    memset(&l, 0, sizeof l);
    if (s) {
        r = crioimg_store_list(s, sa.nargs ? sa.args[0] : NULL, &l);
        if (r != CRIOIMG_OK) { store_fail("images", sa.dir, s, r); crioimg_store_close(s); return 1; }
    }
    if (sa.json) {
        crioimg_json_writer jw;
        for (i = 0; i < l.n; i++) {
            const char *text;
            size_t len;
            crioimg_json_writer_init(&jw, NULL);
            crioimg_image_write_json(&l.images[i], &jw);
            if (crioimg_json_writer_finish(&jw, &text, &len) != CRIOIMG_OK) die_nomem();
            buf_put(&out, text, len);
            buf_put(&out, "\n", 1);
            crioimg_json_writer_free(&jw);
            if (out.len > (1 << 20)) buf_flush(&out, stdout);
        }
    } else {
        /* crictl images: one row per tagged name, else one "<none>" row; tabwriter(20, 1, 3) columns */
        sizes = (char *)malloc(l.n * 16 + 1);
        ids = (char *)malloc(l.n * 13 + 1);
        if (!sizes || !ids) die_nomem();
        caprows = l.n + 1;
        rows = (row *)malloc(caprows * sizeof *rows);
        if (!rows) die_nomem();
        rows[0].c[0] = "IMAGE"; rows[0].c[1] = "TAG"; rows[0].c[2] = "IMAGE ID"; rows[0].c[3] = "SIZE";
        for (j = 0; j < 4; j++) rows[0].l[j] = strlen(rows[0].c[j]);
        nrows = 1;
        for (i = 0; i < l.n; i++) {
            const crioimg_image *im = &l.images[i];
            size_t tagged = 0;
            human_size(im->size, sizes + i * 16, 16);
            memcpy(ids + i * 13, im->id, 12); ids[i * 13 + 12] = '\0';
            for (j = 0; j <= im->nnames; j++) {
                row *rw;
                const char *name, *sep;
                if (j < im->nnames) {
                    name = im->names[j];
                    if (strchr(name, '@')) continue;   /* a digest name: a RepoDigest, not a tag */
                    sep = strrchr(name, ':');
                    if (sep == NULL || strchr(sep, '/')) continue;
                    tagged++;
                } else if (tagged) break;
                if (nrows == caprows) {
                    caprows *= 2;
                    rows = (row *)realloc(rows, caprows * sizeof *rows);
                    if (!rows) die_nomem();
                }
                rw = &rows[nrows++];
                if (j < im->nnames) {
                    rw->c[0] = name; rw->l[0] = (size_t)(sep - name);
                    rw->c[1] = sep + 1; rw->l[1] = strlen(sep + 1);
                } else {
                    const char *at = im->ndigests ? strchr(im->digests[0], '@') : NULL;
                    rw->c[0] = at ? im->digests[0] : "<none>"; rw->l[0] = at ? (size_t)(at - im->digests[0]) : 6;
                    rw->c[1] = "<none>"; rw->l[1] = 6;
                }
                rw->c[2] = ids + i * 13; rw->l[2] = 12;
                rw->c[3] = sizes + i * 16; rw->l[3] = strlen(rw->c[3]);
            }
        }
        for (j = 0; j < 3; j++) {
            w[j] = 20;
            for (i = 0; i < nrows; i++) if (rows[i].l[j] + 3 > w[j]) w[j] = rows[i].l[j] + 3;
        }
        for (i = 0; i < nrows; i++) {
            for (j = 0; j < 3; j++) {
                buf_reserve(&out, w[j]);
                memcpy(out.p + out.len, rows[i].c[j], rows[i].l[j]);
                memset(out.p + out.len + rows[i].l[j], ' ', w[j] - rows[i].l[j]);
                out.len += w[j];
            }
            buf_put(&out, rows[i].c[3], rows[i].l[3]);
            buf_put(&out, "\n", 1);
            if (out.len > (1 << 20)) buf_flush(&out, stdout);
        }
    }
    buf_flush(&out, stdout);
    free(out.p); free(rows); free(sizes); free(ids);
    crioimg_image_list_free(&l);
    crioimg_store_close(s);
    if (fflush(stdout) != 0 || ferror(stdout)) { fputs("crioimg: write error\n", stderr); return 2; }
    return 0;
}

static int cmd_inspect(int argc, char **argv)
{
    store_args sa;
    crioimg_store *s;
    crioimg_image_list l;
    crioimg_result r;
    crioimg_json_writer jw;
    const char *text;
    int rc = store_args_parse("inspect", argc, argv, 0, &sa);
    if (rc) return rc;
    if (sa.nargs != 1) { fputs("crioimg inspect: one NAME or ID\n", stderr); return 2; }
    if ((rc = store_open("inspect", &sa, 0, &s)) != 0) return rc;
    if (s == NULL) { fprintf(stderr, "crioimg inspect: %s: image not known\n", sa.args[0]); return 1; }
    r = crioimg_store_image_status(s, sa.args[0], &l);
    if (r != CRIOIMG_OK) { store_fail("inspect", sa.args[0], s, r); crioimg_store_close(s); return 1; }
    crioimg_json_writer_init(&jw, NULL);
    crioimg_image_write_json(&l.images[0], &jw);
    if (crioimg_json_writer_finish(&jw, &text, NULL) != CRIOIMG_OK) die_nomem();
    puts(text);
    crioimg_json_writer_free(&jw);
    crioimg_image_list_free(&l);
    crioimg_store_close(s);
    return 0;
}

/* untag and rmi: each NAME in turn; exit 1 when any failed */
static int store_drop(const char *cmd, int argc, char **argv, crioimg_result (*fn)(crioimg_store *, const char *))
{
    store_args sa;
    crioimg_store *s;
    int i, failed = 0, rc = store_args_parse(cmd, argc, argv, 0, &sa);
    if (rc) return rc;
    if (sa.nargs < 1) { fprintf(stderr, "crioimg %s: NAME needed\n", cmd); return 2; }
    if ((rc = store_open(cmd, &sa, 2, &s)) != 0) return rc;
    for (i = 0; i < sa.nargs; i++) {
        crioimg_result r = fn(s, sa.args[i]);
        if (r != CRIOIMG_OK) { store_fail(cmd, sa.args[i], s, r); failed = 1; }
    }
    crioimg_store_close(s);
    return failed;
}

static int cmd_untag(int argc, char **argv) { return store_drop("untag", argc, argv, crioimg_store_untag); }
static int cmd_rmi(int argc, char **argv) { return store_drop("rmi", argc, argv, crioimg_store_remove); }

static int cmd_tag(int argc, char **argv)
{
    store_args sa;
    crioimg_store *s;
    crioimg_result r;
    int i, rc = store_args_parse("tag", argc, argv, 0, &sa);
    if (rc) return rc;
    if (sa.nargs < 2) { fputs("crioimg tag: NAME|ID NEWNAME... needed\n", stderr); return 2; }
    if ((rc = store_open("tag", &sa, 2, &s)) != 0) return rc;
    for (i = 1; i < sa.nargs; i++) {
        const char *n = sa.args[i];
        size_t k = strncmp(n, "sha256:", 7) == 0 ? 7 : 0, h = strspn(n + k, "0123456789abcdef");
        if (h == 64 && n[k + h] == '\0') { /* an ID (sha256:<hex> or the bare hex), never a name */
            fprintf(stderr, "crioimg tag: %s: an image ID, not a name (give a name such as repo:tag)\n", n);
            rc = 1;
            continue;
        }
        r = crioimg_store_tag(s, sa.args[0], n);
        if (r != CRIOIMG_OK) { store_fail("tag", sa.args[i], s, r); rc = 1; }
    }
    crioimg_store_close(s);
    return rc;
}

/* gc and verify: --help (-1 after printing usage), [--store DIR] [--json] and no argument, then an
   existing store (never created) */
static int store_whole_open(const char *cmd, int argc, char **argv, const char *usage, store_args *sa, crioimg_store **s)
{
    int rc;
    if (argc >= 1 && (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0)) { puts(usage); return -1; }
    if ((rc = store_args_parse(cmd, argc, argv, 1, sa)) != 0) return rc;
    if (sa->nargs) { fprintf(stderr, "crioimg %s: unexpected argument %s\n", cmd, sa->args[0]); return 2; }
    return store_open(cmd, sa, 2, s);
}

/* gc [--store DIR] [--json]: unreferenced blobs, stale temporaries and the listing cache go */
static int cmd_gc(int argc, char **argv)
{
    store_args sa;
    crioimg_store *s;
    crioimg_store_gc_result g;
    crioimg_result r;
    int rc = store_whole_open("gc", argc, argv, "usage: crioimg gc [--store DIR] [--json]\n"
        "  removes, under the store's lock, the blobs no image references (what a failed or killed pull or\n"
        "  import left), stale temporary files and the listing cache; prints what went.\n"
        "  example: crioimg gc --store ./store", &sa, &s);
    if (rc) return rc < 0 ? 0 : rc;
    r = crioimg_store_gc(s, &g);
    if (r != CRIOIMG_OK) { store_fail("gc", sa.dir, s, r); crioimg_store_close(s); return 1; }
    if (sa.json) printf("{\"blobs\":%lu,\"blobBytes\":%lld,\"files\":%lu,\"fileBytes\":%lld}\n",
                        (unsigned long)g.blobs, g.blob_bytes, (unsigned long)g.files, g.file_bytes);
    else printf("removed %lu blobs (%lld bytes) and %lu other files (%lld bytes)\n",
                (unsigned long)g.blobs, g.blob_bytes, (unsigned long)g.files, g.file_bytes);
    crioimg_store_close(s);
    return 0;
}

/* verify [--store DIR] [--json]: every blob hashed, every image complete; exit 1 listing what is broken */
static int cmd_verify(int argc, char **argv)
{
    store_args sa;
    crioimg_store *s;
    crioimg_store_verify_result v;
    crioimg_result r;
    size_t i;
    int rc = store_whole_open("verify", argc, argv, "usage: crioimg verify [--store DIR] [--json]\n"
        "  hashes every blob against its name and checks every image (manifest, config and layers there,\n"
        "  with the sizes the manifest gives); lists what is broken, one a line, and exits 1 then.\n"
        "  example: crioimg verify --store ./store", &sa, &s);
    if (rc) return rc < 0 ? 0 : rc;
    r = crioimg_store_verify(s, &v);
    if (r != CRIOIMG_OK) { store_fail("verify", sa.dir, s, r); crioimg_store_close(s); return 1; }
    if (sa.json) {
        crioimg_json_writer jw;
        const char *text;
        crioimg_json_writer_init(&jw, NULL);
        crioimg_json_write_object_begin(&jw);
        crioimg_json_write_key(&jw, "blobs", 5);
        crioimg_json_write_int(&jw, (long long)v.blobs);
        crioimg_json_write_key(&jw, "images", 6);
        crioimg_json_write_int(&jw, (long long)v.images);
        crioimg_json_write_key(&jw, "problems", 8);
        crioimg_json_write_array_begin(&jw);
        for (i = 0; i < v.nproblems; i++) {
            crioimg_json_write_object_begin(&jw);
            crioimg_json_write_key(&jw, "kind", 4);
            crioimg_json_write_string(&jw, v.problems[i].kind, strlen(v.problems[i].kind));
            crioimg_json_write_key(&jw, "subject", 7);
            crioimg_json_write_string(&jw, v.problems[i].subject, strlen(v.problems[i].subject));
            crioimg_json_write_key(&jw, "detail", 6);
            crioimg_json_write_string(&jw, v.problems[i].detail, strlen(v.problems[i].detail));
            crioimg_json_write_object_end(&jw);
        }
        crioimg_json_write_array_end(&jw);
        crioimg_json_write_object_end(&jw);
        if (crioimg_json_writer_finish(&jw, &text, NULL) != CRIOIMG_OK) die_nomem();
        puts(text);
        crioimg_json_writer_free(&jw);
    } else {
        for (i = 0; i < v.nproblems; i++) printf("%s %s: %s\n", v.problems[i].kind, v.problems[i].subject, v.problems[i].detail);
        if (v.nproblems == 0) printf("ok: %lu blobs, %lu images\n", (unsigned long)v.blobs, (unsigned long)v.images);
    }
    if (v.nproblems) fprintf(stderr, "crioimg verify: %s: %lu broken (of %lu blobs, %lu images)\n", sa.dir,
                             (unsigned long)v.nproblems, (unsigned long)v.blobs, (unsigned long)v.images);
    rc = v.nproblems ? 1 : 0;
    crioimg_store_verify_result_free(&v);
    crioimg_store_close(s);
    return rc;
}

/* one line on the terminal for a load or save, redrawn at most every 100 ms: the blob and its bytes */
typedef struct archive_view { struct timespec last; const char *verb; int drawn; } archive_view;
static void bytes_human(long long v, char *out, size_t cap);

static void archive_progress(void *user, const crioimg_archive_progress *p)
{
    archive_view *v = (archive_view *)user;
    struct timespec now;
    const char *hex = strchr(p->what, ':');
    char done[32], total[32];
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (p->done != p->total && (now.tv_sec - v->last.tv_sec) * 1000L + (now.tv_nsec - v->last.tv_nsec) / 1000000L < 100) return;
    v->last = now;
    v->drawn = 1;
    bytes_human(p->done, done, sizeof done);
    if (p->total >= 0) bytes_human(p->total, total, sizeof total);
    else strcpy(total, "?");
    fprintf(stderr, "\r\033[K%s %.12s %s / %s", v->verb, hex ? hex + 1 : p->what, done, total);
    fflush(stderr);
}

/* import oci:DIR[:REF] | oci-archive:FILE[:REF] | docker-archive:FILE[:NAME:TAG|:@N] | dir:DIR [NAME...]:
   crioimg_archive_load, which verifies every blob as it streams in. */
static int import_archive(const store_args *sa, const crioimg_platform *platform)
{
    crioimg_store *s = NULL;
    crioimg_archive_load_opts o;
    crioimg_archive_load_result res;
    crioimg_result r;
    char err[2048];
    archive_view view;
    int rc;
    if ((rc = store_open("import", sa, 1, &s)) != 0) return rc;
    memset(&o, 0, sizeof o);
    o.names = (const char *const *)sa->args + 1;
    o.nnames = (size_t)sa->nargs - 1;
    o.platform = platform;
    memset(&view, 0, sizeof view);
    view.verb = "Loading";
    if (isatty(2)) { o.progress = archive_progress; o.progress_user = &view; }
    r = crioimg_archive_load(s, sa->args[0], &o, &res, err, sizeof err);
    if (view.drawn) fputs("\r\033[K", stderr);
    if (r != CRIOIMG_OK) {
        fprintf(stderr, "crioimg import: %s\n", err[0] ? err : crioimg_result_str(r));
        rc = 1;
    } else printf("%s\n", res.id);
    crioimg_store_close(s);
    return rc ? rc : (fflush(stdout) == 0 ? 0 : 2);
}

/* save [--store DIR] [--format docker-archive|oci-archive|oci-dir] -o PATH NAME|ID...: the images into one
   file (or layout directory), which appears only when complete; same images, same bytes. */
static int cmd_save(int argc, char **argv)
{
    const char *dir = NULL, *out = NULL, *names[256];
    char dflt[4096], err[2048];
    crioimg_archive_format fmt = CRIOIMG_ARCHIVE_DOCKER;
    crioimg_archive_save_opts so;
    archive_view view;
    size_t n = 0;
    int i, opts_done = 0, rc = 0;
    store_args sa;
    crioimg_store *s = NULL;
    crioimg_result r;
    for (i = 0; i < argc; i++) {
        const char *a = argv[i], *f = NULL;
        if (!opts_done && strcmp(a, "--") == 0) { opts_done = 1; continue; }
        if (!opts_done && (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)) {
            puts("usage: crioimg save [--store DIR] [--format docker-archive|oci-archive|oci-dir] -o PATH NAME|ID...\n"
                 "  writes the images (each under the name given, or by ID under all its tags) as podman save and skopeo\n"
                 "  copy do: one docker-archive with every image's RepoTags (the default), an oci-archive or an OCI layout\n"
                 "  directory with org.opencontainers.image.ref.name. PATH appears only when complete. Reproducible: the\n"
                 "  same images give the same bytes (fixed entry order, mtime 0, owner 0/0, modes 0644/0755).");
            return 0;
        }
        if (!opts_done && strcmp(a, "--store") == 0 && i + 1 < argc) dir = argv[++i];
        else if (!opts_done && strncmp(a, "--store=", 8) == 0) dir = a + 8;
        else if (!opts_done && (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) && i + 1 < argc) out = argv[++i];
        else if (!opts_done && strncmp(a, "--output=", 9) == 0) out = a + 9;
        else if (!opts_done && strcmp(a, "--format") == 0 && i + 1 < argc) f = argv[++i];
        else if (!opts_done && strncmp(a, "--format=", 9) == 0) f = a + 9;
        else if (!opts_done && a[0] == '-' && a[1] != '\0') { fprintf(stderr, "crioimg save: unknown option %s\n", a); return 2; }
        else if (n < sizeof names / sizeof names[0]) names[n++] = a;
        else { fputs("crioimg save: too many images\n", stderr); return 2; }
        if (f) {
            if (strcmp(f, "docker-archive") == 0) fmt = CRIOIMG_ARCHIVE_DOCKER;
            else if (strcmp(f, "oci-archive") == 0) fmt = CRIOIMG_ARCHIVE_OCI;
            else if (strcmp(f, "oci-dir") == 0) fmt = CRIOIMG_ARCHIVE_OCI_DIR;
            else { fprintf(stderr, "crioimg save: unknown format %s (docker-archive, oci-archive or oci-dir)\n", f); return 2; }
        }
    }
    if (out == NULL || n == 0) { fputs("crioimg save: -o PATH and NAME|ID... needed\n", stderr); return 2; }
    memset(&sa, 0, sizeof sa);
    if ((sa.dir = store_dir("save", dir, dflt, sizeof dflt)) == NULL) return 2;
    if ((rc = store_open("save", &sa, 0, &s)) != 0) return rc;
    if (s == NULL) { fprintf(stderr, "crioimg save: %s: %s\n", names[0], crioimg_result_str(CRIOIMG_ERR_IMAGE_UNKNOWN)); return 1; }
    memset(&so, 0, sizeof so);
    memset(&view, 0, sizeof view);
    so.format = fmt;
    view.verb = "Saving";
    if (isatty(2)) { so.progress = archive_progress; so.progress_user = &view; }
    r = crioimg_archive_save(s, &so, out, names, n, err, sizeof err);
    if (view.drawn) fputs("\r\033[K", stderr);
    if (r != CRIOIMG_OK) { fprintf(stderr, "crioimg save: %s\n", err[0] ? err : crioimg_result_str(r)); rc = 1; }
    crioimg_store_close(s);
    return rc;
}

/* import LAYOUT:REF [NAME...]: copies an image from another OCI layout (what skopeo or umoci wrote),
   records it under the NAMEs (REF when none are given). crioimg_store_copy_image streams every blob
   against its descriptor: memory stays small whatever the layout holds, and a blob bigger than its
   descriptor fails at once. */
/* A LAYOUT-DIR:REF whose REF is a bare tag, as umoci names its images ("latest", "1.0", "v2"): it names
   no image, so it is never stored as docker.io/library/latest */
static int bare_tag(const char *ref)
{
    if (strpbrk(ref, "/:@") != NULL) return 0;
    return strcmp(ref, "latest") == 0 || (ref[0] >= '0' && ref[0] <= '9') || (ref[0] == 'v' && ref[1] >= '0' && ref[1] <= '9');
}

static int cmd_import(int argc, char **argv)
{
    store_args sa;
    crioimg_store *s = NULL, *src = NULL;
    crioimg_store_opts o;
    crioimg_image_list l;
    crioimg_result r;
    crioimg_platform plat;
    char path[4096], err[1024], platbuf[256];
    const char *ref, *colon = NULL, *platform = NULL, *const *names;
    char **args;
    size_t nnames;
    int rc, i, n = 0;
    if (argc >= 1 && (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0)) {
        puts("usage: crioimg import [--store DIR] [--platform OS/ARCH[/VARIANT]] SOURCE [NAME...]\n"
             "  SOURCE: oci:DIR[:REF], oci-archive:FILE[:REF], docker-archive:FILE[:NAME:TAG|:@N], dir:DIR, or LAYOUT-DIR:REF\n"
             "  stores the image under the NAMEs (none: the names the source gives: the reference, RepoTags, ref.name);\n"
             "  prints its ID. Every blob is verified before it lands; a failure stores nothing of the image.\n"
             "  A REF naming an index (skopeo copy --all) gives the image for --platform (default: this machine).\n"
             "  A REF that is a bare tag (umoci's \"latest\") needs a NAME.");
        return 0;
    }
    /* --platform, taken out before the store's options are read */
    if ((args = (char **)malloc(((size_t)argc + 1) * sizeof *args)) == NULL) die_nomem();
    for (i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) { while (i < argc) args[n++] = argv[i++]; break; }
        if (strcmp(argv[i], "--platform") == 0 && i + 1 < argc) platform = argv[++i];
        else if (strncmp(argv[i], "--platform=", 11) == 0) platform = argv[i] + 11;
        else args[n++] = argv[i];
    }
    if (platform && crioimg_platform_parse(&plat, platform, platbuf, sizeof platbuf) != CRIOIMG_OK) {
        fprintf(stderr, "crioimg import: --platform: invalid platform \"%s\" (OS/ARCH[/VARIANT])\n", platform);
        free(args);
        return 2;
    }
    rc = store_args_parse("import", n, args, 0, &sa);
    if (rc == 0 && sa.nargs >= 1 && crioimg_archive_is_source(sa.args[0])) rc = import_archive(&sa, platform ? &plat : NULL);
    else if (rc == 0 && (sa.nargs < 1 || (colon = strchr(sa.args[0], ':')) == NULL || colon == sa.args[0] || (size_t)(colon - sa.args[0]) >= sizeof path)) {
        fputs("crioimg import: LAYOUT-DIR:REF [NAME...] needed\n", stderr);
        rc = 2;
    } else if (rc == 0) rc = -1;
    if (rc != -1) { free(args); return rc; }
    rc = 0;
    memcpy(path, sa.args[0], (size_t)(colon - sa.args[0]));
    path[colon - sa.args[0]] = '\0';
    ref = colon + 1;
    names = sa.nargs > 1 ? (const char *const *)sa.args + 1 : &ref;
    nnames = sa.nargs > 1 ? (size_t)sa.nargs - 1 : 1;
    memset(&l, 0, sizeof l);
    if (sa.nargs == 1 && bare_tag(ref)) {
        fprintf(stderr, "crioimg import: %s: \"%s\" is a tag, not an image name: give the name to store it under "
                "(crioimg import %s NAME)\n", sa.args[0], ref, sa.args[0]);
        rc = 1;
        goto done;
    }
    memset(&o, 0, sizeof o);
    o.read_only = 1;
    o.err = err; o.errcap = sizeof err;
    r = crioimg_store_open_oci(&src, path, &o);
    if (r != CRIOIMG_OK) { fprintf(stderr, "crioimg import: %s\n", err); rc = 1; goto done; }
    r = crioimg_store_image_status(src, ref, &l);
    if (r != CRIOIMG_OK) { store_fail("import", sa.args[0], src, r); rc = 1; goto done; }
    if ((rc = store_open("import", &sa, 1, &s)) != 0) goto done;
    r = crioimg_store_copy_image_platform(s, src, l.images[0].manifest_digest, platform ? &plat : NULL, names, nnames);
    if (r != CRIOIMG_OK) { store_fail("import", sa.args[0], s, r); rc = 1; goto done; }
    crioimg_image_list_free(&l);
    /* the ID of what was stored (for an index, the platform's image) */
    r = crioimg_store_image_status(s, names[0], &l);
    if (r != CRIOIMG_OK) { store_fail("import", names[0], s, r); rc = 1; goto done; }
    printf("%s\n", l.images[0].id);
done:
    crioimg_image_list_free(&l);
    crioimg_store_close(s);
    crioimg_store_close(src);
    free(args);
    return rc;
}

/* ---- registries over the network: can-pull, manifest, blob ---- */

#define REMOTE_MAX_LIST 64

typedef struct remote_args {
    const char *search[REMOTE_MAX_LIST], *insecure[REMOTE_MAX_LIST];
    size_t nsearch, ninsecure;
    const char *conf, *out, *platform;
    char creds[1024], pass[1024];
    crioimg_conf_paths conf_paths;
    crioimg_platform plat;
    char plat_buf[256];
    crioimg_pull_options po;
    crioimg_service *svc;
    char **args;
    int nargs;
    const char *store, *policy;   /* pull: --store, --policy */
    int jobs, quiet;              /* pull: --jobs N, -q */
    crioimg_store *st;            /* pull: the store, opened (created when missing) */
    char store_buf[4096];
} remote_args;

#define REMOTE_OUT  1   /* the command takes -o FILE */
#define REMOTE_PULL 2   /* ... --store DIR, --policy FILE, --jobs N, -q */

/* "true"/"false" as Go's strconv.ParseBool reads a flag value (the forms skopeo accepts). */
static int parse_bool(const char *v, int *out)
{
    static const char *const yes[] = { "1", "t", "T", "true", "TRUE", "True" }, *const no[] = { "0", "f", "F", "false", "FALSE", "False" };
    size_t k;
    for (k = 0; k < 6; k++) {
        if (strcmp(v, yes[k]) == 0) { *out = 1; return 1; }
        if (strcmp(v, no[k]) == 0) { *out = 0; return 1; }
    }
    return 0;
}

/* Ctrl-C (or SIGTERM) during network work: the library stops at its next callback, and the command
   cleans up (a blob's temporary file, the terminal's echo) instead of dying half-way. A second signal
   kills as usual. */
static volatile int cli_cancel;

static void cli_on_signal(int sig)
{
    cli_cancel = sig;   /* nonzero: the library stops; the command exits 128 + sig */
    signal(sig, SIG_DFL);
}

static void cli_catch_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = cli_on_signal;   /* no SA_RESTART: a read on the terminal returns */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* skopeo's prompt for a password that --creds USER left out: on the terminal, without echo. NULL when
   there is no terminal (scripts must give USER:PASSWORD) or nothing was read. */
static const char *ask_password(char *out, size_t cap)
{
    struct termios old, quiet;
    FILE *tty = fopen("/dev/tty", "r+");
    size_t n;
    int ok;
    if (tty == NULL) return NULL;
    if (tcgetattr(fileno(tty), &old) != 0) { fclose(tty); return NULL; }
    quiet = old;
    quiet.c_lflag &= ~(tcflag_t)ECHO;
    fputs("Password: ", tty);
    fflush(tty);
    (void)tcsetattr(fileno(tty), TCSAFLUSH, &quiet);
    ok = fgets(out, (int)cap, tty) != NULL;
    (void)tcsetattr(fileno(tty), TCSAFLUSH, &old);
    fputs("\n", tty);
    fclose(tty);
    if (!ok) return NULL;
    n = strcspn(out, "\n");
    out[n] = '\0';
    return out;
}

/* A duration as Go's time.ParseDuration reads one ("30s", "1m30s", "1.5h", "250ms"; units ns, us, µs,
   ms, s, m, h), or plain seconds ("30", "0.5"), in milliseconds, rounded up and at least 1. 1 when valid
   and positive. */
static int parse_duration_ms(const char *v, long *out)
{
    static const struct { const char *u; double ms; } units[] = {
        { "ns", 1e-6 }, { "us", 1e-3 }, { "\xc2\xb5s", 1e-3 }, { "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 } };
    double total = 0;
    const char *p = v;
    if (*p == '\0') return 0;
    while (*p) {
        double x = 0, scale = 1;
        int digits = 0;
        size_t k, best = 0, bl = 0;
        for (; *p >= '0' && *p <= '9'; p++, digits++) x = x * 10 + (*p - '0');
        if (*p == '.') for (p++; *p >= '0' && *p <= '9'; p++, digits++) x += (*p - '0') * (scale /= 10);
        if (digits == 0) return 0;
        for (k = 0; k < sizeof units / sizeof *units; k++) {
            size_t l = strlen(units[k].u);
            if (strncmp(p, units[k].u, l) == 0 && l > bl) { best = k; bl = l; }
        }
        if (bl == 0) {
            if (*p != '\0' || p != v + strspn(v, "0123456789.")) return 0;   /* a bare number: seconds */
            total += x * 1000;
            break;
        }
        total += x * units[best].ms;
        p += bl;
    }
    if (!(total > 0) || total > 2147483647.0) return 0;
    *out = total < 1 ? 1 : (long)total + ((double)(long)total < total);
    return 1;
}

/* One AUTH-OPTION (or --platform, a time or retry option, or what the REMOTE_ flags in with add) at
   argv[*i]: 1 taken, 0 not one, -1 after a message. */
static int auth_option(const char *cmd, int argc, char **argv, int *i, int with, remote_args *ra)
{
    const char *a = argv[*i], *v;
    size_t kl = strcspn(a, "=");
    crioimg_registry_opts *ro = &ra->po.registry;
    int b;
    if ((with & REMOTE_PULL) && (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0)) { ra->quiet = 1; return 1; }
    if ((with & REMOTE_PULL) && ((kl == 7 && strncmp(a, "--store", kl) == 0) || (kl == 8 && strncmp(a, "--policy", kl) == 0) ||
                                 (kl == 6 && strncmp(a, "--jobs", kl) == 0))) {
        char *end;
        long n;
        if (a[kl] == '=') v = a + kl + 1;
        else if (*i + 1 < argc) v = argv[++*i];
        else { fprintf(stderr, "crioimg %s: %.*s needs a value\n", cmd, (int)kl, a); return -1; }
        if (a[2] == 's') ra->store = v;
        else if (a[2] == 'p') ra->policy = v;
        else {
            errno = 0;
            n = strtol(v, &end, 10);
            if (errno || end == v || *end || n < 1 || n > 64) {
                fprintf(stderr, "crioimg %s: --jobs: invalid value \"%s\" (1 to 64)\n", cmd, v);
                return -1;
            }
            ra->jobs = (int)n;
        }
        return 1;
    }
    if (kl == 12 && strncmp(a, "--tls-verify", kl) == 0) {
        if (a[kl] == '\0') { ro->tls_verify = CRIOIMG_TLS_VERIFY_TRUE; return 1; }   /* a bare bool flag, as in Go */
        if (!parse_bool(a + kl + 1, &b)) { fprintf(stderr, "crioimg %s: --tls-verify: invalid value \"%s\"\n", cmd, a + kl + 1); return -1; }
        ro->tls_verify = b ? CRIOIMG_TLS_VERIFY_TRUE : CRIOIMG_TLS_VERIFY_FALSE;
        return 1;
    }
    if (!((kl == 7 && strncmp(a, "--creds", kl) == 0) || (kl == 10 && strncmp(a, "--authfile", kl) == 0) ||
          (kl == 10 && strncmp(a, "--cert-dir", kl) == 0) || (kl == 10 && strncmp(a, "--platform", kl) == 0) ||
          (kl == 9 && strncmp(a, "--timeout", kl) == 0) || (kl == 10 && strncmp(a, "--min-rate", kl) == 0) ||
          (kl == 13 && strncmp(a, "--retry-times", kl) == 0) || ((with & REMOTE_OUT) && kl == 2 && strncmp(a, "-o", 2) == 0)))
        return 0;
    if (a[kl] == '=') v = a + kl + 1;
    else if (*i + 1 < argc) v = argv[++*i];
    else { fprintf(stderr, "crioimg %s: %.*s needs a value\n", cmd, (int)kl, a); return -1; }
    if (a[2] == 't') {   /* --timeout: every response's headers, and all of a manifest, token or error */
        long ms;
        if (!parse_duration_ms(v, &ms)) { fprintf(stderr, "crioimg %s: --timeout: invalid duration \"%s\" (30s, 2m, or seconds)\n", cmd, v); return -1; }
        ro->header_timeout_ms = ro->total_timeout_ms = ms;
        return 1;
    }
    if (a[2] == 'm') {   /* --min-rate BYTES/DURATION: a blob slower than that over any such period stops */
        char *end;
        unsigned long long n = strtoull(v, &end, 10);
        long ms;
        if (end == v || *end != '/' || n == 0 || v[0] == '-' || !parse_duration_ms(end + 1, &ms)) {
            fprintf(stderr, "crioimg %s: --min-rate: invalid rate \"%s\" (BYTES/DURATION, as 1024/30s)\n", cmd, v);
            return -1;
        }
        ro->blob_min_bytes = (size_t)n;
        ro->blob_min_period_ms = ms;
        return 1;
    }
    if (a[2] == 'r') {   /* --retry-times N, as skopeo's: 0 is no retries */
        char *end;
        long n = strtol(v, &end, 10);
        if (end == v || *end != '\0' || n < 0 || n > 100) { fprintf(stderr, "crioimg %s: --retry-times: invalid number \"%s\"\n", cmd, v); return -1; }
        ro->retries = n == 0 ? -1 : (int)n;
        return 1;
    }
    if (a[2] == 'c' && a[3] == 'r') {
        /* skopeo's parseCreds: USER[:PASSWORD]; with no password skopeo prompts, which a tool for
           scripts cannot do */
        char *colon;
        if (v[0] == '\0') { fprintf(stderr, "crioimg %s: credentials can't be empty\n", cmd); return -1; }
        if (strlen(v) >= sizeof ra->creds) { fprintf(stderr, "crioimg %s: --creds: too long\n", cmd); return -1; }
        strcpy(ra->creds, v);
        colon = strchr(ra->creds, ':');
        if (colon) *colon = '\0';
        if (ra->creds[0] == '\0') { fprintf(stderr, "crioimg %s: username can't be empty\n", cmd); return -1; }
        ro->username = ra->creds;
        ro->password = colon ? colon + 1 : NULL;   /* asked for once every option has been read */
    } else if (a[2] == 'a') ro->authfile = v;
    else if (a[2] == 'c') ro->cert_dir = v;
    else if (a[2] == 'p') ra->platform = v;
    else ra->out = v;
    return 1;
}

/* [REGISTRY-OPTIONS] [AUTH-OPTIONS] [--platform P] [-o FILE] ARGS...: fills ra and makes the service (no
   store). The index of the first operand, or -1 after a message. */
/* --help of the commands that reach registries: what they take, on stdout. */
static void remote_help(const char *cmd, int with)
{
    printf("usage: crioimg %s [REGISTRY-OPTIONS] [AUTH-OPTIONS] [NETWORK-OPTIONS] [--platform OS/ARCH[/VARIANT]]%s NAME%s\n\n",
           cmd, (with & REMOTE_PULL) ? " [--store DIR] [--policy FILE] [--jobs N] [-q]" : (with & REMOTE_OUT) ? " -o FILE" : "",
           (with & REMOTE_OUT) ? " DIGEST" : "");
    puts("REGISTRY-OPTIONS:\n"
         "  --registry R                 a registry for short names (repeatable, in order)\n"
         "  --insecure-registry CIDR|HOST[:PORT]   http or unverified TLS allowed there (repeatable)\n"
         "  --registries-conf FILE       registries.conf (else $CONTAINERS_REGISTRIES_CONF, else the default files)\n"
         "AUTH-OPTIONS:\n"
         "  --creds USER[:PASSWORD]      credentials (the password is asked on the terminal when left out)\n"
         "  --authfile FILE              a containers-auth.json file\n"
         "  --cert-dir DIR               CA *.crt, client *.cert and *.key\n"
         "  --tls-verify[=true|false]    overrides the insecure-registry decision\n"
         "NETWORK-OPTIONS:\n"
         "  --timeout DURATION           for headers and for a whole manifest, token or error body (30s, 2m, seconds)\n"
         "  --min-rate BYTES/DURATION    the slowest a blob may progress (1024/30s)\n"
         "  --retry-times N              retries of a failed request (3)");
    if (with & REMOTE_PULL)
        puts("PULL-OPTIONS:\n"
             "  --store DIR                  the store (else $CRIOIMG_STORE, $XDG_DATA_HOME/crioimg, ~/.local/share/crioimg)\n"
             "  --policy FILE                containers-policy.json (else ~/.config/containers/policy.json,\n"
             "                               /etc/containers/policy.json, else accept)\n"
             "  --jobs N                     blobs fetched at once (1 to 64; 3)\n"
             "  -q, --quiet                  print only the image ID");
}

static int remote_args_parse(const char *cmd, int argc, char **argv, int with, remote_args *ra)
{
    crioimg_service_options so;
    char err[512];
    crioimg_result r;
    int i, which, t;
    const char *v;
    memset(ra, 0, sizeof *ra);
    cli_catch_signals();
    ra->po.registry.cancel = &cli_cancel;
    for (i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) { i++; break; }
        if (a[0] != '-' || a[1] == '\0') break;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) { remote_help(cmd, with); exit(fflush(stdout) == 0 ? 0 : 2); }
        if ((which = reg_option(cmd, argc, argv, &i, &v)) < 0) return -1;
        if (which == 'c') { ra->conf = v; continue; }
        if (which) {
            const char **list = which == 'r' ? ra->search : ra->insecure;
            size_t *n = which == 'r' ? &ra->nsearch : &ra->ninsecure;
            if (*n == REMOTE_MAX_LIST) { fprintf(stderr, "crioimg %s: too many %s options\n", cmd, a); return -1; }
            list[(*n)++] = v;
            continue;
        }
        if ((t = auth_option(cmd, argc, argv, &i, with, ra)) < 0) return -1;
        if (t == 0) { fprintf(stderr, "crioimg %s: unknown option %s\n", cmd, a); return -1; }
    }
    if (ra->po.registry.username && ra->po.registry.password == NULL &&
        (ra->po.registry.password = ask_password(ra->pass, sizeof ra->pass)) == NULL) {
        fprintf(stderr, "crioimg %s: --creds %s: no password given, and no terminal to ask for one on\n", cmd, ra->creds);
        return -1;
    }
    if (ra->platform) {
        if (crioimg_platform_parse(&ra->plat, ra->platform, ra->plat_buf, sizeof ra->plat_buf) != CRIOIMG_OK) {
            fprintf(stderr, "crioimg %s: --platform: invalid platform \"%s\" (OS/ARCH[/VARIANT])\n", cmd, ra->platform);
            return -1;
        }
        ra->po.platform = &ra->plat;
    }
    memset(&so, 0, sizeof so);
    so.registries = ra->search; so.nregistries = ra->nsearch;
    so.insecure_registries = ra->insecure; so.ninsecure = ra->ninsecure;
    ra->conf_paths.path = ra->conf ? ra->conf : getenv("CONTAINERS_REGISTRIES_CONF");
    if (ra->conf_paths.path && ra->conf_paths.path[0] == '\0') ra->conf_paths.path = NULL;
    so.registries_conf = &ra->conf_paths;
    if (with & REMOTE_PULL) {
        store_args sa;
        memset(&sa, 0, sizeof sa);
        if ((sa.dir = store_dir(cmd, ra->store, ra->store_buf, sizeof ra->store_buf)) == NULL) return -1;
        if (store_open(cmd, &sa, 1, &ra->st) != 0) return -1;
    }
    r = crioimg_service_new(&ra->svc, ra->st, &so, err, sizeof err);
    if (r != CRIOIMG_OK) { fprintf(stderr, "crioimg %s: %s\n", cmd, err[0] ? err : crioimg_result_str(r)); return -1; }
    ra->args = argv + i;
    ra->nargs = argc - i;
    return i;
}

/* The image NAME names, found the way a pull finds it; 1 after a message on failure. */
static int remote_open(const char *cmd, remote_args *ra, crioimg_image_source **src)
{
    crioimg_result r = crioimg_service_open_source(ra->svc, ra->args[0], &ra->po, src);
    if (r == CRIOIMG_OK) return 0;
    fprintf(stderr, "crioimg %s: %s\n", cmd, crioimg_service_error(ra->svc)[0] ? crioimg_service_error(ra->svc) : crioimg_result_str(r));
    return 1;
}

static int cmd_can_pull(int argc, char **argv)
{
    remote_args ra;
    crioimg_image_source *src;
    int rc;
    if (remote_args_parse("can-pull", argc, argv, 0, &ra) < 0 || ra.nargs != 1) {
        if (ra.svc) fputs("usage: crioimg can-pull [REGISTRY-OPTIONS] [AUTH-OPTIONS] [--platform OS/ARCH[/VARIANT]] NAME\n", stderr);
        crioimg_service_free(ra.svc);
        return 2;
    }
    if ((rc = remote_open("can-pull", &ra, &src)) == 0) printf("%s %s\n", src->name, src->image.digest);
    crioimg_image_source_free(src);
    crioimg_service_free(ra.svc);
    return rc ? rc : (fflush(stdout) == 0 ? 0 : 2);
}

static int cmd_manifest(int argc, char **argv)
{
    remote_args ra;
    crioimg_image_source *src;
    int rc;
    if (remote_args_parse("manifest", argc, argv, 0, &ra) < 0 || ra.nargs != 1) {
        if (ra.svc) fputs("usage: crioimg manifest [REGISTRY-OPTIONS] [AUTH-OPTIONS] NAME\n", stderr);
        crioimg_service_free(ra.svc);
        return 2;
    }
    ra.po.top_only = ra.po.platform == NULL;   /* with --platform: the platform's image manifest */
    if ((rc = remote_open("manifest", &ra, &src)) == 0) {
        const crioimg_registry_manifest *m = ra.po.top_only ? &src->top : &src->image;
        if (fwrite(m->data, 1, m->len, stdout) != m->len) rc = 2;
    }
    crioimg_image_source_free(src);
    crioimg_service_free(ra.svc);
    return rc ? rc : (fflush(stdout) == 0 ? 0 : 2);
}

typedef struct blob_file { int fd; } blob_file;

static crioimg_result blob_file_write(void *ctx, const void *data, size_t len)
{
    blob_file *f = (blob_file *)ctx;
    const char *p = (const char *)data;
    while (len) {
        ssize_t w = write(f->fd, p, len);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return CRIOIMG_ERR_IO;
        p += w;
        len -= (size_t)w;
    }
    return CRIOIMG_OK;
}

/* blob -o FILE's temporary is ".FILE.crioimg-tmp.PID.XXXXXX" beside FILE (hidden, FILE cut to 100
   bytes so the name fits NAME_MAX), flock()ed while it is written. A SIGKILL leaves it behind; the next
   blob -o into that directory removes each such file whose process is gone (kill(PID, 0)) and that
   nobody holds locked (a pid reused by another process only delays the removal). */
#define BLOB_TMP_TAG ".crioimg-tmp."

/* the pid a temporary's name gives, or 0 when the name is not one of ours */
static long blob_tmp_pid(const char *name)
{
    const char *t = NULL, *p = name, *q;
    long pid = 0;
    size_t k;
    if (name[0] != '.') return 0;
    while ((p = strstr(p, BLOB_TMP_TAG)) != NULL) t = p++;   /* the last tag: FILE may hold one too */
    if (t == NULL || t == name) return 0;
    for (q = t + sizeof BLOB_TMP_TAG - 1; *q >= '0' && *q <= '9' && pid < 100000000L; q++) pid = pid * 10 + (*q - '0');
    if (q == t + sizeof BLOB_TMP_TAG - 1 || *q != '.') return 0;
    for (k = 1; k <= 6; k++) if (!((q[k] >= 'a' && q[k] <= 'z') || (q[k] >= 'A' && q[k] <= 'Z') || (q[k] >= '0' && q[k] <= '9'))) return 0;
    return q[7] == '\0' ? pid : 0;
}

static void blob_tmp_clean(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    if (d == NULL) return;
    while ((de = readdir(d)) != NULL) {
        long pid = blob_tmp_pid(de->d_name);
        int fd;
        if (pid <= 0 || pid == (long)getpid() || kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue;
        fd = openat(dirfd(d), de->d_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0) continue;   /* a symlink of that name is not ours */
        if (flock(fd, LOCK_EX | LOCK_NB) == 0) (void)unlinkat(dirfd(d), de->d_name, 0);
        close(fd);
    }
    closedir(d);
}

/* blob -o FILE NAME DIGEST: the bytes go to a temporary file beside FILE (see above), which becomes
   FILE only when the registry client has verified them. */
static int cmd_blob(int argc, char **argv)
{
    remote_args ra;
    crioimg_image_source *src = NULL;
    const crioimg_descriptor *d = NULL;
    char tmp[4096];
    blob_file f;
    crioimg_result r;
    size_t k;
    int rc;
    if (remote_args_parse("blob", argc, argv, REMOTE_OUT, &ra) < 0 || ra.nargs != 2 || ra.out == NULL) {
        if (ra.svc) fputs("usage: crioimg blob [REGISTRY-OPTIONS] [AUTH-OPTIONS] [--platform OS/ARCH[/VARIANT]] -o FILE NAME DIGEST\n", stderr);
        crioimg_service_free(ra.svc);
        return 2;
    }
    if ((rc = remote_open("blob", &ra, &src)) != 0) goto done;
    if (strcmp(src->manifest.config.digest, ra.args[1]) == 0) d = &src->manifest.config;
    for (k = 0; d == NULL && k < src->manifest.nlayers; k++)
        if (strcmp(src->manifest.layers[k].digest, ra.args[1]) == 0) d = &src->manifest.layers[k];
    if (d == NULL) {
        fprintf(stderr, "crioimg blob: %s is not the config or a layer of %s\n", ra.args[1], src->location);
        rc = 1;
        goto done;
    }
    {
        const char *slash = strrchr(ra.out, '/'), *base = slash ? slash + 1 : ra.out;
        int dl = slash ? (int)(slash - ra.out) : 1;
        if (slash == ra.out) dl = 1;   /* "/FILE": the root */
        if (strlen(ra.out) + 40 >= sizeof tmp) { fprintf(stderr, "crioimg blob: %s: name too long\n", ra.out); rc = 1; goto done; }
        snprintf(tmp, sizeof tmp, "%.*s", dl, slash ? ra.out : ".");
        blob_tmp_clean(tmp);
        snprintf(tmp, sizeof tmp, "%.*s.%.100s" BLOB_TMP_TAG "%ld.XXXXXX", slash ? (int)(slash - ra.out) + 1 : 0, ra.out, base, (long)getpid());
        if ((f.fd = mkstemp(tmp)) < 0 || flock(f.fd, LOCK_EX | LOCK_NB) != 0) {
            fprintf(stderr, "crioimg blob: %s: %s\n", ra.out, strerror(errno));
            if (f.fd >= 0) { close(f.fd); unlink(tmp); }
            rc = 1;
            goto done;
        }
    }
    {   /* mkstemp makes 0600; the file gets what open(2) would give it */
        mode_t um = umask(0);
        umask(um);
        (void)fchmod(f.fd, 0666 & ~um);
    }
    r = crioimg_registry_get_blob(src->registry, src->repo, d, blob_file_write, &f);
    {
        const char *why = NULL;
        if (r != CRIOIMG_OK) why = crioimg_registry_error(src->registry)[0] ? crioimg_registry_error(src->registry) : crioimg_result_str(r);
        else if (fsync(f.fd) != 0) why = strerror(errno);
        if (close(f.fd) != 0 && why == NULL) why = strerror(errno);
        if (why == NULL && rename(tmp, ra.out) != 0) why = strerror(errno);
        if (why) {
            unlink(tmp);
            fprintf(stderr, "crioimg blob: %s%s%s\n", r == CRIOIMG_OK ? ra.out : "", r == CRIOIMG_OK ? ": " : "", why);
            rc = 1;
        }
    }
done:
    crioimg_image_source_free(src);
    crioimg_service_free(ra.svc);
    return rc;
}

/* ---- crioimg pull ---- */

/* One line per blob on the terminal, redrawn in place (as skopeo and podman draw theirs): at most ten
   times a second, and at once when a blob starts, ends or fails. */
typedef struct pull_line_state {
    const char *digest;     /* lives in the pull's manifest until the pull returns */
    long long size, done;
    char state;             /* 0 no line yet, 'r' running, 's' skipped, 'd' done, 'f' failed */
} pull_line_state;

typedef struct pull_view {
    pull_line_state *blob;
    size_t *order;          /* blob indexes, in the order their lines appeared */
    size_t count, lines, drawn;
    struct timespec last;
} pull_view;

static void bytes_human(long long v, char *out, size_t cap)
{
    static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
    double d = (double)v;
    int u = 0;
    while (d >= 1024 && u < 4) { d /= 1024; u++; }
    if (u == 0) snprintf(out, cap, "%lldB", v);
    else snprintf(out, cap, "%.1f%s", d, unit[u]);
}

static void pull_line(size_t k, const pull_line_state *b)
{
    const char *hex = strchr(b->digest, ':');
    char done[32], size[32];
    int w = 30, full, i;
    fprintf(stderr, "\033[KCopying %s %.12s ", k == 0 ? "config" : "blob  ", hex ? hex + 1 : b->digest);
    if (b->state == 's') { fputs("skipped: already exists\n", stderr); return; }
    if (b->state == 'd') { fputs("done\n", stderr); return; }
    if (b->state == 'f') { fputs("failed\n", stderr); return; }
    full = b->size > 0 ? (int)((double)b->done / (double)b->size * w) : 0;
    fputc('[', stderr);
    for (i = 0; i < w; i++) fputc(i < full ? '=' : i == full ? '>' : '-', stderr);
    bytes_human(b->done, done, sizeof done);
    bytes_human(b->size, size, sizeof size);
    fprintf(stderr, "] %s / %s\n", done, size);
}

static void pull_progress(void *user, const crioimg_pull_progress *e)
{
    pull_view *v = (pull_view *)user;
    pull_line_state *b;
    struct timespec now;
    size_t i;
    if (e->event == CRIOIMG_PULL_STARTED || e->event == CRIOIMG_PULL_DONE) return;
    if (v->blob == NULL) {
        v->count = e->count;
        v->blob = (pull_line_state *)calloc(e->count ? e->count : 1, sizeof *v->blob);
        v->order = (size_t *)calloc(e->count ? e->count : 1, sizeof *v->order);
        if (v->blob == NULL || v->order == NULL) die_nomem();
    }
    if (e->index >= v->count) return;
    b = &v->blob[e->index];
    if (b->state == 0) v->order[v->lines++] = e->index;
    b->digest = e->digest;
    b->size = e->size;
    b->done = e->done;
    b->state = e->event == CRIOIMG_PULL_BLOB_SKIPPED ? 's' : e->event == CRIOIMG_PULL_BLOB_DONE ? 'd' :
               e->event == CRIOIMG_PULL_BLOB_FAILED ? 'f' : 'r';
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (e->event == CRIOIMG_PULL_BLOB_PROGRESS &&
        (now.tv_sec - v->last.tv_sec) * 1000L + (now.tv_nsec - v->last.tv_nsec) / 1000000L < 100)
        return;
    v->last = now;
    if (v->drawn) fprintf(stderr, "\033[%luA", (unsigned long)v->drawn);
    for (i = 0; i < v->lines; i++) pull_line(v->order[i], &v->blob[v->order[i]]);
    v->drawn = v->lines;
    fflush(stderr);
}

static int cmd_pull(int argc, char **argv)
{
    remote_args ra;
    crioimg_pull_result res;
    crioimg_policy *policy = NULL;
    pull_view view;
    crioimg_result r;
    int rc = 0;
    if (remote_args_parse("pull", argc, argv, REMOTE_PULL, &ra) < 0 || ra.nargs != 1) {
        if (ra.svc) fputs("usage: crioimg pull [--store DIR] [REGISTRY-OPTIONS] [AUTH-OPTIONS] [--platform OS/ARCH[/VARIANT]] [--policy FILE] [--jobs N] [-q] NAME\n", stderr);
        crioimg_service_free(ra.svc);
        crioimg_store_close(ra.st);
        return 2;
    }
    {   /* --policy FILE, else ~/.config/containers/policy.json, else /etc/containers/policy.json, else
           accept (the containers default) */
        char err[1024];
        err[0] = '\0';
        r = crioimg_policy_load(&policy, ra.policy, NULL, err, sizeof err);
        if (r != CRIOIMG_OK) {
            fprintf(stderr, "crioimg pull: %s\n", err[0] ? err : crioimg_result_str(r));
            crioimg_service_free(ra.svc);
            crioimg_store_close(ra.st);
            return 1;
        }
        ra.po.policy = policy;
    }
    memset(&view, 0, sizeof view);
    ra.po.jobs = ra.jobs;
    if (!ra.quiet && isatty(1) && isatty(2)) { ra.po.progress = pull_progress; ra.po.progress_user = &view; }
    r = crioimg_service_pull_image(ra.svc, ra.args[0], &ra.po, &res);
    if (r == CRIOIMG_OK) printf("%s\n", res.id);
    else {
        fprintf(stderr, "crioimg pull: %s\n", crioimg_service_error(ra.svc)[0] ? crioimg_service_error(ra.svc) : crioimg_result_str(r));
        rc = cli_cancel ? 128 + cli_cancel : 1;
    }
    free(view.order);
    free(view.blob);
    crioimg_policy_free(policy);
    crioimg_service_free(ra.svc);
    crioimg_store_close(ra.st);
    return rc ? rc : (fflush(stdout) == 0 ? 0 : 2);
}

/* ---- unpack ---- */

/* one line on the terminal, redrawn at most every 100 ms: the layer and its compressed bytes */
static void unpack_progress(void *user, const crioimg_unpack_progress *p)
{
    struct timespec *last = (struct timespec *)user, now;
    const char *hex = strchr(p->digest, ':');
    char done[32], size[32];
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (!p->finished && (now.tv_sec - last->tv_sec) * 1000L + (now.tv_nsec - last->tv_nsec) / 1000000L < 100) return;
    *last = now;
    bytes_human(p->done, done, sizeof done);
    bytes_human(p->size, size, sizeof size);
    fprintf(stderr, "\r\033[KUnpacking layer %lu/%lu %.12s %s / %s%s", (unsigned long)p->layer + 1, (unsigned long)p->nlayers,
            hex ? hex + 1 : p->digest, done, size, p->finished && p->layer + 1 == p->nlayers ? "\n" : "");
    fflush(stderr);
}

/* unpack [--store DIR] [--rootfs-only] [--rootless] [-q] NAME|ID DEST: an OCI runtime bundle (DEST/rootfs and
   DEST/config.json) as umoci unpack writes it, or the tree alone; DEST must not exist (or be empty) */
static int cmd_unpack(int argc, char **argv)
{
    const char *dir = NULL, *args[2];
    char dflt[4096], err[2048];
    int i, nargs = 0, quiet = 0, opts_done = 0, rc;
    crioimg_unpack_options o;
    crioimg_unpack_result res;
    crioimg_store *s = NULL;
    crioimg_store_opts so;
    crioimg_result r;
    struct timespec last;
    memset(&o, 0, sizeof o);
    for (i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!opts_done && strcmp(a, "--") == 0) { opts_done = 1; continue; }
        if (!opts_done && (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)) {
            puts("usage: crioimg unpack [--store DIR] [--rootfs-only] [--rootless] [--max-layer-size BYTES] [-q] NAME|ID DEST\n"
                 "  writes the image as an OCI runtime bundle: DEST/rootfs and DEST/config.json (--rootfs-only: the tree\n"
                 "  alone, at DEST). DEST must not exist, or be an empty directory; nothing is left there on failure.");
            return 0;
        }
        if (!opts_done && strcmp(a, "--store") == 0 && i + 1 < argc) dir = argv[++i];
        else if (!opts_done && strncmp(a, "--store=", 8) == 0) dir = a + 8;
        else if (!opts_done && strcmp(a, "--rootfs-only") == 0) o.rootfs_only = 1;
        else if (!opts_done && strcmp(a, "--rootless") == 0) o.rootless = 1;
        else if (!opts_done && strcmp(a, "--max-layer-size") == 0 && i + 1 < argc) {
            char *end;
            o.max_layer_size = strtoull(argv[++i], &end, 10);
            if (*end || o.max_layer_size == 0) { fprintf(stderr, "crioimg unpack: --max-layer-size needs a number of bytes\n"); return 2; }
        }
        else if (!opts_done && strcmp(a, "-q") == 0) quiet = 1;
        else if (!opts_done && a[0] == '-' && a[1] != '\0') { fprintf(stderr, "crioimg unpack: unknown option %s\n", a); return 2; }
        else if (nargs < 2) args[nargs++] = a;
        else { fputs("crioimg unpack: NAME|ID DEST, and nothing more\n", stderr); return 2; }
    }
    if (nargs != 2) { fputs("usage: crioimg unpack [--store DIR] [--rootfs-only] [--rootless] [-q] NAME|ID DEST\n", stderr); return 2; }
    if ((dir = store_dir("unpack", dir, dflt, sizeof dflt)) == NULL) return 2;
    memset(&so, 0, sizeof so);
    so.read_only = 1;   /* an unpack never changes the store */
    r = crioimg_store_open_oci(&s, dir, &so);
    if (r != CRIOIMG_OK) { fprintf(stderr, "crioimg unpack: %s: %s\n", dir, crioimg_result_str(r)); return 1; }
    cli_catch_signals();
    o.cancel = &cli_cancel;
    memset(&last, 0, sizeof last);
    if (!quiet && isatty(2)) { o.progress = unpack_progress; o.progress_user = &last; }
    memset(&res, 0, sizeof res);
    r = crioimg_unpack(s, args[0], args[1], &o, &res, err, sizeof err);
    crioimg_store_close(s);
    if (o.progress) fputs("\r\033[K", stderr);
    if (r != CRIOIMG_OK) {
        fprintf(stderr, "crioimg unpack: %s\n", err[0] ? err : crioimg_result_str(r));
        return cli_cancel ? 128 + cli_cancel : 1;
    }
    if (res.skipped_devices)
        fprintf(stderr, "crioimg unpack: warning: %lu device node(s) not created (not running as root)\n", (unsigned long)res.skipped_devices);
    if (res.xattr_failures)
        fprintf(stderr, "crioimg unpack: warning: %lu extended attribute(s) refused by the file system\n", (unsigned long)res.xattr_failures);
    rc = 0;
    return rc;
}

/* ---- dispatch ---- */

static const struct command {
    const char *name, *usage;
    int (*run)(int argc, char **argv);
} commands[] = {
    { "parse", "parse [--json] [--any] [NAME...]   parse image references (stdin, one a line, when no NAME)", cmd_parse },
    { "digest", "digest [--algorithm ALG] [FILE...]  \"sha256:<hex>  FILE\" per file (stdin, or \"-\", when no FILE)", cmd_digest },
    { "resolve", "resolve [REGISTRY-OPTIONS] [--json] NAME   candidate names, one a line, in pull order", cmd_resolve },
    { "registry", "registry [REGISTRY-OPTIONS] [--json] HOST[:PORT]   \"secure\" or \"insecure\" (--json: and the rule)", cmd_registry },
    { "can-pull", "can-pull [REGISTRY-OPTIONS] [AUTH-OPTIONS] [--platform OS/ARCH[/VARIANT]] NAME   the name and manifest digest a pull would use", cmd_can_pull },
    { "manifest", "manifest [REGISTRY-OPTIONS] [AUTH-OPTIONS] [--platform P] NAME   the manifest as the registry serves it", cmd_manifest },
    { "blob", "blob [REGISTRY-OPTIONS] [AUTH-OPTIONS] [--platform P] -o FILE NAME DIGEST   a config or layer blob, verified", cmd_blob },
    { "pull", "pull [--store DIR] [REGISTRY-OPTIONS] [AUTH-OPTIONS] [--platform P] [--policy FILE] [--jobs N] [-q] NAME   pull an image into the store (NAME: a reference,\n                 docker://..., docker-archive:FILE[:NAME:TAG|:@N], oci-archive:FILE[:REF], oci:DIR[:REF], dir:DIR); prints its ID", cmd_pull },
    { "images", "images [--store DIR] [--json] [FILTER]   list the store's images (a table like crictl images)", cmd_images },
    { "inspect", "inspect [--store DIR] NAME|ID       the image's record as JSON", cmd_inspect },
    { "tag", "tag [--store DIR] NAME|ID NEWNAME...  give the image more names", cmd_tag },
    { "untag", "untag [--store DIR] NAME...          remove names (the last one removes the image)", cmd_untag },
    { "rmi", "rmi [--store DIR] NAME|ID...         remove images, whatever their names", cmd_rmi },
    { "import", "import [--store DIR] SOURCE [NAME...]  load an image from a file: oci:DIR[:REF], oci-archive:FILE[:REF],\n"
                "                 docker-archive:FILE[:NAME:TAG|:@N], dir:DIR (or LAYOUT-DIR:REF); prints its ID", cmd_import },
    { "save", "save [--store DIR] [--format docker-archive|oci-archive|oci-dir] -o PATH NAME|ID...   write images to one\n"
              "                 archive (reproducible: same images, same bytes)", cmd_save },
    { "gc", "gc [--store DIR] [--json]           remove unreferenced blobs, stale temporary files and the listing cache", cmd_gc },
    { "verify", "verify [--store DIR] [--json]       hash every blob, check every image; exit 1 listing what is broken", cmd_verify },
    { "unpack", "unpack [--store DIR] [--rootfs-only] [--rootless] [-q] NAME|ID DEST   an OCI runtime bundle (DEST/rootfs, DEST/config.json)", cmd_unpack },
};

static void usage(FILE *f)
{
    size_t i;
    fprintf(f, "crioimg %s: container image references, registries and a local image store\n\nusage:\n", CRIOIMG_VERSION_STRING);
    for (i = 0; i < sizeof commands / sizeof commands[0]; i++) fprintf(f, "  crioimg %s\n", commands[i].usage);
}

int main(int argc, char **argv)
{
    size_t i;
    if (argc < 2) { usage(stderr); return 2; }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) { usage(stdout); return 0; }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) { printf("crioimg %s\n", CRIOIMG_VERSION_STRING); return 0; }
    for (i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0) return commands[i].run(argc - 2, argv + 2);
    fprintf(stderr, "crioimg: unknown command \"%s\" (try crioimg --help)\n", argv[1]);
    return 2;
}
