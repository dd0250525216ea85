/* surrogate.c - the lq model; see surrogate.h. */
#include "opt/surrogate.h"
#include "opt/cma.h"
#include "opt/utility.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static size_t kind_df(size_t D, enum fo_model_kind k) {
    switch (k) {
    case FO_MODEL_LINEAR: return D + 1;
    case FO_MODEL_DIAGONAL: return 2 * D + 1;
    case FO_MODEL_FULL: return D * (D + 3) / 2 + 1;
    case FO_MODEL_NONE: break;
    }
    return 0;
}

static enum fo_model_kind richest(size_t D) {
    return D <= FO_SURROGATE_FULL_MAX_DIM ? FO_MODEL_FULL : FO_MODEL_DIAGONAL;
}

enum fo_status fo__surrogate_create(size_t D, struct fo_surrogate **out,
                                    struct fo_error *err) {
    struct fo_surrogate *s = calloc(1, sizeof *s);
    size_t df = kind_df(D, richest(D));
    if (s) {
        s->D = D;
        s->cap = 2 * df;
        s->x = malloc(s->cap * D * sizeof(double));
        s->f = malloc(s->cap * sizeof(double));
        s->beta = calloc(df, sizeof(double));
        s->centre = calloc(D, sizeof(double));
        s->scale = malloc(D * sizeof(double));
        s->A = malloc(df * df * sizeof(double));
        s->b = malloc(df * sizeof(double));
        s->phi = malloc(df * sizeof(double));
        s->order = malloc(s->cap * sizeof(size_t));
        s->pred = malloc(s->cap * sizeof(double));
        s->u = malloc(s->cap * D * sizeof(double));
        s->pu = malloc(D * sizeof(double));
    }
    if (!s || !s->x || !s->f || !s->beta || !s->centre || !s->scale || !s->A || !s->b ||
        !s->phi || !s->order || !s->pred || !s->u || !s->pu) {
        fo__surrogate_destroy(s);
        return fo_error_set(err, FO_ENOMEM, "run", "out of memory for the surrogate");
    }
    fo__surrogate_clear(s);
    *out = s;
    return FO_OK;
}

void fo__surrogate_destroy(struct fo_surrogate *s) {
    if (!s)
        return;
    void *bufs[] = {s->x, s->f,   s->beta,  s->centre, s->scale, s->A,
                    s->b, s->phi, s->order, s->pred,   s->u,     s->pu};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        free(bufs[i]);
    free(s);
}

void fo__surrogate_clear(struct fo_surrogate *s) {
    s->n = s->head = 0;
    s->kind = FO_MODEL_NONE;
    s->df = 0;
    for (size_t d = 0; d < s->D; d++)
        s->scale[d] = 1.0;
}

/* Slot of the i-th oldest point held. */
static size_t slot(const struct fo_surrogate *s, size_t i) {
    return (s->head + s->cap - s->n + i) % s->cap;
}

void fo__surrogate_add(struct fo_surrogate *s, const double *x, double f) {
    memcpy(s->x + s->head * s->D, x, s->D * sizeof(double));
    s->f[s->head] = f;
    s->head = (s->head + 1) % s->cap;
    if (s->n < s->cap)
        s->n++;
}

/* The features of x under kind: 1, u, then u_d^2, then u_a u_b (a < b),
 * with u = (x - centre) / scale. */
static void features(const struct fo_surrogate *s, enum fo_model_kind kind,
                     const double *x, double *phi) {
    const size_t D = s->D;
    size_t k = 0;
    phi[k++] = 1.0;
    for (size_t d = 0; d < D; d++)
        phi[k++] = (x[d] - s->centre[d]) / s->scale[d];
    if (kind >= FO_MODEL_DIAGONAL)
        for (size_t d = 0; d < D; d++)
            phi[k++] = phi[1 + d] * phi[1 + d];
    if (kind == FO_MODEL_FULL)
        for (size_t a = 0; a < D; a++)
            for (size_t b = a + 1; b < D; b++)
                phi[k++] = phi[1 + a] * phi[1 + b];
}

/* Archive indices (slots), best fitness first. */
static void rank_archive(struct fo_surrogate *s) {
    for (size_t i = 0; i < s->n; i++)
        s->order[i] = slot(s, i);
    fo__order_desc(s->f, s->order, s->n);
}

/* The archive in fit coordinates (slots [0, n) hold it: it fills from
 * slot 0 and, once full, every slot is in use). */
static void map_archive(struct fo_surrogate *s) {
    if (s->map)
        s->map(s->map_ctx, s->n, s->x, s->u);
    else
        memcpy(s->u, s->x, s->n * s->D * sizeof(double));
}

/* Centre on the best point, scale by each coordinate's spread. */
static void normalise(struct fo_surrogate *s) {
    const size_t D = s->D;
    memcpy(s->centre, s->u + s->order[0] * D, D * sizeof(double));
    for (size_t d = 0; d < D; d++) {
        double m = 0.0, q = 0.0;
        for (size_t i = 0; i < s->n; i++)
            m += s->u[slot(s, i) * D + d] / (double)s->n;
        for (size_t i = 0; i < s->n; i++) {
            double v = s->u[slot(s, i) * D + d] - m;
            q += v * v / (double)s->n;
        }
        s->scale[d] = q > 0.0 ? sqrt(q) : 1.0;
    }
}

/* Solve A beta = b (A symmetric positive, df x df) by Cholesky. */
static int solve(double *A, double *b, double *beta, size_t df) {
    if (fo__cholesky(A, df) != 0)
        return -1;
    for (size_t i = 0; i < df; i++) { /* L y = b */
        double v = b[i];
        for (size_t k = 0; k < i; k++)
            v -= A[i * df + k] * beta[k];
        beta[i] = v / A[i * df + i];
    }
    for (size_t i = df; i-- > 0;) { /* L^T beta = y */
        double v = beta[i];
        for (size_t k = i + 1; k < df; k++)
            v -= A[k * df + i] * beta[k];
        beta[i] = v / A[i * df + i];
    }
    for (size_t i = 0; i < df; i++)
        if (!isfinite(beta[i]))
            return -1;
    return 0;
}

enum fo_model_kind fo__surrogate_fit(struct fo_surrogate *s) {
    s->kind = FO_MODEL_NONE;
    s->df = 0;
    size_t use = (3 * s->n + 3) / 4; /* the best 75 % */
    enum fo_model_kind kind = FO_MODEL_NONE;
    for (int k = FO_MODEL_LINEAR; k <= (int)richest(s->D); k++)
        if (4.0 * 1.1 * (double)kind_df(s->D, (enum fo_model_kind)k) <=
            3.0 * (double)s->n)
            kind = (enum fo_model_kind)k;
    if (kind == FO_MODEL_NONE || use < 2)
        return FO_MODEL_NONE;
    const size_t df = kind_df(s->D, kind);
    rank_archive(s);
    map_archive(s);
    normalise(s);
    memset(s->A, 0, df * df * sizeof(double));
    memset(s->b, 0, df * sizeof(double));
    for (size_t r = 0; r < use; r++) {
        double w = use > 1 ? 20.0 - 19.0 * (double)r / (double)(use - 1) : 1.0;
        features(s, kind, s->u + s->order[r] * s->D, s->phi);
        for (size_t i = 0; i < df; i++) {
            s->b[i] += w * s->phi[i] * s->f[s->order[r]];
            for (size_t j = 0; j <= i; j++)
                s->A[i * df + j] += w * s->phi[i] * s->phi[j];
        }
    }
    double trace = 0.0;
    for (size_t i = 0; i < df; i++)
        trace += s->A[i * df + i];
    for (size_t i = 0; i < df; i++) { /* symmetric, and a whisper of ridge */
        for (size_t j = i + 1; j < df; j++)
            s->A[i * df + j] = s->A[j * df + i];
        s->A[i * df + i] += 1e-10 * trace / (double)df;
    }
    if (solve(s->A, s->b, s->beta, df) != 0)
        return FO_MODEL_NONE;
    s->kind = kind;
    s->df = df;
    return kind;
}

/* The fitted model at u, a point in fit coordinates. */
static double model_at(struct fo_surrogate *s, const double *u) {
    features(s, s->kind, u, s->phi);
    double v = 0.0;
    for (size_t i = 0; i < s->df; i++)
        v += s->beta[i] * s->phi[i];
    return v;
}

double fo__surrogate_predict(struct fo_surrogate *s, const double *x) {
    if (s->kind == FO_MODEL_NONE)
        return 0.0;
    if (s->map)
        s->map(s->map_ctx, 1, x, s->pu);
    return model_at(s, s->map ? s->pu : x);
}

void fo__surrogate_predict_many(struct fo_surrogate *s, size_t n, const double *x,
                                double *out) {
    const size_t D = s->D;
    for (size_t start = 0; start < n; start += s->cap) {
        size_t m = n - start < s->cap ? n - start : s->cap;
        const double *u = x + start * D;
        if (s->map && s->kind != FO_MODEL_NONE) {
            s->map(s->map_ctx, m, u, s->u);
            u = s->u;
        }
        for (size_t i = 0; i < m; i++)
            out[start + i] = s->kind == FO_MODEL_NONE ? 0.0 : model_at(s, u + i * D);
    }
}

double fo__surrogate_tau(struct fo_surrogate *s, size_t k) {
    k = k < s->n ? k : s->n;
    if (k < 2)
        return 0.0;
    double *m = s->pred;
    /* the k newest are slots [first, first + k) of the ring: at most two runs */
    size_t first = slot(s, s->n - k), run = first + k <= s->cap ? k : s->cap - first;
    fo__surrogate_predict_many(s, run, s->x + first * s->D, m);
    fo__surrogate_predict_many(s, k - run, s->x, m + run);
    double sum = 0.0; /* concordant pairs count +1, discordant -1, ties 0 */
    for (size_t i = 0; i < k; i++)
        for (size_t j = i + 1; j < k; j++) {
            double dm = m[i] - m[j];
            double dt = s->f[slot(s, s->n - k + i)] - s->f[slot(s, s->n - k + j)];
            sum += (double)(((dm > 0) - (dm < 0)) * ((dt > 0) - (dt < 0)));
        }
    return sum / (0.5 * (double)k * (double)(k - 1));
}
