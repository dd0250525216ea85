/*
 * evaluator_json.h - the run's "evaluator" object of the API, checked and
 * written out whole (defaults filled in) for the service to keep:
 *   url          http:// or https:// HOST[:PORT]/..., the host on the
 *                daemon's --evaluator-allow list
 *   batch        samples per call (1..1000, default 10)
 *   concurrency  calls in flight (1..64, default 1)
 *   timeout_s    per call ((0, 3600], default 30)
 *   retries      after a timeout or a 5xx (0..10, default 2)
 *   headers      an object of strings sent with every call (at most 16)
 */
#ifndef FLOWOPT_HTTP_EVALUATOR_JSON_H
#define FLOWOPT_HTTP_EVALUATOR_JSON_H

#include <jansson.h>
#include <flowopt/status.h>

struct fo_service;

/* v (an object, or null to clear) as the text to keep. OUT: *text (malloc'd;
 * NULL for null). Errors name the field (evaluator.url, ...). */
enum fo_status fo__evaluator_parse(struct fo_service *svc, json_t *v, char **text,
                                   struct fo_error *err);

#endif
