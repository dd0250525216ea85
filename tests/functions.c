/* functions.c - the benchmark functions; see functions.h and FUNCTIONS.md. */
#include "functions.h"

#include <complex.h>
#include <math.h>
#include <stdlib.h>
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

int fo_himmelblau_which(const double *x) {
    for (int k = 0; k < 4; k++)
        if (hypot(x[0] - fo_himmelblau_minima[k][0], x[1] - fo_himmelblau_minima[k][1]) <
            0.01)
            return k;
    return -1;
}

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

static double uniform01(uint64_t *state);

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

/* The ansatz's statevector at theta (16 angles). */
static void tfim_state(const double *theta, double complex psi[16]) {
    memset(psi, 0, 16 * sizeof psi[0]);
    psi[0] = 1.0;
    for (int l = 0; l < 2; l++) {
        for (int q = 0; q < 4; q++)
            apply_ry(psi, q, theta[8 * l + q]);
        for (int q = 0; q < 4; q++)
            apply_rz(psi, q, theta[8 * l + 4 + q]);
        for (int q = 0; q < 3; q++)
            apply_cnot(psi, q, q + 1);
    }
}

double fo_fn_tfim_vqe(const double *theta, size_t d) {
    (void)d;
    double complex psi[16];
    tfim_state(theta, psi);
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

double fo_fn_tfim_vqe_shared(const double *theta, size_t d) {
    (void)d;
    double full[16];
    for (int i = 0; i < 16; i++)
        full[i] = theta[i % 8];
    return fo_fn_tfim_vqe(full, 16);
}

/* sum_q Z_q Z_q+1 of basis state b, and sum_q X_q's eigenvalue of the
 * X-basis outcome b (bit q set: -1) */
static double zz_of(int b) {
    double s = 0.0;
    for (int q = 0; q < 3; q++)
        s += (((b >> q) ^ (b >> (q + 1))) & 1) ? -1.0 : 1.0;
    return s;
}

static double x_of(int b) {
    double s = 0.0;
    for (int q = 0; q < 4; q++)
        s += (b >> q) & 1 ? -1.0 : 1.0;
    return s;
}

/* Outcome probabilities in the Z basis (pz) and, after a Hadamard on every
 * qubit, in the X basis (px). */
static void tfim_probabilities(const double *theta, double pz[16], double px[16]) {
    double complex psi[16];
    tfim_state(theta, psi);
    for (int b = 0; b < 16; b++)
        pz[b] = creal(psi[b] * conj(psi[b]));
    for (int q = 0; q < 4; q++) /* H on qubit q */
        for (int b = 0; b < 16; b++) {
            if (b & (1 << q))
                continue;
            double complex a0 = psi[b], a1 = psi[b | (1 << q)];
            psi[b] = (a0 + a1) * M_SQRT1_2;
            psi[b | (1 << q)] = (a0 - a1) * M_SQRT1_2;
        }
    for (int b = 0; b < 16; b++)
        px[b] = creal(psi[b] * conj(psi[b]));
}

/* Mean over `shots` outcomes drawn from p of obs(outcome). OUT: *var_mean,
 * that mean's variance as the outcomes estimate it. */
static double sample_mean(const double p[16], double (*obs)(int), unsigned shots,
                          uint64_t *state, double *var_mean) {
    double cdf[16], acc = 0.0, sum = 0.0, sq = 0.0;
    for (int b = 0; b < 16; b++)
        cdf[b] = acc += p[b];
    for (unsigned s = 0; s < shots; s++) {
        double u = uniform01(state) * acc;
        int b = 0;
        while (b < 15 && u >= cdf[b])
            b++;
        sum += obs(b);
        sq += obs(b) * obs(b);
    }
    double n = (double)shots, mean = sum / n;
    *var_mean = shots > 1 ? fmax(0.0, (sq - n * mean * mean) / (n - 1.0)) / n : 0.0;
    return mean;
}

double fo_fn_tfim_vqe_shots_se(const double *theta, unsigned shots, uint64_t *state,
                               double *se) {
    double pz[16], px[16], vz, vx;
    tfim_probabilities(theta, pz, px);
    double e = -sample_mean(pz, zz_of, shots, state, &vz) -
               sample_mean(px, x_of, shots, state, &vx);
    if (se)
        *se = sqrt(vz + vx);
    return e;
}

double fo_fn_tfim_vqe_shots(const double *theta, unsigned shots, uint64_t *state) {
    return fo_fn_tfim_vqe_shots_se(theta, shots, state, NULL);
}

void fo_tfim_vqe_shot_stats(const double *theta, unsigned shots, double *mean,
                            double *variance) {
    double pz[16], px[16], mz = 0.0, mx = 0.0, vz = 0.0, vx = 0.0;
    tfim_probabilities(theta, pz, px);
    for (int b = 0; b < 16; b++) {
        mz += pz[b] * zz_of(b);
        mx += px[b] * x_of(b);
    }
    for (int b = 0; b < 16; b++) {
        vz += pz[b] * (zz_of(b) - mz) * (zz_of(b) - mz);
        vx += px[b] * (x_of(b) - mx) * (x_of(b) - mx);
    }
    *mean = -mz - mx;
    *variance = (vz + vx) / (double)shots;
}

/* CEC 2013 niching F6 and F7 (Li, Engelbrecht and Epitropakis 2013), to be
 * maximised. */
double fo_fn_shubert(const double *x, size_t d) {
    double p = 1.0;
    for (size_t i = 0; i < d; i++) {
        double s = 0.0;
        for (int j = 1; j <= 5; j++)
            s += j * cos((j + 1) * x[i] + j);
        p *= s;
    }
    return -p;
}

double fo_fn_vincent(const double *x, size_t d) {
    double s = 0.0;
    for (size_t i = 0; i < d; i++)
        s += sin(10.0 * log(x[i]));
    return s / (double)d;
}

double fo_fn_ellipsoid(const double *x, size_t d) {
    double s = 0.0;
    for (size_t i = 0; i < d; i++)
        s += pow(10.0, 6.0 * (double)i / (double)(d > 1 ? d - 1 : 1)) * x[i] * x[i];
    return s;
}

#define SHIFT FO_BENCH_SHIFT
#define ROTATE (FO_BENCH_SHIFT | FO_BENCH_ROTATE)
#define EXTRA FO_BENCH_EXTRA
#define PERIODIC FO_BENCH_PERIODIC
#define NICHING (FO_BENCH_NICHING | FO_BENCH_EXTRA)

/* The optimum of sphere, rastrigin, ackley and the ellipsoid is the centre
 * of the box, where flowopt's first distribution is centred: each seed
 * shifts it (FUNCTIONS.md defines the ellipsoid unshifted; it is shifted
 * here for the same reason). */
const struct fo_bench_fn fo_bench_suite[] = {
    {"sphere", 10, -5.0, 5.0, 0, 1e-6, 20000, fo_fn_sphere, SHIFT, 0, 0},
    {"rosenbrock", 10, -5.0, 10.0, 0, 1e-2, 20000, fo_fn_rosenbrock, 0, 0, 0},
    {"rastrigin", 10, -5.12, 5.12, 0, 0.5, 20000, fo_fn_rastrigin, SHIFT, 0, 0},
    {"ackley", 10, -32.768, 32.768, 0, 1e-3, 20000, fo_fn_ackley, SHIFT, 0, 0},
    {"ellipsoid", 10, -5.0, 5.0, 0, 1e-6, 20000, fo_fn_ellipsoid, ROTATE, 0, 0},
    {"styblinski_tang", 10, -5.0, 5.0, 0, -391.56, 20000, fo_fn_styblinski_tang, 0, 0, 0},
    {"himmelblau", 2, -5.0, 5.0, 0, 1e-3, 2000, fo_fn_himmelblau, 0, 0, 0},
    {"seed_trig", 10, -M_PI, M_PI, 1, 1.0 - 1e-3, 20000, fo_fn_seed_trig, 0, 0, 0},
    {"tfim_vqe", 16, -M_PI, M_PI, 0, -4.75, 20000, fo_fn_tfim_vqe, 0, 0, 0},
    /* the mission's angles as a driver should declare them (period 2 pi
     * = hi - lo; seed_trig's is even pi) */
    {"seed_trig_periodic", 10, -M_PI, M_PI, 1, 1.0 - 1e-3, 20000, fo_fn_seed_trig,
     PERIODIC, 0, 0},
    {"tfim_vqe_periodic", 16, -M_PI, M_PI, 0, -4.75, 20000, fo_fn_tfim_vqe, PERIODIC, 0,
     0},
    {"sphere_40", 40, -5.0, 5.0, 0, 1e-6, 80000, fo_fn_sphere, SHIFT | EXTRA, 0, 0},
    {"ellipsoid_40", 40, -5.0, 5.0, 0, 1e-6, 80000, fo_fn_ellipsoid, ROTATE | EXTRA, 0,
     0},
    {"sphere_100", 100, -5.0, 5.0, 0, 1e-6, 200000, fo_fn_sphere, SHIFT | EXTRA, 0, 0},
    {"ellipsoid_100", 100, -5.0, 5.0, 0, 1e-6, 200000, fo_fn_ellipsoid, ROTATE | EXTRA, 0,
     0},
    /* tfim_vqe as a device measures it, S shots per basis (issue 11) */
    {"tfim_vqe_shots4000", 16, -M_PI, M_PI, 0, -4.75, 20000, fo_fn_tfim_vqe,
     PERIODIC | EXTRA, 4000, 0},
    {"tfim_vqe_shots1000", 16, -M_PI, M_PI, 0, -4.75, 20000, fo_fn_tfim_vqe,
     PERIODIC | EXTRA, 1000, 0},
    /* the circuit functions with their structure declared to flowopt (the
     * reference optimizer sees the same function without it), and one that
     * breaks it (issue 11) */
    {"tfim_vqe_structure", 16, -M_PI, M_PI, 0, -4.75, 20000, fo_fn_tfim_vqe, PERIODIC, 0,
     1},
    {"seed_trig_structure", 10, -M_PI, M_PI, 1, 1.0 - 1e-3, 20000, fo_fn_seed_trig,
     PERIODIC, 0, 2},
    {"tfim_vqe_shared", 8, -M_PI, M_PI, 0, -4.36, 20000, fo_fn_tfim_vqe_shared,
     PERIODIC | EXTRA, 0, 0},
    /* CEC 2013 niching F6 and F7 at their budgets (issue 11): success is any
     * global optimum within 1e-3; the peak ratio counts them */
    {"cec_f6_shubert", 2, -10.0, 10.0, 1, 186.7309088 - 1e-3, 200000, fo_fn_shubert,
     NICHING, 0, 0},
    {"cec_f7_vincent", 2, 0.25, 10.0, 1, 1.0 - 1e-3, 200000, fo_fn_vincent, NICHING, 0,
     0},
    {"tfim_vqe_shared_structure", 8, -M_PI, M_PI, 0, -4.36, 20000, fo_fn_tfim_vqe_shared,
     PERIODIC | EXTRA, 0, 1},
};
const size_t fo_bench_suite_len = sizeof fo_bench_suite / sizeof fo_bench_suite[0];

const struct fo_bench_fn *fo_bench_find(const char *name) {
    for (size_t i = 0; i < fo_bench_suite_len; i++)
        if (name && strcmp(fo_bench_suite[i].name, name) == 0)
            return &fo_bench_suite[i];
    return NULL;
}

/* ---- problems: a function as a seed poses it ------------------------------ */

static uint64_t splitmix(uint64_t *state) {
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double uniform01(uint64_t *state) {
    return (double)(splitmix(state) >> 11) * 0x1.0p-53;
}

static double normal(uint64_t *state) {
    double u = uniform01(state), v = uniform01(state);
    return sqrt(-2.0 * log(u > 0.0 ? u : 0x1.0p-53)) * cos(2.0 * M_PI * v);
}

/* A random rotation: Gram-Schmidt on the rows of a Gaussian matrix. */
static void random_rotation(double *r, size_t D, uint64_t *state) {
    for (size_t i = 0; i < D * D; i++)
        r[i] = normal(state);
    for (size_t i = 0; i < D; i++) {
        double *ri = r + i * D;
        for (size_t j = 0; j < i; j++) {
            const double *rj = r + j * D;
            double dot = 0.0;
            for (size_t k = 0; k < D; k++)
                dot += ri[k] * rj[k];
            for (size_t k = 0; k < D; k++)
                ri[k] -= dot * rj[k];
        }
        double n = 0.0;
        for (size_t k = 0; k < D; k++)
            n += ri[k] * ri[k];
        n = sqrt(n);
        for (size_t k = 0; k < D; k++)
            ri[k] /= n;
    }
}

int fo_bench_problem_init(struct fo_bench_problem *p, const struct fo_bench_fn *fn,
                          uint64_t seed) {
    const size_t D = fn->dim;
    memset(p, 0, sizeof *p);
    p->fn = fn;
    uint64_t state = seed ^ 0x5348494654535545ULL; /* "SHIFTSUE" */
    p->noise = seed ^ 0x53484f54534e4f49ULL;       /* "SHOTSNOI" */
    p->work = malloc(2 * D * sizeof(double));
    if (fn->transform & FO_BENCH_SHIFT) {
        p->shift = malloc(D * sizeof(double));
        for (size_t d = 0; p->shift && d < D; d++)
            p->shift[d] = 0.8 * fn->lo + 0.8 * (fn->hi - fn->lo) * uniform01(&state);
    }
    if (fn->transform & FO_BENCH_ROTATE) {
        p->rot = malloc(D * D * sizeof(double));
        if (p->rot)
            random_rotation(p->rot, D, &state);
    }
    if (!p->work || ((fn->transform & FO_BENCH_SHIFT) && !p->shift) ||
        ((fn->transform & FO_BENCH_ROTATE) && !p->rot)) {
        fo_bench_problem_free(p);
        return -1;
    }
    return 0;
}

static double posed(struct fo_bench_problem *p, const double *x, int exact, double *se) {
    const size_t D = p->fn->dim;
    const double *y = x;
    if (p->shift) {
        for (size_t d = 0; d < D; d++)
            p->work[d] = x[d] - p->shift[d];
        y = p->work;
    }
    if (p->rot) {
        double *z = p->work + D;
        for (size_t i = 0; i < D; i++) {
            double acc = 0.0;
            for (size_t k = 0; k < D; k++)
                acc += p->rot[i * D + k] * y[k];
            z[i] = acc;
        }
        y = z;
    }
    if (se)
        *se = NAN;
    if (p->fn->shots && !exact)
        return fo_fn_tfim_vqe_shots_se(y, p->fn->shots, &p->noise, se);
    return p->fn->f(y, D);
}

double fo_bench_problem_eval(struct fo_bench_problem *p, const double *x) {
    return posed(p, x, 0, NULL);
}

double fo_bench_problem_eval_se(struct fo_bench_problem *p, const double *x, double *se) {
    return posed(p, x, 0, se);
}

double fo_bench_problem_exact(struct fo_bench_problem *p, const double *x) {
    return posed(p, x, 1, NULL);
}

void fo_bench_problem_free(struct fo_bench_problem *p) {
    free(p->shift);
    free(p->rot);
    free(p->work);
    memset(p, 0, sizeof *p);
}

void *fo_bench_open(const char *name, uint64_t seed) {
    const struct fo_bench_fn *fn = fo_bench_find(name);
    struct fo_bench_problem *p = fn ? malloc(sizeof *p) : NULL;
    if (p && fo_bench_problem_init(p, fn, seed) != 0) {
        free(p);
        p = NULL;
    }
    return p;
}

double fo_bench_value(void *problem, const double *x) {
    return fo_bench_problem_eval(problem, x);
}

double fo_bench_exact(void *problem, const double *x) {
    return fo_bench_problem_exact(problem, x);
}

int fo_bench_niche(const char *name, double *best, int *n_optima, double *radius) {
    static const struct {
        const char *name;
        double best;
        int n;
        double radius;
    } niches[] = {{"cec_f6_shubert", 186.7309088, 18, 0.5},
                  {"cec_f7_vincent", 1.0, 36, 0.2}};
    for (size_t i = 0; i < sizeof niches / sizeof niches[0]; i++)
        if (name && strcmp(name, niches[i].name) == 0) {
            *best = niches[i].best;
            *n_optima = niches[i].n;
            *radius = niches[i].radius;
            return 0;
        }
    return -1;
}

unsigned fo_bench_shots(const char *name) {
    const struct fo_bench_fn *fn = fo_bench_find(name);
    return fn ? fn->shots : 0;
}

void fo_bench_close(void *problem) {
    if (problem)
        fo_bench_problem_free(problem);
    free(problem);
}

int fo_bench_info(const char *name, size_t *dim, double *lo, double *hi, int *maximize,
                  double *success, uint64_t *budget) {
    const struct fo_bench_fn *fn = fo_bench_find(name);
    if (!fn)
        return -1;
    *dim = fn->dim;
    *lo = fn->lo;
    *hi = fn->hi;
    *maximize = fn->maximize;
    *success = fn->success;
    *budget = fn->budget;
    return 0;
}

int fo_bench_periodic(const char *name) {
    const struct fo_bench_fn *fn = fo_bench_find(name);
    return fn && (fn->transform & FO_BENCH_PERIODIC) ? 1 : 0;
}
