/*
 * stmt.h - the statement layer every table file of the store shares: the
 * prepared-statement cache, stepping, reading rows, and SQLite's result
 * codes mapped to the library's. Private to src/store.
 */
#ifndef FLOWOPT_STORE_STMT_H
#define FLOWOPT_STORE_STMT_H

#include <sqlite3.h>
#include <string.h>
#include <stddef.h>
#include <flowopt/status.h>
#include "store/store_internal.h"

/* The connection's last error as a status (FO_EBUSY, FO_ECORRUPT,
 * FO_ECONFLICT for a constraint, else FO_EIO), with what was being done. */
enum fo_status fo__store_fail(struct fo_store *s, struct fo_error *err, const char *what);

/*
 * A prepared statement for sql from the store's cache (keyed by the
 * address of the SQL literal, so sql must be a literal) or freshly
 * prepared into it. The caller holds the store lock and hands the
 * statement back with fo__store_done.
 */
enum fo_status fo__store_prepare(struct fo_store *s, const char *sql, sqlite3_stmt **st,
                                 struct fo_error *err);

/* Reset a statement for its next use (finalize one the cache did not hold). */
void fo__store_done(struct fo_store *s, sqlite3_stmt *st);

/* Step a statement that returns no rows, then fo__store_done it. */
enum fo_status fo__store_run(struct fo_store *s, sqlite3_stmt *st, const char *what,
                             struct fo_error *err);

/*
 * Step a bound query over its rows, row(ctx, st) for each until it returns
 * non-zero: 1 stops (FO_OK), -1 fails the read with *row_err when the row
 * function filled it (FO_ECORRUPT otherwise). Then fo__store_done.
 */
typedef int (*fo__row_fn)(void *ctx, sqlite3_stmt *st, struct fo_error *row_err);
enum fo_status fo__store_each_row(struct fo_store *s, sqlite3_stmt *st, fo__row_fn row,
                                  void *ctx, const char *what, struct fo_error *err);

/*
 * Step a bound query once: its row to row(ctx, st) (FO_OK), or FO_ENOTFOUND
 * when it has none (with none_field and none_msg in err; none_msg NULL
 * leaves err alone: not finding is an answer there). Then fo__store_done.
 */
enum fo_status fo__store_one_row(struct fo_store *s, sqlite3_stmt *st, fo__row_fn row,
                                 void *ctx, const char *what, const char *none_field,
                                 const char *none_msg, struct fo_error *err);

/* A column as a double, NaN for NULL; NaN bound as NULL. */
double fo__column_real(sqlite3_stmt *st, int i);
void fo__bind_real(sqlite3_stmt *st, int i, double v);

/* Column col of the current row, copied. OUT: *out (malloc'd), *len. */
enum fo_status fo__column_blob_copy(sqlite3_stmt *st, int col, unsigned char **out,
                                    size_t *len, const char *field, struct fo_error *err);

/* A sample's x, stored as little-endian doubles: n of them from b. */
static inline void fo__decode_x(const unsigned char *b, size_t n, double *x) {
    for (size_t d = 0; d < n; d++) {
        uint64_t u = 0;
        for (int k = 0; k < 8; k++)
            u |= (uint64_t)b[8 * d + (size_t)k] << (8 * k);
        memcpy(&x[d], &u, sizeof u);
    }
}

#endif
