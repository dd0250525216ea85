/*
 * jsonio.h - strict JSON input and safe JSON output for the routes.
 *
 * Input: a body parses only as one JSON object without duplicate keys;
 * numbers are checked finite and in range, and every failure names the
 * field. Output: doubles that are not finite become null (Jansson's
 * json_real refuses them).
 */
#ifndef FLOWOPT_HTTP_JSONIO_H
#define FLOWOPT_HTTP_JSONIO_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include <flowopt/status.h>

/* Parse body (len bytes, not NUL-terminated) as a JSON object. OUT: *root (new). */
enum fo_status fo_json_parse_object(const char *body, size_t len, json_t **root,
                                    struct fo_error *err);

/* fo_json_parse_object, then fo_json_only_keys(allowed, where) on it. */
enum fo_status fo_json_parse_request(const char *body, size_t len,
                                     const char *const *allowed, const char *where,
                                     json_t **root, struct fo_error *err);

/* Fail on any key of obj not in the NULL-terminated list allowed. */
enum fo_status fo_json_only_keys(json_t *obj, const char *const *allowed,
                                 const char *where, struct fo_error *err);

/* obj[key] as an integer in [lo, hi]; absent leaves *out unchanged. */
enum fo_status fo_json_int(json_t *obj, const char *key, const char *field, long long lo,
                           long long hi, long long *out, struct fo_error *err);

/* obj[key] as a finite number in [lo, hi]; absent leaves *out unchanged. */
enum fo_status fo_json_num(json_t *obj, const char *key, const char *field, double lo,
                           double hi, double *out, struct fo_error *err);

/* A double as JSON: a real, or null when not finite. New reference. */
json_t *fo_json_real(double v);

/* An unsigned 64-bit id as a decimal JSON string. New reference. */
json_t *fo_json_id(uint64_t id);

/* Parse a decimal id string (1 .. 2^63). Returns 0 on success. */
int fo_json_parse_id(const char *text, uint64_t *out);

#endif
