/* Images as files, for a device with no network: load a `docker save` (or `podman save`, `skopeo copy
   ... docker-archive:`) tarball carried on a USB stick into the device's image store, and, on the
   connected side, save images from a store into one archive for it. Built without any HTTP transport:
   nothing here can reach a network.

     cc -std=c99 -o offline_load offline_load.c
     ./offline_load load /var/lib/crioimg /media/usb/app.tar            every image? no: the only one in it,
     ./offline_load load /var/lib/crioimg /media/usb/app.tar:quay.io/app:1.2   or the one with that tag
     ./offline_load load /var/lib/crioimg oci-archive:/media/usb/app-oci.tar:v1   any source transport
     ./offline_load save /srv/store /media/usb/app.tar quay.io/app:1.2 nginx:1.25

   load prints "ID NAME" for the image stored; save writes PATH only when it is complete (a temporary
   file, fsync, rename), with the same bytes for the same images (reproducible: checksums of the file
   can be published). Every blob is verified (digest, size, the layers' diff IDs) before it lands; a
   failure stores nothing of the image. Exit status 1 on failure, with the reason on stderr. */
#define CRIOIMG_IMPLEMENTATION
#include "../crioimg.h"

#include <stdio.h>
#include <string.h>

static int load(const char *store_dir, const char *what)
{
    crioimg_store *s = NULL;
    crioimg_store_opts so;
    crioimg_archive_load_result res;
    crioimg_result r;
    char src[4200], err[2048];
    /* a bare path is a docker save tarball: what is most often carried to a device */
    if (crioimg_archive_is_source(what)) snprintf(src, sizeof src, "%s", what);
    else snprintf(src, sizeof src, "docker-archive:%s", what);
    memset(&so, 0, sizeof so);
    so.create = 1;
    if ((r = crioimg_store_open_oci(&s, store_dir, &so)) != CRIOIMG_OK) {
        fprintf(stderr, "offline_load: %s: %s\n", store_dir, crioimg_result_str(r));
        return 1;
    }
    r = crioimg_archive_load(s, src, NULL, &res, err, sizeof err);
    if (r == CRIOIMG_OK) printf("%s %s\n", res.id, res.name[0] ? res.name : "<none>");
    else fprintf(stderr, "offline_load: %s\n", err[0] ? err : crioimg_result_str(r));
    crioimg_store_close(s);
    return r == CRIOIMG_OK ? 0 : 1;
}

static int save(const char *store_dir, const char *path, const char *const *names, size_t n)
{
    crioimg_store *s = NULL;
    crioimg_store_opts so;
    crioimg_result r;
    char err[2048];
    memset(&so, 0, sizeof so);
    so.read_only = 1;
    if ((r = crioimg_store_open_oci(&s, store_dir, &so)) != CRIOIMG_OK) {
        fprintf(stderr, "offline_load: %s: %s\n", store_dir, crioimg_result_str(r));
        return 1;
    }
    r = crioimg_archive_save(s, NULL, path, names, n, err, sizeof err);   /* NULL: a docker-archive */
    if (r != CRIOIMG_OK) fprintf(stderr, "offline_load: %s\n", err[0] ? err : crioimg_result_str(r));
    crioimg_store_close(s);
    return r == CRIOIMG_OK ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "load") == 0) return load(argv[2], argv[3]);
    if (argc >= 5 && strcmp(argv[1], "save") == 0) return save(argv[2], argv[3], (const char *const *)argv + 4, (size_t)argc - 4);
    fputs("usage: offline_load load STORE-DIR ARCHIVE[:NAME:TAG|:@N] | SOURCE\n"
          "       offline_load save STORE-DIR PATH NAME|ID...\n", stderr);
    return 2;
}
