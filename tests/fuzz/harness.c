/* harness.c - see fuzz.h. The handlers read headers and query arguments
 * through fo_http_header and fo_http_query; here those come from the
 * target instead of a libmicrohttpd connection (server.c is not linked). */
#include "fuzz.h"

#include "http/reply.h"
#include "http/router.h"
#include "service/runs.h"
#include "service/service.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char fo_fuzz_run[32];
static struct fo_service *svc;
static char dir[64];
static const char *query_value;

const char *fo_http_header(const struct fo_http_request *req, const char *name) {
    (void)req;
    (void)name;
    return NULL;
}

const char *fo_http_query(const struct fo_http_request *req, const char *key) {
    (void)req;
    (void)key;
    return query_value;
}

void fo_fuzz_set_query(const char *value) {
    query_value = value;
}

static void cleanup(void) {
    fo_service_destroy(svc);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "fuzz: could not remove %s\n", dir);
}

struct fo_service *fo_fuzz_service(void) {
    if (svc)
        return svc;
    snprintf(dir, sizeof dir, "/tmp/flowopt-fuzz-XXXXXX");
    char db[128];
    if (!mkdtemp(dir))
        abort();
    snprintf(db, sizeof db, "%s/fuzz.db", dir);
    struct fo_service_config cfg = {.store = {.path = db, .create = 1}};
    struct fo_error err = {0};
    if (fo_service_create(&cfg, &svc, &err) != FO_OK)
        abort();
    atexit(cleanup);
    unsigned status = 0;
    const char body[] = "{\"dim\": 2, \"direction\": \"minimize\", \"bounds\": "
                        "{\"lo\": -1, \"hi\": 1}, \"batch_size\": 4}";
    struct fo_http_request req = {.method = "POST", .path = "/v1/runs", .svc = svc};
    const struct fo_route *route = NULL;
    char allow[64];
    if (fo_router_match("POST", "/v1/runs", &route, &req, allow, sizeof allow) !=
        FO_ROUTE_FOUND)
        abort();
    req.body = body;
    req.body_len = sizeof body - 1;
    struct fo_http_reply rep = {.status = 500};
    route->handler(&req, &rep);
    json_t *j = json_loadb(rep.body ? rep.body : "", rep.body_len, 0, NULL);
    snprintf(fo_fuzz_run, sizeof fo_fuzz_run, "%s",
             json_string_value(json_object_get(j, "id"))
                 ? json_string_value(json_object_get(j, "id"))
                 : "");
    json_decref(j);
    free(rep.body);
    status = rep.status;
    if (status != 201)
        abort();
    return svc;
}

void fo_fuzz_route(const char *method, const char *path, const char *body, size_t len,
                   unsigned *status) {
    struct fo_http_request req = {
        .method = method, .path = path, .svc = fo_fuzz_service()};
    const struct fo_route *route = NULL;
    char allow[64];
    *status = 0;
    if (fo_router_match(method, path, &route, &req, allow, sizeof allow) !=
        FO_ROUTE_FOUND)
        return;
    req.body = len ? body : NULL;
    req.body_len = len;
    struct fo_http_reply rep = {.status = 500};
    route->handler(&req, &rep);
    *status = rep.status;
    if (rep.status == 201 && rep.body) { /* a run made: gone again */
        json_t *j = json_loadb(rep.body, rep.body_len, 0, NULL);
        const char *id = json_string_value(json_object_get(j, "id"));
        if (id && strcmp(id, fo_fuzz_run) != 0)
            fo_service_run_delete(svc, id, NULL);
        json_decref(j);
    }
    free(rep.body);
}
