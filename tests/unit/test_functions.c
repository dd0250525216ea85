/*
 * test_functions.c - the benchmark functions at points whose values are
 * known. The pinned values of seed_trig and tfim_vqe come from an
 * independent computation (tests/reference/functions_ref.py, dense
 * matrices and FUNCTIONS.md's own table), which test_functions_ref.sh
 * holds them to.
 */
#include "functions.h"
#include "tap.h"

#include <math.h>

/* The shot-noise estimator against the statevector: its exact mean is
 * tfim_vqe's energy, and 4,000 draws of it at S = 1,000 have that mean and
 * the variance the outcome probabilities give. */
static void test_shots(const double *th) {
    double mean, var;
    fo_tfim_vqe_shot_stats(th, 1000, &mean, &var);
    tap_is_near(mean, fo_fn_tfim_vqe(th, 16), 1e-12,
                "the shot estimator's exact mean is the energy");
    enum { N = 4000 };
    uint64_t state = 42;
    double sum = 0.0, sq = 0.0;
    for (int i = 0; i < N; i++) {
        double v = fo_fn_tfim_vqe_shots(th, 1000, &state);
        sum += v;
        sq += v * v;
    }
    double m = sum / N, v = (sq - N * m * m) / (N - 1);
    tap_is_near(m, mean, 4.0 * sqrt(var / N),
                "4,000 estimates at S = 1,000 average to it (%.5f against %.5f)", m,
                mean);
    /* the sample variance's own sd is about var sqrt(2 / N), 2.2 % */
    tap_is_near(v / var, 1.0, 0.1, "with the predicted variance (ratio %.3f, sd %.4f)",
                v / var, sqrt(var));
    double zeros[16] = {0};
    fo_tfim_vqe_shot_stats(zeros, 4000, &mean, &var);
    /* |0000>: every ZZ is exactly 1, every X_q a fair coin: var = 4 / S */
    tap_ok(mean == -3.0 && fabs(var - 4.0 / 4000.0) < 1e-15,
           "at theta = 0 only the X terms are noisy (var %.3g = 4 / S)", var);
}

/* CEC 2013 F6 and F7 at their known optima. */
static void test_niching(void) {
    double p[2] = {-7.08350643, 4.85805514}; /* a global optimum of F6 */
    tap_is_near(fo_fn_shubert(p, 2), 186.7309, 1e-4, "shubert at (-7.0835, 4.8581)");
    /* its 18: one coordinate at one of the 3 maxima of the 1-D factor, the
     * other at one of its 3 minima; found on a grid of 1e-4 */
    int n_max = 0, n_min = 0;
    double prev2 = 0.0, prev = 0.0, hi = -1e300, lo = 1e300;
    for (long i = 0; i <= 200000; i++) {
        double x = -10.0 + 1e-4 * (double)i, g = -fo_fn_shubert(&x, 1);
        if (i >= 2 && prev >= prev2 && prev >= g && prev > 14.508)
            n_max++;
        if (i >= 2 && prev <= prev2 && prev <= g && prev < -12.8708)
            n_min++;
        hi = fmax(hi, g);
        lo = fmin(lo, g);
        prev2 = prev;
        prev = g;
    }
    tap_ok(n_max == 3 && n_min == 3 && fabs(-hi * lo - 186.7309) < 1e-3,
           "shubert in 2-D: 3 x 3 x 2 = 18 global optima of %.4f", -hi * lo);
    int at_one = 0, inside = 0;
    for (int a = -3; a <= 3; a++)
        for (int b = -3; b <= 3; b++) {
            double v[2] = {exp((M_PI / 2 + 2 * M_PI * a) / 10),
                           exp((M_PI / 2 + 2 * M_PI * b) / 10)};
            if (v[0] < 0.25 || v[0] > 10 || v[1] < 0.25 || v[1] > 10)
                continue;
            inside++;
            at_one += fabs(fo_fn_vincent(v, 2) - 1.0) < 1e-12;
        }
    tap_ok(inside == 36 && at_one == 36, "vincent in 2-D: %d optima of 1 in the box",
           at_one);
}

int main(void) {
    double ones[16], zeros[16] = {0}, st[10], x[10], th[16];
    for (int i = 0; i < 16; i++)
        ones[i] = 1.0;
    for (int i = 0; i < 10; i++) {
        st[i] = -2.903534;
        x[i] = 0.3 * i - 1.2;
    }
    for (int i = 0; i < 16; i++)
        th[i] = 0.1 * (i + 1) - 0.7;
    tap_is_near(fo_fn_sphere(ones, 10), 10.0, 0.0, "sphere(1, ..., 1) = 10");
    tap_is_near(fo_fn_rosenbrock(ones, 10), 0.0, 0.0, "rosenbrock(1, ..., 1) = 0");
    tap_is_near(fo_fn_rosenbrock(zeros, 10), 9.0, 0.0, "rosenbrock(0, ..., 0) = 9");
    tap_is_near(fo_fn_rastrigin(zeros, 10), 0.0, 1e-12, "rastrigin(0) = 0");
    tap_is_near(fo_fn_rastrigin(ones, 10), 10.0, 1e-12, "rastrigin(1, ..., 1) = 10");
    tap_is_near(fo_fn_ackley(zeros, 10), 0.0, 1e-12, "ackley(0) = 0");
    tap_is_near(fo_fn_ackley(ones, 10), 3.6253849384403627, 1e-12, "ackley(1, ..., 1)");
    tap_is_near(fo_fn_styblinski_tang(st, 10), -391.6616570377142, 1e-6,
                "styblinski_tang at its optimum = -39.16616570377142 D");
    tap_is_near(fo_fn_himmelblau(fo_himmelblau_minima[0], 2), 0.0, 0.0,
                "himmelblau(3, 2) = 0");
    for (int k = 1; k < 4; k++)
        tap_is_near(fo_fn_himmelblau(fo_himmelblau_minima[k], 2), 0.0, 1e-9,
                    "himmelblau minimum %d", k);
    tap_is_near(fo_fn_seed_trig(x, 10), 0.003979569229147655, 1e-15,
                "seed_trig at x_i = 0.3 i - 1.2");
    tap_is_near(fo_fn_seed_trig(zeros, 10), 0.0, 0.0,
                "seed_trig(0) = 0 (every row has a sine)");
    tap_is_near(fo_fn_tfim_vqe(zeros, 16), -3.0, 1e-14,
                "tfim_vqe(0) = -3: |0000>, ZZ = 1");
    tap_is_near(fo_fn_tfim_vqe(th, 16), -2.313727674479956, 1e-13,
                "tfim_vqe at theta_i = 0.1 (i + 1) - 0.7");
    test_shots(th);
    test_niching();
    /* problems: the seed's shift stays in the inner 80 % of the box, the
     * rotation is orthonormal, the shifted optimum is where the value is 0 */
    const struct fo_bench_fn *ell = fo_bench_find("ellipsoid");
    struct fo_bench_problem p, q;
    tap_ok(ell && fo_bench_problem_init(&p, ell, 7) == 0 &&
               fo_bench_problem_init(&q, ell, 8) == 0,
           "the ellipsoid posed by seeds 7 and 8");
    int inside = 1, differ = 0;
    double worst = 0.0;
    for (size_t i = 0; i < 10; i++) {
        inside &= p.shift[i] >= 0.8 * ell->lo && p.shift[i] <= 0.8 * ell->hi;
        differ |= p.shift[i] != q.shift[i];
        for (size_t j = 0; j < 10; j++) {
            double dot = 0.0;
            for (size_t k = 0; k < 10; k++)
                dot += p.rot[i * 10 + k] * p.rot[j * 10 + k];
            worst = fmax(worst, fabs(dot - (i == j)));
        }
    }
    tap_ok(inside && differ,
           "each seed its own shift, inside the inner 80 %% of the box");
    tap_is_below(worst, 1e-12, "R R^T = I (%.1e)", worst);
    tap_is_near(fo_bench_problem_eval(&p, p.shift), 0.0, 0.0,
                "f(s) = 0: the optimum moved");
    double off[10];
    for (int i = 0; i < 10; i++)
        off[i] = p.shift[i] + (i == 9 ? 1e-3 : 0.0);
    tap_ok(fo_bench_problem_eval(&p, off) > 0.0, "and only there");
    fo_bench_problem_free(&p);
    fo_bench_problem_free(&q);
    return tap_done();
}
