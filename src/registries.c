/* ---------------------------------------------------------------------------------------------------
   registries implementation
   --------------------------------------------------------------------------------------------------- */

#include "registries_internal.h"

#include <stdio.h>   /* fopen: registries.conf */
#include <stdlib.h>  /* qsort, getenv */

CRIOIMG__LIB void crioimg__reg_seterr(crioimg_registries *r, const char *a, const char *b, size_t bn, const char *c)
{
    crioimg__out o;
    o.p = r->err; o.cap = sizeof r->err; o.len = 0;
    r->err[0] = '\0';
    if (a) crioimg__out_str(&o, a);
    if (b) crioimg__out_put(&o, b, bn);
    if (c) crioimg__out_str(&o, c);
}

CRIOIMG__LIB char *crioimg__reg_strndup(const crioimg_allocator *a, const char *s, size_t n)
{
    char *p = (char *)crioimg_malloc(a, n + 1);
    if (p) { if (n) memcpy(p, s, n); p[n] = '\0'; }
    return p;
}

/* Grows *arr (of elem-sized items) so that one more fits. 0 on out-of-memory. */
CRIOIMG__LIB int crioimg__reg_grow(const crioimg_allocator *a, void **arr, size_t n, size_t *cap, size_t elem)
{
    void *p;
    size_t nc;
    if (n < *cap) return 1;
    nc = *cap ? *cap * 2 : 8;
    if (nc > ((size_t)-1) / elem) return 0;
    p = crioimg_realloc(a, *arr, nc * elem);
    if (p == NULL) return 0;
    *arr = p;
    *cap = nc;
    return 1;
}

/* Adds a range. Go keeps IPv4 and IPv6 networks apart (an IPv4 address never matches an IPv6 network,
   even ::ffff:0:0/96), and so do we: two sets. */
CRIOIMG__LIB crioimg_result crioimg__reg_add_range(crioimg_registries *r, const unsigned char first[16], const unsigned char last[16], int v4)
{
    if (v4) {
        if (!crioimg__reg_grow(&r->alloc, (void **)&r->r4, r->n4, &r->cap4, sizeof *r->r4)) return CRIOIMG_ERR_NOMEM;
        r->r4[r->n4].lo = crioimg__v4val(first);
        r->r4[r->n4].hi = crioimg__v4val(last);
        r->n4++;
    } else {
        if (!crioimg__reg_grow(&r->alloc, (void **)&r->r6, r->n6, &r->cap6, sizeof *r->r6)) return CRIOIMG_ERR_NOMEM;
        r->r6[r->n6].lo = crioimg__v6val(first);
        r->r6[r->n6].hi = crioimg__v6val(last);
        r->n6++;
    }
    r->sorted = 0;
    return CRIOIMG_OK;
}


/* Sorts (crioimg__sort4/6, src/netaddr.c) and merges overlapping and adjacent ranges, so that a membership
   test is one binary search. */
CRIOIMG__LIB void crioimg__reg_sort(crioimg_registries *r)
{
    size_t i, k;
    if (r->sorted) return;
    crioimg__sort4(r->r4, r->n4);
    for (i = 0, k = 0; i < r->n4; i++) {
        if (k > 0 && (r->r4[i].lo <= r->r4[k - 1].hi || r->r4[i].lo == r->r4[k - 1].hi + 1)) {
            if (r->r4[i].hi > r->r4[k - 1].hi) r->r4[k - 1].hi = r->r4[i].hi;
        } else r->r4[k++] = r->r4[i];
    }
    r->n4 = k;
    crioimg__sort6(r->r6, r->n6);
    for (i = 0, k = 0; i < r->n6; i++) {
        if (k > 0 && (crioimg__u128_cmp(r->r6[i].lo, r->r6[k - 1].hi) <= 0 || crioimg__u128_next(r->r6[k - 1].hi, r->r6[i].lo))) {
            if (crioimg__u128_cmp(r->r6[i].hi, r->r6[k - 1].hi) > 0) r->r6[k - 1].hi = r->r6[i].hi;
        } else r->r6[k++] = r->r6[i];
    }
    r->n6 = k;
    r->sorted = 1;
}

/* 1 when the address lies in an insecure CIDR of its family: the last range starting at or before it
   must also end at or after it. */
CRIOIMG__LIB int crioimg__reg_in_cidrs(crioimg_registries *r, const unsigned char a[16])
{
    size_t lo = 0, hi;
    crioimg__reg_sort(r);
    if (crioimg__ip_is_v4(a)) {
        unsigned long v = crioimg__v4val(a);
        hi = r->n4;
        while (lo < hi) { size_t mid = lo + (hi - lo) / 2; if (r->r4[mid].lo <= v) lo = mid + 1; else hi = mid; }
        return lo > 0 && r->r4[lo - 1].hi >= v;
    } else {
        crioimg__u128 v = crioimg__v6val(a);
        hi = r->n6;
        while (lo < hi) { size_t mid = lo + (hi - lo) / 2; if (crioimg__u128_cmp(r->r6[mid].lo, v) <= 0) lo = mid + 1; else hi = mid; }
        return lo > 0 && crioimg__u128_cmp(r->r6[lo - 1].hi, v) >= 0;
    }
}

/* ---- the object ---- */

struct crioimg__conf;

crioimg_result crioimg_registries_new(crioimg_registries **out, const crioimg_registries_opts *opts)
{
    crioimg_registries *r;
    crioimg_allocator a;
    unsigned char f[16], l[16];
    if (out == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    *out = NULL;
    memset(&a, 0, sizeof a);
    if (opts) {
        if (crioimg_allocator_check(&opts->alloc) != CRIOIMG_OK) return CRIOIMG_ERR_INVALID_ARGS;
        a = opts->alloc;
        if (opts->resolver && (opts->resolver->version == 0 || opts->resolver->version > CRIOIMG_RESOLVER_VERSION))
            return CRIOIMG_ERR_INVALID_ARGS;
        if (opts->image_ids && (opts->image_ids->version == 0 || opts->image_ids->version > CRIOIMG_IMAGE_IDS_VERSION))
            return CRIOIMG_ERR_INVALID_ARGS;
    }
    r = (crioimg_registries *)crioimg_malloc(&a, sizeof *r);
    if (r == NULL) return CRIOIMG_ERR_NOMEM;
    memset(r, 0, sizeof *r);
    r->alloc = a;
    if (opts && opts->resolver) r->resolver = *opts->resolver;
    if (opts && opts->image_ids) r->ids = *opts->image_ids;
    if (opts && opts->no_resolver) r->resolver.version = 0;
    else if (!(opts && opts->resolver)) r->resolver.version = (unsigned)-1;  /* the built-in one */
    /* the seed appended 127.0.0.0/8 to every configuration; ::1 is its IPv6 twin. As bytes (what
       crioimg_cidr_parse gives for them), so that a program that never parses a CIDR links no parser. */
    memset(f, 0, 16); memset(l, 0, 16);
    f[10] = f[11] = l[10] = l[11] = 0xff;   /* ::ffff:127.0.0.0 - ::ffff:127.255.255.255 */
    f[12] = l[12] = 127; l[13] = l[14] = l[15] = 0xff;
    if (crioimg__reg_add_range(r, f, l, 1) != CRIOIMG_OK) { crioimg_registries_free(r); return CRIOIMG_ERR_NOMEM; }
    memset(f, 0, 16); f[15] = 1;            /* ::1/128 */
    if (crioimg__reg_add_range(r, f, f, 0) != CRIOIMG_OK) {
        crioimg_registries_free(r);
        return CRIOIMG_ERR_NOMEM;
    }
    *out = r;
    return CRIOIMG_OK;
}

void crioimg_registries_free(crioimg_registries *r)
{
    size_t i;
    crioimg_allocator a;
    if (r == NULL) return;
    a = r->alloc;
    for (i = 0; i < r->nsearch; i++) crioimg_free(&a, r->search[i]);
    crioimg_free(&a, r->search);
    for (i = 0; i < r->nhosts; i++) crioimg_free(&a, r->hosts[i]);
    crioimg_free(&a, r->hosts);
    crioimg_free(&a, r->r4);
    crioimg_free(&a, r->r6);
    for (i = 0; i < r->ncache; i++) crioimg_free(&a, r->cache[i].host);
    crioimg_free(&a, r->cache);
    crioimg__conf_free(&a, r->conf);
    for (i = 0; i < r->nfiles; i++) crioimg_free(&a, r->files[i]);
    crioimg_free(&a, r->files);
    crioimg_free(&a, r);
}

const char *crioimg_registries_error(const crioimg_registries *r)
{
    return r ? r->err : "";
}

/* Appends a copy of s to a string list (count n; capacity is the next power of two, grown on demand). */
CRIOIMG__LIB crioimg_result crioimg__reg_list_add(const crioimg_allocator *a, char ***list, size_t *n, const char *s, size_t len)
{
    char *c;
    if ((*n & (*n - 1)) == 0) {  /* n is 0 or a power of two: full */
        size_t nc = *n ? *n * 2 : 4;
        char **p = (char **)crioimg_realloc(a, *list, nc * sizeof *p);
        if (p == NULL) return CRIOIMG_ERR_NOMEM;
        *list = p;
    }
    c = crioimg__reg_strndup(a, s, len);
    if (c == NULL) return CRIOIMG_ERR_NOMEM;
    (*list)[(*n)++] = c;
    return CRIOIMG_OK;
}

CRIOIMG__LIB int crioimg__reg_list_has(char *const *list, size_t n, const char *s, size_t len)
{
    size_t i;
    for (i = 0; i < n; i++) if (strlen(list[i]) == len && memcmp(list[i], s, len) == 0) return 1;
    return 0;
}

crioimg_result crioimg_registries_add_search(crioimg_registries *r, const char *name, size_t n)
{
    size_t hl;
    int br;
    if (r == NULL || (name == NULL && n)) return CRIOIMG_ERR_INVALID_ARGS;
    r->err[0] = '\0';
    if (!crioimg__reg_host_split(name, n, &hl, &br)) {
        crioimg__reg_seterr(r, "invalid registry \"", name, n, "\"");
        return CRIOIMG_ERR_REGISTRY_INVALID;
    }
    if (crioimg__reg_list_has(r->search, r->nsearch, name, n)) return CRIOIMG_OK;
    return crioimg__reg_list_add(&r->alloc, &r->search, &r->nsearch, name, n);
}

crioimg_result crioimg_registries_add_insecure(crioimg_registries *r, const char *entry, size_t n)
{
    unsigned char f[16], l[16];
    size_t hl;
    int v4, br;
    if (r == NULL || (entry == NULL && n)) return CRIOIMG_ERR_INVALID_ARGS;
    r->err[0] = '\0';
    if (memchr(entry, '/', n)) {
        /* Go sent anything that is not a CIDR to the host entries, where "10.0.0.0/33" then silently never
           matched: a '/' can only mean a CIDR, so a bad one is an error here. */
        if (crioimg_cidr_parse(entry, n, f, l, &v4) != CRIOIMG_OK) {
            crioimg__reg_seterr(r, "invalid CIDR address: ", entry, n, NULL);  /* Go's ParseError text */
            return CRIOIMG_ERR_REGISTRY_CIDR;
        }
        return crioimg__reg_add_range(r, f, l, v4);
    }
    if (!crioimg__reg_host_split(entry, n, &hl, &br)) {
        crioimg__reg_seterr(r, "invalid insecure registry \"", entry, n, "\": neither a CIDR nor a host[:port]");
        return CRIOIMG_ERR_REGISTRY_INVALID;
    }
    if (crioimg__reg_list_has(r->hosts, r->nhosts, entry, n)) return CRIOIMG_OK;
    return crioimg__reg_list_add(&r->alloc, &r->hosts, &r->nhosts, entry, n);
}

/* ---- resolution (the seed's ResolveNames) ---- */

void crioimg_candidates_free(crioimg_candidates *c)
{
    size_t i;
    if (c == NULL) return;
    for (i = 0; i < c->n; i++) crioimg_free(&c->alloc, c->items[i].name);
    crioimg_free(&c->alloc, c->items);
    memset(c, 0, sizeof *c);
}

/* Adds a candidate "a b" (a then b, no separator) whose origin is o; name and origin share one block. */
CRIOIMG__LIB crioimg_result crioimg__cand_add(crioimg_candidates *c, crioimg_candidate_rule rule, const char *a, size_t an,
                                              const char *b, size_t bn, const char *o, size_t on)
{
    char *p;
    if ((c->n & (c->n - 1)) == 0) {
        size_t nc = c->n ? c->n * 2 : 4;
        crioimg_candidate *q = (crioimg_candidate *)crioimg_realloc(&c->alloc, c->items, nc * sizeof *q);
        if (q == NULL) return CRIOIMG_ERR_NOMEM;
        c->items = q;
    }
    if (an + bn + on + 2 < an) return CRIOIMG_ERR_NOMEM;
    p = (char *)crioimg_malloc(&c->alloc, an + bn + on + 2);
    if (p == NULL) return CRIOIMG_ERR_NOMEM;
    if (an) memcpy(p, a, an);
    if (bn) memcpy(p + an, b, bn);
    p[an + bn] = '\0';
    if (on) memcpy(p + an + bn + 1, o, on);
    p[an + bn + 1 + on] = '\0';
    c->items[c->n].name = p;
    c->items[c->n].rule = rule;
    c->items[c->n].origin = p + an + bn + 1;
    c->items[c->n].insecure = 0;
    c->n++;
    return CRIOIMG_OK;
}

/* splitDockerDomain as the seed uses it: the first component is a domain when it holds '.' or ':' or is
   "localhost". Returns its length (0: none). */
CRIOIMG__LIB size_t crioimg__reg_domain_len(const char *s, size_t n)
{
    const char *slash = (const char *)memchr(s, '/', n);
    size_t c0;
    if (slash == NULL) return 0;
    c0 = (size_t)(slash - s);
    if (memchr(s, '.', c0) || memchr(s, ':', c0) || (c0 == 9 && memcmp(s, "localhost", 9) == 0)) return c0;
    return 0;
}

crioimg_result crioimg_registries_resolve(crioimg_registries *r, const char *name, size_t n, crioimg_candidates *out)
{
    crioimg_ref ref;
    crioimg_result res;
    size_t i;
    if (out) memset(out, 0, sizeof *out);
    if (r == NULL || out == NULL || (name == NULL && n)) return CRIOIMG_ERR_INVALID_ARGS;
    out->alloc = r->alloc;
    r->err[0] = '\0';
    /* maybe a truncated image ID: no registry is prepended then */
    if (r->ids.version && r->ids.expand && n >= 3 && crioimg_id_is_prefix(name, n, 3)) {
        char id[65];
        id[0] = '\0';
        if (r->ids.expand(r->ids.user, name, n, id) == CRIOIMG_OK && strlen(id) == 64 && memcmp(id, name, n) == 0)
            return crioimg__cand_add(out, CRIOIMG_CANDIDATE_IMAGE_ID, id, 64, NULL, 0, NULL, 0);
    }
    /* registries.conf rules apply only when no search list was given explicitly; a full ID is refused
       there too (containers/image would take it for a short name) */
    if (r->conf && r->nsearch == 0 && !crioimg_id_is_full(name, n)) return crioimg__shortnames_resolve(r, name, n, out);
    res = crioimg_ref_parse_normalized(&ref, name, n);
    if (res == CRIOIMG_ERR_REF_HEX_NAME) {
        crioimg__reg_seterr(r, crioimg_result_str(CRIOIMG_ERR_REGISTRY_IMAGE_ID), NULL, 0, NULL);
        return CRIOIMG_ERR_REGISTRY_IMAGE_ID;
    }
    if (res != CRIOIMG_OK) {
        crioimg_ref_error_message(res, name, n, r->err, sizeof r->err);
        return res;
    }
    if (crioimg__reg_domain_len(name, n))
        return crioimg__cand_add(out, CRIOIMG_CANDIDATE_QUALIFIED, name, n, NULL, 0, NULL, 0);
    if (r->nsearch == 0) {
        crioimg__reg_seterr(r, crioimg_result_str(CRIOIMG_ERR_REGISTRY_NO_SEARCH), NULL, 0, NULL);
        return CRIOIMG_ERR_REGISTRY_NO_SEARCH;
    }
    for (i = 0; i < r->nsearch; i++) {
        const char *reg = r->search[i];
        size_t rl = strlen(reg);
        int lib = rl == 9 && memcmp(reg, "docker.io", 9) == 0 && memchr(name, '/', n) == NULL;
        char pre[CRIOIMG_REF_NAME_MAX + 16];
        if (rl + 10 > sizeof pre) return CRIOIMG_ERR_REGISTRY_INVALID;  /* add_search bounds rl */
        memcpy(pre, reg, rl);
        memcpy(pre + rl, lib ? "/library/" : "/", lib ? 9 : 1);
        res = crioimg__cand_add(out, CRIOIMG_CANDIDATE_SEARCH, pre, rl + (lib ? 9 : 1), name, n, reg, rl);
        if (res != CRIOIMG_OK) { crioimg_candidates_free(out); out->alloc = r->alloc; return res; }
    }
    return CRIOIMG_OK;
}

/* ---- insecure registries (the seed's isSecureIndex) ---- */

const char *crioimg_insecure_rule_name(crioimg_insecure_rule rule)
{
    switch (rule) {
    case CRIOIMG_INSECURE_RULE_NONE: return "none";
    case CRIOIMG_INSECURE_RULE_HOST: return "host";
    case CRIOIMG_INSECURE_RULE_LOOPBACK: return "loopback";
    case CRIOIMG_INSECURE_RULE_CIDR: return "cidr";
    case CRIOIMG_INSECURE_RULE_CIDR_RESOLVED: return "cidr-resolved";
    case CRIOIMG_INSECURE_RULE_LOOKUP_FAILED: return "lookup-failed";
    case CRIOIMG_INSECURE_RULE_NO_MATCH: return "no-match";
    case CRIOIMG_INSECURE_RULE_CONF: return "registries-conf";
    }
    return "unknown";
}


/* Looks host up (once: later calls answer from the cache). Returns the cache entry, or NULL on
   out-of-memory. */
CRIOIMG__LIB crioimg__host_cache *crioimg__reg_lookup(crioimg_registries *r, const char *host, size_t hl, int *cached)
{
    unsigned char addrs[32][16];
    size_t i, na = 0;
    crioimg_result res = CRIOIMG_ERR_UNSUPPORTED;
    crioimg__host_cache *c;
    char name[CRIOIMG_REF_NAME_MAX + 1];
    for (i = 0; i < r->ncache; i++)
        if (strlen(r->cache[i].host) == hl && memcmp(r->cache[i].host, host, hl) == 0) { *cached = 1; return &r->cache[i]; }
    *cached = 0;
    if ((r->ncache & (r->ncache - 1)) == 0) {
        size_t nc = r->ncache ? r->ncache * 2 : 4;
        crioimg__host_cache *p = (crioimg__host_cache *)crioimg_realloc(&r->alloc, r->cache, nc * sizeof *p);
        if (p == NULL) return NULL;
        r->cache = p;
    }
    c = &r->cache[r->ncache];
    c->host = crioimg__reg_strndup(&r->alloc, host, hl);
    if (c->host == NULL) return NULL;
    r->ncache++;
    c->state = 0;
    c->detail[0] = '\0';
    memcpy(name, host, hl);
    name[hl] = '\0';
    if (r->resolver.version == (unsigned)-1) {
#ifdef CRIOIMG__HAVE_GETADDRINFO
        res = crioimg__getaddrinfo(NULL, name, addrs, 32, &na);
#endif
    } else if (r->resolver.version && r->resolver.lookup) {
        res = r->resolver.lookup(r->resolver.user, name, addrs, 32, &na);
    }
    if (res != CRIOIMG_OK) return c;
    if (na > 32) na = 32;  /* a resolver that overstates its count is not believed past cap */
    c->state = 1;
    for (i = 0; i < na; i++)
        if (crioimg__reg_in_cidrs(r, addrs[i])) {
            c->state = 2;
            crioimg__ip_format(addrs[i], c->detail, sizeof c->detail);
            break;
        }
    return c;
}

crioimg_result crioimg_registries_check_host(crioimg_registries *r, const char *host, size_t n, crioimg_insecure_decision *out)
{
    size_t hl;
    int br;
    unsigned char ip[16];
    crioimg__host_cache *c;
    if (out) memset(out, 0, sizeof *out);
    if (r == NULL || out == NULL || (host == NULL && n)) return CRIOIMG_ERR_INVALID_ARGS;
    r->err[0] = '\0';
    if (!crioimg__reg_host_split(host, n, &hl, &br)) {
        crioimg__reg_seterr(r, "invalid registry host \"", host, n, "\"");
        return CRIOIMG_ERR_REGISTRY_INVALID;
    }
    /* an exact entry decides first, with no look-up (the seed's indexConfigs) */
    if (crioimg__reg_list_has(r->hosts, r->nhosts, host, n)) {
        out->insecure = 1;
        out->rule = CRIOIMG_INSECURE_RULE_HOST;
        memcpy(out->detail, host, n < sizeof out->detail - 1 ? n : sizeof out->detail - 1);
        return CRIOIMG_OK;
    }
    if (crioimg__conf_insecure(r, host, n, out->detail, sizeof out->detail)) {
        out->insecure = 1;
        out->rule = CRIOIMG_INSECURE_RULE_CONF;
        return CRIOIMG_OK;
    }
    if (crioimg_ip_parse(host + br, hl - 2 * (size_t)br, ip)) {
        crioimg__ip_format(ip, out->detail, sizeof out->detail);
        if (crioimg__ip_is_loopback(ip)) { out->insecure = 1; out->rule = CRIOIMG_INSECURE_RULE_LOOPBACK; }
        else if (crioimg__reg_in_cidrs(r, ip)) { out->insecure = 1; out->rule = CRIOIMG_INSECURE_RULE_CIDR; }
        else out->rule = CRIOIMG_INSECURE_RULE_NO_MATCH;
        return CRIOIMG_OK;
    }
    c = crioimg__reg_lookup(r, host, hl, &out->cached);
    if (c == NULL) return CRIOIMG_ERR_NOMEM;
    out->insecure = c->state == 2;
    out->rule = c->state == 0 ? CRIOIMG_INSECURE_RULE_LOOKUP_FAILED : c->state == 1 ? CRIOIMG_INSECURE_RULE_NO_MATCH
                                                                                    : CRIOIMG_INSECURE_RULE_CIDR_RESOLVED;
    memcpy(out->detail, c->detail, sizeof c->detail);
    return CRIOIMG_OK;
}
