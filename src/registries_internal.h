/* ---------------------------------------------------------------------------------------------------
   registries implementation, what its parts share (registries.c, registries_conf.c, shortnames.c): the
   handle's struct, one registries.conf's configuration, and the helpers one part calls in another
   --------------------------------------------------------------------------------------------------- */
#ifndef CRIOIMG__REGISTRIES_INTERNAL_H   /* a part compiled alone includes it once; crioimg.h has it once */
#define CRIOIMG__REGISTRIES_INTERNAL_H 1
#include "internal.h"
#include "netaddr.h"
#include "toml.h"

typedef struct crioimg__host_cache {
    char *host;              /* the name looked up (no port) */
    unsigned char state;     /* 0 look-up failed, 1 no address in a CIDR, 2 an address in a CIDR */
    char detail[48];         /* the address that matched */
} crioimg__host_cache;

struct crioimg_registries {
    crioimg_allocator alloc;
    crioimg_resolver resolver;     /* copied; version 0 = none */
    crioimg_image_ids ids;         /* copied; version 0 = none */
    char **search; size_t nsearch;
    char **hosts; size_t nhosts;   /* exact host[:port] entries */
    crioimg__range4 *r4; size_t n4, cap4;
    crioimg__range6 *r6; size_t n6, cap6;
    int sorted;                    /* r4/r6 sorted and merged since the last add */
    crioimg__host_cache *cache; size_t ncache;
    struct crioimg__conf *conf;    /* registries.conf as loaded; NULL: none */
    char **files; size_t nfiles;   /* the files read, for the origins of aliases and search lists */
    char warn[256];
    char err[512];
};

/* ---- one file's configuration ---- */

typedef enum { CRIOIMG__PFM_UNSET = 0, CRIOIMG__PFM_ALL, CRIOIMG__PFM_DIGEST, CRIOIMG__PFM_TAG, CRIOIMG__PFM_BAD } crioimg__pfm;

typedef struct crioimg__endpoint {
    char *location;
    int insecure;
    crioimg__pfm pull_from_mirror;
    char *pfm_text;               /* for the error message of an unsupported value */
} crioimg__endpoint;

typedef struct crioimg__regent {
    char *prefix;
    crioimg__endpoint ep;
    crioimg__endpoint *mirrors; size_t nmirrors, capm;
    int blocked, mirror_by_digest_only;
    unsigned long line;           /* of its [[registry]] header */
    const char *file;             /* borrowed from the conf's file list */
} crioimg__regent;

typedef struct crioimg__alias {
    char *name;
    char *value;                  /* normalized name (no tag); NULL: "" (no alias: an override that removes one) */
    const char *file;
    unsigned long line;
} crioimg__alias;

typedef struct crioimg__conf {
    crioimg__regent *regs; size_t nregs, capr;
    char **search; size_t nsearch; int has_search;
    const char *search_origin;
    char **helpers; size_t nhelpers; int has_helpers;
    int mode;                     /* 0 unset, else crioimg_short_name_mode */
    crioimg__alias *aliases; size_t naliases, capa;
    int v1, v2;                   /* saw v1 tables / v2 content */
    char **v1_search, **v1_insecure, **v1_block; size_t nv1_search, nv1_insecure, nv1_block;
    int has_v1_search;
    unsigned v1_set;              /* the v1 lists set (bit 0 search, 1 insecure, 2 block) */
} crioimg__conf;

/* registries.c */
CRIOIMG__LIB void crioimg__reg_seterr(crioimg_registries *r, const char *a, const char *b, size_t bn, const char *c);
CRIOIMG__LIB crioimg_result crioimg__reg_list_add(const crioimg_allocator *a, char ***list, size_t *n, const char *s, size_t len);
CRIOIMG__LIB crioimg_result crioimg__cand_add(crioimg_candidates *c, crioimg_candidate_rule rule, const char *a, size_t an,
                                              const char *b, size_t bn, const char *o, size_t on);
/* registries_conf.c */
CRIOIMG__LIB void crioimg__conf_free(const crioimg_allocator *a, struct crioimg__conf *c);
CRIOIMG__LIB int crioimg__wildcard(const char *p);
CRIOIMG__LIB int crioimg__ref_has_registry(const crioimg_ref *ref);
/* shortnames.c */
CRIOIMG__LIB crioimg_result crioimg__shortnames_resolve(crioimg_registries *r, const char *name, size_t n, crioimg_candidates *out);
CRIOIMG__LIB int crioimg__conf_insecure(const crioimg_registries *r, const char *host, size_t n, char *detail, size_t dcap);

#endif
