/*
 * start.h - where a search distribution begins: the run's first start
 * (start.x, start.scale: a Hartree-Fock point, yesterday's optimum) and
 * the fresh centre an IPOP restart draws (optimizer.restart_mean).
 */
#ifndef FLOWOPT_OPT_START_H
#define FLOWOPT_OPT_START_H

#include <flowopt/status.h>

struct fo_engine;

/*
 * Centre the innermost gaussian-full layer's distribution, pushed out
 * through the outer layers and the bounds map, at x0 (D; NULL: the box's
 * centre) and, when has_scale, give it spread scale along every coordinate
 * of x (to first order: the covariance J diag(scale^2) J^T of the outer
 * layers' Jacobian J). The good parameters follow. FO_ENUMERIC when the
 * point cannot be placed (the layer is then unchanged).
 */
enum fo_status fo__start_place(struct fo_engine *e, const double *x0, int has_scale,
                               double scale, struct fo_error *err);

/* The first start of e's configuration (a no-op when it gives none). */
enum fo_status fo__start_first(struct fo_engine *e, struct fo_error *err);

/* The centre of restart k: its own stream of the run's seed, so the
 * run's random stream is the same whatever restarts happen. OUT: x0 (D),
 * uniform in the box (a coordinate without one keeps the start's). */
void fo__start_draw(const struct fo_engine *e, unsigned long long k, double *x0);

#endif
