/* steps_db.c - the history table, one row per update; see steps_db.h. */
#include "store/steps_db.h"
#include "store/stmt.h"

#include <string.h>

/* The columns after run_id, in history.h's order, and a ? for each. */
#define COLUMN(name) ", " #name
#define MARK(name) ",?"
#define COLUMNS                                                                          \
    "step, generation, evaluations, n" FO_STEP_REALS(COLUMN)                             \
        FO_STEP_INTS(COLUMN) ", events"

enum fo_status fo_store_step_insert(struct fo_store *s, const char *run_id,
                                    const struct fo_step_row *r, struct fo_error *err) {
    sqlite3_stmt *st;
    enum fo_status rc = fo__store_prepare(s,
                                          "INSERT INTO steps (run_id, " COLUMNS
                                          ") VALUES (?,?,?,?,?" FO_STEP_REALS(MARK)
                                              FO_STEP_INTS(MARK) ",?)",
                                          &st, err);
    if (rc != FO_OK)
        return rc;
    sqlite3_bind_text(st, 1, run_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, r->step);
    sqlite3_bind_int64(st, 3, r->generation);
    sqlite3_bind_int64(st, 4, r->evaluations);
    sqlite3_bind_int64(st, 5, r->n);
    int col = 6;
#define BIND(name) fo__bind_real(st, col++, r->name);
    FO_STEP_REALS(BIND)
#undef BIND
#define BIND_INT(name) sqlite3_bind_int64(st, col++, r->name);
    FO_STEP_INTS(BIND_INT)
#undef BIND_INT
    sqlite3_bind_int64(st, col, r->events);
    return fo__store_run(s, st, "recording a history row", err);
}

struct step_cb {
    fo_step_row_fn fn;
    void *ctx;
};

static int step_row(void *ctx, sqlite3_stmt *st, struct fo_error *row_err) {
    (void)row_err;
    const struct step_cb *c = ctx;
    struct fo_step_row r;
    memset(&r, 0, sizeof r);
    r.step = sqlite3_column_int64(st, 0);
    r.generation = sqlite3_column_int64(st, 1);
    r.evaluations = sqlite3_column_int64(st, 2);
    r.n = sqlite3_column_int64(st, 3);
    int col = 4;
#define COLUMN_REAL(name) r.name = fo__column_real(st, col++);
    FO_STEP_REALS(COLUMN_REAL)
#undef COLUMN_REAL
#define COLUMN_INT(name) r.name = sqlite3_column_int64(st, col++);
    FO_STEP_INTS(COLUMN_INT)
#undef COLUMN_INT
    r.events = sqlite3_column_int64(st, col);
    return c->fn(c->ctx, &r) != 0;
}

enum fo_status fo_store_steps(struct fo_store *s, const char *run_id, int64_t after,
                              int64_t limit, fo_step_row_fn fn, void *ctx,
                              struct fo_error *err) {
    sqlite3_stmt *st;
    struct step_cb c = {fn, ctx};
    pthread_mutex_lock(&s->lock);
    enum fo_status rc =
        fo__store_prepare(s,
                          "SELECT " COLUMNS " FROM steps WHERE run_id = ? AND step > ?"
                          " ORDER BY step LIMIT ?",
                          &st, err);
    if (rc == FO_OK) {
        sqlite3_bind_text(st, 1, run_id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, after);
        sqlite3_bind_int64(st, 3, limit);
        rc = fo__store_each_row(s, st, step_row, &c, "reading the history", err);
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

enum fo_status fo_store_steps_truncate(struct fo_store *s, const char *run_id,
                                       int64_t after, struct fo_error *err) {
    sqlite3_stmt *st;
    enum fo_status rc =
        fo__store_prepare(s, "DELETE FROM steps WHERE run_id = ? AND step > ?", &st, err);
    if (rc != FO_OK)
        return rc;
    sqlite3_bind_text(st, 1, run_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, after);
    return fo__store_run(s, st, "rewinding the history", err);
}
