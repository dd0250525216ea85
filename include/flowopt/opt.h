/*
 * opt.h - stabilised REINFORCE for normalizing-flow search distributions,
 * and an in-process ask/tell engine around it.
 *
 * One update (DESIGN.md, "The update"):
 *   1. utilities from the told values (rank by default), plus an entropy
 *      bonus beta (mean log p - log p_i) on the same samples;
 *   2. g = sum_i w_i grad log p(x_i) over this generation and up to G
 *      earlier ones, with PPO-clipped importance ratios p_W / p_behaviour;
 *   3. global-norm clipping, then an Adam (or clamped SGD) step;
 *   4. trust region: KL(p_old || p_new) by the k3 estimator on the samples;
 *      the step is halved until it holds, and the learning rate follows the
 *      accepted KL, so the step shrinks as the distribution narrows;
 *   5. guards: NaN/inf, an unmeetable trust region or an entropy below the
 *      floor roll back to the last good parameters and lower the rate.
 * No I/O; deterministic given the seed.
 */
#ifndef FLOWOPT_OPT_H
#define FLOWOPT_OPT_H

#include <stddef.h>
#include <stdint.h>
#include <flowopt/flow.h>
#include <flowopt/history.h>
#include <flowopt/status.h>

enum fo_direction { FO_MINIMIZE = 0, FO_MAXIMIZE = 1 };

/* The most samples one ask draws and one generation holds at creation (a
 * restart's doubled batch is asked in several calls); the one limit the
 * engine, the settings table and the HTTP routes share. */
#define FO_ENGINE_MAX_ASK 10000
_Static_assert(FO_ENGINE_MAX_ASK <= FO_FLOW_MAX_BATCH, "an ask must fit one flow batch");

enum fo_utility {
    FO_UTILITY_RANK = 0,          /* NES log-rank utilities, zero-sum */
    FO_UTILITY_CENTERED_RANK = 1, /* rank / (n - 1) - 0.5 */
    FO_UTILITY_ZSCORE = 2,        /* (f - mean) / sd */
    FO_UTILITY_RAW = 3            /* f - mean (the motivating setup) */
};
#define FO_N_UTILITIES 4
extern const char *const fo_utility_names[FO_N_UTILITIES]; /* index = utility */

enum fo_optimizer {
    FO_OPTIMIZER_ADAM = 0,      /* Adam in the flow's local coordinates */
    FO_OPTIMIZER_SGD_CLAMP = 1, /* SGD with each gradient element clamped */
    FO_OPTIMIZER_NATURAL = 2,   /* natural gradient for Gaussian layers (xNES steps,
                                   Glasmachers et al. 2010), Adam for networks */
    FO_OPTIMIZER_CMA = 3        /* the innermost full Gaussian adapted as CMA-ES
                                   adapts its Gaussian; Adam for networks */
};

/* What a failed evaluation teaches the update. */
enum fo_failed_rank {
    FO_FAILED_IGNORE = 0, /* left out, as if never asked */
    FO_FAILED_WORST = 1   /* ranked below every value of its generation */
};

struct fo_opt_config {
    enum fo_utility utility;
    double entropy_coef; /* beta; 0 disables the bonus */
    enum fo_optimizer optimizer;
    double lr;                  /* initial learning rate */
    double shape_lr_scale;      /* step multiplier for Gaussian scale and shape
                                   parameters (0 = 1): a spread that shrinks as fast
                                   as the location moves converges prematurely */
    double net_lr_scale;        /* step multiplier for conditioner networks (0 = 1):
                                   thousands of weights moving together move the
                                   distribution far more than a Gaussian's few */
    double lr_min, lr_max;      /* the controller keeps lr within these */
    double clip_norm;           /* global gradient norm cap; 0 disables */
    double sgd_clamp;           /* per-element clamp for SGD */
    int trust_region;           /* 1: enforce KL(p_old || p_new) <= kl_target */
    double kl_target;           /* delta */
    unsigned max_halvings;      /* step halvings before giving up */
    double lr_grow, lr_shrink;  /* controller factors (> 1 and < 1) */
    unsigned reuse_generations; /* G earlier generations reused */
    double ppo_eps;             /* importance-ratio clip */
    int mirrored;               /* draw base noise in pairs z, -z */
    double entropy_floor;       /* per-dimension entropy floor (nats) */
    enum fo_failed_rank failed_rank;
    int cma_active;      /* kind cma: the worse half of a generation takes negative
                            weights in the covariance update (active CMA-ES) */
    int surrogate;       /* enum fo_surrogate_mode */
    double mixing;       /* importance mixing's alpha (mixing.h); 0: off */
    unsigned reevaluate; /* re-evaluations per generation behind the recommended
                            point's estimate (recommend.h); 0: none */
    unsigned niches;     /* components of the niching mixture active at once
                            (niche.h); 0: one distribution */
};

/* What a pending sample becomes when its lease (or the run's
 * pending_timeout_s) runs out. */
enum fo_pending_expiry {
    FO_EXPIRY_FAILED = 0, /* failed (status expired), as before format 17 */
    FO_EXPIRY_LOST = 1    /* lost: its point is handed out again, no penalty */
};

/* Whether a generation may be ranked by a model instead of evaluated. */
enum fo_surrogate_mode {
    FO_SURROGATE_OFF = 0,
    FO_SURROGATE_LQ = 1 /* lq-CMA-ES: evaluate candidates in model order until
                           Kendall's tau says the model ranks well (kind cma) */
};

struct fo_run_config {
    struct fo_flow_config flow; /* dim and bounds live here */
    struct fo_opt_config opt;
    enum fo_direction direction;
    size_t batch_size; /* samples per generation */
    uint64_t seed;
    uint64_t budget; /* evaluations; 0 = unlimited */
    double
        budget_cost; /* the told results' cost (shots, seconds, money); 0 = unlimited */
    int has_target;
    double target;          /* stop once best reaches it */
    unsigned patience;      /* generations without improvement; 0 = off */
    double min_scale;       /* stop when every coordinate's spread falls below
                               min_scale (relative to the box); 0 = off */
    unsigned restarts;      /* restarts allowed once the run has converged
                               (IPOP: each doubles the batch); 0 = off */
    double restart_tolfun;  /* converged: the values of the last generations
                               span less than tolfun (1 + |best|) */
    unsigned restart_stall; /* also restart when the best since the last
                               (re)start improved by less than stall_tol
                               (1 + |best|) over this many generations:
                               a run creeping in a local basin; 0 = off */
    double restart_stall_tol;
    double pending_timeout_s; /* a sample not told within this many seconds
                                 expires (counted as failed); 0 = never. The
                                 engine has no clock: its host applies this */
    int pending_expiry;       /* enum fo_pending_expiry: what a sample past its
                                 lease or timeout becomes */
    const double *start;      /* NULL (the box's centre), or (dim) the first
                                 distribution's centre: yesterday's optimum */
    int has_start_scale;
    double start_scale;         /* the first distribution's spread in x's units
                                   (none: the preset's, about (hi - lo) / 4) */
    int restart_mean;           /* enum fo_restart_mean */
    int structure;              /* enum fo_structure: what the objective is known to be */
    int structure_mode;         /* enum fo_structure_mode */
    unsigned structure_repeats; /* evaluations of each refiner point (their mean
                                   is used: noise over sqrt of it) */
    const double *reference;    /* NULL, or (dim) a point measured every
                                   reference_every generations (drift.h) */
    unsigned reference_every;   /* 0: never */
    const double *frequency;    /* NULL (all 1), or (dim) each coordinate's frequency
                                   under structure pauli-rotations */
};

/* What is known of the objective's form (refine.h). */
enum fo_structure {
    FO_STRUCTURE_NONE = 0,
    FO_STRUCTURE_PAULI = 1 /* pauli-rotations: along each coordinate, a sinusoid of
                              its frequency (exact coordinate steps) */
};
enum fo_structure_mode {
    FO_STRUCTURE_INTERLEAVE = 0, /* a refiner sweep after every flow update */
    FO_STRUCTURE_ALONE = 1       /* the refiner alone, restarting in the box */
};

/* Where an IPOP restart centres its fresh distribution. */
enum fo_restart_mean {
    FO_RESTART_AT_START = 0, /* where the run first started */
    FO_RESTART_RANDOM = 1    /* uniform in the box (IPOP-CMA-ES's rule) */
};

/* Fill cfg from a named preset ("default", "seed", "nes") for a problem of
 * dimension dim: every setting's default (settings.h). Returns -1 for an
 * unknown name. Bounds stay unset. */
int fo_run_preset(struct fo_run_config *cfg, const char *name, size_t dim);

/* Names, for configs that arrive as text. Return -1 if unknown. */
int fo_utility_parse(const char *name, enum fo_utility *out);
const char *fo_utility_name(enum fo_utility u);

/* Events of one update (bit flags). */
enum fo_event {
    FO_EVENT_ROLLBACK = 1 << 0,      /* parameters returned to the last good ones */
    FO_EVENT_NONFINITE = 1 << 1,     /* NaN or inf met (and contained) */
    FO_EVENT_TRUST_FAILED = 1 << 2,  /* no halving met the trust region */
    FO_EVENT_ENTROPY_FLOOR = 1 << 3, /* entropy fell below the floor */
    FO_EVENT_STEP_HALVED = 1 << 4,   /* the trust region halved the step */
    FO_EVENT_LR_UP = 1 << 5,
    FO_EVENT_LR_DOWN = 1 << 6,
    FO_EVENT_CLIPPED = 1 << 7,  /* the gradient norm was clipped */
    FO_EVENT_FORCED = 1 << 8,   /* update forced before the batch was complete */
    FO_EVENT_EMPTY = 1 << 9,    /* nothing usable was told: no step */
    FO_EVENT_RESTART = 1 << 10, /* converged: a fresh distribution, batch doubled */
    FO_EVENT_EXPIRED = 1 << 11, /* pending samples expired into this update */
    FO_EVENT_REFINE = 1 << 12,  /* a sweep of the coordinate refiner, not an update */
    FO_EVENT_STRUCTURE_BROKEN = 1 << 13, /* its measurement contradicted the declared
                                            structure: the refiner stops */
    FO_EVENT_NICHE = 1 << 14,            /* a step of the niching mixture: one component's
                                            CMA step, not a flow update */
    FO_EVENT_SEEDED = 1 << 15,           /* its seeds were clustered into components */
    FO_EVENT_CONVERGED = 1 << 16,        /* a component converged: an optimum held */
    FO_EVENT_MERGED = 1 << 17            /* two components were one basin: one dropped */
};

/* Text for each set bit, comma-separated, into buf (always terminated). */
void fo_event_names(unsigned events, char *buf, size_t cap);

/* One history row per update; its reals are history.h's columns. */
struct fo_step_report {
    uint64_t step;        /* 1, 2, ... */
    uint64_t generation;  /* the generation that completed */
    uint64_t evaluations; /* told values so far */
    size_t n;             /* told values of that generation */
#define FO_STEP_REAL_FIELD(name) double name;
    FO_STEP_REALS(FO_STEP_REAL_FIELD)
#undef FO_STEP_REAL_FIELD
    size_t n_used; /* samples the update used, reuse included */
#define FO_STEP_INT_FIELD(name) uint64_t name;
    FO_STEP_INTS(FO_STEP_INT_FIELD)
#undef FO_STEP_INT_FIELD
    unsigned events;
};

enum fo_stop {
    FO_STOP_NONE = 0,
    FO_STOP_BUDGET = 1,
    FO_STOP_TARGET = 2,
    FO_STOP_SCALE = 3,
    FO_STOP_STALLED = 4,
    FO_STOP_COST = 5 /* the told results' cost reached budget_cost */
};
const char *fo_stop_name(enum fo_stop s);

enum fo_sample_status {
    FO_SAMPLE_PENDING = 0,
    FO_SAMPLE_TOLD = 1,
    FO_SAMPLE_FAILED = 2,
    FO_SAMPLE_LOST = 3 /* told lost: its point is handed out again under a new id */
};

struct fo_sample {
    uint64_t id;         /* 1, 2, ... unique within the run */
    uint64_t generation; /* parameter version it was drawn from */
    double log_prob;     /* behaviour log-density at x */
    uint64_t reissue_of; /* the lost sample whose point this is again (0: a new one) */
};

struct fo_engine;

/*
 * Validate cfg and build a run. OUT: *out, released with fo_engine_destroy.
 */
enum fo_status fo_engine_create(const struct fo_run_config *cfg, struct fo_engine **out,
                                struct fo_error *err);
void fo_engine_destroy(struct fo_engine *e);

/* The configuration in force (bounds point into the engine). */
const struct fo_run_config *fo_engine_config(const struct fo_engine *e);
size_t fo_engine_dim(const struct fo_engine *e);

/*
 * Draw n samples from the current distribution. OUT: samples (n) and x
 * (n, D). Every sample stays pending until told.
 */
enum fo_status fo_engine_ask(struct fo_engine *e, size_t n, struct fo_sample *samples,
                             double *x, struct fo_error *err);

/*
 * Record a measured value (finite) for sample id. If it completes the
 * current generation's batch, the update runs: *updated = 1 and report is
 * filled (report may be NULL). Telling the same id again with the same
 * value is a no-op (*duplicate = 1); with another value, FO_ECONFLICT and
 * nothing changes. Unknown ids: FO_ENOTFOUND.
 */
enum fo_status fo_engine_tell(struct fo_engine *e, uint64_t id, double value,
                              int *duplicate, int *updated, struct fo_step_report *report,
                              struct fo_error *err);
/* The same with the value's standard error as the driver estimated it (NaN:
 * unknown; >= 0 otherwise): the refiner's check allows for it. */
enum fo_status fo_engine_tell_se(struct fo_engine *e, uint64_t id, double value,
                                 double std_error, int *duplicate, int *updated,
                                 struct fo_step_report *report, struct fo_error *err);

/* The evaluation of id failed: it is left out of the update. */
/*
 * The sample was lost (the instrument or the link failed, not the point):
 * no value, no penalty; the next ask hands the same point out again under
 * a new id (reissue_of = id), and it stays a member of its generation.
 * A lost id told lost again is a duplicate; told anything else, a conflict.
 */
enum fo_status fo_engine_tell_lost(struct fo_engine *e, uint64_t id, int *duplicate,
                                   struct fo_error *err);

/*
 * A value at x (D, the driver's coordinates, inside the bounds) that the
 * run did not hand out: yesterday's scan, another optimizer's history. It
 * joins best-ever and the surrogate's archive and, before the first ask of
 * a run without start.x, moves the start to the best observation; it never
 * enters the score-function or CMA update, nor told and the budget. OUT:
 * *id, the sample id it takes.
 */
enum fo_status fo_engine_observe(struct fo_engine *e, const double *x, double value,
                                 uint64_t *id, struct fo_error *err);

/* Whether x (D) may be observed: finite, inside the bounds. */
enum fo_status fo_engine_check_point(const struct fo_engine *e, const double *x,
                                     struct fo_error *err);

/* A told result cost this much (a positive number: shots, device seconds,
 * money); spent before the result itself is told, so the update it
 * completes and the stop on budget_cost see it. */
void fo_engine_spend(struct fo_engine *e, double cost);
double fo_engine_spent(const struct fo_engine *e);

enum fo_status fo_engine_tell_failed(struct fo_engine *e, uint64_t id, int *duplicate,
                                     int *updated, struct fo_step_report *report,
                                     struct fo_error *err);

/*
 * What a tell of id would meet, without changing anything: OUT *status
 * (enum fo_sample_status) and *value for a told sample. FO_ENOTFOUND for an
 * id never asked, FO_ESTATE for one resolved and dropped from memory.
 */
enum fo_status fo_engine_sample_state(const struct fo_engine *e, uint64_t id, int *status,
                                      double *value, struct fo_error *err);

/* Force an update with what has been told of the current generation. */
enum fo_status fo_engine_step(struct fo_engine *e, struct fo_step_report *report,
                              struct fo_error *err);

struct fo_engine_counters {
    uint64_t asked, told, failed, pending, updates, generation, rollbacks, nonfinite;
    uint64_t lost;     /* samples told lost (their points handed out again) */
    double cost;       /* the cost told with the results, so far */
    uint64_t observed; /* values observed at points the run did not hand out */
    uint64_t restarts;
    size_t batch_size; /* the current generation size (restarts grow it) */
    size_t wanted;     /* samples the current generation still needs asked before
                          it can complete (fewer than the batch while a model
                          ranks it); asking more is allowed */
    uint64_t modelled; /* candidates whose values a model gave, so far */
    int modelling;     /* 1 while the surrogate ranks the current generation */
    uint64_t reused;   /* told samples importance mixing kept into a later
                          generation, so far */
    uint64_t refined;  /* coordinate steps of the refiner, so far */
    int refining;      /* 1 while a refiner sweep runs */
};
void fo_engine_counters(const struct fo_engine *e, struct fo_engine_counters *out);

/* What the run recommends (recommend.h): a point chosen to be good in
 * expectation, and, once re-measured, the mean of its values. */
enum fo_recommend_kind {
    FO_RECOMMEND_CENTRE = 0,    /* the distribution's centre, not measured */
    FO_RECOMMEND_REMEASURED = 1 /* a fixed point measured again and again */
};
struct fo_recommendation {
    int kind;                /* enum fo_recommend_kind */
    double value, std_error; /* the estimate and its standard error; NaN for centre */
    uint64_t evaluations;    /* the values behind it */
};
/* OUT: x (D) and *out. */
enum fo_status fo_engine_recommend(struct fo_engine *e, double *x,
                                   struct fo_recommendation *out, struct fo_error *err);

/* The optima a run holds (its current distribution) or has held (each
 * converged distribution an IPOP restart left; modes.h). */
enum fo_mode_state { FO_MODE_ACTIVE = 0, FO_MODE_CONVERGED = 1 };
struct fo_mode {
    int state;            /* enum fo_mode_state */
    double best;          /* the best value told there (NaN: none yet) */
    double spread;        /* its Gaussian's (det L)^(1/D), the flow's coordinates */
    double weight;        /* its share of the current density */
    uint64_t evaluations; /* told while it was the search distribution */
};
/* At most this many modes: the active one and FO_MODES_MAX archived. */
#define FO_ENGINE_MAX_MODES 65
/* Up to cap modes, the active one first. OUT: x (cap, D) their centres in
 * the driver's coordinates, out (cap). Returns how many. */
size_t fo_engine_modes(struct fo_engine *e, size_t cap, double *x, struct fo_mode *out);

/* Best told value so far. OUT: x (D) when non-NULL. Returns 0, or -1 when
 * nothing has been told yet. */
int fo_engine_best(const struct fo_engine *e, double *x, double *value, uint64_t *id,
                   uint64_t *generation);

/* Make the next asked id at least next_id (ids stay unique across a restore). */
void fo_engine_skip_ids(struct fo_engine *e, uint64_t next_id);
/* The id the next asked sample will get. */
uint64_t fo_engine_next_id(const struct fo_engine *e);

enum fo_stop fo_engine_stop_reason(const struct fo_engine *e);
double fo_engine_lr(const struct fo_engine *e);
void fo_engine_set_lr(struct fo_engine *e, double lr);

/* log p of the current distribution at x (n, D). OUT: log_p (n). */
enum fo_status fo_engine_log_prob(struct fo_engine *e, size_t n, const double *x,
                                  double *log_p, struct fo_error *err);

/* The flow (borrowed): for log_prob queries on the learned density. */
struct fo_flow *fo_engine_flow(struct fo_engine *e);

/*
 * Whole state to bytes and back: configuration, parameters, optimizer
 * moments, RNG, counters, best, the samples still in memory. A loaded
 * engine continues exactly as the saved one would have.
 * fo_engine_save with buf NULL reports the size in *len.
 */
enum fo_status fo_engine_save(const struct fo_engine *e, unsigned char *buf, size_t cap,
                              size_t *len, struct fo_error *err);
enum fo_status fo_engine_load(const unsigned char *buf, size_t len,
                              struct fo_engine **out, struct fo_error *err);
/* The parameters a run of cfg would hold in its flow, weighed without
 * building it (a budget's measure). OUT: *n. */
enum fo_status fo_engine_config_params(const struct fo_run_config *cfg, size_t *n,
                                       struct fo_error *err);
/* Only the configuration of a snapshot (checked as fo_engine_load checks
 * its header), to weigh it before anything is allocated for it. OUT: *cfg,
 * its arrays in *arrays. */
struct fo_setting_arrays;
enum fo_status fo_engine_snapshot_config(const unsigned char *buf, size_t len,
                                         struct fo_run_config *cfg,
                                         struct fo_setting_arrays *arrays,
                                         struct fo_error *err);

#endif
