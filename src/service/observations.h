/*
 * observations.h - values at points a run did not hand out (yesterday's
 * scan, a notebook's grid, another optimizer's history): checked whole,
 * applied to the engine (fo_engine_observe says how it uses them), and
 * committed as samples of origin "observed" with one op each, so a
 * restart replays them.
 */
#ifndef FLOWOPT_SERVICE_OBSERVATIONS_H
#define FLOWOPT_SERVICE_OBSERVATIONS_H

#include <stddef.h>
#include <stdint.h>
#include <flowopt/status.h>
#include "service/runs.h"

/* Observations one request may carry. */
#define FO_MAX_OBSERVATIONS 1000

/*
 * n values at x (n, dim); nothing is applied unless every x lies inside
 * the bounds and every value is finite (the error names x or value and
 * its index). OUT: ids (n) the sample ids they took. Durable on return.
 */
enum fo_status fo_service_observe(struct fo_service *svc, const char *id, size_t n,
                                  const double *x, const double *values, uint64_t *ids,
                                  struct fo_error *err);

#endif
