/* ---------------------------------------------------------------------------------------------------
   http implementation, what its parts share (http.c, http_mbedtls.c): the time rules of a request and
   the helpers both built-in transports use, so that they fail alike and in the same words
   --------------------------------------------------------------------------------------------------- */
#ifndef CRIOIMG__HTTP_INTERNAL_H   /* a part compiled alone includes it once; crioimg.h has it once */
#define CRIOIMG__HTTP_INTERNAL_H 1
#include "internal.h"

/* The time rules of one request (header, total, minimum progress; http.c's crioimg__hlim_*) */
typedef struct crioimg__hlim {
    long long header_dl, total_dl;      /* the header block, the whole response */
    long long win_start;                /* the current progress window (0 until the body starts) */
    unsigned long long win_bytes;       /* body bytes when that window started */
    unsigned long long min_bytes;
    long period;
} crioimg__hlim;
CRIOIMG__LIB void crioimg__hlim_init(crioimg__hlim *l, const crioimg_http_request *rq, long long now);
CRIOIMG__LIB void crioimg__hlim_body(crioimg__hlim *l, long long now, unsigned long long bytes);
CRIOIMG__LIB crioimg_result crioimg__hlim_check(crioimg__hlim *l, long long now, unsigned long long bytes, const char **why);

#if defined(CRIOIMG_WITH_CURL) || defined(CRIOIMG_WITH_MBEDTLS)
/* What went wrong in TLS, as both transports name it (crioimg__tls_fail_words: "WORDS (WHO: DETAIL)") */
enum { CRIOIMG__TLS_OTHER, CRIOIMG__TLS_UNTRUSTED, CRIOIMG__TLS_EXPIRED, CRIOIMG__TLS_FUTURE, CRIOIMG__TLS_NAME, CRIOIMG__TLS_PLAIN };
CRIOIMG__LIB crioimg_result crioimg__tls_fail_words(char *err, size_t errcap, crioimg_result r, int kind, const char *who, const char *detail);
/* a socket address (len bytes at sa) a request that refuses local addresses must not connect to */
CRIOIMG__LIB int crioimg__http_sockaddr_forbidden(const void *sa, size_t len);
/* a built-in backend's state behind a crioimg_http; close_fn(user) when that fails */
CRIOIMG__LIB crioimg_result crioimg__http_open_builtin(crioimg_http **out, void *user,
                                                       crioimg_result (*request)(void *, const crioimg_http_request *, char *, size_t),
                                                       void (*close_fn)(void *), const crioimg_allocator *alloc);
#endif

#endif
