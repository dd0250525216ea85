/*
 * test_gate.c - the request gate against the real daemon: a Host it is not
 * (DNS rebinding), a page of another origin, a body that is not JSON, a
 * path a NUL byte would cut short, and framing a proxy could read
 * differently. Each refusal is a problem naming its field and changes
 * nothing.
 */
#include "tap.h"
#include "testutil.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CREATE                                                                           \
    "{\"dim\": 2, \"direction\": \"minimize\", \"bounds\": {\"lo\": -1, \"hi\": 1}}"

static struct fo_test_daemon d;

static size_t run_count(void) {
    char url[256];
    snprintf(url, sizeof url, "%s/v1/runs?limit=200", d.base_url);
    struct fo_test_resp r;
    fo_test_http("GET", url, NULL, NULL, &r);
    json_t *j = json_loads(r.body ? r.body : "", 0, NULL);
    size_t n = json_array_size(json_object_get(j, "runs"));
    json_decref(j);
    fo_test_resp_free(&r);
    return n;
}

/* The answer is a problem of status naming field. */
static int names(const struct fo_test_resp *r, long status, const char *field) {
    json_t *j = json_loads(r->body ? r->body : "", 0, NULL);
    const char *got = json_string_value(json_object_get(j, "field"));
    int ok = r->status == status &&
             strcmp(r->content_type, "application/problem+json") == 0 && got &&
             strcmp(got, field) == 0;
    json_decref(j);
    return ok;
}

static void test_host(void) {
    char url[256], host[128];
    snprintf(url, sizeof url, "%s/v1/runs", d.base_url);
    snprintf(host, sizeof host, "Host: rebound.evil.example:%d", d.port);
    const char *rebind[] = {host, NULL};
    struct fo_test_resp r;
    size_t before = run_count();
    fo_test_http("POST", url, CREATE, rebind, &r);
    tap_ok(names(&r, 421, "Host"),
           "a create addressed to another name is 421 naming Host");
    fo_test_resp_free(&r);
    tap_is_int((long)run_count(), (long)before, "and creates nothing");
    fo_test_http("GET", url, NULL, rebind, &r);
    tap_ok(names(&r, 421, "Host"), "a read too: a rebinding page learns nothing");
    fo_test_resp_free(&r);
    static const char *const fine[] = {"localhost", "flowopt.lab.example", "127.0.0.1",
                                       "[::1]"};
    for (size_t i = 0; i < sizeof fine / sizeof fine[0]; i++) {
        snprintf(host, sizeof host, "Host: %s:%d", fine[i], d.port);
        const char *h[] = {host, NULL};
        fo_test_http("GET", url, NULL, h, &r);
        tap_is_int(r.status, 200, "Host %s is served", fine[i]);
        fo_test_resp_free(&r);
    }
}

static void test_media_type(void) {
    char url[256];
    snprintf(url, sizeof url, "%s/v1/runs", d.base_url);
    struct fo_test_resp r;
    size_t before = run_count();
    const char *plain[] = {"Content-Type: text/plain", NULL};
    fo_test_http("POST", url, CREATE, plain, &r);
    tap_ok(
        names(&r, 415, "Content-Type"),
        "a text/plain create (what a cross-site form sends) is 415 naming Content-Type");
    fo_test_resp_free(&r);
    const char *form[] = {"Content-Type: application/x-www-form-urlencoded", NULL};
    fo_test_http("POST", url, CREATE, form, &r);
    tap_ok(names(&r, 415, "Content-Type"), "so is a form's type");
    fo_test_resp_free(&r);
    tap_is_int((long)run_count(), (long)before, "neither created a run");
    const char *json[] = {"Content-Type: application/json; charset=utf-8", NULL};
    fo_test_http("POST", url, CREATE, json, &r);
    tap_is_int(r.status, 201, "application/json with a charset creates");
    fo_test_resp_free(&r);
    snprintf(url, sizeof url, "%s/v1/runs/import", d.base_url);
    fo_test_http("POST", url, "{}", NULL, &r);
    tap_ok(names(&r, 415, "Content-Type"), "an import sent as JSON is 415");
    fo_test_resp_free(&r);
    const char *octets[] = {"Content-Type: application/octet-stream", NULL};
    fo_test_http_bytes("POST", url, "junk", 4, octets, &r);
    tap_ok(r.status != 415 && r.status >= 400 && r.status < 500,
           "as octet-stream it reaches the decoder (%ld for junk)", r.status);
    fo_test_resp_free(&r);
}

static void test_origin(void) {
    char url[256], same[128];
    snprintf(url, sizeof url, "%s/v1/runs", d.base_url);
    struct fo_test_resp r;
    size_t before = run_count();
    const char *evil[] = {"Origin: https://evil.example", NULL};
    fo_test_http("POST", url, CREATE, evil, &r);
    tap_ok(names(&r, 403, "Origin"),
           "a create from another site's page is 403 naming Origin");
    tap_is_str(r.allow_origin, "", "with no CORS header");
    fo_test_resp_free(&r);
    tap_is_int((long)run_count(), (long)before, "and creates nothing");
    snprintf(same, sizeof same, "Origin: http://127.0.0.1:%d", d.port);
    const char *own[] = {same, NULL};
    fo_test_http("POST", url, CREATE, own, &r);
    tap_is_int(r.status, 201, "the daemon's own page (same origin) creates");
    tap_is_str(r.allow_origin, "", "and needs no CORS header");
    fo_test_resp_free(&r);
    const char *lab[] = {"Origin: https://lab.example", NULL};
    fo_test_http("GET", url, NULL, lab, &r);
    tap_ok(r.status == 200 && strcmp(r.allow_origin, "https://lab.example") == 0,
           "a --cors-origins page reads, with Access-Control-Allow-Origin");
    fo_test_resp_free(&r);
    const char *pre[] = {
        "Origin: https://lab.example", "Access-Control-Request-Method: POST",
        "Access-Control-Request-Headers: content-type, authorization", NULL};
    fo_test_http("OPTIONS", url, NULL, pre, &r);
    tap_ok(r.status == 204 && strcmp(r.allow_origin, "https://lab.example") == 0 &&
               strstr(r.allow_methods, "POST"),
           "its preflight is 204 with the methods (%s)", r.allow_methods);
    fo_test_resp_free(&r);
    const char *pre_evil[] = {"Origin: https://evil.example",
                              "Access-Control-Request-Method: POST", NULL};
    fo_test_http("OPTIONS", url, NULL, pre_evil, &r);
    tap_ok(names(&r, 403, "Origin") && !r.allow_origin[0],
           "another origin's preflight is 403");
    fo_test_resp_free(&r);
}

static void test_paths(void) {
    long status;
    json_t *j = fo_test_post(&d, "/v1/runs", CREATE, &status);
    const char *id = json_string_value(json_object_get(j, "id"));
    char url[512];
    struct fo_test_resp r;
    snprintf(url, sizeof url, "%s/v1/runs/%s%%00junk", d.base_url, id ? id : "x");
    fo_test_http("GET", url, NULL, NULL, &r);
    tap_ok(names(&r, 400, "path"),
           "/v1/runs/{id}%%00junk is 400 naming path, not the run");
    fo_test_resp_free(&r);
    snprintf(url, sizeof url, "%s/v1/runs/%s%%00/pause", d.base_url, id ? id : "x");
    fo_test_http("POST", url, NULL, NULL, &r);
    tap_ok(names(&r, 400, "path"), "nor does a NUL reach a write");
    fo_test_resp_free(&r);
    snprintf(url, sizeof url, "%s/v1/runs?limit=5%%00", d.base_url);
    fo_test_http("GET", url, NULL, NULL, &r);
    tap_ok(names(&r, 400, "limit"), "a NUL in a query value is 400 naming it");
    fo_test_resp_free(&r);
    json_decref(j);
    char req[512], out[4096];
    snprintf(req, sizeof req,
             "GET /v1/runs/../health HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
             "Connection: close\r\n\r\n",
             d.port);
    tap_is_int(fo_test_raw(d.port, req, out, sizeof out), 400,
               "a '..' segment is 400 (no path is resolved behind a proxy's back)");
    tap_ok(strstr(out, "application/problem+json") != NULL, "as problem+json");
}

static void test_framing(void) {
    char req[1024], out[4096];
    size_t before = run_count();
    tap_is_int(fo_test_raw(d.port, "GET /v1/runs HTTP/1.1\r\nConnection: close\r\n\r\n",
                           out, sizeof out),
               400, "an HTTP/1.1 request without Host is 400");
    tap_ok(strstr(out, "\"field\":\"Host\"") != NULL, "naming Host");
    tap_is_int(fo_test_raw(d.port, "GET /v1/health HTTP/1.0\r\n\r\n", out, sizeof out),
               200, "HTTP/1.0 needs none");
    snprintf(req, sizeof req,
             "POST /v1/runs HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Type: "
             "application/json\r\nContent-Length: %zu\r\nContent-Length: 2\r\n"
             "Connection: close\r\n\r\n%s",
             d.port, strlen(CREATE), CREATE);
    tap_is_int(fo_test_raw(d.port, req, out, sizeof out), 400,
               "two different Content-Length headers are 400");
    tap_ok(strstr(out, "\"field\":\"Content-Length\"") != NULL, "naming Content-Length");
    snprintf(req, sizeof req,
             "POST /v1/runs HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Type: "
             "application/json\r\nContent-Length: %zu\r\nTransfer-Encoding: chunked\r\n"
             "Connection: close\r\n\r\n%zx\r\n%s\r\n0\r\n\r\n",
             d.port, strlen(CREATE), strlen(CREATE), CREATE);
    int st = fo_test_raw(d.port, req, out, sizeof out);
    tap_is_int(st, 400, "Content-Length with Transfer-Encoding is 400");
    tap_is_int((long)run_count(), (long)before, "none of them created a run");
}

int main(void) {
    char dir[512], db[600], log[600];
    if (fo_test_tmpdir(dir, sizeof dir) != 0)
        tap_bail("no temporary directory");
    snprintf(db, sizeof db, "%s/gate.db", dir);
    snprintf(log, sizeof log, "%s/gate.log", dir);
    const char *args[] = {"--allowed-hosts", "flowopt.lab.example", "--cors-origins",
                          "https://lab.example, http://10.0.0.5:3000", NULL};
    if (fo_test_daemon_start(&d, db, log, args) != 0)
        tap_bail("flowoptd did not start; see %s", log);
    test_host();
    test_media_type();
    test_origin();
    test_paths();
    test_framing();
    fo_test_daemon_kill(&d);
    fo_test_rmdir(dir);
    return tap_done();
}
