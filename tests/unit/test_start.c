/*
 * test_start.c - where a run's distribution begins: start.x and
 * start.scale put the first samples' centre and spread where asked (on a
 * box, a circle and the line, through the outer spline and its
 * permutation), a start outside the box or without a Gaussian to place is
 * refused by name, and an IPOP restart centres its fresh distribution at
 * the start or at a point drawn from the run's seed.
 */
#include <flowopt/opt.h>
#include <flowopt/settings.h>
#include "tap.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N 4000

static double lo3[3] = {-5.0, 0.0, -INFINITY}, hi3[3] = {5.0, 6.0, INFINITY};
static unsigned char second[3] = {0, 1, 0};

static void config(struct fo_run_config *cfg, const char *preset, const double *x0,
                   double scale) {
    fo_run_preset(cfg, preset, 3);
    cfg->flow.lo = lo3;
    cfg->flow.hi = hi3;
    cfg->flow.periodic = second;
    cfg->start = x0;
    cfg->has_start_scale = scale > 0.0;
    cfg->start_scale = scale;
    cfg->seed = 9;
}

/* Mean and standard deviation of each coordinate of n asked points (the
 * circle's from its unwrapped image nearest the mean's: the spread is
 * small here). */
static void moments(struct fo_engine *e, size_t n, double *mean, double *sd) {
    struct fo_sample *s = malloc(n * sizeof *s);
    double *x = malloc(n * 3 * sizeof *x);
    if (fo_engine_ask(e, n, s, x, NULL) != FO_OK)
        tap_bail("ask");
    for (size_t d = 0; d < 3; d++) {
        double m = 0.0, q = 0.0;
        for (size_t i = 0; i < n; i++)
            m += x[i * 3 + d] / (double)n;
        for (size_t i = 0; i < n; i++)
            q += (x[i * 3 + d] - m) * (x[i * 3 + d] - m) / (double)(n - 1);
        mean[d] = m;
        sd[d] = sqrt(q);
    }
    free(s);
    free(x);
}

static void test_placed(void) {
    static const double x0[3] = {3.5, 5.0, 100.0};
    const char *presets[] = {"default", "cma"};
    for (size_t p = 0; p < 2; p++) {
        struct fo_run_config cfg;
        config(&cfg, presets[p], x0, 0.05);
        struct fo_engine *e = NULL;
        struct fo_error err;
        tap_is_int(fo_engine_create(&cfg, &e, &err), FO_OK, "%s: a run with a start (%s)",
                   presets[p], err.msg);
        double mean[3], sd[3];
        moments(e, N, mean, sd);
        int centred = 1, spread = 1;
        for (size_t d = 0; d < 3; d++) {
            centred &= fabs(mean[d] - x0[d]) < 0.01;
            spread &= fabs(sd[d] / 0.05 - 1.0) < 0.08;
        }
        tap_ok(centred, "%s: the first samples centre on the start (%.4f, %.4f, %.4f)",
               presets[p], mean[0], mean[1], mean[2]);
        tap_ok(spread,
               "%s: with spread start.scale on box, circle and line (%.4f, %.4f, "
               "%.4f)",
               presets[p], sd[0], sd[1], sd[2]);
        fo_engine_destroy(e);
    }
    /* no scale: the centre moves, the preset's spread stays */
    struct fo_run_config cfg;
    config(&cfg, "cma", x0, 0.0);
    struct fo_engine *e = NULL;
    fo_engine_create(&cfg, &e, NULL);
    double mean[3], sd[3];
    moments(e, N, mean, sd);
    tap_ok(fabs(mean[2] - 100.0) < 0.1 && fabs(sd[2] - 1.0) < 0.1,
           "start.x alone: centred there with the preset's spread (%.3f +- %.3f)",
           mean[2], sd[2]);
    fo_engine_destroy(e);
    /* a scale alone: the box's centre, that spread */
    config(&cfg, "cma", NULL, 0.2);
    fo_engine_create(&cfg, &e, NULL);
    moments(e, N, mean, sd);
    tap_ok(fabs(mean[0]) < 0.02 && fabs(sd[0] / 0.2 - 1.0) < 0.08 &&
               fabs(mean[1] - 3.0) < 0.02,
           "start.scale alone: the box's centre, spread %.3f", sd[0]);
    fo_engine_destroy(e);
}

static void test_refused(void) {
    struct fo_run_config cfg;
    struct fo_engine *e = NULL;
    struct fo_error err;
    static const double edge[3] = {5.0, 1.0, 0.0}, far[3] = {0.0, 6.0, 0.0};
    config(&cfg, "default", edge, 0.0);
    tap_is_int(fo_engine_create(&cfg, &e, &err), FO_ERANGE,
               "a start on the box's edge is refused: %s", err.msg);
    tap_is_str(err.field, "start.x", "naming start.x");
    config(&cfg, "default", far, 0.0);
    tap_is_int(fo_engine_create(&cfg, &e, &err), FO_ERANGE,
               "a start at hi on a circle is refused (the circle is [lo, hi))");
    static const double ok[3] = {0.0, 1.0, 0.0};
    config(&cfg, "seed", ok, 0.0);
    tap_is_int(fo_engine_create(&cfg, &e, &err), FO_EINVAL,
               "a start without a gaussian-full layer to place is refused: %s", err.msg);
    struct fo_setting_value v = {.setting = fo_setting_find("start.scale"), .real = 0.0};
    config(&cfg, "default", NULL, 0.0);
    tap_is_int(fo_setting_set(&cfg, &v, &err), FO_ERANGE, "start.scale 0 is refused: %s",
               err.msg);
    tap_is_str(err.field, "start.scale", "naming start.scale");
}

/* Constant values: the run converges at once and restarts (TolFun). */
static double restart_centre(int mean_rule, uint64_t seed, const double *x0) {
    struct fo_run_config cfg;
    config(&cfg, "cma", x0, 0.05);
    cfg.seed = seed;
    cfg.restart_mean = mean_rule;
    struct fo_engine *e = NULL;
    fo_engine_create(&cfg, &e, NULL);
    struct fo_sample s[64];
    double x[64 * 3];
    struct fo_engine_counters c;
    for (int g = 0; g < 200; g++) {
        fo_engine_counters(e, &c);
        if (c.restarts > 0)
            break;
        size_t n = c.batch_size;
        fo_engine_ask(e, n, s, x, NULL);
        for (size_t i = 0; i < n; i++)
            fo_engine_tell(e, s[i].id, 1.0, NULL, NULL, NULL, NULL);
    }
    fo_engine_counters(e, &c);
    double mean[3], sd[3];
    moments(e, N, mean, sd);
    fo_engine_destroy(e);
    return c.restarts > 0 ? mean[0] : NAN;
}

static void test_restart(void) {
    static const double x0[3] = {3.5, 5.0, 100.0};
    double back = restart_centre(FO_RESTART_AT_START, 9, x0);
    tap_ok(fabs(back - 3.5) < 0.01,
           "restart_mean start: the restart is back at the start "
           "(%.4f)",
           back);
    double a = restart_centre(FO_RESTART_RANDOM, 9, x0),
           b = restart_centre(FO_RESTART_RANDOM, 9, x0),
           c = restart_centre(FO_RESTART_RANDOM, 10, x0);
    tap_ok(isfinite(a) && fabs(a - 3.5) > 0.1 && a > -5.0 && a < 5.0,
           "restart_mean random: a fresh centre in the box (%.3f)", a);
    tap_ok(a == b && a != c,
           "drawn from the run's seed: the same seed, the same centre; "
           "another seed, another (%.3f, %.3f)",
           b, c);
}

int main(void) {
    TAP_RUN(test_placed);
    TAP_RUN(test_refused);
    TAP_RUN(test_restart);
    return tap_done();
}
