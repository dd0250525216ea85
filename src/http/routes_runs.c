/*
 * routes_runs.c - runs over HTTP: create, read, list, change, delete.
 * Translation only: JSON in, a service call, JSON out; every failure goes
 * through fo_reply_error (problem+json naming the field).
 */
#include "http/jsonio.h"
#include "http/router.h"
#include "http/routes_common.h"
#include "http/evaluator_json.h"
#include "http/settings_json.h"
#include "service/evaluators.h"
#include "service/runs.h"
#include "service/service.h"
#include "util/text.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Create: every setting the API shows, with the preset's defaults for the
 * rest; the preset and the name are the only keys beside the settings. */
static void create_run(const struct fo_http_request *req, struct fo_http_reply *rep) {
    static const char *const extra[] = {"name", "optimizer.preset", "evaluator", NULL};
    struct fo_error err = {0};
    json_t *root = NULL;
    size_t n = 0, cap = 0;
    fo_service_settings(&cap);
    struct fo_setting_value *values = malloc(cap * sizeof *values);
    struct fo_setting_arrays *arrays = malloc(sizeof *arrays);
    char id[FO_RUN_ID_LEN + 1];
    enum fo_status st = values && arrays
                            ? fo_json_parse_object(req->body, req->body_len, &root, &err)
                            : FO_ENOMEM;
    if (st == FO_OK)
        st = fo__settings_parse(root, FO_SETTINGS_CREATE, extra, values, cap, &n, arrays,
                                &err);
    json_t *name = root ? json_object_get(root, "name") : NULL;
    json_t *opt = root ? json_object_get(root, "optimizer") : NULL;
    json_t *preset = json_is_object(opt) ? json_object_get(opt, "preset") : NULL;
    if (st == FO_OK && name && !json_is_string(name))
        st = fo_error_set(&err, FO_EINVAL, "name", "name must be a string");
    if (st == FO_OK && preset && !json_is_string(preset))
        st = fo_error_set(&err, FO_EINVAL, "optimizer.preset",
                          "optimizer.preset must be default, seed or nes");
    char *evaluator = NULL; /* checked before the run exists */
    json_t *ev = root ? json_object_get(root, "evaluator") : NULL;
    if (st == FO_OK && ev)
        st = fo__evaluator_parse(req->svc, ev, &evaluator, &err);
    if (st == FO_OK)
        st = fo_service_run_create_from(req->svc, json_string_value(preset), values, n,
                                        name ? json_string_value(name) : "", id, &err);
    if (st == FO_OK && evaluator &&
        (st = fo_service_evaluator_set(req->svc, id, evaluator, &err)) != FO_OK)
        fo_service_run_delete(req->svc, id, NULL); /* all of it, or nothing */
    free(evaluator);
    if (st == FO_OK) {
        snprintf(rep->location, sizeof rep->location, "/v1/runs/%s", id);
        fo__reply_run(req, rep, id, 201);
    } else {
        fo__reply_status(rep, st, &err);
    }
    json_decref(root);
    free(values);
    free(arrays);
}

static void get_run(const struct fo_http_request *req, struct fo_http_reply *rep) {
    fo__reply_run(req, rep, req->params[0], 200);
}

/* The patch's settings (live rows only) and the controller's rate. */
static enum fo_status parse_tune(json_t *root, struct fo_tune *t, struct fo_error *err) {
    static const char *const extra[] = {"name", "state", "lr", "evaluator", NULL};
    memset(t, 0, sizeof *t);
    enum fo_status st = fo__settings_parse(root, FO_SETTINGS_PATCH, extra, t->set,
                                           FO_SETTING_MAX_LIVE, &t->n, NULL, err);
    json_t *lr = json_object_get(root, "lr");
    if (st == FO_OK && lr && !json_is_number(lr))
        return fo_error_set(err, FO_EINVAL, "lr", "lr must be a number");
    t->has_lr = lr != NULL;
    t->lr = lr ? json_number_value(lr) : 0.0;
    return st;
}

static void patch_run(const struct fo_http_request *req, struct fo_http_reply *rep) {
    struct fo_error err = {0};
    json_t *root = NULL;
    struct fo_tune tune;
    enum fo_status st = fo_json_parse_object(req->body, req->body_len, &root, &err);
    json_t *name = root ? json_object_get(root, "name") : NULL;
    json_t *state = root ? json_object_get(root, "state") : NULL;
    if (st == FO_OK)
        st = parse_tune(root, &tune, &err);
    if (st == FO_OK && name && !json_is_string(name))
        st = fo_error_set(&err, FO_EINVAL, "name", "name must be a string");
    if (st == FO_OK && state && !json_is_string(state))
        st = fo_error_set(&err, FO_EINVAL, "state", "state must be a string");
    json_t *ev = root ? json_object_get(root, "evaluator") : NULL;
    char *evaluator = NULL;
    if (st == FO_OK && ev)
        st = fo__evaluator_parse(req->svc, ev, &evaluator, &err);
    if (st == FO_OK)
        st = fo_service_run_patch(req->svc, req->params[0], json_string_value(name),
                                  json_string_value(state), &tune, &err);
    if (st == FO_OK && ev)
        st = fo_service_evaluator_set(req->svc, req->params[0], evaluator, &err);
    free(evaluator);
    json_decref(root);
    if (st == FO_OK)
        fo__reply_run(req, rep, req->params[0], 200);
    else
        fo__reply_status(rep, st, &err);
}

static void delete_run(const struct fo_http_request *req, struct fo_http_reply *rep) {
    struct fo_error err = {0};
    enum fo_status st = fo_service_run_delete(req->svc, req->params[0], &err);
    if (st == FO_OK)
        rep->status = 204;
    else
        fo__reply_status(rep, st, &err);
}

struct list_ctx {
    const struct fo_http_request *req;
    json_t *runs;
    char last[FO_RUN_ID_LEN + 1];
    size_t count;
};

static int collect_run(void *p, const char *id) {
    struct list_ctx *c = p;
    struct fo_run_view *v = malloc(sizeof *v);
    if (v && fo_service_run_view(c->req->svc, id, v, NULL) == FO_OK) {
        json_array_append_new(c->runs, fo__run_json(v));
        snprintf(c->last, sizeof c->last, "%s", id);
        c->count++;
    }
    free(v);
    return 0;
}

static void list_runs(const struct fo_http_request *req, struct fo_http_reply *rep) {
    struct fo_error err = {0};
    long long limit = fo__query_int(req, "limit", 100, 1000);
    const char *cursor = fo_http_query(req, "cursor");
    if (limit < 1) {
        fo_error_set(&err, FO_EINVAL, "limit", "limit must be an integer 1..1000");
        fo_reply_error(rep, &err);
        return;
    }
    struct list_ctx c = {req, json_array(), "", 0};
    /* one more than asked tells whether another page exists */
    enum fo_status st = fo_service_run_ids(req->svc, cursor ? cursor : "",
                                           (size_t)limit + 1, collect_run, &c, &err);
    if (st != FO_OK) {
        json_decref(c.runs);
        fo__reply_status(rep, st, &err);
        return;
    }
    json_t *next = json_null();
    if (c.count > (size_t)limit) {
        json_array_remove(c.runs, c.count - 1);
        json_t *last = json_array_get(c.runs, (size_t)limit - 1);
        json_decref(next);
        next = json_string(json_string_value(json_object_get(last, "id")));
    }
    fo_reply_json(rep, 200, json_pack("{s:o, s:o}", "runs", c.runs, "next_cursor", next));
}

const struct fo_route fo__runs_routes[] = {
    {"GET", "/v1/runs", 0, list_runs, "limit cursor", NULL},
    {"PATCH", "/v1/runs/{id}", 4096, patch_run, NULL, NULL},
    {"DELETE", "/v1/runs/{id}", 0, delete_run, NULL, NULL},
    {"POST", "/v1/runs", MAX_CREATE_BODY, create_run, NULL, NULL},
    {"GET", "/v1/runs/{id}", 0, get_run, NULL, NULL},
};
const size_t fo__n_runs_routes = sizeof fo__runs_routes / sizeof fo__runs_routes[0];
