/* engineutil.h - helpers for the tests of the engine (libflowopt). */
#ifndef FLOWOPT_TESTS_ENGINEUTIL_H
#define FLOWOPT_TESTS_ENGINEUTIL_H

#include <stddef.h>

struct fo_engine;

/* The engine's snapshot in a new buffer (the caller frees it); bails out of
 * the test when saving fails. OUT: *len. */
unsigned char *fo_test_engine_save(const struct fo_engine *e, size_t *len);

#endif
