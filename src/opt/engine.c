/*
 * engine.c - ask/tell bookkeeping around the update: ids, generations,
 * pending/told/failed samples, duplicates and conflicts, best-ever, the
 * update trigger and the stopping rules. See opt.h.
 */
#include "opt/circle.h"
#include "opt/engine_internal.h"
#include "opt/lq.h"
#include "opt/mixing.h"
#include "opt/modes.h"
#include "opt/niche.h"
#include "opt/recommend.h"
#include "opt/start.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void fo_engine_destroy(struct fo_engine *e) {
    if (!e)
        return;
    fo_flow_destroy(e->flow);
    fo_adam_destroy(e->adam);
    void *bufs[] = {
        e->lo,       e->hi,       e->recs,       e->xs,          e->best_x,
        e->mirror,   e->u_x,      e->u_fit,      e->u_lb,        e->u_lp,
        e->u_w,      e->u_util,   e->u_q,        e->u_order,     e->u_cur,
        e->grad,     e->dir,      e->old_params, e->good_params, e->roles,
        e->kl_z,     e->kl_x,     e->kl_lp,      e->kl_lpn,      e->stall_best,
        e->ask_z,    e->ask_lp,   e->cma_ps,     e->cma_pc,      e->cma_z,
        e->cma_work, e->periodic, e->start,      e->pool_x,      e->pool_lp,
        e->pool_f,   e->pool_tmp, e->pool_order, e->mix_params,  e->mix_lp};
    fo__lq_destroy(e);
    fo__refine_destroy(e);
    fo__recommend_destroy(e);
    fo__modes_destroy(e);
    fo__niche_destroy(e);
    fo__drift_destroy(e);
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        free(bufs[i]);
    free(e);
}

enum fo_status fo__engine_alloc(const struct fo_run_config *cfg, struct fo_engine **out,
                                struct fo_error *err) {
    *out = NULL;
    enum fo_status st = fo__run_config_check(cfg, err);
    if (st != FO_OK)
        return st;
    struct fo_engine *e = calloc(1, sizeof *e);
    if (!e)
        return fo_error_set(err, FO_ENOMEM, "run", "out of memory creating the run");
    e->cfg = *cfg;
    e->D = cfg->flow.dim;
    e->lo = malloc(e->D * sizeof(double));
    e->hi = malloc(e->D * sizeof(double));
    e->best_x = calloc(e->D, sizeof(double));
    e->mirror = calloc(e->D, sizeof(double));
    if (!e->lo || !e->hi || !e->best_x || !e->mirror) {
        fo_engine_destroy(e);
        return fo_error_set(err, FO_ENOMEM, "run", "out of memory creating the run");
    }
    for (size_t d = 0; d < e->D; d++) {
        e->lo[d] = cfg->flow.lo ? cfg->flow.lo[d] : -INFINITY;
        e->hi[d] = cfg->flow.hi ? cfg->flow.hi[d] : INFINITY;
    }
    e->cfg.flow.lo = e->lo;
    e->cfg.flow.hi = e->hi;
    int circles = 0;
    for (size_t d = 0; cfg->flow.periodic && d < e->D; d++)
        circles |= cfg->flow.periodic[d] != 0;
    e->cfg.flow.periodic = NULL; /* none is stored as none */
    if (circles && !(e->periodic = malloc(e->D))) {
        fo_engine_destroy(e);
        return fo_error_set(err, FO_ENOMEM, "run", "out of memory creating the run");
    }
    if (circles) {
        memcpy(e->periodic, cfg->flow.periodic, e->D);
        e->cfg.flow.periodic = e->periodic;
    }
    if (cfg->start && !(e->start = malloc(e->D * sizeof(double)))) {
        fo_engine_destroy(e);
        return fo_error_set(err, FO_ENOMEM, "run", "out of memory creating the run");
    }
    if (cfg->start)
        memcpy(e->start, cfg->start, e->D * sizeof(double));
    e->cfg.start = e->start;
    st = fo_flow_create(&e->cfg.flow, &e->flow, err);
    size_t P = st == FO_OK ? fo_flow_n_params(e->flow) : 0;
    if (st == FO_OK)
        st = fo_adam_create(P, &e->adam, err);
    if (st == FO_OK) {
        e->grad = malloc((P ? P : 1) * sizeof(double));
        e->dir = malloc((P ? P : 1) * sizeof(double));
        e->old_params = malloc((P ? P : 1) * sizeof(double));
        e->roles = malloc(P ? P : 1);
        e->good_params = malloc((P ? P : 1) * sizeof(double));
        e->kl_z = malloc(FO_KL_SAMPLES * e->D * sizeof(double));
        e->kl_x = malloc(FO_KL_SAMPLES * e->D * sizeof(double));
        e->kl_lp = malloc(FO_KL_SAMPLES * sizeof(double));
        e->kl_lpn = malloc(FO_KL_SAMPLES * sizeof(double));
        e->stall_best = calloc(cfg->restart_stall + 1, sizeof(double));
        e->cma_ps = calloc(e->D, sizeof(double));
        e->cma_pc = calloc(e->D, sizeof(double));
        e->cma_work = malloc((3 * e->D * e->D + 6 * e->D) * sizeof(double));
        e->mix_params = malloc((P ? P : 1) * sizeof(double));
        if (!e->grad || !e->dir || !e->old_params || !e->good_params || !e->roles ||
            !e->kl_z || !e->kl_x || !e->kl_lp || !e->kl_lpn || !e->stall_best ||
            !e->cma_ps || !e->cma_pc || !e->cma_work || !e->mix_params)
            st = fo_error_set(err, FO_ENOMEM, "run", "out of memory creating the run");
    }
    if (st != FO_OK) {
        fo_engine_destroy(e);
        return st;
    }
    fo_flow_param_roles(e->flow, e->roles);
    for (size_t i = 0; i < P; i++) {
        e->has_net_params |= e->roles[i] == FO_ROLE_NETWORK;
        e->has_dist_params |= e->roles[i] != FO_ROLE_NETWORK;
    }
    memcpy(e->good_params, fo_flow_params(e->flow), P * sizeof(double));
    if ((st = fo__engine_prepare(e, err)) != FO_OK) {
        fo_engine_destroy(e);
        return st;
    }
    if ((st = fo__lq_create(e, err)) != FO_OK ||
        (st = fo__refine_create(e, err)) != FO_OK ||
        (st = fo__recommend_create(e, err)) != FO_OK ||
        (st = fo__modes_create(e, err)) != FO_OK ||
        (st = fo__niche_create(e, err)) != FO_OK ||
        (st = fo__drift_create(e, err)) != FO_OK) {
        fo_engine_destroy(e);
        return st;
    }
    e->cma_sigma = 1.0;
    fo_rng_seed(&e->rng, cfg->seed);
    e->lr = cfg->opt.lr;
    e->lr_net = cfg->opt.lr;
    e->next_id = 1;
    *out = e;
    return FO_OK;
}

enum fo_status fo_engine_config_params(const struct fo_run_config *cfg, size_t *n,
                                       struct fo_error *err) {
    return fo_flow_config_n_params(&cfg->flow, n, err);
}

enum fo_status fo_engine_create(const struct fo_run_config *cfg, struct fo_engine **out,
                                struct fo_error *err) {
    enum fo_status st = fo__engine_alloc(cfg, out, err);
    if (st == FO_OK && (st = fo__start_first(*out, err)) != FO_OK) {
        fo_engine_destroy(*out);
        *out = NULL;
    }
    return st;
}

enum fo_status fo__engine_reserve(struct fo_engine *e, size_t n, struct fo_error *err) {
    if (n <= e->cap_recs)
        return FO_OK;
    size_t cap = e->cap_recs ? e->cap_recs : 64;
    while (cap < n)
        cap *= 2;
    struct fo_rec *recs = realloc(e->recs, cap * sizeof *recs);
    if (recs)
        e->recs = recs;
    double *xs = recs ? realloc(e->xs, cap * e->D * sizeof *xs) : NULL;
    if (!recs || !xs)
        return fo_error_set(err, FO_ENOMEM, "n", "out of memory for %zu samples", n);
    e->xs = xs;
    e->cap_recs = cap;
    return FO_OK;
}

static enum fo_status reserve_ask(struct fo_engine *e, size_t n, struct fo_error *err) {
    if (n <= e->cap_ask)
        return FO_OK;
    double *z = realloc(e->ask_z, n * e->D * sizeof *z);
    if (z)
        e->ask_z = z;
    double *lp = z ? realloc(e->ask_lp, n * sizeof *lp) : NULL;
    if (lp)
        e->ask_lp = lp;
    double *old = lp ? realloc(e->mix_lp, n * sizeof *old) : NULL;
    if (!z || !lp || !old)
        return fo_error_set(err, FO_ENOMEM, "n", "out of memory for %zu samples", n);
    e->mix_lp = old;
    e->cap_ask = n;
    return FO_OK;
}

enum fo_status fo__engine_prepare(struct fo_engine *e, struct fo_error *err) {
    const size_t B = e->cfg.batch_size, held = (e->cfg.opt.reuse_generations + 2) * B;
    enum fo_status st = fo__engine_reserve(e, held, err);
    if (st == FO_OK)
        st = fo__engine_scratch(e, held, err);
    if (st == FO_OK)
        st = fo_flow_reserve(e->flow, held > FO_KL_SAMPLES ? held : FO_KL_SAMPLES, err);
    return st == FO_OK ? reserve_ask(e, B, err) : st;
}

const struct fo_run_config *fo_engine_config(const struct fo_engine *e) {
    return &e->cfg;
}

size_t fo_engine_dim(const struct fo_engine *e) {
    return e->D;
}

void fo__engine_draw_noise(struct fo_engine *e, size_t n, double *z) {
    const size_t D = e->D;
    for (size_t i = 0; i < n; i++) {
        double *zi = z + i * D;
        if (e->cfg.opt.mirrored && e->has_mirror) {
            for (size_t d = 0; d < D; d++)
                zi[d] = -e->mirror[d];
            e->has_mirror = 0;
            continue;
        }
        for (size_t d = 0; d < D; d++)
            zi[d] = fo_rng_normal(&e->rng);
        if (e->cfg.opt.mirrored) {
            memcpy(e->mirror, zi, D * sizeof(double));
            e->has_mirror = 1;
        }
    }
}

/* Up to n lost records handed out again, in id order, under new ids. */
static size_t reissue(struct fo_engine *e, size_t n, struct fo_sample *samples,
                      double *x) {
    size_t k = 0;
    for (size_t i = 0; i < e->n_recs && k < n && e->n_rekeyed; i++) {
        struct fo_rec *r = &e->recs[i];
        if (r->cur_id != 0)
            continue;
        r->cur_id = e->next_id++;
        e->asked++;
        samples[k] = (struct fo_sample){r->cur_id, r->generation, r->lb, r->lost_id};
        fo_flow_wrap(e->flow, 1, e->xs + i * e->D, x + k * e->D);
        k++;
    }
    return k;
}

/* How many of n the lost records waiting to be handed out again take. */
static size_t waiting(const struct fo_engine *e, size_t n) {
    size_t k = 0;
    for (size_t i = 0; i < e->n_recs && k < n && e->n_rekeyed; i++)
        k += e->recs[i].cur_id == 0;
    return k;
}

static enum fo_status draw_fresh(struct fo_engine *e, size_t n, struct fo_sample *samples,
                                 double *x, struct fo_error *err);

enum fo_status fo_engine_ask(struct fo_engine *e, size_t n, struct fo_sample *samples,
                             double *x, struct fo_error *err) {
    if (n < 1 || n > FO_ENGINE_MAX_ASK)
        return fo_error_set(err, FO_ERANGE, "n", "n must be in [1, %d], got %zu",
                            FO_ENGINE_MAX_ASK, n);
    /* lost points first (last in the answer, so the fresh ids come first
     * and a failed draw leaves nothing to undo) */
    const size_t again = waiting(e, n), fresh = n - again;
    enum fo_status st = fresh ? draw_fresh(e, fresh, samples, x, err) : FO_OK;
    if (st == FO_OK)
        reissue(e, again, samples + fresh, x + fresh * e->D);
    return st;
}

static enum fo_status draw_fresh(struct fo_engine *e, size_t n, struct fo_sample *samples,
                                 double *x, struct fo_error *err) {
    enum fo_status st = fo__engine_reserve(e, e->n_recs + n, err);
    if (st != FO_OK)
        return st;
    if ((st = reserve_ask(e, n, err)) != FO_OK)
        return st;
    double *z = e->ask_z, *lp = e->ask_lp;
    struct fo_rng saved = e->rng;
    int had_mirror = e->has_mirror;
    int pool_was_on = e->pool_on;
    size_t mix_left = e->mix_left;
    struct fo_refine ref = e->ref;
    struct fo_recommender rec = e->rec;
    struct fo_drift drift = e->drift;
    /* re-evaluations first, the refiner's points, the surrogate's
     * candidates, then draws */
    if (fo__niche_on(e)) /* the mixture hands out everything */
        return fo__niche_ask(e, n, samples, x) == n ? FO_OK : FO_EINVAL;
    size_t from_rec = fo__drift_ask(e, n, samples, x);
    from_rec +=
        fo__recommend_ask(e, n - from_rec, samples + from_rec, x + from_rec * e->D);
    size_t from_ref = from_rec;
    from_ref += fo__refine_ask(e, n - from_rec, samples + from_rec, x + from_rec * e->D);
    size_t from_pool =
        fo__lq_ask(e, n - from_ref, samples + from_ref, x + from_ref * e->D);
    size_t done = from_ref + from_pool, m = n - done;
    double *xm = x + done * e->D;
    st = m ? fo__mix_sample(e, m, z, xm, lp, err) : FO_OK;
    if (st != FO_OK) { /* leave the run as it was */
        e->rng = saved;
        e->has_mirror = had_mirror;
        e->mix_left = mix_left;
        e->ref = ref;
        e->rec = rec;
        e->drift = drift;
        e->n_recs -= done;
        e->next_id -= done;
        e->asked -= done;
        e->pool_next -= from_pool;
        e->pool_on = pool_was_on; /* a pool this ask began is drawn again */
        return st;
    }
    for (size_t i = 0; i < m; i++)
        fo__engine_add_record(e, xm + i * e->D, lp[i], &samples[done + i]);
    fo_flow_wrap(e->flow, m, xm, xm);
    return FO_OK;
}

void fo__engine_add_record(struct fo_engine *e, const double *x, double lp,
                           struct fo_sample *out) {
    struct fo_rec *r = &e->recs[e->n_recs];
    r->id = r->cur_id = e->next_id++;
    r->lost_id = 0;
    r->generation = e->generation;
    r->value = 0.0;
    r->lb = lp;
    r->status = FO_SAMPLE_PENDING;
    r->kind = FO_REC_FLOW;
    r->se = NAN;
    /* the engine keeps the unwrapped point: its density is the flow's */
    memcpy(e->xs + e->n_recs * e->D, x, e->D * sizeof(double));
    e->n_recs++;
    e->asked++;
    out->id = r->id;
    out->generation = r->generation;
    out->log_prob = lp;
    out->reissue_of = 0;
}

long fo__engine_find(const struct fo_engine *e, uint64_t id) {
    size_t lo = 0, hi = e->n_recs;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (e->recs[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < e->n_recs && e->recs[lo].id == id ? (long)lo : -1;
}

/* The record handed out under id now, or -1 (a lost id has none). */
static long find_handed(const struct fo_engine *e, uint64_t id) {
    long i = fo__engine_find(e, id);
    if (i >= 0 && e->recs[i].cur_id == id)
        return i;
    for (size_t k = 0; e->n_rekeyed && id && k < e->n_recs; k++)
        if (e->recs[k].cur_id == id)
            return (long)k;
    return -1;
}

/* Whether id was handed out and then lost (its record still held). */
static int lost_here(const struct fo_engine *e, uint64_t id) {
    for (size_t k = 0; e->n_rekeyed && k < e->n_recs; k++)
        if (e->recs[k].cur_id != e->recs[k].id &&
            (e->recs[k].id == id || e->recs[k].lost_id == id))
            return 1;
    return 0;
}

void fo__engine_forget(struct fo_engine *e, size_t i) {
    const size_t D = e->D, after = e->n_recs - i - 1;
    e->n_rekeyed -= e->recs[i].cur_id != e->recs[i].id;
    memmove(&e->recs[i], &e->recs[i + 1], after * sizeof e->recs[0]);
    memmove(e->xs + i * D, e->xs + (i + 1) * D, after * D * sizeof(double));
    e->n_recs--;
}

enum fo_status fo_engine_sample_state(const struct fo_engine *e, uint64_t id, int *status,
                                      double *value, struct fo_error *err) {
    long i = find_handed(e, id);
    if (i < 0 && lost_here(e, id)) {
        *status = FO_SAMPLE_LOST;
        *value = 0.0;
        return FO_OK;
    }
    if (i < 0)
        return fo_error_set(err, id > 0 && id < e->next_id ? FO_ESTATE : FO_ENOTFOUND,
                            "id",
                            id > 0 && id < e->next_id
                                ? "sample %llu was resolved and has left the reuse window"
                                : "no sample %llu in this run",
                            (unsigned long long)id);
    *status = e->recs[i].status;
    *value = e->recs[i].value;
    return FO_OK;
}

static int better(const struct fo_engine *e, double a, double b) {
    return e->cfg.direction == FO_MAXIMIZE ? a > b : a < b;
}

static void note_best(struct fo_engine *e, size_t i) {
    const struct fo_rec *r = &e->recs[i];
    if (e->has_best && !better(e, r->value, e->best_value))
        return;
    e->has_best = 1;
    e->best_value = r->value;
    e->best_id = r->id;
    e->best_gen = r->generation;
    fo_flow_wrap(e->flow, 1, e->xs + i * e->D, e->best_x);
    e->last_improve_gen = e->generation;
    if (e->cfg.has_target && !better(e, e->cfg.target, r->value) &&
        e->stop == FO_STOP_NONE)
        e->stop = FO_STOP_TARGET;
}

/* Shared by tell and tell_failed once the record is resolved. */
static enum fo_status after_resolve(struct fo_engine *e, uint64_t generation,
                                    int *updated, struct fo_step_report *report,
                                    struct fo_error *err) {
    struct fo_step_report local;
    if (generation == e->generation)
        e->resolved_in_gen++;
    if (e->cfg.budget && e->told >= e->cfg.budget && e->stop == FO_STOP_NONE)
        e->stop = FO_STOP_BUDGET;
    int lq = generation == e->generation ? fo__lq_complete(e) : -1;
    if (lq == 0 || (lq < 0 && e->resolved_in_gen < e->cfg.batch_size))
        return FO_OK;
    *updated = 1;
    return fo__engine_update(e, 0, report ? report : &local, err);
}

static enum fo_status resolve(struct fo_engine *e, uint64_t id, int failed, double value,
                              double se, int *duplicate, int *updated,
                              struct fo_step_report *report, struct fo_error *err) {
    int dup_local = 0, upd_local = 0;
    duplicate = duplicate ? duplicate : &dup_local;
    updated = updated ? updated : &upd_local;
    *duplicate = *updated = 0;
    if (!failed && !isfinite(value))
        return fo_error_set(err, FO_ERANGE, "value",
                            "value of sample %llu must be finite",
                            (unsigned long long)id);
    int prior_status;
    double prior_value;
    enum fo_status st = fo_engine_sample_state(e, id, &prior_status, &prior_value, err);
    if (st != FO_OK)
        return st;
    if (prior_status == FO_SAMPLE_LOST)
        return fo_error_set(err, FO_ECONFLICT, "id",
                            "sample %llu was lost and its point handed out again",
                            (unsigned long long)id);
    long i = find_handed(e, id);
    struct fo_rec *r = &e->recs[i];
    if (r->status != FO_SAMPLE_PENDING) {
        int same = failed ? r->status == FO_SAMPLE_FAILED
                          : r->status == FO_SAMPLE_TOLD && r->value == value;
        if (same) {
            *duplicate = 1;
            return FO_OK;
        }
        return fo_error_set(err, FO_ECONFLICT, "id",
                            "sample %llu was already resolved with another result",
                            (unsigned long long)id);
    }
    r->status = failed ? FO_SAMPLE_FAILED : FO_SAMPLE_TOLD;
    r->value = failed ? 0.0 : value;
    r->se = failed ? NAN : se;
    e->ref.noisy |= isfinite(r->se) && r->se > 0.0;
    if (failed) {
        e->failed++;
    } else {
        e->told++;
        note_best(e, (size_t)i);
        fo__modes_told(e, value);
        /* a refiner point lies in the driver's box, a flow sample where the
         * flow drew it: on a circle the archive takes only the latter */
        if (r->kind == FO_REC_FLOW ||
            (r->kind == FO_REC_REFINE && !fo_flow_wraps(e->flow)))
            fo__lq_told(e, (size_t)i);
    }
    if (r->kind == FO_REC_REEVAL) { /* pooled, then forgotten */
        fo__recommend_resolved(e, (size_t)i);
        if (e->cfg.budget && e->told >= e->cfg.budget && e->stop == FO_STOP_NONE)
            e->stop = FO_STOP_BUDGET;
        return FO_OK;
    }
    if (r->kind == FO_REC_DRIFT) { /* the reference: kept for the history */
        fo__drift_resolved(e, (size_t)i);
        if (e->cfg.budget && e->told >= e->cfg.budget && e->stop == FO_STOP_NONE)
            e->stop = FO_STOP_BUDGET;
        return FO_OK;
    }
    if (r->kind == FO_REC_NICHE) { /* a component's, or a seed */
        struct fo_step_report local;
        fo__niche_resolved(e, (size_t)i, updated, report ? report : &local);
        if (e->cfg.budget && e->told >= e->cfg.budget && e->stop == FO_STOP_NONE)
            e->stop = FO_STOP_BUDGET;
        return FO_OK;
    }
    if (r->kind == FO_REC_REFINE) { /* not a member of any generation */
        struct fo_step_report local;
        fo__refine_resolved(e, (size_t)i, updated, report ? report : &local);
        if (e->cfg.budget && e->told >= e->cfg.budget && e->stop == FO_STOP_NONE)
            e->stop = FO_STOP_BUDGET;
        return FO_OK;
    }
    return after_resolve(e, r->generation, updated, report, err);
}

/* resolve, with the spend so far on the history row it may write */
static enum fo_status resolve_costed(struct fo_engine *e, uint64_t id, int failed,
                                     double value, double se, int *duplicate,
                                     int *updated, struct fo_step_report *report,
                                     struct fo_error *err) {
    int upd_local = 0;
    updated = updated ? updated : &upd_local;
    enum fo_status st =
        resolve(e, id, failed, value, se, duplicate, updated, report, err);
    if (st == FO_OK && *updated && report) {
        report->cost = e->cost;
        report->reference = fo__drift_take(e);
    }
    return st;
}

enum fo_status fo_engine_tell(struct fo_engine *e, uint64_t id, double value,
                              int *duplicate, int *updated, struct fo_step_report *report,
                              struct fo_error *err) {
    return resolve_costed(e, id, 0, value, NAN, duplicate, updated, report, err);
}

enum fo_status fo_engine_tell_se(struct fo_engine *e, uint64_t id, double value,
                                 double std_error, int *duplicate, int *updated,
                                 struct fo_step_report *report, struct fo_error *err) {
    if (!(isnan(std_error) || (isfinite(std_error) && std_error >= 0.0)))
        return fo_error_set(err, FO_ERANGE, "stderr",
                            "the standard error of sample %llu must be >= 0",
                            (unsigned long long)id);
    return resolve_costed(e, id, 0, value, std_error, duplicate, updated, report, err);
}

enum fo_status fo_engine_tell_lost(struct fo_engine *e, uint64_t id, int *duplicate,
                                   struct fo_error *err) {
    int dup_local = 0, status = FO_SAMPLE_PENDING;
    double value = 0.0;
    duplicate = duplicate ? duplicate : &dup_local;
    *duplicate = 0;
    enum fo_status st = fo_engine_sample_state(e, id, &status, &value, err);
    if (st != FO_OK)
        return st;
    if (status == FO_SAMPLE_LOST) {
        *duplicate = 1;
        return FO_OK;
    }
    if (status != FO_SAMPLE_PENDING)
        return fo_error_set(err, FO_ECONFLICT, "id",
                            "sample %llu was already resolved with another result",
                            (unsigned long long)id);
    struct fo_rec *r = &e->recs[find_handed(e, id)];
    e->n_rekeyed += r->cur_id == r->id;
    r->lost_id = id;
    r->cur_id = 0; /* the next ask hands it out again */
    e->lost++;
    return FO_OK;
}

enum fo_status fo_engine_tell_failed(struct fo_engine *e, uint64_t id, int *duplicate,
                                     int *updated, struct fo_step_report *report,
                                     struct fo_error *err) {
    return resolve_costed(e, id, 1, 0.0, NAN, duplicate, updated, report, err);
}

enum fo_status fo_engine_step(struct fo_engine *e, struct fo_step_report *report,
                              struct fo_error *err) {
    struct fo_step_report local = {0};
    report = report ? report : &local;
    enum fo_status st = fo__engine_update(e, 1, report, err);
    report->cost = e->cost;
    report->reference = fo__drift_take(e);
    return st;
}

void fo_engine_counters(const struct fo_engine *e, struct fo_engine_counters *out) {
    out->asked = e->asked;
    out->told = e->told;
    out->failed = e->failed;
    out->pending = e->asked - e->told - e->failed - e->lost;
    out->lost = e->lost;
    out->cost = e->cost;
    out->observed = e->observed;
    out->updates = e->updates;
    out->generation = e->generation;
    out->rollbacks = e->rollbacks;
    out->nonfinite = e->nonfinite;
    out->restarts = e->restarts_done;
    out->batch_size = e->cfg.batch_size;
    size_t in_gen = 0;
    for (size_t i = 0; i < e->n_recs; i++)
        in_gen +=
            e->recs[i].generation == e->generation && e->recs[i].kind == FO_REC_FLOW;
    out->wanted = fo__lq_wanted(e, in_gen);
    if (fo__refine_on(e) &&
        (fo__refine_wanted(e) || e->cfg.structure_mode == FO_STRUCTURE_ALONE))
        out->wanted = e->has_best ? fo__refine_wanted(e) : 1;
    out->wanted += fo__recommend_wanted(e) + fo__drift_wanted(e);
    if (fo__niche_on(e))
        out->wanted = fo__niche_wanted(e);
    out->modelled = e->lq_modelled;
    out->modelling = e->pool_on;
    out->reused = e->mix_reused;
    out->refined = e->ref.steps;
    out->refining = fo__refine_on(e) && e->ref.stage != FO_REFINE_IDLE;
}

int fo_engine_best(const struct fo_engine *e, double *x, double *value, uint64_t *id,
                   uint64_t *generation) {
    if (!e->has_best)
        return -1;
    if (x)
        memcpy(x, e->best_x, e->D * sizeof(double));
    if (value)
        *value = e->best_value;
    if (id)
        *id = e->best_id;
    if (generation)
        *generation = e->best_gen;
    return 0;
}

enum fo_stop fo_engine_stop_reason(const struct fo_engine *e) {
    return e->stop;
}

double fo_engine_lr(const struct fo_engine *e) {
    return e->lr;
}

void fo_engine_set_lr(struct fo_engine *e, double lr) {
    if (isfinite(lr) && lr > 0.0)
        e->lr = lr;
}

enum fo_status fo_engine_check_point(const struct fo_engine *e, const double *x,
                                     struct fo_error *err) {
    for (size_t d = 0; d < e->D; d++) {
        int circle = e->periodic && e->periodic[d];
        int ok = isfinite(x[d]) && x[d] >= e->lo[d] &&
                 (circle ? x[d] < e->hi[d] : x[d] <= e->hi[d]);
        if (!ok)
            return fo_error_set(err, isfinite(x[d]) ? FO_ERANGE : FO_EINVAL, "x",
                                "x[%zu] must be a finite number inside the bounds "
                                "[%.17g, %.17g], got %.17g",
                                d, e->lo[d], e->hi[d], x[d]);
    }
    return FO_OK;
}

enum fo_status fo_engine_observe(struct fo_engine *e, const double *x, double value,
                                 uint64_t *id, struct fo_error *err) {
    enum fo_status st = fo_engine_check_point(e, x, err);
    if (st != FO_OK)
        return st;
    if (!isfinite(value))
        return fo_error_set(err, FO_ERANGE, "value", "an observed value must be finite");
    if ((st = fo__engine_reserve(e, e->n_recs + 1, err)) != FO_OK)
        return st;
    const size_t i = e->n_recs++;
    struct fo_rec *r = &e->recs[i];
    *r = (struct fo_rec){0};
    r->id = r->cur_id = e->next_id++;
    r->generation = e->generation;
    r->value = value;
    r->status = FO_SAMPLE_TOLD;
    r->kind = FO_REC_OBSERVED;
    r->se = NAN;
    memcpy(e->xs + i * e->D, x, e->D * sizeof(double));
    *id = r->id;
    e->observed++;
    int was = e->has_best ? 1 : 0;
    uint64_t best_before = e->best_id;
    note_best(e, i);
    /* a point in the driver's box: on a circle the archive takes only flow
     * samples (as the refiner's) */
    if (!fo_flow_wraps(e->flow))
        fo__lq_told(e, i);
    const int better = !was || e->best_id != best_before;
    fo__engine_forget(e, i);
    /* a warm start: before anything was asked, the start is the best seen */
    if (better && e->asked == 0 && !e->cfg.start)
        fo__start_place(e, x, 0, 0.0, NULL);
    return FO_OK;
}

void fo_engine_spend(struct fo_engine *e, double cost) {
    if (!(isfinite(cost) && cost > 0.0))
        return;
    e->cost += cost;
    if (e->cfg.budget_cost > 0.0 && e->cost >= e->cfg.budget_cost &&
        e->stop == FO_STOP_NONE)
        e->stop = FO_STOP_COST;
}

double fo_engine_spent(const struct fo_engine *e) {
    return e->cost;
}

/* Stops that depend on settings, judged afresh (scale collapse is kept: it
 * was measured on samples that are gone). */
static void reconsider_stop(struct fo_engine *e) {
    if (e->stop == FO_STOP_SCALE)
        return;
    e->stop = FO_STOP_NONE;
    if (e->cfg.has_target && e->has_best && !better(e, e->cfg.target, e->best_value))
        e->stop = FO_STOP_TARGET;
    else if (e->cfg.budget && e->told >= e->cfg.budget)
        e->stop = FO_STOP_BUDGET;
    else if (e->cfg.budget_cost > 0.0 && e->cost >= e->cfg.budget_cost)
        e->stop = FO_STOP_COST;
    else if (e->cfg.patience && e->generation - e->last_improve_gen > e->cfg.patience)
        e->stop = FO_STOP_STALLED;
}

/* The controller's rate, in optimizer.lr's range (PATCH calls it "lr"). */
static enum fo_status check_lr(const struct fo_run_config *c, double lr,
                               struct fo_error *err) {
    struct fo_run_config scratch = *c;
    const struct fo_setting *s = fo_setting_find("optimizer.lr");
    struct fo_setting_value v = {.setting = s, .real = lr};
    if (fo_setting_set(&scratch, &v, NULL) == FO_OK)
        return FO_OK;
    char range[64];
    fo_setting_range_text(s, range, sizeof range);
    return fo_error_set(err, FO_ERANGE, "lr", "lr must be %s, got %.17g", range, lr);
}

enum fo_status fo_engine_tune(struct fo_engine *e, const struct fo_tune *t,
                              struct fo_error *err) {
    struct fo_run_config c = e->cfg;
    enum fo_status st = t->has_lr ? check_lr(&c, t->lr, err) : FO_OK;
    for (size_t i = 0; st == FO_OK && i < t->n && i < FO_SETTING_MAX_LIVE; i++) {
        const struct fo_setting *s = t->set[i].setting;
        if (!(s->flags & FO_SETTING_LIVE))
            return fo_error_set(err, FO_EINVAL, s->name, "%s cannot change on a live run",
                                s->name);
        st = fo_setting_set(&c, &t->set[i], err);
    }
    if (st == FO_OK)
        st = fo__run_config_check(&c, err);
    if (st != FO_OK)
        return st;
    e->cfg = c;
    if (t->has_lr)
        e->lr = t->lr;
    reconsider_stop(e);
    return FO_OK;
}

enum fo_status fo_engine_log_prob(struct fo_engine *e, size_t n, const double *x,
                                  double *log_p, struct fo_error *err) {
    if (n > FO_ENGINE_MAX_ASK)
        return fo_error_set(err, FO_ERANGE, "x", "at most %d points", FO_ENGINE_MAX_ASK);
    if (fo__niche_on(e))
        return fo__niche_log_prob(e, n, x, log_p, err);
    if (fo_flow_wraps(e->flow))
        return fo__circle_log_prob(e, n, x, log_p, err);
    return fo_flow_log_prob(e->flow, n, x, log_p, err);
}

struct fo_flow *fo_engine_flow(struct fo_engine *e) {
    return e->flow;
}

void fo_engine_skip_ids(struct fo_engine *e, uint64_t next_id) {
    if (next_id > e->next_id)
        e->next_id = next_id;
}

uint64_t fo_engine_next_id(const struct fo_engine *e) {
    return e->next_id;
}
