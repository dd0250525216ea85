/* migrate.c - see migrate.h. */
#include "store/migrate.h"

static enum fo_status sql_fail(sqlite3 *db, struct fo_error *err, const char *what) {
    return fo_error_set(err, FO_EIO, "database", "%s: %s", what, sqlite3_errmsg(db));
}

static enum fo_status ensure_table(sqlite3 *db, struct fo_error *err) {
    const char *sql = "CREATE TABLE IF NOT EXISTS schema_migrations ("
                      " version INTEGER PRIMARY KEY,"
                      " name TEXT NOT NULL,"
                      " applied_at TEXT NOT NULL"
                      "  DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))";
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return sql_fail(db, err, "creating schema_migrations");
    return FO_OK;
}

enum fo_status fo_migrate_current(sqlite3 *db, int *version, struct fo_error *err) {
    sqlite3_stmt *st = NULL;
    *version = 0;
    int rc = sqlite3_prepare_v2(db,
                                "SELECT name FROM sqlite_master WHERE type = 'table'"
                                " AND name = 'schema_migrations'",
                                -1, &st, NULL);
    if (rc != SQLITE_OK)
        return sql_fail(db, err, "reading schema");
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE)
        return FO_OK; /* fresh database */
    if (rc != SQLITE_ROW)
        return sql_fail(db, err, "reading schema");
    if (sqlite3_prepare_v2(db, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
                           -1, &st, NULL) != SQLITE_OK)
        return sql_fail(db, err, "reading schema_migrations");
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? FO_OK : sql_fail(db, err, "reading schema_migrations");
}

static enum fo_status record(sqlite3 *db, const struct fo_migration *m,
                             struct fo_error *err) {
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO schema_migrations (version, name) VALUES (?, ?)",
                           -1, &st, NULL) != SQLITE_OK)
        return sql_fail(db, err, "recording migration");
    sqlite3_bind_int(st, 1, m->version);
    sqlite3_bind_text(st, 2, m->name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? FO_OK : sql_fail(db, err, "recording migration");
}

/* Runs one migration and its record atomically, if it is still due. */
static enum fo_status apply_one(sqlite3 *db, const struct fo_migration *m,
                                struct fo_error *err) {
    /* IMMEDIATE takes the write lock first, so two daemons starting on one
     * file cannot both apply the same version. */
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return sql_fail(db, err, "starting migration");
    int have = 0;
    enum fo_status st = fo_migrate_current(db, &have, err);
    if (st == FO_OK && have < m->version) {
        if (sqlite3_exec(db, m->sql, NULL, NULL, NULL) != SQLITE_OK)
            st = fo_error_set(err, FO_EIO, "database", "migration %04d_%s failed: %s",
                              m->version, m->name, sqlite3_errmsg(db));
        else
            st = record(db, m, err);
    }
    if (st != FO_OK) {
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        return st;
    }
    if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        return sql_fail(db, err, "committing migration");
    }
    return FO_OK;
}

enum fo_status fo_migrate_apply(sqlite3 *db, const struct fo_migration *list, size_t n,
                                int *version, struct fo_error *err) {
    int known = n ? list[n - 1].version : 0;
    int have = 0;
    enum fo_status st = fo_migrate_current(db, &have, err);
    if (st != FO_OK)
        return st;
    if (have > known)
        return fo_error_set(err, FO_ESCHEMA, "database",
                            "database schema version %d is newer than this binary's %d;"
                            " use a newer flowoptd",
                            have, known);
    if ((st = ensure_table(db, err)) != FO_OK)
        return st;
    for (size_t i = 0; i < n; i++) {
        if (list[i].version != (int)i + 1)
            return fo_error_set(
                err, FO_EINVAL, "migrations",
                "migration %zu has version %d; versions must be 1, 2, ...", i,
                list[i].version);
        if (list[i].version > have && (st = apply_one(db, &list[i], err)) != FO_OK)
            return st;
    }
    return fo_migrate_current(db, version, err);
}
