/*
 * durability.c - a run is its latest engine snapshot plus the op log after
 * it. ask and tell append their ops (and the samples and history rows they
 * produce) in one transaction, committed before the call returns; every
 * FO_SNAPSHOT_EVERY updates the snapshot is rewritten and the log trimmed
 * in the same transaction. The engine is deterministic, so loading the
 * snapshot and replaying the log reproduces the run exactly: at start-up,
 * for a parked run's next use, and after a store error (fo__run_rebuild),
 * so memory never runs ahead of what is durable.
 */
#include "service/service_internal.h"
#include "store/runs_db.h"

#include <stdlib.h>
#include <string.h>

/* Save the engine's fo__run_snapshot into a fresh buffer. OUT: *buf (caller frees), *len.
 */
enum fo_status fo__run_snapshot(const struct fo_engine *e, unsigned char **buf,
                                size_t *len, struct fo_error *err) {
    fo_engine_save(e, NULL, 0, len, NULL);
    *buf = malloc(*len);
    if (!*buf)
        return fo_error_set(err, FO_ENOMEM, "run",
                            "out of memory for a fo__run_snapshot");
    return fo_engine_save(e, *buf, *len, len, err);
}

/* Apply one logged op to an engine, as it was applied when acknowledged. */
static int replay(struct fo_engine *e, const struct fo_op *op) {
    fo_engine_spend(e, op->cost); /* before the result, as when it was told */
    switch (op->kind) {
    case FO_OP_ASK: {
        size_t n = (size_t)op->n, D = fo_engine_dim(e);
        struct fo_sample *s = malloc(n * sizeof *s);
        double *x = malloc(n * D * sizeof *x);
        int rc = !s || !x || fo_engine_ask(e, n, s, x, NULL) != FO_OK;
        free(s);
        free(x);
        return rc;
    }
    case FO_OP_TELL:
        return fo_engine_tell_se(e, (uint64_t)op->sample_id, op->value, op->std_error,
                                 NULL, NULL, NULL, NULL) != FO_OK;
    case FO_OP_FAIL:
        return fo_engine_tell_failed(e, (uint64_t)op->sample_id, NULL, NULL, NULL,
                                     NULL) != FO_OK;
    case FO_OP_STEP: return fo_engine_step(e, NULL, NULL) != FO_OK;
    case FO_OP_LOST:
        return fo_engine_tell_lost(e, (uint64_t)op->sample_id, NULL, NULL) != FO_OK;
    case FO_OP_OBSERVE: {
        uint64_t id = 0; /* the same id again, or the log and the run disagree */
        return !op->x || op->dim != fo_engine_dim(e) ||
               fo_engine_observe(e, op->x, op->value, &id, NULL) != FO_OK ||
               id != (uint64_t)op->sample_id;
    }
    }
    return 1;
}

/* Start-up: every run, each rebuilt from its snapshot and ops. */
struct load_ctx {
    struct fo_service *svc;
    struct fo_engine *engine;
    struct fo_error *err;
};

static int on_run(void *p, const char *id, const char *name, const char *state,
                  const unsigned char *snap, size_t len, int64_t seq) {
    (void)seq;
    struct load_ctx *c = p;
    c->engine = NULL;
    if (fo_engine_load(snap, len, &c->engine, c->err) != FO_OK)
        return -1;
    enum fo_run_state rs;
    struct fo_run *r =
        strlen(id) <= FO_RUN_ID_LEN && fo_service_run_state_parse(state, &rs) == 0
            ? fo__run_new(c->engine, name, rs)
            : NULL;
    if (!r) {
        fo_engine_destroy(c->engine);
        return -1;
    }
    strcpy(r->id, id);
    if (fo__registry_add(c->svc, r, c->err) != FO_OK) {
        fo__run_free(r);
        return -1;
    }
    return 0;
}

static int on_op(void *p, const char *id, const struct fo_op *op) {
    (void)id;
    struct load_ctx *c = p;
    return c->engine ? replay(c->engine, op) : 0;
}

enum fo_status fo__service_load_runs(struct fo_service *svc, struct fo_error *err) {
    struct load_ctx c = {svc, NULL, err};
    pthread_rwlock_wrlock(&svc->registry_lock);
    enum fo_status st = fo_store_runs_load(svc->store, on_run, on_op, &c, err);
    pthread_rwlock_unlock(&svc->registry_lock);
    return st;
}

/* One run's engine from the store. The bytes are copied out first, so the
 * replay runs without the store's lock. OUT: *out. */
static enum fo_status load_engine(struct fo_service *svc, const char *id,
                                  struct fo_engine **out, struct fo_error *err) {
    unsigned char *snap = NULL;
    struct fo_op *ops = NULL;
    size_t len = 0, n = 0;
    struct fo_engine *e = NULL;
    enum fo_status st = fo_store_run_fetch(svc->store, id, &snap, &len, &ops, &n, err);
    if (st == FO_OK)
        st = fo_engine_load(snap, len, &e, err);
    for (size_t i = 0; st == FO_OK && i < n; i++)
        if (replay(e, &ops[i]) != 0)
            st = fo_error_set(err, FO_ECORRUPT, "run", "run %s: op %lld does not replay",
                              id, (long long)ops[i].seq);
    free(snap);
    free(ops);
    if (st != FO_OK) {
        fo_engine_destroy(e);
        return st;
    }
    *out = e;
    return FO_OK;
}

/* The engine of a parked run back in memory. */
enum fo_status fo__run_ensure_loaded(struct fo_service *svc, struct fo_run *r,
                                     struct fo_error *err) {
    if (r->engine)
        return FO_OK;
    enum fo_status st = load_engine(svc, r->id, &r->engine, err);
    if (st == FO_OK) {
        free(r->parked);
        r->parked = NULL;
        r->updates_unsaved = 0;
    }
    return st;
}

/* After a failed commit: make memory match the store again. If even that
 * fails, the run is left without an engine and the next request retries. */
void fo__run_rebuild(struct fo_service *svc, struct fo_run *r) {
    struct fo_error ignored;
    struct fo_engine *e = NULL;
    enum fo_status st = load_engine(svc, r->id, &e, &ignored);
    fo_engine_destroy(r->engine);
    r->engine = st == FO_OK ? e : NULL;
    r->updates_unsaved = 0;
}

/* Rewrite the fo__run_snapshot now (after a change the op log does not describe). */
enum fo_status fo__run_save_snapshot(struct fo_service *svc, struct fo_run *r,
                                     struct fo_error *err) {
    unsigned char *snap = NULL;
    size_t len = 0;
    enum fo_status st = fo__run_snapshot(r->engine, &snap, &len, err);
    if (st == FO_OK)
        st = fo_store_run_snapshot(svc->store, r->id, snap, len, -1, err);
    free(snap);
    return st;
}
