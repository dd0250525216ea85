/* router.c - see router.h. */
#include "http/router.h"

#include <stdio.h>
#include <string.h>

/* Matches path against pattern, copying placeholders into req (may be NULL). */
static int path_matches(const char *pattern, const char *path,
                        struct fo_http_request *req) {
    size_t n_params = 0;
    const char *p = pattern, *s = path;
    while (*p && *s) {
        if (*p == '{') {
            const char *pend = strchr(p, '}');
            const char *send = strchr(s, '/');
            size_t len = send ? (size_t)(send - s) : strlen(s);
            if (!pend || len == 0 || len >= FO_HTTP_PARAM_LEN ||
                n_params >= FO_HTTP_MAX_PARAMS)
                return 0;
            if (req) {
                memcpy(req->params[n_params], s, len);
                req->params[n_params][len] = '\0';
            }
            n_params++;
            p = pend + 1;
            s += len;
        } else if (*p++ != *s++) {
            return 0;
        }
    }
    if (*p || *s)
        return 0;
    if (req)
        req->n_params = n_params;
    return 1;
}

static void allow_add(char *allow, size_t cap, const char *method) {
    if (!allow || cap == 0 || strstr(allow, method))
        return;
    size_t used = strlen(allow);
    size_t need = strlen(method) + (used ? 2 : 0);
    if (used + need + 1 > cap)
        return;
    if (used)
        strcat(allow, ", ");
    strcat(allow, method);
}

enum fo_route_result fo_router_match_in(const struct fo_route *table, size_t n,
                                        const char *method, const char *path,
                                        const struct fo_route **route,
                                        struct fo_http_request *req, char *allow,
                                        size_t allow_cap) {
    int path_seen = 0;
    const char *want = strcmp(method, "HEAD") == 0 ? "GET" : method;
    if (allow && allow_cap)
        allow[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (!path_matches(table[i].pattern, path, NULL))
            continue;
        path_seen = 1;
        if (strcmp(table[i].method, want) == 0) {
            path_matches(table[i].pattern, path, req);
            *route = &table[i];
            return FO_ROUTE_FOUND;
        }
        allow_add(allow, allow_cap, table[i].method);
        if (strcmp(table[i].method, "GET") == 0)
            allow_add(allow, allow_cap, "HEAD");
    }
    return path_seen ? FO_ROUTE_NO_METHOD : FO_ROUTE_NO_PATH;
}

enum fo_route_result fo_router_match(const char *method, const char *path,
                                     const struct fo_route **route,
                                     struct fo_http_request *req, char *allow,
                                     size_t allow_cap) {
    const struct fo_route *tables[] = {fo__system_routes, fo__checkpoint_routes,
                                       fo__runs_routes, fo__asktell_routes,
                                       fo__ui_routes};
    const size_t sizes[] = {fo__n_system_routes, fo__n_checkpoint_routes,
                            fo__n_runs_routes, fo__n_asktell_routes, fo__n_ui_routes};
    enum fo_route_result best = FO_ROUTE_NO_PATH;
    if (allow && allow_cap)
        allow[0] = '\0';
    for (size_t t = 0; t < sizeof sizes / sizeof sizes[0]; t++) {
        char tallow[64];
        enum fo_route_result r = fo_router_match_in(tables[t], sizes[t], method, path,
                                                    route, req, tallow, sizeof tallow);
        if (r == FO_ROUTE_FOUND)
            return r;
        if (r != FO_ROUTE_NO_METHOD)
            continue;
        best = r;
        /* a path may have methods in several tables: merge their lists */
        char *save = NULL;
        for (char *m = strtok_r(tallow, ", ", &save); m; m = strtok_r(NULL, ", ", &save))
            allow_add(allow, allow_cap, m);
    }
    return best;
}
