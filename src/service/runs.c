/*
 * runs.c - runs as the API sees them: create, view, change, delete, list,
 * totals (runs.h). registry.c finds and locks them, durability.c keeps
 * them in step with the store, parking.c lets idle ones go.
 */
#include "service/service_internal.h"
#include "store/runs_db.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* 16 lowercase hex digits from the kernel's random source. */
/* 16 random hex digits; with a shard, its number in the first two, so a
 * proxy in front of several daemons routes a run by its id alone. */
static int new_id(char *id, int shard) {
    unsigned char b[FO_RUN_ID_LEN / 2];
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    ssize_t got = fd >= 0 ? read(fd, b, sizeof b) : -1;
    if (fd >= 0)
        close(fd);
    if (got != (ssize_t)sizeof b)
        return -1;
    if (shard >= 0)
        b[0] = (unsigned char)shard;
    for (size_t i = 0; i < sizeof b; i++)
        snprintf(id + 2 * i, 3, "%02x", b[i]);
    return 0;
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
enum fo_status fo__run_budget(struct fo_service *svc, const struct fo_run_config *cfg,
                              struct fo_error *err) {
    pthread_rwlock_rdlock(&svc->registry_lock);
    size_t runs = svc->n_runs;
    pthread_rwlock_unlock(&svc->registry_lock);
    if (runs >= svc->max_runs)
        return fo_error_set(
            err, FO_ESTATE, "max-runs",
            "the daemon holds %zu runs, its limit (--max-runs); delete one "
            "first",
            runs);
    size_t params = 0;
    enum fo_status st = cfg ? fo_engine_config_params(cfg, &params, err) : FO_OK;
    if (st == FO_OK && params > svc->max_params)
        st = fo_error_set(err, FO_ERANGE, "flow",
                          "the flow would hold %zu parameters, more than this daemon's "
                          "--max-params %zu: fewer or smaller hidden layers",
                          params, svc->max_params);
    return st;
}

enum fo_status fo__run_adopt(struct fo_service *svc, struct fo_engine *engine,
                             const char *name, char *id, struct fo_error *err) {
    enum fo_status bst = fo__run_budget(svc, NULL, err);
    if (bst != FO_OK) {
        fo_engine_destroy(engine);
        return bst;
    }
    if (name && strlen(name) > FO_RUN_NAME_MAX) {
        fo_engine_destroy(engine);
        return fo_error_set(err, FO_ERANGE, "name", "name longer than %d bytes",
                            FO_RUN_NAME_MAX);
    }
    struct fo_run *r = fo__run_new(engine, name, FO_RUN_ACTIVE);
    if (!r) {
        fo_engine_destroy(engine);
        return fo_error_set(err, FO_ENOMEM, "run", "out of memory creating a run");
    }
    enum fo_status st = FO_OK;
    if (new_id(r->id, svc->shard) != 0)
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
        st = fo__registry_add(svc, r, err);
        pthread_rwlock_unlock(&svc->registry_lock);
    }
    if (st != FO_OK) {
        fo__run_free(r);
        return st;
    }
    memcpy(id, r->id, FO_RUN_ID_LEN + 1);
    return FO_OK;
}

enum fo_status fo_service_run_create(struct fo_service *svc,
                                     const struct fo_run_config *cfg, const char *name,
                                     char *id, struct fo_error *err) {
    struct fo_engine *engine = NULL;
    enum fo_status st = fo__run_budget(svc, cfg, err);
    if (st == FO_OK)
        st = fo_engine_create(cfg, &engine, err);
    return st == FO_OK ? fo__run_adopt(svc, engine, name, id, err) : st;
}

/* The view GET shows, from the engine (r locked and loaded). */
static void fill_view(const struct fo_run *r, struct fo_run_view *v) {
    memcpy(v->id, r->id, sizeof v->id);
    memcpy(v->name, r->name, sizeof v->name);
    v->state = r->state;
    fo_run_config_copy(&v->cfg, fo_engine_config(r->engine), v->arrays);
    fo_engine_counters(r->engine, &v->counters);
    v->has_best = fo_engine_best(r->engine, NULL, &v->best_value, NULL, NULL) == 0;
    v->stop = fo_engine_stop_reason(r->engine);
}

/* A parked run's view, or its engine loaded (r locked). */
static enum fo_status view_of(struct fo_service *svc, struct fo_run *r,
                              struct fo_run_view *v, struct fo_error *err) {
    const struct fo_parked *p = r->parked;
    memcpy(v->damage, r->damage, sizeof v->damage);
    if (!p && r->damage[0]) { /* its snapshot did not load: no settings to show */
        memcpy(v->id, r->id, sizeof v->id);
        memcpy(v->name, r->name, sizeof v->name);
        v->state = r->state;
        memset(&v->cfg, 0, sizeof v->cfg);
        memset(&v->counters, 0, sizeof v->counters);
        v->has_best = 0;
        v->stop = FO_STOP_NONE;
        return FO_OK;
    }
    if (p) {
        memcpy(v->id, r->id, sizeof v->id);
        memcpy(v->name, r->name, sizeof v->name);
        v->state = r->state;
        fo_run_config_copy(&v->cfg, &p->cfg, v->arrays);
        v->counters = p->counters;
        v->has_best = p->has_best;
        v->best_value = p->best_value;
        v->stop = p->stop;
        return FO_OK;
    }
    enum fo_status st = fo__run_ensure_loaded(svc, r, err);
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
    if (st == FO_OK) /* the row holds it; an unreadable one leaves "" */
        fo_store_run_created(svc->store, id, v->created_at, sizeof v->created_at, NULL);
    return st;
}

/* Counters of r (locked), parked or loaded; zeros for neither. */
void fo__run_counters_of(const struct fo_run *r, struct fo_engine_counters *c) {
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
    enum fo_status st = r->parked ? FO_OK : fo__run_ensure_loaded(svc, r, err);
    if (st == FO_OK)
        fo__run_counters_of(r, out);
    fo__run_release(r);
    return st;
}

size_t fo_service_run_dim(struct fo_service *svc, const char *id, struct fo_error *err) {
    struct fo_run *r = fo__run_lock(svc, id, err);
    if (!r)
        return 0;
    size_t dim = r->parked                                     ? r->parked->cfg.flow.dim
                 : fo__run_ensure_loaded(svc, r, err) == FO_OK ? fo_engine_dim(r->engine)
                                                               : 0;
    fo__run_release(r);
    return dim;
}

enum fo_status fo_service_run_patch(struct fo_service *svc, const char *id,
                                    const char *name, const char *state,
                                    const struct fo_tune *tune, struct fo_error *err) {
    if (name && strlen(name) > FO_RUN_NAME_MAX)
        return fo_error_set(err, FO_ERANGE, "name", "name longer than %d bytes",
                            FO_RUN_NAME_MAX);
    enum fo_run_state next = FO_RUN_ACTIVE;
    if (state && fo_service_run_state_parse(state, &next) != 0)
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
            r->state = next;
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
        fo__run_unref(r);
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
        fo__run_counters_of(r, &c);
        out->runs_parked += r->parked != NULL;
        out->runs_active += r->state == FO_RUN_ACTIVE;
        out->runs_paused += r->state == FO_RUN_PAUSED;
        out->runs_finished += r->state == FO_RUN_FINISHED;
        pthread_mutex_unlock(&r->lock);
        out->pending += c.pending;
        out->updates += c.updates;
        out->rollbacks += c.rollbacks;
        out->evaluations += c.told;
        out->cost += c.cost;
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
