/*
 * admit.h - a request's admission, decided from its line and headers before
 * any route runs: the gate's rules (gate.h) applied to the connection, the
 * request id it is logged under, and the answers admission gives itself
 * (a refusal, a CORS preflight, a body of the wrong media type) with the
 * headers they carry.
 */
#ifndef FLOWOPT_HTTP_ADMIT_H
#define FLOWOPT_HTTP_ADMIT_H

#include <stddef.h>
#include "http/gate.h"
#include "http/reply.h"
#include "http/router.h"

struct MHD_Response;

struct fo_admission {
    unsigned refused; /* 400, 403 or 421, 0 when let in */
    const char *field;
    char detail[240];
    enum fo_origin origin;
    int preflight;       /* OPTIONS with Origin and Access-Control-Request-Method */
    char request_id[65]; /* the client's X-Request-Id when well formed, else ours */
};

/* Admit the request on conn (method, path as unescaped, version). OUT: *a. */
void fo_admit(const struct fo_gate *g, struct MHD_Connection *conn, const char *method,
              const char *path, const char *version, struct fo_admission *a);

/* Refuse it after all (the first reason stands); value, when not NULL, is
 * escaped and takes the place of "%s" in detail (nothing else in it is a
 * format). */
void fo_admit_refuse(struct fo_admission *a, unsigned status, const char *field,
                     const char *detail, const char *value);

/* The answer of a refused request or a preflight, when it is one (1), else 0.
 * match: the route's; path for the 404. */
int fo_admit_answer(const struct fo_admission *a, enum fo_route_result match,
                    const char *path, struct fo_http_reply *rep);

/* Does the body (when there is one) have the route's media type? Else the
 * reply is a 415 naming Content-Type, and 0. */
int fo_admit_body_type(struct MHD_Connection *conn, const struct fo_route *route,
                       int has_body, struct fo_http_reply *rep);

/* What admission adds to every reply (Access-Control-*, X-Request-Id); and
 * their headers on the response. */
void fo_admit_reply(const struct fo_admission *a, struct MHD_Connection *conn,
                    struct fo_http_reply *rep);
void fo_admit_headers(const struct fo_http_reply *rep, struct MHD_Response *resp);

#endif
