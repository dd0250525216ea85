/*
 * samples_db.c - the samples table (x stored as little-endian doubles) and
 * the asks' idempotency keys; see samples_db.h.
 */
#include "store/samples_db.h"
#include "store/stmt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sample_cb {
    fo_sample_row_fn fn;
    void *ctx;
    double x[FO_STORE_MAX_DIM];
};

static int sample_row(void *ctx, sqlite3_stmt *st, struct fo_error *row_err) {
    (void)row_err;
    struct sample_cb *c = ctx;
    struct fo_sample_row r;
    size_t bytes = (size_t)sqlite3_column_bytes(st, 2);
    r.dim = bytes / 8 < FO_STORE_MAX_DIM ? bytes / 8 : FO_STORE_MAX_DIM;
    fo__decode_x(sqlite3_column_blob(st, 2), r.dim, c->x);
    r.id = sqlite3_column_int64(st, 0);
    r.generation = sqlite3_column_int64(st, 1);
    r.x = c->x;
    r.log_prob = sqlite3_column_double(st, 3);
    r.status = (const char *)sqlite3_column_text(st, 4);
    r.value = fo__column_real(st, 5);
    r.asked_at = (const char *)sqlite3_column_text(st, 6);
    r.told_at = (const char *)sqlite3_column_text(st, 7);
    r.error = (const char *)sqlite3_column_text(st, 8);
    r.std_error = fo__column_real(st, 9);
    r.shots = sqlite3_column_int64(st, 10);      /* NULL reads as 0 */
    r.reissue_of = sqlite3_column_int64(st, 11); /* NULL reads as 0 */
    r.client_id = (const char *)sqlite3_column_text(st, 12);
    r.lease_until = (const char *)sqlite3_column_text(st, 13);
    r.cost = fo__column_real(st, 14);
    r.metadata = (const char *)sqlite3_column_text(st, 15);
    r.metrics = (const char *)sqlite3_column_text(st, 16);
    r.observed = strcmp((const char *)sqlite3_column_text(st, 17), "observed") == 0;
    return c->fn(c->ctx, &r) != 0;
}

enum fo_status fo_store_samples(struct fo_store *s, const char *run_id,
                                const char *status, const char *client_id,
                                int64_t generation, int64_t after, int64_t limit,
                                fo_sample_row_fn fn, void *ctx, struct fo_error *err) {
    sqlite3_stmt *st;
    struct sample_cb *c = malloc(sizeof *c);
    if (!c)
        return fo_error_set(err, FO_ENOMEM, "samples", "out of memory");
    c->fn = fn;
    c->ctx = ctx;
    pthread_mutex_lock(&s->lock);
    enum fo_status rc =
        fo__store_prepare(s,
                          "SELECT id, generation, x, log_prob, status, value, asked_at,"
                          " told_at, error, stderr, shots, reissue_of, client_id,"
                          " lease_until, cost, metadata, metrics, origin FROM samples"
                          " WHERE run_id = ?1 AND id > ?2"
                          " AND (?3 IS NULL OR status = ?3)"
                          " AND (?4 < 0 OR generation = ?4)"
                          " AND (?6 IS NULL OR client_id = ?6) ORDER BY id LIMIT ?5",
                          &st, err);
    if (rc == FO_OK) {
        sqlite3_bind_text(st, 1, run_id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, after);
        if (status)
            sqlite3_bind_text(st, 3, status, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, generation);
        sqlite3_bind_int64(st, 5, limit);
        if (client_id)
            sqlite3_bind_text(st, 6, client_id, -1, SQLITE_STATIC);
        rc = fo__store_each_row(s, st, sample_row, c, "reading samples", err);
    }
    pthread_mutex_unlock(&s->lock);
    free(c);
    return rc;
}

enum fo_status fo_store_sample_insert(struct fo_store *s, const char *run_id,
                                      const struct fo_store_new_sample *n,
                                      struct fo_error *err) {
    const size_t dim = n->dim;
    const double *x = n->x;
    unsigned char *blob = malloc(dim > 0 ? dim * 8 : 1);
    if (!blob)
        return fo_error_set(err, FO_ENOMEM, "samples", "out of memory");
    for (size_t d = 0; d < dim; d++) {
        uint64_t u;
        memcpy(&u, &x[d], sizeof u);
        for (int b = 0; b < 8; b++)
            blob[8 * d + (size_t)b] = (unsigned char)(u >> (8 * b));
    }
    sqlite3_stmt *st;
    enum fo_status rc =
        fo__store_prepare(s,
                          "INSERT INTO samples (run_id, id, generation, x, log_prob,"
                          " reissue_of, client_id, lease_s, lease_until, origin)"
                          " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,"
                          " CASE WHEN ?8 IS NULL THEN NULL ELSE strftime("
                          "'%Y-%m-%dT%H:%M:%fZ', 'now', '+' || ?8 || ' seconds') END,"
                          " ?9)",
                          &st, err);
    if (rc == FO_OK) {
        sqlite3_bind_text(st, 1, run_id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, n->id);
        sqlite3_bind_int64(st, 3, n->generation);
        sqlite3_bind_blob64(st, 4, blob, dim * 8, SQLITE_STATIC);
        sqlite3_bind_double(st, 5, n->log_prob);
        if (n->reissue_of > 0)
            sqlite3_bind_int64(st, 6, n->reissue_of);
        if (n->client_id)
            sqlite3_bind_text(st, 7, n->client_id, -1, SQLITE_STATIC);
        fo__bind_real(st, 8, n->lease_s); /* NaN: NULL */
        sqlite3_bind_text(st, 9, n->observed ? "observed" : "asked", -1, SQLITE_STATIC);
        rc = fo__store_run(s, st, "recording a sample", err);
    }
    free(blob);
    return rc;
}

enum fo_status fo_store_sample_resolve(struct fo_store *s, const char *run_id, int64_t id,
                                       const struct fo_store_result *r,
                                       struct fo_error *err) {
    sqlite3_stmt *st;
    enum fo_status rc = fo__store_prepare(
        s,
        "UPDATE samples SET status = ?, value = ?, error = ?, stderr = ?, shots = ?,"
        " cost = ?8, metadata = ?9, metrics = ?10,"
        " told_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"
        " WHERE run_id = ?6 AND id = ?7",
        &st, err);
    if (rc != FO_OK)
        return rc;
    sqlite3_bind_text(st, 1, r->status, -1, SQLITE_STATIC);
    fo__bind_real(st, 2, r->value);
    if (r->error)
        sqlite3_bind_text(st, 3, r->error, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 3);
    fo__bind_real(st, 4, r->std_error);
    if (r->shots > 0)
        sqlite3_bind_int64(st, 5, r->shots);
    else
        sqlite3_bind_null(st, 5);
    sqlite3_bind_text(st, 6, run_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 7, id);
    fo__bind_real(st, 8, r->cost);
    if (r->metadata)
        sqlite3_bind_text(st, 9, r->metadata, -1, SQLITE_STATIC);
    if (r->metrics)
        sqlite3_bind_text(st, 10, r->metrics, -1, SQLITE_STATIC);
    return fo__store_run(s, st, "recording a result", err);
}

struct state_out {
    char *status;
    size_t cap;
    double *value;
};

static int state_row(void *ctx, sqlite3_stmt *st, struct fo_error *row_err) {
    (void)row_err;
    struct state_out *o = ctx;
    snprintf(o->status, o->cap, "%s", (const char *)sqlite3_column_text(st, 0));
    *o->value = sqlite3_column_double(st, 1);
    return 0;
}

enum fo_status fo_store_sample_state(struct fo_store *s, const char *run_id, int64_t id,
                                     char *status, size_t cap, double *value,
                                     struct fo_error *err) {
    sqlite3_stmt *st;
    struct state_out o = {status, cap, value};
    char none[64];
    snprintf(none, sizeof none, "no sample %lld in this run", (long long)id);
    pthread_mutex_lock(&s->lock);
    enum fo_status rc = fo__store_prepare(
        s, "SELECT status, value FROM samples WHERE run_id = ? AND id = ?", &st, err);
    if (rc == FO_OK) {
        sqlite3_bind_text(st, 1, run_id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, id);
        rc = fo__store_one_row(s, st, state_row, &o, "reading a sample", "id", none, err);
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

enum fo_status fo_store_samples_expire_from(struct fo_store *s, const char *run_id,
                                            int64_t first_id, const char *error,
                                            struct fo_error *err) {
    sqlite3_stmt *st;
    enum fo_status rc =
        fo__store_prepare(s,
                          "UPDATE samples SET status = 'expired', error = ?,"
                          " told_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"
                          " WHERE run_id = ? AND id >= ? AND status = 'pending'",
                          &st, err);
    if (rc != FO_OK)
        return rc;
    sqlite3_bind_text(st, 1, error, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, run_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, first_id);
    return fo__store_run(s, st, "expiring samples", err);
}

enum fo_status fo_store_ask_key_insert(struct fo_store *s, const char *run_id,
                                       const char *key, int64_t first_id, int64_t n,
                                       struct fo_error *err) {
    sqlite3_stmt *st;
    enum fo_status rc = fo__store_prepare(
        s, "INSERT INTO ask_keys (run_id, key, first_id, n) VALUES (?, ?, ?, ?)", &st,
        err);
    if (rc != FO_OK)
        return rc;
    sqlite3_bind_text(st, 1, run_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, first_id);
    sqlite3_bind_int64(st, 4, n);
    return fo__store_run(s, st, "recording an idempotency key", err);
}

struct key_out {
    int64_t *first_id, *n;
};

static int key_row(void *ctx, sqlite3_stmt *st, struct fo_error *row_err) {
    (void)row_err;
    struct key_out *o = ctx;
    *o->first_id = sqlite3_column_int64(st, 0);
    *o->n = sqlite3_column_int64(st, 1);
    return 0;
}

enum fo_status fo_store_ask_key_get(struct fo_store *s, const char *run_id,
                                    const char *key, int64_t *first_id, int64_t *n,
                                    struct fo_error *err) {
    sqlite3_stmt *st;
    struct key_out o = {first_id, n};
    pthread_mutex_lock(&s->lock);
    enum fo_status rc = fo__store_prepare(
        s, "SELECT first_id, n FROM ask_keys WHERE run_id = ? AND key = ?", &st, err);
    if (rc == FO_OK) {
        sqlite3_bind_text(st, 1, run_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
        rc = fo__store_one_row(s, st, key_row, &o, "reading a key", "key", NULL, err);
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

struct id64_cb {
    fo_id64_fn fn;
    void *ctx;
};

static int id64_row(void *ctx, sqlite3_stmt *st, struct fo_error *row_err) {
    (void)row_err;
    const struct id64_cb *c = ctx;
    return c->fn(c->ctx, sqlite3_column_int64(st, 0)) != 0;
}

enum fo_status fo_store_pending_older(struct fo_store *s, const char *run_id,
                                      double seconds, int64_t limit, fo_id64_fn fn,
                                      void *ctx, struct fo_error *err) {
    sqlite3_stmt *st;
    struct id64_cb c = {fn, ctx};
    char modifier[64];
    snprintf(modifier, sizeof modifier, "-%.3f seconds", seconds);
    pthread_mutex_lock(&s->lock);
    enum fo_status rc = fo__store_prepare(
        s,
        "SELECT id FROM samples WHERE run_id = ?1 AND status = 'pending'"
        " AND (lease_until < strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"
        " OR (lease_until IS NULL AND ?4 > 0"
        " AND asked_at < strftime('%Y-%m-%dT%H:%M:%fZ', 'now', ?2)))"
        " ORDER BY id LIMIT ?3",
        &st, err);
    if (rc == FO_OK) {
        sqlite3_bind_text(st, 1, run_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, modifier, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 3, limit);
        sqlite3_bind_double(st, 4, seconds);
        rc = fo__store_each_row(s, st, id64_row, &c, "finding expired samples", err);
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

enum fo_status fo_store_leases_renew(struct fo_store *s, const char *run_id,
                                     const char *client_id, double lease_s,
                                     int64_t *renewed, struct fo_error *err) {
    sqlite3_stmt *st;
    enum fo_status rc =
        fo__store_prepare(s,
                          "UPDATE samples SET lease_s = coalesce(?3, lease_s),"
                          " lease_until = strftime('%Y-%m-%dT%H:%M:%fZ', 'now',"
                          " '+' || coalesce(?3, lease_s) || ' seconds')"
                          " WHERE run_id = ?1 AND client_id = ?2 AND status = 'pending'"
                          " AND coalesce(?3, lease_s) IS NOT NULL",
                          &st, err);
    if (rc != FO_OK)
        return rc;
    sqlite3_bind_text(st, 1, run_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, client_id, -1, SQLITE_STATIC);
    fo__bind_real(st, 3, lease_s);
    rc = fo__store_run(s, st, "renewing leases", err);
    if (rc == FO_OK && renewed)
        *renewed = sqlite3_changes(s->db);
    return rc;
}

static int count_row(void *ctx, sqlite3_stmt *st, struct fo_error *row_err) {
    (void)row_err;
    *(int64_t *)ctx = sqlite3_column_int64(st, 0);
    return 0;
}

enum fo_status fo_store_leased_pending(struct fo_store *s, const char *run_id, int64_t *n,
                                       struct fo_error *err) {
    sqlite3_stmt *st;
    *n = 0;
    pthread_mutex_lock(&s->lock);
    enum fo_status rc = fo__store_prepare(
        s,
        "SELECT COUNT(*) FROM samples WHERE run_id = ? AND status = 'pending'"
        " AND lease_until IS NOT NULL",
        &st, err);
    if (rc == FO_OK) {
        sqlite3_bind_text(st, 1, run_id, -1, SQLITE_STATIC);
        rc = fo__store_one_row(s, st, count_row, n, "counting leases", "run", NULL, err);
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}
