/*
 * metrics.h - request counters and latency for GET /metrics (Prometheus
 * text format 0.0.4). Thread-safe; recording takes one short lock.
 */
#ifndef FLOWOPT_HTTP_METRICS_H
#define FLOWOPT_HTTP_METRICS_H

#include <stddef.h>

/* Count one finished request: route pattern (NULL when unmatched), status, duration. */
void fo_metrics_record(const char *method, const char *route, unsigned status,
                       double micros);

struct fo_text;
/* Append the request metrics to t. */
void fo_metrics_render(struct fo_text *t);

#endif
