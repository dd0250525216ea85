/*
 * utility.h - fitness shaping: measured values to utilities.
 *
 * fitness is "higher is better" (the engine negates values when
 * minimising). N = samples.
 *   rank           NES log-rank (Wierstra et al. 2014, eq. 11):
 *                  u_(i) = max(0, ln(N/2 + 1) - ln i) / sum_j max(0, ...) - 1/N
 *                  for the i-th best; sums to 0 and depends only on order.
 *   centered-rank  r / (N - 1) - 0.5 with r = 0 for the worst.
 *   zscore         (f - mean) / sd   (0 when sd = 0).
 *   raw            f - mean.
 * Tied values share the mean of their utilities, so a monotone transform
 * of the values never changes the result.
 */
#ifndef FLOWOPT_OPT_UTILITY_H
#define FLOWOPT_OPT_UTILITY_H

#include <stddef.h>
#include <flowopt/opt.h>

/*
 * Sort the n indices of order by key[index], largest first, equal keys in
 * ascending index (so the order is total and the same on every host).
 * Heapsort: O(n log n), no scratch, for a generation of 10 or of 5,000.
 */
void fo__order_desc(const double *key, size_t *order, size_t n);

/* u (N) from fitness (N); order is scratch of N indices. */
void fo_utilities(enum fo_utility kind, const double *fitness, size_t n, double *u,
                  size_t *order);

#endif
