/* notify.c - see notify.h. */
#include "daemon/notify.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int fo_notify(const char *text) {
    const char *path = getenv("NOTIFY_SOCKET");
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    size_t len = path ? strlen(path) : 0;
    if (len < 2 || len >= sizeof a.sun_path || (path[0] != '/' && path[0] != '@'))
        return -1;
    memcpy(a.sun_path, path, len);
    if (a.sun_path[0] == '@') /* the abstract namespace */
        a.sun_path[0] = '\0';
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    socklen_t alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
    ssize_t sent =
        sendto(fd, text, strlen(text), MSG_NOSIGNAL, (const struct sockaddr *)&a, alen);
    close(fd);
    return sent == (ssize_t)strlen(text) ? 0 : -1;
}

long fo_notify_watchdog_ms(void) {
    const char *usec = getenv("WATCHDOG_USEC"), *pid = getenv("WATCHDOG_PID");
    if (!usec || (pid && atol(pid) != (long)getpid()))
        return 0;
    long long us = atoll(usec);
    return us >= 2000 ? (long)(us / 2000) : 0; /* pinged at half the period */
}
