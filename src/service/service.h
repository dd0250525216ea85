/*
 * service.h - the plain-C API that the HTTP layer calls.
 *
 * The service owns the store and (with later features) the registry of live
 * runs and their locks. It speaks no HTTP, JSON or SQL; results come back in
 * plain structs, failures as enum fo_status with a struct fo_error.
 */
#ifndef FLOWOPT_SERVICE_SERVICE_H
#define FLOWOPT_SERVICE_SERVICE_H

#include <stddef.h>
#include <flowopt/status.h>
#include "store/store.h"

struct fo_service_config {
    struct fo_store_config store;
    unsigned expiry_interval_ms;   /* how often pending timeouts are checked (0: 1000) */
    unsigned checkpoint_retention; /* checkpoints kept per run, newest first (0: all) */
    unsigned park_idle_s;          /* a run unused this long leaves memory until its next
                                      request rebuilds it from the store (0: never) */
    const char *evaluator_allow;   /* HOST[:PORT],... the daemon may call as push-mode
                                      evaluators (NULL or "": none) */
    /* budgets (0 picks the default): runs held, a run's flow parameters,
     * coordinates in one answer (ask n x dim, samples limit x dim) */
    size_t max_runs, max_params, max_answer_values;
    int has_shard; /* new run ids begin with shard (0..255) in hex */
    unsigned shard;
};

#define FO_DEFAULT_MAX_RUNS 10000
#define FO_DEFAULT_MAX_PARAMS (1u << 21) /* 2,097,152: the presets up to dim 100 */
#define FO_DEFAULT_MAX_ANSWER_VALUES 2000000

struct fo_service;

/* This daemon's limit on coordinates in one answer (the routes weigh asks
 * and pages against it). */
size_t fo_service_max_answer_values(const struct fo_service *svc);

struct fo_health {
    const char *version; /* static string */
    int schema_version;
    char degraded[200]; /* why writes are refused, "" while they are not */
};

struct fo_service;

/* OUT: *out, owned by the caller, released with fo_service_destroy. */
enum fo_status fo_service_create(const struct fo_service_config *cfg,
                                 struct fo_service **out, struct fo_error *err);

/* Liveness and versions; never fails once the service exists. */
void fo_service_health(struct fo_service *svc, struct fo_health *out);

/* Close everything; NULL is a no-op. Callers stop serving requests first. */
void fo_service_destroy(struct fo_service *svc);

/* Log every damaged run at error (a run whose stored state did not load:
 * it is served read-only); returns how many. */
size_t fo_service_report_damage(struct fo_service *svc);

#endif
