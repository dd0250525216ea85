/* flow_config.c - defaults, names and validation of flow configurations. */
#include "flow/flow_internal.h"
#include "flow/rqspline.h"

#include <float.h>
#include <math.h>
#include <string.h>

const char *const fo_layer_kind_names[FO_N_LAYER_KINDS] = {
    "spline-ar", "spline-coupling", "affine-ar", "gaussian", "gaussian-full"};
#define N_KINDS FO_N_LAYER_KINDS
#define MIN_STEPS 1048576.0 /* doubles a bounded coordinate's width must span */

const char *fo_layer_kind_name(enum fo_layer_kind kind) {
    return (size_t)kind < N_KINDS ? fo_layer_kind_names[kind] : "unknown";
}

int fo_layer_kind_parse(const char *name, enum fo_layer_kind *out) {
    for (size_t k = 0; k < N_KINDS; k++) {
        if (name && strcmp(name, fo_layer_kind_names[k]) == 0) {
            *out = (enum fo_layer_kind)k;
            return 0;
        }
    }
    return -1;
}

void fo_flow_config_default(struct fo_flow_config *cfg, size_t dim,
                            enum fo_layer_kind kind, size_t n_layers) {
    memset(cfg, 0, sizeof *cfg);
    cfg->dim = dim;
    cfg->n_layers = n_layers;
    for (size_t l = 0; l < n_layers && l < FO_FLOW_MAX_LAYERS; l++)
        cfg->kinds[l] = kind;
    size_t h = 10 * dim < 512 ? 10 * dim : 512;
    cfg->n_hidden = 2;
    cfg->hidden[0] = cfg->hidden[1] = h;
    cfg->bins = 8;
    cfg->bound = 5.0;
    cfg->perm = FO_PERM_REVERSE;
    cfg->seed = 1;
}

static int is_conditioned(enum fo_layer_kind k) {
    return k == FO_LAYER_SPLINE_AR || k == FO_LAYER_SPLINE_COUPLING ||
           k == FO_LAYER_AFFINE_AR;
}

static int is_spline(enum fo_layer_kind k) {
    return k == FO_LAYER_SPLINE_AR || k == FO_LAYER_SPLINE_COUPLING;
}

static enum fo_status check_bounds(const struct fo_flow_config *cfg,
                                   struct fo_error *err) {
    if (!cfg->lo != !cfg->hi)
        return fo_error_set(err, FO_EINVAL, "bounds", "give both lo and hi, or neither");
    if (!cfg->lo)
        return FO_OK;
    for (size_t d = 0; d < cfg->dim; d++) {
        double lo = cfg->lo[d], hi = cfg->hi[d];
        if (lo == -INFINITY && hi == INFINITY)
            continue;
        if (!isfinite(lo) || !isfinite(hi) || !(lo < hi) || !isfinite(hi - lo))
            return fo_error_set(err, FO_ERANGE, "bounds",
                                "dimension %zu: need finite lo < hi (or both infinite), "
                                "got [%g, %g]",
                                d, lo, hi);
        /* the box's map needs steps a double can take: [0, 5e-324] has
         * one, and every update of such a run was rolled back */
        double m = fmax(fabs(lo), fabs(hi));
        if (hi - lo < DBL_MIN || hi - lo < MIN_STEPS * (nextafter(m, INFINITY) - m))
            return fo_error_set(err, FO_ERANGE, "bounds",
                                "dimension %zu: [%g, %g] is narrower than a double "
                                "resolves (it needs a width of at least %g)",
                                d, lo, hi,
                                fmax(DBL_MIN, MIN_STEPS * (nextafter(m, INFINITY) - m)));
    }
    return FO_OK;
}

/* A periodic coordinate is a circle of finite length: it needs its box. */
static enum fo_status check_periodic(const struct fo_flow_config *cfg,
                                     struct fo_error *err) {
    for (size_t d = 0; cfg->periodic && d < cfg->dim; d++) {
        if (cfg->periodic[d] > 1)
            return fo_error_set(err, FO_EINVAL, "periodic",
                                "periodic[%zu] must be 0 or 1", d);
        if (cfg->periodic[d] && (!cfg->lo || !isfinite(cfg->lo[d])))
            return fo_error_set(err, FO_ERANGE, "periodic",
                                "periodic coordinate %zu needs finite bounds [lo, hi)",
                                d);
    }
    return FO_OK;
}

static enum fo_status check_layers(const struct fo_flow_config *cfg,
                                   struct fo_error *err) {
    int any_cond = 0, any_spline = 0;
    for (size_t l = 0; l < cfg->n_layers; l++) {
        if ((size_t)cfg->kinds[l] >= N_KINDS)
            return fo_error_set(err, FO_EINVAL, "flow.layers",
                                "layer %zu has unknown kind %d", l, (int)cfg->kinds[l]);
        any_cond |= is_conditioned(cfg->kinds[l]);
        any_spline |= is_spline(cfg->kinds[l]);
    }
    if (any_cond) {
        if (cfg->n_hidden > FO_FLOW_MAX_HIDDEN_LAYERS)
            return fo_error_set(err, FO_ERANGE, "flow.hidden", "at most %d hidden layers",
                                FO_FLOW_MAX_HIDDEN_LAYERS);
        for (size_t i = 0; i < cfg->n_hidden; i++)
            if (cfg->hidden[i] < 1 || cfg->hidden[i] > FO_FLOW_MAX_HIDDEN)
                return fo_error_set(err, FO_ERANGE, "flow.hidden",
                                    "hidden sizes must be 1..%d, got %zu",
                                    FO_FLOW_MAX_HIDDEN, cfg->hidden[i]);
    }
    if (any_spline) {
        if (cfg->bins < 2 || cfg->bins > FO_FLOW_MAX_BINS)
            return fo_error_set(err, FO_ERANGE, "flow.bins",
                                "bins must be 2..%d, got %zu", FO_FLOW_MAX_BINS,
                                cfg->bins);
        if (!(cfg->bound > 0.0 && cfg->bound <= 1e6))
            return fo_error_set(err, FO_ERANGE, "flow.bound",
                                "bound must be in (0, 1e6]");
    }
    return FO_OK;
}

enum fo_status fo_flow_config_check(const struct fo_flow_config *cfg,
                                    struct fo_error *err) {
    if (!cfg)
        return fo_error_set(err, FO_EINVAL, "flow", "no configuration");
    if (cfg->dim < 1 || cfg->dim > FO_FLOW_MAX_DIM)
        return fo_error_set(err, FO_ERANGE, "dim", "dim must be 1..%d, got %zu",
                            FO_FLOW_MAX_DIM, cfg->dim);
    if (cfg->n_layers < 1 || cfg->n_layers > FO_FLOW_MAX_LAYERS)
        return fo_error_set(err, FO_ERANGE, "flow.layers",
                            "layers must be 1..%d, got %zu", FO_FLOW_MAX_LAYERS,
                            cfg->n_layers);
    if ((unsigned)cfg->box_map >= FO_N_BOX_MAPS)
        return fo_error_set(err, FO_EINVAL, "flow.box_map", "unknown box map");
    if (cfg->perm != FO_PERM_REVERSE && cfg->perm != FO_PERM_RANDOM)
        return fo_error_set(err, FO_EINVAL, "flow.permutation",
                            "unknown permutation kind");
    enum fo_status st = check_layers(cfg, err);
    if (st == FO_OK)
        st = check_bounds(cfg, err);
    return st != FO_OK ? st : check_periodic(cfg, err);
}
