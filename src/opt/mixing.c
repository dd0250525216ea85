/* mixing.c - importance mixing of the previous generation; see mixing.h. */
#include "opt/mixing.h"
#include "opt/engine_internal.h"

#include <math.h>
#include <string.h>

static int mixing(const struct fo_engine *e) {
    return e->cfg.opt.mixing > 0.0;
}

void fo__mix_remember(struct fo_engine *e) {
    if (!mixing(e))
        return;
    memcpy(e->mix_params, fo_flow_params(e->flow),
           fo_flow_n_params(e->flow) * sizeof(double));
    e->mix_ready = 1;
}

/* log p_old of n points into lp: the remembered parameters stand in for
 * the current ones (e->dir, free outside an update, holds those). */
static enum fo_status old_log_prob(struct fo_engine *e, size_t n, const double *x,
                                   double *lp, struct fo_error *err) {
    const size_t P = fo_flow_n_params(e->flow);
    double *params = fo_flow_params(e->flow);
    memcpy(e->dir, params, P * sizeof(double));
    memcpy(params, e->mix_params, P * sizeof(double));
    enum fo_status st = fo_flow_log_prob(e->flow, n, x, lp, err);
    memcpy(params, e->dir, P * sizeof(double));
    return st;
}

size_t fo__mix_begin(struct fo_engine *e) {
    e->mix_kept = e->mix_left = 0;
    /* after a restart the landscape has shown more than one basin, and the
     * rule's implicit elitism (old samples near the new mean are the ones
     * kept) would narrow the larger batch's search: styblinski_tang fell
     * from 100 % to 65 % success mixing throughout (alpha 0.3, 20 seeds) */
    if (!mixing(e) || !e->mix_ready || e->generation == 0 || e->restarts_done > 0)
        return 0;
    const size_t D = e->D, B = e->cfg.batch_size;
    const uint64_t old = e->generation - 1;
    size_t n = 0;
    for (size_t i = 0; i < e->n_recs; i++)
        if (e->recs[i].status == FO_SAMPLE_TOLD && e->recs[i].generation == old &&
            e->recs[i].kind == FO_REC_FLOW)
            memcpy(e->u_x + n++ * D, e->xs + i * D, D * sizeof(double));
    /* the update's scratch holds every record (fo__engine_update) */
    if (n == 0 || fo_flow_log_prob(e->flow, n, e->u_x, e->u_lp, NULL) != FO_OK)
        n = 0;
    size_t k = 0, j = 0;
    for (size_t i = 0; i < e->n_recs && j < n; i++) {
        struct fo_rec *r = &e->recs[i];
        if (r->status != FO_SAMPLE_TOLD || r->generation != old || r->kind != FO_REC_FLOW)
            continue;
        double lp_new = e->u_lp[j++];
        double keep = (1.0 - e->cfg.opt.mixing) * exp(lp_new - r->lb);
        /* a generation keeps at least one fresh evaluation */
        if (k + 1 < B && isfinite(lp_new) && fo_rng_uniform(&e->rng) < keep) {
            r->generation = e->generation;
            r->lb = lp_new;
            k++;
        }
    }
    e->mix_kept = k;
    e->mix_left = B - k;
    e->mix_reused += k;
    return k;
}

/* Keep the rows of x/lp (n) the fresh-draw rule accepts, in order, while
 * the generation's fresh part lasts; lp_old: their old log-densities. */
static size_t accept(struct fo_engine *e, size_t n, double *x, double *lp,
                     const double *lp_old) {
    const size_t D = e->D;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (e->mix_left) {
            double a = fmax(e->cfg.opt.mixing, 1.0 - exp(lp_old[i] - lp[i]));
            if (!(fo_rng_uniform(&e->rng) < a))
                continue;
            e->mix_left--;
        }
        if (k != i) {
            memmove(x + k * D, x + i * D, D * sizeof(double));
            lp[k] = lp[i];
        }
        k++;
    }
    return k;
}

enum fo_status fo__mix_sample(struct fo_engine *e, size_t n, double *z, double *x,
                              double *lp, struct fo_error *err) {
    const size_t D = e->D;
    size_t filled = 0;
    while (filled < n) {
        const size_t r = n - filled;
        double *xr = x + filled * D, *lpr = lp + filled;
        fo__engine_draw_noise(e, r, z);
        enum fo_status st = fo_flow_sample_from(e->flow, r, z, xr, lpr, err);
        if (st != FO_OK)
            return st;
        if (!mixing(e) || !e->mix_left) {
            filled = n;
            break;
        }
        if ((st = old_log_prob(e, r, xr, e->mix_lp, err)) != FO_OK)
            return st;
        filled += accept(e, r, xr, lpr, e->mix_lp);
    }
    return FO_OK;
}
