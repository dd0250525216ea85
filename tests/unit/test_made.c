/*
 * test_made.c - the conditioner: autoregressive masks hold, and the
 * backward pass (to parameters and inputs) matches finite differences.
 */
#include "gradcheck.h"
#include "nn/made.h"
#include "tap.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define N 3

struct ctx {
    struct fo_made *m;
    double *params, *in, *out, *acts, *coef;
};

/* L = sum of coef * out: a random linear read-out of every output. */
static double loss(void *p) {
    struct ctx *c = p;
    fo_made_forward(c->out, c->acts, c->in, c->params, c->m, N, 0, c->m->n_out);
    double L = 0.0;
    for (size_t i = 0; i < N * c->m->n_out; i++)
        L += c->coef[i] * c->out[i];
    return L;
}

static void randomize(double *x, size_t n, struct fo_rng *rng, double sd) {
    for (size_t i = 0; i < n; i++)
        x[i] = sd * fo_rng_normal(rng);
}

static void check(const char *what, size_t D, size_t blocks, size_t P,
                  const size_t *hidden, size_t n_hidden, int ar, struct fo_rng *rng) {
    struct fo_made m;
    struct fo_error err;
    if (fo_made_init(&m, D, blocks, P, hidden, n_hidden, ar, &err) != FO_OK)
        tap_bail("fo_made_init: %s", err.msg);
    struct ctx c = {&m,
                    calloc(m.n_params, sizeof(double)),
                    calloc(N * D + 1, sizeof(double)),
                    calloc(N * m.n_out, sizeof(double)),
                    calloc(N * m.act_size + 1, sizeof(double)),
                    calloc(N * m.n_out, sizeof(double))};
    fo_made_init_params(&m, c.params, rng);
    double zero_out = 0.0;
    randomize(c.in, N * D, rng, 1.0);
    fo_made_forward(c.out, c.acts, c.in, c.params, &m, N, 0, m.n_out);
    for (size_t i = 0; i < N * m.n_out; i++)
        zero_out += fabs(c.out[i]);
    tap_ok(zero_out == 0.0, "%s: a new conditioner outputs exactly 0", what);

    randomize(c.params, m.n_params, rng, 0.5);
    randomize(c.coef, N * m.n_out, rng, 1.0);
    if (ar) {
        /* Changing input j must leave blocks 0..j untouched. */
        double *base = malloc(N * m.n_out * sizeof(double));
        loss(&c);
        memcpy(base, c.out, N * m.n_out * sizeof(double));
        int masked = 1, used = 0;
        for (size_t j = 0; j < D; j++) {
            double keep = c.in[j];
            c.in[j] += 0.7;
            loss(&c);
            for (size_t o = 0; o < m.n_out; o++) {
                if (o / P <= j)
                    masked &= c.out[o] == base[o];
                else
                    used |= c.out[o] != base[o];
            }
            c.in[j] = keep;
        }
        tap_ok(masked, "%s: block d depends on inputs < d only", what);
        tap_ok(used || D == 1, "%s: later blocks do depend on earlier inputs", what);
        free(base);
    }
    /* Partial forward equals the matching slice of the full forward. */
    loss(&c);
    double *part = calloc(N * m.n_out, sizeof(double));
    size_t lo = m.n_out / 3, hi = 2 * m.n_out / 3 + 1;
    fo_made_forward(part, c.acts, c.in, c.params, &m, N, lo, hi);
    int same = 1;
    for (size_t i = 0; i < N; i++)
        for (size_t o = lo; o < hi; o++)
            same &= part[i * m.n_out + o] == c.out[i * m.n_out + o];
    tap_ok(same, "%s: a partial forward matches the full one", what);
    free(part);

    double *d_params = calloc(m.n_params, sizeof(double));
    double *d_in = calloc(N * D + 1, sizeof(double));
    double *scratch = calloc(2 * N * m.max_hidden + 1, sizeof(double));
    loss(&c);
    fo_made_backward(d_in, d_params, c.coef, c.in, c.acts, c.params, &m, N, scratch);
    double ep = fo_gradcheck(loss, &c, c.params, d_params, m.n_params, 1e-5, 1e-6, NULL);
    double ei = fo_gradcheck(loss, &c, c.in, d_in, N * D, 1e-5, 1e-6, NULL);
    tap_is_below(ep, 1e-6, "%s: d/d(params), %zu parameters (max rel %.2e)", what,
                 m.n_params, ep);
    tap_is_below(ei, 1e-6, "%s: d/d(inputs) (max rel %.2e)", what, ei);
    free(d_params);
    free(d_in);
    free(scratch);
    free(c.params);
    free(c.in);
    free(c.out);
    free(c.acts);
    free(c.coef);
    fo_made_free(&m);
}

int main(void) {
    struct fo_rng rng;
    fo_rng_seed(&rng, 2015);
    size_t h2[2] = {12, 9}, h1[1] = {7}, h3[3] = {5, 6, 4};
    check("MADE D=5 [12,9] P=3", 5, 5, 3, h2, 2, 1, &rng);
    check("MADE D=4 [7] P=2", 4, 4, 2, h1, 1, 1, &rng);
    check("MADE D=3 [5,6,4] P=4", 3, 3, 4, h3, 3, 1, &rng);
    check("MADE D=4 no hidden", 4, 4, 2, NULL, 0, 1, &rng);
    check("MADE D=1", 1, 1, 5, h1, 1, 1, &rng);
    check("MLP 3 -> 2 blocks", 3, 2, 5, h2, 2, 0, &rng);
    return tap_done();
}
