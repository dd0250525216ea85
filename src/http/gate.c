/* gate.c - see gate.h. */
#include "http/gate.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <string.h>
#include <strings.h>

/* Is [s, s+n) one of the comma-separated items of list (blanks trimmed),
 * or is "*" one of them when star is set? */
static int listed(const char *list, const char *s, size_t n, int star) {
    for (const char *p = list; p && *p;) {
        p += strspn(p, " ,");
        size_t len = strcspn(p, ",");
        size_t trimmed = len;
        while (trimmed && p[trimmed - 1] == ' ')
            trimmed--;
        if (trimmed && ((star && trimmed == 1 && *p == '*') ||
                        (trimmed == n && strncasecmp(p, s, n) == 0)))
            return 1;
        p += len;
    }
    return 0;
}

/* The host part of "name", "name:port", "1.2.3.4:port" or "[v6]:port". */
static int host_part(const char *host, char *out, size_t cap) {
    size_t n;
    if (host[0] == '[') {
        const char *end = strchr(host, ']');
        if (!end || (end[1] && end[1] != ':'))
            return -1;
        n = (size_t)(end - host - 1);
        host++;
    } else {
        n = strcspn(host, ":");
    }
    if (!n || n >= cap)
        return -1;
    memcpy(out, host, n);
    out[n] = '\0';
    return 0;
}

static int is_ip_literal(const char *name) {
    unsigned char buf[16];
    return inet_pton(AF_INET, name, buf) == 1 || inet_pton(AF_INET6, name, buf) == 1;
}

static int is_localhost(const char *name) {
    size_t n = strlen(name);
    if (n && name[n - 1] == '.')
        n--; /* the absolute form "localhost." */
    return (n == 9 && strncasecmp(name, "localhost", 9) == 0) ||
           (n > 10 && strncasecmp(name + n - 10, ".localhost", 10) == 0);
}

int fo_gate_host_ok(const struct fo_gate *g, const char *host) {
    char name[256];
    if (!host || host_part(host, name, sizeof name) != 0)
        return 0;
    return is_ip_literal(name) || is_localhost(name) ||
           listed(g->allowed_hosts, name, strlen(name), 1);
}

enum fo_origin fo_gate_origin(const struct fo_gate *g, const char *origin,
                              const char *host) {
    if (!origin)
        return FO_ORIGIN_NONE;
    const char *authority = strstr(origin, "://");
    if (authority && host && strcasecmp(authority + 3, host) == 0)
        return FO_ORIGIN_SAME;
    if (authority && listed(g->cors_origins, origin, strlen(origin), 0))
        return FO_ORIGIN_ALLOWED;
    return FO_ORIGIN_DENIED;
}

int fo_gate_type_is(const char *content_type, const char *want) {
    if (!content_type)
        return 0;
    const char *p = content_type + strspn(content_type, " \t");
    size_t n = strcspn(p, ";");
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
        n--;
    return n == strlen(want) && strncasecmp(p, want, n) == 0;
}

static int hex_value(char c) {
    return isdigit((unsigned char)c) ? c - '0'
           : c >= 'a' && c <= 'f'    ? c - 'a' + 10
           : c >= 'A' && c <= 'F'    ? c - 'A' + 10
                                     : -1;
}

size_t fo_gate_unescape(char *s) {
    char *out = s;
    for (const char *p = s; *p; p++) {
        int hi = p[0] == '%' ? hex_value(p[1]) : -1;
        int lo = hi >= 0 ? hex_value(p[2]) : -1;
        if (lo >= 0 && (hi | lo) != 0) {
            *out++ = (char)(hi * 16 + lo);
            p += 2;
        } else {
            *out++ = *p;
        }
    }
    *out = '\0';
    return (size_t)(out - s);
}

int fo_gate_path_ok(const char *path) {
    if (!path || path[0] != '/' || strstr(path, "%00"))
        return 0;
    for (const char *p = path; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return 0;
    if (strcmp(path, "/") == 0)
        return 1;
    for (const char *seg = path + 1;; seg += strcspn(seg, "/") + 1) {
        size_t n = strcspn(seg, "/");
        if (n == 0 && seg[0] != '\0')
            return 0; /* "//" */
        if ((n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' && seg[1] == '.'))
            return 0;
        if (!seg[n])
            return 1;
    }
}
