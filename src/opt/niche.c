/* niche.c - the niching mixture; see niche.h. D = dim, S = slots. */
#include "opt/niche.h"
#include "opt/circle.h"
#include "opt/cma.h"
#include "opt/engine_internal.h"
#include "opt/nbc.h"
#include "opt/utility.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A seed is taboo within TABOO_SHARE of the way a held component came from
 * its own seed (its basin reaches at least that far), at least TABOO_MIN
 * (the flow's coordinates), and within an active one's spread.
 * Measured on CEC F7, whose basins differ in size by 40 times: 0.25 and
 * 0.02 hold peak ratio 0.86 where 0.5 and 0.05 held 0.71. */
#define TABOO_SHARE 0.25
#define TABOO_MIN 0.02
/* The first sigma of a component: half the distance to the nearest other
 * seed, within these. */
#define SIGMA_MIN 0.02
#define SIGMA_MAX 1.0

/* The scratch (see fo_niche.work): the flow's own Gaussian while it is
 * lent (D + D^2); a component's step (mu, L', cma.c's work: 2 D^2 + 4 D);
 * one base point (D); keys of a ranking or the seeds' fitness and the
 * clustering's work (3 cap_scratch). */
#define WORK_STEP(D) ((D) + (D) * (D))
#define WORK_Z(D) (3 * (D) * (D) + 5 * (D))
#define WORK_KEY(D) (3 * (D) * (D) + 8 * (D))

int fo__niche_on(const struct fo_engine *e) {
    return e->niche.phase != FO_NICHE_OFF;
}

static double cost_of(const struct fo_engine *e, double value) {
    return e->cfg.direction == FO_MAXIMIZE ? -value : value;
}

static double value_of(const struct fo_engine *e, double cost) {
    return e->cfg.direction == FO_MAXIMIZE ? -cost : cost;
}

void fo__niche_destroy(struct fo_engine *e) {
    struct fo_niche *m = &e->niche;
    void *bufs[] = {m->seed_y, m->seed_cost, m->seed_id, m->strata, m->queue_y, m->mu,
                    m->L,      m->ps,        m->pc,      m->best_x, m->seed0,   m->z,
                    m->cost,   m->ids,       m->work,    m->iwork};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        free(bufs[i]);
    memset(m, 0, sizeof *m);
}

enum fo_status fo__niche_create(struct fo_engine *e, struct fo_error *err) {
    struct fo_niche *m = &e->niche;
    memset(m, 0, sizeof *m);
    if (e->cfg.opt.niches == 0)
        return FO_OK;
    const size_t D = e->D;
    size_t want = FO_NICHE_SEEDS_PER_DIM * D;
    want = want < FO_NICHE_SEEDS_MIN ? FO_NICHE_SEEDS_MIN : want;
    m->seeds_want = m->cap_seeds = want > FO_NICHE_SEEDS_MAX ? FO_NICHE_SEEDS_MAX : want;
    size_t fit = FO_NICHE_MEMORY / (D * D); /* components whose factors fit */
    m->slots = fit < 4 ? 4 : fit > FO_NICHE_SLOTS ? FO_NICHE_SLOTS : fit;
    const size_t S = m->slots;
    m->cap_gen = FO_NICHE_GEN_CAP * e->cfg.batch_size;
    m->cap_scratch = m->cap_seeds > m->cap_gen ? m->cap_seeds : m->cap_gen;
    const size_t C = m->cap_seeds, W = m->cap_scratch;
    m->seed_y = malloc(C * D * sizeof(double));
    m->seed_cost = malloc(C * sizeof(double));
    m->seed_id = malloc(C * sizeof(uint64_t));
    m->strata = malloc(C * D * sizeof(uint32_t));
    m->queue_y = malloc(S * D * sizeof(double));
    m->mu = calloc(S * D, sizeof(double));
    m->L = calloc(S * D * D, sizeof(double));
    m->ps = calloc(S * D, sizeof(double));
    m->pc = calloc(S * D, sizeof(double));
    m->best_x = calloc(S * D, sizeof(double));
    m->seed0 = calloc(S * D, sizeof(double));
    m->z = calloc(S * m->cap_gen * D, sizeof(double));
    m->cost = calloc(S * m->cap_gen, sizeof(double));
    m->ids = calloc(S * m->cap_gen, sizeof(uint64_t));
    m->work = malloc((WORK_KEY(D) + 3 * W) * sizeof(double));
    m->iwork = malloc(3 * W * sizeof(size_t));
    m->phase = FO_NICHE_SEEDING;
    if (!m->seed_y || !m->seed_cost || !m->seed_id || !m->strata || !m->queue_y ||
        !m->mu || !m->L || !m->ps || !m->pc || !m->best_x || !m->seed0 || !m->z ||
        !m->cost || !m->ids || !m->work || !m->iwork) {
        fo__niche_destroy(e);
        return fo_error_set(err, FO_ENOMEM, "run", "out of memory for the mixture");
    }
    for (size_t k = 0; k < S; k++)
        m->comp[k].hv_with = -1;
    return FO_OK;
}

/* ---- the flow's Gaussian, lent to one component at a time ---- */

/* The flow's own Gaussian into the scratch's head (D + D^2). */
static double *lend_begin(struct fo_engine *e) {
    double *keep = e->niche.work;
    fo_flow_gaussian_get(e->flow, 0, keep, keep + e->D, NULL);
    return keep;
}

static void lend_end(struct fo_engine *e, const double *keep) {
    fo_flow_gaussian_set(e->flow, 0, keep, keep + e->D, NULL);
}

static int lend(struct fo_engine *e, size_t k) {
    const size_t D = e->D;
    return fo_flow_gaussian_set(e->flow, 0, e->niche.mu + k * D, e->niche.L + k * D * D,
                                NULL) == FO_OK
               ? 0
               : -1;
}

static int held(const struct fo_niche *m, size_t k) {
    return m->comp[k].state != FO_COMP_FREE;
}

static size_t n_held(const struct fo_niche *m) {
    size_t h = 0;
    for (size_t k = 0; k < m->slots; k++)
        h += held(m, k);
    return h;
}

static size_t n_active(const struct fo_niche *m) {
    size_t a = 0;
    for (size_t k = 0; k < m->slots; k++)
        a += m->comp[k].state == FO_COMP_ACTIVE;
    return a;
}

/* Component k's share of the mixture: its share of the evaluations told
 * to the components held (plus one each), so an optimum holds the mass the
 * search spent finding it, and a component just begun holds little. */
static double weight(const struct fo_niche *m, size_t k) {
    if (!held(m, k))
        return 0.0;
    double total = 0.0;
    for (size_t j = 0; j < m->slots; j++)
        total += held(m, j) ? (double)m->comp[j].evaluations + 1.0 : 0.0;
    return ((double)m->comp[k].evaluations + 1.0) / total;
}

static double dist(size_t D, const double *a, const double *b) {
    double s = 0.0;
    for (size_t d = 0; d < D; d++)
        s += (a[d] - b[d]) * (a[d] - b[d]);
    return sqrt(s);
}

/* ---- seeding ---- */

static void begin_round(struct fo_engine *e) {
    struct fo_niche *m = &e->niche;
    const size_t D = e->D, N = m->seeds_want;
    for (size_t d = 0; d < D; d++) { /* a random permutation of the strata each */
        for (size_t i = 0; i < N; i++)
            m->strata[i * D + d] = (uint32_t)i;
        for (size_t i = N - 1; i > 0; i--) {
            size_t j = (size_t)fo_rng_below(&e->rng, i + 1);
            uint32_t t = m->strata[i * D + d];
            m->strata[i * D + d] = m->strata[j * D + d];
            m->strata[j * D + d] = t;
        }
    }
    m->n_seeds = m->seeds_resolved = 0;
    m->phase = FO_NICHE_SEEDING;
    m->rounds++;
}

/* Seed i of the round: a cell of the Latin hypercube over the box (an
 * unbounded coordinate from the flow's first Gaussian). OUT: x (D), its
 * density. */
static double seed_point(struct fo_engine *e, size_t i, double *x) {
    struct fo_niche *m = &e->niche;
    const size_t D = e->D;
    const double *mu0 = e->niche.work, *L0 = mu0 + D; /* lend_begin's copy */
    double lp = 0.0;
    for (size_t d = 0; d < D; d++) {
        double u = ((double)m->strata[i * D + d] + fo_rng_uniform(&e->rng)) /
                   (double)m->seeds_want;
        if (isfinite(e->lo[d]) && isfinite(e->hi[d])) {
            x[d] = e->lo[d] + (e->hi[d] - e->lo[d]) * u;
            lp -= log(e->hi[d] - e->lo[d]);
        } else {
            double s = 0.0, g = fo_rng_normal(&e->rng);
            for (size_t b = 0; b <= d; b++)
                s += L0[d * D + b] * L0[d * D + b];
            s = sqrt(s);
            x[d] = mu0[d] + s * g;
            lp += -0.5 * g * g - log(s) - 0.5 * log(2.0 * M_PI);
        }
    }
    return lp;
}

/* The flow's coordinates of a point in the driver's. OUT: y (D). */
static int to_flow(struct fo_engine *e, const double *x, double *y) {
    double lp;
    if (fo_flow_log_prob(e->flow, 1, x, &lp, NULL) != FO_OK)
        return -1;
    const double *v = fo_flow_pass_values(e->flow, 0);
    if (!v)
        return -1;
    memcpy(y, v, e->D * sizeof(double));
    return 0;
}

/* The driver's point of y (unwrapped). */
static void to_driver(struct fo_engine *e, const double *y, double *x) {
    const size_t D = e->D;
    double *mu = e->niche.work + WORK_STEP(D), *L = mu + D, lp;
    memset(L, 0, D * D * sizeof(double));
    for (size_t d = 0; d < D; d++) {
        mu[d] = y[d];
        L[d * D + d] = 1.0;
    }
    double *zero = L + D * D;
    memset(zero, 0, D * sizeof(double));
    fo_flow_gaussian_set(e->flow, 0, mu, L, NULL);
    fo_flow_sample_from(e->flow, 1, zero, x, &lp, NULL);
}

/* ---- components ---- */

static double spread(const struct fo_engine *e, size_t k) {
    return fo__spread_of(e->niche.L + k * e->D * e->D, e->D);
}

/* The radius around held component j within which a seed is taboo. */
static double taboo_radius(const struct fo_engine *e, size_t j) {
    const struct fo_niche *m = &e->niche;
    const size_t D = e->D;
    double r = TABOO_SHARE * dist(D, m->seed0 + j * D, m->mu + j * D);
    if (m->comp[j].state == FO_COMP_ACTIVE)
        r = fmax(r, spread(e, j));
    return fmax(r, TABOO_MIN);
}

static int taboo(const struct fo_engine *e, const double *y) {
    const struct fo_niche *m = &e->niche;
    for (size_t j = 0; j < m->slots; j++)
        if (held(m, j) && dist(e->D, y, m->mu + j * e->D) < taboo_radius(e, j))
            return 1;
    return 0;
}

static void start_comp(struct fo_engine *e, size_t k, const double *y, double sigma) {
    struct fo_niche *m = &e->niche;
    const size_t D = e->D;
    struct fo_niche_comp *c = &m->comp[k];
    memset(c, 0, sizeof *c);
    c->state = FO_COMP_ACTIVE;
    c->sigma = 1.0; /* L = sigma A with A = sigma0 I, as fo__cma_reset */
    c->best = INFINITY;
    c->hv_with = -1;
    memcpy(m->mu + k * D, y, D * sizeof(double));
    memcpy(m->seed0 + k * D, y, D * sizeof(double));
    double *L = m->L + k * D * D;
    memset(L, 0, D * D * sizeof(double));
    for (size_t d = 0; d < D; d++)
        L[d * D + d] = sigma;
    memset(m->ps + k * D, 0, D * sizeof(double));
    memset(m->pc + k * D, 0, D * sizeof(double));
}

/* A free slot, or the worst converged component's when none is (the best
 * optima are kept); -1 when every slot is active. */
static long free_slot(struct fo_niche *m) {
    long worst = -1;
    for (size_t k = 0; k < m->slots; k++) {
        if (!held(m, k))
            return (long)k;
        if (m->comp[k].state == FO_COMP_CONVERGED &&
            (worst < 0 || m->comp[k].best > m->comp[worst].best))
            worst = (long)k;
    }
    if (worst >= 0)
        m->comp[worst].state = FO_COMP_FREE;
    return worst;
}

/* Start queued seeds while fewer than K are active; a new round when
 * nothing is left to search. */
static void refill(struct fo_engine *e) {
    struct fo_niche *m = &e->niche;
    const size_t D = e->D;
    while (m->n_queue && n_active(m) < e->cfg.opt.niches) {
        double y[FO_FLOW_MAX_DIM], sigma = m->queue_sigma[0];
        memcpy(y, m->queue_y, D * sizeof(double));
        m->n_queue--;
        memmove(m->queue_y, m->queue_y + D, m->n_queue * D * sizeof(double));
        memmove(m->queue_sigma, m->queue_sigma + 1, m->n_queue * sizeof(double));
        if (taboo(e, y))
            continue;
        long k = free_slot(m);
        if (k < 0) {
            m->n_queue = 0; /* every slot searching */
            break;
        }
        start_comp(e, (size_t)k, y, sigma);
    }
    if (n_active(m) == 0 && m->n_queue == 0)
        begin_round(e);
}

/* The round's seeds are in: cluster them and queue the basins' seeds. */
static void cluster(struct fo_engine *e) {
    struct fo_niche *m = &e->niche;
    const size_t D = e->D, C = m->cap_scratch;
    double *fit = m->work + WORK_KEY(D), *nbc_work = fit + C;
    size_t *seeds = m->iwork, n = 0;
    double *y = m->seed_y; /* compacted in place: the told ones first */
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < m->n_seeds; i++) {
        if (!isfinite(m->seed_cost[i]))
            continue;
        memmove(y + n * D, m->seed_y + i * D, D * sizeof(double));
        fit[n] = -m->seed_cost[i];
        lo = fmin(lo, m->seed_cost[i]);
        hi = fmax(hi, m->seed_cost[i]);
        n++;
    }
    if (m->rounds == 1 && n)
        m->tolfun = FO_NICHE_TOLFUN * (hi - lo);
    size_t ns = 0;
    if (n && fo__nbc(n, D, y, fit, NULL, FO_NICHE_PHI, seeds, &ns, NULL, nbc_work,
                     seeds + C, NULL) != FO_OK)
        ns = 0;
    m->n_queue = 0;
    for (size_t s = 0; s < ns && m->n_queue < m->slots; s++) {
        const double *p = y + seeds[s] * D;
        if (taboo(e, p))
            continue;
        double near = INFINITY;
        for (size_t t = 0; t < ns; t++)
            if (t != s)
                near = fmin(near, dist(D, p, y + seeds[t] * D));
        double sigma = isfinite(near) ? 0.5 * near : SIGMA_MAX;
        memcpy(m->queue_y + m->n_queue * D, p, D * sizeof(double));
        m->queue_sigma[m->n_queue++] = fmin(SIGMA_MAX, fmax(SIGMA_MIN, sigma));
    }
    m->phase = FO_NICHE_RUNNING;
    refill(e);
}

/* ---- asking ---- */

/* The component whose generation takes the next sample (first the ones
 * short of a batch, in turn), or -1. */
static long next_comp(struct fo_engine *e) {
    struct fo_niche *m = &e->niche;
    for (int pass = 0; pass < 2; pass++)
        for (size_t t = 0; t < m->slots; t++) {
            size_t k = (m->turn + t) % m->slots;
            const struct fo_niche_comp *c = &m->comp[k];
            size_t cap = pass ? m->cap_gen : e->cfg.batch_size;
            if (c->state == FO_COMP_ACTIVE && c->asked < cap) {
                m->turn = k + 1;
                return (long)k;
            }
        }
    return -1;
}

/* A hill-valley point to hand out. OUT: x; returns its component or -1. */
static long next_hv(struct fo_engine *e, double *x) {
    struct fo_niche *m = &e->niche;
    const size_t D = e->D;
    for (size_t k = 0; k < m->slots; k++) {
        struct fo_niche_comp *c = &m->comp[k];
        if (c->state != FO_COMP_ACTIVE || c->hv_with < 0 ||
            c->hv_asked >= FO_NICHE_HV_POINTS)
            continue;
        double t = (double)(c->hv_asked + 1) / (FO_NICHE_HV_POINTS + 1);
        const double *a = m->best_x + k * D, *b = m->best_x + (size_t)c->hv_with * D;
        for (size_t d = 0; d < D; d++)
            x[d] = a[d] + t * (b[d] - a[d]);
        return (long)k;
    }
    return -1;
}

static void draw_from(struct fo_engine *e, size_t k, const double *z, double *x,
                      double *lp) {
    if (lend(e, k) != 0 || fo_flow_sample_from(e->flow, 1, z, x, lp, NULL) != FO_OK) {
        memcpy(x, e->niche.best_x + k * e->D, e->D * sizeof(double));
        *lp = NAN;
    }
}

/* One sample beyond what the generations want: from the mixture. */
static void draw_extra(struct fo_engine *e, double *x, double *lp) {
    struct fo_niche *m = &e->niche;
    const size_t D = e->D, H = n_held(m);
    double *z = m->work + WORK_Z(D);
    for (size_t d = 0; d < D; d++)
        z[d] = fo_rng_normal(&e->rng);
    if (H == 0) { /* the flow's own first Gaussian */
        lend_end(e, m->work);
        fo_flow_sample_from(e->flow, 1, z, x, lp, NULL);
        return;
    }
    double u = fo_rng_uniform(&e->rng), acc = 0.0;
    size_t k = 0, last = 0;
    for (; k < m->slots; k++) {
        if (!held(m, k))
            continue;
        last = k;
        if ((acc += weight(m, k)) > u)
            break;
    }
    k = k < m->slots ? k : last; /* rounding left u above the sum */
    draw_from(e, k, z, x, lp);
}

static void ask_one(struct fo_engine *e, struct fo_sample *out, double *xo) {
    struct fo_niche *m = &e->niche;
    const size_t D = e->D;
    double x[FO_FLOW_MAX_DIM], lp = NAN;
    if (m->phase == FO_NICHE_RUNNING && n_active(m) == 0)
        refill(e);
    long owner = -1, hv = -1;
    size_t slot = 0;
    if (m->phase == FO_NICHE_SEEDING && m->n_seeds < m->seeds_want) {
        size_t i = m->n_seeds;
        lp = seed_point(e, i, x);
        if (to_flow(e, x, m->seed_y + i * D) != 0)
            memset(m->seed_y + i * D, 0, D * sizeof(double));
        m->seed_cost[i] = INFINITY;
        m->n_seeds++;
        owner = -2;
        slot = i;
    } else if (m->phase == FO_NICHE_RUNNING && (hv = next_hv(e, x)) >= 0) {
        lp = NAN;
    } else if (m->phase == FO_NICHE_RUNNING && (owner = next_comp(e)) >= 0) {
        struct fo_niche_comp *c = &m->comp[owner];
        slot = c->asked++;
        double *z = m->z + ((size_t)owner * m->cap_gen + slot) * D;
        for (size_t d = 0; d < D; d++)
            z[d] = e->cfg.opt.mirrored && slot % 2 ? -(z - D)[d] : fo_rng_normal(&e->rng);
        m->cost[(size_t)owner * m->cap_gen + slot] = INFINITY;
        draw_from(e, (size_t)owner, z, x, &lp);
    } else {
        draw_extra(e, x, &lp);
    }
    fo__engine_add_record(e, x, isfinite(lp) ? lp : 0.0, out);
    e->recs[e->n_recs - 1].kind = FO_REC_NICHE;
    if (owner == -2)
        m->seed_id[slot] = out->id;
    else if (owner >= 0)
        m->ids[(size_t)owner * m->cap_gen + slot] = out->id;
    else if (hv >= 0)
        m->hv_ids[hv][m->comp[hv].hv_asked++] = out->id;
    fo_flow_wrap(e->flow, 1, x, xo);
}

size_t fo__niche_ask(struct fo_engine *e, size_t n, struct fo_sample *samples,
                     double *x) {
    if (!fo__niche_on(e))
        return 0;
    if (e->niche.rounds == 0) /* the first round draws from the run's seeded rng */
        begin_round(e);
    double *keep = lend_begin(e);
    for (size_t i = 0; i < n; i++)
        ask_one(e, &samples[i], x + i * e->D);
    lend_end(e, keep);
    return n;
}

size_t fo__niche_wanted(const struct fo_engine *e) {
    const struct fo_niche *m = &e->niche;
    size_t w = 0;
    if (m->phase == FO_NICHE_SEEDING)
        w = m->seeds_want - m->n_seeds;
    for (size_t k = 0; m->phase == FO_NICHE_RUNNING && k < m->slots; k++) {
        const struct fo_niche_comp *c = &m->comp[k];
        if (c->state != FO_COMP_ACTIVE)
            continue;
        w += c->asked < e->cfg.batch_size ? e->cfg.batch_size - c->asked : 0;
        w += c->hv_with >= 0 ? FO_NICHE_HV_POINTS - c->hv_asked : 0;
    }
    return w ? w : 1;
}

/* ---- telling ---- */

static void report_base(struct fo_engine *e, struct fo_step_report *rep) {
    memset(rep, 0, sizeof *rep);
    rep->step = ++e->updates;
    rep->generation = e->generation++;
    rep->evaluations = e->told;
    rep->mean = rep->median = rep->best = rep->entropy = rep->ess = NAN;
    rep->step_size = rep->condition = rep->tau = NAN;
    rep->lr = e->lr;
    rep->best_ever = e->has_best ? e->best_value : NAN;
    rep->restarts = e->restarts_done;
    rep->events = FO_EVENT_NICHE;
}

/* k has converged: keep it as an optimum, unless another holds it. */
static void converge(struct fo_engine *e, size_t k, struct fo_step_report *rep) {
    struct fo_niche *m = &e->niche;
    const size_t D = e->D;
    m->comp[k].state = FO_COMP_CONVERGED;
    m->converged++;
    rep->events |= FO_EVENT_CONVERGED;
    for (size_t j = 0; j < m->slots; j++) {
        if (j == k || m->comp[j].state != FO_COMP_CONVERGED)
            continue;
        int same = 1;
        for (size_t d = 0; d < D && same; d++) {
            double w = isfinite(e->hi[d] - e->lo[d]) ? e->hi[d] - e->lo[d] : 1.0;
            same = fabs(m->best_x[k * D + d] - m->best_x[j * D + d]) <= FO_MODE_SAME * w;
        }
        if (!same)
            continue;
        size_t drop = m->comp[k].best < m->comp[j].best ? j : k;
        size_t keep = drop == k ? j : k;
        m->comp[keep].evaluations += m->comp[drop].evaluations;
        m->comp[drop].state = FO_COMP_FREE;
        rep->events |= FO_EVENT_MERGED;
        m->merged++;
        break;
    }
}

/* After k's step: begin a hill-valley test against an active component
 * whose centre is within both spreads. */
static void maybe_test(struct fo_engine *e, size_t k) {
    struct fo_niche *m = &e->niche;
    const size_t D = e->D;
    struct fo_niche_comp *c = &m->comp[k];
    if (c->hv_with >= 0 || !isfinite(c->best))
        return;
    for (size_t j = 0; j < m->slots; j++) {
        const struct fo_niche_comp *o = &m->comp[j];
        if (j == k || o->state != FO_COMP_ACTIVE || !isfinite(o->best) ||
            (c->hv_distinct >> j & 1u))
            continue;
        double d = dist(D, m->mu + k * D, m->mu + j * D);
        if (d < 2.0 * (spread(e, k) + spread(e, j))) {
            c->hv_with = (int)j;
            c->hv_asked = c->hv_resolved = 0;
            c->hv_cost = -INFINITY;
            return;
        }
    }
}

static void hv_done(struct fo_engine *e, size_t k, struct fo_step_report *rep,
                    int *updated) {
    struct fo_niche *m = &e->niche;
    struct fo_niche_comp *c = &m->comp[k];
    size_t j = (size_t)c->hv_with;
    c->hv_with = -1;
    if (m->comp[j].state != FO_COMP_ACTIVE)
        return;
    double worst_end = fmax(c->best, m->comp[j].best);
    if (c->hv_cost > worst_end) { /* a hill between them: two basins */
        c->hv_distinct |= (uint64_t)1 << j;
        m->comp[j].hv_distinct |= (uint64_t)1 << k;
        return;
    }
    size_t drop = c->best <= m->comp[j].best ? j : k;
    size_t keep = drop == k ? j : k;
    m->comp[keep].evaluations += m->comp[drop].evaluations;
    m->comp[drop].state = FO_COMP_FREE;
    m->merged++;
    report_base(e, rep);
    rep->events |= FO_EVENT_MERGED;
    *updated = 1;
    refill(e);
}

/* k's generation is complete: its CMA step and the tests after it. */
static void comp_step(struct fo_engine *e, size_t k, struct fo_step_report *rep) {
    struct fo_niche *m = &e->niche;
    const size_t D = e->D, lambda = m->comp[k].asked;
    struct fo_niche_comp *c = &m->comp[k];
    const double *cost = m->cost + k * m->cap_gen;
    double *key = m->work + WORK_KEY(D), *mu = m->work + WORK_STEP(D), *L_new = mu + D,
           *work = L_new + D * D;
    size_t *order = m->iwork, finite = 0;
    double lo = INFINITY, hi = -INFINITY, sum = 0.0;
    for (size_t i = 0; i < lambda; i++) {
        key[i] = -cost[i];
        order[i] = i;
        if (isfinite(cost[i])) {
            finite++;
            lo = fmin(lo, cost[i]);
            hi = fmax(hi, cost[i]);
            sum += cost[i];
        }
    }
    fo__order_desc(key, order, lambda);
    report_base(e, rep);
    rep->n = finite;
    rep->n_used = lambda;
    rep->failed = lambda - finite;
    int failed = 0;
    if (finite >= 2) {
        memcpy(mu, m->mu + k * D, D * sizeof(double));
        struct fo_cma_gaussian g = {
            D, mu, m->L + k * D * D, m->ps + k * D, m->pc + k * D, c->sigma, c->gen};
        failed = fo__cma_adapt(&g, m->z + k * m->cap_gen * D, order, lambda,
                               e->cfg.opt.cma_active, L_new, work) != 0;
        c->gen = g.gen;
        for (size_t d = 0; !failed && d < D; d++) /* the flow's limits on L */
            failed = !(L_new[d * D + d] > exp(-35.0));
        if (!failed) {
            memcpy(m->mu + k * D, mu, D * sizeof(double));
            memcpy(m->L + k * D * D, L_new, D * D * sizeof(double));
            c->sigma = g.sigma;
        }
        rep->mean = value_of(e, sum / (double)finite);
        rep->best = value_of(e, lo);
        rep->median = value_of(e, cost[order[finite / 2]]);
    }
    c->asked = c->resolved = 0;
    c->flat = finite >= 2 && hi - lo <= m->tolfun ? c->flat + 1 : 0;
    rep->step_size = spread(e, k);
    const uint64_t stall = 10 + (uint64_t)(30 * D / e->cfg.batch_size);
    if (failed || c->flat >= FO_NICHE_FLAT || c->stale >= stall)
        converge(e, k, rep);
    else
        maybe_test(e, k);
    if (c->state != FO_COMP_ACTIVE)
        refill(e);
}

/* Cost told to component k's sample. */
static void comp_told(struct fo_engine *e, size_t k, double cost, const double *x) {
    struct fo_niche *m = &e->niche;
    struct fo_niche_comp *c = &m->comp[k];
    if (!isfinite(cost))
        return;
    c->evaluations++;
    if (cost < c->best - m->tolfun || !isfinite(c->best))
        c->stale = 0;
    if (cost < c->best) {
        c->best = cost;
        fo_flow_wrap(e->flow, 1, x, m->best_x + k * e->D);
    }
}

void fo__niche_resolved(struct fo_engine *e, size_t i, int *updated,
                        struct fo_step_report *rep) {
    struct fo_niche *m = &e->niche;
    const struct fo_rec *r = &e->recs[i];
    const uint64_t id = r->id;
    const double cost = r->status == FO_SAMPLE_TOLD ? cost_of(e, r->value) : INFINITY;
    double x[FO_FLOW_MAX_DIM];
    memcpy(x, e->xs + i * e->D, e->D * sizeof(double));
    fo__engine_forget(e, i);
    if (m->phase == FO_NICHE_SEEDING)
        for (size_t s = 0; s < m->n_seeds; s++)
            if (m->seed_id[s] == id) {
                m->seed_cost[s] = cost;
                if (++m->seeds_resolved == m->seeds_want) {
                    report_base(e, rep);
                    rep->n = m->seeds_resolved;
                    rep->events |= FO_EVENT_SEEDED;
                    cluster(e);
                    *updated = 1;
                }
                return;
            }
    for (size_t k = 0; k < m->slots; k++) {
        struct fo_niche_comp *c = &m->comp[k];
        if (c->state != FO_COMP_ACTIVE)
            continue;
        for (size_t p = 0; c->hv_with >= 0 && p < c->hv_asked; p++)
            if (m->hv_ids[k][p] == id) {
                comp_told(e, k, cost, x);
                c->hv_cost = fmax(c->hv_cost, cost);
                if (++c->hv_resolved == FO_NICHE_HV_POINTS)
                    hv_done(e, k, rep, updated);
                return;
            }
        uint64_t *ids = m->ids + k * m->cap_gen;
        for (size_t s = 0; s < c->asked; s++)
            if (ids[s] == id) {
                m->cost[k * m->cap_gen + s] = cost;
                comp_told(e, k, cost, x);
                if (++c->resolved == c->asked && c->asked >= e->cfg.batch_size) {
                    c->stale++;
                    comp_step(e, k, rep);
                    *updated = 1;
                }
                return;
            }
    }
}

/* ---- the density ---- */

enum fo_status fo__niche_log_prob(struct fo_engine *e, size_t n, const double *x,
                                  double *log_p, struct fo_error *err) {
    struct fo_niche *m = &e->niche;
    const size_t H = n_held(m);
    if (H == 0)
        return fo_flow_wraps(e->flow) ? fo__circle_log_prob(e, n, x, log_p, err)
                                      : fo_flow_log_prob(e->flow, n, x, log_p, err);
    double *lk = malloc((n ? n : 1) * sizeof *lk);
    if (!lk)
        return fo_error_set(err, FO_ENOMEM, "x", "out of memory");
    for (size_t i = 0; i < n; i++)
        log_p[i] = -INFINITY;
    double *keep = lend_begin(e);
    enum fo_status st = FO_OK;
    for (size_t k = 0; k < m->slots && st == FO_OK; k++) {
        if (!held(m, k) || lend(e, k) != 0)
            continue;
        st = fo_flow_wraps(e->flow) ? fo__circle_log_prob(e, n, x, lk, err)
                                    : fo_flow_log_prob(e->flow, n, x, lk, err);
        for (size_t i = 0; st == FO_OK && i < n; i++) { /* log(exp a + exp b) */
            double a = log_p[i], b = lk[i] + log(weight(m, k));
            double top = fmax(a, b);
            if (isfinite(top))
                log_p[i] = top + log(exp(a - top) + exp(b - top));
        }
    }
    lend_end(e, keep);
    free(lk);
    return st;
}

enum fo_status fo__niche_draw(struct fo_engine *e, struct fo_rng *rng, size_t n,
                              double *x, struct fo_error *err) {
    struct fo_niche *m = &e->niche;
    struct fo_rng saved = e->rng;
    e->rng = *rng;
    double *keep = lend_begin(e), lp;
    for (size_t i = 0; i < n; i++)
        draw_extra(e, x + i * e->D, &lp);
    lend_end(e, keep);
    *rng = e->rng;
    e->rng = saved;
    (void)m;
    (void)err;
    return FO_OK;
}

int fo__niche_centre(struct fo_engine *e, double *x) {
    struct fo_niche *m = &e->niche;
    long best = -1;
    for (size_t k = 0; k < m->slots; k++)
        if (held(m, k) && isfinite(m->comp[k].best) &&
            (best < 0 || m->comp[k].best < m->comp[best].best))
            best = (long)k;
    if (best < 0)
        return -1;
    double *keep = lend_begin(e);
    to_driver(e, m->mu + (size_t)best * e->D, x);
    lend_end(e, keep);
    fo_flow_wrap(e->flow, 1, x, x);
    return 0;
}

size_t fo__niche_modes(struct fo_engine *e, size_t cap, double *x, struct fo_mode *out) {
    struct fo_niche *m = &e->niche;
    const size_t D = e->D;
    size_t n = 0;
    for (size_t k = 0; k < m->slots && n < cap; k++) {
        const struct fo_niche_comp *c = &m->comp[k];
        if (!held(m, k) || !isfinite(c->best))
            continue;
        memcpy(x + n * D, m->best_x + k * D, D * sizeof(double));
        out[n++] = (struct fo_mode){
            c->state == FO_COMP_ACTIVE ? FO_MODE_ACTIVE : FO_MODE_CONVERGED,
            value_of(e, c->best), spread(e, k), weight(m, k), c->evaluations};
    }
    return n;
}
