/* backup.c - see backup.h. */
#include "store/backup.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static enum fo_status fail(struct fo_error *err, sqlite3 *db, const char *what,
                           const char *path) {
    return fo_error_set(err, FO_EIO, "backup", "%s %s: %s", what, path,
                        db ? sqlite3_errmsg(db) : "out of memory");
}

/* The copy's pages, read back once. */
static enum fo_status check_copy(sqlite3 *db, const char *path, struct fo_error *err) {
    sqlite3_stmt *st = NULL;
    enum fo_status rc = FO_OK;
    if (sqlite3_prepare_v2(db, "PRAGMA quick_check(1)", -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW ||
        strcmp((const char *)sqlite3_column_text(st, 0), "ok") != 0)
        rc =
            fo_error_set(err, FO_EDAMAGED, "backup", "the copy %s fails its check", path);
    sqlite3_finalize(st);
    return rc;
}

/* Durable before the rename: the data, then the folder's entry. */
static int sync_path(const char *path, int dir) {
    int fd = open(path, dir ? O_RDONLY | O_DIRECTORY : O_RDONLY);
    int rc = fd >= 0 ? fsync(fd) : -1;
    if (fd >= 0)
        close(fd);
    return rc;
}

enum fo_status fo_store_backup(const char *db_path, const char *dest, size_t *pages,
                               struct fo_error *err) {
    *pages = 0;
    struct stat sb;
    if (stat(dest, &sb) == 0)
        return fo_error_set(err, FO_ECONFLICT, "backup",
                            "%s exists: a backup never overwrites", dest);
    char partial[4200];
    if ((size_t)snprintf(partial, sizeof partial, "%s.partial", dest) >= sizeof partial)
        return fo_error_set(err, FO_EINVAL, "backup", "destination path too long");
    unlink(partial);
    sqlite3 *src = NULL, *dst = NULL;
    enum fo_status st = FO_OK;
    /* read-only and without the daemon's lock file: the daemon keeps
     * writing; WAL gives this reader one consistent snapshot */
    if (sqlite3_open_v2(db_path, &src, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        st = fail(err, src, "cannot open", db_path);
    if (st == FO_OK &&
        sqlite3_open_v2(partial, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                        NULL) != SQLITE_OK)
        st = fail(err, dst, "cannot create", partial);
    if (st == FO_OK)
        sqlite3_busy_timeout(src, 5000);
    sqlite3_backup *b =
        st == FO_OK ? sqlite3_backup_init(dst, "main", src, "main") : NULL;
    if (st == FO_OK && !b)
        st = fail(err, dst, "cannot back up into", partial);
    if (b) {
        /* every page in one step: one read transaction, one snapshot */
        int rc = sqlite3_backup_step(b, -1);
        *pages = (size_t)sqlite3_backup_pagecount(b);
        sqlite3_backup_finish(b);
        if (rc != SQLITE_DONE)
            st = fo_error_set(err, FO_EIO, "backup", "copying %s: %s", db_path,
                              sqlite3_errstr(rc));
    }
    if (st == FO_OK)
        st = check_copy(dst, partial, err);
    sqlite3_close(src);
    if (dst && sqlite3_close(dst) != SQLITE_OK && st == FO_OK)
        st = fail(err, NULL, "cannot close", partial);
    char dir[4200];
    snprintf(dir, sizeof dir, "%s", dest);
    char *slash = strrchr(dir, '/');
    if (slash)
        *(slash == dir ? slash + 1 : slash) = '\0';
    if (st == FO_OK && (sync_path(partial, 0) != 0 || rename(partial, dest) != 0 ||
                        sync_path(slash ? dir : ".", 1) != 0))
        st = fo_error_set(err, FO_EIO, "backup", "cannot move %s into place", partial);
    if (st != FO_OK)
        unlink(partial);
    return st;
}
