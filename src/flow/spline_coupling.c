/*
 * spline_coupling.c - coupling layer with rational-quadratic splines:
 * coordinates [0, S) pass unchanged and condition an MLP whose outputs are
 * the splines of coordinates [S, D). One network pass in both directions.
 * The permutations between layers let every coordinate be transformed.
 *
 * Cache (block layout): cond input (N, S), acts (N, act_size), raw (N, O)
 * with O = (D - S)(3K - 1).
 */
#include "flow/layer.h"
#include "flow/rqspline.h"

#include <string.h>

static void gather_cond(double *cin, const double *u, size_t n, size_t D, size_t S) {
    for (size_t i = 0; i < n; i++)
        memcpy(cin + i * S, u + i * D, S * sizeof *cin);
}

static void forward(const struct fo_layer *l, const double *params, size_t n,
                    const double *u, double *v, double *ld, double *cache, double *work) {
    (void)work;
    const size_t D = l->dim, S = l->split, O = l->made.n_out, P = l->per_dim;
    double *cin = cache, *acts = cin + n * S, *raw = acts + n * l->made.act_size;
    gather_cond(cin, u, n, D, S);
    fo_made_forward(raw, acts, cin, params, &l->made, n, 0, O);
    for (size_t i = 0; i < n; i++) {
        memcpy(v + i * D, u + i * D, S * sizeof *v);
        for (size_t j = 0; j < D - S; j++) {
            double lds;
            fo_rqs_eval(raw + i * O + j * P, l->bins, l->bound, l->scale,
                        u[i * D + S + j], &v[i * D + S + j], &lds);
            ld[i] += lds;
        }
    }
}

static void inverse(const struct fo_layer *l, const double *params, size_t n,
                    const double *v, double *u, double *work) {
    const size_t D = l->dim, S = l->split, O = l->made.n_out, P = l->per_dim;
    double *cin = work, *acts = cin + n * S, *raw = acts + n * l->made.act_size;
    gather_cond(cin, v, n, D, S);
    fo_made_forward(raw, acts, cin, params, &l->made, n, 0, O);
    for (size_t i = 0; i < n; i++) {
        memcpy(u + i * D, v + i * D, S * sizeof *u);
        for (size_t j = 0; j < D - S; j++) {
            u[i * D + S + j] = fo_rqs_solve(raw + i * O + j * P, l->bins, l->bound,
                                            l->scale, v[i * D + S + j]);
        }
    }
}

static void backward(const struct fo_layer *l, const double *params, double *d_params,
                     size_t n, const double *u, const double *cache, const double *d_v,
                     const double *g_ld, double *d_u, double *work) {
    const size_t D = l->dim, S = l->split, O = l->made.n_out, P = l->per_dim;
    const double *cin = cache, *acts = cin + n * S, *raw = acts + n * l->made.act_size;
    double *d_raw = work, *d_cin = d_raw + n * O, *scratch = d_cin + n * S;
    memset(d_raw, 0, n * O * sizeof *d_raw);
    memset(d_cin, 0, n * S * sizeof *d_cin);
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < D - S; j++) {
            fo_rqs_grad(raw + i * O + j * P, l->bins, l->bound, l->scale,
                        u[i * D + S + j], d_v[i * D + S + j], g_ld[i],
                        &d_u[i * D + S + j], d_raw + i * O + j * P);
        }
    }
    fo_made_backward(d_cin, d_params, d_raw, cin, acts, params, &l->made, n, scratch);
    for (size_t i = 0; i < n; i++)
        for (size_t c = 0; c < S; c++)
            d_u[i * D + c] = d_v[i * D + c] + d_cin[i * S + c];
}

static void init_params(const struct fo_layer *l, double *params, struct fo_rng *rng) {
    fo_made_init_params(&l->made, params, rng);
}

const struct fo_layer_ops fo__spline_coupling_ops = {forward, inverse, backward,
                                                     init_params, NULL};
