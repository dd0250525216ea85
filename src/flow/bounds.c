/*
 * bounds.c - see bounds.h. With p = x - lo and q = hi - x (each computed
 * directly, so neither end loses precision):
 *   y  = (ln p - ln q) / a
 *   ld = ln(hi - lo) - ln a - ln p - ln q
 *   dy/dx = (1/p + 1/q) / a,   d(ld)/dx = -1/p + 1/q
 */
#include "flow/bounds.h"

#include <math.h>

void fo_bounds_to_y(const double *lo, const double *hi, const unsigned char *bounded,
                    size_t D, size_t n, const double *x, double *y, double *ld) {
    const double log_a = log(FO_BOUNDS_SLOPE);
    for (size_t i = 0; i < n; i++) {
        int outside = 0;
        for (size_t d = 0; d < D; d++) {
            double xv = x[i * D + d];
            if (!bounded[d]) {
                y[i * D + d] = xv;
                continue;
            }
            double p = xv - lo[d], q = hi[d] - xv;
            if (!(p > 0.0 && q > 0.0)) {
                outside = 1;
                continue;
            }
            y[i * D + d] = (log(p) - log(q)) / FO_BOUNDS_SLOPE;
            ld[i] += log(hi[d] - lo[d]) - log_a - log(p) - log(q);
        }
        if (outside) {
            for (size_t d = 0; d < D; d++)
                y[i * D + d] = 0.0;
            ld[i] = -INFINITY;
        }
    }
}

void fo_bounds_to_x(const double *lo, const double *hi, const unsigned char *bounded,
                    size_t D, size_t n, const double *y, double *x) {
    for (size_t i = 0; i < n * D; i++) {
        size_t d = i % D;
        if (!bounded[d]) {
            x[i] = y[i];
            continue;
        }
        double t = FO_BOUNDS_SLOPE * y[i], w = hi[d] - lo[d], v;
        /* Take the end the point is near, so its distance keeps precision. */
        if (t >= 0.0)
            v = hi[d] - w / (1.0 + exp(t));
        else
            v = lo[d] + w / (1.0 + exp(-t));
        if (!(v > lo[d]))
            v = nextafter(lo[d], hi[d]);
        if (!(v < hi[d]))
            v = nextafter(hi[d], lo[d]);
        x[i] = v;
    }
}

void fo_bounds_backward(const double *lo, const double *hi, const unsigned char *bounded,
                        size_t D, size_t n, const double *x, const double *d_y,
                        const double *w_ld, double *d_x) {
    for (size_t i = 0; i < n; i++) {
        for (size_t d = 0; d < D; d++) {
            size_t k = i * D + d;
            if (!bounded[d]) {
                d_x[k] = d_y[k];
                continue;
            }
            double ip = 1.0 / (x[k] - lo[d]), iq = 1.0 / (hi[d] - x[k]);
            d_x[k] = d_y[k] * (ip + iq) / FO_BOUNDS_SLOPE + w_ld[i] * (iq - ip);
        }
    }
}
