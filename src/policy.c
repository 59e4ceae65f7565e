/* ---------------------------------------------------------------------------------------------------
   policy implementation (containers/image signature/policy_config.go, policy_eval.go)
   --------------------------------------------------------------------------------------------------- */

#include "internal.h"
#include "ref_internal.h"
#include <stdlib.h>  /* getenv, qsort */

/* Reading files without blocking (O_NONBLOCK, fstat) and resolving paths as Go's EvalSymlinks does need
   POSIX.1-2008 (a POSIX build without it stops at internal.h's #error); on other platforms, or under
   CRIOIMG_NO_POLICY_FILES, files and path scopes are refused with ERR_UNSUPPORTED, never read blindly. */
#if !defined(CRIOIMG_NO_POLICY_FILES) && (defined(__unix__) || defined(__APPLE__))
#  include <unistd.h>
#  if defined(CRIOIMG__POSIX2008)
#    define CRIOIMG__POLICY_FS 1
#  endif
#endif
#ifdef CRIOIMG__POLICY_FS
#  include <fcntl.h>
#  include <sys/stat.h>
#endif

/* requirement types, in c/image's order (policy_types.go) */
enum { CRIOIMG__PR_ACCEPT, CRIOIMG__PR_REJECT, CRIOIMG__PR_SIGNED_BY, CRIOIMG__PR_BASE_LAYER, CRIOIMG__PR_SIGSTORE };
static const char *const crioimg__pr_names[] = { "insecureAcceptAnything", "reject", "signedBy", "signedBaseLayer", "sigstoreSigned" };

typedef struct crioimg__pol_scope { const char *name; size_t len, first, n; } crioimg__pol_scope;  /* reqs[first, first + n) */
typedef struct crioimg__pol_transport { const char *name; size_t first, n; } crioimg__pol_transport; /* scopes, sorted */

struct crioimg_policy {
    crioimg_allocator alloc;
    char *path;
    unsigned char *reqs;
    size_t def_first, def_n;
    crioimg__pol_scope *scopes;
    crioimg__pol_transport *transports;
    size_t ntransports;
};

/* The parse: one walk validates and counts, a second over the same tokens fills (fill != NULL). */
typedef struct crioimg__pp {
    const crioimg_json *d;
    crioimg__out *e;
    crioimg_policy *fill;
    char *strings;                          /* fill: where names go */
    size_t nreqs, nscopes, ntransports, nstr;
    char *scratch; size_t scap;             /* one decoded string at a time */
    const crioimg_allocator *a;
} crioimg__pp;

#define CRIOIMG__PP_FAIL CRIOIMG_ERR_POLICY_INVALID

/* a decoded STRING token into the scratch buffer, NUL-terminated (strings hold no NUL: checked first) */
static crioimg_result crioimg__pp_str(crioimg__pp *p, size_t tok, const char **s, size_t *n)
{
    size_t need = p->d->tok[tok].len + 1;
    if (need > p->scap) {
        char *b = (char *)crioimg_realloc(p->a, p->scratch, need);
        if (b == NULL) return CRIOIMG_ERR_NOMEM;
        p->scratch = b; p->scap = need;
    }
    *n = crioimg_json_string(p->d, tok, p->scratch, p->scap);
    *s = p->scratch;
    return CRIOIMG_OK;
}

/* Go's %s of a decoded string: unescaped straight into the bounded output (what does not fit is
   counted, as crioimg__out_put does) */
static void crioimg__pp_put(crioimg__out *o, const crioimg_json *d, size_t tok)
{
    size_t room = o->len < o->cap ? o->cap - o->len : 0;
    o->len += crioimg_json_string(d, tok, room ? o->p + o->len : NULL, room);
}

/* Go's %v of the float64 a JSON number decodes to: the shortest digits that read back the same, as
   %e when the exponent is < -4 or >= 6 (strconv's 'g' with the shortest precision), else as a plain
   decimal ("1e3" is 1000, "0E0" is 0, "1234567" is 1.234567e+06). a: for a copy of a long number. */
static void crioimg__pp_put_float(crioimg__out *o, const char *s, size_t n, const crioimg_allocator *a)
{
    char small[64], *num = small, e[40], digits[24];
    double v;
    int prec, x;
    size_t nd = 0, i;
    const char *m;
    if (n >= sizeof small && (num = (char *)crioimg_malloc(a, n + 1)) == NULL) { crioimg__out_put(o, s, n); return; }
    memcpy(num, s, n);
    num[n] = '\0';
    v = strtod(num, NULL);
    if (num != small) crioimg_free(a, num);
    for (prec = 0; prec < 17; prec++) {
        snprintf(e, sizeof e, "%.*e", prec, v);
        if (strtod(e, NULL) == v) break;
    }
    m = e;
    if (*m == '-') { crioimg__out_put(o, "-", 1); m++; }
    if (*m < '0' || *m > '9') { crioimg__out_str(o, m); return; }  /* inf: Go fails earlier; keep the text */
    for (; *m && *m != 'e'; m++) if (*m != '.') digits[nd++] = *m;
    x = atoi(m + 1);
    if (x < -4 || x >= 6) { crioimg__out_str(o, e + (e[0] == '-')); return; }
    if (x < 0) {
        crioimg__out_str(o, "0.");
        for (i = 1; i < (size_t)-x; i++) crioimg__out_put(o, "0", 1);
        crioimg__out_put(o, digits, nd);
        return;
    }
    for (i = 0; i <= (size_t)x; i++) crioimg__out_put(o, i < nd ? digits + i : "0", 1);
    if (nd > (size_t)x + 1) { crioimg__out_put(o, ".", 1); crioimg__out_put(o, digits + x + 1, nd - (size_t)x - 1); }
}

static crioimg_result crioimg__pp_fail(crioimg__pp *p, const char *a, const crioimg_json *d, size_t tok, const char *b)
{
    crioimg__out_str(p->e, a);
    if (d) crioimg__pp_put(p->e, d, tok);
    if (b) crioimg__out_str(p->e, b);
    return CRIOIMG__PP_FAIL;
}

/* encoding/json's name for what a token is, in "cannot unmarshal X into ..." */
static const char *crioimg__pp_kind(const crioimg_json *d, size_t t)
{
    switch (d->tok[t].type) {
    case CRIOIMG_JSON_NUMBER: return "number";
    case CRIOIMG_JSON_STRING: return "string";
    case CRIOIMG_JSON_ARRAY: return "array";
    case CRIOIMG_JSON_OBJECT: return "object";
    default: return "bool";
    }
}

static crioimg_result crioimg__pp_type_error(crioimg__pp *p, size_t t, const char *go_type)
{
    crioimg__out_str(p->e, "json: cannot unmarshal ");
    crioimg__out_str(p->e, crioimg__pp_kind(p->d, t));
    crioimg__out_str(p->e, " into Go ");
    crioimg__out_str(p->e, go_type);
    return CRIOIMG__PP_FAIL;
}

/* ParanoidUnmarshalJSONObject's first check: `JSON object expected, got "%s"` with the decoder's token */
static crioimg_result crioimg__pp_object(crioimg__pp *p, size_t t)
{
    const crioimg_json_token *k = &p->d->tok[t];
    if (k->type == CRIOIMG_JSON_OBJECT) return CRIOIMG_OK;
    crioimg__out_str(p->e, "JSON object expected, got \"");
    switch (k->type) {
    case CRIOIMG_JSON_ARRAY: crioimg__out_str(p->e, "["); break;
    case CRIOIMG_JSON_STRING: crioimg__pp_put(p->e, p->d, t); break;
    case CRIOIMG_JSON_NULL: crioimg__out_str(p->e, "%!s(<nil>)"); break;
    case CRIOIMG_JSON_TRUE: crioimg__out_str(p->e, "%!s(bool=true)"); break;
    case CRIOIMG_JSON_FALSE: crioimg__out_str(p->e, "%!s(bool=false)"); break;
    default:
        crioimg__out_str(p->e, "%!s(float64=");
        crioimg__pp_put_float(p->e, p->d->buf + k->start, k->len, p->a);
        crioimg__out_str(p->e, ")");
    }
    crioimg__out_str(p->e, "\"");
    return CRIOIMG__PP_FAIL;
}

/* ---- the fields of one paranoid object: each key at most once (the JSON reader refuses repeats),
   an unknown key refused, values checked against their Go types ---- */

enum { CRIOIMG__F_PRTYPE, CRIOIMG__F_PRMTYPE, CRIOIMG__F_STRING, CRIOIMG__F_KEYTYPE, CRIOIMG__F_STRINGS, CRIOIMG__F_BYTES, CRIOIMG__F_RAW };
typedef struct crioimg__pfield { const char *key; int kind; } crioimg__pfield;
#define CRIOIMG__PF_MAX 6

static const char *const crioimg__sb_key_types[] = { "GPGKeys", "signedByGPGKeys", "X509Certificates", "signedByX509CAs" };

static int crioimg__pp_is_key_type(const char *s, size_t n)
{
    size_t i;
    for (i = 0; i < sizeof crioimg__sb_key_types / sizeof crioimg__sb_key_types[0]; i++)
        if (n == strlen(crioimg__sb_key_types[i]) && memcmp(s, crioimg__sb_key_types[i], n) == 0) return 1;
    return 0;
}

/* Where Go's base64.StdEncoding.Decode fails on s[0, n) (its CorruptInputError), or (size_t)-1 when it
   decodes: Go's decodeQuantum step by step (CR and LF skipped, "=" padding required, trailing bits not
   checked), so that "illegal base64 data at input byte N" names Go's N. */
static size_t crioimg__pp_b64_error(const char *s, size_t n)
{
    size_t si = 0;
    while (si < n) {
        int j;
        for (j = 0; j < 4; j++) {
            unsigned char in;
            if (si == n) return j == 0 ? (size_t)-1 : si - (size_t)j;  /* a quantum cut short: padding is required */
            in = (unsigned char)s[si++];
            if ((in >= 'A' && in <= 'Z') || (in >= 'a' && in <= 'z') || (in >= '0' && in <= '9') || in == '+' || in == '/') continue;
            if (in == '\n' || in == '\r') { j--; continue; }
            if (in != '=' || j < 2) return si - 1;
            if (j == 2) {  /* "==" expected */
                while (si < n && (s[si] == '\n' || s[si] == '\r')) si++;
                if (si == n) return n;
                if (s[si] != '=') return si - 1;
                si++;
            }
            while (si < n && (s[si] == '\n' || s[si] == '\r')) si++;
            return si < n ? si : (size_t)-1;   /* anything after the padding is an error */
        }
    }
    return (size_t)-1;
}

static crioimg_result crioimg__pp_value(crioimg__pp *p, int kind, size_t v)
{
    const crioimg_json *d = p->d;
    int type = d->tok[v].type;
    const char *s;
    size_t n, i;
    crioimg_result r;
    if (kind == CRIOIMG__F_RAW) return CRIOIMG_OK;
    if (kind == CRIOIMG__F_KEYTYPE) {  /* sbKeyType.UnmarshalJSON: a string (null is ""), then IsValid */
        if (type != CRIOIMG_JSON_STRING && type != CRIOIMG_JSON_NULL) return crioimg__pp_type_error(p, v, "value of type string");
        if (type == CRIOIMG_JSON_NULL) return crioimg__pp_fail(p, "Unrecognized keyType value \"\"", NULL, 0, NULL);
        if ((r = crioimg__pp_str(p, v, &s, &n)) != CRIOIMG_OK) return r;
        if (!crioimg__pp_is_key_type(s, n)) return crioimg__pp_fail(p, "Unrecognized keyType value \"", d, v, "\"");
        return CRIOIMG_OK;
    }
    if (type == CRIOIMG_JSON_NULL) return CRIOIMG_OK;   /* encoding/json: null leaves the value as it was */
    if (kind == CRIOIMG__F_STRINGS) {
        if (type != CRIOIMG_JSON_ARRAY) return crioimg__pp_type_error(p, v, "value of type []string");
        for (i = v + 1; i < d->tok[v].next; i = d->tok[i].next)
            if (d->tok[i].type != CRIOIMG_JSON_STRING && d->tok[i].type != CRIOIMG_JSON_NULL) return crioimg__pp_type_error(p, i, "value of type string");
        return CRIOIMG_OK;
    }
    if (kind == CRIOIMG__F_BYTES) {  /* []byte: base64 text, or an array of numbers 0-255 */
        if (type == CRIOIMG_JSON_STRING) {
            size_t bad;
            if ((r = crioimg__pp_str(p, v, &s, &n)) != CRIOIMG_OK) return r;
            if ((bad = crioimg__pp_b64_error(s, n)) != (size_t)-1) {
                crioimg__out_str(p->e, "illegal base64 data at input byte ");
                crioimg__out_uint(p->e, bad);
                return CRIOIMG__PP_FAIL;
            }
            return CRIOIMG_OK;
        }
        if (type != CRIOIMG_JSON_ARRAY) return crioimg__pp_type_error(p, v, "value of type []uint8");
        for (i = v + 1; i < d->tok[v].next; i = d->tok[i].next) {
            long long x;
            if (d->tok[i].type == CRIOIMG_JSON_NULL) continue;
            if (d->tok[i].type != CRIOIMG_JSON_NUMBER) return crioimg__pp_type_error(p, i, "value of type uint8");
            if (crioimg_json_int(d, i, 0, 255, &x) != CRIOIMG_OK) {
                crioimg__out_str(p->e, "json: cannot unmarshal number ");
                crioimg__out_put(p->e, d->buf + d->tok[i].start, d->tok[i].len < 64 ? d->tok[i].len : 64);
                crioimg__out_str(p->e, " into Go value of type uint8");
                return CRIOIMG__PP_FAIL;
            }
        }
        return CRIOIMG_OK;
    }
    if (type != CRIOIMG_JSON_STRING)
        return crioimg__pp_type_error(p, v, kind == CRIOIMG__F_PRTYPE ? "value of type signature.prTypeIdentifier" :
                                            kind == CRIOIMG__F_PRMTYPE ? "value of type signature.prmTypeIdentifier" : "value of type string");
    return CRIOIMG_OK;
}

/* ParanoidUnmarshalJSONObject (exact = 0) / ...ExactFields (exact = 1) over fields; at[i] is the value
   token of fields[i], or CRIOIMG_JSON_NONE when absent */
static crioimg_result crioimg__pp_fields(crioimg__pp *p, size_t obj, const crioimg__pfield *f, size_t nf, int exact, size_t *at)
{
    const crioimg_json *d = p->d;
    size_t i, k;
    crioimg_result r;
    if ((r = crioimg__pp_object(p, obj)) != CRIOIMG_OK) return r;
    for (k = 0; k < nf; k++) at[k] = CRIOIMG_JSON_NONE;
    for (i = obj + 1; i < d->tok[obj].next; i = d->tok[i + 1].next) {
        for (k = 0; k < nf; k++) if (crioimg_json_string_eq(d, i, f[k].key, strlen(f[k].key))) break;
        if (k == nf) return crioimg__pp_fail(p, "Unknown key \"", d, i, "\"");
        at[k] = i + 1;
        if ((r = crioimg__pp_value(p, f[k].kind, i + 1)) != CRIOIMG_OK) return r;
    }
    if (exact)
        for (k = 0; k < nf; k++)
            if (at[k] == CRIOIMG_JSON_NONE) {
                crioimg__out_str(p->e, "Key \"");
                crioimg__out_str(p->e, f[k].key);
                crioimg__out_str(p->e, "\" missing in a JSON object");
                return CRIOIMG__PP_FAIL;
            }
    return CRIOIMG_OK;
}

/* 1 when the string field at token t (absent or null: "") equals s */
static int crioimg__pp_field_is(const crioimg__pp *p, size_t t, const char *s)
{
    if (t == CRIOIMG_JSON_NONE || p->d->tok[t].type != CRIOIMG_JSON_STRING) return s[0] == '\0';
    return crioimg_json_string_eq(p->d, t, s, strlen(s));
}

/* `Unexpected policy requirement type "%s"` (c/image uses the text for reference matches too) */
static crioimg_result crioimg__pp_expect_type(crioimg__pp *p, size_t t, const char *want)
{
    if (crioimg__pp_field_is(p, t, want)) return CRIOIMG_OK;
    crioimg__out_str(p->e, "Unexpected policy requirement type \"");
    if (t != CRIOIMG_JSON_NONE && p->d->tok[t].type == CRIOIMG_JSON_STRING) crioimg__pp_put(p->e, p->d, t);
    crioimg__out_str(p->e, "\"");
    return CRIOIMG__PP_FAIL;
}

/* encoding/json into prCommon / prmCommon: the "type" member, its key matched without case as
   encoding/json does, the last one winning; a non-string one is an error, null changes nothing */
static crioimg_result crioimg__pp_common(crioimg__pp *p, size_t v, int prm, size_t *type_tok)
{
    const crioimg_json *d = p->d;
    size_t i;
    *type_tok = CRIOIMG_JSON_NONE;
    if (d->tok[v].type == CRIOIMG_JSON_NULL) return CRIOIMG_OK;
    if (d->tok[v].type != CRIOIMG_JSON_OBJECT)
        return crioimg__pp_type_error(p, v, prm ? "value of type signature.prmCommon" : "value of type signature.prCommon");
    for (i = v + 1; i < d->tok[v].next; i = d->tok[i + 1].next) {
        const crioimg_json_token *k = &d->tok[i];
        char key[8];
        size_t kl;
        if (k->len > 6 * 4 + 4) continue;  /* longer than any spelling of "type" */
        kl = crioimg_json_string(d, i, key, sizeof key);
        if (kl >= sizeof key || !crioimg__go_fold_eq(key, kl, "type")) continue;
        if (d->tok[i + 1].type == CRIOIMG_JSON_NULL) continue;
        if (d->tok[i + 1].type != CRIOIMG_JSON_STRING)
            return crioimg__pp_type_error(p, i + 1, prm ? "struct field prmCommon.type of type signature.prmTypeIdentifier"
                                                        : "struct field prCommon.type of type signature.prTypeIdentifier");
        *type_tok = i + 1;
    }
    return CRIOIMG_OK;
}

/* validateIdentityRemappingPrefix: a domain, or a name that starts with a domain and "/" */
static int crioimg__pp_remap_prefix_ok(const char *s, size_t n)
{
    const char *slash = (const char *)memchr(s, '/', n);
    size_t k;
    if (crioimg__ref_domain(s, n)) return 1;
    if (slash == NULL) return 0;
    k = (size_t)(slash - s);
    return crioimg__ref_domain(s, k) && (crioimg__ref_path_ok(s + k + 1, n - k - 1, 0) || crioimg__ref_path_ok(s, n, 0));
}

/* newPolicyReferenceMatchFromJSON and the prm* UnmarshalJSON methods */
static crioimg_result crioimg__pp_prm(crioimg__pp *p, size_t v)
{
    static const crioimg__pfield f_type[] = { { "type", CRIOIMG__F_PRMTYPE } };
    static const crioimg__pfield f_ref[] = { { "type", CRIOIMG__F_PRMTYPE }, { "dockerReference", CRIOIMG__F_STRING } };
    static const crioimg__pfield f_repo[] = { { "type", CRIOIMG__F_PRMTYPE }, { "dockerRepository", CRIOIMG__F_STRING } };
    static const crioimg__pfield f_remap[] = { { "type", CRIOIMG__F_PRMTYPE }, { "prefix", CRIOIMG__F_STRING }, { "signedPrefix", CRIOIMG__F_STRING } };
    static const char *const simple[] = { "matchExact", "matchRepoDigestOrExact", "matchRepository" };
    size_t tt, at[3], i;
    crioimg_result r;
    if ((r = crioimg__pp_common(p, v, 1, &tt)) != CRIOIMG_OK) return r;
    for (i = 0; i < 3; i++)
        if (crioimg__pp_field_is(p, tt, simple[i])) {
            if ((r = crioimg__pp_fields(p, v, f_type, 1, 1, at)) != CRIOIMG_OK) return r;
            return crioimg__pp_expect_type(p, at[0], simple[i]);
        }
    if (crioimg__pp_field_is(p, tt, "exactReference") || crioimg__pp_field_is(p, tt, "exactRepository")) {
        int is_ref = crioimg__pp_field_is(p, tt, "exactReference");
        const char *s, *what = is_ref ? "dockerReference" : "dockerRepository";
        size_t n;
        crioimg_ref ref;
        if ((r = crioimg__pp_fields(p, v, is_ref ? f_ref : f_repo, 2, 1, at)) != CRIOIMG_OK) return r;
        if ((r = crioimg__pp_expect_type(p, at[0], is_ref ? "exactReference" : "exactRepository")) != CRIOIMG_OK) return r;
        if (p->d->tok[at[1]].type == CRIOIMG_JSON_NULL) s = "", n = 0;
        else if ((r = crioimg__pp_str(p, at[1], &s, &n)) != CRIOIMG_OK) return r;
        r = crioimg_ref_parse_normalized(&ref, s, n);
        if (r != CRIOIMG_OK) {
            char m[300];
            crioimg_ref_error_message(r, s, n, m, sizeof m);
            crioimg__out_str(p->e, "Invalid format of ");
            crioimg__out_str(p->e, what);
            crioimg__out_str(p->e, " ");
            crioimg__out_put(p->e, s, n);
            crioimg__out_str(p->e, ": ");
            crioimg__out_str(p->e, m);
            return CRIOIMG__PP_FAIL;
        }
        if (is_ref && ref.tag_len == 0 && ref.digest_len == 0) {
            crioimg__out_str(p->e, "dockerReference ");
            crioimg__out_put(p->e, s, n);
            crioimg__out_str(p->e, " contains neither a tag nor digest");
            return CRIOIMG__PP_FAIL;
        }
        return CRIOIMG_OK;
    }
    if (crioimg__pp_field_is(p, tt, "remapIdentity")) {
        if ((r = crioimg__pp_fields(p, v, f_remap, 3, 1, at)) != CRIOIMG_OK) return r;
        if ((r = crioimg__pp_expect_type(p, at[0], "remapIdentity")) != CRIOIMG_OK) return r;
        for (i = 1; i <= 2; i++) {
            const char *s = "";
            size_t n = 0;
            if (p->d->tok[at[i]].type == CRIOIMG_JSON_STRING && (r = crioimg__pp_str(p, at[i], &s, &n)) != CRIOIMG_OK) return r;
            if (!crioimg__pp_remap_prefix_ok(s, n)) {
                crioimg__out_str(p->e, "prefix ");
                crioimg__out_goquote(p->e, s, n);
                crioimg__out_str(p->e, " is not valid");
                return CRIOIMG__PP_FAIL;
            }
        }
        return CRIOIMG_OK;
    }
    crioimg__out_str(p->e, "Unknown policy reference match type \"");
    if (tt != CRIOIMG_JSON_NONE) crioimg__pp_put(p->e, p->d, tt);
    crioimg__out_str(p->e, "\"");
    return CRIOIMG__PP_FAIL;
}

/* the signedIdentity member: absent means matchRepoDigestOrExact; present (even null) is parsed */
static crioimg_result crioimg__pp_identity(crioimg__pp *p, size_t t)
{
    return t == CRIOIMG_JSON_NONE ? CRIOIMG_OK : crioimg__pp_prm(p, t);
}

/* newPolicyRequirementFromJSON and the pr* UnmarshalJSON methods; *type gets the requirement's type */
static crioimg_result crioimg__pp_requirement(crioimg__pp *p, size_t v, unsigned char *type)
{
    static const crioimg__pfield f_simple[] = { { "type", CRIOIMG__F_PRTYPE } };
    static const crioimg__pfield f_signed_by[] = { { "type", CRIOIMG__F_PRTYPE }, { "keyType", CRIOIMG__F_KEYTYPE }, { "keyPath", CRIOIMG__F_STRING },
                                                   { "keyPaths", CRIOIMG__F_STRINGS }, { "keyData", CRIOIMG__F_BYTES }, { "signedIdentity", CRIOIMG__F_RAW } };
    static const crioimg__pfield f_base[] = { { "type", CRIOIMG__F_PRTYPE }, { "baseLayerIdentity", CRIOIMG__F_RAW } };
    static const crioimg__pfield f_sigstore[] = { { "type", CRIOIMG__F_PRTYPE }, { "keyPath", CRIOIMG__F_STRING }, { "keyData", CRIOIMG__F_BYTES },
                                                  { "signedIdentity", CRIOIMG__F_RAW } };
    const crioimg_json *d = p->d;
    size_t tt, at[CRIOIMG__PF_MAX];
    unsigned char t;
    crioimg_result r;
    if ((r = crioimg__pp_common(p, v, 0, &tt)) != CRIOIMG_OK) return r;
    for (t = 0; t < sizeof crioimg__pr_names / sizeof crioimg__pr_names[0]; t++)
        if (crioimg__pp_field_is(p, tt, crioimg__pr_names[t])) break;
    *type = t;
    switch (t) {
    case CRIOIMG__PR_ACCEPT:
    case CRIOIMG__PR_REJECT:
        if ((r = crioimg__pp_fields(p, v, f_simple, 1, 1, at)) != CRIOIMG_OK) return r;
        return crioimg__pp_expect_type(p, at[0], crioimg__pr_names[t]);
    case CRIOIMG__PR_SIGNED_BY: {
        int got_path, got_paths, got_data, sources = 0;
        if ((r = crioimg__pp_fields(p, v, f_signed_by, 6, 0, at)) != CRIOIMG_OK) return r;
        if ((r = crioimg__pp_expect_type(p, at[0], "signedBy")) != CRIOIMG_OK) return r;
        if ((r = crioimg__pp_identity(p, at[5])) != CRIOIMG_OK) return r;
        got_path = at[2] != CRIOIMG_JSON_NONE; got_paths = at[3] != CRIOIMG_JSON_NONE; got_data = at[4] != CRIOIMG_JSON_NONE;
        if (got_path + got_paths + got_data == 0)
            return crioimg__pp_fail(p, "Exactly one of keyPath, keyPaths and keyData must be specified, none of them present", NULL, 0, NULL);
        if (got_path + got_paths + got_data > 1)
            return crioimg__pp_fail(p, "Exactly one of keyPath, keyPaths and keyData must be specified, more than one present", NULL, 0, NULL);
        /* newPRSignedBy: a valid keyType, then exactly one non-empty key source (a null or "" keyPath and a
           null keyPaths or keyData count as none; "" keyData and [] keyPaths count, as in Go) */
        if (at[1] == CRIOIMG_JSON_NONE) return crioimg__pp_fail(p, "invalid keyType \"\"", NULL, 0, NULL);
        if (got_path && !crioimg__pp_field_is(p, at[2], "")) sources++;
        if (got_paths && d->tok[at[3]].type != CRIOIMG_JSON_NULL) sources++;
        if (got_data && d->tok[at[4]].type != CRIOIMG_JSON_NULL) sources++;
        if (sources != 1) return crioimg__pp_fail(p, "exactly one of keyPath, keyPaths and keyData must be specified", NULL, 0, NULL);
        return CRIOIMG_OK;
    }
    case CRIOIMG__PR_BASE_LAYER:
        if ((r = crioimg__pp_fields(p, v, f_base, 2, 1, at)) != CRIOIMG_OK) return r;
        if ((r = crioimg__pp_expect_type(p, at[0], "signedBaseLayer")) != CRIOIMG_OK) return r;
        return crioimg__pp_prm(p, at[1]);
    case CRIOIMG__PR_SIGSTORE:
        if ((r = crioimg__pp_fields(p, v, f_sigstore, 4, 0, at)) != CRIOIMG_OK) return r;
        if ((r = crioimg__pp_expect_type(p, at[0], "sigstoreSigned")) != CRIOIMG_OK) return r;
        if ((r = crioimg__pp_identity(p, at[3])) != CRIOIMG_OK) return r;
        if (at[1] != CRIOIMG_JSON_NONE && at[2] != CRIOIMG_JSON_NONE)
            return crioimg__pp_fail(p, "keyPath and keyData cannot be used simultaneously", NULL, 0, NULL);
        if (at[1] == CRIOIMG_JSON_NONE && at[2] == CRIOIMG_JSON_NONE)
            return crioimg__pp_fail(p, "At least one of keyPath and keyData must be specified", NULL, 0, NULL);
        return CRIOIMG_OK;
    default:
        crioimg__out_str(p->e, "Unknown policy requirement type \"");
        if (tt != CRIOIMG_JSON_NONE) crioimg__pp_put(p->e, d, tt);
        crioimg__out_str(p->e, "\"");
        return CRIOIMG__PP_FAIL;
    }
}

/* PolicyRequirements.UnmarshalJSON: a non-empty array of requirements; *first gets where they go */
static crioimg_result crioimg__pp_requirements(crioimg__pp *p, size_t v, size_t *first, size_t *n)
{
    const crioimg_json *d = p->d;
    size_t i;
    crioimg_result r;
    *first = p->nreqs; *n = 0;
    if (d->tok[v].type != CRIOIMG_JSON_ARRAY && d->tok[v].type != CRIOIMG_JSON_NULL)
        return crioimg__pp_type_error(p, v, "value of type []json.RawMessage");
    if (d->tok[v].type == CRIOIMG_JSON_NULL || d->tok[v].count == 0)
        return crioimg__pp_fail(p, "List of verification policy requirements must not be empty", NULL, 0, NULL);
    for (i = v + 1; i < d->tok[v].next; i = d->tok[i].next) {
        unsigned char t;
        if ((r = crioimg__pp_requirement(p, i, &t)) != CRIOIMG_OK) return r;
        if (p->fill) p->fill->reqs[p->nreqs] = t;
        p->nreqs++;
    }
    *n = p->nreqs - *first;
    return CRIOIMG_OK;
}

/* Go's filepath.Clean(s) == s for an absolute s: no empty, "." or ".." component, no trailing '/' */
static int crioimg__pp_clean_abs(const char *s, size_t n)
{
    size_t i = 1, start;
    if (n < 2 || s[0] != '/') return 0;  /* "/" itself is refused by every caller */
    for (;;) {
        start = i;
        while (i < n && s[i] != '/') i++;
        if (i == start || (i - start == 1 && s[start] == '.') || (i - start == 2 && s[start] == '.' && s[start + 1] == '.')) return 0;
        if (i == n) return 1;
        i++;
    }
}

/* containers/image's storageTransport.ValidatePolicyConfigurationScope */
static int crioimg__pp_storage_scope_ok(const char *s, size_t n)
{
    const char *close = (const char *)memchr(s, ']', n), *at, *rest;
    size_t spec, rn, f1;
    if (n == 0 || s[0] != '[' || close == NULL) return 0;
    spec = (size_t)(close - s) - 1;
    at = (const char *)memchr(s + 1, '@', spec);
    if (at == NULL) { if (spec == 0 || s[1] != '/') return 0; }
    else if (at == s + 1 || at + 1 == close || at[1] != '/') return 0;
    rest = close + 1;
    rn = n - (size_t)(rest - s);
    if ((at = (const char *)memchr(rest, '@', rn)) == NULL) return 1;
    rest = at + 1; rn = n - (size_t)(rest - s);
    at = (const char *)memchr(rest, '@', rn);
    f1 = at ? (size_t)(at - rest) : rn;
    if (at == NULL)  /* name@ID or name@digest */
        return crioimg_id_is_full(rest, f1) || crioimg_digest_validate(rest, f1) == CRIOIMG_OK;
    return crioimg_digest_validate(rest, f1) == CRIOIMG_OK && crioimg_id_is_full(at + 1, rn - f1 - 1);
}

/* Whether transport accepts scope ("" is always accepted), as its ValidatePolicyConfigurationScope in
   a default c/image 5.23 build: ostree is a stub there, and unknown transports accept anything. */
static int crioimg__pp_scope_ok(const char *tr, const char *s, size_t n)
{
    if (n == 0) return 1;
    if (strcmp(tr, "docker-archive") == 0 || strcmp(tr, "tarball") == 0) return 0;
    if (strcmp(tr, "dir") == 0 || strcmp(tr, "sif") == 0 || strcmp(tr, "oci") == 0 || strcmp(tr, "oci-archive") == 0)
        return crioimg__pp_clean_abs(s, n);
    if (strcmp(tr, "docker-daemon") == 0) return crioimg_digest_validate(s, n) != CRIOIMG_OK;
    if (strcmp(tr, "containers-storage") == 0) return crioimg__pp_storage_scope_ok(s, n);
    return 1;
}

/* a name into the strings area (fill) or counted */
static const char *crioimg__pp_keep(crioimg__pp *p, const char *s, size_t n)
{
    char *out = NULL;
    if (p->fill) { out = p->strings + p->nstr; memcpy(out, s, n); out[n] = '\0'; }
    p->nstr += n + 1;
    return out;
}

static int crioimg__pp_scope_cmp(const void *a, const void *b)
{
    const crioimg__pol_scope *x = (const crioimg__pol_scope *)a, *y = (const crioimg__pol_scope *)b;
    int c = memcmp(x->name, y->name, x->len < y->len ? x->len : y->len);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

static crioimg_result crioimg__pp_transports(crioimg__pp *p, size_t v)
{
    const crioimg_json *d = p->d;
    size_t i, j;
    crioimg_result r;
    if ((r = crioimg__pp_object(p, v)) != CRIOIMG_OK) return r;
    for (i = v + 1; i < d->tok[v].next; i = d->tok[i + 1].next) {
        const char *s, *tname;
        size_t n, first = p->nscopes;
        if ((r = crioimg__pp_str(p, i, &s, &n)) != CRIOIMG_OK) return r;
        tname = crioimg__pp_keep(p, s, n);
        if ((r = crioimg__pp_object(p, i + 1)) != CRIOIMG_OK) return r;
        for (j = i + 2; j < d->tok[i + 1].next; j = d->tok[j + 1].next) {
            size_t rf, rn;
            const char *sn;
            const char *tr = p->fill ? tname : NULL;
            char trbuf[32];
            if (tr == NULL) {  /* counting pass: the transport name is still in the scratch buffer's place */
                size_t tl = crioimg_json_string(d, i, trbuf, sizeof trbuf);
                tr = tl < sizeof trbuf ? trbuf : "";
            }
            if ((r = crioimg__pp_str(p, j, &s, &n)) != CRIOIMG_OK) return r;
            if (!crioimg__pp_scope_ok(tr, s, n)) return crioimg__pp_fail(p, "Unknown key \"", d, j, "\"");
            sn = crioimg__pp_keep(p, s, n);
            if ((r = crioimg__pp_requirements(p, j + 1, &rf, &rn)) != CRIOIMG_OK) return r;
            if (p->fill) {
                crioimg__pol_scope *sc = &p->fill->scopes[p->nscopes];
                sc->name = sn; sc->len = n; sc->first = rf; sc->n = rn;
            }
            p->nscopes++;
        }
        if (p->fill) {
            crioimg__pol_transport *t = &p->fill->transports[p->ntransports];
            t->name = tname; t->first = first; t->n = p->nscopes - first;
            qsort(p->fill->scopes + first, t->n, sizeof *p->fill->scopes, crioimg__pp_scope_cmp);
        }
        p->ntransports++;
    }
    return CRIOIMG_OK;
}

/* Policy.UnmarshalJSON */
static crioimg_result crioimg__pp_policy(crioimg__pp *p)
{
    const crioimg_json *d = p->d;
    size_t i, df = 0, dn = 0;
    int have_default = 0;
    crioimg_result r;
    if ((r = crioimg__pp_object(p, 0)) != CRIOIMG_OK) return r;
    for (i = 1; i < d->tok[0].next; i = d->tok[i + 1].next) {
        if (crioimg_json_string_eq(d, i, "default", 7)) {
            if ((r = crioimg__pp_requirements(p, i + 1, &df, &dn)) != CRIOIMG_OK) return r;
            have_default = 1;
        } else if (crioimg_json_string_eq(d, i, "transports", 10)) {
            if ((r = crioimg__pp_transports(p, i + 1)) != CRIOIMG_OK) return r;
        } else {
            return crioimg__pp_fail(p, "Unknown key \"", d, i, "\"");
        }
    }
    if (!have_default) return crioimg__pp_fail(p, "Default policy is missing", NULL, 0, NULL);
    if (p->fill) { p->fill->def_first = df; p->fill->def_n = dn; }
    return CRIOIMG_OK;
}

/* 1-based line of byte offset at */
static size_t crioimg__pp_line(const char *buf, size_t at)
{
    size_t i, line = 1;
    for (i = 0; i < at; i++) line += buf[i] == '\n';
    return line;
}

/* The offset of the first "\u0000" escape in a string of the document, or (size_t)-1. Escapes are
   already validated, so a backslash always starts one. */
static size_t crioimg__pp_find_nul(const crioimg_json *d)
{
    size_t t;
    for (t = 0; t < d->ntok; t++) {
        const crioimg_json_token *k = &d->tok[t];
        const char *s = d->buf + k->start;
        size_t i;
        if (k->type != CRIOIMG_JSON_STRING || !k->escaped) continue;
        for (i = 0; i < k->len; i++) {
            if (s[i] != '\\') continue;
            if (s[i + 1] == 'u' && memcmp(s + i + 2, "0000", 4) == 0) return k->start + i;
            i += s[i + 1] == 'u' ? 5 : 1;
        }
    }
    return (size_t)-1;
}

static void crioimg__pp_prefix(crioimg__out *e, const char *name)
{
    if (name == NULL) return;
    crioimg__out_str(e, "invalid policy in ");
    crioimg__out_goquote(e, name, strlen(name));
    crioimg__out_str(e, ": ");
}

crioimg_result crioimg_policy_parse(crioimg_policy **out, const char *buf, size_t len, const char *name,
                                    const crioimg_allocator *alloc, char *err, size_t errcap)
{
    crioimg_json doc;
    crioimg_json_opts jo;
    crioimg__pp p;
    crioimg__out e;
    crioimg_allocator a;
    crioimg_policy *pol;
    size_t at, nlen = name ? strlen(name) : 0, sz;
    crioimg_result r;
    e.p = err; e.cap = err ? errcap : 0; e.len = 0;
    if (e.cap) err[0] = '\0';
    if (out) *out = NULL;
    if (out == NULL || (buf == NULL && len > 0) || crioimg_allocator_check(alloc) != CRIOIMG_OK) return CRIOIMG_ERR_INVALID_ARGS;
    memset(&a, 0, sizeof a);
    if (alloc) a = *alloc;
    if (len > CRIOIMG_POLICY_MAX_SIZE) {
        crioimg__pp_prefix(&e, name);
        crioimg__out_str(&e, "larger than 1 MiB");
        return CRIOIMG_ERR_TOO_BIG;
    }
    memset(&jo, 0, sizeof jo);
    jo.max_size = CRIOIMG_POLICY_MAX_SIZE;
    jo.alloc = a;
    jo.keep_nul = 1;   /* refused below, after every JSON error, in policy.json's own words */
    r = crioimg_json_parse(&doc, buf ? buf : "", len, &jo);
    if (r == CRIOIMG_ERR_NOMEM) return r;
    if (r != CRIOIMG_OK) {
        crioimg__pp_prefix(&e, name);
        if (r == CRIOIMG_ERR_JSON_DUPLICATE) {  /* ParanoidUnmarshalJSONObject's text */
            crioimg__out_str(&e, "Duplicate key");
            crioimg__out_str(&e, doc.err + strlen("duplicate key"));
        } else {
            crioimg__out_str(&e, "line ");
            crioimg__out_uint(&e, crioimg__pp_line(buf, doc.err_offset < len ? doc.err_offset : len));
            crioimg__out_str(&e, ": ");
            crioimg__out_str(&e, doc.err[0] ? doc.err : crioimg_result_str(r));
        }
        return r == CRIOIMG_ERR_JSON_TOO_BIG ? CRIOIMG_ERR_TOO_BIG : CRIOIMG_ERR_POLICY_INVALID;
    }
    /* Hardening: c/image would keep a NUL inside a scope or a path; nothing legitimate needs one. */
    if ((at = crioimg__pp_find_nul(&doc)) != (size_t)-1) {
        crioimg__pp_prefix(&e, name);
        crioimg__out_str(&e, "line ");
        crioimg__out_uint(&e, crioimg__pp_line(buf, at));
        crioimg__out_str(&e, ": a NUL byte (\\u0000) in a string is not allowed");
        crioimg_json_free(&doc);
        return CRIOIMG_ERR_POLICY_INVALID;
    }
    memset(&p, 0, sizeof p);
    p.d = &doc; p.a = &a;
    p.e = &e;
    crioimg__pp_prefix(&e, name);
    if ((r = crioimg__pp_policy(&p)) != CRIOIMG_OK) {
        crioimg_free(&a, p.scratch);
        crioimg_json_free(&doc);
        if (r != CRIOIMG_ERR_POLICY_INVALID && e.cap) err[0] = '\0';
        return r;
    }
    /* one block: the policy, its requirements, scopes, transports and names */
    sz = sizeof *pol + p.nscopes * sizeof(crioimg__pol_scope) + p.ntransports * sizeof(crioimg__pol_transport) + p.nreqs + p.nstr + nlen + 1;
    if ((pol = (crioimg_policy *)crioimg_malloc(&a, sz)) == NULL) {
        crioimg_free(&a, p.scratch);
        crioimg_json_free(&doc);
        return CRIOIMG_ERR_NOMEM;
    }
    memset(pol, 0, sizeof *pol);
    pol->alloc = a;
    pol->scopes = (crioimg__pol_scope *)(void *)(pol + 1);
    pol->transports = (crioimg__pol_transport *)(void *)(pol->scopes + p.nscopes);
    pol->reqs = (unsigned char *)(pol->transports + p.ntransports);
    pol->ntransports = p.ntransports;
    p.strings = (char *)pol->reqs + p.nreqs;
    pol->path = p.strings + p.nstr;
    memcpy(pol->path, name ? name : "", nlen + 1);
    p.fill = pol;
    p.nreqs = p.nscopes = p.ntransports = p.nstr = 0;
    e.len = 0;
    r = crioimg__pp_policy(&p);   /* cannot fail: the same walk succeeded */
    crioimg_free(&a, p.scratch);
    crioimg_json_free(&doc);
    if (e.cap) err[0] = '\0';
    if (r != CRIOIMG_OK) { crioimg_free(&a, pol); return r; }
    *out = pol;
    return CRIOIMG_OK;
}

crioimg_result crioimg_policy_new_default(crioimg_policy **out, const crioimg_allocator *alloc)
{
    static const char text[] = "{\"default\":[{\"type\":\"insecureAcceptAnything\"}]}";
    return crioimg_policy_parse(out, text, sizeof text - 1, NULL, alloc, NULL, 0);
}

const char *crioimg_policy_path(const crioimg_policy *p) { return p ? p->path : ""; }

void crioimg_policy_free(crioimg_policy *p)
{
    if (p) { crioimg_allocator a = p->alloc; crioimg_free(&a, p); }
}

/* ---- loading ---- */

#ifdef CRIOIMG__POLICY_FS
/* Go's "open PATH: no such file or directory": errno texts start in lower case there */
/* "OP PATH: message" with the message's first letter lowercased, as Go's os errors read. */
static void crioimg__pol_say(crioimg__out *e, const char *op, const char *path, const char *m)
{
    char c = m[0];
    crioimg__out_str(e, op);
    crioimg__out_str(e, " ");
    crioimg__out_str(e, path);
    crioimg__out_str(e, ": ");
    if (c >= 'A' && c <= 'Z' && m[1] >= 'a' && m[1] <= 'z') c = (char)(c - 'A' + 'a');
    if (c) crioimg__out_put(e, &c, 1);
    if (c) crioimg__out_str(e, m + 1);
}

static void crioimg__pol_errno(crioimg__out *e, const char *op, const char *path, int err)
{
    crioimg__pol_say(e, op, path, strerror(err));
}

/* The whole file through the library's one config-file reader (never blocks on a FIFO or device: only
   regular files are read, to the cap), its failures worded as Go's os errors are: "open PATH: no such
   file or directory", "read PATH: a FIFO, not a regular file". */
static crioimg_result crioimg__pol_read(const char *path, const crioimg_allocator *a, char **data, size_t *len, crioimg__out *e)
{
    char wb[256];
    crioimg__out why;
    crioimg_result r;
    why.p = wb; why.cap = sizeof wb; why.len = 0;
    wb[0] = '\0';
    r = crioimg__config_read(path, CRIOIMG_POLICY_MAX_SIZE, a, data, len, &why);
    if (r == CRIOIMG_OK || r == CRIOIMG_ERR_NOMEM) return r;
    if (r == CRIOIMG_ERR_TOO_BIG) {
        crioimg__pp_prefix(e, path);
        crioimg__out_str(e, "larger than 1 MiB");
        return r;
    }
    crioimg__pol_say(e, strstr(wb, "not a regular file") ? "read" : "open", path, wb);
    return r;
}
#endif

/* crioimg_policy_load with the system file as a parameter, so that tests can point it elsewhere */
static crioimg_result crioimg__policy_load(crioimg_policy **out, const char *path, const char *sys_path, const crioimg_allocator *alloc,
                                           char *err, size_t errcap)
{
    crioimg__out e;
    e.p = err; e.cap = err ? errcap : 0; e.len = 0;
    if (e.cap) err[0] = '\0';
    if (out) *out = NULL;
    if (out == NULL || crioimg_allocator_check(alloc) != CRIOIMG_OK) return CRIOIMG_ERR_INVALID_ARGS;
#ifdef CRIOIMG__POLICY_FS
    {
        static const char user_rel[] = "/.config/containers/policy.json";
        const char *home = getenv("HOME");
        char *user = NULL, *data;
        size_t len;
        crioimg_result r;
        struct stat st;
        if (path == NULL && home && home[0]) {  /* defaultPolicyPathWithHomeDir: the user file when it exists */
            size_t hl = strlen(home);
            if ((user = (char *)crioimg_malloc(alloc, hl + sizeof user_rel)) == NULL) return CRIOIMG_ERR_NOMEM;
            memcpy(user, home, hl);
            memcpy(user + hl, user_rel, sizeof user_rel);
            if (stat(user, &st) == 0) path = user;
        }
        r = crioimg__pol_read(path ? path : sys_path, alloc, &data, &len, &e);
        if (r == CRIOIMG_ERR_NOT_FOUND && path == NULL) {
            /* No policy file at all: the containers default (accept), as the README says. */
            crioimg_free(alloc, user);
            if (e.cap) err[0] = '\0';
            return crioimg_policy_new_default(out, alloc);
        }
        if (r == CRIOIMG_OK) {
            r = crioimg_policy_parse(out, data, len, path ? path : sys_path, alloc, err, errcap);
            crioimg_free(alloc, data);
        }
        crioimg_free(alloc, user);
        return r;
    }
#else
    (void)path; (void)sys_path;
    crioimg__out_str(&e, "reading a policy file: no POSIX file access in this build (not a POSIX platform, or CRIOIMG_NO_POLICY_FILES)");
    return CRIOIMG_ERR_UNSUPPORTED;
#endif
}

crioimg_result crioimg_policy_load(crioimg_policy **out, const char *path, const crioimg_allocator *alloc, char *err, size_t errcap)
{
    return crioimg__policy_load(out, path, "/etc/containers/policy.json", alloc, err, errcap);
}

/* ---- checking (PolicyContext.requirementsForImageRef, IsRunningImageAllowed) ---- */

static const crioimg__pol_scope *crioimg__pol_find(const crioimg_policy *p, const crioimg__pol_transport *t, const char *s, size_t n)
{
    size_t lo = t->first, hi = t->first + t->n;
    crioimg__pol_scope key;
    key.name = s; key.len = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = crioimg__pp_scope_cmp(&key, &p->scopes[mid]);
        if (c == 0) return &p->scopes[mid];
        if (c < 0) hi = mid; else lo = mid + 1;
    }
    return NULL;
}

/* transports.ImageName(ref): "transport:" + StringWithinTransport() */
static void crioimg__pol_image_name(crioimg__out *o, const crioimg_image_name *nm)
{
    char s[CRIOIMG_REF_STRING_MAX + 1];
    crioimg__out_str(o, crioimg_transport_name(nm->transport));
    crioimg__out_str(o, ":");
    switch (nm->transport) {
    case CRIOIMG_TRANSPORT_DOCKER:
        crioimg_ref_string(&nm->ref, s, sizeof s);
        crioimg__out_str(o, "//");
        crioimg__out_str(o, s);
        break;
    case CRIOIMG_TRANSPORT_DOCKER_DAEMON:
        if (nm->has_ref) { crioimg_ref_familiar_string(&nm->ref, s, sizeof s); crioimg__out_str(o, s); }
        else { crioimg__out_str(o, "sha256:"); crioimg__out_put(o, nm->id.ptr, nm->id.len); }
        break;
    case CRIOIMG_TRANSPORT_OCI:
    case CRIOIMG_TRANSPORT_OCI_ARCHIVE:   /* "%s:%s", the colon even with no image name */
        crioimg__out_put(o, nm->path.ptr, nm->path.len);
        crioimg__out_str(o, ":");
        crioimg__out_put(o, nm->oci_ref.ptr, nm->oci_ref.len);
        break;
    case CRIOIMG_TRANSPORT_DOCKER_ARCHIVE:
        crioimg__out_put(o, nm->path.ptr, nm->path.len);
        if (nm->has_ref) { crioimg_ref_string(&nm->ref, s, sizeof s); crioimg__out_str(o, ":"); crioimg__out_str(o, s); }
        else if (nm->archive_index >= 0) { crioimg__out_str(o, ":@"); crioimg__out_uint(o, (unsigned long long)nm->archive_index); }
        break;
    case CRIOIMG_TRANSPORT_CONTAINERS_STORAGE:
        if (nm->has_ref) { crioimg_ref_string(&nm->ref, s, sizeof s); crioimg__out_str(o, s); }
        if (nm->id.len) { if (nm->has_ref) crioimg__out_str(o, "@"); crioimg__out_put(o, nm->id.ptr, nm->id.len); }
        break;
    default:
        crioimg__out_put(o, nm->path.ptr, nm->path.len);
    }
}

#ifdef CRIOIMG__POLICY_FS
#define CRIOIMG__POL_PATH_MAX 4096

/* Go's filepath.EvalSymlinks over an absolute path in buf (cleaned in place); every component must
   exist. work is 3 * CRIOIMG__POL_PATH_MAX bytes of scratch. 0, or an errno. */
static int crioimg__pol_eval_symlinks(char *buf, char *work)
{
    char *res = work, *todo = work + CRIOIMG__POL_PATH_MAX, *link = work + 2 * CRIOIMG__POL_PATH_MAX;
    size_t rl = 0, tl = strlen(buf), links = 0;
    if (tl >= CRIOIMG__POL_PATH_MAX) return ENAMETOOLONG;
    memcpy(todo, buf, tl + 1);
    while (tl) {
        size_t i = 0, c;
        struct stat st;
        while (i < tl && todo[i] == '/') i++;
        c = i;
        while (c < tl && todo[c] != '/') c++;
        if (c == i) break;
        if (c - i == 1 && todo[i] == '.') { memmove(todo, todo + c, tl - c + 1); tl -= c; continue; }
        if (c - i == 2 && todo[i] == '.' && todo[i + 1] == '.') {
            while (rl && res[rl - 1] != '/') rl--;
            if (rl) rl--;
            memmove(todo, todo + c, tl - c + 1); tl -= c;
            continue;
        }
        if (rl + 1 + (c - i) >= CRIOIMG__POL_PATH_MAX) return ENAMETOOLONG;
        res[rl] = '/';
        memcpy(res + rl + 1, todo + i, c - i);
        res[rl + 1 + (c - i)] = '\0';
        if (lstat(res, &st) != 0) { int er = errno; memcpy(buf, res, rl + 2 + (c - i)); return er; }  /* buf: where it failed */
        memmove(todo, todo + c, tl - c + 1); tl -= c;
        if (S_ISLNK(st.st_mode)) {
            ssize_t k;
            if (++links > 255) return ELOOP;
            k = readlink(res, link, CRIOIMG__POL_PATH_MAX - 1);
            if (k < 0) return errno;
            if ((size_t)k + 1 + tl >= CRIOIMG__POL_PATH_MAX) return ENAMETOOLONG;
            memmove(todo + k + 1, todo, tl + 1);   /* the link's target, then what was left */
            memcpy(todo, link, (size_t)k);
            todo[k] = '/';
            tl += (size_t)k + 1;
            if (link[0] == '/') rl = 0;  /* a relative target is read from the link's directory: res as it was */
            continue;
        }
        rl += 1 + (c - i);
    }
    if (rl == 0) res[rl++] = '/';
    memcpy(buf, res, rl);
    buf[rl] = '\0';
    return 0;
}

/* filepath.Abs + Clean of s[0, n) into out (CRIOIMG__POL_PATH_MAX bytes) */
static int crioimg__pol_abs(const char *s, size_t n, char *out, char *work)
{
    size_t ol = 0, i = 0;
    if (n == 0 || s[0] != '/') {
        if (getcwd(out, CRIOIMG__POL_PATH_MAX) == NULL) return errno;
        ol = strlen(out);
    }
    if (ol + 1 + n >= CRIOIMG__POL_PATH_MAX) return ENAMETOOLONG;
    out[ol++] = '/';
    memcpy(out + ol, s, n);
    out[ol + n] = '\0';
    /* Clean: split and rebuild, dropping "." and resolving ".." lexically */
    memcpy(work, out, ol + n + 1);
    ol = 0;
    while (work[i]) {
        size_t c;
        while (work[i] == '/') i++;
        c = i;
        while (work[c] && work[c] != '/') c++;
        if (c == i) break;
        if (c - i == 1 && work[i] == '.') { i = c; continue; }
        if (c - i == 2 && work[i] == '.' && work[i + 1] == '.') { while (ol && out[ol - 1] != '/') ol--; if (ol) ol--; i = c; continue; }
        out[ol++] = '/';
        memcpy(out + ol, work + i, c - i);
        ol += c - i;
        i = c;
    }
    if (ol == 0) out[ol++] = '/';
    out[ol] = '\0';
    return 0;
}

/* explicitfilepath.ResolvePathToFullyExplicit of s[0, n) into out (CRIOIMG__POL_PATH_MAX bytes) */
static crioimg_result crioimg__pol_resolve(const char *s, size_t n, char *out, char *work, crioimg__out *e)
{
    struct stat st;
    int er;
    char *tmp = work + 3 * CRIOIMG__POL_PATH_MAX;
    if (memchr(s, '\0', n) != NULL || n >= CRIOIMG__POL_PATH_MAX) { er = EINVAL; goto fail; }
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    if (lstat(tmp, &st) == 0) {
        if ((er = crioimg__pol_abs(s, n, out, work)) != 0) goto fail;
        if ((er = crioimg__pol_eval_symlinks(out, work)) != 0) goto fail_at;
        return CRIOIMG_OK;
    }
    if ((er = errno) != ENOENT) goto fail;
    {   /* filepath.Split: the parent must exist and is resolved; the missing last name is appended */
        size_t k = n, fl, ol;
        const char *file;
        while (k && s[k - 1] != '/') k--;
        file = s + k; fl = n - k;
        if ((fl == 1 && file[0] == '.') || (fl == 2 && file[0] == '.' && file[1] == '.')) {
            crioimg__out_str(e, "Unexpectedly missing special filename component in ");
            crioimg__out_str(e, tmp);
            return CRIOIMG_ERR_IO;
        }
        if ((er = crioimg__pol_abs(s, k, out, work)) != 0) goto fail;
        if ((er = crioimg__pol_eval_symlinks(out, work)) != 0) goto fail_at;
        ol = strlen(out);
        if (fl) {
            if (ol + 1 + fl >= CRIOIMG__POL_PATH_MAX) { er = ENAMETOOLONG; goto fail; }
            if (ol > 1) out[ol++] = '/';
            memcpy(out + ol, file, fl);
            out[ol + fl] = '\0';
        }
        return CRIOIMG_OK;
    }
fail_at:  /* EvalSymlinks names the component that failed, as Go's "lstat /a/b: ..." */
    if (er != ENAMETOOLONG && er != ELOOP) { crioimg__pol_errno(e, "lstat", out, er); return CRIOIMG_ERR_IO; }
fail:
    crioimg__pol_errno(e, "lstat", tmp, er);
    return CRIOIMG_ERR_IO;
}
#endif

/* the requirements that apply: the transport's section, identity, namespaces, "", else default */
typedef struct crioimg__pol_pick {
    const crioimg_policy *p;
    const crioimg__pol_transport *t;
    const crioimg__pol_scope *hit;
} crioimg__pol_pick;

static int crioimg__pol_try(crioimg__pol_pick *k, const char *s, size_t n)
{
    if (k->hit == NULL) k->hit = crioimg__pol_find(k->p, k->t, s, n);
    return k->hit != NULL;
}

/* DockerReferenceIdentity, then DockerReferenceNamespaces (docker/policyconfiguration/naming.go) */
static void crioimg__pol_docker(crioimg__pol_pick *k, const crioimg_ref *ref)
{
    char id[CRIOIMG_REF_STRING_MAX + 1], wild[CRIOIMG_REF_NAME_MAX + 3];
    size_t n = ref->name_len, host, i;
    memcpy(id, ref->name, n);
    if (ref->tag_len) { id[n] = ':'; memcpy(id + n + 1, ref->tag, ref->tag_len); n += 1u + ref->tag_len; }
    else if (ref->digest_len) { id[n] = '@'; memcpy(id + n + 1, ref->digest, ref->digest_len); n += 1u + ref->digest_len; }
    if (crioimg__pol_try(k, id, n)) return;
    /* the repository and each parent namespace, down to the first component */
    for (n = ref->name_len;;) {
        if (crioimg__pol_try(k, ref->name, n)) return;
        while (n && ref->name[n - 1] != '/') n--;
        if (n == 0) break;
        n--;
    }
    /* "*.example.com", "*.com" for the first component without its port */
    for (host = 0; host < ref->name_len && ref->name[host] != '/'; host++) {}
    for (i = 0; i < host && ref->name[i] != ':'; i++) {}
    host = i;
    for (i = 0; i < host; i++) {
        if (ref->name[i] != '.') continue;
        wild[0] = '*';
        memcpy(wild + 1, ref->name + i, host - i);
        if (crioimg__pol_try(k, wild, host - i + 1)) return;
    }
}

crioimg_result crioimg_policy_check_name(const crioimg_policy *p, const crioimg_image_name *nm, char *err, size_t errcap)
{
    crioimg__out e;
    crioimg__pol_pick k;
    const char *tname;
    size_t i, first, n;
    e.p = err; e.cap = err ? errcap : 0; e.len = 0;
    if (e.cap) err[0] = '\0';
    if (p == NULL || nm == NULL || nm->transport == CRIOIMG_TRANSPORT_NONE) return CRIOIMG_ERR_INVALID_ARGS;
    tname = crioimg_transport_name(nm->transport);
    k.p = p; k.t = NULL; k.hit = NULL;
    for (i = 0; i < p->ntransports; i++) if (strcmp(p->transports[i].name, tname) == 0) k.t = &p->transports[i];
    if (k.t) {
        switch (nm->transport) {
        case CRIOIMG_TRANSPORT_DOCKER:
            crioimg__pol_docker(&k, &nm->ref);
            break;
        case CRIOIMG_TRANSPORT_DOCKER_DAEMON:  /* an image ID falls in the root namespace only */
            if (nm->has_ref) crioimg__pol_docker(&k, &nm->ref);
            break;
        case CRIOIMG_TRANSPORT_DIR:
        case CRIOIMG_TRANSPORT_OCI:
        case CRIOIMG_TRANSPORT_OCI_ARCHIVE: {
#ifdef CRIOIMG__POLICY_FS
            char *buf = (char *)crioimg_malloc(&p->alloc, 5 * CRIOIMG__POL_PATH_MAX);  /* path + 4 of scratch */
            crioimg_result r;
            size_t len;
            if (buf == NULL) return CRIOIMG_ERR_NOMEM;
            if ((r = crioimg__pol_resolve(nm->path.ptr, nm->path.len, buf, buf + CRIOIMG__POL_PATH_MAX, &e)) != CRIOIMG_OK) {
                crioimg_free(&p->alloc, buf);
                return r;
            }
            /* the resolved path, then its parents without "/" (dir: starts at the parent, as c/image's
               dirReference; oci and oci-archive list the path itself again first, which changes nothing) */
            len = strlen(buf);
            while (!crioimg__pol_try(&k, buf, len)) {
                while (len && buf[len - 1] != '/') len--;
                if (len <= 1) break;
                len--;
            }
            crioimg_free(&p->alloc, buf);
            break;
#else
            crioimg__out_str(&e, "resolving paths for policy scopes: no POSIX file access in this build (not a POSIX platform, or CRIOIMG_NO_POLICY_FILES)");
            return CRIOIMG_ERR_UNSUPPORTED;
#endif
        }
        case CRIOIMG_TRANSPORT_CONTAINERS_STORAGE:
            crioimg__out_str(&e, "containers-storage: policy scopes name a store's graph driver and root, which crioimg does not know: not supported by crioimg");
            return CRIOIMG_ERR_UNSUPPORTED;
        default:  /* docker-archive: only the "" scope (its identity is "") */
            break;
        }
        crioimg__pol_try(&k, "", 0);
    }
    if (k.hit) { first = k.hit->first; n = k.hit->n; }
    else { first = p->def_first; n = p->def_n; }
    /* IsRunningImageAllowed: every requirement in order must allow it */
    for (i = first; i < first + n; i++) {
        unsigned char t = p->reqs[i];
        if (t == CRIOIMG__PR_ACCEPT) continue;
        crioimg__out_str(&e, "Running image ");
        crioimg__pol_image_name(&e, nm);
        if (t == CRIOIMG__PR_REJECT) {
            crioimg__out_str(&e, " is rejected by policy.");
            return CRIOIMG_ERR_POLICY_REJECTED;
        }
        crioimg__out_str(&e, " requires a \"");
        crioimg__out_str(&e, crioimg__pr_names[t]);
        crioimg__out_str(&e, "\" signature check (");
        if (k.hit) {
            crioimg__out_str(&e, "policy transport ");
            crioimg__out_goquote(&e, tname, strlen(tname));
            crioimg__out_str(&e, " scope ");
            crioimg__out_goquote(&e, k.hit->name, k.hit->len);
        } else {
            crioimg__out_str(&e, "the policy's default");
        }
        crioimg__out_str(&e, "), which is not supported by crioimg");
        return CRIOIMG_ERR_POLICY_UNSUPPORTED;
    }
    return CRIOIMG_OK;
}

crioimg_result crioimg_policy_check(const crioimg_policy *p, const char *name, size_t n, char *err, size_t errcap)
{
    crioimg_image_name nm;
    crioimg_result r;
    if (err && errcap) err[0] = '\0';
    if (p == NULL || (name == NULL && n > 0)) return CRIOIMG_ERR_INVALID_ARGS;
    if ((r = crioimg_image_name_parse(&nm, name ? name : "", n, err, errcap, NULL)) != CRIOIMG_OK) return r;
    return crioimg_policy_check_name(p, &nm, err, errcap);
}
