/*
 * request.h - one HTTP request of the flowopt client, through libcurl.
 * A 4xx/5xx answer is reported on stderr with the problem's detail.
 */
#ifndef FLOWOPT_CLIENT_REQUEST_H
#define FLOWOPT_CLIENT_REQUEST_H

#include <jansson.h>
#include <stddef.h>

struct fo_body {
    char *p; /* NUL-terminated, malloc'd (NULL when empty) */
    size_t len;
};

/* The API token to send as "Authorization: Bearer TOKEN" (NULL: none);
 * borrowed, must outlive the requests. */
void fo_cli_set_token(const char *token);

/*
 * method base+path with body (len bytes, may be NULL) of content_type
 * (NULL: application/json). OUT: *out, the raw answer (caller frees p).
 * Returns the HTTP status, or -1 when no answer arrived.
 */
long fo_cli_request(const char *base, const char *method, const char *path,
                    const char *body, size_t len, const char *content_type,
                    struct fo_body *out);

/* The same for a JSON answer. OUT: *json (parsed; NULL if not JSON). */
long fo_cli_request_json(const char *base, const char *method, const char *path,
                         const char *body, json_t **json);

/* req (taken, may be NULL for no body) sent as JSON; the answer parsed. */
long fo_cli_send_json(const char *base, const char *method, const char *path, json_t *req,
                      json_t **json);

#endif
