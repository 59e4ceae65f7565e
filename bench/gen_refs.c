/* gen_refs: writes N realistic container image references, one per line, to stdout.

     gen_refs N [SEED]        (SEED defaults to 1; the same N and SEED always give the same bytes)

   The mix: Docker Hub short names (nginx, library/redis:7.2, user/app:v1.2.3), registries with and
   without ports (registry.example.com:5000/team/app:tag, quay.io/org/app), deep paths, digests
   (name@sha256:<64 hex>, sometimes sha512), tag plus digest, localhost/x, IPv4 hosts (10.0.0.1:5000/x),
   and about 5% invalid references (uppercase, bad characters, an empty line, bad digests, 64-hex names,
   names over 255 characters). Every line is distinct (a repeat is drawn again), so a benchmark over
   the file sees N different references. C99, no dependencies. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned long long rng_state;

/* splitmix64: tiny, portable, and the same on every platform. */
static unsigned long long rnd(void) {
    unsigned long long z = (rng_state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}
static unsigned below(unsigned n) { return (unsigned)(rnd() % n); }
#define PICK(arr) (arr[below((unsigned)(sizeof(arr) / sizeof(arr[0])))])

static const char *const images[] = {
    "nginx", "redis", "postgres", "alpine", "ubuntu", "debian", "busybox", "node", "python", "golang",
    "mysql", "mariadb", "mongo", "httpd", "traefik", "memcached", "rabbitmq", "elasticsearch", "grafana",
    "prometheus", "centos", "fedora", "registry", "vault", "consul", "haproxy", "openjdk", "php", "ruby",
    "rust", "wordpress", "nextcloud", "influxdb", "telegraf", "kibana", "logstash", "zookeeper", "kafka",
    "etcd", "coredns", "pause", "kube-proxy", "kube-apiserver", "cert-manager-controller", "envoy",
    "istio_proxy", "sidecar.injector", "my-app", "web__frontend", "api-gateway", "worker", "cron-runner"
};
static const char *const users[] = {
    "bitnami", "grafana", "prom", "jetstack", "library", "linuxserver", "hashicorp", "rancher", "portainer",
    "calico", "cilium", "fluent", "jaegertracing", "minio", "openzipkin", "amazon", "circleci", "gitlab",
    "sonatype", "confluentinc", "wurstmeister", "team-a", "acme", "dev_ops", "ml.platform"
};
static const char *const registries[] = {
    "quay.io", "gcr.io", "ghcr.io", "registry.k8s.io", "k8s.gcr.io", "public.ecr.aws", "mcr.microsoft.com",
    "registry.gitlab.com", "docker.io", "index.docker.io", "registry.access.redhat.com", "nvcr.io",
    "registry.example.com", "harbor.corp.internal", "artifactory.example.org", "europe-west1-docker.pkg.dev",
    "123456789012.dkr.ecr.us-east-1.amazonaws.com", "myregistry.azurecr.io", "registry-1.docker.io"
};
static const char *const ports[] = { "5000", "443", "8080", "5001", "30500", "8443" };
static const char *const tags[] = {
    "latest", "stable", "alpine", "slim", "bookworm", "bullseye", "jammy", "edge", "nightly", "main",
    "LTS", "debug", "rootless", "fpm-alpine", "management", "distroless", "nonroot"
};
static const char *const words[] = {
    "team", "platform", "infra", "services", "backend", "frontend", "tools", "ci", "base", "images",
    "prod", "staging", "ml", "data", "core", "edge", "mirror", "cache", "apps", "internal"
};
static const char *const invalid_fixed[] = {
    "", "Nginx", "library/Redis:7", "UPPER/case", "nginx:", "nginx@", ":tag", "/nginx", "nginx/",
    "a//b", "foo bar", "foo!bar", "foo@sha256:abc", "foo@sha256:ZZZZ", "foo@md5:0123456789abcdef",
    "-leading/dash", "trailing-/x", "x:tag with space", "a..b/c", "host:port/x", "http://nginx",
    "nginx:@sha256:", "tag::double", "__under/x", "x@@sha256:00", "café", "nginx\r", "nginx:v1 ",
    "registry.example.com:5000/Team/app", "localhost:/x", "a/b:c/d"
};

static char *put(char *p, const char *s) { size_t n = strlen(s); memcpy(p, s, n); return p + n; }
static char *putf(char *p, const char *fmt, unsigned a, unsigned b, unsigned c) {
    return p + sprintf(p, fmt, a, b, c);
}
static char *hex(char *p, unsigned n) {
    static const char digits[] = "0123456789abcdef";
    while (n--) *p++ = digits[rnd() & 15];
    return p;
}
/* A name component: a known word, sometimes with a random numeric or alphabetic suffix. */
static char *component(char *p, const char *const *list, unsigned count) {
    p = put(p, list[below(count)]);
    switch (below(4)) {
    case 0: p = putf(p, "%u", below(1000), 0, 0); break;
    case 1: p = putf(p, "-%u", below(100000), 0, 0); break;
    case 2: *p++ = "._-"[below(3)]; *p++ = (char)('a' + below(26)); *p++ = (char)('a' + below(26)); break;
    default: break;
    }
    return p;
}
static char *tag(char *p) {
    *p++ = ':';
    switch (below(5)) {
    case 0: return putf(p, "%u.%u", below(30), below(20), 0);
    case 1: return putf(p, "v%u.%u.%u", below(5), below(40), below(200));
    case 2: p = put(p, PICK(tags)); return putf(p, "-%u.%u", below(20), below(10), 0);
    case 3: return putf(p, "%u.%u.%u-alpine", below(25), below(10), below(30));
    default: return put(hex(put(p, "sha-"), 7), "");
    }
}
static char *digest(char *p) {
    if (below(20) == 0) return hex(put(p, "@sha512:"), 128);
    return hex(put(p, "@sha256:"), 64);
}
/* tag, digest, both or neither */
static char *suffix(char *p) {
    unsigned k = below(100);
    if (k < 25) return p;
    if (k < 80) return tag(p);
    if (k < 92) return digest(p);
    return digest(tag(p));
}

static char *valid(char *p) {
    unsigned k = below(100), i, depth;
    if (k < 18) {                         /* nginx, nginx:1.25 */
        p = put(p, PICK(images));
    } else if (k < 26) {                  /* library/redis:7.2 */
        p = put(put(p, "library/"), PICK(images));
    } else if (k < 44) {                  /* user/app */
        p = component(p, users, sizeof(users) / sizeof(users[0]));
        *p++ = '/';
        p = component(p, images, sizeof(images) / sizeof(images[0]));
    } else if (k < 62) {                  /* quay.io/org/app */
        p = put(p, PICK(registries));
        *p++ = '/';
        p = component(p, users, sizeof(users) / sizeof(users[0]));
        *p++ = '/';
        p = component(p, images, sizeof(images) / sizeof(images[0]));
    } else if (k < 74) {                  /* registry.example.com:5000/team/app */
        p = put(p, PICK(registries));
        *p++ = ':';
        p = put(p, PICK(ports));
        *p++ = '/';
        p = component(p, words, sizeof(words) / sizeof(words[0]));
        *p++ = '/';
        p = component(p, images, sizeof(images) / sizeof(images[0]));
    } else if (k < 82) {                  /* deep paths */
        p = put(p, PICK(registries));
        depth = 2 + below(6);
        for (i = 0; i < depth; i++) {
            *p++ = '/';
            p = component(p, words, sizeof(words) / sizeof(words[0]));
        }
        *p++ = '/';
        p = put(p, PICK(images));
    } else if (k < 88) {                  /* localhost/x, localhost:5000/x */
        p = put(p, below(2) ? "localhost/" : "localhost:5000/");
        p = component(p, images, sizeof(images) / sizeof(images[0]));
    } else if (k < 94) {                  /* 10.0.0.1:5000/x */
        p = putf(p, "%u.%u.%u", 10 + below(200), below(256), below(256));
        p = putf(p, ".%u:%u/", 1 + below(254), below(2) ? 5000 : 1024 + below(60000), 0);
        p = component(p, images, sizeof(images) / sizeof(images[0]));
    } else {                              /* single-component host-less names with separators */
        p = component(p, words, sizeof(words) / sizeof(words[0]));
        p = put(p, below(2) ? "__" : "-");
        p = component(p, images, sizeof(images) / sizeof(images[0]));
    }
    return suffix(p);
}

static char *invalid(char *p) {
    unsigned i;
    switch (below(8)) {
    case 0: case 1: return put(p, PICK(invalid_fixed));
    case 2: {                             /* uppercase somewhere in the name */
        char *start = p, *q;
        p = valid(p);
        for (q = start; q < p && *q != ':' && *q != '@'; q++)
            if (*q >= 'a' && *q <= 'z' && below(3) == 0) { *q = (char)(*q - 'a' + 'A'); break; }
        if (q == p || *q == ':' || *q == '@') *start = 'X';
        return p;
    }
    case 3: {                             /* a bad character inserted */
        char *start = p;
        size_t len, at;
        p = valid(p);
        len = (size_t)(p - start);
        at = below((unsigned)len + 1);
        memmove(start + at + 1, start + at, len - at);
        start[at] = "!$%&*+ ,;<>?\\|~\"'^`{}"[below(21)];
        return p + 1;
    }
    case 4: return hex(p, 64);            /* a 64-hex repository name */
    case 5:                               /* digest of the wrong length */
        p = put(p, PICK(images));
        return hex(put(p, "@sha256:"), 1 + below(63));
    case 6:                               /* name over 255 characters */
        p = put(p, "registry.example.com");
        for (i = 0; i < 30; i++) { *p++ = '/'; p = put(p, PICK(words)); p = putf(p, "%u", below(100), 0, 0); }
        return p;
    default:                              /* tag too long or malformed */
        p = put(put(p, PICK(images)), ":");
        if (below(2)) { for (i = 0; i < 129; i++) *p++ = (char)('a' + below(26)); return p; }
        return put(p, below(2) ? ".hidden" : "-dash");
    }
}

/* The lines written so far, as 64-bit FNV-1a hashes in an open-addressing set (0 marks a free slot). */
static unsigned long long *seen;
static size_t seen_mask;

static int first_time(const char *s, size_t n) {
    unsigned long long h = 0xcbf29ce484222325ULL;
    size_t i;
    for (i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 0x100000001b3ULL;
    if (h == 0) h = 1;
    for (i = (size_t)h & seen_mask; seen[i] != 0; i = (i + 1) & seen_mask)
        if (seen[i] == h) return 0;
    seen[i] = h;
    return 1;
}

int main(int argc, char **argv) {
    static char line[8192];
    unsigned long n, i;
    size_t slots = 1024;
    char *end;
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: gen_refs N [SEED] > file\n");
        return 2;
    }
    n = strtoul(argv[1], &end, 10);
    if (*argv[1] == '\0' || *end != '\0') { fprintf(stderr, "gen_refs: bad N\n"); return 2; }
    rng_state = argc == 3 ? strtoull(argv[2], NULL, 10) : 1;
    while (slots < 2 * n) slots *= 2;
    seen = calloc(slots, sizeof *seen);
    if (!seen) { perror("gen_refs"); return 1; }
    seen_mask = slots - 1;
    for (i = 0; i < n; i++) {
        char *p;
        int tries = 0;
        do p = below(100) < 6 ? invalid(line) : valid(line);
        while (!first_time(line, (size_t)(p - line)) && ++tries < 1000);
        *p++ = '\n';
        if (fwrite(line, 1, (size_t)(p - line), stdout) != (size_t)(p - line)) { perror("gen_refs"); return 1; }
    }
    if (fflush(stdout) != 0) { perror("gen_refs"); return 1; }
    free(seen);
    return 0;
}
