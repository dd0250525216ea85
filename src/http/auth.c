/* auth.c - API tokens; see auth.h. */
#include "http/auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void fo_auth_init(struct fo_auth *a) {
    memset(a, 0, sizeof *a);
    pthread_rwlock_init(&a->lock, NULL);
}

void fo_auth_free(struct fo_auth *a) {
    free(a->tokens);
    a->tokens = NULL;
    a->n = 0;
    pthread_rwlock_destroy(&a->lock);
}

/* line without surrounding blanks; NULL for a blank or comment line. */
static char *trim(char *line) {
    while (*line == ' ' || *line == '\t')
        line++;
    size_t n = strlen(line);
    while (n && strchr(" \t\r\n", line[n - 1]))
        line[--n] = '\0';
    return *line && *line != '#' ? line : NULL;
}

enum fo_status fo_auth_load(struct fo_auth *a, const char *path, size_t *count,
                            struct fo_error *err) {
    FILE *f = fopen(path, "r");
    if (!f)
        return fo_error_set(err, FO_EIO, "tokens-file", "cannot read %s", path);
    struct fo_auth_token *tokens = NULL;
    size_t n = 0, cap = 0;
    char line[1024];
    enum fo_status st = FO_OK;
    for (int lineno = 1; st == FO_OK && fgets(line, sizeof line, f); lineno++) {
        char *t = trim(line);
        if (!t)
            continue;
        size_t len = strcspn(t, " \t");
        const char *scope = t + len + strspn(t + len, " \t");
        enum fo_auth_scope sc = !*scope                       ? FO_AUTH_WRITE
                                : strcmp(scope, "write") == 0 ? FO_AUTH_WRITE
                                : strcmp(scope, "read") == 0  ? FO_AUTH_READ
                                                              : FO_AUTH_NONE;
        if (len < FO_AUTH_MIN_LEN || len > FO_AUTH_MAX_LEN || sc == FO_AUTH_NONE) {
            st =
                fo_error_set(err, FO_EINVAL, "tokens-file",
                             "%s line %d: a token is %d to %d characters without blanks, "
                             "then optionally read or write",
                             path, lineno, FO_AUTH_MIN_LEN, FO_AUTH_MAX_LEN);
            break;
        }
        if (n == cap) {
            cap = cap ? 2 * cap : 8;
            void *g = realloc(tokens, cap * sizeof *tokens);
            if (!g) {
                st = fo_error_set(err, FO_ENOMEM, "tokens-file", "out of memory");
                break;
            }
            tokens = g;
        }
        memset(&tokens[n], 0, sizeof tokens[n]);
        memcpy(tokens[n].text, t, len);
        tokens[n++].scope = sc;
    }
    fclose(f);
    if (st == FO_OK && n == 0)
        st = fo_error_set(err, FO_EINVAL, "tokens-file", "%s holds no token", path);
    if (st != FO_OK) {
        free(tokens);
        return st;
    }
    pthread_rwlock_wrlock(&a->lock);
    free(a->tokens);
    a->tokens = tokens;
    a->n = n;
    pthread_rwlock_unlock(&a->lock);
    *count = n;
    return FO_OK;
}

/* 1 when a equals b, in time that depends only on the buffer size. */
static int same_token(const char *a, const char *b) {
    unsigned char diff = 0;
    for (size_t i = 0; i <= FO_AUTH_MAX_LEN; i++)
        diff |= (unsigned char)a[i] ^ (unsigned char)b[i];
    return diff == 0;
}

enum fo_auth_scope fo_auth_scope_of(struct fo_auth *a, const char *authorization) {
    pthread_rwlock_rdlock(&a->lock);
    int allowed = a->n == 0 ? FO_AUTH_WRITE : FO_AUTH_NONE;
    if (!allowed && authorization && strncasecmp(authorization, "Bearer ", 7) == 0) {
        const char *given = authorization + 7;
        while (*given == ' ')
            given++;
        char padded[FO_AUTH_MAX_LEN + 1] = {0};
        size_t len = strlen(given);
        if (len <= FO_AUTH_MAX_LEN) {
            memcpy(padded, given, len);
            /* every token compared, whichever matches */
            for (size_t i = 0; i < a->n; i++) {
                int s =
                    same_token(padded, a->tokens[i].text) ? (int)a->tokens[i].scope : 0;
                allowed = s > allowed ? s : allowed;
            }
        }
    }
    pthread_rwlock_unlock(&a->lock);
    return (enum fo_auth_scope)allowed;
}
