/*
 * runs.h - runs as the API sees them: create, view, change, delete, list,
 * totals. A run is an engine in memory behind a per-run lock, its history
 * and op log in the store; every acknowledged change is committed before
 * the call returns, and a run the store could not follow is rebuilt from
 * the store, so memory never runs ahead of what is durable. The ask/tell
 * loop is asktell.h, the read side reads.h, saved states checkpoints.h.
 */
#ifndef FLOWOPT_SERVICE_RUNS_H
#define FLOWOPT_SERVICE_RUNS_H

#include <stddef.h>
#include <stdint.h>
#include <flowopt/opt.h>
#include <flowopt/settings.h>
#include <flowopt/status.h>
#include "service/names.h"

#define FO_RUN_ID_LEN 16
#define FO_RUN_NAME_MAX 200

struct fo_service;

/*
 * Create a run from cfg (bounds copied). OUT: id (FO_RUN_ID_LEN + 1 bytes).
 * The run is durable when this returns FO_OK.
 */
enum fo_status fo_service_run_create(struct fo_service *svc,
                                     const struct fo_run_config *cfg, const char *name,
                                     char *id, struct fo_error *err);

/* What the HTTP layer shows of a run; its config borrows only from itself. */
struct fo_run_view {
    char id[FO_RUN_ID_LEN + 1];
    char name[FO_RUN_NAME_MAX + 1];
    enum fo_run_state state;
    struct fo_run_config cfg; /* its per-coordinate arrays point into arrays */
    double arrays[FO_RUN_CONFIG_ARRAYS(FO_FLOW_MAX_DIM)];
    struct fo_engine_counters counters;
    int has_best;
    double best_value;
    enum fo_stop stop;
    char created_at[40]; /* ISO 8601, UTC */
    char damage[256];    /* why its stored state does not load; "" when it does */
};

/* Fill view (caller-owned; about 17 KB) for run id. */
enum fo_status fo_service_run_view(struct fo_service *svc, const char *id,
                                   struct fo_run_view *view, struct fo_error *err);

/* Counters of a run. */
enum fo_status fo_service_run_counters(struct fo_service *svc, const char *id,
                                       struct fo_engine_counters *out,
                                       struct fo_error *err);

/*
 * Change a run: name and state ("active", "paused", "finished") when not
 * NULL, live settings (fo_engine_tune) when tune is not NULL, all or
 * nothing. A paused or finished run refuses asks (FO_ESTATE) but still
 * takes tells.
 */
enum fo_status fo_service_run_patch(struct fo_service *svc, const char *id,
                                    const char *name, const char *state,
                                    const struct fo_tune *tune, struct fo_error *err);

/* Delete a run and its history. */
enum fo_status fo_service_run_delete(struct fo_service *svc, const char *id,
                                     struct fo_error *err);

/* Run ids after `after` in order, at most limit; fn per id. */
typedef int (*fo_run_id_fn)(void *ctx, const char *id);
enum fo_status fo_service_run_ids(struct fo_service *svc, const char *after, size_t limit,
                                  fo_run_id_fn fn, void *ctx, struct fo_error *err);

/* Totals over every run, for /metrics. */
struct fo_service_stats {
    size_t runs_active, runs_paused, runs_finished;
    size_t runs_parked; /* engines out of memory until the next use */
    uint64_t pending, updates, rollbacks, evaluations;
    double cost;           /* the cost told to every run */
    double update_seconds; /* time spent in tells that ran updates */
    uint64_t timed_updates;
    uint64_t commits, syncs, checkpoints; /* the store's (fo_store_stats) */
};
void fo_service_stats(struct fo_service *svc, struct fo_service_stats *out);

/* The run's dimension, or 0 with err set: an unknown id (FO_ENOTFOUND), a
 * damaged run without settings (FO_ESTATE). */
size_t fo_service_run_dim(struct fo_service *svc, const char *id, struct fo_error *err);

#endif
