/* txn.c - transactions; see txn.h. */
#include "store/stmt.h"
#include "store/txn.h"

enum fo_status fo_store_begin(struct fo_store *s, struct fo_error *err) {
    enum fo_status tripped = fo__guard_check(&s->guard, err);
    if (tripped != FO_OK)
        return tripped;
    pthread_mutex_lock(&s->lock);
    if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
        enum fo_status st = fo__store_fail(s, err, "starting a transaction");
        pthread_mutex_unlock(&s->lock);
        return st;
    }
    return FO_OK;
}

enum fo_status fo_store_commit_async(struct fo_store *s, uint64_t *ticket,
                                     struct fo_error *err) {
    *ticket = 0;
    if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        enum fo_status st = fo__store_fail(s, err, "committing");
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        pthread_mutex_unlock(&s->lock);
        return st;
    }
    *ticket = fo__wal_ticket(&s->wal);
    pthread_mutex_unlock(&s->lock);
    return FO_OK;
}

/* Nothing is acknowledged unless it is durable and in the file at the
 * database's path (not one removed or replaced meanwhile). */
enum fo_status fo_store_wait(struct fo_store *s, uint64_t ticket, struct fo_error *err) {
    enum fo_status st = fo__wal_sync(&s->wal, ticket, err);
    return st == FO_OK ? fo__guard_check(&s->guard, err) : st;
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

enum fo_status fo_store_transact(struct fo_store *s, fo_store_txn_fn body, void *ctx,
                                 uint64_t *ticket, struct fo_error *err) {
    enum fo_status st = fo_store_begin(s, err);
    if (st != FO_OK)
        return st;
    st = body(s, ctx, err);
    if (st != FO_OK) {
        fo_store_rollback(s);
        return st;
    }
    return ticket ? fo_store_commit_async(s, ticket, err) : fo_store_commit(s, err);
}
