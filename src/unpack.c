/* ---------------------------------------------------------------------------------------------------
   unpack implementation: layer media types (portable), then layer application and image unpacking
   (POSIX.1-2008: openat and friends)
   --------------------------------------------------------------------------------------------------- */

#include "internal.h"

crioimg_result crioimg_layer_compression(const char *mt, int *gzip)
{
    static const char *const tars[] = {
        "", "application/vnd.oci.image.layer.v1.tar", "application/vnd.oci.image.layer.nondistributable.v1.tar",
        "application/vnd.docker.image.rootfs.diff.tar"
    };
    static const char *const gzips[] = {
        "application/vnd.oci.image.layer.v1.tar+gzip", "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
        "application/vnd.docker.image.rootfs.diff.tar.gzip", "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
    };
    size_t i;
    if (gzip == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    *gzip = 0;
    if (mt == NULL) mt = "";
    for (i = 0; i < sizeof tars / sizeof tars[0]; i++) if (strcmp(mt, tars[i]) == 0) return CRIOIMG_OK;
    for (i = 0; i < sizeof gzips / sizeof gzips[0]; i++) if (strcmp(mt, gzips[i]) == 0) { *gzip = 1; return CRIOIMG_OK; }
    return CRIOIMG_ERR_UNSUPPORTED;
}

#if !defined(CRIOIMG_NO_UNPACK) && (defined(__unix__) || defined(__APPLE__))
#  include <unistd.h>
#  if defined(_POSIX_VERSION) && _POSIX_VERSION >= 200809L && (!defined(__GLIBC__) || defined(__USE_XOPEN2K8))
#    define CRIOIMG__UNPACK 1
#  endif
#endif

#ifdef CRIOIMG__UNPACK
#include <fcntl.h>
#include <dirent.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#if defined(__linux__)
#  include <sys/sysmacros.h>   /* makedev */
#  include <sys/xattr.h>
#  define CRIOIMG__XATTR 1
#endif
#if (defined(__GLIBC__) && !defined(__USE_XOPEN_EXTENDED) && !defined(__USE_MISC)) || \
    (!defined(__GLIBC__) && defined(__linux__) && !defined(_XOPEN_SOURCE) && !defined(_GNU_SOURCE) && !defined(_BSD_SOURCE) && \
     !defined(_DEFAULT_SOURCE))
/* an XSI function that glibc declares only for _XOPEN_SOURCE or _DEFAULT_SOURCE, and musl only for
   _XOPEN_SOURCE, _GNU_SOURCE or _BSD_SOURCE (a strict -std=c99 build with _POSIX_C_SOURCE has none of
   them); the symbol is always there */
extern int mknodat(int dirfd, const char *path, mode_t mode, dev_t dev);
#endif

#define CRIOIMG__UP_IBUF ((size_t)64 << 10)    /* compressed bytes read at once */
#define CRIOIMG__UP_OBUF ((size_t)128 << 10)   /* decompressed bytes handed to the tar reader at once */
#define CRIOIMG__UP_MAXLINKS 40                /* symlinks followed while resolving one path, as Linux */
#define CRIOIMG__UP_LINKMAX 4096

/* A directory whose mode, owner and mtime are set at the end (writing into it changes its mtime, and a
   read-only mode would stop us writing into it). Stored packed in a byte list: this, then the path. */
typedef struct crioimg__up_dir {
    long long uid, gid, mtime;
    long nsec;
    unsigned mode;
    int chown;
    size_t len;
} crioimg__up_dir;

typedef struct crioimg__up {
    crioimg_allocator alloc;
    int root;                      /* the destination (borrowed) */
    int chown;                     /* root and not rootless: owners from the layer, devices made */
    long long euid, egid;
    int fresh;                     /* crioimg_unpack's own tree: directory modes come at the end */
    unsigned long long max;
    const crioimg_unpack_opts *opts;
    crioimg_unpack_result *res;
    crioimg__tbuf path, link, rem, tmp, res_path, lnk, dirs;
    /* the last parent directory resolved: its name as the entries spell it, where it really is, its fd */
    crioimg__tbuf ckey, cres;
    int cfd;
    /* the entries this layer made (their paths' hashes): an opaque whiteout keeps them */
    unsigned long long *set;
    size_t nset, capset;
    /* the regular file being written */
    int fd;
    long long left;
    const crioimg_tar_entry *fe;
    crioimg_tar_reader *tar;
    unsigned long long bytes;
    crioimg_hasher hash;
    int hashing;
    char *err;
    size_t errcap;
    const char *prefix;            /* "image ...: layer ...: " for messages */
} crioimg__up;

static crioimg_result crioimg__up_fail(crioimg__up *u, crioimg_result r, const crioimg_tar_entry *e, const char *what, int errnum)
{
    if (u->err && u->errcap) {
        if (e)
            snprintf(u->err, u->errcap, "%sentry \"%.400s\" at offset %lld: %s%s%s", u->prefix, e->path, e->offset, what,
                     errnum ? ": " : "", errnum ? strerror(errnum) : "");
        else
            snprintf(u->err, u->errcap, "%s%s%s%s", u->prefix, what, errnum ? ": " : "", errnum ? strerror(errnum) : "");
    }
    return r;
}

static crioimg_result crioimg__up_errno(int e)
{
    return e == ENOMEM ? CRIOIMG_ERR_NOMEM : CRIOIMG_ERR_IO;
}

static int crioimg__up_put(crioimg__up *u, crioimg__tbuf *b, const char *s, size_t n)
{
    return crioimg__tbuf_put(&u->alloc, b, s, n, (size_t)-1 / 4);
}

static int crioimg__up_set(crioimg__up *u, crioimg__tbuf *b, const char *s, size_t n)
{
    b->len = 0;
    if (!crioimg__up_put(u, b, s, n)) return 0;
    if (b->p == NULL) return crioimg__up_put(u, b, "", 0);
    return 1;
}

/* ---- paths ---- */

/* The entry's name as components joined by '/': leading '/' and "." dropped (an absolute name is taken
   relative to the destination, as GNU tar and Go-based unpackers do); 0 for a ".." component. */
static int crioimg__up_clean(crioimg__up *u, crioimg__tbuf *out, const char *s)
{
    out->len = 0;
    if (!crioimg__up_put(u, out, "", 0)) return -1;
    while (*s) {
        const char *c = s;
        size_t n;
        while (*s && *s != '/') s++;
        n = (size_t)(s - c);
        if (*s) s++;
        if (n == 0 || (n == 1 && c[0] == '.')) continue;
        if (n == 2 && c[0] == '.' && c[1] == '.') return 0;
        if ((out->len && !crioimg__up_put(u, out, "/", 1)) || !crioimg__up_put(u, out, c, n)) return -1;
    }
    return 1;
}

static void crioimg__up_uncache(crioimg__up *u)
{
    if (u->cfd >= 0) close(u->cfd);
    u->cfd = -1;
}

/* Opens directory path rest (u->rem) from fd start (owned; u->res_path says where start really is),
   every component with O_NOFOLLOW. A symlink on the way is read and its target walked instead, from
   the destination for an absolute target; ".." goes up the resolved path and never above the
   destination. create: missing directories are made (0755). 0 and *out, or an errno value. */
static int crioimg__up_walk(crioimg__up *u, int start, int create, int *out)
{
    size_t pos = 0;
    int fd = start, links = 0;
    while (pos < u->rem.len) {
        char *c = u->rem.p + pos, *sl = (char *)memchr(c, '/', u->rem.len - pos);
        size_t cl = sl ? (size_t)(sl - c) : u->rem.len - pos;
        int nfd, e;
        struct stat st;
        pos += cl + (sl != NULL);
        c[cl] = '\0';
        if (cl == 0 || (cl == 1 && c[0] == '.')) continue;
        if (cl == 2 && c[0] == '.' && c[1] == '.') {
            /* up the resolved path: reopened from the destination, component by component */
            size_t k = u->res_path.len, q = 0;
            if (k == 0) continue;
            while (k > 0 && u->res_path.p[k - 1] != '/') k--;
            u->res_path.len = k ? k - 1 : 0;
            u->res_path.p[u->res_path.len] = '\0';
            close(fd);
            fd = openat(u->root, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            while (fd >= 0 && q < u->res_path.len) {
                char *d = u->res_path.p + q, *s2 = (char *)memchr(d, '/', u->res_path.len - q);
                size_t dl = s2 ? (size_t)(s2 - d) : u->res_path.len - q;
                char name[256];
                if (dl >= sizeof name) { close(fd); return ENAMETOOLONG; }
                memcpy(name, d, dl);
                name[dl] = '\0';
                nfd = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                close(fd);
                fd = nfd;
                q += dl + 1;
            }
            if (fd < 0) return errno;
            continue;
        }
        nfd = openat(fd, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (nfd < 0 && errno == ENOENT && create) {
            if (mkdirat(fd, c, 0755) != 0 && errno != EEXIST) { e = errno; close(fd); return e; }
            nfd = openat(fd, c, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        }
        if (nfd >= 0) {
            if ((u->res_path.len && !crioimg__up_put(u, &u->res_path, "/", 1)) || !crioimg__up_put(u, &u->res_path, c, cl)) {
                close(nfd); close(fd); return ENOMEM;
            }
            close(fd);
            fd = nfd;
            continue;
        }
        e = errno;
        if ((e == ELOOP || e == ENOTDIR || e == EMLINK) && fstatat(fd, c, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
            ssize_t k;
            if (++links > CRIOIMG__UP_MAXLINKS) { close(fd); return ELOOP; }
            if (u->lnk.cap < CRIOIMG__UP_LINKMAX + 1) {
                u->lnk.len = 0;
                if (!crioimg__up_put(u, &u->lnk, "", 0)) { close(fd); return ENOMEM; }
                if (u->lnk.cap < CRIOIMG__UP_LINKMAX + 1) {
                    char *p = (char *)crioimg_realloc(&u->alloc, u->lnk.p, CRIOIMG__UP_LINKMAX + 1);
                    if (p == NULL) { close(fd); return ENOMEM; }
                    u->lnk.p = p; u->lnk.cap = CRIOIMG__UP_LINKMAX + 1;
                }
            }
            k = readlinkat(fd, c, u->lnk.p, CRIOIMG__UP_LINKMAX);
            if (k < 0) { e = errno; close(fd); return e; }
            if ((size_t)k >= CRIOIMG__UP_LINKMAX) { close(fd); return ENAMETOOLONG; }
            /* the rest of the walk: the link's target, then what followed the link */
            u->tmp.len = 0;
            if (!crioimg__up_put(u, &u->tmp, u->lnk.p, (size_t)k) ||
                (pos < u->rem.len && (!crioimg__up_put(u, &u->tmp, "/", 1) || !crioimg__up_put(u, &u->tmp, u->rem.p + pos, u->rem.len - pos)))) {
                close(fd); return ENOMEM;
            }
            { crioimg__tbuf t = u->rem; u->rem = u->tmp; u->tmp = t; }
            pos = 0;
            if (k > 0 && u->lnk.p[0] == '/') {
                close(fd);
                fd = openat(u->root, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (fd < 0) return errno;
                u->res_path.len = 0;
                u->res_path.p[0] = '\0';
            }
            continue;
        }
        close(fd);
        return e == ELOOP || e == EMLINK ? ENOTDIR : e;
    }
    *out = fd;
    return 0;
}

/* Directory p[0, n) under the destination, a new descriptor the caller closes. */
static int crioimg__up_opendir(crioimg__up *u, const char *p, size_t n, int create, int *out)
{
    int fd = openat(u->root, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return errno;
    if (!crioimg__up_set(u, &u->rem, p, n) || !crioimg__up_set(u, &u->res_path, "", 0)) { close(fd); return ENOMEM; }
    return crioimg__up_walk(u, fd, create, out);
}

/* The parent directory p[0, n) of an entry, kept open for the entries that follow in it (borrowed). */
static int crioimg__up_parent(crioimg__up *u, const char *p, size_t n, int create, int *out)
{
    int fd, e;
    if (n == 0) { *out = u->root; return 0; }
    if (u->cfd >= 0 && u->ckey.len == n && memcmp(u->ckey.p, p, n) == 0) { *out = u->cfd; return 0; }
    if (u->cfd >= 0 && n > u->ckey.len && memcmp(u->ckey.p, p, u->ckey.len) == 0 && p[u->ckey.len] == '/') {
        /* below the cached directory: walk on from there */
        fd = dup(u->cfd);
        if (fd < 0) return errno;
        if (!crioimg__up_set(u, &u->rem, p + u->ckey.len + 1, n - u->ckey.len - 1) ||
            !crioimg__up_set(u, &u->res_path, u->cres.p, u->cres.len)) { close(fd); return ENOMEM; }
        e = crioimg__up_walk(u, fd, create, &fd);
    } else {
        e = crioimg__up_opendir(u, p, n, create, &fd);
    }
    if (e) return e;
    crioimg__up_uncache(u);
    if (!crioimg__up_set(u, &u->ckey, p, n) || !crioimg__up_set(u, &u->cres, u->res_path.p, u->res_path.len)) { close(fd); return ENOMEM; }
    u->cfd = fd;
    *out = fd;
    return 0;
}

/* Removes name in directory pfd, and everything under it when it is a directory, without following
   any symlink: iteratively (a hostile tree's depth never reaches the C stack), one descriptor open. */
static int crioimg__up_rmtree(crioimg__up *u, int pfd, const char *name);

/* An unpack that was killed leaves .DEST.crioimg-tmp-PID-N beside DEST: the next unpack to DEST removes
   each one whose process is gone (a pid taken again by another process only delays that). */
static void crioimg__up_sweep(crioimg__up *u, int pfd, const char *base)
{
    int fd = dup(pfd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    struct dirent *de;
    if (d == NULL) { if (fd >= 0) close(fd); return; }
    while ((de = readdir(d)) != NULL)
        if (de->d_name[0] == '.' && crioimg__tmp_orphan(de->d_name + 1, base, strlen(base), '-')) (void)crioimg__up_rmtree(u, pfd, de->d_name);
    closedir(d);
}

static int crioimg__up_rmtree(crioimg__up *u, int pfd, const char *name)
{
    int fd, depth = 1;
    if (unlinkat(pfd, name, 0) == 0 || errno == ENOENT) return 0;
    if (errno != EISDIR && errno != EPERM) return errno;
    if (unlinkat(pfd, name, AT_REMOVEDIR) == 0) return 0;
    if (errno != ENOTEMPTY && errno != EEXIST && errno != EACCES) return errno;
    fd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return errno;
    while (depth > 0) {
        int dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), down = 0, e = 0;
        DIR *d;
        struct dirent *de;
        if (!u->chown) fchmod(fd, 0700);   /* not root: a read-only directory must become writable */
        d = dfd >= 0 ? fdopendir(dfd) : NULL;
        if (d == NULL) { e = errno; if (dfd >= 0) close(dfd); close(fd); return e; }
        for (;;) {
            const char *n;
            errno = 0;   /* NULL with errno set is a failed read (EIO, EOVERFLOW), not the end of the listing */
            if ((de = readdir(d)) == NULL) { e = errno; break; }
            n = de->d_name;
            if (n[0] == '.' && (n[1] == '\0' || (n[1] == '.' && n[2] == '\0'))) continue;
            if (unlinkat(fd, n, 0) == 0 || errno == ENOENT) continue;
            if (errno != EISDIR && errno != EPERM) { e = errno; break; }
            if (unlinkat(fd, n, AT_REMOVEDIR) == 0) continue;
            if (errno != ENOTEMPTY && errno != EEXIST && errno != EACCES) { e = errno; break; }
            {
                int nfd = openat(fd, n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (nfd < 0) { e = errno; break; }
                close(fd);
                fd = nfd;
                depth++;
                down = 1;
                break;
            }
        }
        closedir(d);
        if (e) { close(fd); return e; }
        if (down) continue;
        /* fd is empty now: up one level, where the next pass removes it */
        if (--depth == 0) break;
        {
            int nfd = openat(fd, "..", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            close(fd);
            if (nfd < 0) return errno;
            fd = nfd;
        }
    }
    close(fd);
    return unlinkat(pfd, name, AT_REMOVEDIR) == 0 || errno == ENOENT ? 0 : errno;
}

/* ---- what this layer made, for opaque whiteouts ---- */

static unsigned long long crioimg__up_fnv(unsigned long long h, const char *s, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) { h ^= (unsigned char)s[i]; h *= 1099511628211ULL; }
    return h;
}
#define CRIOIMG__UP_FNV0 14695981039346656037ULL

static int crioimg__up_set_has(const crioimg__up *u, unsigned long long h)
{
    size_t i;
    if (u->capset == 0) return 0;
    if (h == 0) h = 1;
    for (i = (size_t)h & (u->capset - 1); u->set[i]; i = (i + 1) & (u->capset - 1))
        if (u->set[i] == h) return 1;
    return 0;
}

static int crioimg__up_set_add(crioimg__up *u, unsigned long long h)
{
    size_t i;
    if (h == 0) h = 1;
    if (2 * (u->nset + 1) > u->capset) {
        size_t c = u->capset ? u->capset * 2 : 1024, j;
        unsigned long long *n = (unsigned long long *)crioimg_malloc(&u->alloc, c * sizeof *n);
        if (n == NULL) return 0;
        memset(n, 0, c * sizeof *n);
        for (j = 0; j < u->capset; j++)
            if (u->set[j]) {
                for (i = (size_t)u->set[j] & (c - 1); n[i]; i = (i + 1) & (c - 1)) {}
                n[i] = u->set[j];
            }
        crioimg_free(&u->alloc, u->set);
        u->set = n; u->capset = c;
    }
    for (i = (size_t)h & (u->capset - 1); u->set[i]; i = (i + 1) & (u->capset - 1))
        if (u->set[i] == h) return 1;
    u->set[i] = h;
    u->nset++;
    return 1;
}

/* An opaque whiteout in directory pfd (path dir[0, n)): everything there that this layer did not make
   goes. Passes repeat until one removes nothing (readdir need not show what a removal moved). */
static int crioimg__up_opaque(crioimg__up *u, int pfd, const char *dir, size_t n)
{
    int again = 1;
    unsigned long long base = crioimg__up_fnv(CRIOIMG__UP_FNV0, dir, n);
    if (n) base = crioimg__up_fnv(base, "/", 1);
    while (again) {
        int dfd = openat(pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), e = 0;
        DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
        struct dirent *de;
        if (d == NULL) { e = errno; if (dfd >= 0) close(dfd); return e; }
        again = 0;
        for (;;) {
            const char *nm;
            errno = 0;   /* as in crioimg__up_rmtree: a failed read is an error, not the end */
            if ((de = readdir(d)) == NULL) { e = errno; break; }
            nm = de->d_name;
            if (nm[0] == '.' && (nm[1] == '\0' || (nm[1] == '.' && nm[2] == '\0'))) continue;
            if (crioimg__up_set_has(u, crioimg__up_fnv(base, nm, strlen(nm)))) continue;
            if ((e = crioimg__up_rmtree(u, pfd, nm)) != 0) break;
            again = 1;
        }
        closedir(d);
        if (e) return e;
    }
    return 0;
}

/* ---- applying entries ---- */

static void crioimg__up_times(const crioimg_tar_entry *e, struct timespec ts[2])
{
    time_t t = (time_t)e->mtime;
    if ((long long)t != e->mtime) t = e->mtime < 0 ? 0 : (time_t)0x7fffffff;   /* a 32-bit time_t */
    ts[0].tv_sec = ts[1].tv_sec = t;
    ts[0].tv_nsec = ts[1].tv_nsec = e->mtime_nsec >= 0 && e->mtime_nsec < 1000000000L ? e->mtime_nsec : 0;
}

static void crioimg__up_xattrs(crioimg__up *u, int fd, const crioimg_tar_entry *e)
{
    size_t i;
    for (i = 0; i < e->nxattrs; i++) {
#ifdef CRIOIMG__XATTR
        if (fsetxattr(fd, e->xattrs[i].name, e->xattrs[i].value, e->xattrs[i].len, 0) == 0) continue;
#else
        (void)fd;
#endif
        if (u->res) u->res->xattr_failures++;
    }
}

static crioimg_result crioimg__up_dir_note(crioimg__up *u, const char *path, size_t n, const crioimg_tar_entry *e)
{
    crioimg__up_dir d;
    d.uid = e->uid; d.gid = e->gid; d.mtime = e->mtime; d.nsec = e->mtime_nsec;
    d.mode = e->mode; d.chown = u->chown; d.len = n;
    if (!crioimg__up_put(u, &u->dirs, (const char *)&d, sizeof d) || !crioimg__up_put(u, &u->dirs, path, n) ||
        !crioimg__up_put(u, &u->dirs, "", 1))
        return crioimg__up_fail(u, CRIOIMG_ERR_NOMEM, e, "out of memory", 0);
    return CRIOIMG_OK;
}

/* Every directory noted gets its owner, mode and mtime, in the order noted (a later entry for the same
   directory wins); one that is gone, or is no longer a directory, is skipped. */
static crioimg_result crioimg__up_dirs_finish(crioimg__up *u)
{
    size_t off = 0;
    crioimg__up_uncache(u);
    while (off < u->dirs.len) {
        crioimg__up_dir d;
        const char *p;
        int fd;
        memcpy(&d, u->dirs.p + off, sizeof d);
        p = u->dirs.p + off + sizeof d;
        if (crioimg__up_opendir(u, p, d.len, 0, &fd) == 0) {
            struct timespec ts[2];
            crioimg_tar_entry e;
            memset(&e, 0, sizeof e);
            e.mtime = d.mtime; e.mtime_nsec = d.nsec;
            crioimg__up_times(&e, ts);
            if (d.chown && fchown(fd, (uid_t)d.uid, (gid_t)d.gid) != 0) {
                int er = errno;
                close(fd);
                snprintf(u->err, u->errcap, "%sdirectory \"%.400s\": chown: %s", u->prefix, p, strerror(er));
                return CRIOIMG_ERR_IO;
            }
            fchmod(fd, (mode_t)(d.mode & 07777));
            futimens(fd, ts);
            close(fd);
        }
        off += sizeof d + d.len + 1;
    }
    u->dirs.len = 0;
    return CRIOIMG_OK;
}

/* The file being written is complete: owner, mode, mtime, then it is closed. */
static crioimg_result crioimg__up_file_done(crioimg__up *u)
{
    const crioimg_tar_entry *e = u->fe;
    struct timespec ts[2];
    int fd = u->fd, er = 0;
    u->fd = -1;
    /* a new file in a tree crioimg_unpack is building is ours already (no directory there has its
       setgid bit before the end): chown only to someone else; most files of most images are root's */
    if (u->chown && (!u->fresh || e->uid != u->euid || e->gid != u->egid) && fchown(fd, (uid_t)e->uid, (gid_t)e->gid) != 0) er = errno;
    if (!er && fchmod(fd, (mode_t)(e->mode & 07777)) != 0) er = errno;
    if (!er) {
        crioimg__up_xattrs(u, fd, e);   /* after chown, which would clear security.capability */
        crioimg__up_times(e, ts);
        if (futimens(fd, ts) != 0) er = errno;
    }
    if (close(fd) != 0 && !er) er = errno;
    if (er) return crioimg__up_fail(u, crioimg__up_errno(er), e, "setting its metadata", er);
    return CRIOIMG_OK;
}

static crioimg_result crioimg__up_data(crioimg__up *u, const void *p, size_t n)
{
    const char *c = (const char *)p;
    while (n > 0) {
        ssize_t k = write(u->fd, c, n);
        if (k < 0) {
            int er = errno;
            if (er == EINTR) continue;
            return crioimg__up_fail(u, crioimg__up_errno(er), u->fe, "writing", er);
        }
        c += k; n -= (size_t)k; u->left -= k;
    }
    if (u->left == 0) return crioimg__up_file_done(u);
    return CRIOIMG_OK;
}

static crioimg_result crioimg__up_entry(crioimg__up *u, const crioimg_tar_entry *e)
{
    const char *path, *base;
    size_t plen, dlen;
    int pfd, er, c, exists;
    struct stat st;
    struct timespec ts[2];
    unsigned mode = e->mode & 07777;
    if (u->res) u->res->entries++;
    if (e->type == CRIOIMG_TAR_GLOBAL) return CRIOIMG_OK;
    c = crioimg__up_clean(u, &u->path, e->path);
    if (c < 0) return crioimg__up_fail(u, CRIOIMG_ERR_NOMEM, e, "out of memory", 0);
    if (c == 0) return crioimg__up_fail(u, CRIOIMG_ERR_UNPACK_UNSAFE, e, "a \"..\" component would leave the destination", 0);
    path = u->path.p;
    plen = u->path.len;
    if (plen == 0) {   /* the destination itself ("./"): only a directory, whose metadata it gets */
        if (e->type != CRIOIMG_TAR_DIR) return crioimg__up_fail(u, CRIOIMG_ERR_UNPACK_UNSAFE, e, "would replace the destination itself", 0);
        return crioimg__up_dir_note(u, "", 0, e);
    }
    base = path + plen;
    while (base > path && base[-1] != '/') base--;
    dlen = base > path ? (size_t)(base - path) - 1 : 0;

    if (strncmp(base, ".wh.", 4) == 0) {
        /* whiteouts: never made themselves; they remove what lower layers had */
        const char *victim = base + 4;
        int opq = strcmp(base, ".wh..wh..opq") == 0;
        if (!opq && strncmp(victim, ".wh.", 4) == 0) return CRIOIMG_OK;   /* other AUFS metadata: ignored */
        if (!opq && (victim[0] == '\0' || strcmp(victim, ".") == 0 || strcmp(victim, "..") == 0))
            return crioimg__up_fail(u, CRIOIMG_ERR_UNPACK_UNSAFE, e, "a whiteout naming \".\" or \"..\"", 0);
        er = crioimg__up_parent(u, path, dlen, 0, &pfd);
        if (er == ENOENT) return CRIOIMG_OK;   /* nothing below to hide */
        if (er) return crioimg__up_fail(u, crioimg__up_errno(er), e, "resolving its directory", er);
        {
            char *dir = u->path.p;   /* the parent's name, for the opaque pass's hashes */
            if (opq) er = crioimg__up_opaque(u, pfd, dir, dlen);
            else er = crioimg__up_rmtree(u, pfd, victim);
        }
        crioimg__up_uncache(u);
        if (er) return crioimg__up_fail(u, crioimg__up_errno(er), e, "applying the whiteout", er);
        return CRIOIMG_OK;
    }
    if (!crioimg__up_set_add(u, crioimg__up_fnv(CRIOIMG__UP_FNV0, path, plen))) return crioimg__up_fail(u, CRIOIMG_ERR_NOMEM, e, "out of memory", 0);

    if (e->type == CRIOIMG_TAR_LINK) {
        /* the target first, before anything at this name goes (it may be the target) */
        int tfd;
        const char *tb;
        size_t tdl;
        c = crioimg__up_clean(u, &u->link, e->linkname);
        if (c < 0) return crioimg__up_fail(u, CRIOIMG_ERR_NOMEM, e, "out of memory", 0);
        if (c == 0 || u->link.len == 0) return crioimg__up_fail(u, CRIOIMG_ERR_UNPACK_UNSAFE, e, "a hard link to a target outside the destination", 0);
        if (u->link.len == plen && memcmp(u->link.p, path, plen) == 0) return crioimg__up_fail(u, CRIOIMG_ERR_TAR_FORMAT, e, "a hard link to itself", 0);
        tb = u->link.p + u->link.len;
        while (tb > u->link.p && tb[-1] != '/') tb--;
        tdl = tb > u->link.p ? (size_t)(tb - u->link.p) - 1 : 0;
        er = crioimg__up_opendir(u, u->link.p, tdl, 0, &tfd);
        if (er) return crioimg__up_fail(u, crioimg__up_errno(er), e, "hard link target not found", er);
        if (fstatat(tfd, tb, &st, AT_SYMLINK_NOFOLLOW) != 0 || S_ISDIR(st.st_mode)) {
            er = errno;
            close(tfd);
            return crioimg__up_fail(u, CRIOIMG_ERR_TAR_FORMAT, e, S_ISDIR(st.st_mode) ? "a hard link to a directory" : "hard link target not found", 0);
        }
        er = crioimg__up_parent(u, path, dlen, 1, &pfd);
        if (!er && fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0) {
            er = crioimg__up_rmtree(u, pfd, base);
            if (S_ISDIR(st.st_mode)) {   /* the cached descriptor may have been inside it */
                crioimg__up_uncache(u);
                if (!er) er = crioimg__up_parent(u, path, dlen, 1, &pfd);
            }
        }
        /* linkat without AT_SYMLINK_FOLLOW: a link to a symlink links the symlink itself */
        if (!er && linkat(tfd, tb, pfd, base, 0) != 0) er = errno;
        close(tfd);
        if (er) return crioimg__up_fail(u, crioimg__up_errno(er), e, "making the hard link", er);
        return CRIOIMG_OK;
    }

    er = crioimg__up_parent(u, path, dlen, 1, &pfd);
    if (er) return crioimg__up_fail(u, er == ENOTDIR ? CRIOIMG_ERR_TAR_FORMAT : crioimg__up_errno(er), e,
                                   er == ENOTDIR ? "a parent is not a directory" : "resolving its directory", er == ENOTDIR ? 0 : er);
    if (e->type == CRIOIMG_TAR_FILE) {
        /* the common case first: a new name (one system call saved per file); else what is there goes */
        int fd = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd >= 0) {
            u->fd = fd; u->fe = e; u->left = e->size;
            return e->size == 0 ? crioimg__up_file_done(u) : CRIOIMG_OK;
        }
        if (errno != EEXIST) { er = errno; return crioimg__up_fail(u, crioimg__up_errno(er), e, "creating", er); }
    }
    exists = fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0;
    if (exists && !(S_ISDIR(st.st_mode) && e->type == CRIOIMG_TAR_DIR)) {
        /* what was there goes: a directory with everything in it (the cached descriptor may be in it) */
        if (S_ISDIR(st.st_mode)) {
            er = crioimg__up_rmtree(u, pfd, base);
            crioimg__up_uncache(u);   /* pfd may be the cached descriptor; the cached one may have been inside */
            if (!er) er = crioimg__up_parent(u, path, dlen, 1, &pfd);
        } else if (unlinkat(pfd, base, 0) != 0 && errno != ENOENT) er = errno;
        if (er) return crioimg__up_fail(u, crioimg__up_errno(er), e, "removing what was there", er);
        exists = 0;
    }
    crioimg__up_times(e, ts);
    switch (e->type) {
    case CRIOIMG_TAR_FILE: {
        int fd = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0) { er = errno; return crioimg__up_fail(u, crioimg__up_errno(er), e, "creating", er); }
        u->fd = fd;
        u->fe = e;
        u->left = e->size;
        if (e->size == 0) return crioimg__up_file_done(u);
        return CRIOIMG_OK;
    }
    case CRIOIMG_TAR_DIR: {
        int fd;
        if (!exists && mkdirat(pfd, base, 0700) != 0) { er = errno; return crioimg__up_fail(u, crioimg__up_errno(er), e, "creating", er); }
        if (e->nxattrs || u->chown) {
            fd = openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (fd < 0) { er = errno; return crioimg__up_fail(u, crioimg__up_errno(er), e, "opening", er); }
            if (u->chown && fchown(fd, (uid_t)e->uid, (gid_t)e->gid) != 0) {
                er = errno; close(fd);
                return crioimg__up_fail(u, crioimg__up_errno(er), e, "chown", er);
            }
            crioimg__up_xattrs(u, fd, e);
            close(fd);
        }
        return crioimg__up_dir_note(u, path, plen, e);
    }
    case CRIOIMG_TAR_SYMLINK:
        /* the target is only text here: nothing ever follows it outside the destination */
        if (symlinkat(e->linkname, pfd, base) != 0) { er = errno; return crioimg__up_fail(u, crioimg__up_errno(er), e, "creating the symlink", er); }
        break;
    case CRIOIMG_TAR_FIFO:
        if (mkfifoat(pfd, base, 0600) != 0) { er = errno; return crioimg__up_fail(u, crioimg__up_errno(er), e, "creating the FIFO", er); }
        break;
    case CRIOIMG_TAR_CHAR:
    case CRIOIMG_TAR_BLOCK:
        if (!u->chown) { if (u->res) u->res->skipped_devices++; return CRIOIMG_OK; }
        if (mknodat(pfd, base, (mode_t)((e->type == CRIOIMG_TAR_CHAR ? S_IFCHR : S_IFBLK) | 0600),
                    makedev((unsigned)e->devmajor, (unsigned)e->devminor)) != 0) {
            er = errno;
            return crioimg__up_fail(u, crioimg__up_errno(er), e, "creating the device", er);
        }
        break;
    default: {
        char what[64];
        snprintf(what, sizeof what, "unsupported entry type '%c'", e->type >= 32 && e->type < 127 ? e->type : '?');
        return crioimg__up_fail(u, CRIOIMG_ERR_UNSUPPORTED, e, what, 0);
    }
    }
    /* symlinks, FIFOs, devices: by name, never following the name */
    if (u->chown && fchownat(pfd, base, (uid_t)e->uid, (gid_t)e->gid, AT_SYMLINK_NOFOLLOW) != 0) {
        er = errno;
        return crioimg__up_fail(u, crioimg__up_errno(er), e, "chown", er);
    }
    if (e->type != CRIOIMG_TAR_SYMLINK && fchmodat(pfd, base, (mode_t)mode, 0) != 0) {
        er = errno;
        return crioimg__up_fail(u, crioimg__up_errno(er), e, "chmod", er);
    }
    utimensat(pfd, base, ts, AT_SYMLINK_NOFOLLOW);
    return CRIOIMG_OK;
}

/* Decompressed layer bytes: hashed, counted against the limit, and fed to the tar reader. */
static crioimg_result crioimg__up_feed(crioimg__up *u, const unsigned char *p, size_t n)
{
    size_t pos = 0;
    if (u->hashing) crioimg_hasher_update(&u->hash, p, n);
    u->bytes += n;
    if (u->bytes > u->max) return crioimg__up_fail(u, CRIOIMG_ERR_TOO_BIG, NULL, "layer larger than the unpack limit (max_layer_size)", 0);
    while (pos < n) {
        crioimg_tar_event ev;
        const void *d;
        size_t used, dl;
        crioimg_result r = crioimg_tar_reader_next(u->tar, p + pos, n - pos, &used, &ev, &d, &dl);
        pos += used;
        if (r != CRIOIMG_OK) {
            if (u->err && u->errcap) snprintf(u->err, u->errcap, "%s%s", u->prefix, crioimg_tar_reader_error(u->tar));
            return r;
        }
        if (ev == CRIOIMG_TAR_ENTRY) {
            if (u->fd >= 0) return crioimg__up_fail(u, CRIOIMG_ERR_TAR_FORMAT, u->fe, "content cut short", 0);
            r = crioimg__up_entry(u, crioimg_tar_reader_entry(u->tar));
        } else if (ev == CRIOIMG_TAR_DATA && u->fd >= 0) {
            r = crioimg__up_data(u, d, dl);
        }
        if (r != CRIOIMG_OK) return r;
    }
    return CRIOIMG_OK;
}

typedef struct crioimg__up_src {
    crioimg_read_fn read;
    void *user;
    crioimg_unpack_progress prog;
} crioimg__up_src;

/* One layer: read, decompressed, verified against diff_id, applied. */
static crioimg_result crioimg__up_layer(crioimg__up *u, int gzip, crioimg__up_src *src, const char *diff_id)
{
    crioimg_result r = CRIOIMG_OK;
    crioimg_tar_reader_opts to;
    crioimg_inflate_opts zo;
    crioimg_inflate *z = NULL;
    unsigned char *ib = NULL, *ob = NULL;
    crioimg_digest want;
    const crioimg_unpack_opts *o = u->opts;
    int first = 1;
    memset(&to, 0, sizeof to);
    to.alloc = u->alloc;
    to.max_entry_size = CRIOIMG_TAR_NO_LIMIT;   /* the layer's cap (max_layer_size, counted as data comes) bounds every entry */
    u->bytes = 0;
    u->hashing = 0;
    u->nset = 0;
    if (u->set) memset(u->set, 0, u->capset * sizeof *u->set);
    if (diff_id) {
        r = crioimg_digest_parse(&want, diff_id, strlen(diff_id));
        if (r == CRIOIMG_OK) r = crioimg_hasher_init(&u->hash, want.alg);
        if (r != CRIOIMG_OK) return crioimg__up_fail(u, r, NULL, "the layer's diff_id is not a digest we can check", 0);
        u->hashing = 1;
    }
    if ((r = crioimg_tar_reader_new(&u->tar, &to)) != CRIOIMG_OK) return crioimg__up_fail(u, r, NULL, "out of memory", 0);
    ib = (unsigned char *)crioimg_malloc(&u->alloc, CRIOIMG__UP_IBUF);
    if (gzip) {
        memset(&zo, 0, sizeof zo);
        zo.alloc = u->alloc;
        zo.max_output = u->max;
        ob = (unsigned char *)crioimg_malloc(&u->alloc, CRIOIMG__UP_OBUF);
        r = ob ? crioimg_inflate_new(&z, &zo) : CRIOIMG_ERR_NOMEM;
    }
    if (ib == NULL && r == CRIOIMG_OK) r = CRIOIMG_ERR_NOMEM;
    if (r != CRIOIMG_OK) { crioimg__up_fail(u, r, NULL, crioimg_result_str(r), 0); goto done; }
    for (;;) {
        size_t n = 0, ipos = 0;
        if (o && crioimg_cancelled(o->cancel)) { r = crioimg__up_fail(u, CRIOIMG_ERR_CANCELLED, NULL, "cancelled", 0); goto done; }
        r = src->read(src->user, ib, CRIOIMG__UP_IBUF, &n);
        if (r != CRIOIMG_OK) {
            crioimg__up_fail(u, r, NULL, r == CRIOIMG_ERR_DIGEST_MISMATCH ? "the layer blob does not match its digest" : "reading the layer",
                             0);
            if (r != CRIOIMG_ERR_DIGEST_MISMATCH && u->err && u->errcap) {
                size_t l = strlen(u->err);
                snprintf(u->err + l, u->errcap - l, ": %s", crioimg_result_str(r));
            }
            goto done;
        }
        src->prog.done += (long long)n;
        src->prog.total_done += (long long)n;
        if (o && o->progress) o->progress(o->progress_user, &src->prog);
        if (n == 0) break;
        /* a layer labelled gzip that is a plain tar: containers/image labels the uncompressed layers of a
           docker-archive so, and containers/storage goes by the bytes; so do we (a tar never starts 1f 8b) */
        if (gzip && first && !(ib[0] == 0x1f && (n < 2 || ib[1] == 0x8b))) gzip = 0;
        first = 0;
        if (!gzip) { if ((r = crioimg__up_feed(u, ib, n)) != CRIOIMG_OK) goto done; continue; }
        for (;;) {
            size_t used = 0, got = 0;
            r = crioimg_inflate_run(z, ib + ipos, n - ipos, &used, ob, CRIOIMG__UP_OBUF, &got, NULL);
            if (r != CRIOIMG_OK) {
                /* the entry being read when the compressed stream broke, if any */
                const crioimg_tar_entry *ce = crioimg_tar_reader_entry(u->tar);
                if (u->err && u->errcap)
                    snprintf(u->err, u->errcap, "%sgzip: %s%s%.400s%s", u->prefix, crioimg_inflate_error(z),
                             ce ? " (in or after entry \"" : "", ce ? ce->path : "", ce ? "\")" : "");
                goto done;
            }
            ipos += used;
            if (got && (r = crioimg__up_feed(u, ob, got)) != CRIOIMG_OK) goto done;
            if (ipos >= n && got < CRIOIMG__UP_OBUF) break;
            if (used == 0 && got == 0) break;   /* cannot happen with a working decoder; never spin */
        }
    }
    if (gzip && (r = crioimg_inflate_finish(z)) != CRIOIMG_OK) {
        if (u->err && u->errcap) snprintf(u->err, u->errcap, "%sgzip: %s", u->prefix, crioimg_inflate_error(z));
        goto done;
    }
    if ((r = crioimg_tar_reader_finish(u->tar)) != CRIOIMG_OK) {
        if (u->err && u->errcap) snprintf(u->err, u->errcap, "%s%s", u->prefix, crioimg_tar_reader_error(u->tar));
        goto done;
    }
    if (u->hashing && crioimg_hasher_verify(&u->hash, &want) != CRIOIMG_OK) {
        r = crioimg__up_fail(u, CRIOIMG_ERR_DIGEST_MISMATCH, NULL, "the uncompressed layer does not match its diff_id", 0);
        goto done;
    }
    if (u->res) { u->res->layers++; u->res->bytes += (long long)u->bytes; }
    src->prog.finished = 1;
    if (o && o->progress) o->progress(o->progress_user, &src->prog);
done:
    if (u->fd >= 0) { close(u->fd); u->fd = -1; }
    crioimg_tar_reader_free(u->tar);
    u->tar = NULL;
    crioimg_inflate_free(z);
    crioimg_free(&u->alloc, ib);
    crioimg_free(&u->alloc, ob);
    return r;
}

static void crioimg__up_init(crioimg__up *u, int root, const crioimg_unpack_opts *opts, crioimg_unpack_result *res, char *err, size_t errcap)
{
    memset(u, 0, sizeof *u);
    if (opts) u->alloc = opts->alloc;
    u->opts = opts;
    u->root = root;
    u->cfd = -1;
    u->fd = -1;
    u->res = res;
    u->err = err;
    u->errcap = err ? errcap : 0;
    u->prefix = "";
    u->max = opts && opts->max_layer_size ? opts->max_layer_size : (64ULL << 30);
    u->chown = !(opts && opts->rootless) && geteuid() == 0;
    u->euid = (long long)geteuid();
    u->egid = (long long)getegid();
}

static void crioimg__up_free(crioimg__up *u)
{
    crioimg__tbuf *b[] = { &u->path, &u->link, &u->rem, &u->tmp, &u->res_path, &u->lnk, &u->dirs, &u->ckey, &u->cres };
    size_t i;
    crioimg__up_uncache(u);
    for (i = 0; i < sizeof b / sizeof b[0]; i++) crioimg_free(&u->alloc, b[i]->p);
    crioimg_free(&u->alloc, u->set);
}

crioimg_result crioimg_layer_apply(int dirfd, const char *media_type, crioimg_read_fn read, void *read_user,
                                   const char *diff_id, const crioimg_unpack_opts *opts,
                                   crioimg_unpack_result *res, char *err, size_t errcap)
{
    crioimg__up u;
    crioimg__up_src src;
    crioimg_result r;
    int gzip;
    if (err && errcap) err[0] = '\0';
    if (dirfd < 0 || read == NULL || (opts && crioimg_allocator_check(&opts->alloc) != CRIOIMG_OK)) return CRIOIMG_ERR_INVALID_ARGS;
    if (crioimg_layer_compression(media_type, &gzip) != CRIOIMG_OK) {
        if (err && errcap) snprintf(err, errcap, "layer media type \"%.200s\" is not supported", media_type);
        return CRIOIMG_ERR_UNSUPPORTED;
    }
    crioimg__up_init(&u, dirfd, opts, res, err, errcap);
    memset(&src, 0, sizeof src);
    src.read = read;
    src.user = read_user;
    src.prog.nlayers = 1;
    src.prog.digest = "";
    src.prog.size = src.prog.total = -1;
    r = crioimg__up_layer(&u, gzip, &src, diff_id);
    if (r == CRIOIMG_OK) r = crioimg__up_dirs_finish(&u);
    crioimg__up_free(&u);
    return r;
}

/* ---- images ---- */

typedef struct crioimg__up_blob {
    crioimg_blob_reader *r;
    long long n;
} crioimg__up_blob;

static crioimg_result crioimg__up_blob_read(void *user, void *buf, size_t cap, size_t *n)
{
    crioimg__up_blob *b = (crioimg__up_blob *)user;
    crioimg_result r = crioimg_blob_reader_read(b->r, buf, cap, n);
    if (r == CRIOIMG_OK) b->n += (long long)*n;
    return r;
}

/* The numeric uid (and gid) of a user named in config.User, from the tree's /etc/passwd and
   /etc/group (read inside the destination, as every path is). */
static int crioimg__up_lookup(crioimg__up *u, const char *file, const char *name, long id, long *out_id, long *out_gid)
{
    int dfd, fd;
    char *buf;
    size_t len = 0;
    ssize_t k;
    int found = 0;
    if (crioimg__up_opendir(u, "etc", 3, 0, &dfd) != 0) return 0;
    fd = openat(dfd, file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    close(dfd);
    if (fd < 0) return 0;
    buf = (char *)crioimg_malloc(&u->alloc, (size_t)1 << 20);
    if (buf == NULL) { close(fd); return 0; }
    while (len < ((size_t)1 << 20) - 1 && (k = read(fd, buf + len, ((size_t)1 << 20) - 1 - len)) > 0) len += (size_t)k;
    close(fd);
    buf[len] = '\0';
    {
        char *line = buf;
        while (line && *line && !found) {
            char *nl = strchr(line, '\n'), *f[4];
            int i;
            if (nl) *nl = '\0';
            f[0] = line;
            for (i = 1; i < 4; i++) { f[i] = f[i - 1] ? strchr(f[i - 1], ':') : NULL; if (f[i]) *f[i]++ = '\0'; }
            if (f[2] && ((name && strcmp(f[0], name) == 0) || (!name && atol(f[2]) == id))) {
                *out_id = atol(f[2]);
                if (out_gid && f[3]) *out_gid = atol(f[3]);
                found = 1;
            }
            line = nl ? nl + 1 : NULL;
        }
    }
    crioimg_free(&u->alloc, buf);
    return found;
}

static void crioimg__up_json_strings(crioimg_json_writer *w, const crioimg_json *d, size_t arr, char *tmp, size_t cap)
{
    size_t i, k;
    if (arr == CRIOIMG_JSON_NONE || arr >= d->ntok || d->tok[arr].type != CRIOIMG_JSON_ARRAY) return;
    for (i = arr + 1, k = 0; k < d->tok[arr].count; k++, i = d->tok[i].next) {
        size_t n = crioimg_json_string(d, i, tmp, cap);
        if (n < cap) crioimg_json_write_string(w, tmp, n);
    }
}

/* config.json for the bundle: the defaults `runc spec` writes, with the image config's process. */
static crioimg_result crioimg__up_bundle_config(crioimg__up *u, const crioimg_json *d, int bfd)
{
    static const char *const caps[] = { "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE" };
    static const char *const capsets[] = { "bounding", "effective", "permitted" };
    static const char *const masked[] = { "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
        "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi" };
    static const char *const ro[] = { "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger" };
    static const char *const ns[] = { "pid", "network", "ipc", "uts", "mount" };
    static const struct { const char *dest, *type, *src, *opts; } mounts[] = {
        { "/proc", "proc", "proc", "" },
        { "/dev", "tmpfs", "tmpfs", "nosuid,strictatime,mode=755,size=65536k" },
        { "/dev/pts", "devpts", "devpts", "nosuid,noexec,newinstance,ptmxmode=0666,mode=0620,gid=5" },
        { "/dev/shm", "tmpfs", "shm", "nosuid,noexec,nodev,mode=1777,size=65536k" },
        { "/dev/mqueue", "mqueue", "mqueue", "nosuid,noexec,nodev" },
        { "/sys", "sysfs", "sysfs", "nosuid,noexec,nodev,ro" },
    };
    size_t cfg = crioimg_json_get(d, 0, "config"), v, i, k, n;
    char *tmp;
    const size_t cap = (size_t)1 << 16;
    long uid = 0, gid = 0, pu = -1, pg = -1;
    crioimg_json_writer w;
    const char *text;
    size_t tlen;
    crioimg_result r;
    int fd, any;
    tmp = (char *)crioimg_malloc(&u->alloc, cap);
    if (tmp == NULL) return crioimg__up_fail(u, CRIOIMG_ERR_NOMEM, NULL, "out of memory", 0);
    /* User: numbers as they are; names from the tree's /etc/passwd and /etc/group, as runc resolves them */
    v = crioimg_json_get(d, cfg, "User");
    n = crioimg_json_string(d, v, tmp, cap);
    if (n > 0 && n < cap) {
        char *colon = strchr(tmp, ':');
        r = crioimg_image_config_user(tmp, &pu, &pg);
        if (r != CRIOIMG_OK && r != CRIOIMG_ERR_JSON_RANGE) r = CRIOIMG_OK;   /* names: looked up below */
        if (r != CRIOIMG_OK) { crioimg_free(&u->alloc, tmp); return crioimg__up_fail(u, r, NULL, "config.User is out of range", 0); }
        if (colon) *colon = '\0';
        if (pu >= 0) uid = pu;
        else if (!crioimg__up_lookup(u, "passwd", tmp, 0, &uid, &gid)) {
            snprintf(u->err, u->errcap, "%sconfig.User: no user \"%.200s\" in the image's /etc/passwd", u->prefix, tmp);
            crioimg_free(&u->alloc, tmp);
            return CRIOIMG_ERR_NOT_FOUND;
        }
        if (pu >= 0 && !crioimg__up_lookup(u, "passwd", NULL, pu, &uid, &gid)) gid = 0;
        if (colon) {
            if (pg >= 0) gid = pg;
            else if (!crioimg__up_lookup(u, "group", colon + 1, 0, &gid, NULL)) {
                snprintf(u->err, u->errcap, "%sconfig.User: no group \"%.200s\" in the image's /etc/group", u->prefix, colon + 1);
                crioimg_free(&u->alloc, tmp);
                return CRIOIMG_ERR_NOT_FOUND;
            }
        }
    }
    crioimg_json_writer_init(&w, &u->alloc);
    crioimg_json_write_object_begin(&w);
    crioimg_json_write_key(&w, "ociVersion", 10); crioimg_json_write_string(&w, "1.0.2", 5);
    crioimg_json_write_key(&w, "process", 7); crioimg_json_write_object_begin(&w);
    crioimg_json_write_key(&w, "terminal", 8); crioimg_json_write_bool(&w, 0);
    crioimg_json_write_key(&w, "user", 4); crioimg_json_write_object_begin(&w);
    crioimg_json_write_key(&w, "uid", 3); crioimg_json_write_int(&w, uid);
    crioimg_json_write_key(&w, "gid", 3); crioimg_json_write_int(&w, gid);
    crioimg_json_write_object_end(&w);
    crioimg_json_write_key(&w, "args", 4); crioimg_json_write_array_begin(&w);
    v = crioimg_json_get(d, cfg, "Entrypoint");
    any = v != CRIOIMG_JSON_NONE && v < d->ntok && d->tok[v].type == CRIOIMG_JSON_ARRAY && d->tok[v].count > 0;
    crioimg__up_json_strings(&w, d, v, tmp, cap);
    v = crioimg_json_get(d, cfg, "Cmd");
    any |= v != CRIOIMG_JSON_NONE && v < d->ntok && d->tok[v].type == CRIOIMG_JSON_ARRAY && d->tok[v].count > 0;
    crioimg__up_json_strings(&w, d, v, tmp, cap);
    if (!any) crioimg_json_write_string(&w, "sh", 2);   /* as runc spec */
    crioimg_json_write_array_end(&w);
    crioimg_json_write_key(&w, "env", 3); crioimg_json_write_array_begin(&w);
    v = crioimg_json_get(d, cfg, "Env");
    if (v != CRIOIMG_JSON_NONE && v < d->ntok && d->tok[v].type == CRIOIMG_JSON_ARRAY && d->tok[v].count > 0)
        crioimg__up_json_strings(&w, d, v, tmp, cap);
    else {
        static const char path[] = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        crioimg_json_write_string(&w, path, sizeof path - 1);
    }
    crioimg_json_write_array_end(&w);
    v = crioimg_json_get(d, cfg, "WorkingDir");
    n = crioimg_json_string(d, v, tmp, cap);
    crioimg_json_write_key(&w, "cwd", 3);
    if (n > 0 && n < cap) crioimg_json_write_string(&w, tmp, n); else crioimg_json_write_string(&w, "/", 1);
    crioimg_json_write_key(&w, "capabilities", 12); crioimg_json_write_object_begin(&w);
    for (i = 0; i < 3; i++) {
        crioimg_json_write_key(&w, capsets[i], strlen(capsets[i]));
        crioimg_json_write_array_begin(&w);
        for (k = 0; k < 3; k++) crioimg_json_write_string(&w, caps[k], strlen(caps[k]));
        crioimg_json_write_array_end(&w);
    }
    crioimg_json_write_object_end(&w);
    crioimg_json_write_key(&w, "rlimits", 7); crioimg_json_write_array_begin(&w);
    crioimg_json_write_object_begin(&w);
    crioimg_json_write_key(&w, "type", 4); crioimg_json_write_string(&w, "RLIMIT_NOFILE", 13);
    crioimg_json_write_key(&w, "hard", 4); crioimg_json_write_int(&w, 1024);
    crioimg_json_write_key(&w, "soft", 4); crioimg_json_write_int(&w, 1024);
    crioimg_json_write_object_end(&w);
    crioimg_json_write_array_end(&w);
    crioimg_json_write_key(&w, "noNewPrivileges", 15); crioimg_json_write_bool(&w, 1);
    crioimg_json_write_object_end(&w);
    crioimg_json_write_key(&w, "root", 4); crioimg_json_write_object_begin(&w);
    crioimg_json_write_key(&w, "path", 4); crioimg_json_write_string(&w, "rootfs", 6);
    crioimg_json_write_key(&w, "readonly", 8); crioimg_json_write_bool(&w, 0);
    crioimg_json_write_object_end(&w);
    crioimg_json_write_key(&w, "hostname", 8); crioimg_json_write_string(&w, "crioimg", 7);
    crioimg_json_write_key(&w, "mounts", 6); crioimg_json_write_array_begin(&w);
    for (i = 0; i < sizeof mounts / sizeof mounts[0]; i++) {
        const char *o = mounts[i].opts;
        crioimg_json_write_object_begin(&w);
        crioimg_json_write_key(&w, "destination", 11); crioimg_json_write_string(&w, mounts[i].dest, strlen(mounts[i].dest));
        crioimg_json_write_key(&w, "type", 4); crioimg_json_write_string(&w, mounts[i].type, strlen(mounts[i].type));
        crioimg_json_write_key(&w, "source", 6); crioimg_json_write_string(&w, mounts[i].src, strlen(mounts[i].src));
        if (*o) {
            crioimg_json_write_key(&w, "options", 7); crioimg_json_write_array_begin(&w);
            while (*o) {
                const char *comma = strchr(o, ',');
                size_t l = comma ? (size_t)(comma - o) : strlen(o);
                crioimg_json_write_string(&w, o, l);
                o += l + (comma != NULL);
            }
            crioimg_json_write_array_end(&w);
        }
        crioimg_json_write_object_end(&w);
    }
    crioimg_json_write_array_end(&w);
    crioimg_json_write_key(&w, "linux", 5); crioimg_json_write_object_begin(&w);
    crioimg_json_write_key(&w, "resources", 9); crioimg_json_write_object_begin(&w);
    crioimg_json_write_key(&w, "devices", 7); crioimg_json_write_array_begin(&w);
    crioimg_json_write_object_begin(&w);
    crioimg_json_write_key(&w, "allow", 5); crioimg_json_write_bool(&w, 0);
    crioimg_json_write_key(&w, "access", 6); crioimg_json_write_string(&w, "rwm", 3);
    crioimg_json_write_object_end(&w);
    crioimg_json_write_array_end(&w);
    crioimg_json_write_object_end(&w);
    crioimg_json_write_key(&w, "namespaces", 10); crioimg_json_write_array_begin(&w);
    for (i = 0; i < sizeof ns / sizeof ns[0]; i++) {
        crioimg_json_write_object_begin(&w);
        crioimg_json_write_key(&w, "type", 4); crioimg_json_write_string(&w, ns[i], strlen(ns[i]));
        crioimg_json_write_object_end(&w);
    }
    crioimg_json_write_array_end(&w);
    crioimg_json_write_key(&w, "maskedPaths", 11); crioimg_json_write_array_begin(&w);
    for (i = 0; i < sizeof masked / sizeof masked[0]; i++) crioimg_json_write_string(&w, masked[i], strlen(masked[i]));
    crioimg_json_write_array_end(&w);
    crioimg_json_write_key(&w, "readonlyPaths", 13); crioimg_json_write_array_begin(&w);
    for (i = 0; i < sizeof ro / sizeof ro[0]; i++) crioimg_json_write_string(&w, ro[i], strlen(ro[i]));
    crioimg_json_write_array_end(&w);
    crioimg_json_write_object_end(&w);
    /* Labels as annotations */
    crioimg_json_write_key(&w, "annotations", 11); crioimg_json_write_object_begin(&w);
    v = crioimg_json_get(d, cfg, "Labels");
    if (v != CRIOIMG_JSON_NONE && v < d->ntok && d->tok[v].type == CRIOIMG_JSON_OBJECT) {
        for (i = v + 1, k = 0; k < d->tok[v].count; k++, i = d->tok[i + 1].next) {
            size_t kl = crioimg_json_string(d, i, tmp, cap);
            if (kl >= cap || d->tok[i + 1].type != CRIOIMG_JSON_STRING) continue;
            crioimg_json_write_key(&w, tmp, kl);
            kl = crioimg_json_string(d, i + 1, tmp, cap);
            crioimg_json_write_string(&w, tmp, kl < cap ? kl : 0);
        }
    }
    crioimg_json_write_object_end(&w);
    crioimg_json_write_object_end(&w);
    crioimg_free(&u->alloc, tmp);
    r = crioimg_json_writer_finish(&w, &text, &tlen);
    if (r != CRIOIMG_OK) { crioimg_json_writer_free(&w); return crioimg__up_fail(u, r, NULL, "writing config.json", 0); }
    fd = openat(bfd, "config.json", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0 || write(fd, text, tlen) != (ssize_t)tlen || write(fd, "\n", 1) != 1) {
        int er = errno;
        if (fd >= 0) close(fd);
        crioimg_json_writer_free(&w);
        return crioimg__up_fail(u, CRIOIMG_ERR_IO, NULL, "writing config.json", er);
    }
    close(fd);
    crioimg_json_writer_free(&w);
    return CRIOIMG_OK;
}

crioimg_result crioimg_unpack(crioimg_store *s, const char *name_or_id, const char *dest, const crioimg_unpack_opts *opts,
                              crioimg_unpack_result *res, char *err, size_t errcap)
{
    crioimg__up u;
    crioimg_image_list l;
    crioimg_manifest m;
    crioimg_json doc;
    crioimg_json_opts jo;
    void *mdata = NULL, *cdata = NULL;
    size_t mlen, clen, i, ids = CRIOIMG_JSON_NONE;
    crioimg_result r;
    /* names and messages on the heap: embedded threads have 8-16 KiB of stack */
    struct crioimg__up_names { char prefix[512], lprefix[1024], tmpname[4096], parent[4096]; } *nm;
    char *prefix, *tmpname, *parent;
    const char *base;
    int pfd = -1, bfd = -1, rfd = -1, made = 0;
    long long total = 0, total_done = 0;
    struct stat st;
    if (err && errcap) err[0] = '\0';
    if (s == NULL || name_or_id == NULL || dest == NULL || dest[0] == '\0' ||
        (opts && crioimg_allocator_check(&opts->alloc) != CRIOIMG_OK)) return CRIOIMG_ERR_INVALID_ARGS;
    memset(&l, 0, sizeof l);
    memset(&m, 0, sizeof m);
    memset(&doc, 0, sizeof doc);
    crioimg__up_init(&u, -1, opts, res, err, errcap);
    nm = (struct crioimg__up_names *)crioimg_malloc(&u.alloc, sizeof *nm);
    if (nm == NULL) return CRIOIMG_ERR_NOMEM;
    prefix = nm->prefix; tmpname = nm->tmpname; parent = nm->parent;
    snprintf(prefix, sizeof nm->prefix, "image \"%.200s\": ", name_or_id);
    u.prefix = prefix;

    /* the image: its manifest, its config (diff_ids), every layer's media type before any work */
    r = crioimg_store_image_status(s, name_or_id, &l);
    if (r != CRIOIMG_OK) { snprintf(u.err, u.errcap, "%s%s", prefix, crioimg_store_error(s)[0] ? crioimg_store_error(s) : crioimg_result_str(r)); goto done; }
    r = crioimg_store_get_blob(s, l.images[0].manifest_digest, 0, &mdata, &mlen);
    if (r == CRIOIMG_OK) r = crioimg_manifest_parse(&m, (const char *)mdata, mlen, NULL, NULL);
    if (r == CRIOIMG_OK && m.kind != CRIOIMG_MANIFEST_OCI && m.kind != CRIOIMG_MANIFEST_DOCKER_V2) r = CRIOIMG_ERR_MANIFEST_UNSUPPORTED;
    if (r != CRIOIMG_OK) { crioimg__up_fail(&u, r, NULL, "reading its manifest", 0); goto msg; }
    r = crioimg_store_get_blob(s, m.config.digest, 0, &cdata, &clen);
    memset(&jo, 0, sizeof jo);
    jo.alloc = u.alloc;
    jo.allow_duplicates = 1;
    if (r == CRIOIMG_OK) r = crioimg_json_parse(&doc, (const char *)cdata, clen, &jo);
    if (r == CRIOIMG_OK) {
        ids = crioimg_json_get(&doc, crioimg_json_get(&doc, 0, "rootfs"), "diff_ids");
        if (ids == CRIOIMG_JSON_NONE || ids >= doc.ntok || doc.tok[ids].type != CRIOIMG_JSON_ARRAY || doc.tok[ids].count != m.nlayers)
            r = CRIOIMG_ERR_MANIFEST_INVALID;
    }
    if (r != CRIOIMG_OK) { crioimg__up_fail(&u, r, NULL, "its config has no rootfs.diff_ids for every layer", 0); goto msg; }
    for (i = 0; i < m.nlayers; i++) {
        int gz;
        if (crioimg_layer_compression(m.layers[i].media_type, &gz) != CRIOIMG_OK) {
            r = CRIOIMG_ERR_UNSUPPORTED;
            snprintf(u.err, u.errcap, "%slayer %s: media type \"%.200s\" is not supported%s", prefix, m.layers[i].digest, m.layers[i].media_type,
                     strstr(m.layers[i].media_type, "zstd") ? " (zstd)" : strstr(m.layers[i].media_type, "encrypted") ? " (encrypted layer)" : "");
            goto done;
        }
        total += m.layers[i].size;
    }

    /* the destination: must not exist (or be empty); everything is made under a temporary name */
    if (strlen(dest) >= sizeof nm->parent) { r = CRIOIMG_ERR_INVALID_ARGS; crioimg__up_fail(&u, r, NULL, "destination path too long", 0); goto done; }
    strcpy(parent, dest);
    {
        size_t n = strlen(parent);
        while (n > 1 && parent[n - 1] == '/') parent[--n] = '\0';
        base = strrchr(parent, '/');
        if (base == NULL) { base = parent; pfd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC); }
        else if (base == parent) { parent[0] = '\0'; base = dest + 1; pfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC); }
        else { *(char *)base = '\0'; base++; pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC); }
    }
    if (pfd < 0) { r = CRIOIMG_ERR_NOT_FOUND; crioimg__up_fail(&u, r, NULL, "the destination's parent directory", errno); goto done; }
    if (base[0] == '\0' || strcmp(base, ".") == 0 || strcmp(base, "..") == 0) { r = CRIOIMG_ERR_INVALID_ARGS; crioimg__up_fail(&u, r, NULL, "invalid destination", 0); goto done; }
    if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        int dfd = S_ISDIR(st.st_mode) ? openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
        DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
        struct dirent *de;
        int empty = d != NULL, en = 0;
        while (d && empty) {
            errno = 0;   /* a failed read must not make the destination look empty */
            if ((de = readdir(d)) == NULL) { en = errno; break; }
            if (!(de->d_name[0] == '.' && (de->d_name[1] == '\0' || (de->d_name[1] == '.' && de->d_name[2] == '\0')))) empty = 0;
        }
        if (d) closedir(d); else if (dfd >= 0) close(dfd);
        if (en) { r = CRIOIMG_ERR_IO; snprintf(u.err, u.errcap, "reading directory %.400s: %s", dest, strerror(en)); goto done; }
        if (!empty) { r = CRIOIMG_ERR_INVALID_ARGS; snprintf(u.err, u.errcap, "destination %.400s exists (and is not an empty directory)", dest); goto done; }
    }
    crioimg__up_sweep(&u, pfd, base);
    {
        int mk = -1;
        for (i = 0; i < 1000 && mk != 0; i++) {   /* another unpack of the same destination may be under way */
            snprintf(tmpname, sizeof nm->tmpname, ".%.200s.crioimg-tmp-%ld-%lu", base, (long)getpid(), (unsigned long)i);
            mk = mkdirat(pfd, tmpname, 0700);
            if (mk != 0 && errno != EEXIST) break;
        }
        if (mk != 0) { r = CRIOIMG_ERR_IO; crioimg__up_fail(&u, r, NULL, "creating the destination", errno); goto done; }
    }
    made = 1;
    bfd = openat(pfd, tmpname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (bfd >= 0 && !(opts && opts->rootfs_only)) {
        if (mkdirat(bfd, "rootfs", 0755) == 0) rfd = openat(bfd, "rootfs", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    } else if (bfd >= 0) {
        rfd = dup(bfd);
        fchmod(rfd, 0755);   /* the tree's root, unless a layer says otherwise */
    }
    if (rfd < 0) { r = CRIOIMG_ERR_IO; crioimg__up_fail(&u, r, NULL, "creating the destination", errno); goto done; }
    u.root = rfd;
    u.fresh = 1;

    /* the layers, in order, each verified twice: compressed (store) and uncompressed (diff_id) */
    for (i = 0, ids = ids + 1; i < m.nlayers; i++, ids = doc.tok[ids].next) {
        crioimg__up_blob b;
        crioimg__up_src src;
        char diff[CRIOIMG_DIGEST_STRING_MAX + 1], *lprefix = nm->lprefix;
        int gz;
        size_t dn = crioimg_json_string(&doc, ids, diff, sizeof diff);
        crioimg_layer_compression(m.layers[i].media_type, &gz);
        snprintf(lprefix, sizeof nm->lprefix, "%slayer %s: ", prefix, m.layers[i].digest);
        u.prefix = lprefix;
        if (dn == 0 || dn >= sizeof diff) { r = CRIOIMG_ERR_MANIFEST_INVALID; crioimg__up_fail(&u, r, NULL, "invalid diff_id in the config", 0); goto done; }
        memset(&b, 0, sizeof b);
        r = crioimg_store_blob_open(s, m.layers[i].digest, &b.r);
        if (r != CRIOIMG_OK) { crioimg__up_fail(&u, r, NULL, r == CRIOIMG_ERR_NOT_FOUND ? "blob not in the store" : crioimg_result_str(r), 0); goto done; }
        memset(&src, 0, sizeof src);
        src.read = crioimg__up_blob_read;
        src.user = &b;
        src.prog.layer = i;
        src.prog.nlayers = m.nlayers;
        src.prog.digest = m.layers[i].digest;
        src.prog.size = m.layers[i].size;
        src.prog.total = total;
        src.prog.total_done = total_done;
        r = crioimg__up_layer(&u, gz, &src, diff);
        crioimg_blob_reader_close(b.r);
        if (r == CRIOIMG_OK && b.n != m.layers[i].size) {
            r = CRIOIMG_ERR_SIZE_MISMATCH;
            crioimg__up_fail(&u, r, NULL, "the blob's size is not the descriptor's", 0);
        }
        if (r != CRIOIMG_OK) goto done;
        total_done += m.layers[i].size;
    }
    u.prefix = prefix;
    if ((r = crioimg__up_dirs_finish(&u)) != CRIOIMG_OK) goto done;
    if (!(opts && opts->rootfs_only)) {
        if ((r = crioimg__up_bundle_config(&u, &doc, bfd)) != CRIOIMG_OK) goto done;
    }
    crioimg__up_uncache(&u);
    if (renameat(pfd, tmpname, pfd, base) != 0) {
        r = CRIOIMG_ERR_IO;
        crioimg__up_fail(&u, r, NULL, "renaming the tree into place", errno);
        goto done;
    }
    made = 0;
    r = CRIOIMG_OK;
    goto done;
msg:
    if (err && errcap && m.err[0]) {
        size_t k = strlen(err);
        snprintf(err + k, errcap - k, " (%s)", m.err);
    }
done:
    crioimg__up_free(&u);
    if (rfd >= 0) close(rfd);
    if (bfd >= 0) close(bfd);
    if (made) {
        /* a failed unpack leaves nothing: the temporary tree goes whole */
        u.chown = geteuid() == 0;
        crioimg__up_rmtree(&u, pfd, tmpname);
    }
    if (pfd >= 0) close(pfd);
    crioimg_json_free(&doc);
    crioimg_manifest_free(&m);
    crioimg_store_free_blob(s, mdata);
    crioimg_store_free_blob(s, cdata);
    crioimg_image_list_free(&l);
    crioimg_free(&u.alloc, nm);
    return r;
}

#else /* no POSIX.1-2008 */

crioimg_result crioimg_layer_apply(int dirfd, const char *media_type, crioimg_read_fn read, void *read_user,
                                   const char *diff_id, const crioimg_unpack_opts *opts,
                                   crioimg_unpack_result *res, char *err, size_t errcap)
{
    (void)dirfd; (void)media_type; (void)read; (void)read_user; (void)diff_id; (void)opts; (void)res;
    if (err && errcap) snprintf(err, errcap, "unpacking needs POSIX.1-2008 (openat)");
    return CRIOIMG_ERR_UNSUPPORTED;
}

crioimg_result crioimg_unpack(crioimg_store *s, const char *name_or_id, const char *dest, const crioimg_unpack_opts *opts,
                              crioimg_unpack_result *res, char *err, size_t errcap)
{
    (void)s; (void)name_or_id; (void)dest; (void)opts; (void)res;
    if (err && errcap) snprintf(err, errcap, "unpacking needs POSIX.1-2008 (openat)");
    return CRIOIMG_ERR_UNSUPPORTED;
}

#endif
