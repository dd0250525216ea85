/* url.c - see url.h. */
#include "util/url.h"

#include <stdlib.h>
#include <string.h>

int fo_url_host_port(const char *url, char *host, size_t cap, unsigned *port) {
    const char *p = url;
    unsigned def = 0;
    if (strncmp(p, "http://", 7) == 0)
        p += 7, def = 80;
    else if (strncmp(p, "https://", 8) == 0)
        p += 8, def = 443;
    else
        return -1;
    size_t n = strcspn(p, ":/?#");
    if (n == 0 || n >= cap || memchr(p, '@', strcspn(p, "/?#")))
        return -1; /* no user info: what is checked is what is called */
    memcpy(host, p, n);
    host[n] = '\0';
    *port = def;
    if (p[n] == ':') {
        char *end = NULL;
        unsigned long v = strtoul(p + n + 1, &end, 10);
        if (!end || end == p + n + 1 || v == 0 || v > 65535 || (*end && *end != '/'))
            return -1;
        *port = (unsigned)v;
    }
    return 0;
}
