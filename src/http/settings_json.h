/*
 * settings_json.h - run settings between JSON and the settings table: a
 * create or PATCH body to setting values, a configuration to the run's
 * "config" object, the table to GET /v1/settings. No setting is named
 * here: every key, type and range comes from the table.
 */
#ifndef FLOWOPT_HTTP_SETTINGS_JSON_H
#define FLOWOPT_HTTP_SETTINGS_JSON_H

#include <jansson.h>
#include "service/settings.h"

/* Which rows a body may give. */
enum fo_settings_mode {
    FO_SETTINGS_CREATE, /* every row the API shows */
    FO_SETTINGS_PATCH   /* live rows only; others are refused by name */
};

/* Keys a body may hold beside the settings ("name", "optimizer.preset"). */
struct fo_settings_extra {
    const char *const *paths; /* NULL-terminated dotted paths */
};

/*
 * The settings in body root. OUT: values (cap) and *n; per-coordinate
 * values (the box, the periodic set) are parsed into arrays for the body's
 * dim (arrays may be NULL when the mode takes none). An
 * unknown key, a key of the wrong JSON type or a setting the mode does not
 * take fails with the key's dotted path in err.
 */
enum fo_status fo__settings_parse(json_t *root, enum fo_settings_mode mode,
                                  const char *const *extra,
                                  struct fo_setting_value *values, size_t cap, size_t *n,
                                  struct fo_setting_arrays *arrays, struct fo_error *err);

/* The run's "config" object: every setting the API shows (new reference). */
json_t *fo__settings_json(const struct fo_run_config *cfg);

/* GET /v1/settings: the table's API rows (new reference). */
json_t *fo__settings_table_json(void);

#endif
