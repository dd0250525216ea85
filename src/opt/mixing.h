/*
 * mixing.h - importance mixing of the previous generation (Sun, Wierstra,
 * Schaul and Schmidhuber, GECCO 2009), optimizer.mixing = alpha > 0. When
 * a generation begins, each told sample of the one before is kept with
 * probability min(1, (1 - alpha) p_new(x) / p_old(x)); fresh draws from
 * p_new are then accepted with probability max(alpha, 1 - p_old(x) /
 * p_new(x)) until the batch is full. The mixed batch is distributed as
 * p_new, so the update takes it as one generation (no importance weights)
 * and only the fresh part is asked of the driver. Kept samples keep their
 * id and value; the engine relabels them into the new generation.
 */
#ifndef FLOWOPT_OPT_MIXING_H
#define FLOWOPT_OPT_MIXING_H

#include <stddef.h>
#include <flowopt/status.h>

struct fo_engine;

/* The parameters the generation now ending was drawn from (at the start
 * of its update, before any step). */
void fo__mix_remember(struct fo_engine *e);

/* The generation after the one updated begins (e->generation is already
 * the new one): keep told samples of the old one by the rule. Returns how
 * many were kept. */
size_t fo__mix_begin(struct fo_engine *e);

/* n samples from p_new into x (unwrapped) and lp, the first of them
 * filtered by the fresh-draw rule while the generation's fresh part is
 * not yet drawn; z: the ask's noise buffer (n rows). */
enum fo_status fo__mix_sample(struct fo_engine *e, size_t n, double *z, double *x,
                              double *lp, struct fo_error *err);

#endif
