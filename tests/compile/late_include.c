/* A libc header before the implementation, strict C99, no feature macro: POSIX.1-2008 cannot be had any
   more, and the build must stop naming the macro (tests/compile/run checks the message), never compile
   the store, policy files, drop-ins and certs.d out into run-time ERR_UNSUPPORTED. */
#include <stdio.h>
#define CRIOIMG_IMPLEMENTATION
#include "../../crioimg.h"
