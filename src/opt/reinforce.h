/*
 * reinforce.h - the score-function (REINFORCE) part of an update: the
 * weights w_i of the surrogate sum_i w_i log p_W(x_i) and its gradient.
 *
 * With A_i the utility of sample i plus the entropy bonus
 * beta (mean_j log p(x_j) - log p(x_i)), and r_i = p_W(x_i) / p_b(x_i) the
 * importance ratio to the distribution that drew x_i, the gradient of the
 * PPO-clipped surrogate sum_i min(r_i A_i, clip(r_i, 1 +- eps) A_i) / N
 * (Schulman et al. 2017, eq. 7) is sum_i w_i grad log p_W(x_i) with
 * w_i = A_i r_i / N, or 0 where the clip is active (r_i > 1 + eps with
 * A_i > 0, r_i < 1 - eps with A_i < 0). N = samples.
 */
#ifndef FLOWOPT_OPT_REINFORCE_H
#define FLOWOPT_OPT_REINFORCE_H

#include <stddef.h>
#include <flowopt/opt.h>

/*
 * fit (N): fitness, larger is better; lp (N): log p_W(x_i) now; lb (N):
 * log p_b(x_i) when drawn. OUT: util (N) utilities, ratio (N) importance
 * ratios (0 where not finite), w (N) weights; order is scratch of N.
 * Returns the effective sample size (sum r)^2 / sum r^2 of the ratios.
 */
double fo__reinforce_weights(const struct fo_opt_config *o, size_t n, const double *fit,
                             const double *lp, const double *lb, double *util,
                             double *ratio, double *w, size_t *order);

/*
 * grad (n_params) = sum_i w_i grad log p(x_i) at the x of the flow's last
 * density pass (fo_flow_log_prob on n points), then scaled to norm
 * clip_norm if longer (clip_norm 0: never; *events gets FO_EVENT_CLIPPED).
 * Returns the norm before clipping, NaN when the backward pass fails.
 */
double fo__reinforce_gradient(struct fo_flow *flow, size_t n, const double *x,
                              const double *w, double clip_norm, double *grad,
                              unsigned *events);

#endif
