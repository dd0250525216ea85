/* evaluator_json.c - the evaluator object of the API; see evaluator_json.h. */
#include "http/evaluator_json.h"
#include "service/evaluators.h"
#include "util/url.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An integer member in [lo, hi], def when absent. */
static enum fo_status int_member(json_t *v, const char *key, long lo, long hi, long def,
                                 long *out, struct fo_error *err) {
    json_t *m = json_object_get(v, key);
    *out = def;
    if (!m)
        return FO_OK;
    char field[48];
    snprintf(field, sizeof field, "evaluator.%s", key);
    if (!json_is_integer(m) || json_integer_value(m) < lo || json_integer_value(m) > hi)
        return fo_error_set(err, FO_EINVAL, field, "%s must be an integer %ld..%ld",
                            field, lo, hi);
    *out = (long)json_integer_value(m);
    return FO_OK;
}

enum fo_status fo__evaluator_parse(struct fo_service *svc, json_t *v, char **text,
                                   struct fo_error *err) {
    static const char *const keys[] = {"url",       "batch",   "concurrency",
                                       "timeout_s", "retries", "headers"};
    *text = NULL;
    if (json_is_null(v))
        return FO_OK;
    if (!json_is_object(v))
        return fo_error_set(err, FO_EINVAL, "evaluator", "evaluator must be an object");
    const char *k;
    json_t *m;
    json_object_foreach(v, k, m) {
        int known = 0;
        for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
            known |= strcmp(k, keys[i]) == 0;
        if (!known)
            return fo_error_set(err, FO_EINVAL, "evaluator",
                                "evaluator has no field %.64s", k);
    }
    const char *url = json_string_value(json_object_get(v, "url"));
    char host[256];
    unsigned port = 0;
    if (!url || strlen(url) > 2000 || fo_url_host_port(url, host, sizeof host, &port))
        return fo_error_set(err, FO_EINVAL, "evaluator.url",
                            "evaluator.url must be an http:// or https:// URL");
    if (!fo_service_evaluator_allowed(svc, host, port))
        return fo_error_set(err, FO_EINVAL, "evaluator.url",
                            "%s:%u is not on the daemon's --evaluator-allow list", host,
                            port);
    long batch, conc, retries;
    enum fo_status st = int_member(v, "batch", 1, 1000, 10, &batch, err);
    if (st == FO_OK)
        st = int_member(v, "concurrency", 1, 64, 1, &conc, err);
    if (st == FO_OK)
        st = int_member(v, "retries", 0, 10, 2, &retries, err);
    if (st != FO_OK)
        return st;
    json_t *t = json_object_get(v, "timeout_s");
    double timeout = t ? json_number_value(t) : 30.0;
    if (t && !(json_is_number(t) && timeout > 0.0 && timeout <= 3600.0))
        return fo_error_set(err, FO_EINVAL, "evaluator.timeout_s",
                            "evaluator.timeout_s must be a number in (0, 3600]");
    json_t *h = json_object_get(v, "headers");
    if (h && (!json_is_object(h) || json_object_size(h) > 16))
        return fo_error_set(err, FO_EINVAL, "evaluator.headers",
                            "evaluator.headers must be an object of at most 16 strings");
    json_object_foreach(h, k, m) {
        if (!json_is_string(m) || strpbrk(k, "\r\n:") ||
            strpbrk(json_string_value(m), "\r\n"))
            return fo_error_set(err, FO_EINVAL, "evaluator.headers",
                                "evaluator.headers holds names and strings on one line");
    }
    json_t *out = json_pack("{s:s, s:I, s:I, s:f, s:I, s:o}", "url", url, "batch",
                            (json_int_t)batch, "concurrency", (json_int_t)conc,
                            "timeout_s", timeout, "retries", (json_int_t)retries,
                            "headers", h ? json_incref(h) : json_object());
    *text = out ? json_dumps(out, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(out);
    return *text ? FO_OK : fo_error_set(err, FO_ENOMEM, "evaluator", "out of memory");
}
