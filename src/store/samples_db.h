/*
 * samples_db.h - the samples of runs (x, behaviour log-density, status, value,
 * timestamps) and the asks' idempotency keys. Writers run inside a
 * transaction (txn.h); readers take the lock themselves.
 */
#ifndef FLOWOPT_STORE_SAMPLES_DB_H
#define FLOWOPT_STORE_SAMPLES_DB_H

#include <stddef.h>
#include <stdint.h>
#include <flowopt/status.h>
#include "store/store.h"
#include "store/txn.h"

/* Largest dimension a sample row decodes. */
#define FO_STORE_MAX_DIM 1024

typedef int (*fo_id64_fn)(void *ctx, int64_t id);

/* A sample handed out: reissue_of the lost sample whose point this is
 * again (0: none); client_id the driver it went to (NULL: none) and
 * lease_s its lease (NaN: none; it then expires by the run's timeout). */
struct fo_store_new_sample {
    int64_t id, generation;
    const double *x;
    size_t dim;
    double log_prob;
    int64_t reissue_of;
    const char *client_id;
    double lease_s;
    int observed; /* a value the driver observed unasked (origin 'observed') */
};
enum fo_status fo_store_sample_insert(struct fo_store *s, const char *run_id,
                                      const struct fo_store_new_sample *n,
                                      struct fo_error *err);

/*
 * Renew the leases of client_id's pending samples: each for lease_s from
 * now (NaN: for its own lease_s; samples without one keep none). OUT:
 * *renewed (may be NULL). Inside a transaction.
 */
enum fo_status fo_store_leases_renew(struct fo_store *s, const char *run_id,
                                     const char *client_id, double lease_s,
                                     int64_t *renewed, struct fo_error *err);

/* Pending samples of the run with a lease (the janitor must see the run).
 * Takes the lock itself. */
enum fo_status fo_store_leased_pending(struct fo_store *s, const char *run_id, int64_t *n,
                                       struct fo_error *err);

/* A result: status (the service's name for it), value (NaN: none, stored
 * as NULL), error text (may be NULL), and the value's error bar as the
 * driver gave it (std_error NaN and shots 0: none, stored as NULL). */
struct fo_store_result {
    const char *status;
    double value;
    const char *error;
    double std_error;
    int64_t shots;
    double cost;                    /* NaN: none */
    const char *metadata, *metrics; /* JSON objects' text, or NULL */
};
enum fo_status fo_store_sample_resolve(struct fo_store *s, const char *run_id, int64_t id,
                                       const struct fo_store_result *r,
                                       struct fo_error *err);

/*
 * A sample's recorded status ("pending", "told", "failed", "expired") and
 * value. FO_ENOTFOUND when there is no such sample. Takes the lock itself.
 */
enum fo_status fo_store_sample_state(struct fo_store *s, const char *run_id, int64_t id,
                                     char *status, size_t cap, double *value,
                                     struct fo_error *err);

struct fo_sample_row {
    int64_t id, generation;
    const double *x; /* (dim), valid during the callback */
    size_t dim;
    double log_prob, value;                          /* value NaN when none */
    const char *status, *asked_at, *told_at, *error; /* told_at, error may be NULL */
    double std_error;                                /* NaN when none */
    int64_t shots;                                   /* 0 when none */
    int64_t reissue_of;                              /* 0 when none */
    const char *client_id, *lease_until;             /* NULL when none */
    double cost;                                     /* NaN when none */
    const char *metadata, *metrics;                  /* JSON text, NULL when none */
    int observed;                                    /* origin 'observed' */
};
typedef int (*fo_sample_row_fn)(void *ctx, const struct fo_sample_row *row);
/* Samples with id > after, filtered by status and client_id (NULL: any)
 * and generation (< 0: any), at most limit; takes the lock itself. */
enum fo_status fo_store_samples(struct fo_store *s, const char *run_id,
                                const char *status, const char *client_id,
                                int64_t generation, int64_t after, int64_t limit,
                                fo_sample_row_fn fn, void *ctx, struct fo_error *err);

/* An ask's Idempotency-Key: remember it, or look it up (FO_ENOTFOUND). */
enum fo_status fo_store_ask_key_insert(struct fo_store *s, const char *run_id,
                                       const char *key, int64_t first_id, int64_t n,
                                       struct fo_error *err);
enum fo_status fo_store_ask_key_get(struct fo_store *s, const char *run_id,
                                    const char *key, int64_t *first_id, int64_t *n,
                                    struct fo_error *err);

/* Ids of samples due to expire, oldest first (at most limit): pending past
 * their lease, or, without one, for more than `seconds` (0: never); takes
 * the lock itself. */
enum fo_status fo_store_pending_older(struct fo_store *s, const char *run_id,
                                      double seconds, int64_t limit, fo_id64_fn fn,
                                      void *ctx, struct fo_error *err);

/* Samples with id >= first_id still pending become 'expired' with error text
 * (a restore leaves them outside the run). */
enum fo_status fo_store_samples_expire_from(struct fo_store *s, const char *run_id,
                                            int64_t first_id, const char *error,
                                            struct fo_error *err);

#endif
