/* Footprint, "resolve with registries.conf": a short name resolved under a registries.conf (aliases and
   unqualified-search-registries), with no DNS look-ups (no_resolver). */
#define CRIOIMG_IMPLEMENTATION
#include "../../crioimg.h"
#include <stdio.h>
#include <string.h>

static const char conf[] =
    "unqualified-search-registries = [\"registry.example\", \"docker.io\"]\n"
    "short-name-mode = \"permissive\"\n"
    "[aliases]\n"
    "\"busybox\" = \"docker.io/library/busybox\"\n";

int main(int argc, char **argv) {
    const char *s = argc > 1 ? argv[1] : "nginx";
    crioimg_registries_opts o;
    crioimg_registries *reg;
    crioimg_candidates c;
    size_t i;
    memset(&o, 0, sizeof o);
    o.no_resolver = 1;
    if (crioimg_registries_new(&reg, &o) != CRIOIMG_OK) return 1;
    if (crioimg_registries_load_conf_text(reg, conf, sizeof conf - 1, "registries.conf", 0) != CRIOIMG_OK ||
        crioimg_registries_resolve(reg, s, strlen(s), &c) != CRIOIMG_OK) {
        fprintf(stderr, "%s\n", crioimg_registries_error(reg));
        crioimg_registries_free(reg);
        return 1;
    }
    for (i = 0; i < c.n; i++) puts(c.items[i].name);
    crioimg_candidates_free(&c);
    crioimg_registries_free(reg);
    return 0;
}
