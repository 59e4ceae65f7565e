/* ---------------------------------------------------------------------------------------------------
   network addresses (internal): what src/netaddr.c offers the registries parts and the HTTP client
   --------------------------------------------------------------------------------------------------- */
#include "internal.h"

/* An address range [lo, hi] of one family: IPv4 as 32-bit values, IPv6 as two 64-bit halves. */
typedef struct crioimg__range4 { unsigned long lo, hi; } crioimg__range4;
typedef struct crioimg__u128 { unsigned long long hi, lo; } crioimg__u128;
typedef struct crioimg__range6 { crioimg__u128 lo, hi; } crioimg__range6;

CRIOIMG__LIB int crioimg__ip4_parse(const char *s, size_t n, unsigned char out[4]);
CRIOIMG__LIB int crioimg__ip6_parse(const char *s, size_t n, unsigned char out[16]);
CRIOIMG__LIB int crioimg__ip_is_v4(const unsigned char a[16]);
CRIOIMG__LIB unsigned long crioimg__v4val(const unsigned char a[16]);
CRIOIMG__LIB crioimg__u128 crioimg__v6val(const unsigned char a[16]);
CRIOIMG__LIB int crioimg__u128_cmp(crioimg__u128 a, crioimg__u128 b);
CRIOIMG__LIB int crioimg__u128_next(crioimg__u128 a, crioimg__u128 b);
CRIOIMG__LIB void crioimg__sort4(crioimg__range4 *a, size_t n);
CRIOIMG__LIB void crioimg__sort6(crioimg__range6 *a, size_t n);
CRIOIMG__LIB int crioimg__ip_is_loopback(const unsigned char a[16]);
CRIOIMG__LIB void crioimg__ip_format(const unsigned char a[16], char *out, size_t cap);
CRIOIMG__LIB int crioimg__reg_host_split(const char *s, size_t n, size_t *hl, int *bracket);
