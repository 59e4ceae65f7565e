/* A firmware build step: checks the image names a device will pull, with no network at all (this
   program is built without any transport and never looks a host name up). For each name: is it a valid
   reference, what does it resolve to under the device's registries.conf (short-name aliases,
   unqualified-search registries, mirrors), and will each registry be reached over verified TLS
   ("secure") or not ("insecure", and why)? One line per name; exit status 1 if any name is invalid or
   does not resolve, so a build fails before the image list ships.

     cc -std=c99 -o firmware_check firmware_check.c
     ./firmware_check --registries-conf device/registries.conf nginx quay.io/app/x:1.2
     ./firmware_check --registries-conf device/registries.conf - < images.txt     one name a line
     ./firmware_check --insecure-registry 10.0.0.0/8 10.1.2.3:5000/app:1          as CRI-O's option

   Output:
     ok   NAME -> CANDIDATE [secure|insecure(RULE)] ...   (mirrors first, each marked "mirror")
     bad  NAME: WHY
*/
#define CRIOIMG_IMPLEMENTATION
#include "../crioimg.h"

#include <stdio.h>
#include <string.h>

/* One name: parsed, resolved, each pull source judged. 0 ok, 1 bad (after its line). */
static int check(crioimg_registries *regs, const char *name)
{
    crioimg_ref ref;
    crioimg_candidates cands, srcs;
    crioimg_result r;
    size_t i, j;
    char msg[512];

    /* 1. a valid reference? (Go's error text, as docker and CRI-O print it) */
    if ((r = crioimg_ref_parse_normalized(&ref, name, strlen(name))) != CRIOIMG_OK) {
        crioimg_ref_error_message(r, name, strlen(name), msg, sizeof msg);
        printf("bad  %s: %s\n", name, msg);
        return 1;
    }
    /* 2. the candidates a pull would try, in order */
    if ((r = crioimg_registries_resolve(regs, name, strlen(name), &cands)) != CRIOIMG_OK) {
        printf("bad  %s: %s\n", name, crioimg_registries_error(regs)[0] ? crioimg_registries_error(regs) : crioimg_result_str(r));
        crioimg_candidates_free(&cands);
        return 1;
    }
    printf("ok   %s ->", name);
    for (i = 0; i < cands.n; i++) {
        /* 3. each candidate's pull sources (mirrors, then the registry), each registry secure or not */
        if ((r = crioimg_registries_pull_sources(regs, cands.items[i].name, strlen(cands.items[i].name), &srcs)) != CRIOIMG_OK) {
            printf(" %s [%s]", cands.items[i].name, crioimg_result_name(r));   /* e.g. a blocked registry */
            crioimg_candidates_free(&srcs);
            continue;
        }
        for (j = 0; j < srcs.n; j++) {
            crioimg_ref sref;
            crioimg_insecure_decision d;
            const char *domain;
            size_t dn;
            int insecure = srcs.items[j].insecure;
            const char *why = insecure ? "registries-conf" : "";
            if (crioimg_ref_parse_normalized(&sref, srcs.items[j].name, strlen(srcs.items[j].name)) == CRIOIMG_OK) {
                domain = crioimg_ref_domain(&sref, &dn);
                if (!insecure && crioimg_registries_check_host(regs, domain, dn, &d) == CRIOIMG_OK && d.insecure) {
                    insecure = 1;
                    why = crioimg_insecure_rule_name(d.rule);
                }
            }
            printf(" %s%s [%s%s%s%s]", srcs.items[j].rule == CRIOIMG_CANDIDATE_MIRROR ? "mirror " : "", srcs.items[j].name,
                   insecure ? "insecure" : "secure", insecure ? "(" : "", why, insecure ? ")" : "");
        }
        crioimg_candidates_free(&srcs);
    }
    printf("\n");
    crioimg_candidates_free(&cands);
    return 0;
}

static int usage(void)
{
    fprintf(stderr, "usage: firmware_check [--registries-conf FILE] [--insecure-registry HOST|CIDR]... NAME... | -\n");
    return 2;
}

int main(int argc, char **argv)
{
    crioimg_registries_opts o;
    crioimg_registries *regs;
    const char *conf = NULL;
    int i, bad = 0, names = 0;
    crioimg_result r;

    memset(&o, 0, sizeof o);
    o.no_resolver = 1;   /* no network: a host name is secure unless an entry or registries.conf says not */
    if (crioimg_registries_new(&regs, &o) != CRIOIMG_OK) return 1;
    for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1] == '-'; i++) {
        if (strcmp(argv[i], "--") == 0) { i++; break; }
        if (i + 1 >= argc) { crioimg_registries_free(regs); return usage(); }
        if (strcmp(argv[i], "--registries-conf") == 0) conf = argv[++i];
        else if (strcmp(argv[i], "--insecure-registry") == 0) {
            i++;
            if ((r = crioimg_registries_add_insecure(regs, argv[i], strlen(argv[i]))) != CRIOIMG_OK) {
                fprintf(stderr, "firmware_check: --insecure-registry %s: %s\n", argv[i], crioimg_registries_error(regs));
                crioimg_registries_free(regs);
                return 2;
            }
        } else { crioimg_registries_free(regs); return usage(); }
    }
    if (i == argc) { crioimg_registries_free(regs); return usage(); }
    /* the device's registries.conf only, not the build machine's /etc/containers nor any drop-in
       directory: read here with plain stdio and handed over as text, so this needs no POSIX at all
       (crioimg_registries_load_conf would list registries.conf.d, which needs <dirent.h>) */
    if (conf) {
        FILE *f = fopen(conf, "rb");
        static char text[1 << 20];
        size_t n = f ? fread(text, 1, sizeof text, f) : 0;
        if (f == NULL || ferror(f) || n == sizeof text) {
            fprintf(stderr, "firmware_check: %s: cannot read it (or over 1 MiB)\n", conf);
            if (f) fclose(f);
            crioimg_registries_free(regs);
            return 2;
        }
        fclose(f);
        if ((r = crioimg_registries_load_conf_text(regs, text, n, conf, 0)) != CRIOIMG_OK) {
            fprintf(stderr, "firmware_check: %s\n", crioimg_registries_error(regs));
            crioimg_registries_free(regs);
            return 2;
        }
    }
    for (; i < argc; i++) {
        if (strcmp(argv[i], "-") == 0) {
            char line[4096];
            while (fgets(line, sizeof line, stdin)) {
                size_t n = strcspn(line, "\r\n");
                line[n] = '\0';
                if (n == 0 || line[0] == '#') continue;   /* blank lines and comments in an image list */
                bad |= check(regs, line);
                names++;
            }
        } else {
            bad |= check(regs, argv[i]);
            names++;
        }
    }
    crioimg_registries_free(regs);
    fprintf(stderr, "firmware_check: %d names, %s\n", names, bad ? "some invalid" : "all valid");
    return bad;
}
