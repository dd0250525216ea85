/* utility.c - see utility.h. */
#include "opt/utility.h"

#include <math.h>
#include <string.h>

const char *const fo_utility_names[FO_N_UTILITIES] = {"rank", "centered-rank", "zscore",
                                                      "raw"};

const char *fo_utility_name(enum fo_utility u) {
    return (unsigned)u < FO_N_UTILITIES ? fo_utility_names[u] : "unknown";
}

int fo_utility_parse(const char *name, enum fo_utility *out) {
    for (int i = 0; i < FO_N_UTILITIES; i++)
        if (name && strcmp(name, fo_utility_names[i]) == 0) {
            *out = (enum fo_utility)i;
            return 0;
        }
    return -1;
}

/* 1 when index a goes after index b in fo__order_desc's order. */
static int after(const double *key, size_t a, size_t b) {
    double ka = key[a], kb = key[b];
    return ka < kb || (ka == kb && a > b);
}

/* Sift order[root] down the heap of order[0, n) (its last-placed at the top). */
static void sift(const double *key, size_t *order, size_t root, size_t n) {
    for (;;) {
        size_t child = 2 * root + 1;
        if (child >= n)
            return;
        if (child + 1 < n && after(key, order[child + 1], order[child]))
            child++;
        if (!after(key, order[child], order[root]))
            return;
        size_t t = order[root];
        order[root] = order[child];
        order[child] = t;
        root = child;
    }
}

void fo__order_desc(const double *key, size_t *order, size_t n) {
    for (size_t i = n / 2; i-- > 0;)
        sift(key, order, i, n);
    for (size_t end = n; end > 1; end--) { /* the last in order goes to the end */
        size_t t = order[0];
        order[0] = order[end - 1];
        order[end - 1] = t;
        sift(key, order, 0, end - 1);
    }
}

static void sort_desc(const double *f, size_t n, size_t *order) {
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    fo__order_desc(f, order, n);
}

/* Utility of the position-th best (position from 1) for rank kinds. */
static double rank_value(enum fo_utility kind, size_t position, size_t n, double norm) {
    if (kind == FO_UTILITY_CENTERED_RANK)
        return n > 1 ? (double)(n - position) / (double)(n - 1) - 0.5 : 0.0;
    double a = log((double)n / 2.0 + 1.0) - log((double)position);
    return (a > 0.0 ? a : 0.0) / norm - 1.0 / (double)n;
}

static void rank_utilities(enum fo_utility kind, const double *f, size_t n, double *u,
                           size_t *order) {
    sort_desc(f, n, order);
    double norm = 0.0;
    for (size_t j = 1; j <= n; j++) {
        double a = log((double)n / 2.0 + 1.0) - log((double)j);
        norm += a > 0.0 ? a : 0.0;
    }
    for (size_t i = 0; i < n;) {
        size_t k = i; /* [i, k) is a run of equal values */
        while (k < n && f[order[k]] == f[order[i]])
            k++;
        double mean = 0.0;
        for (size_t j = i; j < k; j++)
            mean += rank_value(kind, j + 1, n, norm);
        mean /= (double)(k - i);
        for (size_t j = i; j < k; j++)
            u[order[j]] = mean;
        i = k;
    }
}

void fo_utilities(enum fo_utility kind, const double *f, size_t n, double *u,
                  size_t *order) {
    if (n == 0)
        return;
    if (kind == FO_UTILITY_RANK || kind == FO_UTILITY_CENTERED_RANK) {
        rank_utilities(kind, f, n, u, order);
        return;
    }
    double mean = 0.0, var = 0.0;
    for (size_t i = 0; i < n; i++)
        mean += f[i];
    mean /= (double)n;
    for (size_t i = 0; i < n; i++)
        var += (f[i] - mean) * (f[i] - mean);
    double sd = n > 1 ? sqrt(var / (double)(n - 1)) : 0.0;
    for (size_t i = 0; i < n; i++) {
        if (kind == FO_UTILITY_RAW)
            u[i] = f[i] - mean;
        else
            u[i] = sd > 0.0 ? (f[i] - mean) / sd : 0.0;
    }
}
