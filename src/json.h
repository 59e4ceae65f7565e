/* ---------------------------------------------------------------------------------------------------
   json: a strict RFC 8259 reader and an escaping writer

   The reader takes a whole document in a buffer and produces a flat array of tokens that point into the
   buffer (nothing is copied; strings are unescaped on demand). It is strict: UTF-8 validated, no
   trailing commas, comments, NaN, leading zeros or lone surrogates; one value per document, only
   whitespace (space, tab, CR, LF) around it; no byte order mark. It is bounded: a size cap (read to
   cap+1 and refused), a depth cap kept with an explicit stack (input never deepens the C stack), a token
   cap. Duplicate keys inside one object are found after unescaping ("a" and "\u0061" are the same key)
   in O(n log n) per object; crioimg_json_opts.allow_duplicates says whether that is an error. Numbers
   keep their text and are range-checked when read as integers. Errors carry the byte offset, its line
   and a message. A string could unescape to bytes holding a NUL (\u0000), which would cut it short as a C
   string: by default such a document is refused (ERR_JSON_SYNTAX, at the line of the escape), so no
   decoded string holds a NUL. A reader that uses lengths throughout and must accept what Go's
   encoding/json accepts sets crioimg_json_opts.keep_nul. Report "FILE:LINE: ..." with doc.err_line, or
   crioimg_json_line() for a token found wrong later.

   Memory: one token (sizeof(crioimg_json_token), 40 bytes on LP64) per value and per key, in one array
   grown geometrically; a few bytes of input can make a token ("[0,0,...]"), so the token array can be
   up to about 20 times the input. Pass a smaller max_tokens where documents are known to be small.
   --------------------------------------------------------------------------------------------------- */

typedef enum crioimg_json_type {
    CRIOIMG_JSON_NULL = 0,
    CRIOIMG_JSON_FALSE,
    CRIOIMG_JSON_TRUE,
    CRIOIMG_JSON_NUMBER,
    CRIOIMG_JSON_STRING,
    CRIOIMG_JSON_ARRAY,
    CRIOIMG_JSON_OBJECT
} crioimg_json_type;

/* One value. Tokens are in document order: a container is followed by its children, an object's
   children alternate key (a STRING token) and value. */
typedef struct crioimg_json_token {
    unsigned char type;    /* crioimg_json_type */
    unsigned char escaped; /* STRING: holds at least one backslash escape */
    size_t start, len;     /* the raw text: STRING without its quotes, NUMBER as written, containers whole */
    size_t count;          /* ARRAY: elements; OBJECT: members (key/value pairs) */
    size_t next;           /* index of the first token after this value and its children (the sibling) */
} crioimg_json_token;

typedef struct crioimg_json_opts {
    size_t max_size;        /* bytes; 0 = 4 MiB. A longer input is ERR_JSON_TOO_BIG without being read */
    size_t max_depth;       /* open containers: "1" is depth 0, "[]" 1, "[{}]" 2; 0 = 64 */
    size_t max_tokens;      /* 0 = max_size / 2 + 1 (every token takes at least 2 bytes but the root);
                               more tokens than this is ERR_JSON_TOO_BIG */
    int allow_duplicates;   /* 0: a repeated key in one object is CRIOIMG_ERR_JSON_DUPLICATE */
    crioimg_allocator alloc; /* zeroed = the default allocator */
    int refuse_nul;         /* kept for source compatibility: refusing is the default now (keep_nul
                               below); 1 still refuses, whatever keep_nul says */
    int keep_nul;           /* 0 (the default): a \u0000 escape in any string or key is
                               CRIOIMG_ERR_JSON_SYNTAX ("NUL character (\u0000) in a string", err_line
                               naming its line), so no decoded string holds a NUL and none can be cut
                               short by one. 1: strings keep their NULs, as Go's encoding/json keeps them;
                               the caller must then use lengths (crioimg_json_string's result), never
                               strlen. Appended in 0.2; before, keeping was the default. */
} crioimg_json_opts;

typedef struct crioimg_json {
    const char *buf;          /* the parsed text (borrowed: must outlive the document) */
    size_t len;
    crioimg_json_token *tok;  /* tok[0] is the root */
    size_t ntok;
    size_t err_offset;        /* on error: the byte offset where it was found */
    char err[128];            /* on error: what was wrong, e.g. "duplicate key \"layers\"" */
    crioimg_allocator alloc;
    unsigned long err_line;   /* on error: the 1-based line of err_offset, for "FILE:LINE: err" messages
                                 (0 when the document was refused by size, unread) */
} crioimg_json;

#define CRIOIMG_JSON_NONE ((size_t)-1)

/* Parses buf[0, len). On success doc holds the tokens (free with crioimg_json_free); on error doc->err,
   doc->err_offset and doc->err_line say why and where, and nothing needs freeing (freeing is harmless).
   opts may be NULL. Results: OK, ERR_JSON_SYNTAX (also an empty document, a BOM, bytes after the value,
   a \u0000 unless opts->keep_nul),
   ERR_JSON_TOO_BIG (size or token cap), ERR_JSON_TOO_DEEP, ERR_JSON_DUPLICATE, ERR_JSON_UTF8 (invalid
   UTF-8 in a string, or a \u escape of a lone surrogate), ERR_NOMEM, ERR_INVALID_ARGS (doc NULL, buf NULL
   with len > 0, a half-set allocator). */
CRIOIMG_API crioimg_result crioimg_json_parse(crioimg_json *doc, const char *buf, size_t len, const crioimg_json_opts *opts);
CRIOIMG_API void crioimg_json_free(crioimg_json *doc);

/* Navigation. Every function below takes any token index: CRIOIMG_JSON_NONE or an index past the end
   reads as "absent", so lookups chain: crioimg_json_int(d, crioimg_json_get(d, 0, "size"), ...). */

/* The value of key in the object at token obj, or CRIOIMG_JSON_NONE (also when obj is not an object).
   Keys are compared after unescaping, byte for byte (JSON keys are case-sensitive: "Layers" is not
   "layers"). Linear in the object's size. When duplicates were allowed, the last one wins, as in Go's
   encoding/json. */
CRIOIMG_API size_t crioimg_json_get(const crioimg_json *doc, size_t obj, const char *key);
/* Children: the first is obj + 1 (when count > 0), each next is doc->tok[i].next. For objects, i is a
   key and i + 1 its value. */

/* A STRING token unescaped into out (cap bytes with the NUL; out may be NULL when cap is 0). Returns the
   full length; out is truncated when that is >= cap. Never fails: the reader already validated the
   escapes, so the result is valid UTF-8. It holds no NUL byte unless the document was parsed with
   keep_nul (a \u0000 then gives one): compare the returned length with strlen(out) before using out as
   a C string. 0 and "" for a token that is not a STRING. */
CRIOIMG_API size_t crioimg_json_string(const crioimg_json *doc, size_t tok, char *out, size_t cap);
/* The 1-based line of byte offset in the parsed text: for a message about a token found wrong after
   parsing (crioimg_json_line(doc, doc->tok[t].start)), in the "FILE:LINE: what" form that
   registries.conf messages use. 0 when doc is NULL. */
CRIOIMG_API unsigned long crioimg_json_line(const crioimg_json *doc, size_t offset);
/* 1 when the STRING token equals s[0, n) after unescaping, else 0 (also for other types). */
CRIOIMG_API int crioimg_json_string_eq(const crioimg_json *doc, size_t tok, const char *s, size_t n);
/* A NUMBER token as an integer in [min, max]: ERR_JSON_TYPE for another type or a fraction/exponent
   that is not integral, ERR_JSON_RANGE when out of range ("1e3" is 1000, "1.0" is 1, "-0" is 0; "1.5"
   and "1e-1" are ERR_JSON_TYPE; "1e400" is ERR_JSON_RANGE). Exact: no floating point is involved.
   ERR_NOT_FOUND for an absent token, ERR_INVALID_ARGS when min > max. *out is set only on success. */
CRIOIMG_API crioimg_result crioimg_json_int(const crioimg_json *doc, size_t tok, long long min, long long max, long long *out);

/* ---- writer: appends to a growable buffer; every string is escaped (crioimg_json_quote's rules) ----
   Compact output, no whitespace. The writer checks its calls: a key outside an object, a value in an
   object without its key, a mismatched end, a second top-level value or an invalid number make it fail
   with ERR_INVALID_ARGS; a 65th open container with ERR_JSON_TOO_DEEP; a failed allocation with
   ERR_NOMEM. After the first failure every call is ignored and finish reports it, so callers check once,
   at the end. Strings and keys that are not valid UTF-8 are written with U+FFFD (crioimg_json_quote).
   Duplicate keys are the caller's to avoid: the writer does not remember keys. */

#define CRIOIMG_JSON_WRITER_DEPTH 64   /* the bits of crioimg_json_writer.first */

typedef struct crioimg_json_writer {
    char *buf;             /* the text so far (NUL-terminated once anything is written), owned by the writer */
    size_t len, cap;
    size_t depth;          /* open containers, at most CRIOIMG_JSON_WRITER_DEPTH */
    unsigned long long first;  /* bit d-1: the next item in the container at depth d is its first */
    unsigned long long object; /* bit d-1: the container at depth d is an object */
    int after_key;         /* a key was written; its value comes next */
    int failed;            /* 0, or the first failure (a crioimg_result): everything after is dropped */
    crioimg_allocator alloc;
} crioimg_json_writer;

/* alloc may be NULL (the default allocator); a half-set one makes the writer fail with ERR_INVALID_ARGS. */
CRIOIMG_API void crioimg_json_writer_init(crioimg_json_writer *w, const crioimg_allocator *alloc);
CRIOIMG_API void crioimg_json_write_object_begin(crioimg_json_writer *w);
CRIOIMG_API void crioimg_json_write_object_end(crioimg_json_writer *w);
CRIOIMG_API void crioimg_json_write_array_begin(crioimg_json_writer *w);
CRIOIMG_API void crioimg_json_write_array_end(crioimg_json_writer *w);
CRIOIMG_API void crioimg_json_write_key(crioimg_json_writer *w, const char *key, size_t n);
CRIOIMG_API void crioimg_json_write_string(crioimg_json_writer *w, const char *s, size_t n);
CRIOIMG_API void crioimg_json_write_int(crioimg_json_writer *w, long long v);
/* A number as text, written as is after checking it against RFC 8259's number grammar (for copying a
   NUMBER token's text, which may not fit a long long). */
CRIOIMG_API void crioimg_json_write_number(crioimg_json_writer *w, const char *text, size_t n);
CRIOIMG_API void crioimg_json_write_bool(crioimg_json_writer *w, int v);
CRIOIMG_API void crioimg_json_write_null(crioimg_json_writer *w);
/* OK and the text (owned by the writer until crioimg_json_writer_free; text and len may be NULL), or the
   first failure; ERR_INVALID_ARGS also when the document is not complete (nothing written, a container
   left open, a key without its value). */
CRIOIMG_API crioimg_result crioimg_json_writer_finish(crioimg_json_writer *w, const char **text, size_t *len);
CRIOIMG_API void crioimg_json_writer_free(crioimg_json_writer *w);
