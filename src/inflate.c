/* ---------------------------------------------------------------------------------------------------
   inflate: DEFLATE/gzip decoder (placeholder: the API only, every call refuses for now)
   --------------------------------------------------------------------------------------------------- */
#include "internal.h"

struct crioimg_inflate { crioimg_allocator alloc; };

CRIOIMG_API crioimg_result crioimg_inflate_new(crioimg_inflate **out, const crioimg_inflate_opts *opts)
{
    (void)opts;
    if (out) *out = NULL;
    return CRIOIMG_ERR_UNSUPPORTED;
}
CRIOIMG_API crioimg_result crioimg_inflate_run(crioimg_inflate *z, const void *in, size_t in_len, size_t *in_used,
                                               void *out, size_t out_cap, size_t *out_len, int *finished)
{
    (void)z; (void)in; (void)in_len; (void)out; (void)out_cap;
    if (in_used) *in_used = 0;
    if (out_len) *out_len = 0;
    if (finished) *finished = 0;
    return CRIOIMG_ERR_UNSUPPORTED;
}
CRIOIMG_API crioimg_result crioimg_inflate_finish(crioimg_inflate *z) { (void)z; return CRIOIMG_ERR_UNSUPPORTED; }
CRIOIMG_API const char *crioimg_inflate_error(const crioimg_inflate *z) { (void)z; return "not implemented yet"; }
CRIOIMG_API unsigned long long crioimg_inflate_total_out(const crioimg_inflate *z) { (void)z; return 0; }
CRIOIMG_API void crioimg_inflate_free(crioimg_inflate *z) { (void)z; }
CRIOIMG_API unsigned long crioimg_crc32(unsigned long crc, const void *p, size_t n) { (void)p; (void)n; return crc; }
