/* settings.c - the run settings table for the HTTP layer; see settings.h. */
#include "service/settings.h"
#include "service/runs.h"

const struct fo_setting *fo_service_settings(size_t *n) {
    return fo_settings(n);
}

void fo_service_setting_get(const struct fo_run_config *cfg, const struct fo_setting *s,
                            struct fo_setting_value *out) {
    fo_setting_get(cfg, s, out);
}

void fo_service_setting_range(const struct fo_setting *s, char *buf, size_t cap) {
    fo_setting_range_text(s, buf, cap);
}

enum fo_status fo_service_run_create_from(struct fo_service *svc, const char *preset,
                                          const struct fo_setting_value *values, size_t n,
                                          const char *name, char *id,
                                          struct fo_error *err) {
    struct fo_run_config cfg;
    enum fo_status st = fo_run_config_build(&cfg, preset, values, n, err);
    return st == FO_OK ? fo_service_run_create(svc, &cfg, name, id, err) : st;
}
