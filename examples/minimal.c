/* The smallest program that vendors crioimg.h: parse the references given on the command line the way
   the docker CLI and CRI-O do, and print their parts.

     cc -std=c99 -o minimal minimal.c && ./minimal nginx quay.io/podman/stable:latest
*/
#define CRIOIMG_IMPLEMENTATION  /* in exactly one .c file of a program */
#include "../crioimg.h"

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    int i, status = 0;
    for (i = 1; i < argc; i++) {
        crioimg_ref ref;  /* fixed-size, on the stack: parsing never allocates */
        char full[CRIOIMG_REF_STRING_MAX + 1];
        size_t domain_len;
        const char *domain;
        crioimg_result r = crioimg_ref_parse_normalized(&ref, argv[i], strlen(argv[i]));
        if (r != CRIOIMG_OK) {
            char msg[512];  /* Go's error text, with the input where Go quotes it */
            crioimg_ref_error_message(r, argv[i], strlen(argv[i]), msg, sizeof msg);
            fprintf(stderr, "%s: %s\n", argv[i], msg);
            status = 1;
            continue;
        }
        crioimg_ref_tag_name_only(&ref);  /* "nginx" means "nginx:latest" */
        crioimg_ref_string(&ref, full, sizeof full);
        domain = crioimg_ref_domain(&ref, &domain_len);
        printf("%s\n  registry:   %.*s\n  repository: %s\n  tag:        %s\n  digest:     %s\n",
               full, (int)domain_len, domain, crioimg_ref_path(&ref, NULL), ref.tag_len ? ref.tag : "(none)",
               ref.digest_len ? ref.digest : "(none)");
    }
    return status;
}
