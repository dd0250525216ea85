/*
 * modes.h - the optima a run holds or has held (GET /modes). A run's
 * current search distribution is one active mode: its centre, the best
 * value told since it began, its spread and the evaluations spent on it.
 * When an IPOP restart leaves a converged distribution, that mode is
 * archived (state converged, weight 0: no longer in the density); one
 * within FO_MODE_SAME of an archived one (per coordinate, relative to the
 * box; absolute when unbounded) joins it, keeping the better value.
 */
#ifndef FLOWOPT_OPT_MODES_H
#define FLOWOPT_OPT_MODES_H

#include <stddef.h>
#include <stdint.h>
#include <flowopt/opt.h>
#include <flowopt/status.h>

struct fo_engine;

/* Archived modes kept at most (the best by value when more converge). */
#define FO_MODES_MAX 64
/* Centres closer than this (a share of the box per coordinate) are one. */
#define FO_MODE_SAME 1e-3

struct fo_mode_archive {
    double *x;                 /* (FO_MODES_MAX, D) centres, driver's coordinates */
    double best[FO_MODES_MAX]; /* the best value told there */
    double spread[FO_MODES_MAX];
    uint64_t evaluations[FO_MODES_MAX];
    size_t n;
    /* the current distribution: since it began */
    int has_best;
    double phase_best;
    uint64_t phase_told0;
};

enum fo_status fo__modes_create(struct fo_engine *e, struct fo_error *err);
void fo__modes_destroy(struct fo_engine *e);

/* A value was told (any record): the current mode's best. */
void fo__modes_told(struct fo_engine *e, double value);

/* A restart is about to replace the distribution: archive its mode. */
void fo__modes_archive(struct fo_engine *e);

/* The Gaussian's spread (det L)^(1/D) in the flow's coordinates, or NaN. */
double fo__modes_spread(struct fo_engine *e);

#endif
