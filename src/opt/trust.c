/*
 * trust.c - the trust region of an update; see trust.h.
 *
 * KL(p_old || p_new) uses k3 = (rho - 1) - ln rho, rho = p_new / p_old
 * (Schulman 2020, "Approximating KL divergence"), averaged over
 * FO_KL_SAMPLES fresh draws from p_old. Not over the update's own samples:
 * the step is fitted to those, so their log p moves coherently and the
 * estimate there is biased upward by a factor that grows with the number
 * of parameters. Fresh draws cost flow passes only, never an evaluation.
 */
#include "opt/engine_internal.h"
#include "opt/trust.h"

#include <math.h>

/* Fresh draws from p_old (the current parameters) for the trust region. */
int fo__draw_kl_samples(struct fo_engine *e) {
    for (size_t i = 0; i < FO_KL_SAMPLES * e->D; i++)
        e->kl_z[i] = fo_rng_normal(&e->rng);
    return fo_flow_sample_from(e->flow, FO_KL_SAMPLES, e->kl_z, e->kl_x, e->kl_lp,
                               NULL) == FO_OK &&
                   fo__all_finite(e->kl_lp, FO_KL_SAMPLES)
               ? 0
               : -1;
}

double fo__kl_k3(const double *lp_old, const double *lp_new, size_t n) {
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = lp_new[i] - lp_old[i];
        sum += expm1(d) - d;
    }
    return sum / (double)n;
}

double fo__entropy_estimate(const double *lp_old, const double *lp_new, size_t n) {
    double mx = -INFINITY;
    for (size_t i = 0; i < n; i++)
        mx = lp_new[i] - lp_old[i] > mx ? lp_new[i] - lp_old[i] : mx;
    double num = 0.0, den = 0.0;
    for (size_t i = 0; i < n; i++) {
        double q = exp(lp_new[i] - lp_old[i] - mx);
        num -= q * lp_new[i];
        den += q;
    }
    return den > 0.0 ? num / den : NAN;
}

/*
 * params = old - a_net dir (network coordinates) - a_dist dir (the rest);
 * *kl = KL(p_old || p_new) on the fresh draws. Returns 0 when finite.
 */
static int try_step(struct fo_engine *e, double a_net, double a_dist, double *kl) {
    const size_t P = fo_flow_n_params(e->flow);
    double *params = fo_flow_params(e->flow);
    for (size_t i = 0; i < P; i++)
        params[i] = e->old_params[i] -
                    (e->roles[i] == FO_ROLE_NETWORK ? a_net : a_dist) * e->dir[i];
    if (!fo__all_finite(params, P) ||
        fo_flow_log_prob(e->flow, FO_KL_SAMPLES, e->kl_x, e->kl_lpn, NULL) ||
        !fo__all_finite(e->kl_lpn, FO_KL_SAMPLES))
        return -1;
    *kl = fo__kl_k3(e->kl_lp, e->kl_lpn, FO_KL_SAMPLES);
    return isfinite(*kl) ? 0 : -1;
}

double fo__lr_control(const struct fo_opt_config *o, double lr, int halved, double kl,
                      double target, unsigned *events) {
    if (halved) {
        *events |= FO_EVENT_LR_DOWN;
        lr *= o->lr_shrink;
    } else if (kl < 0.25 * target) {
        *events |= FO_EVENT_LR_UP;
        lr *= o->lr_grow;
    }
    return lr < o->lr_min ? o->lr_min : (lr > o->lr_max ? o->lr_max : lr);
}

int fo__trust_region_step(struct fo_engine *e, struct fo_step_report *rep) {
    const struct fo_opt_config *o = &e->cfg.opt;
    double kl = 0.0, a_net = 0.0, a_dist = e->lr;
    if (!o->trust_region) {
        if (try_step(e, e->lr, e->lr, &rep->kl) == 0)
            return 1;
        rep->events |= FO_EVENT_NONFINITE;
        return 0;
    }
    const double net_budget =
        e->has_dist_params ? FO_NET_KL_SHARE * o->kl_target : o->kl_target;
    if (e->has_net_params) {
        int halved = 0;
        unsigned ignored = 0;
        a_net = e->lr_net;
        for (unsigned h = 0;; h++) {
            if (try_step(e, a_net, 0.0, &kl) == 0 && kl <= net_budget)
                break;
            if (h == o->max_halvings) {
                a_net = 0.0;
                break;
            }
            halved = 1;
            a_net *= 0.5;
        }
        e->lr_net = fo__lr_control(o, e->lr_net, halved, kl, net_budget, &ignored);
    }
    if (!e->has_dist_params) {
        if (a_net > 0.0 && try_step(e, a_net, 0.0, &rep->kl) == 0)
            return 1;
        rep->events |= FO_EVENT_TRUST_FAILED;
        return 0;
    }
    int halved = 0;
    for (unsigned h = 0; h <= o->max_halvings; h++) {
        if (try_step(e, a_net, a_dist, &rep->kl) == 0 && rep->kl <= o->kl_target) {
            if (halved)
                rep->events |= FO_EVENT_STEP_HALVED;
            e->lr = fo__lr_control(o, e->lr, halved, rep->kl, o->kl_target, &rep->events);
            return 1;
        }
        halved = 1;
        a_dist *= 0.5;
    }
    rep->events |= FO_EVENT_TRUST_FAILED;
    return 0;
}
