/* tap.c - TAP output for the test programs; see tap.h. */
#include "tap.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int n_run;
static int n_failed;

static int report(int cond, const char *fmt, va_list ap) {
    n_run++;
    if (!cond)
        n_failed++;
    printf("%sok %d - ", cond ? "" : "not ", n_run);
    vprintf(fmt, ap);
    printf("\n");
    fflush(stdout);
    return cond;
}

int tap_ok(int cond, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    report(cond, fmt, ap);
    va_end(ap);
    return cond;
}

int tap_is_int(long long got, long long want, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int cond = report(got == want, fmt, ap);
    va_end(ap);
    if (!cond)
        printf("#   got: %lld\n#  want: %lld\n", got, want);
    return cond;
}

int tap_is_str(const char *got, const char *want, const char *fmt, ...) {
    int same = got && want ? strcmp(got, want) == 0 : got == want;
    va_list ap;
    va_start(ap, fmt);
    int cond = report(same, fmt, ap);
    va_end(ap);
    if (!cond)
        printf("#   got: '%s'\n#  want: '%s'\n", got ? got : "(null)",
               want ? want : "(null)");
    return cond;
}

int tap_is_near(double got, double want, double tol, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int cond = report(fabs(got - want) <= tol, fmt, ap);
    va_end(ap);
    if (!cond)
        printf("#   got: %.17g\n#  want: %.17g (tolerance %.3g)\n", got, want, tol);
    return cond;
}

int tap_is_below(double got, double bound, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int cond = report(got <= bound, fmt, ap);
    va_end(ap);
    if (!cond)
        printf("#   got: %.17g\n#  must be <= %.17g\n", got, bound);
    return cond;
}

void tap_diag(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    printf("# ");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    fflush(stdout);
}

void tap_skip(const char *why) {
    n_run++;
    printf("ok %d # SKIP %s\n", n_run, why);
}

void tap_bail(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    printf("Bail out! ");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    fflush(stdout);
    exit(255);
}

int tap_failures(void) {
    return n_failed;
}

void tap_run(const char *name, void (*fn)(void)) {
    const char *only = getenv("FLOWOPT_TEST");
    if (only && *only) {
        size_t n = strlen(name);
        const char *p = only;
        int chosen = 0;
        while (!chosen && (p = strstr(p, name)) != NULL) {
            chosen = (p == only || p[-1] == ',') && (p[n] == '\0' || p[n] == ',');
            p += n;
        }
        if (!chosen)
            return;
    }
    fn();
}

int tap_done(void) {
    printf("1..%d\n", n_run);
    if (n_failed)
        printf("# %d of %d checks failed\n", n_failed, n_run);
    fflush(stdout);
    return n_failed || n_run == 0 ? 1 : 0;
}
