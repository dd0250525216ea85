/*
 * test_flow_fit.c - the flow learns data: a maximum-likelihood fit (Adam)
 * to 10^4 samples of a 2-D mixture of four well-separated Gaussians must
 * reach a held-out mean negative log-likelihood within 0.05 nats of the
 * mixture's own, which is computed exactly from its density.
 */
#include <flowopt/adam.h>
#include <flowopt/flow.h>
#include "tap.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_TRAIN 10000
#define N_TEST 10000
static const double centers[4][2] = {{0.0, 2.5}, {2.5, 0.0}, {0.0, -2.5}, {-2.5, 0.0}};
static const double SD = 0.5;

static void draw(double *x, size_t n, struct fo_rng *rng) {
    for (size_t i = 0; i < n; i++) {
        size_t k = (size_t)fo_rng_below(rng, 4);
        x[2 * i] = centers[k][0] + SD * fo_rng_normal(rng);
        x[2 * i + 1] = centers[k][1] + SD * fo_rng_normal(rng);
    }
}

/* -log of the mixture density, by log-sum-exp over the components. */
static double mixture_nll(const double *x) {
    double terms[4], mx = -INFINITY;
    for (int k = 0; k < 4; k++) {
        double dx = x[0] - centers[k][0], dy = x[1] - centers[k][1];
        terms[k] =
            log(0.25) - log(2 * M_PI * SD * SD) - (dx * dx + dy * dy) / (2 * SD * SD);
        mx = terms[k] > mx ? terms[k] : mx;
    }
    double s = 0.0;
    for (int k = 0; k < 4; k++)
        s += exp(terms[k] - mx);
    return -(mx + log(s));
}

static double flow_nll(struct fo_flow *f, const double *x, size_t n) {
    double lp[500], total = 0.0;
    for (size_t i = 0; i < n; i += 500) {
        fo_flow_log_prob(f, 500, x + 2 * i, lp, NULL);
        for (size_t j = 0; j < 500; j++)
            total -= lp[j];
    }
    return total / (double)n;
}

int main(void) {
    struct fo_rng rng;
    fo_rng_seed(&rng, 4);
    double *train = malloc(2 * N_TRAIN * sizeof(double));
    double *test = malloc(2 * N_TEST * sizeof(double));
    draw(train, N_TRAIN, &rng);
    draw(test, N_TEST, &rng);
    double ref = 0.0;
    for (size_t i = 0; i < N_TEST; i++)
        ref += mixture_nll(test + 2 * i);
    ref /= N_TEST;

    struct fo_flow_config cfg;
    fo_flow_config_default(&cfg, 2, FO_LAYER_SPLINE_AR, 2);
    cfg.hidden[0] = cfg.hidden[1] = 24;
    cfg.bins = 12;
    cfg.bound = 4.0;
    struct fo_flow *f = NULL;
    struct fo_adam *adam = NULL;
    struct fo_error err;
    if (fo_flow_create(&cfg, &f, &err) != FO_OK ||
        fo_adam_create(fo_flow_n_params(f), &adam, &err) != FO_OK)
        tap_bail("set-up: %s", err.msg);
    const size_t P = fo_flow_n_params(f), batch = 250;
    double *grad = malloc(P * sizeof(double)), *w = malloc(batch * sizeof(double));
    double lp[250];
    for (size_t i = 0; i < batch; i++)
        w[i] = -1.0 / (double)batch; /* descend on the mean negative log-likelihood */
    const int epochs = 40;
    size_t *order = malloc(N_TRAIN * sizeof(size_t));
    double *xb = malloc(2 * batch * sizeof(double));
    for (size_t i = 0; i < N_TRAIN; i++)
        order[i] = i;
    int ok = 1;
    for (int e = 0; e < epochs && ok; e++) {
        for (size_t i = N_TRAIN; i-- > 1;) {
            size_t j = (size_t)fo_rng_below(&rng, i + 1), t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        /* cosine decay from 1e-2 to 1e-4 */
        double lr = 1e-4 + 0.5 * (1e-2 - 1e-4) * (1 + cos(M_PI * e / epochs));
        for (size_t b = 0; b + batch <= N_TRAIN; b += batch) {
            for (size_t i = 0; i < batch; i++)
                memcpy(xb + 2 * i, train + 2 * order[b + i], 2 * sizeof(double));
            memset(grad, 0, P * sizeof(double));
            ok &= fo_flow_log_prob_grad(f, batch, xb, w, lp, grad, NULL, &err) == FO_OK;
            fo_adam_step(adam, fo_flow_params(f), grad, lr);
        }
    }
    tap_ok(ok, "every training step succeeded");
    double nll = flow_nll(f, test, N_TEST);
    tap_diag("held-out NLL: flow %.4f, mixture %.4f (%zu parameters)", nll, ref, P);
    tap_is_below(nll - ref, 0.05,
                 "the flow is within 0.05 nats of the true mixture (%.4f)", nll - ref);
    tap_ok(nll - ref > -0.05, "and not suspiciously better than the truth");
    free(order);
    free(xb);
    free(grad);
    free(w);
    free(train);
    free(test);
    fo_adam_destroy(adam);
    fo_flow_destroy(f);
    return tap_done();
}
