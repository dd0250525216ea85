/*
 * snapshot_io.h - the little-endian words a snapshot is made of (u64s and
 * IEEE doubles), shared by snapshot.c (the format, configuration and core
 * state) and snapshot_parts.c (the sections of the optional modules).
 */
#ifndef FLOWOPT_OPT_SNAPSHOT_IO_H
#define FLOWOPT_OPT_SNAPSHOT_IO_H

#include "core/bytes.h"
#include <flowopt/status.h>

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct fo_engine;

struct writer {
    unsigned char *p; /* NULL: only count */
    size_t len, cap;
};

static inline void put_u64(struct writer *w, uint64_t v) {
    if (w->p && w->len + 8 <= w->cap)
        fo__put_u64(w->p + w->len, v);
    w->len += 8;
}

static inline void put_f64(struct writer *w, double v) {
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    put_u64(w, u);
}

static inline void put_f64s(struct writer *w, const double *v, size_t n) {
    for (size_t i = 0; i < n; i++)
        put_f64(w, v[i]);
}

struct reader {
    const unsigned char *p;
    size_t len, pos;
    int bad;
    unsigned version;
};

static inline uint64_t get_u64(struct reader *r) {
    if (r->bad || r->pos + 8 > r->len) {
        r->bad = 1;
        return 0;
    }
    uint64_t v = fo__get_u64(r->p + r->pos);
    r->pos += 8;
    return v;
}

static inline double get_f64(struct reader *r) {
    uint64_t u = get_u64(r);
    double v;
    memcpy(&v, &u, sizeof v);
    return v;
}

static inline void get_f64s(struct reader *r, double *v, size_t n) {
    for (size_t i = 0; i < n; i++)
        v[i] = get_f64(r);
}

/* The sections of the optional modules (snapshot_parts.c), after the
 * samples: each written always, read when the snapshot's version has it. */
void fo__snap_put_parts(struct writer *w, const struct fo_engine *e);
enum fo_status fo__snap_get_parts(struct reader *r, struct fo_engine *e,
                                  struct fo_error *err);

#endif
