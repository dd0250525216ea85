/*
 * test_layers.c - every layer kind alone: round trip, log-determinant
 * against a finite-difference Jacobian, exact identity at zero parameters,
 * the backward pass against finite differences, and the preconditioner of
 * the kinds that step in local coordinates.
 */
#include "flow/layer.h"
#include "gradcheck.h"
#include "tap.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define D 4
#define NB 3 /* batch for the gradient check */

struct lctx {
    struct fo_layer *l;
    double *params, *u, *v, *ld, *cache, *work, *coef, *wld;
    size_t n;
};

static double layer_loss(void *p) {
    struct lctx *c = p;
    memset(c->ld, 0, c->n * sizeof *c->ld);
    c->l->ops->forward(c->l, c->params, c->n, c->u, c->v, c->ld, c->cache, c->work);
    double L = 0.0;
    for (size_t i = 0; i < c->n; i++) {
        L += c->wld[i] * c->ld[i];
        for (size_t d = 0; d < D; d++)
            L += c->coef[i * D + d] * c->v[i * D + d];
    }
    return L;
}

/* log|det| of a D x D matrix by LU with partial pivoting. */
static double log_abs_det(double a[D][D]) {
    double s = 0.0;
    for (size_t k = 0; k < D; k++) {
        size_t p = k;
        for (size_t r = k + 1; r < D; r++)
            if (fabs(a[r][k]) > fabs(a[p][k]))
                p = r;
        for (size_t c = 0; c < D; c++) {
            double t = a[k][c];
            a[k][c] = a[p][c];
            a[p][c] = t;
        }
        s += log(fabs(a[k][k]));
        for (size_t r = k + 1; r < D; r++) {
            double f = a[r][k] / a[k][k];
            for (size_t c = k; c < D; c++)
                a[r][c] -= f * a[k][c];
        }
    }
    return s;
}

static struct lctx make_ctx(struct fo_layer *l, size_t n) {
    struct lctx c = {l,
                     calloc(l->n_params + 1, sizeof(double)),
                     calloc(n * D, sizeof(double)),
                     calloc(n * D, sizeof(double)),
                     calloc(n, sizeof(double)),
                     calloc(n * l->cache_stride + 1, sizeof(double)),
                     calloc(n * l->work_stride + 1, sizeof(double)),
                     calloc(n * D, sizeof(double)),
                     calloc(n, sizeof(double)),
                     n};
    return c;
}

static void free_ctx(struct lctx *c) {
    free(c->params);
    free(c->u);
    free(c->v);
    free(c->ld);
    free(c->cache);
    free(c->work);
    free(c->coef);
    free(c->wld);
}

static void perturb(double *x, size_t n, struct fo_rng *rng, double sd) {
    for (size_t i = 0; i < n; i++)
        x[i] += sd * fo_rng_normal(rng);
}

static void test_identity(struct fo_layer *l, const char *name, struct fo_rng *rng) {
    struct lctx c = make_ctx(l, 200);
    l->ops->init_params(l, c.params, rng);
    perturb(c.u, 200 * D, rng, 4.0);
    layer_loss(&c);
    int exact = 1;
    for (size_t i = 0; i < 200; i++) {
        exact &= c.ld[i] == 0.0;
        for (size_t d = 0; d < D; d++)
            exact &= c.v[i * D + d] == c.u[i * D + d];
    }
    tap_ok(exact, "%s: a new layer is exactly the identity with log-det 0", name);
    free_ctx(&c);
}

static void test_round_trip(struct fo_layer *l, const char *name, struct fo_rng *rng) {
    const size_t n = 2500; /* 10^4 coordinates */
    struct lctx c = make_ctx(l, n);
    l->ops->init_params(l, c.params, rng);
    perturb(c.params, l->n_params, rng, 0.4);
    perturb(c.u, n * D, rng, 2.5); /* B = 3: many coordinates fall outside */
    layer_loss(&c);
    double *back = calloc(n * D, sizeof(double));
    l->ops->inverse(l, c.params, n, c.v, back, c.work);
    double worst = 0.0;
    for (size_t i = 0; i < n * D; i++) {
        double e = fabs(back[i] - c.u[i]);
        worst = e > worst ? e : worst;
    }
    tap_is_below(worst, 1e-9, "%s: round trip on 10^4 coordinates (max %.2e)", name,
                 worst);
    free(back);
    free_ctx(&c);
}

static void test_logdet(struct fo_layer *l, const char *name, struct fo_rng *rng) {
    struct lctx c = make_ctx(l, 1), cp = make_ctx(l, 1);
    l->ops->init_params(l, c.params, rng);
    perturb(c.params, l->n_params, rng, 0.4);
    memcpy(cp.params, c.params, l->n_params * sizeof(double));
    double worst = 0.0;
    for (int trial = 0; trial < 20; trial++) {
        for (size_t d = 0; d < D; d++)
            c.u[d] = 2.0 * fo_rng_normal(rng);
        layer_loss(&c);
        double jac[D][D], h = 1e-5;
        for (size_t j = 0; j < D; j++) {
            double vp1[D] = {0}, vm1[D] = {0}, vp2[D] = {0}, vm2[D] = {0};
            double *outs[4] = {vp1, vm1, vp2, vm2};
            double steps[4] = {h, -h, 2 * h, -2 * h};
            for (int s = 0; s < 4; s++) {
                memcpy(cp.u, c.u, D * sizeof(double));
                cp.u[j] += steps[s];
                layer_loss(&cp);
                memcpy(outs[s], cp.v, D * sizeof(double));
            }
            for (size_t r = 0; r < D; r++)
                jac[r][j] = (8 * (vp1[r] - vm1[r]) - (vp2[r] - vm2[r])) / (12 * h);
        }
        double e = fabs(log_abs_det(jac) - c.ld[0]);
        worst = e > worst ? e : worst;
    }
    tap_is_below(worst, 1e-6, "%s: log-det matches a finite-difference Jacobian (%.2e)",
                 name, worst);
    free_ctx(&c);
    free_ctx(&cp);
}

static void test_backward(struct fo_layer *l, const char *name, struct fo_rng *rng) {
    struct lctx c = make_ctx(l, NB);
    l->ops->init_params(l, c.params, rng);
    perturb(c.params, l->n_params, rng, 0.4);
    perturb(c.u, NB * D, rng, 2.0);
    perturb(c.coef, NB * D, rng, 1.0);
    perturb(c.wld, NB, rng, 1.0);
    double *d_params = calloc(l->n_params + 1, sizeof(double));
    double *d_u = calloc(NB * D, sizeof(double));
    layer_loss(&c);
    l->ops->backward(l, c.params, d_params, NB, c.u, c.cache, c.coef, c.wld, d_u, c.work);
    size_t worst_i = 0;
    double ep = fo_gradcheck(layer_loss, &c, c.params, d_params, l->n_params, 1e-5, 1e-6,
                             &worst_i);
    double eu = fo_gradcheck(layer_loss, &c, c.u, d_u, NB * D, 1e-5, 1e-6, NULL);
    tap_is_below(ep, 1e-6, "%s: d/d(params), %zu parameters (max rel %.2e at %zu)", name,
                 l->n_params, ep, worst_i);
    tap_is_below(eu, 1e-6, "%s: d/d(input) (max rel %.2e)", name, eu);
    free(d_params);
    free(d_u);
    free_ctx(&c);
}

/* What a step d in a Gaussian layer's local coordinates does to a point v
 * of its base side, to first order (gaussian.c): u = mu + L v moves by
 * L (dm + dA v), so forward_theta(inverse_theta'(v)) = v + dm + dA v, with
 * dA lower triangular in the layout row r = (A_r0..A_rr) for the full kind.
 * The diagonal kind steps its raw log-scale parameter a, whose soft clip
 * s = c tanh(a / c) has slope 1 - tanh^2 (1 - 2e-4 at |a| = 0.5). */
static void local_effect(const struct fo_layer *l, const double *params, const double *d,
                         const double *v, double *out) {
    for (size_t r = 0; r < D; r++) {
        out[r] = d[r];
        double th;
        if (l->kind == FO_LAYER_GAUSSIAN_DIAG) {
            fo__softclip(params[D + r], FO_GAUSSIAN_LOG_SCALE_MAX, &th);
            out[r] += d[D + r] * (1.0 - th * th) * v[r];
        } else
            for (size_t c = 0; c <= r; c++)
                out[r] += d[D + r * (r + 1) / 2 + c] * v[c];
    }
}

/*
 * The preconditioner P of a layer with local coordinates: P^T is the
 * adjoint of P (<P a, b> = <a, P^T b>), and for the Gaussian kinds P is the
 * Jacobian of the local coordinates they document, checked by central
 * differences of the map itself. A transpose that applies L where L^T is
 * due, or a P that drifts from the coordinates, fails here.
 */
static void test_precondition(struct fo_layer *l, const char *name, struct fo_rng *rng) {
    if (!l->ops->precondition)
        return;
    const size_t P = l->n_params;
    struct lctx c = make_ctx(l, 1);
    l->ops->init_params(l, c.params, rng);
    perturb(c.params, P, rng, 0.5);
    double *a = calloc(P, sizeof(double)), *b = calloc(P, sizeof(double));
    double *pa = calloc(P, sizeof(double)), *ptb = calloc(P, sizeof(double));
    perturb(a, P, rng, 1.0);
    perturb(b, P, rng, 1.0);
    memcpy(pa, a, P * sizeof(double));
    memcpy(ptb, b, P * sizeof(double));
    l->ops->precondition(l, c.params, pa, 0);
    l->ops->precondition(l, c.params, ptb, 1);
    double lhs = 0.0, rhs = 0.0, scale = 0.0;
    for (size_t i = 0; i < P; i++) {
        lhs += pa[i] * b[i];
        rhs += a[i] * ptb[i];
        scale += fabs(pa[i] * b[i]) + fabs(a[i] * ptb[i]);
    }
    tap_is_below(fabs(lhs - rhs) / scale, 1e-12,
                 "%s: <P a, b> = <a, P^T b> (%.3g vs %.3g)", name, lhs, rhs);
    int gaussian = l->kind == FO_LAYER_GAUSSIAN_DIAG || l->kind == FO_LAYER_GAUSSIAN_FULL;
    if (gaussian) {
        struct lctx q = make_ctx(l, 1);
        double worst = 0.0, v[D], want[D], h = 1e-6;
        for (size_t d = 0; d < D; d++)
            v[d] = fo_rng_normal(rng);
        local_effect(l, c.params, a, v, want);
        double moved[2][D];
        for (int s = 0; s < 2; s++) {
            for (size_t i = 0; i < P; i++)
                q.params[i] = c.params[i] + (s ? -h : h) * pa[i];
            l->ops->inverse(l, q.params, 1, v, q.u, q.work); /* u under theta' */
            memset(c.ld, 0, sizeof(double));
            l->ops->forward(l, c.params, 1, q.u, moved[s], c.ld, c.cache, c.work);
        }
        for (size_t d = 0; d < D; d++) {
            double got = (moved[0][d] - moved[1][d]) / (2.0 * h);
            double e = fabs(got - want[d]) / (1.0 + fabs(want[d]));
            worst = e > worst ? e : worst;
        }
        tap_is_below(worst, 1e-6, "%s: P is the Jacobian of its local coordinates (%.2e)",
                     name, worst);
        free_ctx(&q);
    }
    free(a);
    free(b);
    free(pa);
    free(ptb);
    free_ctx(&c);
}

int main(void) {
    struct fo_rng rng;
    fo_rng_seed(&rng, 77);
    /* every kind there is: a new one cannot go unchecked */
    for (size_t k = 0; k < FO_N_LAYER_KINDS; k++) {
        enum fo_layer_kind kind = (enum fo_layer_kind)k;
        struct fo_flow_config cfg;
        fo_flow_config_default(&cfg, D, kind, 1);
        cfg.hidden[0] = 10;
        cfg.hidden[1] = 7;
        cfg.bins = 6;
        cfg.bound = 3.0;
        struct fo_layer l;
        struct fo_error err;
        if (fo_layer_init(&l, kind, &cfg, &err) != FO_OK)
            tap_bail("fo_layer_init: %s", err.msg);
        const char *name = fo_layer_kind_name(kind);
        test_identity(&l, name, &rng);
        test_round_trip(&l, name, &rng);
        test_logdet(&l, name, &rng);
        test_backward(&l, name, &rng);
        test_precondition(&l, name, &rng);
        fo_layer_free(&l);
    }
    return tap_done();
}
