/* ---------------------------------------------------------------------------------------------------
   registries.conf implementation: the TOML tree (src/toml.c) into the registries configuration, and
   the files and drop-in directories it comes from
   --------------------------------------------------------------------------------------------------- */

#include "registries_internal.h"

#include <stdlib.h>  /* qsort, getenv */

/* ===================================================================================================
   registries.conf (containers-registries.conf(5), v2, and v1 converted), read by src/toml.c as its decoder reads it
   =================================================================================================== */

CRIOIMG__LIB void crioimg__strlist_free(const crioimg_allocator *a, char **l, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) crioimg_free(a, l[i]);
    crioimg_free(a, l);
}

CRIOIMG__LIB void crioimg__regent_free(const crioimg_allocator *a, crioimg__regent *g)
{
    size_t i;
    crioimg_free(a, g->prefix);
    crioimg_free(a, g->ep.location);
    crioimg_free(a, g->ep.pfm_text);
    for (i = 0; i < g->nmirrors; i++) { crioimg_free(a, g->mirrors[i].location); crioimg_free(a, g->mirrors[i].pfm_text); }
    crioimg_free(a, g->mirrors);
}

CRIOIMG__LIB void crioimg__conf_free(const crioimg_allocator *a, struct crioimg__conf *c)
{
    size_t i;
    if (c == NULL) return;
    for (i = 0; i < c->nregs; i++) crioimg__regent_free(a, &c->regs[i]);
    crioimg_free(a, c->regs);
    crioimg__strlist_free(a, c->search, c->nsearch);
    crioimg__strlist_free(a, c->helpers, c->nhelpers);
    for (i = 0; i < c->naliases; i++) { crioimg_free(a, c->aliases[i].name); crioimg_free(a, c->aliases[i].value); }
    crioimg_free(a, c->aliases);
    crioimg__strlist_free(a, c->v1_search, c->nv1_search);
    crioimg__strlist_free(a, c->v1_insecure, c->nv1_insecure);
    crioimg__strlist_free(a, c->v1_block, c->nv1_block);
    crioimg_free(a, c);
}

CRIOIMG__LIB void crioimg__reg_warn(crioimg_registries *r, crioimg__toml *t, unsigned long line, const char *what, const char *k)
{
    char save[512];
    memcpy(save, r->err, sizeof save);
    crioimg__toml_fail(t, line, what, k, strlen(k));
    memcpy(r->warn, r->err, sizeof r->warn - 1);
    r->warn[sizeof r->warn - 1] = '\0';
    memcpy(r->err, save, sizeof save);
}

CRIOIMG__LIB crioimg__pfm crioimg__pfm_parse(const char *s)
{
    if (strcmp(s, "all") == 0) return CRIOIMG__PFM_ALL;
    if (strcmp(s, "digest-only") == 0) return CRIOIMG__PFM_DIGEST;
    if (strcmp(s, "tag-only") == 0) return CRIOIMG__PFM_TAG;
    if (s[0] == '\0') return CRIOIMG__PFM_UNSET;
    return CRIOIMG__PFM_BAD;
}

/* ---- the TOML tree into sysregistriesv2's structs, as BurntSushi/toml's decoder fills them ---- */

/* Field names of the Go structs (their toml tags), each list one string of NUL-separated names ending
   at an empty one (the literal's own NUL): no table of pointers, each of which would cost a relocation
   in a position-independent program. */
static const char crioimg__f_root[] = "registry\0unqualified-search-registries\0credential-helpers\0short-name-mode\0"
                                      "aliases\0registries\0";
static const char crioimg__f_registry[] = "prefix\0location\0insecure\0pull-from-mirror\0mirror\0blocked\0mirror-by-digest-only\0";
static const char crioimg__f_endpoint[] = "location\0insecure\0pull-from-mirror\0";
static const char crioimg__f_v1[] = "search\0insecure\0block\0";
static const char crioimg__f_v1list[] = "registries\0";

/* strings.EqualFold(key, field) for a field name of lower-case ASCII letters and '-': besides ASCII
   case, U+017F (long s) folds to s and U+212A (Kelvin sign) to k, as Go's Unicode folding has it */
CRIOIMG__LIB int crioimg__fold_eq(const char *key, const char *field)
{
    const unsigned char *k = (const unsigned char *)key;
    for (; *field; field++) {
        char f = *field;
        if (*k == (unsigned char)f || (f >= 'a' && f <= 'z' && *k == (unsigned char)(f - 'a' + 'A'))) { k++; continue; }
        if (f == 's' && k[0] == 0xc5 && k[1] == 0xbf) { k += 2; continue; }
        if (f == 'k' && k[0] == 0xe2 && k[1] == 0x84 && k[2] == 0xaa) { k += 3; continue; }
        return 0;
    }
    return *k == '\0';
}

/* Which field a key sets, as the decoder picks it: the exact name first, else the first that folds
   equal; -1 for none (the key is ignored, as the decoder ignores it). */
CRIOIMG__LIB int crioimg__field_of(const char *fields, const char *key)
{
    int i, fold = -1;
    for (i = 0; *fields; i++, fields += strlen(fields) + 1) {
        if (strcmp(fields, key) == 0) return i;
        if (fold < 0 && crioimg__fold_eq(key, fields)) fold = i;
    }
    return fold;
}

/* The fields the members of table set, into slot[] (NULL: unset), with a warning for unknown keys. Two
   keys on one field (location and Location) are refused: the decoder would keep either, by map order;
   except for a struct field (bit f of structs) given two tables: the decoder fills the one struct from
   both, and so does the caller, from every member on that field (crioimg__v1_read). */
CRIOIMG__LIB crioimg_result crioimg__fields(crioimg_registries *r, crioimg__toml *t, const crioimg__tnode *table, const char *fields,
                                            const crioimg__tnode **slot, unsigned structs)
{
    size_t i, nf = 0;
    const char *f0;
    for (f0 = fields; *f0; f0 += strlen(f0) + 1) slot[nf++] = NULL;
    for (i = 0; i < table->nkids; i++) {
        const crioimg__tnode *k = table->kids[i];
        int f = crioimg__field_of(fields, k->key);
        if (f < 0) { crioimg__reg_warn(r, t, k->line, "unknown key ignored:", k->key); continue; }
        if (slot[f] && (structs >> f & 1u) && slot[f]->type == CRIOIMG__TN_TABLE && k->type == CRIOIMG__TN_TABLE) continue;
        if (slot[f]) {
            char msg[160];
            crioimg__out o;
            o.p = msg; o.cap = sizeof msg; o.len = 0;
            crioimg__out_str(&o, "keys that differ only in case set one field: ");
            o.len += crioimg_json_quote(msg + o.len, o.len < sizeof msg ? sizeof msg - o.len : 0, slot[f]->key, strlen(slot[f]->key));
            if (o.len >= sizeof msg) o.len = sizeof msg - 1;
            crioimg__out_str(&o, " and");
            return crioimg__toml_fail(t, k->line, msg, k->key, strlen(k->key));
        }
        slot[f] = k;
    }
    return CRIOIMG_OK;
}

/* by node type, NUL-separated as the field lists above */
static const char crioimg__tn_names[] = "?\0a string\0an integer\0a float\0a boolean\0a date-time\0an array\0a table";

/* a type mismatch, where the decoder refuses one */
CRIOIMG__LIB crioimg_result crioimg__toml_type(crioimg__toml *t, const crioimg__tnode *v, const char *key, const char *want)
{
    char what[128];
    crioimg__out o;
    o.p = what; o.cap = sizeof what; o.len = 0;
    crioimg__out_str(&o, "incompatible types: expected ");
    crioimg__out_str(&o, want);
    crioimg__out_str(&o, ", found ");
    {
        const char *n = crioimg__tn_names;
        unsigned k;
        for (k = 0; k < (v->type < 8 ? (unsigned)v->type : 0u); k++) n += strlen(n) + 1;
        crioimg__out_str(&o, n);
    }
    crioimg__out_str(&o, ", for key");
    return crioimg__toml_fail(t, v->line, what, key, strlen(key));
}

/* A string field: NULL when unset; else the string (taken from the tree) or a type error. */
CRIOIMG__LIB crioimg_result crioimg__want_str(crioimg__toml *t, const crioimg__tnode *v, const char *key, char **dst)
{
    if (v == NULL) return CRIOIMG_OK;
    if (v->type != CRIOIMG__TN_STRING) return crioimg__toml_type(t, v, key, "a string");
    crioimg_free(t->a, *dst);
    *dst = v->str;
    ((crioimg__tnode *)v)->str = NULL;
    return CRIOIMG_OK;
}

CRIOIMG__LIB crioimg_result crioimg__want_bool(crioimg__toml *t, const crioimg__tnode *v, const char *key, int *dst)
{
    if (v == NULL) return CRIOIMG_OK;
    if (v->type != CRIOIMG__TN_BOOL) return crioimg__toml_type(t, v, key, "a boolean");
    *dst = v->b;
    return CRIOIMG_OK;
}

/* A []string field: the strings taken from the tree into a new list. */
CRIOIMG__LIB crioimg_result crioimg__want_strs(crioimg__toml *t, const crioimg__tnode *v, const char *key, char ***dst, size_t *n)
{
    size_t i;
    char **l;
    if (v->type != CRIOIMG__TN_ARRAY) return crioimg__toml_type(t, v, key, "an array of strings");
    for (i = 0; i < v->nkids; i++) if (v->kids[i]->type != CRIOIMG__TN_STRING) return crioimg__toml_type(t, v->kids[i], key, "a string in the array");
    if ((l = (char **)crioimg_malloc(t->a, (v->nkids ? v->nkids : 1) * sizeof *l)) == NULL) return CRIOIMG_ERR_NOMEM;
    for (i = 0; i < v->nkids; i++) { l[i] = v->kids[i]->str; v->kids[i]->str = NULL; }
    crioimg__strlist_free(t->a, *dst, *n);
    *dst = l;
    *n = v->nkids;
    return CRIOIMG_OK;
}

/* Endpoint's fields (location, insecure, pull-from-mirror) from slots 0..2 of s. */
CRIOIMG__LIB crioimg_result crioimg__endpoint_read(crioimg__toml *t, const crioimg__tnode *const *s, crioimg__endpoint *ep)
{
    crioimg_result res;
    if ((res = crioimg__want_str(t, s[0], s[0] ? s[0]->key : "", &ep->location)) != CRIOIMG_OK) return res;
    if ((res = crioimg__want_bool(t, s[1], s[1] ? s[1]->key : "", &ep->insecure)) != CRIOIMG_OK) return res;
    if ((res = crioimg__want_str(t, s[2], s[2] ? s[2]->key : "", &ep->pfm_text)) != CRIOIMG_OK) return res;
    if (ep->pfm_text) ep->pull_from_mirror = crioimg__pfm_parse(ep->pfm_text);
    return CRIOIMG_OK;
}

/* One [[registry]] (a table in the registry array). */
CRIOIMG__LIB crioimg_result crioimg__registry_read(crioimg_registries *r, crioimg__toml *t, crioimg__conf *c, const crioimg__tnode *tab)
{
    const crioimg__tnode *s[8];
    crioimg__regent *g;
    crioimg_result res;
    size_t i;
    if (!crioimg__reg_grow(t->a, (void **)&c->regs, c->nregs, &c->capr, sizeof *c->regs)) return CRIOIMG_ERR_NOMEM;
    g = &c->regs[c->nregs++];
    memset(g, 0, sizeof *g);
    g->line = tab->line;
    g->file = t->file;
    if ((res = crioimg__fields(r, t, tab, crioimg__f_registry, s, 0)) != CRIOIMG_OK) return res;
    if ((res = crioimg__want_str(t, s[0], s[0] ? s[0]->key : "", &g->prefix)) != CRIOIMG_OK) return res;
    if ((res = crioimg__endpoint_read(t, s + 1, &g->ep)) != CRIOIMG_OK) return res;
    if ((res = crioimg__want_bool(t, s[5], s[5] ? s[5]->key : "", &g->blocked)) != CRIOIMG_OK) return res;
    if ((res = crioimg__want_bool(t, s[6], s[6] ? s[6]->key : "", &g->mirror_by_digest_only)) != CRIOIMG_OK) return res;
    if (s[4] == NULL) return CRIOIMG_OK;
    if (s[4]->type != CRIOIMG__TN_ARRAY) return crioimg__toml_type(t, s[4], s[4]->key, "an array of tables");
    for (i = 0; i < s[4]->nkids; i++) {
        const crioimg__tnode *m = s[4]->kids[i], *ms[3];
        crioimg__endpoint *ep;
        if (m->type != CRIOIMG__TN_TABLE) return crioimg__toml_type(t, m, s[4]->key, "a table in the array");
        if (!crioimg__reg_grow(t->a, (void **)&g->mirrors, g->nmirrors, &g->capm, sizeof *g->mirrors)) return CRIOIMG_ERR_NOMEM;
        ep = &g->mirrors[g->nmirrors++];
        memset(ep, 0, sizeof *ep);
        if ((res = crioimg__fields(r, t, m, crioimg__f_endpoint, ms, 0)) != CRIOIMG_OK) return res;
        if ((res = crioimg__endpoint_read(t, ms, ep)) != CRIOIMG_OK) return res;
    }
    return CRIOIMG_OK;
}

/* registries (v1): a struct of three structs (search, insecure, block) of one []string each. One list
   set by two spellings (the decoder keeps either) is refused as crioimg__fields refuses it. */
CRIOIMG__LIB crioimg_result crioimg__v1_read(crioimg_registries *r, crioimg__toml *t, crioimg__conf *c, const crioimg__tnode *v, unsigned long *lines)
{
    const crioimg__tnode *v1[3];
    crioimg_result res;
    size_t j;
    if (v->type != CRIOIMG__TN_TABLE) return crioimg__toml_type(t, v, v->key, "a table");
    if ((res = crioimg__fields(r, t, v, crioimg__f_v1, v1, 7u)) != CRIOIMG_OK) return res;
    for (j = 0; j < v->nkids; j++) {
        const crioimg__tnode *sub = v->kids[j], *l;
        int f = crioimg__field_of(crioimg__f_v1, sub->key);
        char ***dst = f == 0 ? &c->v1_search : f == 1 ? &c->v1_insecure : &c->v1_block;
        size_t *dn = f == 0 ? &c->nv1_search : f == 1 ? &c->nv1_insecure : &c->nv1_block;
        if (f < 0) continue;
        if (sub->type != CRIOIMG__TN_TABLE) return crioimg__toml_type(t, sub, sub->key, "a table");
        if ((res = crioimg__fields(r, t, sub, crioimg__f_v1list, &l, 0)) != CRIOIMG_OK) return res;
        if (l == NULL) continue;
        if (c->v1_set & (1u << f)) return crioimg__toml_fail(t, l->line, "keys that differ only in case set one field:", l->key, strlen(l->key));
        c->v1_set |= 1u << f;
        if ((res = crioimg__want_strs(t, l, l->key, dst, dn)) != CRIOIMG_OK) return res;
        if (*dn) c->v1 = 1;
        if (f == 0) { c->has_v1_search = 1; lines[0] = l->line; }
    }
    return CRIOIMG_OK;
}

/* Applies one file's TOML tree to c (no checks beyond types yet). lines[0]: the line of the search
   list, lines[1]: of short-name-mode. */
CRIOIMG__LIB crioimg_result crioimg__conf_apply(crioimg_registries *r, crioimg__toml *t, crioimg__tnode *root, crioimg__conf *c, unsigned long *lines)
{
    const crioimg__tnode *s[6], *v;
    crioimg_result res;
    size_t i;
    if ((res = crioimg__fields(r, t, root, crioimg__f_root, s, 1u << 5)) != CRIOIMG_OK) return res;
    if ((v = s[0]) != NULL) {  /* registry: []Registry */
        if (v->type != CRIOIMG__TN_ARRAY) return crioimg__toml_type(t, v, v->key, "an array of tables");
        for (i = 0; i < v->nkids; i++) {
            if (v->kids[i]->type != CRIOIMG__TN_TABLE) return crioimg__toml_type(t, v->kids[i], v->key, "a table in the array");
            if ((res = crioimg__registry_read(r, t, c, v->kids[i])) != CRIOIMG_OK) return res;
        }
        if (c->nregs) c->v2 = 1;
    }
    if ((v = s[1]) != NULL) {
        if ((res = crioimg__want_strs(t, v, v->key, &c->search, &c->nsearch)) != CRIOIMG_OK) return res;
        c->has_search = 1;
        lines[0] = v->line;
        if (c->nsearch) c->v2 = 1;
    }
    if ((v = s[2]) != NULL) {
        if ((res = crioimg__want_strs(t, v, v->key, &c->helpers, &c->nhelpers)) != CRIOIMG_OK) return res;
        c->has_helpers = 1;
        if (c->nhelpers) c->v2 = 1;
    }
    if ((v = s[3]) != NULL) {
        if (v->type != CRIOIMG__TN_STRING) return crioimg__toml_type(t, v, v->key, "a string");
        lines[1] = v->line;
        if (strcmp(v->str, "enforcing") == 0) c->mode = CRIOIMG_SHORT_NAME_ENFORCING;
        else if (strcmp(v->str, "permissive") == 0) c->mode = CRIOIMG_SHORT_NAME_PERMISSIVE;
        else if (strcmp(v->str, "disabled") == 0) c->mode = CRIOIMG_SHORT_NAME_DISABLED;
        else if (v->str[0] != '\0') return crioimg__toml_fail(t, v->line, "invalid short-name mode:", v->str, strlen(v->str));
        if (v->str[0]) c->v2 = 1;
    }
    /* aliases: map[string]string, its keys as written; a value that is no table at all ([[aliases]],
       aliases = 1) the decoder leaves alone, so it is ignored here too */
    if ((v = s[4]) != NULL && v->type == CRIOIMG__TN_TABLE) {
        for (i = 0; i < v->nkids; i++) {
            crioimg__tnode *e = v->kids[i];
            crioimg__alias *al;
            if (e->type != CRIOIMG__TN_STRING) return crioimg__toml_type(t, e, e->key, "a string");
            if (!crioimg__reg_grow(t->a, (void **)&c->aliases, c->naliases, &c->capa, sizeof *c->aliases)) return CRIOIMG_ERR_NOMEM;
            al = &c->aliases[c->naliases++];
            al->name = e->key; al->value = e->str; al->file = t->file; al->line = e->line;
            e->key = NULL; e->str = NULL;
            c->v2 = 1;
        }
    }
    for (i = 0; s[5] && i < root->nkids; i++)  /* registries: the v1 struct, from each spelling of it */
        if (crioimg__field_of(crioimg__f_root, root->kids[i]->key) == 5 && (res = crioimg__v1_read(r, t, c, root->kids[i], lines)) != CRIOIMG_OK)
            return res;
    return CRIOIMG_OK;
}

/* parseLocation: trailing '/' dropped (in place); URI schemes refused. 0 on error (message set). */
CRIOIMG__LIB int crioimg__parse_location(crioimg__toml *t, unsigned long line, char *loc)
{
    size_t n = strlen(loc), orig = n;
    while (n > 0 && loc[n - 1] == '/') n--;
    if ((n >= 7 && memcmp(loc, "http://", 7) == 0) || (n >= 8 && memcmp(loc, "https://", 8) == 0)) {
        char msg[300];
        crioimg__out o;
        o.p = msg; o.cap = sizeof msg; o.len = 0;
        crioimg__out_str(&o, "invalid location '");
        crioimg__out_put(&o, loc, orig);
        crioimg__out_str(&o, "': URI schemes are not supported");
        crioimg__toml_fail(t, line, msg, NULL, 0);
        return 0;
    }
    loc[n] = '\0';
    return 1;
}

/* "a \"arg\" b \"arg2\" c" as one message at line (a NULL part is left out) */
CRIOIMG__LIB crioimg_result crioimg__conf_fail3(crioimg__toml *t, unsigned long line, const char *a, const char *arg, const char *b,
                                                const char *arg2, const char *c)
{
    char msg[400], q[200];
    const char *part[5];
    crioimg__out o;
    size_t i, ql;
    part[0] = a; part[1] = arg; part[2] = b; part[3] = arg2; part[4] = c;
    o.p = msg; o.cap = sizeof msg; o.len = 0;
    for (i = 0; i < 5; i++) {
        if (part[i] == NULL) continue;
        if (i & 1) { ql = crioimg_json_quote(q, sizeof q, part[i], strlen(part[i])); crioimg__out_put(&o, q, ql < sizeof q ? ql : sizeof q - 1); }
        else crioimg__out_str(&o, part[i]);
    }
    return crioimg__toml_fail(t, line, msg, NULL, 0);
}

/* a "*.example.com" prefix (as a test of two bytes, not strncmp: a libc import costs a program 80 bytes) */
CRIOIMG__LIB int crioimg__wildcard(const char *p)
{
    return p[0] == '*' && p[1] == '.';
}

CRIOIMG__LIB int crioimg__regent_cmp(const void *x, const void *y)
{
    return strcmp(((const crioimg__regent *)x)->prefix, ((const crioimg__regent *)y)->prefix);
}

/* The first component of a (non-normalized) reference names a registry: '.' or ':' in it, or
   "localhost". */
CRIOIMG__LIB int crioimg__ref_has_registry(const crioimg_ref *ref)
{
    size_t dl;
    const char *d = crioimg_ref_domain(ref, &dl);
    return memchr(d, '.', dl) || memchr(d, ':', dl) || (dl == 9 && memcmp(d, "localhost", 9) == 0);
}

/* validateShortName and parseShortNameValue of containers/image, for one [aliases] entry. */
CRIOIMG__LIB crioimg_result crioimg__alias_check(crioimg__toml *t, crioimg__alias *al)
{
    crioimg_ref ref;
    crioimg_result res;
    char gerr[300];
    int k;
    for (k = 0; k < 2; k++) {   /* the short name, then its alias: the same checks, registry the other way */
        const char *v = k ? al->value : al->name, *why;
        if (k && v[0] == '\0') {
            crioimg_free(t->a, al->value);
            al->value = NULL;
            return CRIOIMG_OK;
        }
        res = crioimg_ref_parse(&ref, v, strlen(v));
        if (res != CRIOIMG_OK) {
            crioimg_ref_error_message(res, v, strlen(v), gerr, sizeof gerr);
            return crioimg__conf_fail3(t, al->line, k ? "validating short-name aliases: parsing alias " :
                                       "validating short-name aliases: cannot parse short name: ", v, ": ", NULL, gerr);
        }
        why = ref.digest_len ? ": must not contain digest" : ref.tag_len ? ": must not contain tag" :
              crioimg__ref_has_registry(&ref) != k ? (k ? ": must contain registry and repository" : ": must not contain registry") : NULL;
        if (why) return crioimg__conf_fail3(t, al->line, k ? "validating short-name aliases: invalid alias " :
                                            "validating short-name aliases: invalid short name ", v, why, NULL, NULL);
    }
    res = crioimg_ref_parse_normalized(&ref, al->value, strlen(al->value));
    if (res != CRIOIMG_OK) {
        crioimg_ref_error_message(res, al->value, strlen(al->value), gerr, sizeof gerr);
        return crioimg__conf_fail3(t, al->line, "validating short-name aliases: ", NULL, gerr, NULL, NULL);
    }
    if (strlen(al->value) < ref.name_len) {
        char *p = (char *)crioimg_realloc(t->a, al->value, ref.name_len + 1);
        if (p == NULL) return CRIOIMG_ERR_NOMEM;
        al->value = p;
    }
    memcpy(al->value, ref.name, ref.name_len + 1);
    return CRIOIMG_OK;
}

/* loadConfigFile after the TOML: v1 converted, postProcessRegistries, wildcard and alias checks. */
CRIOIMG__LIB crioimg_result crioimg__conf_check(crioimg_registries *r, crioimg__toml *t, crioimg__conf *c, int force_v2, const unsigned long *lines)
{
    const crioimg_allocator *a = &r->alloc;
    size_t i, j, k;
    if (c->v1) {
        if (force_v2) return crioimg__toml_fail(t, 1, "registry must be in v2 format but is in v1", NULL, 0);
        if (c->v2) return crioimg__toml_fail(t, 1, "mixing sysregistry v1/v2 is not supported", NULL, 0);
        /* ConvertToV2: blocked then insecure registries, one [[registry]] per location, in first-seen order */
        for (k = 0; k < 2; k++) {
            char **l = k == 0 ? c->v1_block : c->v1_insecure;
            size_t ln = k == 0 ? c->nv1_block : c->nv1_insecure;
            for (i = 0; i < ln; i++) {
                crioimg__regent *g = NULL;
                if (!crioimg__parse_location(t, lines[0] ? lines[0] : 1, l[i])) return CRIOIMG_ERR_REGISTRIES_CONF;
                for (j = 0; j < c->nregs; j++) if (strcmp(c->regs[j].ep.location, l[i]) == 0) g = &c->regs[j];
                if (g == NULL) {
                    if (!crioimg__reg_grow(a, (void **)&c->regs, c->nregs, &c->capr, sizeof *c->regs)) return CRIOIMG_ERR_NOMEM;
                    g = &c->regs[c->nregs++];
                    memset(g, 0, sizeof *g);
                    g->line = 1;
                    g->file = t->file;
                    g->ep.location = crioimg__reg_strndup(a, l[i], strlen(l[i]));
                    g->prefix = crioimg__reg_strndup(a, l[i], strlen(l[i]));
                    if (!g->ep.location || !g->prefix) return CRIOIMG_ERR_NOMEM;
                }
                if (k == 0) g->blocked = 1; else g->ep.insecure = 1;
            }
        }
        if (c->has_v1_search) {
            crioimg__strlist_free(a, c->search, c->nsearch);
            c->search = c->v1_search; c->nsearch = c->nv1_search; c->has_search = 1;
            c->v1_search = NULL; c->nv1_search = 0;
        }
    }
    for (i = 0; i < c->nregs; i++) {
        crioimg__regent *g = &c->regs[i];
        if (g->ep.location == NULL && (g->ep.location = crioimg__reg_strndup(a, "", 0)) == NULL) return CRIOIMG_ERR_NOMEM;
        if (!crioimg__parse_location(t, g->line, g->ep.location)) return CRIOIMG_ERR_REGISTRIES_CONF;
        if (g->prefix == NULL || g->prefix[0] == '\0') {
            if (g->ep.location[0] == '\0') return crioimg__toml_fail(t, g->line, "invalid condition: both location and prefix are unset", NULL, 0);
            crioimg_free(a, g->prefix);
            if ((g->prefix = crioimg__reg_strndup(a, g->ep.location, strlen(g->ep.location))) == NULL) return CRIOIMG_ERR_NOMEM;
        } else {
            if (!crioimg__parse_location(t, g->line, g->prefix)) return CRIOIMG_ERR_REGISTRIES_CONF;
            if (!crioimg__wildcard(g->prefix) && g->ep.location[0] == '\0')
                return crioimg__toml_fail(t, g->line, "invalid condition: location is unset and prefix is not in the format: *.example.com", NULL, 0);
        }
        if (g->ep.pfm_text && g->ep.pfm_text[0])
            return crioimg__conf_fail3(t, g->line, "pull-from-mirror must not be set for a non-mirror registry ", g->prefix, NULL, NULL, NULL);
        for (j = 0; j < g->nmirrors; j++) {
            crioimg__endpoint *m = &g->mirrors[j];
            char tmp[512];
            size_t ml;
            if (m->location == NULL && (m->location = crioimg__reg_strndup(a, "", 0)) == NULL) return CRIOIMG_ERR_NOMEM;
            /* Go checks a trimmed copy and keeps the mirror's location as written (it ranges over copies) */
            ml = strlen(m->location);
            if (ml >= sizeof tmp) ml = sizeof tmp - 1;
            memcpy(tmp, m->location, ml);
            tmp[ml] = '\0';
            if (!crioimg__parse_location(t, g->line, tmp)) return CRIOIMG_ERR_REGISTRIES_CONF;
            if (tmp[0] == '\0') return crioimg__toml_fail(t, g->line, "invalid condition: mirror location is unset", NULL, 0);
            if (g->mirror_by_digest_only && m->pfm_text && m->pfm_text[0])
                return crioimg__conf_fail3(t, g->line, "cannot set mirror usage mirror-by-digest-only for the registry (", g->prefix,
                                           ") and pull-from-mirror for per-mirror (", tmp, ") at the same time");
            if (m->pull_from_mirror == CRIOIMG__PFM_BAD)
                return crioimg__conf_fail3(t, g->line, "unsupported pull-from-mirror value ", m->pfm_text, " for mirror ", tmp, NULL);
        }
    }
    /* one location (or wildcard prefix) must not be both secure and insecure, blocked and not */
    for (i = 0; i < c->nregs; i++) {
        const char *ki = c->regs[i].ep.location[0] ? c->regs[i].ep.location : c->regs[i].prefix;
        for (j = 0; j < c->nregs; j++) {
            const char *kj = c->regs[j].ep.location[0] ? c->regs[j].ep.location : c->regs[j].prefix;
            if (strcmp(ki, kj) != 0) continue;
            if (c->regs[i].ep.insecure != c->regs[j].ep.insecure)
                return crioimg__conf_fail3(t, c->regs[j].line, "registry '", NULL, c->regs[i].ep.location, NULL,
                                           "' is defined multiple times with conflicting 'insecure' setting");
            if (c->regs[i].blocked != c->regs[j].blocked)
                return crioimg__conf_fail3(t, c->regs[j].line, "registry '", NULL, c->regs[i].ep.location, NULL,
                                           "' is defined multiple times with conflicting 'blocked' setting");
        }
    }
    for (i = 0; i < c->nsearch; i++) {
        size_t hl;
        int br;
        if (!crioimg__parse_location(t, lines[0], c->search[i])) return CRIOIMG_ERR_REGISTRIES_CONF;
        if (!crioimg__reg_host_split(c->search[i], strlen(c->search[i]), &hl, &br))
            return crioimg__conf_fail3(t, lines[0], "Invalid unqualified-search-registries entry ", c->search[i], NULL, NULL, NULL);
    }
    /* the first of several [[registry]] with one prefix wins; then sorted by prefix */
    for (i = 0, k = 0; i < c->nregs; i++) {
        int dup = 0;
        for (j = 0; j < k; j++) if (strcmp(c->regs[j].prefix, c->regs[i].prefix) == 0) dup = 1;
        if (dup) crioimg__regent_free(a, &c->regs[i]);
        else c->regs[k++] = c->regs[i];
    }
    c->nregs = k;
    if (c->nregs > 1) qsort(c->regs, c->nregs, sizeof *c->regs, crioimg__regent_cmp);
    for (i = 0; i < c->nregs; i++) {
        const char *p = c->regs[i].prefix;
        if (crioimg__wildcard(p) && (strchr(p, '/') || strchr(p, '@') || strchr(p, ':')))
            return crioimg__conf_fail3(t, c->regs[i].line, "Wildcarded prefix should be in the format: *.example.com. Current prefix ", p,
                                       " is incorrectly formatted", NULL, NULL);
    }
    for (i = 0; i < c->naliases; i++) {
        crioimg_result res = crioimg__alias_check(t, &c->aliases[i]);
        if (res != CRIOIMG_OK) return res;
    }
    return CRIOIMG_OK;
}

/* Parses and checks one file into a new conf. */
CRIOIMG__LIB crioimg_result crioimg__conf_load_one(crioimg_registries *r, const char *text, size_t n, const char *file, int force_v2, crioimg__conf **out)
{
    crioimg__toml t;
    crioimg__tnode *root;
    crioimg__conf *c;
    crioimg_result res;
    unsigned long lines[2] = { 0, 0 };
    *out = NULL;
    memset(&t, 0, sizeof t);
    t.s = text; t.n = n; t.line = 1; t.file = file; t.a = &r->alloc; t.err = r->err; t.errcap = sizeof r->err;
    if ((res = crioimg__toml_parse(&t, &root)) != CRIOIMG_OK) return res;
    c = (crioimg__conf *)crioimg_malloc(&r->alloc, sizeof *c);
    if (c == NULL) { crioimg__tnode_free(&r->alloc, root); return CRIOIMG_ERR_NOMEM; }
    memset(c, 0, sizeof *c);
    c->search_origin = file;
    res = crioimg__conf_apply(r, &t, root, c, lines);
    crioimg__tnode_free(&r->alloc, root);
    if (res == CRIOIMG_OK) res = crioimg__conf_check(r, &t, c, force_v2, lines);
    if (res != CRIOIMG_OK) { crioimg__conf_free(&r->alloc, c); return res; }
    *out = c;
    return CRIOIMG_OK;
}

/* updateWithConfigurationFrom: u (consumed) over base. */
CRIOIMG__LIB crioimg_result crioimg__conf_merge(crioimg_registries *r, crioimg__conf *base, crioimg__conf *u)
{
    const crioimg_allocator *a = &r->alloc;
    size_t i, j;
    for (i = 0; i < u->nregs; i++) {
        crioimg__regent *g = NULL;
        for (j = 0; j < base->nregs; j++) if (strcmp(base->regs[j].prefix, u->regs[i].prefix) == 0) g = &base->regs[j];
        if (g) crioimg__regent_free(a, g);
        else {
            if (!crioimg__reg_grow(a, (void **)&base->regs, base->nregs, &base->capr, sizeof *base->regs)) return CRIOIMG_ERR_NOMEM;
            g = &base->regs[base->nregs++];
        }
        *g = u->regs[i];
    }
    u->nregs = 0;
    if (base->nregs > 1) qsort(base->regs, base->nregs, sizeof *base->regs, crioimg__regent_cmp);
    if (u->has_search) {
        crioimg__strlist_free(a, base->search, base->nsearch);
        base->search = u->search; base->nsearch = u->nsearch; base->has_search = 1;
        base->search_origin = u->search_origin;
        u->search = NULL; u->nsearch = 0;
    }
    if (u->has_helpers) {
        crioimg__strlist_free(a, base->helpers, base->nhelpers);
        base->helpers = u->helpers; base->nhelpers = u->nhelpers; base->has_helpers = 1;
        u->helpers = NULL; u->nhelpers = 0;
    }
    if (u->mode) base->mode = u->mode;
    for (i = 0; i < u->naliases; i++) {
        crioimg__alias *al = NULL;
        for (j = 0; j < base->naliases; j++) if (strcmp(base->aliases[j].name, u->aliases[i].name) == 0) al = &base->aliases[j];
        if (al) { crioimg_free(a, al->name); crioimg_free(a, al->value); }
        else {
            if (!crioimg__reg_grow(a, (void **)&base->aliases, base->naliases, &base->capa, sizeof *base->aliases)) return CRIOIMG_ERR_NOMEM;
            al = &base->aliases[base->naliases++];
        }
        *al = u->aliases[i];
    }
    u->naliases = 0;
    return CRIOIMG_OK;
}

/* Keeps a file name for the life of r (origins point at it). */
CRIOIMG__LIB const char *crioimg__reg_keep_name(crioimg_registries *r, const char *name)
{
    if (crioimg__reg_list_add(&r->alloc, &r->files, &r->nfiles, name, strlen(name)) != CRIOIMG_OK) return NULL;
    return r->files[r->nfiles - 1];
}

crioimg_result crioimg_registries_load_conf_text(crioimg_registries *r, const char *text, size_t n, const char *name, int dropin)
{
    crioimg__conf *c;
    crioimg_result res;
    const char *kept;
    if (r == NULL || (text == NULL && n)) return CRIOIMG_ERR_INVALID_ARGS;
    r->err[0] = '\0';
    if ((kept = crioimg__reg_keep_name(r, name ? name : "")) == NULL) return CRIOIMG_ERR_NOMEM;
    res = crioimg__conf_load_one(r, text ? text : "", n, kept, dropin, &c);
    if (res != CRIOIMG_OK) return res;
    if (dropin && r->conf) {
        res = crioimg__conf_merge(r, r->conf, c);
        crioimg__conf_free(&r->alloc, c);
        return res;
    }
    crioimg__conf_free(&r->alloc, r->conf);
    r->conf = c;
    return CRIOIMG_OK;
}

/* Reads and applies one file. ERR_NOT_FOUND when it does not exist (the caller decides whether that is
   an error; the message is set either way), ERR_IO when it cannot be read or is not a regular file (a
   FIFO or a device is refused, never waited on), ERR_TOO_BIG over 1 MiB. */
CRIOIMG__LIB crioimg_result crioimg__load_path(crioimg_registries *r, const char *path, int dropin)
{
    char *text, why[160];
    size_t n;
    crioimg__out w;
    crioimg_result res;
    w.p = why; w.cap = sizeof why; w.len = 0; why[0] = '\0';
    res = crioimg__config_read(path, CRIOIMG__TOML_MAX, &r->alloc, &text, &n, &w);
    if (res == CRIOIMG_ERR_NOT_FOUND || res == CRIOIMG_ERR_IO || res == CRIOIMG_ERR_TOO_BIG) {
        char rest[200];
        crioimg__out o;
        o.p = rest; o.cap = sizeof rest; o.len = 0;
        crioimg__out_str(&o, "\": ");
        crioimg__out_str(&o, why);
        crioimg__reg_seterr(r, dropin ? "loading drop-in registries configuration \"" : "loading registries configuration \"", path, strlen(path), rest);
        return res == CRIOIMG_ERR_TOO_BIG ? CRIOIMG_ERR_REGISTRIES_CONF : res;
    }
    if (res != CRIOIMG_OK) return res;
    res = crioimg_registries_load_conf_text(r, text, n, path, dropin);
    crioimg_free(&r->alloc, text);
    return res;
}

#if defined(CRIOIMG__POSIX2008)
#  include <dirent.h>
#  define CRIOIMG__HAVE_DIRENT 1
#endif


#ifdef CRIOIMG__HAVE_DIRENT
CRIOIMG__LIB int crioimg__strptr_cmp(const void *x, const void *y)
{
    return strcmp(*(char *const *)x, *(char *const *)y);
}

static crioimg_result crioimg__reg_dirfail(crioimg_registries *r, const char *dir, int en)
{
    crioimg__out o;
    crioimg__reg_seterr(r, "reading ", dir, strlen(dir), ": ");
    o.p = r->err; o.cap = sizeof r->err; o.len = strlen(r->err);
    crioimg__out_str(&o, strerror(en));
    return CRIOIMG_ERR_IO;
}
#endif

/* The "*.conf" files of dir in name order, applied as drop-ins. A missing directory is no error. */
CRIOIMG__LIB crioimg_result crioimg__load_dir(crioimg_registries *r, const char *dir)
{
#ifdef CRIOIMG__HAVE_DIRENT
    DIR *d = opendir(dir);
    struct dirent *e;
    char **names = NULL;
    size_t nnames = 0, i, dl = strlen(dir);
    crioimg_result res = CRIOIMG_OK;
    if (d == NULL) {
        int en = errno;
        if (en == ENOENT || en == ENOTDIR) return CRIOIMG_OK;
        return crioimg__reg_dirfail(r, dir, en);
    }
    while (res == CRIOIMG_OK) {
        size_t l;
        char *full;
        struct stat st;
        errno = 0;   /* NULL with errno set is a failed read (EOVERFLOW, EIO), not the end of the listing */
        if ((e = readdir(d)) == NULL) {
            if (errno != 0) res = crioimg__reg_dirfail(r, dir, errno);
            break;
        }
        l = strlen(e->d_name);
        if (l < 5 || strcmp(e->d_name + l - 5, ".conf") != 0) continue;
        full = (char *)crioimg_malloc(&r->alloc, dl + l + 2);
        if (full == NULL) { res = CRIOIMG_ERR_NOMEM; break; }
        memcpy(full, dir, dl);
        full[dl] = '/';
        memcpy(full + dl + 1, e->d_name, l + 1);
        /* directories named *.conf are skipped, as WalkDir's callback skips them; stat, not open, so that
           a FIFO is not waited on here (reading it is refused with its name) */
        if (stat(full, &st) != 0 || S_ISDIR(st.st_mode)) { crioimg_free(&r->alloc, full); continue; }
        res = crioimg__reg_list_add(&r->alloc, &names, &nnames, full, dl + l + 1);
        crioimg_free(&r->alloc, full);
    }
    closedir(d);
    if (nnames > 1) qsort(names, nnames, sizeof *names, crioimg__strptr_cmp);
    for (i = 0; res == CRIOIMG_OK && i < nnames; i++) {
        res = crioimg__load_path(r, names[i], 1);
        if (res == CRIOIMG_ERR_NOT_FOUND) { res = CRIOIMG_OK; r->err[0] = '\0'; }   /* gone since the listing */
    }
    crioimg__strlist_free(&r->alloc, names, nnames);
    return res;
#else
    {   /* no directory listing on this (non-POSIX) platform: fine while there is no directory to list */
        FILE *f = fopen(dir, "r");
        if (f == NULL && errno == ENOENT) return CRIOIMG_OK;
        if (f) fclose(f);
    }
    crioimg__reg_seterr(r, "reading registries.conf.d: no directory listing on this platform", NULL, 0, NULL);
    return CRIOIMG_ERR_UNSUPPORTED;
#endif
}

/* crioimg_registries_load_conf with its two path buffers (4096 bytes each) from the caller */
static crioimg_result crioimg__reg_load_conf_in(crioimg_registries *r, const crioimg_conf_paths *paths, char *user_file, char *user_dir)
{
    const char *home, *main_path;
    int user_only = 0;
    crioimg_result res;
    if (r == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    r->err[0] = '\0';
    r->warn[0] = '\0';
    home = paths && paths->home ? paths->home : getenv("HOME");
    if (home == NULL) home = "";
    if (strlen(home) + 48 > 4096) return CRIOIMG_ERR_INVALID_ARGS;
    strcpy(user_file, home); strcat(user_file, "/.config/containers/registries.conf");
    strcpy(user_dir, home); strcat(user_dir, "/.config/containers/registries.conf.d");
    crioimg__conf_free(&r->alloc, r->conf);
    r->conf = NULL;
    if (paths && paths->path) main_path = paths->path;
    else if (home[0] && crioimg__path_exists(user_file)) { main_path = user_file; user_only = 1; }
    else main_path = "/etc/containers/registries.conf";
    res = crioimg__load_path(r, main_path, 0);
    if (res == CRIOIMG_ERR_NOT_FOUND && (paths && paths->path)) res = CRIOIMG_ERR_IO;
    if (res == CRIOIMG_ERR_NOT_FOUND) {
        /* a missing default file is an empty configuration (but one that is there and cannot be read,
           a FIFO say, is an error, as in Go) */
        r->err[0] = '\0';
        res = crioimg_registries_load_conf_text(r, "", 0, "", 0);
    }
    if (res != CRIOIMG_OK) { crioimg__conf_free(&r->alloc, r->conf); r->conf = NULL; return res; }
    if (paths && paths->dir) res = crioimg__load_dir(r, paths->dir);
    else if (user_only) res = crioimg__load_dir(r, user_dir);
    else {
        res = crioimg__load_dir(r, "/etc/containers/registries.conf.d");
        if (res == CRIOIMG_OK && home[0]) res = crioimg__load_dir(r, user_dir);
    }
    if (res != CRIOIMG_OK) { crioimg__conf_free(&r->alloc, r->conf); r->conf = NULL; }
    return res;
}

crioimg_result crioimg_registries_load_conf(crioimg_registries *r, const crioimg_conf_paths *paths)
{
    /* the per-user file and directory names on the heap: 8 KiB is too much for a small thread's stack */
    char *buf;
    crioimg_result res;
    if (r == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    if ((buf = (char *)crioimg_malloc(&r->alloc, 2 * 4096)) == NULL) {
        static const char oom[] = "out of memory";
        memcpy(r->err, oom, sizeof oom);
        return CRIOIMG_ERR_NOMEM;
    }
    res = crioimg__reg_load_conf_in(r, paths, buf, buf + 4096);
    crioimg_free(&r->alloc, buf);
    return res;
}

const char *crioimg_registries_warning(const crioimg_registries *r)
{
    return r ? r->warn : "";
}

crioimg_short_name_mode crioimg_registries_short_name_mode(const crioimg_registries *r)
{
    return r && r->conf ? (crioimg_short_name_mode)r->conf->mode : CRIOIMG_SHORT_NAME_UNSET;
}
