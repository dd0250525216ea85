/*
 * bench_flow.c - flow micro-benchmarks, one JSON object per line:
 * sample(50), log_prob(50) and one update (log_prob + backward + Adam
 * step) for D in {2, 10, 16, 50} and every layer kind, one thread.
 * Each cell repeats its operation until 200 runs or 2 s, at least 5 runs.
 * Then the engine the daemon runs (preset default, D = 10, batch 50):
 * ask(50), and tell(50) with the update the last value triggers.
 */
#include <flowopt/adam.h>
#include <flowopt/flow.h>
#include <flowopt/opt.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define BATCH 50
#define MAX_RUNS 200
#define MIN_RUNS 5
#define BUDGET_S 2.0

enum op { OP_SAMPLE, OP_LOG_PROB, OP_UPDATE };
static const char *const op_names[] = {"sample", "log_prob", "update"};

struct cell {
    struct fo_flow *f;
    struct fo_adam *adam;
    struct fo_rng rng;
    double *x, *lp, *grad, *w;
};

static double now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int run_op(struct cell *c, enum op op) {
    size_t P = fo_flow_n_params(c->f);
    switch (op) {
    case OP_SAMPLE: return fo_flow_sample(c->f, &c->rng, BATCH, c->x, c->lp, NULL, NULL);
    case OP_LOG_PROB: return fo_flow_log_prob(c->f, BATCH, c->x, c->lp, NULL);
    case OP_UPDATE:
        memset(c->grad, 0, P * sizeof(double));
        if (fo_flow_log_prob_grad(c->f, BATCH, c->x, c->w, c->lp, c->grad, NULL, NULL))
            return 1;
        fo_adam_step(c->adam, fo_flow_params(c->f), c->grad, 1e-6);
        return 0;
    }
    return 1;
}

static void bench_cell(enum fo_layer_kind kind, size_t D) {
    struct fo_flow_config cfg;
    fo_flow_config_default(&cfg, D, kind, 1);
    cfg.hidden[0] = cfg.hidden[1] = 10 * D;
    cfg.bins = 8;
    cfg.bound = 10.0;
    struct cell c = {0};
    if (fo_flow_create(&cfg, &c.f, NULL) ||
        fo_adam_create(fo_flow_n_params(c.f), &c.adam, NULL))
        exit(1);
    size_t P = fo_flow_n_params(c.f);
    fo_rng_seed(&c.rng, 1);
    c.x = malloc(BATCH * D * sizeof(double));
    c.lp = malloc(BATCH * sizeof(double));
    c.grad = malloc(P * sizeof(double));
    c.w = malloc(BATCH * sizeof(double));
    for (size_t i = 0; i < BATCH; i++)
        c.w[i] = (double)i / BATCH - 0.5;
    /* Non-trivial parameters, so no layer runs as an exact identity. */
    double *p = fo_flow_params(c.f);
    for (size_t i = 0; i < P; i++)
        p[i] += 0.01 * fo_rng_normal(&c.rng);
    run_op(&c, OP_SAMPLE);
    for (int op = 0; op < 3; op++) {
        double t[MAX_RUNS], start = now_us();
        size_t runs = 0;
        while (runs < MAX_RUNS &&
               (runs < MIN_RUNS || now_us() - start < BUDGET_S * 1e6)) {
            double t0 = now_us();
            if (run_op(&c, (enum op)op))
                exit(1);
            t[runs++] = now_us() - t0;
        }
        qsort(t, runs, sizeof(double), cmp);
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        printf(
            "{\"bench\": \"%s\", \"flow\": \"%s\", \"layers\": 1, \"dim\": %zu, "
            "\"hidden\": [%zu, %zu], \"bins\": %zu, \"batch\": %d, \"params\": %zu, "
            "\"runs\": %zu, \"median_us\": %.1f, \"p90_us\": %.1f, \"flow_bytes\": %zu, "
            "\"peak_rss_kb\": %ld}\n",
            op_names[op], fo_layer_kind_name(kind), D, cfg.hidden[0], cfg.hidden[1],
            cfg.bins, BATCH, P, runs, t[runs / 2], t[(runs * 9) / 10],
            fo_flow_memory(c.f), ru.ru_maxrss);
        fflush(stdout);
    }
    free(c.x);
    free(c.lp);
    free(c.grad);
    free(c.w);
    fo_adam_destroy(c.adam);
    fo_flow_destroy(c.f);
}

static void report_engine(const char *what, double *t, size_t runs) {
    qsort(t, runs, sizeof(double), cmp);
    printf("{\"bench\": \"engine_%s\", \"preset\": \"default\", \"dim\": 10, "
           "\"batch\": %d, \"runs\": %zu, \"median_us\": %.1f, "
           "\"p90_us\": %.1f}\n",
           what, BATCH, runs, t[runs / 2], t[(runs * 9) / 10]);
    fflush(stdout);
}

/* ask(50) and tell(50) + update of the daemon's default engine on a sphere. */
static void bench_engine(void) {
    enum { D = 10 };
    static double lo[D], hi[D];
    struct fo_run_config cfg;
    fo_run_preset(&cfg, "default", D);
    for (size_t d = 0; d < D; d++) {
        lo[d] = -5.0;
        hi[d] = 5.0;
    }
    cfg.flow.lo = lo;
    cfg.flow.hi = hi;
    cfg.batch_size = BATCH;
    cfg.restarts = 0;
    struct fo_engine *e;
    if (fo_engine_create(&cfg, &e, NULL) != FO_OK)
        exit(1);
    static struct fo_sample s[BATCH];
    static double x[BATCH * D], t_ask[MAX_RUNS], t_tell[MAX_RUNS];
    size_t runs = 0;
    for (double start = now_us();
         runs < MAX_RUNS && (runs < MIN_RUNS || now_us() - start < 4 * BUDGET_S * 1e6);
         runs++) {
        double t0 = now_us();
        if (fo_engine_ask(e, BATCH, s, x, NULL) != FO_OK)
            exit(1);
        double t1 = now_us();
        for (size_t i = 0; i < BATCH; i++) {
            double v = 0.0;
            for (size_t d = 0; d < D; d++)
                v += (x[i * D + d] - 1.0) * (x[i * D + d] - 1.0);
            if (fo_engine_tell(e, s[i].id, v, NULL, NULL, NULL, NULL) != FO_OK)
                exit(1);
        }
        t_ask[runs] = t1 - t0;
        t_tell[runs] = now_us() - t1;
    }
    report_engine("ask", t_ask, runs);
    report_engine("tell_update", t_tell, runs);
    fo_engine_destroy(e);
}

int main(int argc, char **argv) {
    static const size_t dims[] = {2, 10, 16, 50};
    enum fo_layer_kind kinds[] = {FO_LAYER_SPLINE_AR, FO_LAYER_SPLINE_COUPLING,
                                  FO_LAYER_AFFINE_AR, FO_LAYER_GAUSSIAN_DIAG,
                                  FO_LAYER_GAUSSIAN_FULL};
    /* `bench_flow KIND D` runs one cell. */
    if (argc == 3) {
        enum fo_layer_kind k;
        if (fo_layer_kind_parse(argv[1], &k) != 0)
            return 2;
        bench_cell(k, (size_t)strtoul(argv[2], NULL, 10));
        return 0;
    }
    if (argc == 2 && strcmp(argv[1], "engine") == 0) {
        bench_engine();
        return 0;
    }
    for (size_t d = 0; d < sizeof dims / sizeof dims[0]; d++)
        for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
            bench_cell(kinds[k], dims[d]);
    bench_engine();
    return 0;
}
