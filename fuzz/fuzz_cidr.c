/* libFuzzer target for IP literals, CIDRs and registry hosts: never crash or read past the input; an
   address parsed and formatted parses back the same; a CIDR's first address lies in it and the bounds
   agree with the prefix; a host decision never asks the resolver about an IP literal or an exact entry;
   the resolve of the input as a name never misbehaves. */
#ifndef _POSIX_C_SOURCE   /* crioimg's implementation: POSIX.1-2008 and 64-bit file offsets, before any #include */
#define _POSIX_C_SOURCE 200809L
#define _FILE_OFFSET_BITS 64
#endif
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifndef CRIOIMG_FUZZ_REPLAY
#define CRIOIMG_IMPLEMENTATION
#endif
#include "../crioimg.h"

static unsigned fuzz_cidr_calls;

/* answers every name with an address made from its bytes: some inside the CIDRs below, some not */
static crioimg_result fuzz_cidr_lookup(void *user, const char *host, unsigned char (*addrs)[16], size_t cap, size_t *n)
{
    size_t l = strlen(host);
    (void)user;
    fuzz_cidr_calls++;
    *n = 0;
    if (cap == 0 || l % 3 == 0) return CRIOIMG_ERR_NOT_FOUND;
    memset(addrs[0], 0, 16);
    addrs[0][10] = addrs[0][11] = 0xff;
    addrs[0][12] = (unsigned char)(l % 2 ? 10 : 192);
    addrs[0][15] = (unsigned char)host[0];
    *n = 1;
    return CRIOIMG_OK;
}

static int fuzz_cidr(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    unsigned char a[16], f[16], l[16], b[16];
    char txt[64];
    int v4;
    crioimg_registries *r;
    crioimg_registries_opts o;
    crioimg_resolver res = { CRIOIMG_RESOLVER_VERSION, NULL, fuzz_cidr_lookup };
    crioimg_insecure_decision d;
    crioimg_candidates c;
    if (crioimg_ip_parse(s, size, a)) {
        crioimg__ip_format(a, txt, sizeof txt);
        if (!crioimg_ip_parse(txt, strlen(txt), b) || memcmp(a, b, 16) != 0) abort();
    }
    if (crioimg_cidr_parse(s, size, f, l, &v4) == CRIOIMG_OK) {
        if (memcmp(f, l, 16) > 0) abort();
        if (v4 && (!crioimg__ip_is_v4(f) || !crioimg__ip_is_v4(l))) abort();
    }
    memset(&o, 0, sizeof o);
    o.resolver = &res;
    if (crioimg_registries_new(&r, &o) != CRIOIMG_OK) abort();
    if (crioimg_registries_add_insecure(r, "10.0.0.0/8", 10) != CRIOIMG_OK) abort();
    if (crioimg_registries_add_insecure(r, "fd00::/8", 8) != CRIOIMG_OK) abort();
    crioimg_registries_add_insecure(r, s, size);
    fuzz_cidr_calls = 0;
    if (crioimg_registries_check_host(r, s, size, &d) == CRIOIMG_OK) {
        if (d.rule == CRIOIMG_INSECURE_RULE_HOST && fuzz_cidr_calls) abort();
        size_t hl;
        int br;
        if (!crioimg__reg_host_split(s, size, &hl, &br)) abort();
        if (crioimg_ip_parse(s + br, hl - 2 * (size_t)br, a) && fuzz_cidr_calls) abort();  /* literals: no look-up */
        if (fuzz_cidr_calls > 1) abort();
        if (crioimg_registries_check_host(r, s, size, &d) != CRIOIMG_OK || fuzz_cidr_calls > 1) abort();  /* cached */
    }
    crioimg_registries_add_search(r, s, size);
    crioimg_registries_add_search(r, "docker.io", 9);
    if (crioimg_registries_resolve(r, s, size, &c) == CRIOIMG_OK && c.n == 0) abort();
    crioimg_candidates_free(&c);
    crioimg_registries_free(r);
    return 0;
}

#ifndef CRIOIMG_FUZZ_REPLAY
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return fuzz_cidr(data, size); }
#endif
