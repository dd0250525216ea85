/*
 * routes_asktell.c - the loop of a run over HTTP: ask, tell, step, best,
 * history, samples and the learned density.
 */
#include "http/jsonio.h"
#include "http/router.h"
#include "http/routes_common.h"
#include "service/names.h"
#include "service/asktell.h"
#include "service/observations.h"
#include "service/reads.h"
#include "service/runs.h"
#include "service/service.h"
#include "util/text.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The longest client_id, and the longest lease (seconds). */
#define MAX_CLIENT_ID 128
#define MAX_LEASE_S 1e9

/* An optional driver name: 1..MAX_CLIENT_ID printable characters. OUT:
 * *out (borrowed from obj, NULL when absent). */
static enum fo_status parse_client(json_t *obj, const char **out, struct fo_error *err) {
    json_t *v = json_object_get(obj, "client_id");
    *out = NULL;
    if (!v)
        return FO_OK;
    const char *s = json_string_value(v);
    size_t len = s ? strlen(s) : 0;
    int printable = s && len >= 1 && len <= MAX_CLIENT_ID;
    for (size_t i = 0; printable && i < len; i++)
        printable = (unsigned char)s[i] >= 0x20 && (unsigned char)s[i] != 0x7f;
    if (!printable)
        return fo_error_set(err, FO_EINVAL, "client_id",
                            "client_id must be a string of 1 to %d printable characters",
                            MAX_CLIENT_ID);
    *out = s;
    return FO_OK;
}

/* An optional lease in seconds, (0, MAX_LEASE_S]. OUT: *out (NaN: absent). */
static enum fo_status parse_lease(json_t *obj, double *out, struct fo_error *err) {
    json_t *v = json_object_get(obj, "lease_s");
    *out = NAN;
    if (!v)
        return FO_OK;
    double s = json_is_number(v) ? json_number_value(v) : NAN;
    if (!(s > 0.0 && s <= MAX_LEASE_S))
        return fo_error_set(err, json_is_number(v) ? FO_ERANGE : FO_EINVAL, "lease_s",
                            "lease_s must be a number of seconds in (0, %g]",
                            MAX_LEASE_S);
    *out = s;
    return FO_OK;
}

static void ask(const struct fo_http_request *req, struct fo_http_reply *rep) {
    struct fo_error err = {0};
    json_t *root = NULL;
    static const char *const keys[] = {"n", "client_id", "lease_s", "resume", NULL};
    long long n = 1;
    struct fo_ask_options o = {NULL, NULL, NAN, 0};
    enum fo_status st =
        fo_json_parse_request(req->body, req->body_len, keys, "the ask", &root, &err);
    if (st == FO_OK)
        st = fo_json_int(root, "n", "n", 1, FO_ENGINE_MAX_ASK, &n, &err);
    if (st == FO_OK)
        st = parse_client(root, &o.client_id, &err);
    if (st == FO_OK)
        st = parse_lease(root, &o.lease_s, &err);
    json_t *resume = root ? json_object_get(root, "resume") : NULL;
    if (st == FO_OK && resume && !json_is_boolean(resume))
        st = fo_error_set(&err, FO_EINVAL, "resume", "resume must be true or false");
    o.resume = resume && json_is_true(resume);
    char client[MAX_CLIENT_ID + 1] = "";
    if (o.client_id) { /* root goes before the service call */
        snprintf(client, sizeof client, "%s", o.client_id);
        o.client_id = client;
    }
    json_decref(root);
    struct fo_error dim_err = {0};
    size_t D = fo_service_run_dim(req->svc, req->params[0], &dim_err);
    if (st == FO_OK && D == 0)
        st = (err = dim_err).code;
    if (st == FO_OK && (size_t)n * D > fo_service_max_answer_values(req->svc))
        st = fo_error_set(&err, FO_ERANGE, "n",
                          "n x dim = %zu coordinates, more than this daemon's "
                          "--max-answer-values %zu: ask for fewer at a time",
                          (size_t)n * D, fo_service_max_answer_values(req->svc));
    const char *key = fo_http_header(req, "Idempotency-Key");
    if (st == FO_OK && key && (!*key || strlen(key) > 200))
        st = fo_error_set(&err, FO_EINVAL, "Idempotency-Key",
                          "keys are 1 to 200 characters");
    struct fo_sample *s = st == FO_OK ? malloc((size_t)n * sizeof *s) : NULL;
    double *x = st == FO_OK ? malloc((size_t)n * D * sizeof *x) : NULL;
    if (st == FO_OK && (!s || !x))
        st = fo_error_set(&err, FO_ENOMEM, "n", "out of memory");
    o.key = key;
    size_t resumed = 0;
    if (st == FO_OK)
        st = fo_service_ask_ex(req->svc, req->params[0], (size_t)n, &o, s, x, &resumed,
                               &err);
    if (st == FO_OK) {
        json_t *arr = json_array();
        for (size_t i = 0; i < (size_t)n; i++) {
            json_t *xs = json_array();
            for (size_t d = 0; d < D; d++)
                json_array_append_new(xs, fo_json_real(x[i * D + d]));
            json_array_append_new(
                arr,
                json_pack("{s:o, s:o, s:o, s:I, s:o}", "id", fo_json_id(s[i].id), "x", xs,
                          "log_prob", fo_json_real(s[i].log_prob), "generation",
                          (json_int_t)s[i].generation, "reissue_of",
                          s[i].reissue_of ? fo_json_id(s[i].reissue_of) : json_null()));
        }
        fo_reply_json_raw(
            rep, 200,
            json_pack("{s:o, s:I}", "samples", arr, "resumed", (json_int_t)resumed));
    } else {
        fo__reply_status(rep, st, &err);
    }
    free(s);
    free(x);
}

/* What a result may carry besides its value, at most. */
#define MAX_METADATA 4096 /* bytes of its compact JSON */
#define MAX_METRICS 64    /* named numbers */
#define MAX_METRIC_NAME 64
#define MAX_ERROR_TEXT 4096 /* bytes of a failed result's error */

/* metrics as compact JSON, each number in the fewest digits that read back
 * exactly (jansson prints 17); the caller frees it; NULL: out of memory. */
static char *metrics_text(json_t *mt) {
    struct fo_text t = {0};
    const char *name;
    json_t *v;
    char num[FO_DOUBLE_CHARS];
    fo_text_printf(&t, "{");
    int first = 1;
    json_object_foreach(mt, name, v) {
        json_t *key = json_string(name);
        char *k = key ? json_dumps(key, JSON_ENCODE_ANY) : NULL;
        fo_text_printf(&t, "%s%s:%s", first ? "" : ",", k ? k : "\"\"",
                       fo_format_double(num, json_number_value(v)));
        t.failed |= !k;
        free(k);
        json_decref(key);
        first = 0;
    }
    fo_text_printf(&t, "}");
    if (t.failed) {
        free(t.p);
        return NULL;
    }
    return t.p;
}

/* metadata, metrics and cost of results[i] (where), into it; the texts are
 * the caller's to free. */
static enum fo_status parse_extras(json_t *r, const char *where, struct fo_tell_item *it,
                                   struct fo_error *err) {
    json_t *md = json_object_get(r, "metadata"), *mt = json_object_get(r, "metrics"),
           *cost = json_object_get(r, "cost");
    it->cost = NAN;
    if (cost && !(json_is_number(cost) && isfinite(json_number_value(cost)) &&
                  json_number_value(cost) > 0.0))
        return fo_error_set(err, FO_EINVAL, "cost", "%s.cost must be a number > 0",
                            where);
    it->cost = cost ? json_number_value(cost) : NAN;
    if (md && !json_is_object(md))
        return fo_error_set(err, FO_EINVAL, "metadata", "%s.metadata must be an object",
                            where);
    if (mt && !json_is_object(mt))
        return fo_error_set(err, FO_EINVAL, "metrics",
                            "%s.metrics must be an object of named numbers", where);
    const char *name;
    json_t *v;
    size_t count = 0;
    json_object_foreach(mt, name, v) {
        if (++count > MAX_METRICS || strlen(name) < 1 || strlen(name) > MAX_METRIC_NAME ||
            !json_is_number(v) || !isfinite(json_number_value(v)))
            return fo_error_set(
                err, FO_EINVAL, "metrics",
                "%s.metrics holds at most %d finite numbers named by 1 to "
                "%d characters",
                where, MAX_METRICS, MAX_METRIC_NAME);
    }
    it->metadata = md ? json_dumps(md, JSON_COMPACT) : NULL;
    it->metrics = mt ? metrics_text(mt) : NULL;
    if ((md && !it->metadata) || (mt && !it->metrics))
        return fo_error_set(err, FO_ENOMEM, "results", "out of memory");
    if (it->metadata && strlen(it->metadata) > MAX_METADATA)
        return fo_error_set(err, FO_EINVAL, "metadata",
                            "%s.metadata is %zu bytes as JSON; at most %d", where,
                            strlen(it->metadata), MAX_METADATA);
    return FO_OK;
}

/* One entry of "results". */
static enum fo_status parse_result(json_t *r, size_t i, struct fo_tell_item *it,
                                   struct fo_error *err) {
    static const char *const keys[] = {"id",    "value",    "status",  "error", "stderr",
                                       "shots", "metadata", "metrics", "cost",  NULL};
    char where[32];
    snprintf(where, sizeof where, "results[%zu]", i);
    if (!json_is_object(r))
        return fo_error_set(err, FO_EINVAL, "results", "%s must be an object", where);
    enum fo_status st = fo_json_only_keys(r, keys, where, err);
    if (st != FO_OK)
        return st;
    if (fo_json_parse_id(json_string_value(json_object_get(r, "id")), &it->id) != 0)
        return fo_error_set(err, FO_EINVAL, "id", "%s.id must be a sample id string",
                            where);
    const char *status = json_string_value(json_object_get(r, "status"));
    json_t *value = json_object_get(r, "value");
    enum fo_record_status rs = FO_RECORD_TOLD;
    if (json_object_get(r, "status") &&
        (!status || fo_service_record_status_parse(status, &rs) != 0 ||
         (rs != FO_RECORD_FAILED && rs != FO_RECORD_LOST)))
        return fo_error_set(err, FO_EINVAL, "status",
                            "%s.status may only be \"failed\" or \"lost\"", where);
    it->failed = status != NULL;
    it->lost = rs == FO_RECORD_LOST;
    if ((st = parse_extras(r, where, it, err)) != FO_OK)
        return st;
    json_t *error = json_object_get(r, "error");
    if (error && !json_is_null(error) &&
        !(json_is_string(error) && json_string_length(error) <= MAX_ERROR_TEXT))
        return fo_error_set(err, FO_EINVAL, "error",
                            "%s.error must be a string of at most %d bytes", where,
                            MAX_ERROR_TEXT);
    it->error = json_string_value(error);
    json_t *se = json_object_get(r, "stderr"), *shots = json_object_get(r, "shots");
    it->std_error = NAN;
    it->shots = 0;
    if (it->failed && (value || se || shots))
        return fo_error_set(err, FO_EINVAL,
                            value ? "value"
                            : se  ? "stderr"
                                  : "shots",
                            "%s: a %s result has no %s", where, status,
                            value ? "value"
                            : se  ? "stderr"
                                  : "shots");
    if (it->failed)
        return FO_OK;
    if (se && !(json_is_number(se) && isfinite(json_number_value(se)) &&
                json_number_value(se) >= 0.0))
        return fo_error_set(err, FO_EINVAL, "stderr",
                            "%s.stderr must be a finite number >= 0", where);
    if (shots && !(json_is_integer(shots) && json_integer_value(shots) >= 1))
        return fo_error_set(err, FO_EINVAL, "shots", "%s.shots must be an integer >= 1",
                            where);
    it->std_error = se ? json_number_value(se) : NAN;
    it->shots = shots ? (int64_t)json_integer_value(shots) : 0;
    if (!json_is_number(value))
        return fo_error_set(err, FO_EINVAL, "value", "%s.value must be a number", where);
    it->value = json_number_value(value);
    if (!isfinite(it->value))
        return fo_error_set(err, FO_ERANGE, "value", "%s.value must be finite", where);
    return FO_OK;
}

static void tell(const struct fo_http_request *req, struct fo_http_reply *rep) {
    struct fo_error err = {0};
    json_t *root = NULL;
    static const char *const keys[] = {"results", "client_id", NULL};
    const char *client = NULL;
    enum fo_status st =
        fo_json_parse_request(req->body, req->body_len, keys, "the tell", &root, &err);
    if (st == FO_OK)
        st = parse_client(root, &client, &err);
    json_t *results = root ? json_object_get(root, "results") : NULL;
    if (st == FO_OK && (!json_is_array(results) || json_array_size(results) == 0))
        st =
            fo_error_set(&err, FO_EINVAL, "results", "results must be a non-empty array");
    size_t n = st == FO_OK ? json_array_size(results) : 0;
    struct fo_tell_item *items = calloc(n ? n : 1, sizeof *items);
    struct fo_step_report *reps = calloc(n ? n : 1, sizeof *reps);
    if (st == FO_OK && (!items || !reps))
        st = fo_error_set(&err, FO_ENOMEM, "results", "out of memory");
    for (size_t i = 0; st == FO_OK && i < n; i++)
        st = parse_result(json_array_get(results, i), i, &items[i], &err);
    struct fo_tell_outcome out;
    if (st == FO_OK)
        st = fo_service_tell(req->svc, req->params[0], items, n, reps, &out, &err);
    /* a tell of a driver renews the leases of what it still holds */
    if (st == FO_OK && client)
        st = fo_service_leases_renew(req->svc, req->params[0], client, NAN, NULL, &err);
    if (st == FO_OK) {
        json_t *updates = json_array();
        for (size_t i = 0; i < out.n_reports; i++)
            json_array_append_new(updates, fo__step_json(&reps[i]));
        fo_reply_json(rep, 200,
                      json_pack("{s:I, s:I, s:o, s:I}", "accepted",
                                (json_int_t)out.accepted, "duplicates",
                                (json_int_t)out.duplicates, "updates", updates, "wanted",
                                (json_int_t)out.wanted));
    } else {
        fo__reply_status(rep, st, &err);
    }
    json_decref(root);
    for (size_t i = 0; items && i < n; i++) {
        free((char *)items[i].metadata);
        free((char *)items[i].metrics);
    }
    free(items);
    free(reps);
}

static void best(const struct fo_http_request *req, struct fo_http_reply *rep) {
    struct fo_error err = {0};
    struct fo_error dim_err = {0};
    size_t D = fo_service_run_dim(req->svc, req->params[0], &dim_err);
    double *x = malloc((D ? 2 * D : 1) * sizeof *x),
           value = 0.0; /* best, then recommended */
    uint64_t sid = 0, gen = 0;
    enum fo_status st =
        !D   ? (err = dim_err).code
        : !x ? FO_ENOMEM
             : fo_service_best(req->svc, req->params[0], x, &value, &sid, &gen, &err);
    struct fo_recommendation rec;
    if (st == FO_OK)
        st = fo_service_recommend(req->svc, req->params[0], x + D, &rec, &err);
    if (st == FO_OK) {
        json_t *xs = json_array(), *rx = json_array();
        for (size_t d = 0; d < D; d++) {
            json_array_append_new(xs, fo_json_real(x[d]));
            json_array_append_new(rx, fo_json_real(x[D + d]));
        }
        json_t *recommended = json_pack(
            "{s:o, s:s, s:o, s:o, s:I}", "x", rx, "kind",
            rec.kind == FO_RECOMMEND_REMEASURED ? "remeasured" : "centre", "value",
            fo_json_real(rec.value), "stderr", fo_json_real(rec.std_error), "evaluations",
            (json_int_t)rec.evaluations);
        fo_reply_json(rep, 200,
                      json_pack("{s:o, s:o, s:o, s:I, s:o}", "x", xs, "value",
                                fo_json_real(value), "sample_id", fo_json_id(sid),
                                "generation", (json_int_t)gen, "recommended",
                                recommended));
    } else {
        fo__reply_status(rep, st, &err);
    }
    free(x);
}

static void modes(const struct fo_http_request *req, struct fo_http_reply *rep) {
    struct fo_error err = {0};
    struct fo_error dim_err = {0};
    size_t D = fo_service_run_dim(req->svc, req->params[0], &dim_err);
    double *x = D ? malloc(FO_ENGINE_MAX_MODES * D * sizeof *x) : NULL;
    struct fo_mode *m = D ? malloc(FO_ENGINE_MAX_MODES * sizeof *m) : NULL;
    size_t n = 0;
    enum fo_status st = !D ? (err = dim_err).code
                        : !x || !m
                            ? fo_error_set(&err, FO_ENOMEM, "modes", "out of memory")
                            : FO_OK;
    if (st == FO_OK) {
        n = fo_service_modes(req->svc, req->params[0], FO_ENGINE_MAX_MODES, x, m, &err);
        st = n ? FO_OK : FO_ENOTFOUND;
    }
    if (st == FO_OK) {
        json_t *list = json_array();
        for (size_t k = 0; k < n; k++) {
            json_t *xs = json_array();
            for (size_t d = 0; d < D; d++)
                json_array_append_new(xs, fo_json_real(x[k * D + d]));
            json_array_append_new(
                list,
                json_pack("{s:o, s:s, s:o, s:o, s:o, s:I}", "x", xs, "state",
                          m[k].state == FO_MODE_ACTIVE ? "active" : "converged", "best",
                          fo_json_real(m[k].best), "spread", fo_json_real(m[k].spread),
                          "weight", fo_json_real(m[k].weight), "evaluations",
                          (json_int_t)m[k].evaluations));
        }
        fo_reply_json(rep, 200, json_pack("{s:o}", "modes", list));
    } else {
        fo__reply_status(rep, st, &err);
    }
    free(x);
    free(m);
}

static int collect_step(void *ctx, const struct fo_step_report *row) {
    json_array_append_new((json_t *)ctx, fo__step_json(row));
    return 0;
}

/* A CSV field for a double: empty when not finite. */
static void csv_real(struct fo_text *t, double v) {
    char num[FO_DOUBLE_CHARS];
    if (isfinite(v))
        fo_text_printf(t, ",%s", fo_format_double(num, v));
    else
        fo_text_printf(t, ",");
}

static int csv_step(void *ctx, const struct fo_step_report *r) {
    struct fo_text *t = ctx;
    char events[200];
    fo_service_event_names(r->events, events, sizeof events);
    fo_text_printf(t, "%llu,%llu,%llu,%zu", (unsigned long long)r->step,
                   (unsigned long long)r->generation, (unsigned long long)r->evaluations,
                   r->n);
#define FIELD(name) csv_real(t, r->name);
    FO_STEP_REALS(FIELD)
#undef FIELD
#define INT_FIELD(name) fo_text_printf(t, ",%llu", (unsigned long long)r->name);
    FO_STEP_INTS(INT_FIELD)
#undef INT_FIELD
    /* event names are [a-z_] joined by commas: quote the field */
    fo_text_printf(t, ",\"%s\"\n", events);
    return 0;
}

static void history(const struct fo_http_request *req, struct fo_http_reply *rep) {
    struct fo_error err = {0};
    long long after = fo__query_int(req, "after", 0, INT64_MAX);
    long long limit = fo__query_int(req, "limit", 1000, 10000);
    const char *format = fo_http_query(req, "format");
    if (after < 0 || limit < 1 ||
        (format && strcmp(format, "json") && strcmp(format, "csv"))) {
        fo_error_set(&err, FO_EINVAL,
                     after < 0   ? "after"
                     : limit < 1 ? "limit"
                                 : "format",
                     "after must be an integer >= 0, limit 1..10000, format json or csv");
        fo_reply_error(rep, &err);
        return;
    }
    if (format && strcmp(format, "csv") == 0) {
        struct fo_text t = {0};
#define HEADER(name) "," #name
        fo_text_printf(&t, "step,generation,evaluations,n" FO_STEP_REALS(HEADER)
                               FO_STEP_INTS(HEADER) ",events\n");
#undef HEADER
        enum fo_status st = fo_service_history(req->svc, req->params[0], (uint64_t)after,
                                               (uint64_t)limit, csv_step, &t, &err);
        if (st != FO_OK || t.failed) {
            free(t.p);
            fo__reply_status(rep, st != FO_OK ? st : FO_ENOMEM, &err);
            return;
        }
        rep->status = 200;
        rep->body = t.p;
        rep->body_len = t.len;
        rep->content_type = "text/csv";
        return;
    }
    long long most = fo__query_int(req, "max_points", 0, 10000);
    if (fo_http_query(req, "max_points") && most < 2) {
        fo_error_set(&err, FO_EINVAL, "max_points",
                     "max_points must be an integer 2..10000");
        fo_reply_error(rep, &err);
        return;
    }
    json_t *steps = json_array();
    enum fo_status st = fo_service_history(req->svc, req->params[0], (uint64_t)after,
                                           (uint64_t)limit, collect_step, steps, &err);
    size_t rows = json_array_size(steps);
    if (st == FO_OK && most >= 2 && rows > (size_t)most) {
        /* for a plot: evenly spaced rows, the first and the last among them,
         * and every restart (the plot marks them; rollbacks may be many) */
        json_t *kept = json_array();
        size_t next = 0;
        for (size_t i = 0; i < rows; i++) {
            json_t *row = json_array_get(steps, i);
            size_t k =
                (size_t)llround((double)next * (double)(rows - 1) / (double)(most - 1));
            int marked = 0;
            json_t *ev;
            size_t e;
            json_array_foreach(json_object_get(row, "events"), e, ev) {
                const char *s = json_string_value(ev);
                marked |= s && !strcmp(s, "restart");
            }
            if (i == k || marked)
                json_array_append(kept, row);
            while (next < (size_t)most &&
                   (size_t)llround((double)next * (double)(rows - 1) /
                                   (double)(most - 1)) <= i)
                next++;
        }
        json_decref(steps);
        fo_reply_json(
            rep, 200,
            json_pack("{s:o, s:I}", "steps", kept, "downsampled_from", (json_int_t)rows));
    } else if (st == FO_OK) {
        fo_reply_json(rep, 200, json_pack("{s:o}", "steps", steps));
    } else {
        json_decref(steps);
        fo__reply_status(rep, st, &err);
    }
}

static void step(const struct fo_http_request *req, struct fo_http_reply *rep) {
    struct fo_error err = {0};
    struct fo_step_report r;
    if (req->body_len) {
        json_t *root = NULL;
        static const char *const none[] = {NULL};
        enum fo_status st = fo_json_parse_request(req->body, req->body_len, none,
                                                  "the step", &root, &err);
        json_decref(root);
        if (st != FO_OK) {
            fo__reply_status(rep, st, &err);
            return;
        }
    }
    enum fo_status st = fo_service_step(req->svc, req->params[0], &r, &err);
    if (st == FO_OK)
        fo_reply_json(rep, 200, json_pack("{s:[o]}", "updates", fo__step_json(&r)));
    else
        fo__reply_status(rep, st, &err);
}

struct samples_ctx {
    json_t *rows;
    size_t count;
    uint64_t last;
    int csv;
    struct fo_text text;
};

/* s as one CSV field: in quotes, quotes doubled. */
static void csv_quoted(struct fo_text *t, const char *s) {
    fo_text_printf(t, "\"");
    for (; *s; s++)
        fo_text_printf(t, *s == '"' ? "\"\"" : "%c", *s);
    fo_text_printf(t, "\"");
}

static int collect_sample(void *p, const struct fo_sample_record *r) {
    struct samples_ctx *c = p;
    c->count++;
    c->last = r->id;
    if (c->csv) {
        fo_text_printf(&c->text, "%llu,%llu,%s,", (unsigned long long)r->id,
                       (unsigned long long)r->generation, r->status);
        char num[FO_DOUBLE_CHARS];
        if (isfinite(r->value))
            fo_text_printf(&c->text, "%s", fo_format_double(num, r->value));
        fo_text_printf(&c->text, ",%s,%s,%s,", fo_format_double(num, r->log_prob),
                       r->asked_at, r->told_at ? r->told_at : "");
        if (isfinite(r->std_error))
            fo_text_printf(&c->text, "%s", fo_format_double(num, r->std_error));
        fo_text_printf(&c->text, ",");
        if (r->shots > 0)
            fo_text_printf(&c->text, "%lld", (long long)r->shots);
        fo_text_printf(&c->text, ",");
        if (r->reissue_of)
            fo_text_printf(&c->text, "%llu", (unsigned long long)r->reissue_of);
        /* a client_id is printable but may hold a comma or a quote */
        fo_text_printf(&c->text, ",");
        if (r->client_id)
            csv_quoted(&c->text, r->client_id);
        fo_text_printf(&c->text, ",%s,", r->lease_until ? r->lease_until : "");
        if (isfinite(r->cost))
            fo_text_printf(&c->text, "%s", fo_format_double(num, r->cost));
        fo_text_printf(&c->text, ",");
        if (r->metadata)
            csv_quoted(&c->text, r->metadata);
        fo_text_printf(&c->text, ",");
        if (r->metrics)
            csv_quoted(&c->text, r->metrics);
        fo_text_printf(&c->text, ",%s", r->observed ? "observed" : "asked");
        for (size_t d = 0; d < r->dim; d++)
            fo_text_printf(&c->text, ",%s", fo_format_double(num, r->x[d]));
        fo_text_printf(&c->text, "\n");
        return 0;
    }
    json_t *xs = json_array();
    for (size_t d = 0; d < r->dim; d++)
        json_array_append_new(xs, fo_json_real(r->x[d]));
    json_t *row = json_pack(
        "{s:o, s:o, s:s, s:o, s:I, s:o, s:s, s:o}", "id", fo_json_id(r->id), "x", xs,
        "status", r->status, "value", fo_json_real(r->value), "generation",
        (json_int_t)r->generation, "log_prob", fo_json_real(r->log_prob), "asked_at",
        r->asked_at, "told_at", r->told_at ? json_string(r->told_at) : json_null());
    json_object_set_new(row, "stderr", fo_json_real(r->std_error));
    json_object_set_new(row, "shots",
                        r->shots > 0 ? json_integer((json_int_t)r->shots) : json_null());
    json_object_set_new(row, "reissue_of",
                        r->reissue_of ? fo_json_id(r->reissue_of) : json_null());
    json_object_set_new(row, "client_id",
                        r->client_id ? json_string(r->client_id) : json_null());
    json_object_set_new(row, "cost", fo_json_real(r->cost));
    json_object_set_new(row, "origin", json_string(r->observed ? "observed" : "asked"));
    json_object_set_new(row, "error", r->error ? json_string(r->error) : json_null());
    json_object_set_new(row, "metadata",
                        r->metadata ? json_loads(r->metadata, 0, NULL) : json_null());
    json_object_set_new(row, "metrics",
                        r->metrics ? json_loads(r->metrics, 0, NULL) : json_null());
    json_object_set_new(row, "lease_expires_at",
                        r->lease_until ? json_string(r->lease_until) : json_null());
    json_array_append_new(c->rows, row);
    return 0;
}

static void samples(const struct fo_http_request *req, struct fo_http_reply *rep) {
    struct fo_error err = {0};
    long long limit = fo__query_int(req, "limit", 1000, 10000);
    long long gen = fo__query_int(req, "generation", -1, INT64_MAX);
    const char *status = fo_http_query(req, "status");
    const char *cursor = fo_http_query(req, "cursor");
    const char *format = fo_http_query(req, "format");
    uint64_t after = 0;
    enum fo_status st = FO_OK;
    if (limit < 1)
        st = fo_error_set(&err, FO_EINVAL, "limit", "limit must be an integer 1..10000");
    else if (fo_http_query(req, "generation") && gen < 0)
        st = fo_error_set(&err, FO_EINVAL, "generation",
                          "generation must be an integer >= 0");
    else if (status &&
             fo_service_record_status_parse(status, &(enum fo_record_status){0}))
        st = fo_error_set(&err, FO_EINVAL, "status",
                          "status must be pending, told, failed, expired or lost");
    else if (cursor && fo_json_parse_id(cursor, &after) != 0)
        st = fo_error_set(&err, FO_EINVAL, "cursor", "cursor must come from next_cursor");
    else if (format && strcmp(format, "json") && strcmp(format, "csv"))
        st = fo_error_set(&err, FO_EINVAL, "format", "format must be json or csv");
    /* a damaged run without settings has no dimension here: it pages as is */
    size_t D = st == FO_OK ? fo_service_run_dim(req->svc, req->params[0], NULL) : 0;
    if (st == FO_OK && (size_t)limit * D > fo_service_max_answer_values(req->svc))
        st = fo_error_set(&err, FO_ERANGE, "limit",
                          "limit x dim = %zu coordinates, more than this daemon's "
                          "--max-answer-values %zu: page with a smaller limit",
                          (size_t)limit * D, fo_service_max_answer_values(req->svc));
    if (st != FO_OK) {
        fo_reply_error(rep, &err);
        return;
    }
    struct samples_ctx c = {json_array(), 0, 0, format && !strcmp(format, "csv"), {0}};
    if (c.csv)
        fo_text_printf(
            &c.text,
            "id,generation,status,value,log_prob,asked_at,told_at,stderr,shots,"
            "reissue_of,client_id,lease_expires_at,cost,metadata,metrics,origin,x...\n");
    st = fo_service_samples(req->svc, req->params[0], status,
                            fo_http_query(req, "client_id"), gen, after,
                            (size_t)limit + 1, collect_sample, &c, &err);
    if (st != FO_OK) {
        json_decref(c.rows);
        free(c.text.p);
        fo__reply_status(rep, st, &err);
        return;
    }
    if (c.csv) {
        json_decref(c.rows);
        rep->status = 200;
        if (c.text.failed) {
            free(c.text.p);
            fo_reply_problem(rep, 503, "out of memory", NULL,
                             "cannot render the samples");
            return;
        }
        rep->body = c.text.p;
        rep->body_len = c.text.len;
        rep->content_type = "text/csv";
        return;
    }
    json_t *next = json_null();
    if (c.count > (size_t)limit) {
        json_array_remove(c.rows, c.count - 1);
        json_decref(next);
        next = json_string(json_string_value(
            json_object_get(json_array_get(c.rows, (size_t)limit - 1), "id")));
    }
    fo_reply_json(rep, 200,
                  json_pack("{s:o, s:o}", "samples", c.rows, "next_cursor", next));
}

static void log_prob(const struct fo_http_request *req, struct fo_http_reply *rep) {
    struct fo_error err = {0};
    json_t *root = NULL;
    static const char *const keys[] = {"x", NULL};
    enum fo_status st =
        fo_json_parse_request(req->body, req->body_len, keys, "the request", &root, &err);
    json_t *xs = root ? json_object_get(root, "x") : NULL;
    struct fo_error dim_err = {0};
    size_t D = fo_service_run_dim(req->svc, req->params[0], &dim_err);
    size_t n = json_is_array(xs) ? json_array_size(xs) : 0;
    if (st == FO_OK && D == 0)
        st = (err = dim_err).code;
    if (st == FO_OK && (n == 0 || n > FO_ENGINE_MAX_ASK))
        st = fo_error_set(&err, FO_EINVAL, "x", "x must be 1..%d points",
                          FO_ENGINE_MAX_ASK);
    double *x = st == FO_OK ? malloc(n * D * sizeof *x) : NULL, *lp = NULL;
    if (st == FO_OK && (!x || !(lp = malloc(n * sizeof *lp))))
        st = fo_error_set(&err, FO_ENOMEM, "x", "out of memory");
    for (size_t i = 0; st == FO_OK && i < n; i++) {
        json_t *row = json_array_get(xs, i);
        if (!json_is_array(row) || json_array_size(row) != D) {
            st = fo_error_set(&err, FO_EINVAL, "x", "x[%zu] must have %zu numbers", i, D);
            break;
        }
        for (size_t d = 0; d < D && st == FO_OK; d++) {
            json_t *v = json_array_get(row, d);
            x[i * D + d] = json_is_number(v) ? json_number_value(v) : NAN;
            if (!isfinite(x[i * D + d]))
                st = fo_error_set(&err, FO_EINVAL, "x",
                                  "x[%zu][%zu] must be a finite number", i, d);
        }
    }
    if (st == FO_OK)
        st = fo_service_log_prob(req->svc, req->params[0], n, x, lp, &err);
    if (st == FO_OK) {
        json_t *out = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(out, fo_json_real(lp[i]));
        fo_reply_json(rep, 200, json_pack("{s:o}", "log_prob", out));
    } else {
        fo__reply_status(rep, st, &err);
    }
    json_decref(root);
    free(x);
    free(lp);
}

/* observations[i] into x (D) and *value. */
static enum fo_status parse_observation(json_t *o, size_t i, size_t D, double *x,
                                        double *value, struct fo_error *err) {
    static const char *const keys[] = {"x", "value", NULL};
    char where[40];
    snprintf(where, sizeof where, "observations[%zu]", i);
    if (!json_is_object(o))
        return fo_error_set(err, FO_EINVAL, "observations", "%s must be an object",
                            where);
    enum fo_status st = fo_json_only_keys(o, keys, where, err);
    if (st != FO_OK)
        return st;
    json_t *xs = json_object_get(o, "x"), *v = json_object_get(o, "value");
    if (!json_is_array(xs) || json_array_size(xs) != D)
        return fo_error_set(err, FO_EINVAL, "x", "%s.x must be an array of %zu numbers",
                            where, D);
    for (size_t d = 0; d < D; d++) {
        json_t *xd = json_array_get(xs, d);
        if (!json_is_number(xd))
            return fo_error_set(err, FO_EINVAL, "x", "%s.x[%zu] must be a number", where,
                                d);
        x[d] = json_number_value(xd);
    }
    if (!json_is_number(v))
        return fo_error_set(err, FO_EINVAL, "value", "%s.value must be a number", where);
    *value = json_number_value(v);
    return FO_OK;
}

/* POST /observations: values at x the run did not hand out. */
static void observations(const struct fo_http_request *req, struct fo_http_reply *rep) {
    struct fo_error err = {0};
    json_t *root = NULL;
    static const char *const keys[] = {"observations", NULL};
    enum fo_status st = fo_json_parse_request(req->body, req->body_len, keys,
                                              "the observations", &root, &err);
    json_t *list = root ? json_object_get(root, "observations") : NULL;
    size_t n = json_is_array(list) ? json_array_size(list) : 0;
    struct fo_error dim_err = {0};
    size_t D = fo_service_run_dim(req->svc, req->params[0], &dim_err);
    if (st == FO_OK && D == 0)
        st = (err = dim_err).code;
    if (st == FO_OK && n == 0)
        st = fo_error_set(&err, FO_EINVAL, "observations",
                          "observations must be a non-empty array");
    if (st == FO_OK && n > FO_MAX_OBSERVATIONS)
        st = fo_error_set(&err, FO_ERANGE, "observations",
                          "at most %d observations a request, got %zu",
                          FO_MAX_OBSERVATIONS, n);
    double *x = st == FO_OK ? malloc(n * D * sizeof *x) : NULL;
    double *v = st == FO_OK ? malloc(n * sizeof *v) : NULL;
    uint64_t *ids = st == FO_OK ? malloc(n * sizeof *ids) : NULL;
    if (st == FO_OK && (!x || !v || !ids))
        st = fo_error_set(&err, FO_ENOMEM, "observations", "out of memory");
    for (size_t i = 0; st == FO_OK && i < n; i++)
        st = parse_observation(json_array_get(list, i), i, D, x + i * D, &v[i], &err);
    if (st == FO_OK)
        st = fo_service_observe(req->svc, req->params[0], n, x, v, ids, &err);
    if (st == FO_OK) {
        json_t *arr = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(arr, fo_json_id(ids[i]));
        fo_reply_json(rep, 200,
                      json_pack("{s:I, s:o}", "accepted", (json_int_t)n, "ids", arr));
    } else {
        fo__reply_status(rep, st, &err);
    }
    json_decref(root);
    free(x);
    free(v);
    free(ids);
}

/* POST /leases: a driver's heartbeat, renewing every lease it holds. */
static void leases(const struct fo_http_request *req, struct fo_http_reply *rep) {
    struct fo_error err = {0};
    json_t *root = NULL;
    static const char *const keys[] = {"client_id", "lease_s", NULL};
    const char *client = NULL;
    double lease_s = NAN;
    enum fo_status st =
        fo_json_parse_request(req->body, req->body_len, keys, "the renewal", &root, &err);
    if (st == FO_OK)
        st = parse_client(root, &client, &err);
    if (st == FO_OK && !client)
        st = fo_error_set(&err, FO_EINVAL, "client_id", "client_id is required");
    if (st == FO_OK)
        st = parse_lease(root, &lease_s, &err);
    int64_t renewed = 0;
    if (st == FO_OK)
        st = fo_service_leases_renew(req->svc, req->params[0], client, lease_s, &renewed,
                                     &err);
    if (st == FO_OK)
        fo_reply_json(rep, 200, json_pack("{s:I}", "renewed", (json_int_t)renewed));
    else
        fo__reply_status(rep, st, &err);
    json_decref(root);
}

const struct fo_route fo__asktell_routes[] = {
    {"POST", "/v1/runs/{id}/step", 1024, step, NULL, NULL},
    {"GET", "/v1/runs/{id}/samples", 0, samples,
     "status client_id generation limit cursor format", NULL},
    {"POST", "/v1/runs/{id}/leases", 1024, leases, NULL, NULL},
    {"POST", "/v1/runs/{id}/observations", MAX_TELL_BODY, observations, NULL, NULL},
    {"POST", "/v1/runs/{id}/log_prob", MAX_TELL_BODY, log_prob, NULL, NULL},
    {"POST", "/v1/runs/{id}/ask", MAX_ASK_BODY, ask, NULL, NULL},
    {"POST", "/v1/runs/{id}/tell", MAX_TELL_BODY, tell, NULL, NULL},
    {"GET", "/v1/runs/{id}/best", 0, best, NULL, NULL},
    {"GET", "/v1/runs/{id}/modes", 0, modes, NULL, NULL},
    {"GET", "/v1/runs/{id}/history", 0, history, "after limit format max_points", NULL},
};
const size_t fo__n_asktell_routes =
    sizeof fo__asktell_routes / sizeof fo__asktell_routes[0];
