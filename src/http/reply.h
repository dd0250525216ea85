/*
 * reply.h - what a route handler receives and what it fills in.
 *
 * Handlers never touch libmicrohttpd: they read a struct fo_http_request and
 * fill a struct fo_http_reply; server.c turns the reply into a response.
 * Every error reply goes through problem.c, the only place that maps
 * fo_status to an HTTP status.
 */
#ifndef FLOWOPT_HTTP_REPLY_H
#define FLOWOPT_HTTP_REPLY_H

#include <stddef.h>
#include <jansson.h>
#include <flowopt/status.h>

#define FO_HTTP_MAX_PARAMS 4
#define FO_HTTP_PARAM_LEN 128

struct fo_service;
struct MHD_Connection;

struct fo_http_request {
    const char *method;
    const char *path;
    char params[FO_HTTP_MAX_PARAMS][FO_HTTP_PARAM_LEN]; /* {placeholders} in order */
    size_t n_params;
    const char *body; /* NULL when empty; not NUL-terminated */
    size_t body_len;
    struct MHD_Connection *conn; /* for query arguments and headers only */
    struct fo_service *svc;
};

struct fo_http_reply {
    unsigned status;
    char *body; /* malloc'd, owned by the reply */
    size_t body_len;
    const char *content_type; /* static string */
    char allow[64];           /* for 405, else "" */
    int challenge;            /* 401: send WWW-Authenticate */
    char location[256];       /* for 201, else "" */
    char etag[20];            /* for 200 and 304 on GET, else "" */
    int close;                /* close the connection after this answer */
    char cors_origin[256];    /* a configured origin to name in CORS headers, else "" */
    int preflight;            /* a CORS preflight's answer: also the allowed methods */
    const char *request_id; /* sent back as X-Request-Id (the request's state owns it) */
};

/* Value of request header name, or NULL (borrowed from the request). */
const char *fo_http_header(const struct fo_http_request *req, const char *name);

/* Value of query argument key, or NULL (borrowed from the request). */
const char *fo_http_query(const struct fo_http_request *req, const char *key);

/* Serialise obj (stolen, even on failure) as the reply body with status. */
void fo_reply_json(struct fo_http_reply *rep, unsigned status, json_t *obj);
/* The same without rewriting reals in their shortest form: for the ask
 * route, whose random coordinates almost never shorten and which is on
 * every round trip (fo_reply_json reals: "0.3", not "0.29999999999999999"). */
void fo_reply_json_raw(struct fo_http_reply *rep, unsigned status, json_t *obj);

/*
 * An RFC 7807 problem: type derived from status, the given title and
 * detail, and a "field" member when field is non-empty.
 */
void fo_reply_problem(struct fo_http_reply *rep, unsigned status, const char *title,
                      const char *field, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

/* The problem for a failed service call: HTTP status chosen from err->code. */
void fo_reply_error(struct fo_http_reply *rep, const struct fo_error *err);

/* The HTTP status that stands for a status code (the one mapping table). */
unsigned fo_http_status_for(enum fo_status code);

#endif
