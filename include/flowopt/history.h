/*
 * history.h - the columns of a history row (one per update) after its
 * step, generation, evaluations and n, described once: FO_STEP_REALS(X)
 * and then FO_STEP_INTS(X) expand X(name) per column in the table's order,
 * and the engine's report, the store's row and SQL, and the daemon's JSON
 * and CSV are all written from them. A new column is one entry here, one
 * migration, and the engine filling it.
 *   mean, median, best  of the generation's told values (NaN when none)
 *   best_ever           the best told value so far
 *   entropy             estimate of H(p) after the update (NaN if not run)
 *   grad_norm           the REINFORCE gradient's norm before clipping
 *   kl                  the accepted KL(p_old || p_new)
 *   lr                  the learning rate after the controller
 *   ess                 effective sample size of the weights used
 *   step_size           the innermost Gaussian's spread, (det L)^(1/D) in the
 *                       flow's coordinates (CMA-ES's sigma times the
 *                       geometric mean of its shape; NaN without a Gaussian)
 *   condition           the condition number of that Gaussian's covariance
 *   tau                 Kendall's tau of the surrogate's ranking when it
 *                       completed the generation (NaN when it did not)
 *   cost                the cost told with the results so far (0 when none
 *                       was told)
 *   reference           the value measured at reference.x since the row
 *                       before (NaN when none): the device's drift
 * and the integers
 *   restarts            restarts so far, this update's included
 *   modelled            candidates of the generation the surrogate valued
 *   reused              told samples of the previous generation importance
 *                       mixing kept in this one
 *   refined             coordinate steps of the refiner's sweep (a row with
 *                       the event refine is a sweep, not a flow update)
 *   failed              failed evaluations of the generation it completed
 *                       (optimizer.failed_rank says how the update took them)
 */
#ifndef FLOWOPT_HISTORY_H
#define FLOWOPT_HISTORY_H

/* clang-format off */
#define FO_STEP_REALS(X)                                                               \
    X(mean) X(median) X(best) X(best_ever) X(entropy) X(grad_norm) X(kl) X(lr) X(ess) \
    X(step_size) X(condition) X(tau) X(cost) X(reference)
#define FO_STEP_INTS(X) X(restarts) X(modelled) X(reused) X(refined) X(failed)
/* clang-format on */

#endif
