/* ---------------------------------------------------------------------------------------------------
   service implementation
   --------------------------------------------------------------------------------------------------- */

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

crioimg_result crioimg_service_new(crioimg_service **out, crioimg_store *store, const crioimg_service_options *opts,
                                   char *err, size_t errcap)
{
    crioimg_service_options none;
    crioimg_registries_options ro;
    crioimg_service *svc;
    crioimg_result r;
    size_t i;
    if (err && errcap) err[0] = '\0';
    if (out == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    *out = NULL;
    if (opts == NULL) { memset(&none, 0, sizeof none); opts = &none; }
    if (crioimg_allocator_check(&opts->alloc) != CRIOIMG_OK ||
        (opts->ninsecure && opts->insecure_registries == NULL) || (opts->nregistries && opts->registries == NULL) ||
        (opts->default_transport && strlen(opts->default_transport) >= 64))
        return CRIOIMG_ERR_INVALID_ARGS;
    if ((svc = (crioimg_service *)crioimg_malloc(&opts->alloc, sizeof *svc)) == NULL) return CRIOIMG_ERR_NOMEM;
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
    if ((r = crioimg_registries_new(&svc->reg, &ro)) != CRIOIMG_OK) { crioimg_free(&opts->alloc, svc); return r; }
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
static crioimg_result crioimg__svc_choose(crioimg_image_source *src, const crioimg_pull_options *opts, char *err, size_t errcap)
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
    if (r == CRIOIMG_OK) {
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

/* Tries one pull source of the name pulled: location (a qualified reference), reached as insecure when
   the insecure-registry logic or registries.conf (conf_insecure) says so. The caller's credentials go
   only to the pulled name's own registry: a mirror elsewhere gets its own from the auth files, as
   containers/image drops DockerAuthConfig for a mirror on another domain. */
static crioimg_result crioimg__svc_try(crioimg_service *svc, crioimg_image_source *src, const char *pulled, const char *location,
                                       int conf_insecure, const crioimg_pull_options *opts)
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
    r = crioimg_registry_open(&src->registry, host, &ro);
    if (r != CRIOIMG_OK) { crioimg__svc_note(svc, src->location, crioimg_result_str(r)); return r; }
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
        r = crioimg__svc_choose(src, opts, err, sizeof err);
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

crioimg_result crioimg_service_open_source(crioimg_service *svc, const char *name, const crioimg_pull_options *opts,
                                           crioimg_image_source **out)
{
    crioimg_pull_options none;
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
    if ((src = (crioimg_image_source *)crioimg_malloc(&opts->registry.alloc, sizeof *src)) == NULL) {
        crioimg_candidates_free(&cands);
        return CRIOIMG_ERR_NOMEM;
    }
    memset(src, 0, sizeof *src);
    src->alloc = opts->registry.alloc;
    for (i = 0; i < cands.n && last != CRIOIMG_OK && last != CRIOIMG_ERR_CANCELLED; i++) {
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

crioimg_result crioimg_service_can_pull(crioimg_service *svc, const char *name, const crioimg_pull_options *opts)
{
    crioimg_image_source *src;
    crioimg_result r = crioimg_service_open_source(svc, name, opts, &src);
    crioimg_image_source_free(src);
    return r;
}
