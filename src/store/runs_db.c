/*
 * runs_db.c - the runs table, their snapshots and the op log; see
 * runs_db.h.
 */
#include "store/runs_db.h"
#include "store/samples_db.h"
#include "store/stmt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct id_cb {
    fo_id_fn fn;
    void *ctx;
};

enum fo_status fo_store_run_insert(struct fo_store *s, const char *id, const char *name,
                                   int64_t dim, const unsigned char *snapshot, size_t len,
                                   struct fo_error *err) {
    sqlite3_stmt *st;
    enum fo_status rc = fo__store_prepare(
        s, "INSERT INTO runs (id, name, dim) VALUES (?, ?, ?)", &st, err);
    if (rc != FO_OK)
        return rc;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, name ? name : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, dim);
    if ((rc = fo__store_run(s, st, "inserting a run", err)) != FO_OK)
        return rc;
    rc = fo__store_prepare(
        s, "INSERT INTO run_snapshots (run_id, seq, data) VALUES (?, 0, ?)", &st, err);
    if (rc != FO_OK)
        return rc;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_blob64(st, 2, snapshot, len, SQLITE_STATIC);
    return fo__store_run(s, st, "inserting a run's snapshot", err);
}

enum fo_status fo_store_run_snapshot(struct fo_store *s, const char *id,
                                     const unsigned char *snapshot, size_t len,
                                     int64_t seq, struct fo_error *err) {
    sqlite3_stmt *st;
    enum fo_status rc =
        fo__store_prepare(s,
                          "UPDATE run_snapshots SET data = ?1, seq ="
                          " CASE WHEN ?2 < 0 THEN (SELECT next_seq - 1 FROM runs"
                          " WHERE id = ?3) ELSE ?2 END"
                          " WHERE run_id = ?3 RETURNING seq",
                          &st, err);
    if (rc != FO_OK)
        return rc;
    sqlite3_bind_blob64(st, 1, snapshot, len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, seq);
    sqlite3_bind_text(st, 3, id, -1, SQLITE_STATIC);
    int step = sqlite3_step(st);
    seq = step == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    fo__store_done(s, st);
    if (step != SQLITE_ROW)
        return step == SQLITE_DONE
                   ? fo_error_set(err, FO_ENOTFOUND, "id", "no run %s", id)
                   : fo__store_fail(s, err, "saving a snapshot");
    if ((rc = fo__store_prepare(s, "DELETE FROM ops WHERE run_id = ? AND seq <= ?", &st,
                                err)) != FO_OK)
        return rc;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, seq);
    return fo__store_run(s, st, "trimming the op log", err);
}

enum fo_status fo_store_run_update(struct fo_store *s, const char *id, const char *name,
                                   const char *state, struct fo_error *err) {
    sqlite3_stmt *st;
    enum fo_status rc = fo__store_prepare(s,
                                          "UPDATE runs SET name = COALESCE(?1, name),"
                                          " state = COALESCE(?2, state) WHERE id = ?3",
                                          &st, err);
    if (rc != FO_OK)
        return rc;
    if (name)
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    if (state)
        sqlite3_bind_text(st, 2, state, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, id, -1, SQLITE_STATIC);
    return fo__store_run(s, st, "updating a run", err);
}

enum fo_status fo_store_run_delete(struct fo_store *s, const char *id,
                                   struct fo_error *err) {
    sqlite3_stmt *st;
    enum fo_status rc = fo__store_prepare(s, "DELETE FROM runs WHERE id = ?", &st, err);
    if (rc != FO_OK)
        return rc;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    return fo__store_run(s, st, "deleting a run", err);
}

static int id_row(void *ctx, sqlite3_stmt *st, struct fo_error *row_err) {
    (void)row_err;
    const struct id_cb *c = ctx;
    return c->fn(c->ctx, (const char *)sqlite3_column_text(st, 0)) != 0;
}

enum fo_status fo_store_run_ids(struct fo_store *s, const char *after, int64_t limit,
                                fo_id_fn fn, void *ctx, struct fo_error *err) {
    sqlite3_stmt *st;
    struct id_cb c = {fn, ctx};
    pthread_mutex_lock(&s->lock);
    enum fo_status rc = fo__store_prepare(
        s, "SELECT id FROM runs WHERE id > ? ORDER BY id LIMIT ?", &st, err);
    if (rc == FO_OK) {
        sqlite3_bind_text(st, 1, after ? after : "", -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, limit);
        rc = fo__store_each_row(s, st, id_row, &c, "listing runs", err);
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

enum fo_status fo_store_ops_append(struct fo_store *s, const char *run_id,
                                   struct fo_op *ops, size_t n, struct fo_error *err) {
    sqlite3_stmt *st;
    enum fo_status rc =
        fo__store_prepare(s,
                          "UPDATE runs SET next_seq = next_seq + ?2 WHERE id = ?1"
                          " RETURNING next_seq - ?2",
                          &st, err);
    if (rc != FO_OK)
        return rc;
    sqlite3_bind_text(st, 1, run_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (int64_t)n);
    int step = sqlite3_step(st);
    int64_t first = step == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    fo__store_done(s, st);
    if (step != SQLITE_ROW)
        return step == SQLITE_DONE
                   ? fo_error_set(err, FO_ENOTFOUND, "run", "no run %s", run_id)
                   : fo__store_fail(s, err, "numbering ops");
    rc = fo__store_prepare(
        s,
        "INSERT INTO ops (run_id, seq, kind, n, sample_id, value, stderr, cost)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        &st, err);
    for (size_t i = 0; rc == FO_OK && i < n; i++) {
        struct fo_op *op = &ops[i];
        op->seq = first + (int64_t)i;
        sqlite3_bind_text(st, 1, run_id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, op->seq);
        sqlite3_bind_int(st, 3, (int)op->kind);
        sqlite3_bind_int64(st, 4, op->n);
        sqlite3_bind_int64(st, 5, op->sample_id);
        if (op->kind == FO_OP_TELL || op->kind == FO_OP_OBSERVE)
            sqlite3_bind_double(st, 6, op->value);
        else
            sqlite3_bind_null(st, 6);
        fo__bind_real(st, 7, op->kind == FO_OP_TELL ? op->std_error : NAN);
        fo__bind_real(st, 8, op->cost);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = fo__store_fail(s, err, "logging an op");
        sqlite3_reset(st);
    }
    fo__store_done(s, st);
    return rc;
}

struct op_cb {
    const char *id;
    fo_op_row_fn fn;
    void *ctx;
    double x[FO_STORE_MAX_DIM]; /* an observation's x */
};

static int op_row(void *ctx, sqlite3_stmt *st, struct fo_error *row_err) {
    struct op_cb *c = ctx;
    struct fo_op op = {sqlite3_column_int64(st, 0),
                       (enum fo_op_kind)sqlite3_column_int(st, 1),
                       sqlite3_column_int64(st, 2),
                       sqlite3_column_int64(st, 3),
                       sqlite3_column_double(st, 4),
                       fo__column_real(st, 5),
                       fo__column_real(st, 6),
                       NULL,
                       0};
    if (op.kind == FO_OP_OBSERVE && sqlite3_column_type(st, 7) == SQLITE_BLOB) {
        size_t bytes = (size_t)sqlite3_column_bytes(st, 7);
        op.dim = bytes / 8 < FO_STORE_MAX_DIM ? bytes / 8 : FO_STORE_MAX_DIM;
        fo__decode_x(sqlite3_column_blob(st, 7), op.dim, c->x);
        op.x = c->x;
    }
    if (c->fn(c->ctx, c->id, &op) == 0)
        return 0;
    fo_error_set(row_err, FO_EDAMAGED, "run", "run %s: op %lld does not replay", c->id,
                 (long long)op.seq);
    return -1;
}

/* Replay the ops of one run after seq through op_fn. */
static enum fo_status load_ops(struct fo_store *s, const char *id, int64_t seq,
                               fo_op_row_fn op_fn, void *ctx, struct fo_error *err) {
    sqlite3_stmt *st;
    struct op_cb *c = malloc(sizeof *c);
    if (!c)
        return fo_error_set(err, FO_ENOMEM, "run", "out of memory");
    *c = (struct op_cb){id, op_fn, ctx, {0}};
    /* an observation's x is its sample row's */
    enum fo_status rc = fo__store_prepare(
        s,
        "SELECT o.seq, o.kind, o.n, o.sample_id, o.value, o.stderr, o.cost, s.x"
        " FROM ops o LEFT JOIN samples s ON o.kind = 6 AND s.run_id = o.run_id"
        " AND s.id = o.sample_id WHERE o.run_id = ? AND o.seq > ? ORDER BY o.seq",
        &st, err);
    if (rc == FO_OK) {
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, seq);
        rc = fo__store_each_row(s, st, op_row, c, "reading the op log", err);
    }
    free(c);
    return rc;
}

struct run_cb {
    struct fo_store *s;
    fo_run_row_fn fn;
    fo_op_row_fn op_fn;
    void *ctx;
};

/* A run's snapshot, then its ops (their statement is another one, so it
 * may step inside this loop). */
static int run_row(void *ctx, sqlite3_stmt *st, struct fo_error *row_err) {
    const struct run_cb *c = ctx;
    const char *id = (const char *)sqlite3_column_text(st, 0);
    int64_t seq = sqlite3_column_int64(st, 4);
    if (c->fn(c->ctx, id, (const char *)sqlite3_column_text(st, 1),
              (const char *)sqlite3_column_text(st, 2), sqlite3_column_blob(st, 3),
              (size_t)sqlite3_column_bytes(st, 3), seq,
              sqlite3_column_int64(st, 5)) != 0) {
        fo_error_set(row_err, FO_EDAMAGED, "run", "run %s: snapshot does not load", id);
        return -1;
    }
    return load_ops(c->s, id, seq, c->op_fn, c->ctx, row_err) == FO_OK ? 0 : -1;
}

enum fo_status fo_store_runs_load(struct fo_store *s, fo_run_row_fn fn,
                                  fo_op_row_fn op_fn, void *ctx, struct fo_error *err) {
    sqlite3_stmt *st;
    struct run_cb c = {s, fn, op_fn, ctx};
    pthread_mutex_lock(&s->lock);
    enum fo_status rc = fo__store_prepare(s,
                                          "SELECT id, name, state, data, seq, next_seq"
                                          " FROM runs"
                                          " JOIN run_snapshots ON run_id = id"
                                          " ORDER BY created_at, id",
                                          &st, err);
    if (rc == FO_OK)
        rc = fo__store_each_row(s, st, run_row, &c, "reading runs", err);
    pthread_mutex_unlock(&s->lock);
    return rc;
}

struct op_buf {
    struct fo_op *ops;
    size_t n, cap;
};

static int collect_op(void *ctx, const char *id, const struct fo_op *op) {
    (void)id;
    struct op_buf *b = ctx;
    if (b->n == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 64;
        struct fo_op *grown = realloc(b->ops, cap * sizeof *grown);
        if (!grown)
            return -1;
        b->ops = grown;
        b->cap = cap;
    }
    b->ops[b->n++] = *op;
    return 0;
}

struct snapshot_out {
    unsigned char **data;
    size_t *len;
    int64_t seq;
};

static int snapshot_row(void *ctx, sqlite3_stmt *st, struct fo_error *row_err) {
    struct snapshot_out *o = ctx;
    o->seq = sqlite3_column_int64(st, 1);
    return fo__column_blob_copy(st, 0, o->data, o->len, "run", row_err) == FO_OK ? 0 : -1;
}

enum fo_status fo_store_run_fetch(struct fo_store *s, const char *id,
                                  unsigned char **snapshot, size_t *len,
                                  struct fo_op **ops, size_t *n_ops,
                                  struct fo_error *err) {
    *snapshot = NULL;
    *len = 0;
    *ops = NULL;
    *n_ops = 0;
    sqlite3_stmt *st;
    struct snapshot_out o = {snapshot, len, 0};
    char none[96];
    snprintf(none, sizeof none, "no run %.64s", id);
    pthread_mutex_lock(&s->lock);
    enum fo_status rc = fo__store_prepare(
        s, "SELECT data, seq FROM run_snapshots WHERE run_id = ?", &st, err);
    if (rc == FO_OK) {
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        rc = fo__store_one_row(s, st, snapshot_row, &o, "reading a run", "id", none, err);
    }
    struct op_buf b = {NULL, 0, 0};
    if (rc == FO_OK)
        rc = load_ops(s, id, o.seq, collect_op, &b, err);
    pthread_mutex_unlock(&s->lock);
    if (rc != FO_OK) {
        free(*snapshot);
        free(b.ops);
        *snapshot = NULL;
        *len = 0;
        return rc;
    }
    *ops = b.ops;
    *n_ops = b.n;
    return FO_OK;
}

enum fo_status fo_store_run_evaluator_set(struct fo_store *s, const char *id,
                                          const char *evaluator, struct fo_error *err) {
    sqlite3_stmt *st;
    enum fo_status rc =
        fo__store_prepare(s, "UPDATE runs SET evaluator = ?1 WHERE id = ?2", &st, err);
    if (rc != FO_OK)
        return rc;
    if (evaluator)
        sqlite3_bind_text(st, 1, evaluator, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
    return fo__store_run(s, st, "setting an evaluator", err);
}

struct evaluator_cb {
    fo_evaluator_fn fn;
    void *ctx;
};

static int evaluator_row(void *ctx, sqlite3_stmt *st, struct fo_error *row_err) {
    (void)row_err;
    const struct evaluator_cb *c = ctx;
    return c->fn(c->ctx, (const char *)sqlite3_column_text(st, 0),
                 (const char *)sqlite3_column_text(st, 1)) != 0;
}

enum fo_status fo_store_run_evaluators(struct fo_store *s, fo_evaluator_fn fn, void *ctx,
                                       struct fo_error *err) {
    sqlite3_stmt *st;
    struct evaluator_cb c = {fn, ctx};
    pthread_mutex_lock(&s->lock);
    enum fo_status rc = fo__store_prepare(
        s, "SELECT id, evaluator FROM runs WHERE evaluator IS NOT NULL ORDER BY id", &st,
        err);
    if (rc == FO_OK)
        rc = fo__store_each_row(s, st, evaluator_row, &c, "reading evaluators", err);
    pthread_mutex_unlock(&s->lock);
    return rc;
}

static int one_evaluator(void *ctx, sqlite3_stmt *st, struct fo_error *row_err) {
    (void)row_err;
    const char *t = (const char *)sqlite3_column_text(st, 0);
    char **out = ctx;
    *out = t ? strdup(t) : NULL;
    return t && !*out;
}

enum fo_status fo_store_run_evaluator_get(struct fo_store *s, const char *id, char **out,
                                          struct fo_error *err) {
    sqlite3_stmt *st;
    *out = NULL;
    pthread_mutex_lock(&s->lock);
    enum fo_status rc =
        fo__store_prepare(s, "SELECT evaluator FROM runs WHERE id = ?", &st, err);
    if (rc == FO_OK) {
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        rc = fo__store_one_row(s, st, one_evaluator, out, "reading an evaluator", "id",
                               NULL, err);
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

struct created_out {
    char *p;
    size_t cap;
};

static int created_row(void *ctx, sqlite3_stmt *st, struct fo_error *row_err) {
    (void)row_err;
    struct created_out *o = ctx;
    const char *t = (const char *)sqlite3_column_text(st, 0);
    snprintf(o->p, o->cap, "%s", t ? t : "");
    return 0;
}

enum fo_status fo_store_run_created(struct fo_store *s, const char *id, char *out,
                                    size_t cap, struct fo_error *err) {
    sqlite3_stmt *st;
    struct created_out o = {out, cap};
    if (cap)
        out[0] = '\0';
    pthread_mutex_lock(&s->lock);
    enum fo_status rc =
        fo__store_prepare(s, "SELECT created_at FROM runs WHERE id = ?", &st, err);
    if (rc == FO_OK) {
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        rc = fo__store_one_row(s, st, created_row, &o, "reading a run", "id", NULL, err);
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}
