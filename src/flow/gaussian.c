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

/*
 * Diagonal: with sigma_d = exp(s_d), the shift is measured in sigma_d
 * (mu = mu0 + sigma_d m, KL of a step = |dm|^2 / 2), the log-scale is
 * already unitless. P is diagonal, so P^T = P.
 */
static void diag_precondition(const struct fo_layer *l, const double *params, double *v,
                              int transpose) {
    (void)transpose;
    const size_t D = l->dim;
    for (size_t d = 0; d < D; d++)
        v[d] *= exp(fo__softclip(params[D + d], FO_GAUSSIAN_LOG_SCALE_MAX, NULL));
}

const struct fo_layer_ops fo__gaussian_diag_ops = {
    diag_forward, diag_inverse, diag_backward, zero_params, diag_precondition};

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

/*
 * Full: steps are taken relative to the current factor L,
 *   mu = mu0 + L dm,   L = L0 + L0 dA   (dA lower triangular),
 * so a step changes the distribution by KL ~ (|dm|^2 + |dA|_F^2 + ...) / 2
 * at any width and correlation. The diagonal is stored as log-scales a_rr
 * with L_rr = exp(c tanh(a_rr / c)), dL_rr / da_rr = J_r = L_rr (1 - th^2).
 *   P^T g:  g_m = L^T g_mu,  g_A = lower(L^T G_L)  with G_L,rr = g_a,rr / J_r
 *   P d:    d_mu = L d_m,    D_L = L d_A,  and d_a,rr = D_L,rr / J_r
 * The work vector holds one row of L at a time.
 */
static void full_precondition(const struct fo_layer *l, const double *params, double *v,
                              int transpose) {
    const size_t D = l->dim;
    double J[FO_FLOW_MAX_DIM];
    for (size_t r = 0; r < D; r++) {
        double th;
        double Lrr = diag_entry(params, D, r, &th);
        J[r] = Lrr * (1.0 - th * th);
    }
#define LV(r, c) ((r) == (c) ? diag_entry(params, D, r, NULL) : params[tri(D, r, c)])
    double tmp[FO_FLOW_MAX_DIM] = {0};
    /* the shift block: v_mu <- L^T v_mu (transpose) or L v_mu */
    for (size_t r = 0; r < D; r++) {
        double acc = 0.0;
        if (transpose)
            for (size_t k = r; k < D; k++)
                acc += LV(k, r) * v[k];
        else
            for (size_t k = 0; k <= r; k++)
                acc += LV(r, k) * v[k];
        tmp[r] = acc;
    }
    memcpy(v, tmp, D * sizeof(double));
    /* the factor block, column by column: (L^T G)_rc = sum_k L_kr G_kc over k >= r;
     * (L dA)_rc = sum_k L_rk dA_kc over c <= k <= r */
    if (transpose)
        for (size_t r = 0; r < D; r++)
            v[tri(D, r, r)] /= J[r];
    for (size_t c = 0; c < D; c++) {
        for (size_t r = c; r < D; r++) {
            double acc = 0.0;
            if (transpose)
                for (size_t k = r; k < D; k++)
                    acc += LV(k, r) * v[tri(D, k, c)];
            else
                for (size_t k = c; k <= r; k++)
                    acc += LV(r, k) * v[tri(D, k, c)];
            tmp[r] = acc;
        }
        for (size_t r = c; r < D; r++)
            v[tri(D, r, c)] = tmp[r];
    }
    if (!transpose)
        for (size_t r = 0; r < D; r++)
            v[tri(D, r, r)] /= J[r];
#undef LV
}

const struct fo_layer_ops fo__gaussian_full_ops = {
    full_forward, full_inverse, full_backward, zero_params, full_precondition};

void fo__gaussian_full_get(const double *params, size_t D, double *mu, double *L) {
    memcpy(mu, params, D * sizeof(double));
    for (size_t r = 0; r < D; r++)
        for (size_t c = 0; c < D; c++)
            L[r * D + c] = c > r    ? 0.0
                           : c == r ? diag_entry(params, D, r, NULL)
                                    : params[tri(D, r, c)];
}

int fo__gaussian_full_set(double *params, size_t D, const double *mu, const double *L) {
    const double c = FO_GAUSSIAN_LOG_SCALE_MAX;
    for (size_t r = 0; r < D; r++) {
        double ld = log(L[r * D + r]);
        if (!(fabs(ld) < c * 0.999999))
            return -1;
    }
    memcpy(params, mu, D * sizeof(double));
    for (size_t r = 0; r < D; r++)
        for (size_t k = 0; k <= r; k++)
            params[tri(D, r, k)] =
                k == r ? c * atanh(log(L[r * D + r]) / c) : L[r * D + k];
    return 0;
}
