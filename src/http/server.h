/*
 * server.h - the HTTP front end: libmicrohttpd with a thread pool.
 *
 * Requests are matched against the route table, their bodies collected up
 * to the route's cap, and handed to the handler; one log line is written per
 * request when it completes.
 */
#ifndef FLOWOPT_HTTP_SERVER_H
#define FLOWOPT_HTTP_SERVER_H

#include <stddef.h>
#include <flowopt/status.h>

struct fo_service;

struct fo_http_config {
    const char *listen;        /* "HOST:PORT" or "[V6]:PORT"; port 0 picks a free one */
    unsigned threads;          /* worker threads; 0 picks the default */
    const char *tokens_file;   /* API tokens (auth.h); NULL or "": no auth */
    unsigned max_connections;  /* beyond it a request gets 503; 0 picks 1000 */
    unsigned max_per_ip;       /* connections one address may hold; 0 picks 128 */
    unsigned header_timeout_s; /* a request's headers, or the idle wait for them; 0: 15 */
    const char *allowed_hosts; /* Host names served besides IP literals (gate.h) */
    const char *cors_origins;  /* cross-origin pages allowed (gate.h) */
    const char *tls_cert;      /* PEM certificate (chain) file: serve HTTPS; NULL or "" */
    const char *tls_key;       /* its PEM private key; given with tls_cert */
};

struct fo_http_server;

/*
 * Bind, listen and start serving svc (borrowed; must outlive the server).
 * OUT: *out, released with fo_http_stop; bound ("HOST:PORT" actually bound,
 * capacity cap).
 */
enum fo_status fo_http_start(const struct fo_http_config *cfg, struct fo_service *svc,
                             struct fo_http_server **out, char *bound, size_t cap,
                             struct fo_error *err);

/*
 * Begin the end: the listening socket is closed (new clients are refused),
 * and every answer from now on closes its connection (keep-alive clients
 * reconnect elsewhere). Idempotent.
 */
void fo_http_drain(struct fo_http_server *srv);
/* Requests being served now. */
unsigned fo_http_in_flight(struct fo_http_server *srv);

/*
 * Drain, let requests in flight finish (waiting at most drain_ms), then
 * stop every thread and free the server. NULL is a no-op.
 */
void fo_http_stop(struct fo_http_server *srv, unsigned drain_ms);

/* Read the tokens file again (SIGHUP); the old tokens stay on failure.
 * OUT: *count. FO_ESTATE when the server was started without one. */
enum fo_status fo_http_reload_tokens(struct fo_http_server *srv, size_t *count,
                                     struct fo_error *err);

#endif
