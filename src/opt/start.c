/*
 * start.c - see start.h. The layer's centre is the image of x0 entering
 * the innermost layer (a density pass at x0); its spread comes from that
 * image at x0 + h e_d for each coordinate d, a forward difference of the
 * outer layers' Jacobian (exact for the bounds map's affine periodic part,
 * first order for the sigmoid and the splines).
 */
#include "opt/start.h"
#include "opt/cma.h"
#include "opt/engine_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The centre of coordinate d with no start of its own. */
static double centre(const struct fo_engine *e, size_t d) {
    return isfinite(e->lo[d]) ? e->lo[d] + 0.5 * (e->hi[d] - e->lo[d]) : 0.0;
}

/* A difference step for coordinate d at x that stays inside the box. */
static double step(const struct fo_engine *e, size_t d, double x) {
    if (!isfinite(e->lo[d]))
        return 1e-6 * fmax(1.0, fabs(x));
    double room = fo_flow_coord(e->flow, d) == FO_COORD_CIRCLE
                      ? e->hi[d] - e->lo[d]
                      : fmin(x - e->lo[d], e->hi[d] - x);
    return 1e-6 * room;
}

enum fo_status fo__start_place(struct fo_engine *e, const double *x0, int has_scale,
                               double scale, struct fo_error *err) {
    const size_t D = e->D, G = fo_flow_n_layers(e->flow) - 1;
    const size_t n = has_scale ? D + 1 : 1;
    double *pts = malloc(n * D * sizeof *pts), *lp = malloc(n * sizeof *lp);
    double *mu = malloc(D * sizeof *mu), *L = malloc(2 * D * D * sizeof *L);
    double *h = malloc(D * sizeof *h);
    enum fo_status st = pts && lp && mu && L && h
                            ? FO_OK
                            : fo_error_set(err, FO_ENOMEM, "start.x", "out of memory");
    for (size_t i = 0; st == FO_OK && i < n; i++)
        for (size_t d = 0; d < D; d++) {
            double x = x0 ? x0[d] : centre(e, d);
            h[d] = step(e, d, x);
            pts[i * D + d] = x + (i == d + 1 ? h[d] : 0.0);
        }
    if (st == FO_OK)
        st = fo_flow_log_prob(e->flow, n, pts, lp, err);
    if (st == FO_OK)
        st = fo_flow_gaussian_get(e->flow, G, mu, L, err);
    const double *u = st == FO_OK ? fo_flow_pass_values(e->flow, G) : NULL;
    if (st == FO_OK && (!u || !fo__all_finite(u, n * D)))
        st = fo_error_set(err, FO_ENUMERIC, "start.x", "the start cannot be placed");
    if (st == FO_OK && has_scale) {
        /* C = J diag(scale^2) J^T, J[a][d] = (u_{d+1} - u_0)[a] / h_d */
        double *C = L + D * D;
        for (size_t a = 0; a < D; a++)
            for (size_t b = 0; b < D; b++) {
                double acc = 0.0;
                for (size_t d = 0; d < D; d++) {
                    double ja = (u[(d + 1) * D + a] - u[a]) / h[d];
                    double jb = (u[(d + 1) * D + b] - u[b]) / h[d];
                    acc += ja * jb * scale * scale;
                }
                C[a * D + b] = acc;
            }
        if (fo__cholesky(C, D) != 0)
            st = fo_error_set(err, FO_ENUMERIC, "start.scale",
                              "start.scale gives no usable spread here");
        else
            memcpy(L, C, D * D * sizeof *L);
    }
    if (st == FO_OK) {
        memcpy(mu, u, D * sizeof *mu);
        st = fo_flow_gaussian_set(e->flow, G, mu, L, err);
    }
    if (st == FO_OK)
        memcpy(e->good_params, fo_flow_params(e->flow),
               fo_flow_n_params(e->flow) * sizeof(double));
    free(pts);
    free(lp);
    free(mu);
    free(L);
    free(h);
    return st;
}

enum fo_status fo__start_first(struct fo_engine *e, struct fo_error *err) {
    if (!e->cfg.start && !e->cfg.has_start_scale)
        return FO_OK;
    return fo__start_place(e, e->cfg.start, e->cfg.has_start_scale, e->cfg.start_scale,
                           err);
}

void fo__start_draw(const struct fo_engine *e, unsigned long long k, double *x0) {
    struct fo_rng rng;
    fo_rng_seed(&rng, e->cfg.seed ^ (0x5245535441525431ULL + k)); /* "RESTART1" */
    for (size_t d = 0; d < e->D; d++) {
        double u = fo_rng_uniform(&rng);
        if (!isfinite(e->lo[d]))
            x0[d] = e->cfg.start ? e->cfg.start[d] : 0.0;
        else if (fo_flow_coord(e->flow, d) == FO_COORD_CIRCLE)
            x0[d] = e->lo[d] + u * (e->hi[d] - e->lo[d]);
        else /* strictly inside: the box map's edges are at infinity */
            x0[d] = e->lo[d] + (e->hi[d] - e->lo[d]) * (0.001 + 0.998 * u);
    }
}
