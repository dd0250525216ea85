/* listen.h - parse "HOST:PORT" and open a listening TCP socket. */
#ifndef FLOWOPT_HTTP_LISTEN_H
#define FLOWOPT_HTTP_LISTEN_H

#include <stddef.h>
#include <flowopt/status.h>

/*
 * Split "HOST:PORT" or "[V6]:PORT" into host and port (each NUL-terminated,
 * within its capacity). FO_EINVAL names "listen" when the text is malformed.
 */
enum fo_status fo_listen_parse(const char *text, char *host, size_t host_cap, char *port,
                               size_t port_cap, struct fo_error *err);

/*
 * Bind and listen on text. OUT: *fd, a listening socket owned by the caller;
 * *is_v6; bound, the address actually bound as "HOST:PORT".
 */
enum fo_status fo_listen_open(const char *text, int *fd, int *is_v6, char *bound,
                              size_t cap, struct fo_error *err);

#endif
