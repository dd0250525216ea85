/* log.c - see log.h. */
#include "util/log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static atomic_int current_level = FO_LOG_INFO;
static atomic_int current_format = FO_LOG_TEXT;
static _Thread_local char request_id[65];

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

int fo_log_parse_format(const char *name, enum fo_log_format *out) {
    if (name && strcmp(name, "text") == 0)
        *out = FO_LOG_TEXT;
    else if (name && strcmp(name, "json") == 0)
        *out = FO_LOG_JSON;
    else
        return -1;
    return 0;
}

void fo_log_set_format(enum fo_log_format format) {
    atomic_store(&current_format, (int)format);
}

void fo_log_set_request(const char *id) {
    snprintf(request_id, sizeof request_id, "%s", id ? id : "");
}

/* Append src to line (capacity cap, at *used) as JSON string content. */
static void put_json_text(char *line, size_t cap, size_t *used, const char *src) {
    for (const unsigned char *p = (const unsigned char *)src; *p && *used + 8 < cap;
         p++) {
        if (*p == '"' || *p == '\\') {
            line[(*used)++] = '\\';
            line[(*used)++] = (char)*p;
        } else if (*p < 0x20 || *p == 0x7f) {
            *used += (size_t)snprintf(line + *used, cap - *used, "\\u%04x", *p);
        } else {
            line[(*used)++] = (char)*p;
        }
    }
}

/* Append printf-style text, clipped to the line. */
static void put_text(char *line, size_t cap, size_t *used, const char *fmt, va_list ap)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 0)))
#endif
    ;
static void put_text(char *line, size_t cap, size_t *used, const char *fmt, va_list ap) {
    int m = vsnprintf(line + *used, cap - *used, fmt, ap);
    if (m > 0)
        *used += (size_t)m < cap - *used ? (size_t)m : cap - *used - 1;
}

/* One write(2) per line: atomic with respect to other threads' lines. */
static void emit(char *line, size_t cap, size_t used) {
    if (used > cap - 2)
        used = cap - 2;
    line[used++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, used);
    (void)w;
}

static size_t put_time(char *line, size_t cap, const char *open) {
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    int n = snprintf(line, cap, "%s%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", open,
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                     tm.tm_sec, ts.tv_nsec / 1000000L);
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

/* The line's message, text or JSON, from fmt and ap; extra (JSON members,
 * or text) is appended before the end. */
static void write_line(enum fo_log_level level, const char *func, const char *extra,
                       const char *fmt, va_list ap)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 0)))
#endif
    ;
static void write_line(enum fo_log_level level, const char *func, const char *extra,
                       const char *fmt, va_list ap) {
    char line[1400];
    size_t used;
    if (atomic_load(&current_format) == FO_LOG_JSON) {
        char msg[1024] = "";
        size_t m = 0;
        put_text(msg, sizeof msg, &m, fmt, ap);
        used = put_time(line, sizeof line, "{\"time\":\"");
        used += (size_t)snprintf(line + used, sizeof line - used,
                                 "\",\"level\":\"%s\",\"where\":\"%s\",\"msg\":\"",
                                 level_names[level], func);
        put_json_text(line, sizeof line, &used, msg);
        used += (size_t)snprintf(line + used, sizeof line - used, "\"%s%s%s%s}",
                                 request_id[0] ? ",\"request_id\":\"" : "", request_id,
                                 request_id[0] ? "\"" : "", extra ? extra : "");
    } else {
        used = put_time(line, sizeof line, "");
        used += (size_t)snprintf(line + used, sizeof line - used,
                                 " %s %s: ", level_names[level], func);
        put_text(line, sizeof line, &used, fmt, ap);
        if (request_id[0] && used < sizeof line - 2)
            used +=
                (size_t)snprintf(line + used, sizeof line - used, " [%s]", request_id);
    }
    emit(line, sizeof line, used < sizeof line ? used : sizeof line - 1);
}

static void write_line_v(enum fo_log_level level, const char *func, const char *extra,
                         const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
static void write_line_v(enum fo_log_level level, const char *func, const char *extra,
                         const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    write_line(level, func, extra, fmt, ap);
    va_end(ap);
}

void fo_log_request(const char *method, const char *path, unsigned status, double us,
                    int aborted) {
    if (!fo_log_enabled(FO_LOG_INFO))
        return;
    char shown[256], verb[40], fields[700];
    fo_log_escape(shown, sizeof shown, path);
    fo_log_escape(verb, sizeof verb, method);
    method = verb;
    if (atomic_load(&current_format) == FO_LOG_JSON) {
        char m[40] = "", p[300] = "";
        size_t mu = 0, pu = 0;
        put_json_text(m, sizeof m, &mu, method);
        put_json_text(p, sizeof p, &pu, shown);
        snprintf(
            fields, sizeof fields,
            ",\"method\":\"%s\",\"path\":\"%s\",\"status\":%u,\"duration_us\":%.0f%s", m,
            p, status, us, aborted ? ",\"aborted\":true" : "");
        write_line_v(FO_LOG_INFO, "request", fields, "%s %s %u", method, shown, status);
    } else {
        write_line_v(FO_LOG_INFO, "request", NULL, "%s %s %u %.0fus%s", method, shown,
                     status, us, aborted ? " (aborted)" : "");
    }
}

void fo_log_write(enum fo_log_level level, const char *func, const char *fmt, ...) {
    if (!fo_log_enabled(level))
        return;
    va_list ap;
    va_start(ap, fmt);
    write_line(level, func, NULL, fmt, ap);
    va_end(ap);
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
