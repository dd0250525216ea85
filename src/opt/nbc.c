/* nbc.c - nearest-better clustering; see nbc.h. */
#include "opt/nbc.h"
#include "opt/utility.h"

#include <math.h>
#include <stdint.h>

static double distance(size_t D, const double *a, const double *b, const double *scale) {
    double s = 0.0;
    for (size_t d = 0; d < D; d++) {
        double t = (a[d] - b[d]) / (scale ? scale[d] : 1.0);
        s += t * t;
    }
    return sqrt(s);
}

enum fo_status fo__nbc(size_t n, size_t D, const double *x, const double *fit,
                       const double *scale, double phi, size_t *seeds, size_t *n_seeds,
                       size_t *cluster, double *work, size_t *iwork,
                       struct fo_error *err) {
    if (n == 0)
        return fo_error_set(err, FO_EINVAL, "points",
                            "nearest-better clustering of none");
    double *len = work, *key = work + n;
    size_t *parent = iwork, *order = iwork + n;
    /* best first (ties by index), so every point's better ones come before it */
    for (size_t i = 0; i < n; i++) {
        key[i] = fit[i];
        order[i] = i;
    }
    fo__order_desc(key, order, n);
    double sum = 0.0;
    size_t edges = 0;
    for (size_t r = 0; r < n; r++) {
        size_t i = order[r];
        parent[i] = SIZE_MAX;
        len[i] = INFINITY;
        for (size_t q = 0; q < r; q++) { /* every better point */
            size_t j = order[q];
            double dist = distance(D, x + i * D, x + j * D, scale);
            if (dist < len[i]) {
                len[i] = dist;
                parent[i] = j;
            }
        }
        if (parent[i] != SIZE_MAX) {
            sum += len[i];
            edges++;
        }
    }
    const double cut = edges ? phi * sum / (double)edges : INFINITY;
    *n_seeds = 0;
    for (size_t r = 0; r < n; r++) { /* roots, best first: the seeds */
        size_t i = order[r];
        if (parent[i] == SIZE_MAX || len[i] > cut) {
            parent[i] = SIZE_MAX;
            seeds[(*n_seeds)++] = i;
        }
    }
    if (!cluster)
        return FO_OK;
    /* each point's seed: walk up to its root (parents come earlier in order,
     * so resolving in order finds every parent's cluster already set) */
    for (size_t s = 0; s < *n_seeds; s++)
        cluster[seeds[s]] = s;
    for (size_t r = 0; r < n; r++) {
        size_t i = order[r];
        if (parent[i] != SIZE_MAX)
            cluster[i] = cluster[parent[i]];
    }
    return FO_OK;
}
