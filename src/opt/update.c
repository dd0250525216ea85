/*
 * update.c - one stabilised REINFORCE update of an engine's flow; see
 * opt.h for the steps. N = samples used (this generation and the reuse
 * window), P = parameters.
 *
 * Weights: with A_i the utility (plus entropy bonus) and r_i = p_W(x_i) /
 * p_b(x_i) the importance ratio to the distribution that drew x_i, the
 * gradient of the PPO-clipped surrogate sum_i min(r_i A_i, clip(r_i) A_i) / N
 * is sum_i w_i grad log p_W(x_i) with w_i = A_i r_i / N, or 0 where the clip
 * is active (r_i > 1 + eps with A_i > 0, r_i < 1 - eps with A_i < 0).
 * KL(p_old || p_new) uses k3 = (rho - 1) - ln rho, rho = p_new / p_old
 * (Schulman 2020, "Approximating KL divergence"), averaged over
 * FO_KL_SAMPLES fresh draws from p_old. Not over the update's own samples:
 * the step is fitted to those, so their log p moves coherently and the
 * estimate there is biased upward by a factor that grows with the number
 * of parameters. Fresh draws cost flow passes only, never an evaluation.
 */
#include "opt/engine_internal.h"
#include "opt/utility.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static enum fo_status ensure_scratch(struct fo_engine *e, size_t n,
                                     struct fo_error *err) {
    if (n <= e->cap_used)
        return FO_OK;
    const size_t D = e->D;
    double **bufs[] = {&e->u_fit, &e->u_lb, &e->u_lp, &e->u_w, &e->u_util, &e->u_q};
    free(e->u_x);
    e->u_x = malloc(n * D * sizeof(double));
    int ok = e->u_x != NULL;
    for (size_t b = 0; b < sizeof bufs / sizeof bufs[0]; b++) {
        free(*bufs[b]);
        *bufs[b] = malloc(n * sizeof(double));
        ok &= *bufs[b] != NULL;
    }
    free(e->u_order);
    free(e->u_cur);
    e->u_order = malloc(n * sizeof(size_t));
    e->u_cur = malloc(n);
    ok &= e->u_order && e->u_cur;
    e->cap_used = ok ? n : 0;
    return ok ? FO_OK
              : fo_error_set(err, FO_ENOMEM, "run", "out of memory for an update");
}

/* Copy the told samples of generations [g - G, g] into the scratch arrays. */
static size_t gather(struct fo_engine *e, size_t *n_cur) {
    const uint64_t g = e->generation, G = e->cfg.opt.reuse_generations;
    const double sign = e->cfg.direction == FO_MAXIMIZE ? 1.0 : -1.0;
    size_t n = 0;
    *n_cur = 0;
    for (size_t i = 0; i < e->n_recs; i++) {
        const struct fo_rec *r = &e->recs[i];
        if (r->status != FO_SAMPLE_TOLD || r->generation > g || r->generation + G < g)
            continue;
        memcpy(e->u_x + n * e->D, e->xs + i * e->D, e->D * sizeof(double));
        e->u_fit[n] = sign * r->value;
        e->u_lb[n] = r->lb;
        e->u_cur[n] = r->generation == g;
        *n_cur += e->u_cur[n];
        n++;
    }
    return n;
}

/*
 * With failed_rank worst: append the failed samples of the same window
 * after the n told ones, with a fitness one spread below the worst told
 * value, so every utility ranks them last and the score-function step moves
 * mass away from where they were drawn. Returns how many were appended
 * (none when nothing was told: there is no value to rank them below).
 */
static size_t gather_failed(struct fo_engine *e, size_t n) {
    const uint64_t g = e->generation, G = e->cfg.opt.reuse_generations;
    if (e->cfg.opt.failed_rank != FO_FAILED_WORST || n == 0)
        return 0;
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        lo = fmin(lo, e->u_fit[i]);
        hi = fmax(hi, e->u_fit[i]);
    }
    size_t k = n;
    for (size_t i = 0; i < e->n_recs; i++) {
        const struct fo_rec *r = &e->recs[i];
        if (r->status != FO_SAMPLE_FAILED || r->generation > g || r->generation + G < g)
            continue;
        memcpy(e->u_x + k * e->D, e->xs + i * e->D, e->D * sizeof(double));
        e->u_fit[k] = lo - (hi - lo) - 1.0;
        e->u_lb[k] = r->lb;
        e->u_cur[k] = r->generation == g;
        k++;
    }
    return k - n;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* mean, median and best of the current generation's values. */
static void value_stats(struct fo_engine *e, size_t n, struct fo_step_report *rep) {
    const double sign = e->cfg.direction == FO_MAXIMIZE ? 1.0 : -1.0;
    size_t m = 0;
    double sum = 0.0, best = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        if (!e->u_cur[i])
            continue;
        double v = sign * e->u_fit[i];
        e->u_q[m++] = v;
        sum += v;
        best = e->u_fit[i] > best ? e->u_fit[i] : best;
    }
    rep->n = m;
    if (m == 0) {
        rep->mean = rep->median = rep->best = NAN;
        return;
    }
    qsort(e->u_q, m, sizeof(double), cmp_double);
    rep->mean = sum / (double)m;
    rep->median = m % 2 ? e->u_q[m / 2] : 0.5 * (e->u_q[m / 2 - 1] + e->u_q[m / 2]);
    rep->best = sign * best;
}

/* Utilities, entropy bonus and clipped importance weights; returns the ESS. */
static double make_weights(struct fo_engine *e, size_t n) {
    const struct fo_opt_config *o = &e->cfg.opt;
    fo_utilities(o->utility, e->u_fit, n, e->u_util, e->u_order);
    double mean_lp = 0.0, sq = 0.0, sum = 0.0;
    for (size_t i = 0; i < n; i++)
        mean_lp += e->u_lp[i] / (double)n;
    for (size_t i = 0; i < n; i++) {
        double r = exp(e->u_lp[i] - e->u_lb[i]);
        e->u_q[i] = isfinite(r) ? r : 0.0;
        sum += e->u_q[i];
        sq += e->u_q[i] * e->u_q[i];
        double A = e->u_util[i] + o->entropy_coef * (mean_lp - e->u_lp[i]);
        int clipped = (A > 0.0 && e->u_q[i] > 1.0 + o->ppo_eps) ||
                      (A < 0.0 && e->u_q[i] < 1.0 - o->ppo_eps);
        e->u_w[i] = clipped ? 0.0 : A * e->u_q[i] / (double)n;
    }
    return sq > 0.0 ? sum * sum / sq : 0.0;
}

static int all_finite(const double *v, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i]))
            return 0;
    return 1;
}

/* Fresh draws from p_old (the current parameters) for the trust region. */
static int draw_kl_samples(struct fo_engine *e) {
    for (size_t i = 0; i < FO_KL_SAMPLES * e->D; i++)
        e->kl_z[i] = fo_rng_normal(&e->rng);
    return fo_flow_sample_from(e->flow, FO_KL_SAMPLES, e->kl_z, e->kl_x, e->kl_lp,
                               NULL) == FO_OK &&
                   all_finite(e->kl_lp, FO_KL_SAMPLES)
               ? 0
               : -1;
}

/* KL(p_old || p_new) by k3 over the fresh draws. */
static double kl_k3(const struct fo_engine *e) {
    double sum = 0.0;
    for (size_t i = 0; i < FO_KL_SAMPLES; i++) {
        double d = e->kl_lpn[i] - e->kl_lp[i];
        sum += expm1(d) - d;
    }
    return sum / FO_KL_SAMPLES;
}

/* H(p_new) from the draws of p_old, self-normalised by p_new / p_old. */
static double entropy_estimate(const struct fo_engine *e) {
    double mx = -INFINITY;
    for (size_t i = 0; i < FO_KL_SAMPLES; i++)
        mx = e->kl_lpn[i] - e->kl_lp[i] > mx ? e->kl_lpn[i] - e->kl_lp[i] : mx;
    double num = 0.0, den = 0.0;
    for (size_t i = 0; i < FO_KL_SAMPLES; i++) {
        double q = exp(e->kl_lpn[i] - e->kl_lp[i] - mx);
        num -= q * e->kl_lpn[i];
        den += q;
    }
    return den > 0.0 ? num / den : NAN;
}

static void set_lr(struct fo_engine *e, double lr) {
    const struct fo_opt_config *o = &e->cfg.opt;
    e->lr = lr < o->lr_min ? o->lr_min : (lr > o->lr_max ? o->lr_max : lr);
}

/* Gradient of the surrogate into e->grad; returns its norm (before clipping).
 * Runs backward through the density pass optimise() made for the weights. */
static double surrogate_gradient(struct fo_engine *e, size_t n, unsigned *events) {
    const size_t P = fo_flow_n_params(e->flow);
    memset(e->grad, 0, P * sizeof(double));
    if (fo_flow_log_prob_backward(e->flow, n, e->u_x, e->u_w, e->grad, NULL, NULL))
        return NAN;
    double norm = 0.0;
    for (size_t i = 0; i < P; i++)
        norm += e->grad[i] * e->grad[i];
    norm = sqrt(norm);
    double cap = e->cfg.opt.clip_norm;
    if (cap > 0.0 && norm > cap) {
        for (size_t i = 0; i < P; i++)
            e->grad[i] *= cap / norm;
        *events |= FO_EVENT_CLIPPED;
    }
    return norm;
}

/*
 * Descent direction for the loss -J into e->dir, built in the flow's local
 * coordinates (fo_flow_precondition): the gradient goes in as P^T g, the
 * step comes out as P d, so a shift moves by a fraction of the current
 * spread at any width and the learning rate follows the distribution.
 *   adam     Adam on every coordinate;
 *   natural  Gaussian layers take the plain gradient in local coordinates,
 *            which is their natural gradient (xNES), networks take Adam;
 *   sgd      the seed's SGD with clamped elements, on raw parameters.
 * Each role then steps at its own multiple (shape_lr_scale, net_lr_scale).
 */
static void step_direction(struct fo_engine *e) {
    const struct fo_opt_config *o = &e->cfg.opt;
    const size_t P = fo_flow_n_params(e->flow);
    if (o->optimizer == FO_OPTIMIZER_SGD_CLAMP) {
        for (size_t i = 0; i < P; i++) {
            double g = -e->grad[i];
            e->dir[i] =
                g > o->sgd_clamp ? o->sgd_clamp : (g < -o->sgd_clamp ? -o->sgd_clamp : g);
        }
        return;
    }
    const double mult[3] = {1.0, o->shape_lr_scale > 0.0 ? o->shape_lr_scale : 1.0,
                            o->net_lr_scale > 0.0 ? o->net_lr_scale : 1.0};
    for (size_t i = 0; i < P; i++)
        e->grad[i] = -e->grad[i];
    fo_flow_precondition(e->flow, e->grad, 1);
    fo_adam_direction(e->adam, e->grad, e->dir);
    for (size_t i = 0; i < P; i++) {
        int natural =
            o->optimizer == FO_OPTIMIZER_NATURAL && e->roles[i] != FO_ROLE_NETWORK;
        e->dir[i] = (natural ? e->grad[i] : e->dir[i]) * mult[e->roles[i]];
    }
    fo_flow_precondition(e->flow, e->dir, 0);
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
    if (!all_finite(params, P) ||
        fo_flow_log_prob(e->flow, FO_KL_SAMPLES, e->kl_x, e->kl_lpn, NULL) ||
        !all_finite(e->kl_lpn, FO_KL_SAMPLES))
        return -1;
    *kl = kl_k3(e);
    return isfinite(*kl) ? 0 : -1;
}

/* Learning-rate controller: shrink after halving, grow when far below target. */
static double control(const struct fo_opt_config *o, double lr, int halved, double kl,
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

/*
 * The trust region, in two stages with their own learning rates:
 *  1. the conditioner networks alone, within a share of the KL budget
 *     (all of it when the flow has no Gaussian layer): thousands of weights
 *     would otherwise spend the budget and starve the location and scale;
 *     if no halving meets it, the networks sit this update out;
 *  2. location, scale and shape on top of that, within the whole budget.
 * Each stage halves its step until its bound holds. Returns 1 when a step
 * was accepted (kl_lpn then holds log p_new), 0 when no step was.
 */
static int trust_region_step(struct fo_engine *e, struct fo_step_report *rep) {
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
        e->lr_net = control(o, e->lr_net, halved, kl, net_budget, &ignored);
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
            e->lr = control(o, e->lr, halved, rep->kl, o->kl_target, &rep->events);
            return 1;
        }
        halved = 1;
        a_dist *= 0.5;
    }
    rep->events |= FO_EVENT_TRUST_FAILED;
    return 0;
}

/* Back to the parameters after the last accepted update (the initial ones
 * before any): they produced finite densities, whatever came since. */
static void rollback(struct fo_engine *e, struct fo_step_report *rep) {
    memcpy(fo_flow_params(e->flow), e->good_params,
           fo_flow_n_params(e->flow) * sizeof(double));
    rep->events |= FO_EVENT_ROLLBACK | FO_EVENT_LR_DOWN;
    e->rollbacks++;
    if (rep->events & FO_EVENT_NONFINITE)
        e->nonfinite++;
    set_lr(e, e->lr * e->cfg.opt.lr_shrink * e->cfg.opt.lr_shrink);
}

/* The gradient step with its guards; parameters change only if all hold. */
static void optimise(struct fo_engine *e, size_t n, struct fo_step_report *rep) {
    const struct fo_opt_config *o = &e->cfg.opt;
    memcpy(e->old_params, fo_flow_params(e->flow),
           fo_flow_n_params(e->flow) * sizeof(double));
    if (!all_finite(e->old_params, fo_flow_n_params(e->flow)) ||
        fo_flow_log_prob(e->flow, n, e->u_x, e->u_lp, NULL) || !all_finite(e->u_lp, n)) {
        rep->events |= FO_EVENT_NONFINITE;
        rollback(e, rep);
        return;
    }
    rep->ess = make_weights(e, n);
    rep->grad_norm = surrogate_gradient(e, n, &rep->events);
    if (!isfinite(rep->grad_norm) || draw_kl_samples(e) != 0) {
        rep->events |= FO_EVENT_NONFINITE;
        rollback(e, rep);
        return;
    }
    step_direction(e);
    if (!trust_region_step(e, rep)) {
        rollback(e, rep);
        return;
    }
    rep->entropy = entropy_estimate(e);
    if (!isfinite(rep->entropy) || rep->entropy < o->entropy_floor * (double)e->D) {
        rep->events |=
            isfinite(rep->entropy) ? FO_EVENT_ENTROPY_FLOOR : FO_EVENT_NONFINITE;
        rollback(e, rep);
        return;
    }
    memcpy(e->good_params, fo_flow_params(e->flow),
           fo_flow_n_params(e->flow) * sizeof(double));
}

/* Drop told samples that have left the reuse window (pending ones stay). */
static void compact(struct fo_engine *e) {
    const uint64_t G = e->cfg.opt.reuse_generations;
    size_t k = 0;
    for (size_t i = 0; i < e->n_recs; i++) {
        const struct fo_rec *r = &e->recs[i];
        if (r->status != FO_SAMPLE_PENDING && r->generation + G < e->generation)
            continue;
        if (k != i) {
            e->recs[k] = *r;
            memcpy(e->xs + k * e->D, e->xs + i * e->D, e->D * sizeof(double));
        }
        k++;
    }
    e->n_recs = k;
}

/* Spread of the current generation's told x, relative to the box. */
static int scale_collapsed(const struct fo_engine *e, size_t n) {
    if (e->cfg.min_scale <= 0.0 || n < 2)
        return 0;
    for (size_t d = 0; d < e->D; d++) {
        double mean = 0.0, var = 0.0, m = 0.0;
        for (size_t i = 0; i < n; i++)
            if (e->u_cur[i]) {
                mean += e->u_x[i * e->D + d];
                m += 1.0;
            }
        if (m < 2.0)
            return 0;
        mean /= m;
        for (size_t i = 0; i < n; i++)
            if (e->u_cur[i])
                var += (e->u_x[i * e->D + d] - mean) * (e->u_x[i * e->D + d] - mean);
        double width = isfinite(e->lo[d]) ? e->hi[d] - e->lo[d] : 1.0;
        if (sqrt(var / (m - 1.0)) > e->cfg.min_scale * width)
            return 0;
    }
    return 1;
}

/* Record this generation's value range; 1 when the run has converged
 * (CMA-ES's TolFun test over a window of generations). */
static int converged(struct fo_engine *e, const struct fo_step_report *rep, size_t n) {
    if (!e->cfg.restarts || rep->n == 0)
        return 0;
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < n; i++)
        if (e->u_cur[i]) {
            lo = fmin(lo, e->u_fit[i]);
            hi = fmax(hi, e->u_fit[i]);
        }
    size_t slot = (size_t)(e->conv_n % FO_RESTART_WINDOW);
    e->conv_lo[slot] = lo;
    e->conv_hi[slot] = hi;
    e->conv_n++;
    if (e->conv_n <= FO_RESTART_WINDOW)
        return 0;
    for (size_t k = 0; k < FO_RESTART_WINDOW; k++) {
        lo = fmin(lo, e->conv_lo[k]);
        hi = fmax(hi, e->conv_hi[k]);
    }
    /* converged: every value of the window agrees to within tolfun */
    return hi - lo < e->cfg.restart_tolfun * (1.0 + fabs(e->best_value));
}

/*
 * Record the best of this (re)start; 1 when it improved by less than
 * restart_stall_tol (1 + |best|) over the last restart_stall generations.
 * TolFun alone waits until the distribution has collapsed onto a local
 * optimum; a run creeping along a shallow basin (tfim_vqe at -4.745 while
 * the target is -4.75) can spend most of its budget before that.
 */
static int stalled(struct fo_engine *e, size_t n) {
    const uint64_t W = e->cfg.restart_stall;
    if (!W || !e->cfg.restarts)
        return 0;
    double best = e->stall_n ? e->stall_best[(e->stall_n - 1) % (W + 1)] : -INFINITY;
    for (size_t i = 0; i < n; i++)
        if (e->u_cur[i] && e->u_fit[i] > best)
            best = e->u_fit[i];
    e->stall_best[e->stall_n % (W + 1)] = best;
    e->stall_n++;
    if (e->stall_n <= W || !isfinite(best))
        return 0;
    double then = e->stall_best[(e->stall_n - 1 - W) % (W + 1)];
    return best - then < e->cfg.restart_stall_tol * (1.0 + fabs(best));
}

/*
 * IPOP restart (Auger and Hansen 2005): a fresh distribution, fresh
 * optimizer state, twice the batch. Best-ever and every counter stay.
 */
static void restart(struct fo_engine *e, struct fo_step_report *rep) {
    const size_t P = fo_flow_n_params(e->flow);
    e->restarts_done++;
    fo_flow_reset_params(e->flow,
                         e->cfg.flow.seed + 0x9e3779b97f4a7c15ULL * e->restarts_done);
    memcpy(e->good_params, fo_flow_params(e->flow), P * sizeof(double));
    memset(e->adam->m, 0, P * sizeof(double));
    memset(e->adam->v, 0, P * sizeof(double));
    e->adam->t = 0;
    e->lr = e->lr_net = e->cfg.opt.lr;
    e->conv_n = 0;
    e->stall_n = 0;
    e->has_mirror = 0;
    if (e->cfg.batch_size <= 5000)
        e->cfg.batch_size *= 2;
    rep->events |= FO_EVENT_RESTART;
}

enum fo_status fo__engine_update(struct fo_engine *e, int forced,
                                 struct fo_step_report *rep, struct fo_error *err) {
    enum fo_status st = ensure_scratch(e, e->n_recs ? e->n_recs : 1, err);
    if (st != FO_OK)
        return st;
    memset(rep, 0, sizeof *rep);
    rep->step = e->updates + 1;
    rep->generation = e->generation;
    rep->kl = rep->grad_norm = rep->ess = 0.0;
    rep->entropy = NAN;
    if (forced)
        rep->events |= FO_EVENT_FORCED;
    size_t n_cur, n = gather(e, &n_cur);
    value_stats(e, n, rep);
    /* failed samples join the step only: the value statistics and the
     * convergence tests below see the first n, the told values */
    size_t n_step = n + gather_failed(e, n);
    rep->n_used = n_step;
    if (n_cur >= 1 && n_step >= 2)
        optimise(e, n_step, rep);
    else
        rep->events |= FO_EVENT_EMPTY;
    int collapsed = scale_collapsed(e, n);
    int tolfun = converged(e, rep, n), stall = stalled(e, n);
    if ((tolfun || stall) && e->restarts_done < e->cfg.restarts)
        restart(e, rep);
    e->generation++;
    e->updates++;
    e->resolved_in_gen = 0;
    compact(e);
    rep->lr = e->lr;
    rep->evaluations = e->told;
    rep->best_ever = e->has_best ? e->best_value : NAN;
    if (e->stop == FO_STOP_NONE && collapsed)
        e->stop = FO_STOP_SCALE;
    if (e->stop == FO_STOP_NONE && e->cfg.patience &&
        e->generation - e->last_improve_gen > e->cfg.patience)
        e->stop = FO_STOP_STALLED;
    return FO_OK;
}
