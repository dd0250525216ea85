/* settings_json.c - run settings between JSON and the table; see settings_json.h. */
#include "http/jsonio.h"
#include "http/settings_json.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define PATH_MAX_LEN 96

/* The row an API path names (internal rows are not the API's), or NULL. */
static const struct fo_setting *api_row(const char *path) {
    size_t n;
    const struct fo_setting *t = fo_service_settings(&n);
    for (size_t i = 0; i < n; i++)
        if (!(t[i].flags & FO_SETTING_INTERNAL) && strcmp(t[i].name, path) == 0)
            return &t[i];
    return NULL;
}

/* 1 when some API row lives under "path." (so path is an object). */
static int is_group(const char *path) {
    size_t n, len = strlen(path);
    const struct fo_setting *t = fo_service_settings(&n);
    for (size_t i = 0; i < n; i++)
        if (!(t[i].flags & FO_SETTING_INTERNAL) && strncmp(t[i].name, path, len) == 0 &&
            t[i].name[len] == '.')
            return 1;
    return 0;
}

static int listed(const char *const *paths, const char *path) {
    for (size_t i = 0; paths && paths[i]; i++)
        if (strcmp(paths[i], path) == 0)
            return 1;
    return 0;
}

struct parse_ctx {
    json_t *root;
    enum fo_settings_mode mode;
    const char *const *extra;
    struct fo_setting_value *values;
    size_t cap, n;
    struct fo_setting_arrays *arrays;
};

static enum fo_status parse_bounds(json_t *b, size_t D, double *lo, double *hi,
                                   struct fo_error *err) {
    if (json_is_array(b)) {
        if (json_array_size(b) != D)
            return fo_error_set(err, FO_EINVAL, "bounds",
                                "bounds needs %zu [lo, hi] pairs", D);
        for (size_t d = 0; d < D; d++) {
            json_t *p = json_array_get(b, d);
            if (!json_is_array(p) || json_array_size(p) != 2 ||
                !json_is_number(json_array_get(p, 0)) ||
                !json_is_number(json_array_get(p, 1)))
                return fo_error_set(err, FO_EINVAL, "bounds",
                                    "bounds[%zu] must be [lo, hi] numbers", d);
            lo[d] = json_number_value(json_array_get(p, 0));
            hi[d] = json_number_value(json_array_get(p, 1));
        }
        return FO_OK;
    }
    if (!json_is_object(b))
        return fo_error_set(err, FO_EINVAL, "bounds",
                            "bounds must be [[lo, hi], ...] or {\"lo\": .., \"hi\": ..}");
    static const char *const keys[] = {"lo", "hi", NULL};
    enum fo_status st = fo_json_only_keys(b, keys, "bounds", err);
    json_t *l = json_object_get(b, "lo"), *h = json_object_get(b, "hi");
    for (size_t d = 0; st == FO_OK && d < D; d++) {
        json_t *ld = json_is_array(l) ? json_array_get(l, d) : l;
        json_t *hd = json_is_array(h) ? json_array_get(h, d) : h;
        if ((json_is_array(l) && json_array_size(l) != D) ||
            (json_is_array(h) && json_array_size(h) != D) || !json_is_number(ld) ||
            !json_is_number(hd))
            return fo_error_set(
                err, FO_EINVAL, "bounds",
                "bounds.lo and bounds.hi must be numbers or arrays of %zu", D);
        lo[d] = json_number_value(ld);
        hi[d] = json_number_value(hd);
    }
    return st;
}

static enum fo_status type_error(const struct fo_setting *s, const char *what,
                                 struct fo_error *err) {
    return fo_error_set(err, FO_EINVAL, s->name, "%s must be %s", s->name, what);
}

/* The body's dim, or 0 when it has no usable one: a per-coordinate value
 * then has nothing to be sized by, and the dim's own error comes later. */
static size_t body_dim(const struct parse_ctx *c) {
    json_t *dim = json_object_get(c->root, "dim");
    json_int_t D = json_is_integer(dim) ? json_integer_value(dim) : 0;
    return c->arrays && D >= 1 && D <= FO_FLOW_MAX_DIM ? (size_t)D : 0;
}

static enum fo_status box_value(struct parse_ctx *c, json_t *j,
                                struct fo_setting_value *v, int *skip,
                                struct fo_error *err) {
    size_t D = body_dim(c);
    *skip = json_is_null(j) || D == 0;
    if (*skip)
        return FO_OK;
    v->lo = c->arrays->lo;
    v->hi = c->arrays->hi;
    return parse_bounds(j, D, c->arrays->lo, c->arrays->hi, err);
}

/* A point: dim numbers, or null for none. */
static enum fo_status point_value(struct parse_ctx *c, const struct fo_setting *s,
                                  json_t *j, struct fo_setting_value *v, int *skip,
                                  struct fo_error *err) {
    size_t D = body_dim(c);
    *skip = D == 0 || json_is_null(j);
    if (*skip)
        return FO_OK;
    if (!json_is_array(j) || json_array_size(j) != D)
        return fo_error_set(err, FO_EINVAL, s->name, "%s must be an array of %zu numbers",
                            s->name, D);
    for (size_t d = 0; d < D; d++) {
        json_t *e = json_array_get(j, d);
        if (!json_is_number(e))
            return fo_error_set(err, FO_EINVAL, s->name, "%s[%zu] must be a number",
                                s->name, d);
        c->arrays->points[s->slot][d] = json_number_value(e);
    }
    v->point = c->arrays->points[s->slot];
    return FO_OK;
}

/* A set of coordinates: true (all), false or null (none), or a list of
 * distinct indices below dim. */
static enum fo_status coords_value(struct parse_ctx *c, const struct fo_setting *s,
                                   json_t *j, struct fo_setting_value *v, int *skip,
                                   struct fo_error *err) {
    size_t D = body_dim(c);
    *skip = D == 0 || json_is_null(j) || json_is_false(j);
    if (*skip)
        return FO_OK;
    unsigned char *mask = c->arrays->periodic;
    memset(mask, json_is_true(j), D);
    v->mask = mask;
    if (json_is_true(j))
        return FO_OK;
    if (!json_is_array(j))
        return type_error(s, "true, false or an array of coordinate indices", err);
    size_t i;
    json_t *e;
    json_array_foreach(j, i, e) {
        json_int_t k = json_is_integer(e) ? json_integer_value(e) : -1;
        if (k < 0 || (size_t)k >= D)
            return fo_error_set(err, FO_ERANGE, s->name,
                                "%s[%zu] must be a coordinate index in [0, %zu)", s->name,
                                i, D);
        if (mask[k])
            return fo_error_set(err, FO_EINVAL, s->name, "%s lists coordinate %lld twice",
                                s->name, (long long)k);
        mask[k] = 1;
    }
    return FO_OK;
}

/* JSON j as a value of s: the JSON type is checked here, the range by the
 * table when the value is set. */
static enum fo_status to_value(struct parse_ctx *c, const struct fo_setting *s, json_t *j,
                               struct fo_setting_value *v, int *skip,
                               struct fo_error *err) {
    memset(v, 0, sizeof *v);
    v->setting = s;
    *skip = 0;
    switch (s->type) {
    case FO_SETTING_UINT:
        if (!json_is_integer(j))
            return type_error(s, "an integer", err);
        v->integer = json_integer_value(j);
        return FO_OK;
    case FO_SETTING_REAL:
        if (!json_is_number(j))
            return type_error(s, "a number", err);
        v->real = json_number_value(j);
        return FO_OK;
    case FO_SETTING_BOOL:
        if (!json_is_boolean(j))
            return type_error(s, "true or false", err);
        v->integer = json_is_true(j);
        return FO_OK;
    case FO_SETTING_ENUM: v->text = json_string_value(j); return FO_OK;
    case FO_SETTING_OPTIONAL_REAL:
        if (!json_is_null(j) && !json_is_number(j))
            return type_error(s, "a number or null", err);
        v->none = json_is_null(j);
        v->real = json_is_number(j) ? json_number_value(j) : 0.0;
        return FO_OK;
    case FO_SETTING_KINDS:
    case FO_SETTING_SIZES:
        if (!json_is_array(j))
            return type_error(s, "an array", err);
        v->n = json_array_size(j);
        for (size_t i = 0; i < v->n && i < FO_SETTING_MAX_LIST; i++) {
            json_t *e = json_array_get(j, i);
            if (s->type == FO_SETTING_KINDS)
                v->texts[i] = json_string_value(e);
            else if (!json_is_integer(e))
                return type_error(s, "an array of integers", err);
            else
                v->integers[i] = json_integer_value(e);
        }
        return FO_OK;
    case FO_SETTING_BOUNDS: return box_value(c, j, v, skip, err);
    case FO_SETTING_COORDS: return coords_value(c, s, j, v, skip, err);
    case FO_SETTING_POINT: return point_value(c, s, j, v, skip, err);
    }
    return type_error(s, "known", err);
}

static enum fo_status walk(struct parse_ctx *c, json_t *obj, const char *prefix,
                           struct fo_error *err) {
    const char *key;
    json_t *j;
    json_object_foreach(obj, key, j) {
        char path[PATH_MAX_LEN];
        snprintf(path, sizeof path, "%s%.60s", prefix, key);
        if (listed(c->extra, path))
            continue;
        const struct fo_setting *s = api_row(path);
        enum fo_status st = FO_OK;
        if (s && c->mode == FO_SETTINGS_PATCH && !(s->flags & FO_SETTING_LIVE))
            return fo_error_set(err, FO_EINVAL, path, "%s cannot change on a live run",
                                path);
        if (s && c->n == c->cap)
            return fo_error_set(err, FO_EINVAL, path, "too many settings");
        int skip = 0;
        if (s && (st = to_value(c, s, j, &c->values[c->n], &skip, err)) == FO_OK && !skip)
            c->n++;
        else if (!s && is_group(path)) {
            if (!json_is_object(j))
                return fo_error_set(err, FO_EINVAL, path, "%s must be an object", path);
            char sub[PATH_MAX_LEN + 1];
            snprintf(sub, sizeof sub, "%s.", path);
            st = walk(c, j, sub, err);
        } else if (!s) {
            return fo_error_set(err, FO_EINVAL, path, "unknown field '%s'", path);
        }
        if (st != FO_OK)
            return st;
    }
    return FO_OK;
}

enum fo_status fo__settings_parse(json_t *root, enum fo_settings_mode mode,
                                  const char *const *extra,
                                  struct fo_setting_value *values, size_t cap, size_t *n,
                                  struct fo_setting_arrays *arrays,
                                  struct fo_error *err) {
    struct parse_ctx c = {root, mode, extra, values, cap, 0, arrays};
    enum fo_status st = walk(&c, root, "", err);
    *n = c.n;
    return st;
}

/* ---- JSON out ------------------------------------------------------------ */

static json_t *bounds_json(const struct fo_setting_value *v, size_t D) {
    int bounded = 0;
    for (size_t d = 0; v->lo && d < D; d++)
        bounded |= isfinite(v->lo[d]) || isfinite(v->hi[d]);
    if (!bounded)
        return json_null();
    json_t *pairs = json_array();
    for (size_t d = 0; d < D; d++)
        json_array_append_new(
            pairs, json_pack("[oo]", fo_json_real(v->lo[d]), fo_json_real(v->hi[d])));
    return pairs;
}

/* The indices of the set, [] for none. */
static json_t *coords_json(const struct fo_setting_value *v, size_t D) {
    json_t *a = json_array();
    for (size_t d = 0; v->mask && d < D; d++)
        if (v->mask[d])
            json_array_append_new(a, json_integer((json_int_t)d));
    return a;
}

static json_t *value_json(const struct fo_setting_value *v, size_t D) {
    json_t *a;
    switch (v->setting->type) {
    case FO_SETTING_UINT: return json_integer((json_int_t)v->integer);
    case FO_SETTING_REAL: return fo_json_real(v->real);
    case FO_SETTING_BOOL: return json_boolean(v->integer);
    case FO_SETTING_ENUM: return json_string(v->text);
    case FO_SETTING_OPTIONAL_REAL: return v->none ? json_null() : fo_json_real(v->real);
    case FO_SETTING_KINDS:
    case FO_SETTING_SIZES:
        a = json_array();
        for (size_t i = 0; i < v->n; i++)
            json_array_append_new(a, v->setting->type == FO_SETTING_KINDS
                                         ? json_string(v->texts[i])
                                         : json_integer((json_int_t)v->integers[i]));
        return a;
    case FO_SETTING_BOUNDS: return bounds_json(v, D);
    case FO_SETTING_COORDS: return coords_json(v, D);
    case FO_SETTING_POINT:
        if (!v->point)
            return json_null();
        a = json_array();
        for (size_t d = 0; d < D; d++)
            json_array_append_new(a, fo_json_real(v->point[d]));
        return a;
    }
    return json_null();
}

/* obj[a][b]... = value along a dotted path, making the objects on the way. */
static void set_path(json_t *obj, const char *path, json_t *value) {
    const char *dot;
    while ((dot = strchr(path, '.')) != NULL) {
        char key[PATH_MAX_LEN];
        snprintf(key, sizeof key, "%.*s", (int)(dot - path), path);
        json_t *sub = json_object_get(obj, key);
        if (!sub) {
            sub = json_object();
            json_object_set_new(obj, key, sub);
        }
        obj = sub;
        path = dot + 1;
    }
    json_object_set_new(obj, path, value);
}

json_t *fo__settings_json(const struct fo_run_config *cfg) {
    size_t n;
    const struct fo_setting *t = fo_service_settings(&n);
    json_t *out = json_object();
    for (size_t i = 0; i < n; i++) {
        if (t[i].flags & FO_SETTING_INTERNAL)
            continue;
        struct fo_setting_value v;
        fo_service_setting_get(cfg, &t[i], &v);
        set_path(out, t[i].name, value_json(&v, cfg->flow.dim));
    }
    return out;
}

static const char *type_name(enum fo_setting_type t) {
    switch (t) {
    case FO_SETTING_UINT: return "integer";
    case FO_SETTING_REAL: return "number";
    case FO_SETTING_BOOL: return "boolean";
    case FO_SETTING_ENUM: return "string";
    case FO_SETTING_OPTIONAL_REAL: return "number-or-null";
    case FO_SETTING_KINDS: return "string-list";
    case FO_SETTING_SIZES: return "integer-list";
    case FO_SETTING_BOUNDS: return "bounds";
    case FO_SETTING_COORDS: return "coordinates";
    case FO_SETTING_POINT: return "point";
    }
    return "unknown";
}

static json_t *row_json(const struct fo_setting *s) {
    char range[256];
    fo_service_setting_range(s, range, sizeof range);
    json_t *r = json_pack("{s:s, s:s, s:b, s:b, s:s, s:s}", "name", s->name, "type",
                          type_name(s->type), "live", (s->flags & FO_SETTING_LIVE) != 0,
                          "required", (s->flags & FO_SETTING_REQUIRED) != 0, "range",
                          range, "description", s->doc ? s->doc : "");
    int ranged = s->type == FO_SETTING_UINT || s->type == FO_SETTING_REAL ||
                 s->type == FO_SETTING_SIZES || s->type == FO_SETTING_OPTIONAL_REAL;
    if (ranged && isfinite(s->min))
        json_object_set_new(
            r, (s->flags & FO_SETTING_MIN_OPEN) ? "exclusive_minimum" : "minimum",
            s->type == FO_SETTING_REAL ? json_real(s->min)
                                       : json_integer((json_int_t)s->min));
    if (ranged && isfinite(s->max) && s->max < FO_SETTING_INT_MAX)
        json_object_set_new(
            r, (s->flags & FO_SETTING_MAX_OPEN) ? "exclusive_maximum" : "maximum",
            s->type == FO_SETTING_REAL ? json_real(s->max)
                                       : json_integer((json_int_t)s->max));
    if (s->names) {
        json_t *names = json_array();
        for (size_t i = 0; i < s->n_names; i++)
            json_array_append_new(names, json_string(s->names[i]));
        json_object_set_new(r, "enum", names);
    }
    return r;
}

json_t *fo__settings_table_json(void) {
    size_t n;
    const struct fo_setting *t = fo_service_settings(&n);
    json_t *rows = json_array();
    for (size_t i = 0; i < n; i++)
        if (!(t[i].flags & FO_SETTING_INTERNAL))
            json_array_append_new(rows, row_json(&t[i]));
    return json_pack("{s:o}", "settings", rows);
}
