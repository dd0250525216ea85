/*
 * test_refine.c - the exact coordinate refiner (structure pauli-rotations):
 * the three-point sinusoid fit is exact; on a separable sum of sinusoids of
 * several frequencies one sweep lands on the global minimum; a function
 * that is not a sinusoid along its coordinates is caught by the sweep's
 * measurement and the flow goes on alone; interleaved with the flow, its
 * points stay out of the flow's generations; a snapshot taken with a probe
 * out continues bit for bit; bad frequencies are refused by name.
 */
#include <flowopt/opt.h>
#include <flowopt/rng.h>
#include "opt/engine_internal.h"
#include "opt/refine.h"
#include "engineutil.h"
#include "tap.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define D 4
static const double freq[D] = {1, 2, 1, 3};
static const double amp[D] = {1.0, 0.5, 2.0, 0.25}, phase[D] = {0.3, -1.1, 2.0, 0.7};

/* sum_j a_j cos(k_j x_j - b_j) + 1: minimum 1 - sum a_j */
static double waves(const double *x) {
    double f = 1.0;
    for (int j = 0; j < D; j++)
        f += amp[j] * cos(freq[j] * x[j] - phase[j]);
    return f;
}

static double bowl(const double *x) {
    double f = 0.0;
    for (int j = 0; j < D; j++)
        f += (x[j] - 0.4) * (x[j] - 0.4);
    return f;
}

static void test_fit(void) {
    struct fo_rng rng;
    fo_rng_seed(&rng, 3);
    double worst = 0.0;
    for (int trial = 0; trial < 200; trial++) {
        double k = 1.0 + (double)fo_rng_below(&rng, 4), c[3], t[3], v[3], got[3];
        for (int i = 0; i < 3; i++) {
            c[i] = 4.0 * fo_rng_uniform(&rng) - 2.0;
            t[i] = 6.0 * fo_rng_uniform(&rng) - 3.0;
        }
        for (int i = 0; i < 3; i++)
            v[i] = c[0] + c[1] * cos(k * t[i]) + c[2] * sin(k * t[i]);
        if (fo__sinusoid_fit(t, v, k, got) != 0)
            continue; /* nearly coincident points: refused, rightly */
        for (int i = 0; i < 3; i++)
            worst = fmax(worst, fabs(got[i] - c[i]));
    }
    tap_is_below(worst, 1e-6, "the sinusoid through three points is recovered (%.1e)",
                 worst);
    double t[3] = {0.5, 0.5 + 2 * M_PI, 1.0}, v[3] = {1, 1, 2}, got[3];
    tap_is_int(fo__sinusoid_fit(t, v, 1.0, got), -1,
               "two points a period apart do not fix it");
}

static struct fo_engine *make_k(int mode, const double *frequency, uint64_t seed,
                                unsigned repeats);
static struct fo_engine *make(int mode, const double *frequency, uint64_t seed) {
    return make_k(mode, frequency, seed, 1);
}

static struct fo_engine *make_k(int mode, const double *frequency, uint64_t seed,
                                unsigned repeats) {
    static double lo[D], hi[D];
    static unsigned char circle[D];
    for (int j = 0; j < D; j++) {
        lo[j] = -M_PI;
        hi[j] = M_PI;
        circle[j] = 1;
    }
    struct fo_run_config c;
    fo_run_preset(&c, "default", D);
    c.flow.lo = lo;
    c.flow.hi = hi;
    c.flow.periodic = circle;
    c.structure = FO_STRUCTURE_PAULI;
    c.structure_mode = mode;
    c.frequency = frequency;
    c.structure_repeats = repeats;
    c.seed = c.flow.seed = seed;
    struct fo_engine *e = NULL;
    struct fo_error err = {0};
    if (fo_engine_create(&c, &e, &err) != FO_OK)
        tap_bail("create: %s", err.msg);
    return e;
}

/* Ask what the run wants and tell f, until `evals` evaluations. OUT: the
 * history rows' flags: a refine row, a broken row, every flow update's n
 * equal to the batch. */
struct seen {
    int refine, broken, whole, refined_d;
};
static void drive(struct fo_engine *e, double (*f)(const double *), uint64_t evals,
                  struct seen *seen) {
    struct fo_sample s[64];
    double x[64 * D];
    memset(seen, 0, sizeof *seen);
    seen->whole = 1;
    while (e->told < evals) {
        struct fo_engine_counters c;
        fo_engine_counters(e, &c);
        size_t n = c.wanted ? c.wanted : c.batch_size;
        n = n < 64 ? n : 64;
        if (fo_engine_ask(e, n, s, x, NULL) != FO_OK)
            tap_bail("ask");
        for (size_t i = 0; i < n; i++) {
            struct fo_step_report rep;
            int up = 0;
            fo_engine_tell(e, s[i].id, f(x + i * D), NULL, &up, &rep, NULL);
            if (!up)
                continue;
            if (rep.events & FO_EVENT_REFINE) {
                seen->refine = 1;
                seen->refined_d |= rep.refined == D;
                seen->broken |= (rep.events & FO_EVENT_STRUCTURE_BROKEN) != 0;
            } else {
                seen->whole &=
                    rep.n + rep.modelled == c.batch_size || rep.n == c.batch_size;
            }
        }
    }
}

static void test_exact(void) {
    struct fo_engine *e = make(FO_STRUCTURE_ALONE, freq, 5);
    struct seen seen;
    /* a first flow sample, one sweep of 2 D probes and its measurement */
    drive(e, waves, 1 + 2 * D + 1, &seen);
    double best = 0.0, want = 1.0;
    for (int j = 0; j < D; j++)
        want -= amp[j];
    fo_engine_best(e, NULL, &best, NULL, NULL);
    tap_is_near(best, want, 1e-9,
                "one sweep of %d evaluations lands on the minimum of a sum of sinusoids "
                "of frequencies 1, 2, 1, 3 (%.12f)",
                2 * D + 2, best);
    tap_ok(seen.refine && seen.refined_d && !seen.broken,
           "its history row says refine, %d steps, structure intact", D);
    struct fo_engine_counters c;
    fo_engine_counters(e, &c);
    tap_ok(c.refined == D && c.refining, "counters: %llu steps, still refining",
           (unsigned long long)c.refined);
    fo_engine_destroy(e);
    /* declared frequency 1 everywhere: wrong for two coordinates */
    e = make(FO_STRUCTURE_ALONE, NULL, 5);
    drive(e, waves, 1 + 2 * D + 1, &seen);
    tap_ok(seen.broken && !fo__refine_on(e),
           "a wrongly declared frequency is caught by the sweep's measurement");
    fo_engine_destroy(e);
}

/* Each point k times: the same exact answer for k times the evaluations;
 * under noise told with its standard error the check holds its tolerance
 * open (no false alarm over many sweeps) yet still catches a bowl. */
static double noise_sd;
static struct fo_rng noise_rng;
static double noisy_waves(const double *x) {
    return waves(x) + noise_sd * fo_rng_normal(&noise_rng);
}
static double noisy_bowl(const double *x) {
    return bowl(x) + noise_sd * fo_rng_normal(&noise_rng);
}

static void drive_se(struct fo_engine *e, double (*f)(const double *), uint64_t evals,
                     struct seen *seen) {
    struct fo_sample s[64];
    double x[64 * D];
    memset(seen, 0, sizeof *seen);
    while (e->told < evals) {
        struct fo_engine_counters c;
        fo_engine_counters(e, &c);
        size_t n = c.wanted ? c.wanted : c.batch_size;
        n = n < 64 ? n : 64;
        fo_engine_ask(e, n, s, x, NULL);
        for (size_t i = 0; i < n; i++) {
            struct fo_step_report rep;
            int up = 0;
            fo_engine_tell_se(e, s[i].id, f(x + i * D), noise_sd, NULL, &up, &rep, NULL);
            if (up && (rep.events & FO_EVENT_REFINE)) {
                seen->refine++;
                seen->broken |= (rep.events & FO_EVENT_STRUCTURE_BROKEN) != 0;
            }
        }
    }
}

static void test_repeats_noise(void) {
    struct fo_engine *e = make_k(FO_STRUCTURE_ALONE, freq, 5, 3);
    struct seen seen;
    drive(e, waves, 1 + 3 * (2 * D + 1), &seen);
    double best = 0.0, want = 1.0;
    for (int j = 0; j < D; j++)
        want -= amp[j];
    fo_engine_best(e, NULL, &best, NULL, NULL);
    tap_is_near(best, want, 1e-9,
                "repeats 3: one sweep of %d evaluations, the same minimum",
                3 * (2 * D + 1));
    fo_engine_destroy(e);
    noise_sd = 0.01;
    fo_rng_seed(&noise_rng, 4);
    e = make_k(FO_STRUCTURE_ALONE, freq, 6, 2);
    drive_se(e, noisy_waves, 3000, &seen);
    tap_ok(seen.refine > 50 && !seen.broken,
           "noise of sd 0.01, told: %d sweeps and no false alarm", seen.refine);
    fo_engine_destroy(e);
    /* the refiner alone under noise: re-evaluations run per sweep, at its
     * incumbent, so the recommendation is measured there */
    e = make_k(FO_STRUCTURE_ALONE, freq, 8, 1);
    e->cfg.opt.reevaluate = 2;
    drive_se(e, noisy_waves, 3000, &seen);
    double rx[D];
    struct fo_recommendation rec;
    double want2 = 1.0;
    for (int j = 0; j < D; j++)
        want2 -= amp[j];
    int ok = fo_engine_recommend(e, rx, &rec, NULL) == FO_OK;
    tap_ok(ok && rec.kind == FO_RECOMMEND_REMEASURED && waves(rx) < want2 + 0.05 &&
               fabs(rec.value - waves(rx)) < 4.0 * rec.std_error + 1e-12,
           "alone under noise: the recommendation is remeasured at the refiner's point "
           "(true %.4f, estimate %.4f +- %.4f, minimum %.4f)",
           waves(rx), rec.value, rec.std_error, want2);
    fo_engine_destroy(e);
    e = make_k(FO_STRUCTURE_ALONE, NULL, 6, 2);
    drive_se(e, noisy_bowl, 400, &seen);
    tap_ok(seen.broken, "and a noisy bowl is still caught");
    fo_engine_destroy(e);
}

static void test_broken(void) {
    struct fo_engine *e = make(FO_STRUCTURE_ALONE, NULL, 9);
    struct seen seen;
    drive(e, bowl, 3000, &seen);
    double best = 1.0;
    fo_engine_best(e, NULL, &best, NULL, NULL);
    struct fo_engine_counters c;
    fo_engine_counters(e, &c);
    tap_ok(seen.broken && !fo__refine_on(e) && c.refined == D,
           "a bowl is no sinusoid: broken after one sweep (%llu steps)",
           (unsigned long long)c.refined);
    tap_ok(best < 1e-6 && c.generation > 10,
           "and the flow alone takes the run on to its minimum (%.2g, %llu generations)",
           best, (unsigned long long)c.generation);
    fo_engine_destroy(e);
}

static void test_interleave(void) {
    struct fo_engine *e = make(FO_STRUCTURE_INTERLEAVE, freq, 11);
    struct seen seen;
    drive(e, waves, 400, &seen);
    struct fo_engine_counters c;
    fo_engine_counters(e, &c);
    tap_ok(seen.refine && !seen.broken && c.generation >= 2 && c.refined >= D,
           "interleaved: %llu flow generations and %llu refiner steps",
           (unsigned long long)c.generation, (unsigned long long)c.refined);
    tap_ok(seen.whole, "every flow update took its own batch, no refiner point");
    fo_engine_destroy(e);
}

static void test_snapshot(void) {
    struct fo_engine *a = make(FO_STRUCTURE_INTERLEAVE, freq, 13), *b = NULL;
    struct seen seen;
    drive(a, waves, 60, &seen);
    struct fo_sample s[8];
    double x[8 * D];
    struct fo_engine_counters c;
    fo_engine_counters(a, &c);
    while (!(a->ref.stage == FO_REFINE_PROBES && a->ref.handed == 0)) {
        fo_engine_counters(a, &c);
        size_t n = c.wanted ? c.wanted : c.batch_size;
        fo_engine_ask(a, n, s, x, NULL);
        for (size_t i = 0; i < n; i++)
            fo_engine_tell(a, s[i].id, waves(x + i * D), NULL, NULL, NULL, NULL);
    }
    fo_engine_ask(a, 1, s, x, NULL); /* one probe out */
    size_t len, len2;
    unsigned char *buf = fo_test_engine_save(a, &len);
    tap_is_int(fo_engine_load(buf, len, &b, NULL), FO_OK,
               "saved with a probe out, it loads");
    unsigned char *buf2 = b ? fo_test_engine_save(b, &len2) : NULL;
    tap_ok(buf2 && len == len2 && !memcmp(buf, buf2, len), "and saves to the same bytes");
    fo_engine_tell(a, s[0].id, waves(x), NULL, NULL, NULL, NULL);
    if (b)
        fo_engine_tell(b, s[0].id, waves(x), NULL, NULL, NULL, NULL);
    int same = b != NULL;
    for (int g = 0; g < 60 && same; g++) {
        struct fo_engine_counters ca, cb;
        fo_engine_counters(a, &ca);
        fo_engine_counters(b, &cb);
        size_t n = ca.wanted ? ca.wanted : ca.batch_size;
        double xa[64 * D], xb[64 * D];
        struct fo_sample sa[64];
        same = ca.wanted == cb.wanted && ca.refined == cb.refined &&
               fo_engine_ask(a, n, sa, xa, NULL) == FO_OK &&
               fo_engine_ask(b, n, sa, xb, NULL) == FO_OK &&
               !memcmp(xa, xb, n * D * sizeof(double));
        for (size_t i = 0; same && i < n; i++) {
            fo_engine_tell(a, sa[i].id, waves(xa + i * D), NULL, NULL, NULL, NULL);
            fo_engine_tell(b, sa[i].id, waves(xb + i * D), NULL, NULL, NULL, NULL);
        }
    }
    tap_ok(same, "and both continue bit for bit for 60 asks");
    free(buf);
    free(buf2);
    fo_engine_destroy(a);
    fo_engine_destroy(b);
}

static void test_config(void) {
    struct fo_run_config c;
    fo_run_preset(&c, "default", D);
    static const double half[D] = {1, 0.5, 1, 1};
    c.frequency = freq;
    struct fo_engine *e = NULL;
    struct fo_error err = {0};
    tap_ok(fo_engine_create(&c, &e, &err) != FO_OK &&
               !strcmp(err.field, "structure.frequency"),
           "a frequency without the structure is refused by name (%s)", err.msg);
    c.structure = FO_STRUCTURE_PAULI;
    c.frequency = half;
    tap_ok(fo_engine_create(&c, &e, &err) != FO_OK &&
               !strcmp(err.field, "structure.frequency"),
           "and so is a frequency of 0.5 (%s)", err.msg);
    fo_engine_destroy(e);
}

int main(void) {
    TAP_RUN(test_fit);
    TAP_RUN(test_exact);
    TAP_RUN(test_broken);
    TAP_RUN(test_repeats_noise);
    TAP_RUN(test_interleave);
    TAP_RUN(test_snapshot);
    TAP_RUN(test_config);
    return tap_done();
}
