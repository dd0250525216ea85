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

/* Insertion sort of indices by descending fitness (N is a batch: small). */
static void sort_desc(const double *f, size_t n, size_t *order) {
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    for (size_t i = 1; i < n; i++) {
        size_t v = order[i], j = i;
        while (j > 0 && f[order[j - 1]] < f[v]) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = v;
    }
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
