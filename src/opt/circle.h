/*
 * circle.h - the density of a run with periodic coordinates as a density
 * on the circles (the torus), where the driver's wrapped x lives:
 *   p_circ(x) = sum over k in Z^P of p(x + k (hi - lo)),
 * p the flow's density on the line. The images that carry mass are those
 * near the distribution's centre, found from a fixed set of draws.
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

/* log p_circ (n) at x (n, D); x of a periodic coordinate may be any real.
 * The engine's flow must have periodic coordinates. */
enum fo_status fo__circle_log_prob(struct fo_engine *e, size_t n, const double *x,
                                   double *log_p, struct fo_error *err);

#endif
