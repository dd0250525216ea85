/*
 * test_auth.c - API tokens against the real daemon: every route but
 * /v1/health refuses a request without one of the tokens (401 problem+json
 * with WWW-Authenticate), accepts it with one, and SIGHUP swaps the set.
 */
#include "tap.h"
#include "testutil.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static struct fo_test_daemon d;
static char dir[512];

static void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    if (!f || fputs(text, f) < 0)
        tap_bail("cannot write %s", path);
    fclose(f);
}

/* status of method path with the given token (NULL: no header). */
static long call(const char *method, const char *path, const char *body,
                 const char *token, struct fo_test_resp *keep) {
    char url[512], auth[300];
    snprintf(url, sizeof url, "%s%s", d.base_url, path);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", token ? token : "");
    const char *headers[] = {auth, NULL};
    struct fo_test_resp r;
    long st =
        fo_test_http(method, url, body, token ? headers : NULL, &r) == 0 ? r.status : 0;
    if (keep)
        *keep = r;
    else
        fo_test_resp_free(&r);
    return st;
}

int main(void) {
    if (fo_test_tmpdir(dir, sizeof dir) != 0)
        tap_bail("cannot make a temporary directory");
    char db[600], log[600], tokens[600];
    snprintf(db, sizeof db, "%s/auth.db", dir);
    snprintf(log, sizeof log, "%s/daemon.log", dir);
    snprintf(tokens, sizeof tokens, "%s/tokens", dir);
    const char *good = "lab-token-aaaaaaaaaaaaaaaa",
               *other = "lab-token-bbbbbbbbbbbbbbbb";
    write_file(tokens, "# drivers of the lab\n\nlab-token-aaaaaaaaaaaaaaaa\n"
                       "# the wall's dashboard\nwall-token-cccccccccccccccc read\n");
    const char *reader = "wall-token-cccccccccccccccc";

    char cmd[1400];
    snprintf(cmd, sizeof cmd,
             "echo short > %s/bad && %s --tokens-file %s/bad --check-config "
             "2> /dev/null",
             dir, fo_test_bin("flowoptd"), dir);
    tap_ok(system(cmd) != 0, "--check-config refuses a token shorter than 16 characters");

    const char *args[] = {"--tokens-file", tokens, "--log-level", "info", NULL};
    if (fo_test_daemon_start(&d, db, log, args) != 0)
        tap_bail("flowoptd did not start; see %s", log);

    tap_is_int(call("GET", "/v1/health", NULL, NULL, NULL), 200,
               "health needs no token (probes)");
    struct fo_test_resp r;
    long st = call("GET", "/v1/runs", NULL, NULL, &r);
    tap_ok(st == 401 && strcmp(r.content_type, "application/problem+json") == 0 &&
               strstr(r.body, "\"status\":401") && strstr(r.body, "Authorization") &&
               strncmp(r.www_authenticate, "Bearer", 6) == 0,
           "no token: 401 problem+json naming the Authorization header, and a Bearer "
           "challenge (%s)",
           r.www_authenticate);
    fo_test_resp_free(&r);
    tap_is_int(call("GET", "/v1/runs", NULL, other, NULL), 401, "a wrong token: 401");
    tap_is_int(call("GET", "/v1/runs", NULL, "lab-token-aaaaaaaaaaaaaaa", NULL), 401,
               "a token one character short: 401");
    tap_is_int(call("GET", "/metrics", NULL, NULL, NULL), 401, "/metrics needs it too");
    tap_is_int(call("GET", "/v1/no/such", NULL, NULL, NULL), 401,
               "unknown paths do not reveal themselves without a token");
    tap_is_int(
        call("POST", "/v1/runs", "{\"dim\": 2, \"direction\": \"minimize\"}", NULL, NULL),
        401, "a create without a token is refused");
    tap_is_int(call("GET", "/v1/runs", NULL, good, NULL), 200, "the right token: 200");
    st = call("POST", "/v1/runs", "{\"dim\": 2, \"direction\": \"minimize\"}", good, &r);
    tap_is_int(st, 201, "and a create goes through");
    fo_test_resp_free(&r);
    tap_is_int(call("GET", "/v1/runs/x", NULL, good, NULL), 404,
               "with a token, errors are the usual ones");
    tap_is_int(call("GET", "/v1/runs", NULL, reader, NULL), 200, "a read token reads");
    st =
        call("POST", "/v1/runs", "{\"dim\": 2, \"direction\": \"minimize\"}", reader, &r);
    tap_ok(st == 403 && strstr(r.body, "\"field\":\"Authorization\"") &&
               strstr(r.body, "read"),
           "but its create is 403 naming Authorization (%ld)", st);
    fo_test_resp_free(&r);
    tap_is_int(call("DELETE", "/v1/runs/x", NULL, reader, NULL), 403, "so is a DELETE");
    snprintf(
        cmd, sizeof cmd,
        "printf 'lab-token-dddddddddddddddd admin\\n' > %s/scoped && %s --tokens-file "
        "%s/scoped --check-config 2> /dev/null",
        dir, fo_test_bin("flowoptd"), dir);
    tap_ok(system(cmd) != 0, "a scope other than read or write is refused");

    write_file(tokens, other);
    kill(d.pid, SIGHUP);
    tap_ok(fo_test_wait_file(log, "1 API tokens loaded", 10000) &&
               call("GET", "/v1/runs", NULL, other, NULL) == 200,
           "SIGHUP loads the new tokens file");
    tap_is_int(call("GET", "/v1/runs", NULL, good, NULL), 401,
               "and the old token is out");
    write_file(tokens, "");
    kill(d.pid, SIGHUP);
    tap_ok(fo_test_wait_file(log, "the previous tokens stay", 10000),
           "a tokens file that does not load says so in the log");
    tap_is_int(call("GET", "/v1/runs", NULL, other, NULL), 200,
               "and keeps the previous tokens");
    tap_ok(!fo_test_file_contains(log, good) && !fo_test_file_contains(log, other),
           "no token ever appears in the log");

    kill(d.pid, SIGTERM);
    int status;
    fo_test_daemon_wait(&d, 10000, &status);
    fo_test_daemon_kill(&d);
    if (!tap_failures())
        fo_test_rmdir(dir);
    return tap_done();
}
