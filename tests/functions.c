/* functions.c - the benchmark functions; see functions.h and FUNCTIONS.md. */
#include "functions.h"

#include <complex.h>
#include <math.h>
#include <string.h>

double fo_fn_sphere(const double *x, size_t d) {
    double s = 0.0;
    for (size_t i = 0; i < d; i++)
        s += x[i] * x[i];
    return s;
}

double fo_fn_rosenbrock(const double *x, size_t d) {
    double s = 0.0;
    for (size_t i = 0; i + 1 < d; i++) {
        double a = x[i + 1] - x[i] * x[i], b = 1.0 - x[i];
        s += 100.0 * a * a + b * b;
    }
    return s;
}

double fo_fn_rastrigin(const double *x, size_t d) {
    double s = 10.0 * (double)d;
    for (size_t i = 0; i < d; i++)
        s += x[i] * x[i] - 10.0 * cos(2.0 * M_PI * x[i]);
    return s;
}

double fo_fn_ackley(const double *x, size_t d) {
    double sq = 0.0, cs = 0.0;
    for (size_t i = 0; i < d; i++) {
        sq += x[i] * x[i];
        cs += cos(2.0 * M_PI * x[i]);
    }
    return -20.0 * exp(-0.2 * sqrt(sq / (double)d)) - exp(cs / (double)d) + 20.0 + M_E;
}

double fo_fn_styblinski_tang(const double *x, size_t d) {
    double s = 0.0;
    for (size_t i = 0; i < d; i++)
        s += x[i] * x[i] * x[i] * x[i] - 16.0 * x[i] * x[i] + 5.0 * x[i];
    return 0.5 * s;
}

const double fo_himmelblau_minima[4][2] = {
    {3.0, 2.0}, {-2.805118, 3.131312}, {-3.779310, -3.283186}, {3.584428, -1.848126}};

double fo_fn_himmelblau(const double *x, size_t d) {
    (void)d;
    double a = x[0] * x[0] + x[1] - 11.0, b = x[0] + x[1] * x[1] - 7.0;
    return a * a + b * b;
}

/* Row j: sign s_j and the factor of each coordinate (S = sin, C = cos). */
static const char *const trig_rows[10] = {
    "-SSSCSSSSSC", "-SCSCSCCCCS", "-SSCCSSCCCC", "-CCSSCSCCSS", "-CSSCSCSSCS",
    "+CSSCCCSCCS", "+SSCCCCSCSC", "+SSSCCCCCCS", "-CSCSCCSSSS", "-SCCSCCCCCS"};

double fo_fn_seed_trig(const double *x, size_t d) {
    double sn[10], cs[10], e = 0.0;
    (void)d;
    for (int i = 0; i < 10; i++) {
        sn[i] = sin(x[i]);
        cs[i] = cos(x[i]);
    }
    for (int j = 0; j < 10; j++) {
        double p = 1.0;
        for (int i = 0; i < 10; i++) {
            double f = trig_rows[j][1 + i] == 'S' ? sn[i] : cs[i];
            p *= f * f;
        }
        e += (trig_rows[j][0] == '+' ? 1.0 : -1.0) * p;
    }
    return e;
}

/* 4 qubits, basis index b = sum_q bit_q 2^q. */
static void apply_ry(double complex *psi, int q, double a) {
    double c = cos(a / 2), s = sin(a / 2);
    for (int b = 0; b < 16; b++) {
        if (b & (1 << q))
            continue;
        double complex a0 = psi[b], a1 = psi[b | (1 << q)];
        psi[b] = c * a0 - s * a1;
        psi[b | (1 << q)] = s * a0 + c * a1;
    }
}

static void apply_rz(double complex *psi, int q, double a) {
    double complex m0 = cexp(-I * a / 2), m1 = cexp(I * a / 2);
    for (int b = 0; b < 16; b++)
        psi[b] *= (b & (1 << q)) ? m1 : m0;
}

static void apply_cnot(double complex *psi, int c, int t) {
    for (int b = 0; b < 16; b++) {
        if ((b & (1 << c)) && !(b & (1 << t))) {
            double complex tmp = psi[b];
            psi[b] = psi[b | (1 << t)];
            psi[b | (1 << t)] = tmp;
        }
    }
}

double fo_fn_tfim_vqe(const double *theta, size_t d) {
    (void)d;
    double complex psi[16] = {0};
    psi[0] = 1.0;
    for (int l = 0; l < 2; l++) {
        for (int q = 0; q < 4; q++)
            apply_ry(psi, q, theta[8 * l + q]);
        for (int q = 0; q < 4; q++)
            apply_rz(psi, q, theta[8 * l + 4 + q]);
        for (int q = 0; q < 3; q++)
            apply_cnot(psi, q, q + 1);
    }
    double e = 0.0;
    for (int b = 0; b < 16; b++) {
        double p = creal(psi[b] * conj(psi[b]));
        for (int q = 0; q < 3; q++) /* -Z_q Z_q+1 */
            e -= p * ((((b >> q) ^ (b >> (q + 1))) & 1) ? -1.0 : 1.0);
        for (int q = 0; q < 4; q++) /* -h X_q, h = 1 */
            e -= creal(conj(psi[b]) * psi[b ^ (1 << q)]);
    }
    return e;
}

const struct fo_bench_fn fo_bench_suite[] = {
    {"sphere", 10, -5.0, 5.0, 0, 1e-6, 20000, fo_fn_sphere},
    {"rosenbrock", 10, -5.0, 10.0, 0, 1e-2, 20000, fo_fn_rosenbrock},
    {"rastrigin", 10, -5.12, 5.12, 0, 0.5, 20000, fo_fn_rastrigin},
    {"ackley", 10, -32.768, 32.768, 0, 1e-3, 20000, fo_fn_ackley},
    {"styblinski_tang", 10, -5.0, 5.0, 0, -391.56, 20000, fo_fn_styblinski_tang},
    {"himmelblau", 2, -5.0, 5.0, 0, 1e-3, 2000, fo_fn_himmelblau},
    {"seed_trig", 10, -M_PI, M_PI, 1, 1.0 - 1e-3, 20000, fo_fn_seed_trig},
    {"tfim_vqe", 16, -M_PI, M_PI, 0, -4.75, 20000, fo_fn_tfim_vqe},
};
const size_t fo_bench_suite_len = sizeof fo_bench_suite / sizeof fo_bench_suite[0];

const struct fo_bench_fn *fo_bench_find(const char *name) {
    for (size_t i = 0; i < fo_bench_suite_len; i++)
        if (name && strcmp(fo_bench_suite[i].name, name) == 0)
            return &fo_bench_suite[i];
    return NULL;
}
