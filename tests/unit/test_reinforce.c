/*
 * test_reinforce.c - the weights of the REINFORCE surrogate: the PPO clip
 * zeroes exactly the samples whose ratio has left 1 +- eps in the
 * direction their advantage pushes, the entropy bonus favours the less
 * likely samples, the weights are A r / N elsewhere, and the effective
 * sample size is that of the ratios. Then the engine: an entropy bonus on
 * a flat landscape raises the entropy, and nothing else moves it.
 */
#include "opt/reinforce.h"
#include "tap.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static struct fo_opt_config options(double entropy_coef) {
    struct fo_opt_config o;
    memset(&o, 0, sizeof o);
    o.utility = FO_UTILITY_CENTERED_RANK; /* 0.5, 1/6, -1/6, -0.5 for four */
    o.ppo_eps = 0.2;
    o.entropy_coef = entropy_coef;
    return o;
}

static void test_clip(void) {
    struct fo_opt_config o = options(0.0);
    /* best first: advantages +0.5, +1/6, -1/6, -0.5 */
    const double fit[4] = {4, 3, 2, 1}, lb[4] = {0, 0, 0, 0};
    /* ratios 1.5 (past 1 + eps, pushed up), 1.1, 0.5 (past 1 - eps, pushed
     * down), 0.9 */
    const double lp[4] = {log(1.5), log(1.1), log(0.5), log(0.9)};
    double util[4], ratio[4], w[4];
    size_t order[4];
    double ess = fo__reinforce_weights(&o, 4, fit, lp, lb, util, ratio, w, order);
    tap_ok(w[0] == 0.0 && w[2] == 0.0,
           "the clip zeroes a ratio past 1 + eps with A > 0 and past 1 - eps with A < 0"
           " (w %.3g, %.3g)",
           w[0], w[2]);
    tap_is_near(w[1], (1.0 / 6.0) * 1.1 / 4.0, 1e-15, "elsewhere w = A r / N");
    tap_is_near(w[3], -0.5 * 0.9 / 4.0, 1e-15, "for negative advantages too");
    double s = 1.5 + 1.1 + 0.5 + 0.9, sq = 1.5 * 1.5 + 1.1 * 1.1 + 0.25 + 0.81;
    tap_is_near(ess, s * s / sq, 1e-12, "ESS = (sum r)^2 / sum r^2 (%.4f)", ess);
    /* a ratio past the clip but on the side its advantage does not push
     * is kept: the surrogate's min() only caps gains */
    const double lp2[4] = {log(0.5), 0, 0, log(1.5)};
    fo__reinforce_weights(&o, 4, fit, lp2, lb, util, ratio, w, order);
    tap_ok(w[0] != 0.0 && w[3] != 0.0,
           "a ratio past the clip against its advantage keeps its weight");
}

static void test_entropy_bonus(void) {
    struct fo_opt_config o = options(0.5);
    const double fit[3] = {1, 1, 1}; /* ties: every utility 0 */
    const double lp[3] = {0.0, -1.0, -2.0};
    double util[3], ratio[3], w[3];
    size_t order[3];
    fo__reinforce_weights(&o, 3, fit, lp, lp, util, ratio, w, order);
    tap_ok(util[0] == 0.0 && util[1] == 0.0 && util[2] == 0.0, "tied values: no utility");
    tap_ok(w[0] < 0.0 && w[2] > 0.0,
           "the bonus weighs the least likely sample up, the most likely down "
           "(%.3g, %.3g, %.3g)",
           w[0], w[1], w[2]);
    tap_is_near(w[2], 0.5 * (-1.0 - -2.0) / 3.0, 1e-15,
                "w = beta (mean log p - log p_i) / N");
}

/* H(p) by 20,000 draws with common random numbers (seed 5), so two
 * distributions are compared without the noise of their draws. */
static double entropy_of(struct fo_engine *e) {
    enum { M = 20000 };
    static double x[M * 2], lp[M];
    struct fo_rng rng;
    fo_rng_seed(&rng, 5);
    if (fo_flow_sample(fo_engine_flow(e), &rng, M, x, lp, NULL, NULL) != FO_OK)
        return NAN;
    double h = 0.0;
    for (size_t i = 0; i < M; i++)
        h -= lp[i] / M;
    return h;
}

/* Change of entropy over 15 generations of a flat landscape. Unbounded: in
 * a box the new flow is already close to uniform, the most entropy a box
 * allows, and steps of any kind can only lower it. */
static double entropy_change(double beta) {
    struct fo_run_config cfg;
    /* the bonus is REINFORCE's: a spline outside a natural-gradient Gaussian */
    fo_run_preset(&cfg, "nes", 2);
    cfg.flow.n_layers = 2;
    cfg.flow.kinds[0] = FO_LAYER_SPLINE_AR;
    cfg.flow.kinds[1] = FO_LAYER_GAUSSIAN_FULL;
    cfg.opt.entropy_coef = beta;
    cfg.restarts = 0;
    struct fo_engine *e = NULL;
    if (fo_engine_create(&cfg, &e, NULL) != FO_OK)
        return NAN;
    double first = entropy_of(e);
    for (int g = 0; g < 15; g++) {
        struct fo_sample s[6];
        double x[12];
        fo_engine_ask(e, cfg.batch_size, s, x, NULL);
        for (size_t i = 0; i < cfg.batch_size; i++)
            fo_engine_tell(e, s[i].id, 1.0, NULL, NULL, NULL, NULL);
    }
    double last = entropy_of(e);
    fo_engine_destroy(e);
    return last - first;
}

int main(void) {
    TAP_RUN(test_clip);
    TAP_RUN(test_entropy_bonus);
    double with = entropy_change(0.5), without = entropy_change(0.0);
    tap_ok(with > 0.05,
           "an entropy bonus on a flat landscape raises the entropy (%+.3f nats)", with);
    tap_is_near(without, 0.0, 1e-9, "without it nothing moves the distribution (%+.2g)",
                without);
    return tap_done();
}
