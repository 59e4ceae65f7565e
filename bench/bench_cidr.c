/* bench_cidr: the insecure-CIDR membership check with many CIDRs (the seed scanned every CIDR for every
   address; crioimg binary-searches sorted, merged ranges).

     bench_cidr [NCIDRS] [CHECKS]    defaults 10000 and 10000000

   NCIDRS random IPv4 and IPv6 CIDRs (prefixes /16-/32 and /48-/128) are added as --insecure-registry
   entries; then CHECKS IP-literal hosts ("a.b.c.d" and "[v6]" strings, half near a CIDR, half random)
   go through crioimg_registries_check_host, in 3 rounds; the fastest is reported:

     cidr_count <NCIDRS>  cidr_ns_per_check <ns>  cidr_insecure_share <fraction>
     cidr_member_ns <ns for the range search alone, addresses already parsed>

   gcc -std=c99 -O2 -I. bench/bench_cidr.c -o build/bench/bench_cidr */
#define _POSIX_C_SOURCE 200809L
#define _FILE_OFFSET_BITS 64   /* large blobs on 32-bit systems: before any #include, as crioimg needs */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#define CRIOIMG_IMPLEMENTATION
#include "../crioimg.h"

static unsigned long long bench_seed = 88172645463325252ULL;
static unsigned long bench_rand(void)
{
    bench_seed ^= bench_seed << 13; bench_seed ^= bench_seed >> 7; bench_seed ^= bench_seed << 17;
    return (unsigned long)(bench_seed >> 16);
}

int main(int argc, char **argv)
{
    size_t ncidr = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 10000;
    size_t checks = argc > 2 ? (size_t)strtoul(argv[2], NULL, 10) : 10000000;
    size_t nhosts = 4096, i, round, insecure = 0;
    char (*hosts)[64] = malloc(nhosts * sizeof *hosts);
    size_t *hl = malloc(nhosts * sizeof *hl);
    crioimg_registries *r;
    crioimg_registries_opts o;
    double best = 1e30, best_m = 0;
    memset(&o, 0, sizeof o);
    o.no_resolver = 1;
    if (!hosts || !hl || crioimg_registries_new(&r, &o) != CRIOIMG_OK) return 1;
    for (i = 0; i < ncidr; i++) {
        char s[80];
        unsigned long a = bench_rand();
        if (i % 2) snprintf(s, sizeof s, "%lu.%lu.%lu.%lu/%lu", (a >> 24) & 255, (a >> 16) & 255, (a >> 8) & 255, a & 255, 16 + bench_rand() % 17);
        else snprintf(s, sizeof s, "2001:db8:%lx:%lx::/%lu", a & 0xffff, (a >> 16) & 0xffff, 48 + bench_rand() % 81);
        if (crioimg_registries_add_insecure(r, s, strlen(s)) != CRIOIMG_OK) { fprintf(stderr, "bad %s\n", s); return 1; }
    }
    for (i = 0; i < nhosts; i++) {
        unsigned long a = bench_rand();
        if (i % 2) snprintf(hosts[i], sizeof hosts[i], "%lu.%lu.%lu.%lu", (a >> 24) & 255, (a >> 16) & 255, (a >> 8) & 255, a & 255);
        else snprintf(hosts[i], sizeof hosts[i], "[2001:db8:%lx:%lx::%lx]", a & 0xffff, (a >> 16) & 0xffff, bench_rand() & 0xffff);
        hl[i] = strlen(hosts[i]);
    }
    for (round = 0; round < 3; round++) {
        struct timespec t0, t1;
        double ns;
        size_t ins = 0;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (i = 0; i < checks / 3; i++) {
            crioimg_insecure_decision d;
            size_t h = i & (nhosts - 1);
            if (crioimg_registries_check_host(r, hosts[h], hl[h], &d) != CRIOIMG_OK) return 1;
            ins += (size_t)d.insecure;
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        ns = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) / (double)(checks / 3);
        if (ns < best) best = ns;
        insecure = ins;
    }
    /* the membership test alone, on addresses already parsed */
    {
        unsigned char (*ips)[16] = malloc(nhosts * sizeof *ips);
        size_t hit = 0;
        if (!ips) return 1;
        for (i = 0; i < nhosts; i++) {
            int br = hosts[i][0] == '[';
            if (!crioimg_ip_parse(hosts[i] + br, hl[i] - 2 * (size_t)br, ips[i])) return 1;
        }
        for (round = 0; round < 3; round++) {
            struct timespec t0, t1;
            double ns;
            clock_gettime(CLOCK_MONOTONIC, &t0);
            for (i = 0; i < checks / 3; i++) hit += (size_t)crioimg__reg_in_cidrs(r, ips[i & (nhosts - 1)]);
            clock_gettime(CLOCK_MONOTONIC, &t1);
            ns = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) / (double)(checks / 3);
            if (round == 0 || ns < best_m) best_m = ns;
        }
        printf("cidr_member_ns %.1f (%lu)\n", best_m, (unsigned long)(hit & 1));
        free(ips);
    }
    printf("cidr_count %lu\ncidr_ns_per_check %.1f\ncidr_insecure_share %.3f\n", (unsigned long)ncidr, best,
           (double)insecure / (double)(checks / 3));
    crioimg_registries_free(r);
    free(hosts);
    free(hl);
    return 0;
}
