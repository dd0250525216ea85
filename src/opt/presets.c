/*
 * presets.c - named run configurations and their validation.
 *
 *   default  what the benchmark suite shows works best (see the numbers in
 *            the note of issue 4 and docs/optimizer.md)
 *   seed     the forum thread's loop: one spline-ar layer, hidden [10D, 10D],
 *            K = 8, B = 10, raw utilities, SGD with each gradient element
 *            clamped to 0.1, lr 0.2, batch 50, no trust region
 *   nes      a full-covariance Gaussian with rank utilities: natural
 *            evolution strategies inside the same machinery
 */
#include "opt/engine_internal.h"

#include <math.h>
#include <string.h>

static void common(struct fo_run_config *c, size_t dim) {
    memset(c, 0, sizeof *c);
    c->direction = FO_MINIMIZE;
    c->seed = 1;
    c->opt.utility = FO_UTILITY_RANK;
    c->opt.optimizer = FO_OPTIMIZER_ADAM;
    c->opt.lr_min = 1e-6;
    c->opt.lr_max = 1.0;
    c->opt.max_halvings = 10;
    c->opt.lr_grow = 1.5;
    c->opt.lr_shrink = 0.5;
    c->opt.ppo_eps = 0.2;
    c->opt.sgd_clamp = 0.1;
    /* A spread of about 1e-13 of the unit box per coordinate: far below
     * any precision a measurement has, far above where doubles run out. */
    c->opt.entropy_floor = -30.0;
    fo_flow_config_default(&c->flow, dim, FO_LAYER_SPLINE_AR, 1);
}

/*
 * The default: a full-covariance Gaussian innermost (next to the base
 * noise, so its local coordinates are exactly natural: the KL of a step
 * does not depend on what the outer layers do) with natural-gradient
 * steps, and an autoregressive spline outside it that can bend and split
 * the distribution, stepped by Adam within its own share of the trust
 * region. Batch 10 for D = 10 (4 + 3 ln D, as CMA-ES and xNES use), no
 * reuse of older generations: measured on the suite, reuse and larger
 * batches only slowed convergence (docs/optimizer.md).
 */
static void preset_default(struct fo_run_config *c, size_t dim) {
    common(c, dim);
    c->flow.n_layers = 2;
    c->flow.kinds[0] = FO_LAYER_SPLINE_AR;
    c->flow.kinds[1] = FO_LAYER_GAUSSIAN_FULL;
    size_t h = 4 * dim < 64 ? 4 * dim : 64;
    c->flow.hidden[0] = c->flow.hidden[1] = h < 16 ? 16 : h;
    c->flow.bins = 8;
    c->flow.bound = 4.0;
    size_t batch = 4 + (size_t)(3.0 * log((double)dim));
    c->batch_size = batch < 6 ? 6 : batch;
    c->opt.optimizer = FO_OPTIMIZER_NATURAL;
    c->opt.lr = 0.5;
    c->opt.lr_max = 8.0;
    c->opt.shape_lr_scale = 0.3;
    c->opt.net_lr_scale = 0.1;
    c->opt.clip_norm = 0.0;
    c->opt.trust_region = 1;
    c->opt.kl_target = 0.1 * (double)dim;
    c->opt.reuse_generations = 0;
    c->opt.mirrored = 1;
    c->restarts = 9;
    c->restart_tolfun = 1e-6;
    /* 100 generations for 1e-5 relative: measured on the suite (20 seeds)
     * as seed_trig 95 -> 100 % and tfim_vqe 25 -> 50 % success with sphere,
     * rosenbrock, ackley and styblinski_tang unchanged (docs/optimizer.md) */
    c->restart_stall = 100;
    c->restart_stall_tol = 1e-5;
}

static void preset_seed(struct fo_run_config *c, size_t dim) {
    common(c, dim);
    c->flow.hidden[0] = c->flow.hidden[1] = 10 * dim;
    c->flow.bins = 8;
    c->flow.bound = 10.0;
    c->batch_size = 50;
    c->opt.utility = FO_UTILITY_RAW;
    c->opt.optimizer = FO_OPTIMIZER_SGD_CLAMP;
    c->opt.lr = 0.2;
    c->opt.lr_min = 0.2;
    c->opt.lr_max = 0.2;
    c->opt.sgd_clamp = 0.1;
    c->opt.entropy_floor = -INFINITY; /* the original had no guard but NaN checks */
}

static void preset_nes(struct fo_run_config *c, size_t dim) {
    preset_default(c, dim);
    c->flow.n_layers = 1;
    c->flow.kinds[0] = FO_LAYER_GAUSSIAN_FULL;
}

int fo_run_preset(struct fo_run_config *cfg, const char *name, size_t dim) {
    if (!name)
        return -1;
    if (strcmp(name, "default") == 0)
        preset_default(cfg, dim);
    else if (strcmp(name, "seed") == 0)
        preset_seed(cfg, dim);
    else if (strcmp(name, "nes") == 0)
        preset_nes(cfg, dim);
    else
        return -1;
    return 0;
}

const char *fo_stop_name(enum fo_stop s) {
    switch (s) {
    case FO_STOP_NONE: return "none";
    case FO_STOP_BUDGET: return "budget";
    case FO_STOP_TARGET: return "target";
    case FO_STOP_SCALE: return "scale";
    case FO_STOP_STALLED: return "stalled";
    }
    return "unknown";
}

void fo_event_names(unsigned events, char *buf, size_t cap) {
    static const char *const names[] = {
        "rollback",      "nonfinite",   "trust_region_failed",
        "entropy_floor", "step_halved", "lr_up",
        "lr_down",       "clipped",     "forced",
        "empty",         "restart",     "expired"};
    size_t used = 0;
    if (cap == 0)
        return;
    buf[0] = '\0';
    for (size_t b = 0; b < sizeof names / sizeof names[0]; b++) {
        if (!(events & (1u << b)))
            continue;
        size_t len = strlen(names[b]);
        if (used + len + 2 > cap)
            break;
        if (used)
            buf[used++] = ',';
        memcpy(buf + used, names[b], len + 1);
        used += len;
    }
}

static int positive(double v) {
    return isfinite(v) && v > 0.0;
}

enum fo_status fo__run_config_check(const struct fo_run_config *c, struct fo_error *err) {
    const struct fo_opt_config *o = &c->opt;
    if (c->direction != FO_MINIMIZE && c->direction != FO_MAXIMIZE)
        return fo_error_set(err, FO_EINVAL, "direction",
                            "direction must be minimize or maximize");
    if (c->batch_size < 2 || c->batch_size > 10000)
        return fo_error_set(err, FO_ERANGE, "batch_size", "batch_size must be 2..10000");
    if ((unsigned)o->utility > FO_UTILITY_RAW)
        return fo_error_set(err, FO_EINVAL, "optimizer.utility", "unknown utility");
    if ((unsigned)o->optimizer > FO_OPTIMIZER_NATURAL)
        return fo_error_set(err, FO_EINVAL, "optimizer.kind", "unknown optimizer");
    if (!positive(o->lr) || !positive(o->lr_min) || !positive(o->lr_max) ||
        o->lr_min > o->lr_max)
        return fo_error_set(err, FO_ERANGE, "optimizer.lr",
                            "need 0 < lr_min <= lr_max and lr > 0");
    if (!isfinite(o->entropy_coef) || o->entropy_coef < 0.0 || o->entropy_coef > 100.0)
        return fo_error_set(err, FO_ERANGE, "optimizer.entropy_coef",
                            "must be in [0, 100]");
    if (!(o->clip_norm >= 0.0) || !isfinite(o->clip_norm) || !positive(o->sgd_clamp))
        return fo_error_set(err, FO_ERANGE, "optimizer.clip_norm",
                            "clip_norm must be >= 0 and sgd_clamp > 0");
    if (o->trust_region && (!positive(o->kl_target) || o->max_halvings > 60 ||
                            !(o->lr_grow >= 1.0 && o->lr_grow <= 10.0) ||
                            !(o->lr_shrink > 0.0 && o->lr_shrink <= 1.0)))
        return fo_error_set(err, FO_ERANGE, "optimizer.kl_target",
                            "trust region needs kl_target > 0, max_halvings <= 60,"
                            " 1 <= lr_grow <= 10, 0 < lr_shrink <= 1");
    if (o->reuse_generations > 50 || !(o->ppo_eps > 0.0 && o->ppo_eps < 1.0))
        return fo_error_set(err, FO_ERANGE, "optimizer.reuse_generations",
                            "reuse_generations must be <= 50 and 0 < ppo_eps < 1");
    if (isnan(o->entropy_floor) || (c->has_target && !isfinite(c->target)) ||
        !(c->min_scale >= 0.0 && c->min_scale < 1.0) || c->restarts > 1000 ||
        (c->restarts && !(c->restart_tolfun >= 0.0 && isfinite(c->restart_tolfun))) ||
        c->restart_stall > FO_RESTART_STALL_MAX ||
        (c->restart_stall &&
         !(c->restart_stall_tol >= 0.0 && isfinite(c->restart_stall_tol))) ||
        !(c->pending_timeout_s >= 0.0 && c->pending_timeout_s <= 1e9))
        return fo_error_set(err, FO_ERANGE, "target",
                            "target, floor and min_scale must be finite");
    return fo_flow_config_check(&c->flow, err);
}
