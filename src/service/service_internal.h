/* service_internal.h - the service object, private to src/service. */
#ifndef FLOWOPT_SERVICE_SERVICE_INTERNAL_H
#define FLOWOPT_SERVICE_SERVICE_INTERNAL_H

#include <pthread.h>
#include <flowopt/opt.h>
#include "service/runs.h"
#include "store/store.h"

struct fo_run {
    char id[FO_RUN_ID_LEN + 1];
    char name[FO_RUN_NAME_MAX + 1];
    char state[16];
    pthread_mutex_t lock; /* held for every use of engine */
    struct fo_engine *engine;
    unsigned updates_unsaved; /* updates since the last snapshot */
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
    pthread_mutex_t stats_lock; /* guards the two totals below */
    double update_seconds;
    uint64_t timed_updates;
};

/* Load every run from the store (start-up). */
enum fo_status fo__service_load_runs(struct fo_service *svc, struct fo_error *err);
/* Free every run (shutdown). */
void fo__service_free_runs(struct fo_service *svc);

#endif
