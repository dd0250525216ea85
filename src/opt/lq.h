/*
 * lq.h - lq-CMA-ES's protocol for one generation (Hansen, GECCO 2019):
 * the engine draws the generation's lambda candidates at its first ask,
 * ranks them by the surrogate (surrogate.c) and hands them out best first,
 * first int(1 + max(0.02 lambda, 4 - archive)) of them; once those are
 * resolved it measures Kendall's tau on the most recent max(15, min(1.2
 * evaluated, 0.75 lambda)) told points with the model that ranked them
 * (the newest are held out of its fit). tau >= FO_LQ_TAU completes the
 * generation (the candidates not evaluated take the model's values,
 * shifted to agree with the best evaluated one); otherwise the model is
 * refitted, the rest re-ranked and half as many again released. A model too poor to fit
 * leaves the generation to be evaluated whole. Kind cma only.
 */
#ifndef FLOWOPT_OPT_LQ_H
#define FLOWOPT_OPT_LQ_H

#include <stddef.h>
#include <stdint.h>
#include <flowopt/opt.h>
#include <flowopt/status.h>

struct fo_engine;

/* tau at which a generation's model ranking is trusted. lq-CMA-ES takes
 * 0.85 for its in-sample tau; ours is held out, and where the full model
 * is (D <= FO_SURROGATE_FULL_MAX_DIM) 0.75 measured better on every
 * function of the suite (20 seeds: sphere 326 -> 289, the ellipsoid
 * 895 -> 811, rosenbrock 1,427 -> 1,377, ackley 856 -> 766, tfim_vqe
 * periodic 904 -> 820; seed_trig, tfim_vqe, styblinski_tang within 2 %).
 * The diagonal model above needs 0.85: at 0.75 the rotated ellipsoid at
 * D = 40 was never solved (3 seeds), at 0.85 always. */
#define FO_LQ_TAU 0.75
#define FO_LQ_TAU_DIAGONAL 0.85

/* Allocate the surrogate when the configuration asks for one. */
enum fo_status fo__lq_create(struct fo_engine *e, struct fo_error *err);
void fo__lq_destroy(struct fo_engine *e);

/* Room for n candidates (kept when there is). Returns 0, or -1 when out of
 * memory (what was there stays). */
int fo__lq_reserve(struct fo_engine *e, size_t n);

/* The first n or fewer samples of an ask from the pool (starting it at a
 * generation's first ask). OUT: samples, x (wrapped for the driver); the
 * records are added. Returns how many it gave. */
size_t fo__lq_ask(struct fo_engine *e, size_t n, struct fo_sample *samples, double *x);

/* A told record i joins the archive (value in the run's direction). */
void fo__lq_told(struct fo_engine *e, size_t i);

/* With the pool on: 1 when the generation is complete, 0 while it needs
 * more; -1 when no pool runs (the batch rule applies). */
int fo__lq_complete(struct fo_engine *e);

/* Append the candidates not evaluated to the update's scratch from index
 * k, with the model's values and marked current. Returns how many. */
size_t fo__lq_append(struct fo_engine *e, size_t k);

/* The generation is over (updated, or restarted: forget the archive too). */
void fo__lq_end(struct fo_engine *e, int restarted);

/* Samples the current generation still needs asked (see counters). */
size_t fo__lq_wanted(const struct fo_engine *e, size_t asked_in_gen);

#endif
