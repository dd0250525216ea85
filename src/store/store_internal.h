/* store_internal.h - the store object, private to src/store. */
#ifndef FLOWOPT_STORE_STORE_INTERNAL_H
#define FLOWOPT_STORE_STORE_INTERNAL_H

#include <pthread.h>
#include <sqlite3.h>

struct fo_store {
    sqlite3 *db;
    int schema_version;
    /* One connection: a transaction holds the lock from BEGIN to COMMIT so
     * statements of two threads never interleave inside it. */
    pthread_mutex_t lock;
};

#endif
