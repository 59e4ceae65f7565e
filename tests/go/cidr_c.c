/* The C side of the IP/CIDR part of tests/go_diff_registries.sh: the same lines as tests/go/cidr.go. */
#define CRIOIMG_IMPLEMENTATION
#include "../../crioimg.h"
#include <stdio.h>

int main(void)
{
    static char line[1 << 20];
    while (fgets(line, sizeof line, stdin)) {
        size_t n = strcspn(line, "\n");
        unsigned char a[16], f[16], l[16];
        char t1[64], t2[64];
        int any = 0;
        if (crioimg_ip_parse(line, n, a)) { crioimg__ip_format(a, t1, sizeof t1); printf("ip %s", t1); any = 1; }
        if (crioimg_cidr_parse(line, n, f, l, NULL) == CRIOIMG_OK) {
            crioimg__ip_format(f, t1, sizeof t1);
            crioimg__ip_format(l, t2, sizeof t2);
            printf("%scidr %s %s", any ? " " : "", t1, t2);
            any = 1;
        }
        if (!any) fputs("none", stdout);
        putchar('\n');
    }
    return 0;
}
