/*
 * linear.h - a dense layer with a MADE-style connectivity mask, stored
 * without its zeros.
 *
 * N = batch, I = inputs, O = outputs. Input column c feeds exactly the
 * outputs o >= start[c] (start is non-decreasing in c for MADE with sorted
 * degrees, and all zero for an unmasked layer). Column c's weights are
 * stored contiguously at params[col_off[c] .. col_off[c+1]) for the
 * outputs start[c] .. O-1, followed by the O biases at params[bias_off].
 * Masked-out weights do not exist, so they never receive gradient.
 *
 * Forward and backward are a pair with the same argument order; backward
 * adds (+=) into d_in and d_params.
 */
#ifndef FLOWOPT_NN_LINEAR_H
#define FLOWOPT_NN_LINEAR_H

#include <stddef.h>

struct fo_linear {
    size_t n_in;     /* I */
    size_t n_out;    /* O */
    size_t *start;   /* (I) first output fed by each input */
    size_t *col_off; /* (I + 1) weight offsets within the layer */
    size_t bias_off; /* = col_off[I] */
    size_t n_params; /* weights + O biases */
};

/* Fill col_off, bias_off and n_params from start (both arrays caller-owned). */
void fo_linear_layout(struct fo_linear *l);

/*
 * out (N, O) = in (N, I) W + b, restricted to outputs [o_lo, o_hi).
 * Outputs outside the range are not written.
 */
void fo_linear_forward(double *out, const double *in, const double *params,
                       const struct fo_linear *l, size_t n, size_t o_lo, size_t o_hi);

/*
 * Given d_out (N, O): d_in (N, I) += d_out W^T (skipped when d_in is NULL),
 * d_params += gradient of weights and biases.
 */
void fo_linear_backward(double *d_in, double *d_params, const double *d_out,
                        const double *in, const double *params, const struct fo_linear *l,
                        size_t n);

#endif
