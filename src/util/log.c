/* log.c - see log.h. */
#include "util/log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static atomic_int current_level = FO_LOG_INFO;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

int fo_log_parse_level(const char *name, enum fo_log_level *out) {
    for (int i = 0; i < 4; i++) {
        if (name && strcmp(name, level_names[i]) == 0) {
            *out = (enum fo_log_level)i;
            return 0;
        }
    }
    return -1;
}

void fo_log_set_level(enum fo_log_level level) {
    atomic_store(&current_level, (int)level);
}

int fo_log_enabled(enum fo_log_level level) {
    return (int)level <= atomic_load(&current_level);
}

void fo_log_write(enum fo_log_level level, const char *func, const char *fmt, ...) {
    if (!fo_log_enabled(level))
        return;
    char line[1024];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    int n = snprintf(line, sizeof line,
                     "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s %s: ", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     ts.tv_nsec / 1000000L, level_names[level], func);
    if (n < 0)
        return;
    size_t used = (size_t)n < sizeof line ? (size_t)n : sizeof line - 1;
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + used, sizeof line - used, fmt, ap);
    va_end(ap);
    if (m > 0)
        used += (size_t)m < sizeof line - used ? (size_t)m : sizeof line - used - 1;
    if (used > sizeof line - 2)
        used = sizeof line - 2;
    line[used++] = '\n';
    /* One write(2) per line: atomic with respect to other threads' lines. */
    ssize_t w = write(STDERR_FILENO, line, used);
    (void)w;
}

void fo_log_escape(char *dst, size_t cap, const char *src) {
    size_t j = 0;
    if (cap == 0)
        return;
    for (const unsigned char *p = (const unsigned char *)(src ? src : ""); *p; p++) {
        char tmp[5];
        size_t len;
        if (*p < 0x20 || *p == 0x7f || *p == '"' || *p == '\\') {
            len = (size_t)snprintf(tmp, sizeof tmp, "\\x%02x", *p);
        } else {
            tmp[0] = (char)*p;
            len = 1;
        }
        if (j + len + 4 > cap) {
            if (cap > 4) {
                memcpy(dst + (j < cap - 4 ? j : cap - 4), "...", 4);
                return;
            }
            break;
        }
        memcpy(dst + j, tmp, len);
        j += len;
    }
    dst[j < cap ? j : cap - 1] = '\0';
}
