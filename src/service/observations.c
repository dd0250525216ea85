/* observations.c - values at points a run did not hand out; see observations.h. */
#include "service/observations.h"
#include "service/names.h"
#include "service/service_internal.h"
#include "store/runs_db.h"
#include "store/samples_db.h"
#include "store/txn.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct observe_write {
    const char *run_id;
    size_t n, D;
    const double *x, *values, *lp;
    const uint64_t *ids;
    int64_t generation;
};

/* One op, one sample row (origin observed, told) per observation. */
static enum fo_status write_observe(struct fo_store *store, void *ctx,
                                    struct fo_error *err) {
    const struct observe_write *w = ctx;
    enum fo_status st = FO_OK;
    for (size_t i = 0; st == FO_OK && i < w->n; i++) {
        struct fo_op op = {.kind = FO_OP_OBSERVE,
                           .sample_id = (int64_t)w->ids[i],
                           .value = w->values[i],
                           .std_error = NAN,
                           .cost = NAN};
        const struct fo_store_new_sample ns = {.id = (int64_t)w->ids[i],
                                               .generation = w->generation,
                                               .x = w->x + i * w->D,
                                               .dim = w->D,
                                               .log_prob = w->lp[i],
                                               .lease_s = NAN,
                                               .observed = 1};
        const struct fo_store_result res = {
            .status = fo_service_record_status_name(FO_RECORD_TOLD),
            .value = w->values[i],
            .std_error = NAN,
            .cost = NAN};
        st = fo_store_ops_append(store, w->run_id, &op, 1, err);
        if (st == FO_OK)
            st = fo_store_sample_insert(store, w->run_id, &ns, err);
        if (st == FO_OK)
            st = fo_store_sample_resolve(store, w->run_id, (int64_t)w->ids[i], &res, err);
    }
    return st;
}

/* Every point inside the bounds, every value finite: before anything. */
static enum fo_status check(const struct fo_run *r, size_t n, const double *x,
                            const double *values, struct fo_error *err) {
    const size_t D = fo_engine_dim(r->engine);
    for (size_t i = 0; i < n; i++) {
        struct fo_error why = {0};
        enum fo_status st = fo_engine_check_point(r->engine, x + i * D, &why);
        if (st != FO_OK)
            return fo_error_set(err, st, "x", "observations[%zu]: %s", i, why.msg);
        if (!isfinite(values[i]))
            return fo_error_set(err, FO_ERANGE, "value",
                                "observations[%zu].value must be finite", i);
    }
    return FO_OK;
}

enum fo_status fo_service_observe(struct fo_service *svc, const char *id, size_t n,
                                  const double *x, const double *values, uint64_t *ids,
                                  struct fo_error *err) {
    if (n < 1 || n > FO_MAX_OBSERVATIONS)
        return fo_error_set(err, FO_ERANGE, "observations",
                            "observations holds 1 to %d values, got %zu",
                            FO_MAX_OBSERVATIONS, n);
    struct fo_run *r = fo__run_acquire(svc, id, err);
    if (!r)
        return FO_ENOTFOUND;
    enum fo_status st =
        r->state == FO_RUN_FINISHED
            ? fo_error_set(err, FO_ESTATE, "state", "run %s is finished", r->id)
            : check(r, n, x, values, err);
    const size_t D = fo_engine_dim(r->engine);
    double *lp = st == FO_OK ? malloc(n * sizeof *lp) : NULL;
    if (st == FO_OK && !lp)
        st = fo_error_set(err, FO_ENOMEM, "observations", "out of memory");
    struct fo_engine_counters c;
    fo_engine_counters(r->engine, &c);
    /* the density the run gave each point when it was observed */
    if (st == FO_OK && fo_engine_log_prob(r->engine, n, x, lp, NULL) != FO_OK)
        for (size_t i = 0; i < n; i++)
            lp[i] = 0.0;
    for (size_t i = 0; st == FO_OK && i < n; i++) {
        lp[i] = isfinite(lp[i]) ? lp[i] : -1e300;
        st = fo_engine_observe(r->engine, x + i * D, values[i], &ids[i], err);
    }
    uint64_t ticket = 0;
    if (st == FO_OK) {
        struct observe_write w = {r->id, n, D, x, values, lp, ids, (int64_t)c.generation};
        st = fo_store_transact(svc->store, write_observe, &w, &ticket, err);
    }
    if (st != FO_OK && lp) /* the engine moved: back to what the store holds */
        fo__run_rebuild(svc, r);
    free(lp);
    fo__run_release(r);
    return st == FO_OK ? fo_store_wait(svc->store, ticket, err) : st;
}
