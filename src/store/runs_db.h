/*
 * runs_db.h - runs, their snapshots and the op log. A function that writes
 * runs inside a transaction (txn.h); one that says it takes the lock
 * itself reads outside any.
 */
#ifndef FLOWOPT_STORE_RUNS_DB_H
#define FLOWOPT_STORE_RUNS_DB_H

#include <stddef.h>
#include <stdint.h>
#include <flowopt/status.h>
#include "store/store.h"
#include "store/txn.h"

enum fo_op_kind {
    FO_OP_ASK = 1,
    FO_OP_TELL = 2,
    FO_OP_FAIL = 3,
    FO_OP_STEP = 4,
    FO_OP_LOST = 5,
    FO_OP_OBSERVE = 6 /* a value at an x the run did not hand out (the sample row's) */
};

struct fo_op {
    int64_t seq;
    enum fo_op_kind kind;
    int64_t n;         /* ask */
    int64_t sample_id; /* tell, fail */
    double value;      /* tell */
    double std_error;  /* tell: its standard error, NaN when none */
    double cost;       /* tell, fail, lost: the cost told with it, NaN when none */
    const double *x;   /* observe, when read back: its sample's x (dim), else NULL */
    size_t dim;
};

enum fo_status fo_store_run_insert(struct fo_store *s, const char *id, const char *name,
                                   int64_t dim, const unsigned char *snapshot, size_t len,
                                   struct fo_error *err);

/* Replace the snapshot; ops up to and including seq (every op so far when seq < 0)
 * are folded into it and deleted. */
enum fo_status fo_store_run_snapshot(struct fo_store *s, const char *id,
                                     const unsigned char *snapshot, size_t len,
                                     int64_t seq, struct fo_error *err);

/* name and/or state (NULL leaves it). */
enum fo_status fo_store_run_update(struct fo_store *s, const char *id, const char *name,
                                   const char *state, struct fo_error *err);
enum fo_status fo_store_run_delete(struct fo_store *s, const char *id,
                                   struct fo_error *err);

/* When run id was created (ISO 8601, UTC) into out (cap bytes; "" when
 * unknown); takes the lock itself. */
enum fo_status fo_store_run_created(struct fo_store *s, const char *id, char *out,
                                    size_t cap, struct fo_error *err);

/* A run's evaluator (its JSON text; NULL clears it), inside a transaction. */
enum fo_status fo_store_run_evaluator_set(struct fo_store *s, const char *id,
                                          const char *evaluator, struct fo_error *err);
/* Run id's evaluator text (malloc'd into *out, NULL when none); takes the
 * lock itself. */
enum fo_status fo_store_run_evaluator_get(struct fo_store *s, const char *id, char **out,
                                          struct fo_error *err);
/* The runs with an evaluator: fn(ctx, id, evaluator) for each, in id order;
 * takes the lock itself. */
typedef int (*fo_evaluator_fn)(void *ctx, const char *id, const char *evaluator);
enum fo_status fo_store_run_evaluators(struct fo_store *s, fo_evaluator_fn fn, void *ctx,
                                       struct fo_error *err);

/* Run ids after `after` ("" for the first page), in order; takes the lock itself. */
typedef int (*fo_id_fn)(void *ctx, const char *id);
enum fo_status fo_store_run_ids(struct fo_store *s, const char *after, int64_t limit,
                                fo_id_fn fn, void *ctx, struct fo_error *err);

/* Append n ops in order; their seq fields are assigned from the run's counter. */
enum fo_status fo_store_ops_append(struct fo_store *s, const char *run_id,
                                   struct fo_op *ops, size_t n, struct fo_error *err);

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

/*
 * Every run, for start-up: calls fn(ctx, id, name, state, snapshot, len,
 * snapshot_seq, next_seq) and then op_fn(ctx, id, op) for each op stored
 * after the snapshot, in order: an intact log numbers them snapshot_seq + 1
 * up to next_seq - 1. A non-zero return from a callback stops with
 * FO_ECORRUPT.
 * Runs outside a transaction (it takes the lock itself).
 */
typedef int (*fo_run_row_fn)(void *ctx, const char *id, const char *name,
                             const char *state, const unsigned char *snapshot, size_t len,
                             int64_t seq, int64_t next_seq);
typedef int (*fo_op_row_fn)(void *ctx, const char *id, const struct fo_op *op);
enum fo_status fo_store_runs_load(struct fo_store *s, fo_run_row_fn fn,
                                  fo_op_row_fn op_fn, void *ctx, struct fo_error *err);

#endif
