/* fuzz_import.c - the checkpoint import decoder: the bytes as an export
 * (archive) or a bare snapshot, its configuration read alone, the engine
 * loaded from it, and the whole import through the service. */
#include "fuzz.h"

#include "service/checkpoints.h"
#include "service/runs.h"

#include <flowopt/opt.h>
#include <flowopt/settings.h>
#include <stdlib.h>

const char fo_fuzz_name[] = "import";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    struct fo_service *svc = fo_fuzz_service();
    struct fo_run_config cfg;
    struct fo_setting_arrays *arrays = malloc(sizeof *arrays);
    struct fo_error err = {0};
    if (arrays)
        (void)fo_engine_snapshot_config(data, size, &cfg, arrays, &err);
    free(arrays);
    struct fo_engine *e = NULL;
    if (fo_engine_load(data, size, &e, &err) == FO_OK)
        fo_engine_destroy(e);
    char id[64];
    if (fo_service_import(svc, data, size, "fuzz", id, &err) == FO_OK)
        fo_service_run_delete(svc, id, NULL);
    return 0;
}
