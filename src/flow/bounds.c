/*
 * bounds.c - see bounds.h. With p = x - lo and q = hi - x (each computed
 * directly, so neither end loses precision):
 *   y  = (ln p - ln q) / a
 *   ld = ln(hi - lo) - ln a - ln p - ln q
 *   dy/dx = (1/p + 1/q) / a,   d(ld)/dx = -1/p + 1/q
 * and on a periodic or folded dimension, with c = (lo + hi) / 2 and
 * s = (hi - lo) / 4:
 *   y = (x - c) / s,   ld = -ln s,   dy/dx = 1 / s,   d(ld)/dx = 0.
 */
#include "flow/bounds.h"

#include <math.h>

static double circle_centre(double lo, double hi) {
    return lo + 0.5 * (hi - lo);
}

static double circle_scale(double lo, double hi) {
    return 0.25 * (hi - lo);
}

void fo_bounds_to_y(const double *lo, const double *hi, const unsigned char *map,
                    size_t D, size_t n, const double *x, double *y, double *ld) {
    const double log_a = log(FO_BOUNDS_SLOPE);
    for (size_t i = 0; i < n; i++) {
        int outside = 0;
        for (size_t d = 0; d < D; d++) {
            double xv = x[i * D + d];
            if (map[d] == FO_MAP_NONE) {
                y[i * D + d] = xv;
                continue;
            }
            if (map[d] == FO_MAP_PERIODIC || map[d] == FO_MAP_FOLD) {
                double s = circle_scale(lo[d], hi[d]);
                y[i * D + d] = (xv - circle_centre(lo[d], hi[d])) / s;
                ld[i] -= log(s);
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

void fo_bounds_to_x(const double *lo, const double *hi, const unsigned char *map,
                    size_t D, size_t n, const double *y, double *x) {
    for (size_t i = 0; i < n * D; i++) {
        size_t d = i % D;
        if (map[d] == FO_MAP_NONE) {
            x[i] = y[i];
            continue;
        }
        if (map[d] == FO_MAP_PERIODIC || map[d] == FO_MAP_FOLD) {
            x[i] = circle_centre(lo[d], hi[d]) + circle_scale(lo[d], hi[d]) * y[i];
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

void fo_bounds_backward(const double *lo, const double *hi, const unsigned char *map,
                        size_t D, size_t n, const double *x, const double *d_y,
                        const double *w_ld, double *d_x) {
    for (size_t i = 0; i < n; i++) {
        for (size_t d = 0; d < D; d++) {
            size_t k = i * D + d;
            if (map[d] == FO_MAP_NONE) {
                d_x[k] = d_y[k];
                continue;
            }
            if (map[d] == FO_MAP_PERIODIC || map[d] == FO_MAP_FOLD) {
                d_x[k] = d_y[k] / circle_scale(lo[d], hi[d]);
                continue;
            }
            double ip = 1.0 / (x[k] - lo[d]), iq = 1.0 / (hi[d] - x[k]);
            d_x[k] = d_y[k] * (ip + iq) / FO_BOUNDS_SLOPE + w_ld[i] * (iq - ip);
        }
    }
}

void fo_bounds_wrap(const double *lo, const double *hi, const unsigned char *map,
                    size_t D, size_t n, const double *x, double *out) {
    for (size_t i = 0; i < n * D; i++) {
        size_t d = i % D;
        out[i] = x[i];
        double w = hi[d] - lo[d], r = x[i] - lo[d];
        if (map[d] == FO_MAP_PERIODIC) {
            r -= w * floor(r / w);
            /* rounding may leave r at w or a hair below 0: both are lo */
            double v = lo[d] + r;
            out[i] = v >= lo[d] && v < hi[d] ? v : lo[d];
        } else if (map[d] == FO_MAP_FOLD) {
            r -= 2.0 * w * floor(r / (2.0 * w)); /* [0, 2w): there and back */
            r = r > w ? 2.0 * w - r : r;
            double v = lo[d] + r;
            out[i] = v < lo[d] ? lo[d] : v > hi[d] ? hi[d] : v;
        }
    }
}
