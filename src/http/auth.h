/*
 * auth.h - API tokens. When a tokens file is configured, every request but
 * GET /v1/health must carry "Authorization: Bearer TOKEN" with one of its
 * tokens. The file holds one token a line (blank lines and lines starting
 * with '#' are skipped); tokens are at least FO_AUTH_MIN_LEN characters so
 * a typo cannot configure a guessable one. Reloading (SIGHUP) swaps the
 * whole set, or keeps the old one when the file does not load.
 */
#ifndef FLOWOPT_HTTP_AUTH_H
#define FLOWOPT_HTTP_AUTH_H

#include <pthread.h>
#include <stddef.h>
#include <flowopt/status.h>

#define FO_AUTH_MIN_LEN 16
#define FO_AUTH_MAX_LEN 256

struct fo_auth {
    pthread_rwlock_t lock;
    char (*tokens)[FO_AUTH_MAX_LEN + 1];
    size_t n;
};

void fo_auth_init(struct fo_auth *a);
void fo_auth_free(struct fo_auth *a);

/* Replace the tokens with those of path (all or nothing). OUT: *count. */
enum fo_status fo_auth_load(struct fo_auth *a, const char *path, size_t *count,
                            struct fo_error *err);

/* Does a request with this Authorization header (may be NULL) pass? Always
 * when no token is configured. Compares in time independent of the token. */
int fo_auth_allows(struct fo_auth *a, const char *authorization);

#endif
