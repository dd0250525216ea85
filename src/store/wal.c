/* wal.c - background checkpoints and grouped WAL syncs; see wal.h. */
#include "store/wal.h"

#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A checkpoint copies the WAL into the database and syncs it; after a
 * failed sync neither is trusted, so none runs, and one that fails to
 * sync trips the guard. */
static void checkpoint(struct fo_wal *w, sqlite3 *db, const char *name) {
    if (atomic_load(&w->guard->tripped) != FO_GUARD_OK)
        return;
    int rc = sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    if ((rc & 0xff) == SQLITE_IOERR)
        fo__guard_trip(w->guard, FO_GUARD_SYNC_FAILED);
}

static void *checkpointer(void *p) {
    struct fo_wal *w = p;
    pthread_mutex_lock(&w->lock);
    while (!w->stop) {
        if (!w->want_checkpoint) {
            pthread_cond_wait(&w->wake, &w->lock);
            continue;
        }
        w->want_checkpoint = 0;
        pthread_mutex_unlock(&w->lock);
        /* PASSIVE copies what it can without waiting for the writer; a
         * busy result just leaves the rest to the next wake-up. */
        checkpoint(w, w->ckpt_db, NULL);
        pthread_mutex_lock(&w->lock);
        w->n_checkpoints++;
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

/* Called by SQLite after each commit with the WAL's size in pages. */
static int on_commit(void *ctx, sqlite3 *db, const char *name, int pages) {
    struct fo_wal *w = ctx;
    if (pages >= FO_WAL_INLINE_PAGES) {
        /* The checkpointer is not keeping up: catch up here, where no other
         * commit can run, so the next transaction can restart the WAL. */
        checkpoint(w, db, name);
        return SQLITE_OK;
    }
    if (pages >= FO_WAL_CHECKPOINT_PAGES) {
        pthread_mutex_lock(&w->lock);
        w->want_checkpoint = 1;
        pthread_cond_signal(&w->wake);
        pthread_mutex_unlock(&w->lock);
    }
    return SQLITE_OK;
}

/* The WAL file for grouped syncs, with its directory entry made durable. */
static enum fo_status open_sync_fd(struct fo_wal *w, const char *path,
                                   struct fo_error *err) {
    size_t len = strlen(path);
    char *name = malloc(len + 5);
    if (!name)
        return fo_error_set(err, FO_ENOMEM, "db", "out of memory");
    memcpy(name, path, len);
    memcpy(name + len, "-wal", 5);
    w->sync_fd = open(name, O_RDWR | O_CLOEXEC);
    enum fo_status st = FO_OK;
    if (w->sync_fd < 0)
        st = fo_error_set(err, FO_EIO, "db", "cannot open %s for syncing", name);
    int dir = st == FO_OK ? open(dirname(name), O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    if (st == FO_OK && (dir < 0 || fsync(dir) != 0))
        st = fo_error_set(err, FO_EIO, "db", "cannot sync the directory of %s", path);
    if (dir >= 0)
        close(dir);
    free(name);
    return st;
}

enum fo_status fo__wal_start(struct fo_wal *w, sqlite3 *db, const char *path,
                             int sync_commits, struct fo_store_guard *guard,
                             struct fo_error *err) {
    memset(w, 0, sizeof *w);
    w->guard = guard;
    w->sync_fd = -1;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->wake, NULL);
    pthread_cond_init(&w->synced_cv, NULL);
    enum fo_status st = FO_OK;
    if (sqlite3_open_v2(path, &w->ckpt_db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX,
                        NULL) != SQLITE_OK ||
        sqlite3_exec(w->ckpt_db, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL) !=
            SQLITE_OK)
        st = fo_error_set(err, FO_EIO, "db", "cannot open %s for checkpoints: %s", path,
                          w->ckpt_db ? sqlite3_errmsg(w->ckpt_db) : "out of memory");
    if (st == FO_OK && sync_commits)
        st = open_sync_fd(w, path, err);
    if (st == FO_OK && pthread_create(&w->thread, NULL, checkpointer, w) != 0)
        st = fo_error_set(err, FO_EIO, "db", "cannot start the checkpointer");
    if (st != FO_OK) {
        fo__wal_stop(w);
        return st;
    }
    w->started = 1;
    sqlite3_wal_hook(db, on_commit, w);
    return FO_OK;
}

void fo__wal_stop(struct fo_wal *w) {
    if (w->started) {
        pthread_mutex_lock(&w->lock);
        w->stop = 1;
        pthread_cond_signal(&w->wake);
        pthread_mutex_unlock(&w->lock);
        pthread_join(w->thread, NULL);
        w->started = 0;
    }
    sqlite3_close_v2(w->ckpt_db);
    w->ckpt_db = NULL;
    if (w->sync_fd >= 0)
        close(w->sync_fd);
    w->sync_fd = -1;
    pthread_cond_destroy(&w->synced_cv);
    pthread_cond_destroy(&w->wake);
    pthread_mutex_destroy(&w->lock);
}

uint64_t fo__wal_ticket(struct fo_wal *w) {
    pthread_mutex_lock(&w->lock);
    uint64_t t = ++w->committed;
    pthread_mutex_unlock(&w->lock);
    return t;
}

enum fo_status fo__wal_sync(struct fo_wal *w, uint64_t ticket, struct fo_error *err) {
    if (w->sync_fd < 0)
        return FO_OK;
    pthread_mutex_lock(&w->lock);
    /* After a failed sync no later commit is durable either: the WAL's
     * frames are checksummed in a chain, so recovery stops at the first
     * lost one and drops everything after it. */
    while (w->synced < ticket && w->failed_target < ticket &&
           atomic_load(&w->guard->tripped) == FO_GUARD_OK) {
        if (w->syncing) {
            pthread_cond_wait(&w->synced_cv, &w->lock);
            continue;
        }
        /* Lead a group: every commit with a ticket so far has written its
         * frames, so one sync covers all of them. */
        w->syncing = 1;
        uint64_t target = w->committed;
        pthread_mutex_unlock(&w->lock);
        int rc = fdatasync(w->sync_fd);
        pthread_mutex_lock(&w->lock);
        w->syncing = 0;
        w->n_syncs++;
        /* After a failed fdatasync the kernel may have dropped the pages:
         * none of that group's commits can be called durable. */
        uint64_t *mark = rc == 0 ? &w->synced : &w->failed_target;
        *mark = target > *mark ? target : *mark;
        if (rc != 0)
            fo__guard_trip(w->guard, FO_GUARD_SYNC_FAILED);
        pthread_cond_broadcast(&w->synced_cv);
    }
    int ok = w->synced >= ticket;
    pthread_mutex_unlock(&w->lock);
    return ok ? FO_OK
              : fo_error_set(err, FO_EIO, "database",
                             "the write-ahead log could not be synced to disk");
}
