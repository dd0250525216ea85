/* routes_system.c - health and other routes about the daemon itself. */
#include "http/router.h"
#include "service/service.h"

static void get_health(const struct fo_http_request *req, struct fo_http_reply *rep) {
    struct fo_health h;
    fo_service_health(req->svc, &h);
    fo_reply_json(rep, 200,
                  json_pack("{s:s, s:s, s:i}", "status", "ok", "version", h.version,
                            "schema_version", h.schema_version));
}

const struct fo_route fo__system_routes[] = {
    {"GET", "/v1/health", 0, get_health},
};
const size_t fo__n_system_routes = sizeof fo__system_routes / sizeof fo__system_routes[0];
