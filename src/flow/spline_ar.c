/*
 * spline_ar.c - autoregressive rational-quadratic spline layer in the
 * density (MAF) direction: v_d = g(u_d; theta_d(u_<d)), theta from one MADE
 * pass, so log p and its gradient at a fixed x take one network pass;
 * sampling takes D passes.
 *
 * pyro's SplineAutoregressive is the same family run the other way: one
 * pass to sample, D passes for the density. flowopt evaluates the score at
 * the stored x exactly, so the density direction is the one that must be
 * cheap and exact.
 *
 * Cache (block layout): acts (N, act_size), raw (N, O) with O = D (3K - 1).
 */
#include "flow/layer.h"
#include "flow/rqspline.h"

#include <string.h>

static void forward(const struct fo_layer *l, const double *params, size_t n,
                    const double *u, double *v, double *ld, double *cache, double *work) {
    (void)work;
    const size_t D = l->dim, O = l->made.n_out, P = l->per_dim;
    double *acts = cache, *raw = cache + n * l->made.act_size;
    fo_made_forward(raw, acts, u, params, &l->made, n, 0, O);
    for (size_t i = 0; i < n; i++) {
        for (size_t d = 0; d < D; d++) {
            double lds;
            fo_rqs_eval(raw + i * O + d * P, l->bins, l->bound, l->scale, u[i * D + d],
                        &v[i * D + d], &lds);
            ld[i] += lds;
        }
    }
}

static void inverse(const struct fo_layer *l, const double *params, size_t n,
                    const double *v, double *u, double *work) {
    const size_t D = l->dim, O = l->made.n_out, P = l->per_dim;
    double *acts = work, *raw = work + n * l->made.act_size;
    memset(u, 0, n * D * sizeof *u);
    /* Coordinate d depends on u_<d only: D passes, each fixing one more. */
    for (size_t d = 0; d < D; d++) {
        fo_made_forward_degree(raw, acts, u, params, &l->made, n, d, d * P, (d + 1) * P);
        for (size_t i = 0; i < n; i++) {
            u[i * D + d] = fo_rqs_solve(raw + i * O + d * P, l->bins, l->bound, l->scale,
                                        v[i * D + d]);
        }
    }
}

static void backward(const struct fo_layer *l, const double *params, double *d_params,
                     size_t n, const double *u, const double *cache, const double *d_v,
                     const double *g_ld, double *d_u, double *work) {
    const size_t D = l->dim, O = l->made.n_out, P = l->per_dim;
    const double *acts = cache, *raw = cache + n * l->made.act_size;
    double *d_raw = work, *scratch = work + n * O;
    memset(d_raw, 0, n * O * sizeof *d_raw);
    for (size_t i = 0; i < n; i++) {
        for (size_t d = 0; d < D; d++) {
            fo_rqs_grad(raw + i * O + d * P, l->bins, l->bound, l->scale, u[i * D + d],
                        d_v[i * D + d], g_ld[i], &d_u[i * D + d], d_raw + i * O + d * P);
        }
    }
    fo_made_backward(d_u, d_params, d_raw, u, acts, params, &l->made, n, scratch);
}

static void init_params(const struct fo_layer *l, double *params, struct fo_rng *rng) {
    fo_made_init_params(&l->made, params, rng);
}

const struct fo_layer_ops fo__spline_ar_ops = {forward, inverse, backward, init_params,
                                               NULL};
