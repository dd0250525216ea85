/*
 * affine_ar.c - masked autoregressive affine layer (MAF, Papamakarios et
 * al. 2017, eq. 4 in the density direction):
 *   v_d = (u_d - mu_d(u_<d)) exp(-alpha_d(u_<d)),  ld = -sum_d alpha_d
 * with alpha = c tanh(a / c), c = FO_AFFINE_AR_LOG_SCALE_MAX, so one layer
 * changes a scale by at most e^c and exp() never overflows.
 *
 * Cache (block layout): acts (N, act_size), raw (N, 2D) as (mu_d, a_d) pairs.
 */
#include "flow/layer.h"

#include <math.h>
#include <string.h>

#define FO_AFFINE_AR_LOG_SCALE_MAX 10.0

static void forward(const struct fo_layer *l, const double *params, size_t n,
                    const double *u, double *v, double *ld, double *cache, double *work) {
    (void)work;
    const size_t D = l->dim, O = l->made.n_out;
    double *acts = cache, *raw = cache + n * l->made.act_size;
    fo_made_forward(raw, acts, u, params, &l->made, n, 0, O);
    for (size_t i = 0; i < n; i++) {
        for (size_t d = 0; d < D; d++) {
            const double *r = raw + i * O + 2 * d;
            double alpha = fo__softclip(r[1], FO_AFFINE_AR_LOG_SCALE_MAX, NULL);
            v[i * D + d] = (u[i * D + d] - r[0]) * exp(-alpha);
            ld[i] -= alpha;
        }
    }
}

static void inverse(const struct fo_layer *l, const double *params, size_t n,
                    const double *v, double *u, double *work) {
    const size_t D = l->dim, O = l->made.n_out;
    double *acts = work, *raw = work + n * l->made.act_size;
    memset(u, 0, n * D * sizeof *u);
    for (size_t d = 0; d < D; d++) {
        fo_made_forward_degree(raw, acts, u, params, &l->made, n, d, 2 * d, 2 * d + 2);
        for (size_t i = 0; i < n; i++) {
            const double *r = raw + i * O + 2 * d;
            double alpha = fo__softclip(r[1], FO_AFFINE_AR_LOG_SCALE_MAX, NULL);
            u[i * D + d] = v[i * D + d] * exp(alpha) + r[0];
        }
    }
}

static void backward(const struct fo_layer *l, const double *params, double *d_params,
                     size_t n, const double *u, const double *cache, const double *d_v,
                     const double *g_ld, double *d_u, double *work) {
    const size_t D = l->dim, O = l->made.n_out;
    const double *acts = cache, *raw = cache + n * l->made.act_size;
    double *d_raw = work, *scratch = work + n * O;
    for (size_t i = 0; i < n; i++) {
        for (size_t d = 0; d < D; d++) {
            const double *r = raw + i * O + 2 * d;
            double th;
            double alpha = fo__softclip(r[1], FO_AFFINE_AR_LOG_SCALE_MAX, &th);
            double e = exp(-alpha);
            double vv = (u[i * D + d] - r[0]) * e;
            double g = d_v[i * D + d];
            d_u[i * D + d] = g * e;
            d_raw[i * O + 2 * d] = -g * e;
            d_raw[i * O + 2 * d + 1] = (-g * vv - g_ld[i]) * (1.0 - th * th);
        }
    }
    fo_made_backward(d_u, d_params, d_raw, u, acts, params, &l->made, n, scratch);
}

static void init_params(const struct fo_layer *l, double *params, struct fo_rng *rng) {
    fo_made_init_params(&l->made, params, rng);
}

const struct fo_layer_ops fo__affine_ar_ops = {forward, inverse, backward, init_params,
                                               NULL};
