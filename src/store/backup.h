/*
 * backup.h - a consistent copy of a database another process (a running
 * flowoptd) is writing: SQLite's online backup, copied in one read
 * transaction so no commit lands half in it, checked, then renamed into
 * place so DEST is either whole or absent.
 */
#ifndef FLOWOPT_STORE_BACKUP_H
#define FLOWOPT_STORE_BACKUP_H

#include <stddef.h>
#include <flowopt/status.h>

/* Copy db_path to dest (which must not exist). OUT: *pages copied. */
enum fo_status fo_store_backup(const char *db_path, const char *dest, size_t *pages,
                               struct fo_error *err);

#endif
