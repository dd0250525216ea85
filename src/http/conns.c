/* conns.c - see conns.h. */
#include "http/conns.h"

#include <microhttpd.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#define WATCH_MS 200

struct conn_rec {
    struct conn_rec *prev, *next;
    int fd;
    int in_request;        /* headers arrived; the handler and the answer run */
    struct timespec since; /* when the wait for the next headers began */
};

struct fo_conns {
    pthread_mutex_t lock; /* guards the list and the counts */
    pthread_cond_t wake;
    pthread_t thread;
    int stop;
    unsigned timeout_s;
    struct conn_rec *head;
    size_t open;
    unsigned long long cut;
};

static double seconds_since(const struct timespec *t, const struct timespec *now) {
    return (double)(now->tv_sec - t->tv_sec) + (double)(now->tv_nsec - t->tv_nsec) * 1e-9;
}

/*
 * shutdown, not close: the library still owns the descriptor and closes it
 * when it sees the end. The library tells fo_conns_closed before it closes
 * a descriptor, and that waits for this lock, so fd is never another's.
 */
static void cut_late(struct fo_conns *c) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    for (struct conn_rec *r = c->head; r; r = r->next)
        if (!r->in_request && r->fd >= 0 &&
            seconds_since(&r->since, &now) > c->timeout_s) {
            shutdown(r->fd, SHUT_RDWR);
            r->fd = -1; /* once */
            c->cut++;
        }
}

static void *watchdog(void *p) {
    struct fo_conns *c = p;
    pthread_mutex_lock(&c->lock);
    while (!c->stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += WATCH_MS * 1000000L;
        until.tv_sec += until.tv_nsec / 1000000000L;
        until.tv_nsec %= 1000000000L;
        pthread_cond_timedwait(&c->wake, &c->lock, &until);
        cut_late(c);
    }
    pthread_mutex_unlock(&c->lock);
    return NULL;
}

enum fo_status fo_conns_start(unsigned header_timeout_s, struct fo_conns **out,
                              struct fo_error *err) {
    *out = NULL;
    struct fo_conns *c = calloc(1, sizeof *c);
    if (!c)
        return fo_error_set(err, FO_ENOMEM, NULL, "out of memory");
    c->timeout_s = header_timeout_s;
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->wake, NULL);
    if (pthread_create(&c->thread, NULL, watchdog, c) != 0) {
        pthread_cond_destroy(&c->wake);
        pthread_mutex_destroy(&c->lock);
        free(c);
        return fo_error_set(err, FO_EIO, NULL, "cannot start the connection watchdog");
    }
    *out = c;
    return FO_OK;
}

void fo_conns_stop(struct fo_conns *c) {
    if (!c)
        return;
    pthread_mutex_lock(&c->lock);
    c->stop = 1;
    pthread_cond_signal(&c->wake);
    pthread_mutex_unlock(&c->lock);
    pthread_join(c->thread, NULL);
    while (c->head) {
        struct conn_rec *r = c->head;
        c->head = r->next;
        free(r);
    }
    pthread_cond_destroy(&c->wake);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

void fo_conns_opened(struct fo_conns *c, struct MHD_Connection *conn, void **ctx) {
    struct conn_rec *r = calloc(1, sizeof *r);
    *ctx = r;
    if (!r)
        return; /* untracked: the library's own timeout still applies */
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    r->fd = info ? info->connect_fd : -1;
    clock_gettime(CLOCK_MONOTONIC, &r->since);
    pthread_mutex_lock(&c->lock);
    r->next = c->head;
    if (c->head)
        c->head->prev = r;
    c->head = r;
    c->open++;
    pthread_mutex_unlock(&c->lock);
}

void fo_conns_closed(struct fo_conns *c, void **ctx) {
    struct conn_rec *r = *ctx;
    if (!r)
        return;
    pthread_mutex_lock(&c->lock);
    if (r->prev)
        r->prev->next = r->next;
    else
        c->head = r->next;
    if (r->next)
        r->next->prev = r->prev;
    c->open--;
    pthread_mutex_unlock(&c->lock);
    free(r);
    *ctx = NULL;
}

static struct conn_rec *rec_of(struct MHD_Connection *conn) {
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return info ? info->socket_context : NULL;
}

void fo_conns_request_began(struct fo_conns *c, struct MHD_Connection *conn) {
    struct conn_rec *r = rec_of(conn);
    if (!r)
        return;
    pthread_mutex_lock(&c->lock);
    r->in_request = 1;
    pthread_mutex_unlock(&c->lock);
}

void fo_conns_request_ended(struct fo_conns *c, struct MHD_Connection *conn) {
    struct conn_rec *r = rec_of(conn);
    if (!r)
        return;
    pthread_mutex_lock(&c->lock);
    r->in_request = 0;
    clock_gettime(CLOCK_MONOTONIC, &r->since);
    pthread_mutex_unlock(&c->lock);
}

size_t fo_conns_open(struct fo_conns *c) {
    pthread_mutex_lock(&c->lock);
    size_t n = c->open;
    pthread_mutex_unlock(&c->lock);
    return n;
}

unsigned long long fo_conns_cut(struct fo_conns *c) {
    pthread_mutex_lock(&c->lock);
    unsigned long long n = c->cut;
    pthread_mutex_unlock(&c->lock);
    return n;
}
