/*
 * test_outcomes.c - a told sample is a value, failed, or lost. A lost one
 * costs nothing: its point is handed out again under a new id linked to
 * the old one, it stays in its generation (the update waits for it), a
 * repeat is a no-op and a value for the old id a conflict; a snapshot
 * keeps the waiting point.
 */
#include <flowopt/opt.h>
#include <flowopt/settings.h>
#include "opt/engine_internal.h"
#include "engineutil.h"
#include "tap.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static struct fo_engine *make(void) {
    struct fo_run_config c;
    fo_run_preset(&c, "default", 3);
    c.opt.surrogate = FO_SURROGATE_OFF; /* one generation is batch_size draws */
    c.seed = c.flow.seed = 5;
    struct fo_engine *e = NULL;
    if (fo_engine_create(&c, &e, NULL) != FO_OK)
        tap_bail("create");
    return e;
}

static double f(const double *x) {
    return x[0] * x[0] + x[1] * x[1] + x[2] * x[2];
}

static void test_lost(void) {
    struct fo_engine *e = make();
    const size_t B = e->cfg.batch_size;
    struct fo_sample s[16], again;
    double x[48], xa[3];
    if (fo_engine_ask(e, B, s, x, NULL) != FO_OK)
        tap_bail("ask");
    struct fo_error err;
    int dup = 0;
    tap_is_int(fo_engine_tell_lost(e, s[2].id, &dup, &err), FO_OK,
               "a pending sample is told lost");
    struct fo_engine_counters c;
    fo_engine_counters(e, &c);
    tap_ok(c.lost == 1 && c.pending == B - 1 && c.failed == 0,
           "it counts as lost, neither pending nor failed (%llu, %llu)",
           (unsigned long long)c.lost, (unsigned long long)c.pending);
    dup = 0;
    tap_ok(fo_engine_tell_lost(e, s[2].id, &dup, NULL) == FO_OK && dup,
           "told lost again: a duplicate");
    tap_is_int(fo_engine_tell(e, s[2].id, 1.0, NULL, NULL, NULL, &err), FO_ECONFLICT,
               "a value for the lost id is a conflict");
    for (size_t i = 0; i < B; i++)
        if (i != 2)
            fo_engine_tell(e, s[i].id, f(x + 3 * i), NULL, NULL, NULL, NULL);
    fo_engine_counters(e, &c);
    tap_is_int((long long)c.updates, 0, "the generation waits for the lost point");
    /* a snapshot while it waits: the copy hands out the same point */
    size_t len;
    unsigned char *buf = fo_test_engine_save(e, &len);
    struct fo_engine *copy = NULL;
    if (fo_engine_load(buf, len, &copy, NULL) != FO_OK)
        tap_bail("load");
    free(buf);
    if (fo_engine_ask(e, 1, &again, xa, NULL) != FO_OK)
        tap_bail("ask again");
    tap_ok(again.reissue_of == s[2].id && again.id == s[B - 1].id + 1 &&
               again.generation == s[2].generation && memcmp(xa, x + 6, sizeof xa) == 0,
           "the next ask hands the same point out again: id %llu, reissue_of %llu",
           (unsigned long long)again.id, (unsigned long long)again.reissue_of);
    struct fo_sample sc;
    double xc[3];
    fo_engine_ask(copy, 1, &sc, xc, NULL);
    tap_ok(sc.id == again.id && sc.reissue_of == again.reissue_of &&
               memcmp(xc, xa, sizeof xa) == 0,
           "a run restored from a snapshot re-issues it the same way");
    int updated = 0;
    fo_engine_tell(e, again.id, f(xa), NULL, &updated, NULL, NULL);
    fo_engine_counters(e, &c);
    tap_ok(updated && c.updates == 1 && c.told == B && c.pending == 0,
           "told under its new id, it completes the generation (%llu told)",
           (unsigned long long)c.told);
    fo_engine_destroy(copy);
    fo_engine_destroy(e);
}

/* A re-issued sample told and then dropped with its generation leaves
 * nothing behind: later snapshots still load. */
static void test_lost_then_old(void) {
    struct fo_engine *e = make();
    const size_t B = e->cfg.batch_size;
    struct fo_sample s[16];
    double x[48];
    int ok = 1;
    for (int g = 0; g < 4; g++) {
        fo_engine_ask(e, B, s, x, NULL);
        fo_engine_tell_lost(e, s[0].id, NULL, NULL);
        for (size_t i = 1; i < B; i++)
            fo_engine_tell(e, s[i].id, f(x + 3 * i), NULL, NULL, NULL, NULL);
        struct fo_sample again;
        double xa[3];
        fo_engine_ask(e, 1, &again, xa, NULL);
        fo_engine_tell(e, again.id, f(xa), NULL, NULL, NULL, NULL);
        size_t len;
        unsigned char *buf = fo_test_engine_save(e, &len);
        struct fo_engine *copy = NULL;
        ok &= fo_engine_load(buf, len, &copy, NULL) == FO_OK;
        fo_engine_destroy(copy);
        free(buf);
    }
    struct fo_engine_counters c;
    fo_engine_counters(e, &c);
    tap_ok(ok && c.updates == 4 && c.lost == 4,
           "a lost, re-issued and told sample a generation, for 4: every snapshot loads");
    fo_engine_destroy(e);
}

static void test_lost_twice(void) {
    struct fo_engine *e = make();
    struct fo_sample s[16], a, b;
    double x[48], xa[3], xb[3];
    fo_engine_ask(e, 2, s, x, NULL);
    fo_engine_tell_lost(e, s[0].id, NULL, NULL);
    fo_engine_ask(e, 1, &a, xa, NULL);
    fo_engine_tell_lost(e, a.id, NULL, NULL);
    fo_engine_ask(e, 1, &b, xb, NULL);
    tap_ok(b.reissue_of == a.id && memcmp(xb, x, sizeof xb) == 0,
           "lost twice: the third id links to the second, the point is the first's");
    int status;
    double v;
    tap_ok(fo_engine_sample_state(e, s[0].id, &status, &v, NULL) == FO_OK &&
               status == FO_SAMPLE_LOST,
           "the first id reads as lost");
    fo_engine_destroy(e);
}

/* Observations join best-ever but never the update: its n and mean are
 * the generation's own. */
static void test_observed(void) {
    struct fo_engine *e = make();
    const size_t B = e->cfg.batch_size;
    uint64_t id = 0;
    double far[3] = {2.0, 2.0, 2.0};
    for (int k = 0; k < 50; k++)
        if (fo_engine_observe(e, far, -100.0 - k, &id, NULL) != FO_OK)
            tap_bail("observe");
    struct fo_error err;
    double out[3] = {0.0, 0.0, INFINITY};
    tap_is_int(fo_engine_observe(e, out, 1.0, &id, &err), FO_EINVAL,
               "a non-finite x is refused (%s)", err.field);
    struct fo_engine_counters c;
    fo_engine_counters(e, &c);
    double best;
    fo_engine_best(e, NULL, &best, NULL, NULL);
    tap_ok(c.observed == 50 && c.told == 0 && best == -149.0,
           "50 observed, none told, best-ever the best of them");
    struct fo_sample s[16];
    double x[48];
    fo_engine_ask(e, B, s, x, NULL);
    struct fo_step_report rep;
    int updated = 0;
    for (size_t i = 0; i < B; i++)
        fo_engine_tell(e, s[i].id, 1.0, NULL, &updated, &rep, NULL);
    tap_ok(updated && rep.n == B && rep.mean == 1.0,
           "the update sees its generation only (n %zu, mean %g)", rep.n, rep.mean);
    fo_engine_destroy(e);
}

/* reference.x every 2 generations: measured on schedule, its values in the
 * history rows, never in the update. */
static void test_reference(void) {
    static double ref[3] = {0.5, -0.5, 0.25};
    struct fo_run_config cfg;
    fo_run_preset(&cfg, "default", 3);
    cfg.opt.surrogate = FO_SURROGATE_OFF;
    cfg.reference = ref;
    cfg.reference_every = 2;
    struct fo_engine *e = NULL;
    struct fo_error err;
    if (fo_engine_create(&cfg, &e, &err) != FO_OK)
        tap_bail("create: %s", err.msg);
    int measured = 0, rows_with = 0, n_ok = 1;
    double drift = 0.0;
    for (int g = 0; g < 10; g++) {
        struct fo_engine_counters c;
        fo_engine_counters(e, &c);
        struct fo_sample s[32];
        double x[96];
        size_t n = c.wanted;
        fo_engine_ask(e, n, s, x, NULL);
        for (size_t i = 0; i < n; i++) {
            int at_ref = memcmp(x + 3 * i, ref, sizeof ref) == 0;
            measured += at_ref;
            drift += at_ref ? 0.1 : 0.0; /* the device drifts by 0.1 a measurement */
            struct fo_step_report rep;
            int updated = 0;
            fo_engine_tell(e, s[i].id, at_ref ? 1.0 + drift : f(x + 3 * i), NULL,
                           &updated, &rep, NULL);
            if (updated) {
                rows_with += !isnan(rep.reference);
                n_ok &= rep.n == cfg.batch_size;
            }
        }
    }
    tap_is_int(measured, 5, "10 generations with reference.every 2: 5 measurements");
    tap_ok(rows_with == 5 && n_ok,
           "each is in one history row's reference, none in the update (%d rows)",
           rows_with);
    tap_is_int(fo_engine_config(e)->reference_every, 2, "the schedule is the config's");
    cfg.reference_every = 0;
    cfg.reference = NULL;
    struct fo_run_config bad = cfg;
    bad.reference_every = 3;
    tap_is_int(fo_engine_create(&bad, &(struct fo_engine *){NULL}, &err), FO_EINVAL,
               "reference.every without reference.x is refused (%s)", err.field);
    static double out[3] = {0.0, 0.0, 9.0};
    static double lo[3] = {-1, -1, -1}, hi[3] = {1, 1, 1};
    bad.reference = out;
    bad.flow.lo = lo;
    bad.flow.hi = hi;
    tap_is_int(fo_engine_create(&bad, &(struct fo_engine *){NULL}, &err), FO_ERANGE,
               "a reference outside the bounds is refused (%s)", err.field);
    fo_engine_destroy(e);
}

int main(void) {
    test_reference();
    test_observed();
    test_lost();
    test_lost_twice();
    test_lost_then_old();
    return tap_done();
}
