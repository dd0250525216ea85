/* reinforce.c - REINFORCE weights and gradient; see reinforce.h. */
#include "opt/reinforce.h"
#include "opt/utility.h"

#include <math.h>
#include <string.h>

double fo__reinforce_weights(const struct fo_opt_config *o, size_t n, const double *fit,
                             const double *lp, const double *lb, double *util,
                             double *ratio, double *w, size_t *order) {
    fo_utilities(o->utility, fit, n, util, order);
    double mean_lp = 0.0, sq = 0.0, sum = 0.0;
    for (size_t i = 0; i < n; i++)
        mean_lp += lp[i] / (double)n;
    for (size_t i = 0; i < n; i++) {
        double r = exp(lp[i] - lb[i]);
        ratio[i] = isfinite(r) ? r : 0.0;
        sum += ratio[i];
        sq += ratio[i] * ratio[i];
        /* the bonus favours the less likely samples: it raises the entropy */
        double A = util[i] + o->entropy_coef * (mean_lp - lp[i]);
        int clipped = (A > 0.0 && ratio[i] > 1.0 + o->ppo_eps) ||
                      (A < 0.0 && ratio[i] < 1.0 - o->ppo_eps);
        w[i] = clipped ? 0.0 : A * ratio[i] / (double)n;
    }
    return sq > 0.0 ? sum * sum / sq : 0.0;
}

double fo__reinforce_gradient(struct fo_flow *flow, size_t n, const double *x,
                              const double *w, double clip_norm, double *grad,
                              unsigned *events) {
    const size_t P = fo_flow_n_params(flow);
    memset(grad, 0, P * sizeof(double));
    if (fo_flow_log_prob_backward(flow, n, x, w, grad, NULL, NULL))
        return NAN;
    double norm = 0.0;
    for (size_t i = 0; i < P; i++)
        norm += grad[i] * grad[i];
    norm = sqrt(norm);
    if (clip_norm > 0.0 && norm > clip_norm) {
        for (size_t i = 0; i < P; i++)
            grad[i] *= clip_norm / norm;
        *events |= FO_EVENT_CLIPPED;
    }
    return norm;
}
