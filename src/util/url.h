/* url.h - the host and port of an http(s) URL, for the evaluator allow-list. */
#ifndef FLOWOPT_UTIL_URL_H
#define FLOWOPT_UTIL_URL_H

#include <stddef.h>

/* OUT: host (cap bytes), *port (80 or 443 when none). Returns 0, or -1 when
 * url is no http:// or https:// URL with a plain host (no user info). */
int fo_url_host_port(const char *url, char *host, size_t cap, unsigned *port);

#endif
