/*
 * test_damaged.c - what the daemon stored, damaged while it was down: a
 * snapshot that does not decode, a hole in a run's op log, a damaged page.
 * A damaged run must not keep the others from starting: it is listed as
 * damaged with its cause, its reads still work, its writes are 409 naming
 * the cause, and it can be deleted. A damaged page is found at start
 * (PRAGMA quick_check) unless --quick-check no.
 */
#include "tap.h"
#include "testutil.h"

#include <jansson.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define CREATE                                                                           \
    "{\"dim\": 2, \"direction\": \"minimize\", \"bounds\": {\"lo\": -1, \"hi\": 1}, "    \
    "\"batch_size\": 4}"

static char dir[512], db[600], log_path[600];

/* Create a run and give it two told generations; OUT: id. */
static void make_run(const struct fo_test_daemon *d, char *id, size_t cap) {
    long status;
    json_t *r = fo_test_post(d, "/v1/runs", CREATE, &status);
    snprintf(id, cap, "%s", json_string_value(json_object_get(r, "id")));
    json_decref(r);
    char path[128], body[512];
    for (int g = 0; g < 2; g++) {
        snprintf(path, sizeof path, "/v1/runs/%s/ask", id);
        json_t *a = fo_test_post(d, path, "{\"n\": 4}", &status);
        json_t *s = json_object_get(a, "samples");
        size_t k = 0;
        k += (size_t)snprintf(body + k, sizeof body - k, "{\"results\": [");
        for (size_t i = 0; i < json_array_size(s); i++)
            k += (size_t)snprintf(
                body + k, sizeof body - k, "%s{\"id\": \"%s\", \"value\": %zu}",
                i ? ", " : "",
                json_string_value(json_object_get(json_array_get(s, i), "id")), i + g);
        snprintf(body + k, sizeof body - k, "]}");
        json_decref(a);
        snprintf(path, sizeof path, "/v1/runs/%s/tell", id);
        json_decref(fo_test_post(d, path, body, &status));
    }
}

static void stop(struct fo_test_daemon *d) {
    int status;
    kill(d->pid, SIGTERM);
    if (fo_test_daemon_wait(d, 10000, &status) != 0)
        fo_test_daemon_kill(d);
}

static int sql(const char *statement) {
    sqlite3 *h = NULL;
    int rc = sqlite3_open(db, &h) == SQLITE_OK &&
             sqlite3_exec(h, statement, NULL, NULL, NULL) == SQLITE_OK;
    sqlite3_close(h);
    return rc ? 0 : -1;
}

static json_t *run_in_list(json_t *list, const char *id) {
    json_t *runs = json_object_get(list, "runs");
    for (size_t i = 0; i < json_array_size(runs); i++)
        if (strcmp(json_string_value(json_object_get(json_array_get(runs, i), "id")),
                   id) == 0)
            return json_array_get(runs, i);
    return NULL;
}

static void expect_409(const struct fo_test_daemon *d, const char *method,
                       const char *path, const char *body, const char *cause,
                       const char *what) {
    long status;
    json_t *p = fo_test_call(d, method, path, body, NULL, &status);
    const char *field = json_string_value(json_object_get(p, "field"));
    const char *detail = json_string_value(json_object_get(p, "detail"));
    tap_ok(status == 409 && field && strcmp(field, "state") == 0 && detail &&
               strstr(detail, "damaged") && strstr(detail, cause),
           "%s: 409 naming state and the cause (%s)", what, detail ? detail : "-");
    json_decref(p);
}

static void test_damaged_runs(void) {
    struct fo_test_daemon d;
    if (fo_test_daemon_start(&d, db, log_path, NULL) != 0)
        tap_bail("flowoptd did not start; see %s", log_path);
    char a[64], b[64], c[64];
    make_run(&d, a, sizeof a);
    make_run(&d, b, sizeof b);
    make_run(&d, c, sizeof c);
    stop(&d);
    char statement[512];
    snprintf(statement, sizeof statement,
             "UPDATE run_snapshots SET data = x'464f0000deadbeef' WHERE run_id = '%s';"
             "DELETE FROM ops WHERE run_id = '%s' AND seq = (SELECT MIN(seq) + 1 FROM ops"
             " WHERE run_id = '%s');",
             a, b, b);
    tap_is_int(sql(statement), 0,
               "while it is down, run A's snapshot and B's log are damaged");
    tap_ok(fo_test_daemon_start(&d, db, log_path, NULL) == 0,
           "the daemon starts anyway (it did not: one bad snapshot kept every run down)");
    long status;
    json_t *list = fo_test_call(&d, "GET", "/v1/runs", NULL, NULL, &status);
    json_t *ra = run_in_list(list, a), *rb = run_in_list(list, b),
           *rc = run_in_list(list, c);
    const char *da = json_string_value(json_object_get(ra, "damage"));
    const char *db_ = json_string_value(json_object_get(rb, "damage"));
    tap_ok(ra &&
               strcmp(json_string_value(json_object_get(ra, "state")), "damaged") == 0 &&
               da && strstr(da, "snapshot"),
           "the list shows A damaged, naming its snapshot (%s)", da ? da : "-");
    tap_ok(rb &&
               strcmp(json_string_value(json_object_get(rb, "state")), "damaged") == 0 &&
               db_ && strstr(db_, "hole"),
           "and B damaged, naming the hole in its log (%s)", db_ ? db_ : "-");
    tap_ok(rb && json_is_object(json_object_get(rb, "config")) &&
               json_integer_value(
                   json_object_get(json_object_get(rb, "counters"), "asked")) == 4,
           "B is shown as it was before the hole (its settings, 4 asked)");
    tap_ok(rc && strcmp(json_string_value(json_object_get(rc, "state")), "active") == 0 &&
               !json_object_get(rc, "damage"),
           "C is whole and active");
    json_decref(list);
    tap_ok(fo_test_file_contains(log_path, "error") &&
               fo_test_file_contains(log_path, "damaged"),
           "the damage is logged at error");
    char path[128];
    snprintf(path, sizeof path, "/v1/runs/%s/ask", a);
    expect_409(&d, "POST", path, "{\"n\": 1}", "snapshot", "an ask of A");
    snprintf(path, sizeof path, "/v1/runs/%s/tell", b);
    expect_409(&d, "POST", path, "{\"results\": [{\"id\": \"1\", \"value\": 1}]}", "hole",
               "a tell of B");
    snprintf(path, sizeof path, "/v1/runs/%s", a);
    expect_409(&d, "PATCH", path, "{\"state\": \"paused\"}", "snapshot", "a PATCH of A");
    snprintf(path, sizeof path, "/v1/runs/%s/history", b);
    json_t *h = fo_test_call(&d, "GET", path, NULL, NULL, &status);
    tap_ok(status == 200 && json_array_size(json_object_get(h, "steps")) > 0,
           "B's history still reads (%zu rows)",
           json_array_size(json_object_get(h, "steps")));
    json_decref(h);
    snprintf(path, sizeof path, "/v1/runs/%s/samples", a);
    h = fo_test_call(&d, "GET", path, NULL, NULL, &status);
    tap_ok(status == 200 && json_array_size(json_object_get(h, "samples")) == 8,
           "A's samples still read (%zu)",
           json_array_size(json_object_get(h, "samples")));
    json_decref(h);
    snprintf(path, sizeof path, "/v1/runs/%s", a);
    h = fo_test_call(&d, "GET", path, NULL, NULL, &status);
    tap_ok(status == 200 && json_is_null(json_object_get(h, "config")),
           "GET A: 200, no settings (its snapshot held them)");
    json_decref(h);
    snprintf(path, sizeof path, "/v1/runs/%s/ask", c);
    json_decref(fo_test_post(&d, path, "{\"n\": 2}", &status));
    tap_is_int(status, 200, "C asks on");
    snprintf(path, sizeof path, "/v1/runs/%s", a);
    json_decref(fo_test_call(&d, "DELETE", path, NULL, NULL, &status));
    tap_is_int(status, 204, "a damaged run can be deleted");
    json_decref(fo_test_call(&d, "GET", path, NULL, NULL, &status));
    tap_is_int(status, 404, "and is gone");
    stop(&d);
}

/* Overwrite the file's last page with noise: a table of its own, which
 * nothing reads at start, so only the check can find it. */
static int damage_page(void) {
    if (sql("CREATE TABLE filler (b BLOB);"
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 64)"
            " INSERT INTO filler SELECT randomblob(3000) FROM n;"
            "PRAGMA wal_checkpoint(TRUNCATE);") != 0)
        return -1;
    FILE *f = fopen(db, "r+b");
    if (!f)
        return -1;
    unsigned char noise[4096];
    for (size_t i = 0; i < sizeof noise; i++)
        noise[i] = (unsigned char)(i * 37 + 11);
    int ok = fseek(f, -4096, SEEK_END) == 0 && fwrite(noise, 1, sizeof noise, f) == 4096;
    return fclose(f) == 0 && ok ? 0 : -1;
}

static void test_damaged_page(void) {
    tap_is_int(damage_page(), 0, "while it is down, a page of the file is overwritten");
    struct fo_test_daemon d;
    int started = fo_test_daemon_start(&d, db, log_path, NULL) == 0;
    tap_ok(!started, "the daemon refuses to start on it");
    if (started)
        stop(&d);
    tap_ok(fo_test_file_contains(log_path, "fails its check"),
           "saying the file fails its check and what to do");
    const char *no_check[] = {"--quick-check", "no", NULL};
    started = fo_test_daemon_start(&d, db, log_path, no_check) == 0;
    tap_ok(started, "--quick-check no starts it, to serve what still reads");
    if (started) {
        long status;
        json_decref(fo_test_call(&d, "GET", "/v1/runs", NULL, NULL, &status));
        tap_is_int(status, 200, "and the runs are served");
    }
    if (started)
        stop(&d);
}

int main(void) {
    if (fo_test_tmpdir(dir, sizeof dir) != 0)
        tap_bail("no temporary directory");
    snprintf(db, sizeof db, "%s/damaged.db", dir);
    snprintf(log_path, sizeof log_path, "%s/damaged.log", dir);
    test_damaged_runs();
    test_damaged_page();
    fo_test_rmdir(dir);
    return tap_done();
}
