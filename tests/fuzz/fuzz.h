/*
 * fuzz.h - what every fuzz target (tests/fuzz/fuzz_*.c) shares: libFuzzer's
 * entry point, the target's name (its corpus is tests/fuzz/corpus/NAME,
 * its crashes turned regressions tests/fuzz/regressions/NAME), and a real
 * service on a temporary database for the targets that drive routes.
 *
 * `make fuzz` links each target with libFuzzer (clang); `make test` links
 * it with replay.c, which feeds it its corpus and regressions once.
 */
#ifndef FLOWOPT_TESTS_FUZZ_H
#define FLOWOPT_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>

struct fo_service;
struct fo_http_reply;

extern const char fo_fuzz_name[];
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A service on a temporary database, made on first use, with one run of
 * dimension 2 (its id in fo_fuzz_run), removed at exit. */
struct fo_service *fo_fuzz_service(void);
extern char fo_fuzz_run[32];

/* Query arguments the route handlers read while a target runs: every key
 * has value (NULL: none). Headers: none. */
void fo_fuzz_set_query(const char *value);

/* Run method path (body, len) through the route table and its handler;
 * OUT: *status. Runs a create made removes itself. */
void fo_fuzz_route(const char *method, const char *path, const char *body, size_t len,
                   unsigned *status);

#endif
