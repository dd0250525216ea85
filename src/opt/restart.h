/*
 * restart.h - when a run has converged or stalled, and the IPOP restart
 * (Auger and Hansen 2005) that follows: a fresh distribution, fresh
 * optimizer state, twice the batch; best-ever and every counter stay.
 * The tests read the first n gathered samples of an update (the told ones).
 */
#ifndef FLOWOPT_OPT_RESTART_H
#define FLOWOPT_OPT_RESTART_H

#include <stddef.h>
#include <flowopt/opt.h>

struct fo_engine;

/* 1 when every coordinate's spread of this generation's told x is below
 * min_scale times the box width (min_scale 0: never). */
int fo__scale_collapsed(const struct fo_engine *e, size_t n);

/* Record this generation's value range; 1 when every value of the last
 * FO_RESTART_WINDOW generations agrees to within restart_tolfun
 * (1 + |best|): CMA-ES's TolFun. */
int fo__converged(struct fo_engine *e, const struct fo_step_report *rep, size_t n);

/* Record the best since the last (re)start; 1 when it improved by less than
 * restart_stall_tol (1 + |best|) over the last restart_stall generations. */
int fo__stalled(struct fo_engine *e, size_t n);

/* Restart the run; report gets FO_EVENT_RESTART. */
void fo__restart(struct fo_engine *e, struct fo_step_report *rep);

#endif
