/*
 * test_mixing.c - importance mixing (optimizer.mixing): the mixed batch of
 * kept and fresh samples is distributed as the new density (Kolmogorov-
 * Smirnov against it, many generations from one p_old -> p_new), keeps the
 * share of old samples the rule predicts, and asks only for the rest (not
 * after a restart); a
 * run with it still converges with fewer evaluations per generation, a
 * snapshot taken with kept samples continues bit for bit, and it refuses to
 * be combined with reuse_generations.
 */
#include <flowopt/opt.h>
#include <flowopt/rng.h>
#include <flowopt/settings.h>
#include "opt/engine_internal.h"
#include "opt/mixing.h"
#include "engineutil.h"
#include "tap.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define ALPHA 0.3
#define B 10

static struct fo_engine *make(size_t dim, int surrogate, double mixing, uint64_t seed) {
    static double lo[8] = {-5, -5, -5, -5, -5, -5, -5, -5},
                  hi[8] = {5, 5, 5, 5, 5, 5, 5, 5};
    struct fo_run_config c;
    fo_run_preset(&c, "default", dim);
    c.flow.lo = dim == 1 ? NULL : lo; /* the 1-D rule test on the line */
    c.flow.hi = dim == 1 ? NULL : hi;
    c.opt.surrogate = surrogate ? FO_SURROGATE_LQ : FO_SURROGATE_OFF;
    c.opt.mixing = mixing;
    c.seed = c.flow.seed = seed;
    c.restarts = 0;
    if (dim == 1)
        c.batch_size = B;
    struct fo_engine *e = NULL;
    struct fo_error err = {0};
    if (fo_engine_create(&c, &e, &err) != FO_OK)
        tap_bail("create: %s", err.msg);
    return e;
}

static void set_gaussian(struct fo_engine *e, double mu, double sd) {
    double L = sd;
    if (fo_flow_gaussian_set(e->flow, fo_flow_n_layers(e->flow) - 1, &mu, &L, NULL) !=
        FO_OK)
        tap_bail("gaussian_set");
}

static double normal_cdf(double x, double mu, double sd) {
    return 0.5 * erfc(-(x - mu) / (sd * sqrt(2.0)));
}

static double normal_pdf(double x, double mu, double sd) {
    double t = (x - mu) / sd;
    return exp(-0.5 * t * t) / (sd * sqrt(2.0 * M_PI));
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Kolmogorov-Smirnov statistic of xs (n, sorted here) against N(mu, sd). */
static double ks(double *xs, size_t n, double mu, double sd) {
    qsort(xs, n, sizeof *xs, cmp);
    double d = 0.0;
    for (size_t i = 0; i < n; i++) {
        double F = normal_cdf(xs[i], mu, sd);
        d = fmax(d, fmax(fabs(F - (double)i / (double)n),
                         fabs((double)(i + 1) / (double)n - F)));
    }
    return d;
}

/*
 * One generation from p_old = N(0, 1) is drawn and told; p_new = N(0.8,
 * 0.6^2) takes over, the old samples are kept by the rule and the fresh
 * ones drawn by it. Over T generations the pooled batches must be p_new.
 */
static void test_rule(void) {
    enum { T = 3000 };
    struct fo_engine *e = make(1, 0, ALPHA, 7);
    double *pooled = malloc(T * B * sizeof(double)),
           *fresh_only = malloc(T * B * sizeof(double));
    size_t n = 0, n_fresh = 0, kept_total = 0, draws_total = 0;
    struct fo_sample s[B];
    double x[B], lp[B];
    for (int t = 0; t < T; t++) {
        e->n_recs = 0;
        e->mix_left = 0;
        set_gaussian(e, 0.0, 1.0);
        if (fo_engine_ask(e, B, s, x, NULL) != FO_OK)
            tap_bail("ask");
        for (size_t i = 0; i < e->n_recs; i++)
            e->recs[i].status = FO_SAMPLE_TOLD;
        fo__mix_remember(e);
        set_gaussian(e, 0.8, 0.6);
        e->generation++;
        size_t k = fo__mix_begin(e);
        kept_total += k;
        for (size_t i = 0; i < e->n_recs; i++)
            if (e->recs[i].generation == e->generation)
                pooled[n++] = e->xs[i];
        if (k < B && fo__mix_sample(e, B - k, e->ask_z, x, lp, NULL) != FO_OK)
            tap_bail("mix_sample");
        for (size_t i = 0; i < B - k; i++)
            pooled[n++] = fresh_only[n_fresh++] = x[i];
        draws_total += B - k;
        e->generation++;
    }
    tap_is_int((long long)n, T * B, "every generation is a whole batch of %d", B);
    double d = ks(pooled, n, 0.8, 0.6), crit = 1.95 / sqrt((double)n); /* p = 0.001 */
    tap_is_below(d, crit,
                 "kept + fresh samples are distributed as p_new (KS %.4f < %.4f)", d,
                 crit);
    double d_fresh = ks(fresh_only, n_fresh, 0.8, 0.6);
    tap_ok(d_fresh > 10.0 * crit,
           "the fresh part alone is not (KS %.3f): the kept part fills in where p_old "
           "was",
           d_fresh);
    /* E[kept] / B = integral of min(p_old, (1 - alpha) p_new) */
    double share = 0.0, h = 1e-3;
    for (double u = -12.0; u < 12.0; u += h)
        share +=
            h * fmin(normal_pdf(u, 0.0, 1.0), (1.0 - ALPHA) * normal_pdf(u, 0.8, 0.6));
    double got = (double)kept_total / (double)(T * B);
    tap_is_near(got, share, 0.015, "the share kept is the rule's %.3f (got %.3f)", share,
                got);
    (void)draws_total;
    /* the same generation once the run has restarted: nothing is kept */
    e->n_recs = 0;
    set_gaussian(e, 0.0, 1.0);
    fo_engine_ask(e, B, s, x, NULL);
    for (size_t i = 0; i < e->n_recs; i++)
        e->recs[i].status = FO_SAMPLE_TOLD;
    fo__mix_remember(e);
    set_gaussian(e, 0.0, 1.0);
    e->generation++;
    e->restarts_done = 1;
    tap_is_int((long long)fo__mix_begin(e), 0,
               "after a restart nothing is kept (p_new = p_old would keep 70 %%)");
    tap_is_int((long long)e->mix_left, 0, "and fresh draws are not filtered");
    free(pooled);
    free(fresh_only);
    fo_engine_destroy(e);
}

static double sphere(const double *x, size_t D) {
    double f = 0.0;
    for (size_t d = 0; d < D; d++)
        f += (x[d] - 0.3) * (x[d] - 0.3);
    return f;
}

/* Ask what the generation wants and tell the sphere until best < 1e-6 or
 * the budget. OUT: evaluations, and the last counters. */
static uint64_t solve(struct fo_engine *e, uint64_t budget, int *whole) {
    struct fo_sample s[64];
    double x[64 * 6];
    double best = INFINITY;
    *whole = 1;
    while (best > 1e-6 && e->told < budget) {
        struct fo_engine_counters c;
        fo_engine_counters(e, &c);
        size_t n = c.wanted ? c.wanted : c.batch_size;
        if (fo_engine_ask(e, n, s, x, NULL) != FO_OK)
            tap_bail("ask");
        for (size_t i = 0; i < n; i++) {
            struct fo_step_report rep;
            int up = 0;
            double v = sphere(x + 6 * i, 6);
            best = fmin(best, v);
            fo_engine_tell(e, s[i].id, v, NULL, &up, &rep, NULL);
            if (up)
                *whole &= rep.n_used == c.batch_size;
        }
    }
    return e->told;
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Runs on the sphere with mixing: whole batches, reuse, convergence (the
 * evaluations it saves are make bench-compare's to say: a diagnostic here). */
static void test_runs(void) {
    for (int surrogate = 0; surrogate <= 1; surrogate++) {
        uint64_t off[9], on[9], reused = 0, gens = 0;
        int whole = 1;
        for (int k = 0; k < 9; k++) {
            int w;
            struct fo_engine *a = make(6, surrogate, 0.0, 100 + (uint64_t)k);
            struct fo_engine *b = make(6, surrogate, ALPHA, 100 + (uint64_t)k);
            off[k] = solve(a, 20000, &w);
            on[k] = solve(b, 20000, &w);
            whole &= w;
            struct fo_engine_counters c;
            fo_engine_counters(b, &c);
            reused += c.reused;
            gens += c.updates;
            fo_engine_destroy(a);
            fo_engine_destroy(b);
        }
        qsort(off, 9, sizeof off[0], cmp_u64);
        qsort(on, 9, sizeof on[0], cmp_u64);
        tap_ok(whole, "%s: every update of a mixed run uses a whole batch",
               surrogate ? "with the surrogate" : "without it");
        tap_ok(reused > gens, "and reuses more than one sample per generation (%.2f)",
               (double)reused / (double)gens);
        tap_ok(on[8] < 20000, "and every run reaches 1e-6 on the sphere (D = 6)");
        tap_diag("median evaluations %llu, without mixing %llu",
                 (unsigned long long)on[4], (unsigned long long)off[4]);
    }
}

/* Saved when a generation holds kept samples, loaded: both continue alike. */
static void test_snapshot(void) {
    for (int surrogate = 0; surrogate <= 1; surrogate++) {
        struct fo_engine *a = make(6, surrogate, ALPHA, 31), *b = NULL;
        int w;
        solve(a, 300, &w);
        tap_ok(a->mix_ready && a->mix_kept > 0,
               "%s: the saved generation holds %zu kept samples",
               surrogate ? "with the surrogate" : "without it", a->mix_kept);
        size_t len, len2;
        unsigned char *buf = fo_test_engine_save(a, &len);
        struct fo_error err = {0};
        tap_is_int(fo_engine_load(buf, len, &b, &err), FO_OK, "it loads %s", err.msg);
        unsigned char *buf2 = b ? fo_test_engine_save(b, &len2) : NULL;
        tap_ok(buf2 && len == len2 && memcmp(buf, buf2, len) == 0,
               "and saves to the same bytes");
        int same = b != NULL;
        struct fo_sample s[64];
        double xa[64 * 6], xb[64 * 6];
        for (int g = 0; g < 60 && same; g++) {
            struct fo_engine_counters ca, cb;
            fo_engine_counters(a, &ca);
            fo_engine_counters(b, &cb);
            size_t n = ca.wanted ? ca.wanted : ca.batch_size;
            same = ca.wanted == cb.wanted && ca.reused == cb.reused &&
                   fo_engine_ask(a, n, s, xa, NULL) == FO_OK &&
                   fo_engine_ask(b, n, s, xb, NULL) == FO_OK &&
                   memcmp(xa, xb, n * 6 * sizeof(double)) == 0;
            for (size_t i = 0; same && i < n; i++) {
                fo_engine_tell(a, s[i].id, sphere(xa + 6 * i, 6), NULL, NULL, NULL, NULL);
                fo_engine_tell(b, s[i].id, sphere(xb + 6 * i, 6), NULL, NULL, NULL, NULL);
            }
        }
        tap_ok(same, "and both continue bit for bit for 60 asks");
        free(buf);
        free(buf2);
        fo_engine_destroy(a);
        fo_engine_destroy(b);
    }
}

static void test_config(void) {
    struct fo_run_config c;
    fo_run_preset(&c, "default", 3);
    c.opt.mixing = 0.3;
    c.opt.reuse_generations = 1;
    struct fo_engine *e = NULL;
    struct fo_error err = {0};
    tap_is_int(fo_engine_create(&c, &e, &err), FO_EINVAL,
               "mixing with reuse_generations is refused");
    tap_is_str(err.field, "optimizer.mixing", "naming optimizer.mixing (%s)", err.msg);
    c.opt.reuse_generations = 0;
    c.opt.mixing = 1.5;
    tap_ok(fo_engine_create(&c, &e, &err) != FO_OK &&
               !strcmp(err.field, "optimizer.mixing"),
           "alpha above 1 is refused, naming the setting");
    fo_engine_destroy(e);
}

int main(void) {
    TAP_RUN(test_rule);
    TAP_RUN(test_runs);
    TAP_RUN(test_snapshot);
    TAP_RUN(test_config);
    return tap_done();
}
