/*
 * test_flow.c - whole flows through the public API: gradients of log p
 * for every layer kind and for stacks with bounds, exact identity of a new
 * flow, normalisation by quadrature, sampling against the density (KS),
 * determinism, serialisation and configuration errors.
 */
#include <flowopt/flow.h>
#include "flow/bounds.h"
#include "gradcheck.h"
#include "tap.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct gctx {
    struct fo_flow *f;
    size_t n;
    double *x, *w, *lp;
};

static double wsum_logp(void *p) {
    struct gctx *c = p;
    fo_flow_log_prob(c->f, c->n, c->x, c->lp, NULL);
    double s = 0.0;
    for (size_t i = 0; i < c->n; i++)
        s += c->w[i] * c->lp[i];
    return s;
}

static void perturb_params(struct fo_flow *f, struct fo_rng *rng, double sd) {
    double *p = fo_flow_params(f);
    for (size_t i = 0; i < fo_flow_n_params(f); i++)
        p[i] += sd * fo_rng_normal(rng);
}

/* Points inside the box (or spread out when unbounded). */
static void random_x(double *x, size_t n, size_t D, const double *lo, const double *hi,
                     struct fo_rng *rng) {
    for (size_t i = 0; i < n * D; i++) {
        size_t d = i % D;
        x[i] = lo && isfinite(lo[d])
                   ? lo[d] + (hi[d] - lo[d]) * (0.02 + 0.96 * fo_rng_uniform(rng))
                   : 3.0 * fo_rng_normal(rng);
    }
}

static void check_grad(const char *name, struct fo_flow_config *cfg, struct fo_rng *rng) {
    struct fo_flow *f = NULL;
    struct fo_error err;
    if (fo_flow_create(cfg, &f, &err) != FO_OK)
        tap_bail("%s: %s", name, err.msg);
    perturb_params(f, rng, 0.3);
    const size_t n = 3, D = cfg->dim, P = fo_flow_n_params(f);
    struct gctx c = {f, n, malloc(n * D * sizeof(double)), malloc(n * sizeof(double)),
                     malloc(n * sizeof(double))};
    random_x(c.x, n, D, cfg->lo, cfg->hi, rng);
    for (size_t i = 0; i < n; i++)
        c.w[i] = fo_rng_normal(rng);
    double *dp = calloc(P, sizeof(double)), *dx = calloc(n * D, sizeof(double));
    enum fo_status st = fo_flow_log_prob_grad(f, n, c.x, c.w, c.lp, dp, dx, &err);
    tap_is_int(st, FO_OK, "%s: gradient computed", name);
    double ep = fo_gradcheck(wsum_logp, &c, fo_flow_params(f), dp, P, 1e-4, 1e-6, NULL);
    double ex = fo_gradcheck(wsum_logp, &c, c.x, dx, n * D, 1e-6, 1e-6, NULL);
    tap_is_below(ep, 1e-6, "%s: d log p / d(params), %zu parameters (max rel %.2e)", name,
                 P, ep);
    tap_is_below(ex, 1e-6, "%s: d log p / dx (max rel %.2e)", name, ex);
    free(dp);
    free(dx);
    free(c.x);
    free(c.w);
    free(c.lp);
    fo_flow_destroy(f);
}

static void test_gradients(struct fo_rng *rng) {
    static const double lo[3] = {-2.0, 0.0, -10.0}, hi[3] = {3.0, 1.0, 5.0};
    static const double lo_mixed[3] = {-2.0, -INFINITY, 1.0},
                        hi_mixed[3] = {3.0, INFINITY, 4.0};
    for (size_t k = 0; k < FO_N_LAYER_KINDS; k++) { /* every kind there is */
        const enum fo_layer_kind kind = (enum fo_layer_kind)k;
        struct fo_flow_config cfg;
        char name[96];
        fo_flow_config_default(&cfg, 3, kind, 2);
        cfg.hidden[0] = cfg.hidden[1] = 8;
        cfg.bins = 5;
        cfg.bound = 3.0;
        snprintf(name, sizeof name, "2 x %s, unbounded", fo_layer_kind_name(kind));
        check_grad(name, &cfg, rng);
        cfg.lo = lo;
        cfg.hi = hi;
        snprintf(name, sizeof name, "2 x %s, bounded", fo_layer_kind_name(kind));
        check_grad(name, &cfg, rng);
    }
    struct fo_flow_config cfg;
    fo_flow_config_default(&cfg, 3, FO_LAYER_SPLINE_AR, 4);
    cfg.kinds[1] = FO_LAYER_GAUSSIAN_FULL;
    cfg.kinds[2] = FO_LAYER_SPLINE_COUPLING;
    cfg.kinds[3] = FO_LAYER_AFFINE_AR;
    cfg.hidden[0] = cfg.hidden[1] = 6;
    cfg.bins = 4;
    cfg.bound = 2.0;
    cfg.perm = FO_PERM_RANDOM;
    cfg.lo = lo_mixed;
    cfg.hi = hi_mixed;
    check_grad("mixed stack, random permutations, partly bounded", &cfg, rng);
    static const unsigned char periodic[3] = {1, 0, 1};
    cfg.lo = lo;
    cfg.hi = hi;
    cfg.periodic = periodic;
    check_grad("mixed stack, coordinates 0 and 2 periodic", &cfg, rng);
    cfg.periodic = NULL;
    cfg.box_map = FO_BOX_FOLD;
    /* the fold's affine map reaches y = +-2 at the edges: the splines' knots
     * at B = 2 would sit where the points are */
    cfg.bound = 3.0;
    check_grad("mixed stack, boxes folded", &cfg, rng);
}

/* A periodic coordinate: the affine map's round trip and log-determinant
 * (against a central difference of the map), x beyond the period taken as
 * it is, and the wrap onto [lo, hi). */
static void test_periodic(struct fo_rng *rng) {
    static const double lo[2] = {-3.14159, 0.0}, hi[2] = {3.14159, 1.0};
    static const unsigned char map[2] = {FO_MAP_PERIODIC, FO_MAP_BOX};
    enum { N = 200 };
    double y[2 * N], x[2 * N], y2[2 * N], ld[N] = {0};
    for (size_t i = 0; i < 2 * N; i++)
        y[i] = 4.0 * fo_rng_normal(rng);
    fo_bounds_to_x(lo, hi, map, 2, N, y, x);
    fo_bounds_to_y(lo, hi, map, 2, N, x, y2, ld);
    double err_rt = 0.0;
    int outside = 0;
    for (size_t i = 0; i < N; i++) {
        err_rt = fmax(err_rt, fabs(y2[2 * i] - y[2 * i]) / (1.0 + fabs(y[2 * i])));
        outside |= x[2 * i] < lo[0] || x[2 * i] >= hi[0];
    }
    tap_is_below(err_rt, 1e-12, "periodic map: y -> x -> y round trip (max rel %.1e)",
                 err_rt);
    tap_ok(outside, "samples of a periodic coordinate are unwrapped (some lie beyond the "
                    "period)");
    /* ld: -log((hi - lo) / 4) for the circle, the box's own term at x = 0.5 */
    double want_ld =
        -log((hi[0] - lo[0]) / 4.0) + log(1.0) - log(FO_BOUNDS_SLOPE) - 2.0 * log(0.5);
    double ld_half[1] = {0}, half[2] = {10.0, 0.5}, yh[2];
    fo_bounds_to_y(lo, hi, map, 2, 1, half, yh, ld_half);
    tap_is_near(ld_half[0], want_ld, 1e-12,
                "periodic map: log-det is -log((hi - lo) / 4) at any x (%.6f)",
                ld_half[0]);
    double h = 1e-5, a[2] = {1.0 - h, 0.5}, b[2] = {1.0 + h, 0.5}, ya[2], yb[2],
           l2[2] = {0, 0};
    fo_bounds_to_y(lo, hi, map, 2, 1, a, ya, l2);
    fo_bounds_to_y(lo, hi, map, 2, 1, b, yb, l2 + 1);
    tap_is_near(log((yb[0] - ya[0]) / (2 * h)), -log((hi[0] - lo[0]) / 4.0), 1e-8,
                "and it is log dy/dx by a central difference");
    /* wrap */
    double w = hi[0] - lo[0];
    double in[10] = {lo[0],          0.5, hi[0],    0.5, lo[0] + 3 * w + 0.25, 0.5,
                     lo[0] - 1e-300, 0.5, -7.5 * w, 0.5};
    double out[10];
    fo_bounds_wrap(lo, hi, map, 2, 5, in, out);
    int inside = 1, kept = 1;
    for (size_t i = 0; i < 5; i++) {
        inside &= out[2 * i] >= lo[0] && out[2 * i] < hi[0];
        kept &= out[2 * i + 1] == 0.5;
    }
    tap_ok(inside, "wrap: every point lands in [lo, hi), hi itself at lo");
    tap_ok(out[0] == lo[0] && out[2] == lo[0], "wrap: lo stays lo and hi becomes lo");
    tap_is_near(out[4], lo[0] + 0.25, 1e-12, "wrap: lo + 3 periods + 0.25 -> lo + 0.25");
    tap_ok(kept, "wrap: a box coordinate is left as it is");
    static const unsigned char fmap[1] = {FO_MAP_FOLD};
    static const double flo[1] = {1.0}, fhi[1] = {3.0};
    double fin[6] = {2.5, 3.25, 0.75, 1.0 + 4.0 + 0.1, 3.0, 1.0 - 8.0 - 0.5}, fout[6];
    fo_bounds_wrap(flo, fhi, fmap, 1, 6, fin, fout);
    tap_ok(fout[0] == 2.5 && fabs(fout[1] - 2.75) < 1e-12 &&
               fabs(fout[2] - 1.25) < 1e-12 && fabs(fout[3] - 1.1) < 1e-12 &&
               fout[4] == 3.0 && fabs(fout[5] - 1.5) < 1e-12,
           "fold: inside stays, beyond hi or lo reflects, 2 widths on is the same point "
           "(%.3g %.3g %.3g %.3g %.3g %.3g)",
           fout[0], fout[1], fout[2], fout[3], fout[4], fout[5]);
    struct fo_flow_config cfg;
    fo_flow_config_default(&cfg, 2, FO_LAYER_SPLINE_AR, 2);
    cfg.kinds[1] = FO_LAYER_GAUSSIAN_FULL;
    static const unsigned char periodic[2] = {1, 0};
    cfg.lo = lo;
    cfg.hi = hi;
    cfg.periodic = periodic;
    struct fo_flow *f = NULL;
    fo_flow_create(&cfg, &f, NULL);
    perturb_params(f, rng, 0.3);
    double xs[2 * N], lp[N], lp2[N];
    fo_flow_sample(f, rng, N, xs, lp, NULL, NULL);
    fo_flow_log_prob(f, N, xs, lp2, NULL);
    tap_ok(memcmp(lp, lp2, sizeof lp) == 0,
           "periodic flow: log p of its unwrapped samples is the sampler's, bit for bit");
    tap_ok(fo_flow_wraps(f) && fo_flow_coord(f, 0) == FO_COORD_CIRCLE &&
               fo_flow_coord(f, 1) == FO_COORD_BOX,
           "the flow knows it has a circle beside a box");
    fo_flow_destroy(f);
    struct fo_error err;
    static const unsigned char bad[2] = {0, 1};
    static const double lo_u[2] = {0.0, -INFINITY}, hi_u[2] = {1.0, INFINITY};
    cfg.lo = lo_u;
    cfg.hi = hi_u;
    cfg.periodic = bad;
    tap_is_int(fo_flow_create(&cfg, &f, &err), FO_ERANGE,
               "a periodic coordinate without bounds is refused: %s", err.msg);
    tap_is_str(err.field, "periodic", "and the field is named");
}

/* A new flow is the base pushed through the bounds map, exactly. */
static void test_identity(struct fo_rng *rng) {
    static const double lo[2] = {-5.0, 0.0}, hi[2] = {5.0, 2.0};
    struct fo_flow_config cfg;
    fo_flow_config_default(&cfg, 2, FO_LAYER_SPLINE_AR, 3);
    cfg.kinds[1] = FO_LAYER_SPLINE_COUPLING;
    cfg.kinds[2] = FO_LAYER_GAUSSIAN_FULL;
    cfg.lo = lo;
    cfg.hi = hi;
    struct fo_flow *f = NULL;
    fo_flow_create(&cfg, &f, NULL);
    const size_t n = 500;
    double z[1000], x[1000], want[1000], lp[500], y[1000], ld[500] = {0};
    unsigned char bounded[2] = {1, 1};
    for (size_t i = 0; i < 2 * n; i++)
        z[i] = 2.0 * fo_rng_normal(rng);
    fo_flow_sample_from(f, n, z, x, lp, NULL);
    fo_bounds_to_x(lo, hi, bounded, 2, n, z, want);
    fo_bounds_to_y(lo, hi, bounded, 2, n, x, y, ld);
    int same_x = memcmp(x, want, sizeof x) == 0, same_lp = 1;
    for (size_t i = 0; i < n; i++) {
        double sq = y[2 * i] * y[2 * i] + y[2 * i + 1] * y[2 * i + 1];
        same_lp &= lp[i] == ld[i] - 0.5 * sq - 2 * 0.91893853320467274178;
    }
    tap_ok(same_x, "new flow: x == bounds(z) exactly");
    tap_ok(same_lp,
           "new flow: log p == log N(y) + bounds log-det exactly (flow log-det 0)");
    fo_flow_destroy(f);
}

/* Integral of the density by the trapezoid rule on a grid in s, with
 * x = lo + (hi - lo) sigmoid(s) on bounded axes and x = s otherwise. */
static double integrate(struct fo_flow *f, size_t D, const double *lo, const double *hi,
                        double smax, size_t m) {
    double h = 2.0 * smax / (double)(m - 1), total = 0.0;
    double *x = malloc(m * D * sizeof(double)), *lp = malloc(m * sizeof(double));
    double *jac = malloc(m * sizeof(double));
    size_t rows = D == 1 ? 1 : m;
    for (size_t r = 0; r < rows; r++) {
        for (size_t i = 0; i < m; i++) {
            double s[2] = {-smax + h * (double)i, -smax + h * (double)r}, j = 1.0;
            for (size_t d = 0; d < D; d++) {
                if (lo) {
                    double sg = 1.0 / (1.0 + exp(-s[d]));
                    x[i * D + d] = lo[d] + (hi[d] - lo[d]) * sg;
                    j *= (hi[d] - lo[d]) * sg * (1.0 - sg);
                } else {
                    x[i * D + d] = s[d];
                }
            }
            jac[i] = j;
        }
        fo_flow_log_prob(f, m, x, lp, NULL);
        for (size_t i = 0; i < m; i++) {
            double v = isfinite(lp[i]) ? exp(lp[i]) * jac[i] : 0.0;
            double wgt = (i == 0 || i == m - 1) ? 0.5 : 1.0;
            if (D == 2 && (r == 0 || r == m - 1))
                wgt *= 0.5;
            total += wgt * v * (D == 2 ? h * h : h);
        }
    }
    free(x);
    free(lp);
    free(jac);
    return total;
}

static void test_normalisation(struct fo_rng *rng) {
    static const double lo[2] = {-1.0, 2.0}, hi[2] = {3.0, 2.5};
    enum fo_layer_kind kinds[2] = {FO_LAYER_SPLINE_AR, FO_LAYER_SPLINE_COUPLING};
    for (size_t D = 1; D <= 2; D++) {
        for (int b = 0; b < 2; b++) {
            struct fo_flow_config cfg;
            fo_flow_config_default(&cfg, D, kinds[D - 1], 3);
            cfg.kinds[1] = FO_LAYER_AFFINE_AR;
            cfg.hidden[0] = cfg.hidden[1] = 8;
            cfg.bound = 2.5;
            if (b) {
                cfg.lo = lo;
                cfg.hi = hi;
            }
            struct fo_flow *f = NULL;
            fo_flow_create(&cfg, &f, NULL);
            perturb_params(f, rng, D == 1 ? 0.5 : 0.2);
            double smax = b ? 30.0 : 20.0;
            double I = integrate(f, D, b ? lo : NULL, b ? hi : NULL, smax,
                                 D == 1 ? 20001 : 1201);
            tap_is_near(I, 1.0, 1e-3, "D = %zu, %s: the density integrates to 1 (%.6f)",
                        D, b ? "bounded" : "unbounded", I);
            fo_flow_destroy(f);
        }
    }
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* KS test in D = 1: 10^4 samples against the CDF from integrating p. */
static void test_ks(struct fo_rng *rng) {
    static const double lo[1] = {-2.0}, hi[1] = {4.0};
    struct fo_flow_config cfg;
    fo_flow_config_default(&cfg, 1, FO_LAYER_SPLINE_AR, 2);
    cfg.kinds[1] = FO_LAYER_GAUSSIAN_DIAG;
    cfg.hidden[0] = cfg.hidden[1] = 8;
    cfg.bound = 2.0;
    cfg.lo = lo;
    cfg.hi = hi;
    struct fo_flow *f = NULL;
    fo_flow_create(&cfg, &f, NULL);
    perturb_params(f, rng, 0.8);
    const size_t n = 10000, m = 200001;
    double *xs = malloc(n * sizeof(double)), *grid = malloc(m * sizeof(double));
    double *lp = malloc(m * sizeof(double)), *cdf = malloc(m * sizeof(double));
    struct fo_rng srng;
    fo_rng_seed(&srng, 99);
    fo_flow_sample(f, &srng, n, xs, NULL, NULL, NULL);
    qsort(xs, n, sizeof(double), cmp_double);
    for (size_t i = 0; i < m; i++)
        grid[i] = lo[0] + (hi[0] - lo[0]) * ((double)i + 0.5) / (double)m;
    for (size_t i = 0; i < m; i += 50000)
        fo_flow_log_prob(f, m - i < 50000 ? m - i : 50000, grid + i, lp + i, NULL);
    double h = (hi[0] - lo[0]) / (double)m, acc = 0.0;
    for (size_t i = 0; i < m; i++) { /* midpoint rule */
        acc += exp(lp[i]) * h;
        cdf[i] = acc;
    }
    double dmax = 0.0;
    size_t g = 0;
    for (size_t i = 0; i < n; i++) {
        while (g + 1 < m && grid[g + 1] <= xs[i])
            g++;
        double F = cdf[g] / acc;
        double d1 = fabs(F - (double)i / (double)n),
               d2 = fabs(F - (double)(i + 1) / (double)n);
        dmax = d1 > dmax ? d1 : dmax;
        dmax = d2 > dmax ? d2 : dmax;
    }
    /* Critical value at alpha = 0.001: 1.95 / sqrt(n). */
    tap_is_below(dmax, 1.95 / sqrt((double)n), "KS statistic of 10^4 samples (%.4f)",
                 dmax);
    tap_is_near(acc, 1.0, 1e-3, "and the CDF ends at 1 (%.6f)", acc);
    free(xs);
    free(grid);
    free(lp);
    free(cdf);
    fo_flow_destroy(f);
}

static void test_determinism_and_io(struct fo_rng *rng) {
    static const double lo[3] = {-1, -1, -1}, hi[3] = {1, 2, 3};
    struct fo_flow_config cfg;
    fo_flow_config_default(&cfg, 3, FO_LAYER_SPLINE_AR, 2);
    cfg.lo = lo;
    cfg.hi = hi;
    struct fo_flow *a = NULL, *b = NULL;
    fo_flow_create(&cfg, &a, NULL);
    fo_flow_create(&cfg, &b, NULL);
    perturb_params(a, rng, 0.3);
    size_t len = 0;
    fo_flow_params_save(a, NULL, 0, &len, NULL);
    unsigned char *buf = malloc(len);
    tap_is_int(fo_flow_params_save(a, buf, len, &len, NULL), FO_OK,
               "parameters serialise");
    tap_is_int(fo_flow_params_load(b, buf, len, NULL), FO_OK,
               "and load into a twin flow");
    tap_ok(memcmp(fo_flow_params(a), fo_flow_params(b),
                  fo_flow_n_params(a) * sizeof(double)) == 0,
           "the round trip is bit-exact");
    struct fo_rng r1, r2;
    fo_rng_seed(&r1, 5);
    fo_rng_seed(&r2, 5);
    double xa[60], xb[60], la[20], lb[20];
    fo_flow_sample(a, &r1, 20, xa, la, NULL, NULL);
    fo_flow_sample(b, &r2, 20, xb, lb, NULL, NULL);
    tap_ok(memcmp(xa, xb, sizeof xa) == 0 && memcmp(la, lb, sizeof la) == 0,
           "the same seed gives bit-identical samples and log p");
    double lc[20];
    fo_flow_log_prob(a, 20, xa, lc, NULL);
    tap_ok(memcmp(la, lc, sizeof la) == 0,
           "sample's log p equals log_prob at the sample");

    struct fo_error err;
    buf[len / 2] ^= 1;
    tap_is_int(fo_flow_params_load(b, buf, len, &err), FO_ECORRUPT,
               "a flipped bit is refused");
    buf[len / 2] ^= 1;
    cfg.bins = 9;
    struct fo_flow *c = NULL;
    fo_flow_create(&cfg, &c, NULL);
    tap_is_int(fo_flow_params_load(c, buf, len, &err), FO_ECORRUPT,
               "another layout is refused (%s)", err.msg);
    tap_is_int(fo_flow_params_load(b, buf, len - 1, &err), FO_ECORRUPT,
               "a short blob is refused");
    free(buf);
    fo_flow_destroy(a);
    fo_flow_destroy(b);
    fo_flow_destroy(c);
}

static void test_errors(void) {
    struct fo_flow_config cfg;
    struct fo_flow *f = NULL;
    struct fo_error err;
    fo_flow_config_default(&cfg, 0, FO_LAYER_SPLINE_AR, 1);
    tap_is_int(fo_flow_create(&cfg, &f, &err), FO_ERANGE, "dim 0 is refused");
    tap_is_str(err.field, "dim", "and the field is named");
    fo_flow_config_default(&cfg, 2, FO_LAYER_SPLINE_AR, 1);
    cfg.bins = 1;
    tap_is_int(fo_flow_create(&cfg, &f, &err), FO_ERANGE, "1 bin is refused");
    fo_flow_config_default(&cfg, 2, FO_LAYER_SPLINE_AR, 1);
    static const double lo[2] = {0, 1}, hi[2] = {1, 1};
    cfg.lo = lo;
    cfg.hi = hi;
    tap_is_int(fo_flow_create(&cfg, &f, &err), FO_ERANGE, "lo == hi is refused: %s",
               err.msg);
    fo_flow_config_default(&cfg, 2, FO_LAYER_GAUSSIAN_DIAG, 1);
    static const double lo2[2] = {0, 0}, hi2[2] = {1, 1};
    cfg.lo = lo2;
    cfg.hi = hi2;
    fo_flow_create(&cfg, &f, &err);
    double x[4] = {0.5, 0.5, 1.5, 0.5}, lp[2];
    fo_flow_log_prob(f, 2, x, lp, &err);
    tap_ok(isfinite(lp[0]) && lp[1] == -INFINITY, "log p is -inf outside the bounds");
    double dp[4] = {0};
    tap_is_int(fo_flow_log_prob_grad(f, 2, x, NULL, lp, dp, NULL, &err), FO_ERANGE,
               "no gradient outside the bounds");
    x[0] = NAN;
    tap_is_int(fo_flow_log_prob(f, 2, x, lp, &err), FO_ERANGE, "NaN x is refused");
    fo_flow_destroy(f);
}

/* Backward through the last density pass: the same bits as the one-shot
 * gradient, and refused when the workspaces hold another pass. */
static void test_backward_after_pass(struct fo_rng *rng) {
    struct fo_flow_config cfg;
    fo_flow_config_default(&cfg, 3, FO_LAYER_SPLINE_AR, 2);
    struct fo_flow *f = NULL;
    if (fo_flow_create(&cfg, &f, NULL) != FO_OK)
        tap_bail("flow");
    perturb_params(f, rng, 0.3);
    enum { N = 7, D = 3 };
    const size_t P = fo_flow_n_params(f);
    double x[N * D], w[N], lp[N], lp2[N], other[N * D];
    random_x(x, N, D, NULL, NULL, rng);
    for (size_t i = 0; i < N; i++)
        w[i] = fo_rng_normal(rng);
    double *g1 = calloc(P, sizeof(double)), *g2 = calloc(P, sizeof(double));
    fo_flow_log_prob_grad(f, N, x, w, lp, g1, NULL, NULL);
    int ok = fo_flow_log_prob(f, N, x, lp2, NULL) == FO_OK &&
             fo_flow_log_prob_backward(f, N, x, w, g2, NULL, NULL) == FO_OK;
    tap_ok(ok && memcmp(g1, g2, P * sizeof(double)) == 0 &&
               memcmp(lp, lp2, sizeof lp) == 0,
           "log_prob then backward == log_prob_grad, bit for bit");
    struct fo_error err;
    fo_flow_sample(f, rng, N, other, NULL, NULL, NULL);
    tap_is_int(fo_flow_log_prob_backward(f, N, x, w, g2, NULL, &err), FO_ESTATE,
               "refused after a sampling pass: %s", err.msg);
    fo_flow_log_prob(f, N, x, lp2, NULL);
    tap_is_int(fo_flow_log_prob_backward(f, N - 1, x, w, g2, NULL, &err), FO_ESTATE,
               "refused for another batch size");
    tap_is_int(fo_flow_log_prob_backward(f, N, other, w, g2, NULL, &err), FO_ESTATE,
               "refused for other points");
    free(g1);
    free(g2);
    fo_flow_destroy(f);
}

int main(void) {
    struct fo_rng rng;
    fo_rng_seed(&rng, 314);
    test_gradients(&rng);
    test_identity(&rng);
    test_periodic(&rng);
    test_normalisation(&rng);
    test_ks(&rng);
    test_determinism_and_io(&rng);
    TAP_RUN(test_errors);
    test_backward_after_pass(&rng);
    return tap_done();
}
