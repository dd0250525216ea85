/*
 * auth.h - API tokens. When a tokens file is configured, every request but
 * GET /v1/health must carry "Authorization: Bearer TOKEN" with one of its
 * tokens. The file holds one token a line, optionally followed by its
 * scope, "read" (GET and HEAD only: a dashboard on a wall, a monitor) or
 * "write" (everything; the default). Blank lines and lines starting with
 * '#' are skipped; tokens are at least FO_AUTH_MIN_LEN characters so a
 * typo cannot configure a guessable one. Reloading (SIGHUP) swaps the
 * whole set, or keeps the old one when the file does not load.
 */
#ifndef FLOWOPT_HTTP_AUTH_H
#define FLOWOPT_HTTP_AUTH_H

#include <pthread.h>
#include <stddef.h>
#include <flowopt/status.h>

#define FO_AUTH_MIN_LEN 16
#define FO_AUTH_MAX_LEN 256

enum fo_auth_scope { FO_AUTH_NONE = 0, FO_AUTH_READ = 1, FO_AUTH_WRITE = 2 };

struct fo_auth_token {
    char text[FO_AUTH_MAX_LEN + 1];
    enum fo_auth_scope scope;
};

struct fo_auth {
    pthread_rwlock_t lock;
    struct fo_auth_token *tokens;
    size_t n;
};

void fo_auth_init(struct fo_auth *a);
void fo_auth_free(struct fo_auth *a);

/* Replace the tokens with those of path (all or nothing). OUT: *count. */
enum fo_status fo_auth_load(struct fo_auth *a, const char *path, size_t *count,
                            struct fo_error *err);

/* What a request with this Authorization header (may be NULL) may do:
 * FO_AUTH_WRITE when no token is configured. Compares in time independent
 * of the token. */
enum fo_auth_scope fo_auth_scope_of(struct fo_auth *a, const char *authorization);

#endif
