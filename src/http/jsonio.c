/* jsonio.c - see jsonio.h. */
#include "http/jsonio.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum fo_status fo_json_parse_object(const char *body, size_t len, json_t **root,
                                    struct fo_error *err) {
    json_error_t jerr;
    *root = NULL;
    if (!body || len == 0)
        return fo_error_set(err, FO_EINVAL, "body",
                            "the request needs a JSON object body");
    json_t *j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!j)
        return fo_error_set(err, FO_EINVAL, "body",
                            "malformed JSON at line %d column %d: %s", jerr.line,
                            jerr.column, jerr.text);
    if (!json_is_object(j)) {
        json_decref(j);
        return fo_error_set(err, FO_EINVAL, "body", "the body must be a JSON object");
    }
    *root = j;
    return FO_OK;
}

enum fo_status fo_json_parse_request(const char *body, size_t len,
                                     const char *const *allowed, const char *where,
                                     json_t **root, struct fo_error *err) {
    enum fo_status st = fo_json_parse_object(body, len, root, err);
    return st == FO_OK ? fo_json_only_keys(*root, allowed, where, err) : st;
}

enum fo_status fo_json_only_keys(json_t *obj, const char *const *allowed,
                                 const char *where, struct fo_error *err) {
    const char *key;
    json_t *value;
    json_object_foreach(obj, key, value) {
        int known = 0;
        for (size_t i = 0; allowed[i] && !known; i++)
            known = strcmp(key, allowed[i]) == 0;
        if (!known)
            return fo_error_set(err, FO_EINVAL, key, "unknown field '%.60s' in %s", key,
                                where);
    }
    return FO_OK;
}

enum fo_status fo_json_int(json_t *obj, const char *key, const char *field, long long lo,
                           long long hi, long long *out, struct fo_error *err) {
    json_t *v = json_object_get(obj, key);
    if (!v)
        return FO_OK;
    if (!json_is_integer(v))
        return fo_error_set(err, FO_EINVAL, field, "%s must be an integer", field);
    long long n = json_integer_value(v);
    if (n < lo || n > hi)
        return fo_error_set(err, FO_ERANGE, field, "%s must be in [%lld, %lld], got %lld",
                            field, lo, hi, n);
    *out = n;
    return FO_OK;
}

enum fo_status fo_json_num(json_t *obj, const char *key, const char *field, double lo,
                           double hi, double *out, struct fo_error *err) {
    json_t *v = json_object_get(obj, key);
    if (!v)
        return FO_OK;
    if (!json_is_number(v))
        return fo_error_set(err, FO_EINVAL, field, "%s must be a number", field);
    double d = json_number_value(v);
    if (!isfinite(d))
        return fo_error_set(err, FO_ERANGE, field, "%s must be finite", field);
    if (d < lo || d > hi)
        return fo_error_set(err, FO_ERANGE, field, "%s must be in [%g, %g], got %g",
                            field, lo, hi, d);
    *out = d;
    return FO_OK;
}

json_t *fo_json_real(double v) {
    return isfinite(v) ? json_real(v) : json_null();
}

json_t *fo_json_id(uint64_t id) {
    char buf[24];
    snprintf(buf, sizeof buf, "%" PRIu64, id);
    return json_string(buf);
}

int fo_json_parse_id(const char *text, uint64_t *out) {
    if (!text || !*text || strlen(text) > 19 ||
        strspn(text, "0123456789") != strlen(text) || text[0] == '0')
        return -1;
    unsigned long long v = strtoull(text, NULL, 10);
    if (v == 0 || v > (unsigned long long)INT64_MAX)
        return -1;
    *out = v;
    return 0;
}
