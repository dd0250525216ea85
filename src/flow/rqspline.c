/*
 * rqspline.c - rational-quadratic spline forward, inverse and backward;
 * see rqspline.h for the parameterisation.
 *
 * Within bin k, with xi = (x - X_k) / w_k, s = h_k / w_k, A = xi (1 - xi):
 *   N   = s xi^2 + D_k A                               (numerator / h_k)
 *   Den = s + (D_{k+1} + D_k - 2 s) A
 *   y   = Y_k + h_k N / Den                            (Durkan et al. eq. 4)
 *   T   = D_{k+1} xi^2 + 2 s A + D_k (1 - xi)^2
 *   ld  = 2 ln s + ln T - 2 ln Den                     (eq. 5)
 * The inverse solves a xi^2 + b xi + c = 0 with the stable root
 * xi = 2c / (-b - sqrt(b^2 - 4ac)) (appendix A, eqs. 6-8).
 */
#include "flow/rqspline.h"
#include "core/fastexp.h"
#include "core/hot.h"

#include <math.h>

/* Every spline evaluation starts with two of these: the exponentials run
 * vectorised (fastexp.h), the sum in index order on every clone. */
FO_HOT static void softmax(double *restrict p, const double *restrict a, size_t K,
                           double scale) {
    double mx = a[0] * scale;
    for (size_t k = 1; k < K; k++)
        if (a[k] * scale > mx)
            mx = a[k] * scale;
    for (size_t k = 0; k < K; k++)
        p[k] = fo__exp_nonpos(a[k] * scale - mx);
    double sum = 0.0;
    for (size_t k = 0; k < K; k++)
        sum += p[k];
    for (size_t k = 0; k < K; k++)
        p[k] /= sum;
}

/* c = ln(1 / FO_RQS_MIN_DERIV), as a literal: a log per build showed in profiles. */
#define DERIV_CLIP 6.907755278982137
#ifndef __clang__ /* clang folds only integer constants here; gcc builds check it */
_Static_assert(FO_RQS_MIN_DERIV == 1e-3, "DERIV_CLIP is ln(1 / FO_RQS_MIN_DERIV)");
#endif

void fo_rqs_build(struct fo_rqs *s, const double *raw, size_t K, double B, double scale) {
    const double span = 2.0 * B * (1.0 - (double)K * FO_RQS_MIN_BIN);
    s->K = K;
    s->B = B;
    s->scale = scale;
    softmax(s->pw, raw, K, scale);
    softmax(s->ph, raw + K, K, scale);
    s->xk[0] = s->yk[0] = -B;
    for (size_t k = 0; k < K; k++) {
        s->w[k] = 2.0 * B * FO_RQS_MIN_BIN + span * s->pw[k];
        s->h[k] = 2.0 * B * FO_RQS_MIN_BIN + span * s->ph[k];
        s->xk[k + 1] = s->xk[k] + s->w[k];
        s->yk[k + 1] = s->yk[k] + s->h[k];
    }
    /* The last knots are pinned so rounding never moves the interval. */
    s->xk[K] = s->yk[K] = B;
    s->w[K - 1] = B - s->xk[K - 1];
    s->h[K - 1] = B - s->yk[K - 1];
    s->raw_d = raw + 2 * K;
}

/* A point meets the derivatives at its bin's two knots only: they are
 * computed on demand, two of the K - 1 tanh/exp pairs per evaluation. */
double fo_rqs_knot_deriv(const struct fo_rqs *s, size_t j, double *th) {
    double t = j == 0 || j == s->K ? 0.0 : tanh(s->raw_d[j - 1] * s->scale / DERIV_CLIP);
    if (th)
        *th = t;
    return t == 0.0 ? 1.0 : exp(DERIV_CLIP * t);
}

/* Largest k in [0, K) with knots[k] <= v. */
static size_t find_bin(const double *knots, size_t K, double v) {
    size_t lo = 0, hi = K; /* knots[lo] <= v < knots[hi] */
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (knots[mid] <= v)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

static int is_unit_slope(const struct fo_rqs *s, size_t k, double dk, double dk1) {
    return s->h[k] == s->w[k] && dk == 1.0 && dk1 == 1.0;
}

void fo_rqs_forward(const struct fo_rqs *s, double x, double *y, double *ld) {
    if (!(x >= -s->B && x <= s->B)) {
        *y = x;
        *ld = 0.0;
        return;
    }
    size_t k = find_bin(s->xk, s->K, x);
    double dk = fo_rqs_knot_deriv(s, k, NULL), dk1 = fo_rqs_knot_deriv(s, k + 1, NULL);
    if (is_unit_slope(s, k, dk, dk1)) { /* exactly linear: no rounding from the general
                                           form */
        *y = x + (s->yk[k] - s->xk[k]);
        *ld = 0.0;
        return;
    }
    double w = s->w[k], h = s->h[k];
    double xi = (x - s->xk[k]) / w;
    xi = xi < 0.0 ? 0.0 : (xi > 1.0 ? 1.0 : xi);
    double sl = h / w, A = xi * (1.0 - xi);
    double num = sl * xi * xi + dk * A;
    double den = sl + (dk1 + dk - 2.0 * sl) * A;
    double T = dk1 * xi * xi + 2.0 * sl * A + dk * (1.0 - xi) * (1.0 - xi);
    *y = s->yk[k] + h * num / den;
    *ld = log(sl * sl * T / (den * den)); /* one log: 2 ln s + ln T - 2 ln Den */
}

double fo_rqs_inverse(const struct fo_rqs *s, double y) {
    if (!(y >= -s->B && y <= s->B))
        return y;
    size_t k = find_bin(s->yk, s->K, y);
    double dk = fo_rqs_knot_deriv(s, k, NULL), dk1 = fo_rqs_knot_deriv(s, k + 1, NULL);
    if (is_unit_slope(s, k, dk, dk1))
        return y - (s->yk[k] - s->xk[k]);
    double w = s->w[k], h = s->h[k];
    double sl = h / w, dy = y - s->yk[k];
    double q = dk1 + dk - 2.0 * sl;
    double a = h * (sl - dk) + dy * q;
    double b = h * dk - dy * q;
    double c = -sl * dy;
    double disc = b * b - 4.0 * a * c;
    double xi = 2.0 * c / (-b - sqrt(disc > 0.0 ? disc : 0.0));
    xi = xi < 0.0 ? 0.0 : (xi > 1.0 ? 1.0 : xi);
    return s->xk[k] + xi * w;
}

/* dL/d(raw logits) of a softmax-parameterised set of sizes, added to g_raw. */
static void sizes_backward(const double *p, const double *g_size, size_t K, double B,
                           double scale, double *g_raw) {
    const double span = 2.0 * B * (1.0 - (double)K * FO_RQS_MIN_BIN);
    double dot = 0.0;
    for (size_t j = 0; j < K; j++)
        dot += p[j] * g_size[j];
    for (size_t i = 0; i < K; i++)
        g_raw[i] += scale * span * p[i] * (g_size[i] - dot);
}

void fo_rqs_backward(const struct fo_rqs *s, double x, double g_y, double g_ld,
                     double *g_x, double *g_raw) {
    const size_t K = s->K;
    if (!(x >= -s->B && x <= s->B)) {
        *g_x = g_y;
        return;
    }
    size_t k = find_bin(s->xk, K, x);
    double th_k, th_k1;
    double dk = fo_rqs_knot_deriv(s, k, &th_k), dk1 = fo_rqs_knot_deriv(s, k + 1, &th_k1);
    double w = s->w[k], h = s->h[k];
    double xi = (x - s->xk[k]) / w;
    xi = xi < 0.0 ? 0.0 : (xi > 1.0 ? 1.0 : xi);
    double sl = h / w, A = xi * (1.0 - xi), dA = 1.0 - 2.0 * xi;
    double q = dk1 + dk - 2.0 * sl;
    double num = sl * xi * xi + dk * A;
    double den = sl + q * A;
    double T = dk1 * xi * xi + 2.0 * sl * A + dk * (1.0 - xi) * (1.0 - xi);
    double den2 = den * den;

    /* Partial derivatives of y and ld (as functions of xi, s, h, D_k, D_k+1). */
    double y_xi = h * ((2.0 * sl * xi + dk * dA) * den - num * q * dA) / den2;
    double y_s = h * (xi * xi * den - num * (1.0 - 2.0 * A)) / den2;
    double y_h = num / den;
    double y_dk = h * A * (den - num) / den2;
    double y_dk1 = -h * num * A / den2;
    double l_xi =
        (2.0 * dk1 * xi + 2.0 * sl * dA - 2.0 * dk * (1.0 - xi)) / T - 2.0 * q * dA / den;
    double l_s = 2.0 / sl + 2.0 * A / T - 2.0 * (1.0 - 2.0 * A) / den;
    double l_dk = (1.0 - xi) * (1.0 - xi) / T - 2.0 * A / den;
    double l_dk1 = xi * xi / T - 2.0 * A / den;

    double g_xi = g_y * y_xi + g_ld * l_xi;
    double g_s = g_y * y_s + g_ld * l_s;
    /* xi = (x - X_k) / w and s = h / w. */
    *g_x = g_xi / w;
    double g_w[FO_RQS_MAX_BINS] = {0}, g_h[FO_RQS_MAX_BINS] = {0};
    g_w[k] += -g_xi * xi / w - g_s * sl / w;
    g_h[k] += g_y * y_h + g_s / w;
    /* X_k = -B + sum_{j<k} w_j, Y_k likewise (only for k < K). */
    double g_X = -g_xi / w, g_Y = g_y;
    for (size_t j = 0; j < k; j++) {
        g_w[j] += g_X;
        g_h[j] += g_Y;
    }
    /* The last width and height are B - X_{K-1}: their gradient flows to
     * the others through the pinned knot. */
    if (k == K - 1) {
        double gw_last = g_w[K - 1], gh_last = g_h[K - 1];
        g_w[K - 1] = g_h[K - 1] = 0.0;
        for (size_t j = 0; j + 1 < K; j++) {
            g_w[j] -= gw_last;
            g_h[j] -= gh_last;
        }
    }
    sizes_backward(s->pw, g_w, K, s->B, s->scale, g_raw);
    sizes_backward(s->ph, g_h, K, s->B, s->scale, g_raw + K);
    /* D_j = exp(c tanh(scale a / c)): dD/da = D (1 - tanh^2) scale. */
    double g_dk = g_y * y_dk + g_ld * l_dk, g_dk1 = g_y * y_dk1 + g_ld * l_dk1;
    if (k >= 1)
        g_raw[2 * K + k - 1] += g_dk * dk * (1.0 - th_k * th_k) * s->scale;
    if (k + 1 <= K - 1)
        g_raw[2 * K + k] += g_dk1 * dk1 * (1.0 - th_k1 * th_k1) * s->scale;
}

/* The tails are the identity: no spline is built for a point there. */
static int in_tail(double B, double v) {
    return !(v >= -B && v <= B);
}

void fo_rqs_eval(const double *raw, size_t K, double B, double scale, double x, double *y,
                 double *ld) {
    if (in_tail(B, x)) {
        *y = x;
        *ld = 0.0;
        return;
    }
    struct fo_rqs s;
    fo_rqs_build(&s, raw, K, B, scale);
    fo_rqs_forward(&s, x, y, ld);
}

double fo_rqs_solve(const double *raw, size_t K, double B, double scale, double y) {
    if (in_tail(B, y))
        return y;
    struct fo_rqs s;
    fo_rqs_build(&s, raw, K, B, scale);
    return fo_rqs_inverse(&s, y);
}

void fo_rqs_grad(const double *raw, size_t K, double B, double scale, double x,
                 double g_y, double g_ld, double *g_x, double *g_raw) {
    if (in_tail(B, x)) {
        *g_x = g_y;
        return;
    }
    struct fo_rqs s;
    fo_rqs_build(&s, raw, K, B, scale);
    fo_rqs_backward(&s, x, g_y, g_ld, g_x, g_raw);
}
