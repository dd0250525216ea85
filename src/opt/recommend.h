/*
 * recommend.h - an answer that is good in expectation, not the winner's
 * curse of best-ever (a lucky draw of shot noise). The recommendation is
 * the search distribution's centre (its base point 0 pushed through the
 * flow and the box). With optimizer.reevaluate = r > 0 the engine asks, at
 * each round's first ask, r evaluations of one fixed point: a pool's point,
 * the centre when the pool began (the refiner's incumbent once it has swept;
 * none before: the first centre is only where the run starts).
 * Rounds are flow updates and refiner sweeps. A pool runs FO_RECOMMEND_POOL
 * rounds; then it becomes the recommendation, its point with the mean
 * of its r FO_RECOMMEND_POOL values and their standard error (an estimate
 * of a point chosen before it was measured), if its mean is better than the
 * one before's (FO_RECOMMEND_MARGIN); a new pool begins at the centre
 * then. The re-evaluations count in the budget and stay out of
 * every update.
 */
#ifndef FLOWOPT_OPT_RECOMMEND_H
#define FLOWOPT_OPT_RECOMMEND_H

#include <stddef.h>
#include <stdint.h>
#include <flowopt/opt.h>
#include <flowopt/status.h>

struct fo_engine;

/* Generations a pool of re-evaluations spans. */
#define FO_RECOMMEND_POOL 10
/* A complete pool replaces the recommendation when its mean is better by
 * this many standard errors of the difference. Measured on tfim_vqe with
 * 4,000 shots (10 seeds, the refiner alone, reevaluate 2): margin 0 gave
 * 100 % success, 1 gave 80 %, 2 gave 70 %; the flow alone (reevaluate 4)
 * 30 %, 20 % and 10 %. A worse pool (a restart's fresh centre) never
 * replaces a better one at any margin. */
#define FO_RECOMMEND_MARGIN 0.0

/* One point and what was measured there. */
struct fo_pool {
    double *x; /* (D), in the driver's coordinates */
    double sum, sumsq;
    uint64_t n;
    uint64_t generations; /* generations it has run */
};

struct fo_recommender {
    struct fo_pool cur, done; /* measuring now; the last complete one */
    int has_cur, has_done;
    uint64_t round;            /* flow updates and refiner sweeps so far */
    uint64_t asked_gen, asked; /* round + 1 of the last hand-out, how many */
    double *zero, *centre;     /* (D) scratch: base point 0, the centre */
};

enum fo_status fo__recommend_create(struct fo_engine *e, struct fo_error *err);
void fo__recommend_destroy(struct fo_engine *e);

/* The distribution's centre into e->rec.centre: base point 0 through the
 * flow and onto the box. Returns 0, or -1 when the flow cannot map it. */
int fo__recommend_centre(struct fo_engine *e);

/* Hand out the generation's re-evaluations (at its first ask). Returns
 * how many of n. */
size_t fo__recommend_ask(struct fo_engine *e, size_t n, struct fo_sample *samples,
                         double *x);

/* Re-evaluations the current generation still wants asked. */
size_t fo__recommend_wanted(const struct fo_engine *e);

/* Record i, a re-evaluation, was resolved: pool its value and forget it. */
void fo__recommend_resolved(struct fo_engine *e, size_t i);

/* A round ended (a flow update, or a refiner sweep): the pool ages,
 * completes, a new one begins. */
void fo__recommend_after_update(struct fo_engine *e);

#endif
