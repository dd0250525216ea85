/*
 * surrogate.h - the linear-quadratic model of lq-CMA-ES (Hansen, GECCO
 * 2019; pycma's fitness_models) over an archive of told points, in the
 * engine's own coordinates (the unwrapped x), on fitness (larger is
 * better):
 *   model     linear, then diagonal-quadratic, then full-quadratic (D <=
 *             FO_SURROGATE_FULL_MAX_DIM) as the archive grows: the richest
 *             kind with 0.75 n >= 1.1 df (df = D + 1, 2 D + 1, D (D + 3) / 2 + 1)
 *   fit       weighted least squares on the best 75 % of the archive, weights
 *             linear from 20 (best) to 1, in the coordinates `map` gives
 *             (the engine gives the distribution's base noise while the
 *             full model is available: a quadratic stays quadratic under
 *             its affine map, and a condition-1e6 ellipsoid becomes a
 *             well-posed fit), centred on the best point and scaled by the
 *             archive's spread
 *   archive   the most recent 2 df_max points (a ring)
 *   tau       Kendall's tau between model and truth on the most recent k
 * The engine decides with tau how many of a generation's candidates it
 * needs evaluated (engine.c); this file knows nothing of generations.
 */
#ifndef FLOWOPT_OPT_SURROGATE_H
#define FLOWOPT_OPT_SURROGATE_H

#include <stddef.h>
#include <flowopt/status.h>

/* Above this D the model stops at the diagonal (the full one's fit costs
 * df^3 with df = D (D + 3) / 2 + 1). */
#define FO_SURROGATE_FULL_MAX_DIM 16

enum fo_model_kind {
    FO_MODEL_NONE = 0,
    FO_MODEL_LINEAR = 1,
    FO_MODEL_DIAGONAL = 2,
    FO_MODEL_FULL = 3
};

/* The coordinates the model is fitted in: u (n, D) for points x (n, D).
 * The engine gives the search distribution's own (its base noise), where
 * the current Gaussian is N(0, I) whatever the scale and condition of x. */
typedef void (*fo_surrogate_map)(void *ctx, size_t n, const double *x, double *u);

struct fo_surrogate {
    size_t D, cap;        /* cap = 2 df of the richest kind allowed */
    fo_surrogate_map map; /* NULL: fit in x itself */
    void *map_ctx;
    double *u, *pu; /* (cap, D) the archive mapped at the last fit, then scratch
                       for predictions; (D) */
    size_t n, head; /* points held; the slot the next one takes */
    double *x, *f;  /* (cap, D) and (cap), in insertion order from head - n */
    /* the fitted model */
    enum fo_model_kind kind;
    size_t df;
    double *beta, *centre, *scale; /* (df_max), (D), (D) */
    /* scratch: normal equations (df_max^2), right side and features (df_max
     * each), an order of the archive (cap) */
    double *A, *b, *phi, *pred; /* pred: (cap), tau's predictions */
    size_t *order;
};

/* OUT: *out for dimension D; released with fo__surrogate_destroy. */
enum fo_status fo__surrogate_create(size_t D, struct fo_surrogate **out,
                                    struct fo_error *err);
void fo__surrogate_destroy(struct fo_surrogate *s);

/* Forget every point (a restart searches elsewhere). */
void fo__surrogate_clear(struct fo_surrogate *s);

/* Add a told point (x (D), fitness f: larger is better), the oldest
 * dropped when full. The model is not refitted. */
void fo__surrogate_add(struct fo_surrogate *s, const double *x, double f);

/* Refit from the archive. Returns the kind fitted (NONE: too few points or
 * a singular fit, and predictions are then 0). */
enum fo_model_kind fo__surrogate_fit(struct fo_surrogate *s);

/* The model's fitness at x (D). */
double fo__surrogate_predict(struct fo_surrogate *s, const double *x);

/* The same for n points x (n, D) into out (n), mapped cap at a time (the
 * archive's mapped copy is scratch once the model is fitted). */
void fo__surrogate_predict_many(struct fo_surrogate *s, size_t n, const double *x,
                                double *out);

/* Kendall's tau (tau-a) between model and truth over the most recent k
 * points (all when fewer); 0 with fewer than 2. */
double fo__surrogate_tau(struct fo_surrogate *s, size_t k);

#endif
