/* lq.c - lq-CMA-ES's generation protocol; see lq.h. */
#include "opt/lq.h"
#include "opt/engine_internal.h"
#include "opt/mixing.h"
#include "opt/surrogate.h"
#include "opt/utility.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int enabled(const struct fo_engine *e) {
    return e->sur != NULL && e->cfg.opt.optimizer == FO_OPTIMIZER_CMA;
}

/* The model's coordinates: the base noise z the search distribution maps
 * to x (a density pass; the parameters do not change within a generation,
 * where the model is fitted and used). */
static void to_base(void *ctx, size_t n, const double *x, double *u) {
    struct fo_engine *e = ctx;
    const double *z = NULL;
    if (n <= e->sur->cap && fo_flow_log_prob(e->flow, n, x, e->lq_lp, NULL) == FO_OK)
        z = fo_flow_pass_values(e->flow, fo_flow_n_layers(e->flow));
    if (z)
        memcpy(u, z, n * e->D * sizeof(double));
    else
        memcpy(u, x, n * e->D * sizeof(double)); /* not reached for points inside */
}

enum fo_status fo__lq_create(struct fo_engine *e, struct fo_error *err) {
    if (e->cfg.opt.surrogate != FO_SURROGATE_LQ)
        return FO_OK;
    enum fo_status st = fo__surrogate_create(e->D, &e->sur, err);
    if (st != FO_OK)
        return st;
    e->lq_lp = malloc(e->sur->cap * sizeof(double));
    if (!e->lq_lp)
        return fo_error_set(err, FO_ENOMEM, "run", "out of memory for the surrogate");
    /* the distribution's coordinates suit the full model (affine-invariant,
     * better posed there); the diagonal one, all there is above
     * FO_SURROGATE_FULL_MAX_DIM, is exact for separable functions in x and
     * only there (z of a rotated ellipsoid at D = 40: 0 % success, x: 100 %) */
    if (e->D <= FO_SURROGATE_FULL_MAX_DIM) {
        e->sur->map = to_base;
        e->sur->map_ctx = e;
    }
    return FO_OK;
}

void fo__lq_destroy(struct fo_engine *e) {
    fo__surrogate_destroy(e->sur);
    free(e->lq_lp);
    e->sur = NULL;
    e->lq_lp = NULL;
}

static double fitness(const struct fo_engine *e, double value) {
    return e->cfg.direction == FO_MAXIMIZE ? value : -value;
}

void fo__lq_told(struct fo_engine *e, size_t i) {
    if (enabled(e))
        fo__surrogate_add(e->sur, e->xs + i * e->D, fitness(e, e->recs[i].value));
}

int fo__lq_reserve(struct fo_engine *e, size_t n) {
    if (n <= e->cap_pool)
        return 0;
    const size_t D = e->D;
    double **reals[] = {&e->pool_x, &e->pool_lp, &e->pool_f, &e->pool_tmp};
    const size_t per[] = {D, 1, 1, D + 2};
    for (size_t b = 0; b < 4; b++) {
        double *p = realloc(*reals[b], n * per[b] * sizeof(double));
        if (!p)
            return -1;
        *reals[b] = p;
    }
    size_t *o = realloc(e->pool_order, n * sizeof *o);
    if (!o)
        return -1;
    e->pool_order = o;
    e->cap_pool = n;
    return 0;
}

/* Candidates not yet released, best model fitness first (ties in drawing
 * order), moved through the scratch copy. */
static void rank_rest(struct fo_engine *e) {
    const size_t D = e->D, first = e->pool_next, m = e->pool_n - first;
    fo__surrogate_predict_many(e->sur, m, e->pool_x + first * D, e->pool_f + first);
    for (size_t i = 0; i < m; i++)
        e->pool_order[i] = first + i;
    fo__order_desc(e->pool_f, e->pool_order, m);
    double *t = e->pool_tmp;
    for (size_t i = 0; i < m; i++) {
        size_t j = e->pool_order[i];
        memcpy(t + i * (D + 2), e->pool_x + j * D, D * sizeof(double));
        t[i * (D + 2) + D] = e->pool_lp[j];
        t[i * (D + 2) + D + 1] = e->pool_f[j];
    }
    for (size_t i = 0; i < m; i++) {
        memcpy(e->pool_x + (first + i) * D, t + i * (D + 2), D * sizeof(double));
        e->pool_lp[first + i] = t[i * (D + 2) + D];
        e->pool_f[first + i] = t[i * (D + 2) + D + 1];
    }
}

/* Draw the generation's lambda candidates (those importance mixing did not
 * keep) and rank them, when the archive fits a model. Returns 1 when the
 * pool runs. */
static int start_pool(struct fo_engine *e) {
    const size_t L = e->cfg.batch_size - e->mix_kept;
    if (fo__surrogate_fit(e->sur) == FO_MODEL_NONE)
        return 0;
    if (fo__lq_reserve(e, L) != 0)
        return 0;
    /* the ask's noise buffer holds a generation (fo__engine_prepare) */
    if (fo__mix_sample(e, L, e->ask_z, e->pool_x, e->pool_lp, NULL) != FO_OK)
        return 0;
    e->pool_n = L;
    e->pool_next = 0;
    double first = 0.02 * (double)L, fill = 4.0 - (double)e->sur->n;
    e->pool_target = (size_t)(1.0 + fmax(first, fill));
    e->pool_target = e->pool_target < L ? e->pool_target : L;
    rank_rest(e);
    e->pool_on = 1;
    return 1;
}

size_t fo__lq_ask(struct fo_engine *e, size_t n, struct fo_sample *samples, double *x) {
    if (!enabled(e))
        return 0;
    if (!e->pool_on) {
        size_t in_gen = 0; /* only a generation's first ask (mixing's kept aside) */
        for (size_t i = 0; i < e->n_recs; i++)
            in_gen +=
                e->recs[i].generation == e->generation && e->recs[i].kind == FO_REC_FLOW;
        if (in_gen > e->mix_kept)
            return 0;
        if (!start_pool(e))
            return 0;
    }
    size_t m = 0;
    for (; m < n && e->pool_next < e->pool_n; m++, e->pool_next++) {
        const double *px = e->pool_x + e->pool_next * e->D;
        fo__engine_add_record(e, px, e->pool_lp[e->pool_next], &samples[m]);
        fo_flow_wrap(e->flow, 1, px, x + m * e->D);
    }
    return m;
}

int fo__lq_complete(struct fo_engine *e) {
    if (!e->pool_on)
        return -1;
    const size_t fresh = e->resolved_in_gen - e->mix_kept;
    if (fresh < e->pool_target || fresh < e->pool_next)
        return 0; /* released samples still pending */
    if (e->pool_next >= e->pool_n)
        return 1;
    /* tau of the model that ranked them, before it learns from them: the
     * points told since its fit are held out (in-sample, a diagonal model
     * of the rotated ellipsoid at D = 40 passed and misled: 33 % success) */
    double k = fmax(15.0, fmin(1.2 * (double)fresh, 0.75 * (double)e->pool_n));
    e->lq_tau =
        e->sur->kind != FO_MODEL_NONE ? fo__surrogate_tau(e->sur, (size_t)k) : 0.0;
    double trust = e->D <= FO_SURROGATE_FULL_MAX_DIM ? FO_LQ_TAU : FO_LQ_TAU_DIAGONAL;
    if (e->lq_tau >= trust)
        return 1;
    if (fo__surrogate_fit(e->sur) != FO_MODEL_NONE)
        rank_rest(e);
    size_t more = e->pool_target / 2 ? e->pool_target / 2 : 1;
    e->pool_target =
        e->pool_target + more < e->pool_n ? e->pool_target + more : e->pool_n;
    return 0;
}

size_t fo__lq_append(struct fo_engine *e, size_t k) {
    if (!e->pool_on || e->pool_next >= e->pool_n)
        return 0;
    const size_t D = e->D;
    /* the model agrees with the truth at the best evaluated point */
    double best = -INFINITY, offset = 0.0;
    for (size_t i = 0; i < e->n_recs; i++) {
        const struct fo_rec *r = &e->recs[i];
        if (r->status != FO_SAMPLE_TOLD || r->generation != e->generation ||
            r->kind != FO_REC_FLOW)
            continue;
        double f = fitness(e, r->value);
        if (f > best) {
            best = f;
            offset = f - fo__surrogate_predict(e->sur, e->xs + i * D);
        }
    }
    if (!isfinite(best))
        return 0;
    size_t m = 0;
    for (size_t j = e->pool_next; j < e->pool_n; j++, m++) {
        memcpy(e->u_x + (k + m) * D, e->pool_x + j * D, D * sizeof(double));
        e->u_fit[k + m] = e->pool_f[j] + offset;
        e->u_lb[k + m] = e->pool_lp[j];
        e->u_cur[k + m] = 1;
    }
    e->lq_modelled += m;
    return m;
}

void fo__lq_end(struct fo_engine *e, int restarted) {
    e->pool_on = 0;
    e->pool_n = e->pool_next = e->pool_target = 0;
    if (restarted && e->sur)
        fo__surrogate_clear(e->sur);
}

size_t fo__lq_wanted(const struct fo_engine *e, size_t asked_in_gen) {
    if (e->pool_on)
        return e->pool_target > e->pool_next ? e->pool_target - e->pool_next : 0;
    if (enabled(e) && asked_in_gen == e->mix_kept && e->sur->n > 0)
        return 1; /* the pool starts at the next ask and wants its first few */
    return e->cfg.batch_size > asked_in_gen ? e->cfg.batch_size - asked_in_gen : 0;
}
