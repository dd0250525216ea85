/*
 * asktell.h - the ask/tell loop of a run: asks (retried by key), tells checked
 * whole and committed before they are acknowledged, forced steps, the
 * expiry of pending samples.
 */
#ifndef FLOWOPT_SERVICE_ASKTELL_H
#define FLOWOPT_SERVICE_ASKTELL_H

#include <stddef.h>
#include <stdint.h>
#include <flowopt/opt.h>
#include <flowopt/status.h>
#include "service/runs.h"

/* One result in a tell request. */
struct fo_tell_item {
    uint64_t id;
    int failed; /* 1: the evaluation failed (value ignored) */
    double value;
    const char *error; /* optional text for a failure */
    int expired;       /* set by the service for a pending timeout */
    double std_error;  /* the value's standard error as the driver gave it; NaN: none */
    int64_t shots;     /* the shots it was estimated from; 0: none */
    int lost;          /* 1: lost (no value; its point is handed out again) */
    double cost;       /* what it cost (shots, device seconds, money); NaN: none */
    const char *metadata; /* a JSON object's text, or NULL */
    const char *metrics;  /* a JSON object of named numbers' text, or NULL */
};

struct fo_tell_outcome {
    size_t accepted;   /* newly recorded */
    size_t duplicates; /* repeats of what was already recorded */
    size_t n_reports;  /* updates the tell produced (reports filled) */
    size_t wanted;     /* after it: samples the generation still needs asked */
};

/*
 * Draw n samples (OUT: samples (n), x (n, dim)); committed before return.
 * With a key (NULL for none), a retry with the same key returns the same
 * samples; the same key with another n is FO_ECONFLICT.
 */
enum fo_status fo_service_ask(struct fo_service *svc, const char *id, size_t n,
                              const char *key, struct fo_sample *samples, double *x,
                              struct fo_error *err);

/* What an ask may say besides n. */
struct fo_ask_options {
    const char *key;       /* Idempotency-Key, or NULL */
    const char *client_id; /* the driver asking (NULL: none): its asks and tells
                              renew the leases of what it holds */
    double lease_s;        /* the new samples' lease (NaN: none; the run's
                              pending_timeout_s then applies) */
    int resume;            /* first hand back client_id's pending samples (no key) */
};

/* fo_service_ask with options. OUT: *resumed (may be NULL) how many of the
 * n were the client's pending samples handed back (they come first). */
enum fo_status fo_service_ask_ex(struct fo_service *svc, const char *id, size_t n,
                                 const struct fo_ask_options *o,
                                 struct fo_sample *samples, double *x, size_t *resumed,
                                 struct fo_error *err);

/* Renew client_id's leases on the run: each for lease_s (NaN: its own).
 * OUT: *renewed. Durable on return. */
enum fo_status fo_service_leases_renew(struct fo_service *svc, const char *id,
                                       const char *client_id, double lease_s,
                                       int64_t *renewed, struct fo_error *err);

/*
 * Record results. The whole request is checked first: an unknown id, a
 * non-finite value or a result that contradicts a recorded one fails it
 * with nothing applied. OUT: outcome, and reports (capacity n) for the
 * updates the results triggered. Committed before return.
 */
enum fo_status fo_service_tell(struct fo_service *svc, const char *id,
                               const struct fo_tell_item *items, size_t n,
                               struct fo_step_report *reports,
                               struct fo_tell_outcome *outcome, struct fo_error *err);

/* Force an update with what has been told. OUT: report. Durable on return. */
enum fo_status fo_service_step(struct fo_service *svc, const char *id,
                               struct fo_step_report *report, struct fo_error *err);

/*
 * Expire the run's samples pending for longer than its pending_timeout_s:
 * each counts as failed (status "expired"), so a generation can complete.
 * OUT: *expired. The service's janitor thread calls this every interval.
 */
enum fo_status fo_service_expire(struct fo_service *svc, const char *id, size_t *expired,
                                 struct fo_error *err);

#endif
