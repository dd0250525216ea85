/*
 * test_recommend.c - what a run recommends under noise: without
 * re-evaluations, the distribution's centre (unmeasured, near the optimum
 * once converged); with optimizer.reevaluate, a point fixed before it was
 * measured and the mean of its values, whose standard error covers the
 * truth as it should (over many seeds); the re-evaluations count in the
 * budget, stay out of the updates, and travel through a snapshot.
 */
#include <flowopt/opt.h>
#include <flowopt/rng.h>
#include "opt/engine_internal.h"
#include "engineutil.h"
#include "tap.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define D 4

static double sphere(const double *x) {
    double f = 0.0;
    for (int d = 0; d < D; d++)
        f += (x[d] - 0.3) * (x[d] - 0.3);
    return f;
}

static struct fo_engine *make(unsigned reevaluate, uint64_t seed) {
    static double lo[D] = {-2, -2, -2, -2}, hi[D] = {2, 2, 2, 2};
    struct fo_run_config c;
    fo_run_preset(&c, "default", D);
    c.flow.lo = lo;
    c.flow.hi = hi;
    c.opt.reevaluate = reevaluate;
    c.opt.surrogate = FO_SURROGATE_OFF; /* noise: every generation evaluated */
    c.restarts = 0;
    c.seed = c.flow.seed = seed;
    struct fo_engine *e = NULL;
    if (fo_engine_create(&c, &e, NULL) != FO_OK)
        tap_bail("create");
    return e;
}

/* Tell f + N(0, sd^2) for `gens` updates. OUT: whether every update's n was
 * the batch (no re-evaluation inside), and the re-evaluations asked. */
static void drive(struct fo_engine *e, double sd, int gens, struct fo_rng *noise,
                  int *whole, uint64_t *reevals) {
    struct fo_sample s[64];
    double x[64 * D];
    *whole = 1;
    *reevals = 0;
    for (int u = 0; u < gens;) {
        struct fo_engine_counters c;
        fo_engine_counters(e, &c);
        size_t n = c.wanted ? c.wanted : c.batch_size;
        if (fo_engine_ask(e, n, s, x, NULL) != FO_OK)
            tap_bail("ask");
        for (size_t i = 0; i < n; i++) {
            *reevals += isinf(s[i].log_prob);
            struct fo_step_report rep;
            int up = 0;
            fo_engine_tell(e, s[i].id, sphere(x + i * D) + sd * fo_rng_normal(noise),
                           NULL, &up, &rep, NULL);
            if (up) {
                u++;
                *whole &= rep.n == c.batch_size;
            }
        }
    }
}

static void test_centre(void) {
    struct fo_engine *e = make(0, 3);
    struct fo_rng noise;
    fo_rng_seed(&noise, 1);
    int whole;
    uint64_t reevals;
    drive(e, 0.0, 150, &noise, &whole, &reevals);
    double x[D];
    struct fo_recommendation rec;
    tap_is_int(fo_engine_recommend(e, x, &rec, NULL), FO_OK, "a run recommends");
    double err = 0.0;
    for (int d = 0; d < D; d++)
        err = fmax(err, fabs(x[d] - 0.3));
    tap_ok(rec.kind == FO_RECOMMEND_CENTRE && isnan(rec.value) && rec.evaluations == 0 &&
               err < 1e-3 && reevals == 0,
           "without re-evaluations: the centre, unmeasured, at the optimum (%.1e)", err);
    fo_engine_destroy(e);
}

static void test_estimate(void) {
    enum { SEEDS = 40 };
    const double sd = 0.05;
    int covered = 0, remeasured = 0, whole_all = 1, counted = 1;
    for (int k = 0; k < SEEDS; k++) {
        struct fo_engine *e = make(3, 100 + (uint64_t)k);
        struct fo_rng noise;
        fo_rng_seed(&noise, 7 + (uint64_t)k);
        int whole;
        uint64_t reevals;
        drive(e, sd, 60, &noise, &whole, &reevals);
        whole_all &= whole;
        struct fo_engine_counters c;
        fo_engine_counters(e, &c);
        counted &= reevals >= 3 * 50 && c.told == c.asked - c.pending;
        double x[D];
        struct fo_recommendation rec;
        if (fo_engine_recommend(e, x, &rec, NULL) == FO_OK &&
            rec.kind == FO_RECOMMEND_REMEASURED) {
            remeasured++;
            covered += fabs(rec.value - sphere(x)) <= 3.0 * rec.std_error &&
                       rec.evaluations >= 20;
        }
        fo_engine_destroy(e);
    }
    tap_is_int(remeasured, SEEDS,
               "with reevaluate 3: every run recommends a remeasured point");
    tap_ok(covered >= SEEDS * 9 / 10,
           "its mean is within 3 standard errors of the true value in %d of %d runs",
           covered, SEEDS);
    tap_ok(whole_all && counted,
           "the re-evaluations are told and counted, and no update took one");
}

static void test_snapshot(void) {
    struct fo_engine *a = make(2, 9), *b = NULL;
    struct fo_rng noise;
    fo_rng_seed(&noise, 2);
    int whole;
    uint64_t reevals;
    drive(a, 0.01, 25, &noise, &whole, &reevals);
    size_t len, len2;
    unsigned char *buf = fo_test_engine_save(a, &len);
    tap_is_int(fo_engine_load(buf, len, &b, NULL), FO_OK, "a run with pools loads");
    unsigned char *buf2 = b ? fo_test_engine_save(b, &len2) : NULL;
    tap_ok(buf2 && len == len2 && !memcmp(buf, buf2, len), "and saves to the same bytes");
    double xa[D] = {0}, xb[D] = {0};
    struct fo_recommendation ra = {0}, rb = {0};
    fo_engine_recommend(a, xa, &ra, NULL);
    if (b)
        fo_engine_recommend(b, xb, &rb, NULL);
    tap_ok(b && !memcmp(xa, xb, sizeof xa) && ra.value == rb.value &&
               ra.evaluations == rb.evaluations,
           "and recommends the same point with the same estimate");
    free(buf);
    free(buf2);
    fo_engine_destroy(a);
    fo_engine_destroy(b);
}

int main(void) {
    TAP_RUN(test_centre);
    TAP_RUN(test_estimate);
    TAP_RUN(test_snapshot);
    return tap_done();
}
