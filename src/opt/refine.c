/* refine.c - the exact coordinate refiner; see refine.h. */
#include "opt/refine.h"
#include "opt/engine_internal.h"
#include "opt/lq.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum fo_status fo__refine_create(struct fo_engine *e, struct fo_error *err) {
    e->ref.stage = FO_REFINE_IDLE;
    if (e->cfg.structure == FO_STRUCTURE_NONE)
        return FO_OK;
    e->ref.x = calloc(e->D, sizeof(double));
    e->freq = malloc(e->D * sizeof(double));
    if (!e->ref.x || !e->freq)
        return fo_error_set(err, FO_ENOMEM, "run", "out of memory for the refiner");
    for (size_t d = 0; d < e->D; d++)
        e->freq[d] = e->cfg.frequency ? e->cfg.frequency[d] : 1.0;
    e->cfg.frequency = e->cfg.frequency ? e->freq : NULL;
    return FO_OK;
}

void fo__refine_destroy(struct fo_engine *e) {
    free(e->ref.x);
    free(e->freq);
    e->ref.x = NULL;
    e->freq = NULL;
}

int fo__refine_on(const struct fo_engine *e) {
    return e->cfg.structure != FO_STRUCTURE_NONE && e->ref.stage != FO_REFINE_BROKEN;
}

static int alone(const struct fo_engine *e) {
    return e->cfg.structure_mode == FO_STRUCTURE_ALONE;
}

static double cost(const struct fo_engine *e, double value) {
    return e->cfg.direction == FO_MAXIMIZE ? -value : value;
}

static double period(const struct fo_engine *e, size_t j) {
    return 2.0 * M_PI / e->freq[j];
}

static int circle(const struct fo_engine *e, size_t j) {
    return e->periodic && e->periodic[j];
}

/* t moved by whole periods of coordinate j's sinusoid (or of its circle)
 * into its domain when it can be, else clamped there. */
static double place(const struct fo_engine *e, size_t j, double t) {
    const double lo = e->lo[j], hi = e->hi[j], P = period(e, j);
    if (circle(e, j)) {
        double w = hi - lo, u = fmod(t - lo, w);
        return lo + (u < 0.0 ? u + w : u);
    }
    if (!isfinite(lo) || !isfinite(hi))
        return t;
    if (t > hi && t - ceil((t - hi) / P) * P >= lo)
        t -= ceil((t - hi) / P) * P;
    if (t < lo && t + ceil((lo - t) / P) * P <= hi)
        t += ceil((lo - t) / P) * P;
    return fmin(fmax(t, lo), hi);
}

int fo__sinusoid_fit(const double t[3], const double v[3], double k, double coef[3]) {
    double M[3][3];
    for (int i = 0; i < 3; i++) {
        M[i][0] = 1.0;
        M[i][1] = cos(k * t[i]);
        M[i][2] = sin(k * t[i]);
    }
    double det = M[0][0] * (M[1][1] * M[2][2] - M[1][2] * M[2][1]) -
                 M[0][1] * (M[1][0] * M[2][2] - M[1][2] * M[2][0]) +
                 M[0][2] * (M[1][0] * M[2][1] - M[1][1] * M[2][0]);
    if (!(fabs(det) > 1e-9))
        return -1;
    for (int c = 0; c < 3; c++) { /* Cramer: column c replaced by v */
        double A[3][3];
        memcpy(A, M, sizeof A);
        for (int i = 0; i < 3; i++)
            A[i][c] = v[i];
        coef[c] = (A[0][0] * (A[1][1] * A[2][2] - A[1][2] * A[2][1]) -
                   A[0][1] * (A[1][0] * A[2][2] - A[1][2] * A[2][0]) +
                   A[0][2] * (A[1][0] * A[2][1] - A[1][1] * A[2][0])) /
                  det;
    }
    return 0;
}

static double sinusoid(const double coef[3], double k, double t) {
    return coef[0] + coef[1] * cos(k * t) + coef[2] * sin(k * t);
}

/* The fit's minimum in coordinate j's domain, the image nearest `near`. */
static double argmin(const struct fo_engine *e, size_t j, const double coef[3],
                     double near) {
    const double k = e->freq[j], P = period(e, j), lo = e->lo[j], hi = e->hi[j];
    double t0 = (atan2(coef[2], coef[1]) + M_PI) / k;
    double t = t0 + round((near - t0) / P) * P;
    if (circle(e, j) || !isfinite(lo) || !isfinite(hi))
        return place(e, j, t);
    for (int m = 0; m < 2 && (t < lo || t > hi); m++)
        t += t < lo ? P : -P;
    if (t >= lo && t <= hi)
        return t;
    return sinusoid(coef, k, lo) <= sinusoid(coef, k, hi) ? lo : hi;
}

static void clear_stage(struct fo_refine *r) {
    r->handed = r->resolved = 0;
    r->sum[0] = r->sum[1] = r->se_sum = 0.0;
    r->n_told[0] = r->n_told[1] = 0;
}

/* Evaluations of each refiner point. */
static int repeats(const struct fo_engine *e) {
    return (int)e->cfg.structure_repeats;
}

static void begin_sweep(struct fo_engine *e, const double *x, double f) {
    struct fo_refine *r = &e->ref;
    if (x != r->x)
        memcpy(r->x, x, e->D * sizeof(double));
    r->f = r->f_sweep = f;
    r->j = r->done = 0;
    clear_stage(r);
    r->stage = FO_REFINE_PROBES;
}

/* A sweep from a told point: under noise its value is the luckiest of many
 * draws (best-ever) and would anchor every fit low, so it is measured
 * afresh first. */
static void begin_from(struct fo_engine *e, const double *x, double f) {
    struct fo_refine *r = &e->ref;
    if (!r->noisy) {
        begin_sweep(e, x, f);
        return;
    }
    if (x != r->x)
        memcpy(r->x, x, e->D * sizeof(double));
    r->remeasure = 1;
    clear_stage(r);
    r->stage = FO_REFINE_START_OUT;
}

/* Probe i (0: a quarter period up, 1: down) of coordinate j into out. */
static void probe_point(const struct fo_engine *e, int i, double *out) {
    const struct fo_refine *r = &e->ref;
    memcpy(out, r->x, e->D * sizeof(double));
    double q = 0.25 * period(e, r->j);
    out[r->j] = place(e, r->j, r->x[r->j] + (i == 0 ? q : -q));
}

/* A fresh start: uniform in the box (the unbounded coordinates spread a
 * period around the incumbent). */
static void start_point(struct fo_engine *e, double *out) {
    for (size_t d = 0; d < e->D; d++) {
        double lo = e->lo[d], hi = e->hi[d];
        out[d] = isfinite(lo) && isfinite(hi)
                     ? lo + (hi - lo) * fo_rng_uniform(&e->rng)
                     : e->ref.x[d] + period(e, d) * fo_rng_normal(&e->rng);
    }
}

/* A refiner point as a record and a sample. It is not a draw of the flow;
 * its log_prob is the run's density there (as /log_prob gives it), which
 * says how far from the flow's belief the refiner went. */
static void hand_out(struct fo_engine *e, const double *p, struct fo_sample *s, double *x,
                     uint64_t *id) {
    double lp = -INFINITY;
    if (fo_engine_log_prob(e, 1, p, &lp, NULL) != FO_OK || isnan(lp))
        lp = -INFINITY;
    fo__engine_add_record(e, p, lp, s);
    e->recs[e->n_recs - 1].kind = FO_REC_REFINE;
    memcpy(x, p, e->D * sizeof(double));
    *id = s->id;
}

size_t fo__refine_ask(struct fo_engine *e, size_t n, struct fo_sample *samples,
                      double *x) {
    struct fo_refine *r = &e->ref;
    if (!fo__refine_on(e))
        return 0;
    if (r->stage == FO_REFINE_IDLE && alone(e) && e->has_best)
        begin_from(e, e->best_x, cost(e, e->best_value));
    size_t m = 0;
    const size_t D = e->D;
    const int k = repeats(e);
    while (m < n && r->stage == FO_REFINE_PROBES && r->handed < 2 * k) {
        double *xm = x + m * D;
        probe_point(e, r->handed / k, xm);
        hand_out(e, xm, &samples[m], xm, &r->ids[r->handed]);
        m++;
        if (++r->handed == 2 * k)
            r->stage = FO_REFINE_WAIT;
    }
    while (m < n &&
           (r->stage == FO_REFINE_CHECK_OUT || r->stage == FO_REFINE_START_OUT)) {
        double *xm = x + m * D;
        if (r->stage == FO_REFINE_START_OUT && !r->remeasure && r->handed == 0)
            start_point(e, r->x); /* the fresh start, the same for its k values */
        memcpy(xm, r->x, D * sizeof(double));
        hand_out(e, xm, &samples[m], xm, &r->ids[r->handed]);
        m++;
        if (++r->handed == k)
            r->stage =
                r->stage == FO_REFINE_CHECK_OUT ? FO_REFINE_CHECKING : FO_REFINE_STARTING;
    }
    return m;
}

size_t fo__refine_wanted(const struct fo_engine *e) {
    const struct fo_refine *r = &e->ref;
    if (!fo__refine_on(e))
        return 0;
    const size_t k = (size_t)repeats(e);
    switch (r->stage) {
    case FO_REFINE_PROBES: return 2 * k - (size_t)r->handed;
    case FO_REFINE_CHECK_OUT:
    case FO_REFINE_START_OUT: return k - (size_t)r->handed;
    case FO_REFINE_IDLE: return alone(e) && e->has_best ? 2 * k : 0;
    default: return 0;
    }
}

/* Drop the record of a resolved refiner point (its value is taken). */
static void forget_id(struct fo_engine *e, uint64_t id) {
    long i = fo__engine_find(e, id);
    if (i >= 0 && e->recs[i].status != FO_SAMPLE_PENDING)
        fo__engine_forget(e, (size_t)i);
}

/* Both probes of coordinate j are resolved: move it. */
static void step(struct fo_engine *e) {
    struct fo_refine *r = &e->ref;
    const size_t j = r->j;
    double t[3], v[3], coef[3];
    double q = 0.25 * period(e, j);
    t[0] = r->x[j];
    t[1] = place(e, j, r->x[j] + q);
    t[2] = place(e, j, r->x[j] - q);
    v[0] = r->f;
    v[1] = r->n_told[0] ? r->sum[0] / r->n_told[0] : INFINITY;
    v[2] = r->n_told[1] ? r->sum[1] / r->n_told[1] : INFINITY;
    int both = r->n_told[0] && r->n_told[1];
    if (both && fo__sinusoid_fit(t, v, e->freq[j], coef) == 0) {
        double ts = argmin(e, j, coef, t[0]), fs = sinusoid(coef, e->freq[j], ts);
        if (fs < r->f) {
            r->x[j] = ts;
            r->f = fs;
        }
    }
    /* a measured probe beats a prediction (under noise, a lucky draw would) */
    for (int i = 0; i < 2 && !r->noisy; i++)
        if (r->n_told[i] && v[1 + i] < r->f) {
            r->x[j] = t[1 + i];
            r->f = v[1 + i];
        }
    for (int i = 0; i < r->handed; i++)
        forget_id(e, r->ids[i]);
    r->steps++;
    r->done++;
    r->j = (j + 1) % e->D;
    clear_stage(r);
    r->stage = r->done >= e->D ? FO_REFINE_CHECK_OUT : FO_REFINE_PROBES;
}

static void sweep_report(struct fo_engine *e, double measured, int broken,
                         struct fo_step_report *rep) {
    memset(rep, 0, sizeof *rep);
    rep->step = ++e->updates;
    rep->generation = e->generation;
    rep->evaluations = e->told;
    rep->n = 2 * e->ref.done + 1;
    rep->mean = rep->median = rep->entropy = rep->ess = NAN;
    rep->grad_norm = rep->kl = 0.0;
    rep->step_size = rep->condition = rep->tau = NAN;
    rep->lr = e->lr;
    rep->best = measured;
    rep->best_ever = e->has_best ? e->best_value : NAN;
    rep->restarts = e->restarts_done;
    rep->refined = e->ref.done;
    rep->events = FO_EVENT_REFINE | (broken ? FO_EVENT_STRUCTURE_BROKEN : 0);
}

/* The incumbent's measurement is in: judge the structure, end the sweep. */
static void checked(struct fo_engine *e, int told, double value, double se, int *updated,
                    struct fo_step_report *rep) {
    struct fo_refine *r = &e->ref;
    double m = told ? cost(e, value) : r->f;
    /* with a standard error told, the measurement and every step's fit may
     * miss by noise */
    double tol =
        FO_REFINE_CHECK * (1.0 + fabs(r->f)) +
        (isfinite(se) ? FO_REFINE_SIGMAS * se * sqrt(1.0 + (double)r->done) : 0.0);
    int broken = told && fabs(m - r->f) > tol;
    r->f = m;
    r->sweeps++;
    clear_stage(r);
    sweep_report(e, told ? value : NAN, broken, rep);
    *updated = 1;
    fo__recommend_after_update(e); /* a round for the re-evaluations too */
    double gain = r->f_sweep - r->f;
    r->done = 0;
    if (broken)
        r->stage = FO_REFINE_BROKEN;
    else if (!alone(e)) {
        r->stage = FO_REFINE_IDLE;
        r->stalled = gain < FO_REFINE_TOL * (1.0 + fabs(r->f));
        r->stall_f = r->f;
    } else if (gain < FO_REFINE_TOL * (1.0 + fabs(r->f)))
        r->stage = FO_REFINE_START_OUT;
    else
        begin_sweep(e, r->x, r->f);
}

void fo__refine_resolved(struct fo_engine *e, size_t i, int *updated,
                         struct fo_step_report *rep) {
    struct fo_refine *r = &e->ref;
    const struct fo_rec *rec = &e->recs[i];
    const int told = rec->status == FO_SAMPLE_TOLD, k = repeats(e);
    const uint64_t id = rec->id;
    if (!fo__refine_on(e) || rec->kind != FO_REC_REFINE)
        return;
    int slot = -1;
    for (int s = 0; s < r->handed; s++)
        slot = r->ids[s] == id ? s : slot;
    if (slot < 0)
        return; /* of a stage gone by */
    int point = r->stage == FO_REFINE_PROBES || r->stage == FO_REFINE_WAIT ? slot / k : 0;
    r->resolved++;
    if (told) {
        r->sum[point] += cost(e, rec->value);
        r->n_told[point]++;
        r->se_sum += isfinite(rec->se) ? rec->se * rec->se : 0.0;
    }
    if (r->stage == FO_REFINE_WAIT && r->resolved == 2 * k) {
        step(e);
    } else if (r->stage == FO_REFINE_CHECKING && r->resolved == k) {
        /* the mean of k values: its standard error is theirs over sqrt k */
        int n = r->n_told[0];
        double se = n ? sqrt(r->se_sum) / n : NAN, mean = n ? r->sum[0] / n : NAN;
        for (int s = 0; s < r->handed; s++)
            forget_id(e, r->ids[s]);
        checked(e, n > 0, e->cfg.direction == FO_MAXIMIZE ? -mean : mean, se, updated,
                rep);
    } else if (r->stage == FO_REFINE_STARTING && r->resolved == k) {
        for (int s = 0; s < r->handed; s++)
            forget_id(e, r->ids[s]);
        if (r->n_told[0]) {
            double f = r->sum[0] / r->n_told[0];
            r->starts += !r->remeasure;
            r->remeasure = 0;
            begin_sweep(e, r->x, f);
        } else {
            clear_stage(r);
            r->stage = FO_REFINE_START_OUT;
        }
    }
}

void fo__refine_after_update(struct fo_engine *e) {
    struct fo_refine *r = &e->ref;
    if (!fo__refine_on(e) || alone(e) || r->stage != FO_REFINE_IDLE || !e->has_best)
        return;
    double f = cost(e, e->best_value);
    if (!r->stalled || f < r->stall_f - FO_REFINE_TOL * (1.0 + fabs(r->stall_f))) {
        r->stalled = 0;
        begin_from(e, e->best_x, f);
        return;
    }
    /* the refiner has taken best-ever as far as coordinate steps go: it
     * descends from the best the flow drew in the generation just updated
     * instead, a local search from where the flow now looks */
    long k = -1;
    for (size_t i = 0; i < e->n_recs; i++) {
        const struct fo_rec *rec = &e->recs[i];
        if (rec->kind == FO_REC_FLOW && rec->status == FO_SAMPLE_TOLD &&
            rec->generation == e->generation &&
            (k < 0 || cost(e, rec->value) < cost(e, e->recs[k].value)))
            k = (long)i;
    }
    if (k < 0)
        return;
    fo_flow_wrap(e->flow, 1, e->xs + (size_t)k * e->D, r->x);
    begin_from(e, r->x, cost(e, e->recs[k].value));
}
