/*
 * runs.c - the registry of runs: create, load and rebuild from the store,
 * view, change, delete, list, totals. See runs.h; asktell.c and
 * checkpoints.c hold the rest of the run API.
 *
 * Durability: a run is its latest engine snapshot plus the op log after it.
 * ask and tell append their ops (and the samples and history rows they
 * produce) in one transaction, committed before the call returns; every
 * FO_SNAPSHOT_EVERY updates the snapshot is rewritten and the log trimmed
 * in the same transaction. The engine is deterministic, so loading the snapshot and
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
struct fo_run *fo__run_acquire(struct fo_service *svc, const char *id,
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

void fo__run_release(struct fo_run *r) {
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

/*
 * Register a new run around engine (taken over, freed on failure too):
 * a fresh id, the row with its first fo__run_snapshot, then the registry.
 */
enum fo_status fo__run_adopt(struct fo_service *svc, struct fo_engine *engine,
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
        st = fo__run_snapshot(r->engine, &snap, &len, err);
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
    return st == FO_OK ? fo__run_adopt(svc, engine, name, id, err) : st;
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
    struct fo_run *target; /* fo__run_rebuild one run (NULL: load every run) */
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
void fo__run_rebuild(struct fo_service *svc, struct fo_run *r) {
    struct fo_error ignored;
    struct load_ctx c = {svc, r, NULL, &ignored};
    fo_store_runs_load(svc->store, on_run, on_op, &c, &ignored);
}

enum fo_status fo_service_run_view(struct fo_service *svc, const char *id,
                                   struct fo_run_view *v, struct fo_error *err) {
    struct fo_run *r = fo__run_acquire(svc, id, err);
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
    fo__run_release(r);
    return FO_OK;
}

enum fo_status fo_service_run_counters(struct fo_service *svc, const char *id,
                                       struct fo_engine_counters *out,
                                       struct fo_error *err) {
    struct fo_run *r = fo__run_acquire(svc, id, err);
    if (!r)
        return FO_ENOTFOUND;
    fo_engine_counters(r->engine, out);
    fo__run_release(r);
    return FO_OK;
}

size_t fo_service_run_dim(struct fo_service *svc, const char *id) {
    struct fo_run *r = fo__run_acquire(svc, id, NULL);
    if (!r)
        return 0;
    size_t dim = fo_engine_dim(r->engine);
    fo__run_release(r);
    return dim;
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

enum fo_status fo_service_run_patch(struct fo_service *svc, const char *id,
                                    const char *name, const char *state,
                                    const struct fo_tune *tune, struct fo_error *err) {
    if (name && strlen(name) > FO_RUN_NAME_MAX)
        return fo_error_set(err, FO_ERANGE, "name", "name longer than %d bytes",
                            FO_RUN_NAME_MAX);
    if (state && strcmp(state, "active") && strcmp(state, "paused") &&
        strcmp(state, "finished"))
        return fo_error_set(err, FO_EINVAL, "state",
                            "state must be active, paused or finished");
    struct fo_run *r = fo__run_acquire(svc, id, err);
    if (!r)
        return FO_ENOTFOUND;
    /* Settings live in the engine's snapshot: tune, then rewrite it. */
    int tuned = tune && tune->set;
    enum fo_status st = tuned ? fo_engine_tune(r->engine, tune, err) : FO_OK;
    if (st != FO_OK) {
        fo__run_release(r);
        return st; /* refused as a whole: nothing changed */
    }
    if ((st = fo_store_begin(svc->store, err)) == FO_OK) {
        st = fo_store_run_update(svc->store, r->id, name, state, err);
        if (st == FO_OK && tuned)
            st = fo__run_save_snapshot(svc, r, err);
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
        if (tuned)
            r->updates_unsaved = 0;
    } else if (tuned) {
        fo__run_rebuild(svc, r);
    }
    fo__run_release(r);
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
    struct fo_store_stats ss;
    fo_store_stats(svc->store, &ss);
    out->commits = ss.commits;
    out->syncs = ss.syncs;
    out->checkpoints = ss.checkpoints;
}
