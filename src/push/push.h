/*
 * push.h - push-mode evaluators: for every active run with an evaluator,
 * the daemon asks samples itself (client_id "push", leased), POSTs
 * {"run", "samples": [{"id", "x"}]} to the evaluator's URL (libcurl, in a
 * thread of its own, never on an HTTP request thread, never holding a
 * run's lock), and tells what comes back: {"results": [{"id", "value"} |
 * {"id", "status": "failed", "error"}]}. A timeout, a refused connection
 * or a 5xx is retried with backoff (retries), then told failed; an answer
 * that does not parse, or misses samples, tells those failed with the
 * reason. A paused or stopped run is not called; after a restart the
 * samples push still held are sent again first (resume). Every call is
 * checked against the --evaluator-allow list, and redirects are not
 * followed.
 */
#ifndef FLOWOPT_PUSH_PUSH_H
#define FLOWOPT_PUSH_PUSH_H

#include <flowopt/status.h>

struct fo_service;
struct fo_push;

/* Start the worker on svc. OUT: *out, stopped with fo_push_stop. */
enum fo_status fo_push_start(struct fo_service *svc, struct fo_push **out,
                             struct fo_error *err);
/* Stop: calls in flight are abandoned (their samples stay pending and are
 * pushed again after the next start). */
void fo_push_stop(struct fo_push *p);

#endif
