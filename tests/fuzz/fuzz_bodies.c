/* fuzz_bodies.c - the request JSON parsers: the first byte picks a write
 * route (create, ask, tell, PATCH, observations, log_prob, leases, fork),
 * the rest is its body, through the real route table, handler and service. */
#include "fuzz.h"

#include <stdio.h>

const char fo_fuzz_name[] = "bodies";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* method, and what follows /v1/runs/ID ("-": /v1/runs itself) */
    static const char *const routes[][2] = {
        {"POST", "-"},       {"POST", "/ask"},          {"POST", "/tell"},
        {"PATCH", ""},       {"POST", "/observations"}, {"POST", "/log_prob"},
        {"POST", "/leases"}, {"POST", "/fork"}};
    if (size < 1)
        return 0;
    fo_fuzz_service();
    const size_t n = sizeof routes / sizeof routes[0];
    char path[128];
    const char *tail = routes[data[0] % n][1];
    if (tail[0] == '-')
        snprintf(path, sizeof path, "/v1/runs");
    else
        snprintf(path, sizeof path, "/v1/runs/%s%s", fo_fuzz_run, tail);
    unsigned status;
    fo_fuzz_set_query(NULL);
    fo_fuzz_route(routes[data[0] % n][0], path, (const char *)data + 1, size - 1,
                  &status);
    return 0;
}
