/*
 * flow.h - normalizing flows with exact densities and exact gradients.
 *
 * D = dimension, N = batch, L = layers. A flow is a base N(0, I_D), a stack
 * of L bijective layers with a fixed permutation between consecutive
 * layers, and optional box bounds. Layers are written in the density
 * direction (x -> z): log p(x) = log N(z) + sum of log-determinants.
 *
 *   density:   y = bounds^-1(x); h_0 = y; h_{l+1} = perm_l(f_l(h_l)); z = f_{L-1}(...)
 *   sampling:  z ~ N(0, I) and the same maps inverted, in reverse order
 *
 * Every parameter lives in one flat double buffer (fo_flow_params);
 * gradients are accumulated into a caller buffer of the same layout. The
 * gradient is of sum_i w_i log p(x_i) at the given x, exactly: the score
 * that REINFORCE needs. After create, no call allocates unless it brings a
 * larger batch than any before (workspaces then grow once).
 */
#ifndef FLOWOPT_FLOW_H
#define FLOWOPT_FLOW_H

#include <stddef.h>
#include <stdint.h>
#include <flowopt/rng.h>
#include <flowopt/status.h>

#define FO_FLOW_MAX_DIM 1024
#define FO_FLOW_MAX_LAYERS 16
#define FO_FLOW_MAX_HIDDEN_LAYERS 4
#define FO_FLOW_MAX_HIDDEN 4096
#define FO_FLOW_MAX_BINS 64
#define FO_FLOW_MAX_BATCH 100000
#define FO_FLOW_MAX_PARAMS (1u << 26)

enum fo_layer_kind {
    FO_LAYER_SPLINE_AR = 0,       /* autoregressive RQ spline, MADE conditioner */
    FO_LAYER_SPLINE_COUPLING = 1, /* coupling RQ spline, MLP conditioner */
    FO_LAYER_AFFINE_AR = 2,       /* MAF: autoregressive shift and log-scale */
    FO_LAYER_GAUSSIAN_DIAG = 3,   /* elementwise shift and log-scale */
    FO_LAYER_GAUSSIAN_FULL = 4    /* shift and lower-triangular Cholesky factor */
};
#define FO_N_LAYER_KINDS 5
/* The kinds' names, index = kind: the one list of them. */
extern const char *const fo_layer_kind_names[FO_N_LAYER_KINDS];

/* How a box coordinate's [lo, hi] is reached from the line. */
enum fo_box_map {
    FO_BOX_SIGMOID = 0, /* x = lo + (hi - lo) sigmoid(1.702 y), a bijection onto
                           (lo, hi): a new flow is close to uniform, but every
                           point is bent and the edges lie at infinity, where
                           the values go flat in floating point */
    FO_BOX_FOLD = 1     /* the line folded onto [lo, hi] by reflection at the
                           edges, after the affine map of a circle (slope
                           (hi - lo) / 4): the function is seen as it is
                           everywhere, samples are kept unwrapped and handed
                           out folded, and the density on [lo, hi] sums the
                           images, as a circle's does */
};
#define FO_N_BOX_MAPS 2

/* What a coordinate is, as the flow maps it. */
enum fo_coord_kind {
    FO_COORD_LINE = 0,   /* unbounded */
    FO_COORD_BOX = 1,    /* the sigmoid box */
    FO_COORD_CIRCLE = 2, /* periodic on [lo, hi) */
    FO_COORD_FOLD = 3    /* the folded box */
};

enum fo_perm_kind {
    FO_PERM_REVERSE = 0, /* reverse the coordinates between layers */
    FO_PERM_RANDOM = 1   /* a random permutation per boundary, from seed */
};

struct fo_flow_config {
    size_t dim;
    size_t n_layers;
    enum fo_layer_kind kinds[FO_FLOW_MAX_LAYERS]; /* layer 0 is nearest x */
    size_t n_hidden;                              /* conditioner hidden layers */
    size_t hidden[FO_FLOW_MAX_HIDDEN_LAYERS];
    size_t bins;  /* K, spline layers */
    double bound; /* B: splines act on [-B, B], identity outside */
    enum fo_perm_kind perm;
    uint64_t seed;    /* initial weights and random permutations */
    const double *lo; /* NULL, or (dim) lower bounds; copied at create */
    const double *hi; /* NULL, or (dim) upper bounds; copied at create */
    /* NULL, or (dim) 1 where the coordinate is periodic on [lo, hi) (a
     * circle; needs finite bounds): the flow lives on the whole line there,
     * samples come out unwrapped and fo_flow_wrap maps them onto [lo, hi).
     * Copied at create. */
    const unsigned char *periodic;
    enum fo_box_map box_map;
};

struct fo_flow;

/*
 * A sensible configuration: n_layers layers of kind, hidden [10D, 10D]
 * capped at 512, K = 8, B = 5, reverse permutations, seed 1, unbounded.
 */
void fo_flow_config_default(struct fo_flow_config *cfg, size_t dim,
                            enum fo_layer_kind kind, size_t n_layers);

/* Name of a layer kind ("spline-ar", ...) and back; -1 if unknown. */
const char *fo_layer_kind_name(enum fo_layer_kind kind);
int fo_layer_kind_parse(const char *name, enum fo_layer_kind *out);

/* Size the workspaces for batches of up to n samples now, so no pass up to
 * that size allocates (a larger batch still grows them once). */
enum fo_status fo_flow_reserve(struct fo_flow *flow, size_t n, struct fo_error *err);

/* Re-initialise every parameter as a new flow with this seed would have. */
void fo_flow_reset_params(struct fo_flow *flow, uint64_t seed);

/* The parameters a flow of cfg holds, without building it (only the
 * conditioners' small index tables). OUT: *n. */
enum fo_status fo_flow_config_n_params(const struct fo_flow_config *cfg, size_t *n,
                                       struct fo_error *err);

/* Validate cfg completely without building anything. */
enum fo_status fo_flow_config_check(const struct fo_flow_config *cfg,
                                    struct fo_error *err);

/*
 * Validate cfg and build the flow with freshly initialised parameters: a
 * new flow is exactly the base distribution pushed through the bounds map.
 * OUT: *out, released with fo_flow_destroy. On error nothing is allocated.
 */
enum fo_status fo_flow_create(const struct fo_flow_config *cfg, struct fo_flow **out,
                              struct fo_error *err);
void fo_flow_destroy(struct fo_flow *flow);

size_t fo_flow_dim(const struct fo_flow *flow);
size_t fo_flow_n_params(const struct fo_flow *flow);
/* The flat parameter buffer (borrowed; writable; n_params doubles). */
double *fo_flow_params(struct fo_flow *flow);
const double *fo_flow_params_const(const struct fo_flow *flow);
/*
 * A local change of coordinates for optimizers: theta = theta0 + P theta',
 * chosen so a unit step of any coordinate moves the distribution by about
 * the same KL whatever its current width (Gaussian layers step their shift
 * in units of their factor, their factor relative to itself; network
 * weights are left alone). transpose = 1 maps a gradient (P^T g),
 * transpose = 0 maps a step back (P d); v has n_params entries. An optimizer
 * stepping in these coordinates has a learning rate that follows the width.
 */
void fo_flow_precondition(const struct fo_flow *flow, double *v, int transpose);

/* What a parameter does, for optimizers that step each kind at its own rate. */
enum fo_param_role {
    FO_ROLE_SHIFT = 0,  /* a Gaussian layer's location */
    FO_ROLE_SHAPE = 1,  /* a Gaussian layer's scale, shape and correlation */
    FO_ROLE_NETWORK = 2 /* a conditioner's weights */
};
/* OUT: roles (n_params). */
void fo_flow_param_roles(const struct fo_flow *flow, unsigned char *roles);

/* Layer l's kind and its parameters' range [*offset, *offset + *count). */
void fo_flow_layer_params(const struct fo_flow *flow, size_t l, enum fo_layer_kind *kind,
                          size_t *offset, size_t *count);
size_t fo_flow_n_layers(const struct fo_flow *flow);

/*
 * A gaussian-full layer l as the distribution it maps: u = mu + L v, with
 * mu (D) and L (D, D) row-major, lower triangular, positive diagonal. set
 * refuses a diagonal entry outside (e^-40, e^40) (FO_ERANGE, flow unchanged)
 * and ignores L's upper triangle.
 */
enum fo_status fo_flow_gaussian_get(const struct fo_flow *flow, size_t l, double *mu,
                                    double *L, struct fo_error *err);
enum fo_status fo_flow_gaussian_set(struct fo_flow *flow, size_t l, const double *mu,
                                    const double *L, struct fo_error *err);

/*
 * After fo_flow_log_prob on n points (and no other pass since): the values
 * entering layer l of each point, (n, D), borrowed until the next pass; l =
 * n_layers gives the base points z. NULL when no density pass is held.
 */
const double *fo_flow_pass_values(const struct fo_flow *flow, size_t l);

/* Bytes the flow holds now: parameters, masks and workspaces. */
size_t fo_flow_memory(const struct fo_flow *flow);
/* A 64-bit fingerprint of the configuration and parameter layout. */
uint64_t fo_flow_layout_hash(const struct fo_flow *flow);

/*
 * Draw n samples. OUT: x (n, D), log_p (n) (may be NULL), z (n, D) the base
 * noise used (may be NULL). log_p is evaluated in the density direction at
 * the returned x, so it equals fo_flow_log_prob(x) exactly.
 */
enum fo_status fo_flow_sample(struct fo_flow *flow, struct fo_rng *rng, size_t n,
                              double *x, double *log_p, double *z, struct fo_error *err);

/* The same from given base noise z (n, D): for mirrored or common noise. */
enum fo_status fo_flow_sample_from(struct fo_flow *flow, size_t n, const double *z,
                                   double *x, double *log_p, struct fo_error *err);

/* out (n, D) = x with its periodic coordinates wrapped into [lo, hi) and
 * its folded ones reflected into [lo, hi], the others as they are; out may
 * be x. */
void fo_flow_wrap(const struct fo_flow *flow, size_t n, const double *x, double *out);
/* 1 when some coordinate's samples come out unwrapped (a circle or a fold). */
int fo_flow_wraps(const struct fo_flow *flow);
/* Coordinate d's kind. */
enum fo_coord_kind fo_flow_coord(const struct fo_flow *flow, size_t d);

/* log_p (n) at x (n, D); -inf outside the bounds (a periodic coordinate
 * takes any real: the density on the line, of the unwrapped point). x must
 * not be NaN. */
enum fo_status fo_flow_log_prob(struct fo_flow *flow, size_t n, const double *x,
                                double *log_p, struct fo_error *err);

/*
 * log_p (n) at x, and the gradient of sum_i w_i log p(x_i):
 * d_params (n_params) += with respect to the parameters (NULL to skip),
 * d_x (n, D) = with respect to x (NULL to skip). w NULL means all ones.
 * Every x must lie inside the bounds (FO_ERANGE otherwise).
 */
enum fo_status fo_flow_log_prob_grad(struct fo_flow *flow, size_t n, const double *x,
                                     const double *w, double *log_p, double *d_params,
                                     double *d_x, struct fo_error *err);

/*
 * The gradient half of fo_flow_log_prob_grad, for weights that depend on
 * log p itself: after fo_flow_log_prob(flow, n, x, ...) with no other pass
 * and no parameter change in between, the same gradients without a second
 * forward pass. FO_ESTATE if the last pass was not at (n, x).
 */
enum fo_status fo_flow_log_prob_backward(struct fo_flow *flow, size_t n, const double *x,
                                         const double *w, double *d_params, double *d_x,
                                         struct fo_error *err);

/*
 * Parameters to bytes and back, bit-exact and independent of the host:
 * "FOFP", format version, layout hash, count, little-endian IEEE doubles,
 * CRC-32. fo_flow_params_save with buf NULL only reports *len.
 * fo_flow_params_load refuses (FO_ECORRUPT, flow unchanged) bytes that fail
 * a check or belong to another layout.
 */
enum fo_status fo_flow_params_save(const struct fo_flow *flow, unsigned char *buf,
                                   size_t cap, size_t *len, struct fo_error *err);
enum fo_status fo_flow_params_load(struct fo_flow *flow, const unsigned char *buf,
                                   size_t len, struct fo_error *err);

#endif
