/*
 * evaluators.h - a run's push-mode evaluator, as the service keeps it: the
 * JSON text the API checked (http) and the push worker reads (push), kept
 * in the run's row, and the counters of the calls made to it.
 */
#ifndef FLOWOPT_SERVICE_EVALUATORS_H
#define FLOWOPT_SERVICE_EVALUATORS_H

#include <stdint.h>
#include <flowopt/status.h>
#include "service/runs.h"

/* Set (text) or clear (NULL) run id's evaluator; durable on return. */
enum fo_status fo_service_evaluator_set(struct fo_service *svc, const char *id,
                                        const char *text, struct fo_error *err);
/* Run id's evaluator text (malloc'd, the caller frees; NULL: none). */
enum fo_status fo_service_evaluator_get(struct fo_service *svc, const char *id,
                                        char **text, struct fo_error *err);
/* Every run with an evaluator: fn(ctx, id, text). */
typedef int (*fo_service_evaluator_fn)(void *ctx, const char *id, const char *text);
enum fo_status fo_service_evaluators(struct fo_service *svc, fo_service_evaluator_fn fn,
                                     void *ctx, struct fo_error *err);

/* Whether the daemon may call host:port (the --evaluator-allow list: an
 * entry HOST allows every port, HOST:PORT that one; hosts compare without
 * case). */
int fo_service_evaluator_allowed(struct fo_service *svc, const char *host, unsigned port);

/* The calls to evaluators, for /metrics: made, failed (after retries),
 * and their time. */
struct fo_push_stats {
    uint64_t calls, failures, retries;
    double seconds;
};
void fo_service_push_note(struct fo_service *svc, int failed, int retried,
                          double seconds);
void fo_service_push_stats(struct fo_service *svc, struct fo_push_stats *out);

#endif
