/* ---------------------------------------------------------------------------------------------------
   store implementation: the built-in OCI image-layout store (crioimg_store_open_oci); it uses the
   generic layer's helpers and listing-cache format (store.c)
   --------------------------------------------------------------------------------------------------- */
#include "store_internal.h"

/* ---- the OCI image-layout store (POSIX.1-2008: openat and friends, plus flock) ---- */

#if !defined(CRIOIMG_NO_OCI_STORE) && (defined(__unix__) || defined(__APPLE__))
#  include <unistd.h>
#  if defined(CRIOIMG__POSIX2008)
#    define CRIOIMG__OCI_STORE 1
#  endif
#endif

#ifdef CRIOIMG__OCI_STORE
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <sys/stat.h>
#include <sys/file.h>
#include <time.h>
#include <stdio.h>   /* renameat */

/* The system calls through which the OCI store makes things durable. A test build (CRIOIMG__TEST_FAULTS
   defined before the implementation, as tests/test_all.c does) routes them through a table the tests
   swap, to fail them with ENOSPC or EIO at chosen points; any other build calls libc directly. */
#ifdef CRIOIMG__TEST_FAULTS
typedef struct crioimg__oci_sys {
    ssize_t (*write)(int fd, const void *buf, size_t n);
    int (*fsync)(int fd);
    int (*renameat)(int olddirfd, const char *oldpath, int newdirfd, const char *newpath);
} crioimg__oci_sys;
static crioimg__oci_sys crioimg__store_fault = { write, fsync, renameat };
#  define CRIOIMG__OCI_WRITE crioimg__store_fault.write
#  define CRIOIMG__OCI_FSYNC crioimg__store_fault.fsync
#  define CRIOIMG__OCI_RENAMEAT crioimg__store_fault.renameat
#else
#  define CRIOIMG__OCI_WRITE write
#  define CRIOIMG__OCI_FSYNC fsync
#  define CRIOIMG__OCI_RENAMEAT renameat
#endif

#define CRIOIMG__OCI_TMP ".crioimg-tmp-"
#define CRIOIMG__OCI_LOCK ".crioimg.lock"
#define CRIOIMG__OCI_CACHE ".crioimg-cache"
typedef struct crioimg__oci {
    int root, lockfd;
    int algfd[4];             /* blobs/<alg>, by crioimg_digest_alg; -1 until first needed */
    int depth, exclusive, cleaned, read_only;
    unsigned long tmpn;
    size_t swept;             /* temporary files removed since the handle was opened, and their bytes */
    long long swept_bytes;
    char *err;                /* the store's detail buffer (512 bytes) */
    crioimg_allocator alloc;
    void (*log)(void *log_user, crioimg_log_level level, const char *msg);   /* opts->log: a long lock wait */
    void *log_user;
    const volatile int *cancel;   /* opts->cancel: a signal that sets it ends a wait for the lock too */
    const char *dir;          /* as opened (a copy after the struct), for that message */
} crioimg__oci;

/* "WHAT NAME: why" into err (512 bytes), and the result errno e means */
static crioimg_result crioimg__oci_errno_to(char *err, int e, const char *what, const char *name)
{
    crioimg_result r = e == ENOENT ? CRIOIMG_ERR_NOT_FOUND : (e == ELOOP || e == ENOTDIR || e == EMLINK) ? CRIOIMG_ERR_STORE_UNSAFE :
                       e == ENOMEM ? CRIOIMG_ERR_NOMEM : e == ECANCELED ? CRIOIMG_ERR_CANCELLED : CRIOIMG_ERR_IO;
    crioimg__out out;
    out.p = err; out.cap = 512; out.len = 0;
    crioimg__out_str(&out, what);
    crioimg__out_str(&out, " ");
    crioimg__out_str(&out, name);
    crioimg__out_str(&out, ": ");
    crioimg__out_str(&out, r == CRIOIMG_ERR_STORE_UNSAFE ? "a symlink or not a directory (never followed)" : strerror(e));
    return r;
}

static crioimg_result crioimg__oci_errno(crioimg__oci *o, int e, const char *what, const char *name)
{
    return crioimg__oci_errno_to(o->err, e, what, name);
}

/* Reads a regular file under dirfd, never through a symlink, at most max bytes. */
static crioimg_result crioimg__oci_read(crioimg__oci *o, int dirfd, const char *name, size_t max,
                                        const crioimg_allocator *a, void **data, size_t *len)
{
    struct stat st;
    char *buf;
    size_t got = 0;
    int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    *data = NULL; *len = 0;
    if (fd < 0) return crioimg__oci_errno(o, errno, "cannot open", name);
    if (fstat(fd, &st) != 0) { int e = errno; close(fd); return crioimg__oci_errno(o, e, "cannot stat", name); }
    if (!S_ISREG(st.st_mode)) { close(fd); return crioimg__st_fail3(o->err, CRIOIMG_ERR_STORE_UNSAFE, name, ": not a regular file", NULL); }
    if ((unsigned long long)st.st_size > (unsigned long long)max) { close(fd); return crioimg__st_fail3(o->err, CRIOIMG_ERR_TOO_BIG, name, ": too big", NULL); }
    buf = (char *)crioimg_malloc(a, (size_t)st.st_size + 1);
    if (buf == NULL) { close(fd); return CRIOIMG_ERR_NOMEM; }
    while (got < (size_t)st.st_size) {
        ssize_t k = read(fd, buf + got, (size_t)st.st_size - got);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) break;
        got += (size_t)k;
    }
    close(fd);
    if (got != (size_t)st.st_size) { crioimg_free(a, buf); return crioimg__st_fail3(o->err, CRIOIMG_ERR_IO, name, ": short read", NULL); }
    buf[got] = '\0';
    *data = buf; *len = got;
    return CRIOIMG_OK;
}

/* Makes directory name under dirfd (one there already is fine), then makes the new entry durable when
   sync is set; 0, or -1 with errno. Writers pass it to crioimg__oci_algdir; readers pass NULL and do not
   link mkdirat (issue 13). */
static int crioimg__oci_mkdir(int dirfd, const char *name, int sync)
{
    if (mkdirat(dirfd, name, 0755) != 0 && errno != EEXIST) return -1;
    if (sync) (void)CRIOIMG__OCI_FSYNC(dirfd);
    return 0;
}

/* blobs/<alg> as a directory descriptor, made with mk when missing and mk is given; never through a
   symlink. */
static crioimg_result crioimg__oci_algdir(crioimg__oci *o, const char *digest, int (*mk)(int, const char *, int), int *fd,
                                          const char **hex)
{
    crioimg_digest dg;
    int blobs;
    const char *an;
    if (crioimg_digest_parse(&dg, digest, strlen(digest)) != CRIOIMG_OK || dg.alg == CRIOIMG_DIGEST_UNKNOWN)
        return crioimg__st_fail3(o->err, CRIOIMG_ERR_DIGEST_FORMAT, "invalid digest \"", digest, "\"");
    *hex = dg.encoded.ptr;
    if (o->algfd[dg.alg] >= 0) { *fd = o->algfd[dg.alg]; return CRIOIMG_OK; }
    an = crioimg_digest_alg_name(dg.alg);
    blobs = openat(o->root, "blobs", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (blobs < 0 && errno == ENOENT && mk) {
        if (mk(o->root, "blobs", 0) != 0) return crioimg__oci_errno(o, errno, "cannot create", "blobs");
        blobs = openat(o->root, "blobs", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
    if (blobs < 0) return crioimg__oci_errno(o, errno, "cannot open", "blobs");
    *fd = openat(blobs, an, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (*fd < 0 && errno == ENOENT && mk) {
        if (mk(blobs, an, 1) != 0) { int e = errno; close(blobs); return crioimg__oci_errno(o, e, "cannot create blobs/", an); }
        *fd = openat(blobs, an, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
    if (*fd < 0) { int e = errno; close(blobs); return crioimg__oci_errno(o, e, "cannot open blobs/", an); }
    close(blobs);
    o->algfd[dg.alg] = *fd;
    return CRIOIMG_OK;
}

/* v in lowercase hex, without leading zeros, at p (at most 16 bytes); returns the end */
static char *crioimg__oci_hex(char *p, unsigned long long v)
{
    char num[16];
    int k = 0;
    do { num[k++] = "0123456789abcdef"[v & 15]; v >>= 4; } while (v);
    while (k) *p++ = num[--k];
    return p;
}

/* A new temporary file in the store's root (the same file system as everything it will be renamed
   to), open for writing (and reading back) in *fdp; name gets its name: the prefix, then pid, count and time in hex. */
static crioimg_result crioimg__oci_tmpopen(crioimg__oci *o, char name[96], int *fdp)
{
    int fd = -1, tries;
    *fdp = -1;
    for (tries = 0; tries < 100 && fd < 0; tries++) {
        char *p = name + sizeof CRIOIMG__OCI_TMP - 1;   /* 13 + 3 x 16 + 3 bytes at most */
        memcpy(name, CRIOIMG__OCI_TMP, sizeof CRIOIMG__OCI_TMP - 1);
        p = crioimg__oci_hex(p, (unsigned long long)getpid());
        *p++ = '-';
        p = crioimg__oci_hex(p, ++o->tmpn);
        *p++ = '-';
        p = crioimg__oci_hex(p, (unsigned long long)time(NULL) ^ (unsigned long long)(size_t)o);
        *p = '\0';
        fd = openat(o->root, name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);   /* read: blob_pread */
        if (fd < 0 && errno != EEXIST) return crioimg__oci_errno(o, errno, "cannot create", name);
    }
    if (fd < 0) return crioimg__st_fail3(o->err, CRIOIMG_ERR_IO, "cannot create a temporary file", NULL, NULL);
    *fdp = fd;
    return CRIOIMG_OK;
}

/* Writes data to a new temporary file (crioimg__oci_tmpopen), fsynced. name gets its name. */
static crioimg_result crioimg__oci_tmp(crioimg__oci *o, const void *data, size_t len, char name[96])
{
    int fd;
    size_t done = 0;
    crioimg_result r = crioimg__oci_tmpopen(o, name, &fd);
    if (r != CRIOIMG_OK) return r;
    while (done < len) {
        ssize_t k = CRIOIMG__OCI_WRITE(fd, (const char *)data + done, len - done);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) { int e = k < 0 ? errno : EIO; close(fd); unlinkat(o->root, name, 0); return crioimg__oci_errno(o, e, "cannot write", name); }
        done += (size_t)k;
    }
    if (CRIOIMG__OCI_FSYNC(fd) != 0) { int e = errno; close(fd); unlinkat(o->root, name, 0); return crioimg__oci_errno(o, e, "cannot fsync", name); }
    if (close(fd) != 0) { int e = errno; unlinkat(o->root, name, 0); return crioimg__oci_errno(o, e, "cannot close", name); }
    return CRIOIMG_OK;
}

/* Replaces root/name with data atomically: temp file, fsync, rename, fsync of the directory. */
static crioimg_result crioimg__oci_replace(crioimg__oci *o, const char *name, const void *data, size_t len)
{
    char tmp[96];
    crioimg_result r = crioimg__oci_tmp(o, data, len, tmp);
    if (r != CRIOIMG_OK) return r;
    if (CRIOIMG__OCI_RENAMEAT(o->root, tmp, o->root, name) != 0) { int e = errno; unlinkat(o->root, tmp, 0); return crioimg__oci_errno(o, e, "cannot rename to", name); }
    (void)CRIOIMG__OCI_FSYNC(o->root);
    return CRIOIMG_OK;
}

/* Removes the temporary files a killed process left. Under the exclusive lock, so no index or small
   blob write is in progress; streaming writes hold their file's flock and are skipped. 1 when the whole
   directory was read (a listing that failed part way, readdir NULL with errno set, is tried again later). */
static int crioimg__oci_clean(crioimg__oci *o)
{
    /* "." opened afresh, not o->root dup'ed: its own read position, so no rewind (and no dup and rewinddir
       imports) */
    int fd = openat(o->root, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), done;
    DIR *d;
    struct dirent *de;
    if (fd < 0) return 0;
    d = fdopendir(fd);
    if (d == NULL) { close(fd); return 0; }
    for (;;) {
        int tf;
        errno = 0;
        if ((de = readdir(d)) == NULL) break;
        if (strlen(de->d_name) < sizeof CRIOIMG__OCI_TMP - 1 || memcmp(de->d_name, CRIOIMG__OCI_TMP, sizeof CRIOIMG__OCI_TMP - 1) != 0) continue;
        /* a streaming write in progress holds its file's flock: only files nobody holds go */
        tf = openat(o->root, de->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
        if (tf < 0) { if (errno == ELOOP && unlinkat(o->root, de->d_name, 0) == 0) o->swept++; continue; }
        if (flock(tf, LOCK_EX | LOCK_NB) == 0) {
            struct stat st;
            long long sz = fstat(tf, &st) == 0 ? (long long)st.st_size : 0;
            if (unlinkat(o->root, de->d_name, 0) == 0) { o->swept++; o->swept_bytes += sz; }
        }
        close(tf);
    }
    done = errno == 0;
    closedir(d);
    return done;
}

/* blobs/ and each blobs/<alg> there is must be a directory, not a symlink to one: checked at every
   lock, so that no command (a listing that would see no blobs, an untag that would rewrite the index
   believing its manifests broken) works on a store where they are not. Absent ones are fine. */
static crioimg_result crioimg__oci_safe_dirs(crioimg__oci *o)
{
    struct stat st;
    int b, i;
    if (fstatat(o->root, "blobs", &st, AT_SYMLINK_NOFOLLOW) != 0) return errno == ENOENT ? CRIOIMG_OK : crioimg__oci_errno(o, errno, "cannot stat", "blobs");
    if (!S_ISDIR(st.st_mode)) return crioimg__oci_errno(o, ENOTDIR, "unsafe store:", "blobs");
    b = openat(o->root, "blobs", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (b < 0) return crioimg__oci_errno(o, errno, "unsafe store:", "blobs");
    for (i = 1; i < 4; i++) {
        const char *an = crioimg_digest_alg_name((crioimg_digest_alg)i);
        char path[32] = "blobs/";
        size_t al = strlen(an);
        if (al > sizeof path - 7) al = sizeof path - 7;
        memcpy(path + 6, an, al); path[6 + al] = '\0';
        if (fstatat(b, an, &st, AT_SYMLINK_NOFOLLOW) != 0) {
            if (errno == ENOENT) continue;
            { int e = errno; close(b); return crioimg__oci_errno(o, e, "cannot stat", path); }
        }
        if (!S_ISDIR(st.st_mode)) { close(b); return crioimg__oci_errno(o, ENOTDIR, "unsafe store:", path); }
    }
    close(b);
    return CRIOIMG_OK;
}

/* flock(op) that waits. With a log hook, the wait is tried without blocking for a second first, then
   said (WARN: another process holds the store, and the command would otherwise just hang), then waited
   for. 0, or -1 with errno. */
static int crioimg__oci_flock_wait(crioimg__oci *o, int op)
{
    int tries = 0;
    if (o->log) {
        struct timespec ts;
        ts.tv_sec = 0;
        ts.tv_nsec = 20000000L;   /* 50 tries of 20 ms */
        while (flock(o->lockfd, op | LOCK_NB) != 0) {
            char m[600];
            crioimg__out out;
            if (errno == EINTR) continue;
            if (errno != EWOULDBLOCK && errno != EAGAIN) return -1;
            if (o->cancel && *o->cancel) { errno = ECANCELED; return -1; }
            if (++tries < 50) { (void)nanosleep(&ts, NULL); continue; }
            out.p = m; out.cap = sizeof m; out.len = 0;
            crioimg__out_str(&out, "waiting for the lock of store ");
            crioimg__out_str(&out, o->dir);
            crioimg__out_str(&out, ": another process is using it");
            o->log(o->log_user, CRIOIMG_LOG_WARN, m);
            break;
        }
        if (tries < 50) return 0;
    }
    /* a signal interrupts the wait (EINTR); one that set the cancel flag ends it */
    while (flock(o->lockfd, op) != 0)
        if (errno != EINTR || (o->cancel && *o->cancel)) { errno = errno == EINTR ? ECANCELED : errno; return -1; }
    return 0;
}

static crioimg_result crioimg__oci_lock(void *u, int exclusive)
{
    crioimg__oci *o = (crioimg__oci *)u;
    crioimg_result r;
    int sweep = 0;
    if (o->depth++ > 0) return CRIOIMG_OK;
#ifndef CRIOIMG_NO_STORE_WRITE
    /* A reader cleans too: a handle's first shared lock tries the exclusive one without waiting, removes
       the temporaries a killed process left while it holds it, and steps down to shared. A reader never
       waits for it (held by anyone: plain shared lock, no clean-up, tried again at the next lock). */
    if (!exclusive && !o->cleaned && o->lockfd >= 0 && flock(o->lockfd, LOCK_EX | LOCK_NB) == 0) sweep = 1;
#endif
    if (o->lockfd >= 0 && !sweep) {
        if (crioimg__oci_flock_wait(o, exclusive ? LOCK_EX : LOCK_SH) != 0) {
            o->depth--;
            return crioimg__oci_errno(o, errno, "cannot lock", CRIOIMG__OCI_LOCK);
        }
    } else if (exclusive) {
        o->depth--;
        return crioimg__st_fail3(o->err, CRIOIMG_ERR_STORE_READ_ONLY, "no lock file: cannot change the store", NULL, NULL);
    }
    r = crioimg__oci_safe_dirs(o);
    if (r != CRIOIMG_OK) {
        if (--o->depth == 0 && o->lockfd >= 0) (void)flock(o->lockfd, LOCK_UN);
        return r;
    }
    o->exclusive = exclusive;
    if ((exclusive || sweep) && !o->cleaned) o->cleaned = crioimg__oci_clean(o);
    /* flock converts by dropping and retaking: a writer may come in between, and then this reader waits
       for it as any reader would, before it has read anything */
    while (sweep && flock(o->lockfd, LOCK_SH) != 0) {
        int e = errno;
        if (e == EINTR) continue;
        o->depth--;
        (void)flock(o->lockfd, LOCK_UN);
        return crioimg__oci_errno(o, e, "cannot lock", CRIOIMG__OCI_LOCK);
    }
    return CRIOIMG_OK;
}

static crioimg_result crioimg__oci_unlock(void *u)
{
    crioimg__oci *o = (crioimg__oci *)u;
    if (o->depth > 0 && --o->depth == 0 && o->lockfd >= 0) (void)flock(o->lockfd, LOCK_UN);
    return CRIOIMG_OK;
}

static crioimg_result crioimg__oci_read_index(void *u, const crioimg_allocator *a, crioimg_store_entry **entries, size_t *n)
{
    crioimg__oci *o = (crioimg__oci *)u;
    void *data = NULL;
    size_t len = 0;
    crioimg_result r;
    r = crioimg__oci_read(o, o->root, "index.json", CRIOIMG__OCI_INDEX_MAX, a, &data, &len);
    if (r == CRIOIMG_ERR_NOT_FOUND) return crioimg__st_fail3(o->err, CRIOIMG_ERR_STORE_CORRUPT, "index.json is missing", NULL, NULL);
    if (r != CRIOIMG_OK) return r;
    r = crioimg_store_index_parse((const char *)data, len, a, entries, n, o->err, 512);
    crioimg_free(a, data);
    return r;
}

static crioimg_result crioimg__oci_write_index(void *u, const crioimg_store_entry *e, size_t n)
{
    crioimg__oci *o = (crioimg__oci *)u;
    crioimg_json_writer w;
    const char *text;
    size_t len;
    crioimg_result r;
    crioimg_json_writer_init(&w, &o->alloc);
    crioimg_store_index_write(e, n, &w);
    r = crioimg_json_writer_finish(&w, &text, &len);
    if (r == CRIOIMG_OK) r = crioimg__oci_replace(o, "index.json", text, len);
    crioimg_json_writer_free(&w);
    return r;
}

static crioimg_result crioimg__oci_blob_stat(void *u, const char *d, long long *size)
{
    crioimg__oci *o = (crioimg__oci *)u;
    int fd;
    const char *hex;
    struct stat st;
    crioimg_result r = crioimg__oci_algdir(o, d, NULL, &fd, &hex);
    if (r != CRIOIMG_OK) return r;
    if (fstatat(fd, hex, &st, AT_SYMLINK_NOFOLLOW) != 0) return crioimg__oci_errno(o, errno, "cannot stat blob", d);
    if (!S_ISREG(st.st_mode)) return crioimg__st_fail3(o->err, CRIOIMG_ERR_STORE_UNSAFE, "blob ", d, ": not a regular file");
    *size = (long long)st.st_size;
    return CRIOIMG_OK;
}

static crioimg_result crioimg__oci_blob_get(void *u, const char *d, size_t max, const crioimg_allocator *a, void **data, size_t *len)
{
    crioimg__oci *o = (crioimg__oci *)u;
    int fd;
    const char *hex;
    crioimg_result r = crioimg__oci_algdir(o, d, NULL, &fd, &hex);
    if (r != CRIOIMG_OK) return r;
    return crioimg__oci_read(o, fd, hex, max, a, data, len);
}

static crioimg_result crioimg__oci_blob_put(void *u, const char *d, const void *data, size_t len)
{
    crioimg__oci *o = (crioimg__oci *)u;
    int fd;
    const char *hex;
    char tmp[96];
    struct stat st;
    crioimg_result r = crioimg__oci_algdir(o, d, crioimg__oci_mkdir, &fd, &hex);
    if (r != CRIOIMG_OK) return r;
    /* already there (content-addressed: same name, same bytes; reads verify them anyway) */
    if (fstatat(fd, hex, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) && (unsigned long long)st.st_size == (unsigned long long)len)
        return CRIOIMG_OK;
    r = crioimg__oci_tmp(o, data, len, tmp);
    if (r != CRIOIMG_OK) return r;
    if (CRIOIMG__OCI_RENAMEAT(o->root, tmp, fd, hex) != 0) { int e = errno; unlinkat(o->root, tmp, 0); return crioimg__oci_errno(o, e, "cannot rename blob", d); }
    (void)CRIOIMG__OCI_FSYNC(fd);
    return CRIOIMG_OK;
}

static crioimg_result crioimg__oci_blob_delete(void *u, const char *d)
{
    crioimg__oci *o = (crioimg__oci *)u;
    int fd;
    const char *hex;
    crioimg_result r = crioimg__oci_algdir(o, d, NULL, &fd, &hex);
    if (r != CRIOIMG_OK) return r;
    if (unlinkat(fd, hex, 0) != 0) return crioimg__oci_errno(o, errno, "cannot delete blob", d);
    return CRIOIMG_OK;
}

/* A streaming read: the open descriptor keeps reading the blob even if it is deleted meanwhile. */
typedef struct crioimg__oci_r { int fd; } crioimg__oci_r;

static crioimg_result crioimg__oci_blob_open(void *u, const char *d, void **handle, long long *size)
{
    crioimg__oci *o = (crioimg__oci *)u;
    int dfd, fd;
    const char *hex;
    struct stat st;
    crioimg__oci_r *h;
    crioimg_result r = crioimg__oci_algdir(o, d, NULL, &dfd, &hex);
    if (r != CRIOIMG_OK) return r;
    fd = openat(dfd, hex, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return crioimg__oci_errno(o, errno, "cannot open blob", d);
    if (fstat(fd, &st) != 0) { int e = errno; close(fd); return crioimg__oci_errno(o, e, "cannot stat blob", d); }
    if (!S_ISREG(st.st_mode)) { close(fd); return crioimg__st_fail3(o->err, CRIOIMG_ERR_STORE_UNSAFE, "blob ", d, ": not a regular file"); }
    h = (crioimg__oci_r *)crioimg_malloc(&o->alloc, sizeof *h);
    if (h == NULL) { close(fd); return CRIOIMG_ERR_NOMEM; }
    h->fd = fd;
    *handle = h;
    *size = (long long)st.st_size;
    return CRIOIMG_OK;
}

static crioimg_result crioimg__oci_blob_read(void *u, void *handle, void *buf, size_t cap, size_t *n)
{
    crioimg__oci_r *h = (crioimg__oci_r *)handle;
    ssize_t k;
    do k = read(h->fd, buf, cap); while (k < 0 && errno == EINTR);
    if (k < 0) return crioimg__oci_errno((crioimg__oci *)u, errno, "cannot read", "blob");
    *n = (size_t)k;
    return CRIOIMG_OK;
}

static void crioimg__oci_blob_close(void *u, void *handle)
{
    crioimg__oci *o = (crioimg__oci *)u;
    crioimg__oci_r *h = (crioimg__oci_r *)handle;
    close(h->fd);
    crioimg_free(&o->alloc, h);
}

/* A streaming write: a temporary file flock()ed for as long as it is written, so that another process's
   cleanup (which removes only temporary files it can lock) leaves it alone. Made under the store's
   shared lock: a cleanup holds the exclusive one, so it cannot slip in between creating and locking. */
/* A blob being written. synced / sync_errno: what blob_sync did, which may run on another thread than
   the handle's other calls and so touches nothing but the handle (commit reports its failure). */

typedef struct crioimg__oci_w {
    int fd; char name[96]; int synced, sync_errno;
    long long written, flushed;   /* bytes written, and how many of them writeback has been started for */
    char err[512];                /* blob_write's failure (blob_error): writes touch only their handle */
} crioimg__oci_w;

static crioimg_result crioimg__oci_blob_begin(void *u, void **handle)
{
    crioimg__oci *o = (crioimg__oci *)u;
    crioimg__oci_w *h;
    crioimg_result r;
    h = (crioimg__oci_w *)crioimg_malloc(&o->alloc, sizeof *h);
    if (h == NULL) return CRIOIMG_ERR_NOMEM;
    h->synced = h->sync_errno = 0;
    h->err[0] = '\0';
    h->written = h->flushed = 0;
    r = crioimg__oci_lock(o, 0);
    if (r == CRIOIMG_OK) {
        r = crioimg__oci_tmpopen(o, h->name, &h->fd);
        if (r == CRIOIMG_OK && flock(h->fd, LOCK_EX | LOCK_NB) != 0) {
            r = crioimg__oci_errno(o, errno, "cannot lock", h->name);
            close(h->fd);
            unlinkat(o->root, h->name, 0);
        }
        crioimg__oci_unlock(o);
    }
    if (r != CRIOIMG_OK) { crioimg_free(&o->alloc, h); return r; }
    *handle = h;
    return CRIOIMG_OK;
}

static crioimg_result crioimg__oci_blob_write(void *u, void *handle, const void *data, size_t len)
{
    crioimg__oci_w *h = (crioimg__oci_w *)handle;
    size_t done = 0;
    (void)u;
    while (done < len) {
        ssize_t k = CRIOIMG__OCI_WRITE(h->fd, (const char *)data + done, len - done);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return crioimg__oci_errno_to(h->err, k < 0 ? errno : EIO, "cannot write", h->name);
        done += (size_t)k;
    }
    h->written += (long long)len;
    crioimg__writeback(h->fd, h->written, &h->flushed);
    return CRIOIMG_OK;
}

/* What was written, read back on another thread while writes go on: pread leaves the writer's offset be. */
static crioimg_result crioimg__oci_blob_pread(void *u, void *handle, long long off, void *buf, size_t len, size_t *n)
{
    crioimg__oci_w *h = (crioimg__oci_w *)handle;
    size_t done = 0;
    (void)u;
    while (done < len) {
        ssize_t k = pread(h->fd, (char *)buf + done, len - done, (off_t)(off + (long long)done));
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) break;
        done += (size_t)k;
    }
    *n = done;
    return done == len ? CRIOIMG_OK : CRIOIMG_ERR_IO;
}

static void crioimg__oci_blob_abort(void *u, void *handle)
{
    crioimg__oci *o = (crioimg__oci *)u;
    crioimg__oci_w *h = (crioimg__oci_w *)handle;
    unlinkat(o->root, h->name, 0);
    close(h->fd);
    crioimg_free(&o->alloc, h);
}

static const char *crioimg__oci_blob_error(void *u, void *handle)
{
    (void)u;
    return ((crioimg__oci_w *)handle)->err;
}

/* The bytes made durable before commit, outside every lock, so that a commit under the store's lock is
   a rename (a 32 MiB blob's fsync takes 100 ms that other writers would otherwise wait through). */
static crioimg_result crioimg__oci_blob_sync(void *u, void *handle)
{
    crioimg__oci_w *h = (crioimg__oci_w *)handle;
    (void)u;
    if (h->synced || h->sync_errno) return h->sync_errno ? CRIOIMG_ERR_IO : CRIOIMG_OK;
    if (CRIOIMG__OCI_FSYNC(h->fd) != 0) { h->sync_errno = errno ? errno : EIO; return CRIOIMG_ERR_IO; }
    h->synced = 1;
    return CRIOIMG_OK;
}

static crioimg_result crioimg__oci_blob_commit(void *u, void *handle, const char *d)
{
    crioimg__oci *o = (crioimg__oci *)u;
    crioimg__oci_w *h = (crioimg__oci_w *)handle;
    int fd;
    const char *hex;
    crioimg_result r = CRIOIMG_OK;
    if (h->sync_errno) r = crioimg__oci_errno(o, h->sync_errno, "cannot fsync", h->name);
    else if (!h->synced && CRIOIMG__OCI_FSYNC(h->fd) != 0) r = crioimg__oci_errno(o, errno, "cannot fsync", h->name);
    if (r == CRIOIMG_OK) r = crioimg__oci_algdir(o, d, crioimg__oci_mkdir, &fd, &hex);
    if (r == CRIOIMG_OK && CRIOIMG__OCI_RENAMEAT(o->root, h->name, fd, hex) != 0) r = crioimg__oci_errno(o, errno, "cannot rename blob", d);
    if (r == CRIOIMG_OK) { (void)CRIOIMG__OCI_FSYNC(fd); close(h->fd); crioimg_free(&o->alloc, h); return CRIOIMG_OK; }
    crioimg__oci_blob_abort(u, handle);
    return r;
}

/* Every blob under blobs/<alg>/: regular files whose name makes a valid digest (anything else there is
   no blob, and skipped); never through a symlink. A directory that cannot be read whole is an error. */
static crioimg_result crioimg__oci_blob_list(void *u, int (*fn)(void *ctx, const char *digest, long long size), void *ctx)
{
    crioimg__oci *o = (crioimg__oci *)u;
    int a, b = openat(o->root, "blobs", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), stop = 0;
    if (b < 0) return errno == ENOENT ? CRIOIMG_OK : crioimg__oci_errno(o, errno, "cannot open", "blobs");
    for (a = 1; a < 4 && !stop; a++) {
        const char *an = crioimg_digest_alg_name((crioimg_digest_alg)a);
        int fd = openat(b, an, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        DIR *d;
        struct dirent *de;
        if (fd < 0) {
            if (errno == ENOENT) continue;
            { int e = errno; close(b); return crioimg__oci_errno(o, e, "cannot open blobs/", an); }
        }
        d = fdopendir(fd);
        if (d == NULL) { int e = errno; close(fd); close(b); return crioimg__oci_errno(o, e, "cannot read blobs/", an); }
        for (;;) {
            char dg[CRIOIMG_DIGEST_STRING_MAX + 1];
            size_t al = strlen(an), nl;
            struct stat st;
            errno = 0;
            if ((de = readdir(d)) == NULL) break;
            nl = strlen(de->d_name);
            if (al + 1 + nl >= sizeof dg) continue;
            memcpy(dg, an, al); dg[al] = ':'; memcpy(dg + al + 1, de->d_name, nl + 1);
            if (!crioimg__st_digest_ok(dg)) continue;
            if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode)) continue;
            if (fn(ctx, dg, (long long)st.st_size)) { stop = 1; break; }
        }
        if (!stop && errno != 0) { int e = errno; closedir(d); close(b); return crioimg__oci_errno(o, e, "cannot read blobs/", an); }
        closedir(d);
    }
    close(b);
    return CRIOIMG_OK;
}

/* gc's leftovers: temporary files nobody holds (again, now), and the listing cache (rebuilt by the next
   listing); with what the locks of this handle removed before. */
static crioimg_result crioimg__oci_clean_all(void *u, size_t *files, long long *bytes)
{
    crioimg__oci *o = (crioimg__oci *)u;
    struct stat st;
    if (!crioimg__oci_clean(o)) return crioimg__st_fail3(o->err, CRIOIMG_ERR_IO, "cannot read the store's directory", NULL, NULL);
    if (fstatat(o->root, CRIOIMG__OCI_CACHE, &st, AT_SYMLINK_NOFOLLOW) == 0 && unlinkat(o->root, CRIOIMG__OCI_CACHE, 0) == 0) {
        o->swept++;
        if (S_ISREG(st.st_mode)) o->swept_bytes += (long long)st.st_size;
    }
    *files = o->swept; *bytes = o->swept_bytes;
    o->swept = 0; o->swept_bytes = 0;
    return CRIOIMG_OK;
}

/* ---- the listing cache (.crioimg-cache) ---- */

#if defined(__APPLE__)
#  define CRIOIMG__OCI_MTIM(st) ((st).st_mtimespec)
#else
#  define CRIOIMG__OCI_MTIM(st) ((st).st_mtim)
#endif

/* Each blobs/<alg> as it is now (absent ones all zero); 0 when blobs/ or one of them is not a plain
   directory: no cache then. */
static int crioimg__oci_stamps(crioimg__oci *o, unsigned long long cur[4][5])
{
    int b = openat(o->root, "blobs", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), i;
    memset(cur, 0, 4 * sizeof cur[0]);
    if (b < 0) return errno == ENOENT;
    for (i = 1; i < 4; i++) {
        struct stat st;
        if (fstatat(b, crioimg_digest_alg_name((crioimg_digest_alg)i), &st, AT_SYMLINK_NOFOLLOW) != 0) {
            if (errno == ENOENT) continue;
            close(b);
            return 0;
        }
        if (!S_ISDIR(st.st_mode)) { close(b); return 0; }
        cur[i][0] = 1;
        cur[i][1] = (unsigned long long)st.st_dev;
        cur[i][2] = (unsigned long long)st.st_ino;
        cur[i][3] = (unsigned long long)CRIOIMG__OCI_MTIM(st).tv_sec;
        cur[i][4] = (unsigned long long)CRIOIMG__OCI_MTIM(st).tv_nsec;
    }
    close(b);
    return 1;
}

static void crioimg__oci_cache_load(void *u, const crioimg_allocator *a, crioimg__st_cache *c)
{
    crioimg__oci *o = (crioimg__oci *)u;
    void *data = NULL;
    size_t len = 0;
    c->usable = crioimg__oci_stamps(o, c->cur);
    if (!c->usable) return;
    if (crioimg__oci_read(o, o->root, CRIOIMG__OCI_CACHE, CRIOIMG__OCI_INDEX_MAX, a, &data, &len) == CRIOIMG_OK) { c->buf = (char *)data; c->len = len; }
    else o->err[0] = '\0';   /* no cache (or an unreadable one) is no error: it is made again */
}

/* The new file's birth time is the proof: every directory's mtime must be older than it (by the same
   clock, the file system's), so a change made after the stats that follow cannot leave an mtime
   unchanged. Written only into stores crioimg manages (with a lock file), under the store's lock. */
static int crioimg__oci_cache_begin(void *u, crioimg__st_cache *c)
{
    crioimg__oci *o = (crioimg__oci *)u;
    struct stat st;
    int i;
    if (o->lockfd < 0 || o->depth == 0) return 0;
    if (crioimg__oci_tmpopen(o, c->tmp, &c->fd) != CRIOIMG_OK) { o->err[0] = '\0'; c->fd = -1; return 0; }
    if (fstat(c->fd, &st) != 0) { close(c->fd); unlinkat(o->root, c->tmp, 0); c->fd = -1; return 0; }
    c->fresh_trusted = 1;
    for (i = 1; i < 4; i++) {
        unsigned long long s0 = (unsigned long long)CRIOIMG__OCI_MTIM(st).tv_sec, n0 = (unsigned long long)CRIOIMG__OCI_MTIM(st).tv_nsec;
        if (!c->cur[i][0]) continue;
        if (c->cur[i][1] != (unsigned long long)st.st_dev || !(s0 > c->cur[i][3] || (s0 == c->cur[i][3] && n0 > c->cur[i][4])))
            c->fresh_trusted = 0;
    }
    c->fresh = 1;
    return 1;
}

/* No fsync: after a crash the file is stale or torn, and then it fails its stamps or its checksum. */
static void crioimg__oci_cache_end(void *u, crioimg__st_cache *c, const void *data, size_t len)
{
    crioimg__oci *o = (crioimg__oci *)u;
    size_t done = 0;
    int ok = data != NULL;
    while (ok && done < len) {
        ssize_t k = CRIOIMG__OCI_WRITE(c->fd, (const char *)data + done, len - done);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) ok = 0; else done += (size_t)k;
    }
    if (close(c->fd) != 0) ok = 0;
    c->fd = -1;
    c->fresh = 0;
    if (!ok || CRIOIMG__OCI_RENAMEAT(o->root, c->tmp, o->root, CRIOIMG__OCI_CACHE) != 0) (void)unlinkat(o->root, c->tmp, 0);
}

#ifdef CRIOIMG_NO_STORE_WRITE   /* a read-only store reads the cache others wrote, never writes one */
static const crioimg__st_cacheops crioimg__oci_cacheops = { crioimg__oci_cache_load, NULL, NULL };
#else
static const crioimg__st_cacheops crioimg__oci_cacheops = { crioimg__oci_cache_load, crioimg__oci_cache_begin, crioimg__oci_cache_end };
#endif

static void crioimg__oci_close(void *u)
{
    crioimg__oci *o = (crioimg__oci *)u;
    crioimg_allocator a = o->alloc;
    int i;
    for (i = 0; i < 4; i++) if (o->algfd[i] >= 0) close(o->algfd[i]);
    if (o->lockfd >= 0) close(o->lockfd);   /* drops this handle's flock only */
    if (o->root >= 0) close(o->root);
    crioimg_free(&a, o);
}

/* Checks the layout (creating an empty one when asked, under the lock). */
static crioimg_result crioimg__oci_check(crioimg__oci *o, int create)
{
    static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
    static const char empty[] = "{\"schemaVersion\":2,\"mediaType\":\"" CRIOIMG_MEDIA_OCI_INDEX "\",\"manifests\":[]}";
    void *data = NULL;
    size_t len = 0;
    crioimg_json doc;
    crioimg_result r = crioimg__oci_read(o, o->root, "oci-layout", 4096, &o->alloc, &data, &len);
#ifdef CRIOIMG_NO_STORE_WRITE
    (void)create; (void)layout; (void)empty;
#else
    if (r == CRIOIMG_ERR_NOT_FOUND && create) {
        struct stat st;
        if (fstatat(o->root, "index.json", &st, AT_SYMLINK_NOFOLLOW) == 0) {
            /* the empty index alone is what a creation killed between its two renames leaves: finish it */
            int ours = crioimg__oci_read(o, o->root, "index.json", 4096, &o->alloc, &data, &len) == CRIOIMG_OK &&
                       len == sizeof empty - 1 && memcmp(data, empty, len) == 0;
            crioimg_free(&o->alloc, data);
            if (!ours) return crioimg__st_fail3(o->err, CRIOIMG_ERR_STORE_CORRUPT, "index.json without oci-layout: not an OCI image layout", NULL, NULL);
            return crioimg__oci_replace(o, "oci-layout", layout, sizeof layout - 1);
        }
        r = crioimg__oci_replace(o, "index.json", empty, sizeof empty - 1);
        if (r == CRIOIMG_OK) r = crioimg__oci_replace(o, "oci-layout", layout, sizeof layout - 1);
        return r;
    }
#endif
    if (r == CRIOIMG_ERR_NOT_FOUND) return crioimg__st_fail3(o->err, CRIOIMG_ERR_STORE_CORRUPT, "not an OCI image layout (no oci-layout file)", NULL, NULL);
    if (r != CRIOIMG_OK) return r;
    r = crioimg_json_parse(&doc, (const char *)data, len, NULL);
    if (r != CRIOIMG_OK || !crioimg_json_string_eq(&doc, crioimg_json_get(&doc, 0, "imageLayoutVersion"), "1.0.0", 5))
        r = crioimg__st_fail3(o->err, CRIOIMG_ERR_STORE_CORRUPT, "oci-layout: imageLayoutVersion is not \"1.0.0\"", NULL, NULL);
    crioimg_json_free(&doc);
    crioimg_free(&o->alloc, data);
    return r;
}

/* The methods past listing and reading whole blobs (writes, streaming reads, the blob listing,
   cleaning), installed by the generic layer's entry points that call them (CRIOIMG__ST_MORE) rather than
   at open: a program that only lists or reads a store does not link them. */
CRIOIMG__ST_SHARED void crioimg__oci_more(crioimg_store *s)
{
    crioimg_store_vtable *vt = &s->vt;
    s->more = 0;
#ifndef CRIOIMG_NO_STORE_WRITE   /* the writing methods are left out: calls never reach them (read-only) */
    vt->write_index = crioimg__oci_write_index;
    vt->blob_put = crioimg__oci_blob_put; vt->blob_delete = crioimg__oci_blob_delete;
    vt->blob_begin = crioimg__oci_blob_begin; vt->blob_write = crioimg__oci_blob_write;
    vt->blob_commit = crioimg__oci_blob_commit; vt->blob_abort = crioimg__oci_blob_abort;
    vt->blob_sync = crioimg__oci_blob_sync; vt->blob_error = crioimg__oci_blob_error;
    vt->blob_pread = crioimg__oci_blob_pread;
    vt->clean = crioimg__oci_clean_all;
#else   /* named, not called: no unused-function warning, and the linker drops them */
    (void)crioimg__oci_write_index; (void)crioimg__oci_blob_put; (void)crioimg__oci_blob_delete;
    (void)crioimg__oci_blob_begin; (void)crioimg__oci_blob_write; (void)crioimg__oci_blob_commit;
    (void)crioimg__oci_blob_abort; (void)crioimg__oci_blob_sync; (void)crioimg__oci_blob_error; (void)crioimg__oci_blob_pread;
    (void)crioimg__oci_cache_begin; (void)crioimg__oci_cache_end; (void)crioimg__oci_clean_all;
#endif
    vt->blob_open = crioimg__oci_blob_open; vt->blob_read = crioimg__oci_blob_read; vt->blob_close = crioimg__oci_blob_close;
    vt->blob_list = crioimg__oci_blob_list;
}

crioimg_result crioimg_store_open_oci(crioimg_store **out, const char *dir, const crioimg_store_opts *opts)
{
    crioimg_store_vtable vt;
    crioimg__oci *o;
    crioimg_result r;
    int i, create = opts ? opts->create && !opts->read_only : 0;
    const crioimg_allocator *a = opts ? &opts->alloc : NULL;
    if (out != NULL && dir == NULL) return crioimg__st_ctor_fail(opts, CRIOIMG_ERR_INVALID_ARGS, "no directory given", NULL);
    if ((r = crioimg__st_ctor_check(out, opts)) != CRIOIMG_OK) return r;
    o = (crioimg__oci *)crioimg_malloc(a, sizeof *o + strlen(dir) + 1);
    if (o == NULL) return crioimg__st_ctor_fail(opts, CRIOIMG_ERR_NOMEM, NULL, NULL);
    memset(o, 0, sizeof *o);
    memcpy((char *)(o + 1), dir, strlen(dir) + 1);
    o->dir = (const char *)(o + 1);
    if (opts) { o->log = opts->log; o->log_user = opts->log_user; o->cancel = opts->cancel; }
    if (a) o->alloc = *a;
    o->lockfd = -1;
    for (i = 0; i < 4; i++) o->algfd[i] = -1;
    o->read_only = opts ? opts->read_only : 0;
#ifdef CRIOIMG_NO_STORE_WRITE
    o->read_only = 1, create = 0;   /* every change is then ERR_STORE_READ_ONLY */
#endif
    memset(&vt, 0, sizeof vt);
    vt.version = CRIOIMG_STORE_VTABLE_VERSION;
    vt.user = o;
    vt.lock = crioimg__oci_lock; vt.unlock = crioimg__oci_unlock;
    vt.read_index = crioimg__oci_read_index;
    vt.blob_stat = crioimg__oci_blob_stat; vt.blob_get = crioimg__oci_blob_get;
    vt.close = crioimg__oci_close;
    o->root = -1;
    r = crioimg__st_new(out, &vt, opts);
    if (r != CRIOIMG_OK) { crioimg_free(a, o); return r; }
    o->err = (*out)->err;
    (*out)->cache = &crioimg__oci_cacheops;
    (*out)->more = 1;   /* the other methods: crioimg__oci_more, from the entry points that use them */
#ifdef CRIOIMG_NO_STORE_WRITE
    (*out)->read_only = 1;
#endif
    /* the directory the caller names may be reached through a symlink: that is their choice; inside it,
       nothing is followed. openat and fstatat at AT_FDCWD: no open or stat import besides them */
    o->root = openat(AT_FDCWD, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (o->root < 0 && errno == ENOENT && create) {
        if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
            int e = errno;
            r = e == ENOENT ? CRIOIMG_ERR_NOT_FOUND : CRIOIMG_ERR_IO;
            crioimg__st_fail3(o->err, r, "cannot create it: ", e == ENOENT ? "its parent directory does not exist" : strerror(e), NULL);
            goto fail;
        }
        o->root = openat(AT_FDCWD, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    }
    if (o->root < 0) {
        /* the four a user meets, each in its own words (the caller names dir in front of them) */
        int e = errno;
        struct stat st;
        r = e == ENOENT ? CRIOIMG_ERR_NOT_FOUND : e == ENOMEM ? CRIOIMG_ERR_NOMEM : CRIOIMG_ERR_IO;
        crioimg__st_fail3(o->err, r, e == ENOENT ? "no such directory" : e == EACCES ? "permission denied" :
                          e != ENOTDIR ? strerror(e) : fstatat(AT_FDCWD, dir, &st, 0) == 0 && S_ISREG(st.st_mode) ? "is a file, not a directory" :
                          "not a directory", NULL, NULL);
        goto fail;
    }
    if (!o->read_only) {
        /* O_NONBLOCK: a FIFO planted as the lock file must not hang the open (it is refused below) */
        o->lockfd = openat(o->root, CRIOIMG__OCI_LOCK, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0644);
        if (o->lockfd < 0 && (errno == EROFS || errno == EACCES)) o->read_only = 1, (*out)->read_only = 1;
        else if (o->lockfd < 0) { r = crioimg__oci_errno(o, errno, "cannot open", CRIOIMG__OCI_LOCK); goto fail; }
    }
    if (o->lockfd < 0) {
        o->lockfd = openat(o->root, CRIOIMG__OCI_LOCK, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
        if (o->lockfd < 0 && errno != ENOENT) { r = crioimg__oci_errno(o, errno, "cannot open", CRIOIMG__OCI_LOCK); goto fail; }
    }
    {
        struct stat st;
        if (o->lockfd >= 0 && (fstat(o->lockfd, &st) != 0 || !S_ISREG(st.st_mode))) {
            r = crioimg__st_fail3(o->err, CRIOIMG_ERR_STORE_UNSAFE, CRIOIMG__OCI_LOCK, ": not a regular file", NULL);
            goto fail;
        }
    }
    r = crioimg__oci_lock(o, create);
    if (r != CRIOIMG_OK) goto fail;
    r = crioimg__oci_check(o, create);
    crioimg__oci_unlock(o);
    if (r != CRIOIMG_OK) goto fail;
    return CRIOIMG_OK;
fail:
    /* the handle (and its detail) goes: the text goes to the caller's buffer, naming the directory */
    crioimg__st_ctor_fail3(opts, r, dir, ": ", (*out)->err[0] ? (*out)->err : crioimg_result_str(r));
    crioimg_store_close(*out);
    *out = NULL;
    return r;
}

#else /* no POSIX.1-2008 */

CRIOIMG__ST_SHARED void crioimg__oci_more(crioimg_store *s) { s->more = 0; }

crioimg_result crioimg_store_open_oci(crioimg_store **out, const char *dir, const crioimg_store_opts *opts)
{
    (void)dir;
    if (out) *out = NULL;
    return crioimg__st_ctor_fail(opts, CRIOIMG_ERR_UNSUPPORTED, "the OCI layout store is not in this build (CRIOIMG_NO_OCI_STORE, or no POSIX.1-2008)", NULL);
}

#endif
