/* made.c - masked or plain MLP conditioner; see made.h. */
#include "nn/made.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Degree of hidden unit k in a layer of h units, for D inputs. */
static size_t degree(size_t k, size_t h, size_t d) {
    return d > 1 ? 1 + (k * (d - 1)) / h : 1;
}

/* First unit of a layer of h units whose degree is >= want (h if none). */
static size_t first_with_degree(size_t want, size_t h, size_t d) {
    size_t k = 0;
    while (k < h && degree(k, h, d) < want)
        k++;
    return k;
}

/* Fill start[] for linear layer l (0 = from the inputs). */
static void fill_starts(struct fo_made *m, size_t l, int ar) {
    struct fo_linear *lin = &m->lin[l];
    size_t D = m->n_in;
    for (size_t c = 0; c < lin->n_in; c++) {
        if (!ar) {
            lin->start[c] = 0;
            continue;
        }
        size_t in_degree = l == 0 ? c + 1 : degree(c, m->hidden[l - 1], D);
        if (l == m->n_hidden) /* to the outputs: block b needs b + 1 > degree */
            lin->start[c] = in_degree * m->per_block;
        else
            lin->start[c] = first_with_degree(in_degree, m->hidden[l], D);
        if (lin->start[c] > lin->n_out)
            lin->start[c] = lin->n_out;
    }
}

enum fo_status fo_made_init(struct fo_made *m, size_t n_in, size_t n_blocks,
                            size_t per_block, const size_t *hidden, size_t n_hidden,
                            int autoregressive, struct fo_error *err) {
    memset(m, 0, sizeof *m);
    if (n_hidden > FO_MADE_MAX_HIDDEN)
        return fo_error_set(err, FO_ERANGE, "hidden", "at most %d hidden layers",
                            FO_MADE_MAX_HIDDEN);
    if (autoregressive && n_in != n_blocks)
        return fo_error_set(err, FO_EINVAL, "hidden", "MADE needs one block per input");
    m->n_in = n_in;
    m->n_blocks = n_blocks;
    m->per_block = per_block;
    m->n_out = n_blocks * per_block;
    m->n_hidden = n_hidden;
    size_t total_in = 0;
    for (size_t l = 0; l <= n_hidden; l++) {
        size_t in = l == 0 ? n_in : hidden[l - 1];
        if (l < n_hidden) {
            if (hidden[l] == 0)
                return fo_error_set(err, FO_ERANGE, "hidden",
                                    "hidden sizes must be >= 1");
            m->hidden[l] = hidden[l];
            m->act_size += hidden[l];
            if (hidden[l] > m->max_hidden)
                m->max_hidden = hidden[l];
        }
        m->lin[l].n_in = in;
        m->lin[l].n_out = l < n_hidden ? hidden[l] : m->n_out;
        total_in += 2 * in + 1;
    }
    m->index_mem = calloc(total_in ? total_in : 1, sizeof *m->index_mem);
    if (!m->index_mem)
        return fo_error_set(err, FO_ENOMEM, NULL,
                            "out of memory building the conditioner");
    size_t *p = m->index_mem, off = 0;
    for (size_t l = 0; l <= n_hidden; l++) {
        struct fo_linear *lin = &m->lin[l];
        lin->start = p;
        lin->col_off = p + lin->n_in;
        p += 2 * lin->n_in + 1;
        fill_starts(m, l, autoregressive);
        fo_linear_layout(lin);
        m->lin_off[l] = off;
        off += lin->n_params;
    }
    m->n_params = off;
    return FO_OK;
}

void fo_made_free(struct fo_made *m) {
    free(m->index_mem);
    m->index_mem = NULL;
}

/* Unit o of lin is fed by the inputs whose start is <= o. */
static double he_bound(const struct fo_linear *lin, size_t o) {
    size_t fan_in = 0;
    for (size_t c = 0; c < lin->n_in; c++)
        fan_in += lin->start[c] <= o;
    return fan_in ? sqrt(6.0 / (double)fan_in) : 0.0;
}

void fo_made_init_params(const struct fo_made *m, double *params, struct fo_rng *rng) {
    memset(params, 0, m->n_params * sizeof *params);
    for (size_t l = 0; l < m->n_hidden; l++) {
        const struct fo_linear *lin = &m->lin[l];
        double *w = params + m->lin_off[l];
        /* Draw unit by unit so the values do not depend on storage order. */
        for (size_t o = 0; o < lin->n_out; o++) {
            double bound = he_bound(lin, o);
            for (size_t c = 0; c < lin->n_in; c++)
                if (lin->start[c] <= o)
                    w[lin->col_off[c] + (o - lin->start[c])] =
                        bound * (2.0 * fo_rng_uniform(rng) - 1.0);
        }
    }
}

void fo_made_forward(double *out, double *acts, const double *in, const double *params,
                     const struct fo_made *m, size_t n, size_t o_lo, size_t o_hi) {
    const double *x = in;
    double *a = acts;
    for (size_t l = 0; l < m->n_hidden; l++) {
        const struct fo_linear *lin = &m->lin[l];
        fo_linear_forward(a, x, params + m->lin_off[l], lin, n, 0, lin->n_out);
        for (size_t i = 0; i < n * lin->n_out; i++)
            a[i] = a[i] < 0.0 ? 0.0 : a[i]; /* NaN stays NaN for the guards */
        x = a;
        a += n * lin->n_out;
    }
    fo_linear_forward(out, x, params + m->lin_off[m->n_hidden], &m->lin[m->n_hidden], n,
                      o_lo, o_hi);
}

void fo_made_forward_degree(double *out, double *acts, const double *in,
                            const double *params, const struct fo_made *m, size_t n,
                            size_t d, size_t o_lo, size_t o_hi) {
    const double *x = in;
    double *a = acts;
    for (size_t l = 0; l < m->n_hidden; l++) {
        const struct fo_linear *lin = &m->lin[l];
        const size_t H = lin->n_out;
        if (d >= 1) {
            size_t k_lo = first_with_degree(d, H, m->n_in);
            size_t k_hi = first_with_degree(d + 1, H, m->n_in);
            fo_linear_forward(a, x, params + m->lin_off[l], lin, n, k_lo, k_hi);
            for (size_t i = 0; i < n; i++)
                for (size_t k = k_lo; k < k_hi; k++)
                    a[i * H + k] = a[i * H + k] < 0.0 ? 0.0 : a[i * H + k];
        }
        x = a;
        a += n * H;
    }
    fo_linear_forward(out, x, params + m->lin_off[m->n_hidden], &m->lin[m->n_hidden], n,
                      o_lo, o_hi);
}

void fo_made_backward(double *d_in, double *d_params, const double *d_out,
                      const double *in, const double *acts, const double *params,
                      const struct fo_made *m, size_t n, double *scratch) {
    double *d_a = scratch, *d_next = scratch + n * m->max_hidden;
    const double *g = d_out;
    size_t act_end = m->act_size * n;
    for (size_t l = m->n_hidden + 1; l-- > 0;) {
        const struct fo_linear *lin = &m->lin[l];
        const double *x = in;
        double *dx = d_in;
        if (l > 0) {
            act_end -= n * lin->n_in;
            x = acts + act_end;
            dx = d_a;
            memset(dx, 0, n * lin->n_in * sizeof *dx);
        }
        fo_linear_backward(dx, d_params + m->lin_off[l], g, x, params + m->lin_off[l],
                           lin, n);
        if (l > 0) {
            /* ReLU: the gradient passes where the activation was positive. */
            for (size_t i = 0; i < n * lin->n_in; i++)
                if (x[i] <= 0.0)
                    dx[i] = 0.0;
            g = dx;
            double *t = d_a;
            d_a = d_next;
            d_next = t;
        }
    }
}
