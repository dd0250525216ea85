/* status.c - error codes to text, and the caller-owned error record. */
#include <flowopt/status.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *fo_strerror(enum fo_status code) {
    switch (code) {
    case FO_OK: return "ok";
    case FO_EINVAL: return "invalid argument";
    case FO_ERANGE: return "value out of range";
    case FO_ENOMEM: return "out of memory";
    case FO_ENOTFOUND: return "not found";
    case FO_ECONFLICT: return "conflict";
    case FO_EBUSY: return "busy";
    case FO_ENUMERIC: return "numerical failure";
    case FO_EIO: return "I/O error";
    case FO_ECORRUPT: return "corrupt data";
    case FO_ESCHEMA: return "schema newer than this binary";
    case FO_ESTATE: return "not allowed in current state";
    case FO_ETOOBIG: return "too large";
    case FO_ENOSPACE: return "storage full";
    case FO_EDAMAGED: return "stored data damaged";
    }
    return "unknown error";
}

enum fo_status fo_error_set(struct fo_error *err, enum fo_status code, const char *field,
                            const char *fmt, ...) {
    if (!err)
        return code;
    err->code = code;
    snprintf(err->field, sizeof err->field, "%s", field ? field : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return code;
}

void fo_error_clear(struct fo_error *err) {
    if (!err)
        return;
    err->code = FO_OK;
    err->field[0] = '\0';
    err->msg[0] = '\0';
}
