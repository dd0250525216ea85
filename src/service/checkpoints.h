/*
 * checkpoints.h - a run's saved states: create, list, export, restore, and new runs
 * from them (fork, import).
 */
#ifndef FLOWOPT_SERVICE_CHECKPOINTS_H
#define FLOWOPT_SERVICE_CHECKPOINTS_H

#include <stddef.h>
#include <stdint.h>
#include <flowopt/opt.h>
#include <flowopt/status.h>
#include "service/runs.h"

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

#endif
