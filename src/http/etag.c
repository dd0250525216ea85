/* etag.c - see etag.h. */
#include "http/etag.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

void fo_etag_of(const char *body, size_t len, char out[FO_ETAG_CAP]) {
    uint64_t h = 14695981039346656037ull;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)body[i];
        h *= 1099511628211ull;
    }
    snprintf(out, FO_ETAG_CAP, "\"%016llx\"", (unsigned long long)h);
}

int fo_etag_matches(const char *if_none_match, const char *etag) {
    if (!if_none_match)
        return 0;
    size_t n = strlen(etag);
    const char *p = if_none_match;
    for (;;) {
        p += strspn(p, " \t,");
        if (!*p)
            return 0;
        if (*p == '*')
            return 1;
        if (strncmp(p, "W/", 2) == 0)
            p += 2;
        size_t len = strcspn(p, ",");
        while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
            len--;
        if (len == n && memcmp(p, etag, n) == 0)
            return 1;
        p += strcspn(p, ",");
    }
}
