/*
 * circle.c - see circle.h. For each periodic coordinate d the draws give a
 * window [c_d - R s_d, c_d + R s_d] (centre, spread, R = FO_CIRCLE_REACH)
 * widened to hold every draw; the images of x in it are summed, the
 * windows narrowed if the product of their counts exceeds the cap.
 */
#include "opt/circle.h"
#include "opt/engine_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Draws that locate the distribution, from a seed of their own so a query
 * leaves the run's random stream alone. */
#define CIRCLE_DRAWS 512
#define CIRCLE_SEED 0x434952434c453031ULL /* "CIRCLE01" */
/* Standard deviations either side of the centre an image may lie. */
#define FO_CIRCLE_REACH 10.0
/* Points evaluated per flow pass, so a query does not grow the flow's
 * workspaces past what the run uses. */
#define CIRCLE_CHUNK 1024

struct window {
    double lo, hi; /* the interval of the line whose images are summed */
};

/* Each periodic coordinate's window from draws of the flow. */
static enum fo_status locate(struct fo_engine *e, double reach, struct window *win,
                             struct fo_error *err) {
    const size_t D = e->D;
    double *x = malloc(CIRCLE_DRAWS * D * sizeof *x);
    if (!x)
        return fo_error_set(err, FO_ENOMEM, "x", "out of memory for the circle's images");
    struct fo_rng rng;
    fo_rng_seed(&rng, CIRCLE_SEED);
    enum fo_status st = fo_flow_sample(e->flow, &rng, CIRCLE_DRAWS, x, NULL, NULL, err);
    for (size_t d = 0; st == FO_OK && d < D; d++) {
        double sum = 0.0, sq = 0.0, mn = INFINITY, mx = -INFINITY;
        for (size_t i = 0; i < CIRCLE_DRAWS; i++) {
            double v = x[i * D + d];
            sum += v;
            sq += v * v;
            mn = v < mn ? v : mn;
            mx = v > mx ? v : mx;
        }
        double c = sum / CIRCLE_DRAWS, var = sq / CIRCLE_DRAWS - c * c;
        double s = sqrt(var > 0.0 ? var : 0.0);
        win[d].lo = fmin(mn, c - reach * s);
        win[d].hi = fmax(mx, c + reach * s);
    }
    free(x);
    return st;
}

/* The images of v (on a circle of period w starting at lo) in [a, b]: the
 * first k and the count, at least the one nearest the window's middle. */
static size_t images(double v, double lo, double w, struct window win, long *k0) {
    double u = v - lo;
    double kmin = ceil((win.lo - lo - u) / w), kmax = floor((win.hi - lo - u) / w);
    if (kmax < kmin) {
        *k0 = (long)floor((0.5 * (win.lo + win.hi) - lo - u) / w + 0.5);
        return 1;
    }
    *k0 = (long)kmin;
    return (size_t)(kmax - kmin) + 1;
}

/* log sum exp of v (n). */
static double log_sum_exp(const double *v, size_t n) {
    double m = -INFINITY, s = 0.0;
    for (size_t i = 0; i < n; i++)
        m = v[i] > m ? v[i] : m;
    if (m == -INFINITY)
        return -INFINITY;
    for (size_t i = 0; i < n; i++)
        s += exp(v[i] - m);
    return m + log(s);
}

/* Per-coordinate image ranges of one point within the cap: each window is
 * narrowed in turn (around its middle) until the product fits. OUT: k0,
 * count (D each); returns the product. */
static size_t plan(const struct fo_engine *e, const double *x, const struct window *win,
                   long *k0, size_t *count) {
    const size_t D = e->D;
    double shrink = 1.0;
    for (;;) {
        size_t total = 1;
        for (size_t d = 0; d < D; d++) {
            count[d] = 1;
            k0[d] = 0;
            if (!e->periodic[d])
                continue;
            double mid = 0.5 * (win[d].lo + win[d].hi);
            double half = 0.5 * (win[d].hi - win[d].lo) * shrink;
            struct window w = {mid - half, mid + half};
            count[d] = images(x[d], e->lo[d], e->hi[d] - e->lo[d], w, &k0[d]);
            total = total > FO_CIRCLE_MAX_IMAGES ? total : total * count[d];
        }
        if (total <= FO_CIRCLE_MAX_IMAGES)
            return total;
        shrink *= 0.75;
    }
}

/* The m-th image of x under the plan into out (D). */
static void image(const struct fo_engine *e, const double *x, const long *k0,
                  const size_t *count, size_t m, double *out) {
    for (size_t d = 0; d < e->D; d++) {
        out[d] = x[d];
        if (!e->periodic[d])
            continue;
        size_t j = m % count[d];
        m /= count[d];
        double w = e->hi[d] - e->lo[d];
        out[d] = x[d] + (double)(k0[d] + (long)j) * w;
    }
}

/* log p_circ of one point, its images evaluated CIRCLE_CHUNK at a time. */
static enum fo_status point(struct fo_engine *e, const double *x0,
                            const struct window *win, double *buf, double *lp, long *k0,
                            size_t *count, double *out, struct fo_error *err) {
    const size_t D = e->D;
    double *x = buf; /* (D) the point wrapped, so images start from [lo, hi) */
    fo_flow_wrap(e->flow, 1, x0, x);
    size_t total = plan(e, x, win, k0, count);
    double acc = -INFINITY;
    for (size_t start = 0; start < total; start += CIRCLE_CHUNK) {
        size_t m = total - start < CIRCLE_CHUNK ? total - start : CIRCLE_CHUNK;
        double *pts = buf + D;
        for (size_t i = 0; i < m; i++)
            image(e, x, k0, count, start + i, pts + i * D);
        enum fo_status st = fo_flow_log_prob(e->flow, m, pts, lp, err);
        if (st != FO_OK)
            return st;
        lp[m] = acc;
        acc = log_sum_exp(lp, m + 1);
    }
    *out = acc;
    return FO_OK;
}

enum fo_status fo__circle_log_prob(struct fo_engine *e, size_t n, const double *x,
                                   double *log_p, struct fo_error *err) {
    const size_t D = e->D;
    struct window *win = malloc(D * sizeof *win);
    long *k0 = malloc(D * sizeof *k0);
    size_t *count = malloc(D * sizeof *count);
    double *buf = malloc((D + CIRCLE_CHUNK * D) * sizeof *buf);
    double *lp = malloc((CIRCLE_CHUNK + 1) * sizeof *lp);
    enum fo_status st =
        win && k0 && count && buf && lp
            ? locate(e, FO_CIRCLE_REACH, win, err)
            : fo_error_set(err, FO_ENOMEM, "x", "out of memory for the circle's images");
    for (size_t i = 0; st == FO_OK && i < n; i++)
        st = point(e, x + i * D, win, buf, lp, k0, count, &log_p[i], err);
    free(win);
    free(k0);
    free(count);
    free(buf);
    free(lp);
    return st;
}
