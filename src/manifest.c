/* ---------------------------------------------------------------------------------------------------
   manifest implementation
   --------------------------------------------------------------------------------------------------- */
#include "internal.h"

/* ---- an arena: every string and array a parsed manifest exposes lives in a few blocks, freed together */

typedef struct crioimg__arena_block { struct crioimg__arena_block *next; size_t used, cap; } crioimg__arena_block;

/* size bytes from the arena whose head is *head, aligned for any field we store; NULL when out of memory */
static void *crioimg__arena_alloc(void **head, const crioimg_allocator *a, size_t size)
{
    crioimg__arena_block *b = (crioimg__arena_block *)*head;
    const size_t align = sizeof(long long) > sizeof(void *) ? sizeof(long long) : sizeof(void *);
    size_t hdr = (sizeof(crioimg__arena_block) + align - 1) / align * align;
    size = (size + align - 1) / align * align;
    if (b == NULL || b->cap - b->used < size) {
        size_t cap = size > 16384 ? size : 16384;
        crioimg__arena_block *nb = (crioimg__arena_block *)crioimg_malloc(a, hdr + cap);
        if (nb == NULL) return NULL;
        nb->next = b; nb->used = 0; nb->cap = cap;
        *head = b = nb;
    }
    b->used += size;
    return (char *)b + hdr + b->used - size;
}

static void crioimg__arena_free(void **head, const crioimg_allocator *a)
{
    crioimg__arena_block *b = (crioimg__arena_block *)*head;
    while (b) { crioimg__arena_block *n = b->next; crioimg_free(a, b); b = n; }
    *head = NULL;
}

/* ---- the parse context ---- */

typedef struct crioimg__mf {
    const crioimg_json *doc;
    void **arena;
    const crioimg_allocator *alloc;
    char *err;          /* 256 bytes */
    crioimg_result r;   /* the first error */
} crioimg__mf;

/* Records the first error: text (with an optional quoted part) */
static crioimg_result crioimg__mf_fail(crioimg__mf *c, crioimg_result r, const char *where, const char *what, const char *q)
{
    crioimg__out o;
    if (c->r != CRIOIMG_OK) return c->r;
    o.p = c->err; o.cap = 256; o.len = 0;
    if (where && *where) { crioimg__out_str(&o, where); crioimg__out_str(&o, ": "); }
    crioimg__out_str(&o, what);
    if (q) { crioimg__out_str(&o, " \""); crioimg__out_str(&o, q); crioimg__out_str(&o, "\""); }
    c->r = r;
    return r;
}

static const char *crioimg__mf_str(crioimg__mf *c, size_t tok)
{
    size_t n = crioimg_json_string(c->doc, tok, NULL, 0);
    char *s = (char *)crioimg__arena_alloc(c->arena, c->alloc, n + 1);
    if (s == NULL) { crioimg__mf_fail(c, CRIOIMG_ERR_NOMEM, "", "out of memory", NULL); return NULL; }
    crioimg_json_string(c->doc, tok, s, n + 1);
    if (memchr(s, '\0', n)) {  /* "\u0000": a C string would end there, Go's would not: refused */
        crioimg__mf_fail(c, CRIOIMG_ERR_MANIFEST_INVALID, "", "a string holds a NUL character", NULL);
        return NULL;
    }
    return s;
}

/* An optional string member: "" when absent, NULL (with the error set) when present but not a string */
static const char *crioimg__mf_opt_str(crioimg__mf *c, size_t obj, const char *key, const char *where)
{
    size_t t = crioimg_json_get(c->doc, obj, key);
    if (t == CRIOIMG_JSON_NONE || c->doc->tok[t].type == CRIOIMG_JSON_NULL) return "";
    if (c->doc->tok[t].type != CRIOIMG_JSON_STRING) { crioimg__mf_fail(c, CRIOIMG_ERR_MANIFEST_INVALID, where, "not a string:", key); return NULL; }
    return crioimg__mf_str(c, t);
}

/* Go's encoding/json matches keys to fields with strings.EqualFold, so to Go {"Layers": ...} and
   {"layer\u017f": ...} are "layers". A key that folds to a known field without being it is refused:
   what Go would read, we would not. known: the fields, NUL-separated, ending at an empty one (one
   string, not a table of pointers: each pointer is a relocation in a position-independent program). */
static int crioimg__mf_keys(crioimg__mf *c, size_t obj, const char *known, const char *where)
{
    const crioimg_json *d = c->doc;
    const char *k;
    size_t i, n;
    if (d->tok[obj].type != CRIOIMG_JSON_OBJECT)
        return crioimg__mf_fail(c, CRIOIMG_ERR_MANIFEST_INVALID, where, "not a JSON object", NULL) == CRIOIMG_OK;
    for (i = obj + 1, n = 0; n < d->tok[obj].count; n++, i = d->tok[i + 1].next) {
        char key[64];
        size_t kl = crioimg_json_string(d, i, key, sizeof key);
        if (kl >= sizeof key) continue;
        for (k = known; *k; k += strlen(k) + 1)
            if (crioimg__go_fold_eq(key, kl, k) && !(kl == strlen(k) && memcmp(key, k, kl) == 0)) {
                crioimg__mf_fail(c, CRIOIMG_ERR_MANIFEST_INVALID, where, "key differs from a known field only in case:", key);
                return 0;
            }
    }
    return 1;
}

/* ---- descriptors ---- */

/* an integer written as one, as Go decodes into int64/int: "1e3" and "1.0" are not */
static int crioimg__mf_int(const crioimg_json *doc, size_t t, long long min, long long max, long long *v)
{
    const crioimg_json_token *k;
    size_t i;
    if (t >= doc->ntok || doc->tok[t].type != CRIOIMG_JSON_NUMBER) return 0;
    k = &doc->tok[t];
    for (i = 0; i < k->len; i++) {
        char ch = doc->buf[k->start + i];
        if (ch == '.' || ch == 'e' || ch == 'E') return 0;
    }
    return crioimg_json_int(doc, t, min, max, v) == CRIOIMG_OK;
}

/* a descriptor's digest: the OCI grammar first, before it is used anywhere (CVE-2024-3727). An unknown
   algorithm passes here and is refused wherever content must be verified. */
static int crioimg__mf_digest_ok(const char *d)
{
    crioimg_digest dg;
    return crioimg_digest_parse(&dg, d, strlen(d)) == CRIOIMG_OK;
}

/* embedded data against its descriptor's digest (the digest already parsed once) */
static int crioimg__mf_data_matches(const char *d, const unsigned char *data, size_t n)
{
    crioimg_digest dg;
    return crioimg_digest_parse(&dg, d, strlen(d)) == CRIOIMG_OK && crioimg_digest_verify(&dg, data, n) == CRIOIMG_OK;
}

static int crioimg__mf_url_ok(const char *u)
{
    size_t n = strlen(u);   /* memcmp, not strncmp: a libc import costs a program 80 bytes */
    return (n >= 8 && memcmp(u, "https://", 8) == 0) || (n >= 7 && memcmp(u, "http://", 7) == 0);
}

static int crioimg__mf_platform(crioimg__mf *c, size_t t, crioimg_platform *p, const char *where)
{
    static const char known[] = "architecture\0os\0os.version\0os.features\0variant\0features\0";
    if (!crioimg__mf_keys(c, t, known, where)) return 0;
    p->os = crioimg__mf_opt_str(c, t, "os", where);
    p->architecture = crioimg__mf_opt_str(c, t, "architecture", where);
    p->variant = crioimg__mf_opt_str(c, t, "variant", where);
    p->os_version = crioimg__mf_opt_str(c, t, "os.version", where);
    if (!p->os || !p->architecture || !p->variant || !p->os_version) return 0;
    if (!*p->os || !*p->architecture) {
        crioimg__mf_fail(c, CRIOIMG_ERR_MANIFEST_INVALID, where, "platform needs os and architecture", NULL);
        return 0;
    }
    return 1;
}

/* annotations: absent, null, or an object of strings */
static int crioimg__mf_annotations(crioimg__mf *c, size_t x, const char *where)
{
    const crioimg_json *doc = c->doc;
    size_t i, k;
    if (x == CRIOIMG_JSON_NONE || doc->tok[x].type == CRIOIMG_JSON_NULL) return 1;
    if (doc->tok[x].type != CRIOIMG_JSON_OBJECT)
        return crioimg__mf_fail(c, CRIOIMG_ERR_MANIFEST_INVALID, where, "annotations is not an object", NULL) == CRIOIMG_OK;
    for (i = x + 1, k = 0; k < doc->tok[x].count; k++, i = doc->tok[i + 1].next)
        if (doc->tok[i + 1].type != CRIOIMG_JSON_STRING)
            return crioimg__mf_fail(c, CRIOIMG_ERR_MANIFEST_INVALID, where, "annotation values must be strings", NULL) == CRIOIMG_OK;
    return 1;
}

static int crioimg__mf_descriptor(crioimg__mf *c, size_t t, crioimg_descriptor *d, const char *where)
{
    static const char known[] = "mediaType\0digest\0size\0urls\0annotations\0data\0platform\0artifactType\0";
    const crioimg_json *doc = c->doc;
    size_t x;
    long long size;
    memset(d, 0, sizeof *d);
    if (!crioimg__mf_keys(c, t, known, where)) return 0;
    if ((x = crioimg_json_get(doc, t, "mediaType")) == CRIOIMG_JSON_NONE || doc->tok[x].type != CRIOIMG_JSON_STRING)
        return crioimg__mf_fail(c, CRIOIMG_ERR_MANIFEST_INVALID, where, "mediaType missing or not a string", NULL) == CRIOIMG_OK;
    if (!(d->media_type = crioimg__mf_str(c, x))) return 0;
    if ((x = crioimg_json_get(doc, t, "digest")) == CRIOIMG_JSON_NONE || doc->tok[x].type != CRIOIMG_JSON_STRING)
        return crioimg__mf_fail(c, CRIOIMG_ERR_MANIFEST_INVALID, where, "digest missing or not a string", NULL) == CRIOIMG_OK;
    if (!(d->digest = crioimg__mf_str(c, x))) return 0;
    if (!crioimg__mf_digest_ok(d->digest)) {
        char why[200];
        crioimg_digest dg;
        crioimg_digest_error_message(crioimg_digest_parse(&dg, d->digest, strlen(d->digest)), d->digest, strlen(d->digest), why, sizeof why);
        return crioimg__mf_fail(c, CRIOIMG_ERR_MANIFEST_INVALID, where, why, NULL) == CRIOIMG_OK;
    }
    if ((x = crioimg_json_get(doc, t, "size")) == CRIOIMG_JSON_NONE || !crioimg__mf_int(doc, x, 0, 0x7fffffffffffffffLL, &size))
        return crioimg__mf_fail(c, CRIOIMG_ERR_MANIFEST_INVALID, where, "size missing, negative or not an integer", NULL) == CRIOIMG_OK;
    d->size = size;
    if ((x = crioimg_json_get(doc, t, "urls")) != CRIOIMG_JSON_NONE && doc->tok[x].type != CRIOIMG_JSON_NULL) {
        size_t i, k;
        const char **urls;
        if (doc->tok[x].type != CRIOIMG_JSON_ARRAY)
            return crioimg__mf_fail(c, CRIOIMG_ERR_MANIFEST_INVALID, where, "urls is not an array", NULL) == CRIOIMG_OK;
        urls = (const char **)crioimg__arena_alloc(c->arena, c->alloc, (doc->tok[x].count + 1) * sizeof *urls);
        if (!urls) return crioimg__mf_fail(c, CRIOIMG_ERR_NOMEM, "", "out of memory", NULL) == CRIOIMG_OK;
        for (i = x + 1, k = 0; k < doc->tok[x].count; k++, i = doc->tok[i].next) {
            if (doc->tok[i].type != CRIOIMG_JSON_STRING || !(urls[k] = crioimg__mf_str(c, i)) || !crioimg__mf_url_ok(urls[k]))
                return crioimg__mf_fail(c, CRIOIMG_ERR_MANIFEST_INVALID, where, "urls: only http and https URLs are allowed", NULL) == CRIOIMG_OK;
        }
        d->urls = urls;
        d->nurls = k;
    }
    if (!crioimg__mf_annotations(c, crioimg_json_get(doc, t, "annotations"), where)) return 0;
    if ((x = crioimg_json_get(doc, t, "data")) != CRIOIMG_JSON_NONE && doc->tok[x].type != CRIOIMG_JSON_NULL) {
        size_t n, dl;
        char *b64;
        unsigned char *bytes;
        if (doc->tok[x].type != CRIOIMG_JSON_STRING)
            return crioimg__mf_fail(c, CRIOIMG_ERR_MANIFEST_INVALID, where, "data is not a string", NULL) == CRIOIMG_OK;
        if (!(b64 = (char *)crioimg__mf_str(c, x))) return 0;
        n = strlen(b64);
        if (!(bytes = (unsigned char *)crioimg__arena_alloc(c->arena, c->alloc, (n + 3) / 4 * 3 + 1)))
            return crioimg__mf_fail(c, CRIOIMG_ERR_NOMEM, "", "out of memory", NULL) == CRIOIMG_OK;
        if ((dl = crioimg__base64_decode(b64, n, bytes, (n + 3) / 4 * 3, 1)) == (size_t)-1)
            return crioimg__mf_fail(c, CRIOIMG_ERR_MANIFEST_INVALID, where, "data is not valid base64", NULL) == CRIOIMG_OK;
        if ((long long)dl != d->size)
            return crioimg__mf_fail(c, CRIOIMG_ERR_SIZE_MISMATCH, where, "embedded data does not match the descriptor's size", NULL) == CRIOIMG_OK;
        if (!crioimg__mf_data_matches(d->digest, bytes, dl))
            return crioimg__mf_fail(c, CRIOIMG_ERR_DIGEST_MISMATCH, where, "embedded data does not match the descriptor's digest", NULL) == CRIOIMG_OK;
        d->data = bytes;
        d->data_len = dl;
        d->has_data = 1;
    }
    if ((x = crioimg_json_get(doc, t, "platform")) != CRIOIMG_JSON_NONE && doc->tok[x].type != CRIOIMG_JSON_NULL) {
        if (!crioimg__mf_platform(c, x, &d->platform, where)) return 0;
        d->has_platform = 1;
    } else {
        d->platform.os = d->platform.architecture = d->platform.variant = d->platform.os_version = "";
    }
    if (!(d->artifact_type = crioimg__mf_opt_str(c, t, "artifactType", where))) return 0;
    return 1;
}

/* an array of descriptors into the arena */
static int crioimg__mf_descriptors(crioimg__mf *c, size_t t, const char *name, const crioimg_descriptor **out, size_t *n)
{
    const crioimg_json *doc = c->doc;
    crioimg_descriptor *ds;
    size_t i, k, count;
    if (doc->tok[t].type != CRIOIMG_JSON_ARRAY)
        return crioimg__mf_fail(c, CRIOIMG_ERR_MANIFEST_INVALID, name, "not an array", NULL) == CRIOIMG_OK;
    count = doc->tok[t].count;
    ds = (crioimg_descriptor *)crioimg__arena_alloc(c->arena, c->alloc, (count ? count : 1) * sizeof *ds);
    if (!ds) return crioimg__mf_fail(c, CRIOIMG_ERR_NOMEM, "", "out of memory", NULL) == CRIOIMG_OK;
    for (i = t + 1, k = 0; k < count; k++, i = doc->tok[i].next) {
        char where[48];
        crioimg__out o;
        o.p = where; o.cap = sizeof where; o.len = 0;
        crioimg__out_str(&o, name);
        crioimg__out_put(&o, "[", 1);
        crioimg__out_uint(&o, k);
        crioimg__out_put(&o, "]", 1);
        if (!crioimg__mf_descriptor(c, i, &ds[k], where)) return 0;
    }
    *out = ds;
    *n = count;
    return 1;
}

/* ---- the document ---- */

/* The Content-Type's media type: without parameters and surrounding spaces; "" when it says nothing
   (absent, or a generic type some registries send). */
static size_t crioimg__mf_content_type(const char *ct, const char **start)
{
    size_t n;
    *start = "";
    if (ct == NULL) return 0;
    while (*ct == ' ' || *ct == '\t') ct++;
    for (n = 0; ct[n] && ct[n] != ';' && ct[n] != ' ' && ct[n] != '\t'; n++) {}
    if (crioimg__ascii_ieq(ct, n, "application/json") || crioimg__ascii_ieq(ct, n, "text/plain") ||
        crioimg__ascii_ieq(ct, n, "application/octet-stream"))
        return 0;
    *start = ct;
    return n;
}

/* A Content-Type against the document: *type is its mediaType, or NULL when it has none (then the
   Content-Type's, if it names one). 0 with the error set when they disagree. Reached through a pointer
   passed only with a Content-Type (crioimg_manifest_parse), so that a program that parses stored
   manifests alone does not link it. */
static int crioimg__mf_ct(crioimg__mf *c, const char *ct, const char **type, size_t *tn)
{
    const char *ctype;
    size_t ctn = crioimg__mf_content_type(ct, &ctype);
    if (ctn == 0) return 1;
    if (*type == NULL) { *type = ctype; *tn = ctn; return 1; }
    if (crioimg__ascii_ieq(ctype, ctn, *type)) return 1;
    crioimg__mf_fail(c, CRIOIMG_ERR_MANIFEST_MEDIA_TYPE, "", "mediaType disagrees with the Content-Type: mediaType is", *type);
    return 0;
}
typedef int (*crioimg__mf_ctfn)(crioimg__mf *c, const char *ct, const char **type, size_t *tn);

/* exact, as containers/image compares media types */
static int crioimg__mf_is(const char *type, size_t n, const char *lit)
{
    return n == strlen(lit) && memcmp(type, lit, n) == 0;
}

static crioimg_manifest_kind crioimg__mf_kind_of(const char *type, size_t n)
{
    if (crioimg__mf_is(type, n, CRIOIMG_MEDIA_OCI_MANIFEST)) return CRIOIMG_MANIFEST_OCI;
    if (crioimg__mf_is(type, n, CRIOIMG_MEDIA_OCI_INDEX)) return CRIOIMG_MANIFEST_OCI_INDEX;
    if (crioimg__mf_is(type, n, CRIOIMG_MEDIA_DOCKER_MANIFEST)) return CRIOIMG_MANIFEST_DOCKER_V2;
    if (crioimg__mf_is(type, n, CRIOIMG_MEDIA_DOCKER_LIST)) return CRIOIMG_MANIFEST_DOCKER_LIST;
    return CRIOIMG_MANIFEST_UNKNOWN;
}

static const char *crioimg__mf_kind_type(crioimg_manifest_kind k)
{
    switch (k) {
    case CRIOIMG_MANIFEST_OCI: return CRIOIMG_MEDIA_OCI_MANIFEST;
    case CRIOIMG_MANIFEST_OCI_INDEX: return CRIOIMG_MEDIA_OCI_INDEX;
    case CRIOIMG_MANIFEST_DOCKER_V2: return CRIOIMG_MEDIA_DOCKER_MANIFEST;
    case CRIOIMG_MANIFEST_DOCKER_LIST: return CRIOIMG_MEDIA_DOCKER_LIST;
    default: return "";
    }
}

static int crioimg__mf_is_schema1(const char *type, size_t n)
{
    return crioimg__mf_is(type, n, CRIOIMG_MEDIA_DOCKER_SCHEMA1) || crioimg__mf_is(type, n, CRIOIMG_MEDIA_DOCKER_SCHEMA1_SIGNED);
}

/* The type from the document's shape, as containers/image's GuessMIMEType guesses when no mediaType is
   given (OCI image-spec before 1.0.2 did not require it). */
static crioimg_manifest_kind crioimg__mf_guess(crioimg__mf *c, size_t cfg, size_t manifests)
{
    const crioimg_json *doc = c->doc;
    if (cfg != CRIOIMG_JSON_NONE) {
        size_t mt = crioimg_json_get(doc, cfg, "mediaType");
        if (mt != CRIOIMG_JSON_NONE && crioimg_json_string_eq(doc, mt, CRIOIMG_MEDIA_DOCKER_CONFIG, strlen(CRIOIMG_MEDIA_DOCKER_CONFIG)))
            return CRIOIMG_MANIFEST_DOCKER_V2;
        return CRIOIMG_MANIFEST_OCI;  /* an OCI image, or an artifact with its own config type */
    }
    if (manifests != CRIOIMG_JSON_NONE) return CRIOIMG_MANIFEST_OCI_INDEX;
    return CRIOIMG_MANIFEST_UNKNOWN;
}

static crioimg_result crioimg__mf_parse_doc(crioimg_manifest *m, crioimg__mf *c, const char *ct, crioimg__mf_ctfn ctfn)
{
    static const char known[] = "schemaVersion\0mediaType\0config\0layers\0manifests\0subject\0annotations\0artifactType\0"
                                "signatures\0fsLayers\0history\0";
    const crioimg_json *doc = c->doc;
    size_t sv, mt, cfg, layers, manifests, subject, tn = 0;
    const char *type = NULL;
    long long version;
    if (doc->tok[0].type != CRIOIMG_JSON_OBJECT) return crioimg__mf_fail(c, CRIOIMG_ERR_MANIFEST_INVALID, "", "a manifest must be a JSON object", NULL);
    if (!crioimg__mf_keys(c, 0, known, "")) return c->r;
    cfg = crioimg_json_get(doc, 0, "config");
    layers = crioimg_json_get(doc, 0, "layers");
    manifests = crioimg_json_get(doc, 0, "manifests");
    subject = crioimg_json_get(doc, 0, "subject");
    if (manifests != CRIOIMG_JSON_NONE && (layers != CRIOIMG_JSON_NONE || cfg != CRIOIMG_JSON_NONE))
        return crioimg__mf_fail(c, CRIOIMG_ERR_MANIFEST_AMBIGUOUS, "", "a document with both \"manifests\" and \"layers\" or \"config\" is refused (CVE-2021-41190)", NULL);
    if ((sv = crioimg_json_get(doc, 0, "schemaVersion")) == CRIOIMG_JSON_NONE || !crioimg__mf_int(doc, sv, 0, 1000, &version))
        return crioimg__mf_fail(c, CRIOIMG_ERR_MANIFEST_INVALID, "", "schemaVersion missing or not an integer", NULL);
    if (version == 1) return crioimg__mf_fail(c, CRIOIMG_ERR_MANIFEST_UNSUPPORTED, "", "Docker schema 1 manifests are not supported", NULL);
    if (version != 2) return crioimg__mf_fail(c, CRIOIMG_ERR_MANIFEST_UNSUPPORTED, "", "unsupported schemaVersion", NULL);
    mt = crioimg_json_get(doc, 0, "mediaType");
    if (mt != CRIOIMG_JSON_NONE) {
        if (doc->tok[mt].type != CRIOIMG_JSON_STRING) return crioimg__mf_fail(c, CRIOIMG_ERR_MANIFEST_INVALID, "", "mediaType is not a string", NULL);
        if (!(type = crioimg__mf_str(c, mt))) return c->r;
        tn = strlen(type);
    }
    if (ctfn && !ctfn(c, ct, &type, &tn)) return c->r;
    if (type == NULL) {
        type = crioimg__mf_kind_type(crioimg__mf_guess(c, cfg, manifests));
        tn = strlen(type);
    }
    if (crioimg__mf_is_schema1(type, tn)) return crioimg__mf_fail(c, CRIOIMG_ERR_MANIFEST_UNSUPPORTED, "", "Docker schema 1 manifests are not supported", NULL);
    m->kind = crioimg__mf_kind_of(type, tn);
    if (m->kind == CRIOIMG_MANIFEST_UNKNOWN) return crioimg__mf_fail(c, CRIOIMG_ERR_MANIFEST_UNSUPPORTED, "", "unsupported manifest type", tn ? type : "(none)");
    m->media_type = crioimg__mf_kind_type(m->kind);
    {   /* validateUnambiguousManifestFormat: only its own type's fields (schema 1's are another type's) */
        int image = m->kind == CRIOIMG_MANIFEST_OCI || m->kind == CRIOIMG_MANIFEST_DOCKER_V2;
        if (crioimg_json_get(doc, 0, "fsLayers") != CRIOIMG_JSON_NONE || crioimg_json_get(doc, 0, "history") != CRIOIMG_JSON_NONE ||
            (!image && (cfg != CRIOIMG_JSON_NONE || layers != CRIOIMG_JSON_NONE)) || (image && manifests != CRIOIMG_JSON_NONE))
            return crioimg__mf_fail(c, CRIOIMG_ERR_MANIFEST_AMBIGUOUS, "", "fields of another manifest type are refused (CVE-2021-41190) in", type);
    }
    if (m->kind == CRIOIMG_MANIFEST_OCI || m->kind == CRIOIMG_MANIFEST_DOCKER_V2) {
        if (cfg == CRIOIMG_JSON_NONE) return crioimg__mf_fail(c, CRIOIMG_ERR_MANIFEST_INVALID, "", "an image manifest needs a config", NULL);
        if (layers == CRIOIMG_JSON_NONE) return crioimg__mf_fail(c, CRIOIMG_ERR_MANIFEST_INVALID, "", "an image manifest needs layers", NULL);
        if (!crioimg__mf_descriptor(c, cfg, &m->config, "config")) return c->r;
        if (!crioimg__mf_descriptors(c, layers, "layers", &m->layers, &m->nlayers)) return c->r;
    } else {
        if (manifests == CRIOIMG_JSON_NONE) return crioimg__mf_fail(c, CRIOIMG_ERR_MANIFEST_INVALID, "", "an index needs manifests", NULL);
        if (!crioimg__mf_descriptors(c, manifests, "manifests", &m->manifests, &m->nmanifests)) return c->r;
    }
    if (!crioimg__mf_annotations(c, crioimg_json_get(doc, 0, "annotations"), "")) return c->r;
    if (subject != CRIOIMG_JSON_NONE && doc->tok[subject].type != CRIOIMG_JSON_NULL) {
        if (!crioimg__mf_descriptor(c, subject, &m->subject, "subject")) return c->r;
        m->has_subject = 1;
    }
    return CRIOIMG_OK;
}

/* A JSON error into the manifest's message, with where it was found. */
static crioimg_result crioimg__mf_json_fail(char *err, const crioimg_json *doc, crioimg_result r, size_t max)
{
    crioimg__out o;
    o.p = err; o.cap = 256; o.len = 0;
    if (r == CRIOIMG_ERR_JSON_TOO_BIG) {
        crioimg__out_str(&o, "exceeded maximum allowed size of ");
        crioimg__out_uint(&o, max);
        crioimg__out_str(&o, " bytes");
        return CRIOIMG_ERR_TOO_BIG;
    }
    crioimg__out_str(&o, doc->err[0] ? doc->err : crioimg_result_str(r));
    crioimg__out_str(&o, " at byte ");
    crioimg__out_uint(&o, doc->err_offset);
    return r;
}

/* the JSON options every manifest and config is read with */
static void crioimg__mf_json_opts(crioimg_json_opts *jo, const crioimg_manifest_opts *opts, size_t *max)
{
    memset(jo, 0, sizeof *jo);
    *max = opts && opts->max_size ? opts->max_size : CRIOIMG_MANIFEST_MAX_SIZE;
    jo->max_size = *max;
    jo->max_depth = 32;
    jo->max_tokens = (size_t)1 << 17;  /* about 10,000 layers' worth; bounds memory to ~5 MiB of tokens */
    jo->allow_duplicates = 0;
    /* as Go keeps them: a NUL in a string nothing reads is harmless, and every string kept is checked by
       length (crioimg__mf_str: "a string holds a NUL character") */
    jo->keep_nul = 1;
    if (opts) jo->alloc = opts->alloc;
}

/* ctfn: crioimg__mf_ct when there is a Content-Type, else NULL */
static CRIOIMG__NOINLINE crioimg_result crioimg__mf_parse(crioimg_manifest *m, const char *buf, size_t len, const char *content_type,
                                                         crioimg__mf_ctfn ctfn, const crioimg_manifest_opts *opts)
{
    crioimg_json_opts jo;
    crioimg_json doc;
    crioimg__mf c;
    crioimg_result r;
    size_t max;
    if (m == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    memset(m, 0, sizeof *m);
    if (opts) m->alloc = opts->alloc;
    if ((buf == NULL && len) || crioimg_allocator_check(&m->alloc) != CRIOIMG_OK) return CRIOIMG_ERR_INVALID_ARGS;
    crioimg__mf_json_opts(&jo, opts, &max);
    if ((r = crioimg_json_parse(&doc, buf ? buf : "", len, &jo)) != CRIOIMG_OK) return crioimg__mf_json_fail(m->err, &doc, r, max);
    c.doc = &doc; c.arena = &m->arena; c.alloc = &m->alloc; c.err = m->err; c.r = CRIOIMG_OK;
    r = crioimg__mf_parse_doc(m, &c, content_type, ctfn);
    crioimg_json_free(&doc);
    if (r != CRIOIMG_OK) {
        char keep[256];
        memcpy(keep, m->err, sizeof keep);
        crioimg_manifest_free(m);
        memcpy(m->err, keep, sizeof keep);
    }
    return r;
}

/* A call with fewer arguments than crioimg_manifest_parse's, which keeps that one small (below). */
static CRIOIMG__NOINLINE crioimg_result crioimg__mf_parse_stored(crioimg_manifest *m, const char *buf, size_t len,
                                                                const crioimg_manifest_opts *opts)
{
    return crioimg__mf_parse(m, buf, len, NULL, NULL, opts);
}

/* Small, so that a compiler inlines it where it is called: a caller that passes no Content-Type written
   in its call (the store reading its own manifests) then does not link the Content-Type check. */
crioimg_result crioimg_manifest_parse(crioimg_manifest *m, const char *buf, size_t len, const char *content_type,
                                      const crioimg_manifest_opts *opts)
{
    return content_type ? crioimg__mf_parse(m, buf, len, content_type, crioimg__mf_ct, opts) : crioimg__mf_parse_stored(m, buf, len, opts);
}

void crioimg_manifest_free(crioimg_manifest *m)
{
    crioimg_allocator a;
    if (m == NULL) return;
    a = m->alloc;
    crioimg__arena_free(&m->arena, &a);
    memset(m, 0, sizeof *m);
    m->alloc = a;
}

/* ---- platforms ---- */

void crioimg_platform_current(crioimg_platform *p)
{
    p->os_version = "";
    p->variant = "";
#if defined(__linux__)
    p->os = "linux";
#elif defined(__APPLE__)
    p->os = "darwin";
#elif defined(_WIN32)
    p->os = "windows";
#elif defined(__FreeBSD__)
    p->os = "freebsd";
#else
    p->os = "linux";
#endif
#if defined(__x86_64__) || defined(_M_X64)
    p->architecture = "amd64";
#elif defined(__aarch64__) || defined(_M_ARM64)
    p->architecture = "arm64";
    p->variant = "v8";
#elif defined(__arm__)
    p->architecture = "arm";
#  if defined(__ARM_ARCH) && __ARM_ARCH >= 8
    p->variant = "v8";
#  elif defined(__ARM_ARCH) && __ARM_ARCH == 7
    p->variant = "v7";
#  elif defined(__ARM_ARCH) && __ARM_ARCH == 6
    p->variant = "v6";
#  else
    p->variant = "v5";
#  endif
#elif defined(__i386__) || defined(_M_IX86)
    p->architecture = "386";
#elif defined(__powerpc64__) && defined(__LITTLE_ENDIAN__)
    p->architecture = "ppc64le";
#elif defined(__powerpc64__)
    p->architecture = "ppc64";
#elif defined(__s390x__)
    p->architecture = "s390x";
#elif defined(__riscv) && __riscv_xlen == 64
    p->architecture = "riscv64";
#elif defined(__mips64) && defined(__MIPSEL__)
    p->architecture = "mips64le";
#elif defined(__mips64)
    p->architecture = "mips64";
#elif defined(__mips__) && defined(__MIPSEL__)
    p->architecture = "mipsle";
#elif defined(__mips__)
    p->architecture = "mips";
#elif defined(__loongarch64)
    p->architecture = "loong64";
#else
    p->architecture = "unknown";
#endif
}

crioimg_result crioimg_platform_parse(crioimg_platform *p, const char *s, char *buf, size_t cap)
{
    size_t n, i, parts = 1;
    char *f[3];
    if (p == NULL || s == NULL || buf == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    n = strlen(s);
    if (n + 1 > cap) return CRIOIMG_ERR_BUFFER_TOO_SMALL;
    memcpy(buf, s, n + 1);
    f[0] = buf;
    for (i = 0; i < n; i++)
        if (buf[i] == '/') {
            if (parts == 3) return CRIOIMG_ERR_INVALID_ARGS;
            buf[i] = '\0';
            f[parts++] = buf + i + 1;
        }
    if (parts < 2 || !*f[0] || !*f[1] || (parts == 3 && !*f[2])) return CRIOIMG_ERR_INVALID_ARGS;
    p->os = f[0];
    p->architecture = f[1];
    p->variant = parts == 3 ? f[2] : "";
    p->os_version = "";
    return CRIOIMG_OK;
}

/* The variants to try, most wanted first, as containers/image's WantedPlatforms lists them. */
static size_t crioimg__mf_variants(const crioimg_platform *want, const char *out[8])
{
    /* NUL-separated, ending at an empty one, as the known-field lists */
    static const char arm[] = "v8\0v7\0v6\0v5\0", arm64[] = "v8\0";
    const char *order = strcmp(want->architecture, "arm") == 0 ? arm : strcmp(want->architecture, "arm64") == 0 ? arm64 : "", *o;
    size_t n = 0;
    if (want->variant && *want->variant) {
        int found = 0;
        for (o = order; *o; o += strlen(o) + 1) {
            if (strcmp(o, want->variant) == 0) found = 1;
            if (found) out[n++] = o;
        }
        if (!found) out[n++] = want->variant;
        out[n++] = "";
    } else {
        out[n++] = "";
        for (o = order; *o; o += strlen(o) + 1) out[n++] = o;
    }
    return n;
}

/* Why no instance matched, into err: reached through a pointer crioimg_manifest_choose passes only
   when the caller gives err, so that a caller that wants no text (the store) does not link it. */
static void crioimg__mf_choose_say(const crioimg_manifest *m, const crioimg_platform *want, const char *variant, char *err, size_t errcap)
{
    crioimg__out o;
    size_t i;
    /* ", " and " " from bytes, not literals: those, shared with other parts, would be placed among this
       function's strings or theirs, whichever gcc emits first, and pull the lot into every program */
    const char sep[2] = { ',', ' ' };
    o.p = err; o.cap = errcap; o.len = 0;
    crioimg__out_str(&o, m->kind == CRIOIMG_MANIFEST_DOCKER_LIST ? "no image found in manifest list for architecture " : "no image found in image index for architecture ");
    crioimg__out_str(&o, want->architecture);
    crioimg__out_str(&o, ", variant \"");
    crioimg__out_str(&o, variant);
    crioimg__out_str(&o, "\", OS ");
    crioimg__out_str(&o, want->os);
    crioimg__out_str(&o, "; available:");
    for (i = 0; i < m->nmanifests; i++) {
        const crioimg_platform *p = &m->manifests[i].platform;
        crioimg__out_put(&o, sep + !i, 2 - !i);
        crioimg__out_str(&o, p->os);
        crioimg__out_put(&o, "/", 1);
        crioimg__out_str(&o, p->architecture);
        if (*p->variant) { crioimg__out_put(&o, "/", 1); crioimg__out_str(&o, p->variant); }
    }
    if (m->nmanifests == 0) crioimg__out_str(&o, " nothing");
}
typedef void (*crioimg__mf_sayfn)(const crioimg_manifest *m, const crioimg_platform *want, const char *variant, char *err, size_t errcap);

static CRIOIMG__NOINLINE crioimg_result crioimg__mf_choose(const crioimg_manifest *m, const crioimg_platform *want, size_t *which,
                                                          crioimg__mf_sayfn say, char *err, size_t errcap)
{
    crioimg_platform here;
    const char *variants[8];
    size_t nv, v, i;
    if (err && errcap) err[0] = '\0';
    if (m == NULL || which == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    if (m->kind != CRIOIMG_MANIFEST_OCI_INDEX && m->kind != CRIOIMG_MANIFEST_DOCKER_LIST) return CRIOIMG_ERR_INVALID_ARGS;
    if (want == NULL) { crioimg_platform_current(&here); want = &here; }
    nv = crioimg__mf_variants(want, variants);
    for (v = 0; v < nv; v++)
        for (i = 0; i < m->nmanifests; i++) {
            const crioimg_descriptor *d = &m->manifests[i];
            if (d->has_platform && strcmp(d->platform.os, want->os) == 0 &&
                strcmp(d->platform.architecture, want->architecture) == 0 && strcmp(d->platform.variant, variants[v]) == 0) {
                *which = i;
                return CRIOIMG_OK;
            }
        }
    if (m->kind == CRIOIMG_MANIFEST_OCI_INDEX)  /* OCI1Index.ChooseInstance only: a Docker list has no such fallback */
        for (i = 0; i < m->nmanifests; i++)
            if (!m->manifests[i].has_platform) { *which = i; return CRIOIMG_OK; }
    if (say && errcap) say(m, want, variants[0], err, errcap);
    return CRIOIMG_ERR_PLATFORM_NOT_FOUND;
}

/* A call with fewer arguments than crioimg_manifest_choose's, which keeps that one small (below). */
static CRIOIMG__NOINLINE crioimg_result crioimg__mf_choose_quiet(const crioimg_manifest *m, const crioimg_platform *want, size_t *which)
{
    return crioimg__mf_choose(m, want, which, NULL, NULL, 0);
}

/* Small, so that a compiler inlines it where it is called: a caller that passes no err written in its call
   then does not link the text. */
crioimg_result crioimg_manifest_choose(const crioimg_manifest *m, const crioimg_platform *want, size_t *which, char *err, size_t errcap)
{
    return err ? crioimg__mf_choose(m, want, which, crioimg__mf_choose_say, err, errcap) : crioimg__mf_choose_quiet(m, want, which);
}

/* ---- image configuration ---- */

/* config.Labels: an object of strings, kept in document order */
static void crioimg__mf_labels(crioimg__mf *c, size_t l, crioimg_image_config *cf)
{
    const crioimg_json *doc = c->doc;
    size_t n = doc->tok[l].count, i, k;
    const char **keys = (const char **)crioimg__arena_alloc(c->arena, c->alloc, (n + 1) * sizeof *keys);
    const char **vals = (const char **)crioimg__arena_alloc(c->arena, c->alloc, (n + 1) * sizeof *vals);
    if (!keys || !vals) { crioimg__mf_fail(c, CRIOIMG_ERR_NOMEM, "", "out of memory", NULL); return; }
    for (i = l + 1, k = 0; k < n; k++, i = doc->tok[i + 1].next) {
        if (doc->tok[i + 1].type != CRIOIMG_JSON_STRING) { crioimg__mf_fail(c, CRIOIMG_ERR_MANIFEST_INVALID, "config", "label values must be strings", NULL); return; }
        if (!(keys[k] = crioimg__mf_str(c, i)) || !(vals[k] = crioimg__mf_str(c, i + 1))) return;
    }
    cf->label_keys = keys;
    cf->label_values = vals;
    cf->nlabels = n;
}

/* An optional list of strings: config.Env, Entrypoint and Cmd are arrays of strings; ExposedPorts and
   Volumes are Go's map[string]struct{}, objects whose values are objects (empty in every image seen), of
   which the keys matter (keys != 0). 1 with out and n set, in document order (NULL and 0 when absent or
   null), 0 with the error set when present but of another shape. */
static int crioimg__mf_strings(crioimg__mf *c, size_t obj, const char *key, int keys, const char *const **out, size_t *n)
{
    const crioimg_json *doc = c->doc;
    size_t t = crioimg_json_get(doc, obj, key), i, k, cnt;
    const char *shape = keys ? "not an object of objects:" : "not an array of strings:";
    const char **v;
    *out = NULL;
    *n = 0;
    if (t == CRIOIMG_JSON_NONE || doc->tok[t].type == CRIOIMG_JSON_NULL) return 1;
    if (doc->tok[t].type != (keys ? CRIOIMG_JSON_OBJECT : CRIOIMG_JSON_ARRAY)) { crioimg__mf_fail(c, CRIOIMG_ERR_MANIFEST_INVALID, "config", shape, key); return 0; }
    cnt = doc->tok[t].count;
    v = (const char **)crioimg__arena_alloc(c->arena, c->alloc, (cnt + 1) * sizeof *v);
    if (!v) { crioimg__mf_fail(c, CRIOIMG_ERR_NOMEM, "", "out of memory", NULL); return 0; }
    /* an array's element, or an object's key (its value follows it) */
    for (i = t + 1, k = 0; k < cnt; k++, i = doc->tok[keys ? i + 1 : i].next) {
        if (doc->tok[keys ? i + 1 : i].type != (keys ? CRIOIMG_JSON_OBJECT : CRIOIMG_JSON_STRING)) {
            crioimg__mf_fail(c, CRIOIMG_ERR_MANIFEST_INVALID, "config", shape, key);
            return 0;
        }
        if (!(v[k] = crioimg__mf_str(c, i))) return 0;
    }
    v[cnt] = NULL;
    *out = v;
    *n = cnt;
    return 1;
}

crioimg_result crioimg_image_config_parse(crioimg_image_config *cf, const char *buf, size_t len, const crioimg_manifest_opts *opts)
{
    static const char known[] = "os\0architecture\0variant\0created\0config\0rootfs\0history\0author\0os.version\0";
    static const char known_cfg[] = "User\0Labels\0Env\0Entrypoint\0Cmd\0WorkingDir\0ExposedPorts\0Volumes\0StopSignal\0";
    crioimg_json_opts jo;
    crioimg_json doc;
    crioimg__mf c;
    crioimg_result r;
    size_t max, t;
    if (cf == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    memset(cf, 0, sizeof *cf);
    if (opts) cf->alloc = opts->alloc;
    if ((buf == NULL && len) || crioimg_allocator_check(&cf->alloc) != CRIOIMG_OK) return CRIOIMG_ERR_INVALID_ARGS;
    crioimg__mf_json_opts(&jo, opts, &max);
    if ((r = crioimg_json_parse(&doc, buf ? buf : "", len, &jo)) != CRIOIMG_OK) return crioimg__mf_json_fail(cf->err, &doc, r, max);
    c.doc = &doc; c.arena = &cf->arena; c.alloc = &cf->alloc; c.err = cf->err; c.r = CRIOIMG_OK;
    cf->os = cf->architecture = cf->variant = cf->created = cf->user = cf->author = cf->working_dir = cf->stop_signal = "";
    if (crioimg__mf_keys(&c, 0, known, "") &&
        (cf->os = crioimg__mf_opt_str(&c, 0, "os", "")) && (cf->architecture = crioimg__mf_opt_str(&c, 0, "architecture", "")) &&
        (cf->variant = crioimg__mf_opt_str(&c, 0, "variant", "")) && (cf->created = crioimg__mf_opt_str(&c, 0, "created", "")) &&
        (cf->author = crioimg__mf_opt_str(&c, 0, "author", ""))) {
        t = crioimg_json_get(&doc, 0, "config");
        if (t != CRIOIMG_JSON_NONE && doc.tok[t].type != CRIOIMG_JSON_NULL && doc.tok[t].type != CRIOIMG_JSON_OBJECT)
            crioimg__mf_fail(&c, CRIOIMG_ERR_MANIFEST_INVALID, "", "config is not an object", NULL);
        else if (t != CRIOIMG_JSON_NONE && doc.tok[t].type != CRIOIMG_JSON_NULL && crioimg__mf_keys(&c, t, known_cfg, "config") &&
            (cf->user = crioimg__mf_opt_str(&c, t, "User", "config")) && (cf->working_dir = crioimg__mf_opt_str(&c, t, "WorkingDir", "config")) &&
            crioimg__mf_strings(&c, t, "Env", 0, &cf->env, &cf->nenv) && crioimg__mf_strings(&c, t, "Entrypoint", 0, &cf->entrypoint, &cf->nentrypoint) &&
            crioimg__mf_strings(&c, t, "Cmd", 0, &cf->cmd, &cf->ncmd) &&
            crioimg__mf_strings(&c, t, "ExposedPorts", 1, &cf->exposed_ports, &cf->nexposed_ports) &&
            crioimg__mf_strings(&c, t, "Volumes", 1, &cf->volumes, &cf->nvolumes) &&
            (cf->stop_signal = crioimg__mf_opt_str(&c, t, "StopSignal", "config"))) {
            size_t l = crioimg_json_get(&doc, t, "Labels");
            if (l != CRIOIMG_JSON_NONE && doc.tok[l].type != CRIOIMG_JSON_NULL) {
                if (doc.tok[l].type != CRIOIMG_JSON_OBJECT) crioimg__mf_fail(&c, CRIOIMG_ERR_MANIFEST_INVALID, "config", "Labels is not an object", NULL);
                else crioimg__mf_labels(&c, l, cf);
            }
        }
    }
    crioimg_json_free(&doc);
    if (c.r != CRIOIMG_OK) {
        char keep[256];
        memcpy(keep, cf->err, sizeof keep);
        crioimg_image_config_free(cf);
        memcpy(cf->err, keep, sizeof keep);
    }
    return c.r;
}

void crioimg_image_config_free(crioimg_image_config *c)
{
    crioimg_allocator a;
    if (c == NULL) return;
    a = c->alloc;
    crioimg__arena_free(&c->arena, &a);
    memset(c, 0, sizeof *c);
    c->alloc = a;
}

/* one part of a User: a number in [0, INT32_MAX] sets *id, a name leaves it -1 */
static crioimg_result crioimg__mf_user_part(const char *s, size_t n, long *id)
{
    size_t i;
    long v = 0;
    *id = -1;
    if (n == 0) return CRIOIMG_ERR_INVALID_ARGS;
    if (n > 1 && (s[0] == '-' || s[0] == '+')) {  /* a signed number is no name, and no valid ID */
        for (i = 1; i < n && s[i] >= '0' && s[i] <= '9'; i++) {}
        if (i == n) return CRIOIMG_ERR_JSON_RANGE;
    }
    for (i = 0; i < n; i++) if (s[i] < '0' || s[i] > '9') return CRIOIMG_OK;  /* a name */
    for (i = 0; i < n; i++) {
        if (v > (2147483647L - (s[i] - '0')) / 10) return CRIOIMG_ERR_JSON_RANGE;
        v = v * 10 + (s[i] - '0');
    }
    *id = v;
    return CRIOIMG_OK;
}

crioimg_result crioimg_image_config_user(const char *user, long *uid, long *gid)
{
    const char *colon;
    crioimg_result r;
    long u, g = -1;
    if (user == NULL || uid == NULL || gid == NULL) return CRIOIMG_ERR_INVALID_ARGS;
    *uid = *gid = -1;
    if (*user == '\0') return CRIOIMG_OK;  /* no User: the runtime's default */
    colon = strchr(user, ':');
    if ((r = crioimg__mf_user_part(user, colon ? (size_t)(colon - user) : strlen(user), &u)) != CRIOIMG_OK) return r;
    if (colon && (r = crioimg__mf_user_part(colon + 1, strlen(colon + 1), &g)) != CRIOIMG_OK) return r;
    *uid = u;
    *gid = g;
    return CRIOIMG_OK;
}
