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

static int is_number_char(char c) {
    return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' ||
           c == 'E';
}

size_t fo_json_shorten_reals(char *s) {
    size_t r = 0, w = 0;
    int in_string = 0;
    while (s[r]) {
        char c = s[r];
        if (in_string) {
            s[w++] = s[r++];
            if (c == '\\' && s[r])
                s[w++] = s[r++];
            else if (c == '"')
                in_string = 0;
            continue;
        }
        if (c == '"') {
            in_string = 1;
            s[w++] = s[r++];
            continue;
        }
        if (!(c == '-' || (c >= '0' && c <= '9'))) {
            s[w++] = s[r++];
            continue;
        }
        size_t start = r;
        int real = 0;
        while (is_number_char(s[r])) {
            real |= s[r] == '.' || s[r] == 'e' || s[r] == 'E';
            r++;
        }
        char num[FO_DOUBLE_CHARS + 2];
        size_t len = r - start;
        if (real && len < 64) {
            char token[64];
            memcpy(token, s + start, len);
            token[len] = '\0';
            fo_format_double(num, strtod(token, NULL));
            if (!strpbrk(num, ".eEni"))
                strcat(num, ".0");
            if (strlen(num) <= len) {
                memcpy(s + w, num, strlen(num));
                w += strlen(num);
                continue;
            }
        }
        memmove(s + w, s + start, len);
        w += len;
    }
    s[w] = '\0';
    return w;
}
