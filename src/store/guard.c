/* guard.c - see guard.h. */
#include "store/guard.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

enum fo_status fo__guard_lock(struct fo_store_guard *g, const char *path, int create,
                              struct fo_error *err) {
    g->lock_fd = -1;
    g->path = path;
    atomic_store(&g->tripped, FO_GUARD_OK);
    char name[4200];
    if ((size_t)snprintf(name, sizeof name, "%s.lock", path) >= sizeof name)
        return fo_error_set(err, FO_EINVAL, "db", "database path is too long");
    int fd = open(name, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return fo_error_set(err, FO_EIO, "db", "cannot open the lock file %s: %s", name,
                            strerror(errno));
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        char pid[32] = "";
        ssize_t n = pread(fd, pid, sizeof pid - 1, 0);
        pid[n > 0 ? n : 0] = '\0';
        pid[strcspn(pid, "\n")] = '\0';
        close(fd);
        return fo_error_set(err, FO_EBUSY, "db",
                            "%s is in use by another flowoptd (pid %s, holding %s); "
                            "one daemon per database",
                            path, pid[0] ? pid : "unknown", name);
    }
    struct stat sb;
    if (!create && stat(path, &sb) != 0 && errno == ENOENT) {
        close(fd);
        return fo_error_set(err, FO_ENOTFOUND, "db",
                            "no database at %s; start once with --init to create it "
                            "(refused so that a lost file is not silently replaced "
                            "by an empty one)",
                            path);
    }
    char pid[32];
    int len = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)len, 0) != len) {
        /* the pid is only for the message a second daemon prints */
    }
    g->lock_fd = fd;
    return FO_OK;
}

enum fo_status fo__guard_note_file(struct fo_store_guard *g, struct fo_error *err) {
    struct stat sb;
    if (stat(g->path, &sb) != 0)
        return fo_error_set(err, FO_EIO, "db", "cannot stat %s: %s", g->path,
                            strerror(errno));
    g->dev = sb.st_dev;
    g->ino = sb.st_ino;
    return FO_OK;
}

static enum fo_status refuse(int why, const char *path, struct fo_error *err) {
    if (why == FO_GUARD_READ_ONLY)
        return fo_error_set(err, FO_EIO, "database",
                            "the database %s is read-only to the daemon: writes are "
                            "refused; fix its permissions and restart",
                            path);
    if (why == FO_GUARD_SYNC_FAILED)
        return fo_error_set(err, FO_EIO, "database",
                            "a sync of the write-ahead log failed: writes are refused "
                            "until flowoptd is restarted (the database is then "
                            "reopened and recovered)");
    return fo_error_set(err, FO_EIO, "database",
                        "the database file %s was removed or replaced under the "
                        "daemon: writes are refused; restore the file and restart",
                        path);
}

enum fo_status fo__guard_check(struct fo_store_guard *g, struct fo_error *err) {
    int why = atomic_load(&g->tripped);
    if (why != FO_GUARD_OK)
        return refuse(why, g->path, err);
    struct stat sb;
    if (stat(g->path, &sb) != 0 || sb.st_dev != g->dev || sb.st_ino != g->ino) {
        int expected = FO_GUARD_OK;
        atomic_compare_exchange_strong(&g->tripped, &expected, FO_GUARD_FILE_GONE);
        return refuse(atomic_load(&g->tripped), g->path, err);
    }
    return FO_OK;
}

void fo__guard_trip(struct fo_store_guard *g, int why) {
    int expected = FO_GUARD_OK;
    atomic_compare_exchange_strong(&g->tripped, &expected, why);
}

void fo__guard_release(struct fo_store_guard *g) {
    if (g->lock_fd >= 0)
        close(g->lock_fd);
    g->lock_fd = -1;
}
