/* Footprint, "list a store": an OCI image-layout store opened read-only and its images listed. */
#define CRIOIMG_IMPLEMENTATION
#include "../../crioimg.h"
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
    crioimg_store_opts o;
    crioimg_store *st;
    crioimg_image_list l;
    size_t i;
    memset(&o, 0, sizeof o);
    o.read_only = 1;
    if (crioimg_store_open_oci(&st, argc > 1 ? argv[1] : ".", &o) != CRIOIMG_OK) return 1;
    if (crioimg_store_list(st, NULL, &l) != CRIOIMG_OK) {
        fprintf(stderr, "%s\n", crioimg_store_error(st));
        crioimg_store_close(st);
        return 1;
    }
    for (i = 0; i < l.n; i++) printf("%s %s\n", l.images[i].id, l.images[i].nnames ? l.images[i].names[0] : "<none>");
    crioimg_image_list_free(&l);
    crioimg_store_close(st);
    return 0;
}
