/*
 * bounds.h - the elementwise map from R onto a box (lo, hi), with its
 * log-determinant, applied last on the sampling side.
 *
 *   x = lo + (hi - lo) sigmoid(a y),   a = FO_BOUNDS_SLOPE = 1.702
 * With a = 1.702, sigmoid(a y) is within 0.01 of the normal CDF, so a new
 * flow (y ~ N(0, 1)) is close to uniform on the box. Dimensions whose
 * bounds are both infinite are left as they are.
 * N = batch, D = dim; bounded (D) says which dimensions are mapped.
 */
#ifndef FLOWOPT_FLOW_BOUNDS_H
#define FLOWOPT_FLOW_BOUNDS_H

#include <stddef.h>

#define FO_BOUNDS_SLOPE 1.702

/*
 * Density direction: y (N, D) from x, ld (N) += log|dy/dx|. Rows with an
 * x outside the open box get y = 0 and ld = -inf.
 */
void fo_bounds_to_y(const double *lo, const double *hi, const unsigned char *bounded,
                    size_t D, size_t n, const double *x, double *y, double *ld);

/* Sampling direction: x (N, D) from y, always strictly inside the box. */
void fo_bounds_to_x(const double *lo, const double *hi, const unsigned char *bounded,
                    size_t D, size_t n, const double *y, double *x);

/*
 * Backward: d_x (N, D) = d_y dy/dx + w_ld d(ld)/dx, where d_y = dL/dy and
 * w_ld (N) = dL/d(ld_n).
 */
void fo_bounds_backward(const double *lo, const double *hi, const unsigned char *bounded,
                        size_t D, size_t n, const double *x, const double *d_y,
                        const double *w_ld, double *d_x);

#endif
