/* ---------------------------------------------------------------------------------------------------
   short names and pull sources under the loaded registries.conf (containers/image pkg/shortnames and
   sysregistriesv2's FindRegistry / PullSourcesFromReference)
   --------------------------------------------------------------------------------------------------- */

#include "registries_internal.h"

/* ---- prefixes: refMatchingPrefix, FindRegistry ---- */

/* The length of prefix's match in ref, or -1. */
CRIOIMG__LIB long crioimg__prefix_match(const char *ref, size_t rl, const char *prefix)
{
    size_t pl = strlen(prefix);
    if (pl >= 2 && prefix[0] == '*' && prefix[1] == '.') {
        /* "*.example.com": ".example.com" inside the host part, then the end or a boundary */
        const char *sub = prefix + 1;
        size_t sl = pl - 1, i, idx = (size_t)-1;
        for (i = 0; i + sl <= rl; i++) if (memcmp(ref + i, sub, sl) == 0) { idx = i; break; }
        if (idx == (size_t)-1 || memchr(ref, '/', idx) != NULL) return -1;
        idx += sl;
        if (idx == rl || ref[idx] == ':' || ref[idx] == '/' || ref[idx] == '@') return (long)idx;
        return -1;
    }
    if (rl < pl || memcmp(ref, prefix, pl) != 0) return -1;
    if (rl == pl) return (long)pl;
    /* Go lets "example.com:5000" match "example.com" (':' is a boundary); kept for the same answers */
    if (ref[pl] == ':' || ref[pl] == '/' || ref[pl] == '@') return (long)pl;
    return -1;
}

CRIOIMG__LIB crioimg__regent *crioimg__find_registry(const crioimg__conf *c, const char *ref, size_t rl)
{
    crioimg__regent *best = NULL;
    size_t i, bl = 0;
    if (c == NULL) return NULL;
    for (i = 0; i < c->nregs; i++)
        if (crioimg__prefix_match(ref, rl, c->regs[i].prefix) != -1 && strlen(c->regs[i].prefix) > bl) {
            best = &c->regs[i];
            bl = strlen(best->prefix);
        }
    return best;
}

/* ---- short names (containers/image pkg/shortnames.Resolve) ---- */

/* "FMT-prefix \"name\": go-error" into r->err */
CRIOIMG__LIB crioimg_result crioimg__reg_fail_q(crioimg_registries *r, crioimg_result code, const char *a, const char *q, size_t qn,
                                                const char *b, const char *q2, const char *c)
{
    crioimg__out o;
    char buf[300];
    size_t l;
    o.p = r->err; o.cap = sizeof r->err; o.len = 0;
    r->err[0] = '\0';
    crioimg__out_str(&o, a);
    if (q) { l = crioimg_json_quote(buf, sizeof buf, q, qn); crioimg__out_put(&o, buf, l < sizeof buf ? l : sizeof buf - 1); }
    if (b) crioimg__out_str(&o, b);
    if (q2) { l = crioimg_json_quote(buf, sizeof buf, q2, strlen(q2)); crioimg__out_put(&o, buf, l < sizeof buf ? l : sizeof buf - 1); }
    if (c) crioimg__out_str(&o, c);
    return code;
}

/* A candidate from a reference: TagNameOnly, then its String(). */
CRIOIMG__LIB crioimg_result crioimg__cand_ref(crioimg_candidates *out, crioimg_candidate_rule rule, crioimg_ref *ref, const char *origin)
{
    char s[CRIOIMG_REF_STRING_MAX + 1];
    size_t l;
    crioimg_ref_tag_name_only(ref);
    l = crioimg_ref_string(ref, s, sizeof s);
    return crioimg__cand_add(out, rule, s, l, NULL, 0, origin, strlen(origin));
}

CRIOIMG__LIB crioimg_result crioimg__shortnames_resolve(crioimg_registries *r, const char *name, size_t n, crioimg_candidates *out)
{
    crioimg__conf *c = r->conf;
    crioimg_ref ref, nref;
    crioimg_result res;
    char gerr[300], key[CRIOIMG_REF_NAME_MAX + 1];
    size_t i;
    int mode = c->mode ? c->mode : CRIOIMG_SHORT_NAME_PERMISSIVE;
    res = crioimg_ref_parse(&ref, name, n);
    if (res != CRIOIMG_OK) {
        crioimg_ref_error_message(res, name, n, gerr, sizeof gerr);
        return crioimg__reg_fail_q(r, res, "cannot parse input: ", name, n, ": ", NULL, gerr);
    }
    if (crioimg__ref_has_registry(&ref)) {
        res = crioimg_ref_parse_normalized(&nref, name, n);
        if (res != CRIOIMG_OK) {
            crioimg_ref_error_message(res, name, n, gerr, sizeof gerr);
            return crioimg__reg_fail_q(r, res, "cannot normalize input: ", name, n, ": ", NULL, gerr);
        }
        return crioimg__cand_ref(out, CRIOIMG_CANDIDATE_QUALIFIED, &nref, "");
    }
    /* an alias, looked up by the name as written without tag or digest */
    memcpy(key, ref.name, ref.name_len + 1);
    for (i = 0; i < c->naliases; i++) {
        if (strcmp(c->aliases[i].name, key) != 0 || c->aliases[i].value == NULL) continue;
        /* the alias is a normalised name (crioimg__alias_check made it one), and the tag and digest are
           the input's, parsed above: all valid already, so they are put together as they are */
        if ((res = crioimg_ref_parse(&nref, c->aliases[i].value, strlen(c->aliases[i].value))) != CRIOIMG_OK) return res;
        memcpy(nref.tag, ref.tag, ref.tag_len + 1u);
        nref.tag_len = ref.tag_len;
        memcpy(nref.digest, ref.digest, ref.digest_len + 1u);
        nref.digest_len = ref.digest_len;
        return crioimg__cand_ref(out, CRIOIMG_CANDIDATE_ALIAS, &nref, c->aliases[i].file);
    }
    if (c->nsearch == 0) {
        if (c->search_origin && c->search_origin[0])
            return crioimg__reg_fail_q(r, CRIOIMG_ERR_SHORT_NAME, "short-name ", name, n,
                                       " did not resolve to an alias and no unqualified-search registries are defined in ", c->search_origin, NULL);
        return crioimg__reg_fail_q(r, CRIOIMG_ERR_SHORT_NAME, "short-name ", name, n,
                                   " did not resolve to an alias and no containers-registries.conf(5) was found", NULL, NULL);
    }
    for (i = 0; i < c->nsearch; i++) {
        char full[CRIOIMG_REF_STRING_MAX + CRIOIMG_REF_NAME_MAX + 8];
        size_t sl = strlen(c->search[i]);
        if (sl + 1 + n > sizeof full) {
            res = CRIOIMG_ERR_REF_NAME_TOO_LONG;
        } else {
            memcpy(full, c->search[i], sl);
            full[sl] = '/';
            memcpy(full + sl + 1, name, n);
            res = crioimg_ref_parse_normalized(&nref, full, sl + 1 + n);
        }
        if (res != CRIOIMG_OK) {
            crioimg_ref_error_message(res, name, n, gerr, sizeof gerr);
            crioimg_candidates_free(out);
            out->alloc = r->alloc;
            return crioimg__reg_fail_q(r, res, "creating reference with unqualified-search registry ", c->search[i], sl, ": ", NULL, gerr);
        }
        if ((res = crioimg__cand_ref(out, CRIOIMG_CANDIDATE_UNQUALIFIED, &nref, c->search[i])) != CRIOIMG_OK) {
            crioimg_candidates_free(out);
            out->alloc = r->alloc;
            return res;
        }
    }
    if (mode == CRIOIMG_SHORT_NAME_DISABLED || out->n == 1 || mode == CRIOIMG_SHORT_NAME_PERMISSIVE) return CRIOIMG_OK;
    /* enforcing, several candidates: containers/image would prompt on a terminal; a library cannot */
    crioimg_candidates_free(out);
    out->alloc = r->alloc;
    return crioimg__reg_fail_q(r, CRIOIMG_ERR_SHORT_NAME, "short-name resolution enforced but cannot prompt without a TTY", NULL, 0, NULL, NULL, NULL);
}

/* ---- pull sources (PullSourcesFromReference) ---- */

CRIOIMG__LIB crioimg_result crioimg__rewrite(crioimg_registries *r, crioimg_candidates *out, crioimg_candidate_rule rule,
                                             const crioimg__endpoint *ep, const crioimg__regent *g, const char *rs, size_t rl)
{
    long pl = crioimg__prefix_match(rs, rl, g->prefix);
    char buf[CRIOIMG_REF_STRING_MAX + 600];
    crioimg_ref nref;
    crioimg_result res;
    size_t ll = strlen(ep->location);
    if (pl < 0) return crioimg__reg_fail_q(r, CRIOIMG_ERR_REGISTRIES_CONF, "invalid prefix '", NULL, 0, g->prefix, NULL, "' for reference");
    if (ll == 0) {
        if (!crioimg__wildcard(g->prefix))
            return crioimg__reg_fail_q(r, CRIOIMG_ERR_REGISTRIES_CONF, "invalid prefix '", NULL, 0, g->prefix, NULL,
                                       "' for empty location, should be in the format: *.example.com");
        res = crioimg__cand_add(out, rule, rs, rl, NULL, 0, "", 0);
    } else {
        if (ll + (rl - (size_t)pl) >= sizeof buf) return crioimg__reg_fail_q(r, CRIOIMG_ERR_REF_NAME_TOO_LONG, "rewriting reference: repository name must not be more than 255 characters", NULL, 0, NULL, NULL, NULL);
        memcpy(buf, ep->location, ll);
        memcpy(buf + ll, rs + pl, rl - (size_t)pl);
        res = crioimg_ref_parse_named(&nref, buf, ll + rl - (size_t)pl);
        if (res != CRIOIMG_OK) {
            char gerr[300];
            crioimg_ref_error_message(res, buf, ll + rl - (size_t)pl, gerr, sizeof gerr);
            return crioimg__reg_fail_q(r, res, "rewriting reference: ", NULL, 0, NULL, NULL, gerr);
        }
        {
            char s[CRIOIMG_REF_STRING_MAX + 1];
            size_t l = crioimg_ref_string(&nref, s, sizeof s);
            res = crioimg__cand_add(out, rule, s, l, NULL, 0, ep->location, ll);
        }
    }
    if (res == CRIOIMG_OK) out->items[out->n - 1].insecure = ep->insecure;
    return res;
}

crioimg_result crioimg_registries_pull_sources(crioimg_registries *r, const char *name, size_t n, crioimg_candidates *out)
{
    crioimg_ref ref;
    crioimg_result res;
    char rs[CRIOIMG_REF_STRING_MAX + 1];
    size_t rl, i;
    crioimg__regent *g;
    int digested;
    if (out) memset(out, 0, sizeof *out);
    if (r == NULL || out == NULL || (name == NULL && n)) return CRIOIMG_ERR_INVALID_ARGS;
    out->alloc = r->alloc;
    r->err[0] = '\0';
    res = crioimg_ref_parse(&ref, name, n);
    if (res == CRIOIMG_OK && !crioimg__ref_has_registry(&ref))
        return crioimg__reg_fail_q(r, CRIOIMG_ERR_SHORT_NAME, "", name, n, " is a short name: resolve it first", NULL, NULL);
    res = crioimg_ref_parse_normalized(&ref, name, n);
    if (res != CRIOIMG_OK) { crioimg_ref_error_message(res, name, n, r->err, sizeof r->err); return res; }
    rl = crioimg_ref_string(&ref, rs, sizeof rs);
    digested = ref.digest_len > 0;
    g = crioimg__find_registry(r->conf, ref.name, ref.name_len);
    if (g == NULL) {
        size_t dl;
        const char *d = crioimg_ref_domain(&ref, &dl);
        return crioimg__cand_add(out, CRIOIMG_CANDIDATE_PRIMARY, rs, rl, NULL, 0, d, dl);
    }
    if (g->blocked) {
        res = crioimg__reg_fail_q(r, CRIOIMG_ERR_REGISTRY_BLOCKED, "registry ", NULL, 0, NULL, NULL, NULL);
        {
            crioimg__out o;
            o.p = r->err; o.cap = sizeof r->err; o.len = strlen(r->err);
            crioimg__out_str(&o, g->prefix);
            crioimg__out_str(&o, " is blocked in ");
            crioimg__out_str(&o, g->file ? g->file : "registries.conf");
        }
        return res;
    }
    for (i = 0; i < g->nmirrors; i++) {
        const crioimg__endpoint *m = &g->mirrors[i];
        if (g->mirror_by_digest_only ? !digested
                                     : ((m->pull_from_mirror == CRIOIMG__PFM_DIGEST && !digested) || (m->pull_from_mirror == CRIOIMG__PFM_TAG && digested)))
            continue;
        if ((res = crioimg__rewrite(r, out, CRIOIMG_CANDIDATE_MIRROR, m, g, rs, rl)) != CRIOIMG_OK) break;
    }
    if (res == CRIOIMG_OK) res = crioimg__rewrite(r, out, CRIOIMG_CANDIDATE_PRIMARY, &g->ep, g, rs, rl);
    if (res != CRIOIMG_OK) { crioimg_candidates_free(out); out->alloc = r->alloc; }
    return res;
}

/* registries.conf's word on a host: the insecure setting of the [[registry]] whose prefix matches it, or
   of a mirror whose location is on it. 1 insecure (detail gets the prefix or location), else 0. */
CRIOIMG__LIB int crioimg__conf_insecure(const crioimg_registries *r, const char *host, size_t n, char *detail, size_t dcap)
{
    const crioimg__regent *g;
    size_t i, j;
    if (r->conf == NULL) return 0;
    g = crioimg__find_registry(r->conf, host, n);
    if (g && g->ep.insecure) {
        size_t l = strlen(g->prefix);
        if (l >= dcap) l = dcap - 1;
        memcpy(detail, g->prefix, l); detail[l] = '\0';
        return 1;
    }
    for (i = 0; i < r->conf->nregs; i++)
        for (j = 0; j < r->conf->regs[i].nmirrors; j++) {
            const crioimg__endpoint *m = &r->conf->regs[i].mirrors[j];
            size_t ml = strcspn(m->location, "/");
            if (m->insecure && ml == n && memcmp(m->location, host, n) == 0) {
                if (ml >= dcap) ml = dcap - 1;
                memcpy(detail, m->location, ml); detail[ml] = '\0';
                return 1;
            }
        }
    return 0;
}
