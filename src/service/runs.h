/*
 * runs.h - runs as the service keeps them: an engine in memory behind a
 * per-run lock, its history and op log in the store. Every acknowledged
 * ask and tell is committed before the call returns; a run that the store
 * could not follow is rebuilt from the store, so memory never runs ahead
 * of what is durable.
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

/* One result in a tell request. */
struct fo_tell_item {
    uint64_t id;
    int failed; /* 1: the evaluation failed (value ignored) */
    double value;
    const char *error; /* optional text for a failure */
    int expired;       /* set by the service for a pending timeout */
};

struct fo_tell_outcome {
    size_t accepted;   /* newly recorded */
    size_t duplicates; /* repeats of what was already recorded */
    size_t n_reports;  /* updates the tell produced (reports filled) */
};

/*
 * Create a run from cfg (bounds copied). OUT: id (FO_RUN_ID_LEN + 1 bytes).
 * The run is durable when this returns FO_OK.
 */
enum fo_status fo_service_run_create(struct fo_service *svc,
                                     const struct fo_run_config *cfg, const char *name,
                                     char *id, struct fo_error *err);

/* What the HTTP layer shows of a run. lo and hi point into the caller's arrays. */
struct fo_run_view {
    char id[FO_RUN_ID_LEN + 1];
    char name[FO_RUN_NAME_MAX + 1];
    enum fo_run_state state;
    struct fo_run_config cfg; /* cfg.flow.lo/hi point at lo/hi below */
    double lo[FO_FLOW_MAX_DIM], hi[FO_FLOW_MAX_DIM];
    struct fo_engine_counters counters;
    int has_best;
    double best_value;
    enum fo_stop stop;
};

/* Fill view (caller-owned; about 17 KB) for run id. */
enum fo_status fo_service_run_view(struct fo_service *svc, const char *id,
                                   struct fo_run_view *view, struct fo_error *err);

/* Counters of a run. */
enum fo_status fo_service_run_counters(struct fo_service *svc, const char *id,
                                       struct fo_engine_counters *out,
                                       struct fo_error *err);

/*
 * Draw n samples (OUT: samples (n), x (n, dim)); committed before return.
 * With a key (NULL for none), a retry with the same key returns the same
 * samples; the same key with another n is FO_ECONFLICT.
 */
enum fo_status fo_service_ask(struct fo_service *svc, const char *id, size_t n,
                              const char *key, struct fo_sample *samples, double *x,
                              struct fo_error *err);

/*
 * Record results. The whole request is checked first: an unknown id, a
 * non-finite value or a result that contradicts a recorded one fails it
 * with nothing applied. OUT: outcome, and reports (capacity n) for the
 * updates the results triggered. Committed before return.
 */
enum fo_status fo_service_tell(struct fo_service *svc, const char *id,
                               const struct fo_tell_item *items, size_t n,
                               struct fo_step_report *reports,
                               struct fo_tell_outcome *outcome, struct fo_error *err);

/* Best told value. FO_ENOTFOUND when the run has none yet. OUT: x (dim). */
enum fo_status fo_service_best(struct fo_service *svc, const char *id, double *x,
                               double *value, uint64_t *sample_id, uint64_t *generation,
                               struct fo_error *err);

/* History rows with step > after, at most limit, oldest first: fn per row
 * (a non-zero return stops). FO_ENOTFOUND for an unknown run. */
typedef int (*fo_history_fn)(void *ctx, const struct fo_step_report *row);
enum fo_status fo_service_history(struct fo_service *svc, const char *id, uint64_t after,
                                  uint64_t limit, fo_history_fn fn, void *ctx,
                                  struct fo_error *err);

/* Force an update with what has been told. OUT: report. Durable on return. */
enum fo_status fo_service_step(struct fo_service *svc, const char *id,
                               struct fo_step_report *report, struct fo_error *err);

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

/* A stored sample, as the samples route shows it. */
struct fo_sample_record {
    uint64_t id, generation;
    const double *x; /* (dim), valid during the callback */
    size_t dim;
    double log_prob, value; /* value NaN when none */
    const char *status, *asked_at, *told_at, *error;
};
typedef int (*fo_sample_fn)(void *ctx, const struct fo_sample_record *rec);
/* Samples with id > after; status NULL and generation < 0 mean any. */
enum fo_status fo_service_samples(struct fo_service *svc, const char *id,
                                  const char *status, int64_t generation, uint64_t after,
                                  size_t limit, fo_sample_fn fn, void *ctx,
                                  struct fo_error *err);

/* log p of the run's current density at x (n, dim). OUT: log_p (n). */
enum fo_status fo_service_log_prob(struct fo_service *svc, const char *id, size_t n,
                                   const double *x, double *log_p, struct fo_error *err);

/* Checkpoints: the run's whole state, kept as bytes. OUT: *cid. */
enum fo_status fo_service_checkpoint_create(struct fo_service *svc, const char *id,
                                            uint64_t *cid, struct fo_error *err);
typedef int (*fo_checkpoint_info_fn)(void *ctx, int64_t cid, const char *created_at,
                                     size_t bytes);
enum fo_status fo_service_checkpoints(struct fo_service *svc, const char *id,
                                      fo_checkpoint_info_fn fn, void *ctx,
                                      struct fo_error *err);
/* The portable bytes of a checkpoint. OUT: *bytes (malloc'd, caller frees). */
enum fo_status fo_service_checkpoint_bytes(struct fo_service *svc, const char *id,
                                           uint64_t cid, unsigned char **bytes,
                                           size_t *len, struct fo_error *err);
/* Put the run back to checkpoint cid (new sample ids continue after the last). */
enum fo_status fo_service_checkpoint_restore(struct fo_service *svc, const char *id,
                                             uint64_t cid, struct fo_error *err);
/* A new run from the run's current state (cid 0) or a checkpoint. OUT: new id. */
enum fo_status fo_service_fork(struct fo_service *svc, const char *id, uint64_t cid,
                               const char *name, char *new_id, struct fo_error *err);
/* A new run from exported checkpoint bytes (untrusted: every check applies). */
enum fo_status fo_service_import(struct fo_service *svc, const unsigned char *bytes,
                                 size_t len, const char *name, char *new_id,
                                 struct fo_error *err);

/*
 * Expire the run's samples pending for longer than its pending_timeout_s:
 * each counts as failed (status "expired"), so a generation can complete.
 * OUT: *expired. The service's janitor thread calls this every interval.
 */
enum fo_status fo_service_expire(struct fo_service *svc, const char *id, size_t *expired,
                                 struct fo_error *err);

/* Totals over every run, for /metrics. */
struct fo_service_stats {
    size_t runs_active, runs_paused, runs_finished;
    size_t runs_parked; /* engines out of memory until the next use */
    uint64_t pending, updates, rollbacks, evaluations;
    double update_seconds; /* time spent in tells that ran updates */
    uint64_t timed_updates;
    uint64_t commits, syncs, checkpoints; /* the store's (fo_store_stats) */
};
void fo_service_stats(struct fo_service *svc, struct fo_service_stats *out);

/* The run's dimension, or 0 for an unknown id. */
size_t fo_service_run_dim(struct fo_service *svc, const char *id);

#endif
