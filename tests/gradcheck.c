/* gradcheck.c - see gradcheck.h. */
#include "gradcheck.h"

#include <math.h>

double fo_fd_deriv(fo_scalar_fn f, void *ctx, double *x, double h) {
    double x0 = *x;
    *x = x0 + h;
    double f1 = f(ctx);
    *x = x0 - h;
    double fm1 = f(ctx);
    *x = x0 + 2 * h;
    double f2 = f(ctx);
    *x = x0 - 2 * h;
    double fm2 = f(ctx);
    *x = x0;
    return (8.0 * (f1 - fm1) - (f2 - fm2)) / (12.0 * h);
}

double fo_rel_err(double a, double n, double floor) {
    double den = fabs(a) > fabs(n) ? fabs(a) : fabs(n);
    if (den < floor)
        den = floor;
    double e = fabs(a - n) / den;
    return isnan(e) ? INFINITY : e;
}

double fo_gradcheck(fo_scalar_fn f, void *ctx, double *x, const double *analytic,
                    size_t count, double h, double floor, size_t *worst) {
    double max_err = 0.0;
    for (size_t i = 0; i < count; i++) {
        double num = fo_fd_deriv(f, ctx, &x[i], h);
        double e = fo_rel_err(analytic[i], num, floor);
        if (e > max_err || i == 0) {
            max_err = e > max_err ? e : max_err;
            if (worst && e >= max_err)
                *worst = i;
        }
    }
    return max_err;
}
