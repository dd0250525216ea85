/*
 * bounds.h - the elementwise map from R onto a box (lo, hi), with its
 * log-determinant, applied last on the sampling side.
 *
 *   x = lo + (hi - lo) sigmoid(a y),   a = FO_BOUNDS_SLOPE = 1.702
 * With a = 1.702, sigmoid(a y) is within 0.01 of the normal CDF, so a new
 * flow (y ~ N(0, 1)) is close to uniform on the box. Dimensions whose
 * bounds are both infinite are left as they are. A periodic dimension
 * (the circle [lo, hi)) is mapped affinely onto the whole line,
 *   x = (lo + hi) / 2 + (hi - lo) / 4 y,
 * so a new flow has the spread (hi - lo) / 4 there; the point stays
 * unwrapped (the flow's density lives on R) and fo_bounds_wrap brings it
 * into [lo, hi) for whoever evaluates it.
 * N = batch, D = dim; map (D) holds each dimension's enum fo_map_kind.
 */
#ifndef FLOWOPT_FLOW_BOUNDS_H
#define FLOWOPT_FLOW_BOUNDS_H

#include <stddef.h>

#define FO_BOUNDS_SLOPE 1.702

/* index = enum fo_coord_kind */
enum fo_map_kind {
    FO_MAP_NONE = 0,     /* unbounded: identity */
    FO_MAP_BOX = 1,      /* (lo, hi) through the sigmoid */
    FO_MAP_PERIODIC = 2, /* [lo, hi) as a circle: affine, unwrapped */
    FO_MAP_FOLD = 3      /* [lo, hi] folded: the circle's affine map, unwrapped */
};

/*
 * Density direction: y (N, D) from x, ld (N) += log|dy/dx|. Rows with an
 * x outside the open box get y = 0 and ld = -inf.
 */
void fo_bounds_to_y(const double *lo, const double *hi, const unsigned char *map,
                    size_t D, size_t n, const double *x, double *y, double *ld);

/* Sampling direction: x (N, D) from y, always strictly inside the box
 * (periodic dimensions unwrapped). */
void fo_bounds_to_x(const double *lo, const double *hi, const unsigned char *map,
                    size_t D, size_t n, const double *y, double *x);

/*
 * Backward: d_x (N, D) = d_y dy/dx + w_ld d(ld)/dx, where d_y = dL/dy and
 * w_ld (N) = dL/d(ld_n).
 */
void fo_bounds_backward(const double *lo, const double *hi, const unsigned char *map,
                        size_t D, size_t n, const double *x, const double *d_y,
                        const double *w_ld, double *d_x);

/* out (N, D) = x with its periodic dimensions brought into [lo, hi) and
 * its folded ones reflected into [lo, hi]; out may be x. */
void fo_bounds_wrap(const double *lo, const double *hi, const unsigned char *map,
                    size_t D, size_t n, const double *x, double *out);

#endif
