/*
 * settings.c - what the table of run settings (settings_table.c) drives in
 * the library: presets, per-field validation, typed access for snapshots,
 * and building a configuration from a request's values.
 */
#include "opt/engine_internal.h"
#include "opt/utility.h"

#include <flowopt/settings.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

const struct fo_setting *fo_settings(size_t *n) {
    *n = fo__n_settings;
    return fo__settings_table;
}

const struct fo_setting *fo_setting_find(const char *name) {
    for (size_t i = 0; name && i < fo__n_settings; i++)
        if (strcmp(fo__settings_table[i].name, name) == 0)
            return &fo__settings_table[i];
    return NULL;
}

unsigned fo__settings_format(void) {
    unsigned v = 0;
    for (size_t i = 0; i < fo__n_settings; i++)
        v = fo__settings_table[i].since > v ? fo__settings_table[i].since : v;
    return v;
}

/* ---- typed access through a row's offsets -------------------------------- */

static void *field(struct fo_run_config *c, size_t offset) {
    return (unsigned char *)c + offset;
}

static const void *cfield(const struct fo_run_config *c, size_t offset) {
    return (const unsigned char *)c + offset;
}

/* Integers of 4 (unsigned, int, enums) or 8 bytes (size_t, uint64_t). */
static void put_int(void *p, size_t size, uint64_t v) {
    if (size == sizeof(uint32_t)) {
        uint32_t u = (uint32_t)v;
        memcpy(p, &u, sizeof u);
    } else {
        memcpy(p, &v, sizeof v);
    }
}

static uint64_t get_int(const void *p, size_t size) {
    if (size == sizeof(uint32_t)) {
        uint32_t u;
        memcpy(&u, p, sizeof u);
        return u;
    }
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

const double *fo__setting_point(const struct fo_run_config *c,
                                const struct fo_setting *s) {
    const double *p;
    memcpy(&p, (const char *)c + s->offset, sizeof p);
    return p;
}

void fo__setting_put_point(struct fo_run_config *c, const struct fo_setting *s,
                           const double *p) {
    memcpy((char *)c + s->offset, &p, sizeof p);
}

uint64_t fo__setting_int(const struct fo_run_config *c, const struct fo_setting *s) {
    return get_int(cfield(c, s->offset), s->size);
}

void fo__setting_put_int(struct fo_run_config *c, const struct fo_setting *s,
                         uint64_t v) {
    put_int(field(c, s->offset), s->size, v);
}

double fo__setting_real(const struct fo_run_config *c, const struct fo_setting *s) {
    double v;
    memcpy(&v, cfield(c, s->offset), sizeof v);
    return v;
}

void fo__setting_put_real(struct fo_run_config *c, const struct fo_setting *s, double v) {
    memcpy(field(c, s->offset), &v, sizeof v);
}

/* The list of a KINDS or SIZES row, and its count (a size_t at aux). */
size_t fo__setting_count(const struct fo_run_config *c, const struct fo_setting *s) {
    size_t n;
    memcpy(&n, cfield(c, s->aux), sizeof n);
    return n;
}

void fo__setting_put_count(struct fo_run_config *c, const struct fo_setting *s,
                           size_t n) {
    memcpy(field(c, s->aux), &n, sizeof n);
}

size_t fo__setting_elem_size(const struct fo_setting *s) {
    return s->type == FO_SETTING_KINDS ? sizeof(enum fo_layer_kind) : sizeof(size_t);
}

size_t fo__setting_cap(const struct fo_setting *s) {
    return s->type == FO_SETTING_KINDS ? FO_FLOW_MAX_LAYERS : FO_FLOW_MAX_HIDDEN_LAYERS;
}

uint64_t fo__setting_elem(const struct fo_run_config *c, const struct fo_setting *s,
                          size_t i) {
    return get_int(cfield(c, s->offset + i * fo__setting_elem_size(s)),
                   fo__setting_elem_size(s));
}

void fo__setting_put_elem(struct fo_run_config *c, const struct fo_setting *s, size_t i,
                          uint64_t v) {
    put_int(field(c, s->offset + i * fo__setting_elem_size(s)), fo__setting_elem_size(s),
            v);
}

int fo__setting_has(const struct fo_run_config *c, const struct fo_setting *s) {
    int has;
    memcpy(&has, cfield(c, s->aux), sizeof has);
    return has;
}

void fo__setting_put_has(struct fo_run_config *c, const struct fo_setting *s, int has) {
    memcpy(field(c, s->aux), &has, sizeof has);
}

/* ---- ranges ---------------------------------------------------------------- */

static int in_range(const struct fo_setting *s, double v) {
    if (isnan(v) || (!(s->flags & FO_SETTING_INF) && !isfinite(v)))
        return 0;
    int lo_ok = s->flags & FO_SETTING_MIN_OPEN ? v > s->min : v >= s->min;
    int hi_ok = s->flags & FO_SETTING_MAX_OPEN ? v < s->max : v <= s->max;
    return lo_ok && hi_ok;
}

static int int_in_range(const struct fo_setting *s, int64_t v) {
    return (double)v >= s->min && (double)v <= s->max;
}

void fo_setting_range_text(const struct fo_setting *s, char *buf, size_t cap) {
    int integer = s->type == FO_SETTING_UINT || s->type == FO_SETTING_SIZES;
    const char *what = integer ? "an integer " : "";
    if (s->type == FO_SETTING_BOOL) {
        snprintf(buf, cap, "true or false");
    } else if (s->type == FO_SETTING_ENUM || s->type == FO_SETTING_KINDS) {
        size_t used = (size_t)snprintf(buf, cap, "one of");
        for (size_t i = 0; i < s->n_names && used < cap; i++)
            used += (size_t)snprintf(buf + used, cap - used, "%s %s", i ? "," : "",
                                     s->names[i]);
    } else if (s->type == FO_SETTING_BOUNDS) {
        snprintf(buf, cap, "finite lo < hi per coordinate");
    } else if (s->type == FO_SETTING_COORDS) {
        snprintf(buf, cap, "true, false or a list of coordinate indices");
    } else if (s->type == FO_SETTING_POINT) {
        snprintf(buf, cap, "a point inside the bounds, one number per coordinate");
    } else if (s->flags & FO_SETTING_INF && isinf(s->min) && isinf(s->max)) {
        snprintf(buf, cap, "any number but NaN");
    } else if (isinf(s->min) && isinf(s->max)) {
        snprintf(buf, cap, "a finite number");
    } else if (isinf(s->max) || s->max >= FO_SETTING_INT_MAX) {
        snprintf(buf, cap, "%s%s %.17g", what,
                 s->flags & FO_SETTING_MIN_OPEN ? ">" : ">=", s->min);
    } else {
        snprintf(buf, cap, "%sin %c%.17g, %.17g%c", what,
                 s->flags & FO_SETTING_MIN_OPEN ? '(' : '[', s->min, s->max,
                 s->flags & FO_SETTING_MAX_OPEN ? ')' : ']');
    }
}

static enum fo_status range_error(const struct fo_setting *s, enum fo_status code,
                                  const char *got, struct fo_error *err) {
    char range[160];
    fo_setting_range_text(s, range, sizeof range);
    return fo_error_set(err, code, s->name, "%s must be %s%s%s", s->name, range,
                        got ? ", got " : "", got ? got : "");
}

static enum fo_status real_error(const struct fo_setting *s, double v,
                                 struct fo_error *err) {
    char got[32];
    snprintf(got, sizeof got, "%.17g", v);
    return range_error(s, FO_ERANGE, got, err);
}

static enum fo_status int_error(const struct fo_setting *s, int64_t v,
                                struct fo_error *err) {
    char got[32];
    snprintf(got, sizeof got, "%lld", (long long)v);
    return range_error(s, FO_ERANGE, got, err);
}

static int name_index(const struct fo_setting *s, const char *name) {
    for (size_t i = 0; name && i < s->n_names; i++)
        if (strcmp(name, s->names[i]) == 0)
            return (int)i;
    return -1;
}

/* ---- set, get, compare ------------------------------------------------------- */

/* Check v completely; nothing is stored here. OUT: enum indices. */
static enum fo_status check_value(const struct fo_setting *s,
                                  const struct fo_setting_value *v, int *index,
                                  struct fo_error *err) {
    switch (s->type) {
    case FO_SETTING_UINT:
        return int_in_range(s, v->integer) ? FO_OK : int_error(s, v->integer, err);
    case FO_SETTING_BOOL:
        return v->integer == 0 || v->integer == 1 ? FO_OK
                                                  : range_error(s, FO_EINVAL, NULL, err);
    case FO_SETTING_ENUM:
        index[0] = name_index(s, v->text);
        return index[0] >= 0 ? FO_OK : range_error(s, FO_EINVAL, NULL, err);
    case FO_SETTING_REAL:
        return in_range(s, v->real) ? FO_OK : real_error(s, v->real, err);
    case FO_SETTING_OPTIONAL_REAL:
        return v->none || in_range(s, v->real) ? FO_OK : real_error(s, v->real, err);
    case FO_SETTING_KINDS:
        if (v->n < 1 || v->n > FO_FLOW_MAX_LAYERS)
            return fo_error_set(err, FO_EINVAL, s->name, "%s must be 1 to %d layer names",
                                s->name, FO_FLOW_MAX_LAYERS);
        for (size_t i = 0; i < v->n; i++)
            if ((index[i] = name_index(s, v->texts[i])) < 0)
                return range_error(s, FO_EINVAL, v->texts[i] ? v->texts[i] : "null", err);
        return FO_OK;
    case FO_SETTING_SIZES:
        if (v->n > FO_FLOW_MAX_HIDDEN_LAYERS)
            return fo_error_set(err, FO_EINVAL, s->name, "%s must be up to %d sizes",
                                s->name, FO_FLOW_MAX_HIDDEN_LAYERS);
        for (size_t i = 0; i < v->n; i++)
            if (!int_in_range(s, v->integers[i]))
                return int_error(s, v->integers[i], err);
        return FO_OK;
    case FO_SETTING_BOUNDS:
        return !v->lo == !v->hi ? FO_OK
                                : fo_error_set(err, FO_EINVAL, s->name,
                                               "give both lo and hi, or neither");
    case FO_SETTING_COORDS: return FO_OK; /* the flow checks each flag against its box */
    case FO_SETTING_POINT: return FO_OK;  /* checked against the box with the run */
    }
    return fo_error_set(err, FO_EINVAL, s->name, "unknown setting type");
}

enum fo_status fo_setting_set(struct fo_run_config *c, const struct fo_setting_value *v,
                              struct fo_error *err) {
    const struct fo_setting *s = v->setting;
    int index[FO_SETTING_MAX_LIST];
    enum fo_status st = check_value(s, v, index, err);
    if (st != FO_OK)
        return st;
    switch (s->type) {
    case FO_SETTING_UINT:
        fo__setting_put_int(c, s, (uint64_t)v->integer);
        if (s->aux)
            put_int(field(c, s->aux), s->size, (uint64_t)v->integer);
        break;
    case FO_SETTING_BOOL: fo__setting_put_int(c, s, (uint64_t)v->integer); break;
    case FO_SETTING_ENUM: fo__setting_put_int(c, s, (uint64_t)index[0]); break;
    case FO_SETTING_REAL: fo__setting_put_real(c, s, v->real); break;
    case FO_SETTING_OPTIONAL_REAL:
        fo__setting_put_has(c, s, !v->none);
        fo__setting_put_real(c, s, v->none ? 0.0 : v->real);
        break;
    case FO_SETTING_KINDS:
    case FO_SETTING_SIZES:
        fo__setting_put_count(c, s, v->n);
        for (size_t i = 0; i < fo__setting_cap(s); i++) {
            uint64_t e = s->type == FO_SETTING_KINDS ? (uint64_t)index[i]
                                                     : (uint64_t)v->integers[i];
            fo__setting_put_elem(c, s, i, i < v->n ? e : 0);
        }
        break;
    case FO_SETTING_BOUNDS:
        c->flow.lo = v->lo;
        c->flow.hi = v->hi;
        break;
    case FO_SETTING_COORDS: c->flow.periodic = v->mask; break;
    case FO_SETTING_POINT: fo__setting_put_point(c, s, v->point); break;
    }
    return FO_OK;
}

void fo_setting_get(const struct fo_run_config *c, const struct fo_setting *s,
                    struct fo_setting_value *out) {
    memset(out, 0, sizeof *out);
    out->setting = s;
    switch (s->type) {
    case FO_SETTING_UINT:
    case FO_SETTING_BOOL: out->integer = (int64_t)fo__setting_int(c, s); break;
    case FO_SETTING_ENUM: {
        uint64_t i = fo__setting_int(c, s);
        out->text = i < s->n_names ? s->names[i] : "unknown";
        break;
    }
    case FO_SETTING_REAL: out->real = fo__setting_real(c, s); break;
    case FO_SETTING_OPTIONAL_REAL:
        out->none = !fo__setting_has(c, s);
        out->real = fo__setting_real(c, s);
        break;
    case FO_SETTING_KINDS:
    case FO_SETTING_SIZES:
        out->n = fo__setting_count(c, s);
        out->n = out->n < fo__setting_cap(s) ? out->n : fo__setting_cap(s);
        for (size_t i = 0; i < out->n; i++) {
            uint64_t e = fo__setting_elem(c, s, i);
            if (s->type == FO_SETTING_KINDS)
                out->texts[i] = e < s->n_names ? s->names[e] : "unknown";
            else
                out->integers[i] = (int64_t)e;
        }
        break;
    case FO_SETTING_BOUNDS:
        out->lo = c->flow.lo;
        out->hi = c->flow.hi;
        break;
    case FO_SETTING_COORDS: out->mask = c->flow.periodic; break;
    case FO_SETTING_POINT: out->point = fo__setting_point(c, s); break;
    }
}

static int coord_flag(const unsigned char *mask, size_t d) {
    return mask && mask[d];
}

int fo_setting_equal(const struct fo_run_config *a, const struct fo_run_config *b,
                     const struct fo_setting *s) {
    if (s->type == FO_SETTING_BOUNDS) {
        size_t D = a->flow.dim;
        if (D != b->flow.dim || !a->flow.lo != !b->flow.lo)
            return 0;
        return !a->flow.lo || (memcmp(a->flow.lo, b->flow.lo, D * sizeof(double)) == 0 &&
                               memcmp(a->flow.hi, b->flow.hi, D * sizeof(double)) == 0);
    }
    if (s->type == FO_SETTING_POINT) {
        size_t D = a->flow.dim;
        const double *pa = fo__setting_point(a, s), *pb = fo__setting_point(b, s);
        return D == b->flow.dim && !pa == !pb &&
               (!pa || memcmp(pa, pb, D * sizeof(double)) == 0);
    }
    if (s->type == FO_SETTING_COORDS) {
        if (a->flow.dim != b->flow.dim)
            return 0;
        for (size_t d = 0; d < a->flow.dim; d++)
            if (coord_flag(a->flow.periodic, d) != coord_flag(b->flow.periodic, d))
                return 0;
        return 1;
    }
    if (s->type == FO_SETTING_KINDS || s->type == FO_SETTING_SIZES) {
        size_t n = fo__setting_count(a, s);
        if (n != fo__setting_count(b, s))
            return 0;
        for (size_t i = 0; i < n && i < fo__setting_cap(s); i++)
            if (fo__setting_elem(a, s, i) != fo__setting_elem(b, s, i))
                return 0;
        return 1;
    }
    if (s->type == FO_SETTING_OPTIONAL_REAL &&
        fo__setting_has(a, s) != fo__setting_has(b, s))
        return 0;
    return memcmp(cfield(a, s->offset), cfield(b, s->offset), s->size) == 0;
}

/* ---- whole configurations ------------------------------------------------------ */

static int enabled(const struct fo_run_config *c, const struct fo_setting *s) {
    const struct fo_setting *w = s->when ? fo_setting_find(s->when) : NULL;
    return !w || fo__setting_int(c, w) != 0;
}

enum fo_status fo_settings_check(const struct fo_run_config *c, struct fo_error *err) {
    for (size_t i = 0; i < fo__n_settings; i++) {
        const struct fo_setting *s = &fo__settings_table[i];
        if (!enabled(c, s)) {
            /* unused, yet shown and saved: a snapshot's NaN here made a run
             * whose JSON could not be written */
            struct fo_setting_value v;
            fo_setting_get(c, s, &v);
            int real = s->type == FO_SETTING_REAL ||
                       (s->type == FO_SETTING_OPTIONAL_REAL && !v.none);
            if (real &&
                (isnan(v.real) || (isinf(v.real) && !(s->flags & FO_SETTING_INF))))
                return fo_error_set(err, FO_ERANGE, s->name, "%s must be finite",
                                    s->name);
            continue;
        }
        int list = s->type == FO_SETTING_KINDS || s->type == FO_SETTING_SIZES;
        if (list && fo__setting_count(c, s) > fo__setting_cap(s))
            return range_error(s, FO_ERANGE, NULL, err);
        /* an enum index past the names reads back as "unknown": refused */
        struct fo_setting_value v;
        fo_setting_get(c, s, &v);
        int index[FO_SETTING_MAX_LIST];
        enum fo_status st = check_value(s, &v, index, err);
        if (st != FO_OK)
            return st;
    }
    return FO_OK;
}

/* A start lies where the flow can put a distribution's centre: strictly
 * inside a box (its map sends the edges to infinity), in [lo, hi) on a
 * circle, anywhere finite on the line; and it needs a Gaussian innermost. */
static enum fo_status check_start(const struct fo_run_config *c, struct fo_error *err) {
    if (!c->start && !c->has_start_scale)
        return FO_OK;
    size_t L = c->flow.n_layers;
    if (L < 1 || L > FO_FLOW_MAX_LAYERS || c->flow.kinds[L - 1] != FO_LAYER_GAUSSIAN_FULL)
        return fo_error_set(err, FO_EINVAL, c->start ? "start.x" : "start.scale",
                            "a start needs gaussian-full as the innermost layer");
    for (size_t d = 0; c->start && d < c->flow.dim; d++) {
        double x = c->start[d];
        double lo = c->flow.lo ? c->flow.lo[d] : -INFINITY;
        double hi = c->flow.hi ? c->flow.hi[d] : INFINITY;
        int ok = coord_flag(c->flow.periodic, d) ? x >= lo && x < hi
                 : isfinite(lo)                  ? x > lo && x < hi
                                                 : isfinite(x);
        if (!ok)
            return fo_error_set(err, FO_ERANGE, "start.x",
                                "start.x[%zu] must lie inside the bounds (%.17g, %.17g), "
                                "got %.17g",
                                d, lo, hi, x);
    }
    return FO_OK;
}

/* structure.frequency: integers 1..16, and only with a structure. */
static enum fo_status check_structure(const struct fo_run_config *c,
                                      struct fo_error *err) {
    if (c->frequency && c->structure == FO_STRUCTURE_NONE)
        return fo_error_set(err, FO_EINVAL, "structure.frequency",
                            "structure.frequency needs structure.kind pauli-rotations");
    for (size_t d = 0; c->frequency && d < c->flow.dim; d++) {
        double k = c->frequency[d];
        if (!(k >= 1.0 && k <= 16.0 && k == floor(k)))
            return fo_error_set(err, FO_ERANGE, "structure.frequency",
                                "structure.frequency[%zu] must be an integer 1..16, got "
                                "%.17g",
                                d, k);
    }
    return FO_OK;
}

/* reference.x lies in the driver's box (it is handed out as it is), and
 * reference.every is not set without it. */
static enum fo_status check_reference(const struct fo_run_config *c,
                                      struct fo_error *err) {
    if (!c->reference && c->reference_every)
        return fo_error_set(err, FO_EINVAL, "reference.every",
                            "reference.every needs reference.x");
    for (size_t d = 0; c->reference && d < c->flow.dim; d++) {
        double x = c->reference[d];
        double lo = c->flow.lo ? c->flow.lo[d] : -INFINITY;
        double hi = c->flow.hi ? c->flow.hi[d] : INFINITY;
        int ok = isfinite(x) && x >= lo &&
                 (coord_flag(c->flow.periodic, d) ? x < hi : x <= hi);
        if (!ok)
            return fo_error_set(err, FO_ERANGE, "reference.x",
                                "reference.x[%zu] must lie inside the bounds [%.17g, "
                                "%.17g], got %.17g",
                                d, lo, hi, x);
    }
    return FO_OK;
}

/* The niching mixture adapts Gaussians as the CMA core does, and hands out
 * every point itself: with one gaussian-full layer and no other module. */
static enum fo_status check_niches(const struct fo_run_config *c, struct fo_error *err) {
    if (c->opt.niches == 0)
        return FO_OK;
    const char *why = NULL;
    if (c->flow.n_layers != 1 || c->flow.kinds[0] != FO_LAYER_GAUSSIAN_FULL)
        why = "flow.layers [gaussian-full]";
    else if (c->opt.optimizer != FO_OPTIMIZER_CMA)
        why = "optimizer.kind cma";
    else if (c->structure != FO_STRUCTURE_NONE)
        why = "structure.kind none";
    else if (c->reference)
        why = "no reference.x";
    else if (c->opt.surrogate != FO_SURROGATE_OFF || c->opt.mixing > 0.0 ||
             c->opt.reuse_generations > 0 || c->opt.reevaluate > 0)
        why = "optimizer.surrogate off, mixing 0, reuse_generations 0 and reevaluate 0";
    return why ? fo_error_set(err, FO_EINVAL, "optimizer.niches",
                              "optimizer.niches needs %s", why)
               : FO_OK;
}

/* The table's checks, then what no single row can say, then the flow's own. */
enum fo_status fo__run_config_check(const struct fo_run_config *c, struct fo_error *err) {
    enum fo_status st = fo_settings_check(c, err);
    if (st != FO_OK)
        return st;
    if (c->opt.lr_min > c->opt.lr_max)
        return fo_error_set(err, FO_ERANGE, "optimizer.lr",
                            "the controller needs lr_min <= lr_max");
    if ((st = check_start(c, err)) != FO_OK)
        return st;
    if ((st = check_structure(c, err)) != FO_OK)
        return st;
    if ((st = check_niches(c, err)) != FO_OK)
        return st;
    if ((st = check_reference(c, err)) != FO_OK)
        return st;
    if (c->opt.mixing > 0.0 && c->opt.reuse_generations > 0)
        return fo_error_set(err, FO_EINVAL, "optimizer.mixing",
                            "importance mixing and optimizer.reuse_generations are two "
                            "ways of reusing samples: set one of them to 0");
    if (c->opt.optimizer == FO_OPTIMIZER_CMA &&
        (c->flow.n_layers < 1 || c->flow.n_layers > FO_FLOW_MAX_LAYERS ||
         c->flow.kinds[c->flow.n_layers - 1] != FO_LAYER_GAUSSIAN_FULL))
        return fo_error_set(
            err, FO_EINVAL, "flow.layers",
            "optimizer kind cma needs gaussian-full as the innermost layer");
    return fo_flow_config_check(&c->flow, err);
}

static double default_value(const struct fo_setting_default *d, size_t dim) {
    double D = (double)dim, v = d->v;
    switch (d->rule) {
    case FO_DEFAULT_DIM: v = D; break;
    case FO_DEFAULT_PER_DIM:
        v = d->v * D;
        v = d->hi > 0.0 && v > d->hi ? d->hi : v;
        v = v < d->lo ? d->lo : v;
        break;
    case FO_DEFAULT_POPULATION:
        v = 4.0 + floor(3.0 * log(D));
        v = v < d->lo ? d->lo : v;
        break;
    case FO_DEFAULT_VALUE:
    case FO_DEFAULT_UNSET: break;
    }
    return v;
}

/* Every row's default under preset p (an index) for dimension dim. */
static void apply_preset(struct fo_run_config *c, size_t p, size_t dim) {
    memset(c, 0, sizeof *c);
    for (size_t i = 0; i < fo__n_settings; i++) {
        const struct fo_setting *s = &fo__settings_table[i];
        const struct fo_setting_default *d = &s->def[p];
        double v = default_value(d, dim);
        switch (s->type) {
        case FO_SETTING_UINT:
        case FO_SETTING_BOOL:
        case FO_SETTING_ENUM: fo__setting_put_int(c, s, (uint64_t)v); break;
        case FO_SETTING_REAL: fo__setting_put_real(c, s, v); break;
        case FO_SETTING_OPTIONAL_REAL:
            fo__setting_put_has(c, s, d->rule != FO_DEFAULT_UNSET);
            fo__setting_put_real(c, s, d->rule != FO_DEFAULT_UNSET ? v : 0.0);
            break;
        case FO_SETTING_KINDS:
        case FO_SETTING_SIZES:
            fo__setting_put_count(c, s, d->n);
            for (size_t k = 0; k < d->n; k++)
                fo__setting_put_elem(
                    c, s, k, s->type == FO_SETTING_KINDS ? d->kinds[k] : (uint64_t)v);
            break;
        case FO_SETTING_BOUNDS: break; /* unbounded */
        case FO_SETTING_COORDS: break; /* none */
        case FO_SETTING_POINT: break;  /* none */
        }
    }
}

int fo_run_preset(struct fo_run_config *cfg, const char *name, size_t dim) {
    for (size_t p = 0; name && p < FO_N_PRESETS; p++)
        if (strcmp(name, fo_preset_names[p]) == 0) {
            apply_preset(cfg, p, dim);
            return 0;
        }
    return -1;
}

void fo_run_config_copy(struct fo_run_config *dst, const struct fo_run_config *src,
                        double *arrays) {
    const size_t D = src->flow.dim;
    *dst = *src;
    double *lo = arrays, *hi = arrays + D;
    unsigned char *periodic = (unsigned char *)(arrays + (2 + FO_SETTING_POINTS) * D);
    for (size_t d = 0; d < D; d++) {
        lo[d] = src->flow.lo ? src->flow.lo[d] : -INFINITY;
        hi[d] = src->flow.hi ? src->flow.hi[d] : INFINITY;
        periodic[d] = (unsigned char)coord_flag(src->flow.periodic, d);
    }
    dst->flow.lo = src->flow.lo ? lo : NULL;
    dst->flow.hi = src->flow.hi ? hi : NULL;
    dst->flow.periodic = src->flow.periodic ? periodic : NULL;
    for (size_t i = 0; i < fo__n_settings; i++) {
        const struct fo_setting *s = &fo__settings_table[i];
        const double *p = s->type == FO_SETTING_POINT ? fo__setting_point(src, s) : NULL;
        if (!p)
            continue;
        double *copy = arrays + (2 + s->slot) * D;
        memcpy(copy, p, D * sizeof(double));
        fo__setting_put_point(dst, s, copy);
    }
}

static const struct fo_setting_value *find_value(const struct fo_setting_value *values,
                                                 size_t n, const struct fo_setting *s) {
    for (size_t i = 0; i < n; i++)
        if (values[i].setting == s)
            return &values[i];
    return NULL;
}

enum fo_status fo_run_config_build(struct fo_run_config *cfg, const char *preset,
                                   const struct fo_setting_value *values, size_t n,
                                   struct fo_error *err) {
    for (size_t i = 0; i < fo__n_settings; i++)
        if ((fo__settings_table[i].flags & FO_SETTING_REQUIRED) &&
            !find_value(values, n, &fo__settings_table[i]))
            return fo_error_set(err, FO_EINVAL, fo__settings_table[i].name,
                                "%s is required", fo__settings_table[i].name);
    const struct fo_setting_value *dim = find_value(values, n, fo_setting_find("dim"));
    struct fo_run_config scratch;
    enum fo_status st = fo_setting_set(&scratch, dim, err);
    if (st != FO_OK)
        return st;
    if (fo_run_preset(cfg, preset ? preset : "default", (size_t)dim->integer) != 0)
        return fo_error_set(
            err, FO_EINVAL, "optimizer.preset",
            "optimizer.preset must be default, seed, nes, cma or multimodal");
    for (size_t i = 0; i < n && st == FO_OK; i++)
        st = fo_setting_set(cfg, &values[i], err);
    if (st != FO_OK)
        return st;
    /* a rate given outside the controller's band widens the band */
    if (cfg->opt.lr < cfg->opt.lr_min)
        cfg->opt.lr_min = cfg->opt.lr;
    if (cfg->opt.lr > cfg->opt.lr_max)
        cfg->opt.lr_max = cfg->opt.lr;
    return fo__run_config_check(cfg, err);
}
