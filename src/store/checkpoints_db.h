/*
 * checkpoints_db.h - checkpoints: a run's snapshot kept under a number. Writers run
 * inside a transaction (txn.h); readers take the lock themselves.
 */
#ifndef FLOWOPT_STORE_CHECKPOINTS_DB_H
#define FLOWOPT_STORE_CHECKPOINTS_DB_H

#include <stddef.h>
#include <stdint.h>
#include <flowopt/status.h>
#include "store/store.h"
#include "store/txn.h"

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

#endif
