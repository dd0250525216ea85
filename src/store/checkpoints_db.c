/* checkpoints_db.c - the checkpoints table; see checkpoints_db.h. */
#include "store/checkpoints_db.h"
#include "store/stmt.h"

#include <stdio.h>

enum fo_status fo_store_checkpoint_insert(struct fo_store *s, const char *run_id,
                                          const unsigned char *snapshot, size_t len,
                                          int64_t *cid, struct fo_error *err) {
    sqlite3_stmt *st;
    enum fo_status rc =
        fo__store_prepare(s,
                          "INSERT INTO checkpoints (run_id, id, snapshot) VALUES (?1,"
                          " (SELECT COALESCE(MAX(id), 0) + 1 FROM checkpoints"
                          " WHERE run_id = ?1), ?2) RETURNING id",
                          &st, err);
    if (rc != FO_OK)
        return rc;
    sqlite3_bind_text(st, 1, run_id, -1, SQLITE_STATIC);
    sqlite3_bind_blob64(st, 2, snapshot, len, SQLITE_STATIC);
    int step = sqlite3_step(st);
    *cid = step == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    fo__store_done(s, st);
    return step == SQLITE_ROW ? FO_OK : fo__store_fail(s, err, "saving a checkpoint");
}

struct checkpoint_cb {
    fo_checkpoint_fn fn;
    void *ctx;
};

static int checkpoint_row(void *ctx, sqlite3_stmt *st, struct fo_error *row_err) {
    (void)row_err;
    const struct checkpoint_cb *c = ctx;
    return c->fn(c->ctx, sqlite3_column_int64(st, 0),
                 (const char *)sqlite3_column_text(st, 1),
                 (size_t)sqlite3_column_int64(st, 2)) != 0;
}

enum fo_status fo_store_checkpoints(struct fo_store *s, const char *run_id,
                                    fo_checkpoint_fn fn, void *ctx,
                                    struct fo_error *err) {
    sqlite3_stmt *st;
    struct checkpoint_cb c = {fn, ctx};
    pthread_mutex_lock(&s->lock);
    enum fo_status rc =
        fo__store_prepare(s,
                          "SELECT id, created_at, length(snapshot) FROM checkpoints"
                          " WHERE run_id = ? ORDER BY id",
                          &st, err);
    if (rc == FO_OK) {
        sqlite3_bind_text(st, 1, run_id, -1, SQLITE_STATIC);
        rc = fo__store_each_row(s, st, checkpoint_row, &c, "listing checkpoints", err);
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

struct blob_out {
    unsigned char **data;
    size_t *len;
};

static int blob_row(void *ctx, sqlite3_stmt *st, struct fo_error *row_err) {
    struct blob_out *o = ctx;
    return fo__column_blob_copy(st, 0, o->data, o->len, "checkpoint", row_err) == FO_OK
               ? 0
               : -1;
}

enum fo_status fo_store_checkpoint_get(struct fo_store *s, const char *run_id,
                                       int64_t cid, unsigned char **snapshot, size_t *len,
                                       struct fo_error *err) {
    sqlite3_stmt *st;
    struct blob_out o = {snapshot, len};
    char none[48];
    snprintf(none, sizeof none, "no checkpoint %lld", (long long)cid);
    *snapshot = NULL;
    *len = 0;
    pthread_mutex_lock(&s->lock);
    enum fo_status rc = fo__store_prepare(
        s, "SELECT snapshot FROM checkpoints WHERE run_id = ? AND id = ?", &st, err);
    if (rc == FO_OK) {
        sqlite3_bind_text(st, 1, run_id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, cid);
        rc = fo__store_one_row(s, st, blob_row, &o, "reading a checkpoint", "cid", none,
                               err);
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

enum fo_status fo_store_checkpoints_trim(struct fo_store *s, const char *run_id,
                                         int64_t keep, struct fo_error *err) {
    sqlite3_stmt *st;
    enum fo_status rc =
        fo__store_prepare(s,
                          "DELETE FROM checkpoints WHERE run_id = ?1 AND id <="
                          " (SELECT MAX(id) FROM checkpoints WHERE run_id = ?1) - ?2",
                          &st, err);
    if (rc != FO_OK)
        return rc;
    sqlite3_bind_text(st, 1, run_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, keep);
    return fo__store_run(s, st, "trimming checkpoints", err);
}
