/* registries: the seed's ResolveNames (its TestResolveNames cases), the insecure-registry decision
   with a fake resolver, CIDR and IP parsing. */

static void t_free_cb(void *p, void *u) { (void)u; free(p); }

/* ---- a fake resolver: a fixed table; counts the questions it was asked ---- */

typedef struct fake_dns { unsigned calls; char last[256]; } fake_dns;

static crioimg_result fake_lookup(void *user, const char *host, unsigned char (*addrs)[16], size_t cap, size_t *n)
{
    static const struct { const char *host, *addr; } table[] = {
        { "intranet.example", "10.1.2.3" },
        { "intranet.example", "2001:db8::1" },
        { "public.example", "93.184.216.34" },
        { "six.example", "fd00::42" },
        { "mapped.example", "::ffff:10.9.9.9" },
        { "local.example", "127.0.0.1" },
    };
    fake_dns *d = (fake_dns *)user;
    size_t i;
    d->calls++;
    snprintf(d->last, sizeof d->last, "%s", host);
    *n = 0;
    if (strcmp(host, "hang.example") == 0) return CRIOIMG_ERR_TIMEOUT;  /* a look-up that gave up */
    for (i = 0; i < sizeof table / sizeof table[0] && *n < cap; i++)
        if (strcmp(host, table[i].host) == 0 && crioimg_ip_parse(table[i].addr, strlen(table[i].addr), addrs[*n])) (*n)++;
    return *n ? CRIOIMG_OK : CRIOIMG_ERR_NOT_FOUND;
}

static crioimg_registries *new_reg(fake_dns *d, const char *const *search, const char *const *insecure)
{
    crioimg_registries *r = NULL;
    crioimg_registries_opts o;
    crioimg_resolver res;
    memset(&o, 0, sizeof o);
    memset(&res, 0, sizeof res);
    res.version = CRIOIMG_RESOLVER_VERSION;
    res.user = d;
    res.lookup = fake_lookup;
    o.resolver = &res;
    if (!CHECK(crioimg_registries_new(&r, &o) == CRIOIMG_OK)) return NULL;
    for (; search && *search; search++) CHECK(crioimg_registries_add_search(r, *search, strlen(*search)) == CRIOIMG_OK);
    for (; insecure && *insecure; insecure++) CHECK(crioimg_registries_add_insecure(r, *insecure, strlen(*insecure)) == CRIOIMG_OK);
    return r;
}

/* the candidates joined by '\n', or "error: TEXT" */
static const char *resolve_str(crioimg_registries *r, const char *name, char *buf, size_t cap)
{
    crioimg_candidates c;
    crioimg_result res = crioimg_registries_resolve(r, name, strlen(name), &c);
    size_t i, len = 0;
    buf[0] = '\0';
    if (res != CRIOIMG_OK) { snprintf(buf, cap, "error: %s", crioimg_registries_error(r)); crioimg_candidates_free(&c); return buf; }
    for (i = 0; i < c.n; i++) len += (size_t)snprintf(buf + len, cap - len, "%s%s", i ? "\n" : "", c.items[i].name);
    crioimg_candidates_free(&c);
    return buf;
}

static crioimg_result fake_expand(void *user, const char *prefix, size_t n, char id[65])
{
    static const char full[] = "6ad733544a6317992a6fac4eb19fe1df577d4dec7529efec28a5bd0edad0fd30";
    (void)user;
    if (n <= 64 && memcmp(full, prefix, n) == 0) { memcpy(id, full, 65); return CRIOIMG_OK; }
    return CRIOIMG_ERR_NOT_FOUND;
}

static void test_resolve_names(void)
{
    /* cri-o pkg/storage/image_test.go TestResolveNames, with registries testregistry.com,
       registry.access.redhat.com, docker.io */
    static const char *const regs[] = { "testregistry.com", "registry.access.redhat.com", "docker.io", "docker.io", NULL };
    static const struct { const char *in, *want; } cases[] = {
        { "openshift3/ose-deployer:sometag",
          "testregistry.com/openshift3/ose-deployer:sometag\nregistry.access.redhat.com/openshift3/ose-deployer:sometag\n"
          "docker.io/openshift3/ose-deployer:sometag" },
        { "openshift3/ose-deployer@sha256:dc5f67a48da730d67bf4bfb8824ea8a51be26711de090d6d5a1ffff2723168a3",
          "testregistry.com/openshift3/ose-deployer@sha256:dc5f67a48da730d67bf4bfb8824ea8a51be26711de090d6d5a1ffff2723168a3\n"
          "registry.access.redhat.com/openshift3/ose-deployer@sha256:dc5f67a48da730d67bf4bfb8824ea8a51be26711de090d6d5a1ffff2723168a3\n"
          "docker.io/openshift3/ose-deployer@sha256:dc5f67a48da730d67bf4bfb8824ea8a51be26711de090d6d5a1ffff2723168a3" },
        { "nginx:latest", "testregistry.com/nginx:latest\nregistry.access.redhat.com/nginx:latest\ndocker.io/library/nginx:latest" },
        { "mypersonalregistry.com/nginx:latest", "mypersonalregistry.com/nginx:latest" },
        /* no tag is added; localhost and host:port are domains */
        { "busybox", "testregistry.com/busybox\nregistry.access.redhat.com/busybox\ndocker.io/library/busybox" },
        { "localhost/x", "localhost/x" },
        { "reg:5000/x", "reg:5000/x" },
        { "6ad733544a6317992a6fac4eb19fe1df577d4dec7529efec28a5bd0edad0fd30", "error: cannot parse an image ID" },
        { "Nginx", "error: invalid reference format: repository name must be lowercase" },
        { "", "error: invalid reference format" },
    };
    static const struct { const char *in, *want; } none[] = {
        { "openshift3/ose-deployer:latest", "error: no registries configured while trying to pull an unqualified image" },
        { "6ad733544a6317992a6fac4eb19fe1df577d4dec7529efec28a5bd0edad0fd30", "error: cannot parse an image ID" },
        { "quay.io/a/b", "quay.io/a/b" },
    };
    fake_dns d;
    char buf[2048];
    size_t i;
    crioimg_registries *r;
    crioimg_candidates c;
    memset(&d, 0, sizeof d);
    r = new_reg(&d, regs, NULL);
    if (!r) return;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tests_context = cases[i].in;
        CHECK_STR(resolve_str(r, cases[i].in, buf, sizeof buf), cases[i].want);
    }
    /* each candidate says which rule made it */
    CHECK(crioimg_registries_resolve(r, "nginx", 5, &c) == CRIOIMG_OK && c.n == 3 && c.items[0].rule == CRIOIMG_CANDIDATE_SEARCH &&
          strcmp(c.items[2].origin, "docker.io") == 0);
    crioimg_candidates_free(&c);
    CHECK(crioimg_registries_resolve(r, "a.b/c", 5, &c) == CRIOIMG_OK && c.n == 1 && c.items[0].rule == CRIOIMG_CANDIDATE_QUALIFIED);
    crioimg_candidates_free(&c);
    CHECK(d.calls == 0);  /* resolution never looks anything up */
    crioimg_registries_free(r);
    r = new_reg(&d, NULL, NULL);
    for (i = 0; r && i < sizeof none / sizeof none[0]; i++) {
        tests_context = none[i].in;
        CHECK_STR(resolve_str(r, none[i].in, buf, sizeof buf), none[i].want);
    }
    CHECK(crioimg_registries_resolve(r, "x", 1, &c) == CRIOIMG_ERR_REGISTRY_NO_SEARCH);
    CHECK(crioimg_registries_resolve(r, "6ad733544a6317992a6fac4eb19fe1df577d4dec7529efec28a5bd0edad0fd30", 64, &c) == CRIOIMG_ERR_REGISTRY_IMAGE_ID);
    crioimg_registries_free(r);
    /* a truncated ID that the attached store knows expands to the full ID */
    {
        crioimg_registries_opts o;
        crioimg_image_ids ids = { CRIOIMG_IMAGE_IDS_VERSION, NULL, fake_expand };
        memset(&o, 0, sizeof o);
        o.image_ids = &ids;
        o.no_resolver = 1;
        CHECK(crioimg_registries_new(&r, &o) == CRIOIMG_OK);
        tests_context = "id prefix";
        CHECK_STR(resolve_str(r, "6ad733", buf, sizeof buf), "6ad733544a6317992a6fac4eb19fe1df577d4dec7529efec28a5bd0edad0fd30");
        CHECK_STR(resolve_str(r, "6a", buf, sizeof buf), "error: no registries configured while trying to pull an unqualified image");
        CHECK_STR(resolve_str(r, "abcdef", buf, sizeof buf), "error: no registries configured while trying to pull an unqualified image");
        crioimg_registries_free(r);
        ids.version = 2;  /* a vtable newer than this header is refused */
        CHECK(crioimg_registries_new(&r, &o) == CRIOIMG_ERR_INVALID_ARGS && r == NULL);
    }
    /* search entries must be registry hosts */
    r = new_reg(&d, NULL, NULL);
    CHECK(crioimg_registries_add_search(r, "a/b", 3) == CRIOIMG_ERR_REGISTRY_INVALID);
    CHECK(crioimg_registries_add_search(r, "", 0) == CRIOIMG_ERR_REGISTRY_INVALID);
    CHECK(crioimg_registries_add_search(r, "[::1]:5000", 10) == CRIOIMG_OK);
    tests_context = "ipv6 search";
    CHECK_STR(resolve_str(r, "x:1", buf, sizeof buf), "[::1]:5000/x:1");
    crioimg_registries_free(r);
}

static void test_ip_cidr(void)
{
    static const struct { const char *in; int ok; const char *fmt; } ips[] = {
        { "1.2.3.4", 1, "1.2.3.4" }, { "255.255.255.255", 1, "255.255.255.255" }, { "0.0.0.0", 1, "0.0.0.0" },
        { "256.1.1.1", 0, "" }, { "01.2.3.4", 0, "" }, { "1.2.3", 0, "" }, { "1.2.3.4.5", 0, "" }, { "1..2.3", 0, "" },
        { "::1", 1, "::1" }, { "::", 1, "::" }, { "2001:db8::1", 1, "2001:db8::1" }, { "fe80::1:2", 1, "fe80::1:2" },
        { "1:2:3:4:5:6:7:8", 1, "1:2:3:4:5:6:7:8" }, { "1:2:3:4:5:6:7::", 1, "1:2:3:4:5:6:7:0" },
        { "::ffff:10.0.0.1", 1, "10.0.0.1" }, { "::1.2.3.4", 1, "::102:304" }, { "1:2:3:4:5:6:1.2.3.4", 1, "1:2:3:4:5:6:102:304" },
        { "1:2:3:4:5:6:7:8:9", 0, "" }, { "1::2::3", 0, "" }, { ":1", 0, "" }, { "1:", 0, "" }, { "12345::", 0, "" },
        { "1:2:3:4:5:6:7:8::", 0, "" }, { "fe80::1%eth0", 0, "" }, { "", 0, "" }, { "g::", 0, "" }, { "1.2.3.4:80", 0, "" },
    };
    static const struct { const char *in; crioimg_result want; const char *first, *last; int v4; } cidrs[] = {
        { "10.0.0.0/8", CRIOIMG_OK, "10.0.0.0", "10.255.255.255", 1 },
        { "10.1.2.3/8", CRIOIMG_OK, "10.0.0.0", "10.255.255.255", 1 },  /* host bits are dropped, as Go does */
        { "0.0.0.0/0", CRIOIMG_OK, "0.0.0.0", "255.255.255.255", 1 },
        { "1.2.3.4/32", CRIOIMG_OK, "1.2.3.4", "1.2.3.4", 1 },
        { "192.168.0.0/23", CRIOIMG_OK, "192.168.0.0", "192.168.1.255", 1 },
        { "fd00::/8", CRIOIMG_OK, "fd00::", "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 0 },
        { "::/0", CRIOIMG_OK, "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 0 },
        { "2001:db8::/127", CRIOIMG_OK, "2001:db8::", "2001:db8::1", 0 },
        { "10.1.2.3/08", CRIOIMG_OK, "10.0.0.0", "10.255.255.255", 1 },   /* Go: leading zeros in the length are fine */
        { "::ffff:10.0.0.0/104", CRIOIMG_OK, "10.0.0.0", "10.255.255.255", 1 },  /* Go: an IPv4 network */
        { "1:2:3:4:5:6:1.2.3.4/128", CRIOIMG_OK, "1:2:3:4:5:6:102:304", "1:2:3:4:5:6:102:304", 0 },
        { "01.0.0.0/8", CRIOIMG_ERR_REGISTRY_CIDR, "", "", 0 }, { "12345::/16", CRIOIMG_ERR_REGISTRY_CIDR, "", "", 0 },
        { "10.0.0.0/+8", CRIOIMG_ERR_REGISTRY_CIDR, "", "", 0 }, { "0x1.0.0.0/8", CRIOIMG_ERR_REGISTRY_CIDR, "", "", 0 },
        { "1.2.3.4/ 8", CRIOIMG_ERR_REGISTRY_CIDR, "", "", 0 }, { "fe80::1%eth0/64", CRIOIMG_ERR_REGISTRY_CIDR, "", "", 0 },
        { "10.0.0.0/33", CRIOIMG_ERR_REGISTRY_CIDR, "", "", 0 },
        { "::/129", CRIOIMG_ERR_REGISTRY_CIDR, "", "", 0 },
        { "10.0.0/8", CRIOIMG_ERR_REGISTRY_CIDR, "", "", 0 },
        { "10.0.0.0/", CRIOIMG_ERR_REGISTRY_CIDR, "", "", 0 },
        { "10.0.0.0/-1", CRIOIMG_ERR_REGISTRY_CIDR, "", "", 0 },
        { "10.0.0.0/8/8", CRIOIMG_ERR_REGISTRY_CIDR, "", "", 0 },
        { "10.0.0.0/99999999999999999999", CRIOIMG_ERR_REGISTRY_CIDR, "", "", 0 },
        { "10.0.0.0", CRIOIMG_ERR_REGISTRY_CIDR, "", "", 0 },
        { "host/8", CRIOIMG_ERR_REGISTRY_CIDR, "", "", 0 },
    };
    size_t i;
    for (i = 0; i < sizeof ips / sizeof ips[0]; i++) {
        unsigned char a[16];
        char f[64];
        int ok = crioimg_ip_parse(ips[i].in, strlen(ips[i].in), a);
        tests_context = ips[i].in;
        CHECK(ok == ips[i].ok);
        if (ok) { crioimg__ip_format(a, f, sizeof f); CHECK_STR(f, ips[i].fmt); }
    }
    for (i = 0; i < sizeof cidrs / sizeof cidrs[0]; i++) {
        unsigned char f[16], l[16];
        char fs[64], ls[64];
        int v4 = -1;
        crioimg_result res = crioimg_cidr_parse(cidrs[i].in, strlen(cidrs[i].in), f, l, &v4);
        tests_context = cidrs[i].in;
        CHECK(res == cidrs[i].want);
        if (res != CRIOIMG_OK) continue;
        crioimg__ip_format(f, fs, sizeof fs);
        crioimg__ip_format(l, ls, sizeof ls);
        CHECK_STR(fs, cidrs[i].first);
        CHECK_STR(ls, cidrs[i].last);
        CHECK(v4 == cidrs[i].v4);
    }
}

static void test_insecure(void)
{
    static const char *const insecure[] = { "10.0.0.0/8", "10.0.0.0/16", "192.168.0.0/24", "192.168.1.0/24", "fd00::/16", "::ffff:172.16.0.0/108",
                                            "myreg.example:5000", "plain.example", NULL };
    static const struct { const char *host; int insecure; const char *rule, *detail; unsigned calls; } cases[] = {
        { "myreg.example:5000", 1, "host", "myreg.example:5000", 0 },     /* an exact entry: no look-up */
        { "plain.example", 1, "host", "plain.example", 0 },
        { "127.0.0.1", 1, "loopback", "127.0.0.1", 0 },
        { "127.200.0.1:5000", 1, "loopback", "127.200.0.1", 0 },
        { "[::1]:5000", 1, "loopback", "::1", 0 },
        { "10.20.30.40", 1, "cidr", "10.20.30.40", 0 },
        { "192.168.1.7:443", 1, "cidr", "192.168.1.7", 0 },   /* merged ranges still answer */
        { "192.168.2.1", 0, "no-match", "192.168.2.1", 0 },
        { "[fd00::5]:5000", 1, "cidr", "fd00::5", 0 },
        { "[fd01::5]", 0, "no-match", "fd01::5", 0 },
        { "[::ffff:a00:1]", 1, "cidr", "10.0.0.1", 0 },
        { "172.16.9.9", 1, "cidr", "172.16.9.9", 0 },         /* ::ffff:172.16.0.0/108 is 172.16.0.0/12, as Go reads it */
        { "172.32.0.1", 0, "no-match", "172.32.0.1", 0 },       /* IPv4-mapped matches an IPv4 CIDR */
        { "intranet.example", 1, "cidr-resolved", "10.1.2.3", 1 },
        { "intranet.example:5000", 1, "cidr-resolved", "10.1.2.3", 1 },  /* cached: one look-up per name */
        { "public.example", 0, "no-match", "", 2 },
        { "six.example", 1, "cidr-resolved", "fd00::42", 3 },
        { "mapped.example", 1, "cidr-resolved", "10.9.9.9", 4 },
        { "local.example", 1, "cidr-resolved", "127.0.0.1", 5 },
        { "nxdomain.example", 0, "lookup-failed", "", 6 },    /* a failed look-up: secure, as the seed */
        { "hang.example", 0, "lookup-failed", "", 7 },        /* a resolver that timed out */
        { "hang.example", 0, "lookup-failed", "", 7 },        /* ... is not asked again */
        { "myreg.example", 0, "lookup-failed", "", 8 },       /* the entry was for :5000 only */
        { "myreg.example:5000", 1, "host", "myreg.example:5000", 8 },
    };
    static const char *const bad_hosts[] = { "[::ffff:10.0.0.1]" /* dots: not in the reference grammar */, "", "a/b", "http://x", "[::1", "::1", "x:", "x:port", "-x.example", "a b" };
    fake_dns d;
    crioimg_registries *r;
    crioimg_insecure_decision dec;
    size_t i;
    memset(&d, 0, sizeof d);
    r = new_reg(&d, NULL, insecure);
    if (!r) return;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tests_context = cases[i].host;
        CHECK(crioimg_registries_check_host(r, cases[i].host, strlen(cases[i].host), &dec) == CRIOIMG_OK);
        CHECK(dec.insecure == cases[i].insecure);
        CHECK_STR(crioimg_insecure_rule_name(dec.rule), cases[i].rule);
        CHECK_STR(dec.detail, cases[i].detail);
        CHECK(d.calls == cases[i].calls);
    }
    for (i = 0; i < sizeof bad_hosts / sizeof bad_hosts[0]; i++) {
        tests_context = bad_hosts[i];
        CHECK(crioimg_registries_check_host(r, bad_hosts[i], strlen(bad_hosts[i]), &dec) == CRIOIMG_ERR_REGISTRY_INVALID);
    }
    tests_context = "bad entries";
    CHECK(crioimg_registries_add_insecure(r, "10.0.0.0/33", 11) == CRIOIMG_ERR_REGISTRY_CIDR);
    CHECK_STR(crioimg_registries_error(r), "invalid CIDR address: 10.0.0.0/33");
    CHECK(crioimg_registries_add_insecure(r, "host/8", 6) == CRIOIMG_ERR_REGISTRY_CIDR);
    CHECK(crioimg_registries_add_insecure(r, "a b", 3) == CRIOIMG_ERR_REGISTRY_INVALID);
    CHECK(crioimg_registries_add_insecure(r, "", 0) == CRIOIMG_ERR_REGISTRY_INVALID);
    crioimg_registries_free(r);

    /* no resolver: names are secure unless an entry says otherwise, literals still decided */
    {
        crioimg_registries_opts o;
        memset(&o, 0, sizeof o);
        o.no_resolver = 1;
        CHECK(crioimg_registries_new(&r, &o) == CRIOIMG_OK);
        CHECK(crioimg_registries_check_host(r, "intranet.example", 16, &dec) == CRIOIMG_OK && !dec.insecure &&
              dec.rule == CRIOIMG_INSECURE_RULE_LOOKUP_FAILED);
        CHECK(crioimg_registries_check_host(r, "127.0.0.1", 9, &dec) == CRIOIMG_OK && dec.insecure);
        crioimg_registries_free(r);
        o.alloc.alloc = NULL;
        o.alloc.free = t_free_cb;  /* half an allocator is refused */
        CHECK(crioimg_registries_new(&r, &o) == CRIOIMG_ERR_INVALID_ARGS);
    }

    /* many CIDRs, checked against a linear scan of the same set */
    {
        unsigned long long seed = 12345;   /* 64-bit LCG state, also where long has 32 bits */
        crioimg_registries *big;
        static unsigned long lo[2000], hi[2000];
        size_t k, mism = 0;
        memset(&d, 0, sizeof d);
        big = new_reg(&d, NULL, NULL);
        for (k = 0; big && k < 2000; k++) {
            char s[40];
            unsigned long a, p;
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            a = (unsigned long)((seed >> 32) & 0xffffffffUL);
            p = 8 + (unsigned long)((seed >> 20) % 25);
            snprintf(s, sizeof s, "%lu.%lu.%lu.%lu/%lu", (a >> 24) & 255, (a >> 16) & 255, (a >> 8) & 255, a & 255, p);
            CHECK(crioimg_registries_add_insecure(big, s, strlen(s)) == CRIOIMG_OK);
            lo[k] = a & (0xffffffffUL << (32 - p)) & 0xffffffffUL;
            hi[k] = lo[k] | (p == 32 ? 0 : 0xffffffffUL >> p);   /* no shift by 32: long may have 32 bits */
        }
        for (k = 0; big && k < 20000; k++) {
            unsigned char ip[16];
            unsigned long a;
            size_t j;
            int want = 0, got;
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            a = (unsigned long)((seed >> 32) & 0xffffffffUL);
            if (k % 3 == 0) a = lo[k % 2000] + (a % (hi[k % 2000] - lo[k % 2000] + 2));  /* near the edges */
            a &= 0xffffffffUL;
            for (j = 0; j < 2000; j++) if (a >= lo[j] && a <= hi[j]) want = 1;
            if ((a >> 24) == 127) want = 1;
            memcpy(ip, crioimg__v4mapped, 12);
            ip[12] = (unsigned char)(a >> 24); ip[13] = (unsigned char)(a >> 16); ip[14] = (unsigned char)(a >> 8); ip[15] = (unsigned char)a;
            got = crioimg__reg_in_cidrs(big, ip);
            if (got != want) mism++;
        }
        tests_context = "2000 random CIDRs vs a linear scan";
        CHECK(mism == 0);
        crioimg_registries_free(big);
    }
}

static void test_registries(void)
{
    test_resolve_names();
    test_ip_cidr();
    test_insecure();
    tests_context = "";
}
