/* layer.c - sizes and conditioner of each layer kind; see layer.h. */
#include "flow/layer.h"
#include "flow/rqspline.h"

#include <math.h>
#include <string.h>

static const struct fo_layer_ops *ops_for(enum fo_layer_kind kind) {
    switch (kind) {
    case FO_LAYER_SPLINE_AR: return &fo__spline_ar_ops;
    case FO_LAYER_SPLINE_COUPLING: return &fo__spline_coupling_ops;
    case FO_LAYER_AFFINE_AR: return &fo__affine_ar_ops;
    case FO_LAYER_GAUSSIAN_DIAG: return &fo__gaussian_diag_ops;
    case FO_LAYER_GAUSSIAN_FULL: return &fo__gaussian_full_ops;
    }
    return NULL;
}

/* Conditioned kinds: build the MADE or MLP and size cache and scratch. */
static enum fo_status init_conditioned(struct fo_layer *l,
                                       const struct fo_flow_config *cfg,
                                       int autoregressive, struct fo_error *err) {
    size_t D = l->dim;
    size_t n_in = autoregressive ? D : l->split;
    size_t n_blocks = autoregressive ? D : D - l->split;
    enum fo_status st = fo_made_init(&l->made, n_in, n_blocks, l->per_dim, cfg->hidden,
                                     cfg->n_hidden, autoregressive, err);
    if (st != FO_OK)
        return st;
    size_t fan_in = cfg->n_hidden ? cfg->hidden[cfg->n_hidden - 1] : n_in;
    l->scale = 1.0 / sqrt((double)(fan_in ? fan_in : 1));
    l->n_params = l->made.n_params;
    /* cache: conditioner input (coupling only), activations, raw outputs */
    l->cache_stride = (autoregressive ? 0 : n_in) + l->made.act_size + l->made.n_out;
    /* work: backward's d_raw (O) and two hidden-gradient buffers; inverse
     * reuses the same room for one conditioner pass */
    l->work_stride = l->made.n_out + 2 * l->made.max_hidden + l->made.act_size + n_in;
    return FO_OK;
}

enum fo_status fo_layer_init(struct fo_layer *l, enum fo_layer_kind kind,
                             const struct fo_flow_config *cfg, struct fo_error *err) {
    memset(l, 0, sizeof *l);
    l->kind = kind;
    l->ops = ops_for(kind);
    if (!l->ops)
        return fo_error_set(err, FO_EINVAL, "flow.layers", "unknown layer kind %d",
                            (int)kind);
    l->dim = cfg->dim;
    l->bins = cfg->bins;
    l->bound = cfg->bound;
    switch (kind) {
    case FO_LAYER_SPLINE_AR:
        l->per_dim = FO_RQS_PARAMS(cfg->bins);
        return init_conditioned(l, cfg, 1, err);
    case FO_LAYER_SPLINE_COUPLING:
        l->split = cfg->dim / 2;
        l->per_dim = FO_RQS_PARAMS(cfg->bins);
        return init_conditioned(l, cfg, 0, err);
    case FO_LAYER_AFFINE_AR: l->per_dim = 2; return init_conditioned(l, cfg, 1, err);
    case FO_LAYER_GAUSSIAN_DIAG: l->n_params = 2 * cfg->dim; return FO_OK;
    case FO_LAYER_GAUSSIAN_FULL:
        l->n_params = cfg->dim + cfg->dim * (cfg->dim + 1) / 2;
        l->work_stride = cfg->dim;
        return FO_OK;
    }
    return FO_OK;
}

void fo_layer_free(struct fo_layer *l) {
    fo_made_free(&l->made);
}
