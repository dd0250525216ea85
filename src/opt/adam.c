/* adam.c - see adam.h. */
#include <flowopt/adam.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum fo_status fo_adam_create(size_t n, struct fo_adam **out, struct fo_error *err) {
    *out = NULL;
    struct fo_adam *a = calloc(1, sizeof *a);
    if (a) {
        a->m = calloc(n ? n : 1, sizeof *a->m);
        a->v = calloc(n ? n : 1, sizeof *a->v);
    }
    if (!a || !a->m || !a->v) {
        fo_adam_destroy(a);
        return fo_error_set(err, FO_ENOMEM, "optimizer", "out of memory for Adam state");
    }
    a->n = n;
    a->beta1 = 0.9;
    a->beta2 = 0.999;
    a->eps = 1e-8;
    *out = a;
    return FO_OK;
}

void fo_adam_destroy(struct fo_adam *a) {
    if (!a)
        return;
    free(a->m);
    free(a->v);
    free(a);
}

void fo_adam_step(struct fo_adam *a, double *params, const double *grad, double lr) {
    a->t++;
    const double b1 = a->beta1, b2 = a->beta2;
    /* Bias corrections folded into the step size (Kingma and Ba, sec. 2). */
    const double c1 = 1.0 - pow(b1, (double)a->t), c2 = 1.0 - pow(b2, (double)a->t);
    const double step = lr * sqrt(c2) / c1, eps = a->eps * sqrt(c2);
    double *restrict m = a->m, *restrict v = a->v;
    for (size_t i = 0; i < a->n; i++) {
        m[i] = b1 * m[i] + (1.0 - b1) * grad[i];
        v[i] = b2 * v[i] + (1.0 - b2) * grad[i] * grad[i];
        params[i] -= step * m[i] / (sqrt(v[i]) + eps);
    }
}

void fo_adam_direction(struct fo_adam *a, const double *grad, double *dir) {
    a->t++;
    const double b1 = a->beta1, b2 = a->beta2;
    const double c1 = 1.0 - pow(b1, (double)a->t), c2 = 1.0 - pow(b2, (double)a->t);
    const double scale = sqrt(c2) / c1, eps = a->eps * sqrt(c2);
    double *restrict m = a->m, *restrict v = a->v;
    for (size_t i = 0; i < a->n; i++) {
        m[i] = b1 * m[i] + (1.0 - b1) * grad[i];
        v[i] = b2 * v[i] + (1.0 - b2) * grad[i] * grad[i];
        dir[i] = scale * m[i] / (sqrt(v[i]) + eps);
    }
}

void fo_adam_copy(struct fo_adam *dst, const struct fo_adam *src) {
    memcpy(dst->m, src->m, src->n * sizeof *dst->m);
    memcpy(dst->v, src->v, src->n * sizeof *dst->v);
    dst->t = src->t;
    dst->beta1 = src->beta1;
    dst->beta2 = src->beta2;
    dst->eps = src->eps;
}
