/* runs_db.c - SQL for runs, ops, samples and steps; see runs_db.h. */
#include "store/runs_db.h"
#include "store/store_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static enum fo_status fail(struct fo_store *s, struct fo_error *err, const char *what) {
    int code = sqlite3_errcode(s->db) & 0xff;
    enum fo_status st = code == SQLITE_BUSY || code == SQLITE_LOCKED      ? FO_EBUSY
                        : code == SQLITE_CORRUPT || code == SQLITE_NOTADB ? FO_ECORRUPT
                        : code == SQLITE_CONSTRAINT                       ? FO_ECONFLICT
                                                                          : FO_EIO;
    return fo_error_set(err, st, "database", "%s: %s", what, sqlite3_errmsg(s->db));
}

/*
 * A prepared statement for sql, from the store's cache (keyed by the
 * address of the SQL literal) or freshly prepared into it. Statements are
 * reset, not finalized, after use (done()); the store finalizes them on
 * close. Callers hold the store lock, so no statement is used twice at once.
 */
static enum fo_status prepare(struct fo_store *s, const char *sql, sqlite3_stmt **st,
                              struct fo_error *err) {
    for (size_t i = 0; i < s->n_cached; i++)
        if (s->cache[i].sql == sql) {
            *st = s->cache[i].stmt;
            return FO_OK;
        }
    if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) !=
        SQLITE_OK) {
        *st = NULL;
        return fail(s, err, "preparing a statement");
    }
    if (s->n_cached < FO_STORE_CACHE) {
        s->cache[s->n_cached].sql = sql;
        s->cache[s->n_cached].stmt = *st;
        s->n_cached++;
    }
    return FO_OK;
}

/* Return a statement to the cache (or finalize one that did not fit). */
static void done(struct fo_store *s, sqlite3_stmt *st) {
    for (size_t i = 0; i < s->n_cached; i++)
        if (s->cache[i].stmt == st) {
            sqlite3_reset(st);
            sqlite3_clear_bindings(st);
            return;
        }
    sqlite3_finalize(st);
}

/* Step a statement that returns no rows, finalize it. */
static enum fo_status run(struct fo_store *s, sqlite3_stmt *st, const char *what,
                          struct fo_error *err) {
    int rc = sqlite3_step(st);
    enum fo_status out = rc == SQLITE_DONE ? FO_OK : fail(s, err, what);
    done(s, st);
    return out;
}

static double column_real(sqlite3_stmt *st, int i) {
    return sqlite3_column_type(st, i) == SQLITE_NULL ? NAN : sqlite3_column_double(st, i);
}

enum fo_status fo_store_begin(struct fo_store *s, struct fo_error *err) {
    pthread_mutex_lock(&s->lock);
    if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
        enum fo_status st = fail(s, err, "starting a transaction");
        pthread_mutex_unlock(&s->lock);
        return st;
    }
    return FO_OK;
}

enum fo_status fo_store_commit_async(struct fo_store *s, uint64_t *ticket,
                                     struct fo_error *err) {
    *ticket = 0;
    if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        enum fo_status st = fail(s, err, "committing");
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        pthread_mutex_unlock(&s->lock);
        return st;
    }
    *ticket = fo__wal_ticket(&s->wal);
    pthread_mutex_unlock(&s->lock);
    return FO_OK;
}

enum fo_status fo_store_wait(struct fo_store *s, uint64_t ticket, struct fo_error *err) {
    return fo__wal_sync(&s->wal, ticket, err);
}

enum fo_status fo_store_commit(struct fo_store *s, struct fo_error *err) {
    uint64_t ticket;
    enum fo_status st = fo_store_commit_async(s, &ticket, err);
    /* Outside the lock, so the next transactions join this one's sync. */
    return st == FO_OK ? fo_store_wait(s, ticket, err) : st;
}

void fo_store_rollback(struct fo_store *s) {
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    pthread_mutex_unlock(&s->lock);
}

enum fo_status fo_store_run_insert(struct fo_store *s, const char *id, const char *name,
                                   int64_t dim, const unsigned char *snapshot, size_t len,
                                   struct fo_error *err) {
    sqlite3_stmt *st;
    enum fo_status rc =
        prepare(s, "INSERT INTO runs (id, name, dim) VALUES (?, ?, ?)", &st, err);
    if (rc != FO_OK)
        return rc;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, name ? name : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, dim);
    if ((rc = run(s, st, "inserting a run", err)) != FO_OK)
        return rc;
    rc = prepare(s, "INSERT INTO run_snapshots (run_id, seq, data) VALUES (?, 0, ?)", &st,
                 err);
    if (rc != FO_OK)
        return rc;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_blob64(st, 2, snapshot, len, SQLITE_STATIC);
    return run(s, st, "inserting a run's snapshot", err);
}

enum fo_status fo_store_run_snapshot(struct fo_store *s, const char *id,
                                     const unsigned char *snapshot, size_t len,
                                     int64_t seq, struct fo_error *err) {
    sqlite3_stmt *st;
    enum fo_status rc = prepare(s,
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
    done(s, st);
    if (step != SQLITE_ROW)
        return step == SQLITE_DONE
                   ? fo_error_set(err, FO_ENOTFOUND, "id", "no run %s", id)
                   : fail(s, err, "saving a snapshot");
    if ((rc = prepare(s, "DELETE FROM ops WHERE run_id = ? AND seq <= ?", &st, err)) !=
        FO_OK)
        return rc;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, seq);
    return run(s, st, "trimming the op log", err);
}

enum fo_status fo_store_run_update(struct fo_store *s, const char *id, const char *name,
                                   const char *state, struct fo_error *err) {
    sqlite3_stmt *st;
    enum fo_status rc = prepare(s,
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
    return run(s, st, "updating a run", err);
}

enum fo_status fo_store_run_delete(struct fo_store *s, const char *id,
                                   struct fo_error *err) {
    sqlite3_stmt *st;
    enum fo_status rc = prepare(s, "DELETE FROM runs WHERE id = ?", &st, err);
    if (rc != FO_OK)
        return rc;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    return run(s, st, "deleting a run", err);
}

enum fo_status fo_store_run_ids(struct fo_store *s, const char *after, int64_t limit,
                                fo_id_fn fn, void *ctx, struct fo_error *err) {
    sqlite3_stmt *st;
    pthread_mutex_lock(&s->lock);
    enum fo_status rc =
        prepare(s, "SELECT id FROM runs WHERE id > ? ORDER BY id LIMIT ?", &st, err);
    if (rc == FO_OK) {
        sqlite3_bind_text(st, 1, after ? after : "", -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, limit);
        int step;
        while ((step = sqlite3_step(st)) == SQLITE_ROW)
            if (fn(ctx, (const char *)sqlite3_column_text(st, 0)) != 0)
                break;
        if (step != SQLITE_ROW && step != SQLITE_DONE)
            rc = fail(s, err, "listing runs");
        done(s, st);
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

/* x is stored as little-endian doubles. */
static void decode_x(const unsigned char *b, size_t n, double *x) {
    for (size_t d = 0; d < n; d++) {
        uint64_t u = 0;
        for (int k = 0; k < 8; k++)
            u |= (uint64_t)b[8 * d + (size_t)k] << (8 * k);
        memcpy(&x[d], &u, sizeof u);
    }
}

enum fo_status fo_store_samples(struct fo_store *s, const char *run_id,
                                const char *status, int64_t generation, int64_t after,
                                int64_t limit, fo_sample_row_fn fn, void *ctx,
                                struct fo_error *err) {
    sqlite3_stmt *st;
    pthread_mutex_lock(&s->lock);
    enum fo_status rc =
        prepare(s,
                "SELECT id, generation, x, log_prob, status, value, asked_at,"
                " told_at, error FROM samples WHERE run_id = ?1 AND id > ?2"
                " AND (?3 IS NULL OR status = ?3)"
                " AND (?4 < 0 OR generation = ?4) ORDER BY id LIMIT ?5",
                &st, err);
    if (rc == FO_OK) {
        sqlite3_bind_text(st, 1, run_id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, after);
        if (status)
            sqlite3_bind_text(st, 3, status, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, generation);
        sqlite3_bind_int64(st, 5, limit);
        int step;
        double x[FO_STORE_MAX_DIM];
        while ((step = sqlite3_step(st)) == SQLITE_ROW) {
            struct fo_sample_row r;
            size_t bytes = (size_t)sqlite3_column_bytes(st, 2);
            r.dim = bytes / 8 < FO_STORE_MAX_DIM ? bytes / 8 : FO_STORE_MAX_DIM;
            decode_x(sqlite3_column_blob(st, 2), r.dim, x);
            r.id = sqlite3_column_int64(st, 0);
            r.generation = sqlite3_column_int64(st, 1);
            r.x = x;
            r.log_prob = sqlite3_column_double(st, 3);
            r.status = (const char *)sqlite3_column_text(st, 4);
            r.value = column_real(st, 5);
            r.asked_at = (const char *)sqlite3_column_text(st, 6);
            r.told_at = (const char *)sqlite3_column_text(st, 7);
            r.error = (const char *)sqlite3_column_text(st, 8);
            if (fn(ctx, &r) != 0)
                break;
        }
        if (step != SQLITE_ROW && step != SQLITE_DONE)
            rc = fail(s, err, "reading samples");
        done(s, st);
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

enum fo_status fo_store_ops_append(struct fo_store *s, const char *run_id,
                                   struct fo_op *ops, size_t n, struct fo_error *err) {
    sqlite3_stmt *st;
    enum fo_status rc = prepare(s,
                                "UPDATE runs SET next_seq = next_seq + ?2 WHERE id = ?1"
                                " RETURNING next_seq - ?2",
                                &st, err);
    if (rc != FO_OK)
        return rc;
    sqlite3_bind_text(st, 1, run_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (int64_t)n);
    int step = sqlite3_step(st);
    int64_t first = step == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    done(s, st);
    if (step != SQLITE_ROW)
        return step == SQLITE_DONE
                   ? fo_error_set(err, FO_ENOTFOUND, "run", "no run %s", run_id)
                   : fail(s, err, "numbering ops");
    rc = prepare(s,
                 "INSERT INTO ops (run_id, seq, kind, n, sample_id, value)"
                 " VALUES (?, ?, ?, ?, ?, ?)",
                 &st, err);
    for (size_t i = 0; rc == FO_OK && i < n; i++) {
        struct fo_op *op = &ops[i];
        op->seq = first + (int64_t)i;
        sqlite3_bind_text(st, 1, run_id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, op->seq);
        sqlite3_bind_int(st, 3, (int)op->kind);
        sqlite3_bind_int64(st, 4, op->n);
        sqlite3_bind_int64(st, 5, op->sample_id);
        if (op->kind == FO_OP_TELL)
            sqlite3_bind_double(st, 6, op->value);
        else
            sqlite3_bind_null(st, 6);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = fail(s, err, "logging an op");
        sqlite3_reset(st);
    }
    done(s, st);
    return rc;
}

enum fo_status fo_store_sample_insert(struct fo_store *s, const char *run_id, int64_t id,
                                      int64_t generation, const double *x, size_t dim,
                                      double log_prob, struct fo_error *err) {
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
        prepare(s,
                "INSERT INTO samples (run_id, id, generation, x, log_prob)"
                " VALUES (?, ?, ?, ?, ?)",
                &st, err);
    if (rc == FO_OK) {
        sqlite3_bind_text(st, 1, run_id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, id);
        sqlite3_bind_int64(st, 3, generation);
        sqlite3_bind_blob64(st, 4, blob, dim * 8, SQLITE_STATIC);
        sqlite3_bind_double(st, 5, log_prob);
        rc = run(s, st, "recording a sample", err);
    }
    free(blob);
    return rc;
}

enum fo_status fo_store_sample_resolve(struct fo_store *s, const char *run_id, int64_t id,
                                       const char *status, double value,
                                       const char *error, struct fo_error *err) {
    sqlite3_stmt *st;
    enum fo_status rc = prepare(s,
                                "UPDATE samples SET status = ?, value = ?, error = ?,"
                                " told_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"
                                " WHERE run_id = ? AND id = ?",
                                &st, err);
    if (rc != FO_OK)
        return rc;
    sqlite3_bind_text(st, 1, status, -1, SQLITE_STATIC);
    if (strcmp(status, "told") == 0)
        sqlite3_bind_double(st, 2, value);
    else
        sqlite3_bind_null(st, 2);
    if (error)
        sqlite3_bind_text(st, 3, error, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 3);
    sqlite3_bind_text(st, 4, run_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, id);
    return run(s, st, "recording a result", err);
}

enum fo_status fo_store_sample_state(struct fo_store *s, const char *run_id, int64_t id,
                                     char *status, size_t cap, double *value,
                                     struct fo_error *err) {
    sqlite3_stmt *st;
    pthread_mutex_lock(&s->lock);
    enum fo_status rc = prepare(
        s, "SELECT status, value FROM samples WHERE run_id = ? AND id = ?", &st, err);
    if (rc == FO_OK) {
        sqlite3_bind_text(st, 1, run_id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, id);
        int step = sqlite3_step(st);
        if (step == SQLITE_ROW) {
            snprintf(status, cap, "%s", (const char *)sqlite3_column_text(st, 0));
            *value = sqlite3_column_double(st, 1);
        } else {
            rc = step == SQLITE_DONE
                     ? fo_error_set(err, FO_ENOTFOUND, "id", "no sample %lld in this run",
                                    (long long)id)
                     : fail(s, err, "reading a sample");
        }
        done(s, st);
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

/* NaN has no SQL form: bind it as NULL, the history's "no value". */
static void bind_real(sqlite3_stmt *st, int i, double v) {
    if (v == v)
        sqlite3_bind_double(st, i, v);
    else
        sqlite3_bind_null(st, i);
}

enum fo_status fo_store_step_insert(struct fo_store *s, const char *run_id,
                                    const struct fo_step_row *r, struct fo_error *err) {
    sqlite3_stmt *st;
    enum fo_status rc =
        prepare(s,
                "INSERT INTO steps (run_id, step, generation, evaluations, n,"
                " mean, median, best, best_ever, entropy, grad_norm, kl, lr,"
                " ess, events) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                &st, err);
    if (rc != FO_OK)
        return rc;
    sqlite3_bind_text(st, 1, run_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, r->step);
    sqlite3_bind_int64(st, 3, r->generation);
    sqlite3_bind_int64(st, 4, r->evaluations);
    sqlite3_bind_int64(st, 5, r->n);
    const double reals[] = {r->mean,      r->median, r->best, r->best_ever, r->entropy,
                            r->grad_norm, r->kl,     r->lr,   r->ess};
    for (int i = 0; i < 9; i++)
        bind_real(st, 6 + i, reals[i]);
    sqlite3_bind_int64(st, 15, r->events);
    return run(s, st, "recording a history row", err);
}

enum fo_status fo_store_steps(struct fo_store *s, const char *run_id, int64_t after,
                              int64_t limit, fo_step_row_fn fn, void *ctx,
                              struct fo_error *err) {
    sqlite3_stmt *st;
    pthread_mutex_lock(&s->lock);
    enum fo_status rc =
        prepare(s,
                "SELECT step, generation, evaluations, n, mean, median, best,"
                " best_ever, entropy, grad_norm, kl, lr, ess, events"
                " FROM steps WHERE run_id = ? AND step > ?"
                " ORDER BY step LIMIT ?",
                &st, err);
    if (rc == FO_OK) {
        sqlite3_bind_text(st, 1, run_id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, after);
        sqlite3_bind_int64(st, 3, limit);
        int step;
        while ((step = sqlite3_step(st)) == SQLITE_ROW) {
            struct fo_step_row r;
            memset(&r, 0, sizeof r);
            r.step = sqlite3_column_int64(st, 0);
            r.generation = sqlite3_column_int64(st, 1);
            r.evaluations = sqlite3_column_int64(st, 2);
            r.n = sqlite3_column_int64(st, 3);
            double *reals[] = {&r.mean,      &r.median, &r.best, &r.best_ever, &r.entropy,
                               &r.grad_norm, &r.kl,     &r.lr,   &r.ess};
            for (int i = 0; i < 9; i++)
                *reals[i] = column_real(st, 4 + i);
            r.events = sqlite3_column_int64(st, 13);
            if (fn(ctx, &r) != 0)
                break;
        }
        if (step != SQLITE_ROW && step != SQLITE_DONE)
            rc = fail(s, err, "reading the history");
        done(s, st);
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

/* Replay the ops of one run after seq through op_fn. */
static enum fo_status load_ops(struct fo_store *s, const char *id, int64_t seq,
                               fo_op_row_fn op_fn, void *ctx, struct fo_error *err) {
    sqlite3_stmt *st;
    enum fo_status rc = prepare(s,
                                "SELECT seq, kind, n, sample_id, value FROM ops"
                                " WHERE run_id = ? AND seq > ? ORDER BY seq",
                                &st, err);
    if (rc != FO_OK)
        return rc;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, seq);
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        struct fo_op op = {sqlite3_column_int64(st, 0),
                           (enum fo_op_kind)sqlite3_column_int(st, 1),
                           sqlite3_column_int64(st, 2), sqlite3_column_int64(st, 3),
                           sqlite3_column_double(st, 4)};
        if (op_fn(ctx, id, &op) != 0) {
            done(s, st);
            return fo_error_set(err, FO_ECORRUPT, "run",
                                "run %s: op %lld does not replay", id, (long long)op.seq);
        }
    }
    rc = step == SQLITE_DONE ? FO_OK : fail(s, err, "reading the op log");
    done(s, st);
    return rc;
}

enum fo_status fo_store_runs_load(struct fo_store *s, fo_run_row_fn fn,
                                  fo_op_row_fn op_fn, void *ctx, struct fo_error *err) {
    sqlite3_stmt *st;
    pthread_mutex_lock(&s->lock);
    enum fo_status rc = prepare(s,
                                "SELECT id, name, state, data, seq FROM runs"
                                " JOIN run_snapshots ON run_id = id"
                                " ORDER BY created_at, id",
                                &st, err);
    int step = SQLITE_DONE;
    while (rc == FO_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *id = (const char *)sqlite3_column_text(st, 0);
        int64_t seq = sqlite3_column_int64(st, 4);
        if (fn(ctx, id, (const char *)sqlite3_column_text(st, 1),
               (const char *)sqlite3_column_text(st, 2), sqlite3_column_blob(st, 3),
               (size_t)sqlite3_column_bytes(st, 3), seq) != 0)
            rc = fo_error_set(err, FO_ECORRUPT, "run", "run %s: snapshot does not load",
                              id);
        else
            rc = load_ops(s, id, seq, op_fn, ctx, err);
    }
    if (rc == FO_OK && step != SQLITE_DONE)
        rc = fail(s, err, "reading runs");
    done(s, st);
    pthread_mutex_unlock(&s->lock);
    return rc;
}

/* Column col of the current row, copied. OUT: *out (malloc'd), *len. */
static enum fo_status copy_blob(sqlite3_stmt *st, int col, unsigned char **out,
                                size_t *len, const char *field, struct fo_error *err) {
    *len = (size_t)sqlite3_column_bytes(st, col);
    *out = malloc(*len ? *len : 1);
    if (!*out)
        return fo_error_set(err, FO_ENOMEM, field, "out of memory");
    memcpy(*out, sqlite3_column_blob(st, col), *len);
    return FO_OK;
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

enum fo_status fo_store_run_fetch(struct fo_store *s, const char *id,
                                  unsigned char **snapshot, size_t *len,
                                  struct fo_op **ops, size_t *n_ops,
                                  struct fo_error *err) {
    *snapshot = NULL;
    *len = 0;
    *ops = NULL;
    *n_ops = 0;
    sqlite3_stmt *st;
    pthread_mutex_lock(&s->lock);
    enum fo_status rc =
        prepare(s, "SELECT data, seq FROM run_snapshots WHERE run_id = ?", &st, err);
    int64_t seq = 0;
    if (rc == FO_OK) {
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        int step = sqlite3_step(st);
        if (step == SQLITE_ROW) {
            seq = sqlite3_column_int64(st, 1);
            rc = copy_blob(st, 0, snapshot, len, "run", err);
        } else {
            rc = step == SQLITE_DONE
                     ? fo_error_set(err, FO_ENOTFOUND, "id", "no run %.64s", id)
                     : fail(s, err, "reading a run");
        }
        done(s, st);
    }
    struct op_buf b = {NULL, 0, 0};
    if (rc == FO_OK)
        rc = load_ops(s, id, seq, collect_op, &b, err);
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

enum fo_status fo_store_checkpoint_insert(struct fo_store *s, const char *run_id,
                                          const unsigned char *snapshot, size_t len,
                                          int64_t *cid, struct fo_error *err) {
    sqlite3_stmt *st;
    enum fo_status rc =
        prepare(s,
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
    done(s, st);
    return step == SQLITE_ROW ? FO_OK : fail(s, err, "saving a checkpoint");
}

enum fo_status fo_store_checkpoints(struct fo_store *s, const char *run_id,
                                    fo_checkpoint_fn fn, void *ctx,
                                    struct fo_error *err) {
    sqlite3_stmt *st;
    pthread_mutex_lock(&s->lock);
    enum fo_status rc = prepare(s,
                                "SELECT id, created_at, length(snapshot) FROM checkpoints"
                                " WHERE run_id = ? ORDER BY id",
                                &st, err);
    if (rc == FO_OK) {
        sqlite3_bind_text(st, 1, run_id, -1, SQLITE_STATIC);
        int step;
        while ((step = sqlite3_step(st)) == SQLITE_ROW)
            if (fn(ctx, sqlite3_column_int64(st, 0),
                   (const char *)sqlite3_column_text(st, 1),
                   (size_t)sqlite3_column_int64(st, 2)) != 0)
                break;
        if (step != SQLITE_ROW && step != SQLITE_DONE)
            rc = fail(s, err, "listing checkpoints");
        done(s, st);
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

enum fo_status fo_store_checkpoint_get(struct fo_store *s, const char *run_id,
                                       int64_t cid, unsigned char **snapshot, size_t *len,
                                       struct fo_error *err) {
    sqlite3_stmt *st;
    *snapshot = NULL;
    *len = 0;
    pthread_mutex_lock(&s->lock);
    enum fo_status rc = prepare(
        s, "SELECT snapshot FROM checkpoints WHERE run_id = ? AND id = ?", &st, err);
    if (rc == FO_OK) {
        sqlite3_bind_text(st, 1, run_id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, cid);
        int step = sqlite3_step(st);
        if (step == SQLITE_ROW) {
            rc = copy_blob(st, 0, snapshot, len, "checkpoint", err);
        } else {
            rc = step == SQLITE_DONE ? fo_error_set(err, FO_ENOTFOUND, "cid",
                                                    "no checkpoint %lld", (long long)cid)
                                     : fail(s, err, "reading a checkpoint");
        }
        done(s, st);
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

enum fo_status fo_store_steps_truncate(struct fo_store *s, const char *run_id,
                                       int64_t after, struct fo_error *err) {
    sqlite3_stmt *st;
    enum fo_status rc =
        prepare(s, "DELETE FROM steps WHERE run_id = ? AND step > ?", &st, err);
    if (rc != FO_OK)
        return rc;
    sqlite3_bind_text(st, 1, run_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, after);
    return run(s, st, "rewinding the history", err);
}

enum fo_status fo_store_ask_key_insert(struct fo_store *s, const char *run_id,
                                       const char *key, int64_t first_id, int64_t n,
                                       struct fo_error *err) {
    sqlite3_stmt *st;
    enum fo_status rc =
        prepare(s, "INSERT INTO ask_keys (run_id, key, first_id, n) VALUES (?, ?, ?, ?)",
                &st, err);
    if (rc != FO_OK)
        return rc;
    sqlite3_bind_text(st, 1, run_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, first_id);
    sqlite3_bind_int64(st, 4, n);
    return run(s, st, "recording an idempotency key", err);
}

enum fo_status fo_store_ask_key_get(struct fo_store *s, const char *run_id,
                                    const char *key, int64_t *first_id, int64_t *n,
                                    struct fo_error *err) {
    sqlite3_stmt *st;
    pthread_mutex_lock(&s->lock);
    enum fo_status rc = prepare(
        s, "SELECT first_id, n FROM ask_keys WHERE run_id = ? AND key = ?", &st, err);
    if (rc == FO_OK) {
        sqlite3_bind_text(st, 1, run_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
        int step = sqlite3_step(st);
        if (step == SQLITE_ROW) {
            *first_id = sqlite3_column_int64(st, 0);
            *n = sqlite3_column_int64(st, 1);
        } else {
            rc = step == SQLITE_DONE ? FO_ENOTFOUND : fail(s, err, "reading a key");
        }
        done(s, st);
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

enum fo_status fo_store_pending_older(struct fo_store *s, const char *run_id,
                                      double seconds, int64_t limit, fo_id64_fn fn,
                                      void *ctx, struct fo_error *err) {
    sqlite3_stmt *st;
    char modifier[64];
    snprintf(modifier, sizeof modifier, "-%.3f seconds", seconds);
    pthread_mutex_lock(&s->lock);
    enum fo_status rc =
        prepare(s,
                "SELECT id FROM samples WHERE run_id = ? AND status = 'pending'"
                " AND asked_at < strftime('%Y-%m-%dT%H:%M:%fZ', 'now', ?)"
                " ORDER BY id LIMIT ?",
                &st, err);
    if (rc == FO_OK) {
        sqlite3_bind_text(st, 1, run_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, modifier, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 3, limit);
        int step;
        while ((step = sqlite3_step(st)) == SQLITE_ROW)
            if (fn(ctx, sqlite3_column_int64(st, 0)) != 0)
                break;
        if (step != SQLITE_ROW && step != SQLITE_DONE)
            rc = fail(s, err, "finding expired samples");
        done(s, st);
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

enum fo_status fo_store_checkpoints_trim(struct fo_store *s, const char *run_id,
                                         int64_t keep, struct fo_error *err) {
    sqlite3_stmt *st;
    enum fo_status rc =
        prepare(s,
                "DELETE FROM checkpoints WHERE run_id = ?1 AND id <="
                " (SELECT MAX(id) FROM checkpoints WHERE run_id = ?1) - ?2",
                &st, err);
    if (rc != FO_OK)
        return rc;
    sqlite3_bind_text(st, 1, run_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, keep);
    return run(s, st, "trimming checkpoints", err);
}

enum fo_status fo_store_samples_expire_from(struct fo_store *s, const char *run_id,
                                            int64_t first_id, const char *error,
                                            struct fo_error *err) {
    sqlite3_stmt *st;
    enum fo_status rc = prepare(s,
                                "UPDATE samples SET status = 'expired', error = ?,"
                                " told_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"
                                " WHERE run_id = ? AND id >= ? AND status = 'pending'",
                                &st, err);
    if (rc != FO_OK)
        return rc;
    sqlite3_bind_text(st, 1, error, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, run_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, first_id);
    return run(s, st, "expiring samples", err);
}
