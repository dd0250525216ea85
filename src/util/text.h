/*
 * text.h - a growable text buffer for building response bodies (CSV,
 * Prometheus text). Appends after an allocation failure are dropped and
 * remembered in `failed`, so a caller checks once at the end.
 */
#ifndef FLOWOPT_UTIL_TEXT_H
#define FLOWOPT_UTIL_TEXT_H

#include <stddef.h>

struct fo_text {
    char *p; /* NUL-terminated once anything was appended; owned */
    size_t len, cap;
    int failed;
};

void fo_text_printf(struct fo_text *t, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

#endif
