/*
 * runs.c - the registry of runs and the durable ask/tell path; see runs.h.
 *
 * Durability: a run is its latest engine snapshot plus the op log after it.
 * ask and tell append their ops (and the samples and history rows they
 * produce) in one transaction, committed before the call returns; after an
 * update the snapshot is rewritten and the log trimmed in the same
 * transaction. The engine is deterministic, so loading the snapshot and
 * replaying the log reproduces the run exactly, after a crash as after a
 * store error (which rebuilds the run the same way).
 */
#include "service/service_internal.h"
#include "store/runs_db.h"

#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void run_free(struct fo_run *r) {
    if (!r)
        return;
    fo_engine_destroy(r->engine);
    pthread_mutex_destroy(&r->lock);
    free(r);
}

void fo__service_free_runs(struct fo_service *svc) {
    for (size_t i = 0; i < svc->n_runs; i++)
        run_free(svc->runs[i]);
    free(svc->runs);
    svc->runs = NULL;
    svc->n_runs = svc->cap_runs = 0;
}

/* Add r to the registry (caller holds the write lock). */
static enum fo_status registry_add(struct fo_service *svc, struct fo_run *r,
                                   struct fo_error *err) {
    if (svc->n_runs == svc->cap_runs) {
        size_t cap = svc->cap_runs ? 2 * svc->cap_runs : 16;
        struct fo_run **grown = realloc(svc->runs, cap * sizeof *grown);
        if (!grown)
            return fo_error_set(err, FO_ENOMEM, "run",
                                "out of memory for the run registry");
        svc->runs = grown;
        svc->cap_runs = cap;
    }
    svc->runs[svc->n_runs++] = r;
    return FO_OK;
}

/* The run called id, locked; NULL (and FO_ENOTFOUND in err) when unknown. */
static struct fo_run *acquire(struct fo_service *svc, const char *id,
                              struct fo_error *err) {
    struct fo_run *found = NULL;
    pthread_rwlock_rdlock(&svc->registry_lock);
    for (size_t i = 0; id && i < svc->n_runs && !found; i++)
        if (strcmp(svc->runs[i]->id, id) == 0)
            found = svc->runs[i];
    pthread_rwlock_unlock(&svc->registry_lock);
    if (!found) {
        fo_error_set(err, FO_ENOTFOUND, "id", "no run %.64s", id ? id : "");
        return NULL;
    }
    pthread_mutex_lock(&found->lock);
    return found;
}

static void release(struct fo_run *r) {
    pthread_mutex_unlock(&r->lock);
}

/* 16 lowercase hex digits from the kernel's random source. */
static int new_id(char *id) {
    unsigned char b[FO_RUN_ID_LEN / 2];
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    ssize_t got = fd >= 0 ? read(fd, b, sizeof b) : -1;
    if (fd >= 0)
        close(fd);
    if (got != (ssize_t)sizeof b)
        return -1;
    for (size_t i = 0; i < sizeof b; i++)
        snprintf(id + 2 * i, 3, "%02x", b[i]);
    return 0;
}

/* Save the engine's snapshot into a fresh buffer. OUT: *buf (caller frees), *len. */
static enum fo_status snapshot(const struct fo_engine *e, unsigned char **buf,
                               size_t *len, struct fo_error *err) {
    fo_engine_save(e, NULL, 0, len, NULL);
    *buf = malloc(*len);
    if (!*buf)
        return fo_error_set(err, FO_ENOMEM, "run", "out of memory for a snapshot");
    return fo_engine_save(e, *buf, *len, len, err);
}

/*
 * Register a new run around engine (taken over, freed on failure too):
 * a fresh id, the row with its first snapshot, then the registry.
 */
static enum fo_status adopt(struct fo_service *svc, struct fo_engine *engine,
                            const char *name, char *id, struct fo_error *err) {
    if (name && strlen(name) > FO_RUN_NAME_MAX) {
        fo_engine_destroy(engine);
        return fo_error_set(err, FO_ERANGE, "name", "name longer than %d bytes",
                            FO_RUN_NAME_MAX);
    }
    struct fo_run *r = calloc(1, sizeof *r);
    if (!r) {
        fo_engine_destroy(engine);
        return fo_error_set(err, FO_ENOMEM, "run", "out of memory creating a run");
    }
    pthread_mutex_init(&r->lock, NULL);
    snprintf(r->name, sizeof r->name, "%s", name ? name : "");
    strcpy(r->state, "active");
    r->engine = engine;
    enum fo_status st = FO_OK;
    if (new_id(r->id) != 0)
        st = fo_error_set(err, FO_EIO, "run", "no random source for a run id");
    unsigned char *snap = NULL;
    size_t len = 0;
    if (st == FO_OK)
        st = snapshot(r->engine, &snap, &len, err);
    if (st == FO_OK && (st = fo_store_begin(svc->store, err)) == FO_OK) {
        st = fo_store_run_insert(svc->store, r->id, name, (int64_t)fo_engine_dim(engine),
                                 snap, len, err);
        if (st == FO_OK)
            st = fo_store_commit(svc->store, err);
        else
            fo_store_rollback(svc->store);
    }
    free(snap);
    if (st == FO_OK) {
        pthread_rwlock_wrlock(&svc->registry_lock);
        st = registry_add(svc, r, err);
        pthread_rwlock_unlock(&svc->registry_lock);
    }
    if (st != FO_OK) {
        run_free(r);
        return st;
    }
    memcpy(id, r->id, FO_RUN_ID_LEN + 1);
    return FO_OK;
}

enum fo_status fo_service_run_create(struct fo_service *svc,
                                     const struct fo_run_config *cfg, const char *name,
                                     char *id, struct fo_error *err) {
    struct fo_engine *engine = NULL;
    enum fo_status st = fo_engine_create(cfg, &engine, err);
    return st == FO_OK ? adopt(svc, engine, name, id, err) : st;
}

/* Apply one logged op to an engine, as it was applied when acknowledged. */
static int replay(struct fo_engine *e, const struct fo_op *op) {
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
        return fo_engine_tell(e, (uint64_t)op->sample_id, op->value, NULL, NULL, NULL,
                              NULL) != FO_OK;
    case FO_OP_FAIL:
        return fo_engine_tell_failed(e, (uint64_t)op->sample_id, NULL, NULL, NULL,
                                     NULL) != FO_OK;
    case FO_OP_STEP: return fo_engine_step(e, NULL, NULL) != FO_OK;
    }
    return 1;
}

struct load_ctx {
    struct fo_service *svc;
    struct fo_run *target; /* rebuild one run (NULL: load every run) */
    struct fo_engine *engine;
    struct fo_error *err;
};

static int on_run(void *p, const char *id, const char *name, const char *state,
                  const unsigned char *snap, size_t len, int64_t seq) {
    (void)seq;
    struct load_ctx *c = p;
    c->engine = NULL;
    if (c->target && strcmp(c->target->id, id) != 0)
        return 0; /* not the run being rebuilt: skip, and skip its ops */
    if (fo_engine_load(snap, len, &c->engine, c->err) != FO_OK)
        return -1;
    if (c->target) {
        fo_engine_destroy(c->target->engine);
        c->target->engine = c->engine;
        return 0;
    }
    struct fo_run *r = calloc(1, sizeof *r);
    if (!r || strlen(id) > FO_RUN_ID_LEN) {
        free(r);
        fo_engine_destroy(c->engine);
        return -1;
    }
    pthread_mutex_init(&r->lock, NULL);
    strcpy(r->id, id);
    snprintf(r->name, sizeof r->name, "%s", name ? name : "");
    snprintf(r->state, sizeof r->state, "%s", state ? state : "active");
    r->engine = c->engine;
    if (registry_add(c->svc, r, c->err) != FO_OK) {
        run_free(r);
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
    struct load_ctx c = {svc, NULL, NULL, err};
    pthread_rwlock_wrlock(&svc->registry_lock);
    enum fo_status st = fo_store_runs_load(svc->store, on_run, on_op, &c, err);
    pthread_rwlock_unlock(&svc->registry_lock);
    return st;
}

/* After a failed commit: make memory match the store again. */
static void rebuild(struct fo_service *svc, struct fo_run *r) {
    struct fo_error ignored;
    struct load_ctx c = {svc, r, NULL, &ignored};
    fo_store_runs_load(svc->store, on_run, on_op, &c, &ignored);
}

enum fo_status fo_service_run_view(struct fo_service *svc, const char *id,
                                   struct fo_run_view *v, struct fo_error *err) {
    struct fo_run *r = acquire(svc, id, err);
    if (!r)
        return FO_ENOTFOUND;
    memcpy(v->id, r->id, sizeof v->id);
    memcpy(v->name, r->name, sizeof v->name);
    memcpy(v->state, r->state, sizeof v->state);
    v->cfg = *fo_engine_config(r->engine);
    size_t D = fo_engine_dim(r->engine);
    memcpy(v->lo, v->cfg.flow.lo, D * sizeof(double));
    memcpy(v->hi, v->cfg.flow.hi, D * sizeof(double));
    v->cfg.flow.lo = v->lo;
    v->cfg.flow.hi = v->hi;
    fo_engine_counters(r->engine, &v->counters);
    v->has_best = fo_engine_best(r->engine, NULL, &v->best_value, NULL, NULL) == 0;
    v->stop = fo_engine_stop_reason(r->engine);
    release(r);
    return FO_OK;
}

enum fo_status fo_service_run_counters(struct fo_service *svc, const char *id,
                                       struct fo_engine_counters *out,
                                       struct fo_error *err) {
    struct fo_run *r = acquire(svc, id, err);
    if (!r)
        return FO_ENOTFOUND;
    fo_engine_counters(r->engine, out);
    release(r);
    return FO_OK;
}

size_t fo_service_run_dim(struct fo_service *svc, const char *id) {
    struct fo_run *r = acquire(svc, id, NULL);
    if (!r)
        return 0;
    size_t dim = fo_engine_dim(r->engine);
    release(r);
    return dim;
}

static enum fo_status log_ask(struct fo_service *svc, struct fo_run *r, size_t n,
                              const char *key, const struct fo_sample *s, const double *x,
                              struct fo_error *err) {
    const size_t D = fo_engine_dim(r->engine);
    struct fo_op op = {0, FO_OP_ASK, (int64_t)n, 0, 0.0};
    enum fo_status st = fo_store_begin(svc->store, err);
    if (st != FO_OK)
        return st;
    st = fo_store_op_append(svc->store, r->id, &op, err);
    if (st == FO_OK && key)
        st = fo_store_ask_key_insert(svc->store, r->id, key, (int64_t)s[0].id, (int64_t)n,
                                     err);
    for (size_t i = 0; st == FO_OK && i < n; i++)
        st = fo_store_sample_insert(svc->store, r->id, (int64_t)s[i].id,
                                    (int64_t)s[i].generation, x + i * D, D, s[i].log_prob,
                                    err);
    if (st != FO_OK) {
        fo_store_rollback(svc->store);
        return st;
    }
    return fo_store_commit(svc->store, err);
}

struct replay_ctx {
    struct fo_sample *samples;
    double *x;
    size_t dim, count;
    uint64_t first;
};

static int on_replayed(void *p, const struct fo_sample_row *row) {
    struct replay_ctx *c = p;
    size_t i = (size_t)((uint64_t)row->id - c->first);
    c->samples[i].id = (uint64_t)row->id;
    c->samples[i].generation = (uint64_t)row->generation;
    c->samples[i].log_prob = row->log_prob;
    memcpy(c->x + i * c->dim, row->x, c->dim * sizeof(double));
    c->count++;
    return 0;
}

/* The samples a keyed ask already handed out; FO_ENOTFOUND when the key is new. */
static enum fo_status replay_key(struct fo_service *svc, struct fo_run *r, size_t n,
                                 const char *key, struct fo_sample *samples, double *x,
                                 struct fo_error *err) {
    int64_t first = 0, count = 0;
    enum fo_status st = fo_store_ask_key_get(svc->store, r->id, key, &first, &count, err);
    if (st != FO_OK)
        return st;
    if ((size_t)count != n)
        return fo_error_set(err, FO_ECONFLICT, "Idempotency-Key",
                            "this key was used for an ask of %lld samples",
                            (long long)count);
    struct replay_ctx c = {samples, x, fo_engine_dim(r->engine), 0, (uint64_t)first};
    st = fo_store_samples(svc->store, r->id, NULL, -1, first - 1, count, on_replayed, &c,
                          err);
    if (st == FO_OK && c.count != n)
        st = fo_error_set(err, FO_ECORRUPT, "Idempotency-Key",
                          "the key's samples are gone");
    return st;
}

enum fo_status fo_service_ask(struct fo_service *svc, const char *id, size_t n,
                              const char *key, struct fo_sample *samples, double *x,
                              struct fo_error *err) {
    struct fo_run *r = acquire(svc, id, err);
    if (!r)
        return FO_ENOTFOUND;
    if (key) {
        enum fo_status kst = replay_key(svc, r, n, key, samples, x, err);
        if (kst != FO_ENOTFOUND) {
            release(r);
            return kst;
        }
        fo_error_clear(err);
    }
    enum fo_status st =
        strcmp(r->state, "active") == 0
            ? fo_engine_ask(r->engine, n, samples, x, err)
            : fo_error_set(err, FO_ESTATE, "state",
                           "run %s is %s: it hands out no samples", r->id, r->state);
    if (st == FO_OK && (st = log_ask(svc, r, n, key, samples, x, err)) != FO_OK)
        rebuild(svc, r);
    release(r);
    return st;
}

/*
 * Check a whole tell request against the run. OUT: dup[i] = 1 for items
 * that repeat what is recorded (in the run or earlier in the request).
 */
/*
 * A sample's recorded result, from the engine while it holds the sample,
 * else from the store (samples leave the engine once outside the reuse
 * window, but a repeated tell must stay a no-op forever).
 */
static enum fo_status recorded(struct fo_service *svc, const struct fo_run *r,
                               uint64_t id, int *status, double *value,
                               struct fo_error *err) {
    enum fo_status st = fo_engine_sample_state(r->engine, id, status, value, err);
    if (st != FO_ESTATE)
        return st;
    char text[16];
    st = fo_store_sample_state(svc->store, r->id, (int64_t)id, text, sizeof text, value,
                               err);
    if (st == FO_OK)
        *status = strcmp(text, "told") == 0      ? FO_SAMPLE_TOLD
                  : strcmp(text, "pending") == 0 ? FO_SAMPLE_PENDING
                                                 : FO_SAMPLE_FAILED;
    if (st == FO_OK && *status == FO_SAMPLE_PENDING)
        st = fo_error_set(err, FO_ECORRUPT, "id",
                          "sample %llu is pending in the store only",
                          (unsigned long long)id);
    return st;
}

static enum fo_status check_tells(struct fo_service *svc, const struct fo_run *r,
                                  const struct fo_tell_item *items, size_t n,
                                  unsigned char *dup, struct fo_error *err) {
    for (size_t i = 0; i < n; i++) {
        const struct fo_tell_item *it = &items[i];
        if (!it->failed && !isfinite(it->value))
            return fo_error_set(err, FO_ERANGE, "value",
                                "results[%zu]: value must be a finite number", i);
        int status;
        double value;
        enum fo_status st = recorded(svc, r, it->id, &status, &value, err);
        if (st != FO_OK)
            return st;
        for (size_t j = 0; j < i && status == FO_SAMPLE_PENDING; j++)
            if (items[j].id == it->id) {
                status = items[j].failed ? FO_SAMPLE_FAILED : FO_SAMPLE_TOLD;
                value = items[j].value;
            }
        dup[i] = status != FO_SAMPLE_PENDING;
        int same = it->failed ? status == FO_SAMPLE_FAILED
                              : status == FO_SAMPLE_TOLD && value == it->value;
        if (dup[i] && !same)
            return fo_error_set(err, FO_ECONFLICT, "results",
                                "results[%zu]: sample %llu already has another result", i,
                                (unsigned long long)it->id);
    }
    return FO_OK;
}

static struct fo_step_row to_row(const struct fo_step_report *p) {
    struct fo_step_row r = {(int64_t)p->step,
                            (int64_t)p->generation,
                            (int64_t)p->evaluations,
                            (int64_t)p->n,
                            p->mean,
                            p->median,
                            p->best,
                            p->best_ever,
                            p->entropy,
                            p->grad_norm,
                            p->kl,
                            p->lr,
                            p->ess,
                            (int64_t)p->events};
    return r;
}

/* Apply the new results to the engine and the store, in one transaction. */
static enum fo_status apply_tells(struct fo_service *svc, struct fo_run *r,
                                  const struct fo_tell_item *items, size_t n,
                                  const unsigned char *dup,
                                  struct fo_step_report *reports,
                                  struct fo_tell_outcome *out, struct fo_error *err) {
    enum fo_status st = fo_store_begin(svc->store, err);
    int64_t last_seq = 0;
    for (size_t i = 0; st == FO_OK && i < n; i++) {
        const struct fo_tell_item *it = &items[i];
        if (dup[i]) {
            out->duplicates++;
            continue;
        }
        int updated = 0;
        struct fo_step_report *rep = &reports[out->n_reports];
        st = it->failed
                 ? fo_engine_tell_failed(r->engine, it->id, NULL, &updated, rep, err)
                 : fo_engine_tell(r->engine, it->id, it->value, NULL, &updated, rep, err);
        struct fo_op op = {0, it->failed ? FO_OP_FAIL : FO_OP_TELL, 0, (int64_t)it->id,
                           it->value};
        if (st == FO_OK)
            st = fo_store_op_append(svc->store, r->id, &op, err);
        if (st == FO_OK)
            st = fo_store_sample_resolve(svc->store, r->id, (int64_t)it->id,
                                         it->expired  ? "expired"
                                         : it->failed ? "failed"
                                                      : "told",
                                         it->value, it->error, err);
        if (st == FO_OK && updated) {
            if (it->expired)
                rep->events |= FO_EVENT_EXPIRED;
            struct fo_step_row row = to_row(rep);
            st = fo_store_step_insert(svc->store, r->id, &row, err);
            out->n_reports++;
        }
        last_seq = op.seq;
        out->accepted += st == FO_OK;
    }
    /* The op log alone reproduces the run; a snapshot only bounds how much
     * a restart replays, so it is rewritten every FO_SNAPSHOT_EVERY updates. */
    if (st == FO_OK && out->n_reports &&
        (r->updates_unsaved += out->n_reports) >= FO_SNAPSHOT_EVERY) {
        r->updates_unsaved = 0;
        unsigned char *snap = NULL;
        size_t len = 0;
        st = snapshot(r->engine, &snap, &len, err);
        if (st == FO_OK)
            st = fo_store_run_snapshot(svc->store, r->id, snap, len, last_seq, err);
        free(snap);
    }
    if (st != FO_OK) {
        fo_store_rollback(svc->store);
        return st;
    }
    return fo_store_commit(svc->store, err);
}

enum fo_status fo_service_tell(struct fo_service *svc, const char *id,
                               const struct fo_tell_item *items, size_t n,
                               struct fo_step_report *reports,
                               struct fo_tell_outcome *outcome, struct fo_error *err) {
    memset(outcome, 0, sizeof *outcome);
    unsigned char *dup = calloc(n ? n : 1, 1);
    if (!dup)
        return fo_error_set(err, FO_ENOMEM, "results", "out of memory");
    struct fo_run *r = acquire(svc, id, err);
    if (!r) {
        free(dup);
        return FO_ENOTFOUND;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    enum fo_status st = check_tells(svc, r, items, n, dup, err);
    if (st == FO_OK &&
        (st = apply_tells(svc, r, items, n, dup, reports, outcome, err)) != FO_OK) {
        rebuild(svc, r);
        memset(outcome, 0, sizeof *outcome);
    }
    release(r);
    free(dup);
    if (st == FO_OK && outcome->n_reports) {
        clock_gettime(CLOCK_MONOTONIC, &t1);
        pthread_mutex_lock(&svc->stats_lock);
        svc->update_seconds +=
            (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
        svc->timed_updates += outcome->n_reports;
        pthread_mutex_unlock(&svc->stats_lock);
    }
    return st;
}

enum fo_status fo_service_best(struct fo_service *svc, const char *id, double *x,
                               double *value, uint64_t *sample_id, uint64_t *generation,
                               struct fo_error *err) {
    struct fo_run *r = acquire(svc, id, err);
    if (!r)
        return FO_ENOTFOUND;
    int rc = fo_engine_best(r->engine, x, value, sample_id, generation);
    release(r);
    return rc == 0 ? FO_OK : fo_error_set(err, FO_ENOTFOUND, "best", "nothing told yet");
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
    rep.mean = row->mean;
    rep.median = row->median;
    rep.best = row->best;
    rep.best_ever = row->best_ever;
    rep.entropy = row->entropy;
    rep.grad_norm = row->grad_norm;
    rep.kl = row->kl;
    rep.lr = row->lr;
    rep.ess = row->ess;
    rep.events = (unsigned)row->events;
    return h->fn(h->ctx, &rep);
}

enum fo_status fo_service_history(struct fo_service *svc, const char *id, uint64_t after,
                                  uint64_t limit, fo_history_fn fn, void *ctx,
                                  struct fo_error *err) {
    struct fo_run *r = acquire(svc, id, err);
    if (!r)
        return FO_ENOTFOUND;
    release(r);
    struct history_ctx h = {fn, ctx};
    return fo_store_steps(
        svc->store, id, (int64_t)(after > INT64_MAX ? INT64_MAX : after),
        (int64_t)(limit > INT64_MAX ? INT64_MAX : limit), on_step_row, &h, err);
}

/* Rewrite the snapshot now (after a change the op log does not describe). */
static enum fo_status save_snapshot(struct fo_service *svc, struct fo_run *r,
                                    struct fo_error *err) {
    unsigned char *snap = NULL;
    size_t len = 0;
    enum fo_status st = snapshot(r->engine, &snap, &len, err);
    if (st == FO_OK)
        st = fo_store_run_snapshot(svc->store, r->id, snap, len, -1, err);
    free(snap);
    return st;
}

enum fo_status fo_service_step(struct fo_service *svc, const char *id,
                               struct fo_step_report *report, struct fo_error *err) {
    struct fo_run *r = acquire(svc, id, err);
    if (!r)
        return FO_ENOTFOUND;
    enum fo_status st = fo_store_begin(svc->store, err);
    if (st == FO_OK) {
        struct fo_op op = {0, FO_OP_STEP, 0, 0, 0.0};
        st = fo_engine_step(r->engine, report, err);
        if (st == FO_OK)
            st = fo_store_op_append(svc->store, r->id, &op, err);
        struct fo_step_row row = to_row(report);
        if (st == FO_OK)
            st = fo_store_step_insert(svc->store, r->id, &row, err);
        if (st == FO_OK)
            st = save_snapshot(svc, r, err);
        if (st == FO_OK)
            st = fo_store_commit(svc->store, err);
        else
            fo_store_rollback(svc->store);
        if (st != FO_OK)
            rebuild(svc, r);
    }
    release(r);
    return st;
}

enum fo_status fo_service_run_patch(struct fo_service *svc, const char *id,
                                    const char *name, const char *state, double lr,
                                    struct fo_error *err) {
    if (name && strlen(name) > FO_RUN_NAME_MAX)
        return fo_error_set(err, FO_ERANGE, "name", "name longer than %d bytes",
                            FO_RUN_NAME_MAX);
    if (state && strcmp(state, "active") && strcmp(state, "paused") &&
        strcmp(state, "finished"))
        return fo_error_set(err, FO_EINVAL, "state",
                            "state must be active, paused or finished");
    if (!isnan(lr) && !(isfinite(lr) && lr > 0.0 && lr <= 100.0))
        return fo_error_set(err, FO_ERANGE, "lr", "lr must be in (0, 100]");
    struct fo_run *r = acquire(svc, id, err);
    if (!r)
        return FO_ENOTFOUND;
    double old_lr = fo_engine_lr(r->engine);
    if (!isnan(lr))
        fo_engine_set_lr(r->engine, lr);
    enum fo_status st = fo_store_begin(svc->store, err);
    if (st == FO_OK) {
        st = fo_store_run_update(svc->store, r->id, name, state, err);
        if (st == FO_OK && !isnan(lr))
            st = save_snapshot(svc, r, err);
        if (st == FO_OK)
            st = fo_store_commit(svc->store, err);
        else
            fo_store_rollback(svc->store);
    }
    if (st == FO_OK) {
        if (name)
            snprintf(r->name, sizeof r->name, "%s", name);
        if (state)
            snprintf(r->state, sizeof r->state, "%s", state);
    } else {
        fo_engine_set_lr(r->engine, old_lr);
    }
    release(r);
    return st;
}

enum fo_status fo_service_run_delete(struct fo_service *svc, const char *id,
                                     struct fo_error *err) {
    pthread_rwlock_wrlock(&svc->registry_lock);
    size_t i = 0;
    while (i < svc->n_runs && strcmp(svc->runs[i]->id, id ? id : "") != 0)
        i++;
    if (i == svc->n_runs) {
        pthread_rwlock_unlock(&svc->registry_lock);
        return fo_error_set(err, FO_ENOTFOUND, "id", "no run %.64s", id ? id : "");
    }
    struct fo_run *r = svc->runs[i];
    enum fo_status st = fo_store_begin(svc->store, err);
    if (st == FO_OK) {
        st = fo_store_run_delete(svc->store, r->id, err);
        if (st == FO_OK)
            st = fo_store_commit(svc->store, err);
        else
            fo_store_rollback(svc->store);
    }
    if (st == FO_OK) {
        svc->runs[i] = svc->runs[--svc->n_runs];
        /* wait for any request still holding the run, then free it */
        pthread_mutex_lock(&r->lock);
        pthread_mutex_unlock(&r->lock);
        run_free(r);
    }
    pthread_rwlock_unlock(&svc->registry_lock);
    return st;
}

struct id_page {
    char (*ids)[FO_RUN_ID_LEN + 1];
    size_t n, cap;
};

static int collect_id(void *p, const char *id) {
    struct id_page *page = p;
    if (page->n < page->cap && strlen(id) <= FO_RUN_ID_LEN)
        strcpy(page->ids[page->n++], id);
    return 0;
}

/*
 * The ids are copied out before fn runs: fn takes run locks, and holding
 * the store's lock meanwhile would invert the order every other path uses
 * (registry, then run, then store) and could deadlock against a tell.
 */
enum fo_status fo_service_run_ids(struct fo_service *svc, const char *after, size_t limit,
                                  fo_run_id_fn fn, void *ctx, struct fo_error *err) {
    struct id_page page = {calloc(limit ? limit : 1, sizeof *page.ids), 0, limit};
    if (!page.ids)
        return fo_error_set(err, FO_ENOMEM, "limit", "out of memory");
    enum fo_status st =
        fo_store_run_ids(svc->store, after, (int64_t)limit, collect_id, &page, err);
    for (size_t i = 0; st == FO_OK && i < page.n; i++)
        if (fn(ctx, page.ids[i]) != 0)
            break;
    free(page.ids);
    return st;
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
                                   row->error};
    return c->fn(c->ctx, &rec);
}

enum fo_status fo_service_samples(struct fo_service *svc, const char *id,
                                  const char *status, int64_t generation, uint64_t after,
                                  size_t limit, fo_sample_fn fn, void *ctx,
                                  struct fo_error *err) {
    struct fo_run *r = acquire(svc, id, err);
    if (!r)
        return FO_ENOTFOUND;
    release(r);
    struct samples_ctx c = {fn, ctx};
    return fo_store_samples(svc->store, id, status, generation,
                            (int64_t)(after > INT64_MAX ? INT64_MAX : after),
                            (int64_t)limit, on_sample_row, &c, err);
}

enum fo_status fo_service_log_prob(struct fo_service *svc, const char *id, size_t n,
                                   const double *x, double *log_p, struct fo_error *err) {
    struct fo_run *r = acquire(svc, id, err);
    if (!r)
        return FO_ENOTFOUND;
    enum fo_status st = fo_flow_log_prob(fo_engine_flow(r->engine), n, x, log_p, err);
    release(r);
    return st;
}

enum fo_status fo_service_checkpoint_create(struct fo_service *svc, const char *id,
                                            uint64_t *cid, struct fo_error *err) {
    struct fo_run *r = acquire(svc, id, err);
    if (!r)
        return FO_ENOTFOUND;
    unsigned char *snap = NULL;
    size_t len = 0;
    int64_t c = 0;
    enum fo_status st = snapshot(r->engine, &snap, &len, err);
    if (st == FO_OK && (st = fo_store_begin(svc->store, err)) == FO_OK) {
        st = fo_store_checkpoint_insert(svc->store, r->id, snap, len, &c, err);
        if (st == FO_OK && svc->checkpoint_retention)
            st = fo_store_checkpoints_trim(svc->store, r->id,
                                           (int64_t)svc->checkpoint_retention, err);
        if (st == FO_OK)
            st = fo_store_commit(svc->store, err);
        else
            fo_store_rollback(svc->store);
    }
    free(snap);
    release(r);
    *cid = (uint64_t)c;
    return st;
}

enum fo_status fo_service_checkpoints(struct fo_service *svc, const char *id,
                                      fo_checkpoint_info_fn fn, void *ctx,
                                      struct fo_error *err) {
    struct fo_run *r = acquire(svc, id, err);
    if (!r)
        return FO_ENOTFOUND;
    release(r);
    return fo_store_checkpoints(svc->store, id, (fo_checkpoint_fn)fn, ctx, err);
}

enum fo_status fo_service_checkpoint_bytes(struct fo_service *svc, const char *id,
                                           uint64_t cid, unsigned char **bytes,
                                           size_t *len, struct fo_error *err) {
    struct fo_run *r = acquire(svc, id, err);
    if (!r)
        return FO_ENOTFOUND;
    release(r);
    return fo_store_checkpoint_get(svc->store, id, (int64_t)cid, bytes, len, err);
}

enum fo_status fo_service_checkpoint_restore(struct fo_service *svc, const char *id,
                                             uint64_t cid, struct fo_error *err) {
    unsigned char *bytes = NULL;
    size_t len = 0;
    struct fo_engine *engine = NULL;
    enum fo_status st = fo_service_checkpoint_bytes(svc, id, cid, &bytes, &len, err);
    if (st == FO_OK)
        st = fo_engine_load(bytes, len, &engine, err);
    free(bytes);
    struct fo_run *r = st == FO_OK ? acquire(svc, id, err) : NULL;
    if (!r) {
        fo_engine_destroy(engine);
        return st == FO_OK ? FO_ENOTFOUND : st;
    }
    /* sample ids stay unique: the restored run continues after the last one asked */
    fo_engine_skip_ids(engine, fo_engine_next_id(r->engine));
    struct fo_engine *old = r->engine;
    r->engine = engine;
    if ((st = fo_store_begin(svc->store, err)) == FO_OK) {
        struct fo_engine_counters c;
        fo_engine_counters(engine, &c);
        st = save_snapshot(svc, r, err);
        if (st == FO_OK)
            st = fo_store_steps_truncate(svc->store, r->id, (int64_t)c.updates, err);
        if (st == FO_OK)
            st = fo_store_commit(svc->store, err);
        else
            fo_store_rollback(svc->store);
    }
    if (st == FO_OK) {
        fo_engine_destroy(old);
    } else {
        r->engine = old;
        fo_engine_destroy(engine);
    }
    release(r);
    return st;
}

enum fo_status fo_service_fork(struct fo_service *svc, const char *id, uint64_t cid,
                               const char *name, char *new_id_out, struct fo_error *err) {
    unsigned char *bytes = NULL;
    size_t len = 0;
    enum fo_status st;
    if (cid) {
        st = fo_service_checkpoint_bytes(svc, id, cid, &bytes, &len, err);
    } else {
        struct fo_run *r = acquire(svc, id, err);
        if (!r)
            return FO_ENOTFOUND;
        st = snapshot(r->engine, &bytes, &len, err);
        release(r);
    }
    if (st != FO_OK) {
        free(bytes);
        return st;
    }
    st = fo_service_import(svc, bytes, len, name, new_id_out, err);
    free(bytes);
    return st;
}

enum fo_status fo_service_import(struct fo_service *svc, const unsigned char *bytes,
                                 size_t len, const char *name, char *new_id_out,
                                 struct fo_error *err) {
    struct fo_engine *engine = NULL;
    enum fo_status st = fo_engine_load(bytes, len, &engine, err);
    return st == FO_OK ? adopt(svc, engine, name, new_id_out, err) : st;
}

void fo_service_stats(struct fo_service *svc, struct fo_service_stats *out) {
    memset(out, 0, sizeof *out);
    pthread_rwlock_rdlock(&svc->registry_lock);
    for (size_t i = 0; i < svc->n_runs; i++) {
        struct fo_run *r = svc->runs[i];
        pthread_mutex_lock(&r->lock);
        struct fo_engine_counters c;
        fo_engine_counters(r->engine, &c);
        out->runs_active += strcmp(r->state, "active") == 0;
        out->runs_paused += strcmp(r->state, "paused") == 0;
        out->runs_finished += strcmp(r->state, "finished") == 0;
        pthread_mutex_unlock(&r->lock);
        out->pending += c.pending;
        out->updates += c.updates;
        out->rollbacks += c.rollbacks;
        out->evaluations += c.told;
    }
    pthread_rwlock_unlock(&svc->registry_lock);
    pthread_mutex_lock(&svc->stats_lock);
    out->update_seconds = svc->update_seconds;
    out->timed_updates = svc->timed_updates;
    pthread_mutex_unlock(&svc->stats_lock);
}

struct expire_ctx {
    struct fo_tell_item *items;
    size_t n, cap;
};

static int on_expired(void *p, int64_t id) {
    struct expire_ctx *c = p;
    if (c->n < c->cap)
        c->items[c->n++] = (struct fo_tell_item){(uint64_t)id, 1, 0.0, "expired", 1};
    return 0;
}

#define EXPIRE_BATCH 1024

enum fo_status fo_service_expire(struct fo_service *svc, const char *id, size_t *expired,
                                 struct fo_error *err) {
    *expired = 0;
    struct fo_run *r = acquire(svc, id, err);
    if (!r)
        return FO_ENOTFOUND;
    double timeout = fo_engine_config(r->engine)->pending_timeout_s;
    enum fo_status st = FO_OK;
    if (timeout > 0.0) {
        struct fo_tell_item *items = calloc(EXPIRE_BATCH, sizeof *items);
        struct fo_step_report *reps = calloc(EXPIRE_BATCH, sizeof *reps);
        unsigned char *dup = calloc(EXPIRE_BATCH, 1);
        struct expire_ctx c = {items, 0, EXPIRE_BATCH};
        if (!items || !reps || !dup)
            st = fo_error_set(err, FO_ENOMEM, "run", "out of memory");
        if (st == FO_OK)
            st = fo_store_pending_older(svc->store, r->id, timeout, EXPIRE_BATCH,
                                        on_expired, &c, err);
        if (st == FO_OK && c.n) {
            struct fo_tell_outcome out = {0, 0, 0};
            st = check_tells(svc, r, items, c.n, dup, err);
            if (st == FO_OK &&
                (st = apply_tells(svc, r, items, c.n, dup, reps, &out, err)) != FO_OK)
                rebuild(svc, r);
            *expired = st == FO_OK ? out.accepted : 0;
        }
        free(items);
        free(reps);
        free(dup);
    }
    release(r);
    return st;
}
