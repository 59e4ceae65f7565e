/* bench/stack/stack.c: the stack a whole pull takes. examples/test_harness.c (a pull over a canned
   transport into the in-memory store, a corrupted layer refused, list, untag) runs on a thread whose
   stack this program allocates and fills with a pattern; afterwards the bytes still holding the pattern,
   from the far end, are the ones never touched. Prints "high-water N bytes"; exit 1 when over LIMIT
   (argv[1], bytes; 0: report only) or when the harness failed. The stack is STACK bytes (argv[2],
   default 256 KiB) so that an overrun is measured rather than crashed on. */
#define _POSIX_C_SOURCE 200809L
#define main harness_main
#include "../../examples/test_harness.c"
#undef main
#include <pthread.h>
#include <stdlib.h>

static int harness_rc = -1;
static void *run(void *arg) { (void)arg; harness_rc = harness_main(); return NULL; }

int main(int argc, char **argv)
{
    size_t limit = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 0;
    size_t size = argc > 2 ? (size_t)strtoul(argv[2], NULL, 10) : 256 * 1024, i;
    unsigned char *stack = NULL;
    pthread_attr_t at;
    pthread_t t;
    if (posix_memalign((void **)&stack, 4096, size) != 0) return 2;
    memset(stack, 0xa5, size);
    pthread_attr_init(&at);
    if (pthread_attr_setstack(&at, stack, size) != 0 || pthread_create(&t, &at, run, NULL) != 0) return 2;
    pthread_join(t, NULL);
    for (i = 0; i < size && stack[i] == 0xa5; i++) {}   /* stacks grow down: the untouched bytes are at the start */
    printf("high-water %lu bytes (of a %lu-byte thread stack; harness exit %d)\n", (unsigned long)(size - i), (unsigned long)size, harness_rc);
    free(stack);
    if (harness_rc != 0) return 1;
    return limit && size - i > limit ? 1 : 0;
}
