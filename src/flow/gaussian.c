/*
 * gaussian.c - affine layers without a conditioner: with rank utilities
 * they make the flow a natural-evolution-strategies search distribution.
 *
 * diagonal:  params mu (D), a (D);  v = (u - mu) exp(-s),  s = c tanh(a / c)
 *            ld = -sum s
 * full:      params mu (D), then the lower triangle of L row by row
 *            (row i holds L_i0 .. L_ii; the diagonal entry is a log-scale
 *            a_ii with L_ii = exp(c tanh(a_ii / c)));  u = mu + L v, so
 *            v = L^-1 (u - mu) by forward substitution, ld = -sum log L_ii.
 * c = FO_GAUSSIAN_LOG_SCALE_MAX is wide on purpose: a search distribution
 * must be able to narrow by many orders of magnitude to reach 1e-6
 * precision; the tanh only keeps exp() finite.
 */
#include "flow/layer.h"

#include <math.h>
#include <string.h>

#define FO_GAUSSIAN_LOG_SCALE_MAX 40.0

static void diag_forward(const struct fo_layer *l, const double *params, size_t n,
                         const double *u, double *v, double *ld, double *cache,
                         double *work) {
    (void)cache;
    (void)work;
    const size_t D = l->dim;
    const double *mu = params, *a = params + D;
    for (size_t i = 0; i < n; i++) {
        for (size_t d = 0; d < D; d++) {
            double s = fo__softclip(a[d], FO_GAUSSIAN_LOG_SCALE_MAX, NULL);
            v[i * D + d] = (u[i * D + d] - mu[d]) * exp(-s);
            ld[i] -= s;
        }
    }
}

static void diag_inverse(const struct fo_layer *l, const double *params, size_t n,
                         const double *v, double *u, double *work) {
    (void)work;
    const size_t D = l->dim;
    const double *mu = params, *a = params + D;
    for (size_t i = 0; i < n; i++)
        for (size_t d = 0; d < D; d++)
            u[i * D + d] =
                v[i * D + d] * exp(fo__softclip(a[d], FO_GAUSSIAN_LOG_SCALE_MAX, NULL)) +
                mu[d];
}

static void diag_backward(const struct fo_layer *l, const double *params,
                          double *d_params, size_t n, const double *u,
                          const double *cache, const double *d_v, const double *g_ld,
                          double *d_u, double *work) {
    (void)cache;
    (void)work;
    const size_t D = l->dim;
    const double *mu = params, *a = params + D;
    double *d_mu = d_params, *d_a = d_params + D;
    for (size_t d = 0; d < D; d++) {
        double th;
        double s = fo__softclip(a[d], FO_GAUSSIAN_LOG_SCALE_MAX, &th);
        double e = exp(-s);
        for (size_t i = 0; i < n; i++) {
            double g = d_v[i * D + d];
            double vv = (u[i * D + d] - mu[d]) * e;
            d_u[i * D + d] = g * e;
            d_mu[d] -= g * e;
            d_a[d] += (-g * vv - g_ld[i]) * (1.0 - th * th);
        }
    }
}

static void zero_params(const struct fo_layer *l, double *params, struct fo_rng *rng) {
    (void)rng;
    memset(params, 0, l->n_params * sizeof *params);
}

const struct fo_layer_ops fo__gaussian_diag_ops = {diag_forward, diag_inverse,
                                                   diag_backward, zero_params};

/* Offset of L_ij (j <= i) after the D means. */
static size_t tri(size_t D, size_t i, size_t j) {
    return D + i * (i + 1) / 2 + j;
}

static double diag_entry(const double *params, size_t D, size_t i, double *th) {
    return exp(fo__softclip(params[tri(D, i, i)], FO_GAUSSIAN_LOG_SCALE_MAX, th));
}

static void full_forward(const struct fo_layer *l, const double *params, size_t n,
                         const double *u, double *v, double *ld, double *cache,
                         double *work) {
    (void)cache;
    (void)work;
    const size_t D = l->dim;
    double logdet = 0.0;
    for (size_t r = 0; r < D; r++)
        logdet += fo__softclip(params[tri(D, r, r)], FO_GAUSSIAN_LOG_SCALE_MAX, NULL);
    for (size_t i = 0; i < n; i++) {
        const double *x = u + i * D;
        double *y = v + i * D;
        for (size_t r = 0; r < D; r++) {
            double acc = x[r] - params[r];
            for (size_t c = 0; c < r; c++)
                acc -= params[tri(D, r, c)] * y[c];
            y[r] = acc / diag_entry(params, D, r, NULL);
        }
        ld[i] -= logdet;
    }
}

static void full_inverse(const struct fo_layer *l, const double *params, size_t n,
                         const double *v, double *u, double *work) {
    (void)work;
    const size_t D = l->dim;
    for (size_t i = 0; i < n; i++) {
        const double *y = v + i * D;
        double *x = u + i * D;
        for (size_t r = 0; r < D; r++) {
            double acc = params[r] + diag_entry(params, D, r, NULL) * y[r];
            for (size_t c = 0; c < r; c++)
                acc += params[tri(D, r, c)] * y[c];
            x[r] = acc;
        }
    }
}

/*
 * With r = u - mu and v = L^-1 r: g_r = L^-T g_v (back substitution),
 * d_u = g_r, d_mu = -g_r, d_L = -g_r v^T (lower triangle), and the
 * diagonal's log-scale also carries the -sum log L_ii term.
 */
static void full_backward(const struct fo_layer *l, const double *params,
                          double *d_params, size_t n, const double *u,
                          const double *cache, const double *d_v, const double *g_ld,
                          double *d_u, double *work) {
    (void)cache;
    const size_t D = l->dim;
    double *vv = work;
    for (size_t i = 0; i < n; i++) {
        double ld_dummy = 0.0;
        full_forward(l, params, 1, u + i * D, vv, &ld_dummy, NULL, NULL);
        double *gr = d_u + i * D;
        for (size_t r = D; r-- > 0;) {
            double acc = d_v[i * D + r];
            for (size_t k = r + 1; k < D; k++)
                acc -= params[tri(D, k, r)] * gr[k];
            gr[r] = acc / diag_entry(params, D, r, NULL);
        }
        for (size_t r = 0; r < D; r++) {
            d_params[r] -= gr[r];
            for (size_t c = 0; c < r; c++)
                d_params[tri(D, r, c)] -= gr[r] * vv[c];
            double th;
            double Lrr = diag_entry(params, D, r, &th);
            d_params[tri(D, r, r)] += (-gr[r] * vv[r] * Lrr - g_ld[i]) * (1.0 - th * th);
        }
    }
}

const struct fo_layer_ops fo__gaussian_full_ops = {full_forward, full_inverse,
                                                   full_backward, zero_params};
