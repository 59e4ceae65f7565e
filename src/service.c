/* ---------------------------------------------------------------------------------------------------
   service implementation
   --------------------------------------------------------------------------------------------------- */

struct crioimg_service {
    crioimg_allocator alloc;
    crioimg_store *store;          /* borrowed */
    crioimg_registries *reg;
    crioimg_image_ids ids;         /* the registries' way into the store's IDs */
    char transport[64];
    char err[256];
};

/* The seed's truncated-ID expansion: only an image ID may match (never a name that looks like hex). */
static crioimg_result crioimg__svc_expand(void *user, const char *prefix, size_t n, char id[65])
{
    crioimg_service *svc = (crioimg_service *)user;
    crioimg_image_list l;
    char p[65];
    crioimg_result r;
    if (n < 3 || n > 64) return CRIOIMG_ERR_NOT_FOUND;
    memcpy(p, prefix, n);
    p[n] = '\0';
    if (!crioimg_id_is_prefix(p, n, 3)) return CRIOIMG_ERR_NOT_FOUND;
    r = crioimg_store_image_status(svc->store, p, &l);
    if (r == CRIOIMG_OK && l.n == 1 && strncmp(l.images[0].id, p, n) == 0) memcpy(id, l.images[0].id, 65);
    else r = CRIOIMG_ERR_NOT_FOUND;  /* none, several, or a name: not an ID prefix */
    crioimg_image_list_free(&l);
    return r;
}

static crioimg_result crioimg__svc_fail(crioimg_service *svc, crioimg_result r, const char *what)
{
    crioimg__out o;
    o.p = svc->err; o.cap = sizeof svc->err; o.len = 0;
    crioimg__out_str(&o, what && *what ? what : crioimg_result_str(r));
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
    if (store == NULL || crioimg_allocator_check(&opts->alloc) != CRIOIMG_OK ||
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
        crioimg__out o;
        o.p = err; o.cap = err ? errcap : 0; o.len = 0;
        crioimg__out_str(&o, crioimg_registries_error(svc->reg)[0] ? crioimg_registries_error(svc->reg) : crioimg_result_str(r));
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
    crioimg_free(&a, svc);
}

const char *crioimg_service_error(const crioimg_service *svc) { return svc ? svc->err : ""; }
crioimg_store *crioimg_service_store(crioimg_service *svc) { return svc ? svc->store : NULL; }
crioimg_registries *crioimg_service_registries(crioimg_service *svc) { return svc ? svc->reg : NULL; }
const char *crioimg_service_default_transport(const crioimg_service *svc) { return svc ? svc->transport : ""; }

/* A store operation's result, with the store's message kept on the service */
static crioimg_result crioimg__svc_store(crioimg_service *svc, crioimg_result r)
{
    svc->err[0] = '\0';
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
