/* restart.c - convergence tests and IPOP restarts; see restart.h. */
#include "opt/cma.h"
#include "opt/engine_internal.h"
#include "opt/modes.h"
#include "opt/restart.h"
#include "opt/start.h"

#include <math.h>
#include <string.h>

/* Spread of the current generation's told x, relative to the box. */
int fo__scale_collapsed(const struct fo_engine *e, size_t n) {
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
int fo__converged(struct fo_engine *e, const struct fo_step_report *rep, size_t n) {
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
int fo__stalled(struct fo_engine *e, size_t n) {
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
void fo__restart(struct fo_engine *e, struct fo_step_report *rep) {
    const size_t P = fo_flow_n_params(e->flow);
    fo__modes_archive(e); /* the converged distribution, before it goes */
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
    fo__cma_reset(e);
    if (e->cfg.restart_mean == FO_RESTART_RANDOM) {
        double *x0 = e->cma_work; /* free between updates, D doubles at least */
        fo__start_draw(e, e->restarts_done, x0);
        fo__start_place(e, x0, e->cfg.has_start_scale, e->cfg.start_scale, NULL);
    } else {
        fo__start_first(e, NULL); /* a failure leaves the box's centre */
    }
    e->has_mirror = 0;
    if (e->cfg.batch_size <= 5000)
        e->cfg.batch_size *= 2;
    /* the larger generation's buffers now, not in its asks (a failure here
     * only means they grow when first needed) */
    fo__engine_prepare(e, NULL);
    rep->events |= FO_EVENT_RESTART;
}
