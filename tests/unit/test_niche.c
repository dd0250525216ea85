/*
 * test_niche.c - the niching mixture (optimizer.niches, preset multimodal):
 * what it refuses; on Himmelblau, every minimum held within 2,000
 * evaluations with at least a tenth of the mass; the mixture's density
 * integrates to one over the box; on one basin (sphere) its components
 * merge onto the one minimum; a snapshot taken mid-run continues bit for
 * bit.
 */
#include <flowopt/opt.h>
#include <flowopt/settings.h>
#include "opt/engine_internal.h"
#include "opt/niche.h"
#include "engineutil.h"
#include "functions.h"
#include "tap.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static double lo2[2] = {-5, -5}, hi2[2] = {5, 5};

static struct fo_engine *make(const char *preset, uint64_t seed) {
    struct fo_run_config c;
    fo_run_preset(&c, preset, 2);
    c.flow.lo = lo2;
    c.flow.hi = hi2;
    c.seed = c.flow.seed = seed;
    struct fo_engine *e = NULL;
    struct fo_error err;
    if (fo_engine_create(&c, &e, &err) != FO_OK)
        tap_bail("create: %s", err.msg);
    return e;
}

typedef double (*fn2)(const double *x, size_t d);

/* Ask what the run wants and tell f, until told reaches evals. OUT: xs
 * (may be NULL) every x handed out, in order. */
static void drive(struct fo_engine *e, fn2 f, uint64_t evals, double *xs) {
    struct fo_sample s[256];
    double x[512];
    uint64_t k = 0;
    while (e->told < evals) {
        struct fo_engine_counters c;
        fo_engine_counters(e, &c);
        size_t n = c.wanted < 256 ? c.wanted : 256;
        n = n < evals - e->told ? n : (size_t)(evals - e->told);
        if (fo_engine_ask(e, n, s, x, NULL) != FO_OK)
            tap_bail("ask");
        for (size_t i = 0; i < n; i++, k++) {
            if (xs)
                memcpy(xs + 2 * k, x + 2 * i, 2 * sizeof(double));
            fo_engine_tell(e, s[i].id, f(x + 2 * i, 2), NULL, NULL, NULL, NULL);
        }
    }
}

static void test_refusals(void) {
    struct fo_run_config c;
    struct fo_error err;
    struct fo_engine *e = NULL;
    fo_run_preset(&c, "default", 2);
    c.opt.niches = 4; /* the default's surrogate hands out points of its own */
    enum fo_status st = fo_engine_create(&c, &e, &err);
    tap_ok(st == FO_EINVAL && strcmp(err.field, "optimizer.niches") == 0,
           "niches beside the surrogate is refused, naming optimizer.niches (%s)",
           err.msg);
    fo_run_preset(&c, "seed", 2);
    c.opt.niches = 4;
    st = fo_engine_create(&c, &e, &err);
    tap_ok(st == FO_EINVAL && strcmp(err.field, "optimizer.niches") == 0,
           "niches over a spline flow is refused (%s)", err.msg);
    fo_run_preset(&c, "multimodal", 2);
    tap_is_int(c.opt.niches, 6, "preset multimodal holds 6 components at once");
    fo_run_preset(&c, "multimodal", 1024);
    st = fo_engine_create(&c, &e, &err);
    tap_ok(st == FO_OK && e->niche.slots >= 4 && e->niche.seeds_want <= 2000,
           "multimodal at D = 1024 builds with %zu slots and %zu seeds",
           e ? e->niche.slots : 0, e ? e->niche.seeds_want : 0);
    fo_engine_destroy(e);
}

static void test_himmelblau(void) {
    int all_four = 0, weights_ok = 1, mass_ok = 0;
    for (uint64_t seed = 1; seed <= 5; seed++) {
        struct fo_engine *e = make("multimodal", seed);
        drive(e, fo_fn_himmelblau, 2000, NULL);
        double x[FO_ENGINE_MAX_MODES * 2], mass[4] = {0};
        struct fo_mode m[FO_ENGINE_MAX_MODES];
        size_t n = fo_engine_modes(e, FO_ENGINE_MAX_MODES, x, m);
        int seen[4] = {0};
        double total = 0.0;
        for (size_t k = 0; k < n; k++) {
            int w = fo_himmelblau_which(x + 2 * k);
            total += m[k].weight;
            if (w >= 0 && m[k].best < 1e-3) {
                seen[w] = 1;
                mass[w] += m[k].weight;
            }
        }
        weights_ok &= fabs(total - 1.0) < 1e-9;
        all_four += seen[0] && seen[1] && seen[2] && seen[3];
        mass_ok += mass[0] >= 0.1 && mass[1] >= 0.1 && mass[2] >= 0.1 && mass[3] >= 0.1;
        tap_diag("seed %llu: %zu modes, mass %.2f %.2f %.2f %.2f",
                 (unsigned long long)seed, n, mass[0], mass[1], mass[2], mass[3]);
        fo_engine_destroy(e);
    }
    tap_is_int(all_four, 5, "Himmelblau: all four minima held within 2,000 evaluations");
    tap_is_int(mass_ok, 5, "each minimum holds at least a tenth of the mixture's weight");
    tap_ok(weights_ok, "the modes' weights sum to one");
}

/* The mixture's density over the box by the midpoint rule, on a grid fine
 * against the components' spreads. */
static double integral(struct fo_engine *e, int cells) {
    const double h = 10.0 / cells;
    double *x = malloc((size_t)cells * 2 * sizeof *x), *lp = malloc(cells * sizeof *lp);
    double sum = 0.0;
    for (int i = 0; i < cells; i++) {
        for (int j = 0; j < cells; j++) {
            x[2 * j] = -5.0 + (i + 0.5) * h;
            x[2 * j + 1] = -5.0 + (j + 0.5) * h;
        }
        if (fo_engine_log_prob(e, (size_t)cells, x, lp, NULL) != FO_OK)
            tap_bail("log_prob");
        for (int j = 0; j < cells; j++)
            sum += exp(lp[j]) * h * h;
    }
    free(x);
    free(lp);
    return sum;
}

static void test_density(void) {
    struct fo_engine *e = make("multimodal", 3);
    drive(e, fo_fn_himmelblau, 160, NULL); /* clustered, a few steps taken */
    size_t held = 0;
    double smallest = INFINITY;
    for (size_t k = 0; k < e->niche.slots; k++)
        if (e->niche.comp[k].state != FO_COMP_FREE) {
            held++;
            const double *L = e->niche.L + k * 4;
            smallest = fmin(smallest, fmin(L[0], L[3]));
        }
    tap_ok(held >= 3, "after the seeds, %zu components are held", held);
    /* the flow's coordinates are (hi - lo) / 4 = 2.5 wide per unit */
    tap_diag("smallest scale %.3g in x", 2.5 * smallest);
    tap_ok(2.5 * smallest > 0.05, "every component is wide against the grid");
    tap_is_near(integral(e, 800), 1.0, 2e-3,
                "the mixture's density integrates to one over the box");
    fo_engine_destroy(e);
}

static double sphere2(const double *x, size_t d) {
    (void)d;
    return (x[0] - 1.0) * (x[0] - 1.0) + (x[1] + 2.0) * (x[1] + 2.0);
}

static void test_one_basin(void) {
    struct fo_engine *e = make("multimodal", 7);
    drive(e, sphere2, 3000, NULL);
    double x[FO_ENGINE_MAX_MODES * 2];
    struct fo_mode m[FO_ENGINE_MAX_MODES];
    size_t n = fo_engine_modes(e, FO_ENGINE_MAX_MODES, x, m), converged = 0, away = 0;
    for (size_t k = 0; k < n; k++) {
        converged += m[k].state == FO_MODE_CONVERGED;
        away += m[k].state == FO_MODE_CONVERGED &&
                hypot(x[2 * k] - 1.0, x[2 * k + 1] + 2.0) > 1e-3;
    }
    tap_ok(e->niche.merged > 0, "on one basin, components merged (%llu)",
           (unsigned long long)e->niche.merged);
    tap_ok(converged == 1 && away == 0,
           "one basin ends as one optimum at its minimum (%zu converged, %zu away)",
           converged, away);
    fo_engine_destroy(e);
}

static void test_snapshot(void) {
    struct fo_engine *a = make("multimodal", 11);
    drive(a, fo_fn_himmelblau, 560, NULL); /* some components nearly converged */
    size_t len;
    unsigned char *buf = fo_test_engine_save(a, &len);
    struct fo_engine *b = NULL;
    struct fo_error err;
    if (fo_engine_load(buf, len, &b, &err) != FO_OK)
        tap_bail("load: %s", err.msg);
    free(buf);
    enum { MORE = 600 };
    double *xa = malloc(MORE * 2 * sizeof *xa), *xb = malloc(MORE * 2 * sizeof *xb);
    drive(a, fo_fn_himmelblau, 560 + MORE, xa);
    drive(b, fo_fn_himmelblau, 560 + MORE, xb);
    tap_ok(memcmp(xa, xb, MORE * 2 * sizeof *xa) == 0,
           "a run restored mid-search asks the same points as the original");
    double ma[FO_ENGINE_MAX_MODES * 2], mb[FO_ENGINE_MAX_MODES * 2];
    struct fo_mode oa[FO_ENGINE_MAX_MODES], ob[FO_ENGINE_MAX_MODES];
    size_t na = fo_engine_modes(a, FO_ENGINE_MAX_MODES, ma, oa),
           nb = fo_engine_modes(b, FO_ENGINE_MAX_MODES, mb, ob);
    tap_ok(na == nb && memcmp(ma, mb, na * 2 * sizeof(double)) == 0,
           "and holds the same modes (%zu)", na);
    free(xa);
    free(xb);
    fo_engine_destroy(a);
    fo_engine_destroy(b);
}

int main(void) {
    test_refusals();
    test_himmelblau();
    test_density();
    test_one_basin();
    test_snapshot();
    return tap_done();
}
