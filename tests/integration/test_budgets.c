/*
 * test_budgets.c - the daemon's budgets against the real thing: runs held
 * (--max-runs), a run's flow parameters (--max-params, at create and at
 * import, before anything is allocated) and coordinates in one answer
 * (--max-answer-values: an ask's n x dim, a page's limit x dim). Each
 * refusal is a 4xx naming what to change, and changes nothing.
 */
#include "tap.h"
#include "testutil.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SMALL "{\"dim\": 100, \"direction\": \"minimize\"}"
#define BIG                                                                              \
    "{\"dim\": 16, \"direction\": \"minimize\", \"optimizer\": {\"preset\": \"seed\"}, " \
    "\"flow\": {\"hidden\": [2048, 2048]}}"

/* past --max-params 100000, and small enough to export quickly */
#define MEDIUM                                                                           \
    "{\"dim\": 16, \"direction\": \"minimize\", \"optimizer\": {\"preset\": \"seed\"}, " \
    "\"flow\": {\"hidden\": [512, 512]}}"

static struct fo_test_daemon d;

static size_t run_count(void) {
    long status;
    json_t *j = fo_test_call(&d, "GET", "/v1/runs", NULL, NULL, &status);
    size_t n = json_array_size(json_object_get(j, "runs"));
    json_decref(j);
    return n;
}

/* A problem of status naming field whose detail says hint. */
static void expect(const char *method, const char *path, const char *body, long want,
                   const char *field, const char *hint, const char *what) {
    long status;
    json_t *p = fo_test_call(&d, method, path, body, NULL, &status);
    const char *f = json_string_value(json_object_get(p, "field"));
    const char *detail = json_string_value(json_object_get(p, "detail"));
    tap_ok(status == want && f && strcmp(f, field) == 0 && detail && strstr(detail, hint),
           "%s: %ld naming %s (%s)", what, want, field, detail ? detail : "-");
    json_decref(p);
}

static void test_runs_and_params(char *id, size_t cap) {
    long status;
    expect("POST", "/v1/runs", BIG, 422, "flow", "--max-params",
           "a flow of hidden [2048, 2048] beyond --max-params");
    expect("POST", "/v1/runs", MEDIUM, 422, "flow", "--max-params",
           "one of hidden [512, 512] too");
    tap_is_int((long)run_count(), 0, "and no run is made");
    for (int i = 0; i < 3; i++) {
        json_t *r = fo_test_post(&d, "/v1/runs", SMALL, &status);
        if (i == 0)
            snprintf(id, cap, "%s", json_string_value(json_object_get(r, "id")));
        json_decref(r);
    }
    tap_is_int((long)run_count(), 3, "three runs fit --max-runs 3");
    expect("POST", "/v1/runs", SMALL, 409, "max-runs", "--max-runs", "a fourth");
    tap_is_int((long)run_count(), 3, "which makes none");
}

static void test_answers(const char *id) {
    char path[128];
    long status;
    snprintf(path, sizeof path, "/v1/runs/%s/ask", id);
    expect("POST", path, "{\"n\": 51}", 422, "n", "--max-answer-values",
           "an ask of 51 x 100 coordinates past --max-answer-values 5000");
    json_t *a = fo_test_post(&d, path, "{\"n\": 50}", &status);
    tap_ok(status == 200 && json_array_size(json_object_get(a, "samples")) == 50,
           "50 x 100 is answered");
    json_decref(a);
    snprintf(path, sizeof path, "/v1/runs/%s/samples?limit=51", id);
    expect("GET", path, NULL, 422, "limit", "--max-answer-values",
           "a page of 51 samples of dim 100");
    snprintf(path, sizeof path, "/v1/runs/%s/samples?limit=50", id);
    json_t *s = fo_test_call(&d, "GET", path, NULL, NULL, &status);
    tap_ok(status == 200 && json_array_size(json_object_get(s, "samples")) == 50,
           "a page of 50 is answered");
    json_decref(s);
}

/* An export of a run too large for this daemon, made by a roomier one. */
static void test_import(const char *dir, const char *small_id) {
    char db[600], log[600], url[256];
    snprintf(db, sizeof db, "%s/roomy.db", dir);
    snprintf(log, sizeof log, "%s/roomy.log", dir);
    struct fo_test_daemon roomy;
    if (fo_test_daemon_start(&roomy, db, log, NULL) != 0)
        tap_bail("the second flowoptd did not start; see %s", log);
    long status;
    json_decref(fo_test_post(&roomy, "/v1/runs", BIG, &status));
    tap_is_int(status, 422,
               "by default too, hidden [2048, 2048] (2.6 million parameters) is refused");
    json_t *r = fo_test_post(&roomy, "/v1/runs", MEDIUM, &status);
    char path[160];
    snprintf(path, sizeof path, "/v1/runs/%s/checkpoints",
             json_string_value(json_object_get(r, "id")));
    json_t *c = fo_test_post(&roomy, path, NULL, &status);
    snprintf(url, sizeof url, "%s/v1/runs/%s/checkpoints/%s/export", roomy.base_url,
             json_string_value(json_object_get(r, "id")),
             json_string_value(json_object_get(c, "id")));
    struct fo_test_resp exp;
    fo_test_http("GET", url, NULL, NULL, &exp);
    tap_ok(exp.status == 200 && exp.len > 1000,
           "a roomier daemon exports it (%ld, %zu bytes)", exp.status, exp.len);
    json_decref(r);
    json_decref(c);
    fo_test_daemon_kill(&roomy);
    /* room for one more run here, so only the parameters stand in the way */
    snprintf(path, sizeof path, "%s/v1/runs/%s", d.base_url, small_id);
    struct fo_test_resp del;
    fo_test_http("DELETE", path, NULL, NULL, &del);
    fo_test_resp_free(&del);
    snprintf(url, sizeof url, "%s/v1/runs/import", d.base_url);
    const char *octets[] = {"Content-Type: application/octet-stream", NULL};
    struct fo_test_resp imp;
    fo_test_http_bytes("POST", url, exp.body, exp.len, octets, &imp);
    json_t *p = json_loads(imp.body ? imp.body : "", 0, NULL);
    const char *f = json_string_value(json_object_get(p, "field"));
    tap_ok(imp.status == 422 && f && strcmp(f, "flow") == 0,
           "importing it here is 422 naming flow (%ld: %.200s)", imp.status,
           imp.body ? imp.body : "");
    json_decref(p);
    tap_is_int((long)run_count(), 2, "and adds no run");
    fo_test_resp_free(&imp);
    fo_test_resp_free(&exp);
}

int main(void) {
    char dir[512], db[600], log[600], id[64];
    if (fo_test_tmpdir(dir, sizeof dir) != 0)
        tap_bail("no temporary directory");
    snprintf(db, sizeof db, "%s/budgets.db", dir);
    snprintf(log, sizeof log, "%s/budgets.log", dir);
    const char *args[] = {
        "--max-runs", "3", "--max-params", "100000", "--max-answer-values", "5000", NULL};
    if (fo_test_daemon_start(&d, db, log, args) != 0)
        tap_bail("flowoptd did not start; see %s", log);
    test_runs_and_params(id, sizeof id);
    test_answers(id);
    test_import(dir, id);
    fo_test_daemon_kill(&d);
    fo_test_rmdir(dir);
    return tap_done();
}
