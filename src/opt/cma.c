/* cma.c - CMA adaptation of the innermost Gaussian; see cma.h. D = dim. */
#include "opt/cma.h"
#include "opt/engine_internal.h"
#include "opt/utility.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void fo__cma_rates(size_t D, size_t lambda, struct fo_cma_rates *r) {
    const double n = (double)D;
    r->mu = lambda / 2 ? lambda / 2 : 1;
    r->w_top = log((double)(lambda + 1) / 2.0);
    double sum = 0.0, sq = 0.0;
    for (size_t i = 1; i <= r->mu; i++) {
        double w = r->w_top - log((double)i);
        sum += w;
        sq += w * w;
    }
    r->w_sum = sum;
    r->mu_eff = sum * sum / sq;
    const double me = r->mu_eff;
    r->c_s = (me + 2.0) / (n + me + 5.0);
    r->d_s = 1.0 + 2.0 * fmax(0.0, sqrt((me - 1.0) / (n + 1.0)) - 1.0) + r->c_s;
    r->c_c = (4.0 + me / n) / (n + 4.0 + 2.0 * me / n);
    r->c_1 = 2.0 / ((n + 1.3) * (n + 1.3) + me);
    r->c_mu =
        fmin(1.0 - r->c_1, 2.0 * (me - 2.0 + 1.0 / me) / ((n + 2.0) * (n + 2.0) + me));
    r->chi_d = sqrt(n) * (1.0 - 1.0 / (4.0 * n) + 1.0 / (21.0 * n * n));
    double nsum = 0.0, nsq = 0.0;
    for (size_t i = r->mu + 1; i <= lambda; i++) {
        double w = r->w_top - log((double)i);
        nsum += w;
        nsq += w * w;
    }
    r->mu_eff_neg = nsq > 0.0 ? nsum * nsum / nsq : 0.0;
    double a_mu = 1.0 + r->c_1 / r->c_mu;
    double a_eff = 1.0 + 2.0 * r->mu_eff_neg / (me + 2.0);
    double a_posdef = (1.0 - r->c_1 - r->c_mu) / (n * r->c_mu);
    r->neg_total = nsq > 0.0 ? fmin(a_mu, fmin(a_eff, a_posdef)) : 0.0;
    r->w_neg = nsq > 0.0 ? r->neg_total / -nsum : 0.0; /* nsum < 0 */
}

/* M = c_mu sum w'_i z_i z_i^T over the ranked samples (the best mu; all
 * lambda when active). Returns the sum of the weights used. */
static double rank_mu(size_t D, const double *z_all, const size_t *order,
                      const struct fo_cma_rates *r, size_t lambda, int active,
                      double *M) {
    memset(M, 0, D * D * sizeof(double));
    double total = 0.0;
    for (size_t k = 0; k < lambda && (active || k < r->mu); k++) {
        double w = r->w_top - log((double)(k + 1)), wo;
        const double *z = z_all + order[k] * D;
        if (k < r->mu) {
            w /= r->w_sum;
            wo = w;
        } else { /* the sum counts w, the outer product w D / |z|^2 */
            double zz = 0.0;
            for (size_t a = 0; a < D; a++)
                zz += z[a] * z[a];
            w *= r->w_neg;
            wo = zz > 0.0 ? w * (double)D / zz : 0.0;
        }
        total += w;
        for (size_t a = 0; a < D; a++)
            for (size_t b = 0; b < D; b++)
                M[a * D + b] += r->c_mu * wo * z[a] * z[b];
    }
    return total;
}

void fo__cma_reset(struct fo_engine *e) {
    memset(e->cma_ps, 0, e->D * sizeof(double));
    memset(e->cma_pc, 0, e->D * sizeof(double));
    e->cma_sigma = 1.0;
    e->cma_gen = 0;
}

int fo__cholesky(double *M, size_t D) {
    for (size_t j = 0; j < D; j++) {
        double d = M[j * D + j];
        for (size_t k = 0; k < j; k++)
            d -= M[j * D + k] * M[j * D + k];
        if (!(d > 0.0))
            return -1;
        M[j * D + j] = sqrt(d);
        for (size_t i = j + 1; i < D; i++) {
            double s = M[i * D + j];
            for (size_t k = 0; k < j; k++)
                s -= M[i * D + k] * M[j * D + k];
            M[i * D + j] = s / M[j * D + j];
        }
        for (size_t k = j + 1; k < D; k++)
            M[j * D + k] = 0.0;
    }
    return 0;
}

/* Indices of the current generation's samples, best first. OUT: order;
 * returns lambda. */
static size_t ranked(const struct fo_engine *e, size_t n, size_t *order) {
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (e->u_cur[i] & 1)
            order[m++] = i;
    fo__order_desc(e->u_fit, order, m);
    return m;
}

int fo__cma_adapt(struct fo_cma_gaussian *g, const double *z, const size_t *order,
                  size_t lambda, int active, double *L_new, double *work) {
    const size_t D = g->D;
    struct fo_cma_rates r;
    fo__cma_rates(D, lambda, &r);
    double *mu = g->mu, *ps = g->ps, *pc = g->pc;
    const double *L = g->L;
    double *M = work, *y = M + D * D, *Ay = y + D, *q = Ay + D;
    /* y = sum w z over the best mu */
    memset(y, 0, D * sizeof(double));
    for (size_t k = 0; k < r.mu && k < lambda; k++) {
        double w = (r.w_top - log((double)(k + 1))) / r.w_sum;
        const double *zk = z + order[k] * D;
        for (size_t a = 0; a < D; a++)
            y[a] += w * zk[a];
    }
    const double sigma = g->sigma;
    /* A = L / sigma; Ay and the mean step L y */
    for (size_t a = 0; a < D; a++) {
        double acc = 0.0;
        for (size_t b = 0; b <= a; b++)
            acc += L[a * D + b] * y[b];
        Ay[a] = acc / sigma;
        mu[a] += acc;
    }
    double ps2 = 0.0;
    const double cs_norm = sqrt(r.c_s * (2.0 - r.c_s) * r.mu_eff);
    for (size_t a = 0; a < D; a++) {
        ps[a] = (1.0 - r.c_s) * ps[a] + cs_norm * y[a];
        ps2 += ps[a] * ps[a];
    }
    g->gen++;
    const double ps_len = sqrt(ps2);
    const double corr = sqrt(1.0 - pow(1.0 - r.c_s, 2.0 * (double)g->gen));
    const int h_s = ps_len / corr < (1.4 + 2.0 / ((double)D + 1.0)) * r.chi_d;
    const double cc_norm = sqrt(r.c_c * (2.0 - r.c_c) * r.mu_eff);
    for (size_t a = 0; a < D; a++)
        pc[a] = (1.0 - r.c_c) * pc[a] + (h_s ? cc_norm * Ay[a] : 0.0);
    /* q = A^-1 p_c by forward substitution */
    for (size_t a = 0; a < D; a++) {
        double s = pc[a];
        for (size_t b = 0; b < a; b++)
            s -= L[a * D + b] / sigma * q[b];
        q[a] = s / (L[a * D + a] / sigma);
    }
    active = active && lambda > r.mu;
    for (;;) {
        double wsum = rank_mu(D, z, order, &r, lambda, active, M);
        const double keep =
            1.0 - r.c_1 - r.c_mu * wsum + (h_s ? 0.0 : r.c_1 * r.c_c * (2.0 - r.c_c));
        for (size_t a = 0; a < D; a++)
            for (size_t b = 0; b < D; b++)
                M[a * D + b] += (a == b ? keep : 0.0) + r.c_1 * q[a] * q[b];
        if (fo__cholesky(M, D) == 0)
            break;
        if (!active)
            return -1;
        active = 0; /* the negative part made M indefinite: without it */
    }
    const double grow = exp(fmin(1.0, (r.c_s / r.d_s) * (ps_len / r.chi_d - 1.0)));
    /* L' = sigma' A chol(M) = grow L chol(M), both lower triangular */
    for (size_t a = 0; a < D; a++)
        for (size_t b = 0; b < D; b++) {
            double acc = 0.0;
            for (size_t k = b; k <= a; k++)
                acc += L[a * D + k] * M[k * D + b];
            L_new[a * D + b] = b <= a ? grow * acc : 0.0;
        }
    if (!fo__all_finite(mu, D) || !fo__all_finite(L_new, D * D))
        return -1;
    g->sigma = sigma * grow;
    return 0;
}

int fo__cma_step(struct fo_engine *e, size_t n) {
    const size_t D = e->D, G = fo_flow_n_layers(e->flow) - 1;
    size_t lambda = ranked(e, n, e->u_order);
    if (lambda < 2)
        return 0;
    double *mu = e->cma_work, *L = mu + D, *L_new = L + D * D, *work = L_new + D * D;
    if (fo_flow_gaussian_get(e->flow, G, mu, L, NULL) != FO_OK)
        return -1;
    struct fo_cma_gaussian g = {D, mu, L, e->cma_ps, e->cma_pc, e->cma_sigma, e->cma_gen};
    int rc = fo__cma_adapt(&g, e->cma_z, e->u_order, lambda, e->cfg.opt.cma_active, L_new,
                           work);
    e->cma_gen = g.gen; /* the paths moved even when the step is refused */
    if (rc != 0 || fo_flow_gaussian_set(e->flow, G, mu, L_new, NULL) != FO_OK)
        return -1;
    e->cma_sigma = g.sigma;
    return 0;
}
