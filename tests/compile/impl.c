#define CRIOIMG_IMPLEMENTATION
#include "../../crioimg.h"
#if !defined(CRIOIMG_IMPLEMENTATION_INCLUDED)
#error "implementation not included"
#endif
/* strict C99 with crioimg.h first: every POSIX part is compiled in (intro.h set the feature macros) */
#if (defined(__unix__) || defined(__APPLE__)) && \
    !(defined(CRIOIMG__OCI_STORE) && defined(CRIOIMG__POLICY_FS) && defined(CRIOIMG__HAVE_DIRENT) && defined(CRIOIMG__HAVE_GETADDRINFO))
#error "a POSIX part was compiled out"
#endif
