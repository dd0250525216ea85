/*
 * flowopt_bench.c - optimizer quality on the suite of FUNCTIONS.md,
 * in-process, one JSON line per (preset, function):
 *
 *   flowopt-bench                       default preset on every function,
 *                                       seed preset on seed_trig and tfim_vqe
 *   flowopt-bench opt --preset P --function F --seeds N [--budget B] [--verbose]
 *                     [--unbounded]   (no box map: the flow lives on R^D)
 *
 * A run asks a generation, evaluates it, tells it, and stops at success
 * (except himmelblau, which uses its whole budget to find every minimum),
 * at the budget, or when the engine stops itself.
 */
#include <flowopt/opt.h>
#include <flowopt/settings.h>
#include "functions.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct run_result {
    int success;
    uint64_t evals_to_target, evals;
    double best;
    uint64_t rollbacks, nonfinite;
    uint64_t updates; /* generations completed */
    double engine_s;  /* time spent in ask and tell (the engine's own cost) */
    int minima_found;
    int modes_found;   /* himmelblau: minima among the run's modes */
    double peak_ratio; /* a niching function: global optima among its modes */
    double mass[4];
    enum fo_stop stop;
    /* a noisy function: the true value at the final recommended x, and
     * whether its estimate was within 3 standard errors of it (-1: none) */
    double rec_exact;
    int rec_within;
};

static int verbose;
static int unbounded; /* --unbounded: the flow on R^D, the box only for the problem */

#define MAX_BATCH 10240

/* --set KEY=VALUE overrides, applied after the preset (for tuning). */
#define MAX_SETS 32
static const char *sets[MAX_SETS];
static int n_sets;

static int apply_set(struct fo_run_config *c, const char *kv) {
    char key[64];
    const char *eq = strchr(kv, '=');
    if (!eq || (size_t)(eq - kv) >= sizeof key)
        return -1;
    memcpy(key, kv, (size_t)(eq - kv));
    key[eq - kv] = '\0';
    const char *v = eq + 1;
    double d = atof(v);
    const struct fo_setting *s = fo_setting_find(key);
    if (s) { /* a row of the settings table, by its API name (a point: one
              * number for every coordinate) */
        static double point[FO_SETTING_POINTS][1024];
        for (size_t k = 0; s->type == FO_SETTING_POINT && k < c->flow.dim && k < 1024;
             k++)
            point[s->slot][k] = d;
        struct fo_setting_value sv = {.setting = s,
                                      .integer = (int64_t)d,
                                      .real = d,
                                      .text = v,
                                      .point = point[s->slot]};
        return fo_setting_set(c, &sv, NULL) == FO_OK ? 0 : -1;
    }
    if (!strcmp(key, "batch"))
        c->batch_size = (size_t)d;
    else if (!strcmp(key, "kl"))
        c->opt.kl_target = d;
    else if (!strcmp(key, "lr"))
        c->opt.lr = d;
    else if (!strcmp(key, "lr_max"))
        c->opt.lr_max = d;
    else if (!strcmp(key, "shape"))
        c->opt.shape_lr_scale = d;
    else if (!strcmp(key, "kind"))
        c->opt.optimizer = (enum fo_optimizer)(int)d;
    else if (!strcmp(key, "net"))
        c->opt.net_lr_scale = d;
    else if (!strcmp(key, "reuse"))
        c->opt.reuse_generations = (unsigned)d;
    else if (!strcmp(key, "clip"))
        c->opt.clip_norm = d;
    else if (!strcmp(key, "entropy"))
        c->opt.entropy_coef = d;
    else if (!strcmp(key, "mirrored"))
        c->opt.mirrored = (int)d;
    else if (!strcmp(key, "bins"))
        c->flow.bins = (size_t)d;
    else if (!strcmp(key, "restarts"))
        c->restarts = (unsigned)d;
    else if (!strcmp(key, "tolfun"))
        c->restart_tolfun = d;
    else if (!strcmp(key, "stall"))
        c->restart_stall = (unsigned)d;
    else if (!strcmp(key, "stalltol"))
        c->restart_stall_tol = d;
    else if (!strcmp(key, "bound"))
        c->flow.bound = d;
    else if (!strcmp(key, "box_map"))
        c->flow.box_map = (enum fo_box_map)(int)d;
    else if (!strcmp(key, "surrogate"))
        c->opt.surrogate = (int)d;
    else if (!strcmp(key, "restart_mean"))
        c->restart_mean = (int)d;
    else if (!strcmp(key, "optimizer"))
        c->opt.optimizer = !strcmp(v, "adam")  ? FO_OPTIMIZER_ADAM
                           : !strcmp(v, "sgd") ? FO_OPTIMIZER_SGD_CLAMP
                                               : FO_OPTIMIZER_NATURAL;
    else if (!strcmp(key, "utility"))
        return fo_utility_parse(v, &c->opt.utility);
    else if (!strcmp(key, "hidden")) {
        c->flow.n_hidden = 0;
        for (const char *p = v; *p && c->flow.n_hidden < 4;
             p = strchr(p, ',') ? strchr(p, ',') + 1 : "")
            c->flow.hidden[c->flow.n_hidden++] = (size_t)atoi(p);
    } else if (!strcmp(key, "layers")) {
        c->flow.n_layers = 0;
        char buf[256];
        snprintf(buf, sizeof buf, "%s", v);
        for (char *t = strtok(buf, ","); t && c->flow.n_layers < 16;
             t = strtok(NULL, ","))
            if (fo_layer_kind_parse(t, &c->flow.kinds[c->flow.n_layers++]) != 0)
                return -1;
    } else
        return -1;
    return 0;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int reached(const struct fo_bench_fn *fn, double v) {
    return fn->maximize ? v >= fn->success : v <= fn->success;
}

/* Best value seen within 0.1 of each himmelblau minimum. */
static void track_minima(const double *x, double v, double *near_best) {
    for (int k = 0; k < 4; k++) {
        double dx = x[0] - fo_himmelblau_minima[k][0],
               dy = x[1] - fo_himmelblau_minima[k][1];
        if (dx * dx + dy * dy <= 0.01 && v < near_best[k])
            near_best[k] = v;
    }
}

static void final_mass(struct fo_engine *e, double *mass) {
    enum { M = 4000 };
    static double x[2 * M];
    static struct fo_sample s[M];
    for (int k = 0; k < 4; k++)
        mass[k] = 0.0;
    /* Drawing here changes the run's RNG, which is why it is done last. */
    if (fo_engine_ask(e, M, s, x, NULL) != FO_OK)
        return;
    for (int i = 0; i < M; i++)
        for (int k = 0; k < 4; k++) {
            double dx = x[2 * i] - fo_himmelblau_minima[k][0];
            double dy = x[2 * i + 1] - fo_himmelblau_minima[k][1];
            if (dx * dx + dy * dy <= 0.25)
                mass[k] += 1.0 / M;
        }
}

/* CEC 2013's peak ratio at accuracy 1e-3 over the run's modes: those
 * within 1e-3 of the global value, taken best first, each farther than the
 * niche radius from those taken, over the count of global optima. */
static double peak_ratio(struct fo_engine *e, size_t D, double f_star, int n_optima,
                         double radius) {
    static double mx[FO_ENGINE_MAX_MODES * 8];
    static struct fo_mode mm[FO_ENGINE_MAX_MODES];
    if (D > 8)
        return NAN;
    size_t n = fo_engine_modes(e, FO_ENGINE_MAX_MODES, mx, mm),
           taken[FO_ENGINE_MAX_MODES] = {0};
    size_t nt = 0;
    for (;;) {
        long pick = -1;
        for (size_t k = 0; k < n; k++) {
            int used = 0;
            for (size_t t = 0; t < nt; t++)
                used |= taken[t] == k;
            if (!used && mm[k].best >= f_star - 1e-3 &&
                (pick < 0 || mm[k].best > mm[pick].best))
                pick = (long)k;
        }
        if (pick < 0)
            break;
        int far = 1;
        for (size_t t = 0; t < nt; t++) {
            double d2 = 0.0;
            for (size_t d = 0; d < D; d++) {
                double dx = mx[(size_t)pick * D + d] - mx[taken[t] * D + d];
                d2 += dx * dx;
            }
            far &= sqrt(d2) > radius;
        }
        taken[nt++] = (size_t)pick;
        if (!far) /* taken, but not a new optimum: mark it by an impossible best */
            mm[pick].best = -INFINITY;
    }
    size_t found = 0;
    for (size_t t = 0; t < nt; t++)
        found += isfinite(mm[taken[t]].best);
    return (double)found / (double)n_optima;
}

static int run_one(const struct fo_bench_fn *fn, const char *preset, uint64_t seed,
                   uint64_t budget, struct run_result *res) {
    struct fo_run_config cfg;
    if (fo_run_preset(&cfg, preset, fn->dim) != 0)
        return -1;
    for (int i = 0; i < n_sets; i++)
        if (apply_set(&cfg, sets[i]) != 0) {
            fprintf(stderr, "flowopt-bench: bad --set %s\n", sets[i]);
            return -1;
        }
    double lo[128], hi[128];
    unsigned char periodic[128];
    for (size_t d = 0; d < fn->dim; d++) {
        lo[d] = fn->lo;
        hi[d] = fn->hi;
        periodic[d] = 1;
    }
    cfg.flow.lo = unbounded ? NULL : lo;
    cfg.flow.hi = unbounded ? NULL : hi;
    if (!unbounded && (fn->transform & FO_BENCH_PERIODIC))
        cfg.flow.periodic = periodic;
    cfg.direction = fn->maximize ? FO_MAXIMIZE : FO_MINIMIZE;
    double frequency[128];
    for (size_t d = 0; fn->structure && d < fn->dim; d++)
        frequency[d] = fn->structure;
    if (fn->structure) { /* declared as a driver that knows its circuit would */
        cfg.structure = FO_STRUCTURE_PAULI;
        cfg.frequency = frequency;
    }
    cfg.seed = seed;
    cfg.flow.seed = seed;
    cfg.budget = budget;
    struct fo_engine *e = NULL;
    struct fo_error err;
    struct fo_bench_problem prob;
    if (fo_bench_problem_init(&prob, fn, seed) != 0)
        return -1;
    if (fo_engine_create(&cfg, &e, &err) != FO_OK) {
        fprintf(stderr, "flowopt-bench: %s\n", err.msg);
        fo_bench_problem_free(&prob);
        return -1;
    }
    const size_t B = MAX_BATCH, D = fn->dim;
    struct fo_sample *s = malloc(B * sizeof *s);
    double *x = malloc(B * D * sizeof *x),
           near_best[4] = {INFINITY, INFINITY, INFINITY, INFINITY};
    int is_himmelblau = strcmp(fn->name, "himmelblau") == 0;
    const int whole = is_himmelblau || (fn->transform & FO_BENCH_NICHING);
    double *rx = malloc(D * sizeof *rx);
    memset(res, 0, sizeof *res);
    res->best = fn->maximize ? -INFINITY : INFINITY;
    while (res->evals < budget && fo_engine_stop_reason(e) == FO_STOP_NONE) {
        struct fo_engine_counters cc;
        fo_engine_counters(e, &cc);
        /* as many as the generation still needs: fewer while a model ranks it */
        size_t need = cc.wanted ? cc.wanted : cc.batch_size;
        size_t want = need < MAX_BATCH ? need : MAX_BATCH;
        size_t n = budget - res->evals < want ? budget - res->evals : want;
        double t_ask = now_s();
        if (fo_engine_ask(e, n, s, x, &err) != FO_OK)
            break;
        res->engine_s += now_s() - t_ask;
        for (size_t i = 0; i < n; i++) {
            double se;
            double v = fo_bench_problem_eval_se(&prob, x + i * D, &se);
            struct fo_step_report rep;
            int updated = 0;
            double t_tell = now_s();
            fo_engine_tell_se(e, s[i].id, v, se, NULL, &updated, &rep, NULL);
            res->engine_s += now_s() - t_tell;
            res->updates += updated != 0;
            res->evals++;
            int improved = fn->maximize ? v > res->best : v < res->best;
            if (improved)
                res->best = v;
            /* a noisy function is judged by the true value at the x the run
             * recommends (issue 11), after each update */
            double judged = v;
            if (fn->shots) {
                struct fo_recommendation rec;
                improved = updated;
                if (updated)
                    judged = fo_engine_recommend(e, rx, &rec, NULL) == FO_OK
                                 ? fo_bench_problem_exact(&prob, rx)
                                 : NAN;
            }
            if (!res->success && improved && reached(fn, judged)) {
                res->success = 1;
                res->evals_to_target = res->evals;
            }
            if (is_himmelblau)
                track_minima(x + i * D, v, near_best);
            if (updated && verbose) {
                char ev[160];
                fo_event_names(rep.events, ev, sizeof ev);
                fprintf(stderr,
                        "step %llu evals %llu n %zu modelled %llu reused %llu tau %.3f "
                        "best %.6g mean "
                        "%.4g H %.3f |g| %.3g kl %.3g lr %.3g ess %.1f sigma %.3g cond "
                        "%.3g %s\n",
                        (unsigned long long)rep.step, (unsigned long long)rep.evaluations,
                        rep.n, (unsigned long long)rep.modelled,
                        (unsigned long long)rep.reused, rep.tau, rep.best_ever, rep.mean,
                        rep.entropy, rep.grad_norm, rep.kl, rep.lr, rep.ess,
                        rep.step_size, rep.condition, ev);
            }
        }
        if (res->success && !whole)
            break;
    }
    double f_star, radius;
    int n_optima;
    if (fo_bench_niche(fn->name, &f_star, &n_optima, &radius) == 0)
        res->peak_ratio = peak_ratio(e, D, f_star, n_optima, radius);
    if (is_himmelblau) {
        for (int k = 0; k < 4; k++)
            res->minima_found += near_best[k] < 1e-3;
        /* the minima the run's /modes report, at 0.01 and below 1e-3 */
        static double mx[FO_ENGINE_MAX_MODES * 2];
        static struct fo_mode mm[FO_ENGINE_MAX_MODES];
        size_t nm = fo_engine_modes(e, FO_ENGINE_MAX_MODES, mx, mm);
        int seen[4] = {0};
        for (size_t j = 0; j < nm; j++)
            for (int k = 0; k < 4; k++)
                seen[k] |= mm[j].best < 1e-3 &&
                           hypot(mx[2 * j] - fo_himmelblau_minima[k][0],
                                 mx[2 * j + 1] - fo_himmelblau_minima[k][1]) < 0.01;
        res->modes_found = seen[0] + seen[1] + seen[2] + seen[3];
        final_mass(e, res->mass);
    }
    struct fo_engine_counters c;
    fo_engine_counters(e, &c);
    res->rollbacks = c.rollbacks;
    res->nonfinite = c.nonfinite + !isfinite(res->best);
    res->stop = fo_engine_stop_reason(e);
    res->rec_exact = NAN;
    res->rec_within = -1;
    struct fo_recommendation rec;
    if (fn->shots && fo_engine_recommend(e, rx, &rec, NULL) == FO_OK) {
        res->rec_exact = fo_bench_problem_exact(&prob, rx);
        if (rec.kind == FO_RECOMMEND_REMEASURED)
            res->rec_within = fabs(rec.value - res->rec_exact) <= 3.0 * rec.std_error;
    }
    free(rx);
    free(s);
    free(x);
    fo_engine_destroy(e);
    fo_bench_problem_free(&prob);
    return 0;
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Quantile of a sorted array by linear interpolation. */
static double quantile_u64(const uint64_t *v, size_t n, double q) {
    if (n == 0)
        return NAN;
    double pos = q * (double)(n - 1);
    size_t i = (size_t)pos;
    double f = pos - (double)i;
    return i + 1 < n ? (double)v[i] * (1 - f) + (double)v[i + 1] * f : (double)v[i];
}

static void json_num(double v) {
    if (isfinite(v))
        printf("%.10g", v);
    else
        printf("null");
}

static int cell(const char *preset, const struct fo_bench_fn *fn, int seeds,
                uint64_t budget) {
    struct run_result *r = calloc((size_t)seeds, sizeof *r);
    uint64_t *ett = calloc((size_t)seeds, sizeof *ett);
    double *bests = calloc((size_t)seeds, sizeof *bests);
    double t0 = now_s(), engine_s = 0.0;
    uint64_t updates = 0;
    size_t n_ok = 0;
    uint64_t rollbacks = 0, nonfinite = 0;
    for (int s = 0; s < seeds; s++) {
        if (run_one(fn, preset, (uint64_t)s + 1, budget, &r[s]) != 0)
            return 1;
        if (r[s].success)
            ett[n_ok++] = r[s].evals_to_target;
        bests[s] = r[s].best;
        rollbacks += r[s].rollbacks;
        nonfinite += r[s].nonfinite;
        updates += r[s].updates;
        engine_s += r[s].engine_s;
        if (verbose)
            fprintf(stderr, "seed %d: %s after %llu evals, best %.8g, stop %s\n", s + 1,
                    r[s].success ? "success" : "failure", (unsigned long long)r[s].evals,
                    r[s].best, fo_stop_name(r[s].stop));
    }
    qsort(ett, n_ok, sizeof *ett, cmp_u64);
    qsort(bests, (size_t)seeds, sizeof *bests, cmp_double);
    printf(
        "{\"bench\": \"opt\", \"preset\": \"%s\", \"function\": \"%s\", \"seeds\": %d, "
        "\"budget\": %llu, \"success_rate\": %.4g, \"evals_to_target\": [",
        preset, fn->name, seeds, (unsigned long long)budget, (double)n_ok / seeds);
    for (int q = 0; q < 3; q++) {
        json_num(quantile_u64(ett, n_ok, 0.25 * (q + 1)));
        printf(q < 2 ? ", " : "], ");
    }
    printf("\"median_best\": ");
    json_num(seeds % 2 ? bests[seeds / 2]
                       : 0.5 * (bests[seeds / 2 - 1] + bests[seeds / 2]));
    printf(", \"nan\": %llu, \"rollbacks\": %llu, \"seconds\": %.2f",
           (unsigned long long)nonfinite, (unsigned long long)rollbacks, now_s() - t0);
    /* ask and tell time per generation: the engine's cost of one update */
    printf(", \"engine_us_per_generation\": %.1f",
           updates ? 1e6 * engine_s / (double)updates : 0.0);
    if (fn->transform & FO_BENCH_NICHING) {
        double sum = 0.0;
        for (int s = 0; s < seeds; s++)
            sum += r[s].peak_ratio;
        printf(", \"peak_ratio_mean\": %.4g", sum / seeds);
    }
    if (fn->shots) {
        double *re = calloc((size_t)seeds, sizeof *re);
        int within = 0, judged = 0;
        for (int s = 0; s < seeds; s++) {
            re[s] = r[s].rec_exact;
            within += r[s].rec_within == 1;
            judged += r[s].rec_within >= 0;
        }
        qsort(re, (size_t)seeds, sizeof *re, cmp_double);
        printf(", \"recommended_exact_median\": ");
        json_num(re[seeds / 2]);
        printf(", \"estimate_within_3se\": ");
        json_num(judged ? (double)within / judged : NAN);
        free(re);
    }
    if (strcmp(fn->name, "himmelblau") == 0) {
        int all4 = 0;
        printf(", \"minima_found\": [");
        for (int s = 0; s < seeds; s++) {
            printf(s ? ", %d" : "%d", r[s].minima_found);
            all4 += r[s].minima_found == 4;
        }
        printf("], \"all_four_rate\": %.4g, \"modes_found\": [", (double)all4 / seeds);
        for (int s = 0; s < seeds; s++)
            printf(s ? ", %d" : "%d", r[s].modes_found);
        printf("], \"final_mass\": [");
        for (int s = 0; s < seeds; s++) {
            printf(s ? ", [" : "[");
            for (int k = 0; k < 4; k++)
                printf(k ? ", %.3f" : "%.3f", r[s].mass[k]);
            printf("]");
        }
        printf("]");
    }
    printf("}\n");
    fflush(stdout);
    free(r);
    free(ett);
    free(bests);
    return 0;
}

int main(int argc, char **argv) {
    const char *preset = "default", *fname = NULL;
    int seeds = 20;
    uint64_t budget = 0;
    int single = argc > 1 && strcmp(argv[1], "opt") == 0;
    for (int i = single ? 2 : 1; i < argc; i++) {
        if (strcmp(argv[i], "--preset") == 0 && i + 1 < argc)
            preset = argv[++i];
        else if (strcmp(argv[i], "--function") == 0 && i + 1 < argc)
            fname = argv[++i];
        else if (strcmp(argv[i], "--seeds") == 0 && i + 1 < argc)
            seeds = atoi(argv[++i]);
        else if (strcmp(argv[i], "--budget") == 0 && i + 1 < argc)
            budget = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--verbose") == 0)
            verbose = 1;
        else if (strcmp(argv[i], "--unbounded") == 0)
            unbounded = 1;
        else if (strcmp(argv[i], "--set") == 0 && i + 1 < argc && n_sets < MAX_SETS)
            sets[n_sets++] = argv[++i];
        else {
            fprintf(stderr,
                    "usage: flowopt-bench [opt --preset P --function F --seeds N "
                    "[--budget B] [--set KEY=VALUE]... [--unbounded] [--verbose]]\n");
            return 2;
        }
    }
    if (seeds < 1)
        seeds = 1;
    if (fname) {
        const struct fo_bench_fn *fn = fo_bench_find(fname);
        if (!fn) {
            fprintf(stderr, "flowopt-bench: unknown function %s\n", fname);
            return 2;
        }
        return cell(preset, fn, seeds, budget ? budget : fn->budget);
    }
    for (size_t i = 0; i < fo_bench_suite_len; i++)
        if (!(fo_bench_suite[i].transform & FO_BENCH_EXTRA) &&
            cell(preset, &fo_bench_suite[i], seeds,
                 budget ? budget : fo_bench_suite[i].budget))
            return 1;
    if (!single || strcmp(preset, "default") == 0) {
        cell("seed", fo_bench_find("seed_trig"), seeds, budget ? budget : 20000);
        cell("seed", fo_bench_find("tfim_vqe"), seeds, budget ? budget : 20000);
    }
    return 0;
}
