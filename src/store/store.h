/*
 * store.h - the durable state of flowoptd in one SQLite file.
 *
 * The store owns every SQL statement of the daemon. Opening it sets the
 * PRAGMAs that make acknowledged writes survive a crash (WAL, foreign keys,
 * a busy timeout, synchronous=NORMAL), applies the embedded migrations and
 * starts the WAL's checkpointer (wal.h).
 */
#ifndef FLOWOPT_STORE_STORE_H
#define FLOWOPT_STORE_STORE_H

#include <flowopt/status.h>

enum fo_durability {
    FO_DURABILITY_NORMAL = 0, /* survives a process crash (synchronous=NORMAL) */
    FO_DURABILITY_FULL = 1    /* also survives power loss: the WAL is synced
                                 before a commit returns, one fdatasync per
                                 group of concurrent commits */
};

struct fo_store_config {
    const char *path; /* database file */
    int create;       /* create it when missing (else FO_ENOTFOUND) */
    enum fo_durability durability;
    int busy_timeout_ms; /* 0 picks the default, 5000 */
    int quick_check;     /* PRAGMA quick_check before serving: a damaged page refuses */
};

struct fo_store;

/*
 * Open (creating if needed) and migrate the database.
 * OUT: *out, owned by the caller, released with fo_store_close.
 * Fails with FO_ESCHEMA for a database newer than this binary, FO_EIO when
 * the file cannot be opened or migrated; nothing is left open on failure.
 */
enum fo_status fo_store_open(const struct fo_store_config *cfg, struct fo_store **out,
                             struct fo_error *err);

/*
 * FO_OK while writes can be acknowledged; FO_EIO with the cause when the
 * file was removed or replaced, a sync failed, or it is read-only (then
 * every write fails until a restart).
 */
enum fo_status fo_store_writable(struct fo_store *store, struct fo_error *err);

/* Schema version after migration (the number of the last migration applied). */
int fo_store_schema_version(const struct fo_store *store);

/* Write-ahead log activity since open, for /metrics. */
struct fo_store_stats {
    unsigned long long commits;     /* transactions committed */
    unsigned long long syncs;       /* fdatasync calls that made groups durable */
    unsigned long long checkpoints; /* background checkpoints run */
};
void fo_store_stats(struct fo_store *store, struct fo_store_stats *out);

/* Close the database; NULL is a no-op. */
void fo_store_close(struct fo_store *store);

#endif
