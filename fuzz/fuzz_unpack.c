/* libFuzzer target for layer application: the input is a layer (plain tar) applied into a scratch
   directory that sits beside a sentinel directory; whatever the input, nothing appears outside the
   scratch directory (the sentinel stays empty and the parent holds just the two), failures say why, and
   the scratch tree is removed after each input. POSIX only. */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#ifndef CRIOIMG_FUZZ_REPLAY
#define CRIOIMG_IMPLEMENTATION
#endif
#include "../crioimg.h"
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct fz_unpack_src { const uint8_t *p; size_t len, pos; } fz_unpack_src;

static crioimg_result fz_unpack_read(void *user, void *buf, size_t cap, size_t *n)
{
    fz_unpack_src *s = (fz_unpack_src *)user;
    size_t k = s->len - s->pos;
    if (k > cap) k = cap;
    if (k > 777) k = 777;   /* pieces that cut headers */
    memcpy(buf, s->p + s->pos, k);
    s->pos += k;
    *n = k;
    return CRIOIMG_OK;
}

static int fz_unpack_count(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int n = 0;
    if (d == NULL) return -1;
    while ((de = readdir(d)) != NULL) if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) n++;
    closedir(d);
    return n;
}

static char fz_unpack_base[64];

/* the run's directory goes when the fuzzer or the replay exits (a run used to leave one in /tmp each) */
static void fz_unpack_cleanup(void)
{
    char cmd[200];
    snprintf(cmd, sizeof cmd, "chmod -R u+rwx '%s' 2>/dev/null; rm -rf '%s'", fz_unpack_base, fz_unpack_base);
    if (system(cmd) != 0) { /* best effort at exit */ }
}

static int fuzz_unpack(const uint8_t *data, size_t size)
{
    char *base = fz_unpack_base;
    char scratch[128], sentinel[128], cmd[300];
    crioimg_unpack_opts o;
    fz_unpack_src src;
    char err[512];
    crioimg_result r;
    int fd;
    if (base[0] == '\0') {
        snprintf(base, sizeof fz_unpack_base, "/tmp/crioimg-fuzz-unpack-XXXXXX");
        if (mkdtemp(base) == NULL) abort();
        atexit(fz_unpack_cleanup);
    }
    snprintf(scratch, sizeof scratch, "%s/scratch", base);
    snprintf(sentinel, sizeof sentinel, "%s/sentinel", base);
    mkdir(scratch, 0755);
    mkdir(sentinel, 0755);
    fd = open(scratch, O_RDONLY | O_DIRECTORY);
    if (fd < 0) abort();
    memset(&o, 0, sizeof o);
    o.max_layer_size = 8 << 20;
    o.rootless = 1;   /* no devices, no chown: the fuzzer may run as root */
    src.p = data; src.len = size; src.pos = 0;
    err[0] = '\0';
    r = crioimg_layer_apply(fd, NULL, fz_unpack_read, &src, NULL, &o, NULL, err, sizeof err);
    close(fd);
    if (r != CRIOIMG_OK && err[0] == '\0') abort();
    if (fz_unpack_count(sentinel) != 0 || fz_unpack_count(base) != 2) abort();   /* nothing outside */
    snprintf(cmd, sizeof cmd, "chmod -R u+rwx '%s' 2>/dev/null; rm -rf '%s'", scratch, scratch);
    if (system(cmd) != 0) abort();
    return 0;
}

#ifndef CRIOIMG_FUZZ_REPLAY
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return fuzz_unpack(data, size); }
#endif
