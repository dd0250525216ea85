/* store.c - opening and closing the database; see store.h. */
#include "store/store.h"
#include "store/migrate.h"
#include "store/store_internal.h"

#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

static enum fo_status set_pragmas(sqlite3 *db, const struct fo_store_config *cfg,
                                  struct fo_error *err) {
    int timeout = cfg->busy_timeout_ms > 0 ? cfg->busy_timeout_ms : 5000;
    if (sqlite3_busy_timeout(db, timeout) != SQLITE_OK)
        goto fail;
    /* journal_mode answers with a row; exec ignores it. The mode is then
     * checked, because a file system without shared memory refuses WAL. */
    if (sqlite3_exec(db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL) != SQLITE_OK)
        goto fail;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL) != SQLITE_OK)
        goto fail;
    int wal = sqlite3_step(st) == SQLITE_ROW &&
              sqlite3_stricmp((const char *)sqlite3_column_text(st, 0), "wal") == 0;
    sqlite3_finalize(st);
    if (!wal)
        return fo_error_set(err, FO_EIO, "database", "could not switch %s to WAL mode",
                            cfg->path);
    /* NORMAL in both modes: durability full syncs committed groups itself
     * (wal.h). The WAL file is truncated back after a large burst. */
    if (sqlite3_exec(db, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(db, "PRAGMA journal_size_limit = 67108864", NULL, NULL, NULL) !=
            SQLITE_OK ||
        sqlite3_exec(db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL) != SQLITE_OK)
        goto fail;
    return FO_OK;
fail:
    return fo_error_set(err, FO_EIO, "database", "configuring %s: %s", cfg->path,
                        sqlite3_errmsg(db));
}

/*
 * Every page and index of the file, read once (O(size), no cross-checks of
 * indexes against tables: that is integrity_check): a page damaged on disk
 * is found before anything is served, not when a run first touches it.
 */
static enum fo_status quick_check(sqlite3 *db, const char *path, struct fo_error *err) {
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "PRAGMA quick_check(1)", -1, &st, NULL) != SQLITE_OK)
        return fo_error_set(err, FO_EDAMAGED, "db", "%s: cannot check: %s", path,
                            sqlite3_errmsg(db));
    int step = sqlite3_step(st);
    const char *first =
        step == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
    enum fo_status rc =
        first && strcmp(first, "ok") == 0
            ? FO_OK
            : fo_error_set(err, FO_EDAMAGED, "db",
                           "%s fails its check (%.80s): restore a backup, or start with "
                           "--quick-check no to serve what still reads",
                           path, first ? first : sqlite3_errmsg(db));
    sqlite3_finalize(st);
    return rc;
}

enum fo_status fo_store_open(const struct fo_store_config *cfg, struct fo_store **out,
                             struct fo_error *err) {
    *out = NULL;
    if (!cfg || !cfg->path || !cfg->path[0])
        return fo_error_set(err, FO_EINVAL, "db", "database path is empty");
    struct fo_store *s = calloc(1, sizeof *s);
    if (!s)
        return fo_error_set(err, FO_ENOMEM, "db", "out of memory opening the store");
    pthread_mutex_init(&s->lock, NULL);
    s->guard.lock_fd = -1;
    enum fo_status st;
    if (!(s->path = strdup(cfg->path))) {
        st = fo_error_set(err, FO_ENOMEM, "db", "out of memory opening the store");
        goto fail;
    }
    if ((st = fo__guard_lock(&s->guard, s->path, cfg->create, err)) != FO_OK)
        goto fail;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX;
    if (sqlite3_open_v2(cfg->path, &s->db, flags, NULL) != SQLITE_OK) {
        st = fo_error_set(err, FO_EIO, "db", "cannot open %s: %s", cfg->path,
                          s->db ? sqlite3_errmsg(s->db) : "out of memory");
        goto fail;
    }
    sqlite3_extended_result_codes(s->db, 1);
    if ((st = set_pragmas(s->db, cfg, err)) != FO_OK ||
        (st = fo__guard_note_file(&s->guard, err)) != FO_OK)
        goto fail;
    if (sqlite3_db_readonly(s->db, "main") == 1)
        fo__guard_trip(&s->guard, FO_GUARD_READ_ONLY);
    if (cfg->quick_check && (st = quick_check(s->db, cfg->path, err)) != FO_OK)
        goto fail;
    st = fo_migrate_apply(s->db, fo__migrations, fo__n_migrations, &s->schema_version,
                          err);
    if (st != FO_OK)
        goto fail;
    st = fo__wal_start(&s->wal, s->db, cfg->path, cfg->durability == FO_DURABILITY_FULL,
                       &s->guard, err);
    if (st != FO_OK)
        goto fail;
    s->wal_started = 1;
    *out = s;
    return FO_OK;
fail:
    fo_store_close(s);
    return st;
}

enum fo_status fo_store_writable(struct fo_store *store, struct fo_error *err) {
    return fo__guard_check(&store->guard, err);
}

int fo_store_schema_version(const struct fo_store *store) {
    return store->schema_version;
}

void fo_store_stats(struct fo_store *store, struct fo_store_stats *out) {
    pthread_mutex_lock(&store->wal.lock);
    out->commits = store->wal.committed;
    out->syncs = store->wal.n_syncs;
    out->checkpoints = store->wal.n_checkpoints;
    pthread_mutex_unlock(&store->wal.lock);
}

void fo_store_close(struct fo_store *store) {
    if (!store)
        return;
    if (store->wal_started)
        fo__wal_stop(&store->wal);
    for (size_t i = 0; i < store->n_cached; i++)
        sqlite3_finalize(store->cache[i].stmt);
    sqlite3_close_v2(store->db);
    fo__guard_release(&store->guard);
    pthread_mutex_destroy(&store->lock);
    free(store->path);
    free(store);
}
