/* test_utility.c - fitness shaping: zero sums, order invariance, ties; the
 * shared best-first order of indices. */
#include "opt/utility.h"
#include "tap.h"

#include <flowopt/rng.h>
#include <math.h>

#define N 50

/* fo__order_desc on 5,000 keys with many ties, a subset of indices given in
 * scrambled order: the result is a permutation of them, keys never rise,
 * equal keys come in ascending index. */
static void test_order(struct fo_rng *rng) {
    enum { M = 5000 };
    static double key[2 * M];
    static size_t order[M];
    static unsigned char seen[2 * M];
    for (size_t i = 0; i < 2 * M; i++)
        key[i] = (double)fo_rng_below(rng, 300); /* ties everywhere */
    for (size_t i = 0; i < M; i++)
        order[i] = 2 * ((i * 7919) % M) + (i & 1); /* a scrambled subset */
    fo__order_desc(key, order, M);
    int perm = 1, sorted = 1;
    for (size_t i = 0; i < M; i++) {
        perm &= !seen[order[i]];
        seen[order[i]] = 1;
        if (i > 0)
            sorted &= key[order[i - 1]] > key[order[i]] ||
                      (key[order[i - 1]] == key[order[i]] && order[i - 1] < order[i]);
    }
    tap_ok(perm, "order: the indices come back, each once");
    tap_ok(sorted, "order: best key first, equal keys by ascending index");
}

int main(void) {
    struct fo_rng rng;
    fo_rng_seed(&rng, 11);
    double f[N], g[N], u[N], v[N];
    size_t order[N];
    for (int i = 0; i < N; i++) {
        f[i] = fo_rng_normal(&rng);
        g[i] = exp(3.0 * f[i]) - 7.0; /* a strictly increasing transform */
    }
    enum fo_utility kinds[2] = {FO_UTILITY_RANK, FO_UTILITY_CENTERED_RANK};
    for (int k = 0; k < 2; k++) {
        const char *name = fo_utility_name(kinds[k]);
        fo_utilities(kinds[k], f, N, u, order);
        fo_utilities(kinds[k], g, N, v, order);
        double sum = 0.0, diff = 0.0;
        for (int i = 0; i < N; i++) {
            sum += u[i];
            diff = fmax(diff, fabs(u[i] - v[i]));
        }
        tap_is_near(sum, 0.0, 1e-12, "%s utilities sum to zero (%.2e)", name, sum);
        tap_ok(diff == 0.0, "%s utilities are invariant to a monotone transform", name);
        int best = 0, worst = 0;
        for (int i = 1; i < N; i++) {
            best = f[i] > f[best] ? i : best;
            worst = f[i] < f[worst] ? i : worst;
        }
        int top = 1;
        for (int i = 0; i < N; i++)
            top &= u[i] <= u[best] && u[i] >= u[worst];
        tap_ok(top, "%s: the best value gets the largest utility, the worst the smallest",
               name);
    }
    /* NES log-rank for N = 4: weights max(0, ln 3 - ln i) normalised, minus 1/4. */
    double h[4] = {4.0, 1.0, 3.0, 2.0}, w[4];
    fo_utilities(FO_UTILITY_RANK, h, 4, w, order);
    double a1 = log(3.0), a2 = log(3.0) - log(2.0), s = a1 + a2;
    tap_is_near(w[0], a1 / s - 0.25, 1e-15, "rank utility of the best of 4");
    tap_is_near(w[2], a2 / s - 0.25, 1e-15, "rank utility of the second of 4");
    tap_is_near(w[1], -0.25, 1e-15, "the lower half gets -1/N");
    double t[4] = {1.0, 1.0, 0.0, 0.0}, tu[4];
    fo_utilities(FO_UTILITY_RANK, t, 4, tu, order);
    tap_ok(tu[0] == tu[1] && tu[2] == tu[3] && tu[0] > tu[2], "ties share their utility");
    double c[3] = {5.0, 5.0, 5.0}, cu[3];
    fo_utilities(FO_UTILITY_ZSCORE, c, 3, cu, order);
    tap_ok(cu[0] == 0.0 && cu[1] == 0.0 && cu[2] == 0.0, "zscore of equal values is 0");
    fo_utilities(FO_UTILITY_RAW, h, 4, w, order);
    tap_is_near(w[0], 4.0 - 2.5, 1e-15, "raw utility is value minus the mean");
    test_order(&rng);
    return tap_done();
}
