/*
 * test_settings.c - the table of run settings: its rows are consistent,
 * every preset is valid, every setting refuses the values just outside its
 * range by name and leaves the configuration unchanged, every setting
 * survives a snapshot, and building and tuning a configuration follow it.
 */
#include <flowopt/settings.h>
#include "opt/engine_internal.h"
#include "tap.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct fo_setting *table;
static size_t n_rows;

static void test_rows(void) {
    int unique = 1, whens = 1, aux = 1, since = 1, named = 1, found = 1, slots = 1;
    size_t live = 0;
    for (size_t i = 0; i < n_rows; i++) {
        const struct fo_setting *s = &table[i];
        for (size_t j = 0; j < i; j++)
            unique &= strcmp(s->name, table[j].name) != 0;
        const struct fo_setting *w = s->when ? fo_setting_find(s->when) : NULL;
        whens &=
            !s->when || (w && (w->type == FO_SETTING_BOOL || w->type == FO_SETTING_UINT));
        int needs_aux = s->type == FO_SETTING_OPTIONAL_REAL ||
                        s->type == FO_SETTING_KINDS || s->type == FO_SETTING_SIZES;
        aux &= !needs_aux || s->aux != 0;
        since &= s->since <= fo__settings_format() && s->since != 1;
        /* a row newer than the first format loads older snapshots with its
         * `absent` value, which only a number can be */
        since &= s->since <= 2 || s->type == FO_SETTING_UINT ||
                 s->type == FO_SETTING_BOOL || s->type == FO_SETTING_ENUM ||
                 s->type == FO_SETTING_REAL || s->type == FO_SETTING_COORDS ||
                 s->type == FO_SETTING_POINT || s->type == FO_SETTING_OPTIONAL_REAL;
        found &= fo_setting_find(s->name) == s;
        /* each point parses into a row of fo_setting_arrays of its own */
        for (size_t j = 0; s->type == FO_SETTING_POINT && j < i; j++)
            slots &= table[j].type != FO_SETTING_POINT || table[j].slot != s->slot;
        slots &= s->type != FO_SETTING_POINT ||
                 (s->slot < FO_SETTING_POINTS && s->size == sizeof(const double *));
        named &= (s->type != FO_SETTING_ENUM && s->type != FO_SETTING_KINDS) ||
                 (s->names && s->n_names > 0);
        live += (s->flags & FO_SETTING_LIVE) != 0;
        if (s->type != FO_SETTING_BOUNDS && s->type != FO_SETTING_COORDS &&
            s->type != FO_SETTING_POINT && s->type != FO_SETTING_KINDS &&
            s->type != FO_SETTING_SIZES && s->type != FO_SETTING_OPTIONAL_REAL)
            aux &= s->size == 4 || s->size == 8;
    }
    tap_ok(unique, "%zu settings, every name once", n_rows);
    tap_ok(whens, "every 'when' names an integer or boolean setting");
    tap_ok(aux, "lists, optional reals and integers have the fields they need");
    tap_ok(since,
           "no row needs a snapshot format newer than %u, and every newer row's "
           "absent value is a number (or none: coordinates, a point, an optional real)",
           fo__settings_format());
    tap_ok(named, "every enum and list of kinds has its names");
    tap_ok(slots, "every point has a pointer field and a storage slot of its own");
    tap_ok(live <= FO_SETTING_MAX_LIVE, "%zu live settings fit one PATCH", live);
    tap_ok(found && fo_setting_find("no.such") == NULL, "every row is found by its name");
}

/* Every preset is a valid configuration over the dimensions it supports. */
static void test_presets(void) {
    static const size_t dims[] = {1, 2, 3, 10, 16, 100, 409};
    for (size_t p = 0; p < FO_N_PRESETS; p++) {
        int ok = 1;
        struct fo_error err = {0};
        for (size_t k = 0; k < sizeof dims / sizeof dims[0]; k++) {
            struct fo_run_config c;
            ok &= fo_run_preset(&c, fo_preset_names[p], dims[k]) == 0 &&
                  fo__run_config_check(&c, &err) == FO_OK && c.flow.dim == dims[k];
        }
        tap_ok(ok, "preset %s is valid for D = 1 .. 409 %s", fo_preset_names[p], err.msg);
    }
    struct fo_run_config c;
    fo_run_preset(&c, "default", 10);
    tap_ok(c.batch_size == 10 && c.opt.optimizer == FO_OPTIMIZER_CMA &&
               c.flow.n_layers == 1 && c.flow.kinds[0] == FO_LAYER_GAUSSIAN_FULL &&
               c.flow.box_map == FO_BOX_FOLD && c.restart_mean == FO_RESTART_RANDOM &&
               c.restart_stall == 100 && !c.has_target && !c.flow.lo,
           "default at D = 10: batch 10, gaussian-full alone with the CMA update, boxes "
           "folded, restarts anywhere in the box");
    fo_run_preset(&c, "seed", 3);
    tap_ok(c.batch_size == 50 && c.flow.hidden[1] == 30 && !c.opt.trust_region &&
               c.opt.utility == FO_UTILITY_RAW && isinf(c.opt.entropy_floor),
           "seed at D = 3: batch 50, hidden 30, no trust region, raw, no floor");
    tap_ok(fo_run_preset(&c, "nope", 3) == -1, "an unknown preset is refused");
}

/* A real at position t in [0, 1] of s's range, or the nearest double just
 * outside it (t < 0: below, t > 1: above); NaN where only NaN is outside. */
static double real_at(const struct fo_setting *s, double t) {
    int inf_ok = (s->flags & FO_SETTING_INF) != 0;
    if (t < 0)
        return isinf(s->min)                    ? (inf_ok ? NAN : -INFINITY)
               : s->flags & FO_SETTING_MIN_OPEN ? s->min
                                                : nextafter(s->min, -INFINITY);
    if (t > 1)
        return isinf(s->max)                    ? (inf_ok ? NAN : INFINITY)
               : s->flags & FO_SETTING_MAX_OPEN ? s->max
                                                : nextafter(s->max, INFINITY);
    double lo = isinf(s->min) ? -1e12 : s->min, hi = isinf(s->max) ? 1e12 : s->max;
    double x = lo + t * (hi - lo);
    if ((s->flags & FO_SETTING_MIN_OPEN) && x == s->min)
        x = s->min + (hi - s->min) * 1e-3;
    if ((s->flags & FO_SETTING_MAX_OPEN) && x == s->max)
        x = s->max - (s->max - lo) * 1e-3;
    return x;
}

/* An integer the same way; 0 when nothing lies above the range. */
static int int_at(const struct fo_setting *s, double t, int64_t *out) {
    double top = s->max > 1e12 ? 1e12 : s->max;
    if (t > 1 && s->max > 1e12)
        return 0;
    *out = t < 0   ? (int64_t)s->min - 1
           : t > 1 ? (int64_t)s->max + 1
                   : (int64_t)(s->min + t * (top - s->min));
    return 1;
}

/* A value of s at position t of its range (see real_at). Returns 0 when s
 * has no such value. */
static int value_at(const struct fo_setting *s, double t, struct fo_setting_value *v) {
    memset(v, 0, sizeof *v);
    v->setting = s;
    int outside = t < 0 || t > 1;
    switch (s->type) {
    case FO_SETTING_REAL:
    case FO_SETTING_OPTIONAL_REAL: v->real = real_at(s, t); return 1;
    case FO_SETTING_UINT: return int_at(s, t, &v->integer);
    case FO_SETTING_SIZES:
        v->n = 2;
        if (!int_at(s, t, &v->integers[1]))
            return 0;
        v->integers[0] = (int64_t)s->min;
        return 1;
    case FO_SETTING_BOOL: v->integer = t < 0 ? -1 : t > 1 ? 2 : t > 0.5; return 1;
    case FO_SETTING_ENUM:
    case FO_SETTING_KINDS:
        v->text =
            outside ? "no-such-name" : s->names[(size_t)(t * (double)(s->n_names - 1))];
        v->n = 1;
        v->texts[0] = v->text;
        return 1;
    case FO_SETTING_BOUNDS:
    case FO_SETTING_COORDS:
    case FO_SETTING_POINT: return 0;
    }
    return 0;
}

/* Inside the range a value is stored; just outside it is refused by name,
 * with the range in the message, and nothing changes. */
static void test_ranges(void) {
    int inside = 1, refused = 1, unchanged = 1, worded = 1;
    char bad[512] = "";
    for (size_t i = 0; i < n_rows; i++) {
        const struct fo_setting *s = &table[i];
        struct fo_setting_value v;
        for (double t = 0.0; t <= 1.0; t += 0.5) {
            struct fo_run_config c;
            fo_run_preset(&c, "default", 3);
            if (value_at(s, t, &v) && fo_setting_set(&c, &v, NULL) != FO_OK) {
                inside = 0;
                snprintf(bad, sizeof bad, "%s at %g", s->name, t);
            }
        }
        for (double t = -1.0; t <= 2.0; t += 3.0) {
            struct fo_run_config c, before;
            fo_run_preset(&c, "default", 3);
            before = c;
            struct fo_error err = {0};
            if (!value_at(s, t, &v))
                continue;
            enum fo_status st = fo_setting_set(&c, &v, &err);
            if (st == FO_OK || strcmp(err.field, s->name) != 0) {
                refused = 0;
                snprintf(bad, sizeof bad, "%s %s: %.200s", s->name,
                         t < 0 ? "below" : "above", err.msg);
            }
            unchanged &= memcmp(&c, &before, sizeof c) == 0;
            worded &= strncmp(err.msg, s->name, strlen(s->name)) == 0 &&
                      strstr(err.msg, " must be ") != NULL;
        }
    }
    tap_ok(inside, "every setting takes its minimum, middle and maximum %s", bad);
    tap_ok(refused, "every setting refuses a value just outside its range, by name %s",
           bad);
    tap_ok(unchanged, "a refused value leaves the configuration as it was");
    tap_ok(worded, "every refusal reads '<name> must be <range>'");
    struct fo_error err = {0};
    struct fo_run_config c;
    fo_run_preset(&c, "default", 3);
    struct fo_setting_value v = {.setting = fo_setting_find("optimizer.lr"), .real = 0.0};
    fo_setting_set(&c, &v, &err);
    tap_is_str(err.msg, "optimizer.lr must be in (0, 100], got 0",
               "the message of lr = 0");
}

/* A configuration with every setting moved off its default. */
static void moved_config(struct fo_run_config *c, double *lo, double *hi) {
    fo_run_preset(c, "default", 3);
    for (size_t i = 0; i < n_rows; i++) {
        const struct fo_setting *s = &table[i];
        struct fo_setting_value v;
        fo_setting_get(c, s, &v);
        switch (s->type) {
        case FO_SETTING_UINT:
            v.integer = v.integer + 1 <= s->max ? v.integer + 1 : v.integer - 1;
            break;
        case FO_SETTING_REAL: v.real = isinf(v.real) ? -40.0 : v.real + 0.125; break;
        case FO_SETTING_BOOL: v.integer = !v.integer; break;
        case FO_SETTING_ENUM: {
            size_t k = 0;
            while (strcmp(s->names[k], v.text) != 0)
                k++;
            v.text = s->names[(k + s->n_names - 1) % s->n_names]; /* the previous one */
            break;
        }
        case FO_SETTING_OPTIONAL_REAL:
            v.none = 0;
            v.real = 2.5;
            break;
        case FO_SETTING_KINDS:
            v.n = 2;
            v.texts[0] = "affine-ar";
            v.texts[1] = "gaussian-full"; /* a start needs it innermost */
            break;
        case FO_SETTING_SIZES:
            v.n = 3;
            v.integers[0] = 5;
            v.integers[1] = 6;
            v.integers[2] = 7;
            break;
        case FO_SETTING_BOUNDS:
            v.lo = lo;
            v.hi = hi;
            break;
        case FO_SETTING_COORDS: {
            static const unsigned char middle[3] = {0, 1, 0};
            v.mask = middle;
            break;
        }
        case FO_SETTING_POINT: {
            static const double inside[3] = {0.5, -0.5, 1.0}, freq[3] = {2, 1, 3};
            v.point = strcmp(s->name, "structure.frequency") == 0 ? freq : inside;
            break;
        }
        }
        if (strcmp(s->name, "dim") == 0)
            continue; /* the box is sized by it */
        fo_setting_set(c, &v, NULL);
    }
}

static void snapshot_round_trip(const struct fo_run_config *c, const char *moved);

/* Every setting travels through a snapshot: a table-driven encoding that
 * forgot a row, or read one into another's field, fails here. */
static void test_snapshot_round_trip(void) {
    double lo[3] = {-1, -2, -3}, hi[3] = {1, 2, 3};
    struct fo_run_config c;
    moved_config(&c, lo, hi);
    struct fo_run_config d;
    fo_run_preset(&d, "default", 3);
    size_t moved = 0;
    for (size_t i = 0; i < n_rows; i++)
        moved += !fo_setting_equal(&c, &d, &table[i]);
    tap_is_int((long long)moved, (long long)n_rows - 1, "every setting but dim moved");
    /* two ways of reusing samples a run refuses together: each travels once */
    const char *pair[2] = {"optimizer.reuse_generations", "optimizer.mixing"};
    struct fo_setting_value none;
    fo_setting_get(&d, fo_setting_find("optimizer.niches"), &none);
    for (int k = 0; k < 2; k++) {
        struct fo_run_config one = c;
        struct fo_setting_value v;
        fo_setting_get(&d, fo_setting_find(pair[k]), &v);
        fo_setting_set(&one, &v, NULL);
        fo_setting_set(&one, &none, NULL); /* the mixture refuses both */
        snapshot_round_trip(&one, pair[1 - k]);
    }
    /* the niching mixture needs the Gaussian alone, without the modules */
    struct fo_run_config mm;
    fo_run_preset(&mm, "multimodal", 3);
    mm.flow.lo = lo;
    mm.flow.hi = hi;
    mm.opt.niches = 3;
    snapshot_round_trip(&mm, "optimizer.niches");
}

/* c builds, saves, loads, and every setting comes back. */
static void snapshot_round_trip(const struct fo_run_config *c, const char *moved) {
    struct fo_engine *e = NULL, *back = NULL;
    struct fo_error err = {0};
    tap_is_int(fo_engine_create(c, &e, &err), FO_OK,
               "the moved configuration (%s among them) builds %s", moved, err.msg);
    size_t len = 0;
    fo_engine_save(e, NULL, 0, &len, NULL);
    unsigned char *buf = malloc(len);
    fo_engine_save(e, buf, len, &len, NULL);
    tap_is_int(fo_engine_load(buf, len, &back, &err), FO_OK,
               "and loads from its snapshot");
    int same = back != NULL;
    char which[64] = "";
    for (size_t i = 0; same && i < n_rows; i++)
        if (!fo_setting_equal(fo_engine_config(e), fo_engine_config(back), &table[i])) {
            same = 0;
            snprintf(which, sizeof which, "(%s differs)", table[i].name);
        }
    tap_ok(same, "with every setting as it was saved %s", which);
    free(buf);
    fo_engine_destroy(e);
    fo_engine_destroy(back);
}

static void test_build(void) {
    struct fo_run_config c;
    struct fo_error err = {0};
    struct fo_setting_value v[3] = {
        {.setting = fo_setting_find("direction"), .text = "maximize"},
        {.setting = fo_setting_find("optimizer.lr"), .real = 20.0},
        {.setting = fo_setting_find("dim"), .integer = 4},
    };
    tap_is_int(fo_run_config_build(&c, NULL, v, 2, &err), FO_EINVAL,
               "without dim: refused");
    tap_is_str(err.field, "dim", "naming dim");
    tap_is_int(fo_run_config_build(&c, "seed", v, 3, &err), FO_OK, "a seed run of D = 4");
    tap_ok(c.direction == FO_MAXIMIZE && c.opt.lr == 20.0 && c.opt.lr_max == 20.0 &&
               c.batch_size == 50,
           "with its values, the band widened to its lr and the preset's batch");
    tap_is_int(fo_run_config_build(&c, "fast", v, 3, &err), FO_EINVAL,
               "an unknown preset");
    tap_is_str(err.field, "optimizer.preset", "is named");
    v[2].integer = 5000;
    tap_is_int(fo_run_config_build(&c, NULL, v, 3, &err), FO_ERANGE, "D = 5000: refused");
    tap_is_str(err.msg, "dim must be an integer in [1, 1024], got 5000",
               "with its range");
}

static void test_tune(void) {
    struct fo_run_config c;
    fo_run_preset(&c, "default", 3);
    struct fo_engine *e = NULL;
    fo_engine_create(&c, &e, NULL);
    struct fo_error err = {0};
    struct fo_tune t = {.n = 2,
                        .set = {{.setting = fo_setting_find("budget"), .integer = 30},
                                {.setting = fo_setting_find("target"), .real = -1.0}}};
    tap_is_int(fo_engine_tune(e, &t, &err), FO_OK, "budget and target tuned");
    tap_ok(fo_engine_config(e)->budget == 30 && fo_engine_config(e)->has_target &&
               fo_engine_config(e)->target == -1.0,
           "and in force");
    struct fo_run_config before = *fo_engine_config(e);
    t = (struct fo_tune){
        .n = 2,
        .set = {{.setting = fo_setting_find("budget"), .integer = 99},
                {.setting = fo_setting_find("batch_size"), .integer = 8}}};
    tap_is_int(fo_engine_tune(e, &t, &err), FO_EINVAL, "batch_size is not live");
    tap_is_str(err.field, "batch_size", "and is named");
    tap_ok(memcmp(&before, fo_engine_config(e), sizeof before) == 0,
           "nothing changed, not even the budget");
    t = (struct fo_tune){.has_lr = 1, .lr = 0.0};
    tap_is_int(fo_engine_tune(e, &t, &err), FO_ERANGE, "lr 0 is refused");
    tap_is_str(err.msg, "lr must be in (0, 100], got 0", "in optimizer.lr's range");
    fo_engine_destroy(e);
}

/* A setting the flow does not use is still shown and saved: a snapshot (an
 * import) with a NaN there made a run that could not be written as JSON. */
static void test_unused_finite(void) {
    struct fo_run_config c;
    fo_run_preset(&c, "default", 3);
    c.flow.bound = NAN; /* only splines use it; the default has none */
    struct fo_error err = {0};
    tap_is_int(fo__run_config_check(&c, &err), FO_ERANGE,
               "an unused flow.bound of NaN is refused");
    tap_is_str(err.field, "flow.bound", "naming it");
    struct fo_engine *e = NULL;
    tap_ok(fo__engine_alloc(&c, &e, &err) != FO_OK && !e,
           "and no engine is made of it (a snapshot's load goes this way)");
    c.flow.bound = 5.0;
    tap_is_int(fo__run_config_check(&c, &err), FO_OK, "5 is fine");
}

int main(void) {
    table = fo_settings(&n_rows);
    TAP_RUN(test_unused_finite);
    TAP_RUN(test_rows);
    TAP_RUN(test_presets);
    TAP_RUN(test_ranges);
    TAP_RUN(test_snapshot_round_trip);
    TAP_RUN(test_build);
    TAP_RUN(test_tune);
    return tap_done();
}
