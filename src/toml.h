/* ---------------------------------------------------------------------------------------------------
   TOML reader (internal): the strict subset registries.conf is read with (src/registries.c applies it)
   --------------------------------------------------------------------------------------------------- */

/* ---- the TOML subset: comments, [table] and [[array.table]] headers, bare or quoted keys, basic and
   literal one-line strings, booleans, arrays of strings (over several lines, trailing comma allowed).
   Numbers and dates are read over for unknown keys only. Multi-line strings, inline tables and dotted
   keys are refused with a message: registries.conf never needs them, and refusing beats guessing. ---- */

#define CRIOIMG__TOML_MAX (1u << 20)   /* a registries.conf larger than 1 MiB is refused */
/* Counts that bound the quadratic checks (duplicate keys, conflicting registries) to well under a second
   for any file; real configurations have tens of entries, Debian's alias list about a hundred. */
#define CRIOIMG__TOML_MAX_ITEMS 4096    /* strings in one array; [[registry]] tables in one file */
#define CRIOIMG__TOML_MAX_KEYS 8192     /* keys in one table */

typedef struct crioimg__toml {
    const char *s;
    size_t n, pos;
    unsigned long line;
    const char *file;
    const crioimg_allocator *a;
    char *err;                /* r->err */
    size_t errcap;
} crioimg__toml;

typedef enum { CRIOIMG__TV_STRING = 1, CRIOIMG__TV_BOOL, CRIOIMG__TV_ARRAY, CRIOIMG__TV_OTHER } crioimg__tv_type;

typedef struct crioimg__tv {
    crioimg__tv_type type;
    char *str;                /* STRING (NUL-terminated, unescaped) */
    int b;                    /* BOOL */
    char **items; size_t nitems;  /* ARRAY of strings */
} crioimg__tv;
