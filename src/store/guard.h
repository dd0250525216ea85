/*
 * guard.h - what keeps one database honest under one daemon: the lock that
 * refuses a second daemon, the file's identity (removed or replaced under a
 * running daemon), and the sticky failure after a sync the disk refused.
 * Once tripped, every later write fails until the daemon is restarted:
 * after a failed fdatasync the kernel may have dropped the pages, so
 * nothing written since can be called durable (PostgreSQL's answer to
 * "fsyncgate").
 */
#ifndef FLOWOPT_STORE_GUARD_H
#define FLOWOPT_STORE_GUARD_H

#include <flowopt/status.h>
#include <stdatomic.h>
#include <sys/types.h>

struct fo_store_guard {
    int lock_fd; /* <db>.lock, held with flock for the store's life; -1 when none */
    dev_t dev;   /* the database file as opened */
    ino_t ino;
    const char *path;   /* borrowed from the store's configuration copy */
    atomic_int tripped; /* 0, or why writes are refused: a FO_GUARD_* */
};

enum {
    FO_GUARD_OK = 0,
    FO_GUARD_FILE_GONE = 1,
    FO_GUARD_SYNC_FAILED = 2,
    FO_GUARD_READ_ONLY = 3 /* SQLite opened the file read-only */
};

/*
 * Lock path's companion <path>.lock (FO_EBUSY, naming the holder's pid,
 * when another process holds it) and, unless create, refuse a database
 * that does not exist (FO_ENOTFOUND). Call before SQLite opens path.
 */
enum fo_status fo__guard_lock(struct fo_store_guard *g, const char *path, int create,
                              struct fo_error *err);

/* Remember the identity of the file now open at g->path. */
enum fo_status fo__guard_note_file(struct fo_store_guard *g, struct fo_error *err);

/*
 * FO_OK while writes may be acknowledged; FO_EIO with the cause once the
 * file at the path is gone or another, or a sync failed (then forever).
 */
enum fo_status fo__guard_check(struct fo_store_guard *g, struct fo_error *err);

/* Trip the guard: a sync failed. */
void fo__guard_trip(struct fo_store_guard *g, int why);

void fo__guard_release(struct fo_store_guard *g);

#endif
