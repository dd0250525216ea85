/*
 * tap.h - a small Test Anything Protocol harness.
 *
 * Every check prints "ok N - name" or "not ok N - name" with both values on
 * failure. tap_done() prints the plan and returns non-zero when any check
 * failed, so `return tap_done();` from main makes the exit code honest.
 */
#ifndef FLOWOPT_TESTS_TAP_H
#define FLOWOPT_TESTS_TAP_H

#include <stddef.h>

#if defined(__GNUC__)
#define TAP_FMT(a, b) __attribute__((format(printf, a, b)))
#else
#define TAP_FMT(a, b)
#endif

int tap_ok(int cond, const char *fmt, ...) TAP_FMT(2, 3);
int tap_is_int(long long got, long long want, const char *fmt, ...) TAP_FMT(3, 4);
int tap_is_str(const char *got, const char *want, const char *fmt, ...) TAP_FMT(3, 4);
/* |got - want| <= tol; NaN never passes. */
int tap_is_near(double got, double want, double tol, const char *fmt, ...) TAP_FMT(4, 5);
/* got <= bound; NaN never passes. */
int tap_is_below(double got, double bound, const char *fmt, ...) TAP_FMT(3, 4);
void tap_diag(const char *fmt, ...) TAP_FMT(1, 2);
void tap_skip(const char *why);
/* Stop at once: prints "Bail out!" and exits 255. For broken set-up only. */
void tap_bail(const char *fmt, ...) TAP_FMT(1, 2);
/*
 * Run the test function fn named name, unless FLOWOPT_TEST names others:
 * FLOWOPT_TEST=test_parking,test_expiry runs just those (TAP_RUN(f) passes
 * the function's own name).
 */
void tap_run(const char *name, void (*fn)(void));
#define TAP_RUN(f) tap_run(#f, f)

/* Prints the plan; returns 0 when every check passed and at least one ran. */
int tap_done(void);
/* Number of failed checks so far. */
int tap_failures(void);

#endif
