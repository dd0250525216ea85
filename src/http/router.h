/*
 * router.h - the declarative route table and path matching.
 *
 * A route is { method, pattern, max_body, handler }. Patterns are literal
 * segments and "{name}" placeholders that match one non-empty segment;
 * matched placeholders are copied into the request's params in order.
 * HEAD is served by the GET route of the same path.
 */
#ifndef FLOWOPT_HTTP_ROUTER_H
#define FLOWOPT_HTTP_ROUTER_H

#include <stddef.h>
#include "http/reply.h"

typedef void (*fo_route_handler)(const struct fo_http_request *req,
                                 struct fo_http_reply *rep);

struct fo_route {
    const char *method;
    const char *pattern;
    size_t max_body; /* bytes; 0 means the route takes no body */
    fo_route_handler handler;
    const char *query; /* the query arguments it takes, space-separated (NULL: none) */
    const char
        *body_type; /* the media type its body must have (NULL: application/json) */
};

enum fo_route_result {
    FO_ROUTE_FOUND = 0,
    FO_ROUTE_NO_PATH,  /* 404 */
    FO_ROUTE_NO_METHOD /* 405; allow lists the methods the path has */
};

/*
 * Find the route for method and path in the tables compiled into the daemon.
 * OUT: *route and req->params on FO_ROUTE_FOUND; allow (capacity allow_cap,
 * comma-separated) on FO_ROUTE_NO_METHOD.
 */
enum fo_route_result fo_router_match(const char *method, const char *path,
                                     const struct fo_route **route,
                                     struct fo_http_request *req, char *allow,
                                     size_t allow_cap);

/* Same, over an explicit table (for tests). */
enum fo_route_result fo_router_match_in(const struct fo_route *table, size_t n,
                                        const char *method, const char *path,
                                        const struct fo_route **route,
                                        struct fo_http_request *req, char *allow,
                                        size_t allow_cap);

/* Route tables, one per resource file. */
extern const struct fo_route fo__system_routes[];
extern const size_t fo__n_system_routes;
extern const struct fo_route fo__runs_routes[];
extern const size_t fo__n_runs_routes;
extern const struct fo_route fo__asktell_routes[];
extern const size_t fo__n_asktell_routes;
extern const struct fo_route fo__checkpoint_routes[];
extern const size_t fo__n_checkpoint_routes;
/* the dashboard's page and files: public, they hold no data */
extern const struct fo_route fo__ui_routes[];
extern const size_t fo__n_ui_routes;

#endif
