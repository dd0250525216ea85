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

/* Room for any double from fo_format_double, NUL included. */
#define FO_DOUBLE_CHARS 32

/*
 * v in the fewest significant digits (15, 16 or 17) that read back as the
 * same double: 9.5057, not 9.5056999999999992. OUT: buf. Returns buf.
 */
char *fo_format_double(char buf[FO_DOUBLE_CHARS], double v);

/*
 * Rewrite, in place, every real number of the JSON text s (outside strings)
 * in its shortest exact form, keeping it a real ("0.3", not
 * "0.29999999999999999"; "2.0" stays "2.0"). Never lengthens s.
 * Returns the new length.
 */
size_t fo_json_shorten_reals(char *s);

#endif
