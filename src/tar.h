/* ---------------------------------------------------------------------------------------------------
   tar: a streaming tar reader (ustar, GNU, PAX) and a small reproducible tar writer

   Reading is pull-style over bytes the caller feeds, so one reader serves a layer coming out of a
   decompressor as well as an archive read from a file, with nothing buffered but headers:

     crioimg_tar_reader *t;
     crioimg_tar_reader_new(&t, NULL);
     for each piece of input (in, len):
         size_t used = 0, u;
         while (used < len) {
             crioimg_tar_event ev; const void *data; size_t dlen;
             r = crioimg_tar_reader_next(t, in + used, len - used, &u, &ev, &data, &dlen);
             used += u;
             if (r != CRIOIMG_OK) ... crioimg_tar_reader_error(t) says which entry, at which offset, what
             ENTRY: crioimg_tar_reader_entry(t) is the next entry (valid until the next ENTRY)
             DATA:  data[0, dlen) is more of its content: it points into in, nothing is copied
             END:   the end-of-archive blocks were seen; the rest of the input is ignored
         }
     at the end of input: crioimg_tar_reader_finish(t): OK when the archive ended between entries
     (with or without its end-of-archive blocks), ERR_TAR_FORMAT when it was cut short.
     crioimg_tar_reader_free(t);

   What it reads: V7, ustar (the prefix field), GNU (long names 'L' and links 'K', base-256 numbers),
   PAX local headers (path, linkpath, size, uid, gid, mtime with its fraction, uname, gname,
   SCHILY.xattr.*) as Go's archive/tar and GNU tar write them; global PAX headers are returned as
   entries of type 'g' and not applied (as Go does). Refused: bad checksums, malformed numbers or PAX
   records, a NUL inside a path, GNU sparse files (type 'S' or GNU.sparse.*), a size past the limits.
   Bounded: PAX and GNU long-name headers at most max_header bytes (1 MiB, Go's limit), paths at most
   max_path bytes; memory is the largest header seen, whatever the archive's size.

   Writing is ustar, with a PAX header only for what ustar cannot hold (a long path or link, large or
   negative numbers, xattrs); output through a callback. For reproducible archives the options can fix
   mtime, owner and modes; header bytes never depend on the time of day or the machine.
   --------------------------------------------------------------------------------------------------- */

/* Entry types, as their typeflag bytes. '\0' and '7' (contiguous) read as CRIOIMG_TAR_FILE, or as
   CRIOIMG_TAR_DIR for an old-style name that ends in '/'. Other flags are reported as they are. */
#define CRIOIMG_TAR_FILE    '0'
#define CRIOIMG_TAR_LINK    '1'   /* hard link to linkname */
#define CRIOIMG_TAR_SYMLINK '2'
#define CRIOIMG_TAR_CHAR    '3'
#define CRIOIMG_TAR_BLOCK   '4'
#define CRIOIMG_TAR_DIR     '5'
#define CRIOIMG_TAR_FIFO    '6'
#define CRIOIMG_TAR_GLOBAL  'g'   /* a global PAX header (its records are not applied) */

typedef struct crioimg_tar_xattr {
    const char *name;            /* without the "SCHILY.xattr." prefix */
    const unsigned char *value;  /* may hold NULs */
    size_t len;
} crioimg_tar_xattr;

typedef struct crioimg_tar_entry {
    int type;                    /* CRIOIMG_TAR_* */
    const char *path;            /* as in the archive (PAX path, GNU long name, prefix/name, name) */
    const char *linkname;        /* "" when none */
    const char *uname, *gname;
    unsigned mode;               /* the permission bits with setuid, setgid and sticky (07777) */
    long long uid, gid;
    long long size;              /* bytes of content that follow (0 for links, directories, devices) */
    long long mtime;             /* seconds since the epoch */
    long mtime_nsec;
    unsigned long devmajor, devminor;
    const crioimg_tar_xattr *xattrs;
    size_t nxattrs;
    long long offset;            /* where its first header (PAX or GNU ones included) starts */
} crioimg_tar_entry;

typedef enum crioimg_tar_event {
    CRIOIMG_TAR_NEED_INPUT = 0,  /* every byte given was used: feed more (or finish) */
    CRIOIMG_TAR_ENTRY,
    CRIOIMG_TAR_DATA,
    CRIOIMG_TAR_END
} crioimg_tar_event;

/* The cap on one entry's content when max_entry_size is 0 (an entry's size is only a header field: it
   bounds what a reader will stream before the archive must end). 64 GiB, as crioimg_unpack_opts'
   max_layer_size; define it before including crioimg.h to change the default. */
#ifndef CRIOIMG_TAR_MAX_ENTRY_SIZE
#define CRIOIMG_TAR_MAX_ENTRY_SIZE (64ll << 30)
#endif
/* max_entry_size = CRIOIMG_TAR_NO_LIMIT (any negative value): no cap but the format's */
#define CRIOIMG_TAR_NO_LIMIT (-1ll)

/* Options; a zeroed struct is the default (every limit on). */
typedef struct crioimg_tar_reader_opts {
    crioimg_allocator alloc;     /* zeroed = the default allocator */
    size_t max_header;           /* bytes of one PAX or GNU long-name header; 0 = 1 MiB */
    size_t max_path;             /* bytes of a path or link name; 0 = 64 KiB */
    long long max_entry_size;    /* bytes of one entry's content (more is ERR_TOO_BIG at its header);
                                    0 = CRIOIMG_TAR_MAX_ENTRY_SIZE (64 GiB); negative (CRIOIMG_TAR_NO_LIMIT):
                                    no limit but the format's, by name (before 0.2, 0 meant that) */
} crioimg_tar_reader_opts;

typedef struct crioimg_tar_reader crioimg_tar_reader;

/* ERR_NOMEM, ERR_INVALID_ARGS (a half-set allocator). opts may be NULL. */
CRIOIMG_API crioimg_result crioimg_tar_reader_new(crioimg_tar_reader **out, const crioimg_tar_reader_opts *opts);
/* Consumes in[0, len) up to the next event (*used says how far) and reports it; see the top of this
   section. Errors: ERR_TAR_FORMAT, ERR_TOO_BIG, ERR_UNSUPPORTED (sparse files), ERR_NOMEM; after an
   error every call returns it again. in may be NULL when len is 0. */
CRIOIMG_API crioimg_result crioimg_tar_reader_next(crioimg_tar_reader *t, const void *in, size_t len, size_t *used,
                                                   crioimg_tar_event *ev, const void **data, size_t *data_len);
/* The entry of the last ENTRY event (NULL before the first); valid until the next ENTRY or free. */
CRIOIMG_API const crioimg_tar_entry *crioimg_tar_reader_entry(const crioimg_tar_reader *t);
/* The end of input: OK when the archive ended at an entry boundary (or after its end blocks). */
CRIOIMG_API crioimg_result crioimg_tar_reader_finish(crioimg_tar_reader *t);
/* Bytes consumed so far. */
CRIOIMG_API long long crioimg_tar_reader_offset(const crioimg_tar_reader *t);
/* What went wrong: 'entry "usr/bin/x" at offset 1536: invalid checksum'; "" when nothing did. */
CRIOIMG_API const char *crioimg_tar_reader_error(const crioimg_tar_reader *t);
CRIOIMG_API void crioimg_tar_reader_free(crioimg_tar_reader *t);

/* ---- writer ---- */

#define CRIOIMG_TAR_FIXED_MTIME 1u   /* every entry gets opts.mtime */
#define CRIOIMG_TAR_FIXED_OWNER 2u   /* every entry gets opts.uid/gid and no user or group names */
#define CRIOIMG_TAR_FIXED_MODE  4u   /* directories opts.dir_mode, other entries opts.file_mode (executables
                                        keep their x bits: 0755 when any x bit was set) */

typedef struct crioimg_tar_writer_opts {
    crioimg_allocator alloc;
    /* receives the archive's bytes in order; a non-OK result stops the writer with it */
    crioimg_result (*write)(void *user, const void *data, size_t len);
    void *user;
    unsigned flags;              /* CRIOIMG_TAR_FIXED_* */
    long long mtime;
    long long uid, gid;
    unsigned file_mode, dir_mode;  /* 0 = 0644 and 0755 */
} crioimg_tar_writer_opts;

typedef struct crioimg_tar_writer crioimg_tar_writer;

/* ERR_INVALID_ARGS without a write callback. */
CRIOIMG_API crioimg_result crioimg_tar_writer_new(crioimg_tar_writer **out, const crioimg_tar_writer_opts *opts);
/* Writes e's header (type, path, linkname, mode, uid, gid, uname, gname, size, mtime, devmajor/minor,
   xattrs; offset is ignored); exactly e->size bytes of content must follow for a FILE (ERR_INVALID_ARGS
   when the previous entry's content is incomplete, or for an empty path). */
CRIOIMG_API crioimg_result crioimg_tar_write_header(crioimg_tar_writer *w, const crioimg_tar_entry *e);
/* More content of the current entry (ERR_SIZE_MISMATCH past its size). */
CRIOIMG_API crioimg_result crioimg_tar_write_data(crioimg_tar_writer *w, const void *data, size_t len);
/* Pads the last entry and writes the two end-of-archive blocks. */
CRIOIMG_API crioimg_result crioimg_tar_writer_finish(crioimg_tar_writer *w);
/* Bytes written so far. */
CRIOIMG_API long long crioimg_tar_writer_offset(const crioimg_tar_writer *w);
CRIOIMG_API void crioimg_tar_writer_free(crioimg_tar_writer *w);
