/* The C side of tests/go_diff_registries.sh: like tests/go/resolve.go, crioimg's resolution (or, with
   -pull, pull sources) with registries.conf FILE and no drop-in directory, one line per name from stdin. */
#define _POSIX_C_SOURCE 200809L
#define _FILE_OFFSET_BITS 64   /* large blobs on 32-bit systems: before any #include, as crioimg needs */
#define CRIOIMG_IMPLEMENTATION
#include "../../crioimg.h"
#include <stdio.h>

/* -batch NAMES PULLNAMES: as tests/go/resolve.go's batch mode (stdin: PATH or PATH<tab>DROP-IN-DIR) */
static void resolve_c_line(crioimg_registries *r, const char *line, int pull)
{
    crioimg_candidates c;
    size_t n = strcspn(line, "\n"), k;
    if (pull) {
        crioimg_result res = crioimg_registries_pull_sources(r, line, n, &c);
        if (res != CRIOIMG_OK) { puts(res == CRIOIMG_ERR_REGISTRY_BLOCKED ? "blocked" : "error"); return; }
        for (k = 0; k < c.n; k++) printf("%s%s=%s%s", k ? " " : "", c.items[k].name, c.items[k].origin, c.items[k].insecure ? "!" : "");
        putchar('\n');
        crioimg_candidates_free(&c);
        return;
    }
    if (crioimg_registries_resolve(r, line, n, &c) != CRIOIMG_OK) { puts("error"); return; }
    for (k = 0; k < c.n; k++) printf("%s%s", k ? " " : "", c.items[k].name);
    putchar('\n');
    crioimg_candidates_free(&c);
}

static int resolve_c_batch(char **argv)
{
    char path[4096], line[4096];
    while (fgets(path, sizeof path, stdin)) {
        crioimg_registries *r;
        crioimg_registries_opts o;
        crioimg_conf_paths p;
        int k;
        char *tab;
        path[strcspn(path, "\n")] = '\0';
        tab = strchr(path, '\t');
        if (tab) *tab++ = '\0';
        memset(&o, 0, sizeof o);
        o.no_resolver = 1;
        memset(&p, 0, sizeof p);
        p.path = path;
        p.dir = tab ? tab : "/nonexistent/registries.conf.d";
        p.home = "/nonexistent";
        printf("== %s\n", path);
        if (crioimg_registries_new(&r, &o) != CRIOIMG_OK) return 1;
        if (crioimg_registries_load_conf(r, &p) != CRIOIMG_OK) {
            puts("load refused");
            fprintf(stderr, "%s\n", crioimg_registries_error(r));
            crioimg_registries_free(r);
            continue;
        }
        puts("load ok");
        for (k = 0; k < 2; k++) {
            FILE *f = fopen(argv[2 + k], "r");
            if (f == NULL) return 1;
            while (fgets(line, sizeof line, f)) resolve_c_line(r, line, k);
            fclose(f);
        }
        crioimg_registries_free(r);
    }
    return 0;
}

int main(int argc, char **argv)
{
    char line[4096];
    crioimg_registries *r;
    crioimg_registries_opts o;
    crioimg_conf_paths p;
    int pull = argc > 2 && strcmp(argv[2], "-pull") == 0;
    if (argc < 2) return 2;
    if (strcmp(argv[1], "-batch") == 0) return argc < 4 ? 2 : resolve_c_batch(argv);
    memset(&o, 0, sizeof o);
    o.no_resolver = 1;
    memset(&p, 0, sizeof p);
    p.path = argv[1];
    p.dir = "/nonexistent/registries.conf.d";
    p.home = "/nonexistent";
    if (crioimg_registries_new(&r, &o) != CRIOIMG_OK || crioimg_registries_load_conf(r, &p) != CRIOIMG_OK) {
        fprintf(stderr, "%s\n", crioimg_registries_error(r));
        return 1;
    }
    while (fgets(line, sizeof line, stdin)) resolve_c_line(r, line, pull);
    crioimg_registries_free(r);
    return 0;
}
