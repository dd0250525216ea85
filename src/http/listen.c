/* listen.c - see listen.h. */
#include "http/listen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum fo_status fo_listen_parse(const char *text, char *host, size_t host_cap, char *port,
                               size_t port_cap, struct fo_error *err) {
    const char *colon, *h = text;
    size_t hlen;
    if (!text || !*text)
        return fo_error_set(err, FO_EINVAL, "listen", "listen address is empty");
    if (text[0] == '[') {
        const char *close = strchr(text, ']');
        if (!close || close[1] != ':')
            return fo_error_set(err, FO_EINVAL, "listen",
                                "expected [IPV6]:PORT, got '%s'", text);
        h = text + 1;
        hlen = (size_t)(close - h);
        colon = close + 1;
    } else {
        colon = strrchr(text, ':');
        if (!colon || strchr(text, ':') != colon)
            return fo_error_set(err, FO_EINVAL, "listen", "expected HOST:PORT, got '%s'",
                                text);
        hlen = (size_t)(colon - text);
    }
    const char *p = colon + 1;
    size_t plen = strlen(p);
    if (hlen == 0 || hlen >= host_cap || plen == 0 || plen > 5 || plen >= port_cap ||
        strspn(p, "0123456789") != plen)
        return fo_error_set(err, FO_EINVAL, "listen", "expected HOST:PORT, got '%s'",
                            text);
    long portnum = strtol(p, NULL, 10);
    if (portnum > 65535)
        return fo_error_set(err, FO_ERANGE, "listen", "port %ld is above 65535", portnum);
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    memcpy(port, p, plen + 1);
    return FO_OK;
}

static void format_bound(int fd, char *bound, size_t cap) {
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    char addr[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0) {
        if (ss.ss_family == AF_INET6) {
            struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
            inet_ntop(AF_INET6, &s6->sin6_addr, addr, sizeof addr);
            port = ntohs(s6->sin6_port);
            snprintf(bound, cap, "[%s]:%u", addr, port);
            return;
        }
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
        inet_ntop(AF_INET, &s4->sin_addr, addr, sizeof addr);
        port = ntohs(s4->sin_port);
    }
    snprintf(bound, cap, "%s:%u", addr, port);
}

enum fo_status fo_listen_open(const char *text, int *fd, int *is_v6, char *bound,
                              size_t cap, struct fo_error *err) {
    char host[256], port[16];
    enum fo_status st = fo_listen_parse(text, host, sizeof host, port, sizeof port, err);
    if (st != FO_OK)
        return st;
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    int gai = getaddrinfo(host, port, &hints, &res);
    if (gai != 0)
        return fo_error_set(err, FO_EINVAL, "listen", "cannot resolve '%s': %s", host,
                            gai_strerror(gai));
    int s = -1, saved = 0;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        s = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (s < 0) {
            saved = errno;
            continue;
        }
        int one = 1;
        setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(s, ai->ai_addr, ai->ai_addrlen) == 0 && listen(s, 256) == 0) {
            *is_v6 = ai->ai_family == AF_INET6;
            break;
        }
        saved = errno;
        close(s);
        s = -1;
    }
    freeaddrinfo(res);
    if (s < 0)
        return fo_error_set(err, FO_EIO, "listen", "cannot listen on %s: %s", text,
                            strerror(saved));
    *fd = s;
    format_bound(s, bound, cap);
    return FO_OK;
}
