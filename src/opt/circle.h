/*
 * circle.h - the density of a run whose samples are handed out wrapped
 * (periodic coordinates) or folded (boxes under the fold map), where the
 * driver's x lives: the flow's density on the line summed over every
 * point that wraps or folds to x,
 *   circle: x + k (hi - lo);   fold: x + 2 k (hi - lo), 2 lo - x + 2 k (hi - lo).
 * The images that carry mass are those near the distribution's centre,
 * found from a fixed set of draws.
 */
#ifndef FLOWOPT_OPT_CIRCLE_H
#define FLOWOPT_OPT_CIRCLE_H

#include <stddef.h>
#include <flowopt/status.h>

struct fo_engine;

/* The most images summed for one point. With a distribution narrower than
 * a period every coordinate needs one or two, so the sum is exact to the
 * tails; a broad one over many periodic coordinates keeps the images
 * nearest its centre. */
#define FO_CIRCLE_MAX_IMAGES 4096

/* log p (n) at x (n, D) on [lo, hi) or [lo, hi]; x of a periodic
 * coordinate may be any real (it is wrapped first), outside a box (folded
 * or not) log p is -inf. The engine's flow must wrap some coordinate
 * (fo_flow_wraps). */
enum fo_status fo__circle_log_prob(struct fo_engine *e, size_t n, const double *x,
                                   double *log_p, struct fo_error *err);

#endif
