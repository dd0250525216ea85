/*
 * functions.h - the benchmark suite of shared/bench/FUNCTIONS.md, in C,
 * exactly as specified there. Used by flowopt-bench and the tests.
 */
#ifndef FLOWOPT_TESTS_FUNCTIONS_H
#define FLOWOPT_TESTS_FUNCTIONS_H

#include <stddef.h>
#include <stdint.h>

/* How a seed poses a function (FUNCTIONS.md, "How the suite is run"). */
enum fo_bench_transform {
    FO_BENCH_SHIFT = 1 << 0,    /* f(x - s), s uniform in the inner 80 % of the box */
    FO_BENCH_ROTATE = 1 << 1,   /* f(R (x - s)), R a random rotation */
    FO_BENCH_EXTRA = 1 << 2,    /* run only when named (large D: slow) */
    FO_BENCH_PERIODIC = 1 << 3, /* every coordinate declared periodic on [lo, hi) */
    FO_BENCH_NICHING = 1 << 4   /* run the whole budget; judged by the peak ratio of
                                   the run's modes (fo_bench_niche) */
};

struct fo_bench_fn {
    const char *name;
    size_t dim;
    double lo, hi;   /* the same domain for every coordinate */
    int maximize;    /* 1 for seed_trig */
    double success;  /* best value that counts as success */
    uint64_t budget; /* evaluations per run */
    double (*f)(const double *x, size_t dim);
    unsigned transform; /* enum fo_bench_transform */
    unsigned shots;     /* > 0: a shot-noise estimate (tfim_vqe_shots), judged
                           by the noise-free value */
    unsigned structure; /* > 0: flowopt declares structure pauli-rotations with
                           this frequency for every coordinate */
};

/*
 * One function as one seed poses it: its shift and rotation are drawn from
 * the seed by a generator of this file's own (splitmix64), so every
 * optimizer, in C or through libfobench.so, meets the same problem.
 */
struct fo_bench_problem {
    const struct fo_bench_fn *fn;
    double *shift;  /* (D), or NULL */
    double *rot;    /* (D, D) row-major, or NULL */
    double *work;   /* (2 D) */
    uint64_t noise; /* the shot noise's generator state */
};
/* Returns 0, or -1 when out of memory. */
int fo_bench_problem_init(struct fo_bench_problem *p, const struct fo_bench_fn *fn,
                          uint64_t seed);
double fo_bench_problem_eval(struct fo_bench_problem *p, const double *x);
/* eval, and the value's standard error as a driver would estimate it (NaN
 * for a function without shots). */
double fo_bench_problem_eval_se(struct fo_bench_problem *p, const double *x, double *se);
/* The noise-free value (the same as eval for a function without shots). */
double fo_bench_problem_exact(struct fo_bench_problem *p, const double *x);
void fo_bench_problem_free(struct fo_bench_problem *p);

/* The same for ctypes (tools/bench_compare.py): a handle, NULL when the
 * name is unknown. fo_bench_info returns -1 for an unknown name. */
void *fo_bench_open(const char *name, uint64_t seed);
double fo_bench_value(void *problem, const double *x);
double fo_bench_exact(void *problem, const double *x);
void fo_bench_close(void *problem);
int fo_bench_info(const char *name, size_t *dim, double *lo, double *hi, int *maximize,
                  double *success, uint64_t *budget);
/* A niching function's global value, count of global optima and niche
 * radius (CEC 2013's), for the peak ratio; -1 when name is not one. */
int fo_bench_niche(const char *name, double *best, int *n_optima, double *radius);

/* 1 when the suite declares name's coordinates periodic on [lo, hi). */
int fo_bench_periodic(const char *name);
/* Shots per basis of a shot-noise function; 0 for an exact (or unknown) one. */
unsigned fo_bench_shots(const char *name);

extern const struct fo_bench_fn fo_bench_suite[];
extern const size_t fo_bench_suite_len;
/* The function called name, or NULL. */
const struct fo_bench_fn *fo_bench_find(const char *name);

/* himmelblau's four minima */
extern const double fo_himmelblau_minima[4][2];
/* Which of them x (2) lies within 0.01 of, or -1. */
int fo_himmelblau_which(const double *x);

double fo_fn_sphere(const double *x, size_t d);
double fo_fn_rosenbrock(const double *x, size_t d);
double fo_fn_rastrigin(const double *x, size_t d);
double fo_fn_ackley(const double *x, size_t d);
double fo_fn_styblinski_tang(const double *x, size_t d);
double fo_fn_himmelblau(const double *x, size_t d);
double fo_fn_seed_trig(const double *x, size_t d);
double fo_fn_tfim_vqe(const double *x, size_t d);
/* tfim_vqe with its 8 angles shared by both layers (theta_i = theta_i+8):
 * along an angle the energy is no longer one sinusoid of frequency 1 */
double fo_fn_tfim_vqe_shared(const double *x, size_t d);
/* sum_i 10^(6 i / (D - 1)) x_i^2: condition 1e6 (rotated by the problem) */
double fo_fn_ellipsoid(const double *x, size_t d);

/* tfim_vqe measured as a device would: `shots` outcomes in the Z basis for
 * the ZZ terms and `shots` in the X basis for the X terms, drawn from the
 * statevector's probabilities with the generator state (splitmix64). */
double fo_fn_tfim_vqe_shots(const double *theta, unsigned shots, uint64_t *state);
/* The same; OUT: *se, its standard error as the outcomes estimate it (what a
 * device driver would tell). */
double fo_fn_tfim_vqe_shots_se(const double *theta, unsigned shots, uint64_t *state,
                               double *se);
/* That estimator's exact mean (tfim_vqe's energy) and variance. */
void fo_tfim_vqe_shot_stats(const double *theta, unsigned shots, double *mean,
                            double *variance);

/* CEC 2013 niching functions, maximised: F6 Shubert (2-D: 18 global
 * optima of 186.7309 on [-10, 10]^2) and F7 Vincent (2-D: 36 of 1 on
 * [0.25, 10]^2, where 10 ln x_i = pi / 2 + 2 pi k). */
double fo_fn_shubert(const double *x, size_t d);
double fo_fn_vincent(const double *x, size_t d);

#endif
