/*
 * test_adam.c - Adam over a flat buffer against Kingma and Ba (2015),
 * algorithm 1, written out term by term: m_t, v_t, the bias-corrected
 * mhat_t = m_t / (1 - beta1^t) and vhat_t = v_t / (1 - beta2^t), and the
 * step lr mhat / (sqrt(vhat) + eps). fo_adam_step and fo_adam_direction
 * fold the corrections into one scale; both must match the reference for
 * every step, the first ones (where the corrections matter most) included.
 */
#include <flowopt/adam.h>
#include <flowopt/rng.h>
#include "tap.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define N 7
#define STEPS 40

struct ref {
    double m[N], v[N];
    unsigned t;
};

/* One step of algorithm 1 (eps as in the paper: added to sqrt(vhat)). */
static void ref_step(struct ref *r, double *theta, const double *g, double lr) {
    const double b1 = 0.9, b2 = 0.999, eps = 1e-8;
    r->t++;
    for (size_t i = 0; i < N; i++) {
        r->m[i] = b1 * r->m[i] + (1 - b1) * g[i];
        r->v[i] = b2 * r->v[i] + (1 - b2) * g[i] * g[i];
        double mhat = r->m[i] / (1 - pow(b1, r->t));
        double vhat = r->v[i] / (1 - pow(b2, r->t));
        theta[i] -= lr * mhat / (sqrt(vhat) + eps);
    }
}

int main(void) {
    struct fo_adam *a = NULL, *b = NULL;
    tap_is_int(fo_adam_create(N, &a, NULL), FO_OK, "Adam for %d parameters", N);
    fo_adam_create(N, &b, NULL);
    struct ref r = {{0}, {0}, 0};
    struct fo_rng rng;
    fo_rng_seed(&rng, 3);
    double theta[N], ref_theta[N], by_dir[N];
    for (size_t i = 0; i < N; i++)
        theta[i] = ref_theta[i] = by_dir[i] = fo_rng_normal(&rng);
    double worst_step = 0.0, worst_dir = 0.0, first = 0.0;
    for (int s = 0; s < STEPS; s++) {
        double g[N], dir[N];
        /* gradients of very different sizes: Adam's steps do not care */
        for (size_t i = 0; i < N; i++)
            g[i] = fo_rng_normal(&rng) * pow(10.0, (double)i - 3.0);
        const double lr = 0.01;
        ref_step(&r, ref_theta, g, lr);
        fo_adam_step(a, theta, g, lr);
        fo_adam_direction(b, g, dir);
        for (size_t i = 0; i < N; i++) {
            by_dir[i] -= lr * dir[i];
            double scale = fabs(ref_theta[i]) + lr;
            double es = fabs(theta[i] - ref_theta[i]) / scale;
            double ed = fabs(by_dir[i] - ref_theta[i]) / scale;
            worst_step = es > worst_step ? es : worst_step;
            worst_dir = ed > worst_dir ? ed : worst_dir;
        }
        if (s == 0)
            first = fabs(dir[N - 1]); /* the largest gradient: eps is negligible */
    }
    tap_is_below(worst_step, 1e-12,
                 "fo_adam_step follows algorithm 1 for %d steps (%.2e)", STEPS,
                 worst_step);
    tap_is_below(worst_dir, 1e-12,
                 "params -= lr * fo_adam_direction is the same step (%.2e)", worst_dir);
    tap_is_near(first, 1.0, 1e-9,
                "the first direction is g / |g| (bias-corrected), not 0.1 / sqrt(0.001)");
    tap_is_int((long long)a->t, STEPS, "t counts the steps");

    struct fo_adam *c = NULL;
    fo_adam_create(N, &c, NULL);
    fo_adam_copy(c, a);
    int same = c->t == a->t && memcmp(c->m, a->m, sizeof(double) * N) == 0 &&
               memcmp(c->v, a->v, sizeof(double) * N) == 0;
    tap_ok(same, "fo_adam_copy copies the moments and t");
    fo_adam_destroy(a);
    fo_adam_destroy(b);
    fo_adam_destroy(c);
    fo_adam_destroy(NULL);
    return tap_done();
}
