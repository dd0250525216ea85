/*
 * test_cma.c - the CMA adaptation of the innermost Gaussian (cma.h): its
 * learning rates against an independent implementation, cumulative
 * step-size adaptation that lengthens the step on a slope and shortens it
 * at an optimum, a covariance that learns an ellipsoid's shape, the `cma`
 * preset solving what CMA-ES solves, and its state surviving a snapshot.
 */
#include <flowopt/opt.h>
#include "functions.h"
#include "opt/cma.h"
#include "opt/engine_internal.h"
#include "tap.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* D = 10, lambda = 10, as Debian's python3-cmaes 0.9.1 computes them
 * (CMA(mean=zeros(10), sigma=1, population_size=10): _mu_eff, _c_sigma,
 * _d_sigma, _cc, _c1, _cmu), the same digits as the tutorial's formulas. */
static void test_rates(void) {
    struct fo_cma_rates r;
    fo__cma_rates(10, 10, &r);
    tap_ok(r.mu == 5, "mu = lambda / 2");
    tap_is_near(r.mu_eff, 3.1672992814107026, 1e-14, "mu_eff");
    tap_is_near(r.c_s, 0.2844285879463675, 1e-15, "c_sigma");
    tap_is_near(r.d_s, 1.2844285879463675, 1e-15, "d_sigma");
    tap_is_near(r.c_c, 0.29499038303562225, 1e-15, "c_c");
    tap_is_near(r.c_1, 0.015283824524751714, 1e-15, "c_1");
    tap_is_near(r.c_mu, 0.02015428276120838, 1e-15, "c_mu");
    /* python3-cmaes's _weights[5:]: sum -1.7583412769304299, first
     * -0.08532086250759853, last -0.5862218287788353 */
    tap_is_near(-r.neg_total, -1.7583412769304299, 1e-14,
                "active: the negative weights sum to -min(alpha_mu, alpha_mu_eff, "
                "alpha_posdef)");
    tap_is_near((r.w_top - log(6.0)) * r.w_neg, -0.08532086250759853, 1e-15,
                "active: the sixth sample's weight");
    tap_is_near((r.w_top - log(10.0)) * r.w_neg, -0.5862218287788353, 1e-15,
                "active: the worst sample's weight");
}

typedef double (*objective)(const double *x, size_t D);

/* A cma-preset engine of dimension D, unbounded, seed 3. */
static struct fo_engine *engine(size_t D) {
    struct fo_run_config c;
    fo_run_preset(&c, "cma", D);
    c.seed = c.flow.seed = 3;
    c.restarts = 0;
    struct fo_engine *e = NULL;
    fo_engine_create(&c, &e, NULL);
    return e;
}

static void generations(struct fo_engine *e, int n, objective f) {
    const size_t D = fo_engine_dim(e), B = fo_engine_config(e)->batch_size;
    struct fo_sample s[64];
    double x[64 * 16];
    for (int g = 0; g < n; g++) {
        fo_engine_ask(e, B, s, x, NULL);
        for (size_t i = 0; i < B; i++)
            fo_engine_tell(e, s[i].id, f(x + i * D, D), NULL, NULL, NULL, NULL);
    }
}

static double slope(const double *x, size_t D) {
    (void)D;
    return x[0];
}

/* axis-parallel, condition 1e4, its optimum at (1, 1, 1, 1) */
static double ellipsoid4(const double *x, size_t D) {
    double s = 0.0;
    for (size_t i = 0; i < D; i++)
        s += pow(10.0, 4.0 * (double)i / (double)(D - 1)) * (x[i] - 1.0) * (x[i] - 1.0);
    return s;
}

static void test_csa(void) {
    struct fo_engine *e = engine(4);
    generations(e, 30, slope);
    tap_ok(e->cma_sigma > 20.0, "on a slope the step grows (sigma %.3g after 30)",
           e->cma_sigma);
    fo_engine_destroy(e);
    e = engine(4);
    generations(e, 150, fo_fn_sphere);
    tap_ok(e->cma_sigma < 1e-3, "at an optimum it shrinks (sigma %.3g after 150)",
           e->cma_sigma);
    fo_engine_destroy(e);
}

static void test_covariance(void) {
    struct fo_engine *e = engine(4);
    generations(e, 400, ellipsoid4);
    double mu[4], L[16];
    fo_flow_gaussian_get(fo_engine_flow(e), 0, mu, L, NULL);
    double c00 = L[0] * L[0], c33 = 0.0;
    for (int k = 0; k < 4; k++)
        c33 += L[12 + k] * L[12 + k];
    /* the inverse Hessian's ratio is 1e4: a covariance that learns nothing
     * keeps its ratio near 1 */
    tap_ok(c00 / c33 > 300.0, "the covariance learns the shape (C_00 / C_33 = %.0f)",
           c00 / c33);
    tap_is_below(ellipsoid4(mu, 4), 1e-8, "and the mean finds the optimum (%.2g)",
                 ellipsoid4(mu, 4));
    fo_engine_destroy(e);
}

/* The negative weights push the covariance away from where the worst
 * samples lay: on the ellipsoid the shape is learnt in fewer generations. */
static void test_active(void) {
    double ratio[2];
    for (int active = 0; active < 2; active++) {
        struct fo_run_config c;
        fo_run_preset(&c, "cma", 4);
        c.seed = c.flow.seed = 3;
        c.restarts = 0;
        c.opt.cma_active = active;
        struct fo_engine *e = NULL;
        fo_engine_create(&c, &e, NULL);
        generations(e, 120, ellipsoid4);
        double mu[4], L[16], c33 = 0.0;
        fo_flow_gaussian_get(fo_engine_flow(e), 0, mu, L, NULL);
        for (int k = 0; k < 4; k++)
            c33 += L[12 + k] * L[12 + k];
        ratio[active] = L[0] * L[0] / c33;
        fo_engine_destroy(e);
    }
    tap_ok(ratio[1] > 2.0 * ratio[0],
           "active CMA learns the shape faster (C_00 / C_33 after 120: %.0f, without "
           "%.0f)",
           ratio[1], ratio[0]);
}

/* The history's step size and condition are the Gaussian's after the
 * update: checked in D = 2 against the closed form of a 2 x 2 covariance,
 * and in D = 4 on the ellipsoid, whose shape the covariance learns. */
static void test_report_shape(void) {
    struct fo_engine *e = engine(2);
    struct fo_step_report rep;
    memset(&rep, 0, sizeof rep);
    const size_t B = fo_engine_config(e)->batch_size;
    for (int g = 0; g < 40; g++) {
        struct fo_sample s[16];
        double x[32];
        fo_engine_ask(e, B, s, x, NULL);
        for (size_t i = 0; i < B; i++)
            fo_engine_tell(e, s[i].id,
                           100.0 * x[2 * i] * x[2 * i] + x[2 * i + 1] * x[2 * i + 1],
                           NULL, NULL, &rep, NULL);
    }
    double mu[2], L[4];
    fo_flow_gaussian_get(fo_engine_flow(e), 0, mu, L, NULL);
    double a = L[0] * L[0], b = L[0] * L[2], d = L[2] * L[2] + L[3] * L[3];
    double tr = a + d, disc = sqrt((a - d) * (a - d) + 4.0 * b * b);
    double cond = (tr + disc) / (tr - disc), step = sqrt(L[0] * L[3]);
    tap_is_near(
        rep.condition / cond, 1.0, 1e-6,
        "D = 2: the reported condition is the covariance's (%.4g, closed form %.4g)",
        rep.condition, cond);
    tap_is_near(rep.step_size, step, 1e-12, "and the step size is sqrt(det L) (%.4g)",
                step);
    fo_engine_destroy(e);
    e = engine(4);
    generations(e, 1, ellipsoid4);
    for (int g = 0; g < 300; g++) {
        struct fo_sample s[16];
        double x[64];
        size_t n = fo_engine_config(e)->batch_size;
        fo_engine_ask(e, n, s, x, NULL);
        for (size_t i = 0; i < n; i++)
            fo_engine_tell(e, s[i].id, ellipsoid4(x + 4 * i, 4), NULL, NULL, &rep, NULL);
    }
    tap_ok(rep.condition > 1e3 && rep.condition < 1e5,
           "D = 4, condition 1e4 ellipsoid: the reported condition learns it (%.3g)",
           rep.condition);
    fo_engine_destroy(e);
}

/* Saved after 20 generations and loaded, a cma run asks what it would have. */
static void test_snapshot(void) {
    struct fo_engine *a = engine(4);
    generations(a, 20, ellipsoid4);
    size_t len = 0;
    fo_engine_save(a, NULL, 0, &len, NULL);
    unsigned char *buf = malloc(len);
    fo_engine_save(a, buf, len, &len, NULL);
    struct fo_engine *b = NULL;
    fo_engine_load(buf, len, &b, NULL);
    int same = b && b->cma_sigma == a->cma_sigma && b->cma_gen == a->cma_gen;
    for (int g = 0; same && g < 10; g++) {
        struct fo_sample s[16], t[16];
        double x[64], y[64];
        size_t B = fo_engine_config(a)->batch_size;
        fo_engine_ask(a, B, s, x, NULL);
        fo_engine_ask(b, B, t, y, NULL);
        same = memcmp(x, y, B * 4 * sizeof(double)) == 0;
        for (size_t i = 0; i < B; i++) {
            fo_engine_tell(a, s[i].id, ellipsoid4(x + 4 * i, 4), NULL, NULL, NULL, NULL);
            fo_engine_tell(b, t[i].id, ellipsoid4(y + 4 * i, 4), NULL, NULL, NULL, NULL);
        }
    }
    tap_ok(same, "a loaded cma run continues bit for bit (sigma, paths, 10 generations)");
    free(buf);
    fo_engine_destroy(a);
    fo_engine_destroy(b);
}

static void test_config(void) {
    struct fo_run_config c;
    fo_run_preset(&c, "cma", 3);
    c.flow.kinds[0] = FO_LAYER_GAUSSIAN_DIAG;
    struct fo_engine *e = NULL;
    struct fo_error err = {0};
    tap_is_int(fo_engine_create(&c, &e, &err), FO_EINVAL,
               "cma without gaussian-full innermost is refused");
    tap_is_str(err.field, "flow.layers", "naming flow.layers");
}

int main(void) {
    TAP_RUN(test_rates);
    TAP_RUN(test_csa);
    TAP_RUN(test_covariance);
    TAP_RUN(test_active);
    TAP_RUN(test_report_shape);
    TAP_RUN(test_snapshot);
    TAP_RUN(test_config);
    return tap_done();
}
