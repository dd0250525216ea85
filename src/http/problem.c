/* problem.c - RFC 7807 problem+json replies and the fo_status -> HTTP table. */
#include "http/reply.h"
#include "util/log.h"
#include "util/text.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

unsigned fo_http_status_for(enum fo_status code) {
    switch (code) {
    case FO_OK: return 200;
    case FO_EINVAL: return 400;
    case FO_ERANGE: return 422;
    case FO_ENOTFOUND: return 404;
    case FO_ECONFLICT: return 409;
    case FO_ESTATE: return 409;
    case FO_ETOOBIG: return 413;
    case FO_ECORRUPT: return 422;
    case FO_EBUSY: return 503;
    case FO_ENOMEM: return 503;
    case FO_ENUMERIC: return 500;
    /* the storage's trouble is the operator's to fix and the client's to
     * retry: unavailable, or out of space, never a bug of ours */
    case FO_EIO: return 503;
    case FO_ENOSPACE: return 507;
    case FO_ESCHEMA: return 500;
    case FO_EDAMAGED: return 500; /* ours, not the client's: no retry mends it */
    }
    return 500;
}

/* A stable, machine-readable slug per HTTP status for the "type" URI. */
static const char *slug_for(unsigned status) {
    switch (status) {
    case 400: return "bad-request";
    case 401: return "unauthorized";
    case 403: return "forbidden";
    case 404: return "not-found";
    case 405: return "method-not-allowed";
    case 409: return "conflict";
    case 411: return "length-required";
    case 413: return "payload-too-large";
    case 415: return "unsupported-media-type";
    case 421: return "misdirected-request";
    case 422: return "unprocessable";
    case 503: return "unavailable";
    case 507: return "insufficient-storage";
    default: return status >= 500 ? "internal" : "client-error";
    }
}

static void set_fallback(struct fo_http_reply *rep) {
    static const char body[] = "{\"type\":\"urn:flowopt:problem:internal\","
                               "\"title\":\"out of memory\",\"status\":500}";
    rep->status = 500;
    rep->body = malloc(sizeof body - 1);
    rep->body_len = rep->body ? sizeof body - 1 : 0;
    if (rep->body)
        memcpy(rep->body, body, sizeof body - 1);
    rep->content_type = "application/problem+json";
}

static void reply_json(struct fo_http_reply *rep, unsigned status, json_t *obj,
                       int shorten) {
    char *text = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
    json_decref(obj);
    free(rep->body);
    rep->body = NULL;
    if (!text) {
        set_fallback(rep);
        return;
    }
    rep->status = status;
    rep->body = text;
    /* Jansson prints every real with 17 digits; the shortest exact form is
     * what a person reading the answer (or a value they told) expects. */
    rep->body_len = shorten ? fo_json_shorten_reals(text) : strlen(text);
    rep->content_type = "application/json";
}

void fo_reply_json(struct fo_http_reply *rep, unsigned status, json_t *obj) {
    reply_json(rep, status, obj, 1);
}

void fo_reply_json_raw(struct fo_http_reply *rep, unsigned status, json_t *obj) {
    reply_json(rep, status, obj, 0);
}

void fo_reply_problem(struct fo_http_reply *rep, unsigned status, const char *title,
                      const char *field, const char *fmt, ...) {
    char detail[512];
    char type[96];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    snprintf(type, sizeof type, "urn:flowopt:problem:%s", slug_for(status));
    json_t *o = json_object();
    json_object_set_new(o, "type", json_string(type));
    json_object_set_new(o, "title", json_string(title));
    json_object_set_new(o, "status", json_integer(status));
    /* json_string rejects invalid UTF-8; a detail quoting client bytes
     * must not lose the whole problem, so fall back to the title. */
    json_t *d = json_string(detail);
    json_object_set_new(o, "detail", d ? d : json_string(title));
    if (field && field[0]) {
        json_t *f = json_string(field);
        if (f)
            json_object_set_new(o, "field", f);
    }
    fo_reply_json(rep, status, o);
    if (rep->status == status)
        rep->content_type = "application/problem+json";
}

void fo_reply_error(struct fo_http_reply *rep, const struct fo_error *err) {
    unsigned status = fo_http_status_for(err->code);
    if (err->code == FO_EDAMAGED)
        fo_log_error("%s: %s", fo_strerror(err->code), err->msg);
    else if (err->code == FO_EIO || err->code == FO_ENOSPACE)
        fo_log_warn("%s: %s", fo_strerror(err->code), err->msg);
    fo_reply_problem(rep, status, fo_strerror(err->code), err->field, "%s",
                     err->msg[0] ? err->msg : fo_strerror(err->code));
}
