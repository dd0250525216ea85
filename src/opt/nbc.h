/*
 * nbc.h - nearest-better clustering (Preuss, Schönemann and Emmerich 2005;
 * the seeding of NBC-CMA and RS-CMSA): every point is joined to its nearest
 * better point; edges longer than phi times their mean are cut; each tree
 * left is one basin of attraction, seeded by its best point. The seeding
 * step of a niching search distribution (issue 11: the mixture's
 * components start at the seeds).
 */
#ifndef FLOWOPT_OPT_NBC_H
#define FLOWOPT_OPT_NBC_H

#include <stddef.h>
#include <flowopt/status.h>

/* The edge cut of Preuss's NBC. */
#define FO_NBC_PHI 2.0

/*
 * x (n, D) points, fit (n) their fitness (larger is better), scale (D)
 * each coordinate's width (distances are measured in units of it; NULL: 1).
 * OUT: seeds (n, room for every point) the best point of each basin, best
 * first, and *n_seeds; cluster (n, may be NULL) each point's seed's index
 * into seeds. Scratch: work (2 n doubles), iwork (2 n). Returns FO_OK, or
 * FO_EINVAL for n == 0.
 */
enum fo_status fo__nbc(size_t n, size_t D, const double *x, const double *fit,
                       const double *scale, double phi, size_t *seeds, size_t *n_seeds,
                       size_t *cluster, double *work, size_t *iwork,
                       struct fo_error *err);

#endif
