/*
 * snapshot_parts.c - the snapshot sections of the optional modules, one
 * put/get pair each, in the table's order after the samples (snapshot.c
 * writes the rest): the surrogate (format 10), importance mixing (11), the
 * refiner (12), the recommender (13), the modes (14), the niching
 * mixture (15), the lost samples (16), the cost told (18), the observations (19), the
 * reference (20).
 */
#include "opt/snapshot_io.h"
#include "opt/engine_internal.h"
#include "opt/lq.h"
#include "opt/surrogate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The surrogate's archive (oldest first) and the generation's candidates
 * in their order; the model is refitted from the archive when used. */
static void put_surrogate(struct writer *w, const struct fo_engine *e) {
    const struct fo_surrogate *s = e->sur;
    const size_t D = e->D;
    put_u64(w, s ? s->n : 0);
    for (size_t i = 0; s && i < s->n; i++) {
        size_t k = (s->head + s->cap - s->n + i) % s->cap;
        put_f64s(w, s->x + k * D, D);
        put_f64(w, s->f[k]);
    }
    /* the model as last fitted: tau is measured with it before a refit */
    put_u64(w, s ? (uint64_t)s->kind : 0);
    put_u64(w, s ? s->df : 0);
    if (s) {
        put_f64s(w, s->beta, s->df);
        put_f64s(w, s->centre, D);
        put_f64s(w, s->scale, D);
    }
    const uint64_t pool[] = {(uint64_t)e->pool_on, e->pool_n, e->pool_next,
                             e->pool_target, e->lq_modelled};
    for (size_t i = 0; i < sizeof pool / sizeof pool[0]; i++)
        put_u64(w, pool[i]);
    put_f64(w, e->lq_tau);
    for (size_t j = 0; j < e->pool_n; j++) {
        put_f64s(w, e->pool_x + j * D, D);
        put_f64(w, e->pool_lp[j]);
        put_f64(w, e->pool_f[j]);
    }
}

static enum fo_status get_surrogate(struct reader *r, struct fo_engine *e,
                                    struct fo_error *err) {
    const size_t D = e->D;
    uint64_t n = get_u64(r);
    struct fo_surrogate *s = e->sur;
    if (r->bad || (s ? n > s->cap : n > 0))
        return fo_error_set(err, FO_ECORRUPT, "snapshot", "bad surrogate archive");
    double *x = malloc(D * sizeof *x);
    if (!x)
        return fo_error_set(err, FO_ENOMEM, "snapshot", "out of memory");
    for (size_t i = 0; i < n && !r->bad; i++) {
        get_f64s(r, x, D);
        fo__surrogate_add(s, x, get_f64(r));
    }
    free(x);
    uint64_t kind = get_u64(r), df = get_u64(r);
    if (r->bad || kind > FO_MODEL_FULL || (s ? df > s->cap / 2 : df > 0))
        return fo_error_set(err, FO_ECORRUPT, "snapshot", "bad surrogate model");
    if (s) {
        s->kind = (enum fo_model_kind)kind;
        s->df = (size_t)df;
        get_f64s(r, s->beta, s->df);
        get_f64s(r, s->centre, D);
        get_f64s(r, s->scale, D);
    }
    e->pool_on = (int)get_u64(r);
    uint64_t pn = get_u64(r), next = get_u64(r), target = get_u64(r);
    e->lq_modelled = get_u64(r);
    e->lq_tau = get_f64(r);
    if (r->bad || e->pool_on > 1 || next > pn || target > pn ||
        pn > (r->len - r->pos) / (8 * (D + 2)) || (pn && !s))
        return fo_error_set(err, FO_ECORRUPT, "snapshot", "bad surrogate candidates");
    if (fo__lq_reserve(e, (size_t)pn) != 0)
        return fo_error_set(err, FO_ENOMEM, "snapshot", "out of memory");
    e->pool_n = pn;
    e->pool_next = next;
    e->pool_target = target;
    for (size_t j = 0; j < pn; j++) {
        get_f64s(r, e->pool_x + j * D, D);
        e->pool_lp[j] = get_f64(r);
        e->pool_f[j] = get_f64(r);
    }
    return r->bad ? fo_error_set(err, FO_ECORRUPT, "snapshot", "truncated surrogate")
                  : FO_OK;
}

static void put_mixing(struct writer *w, const struct fo_engine *e) {
    const size_t P = fo_flow_n_params(e->flow);
    const uint64_t mix[] = {(uint64_t)e->mix_ready, e->mix_kept, e->mix_left,
                            e->mix_reused};
    for (size_t i = 0; i < sizeof mix / sizeof mix[0]; i++)
        put_u64(w, mix[i]);
    if (e->mix_ready)
        put_f64s(w, e->mix_params, P);
}

static void put_refine(struct writer *w, const struct fo_engine *e) {
    const size_t D = e->D;
    const struct fo_refine *f = &e->ref;
    const uint64_t ref[] = {(uint64_t)f->stage,
                            f->j,
                            f->done,
                            (uint64_t)f->handed,
                            (uint64_t)f->resolved,
                            (uint64_t)f->n_told[0],
                            (uint64_t)f->n_told[1],
                            f->steps,
                            f->sweeps,
                            f->starts};
    for (size_t i = 0; i < sizeof ref / sizeof ref[0]; i++)
        put_u64(w, ref[i]);
    for (int i = 0; i < f->handed; i++)
        put_u64(w, f->ids[i]);
    put_f64(w, f->f);
    put_f64(w, f->f_sweep);
    put_f64s(w, f->sum, 2);
    put_f64(w, f->se_sum);
    put_u64(w, (uint64_t)f->stalled);
    put_f64(w, f->stall_f);
    put_u64(w, (uint64_t)f->noisy);
    put_u64(w, (uint64_t)f->remeasure);
    if (f->x)
        put_f64s(w, f->x, D);
}

static void put_recommender(struct writer *w, const struct fo_engine *e) {
    const size_t D = e->D;
    const struct fo_recommender *rc = &e->rec;
    const struct fo_pool *pools[2] = {&rc->cur, &rc->done};
    const int has[2] = {rc->has_cur, rc->has_done};
    put_u64(w, rc->round);
    put_u64(w, rc->asked_gen);
    put_u64(w, rc->asked);
    for (int k = 0; k < 2; k++) {
        put_u64(w, (uint64_t)has[k]);
        put_u64(w, pools[k]->n);
        put_u64(w, pools[k]->generations);
        put_f64(w, pools[k]->sum);
        put_f64(w, pools[k]->sumsq);
        put_f64s(w, pools[k]->x, D);
    }
}

static void put_modes(struct writer *w, const struct fo_engine *e) {
    const size_t D = e->D;
    const struct fo_mode_archive *m = &e->modes;
    put_u64(w, m->n);
    put_u64(w, (uint64_t)m->has_best);
    put_f64(w, m->phase_best);
    put_u64(w, m->phase_told0);
    for (size_t k = 0; k < m->n; k++) {
        put_f64s(w, m->x + k * D, D);
        put_f64(w, m->best[k]);
        put_f64(w, m->spread[k]);
        put_u64(w, m->evaluations[k]);
    }
}

static enum fo_status get_modes(struct reader *r, struct fo_engine *e,
                                struct fo_error *err) {
    struct fo_mode_archive *m = &e->modes;
    uint64_t n = get_u64(r), has = get_u64(r);
    if (r->bad || n > FO_MODES_MAX || has > 1)
        return fo_error_set(err, FO_ECORRUPT, "snapshot", "bad modes");
    m->n = (size_t)n;
    m->has_best = (int)has;
    m->phase_best = get_f64(r);
    m->phase_told0 = get_u64(r);
    for (size_t k = 0; k < m->n; k++) {
        get_f64s(r, m->x + k * e->D, e->D);
        m->best[k] = get_f64(r);
        m->spread[k] = get_f64(r);
        m->evaluations[k] = get_u64(r);
    }
    return r->bad ? fo_error_set(err, FO_ECORRUPT, "snapshot", "truncated modes") : FO_OK;
}

static enum fo_status get_recommender(struct reader *r, struct fo_engine *e,
                                      struct fo_error *err) {
    struct fo_recommender *rc = &e->rec;
    struct fo_pool *pools[2] = {&rc->cur, &rc->done};
    int *has[2] = {&rc->has_cur, &rc->has_done};
    rc->round = get_u64(r);
    rc->asked_gen = get_u64(r);
    rc->asked = get_u64(r);
    for (int k = 0; k < 2; k++) {
        uint64_t h = get_u64(r);
        r->bad |= h > 1;
        *has[k] = h == 1;
        pools[k]->n = get_u64(r);
        pools[k]->generations = get_u64(r);
        pools[k]->sum = get_f64(r);
        pools[k]->sumsq = get_f64(r);
        get_f64s(r, pools[k]->x, e->D);
    }
    return r->bad ? fo_error_set(err, FO_ECORRUPT, "snapshot", "bad recommender state")
                  : FO_OK;
}

static enum fo_status get_refine(struct reader *r, struct fo_engine *e,
                                 struct fo_error *err) {
    struct fo_refine *f = &e->ref;
    uint64_t v[10];
    for (size_t i = 0; i < 10; i++)
        v[i] = get_u64(r);
    const uint64_t most = 2 * (uint64_t)e->cfg.structure_repeats;
    if (r->bad || v[3] > most || v[4] > v[3] || v[5] > v[4] || v[6] > v[4])
        return fo_error_set(err, FO_ECORRUPT, "snapshot", "bad refiner state");
    f->stage = (int)v[0];
    f->j = (size_t)v[1];
    f->done = (size_t)v[2];
    f->handed = (int)v[3];
    f->resolved = (int)v[4];
    f->n_told[0] = (int)v[5];
    f->n_told[1] = (int)v[6];
    f->steps = v[7];
    f->sweeps = v[8];
    f->starts = v[9];
    for (int i = 0; i < f->handed; i++)
        f->ids[i] = get_u64(r);
    f->f = get_f64(r);
    f->f_sweep = get_f64(r);
    get_f64s(r, f->sum, 2);
    f->se_sum = get_f64(r);
    uint64_t stalled = get_u64(r);
    f->stalled = stalled == 1;
    f->stall_f = get_f64(r);
    uint64_t noisy = get_u64(r), remeasure = get_u64(r);
    f->noisy = noisy == 1;
    f->remeasure = remeasure == 1;
    r->bad |= stalled > 1 || noisy > 1 || remeasure > 1;
    if (f->x)
        get_f64s(r, f->x, e->D);
    if (r->bad || v[0] > FO_REFINE_BROKEN || v[1] >= e->D || v[2] > e->D ||
        (!f->x && v[0] != FO_REFINE_IDLE))
        return fo_error_set(err, FO_ECORRUPT, "snapshot", "bad refiner state");
    return FO_OK;
}

static enum fo_status get_mixing(struct reader *r, struct fo_engine *e,
                                 struct fo_error *err) {
    const size_t P = fo_flow_n_params(e->flow);
    uint64_t ready = get_u64(r), kept = get_u64(r), left = get_u64(r);
    e->mix_reused = get_u64(r);
    if (r->bad || ready > 1 || kept > e->cfg.batch_size || left > e->cfg.batch_size)
        return fo_error_set(err, FO_ECORRUPT, "snapshot", "bad mixing state");
    e->mix_ready = (int)ready;
    e->mix_kept = (size_t)kept;
    e->mix_left = (size_t)left;
    if (ready)
        get_f64s(r, e->mix_params, P);
    return r->bad ? fo_error_set(err, FO_ECORRUPT, "snapshot", "truncated mixing state")
                  : FO_OK;
}

/* The niching mixture: the round's seeds, the queue, every component held
 * with its current generation. */
static void put_niche(struct writer *w, const struct fo_engine *e) {
    const struct fo_niche *m = &e->niche;
    const size_t D = e->D;
    const uint64_t head[] = {(uint64_t)m->phase, m->n_seeds,  m->seeds_resolved,
                             m->rounds,          m->n_queue,  m->turn,
                             m->merged,          m->converged};
    for (size_t i = 0; i < sizeof head / sizeof head[0]; i++)
        put_u64(w, head[i]);
    if (m->phase == FO_NICHE_OFF)
        return;
    put_f64(w, m->tolfun);
    for (size_t i = 0; i < m->n_seeds; i++) {
        put_f64s(w, m->seed_y + i * D, D);
        put_f64(w, m->seed_cost[i]);
        put_u64(w, m->seed_id[i]);
    }
    /* the strata of the seeds still to be drawn (none before the first ask) */
    for (size_t i = m->phase == FO_NICHE_SEEDING && m->rounds ? m->n_seeds
                                                              : m->seeds_want;
         i < m->seeds_want; i++)
        for (size_t d = 0; d < D; d++)
            put_u64(w, m->strata[i * D + d]);
    for (size_t q = 0; q < m->n_queue; q++) {
        put_f64s(w, m->queue_y + q * D, D);
        put_f64(w, m->queue_sigma[q]);
    }
    for (size_t k = 0; k < m->slots; k++) {
        const struct fo_niche_comp *c = &m->comp[k];
        put_u64(w, (uint64_t)c->state);
        if (c->state == FO_COMP_FREE)
            continue;
        const uint64_t ints[] = {c->gen,
                                 c->asked,
                                 c->resolved,
                                 c->evaluations,
                                 c->flat,
                                 c->stale,
                                 (uint64_t)(c->hv_with + 1),
                                 c->hv_asked,
                                 c->hv_resolved,
                                 c->hv_distinct};
        for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
            put_u64(w, ints[i]);
        put_f64(w, c->sigma);
        put_f64(w, c->best);
        put_f64(w, c->hv_cost);
        const double *rows[] = {m->mu, m->ps, m->pc, m->best_x, m->seed0};
        for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
            put_f64s(w, rows[i] + k * D, D);
        put_f64s(w, m->L + k * D * D, D * D);
        put_f64s(w, m->z + k * m->cap_gen * D, c->asked * D);
        put_f64s(w, m->cost + k * m->cap_gen, c->asked);
        for (size_t s = 0; s < c->asked; s++)
            put_u64(w, m->ids[k * m->cap_gen + s]);
        for (size_t p = 0; p < c->hv_asked; p++)
            put_u64(w, m->hv_ids[k][p]);
    }
}

static enum fo_status get_comp(struct reader *r, struct fo_engine *e, size_t k) {
    struct fo_niche *m = &e->niche;
    struct fo_niche_comp *c = &m->comp[k];
    const size_t D = e->D;
    uint64_t v[10];
    for (size_t i = 0; i < 10; i++)
        v[i] = get_u64(r);
    if (r->bad || v[1] > m->cap_gen || v[2] > v[1] || v[6] > m->slots ||
        v[7] > FO_NICHE_HV_POINTS || v[8] > v[7] || v[6] == k + 1)
        return FO_ECORRUPT;
    c->gen = v[0];
    c->asked = (size_t)v[1];
    c->resolved = (size_t)v[2];
    c->evaluations = v[3];
    c->flat = v[4];
    c->stale = v[5];
    c->hv_with = (int)v[6] - 1;
    c->hv_asked = (size_t)v[7];
    c->hv_resolved = (size_t)v[8];
    c->hv_distinct = v[9];
    c->sigma = get_f64(r);
    c->best = get_f64(r);
    c->hv_cost = get_f64(r);
    double *rows[] = {m->mu, m->ps, m->pc, m->best_x, m->seed0};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        get_f64s(r, rows[i] + k * D, D);
    get_f64s(r, m->L + k * D * D, D * D);
    get_f64s(r, m->z + k * m->cap_gen * D, c->asked * D);
    get_f64s(r, m->cost + k * m->cap_gen, c->asked);
    for (size_t s = 0; s < c->asked; s++)
        m->ids[k * m->cap_gen + s] = get_u64(r);
    for (size_t p = 0; p < c->hv_asked; p++)
        m->hv_ids[k][p] = get_u64(r);
    for (size_t d = 0; d < D; d++)
        r->bad |= !(m->L[k * D * D + d * D + d] > 0.0);
    return r->bad || !(c->sigma > 0.0) ? FO_ECORRUPT : FO_OK;
}

static enum fo_status get_niche(struct reader *r, struct fo_engine *e,
                                struct fo_error *err) {
    struct fo_niche *m = &e->niche;
    const size_t D = e->D;
    uint64_t v[8];
    for (size_t i = 0; i < 8; i++)
        v[i] = get_u64(r);
    if (r->bad || v[0] > FO_NICHE_RUNNING || (v[0] != FO_NICHE_OFF) != fo__niche_on(e) ||
        v[1] > m->seeds_want || v[2] > v[1] || v[4] > m->slots)
        return fo_error_set(err, FO_ECORRUPT, "snapshot", "bad niching state");
    if (v[0] == FO_NICHE_OFF)
        return FO_OK;
    m->phase = (int)v[0];
    m->n_seeds = (size_t)v[1];
    m->seeds_resolved = (size_t)v[2];
    m->rounds = v[3];
    m->n_queue = (size_t)v[4];
    m->turn = (size_t)(v[5] % m->slots);
    m->merged = v[6];
    m->converged = v[7];
    m->tolfun = get_f64(r);
    for (size_t i = 0; i < m->n_seeds; i++) {
        get_f64s(r, m->seed_y + i * D, D);
        m->seed_cost[i] = get_f64(r);
        m->seed_id[i] = get_u64(r);
    }
    /* the strata of the seeds still to be drawn (none before the first ask) */
    for (size_t i = m->phase == FO_NICHE_SEEDING && m->rounds ? m->n_seeds
                                                              : m->seeds_want;
         i < m->seeds_want; i++)
        for (size_t d = 0; d < D; d++) {
            uint64_t s = get_u64(r);
            r->bad |= s >= m->seeds_want;
            m->strata[i * D + d] = (uint32_t)s;
        }
    for (size_t q = 0; q < m->n_queue; q++) {
        get_f64s(r, m->queue_y + q * D, D);
        m->queue_sigma[q] = get_f64(r);
    }
    for (size_t k = 0; k < m->slots && !r->bad; k++) {
        uint64_t state = get_u64(r);
        if (state > FO_COMP_CONVERGED)
            r->bad = 1;
        m->comp[k].state = (int)state;
        m->comp[k].hv_with = -1;
        if (!r->bad && state != FO_COMP_FREE && get_comp(r, e, k) != FO_OK)
            r->bad = 1;
    }
    return r->bad ? fo_error_set(err, FO_ECORRUPT, "snapshot", "bad niching state")
                  : FO_OK;
}

/* Samples told lost: the count, and each record handed out under another
 * id than its own (or waiting for the next ask: 0), with the id it was
 * lost under. */
/* The cost told so far. */
static void put_cost(struct writer *w, const struct fo_engine *e) {
    put_f64(w, e->cost);
}

static enum fo_status get_cost(struct reader *r, struct fo_engine *e,
                               struct fo_error *err) {
    e->cost = get_f64(r);
    return r->bad || !(e->cost >= 0.0 && isfinite(e->cost))
               ? fo_error_set(err, FO_ECORRUPT, "snapshot", "bad cost")
               : FO_OK;
}

/* The reference's schedule and its last value not yet in the history. */
static void put_drift(struct writer *w, const struct fo_engine *e) {
    put_u64(w, e->drift.due);
    put_u64(w, e->drift.pending);
    put_f64(w, e->drift.last);
    put_u64(w, e->drift.measured);
}

static enum fo_status get_drift(struct reader *r, struct fo_engine *e,
                                struct fo_error *err) {
    e->drift.due = get_u64(r);
    e->drift.pending = get_u64(r);
    e->drift.last = get_f64(r);
    e->drift.measured = get_u64(r);
    int bad = r->bad || e->drift.pending >= e->next_id ||
              (e->drift.pending && fo__engine_find(e, e->drift.pending) < 0);
    return bad ? fo_error_set(err, FO_ECORRUPT, "snapshot", "bad reference state")
               : FO_OK;
}

/* Values observed at points the run did not hand out, so far. */
static void put_observed(struct writer *w, const struct fo_engine *e) {
    put_u64(w, e->observed);
}

static enum fo_status get_observed(struct reader *r, struct fo_engine *e,
                                   struct fo_error *err) {
    e->observed = get_u64(r);
    return r->bad ? fo_error_set(err, FO_ECORRUPT, "snapshot", "bad observations")
                  : FO_OK;
}

static void put_lost(struct writer *w, const struct fo_engine *e) {
    put_u64(w, e->lost);
    put_u64(w, e->n_rekeyed);
    for (size_t i = 0; i < e->n_recs; i++) {
        const struct fo_rec *rec = &e->recs[i];
        if (rec->cur_id == rec->id)
            continue;
        put_u64(w, i);
        put_u64(w, rec->cur_id);
        put_u64(w, rec->lost_id);
    }
}

static enum fo_status get_lost(struct reader *r, struct fo_engine *e,
                               struct fo_error *err) {
    e->lost = get_u64(r);
    uint64_t n = get_u64(r), prev = 0;
    if (r->bad || n > e->n_recs)
        return fo_error_set(err, FO_ECORRUPT, "snapshot", "bad lost samples");
    for (uint64_t k = 0; k < n && !r->bad; k++) {
        uint64_t i = get_u64(r), cur = get_u64(r), lost = get_u64(r);
        if (r->bad || i >= e->n_recs || (k && i <= prev) || cur == e->recs[i].id ||
            cur >= e->next_id || lost == 0 || lost >= e->next_id) {
            r->bad = 1;
            break;
        }
        e->recs[i].cur_id = cur;
        e->recs[i].lost_id = lost;
        prev = i;
    }
    e->n_rekeyed = (size_t)n;
    return r->bad ? fo_error_set(err, FO_ECORRUPT, "snapshot", "bad lost samples")
                  : FO_OK;
}

struct part {
    unsigned since; /* the first format that carries it */
    void (*put)(struct writer *w, const struct fo_engine *e);
    enum fo_status (*get)(struct reader *r, struct fo_engine *e, struct fo_error *err);
};

static const struct part parts[] = {
    {10, put_surrogate, get_surrogate}, {11, put_mixing, get_mixing},
    {12, put_refine, get_refine},       {13, put_recommender, get_recommender},
    {14, put_modes, get_modes},         {15, put_niche, get_niche},
    {16, put_lost, get_lost},           {18, put_cost, get_cost},
    {19, put_observed, get_observed},   {20, put_drift, get_drift},
};

void fo__snap_put_parts(struct writer *w, const struct fo_engine *e) {
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
        parts[i].put(w, e);
}

enum fo_status fo__snap_get_parts(struct reader *r, struct fo_engine *e,
                                  struct fo_error *err) {
    enum fo_status st = FO_OK;
    for (size_t i = 0; st == FO_OK && i < sizeof parts / sizeof parts[0]; i++)
        if (r->version >= parts[i].since)
            st = parts[i].get(r, e, err);
    return st;
}
