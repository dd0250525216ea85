/*
 * adam.h - Adam (Kingma and Ba 2015, algorithm 1) over one flat buffer.
 *
 * The moments m and v have the parameter buffer's layout, so a whole-model
 * step is one loop. The state is plain data: it can be copied for a
 * rollback and serialised for a checkpoint.
 */
#ifndef FLOWOPT_ADAM_H
#define FLOWOPT_ADAM_H

#include <stddef.h>
#include <stdint.h>
#include <flowopt/status.h>

struct fo_adam {
    size_t n;
    double beta1, beta2, eps;
    uint64_t t; /* steps taken */
    double *m;  /* (n) first moment */
    double *v;  /* (n) second moment */
};

/* Moments zeroed; beta1 0.9, beta2 0.999, eps 1e-8 unless changed after. */
enum fo_status fo_adam_create(size_t n, struct fo_adam **out, struct fo_error *err);
void fo_adam_destroy(struct fo_adam *adam);

/*
 * One descent step on grad: params -= lr * mhat / (sqrt(vhat) + eps).
 * To ascend (maximise), pass the negated gradient.
 */
void fo_adam_step(struct fo_adam *adam, double *params, const double *grad, double lr);

/*
 * Update the moments with grad and write the step direction
 * dir = mhat / (sqrt(vhat) + eps) without touching any parameters, so a
 * caller can scale the step (a trust region halving it, say):
 * params -= lr * dir is exactly fo_adam_step.
 */
void fo_adam_direction(struct fo_adam *adam, const double *grad, double *dir);

/* Copy moments and step count from src (same n); for rollback. */
void fo_adam_copy(struct fo_adam *dst, const struct fo_adam *src);

#endif
