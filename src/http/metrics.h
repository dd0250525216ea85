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

/* Append the request metrics to text (malloc'd, grown as needed). Returns 0, -1 on
 * ENOMEM. */
int fo_metrics_render(char **text, size_t *len, size_t *cap);

#endif
