/*
 * wal.h - care of the store's write-ahead log, private to src/store.
 *
 * Checkpoints: SQLite's automatic checkpoint runs inside the COMMIT that
 * crosses the threshold, with two fsyncs, while the store's lock is held,
 * so every request behind it waits. Here a checkpointer thread with its
 * own connection copies the WAL into the database instead (PASSIVE: it
 * never blocks the writer). Only if it falls far behind does a commit
 * checkpoint inline, so the WAL cannot grow without bound.
 *
 * Grouped syncs (durability full): the connection runs synchronous=NORMAL
 * and a committed transaction is made durable by fdatasync of the WAL file
 * before it is acknowledged, one sync for every commit that finished before
 * it started. That is synchronous=FULL's guarantee (the WAL is synced after
 * each commit) at one fsync per group of concurrent requests instead of one
 * per request. The checkpointer keeps NORMAL's own syncs around each
 * checkpoint.
 */
#ifndef FLOWOPT_STORE_WAL_H
#define FLOWOPT_STORE_WAL_H

#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>
#include <flowopt/status.h>
#include "store/guard.h"

/* WAL pages that wake the checkpointer (SQLite's own default threshold). */
#define FO_WAL_CHECKPOINT_PAGES 1000
/* WAL pages at which a commit stops waiting and checkpoints inline. */
#define FO_WAL_INLINE_PAGES (4 * FO_WAL_CHECKPOINT_PAGES)

struct fo_wal {
    sqlite3 *ckpt_db; /* the checkpointer's connection */
    pthread_t thread;
    pthread_mutex_t lock; /* guards everything below */
    pthread_cond_t wake;  /* the checkpointer's */
    pthread_cond_t synced_cv;
    int started, stop, want_checkpoint;
    int sync_fd;            /* the -wal file (durability full), -1 otherwise */
    uint64_t committed;     /* commit tickets handed out */
    uint64_t synced;        /* every ticket <= synced is durable */
    uint64_t failed_target; /* tickets <= this met a failed sync */
    int syncing;            /* a thread is in fdatasync for the group */
    uint64_t n_syncs, n_checkpoints;
    struct fo_store_guard
        *guard; /* tripped by a failed sync; then nothing is synced or checkpointed */
};

/*
 * Start the checkpointer for db (at path) and, when sync_commits, open the
 * WAL file for grouped syncs. Nothing is left running on failure.
 */
enum fo_status fo__wal_start(struct fo_wal *w, sqlite3 *db, const char *path,
                             int sync_commits, struct fo_store_guard *guard,
                             struct fo_error *err);

/* Stop the checkpointer and close what fo__wal_start opened (before db closes). */
void fo__wal_stop(struct fo_wal *w);

/* A ticket for the commit that just finished (call with the store's lock held). */
uint64_t fo__wal_ticket(struct fo_wal *w);

/* Return once the commit holding ticket is durable (a no-op unless
 * sync_commits); FO_EIO when the sync failed. */
enum fo_status fo__wal_sync(struct fo_wal *w, uint64_t ticket, struct fo_error *err);

#endif
