/* admit.c - see admit.h. */
#include "http/admit.h"
#include "util/log.h"

#include <ctype.h>
#include <microhttpd.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

/* The methods a cross-origin page may use and the headers it may send. */
#define CORS_METHODS "GET, HEAD, POST, PATCH, PUT, DELETE"
#define CORS_HEADERS "Authorization, Content-Type, Idempotency-Key, If-None-Match"

/* A proxy's id is kept (one id across the hops); anything else is replaced. */
static int good_request_id(const char *id) {
    size_t n = id ? strlen(id) : 0;
    if (n < 1 || n > 64)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)id[i]) && !strchr("._:-", id[i]))
            return 0;
    return 1;
}

static void new_request_id(char out[65]) {
    static atomic_ullong counter, salt;
    if (!atomic_load(&salt)) /* a start that differs per daemon run */
        atomic_store(&salt, ((unsigned long long)time(NULL) << 20) ^
                                (unsigned long long)getpid() ^ 1);
    unsigned long long x = atomic_fetch_add(&counter, 1) + atomic_load(&salt);
    x ^= x >> 33; /* splitmix64's finaliser: ids that do not look sequential */
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    snprintf(out, 65, "%016llx", x);
}

void fo_admit_refuse(struct fo_admission *a, unsigned status, const char *field,
                     const char *detail, const char *value) {
    if (a->refused)
        return; /* the first reason stands */
    char shown[80] = "";
    if (value)
        fo_log_escape(shown, sizeof shown, value);
    a->refused = status;
    a->field = field;
    /* the value spliced in at "%s", the rest copied as it is */
    const char *at = strstr(detail, "%s");
    size_t head = at ? (size_t)(at - detail) : strlen(detail);
    snprintf(a->detail, sizeof a->detail, "%.*s%s%s", (int)head, detail, at ? shown : "",
             at ? at + 2 : "");
}

/* The framing headers, in one pass: how many Content-Length (and whether
 * they differ), and whether Transfer-Encoding is there too. */
struct framing {
    const char *length;
    unsigned lengths;
    int differ, chunked;
};

static enum MHD_Result on_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                 const char *value) {
    (void)kind;
    struct framing *f = cls;
    if (!key)
        return MHD_YES;
    if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0) {
        if (f->lengths++ == 0)
            f->length = value ? value : "";
        else if (strcmp(value ? value : "", f->length) != 0)
            f->differ = 1;
    } else if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0) {
        f->chunked = 1;
    }
    return MHD_YES;
}

/*
 * A path that routing could misread, a request without its Host or with
 * two lengths (a proxy and we could frame it differently), a Host this
 * daemon is not, a page from another origin.
 */
void fo_admit(const struct fo_gate *g, struct MHD_Connection *conn, const char *method,
              const char *path, const char *version, struct fo_admission *a) {
    memset(a, 0, sizeof *a);
    const char *given =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Request-Id");
    if (good_request_id(given))
        snprintf(a->request_id, sizeof a->request_id, "%s", given);
    else
        new_request_id(a->request_id);
    const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Host");
    const char *origin = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin");
    if (!fo_gate_path_ok(path))
        fo_admit_refuse(a, 400, "path",
                        "the path holds a NUL byte (%00), a control byte or an empty, "
                        "'.' or '..' segment",
                        NULL);
    if (!host && version && strcmp(version, MHD_HTTP_VERSION_1_0) != 0)
        fo_admit_refuse(a, 400, "Host", "an HTTP/1.1 request needs a Host header", NULL);
    struct framing f = {0};
    MHD_get_connection_values(conn, MHD_HEADER_KIND, on_header, &f);
    if (f.differ)
        fo_admit_refuse(a, 400, "Content-Length", "two different Content-Length headers",
                        NULL);
    if (f.lengths && f.chunked)
        fo_admit_refuse(a, 400, "Content-Length",
                        "both Content-Length and Transfer-Encoding: the body's end is "
                        "ambiguous",
                        NULL);
    if (host && !fo_gate_host_ok(g, host))
        fo_admit_refuse(a, 421, "Host",
                        "this daemon does not serve the host '%s'; --allowed-hosts names "
                        "the names it answers to besides IP addresses and localhost",
                        host);
    a->origin = fo_gate_origin(g, origin, host);
    if (a->origin == FO_ORIGIN_DENIED)
        fo_admit_refuse(
            a, 403, "Origin",
            "requests from pages at '%s' are not served; --cors-origins names "
            "the other origins allowed",
            origin);
    a->preflight = strcmp(method, "OPTIONS") == 0 && origin &&
                   MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                               "Access-Control-Request-Method") != NULL;
}

int fo_admit_answer(const struct fo_admission *a, enum fo_route_result match,
                    const char *path, struct fo_http_reply *rep) {
    if (a->refused) {
        fo_reply_problem(rep, a->refused,
                         a->refused == 400   ? "bad request"
                         : a->refused == 403 ? "forbidden"
                                             : "misdirected request",
                         a->field, "%s", a->detail);
    } else if (!a->preflight) {
        return 0;
    } else if (a->origin != FO_ORIGIN_ALLOWED && a->origin != FO_ORIGIN_SAME) {
        /* a preflight: yes for a configured origin and a path that exists */
        fo_reply_problem(rep, 403, "forbidden", "Origin",
                         "no CORS preflight is answered for this origin; --cors-origins "
                         "names the origins allowed");
    } else if (match == FO_ROUTE_NO_PATH) {
        fo_reply_problem(rep, 404, "not found", NULL, "no resource at %s", path);
    } else {
        rep->status = 204;
        rep->preflight = 1;
    }
    return 1;
}

/* A cross-site form can send text/plain without asking; application/json
 * needs a preflight. */
int fo_admit_body_type(struct MHD_Connection *conn, const struct fo_route *route,
                       int has_body, struct fo_http_reply *rep) {
    if (!has_body)
        return 1;
    const char *want = route->body_type ? route->body_type : "application/json";
    const char *got =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (fo_gate_type_is(got, want))
        return 1;
    char shown[80];
    fo_log_escape(shown, sizeof shown, got ? got : "none");
    fo_reply_problem(rep, 415, "unsupported media type", "Content-Type",
                     "this route takes a body of type %s; got '%s'", want, shown);
    return 0;
}

void fo_admit_reply(const struct fo_admission *a, struct MHD_Connection *conn,
                    struct fo_http_reply *rep) {
    rep->request_id = a->request_id;
    if (a->origin == FO_ORIGIN_ALLOWED)
        snprintf(rep->cors_origin, sizeof rep->cors_origin, "%s",
                 MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin"));
}

void fo_admit_headers(const struct fo_http_reply *rep, struct MHD_Response *resp) {
    if (rep->request_id && rep->request_id[0])
        MHD_add_response_header(resp, "X-Request-Id", rep->request_id);
    if (rep->cors_origin[0]) {
        MHD_add_response_header(resp, "Access-Control-Allow-Origin", rep->cors_origin);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY, "Origin");
        MHD_add_response_header(resp, "Access-Control-Expose-Headers", "ETag, Location");
    }
    if (rep->preflight) {
        MHD_add_response_header(resp, "Access-Control-Allow-Methods", CORS_METHODS);
        MHD_add_response_header(resp, "Access-Control-Allow-Headers", CORS_HEADERS);
        MHD_add_response_header(resp, "Access-Control-Max-Age", "600");
    }
}
