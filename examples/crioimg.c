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

#include <ctype.h>
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
    if (n == 0) return;   /* an empty buffer has no memory yet: NULL + 0 is undefined */
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

/* ---- options: each command declares its own and the groups it takes; one parser serves them all ---- */

enum {   /* what the run functions read: cli.v[OPT_x] */
    OPT_HELP, OPT_STORE, OPT_REGISTRY, OPT_INSECURE, OPT_CONF, OPT_CREDS, OPT_AUTHFILE, OPT_CERTDIR, OPT_TLSVERIFY,
    OPT_TIMEOUT, OPT_MINRATE, OPT_RETRY, OPT_JSON, OPT_ANY, OPT_ALGORITHM, OPT_PLATFORM, OPT_OUTPUT, OPT_FORMAT,
    OPT_QUIET, OPT_POLICY, OPT_JOBS, OPT_ROOTFS_ONLY, OPT_ROOTLESS, OPT_MAX_LAYER, OPT_DIGESTS, OPT_NO_TRUNC,
    OPT_LOG_LEVEL, OPT_VERBOSE,
    OPT_COUNT
};

#define O_FLAG   0   /* --x */
#define O_VALUE  1   /* --x V or --x=V (-x V, -x=V, -xV) */
#define O_BOOL   2   /* --x or --x=true|false, as Go's bool flags */
#define O_KIND   3
#define O_REPEAT 4   /* every value kept, in order (cli.rep) */

typedef struct opt { int id; const char *name; char shrt; unsigned char kind; const char *arg, *help; } opt;

#define G_STORE 1u
#define G_REG   2u
#define G_AUTH  4u
#define G_NET   8u

static const opt store_opts[] = {
    { OPT_STORE, "store", 0, O_VALUE, "DIR", "the store (else $CRIOIMG_STORE, $XDG_DATA_HOME/crioimg, ~/.local/share/crioimg)" } };
static const opt reg_opts_tab[] = {
    { OPT_REGISTRY, "registry", 0, O_VALUE | O_REPEAT, "R", "a registry for short names (repeatable, in order)" },
    { OPT_INSECURE, "insecure-registry", 0, O_VALUE | O_REPEAT, "CIDR|HOST[:PORT]", "http or unverified TLS allowed there (repeatable)" },
    { OPT_CONF, "registries-conf", 0, O_VALUE, "FILE", "registries.conf (- : stdin; else $CONTAINERS_REGISTRIES_CONF, else the default files)" } };
static const opt auth_opts[] = {
    { OPT_CREDS, "creds", 0, O_VALUE, "USER[:PASSWORD]", "credentials (the password is asked on the terminal when left out)" },
    { OPT_AUTHFILE, "authfile", 0, O_VALUE, "FILE", "a containers-auth.json file (- : stdin)" },
    { OPT_CERTDIR, "cert-dir", 0, O_VALUE, "DIR", "CA *.crt, client *.cert and *.key, as skopeo reads them" },
    { OPT_TLSVERIFY, "tls-verify", 0, O_BOOL, "[=true|false]", "overrides the insecure-registry decision, as skopeo" } };
static const opt net_opts[] = {
    { OPT_TIMEOUT, "timeout", 0, O_VALUE, "DURATION", "the whole command, and each response's headers and whole manifest, token or error body (30s, 2m, seconds)" },
    { OPT_MINRATE, "min-rate", 0, O_VALUE, "BYTES/DURATION", "the slowest a blob may progress (1024/30s)" },
    { OPT_RETRY, "retry-times", 0, O_VALUE, "N", "retries of a failed request (3; 0: none)" },
    { OPT_LOG_LEVEL, "log-level", 0, O_VALUE, "LEVEL", "what to tell on stderr: debug (every request, with status and time, and every redirect), info (every retry and wait), warn (retries and waits of a second or more: the default), error (failures only)" },
    { OPT_VERBOSE, "verbose", 'v', O_FLAG, NULL, "--log-level=debug" } };
static const opt help_opt = { OPT_HELP, "help", 'h', O_FLAG, NULL, "this help" };
/* every command takes --timeout; NETWORK-OPTIONS says more of it where it also bounds each response */
static const opt timeout_opt = { OPT_TIMEOUT, "timeout", 0, O_VALUE, "DURATION",
                                 "the whole command: it stops after DURATION, exit 1, nothing half-done left (30s, 2m, seconds)" };
#define CMD_OWN_TIMEOUT(c) (((c)->groups & G_NET) == 0)
#define CMD_TIMEOUT_OPT(c) (CMD_OWN_TIMEOUT(c) ? &timeout_opt : NULL)

#define NOPTS(a) (sizeof a / sizeof a[0])
static const struct group { unsigned bit; const char *title; const opt *o; size_t n; } groups[] = {
    { G_STORE, "STORE", store_opts, NOPTS(store_opts) },
    { G_REG, "REGISTRY-OPTIONS", reg_opts_tab, NOPTS(reg_opts_tab) },
    { G_AUTH, "AUTH-OPTIONS", auth_opts, NOPTS(auth_opts) },
    { G_NET, "NETWORK-OPTIONS", net_opts, NOPTS(net_opts) } };

struct cli;
typedef struct command {
    const char *name, *synopsis, *brief, *detail, *example;
    unsigned groups;
    const opt *own;
    size_t nown;
    int min_args, max_args;   /* operands; max -1: any number */
    int (*run)(struct cli *c);
    unsigned refs;            /* which operands are image references: bit i for operand i, REFS_ALL for all */
} command;
#define REFS_ALL (~0u)
#define REFS_FROM1 (~1u)      /* every operand after the first (import's NAMEs after its SOURCE) */

typedef struct cli {
    const command *cmd;
    const char *v[OPT_COUNT];   /* each option's last value; "" for a flag that was given */
    const char **rep;           /* the O_REPEAT options' values, in order, with their ids */
    int *repid, nrep;
    char **args;                /* the operands, in order */
    int nargs;
} cli;

/* The option of cmd called name (long, len bytes) or shrt; NULL when it takes none such. */
static const opt *opt_find(const command *cmd, const char *name, size_t len, char shrt)
{
    size_t g, k;
    for (g = 0; g <= NOPTS(groups); g++) {
        const opt *o = g == 0 ? cmd->own : groups[g - 1].o;
        size_t n = g == 0 ? cmd->nown : (cmd->groups & groups[g - 1].bit) ? groups[g - 1].n : 0;
        for (k = 0; k <= n + 1; k++) {
            const opt *x = k < n ? &o[k] : g != 0 ? NULL : k == n ? &help_opt : CMD_TIMEOUT_OPT(cmd);
            if (x == NULL) break;
            if (name ? strlen(x->name) == len && strncmp(x->name, name, len) == 0 : x->shrt != 0 && x->shrt == shrt) return x;
        }
    }
    return NULL;
}

/* argv (after the command's name) into c: options anywhere, "--" ends them, "-" is an operand. 0, or 2 after
   a message naming the option. */
static int cli_parse(const command *cmd, int argc, char **argv, cli *c)
{
    int i, done = 0;
    memset(c, 0, sizeof *c);
    c->cmd = cmd;
    c->args = (char **)malloc((size_t)(argc + 1) * sizeof *c->args);
    c->rep = (const char **)malloc((size_t)(argc + 1) * sizeof *c->rep);
    c->repid = (int *)malloc((size_t)(argc + 1) * sizeof *c->repid);
    if (!c->args || !c->rep || !c->repid) die_nomem();
    for (i = 0; i < argc; i++) {
        const char *a = argv[i], *val = NULL;
        const opt *o;
        size_t kl;
        if (done || a[0] != '-' || a[1] == '\0') { c->args[c->nargs++] = argv[i]; continue; }
        if (strcmp(a, "--") == 0) { done = 1; continue; }
        if (a[1] == '-') {
            kl = strcspn(a + 2, "=");
            o = opt_find(cmd, a + 2, kl, 0);
            if (a[2 + kl] == '=') val = a + 3 + kl;
            kl += 2;
        } else {
            o = opt_find(cmd, NULL, 0, a[1]);
            kl = 2;
            if (a[2] != '\0') {
                if (o && (o->kind & O_KIND) != O_VALUE) o = NULL;   /* -qx: no bundling */
                val = a[2] == '=' ? a + 3 : a + 2;
            }
        }
        if (o == NULL) {
            fprintf(stderr, "crioimg %s: unknown option %.*s (crioimg %s --help lists the options)\n", cmd->name, (int)strcspn(a, "="), a, cmd->name);
            return 2;
        }
        switch (o->kind & O_KIND) {
        case O_FLAG:
            if (val) { fprintf(stderr, "crioimg %s: option %.*s takes no value\n", cmd->name, (int)kl, a); return 2; }
            val = "";
            break;
        case O_BOOL:
            if (val == NULL) val = "true";
            break;
        default:
            /* the next word, unless it is an option itself (--store --json is a forgotten DIR, not a store
               named "--json"); "-" alone is a value (stdin, stdout), and --opt=-x gives a value that starts with - */
            if (val == NULL && i + 1 < argc && (argv[i + 1][0] != '-' || argv[i + 1][1] == '\0' || (argv[i + 1][1] >= '0' && argv[i + 1][1] <= '9')))
                val = argv[++i];   /* a negative number is a value too, for its own check to refuse */
            else if (val == NULL) {
                fprintf(stderr, "crioimg %s: option %.*s needs a value", cmd->name, (int)kl, a);
                if (i + 1 < argc) fprintf(stderr, " (%s is an option; %.*s=%s gives a value that starts with -)", argv[i + 1], (int)kl, a, argv[i + 1]);
                fputc('\n', stderr);
                return 2;
            }
        }
        c->v[o->id] = val;
        if (o->kind & O_REPEAT) { c->rep[c->nrep] = val; c->repid[c->nrep++] = o->id; }
    }
    c->args[c->nargs] = NULL;
    return 0;
}

/* "-" for an input file option (--registries-conf, --authfile, --policy) is stdin: read whole into an
   unnamed temporary file (tmpfile: nothing is left however the command ends) that the library opens as
   /dev/fd/N, as it opens any file, reading it when it needs it. stdin can be read once: one such option,
   and not with an operand that reads stdin too. 0, or 2 after a message. */
static int cli_stdin_option(cli *c)
{
    static const int ids[] = { OPT_CONF, OPT_AUTHFILE, OPT_POLICY };
    static char path[32];
    size_t i, n = 0, k;
    int which = -1, j;
    FILE *t;
    char b[8192];
    for (i = 0; i < sizeof ids / sizeof *ids; i++)
        if (c->v[ids[i]] && strcmp(c->v[ids[i]], "-") == 0) { n++; which = ids[i]; }
    if (n == 0) return 0;
    for (j = 0; j < c->nargs; j++)
        if (strcmp(c->args[j], "-") == 0) n++;
    if (n > 1) { fprintf(stderr, "crioimg %s: stdin can be read once: only one of the inputs may be -\n", c->cmd->name); return 2; }
    if ((t = tmpfile()) == NULL) { fprintf(stderr, "crioimg %s: a temporary file for stdin: %s\n", c->cmd->name, strerror(errno)); return 1; }
    while ((k = fread(b, 1, sizeof b, stdin)) > 0)
        if (fwrite(b, 1, k, t) != k) break;
    if (ferror(stdin) || fflush(t) != 0 || fseek(t, 0, SEEK_SET) != 0) {
        fprintf(stderr, "crioimg %s: reading stdin: %s\n", c->cmd->name, strerror(errno));
        fclose(t);
        return 1;
    }
    snprintf(path, sizeof path, "/dev/fd/%d", fileno(t));   /* t stays open until the process ends */
    c->v[which] = path;
    return 0;
}

static void cli_free(cli *c)
{
    free(c->args);
    free((void *)c->rep);
    free(c->repid);
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

static int cmd_parse(cli *c)
{
    parse_opts o = {0, 0};
    buf out = {NULL, 0, 0}, err = {NULL, 0, 0};
    size_t failed = 0, total = 0;
    int i, ok = 1;
    o.json = c->v[OPT_JSON] != NULL;
    o.any = c->v[OPT_ANY] != NULL;
    for (i = 0; i < (c->nargs ? c->nargs : 1); i++) {
        lines l;
        const char *s;
        size_t n;
        if (c->nargs && strcmp(c->args[i], "-") != 0) {
            failed += (size_t)parse_one(&o, c->args[i], strlen(c->args[i]), &out, &err);
            total++;
            continue;
        }
        memset(&l, 0, sizeof l);   /* no NAME, or "-": the names on stdin, one a line */
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

static int cmd_digest(cli *c)
{
    crioimg_digest_alg alg = CRIOIMG_DIGEST_SHA256;
    crioimg_hasher h;
    unsigned char *chunk;
    int i, failed = 0;
    if (c->v[OPT_ALGORITHM]) {
        const char *v = c->v[OPT_ALGORITHM];
        alg = crioimg_digest_alg_from_name(v, strlen(v));
        if (alg == CRIOIMG_DIGEST_UNKNOWN) {
            fprintf(stderr, "crioimg digest: unsupported algorithm \"%s\" (sha256, sha384, sha512)\n", v);
            return 2;
        }
    }
    chunk = (unsigned char *)malloc(DIGEST_CHUNK);
    if (chunk == NULL) die_nomem();
    crioimg_hasher_init(&h, alg);  /* once: every file reuses its SHA-256 path */
    if (c->nargs == 0) failed |= digest_one("-", &h, chunk);
    for (i = 0; i < c->nargs; i++) failed |= digest_one(c->args[i], &h, chunk);
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

/* The registry options of resolve and registry (--registry and --insecure-registry in the order given)
   into o->reg, then registries.conf. 0, or 2 after a message. */
static int reg_setup(cli *c, reg_opts *o)
{
    const char *cmd = c->cmd->name;
    int k;
    crioimg_result r = crioimg_registries_new(&o->reg, NULL);
    if (r != CRIOIMG_OK) { fprintf(stderr, "crioimg %s: %s\n", cmd, crioimg_result_str(r)); return 2; }
    o->json = c->v[OPT_JSON] != NULL;
    o->conf = c->v[OPT_CONF];
    for (k = 0; k < c->nrep; k++) {
        const char *v = c->rep[k];
        if (c->repid[k] == OPT_REGISTRY) {
            r = crioimg_registries_add_search(o->reg, v, strlen(v));
            o->nsearch++;
        } else r = crioimg_registries_add_insecure(o->reg, v, strlen(v));
        if (r != CRIOIMG_OK) { fprintf(stderr, "crioimg %s: %s\n", cmd, crioimg_registries_error(o->reg)); return 2; }
    }
    return reg_conf(cmd, o) ? 0 : 2;
}

/* ---- crioimg resolve ---- */

static int cmd_resolve(cli *cl)
{
    reg_opts o;
    crioimg_candidates c;
    crioimg_result r;
    size_t k;
    memset(&o, 0, sizeof o);
    if (reg_setup(cl, &o) != 0) { crioimg_registries_free(o.reg); return 2; }
    r = crioimg_registries_resolve(o.reg, cl->args[0], strlen(cl->args[0]), &c);
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

static int cmd_registry(cli *c)
{
    reg_opts o;
    crioimg_insecure_decision d;
    crioimg_result r;
    const char *host = c->args[0];
    memset(&o, 0, sizeof o);
    if (reg_setup(c, &o) != 0) { crioimg_registries_free(o.reg); return 2; }
    r = crioimg_registries_check_host(o.reg, host, strlen(host), &d);
    if (r != CRIOIMG_OK) {
        fprintf(stderr, "crioimg registry: %s\n", crioimg_registries_error(o.reg)[0] ? crioimg_registries_error(o.reg) : crioimg_result_str(r));
        crioimg_registries_free(o.reg);
        return 1;
    }
    if (o.json) {
        buf b = {NULL, 0, 0};
        buf_str(&b, "{\"host\":");
        buf_json(&b, host, strlen(host));
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

typedef struct store_args { const char *dir; int json, quiet; int nargs; char **args; char dflt[4096]; } store_args;

/* The store's directory: dir when given, else $CRIOIMG_STORE, $XDG_DATA_HOME/crioimg,
   ~/.local/share/crioimg (built in out); NULL after a message when there is none. */
static const char *store_dir(const char *cmd, const char *dir, char *out, size_t cap)
{
    const char *e;
    if (dir && !dir[0]) { fprintf(stderr, "crioimg %s: option --store needs a value\n", cmd); return NULL; }
    if (dir) return dir;
    if ((e = getenv("CRIOIMG_STORE")) != NULL && e[0]) return e;
    if ((e = getenv("XDG_DATA_HOME")) != NULL && e[0]) { snprintf(out, cap, "%s/crioimg", e); return out; }
    if ((e = getenv("HOME")) != NULL && e[0]) { snprintf(out, cap, "%s/.local/share/crioimg", e); return out; }
    fprintf(stderr, "crioimg %s: no store: give --store DIR or set CRIOIMG_STORE\n", cmd);
    return NULL;
}

/* The store (--store, else the defaults) and the operands of a store command. 0, or 2 after a message. */
static int store_args_get(cli *c, store_args *sa)
{
    memset(sa, 0, sizeof *sa);
    sa->json = c->v[OPT_JSON] != NULL;
    sa->args = c->args;
    sa->nargs = c->nargs;
    return (sa->dir = store_dir(c->cmd->name, c->v[OPT_STORE], sa->dflt, sizeof sa->dflt)) != NULL ? 0 : 2;
}

static const char *store_dir_open;   /* the store the command opened: store_fail names it for the store's own faults */

/* what: the argument the failure met (the message names it); NULL when the store's own text names it */
static void store_fail(const char *cmd, const char *what, crioimg_store *s, crioimg_result r)
{
    static const char *const whole[] = { "index.json", "oci-layout", "store opened read-only", "no lock file", "cannot lock" };
    const char *d = s ? crioimg_store_error(s) : "";
    size_t dl = strlen(d), wl, i;
    /* a fault of the store itself (its index, its lock, no right to write) is the store's, whatever the
       command was doing: the message names the store's path, not the image argument that met it */
    for (i = 0; store_dir_open && i < sizeof whole / sizeof *whole; i++)
        if (strncmp(d, whole[i], strlen(whole[i])) == 0) {
            what = store_dir_open;
            if (i == 2 && access(store_dir_open, W_OK) != 0)
                d = errno == EACCES || errno == EROFS ? "cannot change the store: no permission to write to it (opened read-only)" : d;
            dl = strlen(d);
            break;
        }
    if (what == NULL) {   /* the store's text names what it is about */
        fprintf(stderr, "crioimg %s: %s\n", cmd, d[0] ? d : crioimg_result_str(r));
        return;
    }
    wl = strlen(what);
    /* the store's text often ends with the name ("image not known: NAME"): the name is said once, first */
    if (dl > wl + 2 && strcmp(d + dl - wl, what) == 0 && d[dl - wl - 2] == ':' && d[dl - wl - 1] == ' ')
        fprintf(stderr, "crioimg %s: %s: %.*s\n", cmd, what, (int)(dl - wl - 2), d);
    else if (d[0]) fprintf(stderr, "crioimg %s: %s: %s\n", cmd, what, d);
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

/* Ctrl-C (or SIGTERM) during network or archive work: the library stops at its next callback, and the command
   cleans up (a blob's temporary file, a half-written archive, what a load stored, the terminal's echo) instead of dying half-way. A second signal
   kills as usual. */
static volatile int cli_cancel;

static void cli_on_signal(int sig)
{
    cli_cancel = sig;   /* nonzero: the library stops; the command exits 128 + sig */
    signal(sig, SIG_DFL);
    /* --timeout: work that does not look at the flag (hashing a huge blob) ends two seconds later at the
       latest, by the default action; every store write is atomic, so that loses nothing */
    if (sig == SIGALRM) alarm(2);
}

static void cli_catch_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = cli_on_signal;   /* no SA_RESTART: a read on the terminal returns */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGALRM, &sa, NULL);   /* --timeout: the whole command's deadline (alarm) */
}

/* the library's log lines (a retry, a wait, a request with -v), at the level asked for (*user) */
static void cli_log(void *user, crioimg_log_level level, const char *msg)
{
    static const char *const names[] = { "error", "warning", "info", "debug" };
    if ((int)level <= *(const int *)user) fprintf(stderr, "crioimg: %s: %s\n", names[level <= CRIOIMG_LOG_DEBUG ? level : CRIOIMG_LOG_DEBUG], msg);
}

/* what the store's log hook shows: a wait of a second for its lock (WARN) */
static int store_log_level = CRIOIMG_LOG_WARN;

/* Opens the store; a reader of a store that does not exist yet gets NULL and 0 (an empty store). */
/* A store this command created (and whether it made the directory too): a command that then fails takes
   it away again while it is still the empty skeleton, so that bad input changes nothing on disk. */
static char store_made[4096];
static int store_made_dir, store_made_quiet;

/* 1 when dir holds something that is not a store's own (a store another crioimg is making at this moment,
   or one a kill left half-made, is its own: oci-layout, index.json, blobs, .crioimg*); with skeleton_only,
   anything but the files of an empty store is foreign (another process's temporary file among them). 0 when
   it cannot be read (the open says why) */
static int dir_has_foreign(const char *dir, int skeleton_only)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int any = 0;
    if (d == NULL) return 0;
    while (!any && (de = readdir(d)) != NULL) {
        const char *n = de->d_name;
        any = strcmp(n, ".") != 0 && strcmp(n, "..") != 0 && strcmp(n, "oci-layout") != 0 && strcmp(n, "index.json") != 0 &&
              strcmp(n, "blobs") != 0 &&
              (skeleton_only ? strcmp(n, ".crioimg.lock") != 0 && strcmp(n, ".crioimg-cache") != 0 : strncmp(n, ".crioimg", 8) != 0);
    }
    closedir(d);
    return any;
}

/* Removes the store this command made when it holds nothing: oci-layout, an index.json with no manifests,
   the lock file and empty blob directories. Anything else there (a blob, a temporary) stays for gc. */
static void store_unmake(void)
{
    static const char *const files[] = { "blobs/sha256", "blobs", ".crioimg-cache", "index.json", "oci-layout", ".crioimg.lock" };
    char p[4200], head[256];
    size_t i, n = 0;
    FILE *f;
    int lk;
    if (!store_made[0]) return;
    /* not while another process has the store (a second pull into the same new store) */
    snprintf(p, sizeof p, "%s/.crioimg.lock", store_made);
    if ((lk = open(p, O_RDONLY | O_CLOEXEC)) < 0) return;
    if (flock(lk, LOCK_EX | LOCK_NB) != 0) { close(lk); return; }
    snprintf(p, sizeof p, "%s/index.json", store_made);
    if ((f = fopen(p, "r")) != NULL) { n = fread(head, 1, sizeof head - 1, f); fclose(f); }
    head[n] = '\0';
    if (strstr(head, "\"manifests\":[]") == NULL || dir_has_foreign(store_made, 1)) { close(lk); return; }
    snprintf(p, sizeof p, "%s/blobs/sha256", store_made);
    if (rmdir(p) != 0 && errno != ENOENT) { close(lk); return; }   /* a blob there: gc's, not ours to judge */
    for (i = 1; i < NOPTS(files); i++) {
        snprintf(p, sizeof p, "%s/%s", store_made, files[i]);
        if (i < 2) (void)rmdir(p); else (void)unlink(p);
    }
    close(lk);
    if (store_made_dir) (void)rmdir(store_made);
    store_made[0] = '\0';
}

/* a command that reads images, given a store path where there is none: the path is what is wrong */
static int no_store(const char *cmd, const char *dir)
{
    fprintf(stderr, "crioimg %s: %s: no store there (import or pull creates one)\n", cmd, dir);
    return 1;
}

static int store_open(const char *cmd, const store_args *sa, int write, crioimg_store **s)
{
    crioimg_store_opts o;
    crioimg_result r;
    struct stat st;
    char err[1024];
    int existed = 1;
    memset(&o, 0, sizeof o);
    store_dir_open = sa->dir;
    o.err = err; o.errcap = sizeof err;   /* the library's words for a failed open, naming the directory */
    o.cancel = &cli_cancel;               /* an import's copy stops at Ctrl-C (cli_catch_signals) */
    o.log = cli_log;                      /* "waiting for the lock of store DIR" after a second */
    o.log_user = &store_log_level;
    *s = NULL;
    if (write == 2) { /* tag, untag, rmi change existing images: never create a store */
        if (stat(sa->dir, &st) != 0) {
            fprintf(stderr, "crioimg %s: %s: %s (no store there; import or pull creates one)\n", cmd, sa->dir,
                    errno == EACCES ? "permission denied" : errno == ENOTDIR ? "not a directory (part of the path is a file)" : "no such directory");
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
    if (write) {
        char lay[4096];
        snprintf(lay, sizeof lay, "%s/oci-layout", sa->dir);
        existed = stat(lay, &st) == 0;   /* a store is there already, or this open makes one: say so */
        if (!existed && stat(sa->dir, &st) == 0 && S_ISDIR(st.st_mode) && dir_has_foreign(sa->dir, 0)) {
            fprintf(stderr, "crioimg %s: %s: not a store, and not empty: a new store needs a new or empty directory\n", cmd, sa->dir);
            return 1;
        }
        store_made_dir = !existed && stat(sa->dir, &st) != 0;
        mkdir_parents(sa->dir);
    }
    r = crioimg_store_open_oci(s, sa->dir, &o);
    if (r == CRIOIMG_ERR_NOT_FOUND && !write && stat(sa->dir, &st) != 0) return 0;   /* no store yet: empty */
    if (r != CRIOIMG_OK) {
        fprintf(stderr, "crioimg %s: %s\n", cmd, err);
        return 1;
    }
    if (write && !existed) {
        snprintf(store_made, sizeof store_made, "%s", sa->dir);
        store_made_quiet = sa->quiet;
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

typedef struct row { const char *c[5]; size_t l[5]; } row;

/* name is a tagged name (repo:tag, no digest); *sep at its ':' */
static int tagged_name(const char *name, const char **sep)
{
    if (strchr(name, '@')) return 0;   /* a digest name: a RepoDigest, not a tag */
    *sep = strrchr(name, ':');
    return *sep != NULL && strchr(*sep, '/') == NULL;
}

/* images -o json: crictl's document (cri-tools' jsonpb, EmitDefaults, two-space indent) for CRI-O's
   ListImages: id (CRI-O's: the bare hex), repoTags, repoDigests, size (a uint64: a string), uid, username,
   spec, pinned (crioimg has no user, spec annotations or pinning to report: null, "", null, false) */
static void images_crictl_json(buf *out, const crioimg_image_list *l)
{
    size_t i, j;
    char n[32];
    buf_str(out, l->n ? "{\n  \"images\": [\n" : "{\n  \"images\": []\n}\n");
    for (i = 0; i < l->n; i++) {
        const crioimg_image *im = &l->images[i];
        size_t k = 0;
        const char *sep;
        buf_str(out, "    {\n      \"id\": \"");
        buf_str(out, im->id);
        buf_str(out, "\",\n      \"repoTags\": [");
        for (j = 0; j < im->nnames; j++) {
            if (!tagged_name(im->names[j], &sep)) continue;
            buf_str(out, k++ ? ",\n        " : "\n        ");
            buf_json(out, im->names[j], strlen(im->names[j]));
        }
        buf_str(out, k ? "\n      ],\n      \"repoDigests\": [" : "],\n      \"repoDigests\": [");
        for (j = 0; j < im->ndigests; j++) {
            buf_str(out, j ? ",\n        " : "\n        ");
            buf_json(out, im->digests[j], strlen(im->digests[j]));
        }
        snprintf(n, sizeof n, "%lld", im->size < 0 ? 0 : im->size);
        buf_str(out, im->ndigests ? "\n      ],\n      \"size\": \"" : "],\n      \"size\": \"");
        buf_str(out, n);
        buf_str(out, "\",\n      \"uid\": null,\n      \"username\": \"\",\n      \"spec\": null,\n      \"pinned\": false\n    }");
        buf_str(out, i + 1 < l->n ? ",\n" : "\n  ]\n}\n");
    }
}

static int cmd_images(cli *c)
{
    store_args sa;
    crioimg_store *s;
    crioimg_image_list l;
    crioimg_result r;
    buf out = { NULL, 0, 0 };
    size_t i, j, nrows = 0, caprows = 0, w[5];
    row *rows = NULL;
    char *sizes = NULL;
    const char *fmt = c->v[OPT_OUTPUT];
    int digests = c->v[OPT_DIGESTS] != NULL, full = c->v[OPT_NO_TRUNC] != NULL, idlen = full ? 64 : 12;
    int rc = store_args_get(c, &sa);
    if (rc) return rc;
    if (fmt && strcmp(fmt, "json") != 0 && strcmp(fmt, "table") != 0) {
        fprintf(stderr, "crioimg images: -o: unknown format \"%s\" (json or table)\n", fmt);
        return 2;
    }
    if (sa.json && fmt && strcmp(fmt, "table") == 0) {
        fprintf(stderr, "crioimg images: --json and -o table contradict each other (--json is -o json)\n");
        return 2;
    }
    if (sa.json) fmt = "json";   /* one document for scripts, whichever way they ask (crictl's -o json) */
    if ((rc = store_open("images", &sa, 0, &s)) != 0) return rc;
    memset(&l, 0, sizeof l);
    if (s && sa.nargs) {   /* a FILTER that is not a name or ID is an error, as the seed's getRef says */
        r = crioimg_store_image_status(s, sa.args[0], &l);
        crioimg_image_list_free(&l);
        memset(&l, 0, sizeof l);
        if (r != CRIOIMG_OK && r != CRIOIMG_ERR_IMAGE_UNKNOWN) { store_fail("images", sa.args[0], s, r); crioimg_store_close(s); return 1; }
    } else if (sa.nargs) {
        crioimg_ref ref;
        char msg[512];
        const char *f = sa.args[0];
        r = crioimg_ref_parse_any(&ref, f, strlen(f));
        if (r != CRIOIMG_OK) {
            crioimg_ref_error_message(r, f, strlen(f), msg, sizeof msg);
            fprintf(stderr, "crioimg images: %s: %s\n", f, msg);
            return 1;
        }
    }
    if (s) {
        r = crioimg_store_list(s, sa.nargs ? sa.args[0] : NULL, &l);
        if (r != CRIOIMG_OK) { store_fail("images", sa.dir, s, r); crioimg_store_close(s); return 1; }
    }
    if (c->v[OPT_QUIET]) {   /* crictl images -q: every image's ID */
        for (i = 0; i < l.n; i++) { buf_str(&out, l.images[i].id); buf_put(&out, "\n", 1); }
    } else if (fmt && strcmp(fmt, "json") == 0) {
        images_crictl_json(&out, &l);
    } else {
        /* crictl images: one row per tagged name, else one "<none>" row; tabwriter(20, 1, 3) columns;
           --digests: a DIGEST column (the first repo digest), --no-trunc: full IDs and digests */
        static const char *const head[5] = { "IMAGE", "TAG", "DIGEST", "IMAGE ID", "SIZE" };
        size_t ncols = digests ? 5 : 4, idc = ncols - 2;
        sizes = (char *)malloc(l.n * 16 + 1);
        if (!sizes) die_nomem();
        caprows = l.n + 1;
        rows = (row *)malloc(caprows * sizeof *rows);
        if (!rows) die_nomem();
        for (j = 0; j < ncols; j++) {
            rows[0].c[j] = head[j < 2 || digests ? j : j + 1];
            rows[0].l[j] = strlen(rows[0].c[j]);
        }
        nrows = 1;
        for (i = 0; i < l.n; i++) {
            const crioimg_image *im = &l.images[i];
            const char *at = im->ndigests ? strchr(im->digests[0], '@') : NULL, *dg = "<none>";
            size_t tagged = 0, dl = 6;
            if (at) {
                dg = at + 1 + (strncmp(at + 1, "sha256:", 7) == 0 ? 7 : 0);
                dl = strlen(dg);
                if (!full && dl > 12) dl = 12;
            }
            human_size(im->size, sizes + i * 16, 16);
            for (j = 0; j <= im->nnames; j++) {
                row *rw;
                const char *name = NULL, *sep = NULL;
                if (j < im->nnames) {
                    name = im->names[j];
                    if (!tagged_name(name, &sep)) continue;
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
                    rw->c[0] = at ? im->digests[0] : "<none>"; rw->l[0] = at ? (size_t)(at - im->digests[0]) : 6;
                    rw->c[1] = "<none>"; rw->l[1] = 6;
                }
                rw->c[2] = dg; rw->l[2] = dl;
                rw->c[idc] = im->id; rw->l[idc] = (size_t)idlen;
                rw->c[idc + 1] = sizes + i * 16; rw->l[idc + 1] = strlen(rw->c[idc + 1]);
            }
        }
        for (j = 0; j + 1 < ncols; j++) {
            w[j] = 20;
            for (i = 0; i < nrows; i++) if (rows[i].l[j] + 3 > w[j]) w[j] = rows[i].l[j] + 3;
        }
        for (i = 0; i < nrows; i++) {
            for (j = 0; j + 1 < ncols; j++) {
                buf_reserve(&out, w[j]);
                memcpy(out.p + out.len, rows[i].c[j], rows[i].l[j]);
                memset(out.p + out.len + rows[i].l[j], ' ', w[j] - rows[i].l[j]);
                out.len += w[j];
            }
            buf_put(&out, rows[i].c[ncols - 1], rows[i].l[ncols - 1]);
            buf_put(&out, "\n", 1);
            if (out.len > (1 << 20)) buf_flush(&out, stdout);
        }
    }
    buf_flush(&out, stdout);
    free(out.p); free(rows); free(sizes);
    crioimg_image_list_free(&l);
    crioimg_store_close(s);
    if (fflush(stdout) != 0 || ferror(stdout)) { fputs("crioimg: write error\n", stderr); return 2; }
    return 0;
}

/* "key":[strings...] */
static void json_str_array(crioimg_json_writer *jw, const char *key, const char *const *v, size_t n)
{
    size_t i;
    crioimg_json_write_key(jw, key, strlen(key));
    crioimg_json_write_array_begin(jw);
    for (i = 0; i < n; i++) crioimg_json_write_string(jw, v[i], strlen(v[i]));
    crioimg_json_write_array_end(jw);
}

/* What inspect adds to the record, read from the image's manifest and config blobs, in the record's
   own lowercase camelCase (skopeo inspect's Os, Architecture, Labels, Layers... lowercased):
   manifestDigest, mediaType, configDigest, os, architecture, variant (when set), created, author
   (when set), user, workingDir, env, entrypoint, cmd, labels, exposedPorts, volumes, stopSignal (when
   set), layers [{digest, size, mediaType}]. Written as ",KEY:VALUE..." after the record's keys;
   a blob that cannot be read or parsed is said on stderr and exit 1, the record still printed. */
static int inspect_more(crioimg_store *s, const crioimg_image *img)
{
    crioimg_manifest m;
    crioimg_image_config ic;
    crioimg_json_writer jw;
    void *mb = NULL, *cb = NULL;
    size_t ml = 0, cl = 0, i, len;
    const char *text;
    crioimg_result r;
    int rc = 0, have_m = 0, have_c = 0;
    memset(&m, 0, sizeof m);
    memset(&ic, 0, sizeof ic);
    r = crioimg_store_get_blob(s, img->manifest_digest, CRIOIMG_MANIFEST_MAX_SIZE, &mb, &ml);
    if (r == CRIOIMG_OK) r = crioimg_manifest_parse(&m, (const char *)mb, ml, NULL, NULL);
    if (r != CRIOIMG_OK) {
        fprintf(stderr, "crioimg inspect: manifest %s: %s%s%s\n", img->manifest_digest, crioimg_result_str(r),
                m.err[0] ? ": " : "", m.err);
        rc = 1;
    } else have_m = 1;
    if (have_m) {
        r = crioimg_store_get_blob(s, m.config.digest, CRIOIMG_MANIFEST_MAX_SIZE, &cb, &cl);
        if (r == CRIOIMG_OK) r = crioimg_image_config_parse(&ic, (const char *)cb, cl, NULL);
        if (r != CRIOIMG_OK) {
            fprintf(stderr, "crioimg inspect: config %s: %s%s%s\n", m.config.digest, crioimg_result_str(r),
                    ic.err[0] ? ": " : "", ic.err);
            rc = 1;
        } else have_c = 1;
    }
    crioimg_json_writer_init(&jw, NULL);
    crioimg_json_write_object_begin(&jw);
    crioimg_json_write_key(&jw, "manifestDigest", 14);
    crioimg_json_write_string(&jw, img->manifest_digest, strlen(img->manifest_digest));
    if (have_m) {
        crioimg_json_write_key(&jw, "mediaType", 9);
        crioimg_json_write_string(&jw, m.media_type, strlen(m.media_type));
        crioimg_json_write_key(&jw, "configDigest", 12);
        crioimg_json_write_string(&jw, m.config.digest, strlen(m.config.digest));
    }
    if (have_c) {
        crioimg_json_write_key(&jw, "os", 2);
        crioimg_json_write_string(&jw, ic.os, strlen(ic.os));
        crioimg_json_write_key(&jw, "architecture", 12);
        crioimg_json_write_string(&jw, ic.architecture, strlen(ic.architecture));
        if (ic.variant[0]) {
            crioimg_json_write_key(&jw, "variant", 7);
            crioimg_json_write_string(&jw, ic.variant, strlen(ic.variant));
        }
        crioimg_json_write_key(&jw, "created", 7);
        crioimg_json_write_string(&jw, ic.created, strlen(ic.created));
        if (ic.author[0]) {
            crioimg_json_write_key(&jw, "author", 6);
            crioimg_json_write_string(&jw, ic.author, strlen(ic.author));
        }
        crioimg_json_write_key(&jw, "user", 4);
        crioimg_json_write_string(&jw, ic.user, strlen(ic.user));
        crioimg_json_write_key(&jw, "workingDir", 10);
        crioimg_json_write_string(&jw, ic.working_dir, strlen(ic.working_dir));
        json_str_array(&jw, "env", ic.env, ic.nenv);
        json_str_array(&jw, "entrypoint", ic.entrypoint, ic.nentrypoint);
        json_str_array(&jw, "cmd", ic.cmd, ic.ncmd);
        crioimg_json_write_key(&jw, "labels", 6);
        crioimg_json_write_object_begin(&jw);
        for (i = 0; i < ic.nlabels; i++) {
            crioimg_json_write_key(&jw, ic.label_keys[i], strlen(ic.label_keys[i]));
            crioimg_json_write_string(&jw, ic.label_values[i], strlen(ic.label_values[i]));
        }
        crioimg_json_write_object_end(&jw);
        /* what crictl inspecti shows of the config besides: the ports and volumes (their keys), the stop signal */
        json_str_array(&jw, "exposedPorts", ic.exposed_ports, ic.nexposed_ports);
        json_str_array(&jw, "volumes", ic.volumes, ic.nvolumes);
        if (ic.stop_signal[0]) {
            crioimg_json_write_key(&jw, "stopSignal", 10);
            crioimg_json_write_string(&jw, ic.stop_signal, strlen(ic.stop_signal));
        }
    }
    if (have_m) {
        crioimg_json_write_key(&jw, "layers", 6);
        crioimg_json_write_array_begin(&jw);
        for (i = 0; i < m.nlayers; i++) {
            crioimg_json_write_object_begin(&jw);
            crioimg_json_write_key(&jw, "digest", 6);
            crioimg_json_write_string(&jw, m.layers[i].digest, strlen(m.layers[i].digest));
            crioimg_json_write_key(&jw, "size", 4);
            crioimg_json_write_int(&jw, m.layers[i].size);
            crioimg_json_write_key(&jw, "mediaType", 9);
            crioimg_json_write_string(&jw, m.layers[i].media_type, strlen(m.layers[i].media_type));
            crioimg_json_write_object_end(&jw);
        }
        crioimg_json_write_array_end(&jw);
    }
    crioimg_json_write_object_end(&jw);
    if (crioimg_json_writer_finish(&jw, &text, &len) != CRIOIMG_OK) die_nomem();
    /* "{...}" without its braces, after a comma */
    if (len > 2) { fputc(',', stdout); fwrite(text + 1, 1, len - 2, stdout); }
    crioimg_json_writer_free(&jw);
    crioimg_image_config_free(&ic);
    crioimg_manifest_free(&m);
    if (cb) crioimg_store_free_blob(s, cb);
    if (mb) crioimg_store_free_blob(s, mb);
    return rc;
}

static int cmd_inspect(cli *c)
{
    store_args sa;
    crioimg_store *s;
    crioimg_image_list l;
    crioimg_result r;
    crioimg_json_writer jw;
    const char *text;
    size_t len;
    int rc = store_args_get(c, &sa);
    if (rc) return rc;
    if ((rc = store_open("inspect", &sa, 0, &s)) != 0) return rc;
    if (s == NULL) return no_store("inspect", sa.dir);
    r = crioimg_store_image_status(s, sa.args[0], &l);
    if (r != CRIOIMG_OK) { store_fail("inspect", sa.args[0], s, r); crioimg_store_close(s); return 1; }
    crioimg_json_writer_init(&jw, NULL);
    crioimg_image_write_json(&l.images[0], &jw);
    if (crioimg_json_writer_finish(&jw, &text, &len) != CRIOIMG_OK) die_nomem();
    /* the record's keys as they are, then what the manifest and config add (inspect_more) */
    if (len < 2 || text[len - 1] != '}') die_nomem();
    fwrite(text, 1, len - 1, stdout);
    crioimg_json_writer_free(&jw);
    rc = inspect_more(s, &l.images[0]);
    fputs("}\n", stdout);
    crioimg_image_list_free(&l);
    crioimg_store_close(s);
    if (fflush(stdout) != 0 || ferror(stdout)) { fputs("crioimg: write error\n", stderr); return 2; }
    return rc;
}

/* untag and rmi: each NAME in turn; exit 1 when any failed */
/* What a write command did: one line a thing on stdout (podman's habit), or with --json one object
   {"KEY":[...]} (after "id" when id is given) once the command is done. */
typedef struct done_list { buf b; int json, n; } done_list;

static void done_add(done_list *d, const char *s, size_t n)
{
    if (d->json) { buf_str(&d->b, d->n ? "," : ""); buf_json(&d->b, s, n); }
    else { fwrite(s, 1, n, stdout); fputc('\n', stdout); }
    d->n++;
}

/* name as the store records it (Name():tag or Name()@digest), or as given when it is no name (an ID) */
static void done_name(done_list *d, const char *name)
{
    crioimg_ref ref;
    char out[CRIOIMG_REF_STRING_MAX + 1];
    if (crioimg_ref_parse_normalized(&ref, name, strlen(name)) != CRIOIMG_OK) { done_add(d, name, strlen(name)); return; }
    crioimg_ref_tag_name_only(&ref);
    done_add(d, out, crioimg_ref_string(&ref, out, sizeof out));
}

static void done_print(done_list *d, const char *key, const char *id)
{
    if (d->json) {
        if (id) printf("{\"id\":\"%s\",", id);
        else fputc('{', stdout);
        printf("\"%s\":[", key);
        fwrite(d->b.p, 1, d->b.len, stdout);
        fputs("]}\n", stdout);
    }
    free(d->b.p);
}

/* untag and rmi: each NAME in turn (rmi prints the ID it removed, untag the name); exit 1 when any failed */
/* 1, after a message, when n is an image ID (sha256:<hex> or the bare hex): never a name to give an image */
static int id_not_name(const char *cmd, const char *n)
{
    size_t k = strncmp(n, "sha256:", 7) == 0 ? 7 : 0, h = strspn(n + k, "0123456789abcdef");
    if (h != 64 || n[k + h] != '\0') return 0;
    fprintf(stderr, "crioimg %s: %s: an image ID, not a name (give a name such as repo:tag)\n", cmd, n);
    return 1;
}

/* 1 when arg names image id by its ID: the ID, "sha256:" and the ID, or a prefix of it (3 or more hex) */
static int names_id(const char *arg, const char *id)
{
    size_t n;
    if (strncmp(arg, "sha256:", 7) == 0) arg += 7;
    n = strlen(arg);
    return n >= 3 && n <= 64 && strspn(arg, "0123456789abcdef") == n && strncmp(arg, id, n) == 0;
}

/* untag and rmi: every NAME is looked up first, and nothing changes unless each names an image (and,
   for untag, is a name, not an ID): bad input changes nothing, as a typo in the third name shows. */
static int store_drop(cli *c, int rmi)
{
    store_args sa;
    crioimg_store *s;
    const char *cmd = c->cmd->name;
    done_list d;
    char (*ids)[65];
    int i, failed = 0, rc = store_args_get(c, &sa);
    if (rc) return rc;
    if ((rc = store_open(cmd, &sa, 2, &s)) != 0) return rc;
    if ((ids = (char (*)[65])calloc((size_t)sa.nargs, sizeof *ids)) == NULL) die_nomem();
    memset(&d, 0, sizeof d);
    d.json = sa.json;
    for (i = 0; i < sa.nargs; i++) {
        crioimg_image_list l;
        crioimg_result r;
        memset(&l, 0, sizeof l);
        r = crioimg_store_image_status(s, sa.args[i], &l);
        if (r == CRIOIMG_OK) memcpy(ids[i], l.images[0].id, sizeof ids[i]);
        crioimg_image_list_free(&l);
        /* refused here: a name that is none (codes -100..-139: references and image names) or names no image;
           anything else (a name whose manifest is broken can still go) is left to the removal to say */
        if (r == CRIOIMG_ERR_IMAGE_UNKNOWN || (r <= CRIOIMG_ERR_REF_FORMAT && r > CRIOIMG_ERR_REF_FORMAT - 40)) {
            store_fail(cmd, sa.args[i], s, r);
            failed = 1;
        }
        else if (!rmi && ids[i][0] && names_id(sa.args[i], ids[i])) {   /* the library's UntagImage would remove the image */
            fprintf(stderr, "crioimg untag: %s: an image ID, not a name (untag removes names; crioimg rmi %s removes the image)\n",
                    sa.args[i], sa.args[i]);
            failed = 1;
        }
    }
    for (i = 0; i < sa.nargs && !failed; i++) {
        crioimg_result r = rmi ? crioimg_store_remove(s, sa.args[i]) : crioimg_store_untag(s, sa.args[i]);
        if (r == CRIOIMG_ERR_IMAGE_UNKNOWN && i > 0 && rmi) continue;   /* rmi of two names of one image */
        if (r != CRIOIMG_OK) { store_fail(cmd, sa.args[i], s, r); failed = 1; }
        else if (rmi) done_add(&d, ids[i], strlen(ids[i]));
        else done_name(&d, sa.args[i]);
    }
    free(ids);
    crioimg_store_close(s);
    done_print(&d, rmi ? "deleted" : "untagged", NULL);
    return failed;
}

static int cmd_untag(cli *c) { return store_drop(c, 0); }
static int cmd_rmi(cli *c) { return store_drop(c, 1); }

static int cmd_tag(cli *c)
{
    store_args sa;
    crioimg_store *s;
    crioimg_result r;
    crioimg_image_list l;
    done_list d;
    char id[65] = "";
    int i, rc = store_args_get(c, &sa);
    if (rc) return rc;
    if ((rc = store_open("tag", &sa, 2, &s)) != 0) return rc;
    memset(&d, 0, sizeof d);
    d.json = sa.json;
    memset(&l, 0, sizeof l);
    if ((r = crioimg_store_image_status(s, sa.args[0], &l)) != CRIOIMG_OK) {   /* the error names the image not there */
        store_fail("tag", sa.args[0], s, r);
        crioimg_store_close(s);
        return 1;
    }
    memcpy(id, l.images[0].id, sizeof id);
    crioimg_image_list_free(&l);
    for (i = 1; i < sa.nargs; i++)
        if (id_not_name("tag", sa.args[i])) rc = 1;
    /* all the names or none: the store checks each (a name, a digest of the image's) before it gives any */
    if (rc == 0 && (r = crioimg_store_tag_names(s, sa.args[0], (const char *const *)sa.args + 1, (size_t)sa.nargs - 1)) != CRIOIMG_OK) {
        store_fail("tag", NULL, s, r);   /* the store's text names the name that is wrong */
        rc = 1;
    }
    for (i = 1; i < sa.nargs && rc == 0; i++) done_name(&d, sa.args[i]);
    crioimg_store_close(s);
    done_print(&d, "tagged", id[0] ? id : NULL);
    return rc;
}

/* import and pull: the image ID on stdout, or with --json one object: id, manifestDigest, name (and a
   pull's source and counts) */
static void print_stored(int json, const char *id, const char *manifest_digest, const char *name, const crioimg_pull_result *p)
{
    buf b = { NULL, 0, 0 };
    if (!json) { printf("%s\n", id); return; }
    buf_str(&b, "{\"id\":\"");
    buf_str(&b, id);
    buf_str(&b, "\",\"manifestDigest\":");
    buf_json(&b, manifest_digest, strlen(manifest_digest));
    buf_str(&b, ",\"name\":");
    buf_json(&b, name, strlen(name));
    if (p) {
        char n[128];
        buf_str(&b, ",\"source\":");
        buf_json(&b, p->source, strlen(p->source));
        snprintf(n, sizeof n, ",\"blobsFetched\":%lu,\"blobsSkipped\":%lu,\"bytesFetched\":%lld", (unsigned long)p->blobs_fetched,
                 (unsigned long)p->blobs_skipped, p->bytes_fetched);
        buf_str(&b, n);
    }
    buf_str(&b, "}\n");
    buf_flush(&b, stdout);
    free(b.p);
}

/* gc and verify: an existing store (never created) */
static int store_whole_open(cli *c, store_args *sa, crioimg_store **s)
{
    int rc = store_args_get(c, sa);
    return rc ? rc : store_open(c->cmd->name, sa, 2, s);
}

/* gc [--store DIR] [--json]: unreferenced blobs, stale temporaries and the listing cache go */
static int cmd_gc(cli *c)
{
    store_args sa;
    crioimg_store *s;
    crioimg_store_gc_result g;
    crioimg_result r;
    int rc = store_whole_open(c, &sa, &s);
    if (rc) return rc;
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
static int cmd_verify(cli *c)
{
    store_args sa;
    crioimg_store *s;
    crioimg_store_verify_result v;
    crioimg_result r;
    size_t i;
    int rc = store_whole_open(c, &sa, &s);
    if (rc) return rc;
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
/* "-", "docker-archive:-", "oci-archive:-": the archive comes on stdin. It is read whole into a temporary
   file first (an archive is read in place, by offsets), unnamed from the start (nothing is left, however the import ends). For "-" the
   entries say which kind it is (oci-layout: an oci-archive; else a docker-archive). *src gets the source
   to load; 0, or 1 after a message. */
static int stdin_archive(const char *arg, char *tmp, size_t tcap, char *src, size_t scap)
{
    const char *kind = strcmp(arg, "-") == 0 ? NULL : strncmp(arg, "oci-archive:", 12) == 0 ? "oci-archive" : "docker-archive";
    const char *td = getenv("TMPDIR");
    unsigned char h[512];
    char chunk[65536];
    ssize_t got;
    long long off = 0;
    int fd;
    snprintf(tmp, tcap, "%s/crioimg-import.XXXXXX", td && td[0] ? td : "/tmp");
    if ((fd = mkstemp(tmp)) < 0) { fprintf(stderr, "crioimg import: %s: %s\n", tmp, strerror(errno)); tmp[0] = '\0'; return 1; }
    /* unnamed at once: however the import ends (kill -9 too), nothing is left in TMPDIR; the load opens
       it again as /dev/fd/N, which stays open until the process ends */
    (void)unlink(tmp);
    snprintf(tmp, tcap, "/dev/fd/%d", fd);
    while ((got = read(0, chunk, sizeof chunk)) != 0) {
        if (got < 0 && errno == EINTR && !cli_cancel) continue;
        if (got < 0 || cli_cancel) { fprintf(stderr, "crioimg import: reading stdin: %s\n", cli_cancel ? "cancelled" : strerror(errno)); return 1; }
        {
            const char *p = chunk;
            ssize_t w;
            while (got > 0) {
                if ((w = write(fd, p, (size_t)got)) < 0 && errno == EINTR) continue;
                if (w <= 0) { fprintf(stderr, "crioimg import: a temporary copy of stdin: %s\n", strerror(errno)); return 1; }
                p += w;
                got -= w;
            }
        }
    }
    /* which kind, from the tar's entry names (ustar headers: the name, then the size in octal at 124) */
    while (kind == NULL && pread(fd, h, sizeof h, (off_t)off) == (ssize_t)sizeof h && h[0]) {
        char size[13];
        memcpy(size, h + 124, 12);
        size[12] = '\0';
        if (strncmp((const char *)h, "oci-layout", 100) == 0 || strncmp((const char *)h, "./oci-layout", 100) == 0) kind = "oci-archive";
        if (strncmp((const char *)h, "manifest.json", 100) == 0 || strncmp((const char *)h, "./manifest.json", 100) == 0) kind = "docker-archive";
        {
            long long sz = strtoll(size, NULL, 8);
            if (sz < 0) break;   /* a corrupt size: never step back (the walk must end); the load says what is wrong */
            off += 512 + ((sz + 511) / 512) * 512;
        }
    }
    snprintf(src, scap, "%s:%s", kind ? kind : "docker-archive", tmp);
    return 0;
}

static int import_archive(const store_args *sa, const crioimg_platform *platform)
{
    crioimg_store *s = NULL;
    crioimg_archive_load_opts o;
    crioimg_archive_load_result res;
    crioimg_result r;
    char err[2048], tmp[4200] = "", src[4300];
    const char *source = sa->args[0];
    archive_view view;
    int rc;
    if (strcmp(source, "-") == 0 || strcmp(source, "docker-archive:-") == 0 || strcmp(source, "oci-archive:-") == 0) {
        if (isatty(0)) { fputs("crioimg import: -: refusing to read an archive from a terminal\n", stderr); return 2; }
        if ((rc = stdin_archive(source, tmp, sizeof tmp, src, sizeof src)) != 0) return rc;
        source = src;
    }
    if ((rc = store_open("import", sa, 1, &s)) != 0) return rc;
    memset(&o, 0, sizeof o);
    o.names = (const char *const *)sa->args + 1;
    o.nnames = (size_t)sa->nargs - 1;
    o.platform = platform;
    o.require_name = 1;   /* never an image stored by ID only because its ref.name was a bare tag */
    memset(&view, 0, sizeof view);
    view.verb = "Loading";
    if (isatty(2)) { o.progress = archive_progress; o.progress_user = &view; }
    o.cancel = &cli_cancel;   /* cmd_import caught the signals */
    r = crioimg_archive_load(s, source, &o, &res, err, sizeof err);
    if (view.drawn) fputs("\r\033[K", stderr);
    if (r != CRIOIMG_OK) {   /* the messages name the source as the user gave it, not the stdin copy */
        size_t sl = strlen(source);
        if (tmp[0] && strncmp(err, source, sl) == 0) fprintf(stderr, "crioimg import: %s%s\n", sa->args[0], err + sl);
        else fprintf(stderr, "crioimg import: %s\n", err[0] ? err : crioimg_result_str(r));
        rc = 1;
    } else print_stored(sa->json, res.id, res.manifest_digest, res.name, NULL);
    crioimg_store_close(s);
    return rc ? rc : (fflush(stdout) == 0 ? 0 : 2);
}

/* save [--store DIR] [--format docker-archive|oci-archive|oci-dir] -o PATH NAME|ID...: the images into one
   file (or layout directory), which appears only when complete; same images, same bytes. */
/* what a save made: PATH on stdout (nothing for -o -, where stdout is the archive); --json one object,
   on stderr for -o - */
static void save_said(int json, const char *out, const char *format, char **names, int n)
{
    FILE *f = strcmp(out, "-") == 0 ? stderr : stdout;
    buf b = { NULL, 0, 0 };
    int i;
    if (!json) { if (f == stdout) printf("%s\n", out); return; }
    buf_str(&b, "{\"output\":");
    buf_json(&b, out, strlen(out));
    buf_str(&b, ",\"format\":");
    buf_json(&b, format, strlen(format));
    buf_str(&b, ",\"images\":[");
    for (i = 0; i < n; i++) { if (i) buf_str(&b, ","); buf_json(&b, names[i], strlen(names[i])); }
    buf_str(&b, "]}\n");
    buf_flush(&b, f);
    free(b.p);
}

/* save -o - spools into TMPDIR/crioimg-save.PID.XXXXXX; one whose process is gone (a kill -9) is taken
   away by the next save -o -, with what the library wrote in it */
static void save_tmp_sweep(const char *td)
{
    DIR *d = opendir(td), *in;
    struct dirent *de, *f;
    char p[4200];
    if (d == NULL) return;
    while ((de = readdir(d)) != NULL) {
        char *end;
        long pid;
        if (strncmp(de->d_name, "crioimg-save.", 13) != 0) continue;
        pid = strtol(de->d_name + 13, &end, 10);
        if (end == de->d_name + 13 || *end != '.' || pid <= 0 || pid == (long)getpid() || kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue;
        snprintf(p, sizeof p, "%s/%s", td, de->d_name);
        if ((in = opendir(p)) == NULL) continue;
        while ((f = readdir(in)) != NULL)
            if (strcmp(f->d_name, ".") != 0 && strcmp(f->d_name, "..") != 0) (void)unlinkat(dirfd(in), f->d_name, 0);
        closedir(in);
        (void)rmdir(p);
    }
    closedir(d);
}

static int cmd_save(cli *c)
{
    const char *out = c->v[OPT_OUTPUT], *f = c->v[OPT_FORMAT];
    char err[2048], tmpdir[4096] = "", tmpfile[4200];
    crioimg_archive_format fmt = CRIOIMG_ARCHIVE_DOCKER;
    crioimg_archive_save_opts so;
    archive_view view;
    int rc = 0;
    store_args sa;
    crioimg_store *s = NULL;
    crioimg_result r;
    if (f) {
        if (strcmp(f, "docker-archive") == 0) fmt = CRIOIMG_ARCHIVE_DOCKER;
        else if (strcmp(f, "oci-archive") == 0) fmt = CRIOIMG_ARCHIVE_OCI;
        else if (strcmp(f, "oci-dir") == 0) fmt = CRIOIMG_ARCHIVE_OCI_DIR;
        else { fprintf(stderr, "crioimg save: unknown format %s (docker-archive, oci-archive or oci-dir)\n", f); return 2; }
    }
    if (out == NULL) { fputs("crioimg save: -o PATH needed\n", stderr); return 2; }
    if (strcmp(out, "-") == 0) {   /* stdout: written to a temporary file first (an archive is complete or absent) */
        const char *td = getenv("TMPDIR");
        if (fmt == CRIOIMG_ARCHIVE_OCI_DIR) { fputs("crioimg save: -o -: oci-dir is a directory, not a stream\n", stderr); return 2; }
        if (isatty(1)) { fputs("crioimg save: -o -: refusing to write an archive to a terminal\n", stderr); return 2; }
        snprintf(tmpdir, sizeof tmpdir, "%s/crioimg-save.%ld.XXXXXX", td && td[0] ? td : "/tmp", (long)getpid());
        save_tmp_sweep(td && td[0] ? td : "/tmp");
    }
    if ((rc = store_args_get(c, &sa)) != 0) return rc;
    cli_catch_signals();   /* Ctrl-C from here on: no half-written archive */
    if ((rc = store_open("save", &sa, 0, &s)) != 0) return rc;
    if (s == NULL) return no_store("save", sa.dir);
    if (tmpdir[0] && mkdtemp(tmpdir) == NULL) {
        fprintf(stderr, "crioimg save: %s: %s\n", tmpdir, strerror(errno));
        crioimg_store_close(s);
        return 1;
    }
    memset(&so, 0, sizeof so);
    memset(&view, 0, sizeof view);
    so.format = fmt;
    view.verb = "Saving";
    if (isatty(2)) { so.progress = archive_progress; so.progress_user = &view; }
    so.cancel = &cli_cancel;
    if (tmpdir[0]) snprintf(tmpfile, sizeof tmpfile, "%s/archive.tar", tmpdir);
    r = crioimg_archive_save(s, &so, tmpdir[0] ? tmpfile : out, (const char *const *)c->args, (size_t)c->nargs, err, sizeof err);
    if (view.drawn) fputs("\r\033[K", stderr);
    if (r != CRIOIMG_OK) {   /* the library names the file it wrote: for -o -, a temporary the user never named */
        size_t tl = strlen(tmpfile);
        const char *e = err[0] ? err : crioimg_result_str(r);
        if (tmpdir[0] && strncmp(e, tmpfile, tl) == 0) fprintf(stderr, "crioimg save: -o -%s\n", e + tl);
        else fprintf(stderr, "crioimg save: %s\n", e);
        rc = 1;
    }
    crioimg_store_close(s);
    if (tmpdir[0]) {   /* -o -: the complete archive, then onto stdout */
        int fd = rc ? -1 : open(tmpfile, O_RDONLY);
        if (rc == 0) {
            char chunk[65536];
            ssize_t got = fd < 0 ? -1 : 0;
            while (fd >= 0 && (got = read(fd, chunk, sizeof chunk)) > 0)
                if (fwrite(chunk, 1, (size_t)got, stdout) != (size_t)got) { got = -1; break; }
            if (got < 0 || fflush(stdout) != 0) { fprintf(stderr, "crioimg save: writing to stdout: %s\n", strerror(errno)); rc = 1; }
        }
        if (fd >= 0) close(fd);
        unlink(tmpfile);
        rmdir(tmpdir);
    }
    if (rc == 0) save_said(sa.json, out, f ? f : "docker-archive", c->args, c->nargs);
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
    return strpbrk(ref, "/:@") == NULL;   /* "latest", "stable", "v1", "b": a tag as umoci and skopeo write ref.name */
}

static int cmd_import(cli *c)
{
    store_args sa;
    crioimg_store *s = NULL, *src = NULL;
    crioimg_store_opts o;
    crioimg_image_list l;
    crioimg_result r;
    crioimg_platform plat;
    char path[4096], err[1024], platbuf[256];
    const char *ref, *colon = NULL, *platform = c->v[OPT_PLATFORM], *const *names;
    size_t nnames;
    int rc, k;
    if (platform && crioimg_platform_parse(&plat, platform, platbuf, sizeof platbuf) != CRIOIMG_OK) {
        fprintf(stderr, "crioimg import: --platform: invalid platform \"%s\" (OS/ARCH[/VARIANT])\n", platform);
        return 2;
    }
    if ((rc = store_args_get(c, &sa)) != 0) return rc;
    for (k = 1; k < sa.nargs; k++) if (id_not_name("import", sa.args[k])) return 1;
    cli_catch_signals();   /* from here on, Ctrl-C stops the copy (and takes back what it wrote) */
    if (crioimg_archive_is_source(sa.args[0]) || strcmp(sa.args[0], "-") == 0) return import_archive(&sa, platform ? &plat : NULL);
    if ((colon = strchr(sa.args[0], ':')) == NULL || colon == sa.args[0] || (size_t)(colon - sa.args[0]) >= sizeof path) {
        fprintf(stderr, "crioimg import: %s: not an image source (oci:DIR[:REF], oci-archive:FILE[:REF], docker-archive:FILE, dir:DIR, "
                "LAYOUT-DIR:REF or - for an archive on stdin)\n", sa.args[0]);
        return 2;
    }
    memcpy(path, sa.args[0], (size_t)(colon - sa.args[0]));
    path[colon - sa.args[0]] = '\0';
    ref = colon + 1;
    names = sa.nargs > 1 ? (const char *const *)sa.args + 1 : &ref;
    nnames = sa.nargs > 1 ? (size_t)sa.nargs - 1 : 1;
    memset(&l, 0, sizeof l);
    memset(&o, 0, sizeof o);
    o.read_only = 1;
    o.err = err; o.errcap = sizeof err;
    r = crioimg_store_open_oci(&src, path, &o);
    if (r != CRIOIMG_OK) { fprintf(stderr, "crioimg import: %s\n", err); rc = 1; goto done; }
    if (sa.nargs == 1 && bare_tag(ref)) {
        fprintf(stderr, "crioimg import: %s: \"%s\" is a tag, not an image name: give the name to store it under "
                "(crioimg import %s NAME)\n", sa.args[0], ref, sa.args[0]);
        rc = 1;
        goto done;
    }
    r = crioimg_store_image_status(src, ref, &l);
    if (r != CRIOIMG_OK) { store_fail("import", sa.args[0], src, r); rc = 1; goto done; }
    for (k = 0; (size_t)k < nnames; k++) {   /* a name with a digest names this manifest, or it is a lie (as tag refuses it) */
        const char *at = strrchr(names[k], '@');
        if (at && strcmp(at + 1, l.images[0].manifest_digest) != 0) {
            fprintf(stderr, "crioimg import: name %s: its digest is not the image's manifest digest (%s)\n", names[k], l.images[0].manifest_digest);
            rc = 1;
            goto done;
        }
    }
    if ((rc = store_open("import", &sa, 1, &s)) != 0) goto done;
    r = crioimg_store_copy_image_platform(s, src, l.images[0].manifest_digest, platform ? &plat : NULL, names, nnames);
    if (r != CRIOIMG_OK) { store_fail("import", sa.args[0], s, r); rc = 1; goto done; }
    crioimg_image_list_free(&l);
    /* the ID of what was stored (for an index, the platform's image) */
    r = crioimg_store_image_status(s, names[0], &l);
    if (r != CRIOIMG_OK) { store_fail("import", names[0], s, r); rc = 1; goto done; }
    print_stored(sa.json, l.images[0].id, l.images[0].manifest_digest, names[0], NULL);
done:
    crioimg_image_list_free(&l);
    crioimg_store_close(s);
    crioimg_store_close(src);
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
    crioimg_pull_opts po;
    crioimg_service *svc;
    char **args;
    int nargs;
    const char *store, *policy;   /* pull: --store, --policy */
    int jobs, quiet;              /* pull: --jobs N, -q */
    crioimg_store *st;            /* pull: the store, opened (created when missing) */
    int log_level;                /* --log-level, -v: what cli_log shows */
    char store_buf[4096];
} remote_args;


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

/* The registry client's log lines on stderr, up to the level asked (WARN unless --log-level or -v says
   more: a retry or wait of a second or more is told even unasked). fprintf is one call a line: threads of
   a pull do not mix their lines. */

/* --log-level LEVEL / -v: the crioimg_log_level to show; -1 after a message. By default WARN: a retry or
   wait of a second or more is announced on stderr, terminal or not (as podman's "retrying in" is), so a
   script's log says why a pull took long; shorter ones only at info. */
static int log_level(cli *c)
{
    static const char *const names[] = { "error", "warn", "info", "debug" };
    const char *v = c->v[OPT_LOG_LEVEL];
    int k;
    if (c->v[OPT_VERBOSE]) return CRIOIMG_LOG_DEBUG;
    if (v == NULL) return CRIOIMG_LOG_WARN;
    for (k = 0; k < 4; k++) if (strcmp(v, names[k]) == 0) return k;
    fprintf(stderr, "crioimg %s: --log-level: unknown level \"%s\" (debug, info, warn or error)\n", c->cmd->name, v);
    return -1;
}

/* The AUTH-OPTIONS, NETWORK-OPTIONS, --platform and pull's own options of c into ra. 0, or 2 after a message. */
static int remote_values(cli *c, remote_args *ra)
{
    const char *cmd = c->cmd->name, *v;
    crioimg_registry_opts *ro = &ra->po.registry;
    int b;
    ra->quiet = c->v[OPT_QUIET] != NULL;
    ra->store = c->v[OPT_STORE];
    ra->policy = c->v[OPT_POLICY];
    ra->out = c->v[OPT_OUTPUT];
    ra->platform = c->v[OPT_PLATFORM];
    ro->authfile = c->v[OPT_AUTHFILE];
    ro->cert_dir = c->v[OPT_CERTDIR];
    if ((v = c->v[OPT_JOBS]) != NULL) {
        char *end;
        long n;
        errno = 0;
        n = strtol(v, &end, 10);
        if (errno || end == v || *end || n < 1 || n > 64) {
            fprintf(stderr, "crioimg %s: --jobs: invalid value \"%s\" (1 to 64)\n", cmd, v);
            return 2;
        }
        ra->jobs = (int)n;
    }
    if ((v = c->v[OPT_TLSVERIFY]) != NULL) {
        if (!parse_bool(v, &b)) { fprintf(stderr, "crioimg %s: --tls-verify: invalid value \"%s\"\n", cmd, v); return 2; }
        ro->tls_verify = b ? CRIOIMG_TLS_VERIFY_TRUE : CRIOIMG_TLS_VERIFY_FALSE;
    }
    if ((v = c->v[OPT_TIMEOUT]) != NULL) {   /* every response's headers, and all of a manifest, token or error */
        long ms;
        if (!parse_duration_ms(v, &ms)) { fprintf(stderr, "crioimg %s: --timeout: invalid duration \"%s\" (30s, 2m, or seconds)\n", cmd, v); return 2; }
        ro->header_timeout_ms = ro->total_timeout_ms = ms;
    }
    if ((v = c->v[OPT_MINRATE]) != NULL) {   /* a blob slower than BYTES over any DURATION stops */
        char *end;
        unsigned long long n = strtoull(v, &end, 10);
        long ms;
        if (end == v || *end != '/' || n == 0 || v[0] == '-' || !parse_duration_ms(end + 1, &ms)) {
            fprintf(stderr, "crioimg %s: --min-rate: invalid rate \"%s\" (BYTES/DURATION, as 1024/30s)\n", cmd, v);
            return 2;
        }
        ro->blob_min_bytes = (size_t)n;
        ro->blob_min_period_ms = ms;
    }
    if ((v = c->v[OPT_RETRY]) != NULL) {   /* as skopeo's: 0 is no retries */
        char *end;
        long n = strtol(v, &end, 10);
        if (end == v || *end != '\0' || n < 0 || n > 100) { fprintf(stderr, "crioimg %s: --retry-times: invalid number \"%s\"\n", cmd, v); return 2; }
        ro->retries = n == 0 ? -1 : (int)n;
    }
    if ((v = c->v[OPT_CREDS]) != NULL) {
        /* skopeo's parseCreds: USER[:PASSWORD]; without a password it is asked on the terminal */
        char *colon;
        if (v[0] == '\0') { fprintf(stderr, "crioimg %s: credentials can't be empty\n", cmd); return 2; }
        if (strlen(v) >= sizeof ra->creds) { fprintf(stderr, "crioimg %s: --creds: too long\n", cmd); return 2; }
        strcpy(ra->creds, v);
        colon = strchr(ra->creds, ':');
        if (colon) *colon = '\0';
        if (ra->creds[0] == '\0') { fprintf(stderr, "crioimg %s: username can't be empty\n", cmd); return 2; }
        ro->username = ra->creds;
        ro->password = colon ? colon + 1 : NULL;
    }
    return 0;
}

/* Fills ra from c and makes the service (with pull's store, opened or created). 0, 1 when the store failed,
   or 2 after a usage message. */
static int remote_setup(cli *c, remote_args *ra)
{
    const char *cmd = c->cmd->name;
    crioimg_service_opts so;
    char err[512];
    crioimg_result r;
    int k, rc;
    memset(ra, 0, sizeof *ra);
    cli_catch_signals();
    ra->po.registry.cancel = &cli_cancel;
    for (k = 0; k < c->nrep; k++) {
        const char **list = c->repid[k] == OPT_REGISTRY ? ra->search : ra->insecure;
        size_t *n = c->repid[k] == OPT_REGISTRY ? &ra->nsearch : &ra->ninsecure;
        if (*n == REMOTE_MAX_LIST) { fprintf(stderr, "crioimg %s: too many --%s options\n", cmd, c->repid[k] == OPT_REGISTRY ? "registry" : "insecure-registry"); return 2; }
        list[(*n)++] = c->rep[k];
    }
    ra->conf = c->v[OPT_CONF];
    if ((rc = remote_values(c, ra)) != 0) return rc;
    if ((ra->log_level = log_level(c)) < 0) return 2;
    if (ra->po.registry.authfile) {   /* read only when a registry asks for credentials: a typo is said now, as podman does */
        if (access(ra->po.registry.authfile, R_OK) != 0) {   /* never opened here: a FIFO is not waited on */
            fprintf(stderr, "crioimg %s: --authfile %s: %s\n", cmd, ra->po.registry.authfile, strerror(errno));
            return 1;
        }
    }
    ra->po.registry.log = cli_log;
    ra->po.registry.log_user = &ra->log_level;
    if (ra->po.registry.username && ra->po.registry.password == NULL &&
        (ra->po.registry.password = ask_password(ra->pass, sizeof ra->pass)) == NULL) {
        fprintf(stderr, "crioimg %s: --creds %s: no password given, and no terminal to ask for one on\n", cmd, ra->creds);
        return 2;
    }
    if (ra->platform) {
        if (crioimg_platform_parse(&ra->plat, ra->platform, ra->plat_buf, sizeof ra->plat_buf) != CRIOIMG_OK) {
            fprintf(stderr, "crioimg %s: --platform: invalid platform \"%s\" (OS/ARCH[/VARIANT])\n", cmd, ra->platform);
            return 2;
        }
        ra->po.platform = &ra->plat;
    }
    memset(&so, 0, sizeof so);
    so.registries = ra->search; so.nregistries = ra->nsearch;
    so.insecure_registries = ra->insecure; so.ninsecure = ra->ninsecure;
    ra->conf_paths.path = ra->conf ? ra->conf : getenv("CONTAINERS_REGISTRIES_CONF");
    if (ra->conf_paths.path && ra->conf_paths.path[0] == '\0') ra->conf_paths.path = NULL;
    so.registries_conf = &ra->conf_paths;
    if (c->cmd->groups & G_STORE) {
        store_args sa;
        memset(&sa, 0, sizeof sa);
        if ((sa.dir = store_dir(cmd, ra->store, ra->store_buf, sizeof ra->store_buf)) == NULL) return 2;
        sa.quiet = ra->quiet;   /* pull -q: the ID alone, on a terminal too */
        if (store_open(cmd, &sa, 1, &ra->st) != 0) return 1;
    }
    r = crioimg_service_new(&ra->svc, ra->st, &so, err, sizeof err);
    if (r != CRIOIMG_OK) { fprintf(stderr, "crioimg %s: %s\n", cmd, err[0] ? err : crioimg_result_str(r)); return 2; }
    ra->args = c->args;
    ra->nargs = c->nargs;
    /* --timeout bounds the whole command too, retries and waits included; a second later than the request
       timeouts of the same length, so that a single request that trips one reports it in its own words */
    if (ra->po.registry.total_timeout_ms > 0) alarm((unsigned)((ra->po.registry.total_timeout_ms + 999) / 1000 + 1));
    return 0;
}

/* The service */
static void remote_free(remote_args *ra)
{
    crioimg_service_free(ra->svc);
    ra->svc = NULL;
}

/* The image NAME names, found the way a pull finds it; 1 after a message on failure. */
static int remote_open(const char *cmd, remote_args *ra, crioimg_image_source **src)
{
    crioimg_result r = crioimg_service_open_source(ra->svc, ra->args[0], &ra->po, src);
    if (r == CRIOIMG_OK) return 0;
    fprintf(stderr, "crioimg %s: %s\n", cmd, crioimg_service_error(ra->svc)[0] ? crioimg_service_error(ra->svc) : crioimg_result_str(r));
    return 1;
}

static int cmd_can_pull(cli *c)
{
    remote_args ra;
    crioimg_image_source *src;
    int rc;
    if ((rc = remote_setup(c, &ra)) != 0) { remote_free(&ra); return rc; }
    if ((rc = remote_open("can-pull", &ra, &src)) != 0) {}
    else if (c->v[OPT_JSON]) {
        buf b = { NULL, 0, 0 };
        buf_str(&b, "{\"name\":");
        buf_json(&b, src->name, strlen(src->name));
        buf_str(&b, ",\"location\":");
        buf_json(&b, src->location, strlen(src->location));
        buf_str(&b, ",\"digest\":");
        buf_json(&b, src->image.digest, strlen(src->image.digest));
        buf_str(&b, "}\n");
        buf_flush(&b, stdout);
        free(b.p);
    } else printf("%s %s\n", src->name, src->image.digest);
    crioimg_image_source_free(src);
    remote_free(&ra);
    return rc ? rc : (fflush(stdout) == 0 ? 0 : 2);
}

static int cmd_manifest(cli *c)
{
    remote_args ra;
    crioimg_image_source *src;
    int rc;
    if ((rc = remote_setup(c, &ra)) != 0) { remote_free(&ra); return rc; }
    ra.po.top_only = ra.po.platform == NULL;   /* with --platform: the platform's image manifest */
    if ((rc = remote_open("manifest", &ra, &src)) == 0) {
        const crioimg_registry_manifest *m = ra.po.top_only ? &src->top : &src->image;
        if (fwrite(m->data, 1, m->len, stdout) != m->len) rc = 2;
    }
    crioimg_image_source_free(src);
    remote_free(&ra);
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
/* blob --json: what was written, once verified; on stderr for -o -, where stdout is the blob */
static void blob_said(const char *out, const crioimg_image_source *src, const crioimg_descriptor *d)
{
    buf b = { NULL, 0, 0 };
    char n[32];
    buf_str(&b, "{\"output\":");
    buf_json(&b, out, strlen(out));
    buf_str(&b, ",\"image\":");
    buf_json(&b, src->location, strlen(src->location));
    buf_str(&b, ",\"digest\":");
    buf_json(&b, d->digest, strlen(d->digest));
    snprintf(n, sizeof n, ",\"size\":%lld", (long long)d->size);
    buf_str(&b, n);
    buf_str(&b, ",\"mediaType\":");
    buf_json(&b, d->media_type ? d->media_type : "", d->media_type ? strlen(d->media_type) : 0);
    buf_str(&b, "}\n");
    buf_flush(&b, strcmp(out, "-") == 0 ? stderr : stdout);
    free(b.p);
}

static int cmd_blob(cli *c)
{
    remote_args ra;
    crioimg_image_source *src = NULL;
    const crioimg_descriptor *d = NULL;
    char tmp[4096];
    blob_file f;
    crioimg_result r;
    size_t k;
    int rc;
    if (c->v[OPT_OUTPUT] == NULL) { fputs("crioimg blob: -o FILE needed\nusage: crioimg blob " , stderr); fputs(c->cmd->synopsis, stderr); fputc('\n', stderr); return 2; }
    if ((rc = remote_setup(c, &ra)) != 0) { remote_free(&ra); return rc; }
    {   /* a DIGEST that is none is said as such, before any request */
        crioimg_digest dg;
        crioimg_result dr = crioimg_digest_parse(&dg, ra.args[1], strlen(ra.args[1]));
        if (dr != CRIOIMG_OK) { fprintf(stderr, "crioimg blob: %s: %s\n", ra.args[1], crioimg_result_str(dr)); rc = 1; goto done; }
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
    if (strcmp(ra.out, "-") == 0) {   /* stdout: the bytes as they come; a digest mismatch is a message and exit 1 */
        f.fd = 1;
        r = crioimg_registry_get_blob(src->registry, src->repo, d, blob_file_write, &f);
        if (r != CRIOIMG_OK) {
            fprintf(stderr, "crioimg blob: %s\n", crioimg_registry_error(src->registry)[0] ? crioimg_registry_error(src->registry) : crioimg_result_str(r));
            rc = 1;
        }
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
    if (rc == 0 && d && c->v[OPT_JSON]) blob_said(ra.out, src, d);
    crioimg_image_source_free(src);
    remote_free(&ra);
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

static int cmd_pull(cli *c)
{
    remote_args ra;
    crioimg_pull_result res;
    crioimg_policy *policy = NULL;
    pull_view view;
    crioimg_result r;
    int rc = remote_setup(c, &ra);
    if (rc != 0) {
        remote_free(&ra);
        crioimg_store_close(ra.st);
        return rc;
    }
    {   /* --policy FILE, else ~/.config/containers/policy.json, else /etc/containers/policy.json, else
           accept (the containers default) */
        char err[1024];
        err[0] = '\0';
        r = crioimg_policy_load(&policy, ra.policy, NULL, err, sizeof err);
        if (r != CRIOIMG_OK) {
            fprintf(stderr, "crioimg pull: %s\n", err[0] ? err : crioimg_result_str(r));
            remote_free(&ra);
            crioimg_store_close(ra.st);
            return 1;
        }
        ra.po.policy = policy;
    }
    memset(&view, 0, sizeof view);
    ra.po.jobs = ra.jobs;
    if (!ra.quiet && isatty(1) && isatty(2)) { ra.po.progress = pull_progress; ra.po.progress_user = &view; }
    r = crioimg_service_pull_image(ra.svc, ra.args[0], &ra.po, &res);
    if (r == CRIOIMG_OK) print_stored(c->v[OPT_JSON] != NULL, res.id, res.manifest_digest, res.name, &res);
    else {
        fprintf(stderr, "crioimg pull: %s\n", crioimg_service_error(ra.svc)[0] ? crioimg_service_error(ra.svc) : crioimg_result_str(r));
        rc = cli_cancel ? 128 + cli_cancel : 1;
    }
    free(view.order);
    free(view.blob);
    crioimg_policy_free(policy);
    remote_free(&ra);
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
static int cmd_unpack(cli *c)
{
    const char *args[2];
    char err[2048];
    int quiet = c->v[OPT_QUIET] != NULL, rc;
    crioimg_unpack_opts o;
    crioimg_unpack_result res;
    crioimg_store *s = NULL;
    store_args sa;
    crioimg_result r;
    struct timespec last;
    memset(&o, 0, sizeof o);
    o.rootfs_only = c->v[OPT_ROOTFS_ONLY] != NULL;
    o.rootless = c->v[OPT_ROOTLESS] != NULL;
    if (c->v[OPT_MAX_LAYER]) {
        char *end;
        o.max_layer_size = strtoull(c->v[OPT_MAX_LAYER], &end, 10);
        if (*end || o.max_layer_size == 0 || c->v[OPT_MAX_LAYER][0] == '-') { fprintf(stderr, "crioimg unpack: --max-layer-size needs a number of bytes\n"); return 2; }
    }
    args[0] = c->args[0];
    args[1] = c->args[1];
    if ((rc = store_args_get(c, &sa)) != 0) return rc;
    if ((rc = store_open("unpack", &sa, 0, &s)) != 0) return rc;   /* read-only: an unpack never changes the store */
    if (s == NULL) return no_store("unpack", sa.dir);
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
    if (sa.json) {   /* what was made, as the other write commands say it */
        buf b = { NULL, 0, 0 };
        char n[200];
        buf_str(&b, "{\"bundle\":");
        buf_json(&b, args[1], strlen(args[1]));
        buf_str(&b, ",\"image\":");
        buf_json(&b, args[0], strlen(args[0]));
        snprintf(n, sizeof n, ",\"layers\":%lu,\"entries\":%lld,\"bytes\":%lld,\"skippedDevices\":%lu,\"xattrFailures\":%lu}\n",
                 (unsigned long)res.layers, res.entries, res.bytes, (unsigned long)res.skipped_devices, (unsigned long)res.xattr_failures);
        buf_str(&b, n);
        buf_flush(&b, stdout);
        free(b.p);
    } else if (!quiet) printf("%s\n", args[1]);
    return fflush(stdout) == 0 ? 0 : 1;
}

/* ---- dispatch, and the help, man page and bash completion written from the same table ---- */

static const opt parse_own[] = {
    { OPT_JSON, "json", 0, O_FLAG, NULL, "one JSON object per name: input, name, domain, path, tag, digest, familiar, string (or input, error)" },
    { OPT_ANY, "any", 0, O_FLAG, NULL, "ParseAnyReference: a bare 64-hex ID or a digest is accepted too" } };
static const opt digest_own[] = {
    { OPT_ALGORITHM, "algorithm", 0, O_VALUE, "ALG", "sha256 (the default), sha384 or sha512" } };
static const opt json_own[] = {
    { OPT_JSON, "json", 0, O_FLAG, NULL, "JSON lines instead of text" } };
static const opt write_json_own[] = {
    { OPT_JSON, "json", 0, O_FLAG, NULL, "one JSON object of what was done, once the command is done" } };
static const opt import_own[] = {
    { OPT_PLATFORM, "platform", 0, O_VALUE, "OS/ARCH[/VARIANT]", "for a REF naming an index (skopeo copy --all): that platform's image (else this machine's)" },
    { OPT_JSON, "json", 0, O_FLAG, NULL, "one JSON object: id, manifestDigest, name" } };
static const opt remote_own[] = {
    { OPT_PLATFORM, "platform", 0, O_VALUE, "OS/ARCH[/VARIANT]", "the image for that platform from a multi-platform index (else this machine's)" } };
static const opt can_pull_own[] = {
    { OPT_PLATFORM, "platform", 0, O_VALUE, "OS/ARCH[/VARIANT]", "the image for that platform from a multi-platform index (else this machine's)" },
    { OPT_JSON, "json", 0, O_FLAG, NULL, "one JSON object: name, location (where it was found: a mirror or the registry), digest" } };
static const opt inspect_own[] = {
    { OPT_JSON, "json", 0, O_FLAG, NULL, "JSON (what inspect prints anyway; accepted as every finding command takes it)" } };
static const opt gc_own[] = {
    { OPT_JSON, "json", 0, O_FLAG, NULL, "one JSON object: blobs, blobBytes, files, fileBytes" } };
static const opt verify_own[] = {
    { OPT_JSON, "json", 0, O_FLAG, NULL, "one JSON object: blobs, images, problems [{kind, subject, detail}]" } };
static const opt blob_own[] = {
    { OPT_OUTPUT, "output", 'o', O_VALUE, "FILE", "where the blob goes (it appears only once verified); - is stdout (a mismatch: exit 1)" },
    { OPT_JSON, "json", 0, O_FLAG, NULL, "once verified, one JSON object: output, image, digest, size, mediaType (on stderr with -o -)" },
    { OPT_PLATFORM, "platform", 0, O_VALUE, "OS/ARCH[/VARIANT]", "the image for that platform from a multi-platform index (else this machine's)" } };
static const opt pull_own[] = {
    { OPT_PLATFORM, "platform", 0, O_VALUE, "OS/ARCH[/VARIANT]", "the image for that platform from a multi-platform index (else this machine's)" },
    { OPT_POLICY, "policy", 0, O_VALUE, "FILE", "containers-policy.json (- : stdin; else ~/.config/containers/policy.json, /etc/containers/policy.json, else accept)" },
    { OPT_JOBS, "jobs", 0, O_VALUE, "N", "blobs fetched at once (1 to 64; 3)" },
    { OPT_QUIET, "quiet", 'q', O_FLAG, NULL, "no progress, only the image ID" },
    { OPT_JSON, "json", 0, O_FLAG, NULL, "one JSON object: id, manifestDigest, name, source, blobsFetched, blobsSkipped, bytesFetched" } };
static const opt images_own[] = {
    { OPT_QUIET, "quiet", 'q', O_FLAG, NULL, "only the image IDs" },
    { OPT_DIGESTS, "digests", 0, O_FLAG, NULL, "a DIGEST column (the image's repo digest)" },
    { OPT_NO_TRUNC, "no-trunc", 0, O_FLAG, NULL, "full image IDs and digests" },
    { OPT_OUTPUT, "output", 'o', O_VALUE, "json|table", "json: one document in crictl's shape {\"images\":[...]}; table (the default)" },
    { OPT_JSON, "json", 0, O_FLAG, NULL, "the same as -o json (the seed's full record of one image: inspect)" } };
static const opt save_own[] = {
    { OPT_OUTPUT, "output", 'o', O_VALUE, "PATH", "the archive (or layout directory) to write; it appears only when complete; - is stdout" },
    { OPT_FORMAT, "format", 0, O_VALUE, "FORMAT", "docker-archive (the default), oci-archive or oci-dir" },
    { OPT_JSON, "json", 0, O_FLAG, NULL, "one JSON object: output, format, images (on stderr with -o -)" } };
static const opt unpack_own[] = {
    { OPT_ROOTFS_ONLY, "rootfs-only", 0, O_FLAG, NULL, "the tree alone, at DEST (no config.json)" },
    { OPT_ROOTLESS, "rootless", 0, O_FLAG, NULL, "as umoci unpack --rootless: no device nodes, no owners other than the user" },
    { OPT_MAX_LAYER, "max-layer-size", 0, O_VALUE, "BYTES", "refuse a layer that inflates to more than that" },
    { OPT_QUIET, "quiet", 'q', O_FLAG, NULL, "no progress on the terminal, and DEST not printed" },
    { OPT_JSON, "json", 0, O_FLAG, NULL, "one JSON object: bundle, image, layers, entries, bytes, skippedDevices, xattrFailures" } };

#define OWN(a) a, NOPTS(a)
#define NET (G_REG | G_AUTH | G_NET)
static const command commands[] = {
    { "parse", "[--json] [--any] [NAME...]", "parse image references (stdin, one a line, when no NAME)",
      "A NAME \"-\" reads stdin too. Prints each name as Go's reference.ParseNormalizedNamed gives it; an invalid name prints Go's error text and the exit status is 1.",
      "crioimg parse --json nginx:1.25", 0, OWN(parse_own), 0, -1, cmd_parse, 0 },
    { "digest", "[--algorithm ALG] [FILE...]", "\"sha256:<hex>  FILE\" per file (stdin, or \"-\", when no FILE)",
      "The same lines as sha256sum, the algorithm before each hash.", "crioimg digest layer.tar", 0, OWN(digest_own), 0, -1, cmd_digest, 0 },
    { "resolve", "[REGISTRY-OPTIONS] [--json] NAME", "candidate names, one a line, in pull order",
      "The seed's ResolveNames: aliases, short-name mode and unqualified-search registries from registries.conf and --registry.",
      "crioimg resolve --registry quay.io --registry docker.io nginx", G_REG, OWN(json_own), 1, 1, cmd_resolve, 1u },
    { "registry", "[REGISTRY-OPTIONS] [--json] HOST[:PORT]", "\"secure\" or \"insecure\" (--json: and the rule)",
      "The insecure-registry decision for HOST: loopback, --insecure-registry CIDR or host entries, registries.conf.",
      "crioimg registry --insecure-registry 10.0.0.0/8 10.1.2.3:5000", G_REG, OWN(json_own), 1, 1, cmd_registry, 0 },
    { "can-pull", "[REGISTRY-OPTIONS] [AUTH-OPTIONS] [NETWORK-OPTIONS] [--platform OS/ARCH[/VARIANT]] [--json] NAME",
      "the name and manifest digest a pull would use", "Finds NAME as a pull would (candidates, mirrors, credentials) and prints \"NAME MANIFEST-DIGEST\"; exit 0 when the image can be pulled.",
      "crioimg can-pull docker.io/library/busybox:1.36", NET, OWN(can_pull_own), 1, 1, cmd_can_pull, 1u },
    { "manifest", "[REGISTRY-OPTIONS] [AUTH-OPTIONS] [NETWORK-OPTIONS] [--platform P] NAME", "the manifest as the registry serves it",
      "With --platform: that platform's image manifest, not the index.", "crioimg manifest --platform linux/arm64 busybox:1.36", NET, OWN(remote_own), 1, 1, cmd_manifest, 1u },
    { "blob", "[REGISTRY-OPTIONS] [AUTH-OPTIONS] [NETWORK-OPTIONS] [--platform P] [--json] -o FILE NAME DIGEST", "a config or layer blob, verified",
      "DIGEST must be the config or a layer of NAME's image; FILE appears only when the bytes match it.",
      "crioimg blob -o layer.tar.gz busybox:1.36 sha256:...", NET, OWN(blob_own), 2, 2, cmd_blob, 1u },
    { "pull", "[--store DIR] [REGISTRY-OPTIONS] [AUTH-OPTIONS] [NETWORK-OPTIONS] [--platform P] [--policy FILE] [--jobs N] [-q] [--json] NAME",
      "pull an image into the store; prints its ID",
      "NAME: a reference, docker://..., docker-archive:FILE[:NAME:TAG|:@N], oci-archive:FILE[:REF], oci:DIR[:REF], dir:DIR. Every blob is verified before it lands; progress is drawn on a terminal.",
      "crioimg pull docker.io/library/busybox:1.36", G_STORE | NET, OWN(pull_own), 1, 1, cmd_pull, 1u },
    { "images", "[--store DIR] [-q] [--digests] [--no-trunc] [-o json|table] [--json] [FILTER]", "list the store's images (a table like crictl images)",
      "FILTER is a name or ID, as inspect takes; an invalid name is an error (exit 1).", "crioimg images -o json", G_STORE, OWN(images_own), 0, 1, cmd_images, 1u },
    { "inspect", "[--store DIR] NAME|ID", "the image's record as JSON, with its manifest and config", "NAME: a short or full name, name@digest, a full ID or a unique ID prefix. "
      "The record's keys (id, names, digests, size, imageRef) come first, then what skopeo inspect and crictl inspecti show, "
      "in the record's lowercase camelCase rather than skopeo's capitals: manifestDigest, mediaType, configDigest, os, architecture, "
      "variant (when set), created, author (when set), user, workingDir, env [], entrypoint [], cmd [], labels {}, exposedPorts [], volumes [], stopSignal (when set), layers [{digest, size, mediaType}]. "
      "A manifest or config that cannot be read: what could be read, the reason on stderr, exit 1.",
      "crioimg inspect nginx:1.25", G_STORE, OWN(inspect_own), 1, 1, cmd_inspect, 1u },
    { "tag", "[--store DIR] [--json] NAME|ID NEWNAME...", "give the image more names; prints each name given", "A NEWNAME that another image had moves to this one; an image ID is not a name.",
      "crioimg tag nginx:1.25 registry.example/nginx:prod", G_STORE, OWN(write_json_own), 2, -1, cmd_tag, REFS_ALL },
    { "untag", "[--store DIR] [--json] NAME...", "remove names (the last one removes the image); prints each name removed",
      "An image ID is refused: untag removes names, rmi removes images.",
      "crioimg untag registry.example/nginx:prod", G_STORE, OWN(write_json_own), 1, -1, cmd_untag, REFS_ALL },
    { "rmi", "[--store DIR] [--json] NAME|ID...", "remove images, whatever their names; prints each ID removed", "The blobs no other image uses are deleted too.",
      "crioimg rmi nginx:1.25", G_STORE, OWN(write_json_own), 1, -1, cmd_rmi, REFS_ALL },
    { "import", "[--store DIR] [--platform OS/ARCH[/VARIANT]] [--json] SOURCE [NAME...]", "load an image from a file: oci:DIR[:REF], oci-archive:FILE[:REF], docker-archive:FILE[:NAME:TAG|:@N], dir:DIR (or LAYOUT-DIR:REF); prints its ID",
      "SOURCE - (or docker-archive:-, oci-archive:-) reads the archive from stdin. Stores the image under the NAMEs (none: the names the source gives: the reference, RepoTags, ref.name). Every blob is verified before it lands; a failure stores nothing of the image. A REF that is a bare tag (umoci's \"latest\") needs a NAME.",
      "crioimg import docker-archive:app.tar example.com/app:v1", G_STORE, OWN(import_own), 1, -1, cmd_import, REFS_FROM1 },
    { "save", "[--store DIR] [--format docker-archive|oci-archive|oci-dir] [--json] -o PATH NAME|ID...", "write images to one archive (reproducible: same images, same bytes)",
      "Writes the images (each under the name given, or by ID under all its tags) as podman save and skopeo copy do: one docker-archive with every image's RepoTags (the default), an oci-archive or an OCI layout directory with org.opencontainers.image.ref.name. PATH appears only when complete. Reproducible: fixed entry order, mtime 0, owner 0/0, modes 0644/0755.",
      "crioimg save --format oci-archive -o app.tar example.com/app:v1", G_STORE, OWN(save_own), 1, -1, cmd_save, REFS_ALL },
    { "gc", "[--store DIR] [--json]", "remove unreferenced blobs, stale temporary files and the listing cache",
      "Removes, under the store's lock, the blobs no image references (what a failed or killed pull or import left), stale temporary files and the listing cache; prints what went.",
      "crioimg gc --store ./store", G_STORE, OWN(gc_own), 0, 0, cmd_gc, 0 },
    { "verify", "[--store DIR] [--json]", "hash every blob, check every image; exit 1 listing what is broken",
      "Hashes every blob against its name and checks every image (manifest, config and layers there, with the sizes the manifest gives); lists what is broken, one a line, and exits 1 then.",
      "crioimg verify --store ./store", G_STORE, OWN(verify_own), 0, 0, cmd_verify, 0 },
    { "unpack", "[--store DIR] [--rootfs-only] [--rootless] [--max-layer-size BYTES] [-q] [--json] NAME|ID DEST", "an OCI runtime bundle (DEST/rootfs, DEST/config.json)",
      "DEST must not exist, or be an empty directory; nothing is left there on failure.",
      "crioimg unpack nginx:1.25 /tmp/bundle", G_STORE, OWN(unpack_own), 2, 2, cmd_unpack, 1u },
};
#undef NET

static const command *command_find(const char *name)
{
    size_t i;
    for (i = 0; i < NOPTS(commands); i++) if (strcmp(name, commands[i].name) == 0) return &commands[i];
    return NULL;
}

/* "-o, --output FILE" as help and the man page show an option */
static void opt_label(const opt *o, char *out, size_t cap)
{
    snprintf(out, cap, "%s%c%s--%s%s%s", o->shrt ? "-" : "", o->shrt ? o->shrt : '-', o->shrt ? ", " : "", o->name,
             (o->kind & O_KIND) == O_VALUE ? " " : "", o->arg ? o->arg : "");
    if (!o->shrt) memmove(out, out + 1, strlen(out));   /* no short name: drop the placeholder */
}

/* text from column col on, broken at spaces before column 100; the lines after the first indented to indent */
static void wrap(FILE *f, const char *text, int col, int indent)
{
    while (*text) {
        int room = 100 - col, n = (int)strlen(text), cut = n;
        if (n > room) {
            for (cut = room; cut > 0 && text[cut] != ' '; cut--) {}
            if (cut == 0) cut = (int)strcspn(text, " ");
        }
        fprintf(f, "%.*s\n", cut, text);
        text += cut;
        while (*text == ' ') text++;
        if (*text) fprintf(f, "%*s", indent, "");
        col = indent;
    }
}

static void opt_lines(FILE *f, const opt *o, size_t n)
{
    size_t k;
    char l[128];
    for (k = 0; k < n; k++) {
        opt_label(&o[k], l, sizeof l);
        fprintf(f, "  %-30s ", l);
        wrap(f, o[k].help, 33, 33);
    }
}

static const char *const exit_text = "0 success, 1 failure (a one-line message on stderr names what was wrong), 2 usage error, 130 after SIGINT (Ctrl-C), 143 after SIGTERM";
static const char *const conv_text = "Options may come before or after the arguments; --opt VALUE and --opt=VALUE; -- ends the options; "
    "\"-\" is stdin for an input. A NAME with both a tag and a digest (nginx:1.25@sha256:...) loses its tag, with a note: the digest wins, "
    "as in CRI-O; parse alone shows such a name as written.";
static const char *const env_text = "CRIOIMG_STORE, XDG_DATA_HOME, HOME: the default store; CONTAINERS_REGISTRIES_CONF: registries.conf";

static void top_help(FILE *f)
{
    size_t i;
    fprintf(f, "crioimg %s: container image references, registries and a local image store\n\n"
               "usage: crioimg COMMAND [OPTIONS] [ARGS]   (crioimg COMMAND --help, or crioimg help COMMAND: one command)\n\ncommands:\n",
            CRIOIMG_VERSION_STRING);
    for (i = 0; i < NOPTS(commands); i++) fprintf(f, "  crioimg %s %s\n      %s\n", commands[i].name, commands[i].synopsis, commands[i].brief);
    for (i = 0; i < NOPTS(groups); i++) {
        fprintf(f, "\n%s:\n", groups[i].title);
        opt_lines(f, groups[i].o, groups[i].n);
    }
    fputc('\n', f);
    wrap(f, conv_text, 0, 0);
    fprintf(f, "Exit status: %s.\nEnvironment: %s.\n", exit_text, env_text);
}

static void cmd_help(const command *c, FILE *f)
{
    size_t g;
    fprintf(f, "usage: crioimg %s %s\n\n", c->name, c->synopsis);
    {
        char b[512];
        snprintf(b, sizeof b, "%c%s.", toupper((unsigned char)c->brief[0]), c->brief + 1);
        wrap(f, b, 0, 0);
    }
    if (c->detail) { fputc('\n', f); wrap(f, c->detail, 0, 0); }
    fputs("\nOptions:\n", f);
    opt_lines(f, c->own, c->nown);
    opt_lines(f, &help_opt, 1);
    if (CMD_OWN_TIMEOUT(c)) opt_lines(f, &timeout_opt, 1);
    for (g = 0; g < NOPTS(groups); g++)
        if (c->groups & groups[g].bit) { fprintf(f, "%s:\n", groups[g].title); opt_lines(f, groups[g].o, groups[g].n); }
    fprintf(f, "\nExample:\n  %s\n", c->example);
}

/* roff text: a backslash, a minus and a leading dot or quote made literal */
static void roff(FILE *f, const char *s)
{
    if (*s == '.' || *s == '\'') fputs("\\&", f);
    for (; *s; s++) {
        if (*s == '\\') fputs("\\e", f);
        else if (*s == '-') fputs("\\-", f);
        else fputc(*s, f);
    }
}

static void roff_opts(FILE *f, const opt *o, size_t n)
{
    size_t k;
    char l[128];
    for (k = 0; k < n; k++) {
        opt_label(&o[k], l, sizeof l);
        fputs(".TP\n.B ", f); roff(f, l); fputs("\n", f); roff(f, o[k].help); fputs("\n", f);
    }
}

/* crioimg help --man: the page, from the table --help prints */
static void man_page(FILE *f)
{
    size_t i, g;
    fprintf(f, ".TH CRIOIMG 1 \"\" \"crioimg %s\" \"User Commands\"\n.SH NAME\ncrioimg \\- container image references, registries and a local image store\n"
               ".SH SYNOPSIS\n.B crioimg\n.I COMMAND\n[\\fIOPTIONS\\fR] [\\fIARGS\\fR]\n.SH DESCRIPTION\n", CRIOIMG_VERSION_STRING);
    roff(f, conv_text);
    roff(f, " Every command takes --help.");
    fputs("\n.SH COMMANDS\n", f);
    for (i = 0; i < NOPTS(commands); i++) {
        const command *c = &commands[i];
        fputs(".SS ", f); roff(f, c->name); fputs("\n.B crioimg ", f); roff(f, c->name); fputs("\n", f); roff(f, c->synopsis);
        fputs("\n.PP\n", f); roff(f, c->brief); fputs(".\n", f);
        if (c->detail) { roff(f, c->detail); fputs("\n", f); }
        if (c->nown) roff_opts(f, c->own, c->nown);
        fputs(".PP\nExample:\n.PP\n.RS\n.nf\n", f); roff(f, c->example); fputs("\n.fi\n.RE\n", f);
    }
    fputs(".SH OPTIONS\n", f);
    roff_opts(f, &help_opt, 1);
    roff_opts(f, &timeout_opt, 1);
    for (g = 0; g < NOPTS(groups); g++) {
        fputs(".SS ", f); roff(f, groups[g].title); fputs("\n", f);
        roff_opts(f, groups[g].o, groups[g].n);
    }
    fputs(".SH EXIT STATUS\n", f); roff(f, exit_text); fputs(".\n.SH ENVIRONMENT\n", f); roff(f, env_text);
    fputs(".\n.SH SEE ALSO\n.BR skopeo (1),\n.BR crictl (1),\n.BR podman (1)\n", f);
}

static void completion_words(FILE *f, const opt *o, size_t n)
{
    size_t k;
    for (k = 0; k < n; k++) {
        fprintf(f, " --%s", o[k].name);
        if (o[k].shrt) fprintf(f, " -%c", o[k].shrt);
    }
}

/* crioimg help --bash-completion: the commands and each one's options, from the table */
static void bash_completion(FILE *f)
{
    size_t i, g;
    fputs("# bash completion for crioimg: written by `crioimg help --bash-completion`\n"
          "_crioimg() {\n  local cur=${COMP_WORDS[COMP_CWORD]} opts\n"
          "  if [ \"$COMP_CWORD\" = 1 ]; then\n    COMPREPLY=($(compgen -W \"help --help --version", f);
    for (i = 0; i < NOPTS(commands); i++) fprintf(f, " %s", commands[i].name);
    fputs("\" -- \"$cur\"))\n    return\n  fi\n  case ${COMP_WORDS[1]} in\n", f);
    for (i = 0; i < NOPTS(commands); i++) {
        const command *c = &commands[i];
        fprintf(f, "    %s) opts=\"", c->name);
        completion_words(f, c->own, c->nown);
        for (g = 0; g < NOPTS(groups); g++) if (c->groups & groups[g].bit) completion_words(f, groups[g].o, groups[g].n);
        completion_words(f, &help_opt, 1);
        if (CMD_OWN_TIMEOUT(c)) completion_words(f, &timeout_opt, 1);
        fputs("\" ;;\n", f);
    }
    fputs("    help) COMPREPLY=($(compgen -W \"--man --bash-completion", f);
    for (i = 0; i < NOPTS(commands); i++) fprintf(f, " %s", commands[i].name);
    fputs("\" -- \"$cur\")); return ;;\n    *) opts= ;;\n  esac\n"
          "  case $cur in\n    -*) COMPREPLY=($(compgen -W \"$opts\" -- \"$cur\")) ;;\n    *) COMPREPLY=($(compgen -f -- \"$cur\")) ;;\n  esac\n}\n"
          "complete -F _crioimg crioimg\n", f);
}

static int help_cmd(int argc, char **argv)
{
    const command *c;
    if (argc == 0) { top_help(stdout); return 0; }
    if (strcmp(argv[0], "--man") == 0) man_page(stdout);
    else if (strcmp(argv[0], "--bash-completion") == 0) bash_completion(stdout);
    else if ((c = command_find(argv[0])) != NULL) cmd_help(c, stdout);
    else { fprintf(stderr, "crioimg help: unknown command \"%s\" (try crioimg --help)\n", argv[0]); return 2; }
    return 0;
}

/* A reference with both a tag and a digest ("nginx:1.25@sha256:..."): the digest wins and the tag is dropped,
   with a note, as CRI-O does since 2019 (containers/image refuses such a name; crioimg takes CRI-O's side).
   Done here once, in place, for every operand a command marks as an image reference (command.refs), so that
   every command treats them alike; parse alone shows names as written. "docker://" is looked through; any
   other transport's name ("oci:DIR:REF", ...) is left as it is. */
static void drop_tag_of_digested(const char *cmdname, char *arg)
{
    crioimg_ref r;
    char *s = arg, *colon;
    size_t n, t;
    const char *sep = strchr(arg, ':');
    if (strncmp(arg, "docker://", 9) == 0) s += 9;
    else if (sep) {
        for (t = CRIOIMG_TRANSPORT_DOCKER; t <= CRIOIMG_TRANSPORT_DOCKER_DAEMON; t++) {
            const char *tn = crioimg_transport_name((crioimg_transport)t);
            if (strlen(tn) == (size_t)(sep - arg) && strncmp(tn, arg, (size_t)(sep - arg)) == 0) return;
        }
    }
    n = strlen(s);
    if (crioimg_ref_parse(&r, s, n) != CRIOIMG_OK || r.tag_len == 0 || r.digest_len == 0) return;
    colon = s + n - r.digest_len - 1 - r.tag_len - 1;   /* NAME ":" TAG "@" DIGEST */
    if (*colon != ':' || colon[1 + r.tag_len] != '@') return;
    fprintf(stderr, "crioimg %s: note: %s has both a tag and a digest: the digest wins, the tag \"%s\" is dropped (as CRI-O does)\n",
            cmdname, arg, r.tag);
    memmove(colon, colon + 1 + r.tag_len, strlen(colon + 1 + r.tag_len) + 1);
}

int main(int argc, char **argv)
{
    const command *cmd;
    cli c;
    int rc, i;
    long timeout_ms = 0;
    if (argc < 2) { top_help(stderr); return 2; }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) { top_help(stdout); return fflush(stdout) == 0 ? 0 : 1; }
    if (strcmp(argv[1], "help") == 0) { rc = help_cmd(argc - 2, argv + 2); return rc ? rc : fflush(stdout) == 0 ? 0 : 1; }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) { printf("crioimg %s\n", CRIOIMG_VERSION_STRING); return 0; }
    if ((cmd = command_find(argv[1])) == NULL) {
        fprintf(stderr, "crioimg: unknown command \"%s\" (try crioimg --help)\n", argv[1]);
        return 2;
    }
    if ((rc = cli_parse(cmd, argc - 2, argv + 2, &c)) != 0) { cli_free(&c); return rc; }
    if (c.v[OPT_HELP]) { cli_free(&c); cmd_help(cmd, stdout); return fflush(stdout) == 0 ? 0 : 1; }
    if (c.v[OPT_TIMEOUT] && !parse_duration_ms(c.v[OPT_TIMEOUT], &timeout_ms)) {   /* before the count: it may have taken NAME */
        fprintf(stderr, "crioimg %s: --timeout: invalid duration \"%s\" (30s, 2m, or seconds)\n", cmd->name, c.v[OPT_TIMEOUT]);
        cli_free(&c);
        return 2;
    }
    if ((rc = cli_stdin_option(&c)) != 0) { cli_free(&c); return rc; }
    if (c.nargs < cmd->min_args || (cmd->max_args >= 0 && c.nargs > cmd->max_args)) {
        fprintf(stderr, "crioimg %s: %s\nusage: crioimg %s %s\n", cmd->name, c.nargs < cmd->min_args ? "too few arguments" : "too many arguments",
                cmd->name, cmd->synopsis);
        cli_free(&c);
        return 2;
    }
    for (i = 0; i < c.nargs; i++)
        if (i >= 32 ? cmd->refs == REFS_ALL || cmd->refs == REFS_FROM1 : (cmd->refs >> i) & 1u) drop_tag_of_digested(cmd->name, c.args[i]);
    /* the network commands set their own deadline, a second after their requests' limit (remote_setup) */
    if (c.v[OPT_TIMEOUT] && CMD_OWN_TIMEOUT(cmd)) {
        struct sigaction sa;   /* SIGALRM alone: Ctrl-C keeps its meaning for commands that never look at the flag */
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = cli_on_signal;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGALRM, &sa, NULL);
        alarm((unsigned)((timeout_ms + 999) / 1000));
    }
    rc = cmd->run(&c);
    if (rc != 0) store_unmake();   /* a failed command leaves no empty store behind */
    /* said once, when the store stays: a mistyped --store shows at once, not at the next command (-q: not) */
    if (rc == 0 && store_made[0] && !store_made_quiet && fflush(stdout) == 0) fprintf(stderr, "crioimg %s: created a new store in %s\n", cmd->name, store_made);
    if (rc != 0 && cli_cancel == SIGALRM) {
        fprintf(stderr, "crioimg %s: --timeout %s: the command did not finish in time\n", cmd->name, c.v[OPT_TIMEOUT] ? c.v[OPT_TIMEOUT] : "");
        rc = 1;
    } else if (rc != 0 && cli_cancel) rc = 128 + cli_cancel;   /* as shells and podman report a signal */
    cli_free(&c);
    return rc;
}
