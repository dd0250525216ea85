/* linear.c - masked dense layer forward and backward; see linear.h. */
#include "nn/linear.h"
#include "core/hot.h"

/* The two kernels below are most of a flow's run time (FO_HOT); every
 * output element is summed in the same order on every clone. */

/* Four interleaved partial sums: vectorisable without reassociation, and
 * the same order (hence the same bits) on every machine. */
static inline double dot(const double *restrict a, const double *restrict b, size_t n) {
    double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
    size_t k = 0;
    for (; k + 4 <= n; k += 4) {
        s0 += a[k] * b[k];
        s1 += a[k + 1] * b[k + 1];
        s2 += a[k + 2] * b[k + 2];
        s3 += a[k + 3] * b[k + 3];
    }
    for (; k < n; k++)
        s0 += a[k] * b[k];
    return (s0 + s2) + (s1 + s3);
}

void fo_linear_layout(struct fo_linear *l) {
    size_t off = 0;
    for (size_t c = 0; c < l->n_in; c++) {
        l->col_off[c] = off;
        off += l->n_out - l->start[c];
    }
    l->col_off[l->n_in] = off;
    l->bias_off = off;
    l->n_params = off + l->n_out;
}

FO_HOT void fo_linear_forward(double *out, const double *in, const double *params,
                              const struct fo_linear *l, size_t n, size_t o_lo,
                              size_t o_hi) {
    const size_t I = l->n_in, O = l->n_out;
    const double *bias = params + l->bias_off;
    for (size_t s = 0; s < n; s++) {
        double *restrict y = out + s * O;
        const double *x = in + s * I;
        for (size_t o = o_lo; o < o_hi; o++)
            y[o] = bias[o];
        /* Column-wise axpy: each output sums in the same order whatever
         * the batch, and ReLU zeros skip whole columns. */
        for (size_t c = 0; c < I; c++) {
            const double xc = x[c];
            const size_t st = l->start[c];
            if (xc == 0.0 || st >= o_hi)
                continue;
            const size_t lo = st > o_lo ? st : o_lo;
            const double *restrict w = params + l->col_off[c] + (lo - st);
            double *restrict yy = y + lo;
            const size_t len = o_hi - lo;
            for (size_t k = 0; k < len; k++)
                yy[k] += xc * w[k];
        }
    }
}

FO_HOT void fo_linear_backward(double *d_in, double *d_params, const double *d_out,
                               const double *in, const double *params,
                               const struct fo_linear *l, size_t n) {
    const size_t I = l->n_in, O = l->n_out;
    double *d_bias = d_params + l->bias_off;
    for (size_t s = 0; s < n; s++) {
        const double *restrict g = d_out + s * O;
        const double *x = in + s * I;
        for (size_t o = 0; o < O; o++)
            d_bias[o] += g[o];
        for (size_t c = 0; c < I; c++) {
            const size_t st = l->start[c], len = O - st;
            const double *restrict w = params + l->col_off[c];
            double *restrict dw = d_params + l->col_off[c];
            const double *restrict gg = g + st;
            const double xc = x[c];
            if (d_in)
                d_in[s * I + c] += dot(w, gg, len);
            if (xc != 0.0)
                for (size_t k = 0; k < len; k++)
                    dw[k] += xc * gg[k];
        }
    }
}
