/*
 * test_runs.c - the run routes against the real daemon and a real SQLite
 * file: create, read, ask, tell, best, history; duplicates, conflicts and
 * bad input as problem+json with nothing changed; and every acknowledged
 * value still there after SIGTERM and after kill -9.
 */
#include "functions.h"
#include "tap.h"
#include "testutil.h"

#include <jansson.h>
#include <signal.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char dir[512], db[600], log_path[600];
static struct fo_test_daemon d;

static json_t *call(const char *method, const char *path, const char *body,
                    long *status) {
    char url[512];
    snprintf(url, sizeof url, "%s%s", d.base_url, path);
    struct fo_test_resp r;
    if (fo_test_http(method, url, body, NULL, &r) != 0) {
        fo_test_resp_free(&r);
        *status = 0;
        return NULL;
    }
    *status = r.status;
    json_t *j = json_loads(r.body, 0, NULL);
    int problem = strcmp(r.content_type, "application/problem+json") == 0;
    if (r.status >= 400 && !problem) {
        json_decref(j);
        j = NULL; /* every error must be problem+json */
    }
    fo_test_resp_free(&r);
    return j;
}

static void start(void) {
    if (fo_test_daemon_start(&d, db, log_path, NULL) != 0)
        tap_bail("flowoptd did not start; see %s", log_path);
}

static long long counter(const char *id, const char *name) {
    char path[128];
    long status;
    snprintf(path, sizeof path, "/v1/runs/%s", id);
    json_t *j = call("GET", path, NULL, &status);
    long long v =
        json_integer_value(json_object_get(json_object_get(j, "counters"), name));
    json_decref(j);
    if (status != 200)
        tap_diag("GET %s: status %ld", path, status);
    return status == 200 ? v : -1;
}

/* Ask n samples and tell sphere values; returns the number accepted. */
static long long ask_tell(const char *id, int n) {
    char path[128], body[64];
    long status;
    snprintf(path, sizeof path, "/v1/runs/%s/ask", id);
    snprintf(body, sizeof body, "{\"n\": %d}", n);
    json_t *a = call("POST", path, body, &status);
    json_t *samples = json_object_get(a, "samples");
    json_t *results = json_array();
    for (size_t i = 0; i < json_array_size(samples); i++) {
        json_t *s = json_array_get(samples, i);
        double x[3];
        for (int k = 0; k < 3; k++)
            x[k] = json_number_value(json_array_get(json_object_get(s, "x"), (size_t)k));
        json_array_append_new(results,
                              json_pack("{s:O, s:f}", "id", json_object_get(s, "id"),
                                        "value", fo_fn_sphere(x, 3)));
    }
    json_decref(a);
    json_t *req = json_pack("{s:o}", "results", results);
    char *tb = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    snprintf(path, sizeof path, "/v1/runs/%s/tell", id);
    json_t *t = call("POST", path, tb, &status);
    long long accepted =
        status == 200 ? json_integer_value(json_object_get(t, "accepted")) : -1;
    if (status != 200)
        tap_diag("tell: %ld %s", status, json_string_value(json_object_get(t, "detail")));
    free(tb);
    json_decref(t);
    return accepted;
}

static void expect_problem(const char *method, const char *path, const char *body,
                           long want, const char *field, const char *what) {
    long status;
    json_t *p = call(method, path, body, &status);
    const char *f = json_string_value(json_object_get(p, "field"));
    tap_ok(status == want && p && (!field || (f && strcmp(f, field) == 0)),
           "%s: %ld problem+json naming '%s' (got %ld, %s)", what, want,
           field ? field : "-", status, f ? f : "no field");
    json_decref(p);
}

/* The run's config and stop_reason, as GET shows them. */
static json_t *get_run(const char *id) {
    char path[128];
    long status;
    snprintf(path, sizeof path, "/v1/runs/%s", id);
    return call("GET", path, NULL, &status);
}

static double config_num(json_t *run, const char *key) {
    json_t *c = json_object_get(run, "config");
    json_t *v = json_object_get(c, key);
    return v ? json_number_value(v)
             : json_number_value(json_object_get(json_object_get(c, "optimizer"), key));
}

static int stop_is(const char *id, const char *want) {
    json_t *r = get_run(id);
    int same = strcmp(json_string_value(json_object_get(r, "stop_reason")), want) == 0;
    json_decref(r);
    return same;
}

/* POST path body; the answer's JSON (status must be want). */
static json_t *post_ok(const char *path, const char *body, long want, const char *what) {
    long status;
    json_t *j = call("POST", path, body, &status);
    if (status != want)
        tap_diag("%s: %ld %s", what, status,
                 json_string_value(json_object_get(j, "detail")));
    return j;
}

/* A run whose left half "fails" (the circuit did not converge there):
 * failed_rank worst moves its mass right, and the history counts them. */
static double right_share(const char *failed_rank, long long *first_failed) {
    char body[256];
    snprintf(body, sizeof body,
             "{\"dim\": 2, \"direction\": \"minimize\", \"seed\": 4,"
             " \"bounds\": {\"lo\": -1, \"hi\": 1},"
             " \"optimizer\": {\"failed_rank\": \"%s\"}}",
             failed_rank);
    json_t *run = post_ok("/v1/runs", body, 201, "create");
    char id[64], ask[160], tell[160], hist[160];
    snprintf(id, sizeof id, "%s", json_string_value(json_object_get(run, "id")));
    json_decref(run);
    snprintf(ask, sizeof ask, "/v1/runs/%s/ask", id);
    snprintf(tell, sizeof tell, "/v1/runs/%s/tell", id);
    int right = 0, drawn = 0;
    for (int round = 0; round < 30; round++) {
        json_t *a = post_ok(ask, "{\"n\": 6}", 200, "ask");
        json_t *s = json_object_get(a, "samples"), *results = json_array();
        for (size_t i = 0; i < json_array_size(s); i++) {
            json_t *si = json_array_get(s, i), *x = json_object_get(si, "x");
            double x0 = json_number_value(json_array_get(x, 0)),
                   x1 = json_number_value(json_array_get(x, 1));
            if (round >= 25) {
                drawn++;
                right += x0 > 0.0;
            }
            json_array_append_new(
                results, x0 < 0.0
                             ? json_pack("{s:O, s:s}", "id", json_object_get(si, "id"),
                                         "status", "failed")
                             : json_pack("{s:O, s:f}", "id", json_object_get(si, "id"),
                                         "value", x1 * x1)); /* no side preferred */
        }
        json_decref(a);
        json_t *req = json_pack("{s:o}", "results", results);
        char *tb = json_dumps(req, JSON_COMPACT);
        json_decref(req);
        json_decref(post_ok(tell, tb, 200, "tell"));
        free(tb);
    }
    snprintf(hist, sizeof hist, "/v1/runs/%s/history?limit=1", id);
    long status;
    json_t *h = call("GET", hist, NULL, &status);
    json_t *first = json_array_get(json_object_get(h, "steps"), 0);
    *first_failed =
        status == 200 ? json_integer_value(json_object_get(first, "failed")) : -1;
    json_decref(h);
    snprintf(hist, sizeof hist, "/v1/runs/%s", id);
    json_decref(call("DELETE", hist, NULL, &status));
    return drawn ? (double)right / drawn : 0.0;
}

static void test_failures(void) {
    /* (with the CMA update, ignoring the failures drifts right too: only
     * right-half values are left to select from; test_engine measures
     * worst against ignore where they differ) */
    long long failed_worst;
    double worst = right_share("worst", &failed_worst);
    tap_ok(worst >= 0.9, "failed_rank worst: %.0f %% of the last draws in the right half",
           100 * worst);
    tap_ok(failed_worst > 0,
           "the history counts each update's failures (first row: %lld)", failed_worst);
}

/* Tell n sphere results of an ask of n with a cost, metadata and metrics
 * each; the tell's status. */
static long tell_extras(const char *id, int n, double cost) {
    char path[128], body[64];
    long status;
    snprintf(path, sizeof path, "/v1/runs/%s/ask", id);
    snprintf(body, sizeof body, "{\"n\": %d}", n);
    json_t *a = call("POST", path, body, &status);
    json_t *s = json_object_get(a, "samples"), *results = json_array();
    for (size_t i = 0; i < json_array_size(s); i++)
        json_array_append_new(
            results, json_pack("{s:O, s:f, s:f, s:{s:s, s:I}, s:{s:f, s:f}}", "id",
                               json_object_get(json_array_get(s, i), "id"), "value",
                               1.0 + (double)i, "cost", cost, "metadata", "backend",
                               "ibm_kyiv", "job", (json_int_t)i, "metrics", "variance",
                               0.01 * (double)i, "fidelity", 0.99));
    json_decref(a);
    json_t *req = json_pack("{s:o}", "results", results);
    char *tb = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    snprintf(path, sizeof path, "/v1/runs/%s/tell", id);
    json_decref(call("POST", path, tb, &status));
    free(tb);
    return status;
}

/* metadata, metrics and cost: stored, returned under their names, the spend
 * in the counters, history and /metrics, a stop on budget_cost, replayed
 * after kill -9. */
static void test_extras(void) {
    json_t *run =
        post_ok("/v1/runs",
                "{\"dim\": 2, \"direction\": \"minimize\", \"batch_size\": 6,"
                " \"budget_cost\": 10, \"optimizer\": {\"surrogate\": \"off\"}}",
                201, "create");
    char id[64], path[160];
    snprintf(id, sizeof id, "%s", json_string_value(json_object_get(run, "id")));
    json_decref(run);
    tap_is_int(tell_extras(id, 6, 1.0), 200, "a tell with cost, metadata and metrics");
    snprintf(path, sizeof path, "/v1/runs/%s/samples?status=told&limit=1", id);
    long status;
    json_t *l = call("GET", path, NULL, &status);
    json_t *row = json_array_get(json_object_get(l, "samples"), 0);
    tap_ok(status == 200 && json_real_value(json_object_get(row, "cost")) == 1.0 &&
               strcmp(json_string_value(
                          json_object_get(json_object_get(row, "metadata"), "backend")),
                      "ibm_kyiv") == 0 &&
               json_real_value(
                   json_object_get(json_object_get(row, "metrics"), "fidelity")) == 0.99,
           "/samples returns them under the same names");
    json_decref(l);
    snprintf(path, sizeof path, "/v1/runs/%s/history", id);
    json_t *h = call("GET", path, NULL, &status);
    json_t *step = json_array_get(json_object_get(h, "steps"), 0);
    tap_ok(json_real_value(json_object_get(step, "cost")) == 6.0,
           "the history row shows the spend at its update (%g)",
           json_real_value(json_object_get(step, "cost")));
    json_decref(h);
    snprintf(path, sizeof path, "/v1/runs/%s/tell", id);
    expect_problem("POST", path,
                   "{\"results\": [{\"id\": \"1\", \"value\": 1, \"metadata\": [1]}]}",
                   400, "metadata", "metadata that is not an object");
    expect_problem("POST", path,
                   "{\"results\": [{\"id\": \"1\", \"value\": 1, \"metrics\":"
                   " {\"v\": \"high\"}}]}",
                   400, "metrics", "a metric that is not a number");
    expect_problem("POST", path,
                   "{\"results\": [{\"id\": \"1\", \"value\": 1, \"cost\": -1}]}", 400,
                   "cost", "a negative cost");
    char big[6000];
    int k = snprintf(big, sizeof big,
                     "{\"results\": [{\"id\": \"1\", \"value\": 1, \"metadata\":"
                     " {\"note\": \"");
    memset(big + k, 'a', 4200);
    snprintf(big + k + 4200, sizeof big - (size_t)k - 4200, "\"}}]}");
    expect_problem("POST", path, big, 400, "metadata", "metadata over 4 KB");
    tap_ok(tell_extras(id, 6, 1.0) == 200 && stop_is(id, "cost"),
           "a spend of 12 against budget_cost 10 stops the run (stop_reason cost)");
    json_t *m = NULL;
    {
        char url[512];
        struct fo_test_resp r;
        snprintf(url, sizeof url, "%s/metrics", d.base_url);
        int got = fo_test_http("GET", url, NULL, NULL, &r) == 0 &&
                  strstr(r.body, "flowopt_cost_total ") != NULL;
        fo_test_resp_free(&r);
        tap_ok(got, "/metrics shows flowopt_cost_total");
    }
    json_decref(m);
    fo_test_daemon_kill(&d);
    start();
    json_t *rr = get_run(id);
    tap_ok(json_real_value(json_object_get(json_object_get(rr, "counters"), "cost")) ==
                   12.0 &&
               strcmp(json_string_value(json_object_get(rr, "stop_reason")), "cost") == 0,
           "after kill -9 the spend and the stop are there");
    json_decref(rr);
    /* export and import: the new run holds every result with its extras */
    snprintf(path, sizeof path, "/v1/runs/%s/checkpoints", id);
    json_t *ck = call("POST", path, NULL, &status);
    const char *cid = json_string_value(json_object_get(ck, "id"));
    char url[512];
    snprintf(url, sizeof url, "%s/v1/runs/%s/checkpoints/%s/export", d.base_url, id,
             cid ? cid : "0");
    json_decref(ck);
    struct fo_test_resp ex;
    int exported = fo_test_http("GET", url, NULL, NULL, &ex) == 0 && ex.status == 200;
    static const char *const octets[] = {"Content-Type: application/octet-stream", NULL};
    struct fo_test_resp im = {0};
    snprintf(url, sizeof url, "%s/v1/runs/import", d.base_url);
    int imported = exported &&
                   fo_test_http_bytes("POST", url, ex.body, ex.len, octets, &im) == 0 &&
                   im.status == 201;
    json_t *nr = imported ? json_loads(im.body, 0, NULL) : NULL;
    char copy[64] = "";
    snprintf(copy, sizeof copy, "%s", json_string_value(json_object_get(nr, "id")));
    json_decref(nr);
    snprintf(path, sizeof path, "/v1/runs/%s/samples?status=told&limit=100", copy);
    json_t *cs = call("GET", path, NULL, &status);
    json_t *rows = json_object_get(cs, "samples");
    int kept = imported && json_array_size(rows) == 12;
    for (size_t i = 0; kept && i < json_array_size(rows); i++) {
        json_t *r = json_array_get(rows, i);
        kept = json_real_value(json_object_get(r, "cost")) == 1.0 &&
               strcmp(json_string_value(
                          json_object_get(json_object_get(r, "metadata"), "backend")),
                      "ibm_kyiv") == 0 &&
               json_real_value(
                   json_object_get(json_object_get(r, "metrics"), "fidelity")) == 0.99;
    }
    tap_ok(kept, "export then import: the new run holds the 12 results with cost, "
                 "metadata and metrics");
    json_decref(cs);
    /* damaged bytes: refused, and no run appears */
    long long runs_before = 0;
    json_t *all = call("GET", "/v1/runs?limit=1000", NULL, &status);
    runs_before = (long long)json_array_size(json_object_get(all, "runs"));
    json_decref(all);
    if (exported && ex.len > 100)
        ex.body[ex.len - 60] ^= 0x5a;
    struct fo_test_resp bad = {0};
    int refused = exported &&
                  fo_test_http_bytes("POST", url, ex.body, ex.len, octets, &bad) == 0 &&
                  bad.status >= 400 && bad.status < 500;
    all = call("GET", "/v1/runs?limit=1000", NULL, &status);
    tap_ok(refused &&
               (long long)json_array_size(json_object_get(all, "runs")) == runs_before,
           "a damaged export is refused (%ld) and creates no run", bad.status);
    json_decref(all);
    fo_test_resp_free(&bad);
    fo_test_resp_free(&im);
    fo_test_resp_free(&ex);
    snprintf(path, sizeof path, "/v1/runs/%s", copy);
    json_decref(call("DELETE", path, NULL, &status));
    snprintf(path, sizeof path, "/v1/runs/%s", id);
    json_decref(call("DELETE", path, NULL, &status));
}

/* reference.x every 2 generations against the daemon: the history's
 * reference column shows what it measured there. */
static void test_reference(void) {
    json_t *run = post_ok("/v1/runs",
                          "{\"dim\": 3, \"direction\": \"minimize\", \"batch_size\": 6,"
                          " \"bounds\": {\"lo\": -2, \"hi\": 2},"
                          " \"reference\": {\"x\": [0.5, 0.5, 0.5], \"every\": 2},"
                          " \"optimizer\": {\"surrogate\": \"off\"}}",
                          201, "create");
    char id[64], path[160];
    snprintf(id, sizeof id, "%s", json_string_value(json_object_get(run, "id")));
    json_t *ref = json_object_get(
        json_object_get(json_object_get(run, "config"), "reference"), "every");
    tap_is_int(json_integer_value(ref), 2, "a run takes reference.x and reference.every");
    json_decref(run);
    for (int g = 0; g < 6; g++)
        ask_tell(id, (int)counter(id, "wanted"));
    snprintf(path, sizeof path, "/v1/runs/%s/history", id);
    long status;
    json_t *h = call("GET", path, NULL, &status);
    json_t *steps = json_object_get(h, "steps");
    int with = 0;
    for (size_t i = 0; i < json_array_size(steps); i++) {
        json_t *v = json_object_get(json_array_get(steps, i), "reference");
        with += json_is_number(v) && fabs(json_number_value(v) - 0.75) < 1e-12;
    }
    tap_is_int(with, 3, "6 generations: 3 history rows carry the value measured there");
    json_decref(h);
    snprintf(path, sizeof path, "/v1/runs/%s", id);
    json_decref(call("DELETE", path, NULL, &status));
}

/* A maximal tell: 100,000 results in one request (the duplicate check was
 * quadratic: 14.8 s), repeats of ids in the request counted once, and a
 * repeat with another value refusing the whole request. */
static void test_maximal_tell(void) {
    enum { N = 100000, REPEATS = 1000 };
    json_t *run = post_ok(
        "/v1/runs", "{\"dim\": 2, \"direction\": \"minimize\", \"batch_size\": 10000}",
        201, "create");
    char id[64], path[160];
    snprintf(id, sizeof id, "%s", json_string_value(json_object_get(run, "id")));
    json_decref(run);
    snprintf(path, sizeof path, "/v1/runs/%s/ask", id);
    json_t *results = json_array();
    for (int k = 0; k < N / 10000; k++) {
        json_t *a = post_ok(path, "{\"n\": 10000}", 200, "ask");
        json_t *s = json_object_get(a, "samples");
        for (size_t i = 0; i < json_array_size(s); i++)
            json_array_append_new(results,
                                  json_pack("{s:O, s:f}", "id",
                                            json_object_get(json_array_get(s, i), "id"),
                                            "value", (double)(i % 7)));
        json_decref(a);
    }
    for (size_t i = 0; i < REPEATS; i++)
        json_array_append(results, json_array_get(results, i * 37));
    /* first a request whose last repeat disagrees: refused whole */
    json_t *bad = json_deep_copy(results);
    json_object_set_new(json_array_get(bad, json_array_size(bad) - 1), "value",
                        json_real(99.5));
    json_t *req = json_pack("{s:o}", "results", bad);
    char *body = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    snprintf(path, sizeof path, "/v1/runs/%s/tell", id);
    long status;
    json_t *t = call("POST", path, body, &status);
    free(body);
    tap_ok(status == 409 && counter(id, "told") == 0,
           "a tell of %d results with one repeat disagreeing is refused whole (%ld)",
           N + REPEATS, status);
    json_decref(t);
    req = json_pack("{s:o}", "results", results);
    body = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    t = call("POST", path, body, &status);
    free(body);
    tap_ok(status == 200 && json_integer_value(json_object_get(t, "accepted")) == N &&
               json_integer_value(json_object_get(t, "duplicates")) == REPEATS &&
               counter(id, "told") == N,
           "a tell of %d results (%d of them repeats) takes each once (%ld)", N + REPEATS,
           REPEATS, status);
    json_decref(t);
    snprintf(path, sizeof path, "/v1/runs/%s", id);
    json_decref(call("DELETE", path, NULL, &status));
}

/* A sample told lost costs nothing: its x comes back under a new id that
 * names the lost one, in the same generation, across a kill -9. */
static void test_lost(void) {
    long status;
    json_t *run = post_ok("/v1/runs",
                          "{\"dim\": 3, \"direction\": \"minimize\", \"batch_size\": 6,"
                          " \"bounds\": {\"lo\": -2, \"hi\": 2}, \"seed\": 3,"
                          " \"optimizer\": {\"surrogate\": \"off\"}}",
                          201, "create");
    char id[64], path[160], body[512];
    snprintf(id, sizeof id, "%s", json_string_value(json_object_get(run, "id")));
    json_decref(run);
    snprintf(path, sizeof path, "/v1/runs/%s/ask", id);
    json_t *a = post_ok(path, "{\"n\": 6}", 200, "ask");
    json_t *s = json_object_get(a, "samples");
    const char *lost_id = json_string_value(json_object_get(json_array_get(s, 2), "id"));
    json_t *lost_x = json_deep_copy(json_object_get(json_array_get(s, 2), "x"));
    char lost[32];
    snprintf(lost, sizeof lost, "%s", lost_id);
    json_t *results = json_array();
    for (size_t i = 0; i < 6; i++) {
        json_t *si = json_array_get(s, i);
        json_array_append_new(
            results, i == 2 ? json_pack("{s:O, s:s}", "id", json_object_get(si, "id"),
                                        "status", "lost")
                            : json_pack("{s:O, s:f}", "id", json_object_get(si, "id"),
                                        "value", 1.0 + (double)i));
    }
    json_decref(a);
    json_t *req = json_pack("{s:o}", "results", results);
    char *tb = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    snprintf(path, sizeof path, "/v1/runs/%s/tell", id);
    json_decref(post_ok(path, tb, 200, "tell with a lost one"));
    free(tb);
    tap_ok(counter(id, "lost") == 1 && counter(id, "pending") == 0 &&
               counter(id, "failed") == 0 && counter(id, "updates") == 0,
           "a lost sample: counted lost, not failed, and its generation waits");
    snprintf(body, sizeof body, "{\"results\": [{\"id\": \"%s\", \"status\": \"lost\"}]}",
             lost);
    json_t *t = post_ok(path, body, 200, "lost again");
    tap_is_int(json_integer_value(json_object_get(t, "duplicates")), 1,
               "told lost again: a duplicate");
    json_decref(t);
    snprintf(body, sizeof body, "{\"results\": [{\"id\": \"%s\", \"value\": 2}]}", lost);
    expect_problem("POST", path, body, 409, "results", "a value for a lost sample");
    snprintf(body, sizeof body, "{\"results\": [{\"id\": \"%s\", \"status\": \"gone\"}]}",
             lost);
    expect_problem("POST", path, body, 400, "status", "an unknown status");
    snprintf(path, sizeof path, "/v1/runs/%s/samples?status=lost", id);
    json_t *l = call("GET", path, NULL, &status);
    json_t *rows = json_object_get(l, "samples");
    tap_ok(status == 200 && json_array_size(rows) == 1 &&
               strcmp(json_string_value(json_object_get(json_array_get(rows, 0), "id")),
                      lost) == 0,
           "GET /samples?status=lost lists it");
    json_decref(l);
    fo_test_daemon_kill(&d); /* kill -9: the lost point must survive */
    start();
    snprintf(path, sizeof path, "/v1/runs/%s/ask", id);
    a = post_ok(path, "{\"n\": 1}", 200, "ask after the restart");
    json_t *again = json_array_get(json_object_get(a, "samples"), 0);
    const char *of = json_string_value(json_object_get(again, "reissue_of"));
    tap_ok(of && strcmp(of, lost) == 0 && json_equal(json_object_get(again, "x"), lost_x),
           "after kill -9, the next ask hands the lost x out again, reissue_of %s",
           of ? of : "null");
    snprintf(body, sizeof body, "{\"results\": [{\"id\": \"%s\", \"value\": 0.5}]}",
             json_string_value(json_object_get(again, "id")));
    json_decref(a);
    json_decref(lost_x);
    snprintf(path, sizeof path, "/v1/runs/%s/tell", id);
    json_decref(post_ok(path, body, 200, "tell the re-issued sample"));
    tap_ok(counter(id, "updates") == 1 && counter(id, "told") == 6,
           "told, it completes the generation");
}

/* PATCH of live settings: applied whole or not at all, stops judged again. */
/* A run on the torus: the asked x wrapped into [lo, hi), the config
 * showing the indices, log_prob the density on the circle. */
static void test_periodic(void) {
    long status = 0;
    json_t *run = call("POST", "/v1/runs",
                       "{\"dim\": 2, \"direction\": \"minimize\", \"periodic\": [1],"
                       " \"bounds\": {\"lo\": -1, \"hi\": 1}}",
                       &status);
    const char *id = json_string_value(json_object_get(run, "id"));
    json_t *per = json_object_get(json_object_get(run, "config"), "periodic");
    tap_ok(status == 201 && json_array_size(per) == 1 &&
               json_integer_value(json_array_get(per, 0)) == 1,
           "a run with coordinate 1 periodic; its config lists [1]");
    char path[128];
    snprintf(path, sizeof path, "/v1/runs/%s/ask", id ? id : "x");
    json_t *asked = call("POST", path, "{\"n\": 200}", &status);
    json_t *samples = json_object_get(asked, "samples"), *smp;
    size_t i;
    int inside = 1;
    json_array_foreach(samples, i, smp) {
        json_t *x = json_object_get(smp, "x");
        double a = json_number_value(json_array_get(x, 0)),
               b = json_number_value(json_array_get(x, 1));
        inside &= a > -1 && a < 1 && b >= -1 && b < 1;
    }
    tap_ok(status == 200 && json_array_size(samples) == 200 && inside,
           "200 asked x all lie in the box, the periodic one in [-1, 1)");
    snprintf(path, sizeof path, "/v1/runs/%s", id ? id : "x");
    json_decref(call("DELETE", path, NULL, &status));
    tap_ok(status == 204, "and it is deleted (the listings below count the others)");
    json_decref(asked);
    json_decref(run);
}

/* A sphere run created with body, driven for 60 rounds asking what each
 * tell reply says the generation wants. OUT: whether a reply wanted fewer
 * than the batch of 7, and the last status. Returns the run (new ref). */
static json_t *drive_sphere(const char *body_create, int *fewer, long *status_out) {
    long status = 0;
    json_t *run = call("POST", "/v1/runs", body_create, &status);
    const char *id = json_string_value(json_object_get(run, "id"));
    char ask[128], tell[128];
    snprintf(ask, sizeof ask, "/v1/runs/%s/ask", id ? id : "x");
    snprintf(tell, sizeof tell, "/v1/runs/%s/tell", id ? id : "x");
    json_int_t wanted =
        json_integer_value(json_object_get(json_object_get(run, "counters"), "wanted"));
    *fewer = 0;
    for (int round = 0; round < 60 && (status == 200 || round == 0); round++) {
        char body[64];
        snprintf(body, sizeof body, "{\"n\": %lld}",
                 (long long)(wanted > 0 ? wanted : 7));
        json_t *a = call("POST", ask, body, &status);
        json_t *samples = json_object_get(a, "samples"), *s;
        size_t i;
        char results[4096] = "{\"results\": [";
        json_array_foreach(samples, i, s) {
            json_t *x = json_object_get(s, "x");
            double f = 0.0;
            for (size_t k = 0; k < 3; k++) {
                double v = json_number_value(json_array_get(x, k)) - 0.5;
                f += v * v;
            }
            size_t used = strlen(results);
            snprintf(results + used, sizeof results - used,
                     "%s{\"id\": \"%s\", \"value\": %.17g}", i ? ", " : "",
                     json_string_value(json_object_get(s, "id")), f);
        }
        strncat(results, "]}", sizeof results - strlen(results) - 1);
        json_t *t = call("POST", tell, results, &status);
        wanted = json_integer_value(json_object_get(t, "wanted"));
        *fewer |= wanted > 0 && wanted < 7;
        json_decref(a);
        json_decref(t);
    }
    *status_out = status;
    return run;
}

/* The surrogate over HTTP: a sphere is ranked by the model, and the history
 * says so (tau, modelled) after the store has held it. */
static void test_surrogate(void) {
    long status = 0;
    int fewer;
    char path[160];
    json_t *run = drive_sphere("{\"dim\": 3, \"direction\": \"minimize\", \"bounds\": "
                               "{\"lo\": -2, \"hi\": 2}}",
                               &fewer, &status);
    const char *id = json_string_value(json_object_get(run, "id"));
    tap_ok(status == 200 && fewer, "tell replies want fewer samples than the batch of 7");
    snprintf(path, sizeof path, "/v1/runs/%s/history", id ? id : "x");
    json_t *h = call("GET", path, NULL, &status);
    json_t *rows = json_object_get(h, "steps"), *row;
    size_t i;
    int modelled = 0, tau_ok = 1;
    json_array_foreach(rows, i, row) {
        json_int_t m = json_integer_value(json_object_get(row, "modelled"));
        json_t *tau = json_object_get(row, "tau");
        modelled |= m > 0;
        tau_ok &= m > 0 ? json_number_value(tau) >= 0.75 : json_is_null(tau);
    }
    tap_ok(status == 200 && modelled && tau_ok,
           "the history shows generations the model valued, each with its tau >= 0.75");
    snprintf(path, sizeof path, "/v1/runs/%s", id ? id : "x");
    json_decref(call("DELETE", path, NULL, &status));
    json_decref(h);
    json_decref(run);
}

/* A circuit-like run declared pauli-rotations over HTTP: the refiner's
 * sweeps show in the phase, the counters and the history; bad frequencies
 * are refused by name. */
static double waves3(json_t *x) {
    double f = 0.0;
    for (size_t k = 0; k < 3; k++)
        f += cos(json_number_value(json_array_get(x, k)) - 0.5 * (double)k);
    return f;
}

static void test_structure(void) {
    long status = 0;
    const char *box =
        "\"dim\": 3, \"direction\": \"minimize\", \"bounds\": {\"lo\": "
        "-3.141592653589793, \"hi\": 3.141592653589793}, \"periodic\": true";
    char body[512];
    snprintf(body, sizeof body, "{%s, \"structure\": {\"frequency\": [1, 1, 1]}}", box);
    expect_problem("POST", "/v1/runs", body, 400, "structure.frequency",
                   "a frequency without structure.kind");
    snprintf(
        body, sizeof body,
        "{%s, \"structure\": {\"kind\": \"pauli-rotations\", \"frequency\": [1, 0, 1]}}",
        box);
    expect_problem("POST", "/v1/runs", body, 422, "structure.frequency",
                   "a frequency of 0");
    snprintf(body, sizeof body,
             "{%s, \"structure\": {\"kind\": \"pauli-rotations\", \"mode\": \"alone\"}}",
             box);
    json_t *run = call("POST", "/v1/runs", body, &status);
    const char *id = json_string_value(json_object_get(run, "id"));
    json_t *st = json_object_get(json_object_get(run, "config"), "structure");
    tap_ok(
        status == 201 &&
            !strcmp(json_string_value(json_object_get(st, "kind")), "pauli-rotations") &&
            !strcmp(json_string_value(json_object_get(st, "mode")), "alone"),
        "a run declared pauli-rotations, alone");
    char ask[128], tell[128], path[160];
    snprintf(ask, sizeof ask, "/v1/runs/%s/ask", id ? id : "x");
    snprintf(tell, sizeof tell, "/v1/runs/%s/tell", id ? id : "x");
    int refining = 0;
    for (int round = 0; round < 12; round++) {
        json_t *a = call("POST", ask, "{\"n\": 1}", &status);
        json_t *s = json_array_get(json_object_get(a, "samples"), 0);
        snprintf(body, sizeof body, "{\"results\": [{\"id\": \"%s\", \"value\": %.17g}]}",
                 json_string_value(json_object_get(s, "id")),
                 waves3(json_object_get(s, "x")));
        json_decref(call("POST", tell, body, &status));
        snprintf(path, sizeof path, "/v1/runs/%s", id ? id : "x");
        json_t *now = call("GET", path, NULL, &status);
        const char *phase =
            json_string_value(json_object_get(json_object_get(now, "counters"), "phase"));
        refining |= phase && !strcmp(phase, "refining");
        json_decref(now);
        json_decref(a);
    }
    snprintf(path, sizeof path, "/v1/runs/%s/history", id ? id : "x");
    json_t *h = call("GET", path, NULL, &status);
    json_t *row = json_array_get(json_object_get(h, "steps"), 0);
    json_t *ev = json_object_get(row, "events");
    tap_ok(refining && json_integer_value(json_object_get(row, "refined")) == 3 &&
               !strcmp(json_string_value(json_array_get(ev, 0)), "refine"),
           "the phase says refining, the history's first row is a sweep of 3 steps");
    snprintf(path, sizeof path, "/v1/runs/%s/best", id ? id : "x");
    json_t *b = call("GET", path, NULL, &status);
    double best = json_number_value(json_object_get(b, "value"));
    tap_is_near(best, -3.0, 1e-9, "and one sweep reached the minimum, -3 (%.12f)", best);
    snprintf(path, sizeof path, "/v1/runs/%s", id ? id : "x");
    json_decref(call("DELETE", path, NULL, &status));
    json_decref(b);
    json_decref(h);
    json_decref(run);
}

/* /best's recommended over HTTP: the centre before anything is re-measured,
 * then with optimizer.reevaluate (live) a remeasured point and its
 * estimate. */
static void test_recommended(void) {
    long status = 0;
    json_t *run =
        call("POST", "/v1/runs",
             "{\"dim\": 2, \"direction\": \"minimize\", \"bounds\": "
             "{\"lo\": -2, \"hi\": 2}, \"optimizer\": {\"surrogate\": \"off\"}}",
             &status);
    const char *id = json_string_value(json_object_get(run, "id"));
    char path[160], ask[128], tell[128], body[4096];
    snprintf(ask, sizeof ask, "/v1/runs/%s/ask", id ? id : "x");
    snprintf(tell, sizeof tell, "/v1/runs/%s/tell", id ? id : "x");
    snprintf(path, sizeof path, "/v1/runs/%s", id ? id : "x");
    json_decref(call("PATCH", path, "{\"optimizer\": {\"reevaluate\": 2}}", &status));
    tap_is_int(status, 200, "PATCH optimizer.reevaluate");
    unsigned noise = 1;
    for (int round = 0; round < 40; round++) {
        json_t *a = call("POST", ask, "{\"n\": 8}", &status);
        json_t *samples = json_object_get(a, "samples"), *s;
        size_t i;
        int used = snprintf(body, sizeof body, "{\"results\": [");
        json_array_foreach(samples, i, s) {
            json_t *x = json_object_get(s, "x");
            double x0 = json_number_value(json_array_get(x, 0)) - 0.5,
                   x1 = json_number_value(json_array_get(x, 1));
            noise = noise * 1103515245u + 12345u;
            double v = x0 * x0 + x1 * x1 +
                       0.01 * ((double)(noise >> 16 & 0x7fff) / 32768.0 - 0.5);
            used += snprintf(body + used, sizeof body - (size_t)used,
                             "%s{\"id\": \"%s\", \"value\": %.17g}", i ? ", " : "",
                             json_string_value(json_object_get(s, "id")), v);
        }
        snprintf(body + used, sizeof body - (size_t)used, "]}");
        json_decref(call("POST", tell, body, &status));
        json_decref(a);
    }
    snprintf(path, sizeof path, "/v1/runs/%s/best", id ? id : "x");
    json_t *b = call("GET", path, NULL, &status);
    json_t *rec = json_object_get(b, "recommended");
    const char *kind = json_string_value(json_object_get(rec, "kind"));
    snprintf(path, sizeof path, "/v1/runs/%s/modes", id ? id : "x");
    json_t *md = call("GET", path, NULL, &status);
    json_t *m0 = json_array_get(json_object_get(md, "modes"), 0);
    tap_ok(status == 200 &&
               !strcmp(json_string_value(json_object_get(m0, "state")), "active") &&
               json_number_value(json_object_get(m0, "weight")) == 1.0 &&
               json_array_size(json_object_get(m0, "x")) == 2,
           "/modes: the active distribution first, weight 1");
    json_decref(md);
    expect_problem("GET", "/v1/runs/00000000deadbeef/modes", NULL, 404, "id",
                   "/modes of no run");
    snprintf(path, sizeof path, "/v1/runs/%s/best", id ? id : "x");
    tap_ok(status == 200 && kind && !strcmp(kind, "remeasured") &&
               json_number_value(json_object_get(rec, "stderr")) > 0.0 &&
               json_integer_value(json_object_get(rec, "evaluations")) >= 20 &&
               json_array_size(json_object_get(rec, "x")) == 2,
           "/best recommends a remeasured point with its estimate and stderr");
    snprintf(path, sizeof path, "/v1/runs/%s", id ? id : "x");
    json_decref(call("DELETE", path, NULL, &status));
    json_decref(b);
    json_decref(run);
}

/* Values told with an error bar: stderr and shots stored and returned by
 * /samples (JSON and CSV), absent ones null; bad ones refused naming the
 * field with nothing recorded. */
static void test_noise(void) {
    long status = 0;
    json_t *run = call("POST", "/v1/runs",
                       "{\"dim\": 2, \"direction\": \"minimize\", \"bounds\": "
                       "{\"lo\": -1, \"hi\": 1}}",
                       &status);
    const char *id = json_string_value(json_object_get(run, "id"));
    char path[160], body[512];
    snprintf(path, sizeof path, "/v1/runs/%s/ask", id ? id : "x");
    json_t *a = call("POST", path, "{\"n\": 3}", &status);
    json_t *s = json_object_get(a, "samples");
    const char *s0 = json_string_value(json_object_get(json_array_get(s, 0), "id"));
    const char *s1 = json_string_value(json_object_get(json_array_get(s, 1), "id"));
    const char *s2 = json_string_value(json_object_get(json_array_get(s, 2), "id"));
    snprintf(path, sizeof path, "/v1/runs/%s/tell", id ? id : "x");
    const char *bad[][2] = {
        /* what follows the id, and the field named */
        {"\"value\": 1, \"stderr\": -0.5", "stderr"},
        {"\"value\": 1, \"stderr\": \"small\"", "stderr"},
        {"\"value\": 1, \"shots\": 0", "shots"},
        {"\"value\": 1, \"shots\": 2.5", "shots"},
        {"\"status\": \"failed\", \"stderr\": 0.1", "stderr"},
        {"\"status\": \"failed\", \"error\": 42", "error"},
        {"\"status\": \"failed\", \"error\": {\"why\": \"x\"}", "error"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        char one[256];
        snprintf(one, sizeof one, "{\"id\": \"%s\", %s}", s2 ? s2 : "x", bad[k][0]);
        snprintf(body, sizeof body, "{\"results\": [%s]}", one);
        expect_problem("POST", path, body, 400, bad[k][1], one);
    }
    snprintf(body, sizeof body,
             "{\"results\": [{\"id\": \"%s\", \"value\": -1.5, \"stderr\": 0.0125, "
             "\"shots\": 4000}, {\"id\": \"%s\", \"value\": 2}]}",
             s0 ? s0 : "x", s1 ? s1 : "x");
    json_decref(call("POST", path, body, &status));
    tap_is_int(status, 200, "a tell with stderr and shots is accepted");
    snprintf(path, sizeof path, "/v1/runs/%s/samples", id ? id : "x");
    json_t *sp = call("GET", path, NULL, &status);
    json_t *rows = json_object_get(sp, "samples");
    json_t *r0 = json_array_get(rows, 0), *r1 = json_array_get(rows, 1),
           *r2 = json_array_get(rows, 2);
    tap_ok(status == 200 && json_number_value(json_object_get(r0, "stderr")) == 0.0125 &&
               json_integer_value(json_object_get(r0, "shots")) == 4000 &&
               json_is_null(json_object_get(r1, "stderr")) &&
               json_is_null(json_object_get(r1, "shots")),
           "/samples returns them, null where none was given");
    tap_ok(strcmp(json_string_value(json_object_get(r2, "status")), "pending") == 0,
           "the refused tells recorded nothing (the third sample is pending)");
    json_decref(sp);
    snprintf(path, sizeof path, "%s/v1/runs/%s/samples?format=csv", d.base_url,
             id ? id : "x");
    struct fo_test_resp csv;
    fo_test_http("GET", path, NULL, NULL, &csv);
    tap_ok(csv.status == 200 && strstr(csv.body, "told_at,stderr,shots,") &&
               strstr(csv.body, ",0.0125,4000,"),
           "and so does the CSV export");
    fo_test_resp_free(&csv);
    snprintf(path, sizeof path, "/v1/runs/%s", id ? id : "x");
    json_decref(call("DELETE", path, NULL, &status));
    json_decref(a);
    json_decref(run);
}

/* Importance mixing over HTTP (surrogate off): generations want fewer
 * than the batch, the history's reused and the run's counters say why, and
 * alpha is live. */
static void test_mixing(void) {
    long status = 0;
    int fewer;
    char path[160];
    json_t *run = drive_sphere(
        "{\"dim\": 3, \"direction\": \"minimize\", \"bounds\": {\"lo\": -2, \"hi\": 2}, "
        "\"optimizer\": {\"surrogate\": \"off\", \"mixing\": 0.3}}",
        &fewer, &status);
    const char *id = json_string_value(json_object_get(run, "id"));
    tap_ok(status == 200 && fewer, "mixing: tell replies want fewer than the batch of 7");
    snprintf(path, sizeof path, "/v1/runs/%s/history", id ? id : "x");
    json_t *h = call("GET", path, NULL, &status);
    json_t *rows = json_object_get(h, "steps"), *row;
    size_t i;
    json_int_t reused = 0, n_ok = 1;
    json_array_foreach(rows, i, row) {
        json_int_t r = json_integer_value(json_object_get(row, "reused"));
        reused += r;
        n_ok &= json_integer_value(json_object_get(row, "n")) >= r;
    }
    snprintf(path, sizeof path, "/v1/runs/%s", id ? id : "x");
    json_t *now = call("GET", path, NULL, &status);
    json_int_t counted =
        json_integer_value(json_object_get(json_object_get(now, "counters"), "reused"));
    tap_ok(
        status == 200 && reused > 0 && n_ok && counted >= reused,
        "the history shows %lld samples reused (counted among n), counters.reused %lld",
        (long long)reused, (long long)counted);
    json_t *p = call("PATCH", path, "{\"optimizer\": {\"mixing\": 0}}", &status);
    json_t *mix = json_object_get(
        json_object_get(json_object_get(p, "config"), "optimizer"), "mixing");
    tap_ok(status == 200 && json_number_value(mix) == 0.0, "PATCH optimizer.mixing");
    expect_problem("PATCH", path, "{\"optimizer\": {\"mixing\": 2}}", 422,
                   "optimizer.mixing", "mixing above 1");
    json_decref(call("DELETE", path, NULL, &status));
    json_decref(p);
    json_decref(now);
    json_decref(h);
    json_decref(run);
}

/* A run started at a given point with a given spread. */
static void test_start(void) {
    long status = 0;
    json_t *run = call("POST", "/v1/runs",
                       "{\"dim\": 2, \"direction\": \"minimize\", \"bounds\": "
                       "{\"lo\": -1, \"hi\": 1}, \"start\": {\"x\": [0.5, -0.25], "
                       "\"scale\": 0.01}}",
                       &status);
    const char *id = json_string_value(json_object_get(run, "id"));
    json_t *start = json_object_get(json_object_get(run, "config"), "start");
    json_t *x0 = json_object_get(start, "x");
    tap_ok(status == 201 && json_number_value(json_array_get(x0, 1)) == -0.25 &&
               json_number_value(json_object_get(start, "scale")) == 0.01,
           "a run with a start; its config shows start.x and start.scale");
    char path[128];
    snprintf(path, sizeof path, "/v1/runs/%s/ask", id ? id : "x");
    json_t *asked = call("POST", path, "{\"n\": 50}", &status);
    json_t *samples = json_object_get(asked, "samples"), *smp;
    size_t i;
    int near = 1;
    json_array_foreach(samples, i, smp) {
        json_t *x = json_object_get(smp, "x");
        near &= fabs(json_number_value(json_array_get(x, 0)) - 0.5) < 0.1 &&
                fabs(json_number_value(json_array_get(x, 1)) + 0.25) < 0.1;
    }
    tap_ok(status == 200 && json_array_size(samples) == 50 && near,
           "its first 50 samples lie around the start");
    snprintf(path, sizeof path, "/v1/runs/%s", id ? id : "x");
    json_decref(call("DELETE", path, NULL, &status));
    json_decref(asked);
    json_decref(run);
    expect_problem("POST", "/v1/runs",
                   "{\"dim\": 2, \"direction\": \"minimize\", \"bounds\": "
                   "{\"lo\": -1, \"hi\": 1}, \"start\": {\"x\": [0.5, 1]}}",
                   422, "start.x", "a start on the box's edge");
    expect_problem("POST", "/v1/runs",
                   "{\"dim\": 2, \"direction\": \"minimize\", \"start\": {\"x\": [0.5]}}",
                   400, "start.x", "a start of the wrong length");
    expect_problem("POST", "/v1/runs",
                   "{\"dim\": 2, \"direction\": \"minimize\", \"start\": {\"scale\": 0}}",
                   422, "start.scale", "a start scale of 0");
    expect_problem("POST", "/v1/runs",
                   "{\"dim\": 1, \"direction\": \"minimize\", \"bounds\": "
                   "{\"lo\": 0, \"hi\": 5e-324}}",
                   422, "bounds", "bounds [0, 5e-324]: no width a double resolves");
    expect_problem("POST", "/v1/runs",
                   "{\"dim\": 1, \"direction\": \"minimize\", \"bounds\": "
                   "{\"lo\": 1e6, \"hi\": 1000000.000000001}}",
                   422, "bounds", "bounds [1e6, 1e6 + 1e-9]: a few steps of a double");
    json_t *small = call("POST", "/v1/runs",
                         "{\"dim\": 1, \"direction\": \"minimize\", "
                         "\"bounds\": {\"lo\": 0, \"hi\": 1e-12}}",
                         &status);
    tap_is_int(status, 201, "while a small box in small units ([0, 1e-12]) is fine");
    snprintf(path, sizeof path, "/v1/runs/%s",
             json_string_value(json_object_get(small, "id")));
    json_decref(small);
    json_decref(call("DELETE", path, NULL, &status));
}

static void test_patch_settings(char *id, size_t cap) {
    long status;
    json_t *r = call("POST", "/v1/runs",
                     "{\"dim\": 3, \"bounds\": {\"lo\": -2, \"hi\": 2}, \"direction\":"
                     " \"minimize\", \"batch_size\": 4, \"budget\": 8}",
                     &status);
    snprintf(id, cap, "%s", json_string_value(json_object_get(r, "id")));
    json_decref(r);
    char path[128];
    snprintf(path, sizeof path, "/v1/runs/%s", id);
    ask_tell(id, 4);
    ask_tell(id, 4);
    tap_ok(stop_is(id, "budget"), "a run that used its budget says so");
    json_decref(call("PATCH", path, "{\"budget\": 100}", &status));
    tap_ok(status == 200 && stop_is(id, "none"),
           "PATCH budget: a larger budget lets it go on");
    json_decref(call("PATCH", path, "{\"target\": 1000}", &status));
    tap_ok(status == 200 && stop_is(id, "target"),
           "PATCH target: a target already reached stops it");
    json_t *p = call("PATCH", path, "{\"target\": null}", &status);
    tap_ok(status == 200 && stop_is(id, "none") &&
               json_is_null(json_object_get(json_object_get(p, "config"), "target")),
           "PATCH target null clears the target");
    json_decref(p);
    p = call("PATCH", path,
             "{\"lr\": 0.25, \"patience\": 7, \"pending_timeout_s\": 30,"
             " \"optimizer\": {\"kl_target\": 0.5, \"entropy_coef\": 0.01}}",
             &status);
    tap_ok(status == 200 && config_num(p, "patience") == 7 &&
               config_num(p, "pending_timeout_s") == 30 &&
               config_num(p, "kl_target") == 0.5 && config_num(p, "entropy_coef") == 0.01,
           "PATCH patience, pending_timeout_s, optimizer.kl_target, entropy_coef");
    json_decref(p);
    p = call("PATCH", path,
             "{\"optimizer\": {\"cma_active\": false, \"restart_mean\": \"start\"}}",
             &status);
    json_t *po = json_object_get(json_object_get(p, "config"), "optimizer");
    tap_ok(status == 200 && json_is_false(json_object_get(po, "cma_active")) &&
               strcmp(json_string_value(json_object_get(po, "restart_mean")), "start") ==
                   0,
           "PATCH optimizer.cma_active and optimizer.restart_mean");
    json_decref(p);
    expect_problem("PATCH", path, "{\"optimizer\": {\"restart_mean\": \"middle\"}}", 400,
                   "optimizer.restart_mean", "an unknown restart_mean");
    expect_problem("PATCH", path, "{\"optimizer\": {\"surrogate\": \"off\"}}", 400,
                   "optimizer.surrogate", "the surrogate, which is not live");
    expect_problem("PATCH", path, "{\"budget\": 5, \"optimizer\": {\"kl_target\": 0}}",
                   422, "optimizer.kl_target", "a bad setting");
    expect_problem("PATCH", path, "{\"optimizer\": {\"lr\": 1}}", 400, "optimizer.lr",
                   "an optimizer setting that is not live");
    expect_problem("PATCH", path, "{\"patience\": -1}", 422, "patience",
                   "a negative patience");
    p = get_run(id);
    tap_ok(config_num(p, "budget") == 100 && config_num(p, "kl_target") == 0.5,
           "a refused PATCH changes nothing, not even its valid fields");
    json_decref(p);
    tap_is_int(ask_tell(id, 4), 4, "the tuned run goes on");
}

int main(void) {
    if (fo_test_tmpdir(dir, sizeof dir) != 0)
        tap_bail("cannot make a temporary directory");
    snprintf(db, sizeof db, "%s/runs.db", dir);
    snprintf(log_path, sizeof log_path, "%s/daemon.log", dir);
    start();
    long status;
    json_t *run =
        call("POST", "/v1/runs",
             "{\"name\": \"sphere\", \"dim\": 3, \"bounds\": [[-2, 2], [-2, 2], [-2, 2]],"
             " \"direction\": \"minimize\", \"batch_size\": 6, \"seed\": 7}",
             &status);
    tap_is_int(status, 201, "POST /v1/runs creates a run");
    char id[64] = "";
    snprintf(id, sizeof id, "%s", json_string_value(json_object_get(run, "id")));
    json_t *cfg = json_object_get(run, "config");
    tap_ok(strlen(id) == 16 &&
               json_integer_value(json_object_get(cfg, "batch_size")) == 6 &&
               json_is_object(json_object_get(cfg, "flow")) &&
               json_is_object(json_object_get(cfg, "optimizer")),
           "the run object carries its id and the full configuration");
    json_t *o = json_object_get(cfg, "optimizer");
    tap_ok(json_integer_value(json_object_get(o, "restarts")) == 9 &&
               json_integer_value(json_object_get(o, "restart_stall")) == 100 &&
               json_real_value(json_object_get(o, "restart_stall_tol")) == 1e-5,
           "with the default restarts: 9, TolFun or a 100-generation stall");
    json_decref(run);
    json_t *r0 = call("POST", "/v1/runs",
                      "{\"dim\": 2, \"direction\": \"minimize\", \"optimizer\":"
                      " {\"restarts\": 0, \"restart_stall\": 0}}",
                      &status);
    o = json_object_get(json_object_get(r0, "config"), "optimizer");
    tap_ok(status == 201 && json_integer_value(json_object_get(o, "restarts")) == 0 &&
               json_integer_value(json_object_get(o, "restart_stall")) == 0,
           "optimizer.restarts and restart_stall can be set at create");
    char gone[128];
    snprintf(gone, sizeof gone, "/v1/runs/%s",
             json_string_value(json_object_get(r0, "id")));
    json_decref(r0);
    json_decref(call("DELETE", gone, NULL, &status)); /* the paging checks count runs */
    expect_problem("POST", "/v1/runs",
                   "{\"dim\": 2, \"direction\": \"minimize\", \"optimizer\":"
                   " {\"restart_stall\": -3}}",
                   422, "optimizer.restart_stall", "a negative stall window");

    tap_is_int(ask_tell(id, 6), 6, "ask 6, tell 6");
    tap_is_int(counter(id, "updates"), 1, "the completed generation updated the run");
    tap_is_int(ask_tell(id, 6), 6, "a second generation");

    char path[160];
    snprintf(path, sizeof path, "/v1/runs/%s/tell", id);
    json_t *t = call("POST", path, "{\"results\": [{\"id\": \"1\", \"value\": 12345.0}]}",
                     &status);
    tap_is_int(status, 409, "a different value for a told sample is 409");
    json_decref(t);
    snprintf(path, sizeof path, "/v1/runs/%s/best", id);
    json_t *b = call("GET", path, NULL, &status);
    tap_ok(status == 200 && json_array_size(json_object_get(b, "x")) == 3 &&
               json_is_number(json_object_get(b, "value")),
           "GET best returns x and value");
    json_decref(b);
    snprintf(path, sizeof path, "/v1/runs/%s/history?limit=10", id);
    json_t *h = call("GET", path, NULL, &status);
    json_t *steps = json_object_get(h, "steps");
    tap_ok(status == 200 && json_array_size(steps) == 2 &&
               json_integer_value(json_object_get(json_array_get(steps, 1), "step")) == 2,
           "history has one row per update");
    json_decref(h);
    snprintf(path, sizeof path, "/v1/runs/%s/history?max_points=2", id);
    h = call("GET", path, NULL, &status);
    tap_ok(status == 200 && json_array_size(json_object_get(h, "steps")) == 2 &&
               !json_object_get(h, "downsampled_from"),
           "history?max_points: no thinning when the rows fit");
    json_decref(h);
    snprintf(path, sizeof path, "/v1/runs/%s/history?max_points=1", id);
    expect_problem("GET", path, NULL, 400, "max_points", "max_points 1");

    /* bad input of every kind: a clear 4xx naming the problem, nothing changed */
    long long told = counter(id, "told");
    snprintf(path, sizeof path, "/v1/runs/%s/tell", id);
    expect_problem("POST", path, "{\"results\": [", 400, "body", "malformed JSON");
    expect_problem("POST", path, "{\"results\": [{\"id\": \"13\", \"value\": \"x\"}]}",
                   400, "value", "a string value");
    expect_problem("POST", path, "{\"results\": [{\"id\": 13, \"value\": 1}]}", 400, "id",
                   "a numeric id");
    expect_problem("POST", path, "{\"results\": [{\"id\": \"999\", \"value\": 1}]}", 404,
                   "id", "an unknown sample");
    expect_problem("POST", path, "{\"results\": []}", 400, "results", "no results");
    expect_problem("POST", path,
                   "{\"results\": [{\"id\": \"1\", \"value\": 1}], \"x\": 1}", 400, "x",
                   "an unknown field");
    tap_is_int(counter(id, "told"), told, "and none of them changed the run");
    snprintf(path, sizeof path, "/v1/runs/%s/ask", id);
    expect_problem("POST", path, "{\"n\": 0}", 422, "n", "n = 0");
    expect_problem("POST", path, "{\"n\": 10001}", 422, "n",
                   "n = 10001, one over the ask limit");
    expect_problem("POST", path, "{\"n\": 1.5}", 400, "n", "n = 1.5");
    expect_problem("POST", "/v1/runs/0000000000000000/ask", "{\"n\": 1}", 404, "id",
                   "an unknown run");
    expect_problem("POST", "/v1/runs", "{\"dim\": 0, \"direction\": \"minimize\"}", 422,
                   "dim", "dim 0");
    expect_problem("POST", "/v1/runs", "{\"dim\": 2}", 400, "direction", "no direction");
    expect_problem(
        "POST", "/v1/runs",
        "{\"dim\": 2, \"direction\": \"minimize\", \"bounds\": [[1, 0], [0, 1]]}", 422,
        "bounds", "lo > hi");
    expect_problem(
        "POST", "/v1/runs",
        "{\"dim\": 2, \"direction\": \"minimize\", \"flow\": {\"layers\": [\"x\"]}}", 400,
        "flow.layers", "an unknown layer");
    expect_problem("POST", "/v1/runs",
                   "{\"dim\": 2, \"direction\": \"minimize\", \"periodic\": true}", 422,
                   "periodic", "periodic coordinates without bounds");
    expect_problem("POST", "/v1/runs",
                   "{\"dim\": 2, \"direction\": \"minimize\", \"periodic\": [2],"
                   " \"bounds\": {\"lo\": 0, \"hi\": 1}}",
                   422, "periodic", "a coordinate index past dim");
    expect_problem("POST", "/v1/runs",
                   "{\"dim\": 2, \"direction\": \"minimize\", \"periodic\": [0, 0],"
                   " \"bounds\": {\"lo\": 0, \"hi\": 1}}",
                   400, "periodic", "a coordinate listed twice");
    expect_problem("POST", "/v1/runs",
                   "{\"dim\": 2, \"direction\": \"minimize\", \"periodic\": \"all\","
                   " \"bounds\": {\"lo\": 0, \"hi\": 1}}",
                   400, "periodic", "periodic as a string");
    test_periodic();
    test_start();
    test_surrogate();
    test_mixing();
    test_noise();
    test_structure();
    test_recommended();
    test_maximal_tell();
    char *big = malloc(70000);
    memset(big, ' ', 69999);
    big[0] = '{';
    big[69998] = '}';
    big[69999] = '\0';
    expect_problem("POST", "/v1/runs", big, 413, NULL, "an oversize body");
    free(big);

    /* samples, paged, and as CSV */
    snprintf(path, sizeof path, "/v1/runs/%s/samples?limit=5", id);
    json_t *sp = call("GET", path, NULL, &status);
    const char *next = json_string_value(json_object_get(sp, "next_cursor"));
    tap_ok(status == 200 && json_array_size(json_object_get(sp, "samples")) == 5 &&
               next && strcmp(next, "5") == 0,
           "samples page 1 of 5 with next_cursor");
    snprintf(path, sizeof path, "/v1/runs/%s/samples?limit=100&cursor=5&status=told", id);
    json_t *sp2 = call("GET", path, NULL, &status);
    tap_ok(status == 200 && json_array_size(json_object_get(sp2, "samples")) == 7 &&
               json_is_null(json_object_get(sp2, "next_cursor")),
           "the rest of the told samples, and no further page");
    json_decref(sp);
    json_decref(sp2);
    snprintf(path, sizeof path, "%s/v1/runs/%s/samples?format=csv", d.base_url, id);
    struct fo_test_resp csv;
    fo_test_http("GET", path, NULL, NULL, &csv);
    int lines = 0;
    for (const char *c = csv.body; *c; c++)
        lines += *c == '\n';
    tap_ok(csv.status == 200 && strcmp(csv.content_type, "text/csv") == 0 && lines == 13,
           "samples as CSV: a header and 12 rows (%d lines)", lines);
    fo_test_resp_free(&csv);

    snprintf(path, sizeof path, "%s/v1/runs/%s/history?format=csv", d.base_url, id);
    struct fo_test_resp hc;
    fo_test_http("GET", path, NULL, NULL, &hc);
    tap_ok(hc.status == 200 && strcmp(hc.content_type, "text/csv") == 0 &&
               strncmp(hc.body, "step,generation,", 16) == 0 && strstr(hc.body, "\n2,1,"),
           "history as CSV: a header and one row per update");
    fo_test_resp_free(&hc);

    /* the learned density */
    snprintf(path, sizeof path, "/v1/runs/%s/log_prob", id);
    json_t *lp =
        call("POST", path, "{\"x\": [[0, 0, 0], [1.9, -1.9, 0.5], [3, 0, 0]]}", &status);
    json_t *lps = json_object_get(lp, "log_prob");
    tap_ok(status == 200 && json_is_number(json_array_get(lps, 0)) &&
               json_is_null(json_array_get(lps, 2)),
           "log_prob: finite inside the box, null (-inf) outside");
    json_decref(lp);

    /* a forced step, a pause, a rename */
    snprintf(path, sizeof path, "/v1/runs/%s/ask", id);
    json_t *a1 = call("POST", path, "{\"n\": 2}", &status);
    json_decref(a1);
    snprintf(path, sizeof path, "/v1/runs/%s/step", id);
    json_t *stp = call("POST", path, NULL, &status);
    tap_ok(status == 200 && json_array_size(json_object_get(stp, "updates")) == 1,
           "POST step forces an update");
    json_decref(stp);
    snprintf(path, sizeof path, "/v1/runs/%s", id);
    json_t *pr =
        call("PATCH", path, "{\"state\": \"paused\", \"name\": \"renamed\"}", &status);
    tap_ok(status == 200 &&
               strcmp(json_string_value(json_object_get(pr, "state")), "paused") == 0 &&
               strcmp(json_string_value(json_object_get(pr, "name")), "renamed") == 0,
           "PATCH pauses and renames");
    json_decref(pr);
    snprintf(path, sizeof path, "/v1/runs/%s/ask", id);
    expect_problem("POST", path, "{\"n\": 1}", 409, "state",
                   "a paused run hands out nothing");
    char hpath[256];
    snprintf(hpath, sizeof hpath, "/v1/runs/%s/history", id);
    json_t *h0 = call("GET", hpath, NULL, &status);
    snprintf(path, sizeof path, "/v1/runs/%s/step", id);
    expect_problem("POST", path, NULL, 409, "state", "nor takes a forced step");
    json_t *h1 = call("GET", hpath, NULL, &status);
    tap_ok(h0 && h1 &&
               json_array_size(json_object_get(h0, "steps")) ==
                   json_array_size(json_object_get(h1, "steps")),
           "and its history is unchanged (%zu rows)",
           json_array_size(json_object_get(h1, "steps")));
    json_decref(h0);
    json_decref(h1);
    snprintf(path, sizeof path, "/v1/runs/%s", id);
    expect_problem("PATCH", path, "{\"state\": \"sleeping\"}", 400, "state",
                   "an unknown state");
    json_decref(call("PATCH", path, "{\"state\": \"active\"}", &status));
    tap_is_int(status, 200, "and resumes");

    /* list, with paging, and delete */
    json_t *r2 =
        call("POST", "/v1/runs", "{\"dim\": 1, \"direction\": \"maximize\"}", &status);
    char id2[64];
    snprintf(id2, sizeof id2, "%s", json_string_value(json_object_get(r2, "id")));
    json_decref(r2);
    json_t *l1 = call("GET", "/v1/runs?limit=1", NULL, &status);
    const char *cur = json_string_value(json_object_get(l1, "next_cursor"));
    char cursor[64] = "";
    if (cur)
        snprintf(cursor, sizeof cursor, "%s", cur);
    tap_ok(status == 200 && json_array_size(json_object_get(l1, "runs")) == 1 && cur,
           "GET /v1/runs?limit=1 gives one run and a cursor");
    expect_problem("GET", "/v1/runs?limt=1", NULL, 400, "limt",
                   "a misspelt query argument");
    expect_problem("GET", "/v1/runs?limit=1&limit=2", NULL, 400, "limit",
                   "a query argument given twice");
    json_decref(l1);
    snprintf(path, sizeof path, "/v1/runs?limit=10&cursor=%s", cursor);
    json_t *l2 = call("GET", path, NULL, &status);
    tap_ok(status == 200 && json_array_size(json_object_get(l2, "runs")) == 1 &&
               json_is_null(json_object_get(l2, "next_cursor")),
           "and the second page holds the other");
    json_decref(l2);
    snprintf(path, sizeof path, "/v1/runs/%s", id2);
    struct fo_test_resp del;
    char url[512];
    snprintf(url, sizeof url, "%s%s", d.base_url, path);
    fo_test_http("DELETE", url, NULL, NULL, &del);
    tap_is_int(del.status, 204, "DELETE removes a run");
    fo_test_resp_free(&del);
    expect_problem("GET", path, NULL, 404, "id", "a deleted run is gone");

    /* Idempotency-Key: a retried ask returns the same samples */
    {
        char kurl[512];
        const char *hdr[] = {"Idempotency-Key: retry-me", NULL};
        snprintf(kurl, sizeof kurl, "%s/v1/runs/%s/ask", d.base_url, id);
        long long asked_before = counter(id, "asked");
        struct fo_test_resp k1, k2, k3;
        fo_test_http("POST", kurl, "{\"n\": 2}", hdr, &k1);
        fo_test_http("POST", kurl, "{\"n\": 2}", hdr, &k2);
        tap_ok(k1.status == 200 && k2.status == 200 && strcmp(k1.body, k2.body) == 0,
               "the same Idempotency-Key returns the same samples");
        tap_is_int(counter(id, "asked"), asked_before + 2, "and draws them only once");
        fo_test_http("POST", kurl, "{\"n\": 3}", hdr, &k3);
        tap_ok(k3.status == 409 &&
                   strcmp(k3.content_type, "application/problem+json") == 0,
               "the same key with another n is a conflict");
        json_t *j = json_loads(k1.body, 0, NULL);
        json_t *sm = json_object_get(j, "samples");
        char tb[256];
        snprintf(tb, sizeof tb,
                 "{\"results\": [{\"id\": \"%s\", \"value\": 3.0}, {\"id\": \"%s\", "
                 "\"value\": 3.5}]}",
                 json_string_value(json_object_get(json_array_get(sm, 0), "id")),
                 json_string_value(json_object_get(json_array_get(sm, 1), "id")));
        snprintf(path, sizeof path, "/v1/runs/%s/tell", id);
        json_decref(call("POST", path, tb, &status));
        tap_is_int(status, 200, "and they can be told as usual");
        json_decref(j);
        fo_test_resp_free(&k1);
        fo_test_resp_free(&k2);
        fo_test_resp_free(&k3);
    }

    /* metrics */
    {
        char murl[512];
        struct fo_test_resp m;
        snprintf(murl, sizeof murl, "%s/metrics", d.base_url);
        fo_test_http("GET", murl, NULL, NULL, &m);
        tap_ok(m.status == 200 && strncmp(m.content_type, "text/plain", 10) == 0 &&
                   strstr(m.body, "flowopt_updates_total ") &&
                   strstr(m.body, "route=\"/v1/runs/{id}/tell\",status=\"200\"") &&
                   strstr(m.body,
                          "flowopt_http_request_duration_seconds_bucket{le=\"+Inf\"}") &&
                   strstr(m.body, "flowopt_runs{state=\"active\"} 1"),
               "GET /metrics: runs, updates, requests by route and status, latency "
               "histogram");
        fo_test_resp_free(&m);
    }

    /* checkpoints: create, restore, fork, export, import */
    snprintf(path, sizeof path, "/v1/runs/%s/checkpoints", id);
    json_t *cp = call("POST", path, NULL, &status);
    tap_ok(status == 201 &&
               strcmp(json_string_value(json_object_get(cp, "id")), "1") == 0,
           "POST checkpoints creates checkpoint 1");
    json_decref(cp);
    long long told_at_cp = counter(id, "told"), asked_at_cp = counter(id, "asked");
    tap_is_int(ask_tell(id, 6), 6, "a generation after the checkpoint");
    snprintf(path, sizeof path, "/v1/runs/%s/ask", id);
    json_t *orphan = call("POST", path, "{\"n\": 1}", &status);
    char orphan_id[32];
    snprintf(orphan_id, sizeof orphan_id, "%s",
             json_string_value(json_object_get(
                 json_array_get(json_object_get(orphan, "samples"), 0), "id")));
    json_decref(orphan);
    snprintf(path, sizeof path, "/v1/runs/%s/checkpoints/1/restore", id);
    json_decref(call("POST", path, NULL, &status));
    tap_is_int(status, 200, "restore checkpoint 1");
    tap_is_int(counter(id, "told"), told_at_cp,
               "the run's counters are the checkpoint's");
    {
        char tb[128];
        snprintf(tb, sizeof tb, "{\"results\": [{\"id\": \"%s\", \"value\": 1.0}]}",
                 orphan_id);
        snprintf(path, sizeof path, "/v1/runs/%s/tell", id);
        expect_problem(
            "POST", path, tb, 409, "results",
            "a sample pending across a restore is a conflict, not corrupt data");
    }
    snprintf(path, sizeof path, "/v1/runs/%s/ask", id);
    json_t *ar = call("POST", path, "{\"n\": 1}", &status);
    const char *nid = json_string_value(
        json_object_get(json_array_get(json_object_get(ar, "samples"), 0), "id"));
    tap_ok(status == 200 && nid && atoll(nid) > asked_at_cp + 6,
           "new sample ids continue after every id ever asked (%s)", nid ? nid : "none");
    json_decref(ar);
    snprintf(path, sizeof path, "/v1/runs/%s/checkpoints", id);
    json_t *cl = call("GET", path, NULL, &status);
    tap_ok(status == 200 && json_array_size(json_object_get(cl, "checkpoints")) == 1,
           "GET checkpoints lists it");
    json_decref(cl);
    snprintf(path, sizeof path, "/v1/runs/%s/fork", id);
    json_t *fk =
        call("POST", path, "{\"checkpoint\": \"1\", \"name\": \"branch\"}", &status);
    tap_ok(status == 201 && json_integer_value(json_object_get(
                                json_object_get(fk, "counters"), "told")) == told_at_cp,
           "fork from a checkpoint makes a new run in that state");
    json_decref(fk);
    snprintf(path, sizeof path, "%s/v1/runs/%s/checkpoints/1/export", d.base_url, id);
    struct fo_test_resp ex;
    fo_test_http("GET", path, NULL, NULL, &ex);
    tap_ok(ex.status == 200 && strcmp(ex.content_type, "application/octet-stream") == 0 &&
               ex.len > 1000,
           "export gives the checkpoint's bytes (%zu)", ex.len);
    snprintf(path, sizeof path, "%s/v1/runs/import?name=imported", d.base_url);
    struct fo_test_resp im;
    const char *hdr[] = {"Content-Type: application/octet-stream", NULL};
    char *blob = malloc(ex.len + 1);
    memcpy(blob, ex.body, ex.len);
    blob[ex.len] = '\0';
    /* the bytes contain NULs: send them with an explicit length */
    fo_test_http_bytes("POST", path, blob, ex.len, hdr, &im);
    tap_is_int(im.status, 201, "import makes a run from exported bytes");
    fo_test_resp_free(&im);
    blob[ex.len / 2] ^= 0x40;
    fo_test_http_bytes("POST", path, blob, ex.len, hdr, &im);
    tap_ok(im.status == 422 && strcmp(im.content_type, "application/problem+json") == 0,
           "corrupted bytes are refused (%ld)", im.status);
    fo_test_resp_free(&im);
    free(blob);
    fo_test_resp_free(&ex);

    char tuned[64];
    test_patch_settings(tuned, sizeof tuned);

    /* durability: a clean restart, then kill -9 right after acknowledged tells */
    told = counter(id, "told");
    kill(d.pid, SIGTERM);
    int st;
    fo_test_daemon_wait(&d, 5000, &st);
    start();
    tap_is_int(counter(id, "told"), told, "after a restart every told value is there");
    tap_is_int(ask_tell(id, 6), 6, "and the run goes on");
    tap_is_int(ask_tell(id, 3), 3, "half a generation more");
    long long before = counter(id, "told"), asked = counter(id, "asked");
    fo_test_daemon_kill(&d);
    start();
    tap_ok(before > 20 && asked > before,
           "%lld samples told and %lld asked before kill -9", before, asked);
    tap_is_int(counter(id, "told"), before,
               "after kill -9 every acknowledged value is there");
    tap_is_int(counter(id, "asked"), asked, "and every acknowledged sample");
    tap_is_int(ask_tell(id, 3), 3, "the interrupted generation completes");
    tap_is_int(counter(id, "updates"), 5, "with its update");
    json_t *tr = get_run(tuned);
    tap_ok(config_num(tr, "patience") == 7 && config_num(tr, "budget") == 100 &&
               config_num(tr, "kl_target") == 0.5,
           "PATCHed settings survive the restarts");
    json_decref(tr);
    test_failures();
    test_reference();
    test_extras();
    test_lost(); /* it kills the daemon too: after the counts above */
    kill(d.pid, SIGTERM);
    fo_test_daemon_wait(&d, 5000, &st);
    fo_test_daemon_kill(&d);
    if (tap_failures())
        tap_diag("daemon log kept in %s", log_path);
    else
        fo_test_rmdir(dir);
    return tap_done();
}
