/* engine_internal.h - the ask/tell engine's object, shared by the files of src/opt. */
#ifndef FLOWOPT_OPT_ENGINE_INTERNAL_H
#define FLOWOPT_OPT_ENGINE_INTERNAL_H

#include <flowopt/adam.h>
#include <math.h>
#include <flowopt/opt.h>
#include <flowopt/rng.h>
#include <flowopt/settings.h>
#include "opt/drift.h"
#include "opt/modes.h"
#include "opt/niche.h"
#include "opt/recommend.h"
#include "opt/refine.h"

/* Generations whose values must all agree before a restart. */
#define FO_RESTART_WINDOW 20
/* The largest restart_stall window (generations). */
#define FO_RESTART_STALL_MAX 10000

/* One asked sample still in memory (pending, or told within the reuse window). */
struct fo_rec {
    uint64_t id;      /* the id it was drawn under (the modules know it by this) */
    uint64_t cur_id;  /* the id it is handed out under now: id, a re-issue's, or
                         0 while lost and waiting for the next ask */
    uint64_t lost_id; /* the id it was last lost under (0: never) */
    uint64_t generation;
    double value;
    double lb;  /* behaviour log-density */
    int status; /* enum fo_sample_status */
    int kind;   /* enum fo_rec_kind */
    double se;  /* the told value's standard error (NaN: unknown); only read
                   while the tell is applied, so snapshots do not carry it */
};

enum fo_rec_kind {
    FO_REC_FLOW = 0,     /* drawn from the flow: a member of its generation */
    FO_REC_REFINE = 1,   /* a point of the coordinate refiner (refine.c) */
    FO_REC_REEVAL = 2,   /* a re-evaluation of the recommended point (recommend.c) */
    FO_REC_NICHE = 3,    /* a point of the niching mixture (niche.c) */
    FO_REC_OBSERVED = 4, /* a value the driver observed unasked (never kept) */
    FO_REC_DRIFT = 5     /* a measurement of the reference point (drift.c) */
};

struct fo_engine {
    struct fo_run_config cfg; /* flow.lo/hi point at lo/hi below */
    double *lo, *hi;          /* (D) copies, +-inf when unbounded */
    unsigned char *periodic;  /* (D) copy, or NULL when no coordinate is */
    double *start;            /* (D) copy of cfg.start, or NULL */
    size_t D;
    struct fo_flow *flow;
    struct fo_adam *adam;
    struct fo_rng rng;
    double lr;     /* learning rate of location, scale and shape */
    double lr_net; /* learning rate of the conditioner networks */
    int has_net_params, has_dist_params;

    /* samples in memory, sorted by id; x of rec i at xs + i D */
    struct fo_rec *recs;
    double *xs;
    size_t n_recs, cap_recs;

    uint64_t next_id, generation, updates;
    uint64_t asked, told, failed, rollbacks, nonfinite;
    uint64_t lost;             /* samples told lost */
    double cost;               /* the cost told so far */
    uint64_t observed;         /* observations so far */
    size_t n_rekeyed;          /* records whose cur_id is not their id */
    uint64_t resolved_in_gen;  /* told or failed samples of the current generation */
    uint64_t last_improve_gen; /* generation in which best last improved */
    enum fo_stop stop;

    int has_best;
    double best_value;
    uint64_t best_id, best_gen;
    double *best_x; /* (D) */

    /* convergence test for restarts: min and max told value of each of
     * the last FO_RESTART_WINDOW generations */
    double conv_lo[FO_RESTART_WINDOW], conv_hi[FO_RESTART_WINDOW];
    uint64_t conv_n; /* generations recorded since the last (re)start */
    /* the best value (sign-adjusted: larger is better) since the last
     * (re)start after each of the last restart_stall + 1 generations */
    double *stall_best;
    uint64_t stall_n;
    uint64_t restarts_done;

    int has_mirror; /* a z whose mirror -z is still to be used */
    double *mirror; /* (D) */

    /* update scratch, sized by ensure_scratch */
    size_t cap_used;
    double *u_x, *u_fit, *u_lb, *u_lp, *u_w, *u_util, *u_q;
    /* optimizer kind cma: the paths (D each), the step size and the
     * generations since the last (re)start; base points of the update's
     * samples (cap_used, D); scratch for the update (3 D^2 + 6 D) */
    double *cma_ps, *cma_pc, cma_sigma;
    uint64_t cma_gen;
    double *cma_z, *cma_work;
    /* the ask's base noise (cap_ask, D) and log-densities (cap_ask) */
    double *ask_z, *ask_lp;
    size_t cap_ask;
    size_t *u_order;
    unsigned char *u_cur;
    double *grad, *dir, *old_params; /* (n_params) */
    double *good_params;             /* (n_params) after the last accepted update */
    unsigned char *roles;            /* (n_params) enum fo_param_role */
    /* fresh draws from p_old for the trust region: (FO_KL_SAMPLES, D), and
     * their log p under the old and the candidate parameters */
    double *kl_z, *kl_x, *kl_lp, *kl_lpn;

    /* optimizer.surrogate lq (lq.c): the model over told points, and the
     * current generation's candidates (cap_pool) in model order: pool_n of
     * them, the first pool_next released as samples, pool_target of those
     * to be resolved before tau is tested */
    struct fo_surrogate *sur;
    double *pool_x, *pool_lp, *pool_f; /* (cap_pool, D), (cap_pool), model fitness */
    double *pool_tmp;                  /* (cap_pool, D + 2) scratch of a re-ranking */
    size_t *pool_order;                /* (cap_pool) */
    size_t cap_pool, pool_n, pool_next, pool_target;
    int pool_on;
    double lq_tau;        /* the last tau measured */
    double *lq_lp;        /* (sur->cap) scratch of the model's coordinate map */
    uint64_t lq_modelled; /* candidates the model has ranked in place of a value */

    /* optimizer.mixing (mixing.c): the parameters the previous generation
     * was drawn from (n_params; valid when mix_ready), old log-densities of
     * an ask's draws (cap_ask); of the current generation, the samples kept
     * from the previous one and the fresh draws still to be filtered */
    double *mix_params, *mix_lp;
    int mix_ready;
    size_t mix_kept, mix_left;
    uint64_t mix_reused; /* samples kept into a later generation, so far */

    /* structure pauli-rotations (refine.c): the refiner, and each
     * coordinate's frequency (D; cfg.frequency points here when given) */
    struct fo_refine ref;
    double *freq;

    /* optimizer.reevaluate (recommend.c): the pools of re-evaluations; the
     * generation (plus one) whose re-evaluations were handed out, and how
     * many */
    struct fo_recommender rec;

    /* the modes it holds and has held (modes.c) */
    struct fo_mode_archive modes;

    /* optimizer.niches (niche.c): the mixture's components */
    struct fo_niche niche;

    /* reference.x (drift.c): the point re-measured over time */
    struct fo_drift drift;
};

/* Share of the KL budget the conditioner networks may spend first. */
#define FO_NET_KL_SHARE 0.25

/* Draws used to measure KL(p_old || p_new) on every update. */
#define FO_KL_SAMPLES 64

/* 1 when every one of v (n) is finite. */
static inline int fo__all_finite(const double *v, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!isfinite(v[i]))
            return 0;
    return 1;
}

/* Run one update on what the engine holds; fills report. */
enum fo_status fo__engine_update(struct fo_engine *e, int forced,
                                 struct fo_step_report *report, struct fo_error *err);

/* Validate a run configuration completely. */
enum fo_status fo__run_config_check(const struct fo_run_config *cfg,
                                    struct fo_error *err);

/* Allocate everything but the records for cfg (whose bounds are copied). */
enum fo_status fo__engine_alloc(const struct fo_run_config *cfg, struct fo_engine **out,
                                struct fo_error *err);

/* Update scratch for n samples (grows only). */
enum fo_status fo__engine_scratch(struct fo_engine *e, size_t n, struct fo_error *err);

/*
 * Allocate for the generation size in force, so ask, tell and the update
 * do not allocate in the loop: records, update scratch and flow workspaces
 * for the (reuse + 2) generations memory can hold, the ask's noise for one
 * generation. Called at create and after a restart grows the batch; an ask
 * of more than a generation still grows its buffers once.
 */
enum fo_status fo__engine_prepare(struct fo_engine *e, struct fo_error *err);

/* Base noise for n samples: fresh normals, or mirrored pairs z, -z. */
void fo__engine_draw_noise(struct fo_engine *e, size_t n, double *z);

/* A pending record for the unwrapped point x with behaviour density lp, in
 * the current generation (room must be reserved). OUT: *out. */
void fo__engine_add_record(struct fo_engine *e, const double *x, double lp,
                           struct fo_sample *out);

/* Drop record i (resolved; its value taken elsewhere), keeping the rest in
 * id order. */
void fo__engine_forget(struct fo_engine *e, size_t i);

/* Index of the record with this id, or -1 (records are sorted by id). */
long fo__engine_find(const struct fo_engine *e, uint64_t id);

/* A Gaussian's spread (det L)^(1/D) from its lower-triangular factor L. */
static inline double fo__spread_of(const double *L, size_t D) {
    double logdet = 0.0;
    for (size_t a = 0; a < D; a++)
        logdet += log(L[a * D + a]);
    return exp(logdet / (double)D);
}

/* Make room for n records. */
enum fo_status fo__engine_reserve(struct fo_engine *e, size_t n, struct fo_error *err);

/* The rows (settings_table.c), in snapshot order. */
extern const struct fo_setting fo__settings_table[];
extern const size_t fo__n_settings;

/* Typed access to a setting's field (settings.c), for the snapshot. */
uint64_t fo__setting_int(const struct fo_run_config *c, const struct fo_setting *s);
void fo__setting_put_int(struct fo_run_config *c, const struct fo_setting *s, uint64_t v);
double fo__setting_real(const struct fo_run_config *c, const struct fo_setting *s);
void fo__setting_put_real(struct fo_run_config *c, const struct fo_setting *s, double v);
int fo__setting_has(const struct fo_run_config *c, const struct fo_setting *s);
void fo__setting_put_has(struct fo_run_config *c, const struct fo_setting *s, int has);
size_t fo__setting_count(const struct fo_run_config *c, const struct fo_setting *s);
void fo__setting_put_count(struct fo_run_config *c, const struct fo_setting *s, size_t n);
const double *fo__setting_point(const struct fo_run_config *c,
                                const struct fo_setting *s);
void fo__setting_put_point(struct fo_run_config *c, const struct fo_setting *s,
                           const double *p);
/* KINDS and SIZES: slots of the array, and the size of one */
size_t fo__setting_cap(const struct fo_setting *s);
size_t fo__setting_elem_size(const struct fo_setting *s);
uint64_t fo__setting_elem(const struct fo_run_config *c, const struct fo_setting *s,
                          size_t i);
void fo__setting_put_elem(struct fo_run_config *c, const struct fo_setting *s, size_t i,
                          uint64_t v);
/* The newest snapshot format a row of the table needs. */
unsigned fo__settings_format(void);

#endif
