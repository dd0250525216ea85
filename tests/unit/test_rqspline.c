/*
 * test_rqspline.c - the rational-quadratic spline: exact identity, round
 * trip, monotonicity, log-derivative and hand-written gradients.
 */
#include "flow/rqspline.h"
#include "core/fastexp.h"
#include "gradcheck.h"
#include "tap.h"

#include <flowopt/rng.h>
#include <math.h>
#include <string.h>

#define K 8
#define NP FO_RQS_PARAMS(K)
static const double B = 3.0;
static const double SCALE = 0.7;

struct ctx {
    double raw[NP];
    double x, gy, gld;
};

static double loss(void *p) {
    struct ctx *c = p;
    struct fo_rqs s;
    double y, ld;
    fo_rqs_build(&s, c->raw, K, B, SCALE);
    fo_rqs_forward(&s, c->x, &y, &ld);
    return c->gy * y + c->gld * ld;
}

static void random_raw(double *raw, struct fo_rng *rng, double sd) {
    for (size_t i = 0; i < NP; i++)
        raw[i] = sd * fo_rng_normal(rng);
}

static void test_identity(void) {
    double raw[NP] = {0};
    struct fo_rqs s;
    fo_rqs_build(&s, raw, K, B, SCALE);
    int exact = 1;
    for (int i = -4000; i <= 4000; i++) {
        double x = i * 1e-3 * 1.37, y, ld;
        fo_rqs_forward(&s, x, &y, &ld);
        exact &= y == x && ld == 0.0 && fo_rqs_inverse(&s, x) == x;
    }
    for (size_t k = 0; k <= K; k++) {
        double y, ld;
        fo_rqs_forward(&s, s.xk[k], &y, &ld);
        exact &= y == s.xk[k] && ld == 0.0;
    }
    tap_ok(exact, "all-zero parameters: y == x and log-det == 0 exactly, knots included");
}

static void test_round_trip(struct fo_rng *rng) {
    double worst = 0.0, worst_ld = 0.0;
    int monotone = 1;
    for (int trial = 0; trial < 20; trial++) {
        double raw[NP];
        random_raw(raw, rng, 2.0);
        struct fo_rqs s;
        fo_rqs_build(&s, raw, K, B, SCALE);
        double prev = -INFINITY;
        for (int i = 0; i < 500; i++) {
            /* points across [-1.5B, 1.5B]: outside, inside, and every knot */
            double x =
                i < (int)K + 1 ? s.xk[i] : -1.5 * B + 3.0 * B * (i - K - 1) / 490.0;
            double y, ld;
            fo_rqs_forward(&s, x, &y, &ld);
            double back = fo_rqs_inverse(&s, y);
            double e = fabs(back - x);
            worst = e > worst ? e : worst;
            if (i > (int)K) {
                monotone &= y > prev;
                prev = y;
                /* log-derivative against a 4-point central difference of y */
                double h = 1e-5, yp1, ym1, yp2, ym2, l1;
                fo_rqs_forward(&s, x + h, &yp1, &l1);
                fo_rqs_forward(&s, x - h, &ym1, &l1);
                fo_rqs_forward(&s, x + 2 * h, &yp2, &l1);
                fo_rqs_forward(&s, x - 2 * h, &ym2, &l1);
                double fd = log((8 * (yp1 - ym1) - (yp2 - ym2)) / (12 * h));
                /* a difference straddling a knot sees the jump in g'' */
                int at_edge = 0;
                for (size_t k = 0; k <= K; k++)
                    at_edge |= fabs(x - s.xk[k]) < 3 * h;
                if (!at_edge) {
                    double el = fabs(fd - ld);
                    worst_ld = el > worst_ld ? el : worst_ld;
                }
            }
        }
    }
    tap_is_below(worst, 1e-9, "round trip |g^-1(g(x)) - x| < 1e-9 on 10^4 points (%.2e)",
                 worst);
    tap_ok(monotone, "the spline is strictly increasing");
    tap_is_below(worst_ld, 1e-6, "log-derivative matches a finite difference (%.2e)",
                 worst_ld);
}

static void test_gradients(struct fo_rng *rng) {
    double worst_p = 0.0, worst_x = 0.0;
    for (int trial = 0; trial < 200; trial++) {
        struct ctx c;
        random_raw(c.raw, rng, 1.5);
        c.x = (fo_rng_uniform(rng) * 2.4 - 1.2) * B; /* some outside [-B, B] */
        c.gy = fo_rng_normal(rng);
        c.gld = fo_rng_normal(rng);
        struct fo_rqs s;
        fo_rqs_build(&s, c.raw, K, B, SCALE);
        double g_raw[NP] = {0}, g_x;
        fo_rqs_backward(&s, c.x, c.gy, c.gld, &g_x, g_raw);
        double e = fo_gradcheck(loss, &c, c.raw, g_raw, NP, 1e-4, 1e-6, NULL);
        worst_p = e > worst_p ? e : worst_p;
        e = fo_rel_err(g_x, fo_fd_deriv(loss, &c, &c.x, 1e-5), 1e-6);
        worst_x = e > worst_x ? e : worst_x;
    }
    tap_is_below(worst_p, 1e-6, "d/d(params) matches finite differences (max rel %.2e)",
                 worst_p);
    tap_is_below(worst_x, 1e-6, "d/dx matches finite differences (max rel %.2e)",
                 worst_x);
}

static void test_extremes(struct fo_rng *rng) {
    /* Saturated logits: minimum bins and derivatives stay finite and invertible. */
    double raw[NP];
    random_raw(raw, rng, 60.0);
    struct fo_rqs s;
    fo_rqs_build(&s, raw, K, B, 1.0);
    int finite = 1;
    double worst = 0.0;
    for (int i = 0; i <= 1000; i++) {
        double x = -B + 2 * B * i / 1000.0, y, ld;
        fo_rqs_forward(&s, x, &y, &ld);
        finite &= isfinite(y) && isfinite(ld);
        double e = fabs(fo_rqs_inverse(&s, y) - x);
        worst = e > worst ? e : worst;
    }
    tap_ok(finite, "saturated parameters give finite values and log-derivatives");
    tap_is_below(worst, 1e-6, "and still invert (%.2e)", worst);
    double wmin = INFINITY, dmin = INFINITY;
    for (size_t k = 0; k < K; k++)
        wmin = s.w[k] < wmin ? s.w[k] : wmin;
    for (size_t k = 0; k <= K; k++)
        dmin = fmin(dmin, fo_rqs_knot_deriv(&s, k, NULL));
    tap_ok(wmin >= 2 * B * FO_RQS_MIN_BIN * 0.999 && dmin > FO_RQS_MIN_DERIV,
           "bin widths and derivatives respect their minimum (%.3g, %.3g)", wmin, dmin);
    tap_ok(fo_rqs_knot_deriv(&s, 0, NULL) == 1.0 && fo_rqs_knot_deriv(&s, K, NULL) == 1.0,
           "boundary derivatives are exactly 1");
}

/* The softmax's exponential against libm's. */
static void test_fast_exp(void) {
    double worst = 0.0, at = 0.0;
    for (long i = 0; i <= 2000000; i++) {
        double x = -708.0 * (double)i / 2000000.0, want = exp(x);
        double e = fabs(fo__exp_nonpos(x) - want) / want;
        if (e > worst) {
            worst = e;
            at = x;
        }
    }
    tap_is_below(worst, 2.3e-16, "exp on [-708, 0] within 1 ulp of libm (%.2e at %g)",
                 worst, at);
    tap_ok(fo__exp_nonpos(0.0) == 1.0, "exp(0) is exactly 1 (the identity spline)");
    tap_ok(fo__exp_nonpos(-1e300) == fo__exp_nonpos(-708.0) && fo__exp_nonpos(-708.0) > 0,
           "below -708 it holds at exp(-708), a normal number");
}

int main(void) {
    struct fo_rng rng;
    fo_rng_seed(&rng, 2019);
    TAP_RUN(test_identity);
    test_round_trip(&rng);
    test_gradients(&rng);
    test_extremes(&rng);
    TAP_RUN(test_fast_exp);
    return tap_done();
}
