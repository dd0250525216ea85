/* fuzz_query.c - query arguments as the read routes parse them (limits,
 * cursors, generations, formats, max_points...): the input is the value
 * every argument has; the first byte picks the route. */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char fo_fuzz_name[] = "query";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* what follows /v1/runs/ID; "-": /v1/runs, "=": /v1/settings */
    static const char *const routes[] = {"-",      "/samples",     "/history", "/best",
                                         "/modes", "/checkpoints", "",         "="};
    if (size < 1 || size > 4096)
        return 0;
    fo_fuzz_service();
    char *value = malloc(size);
    if (!value)
        return 0;
    memcpy(value, data + 1, size - 1);
    value[size - 1] = '\0';
    char path[128];
    const char *tail = routes[data[0] % (sizeof routes / sizeof routes[0])];
    if (tail[0] == '-' || tail[0] == '=')
        snprintf(path, sizeof path, "%s", tail[0] == '-' ? "/v1/runs" : "/v1/settings");
    else
        snprintf(path, sizeof path, "/v1/runs/%s%s", fo_fuzz_run, tail);
    fo_fuzz_set_query(value);
    unsigned status;
    fo_fuzz_route("GET", path, NULL, 0, &status);
    fo_fuzz_set_query(NULL);
    free(value);
    return 0;
}
