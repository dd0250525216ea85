/*
 * fail_sync.c - an LD_PRELOAD shim for tests: fdatasync and fsync fail once
 * with EIO whenever the file FO_FAIL_SYNC names exists (it is removed, so
 * the next sync works again), as a disk that loses one write would.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

int fdatasync(int fd);
int fsync(int fd);

static int fail_now(void) {
    const char *trigger = getenv("FO_FAIL_SYNC");
    return trigger && unlink(trigger) == 0;
}

int fdatasync(int fd) {
    if (fail_now()) {
        errno = EIO;
        return -1;
    }
    int (*real)(int) = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
    return real(fd);
}

int fsync(int fd) {
    if (fail_now()) {
        errno = EIO;
        return -1;
    }
    int (*real)(int) = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    return real(fd);
}
