/*
 * cma.h - the innermost gaussian-full layer adapted as CMA-ES adapts its
 * Gaussian (optimizer kind "cma"; Hansen, "The CMA Evolution Strategy: A
 * Tutorial", arXiv:1604.00772, with the Cholesky factor of Krause, Arbonès
 * and Igel 2016 in place of an eigendecomposition). The layer maps base
 * noise z to u = mu + L z with L = sigma A; one generation of lambda told
 * samples, best first, with z_i their base points:
 *   weights     w_i = ln((lambda + 1) / 2) - ln i for the best mu = lambda / 2,
 *               normalised; mu_eff = 1 / sum w_i^2
 *   mean        mu' = mu + L y,  y = sum w_i z_i           (c_m = 1)
 *   CSA         p_s' = (1 - c_s) p_s + sqrt(c_s (2 - c_s) mu_eff) y
 *               sigma' = sigma exp(min(1, (c_s / d_s) (|p_s'| / E|N(0, I)| - 1)))
 *   rank one    p_c' = (1 - c_c) p_c + h_s sqrt(c_c (2 - c_c) mu_eff) A y,  q = A^-1 p_c'
 *   rank mu     M = (1 - c_1 - c_mu sum w + c_1 (1 - h_s) c_c (2 - c_c)) I
 *                   + c_1 q q^T + c_mu sum w'_i z_i z_i^T,  A' = A chol(M)
 *   active      (optimizer.cma_active) the worse half takes negative weights,
 *               w'_i = w_i D / |z_i|^2 for those, the sum over all lambda;
 *               without it only the best mu count, sum w = 1. Should the
 *               negative part leave M indefinite, the step is taken without it
 * with the learning rates of the tutorial's table 1 as functions of D and
 * lambda. The spline layers outside keep their REINFORCE step.
 */
#ifndef FLOWOPT_OPT_CMA_H
#define FLOWOPT_OPT_CMA_H

#include <stddef.h>
#include <stdint.h>

struct fo_engine;

/* The learning rates for dimension D and lambda samples; the i-th best
 * (from 0) has recombination weight (ln((lambda + 1) / 2) - ln(i + 1)) / w_sum. */
struct fo_cma_rates {
    double mu_eff, c_s, d_s, c_c, c_1, c_mu, chi_d;
    double w_top, w_sum; /* ln((lambda + 1) / 2), and the normaliser */
    size_t mu;
    /* active CMA: the i-th (from mu) takes (ln((lambda + 1) / 2) - ln(i + 1))
     * w_neg, negative; their sum is -neg_total = -min(alpha_mu, alpha_mu_eff,
     * alpha_posdef) (the tutorial's eq. 53) */
    double mu_eff_neg, w_neg, neg_total;
};
void fo__cma_rates(size_t D, size_t lambda, struct fo_cma_rates *out);

/* In-place lower Cholesky factor of the symmetric positive M (D, D), its
 * upper triangle zeroed. Returns -1 when M is not positive definite. */
int fo__cholesky(double *M, size_t D);

/* A Gaussian u = mu + L z under CMA adaptation, L = sigma A: its state. */
struct fo_cma_gaussian {
    size_t D;
    double *mu;      /* (D) moved in place */
    const double *L; /* (D, D) lower triangular, read */
    double *ps, *pc; /* (D) the paths, moved in place */
    double sigma;    /* the step size: set only when the step is taken */
    uint64_t gen;    /* generations adapted: counts every attempt */
};

/*
 * One CMA generation of g from lambda samples with base points z (lambda,
 * D), order (lambda) their indices best first; active: negative weights
 * for the worse half. OUT: L_new (D, D). Scratch: work (D^2 + 3 D). Returns
 * 0, or -1 when the result is not finite (g->sigma then unchanged, mu and
 * the paths moved: the caller holds mu in a copy).
 */
int fo__cma_adapt(struct fo_cma_gaussian *g, const double *z, const size_t *order,
                  size_t lambda, int active, double *L_new, double *work);

/*
 * One CMA update of the engine's innermost Gaussian from the n gathered
 * samples: those of the current generation (u_cur), ranked by u_fit, with
 * their base points in e->cma_z. Returns 0, or -1 when the result is not
 * finite (the layer is then unchanged).
 */
int fo__cma_step(struct fo_engine *e, size_t n);

/* A fresh state: sigma 1, both paths zero (create and restarts). */
void fo__cma_reset(struct fo_engine *e);

#endif
