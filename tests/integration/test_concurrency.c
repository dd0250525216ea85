/*
 * test_concurrency.c - eight concurrent clients on one run and on eight
 * runs, and kill -9 in the middle of a stream of concurrent tells: every
 * count must add up, and every acknowledged value must survive.
 */
#include "functions.h"
#include "tap.h"
#include "testutil.h"

#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CLIENTS 8
#define DIM 4

static char dir[512], db[600], log_path[600];
static struct fo_test_daemon d;
static atomic_int stop_flag;
static atomic_long progress; /* acknowledged round trips / asks, any client */

static long progress_mark, progress_want;

static int progressed(void *ctx) {
    (void)ctx;
    return atomic_load(&progress) - progress_mark >= progress_want;
}

/* Wait (at most 20 s, scaled) until `at_least` more round trips were
 * acknowledged: under a loaded machine a fixed pause may come before the
 * first one. */
static void wait_progress(long at_least) {
    progress_mark = atomic_load(&progress);
    progress_want = at_least;
    fo_test_wait_for(progressed, NULL, 20000);
}

struct client {
    char run[64];
    int rounds;         /* 0: until stop_flag */
    long long accepted; /* acknowledged new results */
    long long errors;
    uint64_t acked[4096]; /* ids whose tell was acknowledged */
    size_t n_acked;
    /* as a lab drives it: a leased ask, one of each 4 told lost, and an
     * observation a round; what was acknowledged of them */
    int lab;
    long long lost, observed;
};

static json_t *post(const char *path, const char *body, long *status) {
    return fo_test_post(&d, path, body, status);
}

/* One ask of 4 and its tell; returns 0 when both were acknowledged. */
static int round_trip(struct client *c) {
    char path[128];
    long status;
    snprintf(path, sizeof path, "/v1/runs/%s/ask", c->run);
    char ask[128];
    snprintf(ask, sizeof ask, "{\"n\": 4, \"client_id\": \"rig-%p\", \"lease_s\": 3600}",
             (void *)c);
    json_t *a = post(path, c->lab ? ask : "{\"n\": 4}", &status);
    json_t *samples = json_object_get(a, "samples");
    if (status != 200 || json_array_size(samples) != 4) {
        json_decref(a);
        return -1;
    }
    json_t *results = json_array();
    uint64_t ids[4];
    for (size_t i = 0; i < 4; i++) {
        json_t *s = json_array_get(samples, i);
        double x[DIM];
        for (size_t k = 0; k < DIM; k++)
            x[k] = json_number_value(json_array_get(json_object_get(s, "x"), k));
        ids[i] = strtoull(json_string_value(json_object_get(s, "id")), NULL, 10);
        json_array_append_new(
            results, c->lab && i == 0
                         ? json_pack("{s:O, s:s}", "id", json_object_get(s, "id"),
                                     "status", "lost")
                         : json_pack("{s:O, s:f}", "id", json_object_get(s, "id"),
                                     "value", fo_fn_sphere(x, DIM)));
    }
    json_decref(a);
    json_t *req = json_pack("{s:o}", "results", results);
    char *body = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    snprintf(path, sizeof path, "/v1/runs/%s/tell", c->run);
    json_t *t = post(path, body, &status);
    free(body);
    int ok = status == 200;
    if (ok) {
        atomic_fetch_add(&progress, 1);
        long long accepted = json_integer_value(json_object_get(t, "accepted"));
        c->accepted += accepted - (c->lab && accepted == 4);
        c->lost += c->lab && accepted == 4;
        for (size_t i = c->lab ? 1 : 0; i < 4 && c->n_acked < 4096; i++)
            c->acked[c->n_acked++] = ids[i];
    }
    json_decref(t);
    if (ok && c->lab) {
        snprintf(path, sizeof path, "/v1/runs/%s/observations", c->run);
        json_t *o = post(
            path, "{\"observations\": [{\"x\": [0.5, 0.5, 0.5, 0.5], \"value\": 1}]}",
            &status);
        json_decref(o);
        c->observed += status == 200;
        ok = status == 200;
    }
    return ok ? 0 : -1;
}

static void *client_main(void *p) {
    struct client *c = p;
    for (int i = 0; c->rounds ? i < c->rounds : !atomic_load(&stop_flag); i++)
        if (round_trip(c) != 0) {
            c->errors++;
            if (!c->rounds)
                break; /* the daemon is gone */
        }
    return NULL;
}

static char *create_run(char *id, size_t cap) {
    long status;
    json_t *r = post("/v1/runs",
                     "{\"dim\": 4, \"bounds\": {\"lo\": -3, \"hi\": 3}, \"direction\": "
                     "\"minimize\", \"batch_size\": 8, "
                     /* one update per 8 results: no model completing one sooner */
                     "\"optimizer\": {\"surrogate\": \"off\"}}",
                     &status);
    snprintf(id, cap, "%s",
             status == 201 ? json_string_value(json_object_get(r, "id")) : "");
    json_decref(r);
    return id;
}

static long long counter(const char *id, const char *name) {
    char url[512];
    struct fo_test_resp r;
    snprintf(url, sizeof url, "%s/v1/runs/%s", d.base_url, id);
    long long v = -1;
    if (fo_test_http("GET", url, NULL, NULL, &r) == 0 && r.status == 200) {
        json_t *j = json_loads(r.body, 0, NULL);
        v = json_integer_value(json_object_get(json_object_get(j, "counters"), name));
        json_decref(j);
    }
    fo_test_resp_free(&r);
    return v;
}

static void run_clients(struct client *c, int n) {
    pthread_t t[CLIENTS];
    for (int i = 0; i < n; i++)
        pthread_create(&t[i], NULL, client_main, &c[i]);
    for (int i = 0; i < n; i++)
        pthread_join(t[i], NULL);
}

static void test_one_run(void) {
    static struct client c[CLIENTS];
    char id[64];
    create_run(id, sizeof id);
    for (int i = 0; i < CLIENTS; i++) {
        memset(&c[i], 0, sizeof c[i]);
        snprintf(c[i].run, sizeof c[i].run, "%s", id);
        c[i].rounds = 15;
    }
    run_clients(c, CLIENTS);
    long long acc = 0, errs = 0;
    for (int i = 0; i < CLIENTS; i++) {
        acc += c[i].accepted;
        errs += c[i].errors;
    }
    tap_is_int(errs, 0, "8 clients x 15 ask/tell rounds on one run: no request failed");
    tap_is_int(acc, CLIENTS * 15 * 4, "every result accepted once");
    tap_is_int(counter(id, "told"), acc, "the run counts exactly the accepted results");
    tap_is_int(counter(id, "asked"), acc, "and the asked samples");
    tap_is_int(counter(id, "pending"), 0, "with none pending");
    long long updates = counter(id, "updates");
    /* concurrent asks can draw more than 8 from one generation: the ninth
     * on is a late tell, so there are at most told / 8 updates */
    tap_ok(updates >= 10 && updates <= acc / 8,
           "at most one update per 8 results (%lld for %lld)", updates, acc);
}

static void test_many_runs(void) {
    static struct client c[CLIENTS];
    for (int i = 0; i < CLIENTS; i++) {
        memset(&c[i], 0, sizeof c[i]);
        create_run(c[i].run, sizeof c[i].run);
        c[i].rounds = 10;
    }
    run_clients(c, CLIENTS);
    int all = 1;
    for (int i = 0; i < CLIENTS; i++)
        all &= c[i].errors == 0 && counter(c[i].run, "told") == 40 &&
               counter(c[i].run, "updates") == 5;
    tap_ok(all, "8 runs driven at once: each has 40 results and 5 updates");
}

/* Is every acknowledged id of c told in the run (GET samples?status=told)? */
static long long missing_acked(const char *run, struct client *c, int n) {
    char url[512];
    struct fo_test_resp r;
    snprintf(url, sizeof url, "%s/v1/runs/%s/samples?status=told&limit=10000", d.base_url,
             run);
    if (fo_test_http("GET", url, NULL, NULL, &r) != 0 || r.status != 200) {
        fo_test_resp_free(&r);
        return -1;
    }
    json_t *j = json_loads(r.body, 0, NULL);
    fo_test_resp_free(&r);
    json_t *samples = json_object_get(j, "samples");
    size_t m = json_array_size(samples);
    unsigned char *told = calloc(1 << 20, 1);
    for (size_t i = 0; i < m; i++) {
        uint64_t id =
            strtoull(json_string_value(json_object_get(json_array_get(samples, i), "id")),
                     NULL, 10);
        if (id < (1 << 20))
            told[id] = 1;
    }
    json_decref(j);
    long long missing = 0;
    for (int k = 0; k < n; k++)
        for (size_t i = 0; i < c[k].n_acked; i++)
            missing += c[k].acked[i] >= (1 << 20) || !told[c[k].acked[i]];
    free(told);
    return missing;
}

struct asker {
    const char *run;
    long ok, gone, other;
};

/* Ask until the run is gone; every answer must be 200 or 404. */
static void *asker_main(void *p) {
    struct asker *a = p;
    char path[128];
    snprintf(path, sizeof path, "/v1/runs/%s/ask", a->run);
    for (int i = 0; i < 5000; i++) {
        long status;
        json_decref(post(path, "{\"n\": 1}", &status));
        if (status == 404) {
            a->gone++;
            break;
        }
        if (status == 200) {
            a->ok++;
            atomic_fetch_add(&progress, 1);
        } else
            a->other++;
    }
    return NULL;
}

/* DELETE in the middle of concurrent requests on the run. */
static void test_delete_under_load(void) {
    char id[64];
    create_run(id, sizeof id);
    struct asker a[CLIENTS];
    pthread_t t[CLIENTS];
    for (int i = 0; i < CLIENTS; i++) {
        a[i] = (struct asker){id, 0, 0, 0};
        pthread_create(&t[i], NULL, asker_main, &a[i]);
    }
    wait_progress(2 * CLIENTS);
    char url[512];
    struct fo_test_resp r;
    snprintf(url, sizeof url, "%s/v1/runs/%s", d.base_url, id);
    long del = fo_test_http("DELETE", url, NULL, NULL, &r) == 0 ? r.status : 0;
    fo_test_resp_free(&r);
    long ok = 0, gone = 0, other = 0;
    for (int i = 0; i < CLIENTS; i++) {
        pthread_join(t[i], NULL);
        ok += a[i].ok;
        gone += a[i].gone;
        other += a[i].other;
    }
    tap_ok(del == 204 && ok > 0 && gone == CLIENTS && other == 0,
           "DELETE amid 8 clients asking: %ld asks served, then every client gets 404 "
           "(delete %ld, other answers %ld)",
           ok, del, other);
    long status;
    json_t *h = post("/v1/runs", "{\"dim\": 2, \"direction\": \"minimize\"}", &status);
    json_decref(h);
    tap_is_int(status, 201, "and the daemon goes on");
}

/* A counter from /metrics, or -1. */
static long long metric(const char *name) {
    char url[512];
    struct fo_test_resp r;
    snprintf(url, sizeof url, "%s/metrics", d.base_url);
    long long v = -1;
    if (fo_test_http("GET", url, NULL, NULL, &r) == 0 && r.status == 200) {
        size_t n = strlen(name);
        for (const char *p = r.body; (p = strstr(p, name)) != NULL; p += n)
            if ((p == r.body || p[-1] == '\n') && p[n] == ' ')
                v = atoll(p + n + 1);
    }
    fo_test_resp_free(&r);
    return v;
}

/* --durability full: commits of concurrent clients share their WAL syncs. */
static void test_full_durability(void) {
    long long commits0 = metric("flowopt_store_commits_total");
    long long syncs0 = metric("flowopt_store_syncs_total");
    test_one_run();
    long long commits = metric("flowopt_store_commits_total") - commits0;
    long long syncs = metric("flowopt_store_syncs_total") - syncs0;
    tap_ok(syncs >= 1 && syncs <= commits,
           "--durability full syncs the WAL before acknowledging: %lld syncs for %lld "
           "commits",
           syncs, commits);
}

static void test_kill9(const char *const *args) {
    static struct client c[CLIENTS];
    char id[64];
    create_run(id, sizeof id);
    atomic_store(&stop_flag, 0);
    pthread_t t[CLIENTS];
    for (int i = 0; i < CLIENTS; i++) {
        memset(&c[i], 0, sizeof c[i]);
        snprintf(c[i].run, sizeof c[i].run, "%s", id);
        c[i].lab = 1;
        pthread_create(&t[i], NULL, client_main, &c[i]);
    }
    wait_progress(40 * CLIENTS); /* a few snapshots into the run */
    fo_test_daemon_kill(&d);     /* SIGKILL mid-stream */
    atomic_store(&stop_flag, 1);
    for (int i = 0; i < CLIENTS; i++)
        pthread_join(t[i], NULL);
    long long acked = 0, lost = 0, observed = 0;
    for (int i = 0; i < CLIENTS; i++) {
        acked += c[i].accepted;
        lost += c[i].lost;
        observed += c[i].observed;
    }
    if (fo_test_daemon_start(&d, db, log_path, args) != 0)
        tap_bail("flowoptd did not restart; see %s", log_path);
    long long told = counter(id, "told");
    tap_ok(acked > 0, "kill -9 came during a stream of tells (%lld acknowledged)", acked);
    tap_ok(told >= acked && told <= acked + CLIENTS * 4,
           "after restart the run holds every acknowledged value (%lld told, %lld "
           "acknowledged)",
           told, acked);
    tap_is_int(missing_acked(id, c, CLIENTS), 0,
               "each acknowledged sample is told, by id");
    long long lost_now = counter(id, "lost"), observed_now = counter(id, "observed");
    tap_ok(
        lost > 0 && lost_now >= lost && lost_now <= lost + CLIENTS,
        "every acknowledged lost sample is lost after it (%lld lost, %lld acknowledged)",
        lost_now, lost);
    tap_ok(observed > 0 && observed_now >= observed && observed_now <= observed + CLIENTS,
           "and every acknowledged observation is there (%lld, %lld acknowledged)",
           observed_now, observed);
    tap_is_int(counter(id, "told") + counter(id, "failed") + counter(id, "pending") +
                   lost_now,
               counter(id, "asked"), "asked = told + failed + pending + lost");
    static struct client again;
    memset(&again, 0, sizeof again);
    snprintf(again.run, sizeof again.run, "%s", id);
    again.rounds = 4;
    client_main(&again);
    tap_ok(again.errors == 0 && again.accepted == 16, "and the run goes on");
}

int main(void) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (fo_test_tmpdir(dir, sizeof dir) != 0)
        tap_bail("cannot make a temporary directory");
    snprintf(db, sizeof db, "%s/conc.db", dir);
    snprintf(log_path, sizeof log_path, "%s/daemon.log", dir);
    if (fo_test_daemon_start(&d, db, log_path, NULL) != 0)
        tap_bail("flowoptd did not start; see %s", log_path);
    TAP_RUN(test_one_run);
    TAP_RUN(test_many_runs);
    TAP_RUN(test_delete_under_load);
    test_kill9(NULL);
    kill(d.pid, SIGTERM);
    int st;
    fo_test_daemon_wait(&d, 10000, &st);
    fo_test_daemon_kill(&d);
    const char *full[] = {"--durability", "full", NULL};
    if (fo_test_daemon_start(&d, db, log_path, full) != 0)
        tap_bail("flowoptd --durability full did not start; see %s", log_path);
    tap_is_int(metric("flowopt_store_syncs_total"), 0,
               "a fresh daemon has synced nothing");
    TAP_RUN(test_full_durability);
    test_kill9(full);
    kill(d.pid, SIGTERM);
    fo_test_daemon_wait(&d, 10000, &st);
    fo_test_daemon_kill(&d);
    if (!tap_failures())
        fo_test_rmdir(dir);
    curl_global_cleanup();
    return tap_done();
}
