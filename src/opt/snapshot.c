/*
 * snapshot.c - an engine's whole state to bytes and back (see opt.h):
 *   "FOEN" | u32 version | configuration | flow parameters | Adam state |
 *   learning rate | RNG | counters | best | mirror noise | samples in
 *   memory | u32 CRC-32 of everything before it.
 * The configuration is every row of the settings table in its order (see
 * settings.h); a row newer than the snapshot takes its `absent` value.
 * Version 3 adds the stall restart (its two settings at the end of the
 * configuration, its window after the restart count); a version-2 snapshot
 * loads with the stall restart off, as the run was created. Version 4 adds
 * optimizer.failed_rank (a settings row); version 5 the CMA state (sigma,
 * generations, the two paths) after the stall window; version 6 the
 * periodic coordinates (a settings row: a flag, then D flags); version 7
 * the start (a flag, then D numbers; its scale) and where restarts centre;
 * 8 the box map, 9 active CMA, 10 the surrogate (a settings row, and its
 * archive and the generation's candidates after the samples), 11
 * importance mixing (a settings row; after the surrogate, its counts and
 * the previous generation's parameters), 12 the coordinate refiner (its
 * settings rows; a record's kind in its status word, bits 8 and up; the
 * refiner's state last), 13 the recommender (optimizer.reevaluate; its
 * two pools after the refiner), 14 the archive of modes (after them).
 * Integers are u64 and doubles IEEE bits, all little-endian, so the bytes
 * are the same on every host and a loaded run continues bit for bit.
 */
#include "opt/engine_internal.h"
#include "opt/lq.h"
#include "opt/surrogate.h"
#include "core/bytes.h"

#include <flowopt/settings.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SNAP_MAGIC "FOEN"
/* The engine state's own format; the settings table may need a newer one. */
#define SNAP_STATE_VERSION 14u
#define SNAP_OLDEST 2u
#define SNAP_VERSION                                                                     \
    (fo__settings_format() > SNAP_STATE_VERSION ? fo__settings_format()                  \
                                                : SNAP_STATE_VERSION)

struct writer {
    unsigned char *p; /* NULL: only count */
    size_t len, cap;
};

static void put_u64(struct writer *w, uint64_t v) {
    if (w->p && w->len + 8 <= w->cap)
        fo__put_u64(w->p + w->len, v);
    w->len += 8;
}

static void put_f64(struct writer *w, double v) {
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    put_u64(w, u);
}

static void put_f64s(struct writer *w, const double *v, size_t n) {
    for (size_t i = 0; i < n; i++)
        put_f64(w, v[i]);
}

struct reader {
    const unsigned char *p;
    size_t len, pos;
    int bad;
    unsigned version;
};

static uint64_t get_u64(struct reader *r) {
    if (r->bad || r->pos + 8 > r->len) {
        r->bad = 1;
        return 0;
    }
    uint64_t v = fo__get_u64(r->p + r->pos);
    r->pos += 8;
    return v;
}

static double get_f64(struct reader *r) {
    uint64_t u = get_u64(r);
    double v;
    memcpy(&v, &u, sizeof v);
    return v;
}

static void get_f64s(struct reader *r, double *v, size_t n) {
    for (size_t i = 0; i < n; i++)
        v[i] = get_f64(r);
}

/* One setting in its encoding: integers as u64, reals as their bits, an
 * optional real as its flag then its value, a list as its count then every
 * slot of its array, the box as lo (D) then hi (D). */
static void put_setting(struct writer *w, const struct fo_run_config *c,
                        const struct fo_setting *s) {
    switch (s->type) {
    case FO_SETTING_UINT:
    case FO_SETTING_BOOL:
    case FO_SETTING_ENUM: put_u64(w, fo__setting_int(c, s)); break;
    case FO_SETTING_REAL: put_f64(w, fo__setting_real(c, s)); break;
    case FO_SETTING_OPTIONAL_REAL:
        put_u64(w, (uint64_t)fo__setting_has(c, s));
        put_f64(w, fo__setting_real(c, s));
        break;
    case FO_SETTING_KINDS:
    case FO_SETTING_SIZES:
        put_u64(w, fo__setting_count(c, s));
        for (size_t i = 0; i < fo__setting_cap(s); i++)
            put_u64(w, fo__setting_elem(c, s, i));
        break;
    case FO_SETTING_BOUNDS:
        put_f64s(w, c->flow.lo, c->flow.dim);
        put_f64s(w, c->flow.hi, c->flow.dim);
        break;
    case FO_SETTING_POINT: {
        const double *p = fo__setting_point(c, s);
        put_u64(w, p != NULL);
        if (p)
            put_f64s(w, p, c->flow.dim);
        break;
    }
    case FO_SETTING_COORDS:
        put_u64(w, c->flow.periodic != NULL);
        for (size_t d = 0; c->flow.periodic && d < c->flow.dim; d++)
            put_u64(w, c->flow.periodic[d]);
        break;
    }
}

static void put_config(struct writer *w, const struct fo_run_config *c) {
    size_t n;
    const struct fo_setting *table = fo_settings(&n);
    for (size_t i = 0; i < n; i++)
        put_setting(w, c, &table[i]);
}

/* An integer for a field of size bytes: one that does not fit is corrupt. */
static uint64_t get_int(struct reader *r, size_t size) {
    uint64_t v = get_u64(r);
    if (size < 8 && v > UINT32_MAX)
        r->bad = 1;
    return v;
}

static void get_setting(struct reader *r, struct fo_run_config *c,
                        const struct fo_setting *s, struct fo_setting_arrays *a) {
    if (s->since > r->version) { /* written before the setting existed */
        if (s->type == FO_SETTING_COORDS)
            c->flow.periodic = NULL;
        else if (s->type == FO_SETTING_POINT)
            fo__setting_put_point(c, s, NULL);
        else if (s->type == FO_SETTING_OPTIONAL_REAL)
            fo__setting_put_has(c, s, 0);
        else if (s->type == FO_SETTING_REAL)
            fo__setting_put_real(c, s, s->absent);
        else
            fo__setting_put_int(c, s, (uint64_t)s->absent);
        return;
    }
    switch (s->type) {
    case FO_SETTING_UINT:
    case FO_SETTING_BOOL:
    case FO_SETTING_ENUM: fo__setting_put_int(c, s, get_int(r, s->size)); break;
    case FO_SETTING_REAL: fo__setting_put_real(c, s, get_f64(r)); break;
    case FO_SETTING_OPTIONAL_REAL: {
        uint64_t has = get_u64(r);
        r->bad |= has > 1;
        fo__setting_put_has(c, s, has == 1);
        fo__setting_put_real(c, s, get_f64(r));
        break;
    }
    case FO_SETTING_KINDS:
    case FO_SETTING_SIZES: {
        uint64_t n = get_u64(r);
        r->bad |= n > fo__setting_cap(s);
        fo__setting_put_count(c, s, n > fo__setting_cap(s) ? 0 : (size_t)n);
        for (size_t i = 0; i < fo__setting_cap(s); i++)
            fo__setting_put_elem(c, s, i, get_int(r, fo__setting_elem_size(s)));
        break;
    }
    case FO_SETTING_BOUNDS:
        if (c->flow.dim < 1 || c->flow.dim > FO_FLOW_MAX_DIM) {
            r->bad = 1;
            return;
        }
        get_f64s(r, a->lo, c->flow.dim);
        get_f64s(r, a->hi, c->flow.dim);
        c->flow.lo = a->lo;
        c->flow.hi = a->hi;
        break;
    case FO_SETTING_POINT: {
        uint64_t has = get_u64(r);
        r->bad |= has > 1 || c->flow.dim < 1 || c->flow.dim > FO_FLOW_MAX_DIM;
        if (has == 1 && !r->bad)
            get_f64s(r, a->points[s->slot], c->flow.dim);
        fo__setting_put_point(c, s, has == 1 ? a->points[s->slot] : NULL);
        break;
    }
    case FO_SETTING_COORDS: {
        uint64_t has = get_u64(r);
        r->bad |= has > 1 || c->flow.dim < 1 || c->flow.dim > FO_FLOW_MAX_DIM;
        for (size_t d = 0; has == 1 && !r->bad && d < c->flow.dim; d++) {
            uint64_t f = get_u64(r);
            r->bad |= f > 1;
            a->periodic[d] = (unsigned char)f;
        }
        c->flow.periodic = has == 1 ? a->periodic : NULL;
        break;
    }
    }
}

/* Reads a configuration; its per-coordinate arrays go into a. */
static void get_config(struct reader *r, struct fo_run_config *c,
                       struct fo_setting_arrays *a) {
    size_t n;
    const struct fo_setting *table = fo_settings(&n);
    memset(c, 0, sizeof *c);
    for (size_t i = 0; i < n && !r->bad; i++)
        get_setting(r, c, &table[i], a);
}

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

static void put_state(struct writer *w, const struct fo_engine *e) {
    const size_t P = fo_flow_n_params(e->flow), D = e->D;
    put_f64s(w, fo_flow_params_const(e->flow), P);
    put_f64s(w, e->good_params, P);
    put_u64(w, e->adam->t);
    put_f64s(w, e->adam->m, P);
    put_f64s(w, e->adam->v, P);
    put_f64(w, e->lr);
    put_f64(w, e->lr_net);
    unsigned char rng[FO_RNG_STATE_BYTES + 7] = {0};
    fo_rng_save(&e->rng, rng);
    for (size_t i = 0; i < sizeof rng; i += 8)
        put_u64(w, fo__get_u64(rng + i));
    const uint64_t counters[] = {e->next_id,
                                 e->generation,
                                 e->updates,
                                 e->asked,
                                 e->told,
                                 e->failed,
                                 e->rollbacks,
                                 e->nonfinite,
                                 e->resolved_in_gen,
                                 e->last_improve_gen,
                                 (uint64_t)e->stop,
                                 (uint64_t)e->has_best,
                                 e->best_id,
                                 e->best_gen,
                                 (uint64_t)e->has_mirror};
    for (size_t i = 0; i < sizeof counters / sizeof counters[0]; i++)
        put_u64(w, counters[i]);
    put_f64(w, e->best_value);
    put_f64s(w, e->best_x, D);
    put_f64s(w, e->mirror, D);
    put_f64s(w, e->conv_lo, FO_RESTART_WINDOW);
    put_f64s(w, e->conv_hi, FO_RESTART_WINDOW);
    put_u64(w, e->conv_n);
    put_u64(w, e->restarts_done);
    put_u64(w, e->stall_n);
    put_f64s(w, e->stall_best, e->cfg.restart_stall + 1);
    put_f64(w, e->cma_sigma);
    put_u64(w, e->cma_gen);
    put_f64s(w, e->cma_ps, D);
    put_f64s(w, e->cma_pc, D);
    put_u64(w, e->n_recs);
    for (size_t i = 0; i < e->n_recs; i++) {
        const struct fo_rec *rec = &e->recs[i];
        put_u64(w, rec->id);
        put_u64(w, rec->generation);
        put_f64(w, rec->value);
        put_f64(w, rec->lb);
        put_u64(w, (uint64_t)rec->status | (uint64_t)rec->kind << 8);
        put_f64s(w, e->xs + i * D, D);
    }
    put_surrogate(w, e);
    const uint64_t mix[] = {(uint64_t)e->mix_ready, e->mix_kept, e->mix_left,
                            e->mix_reused};
    for (size_t i = 0; i < sizeof mix / sizeof mix[0]; i++)
        put_u64(w, mix[i]);
    if (e->mix_ready)
        put_f64s(w, e->mix_params, P);
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

enum fo_status fo_engine_save(const struct fo_engine *e, unsigned char *buf, size_t cap,
                              size_t *len, struct fo_error *err) {
    struct writer w = {NULL, 8, 0};
    put_config(&w, &e->cfg);
    put_state(&w, e);
    size_t need = w.len + 4;
    *len = need;
    if (!buf)
        return FO_OK;
    if (cap < need)
        return fo_error_set(err, FO_ETOOBIG, "buffer", "need %zu bytes, have %zu", need,
                            cap);
    memcpy(buf, SNAP_MAGIC, 4);
    fo__put_u32(buf + 4, SNAP_VERSION);
    w = (struct writer){buf, 8, cap};
    put_config(&w, &e->cfg);
    put_state(&w, e);
    fo__put_u32(buf + need - 4, fo__crc32(buf, need - 4));
    return FO_OK;
}

static enum fo_status get_records(struct reader *r, struct fo_engine *e,
                                  struct fo_error *err) {
    uint64_t n = get_u64(r);
    /* each record takes at least 5 words: cap the count by the bytes left */
    if (r->bad || n > (r->len - r->pos) / (8 * (5 + e->D)))
        return fo_error_set(err, FO_ECORRUPT, "snapshot", "bad sample count");
    enum fo_status st = fo__engine_reserve(e, (size_t)n, err);
    if (st != FO_OK)
        return st;
    uint64_t prev = 0;
    for (size_t i = 0; i < n; i++) {
        struct fo_rec *rec = &e->recs[i];
        rec->id = get_u64(r);
        rec->generation = get_u64(r);
        rec->value = get_f64(r);
        rec->lb = get_f64(r);
        uint64_t word = get_u64(r);
        rec->status = (int)(word & 0xff);
        rec->kind = r->version >= 12 ? (int)(word >> 8) : FO_REC_FLOW;
        get_f64s(r, e->xs + i * e->D, e->D);
        if (rec->id <= prev || rec->id >= e->next_id || rec->status < 0 ||
            rec->status > 2 || rec->kind > FO_REC_REEVAL)
            r->bad = 1;
        prev = rec->id;
    }
    e->n_recs = (size_t)n;
    return r->bad ? fo_error_set(err, FO_ECORRUPT, "snapshot", "bad sample records")
                  : FO_OK;
}

static enum fo_status get_state(struct reader *r, struct fo_engine *e,
                                struct fo_error *err) {
    const size_t P = fo_flow_n_params(e->flow), D = e->D;
    get_f64s(r, fo_flow_params(e->flow), P);
    get_f64s(r, e->good_params, P);
    e->adam->t = get_u64(r);
    get_f64s(r, e->adam->m, P);
    get_f64s(r, e->adam->v, P);
    e->lr = get_f64(r);
    e->lr_net = get_f64(r);
    unsigned char rng[FO_RNG_STATE_BYTES + 7];
    for (size_t i = 0; i < sizeof rng; i += 8)
        fo__put_u64(rng + i, get_u64(r));
    if (!r->bad && fo_rng_load(&e->rng, rng) != 0)
        r->bad = 1;
    uint64_t *counters[] = {&e->next_id,         &e->generation, &e->updates,
                            &e->asked,           &e->told,       &e->failed,
                            &e->rollbacks,       &e->nonfinite,  &e->resolved_in_gen,
                            &e->last_improve_gen};
    for (size_t i = 0; i < sizeof counters / sizeof counters[0]; i++)
        *counters[i] = get_u64(r);
    e->stop = (enum fo_stop)get_u64(r);
    e->has_best = (int)get_u64(r);
    e->best_id = get_u64(r);
    e->best_gen = get_u64(r);
    e->has_mirror = (int)get_u64(r);
    e->best_value = get_f64(r);
    get_f64s(r, e->best_x, D);
    get_f64s(r, e->mirror, D);
    get_f64s(r, e->conv_lo, FO_RESTART_WINDOW);
    get_f64s(r, e->conv_hi, FO_RESTART_WINDOW);
    e->conv_n = get_u64(r);
    e->restarts_done = get_u64(r);
    if (r->version >= 3) {
        e->stall_n = get_u64(r);
        get_f64s(r, e->stall_best, e->cfg.restart_stall + 1);
    }
    if (r->version >= 5) { /* the CMA state; older runs had none (sigma 1) */
        e->cma_sigma = get_f64(r);
        e->cma_gen = get_u64(r);
        get_f64s(r, e->cma_ps, D);
        get_f64s(r, e->cma_pc, D);
        r->bad |= !(isfinite(e->cma_sigma) && e->cma_sigma > 0.0);
    }
    if (r->bad || !isfinite(e->lr) || e->lr <= 0.0 || !isfinite(e->lr_net) ||
        e->lr_net <= 0.0 || e->stop > FO_STOP_STALLED)
        return fo_error_set(err, FO_ECORRUPT, "snapshot", "bad engine state");
    for (size_t i = 0; i < P; i++)
        if (!isfinite(fo_flow_params(e->flow)[i]))
            return fo_error_set(err, FO_ECORRUPT, "snapshot", "non-finite parameter");
    enum fo_status st = get_records(r, e, err);
    if (st == FO_OK && r->version >= 10)
        st = get_surrogate(r, e, err);
    if (st == FO_OK && r->version >= 11)
        st = get_mixing(r, e, err);
    if (st == FO_OK && r->version >= 12)
        st = get_refine(r, e, err);
    if (st == FO_OK && r->version >= 13)
        st = get_recommender(r, e, err);
    if (st == FO_OK && r->version >= 14)
        st = get_modes(r, e, err);
    return st;
}

enum fo_status fo_engine_load(const unsigned char *buf, size_t len,
                              struct fo_engine **out, struct fo_error *err) {
    *out = NULL;
    if (len < 12 || memcmp(buf, SNAP_MAGIC, 4) != 0)
        return fo_error_set(err, FO_ECORRUPT, "snapshot", "not a flowopt run snapshot");
    unsigned version = fo__get_u32(buf + 4);
    if (version < SNAP_OLDEST || version > SNAP_VERSION)
        return fo_error_set(err, FO_ECORRUPT, "snapshot", "unknown snapshot version %u",
                            version);
    if (fo__get_u32(buf + len - 4) != fo__crc32(buf, len - 4))
        return fo_error_set(err, FO_ECORRUPT, "snapshot", "checksum mismatch");
    struct reader r = {buf, len - 4, 8, 0, version};
    struct fo_run_config cfg;
    struct fo_setting_arrays *a = malloc(sizeof *a);
    if (!a)
        return fo_error_set(err, FO_ENOMEM, "snapshot", "out of memory");
    get_config(&r, &cfg, a);
    enum fo_status st;
    if (r.bad) {
        st = fo_error_set(err, FO_ECORRUPT, "snapshot", "truncated configuration");
    } else {
        struct fo_error inner = {0};
        st = fo__engine_alloc(&cfg, out, &inner);
        if (st != FO_OK && st != FO_ENOMEM)
            st = fo_error_set(err, FO_ECORRUPT, "snapshot", "bad configuration: %s",
                              inner.msg);
        else if (st != FO_OK && err)
            *err = inner;
    }
    free(a);
    if (st != FO_OK)
        return st;
    st = get_state(&r, *out, err);
    if (st == FO_OK && r.pos != r.len)
        st = fo_error_set(err, FO_ECORRUPT, "snapshot", "trailing bytes");
    if (st != FO_OK) {
        fo_engine_destroy(*out);
        *out = NULL;
    }
    return st;
}
