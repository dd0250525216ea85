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
#include "service/service.h"
#include "service/service_internal.h"
#include "store/runs_db.h"

#include "util/log.h"

#include <stdarg.h>
#include <stdio.h>
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

/*
 * Start-up: every run, each rebuilt from its snapshot and ops. A run whose
 * snapshot does not decode, whose log has a hole or whose op does not
 * replay is damaged, not fatal: the others start, it is served read-only
 * as of its last good state (fo_run.damage) and logged at error.
 */
struct load_ctx {
    struct fo_service *svc;
    struct fo_run *run;       /* the run being loaded */
    int64_t expect, next_seq; /* the next op's seq; the end of its log */
    size_t damaged;
    struct fo_error *err;
};

static void damage(struct load_ctx *c, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static void damage(struct load_ctx *c, const char *fmt, ...) {
    struct fo_run *r = c->run;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->damage, sizeof r->damage, fmt, ap);
    va_end(ap);
    if (r->engine) { /* shown as it was before the bad op */
        r->parked = fo__parked_of(r->engine);
        fo_engine_destroy(r->engine);
        r->engine = NULL;
    }
    c->damaged++;
}

/* The previous run's log must have reached its end. */
static void close_run(struct load_ctx *c) {
    if (c->run && !c->run->damage[0] && c->expect != c->next_seq)
        damage(c, "its op log ends at op %lld but the run numbered %lld",
               (long long)c->expect - 1, (long long)c->next_seq - 1);
    c->run = NULL;
}

static int on_run(void *p, const char *id, const char *name, const char *state,
                  const unsigned char *snap, size_t len, int64_t seq, int64_t next_seq) {
    struct load_ctx *c = p;
    close_run(c);
    struct fo_error why = {0};
    struct fo_engine *engine = NULL;
    int loads = fo_engine_load(snap, len, &engine, &why) == FO_OK;
    enum fo_run_state rs = FO_RUN_PAUSED;
    if (strlen(id) > FO_RUN_ID_LEN) {
        fo_engine_destroy(engine);
        return -1;
    }
    int known = fo_service_run_state_parse(state, &rs) == 0;
    struct fo_run *r = fo__run_new(engine, name, rs);
    if (!r) {
        fo_engine_destroy(engine);
        return -1;
    }
    strcpy(r->id, id);
    if (fo__registry_add(c->svc, r, c->err) != FO_OK) {
        fo__run_free(r);
        return -1;
    }
    *c = (struct load_ctx){c->svc, r, seq + 1, next_seq, c->damaged, c->err};
    if (!loads)
        damage(c, "its snapshot does not load (%s)", why.msg);
    else if (!known)
        damage(c, "its stored state '%.40s' is unknown", state ? state : "");
    return 0;
}

static int on_op(void *p, const char *id, const struct fo_op *op) {
    (void)id;
    struct load_ctx *c = p;
    if (!c->run || c->run->damage[0])
        return 0;
    if (op->seq != c->expect)
        damage(c, "its op log has a hole: op %lld follows op %lld", (long long)op->seq,
               (long long)c->expect - 1);
    else if (replay(c->run->engine, op) != 0)
        damage(c, "op %lld does not replay", (long long)op->seq);
    c->expect = op->seq + 1;
    return 0;
}

enum fo_status fo__service_load_runs(struct fo_service *svc, struct fo_error *err) {
    struct load_ctx c = {svc, NULL, 0, 0, 0, err};
    pthread_rwlock_wrlock(&svc->registry_lock);
    enum fo_status st = fo_store_runs_load(svc->store, on_run, on_op, &c, err);
    close_run(&c);
    pthread_rwlock_unlock(&svc->registry_lock);
    return st;
}

size_t fo_service_report_damage(struct fo_service *svc) {
    size_t n = 0;
    pthread_rwlock_rdlock(&svc->registry_lock);
    for (size_t i = 0; i < svc->n_runs; i++) {
        struct fo_run *r = svc->runs[i];
        pthread_mutex_lock(&r->lock);
        if (r->damage[0] && !r->deleted) {
            fo_log_error("run %s is damaged: %s; it is read-only until deleted", r->id,
                         r->damage);
            n++;
        }
        pthread_mutex_unlock(&r->lock);
    }
    pthread_rwlock_unlock(&svc->registry_lock);
    return n;
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
    struct fo_error why = {0};
    if (st == FO_OK && fo_engine_load(snap, len, &e, &why) != FO_OK)
        st = fo_error_set(err, FO_EDAMAGED, "run",
                          "run %s: its snapshot does not load (%s)", id, why.msg);
    for (size_t i = 0; st == FO_OK && i < n; i++)
        if (replay(e, &ops[i]) != 0)
            st = fo_error_set(err, FO_EDAMAGED, "run", "run %s: op %lld does not replay",
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
    if (r->damage[0])
        return fo_error_set(err, FO_ESTATE, "state",
                            "run %s is damaged and read-only (its samples, history and "
                            "checkpoints can be read): %s",
                            r->id, r->damage);
    enum fo_status st = load_engine(svc, r->id, &r->engine, err);
    if (st == FO_EDAMAGED) { /* from now on read-only, as at start-up */
        snprintf(r->damage, sizeof r->damage, "%s", err ? err->msg : "it does not load");
        fo_log_error("run %s is damaged: %s; it is read-only until deleted", r->id,
                     r->damage);
    }
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
