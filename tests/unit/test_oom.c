/*
 * test_oom.c - allocation failure, SQLite's habit: the k-th allocation of
 * an engine's create and of a snapshot's load fails, for every k until the
 * call needs no more; each must fail with FO_ENOMEM (or the load's
 * FO_ECORRUPT wrapping of it never), leave nothing behind (LeakSanitizer
 * checks at exit) and succeed once the allocations suffice. The program is
 * linked with --wrap=malloc,calloc,realloc (Makefile), so the library's
 * calls come here first.
 */
#include <flowopt/opt.h>
#include "tap.h"

#include <stddef.h>
#include <stdlib.h>

void *__real_malloc(size_t n);
void *__real_calloc(size_t a, size_t b);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t a, size_t b);
void *__wrap_realloc(void *p, size_t n);

static long countdown = -1; /* allocations left before one fails; -1 never */

static int fail_now(void) {
    if (countdown < 0)
        return 0;
    return countdown-- == 0;
}

void *__wrap_malloc(size_t n) {
    return fail_now() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t a, size_t b) {
    return fail_now() ? NULL : __real_calloc(a, b);
}

void *__wrap_realloc(void *p, size_t n) {
    return fail_now() ? NULL : __real_realloc(p, n);
}

#define D 3

static double lo[D] = {-1, -1, -1}, hi[D] = {1, 1, 1};

static void config(struct fo_run_config *c) {
    fo_run_preset(c, "default", D);
    c->flow.lo = lo;
    c->flow.hi = hi;
}

static void test_create(void) {
    struct fo_run_config c;
    config(&c);
    int clean = 1;
    long k = 0;
    for (;; k++) {
        struct fo_engine *e = NULL;
        struct fo_error err = {0};
        countdown = k;
        enum fo_status st = fo_engine_create(&c, &e, &err);
        countdown = -1;
        if (st == FO_OK) {
            fo_engine_destroy(e);
            break;
        }
        clean &= st == FO_ENOMEM && e == NULL;
    }
    tap_ok(clean && k > 5,
           "fo_engine_create: each of its first %ld allocations failing gives FO_ENOMEM "
           "and nothing behind",
           k);
}

static void test_load(void) {
    struct fo_run_config c;
    config(&c);
    struct fo_engine *e = NULL;
    fo_engine_create(&c, &e, NULL);
    struct fo_sample s[6];
    double x[6 * D];
    fo_engine_ask(e, 6, s, x, NULL);
    for (int i = 0; i < 4; i++)
        fo_engine_tell(e, s[i].id, x[i * D], NULL, NULL, NULL, NULL);
    size_t len = 0;
    fo_engine_save(e, NULL, 0, &len, NULL);
    unsigned char *buf = malloc(len);
    fo_engine_save(e, buf, len, &len, NULL);
    fo_engine_destroy(e);
    int clean = 1;
    long k = 0;
    for (;; k++) {
        struct fo_engine *back = NULL;
        struct fo_error err = {0};
        countdown = k;
        enum fo_status st = fo_engine_load(buf, len, &back, &err);
        countdown = -1;
        if (st == FO_OK) {
            struct fo_engine_counters cnt;
            fo_engine_counters(back, &cnt);
            clean &= cnt.told == 4 && cnt.pending == 2;
            fo_engine_destroy(back);
            break;
        }
        clean &= st == FO_ENOMEM && back == NULL;
    }
    tap_ok(clean && k > 5,
           "fo_engine_load: each of its first %ld allocations failing gives FO_ENOMEM, "
           "never a corrupt-snapshot error, and nothing behind",
           k);
    free(buf);
}

int main(void) {
    TAP_RUN(test_create);
    TAP_RUN(test_load);
    return tap_done();
}
