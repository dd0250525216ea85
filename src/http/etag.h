/* etag.h - entity tags for GET answers, so a page that polls revalidates. */
#ifndef FLOWOPT_HTTP_ETAG_H
#define FLOWOPT_HTTP_ETAG_H

#include <stddef.h>

#define FO_ETAG_CAP 20 /* "16 hex digits" and NUL */

/* The strong tag of a body: its FNV-1a 64-bit hash, quoted, into out. */
void fo_etag_of(const char *body, size_t len, char out[FO_ETAG_CAP]);

/*
 * 1 when an If-None-Match header value (a list of tags, W/ prefixes
 * allowed, or "*") names etag, by the weak comparison RFC 9110 13.1.2
 * asks for; 0 otherwise, and for NULL.
 */
int fo_etag_matches(const char *if_none_match, const char *etag);

#endif
