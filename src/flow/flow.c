/*
 * flow.c - a stack of layers with permutations and bounds: create,
 * density pass, backward pass and sampling. See flow.h for the maths and
 * flow_internal.h for the object.
 */
#include "flow/flow_internal.h"
#include "core/bytes.h"
#include "flow/bounds.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const double HALF_LOG_2PI = 0.91893853320467274178;

static void free_workspaces(struct fo_flow *f) {
    free(f->h);
    free(f->tmp);
    free(f->ga);
    free(f->gb);
    free(f->ld);
    free(f->wts);
    free(f->cache);
    free(f->work);
    f->h = f->tmp = f->ga = f->gb = f->ld = f->wts = f->cache = f->work = NULL;
    f->cap = 0;
}

/* Grow the workspaces to hold n samples; the only allocation after create. */
static enum fo_status ensure_capacity(struct fo_flow *f, size_t n, struct fo_error *err) {
    if (n <= f->cap)
        return FO_OK;
    if (n > FO_FLOW_MAX_BATCH)
        return fo_error_set(err, FO_ERANGE, "n", "batch of %zu exceeds %d", n,
                            FO_FLOW_MAX_BATCH);
    free_workspaces(f);
    f->pass_n = 0;
    size_t D = f->D;
    f->h = malloc((f->L + 1) * n * D * sizeof *f->h);
    f->tmp = malloc(n * D * sizeof *f->tmp);
    f->ga = malloc(n * D * sizeof *f->ga);
    f->gb = malloc(n * D * sizeof *f->gb);
    f->ld = malloc(n * sizeof *f->ld);
    f->wts = malloc(n * sizeof *f->wts);
    f->cache =
        malloc((f->cache_stride_total ? f->cache_stride_total : 1) * n * sizeof(double));
    f->work = malloc((f->work_stride_max ? f->work_stride_max : 1) * n * sizeof(double));
    if (!f->h || !f->tmp || !f->ga || !f->gb || !f->ld || !f->wts || !f->cache ||
        !f->work) {
        free_workspaces(f);
        return fo_error_set(err, FO_ENOMEM, "n", "out of memory for a batch of %zu", n);
    }
    f->cap = n;
    return FO_OK;
}

enum fo_status fo_flow_reserve(struct fo_flow *f, size_t n, struct fo_error *err) {
    return ensure_capacity(f, n, err);
}

static void make_permutations(struct fo_flow *f) {
    struct fo_rng rng;
    fo_rng_seed(&rng, f->cfg.seed ^ 0x5045524d55544531ULL); /* "PERMUTE1" */
    for (size_t l = 0; l + 1 < f->L; l++) {
        size_t *p = f->perm + l * f->D;
        for (size_t i = 0; i < f->D; i++)
            p[i] = f->cfg.perm == FO_PERM_REVERSE ? f->D - 1 - i : i;
        if (f->cfg.perm == FO_PERM_RANDOM)
            for (size_t i = f->D; i-- > 1;) { /* Fisher-Yates */
                size_t j = (size_t)fo_rng_below(&rng, i + 1);
                size_t t = p[i];
                p[i] = p[j];
                p[j] = t;
            }
    }
}

static void copy_bounds(struct fo_flow *f, const struct fo_flow_config *cfg) {
    for (size_t d = 0; d < f->D; d++) {
        f->lo[d] = cfg->lo ? cfg->lo[d] : -INFINITY;
        f->hi[d] = cfg->hi ? cfg->hi[d] : INFINITY;
        int circle = f->periodic && cfg->periodic[d];
        if (f->periodic)
            f->periodic[d] = (unsigned char)circle;
        unsigned char box = cfg->box_map == FO_BOX_FOLD ? FO_MAP_FOLD : FO_MAP_BOX;
        f->bounded[d] = circle ? FO_MAP_PERIODIC : isfinite(f->lo[d]) ? box : FO_MAP_NONE;
    }
    f->cfg.lo = f->lo;
    f->cfg.hi = f->hi;
    f->cfg.periodic = f->periodic;
}

_Static_assert(FO_MAP_NONE == (int)FO_COORD_LINE && FO_MAP_BOX == (int)FO_COORD_BOX &&
                   FO_MAP_PERIODIC == (int)FO_COORD_CIRCLE &&
                   FO_MAP_FOLD == (int)FO_COORD_FOLD,
               "a coordinate's kind is its map");

int fo_flow_wraps(const struct fo_flow *f) {
    for (size_t d = 0; d < f->D; d++)
        if (f->bounded[d] == FO_MAP_PERIODIC || f->bounded[d] == FO_MAP_FOLD)
            return 1;
    return 0;
}

enum fo_coord_kind fo_flow_coord(const struct fo_flow *f, size_t d) {
    return (enum fo_coord_kind)f->bounded[d];
}

void fo_flow_wrap(const struct fo_flow *f, size_t n, const double *x, double *out) {
    fo_bounds_wrap(f->lo, f->hi, f->bounded, f->D, n, x, out);
}

static uint64_t compute_layout_hash(const struct fo_flow *f) {
    uint64_t h = FO__FNV_OFFSET;
    uint64_t words[8] = {f->D, f->L, f->cfg.n_hidden, f->cfg.bins, f->n_params, 0, 0, 0};
    memcpy(&words[5], &f->cfg.bound, sizeof(double));
    h = fo__fnv1a(h, words, sizeof words);
    for (size_t l = 0; l < f->L; l++) {
        uint64_t k = (uint64_t)f->layers[l].kind;
        h = fo__fnv1a(h, &k, sizeof k);
    }
    for (size_t i = 0; i < f->cfg.n_hidden; i++) {
        uint64_t v = f->cfg.hidden[i];
        h = fo__fnv1a(h, &v, sizeof v);
    }
    for (size_t i = 0; i + f->D < f->L * f->D; i++) {
        uint64_t v = f->perm[i];
        h = fo__fnv1a(h, &v, sizeof v);
    }
    h = fo__fnv1a(h, f->lo, f->D * sizeof(double));
    h = fo__fnv1a(h, f->hi, f->D * sizeof(double));
    /* only flows with a circle or a fold hash the map, so older layouts
     * keep theirs */
    return f->periodic || f->cfg.box_map != FO_BOX_SIGMOID
               ? fo__fnv1a(h, f->bounded, f->D)
               : h;
}

/* Allocate layers, permutations, bounds and parameters; f is zeroed. */
static enum fo_status build(struct fo_flow *f, const struct fo_flow_config *cfg,
                            struct fo_error *err) {
    f->cfg = *cfg;
    f->D = cfg->dim;
    f->L = cfg->n_layers;
    size_t off = 0;
    for (size_t l = 0; l < f->L; l++) {
        enum fo_status st = fo_layer_init(&f->layers[l], cfg->kinds[l], cfg, err);
        if (st != FO_OK)
            return st;
        f->layers[l].param_off = off;
        off += f->layers[l].n_params;
        f->cache_stride_total += f->layers[l].cache_stride;
        if (f->layers[l].work_stride > f->work_stride_max)
            f->work_stride_max = f->layers[l].work_stride;
        if (off > FO_FLOW_MAX_PARAMS)
            return fo_error_set(err, FO_ERANGE, "flow", "more than %u parameters",
                                FO_FLOW_MAX_PARAMS);
    }
    f->n_params = off;
    f->perm = calloc(f->L * f->D, sizeof *f->perm);
    f->lo = malloc(f->D * sizeof *f->lo);
    f->hi = malloc(f->D * sizeof *f->hi);
    f->bounded = malloc(f->D);
    int any_periodic = 0;
    for (size_t d = 0; cfg->periodic && d < f->D; d++)
        any_periodic |= cfg->periodic[d] != 0;
    f->periodic = any_periodic ? malloc(f->D) : NULL;
    f->params = calloc(off ? off : 1, sizeof *f->params);
    if (!f->perm || !f->lo || !f->hi || !f->bounded || !f->params ||
        (any_periodic && !f->periodic))
        return fo_error_set(err, FO_ENOMEM, "flow", "out of memory creating the flow");
    copy_bounds(f, cfg);
    make_permutations(f);
    struct fo_rng rng;
    fo_rng_seed(&rng, cfg->seed);
    for (size_t l = 0; l < f->L; l++)
        f->layers[l].ops->init_params(&f->layers[l], f->params + f->layers[l].param_off,
                                      &rng);
    f->layout_hash = compute_layout_hash(f);
    return FO_OK;
}

enum fo_status fo_flow_config_n_params(const struct fo_flow_config *cfg, size_t *n,
                                       struct fo_error *err) {
    *n = 0;
    enum fo_status st = fo_flow_config_check(cfg, err);
    for (size_t l = 0; st == FO_OK && l < cfg->n_layers; l++) {
        struct fo_layer layer;
        st = fo_layer_init(&layer, cfg->kinds[l], cfg, err);
        *n += st == FO_OK ? layer.n_params : 0;
        fo_layer_free(&layer);
    }
    return st;
}

enum fo_status fo_flow_create(const struct fo_flow_config *cfg, struct fo_flow **out,
                              struct fo_error *err) {
    *out = NULL;
    enum fo_status st = fo_flow_config_check(cfg, err);
    if (st != FO_OK)
        return st;
    struct fo_flow *f = calloc(1, sizeof *f);
    if (!f)
        return fo_error_set(err, FO_ENOMEM, "flow", "out of memory creating the flow");
    st = build(f, cfg, err);
    if (st != FO_OK) {
        fo_flow_destroy(f);
        return st;
    }
    *out = f;
    return FO_OK;
}

void fo_flow_destroy(struct fo_flow *f) {
    if (!f)
        return;
    for (size_t l = 0; l < f->L; l++)
        fo_layer_free(&f->layers[l]);
    free_workspaces(f);
    free(f->perm);
    free(f->lo);
    free(f->hi);
    free(f->bounded);
    free(f->periodic);
    free(f->params);
    free(f);
}

void fo_flow_reset_params(struct fo_flow *f, uint64_t seed) {
    struct fo_rng rng;
    fo_rng_seed(&rng, seed);
    for (size_t l = 0; l < f->L; l++)
        f->layers[l].ops->init_params(&f->layers[l], f->params + f->layers[l].param_off,
                                      &rng);
}

size_t fo_flow_dim(const struct fo_flow *f) {
    return f->D;
}

size_t fo_flow_n_params(const struct fo_flow *f) {
    return f->n_params;
}

double *fo_flow_params(struct fo_flow *f) {
    return f->params;
}

const double *fo_flow_params_const(const struct fo_flow *f) {
    return f->params;
}

void fo_flow_precondition(const struct fo_flow *f, double *v, int transpose) {
    for (size_t l = 0; l < f->L; l++) {
        const struct fo_layer *ly = &f->layers[l];
        if (ly->ops->precondition)
            ly->ops->precondition(ly, f->params + ly->param_off, v + ly->param_off,
                                  transpose);
    }
}

void fo_flow_param_roles(const struct fo_flow *f, unsigned char *roles) {
    for (size_t l = 0; l < f->L; l++) {
        const struct fo_layer *ly = &f->layers[l];
        int gaussian =
            ly->kind == FO_LAYER_GAUSSIAN_DIAG || ly->kind == FO_LAYER_GAUSSIAN_FULL;
        for (size_t i = 0; i < ly->n_params; i++)
            roles[ly->param_off + i] = !gaussian  ? FO_ROLE_NETWORK
                                       : i < f->D ? FO_ROLE_SHIFT
                                                  : FO_ROLE_SHAPE;
    }
}

void fo_flow_layer_params(const struct fo_flow *f, size_t l, enum fo_layer_kind *kind,
                          size_t *offset, size_t *count) {
    *kind = f->layers[l].kind;
    *offset = f->layers[l].param_off;
    *count = f->layers[l].n_params;
}

size_t fo_flow_n_layers(const struct fo_flow *f) {
    return f->L;
}

static enum fo_status gaussian_layer(const struct fo_flow *f, size_t l,
                                     struct fo_error *err) {
    return l < f->L && f->layers[l].kind == FO_LAYER_GAUSSIAN_FULL
               ? FO_OK
               : fo_error_set(err, FO_EINVAL, "flow.layers",
                              "layer %zu is not gaussian-full", l);
}

enum fo_status fo_flow_gaussian_get(const struct fo_flow *f, size_t l, double *mu,
                                    double *L, struct fo_error *err) {
    enum fo_status st = gaussian_layer(f, l, err);
    if (st == FO_OK)
        fo__gaussian_full_get(f->params + f->layers[l].param_off, f->D, mu, L);
    return st;
}

enum fo_status fo_flow_gaussian_set(struct fo_flow *f, size_t l, const double *mu,
                                    const double *L, struct fo_error *err) {
    enum fo_status st = gaussian_layer(f, l, err);
    if (st == FO_OK &&
        fo__gaussian_full_set(f->params + f->layers[l].param_off, f->D, mu, L) != 0)
        st = fo_error_set(err, FO_ERANGE, "flow", "a scale outside (e^-40, e^40)");
    if (st == FO_OK)
        f->pass_n = 0; /* the held pass was of other parameters */
    return st;
}

const double *fo_flow_pass_values(const struct fo_flow *f, size_t l) {
    return f->pass_n && l <= f->L ? f->h + l * f->pass_n * f->D : NULL;
}

size_t fo_flow_memory(const struct fo_flow *f) {
    size_t doubles =
        f->n_params + 2 * f->D +
        f->cap * ((f->L + 4) * f->D + 2 + f->cache_stride_total + f->work_stride_max);
    size_t index = 0;
    for (size_t l = 0; l < f->L; l++)
        for (size_t k = 0; k <= f->layers[l].made.n_hidden && f->layers[l].made.index_mem;
             k++)
            index += 2 * f->layers[l].made.lin[k].n_in + 1;
    return sizeof *f + doubles * sizeof(double) + (index + f->L * f->D) * sizeof(size_t) +
           f->D;
}

uint64_t fo_flow_layout_hash(const struct fo_flow *f) {
    return f->layout_hash;
}

/*
 * Between layers l and l+1: h_{l+1}[d] = v_l[perm[d]] (gather), and the
 * way back v_l[perm[d]] = h_{l+1}[d] (scatter), row by row.
 */
static void permute(const struct fo_flow *f, size_t l, size_t n, const double *in,
                    double *out, int back) {
    const size_t D = f->D, *p = f->perm + l * D;
    for (size_t i = 0; i < n; i++)
        for (size_t d = 0; d < D; d++) {
            if (back)
                out[i * D + p[d]] = in[i * D + d];
            else
                out[i * D + d] = in[i * D + p[d]];
        }
}

/* Offset of layer l's cache for a batch of n. */
static double *layer_cache(struct fo_flow *f, size_t l, size_t n) {
    size_t off = 0;
    for (size_t k = 0; k < l; k++)
        off += f->layers[k].cache_stride;
    return f->cache + off * n;
}

static double *hbuf(struct fo_flow *f, size_t l, size_t n) {
    return f->h + l * n * f->D;
}

/*
 * The density pass x -> z, keeping every layer's input and cache for the
 * backward pass. log_p (n) may be NULL. Capacity must already hold n.
 */
static void density_pass(struct fo_flow *f, size_t n, const double *x, double *log_p) {
    const size_t D = f->D;
    memset(f->ld, 0, n * sizeof *f->ld);
    fo_bounds_to_y(f->lo, f->hi, f->bounded, D, n, x, hbuf(f, 0, n), f->ld);
    for (size_t l = 0; l < f->L; l++) {
        const struct fo_layer *ly = &f->layers[l];
        int last = l + 1 == f->L;
        double *out = last ? hbuf(f, l + 1, n) : f->tmp;
        ly->ops->forward(ly, f->params + ly->param_off, n, hbuf(f, l, n), out, f->ld,
                         layer_cache(f, l, n), f->work);
        if (!last)
            permute(f, l, n, out, hbuf(f, l + 1, n), 0);
    }
    f->pass_x = x;
    f->pass_n = n;
    const double *z = hbuf(f, f->L, n);
    for (size_t i = 0; log_p && i < n; i++) {
        double sq = 0.0;
        for (size_t d = 0; d < D; d++)
            sq += z[i * D + d] * z[i * D + d];
        log_p[i] = f->ld[i] == -INFINITY ? -INFINITY
                                         : f->ld[i] - 0.5 * sq - (double)D * HALF_LOG_2PI;
    }
}

static enum fo_status check_x(const struct fo_flow *f, size_t n, const double *x,
                              struct fo_error *err) {
    for (size_t i = 0; i < n * f->D; i++)
        if (isnan(x[i]))
            return fo_error_set(err, FO_ERANGE, "x", "x[%zu][%zu] is NaN", i / f->D,
                                i % f->D);
    return FO_OK;
}

enum fo_status fo_flow_log_prob(struct fo_flow *f, size_t n, const double *x,
                                double *log_p, struct fo_error *err) {
    enum fo_status st = check_x(f, n, x, err);
    if (st == FO_OK)
        st = ensure_capacity(f, n, err);
    if (st != FO_OK)
        return st;
    density_pass(f, n, x, log_p);
    return FO_OK;
}

/* Backward through the stack after density_pass: d_params +=, d_x = . */
static void backward_pass(struct fo_flow *f, size_t n, const double *x, const double *w,
                          double *d_params, double *d_x) {
    const size_t D = f->D;
    const double *z = hbuf(f, f->L, n);
    double *g = f->ga, *next = f->gb;
    /* log N(z) = -|z|^2 / 2 + const: dL/dz = -w z; every log-det term has weight w. */
    for (size_t i = 0; i < n; i++) {
        f->wts[i] = w ? w[i] : 1.0;
        for (size_t d = 0; d < D; d++)
            g[i * D + d] = -f->wts[i] * z[i * D + d];
    }
    for (size_t l = f->L; l-- > 0;) {
        const struct fo_layer *ly = &f->layers[l];
        const double *d_v = g;
        if (l + 1 < f->L) {
            permute(f, l, n, g, f->tmp, 1);
            d_v = f->tmp;
        }
        ly->ops->backward(ly, f->params + ly->param_off, d_params + ly->param_off, n,
                          hbuf(f, l, n), layer_cache(f, l, n), d_v, f->wts, next,
                          f->work);
        double *t = g;
        g = next;
        next = t;
    }
    if (d_x)
        fo_bounds_backward(f->lo, f->hi, f->bounded, D, n, x, g, f->wts, d_x);
}

enum fo_status fo_flow_log_prob_grad(struct fo_flow *f, size_t n, const double *x,
                                     const double *w, double *log_p, double *d_params,
                                     double *d_x, struct fo_error *err) {
    enum fo_status st = fo_flow_log_prob(f, n, x, log_p, err);
    return st == FO_OK ? fo_flow_log_prob_backward(f, n, x, w, d_params, d_x, err) : st;
}

enum fo_status fo_flow_log_prob_backward(struct fo_flow *f, size_t n, const double *x,
                                         const double *w, double *d_params, double *d_x,
                                         struct fo_error *err) {
    if (f->pass_n != n || f->pass_x != x)
        return fo_error_set(err, FO_ESTATE, "flow",
                            "no density pass at these points to run backward through");
    for (size_t i = 0; i < n; i++)
        if (f->ld[i] == -INFINITY)
            return fo_error_set(err, FO_ERANGE, "x", "x[%zu] lies outside the bounds", i);
    if (!d_params && !d_x)
        return FO_OK;
    if (d_params) {
        backward_pass(f, n, x, w, d_params, d_x);
        return FO_OK;
    }
    /* Only d_x wanted: accumulate parameter gradients into scratch space. */
    double *sink = calloc(f->n_params ? f->n_params : 1, sizeof *sink);
    if (!sink)
        return fo_error_set(err, FO_ENOMEM, "flow", "out of memory");
    backward_pass(f, n, x, w, sink, d_x);
    free(sink);
    return FO_OK;
}

enum fo_status fo_flow_sample_from(struct fo_flow *f, size_t n, const double *z,
                                   double *x, double *log_p, struct fo_error *err) {
    const size_t D = f->D;
    for (size_t i = 0; i < n * D; i++)
        if (!isfinite(z[i]))
            return fo_error_set(err, FO_ERANGE, "z", "base noise must be finite");
    enum fo_status st = ensure_capacity(f, n, err);
    if (st != FO_OK)
        return st;
    f->pass_n = 0; /* the inverse passes reuse the workspaces */
    double *g = f->ga, *u = f->gb;
    memcpy(g, z, n * D * sizeof *g);
    for (size_t l = f->L; l-- > 0;) {
        const struct fo_layer *ly = &f->layers[l];
        const double *v = g;
        if (l + 1 < f->L) {
            permute(f, l, n, g, f->tmp, 1);
            v = f->tmp;
        }
        ly->ops->inverse(ly, f->params + ly->param_off, n, v, u, f->work);
        double *t = g;
        g = u;
        u = t;
    }
    fo_bounds_to_x(f->lo, f->hi, f->bounded, D, n, g, x);
    for (size_t i = 0; i < n * D; i++)
        if (!isfinite(x[i]))
            return fo_error_set(err, FO_ENUMERIC, "flow", "sample is not finite");
    if (log_p)
        density_pass(f, n, x, log_p);
    return FO_OK;
}

enum fo_status fo_flow_sample(struct fo_flow *f, struct fo_rng *rng, size_t n, double *x,
                              double *log_p, double *z, struct fo_error *err) {
    enum fo_status st = ensure_capacity(f, n, err);
    if (st != FO_OK)
        return st;
    /* Draw into x first (it is n x D too), so z may be NULL. */
    double *noise = z ? z : x;
    for (size_t i = 0; i < n * f->D; i++)
        noise[i] = fo_rng_normal(rng);
    if (noise == x) {
        memcpy(f->h, x, n * f->D * sizeof *x);
        noise = f->h;
    }
    return fo_flow_sample_from(f, n, noise, x, log_p, err);
}
