/* ---------------------------------------------------------------------------------------------------
   references (internal): the character classes and grammar pieces src/ref.c shares with the digest
   parser and the policy code
   --------------------------------------------------------------------------------------------------- */
#include "internal.h"

/* character classes, one bit each */
#define CRIOIMG__C_LALNUM 0x01u  /* [a-z0-9]      path components */
#define CRIOIMG__C_ALNUM  0x02u  /* [a-zA-Z0-9]   domain components */
#define CRIOIMG__C_XDIGIT 0x04u  /* [0-9a-fA-F]   digests in references, IPv6 */
#define CRIOIMG__C_LHEX   0x08u  /* [0-9a-f]      IDs, go-digest's encoded part */
#define CRIOIMG__C_WORD   0x10u  /* [A-Za-z0-9_]  tags */
#define CRIOIMG__C_DIGIT  0x20u  /* [0-9] */
#define CRIOIMG__C_ALPHA  0x40u  /* [A-Za-z] */
#define CRIOIMG__C_UPPER  0x80u  /* [A-Z] */

#ifdef CRIOIMG__ALONE
extern const unsigned char crioimg__ref_ctab[256];   /* by byte, its classes (defined before every use in crioimg.h) */
#endif
#define CRIOIMG__IS(c, k) ((crioimg__ref_ctab[(unsigned char)(c)] & (k)) != 0)

CRIOIMG__LIB int crioimg__ref_path_ok(const char *s, size_t n, int fold);
CRIOIMG__LIB int crioimg__ref_domain(const char *s, size_t n);
CRIOIMG__LIB int crioimg__ref_lhex(const char *s, size_t n);
CRIOIMG__LIB void crioimg__out_goquote(crioimg__out *o, const char *s, size_t n);
