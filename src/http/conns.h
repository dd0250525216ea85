/*
 * conns.h - the connections the daemon holds: how many, and a deadline for
 * each request's headers that a trickle of bytes cannot extend (the
 * library's own timeout restarts on every byte, so 1,000 slowloris sockets
 * could hold every slot). A watchdog thread cuts a connection whose
 * headers are late, or that sits idle between requests that long.
 */
#ifndef FLOWOPT_HTTP_CONNS_H
#define FLOWOPT_HTTP_CONNS_H

#include <flowopt/status.h>
#include <stddef.h>

struct fo_conns;
struct MHD_Connection;

/* OUT: *out, released with fo_conns_stop. header_timeout_s > 0. */
enum fo_status fo_conns_start(unsigned header_timeout_s, struct fo_conns **out,
                              struct fo_error *err);
/* Stop the watchdog and free what is left (after the library stopped). */
void fo_conns_stop(struct fo_conns *c);

/* The library's connection notices: a connection began (*ctx is ours to
 * set) or ended. */
void fo_conns_opened(struct fo_conns *c, struct MHD_Connection *conn, void **ctx);
void fo_conns_closed(struct fo_conns *c, void **ctx);

/* A request's headers arrived on conn / its answer was sent: the deadline
 * stops, and then starts again for the next request. */
void fo_conns_request_began(struct fo_conns *c, struct MHD_Connection *conn);
void fo_conns_request_ended(struct fo_conns *c, struct MHD_Connection *conn);

/* Connections open now, and cut by the watchdog since the start. */
size_t fo_conns_open(struct fo_conns *c);
unsigned long long fo_conns_cut(struct fo_conns *c);

#endif
