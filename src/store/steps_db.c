/* steps_db.c - the history table, one row per update; see steps_db.h. */
#include "store/steps_db.h"
#include "store/stmt.h"

#include <string.h>

enum fo_status fo_store_step_insert(struct fo_store *s, const char *run_id,
                                    const struct fo_step_row *r, struct fo_error *err) {
    sqlite3_stmt *st;
    enum fo_status rc =
        fo__store_prepare(s,
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
        fo__bind_real(st, 6 + i, reals[i]);
    sqlite3_bind_int64(st, 15, r->events);
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
    double *reals[] = {&r.mean,      &r.median, &r.best, &r.best_ever, &r.entropy,
                       &r.grad_norm, &r.kl,     &r.lr,   &r.ess};
    for (int i = 0; i < 9; i++)
        *reals[i] = fo__column_real(st, 4 + i);
    r.events = sqlite3_column_int64(st, 13);
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
                          "SELECT step, generation, evaluations, n, mean, median, best,"
                          " best_ever, entropy, grad_norm, kl, lr, ess, events"
                          " FROM steps WHERE run_id = ? AND step > ?"
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
