/*
 * routes_common.h - what the run routes share: body limits, the reply for
 * a failed service call, a run and a history row as JSON, query integers.
 */
#ifndef FLOWOPT_HTTP_ROUTES_COMMON_H
#define FLOWOPT_HTTP_ROUTES_COMMON_H

#include <jansson.h>
#include "http/reply.h"
#include "service/runs.h"

#define MAX_CREATE_BODY (64 * 1024)
#define MAX_TELL_BODY (4 * 1024 * 1024)
#define MAX_ASK_BODY 1024

/* problem+json for a failed call; err's text when it has one. */
void fo__reply_status(struct fo_http_reply *rep, enum fo_status st, struct fo_error *err);
/* The run object of GET /v1/runs/{id} (new reference). */
json_t *fo__run_json(const struct fo_run_view *v);
/* One history row (new reference). */
json_t *fo__step_json(const struct fo_step_report *r);
/* Reply with run id as JSON and status, or the problem if it is gone. */
void fo__reply_run(const struct fo_http_request *req, struct fo_http_reply *rep,
                   const char *id, unsigned status);
/* A non-negative integer query argument, def when absent, -1 when malformed or > max. */
long long fo__query_int(const struct fo_http_request *req, const char *key, long long def,
                        long long max);

#endif
