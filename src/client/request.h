/*
 * request.h - one HTTP request of the flowopt client, through libcurl.
 * A 4xx/5xx answer is reported on stderr with the problem's detail.
 */
#ifndef FLOWOPT_CLIENT_REQUEST_H
#define FLOWOPT_CLIENT_REQUEST_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

struct fo_body {
    char *p; /* NUL-terminated, malloc'd (NULL when empty) */
    size_t len;
};

/* --json: every answer's body goes to out as the daemon sent it (one
 * document a line; CSV asked for is asked as JSON), and the commands' own
 * text is not printed (main points stdout elsewhere). NULL: off. */
void fo_cli_set_json_out(FILE *out);

/* The API token to send as "Authorization: Bearer TOKEN" (NULL: none);
 * borrowed, must outlive the requests. */
void fo_cli_set_token(const char *token);
/* The PEM file of certificates an https daemon is checked against (NULL:
 * the system's). */
void fo_cli_set_ca(const char *path);

/* Tries of a request that got no answer or a 503 (backoff with jitter
 * between them: 0.1 s doubling). */
#define FO_CLI_TRIES 6

/*
 * method base+path with body (len bytes, may be NULL) of content_type
 * (NULL: application/json). OUT: *out, the raw answer (caller frees p).
 * Returns the HTTP status, or -1 when no answer arrived. A request that
 * got no answer, or a 503, is sent again (FO_CLI_TRIES): asks carry an
 * Idempotency-Key (fo_cli_request_keyed) so a repeat returns the same
 * samples, and a repeated tell is a no-op on the daemon.
 */
long fo_cli_request(const char *base, const char *method, const char *path,
                    const char *body, size_t len, const char *content_type,
                    struct fo_body *out);

/* The same with an Idempotency-Key header (NULL: none). */
long fo_cli_request_keyed(const char *base, const char *method, const char *path,
                          const char *body, size_t len, const char *content_type,
                          const char *key, struct fo_body *out);

/* A fresh random key (32 hex digits) into key (33 bytes). */
void fo_cli_new_key(char *key);

/* The exit code for an answer: 0 when it is want, 3 when none came (the
 * network), 1 otherwise (an HTTP error, reported on stderr). */
int fo_cli_exit(long status, long want);

/* The same for a JSON answer. OUT: *json (parsed; NULL if not JSON). */
long fo_cli_request_json(const char *base, const char *method, const char *path,
                         const char *body, json_t **json);
long fo_cli_request_json_keyed(const char *base, const char *method, const char *path,
                               const char *body, const char *key, json_t **json);

/* req (taken, may be NULL for no body) sent as JSON; the answer parsed. */
long fo_cli_send_json(const char *base, const char *method, const char *path, json_t *req,
                      json_t **json);

#endif
