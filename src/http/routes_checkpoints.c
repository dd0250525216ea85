/*
 * routes_checkpoints.c - saved states of runs over HTTP: create, list,
 * restore, export, fork, import.
 */
#include "http/jsonio.h"
#include "http/router.h"
#include "http/routes_common.h"
#include "service/archive.h"
#include "service/checkpoints.h"
#include "service/runs.h"
#include "service/service.h"
#include "util/text.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse_cid(const char *text, uint64_t *cid, struct fo_error *err) {
    if (fo_json_parse_id(text, cid) != 0) {
        fo_error_set(err, FO_EINVAL, "cid", "checkpoint ids are positive integers");
        return -1;
    }
    return 0;
}

static int collect_checkpoint(void *ctx, int64_t cid, const char *created_at,
                              size_t bytes) {
    json_array_append_new(
        (json_t *)ctx, json_pack("{s:o, s:s, s:I}", "id", fo_json_id((uint64_t)cid),
                                 "created_at", created_at, "bytes", (json_int_t)bytes));
    return 0;
}

static void list_checkpoints(const struct fo_http_request *req,
                             struct fo_http_reply *rep) {
    struct fo_error err = {0};
    json_t *arr = json_array();
    enum fo_status st =
        fo_service_checkpoints(req->svc, req->params[0], collect_checkpoint, arr, &err);
    if (st == FO_OK) {
        fo_reply_json(rep, 200, json_pack("{s:o}", "checkpoints", arr));
    } else {
        json_decref(arr);
        fo__reply_status(rep, st, &err);
    }
}

static void create_checkpoint(const struct fo_http_request *req,
                              struct fo_http_reply *rep) {
    struct fo_error err = {0};
    uint64_t cid = 0;
    enum fo_status st =
        fo_service_checkpoint_create(req->svc, req->params[0], &cid, &err);
    if (st != FO_OK) {
        fo__reply_status(rep, st, &err);
        return;
    }
    snprintf(rep->location, sizeof rep->location, "/v1/runs/%s/checkpoints/%llu",
             req->params[0], (unsigned long long)cid);
    fo_reply_json(
        rep, 201,
        json_pack("{s:o, s:s}", "id", fo_json_id(cid), "run_id", req->params[0]));
}

static void restore_checkpoint(const struct fo_http_request *req,
                               struct fo_http_reply *rep) {
    struct fo_error err = {0};
    uint64_t cid;
    if (parse_cid(req->params[1], &cid, &err) != 0) {
        fo_reply_error(rep, &err);
        return;
    }
    enum fo_status st =
        fo_service_checkpoint_restore(req->svc, req->params[0], cid, &err);
    if (st == FO_OK)
        fo__reply_run(req, rep, req->params[0], 200);
    else
        fo__reply_status(rep, st, &err);
}

static void export_checkpoint(const struct fo_http_request *req,
                              struct fo_http_reply *rep) {
    struct fo_error err = {0};
    uint64_t cid;
    unsigned char *bytes = NULL;
    size_t len = 0;
    if (parse_cid(req->params[1], &cid, &err) != 0) {
        fo_reply_error(rep, &err);
        return;
    }
    enum fo_status st =
        fo_service_export(req->svc, req->params[0], cid, &bytes, &len, &err);
    if (st != FO_OK) {
        fo__reply_status(rep, st, &err);
        return;
    }
    rep->status = 200;
    rep->body = (char *)bytes;
    rep->body_len = len;
    rep->content_type = "application/octet-stream";
}

static void reply_new_run(const struct fo_http_request *req, struct fo_http_reply *rep,
                          enum fo_status st, const char *id, struct fo_error *err) {
    if (st != FO_OK) {
        fo__reply_status(rep, st, err);
        return;
    }
    snprintf(rep->location, sizeof rep->location, "/v1/runs/%s", id);
    fo__reply_run(req, rep, id, 201);
}

static void fork_run(const struct fo_http_request *req, struct fo_http_reply *rep) {
    struct fo_error err = {0};
    json_t *root = NULL;
    static const char *const keys[] = {"checkpoint", "name", NULL};
    uint64_t cid = 0;
    char id[FO_RUN_ID_LEN + 1];
    enum fo_status st = FO_OK;
    if (req->body_len) {
        st = fo_json_parse_request(req->body, req->body_len, keys, "the fork", &root,
                                   &err);
        json_t *c = root ? json_object_get(root, "checkpoint") : NULL;
        if (st == FO_OK && c && parse_cid(json_string_value(c), &cid, &err) != 0)
            st = FO_EINVAL;
        json_t *n = root ? json_object_get(root, "name") : NULL;
        if (st == FO_OK && n && !json_is_string(n))
            st = fo_error_set(&err, FO_EINVAL, "name", "name must be a string");
    }
    if (st == FO_OK)
        st = fo_service_fork(
            req->svc, req->params[0], cid,
            root ? json_string_value(json_object_get(root, "name")) : NULL, id, &err);
    json_decref(root);
    reply_new_run(req, rep, st, id, &err);
}

static void import_run(const struct fo_http_request *req, struct fo_http_reply *rep) {
    struct fo_error err = {0};
    char id[FO_RUN_ID_LEN + 1];
    enum fo_status st =
        req->body_len
            ? fo_service_import(req->svc, (const unsigned char *)req->body, req->body_len,
                                fo_http_query(req, "name"), id, &err)
            : fo_error_set(&err, FO_EINVAL, "body",
                           "the body must be an exported checkpoint");
    reply_new_run(req, rep, st, id, &err);
}

const struct fo_route fo__checkpoint_routes[] = {
    {"POST", "/v1/runs/import", 64 * 1024 * 1024, import_run, "name",
     "application/octet-stream"},
    {"GET", "/v1/runs/{id}/checkpoints", 0, list_checkpoints, NULL, NULL},
    {"POST", "/v1/runs/{id}/checkpoints", 0, create_checkpoint, NULL, NULL},
    {"POST", "/v1/runs/{id}/checkpoints/{cid}/restore", 0, restore_checkpoint, NULL,
     NULL},
    {"GET", "/v1/runs/{id}/checkpoints/{cid}/export", 0, export_checkpoint, NULL, NULL},
    {"POST", "/v1/runs/{id}/fork", 4096, fork_run, NULL, NULL},
};
const size_t fo__n_checkpoint_routes =
    sizeof fo__checkpoint_routes / sizeof fo__checkpoint_routes[0];
