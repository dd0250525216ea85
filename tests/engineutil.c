/* engineutil.c - helpers for the tests of the engine; see engineutil.h. */
#include "engineutil.h"
#include <flowopt/opt.h>
#include "tap.h"

#include <stdlib.h>

unsigned char *fo_test_engine_save(const struct fo_engine *e, size_t *len) {
    fo_engine_save(e, NULL, 0, len, NULL);
    unsigned char *buf = malloc(*len);
    if (!buf || fo_engine_save(e, buf, *len, len, NULL) != FO_OK)
        tap_bail("saving the engine");
    return buf;
}
