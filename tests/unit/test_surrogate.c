/*
 * test_surrogate.c - the lq surrogate and its generation protocol: the
 * model recovers a quadratic exactly and grows linear -> diagonal -> full
 * with the archive; Kendall's tau; a run on the sphere spends fewer
 * evaluations than its generations' candidates (the rest ranked by the
 * model, every update still on a whole batch), one on pure noise is not
 * fooled (tau keeps it evaluating), and a snapshot taken while a
 * generation is being ranked continues bit for bit.
 */
#include <flowopt/opt.h>
#include <flowopt/rng.h>
#include "opt/engine_internal.h"
#include "opt/surrogate.h"
#include "tap.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* f = 1 + g x + x^T H x in D = 3, H with off-diagonal terms */
static double quad(const double *x) {
    static const double g[3] = {0.5, -1.0, 2.0};
    static const double H[9] = {2.0, 0.3, -0.2, 0.3, 1.0, 0.4, -0.2, 0.4, 3.0};
    double f = 1.0;
    for (int a = 0; a < 3; a++) {
        f += g[a] * x[a];
        for (int b = 0; b < 3; b++)
            f += x[a] * H[a * 3 + b] * x[b];
    }
    return f;
}

static void test_model(void) {
    struct fo_surrogate *s = NULL;
    if (fo__surrogate_create(3, &s, NULL) != FO_OK)
        tap_bail("create");
    struct fo_rng rng;
    fo_rng_seed(&rng, 1);
    enum fo_model_kind seen[32];
    size_t n_points = 0;
    for (size_t i = 0; i < 20; i++) {
        double x[3];
        for (int d = 0; d < 3; d++)
            x[d] = 2.0 * fo_rng_normal(&rng);
        fo__surrogate_add(s, x, quad(x));
        seen[n_points++] = fo__surrogate_fit(s);
    }
    /* df 4, 7, 10: the kind switches when 0.75 n >= 1.1 df */
    /* seen[i] after i + 1 points */
    tap_ok(seen[4] == FO_MODEL_NONE && seen[5] == FO_MODEL_LINEAR &&
               seen[9] == FO_MODEL_LINEAR && seen[10] == FO_MODEL_DIAGONAL &&
               seen[13] == FO_MODEL_DIAGONAL && seen[14] == FO_MODEL_FULL,
           "linear from 6 points, diagonal from 11, full from 15 (D = 3)");
    double worst = 0.0;
    for (int t = 0; t < 50; t++) {
        double x[3];
        for (int d = 0; d < 3; d++)
            x[d] = 3.0 * fo_rng_normal(&rng);
        worst = fmax(worst,
                     fabs(fo__surrogate_predict(s, x) - quad(x)) / (1.0 + fabs(quad(x))));
    }
    /* to the ridge that keeps the normal equations positive */
    tap_is_below(worst, 1e-6, "the full model recovers a quadratic (max rel error %.1e)",
                 worst);
    tap_is_near(fo__surrogate_tau(s, 15), 1.0, 1e-12, "tau of an exact model is 1");
    fo__surrogate_clear(s);
    for (size_t i = 0; i < 20; i++) {
        double x[3] = {(double)i, 0.0, 0.0};
        fo__surrogate_add(s, x, (double)i);
    }
    fo__surrogate_fit(s);
    for (size_t i = 0; i < 20; i++) /* newest points contradict the fit's slope */
        s->f[(s->head + s->cap - 20 + i) % s->cap] = -(double)i;
    tap_is_near(fo__surrogate_tau(s, 20), -1.0, 1e-12,
                "tau of a model ranking every pair the wrong way is -1");
    fo__surrogate_destroy(s);
}

static double sphere(const double *x, size_t D) {
    double f = 0.0;
    for (size_t d = 0; d < D; d++)
        f += (x[d] - 0.3) * (x[d] - 0.3);
    return f;
}

static struct fo_engine *make(uint64_t seed) {
    static double lo[6] = {-5, -5, -5, -5, -5, -5}, hi[6] = {5, 5, 5, 5, 5, 5};
    struct fo_run_config c;
    fo_run_preset(&c, "default", 6);
    c.flow.lo = lo;
    c.flow.hi = hi;
    c.seed = c.flow.seed = seed;
    c.restarts = 0;
    struct fo_engine *e = NULL;
    if (fo_engine_create(&c, &e, NULL) != FO_OK)
        tap_bail("create");
    return e;
}

/* Ask what the generation wants, tell f (or noise), for gens updates.
 * OUT: the smallest wanted seen, and whether every update used a whole
 * batch while its told values were fewer at least once. */
static void drive(struct fo_engine *e, int gens, int noise, size_t *min_wanted,
                  int *whole, int *short_gen) {
    struct fo_rng rng;
    fo_rng_seed(&rng, 99);
    struct fo_sample s[64];
    double x[64 * 6];
    *min_wanted = 1000;
    *whole = 1;
    *short_gen = 0;
    for (int u = 0; u < gens;) {
        struct fo_engine_counters c;
        fo_engine_counters(e, &c);
        size_t n = c.wanted ? c.wanted : c.batch_size;
        *min_wanted = c.wanted < *min_wanted ? c.wanted : *min_wanted;
        fo_engine_ask(e, n, s, x, NULL);
        for (size_t i = 0; i < n; i++) {
            struct fo_step_report rep;
            int up = 0;
            double v = noise ? fo_rng_uniform(&rng) : sphere(x + 6 * i, 6);
            fo_engine_tell(e, s[i].id, v, NULL, &up, &rep, NULL);
            if (up) {
                u++;
                *whole &= rep.n_used == c.batch_size;
                *short_gen |= rep.n < c.batch_size;
            }
        }
    }
}

static void test_protocol(void) {
    struct fo_engine *e = make(4);
    size_t min_wanted;
    int whole, short_gen;
    drive(e, 120, 0, &min_wanted, &whole, &short_gen);
    struct fo_engine_counters c;
    fo_engine_counters(e, &c);
    double best;
    fo_engine_best(e, NULL, &best, NULL, NULL);
    tap_ok(c.modelled > c.told,
           "sphere: the model ranked more candidates than were "
           "evaluated (%llu modelled, %llu told)",
           (unsigned long long)c.modelled, (unsigned long long)c.told);
    tap_ok(min_wanted == 1, "a generation it ranks wants a single evaluation at first");
    tap_ok(whole && short_gen, "every update still weighs a whole batch, the unevaluated "
                               "by the model");
    tap_is_below(best, 1e-6, "and the run converges (best %.2g after %llu evaluations)",
                 best, (unsigned long long)c.told);
    fo_engine_destroy(e);
    e = make(4);
    drive(e, 60, 1, &min_wanted, &whole, &short_gen);
    fo_engine_counters(e, &c);
    tap_ok(
        c.modelled * 10 < c.told,
        "pure noise: tau stays low and the generations are evaluated (%llu modelled of "
        "%llu)",
        (unsigned long long)c.modelled, (unsigned long long)(c.told + c.modelled));
    fo_engine_destroy(e);
}

/* Saved in the middle of a ranked generation (some candidates released,
 * some pending), loaded, both continue alike. */
static void test_snapshot(void) {
    struct fo_engine *a = make(8), *b = NULL;
    size_t mw;
    int whole, short_gen;
    drive(a, 30, 0, &mw, &whole, &short_gen);
    struct fo_sample s[8];
    double x[8 * 6];
    fo_engine_ask(a, 1, s, x, NULL); /* the pool has begun, one pending */
    tap_ok(a->pool_on, "a generation is being ranked at the save");
    size_t len = 0;
    fo_engine_save(a, NULL, 0, &len, NULL);
    unsigned char *buf = malloc(len);
    fo_engine_save(a, buf, len, &len, NULL);
    struct fo_error err = {0};
    tap_is_int(fo_engine_load(buf, len, &b, &err), FO_OK, "it loads %s", err.msg);
    size_t len2 = 0;
    fo_engine_save(b, NULL, 0, &len2, NULL);
    unsigned char *buf2 = malloc(len2);
    fo_engine_save(b, buf2, len2, &len2, NULL);
    tap_ok(len == len2 && memcmp(buf, buf2, len) == 0, "and saves to the same bytes");
    fo_engine_tell(a, s[0].id, sphere(x, 6), NULL, NULL, NULL, NULL);
    fo_engine_tell(b, s[0].id, sphere(x, 6), NULL, NULL, NULL, NULL);
    int same = 1;
    for (int g = 0; g < 40 && same; g++) {
        struct fo_engine_counters ca, cb;
        fo_engine_counters(a, &ca);
        fo_engine_counters(b, &cb);
        size_t n = ca.wanted ? ca.wanted : ca.batch_size;
        double xa[8 * 6], xb[8 * 6];
        same = ca.wanted == cb.wanted && fo_engine_ask(a, n, s, xa, NULL) == FO_OK &&
               fo_engine_ask(b, n, s, xb, NULL) == FO_OK &&
               memcmp(xa, xb, n * 6 * sizeof(double)) == 0;
        for (size_t i = 0; same && i < n; i++) {
            fo_engine_tell(a, s[i].id, sphere(xa + 6 * i, 6), NULL, NULL, NULL, NULL);
            fo_engine_tell(b, s[i].id, sphere(xb + 6 * i, 6), NULL, NULL, NULL, NULL);
        }
    }
    tap_ok(same, "and both continue bit for bit for 40 asks");
    free(buf);
    free(buf2);
    fo_engine_destroy(a);
    fo_engine_destroy(b);
}

/* A driver that asks odd amounts, lets 30 % fail, forces an update now and
 * then and saves and reloads the run on the way: the protocol holds
 * (every call succeeds, the counters add up) and the run still converges. */
static void test_rough_driver(void) {
    struct fo_engine *e = make(21);
    struct fo_rng rng;
    fo_rng_seed(&rng, 5);
    struct fo_sample s[32];
    double x[32 * 6];
    int ok = 1;
    for (int round = 0; round < 400 && ok; round++) {
        size_t n = 1 + (size_t)fo_rng_below(&rng, 12);
        ok &= fo_engine_ask(e, n, s, x, NULL) == FO_OK;
        for (size_t i = 0; ok && i < n; i++)
            ok &= (fo_rng_uniform(&rng) < 0.3
                       ? fo_engine_tell_failed(e, s[i].id, NULL, NULL, NULL, NULL)
                       : fo_engine_tell(e, s[i].id, sphere(x + 6 * i, 6), NULL, NULL,
                                        NULL, NULL)) == FO_OK;
        if (round % 37 == 36)
            ok &= fo_engine_step(e, NULL, NULL) == FO_OK;
        if (round % 50 == 49) { /* through a snapshot */
            size_t len = 0;
            fo_engine_save(e, NULL, 0, &len, NULL);
            unsigned char *buf = malloc(len);
            struct fo_engine *b = NULL;
            ok &= fo_engine_save(e, buf, len, &len, NULL) == FO_OK &&
                  fo_engine_load(buf, len, &b, NULL) == FO_OK;
            free(buf);
            fo_engine_destroy(e);
            e = b;
        }
    }
    struct fo_engine_counters c;
    memset(&c, 0, sizeof c);
    double best = 1e300;
    if (e) {
        fo_engine_counters(e, &c);
        fo_engine_best(e, NULL, &best, NULL, NULL);
    }
    tap_ok(
        ok && e && c.pending == 0 && c.asked == c.told + c.failed,
        "odd asks, 30 %% failures, forced updates and reloads: every call succeeds and "
        "asked = told + failed (%llu = %llu + %llu)",
        e ? (unsigned long long)c.asked : 0ull, e ? (unsigned long long)c.told : 0ull,
        e ? (unsigned long long)c.failed : 0ull);
    tap_ok(best < 1e-4, "and the run still converges (best %.2g, %llu modelled)", best,
           e ? (unsigned long long)c.modelled : 0ull);
    fo_engine_destroy(e);
}

int main(void) {
    TAP_RUN(test_model);
    TAP_RUN(test_protocol);
    TAP_RUN(test_snapshot);
    TAP_RUN(test_rough_driver);
    return tap_done();
}
