/*
 * reads.h - what a run has learned and recorded: its best, its history, its
 * samples and its current density.
 */
#ifndef FLOWOPT_SERVICE_READS_H
#define FLOWOPT_SERVICE_READS_H

#include <stddef.h>
#include <stdint.h>
#include <flowopt/opt.h>
#include <flowopt/status.h>
#include "service/runs.h"

/* Best told value. FO_ENOTFOUND when the run has none yet. OUT: x (dim). */
/* The run's modes (fo_engine_modes), at most cap. OUT: x (cap, dim), out.
 * Returns how many; 0 with err set when there is no such run. */
size_t fo_service_modes(struct fo_service *svc, const char *id, size_t cap, double *x,
                        struct fo_mode *out, struct fo_error *err);

/* What the run recommends (fo_engine_recommend). OUT: x (dim), *out. */
enum fo_status fo_service_recommend(struct fo_service *svc, const char *id, double *x,
                                    struct fo_recommendation *out, struct fo_error *err);

enum fo_status fo_service_best(struct fo_service *svc, const char *id, double *x,
                               double *value, uint64_t *sample_id, uint64_t *generation,
                               struct fo_error *err);

/* History rows with step > after, at most limit, oldest first: fn per row
 * (a non-zero return stops). FO_ENOTFOUND for an unknown run. */
typedef int (*fo_history_fn)(void *ctx, const struct fo_step_report *row);
enum fo_status fo_service_history(struct fo_service *svc, const char *id, uint64_t after,
                                  uint64_t limit, fo_history_fn fn, void *ctx,
                                  struct fo_error *err);

/* A stored sample, as the samples route shows it. */
struct fo_sample_record {
    uint64_t id, generation;
    const double *x; /* (dim), valid during the callback */
    size_t dim;
    double log_prob, value; /* value NaN when none */
    const char *status, *asked_at, *told_at, *error;
    double std_error;                    /* NaN when the driver gave none */
    int64_t shots;                       /* 0 when none */
    uint64_t reissue_of;                 /* the lost sample it hands out again; 0: none */
    const char *client_id, *lease_until; /* NULL when none */
    double cost;                         /* NaN when none */
    const char *metadata, *metrics;      /* JSON objects' text, NULL when none */
    int observed;                        /* a value observed unasked */
};
typedef int (*fo_sample_fn)(void *ctx, const struct fo_sample_record *rec);
/* Samples with id > after; status and client_id NULL and generation < 0
 * mean any. */
enum fo_status fo_service_samples(struct fo_service *svc, const char *id,
                                  const char *status, const char *client_id,
                                  int64_t generation, uint64_t after, size_t limit,
                                  fo_sample_fn fn, void *ctx, struct fo_error *err);

/* log p of the run's current density at x (n, dim). OUT: log_p (n). */
enum fo_status fo_service_log_prob(struct fo_service *svc, const char *id, size_t n,
                                   const double *x, double *log_p, struct fo_error *err);

#endif
