/*
 * server.c - libmicrohttpd glue: per-request state, body caps, dispatch,
 * request logging and a draining shutdown. See server.h.
 *
 * Request life cycle (MHD calls the access handler several times):
 *   1st call   allocate state in *con_cls, match the route, check the
 *              declared Content-Length against the route's cap;
 *   body calls append up to the cap; past it, keep reading and discard so
 *              the client gets a clean 413 instead of a reset;
 *   last call  (upload size 0) build the reply and queue it.
 * State is freed only in the completion callback, which also logs.
 */
#include "http/server.h"
#include "http/auth.h"
#include "http/conns.h"
#include "http/etag.h"
#include "http/admit.h"
#include "http/listen.h"
#include "http/metrics.h"
#include "http/router.h"
#include "util/log.h"

#include <microhttpd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_THREADS 8
#define CONNECTION_TIMEOUT_S 60
#define OVERLOAD_HEADROOM 64 /* connections past the limit, answered 503 */
#define LARGE_BODY (1 << 20) /* bytes: a body this large is trimmed after */

struct fo_http_server {
    struct MHD_Daemon *mhd;
    struct fo_service *svc;
    int listen_fd;
    atomic_int in_flight;
    atomic_int draining; /* answers then close their connection */
    struct fo_conns *conns;
    unsigned max_connections;
    struct fo_auth auth;
    char tokens_file[4096]; /* "" when auth is off */
    char allowed_hosts[1024], cors_origins[1024];
    char *tls_cert, *tls_key; /* PEM text while TLS is on (the library reads it) */
    struct fo_gate gate;      /* over the two above */
};

struct request_state {
    struct timespec start;
    enum fo_route_result match;
    const struct fo_route *route;
    struct fo_http_request req;
    char allow[64];
    char *body;
    size_t body_len, body_cap;
    int too_big;
    int unauthorized;        /* tokens are configured and none was given */
    int overloaded;          /* the daemon holds more connections than it serves */
    struct fo_admission adm; /* the gate's verdict, the request id */
    unsigned status;
};

const char *fo_http_header(const struct fo_http_request *req, const char *name) {
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *fo_http_query(const struct fo_http_request *req, const char *key) {
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, key);
}

static double elapsed_us(const struct timespec *since) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - since->tv_sec) * 1e6 +
           (double)(now.tv_nsec - since->tv_nsec) / 1e3;
}

/*
 * Room for cap bytes of body, in one allocation: growing a 60 MB body a
 * chunk at a time churned the allocator (and, under a sanitizer, held every
 * old copy). A body without Content-Length doubles instead.
 */
static int reserve_body(struct request_state *rs, size_t cap) {
    if (cap <= rs->body_cap)
        return 0;
    char *grown = realloc(rs->body, cap);
    if (!grown)
        return -1;
    rs->body = grown;
    rs->body_cap = cap;
    return 0;
}

static struct request_state *state_begin(struct fo_http_server *srv,
                                         struct MHD_Connection *conn, const char *method,
                                         const char *url, const char *version) {
    struct request_state *rs = calloc(1, sizeof *rs);
    if (!rs)
        return NULL;
    atomic_fetch_add(&srv->in_flight, 1);
    clock_gettime(CLOCK_MONOTONIC, &rs->start);
    rs->req.method = method;
    rs->req.path = url;
    rs->req.conn = conn;
    rs->req.svc = srv->svc;
    fo_conns_request_began(srv->conns, conn);
    rs->overloaded = fo_conns_open(srv->conns) > srv->max_connections;
    rs->match =
        fo_router_match(method, url, &rs->route, &rs->req, rs->allow, sizeof rs->allow);
    fo_admit(&srv->gate, conn, method, url, version, &rs->adm);
    /* Liveness stays open to probes, and the dashboard's page and files
     * (they hold no data: the page asks for a token); everything else
     * needs one. */
    int public =
        rs->match == FO_ROUTE_FOUND &&
        (strcmp(rs->route->pattern, "/v1/health") == 0 ||
         (rs->route >= fo__ui_routes && rs->route < fo__ui_routes + fo__n_ui_routes));
    enum fo_auth_scope scope = fo_auth_scope_of(
        &srv->auth, MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization"));
    rs->unauthorized = !public && scope == FO_AUTH_NONE;
    if (!public && scope == FO_AUTH_READ && strcmp(method, "GET") != 0 &&
        strcmp(method, "HEAD") != 0 && !rs->adm.preflight)
        fo_admit_refuse(&rs->adm, 403, "Authorization",
                        "this token may only read (GET); a %s needs a write token",
                        method);
    if (rs->match == FO_ROUTE_FOUND) {
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                     MHD_HTTP_HEADER_CONTENT_LENGTH);
        unsigned long long declared = cl ? strtoull(cl, NULL, 10) : 0;
        if (declared > rs->route->max_body)
            rs->too_big = 1;
        else if (declared && !rs->unauthorized && !rs->adm.refused)
            reserve_body(rs, (size_t)declared);
    }
    return rs;
}

/* Appends a body chunk, or marks the request too big (and drops the body). */
static void state_append(struct request_state *rs, const char *data, size_t size) {
    size_t limit = rs->match == FO_ROUTE_FOUND ? rs->route->max_body : 0;
    if (rs->unauthorized || rs->adm.refused)
        return; /* not even kept */
    if (rs->too_big || size > limit - rs->body_len || rs->match != FO_ROUTE_FOUND) {
        rs->too_big = rs->match == FO_ROUTE_FOUND;
        free(rs->body);
        rs->body = NULL;
        rs->body_len = rs->body_cap = 0;
        return;
    }
    size_t need = rs->body_len + size; /* <= limit, checked above */
    size_t cap = rs->body_cap > need / 2 ? 2 * rs->body_cap : need;
    cap = cap < 65536 ? 65536 : cap > limit ? limit : cap;
    if (need > rs->body_cap && reserve_body(rs, cap) != 0) {
        rs->too_big = 1;
        return;
    }
    memcpy(rs->body + rs->body_len, data, size);
    rs->body_len += size;
}

struct query_check {
    const char *allowed; /* space-separated keys, or NULL */
    char seen[8][32];
    size_t n_seen;
    char bad[96]; /* the first problem, "" when none */
};

static int allowed_key(const char *list, const char *key) {
    size_t len = strlen(key);
    for (const char *p = list; p && *p;) {
        const char *end = strchr(p, ' ');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n == len && strncmp(p, key, n) == 0)
            return 1;
        p = end ? end + 1 : p + n;
    }
    return 0;
}

static enum MHD_Result on_query_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                    const char *value) {
    (void)kind;
    (void)value;
    struct query_check *c = cls;
    if (c->bad[0])
        return MHD_NO;
    if (strstr(key, "%00") || (value && strstr(value, "%00"))) {
        snprintf(c->bad, sizeof c->bad, "%.60s nul", key);
        return MHD_NO;
    }
    if (!allowed_key(c->allowed, key)) {
        snprintf(c->bad, sizeof c->bad, "%.60s", key);
        return MHD_NO;
    }
    for (size_t i = 0; i < c->n_seen; i++)
        if (strcmp(c->seen[i], key) == 0) {
            snprintf(c->bad, sizeof c->bad, "%.60s twice", key);
            return MHD_NO;
        }
    if (c->n_seen < sizeof c->seen / sizeof c->seen[0])
        snprintf(c->seen[c->n_seen++], sizeof c->seen[0], "%s", key);
    return MHD_YES;
}

/* Unknown or repeated query arguments are refused like unknown body fields. */
static int query_ok(const struct request_state *rs, struct fo_http_reply *rep) {
    struct query_check c = {.allowed = rs->route->query};
    MHD_get_connection_values(rs->req.conn, MHD_GET_ARGUMENT_KIND, on_query_arg, &c);
    if (!c.bad[0])
        return 1;
    char field[64];
    snprintf(field, sizeof field, "%.*s", (int)strcspn(c.bad, " "), c.bad);
    if (strstr(c.bad, " nul"))
        fo_reply_problem(rep, 400, "bad request", field,
                         "query argument '%s' holds a NUL byte (%%00)", field);
    else if (strstr(c.bad, " twice"))
        fo_reply_problem(rep, 400, "bad request", field,
                         "query argument '%s' given twice", field);
    else
        fo_reply_problem(rep, 400, "bad request", field,
                         "unknown query argument '%s'; this route takes: %s", field,
                         rs->route->query ? rs->route->query : "none");
    return 0;
}

static void build_reply(struct request_state *rs, struct fo_http_reply *rep) {
    fo_admit_reply(&rs->adm, rs->req.conn, rep);
    if (rs->overloaded) {
        fo_reply_problem(rep, 503, "too many connections", NULL,
                         "the daemon holds more connections than its limit; retry later");
        rep->close = 1;
    } else if (fo_admit_answer(&rs->adm, rs->match, rs->req.path, rep)) {
        /* refused, or a preflight */
    } else if (rs->unauthorized) {
        fo_reply_problem(
            rep, 401, "unauthorized", "Authorization",
            "this daemon needs 'Authorization: Bearer TOKEN' with one of its "
            "API tokens");
        rep->challenge = 1;
    } else if (rs->match == FO_ROUTE_NO_PATH) {
        fo_reply_problem(rep, 404, "not found", NULL, "no resource at %s", rs->req.path);
    } else if (rs->match == FO_ROUTE_NO_METHOD) {
        fo_reply_problem(rep, 405, "method not allowed", NULL, "%s is not allowed on %s",
                         rs->req.method, rs->req.path);
        snprintf(rep->allow, sizeof rep->allow, "%s", rs->allow);
    } else if (!fo_admit_body_type(rs->req.conn, rs->route, rs->body_len || rs->too_big,
                                   rep)) {
        /* answered */
    } else if (rs->too_big) {
        fo_reply_problem(rep, 413, "payload too large", NULL,
                         "request body exceeds the %zu-byte limit of this route",
                         rs->route->max_body);
    } else if (query_ok(rs, rep)) {
        rs->req.body = rs->body;
        rs->req.body_len = rs->body_len;
        rs->route->handler(&rs->req, rep);
    }
}

/*
 * A 200 GET answer carries its body's tag; a request already holding that
 * tag (a polling page) gets 304 and no body. no-cache makes browsers ask
 * every time, so nothing stale is ever shown.
 */
static void tag_reply(const struct request_state *rs, struct fo_http_reply *rep) {
    if (rep->status != 200 || !rep->body_len ||
        (strcmp(rs->req.method, "GET") != 0 && strcmp(rs->req.method, "HEAD") != 0))
        return;
    fo_etag_of(rep->body, rep->body_len, rep->etag);
    const char *inm = MHD_lookup_connection_value(rs->req.conn, MHD_HEADER_KIND,
                                                  MHD_HTTP_HEADER_IF_NONE_MATCH);
    if (fo_etag_matches(inm, rep->etag)) {
        rep->status = 304;
        free(rep->body);
        rep->body = NULL;
        rep->body_len = 0;
        rep->content_type = NULL;
    }
}

static enum MHD_Result queue_reply(struct MHD_Connection *conn,
                                   struct fo_http_reply *rep) {
    struct MHD_Response *resp;
    if (rep->body_len) {
        resp = MHD_create_response_from_buffer_with_free_callback(rep->body_len,
                                                                  rep->body, free);
        if (resp)
            rep->body = NULL; /* now owned by the response */
    } else {
        resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    }
    free(rep->body);
    if (!resp)
        return MHD_NO;
    if (rep->content_type)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, rep->content_type);
    if (rep->allow[0])
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, rep->allow);
    if (rep->challenge)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                                "Bearer realm=\"flowopt\"");
    if (rep->location[0])
        MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, rep->location);
    if (rep->close)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
    fo_admit_headers(rep, resp);
    if (rep->etag[0]) {
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, rep->etag);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    }
    enum MHD_Result ret = MHD_queue_response(conn, rep->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls) {
    struct fo_http_server *srv = cls;
    struct request_state *rs = *con_cls;
    if (!rs) {
        rs = state_begin(srv, conn, method, url, version);
        if (!rs)
            return MHD_NO;
        *con_cls = rs;
        return MHD_YES;
    }
    if (*upload_data_size) {
        state_append(rs, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    struct fo_http_reply rep = {.status = 500};
    fo_log_set_request(rs->adm.request_id);
    build_reply(rs, &rep);
    tag_reply(rs, &rep);
    rs->status = rep.status;
    rep.close |= atomic_load(&srv->draining); /* no next request on it */
    enum MHD_Result queued = queue_reply(conn, &rep);
    fo_log_set_request(NULL);
    return queued;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
    (void)conn;
    struct fo_http_server *srv = cls;
    struct request_state *rs = *con_cls;
    if (!rs)
        return;
    fo_conns_request_ended(srv->conns, conn);
    fo_metrics_record(rs->req.method,
                      rs->match == FO_ROUTE_FOUND ? rs->route->pattern : NULL, rs->status,
                      elapsed_us(&rs->start));
    fo_log_set_request(rs->adm.request_id);
    fo_log_request(rs->req.method, rs->req.path, rs->status, elapsed_us(&rs->start),
                   toe != MHD_REQUEST_TERMINATED_COMPLETED_OK);
    fo_log_set_request(NULL);
    free(rs->body);
#ifdef __GLIBC__
    /* a large body's pages go back to the system now, not after the next
     * parking (a burst of imports otherwise stays resident) */
    if (rs->body_cap >= LARGE_BODY)
        malloc_trim(0);
#endif
    free(rs);
    *con_cls = NULL;
    atomic_fetch_sub(&srv->in_flight, 1);
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code) {
    struct fo_http_server *srv = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED)
        fo_conns_opened(srv->conns, conn, socket_context);
    else
        fo_conns_closed(srv->conns, socket_context);
}

static size_t on_unescape(void *cls, struct MHD_Connection *conn, char *s) {
    (void)cls;
    (void)conn;
    return fo_gate_unescape(s);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 0)))
#endif
    ;
static void on_mhd_log(void *cls, const char *fmt, va_list ap) {
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    /* what a client's socket did (closed early, timed out, refused at the
     * limit) is for debugging: a flood of them must not flood the log */
    int about_a_client = strstr(msg, "onnection") != NULL;
    fo_log_write(about_a_client ? FO_LOG_DEBUG : FO_LOG_WARN, "libmicrohttpd", "%s", msg);
}

/* A PEM file's text (NUL-terminated, malloc'd; at most 1 MB). */
static enum fo_status read_pem(const char *path, const char *flag, char **out,
                               struct fo_error *err) {
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return fo_error_set(err, FO_EIO, flag, "cannot read %s", path);
    char *text = malloc(1 << 20);
    size_t n = text ? fread(text, 1, (1 << 20) - 1, f) : 0;
    int bad = ferror(f) || !text || n == 0 || !feof(f);
    fclose(f);
    if (!bad)
        text[n] = '\0';
    if (bad || !strstr(text, "-----BEGIN ")) {
        free(text);
        return fo_error_set(err, FO_EINVAL, flag, "%s is not a PEM file of at most 1 MB",
                            path);
    }
    *out = text;
    return FO_OK;
}

static void free_server(struct fo_http_server *srv) {
    fo_auth_free(&srv->auth);
    free(srv->tls_cert);
    free(srv->tls_key);
    free(srv);
}

enum fo_status fo_http_start(const struct fo_http_config *cfg, struct fo_service *svc,
                             struct fo_http_server **out, char *bound, size_t cap,
                             struct fo_error *err) {
    *out = NULL;
    struct fo_http_server *srv = calloc(1, sizeof *srv);
    if (!srv)
        return fo_error_set(err, FO_ENOMEM, NULL, "out of memory starting HTTP");
    srv->svc = svc;
    snprintf(srv->allowed_hosts, sizeof srv->allowed_hosts, "%s",
             cfg->allowed_hosts ? cfg->allowed_hosts : "");
    snprintf(srv->cors_origins, sizeof srv->cors_origins, "%s",
             cfg->cors_origins ? cfg->cors_origins : "");
    srv->gate = (struct fo_gate){srv->allowed_hosts, srv->cors_origins};
    fo_auth_init(&srv->auth);
    enum fo_status st = FO_OK;
    if (cfg->tokens_file && cfg->tokens_file[0]) {
        size_t n = 0;
        snprintf(srv->tokens_file, sizeof srv->tokens_file, "%s", cfg->tokens_file);
        st = fo_auth_load(&srv->auth, srv->tokens_file, &n, err);
    }
    const int tls =
        (cfg->tls_cert && cfg->tls_cert[0]) || (cfg->tls_key && cfg->tls_key[0]);
    if (st == FO_OK && tls &&
        !(cfg->tls_cert && cfg->tls_cert[0] && cfg->tls_key && cfg->tls_key[0]))
        st = fo_error_set(err, FO_EINVAL,
                          cfg->tls_key && cfg->tls_key[0] ? "tls-cert" : "tls-key",
                          "TLS needs both --tls-cert and --tls-key");
    if (st == FO_OK && tls && MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
        st = fo_error_set(err, FO_EINVAL, "tls-cert",
                          "this libmicrohttpd was built without TLS");
    if (st == FO_OK && tls)
        st = read_pem(cfg->tls_cert, "tls-cert", &srv->tls_cert, err);
    if (st == FO_OK && tls)
        st = read_pem(cfg->tls_key, "tls-key", &srv->tls_key, err);
    int is_v6 = 0;
    if (st == FO_OK)
        st = fo_listen_open(cfg->listen, &srv->listen_fd, &is_v6, bound, cap, err);
    if (st != FO_OK) {
        free_server(srv);
        return st;
    }
    /* epoll (or poll): select() stops at descriptor 1024 */
    unsigned poller = MHD_is_feature_supported(MHD_FEATURE_EPOLL) == MHD_YES
                          ? MHD_USE_EPOLL
                          : MHD_USE_POLL;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | poller | MHD_USE_ITC |
                     MHD_USE_ERROR_LOG | (is_v6 ? MHD_USE_IPv6 : 0) |
                     (tls ? MHD_USE_TLS : 0);
    /* GnuTLS through the library: the key and certificate as text */
    struct MHD_OptionItem tls_options[] = {
        {tls ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, 0, srv->tls_key},
        {MHD_OPTION_HTTPS_MEM_CERT, 0, srv->tls_cert},
        {MHD_OPTION_END, 0, NULL}};
    unsigned threads = cfg->threads ? cfg->threads : DEFAULT_THREADS;
    srv->max_connections = cfg->max_connections ? cfg->max_connections : 1000;
    unsigned per_ip = cfg->max_per_ip ? cfg->max_per_ip : 128;
    if (fo_conns_start(cfg->header_timeout_s ? cfg->header_timeout_s : 15, &srv->conns,
                       err) != FO_OK) {
        close(srv->listen_fd);
        free_server(srv);
        return FO_ENOMEM;
    }
    /* the library refuses at accept beyond the limit and a headroom in
     * which the extra requests are answered 503 */
    srv->mhd = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, srv, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log,
        NULL, MHD_OPTION_LISTEN_SOCKET, srv->listen_fd, MHD_OPTION_THREAD_POOL_SIZE,
        threads, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONNECTION_TIMEOUT_S,
        MHD_OPTION_CONNECTION_LIMIT, srv->max_connections + OVERLOAD_HEADROOM,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_ip, MHD_OPTION_UNESCAPE_CALLBACK,
        on_unescape, NULL, MHD_OPTION_NOTIFY_CONNECTION, on_connection, srv,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv, MHD_OPTION_ARRAY, tls_options,
        MHD_OPTION_END);
    if (!srv->mhd) {
        fo_conns_stop(srv->conns);
        close(srv->listen_fd);
        free_server(srv);
        return fo_error_set(err, tls ? FO_EINVAL : FO_EIO, tls ? "tls-cert" : "listen",
                            tls ? "libmicrohttpd refused the TLS key or certificate on %s"
                                : "libmicrohttpd failed to start on %s",
                            bound);
    }
    *out = srv;
    return FO_OK;
}

void fo_http_drain(struct fo_http_server *srv) {
    if (!srv || atomic_exchange(&srv->draining, 1))
        return;
    /* closed, not only unwatched: a new client is refused at once instead
     * of waiting in the backlog until the end */
    MHD_quiesce_daemon(srv->mhd);
    close(srv->listen_fd);
    srv->listen_fd = -1;
}

unsigned fo_http_in_flight(struct fo_http_server *srv) {
    int n = atomic_load(&srv->in_flight);
    return n > 0 ? (unsigned)n : 0;
}

void fo_http_stop(struct fo_http_server *srv, unsigned drain_ms) {
    if (!srv)
        return;
    fo_http_drain(srv);
    struct timespec start, pause = {0, 5 * 1000 * 1000};
    clock_gettime(CLOCK_MONOTONIC, &start);
    while (atomic_load(&srv->in_flight) > 0 && elapsed_us(&start) < drain_ms * 1e3)
        nanosleep(&pause, NULL);
    MHD_stop_daemon(srv->mhd);
    fo_conns_stop(srv->conns);
    free_server(srv);
}

enum fo_status fo_http_reload_tokens(struct fo_http_server *srv, size_t *count,
                                     struct fo_error *err) {
    *count = 0;
    if (!srv->tokens_file[0])
        return fo_error_set(err, FO_ESTATE, "tokens-file", "no tokens file configured");
    return fo_auth_load(&srv->auth, srv->tokens_file, count, err);
}
