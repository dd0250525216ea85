/*
 * test_leases.c - leases and driver identity against the real daemon, a
 * real SQLite file and a real clock: a sample whose lease runs out expires
 * (failed, or lost and handed out again, as pending_expiry says); a driver
 * that renews keeps what it holds; a driver that restarts gets back what
 * it holds (resume, /samples?client_id=); bad input is a 4xx naming the
 * field with nothing changed; leases survive kill -9.
 */
#include "tap.h"
#include "testutil.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char dir[512], db[600], log_path[600], run[64];
static struct fo_test_daemon d;

static void start(void) {
    if (fo_test_daemon_start(&d, db, log_path, NULL) != 0) /* the janitor: every 1 s */
        tap_bail("flowoptd did not start; see %s", log_path);
}

static json_t *call(const char *method, const char *path, const char *body,
                    const char *const *headers, long *status) {
    return fo_test_call(&d, method, path, body, headers, status);
}

static json_t *ask(const char *body, long *status) {
    char path[128];
    snprintf(path, sizeof path, "/v1/runs/%s/ask", run);
    return call("POST", path, body, NULL, status);
}

static long long counter(const char *name) {
    char path[128];
    long status;
    snprintf(path, sizeof path, "/v1/runs/%s", run);
    json_t *j = call("GET", path, NULL, NULL, &status);
    long long v =
        json_integer_value(json_object_get(json_object_get(j, "counters"), name));
    json_decref(j);
    return status == 200 ? v : -1;
}

static void sleep_ms(double ms) {
    struct timespec ts = {(time_t)(ms / 1000), (long)((long long)ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Poll until counter name reaches want, at most ms (scaled). */
static int wait_counter(const char *name, long long want, double ms) {
    double until = fo_test_now_ms() + ms * fo_test_timeout_scale();
    while (fo_test_now_ms() < until) {
        if (counter(name) >= want)
            return 1;
        sleep_ms(50);
    }
    return counter(name) >= want;
}

static void expect(const char *path, const char *body, const char *const *headers,
                   long want, const char *field, const char *what) {
    long status;
    json_t *p = call("POST", path, body, headers, &status);
    const char *f = json_string_value(json_object_get(p, "field"));
    tap_ok(status == want && f && strcmp(f, field) == 0,
           "%s: %ld naming %s (got %ld, %s)", what, want, field, status, f ? f : "none");
    json_decref(p);
}

static void patch(const char *body) {
    char path[128];
    long status;
    snprintf(path, sizeof path, "/v1/runs/%s", run);
    json_decref(call("PATCH", path, body, NULL, &status));
    if (status != 200)
        tap_diag("PATCH %s: %ld", body, status);
}

static void test_expiry(void) {
    long status;
    json_decref(
        ask("{\"n\": 2, \"client_id\": \"lab-a/scope\", \"lease_s\": 0.5}", &status));
    tap_is_int(status, 200, "an ask names its driver and a lease of 0.5 s");
    tap_is_int(counter("pending"), 2, "its samples are pending");
    tap_ok(wait_counter("failed", 2, 5000),
           "the lease runs out under a real clock: they expire as failed (the default)");
    patch("{\"pending_expiry\": \"lost\"}");
    json_t *a =
        ask("{\"n\": 2, \"client_id\": \"lab-a/scope\", \"lease_s\": 0.5}", &status);
    json_t *first = json_deep_copy(json_object_get(a, "samples"));
    json_decref(a);
    tap_ok(wait_counter("lost", 2, 5000), "with pending_expiry lost they become lost");
    a = ask("{\"n\": 2}", &status);
    json_t *again = json_object_get(a, "samples");
    int linked = json_array_size(again) == 2;
    for (size_t i = 0; linked && i < 2; i++) {
        const char *of =
            json_string_value(json_object_get(json_array_get(again, i), "reissue_of"));
        const char *was =
            json_string_value(json_object_get(json_array_get(first, i), "id"));
        linked = of && was && strcmp(of, was) == 0 &&
                 json_equal(json_object_get(json_array_get(again, i), "x"),
                            json_object_get(json_array_get(first, i), "x"));
    }
    tap_ok(linked, "and the next ask hands their points out again, linked to them");
    json_decref(a);
    json_decref(first);
}

static void test_renew(void) {
    long status;
    char path[128];
    long long lost0 = counter("lost");
    json_decref(ask("{\"n\": 3, \"client_id\": \"lab-b\", \"lease_s\": 1}", &status));
    snprintf(path, sizeof path, "/v1/runs/%s/leases", run);
    long long renewed = 0;
    for (int k = 0; k < 5; k++) { /* 2.5 s: past the first lease */
        sleep_ms(500);
        json_t *r = call("POST", path, "{\"client_id\": \"lab-b\"}", NULL, &status);
        renewed = json_integer_value(json_object_get(r, "renewed"));
        json_decref(r);
    }
    tap_ok(renewed == 3 && counter("lost") == lost0,
           "a driver that renews keeps its 3 samples past their first lease");
    tap_ok(wait_counter("lost", lost0 + 3, 5000), "when it stops, they run out");
    json_t *a = ask("{\"n\": 3, \"client_id\": \"lab-b\"}", &status);
    json_decref(a);
}

static void test_resume(void) {
    long status;
    json_t *a = ask("{\"n\": 3, \"client_id\": \"lab-c\", \"lease_s\": 600}", &status);
    json_t *held = json_deep_copy(json_object_get(a, "samples"));
    json_decref(a);
    a = ask("{\"n\": 5, \"client_id\": \"lab-c\", \"resume\": true, \"lease_s\": 600}",
            &status);
    json_t *back = json_object_get(a, "samples");
    int same = status == 200 && json_array_size(back) == 5 &&
               json_integer_value(json_object_get(a, "resumed")) == 3;
    for (size_t i = 0; same && i < 3; i++)
        same = json_equal(json_array_get(back, i), json_array_get(held, i));
    tap_ok(same, "a restarted driver resumes: its 3 pending samples first, then 2 new");
    json_decref(a);
    json_decref(held);
    char path[160];
    snprintf(path, sizeof path, "/v1/runs/%s/samples?status=pending&client_id=lab-c",
             run);
    json_t *l = call("GET", path, NULL, NULL, &status);
    json_t *rows = json_object_get(l, "samples");
    int leased = status == 200 && json_array_size(rows) == 5;
    for (size_t i = 0; leased && i < 5; i++) {
        json_t *r = json_array_get(rows, i);
        leased =
            strcmp(json_string_value(json_object_get(r, "client_id")), "lab-c") == 0 &&
            json_is_string(json_object_get(r, "lease_expires_at"));
    }
    tap_ok(leased, "GET /samples?status=pending&client_id= lists them with their leases");
    json_decref(l);
}

static void test_bad_input(void) {
    char path[128];
    snprintf(path, sizeof path, "/v1/runs/%s/ask", run);
    long long asked = counter("asked");
    expect(path, "{\"n\": 1, \"client_id\": \"\"}", NULL, 400, "client_id",
           "an empty client_id");
    expect(path, "{\"n\": 1, \"client_id\": \"a\\u0001b\"}", NULL, 400, "client_id",
           "a client_id with a control character");
    expect(path, "{\"n\": 1, \"lease_s\": -1}", NULL, 422, "lease_s", "a negative lease");
    expect(path, "{\"n\": 1, \"lease_s\": \"1\"}", NULL, 400, "lease_s",
           "a string lease");
    expect(path, "{\"n\": 1, \"resume\": true}", NULL, 400, "client_id",
           "resume without client_id");
    expect(path, "{\"n\": 1, \"resume\": 1}", NULL, 400, "resume",
           "resume not a boolean");
    static const char *const key[] = {"Idempotency-Key: k1", NULL};
    expect(path, "{\"n\": 1, \"client_id\": \"c\", \"resume\": true}", key, 400, "resume",
           "resume with an Idempotency-Key");
    snprintf(path, sizeof path, "/v1/runs/%s/leases", run);
    expect(path, "{}", NULL, 400, "client_id", "a renewal without client_id");
    expect(path, "{\"client_id\": \"c\", \"lease_s\": 0}", NULL, 422, "lease_s",
           "a renewal of 0 s");
    tap_is_int(counter("asked"), asked, "and none of them changed the run");
}

static void test_kill(void) {
    long status;
    long long lost0 = counter("lost");
    json_decref(ask("{\"n\": 1, \"client_id\": \"lab-d\", \"lease_s\": 1}", &status));
    fo_test_daemon_kill(&d); /* kill -9 with a lease running */
    start();
    char path[160];
    snprintf(path, sizeof path, "/v1/runs/%s/samples?status=pending&client_id=lab-c",
             run);
    json_t *l = call("GET", path, NULL, NULL, &status);
    tap_is_int((long long)json_array_size(json_object_get(l, "samples")), 5,
               "after kill -9 the leased samples are still held");
    json_decref(l);
    tap_ok(wait_counter("lost", lost0 + 1, 5000),
           "and a lease that ran out across the restart expires after it");
}

int main(void) {
    if (fo_test_tmpdir(dir, sizeof dir) != 0)
        tap_bail("cannot make a temporary directory");
    snprintf(db, sizeof db, "%s/leases.db", dir);
    snprintf(log_path, sizeof log_path, "%s/daemon.log", dir);
    start();
    long status;
    json_t *r = call("POST", "/v1/runs",
                     "{\"dim\": 2, \"direction\": \"minimize\", \"batch_size\": 6,"
                     " \"bounds\": {\"lo\": -1, \"hi\": 1},"
                     " \"optimizer\": {\"surrogate\": \"off\"}}",
                     NULL, &status);
    snprintf(run, sizeof run, "%s", json_string_value(json_object_get(r, "id")));
    json_decref(r);
    test_expiry();
    test_renew();
    test_resume();
    test_bad_input();
    test_kill();
    fo_test_daemon_kill(&d);
    if (tap_failures())
        tap_diag("daemon log kept in %s", log_path);
    else
        fo_test_rmdir(dir);
    return tap_done();
}
