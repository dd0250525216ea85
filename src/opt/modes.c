/* modes.c - the optima a run holds or has held; see modes.h. */
#include "opt/modes.h"
#include "opt/engine_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum fo_status fo__modes_create(struct fo_engine *e, struct fo_error *err) {
    e->modes.x = malloc(FO_MODES_MAX * e->D * sizeof(double));
    return e->modes.x
               ? FO_OK
               : fo_error_set(err, FO_ENOMEM, "run", "out of memory for the modes");
}

void fo__modes_destroy(struct fo_engine *e) {
    free(e->modes.x);
    e->modes.x = NULL;
}

static int better(const struct fo_engine *e, double a, double b) {
    return e->cfg.direction == FO_MAXIMIZE ? a > b : a < b;
}

void fo__modes_told(struct fo_engine *e, double value) {
    struct fo_mode_archive *m = &e->modes;
    if (!m->has_best || better(e, value, m->phase_best)) {
        m->phase_best = value;
        m->has_best = 1;
    }
}

double fo__modes_spread(struct fo_engine *e) {
    const size_t D = e->D, G = fo_flow_n_layers(e->flow) - 1;
    double *mu = e->cma_work, *L = mu + D; /* free between updates */
    return fo_flow_gaussian_get(e->flow, G, mu, L, NULL) == FO_OK ? fo__spread_of(L, D)
                                                                  : NAN;
}

/* Index of the archived mode at x, or -1. */
static long same(const struct fo_engine *e, const double *x) {
    const struct fo_mode_archive *m = &e->modes;
    for (size_t k = 0; k < m->n; k++) {
        int close = 1;
        for (size_t d = 0; d < e->D && close; d++) {
            double w = isfinite(e->hi[d] - e->lo[d]) ? e->hi[d] - e->lo[d] : 1.0;
            double dx = fabs(m->x[k * e->D + d] - x[d]);
            if (e->periodic && e->periodic[d])
                dx = fmin(dx, w - dx);
            close = dx <= FO_MODE_SAME * w;
        }
        if (close)
            return (long)k;
    }
    return -1;
}

void fo__modes_archive(struct fo_engine *e) {
    struct fo_mode_archive *m = &e->modes;
    const size_t D = e->D;
    double *c = e->rec.centre;
    if (!m->has_best || fo__recommend_centre(e) != 0)
        return;
    double spread = fo__modes_spread(e);
    uint64_t spent = e->told - m->phase_told0;
    long k = same(e, c);
    if (k >= 0) {
        if (better(e, m->phase_best, m->best[k]))
            m->best[k] = m->phase_best;
        m->evaluations[k] += spent;
        m->spread[k] = spread;
    } else {
        size_t slot = m->n;
        if (m->n == FO_MODES_MAX) { /* full: replace the worst, if this is better */
            slot = 0;
            for (size_t j = 1; j < m->n; j++)
                slot = better(e, m->best[slot], m->best[j]) ? j : slot;
            if (!better(e, m->phase_best, m->best[slot]))
                slot = FO_MODES_MAX;
        } else {
            m->n++;
        }
        if (slot < FO_MODES_MAX) {
            memcpy(m->x + slot * D, c, D * sizeof(double));
            m->best[slot] = m->phase_best;
            m->spread[slot] = spread;
            m->evaluations[slot] = spent;
        }
    }
    m->has_best = 0;
    m->phase_told0 = e->told;
}

size_t fo_engine_modes(struct fo_engine *e, size_t cap, double *x, struct fo_mode *out) {
    struct fo_mode_archive *m = &e->modes;
    const size_t D = e->D;
    size_t n = 0;
    if (fo__niche_on(e))
        return fo__niche_modes(e, cap, x, out);
    if (cap > n && fo__recommend_centre(e) == 0) {
        memcpy(x, e->rec.centre, D * sizeof(double));
        out[n] = (struct fo_mode){FO_MODE_ACTIVE, m->has_best ? m->phase_best : NAN,
                                  fo__modes_spread(e), 1.0, e->told - m->phase_told0};
        n++;
    }
    for (size_t k = 0; k < m->n && n < cap; k++, n++) {
        memcpy(x + n * D, m->x + k * D, D * sizeof(double));
        out[n] = (struct fo_mode){FO_MODE_CONVERGED, m->best[k], m->spread[k], 0.0,
                                  m->evaluations[k]};
    }
    return n;
}
