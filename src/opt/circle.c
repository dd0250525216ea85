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

/* The points v + k P in the window: the first k and the count (none when
 * the window holds none). */
static size_t in_window(double v, double P, struct window win, long *k0) {
    double kmin = ceil((win.lo - v) / P), kmax = floor((win.hi - v) / P);
    *k0 = (long)kmin;
    return kmax < kmin ? 0 : (size_t)(kmax - kmin) + 1;
}

/* One coordinate's images in a window: v + k P for count[0] values of k
 * from k0[0], then (a fold's mirror) v' + k P for count[1] from k0[1]. */
struct images {
    double v[2], P;
    long k0[2];
    size_t count[2];
};

static size_t n_images(const struct images *im) {
    return im->count[0] + im->count[1];
}

/* The images of x (inside [lo, hi]) of coordinate d in win: a circle's
 * x + k w, a fold's x + 2 k w and 2 lo - x + 2 k w (one sequence when x
 * is on an edge, where the two meet); the nearest to the window's middle
 * when it holds none. */
static void images(const struct fo_engine *e, size_t d, double x, struct window win,
                   struct images *im) {
    double w = e->hi[d] - e->lo[d];
    int fold = fo_flow_coord(e->flow, d) == FO_COORD_FOLD;
    im->P = fold ? 2.0 * w : w;
    im->v[0] = x;
    im->v[1] = 2.0 * e->lo[d] - x;
    im->count[0] = in_window(im->v[0], im->P, win, &im->k0[0]);
    im->count[1] = 0;
    if (fold && x > e->lo[d] && x < e->hi[d])
        im->count[1] = in_window(im->v[1], im->P, win, &im->k0[1]);
    if (n_images(im) == 0) {
        double mid = 0.5 * (win.lo + win.hi);
        im->k0[0] = (long)floor((mid - x) / im->P + 0.5);
        im->count[0] = 1;
    }
}

static double image_value(const struct images *im, size_t j) {
    int b = j >= im->count[0];
    size_t k = b ? j - im->count[0] : j;
    return im->v[b] + (double)(im->k0[b] + (long)k) * im->P;
}

static int has_images(const struct fo_engine *e, size_t d) {
    enum fo_coord_kind k = fo_flow_coord(e->flow, d);
    return k == FO_COORD_CIRCLE || k == FO_COORD_FOLD;
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

/* Per-coordinate images of one point within the cap: every window is
 * narrowed (around its middle) until the product of the counts fits.
 * OUT: im (D); returns the product. */
static size_t plan(const struct fo_engine *e, const double *x, const struct window *win,
                   struct images *im) {
    const size_t D = e->D;
    double shrink = 1.0;
    for (;;) {
        size_t total = 1;
        for (size_t d = 0; d < D; d++) {
            if (!has_images(e, d))
                continue;
            double mid = 0.5 * (win[d].lo + win[d].hi);
            double half = 0.5 * (win[d].hi - win[d].lo) * shrink;
            struct window w = {mid - half, mid + half};
            images(e, d, x[d], w, &im[d]);
            size_t c = n_images(&im[d]);
            total = total > FO_CIRCLE_MAX_IMAGES ? total : total * c;
        }
        if (total <= FO_CIRCLE_MAX_IMAGES)
            return total;
        shrink *= 0.75;
    }
}

/* The m-th image of x under the plan into out (D). */
static void image(const struct fo_engine *e, const double *x, const struct images *im,
                  size_t m, double *out) {
    for (size_t d = 0; d < e->D; d++) {
        out[d] = x[d];
        if (!has_images(e, d))
            continue;
        size_t c = n_images(&im[d]);
        out[d] = image_value(&im[d], m % c);
        m /= c;
    }
}

/* log p_circ of one point, its images evaluated CIRCLE_CHUNK at a time. */
static enum fo_status point(struct fo_engine *e, const double *x0,
                            const struct window *win, double *buf, double *lp,
                            struct images *im, double *out, struct fo_error *err) {
    const size_t D = e->D;
    double *x = buf; /* (D) the point wrapped, so images start from [lo, hi) */
    for (size_t d = 0; d < D; d++)
        if (fo_flow_coord(e->flow, d) == FO_COORD_FOLD &&
            !(x0[d] >= e->lo[d] && x0[d] <= e->hi[d])) {
            *out = -INFINITY; /* a folded box holds no mass outside itself */
            return FO_OK;
        }
    fo_flow_wrap(e->flow, 1, x0, x);
    size_t total = plan(e, x, win, im);
    double acc = -INFINITY;
    for (size_t start = 0; start < total; start += CIRCLE_CHUNK) {
        size_t m = total - start < CIRCLE_CHUNK ? total - start : CIRCLE_CHUNK;
        double *pts = buf + D;
        for (size_t i = 0; i < m; i++)
            image(e, x, im, start + i, pts + i * D);
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
    struct images *im = malloc(D * sizeof *im);
    double *buf = malloc((D + CIRCLE_CHUNK * D) * sizeof *buf);
    double *lp = malloc((CIRCLE_CHUNK + 1) * sizeof *lp);
    enum fo_status st =
        win && im && buf && lp
            ? locate(e, FO_CIRCLE_REACH, win, err)
            : fo_error_set(err, FO_ENOMEM, "x", "out of memory for the circle's images");
    for (size_t i = 0; st == FO_OK && i < n; i++)
        st = point(e, x + i * D, win, buf, lp, im, &log_p[i], err);
    free(win);
    free(im);
    free(buf);
    free(lp);
    return st;
}
