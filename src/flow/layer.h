/*
 * layer.h - one bijective layer of a flow, behind an ops table.
 *
 * N = batch, D = dim. u (N, D) is a layer's input on the data side, v (N, D)
 * its output on the base side (the density direction). Each kind provides
 *   forward   v = f(u), ld (N) += log|det df/du|, fills cache (N, cache_stride)
 *   inverse   u = f^-1(v)  (for sampling)
 *   backward  given d_v = dL/dv and g_ld (N) = dL/d(ld_n): d_u = dL/du (written,
 *             not added) and d_params += dL/d(params); needs forward's cache
 * work is scratch of work_size(N) doubles owned by the flow.
 */
#ifndef FLOWOPT_FLOW_LAYER_H
#define FLOWOPT_FLOW_LAYER_H

#include <math.h>
#include <stddef.h>
#include <flowopt/flow.h>
#include "nn/made.h"

struct fo_layer;

struct fo_layer_ops {
    void (*forward)(const struct fo_layer *l, const double *params, size_t n,
                    const double *u, double *v, double *ld, double *cache, double *work);
    void (*inverse)(const struct fo_layer *l, const double *params, size_t n,
                    const double *v, double *u, double *work);
    void (*backward)(const struct fo_layer *l, const double *params, double *d_params,
                     size_t n, const double *u, const double *cache, const double *d_v,
                     const double *g_ld, double *d_u, double *work);
    void (*init_params)(const struct fo_layer *l, double *params, struct fo_rng *rng);
    /*
     * Optional (NULL: the identity). A local change of coordinates P in
     * which a unit step of any parameter moves the distribution by about
     * the same KL whatever its current width: theta = theta0 + P theta'.
     * transpose = 1 maps a gradient into the new coordinates (P^T g),
     * transpose = 0 maps a step back (P d). v has the layer's n_params.
     */
    void (*precondition)(const struct fo_layer *l, const double *params, double *v,
                         int transpose);
};

struct fo_layer {
    enum fo_layer_kind kind;
    const struct fo_layer_ops *ops;
    size_t dim;          /* D */
    size_t split;        /* coupling: coordinates [0, split) pass unchanged */
    size_t per_dim;      /* conditioner outputs per transformed coordinate */
    size_t bins;         /* K */
    double bound;        /* B */
    double scale;        /* multiplier of spline logits: 1/sqrt(conditioner fan-in) */
    struct fo_made made; /* conditioner (conditioned kinds only) */
    size_t n_params;
    size_t param_off;    /* offset of this layer in the flow's buffer */
    size_t cache_stride; /* cached doubles per sample */
    size_t work_stride;  /* scratch doubles per sample */
};

/*
 * Fill l for kind from the flow configuration (sizes, conditioner, ops).
 * On error nothing is allocated; on success fo_layer_free releases it.
 */
enum fo_status fo_layer_init(struct fo_layer *l, enum fo_layer_kind kind,
                             const struct fo_flow_config *cfg, struct fo_error *err);
void fo_layer_free(struct fo_layer *l);

extern const struct fo_layer_ops fo__spline_ar_ops;
extern const struct fo_layer_ops fo__spline_coupling_ops;
extern const struct fo_layer_ops fo__affine_ar_ops;
extern const struct fo_layer_ops fo__gaussian_diag_ops;
extern const struct fo_layer_ops fo__gaussian_full_ops;

/* The Gaussian layers' log-scales are soft-clipped to +-this (gaussian.c). */
#define FO_GAUSSIAN_LOG_SCALE_MAX 40.0

/* A gaussian-full layer's parameters to (mu (D), L (D, D) row-major lower)
 * and back; set returns -1 (params unchanged) for a diagonal entry whose
 * log is not inside (-40, 40). */
void fo__gaussian_full_get(const double *params, size_t D, double *mu, double *L);
int fo__gaussian_full_set(double *params, size_t D, const double *mu, const double *L);

/* Soft clip c tanh(a / c): smooth, exactly 0 at 0, bounded by c. */
static inline double fo__softclip(double a, double c, double *t) {
    double th = tanh(a / c);
    if (t)
        *t = th;
    return c * th;
}

#endif
