/* service_internal.h - the service object, private to src/service. */
#ifndef FLOWOPT_SERVICE_SERVICE_INTERNAL_H
#define FLOWOPT_SERVICE_SERVICE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <flowopt/opt.h>
#include "service/asktell.h"
#include "service/checkpoints.h"
#include "service/evaluators.h"
#include "service/reads.h"
#include "service/runs.h"
#include "store/txn.h"
#include "store/store.h"

/* What a parked run keeps to answer reads: its view, without the engine,
 * and its per-coordinate settings sized to its dimension. */
struct fo_parked {
    struct fo_run_config cfg; /* its arrays point into arrays below */
    struct fo_engine_counters counters;
    int has_best;
    double best_value;
    enum fo_stop stop;
    double arrays[]; /* FO_RUN_CONFIG_ARRAYS(dim) */
};

struct fo_run {
    char id[FO_RUN_ID_LEN + 1];
    char name[FO_RUN_NAME_MAX + 1];
    enum fo_run_state state;
    pthread_mutex_t lock; /* held for every use of engine */
    /* NULL while the run is parked: idle runs give their memory back and
     * are rebuilt from the store (snapshot + ops) by fo__run_acquire */
    struct fo_engine *engine;
    struct fo_parked *parked; /* while parked: what GET shows of it */
    double last_used;         /* monotonic seconds, at the last acquire */
    unsigned updates_unsaved; /* updates since the last snapshot */
    /* One reference for the registry, one per request between finding the
     * run and releasing it: a deleted run is freed by the last of them. */
    atomic_uint refs;
    int deleted; /* removed from the registry (guarded by lock) */
    /* Why its stored state does not load ("" when it does): it is then
     * served read-only from parked (NULL when even its snapshot failed). */
    char damage[256];
};

/* Updates between snapshots: the op log covers the rest. */
#define FO_SNAPSHOT_EVERY 16

/*
 * Lock order, everywhere: registry_lock, then a run's lock, then the
 * store's lock. Never call into code that takes an earlier lock while
 * holding a later one (store callbacks only copy data).
 */
struct fo_service {
    struct fo_store *store;
    pthread_rwlock_t registry_lock; /* guards runs, n_runs, cap_runs */
    struct fo_run **runs;
    size_t n_runs, cap_runs;
    pthread_t janitor; /* expires pending samples every expiry_interval_ms */
    pthread_mutex_t janitor_lock;
    pthread_cond_t janitor_wake;
    int stopping, janitor_running;
    unsigned expiry_interval_ms;
    unsigned checkpoint_retention;
    unsigned park_idle_s; /* park runs unused this long (0: never) */
    size_t max_runs, max_params, max_answer_values; /* the budgets, as configured */
    int shard;                                      /* in new run ids; -1: none */
    pthread_mutex_t stats_lock;                     /* guards the totals below */
    double update_seconds;
    uint64_t timed_updates;
    struct fo_push_stats push;  /* calls to evaluators (evaluators.h) */
    char evaluator_allow[1024]; /* the allow-list, as configured */
};

/* registry.c: a run around engine (taken over) holding the registry's
 * reference; freeing one; dropping a reference (the last of a deleted run
 * frees it); adding one to the registry (write lock held). */
struct fo_run *fo__run_new(struct fo_engine *engine, const char *name,
                           enum fo_run_state state);
void fo__run_free(struct fo_run *r);
void fo__run_unref(struct fo_run *r);
enum fo_status fo__registry_add(struct fo_service *svc, struct fo_run *r,
                                struct fo_error *err);
/* Monotonic seconds. */
double fo__now_s(void);
/* durability.c: the engine of a parked run back in memory (r locked). */
enum fo_status fo__run_ensure_loaded(struct fo_service *svc, struct fo_run *r,
                                     struct fo_error *err);
/* runs.c: counters of r (locked), parked or loaded; zeros for neither. */
void fo__run_counters_of(const struct fo_run *r, struct fo_engine_counters *c);

/* The run called id, locked, its engine in memory (a parked run is
 * rebuilt from the store); NULL with err set when unknown or unloadable. */
struct fo_run *fo__run_acquire(struct fo_service *svc, const char *id,
                               struct fo_error *err);
/* The run called id, locked, parked or not; NULL (FO_ENOTFOUND) when unknown. */
struct fo_run *fo__run_lock(struct fo_service *svc, const char *id, struct fo_error *err);
/* Is there a run called id? For reads served by the store alone: a parked
 * run stays parked and its idle time keeps running. */
int fo__run_exists(struct fo_service *svc, const char *id, struct fo_error *err);
void fo__run_release(struct fo_run *r);
/* The engine's bytes. OUT: *buf (malloc'd, caller frees), *len. */
enum fo_status fo__run_snapshot(const struct fo_engine *e, unsigned char **buf,
                                size_t *len, struct fo_error *err);
/* Rewrite the stored snapshot now, folding the whole op log (in a transaction). */
enum fo_status fo__run_save_snapshot(struct fo_service *svc, struct fo_run *r,
                                     struct fo_error *err);
/* After a failed commit: make the run in memory match the store again. */
void fo__run_rebuild(struct fo_service *svc, struct fo_run *r);
/* Room for one more run of cfg (NULL: its size is already known good):
 * --max-runs and --max-params. */
enum fo_status fo__run_budget(struct fo_service *svc, const struct fo_run_config *cfg,
                              struct fo_error *err);
/* Register a new run around engine (taken over, freed on failure). OUT: id. */
enum fo_status fo__run_adopt(struct fo_service *svc, struct fo_engine *engine,
                             const char *name, char *id, struct fo_error *err);
/* Check a whole tell request; OUT: dup[i] for repeats. Nothing is changed. */
enum fo_status fo__check_tells(struct fo_service *svc, const struct fo_run *r,
                               const struct fo_tell_item *items, size_t n,
                               unsigned char *dup, struct fo_error *err);
/* Apply checked results to engine and store in one transaction, committed
 * but not yet waited for: OUT *ticket for fo_store_wait, once the run's lock
 * is released. */
enum fo_status fo__apply_tells(struct fo_service *svc, struct fo_run *r,
                               const struct fo_tell_item *items, size_t n,
                               const unsigned char *dup, struct fo_step_report *reports,
                               struct fo_tell_outcome *out, uint64_t *ticket,
                               struct fo_error *err);

/* Park every run idle for park_idle_s (the janitor calls this). OUT: how many. */
size_t fo__park_idle_runs(struct fo_service *svc);
/* What GET shows of the run engine holds (malloc'd, caller frees); NULL
 * when out of memory. */
struct fo_parked *fo__parked_of(const struct fo_engine *engine);

/* Load every run from the store (start-up). */
enum fo_status fo__service_load_runs(struct fo_service *svc, struct fo_error *err);
/* Free every run (shutdown). */
void fo__service_free_runs(struct fo_service *svc);

#endif
