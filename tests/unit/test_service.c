/*
 * test_service.c - runs in the service with a real SQLite file: ask/tell
 * bookkeeping through the store, all-or-nothing tells, and restarts that
 * continue exactly where the acknowledged history left off.
 */
#include "service/asktell.h"
#include "service/checkpoints.h"
#include "service/reads.h"
#include "service/runs.h"
#include "service/service.h"
#include "functions.h"
#include "tap.h"
#include "testutil.h"

#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define D 3

static double lo[D] = {-2, -2, -2}, hi[D] = {2, 2, 2};
static char dir[512];

/* A service on dir/name with cfg's settings (NULL: the defaults). */
static struct fo_service *open_service_with(const char *name,
                                            struct fo_service_config *cfg) {
    char path[600];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    struct fo_service_config defaults = {0};
    struct fo_service_config *c = cfg ? cfg : &defaults;
    c->store.path = path;
    c->store.create = 1;
    struct fo_service *svc = NULL;
    struct fo_error err;
    if (fo_service_create(c, &svc, &err) != FO_OK)
        tap_bail("service: %s", err.msg);
    return svc;
}

static struct fo_service *open_service(const char *name) {
    return open_service_with(name, NULL);
}

static void make_config(struct fo_run_config *cfg) {
    fo_run_preset(cfg, "default", D);
    cfg->flow.lo = lo;
    cfg->flow.hi = hi;
    cfg->batch_size = 6;
    cfg->seed = 9;
}

/* Ask n and tell every value; OUT: x of the asked samples. */
static int round_trip(struct fo_service *svc, const char *id, size_t n, double *x,
                      size_t *n_reports) {
    struct fo_sample s[16];
    struct fo_tell_item items[16];
    struct fo_step_report reps[16];
    struct fo_tell_outcome out;
    if (fo_service_ask(svc, id, n, NULL, s, x, NULL) != FO_OK)
        return -1;
    for (size_t i = 0; i < n; i++)
        items[i] = (struct fo_tell_item){
            s[i].id, 0, fo_fn_sphere(x + i * D, D), NULL, 0, NAN, 0, 0, NAN, NULL, NULL};
    if (fo_service_tell(svc, id, items, n, reps, &out, NULL) != FO_OK)
        return -1;
    *n_reports = out.n_reports;
    return (int)out.accepted;
}

static void test_basics(void) {
    struct fo_service *svc = open_service("basics.db");
    struct fo_run_config cfg;
    make_config(&cfg);
    char id[FO_RUN_ID_LEN + 1];
    struct fo_error err;
    tap_is_int(fo_service_run_create(svc, &cfg, "basics", id, &err), FO_OK,
               "a run is created");
    tap_is_int((long long)strlen(id), FO_RUN_ID_LEN, "with a %d-character id",
               FO_RUN_ID_LEN);
    double x[6 * D];
    size_t reports = 0;
    tap_is_int(round_trip(svc, id, 6, x, &reports), 6, "six results accepted");
    tap_is_int((long long)reports, 1, "and the completed generation produced one update");

    struct fo_sample s[2];
    fo_service_ask(svc, id, 2, NULL, s, x, NULL);
    struct fo_tell_item items[2] = {
        {s[0].id, 0, 1.5, NULL, 0, NAN, 0, 0, NAN, NULL, NULL},
        {s[0].id, 0, 2.5, NULL, 0, NAN, 0, 0, NAN, NULL, NULL}};
    struct fo_step_report reps[2];
    struct fo_tell_outcome out;
    tap_is_int(fo_service_tell(svc, id, items, 2, reps, &out, &err), FO_ECONFLICT,
               "one id with two values in a request is a conflict");
    struct fo_engine_counters c;
    fo_service_run_counters(svc, id, &c, NULL);
    tap_is_int((long long)c.told, 6, "and nothing of that request is applied");
    items[1] = (struct fo_tell_item){
        s[1].id, 1, 0.0, "instrument offline", 0, NAN, 0, 0, NAN, NULL, NULL};
    tap_is_int(fo_service_tell(svc, id, items, 2, reps, &out, &err), FO_OK,
               "a value and a failure");
    tap_ok(out.accepted == 2 && out.duplicates == 0, "both accepted");
    tap_is_int(fo_service_tell(svc, id, items, 2, reps, &out, &err), FO_OK,
               "the same again");
    tap_ok(out.accepted == 0 && out.duplicates == 2, "is two duplicates");
    items[0].value = 9.0;
    tap_is_int(fo_service_tell(svc, id, items, 1, reps, &out, &err), FO_ECONFLICT,
               "another value later is a conflict");
    items[0] = (struct fo_tell_item){12345, 0, 1.0, NULL, 0, NAN, 0, 0, NAN, NULL, NULL};
    tap_is_int(fo_service_tell(svc, id, items, 1, reps, &out, &err), FO_ENOTFOUND,
               "an unknown sample id");
    items[0] =
        (struct fo_tell_item){s[0].id, 0, 1.0 / 0.0, NULL, 0, NAN, 0, 0, NAN, NULL, NULL};
    tap_is_int(fo_service_tell(svc, id, items, 1, reps, &out, &err), FO_ERANGE,
               "an infinite value");
    tap_is_int(fo_service_ask(svc, "nope", 1, NULL, s, x, &err), FO_ENOTFOUND,
               "an unknown run");
    fo_service_destroy(svc);
}

/*
 * Two services drive identical runs with identical results; one is closed
 * and reopened from its file in the middle of a generation. Every later
 * sample must match bit for bit.
 */
static void test_restart(void) {
    struct fo_service *a = open_service("a.db"), *b = open_service("b.db");
    struct fo_run_config cfg;
    make_config(&cfg);
    char ida[FO_RUN_ID_LEN + 1], idb[FO_RUN_ID_LEN + 1];
    fo_service_run_create(a, &cfg, "a", ida, NULL);
    fo_service_run_create(b, &cfg, "b", idb, NULL);
    double xa[16 * D], xb[16 * D];
    size_t ra, rb;
    for (int g = 0; g < 4; g++) {
        round_trip(a, ida, 6, xa, &ra);
        round_trip(b, idb, 6, xb, &rb);
    }
    /* half a generation, then b "crashes" and comes back */
    round_trip(a, ida, 3, xa, &ra);
    round_trip(b, idb, 3, xb, &rb);
    struct fo_sample sa[4], sb[4];
    fo_service_ask(a, ida, 2, NULL, sa, xa,
                   NULL); /* asked, never told, across the restart */
    fo_service_ask(b, idb, 2, NULL, sb, xb, NULL);
    fo_service_destroy(b);
    b = open_service("b.db");
    struct fo_engine_counters ca, cb;
    tap_is_int(fo_service_run_counters(b, idb, &cb, NULL), FO_OK,
               "the run is back after a restart");
    fo_service_run_counters(a, ida, &ca, NULL);
    tap_ok(ca.asked == cb.asked && ca.told == cb.told && ca.pending == cb.pending &&
               ca.updates == cb.updates && ca.pending == 2,
           "with every count as acknowledged (asked %llu, told %llu, pending %llu)",
           (unsigned long long)cb.asked, (unsigned long long)cb.told,
           (unsigned long long)cb.pending);
    struct fo_tell_item ia[2] = {{sa[0].id, 0, 0.25, NULL, 0, NAN, 0, 0, NAN, NULL, NULL},
                                 {sa[1].id, 0, 0.5, NULL, 0, NAN, 0, 0, NAN, NULL, NULL}};
    struct fo_tell_item ib[2] = {{sb[0].id, 0, 0.25, NULL, 0, NAN, 0, 0, NAN, NULL, NULL},
                                 {sb[1].id, 0, 0.5, NULL, 0, NAN, 0, 0, NAN, NULL, NULL}};
    struct fo_step_report reps[2];
    struct fo_tell_outcome oa, ob;
    fo_service_tell(a, ida, ia, 2, reps, &oa, NULL);
    tap_is_int(fo_service_tell(b, idb, ib, 2, reps, &ob, NULL), FO_OK,
               "samples asked before the restart can be told after it");
    int same = 1;
    for (int g = 0; g < 5; g++) {
        round_trip(a, ida, 6, xa, &ra);
        round_trip(b, idb, 6, xb, &rb);
        same &= memcmp(xa, xb, 6 * D * sizeof(double)) == 0 && ra == rb;
    }
    tap_ok(same, "and the restored run asks exactly what the uninterrupted one asks");
    double ba, bb;
    fo_service_best(a, ida, NULL, &ba, NULL, NULL, NULL);
    fo_service_best(b, idb, NULL, &bb, NULL, NULL, NULL);
    tap_ok(ba == bb, "best-ever agrees (%g)", bb);
    fo_service_destroy(a);
    fo_service_destroy(b);
}

static int on_row(void *ctx, const struct fo_step_report *row);

/* A noisy sum of sinusoids: its told standard error 0.02 is what keeps the
 * refiner's check open. Noise from a counter, so two runs see the same. */
static double noisy_waves(const double *x, unsigned *k) {
    double f = 0.0;
    for (int d = 0; d < D; d++)
        f += cos(x[d] - 0.3 * d);
    *k = *k * 1103515245u + 12345u;
    return f + 0.02 * ((double)(*k >> 16 & 0x7fff) / 16384.0 - 1.0);
}

/* Ask what the run wants (at most 16) and tell it with stderr 0.02. */
static void noisy_round(struct fo_service *svc, const char *id, unsigned *k, double *x,
                        size_t *n) {
    struct fo_engine_counters c;
    fo_service_run_counters(svc, id, &c, NULL);
    *n = c.wanted ? (c.wanted < 16 ? c.wanted : 16) : 6;
    struct fo_sample s[16];
    struct fo_tell_item items[16];
    struct fo_step_report reps[16];
    struct fo_tell_outcome out;
    if (fo_service_ask(svc, id, *n, NULL, s, x, NULL) != FO_OK)
        tap_bail("ask");
    for (size_t i = 0; i < *n; i++)
        items[i] = (struct fo_tell_item){
            s[i].id, 0,   noisy_waves(x + i * D, k), NULL, 0, 0.02, 4000, 0, NAN,
            NULL,    NULL};
    if (fo_service_tell(svc, id, items, *n, reps, &out, NULL) != FO_OK)
        tap_bail("tell");
}

/*
 * The same with the coordinate refiner, re-evaluations and told standard
 * errors: the reopened run (its op log replayed, stderr included) asks
 * what the uninterrupted one asks, and recommends the same.
 */
static void test_restart_refiner(void) {
    struct fo_service *a = open_service("ra.db"), *b = open_service("rb.db");
    static double plo[D] = {-M_PI, -M_PI, -M_PI}, phi[D] = {M_PI, M_PI, M_PI};
    static const unsigned char circle[D] = {1, 1, 1};
    struct fo_run_config cfg;
    make_config(&cfg);
    cfg.flow.lo = plo;
    cfg.flow.hi = phi;
    cfg.flow.periodic = circle;
    cfg.structure = FO_STRUCTURE_PAULI;
    cfg.opt.reevaluate = 2;
    char ida[FO_RUN_ID_LEN + 1], idb[FO_RUN_ID_LEN + 1];
    struct fo_error err = {0};
    if (fo_service_run_create(a, &cfg, "a", ida, &err) != FO_OK ||
        fo_service_run_create(b, &cfg, "b", idb, &err) != FO_OK)
        tap_bail("create: %s", err.msg);
    unsigned ka = 1, kb = 1;
    double xa[16 * D], xb[16 * D];
    size_t na, nb;
    for (int r = 0; r < 23; r++) { /* into the middle of a sweep */
        noisy_round(a, ida, &ka, xa, &na);
        noisy_round(b, idb, &kb, xb, &nb);
    }
    fo_service_destroy(b);
    b = open_service("rb.db");
    int same = 1;
    unsigned events = 0;
    for (int r = 0; r < 60 && same; r++) {
        noisy_round(a, ida, &ka, xa, &na);
        noisy_round(b, idb, &kb, xb, &nb);
        same = na == nb && memcmp(xa, xb, na * D * sizeof(double)) == 0;
    }
    fo_service_history(a, ida, 0, 10000, on_row, &events, NULL);
    tap_ok(same && (events & FO_EVENT_REFINE) && !(events & FO_EVENT_STRUCTURE_BROKEN),
           "refiner, re-evaluations and stderr: the reopened run asks exactly what the "
           "uninterrupted one asks (sweeps ran, the structure held)");
    double ra[D], rb[D];
    struct fo_recommendation reca = {0}, recb = {0};
    int got = fo_service_recommend(a, ida, ra, &reca, NULL) == FO_OK &&
              fo_service_recommend(b, idb, rb, &recb, NULL) == FO_OK;
    tap_ok(got && !memcmp(ra, rb, sizeof ra) && reca.evaluations == recb.evaluations &&
               reca.kind == FO_RECOMMEND_REMEASURED && reca.value < -2.9,
           "and recommends the same remeasured point (%llu values, %.4f +- %.4f)",
           (unsigned long long)reca.evaluations, reca.value, reca.std_error);
    fo_service_destroy(a);
    fo_service_destroy(b);
}

static int on_row(void *ctx, const struct fo_step_report *row) {
    *(unsigned *)ctx |= row->events;
    return 0;
}

struct counters_wait {
    struct fo_service *svc;
    const char *id;
};

static int expired_and_updated(void *ctx) {
    const struct counters_wait *w = ctx;
    struct fo_engine_counters c;
    fo_service_run_counters(w->svc, w->id, &c, NULL);
    return c.pending == 0 && c.updates == 1;
}

/* Samples pending past the run's timeout expire and complete the generation. */
static void test_expiry(void) {
    struct fo_service_config scfg = {.expiry_interval_ms = 50};
    struct fo_service *svc = open_service_with("expiry.db", &scfg);
    struct fo_run_config cfg;
    make_config(&cfg);
    cfg.pending_timeout_s = 0.2;
    char id[FO_RUN_ID_LEN + 1];
    fo_service_run_create(svc, &cfg, "expiry", id, NULL);
    struct fo_sample s[6];
    double x[6 * D];
    fo_service_ask(svc, id, 6, NULL, s, x, NULL);
    struct fo_tell_item items[3];
    for (int i = 0; i < 3; i++)
        items[i] = (struct fo_tell_item){s[i].id, 0, 1.0 + i, NULL, 0,   NAN,
                                         0,       0, NAN,     NULL, NULL};
    struct fo_step_report reps[3];
    struct fo_tell_outcome out;
    fo_service_tell(svc, id, items, 3, reps, &out, NULL);
    struct fo_engine_counters c;
    fo_service_run_counters(svc, id, &c, NULL);
    tap_ok(c.pending == 3 && c.updates == 0, "three samples pending, no update yet");
    struct counters_wait cw = {svc, id};
    fo_test_wait_for(expired_and_updated, &cw, 10000);
    fo_service_run_counters(svc, id, &c, NULL);
    tap_ok(c.pending == 0 && c.failed == 3 && c.updates == 1,
           "after the timeout they expired and the generation updated (failed %llu)",
           (unsigned long long)c.failed);
    unsigned events = 0;
    fo_service_history(svc, id, 0, 10, on_row, &events, NULL);
    tap_ok(events & FO_EVENT_EXPIRED, "the expiry shows in the history");
    items[0] =
        (struct fo_tell_item){s[4].id, 0, 2.0, NULL, 0, NAN, 0, 0, NAN, NULL, NULL};
    struct fo_error err;
    tap_is_int(fo_service_tell(svc, id, items, 1, reps, &out, &err), FO_ECONFLICT,
               "a value for an expired sample is a conflict");
    fo_service_destroy(svc);
}

static int count_checkpoint(void *ctx, int64_t cid, const char *created_at,
                            size_t bytes) {
    (void)created_at;
    (void)bytes;
    int64_t *c = ctx;
    c[0]++;
    c[1] = c[1] && c[1] < cid ? c[1] : cid; /* smallest id kept */
    return 0;
}

/* Only the newest checkpoints are kept; the latest always. */
static void test_retention(void) {
    struct fo_service_config scfg = {.checkpoint_retention = 2};
    struct fo_service *svc = open_service_with("retention.db", &scfg);
    struct fo_run_config cfg;
    make_config(&cfg);
    char id[FO_RUN_ID_LEN + 1];
    fo_service_run_create(svc, &cfg, "retention", id, NULL);
    uint64_t cid = 0;
    for (int i = 0; i < 3; i++)
        fo_service_checkpoint_create(svc, id, &cid, NULL);
    int64_t seen[2] = {0, 0};
    fo_service_checkpoints(svc, id, count_checkpoint, seen, NULL);
    tap_ok(cid == 3 && seen[0] == 2 && seen[1] == 2,
           "retention 2: checkpoints 2 and 3 kept after 3 were made (%lld kept, oldest "
           "%lld)",
           (long long)seen[0], (long long)seen[1]);
    fo_service_destroy(svc);
}

static int count_sample(void *ctx, const struct fo_sample_record *rec) {
    (void)rec;
    ++*(size_t *)ctx;
    return 0;
}

static size_t parked_runs(struct fo_service *svc) {
    struct fo_service_stats st;
    fo_service_stats(svc, &st);
    return st.runs_parked;
}

struct parked_wait {
    struct fo_service *svc;
    size_t want;
};

static int parked_as_wanted(void *ctx) {
    const struct parked_wait *w = ctx;
    return parked_runs(w->svc) == w->want;
}

/* Wait (up to 10 s, scaled) until `want` runs are parked. */
static size_t wait_parked(struct fo_service *svc, size_t want) {
    struct parked_wait w = {svc, want};
    fo_test_wait_for(parked_as_wanted, &w, 10000);
    return parked_runs(svc);
}

/*
 * Idle runs are parked (engine freed) and rebuilt from the store on their
 * next use; a twin that is never parked must ask exactly the same samples.
 */
static void test_parking(void) {
    struct fo_service_config scfg = {.expiry_interval_ms = 50, .park_idle_s = 1};
    struct fo_service *a = open_service_with("park.db", &scfg),
                      *b = open_service("twin.db");
    struct fo_run_config cfg;
    make_config(&cfg);
    char ida[FO_RUN_ID_LEN + 1], idb[FO_RUN_ID_LEN + 1], idt[FO_RUN_ID_LEN + 1];
    fo_service_run_create(a, &cfg, "parked", ida, NULL);
    fo_service_run_create(b, &cfg, "twin", idb, NULL);
    cfg.pending_timeout_s = 100.0;
    fo_service_run_create(a, &cfg, "waiting", idt, NULL);
    double xa[16 * D], xb[16 * D];
    size_t ra, rb;
    for (int g = 0; g < 3; g++) {
        round_trip(a, ida, 6, xa, &ra);
        round_trip(b, idb, 6, xb, &rb);
    }
    struct fo_sample sa[2], sb[2], st[1];
    fo_service_ask(a, ida, 2, NULL, sa, xa, NULL); /* pending while parked */
    fo_service_ask(b, idb, 2, NULL, sb, xb, NULL);
    fo_service_ask(a, idt, 1, NULL, st, xa, NULL); /* pending, and can expire */
    tap_is_int((long long)wait_parked(a, 1), 1,
               "an idle run is parked; one whose samples can still expire is not");
    struct fo_run_view *v = calloc(1, sizeof *v);
    enum fo_status vst = fo_service_run_view(a, ida, v, NULL);
    tap_ok(vst == FO_OK && v->counters.told == 18 && v->counters.pending == 2 &&
               v->cfg.flow.dim == D && v->cfg.flow.lo[0] == -2.0 &&
               v->cfg.flow.hi[D - 1] == 2.0 && v->has_best &&
               strcmp(v->name, "parked") == 0,
           "a parked run is still shown whole: config, bounds, best (told %llu, pending "
           "%llu)",
           (unsigned long long)v->counters.told, (unsigned long long)v->counters.pending);
    unsigned events = 0;
    size_t n_samples = 0;
    fo_service_history(a, ida, 0, 100, on_row, &events, NULL);
    fo_service_samples(a, ida, NULL, NULL, -1, 0, 100, count_sample, &n_samples, NULL);
    tap_ok(n_samples == 20 && parked_runs(a) == 1,
           "showing it, its history or its samples (%zu) does not bring it back",
           n_samples);
    struct fo_tell_item ia[2] = {{sa[0].id, 0, 0.25, NULL, 0, NAN, 0, 0, NAN, NULL, NULL},
                                 {sa[1].id, 0, 0.5, NULL, 0, NAN, 0, 0, NAN, NULL, NULL}};
    struct fo_tell_item ib[2] = {{sb[0].id, 0, 0.25, NULL, 0, NAN, 0, 0, NAN, NULL, NULL},
                                 {sb[1].id, 0, 0.5, NULL, 0, NAN, 0, 0, NAN, NULL, NULL}};
    struct fo_step_report reps[2];
    struct fo_tell_outcome oa, ob;
    tap_is_int(fo_service_tell(a, ida, ia, 2, reps, &oa, NULL), FO_OK,
               "samples asked before parking are told after it");
    fo_service_tell(b, idb, ib, 2, reps, &ob, NULL);
    tap_is_int((long long)parked_runs(a), 0, "the tell brought the run back");
    int same = 1;
    for (int g = 0; g < 4; g++) {
        round_trip(a, ida, 6, xa, &ra);
        round_trip(b, idb, 6, xb, &rb);
        same &= memcmp(xa, xb, 6 * D * sizeof(double)) == 0 && ra == rb;
    }
    tap_ok(same, "and it asks exactly what its never-parked twin asks");
    tap_is_int((long long)wait_parked(a, 1), 1, "idle again, it is parked again");
    tap_is_int(fo_service_run_delete(a, ida, NULL), FO_OK, "a parked run can be deleted");
    tap_is_int(fo_service_run_view(a, ida, v, NULL), FO_ENOTFOUND, "and is gone");
    free(v);
    fo_service_destroy(a);
    fo_service_destroy(b);
}

int main(void) {
    if (fo_test_tmpdir(dir, sizeof dir) != 0)
        tap_bail("cannot make a temporary directory");
    TAP_RUN(test_basics);
    TAP_RUN(test_restart);
    TAP_RUN(test_restart_refiner);
    TAP_RUN(test_expiry);
    TAP_RUN(test_retention);
    TAP_RUN(test_parking);
    fo_test_rmdir(dir);
    return tap_done();
}
