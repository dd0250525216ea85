/*
 * runs_db.h - the durable side of runs: snapshots, the op log, samples and
 * history rows. Every function runs inside a transaction the caller opened
 * with fo_store_begin and closes with fo_store_commit or fo_store_rollback;
 * the store's lock is held in between, so one transaction is one unit
 * whatever thread runs it.
 */
#ifndef FLOWOPT_STORE_RUNS_DB_H
#define FLOWOPT_STORE_RUNS_DB_H

#include <stddef.h>
#include <stdint.h>
#include <flowopt/status.h>
#include "store/store.h"

enum fo_op_kind { FO_OP_ASK = 1, FO_OP_TELL = 2, FO_OP_FAIL = 3, FO_OP_STEP = 4 };

struct fo_op {
    int64_t seq;
    enum fo_op_kind kind;
    int64_t n;         /* ask */
    int64_t sample_id; /* tell, fail */
    double value;      /* tell */
};

/* One row of a run's history (the step report, store-side). */
struct fo_step_row {
    int64_t step, generation, evaluations, n;
    double mean, median, best, best_ever, entropy, grad_norm, kl, lr, ess;
    int64_t events;
};

enum fo_status fo_store_begin(struct fo_store *s, struct fo_error *err);
enum fo_status fo_store_commit(struct fo_store *s, struct fo_error *err);
/*
 * fo_store_commit in two halves, so a caller can release its own locks in
 * between and let later commits join the same WAL sync (durability full):
 * commit now (OUT: *ticket), then fo_store_wait before acknowledging.
 * A later commit is durable only with every earlier one (the WAL is one
 * sequence), so nothing acknowledged can depend on what is not durable.
 */
enum fo_status fo_store_commit_async(struct fo_store *s, uint64_t *ticket,
                                     struct fo_error *err);
enum fo_status fo_store_wait(struct fo_store *s, uint64_t ticket, struct fo_error *err);
void fo_store_rollback(struct fo_store *s);

enum fo_status fo_store_run_insert(struct fo_store *s, const char *id, const char *name,
                                   int64_t dim, const unsigned char *snapshot, size_t len,
                                   struct fo_error *err);

/* Replace the snapshot; ops up to and including seq (every op so far when seq < 0)
 * are folded into it and deleted. */
enum fo_status fo_store_run_snapshot(struct fo_store *s, const char *id,
                                     const unsigned char *snapshot, size_t len,
                                     int64_t seq, struct fo_error *err);

/* Largest dimension a sample row decodes. */
#define FO_STORE_MAX_DIM 1024

/* name and/or state (NULL leaves it). */
enum fo_status fo_store_run_update(struct fo_store *s, const char *id, const char *name,
                                   const char *state, struct fo_error *err);
enum fo_status fo_store_run_delete(struct fo_store *s, const char *id,
                                   struct fo_error *err);

typedef int (*fo_id64_fn)(void *ctx, int64_t id);

/* Run ids after `after` ("" for the first page), in order; takes the lock itself. */
typedef int (*fo_id_fn)(void *ctx, const char *id);
enum fo_status fo_store_run_ids(struct fo_store *s, const char *after, int64_t limit,
                                fo_id_fn fn, void *ctx, struct fo_error *err);

struct fo_sample_row {
    int64_t id, generation;
    const double *x; /* (dim), valid during the callback */
    size_t dim;
    double log_prob, value;                          /* value NaN when none */
    const char *status, *asked_at, *told_at, *error; /* told_at, error may be NULL */
};
typedef int (*fo_sample_row_fn)(void *ctx, const struct fo_sample_row *row);
/* Samples with id > after, filtered by status (NULL: any) and generation
 * (< 0: any), at most limit; takes the lock itself. */
enum fo_status fo_store_samples(struct fo_store *s, const char *run_id,
                                const char *status, int64_t generation, int64_t after,
                                int64_t limit, fo_sample_row_fn fn, void *ctx,
                                struct fo_error *err);

/* An ask's Idempotency-Key: remember it, or look it up (FO_ENOTFOUND). */
enum fo_status fo_store_ask_key_insert(struct fo_store *s, const char *run_id,
                                       const char *key, int64_t first_id, int64_t n,
                                       struct fo_error *err);
enum fo_status fo_store_ask_key_get(struct fo_store *s, const char *run_id,
                                    const char *key, int64_t *first_id, int64_t *n,
                                    struct fo_error *err);

/* Ids of samples pending for more than `seconds`, oldest first (at most
 * limit); takes the lock itself. */
enum fo_status fo_store_pending_older(struct fo_store *s, const char *run_id,
                                      double seconds, int64_t limit, fo_id64_fn fn,
                                      void *ctx, struct fo_error *err);

/* Samples with id >= first_id still pending become 'expired' with error text
 * (a restore leaves them outside the run). */
enum fo_status fo_store_samples_expire_from(struct fo_store *s, const char *run_id,
                                            int64_t first_id, const char *error,
                                            struct fo_error *err);

/* Drop history rows with step > after (a restore rewinds the history too). */
enum fo_status fo_store_steps_truncate(struct fo_store *s, const char *run_id,
                                       int64_t after, struct fo_error *err);

/* A new checkpoint of run_id holding snapshot. OUT: *cid (1, 2, ...). */
enum fo_status fo_store_checkpoint_insert(struct fo_store *s, const char *run_id,
                                          const unsigned char *snapshot, size_t len,
                                          int64_t *cid, struct fo_error *err);
/* Keep only the `keep` newest checkpoints of run_id (keep >= 1). */
enum fo_status fo_store_checkpoints_trim(struct fo_store *s, const char *run_id,
                                         int64_t keep, struct fo_error *err);
/* Checkpoints of run_id, oldest first; takes the lock itself. */
typedef int (*fo_checkpoint_fn)(void *ctx, int64_t cid, const char *created_at,
                                size_t bytes);
enum fo_status fo_store_checkpoints(struct fo_store *s, const char *run_id,
                                    fo_checkpoint_fn fn, void *ctx, struct fo_error *err);
/* A checkpoint's bytes. OUT: *snapshot (malloc'd, caller frees), *len. Takes the lock. */
enum fo_status fo_store_checkpoint_get(struct fo_store *s, const char *run_id,
                                       int64_t cid, unsigned char **snapshot, size_t *len,
                                       struct fo_error *err);

/* Append n ops in order; their seq fields are assigned from the run's counter. */
enum fo_status fo_store_ops_append(struct fo_store *s, const char *run_id,
                                   struct fo_op *ops, size_t n, struct fo_error *err);

enum fo_status fo_store_sample_insert(struct fo_store *s, const char *run_id, int64_t id,
                                      int64_t generation, const double *x, size_t dim,
                                      double log_prob, struct fo_error *err);

/* status is "told" (with value) or "failed" (with error text, may be NULL). */
enum fo_status fo_store_sample_resolve(struct fo_store *s, const char *run_id, int64_t id,
                                       const char *status, double value,
                                       const char *error, struct fo_error *err);

/*
 * A sample's recorded status ("pending", "told", "failed", "expired") and
 * value. FO_ENOTFOUND when there is no such sample. Takes the lock itself.
 */
enum fo_status fo_store_sample_state(struct fo_store *s, const char *run_id, int64_t id,
                                     char *status, size_t cap, double *value,
                                     struct fo_error *err);

enum fo_status fo_store_step_insert(struct fo_store *s, const char *run_id,
                                    const struct fo_step_row *row, struct fo_error *err);

/*
 * Every run, for start-up: calls fn(ctx, id, name, state, snapshot, len,
 * snapshot_seq) and then op_fn(ctx, id, op) for each op after the snapshot,
 * in order. A non-zero return from a callback stops with FO_ECORRUPT.
 * Runs outside a transaction (it takes the lock itself).
 */
/*
 * One run's durable state, copied out so the caller can rebuild the engine
 * without holding the store's lock: its snapshot and the ops after it, in
 * order. OUT: *snapshot (malloc'd) and *len, *ops (malloc'd, NULL when
 * none) and *n_ops. FO_ENOTFOUND for an unknown run. Takes the lock.
 */
enum fo_status fo_store_run_fetch(struct fo_store *s, const char *id,
                                  unsigned char **snapshot, size_t *len,
                                  struct fo_op **ops, size_t *n_ops,
                                  struct fo_error *err);

typedef int (*fo_run_row_fn)(void *ctx, const char *id, const char *name,
                             const char *state, const unsigned char *snapshot, size_t len,
                             int64_t seq);
typedef int (*fo_op_row_fn)(void *ctx, const char *id, const struct fo_op *op);
enum fo_status fo_store_runs_load(struct fo_store *s, fo_run_row_fn fn,
                                  fo_op_row_fn op_fn, void *ctx, struct fo_error *err);

/* History rows with step > after, at most limit, in order; fn per row. */
typedef int (*fo_step_row_fn)(void *ctx, const struct fo_step_row *row);
enum fo_status fo_store_steps(struct fo_store *s, const char *run_id, int64_t after,
                              int64_t limit, fo_step_row_fn fn, void *ctx,
                              struct fo_error *err);

#endif
