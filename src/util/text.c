/* text.c - see text.h. */
#include "util/text.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int reserve(struct fo_text *t, size_t need) {
    if (need <= t->cap)
        return 0;
    size_t cap = t->cap ? t->cap : 4096;
    while (cap < need)
        cap *= 2;
    char *grown = realloc(t->p, cap);
    if (!grown)
        return -1;
    t->p = grown;
    t->cap = cap;
    return 0;
}

void fo_text_printf(struct fo_text *t, const char *fmt, ...) {
    if (t->failed)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || reserve(t, t->len + (size_t)n + 1) != 0) {
        t->failed = 1;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(t->p + t->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    t->len += (size_t)n;
}

char *fo_format_double(char buf[FO_DOUBLE_CHARS], double v) {
    for (int digits = 15; digits <= 17; digits++) {
        snprintf(buf, FO_DOUBLE_CHARS, "%.*g", digits, v);
        if (digits == 17 || strtod(buf, NULL) == v)
            break;
    }
    return buf;
}
