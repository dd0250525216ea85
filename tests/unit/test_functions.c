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
