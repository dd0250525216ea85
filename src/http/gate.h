/*
 * gate.h - who may talk to the daemon, decided before any route runs:
 * the Host it is addressed by, the web origin a browser says a request
 * came from, a body's media type and the shape of the path.
 *
 * A page on any web site can make a browser send requests to 127.0.0.1
 * (cross-site requests) or rename its own host to 127.0.0.1 (DNS
 * rebinding). The first is stopped by Origin and by JSON-only bodies
 * (a cross-site form cannot send application/json without a preflight);
 * the second by the Host check: a rebinding page's requests carry its
 * own name. Plain string logic: no sockets, no library.
 */
#ifndef FLOWOPT_HTTP_GATE_H
#define FLOWOPT_HTTP_GATE_H

#include <stddef.h>

struct fo_gate {
    const char *allowed_hosts; /* comma-separated names; "*" any; NULL or "" none */
    const char *cors_origins;  /* comma-separated origins; NULL or "" none */
};

/* Host header value (with or without a port): IP literals, localhost and
 * *.localhost always, else a name in allowed_hosts. */
int fo_gate_host_ok(const struct fo_gate *g, const char *host);

enum fo_origin {
    FO_ORIGIN_NONE,    /* no Origin header: not from a browser's cross-site call */
    FO_ORIGIN_SAME,    /* the page came from this daemon (Origin's authority == Host) */
    FO_ORIGIN_ALLOWED, /* in cors_origins: answered with CORS headers */
    FO_ORIGIN_DENIED
};
enum fo_origin fo_gate_origin(const struct fo_gate *g, const char *origin,
                              const char *host);

/* content_type's media type (before any ';' parameter) is want,
 * ignoring case and blanks. NULL content_type is not. */
int fo_gate_type_is(const char *content_type, const char *want);

/*
 * Percent-decode s in place (the library's unescape step); returns the new
 * length. "%00" stays undecoded so that a NUL byte can never cut a path
 * or a value short: fo_gate_path_ok and the query check refuse it.
 */
size_t fo_gate_unescape(char *s);

/* A canonical path: starts with '/', no "%00", no control bytes, no empty,
 * "." or ".." segment. */
int fo_gate_path_ok(const char *path);

#endif
