/*
 * settings.h - the run settings table (libflowopt's <flowopt/settings.h>)
 * as the service offers it to the HTTP layer, which reads the table but
 * calls nothing below the service: listing it, reading a setting from a
 * configuration, and creating a run from a request's values.
 */
#ifndef FLOWOPT_SERVICE_SETTINGS_H
#define FLOWOPT_SERVICE_SETTINGS_H

#include <stddef.h>
#include <flowopt/settings.h>
#include <flowopt/status.h>

struct fo_service;

/* The table (static). OUT: *n rows. */
const struct fo_setting *fo_service_settings(size_t *n);

/* The stored value of s in cfg. OUT: *out. */
void fo_service_setting_get(const struct fo_run_config *cfg, const struct fo_setting *s,
                            struct fo_setting_value *out);

/* The range of s as text, for messages. */
void fo_service_setting_range(const struct fo_setting *s, char *buf, size_t cap);

/*
 * Create a run from a preset (NULL: "default") and a request's values
 * (fo_run_config_build: every value checked, the first bad one named).
 * OUT: id (FO_RUN_ID_LEN + 1 bytes). Durable when this returns FO_OK.
 */
enum fo_status fo_service_run_create_from(struct fo_service *svc, const char *preset,
                                          const struct fo_setting_value *values, size_t n,
                                          const char *name, char *id,
                                          struct fo_error *err);

#endif
