/* ---------------------------------------------------------------------------------------------------
   TOML reader (internal): TOML 1.0 into a tree, as BurntSushi/toml (containers/image's decoder) reads
   it; src/registries.c then applies the tree the way that decoder fills sysregistriesv2's structs.
   --------------------------------------------------------------------------------------------------- */
#ifndef CRIOIMG__TOML_H   /* a part compiled alone may reach it twice */
#define CRIOIMG__TOML_H 1
#include "internal.h"

#define CRIOIMG__TOML_MAX (1u << 20)   /* a registries.conf larger than 1 MiB is refused */
/* Counts that bound the quadratic checks (duplicate keys, conflicting registries) to well under a second
   for any file; real configurations have tens of entries, Debian's alias list about a hundred. */
#define CRIOIMG__TOML_MAX_ITEMS 4096    /* items in one array; [[registry]] tables in one file */
#define CRIOIMG__TOML_MAX_KEYS 8192     /* keys in one table */
#define CRIOIMG__TOML_MAX_DEPTH 32      /* parts of one dotted key or header */
#define CRIOIMG__TOML_MAX_NEST 16       /* arrays and inline tables nested in one value: about 300 bytes of
                                           stack each (an embedded thread may have 8 KiB) */

typedef struct crioimg__toml {
    const char *s;
    size_t n, pos;
    unsigned long line;
    const char *file;
    const crioimg_allocator *a;
    char *err;                /* the owner's error buffer */
    size_t errcap;
    unsigned depth;
} crioimg__toml;

typedef enum {
    CRIOIMG__TN_STRING = 1, CRIOIMG__TN_INT, CRIOIMG__TN_FLOAT, CRIOIMG__TN_BOOL, CRIOIMG__TN_DATETIME,
    CRIOIMG__TN_ARRAY, CRIOIMG__TN_TABLE
} crioimg__tn_type;

/* How a table or array came to be. The rules on defining one twice are BurntSushi/toml 1.2.0's, which
   are looser than TOML 1.0's: any table may be extended by a header or by dotted keys (inline ones
   too); only an implicit one (made on the way to [a.b] or by a.b = 1) may be named by a later [a]. */
#define CRIOIMG__TF_IMPLICIT 1u /* made on the way to another table, not yet named itself */
#define CRIOIMG__TF_AOT 2u      /* an array of tables made by [[headers]] */

/* One value; a table's kids are its members (each with its key), an array's its items (key NULL). */
typedef struct crioimg__tnode {
    char *key;
    char *str;                          /* STRING: unescaped, NUL-terminated (no NUL inside: refused) */
    struct crioimg__tnode **kids;
    size_t nkids, cap;
    unsigned long line;                 /* where the key (or the item) was written */
    unsigned char type, flags;
    int b;                              /* BOOL */
} crioimg__tnode;

/* What the registries.conf reader (registries_conf.c) calls: the whole text into a tree, the tree's
   release, and "FILE:LINE: what [arg]" into the error buffer (always ERR_REGISTRIES_CONF). */
CRIOIMG__LIB crioimg_result crioimg__toml_parse(crioimg__toml *t, crioimg__tnode **out);
CRIOIMG__LIB void crioimg__tnode_free(const crioimg_allocator *a, crioimg__tnode *n);
CRIOIMG__LIB crioimg_result crioimg__toml_fail(crioimg__toml *t, unsigned long line, const char *what, const char *arg, size_t an);
#endif
