/*
 * steps_db.h - the history of runs, one row per update. Writers run inside a
 * transaction (txn.h); readers take the lock themselves.
 */
#ifndef FLOWOPT_STORE_STEPS_DB_H
#define FLOWOPT_STORE_STEPS_DB_H

#include <stddef.h>
#include <stdint.h>
#include <flowopt/history.h>
#include <flowopt/status.h>
#include "store/store.h"
#include "store/txn.h"

/* One row of a run's history (the step report, store-side). */
struct fo_step_row {
    int64_t step, generation, evaluations, n;
#define FO_STEP_ROW_REAL(name) double name;
    FO_STEP_REALS(FO_STEP_ROW_REAL)
#undef FO_STEP_ROW_REAL
#define FO_STEP_ROW_INT(name) int64_t name;
    FO_STEP_INTS(FO_STEP_ROW_INT)
#undef FO_STEP_ROW_INT
    int64_t events;
};

enum fo_status fo_store_step_insert(struct fo_store *s, const char *run_id,
                                    const struct fo_step_row *row, struct fo_error *err);

/* Drop history rows with step > after (a restore rewinds the history too). */
enum fo_status fo_store_steps_truncate(struct fo_store *s, const char *run_id,
                                       int64_t after, struct fo_error *err);

/* History rows with step > after, at most limit, in order; fn per row. */
typedef int (*fo_step_row_fn)(void *ctx, const struct fo_step_row *row);
enum fo_status fo_store_steps(struct fo_store *s, const char *run_id, int64_t after,
                              int64_t limit, fo_step_row_fn fn, void *ctx,
                              struct fo_error *err);

#endif
