/* metrics.c - see metrics.h. */
#include "http/metrics.h"
#include "util/text.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SERIES 256
#define N_BUCKETS 12

/* Latency bucket bounds in seconds (Prometheus convention: le=). */
static const double bounds[N_BUCKETS] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                         0.01,   0.025,   0.05,   0.1,   0.25,   1.0};

struct series {
    char method[8]; /* copied: the request's string dies with the request */
    const char *route;
    unsigned status;
    unsigned long long count;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct series table[MAX_SERIES];
static size_t n_series;
static unsigned long long bucket_counts[N_BUCKETS + 1];
static double latency_sum;
static unsigned long long latency_count;

/* The method's label: one of HTTP's, or "other" (a client picks the
 * method's text: quoted into the exposition it could break the format, and
 * 300 invented ones would fill the table). */
static const char *method_label(const char *method) {
    static const char *const known[] = {"GET",   "HEAD",   "POST",   "PUT",
                                        "PATCH", "DELETE", "OPTIONS"};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strcmp(method, known[i]) == 0)
            return known[i];
    return "other";
}

void fo_metrics_record(const char *method, const char *route, unsigned status,
                       double micros) {
    const char *r = route ? route : "unmatched";
    method = method_label(method);
    if (status < 100 || status > 599)
        status = 0;
    double seconds = micros / 1e6;
    pthread_mutex_lock(&lock);
    size_t i = 0;
    while (i < n_series &&
           !(table[i].status == status && strcmp(table[i].route, r) == 0 &&
             strcmp(table[i].method, method) == 0))
        i++;
    if (i == n_series && n_series < MAX_SERIES) {
        snprintf(table[i].method, sizeof table[i].method, "%s", method);
        table[i].route = r;
        table[i].status = status;
        table[i].count = 0;
        n_series++;
    }
    if (i < n_series)
        table[i].count++;
    size_t b = 0;
    while (b < N_BUCKETS && seconds > bounds[b])
        b++;
    bucket_counts[b]++;
    latency_sum += seconds;
    latency_count++;
    pthread_mutex_unlock(&lock);
}

void fo_metrics_render(struct fo_text *t) {
    pthread_mutex_lock(&lock);
    fo_text_printf(
        t, "# HELP flowopt_http_requests_total HTTP requests by route and status.\n"
           "# TYPE flowopt_http_requests_total counter\n");
    for (size_t i = 0; i < n_series; i++)
        fo_text_printf(t,
                       "flowopt_http_requests_total{method=\"%s\",route=\"%s\",status=\"%"
                       "u\"} %llu\n",
                       table[i].method, table[i].route, table[i].status, table[i].count);
    fo_text_printf(
        t, "# HELP flowopt_http_request_duration_seconds Time to answer a request.\n"
           "# TYPE flowopt_http_request_duration_seconds histogram\n");
    unsigned long long cumulative = 0;
    for (size_t b = 0; b < N_BUCKETS; b++) {
        cumulative += bucket_counts[b];
        fo_text_printf(t,
                       "flowopt_http_request_duration_seconds_bucket{le=\"%g\"} %llu\n",
                       bounds[b], cumulative);
    }
    cumulative += bucket_counts[N_BUCKETS];
    fo_text_printf(t,
                   "flowopt_http_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n"
                   "flowopt_http_request_duration_seconds_sum %.9g\n"
                   "flowopt_http_request_duration_seconds_count %llu\n",
                   cumulative, latency_sum, latency_count);
    pthread_mutex_unlock(&lock);
}
