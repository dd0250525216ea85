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
#include "store/txn.h"

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
    free(r->parked);
    pthread_mutex_destroy(&r->lock);
    free(r);
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A run around engine (taken over), holding the registry's reference. */
static struct fo_run *run_new(struct fo_engine *engine, const char *name,
                              const char *state) {
    struct fo_run *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    pthread_mutex_init(&r->lock, NULL);
    atomic_init(&r->refs, 1);
    snprintf(r->name, sizeof r->name, "%s", name ? name : "");
    snprintf(r->state, sizeof r->state, "%s", state ? state : "active");
    r->engine = engine;
    r->last_used = now_s();
    return r;
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

static enum fo_status ensure_loaded(struct fo_service *svc, struct fo_run *r,
                                    struct fo_error *err);

struct fo_run *fo__run_acquire(struct fo_service *svc, const char *id,
                               struct fo_error *err) {
    struct fo_run *r = fo__run_lock(svc, id, err);
    if (r && ensure_loaded(svc, r, err) != FO_OK) {
        pthread_mutex_unlock(&r->lock);
        return NULL;
    }
    if (r)
        r->last_used = now_s();
    return r;
}

/* Drop a reference; the last one of a deleted run frees it. */
static void run_unref(struct fo_run *r) {
    if (atomic_fetch_sub(&r->refs, 1) == 1)
        run_free(r);
}

struct fo_run *fo__run_lock(struct fo_service *svc, const char *id,
                            struct fo_error *err) {
    struct fo_run *found = NULL;
    pthread_rwlock_rdlock(&svc->registry_lock);
    for (size_t i = 0; id && i < svc->n_runs && !found; i++)
        if (strcmp(svc->runs[i]->id, id) == 0)
            found = svc->runs[i];
    /* the reference keeps the run alive between the two locks */
    if (found)
        atomic_fetch_add(&found->refs, 1);
    pthread_rwlock_unlock(&svc->registry_lock);
    if (found) {
        pthread_mutex_lock(&found->lock);
        if (found->deleted) {
            pthread_mutex_unlock(&found->lock);
            run_unref(found);
            found = NULL;
        }
    }
    if (!found)
        fo_error_set(err, FO_ENOTFOUND, "id", "no run %.64s", id ? id : "");
    return found;
}

int fo__run_exists(struct fo_service *svc, const char *id, struct fo_error *err) {
    struct fo_run *r = fo__run_lock(svc, id, err);
    if (r)
        fo__run_release(r);
    return r != NULL;
}

void fo__run_release(struct fo_run *r) {
    pthread_mutex_unlock(&r->lock);
    run_unref(r);
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

struct insert_write {
    const char *id, *name;
    int64_t dim;
    const unsigned char *snap;
    size_t len;
};

static enum fo_status write_insert(struct fo_store *store, void *ctx,
                                   struct fo_error *err) {
    const struct insert_write *w = ctx;
    return fo_store_run_insert(store, w->id, w->name, w->dim, w->snap, w->len, err);
}

/* A run's row (name and state, when update_row) and/or its snapshot. */
struct run_write {
    struct fo_service *svc;
    struct fo_run *r;
    int update_row;
    const char *name, *state; /* NULL: unchanged */
    int snapshot;
};

static enum fo_status write_run(struct fo_store *store, void *ctx, struct fo_error *err) {
    const struct run_write *w = ctx;
    enum fo_status st = w->update_row
                            ? fo_store_run_update(store, w->r->id, w->name, w->state, err)
                            : FO_OK;
    return st == FO_OK && w->snapshot ? fo__run_save_snapshot(w->svc, w->r, err) : st;
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
    struct fo_run *r = run_new(engine, name, "active");
    if (!r) {
        fo_engine_destroy(engine);
        return fo_error_set(err, FO_ENOMEM, "run", "out of memory creating a run");
    }
    enum fo_status st = FO_OK;
    if (new_id(r->id) != 0)
        st = fo_error_set(err, FO_EIO, "run", "no random source for a run id");
    unsigned char *snap = NULL;
    size_t len = 0;
    if (st == FO_OK)
        st = fo__run_snapshot(r->engine, &snap, &len, err);
    struct insert_write w = {r->id, name, (int64_t)fo_engine_dim(engine), snap, len};
    if (st == FO_OK)
        st = fo_store_transact(svc->store, write_insert, &w, NULL, err);
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
    struct fo_run *r =
        strlen(id) <= FO_RUN_ID_LEN ? run_new(c->engine, name, state) : NULL;
    if (!r) {
        fo_engine_destroy(c->engine);
        return -1;
    }
    strcpy(r->id, id);
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
static enum fo_status ensure_loaded(struct fo_service *svc, struct fo_run *r,
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

/* The view GET shows, from the engine (r locked and loaded). */
static void fill_view(const struct fo_run *r, struct fo_run_view *v) {
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
}

/*
 * Give a run's engine back: keep only its view (r locked). A run with
 * samples that can still expire stays, so its janitor pass keeps working.
 * The snapshot is rewritten first, folding the op log, so bringing the run
 * back is a load without replaying updates.
 */
static int park(struct fo_service *svc, struct fo_run *r) {
    if (!r->engine)
        return 0;
    struct fo_engine_counters c;
    fo_engine_counters(r->engine, &c);
    if (c.pending && fo_engine_config(r->engine)->pending_timeout_s > 0.0)
        return 0;
    const struct fo_run_config *cfg = fo_engine_config(r->engine);
    const size_t D = cfg->flow.dim;
    struct fo_parked *v = malloc(sizeof *v + 2 * D * sizeof(double));
    struct run_write w = {svc, r, 0, NULL, NULL, 1};
    if (!v || fo_store_transact(svc->store, write_run, &w, NULL, NULL) != FO_OK) {
        free(v);
        return 0;
    }
    r->updates_unsaved = 0;
    v->cfg = *cfg;
    memcpy(v->bounds, cfg->flow.lo, D * sizeof(double));
    memcpy(v->bounds + D, cfg->flow.hi, D * sizeof(double));
    v->cfg.flow.lo = v->cfg.flow.hi = NULL;
    v->counters = c;
    v->has_best = fo_engine_best(r->engine, NULL, &v->best_value, NULL, NULL) == 0;
    v->stop = fo_engine_stop_reason(r->engine);
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
    double cutoff = now_s() - (double)svc->park_idle_s;
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
        run_unref(r);
    }
    free(picked);
    return parked;
}

/* A parked run's view, or its engine loaded (r locked). */
static enum fo_status view_of(struct fo_service *svc, struct fo_run *r,
                              struct fo_run_view *v, struct fo_error *err) {
    const struct fo_parked *p = r->parked;
    if (p) {
        const size_t D = p->cfg.flow.dim;
        memcpy(v->id, r->id, sizeof v->id);
        memcpy(v->name, r->name, sizeof v->name);
        memcpy(v->state, r->state, sizeof v->state);
        v->cfg = p->cfg;
        memcpy(v->lo, p->bounds, D * sizeof(double));
        memcpy(v->hi, p->bounds + D, D * sizeof(double));
        v->cfg.flow.lo = v->lo;
        v->cfg.flow.hi = v->hi;
        v->counters = p->counters;
        v->has_best = p->has_best;
        v->best_value = p->best_value;
        v->stop = p->stop;
        return FO_OK;
    }
    enum fo_status st = ensure_loaded(svc, r, err);
    if (st == FO_OK)
        fill_view(r, v);
    return st;
}

/* Reads never bring a parked run back: they are served from its view. */
enum fo_status fo_service_run_view(struct fo_service *svc, const char *id,
                                   struct fo_run_view *v, struct fo_error *err) {
    struct fo_run *r = fo__run_lock(svc, id, err);
    if (!r)
        return FO_ENOTFOUND;
    enum fo_status st = view_of(svc, r, v, err);
    fo__run_release(r);
    return st;
}

/* Counters of r (locked), parked or loaded; zeros for neither. */
static void counters_of(const struct fo_run *r, struct fo_engine_counters *c) {
    memset(c, 0, sizeof *c);
    if (r->parked)
        *c = r->parked->counters;
    else if (r->engine)
        fo_engine_counters(r->engine, c);
}

enum fo_status fo_service_run_counters(struct fo_service *svc, const char *id,
                                       struct fo_engine_counters *out,
                                       struct fo_error *err) {
    struct fo_run *r = fo__run_lock(svc, id, err);
    if (!r)
        return FO_ENOTFOUND;
    enum fo_status st = r->parked ? FO_OK : ensure_loaded(svc, r, err);
    if (st == FO_OK)
        counters_of(r, out);
    fo__run_release(r);
    return st;
}

size_t fo_service_run_dim(struct fo_service *svc, const char *id) {
    struct fo_run *r = fo__run_lock(svc, id, NULL);
    if (!r)
        return 0;
    size_t dim = r->parked                              ? r->parked->cfg.flow.dim
                 : ensure_loaded(svc, r, NULL) == FO_OK ? fo_engine_dim(r->engine)
                                                        : 0;
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
    int tuned = tune && (tune->n || tune->has_lr);
    enum fo_status st = tuned ? fo_engine_tune(r->engine, tune, err) : FO_OK;
    if (st != FO_OK) {
        fo__run_release(r);
        return st; /* refused as a whole: nothing changed */
    }
    struct run_write w = {svc, r, 1, name, state, tuned};
    st = fo_store_transact(svc->store, write_run, &w, NULL, err);
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

static enum fo_status write_delete(struct fo_store *store, void *ctx,
                                   struct fo_error *err) {
    return fo_store_run_delete(store, ctx, err);
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
    enum fo_status st = fo_store_transact(svc->store, write_delete, r->id, NULL, err);
    if (st == FO_OK) {
        svc->runs[i] = svc->runs[--svc->n_runs];
        /* requests that found it see `deleted`; the last reference frees it */
        pthread_mutex_lock(&r->lock);
        r->deleted = 1;
        pthread_mutex_unlock(&r->lock);
    }
    pthread_rwlock_unlock(&svc->registry_lock);
    if (st == FO_OK)
        run_unref(r);
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
        counters_of(r, &c);
        out->runs_parked += r->parked != NULL;
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
