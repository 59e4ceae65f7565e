/* crioimg: the command-line face of crioimg.h (see ../shared/design.md section 4 for the contract).

     crioimg parse [--json] [--any] [NAME...]     names from stdin, one a line, when none are given
     crioimg digest [--algorithm ALG] [FILE...]   "sha256:<hex>  FILE" per file; stdin when none ("-")

     crioimg resolve [REGISTRY-OPTIONS] [--json] NAME     candidate names, one a line, in pull order
     crioimg registry [REGISTRY-OPTIONS] [--json] HOST[:PORT]   "secure" or "insecure"
     REGISTRY-OPTIONS: --registry R (repeatable), --insecure-registry CIDR|HOST[:PORT] (repeatable),
                       --registries-conf FILE

   Exit status 0 on success; non-zero, with a one-line message on stderr, on failure. */
#define _POSIX_C_SOURCE 200809L
#define CRIOIMG_IMPLEMENTATION
#include "../crioimg.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* Reads the registry options and the other flags of resolve/registry from argv; returns the index of the
   first operand, or -1 after printing a message (exit status 2). */
static int reg_args(const char *cmd, int argc, char **argv, reg_opts *o)
{
    int i;
    crioimg_result r = crioimg_registries_new(&o->reg, NULL);
    if (r != CRIOIMG_OK) { fprintf(stderr, "crioimg %s: %s\n", cmd, crioimg_result_str(r)); return -1; }
    for (i = 0; i < argc; i++) {
        const char *a = argv[i], *v = NULL;
        size_t kl = strcspn(a, "=");
        int known = 1;
        if (strcmp(a, "--") == 0) return reg_conf(cmd, o) ? i + 1 : -1;
        if (strcmp(a, "--json") == 0) { o->json = 1; continue; }
        if (a[0] != '-' || a[1] != '-') return reg_conf(cmd, o) ? i : -1;
        if (!((kl == 10 && strncmp(a, "--registry", kl) == 0) || (kl == 19 && strncmp(a, "--insecure-registry", kl) == 0) ||
              (kl == 17 && strncmp(a, "--registries-conf", kl) == 0))) known = 0;
        if (!known) { fprintf(stderr, "crioimg %s: unknown option %s\n", cmd, a); return -1; }
        if (a[kl] == '=') v = a + kl + 1;
        else if (i + 1 < argc) v = argv[++i];
        else { fprintf(stderr, "crioimg %s: %.*s needs a value\n", cmd, (int)kl, a); return -1; }
        if (kl == 10) {
            r = crioimg_registries_add_search(o->reg, v, strlen(v));
            o->nsearch++;
        } else if (kl == 19) {
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

/* ---- dispatch ---- */

static const struct command {
    const char *name, *usage;
    int (*run)(int argc, char **argv);
} commands[] = {
    { "parse", "parse [--json] [--any] [NAME...]   parse image references (stdin, one a line, when no NAME)", cmd_parse },
    { "digest", "digest [--algorithm ALG] [FILE...]  \"sha256:<hex>  FILE\" per file (stdin, or \"-\", when no FILE)", cmd_digest },
    { "resolve", "resolve [REGISTRY-OPTIONS] [--json] NAME   candidate names, one a line, in pull order", cmd_resolve },
    { "registry", "registry [REGISTRY-OPTIONS] [--json] HOST[:PORT]   \"secure\" or \"insecure\" (--json: and the rule)", cmd_registry },
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
