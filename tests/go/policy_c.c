/* The crioimg side of tests/go_diff_policy.sh. "policy_c d FILE..." writes the documents, one a line as
   "D <base64>": every parse row of tests/test_policy.c, then each FILE; "policy_c r FILE..." writes, in the
   same order, "OK" or "ERR <text>" from crioimg_policy_parse without a file name (c/image's
   NewPolicyFromBytes texts). */
#define _POSIX_C_SOURCE 200809L
#define _FILE_OFFSET_BITS 64   /* large blobs on 32-bit systems: before any #include, as crioimg needs */
#include <stdlib.h>
#include <stdio.h>
#define CRIOIMG_IMPLEMENTATION
#include "../../crioimg.h"
#include "../test.h"
#include "../test_policy.c"

static void one(int encode, const char *doc, size_t n)
{
    static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    if (encode) {
        size_t k;
        fputs("D ", stdout);
        for (k = 0; k < n; k += 3) {
            unsigned long v = (unsigned long)(unsigned char)doc[k] << 16 | (k + 1 < n ? (unsigned long)(unsigned char)doc[k + 1] << 8 : 0) |
                              (k + 2 < n ? (unsigned char)doc[k + 2] : 0);
            putchar(t[v >> 18 & 63]); putchar(t[v >> 12 & 63]);
            putchar(k + 1 < n ? t[v >> 6 & 63] : '='); putchar(k + 2 < n ? t[v & 63] : '=');
        }
        putchar('\n');
    } else {
        static char err[1 << 16];
        crioimg_policy *p;
        char *c;
        if (crioimg_policy_parse(&p, doc, n, NULL, NULL, err, sizeof err) == CRIOIMG_OK) { puts("OK"); crioimg_policy_free(p); return; }
        for (c = err; *c; c++) if (*c == '\n') *c = ' ';
        printf("ERR %s\n", err);
    }
}

int main(int argc, char **argv)
{
    static char buf[CRIOIMG_POLICY_MAX_SIZE + 1];
    int i, encode = argc > 1 && argv[1][0] == 'd';
    size_t k;
    for (k = 0; k < sizeof policy_parse_cases / sizeof policy_parse_cases[0]; k++)
        one(encode, policy_parse_cases[k].json, strlen(policy_parse_cases[k].json));
    for (i = 2; i < argc; i++) {
        FILE *f = fopen(argv[i], "rb");
        size_t n;
        if (f == NULL) { fprintf(stderr, "policy_c: cannot read %s\n", argv[i]); return 1; }
        n = fread(buf, 1, sizeof buf, f);
        fclose(f);
        one(encode, buf, n);
    }
    return 0;
}
