/*
 * log.h - leveled logging to stderr for the daemon and client.
 *
 * One call writes one whole line with a single write, so lines from
 * concurrent threads never interleave. Untrusted text (paths, header
 * values) goes through fo_log_escape first so it cannot forge lines.
 * Library code (core, nn, flow, opt) never logs.
 */
#ifndef FLOWOPT_UTIL_LOG_H
#define FLOWOPT_UTIL_LOG_H

#include <stddef.h>

enum fo_log_level { FO_LOG_ERROR = 0, FO_LOG_WARN, FO_LOG_INFO, FO_LOG_DEBUG };

/* Parse "error", "warn", "info" or "debug"; returns 0 on success, -1 if unknown. */
int fo_log_parse_level(const char *name, enum fo_log_level *out);
void fo_log_set_level(enum fo_log_level level);
int fo_log_enabled(enum fo_log_level level);

/* text: "TIME LEVEL WHERE: MESSAGE"; json: one object a line, {"time",
 * "level", "where", "msg"} and "request_id" while a request is handled. */
enum fo_log_format { FO_LOG_TEXT = 0, FO_LOG_JSON };
int fo_log_parse_format(const char *name, enum fo_log_format *out);
void fo_log_set_format(enum fo_log_format format);

/* The request this thread handles now (its id is in every line it logs
 * until cleared with NULL). The text is copied. */
void fo_log_set_request(const char *request_id);

/* A handled request's line: method, path (escaped here), status, duration;
 * in JSON as fields of their own. */
void fo_log_request(const char *method, const char *path, unsigned status, double us,
                    int aborted);

void fo_log_write(enum fo_log_level level, const char *func, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/*
 * Copy src into dst (capacity cap, always NUL-terminated), escaping control
 * characters, quotes and backslashes C-style and cutting with "..." when long.
 */
void fo_log_escape(char *dst, size_t cap, const char *src);

#define fo_log_error(...) fo_log_write(FO_LOG_ERROR, __func__, __VA_ARGS__)
#define fo_log_warn(...) fo_log_write(FO_LOG_WARN, __func__, __VA_ARGS__)
#define fo_log_info(...) fo_log_write(FO_LOG_INFO, __func__, __VA_ARGS__)
#define fo_log_debug(...) fo_log_write(FO_LOG_DEBUG, __func__, __VA_ARGS__)

#endif
