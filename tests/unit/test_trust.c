/*
 * test_trust.c - the trust region's measures: k3 is zero for equal
 * densities, never negative, and estimates the KL of two known Gaussians;
 * the entropy estimate matches a Gaussian's closed form; the learning-rate
 * controller shrinks after a halved step, grows when the step was far
 * inside the bound, and stays within [lr_min, lr_max].
 */
#include <flowopt/rng.h>
#include "opt/trust.h"
#include "tap.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define N 200000

static double log_normal(double x, double mu, double sd) {
    double z = (x - mu) / sd;
    return -0.5 * z * z - log(sd) - 0.5 * log(2.0 * M_PI);
}

static void test_kl(void) {
    double *lo = malloc(N * sizeof *lo), *ln = malloc(N * sizeof *ln);
    struct fo_rng rng;
    fo_rng_seed(&rng, 11);
    int nonneg = 1;
    for (size_t i = 0; i < N; i++) {
        double x = fo_rng_normal(&rng); /* draws of p_old = N(0, 1) */
        lo[i] = log_normal(x, 0.0, 1.0);
        ln[i] = log_normal(x, 0.3, 1.2); /* p_new = N(0.3, 1.2^2) */
        nonneg &= fo__kl_k3(lo + i, ln + i, 1) >= 0.0;
    }
    /* KL(N(0,1) || N(m, s^2)) = ln s + (1 + m^2) / (2 s^2) - 1/2 */
    double exact = log(1.2) + (1.0 + 0.09) / (2.0 * 1.44) - 0.5;
    tap_is_near(fo__kl_k3(lo, ln, N), exact, 0.003,
                "k3 estimates KL of two Gaussians (%.5f)", exact);
    tap_ok(nonneg, "every k3 term is >= 0");
    tap_is_near(fo__kl_k3(lo, lo, N), 0.0, 0.0, "k3 of a density against itself is 0");
    /* H(N(0.3, 1.2^2)) = 0.5 ln(2 pi e 1.44), from draws of N(0, 1) */
    double H = 0.5 * log(2.0 * M_PI * M_E * 1.44);
    tap_is_near(fo__entropy_estimate(lo, ln, N), H, 0.01,
                "the entropy estimate from another density's draws (%.4f)", H);
    free(lo);
    free(ln);
}

static void test_control(void) {
    struct fo_opt_config o;
    memset(&o, 0, sizeof o);
    o.lr_min = 0.01;
    o.lr_max = 2.0;
    o.lr_grow = 1.5;
    o.lr_shrink = 0.5;
    unsigned ev = 0;
    tap_is_near(fo__lr_control(&o, 1.0, 1, 0.1, 1.0, &ev), 0.5, 0.0,
                "a halved step shrinks the rate");
    tap_ok(ev & FO_EVENT_LR_DOWN, "and says so");
    ev = 0;
    tap_is_near(fo__lr_control(&o, 1.0, 0, 0.2, 1.0, &ev), 1.5, 0.0,
                "a step far inside the bound grows it");
    tap_ok(ev & FO_EVENT_LR_UP, "and says so");
    ev = 0;
    tap_is_near(fo__lr_control(&o, 1.0, 0, 0.5, 1.0, &ev), 1.0, 0.0,
                "a step near the bound keeps it");
    tap_ok(ev == 0, "silently");
    tap_is_near(fo__lr_control(&o, 1.9, 0, 0.0, 1.0, &ev), 2.0, 0.0, "up to lr_max");
    tap_is_near(fo__lr_control(&o, 0.015, 1, 2.0, 1.0, &ev), 0.01, 0.0, "down to lr_min");
}

int main(void) {
    TAP_RUN(test_kl);
    TAP_RUN(test_control);
    return tap_done();
}
