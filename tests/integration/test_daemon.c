/*
 * test_daemon.c - the real flowoptd on a loopback port with a temporary
 * database: health, 404, 405, problem+json, request log, option precedence,
 * refusal of a newer schema, and a clean exit on SIGTERM.
 */
#include "store/migrate.h"
#include "tap.h"
#include "testutil.h"

#include <jansson.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static char dir[512];

static void path_in(char *out, size_t cap, const char *name) {
    snprintf(out, cap, "%s/%s", dir, name);
}

static void check_problem(const struct fo_test_resp *r, long status, const char *what) {
    tap_is_str(r->content_type, "application/problem+json", "%s: problem+json", what);
    json_error_t jerr;
    json_t *p = json_loads(r->body, 0, &jerr);
    tap_ok(p && json_is_string(json_object_get(p, "type")) &&
               json_is_string(json_object_get(p, "title")) &&
               json_is_string(json_object_get(p, "detail")) &&
               json_integer_value(json_object_get(p, "status")) == status,
           "%s: type, title, detail and status %ld", what, status);
    json_decref(p);
}

static void test_routes(const struct fo_test_daemon *d) {
    char url[256];
    struct fo_test_resp r;

    snprintf(url, sizeof url, "%s/v1/health", d->base_url);
    tap_ok(fo_test_http("GET", url, NULL, NULL, &r) == 0, "GET /v1/health answers");
    tap_is_int(r.status, 200, "health is 200");
    tap_is_str(r.content_type, "application/json", "health is application/json");
    json_t *h = json_loads(r.body, 0, NULL);
    tap_is_str(json_string_value(json_object_get(h, "status")), "ok", "status ok");
    tap_ok(json_is_string(json_object_get(h, "version")), "version is a string");
    tap_is_int(json_integer_value(json_object_get(h, "schema_version")),
               (long long)fo__n_migrations, "schema_version is the last migration");
    tap_is_int((long long)json_object_size(h), 3, "exactly the documented fields");
    json_decref(h);
    fo_test_resp_free(&r);

    tap_ok(fo_test_http("HEAD", url, NULL, NULL, &r) == 0 && r.status == 200,
           "HEAD /v1/health is 200");
    fo_test_resp_free(&r);

    snprintf(url, sizeof url, "%s/v1/no-such-thing", d->base_url);
    fo_test_http("GET", url, NULL, NULL, &r);
    tap_is_int(r.status, 404, "unknown path is 404");
    check_problem(&r, 404, "404");
    fo_test_resp_free(&r);

    snprintf(url, sizeof url, "%s/v1/health", d->base_url);
    fo_test_http("POST", url, "{\"a\":1}", NULL, &r);
    tap_is_int(r.status, 405, "POST on health is 405");
    tap_is_str(r.allow, "GET, HEAD", "405 carries an Allow header");
    check_problem(&r, 405, "405");
    fo_test_resp_free(&r);

    fo_test_http("DELETE", url, NULL, NULL, &r);
    tap_is_int(r.status, 405, "DELETE on health is 405");
    fo_test_resp_free(&r);
}

/* /metrics: a client's method text never reaches the exposition, and 300
 * invented methods do not crowd out the real series. */
static void test_metrics_labels(const struct fo_test_daemon *d) {
    char url[256], cmd[800];
    snprintf(url, sizeof url, "%s/v1/health", d->base_url);
    snprintf(cmd, sizeof cmd,
             "for i in $(seq 300); do curl -s -o /dev/null -X \"M$i\" %s; done; "
             "curl -s -o /dev/null -X 'A\"B}' %s",
             url, url);
    tap_is_int(system(cmd), 0, "300 invented methods and one with a quote and a brace");
    struct fo_test_resp r;
    fo_test_http("GET", url, NULL, NULL, &r);
    fo_test_resp_free(&r);
    snprintf(url, sizeof url, "%s/metrics", d->base_url);
    fo_test_http("GET", url, NULL, NULL, &r);
    tap_ok(r.status == 200 && !strstr(r.body, "A\"B") && !strstr(r.body, "M300") &&
               strstr(r.body, "method=\"other\",route=\"unmatched\",status=\"405\"} 301"),
           "they are counted as method=\"other\", their text nowhere in /metrics");
    tap_ok(r.body &&
               strstr(r.body, "method=\"GET\",route=\"/v1/health\",status=\"200\"}"),
           "and a real GET after them still has its series");
    fo_test_resp_free(&r);
}

/* A GET answer's ETag: the same body revalidates as 304, a change does not. */
static void test_etag(const struct fo_test_daemon *d) {
    long status;
    json_t *j = fo_test_post(
        d, "/v1/runs",
        "{\"dim\": 2, \"direction\": \"minimize\", \"bounds\": {\"lo\": -1, \"hi\": 1}}",
        &status);
    char url[256], inm[128];
    snprintf(url, sizeof url, "%s/v1/runs/%s", d->base_url,
             json_string_value(json_object_get(j, "id")));
    json_decref(j);
    struct fo_test_resp r, r2;
    fo_test_http("GET", url, NULL, NULL, &r);
    tap_ok(r.status == 200 && strlen(r.etag) == 18 && r.etag[0] == '"',
           "a GET answer carries a strong ETag (%s)", r.etag);
    tap_is_str(r.cache_control, "no-cache", "and Cache-Control: no-cache");
    static const char *const before[] = {"", "W/", "\"x\", ", NULL};
    for (size_t i = 0; i < sizeof before / sizeof before[0]; i++) {
        char value[100];
        snprintf(value, sizeof value, "%s%s", before[i] ? before[i] : "*",
                 before[i] ? r.etag : "");
        snprintf(inm, sizeof inm, "If-None-Match: %s", value);
        const char *h[] = {inm, NULL};
        fo_test_http("GET", url, NULL, h, &r2);
        tap_ok(r2.status == 304 && r2.len == 0 && strcmp(r2.etag, r.etag) == 0,
               "If-None-Match: %s is 304 with no body and the same tag", value);
        fo_test_resp_free(&r2);
    }
    snprintf(inm, sizeof inm, "If-None-Match: \"0000000000000000\"");
    const char *other[] = {inm, NULL};
    fo_test_http("GET", url, NULL, other, &r2);
    tap_ok(r2.status == 200 && r2.len == r.len, "another tag gets the whole answer");
    fo_test_resp_free(&r2);

    char ask[300];
    snprintf(ask, sizeof ask, "%s/ask", url + strlen(d->base_url));
    json_decref(fo_test_post(d, ask, "{\"n\": 1}", &status));
    snprintf(inm, sizeof inm, "If-None-Match: %s", r.etag);
    const char *same[] = {inm, NULL};
    fo_test_http("GET", url, NULL, same, &r2);
    tap_ok(r2.status == 200 && r2.len > 0 && strcmp(r2.etag, r.etag) != 0,
           "after an ask the old tag gets the new answer, under a new tag");
    fo_test_resp_free(&r2);
    snprintf(ask, sizeof ask, "%s/ask", url);
    fo_test_http("POST", ask, "{\"n\": 1}", same, &r2);
    tap_ok(r2.status == 200 && r2.etag[0] == '\0', "a POST's answer carries no tag");
    fo_test_resp_free(&r2);
    fo_test_resp_free(&r);
}

/* GET /v1/settings: the table that parses bodies, live settings marked
 * (tools/check_settings.mjs holds it against openapi.yaml). */
static void test_settings_route(const struct fo_test_daemon *d) {
    char url[256];
    struct fo_test_resp r;
    snprintf(url, sizeof url, "%s/v1/settings", d->base_url);
    tap_ok(fo_test_http("GET", url, NULL, NULL, &r) == 0 && r.status == 200,
           "GET /v1/settings is 200");
    json_t *j = json_loads(r.body, 0, NULL), *rows = json_object_get(j, "settings");
    size_t i, live = 0, internal = 0;
    json_t *row, *kl = NULL;
    json_array_foreach(rows, i, row) {
        const char *name = json_string_value(json_object_get(row, "name"));
        live += json_is_true(json_object_get(row, "live"));
        internal += name && strcmp(name, "optimizer.lr_min") == 0;
        if (name && strcmp(name, "optimizer.kl_target") == 0)
            kl = row;
    }
    tap_ok(json_array_size(rows) > 20 && live == 13 && internal == 0,
           "%zu settings, %zu live, none of the preset's own", json_array_size(rows),
           live);
    tap_ok(kl && json_is_true(json_object_get(kl, "live")) &&
               json_number_value(json_object_get(kl, "exclusive_minimum")) == 0.0 &&
               json_number_value(json_object_get(kl, "maximum")) == 1000.0,
           "optimizer.kl_target: live, in (0, 1000]");
    json_decref(j);
    fo_test_resp_free(&r);
}

static void test_sigterm(struct fo_test_daemon *d) {
    int status = -1;
    double t0 = fo_test_now_ms();
    kill(d->pid, SIGTERM);
    int exited = fo_test_daemon_wait(d, 2000, &status) == 0;
    tap_ok(exited, "SIGTERM ends the daemon within 2 s (%.0f ms)", fo_test_now_ms() - t0);
    tap_ok(exited && WIFEXITED(status) && WEXITSTATUS(status) == 0, "with exit status 0");
    if (!exited)
        fo_test_daemon_kill(d);
    tap_ok(fo_test_file_contains(d->log_path, "GET /v1/health 200"),
           "a request line (method, path, status) is logged");
    tap_ok(fo_test_file_contains(d->log_path, "POST /v1/health 405"),
           "errors are logged too");
}

static int connect_local(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

struct read_wait {
    int server_port, client_port;
};

/* The daemon's end of our connection has no unread bytes (the kernel's
 * receive queue in /proc/net/tcp is empty): it has read what we sent. */
static int read_by_daemon(void *ctx) {
    const struct read_wait *w = ctx;
    FILE *f = fopen("/proc/net/tcp", "r");
    char line[512];
    int drained = 0;
    while (f && fgets(line, sizeof line, f)) {
        unsigned lport, rport, tx, rx;
        if (sscanf(line, " %*d: %*8x:%x %*8x:%x %*x %x:%x", &lport, &rport, &tx, &rx) ==
                4 &&
            (int)lport == w->server_port && (int)rport == w->client_port)
            drained = rx == 0;
    }
    if (f)
        fclose(f);
    return drained;
}

/* A request whose body is still arriving when SIGTERM comes is answered. */
static void test_drain(void) {
    char db[600], log[600];
    path_in(db, sizeof db, "drain.db");
    path_in(log, sizeof log, "drain.log");
    struct fo_test_daemon d;
    if (fo_test_daemon_start(&d, db, log, NULL) != 0)
        tap_bail("flowoptd did not start; see %s", log);
    int fd = connect_local(d.port);
    const char head[] =
        "POST /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 10\r\n"
        "Content-Type: application/json\r\n\r\n{\"a\":";
    tap_ok(fd >= 0 && write(fd, head, sizeof head - 1) == (ssize_t)(sizeof head - 1),
           "a request is half sent");
    struct sockaddr_in me;
    socklen_t len = sizeof me;
    getsockname(fd, (struct sockaddr *)&me, &len);
    struct read_wait rw = {d.port, ntohs(me.sin_port)};
    tap_ok(fo_test_wait_for(read_by_daemon, &rw, 10000), "the daemon has read its head");
    kill(d.pid, SIGTERM);
    tap_ok(fo_test_wait_file(log, "stopping", 10000), "SIGTERM: the daemon is stopping");
    ssize_t w = write(fd, "12}  ", 5);
    char buf[512] = {0};
    ssize_t n = w == 5 ? read(fd, buf, sizeof buf - 1) : -1;
    tap_ok(n > 0 && strncmp(buf, "HTTP/1.1 405", 12) == 0,
           "the request in flight is answered after SIGTERM: %.12s", n > 0 ? buf : "");
    close(fd);
    int status = -1;
    int exited = fo_test_daemon_wait(&d, 2000, &status) == 0;
    tap_ok(exited && WIFEXITED(status) && WEXITSTATUS(status) == 0,
           "then the daemon exits 0");
    fo_test_daemon_kill(&d);
    tap_ok(fd < 0 || connect_local(d.port) < 0, "and no longer accepts connections");
}

/* At the drain: a keep-alive client is told to close, a new one is refused
 * at once, and a second SIGTERM stops without waiting for a stuck request. */
static void test_drain_ends(void) {
    char db[600], log[600];
    path_in(db, sizeof db, "drain2.db");
    path_in(log, sizeof log, "drain2.log");
    struct fo_test_daemon d;
    if (fo_test_daemon_start(&d, db, log, NULL) != 0)
        tap_bail("flowoptd did not start; see %s", log);
    const char get[] = "GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    int keep = connect_local(d.port), stuck = connect_local(d.port);
    char buf[2048] = {0};
    ssize_t n = keep >= 0 && write(keep, get, sizeof get - 1) > 0
                    ? read(keep, buf, sizeof buf - 1)
                    : -1;
    tap_ok(n > 0 && strncmp(buf, "HTTP/1.1 200", 12) == 0 && !strstr(buf, "close"),
           "a keep-alive client is served");
    const char head[] =
        "POST /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 10\r\n"
        "Content-Type: application/json\r\n\r\n{";
    tap_ok(stuck >= 0 && write(stuck, head, sizeof head - 1) > 0,
           "another's request stays half sent");
    struct sockaddr_in me;
    socklen_t len = sizeof me;
    getsockname(stuck, (struct sockaddr *)&me, &len);
    struct read_wait rw = {d.port, ntohs(me.sin_port)};
    fo_test_wait_for(read_by_daemon, &rw, 10000);
    kill(d.pid, SIGTERM);
    fo_test_wait_file(log, "stopping", 10000);
    memset(buf, 0, sizeof buf);
    n = write(keep, get, sizeof get - 1) > 0 ? read(keep, buf, sizeof buf - 1) : -1;
    tap_ok(n == 0 || (n > 0 && strstr(buf, "Connection: close")),
           "during the drain its next answer closes the connection (%.12s)",
           n > 0 ? buf : "closed");
    double t0 = fo_test_now_ms();
    int late = connect_local(d.port);
    tap_ok(late < 0, "a new client is refused at once (%.0f ms), not left waiting",
           fo_test_now_ms() - t0);
    if (late >= 0)
        close(late);
    t0 = fo_test_now_ms();
    kill(d.pid, SIGTERM);
    int status = -1;
    int exited = fo_test_daemon_wait(&d, 3000, &status) == 0;
    tap_ok(exited, "a second SIGTERM stops it at once (%.0f ms; the drain waits 10 s)",
           fo_test_now_ms() - t0);
    tap_ok(fo_test_file_contains(log, "again: stopping now"), "and says so");
    fo_test_daemon_kill(&d);
    close(keep);
    close(stuck);
}

/* One GET /v1/health (a request line for the log), then SIGTERM and reap. */
static void health_then_stop(struct fo_test_daemon *d) {
    char url[256];
    struct fo_test_resp r;
    snprintf(url, sizeof url, "%s/v1/health", d->base_url);
    fo_test_http("GET", url, NULL, NULL, &r);
    fo_test_resp_free(&r);
    int status;
    kill(d->pid, SIGTERM);
    fo_test_daemon_wait(d, 5000, &status);
    fo_test_daemon_kill(d);
}

/* A run with one sample asked on d; its id into run, the sample's into sample. */
static void run_with_sample(const struct fo_test_daemon *d, char *run, char *sample) {
    long status;
    json_t *j =
        fo_test_post(d, "/v1/runs", "{\"dim\": 2, \"direction\": \"minimize\"}", &status);
    snprintf(run, 32, "%s", json_string_value(json_object_get(j, "id")));
    json_decref(j);
    char path[128];
    snprintf(path, sizeof path, "/v1/runs/%s/ask", run);
    j = fo_test_post(d, path, "{\"n\": 1}", &status);
    snprintf(sample, 32, "%s",
             json_string_value(json_object_get(
                 json_array_get(json_object_get(j, "samples"), 0), "id")));
    json_decref(j);
}

static long tell_one(const struct fo_test_daemon *d, const char *run, const char *sample,
                     double value, char *detail, size_t cap) {
    char path[128], body[200];
    snprintf(path, sizeof path, "/v1/runs/%s/tell", run);
    snprintf(body, sizeof body, "{\"results\": [{\"id\": \"%s\", \"value\": %g}]}",
             sample, value);
    long status;
    json_t *j = fo_test_post(d, path, body, &status);
    const char *why = json_string_value(json_object_get(j, "detail"));
    if (detail)
        snprintf(detail, cap, "%s", why ? why : "");
    json_decref(j);
    return status;
}

/* One daemon per database; a missing database is not silently recreated;
 * a database removed under the daemon stops its acknowledgements. */
static void test_one_database(void) {
    char db[600], log[600], log2[600], cmd[2000];
    path_in(db, sizeof db, "one.db");
    path_in(log, sizeof log, "one.log");
    path_in(log2, sizeof log2, "two.log");
    struct fo_test_daemon d;
    if (fo_test_daemon_start(&d, db, log, NULL) != 0)
        tap_bail("flowoptd did not start; see %s", log);
    char run[32], sample[32];
    run_with_sample(&d, run, sample);
    snprintf(cmd, sizeof cmd,
             "timeout 10 %s --listen 127.0.0.1:0 --db %s 2> %s; test $? -eq 1",
             fo_test_bin("flowoptd"), db, log2);
    tap_is_int(system(cmd), 0, "a second daemon on the same database exits 1 at once");
    char want[64];
    snprintf(want, sizeof want, "in use by another flowoptd (pid %d", (int)d.pid);
    tap_ok(fo_test_file_contains(log2, want), "saying the database %s", want);
    tap_is_int(tell_one(&d, run, sample, 1.5, NULL, 0), 200,
               "the first daemon goes on acknowledging");
    health_then_stop(&d);

    char missing[600];
    path_in(missing, sizeof missing, "missing.db");
    snprintf(
        cmd, sizeof cmd,
        "timeout 10 %s --listen 127.0.0.1:0 --db %s 2> %s; test $? -eq 1 && test ! -e %s",
        fo_test_bin("flowoptd"), missing, log2, missing);
    tap_is_int(system(cmd), 0,
               "a missing database is refused without --init, and not created");
    tap_ok(fo_test_file_contains(log2, "no database at"), "saying there is no database");

    /* the database moved away under the running daemon (an accident) */
    if (fo_test_daemon_start(&d, db, log, NULL) != 0)
        tap_bail("flowoptd did not restart; see %s", log);
    run_with_sample(&d, run, sample);
    char moved[700];
    snprintf(moved, sizeof moved, "%s.moved", db);
    tap_ok(rename(db, moved) == 0, "the database file is moved away");
    char detail[512];
    long status = tell_one(&d, run, sample, 2.5, detail, sizeof detail);
    tap_ok(status == 503 && strstr(detail, "removed or replaced"),
           "a tell is then refused with 503, naming the cause (%ld: %s)", status, detail);
    tap_ok(rename(moved, db) == 0, "moved back");
    status = tell_one(&d, run, sample, 2.5, NULL, 0);
    tap_is_int(status, 503, "writes stay refused until a restart");
    health_then_stop(&d);
    if (fo_test_daemon_start(&d, db, log, NULL) != 0)
        tap_bail("flowoptd did not restart; see %s", log);
    tap_is_int(tell_one(&d, run, sample, 2.5, NULL, 0), 200,
               "restarted on the file, the sample's value is taken");
    health_then_stop(&d);
}

static void test_precedence(void) {
    char db[600], log[600];
    path_in(db, sizeof db, "prec.db");
    path_in(log, sizeof log, "prec.log");
    /* The environment asks for a port that cannot be used; the flag wins. */
    setenv("FLOWOPT_LISTEN", "256.0.0.1:99999", 1);
    setenv("FLOWOPT_LOG_LEVEL", "error", 1);
    struct fo_test_daemon d;
    tap_ok(fo_test_daemon_start(&d, db, log, NULL) == 0,
           "flags win over FLOWOPT_LISTEN in the environment");
    unsetenv("FLOWOPT_LISTEN");
    health_then_stop(&d);
    tap_ok(!fo_test_file_contains(log, "GET /v1/health"),
           "FLOWOPT_LOG_LEVEL=error silences request lines");
    unsetenv("FLOWOPT_LOG_LEVEL");
}

/* A config file: below the environment and the flags, errors name file:line. */
static void test_config_file(void) {
    char db[600], log[600], conf[600], cmd[2000];
    path_in(db, sizeof db, "conf.db");
    path_in(log, sizeof log, "conf.log");
    path_in(conf, sizeof conf, "flowoptd.conf");
    FILE *f = fopen(conf, "w");
    fprintf(f, "# lab settings\n\nlisten = 256.0.0.1:99999\nlog-level = error\n"
               "  checkpoint-retention=7  \n");
    fclose(f);
    const char *args[] = {"--config", conf, NULL};
    struct fo_test_daemon d;
    tap_ok(fo_test_daemon_start(&d, db, log, args) == 0,
           "--config: the --listen flag wins over the file's listen");
    health_then_stop(&d);
    tap_ok(!fo_test_file_contains(log, "GET /v1/health"),
           "the file's log-level = error applies");
    setenv("FLOWOPT_LOG_LEVEL", "info", 1);
    tap_ok(fo_test_daemon_start(&d, db, log, args) == 0,
           "again, with FLOWOPT_LOG_LEVEL=info");
    health_then_stop(&d);
    unsetenv("FLOWOPT_LOG_LEVEL");
    tap_ok(fo_test_file_contains(log, "GET /v1/health"),
           "the environment wins over the file");
    f = fopen(conf, "w");
    fprintf(f, "db = x.db\nthreads = many\n");
    fclose(f);
    snprintf(cmd, sizeof cmd, "FLOWOPT_CONFIG=%s %s --check-config 2>&1 | grep -q ':2: '",
             conf, fo_test_bin("flowoptd"));
    tap_is_int(system(cmd), 0,
               "a bad value is refused naming file:line (FLOWOPT_CONFIG)");
    f = fopen(conf, "w");
    fprintf(f, "colour = blue\n");
    fclose(f);
    snprintf(cmd, sizeof cmd,
             "%s --config %s --check-config 2>&1 | grep -q \"unknown key\"",
             fo_test_bin("flowoptd"), conf);
    tap_is_int(system(cmd), 0, "and so is an unknown key");
    snprintf(cmd, sizeof cmd,
             "%s --config %s/deploy/flowoptd.conf.example --check-config > /dev/null",
             fo_test_bin("flowoptd"), FO_TEST_SOURCE_DIR);
    tap_is_int(system(cmd), 0, "deploy/flowoptd.conf.example is a valid config file");
}

static void test_newer_schema(void) {
    char db[600], log[600];
    path_in(db, sizeof db, "newer.db");
    path_in(log, sizeof log, "newer.log");
    sqlite3 *h = NULL;
    sqlite3_open(db, &h);
    sqlite3_exec(
        h,
        "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT,"
        " applied_at TEXT); INSERT INTO schema_migrations VALUES (999, 'x', 'now');",
        NULL, NULL, NULL);
    sqlite3_close(h);
    struct fo_test_daemon d;
    tap_ok(fo_test_daemon_start(&d, db, log, NULL) != 0,
           "a newer schema: the daemon does not serve");
    tap_ok(fo_test_file_contains(log, "newer than this binary"),
           "and says why on stderr");
}

static void test_cli(void) {
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "%s --version > /dev/null", fo_test_bin("flowoptd"));
    tap_is_int(system(cmd), 0, "flowoptd --version exits 0");
    snprintf(cmd, sizeof cmd, "%s --help | grep -q -- --listen", fo_test_bin("flowoptd"));
    tap_is_int(system(cmd), 0, "flowoptd --help documents --listen");
    snprintf(cmd, sizeof cmd, "%s --bogus 2> /dev/null", fo_test_bin("flowoptd"));
    tap_ok(system(cmd) != 0, "an unknown flag is refused");
    snprintf(cmd, sizeof cmd, "%s --listen nonsense --check-config 2> /dev/null",
             fo_test_bin("flowoptd"));
    tap_ok(system(cmd) != 0, "--check-config refuses a malformed --listen");
    snprintf(cmd, sizeof cmd,
             "%s --park-idle 30 --check-config > /dev/null && "
             "! FLOWOPT_PARK_IDLE=soon %s --check-config 2> /dev/null",
             fo_test_bin("flowoptd"), fo_test_bin("flowoptd"));
    tap_is_int(system(cmd), 0,
               "--park-idle takes seconds; FLOWOPT_PARK_IDLE=soon is refused");
    snprintf(cmd, sizeof cmd, "%s --version | grep -q '^flowopt '",
             fo_test_bin("flowopt"));
    tap_is_int(system(cmd), 0, "flowopt --version");
    snprintf(cmd, sizeof cmd, "%s --help | grep -q health", fo_test_bin("flowopt"));
    tap_is_int(system(cmd), 0, "flowopt --help");
}

int main(void) {
    if (fo_test_tmpdir(dir, sizeof dir) != 0)
        tap_bail("cannot make a temporary directory");
    char db[600], log[600];
    path_in(db, sizeof db, "main.db");
    path_in(log, sizeof log, "main.log");
    struct fo_test_daemon d;
    if (fo_test_daemon_start(&d, db, log, NULL) != 0)
        tap_bail("flowoptd did not start; see %s", log);
    tap_ok(d.port > 0, "the daemon reports its port (%d) on its first stderr line",
           d.port);
    test_routes(&d);
    test_settings_route(&d);
    test_etag(&d);
    test_metrics_labels(&d);
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "%s --url %s health | grep -q '\"status\":\"ok\"'",
             fo_test_bin("flowopt"), d.base_url);
    tap_is_int(system(cmd), 0, "flowopt health talks to the daemon");
    test_sigterm(&d);
    TAP_RUN(test_drain);
    TAP_RUN(test_drain_ends);
    TAP_RUN(test_one_database);
    TAP_RUN(test_precedence);
    TAP_RUN(test_config_file);
    TAP_RUN(test_newer_schema);
    TAP_RUN(test_cli);
    fo_test_rmdir(dir);
    return tap_done();
}
