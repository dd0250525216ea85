/*
 * test_observations.c - warm start from data the daemon did not ask for,
 * against the real daemon and a real SQLite file: observations join
 * best-ever and move the first distribution to the best of them, they are
 * samples of origin observed that never count as told, bad input is a 4xx
 * naming the field with nothing changed, and a kill -9 keeps them.
 */
#include "tap.h"
#include "testutil.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char dir[512], db[600], log_path[600], run[64];
static struct fo_test_daemon d;

static void start(void) {
    if (fo_test_daemon_start(&d, db, log_path, NULL) != 0)
        tap_bail("flowoptd did not start; see %s", log_path);
}

static json_t *call(const char *method, const char *path, const char *body,
                    long *status) {
    return fo_test_call(&d, method, path, body, NULL, status);
}

static json_t *get(const char *what) {
    char path[160];
    long status;
    snprintf(path, sizeof path, "/v1/runs/%s%s", run, what);
    return call("GET", path, NULL, &status);
}

static long long counter(const char *name) {
    json_t *j = get("");
    long long v =
        json_integer_value(json_object_get(json_object_get(j, "counters"), name));
    json_decref(j);
    return v;
}

static double best_value(void) {
    json_t *b = get("/best");
    double v = json_number_value(json_object_get(b, "value"));
    json_decref(b);
    return v;
}

static void expect(const char *body, long want, const char *field, const char *what) {
    char path[160];
    long status;
    snprintf(path, sizeof path, "/v1/runs/%s/observations", run);
    json_t *p = call("POST", path, body, &status);
    const char *f = json_string_value(json_object_get(p, "field"));
    tap_ok(status == want && f && strcmp(f, field) == 0,
           "%s: %ld naming %s (got %ld, %s)", what, want, field, status, f ? f : "none");
    json_decref(p);
}

/* A grid of 7 x 7 sphere values around (1.5, -1) in [-3, 3]^2. */
static char *grid_body(void) {
    json_t *list = json_array();
    for (int i = 0; i < 7; i++)
        for (int j = 0; j < 7; j++) {
            double x0 = -3.0 + i, x1 = -3.0 + j;
            double v = (x0 - 1.5) * (x0 - 1.5) + (x1 + 1.0) * (x1 + 1.0);
            json_array_append_new(list,
                                  json_pack("{s:[f, f], s:f}", "x", x0, x1, "value", v));
        }
    json_t *req = json_pack("{s:o}", "observations", list);
    char *body = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    return body;
}

int main(void) {
    if (fo_test_tmpdir(dir, sizeof dir) != 0)
        tap_bail("cannot make a temporary directory");
    snprintf(db, sizeof db, "%s/observations.db", dir);
    snprintf(log_path, sizeof log_path, "%s/daemon.log", dir);
    start();
    long status;
    json_t *r = call("POST", "/v1/runs",
                     "{\"dim\": 2, \"direction\": \"minimize\", \"seed\": 2,"
                     " \"bounds\": {\"lo\": -3, \"hi\": 3}, \"start\": {\"scale\": 0.2}}",
                     &status);
    snprintf(run, sizeof run, "%s", json_string_value(json_object_get(r, "id")));
    json_decref(r);

    expect("{\"observations\": [{\"x\": [0], \"value\": 1}]}", 400, "x",
           "x of one coordinate");
    expect("{\"observations\": [{\"x\": [0, 9], \"value\": 1}]}", 422, "x",
           "x outside the bounds");
    expect("{\"observations\": [{\"x\": [0, 0], \"value\": \"low\"}]}", 400, "value",
           "a string value");
    expect("{\"observations\": [{\"x\": [0, 0], \"value\": 1},"
           " {\"x\": [0, 0], \"value\": 1, \"cost\": 2}]}",
           400, "cost", "an unknown field in the second");
    expect("{\"observations\": []}", 400, "observations", "none");
    {
        struct fo_text_like {
            char *p;
        } big = {malloc(1001 * 32 + 64)};
        size_t k = (size_t)sprintf(big.p, "{\"observations\": [");
        for (int i = 0; i < 1001; i++)
            k += (size_t)sprintf(big.p + k, "%s{\"x\": [0, 0], \"value\": 1}",
                                 i ? "," : "");
        sprintf(big.p + k, "]}");
        expect(big.p, 422, "observations", "1,001 in one request");
        free(big.p);
    }
    tap_ok(counter("observed") == 0 && counter("asked") == 0,
           "and none of them changed the run");

    char *body = grid_body(), path[160];
    snprintf(path, sizeof path, "/v1/runs/%s/observations", run);
    json_t *o = call("POST", path, body, &status);
    free(body);
    tap_ok(status == 200 && json_integer_value(json_object_get(o, "accepted")) == 49 &&
               json_array_size(json_object_get(o, "ids")) == 49,
           "49 observations of a grid are accepted, each with a sample id");
    json_decref(o);
    tap_ok(counter("observed") == 49 && counter("told") == 0,
           "counted as observed, not as told (the budget counts evaluations)");
    tap_ok(fabs(best_value() - 0.25) < 1e-12, "best-ever is the best observation (0.25)");
    json_t *s = get("/samples?limit=1");
    json_t *row = json_array_get(json_object_get(s, "samples"), 0);
    tap_ok(strcmp(json_string_value(json_object_get(row, "origin")), "observed") == 0 &&
               strcmp(json_string_value(json_object_get(row, "status")), "told") == 0,
           "/samples lists them as told samples of origin observed");
    json_decref(s);
    /* the warm start: the first distribution sits at the best observation
     * (1, -1) with the start's scale 0.2 */
    snprintf(path, sizeof path, "/v1/runs/%s/ask", run);
    json_t *a = call("POST", path, "{\"n\": 40}", &status);
    json_t *xs = json_object_get(a, "samples");
    double m0 = 0.0, m1 = 0.0;
    for (size_t i = 0; i < json_array_size(xs); i++) {
        json_t *x = json_object_get(json_array_get(xs, i), "x");
        m0 += json_number_value(json_array_get(x, 0)) / 40.0;
        m1 += json_number_value(json_array_get(x, 1)) / 40.0;
    }
    json_decref(a);
    tap_ok(hypot(m0 - 1.0, m1 + 1.0) < 0.3,
           "the first ask is centred at the best observation (mean %.2f, %.2f)", m0, m1);
    tap_is_int(counter("asked"), 40, "the asks count as asked");

    fo_test_daemon_kill(&d); /* kill -9 */
    start();
    tap_ok(counter("observed") == 49 && fabs(best_value() - 0.25) < 1e-12,
           "after kill -9 the observations and the best they gave are there");
    fo_test_daemon_kill(&d);
    if (tap_failures())
        tap_diag("daemon log kept in %s", log_path);
    else
        fo_test_rmdir(dir);
    return tap_done();
}
