/*
 * gradcheck.h - finite-difference checks shared by the numeric tests.
 *
 * fo_fd_deriv perturbs one double in place and differentiates a scalar
 * function of it with the 4-point central difference
 *   f'(x) ~ (8 (f(x+h) - f(x-h)) - (f(x+2h) - f(x-2h))) / (12 h),
 * whose truncation error is O(h^4), so h = 1e-4 leaves mostly rounding
 * error (about 1e-12 |f|). The value is restored exactly afterwards.
 */
#ifndef FLOWOPT_TESTS_GRADCHECK_H
#define FLOWOPT_TESTS_GRADCHECK_H

#include <stddef.h>

typedef double (*fo_scalar_fn)(void *ctx);

double fo_fd_deriv(fo_scalar_fn f, void *ctx, double *x, double h);

/*
 * Relative error of an analytic derivative a against a numerical n:
 * |a - n| / max(|a|, |n|, floor). The floor keeps derivatives that are
 * zero in exact arithmetic from dividing rounding noise by zero.
 */
double fo_rel_err(double a, double n, double floor);

/*
 * Compare analytic[i] with the numerical derivative with respect to x[i]
 * for every i in [0, count). Returns the largest relative error; *worst
 * gets its index (may be NULL).
 */
double fo_gradcheck(fo_scalar_fn f, void *ctx, double *x, const double *analytic,
                    size_t count, double h, double floor, size_t *worst);

#endif
