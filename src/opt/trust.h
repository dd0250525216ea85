/*
 * trust.h - the trust region of an update: the KL of a step measured on
 * fresh draws, step halving, the learning-rate controller, and the
 * entropy of the accepted distribution.
 */
#ifndef FLOWOPT_OPT_TRUST_H
#define FLOWOPT_OPT_TRUST_H

#include <stddef.h>
#include <flowopt/opt.h>

struct fo_engine;

/* KL(p_old || p_new) by k3 from log-densities at n draws of p_old:
 * mean of (rho - 1) - ln rho, rho = p_new / p_old; every term >= 0. */
double fo__kl_k3(const double *lp_old, const double *lp_new, size_t n);

/* H(p_new) from n draws of p_old, self-normalised by p_new / p_old. */
double fo__entropy_estimate(const double *lp_old, const double *lp_new, size_t n);

/* The controller: lr times lr_shrink after a halved step, times lr_grow
 * when the accepted kl is below a quarter of target, clamped to
 * [lr_min, lr_max]; *events gets FO_EVENT_LR_DOWN or FO_EVENT_LR_UP. */
double fo__lr_control(const struct fo_opt_config *o, double lr, int halved, double kl,
                      double target, unsigned *events);

/* Fresh draws from p_old (the current parameters) into the engine's kl_z,
 * kl_x, kl_lp. Returns 0, or -1 when a density is not finite. */
int fo__draw_kl_samples(struct fo_engine *e);

/*
 * The trust region, in two stages with their own learning rates:
 *  1. the conditioner networks alone, within a share of the KL budget
 *     (all of it when the flow has no Gaussian layer): thousands of weights
 *     would otherwise spend the budget and starve the location and scale;
 *     if no halving meets it, the networks sit this update out;
 *  2. location, scale and shape on top of that, within the whole budget.
 * Each stage halves its step (along the engine's dir from old_params)
 * until its bound holds. Returns 1 when a step was accepted (the flow then
 * holds it and kl_lpn its log p), 0 when no step was.
 */
int fo__trust_region_step(struct fo_engine *e, struct fo_step_report *rep);

#endif
