/* recommend.c - the recommended point and its honest estimate; see
 * recommend.h. */
#include "opt/recommend.h"
#include "opt/engine_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum fo_status fo__recommend_create(struct fo_engine *e, struct fo_error *err) {
    struct fo_recommender *r = &e->rec;
    r->cur.x = calloc(e->D, sizeof(double));
    r->done.x = calloc(e->D, sizeof(double));
    r->zero = calloc(e->D, sizeof(double));
    r->centre = calloc(e->D, sizeof(double));
    if (!r->cur.x || !r->done.x || !r->zero || !r->centre)
        return fo_error_set(err, FO_ENOMEM, "run", "out of memory for the recommender");
    return FO_OK;
}

void fo__recommend_destroy(struct fo_engine *e) {
    struct fo_recommender *r = &e->rec;
    free(r->cur.x);
    free(r->done.x);
    free(r->zero);
    free(r->centre);
    memset(r, 0, sizeof *r);
}

int fo__recommend_centre(struct fo_engine *e) {
    double lp;
    if (fo__niche_on(e))
        return fo__niche_centre(e, e->rec.centre);
    if (fo_flow_sample_from(e->flow, 1, e->rec.zero, e->rec.centre, &lp, NULL) != FO_OK)
        return -1;
    fo_flow_wrap(e->flow, 1, e->rec.centre, e->rec.centre);
    return 0;
}

/* A pool's point: the refiner's incumbent while it runs (its coordinate
 * steps go further than the flow's centre), else the centre. */
static void begin_pool(struct fo_engine *e) {
    struct fo_pool *p = &e->rec.cur;
    if (fo__refine_on(e) && e->ref.sweeps == 0)
        return; /* the refiner's first incumbent is the one worth measuring */
    if (fo__refine_on(e))
        memcpy(p->x, e->ref.x, e->D * sizeof(double));
    else if (fo__recommend_centre(e) == 0)
        memcpy(p->x, e->rec.centre, e->D * sizeof(double));
    else
        return;
    p->sum = p->sumsq = 0.0;
    p->n = p->generations = 0;
    e->rec.has_cur = 1;
}

size_t fo__recommend_wanted(const struct fo_engine *e) {
    const uint64_t r = e->cfg.opt.reevaluate;
    if (!r || e->rec.asked_gen != e->rec.round + 1)
        return (size_t)r;
    return (size_t)(e->rec.asked < r ? r - e->rec.asked : 0);
}

size_t fo__recommend_ask(struct fo_engine *e, size_t n, struct fo_sample *samples,
                         double *x) {
    struct fo_recommender *r = &e->rec;
    if (!e->cfg.opt.reevaluate)
        return 0;
    if (r->asked_gen != r->round + 1) {
        r->asked_gen = r->round + 1;
        r->asked = 0;
    }
    if (!r->has_cur && r->round > 0) /* the first centre is only the start */
        begin_pool(e);
    size_t m = 0;
    for (; r->has_cur && m < n && r->asked < e->cfg.opt.reevaluate; m++, r->asked++) {
        double *xm = x + m * e->D;
        memcpy(xm, r->cur.x, e->D * sizeof(double));
        fo__engine_add_record(e, xm, NAN, &samples[m]);
        e->recs[e->n_recs - 1].kind = FO_REC_REEVAL;
        e->recs[e->n_recs - 1].lb = -INFINITY; /* not a draw of the flow */
        samples[m].log_prob = -INFINITY;
    }
    return m;
}

void fo__recommend_resolved(struct fo_engine *e, size_t i) {
    struct fo_recommender *r = &e->rec;
    const struct fo_rec *rec = &e->recs[i];
    const double *xi = e->xs + i * e->D;
    struct fo_pool *p =
        r->has_cur && !memcmp(xi, r->cur.x, e->D * sizeof(double))     ? &r->cur
        : r->has_done && !memcmp(xi, r->done.x, e->D * sizeof(double)) ? &r->done
                                                                       : NULL;
    if (p && rec->status == FO_SAMPLE_TOLD) {
        p->sum += rec->value;
        p->sumsq += rec->value * rec->value;
        p->n++;
    }
    fo__engine_forget(e, i);
}

static void moments(const struct fo_pool *p, double *mean, double *var_mean) {
    double n = (double)p->n;
    *mean = p->sum / n;
    *var_mean = fmax(0.0, (p->sumsq - n * *mean * *mean) / (n - 1.0)) / n;
}

/* The complete pool cur replaces the recommended one only when it is
 * better (by FO_RECOMMEND_MARGIN standard errors of the difference): a
 * restart's fresh, broad distribution must not take the answer back. */
static int better_pool(const struct fo_engine *e) {
    if (!e->rec.has_done)
        return 1;
    double mc, vc, md, vd;
    moments(&e->rec.cur, &mc, &vc);
    moments(&e->rec.done, &md, &vd);
    double gain = e->cfg.direction == FO_MAXIMIZE ? mc - md : md - mc;
    return gain > FO_RECOMMEND_MARGIN * sqrt(vc + vd);
}

void fo__recommend_after_update(struct fo_engine *e) {
    struct fo_recommender *r = &e->rec;
    r->round++;
    if (!e->cfg.opt.reevaluate || !r->has_cur)
        return;
    if (++r->cur.generations < FO_RECOMMEND_POOL || r->cur.n < 2)
        return;
    if (better_pool(e)) {
        struct fo_pool t = r->done; /* swap: the buffers stay owned */
        r->done = r->cur;
        r->cur = t;
        r->has_done = 1;
    }
    r->has_cur = 0;
    begin_pool(e);
}

static void estimate(const struct fo_pool *p, struct fo_recommendation *out) {
    double n = (double)p->n, mean = p->sum / n;
    double var = p->n > 1 ? fmax(0.0, (p->sumsq - n * mean * mean) / (n - 1.0)) : NAN;
    out->kind = FO_RECOMMEND_REMEASURED;
    out->value = mean;
    out->std_error = sqrt(var / n);
    out->evaluations = p->n;
}

enum fo_status fo_engine_recommend(struct fo_engine *e, double *x,
                                   struct fo_recommendation *out, struct fo_error *err) {
    struct fo_recommender *r = &e->rec;
    if (r->has_done) {
        memcpy(x, r->done.x, e->D * sizeof(double));
        estimate(&r->done, out);
        return FO_OK;
    }
    if (r->has_cur && r->cur.n >= 2) {
        memcpy(x, r->cur.x, e->D * sizeof(double));
        estimate(&r->cur, out);
        return FO_OK;
    }
    if (fo__recommend_centre(e) != 0)
        return fo_error_set(err, FO_ENUMERIC, "recommended", "the flow has no centre");
    memcpy(x, r->centre, e->D * sizeof(double));
    out->kind = FO_RECOMMEND_CENTRE;
    out->value = out->std_error = NAN;
    out->evaluations = 0;
    return FO_OK;
}
