/*
 * test_fuzz.c - mutated request bodies against the real daemon: truncated,
 * with bytes flipped, values swapped for NaN, huge numbers, wrong types,
 * deep nesting, duplicate and unknown keys. Every answer must be a 2xx or
 * a 4xx application/problem+json whose status matches, never a 5xx or a
 * dropped connection; and a refused request must change nothing (the
 * run's GET and the list of runs are byte for byte the same after it).
 * The daemon runs under the sanitizers in `make test`.
 */
#include "tap.h"
#include "testutil.h"

#include <flowopt/rng.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MUTATIONS 300

static struct fo_test_daemon d;
static struct fo_rng rng;

struct tally {
    long sent, ok, refused, bad_status, bad_problem, changed;
};

static char *get_body(const char *path) {
    char url[512];
    struct fo_test_resp r;
    snprintf(url, sizeof url, "%s%s", d.base_url, path);
    char *body = NULL;
    if (fo_test_http("GET", url, NULL, NULL, &r) == 0 && r.status == 200)
        body = strdup(r.body);
    fo_test_resp_free(&r);
    return body;
}

/* A copy of s with [at, at + cut) replaced by ins. */
static char *splice(const char *s, size_t at, size_t cut, const char *ins) {
    size_t n = strlen(s), m = strlen(ins);
    char *out = malloc(n - cut + m + 1);
    memcpy(out, s, at);
    memcpy(out + at, ins, m);
    memcpy(out + at + m, s + at + cut, n - at - cut + 1);
    return out;
}

static size_t pick(size_t n) {
    return n ? (size_t)(fo_rng_uniform(&rng) * (double)n) % n : 0;
}

/* Start and length of a random number token in s (0, 0 if none). */
static void find_number(const char *s, size_t *at, size_t *len) {
    size_t n = strlen(s), start = pick(n);
    *at = *len = 0;
    for (size_t k = 0; k < n; k++) {
        size_t i = (start + k) % n;
        int begins = (s[i] == '-' || (s[i] >= '0' && s[i] <= '9')) &&
                     (i == 0 || strchr(":[, ", s[i - 1]));
        if (!begins)
            continue;
        size_t j = i + 1;
        while (s[j] && strchr("0123456789.eE+-", s[j]))
            j++;
        *at = i;
        *len = j - i;
        return;
    }
}

static char *deep_nesting(void) {
    enum { DEPTH = 3000 };
    char *s = malloc(2 * DEPTH + 1);
    memset(s, '[', DEPTH);
    memset(s + DEPTH, ']', DEPTH);
    s[2 * DEPTH] = '\0';
    return s;
}

/* One mutation of a valid body. */
static char *mutate(const char *valid) {
    static const char *const values[] = {"NaN",       "Infinity",
                                         "-Infinity", "1e400",
                                         "-1e400",    "\"5\"",
                                         "null",      "true",
                                         "[]",        "{}",
                                         "-0",        "1.5",
                                         "-7",        "9223372036854775808",
                                         "0",         "\"\"",
                                         "1e-400"};
    size_t n = strlen(valid), at, len;
    switch (pick(8)) {
    case 0: at = pick(n); return splice(valid, at, n - at, ""); /* truncated */
    case 1: {                                                   /* a byte changed */
        static const char bytes[] = {'\0', '"', '{', '}', '[', ',', ':', '\\', 'x'};
        char b[2] = {bytes[pick(sizeof bytes)], '\0'};
        if (b[0] == '\0')
            b[0] = (char)0xff; /* invalid UTF-8 */
        return splice(valid, pick(n), 1, b);
    }
    case 2:
    case 3:
        find_number(valid, &at, &len);
        return splice(valid, at, len, values[pick(sizeof values / sizeof values[0])]);
    case 4: { /* a value nested far too deep */
        find_number(valid, &at, &len);
        char *deep = deep_nesting(), *out = splice(valid, at, len, deep);
        free(deep);
        return out;
    }
    case 5: { /* the first key again */
        const char *q = strchr(valid, '"');
        const char *e = q ? strchr(q + 1, '"') : NULL;
        if (!q || !e || e[1] != ':')
            return strdup("{}");
        char dup[96];
        snprintf(dup, sizeof dup, "%.*s: 1, ", (int)(e - q + 1), q);
        return splice(valid, 1, 0, dup);
    }
    case 6: return splice(valid, 1, 0, "\"no_such_field\": 1, ");
    default: {
        static const char *const whole[] = {"",         "[]", "null", "42",
                                            "\"text\"", "{",  "{}{}"};
        return strdup(whole[pick(sizeof whole / sizeof whole[0])]);
    }
    }
}

/* Send one body; check the answer and, when refused, that nothing changed. */
static void send_checked(const char *method, const char *path, const char *body,
                         const char *watch, struct tally *t) {
    char *before = get_body(watch), *runs_before = get_body("/v1/runs?limit=1000");
    char url[512];
    struct fo_test_resp r;
    snprintf(url, sizeof url, "%s%s", d.base_url, path);
    t->sent++;
    if (fo_test_http(method, url, body, NULL, &r) != 0) {
        t->bad_status++;
        tap_diag("%s %s: no response to %.120s", method, path, body);
    } else if (r.status >= 200 && r.status < 300) {
        t->ok++;
    } else if (r.status >= 400 && r.status < 500) {
        t->refused++;
        json_t *p = json_loads(r.body, 0, NULL);
        if (strcmp(r.content_type, "application/problem+json") != 0 || !p ||
            json_integer_value(json_object_get(p, "status")) != r.status ||
            !json_is_string(json_object_get(p, "title"))) {
            t->bad_problem++;
            tap_diag("%s %s: %ld without a problem body, for %.120s", method, path,
                     r.status, body);
        }
        json_decref(p);
        char *after = get_body(watch), *runs_after = get_body("/v1/runs?limit=1000");
        if (!before || !after || strcmp(before, after) != 0 || !runs_before ||
            !runs_after || strcmp(runs_before, runs_after) != 0) {
            t->changed++;
            tap_diag("%s %s: refused (%ld) but changed state, for %.120s", method, path,
                     r.status, body);
        }
        free(after);
        free(runs_after);
    } else {
        t->bad_status++;
        tap_diag("%s %s: status %ld for %.120s", method, path, r.status, body);
    }
    fo_test_resp_free(&r);
    free(before);
    free(runs_before);
}

/* A fresh run from the create body; OUT: id. Bails out when refused. */
static void new_run(const char *create, char *id, size_t cap) {
    long status;
    json_t *j = fo_test_post(&d, "/v1/runs", create, &status);
    snprintf(id, cap, "%s", json_string_value(json_object_get(j, "id")));
    json_decref(j);
    if (status != 201)
        tap_bail("cannot create a run (%ld)", status);
}

/* Two fresh pending sample ids of run, as a valid tell body. */
static char *valid_tell(const char *run) {
    char path[128];
    long status;
    snprintf(path, sizeof path, "/v1/runs/%s/ask", run);
    json_t *j = fo_test_post(&d, path, "{\"n\": 2}", &status);
    json_t *s = json_object_get(j, "samples");
    char *body = malloc(512);
    snprintf(body, 512,
             "{\"results\": [{\"id\": \"%s\", \"value\": 1.5, \"cost\": 2, \"metadata\": "
             "{\"b\": \"q\"}, \"metrics\": {\"v\": 0.1}}, {\"id\": \"%s\", "
             "\"status\": \"failed\", \"error\": \"x\"}], \"client_id\": \"fz\"}",
             json_string_value(json_object_get(json_array_get(s, 0), "id")),
             json_string_value(json_object_get(json_array_get(s, 1), "id")));
    json_decref(j);
    return body;
}

static void fuzz_route(const char *name, const char *method, const char *path,
                       const char *run, const char *valid) {
    struct tally t = {0};
    char watch[128];
    snprintf(watch, sizeof watch, "/v1/runs/%s", run);
    for (int i = 0; i < MUTATIONS; i++) {
        char *tell = strcmp(name, "tell") == 0 ? valid_tell(run) : NULL;
        char *body = mutate(tell ? tell : valid);
        send_checked(method, path, body, watch, &t);
        free(body);
        free(tell);
    }
    tap_ok(t.bad_status == 0 && t.bad_problem == 0 && t.changed == 0 && t.refused > 0,
           "%s: %ld mutated bodies, %ld accepted, %ld refused with problem+json; "
           "no 5xx (%ld), no refusal that changed state (%ld)",
           name, t.sent, t.ok, t.refused, t.bad_status, t.changed);
}

/* Query strings of the GET routes: odd values answer 200 or a clean 4xx. */
static void fuzz_queries(const char *run) {
    static const char *const routes[] = {"/samples", "/history", NULL};
    static const char *const queries[] = {"limit=-1",
                                          "limit=abc",
                                          "limit=99999999999999999999",
                                          "limit=",
                                          "cursor=zzz",
                                          "cursor=%00",
                                          "status=nope",
                                          "status=told&status=failed",
                                          "generation=-5",
                                          "generation=1e3",
                                          "after=x",
                                          "after=-1",
                                          "format=xml",
                                          "format=csv&limit=0",
                                          "limit=1&limit=2",
                                          "%zz=1",
                                          "a=b=c",
                                          "limit=1%00",
                                          "after=18446744073709551616"};
    struct tally t = {0};
    char watch[128], path[600], route[128];
    snprintf(watch, sizeof watch, "/v1/runs/%s", run);
    for (size_t r = 0; r < sizeof routes / sizeof routes[0]; r++)
        for (size_t q = 0; q < sizeof queries / sizeof queries[0]; q++) {
            if (routes[r])
                snprintf(route, sizeof route, "/v1/runs/%s%s", run, routes[r]);
            else
                snprintf(route, sizeof route, "/v1/runs");
            snprintf(path, sizeof path, "%s?%s", route, queries[q]);
            send_checked("GET", path, NULL, watch, &t);
        }
    tap_ok(t.bad_status == 0 && t.bad_problem == 0 && t.changed == 0,
           "GET samples, history and runs with %ld odd query strings: %ld answered, "
           "%ld refused with problem+json, no 5xx",
           t.sent, t.ok, t.refused);
}

int main(void) {
    char dir[512], db[600], log[600];
    if (fo_test_tmpdir(dir, sizeof dir) != 0)
        tap_bail("cannot make a temporary directory");
    snprintf(db, sizeof db, "%s/fuzz.db", dir);
    snprintf(log, sizeof log, "%s/daemon.log", dir);
    const char *args[] = {"--log-level", "error", NULL};
    if (fo_test_daemon_start(&d, db, log, args) != 0)
        tap_bail("flowoptd did not start; see %s", log);
    fo_rng_seed(&rng, 20261124);

    static const char create[] =
        "{\"name\": \"f\", \"dim\": 2, \"bounds\": {\"lo\": -1, \"hi\": 1}, "
        "\"direction\": "
        "\"minimize\", \"batch_size\": 4, \"seed\": 3, \"budget\": 100, \"target\": 0.5, "
        "\"pending_timeout_s\": 0, \"patience\": 0, \"flow\": {\"layers\": "
        "[\"spline-ar\", "
        "\"gaussian-full\"], \"hidden\": [8, 8], \"bins\": 4, \"bound\": 5}, "
        "\"optimizer\": "
        "{\"lr\": 0.5, \"kl_target\": 0.2, \"reuse_generations\": 1}}";
    long status;
    char run[64], path[160];
    new_run(create, run, sizeof run);
    snprintf(path, sizeof path, "/v1/runs/%s/checkpoints", run);
    json_decref(fo_test_post(&d, path, NULL, &status));

    fuzz_route("POST /v1/runs", "POST", "/v1/runs", run, create);
    snprintf(path, sizeof path, "/v1/runs/%s/ask", run);
    fuzz_route("ask", "POST", path, run,
               "{\"n\": 2, \"client_id\": \"fz\", \"resume\": true}");
    snprintf(path, sizeof path, "/v1/runs/%s/observations", run);
    fuzz_route("observations", "POST", path, run,
               "{\"observations\": [{\"x\": [0.1, 0.2], \"value\": 1.5},"
               " {\"x\": [-0.3, 0.4], \"value\": 2.5}]}");
    snprintf(path, sizeof path, "/v1/runs/%s/tell", run);
    fuzz_route("tell", "POST", path, run, "");
    /* PATCH on a run with nothing pending: a mutated pending_timeout_s that is
     * accepted must not expire samples behind the test's back */
    char quiet[64];
    new_run(create, quiet, sizeof quiet);
    snprintf(path, sizeof path, "/v1/runs/%s", quiet);
    fuzz_route("PATCH", "PATCH", path, quiet,
               "{\"name\": \"n\", \"state\": \"active\", \"lr\": 0.3, \"budget\": 100, "
               "\"target\": null, \"patience\": 0, \"pending_timeout_s\": 0, "
               "\"optimizer\": {\"kl_target\": 0.2, \"entropy_coef\": 0}}");
    snprintf(path, sizeof path, "/v1/runs/%s/log_prob", run);
    fuzz_route("log_prob", "POST", path, run, "{\"x\": [[0.1, 0.2], [0.3, -0.4]]}");
    snprintf(path, sizeof path, "/v1/runs/%s/fork", run);
    fuzz_route("fork", "POST", path, run,
               "{\"checkpoint\": \"1\", \"name\": \"forked\"}");
    fuzz_queries(run);
    /* leases of a client that holds nothing: an accepted mutation with a
     * short lease must not expire samples behind the test's back (the ask
     * parses lease_s with the same code) */
    snprintf(path, sizeof path, "/v1/runs/%s/leases", run);
    fuzz_route("leases", "POST", path, run,
               "{\"client_id\": \"nobody\", \"lease_s\": 6000}");

    char url[256];
    struct fo_test_resp r;
    snprintf(url, sizeof url, "%s/v1/health", d.base_url);
    tap_ok(fo_test_http("GET", url, NULL, NULL, &r) == 0 && r.status == 200,
           "the daemon is healthy after it all");
    fo_test_resp_free(&r);
    fo_test_daemon_kill(&d);
    if (tap_failures())
        tap_diag("daemon log kept in %s", log);
    else
        fo_test_rmdir(dir);
    return tap_done();
}
