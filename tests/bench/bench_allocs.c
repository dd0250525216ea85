/*
 * bench_allocs.c - how many allocations the engine's loop makes: this
 * program wraps malloc, calloc and realloc (through dlsym) and counts the
 * calls of 40 generations of ask, tell and update of a default-preset run
 * at D = 10, after 10 generations of warm-up. The promise (STYLE_ANCHORS
 * rule 4) is 0: buffers are sized for the generation at create. One JSON
 * line on stdout.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>
#include <stdlib.h>

#include <flowopt/opt.h>
#include <stdio.h>

static long n_alloc;
static int counting;

void *malloc(size_t n) {
    static void *(*real)(size_t);
    if (!real)
        real = (void *(*)(size_t))dlsym(RTLD_NEXT, "malloc");
    n_alloc += counting;
    return real(n);
}

void *calloc(size_t a, size_t b) {
    static void *(*real)(size_t, size_t);
    if (!real)
        real = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "calloc");
    n_alloc += counting;
    return real(a, b);
}

void *realloc(void *p, size_t n) {
    static void *(*real)(void *, size_t);
    if (!real)
        real = (void *(*)(void *, size_t))dlsym(RTLD_NEXT, "realloc");
    n_alloc += counting;
    return real(p, n);
}

int main(void) {
    enum { D = 10 };
    static double lo[D], hi[D];
    for (int d = 0; d < D; d++) {
        lo[d] = -5;
        hi[d] = 5;
    }
    struct fo_run_config cfg;
    fo_run_preset(&cfg, "default", D);
    cfg.flow.lo = lo;
    cfg.flow.hi = hi;
    struct fo_engine *e = NULL;
    if (fo_engine_create(&cfg, &e, NULL) != FO_OK)
        return 1;
    struct fo_sample s[64];
    double x[64 * D];
    for (int g = 0; g < 50; g++) {
        counting = g >= 10;
        fo_engine_ask(e, cfg.batch_size, s, x, NULL);
        for (size_t i = 0; i < cfg.batch_size; i++) {
            double v = 0.0;
            for (int d = 0; d < D; d++)
                v += x[i * D + d] * x[i * D + d];
            fo_engine_tell(e, s[i].id, v, NULL, NULL, NULL, NULL);
        }
    }
    counting = 0;
    printf("{\"bench\": \"engine_allocations\", \"dim\": %d, \"generations\": 40, "
           "\"allocations\": %ld}\n",
           D, n_alloc);
    fo_engine_destroy(e);
    return 0;
}
