/*
 * update.c - one stabilised REINFORCE update of an engine's flow (opt.h
 * lists the steps): gather the told samples, weigh them (reinforce.c),
 * precondition and step within the trust region (trust.c), guard, roll
 * back, and test for a restart (restart.c). N = samples used (this
 * generation and the reuse window), P = parameters.
 */
#include "opt/cma.h"
#include "opt/engine_internal.h"
#include "opt/lq.h"
#include "opt/mixing.h"
#include "opt/recommend.h"
#include "opt/reinforce.h"
#include "opt/restart.h"
#include "opt/trust.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum fo_status fo__engine_scratch(struct fo_engine *e, size_t n, struct fo_error *err) {
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
    free(e->cma_z);
    e->cma_z = malloc(n * D * sizeof(double));
    ok &= e->cma_z != NULL;
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
        if (r->status != FO_SAMPLE_TOLD || r->generation > g || r->generation + G < g ||
            r->kind != FO_REC_FLOW)
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
        if (r->status != FO_SAMPLE_FAILED || r->generation > g || r->generation + G < g ||
            r->kind != FO_REC_FLOW)
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

static void set_lr(struct fo_engine *e, double lr) {
    const struct fo_opt_config *o = &e->cfg.opt;
    e->lr = lr < o->lr_min ? o->lr_min : (lr > o->lr_max ? o->lr_max : lr);
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
        int gaussian = e->roles[i] != FO_ROLE_NETWORK;
        int natural = o->optimizer == FO_OPTIMIZER_NATURAL && gaussian;
        e->dir[i] = (natural ? e->grad[i] : e->dir[i]) * mult[e->roles[i]];
        if (o->optimizer == FO_OPTIMIZER_CMA && gaussian)
            e->dir[i] = 0.0; /* fo__cma_step moves the Gaussian */
    }
    fo_flow_precondition(e->flow, e->dir, 0);
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
    if (!fo__all_finite(e->old_params, fo_flow_n_params(e->flow)) ||
        fo_flow_log_prob(e->flow, n, e->u_x, e->u_lp, NULL) ||
        !fo__all_finite(e->u_lp, n)) {
        rep->events |= FO_EVENT_NONFINITE;
        rollback(e, rep);
        return;
    }
    const int cma = o->optimizer == FO_OPTIMIZER_CMA;
    if (cma) /* the base points, before any step moves the layers */
        memcpy(e->cma_z, fo_flow_pass_values(e->flow, fo_flow_n_layers(e->flow)),
               n * e->D * sizeof(double));
    rep->ess = fo__reinforce_weights(o, n, e->u_fit, e->u_lp, e->u_lb, e->u_util, e->u_q,
                                     e->u_w, e->u_order);
    rep->grad_norm = fo__reinforce_gradient(e->flow, n, e->u_x, e->u_w, o->clip_norm,
                                            e->grad, &rep->events);
    if (!isfinite(rep->grad_norm) || fo__draw_kl_samples(e) != 0) {
        rep->events |= FO_EVENT_NONFINITE;
        rollback(e, rep);
        return;
    }
    step_direction(e);
    if (!fo__trust_region_step(e, rep)) {
        rollback(e, rep);
        return;
    }
    /* the Gaussian's own step, outside the trust region (its mean steps
     * carry about a nat at D = 10, its covariance steps a few hundredths) */
    if (cma && fo__cma_step(e, n) != 0) {
        rep->events |= FO_EVENT_NONFINITE;
        rollback(e, rep);
        return;
    }
    rep->entropy = fo__entropy_estimate(e->kl_lp, e->kl_lpn, FO_KL_SAMPLES);
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
        if (r->status != FO_SAMPLE_PENDING && r->generation + G < e->generation) {
            e->n_rekeyed -= r->cur_id != r->id; /* a re-issued one goes too */
            continue;
        }
        if (k != i) {
            e->recs[k] = *r;
            memcpy(e->xs + k * e->D, e->xs + i * e->D, e->D * sizeof(double));
        }
        k++;
    }
    e->n_recs = k;
}

/* The largest eigenvalue of L L^T (L lower triangular, D x D) by power
 * iteration, or with inverse = 1 the smallest (the iteration on (L L^T)^-1
 * through two triangular solves). v, w: D doubles of scratch. */
static double extreme_eigenvalue(const double *L, size_t D, int inverse, double *v,
                                 double *w) {
    for (size_t a = 0; a < D; a++)
        v[a] = 1.0 + 0.01 * (double)a; /* not orthogonal to any eigenvector */
    double lambda = 0.0;
    for (int it = 0; it < 60; it++) {
        double norm = 0.0;
        for (size_t a = 0; a < D; a++)
            norm += v[a] * v[a];
        norm = sqrt(norm);
        for (size_t a = 0; a < D; a++)
            v[a] /= norm;
        if (!inverse) { /* w = L^T v, then v' = L w */
            for (size_t b = 0; b < D; b++) {
                double s = 0.0;
                for (size_t a = b; a < D; a++)
                    s += L[a * D + b] * v[a];
                w[b] = s;
            }
            for (size_t a = 0; a < D; a++) {
                double s = 0.0;
                for (size_t b = 0; b <= a; b++)
                    s += L[a * D + b] * w[b];
                v[a] = s;
            }
        } else { /* L w = v, then L^T v' = w */
            for (size_t a = 0; a < D; a++) {
                double s = v[a];
                for (size_t b = 0; b < a; b++)
                    s -= L[a * D + b] * w[b];
                w[a] = s / L[a * D + a];
            }
            for (size_t b = D; b-- > 0;) {
                double s = w[b];
                for (size_t a = b + 1; a < D; a++)
                    s -= L[a * D + b] * v[a];
                v[b] = s / L[b * D + b];
            }
        }
        lambda = 0.0;
        for (size_t a = 0; a < D; a++)
            lambda += v[a] * v[a];
        lambda = sqrt(lambda); /* |M v| for unit v: converges to the eigenvalue */
    }
    return inverse ? 1.0 / lambda : lambda;
}

/* The innermost gaussian-full layer's spread (det L)^(1/D) and the
 * condition of L L^T into the report; NaN when there is none. */
static void report_shape(struct fo_engine *e, struct fo_step_report *rep) {
    const size_t D = e->D, G = fo_flow_n_layers(e->flow) - 1;
    double *mu = e->cma_work, *L = mu + D, *v = L + D * D, *w = v + D;
    rep->step_size = rep->condition = NAN;
    if (fo_flow_gaussian_get(e->flow, G, mu, L, NULL) != FO_OK)
        return;
    rep->step_size = fo__spread_of(L, D);
    rep->condition =
        extreme_eigenvalue(L, D, 0, v, w) / extreme_eigenvalue(L, D, 1, v, w);
}

enum fo_status fo__engine_update(struct fo_engine *e, int forced,
                                 struct fo_step_report *rep, struct fo_error *err) {
    enum fo_status st = fo__engine_scratch(e, e->n_recs + e->pool_n + 1, err);
    if (st != FO_OK)
        return st;
    memset(rep, 0, sizeof *rep);
    rep->step = e->updates + 1;
    rep->generation = e->generation;
    rep->kl = rep->grad_norm = rep->ess = 0.0;
    rep->entropy = NAN;
    if (forced)
        rep->events |= FO_EVENT_FORCED;
    rep->reused = e->mix_kept;
    for (size_t i = 0; i < e->n_recs; i++)
        rep->failed += e->recs[i].status == FO_SAMPLE_FAILED &&
                       e->recs[i].generation == e->generation &&
                       e->recs[i].kind == FO_REC_FLOW;
    fo__mix_remember(e);
    size_t n_cur, n = gather(e, &n_cur);
    value_stats(e, n, rep);
    /* failed samples join the step only: the value statistics and the
     * convergence tests below see the first n, the told values */
    size_t n_step = n + gather_failed(e, n);
    size_t modelled = fo__lq_append(e, n_step);
    n_step += modelled;
    rep->modelled = modelled;
    rep->tau = modelled ? e->lq_tau : NAN;
    rep->n_used = n_step;
    if (n_cur >= 1 && n_step >= 2)
        optimise(e, n_step, rep);
    else
        rep->events |= FO_EVENT_EMPTY;
    int collapsed = fo__scale_collapsed(e, n);
    int tolfun = fo__converged(e, rep, n), stall = fo__stalled(e, n);
    int restarted = (tolfun || stall) && e->restarts_done < e->cfg.restarts;
    if (restarted)
        fo__restart(e, rep);
    fo__lq_end(e, restarted);
    fo__refine_after_update(e); /* before the generation's records go */
    e->generation++;
    e->updates++;
    e->resolved_in_gen = 0;
    if (restarted)
        e->mix_ready = 0; /* nothing of the old distribution is worth keeping */
    e->resolved_in_gen = fo__mix_begin(e);
    compact(e);
    fo__recommend_after_update(e);
    rep->lr = e->lr;
    rep->restarts = e->restarts_done;
    report_shape(e, rep);
    rep->evaluations = e->told;
    rep->best_ever = e->has_best ? e->best_value : NAN;
    if (e->stop == FO_STOP_NONE && collapsed)
        e->stop = FO_STOP_SCALE;
    if (e->stop == FO_STOP_NONE && e->cfg.patience &&
        e->generation - e->last_improve_gen > e->cfg.patience)
        e->stop = FO_STOP_STALLED;
    return FO_OK;
}
