/* The tar reader and writer: what the writer writes reads back the same however the input is cut;
   hand-made headers of each format (GNU long names, base-256 numbers, V7 directories, PAX records);
   broken archives, each with its error and where it was found; reproducible output. */

typedef struct tt_buf { unsigned char *p; size_t len, cap; } tt_buf;

static crioimg_result tt_write(void *user, const void *data, size_t len)
{
    tt_buf *b = (tt_buf *)user;
    if (b->len + len > b->cap) {
        size_t c = b->cap ? b->cap * 2 : 4096;
        while (c < b->len + len) c *= 2;
        b->p = (unsigned char *)realloc(b->p, c);
        b->cap = c;
    }
    memcpy(b->p + b->len, data, len);
    b->len += len;
    return CRIOIMG_OK;
}

/* What a reader made of an archive, as text: one line per entry with its fields and content hash. */
typedef struct tt_read { char text[8192]; size_t len; crioimg_result r, fin; char err[512]; unsigned long ends; } tt_read;

static void tt_line(tt_read *o, const crioimg_tar_entry *e, const unsigned char *content, size_t clen)
{
    size_t i;
    unsigned long h = 5381;
    for (i = 0; i < clen; i++) h = h * 33 + content[i];
    o->len += (size_t)snprintf(o->text + o->len, sizeof o->text - o->len, "%c %s -> %s m%o u%lld g%lld s%lld t%lld.%ld %s/%s d%lu,%lu h%lx x%lu",
                               e->type, e->path, e->linkname, e->mode, e->uid, e->gid, e->size, e->mtime, e->mtime_nsec,
                               e->uname, e->gname, e->devmajor, e->devminor, h, (unsigned long)e->nxattrs);
    for (i = 0; i < e->nxattrs && o->len < sizeof o->text; i++)
        o->len += (size_t)snprintf(o->text + o->len, sizeof o->text - o->len, " %s=%.*s", e->xattrs[i].name, (int)e->xattrs[i].len,
                                   (const char *)e->xattrs[i].value);
    if (o->len < sizeof o->text) o->len += (size_t)snprintf(o->text + o->len, sizeof o->text - o->len, "\n");
}

/* Reads a whole archive given in pieces of step bytes. */
static void tt_read_all(const unsigned char *p, size_t n, size_t step, tt_read *o)
{
    crioimg_tar_reader *t;
    size_t off = 0;
    static unsigned char content[1 << 17];
    size_t clen = 0;
    const crioimg_tar_entry *cur = NULL;
    memset(o, 0, sizeof *o);
    if (crioimg_tar_reader_new(&t, NULL) != CRIOIMG_OK) { o->r = CRIOIMG_ERR_NOMEM; return; }
    while (off < n && o->r == CRIOIMG_OK) {
        size_t k = n - off < step ? n - off : step, pos = 0;
        while (pos < k) {
            crioimg_tar_event ev;
            const void *d;
            size_t used, dl;
            o->r = crioimg_tar_reader_next(t, p + off + pos, k - pos, &used, &ev, &d, &dl);
            pos += used;
            if (o->r != CRIOIMG_OK) break;
            if (ev == CRIOIMG_TAR_ENTRY) {
                if (cur) tt_line(o, cur, content, clen);
                cur = crioimg_tar_reader_entry(t);
                clen = 0;
                /* the entry's strings must be copied before the next ENTRY: line it now if it has no content */
                if (cur->size == 0) { tt_line(o, cur, content, 0); cur = NULL; }
            } else if (ev == CRIOIMG_TAR_DATA) {
                if (clen + dl <= sizeof content) memcpy(content + clen, d, dl);
                clen += dl;
                if (cur && (long long)clen == cur->size) { tt_line(o, cur, content, clen); cur = NULL; }
            } else if (ev == CRIOIMG_TAR_END) {
                o->ends++;
            } else if (used == 0) break;
        }
        off += k;
    }
    o->fin = o->r == CRIOIMG_OK ? crioimg_tar_reader_finish(t) : o->r;
    snprintf(o->err, sizeof o->err, "%s", crioimg_tar_reader_error(t));
    crioimg_tar_reader_free(t);
}

static crioimg_tar_entry tt_entry(int type, const char *path, const char *link, long long size)
{
    crioimg_tar_entry e;
    memset(&e, 0, sizeof e);
    e.type = type; e.path = path; e.linkname = link ? link : ""; e.size = size;
    e.mode = type == CRIOIMG_TAR_DIR ? 0755 : 0644;
    e.mtime = 1700000000;
    e.uname = "user"; e.gname = "group";
    return e;
}

/* A ustar header block, checksum set, for hand-made archives. */
static void tt_header(unsigned char *b, const char *name, int type, const char *size_field, const char *magic)
{
    unsigned long sum = 0;
    size_t i;
    memset(b, 0, 512);
    memcpy(b, name, strlen(name));
    memcpy(b + 100, "0000644", 7);
    memcpy(b + 108, "0000000", 7);
    memcpy(b + 116, "0000000", 7);
    memcpy(b + 124, size_field, strlen(size_field));
    memcpy(b + 136, "14300000000", 11);
    b[156] = (unsigned char)type;
    if (magic) memcpy(b + 257, magic, 8);
    memset(b + 148, ' ', 8);
    for (i = 0; i < 512; i++) sum += b[i];
    snprintf((char *)b + 148, 8, "%06lo", sum);
}

static void test_tar_roundtrip(void)
{
    static const size_t steps[] = { 1, 7, 511, 512, 513, 4096, 1 << 20 };
    crioimg_tar_writer *w;
    crioimg_tar_writer_opts o;
    tt_buf b = { NULL, 0, 0 };
    char p150[200], p300[400], l150[200];
    static unsigned char big[70000];
    crioimg_tar_xattr xa[2];
    crioimg_tar_entry e;
    tt_read first, r;
    size_t i;
    memset(&o, 0, sizeof o);
    o.write = tt_write; o.user = &b;
    CHECK(crioimg_tar_writer_new(&w, &o) == CRIOIMG_OK);
    memset(p150, 'p', 149); p150[60] = '/'; p150[149] = '\0';
    memset(p300, 'q', 299); p300[299] = '\0';
    memset(l150, 'l', 149); l150[149] = '\0';
    for (i = 0; i < sizeof big; i++) big[i] = (unsigned char)(i * 7 + (i >> 9));
    e = tt_entry(CRIOIMG_TAR_DIR, "dir/", NULL, 0); CHECK(crioimg_tar_write_header(w, &e) == CRIOIMG_OK);
    e = tt_entry(CRIOIMG_TAR_FILE, "dir/file", NULL, 5); e.mode = 04755; CHECK(crioimg_tar_write_header(w, &e) == CRIOIMG_OK);
    CHECK(crioimg_tar_write_data(w, "hel", 3) == CRIOIMG_OK && crioimg_tar_write_data(w, "lo", 2) == CRIOIMG_OK);
    CHECK(crioimg_tar_write_data(w, "!", 1) == CRIOIMG_ERR_SIZE_MISMATCH);
    e = tt_entry(CRIOIMG_TAR_FILE, p150, NULL, 0); CHECK(crioimg_tar_write_header(w, &e) == CRIOIMG_OK);   /* prefix + name */
    e = tt_entry(CRIOIMG_TAR_FILE, p300, NULL, (long long)sizeof big); e.uid = 1LL << 40; e.gid = 3000000; e.mtime = -5;
    xa[0].name = "user.a"; xa[0].value = (const unsigned char *)"v1"; xa[0].len = 2;
    xa[1].name = "security.capability"; xa[1].value = (const unsigned char *)"\x01\x00\x00\x02"; xa[1].len = 4;
    e.xattrs = xa; e.nxattrs = 2;
    CHECK(crioimg_tar_write_header(w, &e) == CRIOIMG_OK);   /* PAX: path, uid, gid, mtime, xattrs */
    CHECK(crioimg_tar_write_header(w, &e) == CRIOIMG_ERR_INVALID_ARGS);   /* the content is owed first */
    CHECK(crioimg_tar_write_data(w, big, sizeof big) == CRIOIMG_OK);
    e = tt_entry(CRIOIMG_TAR_SYMLINK, "sym", l150, 0); CHECK(crioimg_tar_write_header(w, &e) == CRIOIMG_OK);
    e = tt_entry(CRIOIMG_TAR_LINK, "hard", "dir/file", 0); CHECK(crioimg_tar_write_header(w, &e) == CRIOIMG_OK);
    e = tt_entry(CRIOIMG_TAR_CHAR, "null", NULL, 0); e.devmajor = 1; e.devminor = 3; CHECK(crioimg_tar_write_header(w, &e) == CRIOIMG_OK);
    e = tt_entry(CRIOIMG_TAR_FIFO, "fifo", NULL, 0); CHECK(crioimg_tar_write_header(w, &e) == CRIOIMG_OK);
    e = tt_entry(CRIOIMG_TAR_FILE, "", NULL, 0); CHECK(crioimg_tar_write_header(w, &e) == CRIOIMG_ERR_INVALID_ARGS);
    CHECK(crioimg_tar_writer_finish(w) == CRIOIMG_OK);
    CHECK(b.len % 512 == 0 && crioimg_tar_writer_offset(w) == (long long)b.len);
    crioimg_tar_writer_free(w);

    tt_read_all(b.p, b.len, b.len, &first);
    CHECK(first.r == CRIOIMG_OK && first.fin == CRIOIMG_OK && first.ends == 1);
    CHECK(strstr(first.text, "5 dir/ ->  m755") != NULL);
    CHECK(strstr(first.text, "0 dir/file ->  m4755 u0 g0 s5 t1700000000.0 user/group") != NULL);
    CHECK(strstr(first.text, p150) != NULL);
    CHECK(strstr(first.text, p300) != NULL && strstr(first.text, "u1099511627776 g3000000 s70000 t-5.0") != NULL);
    CHECK(strstr(first.text, "x2 user.a=v1 security.capability=") != NULL);
    CHECK(strstr(first.text, l150) != NULL);
    CHECK(strstr(first.text, "1 hard -> dir/file") != NULL);
    CHECK(strstr(first.text, "3 null ->  m644 u0 g0 s0 t1700000000.0 user/group d1,3") != NULL);
    CHECK(strstr(first.text, "6 fifo") != NULL);
    for (i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        tt_read_all(b.p, b.len, steps[i], &r);
        tests_context = "roundtrip in pieces";
        CHECK(r.r == CRIOIMG_OK && r.fin == CRIOIMG_OK);
        CHECK_STR(r.text, first.text);
    }
    tests_context = "";
    /* without its end-of-archive blocks, or with a record's worth of zeros and then anything */
    tt_read_all(b.p, b.len - 1024, 100, &r);
    CHECK(r.fin == CRIOIMG_OK && r.ends == 0 && strcmp(r.text, first.text) == 0);
    tt_read_all(b.p, b.len - 512, 100, &r);
    CHECK(r.fin == CRIOIMG_OK);
    b.len -= 1024;
    tt_write(&b, "\0\0", 0);
    {
        static unsigned char tail[1024 + 9000];
        memset(tail, 0, sizeof tail);
        memcpy(tail + 1024 + 100, "ignored after the end", 21);
        tt_write(&b, tail, sizeof tail);
        tt_read_all(b.p, b.len, 4000, &r);
        CHECK(r.fin == CRIOIMG_OK && r.ends == 1 && strcmp(r.text, first.text) == 0);
    }
    free(b.p);
}

/* Fixed options: the same bytes whatever the entries' times and owners. */
static void test_tar_reproducible(void)
{
    tt_buf b1 = { NULL, 0, 0 }, b2 = { NULL, 0, 0 };
    int k;
    for (k = 0; k < 2; k++) {
        crioimg_tar_writer *w;
        crioimg_tar_writer_opts o;
        crioimg_tar_entry e;
        memset(&o, 0, sizeof o);
        o.write = tt_write; o.user = k ? &b2 : &b1;
        o.flags = CRIOIMG_TAR_FIXED_MTIME | CRIOIMG_TAR_FIXED_OWNER | CRIOIMG_TAR_FIXED_MODE;
        o.mtime = 0;
        CHECK(crioimg_tar_writer_new(&w, &o) == CRIOIMG_OK);
        e = tt_entry(CRIOIMG_TAR_FILE, "bin/tool", NULL, 2);
        e.mtime = k ? 123456 : 999; e.uid = k ? 1000 : 0; e.uname = k ? "someone" : "root"; e.mode = k ? 0700 : 0711;
        CHECK(crioimg_tar_write_header(w, &e) == CRIOIMG_OK && crioimg_tar_write_data(w, "ok", 2) == CRIOIMG_OK);
        e = tt_entry(CRIOIMG_TAR_FILE, "etc/conf", NULL, 0); e.mode = k ? 0600 : 0664;
        CHECK(crioimg_tar_write_header(w, &e) == CRIOIMG_OK);
        CHECK(crioimg_tar_writer_finish(w) == CRIOIMG_OK);
        crioimg_tar_writer_free(w);
    }
    CHECK(b1.len == b2.len && memcmp(b1.p, b2.p, b1.len) == 0);
    {
        tt_read r;
        tt_read_all(b1.p, b1.len, 512, &r);
        CHECK(strstr(r.text, "0 bin/tool ->  m755 u0 g0 s2 t0.0 /") != NULL);
        CHECK(strstr(r.text, "0 etc/conf ->  m644") != NULL);
    }
    { crioimg_tar_writer *w; crioimg_tar_writer_opts o; memset(&o, 0, sizeof o); CHECK(crioimg_tar_writer_new(&w, &o) == CRIOIMG_ERR_INVALID_ARGS); }
    free(b1.p); free(b2.p);
}

/* Hand-made archives of each format and each kind of damage. */
static void test_tar_formats(void)
{
    static unsigned char a[512 * 12];
    tt_read r;
    unsigned char *b = a;
    size_t n;
    /* GNU: a long name ('L'), a long link ('K'), base-256 uid and size */
    memset(a, 0, sizeof a);
    tt_header(b, "././@LongLink", 'L', "00000000310", "ustar  \0");
    memset(b + 512, 'n', 199); b[512 + 199] = '\0';
    b += 1024;
    tt_header(b, "././@LongLink", 'K', "00000000006", "ustar  \0");
    memcpy(b + 512, "tgt/x", 6);
    b += 1024;
    tt_header(b, "short", '2', "00000000000", "ustar  \0");
    b[108] = 0x80; memset(b + 109, 0, 6); b[115] = 0x7b;   /* uid 123 in base-256 */
    {
        unsigned long sum = 0; size_t i;
        memset(b + 148, ' ', 8);
        for (i = 0; i < 512; i++) sum += b[i];
        snprintf((char *)b + 148, 8, "%06lo", sum);
    }
    b += 512;
    /* V7: a directory by its trailing slash, no magic */
    tt_header(b, "olddir/", '\0', "00000000000", NULL);
    b += 512;
    n = (size_t)(b - a);
    tt_read_all(a, n, 3, &r);
    CHECK(r.fin == CRIOIMG_OK);
    CHECK(strstr(r.text, "2 nnnnnnnnnn") != NULL && strstr(r.text, " -> tgt/x m644 u123") != NULL);
    CHECK(strstr(r.text, "5 olddir/ ->") != NULL);

    /* damage, one row a case: the archive, what the reader says, where */
    {
        static const struct { const char *name; int type; const char *size, *magic; size_t cut; const char *want; crioimg_result r; } rows[] = {
            { "bad-size", '0', "0000000009x", "ustar\0" "00", 0, "invalid size field", CRIOIMG_ERR_TAR_FORMAT },
            { "sparse", 'S', "00000000000", "ustar  \0", 0, "sparse", CRIOIMG_ERR_UNSUPPORTED },
            { "cut-content", '0', "00000001000", "ustar\0" "00", 700, "cut short in the entry's content", CRIOIMG_ERR_TAR_FORMAT },
            { "cut-header", '0', "00000000000", "ustar\0" "00", 300, "cut short in a header", CRIOIMG_ERR_TAR_FORMAT },
            { "huge-pax", 'x', "77777777777", "ustar\0" "00", 0, "PAX header too large", CRIOIMG_ERR_TOO_BIG },
        };
        size_t i;
        for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
            tests_context = rows[i].name;
            memset(a, 0, sizeof a);
            tt_header(a, rows[i].name, rows[i].type, rows[i].size, rows[i].magic);
            tt_read_all(a, rows[i].cut ? rows[i].cut : 512 * 4, 512, &r);
            CHECK(r.fin == rows[i].r);
            CHECK(strstr(r.err, rows[i].want) != NULL);
            CHECK(strstr(r.err, "offset 0") != NULL);
        }
        tests_context = "";
    }
    /* the last entry's content, then the end of input with no padding and no end blocks (umoci's layers):
       the end of the archive, as Go's archive/tar reads it; part of the padding is a cut */
    memset(a, 0, sizeof a);
    tt_header(a, "unpadded", '0', "00000000073", "ustar\0" "00");   /* 59 bytes */
    tt_read_all(a, 512 + 59, 7, &r);
    CHECK(r.fin == CRIOIMG_OK);
    tt_read_all(a, 512 + 60, 7, &r);
    CHECK(r.fin == CRIOIMG_ERR_TAR_FORMAT && strstr(r.err, "cut short in the entry's content") != NULL);
    tt_read_all(a, 512 + 58, 7, &r);
    CHECK(r.fin == CRIOIMG_ERR_TAR_FORMAT && strstr(r.err, "cut short in the entry's content") != NULL);
    /* a bad checksum, at the second header: its offset is in the message */
    memset(a, 0, sizeof a);
    tt_header(a, "first", '0', "00000000004", "ustar\0" "00");
    tt_header(a + 1024, "second", '0', "00000000000", "ustar\0" "00");
    a[1024 + 10] ^= 1;
    tt_read_all(a, 512 * 6, 512, &r);
    CHECK(r.fin == CRIOIMG_ERR_TAR_FORMAT && strstr(r.err, "offset 1024: invalid header checksum") != NULL);
    /* one zero block, then a header: not the end */
    memset(a, 0, sizeof a);
    tt_header(a + 512, "late", '0', "00000000000", "ustar\0" "00");
    tt_read_all(a, 512 * 4, 512, &r);
    CHECK(r.fin == CRIOIMG_ERR_TAR_FORMAT && strstr(r.err, "single zero block") != NULL);
    /* PAX records: good ones apply (fractional mtime, empty value keeps the header's), bad ones fail */
    {
        static const struct { const char *recs; const char *want; crioimg_result r; } rows[] = {
            { "30 mtime=1700000000.123456789\n", "t1700000000.123456789", CRIOIMG_OK },
            { "15 mtime=-1.25\n", "t-2.750000000", CRIOIMG_OK },
            { "8 path=\n", "0 hdr ->", CRIOIMG_OK },
            { "14 path=p/q/r\n", "0 p/q/r ->", CRIOIMG_OK },
            { "25 SCHILY.xattr.user.k=v\n", " user.k=v", CRIOIMG_OK },
            { "12 uid=1234\n", "u1234", CRIOIMG_OK },
            { "12 comment=\n13 charset=x\n", "0 hdr ->", CRIOIMG_OK },
            { "9 uid=-1\n", "invalid PAX number", CRIOIMG_ERR_TAR_FORMAT },
            { "99 path=x\n", "malformed PAX record", CRIOIMG_ERR_TAR_FORMAT },
            { "8 path=x", "malformed PAX record", CRIOIMG_ERR_TAR_FORMAT },
            { "7 =abc\n", "no key", CRIOIMG_ERR_TAR_FORMAT },
            { "x path=y\n", "malformed PAX record", CRIOIMG_ERR_TAR_FORMAT },
            { "22 GNU.sparse.major=1\n", "sparse", CRIOIMG_ERR_UNSUPPORTED },
        };
        size_t i;
        for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
            char size[24];
            size_t rl = strlen(rows[i].recs);
            tests_context = rows[i].recs;
            memset(a, 0, sizeof a);
            snprintf(size, sizeof size, "%011lo", (unsigned long)rl);
            tt_header(a, "PaxHeaders/hdr", 'x', size, "ustar\0" "00");
            memcpy(a + 512, rows[i].recs, rl);
            tt_header(a + 1024, "hdr", '0', "00000000000", "ustar\0" "00");
            tt_read_all(a, 512 * 5, 512, &r);
            CHECK(r.fin == rows[i].r);
            CHECK(strstr(rows[i].r == CRIOIMG_OK ? r.text : r.err, rows[i].want) != NULL);
        }
        tests_context = "";
    }
    /* a PAX header with no entry after it */
    memset(a, 0, sizeof a);
    tt_header(a, "PaxHeaders/x", 'x', "00000000014", "ustar\0" "00");
    memcpy(a + 512, "12 path=abc\n", 12);
    tt_read_all(a, 512 * 2, 512, &r);
    CHECK(r.fin == CRIOIMG_ERR_TAR_FORMAT);
    tt_read_all(a, 512 * 4, 512, &r);
    CHECK(r.fin == CRIOIMG_ERR_TAR_FORMAT && strstr(r.err, "no entry") != NULL);
    /* the empty archive */
    tt_read_all(a, 0, 1, &r);
    CHECK(r.fin == CRIOIMG_OK && r.text[0] == '\0');
}

/* issue 13: a zeroed max_entry_size is CRIOIMG_TAR_MAX_ENTRY_SIZE (64 GiB), not "no limit"; a negative one
   (CRIOIMG_TAR_NO_LIMIT) lifts it. An entry's size is only its header: the headers are all it takes. */
static void test_tar_default_limit(void)
{
    static const struct { const char *name; int null_opts; long long max, size; crioimg_result want; } rows[] = {
        { "NULL options, 64 GiB", 1, 0, 64ll << 30, CRIOIMG_OK },
        { "NULL options, 64 GiB + 1", 1, 0, (64ll << 30) + 1, CRIOIMG_ERR_TOO_BIG },
        { "zeroed options, 64 GiB + 1", 0, 0, (64ll << 30) + 1, CRIOIMG_ERR_TOO_BIG },
        { "zeroed options, 1 TiB", 0, 0, 1ll << 40, CRIOIMG_ERR_TOO_BIG },
        { "CRIOIMG_TAR_NO_LIMIT, 1 TiB", 0, CRIOIMG_TAR_NO_LIMIT, 1ll << 40, CRIOIMG_OK },
        { "-5 is no limit too, 64 GiB + 1", 0, -5, (64ll << 30) + 1, CRIOIMG_OK },
        { "a cap of 100, 101 bytes", 0, 100, 101, CRIOIMG_ERR_TOO_BIG },
        { "a cap of 100, 100 bytes", 0, 100, 100, CRIOIMG_OK },
    };
    size_t i;
    CHECK(CRIOIMG_TAR_MAX_ENTRY_SIZE == 64ll << 30);
    for (i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        crioimg_tar_writer_opts wo;
        crioimg_tar_writer *w;
        crioimg_tar_reader_opts ro;
        crioimg_tar_reader *t;
        crioimg_tar_entry e = tt_entry(CRIOIMG_TAR_FILE, "big", NULL, rows[i].size);
        tt_buf b = { NULL, 0, 0 };
        crioimg_tar_event ev = CRIOIMG_TAR_NEED_INPUT;
        crioimg_result r = CRIOIMG_OK;
        const void *d;
        size_t pos = 0, used, dl;
        tests_context = rows[i].name;
        memset(&wo, 0, sizeof wo);
        wo.write = tt_write; wo.user = &b;
        CHECK(crioimg_tar_writer_new(&w, &wo) == CRIOIMG_OK);
        CHECK(crioimg_tar_write_header(w, &e) == CRIOIMG_OK);   /* its content never comes: the header is enough */
        crioimg_tar_writer_free(w);
        memset(&ro, 0, sizeof ro);
        ro.max_entry_size = rows[i].max;
        if (!CHECK(crioimg_tar_reader_new(&t, rows[i].null_opts ? NULL : &ro) == CRIOIMG_OK)) { free(b.p); continue; }
        while (r == CRIOIMG_OK && ev != CRIOIMG_TAR_ENTRY && pos < b.len) {
            r = crioimg_tar_reader_next(t, b.p + pos, b.len - pos, &used, &ev, &d, &dl);
            pos += used;
        }
        CHECK(r == rows[i].want);
        if (r == CRIOIMG_OK) CHECK(ev == CRIOIMG_TAR_ENTRY && crioimg_tar_reader_entry(t)->size == rows[i].size);
        else CHECK(strstr(crioimg_tar_reader_error(t), "entry larger than the limit") != NULL);
        crioimg_tar_reader_free(t);
        free(b.p);
    }
    tests_context = "";
}

static void test_tar(void)
{
    test_tar_roundtrip();
    test_tar_reproducible();
    test_tar_formats();
    test_tar_default_limit();
}
