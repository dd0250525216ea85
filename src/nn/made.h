/*
 * made.h - the conditioner network: an MLP with ReLU hidden layers, either
 * masked to be autoregressive (MADE, Germain et al. 2015) or plain.
 *
 * N = batch, I = inputs, H_l = hidden sizes, B = output blocks, P = outputs
 * per block, O = B * P. In autoregressive mode I = B = D and block d
 * depends only on inputs 0 .. d-1 (block 0 is a constant). Degrees are
 * assigned in sorted order (input c has degree c + 1, hidden unit k of a
 * layer of size H has degree 1 + floor(k (D - 1) / H)), which makes every
 * mask a "suffix" mask that fo_linear stores without its zeros.
 *
 * Activation layout: acts holds layer l's post-ReLU outputs as an (N, H_l)
 * block at offset N * (H_0 + ... + H_{l-1}).
 */
#ifndef FLOWOPT_NN_MADE_H
#define FLOWOPT_NN_MADE_H

#include <stddef.h>
#include <flowopt/rng.h>
#include <flowopt/status.h>
#include "nn/linear.h"

#define FO_MADE_MAX_HIDDEN 4

struct fo_made {
    size_t n_in;                       /* I */
    size_t n_blocks;                   /* B */
    size_t per_block;                  /* P */
    size_t n_out;                      /* O = B * P */
    size_t n_hidden;                   /* number of hidden layers */
    size_t hidden[FO_MADE_MAX_HIDDEN]; /* H_l */
    size_t max_hidden;                 /* max H_l (0 without hidden layers) */
    size_t act_size;                   /* sum of H_l: activations per sample */
    struct fo_linear lin[FO_MADE_MAX_HIDDEN + 1];
    size_t lin_off[FO_MADE_MAX_HIDDEN + 1]; /* offset of each linear's parameters */
    size_t n_params;
    size_t *index_mem; /* owns every start/col_off array */
};

/*
 * Build the masks and parameter layout. autoregressive requires
 * n_in == n_blocks. On error nothing is allocated.
 */
enum fo_status fo_made_init(struct fo_made *m, size_t n_in, size_t n_blocks,
                            size_t per_block, const size_t *hidden, size_t n_hidden,
                            int autoregressive, struct fo_error *err);
void fo_made_free(struct fo_made *m);

/* Hidden weights He-uniform over each unit's true fan-in, biases and the
 * whole output layer zero, so a new conditioner outputs exactly 0. */
void fo_made_init_params(const struct fo_made *m, double *params, struct fo_rng *rng);

/* out (N, O): outputs [o_lo, o_hi) only; acts (N, act_size) filled. */
void fo_made_forward(double *out, double *acts, const double *in, const double *params,
                     const struct fo_made *m, size_t n, size_t o_lo, size_t o_hi);

/*
 * The step of an autoregressive inversion that fixes coordinate d: compute
 * only the hidden units of degree d (those of lower degree were computed by
 * the steps before and cannot change, since they see only inputs < their
 * degree) and outputs [o_lo, o_hi). Calling it for d = 0, 1, ..., D-1 on
 * one acts buffer costs one full forward pass in all, not D of them, and
 * gives bit-identical outputs.
 */
void fo_made_forward_degree(double *out, double *acts, const double *in,
                            const double *params, const struct fo_made *m, size_t n,
                            size_t d, size_t o_lo, size_t o_hi);

/*
 * d_in (N, I) += (skipped when NULL), d_params += gradients for d_out (N, O).
 * scratch: 2 * N * max_hidden doubles.
 */
void fo_made_backward(double *d_in, double *d_params, const double *d_out,
                      const double *in, const double *acts, const double *params,
                      const struct fo_made *m, size_t n, double *scratch);

#endif
