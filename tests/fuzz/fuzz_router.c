/* fuzz_router.c - the path router and the gate's path rules: the input is
 * "METHOD PATH"; the path is unescaped as the library's hook does, checked,
 * and matched against the real route table. */
#include "fuzz.h"

#include "http/gate.h"
#include "http/router.h"

#include <stdlib.h>
#include <string.h>

const char fo_fuzz_name[] = "router";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > 8192)
        return 0;
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    char *path = strchr(text, ' ');
    const char *method = "GET";
    if (path) {
        *path++ = '\0';
        method = text;
    } else {
        path = text;
    }
    fo_gate_unescape(path);
    struct fo_http_request req;
    memset(&req, 0, sizeof req);
    const struct fo_route *route = NULL;
    char allow[64];
    enum fo_route_result r =
        fo_router_match(method, path, &route, &req, allow, sizeof allow);
    if (r == FO_ROUTE_FOUND && (!route || req.n_params > FO_HTTP_MAX_PARAMS))
        abort();
    struct fo_gate g = {"lab.example", "https://lab.example"};
    (void)fo_gate_path_ok(path);
    (void)fo_gate_host_ok(&g, path);
    (void)fo_gate_origin(&g, path, "127.0.0.1:8080");
    (void)fo_gate_type_is(path, "application/json");
    free(text);
    return 0;
}
