/*
 * migrate.h - numbered schema migrations, applied in order and recorded.
 *
 * The applied versions live in table schema_migrations. Each migration runs
 * in its own IMMEDIATE transaction together with its record, so a crash
 * leaves the schema at a whole version. A database that records a version
 * this binary does not know is refused (FO_ESCHEMA) and left untouched.
 */
#ifndef FLOWOPT_STORE_MIGRATE_H
#define FLOWOPT_STORE_MIGRATE_H

#include <stddef.h>
#include <sqlite3.h>
#include <flowopt/status.h>

struct fo_migration {
    int version;      /* 1, 2, ... without gaps */
    const char *name; /* from the file name, e.g. "init" */
    const char *sql;  /* one or more statements */
};

/* The migrations compiled into this binary (generated from migrations/). */
extern const struct fo_migration fo__migrations[];
extern const size_t fo__n_migrations;

/*
 * Bring db up to the last of the n migrations in list (sorted by version).
 * OUT: *version, the schema version afterwards. On error the database keeps
 * every migration that had committed before the failing one.
 */
enum fo_status fo_migrate_apply(sqlite3 *db, const struct fo_migration *list, size_t n,
                                int *version, struct fo_error *err);

/* OUT: *version, the highest recorded version (0 for a fresh database). */
enum fo_status fo_migrate_current(sqlite3 *db, int *version, struct fo_error *err);

#endif
