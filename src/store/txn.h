/*
 * txn.h - transactions. Every write of the store runs inside one: the
 * caller opens it with fo_store_begin and closes it with fo_store_commit
 * or fo_store_rollback, and the store's lock is held in between, so one
 * transaction is one unit whatever thread runs it. fo_store_transact wraps
 * the three around a function, which is how the service writes.
 */
#ifndef FLOWOPT_STORE_TXN_H
#define FLOWOPT_STORE_TXN_H

#include <stdint.h>
#include <flowopt/status.h>
#include "store/store.h"

enum fo_status fo_store_begin(struct fo_store *s, struct fo_error *err);
enum fo_status fo_store_commit(struct fo_store *s, struct fo_error *err);
/*
 * fo_store_commit in two halves, so a caller can release its own locks in
 * between and let later commits join the same WAL sync (durability full):
 * commit now (OUT: *ticket), then fo_store_wait before acknowledging.
 * A later commit is durable only with every earlier one (the WAL is one
 * sequence), so nothing acknowledged can depend on what is not durable.
 * A commit that fails has rolled back.
 */
enum fo_status fo_store_commit_async(struct fo_store *s, uint64_t *ticket,
                                     struct fo_error *err);
enum fo_status fo_store_wait(struct fo_store *s, uint64_t ticket, struct fo_error *err);
void fo_store_rollback(struct fo_store *s);

/*
 * body(s, ctx, err) inside one transaction: committed when it returns
 * FO_OK, rolled back (and its status returned) otherwise. With ticket NULL
 * the commit is durable on return; with a ticket it is fo_store_commit_async
 * and the caller waits (fo_store_wait) before acknowledging anything.
 */
typedef enum fo_status (*fo_store_txn_fn)(struct fo_store *s, void *ctx,
                                          struct fo_error *err);
enum fo_status fo_store_transact(struct fo_store *s, fo_store_txn_fn body, void *ctx,
                                 uint64_t *ticket, struct fo_error *err);

#endif
