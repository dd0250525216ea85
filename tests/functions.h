/*
 * functions.h - the benchmark suite of shared/bench/FUNCTIONS.md, in C,
 * exactly as specified there. Used by flowopt-bench and the tests.
 */
#ifndef FLOWOPT_TESTS_FUNCTIONS_H
#define FLOWOPT_TESTS_FUNCTIONS_H

#include <stddef.h>
#include <stdint.h>

struct fo_bench_fn {
    const char *name;
    size_t dim;
    double lo, hi;   /* the same domain for every coordinate */
    int maximize;    /* 1 for seed_trig */
    double success;  /* best value that counts as success */
    uint64_t budget; /* evaluations per run */
    double (*f)(const double *x, size_t dim);
};

extern const struct fo_bench_fn fo_bench_suite[];
extern const size_t fo_bench_suite_len;
/* The function called name, or NULL. */
const struct fo_bench_fn *fo_bench_find(const char *name);

/* himmelblau's four minima */
extern const double fo_himmelblau_minima[4][2];

double fo_fn_sphere(const double *x, size_t d);
double fo_fn_rosenbrock(const double *x, size_t d);
double fo_fn_rastrigin(const double *x, size_t d);
double fo_fn_ackley(const double *x, size_t d);
double fo_fn_styblinski_tang(const double *x, size_t d);
double fo_fn_himmelblau(const double *x, size_t d);
double fo_fn_seed_trig(const double *x, size_t d);
double fo_fn_tfim_vqe(const double *x, size_t d);

#endif
