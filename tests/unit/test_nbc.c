/*
 * test_nbc.c - nearest-better clustering: on uniform points over
 * Himmelblau's box every one of its four basins gets a seed near its
 * minimum; on a sphere the best point seeds first (plain NBC splits a
 * sphere into a dozen or so basins: merging them is the hill-valley test's
 * job); every point's cluster is led by a seed at least as good as it.
 */
#include <flowopt/rng.h>
#include "opt/nbc.h"
#include "functions.h"
#include "tap.h"

#include <math.h>
#include <stdlib.h>

enum { N = 300 };

static void draw(struct fo_rng *rng, double *x) {
    for (int i = 0; i < 2 * N; i++)
        x[i] = 10.0 * fo_rng_uniform(rng) - 5.0;
}

int main(void) {
    static double x[2 * N], fit[N], work[2 * N];
    static size_t seeds[N], cluster[N], iwork[2 * N];
    const double scale[2] = {10.0, 10.0};
    struct fo_rng rng;
    fo_rng_seed(&rng, 11);
    int all_four = 0, led = 1, few = 0;
    size_t most = 0;
    for (int t = 0; t < 20; t++) {
        draw(&rng, x);
        for (int i = 0; i < N; i++)
            fit[i] = -fo_fn_himmelblau(x + 2 * i, 2);
        size_t ns = 0;
        if (fo__nbc(N, 2, x, fit, scale, FO_NBC_PHI, seeds, &ns, cluster, work, iwork,
                    NULL) != FO_OK)
            tap_bail("nbc");
        int seen[4] = {0};
        for (size_t s = 0; s < ns; s++)
            for (int k = 0; k < 4; k++)
                seen[k] |= hypot(x[2 * seeds[s]] - fo_himmelblau_minima[k][0],
                                 x[2 * seeds[s] + 1] - fo_himmelblau_minima[k][1]) < 1.0;
        all_four += seen[0] && seen[1] && seen[2] && seen[3];
        for (int i = 0; i < N; i++)
            led &= cluster[i] < ns && fit[seeds[cluster[i]]] >= fit[i];
        most = ns > most ? ns : most;
        /* the same points on a sphere */
        for (int i = 0; i < N; i++)
            fit[i] = -fo_fn_sphere(x + 2 * i, 2);
        fo__nbc(N, 2, x, fit, scale, FO_NBC_PHI, seeds, &ns, NULL, work, iwork, NULL);
        /* the first seed is the best point; plain NBC over-segments a sphere
         * (11-22 seeds of 300 points here): the hill-valley merge of the
         * mixture's components is what joins them */
        size_t best = 0;
        for (int i = 1; i < N; i++)
            best = fit[i] > fit[best] ? (size_t)i : best;
        few += seeds[0] == best && ns < N / 10;
    }
    tap_ok(
        all_four >= 18,
        "himmelblau, 300 uniform points: a seed within 1 of each of the 4 minima in %d "
        "of 20 draws (at most %zu seeds)",
        all_four, most);
    tap_ok(led, "every point's cluster is led by a seed at least as good");
    tap_ok(few == 20,
           "a sphere: the best point seeds first, with fewer than %d seeds (%d of "
           "20 draws)",
           N / 10, few);
    tap_is_int(fo__nbc(0, 2, x, fit, scale, FO_NBC_PHI, seeds, &(size_t){0}, NULL, work,
                       iwork, NULL),
               FO_EINVAL, "no points: refused");
    return tap_done();
}
