/* ---------------------------------------------------------------------------------------------------
   service implementation
   --------------------------------------------------------------------------------------------------- */
#include "internal.h"

struct crioimg_service {
    crioimg_allocator alloc;
    crioimg_store *store;          /* borrowed */
    crioimg_registries *reg;
    crioimg_image_ids ids;         /* the registries' way into the store's IDs */
    char transport[64];
    crioimg_http *http;            /* opened on the first pull that brings none, kept for reuse */
    char err[2048];
};

/* The seed's truncated-ID expansion: only an image ID may match (never a name that looks like hex). */
static crioimg_result crioimg__svc_expand(void *user, const char *prefix, size_t n, char id[65])
{
    crioimg_service *svc = (crioimg_service *)user;
    crioimg_image_list l;
    char p[65];
    crioimg_result r;
    if (n < 3 || n > 64 || svc->store == NULL) return CRIOIMG_ERR_NOT_FOUND;
    memcpy(p, prefix, n);
    p[n] = '\0';
    if (!crioimg_id_is_prefix(p, n, 3)) return CRIOIMG_ERR_NOT_FOUND;
    r = crioimg_store_image_status(svc->store, p, &l);
    if (r == CRIOIMG_OK && l.n == 1 && strncmp(l.images[0].id, p, n) == 0) memcpy(id, l.images[0].id, 65);
    else r = CRIOIMG_ERR_NOT_FOUND;  /* none, several, or a name: not an ID prefix */
    crioimg_image_list_free(&l);
    return r;
}

/* err = a b (b may be NULL). */
static void crioimg__svc_say(char *err, size_t errcap, const char *a, const char *b)
{
    crioimg__out o;
    o.p = err; o.cap = errcap; o.len = 0;
    crioimg__out_str(&o, a);
    if (b) crioimg__out_str(&o, b);
}

static crioimg_result crioimg__svc_fail(crioimg_service *svc, crioimg_result r, const char *what)
{
    crioimg__svc_say(svc->err, sizeof svc->err, what && *what ? what : crioimg_result_str(r), NULL);
    return r;
}

crioimg_result crioimg_service_new(crioimg_service **out, crioimg_store *store, const crioimg_service_opts *opts,
                                   char *err, size_t errcap)
{
    crioimg_service_opts none;
    crioimg_registries_opts ro;
    crioimg_service *svc;
    crioimg_result r;
    size_t i;
    if (err && errcap) err[0] = '\0';
    if (out == NULL) { crioimg__svc_say(err, err ? errcap : 0, "invalid arguments: no place for the service", NULL); return CRIOIMG_ERR_INVALID_ARGS; }
    *out = NULL;
    if (opts == NULL) { memset(&none, 0, sizeof none); opts = &none; }
    if (crioimg_allocator_check(&opts->alloc) != CRIOIMG_OK ||
        (opts->ninsecure && opts->insecure_registries == NULL) || (opts->nregistries && opts->registries == NULL) ||
        (opts->default_transport && strlen(opts->default_transport) >= 64)) {
        crioimg__svc_say(err, err ? errcap : 0, "invalid service options: ", opts->default_transport && strlen(opts->default_transport) >= 64
                         ? "default_transport of 64 bytes or more" : "an allocator with only some methods, or a count without its list");
        return CRIOIMG_ERR_INVALID_ARGS;
    }
    if ((svc = (crioimg_service *)crioimg_malloc(&opts->alloc, sizeof *svc)) == NULL) {
        crioimg__svc_say(err, err ? errcap : 0, crioimg_result_str(CRIOIMG_ERR_NOMEM), NULL);
        return CRIOIMG_ERR_NOMEM;
    }
    memset(svc, 0, sizeof *svc);
    svc->alloc = opts->alloc;
    svc->store = store;
    strcpy(svc->transport, opts->default_transport ? opts->default_transport : "docker://");
    svc->ids.version = CRIOIMG_IMAGE_IDS_VERSION;
    svc->ids.user = svc;
    svc->ids.expand = crioimg__svc_expand;
    memset(&ro, 0, sizeof ro);
    ro.alloc = opts->alloc;
    ro.resolver = opts->resolver;
    ro.no_resolver = opts->no_resolver;
    ro.image_ids = &svc->ids;
    if ((r = crioimg_registries_new(&svc->reg, &ro)) != CRIOIMG_OK) {
        crioimg__svc_say(err, err ? errcap : 0, "registries: ", crioimg_result_str(r));
        crioimg_free(&opts->alloc, svc);
        return r;
    }
    for (i = 0; i < opts->ninsecure && r == CRIOIMG_OK; i++)
        r = crioimg_registries_add_insecure(svc->reg, opts->insecure_registries[i], strlen(opts->insecure_registries[i]));
    for (i = 0; i < opts->nregistries && r == CRIOIMG_OK; i++)
        r = crioimg_registries_add_search(svc->reg, opts->registries[i], strlen(opts->registries[i]));
    if (r == CRIOIMG_OK && opts->registries_conf) r = crioimg_registries_load_conf(svc->reg, opts->registries_conf);
    if (r != CRIOIMG_OK) {
        crioimg__svc_say(err, err ? errcap : 0, crioimg_registries_error(svc->reg)[0] ? crioimg_registries_error(svc->reg) : crioimg_result_str(r), NULL);
        crioimg_service_free(svc);
        return r;
    }
    *out = svc;
    return CRIOIMG_OK;
}

void crioimg_service_free(crioimg_service *svc)
{
    crioimg_allocator a;
    if (svc == NULL) return;
    a = svc->alloc;
    crioimg_registries_free(svc->reg);
    crioimg_http_close(svc->http);
    crioimg_free(&a, svc);
}

const char *crioimg_service_error(const crioimg_service *svc) { return svc ? svc->err : ""; }
crioimg_store *crioimg_service_store(crioimg_service *svc) { return svc ? svc->store : NULL; }
crioimg_registries *crioimg_service_registries(crioimg_service *svc) { return svc ? svc->reg : NULL; }
const char *crioimg_service_default_transport(const crioimg_service *svc) { return svc ? svc->transport : ""; }

/* A store operation's result, with the store's message kept on the service */
static crioimg_result crioimg__svc_store(crioimg_service *svc, crioimg_result r)
{
    svc->err[0] = '\0';   /* the store functions refuse a NULL store: say why */
    if (svc->store == NULL) return crioimg__svc_fail(svc, CRIOIMG_ERR_INVALID_ARGS, "the image service has no store");
    return r == CRIOIMG_OK ? r : crioimg__svc_fail(svc, r, crioimg_store_error(svc->store));
}

crioimg_result crioimg_service_list_images(crioimg_service *svc, const char *filter, crioimg_image_list *out)
{
    if (svc == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    return crioimg__svc_store(svc, crioimg_store_list(svc->store, filter, out));
}

crioimg_result crioimg_service_image_status(crioimg_service *svc, const char *name, crioimg_image_list *out)
{
    if (svc == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    return crioimg__svc_store(svc, crioimg_store_image_status(svc->store, name, out));
}

crioimg_result crioimg_service_untag_image(crioimg_service *svc, const char *name)
{
    if (svc == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    return crioimg__svc_store(svc, crioimg_store_untag(svc->store, name));
}

crioimg_result crioimg_service_remove_image(crioimg_service *svc, const char *name)
{
    if (svc == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    return crioimg__svc_store(svc, crioimg_store_remove(svc->store, name));
}

crioimg_result crioimg_service_resolve_names(crioimg_service *svc, const char *name, size_t n, crioimg_candidates *out)
{
    crioimg_result r;
    if (svc == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    svc->err[0] = '\0';
    r = crioimg_registries_resolve(svc->reg, name, n, out);
    return r == CRIOIMG_OK ? r : crioimg__svc_fail(svc, r, crioimg_registries_error(svc->reg));
}

/* ---- where an image comes from ---- */

/* Adds "what: detail" to the service's message, "; " between sources, truncated at its end. */
static void crioimg__svc_note(crioimg_service *svc, const char *what, const char *detail)
{
    crioimg__out o;
    o.p = svc->err; o.cap = sizeof svc->err; o.len = strlen(svc->err);
    if (o.len) crioimg__out_str(&o, "; ");
    crioimg__out_str(&o, what);
    crioimg__out_str(&o, ": ");
    crioimg__out_str(&o, detail);
}

/* The reference part of name: "docker://" dropped; a name with any other transport cannot be pulled. A
   name that is not transport-qualified ("busybox:1", "localhost:5000/x": alltransports finds no
   transport "busybox" or "localhost") is the reference itself, as the seed's default transport made it. */
static crioimg_result crioimg__svc_docker_name(crioimg_service *svc, const char *name, const char **rest)
{
    crioimg_image_name in;
    size_t n = strlen(name);
    if (n >= 9 && memcmp(name, "docker://", 9) == 0) { *rest = name + 9; return CRIOIMG_OK; }
    if (crioimg_image_name_parse(&in, name, n, NULL, 0, NULL) == CRIOIMG_OK && in.transport != CRIOIMG_TRANSPORT_DOCKER) {
        svc->err[0] = '\0';
        crioimg__svc_note(svc, name, "only docker:// images can be pulled");
        return CRIOIMG_ERR_UNSUPPORTED;
    }
    *rest = name;
    return CRIOIMG_OK;
}

/* A copy of a manifest the registry served, allocated as the registry allocates (its alloc option). */
static crioimg_result crioimg__svc_manifest_copy(const crioimg_allocator *a, const crioimg_registry_manifest *from,
                                                 crioimg_registry_manifest *to)
{
    *to = *from;
    if ((to->data = (char *)crioimg_malloc(a, from->len + 1)) == NULL) return CRIOIMG_ERR_NOMEM;
    memcpy(to->data, from->data, from->len + 1);
    return CRIOIMG_OK;
}

/* src->top parsed into *top (the caller frees it on OK); err says why not: what is served as a manifest
   must be one (schemaVersion, a known media type), whether a pull goes on with it or it is only shown. */
static crioimg_result crioimg__svc_parse_top(crioimg_image_source *src, crioimg_manifest *top, char *err, size_t errcap)
{
    crioimg_manifest_opts mo;
    crioimg_result r;
    memset(&mo, 0, sizeof mo);
    mo.alloc = src->alloc;
    r = crioimg_manifest_parse(top, src->top.data, src->top.len, src->top.media_type, &mo);
    if (r != CRIOIMG_OK) {
        crioimg__svc_say(err, errcap, "parsing manifest: ", top->err);
        crioimg_manifest_free(top);
    }
    return r;
}

/* The image manifest for the platform: top itself, or the index entry chosen, fetched by digest. */
/* The image manifest d names, from the store when it has it (a pull of an index's image pulled before
   asks the registry for nothing more): OK with src->image filled, or an error and nothing filled. */
static crioimg_result crioimg__svc_stored_manifest(crioimg_service *svc, crioimg_image_source *src, const crioimg_descriptor *d)
{
    void *data;
    size_t len;
    crioimg_result r;
    if (svc->store == NULL || strlen(d->media_type) >= sizeof src->image.media_type) return CRIOIMG_ERR_NOT_FOUND;
    if (crioimg_store_blob_stat(svc->store, d->digest, NULL) != CRIOIMG_OK) return CRIOIMG_ERR_NOT_FOUND;
    r = crioimg_store_get_blob(svc->store, d->digest, 0, &data, &len);   /* verified against the digest */
    if (r != CRIOIMG_OK) return r;
    if ((long long)len != d->size) r = CRIOIMG_ERR_SIZE_MISMATCH;
    else if ((src->image.data = (char *)crioimg_malloc(&src->alloc, len + 1)) == NULL) r = CRIOIMG_ERR_NOMEM;
    else {
        memcpy(src->image.data, data, len);
        src->image.data[len] = '\0';
        src->image.len = len;
        strcpy(src->image.media_type, d->media_type);
        strcpy(src->image.digest, d->digest);
    }
    crioimg_store_free_blob(svc->store, data);
    return r;
}

static crioimg_result crioimg__svc_choose(crioimg_service *svc, crioimg_image_source *src, const crioimg_pull_opts *opts,
                                          char *err, size_t errcap)
{
    crioimg_manifest_opts mo;
    crioimg_manifest top;
    crioimg_result r;
    size_t which;
    memset(&mo, 0, sizeof mo);
    mo.alloc = src->alloc;
    if ((r = crioimg__svc_parse_top(src, &top, err, errcap)) != CRIOIMG_OK) return r;
    if (top.kind == CRIOIMG_MANIFEST_OCI || top.kind == CRIOIMG_MANIFEST_DOCKER_V2) {
        src->manifest = top;
        return crioimg__svc_manifest_copy(&src->alloc, &src->top, &src->image);
    }
    r = crioimg_manifest_choose(&top, opts->platform, &which, err, errcap);
    if (r == CRIOIMG_OK && crioimg__svc_stored_manifest(svc, src, &top.manifests[which]) != CRIOIMG_OK) {
        r = crioimg_registry_get_manifest(src->registry, src->repo, top.manifests[which].digest, &src->image);
        if (r != CRIOIMG_OK) crioimg__svc_say(err, errcap, crioimg_registry_error(src->registry), NULL);
    }
    crioimg_manifest_free(&top);
    if (r != CRIOIMG_OK) return r;
    r = crioimg_manifest_parse(&src->manifest, src->image.data, src->image.len, src->image.media_type, &mo);
    if (r != CRIOIMG_OK) crioimg__svc_say(err, errcap, "parsing manifest: ", src->manifest.err);
    else if (src->manifest.kind != CRIOIMG_MANIFEST_OCI && src->manifest.kind != CRIOIMG_MANIFEST_DOCKER_V2) {
        crioimg__svc_say(err, errcap, "the index entry for the platform is not an image manifest", NULL);
        r = CRIOIMG_ERR_MANIFEST_UNSUPPORTED;   /* an index in an index: containers/image refuses it too */
    }
    return r;
}

/* 1 when location's own [[registry]] in registries.conf is blocked: a mirror may be, even when the
   registry it mirrors is not (containers/image refuses it when it looks the physical reference up). */
static int crioimg__svc_blocked(crioimg_service *svc, const char *location)
{
    crioimg_candidates c;
    crioimg_result r = crioimg_registries_pull_sources(svc->reg, location, strlen(location), &c);
    crioimg_candidates_free(&c);
    return r == CRIOIMG_ERR_REGISTRY_BLOCKED;
}

/* An image source with what a pull needs to open more clients to the same registry (one per thread):
   the options its client was opened with, after the insecure decision and the credentials rule. */
typedef struct crioimg__svc_src {
    crioimg_image_source pub;   /* first: the public struct's address is this one's */
    crioimg_registry_opts ro;
    char host[CRIOIMG_REF_NAME_MAX + 1];
} crioimg__svc_src;

/* Tries one pull source of the name pulled: location (a qualified reference), reached as insecure when
   the insecure-registry logic or registries.conf (conf_insecure) says so. The caller's credentials go
   only to the pulled name's own registry: a mirror elsewhere gets its own from the auth files, as
   containers/image drops DockerAuthConfig for a mirror on another domain. */
static crioimg_result crioimg__svc_try(crioimg_service *svc, crioimg_image_source *src, const char *pulled, const char *location,
                                       int conf_insecure, const crioimg_pull_opts *opts)
{
    crioimg_registry_opts ro = opts->registry;
    crioimg_insecure_decision d;
    crioimg_ref own;
    char host[CRIOIMG_REF_NAME_MAX + 1], err[512];
    const char *domain, *refpart, *own_domain;
    size_t dlen, own_len;
    crioimg_result r;
    err[0] = '\0';
    r = crioimg_ref_parse_docker(&src->ref, location, strlen(location));
    if (r != CRIOIMG_OK) { crioimg__svc_note(svc, location, crioimg_result_str(r)); return r; }
    crioimg_ref_string(&src->ref, src->location, sizeof src->location);
    if (crioimg__svc_blocked(svc, src->location)) {
        crioimg__svc_note(svc, src->location, crioimg_result_str(CRIOIMG_ERR_REGISTRY_BLOCKED));
        return CRIOIMG_ERR_REGISTRY_BLOCKED;
    }
    domain = crioimg_ref_domain(&src->ref, &dlen);
    memcpy(host, domain, dlen);
    host[dlen] = '\0';
    src->repo = crioimg_ref_path(&src->ref, NULL);
    if (crioimg_ref_parse_normalized(&own, pulled, strlen(pulled)) != CRIOIMG_OK ||
        (own_domain = crioimg_ref_domain(&own, &own_len), own_len != dlen || memcmp(own_domain, domain, dlen) != 0)) {
        ro.username = NULL;
        ro.password = NULL;
    }
    r = crioimg_registries_check_host(svc->reg, host, dlen, &d);
    if (r != CRIOIMG_OK) { crioimg__svc_note(svc, src->location, crioimg_result_str(r)); return r; }
    ro.insecure = d.insecure || conf_insecure;
    if (ro.http == NULL) {
        if (svc->http == NULL && (r = crioimg_http_open_default(&svc->http, &svc->alloc)) != CRIOIMG_OK) {
            crioimg__svc_note(svc, src->location, crioimg_result_str(r));
            return r;
        }
        ro.http = svc->http;
    }
    {
        char e[256];
        r = crioimg_registry_open(&src->registry, host, &ro, e, sizeof e);
        if (r != CRIOIMG_OK) { crioimg__svc_note(svc, src->location, e); return r; }
    }
    ((crioimg__svc_src *)src)->ro = ro;
    memcpy(((crioimg__svc_src *)src)->host, host, dlen + 1);
    refpart = src->ref.digest[0] ? src->ref.digest : src->ref.tag;
    r = crioimg_registry_get_manifest(src->registry, src->repo, refpart, &src->top);
    if (r != CRIOIMG_OK) {
        crioimg__svc_note(svc, src->location, crioimg_registry_error(src->registry)[0] ? crioimg_registry_error(src->registry)
                                                                                       : crioimg_result_str(r));
        return r;
    }
    if (opts->top_only) {   /* shown as served, but only when it is a manifest (a 200 error page is not) */
        crioimg_manifest m;
        if ((r = crioimg__svc_parse_top(src, &m, err, sizeof err)) == CRIOIMG_OK) crioimg_manifest_free(&m);
    } else {
        r = crioimg__svc_choose(svc, src, opts, err, sizeof err);
    }
    if (r != CRIOIMG_OK) crioimg__svc_note(svc, src->location, err[0] ? err : crioimg_result_str(r));
    return r;
}

/* Releases what a source holds, keeping the struct for the next try. */
static void crioimg__svc_source_clear(crioimg_image_source *src)
{
    if (src->registry) {
        crioimg_registry_manifest_free(src->registry, &src->top);
        crioimg_registry_manifest_free(src->registry, &src->image);
        crioimg_registry_close(src->registry);
    }
    crioimg_manifest_free(&src->manifest);
    src->registry = NULL;
    memset(&src->top, 0, sizeof src->top);
    memset(&src->image, 0, sizeof src->image);
    memset(&src->manifest, 0, sizeof src->manifest);
}

/* The signature policy's word on a candidate, as containers/image asks it of the docker:// reference
   before reading anything of the image; a refusal is noted as that candidate's failure. */
static crioimg_result crioimg__svc_policy(crioimg_service *svc, const crioimg_policy *pol, const char *candidate)
{
    char name[9 + CRIOIMG_REF_STRING_MAX + 1], err[512];
    crioimg__out o;
    crioimg_result r;
    o.p = name; o.cap = sizeof name; o.len = 0;
    crioimg__out_str(&o, "docker://");
    crioimg__out_str(&o, candidate);
    err[0] = '\0';
    r = crioimg_policy_check(pol, name, o.len, err, sizeof err);
    if (r != CRIOIMG_OK) crioimg__svc_note(svc, candidate, err[0] ? err : crioimg_result_str(r));
    return r;
}

crioimg_result crioimg_service_open_source(crioimg_service *svc, const char *name, const crioimg_pull_opts *opts,
                                           crioimg_image_source **out)
{
    crioimg_pull_opts none;
    crioimg_candidates cands, sources;
    crioimg_image_source *src;
    crioimg_result r, last = CRIOIMG_ERR_NOT_FOUND;
    const char *ref;
    size_t i, j;
    if (out) *out = NULL;
    if (svc == NULL || name == NULL || out == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    if (opts == NULL) { memset(&none, 0, sizeof none); opts = &none; }
    svc->err[0] = '\0';
    if ((r = crioimg__svc_docker_name(svc, name, &ref)) != CRIOIMG_OK) return r;
    if ((r = crioimg_service_resolve_names(svc, ref, strlen(ref), &cands)) != CRIOIMG_OK) return r;
    if ((src = (crioimg_image_source *)crioimg_malloc(&opts->registry.alloc, sizeof(crioimg__svc_src))) == NULL) {
        crioimg_candidates_free(&cands);
        return CRIOIMG_ERR_NOMEM;
    }
    memset(src, 0, sizeof(crioimg__svc_src));
    src->alloc = opts->registry.alloc;
    for (i = 0; i < cands.n && last != CRIOIMG_OK && last != CRIOIMG_ERR_CANCELLED; i++) {
        if (opts->policy && (r = crioimg__svc_policy(svc, opts->policy, cands.items[i].name)) != CRIOIMG_OK) {
            last = r;
            continue;
        }
        r = crioimg_registries_pull_sources(svc->reg, cands.items[i].name, strlen(cands.items[i].name), &sources);
        if (r != CRIOIMG_OK) {
            crioimg__svc_note(svc, cands.items[i].name, crioimg_registries_error(svc->reg));
            last = r;
            continue;
        }
        for (j = 0; j < sources.n && last != CRIOIMG_OK; j++) {
            crioimg__svc_source_clear(src);
            last = crioimg__svc_try(svc, src, cands.items[i].name, sources.items[j].name, sources.items[j].insecure, opts);
            if (last == CRIOIMG_ERR_CANCELLED) break;   /* the caller wants nothing more */
        }
        crioimg_candidates_free(&sources);
        if (last == CRIOIMG_OK) crioimg__svc_say(src->name, sizeof src->name, cands.items[i].name, NULL);
    }
    crioimg_candidates_free(&cands);
    if (last != CRIOIMG_OK) { crioimg_image_source_free(src); return last; }
    svc->err[0] = '\0';
    *out = src;
    return CRIOIMG_OK;
}

void crioimg_image_source_free(crioimg_image_source *src)
{
    crioimg_allocator a;
    if (src == NULL) return;
    a = src->alloc;
    crioimg__svc_source_clear(src);
    crioimg_free(&a, src);
}

crioimg_result crioimg_service_can_pull(crioimg_service *svc, const char *name, const crioimg_pull_opts *opts)
{
    crioimg_image_source *src;
    crioimg_result r = crioimg_service_open_source(svc, name, opts, &src);
    crioimg_image_source_free(src);
    return r;
}

/* ---- PullImage ---- */

/* Threads for parallel blobs: POSIX threads on every POSIX build; elsewhere (and
   under CRIOIMG_NO_THREADS) a pull fetches one blob at a time, which is a slower pull, not a failure. */
#if !defined(CRIOIMG_NO_THREADS) && defined(CRIOIMG__POSIX2008)
#  include <pthread.h>
#  define CRIOIMG__SVC_THREADS 1
#endif

#define CRIOIMG__PULL_JOBS 3
#define CRIOIMG__PULL_MAX_JOBS 16   /* more connections than this only annoy a registry */

typedef struct crioimg__pull_blob {
    const crioimg_descriptor *d;
    long long done;
    int fetch;                     /* 1: to be fetched (not in the store, and the first of its digest) */
    int committed;                 /* this pull made it a blob (in any round): taken back if the pull fails */
} crioimg__pull_blob;

/* One pull's shared state. Everything in it, the store handle and the progress callback are used under
   mu (the store's handle is for one thread at a time); only the network transfers run outside it. */
typedef struct crioimg__pull {
    crioimg_service *svc;
    crioimg__svc_src *src;
    const crioimg_pull_opts *opts;
    crioimg__pull_blob *blobs;
    size_t count, next;
    long long total, total_done;
    volatile int stop;             /* a blob failed: the others give up at their next bytes (set under mu
                                      with crioimg_cancel; read without it by concurrent writers) */
    crioimg_result failed;
    char err[1024];                /* the first failure, as it will be reported */
    size_t fetched, skipped;
    long long bytes;
    int threaded;
    int manifest_new;              /* this pull stored the manifest blob (it was not there before) */
#ifdef CRIOIMG__SVC_THREADS
    pthread_mutex_t mu;
    struct crioimg__pull_relay *active[CRIOIMG__PULL_MAX_JOBS];   /* blobs an idle worker may hash (under mu) */
#endif
} crioimg__pull;

static void crioimg__pull_lock(crioimg__pull *p)
{
#ifdef CRIOIMG__SVC_THREADS
    if (p->threaded) pthread_mutex_lock(&p->mu);
#else
    (void)p;
#endif
}

static void crioimg__pull_unlock(crioimg__pull *p)
{
#ifdef CRIOIMG__SVC_THREADS
    if (p->threaded) pthread_mutex_unlock(&p->mu);
#else
    (void)p;
#endif
}

/* Tells the host (under the lock); k is a blob's index, or count for the image as a whole. */
static void crioimg__pull_event(crioimg__pull *p, crioimg_pull_event ev, size_t k)
{
    crioimg_pull_progress e;
    if (p->opts->progress == NULL) return;
    memset(&e, 0, sizeof e);
    e.event = ev;
    e.source = p->src->pub.location;
    e.index = k;
    e.count = p->count;
    e.digest = "";
    e.media_type = "";
    if (k < p->count) {
        e.digest = p->blobs[k].d->digest;
        e.media_type = p->blobs[k].d->media_type;
        e.size = p->blobs[k].d->size;
        e.done = p->blobs[k].done;
    }
    e.total = p->total;
    e.total_done = p->total_done;
    p->opts->progress(p->opts->progress_user, &e);
}

/* The first failure wins the message (under the lock). The registry client's messages name the blob
   already; the store's get "storing blob DIGEST: " in front (k < count). */
static void crioimg__pull_failed(crioimg__pull *p, size_t k, crioimg_result r, const char *detail)
{
    crioimg__out o;
    crioimg_cancel(&p->stop);
    if (p->failed != CRIOIMG_OK) return;
    p->failed = r;
    o.p = p->err; o.cap = sizeof p->err; o.len = 0;
    if (k < p->count) {
        crioimg__out_str(&o, "storing blob ");
        crioimg__out_str(&o, p->blobs[k].d->digest);
        crioimg__out_str(&o, ": ");
    }
    crioimg__out_str(&o, detail && *detail ? detail : crioimg_result_str(r));
}

/* ---- a worker with nothing left to fetch hashes another's blob ----
   Once no blob is left to start, a worker takes over the hashing of the blob still coming that has the
   most bytes to go: it reads them back from the store (crioimg__blob_writer_pread) as the blob's own
   worker writes them, and applies them to the registry client's hasher, which the client drains before
   it judges the digest (crioimg__hash_relay). The blob's worker then only receives and writes: on an
   image's last big layer, hashing (a third of a stream's CPU time, bench/pull) runs beside it instead of
   adding to it, on a core that would be idle. Threads only, and stores that read back (the OCI store). */
#ifdef CRIOIMG__SVC_THREADS
#define CRIOIMG__PULL_HELP_MIN (4LL << 20)     /* less left than this: not worth a second thread */
#define CRIOIMG__PULL_HELP_STEP (256LL << 10)  /* the helper is woken for this many new bytes (or the end) */
#define CRIOIMG__PULL_HELP_BUF (16u << 10)     /* and reads back this many at a time (RSS: bench/pull) */

typedef struct crioimg__pull_relay {
    crioimg__hash_relay pub;
    crioimg_blob_writer *w;
    size_t k;                      /* the blob's index */
    pthread_mutex_t mu;            /* everything below */
    pthread_cond_t cv;
    crioimg_hasher *h;             /* the client's hasher */
    long long handed, hashed, written;   /* bytes the client handed over, bytes in *h, bytes in the store */
    int claimed;                   /* a helper took it (set under the pull's mu too; cleared as it leaves) */
    int helping;                   /* the helper hashes: hash() only counts */
    int busy;                      /* the helper is reading or hashing, outside mu */
    int draining, ending;          /* the client waits for *h; the blob is over (the helper leaves) */
    int broken;                    /* bytes handed will never be written: nobody waits for them */
    int lost;                      /* the store could not give bytes back: the blob fails */
} crioimg__pull_relay;

/* The client's bytes: hashed here, at once, until a helper takes over; then only counted. */
static void crioimg__pull_relay_hash(void *u, crioimg_hasher *h, const void *data, size_t n)
{
    crioimg__pull_relay *r = (crioimg__pull_relay *)u;
    pthread_mutex_lock(&r->mu);
    r->h = h;
    if (!r->helping) { crioimg_hasher_update(h, data, n); r->hashed += (long long)n; }
    r->handed += (long long)n;
    pthread_mutex_unlock(&r->mu);
}

static void crioimg__pull_relay_drain(void *u)
{
    crioimg__pull_relay *r = (crioimg__pull_relay *)u;
    pthread_mutex_lock(&r->mu);
    r->draining++;
    pthread_cond_broadcast(&r->cv);
    while (r->busy || (r->helping && !r->broken && r->hashed < r->handed)) pthread_cond_wait(&r->cv, &r->mu);
    r->draining--;
    pthread_mutex_unlock(&r->mu);
}

/* After the blob's worker stored len more bytes (ok), or gave up on the blob (!ok). Non-zero: the
   helper could not read bytes back (the blob fails). */
static int crioimg__pull_relay_wrote(crioimg__pull_relay *r, size_t len, int ok)
{
    int lost;
    pthread_mutex_lock(&r->mu);
    if (ok) r->written += (long long)len;
    else r->broken = 1;
    if (r->helping && (!ok || r->written - r->hashed >= CRIOIMG__PULL_HELP_STEP)) pthread_cond_broadcast(&r->cv);
    lost = r->lost;
    pthread_mutex_unlock(&r->mu);
    return lost;
}

/* The helper's side (the pull's mu not held): until the blob is over, hashes what the store has. */
static void crioimg__pull_relay_help(crioimg__pull_relay *r, unsigned char *buf)
{
    pthread_mutex_lock(&r->mu);
    r->helping = !r->ending && !r->broken;
    while (r->helping) {
        long long upto = r->written < r->handed ? r->written : r->handed, off = r->hashed;
        if (upto > off && (upto - off >= CRIOIMG__PULL_HELP_STEP || r->draining || r->ending)) {
            size_t n = upto - off > (long long)CRIOIMG__PULL_HELP_BUF ? CRIOIMG__PULL_HELP_BUF : (size_t)(upto - off);
            crioimg_hasher *h = r->h;
            crioimg_result res;
            r->busy = 1;
            pthread_mutex_unlock(&r->mu);
            res = crioimg__blob_writer_pread(r->w, off, buf, n);
            if (res == CRIOIMG_OK) crioimg_hasher_update(h, buf, n);
            pthread_mutex_lock(&r->mu);
            r->busy = 0;
            if (res == CRIOIMG_OK) r->hashed += (long long)n;
            else r->lost = 1, r->helping = 0;
            if (r->draining) pthread_cond_broadcast(&r->cv);
        } else if (r->broken || (r->ending && r->hashed == r->handed)) {
            r->helping = 0;
        } else {
            pthread_cond_wait(&r->cv, &r->mu);
        }
    }
    r->claimed = 0;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

/* The blob with the most bytes to go that nobody helps yet, claimed (under the pull's mu); NULL: none
   worth it. */
static crioimg__pull_relay *crioimg__pull_relay_pick(crioimg__pull *p)
{
    crioimg__pull_relay *best = NULL;
    long long most = CRIOIMG__PULL_HELP_MIN - 1;
    size_t i;
    for (i = 0; i < CRIOIMG__PULL_MAX_JOBS; i++) {
        crioimg__pull_relay *r = p->active[i];
        long long left;
        if (r == NULL || r->claimed) continue;
        left = p->blobs[r->k].d->size - p->blobs[r->k].done;
        if (left > most) { most = left; best = r; }
    }
    if (best) {
        pthread_mutex_lock(&best->mu);
        best->claimed = 1;
        pthread_mutex_unlock(&best->mu);
    }
    return best;
}

/* Hashes for other workers' blobs while there are some worth it. */
static void crioimg__pull_help(crioimg__pull *p)
{
    unsigned char *buf = (unsigned char *)crioimg_malloc(&p->svc->alloc, CRIOIMG__PULL_HELP_BUF);
    crioimg__pull_relay *r;
    if (buf == NULL) return;
    for (;;) {
        crioimg__pull_lock(p);
        r = p->stop ? NULL : crioimg__pull_relay_pick(p);
        crioimg__pull_unlock(p);
        if (r == NULL) break;
        if (p->src->ro.log) {   /* -v shows it: the tests see that the path was taken */
            char m[CRIOIMG_DIGEST_STRING_MAX + 64];
            crioimg__out o;
            o.p = m; o.cap = sizeof m; o.len = 0;
            crioimg__out_str(&o, "blob ");
            crioimg__out_str(&o, p->blobs[r->k].d->digest);
            crioimg__out_str(&o, ": hashed by another worker from here on");
            p->src->ro.log(p->src->ro.log_user, CRIOIMG_LOG_DEBUG, m);
        }
        crioimg__pull_relay_help(r, buf);
    }
    crioimg_free(&p->svc->alloc, buf);
}

/* A relay for blob k, offered to idle workers (under the pull's mu); 0 when this blob gets none. */
static int crioimg__pull_relay_open(crioimg__pull *p, crioimg__pull_relay *r, size_t k, crioimg_blob_writer *w)
{
    size_t i;
    if (!p->threaded || p->blobs[k].d->size < CRIOIMG__PULL_HELP_MIN || !crioimg__blob_writer_can_pread(w)) return 0;
    for (i = 0; i < CRIOIMG__PULL_MAX_JOBS && p->active[i]; i++) {}
    if (i == CRIOIMG__PULL_MAX_JOBS) return 0;
    memset(r, 0, sizeof *r);
    if (pthread_mutex_init(&r->mu, NULL) != 0) return 0;
    if (pthread_cond_init(&r->cv, NULL) != 0) { pthread_mutex_destroy(&r->mu); return 0; }
    r->pub.hash = crioimg__pull_relay_hash;
    r->pub.drain = crioimg__pull_relay_drain;
    r->pub.u = r;
    r->w = w;
    r->k = k;
    p->active[i] = r;
    return 1;
}

/* Withdrawn (under the pull's mu), then, outside it, waited for: its helper leaves. */
static void crioimg__pull_relay_withdraw(crioimg__pull *p, crioimg__pull_relay *r)
{
    size_t i;
    for (i = 0; i < CRIOIMG__PULL_MAX_JOBS; i++) if (p->active[i] == r) p->active[i] = NULL;
}

static void crioimg__pull_relay_close(crioimg__pull_relay *r)
{
    pthread_mutex_lock(&r->mu);
    r->ending = 1;
    pthread_cond_broadcast(&r->cv);
    while (r->claimed) pthread_cond_wait(&r->cv, &r->mu);
    pthread_mutex_unlock(&r->mu);
    pthread_cond_destroy(&r->cv);
    pthread_mutex_destroy(&r->mu);
}
#endif

typedef struct crioimg__pull_sink {
    crioimg__pull *p;
    size_t k;
    crioimg_blob_writer *w;
    crioimg_result store_failed;   /* the store refused bytes: its message, not the registry's */
    char err[512];
#ifdef CRIOIMG__SVC_THREADS
    crioimg__pull_relay *relay;    /* NULL: the client hashes by itself */
#endif
} crioimg__pull_sink;

/* Bytes from the registry, as they arrive, into the blob writer (which counts them: nothing is committed
   that the registry client did not verify). A writer to a store that keeps write failures in the handle
   writes outside the lock, so that the workers' writes overlap (under it, three workers queued on each
   other's 16 KiB writes: ten thousand futex waits in a 128 MiB pull); only the counts and the progress
   event stay under it. */
static crioimg_result crioimg__pull_sink_fn(void *ctx, const void *data, size_t len)
{
    crioimg__pull_sink *k = (crioimg__pull_sink *)ctx;
    crioimg__pull *p = k->p;
    crioimg_result r = CRIOIMG_OK;
    int unlocked = p->threaded && crioimg__blob_writer_concurrent(k->w);
    if (unlocked) r = crioimg_cancelled(&p->stop) ? CRIOIMG_ERR_CANCELLED : crioimg__blob_writer_put(k->w, data, len);
    crioimg__pull_lock(p);
    if (r == CRIOIMG_OK && p->stop) r = CRIOIMG_ERR_CANCELLED;
    else if (r == CRIOIMG_OK && !unlocked) r = crioimg__blob_writer_put(k->w, data, len);
    if (r != CRIOIMG_OK && r != CRIOIMG_ERR_CANCELLED) {
        k->store_failed = r;
        crioimg__svc_say(k->err, sizeof k->err, crioimg__blob_writer_error(k->w), NULL);
    } else if (r == CRIOIMG_OK) {
        p->blobs[k->k].done += (long long)len;
        p->total_done += (long long)len;
        crioimg__pull_event(p, CRIOIMG_PULL_BLOB_PROGRESS, k->k);
    }
    crioimg__pull_unlock(p);
#ifdef CRIOIMG__SVC_THREADS
    if (k->relay && crioimg__pull_relay_wrote(k->relay, len, r == CRIOIMG_OK) && r == CRIOIMG_OK) {
        k->store_failed = r = CRIOIMG_ERR_IO;
        crioimg__svc_say(k->err, sizeof k->err, "cannot read the blob back from the store", NULL);
    }
#endif
    return r;
}

/* Blob k from reg into the store: begun, streamed, committed only when size and digest match. */
static crioimg_result crioimg__pull_one(crioimg__pull *p, crioimg_registry *reg, size_t k)
{
    crioimg_store *st = p->svc->store;
    crioimg__pull_sink sink;
    const crioimg_descriptor *d = p->blobs[k].d;
    crioimg_result r;
#ifdef CRIOIMG__SVC_THREADS
    crioimg__pull_relay relay;
#endif
    memset(&sink, 0, sizeof sink);
    sink.p = p;
    sink.k = k;
    crioimg__pull_lock(p);
    r = crioimg_store_blob_begin(st, d->digest, d->size, &sink.w);
    if (r != CRIOIMG_OK) crioimg__pull_failed(p, k, r, crioimg_store_error(st));
    else {
        crioimg__blob_writer_trust(sink.w);   /* crioimg_registry_get_blob verifies; OK is committed */
#ifdef CRIOIMG__SVC_THREADS
        if (crioimg__pull_relay_open(p, &relay, k, sink.w)) sink.relay = &relay;
#endif
        crioimg__pull_event(p, CRIOIMG_PULL_BLOB_STARTED, k);
    }
    crioimg__pull_unlock(p);
    if (r != CRIOIMG_OK) return r;
#ifdef CRIOIMG__SVC_THREADS
    if (sink.relay) {
        r = crioimg__registry_get_blob_relay(reg, p->src->pub.repo, d, crioimg__pull_sink_fn, &sink, &relay.pub);
        crioimg__pull_lock(p);
        crioimg__pull_relay_withdraw(p, &relay);
        crioimg__pull_unlock(p);
        crioimg__pull_relay_close(&relay);   /* its helper reads the writer: gone before commit or abort */
    } else
#endif
    r = crioimg_registry_get_blob(reg, p->src->pub.repo, d, crioimg__pull_sink_fn, &sink);
    if (r == CRIOIMG_OK) (void)crioimg_blob_writer_sync(sink.w);   /* the fsync outside both locks; commit reports a failure */
    crioimg__pull_lock(p);
    if (r == CRIOIMG_OK) {
        if ((r = crioimg_blob_writer_commit(sink.w)) != CRIOIMG_OK) crioimg__pull_failed(p, k, r, crioimg_store_error(st));
    } else {
        crioimg_blob_writer_abort(sink.w);
        if (sink.store_failed) crioimg__pull_failed(p, k, sink.store_failed, sink.err);
        else if (!(r == CRIOIMG_ERR_CANCELLED && p->stop)) {
            const char *why = crioimg_registry_error(reg);
            crioimg__pull_failed(p, *why ? p->count : k, r, why);   /* the client's message names the blob */
        }
    }
    if (r == CRIOIMG_OK) {
        p->blobs[k].committed = 1;
        p->fetched++;
        p->bytes += d->size;
        crioimg__pull_event(p, CRIOIMG_PULL_BLOB_DONE, k);
    } else if (!(r == CRIOIMG_ERR_CANCELLED && p->failed != CRIOIMG_ERR_CANCELLED && p->failed != CRIOIMG_OK)) {
        crioimg__pull_event(p, CRIOIMG_PULL_BLOB_FAILED, k);   /* not the ones stopped for another's failure */
    }
    crioimg__pull_unlock(p);
    return r;
}

/* Takes blobs to fetch off the shared list until it is empty or a blob failed. */
static void crioimg__pull_work(crioimg__pull *p, crioimg_registry *reg)
{
    for (;;) {
        size_t k;
        crioimg__pull_lock(p);
        while (p->next < p->count && !p->blobs[p->next].fetch) p->next++;
        if (p->stop || p->next == p->count) {
            crioimg__pull_unlock(p);
#ifdef CRIOIMG__SVC_THREADS
            if (p->threaded) crioimg__pull_help(p);   /* nothing left to start: help what is coming */
#endif
            return;
        }
        k = p->next++;
        crioimg__pull_unlock(p);
        if (crioimg__pull_one(p, reg, k) != CRIOIMG_OK) return;
    }
}

#ifdef CRIOIMG__SVC_THREADS
typedef struct crioimg__pull_worker {
    crioimg__pull *p;
    crioimg_registry *reg;
    crioimg_http *http;            /* its own, unless the host gave one */
    pthread_t th;
} crioimg__pull_worker;

static void *crioimg__pull_thread(void *arg)
{
    crioimg__pull_worker *w = (crioimg__pull_worker *)arg;
    crioimg__pull_work(w->p, w->reg);
    return NULL;
}

/* A further worker's client to the same registry (tokens are per client) over its own transport,
   unless the host gave one. Made and freed on the calling thread: libcurl's global set-up, which each
   transport's open and close count, is not thread-safe before 7.84. */
static crioimg_result crioimg__pull_worker_open(crioimg__pull *p, crioimg__pull_worker *w)
{
    crioimg_registry_opts ro = p->src->ro;
    crioimg_result r;
    memset(w, 0, sizeof *w);
    w->p = p;
    if (p->opts->registry.http == NULL) {
        if ((r = crioimg_http_open_default(&w->http, &p->svc->alloc)) != CRIOIMG_OK) return r;
        ro.http = w->http;
    }
    if ((r = crioimg_registry_open(&w->reg, p->src->host, &ro, NULL, 0)) == CRIOIMG_OK &&
        (r = crioimg__registry_adopt_ping(w->reg, p->src->pub.registry)) != CRIOIMG_OK) {
        crioimg_registry_close(w->reg);
        w->reg = NULL;
    }
    if (r != CRIOIMG_OK) {
        crioimg_http_close(w->http);
        w->http = NULL;
    }
    return r;
}

static void crioimg__pull_worker_close(crioimg__pull_worker *w)
{
    crioimg_registry_close(w->reg);
    crioimg_http_close(w->http);
}
#endif

/* Fetches every blob marked fetch, with up to jobs workers (the calling thread is one). A worker that
   cannot be made leaves its share to the others. */
static void crioimg__pull_run(crioimg__pull *p, int jobs)
{
    size_t want = 0, k;
#ifdef CRIOIMG__SVC_THREADS
    crioimg__pull_worker w[CRIOIMG__PULL_MAX_JOBS];
    int nw = 0, started = 0, i;
#endif
    for (k = 0; k < p->count; k++) want += (size_t)p->blobs[k].fetch;
    if (jobs > CRIOIMG__PULL_MAX_JOBS) jobs = CRIOIMG__PULL_MAX_JOBS;
    if ((size_t)jobs > want) jobs = (int)want;
    p->next = 0;
#ifdef CRIOIMG__SVC_THREADS
    while (nw + 1 < jobs && crioimg__pull_worker_open(p, &w[nw]) == CRIOIMG_OK) nw++;
    if (nw && pthread_mutex_init(&p->mu, NULL) == 0) {
        p->threaded = 1;
        for (started = 0; started < nw; started++)
            if (pthread_create(&w[started].th, NULL, crioimg__pull_thread, &w[started]) != 0) break;
    }
    crioimg__pull_work(p, p->src->pub.registry);
    for (i = 0; i < started; i++) pthread_join(w[i].th, NULL);
    if (p->threaded) pthread_mutex_destroy(&p->mu);
    p->threaded = 0;
    for (i = 0; i < nw; i++) crioimg__pull_worker_close(&w[i]);
#else
    (void)jobs;
    (void)crioimg__registry_adopt_ping;   /* for the workers only: none without threads */
    (void)crioimg__blob_writer_can_pread; (void)crioimg__blob_writer_pread;
    crioimg__pull_work(p, p->src->pub.registry);
#endif
}

static int crioimg__pull_cmp_digest(const void *a, const void *b)
{
    const crioimg__pull_blob *x = *(const crioimg__pull_blob *const *)a, *y = *(const crioimg__pull_blob *const *)b;
    int c = strcmp(x->d->digest, y->d->digest);
    return c ? c : (x < y ? -1 : x > y);
}

/* Marks what to fetch: blobs the store lacks, each digest once (an image may list a layer twice). The
   sort keeps this n log n for a manifest's worth of layers. */
static crioimg_result crioimg__pull_plan(crioimg__pull *p)
{
    crioimg__pull_blob **by;
    size_t k;
    long long have;
    p->total = p->total_done = 0;
    for (k = 0; k < p->count; k++) {
        crioimg__pull_blob *b = &p->blobs[k];
        b->done = 0;
        b->fetch = !(crioimg_store_blob_stat(p->svc->store, b->d->digest, &have) == CRIOIMG_OK && have == b->d->size);
        p->total += b->d->size;
    }
    if ((by = (crioimg__pull_blob **)crioimg_malloc(&p->svc->alloc, p->count * sizeof *by)) == NULL) return CRIOIMG_ERR_NOMEM;
    for (k = 0; k < p->count; k++) by[k] = &p->blobs[k];
    qsort(by, p->count, sizeof *by, crioimg__pull_cmp_digest);
    for (k = 1; k < p->count; k++)
        if (strcmp(by[k]->d->digest, by[k - 1]->d->digest) == 0) by[k]->fetch = 0;
    crioimg_free(&p->svc->alloc, by);
    return CRIOIMG_OK;
}

/* The seed's destination: Name() ":" tag, or Name() "@" digest (the candidate, as the docker transport
   reads it: a tag added when there is neither, the tag dropped when there are both). */
static crioimg_result crioimg__pull_dest(const char *candidate, char *out, size_t cap)
{
    crioimg_ref ref;
    crioimg_result r = crioimg_ref_parse_docker(&ref, candidate, strlen(candidate));
    if (r == CRIOIMG_OK) crioimg_ref_string(&ref, out, cap);
    return r;
}

/* A pull that failed or was cancelled takes back, on the spot, the blobs it committed (in any round)
   that no index entry references: the store's own sweep (crioimg__gc_take_back), under the exclusive
   lock, so a blob another image references, or one that was there before the pull, stays. Best effort:
   what it cannot take back (no memory, no lock) is left for crioimg_store_gc. */
static void crioimg__pull_take_back(crioimg__pull *p)
{
    const char **d;
    size_t k, n = 0;
    if (p->blobs == NULL) return;
    d = (const char **)crioimg_malloc(&p->svc->alloc, (p->count + 1) * sizeof *d);
    if (d == NULL) return;
    for (k = 0; k < p->count; k++) if (p->blobs[k].committed) d[n++] = p->blobs[k].d->digest;
    if (p->manifest_new) d[n++] = p->src->pub.image.digest;
    crioimg__gc_take_back(p->svc->store, d, n);
    crioimg_free(&p->svc->alloc, (void *)d);
}

/* The blobs' phase and the image's record; ERR_NOT_FOUND from the record means a blob the plan found was
   removed meanwhile (another process's rmi), which the caller answers with a second plan. */
static crioimg_result crioimg__pull_store(crioimg__pull *p, int jobs, const char *dest)
{
    crioimg_image_source *src = &p->src->pub;
    crioimg_store *st = p->svc->store;
    crioimg_result r;
    size_t k;
    long long have;
    const char *names[1];
    if ((r = crioimg__store_index_ok(st)) != CRIOIMG_OK) return r;   /* before any blob: see the function */
    if ((r = crioimg__pull_plan(p)) != CRIOIMG_OK) return r;
    for (k = 0; k < p->count; k++)
        if (!p->blobs[k].fetch) {
            p->blobs[k].done = p->blobs[k].d->size;
            p->total_done += p->blobs[k].d->size;
            p->skipped++;
            crioimg__pull_event(p, CRIOIMG_PULL_BLOB_SKIPPED, k);
        }
    crioimg__pull_event(p, CRIOIMG_PULL_STARTED, p->count);
    crioimg__pull_run(p, jobs);
    if (p->failed != CRIOIMG_OK) return p->failed;
    /* the manifest last, byte for byte as served: an index entry never points at an incomplete image */
    if (!p->manifest_new && crioimg_store_blob_stat(st, src->image.digest, &have) != CRIOIMG_OK) p->manifest_new = 1;
    if ((r = crioimg_store_put_blob(st, src->image.digest, src->image.data, src->image.len)) != CRIOIMG_OK) {
        crioimg__pull_failed(p, p->count, r, crioimg_store_error(st));
        return r;
    }
    names[0] = dest;
    if ((r = crioimg_store_add_image(st, src->image.digest, names, 1)) != CRIOIMG_OK)
        crioimg__pull_failed(p, p->count, r, crioimg_store_error(st));
    return r;
}

/* A file source's progress as PullImage's events (a blob's digest copied: a view may keep the pointer
   until the pull ends). */
typedef struct crioimg__svc_arcview {
    const crioimg_pull_opts *o;
    const char *source;
    const crioimg_allocator *alloc;
    char (*digests)[CRIOIMG_DIGEST_STRING_MAX + 1];
    size_t n;
} crioimg__svc_arcview;

static void crioimg__svc_arc_progress(void *user, const crioimg_archive_progress *p)
{
    crioimg__svc_arcview *v = (crioimg__svc_arcview *)user;
    crioimg_pull_progress e;
    if (v->digests == NULL && p->count) {
        v->digests = (char (*)[CRIOIMG_DIGEST_STRING_MAX + 1])crioimg_malloc(v->alloc, p->count * sizeof *v->digests);
        if (v->digests) { memset(v->digests, 0, p->count * sizeof *v->digests); v->n = p->count; }
    }
    if (v->digests == NULL || p->index >= v->n) return;
    crioimg__svc_say(v->digests[p->index], sizeof v->digests[p->index], p->what, NULL);
    memset(&e, 0, sizeof e);
    e.event = p->done == p->total ? CRIOIMG_PULL_BLOB_DONE : CRIOIMG_PULL_BLOB_PROGRESS;
    e.source = v->source;
    e.index = p->index;
    e.count = v->n;
    e.digest = v->digests[p->index];
    e.media_type = "";
    e.size = p->total;
    e.done = p->done;
    e.total = e.total_done = -1;
    v->o->progress(v->o->progress_user, &e);
}

/* PullImage from a file: oci:, oci-archive:, docker-archive: or dir: (crioimg_archive_load), after the
   policy's word on the name as given (its scopes are paths for these transports). */
static crioimg_result crioimg__svc_pull_archive(crioimg_service *svc, const char *name, const crioimg_pull_opts *o,
                                                crioimg_pull_result *out)
{
    crioimg_archive_load_opts ao;
    crioimg_archive_load_result res;
    crioimg__svc_arcview view;
    crioimg_result r;
    if (o->policy && (r = crioimg_policy_check(o->policy, name, strlen(name), svc->err, sizeof svc->err)) != CRIOIMG_OK) {
        if (!svc->err[0]) crioimg__svc_fail(svc, r, NULL);
        return r;
    }
    memset(&ao, 0, sizeof ao);
    memset(&view, 0, sizeof view);
    ao.platform = o->platform;
    if (o->progress) {
        view.o = o;
        view.source = name;
        view.alloc = &svc->alloc;
        ao.progress = crioimg__svc_arc_progress;
        ao.progress_user = &view;
    }
    r = crioimg_archive_load(svc->store, name, &ao, &res, svc->err, sizeof svc->err);
    crioimg_free(&svc->alloc, view.digests);
    if (r != CRIOIMG_OK) {
        if (!svc->err[0]) crioimg__svc_fail(svc, r, NULL);
        return r;
    }
    if (out) {
        crioimg__svc_say(out->name, sizeof out->name, res.name, NULL);
        crioimg__svc_say(out->manifest_digest, sizeof out->manifest_digest, res.manifest_digest, NULL);
        crioimg__svc_say(out->source, sizeof out->source, name, NULL);
        memcpy(out->id, res.id, sizeof out->id);
        out->blobs_fetched = res.blobs_stored;
        out->blobs_skipped = res.blobs_skipped;
    }
    return CRIOIMG_OK;
}

crioimg_result crioimg_service_pull_image(crioimg_service *svc, const char *name, const crioimg_pull_opts *opts,
                                          crioimg_pull_result *out)
{
    crioimg_pull_opts o;
    crioimg_image_source *pub = NULL;
    crioimg__pull p;
    crioimg_image_list l;
    char dest[CRIOIMG_REF_STRING_MAX + 1];
    crioimg_result r;
    size_t k;
    int round;
    if (out) memset(out, 0, sizeof *out);
    if (svc == NULL || name == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    svc->err[0] = '\0';
    if (svc->store == NULL) return crioimg__svc_fail(svc, CRIOIMG_ERR_INVALID_ARGS, "the image service has no store");
    if (opts == NULL) memset(&o, 0, sizeof o);
    else o = *opts;
    o.top_only = 0;
    if (o.jobs < 0) return crioimg__svc_fail(svc, CRIOIMG_ERR_INVALID_ARGS, "jobs must not be negative");
    if (crioimg_archive_is_source(name)) return crioimg__svc_pull_archive(svc, name, &o, out);
    if ((r = crioimg_service_open_source(svc, name, &o, &pub)) != CRIOIMG_OK) return r;
    memset(&p, 0, sizeof p);
    p.svc = svc;
    p.src = (crioimg__svc_src *)pub;
    p.opts = &o;
    p.count = 1 + pub->manifest.nlayers;
    r = crioimg__pull_dest(pub->name, dest, sizeof dest);
    if (r != CRIOIMG_OK) crioimg__pull_failed(&p, p.count, r, NULL);
    else if ((p.blobs = (crioimg__pull_blob *)crioimg_malloc(&svc->alloc, p.count * sizeof *p.blobs)) == NULL)
        r = CRIOIMG_ERR_NOMEM;
    if (r == CRIOIMG_OK) {
        memset(p.blobs, 0, p.count * sizeof *p.blobs);
        p.blobs[0].d = &pub->manifest.config;
        for (k = 1; k < p.count; k++) p.blobs[k].d = &pub->manifest.layers[k - 1];
        for (round = 0; round < 3; round++) {
            p.failed = CRIOIMG_OK;
            p.stop = 0;
            p.err[0] = '\0';
            r = crioimg__pull_store(&p, o.jobs ? o.jobs : CRIOIMG__PULL_JOBS, dest);
            if (r != CRIOIMG_ERR_NOT_FOUND) break;
        }
        if (r != CRIOIMG_OK) crioimg__pull_take_back(&p);   /* nothing of a failed pull stays unreferenced */
    }
    if (r == CRIOIMG_OK && out) {
        crioimg__svc_say(out->name, sizeof out->name, dest, NULL);
        crioimg__svc_say(out->manifest_digest, sizeof out->manifest_digest, pub->image.digest, NULL);
        crioimg__svc_say(out->source, sizeof out->source, pub->location, NULL);
        out->blobs_fetched = p.fetched;
        out->blobs_skipped = p.skipped;
        out->bytes_fetched = p.bytes;
        if (crioimg_store_image_status(svc->store, dest, &l) == CRIOIMG_OK) {
            memcpy(out->id, l.images[0].id, sizeof out->id);
            crioimg_image_list_free(&l);
        }
    }
    if (r == CRIOIMG_OK) crioimg__pull_event(&p, CRIOIMG_PULL_DONE, p.count);
    else {
        svc->err[0] = '\0';
        crioimg__svc_note(svc, pub->location, p.err[0] ? p.err : crioimg_result_str(r));
    }
    crioimg_free(&svc->alloc, p.blobs);
    crioimg_image_source_free(pub);
    return r;
}
