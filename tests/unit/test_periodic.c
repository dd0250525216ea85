/*
 * test_periodic.c - runs whose coordinates come out wrapped: periodic
 * ones (the driver gets x wrapped into [lo, hi) while the engine updates
 * on the unwrapped point, so an optimum on the box's edge is found) and
 * boxes under the fold map (x reflected into [lo, hi]). Their densities
 * integrate to one whatever the distribution's width and position, the
 * snapshot carries the settings bit for bit, and bad settings are refused.
 */
#include <flowopt/opt.h>
#include <flowopt/settings.h>
#include "tap.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TWO_PI 6.283185307179586

static double lo2[2] = {0.0, 0.0}, hi2[2] = {TWO_PI, TWO_PI};
static unsigned char both[2] = {1, 1};

static enum fo_box_map box_map = FO_BOX_SIGMOID; /* of the runs make builds */

static struct fo_engine *make(const char *preset, size_t D, const unsigned char *periodic,
                              uint64_t seed) {
    struct fo_run_config cfg;
    fo_run_preset(&cfg, preset, D);
    cfg.flow.lo = lo2;
    cfg.flow.hi = hi2;
    cfg.flow.periodic = periodic;
    cfg.flow.box_map = box_map;
    cfg.seed = seed;
    struct fo_engine *e = NULL;
    struct fo_error err;
    if (fo_engine_create(&cfg, &e, &err) != FO_OK)
        tap_bail("create: %s", err.msg);
    return e;
}

/* 1 - cos summed: its minimum 0 sits at x = 0, the box's lower edge. */
static double edge_bowl(const double *x, size_t D) {
    double f = 0.0;
    for (size_t d = 0; d < D; d++)
        f += 1.0 - cos(x[d]);
    return f;
}

/* Ask and tell whole generations until best < target or the budget ends.
 * OUT: *inside 0 if any asked x left [lo, hi). Returns evaluations used. */
static unsigned drive(struct fo_engine *e, size_t D, unsigned budget, double target,
                      int *inside) {
    struct fo_sample s[64];
    double x[64 * 2];
    unsigned used = 0;
    while (used < budget) {
        struct fo_engine_counters c;
        fo_engine_counters(e, &c);
        size_t n = c.batch_size < 64 ? c.batch_size : 64;
        if (fo_engine_ask(e, n, s, x, NULL) != FO_OK)
            return budget;
        for (size_t i = 0; i < n; i++) {
            for (size_t d = 0; d < D; d++)
                *inside &= x[i * D + d] >= lo2[d] && x[i * D + d] < hi2[d];
            fo_engine_tell(e, s[i].id, edge_bowl(x + i * D, D), NULL, NULL, NULL, NULL);
        }
        used += (unsigned)n;
        double best;
        if (fo_engine_best(e, NULL, &best, NULL, NULL) == 0 && best < target)
            return used;
    }
    return used;
}

static void test_edge_optimum(void) {
    const char *presets[] = {"cma", "default"};
    for (size_t p = 0; p < 2; p++) {
        struct fo_engine *e = make(presets[p], 2, both, 7);
        int inside = 1;
        unsigned used = drive(e, 2, 3000, 1e-8, &inside);
        double best, bx[2];
        fo_engine_best(e, bx, &best, NULL, NULL);
        tap_ok(inside, "%s: every asked x lies in [0, 2 pi)", presets[p]);
        tap_ok(best < 1e-8, "%s: the optimum on the edge is found (%.2e after %u)",
               presets[p], best, used);
        tap_ok(bx[0] >= 0.0 && bx[0] < TWO_PI && bx[1] >= 0.0 && bx[1] < TWO_PI,
               "%s: and the best x is reported wrapped (%.3g, %.3g)", presets[p], bx[0],
               bx[1]);
        fo_engine_destroy(e);
    }
}

/* The circle density's integral over [0, 2 pi)^D by the midpoint rule
 * (spectrally accurate for a smooth periodic integrand), m points a side. */
static double integral(struct fo_engine *e, size_t D, size_t m) {
    double h = TWO_PI / (double)m, total = 0.0;
    size_t rows = D == 1 ? 1 : m;
    double *x = malloc(m * D * sizeof *x), *lp = malloc(m * sizeof *lp);
    for (size_t r = 0; r < rows; r++) {
        for (size_t i = 0; i < m; i++) {
            x[i * D] = h * ((double)i + 0.5);
            if (D == 2)
                x[i * D + 1] = h * ((double)r + 0.5);
        }
        if (fo_engine_log_prob(e, m, x, lp, NULL) != FO_OK)
            tap_bail("log_prob");
        for (size_t i = 0; i < m; i++)
            total += exp(lp[i]) * (D == 2 ? h * h : h);
    }
    free(x);
    free(lp);
    return total;
}

/* Move the innermost Gaussian: centre mu (in units of a quarter period
 * from the middle of the box) and spread sd, the same on every axis. */
static void place(struct fo_engine *e, size_t D, double mu, double sd) {
    struct fo_flow *f = fo_engine_flow(e);
    double m[2], L[4] = {0};
    for (size_t d = 0; d < D; d++) {
        m[d] = mu;
        L[d * D + d] = sd;
    }
    if (fo_flow_gaussian_set(f, fo_flow_n_layers(f) - 1, m, L, NULL) != FO_OK)
        tap_bail("gaussian_set");
}

static void test_density(void) {
    static const struct {
        double mu, sd;
        const char *what;
    } cases[] = {{0.0, 1.0, "a new run (spread a quarter period)"},
                 {9.0, 2.0, "centre 2.25 periods off, spread half a period"},
                 {-30.0, 0.05, "narrow, 7.5 periods off"}};
    for (size_t D = 1; D <= 2; D++) {
        for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
            struct fo_engine *e = make("default", D, both, 3);
            if (k > 0)
                place(e, D, cases[k].mu, cases[k].sd);
            double I = integral(e, D, D == 1 ? 4000 : 120);
            tap_is_near(I, 1.0, 1e-6,
                        "D = %zu, %s: the circle density integrates to 1 "
                        "(%.9f)",
                        D, cases[k].what, I);
            fo_engine_destroy(e);
        }
    }
    /* a point and its images one period apart have the same density */
    struct fo_engine *e = make("default", 2, both, 3);
    place(e, 2, 3.0, 1.5);
    double x[6] = {1.0, 2.0, 1.0 + TWO_PI, 2.0 - 3 * TWO_PI, 1.0 - TWO_PI, 2.0}, lp[3];
    fo_engine_log_prob(e, 3, x, lp, NULL);
    tap_ok(fabs(lp[0] - lp[1]) < 1e-12 && fabs(lp[0] - lp[2]) < 1e-12,
           "x and x + k periods have one density (%.15g, %.15g, %.15g)", lp[0], lp[1],
           lp[2]);
    fo_engine_destroy(e);
}

/* One periodic coordinate beside a box one: the circle's density is the
 * marginal's sum of images, the box coordinate's is the flow's own. */
static void test_mixed(void) {
    static unsigned char first[2] = {1, 0};
    struct fo_engine *e = make("nes", 2, first, 5);
    struct fo_engine *w = make("nes", 2, NULL, 5);
    double x[2] = {0.3, 1.0}, lp, lpw;
    fo_engine_log_prob(e, 1, x, &lp, NULL);
    fo_engine_log_prob(w, 1, x, &lpw, NULL);
    tap_ok(isfinite(lp) && lp != lpw,
           "a periodic coordinate changes the density (%.6f vs the box's %.6f)", lp, lpw);
    struct fo_sample s[40];
    double xs[80];
    fo_engine_ask(e, 40, s, xs, NULL);
    int box_inside = 1;
    for (size_t i = 0; i < 40; i++)
        box_inside &= xs[2 * i + 1] > 0.0 && xs[2 * i + 1] < TWO_PI;
    tap_ok(box_inside, "the box coordinate stays strictly inside its box");
    fo_engine_destroy(e);
    fo_engine_destroy(w);
}

static int lockstep(struct fo_engine *a, struct fo_engine *b, int gens) {
    struct fo_sample sa[8], sb[8];
    double xa[16], xb[16];
    for (int g = 0; g < gens; g++) {
        if (fo_engine_ask(a, 8, sa, xa, NULL) || fo_engine_ask(b, 8, sb, xb, NULL) ||
            memcmp(xa, xb, sizeof xa) != 0)
            return 0;
        for (int i = 0; i < 8; i++) {
            fo_engine_tell(a, sa[i].id, edge_bowl(xa + 2 * i, 2), NULL, NULL, NULL, NULL);
            fo_engine_tell(b, sb[i].id, edge_bowl(xb + 2 * i, 2), NULL, NULL, NULL, NULL);
        }
    }
    return 1;
}

static void test_snapshot(void) {
    static unsigned char second[2] = {0, 1};
    struct fo_engine *a = make("default", 2, second, 11), *b = NULL;
    int inside = 1;
    drive(a, 2, 120, -1.0, &inside);
    size_t len = 0, len2 = 0;
    fo_engine_save(a, NULL, 0, &len, NULL);
    unsigned char *buf = malloc(len), *buf2 = malloc(len);
    fo_engine_save(a, buf, len, &len, NULL);
    struct fo_error err;
    tap_is_int(fo_engine_load(buf, len, &b, &err), FO_OK, "a periodic run loads (%s)",
               err.msg);
    const struct fo_run_config *c = fo_engine_config(b);
    tap_ok(c->flow.periodic && c->flow.periodic[0] == 0 && c->flow.periodic[1] == 1,
           "with its periodic coordinates");
    fo_engine_save(b, buf2, len, &len2, NULL);
    tap_ok(len2 == len && memcmp(buf, buf2, len) == 0, "and saves to the same bytes");
    tap_ok(lockstep(a, b, 10), "and continues bit-identically for 10 generations");
    free(buf);
    free(buf2);
    fo_engine_destroy(a);
    fo_engine_destroy(b);
}

/* Boxes folded: x in [lo, hi], the corner optimum found, the density on
 * the box integrating to one. */
static void test_fold(void) {
    box_map = FO_BOX_FOLD;
    struct fo_engine *e = make("cma", 2, NULL, 7);
    int inside = 1;
    unsigned used = drive(e, 2, 3000, 1e-8, &inside);
    double best;
    fo_engine_best(e, NULL, &best, NULL, NULL);
    tap_ok(inside, "fold: every asked x lies in [0, 2 pi)");
    tap_ok(best < 1e-8, "fold: the optimum on the edge is found (%.2e after %u)", best,
           used);
    fo_engine_destroy(e);
    static const struct {
        double mu, sd;
    } cases[] = {{0.0, 1.0}, {9.0, 2.0}, {-30.0, 0.05}, {2.0, 0.3}};
    for (size_t D = 1; D <= 2; D++)
        for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
            e = make("default", D, NULL, 3);
            place(e, D, cases[k].mu, cases[k].sd);
            double I = integral(e, D, D == 1 ? 4000 : 120);
            tap_is_near(I, 1.0, 1e-6,
                        "fold, D = %zu, centre %g, spread %g: the density on the box "
                        "integrates to 1 (%.9f)",
                        D, cases[k].mu, cases[k].sd, I);
            fo_engine_destroy(e);
        }
    e = make("default", 1, NULL, 3);
    place(e, 1, 1.0, 0.7);
    double x[3] = {1.0, 1.0 + 2 * TWO_PI, -1.0}, lp[3];
    fo_engine_log_prob(e, 3, x, lp, NULL);
    double lp_in = lp[0];
    x[0] = 1.0;
    x[1] = 1e-9;
    x[2] = TWO_PI - 1.0;
    fo_engine_log_prob(e, 3, x, lp, NULL);
    tap_ok(isfinite(lp_in) && lp[0] == lp_in && isfinite(lp[1]) && isfinite(lp[2]),
           "fold: finite inside the box, up to its edges");
    x[0] = -1e-9;
    x[1] = TWO_PI + 1e-9;
    fo_engine_log_prob(e, 2, x, lp, NULL);
    tap_ok(lp[0] == -INFINITY && lp[1] == -INFINITY, "fold: and -inf outside it");
    fo_engine_destroy(e);
    box_map = FO_BOX_SIGMOID;
}

static void test_refused(void) {
    struct fo_run_config cfg;
    struct fo_engine *e = NULL;
    struct fo_error err;
    static double lo_u[2] = {0.0, -INFINITY}, hi_u[2] = {1.0, INFINITY};
    static unsigned char second[2] = {0, 1};
    fo_run_preset(&cfg, "default", 2);
    cfg.flow.lo = lo_u;
    cfg.flow.hi = hi_u;
    cfg.flow.periodic = second;
    tap_is_int(fo_engine_create(&cfg, &e, &err), FO_ERANGE,
               "periodic on an unbounded coordinate is refused: %s", err.msg);
    tap_is_str(err.field, "periodic", "naming the field");
    cfg.flow.lo = cfg.flow.hi = NULL;
    tap_is_int(fo_engine_create(&cfg, &e, &err), FO_ERANGE,
               "and on a run without bounds");
    static unsigned char none[2] = {0, 0};
    cfg.flow.lo = lo2;
    cfg.flow.hi = hi2;
    cfg.flow.periodic = none;
    tap_is_int(fo_engine_create(&cfg, &e, &err), FO_OK, "no coordinate flagged is a run");
    tap_ok(fo_engine_config(e)->flow.periodic == NULL, "without periodic coordinates");
    fo_engine_destroy(e);
}

int main(void) {
    TAP_RUN(test_edge_optimum);
    TAP_RUN(test_density);
    TAP_RUN(test_mixed);
    TAP_RUN(test_snapshot);
    TAP_RUN(test_fold);
    TAP_RUN(test_refused);
    return tap_done();
}
