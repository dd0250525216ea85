/*
 * rqspline.h - the monotone rational-quadratic spline of Durkan, Bekasov,
 * Murray and Papamakarios, "Neural Spline Flows" (NeurIPS 2019), sec. 3.1
 * and appendix A, for one scalar, with its inverse and hand-written
 * gradients.
 *
 * K = bins on [-B, B]; identity with slope 1 outside (linear tails).
 * Raw parameters, 3K - 1 per scalar: K width logits, K height logits, K - 1
 * interior derivative logits, all multiplied by `scale` first.
 *   widths  w_k = 2B (m + (1 - K m) softmax(a_w)_k),  m = FO_RQS_MIN_BIN
 *   heights h_k likewise;   knots X_0 = -B, X_k = X_{k-1} + w_{k-1}, X_K = B
 *   derivatives D_0 = D_K = 1 (exactly), D_k = exp(c tanh(a_d / c)),
 *   c = ln(1/FO_RQS_MIN_DERIV), so D_k lies in (1e-3, 1e3) and a_d = 0
 *   gives exactly 1.
 * All-zero raw parameters give uniform bins with every derivative 1: the
 * identity, which is returned exactly (y = x, log-det 0).
 */
#ifndef FLOWOPT_FLOW_RQSPLINE_H
#define FLOWOPT_FLOW_RQSPLINE_H

#include <stddef.h>

#define FO_RQS_MAX_BINS 64
#define FO_RQS_MIN_BIN 1e-3
#define FO_RQS_MIN_DERIV 1e-3

/* Raw parameters per transformed scalar. */
#define FO_RQS_PARAMS(K) (3 * (K)-1)

struct fo_rqs {
    size_t K;
    double B;
    double scale;
    double pw[FO_RQS_MAX_BINS], ph[FO_RQS_MAX_BINS];         /* softmax probabilities */
    double w[FO_RQS_MAX_BINS], h[FO_RQS_MAX_BINS];           /* bin widths, heights */
    double xk[FO_RQS_MAX_BINS + 1], yk[FO_RQS_MAX_BINS + 1]; /* knots */
    const double *raw_d; /* the K - 1 derivative logits (borrowed from raw) */
};

/* Build bins and knots from 3K - 1 raw parameters; raw must outlive s
 * (knot derivatives are read from it on demand). */
void fo_rqs_build(struct fo_rqs *s, const double *raw, size_t K, double B, double scale);

/* D_j, j in [0, K]; OUT: *th = tanh(a_d / c) (0 at the ends) unless NULL. */
double fo_rqs_knot_deriv(const struct fo_rqs *s, size_t j, double *th);

/* y = g(x) and ld = log g'(x). */
void fo_rqs_forward(const struct fo_rqs *s, double x, double *y, double *ld);

/* x = g^{-1}(y). */
double fo_rqs_inverse(const struct fo_rqs *s, double y);

/*
 * Given g_y = dL/dy and g_ld = dL/d(ld) at x: *g_x = dL/dx, and
 * g_raw[0 .. 3K-1) += dL/d(raw).
 */
void fo_rqs_backward(const struct fo_rqs *s, double x, double g_y, double g_ld,
                     double *g_x, double *g_raw);

/* One-shot forms of forward, inverse and backward for the layers: a point
 * in a tail is handled without building the spline. */
void fo_rqs_eval(const double *raw, size_t K, double B, double scale, double x, double *y,
                 double *ld);
double fo_rqs_solve(const double *raw, size_t K, double B, double scale, double y);
void fo_rqs_grad(const double *raw, size_t K, double B, double scale, double x,
                 double g_y, double g_ld, double *g_x, double *g_raw);

#endif
