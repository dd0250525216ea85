/* stmt.c - prepared statements, stepping and reading rows; see stmt.h. */
#include "store/stmt.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum fo_status fo__store_fail(struct fo_store *s, struct fo_error *err,
                              const char *what) {
    int code = sqlite3_errcode(s->db) & 0xff;
    enum fo_status st = code == SQLITE_BUSY || code == SQLITE_LOCKED      ? FO_EBUSY
                        : code == SQLITE_CORRUPT || code == SQLITE_NOTADB ? FO_EDAMAGED
                        : code == SQLITE_CONSTRAINT                       ? FO_ECONFLICT
                        : code == SQLITE_FULL                             ? FO_ENOSPACE
                                                                          : FO_EIO;
    return fo_error_set(err, st, "database", "%s: %s", what, sqlite3_errmsg(s->db));
}

/* Statements are reset, not finalized, after use; the store finalizes them
 * on close. Callers hold the store lock, so no statement is used twice at
 * once. */
enum fo_status fo__store_prepare(struct fo_store *s, const char *sql, sqlite3_stmt **st,
                                 struct fo_error *err) {
    for (size_t i = 0; i < s->n_cached; i++)
        if (s->cache[i].sql == sql) {
            *st = s->cache[i].stmt;
            return FO_OK;
        }
    if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) !=
        SQLITE_OK) {
        *st = NULL;
        return fo__store_fail(s, err, "preparing a statement");
    }
    if (s->n_cached < FO_STORE_CACHE) {
        s->cache[s->n_cached].sql = sql;
        s->cache[s->n_cached].stmt = *st;
        s->n_cached++;
    }
    return FO_OK;
}

void fo__store_done(struct fo_store *s, sqlite3_stmt *st) {
    for (size_t i = 0; i < s->n_cached; i++)
        if (s->cache[i].stmt == st) {
            sqlite3_reset(st);
            sqlite3_clear_bindings(st);
            return;
        }
    sqlite3_finalize(st);
}

enum fo_status fo__store_run(struct fo_store *s, sqlite3_stmt *st, const char *what,
                             struct fo_error *err) {
    int rc = sqlite3_step(st);
    enum fo_status out = rc == SQLITE_DONE ? FO_OK : fo__store_fail(s, err, what);
    fo__store_done(s, st);
    return out;
}

enum fo_status fo__store_each_row(struct fo_store *s, sqlite3_stmt *st, fo__row_fn row,
                                  void *ctx, const char *what, struct fo_error *err) {
    enum fo_status rc = FO_OK;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        struct fo_error row_err = {0};
        int r = row(ctx, st, &row_err);
        if (r < 0) {
            rc = row_err.code != FO_OK ? row_err.code
                                       : fo_error_set(&row_err, FO_EDAMAGED, "database",
                                                      "%s: a row did not read", what);
            if (err)
                *err = row_err;
        }
        if (r != 0)
            break;
    }
    if (rc == FO_OK && step != SQLITE_ROW && step != SQLITE_DONE)
        rc = fo__store_fail(s, err, what);
    fo__store_done(s, st);
    return rc;
}

enum fo_status fo__store_one_row(struct fo_store *s, sqlite3_stmt *st, fo__row_fn row,
                                 void *ctx, const char *what, const char *none_field,
                                 const char *none_msg, struct fo_error *err) {
    enum fo_status rc = FO_OK;
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        struct fo_error row_err = {0};
        if (row(ctx, st, &row_err) < 0) {
            rc = row_err.code != FO_OK ? row_err.code : FO_EDAMAGED;
            if (err)
                *err = row_err;
        }
    } else if (step == SQLITE_DONE) {
        rc = none_msg ? fo_error_set(err, FO_ENOTFOUND, none_field, "%s", none_msg)
                      : FO_ENOTFOUND;
    } else {
        rc = fo__store_fail(s, err, what);
    }
    fo__store_done(s, st);
    return rc;
}

double fo__column_real(sqlite3_stmt *st, int i) {
    return sqlite3_column_type(st, i) == SQLITE_NULL ? NAN : sqlite3_column_double(st, i);
}

/* NaN has no SQL form: bind it as NULL, the history's "no value". */
void fo__bind_real(sqlite3_stmt *st, int i, double v) {
    if (v == v)
        sqlite3_bind_double(st, i, v);
    else
        sqlite3_bind_null(st, i);
}

enum fo_status fo__column_blob_copy(sqlite3_stmt *st, int col, unsigned char **out,
                                    size_t *len, const char *field,
                                    struct fo_error *err) {
    *len = (size_t)sqlite3_column_bytes(st, col);
    *out = malloc(*len ? *len : 1);
    if (!*out)
        return fo_error_set(err, FO_ENOMEM, field, "out of memory");
    memcpy(*out, sqlite3_column_blob(st, col), *len);
    return FO_OK;
}
