/*
 * test_engine.c - the ask/tell engine: ids and generations, failed and
 * late tells, duplicates and conflicts, forced updates, the trust region,
 * the divergence guard, snapshot and restore, and a short run that learns.
 */
#include <flowopt/opt.h>
#include "functions.h"
#include "tap.h"

#include <flowopt/rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define D 4

static double lo[D] = {-5, -5, -5, -5}, hi[D] = {5, 5, 5, 5};

static void config(struct fo_run_config *cfg, const char *preset, size_t batch) {
    fo_run_preset(cfg, preset, D);
    cfg->flow.lo = lo;
    cfg->flow.hi = hi;
    cfg->batch_size = batch;
    cfg->seed = 42;
}

static double objective(const double *x) {
    return fo_fn_sphere(x, D) + 0.5 * x[0];
}

/* Ask n, tell them all (the i-th fails when fail_mask bit i is set). */
static int generation(struct fo_engine *e, size_t n, unsigned fail_mask,
                      struct fo_step_report *rep) {
    struct fo_sample s[64];
    double x[64 * D];
    int updated = 0;
    if (fo_engine_ask(e, n, s, x, NULL) != FO_OK)
        return -1;
    for (size_t i = 0; i < n; i++) {
        int up = 0;
        if (i < 32 && (fail_mask & (1u << i)))
            fo_engine_tell_failed(e, s[i].id, NULL, &up, rep, NULL);
        else
            fo_engine_tell(e, s[i].id, objective(x + i * D), NULL, &up, rep, NULL);
        updated |= up;
    }
    return updated;
}

static void test_bookkeeping(void) {
    struct fo_run_config cfg;
    config(&cfg, "default", 6);
    cfg.opt.reuse_generations = 2;
    struct fo_engine *e = NULL;
    struct fo_error err;
    tap_is_int(fo_engine_create(&cfg, &e, &err), FO_OK, "engine created (%s)", err.msg);
    struct fo_sample s[8];
    double x[8 * D];
    fo_engine_ask(e, 4, s, x, NULL);
    tap_ok(s[0].id == 1 && s[3].id == 4 && s[0].generation == 0,
           "ids count from 1 in generation 0");
    tap_ok(isfinite(s[0].log_prob), "each sample carries its behaviour log-density");
    int dup = 0, up = 0;
    struct fo_step_report rep;
    tap_is_int(fo_engine_tell(e, 1, 2.5, &dup, &up, &rep, NULL), FO_OK, "tell");
    tap_is_int(fo_engine_tell(e, 1, 2.5, &dup, &up, &rep, NULL), FO_OK,
               "same tell again");
    tap_ok(dup == 1 && up == 0, "is a duplicate and changes nothing");
    tap_is_int(fo_engine_tell(e, 1, 3.5, &dup, &up, &rep, &err), FO_ECONFLICT,
               "another value for a told id is a conflict");
    tap_is_int(fo_engine_tell(e, 99, 1.0, &dup, &up, &rep, &err), FO_ENOTFOUND,
               "unknown id");
    tap_is_int(fo_engine_tell(e, 2, NAN, &dup, &up, &rep, &err), FO_ERANGE,
               "NaN is refused");
    tap_is_int(fo_engine_tell(e, 2, INFINITY, &dup, &up, &rep, &err), FO_ERANGE,
               "inf is refused");
    tap_is_int(fo_engine_tell_failed(e, 2, &dup, &up, &rep, NULL), FO_OK,
               "a failed evaluation");
    tap_is_int(fo_engine_tell(e, 2, 1.0, &dup, &up, &rep, &err), FO_ECONFLICT,
               "a value after failure is a conflict");
    fo_engine_tell(e, 3, 1.0, NULL, &up, &rep, NULL);
    fo_engine_tell(e, 4, 0.5, NULL, &up, &rep, NULL);
    tap_ok(!up, "no update before the batch of 6 is resolved");
    fo_engine_ask(e, 2, s, x, NULL);
    fo_engine_tell(e, 5, 0.7, NULL, &up, &rep, NULL);
    fo_engine_tell(e, 6, 0.9, NULL, &up, &rep, NULL);
    tap_ok(up, "the sixth resolution completes the generation and updates");
    tap_is_int((long long)rep.n, 5, "the failed sample is left out (5 values used)");
    tap_is_int((long long)rep.generation, 0, "the report names generation 0");
    tap_is_near(rep.best, 0.5, 0.0, "the generation's best value");
    tap_is_near(rep.median, 0.9, 0.0, "and its median");
    struct fo_engine_counters c;
    fo_engine_counters(e, &c);
    tap_ok(c.asked == 6 && c.told == 5 && c.failed == 1 && c.pending == 0 &&
               c.generation == 1,
           "counters add up");
    double bx[D], bv;
    uint64_t bid;
    tap_ok(fo_engine_best(e, bx, &bv, &bid, NULL) == 0 && bv == 0.5 && bid == 4,
           "best-ever value and id");

    /* A late tell: a sample of generation 1 told after generation 1 updated. */
    fo_engine_ask(e, 7, s, x, NULL);
    for (int i = 0; i < 6; i++)
        fo_engine_tell(e, s[i].id, objective(x + i * D), NULL, &up, &rep, NULL);
    tap_ok(up && rep.generation == 1,
           "generation 1 updates with one sample still pending");
    fo_engine_tell(e, s[6].id, objective(x + 6 * D), &dup, &up, &rep, NULL);
    tap_ok(!up && !dup, "its late tell is recorded without an update");
    generation(e, 6, 0, &rep);
    tap_ok(rep.n == 6 && rep.n_used > 6, "and reused in the next update (%zu used)",
           rep.n_used);
    tap_is_int(fo_engine_step(e, &rep, NULL), FO_OK, "a forced update with nothing told");
    tap_ok(rep.events & FO_EVENT_EMPTY && rep.events & FO_EVENT_FORCED,
           "is marked forced and empty");
    fo_engine_destroy(e);
}

static void test_trust_region(void) {
    struct fo_run_config cfg;
    config(&cfg, "default", 8);
    struct fo_engine *e = NULL;
    fo_engine_create(&cfg, &e, NULL);
    int holds = 1, steps = 0;
    double worst = 0.0;
    for (int g = 0; g < 40; g++) {
        struct fo_step_report rep;
        generation(e, 8, 0, &rep);
        if (!(rep.events & (FO_EVENT_ROLLBACK | FO_EVENT_EMPTY))) {
            steps++;
            holds &= rep.kl <= cfg.opt.kl_target;
            worst = rep.kl > worst ? rep.kl : worst;
        }
    }
    tap_ok(steps > 30 && holds,
           "accepted KL <= delta on every step (%d steps, max %.4f <= %.4f)", steps,
           worst, cfg.opt.kl_target);
    fo_engine_destroy(e);
}

static void test_guard(void) {
    struct fo_run_config cfg;
    config(&cfg, "default", 8);
    struct fo_engine *e = NULL;
    fo_engine_create(&cfg, &e, NULL);
    struct fo_step_report rep;
    for (int g = 0; g < 5; g++)
        generation(e, 8, 0, &rep);
    size_t P = fo_flow_n_params(fo_engine_flow(e));
    double *good = malloc(P * sizeof(double));
    memcpy(good, fo_flow_params(fo_engine_flow(e)), P * sizeof(double));
    /* Ask a generation, then poison one parameter before its update runs. */
    struct fo_sample s[8];
    double x[8 * D];
    int up = 0;
    fo_engine_ask(e, 8, s, x, NULL);
    fo_flow_params(fo_engine_flow(e))[0] = NAN;
    for (int i = 0; i < 8; i++)
        fo_engine_tell(e, s[i].id, objective(x + i * D), NULL, &up, &rep, NULL);
    tap_ok(up && (rep.events & FO_EVENT_NONFINITE) && (rep.events & FO_EVENT_ROLLBACK),
           "an injected NaN is caught and rolled back (events %#x)", rep.events);
    tap_ok(memcmp(good, fo_flow_params(fo_engine_flow(e)), P * sizeof(double)) == 0,
           "the parameters are the last good ones again");
    struct fo_engine_counters c;
    fo_engine_counters(e, &c);
    tap_ok(c.rollbacks == 1 && c.nonfinite == 1, "the rollback is counted");
    tap_ok(generation(e, 8, 0, &rep) == 1 && !(rep.events & FO_EVENT_ROLLBACK),
           "and the run goes on");
    free(good);
    fo_engine_destroy(e);

    config(&cfg, "default", 8);
    cfg.opt.entropy_floor = 50.0; /* no distribution on this box is that wide */
    fo_engine_create(&cfg, &e, NULL);
    generation(e, 8, 0, &rep);
    tap_ok((rep.events & FO_EVENT_ENTROPY_FLOOR) && (rep.events & FO_EVENT_ROLLBACK),
           "entropy below the floor rolls back");
    fo_engine_destroy(e);
}

/* Run both engines through the same generations; 1 if every bit agrees. */
static int lockstep(struct fo_engine *a, struct fo_engine *b, int gens) {
    struct fo_sample sa[16], sb[16];
    double xa[16 * D], xb[16 * D];
    for (int g = 0; g < gens; g++) {
        if (fo_engine_ask(a, 10, sa, xa, NULL) || fo_engine_ask(b, 10, sb, xb, NULL))
            return 0;
        if (memcmp(xa, xb, 10 * D * sizeof(double)) != 0 ||
            memcmp(sa, sb, 10 * sizeof sa[0]) != 0)
            return 0;
        for (int i = 0; i < 10; i++) {
            struct fo_step_report ra, rb;
            int ua = 0, ub = 0;
            fo_engine_tell(a, sa[i].id, objective(xa + i * D), NULL, &ua, &ra, NULL);
            fo_engine_tell(b, sb[i].id, objective(xb + i * D), NULL, &ub, &rb, NULL);
            if (ua != ub || (ua && memcmp(&ra, &rb, sizeof ra) != 0))
                return 0;
        }
    }
    return 1;
}

static void test_snapshot(void) {
    struct fo_run_config cfg;
    config(&cfg, "default", 10);
    struct fo_engine *a = NULL, *b = NULL;
    fo_engine_create(&cfg, &a, NULL);
    struct fo_step_report rep;
    for (int g = 0; g < 6; g++)
        generation(a, 10, g == 2 ? 0x5u : 0u, &rep);
    struct fo_sample s[3];
    double x[3 * D];
    fo_engine_ask(a, 3, s, x, NULL); /* leave samples pending across the snapshot */
    size_t len = 0;
    fo_engine_save(a, NULL, 0, &len, NULL);
    unsigned char *buf = malloc(len);
    tap_is_int(fo_engine_save(a, buf, len, &len, NULL), FO_OK, "a run saves (%zu bytes)",
               len);
    struct fo_error err;
    tap_is_int(fo_engine_load(buf, len, &b, &err), FO_OK, "and loads (%s)", err.msg);
    for (int i = 0; i < 3; i++) {
        int ua, ub;
        fo_engine_tell(a, s[i].id, objective(x + i * D), NULL, &ua, NULL, NULL);
        fo_engine_tell(b, s[i].id, objective(x + i * D), NULL, &ub, NULL, NULL);
    }
    tap_ok(lockstep(a, b, 12),
           "the restored run continues bit-identically for 12 generations");
    buf[len / 3] ^= 0x10;
    struct fo_engine *c = NULL;
    tap_is_int(fo_engine_load(buf, len, &c, &err), FO_ECORRUPT,
               "a corrupted snapshot is refused");
    tap_is_int(fo_engine_load(buf, 10, &c, &err), FO_ECORRUPT, "a truncated one too");
    free(buf);
    fo_engine_destroy(a);
    fo_engine_destroy(b);
}

static void test_learns(void) {
    struct fo_run_config cfg;
    config(&cfg, "default", 10);
    cfg.restarts = 0; /* converged, a restart would start the mean afresh */
    struct fo_engine *e = NULL;
    fo_engine_create(&cfg, &e, NULL);
    struct fo_step_report rep;
    double first = NAN;
    for (int g = 0; g < 100; g++) {
        generation(e, 10, 0, &rep);
        if (g == 0)
            first = rep.mean;
    }
    tap_ok(rep.mean < 0.01 * first,
           "100 generations on a shifted sphere: mean value %.3g -> %.3g", first,
           rep.mean);
    double bx[D];
    fo_engine_best(e, bx, NULL, NULL, NULL);
    tap_is_near(bx[0], -0.25, 0.05, "the best x is near the optimum (-0.25, 0, 0, 0)");
    struct fo_engine_counters c;
    fo_engine_counters(e, &c);
    tap_is_int((long long)c.nonfinite, 0, "no NaN along the way");
    fo_engine_destroy(e);
}

/* A flat objective converges at once: the run restarts with twice the batch. */
/* gens whole generations (the current batch size each) whose values come
 * from value(ctx); returns the events of their updates, or-ed. */
static unsigned drive(struct fo_engine *e, int gens, double (*value)(void *), void *ctx) {
    struct fo_sample s[16];
    double x[16 * D];
    unsigned seen = 0;
    for (int g = 0; g < gens; g++) {
        struct fo_engine_counters c;
        fo_engine_counters(e, &c);
        fo_engine_ask(e, c.batch_size, s, x, NULL);
        for (size_t i = 0; i < c.batch_size; i++) {
            struct fo_step_report rep;
            int up = 0;
            fo_engine_tell(e, s[i].id, value(ctx), NULL, &up, &rep, NULL);
            if (up)
                seen |= rep.events;
        }
    }
    return seen;
}

static double constant_one(void *ctx) {
    (void)ctx;
    return 1.0;
}

static double uniform_noise(void *ctx) {
    return fo_rng_uniform(ctx);
}

static void test_restart(void) {
    struct fo_run_config cfg;
    config(&cfg, "default", 6);
    cfg.restarts = 1;
    struct fo_engine *e = NULL;
    fo_engine_create(&cfg, &e, NULL);
    unsigned seen = drive(e, 40, constant_one, NULL);
    struct fo_engine_counters c;
    fo_engine_counters(e, &c);
    tap_ok((seen & FO_EVENT_RESTART) && c.restarts == 1 && c.batch_size == 12,
           "a converged run restarts once, with the batch doubled (%llu, %zu)",
           (unsigned long long)c.restarts, c.batch_size);
    fo_engine_destroy(e);
}

/* Values of pure noise: TolFun never fires (they span ~1), the stall
 * window does once the best stops moving by more than its tolerance. */
static void test_stall_restart(void) {
    unsigned seen[2] = {0, 0};
    uint64_t restarts[2];
    for (int on = 0; on < 2; on++) {
        struct fo_run_config cfg;
        config(&cfg, "default", 6);
        cfg.restarts = 1;
        cfg.restart_stall = on ? 10 : 0;
        cfg.restart_stall_tol = 0.5;
        struct fo_engine *e = NULL;
        fo_engine_create(&cfg, &e, NULL);
        struct fo_rng noise;
        fo_rng_seed(&noise, 3);
        seen[on] = drive(e, 30, uniform_noise, &noise);
        struct fo_engine_counters c;
        fo_engine_counters(e, &c);
        restarts[on] = c.restarts;
        fo_engine_destroy(e);
    }
    tap_ok(!(seen[0] & FO_EVENT_RESTART) && restarts[0] == 0,
           "noise without the stall test: no restart in 30 generations");
    tap_ok((seen[1] & FO_EVENT_RESTART) && restarts[1] == 1,
           "with restart_stall 10: the stalled best restarts the run (%llu)",
           (unsigned long long)restarts[1]);
}

/* A snapshot written by the previous release (format 2, made by
 * tests/fixtures/make_engine_v2.c at commit e27fec4) still loads. */
static void test_snapshot_v2(void) {
    FILE *f = fopen(FO_TEST_SOURCE_DIR "/tests/fixtures/engine_v2.snap", "rb");
    unsigned char buf[65536];
    size_t len = f ? fread(buf, 1, sizeof buf, f) : 0;
    if (f)
        fclose(f);
    struct fo_engine *e = NULL;
    struct fo_error err = {0};
    tap_is_int(fo_engine_load(buf, len, &e, &err), FO_OK,
               "a format-2 snapshot loads (%zu bytes) %s", len, err.msg);
    if (!e)
        return;
    struct fo_engine_counters c;
    fo_engine_counters(e, &c);
    tap_ok(c.asked == 14 && c.told == 12 && c.pending == 2 && c.updates == 3 &&
               fo_engine_next_id(e) == 15,
           "with its counters (asked %llu, told %llu, pending %llu, updates %llu)",
           (unsigned long long)c.asked, (unsigned long long)c.told,
           (unsigned long long)c.pending, (unsigned long long)c.updates);
    tap_ok(fo_engine_config(e)->restart_stall == 0,
           "and the stall restart off, as the run was created");
    tap_ok(fo_engine_config(e)->opt.failed_rank == FO_FAILED_IGNORE,
           "and failed evaluations ignored, as runs before failed_rank were");
    int ok = fo_engine_tell(e, 13, 0.5, NULL, NULL, NULL, NULL) == FO_OK &&
             fo_engine_tell(e, 14, 0.25, NULL, NULL, NULL, NULL) == FO_OK;
    for (int g = 0; ok && g < 3; g++) {
        struct fo_sample s[4];
        double x[4 * 2];
        ok = fo_engine_ask(e, 4, s, x, NULL) == FO_OK;
        for (int i = 0; ok && i < 4; i++)
            ok = fo_engine_tell(e, s[i].id, x[2 * i] * x[2 * i], NULL, NULL, NULL,
                                NULL) == FO_OK;
    }
    fo_engine_counters(e, &c);
    tap_ok(ok && c.updates >= 5,
           "its pending samples are told and it goes on (%llu updates)",
           (unsigned long long)c.updates);
    size_t len3 = 0;
    fo_engine_save(e, NULL, 0, &len3, NULL);
    unsigned char *b3 = malloc(len3);
    fo_engine_save(e, b3, len3, &len3, NULL);
    struct fo_engine *e3 = NULL;
    tap_ok(fo_engine_load(b3, len3, &e3, NULL) == FO_OK && b3[4] == 20,
           "saved again, it is a format-20 snapshot that loads");
    free(b3);
    fo_engine_destroy(e3);
    fo_engine_destroy(e);
}

/* FNV-1a over bytes, folded into h. */
static uint64_t fnv(uint64_t h, const void *p, size_t n) {
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211ull;
    return h;
}

static unsigned char *read_fixture(const char *name, size_t *len) {
    char path[512];
    snprintf(path, sizeof path, "%s/tests/fixtures/%s", FO_TEST_SOURCE_DIR, name);
    FILE *f = fopen(path, "rb");
    unsigned char *buf = malloc(65536);
    *len = f && buf ? fread(buf, 1, 65536, f) : 0;
    if (f)
        fclose(f);
    return buf;
}

/*
 * Load a fixture snapshot, tell its two pending samples, run five more
 * generations, and fold every asked coordinate and the state reached (the
 * flow's parameters, the best, the counters, the rate) into one digest:
 * equal digests mean the loaded run continues bit for bit as the release
 * that wrote the fixture continued it. The digest leaves out the bytes of
 * a new snapshot, whose format may grow.
 */
static uint64_t continuation_digest(const char *fixture) {
    size_t len = 0;
    unsigned char *buf = read_fixture(fixture, &len);
    struct fo_engine *e = NULL;
    uint64_t h = 14695981039346656037ull;
    if (!buf || fo_engine_load(buf, len, &e, NULL) != FO_OK) {
        free(buf);
        return 0;
    }
    int ok = fo_engine_tell(e, 13, 0.5, NULL, NULL, NULL, NULL) == FO_OK &&
             fo_engine_tell(e, 14, 0.25, NULL, NULL, NULL, NULL) == FO_OK;
    for (int g = 0; ok && g < 5; g++) {
        struct fo_sample s[4];
        double x[4 * 2];
        ok = fo_engine_ask(e, 4, s, x, NULL) == FO_OK;
        h = fnv(h, x, sizeof x);
        for (int i = 0; ok && i < 4; i++)
            ok = fo_engine_tell(e, s[i].id, x[2 * i] * x[2 * i] + fabs(x[2 * i + 1]),
                                NULL, NULL, NULL, NULL) == FO_OK;
    }
    struct fo_flow *flow = fo_engine_flow(e);
    h = fnv(h, fo_flow_params(flow), fo_flow_n_params(flow) * sizeof(double));
    double best_x[2], best = 0.0, lr = fo_engine_lr(e);
    uint64_t best_id = 0, best_gen = 0;
    fo_engine_best(e, best_x, &best, &best_id, &best_gen);
    struct fo_engine_counters c;
    fo_engine_counters(e, &c);
    uint64_t k[] = {c.asked,      c.told,      c.failed,   c.pending, c.updates,
                    c.generation, c.rollbacks, c.restarts, best_id,   best_gen};
    h = fnv(fnv(fnv(fnv(h, best_x, sizeof best_x), &best, sizeof best), k, sizeof k), &lr,
            sizeof lr);
    free(buf);
    fo_engine_destroy(e);
    return ok ? h : 0;
}

/* The digests as the release at commit 55867e0 computed them (this test
 * built against that commit's libflowopt, before the
 * settings table): a change of any setting's encoding, default or load
 * rule that alters a continuing run shows here. */
static void test_snapshot_continuation(void) {
    static const struct {
        const char *file;
        uint64_t digest;
    } fixtures[] = {
        {"engine_v2.snap", 0xbf79b1a5d7549dbaull},
        {"engine_v3.snap", 0x092b62026f44abacull},
        /* format 10 (make_engine_v10.c, commit of session 4): the default
         * preset with the surrogate's archive and model, a fold, a circle
         * and a start (its continuation has the model rank candidates);
         * pinned when it was written */
        {"engine_v10.snap", 0xf06cd63f243c4b10ull},
    };
    for (size_t i = 0; i < sizeof fixtures / sizeof fixtures[0]; i++) {
        uint64_t h = continuation_digest(fixtures[i].file);
        tap_ok(h == fixtures[i].digest, "%s continues bit for bit (digest %016llx)",
               fixtures[i].file, (unsigned long long)h);
    }
}

/* Share of the samples of one generation of n with x0 > 0. */
static double right_share(struct fo_engine *e, size_t n) {
    struct fo_sample s[16];
    double x[16 * 2];
    size_t right = 0;
    fo_engine_ask(e, n, s, x, NULL);
    for (size_t i = 0; i < n; i++)
        right += x[2 * i] > 0.0;
    for (size_t i = 0; i < n; i++)
        fo_engine_tell_failed(e, s[i].id, NULL, NULL, NULL, NULL);
    return (double)right / (double)n;
}

/*
 * optimizer.failed_rank: on a box whose left half fails and whose right
 * half is flat (no value prefers one point to another), only ranking the
 * failures last gives the update a direction; with it the mass leaves the
 * failing half, ignoring them leaves it where it was.
 */
static void test_failed_rank(void) {
    double share[2] = {0, 0};
    for (int worst = 0; worst < 2; worst++) {
        static double blo[2] = {-5, -5}, bhi[2] = {5, 5};
        struct fo_run_config cfg;
        /* REINFORCE's zero-sum utilities: equal values move nothing, so only
         * the failures' rank can (CMA-ES's selection would move the mean to
         * the told half either way) */
        fo_run_preset(&cfg, "nes", 2);
        cfg.flow.lo = blo;
        cfg.flow.hi = bhi;
        cfg.seed = cfg.flow.seed = 7;
        cfg.opt.failed_rank = worst ? FO_FAILED_WORST : FO_FAILED_IGNORE;
        cfg.restarts = 0; /* a flat half converges at once: no fresh centre wanted */
        struct fo_engine *e = NULL;
        fo_engine_create(&cfg, &e, NULL);
        const size_t B = cfg.batch_size;
        for (int g = 0; g < 40; g++) {
            struct fo_sample s[16];
            double x[16 * 2];
            fo_engine_ask(e, B, s, x, NULL);
            for (size_t i = 0; i < B; i++) {
                if (x[2 * i] > 0.0)
                    fo_engine_tell(e, s[i].id, 1.0, NULL, NULL, NULL, NULL);
                else
                    fo_engine_tell_failed(e, s[i].id, NULL, NULL, NULL, NULL);
            }
        }
        for (int k = 0; k < 4; k++)
            share[worst] += right_share(e, 16) / 4.0;
        fo_engine_destroy(e);
    }
    tap_ok(share[1] >= 0.9,
           "failed_rank worst: %.0f %% of the mass leaves the failing half",
           100.0 * share[1]);
    tap_ok(share[0] < 0.75, "failed_rank ignore: it stays spread (%.0f %% right)",
           100.0 * share[0]);
}

static void test_seed_preset(void) {
    struct fo_run_config cfg;
    config(&cfg, "seed", 50);
    struct fo_engine *e = NULL;
    tap_is_int(fo_engine_create(&cfg, &e, NULL), FO_OK, "the seed preset builds");
    struct fo_step_report rep;
    tap_ok(generation(e, 50, 0, &rep) == 1 && rep.n == 50,
           "and updates on a batch of 50");
    tap_ok(cfg.opt.optimizer == FO_OPTIMIZER_SGD_CLAMP && !cfg.opt.trust_region &&
               cfg.opt.utility == FO_UTILITY_RAW && cfg.opt.lr == 0.2,
           "clipped SGD, lr 0.2, raw utilities, no trust region");
    fo_engine_destroy(e);
    tap_ok(fo_run_preset(&cfg, "no-such-preset", D) == -1, "unknown presets are refused");
}

int main(void) {
    TAP_RUN(test_bookkeeping);
    TAP_RUN(test_trust_region);
    TAP_RUN(test_guard);
    TAP_RUN(test_snapshot);
    TAP_RUN(test_learns);
    TAP_RUN(test_restart);
    TAP_RUN(test_stall_restart);
    TAP_RUN(test_snapshot_v2);
    TAP_RUN(test_snapshot_continuation);
    TAP_RUN(test_failed_rank);
    TAP_RUN(test_seed_preset);
    return tap_done();
}
