/*
 * settings.h - every run setting described once.
 *
 * One row per field of struct fo_run_config: the name the API and the
 * snapshot spell it ("optimizer.kl_target"), its type, its range, whether
 * a live run may change it, where it lives in the struct, and its default
 * under each preset. Presets, validation (one error format naming the field
 * and its range), snapshots, the daemon's JSON and PATCH, the CLI's `set`
 * and GET /v1/settings are all driven by the table, so adding a setting is
 * one row here plus its use in the optimizer.
 *
 * The table's order is the snapshot's order: a new row goes at the end
 * with `since` one above the newest snapshot format, and snapshots written
 * before it load with its `absent` value (how runs behaved without it).
 */
#ifndef FLOWOPT_SETTINGS_H
#define FLOWOPT_SETTINGS_H

#include <stddef.h>
#include <stdint.h>
#include <flowopt/opt.h>
#include <flowopt/status.h>

enum fo_setting_type {
    FO_SETTING_UINT,          /* integer in [min, max] (an unsigned, size_t or u64) */
    FO_SETTING_REAL,          /* double in [min, max], finite unless FO_SETTING_INF */
    FO_SETTING_BOOL,          /* int, 0 or 1 */
    FO_SETTING_ENUM,          /* an enum spelled by names[] */
    FO_SETTING_OPTIONAL_REAL, /* a finite double or none; the int flag at aux */
    FO_SETTING_KINDS,         /* 1..FO_FLOW_MAX_LAYERS layer kinds; size_t count at aux */
    FO_SETTING_SIZES,         /* up to FO_FLOW_MAX_HIDDEN_LAYERS integers in [min, max];
                                 size_t count at aux */
    FO_SETTING_BOUNDS,        /* the box: flow.lo and flow.hi, (dim) each */
    FO_SETTING_COORDS,        /* a set of coordinates: flow.periodic, (dim) flags or
                                 none; `absent` is none */
    FO_SETTING_POINT          /* (dim) numbers or none: a const double * at offset,
                                 parsed into fo_setting_arrays.points[slot];
                                 `absent` is none */
};

enum fo_setting_flag {
    FO_SETTING_LIVE = 1 << 0, /* PATCH may change it on a live run */
    FO_SETTING_INTERNAL =
        1 << 1, /* the preset's alone: not accepted or shown by the API */
    FO_SETTING_REQUIRED = 1 << 2, /* a create request must give it */
    FO_SETTING_MIN_OPEN = 1 << 3, /* min itself is outside the range */
    FO_SETTING_MAX_OPEN = 1 << 4, /* max itself is outside the range */
    FO_SETTING_INF = 1 << 5       /* REAL: +-infinity allowed (never NaN) */
};

enum fo_preset {
    FO_PRESET_DEFAULT = 0,
    FO_PRESET_SEED = 1,
    FO_PRESET_NES = 2,
    FO_PRESET_CMA = 3,
    FO_PRESET_MULTIMODAL = 4
};
#define FO_N_PRESETS 5
extern const char *const fo_preset_names[FO_N_PRESETS];

/* How a preset's default follows the dimension D. */
enum fo_default_rule {
    FO_DEFAULT_VALUE = 0,  /* v */
    FO_DEFAULT_DIM,        /* D itself */
    FO_DEFAULT_PER_DIM,    /* v D, clamped to [lo, hi] (hi 0: no upper clamp) */
    FO_DEFAULT_POPULATION, /* 4 + floor(3 ln D), at least lo (CMA-ES, xNES) */
    FO_DEFAULT_UNSET       /* BOUNDS: none (unbounded) */
};

struct fo_setting_default {
    enum fo_default_rule rule;
    double v, lo, hi;
    size_t n;                   /* KINDS, SIZES: entries (SIZES: n copies of the rule) */
    const unsigned char *kinds; /* KINDS: the layer kinds, n of them */
};

#define FO_SETTING_MAX_LIST FO_FLOW_MAX_LAYERS
/* POINT settings (start.x, structure.frequency): their slots. */
#define FO_SETTING_POINTS 3
/* The max of an integer setting with no upper limit (INT64_MAX as a double). */
#define FO_SETTING_INT_MAX 9223372036854775807.0
/* PATCH may set this many settings at once (a test checks the live rows fit). */
#define FO_SETTING_MAX_LIVE 16

struct fo_setting {
    const char *name; /* "optimizer.kl_target": the API's path, the snapshot's key */
    enum fo_setting_type type;
    unsigned flags;           /* enum fo_setting_flag */
    size_t offset;            /* the field in struct fo_run_config */
    size_t size;              /* its size in bytes (integers: 4 or 8) */
    size_t aux;               /* see the type; UINT: a second field that mirrors it;
                                 0 when unused (offset 0 is flow.dim, never an aux) */
    double min, max;          /* the range (SIZES: of each entry) */
    const char *const *names; /* ENUM, KINDS: the spellings, index = value */
    size_t n_names;
    const char *when; /* checked only when this (BOOL or UINT) setting is not 0 */
    unsigned since;   /* the first snapshot format that carries it */
    double absent;    /* its value in snapshots written before `since` (rows newer
                         than format 2 are numbers: UINT, BOOL, ENUM or REAL) */
    unsigned slot;    /* POINT: its row of fo_setting_arrays.points */
    struct fo_setting_default def[FO_N_PRESETS];
    const char *doc; /* one line: what it does */
};

/*
 * A value for one setting, as a request brings it; the fields that count
 * depend on setting->type. Borrowed strings and arrays must outlive the
 * call that takes the value.
 */
struct fo_setting_value {
    const struct fo_setting *setting;
    int none;                               /* OPTIONAL_REAL: cleared */
    int64_t integer;                        /* UINT, BOOL (0, 1) */
    double real;                            /* REAL, OPTIONAL_REAL */
    const char *text;                       /* ENUM */
    size_t n;                               /* KINDS, SIZES */
    const char *texts[FO_SETTING_MAX_LIST]; /* KINDS */
    int64_t integers[FO_SETTING_MAX_LIST];  /* SIZES */
    const double *lo, *hi;                  /* BOUNDS: (dim) each */
    const unsigned char *mask;              /* COORDS: (dim) 0 or 1, NULL = none */
    const double *point;                    /* POINT: (dim), NULL = none */
};

/* Room for the per-coordinate values a request or a snapshot brings while a
 * configuration is built from them (about 17 KB: allocate it). */
struct fo_setting_arrays {
    double lo[FO_FLOW_MAX_DIM], hi[FO_FLOW_MAX_DIM];
    double points[FO_SETTING_POINTS][FO_FLOW_MAX_DIM]; /* one row per POINT setting */
    unsigned char periodic[FO_FLOW_MAX_DIM];
};

/* The table (borrowed, static). OUT: *n rows. */
const struct fo_setting *fo_settings(size_t *n);
/* The row named name, or NULL. */
const struct fo_setting *fo_setting_find(const char *name);

/*
 * Check v against its setting's range and store it in cfg. FO_ERANGE or
 * FO_EINVAL naming the setting and its range; on error cfg is unchanged.
 */
enum fo_status fo_setting_set(struct fo_run_config *cfg, const struct fo_setting_value *v,
                              struct fo_error *err);

/* The stored value of s in cfg (ENUM and KINDS as their names). */
void fo_setting_get(const struct fo_run_config *cfg, const struct fo_setting *s,
                    struct fo_setting_value *out);

/* 1 when s holds the same value in a and b (reals compared bit for bit). */
int fo_setting_equal(const struct fo_run_config *a, const struct fo_run_config *b,
                     const struct fo_setting *s);

/* The range of s as text ("(0, 100]", "an integer in [2, 10000]"). */
void fo_setting_range_text(const struct fo_setting *s, char *buf, size_t cap);

/* Every row's value in cfg within its range (rows whose `when` is 0 skipped).
 * The first offender names itself in err. */
enum fo_status fo_settings_check(const struct fo_run_config *cfg, struct fo_error *err);

/*
 * A run configuration from a preset (NULL: "default") and request values:
 * the preset's defaults for the dimension the values give (FO_EINVAL naming
 * any required setting they miss), then every value through fo_setting_set,
 * then the whole configuration checked. bounds point into the caller's
 * values. OUT: *cfg, complete and valid on FO_OK.
 */
enum fo_status fo_run_config_build(struct fo_run_config *cfg, const char *preset,
                                   const struct fo_setting_value *values, size_t n,
                                   struct fo_error *err);

/*
 * Room for a configuration's per-coordinate arrays (bounds, points, periodic),
 * so a copy of it borrows nothing: FO_RUN_CONFIG_ARRAYS(dim) doubles.
 */
#define FO_RUN_CONFIG_ARRAYS(dim) ((2 + FO_SETTING_POINTS) * (dim) + ((dim) + 7) / 8)

/* *dst = *src, its arrays copied into arrays (FO_RUN_CONFIG_ARRAYS(dim)). */
void fo_run_config_copy(struct fo_run_config *dst, const struct fo_run_config *src,
                        double *arrays);

/* A change of a live run's settings (PATCH): values of FO_SETTING_LIVE
 * rows, and the learning-rate controller's current rate when has_lr. */
struct fo_tune {
    size_t n;
    struct fo_setting_value set[FO_SETTING_MAX_LIVE];
    int has_lr;
    double lr; /* in optimizer.lr's range */
};

/*
 * Apply t, all or nothing: the new settings are checked as a whole run
 * configuration first (FO_ERANGE / FO_EINVAL naming the field, nothing
 * changed; a setting that is not live is FO_EINVAL). A stop for budget,
 * target or patience is then judged again under the new settings, so a
 * larger budget lets a stopped run go on.
 */
enum fo_status fo_engine_tune(struct fo_engine *e, const struct fo_tune *t,
                              struct fo_error *err);

#endif
