/* version.c - the library's own version, for callers linked against it. */
#include <flowopt/flowopt.h>

const char *fo_version(void) {
    return FO_VERSION_STRING;
}
