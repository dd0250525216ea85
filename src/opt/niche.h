/*
 * niche.h - the niching mixture (optimizer.niches K > 0; issue 11): the
 * run's density is a mixture of Gaussians in the flow's coordinates,
 * pushed through the bounds map, each component adapted as the CMA core
 * is (cma.c), on its own samples.
 *   seeding    a space-filling generation (a Latin hypercube over the box,
 *              FO_NICHE_SEEDS_PER_DIM points per coordinate), clustered by
 *              nearest-better clustering (nbc.c): each basin's best point
 *              seeds one component, sigma half its distance to the nearest
 *              other seed; the best K start, the rest wait in a queue
 *   running    every active component asks its own generation (batch_size
 *              samples, mirrored), handed out in turn; a complete one takes
 *              its CMA step
 *   converged  a component whose generations have all been within tolfun
 *              for FO_NICHE_FLAT generations (tolfun a share of the seeds'
 *              range of values), or that stalls, stops: it stays in the
 *              density as an optimum; one at an optimum another already
 *              holds (FO_MODE_SAME) is dropped
 *   merged     two active components on one basin: their centres within
 *              their spreads, and a hill-valley test finds no worse value
 *              on the segment between them (FO_NICHE_HV_POINTS evaluations)
 *              : the worse one is dropped
 *   taboo      a queued seed (or a later round's) within the taboo radius
 *              of an optimum held is dropped; when nothing is active and
 *              the queue is empty, a new seeding round begins
 * A component's weight is its share of the evaluations spent on the
 * components held, so each optimum found keeps the mass its search took
 * and one just begun holds little. Points are not samples
 * of one flow update: their records are of kind FO_REC_NICHE.
 */
#ifndef FLOWOPT_OPT_NICHE_H
#define FLOWOPT_OPT_NICHE_H

#include <stddef.h>
#include <stdint.h>
#include <flowopt/opt.h>
#include <flowopt/status.h>

struct fo_engine;

/* Components held at most, active and converged: FO_NICHE_SLOTS, or as
 * many factors of D^2 as FO_NICHE_MEMORY doubles hold (at least 4), so a
 * run at D = 1024 holds 4 components in 32 MB. */
#define FO_NICHE_SLOTS 64
#define FO_NICHE_MEMORY (1u << 18)
/* Seed points of a round per coordinate, within [MIN, MAX]. */
#define FO_NICHE_SEEDS_PER_DIM 50
#define FO_NICHE_SEEDS_MIN 100
#define FO_NICHE_SEEDS_MAX 2000
/* A component's generation may grow to this many batches when a driver
 * asks for more than the generations want. */
#define FO_NICHE_GEN_CAP 4
/* Generations a converged component's values stay within tolfun. */
#define FO_NICHE_FLAT 5
/* tolfun: this share of the first seeds' range of values. */
#define FO_NICHE_TOLFUN 1e-6
/* Nearest-better clustering's cut: an edge longer than this times the
 * mean (1.5 found all of Himmelblau's minima in 20 of 20 runs, 2 in 16). */
#define FO_NICHE_PHI 1.5
/* Points of the hill-valley test between two components. */
#define FO_NICHE_HV_POINTS 3

enum fo_niche_phase { FO_NICHE_OFF = 0, FO_NICHE_SEEDING = 1, FO_NICHE_RUNNING = 2 };

enum fo_comp_state { FO_COMP_FREE = 0, FO_COMP_ACTIVE = 1, FO_COMP_CONVERGED = 2 };

struct fo_niche_comp {
    int state; /* enum fo_comp_state */
    double sigma;
    uint64_t gen;           /* CMA generations taken */
    size_t asked, resolved; /* of its current generation */
    double best;            /* the best cost told (value, or -value maximising) */
    uint64_t evaluations;   /* told in its generations */
    uint64_t flat;          /* generations in a row within tolfun */
    uint64_t stale;         /* generations in a row without a better best */
    double hv_cost;         /* the pair's test: the worst cost of its points */
    int hv_with;            /* the component the test is against (-1: none) */
    size_t hv_asked, hv_resolved;
    uint64_t hv_distinct; /* bit j: a hill was found between it and j */
};

struct fo_niche {
    int phase; /* enum fo_niche_phase */
    /* the seeding round: points in the flow's coordinates, costs (+inf
     * while pending or failed), ids; the Latin hypercube's strata */
    size_t n_seeds, seeds_resolved, seeds_want, cap_seeds;
    double *seed_y, *seed_cost;
    uint64_t *seed_id;
    uint32_t *strata; /* (seeds_want, D) */
    uint64_t rounds;
    /* the queue of seeds not yet started, best first */
    double *queue_y, queue_sigma[FO_NICHE_SLOTS];
    size_t n_queue;
    /* components: mu, best x (driver's coordinates) (SLOTS, D); L (SLOTS,
     * D, D); paths (SLOTS, D); the generation's base points (SLOTS, cap,
     * D), costs and ids (SLOTS, cap); hill-valley points' ids */
    struct fo_niche_comp comp[FO_NICHE_SLOTS];
    double *mu, *L, *ps, *pc, *best_x, *seed0, *z, *cost; /* seed0: where each began */
    uint64_t *ids;
    uint64_t hv_ids[FO_NICHE_SLOTS][FO_NICHE_HV_POINTS];
    size_t slots, cap_gen, cap_scratch, turn; /* cap_scratch: max(cap_seeds, cap_gen) */
    double tolfun;
    uint64_t merged, converged; /* so far */
    double *work;               /* scratch: 3 D^2 + 8 D + 3 cap_scratch */
    size_t *iwork;              /* 3 cap_scratch */
};

enum fo_status fo__niche_create(struct fo_engine *e, struct fo_error *err);
void fo__niche_destroy(struct fo_engine *e);

/* Whether the run is a niching mixture. */
int fo__niche_on(const struct fo_engine *e);

/* Hand out n samples (records added, x for the driver). Returns n. */
size_t fo__niche_ask(struct fo_engine *e, size_t n, struct fo_sample *samples, double *x);

/* Samples the mixture wants asked now (at least 1). */
size_t fo__niche_wanted(const struct fo_engine *e);

/* Record i (of kind FO_REC_NICHE) was resolved. OUT: *report and *updated
 * = 1 when a component took a step or the seeds were clustered. */
void fo__niche_resolved(struct fo_engine *e, size_t i, int *updated,
                        struct fo_step_report *report);

/* The mixture's log-density at n points (driver's or unwrapped). */
enum fo_status fo__niche_log_prob(struct fo_engine *e, size_t n, const double *x,
                                  double *log_p, struct fo_error *err);

/* n draws from the mixture (unwrapped), with rng. */
enum fo_status fo__niche_draw(struct fo_engine *e, struct fo_rng *rng, size_t n,
                              double *x, struct fo_error *err);

/* The driver's point at the centre of the best component. OUT: x (D).
 * Returns 0, or -1 when none has a value. */
int fo__niche_centre(struct fo_engine *e, double *x);

/* The components as modes (fo_engine_modes). */
size_t fo__niche_modes(struct fo_engine *e, size_t cap, double *x, struct fo_mode *out);

#endif
