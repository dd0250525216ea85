/*
 * reads.c - the read side of a run: its best, its history, its samples and
 * its current density. History and samples come from the store alone, so
 * reading them leaves a parked run parked.
 */
#include "service/service_internal.h"
#include "store/samples_db.h"
#include "store/steps_db.h"

#include <stdint.h>
#include <string.h>

enum fo_status fo_service_best(struct fo_service *svc, const char *id, double *x,
                               double *value, uint64_t *sample_id, uint64_t *generation,
                               struct fo_error *err) {
    struct fo_run *r = fo__run_acquire(svc, id, err);
    if (!r)
        return FO_ENOTFOUND;
    int rc = fo_engine_best(r->engine, x, value, sample_id, generation);
    fo__run_release(r);
    return rc == 0 ? FO_OK : fo_error_set(err, FO_ENOTFOUND, "best", "nothing told yet");
}

enum fo_status fo_service_recommend(struct fo_service *svc, const char *id, double *x,
                                    struct fo_recommendation *out, struct fo_error *err) {
    struct fo_run *r = fo__run_acquire(svc, id, err);
    if (!r)
        return FO_ENOTFOUND;
    enum fo_status st = fo_engine_recommend(r->engine, x, out, err);
    fo__run_release(r);
    return st;
}

size_t fo_service_modes(struct fo_service *svc, const char *id, size_t cap, double *x,
                        struct fo_mode *out, struct fo_error *err) {
    struct fo_run *r = fo__run_acquire(svc, id, err);
    if (!r)
        return 0;
    size_t n = fo_engine_modes(r->engine, cap, x, out);
    fo__run_release(r);
    return n;
}

struct history_ctx {
    fo_history_fn fn;
    void *ctx;
};

static int on_step_row(void *p, const struct fo_step_row *row) {
    struct history_ctx *h = p;
    struct fo_step_report rep;
    memset(&rep, 0, sizeof rep);
    rep.step = (uint64_t)row->step;
    rep.generation = (uint64_t)row->generation;
    rep.evaluations = (uint64_t)row->evaluations;
    rep.n = (size_t)row->n;
#define COPY(name) rep.name = row->name;
    FO_STEP_REALS(COPY)
#undef COPY
#define COPY_INT(name) rep.name = (uint64_t)row->name;
    FO_STEP_INTS(COPY_INT)
#undef COPY_INT
    rep.events = (unsigned)row->events;
    return h->fn(h->ctx, &rep);
}

enum fo_status fo_service_history(struct fo_service *svc, const char *id, uint64_t after,
                                  uint64_t limit, fo_history_fn fn, void *ctx,
                                  struct fo_error *err) {
    if (!fo__run_exists(svc, id, err))
        return FO_ENOTFOUND;
    struct history_ctx h = {fn, ctx};
    return fo_store_steps(
        svc->store, id, (int64_t)(after > INT64_MAX ? INT64_MAX : after),
        (int64_t)(limit > INT64_MAX ? INT64_MAX : limit), on_step_row, &h, err);
}

struct samples_ctx {
    fo_sample_fn fn;
    void *ctx;
};

static int on_sample_row(void *p, const struct fo_sample_row *row) {
    struct samples_ctx *c = p;
    struct fo_sample_record rec = {(uint64_t)row->id,
                                   (uint64_t)row->generation,
                                   row->x,
                                   row->dim,
                                   row->log_prob,
                                   row->value,
                                   row->status,
                                   row->asked_at,
                                   row->told_at,
                                   row->error,
                                   row->std_error,
                                   row->shots,
                                   (uint64_t)row->reissue_of,
                                   row->client_id,
                                   row->lease_until,
                                   row->cost,
                                   row->metadata,
                                   row->metrics,
                                   row->observed};
    return c->fn(c->ctx, &rec);
}

enum fo_status fo_service_samples(struct fo_service *svc, const char *id,
                                  const char *status, const char *client_id,
                                  int64_t generation, uint64_t after, size_t limit,
                                  fo_sample_fn fn, void *ctx, struct fo_error *err) {
    if (!fo__run_exists(svc, id, err))
        return FO_ENOTFOUND;
    struct samples_ctx c = {fn, ctx};
    return fo_store_samples(svc->store, id, status, client_id, generation,
                            (int64_t)(after > INT64_MAX ? INT64_MAX : after),
                            (int64_t)limit, on_sample_row, &c, err);
}

enum fo_status fo_service_log_prob(struct fo_service *svc, const char *id, size_t n,
                                   const double *x, double *log_p, struct fo_error *err) {
    struct fo_run *r = fo__run_acquire(svc, id, err);
    if (!r)
        return FO_ENOTFOUND;
    enum fo_status st = fo_engine_log_prob(r->engine, n, x, log_p, err);
    fo__run_release(r);
    return st;
}
