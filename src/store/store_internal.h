/* store_internal.h - the store object, private to src/store. */
#ifndef FLOWOPT_STORE_STORE_INTERNAL_H
#define FLOWOPT_STORE_STORE_INTERNAL_H

#include <pthread.h>
#include <sqlite3.h>
#include "store/wal.h"

#define FO_STORE_CACHE 48

struct fo_store {
    sqlite3 *db;
    int schema_version;
    /* One connection: a transaction holds the lock from BEGIN to COMMIT so
     * statements of two threads never interleave inside it. */
    pthread_mutex_t lock;
    struct fo_wal wal;           /* checkpointer and grouped syncs */
    struct fo_store_guard guard; /* the lock, the file's identity, a failed sync */
    char *path;
    int wal_started;
    /* prepared statements of runs_db.c, kept for the connection's life */
    struct {
        const char *sql;
        sqlite3_stmt *stmt;
    } cache[FO_STORE_CACHE];
    size_t n_cached;
};

#endif
