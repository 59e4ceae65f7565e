/* ---------------------------------------------------------------------------------------------------
   inflate: DEFLATE (RFC 1951) decoder with gzip (RFC 1952) framing, and CRC-32

   Layers are gzip files; unpacking one streams it through here and on into the tar reader, so the
   decoder is incremental: it takes input in pieces of any size (down to one byte) and writes output
   into whatever room the caller gives it (down to one byte), and gives the same bytes however the
   pieces fall. Memory is fixed at creation: one object holding a 32 KiB window and the Huffman tables
   (about 45 KiB in all); nothing is allocated per block or per call. Output is decoded straight into
   the caller's buffer, and only the last 32 KiB of each call's output is copied into the window, so a
   large output buffer costs nothing extra.

     crioimg_inflate *z;
     crioimg_inflate_opts o = {0};                  gzip, output capped at CRIOIMG_INFLATE_MAX_OUTPUT
                                                    (64 GiB), default allocator
     o.max_output = 8ull << 30;                     optional: refuse a bomb past 8 GiB instead
                                                    (CRIOIMG_INFLATE_NO_LIMIT: no cap at all)
     if (crioimg_inflate_new(&z, &o) != CRIOIMG_OK) ...;
     for each piece (p, n) read from the file:
         while (n > 0) {                            also until the output stops filling the buffer
             r = crioimg_inflate_run(z, p, n, &used, buf, sizeof buf, &got, &finished);
             if (r != CRIOIMG_OK) { crioimg_inflate_error(z) says what and where; stop }
             consume buf[0, got); p += used; n -= used;
         }
     r = crioimg_inflate_finish(z);                 at end of input: truncated input is an error here
     crioimg_inflate_free(z);

   gzip (the default) decodes every member of a multi-member file, one after the other, checking each
   member's header (magic, method 8, no reserved flags, FEXTRA/FNAME/FCOMMENT skipped, FHCRC checked)
   and trailer (CRC-32 and ISIZE). After the last member:
     - zero bytes are accepted and ignored, to the end of the input (GNU gzip accepts them too, with a
       warning; some tools pad files with them);
     - anything else that does not start a new member is an error (ERR_INFLATE_TRAILING): GNU gzip only
       warns about trailing garbage, but a layer whose bytes are not all accounted for is suspect.
   Raw (CRIOIMG_INFLATE_RAW) is a bare DEFLATE stream: it ends with its final block, and the bytes after
   it are not consumed (*in_used stops at the last byte of the stream), so a caller can read what follows.

   Invalid data is refused as zlib refuses it: over-subscribed Huffman codes, incomplete ones (except a
   code of one symbol, which RFC 1951 allows for distances and zlib for both), a missing end-of-block
   code, symbols 286/287 and distances 30/31, distances before the start of the stream (of the member),
   a stored block whose LEN/NLEN disagree, block type 3.

   Results: OK; ERR_INVALID_ARGS; ERR_NOMEM (new); ERR_TOO_BIG (more output than max_output: nothing
   past the limit is ever written); ERR_INFLATE_FORMAT (not gzip: magic, method, flags, header CRC);
   ERR_INFLATE_DATA (corrupt DEFLATE data); ERR_INFLATE_CHECK (CRC-32 or ISIZE mismatch);
   ERR_INFLATE_TRUNCATED (finish before the end); ERR_INFLATE_TRAILING (garbage after the last member).
   Errors are sticky: every later call returns the same result. crioimg_inflate_error() has the detail,
   with the input offset (bytes from the start of all input given) where it was found.

   The decoder uses a 64-bit bit buffer refilled a word at a time (through memcpy, little-endian by
   construction: big-endian and 32-bit targets take the same path and give the same answers), two-level
   decode tables whose entries carry a literal, or a length or distance with its extra-bit count, so one
   lookup decodes a literal, and a fast loop that runs while at least a few dozen input bytes and 300
   bytes of output room remain; near either end a careful byte-at-a-time path takes over.
   --------------------------------------------------------------------------------------------------- */

typedef enum crioimg_inflate_format {
    CRIOIMG_INFLATE_GZIP = 0,   /* RFC 1952: one or more members, each checked */
    CRIOIMG_INFLATE_RAW = 1     /* RFC 1951 alone: no header, no trailer, no check */
} crioimg_inflate_format;

/* The output cap of a zeroed max_output: a decompression bomb stops here (a few MiB of gzip can claim
   terabytes). 64 GiB is well above any real layer (and is crioimg_unpack_opts.max_layer_size's default);
   define it before including crioimg.h to change the default of every decoder made with max_output 0. */
#ifndef CRIOIMG_INFLATE_MAX_OUTPUT
#define CRIOIMG_INFLATE_MAX_OUTPUT (64ull << 30)
#endif
/* max_output = CRIOIMG_INFLATE_NO_LIMIT: no cap at all, for a caller that bounds the output itself */
#define CRIOIMG_INFLATE_NO_LIMIT (~0ull)

/* Options; a zeroed struct is the default: gzip, output capped at CRIOIMG_INFLATE_MAX_OUTPUT, the default
   allocator. */
typedef struct crioimg_inflate_opts {
    crioimg_allocator alloc;          /* zeroed = the default allocator */
    crioimg_inflate_format format;    /* 0: gzip (every member of a multi-member file, each CRC-32 and ISIZE checked) */
    unsigned long long max_output;    /* more output than this is ERR_TOO_BIG (bombs); 0: CRIOIMG_INFLATE_MAX_OUTPUT
                                         (64 GiB); CRIOIMG_INFLATE_NO_LIMIT: unlimited, by name (before 0.2,
                                         0 meant unlimited) */
} crioimg_inflate_opts;

typedef struct crioimg_inflate crioimg_inflate;

/* Makes a decoder (opts may be NULL: defaults). The one allocation it makes holds everything it will
   ever need. Free it with crioimg_inflate_free. */
CRIOIMG_API crioimg_result crioimg_inflate_new(crioimg_inflate **out, const crioimg_inflate_opts *opts);

/* Consumes input and produces output, as much as fits: *in_used bytes of in were consumed, *out_len
   bytes written to out. Call again with the rest of the input and/or more output room; it returns when
   it has used all the input it was given, or filled the output (with more to come), or the stream ended.
   Input it has consumed is remembered: never give it again. Returns OK while the stream goes on, and
   also when it has ended: *finished (may be NULL) is then 1, meaning that the whole stream seen so far
   is complete (every gzip member's trailer checked; for raw, the final block ended). In gzip mode more
   input after that starts another member (or is trailing zeros, or an error). Errors: see above.
   in may be NULL when in_len is 0, out may be NULL when out_cap is 0. */
CRIOIMG_API crioimg_result crioimg_inflate_run(crioimg_inflate *z, const void *in, size_t in_len, size_t *in_used,
                                               void *out, size_t out_cap, size_t *out_len, int *finished);

/* At end of input: OK if the stream is complete (as *finished says), ERR_INFLATE_TRUNCATED otherwise
   (with the offset where the input ended, and what was being read), or the sticky error. */
CRIOIMG_API crioimg_result crioimg_inflate_finish(crioimg_inflate *z);

/* The text of the last error ("" when none), e.g.
   "invalid distance 3000 too far back (2 bytes of output so far) at input offset 25".
   Lives as long as z. */
CRIOIMG_API const char *crioimg_inflate_error(const crioimg_inflate *z);

/* Bytes of output produced so far, over all members. */
CRIOIMG_API unsigned long long crioimg_inflate_total_out(const crioimg_inflate *z);

/* Frees the decoder; NULL does nothing. */
CRIOIMG_API void crioimg_inflate_free(crioimg_inflate *z);

/* CRC-32 (the gzip/zlib polynomial, reflected 0xEDB88320), streaming: crc = crioimg_crc32(crc, p, n),
   starting from 0; crioimg_crc32(0, "123456789", 9) == 0xCBF43926. p may be NULL when n is 0. */
CRIOIMG_API unsigned long crioimg_crc32(unsigned long crc, const void *p, size_t n);
