/* linear.c - masked dense layer forward and backward; see linear.h. */
#include "nn/linear.h"

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

void fo_linear_forward(double *out, const double *in, const double *params,
                       const struct fo_linear *l, size_t n, size_t o_lo, size_t o_hi) {
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

void fo_linear_backward(double *d_in, double *d_params, const double *d_out,
                        const double *in, const double *params, const struct fo_linear *l,
                        size_t n) {
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
            if (d_in) {
                double acc = 0.0;
                for (size_t k = 0; k < len; k++)
                    acc += w[k] * gg[k];
                d_in[s * I + c] += acc;
            }
            if (xc != 0.0)
                for (size_t k = 0; k < len; k++)
                    dw[k] += xc * gg[k];
        }
    }
}
