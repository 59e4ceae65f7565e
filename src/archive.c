/* ---------------------------------------------------------------------------------------------------
   archive implementation: file sources (a tar indexed in place, or a directory), the docker-archive,
   OCI layout and dir: readers, and the reproducible writers behind save
   --------------------------------------------------------------------------------------------------- */
#include "internal.h"
#include "store_internal.h"   /* the store's lock, index and name helpers (save) */

#if defined(CRIOIMG__HAVE_POSIX_IO)
#include <stdarg.h>
#include <dirent.h>   /* removing a failed save's directory */

#define CRIOIMG__ARC_BUF ((size_t)64 << 10)      /* one read; also the inflate output buffer */
#define CRIOIMG__ARC_PATH 4096                   /* a cleaned entry path, and the source's path */
#define CRIOIMG__ARC_MAX_ENTRIES 100000          /* tar entries indexed: an image has a few dozen */
#define CRIOIMG__ARC_MAX_DOC CRIOIMG_MANIFEST_MAX_SIZE   /* manifest.json, index.json, configs, manifests */

/* One regular file of a tar archive: where its content is. */
typedef struct crioimg__arc_ent {
    char *path;          /* cleaned: no "./", no "//", no trailing "/" */
    long long off, size;
    int link;            /* a hard or symbolic link: listed so that opening it can say so, never followed */
} crioimg__arc_ent;

/* A source of files: a tar archive read in place (fd >= 0), or a directory (dirfd >= 0). */
typedef struct crioimg__arc {
    crioimg_allocator alloc;
    int fd, dirfd;
    const char *what;            /* "docker-archive:x.tar", for messages */
    crioimg__arc_ent *ents;
    size_t n, cap;
    unsigned char *buf, *zbuf;   /* CRIOIMG__ARC_BUF each */
    char *clean;                 /* CRIOIMG__ARC_PATH bytes after them: an entry's cleaned path (heap, not
                                    4 KiB of stack in each function that cleans one) */
    char *path;                  /* CRIOIMG__ARC_PATH bytes more: a file name read from manifest.json */
    char *err;
    size_t errcap;
    crioimg_archive_progress_fn progress;
    void *progress_user;
    size_t pindex, pcount;   /* the blob being stored, of how many (progress) */
    const volatile int *cancel;
    int require_name;        /* opts->require_name */
    const char *bare;        /* an oci: ref.name that names nothing (a bare tag), for that message */
    char (*wrote)[72];       /* the blobs this load wrote: a failed load takes them back */
    size_t nwrote, capwrote;
} crioimg__arc;

/* Reports progress of blob what, when asked for. */
static void crioimg__arc_progress(crioimg_archive_progress_fn fn, void *user, const char *what, long long done, long long total,
                                  size_t index, size_t count)
{
    crioimg_archive_progress p;
    if (fn == NULL) return;
    p.what = what;
    p.done = done;
    p.total = total;
    p.index = index;
    p.count = count;
    fn(user, &p);
}

/* A file being read from a source. */
typedef struct crioimg__arc_rd {
    int fd, own;
    long long off, left;
    const char *path;
} crioimg__arc_rd;

/* "what: detail" into the caller's err; returns r. */
static crioimg_result crioimg__arc_fail(crioimg__arc *a, crioimg_result r, const char *fmt, ...)
{
    va_list ap;
    int k;
    if (a->err == NULL || a->errcap == 0) return r;
    k = snprintf(a->err, a->errcap, "%s: ", a->what);
    if (k < 0 || (size_t)k >= a->errcap) return r;
    va_start(ap, fmt);
    vsnprintf(a->err + k, a->errcap - (size_t)k, fmt, ap);
    va_end(ap);
    return r;
}

/* Notes blob digest as written by this load (a failure takes it back). Out of memory only loses the note:
   the blob then waits for crioimg_store_gc. */
static void crioimg__arc_wrote(crioimg__arc *a, const char *digest)
{
    if (a->nwrote == a->capwrote && !crioimg__reg_grow(&a->alloc, (void **)&a->wrote, a->nwrote, &a->capwrote, sizeof *a->wrote)) return;
    snprintf(a->wrote[a->nwrote++], sizeof *a->wrote, "%s", digest);
}

/* Cleans a path as Go's path.Clean does for the relative names archives hold, into out (cap bytes):
   "./a//b/" is "a/b". ERR_ARCHIVE_UNSAFE for an absolute path or one with a ".." component: archive
   readers must never name anything outside the archive. "" for "." itself. */
CRIOIMG__LIB crioimg_result crioimg__arc_clean(const char *p, char *out, size_t cap)
{
    size_t o = 0;
    if (p[0] == '/') return CRIOIMG_ERR_ARCHIVE_UNSAFE;
    while (*p) {
        const char *e = strchr(p, '/');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n == 2 && p[0] == '.' && p[1] == '.') return CRIOIMG_ERR_ARCHIVE_UNSAFE;
        if (n > 0 && !(n == 1 && p[0] == '.')) {
            if (o + n + 2 > cap) return CRIOIMG_ERR_TOO_BIG;
            if (o) out[o++] = '/';
            memcpy(out + o, p, n);
            o += n;
        }
        p += n;
        if (*p == '/') p++;
    }
    if (cap == 0) return CRIOIMG_ERR_TOO_BIG;
    out[o] = '\0';
    return CRIOIMG_OK;
}

static int crioimg__arc_ent_cmp(const void *x, const void *y)
{
    return strcmp(((const crioimg__arc_ent *)x)->path, ((const crioimg__arc_ent *)y)->path);
}

/* Records one tar entry: regular files are indexed; directories and global headers pass; devices are
   refused; links are indexed as links, refused when manifest.json or index.json names one (c/image's
   writer adds legacy <id>/layer.tar symlinks that nothing here reads; a followed link could name
   anything). */
static crioimg_result crioimg__arc_add(crioimg__arc *a, const crioimg_tar_entry *e, long long off)
{
    char *clean = a->clean;
    crioimg_result r = crioimg__arc_clean(e->path, clean, CRIOIMG__ARC_PATH);
    crioimg__arc_ent *ne;
    if (e->type == CRIOIMG_TAR_GLOBAL) return CRIOIMG_OK;
    if (r == CRIOIMG_ERR_ARCHIVE_UNSAFE) return crioimg__arc_fail(a, r, "entry \"%s\": path leaves the archive", e->path);
    if (r != CRIOIMG_OK) return crioimg__arc_fail(a, r, "entry \"%.200s...\": path too long", e->path);
    if (e->type == CRIOIMG_TAR_DIR) return CRIOIMG_OK;
    if (e->type != CRIOIMG_TAR_FILE && e->type != CRIOIMG_TAR_LINK && e->type != CRIOIMG_TAR_SYMLINK)
        return crioimg__arc_fail(a, CRIOIMG_ERR_ARCHIVE_UNSAFE, "entry \"%s\": not a regular file (type '%c')", e->path, e->type);
    if (a->n == CRIOIMG__ARC_MAX_ENTRIES)
        return crioimg__arc_fail(a, CRIOIMG_ERR_TOO_BIG, "more than %d entries", CRIOIMG__ARC_MAX_ENTRIES);
    if (a->n == a->cap) {
        size_t c = a->cap ? a->cap * 2 : 64;
        ne = (crioimg__arc_ent *)crioimg_realloc(&a->alloc, a->ents, c * sizeof *ne);
        if (ne == NULL) return crioimg__arc_fail(a, CRIOIMG_ERR_NOMEM, "out of memory");
        a->ents = ne;
        a->cap = c;
    }
    ne = &a->ents[a->n];
    if ((ne->path = (char *)crioimg_malloc(&a->alloc, strlen(clean) + 1)) == NULL) return crioimg__arc_fail(a, CRIOIMG_ERR_NOMEM, "out of memory");
    strcpy(ne->path, clean);
    ne->off = off;
    ne->size = e->type == CRIOIMG_TAR_FILE ? e->size : 0;
    ne->link = e->type != CRIOIMG_TAR_FILE;
    a->n++;
    return CRIOIMG_OK;
}

/* pread, again after EINTR. */
static ssize_t crioimg__arc_pread(int fd, void *buf, size_t n, long long off)
{
    ssize_t k;
    do k = pread(fd, buf, n, (off_t)off); while (k < 0 && errno == EINTR);
    return k;
}

/* The first pass: every header, with the tar reader; each entry's content is skipped by starting a
   fresh reader past it (a seek), so indexing reads headers only, whatever the layers weigh. */
static crioimg_result crioimg__arc_index(crioimg__arc *a)
{
    crioimg_tar_reader_opts to;
    crioimg_tar_reader *t = NULL;
    struct stat st;
    long long base = 0, pos = 0, fsize;
    crioimg_result r = CRIOIMG_OK;
    size_t i;
    memset(&to, 0, sizeof to);
    to.alloc = a->alloc;
    to.max_path = 4000;
    if (fstat(a->fd, &st) != 0) return crioimg__arc_fail(a, CRIOIMG_ERR_IO, "%s", strerror(errno));
    if (!S_ISREG(st.st_mode)) return crioimg__arc_fail(a, CRIOIMG_ERR_ARCHIVE_INVALID, "not a regular file");
    fsize = (long long)st.st_size;
    if (fsize >= 2) {
        unsigned char m[6];
        ssize_t k = crioimg__arc_pread(a->fd, m, sizeof m, 0);
        if (k >= 2 && m[0] == 0x1f && m[1] == 0x8b)
            return crioimg__arc_fail(a, CRIOIMG_ERR_ARCHIVE_INVALID, "a gzip-compressed file, not a tar archive: decompress it first (gunzip)");
    }
    for (;;) {
        ssize_t k;
        size_t used = 0;
        if (t == NULL && (r = crioimg_tar_reader_new(&t, &to)) != CRIOIMG_OK) return crioimg__arc_fail(a, r, "out of memory");
        k = crioimg__arc_pread(a->fd, a->buf, CRIOIMG__ARC_BUF, pos);
        if (k < 0) { r = crioimg__arc_fail(a, CRIOIMG_ERR_IO, "reading at offset %lld: %s", pos, strerror(errno)); break; }
        if (k == 0) {
            r = crioimg_tar_reader_finish(t);
            if (r != CRIOIMG_OK) r = crioimg__arc_fail(a, r, "truncated archive: %s", crioimg_tar_reader_error(t));
            break;
        }
        while (used < (size_t)k) {
            crioimg_tar_event ev;
            const void *data;
            size_t u = 0, dl;
            r = crioimg_tar_reader_next(t, a->buf + used, (size_t)k - used, &u, &ev, &data, &dl);
            used += u;
            if (r != CRIOIMG_OK) {
                crioimg__arc_fail(a, r, "%s at offset %lld (%s)", base == 0 && a->n == 0 ? "not a tar archive" : "invalid tar header",
                                  base, crioimg_tar_reader_error(t));
                goto done;
            }
            if (ev == CRIOIMG_TAR_END) goto done;
            if (ev == CRIOIMG_TAR_ENTRY) {
                const crioimg_tar_entry *e = crioimg_tar_reader_entry(t);
                long long doff = base + crioimg_tar_reader_offset(t);
                if ((r = crioimg__arc_add(a, e, doff)) != CRIOIMG_OK) goto done;
                if (e->type != CRIOIMG_TAR_GLOBAL && e->size > 0) {
                    base = doff + (e->size + 511) / 512 * 512;
                    if (doff + e->size > fsize) {
                        r = crioimg__arc_fail(a, CRIOIMG_ERR_ARCHIVE_INVALID, "entry \"%s\": truncated archive: %lld bytes of content at offset %lld, the file ends at %lld",
                                              e->path, e->size, doff, fsize);
                        goto done;
                    }
                    crioimg_tar_reader_free(t);
                    t = NULL;
                    pos = base;
                    break;
                }
            }
        }
        if (t) pos += k;
    }
done:
    crioimg_tar_reader_free(t);
    if (r != CRIOIMG_OK) return r;
    if (a->n > 1) qsort(a->ents, a->n, sizeof *a->ents, crioimg__arc_ent_cmp);
    for (i = 1; i < a->n; i++)
        if (strcmp(a->ents[i - 1].path, a->ents[i].path) == 0)
            return crioimg__arc_fail(a, CRIOIMG_ERR_ARCHIVE_UNSAFE, "entry \"%s\" appears twice", a->ents[i].path);
    return CRIOIMG_OK;
}

/* Opens file path (relative, as manifests name it) of the source. */
static crioimg_result crioimg__arc_open(crioimg__arc *a, const char *path, crioimg__arc_rd *rd)
{
    char *clean = a->clean;
    crioimg_result r = crioimg__arc_clean(path, clean, CRIOIMG__ARC_PATH);
    memset(rd, 0, sizeof *rd);
    rd->fd = -1;
    rd->path = path;
    if (r == CRIOIMG_ERR_ARCHIVE_UNSAFE) return crioimg__arc_fail(a, r, "\"%s\": path leaves the archive", path);
    if (r != CRIOIMG_OK || clean[0] == '\0') return crioimg__arc_fail(a, CRIOIMG_ERR_ARCHIVE_INVALID, "\"%.200s\": not a file name", path);
    if (a->fd >= 0) {
        crioimg__arc_ent key, *e;
        key.path = clean;
        e = a->n ? (crioimg__arc_ent *)bsearch(&key, a->ents, a->n, sizeof *a->ents, crioimg__arc_ent_cmp) : NULL;
        if (e == NULL) return crioimg__arc_fail(a, CRIOIMG_ERR_NOT_FOUND, "\"%s\": no such file in the archive", path);
        if (e->link) return crioimg__arc_fail(a, CRIOIMG_ERR_ARCHIVE_UNSAFE, "entry \"%s\": a link (links in image archives are not followed)", path);
        rd->fd = a->fd;
        rd->off = e->off;
        rd->left = e->size;
        return CRIOIMG_OK;
    } else {
        struct stat st;
        int fd = openat(a->dirfd, clean, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
            int en = errno;
            return crioimg__arc_fail(a, en == ENOENT ? CRIOIMG_ERR_NOT_FOUND : en == ELOOP ? CRIOIMG_ERR_ARCHIVE_UNSAFE : CRIOIMG_ERR_IO,
                                     "%s: %s", path, en == ELOOP ? "a symbolic link, not followed" : strerror(en));
        }
        if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
            close(fd);
            return crioimg__arc_fail(a, CRIOIMG_ERR_ARCHIVE_UNSAFE, "%s: not a regular file", path);
        }
        rd->fd = fd;
        rd->own = 1;
        rd->left = (long long)st.st_size;
        return CRIOIMG_OK;
    }
}

static void crioimg__arc_rd_close(crioimg__arc_rd *rd)
{
    if (rd->own && rd->fd >= 0) close(rd->fd);
    rd->fd = -1;
}

/* The next bytes of rd, at most cap; *n 0 at the end. A file that ends early is ERR_ARCHIVE_INVALID. */
static crioimg_result crioimg__arc_read(crioimg__arc *a, crioimg__arc_rd *rd, void *buf, size_t cap, size_t *n)
{
    ssize_t k;
    *n = 0;
    if (crioimg_cancelled(a->cancel)) return crioimg__arc_fail(a, CRIOIMG_ERR_CANCELLED, "cancelled");
    if (rd->left == 0) return CRIOIMG_OK;
    if ((long long)cap > rd->left) cap = (size_t)rd->left;
    k = crioimg__arc_pread(rd->fd, buf, cap, rd->off);
    if (k < 0) return crioimg__arc_fail(a, CRIOIMG_ERR_IO, "%s: %s", rd->path, strerror(errno));
    if (k == 0) return crioimg__arc_fail(a, CRIOIMG_ERR_ARCHIVE_INVALID, "%s: truncated (%lld bytes missing)", rd->path, rd->left);
    rd->off += k;
    rd->left -= k;
    *n = (size_t)k;
    return CRIOIMG_OK;
}

/* A whole small file (manifest.json, index.json, a config or manifest): at most max bytes, else
   ERR_TOO_BIG before anything is read. *data is NUL-terminated; free it with a->alloc. */
static crioimg_result crioimg__arc_slurp(crioimg__arc *a, const char *path, size_t max, char **data, size_t *len)
{
    crioimg__arc_rd rd;
    crioimg_result r = crioimg__arc_open(a, path, &rd);
    size_t got = 0, n;
    char *b;
    *data = NULL;
    *len = 0;
    if (r != CRIOIMG_OK) return r;
    if (rd.left > (long long)max) {
        crioimg__arc_rd_close(&rd);
        return crioimg__arc_fail(a, CRIOIMG_ERR_TOO_BIG, "%s: %lld bytes, over the %lu-byte limit", path, rd.left, (unsigned long)max);
    }
    if ((b = (char *)crioimg_malloc(&a->alloc, (size_t)rd.left + 1)) == NULL) {
        crioimg__arc_rd_close(&rd);
        return crioimg__arc_fail(a, CRIOIMG_ERR_NOMEM, "out of memory");
    }
    while ((r = crioimg__arc_read(a, &rd, b + got, (size_t)rd.left, &n)) == CRIOIMG_OK && n > 0) got += n;
    crioimg__arc_rd_close(&rd);
    if (r != CRIOIMG_OK) { crioimg_free(&a->alloc, b); return r; }
    b[got] = '\0';
    *data = b;
    *len = got;
    return CRIOIMG_OK;
}

/* ---- landing blobs ---- */

/* Streams file path into the store as blob digest of size bytes (-1: unknown); the store's writer
   hashes and counts, and commits only a match. A blob the store has is not read again. */
static crioimg_result crioimg__arc_put(crioimg__arc *a, crioimg_store *s, const char *path, const char *digest, long long size,
                                       crioimg_archive_load_result *res)
{
    crioimg__arc_rd rd;
    crioimg_blob_writer *w = NULL;
    crioimg_result r;
    long long have;
    size_t n;
    if (crioimg_store_blob_stat(s, digest, &have) == CRIOIMG_OK && (size < 0 || have == size)) {
        if (res) res->blobs_skipped++;
        return CRIOIMG_OK;
    }
    if ((r = crioimg__arc_open(a, path, &rd)) != CRIOIMG_OK) return r;
    if (size >= 0 && rd.left != size) {
        crioimg__arc_rd_close(&rd);
        return crioimg__arc_fail(a, CRIOIMG_ERR_SIZE_MISMATCH, "%s: %lld bytes, its descriptor says %lld (%s)", path, rd.left, size, digest);
    }
    if ((r = crioimg_store_blob_begin(s, digest, size, &w)) != CRIOIMG_OK) {
        crioimg__arc_rd_close(&rd);
        return crioimg__arc_fail(a, r, "%s: storing %s: %s", path, digest, crioimg_store_error(s));
    }
    {
        long long done = 0, total = rd.left;
        while ((r = crioimg__arc_read(a, &rd, a->buf, CRIOIMG__ARC_BUF, &n)) == CRIOIMG_OK && n > 0) {
            if ((r = crioimg_blob_writer_write(w, a->buf, n)) != CRIOIMG_OK) {
                crioimg__arc_fail(a, r, "%s: storing %s: %s", path, digest, crioimg_store_error(s));
                break;
            }
            done += (long long)n;
            crioimg__arc_progress(a->progress, a->progress_user, digest, done, total, a->pindex, a->pcount);
        }
    }
    crioimg__arc_rd_close(&rd);
    if (r != CRIOIMG_OK) { crioimg_blob_writer_abort(w); return r; }
    r = crioimg_blob_writer_commit(w);
    if (r == CRIOIMG_ERR_DIGEST_MISMATCH) return crioimg__arc_fail(a, r, "%s: content does not match its digest %s", path, digest);
    if (r != CRIOIMG_OK) return crioimg__arc_fail(a, r, "%s: storing %s: %s", path, digest, crioimg_store_error(s));
    crioimg__arc_wrote(a, digest);
    if (res) res->blobs_stored++;
    return CRIOIMG_OK;
}

/* A docker-archive layer: the file uncompressed (gzip inflated on the way, as c/image's
   AutoDecompress does) lands as blob diff_id; the store verifies the diff ID before commit. *size is
   the uncompressed size. bzip2, xz and zstd are refused by name. */
static crioimg_result crioimg__arc_put_layer(crioimg__arc *a, crioimg_store *s, const char *path, const char *diff_id, long long *size,
                                             crioimg_archive_load_result *res)
{
    crioimg__arc_rd rd;
    crioimg_blob_writer *w = NULL;
    crioimg_inflate *z = NULL;
    crioimg_result r;
    size_t n;
    int first = 1;
    long long have = -1;
    *size = 0;
    if (crioimg_store_blob_stat(s, diff_id, &have) == CRIOIMG_OK) {
        *size = have;
        if (res) res->blobs_skipped++;
        return CRIOIMG_OK;
    }
    if ((r = crioimg__arc_open(a, path, &rd)) != CRIOIMG_OK) return r;
    if ((r = crioimg_store_blob_begin(s, diff_id, -1, &w)) != CRIOIMG_OK) {
        crioimg__arc_rd_close(&rd);
        return crioimg__arc_fail(a, r, "%s: storing %s: %s", path, diff_id, crioimg_store_error(s));
    }
    while ((r = crioimg__arc_read(a, &rd, a->buf, CRIOIMG__ARC_BUF, &n)) == CRIOIMG_OK && n > 0) {
        size_t ip = 0;
        if (first) {
            const unsigned char *m = a->buf;
            first = 0;
            if (n >= 2 && m[0] == 0x1f && m[1] == 0x8b) {
                crioimg_inflate_opts zo;
                memset(&zo, 0, sizeof zo);
                zo.alloc = a->alloc;
                if ((r = crioimg_inflate_new(&z, &zo)) != CRIOIMG_OK) { crioimg__arc_fail(a, r, "out of memory"); break; }
            } else if ((n >= 3 && memcmp(m, "BZh", 3) == 0) || (n >= 6 && memcmp(m, "\xfd" "7zXZ", 5) == 0) ||
                       (n >= 4 && memcmp(m, "\x28\xb5\x2f\xfd", 4) == 0)) {
                r = crioimg__arc_fail(a, CRIOIMG_ERR_UNSUPPORTED, "%s: compressed with bzip2, xz or zstd: only gzip and plain tar layers are read", path);
                break;
            }
        }
        if (z == NULL) {
            if ((r = crioimg_blob_writer_write(w, a->buf, n)) != CRIOIMG_OK) break;
            *size += (long long)n;
            crioimg__arc_progress(a->progress, a->progress_user, diff_id, *size, rd.left == 0 ? *size : -1, a->pindex, a->pcount);
            continue;
        }
        while (ip < n) {
            size_t used = 0, got = 0;
            r = crioimg_inflate_run(z, a->buf + ip, n - ip, &used, a->zbuf, CRIOIMG__ARC_BUF, &got, NULL);
            if (r != CRIOIMG_OK) { crioimg__arc_fail(a, r, "%s: %s", path, crioimg_inflate_error(z)); break; }
            ip += used;
            if (got && (r = crioimg_blob_writer_write(w, a->zbuf, got)) != CRIOIMG_OK) break;
            *size += (long long)got;
            if (used == 0 && got == 0) break;
        }
        if (r != CRIOIMG_OK) break;
        crioimg__arc_progress(a->progress, a->progress_user, diff_id, *size, rd.left == 0 ? *size : -1, a->pindex, a->pcount);
    }
    if (r == CRIOIMG_OK && z && (r = crioimg_inflate_finish(z)) != CRIOIMG_OK) crioimg__arc_fail(a, r, "%s: %s", path, crioimg_inflate_error(z));
    crioimg_inflate_free(z);
    crioimg__arc_rd_close(&rd);
    if (r != CRIOIMG_OK) {
        crioimg_blob_writer_abort(w);
        if (a->err && a->err[0] == '\0') crioimg__arc_fail(a, r, "%s: storing %s: %s", path, diff_id, crioimg_store_error(s));
        return r;
    }
    r = crioimg_blob_writer_commit(w);
    if (r == CRIOIMG_ERR_DIGEST_MISMATCH) return crioimg__arc_fail(a, r, "layer %s: content does not match its diff ID %s", path, diff_id);
    if (r != CRIOIMG_OK) return crioimg__arc_fail(a, r, "%s: storing %s: %s", path, diff_id, crioimg_store_error(s));
    crioimg__arc_wrote(a, diff_id);
    if (res) res->blobs_stored++;
    return CRIOIMG_OK;
}

/* ---- documents ---- */

/* Parses a small JSON document read from the source (strings never hold NUL: they become paths). */
static crioimg_result crioimg__arc_json(crioimg__arc *a, const char *path, const char *buf, size_t len, crioimg_json *d)
{
    crioimg_json_opts jo;
    crioimg_result r;
    memset(&jo, 0, sizeof jo);
    jo.alloc = a->alloc;
    jo.max_size = CRIOIMG__ARC_MAX_DOC;
    /* manifest.json and configs: 128 Ki values (a few MiB of tokens) is thousands of images or layers;
       4 MiB of "[1,1,1..." would otherwise take 2 Mi tokens, some 80 MiB */
    jo.max_tokens = (size_t)1 << 17;
    r = crioimg_json_parse(d, buf, len, &jo);
    if (r != CRIOIMG_OK) return crioimg__arc_fail(a, r, "%s: line %lu: %s", path, d->err_line, d->err);
    return CRIOIMG_OK;
}

/* 1 when token t is an array of strings (or, with nullable, null or absent). */
static int crioimg__arc_strings(const crioimg_json *d, size_t t, int nullable)
{
    size_t i, k;
    if (t == CRIOIMG_JSON_NONE || t >= d->ntok || d->tok[t].type == CRIOIMG_JSON_NULL) return nullable;
    if (d->tok[t].type != CRIOIMG_JSON_ARRAY) return 0;
    for (i = t + 1, k = 0; k < d->tok[t].count; k++, i = d->tok[i].next)
        if (d->tok[i].type != CRIOIMG_JSON_STRING) return 0;
    return 1;
}

/* The k-th element of array t (k < count). */
static size_t crioimg__arc_elem(const crioimg_json *d, size_t t, size_t k)
{
    size_t i = t + 1;
    while (k--) i = d->tok[i].next;
    return i;
}

/* docker-archive manifest.json: an array of items, each {"Config": string, "RepoTags": null or
   [string], "Layers": [string]} (other keys, such as Parent and LayerSources, are ignored). err
   names the item and field that is wrong. */
CRIOIMG__LIB crioimg_result crioimg__arc_docker_check(const crioimg_json *d, char *err, size_t errcap)
{
    size_t i, k;
    if (d->tok[0].type != CRIOIMG_JSON_ARRAY) { snprintf(err, errcap, "manifest.json: not an array of images"); return CRIOIMG_ERR_ARCHIVE_INVALID; }
    for (i = 1, k = 0; k < d->tok[0].count; k++, i = d->tok[i].next) {
        size_t c = crioimg_json_get(d, i, "Config");
        const char *bad = NULL;
        if (d->tok[i].type != CRIOIMG_JSON_OBJECT) bad = "not an object";
        else if (c == CRIOIMG_JSON_NONE || d->tok[c].type != CRIOIMG_JSON_STRING || d->tok[c].len == 0) bad = "Config is not a file name";
        else if (!crioimg__arc_strings(d, crioimg_json_get(d, i, "Layers"), 0)) bad = "Layers is not a list of file names";
        else if (!crioimg__arc_strings(d, crioimg_json_get(d, i, "RepoTags"), 1)) bad = "RepoTags is not a list of names";
        if (bad) { snprintf(err, errcap, "manifest.json: item @%lu: %s", (unsigned long)k, bad); return CRIOIMG_ERR_ARCHIVE_INVALID; }
    }
    return CRIOIMG_OK;
}

/* ChooseManifestItem: the item with RepoTag ref (ref non-NULL), or item index (>= 0), or the only one.
   Error texts are containers/image's. */
CRIOIMG__LIB crioimg_result crioimg__arc_docker_choose(const crioimg_json *d, const crioimg_ref *ref, long long index, size_t *item,
                                                       char *err, size_t errcap)
{
    size_t n = d->tok[0].count, i, k, j;
    char want[CRIOIMG_REF_STRING_MAX + 1], tag[CRIOIMG_REF_STRING_MAX + 1], have[CRIOIMG_REF_STRING_MAX + 1];
    if (ref) {
        crioimg_ref_string(ref, want, sizeof want);
        for (i = 1, k = 0; k < n; k++, i = d->tok[i].next) {
            size_t tags = crioimg_json_get(d, i, "RepoTags");
            if (tags == CRIOIMG_JSON_NONE || d->tok[tags].type != CRIOIMG_JSON_ARRAY) continue;
            for (j = 0; j < d->tok[tags].count; j++) {
                crioimg_ref p;
                size_t l = crioimg_json_string(d, crioimg__arc_elem(d, tags, j), tag, sizeof tag);
                crioimg_result r = l < sizeof tag ? crioimg_ref_parse_normalized(&p, tag, l) : CRIOIMG_ERR_REF_FORMAT;
                if (r != CRIOIMG_OK) {
                    snprintf(err, errcap, "Invalid tag \"%.300s\" in manifest.json item @%lu: %s", tag, (unsigned long)k, crioimg_result_str(r));
                    return CRIOIMG_ERR_ARCHIVE_INVALID;
                }
                crioimg_ref_string(&p, have, sizeof have);
                if (strcmp(have, want) == 0) { *item = i; return CRIOIMG_OK; }
            }
        }
        snprintf(err, errcap, "Tag \"%.400s\" not found", want);
        return CRIOIMG_ERR_ARCHIVE_CHOICE;
    }
    if (index >= 0) {
        if ((unsigned long long)index >= n) {
            snprintf(err, errcap, "Invalid source index @%lld, only %lu manifest items available", index, (unsigned long)n);
            return CRIOIMG_ERR_ARCHIVE_CHOICE;
        }
        *item = crioimg__arc_elem(d, 0, (size_t)index);
        return CRIOIMG_OK;
    }
    if (n != 1) {
        snprintf(err, errcap, "Unexpected tar manifest.json: expected 1 item, got %lu", (unsigned long)n);
        return CRIOIMG_ERR_ARCHIVE_CHOICE;
    }
    *item = 1;
    return CRIOIMG_OK;
}

/* The config's rootfs.diff_ids, checked: each a valid digest. *ids is token index of the array. */
static crioimg_result crioimg__arc_diff_ids(crioimg__arc *a, const char *path, const crioimg_json *c, size_t *ids)
{
    size_t t = crioimg_json_get(c, crioimg_json_get(c, 0, "rootfs"), "diff_ids"), k;
    char dg[CRIOIMG_DIGEST_STRING_MAX + 2];
    if (!crioimg__arc_strings(c, t, 0)) return crioimg__arc_fail(a, CRIOIMG_ERR_ARCHIVE_INVALID, "%s: rootfs.diff_ids is not a list of digests", path);
    for (k = 0; k < c->tok[t].count; k++) {
        size_t l = crioimg_json_string(c, crioimg__arc_elem(c, t, k), dg, sizeof dg);
        if (l >= sizeof dg || crioimg_digest_validate(dg, l) != CRIOIMG_OK || strncmp(dg, "sha256:", 7) != 0)
            return crioimg__arc_fail(a, CRIOIMG_ERR_ARCHIVE_INVALID, "%s: rootfs.diff_ids[%lu] is not a sha256 digest", path, (unsigned long)k);
    }
    *ids = t;
    return CRIOIMG_OK;
}

/* "sha256:<hex>" of data. */
static void crioimg__arc_sha256(const void *data, size_t len, char out[72])
{
    static const char hx[] = "0123456789abcdef";
    unsigned char h[32];
    int i;
    crioimg_sha256(data, len, h);
    memcpy(out, "sha256:", 7);
    for (i = 0; i < 32; i++) { out[7 + 2 * i] = hx[h[i] >> 4]; out[8 + 2 * i] = hx[h[i] & 15]; }
    out[71] = '\0';
}

/* A growable text buffer for the documents we generate. */
typedef struct crioimg__arc_txt { char *p; size_t len, cap; int oom; const crioimg_allocator *alloc; } crioimg__arc_txt;

static void crioimg__arc_put_str(crioimg__arc_txt *t, const char *s)
{
    size_t n = strlen(s);
    if (t->oom) return;
    if (t->len + n + 1 > t->cap) {
        size_t c = t->cap ? t->cap : 1024;
        char *q;
        while (c < t->len + n + 1) c *= 2;
        if ((q = (char *)crioimg_realloc(t->alloc, t->p, c)) == NULL) { t->oom = 1; return; }
        t->p = q;
        t->cap = c;
    }
    memcpy(t->p + t->len, s, n + 1);
    t->len += n;
}

static void crioimg__arc_put_desc(crioimg__arc_txt *t, const char *mt, long long size, const char *digest)
{
    char num[32];
    snprintf(num, sizeof num, "%lld", size);
    crioimg__arc_put_str(t, "{\"mediaType\":\"");
    crioimg__arc_put_str(t, mt);
    crioimg__arc_put_str(t, "\",\"size\":");
    crioimg__arc_put_str(t, num);
    crioimg__arc_put_str(t, ",\"digest\":\"");
    crioimg__arc_put_str(t, digest);
    crioimg__arc_put_str(t, "\"}");
}

/* A config or manifest from memory; noted as written when the store did not have it. */
static crioimg_result crioimg__arc_put_small(crioimg__arc *a, crioimg_store *s, const char *digest, const void *data, size_t len)
{
    long long have;
    int fresh = crioimg_store_blob_stat(s, digest, &have) == CRIOIMG_ERR_NOT_FOUND;
    crioimg_result r = crioimg_store_put_blob(s, digest, data, len);
    if (r == CRIOIMG_OK && fresh) crioimg__arc_wrote(a, digest);
    return r;
}

/* Stores manifest text as a blob and records the image under names. */
static crioimg_result crioimg__arc_commit(crioimg__arc *a, crioimg_store *s, const char *mf, size_t len, const char *const *names,
                                          size_t nnames, crioimg_archive_load_result *res)
{
    char dg[72];
    crioimg_image_list l;
    crioimg_result r;
    size_t i;
    crioimg__arc_sha256(mf, len, dg);
    if (nnames == 0 && a->require_name) {
        if (a->bare) return crioimg__arc_fail(a, CRIOIMG_ERR_INVALID_ARGS, "\"%s\" is a tag, not an image name: give the name to store it under", a->bare);
        return crioimg__arc_fail(a, CRIOIMG_ERR_INVALID_ARGS, "the source names no image: give the name to store it under");
    }
    for (i = 0; i < nnames; i++) {   /* a name with a digest names this manifest, or it is a lie (as tag refuses it) */
        const char *at = strrchr(names[i], '@');
        if (at && strcmp(at + 1, dg) != 0)
            return crioimg__arc_fail(a, CRIOIMG_ERR_INVALID_ARGS, "name %s: its digest is not the image's manifest digest (%s)", names[i], dg);
    }
    if ((r = crioimg__arc_put_small(a, s, dg, mf, len)) != CRIOIMG_OK) return crioimg__arc_fail(a, r, "storing the manifest: %s", crioimg_store_error(s));
    if ((r = crioimg_store_add_image(s, dg, names, nnames)) != CRIOIMG_OK)
        return crioimg__arc_fail(a, r, "recording the image: %s", crioimg_store_error(s));
    snprintf(res->manifest_digest, sizeof res->manifest_digest, "%s", dg);
    if (nnames && !crioimg__st_norm(names[0], res->name, NULL)) snprintf(res->name, sizeof res->name, "%s", names[0]);
    memset(&l, 0, sizeof l);
    if (crioimg_store_image_status(s, nnames ? names[0] : dg + 7, &l) == CRIOIMG_OK) memcpy(res->id, l.images[0].id, sizeof res->id);
    crioimg_image_list_free(&l);
    if (nnames == 0) {
        /* an image without names: its ID is its config's, read back from the manifest we wrote */
        crioimg_manifest m;
        memset(&m, 0, sizeof m);
        if (crioimg_manifest_parse(&m, mf, len, NULL, NULL) == CRIOIMG_OK && strlen(m.config.digest) == 71)
            memcpy(res->id, m.config.digest + 7, 65);
        crioimg_manifest_free(&m);
    }
    return CRIOIMG_OK;
}

/* A list of names, each strdup'ed, for the image being stored. */
typedef struct crioimg__arc_names { char **v; size_t n; const crioimg_allocator *alloc; } crioimg__arc_names;

static crioimg_result crioimg__arc_name_add(crioimg__arc_names *nm, const char *s)
{
    char **v = (char **)crioimg_realloc(nm->alloc, nm->v, (nm->n + 1) * sizeof *v);
    if (v == NULL) return CRIOIMG_ERR_NOMEM;
    nm->v = v;
    if ((v[nm->n] = (char *)crioimg_malloc(nm->alloc, strlen(s) + 1)) == NULL) return CRIOIMG_ERR_NOMEM;
    strcpy(v[nm->n++], s);
    return CRIOIMG_OK;
}

static void crioimg__arc_names_free(crioimg__arc_names *nm)
{
    size_t i;
    for (i = 0; i < nm->n; i++) crioimg_free(nm->alloc, nm->v[i]);
    crioimg_free(nm->alloc, nm->v);
    nm->v = NULL;
    nm->n = 0;
}

/* docker-archive: the chosen item's config and layers, then the Docker schema 2 manifest c/image
   generates (GetManifest in docker/internal/tarfile/src.go): compact, fields in Go's struct order. */
static CRIOIMG__NOINLINE crioimg_result crioimg__arc_docker(crioimg__arc *a, crioimg_store *s, const crioimg_image_name *in, const crioimg_archive_load_opts *o,
                                          crioimg_archive_load_result *res)
{
    char *mj = NULL, *cfg = NULL, *path = a->path, dg[72], did[CRIOIMG_DIGEST_STRING_MAX + 2], num[8];
    size_t mlen, clen, item = 0, layers, ids = 0, k, j;
    crioimg_json d, c;
    crioimg_result r;
    crioimg__arc_txt t;
    crioimg__arc_names nm;
    memset(&d, 0, sizeof d);
    memset(&c, 0, sizeof c);
    memset(&t, 0, sizeof t);
    memset(&nm, 0, sizeof nm);
    t.alloc = nm.alloc = &a->alloc;
    (void)num;
    if ((r = crioimg__arc_slurp(a, "manifest.json", CRIOIMG__ARC_MAX_DOC, &mj, &mlen)) != CRIOIMG_OK) goto done;
    if ((r = crioimg__arc_json(a, "manifest.json", mj, mlen, &d)) != CRIOIMG_OK) goto done;
    {
        char e[512];
        r = crioimg__arc_docker_check(&d, e, sizeof e);
        if (r == CRIOIMG_OK) r = crioimg__arc_docker_choose(&d, in->has_ref ? &in->ref : NULL, in->archive_index, &item, e, sizeof e);
        if (r != CRIOIMG_OK) { crioimg__arc_fail(a, r, "%s", e); goto done; }
    }
    crioimg_json_string(&d, crioimg_json_get(&d, item, "Config"), path, CRIOIMG__ARC_PATH);
    if ((r = crioimg__arc_slurp(a, path, CRIOIMG__ARC_MAX_DOC, &cfg, &clen)) != CRIOIMG_OK) goto done;
    if ((r = crioimg__arc_json(a, path, cfg, clen, &c)) != CRIOIMG_OK) goto done;
    if ((r = crioimg__arc_diff_ids(a, path, &c, &ids)) != CRIOIMG_OK) goto done;
    layers = crioimg_json_get(&d, item, "Layers");
    if (d.tok[layers].count != c.tok[ids].count) {
        r = crioimg__arc_fail(a, CRIOIMG_ERR_ARCHIVE_INVALID, "Inconsistent layer count: %lu in manifest, %lu in config",
                              (unsigned long)d.tok[layers].count, (unsigned long)c.tok[ids].count);
        goto done;
    }
    /* every layer file is there and readable before anything is stored */
    for (k = 0; k < d.tok[layers].count; k++) {
        crioimg__arc_rd rd;
        crioimg_json_string(&d, crioimg__arc_elem(&d, layers, k), path, CRIOIMG__ARC_PATH);
        if ((r = crioimg__arc_open(a, path, &rd)) != CRIOIMG_OK) goto done;
        crioimg__arc_rd_close(&rd);
    }
    crioimg__arc_sha256(cfg, clen, dg);
    if ((r = crioimg__arc_put_small(a, s, dg, cfg, clen)) != CRIOIMG_OK) { crioimg__arc_fail(a, r, "storing the config: %s", crioimg_store_error(s)); goto done; }
    res->blobs_stored++;
    a->pcount = 1 + d.tok[layers].count;
    crioimg__arc_progress(a->progress, a->progress_user, dg, (long long)clen, (long long)clen, 0, a->pcount);
    crioimg__arc_put_str(&t, "{\"schemaVersion\":2,\"mediaType\":\"" CRIOIMG_MEDIA_DOCKER_MANIFEST "\",\"config\":");
    crioimg__arc_put_desc(&t, "application/vnd.docker.container.image.v1+json", (long long)clen, dg);
    crioimg__arc_put_str(&t, ",\"layers\":[");
    for (k = 0; k < d.tok[layers].count; k++) {
        long long size = 0;
        crioimg_json_string(&d, crioimg__arc_elem(&d, layers, k), path, CRIOIMG__ARC_PATH);
        crioimg_json_string(&c, crioimg__arc_elem(&c, ids, k), did, sizeof did);
        a->pindex = k + 1;
        if ((r = crioimg__arc_put_layer(a, s, path, did, &size, res)) != CRIOIMG_OK) goto done;
        if (k) crioimg__arc_put_str(&t, ",");
        /* c/image labels the uncompressed layers it serves with the gzip type: so it is written */
        crioimg__arc_put_desc(&t, "application/vnd.docker.image.rootfs.diff.tar.gzip", size, did);
    }
    crioimg__arc_put_str(&t, "]}");
    if (t.oom) { r = crioimg__arc_fail(a, CRIOIMG_ERR_NOMEM, "out of memory"); goto done; }
    /* names: those given, else the reference chosen by, else every RepoTag of the item */
    if (o && o->nnames) {
        for (j = 0; j < o->nnames && r == CRIOIMG_OK; j++) r = crioimg__arc_name_add(&nm, o->names[j]);
    } else if (in->has_ref) {
        crioimg_ref_string(&in->ref, path, CRIOIMG__ARC_PATH);
        r = crioimg__arc_name_add(&nm, path);
    } else {
        size_t tags = crioimg_json_get(&d, item, "RepoTags");
        for (j = 0; tags != CRIOIMG_JSON_NONE && d.tok[tags].type == CRIOIMG_JSON_ARRAY && j < d.tok[tags].count && r == CRIOIMG_OK; j++) {
            crioimg_json_string(&d, crioimg__arc_elem(&d, tags, j), path, CRIOIMG__ARC_PATH);
            r = crioimg__arc_name_add(&nm, path);
        }
    }
    if (r != CRIOIMG_OK) { crioimg__arc_fail(a, r, "out of memory"); goto done; }
    r = crioimg__arc_commit(a, s, t.p, t.len, (const char *const *)nm.v, nm.n, res);
done:
    crioimg__arc_names_free(&nm);
    crioimg_free(&a->alloc, t.p);
    crioimg_json_free(&d);
    crioimg_json_free(&c);
    crioimg_free(&a->alloc, mj);
    crioimg_free(&a->alloc, cfg);
    return r;
}

/* Where blob digest is: blobs/<alg>/<hex> in an OCI layout, <hex> in a dir: directory. The digest is
   validated first: it becomes a path. */
static crioimg_result crioimg__arc_blob_path(crioimg__arc *a, int dir, const char *digest, char *out, size_t cap)
{
    const char *colon = strchr(digest, ':');
    if (crioimg_digest_validate(digest, strlen(digest)) != CRIOIMG_OK || colon == NULL)
        return crioimg__arc_fail(a, CRIOIMG_ERR_DIGEST_FORMAT, "invalid digest \"%.140s\"", digest);
    if (dir) snprintf(out, cap, "%s", colon + 1);
    else snprintf(out, cap, "blobs/%.*s/%s", (int)(colon - digest), digest, colon + 1);
    return CRIOIMG_OK;
}

/* A manifest or index by descriptor (or, desc NULL, the file path itself), read whole, checked against
   the descriptor's size and digest, parsed. *raw keeps its bytes (free with a->alloc). */
static crioimg_result crioimg__arc_manifest(crioimg__arc *a, const char *path, const crioimg_store_entry *desc, crioimg_manifest *m,
                                            char **raw, size_t *len)
{
    crioimg_manifest_opts mo;
    crioimg_result r;
    crioimg_digest want;
    memset(&mo, 0, sizeof mo);
    mo.alloc = a->alloc;
    if ((r = crioimg__arc_slurp(a, path, CRIOIMG__ARC_MAX_DOC, raw, len)) != CRIOIMG_OK) return r;
    if (desc) {
        if (desc->size >= 0 && (long long)*len != desc->size)
            return crioimg__arc_fail(a, CRIOIMG_ERR_SIZE_MISMATCH, "%s: %lu bytes, its descriptor says %lld", path, (unsigned long)*len, desc->size);
        if ((r = crioimg_digest_parse(&want, desc->digest, strlen(desc->digest))) != CRIOIMG_OK ||
            (r = crioimg_digest_verify(&want, *raw, *len)) != CRIOIMG_OK)
            return crioimg__arc_fail(a, r, "%s: content does not match its digest %s", path, desc->digest);
    }
    r = crioimg_manifest_parse(m, *raw, *len, desc && desc->media_type[0] ? desc->media_type : NULL, &mo);
    if (r != CRIOIMG_OK) return crioimg__arc_fail(a, r, "%s: %s", path, m->err);
    return CRIOIMG_OK;
}

/* The image manifest for the platform: top itself, or the instance an index chooses (read into m). */
static crioimg_result crioimg__arc_image(crioimg__arc *a, int dir, crioimg_manifest *m, char **raw, size_t *len,
                                         const crioimg_archive_load_opts *o)
{
    crioimg_store_entry e;
    crioimg_result r;
    size_t which;
    char path[256], why[512];
    const crioimg_descriptor *d;
    if (m->kind != CRIOIMG_MANIFEST_OCI_INDEX && m->kind != CRIOIMG_MANIFEST_DOCKER_LIST) return CRIOIMG_OK;
    r = crioimg_manifest_choose(m, o ? o->platform : NULL, &which, why, sizeof why);
    if (r != CRIOIMG_OK) return crioimg__arc_fail(a, r, "choosing the image in the index: %s", why);
    d = &m->manifests[which];
    e.name = "";
    e.media_type = d->media_type;
    e.digest = d->digest;
    e.size = d->size;
    if (dir) {
        const char *colon = strchr(d->digest, ':');
        if (crioimg_digest_validate(d->digest, strlen(d->digest)) != CRIOIMG_OK || colon == NULL)
            return crioimg__arc_fail(a, CRIOIMG_ERR_DIGEST_FORMAT, "invalid digest in the list");
        snprintf(path, sizeof path, "%s.manifest.json", colon + 1);
    } else if ((r = crioimg__arc_blob_path(a, 0, d->digest, path, sizeof path)) != CRIOIMG_OK) return r;
    {
        crioimg_manifest inner;
        char *iraw = NULL;
        size_t ilen = 0;
        memset(&inner, 0, sizeof inner);
        r = crioimg__arc_manifest(a, path, &e, &inner, &iraw, &ilen);
        if (r == CRIOIMG_OK && (inner.kind == CRIOIMG_MANIFEST_OCI_INDEX || inner.kind == CRIOIMG_MANIFEST_DOCKER_LIST))
            r = crioimg__arc_fail(a, CRIOIMG_ERR_MANIFEST_UNSUPPORTED, "%s: an index inside an index", path);
        if (r != CRIOIMG_OK) { crioimg_manifest_free(&inner); crioimg_free(&a->alloc, iraw); return r; }
        crioimg_manifest_free(m);
        crioimg_free(&a->alloc, *raw);
        *m = inner;
        *raw = iraw;
        *len = ilen;
    }
    return CRIOIMG_OK;
}

/* Config and layers of m, each streamed against its descriptor, then the manifest and the record. */
static crioimg_result crioimg__arc_blobs(crioimg__arc *a, crioimg_store *s, int dir, const crioimg_manifest *m, const char *raw,
                                         size_t len, const char *const *names, size_t nnames, crioimg_archive_load_result *res)
{
    char path[256];
    crioimg_result r;
    size_t k;
    /* every blob is there with its descriptor's size before anything is stored */
    for (k = 0; k <= m->nlayers; k++) {
        const crioimg_descriptor *d = k == 0 ? &m->config : &m->layers[k - 1];
        crioimg__arc_rd rd;
        if ((r = crioimg__arc_blob_path(a, dir, d->digest, path, sizeof path)) != CRIOIMG_OK) return r;
        if ((r = crioimg__arc_open(a, path, &rd)) != CRIOIMG_OK) return r;
        crioimg__arc_rd_close(&rd);
        if (d->size >= 0 && rd.left != d->size)
            return crioimg__arc_fail(a, CRIOIMG_ERR_SIZE_MISMATCH, "%s: %lld bytes, its descriptor says %lld (%s)", path, rd.left, d->size, d->digest);
    }
    a->pcount = 1 + m->nlayers;
    for (k = 0; k <= m->nlayers; k++) {
        const crioimg_descriptor *d = k == 0 ? &m->config : &m->layers[k - 1];
        a->pindex = k;
        if ((r = crioimg__arc_blob_path(a, dir, d->digest, path, sizeof path)) != CRIOIMG_OK) return r;
        if ((r = crioimg__arc_put(a, s, path, d->digest, d->size, res)) != CRIOIMG_OK) return r;
    }
    return crioimg__arc_commit(a, s, raw, len, names, nnames, res);
}

/* The index.json entry containers/image's oci transport picks: with a reference, the first OCI
   manifest or index whose ref.name is it; without, the only entry. */
CRIOIMG__LIB crioimg_result crioimg__arc_oci_choose(const crioimg_store_entry *e, size_t n, const char *ref, size_t *which,
                                                    char *err, size_t errcap)
{
    size_t i;
    if (ref == NULL || ref[0] == '\0') {
        if (n == 1) { *which = 0; return CRIOIMG_OK; }
        snprintf(err, errcap, n == 0 ? "no descriptor found for reference \"\"" : "more than one image in oci, choose an image");
        return CRIOIMG_ERR_ARCHIVE_CHOICE;
    }
    for (i = 0; i < n; i++) {
        if (strcmp(e[i].media_type, CRIOIMG_MEDIA_OCI_MANIFEST) != 0 && strcmp(e[i].media_type, CRIOIMG_MEDIA_OCI_INDEX) != 0) continue;
        if (strcmp(e[i].name, ref) == 0) { *which = i; return CRIOIMG_OK; }
    }
    snprintf(err, errcap, "no descriptor found for reference \"%.400s\"", ref);
    return CRIOIMG_ERR_ARCHIVE_CHOICE;
}

/* oci:DIR[:REF] and oci-archive:FILE[:REF]. */
static CRIOIMG__NOINLINE crioimg_result crioimg__arc_oci(crioimg__arc *a, crioimg_store *s, const crioimg_image_name *in, const crioimg_archive_load_opts *o,
                                       crioimg_archive_load_result *res)
{
    char *ij = NULL, *raw = NULL, ref[1024], path[256], e[512];
    size_t ilen, len = 0, n = 0, which = 0;
    crioimg_store_entry *ents = NULL;
    crioimg_manifest m;
    crioimg_result r;
    const char *name = NULL;
    memset(&m, 0, sizeof m);
    snprintf(ref, sizeof ref, "%.*s", (int)in->oci_ref.len, in->oci_ref.ptr ? in->oci_ref.ptr : "");
    if ((r = crioimg__arc_slurp(a, "index.json", CRIOIMG__ARC_MAX_DOC, &ij, &ilen)) != CRIOIMG_OK) goto done;
    if ((r = crioimg_store_index_parse(ij, ilen, &a->alloc, &ents, &n, e, sizeof e)) != CRIOIMG_OK) {
        crioimg__arc_fail(a, CRIOIMG_ERR_ARCHIVE_INVALID, "index.json: %s", e);
        r = CRIOIMG_ERR_ARCHIVE_INVALID;
        goto done;
    }
    if ((r = crioimg__arc_oci_choose(ents, n, ref, &which, e, sizeof e)) != CRIOIMG_OK) { crioimg__arc_fail(a, r, "%s", e); goto done; }
    if ((r = crioimg__arc_blob_path(a, 0, ents[which].digest, path, sizeof path)) != CRIOIMG_OK) goto done;
    if ((r = crioimg__arc_manifest(a, path, &ents[which], &m, &raw, &len)) != CRIOIMG_OK) goto done;
    if ((r = crioimg__arc_image(a, 0, &m, &raw, &len, o)) != CRIOIMG_OK) goto done;
    /* a ref.name that reads as an image name ("busybox:1", "quay.io/x/y:v2") names it; a bare tag
       ("latest", "v1") does not: it would become docker.io/library/latest */
    if (!(o && o->nnames) && ents[which].name[0] && strpbrk(ents[which].name, ":/")) {
        crioimg_ref t;
        if (crioimg_ref_parse_normalized(&t, ents[which].name, strlen(ents[which].name)) == CRIOIMG_OK) name = ents[which].name;
    }
    if (name == NULL && ents[which].name[0]) a->bare = ents[which].name;
    if (o && o->nnames) r = crioimg__arc_blobs(a, s, 0, &m, raw, len, o->names, o->nnames, res);
    else r = crioimg__arc_blobs(a, s, 0, &m, raw, len, name ? &name : NULL, name ? 1 : 0, res);
done:
    crioimg_manifest_free(&m);
    crioimg_free(&a->alloc, raw);
    crioimg_free(&a->alloc, ents);
    crioimg_free(&a->alloc, ij);
    return r;
}

/* dir:DIR: manifest.json, blobs named by their hex (a list's instances as <hex>.manifest.json). */
static CRIOIMG__NOINLINE crioimg_result crioimg__arc_dir(crioimg__arc *a, crioimg_store *s, const crioimg_archive_load_opts *o, crioimg_archive_load_result *res)
{
    char *raw = NULL;
    size_t len = 0;
    crioimg_manifest m;
    crioimg_result r;
    memset(&m, 0, sizeof m);
    r = crioimg__arc_manifest(a, "manifest.json", NULL, &m, &raw, &len);
    if (r == CRIOIMG_OK) r = crioimg__arc_image(a, 1, &m, &raw, &len, o);
    if (r == CRIOIMG_OK) r = crioimg__arc_blobs(a, s, 1, &m, raw, len, o ? o->names : NULL, o ? o->nnames : 0, res);
    crioimg_manifest_free(&m);
    crioimg_free(&a->alloc, raw);
    return r;
}

int crioimg_archive_is_source(const char *name)
{
    static const char *const pre[] = { "oci:", "oci-archive:", "docker-archive:", "dir:" };
    size_t i;
    if (name == NULL) return 0;
    for (i = 0; i < sizeof pre / sizeof pre[0]; i++)
        if (strncmp(name, pre[i], strlen(pre[i])) == 0) return 1;
    return 0;
}

crioimg_result crioimg_archive_load(crioimg_store *s, const char *source, const crioimg_archive_load_opts *opts,
                                    crioimg_archive_load_result *out, char *err, size_t errcap)
{
    crioimg__arc a;
    crioimg_image_name in;
    crioimg_archive_load_result res;
    crioimg_result r;
    char *path;
    size_t i;
    memset(&a, 0, sizeof a);
    memset(&res, 0, sizeof res);
    if (out) memset(out, 0, sizeof *out);
    if (err && errcap) err[0] = '\0';
    if (s == NULL || source == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    a.fd = a.dirfd = -1;
    a.err = err;
    a.errcap = errcap;
    a.what = source;
    if (opts) { a.progress = opts->progress; a.progress_user = opts->progress_user; a.cancel = opts->cancel; a.require_name = opts->require_name; }
    r = crioimg_image_name_parse(&in, source, strlen(source), err, errcap, NULL);
    if (r != CRIOIMG_OK) return r;
    if (!crioimg_archive_is_source(source) || in.path.len == 0 || in.path.len >= CRIOIMG__ARC_PATH)
        return crioimg__arc_fail(&a, CRIOIMG_ERR_UNSUPPORTED, "not an oci:, oci-archive:, docker-archive: or dir: image");
    /* the two buffers, the cleaned-path and manifest.json-path scratch, the source's path: one allocation */
    if ((a.buf = (unsigned char *)crioimg_malloc(&a.alloc, 2 * CRIOIMG__ARC_BUF + 3 * CRIOIMG__ARC_PATH)) == NULL)
        return crioimg__arc_fail(&a, CRIOIMG_ERR_NOMEM, "out of memory");
    a.zbuf = a.buf + CRIOIMG__ARC_BUF;
    a.clean = (char *)a.buf + 2 * CRIOIMG__ARC_BUF;
    a.path = a.clean + CRIOIMG__ARC_PATH;
    path = a.path + CRIOIMG__ARC_PATH;
    memcpy(path, in.path.ptr, in.path.len);
    path[in.path.len] = '\0';
    if (in.transport == CRIOIMG_TRANSPORT_OCI || in.transport == CRIOIMG_TRANSPORT_DIR) {
        a.dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (a.dirfd < 0) r = crioimg__arc_fail(&a, errno == ENOENT ? CRIOIMG_ERR_NOT_FOUND : CRIOIMG_ERR_IO, "%s", strerror(errno));
    } else {
        a.fd = open(path, O_RDONLY | O_CLOEXEC);
        if (a.fd < 0) r = crioimg__arc_fail(&a, errno == ENOENT ? CRIOIMG_ERR_NOT_FOUND : CRIOIMG_ERR_IO, "%s", strerror(errno));
        else r = crioimg__arc_index(&a);
    }
    if (r == CRIOIMG_OK && (r = crioimg__store_index_ok(s)) != CRIOIMG_OK)   /* before any blob: see the function */
        r = crioimg__arc_fail(&a, r, "%s", crioimg_store_error(s));
    if (r == CRIOIMG_OK) {
        if (in.transport == CRIOIMG_TRANSPORT_DOCKER_ARCHIVE) r = crioimg__arc_docker(&a, s, &in, opts, &res);
        else if (in.transport == CRIOIMG_TRANSPORT_DIR) r = crioimg__arc_dir(&a, s, opts, &res);
        else r = crioimg__arc_oci(&a, s, &in, opts, &res);
    }
    if (r != CRIOIMG_OK && a.nwrote) {   /* nothing of a failed load stays: what it wrote goes again */
        const char **d = (const char **)crioimg_malloc(&a.alloc, a.nwrote * sizeof *d);
        if (d) {
            for (i = 0; i < a.nwrote; i++) d[i] = a.wrote[i];
            crioimg__gc_take_back(s, d, a.nwrote);
            crioimg_free(&a.alloc, (void *)d);
        }
    }
    crioimg_free(&a.alloc, a.wrote);
    for (i = 0; i < a.n; i++) crioimg_free(&a.alloc, a.ents[i].path);
    crioimg_free(&a.alloc, a.ents);
    crioimg_free(&a.alloc, a.buf);
    if (a.fd >= 0) close(a.fd);
    if (a.dirfd >= 0) close(a.dirfd);
    if (r == CRIOIMG_OK && out) *out = res;
    return r;
}

/* ---- save: a sink of files, a tar or a directory, made under a temporary name ---- */

#define CRIOIMG__SINK_TMP (CRIOIMG__ARC_PATH + 104)   /* path + ".crioimg-tmp-" + a pid */
typedef struct crioimg__sink {
    crioimg_allocator alloc;
    crioimg_archive_format fmt;
    crioimg_tar_writer *tw;
    int fd;                    /* the temporary archive; or, for a directory, the file being written */
    int dirfd;                 /* the temporary directory (OCI_DIR) */
    char *tmp, *final;         /* CRIOIMG__SINK_TMP and CRIOIMG__ARC_PATH bytes, after the save's buffers
                                  (heap: 8 KiB off crioimg_archive_save's stack) */
    char *err;
    size_t errcap;
    crioimg_hasher h;          /* docker-archive layers: the diff ID of what is written */
    int hashing;
    char (*done)[72];          /* blobs written, by digest: each goes in once */
    size_t ndone;
    crioimg_archive_progress_fn progress;
    void *progress_user;
    const volatile int *cancel;
    const char *cur;           /* the blob being written, for progress */
    size_t pindex, pcount;
    long long cur_done, cur_total;
    long long written, flushed; /* bytes written to fd, and how many writeback has been started for */
    int exact;                 /* learn each gzip layer's size by inflating it (not from its trailer) */
    int guess_wrong;           /* a trailer's size was not the layer's: start again with exact */
} crioimg__sink;

static crioimg_result crioimg__sink_fail(crioimg__sink *k, crioimg_result r, const char *fmt, ...)
{
    va_list ap;
    int n;
    if (k == NULL || k->err == NULL || k->errcap == 0 || k->err[0]) return r;
    n = snprintf(k->err, k->errcap, "%s: ", k->final);
    if (n < 0 || (size_t)n >= k->errcap) return r;
    va_start(ap, fmt);
    vsnprintf(k->err + n, k->errcap - (size_t)n, fmt, ap);
    va_end(ap);
    return r;
}

static crioimg_result crioimg__sink_write_fd(crioimg__sink *k, const void *data, size_t len)
{
    const unsigned char *p = (const unsigned char *)data;
    k->written += (long long)len;
    while (len) {
        ssize_t w = write(k->fd, p, len);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return CRIOIMG_ERR_IO;
        p += w;
        len -= (size_t)w;
    }
    crioimg__writeback(k->fd, k->written, &k->flushed);
    return CRIOIMG_OK;
}

static crioimg_result crioimg__sink_tar_out(void *user, const void *data, size_t len)
{
    return crioimg__sink_write_fd((crioimg__sink *)user, data, len);
}

/* One tar header with the fixed owner (0/0, no names) and mtime (0) that make a save reproducible. */
static crioimg_result crioimg__sink_header(crioimg__sink *k, int type, const char *path, unsigned mode, long long size)
{
    crioimg_tar_entry e;
    memset(&e, 0, sizeof e);
    e.type = type;
    e.path = path;
    e.linkname = e.uname = e.gname = "";
    e.mode = mode;
    e.size = size;
    return crioimg_tar_write_header(k->tw, &e);
}

/* A directory entry ("blobs/"). */
static crioimg_result crioimg__sink_dir(crioimg__sink *k, const char *path)
{
    if (k->tw) return crioimg__sink_header(k, CRIOIMG_TAR_DIR, path, 0755, 0);
    if (mkdirat(k->dirfd, path, 0755) != 0) return crioimg__sink_fail(k, CRIOIMG_ERR_IO, "%s: %s", path, strerror(errno));
    return CRIOIMG_OK;
}

/* Starts file path of size bytes; content follows with crioimg__sink_data, then crioimg__sink_end. */
static crioimg_result crioimg__sink_file(crioimg__sink *k, const char *path, long long size)
{
    if (k->tw) return crioimg__sink_header(k, CRIOIMG_TAR_FILE, path, 0644, size);
    k->fd = openat(k->dirfd, path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    k->written = k->flushed = 0;
    if (k->fd < 0) return crioimg__sink_fail(k, CRIOIMG_ERR_IO, "%s: %s", path, strerror(errno));
    return CRIOIMG_OK;
}

static crioimg_result crioimg__sink_data(crioimg__sink *k, const void *data, size_t len)
{
    if (crioimg_cancelled(k->cancel)) return crioimg__sink_fail(k, CRIOIMG_ERR_CANCELLED, "cancelled");
    if (k->hashing) crioimg_hasher_update(&k->h, data, len);
    if (k->cur) {
        k->cur_done += (long long)len;
        crioimg__arc_progress(k->progress, k->progress_user, k->cur, k->cur_done, k->cur_total, k->pindex, k->pcount);
    }
    if (k->tw) return crioimg_tar_write_data(k->tw, data, len);
    return crioimg__sink_write_fd(k, data, len);
}

static crioimg_result crioimg__sink_end(crioimg__sink *k)
{
    crioimg_result r = CRIOIMG_OK;
    if (k->tw) return CRIOIMG_OK;
    if (fsync(k->fd) != 0) r = CRIOIMG_ERR_IO;
    if (close(k->fd) != 0) r = CRIOIMG_ERR_IO;
    k->fd = -1;
    return r;
}

/* A small file whole. */
static crioimg_result crioimg__sink_put(crioimg__sink *k, const char *path, const void *data, size_t len)
{
    crioimg_result r = crioimg__sink_file(k, path, (long long)len);
    if (r == CRIOIMG_OK) r = crioimg__sink_data(k, data, len);
    if (r == CRIOIMG_OK) r = crioimg__sink_end(k);
    return r;
}

/* 1 the first time digest is seen (it is remembered), 0 after. -1: out of memory. */
static int crioimg__sink_first(crioimg__sink *k, const char *digest)
{
    size_t i;
    char (*d)[72];
    for (i = 0; i < k->ndone; i++) if (strcmp(k->done[i], digest) == 0) return 0;
    if ((d = (char (*)[72])crioimg_realloc(&k->alloc, k->done, (k->ndone + 1) * sizeof *d)) == NULL) return -1;
    k->done = d;
    snprintf(d[k->ndone++], 72, "%s", digest);
    return 1;
}

/* Removes what a failed OCI_DIR save made: the files we wrote, in the three directories we made.
   0, or the errno of a directory that could not be read (what it holds stays: said, never ignored). */
static int crioimg__sink_rmtree(int dfd, const char *sub)
{
    int fd = openat(dfd, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), en = 0;
    DIR *d;
    struct dirent *de;
    if (fd < 0) return 0;
    if ((d = fdopendir(fd)) == NULL) { close(fd); return 0; }
    for (;;) {
        errno = 0;   /* NULL with errno set is a failed read (EIO, EOVERFLOW), not the end of the listing */
        if ((de = readdir(d)) == NULL) { if (en == 0) en = errno; break; }
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
        if (unlinkat(fd, de->d_name, 0) != 0 && (errno == EISDIR || errno == EPERM || errno == ENOTEMPTY)) {
            if (strcmp(sub, ".") == 0 || strcmp(de->d_name, "sha256") == 0 || strcmp(de->d_name, "blobs") == 0) {
                int sub_en = crioimg__sink_rmtree(fd, de->d_name);
                if (en == 0) en = sub_en;
                unlinkat(fd, de->d_name, AT_REMOVEDIR);
            }
        }
    }
    closedir(d);
    return en;
}

/* A save that was killed leaves PATH.crioimg-tmp-PID behind (a file, or a directory for an oci-dir): the
   next save to the same PATH removes each one whose process is gone (a pid taken again by another process
   only delays that). */
static void crioimg__sink_sweep(crioimg__sink *k, const char *path)
{
    const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
    char *dir = k->tmp;   /* free until the temporary's name is made */
    size_t bl = strlen(base);
    DIR *d;
    struct dirent *de;
    if (slash == path) strcpy(dir, "/");
    else if (slash) snprintf(dir, CRIOIMG__SINK_TMP, "%.*s", (int)(slash - path), path);
    else strcpy(dir, ".");
    if (bl == 0 || (d = opendir(dir)) == NULL) return;
    while ((de = readdir(d)) != NULL) {
        if (!crioimg__tmp_orphan(de->d_name, base, bl, '\0')) continue;
        if (unlinkat(dirfd(d), de->d_name, 0) != 0 && (errno == EISDIR || errno == EPERM)) {
            crioimg__sink_rmtree(dirfd(d), de->d_name);
            (void)unlinkat(dirfd(d), de->d_name, AT_REMOVEDIR);
        }
    }
    closedir(d);
}

/* Makes the temporary file or directory next to path. */
static crioimg_result crioimg__sink_open(crioimg__sink *k, const char *path)
{
    crioimg_tar_writer_opts wo;
    snprintf(k->final, CRIOIMG__ARC_PATH, "%s", path);
    crioimg__sink_sweep(k, path);
    snprintf(k->tmp, CRIOIMG__SINK_TMP, "%s.crioimg-tmp-%ld", path, (long)getpid());
    k->fd = k->dirfd = -1;
    if (k->fmt == CRIOIMG_ARCHIVE_OCI_DIR) {
        struct stat st;
        if (lstat(path, &st) == 0) return crioimg__sink_fail(k, CRIOIMG_ERR_INVALID_ARGS, "already exists");
        if (mkdir(k->tmp, 0755) != 0) return crioimg__sink_fail(k, CRIOIMG_ERR_IO, "cannot create it: %s", strerror(errno));
        k->dirfd = open(k->tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (k->dirfd < 0) return crioimg__sink_fail(k, CRIOIMG_ERR_IO, "cannot create it: %s", strerror(errno));
        return CRIOIMG_OK;
    }
    k->fd = open(k->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    k->written = k->flushed = 0;
    if (k->fd < 0) return crioimg__sink_fail(k, CRIOIMG_ERR_IO, "cannot create it: %s", strerror(errno));
    memset(&wo, 0, sizeof wo);
    wo.alloc = k->alloc;
    wo.write = crioimg__sink_tar_out;
    wo.user = k;
    wo.flags = CRIOIMG_TAR_FIXED_MTIME | CRIOIMG_TAR_FIXED_OWNER | CRIOIMG_TAR_FIXED_MODE;
    if (crioimg_tar_writer_new(&k->tw, &wo) != CRIOIMG_OK) return crioimg__sink_fail(k, CRIOIMG_ERR_NOMEM, "out of memory");
    return CRIOIMG_OK;
}

/* Completes (ok) or throws away the temporary file or directory: fsync, rename, fsync of the parent. */
static crioimg_result crioimg__sink_close(crioimg__sink *k, int ok)
{
    crioimg_result r = CRIOIMG_OK;
    char *slash;
    int pfd;
    if (ok && k->tw && (r = crioimg_tar_writer_finish(k->tw)) != CRIOIMG_OK) crioimg__sink_fail(k, r, "writing: %s", strerror(errno));
    crioimg_tar_writer_free(k->tw);
    k->tw = NULL;
    if (ok && r == CRIOIMG_OK && k->fd >= 0 && fsync(k->fd) != 0) r = crioimg__sink_fail(k, CRIOIMG_ERR_IO, "fsync: %s", strerror(errno));
    if (ok && r == CRIOIMG_OK && k->dirfd >= 0) {
        int b = openat(k->dirfd, "blobs/sha256", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (b >= 0) { fsync(b); close(b); }
        if ((b = openat(k->dirfd, "blobs", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) { fsync(b); close(b); }
        if (fsync(k->dirfd) != 0) r = crioimg__sink_fail(k, CRIOIMG_ERR_IO, "fsync: %s", strerror(errno));
    }
    if (k->fd >= 0) close(k->fd);
    k->fd = -1;
    if (ok && r == CRIOIMG_OK) {
        if (rename(k->tmp, k->final) != 0) r = crioimg__sink_fail(k, CRIOIMG_ERR_IO, "rename: %s", strerror(errno));
        if (r == CRIOIMG_OK) {   /* the temporary name is gone: its buffer takes the parent's name */
            char *parent = k->tmp;
            snprintf(parent, CRIOIMG__SINK_TMP, "%s", k->final);
            slash = strrchr(parent, '/');
            if (slash == parent) slash[1] = '\0';
            else if (slash) *slash = '\0';
            else strcpy(parent, ".");
            if ((pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) { fsync(pfd); close(pfd); }
        }
    }
    if (!ok || r != CRIOIMG_OK) {
        int en = k->dirfd >= 0 ? crioimg__sink_rmtree(k->dirfd, ".") : 0;
        if (en) {   /* the first failure's text stays (sink_fail keeps it); a clean-up failure alone is said */
            crioimg_result rr = crioimg__sink_fail(k, CRIOIMG_ERR_IO, "removing %s: reading directory: %s", k->tmp, strerror(en));
            if (r == CRIOIMG_OK) r = rr;
        }
        if (k->dirfd >= 0) rmdir(k->tmp);
        else unlink(k->tmp);
    }
    if (k->dirfd >= 0) close(k->dirfd);
    k->dirfd = -1;
    crioimg_free(&k->alloc, k->done);
    k->done = NULL;
    k->ndone = 0;
    return r;
}

/* ---- save: the images ---- */

typedef struct crioimg__save_img {
    char id[65], manifest[72];
    crioimg__arc_names tags;       /* what it is saved as: "docker.io/library/busybox:latest" */
    char (*tagmf)[72];             /* the manifest each tag points at in the store */
} crioimg__save_img;

/* 1 when tag is among the tags of imgs[0, n) (a name given twice, or by name and by ID, is saved once,
   as c/image's writer keeps each RepoTag once). */
static int crioimg__save_seen(const crioimg__save_img *imgs, size_t n, size_t upto_tag, const char *tag)
{
    size_t i, t;
    for (i = 0; i <= n; i++)
        for (t = 0; t < imgs[i].tags.n && (i < n || t < upto_tag); t++)
            if (strcmp(imgs[i].tags.v[t], tag) == 0) return 1;
    return 0;
}

/* Which of the image's names arg asks for: the one it names, or (by ID) each with a tag. */
static crioimg_result crioimg__save_tags(const char *arg, const crioimg_image *img, crioimg__arc_names *tags)
{
    crioimg_ref p;
    char want[CRIOIMG_REF_STRING_MAX + 16];
    size_t i;
    crioimg_result r = CRIOIMG_OK;
    want[0] = '\0';
    if (crioimg_ref_parse_normalized(&p, arg, strlen(arg)) == CRIOIMG_OK && p.name[0]) {
        crioimg_ref_string(&p, want, sizeof want);
        if (!p.tag[0] && !p.digest[0]) strcat(want, ":latest");
    }
    for (i = 0; i < img->nnames; i++)
        if (strcmp(img->names[i], want) == 0) return p.digest[0] ? CRIOIMG_OK : crioimg__arc_name_add(tags, want);
    for (i = 0; i < img->nnames && r == CRIOIMG_OK; i++)
        if (strchr(img->names[i], '@') == NULL) r = crioimg__arc_name_add(tags, img->names[i]);
    return r;
}

/* Blob digest from the store into the sink as file path; the store's reader verifies it at the end
   (a mismatch fails the save, and the temporary file goes). */
static crioimg_result crioimg__save_blob(crioimg_store *s, crioimg__sink *k, const char *path, const char *digest, long long size,
                                         unsigned char *buf)
{
    crioimg_blob_reader *rd = NULL;
    crioimg_result r = crioimg_store_blob_open(s, digest, &rd);
    size_t n;
    if (r != CRIOIMG_OK) return crioimg__sink_fail(k, r, "blob %s: %s", digest, crioimg_store_error(s));
    if (size < 0) size = crioimg_blob_reader_size(rd);
    if (size < 0 || (crioimg_blob_reader_size(rd) >= 0 && crioimg_blob_reader_size(rd) != size)) {
        crioimg_blob_reader_close(rd);
        return crioimg__sink_fail(k, CRIOIMG_ERR_SIZE_MISMATCH, "blob %s: the store has %lld bytes, the manifest says %lld", digest,
                                  crioimg_blob_reader_size(rd), size);
    }
    r = crioimg__sink_file(k, path, size);
    k->cur = digest;
    k->cur_done = 0;
    k->cur_total = size;
    while (r == CRIOIMG_OK && (r = crioimg_blob_reader_read(rd, buf, CRIOIMG__ARC_BUF, &n)) == CRIOIMG_OK && n > 0)
        r = crioimg__sink_data(k, buf, n);
    k->cur = NULL;
    crioimg_blob_reader_close(rd);
    if (r == CRIOIMG_OK) r = crioimg__sink_end(k);
    if (r != CRIOIMG_OK) return crioimg__sink_fail(k, r, "blob %s: %s", digest, crioimg_result_str(r));
    return CRIOIMG_OK;
}

/* 1 when blob digest starts as gzip does (stored layers may be labelled gzip and be plain tar: c/image
   labels docker-archive layers so). */
static int crioimg__save_is_gzip(crioimg_store *s, const char *digest, unsigned char *buf)
{
    crioimg_blob_reader *rd = NULL;
    size_t n = 0;
    int gz = 0;
    if (crioimg_store_blob_open(s, digest, &rd) != CRIOIMG_OK) return 0;
    if (crioimg_blob_reader_read(rd, buf, 2, &n) == CRIOIMG_OK && n == 2) gz = buf[0] == 0x1f && buf[1] == 0x8b;
    if (n == 1 && crioimg_blob_reader_read(rd, buf + 1, 1, &n) == CRIOIMG_OK && n == 1) gz = buf[0] == 0x1f && buf[1] == 0x8b;
    crioimg_blob_reader_close(rd);
    return gz;
}

/* A gzip blob inflated: into the sink (k non-NULL) or only counted and hashed into h. */
static crioimg_result crioimg__save_inflate(crioimg_store *s, crioimg__sink *k, const char *digest, unsigned char *buf, unsigned char *zbuf,
                                            long long *count, crioimg_hasher *h)
{
    crioimg_blob_reader *rd = NULL;
    crioimg_inflate *z = NULL;
    crioimg_result r = crioimg_store_blob_open(s, digest, &rd);
    size_t n;
    *count = 0;
    if (r == CRIOIMG_OK) r = crioimg_inflate_new(&z, NULL);
    while (r == CRIOIMG_OK && (r = crioimg_blob_reader_read(rd, buf, CRIOIMG__ARC_BUF, &n)) == CRIOIMG_OK && n > 0) {
        size_t ip = 0;
        while (r == CRIOIMG_OK && ip < n) {
            size_t used = 0, got = 0;
            r = crioimg_inflate_run(z, buf + ip, n - ip, &used, zbuf, CRIOIMG__ARC_BUF, &got, NULL);
            ip += used;
            *count += (long long)got;
            if (r == CRIOIMG_OK && got) {
                if (k) r = crioimg__sink_data(k, zbuf, got);
                else crioimg_hasher_update(h, zbuf, got);
            }
            if (used == 0 && got == 0) break;
        }
    }
    if (r == CRIOIMG_OK) r = crioimg_inflate_finish(z);
    crioimg_inflate_free(z);
    crioimg_blob_reader_close(rd);
    if (r != CRIOIMG_OK) return crioimg__sink_fail(k, r, "layer %s: %s", digest, crioimg_result_str(r));
    return CRIOIMG_OK;
}

/* The gzip trailer's ISIZE of blob digest: its last 4 bytes, little-endian (the blob is read whole, and
   verified by the store's reader on the way). */
static crioimg_result crioimg__save_isize(crioimg_store *s, crioimg__sink *k, const char *digest, unsigned char *buf, long long *isize)
{
    crioimg_blob_reader *rd = NULL;
    unsigned char tail[4] = { 0, 0, 0, 0 };
    size_t n, i;
    long long total = 0;
    crioimg_result r = crioimg_store_blob_open(s, digest, &rd);
    while (r == CRIOIMG_OK && (r = crioimg_blob_reader_read(rd, buf, CRIOIMG__ARC_BUF, &n)) == CRIOIMG_OK && n > 0) {
        for (i = n >= 4 ? n - 4 : 0; i < n; i++) { memmove(tail, tail + 1, 3); tail[3] = buf[i]; }
        total += (long long)n;
    }
    crioimg_blob_reader_close(rd);
    if (r != CRIOIMG_OK) return crioimg__sink_fail(k, r, "layer %s: %s", digest, crioimg_result_str(r));
    if (total < 18) return crioimg__sink_fail(k, CRIOIMG_ERR_INFLATE_TRUNCATED, "layer %s: too short for gzip", digest);
    *isize = (long long)tail[0] | (long long)tail[1] << 8 | (long long)tail[2] << 16 | (long long)tail[3] << 24;
    return CRIOIMG_OK;
}

/* One docker-archive layer, <diff ID hex>.tar, uncompressed; its diff ID is checked as it goes. */
static crioimg_result crioimg__save_docker_layer(crioimg_store *s, crioimg__sink *k, const crioimg_descriptor *d, const char *diff_id,
                                                 unsigned char *buf, unsigned char *zbuf)
{
    char path[100];
    crioimg_digest want;
    crioimg_result r;
    long long n1 = 0, n2 = 0;
    if ((r = crioimg_digest_parse(&want, diff_id, strlen(diff_id))) != CRIOIMG_OK) return crioimg__sink_fail(k, r, "diff ID %s", diff_id);
    snprintf(path, sizeof path, "%.64s.tar", diff_id + 7);
    if (!crioimg__save_is_gzip(s, d->digest, buf)) {
        crioimg_hasher_init(&k->h, want.alg);
        k->hashing = 1;
        r = crioimg__save_blob(s, k, path, d->digest, d->size, buf);
        k->hashing = 0;
    } else if (!k->exact) {
        /* the header needs the size first. gzip's trailer says it (ISIZE, mod 2^32, of the last member):
           one read of the compressed bytes, then one inflate that writes and hashes. A multi-member or
           4 GiB+ layer makes the guess wrong: the save starts again with k->exact */
        if ((r = crioimg__save_isize(s, k, d->digest, buf, &n1)) != CRIOIMG_OK) return r;
        if ((r = crioimg__sink_file(k, path, n1)) != CRIOIMG_OK) return crioimg__sink_fail(k, r, "%s", path);
        crioimg_hasher_init(&k->h, want.alg);
        k->hashing = 1;
        k->cur = diff_id;
        k->cur_done = 0;
        k->cur_total = n1;
        r = crioimg__save_inflate(s, k, d->digest, buf, zbuf, &n2, NULL);
        k->cur = NULL;
        k->hashing = 0;
        if ((r == CRIOIMG_ERR_SIZE_MISMATCH || (r == CRIOIMG_OK && n1 != n2))) { k->guess_wrong = 1; return CRIOIMG_ERR_SIZE_MISMATCH; }
        if (r != CRIOIMG_OK) return r;
        r = crioimg__sink_end(k);
    } else {
        /* exact: one pass to learn the size (and check the diff ID), one to write */
        crioimg_hasher_init(&k->h, want.alg);
        if ((r = crioimg__save_inflate(s, NULL, d->digest, buf, zbuf, &n1, &k->h)) != CRIOIMG_OK) return r;
        if ((r = crioimg__sink_file(k, path, n1)) != CRIOIMG_OK) return crioimg__sink_fail(k, r, "%s", path);
        k->cur = diff_id;
        k->cur_done = 0;
        k->cur_total = n1;
        r = crioimg__save_inflate(s, k, d->digest, buf, zbuf, &n2, NULL);
        k->cur = NULL;
        if (r != CRIOIMG_OK) return r;
        if (n1 != n2) return crioimg__sink_fail(k, CRIOIMG_ERR_SIZE_MISMATCH, "layer %s changed while it was read", d->digest);
        r = crioimg__sink_end(k);
    }
    if (r != CRIOIMG_OK) return r;
    if (crioimg_hasher_verify(&k->h, &want) != CRIOIMG_OK)
        return crioimg__sink_fail(k, CRIOIMG_ERR_DIGEST_MISMATCH, "layer %s does not match its diff ID %s", d->digest, diff_id);
    return CRIOIMG_OK;
}

/* The image's manifest and config, read (verified) from the store. */
static crioimg_result crioimg__save_read(crioimg_store *s, crioimg__sink *k, const crioimg__save_img *im, crioimg_manifest *m, void **raw,
                                         size_t *len, void **cfg, size_t *clen)
{
    crioimg_result r = crioimg_store_get_blob(s, im->manifest, 0, raw, len);
    if (r != CRIOIMG_OK) return crioimg__sink_fail(k, r, "manifest %s: %s", im->manifest, crioimg_store_error(s));
    if ((r = crioimg_manifest_parse(m, (const char *)*raw, *len, NULL, NULL)) != CRIOIMG_OK)
        return crioimg__sink_fail(k, r, "manifest %s: %s", im->manifest, m->err);
    if (m->kind != CRIOIMG_MANIFEST_OCI && m->kind != CRIOIMG_MANIFEST_DOCKER_V2)
        return crioimg__sink_fail(k, CRIOIMG_ERR_MANIFEST_UNSUPPORTED, "manifest %s: not an image manifest", im->manifest);
    if ((r = crioimg_store_get_blob(s, m->config.digest, 0, cfg, clen)) != CRIOIMG_OK)
        return crioimg__sink_fail(k, r, "config %s: %s", m->config.digest, crioimg_store_error(s));
    return CRIOIMG_OK;
}

/* docker-archive: per image its config and new layers, then manifest.json (items merged by config, as
   c/image's writer does). */
static crioimg_result crioimg__save_docker(crioimg_store *s, crioimg__sink *k, crioimg__save_img *imgs, size_t n, unsigned char *buf)
{
    crioimg_json_writer w;
    crioimg_result r = CRIOIMG_OK;
    size_t i, j, t;
    const char *text;
    size_t tlen;
    crioimg_json_writer_init(&w, &k->alloc);
    crioimg_json_write_array_begin(&w);
    for (i = 0; i < n && r == CRIOIMG_OK; i++) {
        crioimg_manifest m;
        crioimg_json c;
        void *raw = NULL, *cfg = NULL;
        size_t len = 0, clen = 0, ids = 0;
        char path[100];
        int first;
        memset(&m, 0, sizeof m);
        memset(&c, 0, sizeof c);
        for (j = 0; j < i; j++) if (strcmp(imgs[j].id, imgs[i].id) == 0) break;
        if (j < i) continue;   /* its tags went in with the first of its names */
        if (imgs[i].tags.n && imgs[i].tagmf[0][0]) snprintf(imgs[i].manifest, sizeof imgs[i].manifest, "%s", imgs[i].tagmf[0]);
        r = crioimg__save_read(s, k, &imgs[i], &m, &raw, &len, &cfg, &clen);
        if (r == CRIOIMG_OK && (crioimg_json_parse(&c, (const char *)cfg, clen, NULL) != CRIOIMG_OK ||
                                !crioimg__arc_strings(&c, ids = crioimg_json_get(&c, crioimg_json_get(&c, 0, "rootfs"), "diff_ids"), 0) ||
                                c.tok[ids].count != m.nlayers))
            r = crioimg__sink_fail(k, CRIOIMG_ERR_MANIFEST_INVALID, "config %s: rootfs.diff_ids does not list the %lu layers", m.config.digest,
                                   (unsigned long)m.nlayers);
        snprintf(path, sizeof path, "%s.json", m.config.digest ? m.config.digest + 7 : "");
        if (r == CRIOIMG_OK && (first = crioimg__sink_first(k, m.config.digest)) != 0)
            r = first < 0 ? CRIOIMG_ERR_NOMEM : crioimg__sink_put(k, path, cfg, clen);
        crioimg_json_write_object_begin(&w);
        crioimg_json_write_key(&w, "Config", 6);
        crioimg_json_write_string(&w, path, strlen(path));
        crioimg_json_write_key(&w, "RepoTags", 8);
        crioimg_json_write_array_begin(&w);
        for (j = i; j < n; j++)
            if (strcmp(imgs[j].id, imgs[i].id) == 0)
                for (t = 0; t < imgs[j].tags.n; t++)
                    if (!crioimg__save_seen(imgs, j, t, imgs[j].tags.v[t])) crioimg_json_write_string(&w, imgs[j].tags.v[t], strlen(imgs[j].tags.v[t]));
        crioimg_json_write_array_end(&w);
        crioimg_json_write_key(&w, "Layers", 6);
        crioimg_json_write_array_begin(&w);
        for (j = 0; r == CRIOIMG_OK && j < m.nlayers; j++) {
            char did[CRIOIMG_DIGEST_STRING_MAX + 2];
            crioimg_json_string(&c, crioimg__arc_elem(&c, ids, j), did, sizeof did);
            if (strncmp(did, "sha256:", 7) != 0 || crioimg_digest_validate(did, strlen(did)) != CRIOIMG_OK) {
                r = crioimg__sink_fail(k, CRIOIMG_ERR_MANIFEST_INVALID, "config %s: diff ID %lu is not a sha256 digest", m.config.digest, (unsigned long)j);
                break;
            }
            snprintf(path, sizeof path, "%.64s.tar", did + 7);
            crioimg_json_write_string(&w, path, strlen(path));
            k->pindex = j + 1;
            k->pcount = 1 + m.nlayers;
            if ((first = crioimg__sink_first(k, did)) < 0) r = CRIOIMG_ERR_NOMEM;
            else if (first) r = crioimg__save_docker_layer(s, k, &m.layers[j], did, buf, buf + CRIOIMG__ARC_BUF);
        }
        crioimg_json_write_array_end(&w);
        crioimg_json_write_object_end(&w);
        crioimg_json_free(&c);
        crioimg_manifest_free(&m);
        crioimg_store_free_blob(s, raw);
        crioimg_store_free_blob(s, cfg);
    }
    crioimg_json_write_array_end(&w);
    if (r == CRIOIMG_OK && crioimg_json_writer_finish(&w, &text, &tlen) != CRIOIMG_OK) r = crioimg__sink_fail(k, CRIOIMG_ERR_NOMEM, "out of memory");
    if (r == CRIOIMG_OK) r = crioimg__sink_put(k, "manifest.json", text, tlen);
    crioimg_json_writer_free(&w);
    return r;
}

/* The OCI media type for a Docker schema 2 layer whose first bytes say whether it is gzip. */
static const char *crioimg__save_oci_layer_type(const char *docker_type, int gz)
{
    int foreign = strstr(docker_type, "foreign") != NULL;
    if (gz) return foreign ? "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip" : "application/vnd.oci.image.layer.v1.tar+gzip";
    return foreign ? "application/vnd.oci.image.layer.nondistributable.v1.tar" : "application/vnd.oci.image.layer.v1.tar";
}

/* A Docker schema 2 manifest as the OCI one skopeo copy makes of it (same config and layer bytes). */
static crioimg_result crioimg__save_convert(crioimg_store *s, const crioimg_manifest *m, crioimg__arc_txt *t, unsigned char *buf)
{
    size_t j;
    char num[32];
    crioimg__arc_put_str(t, "{\"schemaVersion\":2,\"mediaType\":\"" CRIOIMG_MEDIA_OCI_MANIFEST "\",\"config\":{\"mediaType\":\"" CRIOIMG_MEDIA_OCI_CONFIG
                            "\",\"digest\":\"");
    crioimg__arc_put_str(t, m->config.digest);
    snprintf(num, sizeof num, "%lld", m->config.size);
    crioimg__arc_put_str(t, "\",\"size\":");
    crioimg__arc_put_str(t, num);
    crioimg__arc_put_str(t, "},\"layers\":[");
    for (j = 0; j < m->nlayers; j++) {
        const crioimg_descriptor *d = &m->layers[j];
        crioimg__arc_put_str(t, j ? ",{\"mediaType\":\"" : "{\"mediaType\":\"");
        crioimg__arc_put_str(t, crioimg__save_oci_layer_type(d->media_type, crioimg__save_is_gzip(s, d->digest, buf)));
        crioimg__arc_put_str(t, "\",\"digest\":\"");
        crioimg__arc_put_str(t, d->digest);
        snprintf(num, sizeof num, "%lld", d->size);
        crioimg__arc_put_str(t, "\",\"size\":");
        crioimg__arc_put_str(t, num);
        crioimg__arc_put_str(t, "}");
    }
    crioimg__arc_put_str(t, "]}");
    return t->oom ? CRIOIMG_ERR_NOMEM : CRIOIMG_OK;
}

/* One manifest of the store as written to an OCI layout: its digest there (converted or not). */
typedef struct crioimg__save_mf { char src[72], dst[72], mt[64]; long long size; } crioimg__save_mf;

/* The manifest src with its config and layers into the layout (once); *out says where it went. */
static crioimg_result crioimg__save_oci_one(crioimg_store *s, crioimg__sink *k, const char *src, crioimg__save_mf *out, unsigned char *buf)
{
    crioimg_manifest m;
    void *raw = NULL, *cfg = NULL;
    size_t len = 0, clen = 0, j;
    crioimg__arc_txt tx;
    crioimg__save_img im;
    char path[100];
    const char *body;
    size_t blen;
    int first;
    crioimg_result r;
    memset(&m, 0, sizeof m);
    memset(&tx, 0, sizeof tx);
    memset(&im, 0, sizeof im);
    tx.alloc = &k->alloc;
    snprintf(im.manifest, sizeof im.manifest, "%s", src);
    r = crioimg__save_read(s, k, &im, &m, &raw, &len, &cfg, &clen);
    for (j = 0; r == CRIOIMG_OK && j <= m.nlayers; j++) {
        const crioimg_descriptor *d = j == 0 ? &m.config : &m.layers[j - 1];
        if (strncmp(d->digest, "sha256:", 7) != 0) { r = crioimg__sink_fail(k, CRIOIMG_ERR_DIGEST_UNSUPPORTED, "blob %s", d->digest); break; }
        snprintf(path, sizeof path, "blobs/sha256/%.64s", d->digest + 7);
        k->pindex = j;
        k->pcount = 1 + m.nlayers;
        if ((first = crioimg__sink_first(k, d->digest)) < 0) r = CRIOIMG_ERR_NOMEM;
        else if (first) r = crioimg__save_blob(s, k, path, d->digest, d->size, buf);
    }
    body = (const char *)raw;
    blen = len;
    if (r == CRIOIMG_OK && m.kind == CRIOIMG_MANIFEST_DOCKER_V2) {
        r = crioimg__save_convert(s, &m, &tx, buf);
        body = tx.p;
        blen = tx.len;
    }
    if (r == CRIOIMG_OK) {
        snprintf(out->src, sizeof out->src, "%s", src);
        crioimg__arc_sha256(body, blen, out->dst);
        snprintf(out->mt, sizeof out->mt, "%s", m.kind == CRIOIMG_MANIFEST_DOCKER_V2 ? CRIOIMG_MEDIA_OCI_MANIFEST : m.media_type);
        out->size = (long long)blen;
        snprintf(path, sizeof path, "blobs/sha256/%.64s", out->dst + 7);
        if ((first = crioimg__sink_first(k, out->dst)) < 0) r = CRIOIMG_ERR_NOMEM;
        else if (first) r = crioimg__sink_put(k, path, body, blen);
    }
    crioimg_free(&k->alloc, tx.p);
    crioimg_manifest_free(&m);
    crioimg_store_free_blob(s, raw);
    crioimg_store_free_blob(s, cfg);
    return r;
}

/* oci-archive and OCI layout: oci-layout, blobs/, blobs/sha256/, each blob once (the manifest each name
   points at in the store, after its config and layers), index.json last with one entry per name. */
static crioimg_result crioimg__save_oci(crioimg_store *s, crioimg__sink *k, crioimg__save_img *imgs, size_t n, unsigned char *buf)
{
    static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
    crioimg_store_entry *ents = NULL;
    crioimg__save_mf *mfs = NULL;
    size_t ne = 0, nmf = 0, total = 0, i, t, j;
    crioimg_result r = crioimg__sink_put(k, "oci-layout", layout, sizeof layout - 1);
    if (r == CRIOIMG_OK) r = crioimg__sink_dir(k, "blobs/");
    if (r == CRIOIMG_OK) r = crioimg__sink_dir(k, "blobs/sha256/");
    for (i = 0; i < n; i++) total += imgs[i].tags.n ? imgs[i].tags.n : 1;
    if (r == CRIOIMG_OK && ((mfs = (crioimg__save_mf *)crioimg_malloc(&k->alloc, total * sizeof *mfs)) == NULL ||
                            (ents = (crioimg_store_entry *)crioimg_malloc(&k->alloc, total * sizeof *ents)) == NULL))
        r = CRIOIMG_ERR_NOMEM;
    for (i = 0; i < n && r == CRIOIMG_OK; i++) {
        size_t want = imgs[i].tags.n ? imgs[i].tags.n : 1;
        for (t = 0; t < want && r == CRIOIMG_OK; t++) {
            const char *src = imgs[i].tags.n && imgs[i].tagmf[t][0] ? imgs[i].tagmf[t] : imgs[i].manifest;
            if (imgs[i].tags.n && crioimg__save_seen(imgs, i, t, imgs[i].tags.v[t])) continue;
            for (j = 0; j < nmf; j++) if (strcmp(mfs[j].src, src) == 0) break;
            if (j == nmf && (r = crioimg__save_oci_one(s, k, src, &mfs[nmf], buf)) == CRIOIMG_OK) nmf++;
            if (r != CRIOIMG_OK) break;
            ents[ne].name = imgs[i].tags.n ? imgs[i].tags.v[t] : "";
            ents[ne].media_type = mfs[j].mt;
            ents[ne].digest = mfs[j].dst;
            ents[ne].size = mfs[j].size;
            ne++;
        }
    }
    if (r == CRIOIMG_OK) {
        crioimg_json_writer w;
        const char *text;
        size_t tlen;
        crioimg_json_writer_init(&w, &k->alloc);
        crioimg_store_index_write(ents, ne, &w);
        if (crioimg_json_writer_finish(&w, &text, &tlen) != CRIOIMG_OK) r = CRIOIMG_ERR_NOMEM;
        else r = crioimg__sink_put(k, "index.json", text, tlen);
        crioimg_json_writer_free(&w);
    }
    crioimg_free(&k->alloc, ents);
    crioimg_free(&k->alloc, mfs);
    if (r != CRIOIMG_OK) return crioimg__sink_fail(k, r, "%s", crioimg_result_str(r));
    return CRIOIMG_OK;
}

/* For each of im's tags, the manifest its index entry names (an image may have several manifests: one
   per source it came from; each name keeps its own). "" where none is found. */
static crioimg_result crioimg__save_tag_manifests(crioimg_store *s, crioimg__save_img *im, const crioimg_allocator *a)
{
    crioimg_store_entry *e = NULL;
    size_t ne = 0, i, t;
    crioimg_result r;
    char norm[CRIOIMG_REF_STRING_MAX + 1];
    if (im->tags.n == 0) return CRIOIMG_OK;
    if ((im->tagmf = (char (*)[72])crioimg_malloc(a, im->tags.n * sizeof *im->tagmf)) == NULL) return CRIOIMG_ERR_NOMEM;
    for (t = 0; t < im->tags.n; t++) im->tagmf[t][0] = '\0';
    if ((r = crioimg__st_lock(s, 0)) != CRIOIMG_OK) return r;
    r = crioimg__st_read_index(s, &e, &ne);
    crioimg__st_unlock(s);
    if (r != CRIOIMG_OK) return r;
    for (i = 0; i < ne; i++) {
        if (!crioimg__st_norm(e[i].name, norm, NULL)) continue;
        for (t = 0; t < im->tags.n; t++)
            if (strcmp(norm, im->tags.v[t]) == 0 && strlen(e[i].digest) < 72) strcpy(im->tagmf[t], e[i].digest);
    }
    crioimg_free(&s->alloc, e);
    return CRIOIMG_OK;
}

/* One attempt: the temporary file or directory, the images, then rename or removal. */
static crioimg_result crioimg__save_run(crioimg_store *s, crioimg__sink *k, crioimg_archive_format format, const char *path,
                                        crioimg__save_img *imgs, size_t n, unsigned char *buf)
{
    crioimg_result r = crioimg__sink_open(k, path);
    if (r == CRIOIMG_OK) {
        r = format == CRIOIMG_ARCHIVE_DOCKER ? crioimg__save_docker(s, k, imgs, n, buf) : crioimg__save_oci(s, k, imgs, n, buf);
        if (crioimg__sink_close(k, r == CRIOIMG_OK) != CRIOIMG_OK && r == CRIOIMG_OK) r = CRIOIMG_ERR_IO;
    } else if (k->fd >= 0 || k->dirfd >= 0) crioimg__sink_close(k, 0);
    return r;
}

crioimg_result crioimg_archive_save(crioimg_store *s, const crioimg_archive_save_opts *opts, const char *path, const char *const *names,
                                    size_t n, char *err, size_t errcap)
{
    crioimg__sink k;
    crioimg__save_img *imgs = NULL;
    unsigned char *buf = NULL;
    crioimg_result r = CRIOIMG_OK;
    crioimg_archive_format format = opts && opts->format ? opts->format : CRIOIMG_ARCHIVE_DOCKER;
    size_t i;
    memset(&k, 0, sizeof k);
    if (opts) { k.progress = opts->progress; k.progress_user = opts->progress_user; k.cancel = opts->cancel; }
    k.fd = k.dirfd = -1;
    k.err = err;
    k.errcap = errcap;
    k.fmt = format;
    if (err && errcap) err[0] = '\0';
    if (s == NULL || path == NULL || path[0] == '\0' || strlen(path) >= CRIOIMG__ARC_PATH || n == 0 || names == NULL ||
        (format != CRIOIMG_ARCHIVE_DOCKER && format != CRIOIMG_ARCHIVE_OCI && format != CRIOIMG_ARCHIVE_OCI_DIR))
        return CRIOIMG_ERR_INVALID_ARGS;
    if ((imgs = (crioimg__save_img *)crioimg_malloc(&k.alloc, n * sizeof *imgs)) == NULL ||
        (buf = (unsigned char *)crioimg_malloc(&k.alloc, 2 * CRIOIMG__ARC_BUF + CRIOIMG__ARC_PATH + CRIOIMG__SINK_TMP)) == NULL) {
        crioimg_free(&k.alloc, imgs);
        return CRIOIMG_ERR_NOMEM;
    }
    k.final = (char *)buf + 2 * CRIOIMG__ARC_BUF;
    k.tmp = k.final + CRIOIMG__ARC_PATH;
    snprintf(k.final, CRIOIMG__ARC_PATH, "%s", path);
    memset(imgs, 0, n * sizeof *imgs);
    for (i = 0; i < n && r == CRIOIMG_OK; i++) {
        crioimg_image_list l;
        memset(&l, 0, sizeof l);
        imgs[i].tags.alloc = &k.alloc;
        r = crioimg_store_image_status(s, names[i], &l);
        if (r != CRIOIMG_OK) {   /* the store's text names the image already ("image not known: NAME") */
            const char *e = crioimg_store_error(s);
            if (strstr(e, names[i])) crioimg__sink_fail(&k, r, "%s", e);
            else crioimg__sink_fail(&k, r, "%s: %s", names[i], e);
            break;
        }
        memcpy(imgs[i].id, l.images[0].id, sizeof imgs[i].id);
        snprintf(imgs[i].manifest, sizeof imgs[i].manifest, "%s", l.images[0].manifest_digest);
        r = crioimg__save_tags(names[i], &l.images[0], &imgs[i].tags);
        crioimg_image_list_free(&l);
        if (r == CRIOIMG_OK && (r = crioimg__save_tag_manifests(s, &imgs[i], &k.alloc)) != CRIOIMG_OK)
            crioimg__sink_fail(&k, r, "%s: %s", names[i], crioimg_store_error(s));
    }
    if (r == CRIOIMG_OK) r = crioimg__save_run(s, &k, format, path, imgs, n, buf);
    if (r == CRIOIMG_ERR_SIZE_MISMATCH && k.guess_wrong) {
        /* a gzip layer whose trailer did not tell its size (several members, or 4 GiB and more) */
        k.exact = 1;
        k.guess_wrong = 0;
        if (err && errcap) err[0] = '\0';
        r = crioimg__save_run(s, &k, format, path, imgs, n, buf);
    }
    for (i = 0; i < n; i++) { crioimg__arc_names_free(&imgs[i].tags); crioimg_free(&k.alloc, imgs[i].tagmf); }
    crioimg_free(&k.alloc, imgs);
    crioimg_free(&k.alloc, buf);
    return r;
}

#else /* no POSIX I/O */

int crioimg_archive_is_source(const char *name) { (void)name; return 0; }
crioimg_result crioimg_archive_load(crioimg_store *s, const char *source, const crioimg_archive_load_opts *opts,
                                    crioimg_archive_load_result *out, char *err, size_t errcap)
{
    (void)s; (void)source; (void)opts; (void)out;
    if (err && errcap) snprintf(err, errcap, "image archives need POSIX file I/O");
    return CRIOIMG_ERR_UNSUPPORTED;
}
crioimg_result crioimg_archive_save(crioimg_store *s, const crioimg_archive_save_opts *opts, const char *path, const char *const *names,
                                    size_t n, char *err, size_t errcap)
{
    (void)s; (void)opts; (void)path; (void)names; (void)n;
    if (err && errcap) snprintf(err, errcap, "image archives need POSIX file I/O");
    return CRIOIMG_ERR_UNSUPPORTED;
}

#endif
