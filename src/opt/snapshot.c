/*
 * snapshot.c - an engine's whole state to bytes and back (see opt.h):
 *   "FOEN" | u32 version | configuration | flow parameters | Adam state |
 *   learning rate | RNG | counters | best | mirror noise | samples in
 *   memory | the optional modules' sections (snapshot_parts.c) | u32
 *   CRC-32 of everything before it.
 * The configuration is every row of the settings table in its order (see
 * settings.h); a row newer than the snapshot takes its `absent` value.
 * Version 3 adds the stall restart (its two settings at the end of the
 * configuration, its window after the restart count); a version-2 snapshot
 * loads with the stall restart off, as the run was created. Version 4 adds
 * optimizer.failed_rank (a settings row); version 5 the CMA state (sigma,
 * generations, the two paths) after the stall window; version 6 the
 * periodic coordinates (a settings row: a flag, then D flags); version 7
 * the start (a flag, then D numbers; its scale) and where restarts centre;
 * 8 the box map, 9 active CMA, 10 the surrogate (a settings row, and its
 * archive and the generation's candidates after the samples), 11
 * importance mixing (a settings row; after the surrogate, its counts and
 * the previous generation's parameters), 12 the coordinate refiner (its
 * settings rows; a record's kind in its status word, bits 8 and up; the
 * refiner's state last), 13 the recommender (optimizer.reevaluate; its
 * two pools after the refiner), 14 the archive of modes (after them).
 * Integers are u64 and doubles IEEE bits, all little-endian, so the bytes
 * are the same on every host and a loaded run continues bit for bit.
 */
#include "opt/engine_internal.h"
#include "opt/snapshot_io.h"
#include "core/bytes.h"

#include <flowopt/settings.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SNAP_MAGIC "FOEN"
/* The engine state's own format; the settings table may need a newer one. */
#define SNAP_STATE_VERSION 20u
#define SNAP_OLDEST 2u
#define SNAP_VERSION                                                                     \
    (fo__settings_format() > SNAP_STATE_VERSION ? fo__settings_format()                  \
                                                : SNAP_STATE_VERSION)

/* One setting in its encoding: integers as u64, reals as their bits, an
 * optional real as its flag then its value, a list as its count then every
 * slot of its array, the box as lo (D) then hi (D). */
static void put_setting(struct writer *w, const struct fo_run_config *c,
                        const struct fo_setting *s) {
    switch (s->type) {
    case FO_SETTING_UINT:
    case FO_SETTING_BOOL:
    case FO_SETTING_ENUM: put_u64(w, fo__setting_int(c, s)); break;
    case FO_SETTING_REAL: put_f64(w, fo__setting_real(c, s)); break;
    case FO_SETTING_OPTIONAL_REAL:
        put_u64(w, (uint64_t)fo__setting_has(c, s));
        put_f64(w, fo__setting_real(c, s));
        break;
    case FO_SETTING_KINDS:
    case FO_SETTING_SIZES:
        put_u64(w, fo__setting_count(c, s));
        for (size_t i = 0; i < fo__setting_cap(s); i++)
            put_u64(w, fo__setting_elem(c, s, i));
        break;
    case FO_SETTING_BOUNDS:
        put_f64s(w, c->flow.lo, c->flow.dim);
        put_f64s(w, c->flow.hi, c->flow.dim);
        break;
    case FO_SETTING_POINT: {
        const double *p = fo__setting_point(c, s);
        put_u64(w, p != NULL);
        if (p)
            put_f64s(w, p, c->flow.dim);
        break;
    }
    case FO_SETTING_COORDS:
        put_u64(w, c->flow.periodic != NULL);
        for (size_t d = 0; c->flow.periodic && d < c->flow.dim; d++)
            put_u64(w, c->flow.periodic[d]);
        break;
    }
}

static void put_config(struct writer *w, const struct fo_run_config *c) {
    size_t n;
    const struct fo_setting *table = fo_settings(&n);
    for (size_t i = 0; i < n; i++)
        put_setting(w, c, &table[i]);
}

/* An integer for a field of size bytes: one that does not fit is corrupt. */
static uint64_t get_int(struct reader *r, size_t size) {
    uint64_t v = get_u64(r);
    if (size < 8 && v > UINT32_MAX)
        r->bad = 1;
    return v;
}

static void get_setting(struct reader *r, struct fo_run_config *c,
                        const struct fo_setting *s, struct fo_setting_arrays *a) {
    if (s->since > r->version) { /* written before the setting existed */
        if (s->type == FO_SETTING_COORDS)
            c->flow.periodic = NULL;
        else if (s->type == FO_SETTING_POINT)
            fo__setting_put_point(c, s, NULL);
        else if (s->type == FO_SETTING_OPTIONAL_REAL)
            fo__setting_put_has(c, s, 0);
        else if (s->type == FO_SETTING_REAL)
            fo__setting_put_real(c, s, s->absent);
        else
            fo__setting_put_int(c, s, (uint64_t)s->absent);
        return;
    }
    switch (s->type) {
    case FO_SETTING_UINT:
    case FO_SETTING_BOOL:
    case FO_SETTING_ENUM: fo__setting_put_int(c, s, get_int(r, s->size)); break;
    case FO_SETTING_REAL: fo__setting_put_real(c, s, get_f64(r)); break;
    case FO_SETTING_OPTIONAL_REAL: {
        uint64_t has = get_u64(r);
        r->bad |= has > 1;
        fo__setting_put_has(c, s, has == 1);
        fo__setting_put_real(c, s, get_f64(r));
        break;
    }
    case FO_SETTING_KINDS:
    case FO_SETTING_SIZES: {
        uint64_t n = get_u64(r);
        r->bad |= n > fo__setting_cap(s);
        fo__setting_put_count(c, s, n > fo__setting_cap(s) ? 0 : (size_t)n);
        for (size_t i = 0; i < fo__setting_cap(s); i++)
            fo__setting_put_elem(c, s, i, get_int(r, fo__setting_elem_size(s)));
        break;
    }
    case FO_SETTING_BOUNDS:
        if (c->flow.dim < 1 || c->flow.dim > FO_FLOW_MAX_DIM) {
            r->bad = 1;
            return;
        }
        get_f64s(r, a->lo, c->flow.dim);
        get_f64s(r, a->hi, c->flow.dim);
        c->flow.lo = a->lo;
        c->flow.hi = a->hi;
        break;
    case FO_SETTING_POINT: {
        uint64_t has = get_u64(r);
        r->bad |= has > 1 || c->flow.dim < 1 || c->flow.dim > FO_FLOW_MAX_DIM;
        if (has == 1 && !r->bad)
            get_f64s(r, a->points[s->slot], c->flow.dim);
        fo__setting_put_point(c, s, has == 1 ? a->points[s->slot] : NULL);
        break;
    }
    case FO_SETTING_COORDS: {
        uint64_t has = get_u64(r);
        r->bad |= has > 1 || c->flow.dim < 1 || c->flow.dim > FO_FLOW_MAX_DIM;
        for (size_t d = 0; has == 1 && !r->bad && d < c->flow.dim; d++) {
            uint64_t f = get_u64(r);
            r->bad |= f > 1;
            a->periodic[d] = (unsigned char)f;
        }
        c->flow.periodic = has == 1 ? a->periodic : NULL;
        break;
    }
    }
}

/* Reads a configuration; its per-coordinate arrays go into a. */
static void get_config(struct reader *r, struct fo_run_config *c,
                       struct fo_setting_arrays *a) {
    size_t n;
    const struct fo_setting *table = fo_settings(&n);
    memset(c, 0, sizeof *c);
    for (size_t i = 0; i < n && !r->bad; i++)
        get_setting(r, c, &table[i], a);
}

static void put_state(struct writer *w, const struct fo_engine *e) {
    const size_t P = fo_flow_n_params(e->flow), D = e->D;
    put_f64s(w, fo_flow_params_const(e->flow), P);
    put_f64s(w, e->good_params, P);
    put_u64(w, e->adam->t);
    put_f64s(w, e->adam->m, P);
    put_f64s(w, e->adam->v, P);
    put_f64(w, e->lr);
    put_f64(w, e->lr_net);
    unsigned char rng[FO_RNG_STATE_BYTES + 7] = {0};
    fo_rng_save(&e->rng, rng);
    for (size_t i = 0; i < sizeof rng; i += 8)
        put_u64(w, fo__get_u64(rng + i));
    const uint64_t counters[] = {e->next_id,
                                 e->generation,
                                 e->updates,
                                 e->asked,
                                 e->told,
                                 e->failed,
                                 e->rollbacks,
                                 e->nonfinite,
                                 e->resolved_in_gen,
                                 e->last_improve_gen,
                                 (uint64_t)e->stop,
                                 (uint64_t)e->has_best,
                                 e->best_id,
                                 e->best_gen,
                                 (uint64_t)e->has_mirror};
    for (size_t i = 0; i < sizeof counters / sizeof counters[0]; i++)
        put_u64(w, counters[i]);
    put_f64(w, e->best_value);
    put_f64s(w, e->best_x, D);
    put_f64s(w, e->mirror, D);
    put_f64s(w, e->conv_lo, FO_RESTART_WINDOW);
    put_f64s(w, e->conv_hi, FO_RESTART_WINDOW);
    put_u64(w, e->conv_n);
    put_u64(w, e->restarts_done);
    put_u64(w, e->stall_n);
    put_f64s(w, e->stall_best, e->cfg.restart_stall + 1);
    put_f64(w, e->cma_sigma);
    put_u64(w, e->cma_gen);
    put_f64s(w, e->cma_ps, D);
    put_f64s(w, e->cma_pc, D);
    put_u64(w, e->n_recs);
    for (size_t i = 0; i < e->n_recs; i++) {
        const struct fo_rec *rec = &e->recs[i];
        put_u64(w, rec->id);
        put_u64(w, rec->generation);
        put_f64(w, rec->value);
        put_f64(w, rec->lb);
        put_u64(w, (uint64_t)rec->status | (uint64_t)rec->kind << 8);
        put_f64s(w, e->xs + i * D, D);
    }
    fo__snap_put_parts(w, e);
}

enum fo_status fo_engine_save(const struct fo_engine *e, unsigned char *buf, size_t cap,
                              size_t *len, struct fo_error *err) {
    struct writer w = {NULL, 8, 0};
    put_config(&w, &e->cfg);
    put_state(&w, e);
    size_t need = w.len + 4;
    *len = need;
    if (!buf)
        return FO_OK;
    if (cap < need)
        return fo_error_set(err, FO_ETOOBIG, "buffer", "need %zu bytes, have %zu", need,
                            cap);
    memcpy(buf, SNAP_MAGIC, 4);
    fo__put_u32(buf + 4, SNAP_VERSION);
    w = (struct writer){buf, 8, cap};
    put_config(&w, &e->cfg);
    put_state(&w, e);
    fo__put_u32(buf + need - 4, fo__crc32(buf, need - 4));
    return FO_OK;
}

static enum fo_status get_records(struct reader *r, struct fo_engine *e,
                                  struct fo_error *err) {
    uint64_t n = get_u64(r);
    /* each record takes at least 5 words: cap the count by the bytes left */
    if (r->bad || n > (r->len - r->pos) / (8 * (5 + e->D)))
        return fo_error_set(err, FO_ECORRUPT, "snapshot", "bad sample count");
    enum fo_status st = fo__engine_reserve(e, (size_t)n, err);
    if (st != FO_OK)
        return st;
    uint64_t prev = 0;
    for (size_t i = 0; i < n; i++) {
        struct fo_rec *rec = &e->recs[i];
        rec->id = get_u64(r);
        rec->generation = get_u64(r);
        rec->value = get_f64(r);
        rec->lb = get_f64(r);
        rec->cur_id = rec->id; /* the lost ones are in their own section */
        rec->lost_id = 0;
        uint64_t word = get_u64(r);
        rec->status = (int)(word & 0xff);
        rec->kind = r->version >= 12 ? (int)(word >> 8) : FO_REC_FLOW;
        get_f64s(r, e->xs + i * e->D, e->D);
        if (rec->id <= prev || rec->id >= e->next_id || rec->status < 0 ||
            rec->status > 2 || rec->kind > FO_REC_DRIFT)
            r->bad = 1;
        prev = rec->id;
    }
    e->n_recs = (size_t)n;
    return r->bad ? fo_error_set(err, FO_ECORRUPT, "snapshot", "bad sample records")
                  : FO_OK;
}

static enum fo_status get_state(struct reader *r, struct fo_engine *e,
                                struct fo_error *err) {
    const size_t P = fo_flow_n_params(e->flow), D = e->D;
    get_f64s(r, fo_flow_params(e->flow), P);
    get_f64s(r, e->good_params, P);
    e->adam->t = get_u64(r);
    get_f64s(r, e->adam->m, P);
    get_f64s(r, e->adam->v, P);
    e->lr = get_f64(r);
    e->lr_net = get_f64(r);
    unsigned char rng[FO_RNG_STATE_BYTES + 7];
    for (size_t i = 0; i < sizeof rng; i += 8)
        fo__put_u64(rng + i, get_u64(r));
    if (!r->bad && fo_rng_load(&e->rng, rng) != 0)
        r->bad = 1;
    uint64_t *counters[] = {&e->next_id,         &e->generation, &e->updates,
                            &e->asked,           &e->told,       &e->failed,
                            &e->rollbacks,       &e->nonfinite,  &e->resolved_in_gen,
                            &e->last_improve_gen};
    for (size_t i = 0; i < sizeof counters / sizeof counters[0]; i++)
        *counters[i] = get_u64(r);
    e->stop = (enum fo_stop)get_u64(r);
    e->has_best = (int)get_u64(r);
    e->best_id = get_u64(r);
    e->best_gen = get_u64(r);
    e->has_mirror = (int)get_u64(r);
    e->best_value = get_f64(r);
    get_f64s(r, e->best_x, D);
    get_f64s(r, e->mirror, D);
    get_f64s(r, e->conv_lo, FO_RESTART_WINDOW);
    get_f64s(r, e->conv_hi, FO_RESTART_WINDOW);
    e->conv_n = get_u64(r);
    e->restarts_done = get_u64(r);
    if (r->version >= 3) {
        e->stall_n = get_u64(r);
        get_f64s(r, e->stall_best, e->cfg.restart_stall + 1);
    }
    if (r->version >= 5) { /* the CMA state; older runs had none (sigma 1) */
        e->cma_sigma = get_f64(r);
        e->cma_gen = get_u64(r);
        get_f64s(r, e->cma_ps, D);
        get_f64s(r, e->cma_pc, D);
        r->bad |= !(isfinite(e->cma_sigma) && e->cma_sigma > 0.0);
    }
    if (r->bad || !isfinite(e->lr) || e->lr <= 0.0 || !isfinite(e->lr_net) ||
        e->lr_net <= 0.0 || e->stop > FO_STOP_COST)
        return fo_error_set(err, FO_ECORRUPT, "snapshot", "bad engine state");
    for (size_t i = 0; i < P; i++)
        if (!isfinite(fo_flow_params(e->flow)[i]))
            return fo_error_set(err, FO_ECORRUPT, "snapshot", "non-finite parameter");
    enum fo_status st = get_records(r, e, err);
    if (st == FO_OK)
        st = fo__snap_get_parts(r, e, err);
    return st;
}

/* The header: magic, a version this build reads, the checksum. */
static enum fo_status check_header(const unsigned char *buf, size_t len,
                                   unsigned *version, struct fo_error *err) {
    if (len < 12 || memcmp(buf, SNAP_MAGIC, 4) != 0)
        return fo_error_set(err, FO_ECORRUPT, "snapshot", "not a flowopt run snapshot");
    *version = fo__get_u32(buf + 4);
    if (*version < SNAP_OLDEST || *version > SNAP_VERSION)
        return fo_error_set(err, FO_ECORRUPT, "snapshot", "unknown snapshot version %u",
                            *version);
    if (fo__get_u32(buf + len - 4) != fo__crc32(buf, len - 4))
        return fo_error_set(err, FO_ECORRUPT, "snapshot", "checksum mismatch");
    return FO_OK;
}

enum fo_status fo_engine_snapshot_config(const unsigned char *buf, size_t len,
                                         struct fo_run_config *cfg,
                                         struct fo_setting_arrays *arrays,
                                         struct fo_error *err) {
    unsigned version = 0;
    enum fo_status st = check_header(buf, len, &version, err);
    if (st != FO_OK)
        return st;
    struct reader r = {buf, len - 4, 8, 0, version};
    get_config(&r, cfg, arrays);
    return r.bad ? fo_error_set(err, FO_ECORRUPT, "snapshot", "truncated configuration")
                 : FO_OK;
}

enum fo_status fo_engine_load(const unsigned char *buf, size_t len,
                              struct fo_engine **out, struct fo_error *err) {
    *out = NULL;
    unsigned version = 0;
    enum fo_status hst = check_header(buf, len, &version, err);
    if (hst != FO_OK)
        return hst;
    struct reader r = {buf, len - 4, 8, 0, version};
    struct fo_run_config cfg;
    struct fo_setting_arrays *a = malloc(sizeof *a);
    if (!a)
        return fo_error_set(err, FO_ENOMEM, "snapshot", "out of memory");
    get_config(&r, &cfg, a);
    enum fo_status st;
    if (r.bad) {
        st = fo_error_set(err, FO_ECORRUPT, "snapshot", "truncated configuration");
    } else {
        struct fo_error inner = {0};
        st = fo__engine_alloc(&cfg, out, &inner);
        if (st != FO_OK && st != FO_ENOMEM)
            st = fo_error_set(err, FO_ECORRUPT, "snapshot", "bad configuration: %s",
                              inner.msg);
        else if (st != FO_OK && err)
            *err = inner;
    }
    free(a);
    if (st != FO_OK)
        return st;
    st = get_state(&r, *out, err);
    if (st == FO_OK && r.pos != r.len)
        st = fo_error_set(err, FO_ECORRUPT, "snapshot", "trailing bytes");
    if (st != FO_OK) {
        fo_engine_destroy(*out);
        *out = NULL;
    }
    return st;
}
