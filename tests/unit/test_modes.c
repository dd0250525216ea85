/*
 * test_modes.c - the modes a run holds and has held: on Himmelblau, with
 * IPOP restarts, the converged distributions are archived at distinct
 * minima, each with the best value told there and the evaluations spent;
 * the active mode is first, with weight 1; a distribution converging
 * again where one was archived joins it; the archive travels through a
 * snapshot.
 */
#include <flowopt/opt.h>
#include "opt/engine_internal.h"
#include "opt/modes.h"
#include "functions.h"
#include "tap.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static struct fo_engine *make(uint64_t seed) {
    static double lo[2] = {-5, -5}, hi[2] = {5, 5};
    struct fo_run_config c;
    fo_run_preset(&c, "default", 2);
    c.flow.lo = lo;
    c.flow.hi = hi;
    c.seed = c.flow.seed = seed;
    struct fo_engine *e = NULL;
    if (fo_engine_create(&c, &e, NULL) != FO_OK)
        tap_bail("create");
    return e;
}

static void drive(struct fo_engine *e, uint64_t evals) {
    struct fo_sample s[256];
    double x[512];
    while (e->told < evals && fo_engine_stop_reason(e) == FO_STOP_NONE) {
        struct fo_engine_counters c;
        fo_engine_counters(e, &c);
        size_t n = c.wanted ? c.wanted : c.batch_size;
        n = n < 256 ? n : 256;
        if (fo_engine_ask(e, n, s, x, NULL) != FO_OK)
            tap_bail("ask");
        for (size_t i = 0; i < n; i++)
            fo_engine_tell(e, s[i].id, fo_fn_himmelblau(x + 2 * i, 2), NULL, NULL, NULL,
                           NULL);
    }
}

static void test_himmelblau(void) {
    int distinct_ok = 1, values_ok = 1, found_max = 0, first_active = 1;
    uint64_t spent_ok = 1;
    for (uint64_t seed = 1; seed <= 5; seed++) {
        struct fo_engine *e = make(seed);
        drive(e, 3000);
        double x[FO_ENGINE_MAX_MODES * 2];
        struct fo_mode m[FO_ENGINE_MAX_MODES];
        size_t n = fo_engine_modes(e, FO_ENGINE_MAX_MODES, x, m);
        int seen[4] = {0}, found = 0;
        uint64_t spent = 0;
        first_active &= n >= 1 && m[0].state == FO_MODE_ACTIVE && m[0].weight == 1.0;
        for (size_t k = 1; k < n; k++) {
            int w = fo_himmelblau_which(x + 2 * k);
            values_ok &= m[k].state == FO_MODE_CONVERGED && m[k].weight == 0.0 &&
                         (w < 0 || m[k].best < 1e-3);
            if (w >= 0) {
                distinct_ok &= !seen[w];
                found += !seen[w];
                seen[w] = 1;
            }
            spent += m[k].evaluations;
        }
        spent_ok &= spent + m[0].evaluations == e->told;
        found_max = found > found_max ? found : found_max;
        fo_engine_destroy(e);
    }
    tap_ok(first_active, "the active mode comes first, with weight 1");
    tap_ok(distinct_ok && values_ok,
           "archived modes sit at distinct minima, each with its best value there");
    tap_ok(found_max >= 2, "restarts archive several minima (up to %d of 4 in a run)",
           found_max);
    tap_ok(spent_ok, "and their evaluations add up to the run's");
}

static void test_merge_snapshot(void) {
    struct fo_engine *e = make(3);
    drive(e, 200);
    e->modes.has_best = 1;
    e->modes.phase_best = 0.5;
    size_t before = e->modes.n;
    fo__modes_archive(e);
    e->modes.has_best = 1;
    e->modes.phase_best = 0.25;
    fo__modes_archive(e); /* the same distribution again */
    tap_ok(e->modes.n == before + 1 && e->modes.best[before] == 0.25,
           "a second convergence at the same centre joins the first (best 0.25)");
    size_t len;
    fo_engine_save(e, NULL, 0, &len, NULL);
    unsigned char *buf = malloc(len);
    fo_engine_save(e, buf, len, &len, NULL);
    struct fo_engine *b = NULL;
    tap_is_int(fo_engine_load(buf, len, &b, NULL), FO_OK, "it loads");
    double xa[FO_ENGINE_MAX_MODES * 2], xb[FO_ENGINE_MAX_MODES * 2];
    struct fo_mode ma[FO_ENGINE_MAX_MODES], mb[FO_ENGINE_MAX_MODES];
    size_t na = fo_engine_modes(e, FO_ENGINE_MAX_MODES, xa, ma);
    size_t nb = b ? fo_engine_modes(b, FO_ENGINE_MAX_MODES, xb, mb) : 0;
    int same = na == nb && !memcmp(xa, xb, na * 2 * sizeof(double));
    for (size_t k = 0; same && k < na; k++)
        same = ma[k].state == mb[k].state &&
               (ma[k].best == mb[k].best || (isnan(ma[k].best) && isnan(mb[k].best))) &&
               ma[k].spread == mb[k].spread && ma[k].evaluations == mb[k].evaluations;
    for (size_t k = 0; !same && k < na && k < nb; k++)
        tap_diag("%zu: %d %g %g %llu / %d %g %g %llu x %g %g / %g %g", k, ma[k].state,
                 ma[k].best, ma[k].spread, (unsigned long long)ma[k].evaluations,
                 mb[k].state, mb[k].best, mb[k].spread,
                 (unsigned long long)mb[k].evaluations, xa[2 * k], xa[2 * k + 1],
                 xb[2 * k], xb[2 * k + 1]);
    tap_ok(same, "with the same %zu modes", na);
    free(buf);
    fo_engine_destroy(e);
    fo_engine_destroy(b);
}

int main(void) {
    TAP_RUN(test_himmelblau);
    TAP_RUN(test_merge_snapshot);
    return tap_done();
}
