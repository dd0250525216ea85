/*
 * drift.h - a reference point re-measured every reference.every
 * generations (issue 12, part 5), so a user sees the device drift: its
 * value is in the history row of the update after it (column reference),
 * and nothing is corrected. Its evaluations count in the budget and stay
 * out of every update, as re-evaluations do.
 */
#ifndef FLOWOPT_OPT_DRIFT_H
#define FLOWOPT_OPT_DRIFT_H

#include <stddef.h>
#include <stdint.h>
#include <flowopt/opt.h>
#include <flowopt/status.h>

struct fo_engine;

struct fo_drift {
    double *x;         /* (D) the reference (cfg.reference points here), or NULL */
    uint64_t due;      /* the generation whose ask measures it next */
    uint64_t pending;  /* the id of its measurement out, or 0 */
    double last;       /* the value told since the last history row (NaN: none) */
    uint64_t measured; /* measurements told so far */
};

enum fo_status fo__drift_create(struct fo_engine *e, struct fo_error *err);
void fo__drift_destroy(struct fo_engine *e);

/* Hand out the reference's measurement when one is due (records added, x
 * for the driver). Returns how many (0 or 1). */
size_t fo__drift_ask(struct fo_engine *e, size_t n, struct fo_sample *samples, double *x);

/* Samples it wants asked now (0 or 1). */
size_t fo__drift_wanted(const struct fo_engine *e);

/* Record i (of kind FO_REC_DRIFT) was resolved: keep its value, forget it. */
void fo__drift_resolved(struct fo_engine *e, size_t i);

/* The value for the next history row (NaN: none), cleared. */
double fo__drift_take(struct fo_engine *e);

#endif
