/* A small test harness: every CHECK counts as one passed or failed check; tests_done() prints the
   closing line "N passed, N failed" that tests/run adds up. Failures print where and why. */
#ifndef CRIOIMG_TEST_H
#define CRIOIMG_TEST_H
#include <stdio.h>
#include <string.h>

static unsigned long tests_passed, tests_failed;
static const char *tests_context = "";  /* the row or case being checked, printed with a failure */

static int test_check(int ok, const char *file, int line, const char *what)
{
    if (ok) { tests_passed++; return 1; }
    tests_failed++;
    fprintf(stderr, "FAIL %s:%d: %s [%s]\n", file, line, what, tests_context);
    return 0;
}

static int test_check_str(const char *got, const char *want, const char *file, int line, const char *what)
{
    int ok = (got == NULL && want == NULL) || (got && want && strcmp(got, want) == 0);
    if (!ok && tests_failed < 1000)
        fprintf(stderr, "FAIL %s:%d: %s: got \"%s\", want \"%s\" [%s]\n", file, line, what,
                got ? got : "(null)", want ? want : "(null)", tests_context);
    if (ok) tests_passed++; else tests_failed++;
    return ok;
}

#define CHECK(x) test_check(!!(x), __FILE__, __LINE__, #x)
#define CHECK_STR(got, want) test_check_str((got), (want), __FILE__, __LINE__, #got)

static int tests_done(void)
{
    printf("%lu passed, %lu failed\n", tests_passed, tests_failed);
    return tests_failed ? 1 : 0;
}
#endif
