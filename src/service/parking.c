/*
 * parking.c - idle runs give their memory back: the janitor parks a run
 * unused for park_idle_s (its snapshot rewritten, the engine freed, a
 * compact view kept for reads); its next use rebuilds it from the store.
 */
#include "service/service_internal.h"
#include "store/samples_db.h"

#include <stdlib.h>
#include <string.h>

struct snapshot_write {
    struct fo_service *svc;
    struct fo_run *r;
};

static enum fo_status write_snapshot(struct fo_store *store, void *ctx,
                                     struct fo_error *err) {
    (void)store;
    const struct snapshot_write *w = ctx;
    return fo__run_save_snapshot(w->svc, w->r, err);
}

/*
 * Give a run's engine back: keep only its view (r locked). A run with
 * samples that can still expire stays, so its janitor pass keeps working.
 * The snapshot is rewritten first, folding the op log, so bringing the run
 * back is a load without replaying updates.
 */
struct fo_parked *fo__parked_of(const struct fo_engine *engine) {
    const struct fo_run_config *cfg = fo_engine_config(engine);
    const size_t D = cfg->flow.dim;
    struct fo_parked *v = malloc(sizeof *v + FO_RUN_CONFIG_ARRAYS(D) * sizeof(double));
    if (!v)
        return NULL;
    fo_run_config_copy(&v->cfg, cfg, v->arrays);
    fo_engine_counters(engine, &v->counters);
    v->has_best = fo_engine_best(engine, NULL, &v->best_value, NULL, NULL) == 0;
    v->stop = fo_engine_stop_reason(engine);
    return v;
}

static int park(struct fo_service *svc, struct fo_run *r) {
    if (!r->engine)
        return 0;
    struct fo_engine_counters c;
    fo_engine_counters(r->engine, &c);
    if (c.pending && fo_engine_config(r->engine)->pending_timeout_s > 0.0)
        return 0;
    int64_t leased = 0; /* leases expire whatever the timeout */
    if (c.pending &&
        (fo_store_leased_pending(svc->store, r->id, &leased, NULL) != FO_OK ||
         leased > 0))
        return 0;
    struct fo_parked *v = fo__parked_of(r->engine);
    struct snapshot_write w = {svc, r};
    if (!v || fo_store_transact(svc->store, write_snapshot, &w, NULL, NULL) != FO_OK) {
        free(v);
        return 0;
    }
    r->updates_unsaved = 0;
    fo_engine_destroy(r->engine);
    r->engine = NULL;
    free(r->parked);
    r->parked = v;
    return 1;
}

/* Is r (locked) loaded and unused since cutoff? */
static int idle(const struct fo_run *r, double cutoff) {
    return !r->deleted && r->engine && r->last_used < cutoff;
}

/*
 * Candidates are picked under the registry's read lock (each with a
 * reference); the snapshots are written after it is released, so a pass
 * that parks many runs never holds up creating or deleting one. A run in
 * use is skipped (trylock): it is not idle.
 */
size_t fo__park_idle_runs(struct fo_service *svc) {
    if (!svc->park_idle_s)
        return 0;
    double cutoff = fo__now_s() - (double)svc->park_idle_s;
    pthread_rwlock_rdlock(&svc->registry_lock);
    struct fo_run **picked = malloc((svc->n_runs ? svc->n_runs : 1) * sizeof *picked);
    size_t n = 0;
    for (size_t i = 0; picked && i < svc->n_runs; i++) {
        struct fo_run *r = svc->runs[i];
        if (pthread_mutex_trylock(&r->lock) != 0)
            continue;
        if (idle(r, cutoff)) {
            atomic_fetch_add(&r->refs, 1);
            picked[n++] = r;
        }
        pthread_mutex_unlock(&r->lock);
    }
    pthread_rwlock_unlock(&svc->registry_lock);
    size_t parked = 0;
    for (size_t i = 0; i < n; i++) {
        struct fo_run *r = picked[i];
        if (pthread_mutex_trylock(&r->lock) == 0) {
            if (idle(r, cutoff))
                parked += (size_t)park(svc, r);
            pthread_mutex_unlock(&r->lock);
        }
        fo__run_unref(r);
    }
    free(picked);
    return parked;
}
