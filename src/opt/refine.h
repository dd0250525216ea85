/*
 * refine.h - the exact coordinate refiner for circuit energies (structure
 * pauli-rotations; Nakanishi, Fujii and Todo 2020, NFT; Rotosolve). When
 * each parameter enters once through a rotation, the energy along one
 * coordinate is c + A cos(k t) + B sin(k t), k its declared frequency:
 * three values fix it. Around an incumbent (the best told point) the
 * refiner asks two probes of coordinate j, a quarter period either side,
 * fits the sinusoid through them and the incumbent's value, and moves
 * coordinate j to the fit's minimum (its value predicted, not measured);
 * after a sweep over every coordinate it measures the incumbent once. A
 * measurement that disagrees with the prediction means the structure does
 * not hold: the refiner stops for the rest of the run and the flow goes on
 * alone. Its points are not samples of the flow: they update best-ever and
 * the surrogate's archive, never the flow's update.
 *   interleave  a sweep after every flow update;
 *   alone       sweeps only, restarting from a point drawn in the box when
 *               a sweep improves by less than FO_REFINE_TOL relative (the
 *               flow is asked only for what a driver asks beyond the
 *               refiner's points, or when the structure broke).
 */
#ifndef FLOWOPT_OPT_REFINE_H
#define FLOWOPT_OPT_REFINE_H

#include <stddef.h>
#include <stdint.h>
#include <flowopt/opt.h>
#include <flowopt/status.h>

struct fo_engine;

/* A sweep that improves the incumbent by less than this (times 1 + |f|)
 * ends the refiner's descent from it (alone: a restart). */
#define FO_REFINE_TOL 1e-3
/* A measured incumbent further than this (times 1 + |f|) from its
 * prediction breaks the structure. */
#define FO_REFINE_CHECK 1e-6
/* Under told standard errors, the check allows this many of them, times
 * the square root of the values behind the prediction (one per step and
 * the measurement). */
#define FO_REFINE_SIGMAS 4.0

/* structure.repeats at most: evaluations of each refiner point. */
#define FO_REFINE_REPEATS_MAX 16

/* What the refiner is doing (the run's counters and snapshots). */
enum fo_refine_stage {
    FO_REFINE_IDLE = 0,  /* not in a sweep (interleave: the flow's turn) */
    FO_REFINE_PROBES,    /* coordinate j's two probes to hand out */
    FO_REFINE_WAIT,      /* they are out */
    FO_REFINE_CHECK_OUT, /* the incumbent's measurement to hand out */
    FO_REFINE_CHECKING,  /* it is out */
    FO_REFINE_START_OUT, /* alone: a fresh start point to hand out */
    FO_REFINE_STARTING,  /* it is out */
    FO_REFINE_BROKEN     /* the structure does not hold: off for good */
};

struct fo_refine {
    int stage;      /* enum fo_refine_stage */
    double *x;      /* (D) the incumbent, in the driver's coordinates */
    double f;       /* its cost (value, or -value when maximising): predicted */
    double f_sweep; /* the cost at the sweep's start */
    size_t j, done; /* the coordinate being stepped; steps of this sweep */
    /* the stage's samples: PROBES, each of coordinate j's two probes
     * structure.repeats times (probe i: ids[i k .. i k + k)); CHECK and
     * START, the one point k times */
    uint64_t ids[2 * FO_REFINE_REPEATS_MAX];
    int handed, resolved; /* of them */
    double sum[2];        /* the told costs of each point */
    int n_told[2];
    double se_sum;   /* CHECK: the sum of its values' squared errors */
    uint64_t steps;  /* coordinate steps so far */
    uint64_t sweeps; /* sweeps completed */
    uint64_t starts; /* alone: fresh starts so far */
    int noisy;       /* a value was told with a standard error > 0 */
    int remeasure;   /* START: measure the incumbent afresh (not a new point) */
    int stalled;     /* interleave: the last sweep gained less than FO_REFINE_TOL */
    double stall_f;  /* the cost it stalled at: a sweep waits for a better best */
};

/* Allocate for cfg's structure (nothing when none is declared). */
enum fo_status fo__refine_create(struct fo_engine *e, struct fo_error *err);
void fo__refine_destroy(struct fo_engine *e);

/* Whether the refiner runs (declared and not broken). */
int fo__refine_on(const struct fo_engine *e);

/* Hand out up to n of the refiner's points as samples (records added, x
 * for the driver). Returns how many. */
size_t fo__refine_ask(struct fo_engine *e, size_t n, struct fo_sample *samples,
                      double *x);

/* Points the refiner wants asked now (0 when it waits or is idle). */
size_t fo__refine_wanted(const struct fo_engine *e);

/* Record i (a refiner point) was resolved. OUT: *report and *updated = 1
 * when it completed a sweep (a history row). */
void fo__refine_resolved(struct fo_engine *e, size_t i, int *updated,
                         struct fo_step_report *report);

/* A flow update happened (interleave: the refiner's turn). */
void fo__refine_after_update(struct fo_engine *e);

/* Through its pieces: the fit of c + A cos(k t) + B sin(k t) through
 * (t[i], v[i]), i < 3. OUT: coef {c, A, B}. Returns 0, or -1 when the
 * three points do not fix it. */
int fo__sinusoid_fit(const double t[3], const double v[3], double k, double coef[3]);

#endif
