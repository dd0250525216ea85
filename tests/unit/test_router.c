/* test_router.c - route matching, placeholders, 404 versus 405. */
#include "http/router.h"
#include "tap.h"

#include <string.h>

static void nop(const struct fo_http_request *req, struct fo_http_reply *rep) {
    (void)req;
    (void)rep;
}

static const struct fo_route table[] = {
    {"GET", "/v1/runs", 0, nop, NULL, NULL},
    {"POST", "/v1/runs", 1024, nop, NULL, NULL},
    {"GET", "/v1/runs/{id}", 0, nop, NULL, NULL},
    {"DELETE", "/v1/runs/{id}", 0, nop, NULL, NULL},
    {"POST", "/v1/runs/{id}/checkpoints/{cid}/restore", 0, nop, NULL, NULL},
};
#define N (sizeof table / sizeof table[0])

int main(void) {
    const struct fo_route *r = NULL;
    struct fo_http_request req;
    char allow[64];

    memset(&req, 0, sizeof req);
    tap_is_int(
        fo_router_match_in(table, N, "POST", "/v1/runs", &r, &req, allow, sizeof allow),
        FO_ROUTE_FOUND, "literal path and method match");
    tap_ok(r == &table[1], "the POST route is chosen");

    tap_is_int(fo_router_match_in(table, N, "GET", "/v1/runs/abc", &r, &req, allow,
                                  sizeof allow),
               FO_ROUTE_FOUND, "a placeholder matches one segment");
    tap_is_int((long long)req.n_params, 1, "one parameter");
    tap_is_str(req.params[0], "abc", "its value");

    tap_is_int(fo_router_match_in(table, N, "POST", "/v1/runs/r1/checkpoints/c7/restore",
                                  &r, &req, allow, sizeof allow),
               FO_ROUTE_FOUND, "two placeholders");
    tap_ok(req.n_params == 2 && strcmp(req.params[0], "r1") == 0 &&
               strcmp(req.params[1], "c7") == 0,
           "both captured in order");

    tap_is_int(
        fo_router_match_in(table, N, "PUT", "/v1/runs/x", &r, &req, allow, sizeof allow),
        FO_ROUTE_NO_METHOD, "known path, unknown method");
    tap_is_str(allow, "GET, HEAD, DELETE", "Allow lists the path's methods");

    tap_is_int(
        fo_router_match_in(table, N, "HEAD", "/v1/runs", &r, &req, allow, sizeof allow),
        FO_ROUTE_FOUND, "HEAD is served by GET");

    const char *misses[] = {"/v1/runs/", "/v1/runs//x", "/v1/run", "/v1/runs/a/b",
                            "/",         "/v1/runsx",   ""};
    for (size_t i = 0; i < sizeof misses / sizeof misses[0]; i++)
        tap_is_int(
            fo_router_match_in(table, N, "GET", misses[i], &r, &req, allow, sizeof allow),
            FO_ROUTE_NO_PATH, "'%s' is not found", misses[i]);

    char longid[300];
    memset(longid, 'a', sizeof longid);
    memcpy(longid, "/v1/runs/", 9);
    longid[sizeof longid - 1] = '\0';
    tap_is_int(fo_router_match_in(table, N, "GET", longid, &r, &req, allow, sizeof allow),
               FO_ROUTE_NO_PATH, "an over-long id does not match");
    return tap_done();
}
