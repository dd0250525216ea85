/*
 * routes_runs.c - runs over HTTP: create, read, list, change, delete.
 * Translation only: JSON in, a service call, JSON out; every failure goes
 * through fo_reply_error (problem+json naming the field).
 */
#include "http/jsonio.h"
#include "http/router.h"
#include "http/routes_common.h"
#include "service/runs.h"
#include "service/service.h"
#include "util/text.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static enum fo_status parse_bounds(json_t *b, size_t D, double *lo, double *hi,
                                   struct fo_error *err) {
    if (json_is_array(b)) {
        if (json_array_size(b) != D)
            return fo_error_set(err, FO_EINVAL, "bounds",
                                "bounds needs %zu [lo, hi] pairs", D);
        for (size_t d = 0; d < D; d++) {
            json_t *p = json_array_get(b, d);
            if (!json_is_array(p) || json_array_size(p) != 2 ||
                !json_is_number(json_array_get(p, 0)) ||
                !json_is_number(json_array_get(p, 1)))
                return fo_error_set(err, FO_EINVAL, "bounds",
                                    "bounds[%zu] must be [lo, hi] numbers", d);
            lo[d] = json_number_value(json_array_get(p, 0));
            hi[d] = json_number_value(json_array_get(p, 1));
        }
        return FO_OK;
    }
    if (!json_is_object(b))
        return fo_error_set(err, FO_EINVAL, "bounds",
                            "bounds must be [[lo, hi], ...] or {\"lo\": .., \"hi\": ..}");
    static const char *const keys[] = {"lo", "hi", NULL};
    enum fo_status st = fo_json_only_keys(b, keys, "bounds", err);
    json_t *l = json_object_get(b, "lo"), *h = json_object_get(b, "hi");
    for (size_t d = 0; st == FO_OK && d < D; d++) {
        json_t *ld = json_is_array(l) ? json_array_get(l, d) : l;
        json_t *hd = json_is_array(h) ? json_array_get(h, d) : h;
        if ((json_is_array(l) && json_array_size(l) != D) ||
            (json_is_array(h) && json_array_size(h) != D) || !json_is_number(ld) ||
            !json_is_number(hd))
            return fo_error_set(
                err, FO_EINVAL, "bounds",
                "bounds.lo and bounds.hi must be numbers or arrays of %zu", D);
        lo[d] = json_number_value(ld);
        hi[d] = json_number_value(hd);
    }
    return st;
}

static enum fo_status parse_flow(json_t *f, struct fo_flow_config *fc,
                                 struct fo_error *err) {
    static const char *const keys[] = {"layers", "hidden",      "bins",
                                       "bound",  "permutation", NULL};
    if (!json_is_object(f))
        return fo_error_set(err, FO_EINVAL, "flow", "flow must be an object");
    enum fo_status st = fo_json_only_keys(f, keys, "flow", err);
    json_t *layers = json_object_get(f, "layers");
    if (st == FO_OK && layers) {
        if (!json_is_array(layers) || json_array_size(layers) < 1 ||
            json_array_size(layers) > FO_FLOW_MAX_LAYERS)
            return fo_error_set(err, FO_EINVAL, "flow.layers",
                                "flow.layers must be 1 to %d layer names",
                                FO_FLOW_MAX_LAYERS);
        fc->n_layers = json_array_size(layers);
        for (size_t l = 0; l < fc->n_layers; l++)
            if (fo_layer_kind_parse(json_string_value(json_array_get(layers, l)),
                                    &fc->kinds[l]) != 0)
                return fo_error_set(
                    err, FO_EINVAL, "flow.layers",
                    "flow.layers[%zu]: spline-ar, spline-coupling, affine-ar,"
                    " gaussian or gaussian-full",
                    l);
    }
    json_t *hidden = json_object_get(f, "hidden");
    if (st == FO_OK && hidden) {
        if (!json_is_array(hidden) || json_array_size(hidden) > FO_FLOW_MAX_HIDDEN_LAYERS)
            return fo_error_set(err, FO_EINVAL, "flow.hidden",
                                "flow.hidden must be up to %d sizes",
                                FO_FLOW_MAX_HIDDEN_LAYERS);
        fc->n_hidden = json_array_size(hidden);
        for (size_t i = 0; i < fc->n_hidden; i++) {
            json_t *v = json_array_get(hidden, i);
            if (!json_is_integer(v) || json_integer_value(v) < 1 ||
                json_integer_value(v) > FO_FLOW_MAX_HIDDEN)
                return fo_error_set(err, FO_ERANGE, "flow.hidden",
                                    "flow.hidden sizes must be 1..%d",
                                    FO_FLOW_MAX_HIDDEN);
            fc->hidden[i] = (size_t)json_integer_value(v);
        }
    }
    long long bins = (long long)fc->bins;
    if (st == FO_OK && (st = fo_json_int(f, "bins", "flow.bins", 2, FO_FLOW_MAX_BINS,
                                         &bins, err)) == FO_OK)
        fc->bins = (size_t)bins;
    if (st == FO_OK)
        st = fo_json_num(f, "bound", "flow.bound", 1e-6, 1e6, &fc->bound, err);
    json_t *perm = json_object_get(f, "permutation");
    if (st == FO_OK && perm) {
        const char *p = json_string_value(perm);
        if (!p || (strcmp(p, "reverse") && strcmp(p, "random")))
            return fo_error_set(err, FO_EINVAL, "flow.permutation",
                                "flow.permutation must be reverse or random");
        fc->perm = strcmp(p, "random") == 0 ? FO_PERM_RANDOM : FO_PERM_REVERSE;
    }
    return st;
}

static enum fo_status parse_optimizer(json_t *o, struct fo_run_config *cfg,
                                      struct fo_error *err) {
    struct fo_opt_config *oc = &cfg->opt;
    static const char *const keys[] = {
        "preset",        "utility",           "lr",
        "kl_target",     "entropy_coef",      "reuse_generations",
        "mirrored",      "trust_region",      "restarts",
        "restart_stall", "restart_stall_tol", NULL};
    enum fo_status st = fo_json_only_keys(o, keys, "optimizer", err);
    json_t *u = json_object_get(o, "utility");
    if (st == FO_OK && u && fo_utility_parse(json_string_value(u), &oc->utility) != 0)
        return fo_error_set(
            err, FO_EINVAL, "optimizer.utility",
            "optimizer.utility must be rank, centered-rank, zscore or raw");
    if (st == FO_OK)
        st = fo_json_num(o, "lr", "optimizer.lr", 1e-9, 100.0, &oc->lr, err);
    if (st == FO_OK && oc->lr < oc->lr_min)
        oc->lr_min = oc->lr;
    if (st == FO_OK && oc->lr > oc->lr_max)
        oc->lr_max = oc->lr;
    if (st == FO_OK)
        st = fo_json_num(o, "kl_target", "optimizer.kl_target", 1e-6, 100.0,
                         &oc->kl_target, err);
    if (st == FO_OK)
        st = fo_json_num(o, "entropy_coef", "optimizer.entropy_coef", 0.0, 100.0,
                         &oc->entropy_coef, err);
    long long v = oc->reuse_generations;
    if (st == FO_OK &&
        (st = fo_json_int(o, "reuse_generations", "optimizer.reuse_generations", 0, 50,
                          &v, err)) == FO_OK)
        oc->reuse_generations = (unsigned)v;
    v = cfg->restarts;
    if (st == FO_OK && (st = fo_json_int(o, "restarts", "optimizer.restarts", 0, 1000, &v,
                                         err)) == FO_OK)
        cfg->restarts = (unsigned)v;
    v = cfg->restart_stall;
    if (st == FO_OK && (st = fo_json_int(o, "restart_stall", "optimizer.restart_stall", 0,
                                         10000, &v, err)) == FO_OK)
        cfg->restart_stall = (unsigned)v;
    if (st == FO_OK)
        st = fo_json_num(o, "restart_stall_tol", "optimizer.restart_stall_tol", 0.0, 1.0,
                         &cfg->restart_stall_tol, err);
    const char *flags[2] = {"mirrored", "trust_region"};
    int *targets[2] = {&oc->mirrored, &oc->trust_region};
    for (int i = 0; st == FO_OK && i < 2; i++) {
        json_t *b = json_object_get(o, flags[i]);
        if (b && !json_is_boolean(b))
            return fo_error_set(err, FO_EINVAL, flags[i],
                                "optimizer.%s must be true or false", flags[i]);
        if (b)
            *targets[i] = json_is_true(b);
    }
    return st;
}

/* The run configuration of a create request, with every default filled in. */
static enum fo_status parse_create(json_t *root, struct fo_run_config *cfg, double *lo,
                                   double *hi, const char **name, struct fo_error *err) {
    static const char *const keys[] = {
        "name", "dim",       "bounds", "direction",         "batch_size",
        "seed", "budget",    "target", "pending_timeout_s", "patience",
        "flow", "optimizer", NULL};
    enum fo_status st = fo_json_only_keys(root, keys, "the run", err);
    long long dim = 0;
    if (st == FO_OK && !json_object_get(root, "dim"))
        return fo_error_set(err, FO_EINVAL, "dim", "dim is required");
    if (st == FO_OK)
        st = fo_json_int(root, "dim", "dim", 1, FO_FLOW_MAX_DIM, &dim, err);
    json_t *opt = json_object_get(root, "optimizer");
    if (st == FO_OK && opt && !json_is_object(opt))
        return fo_error_set(err, FO_EINVAL, "optimizer", "optimizer must be an object");
    const char *preset = opt && json_object_get(opt, "preset")
                             ? json_string_value(json_object_get(opt, "preset"))
                             : "default";
    if (st != FO_OK)
        return st;
    if (!preset || fo_run_preset(cfg, preset, (size_t)dim) != 0)
        return fo_error_set(err, FO_EINVAL, "optimizer.preset",
                            "optimizer.preset must be default, seed or nes");
    const char *dir = json_string_value(json_object_get(root, "direction"));
    if (!dir || (strcmp(dir, "minimize") && strcmp(dir, "maximize")))
        return fo_error_set(err, FO_EINVAL, "direction",
                            "direction is required: minimize or maximize");
    cfg->direction = strcmp(dir, "maximize") == 0 ? FO_MAXIMIZE : FO_MINIMIZE;
    json_t *n = json_object_get(root, "name");
    if (n && !json_is_string(n))
        return fo_error_set(err, FO_EINVAL, "name", "name must be a string");
    *name = n ? json_string_value(n) : "";
    json_t *b = json_object_get(root, "bounds");
    if (b && !json_is_null(b)) {
        if ((st = parse_bounds(b, (size_t)dim, lo, hi, err)) != FO_OK)
            return st;
        cfg->flow.lo = lo;
        cfg->flow.hi = hi;
    }
    long long batch = (long long)cfg->batch_size, seed = 1, budget = 0;
    if ((st = fo_json_int(root, "batch_size", "batch_size", 2, 10000, &batch, err)) ||
        (st = fo_json_int(root, "seed", "seed", 0, INT64_MAX, &seed, err)) ||
        (st = fo_json_int(root, "budget", "budget", 0, INT64_MAX, &budget, err)))
        return st;
    cfg->batch_size = (size_t)batch;
    cfg->seed = cfg->flow.seed = (uint64_t)seed;
    cfg->budget = (uint64_t)budget;
    if (json_object_get(root, "target") &&
        !json_is_null(json_object_get(root, "target"))) {
        cfg->has_target = 1;
        if ((st = fo_json_num(root, "target", "target", -INFINITY, INFINITY, &cfg->target,
                              err)))
            return st;
    }
    if ((st = fo_json_num(root, "pending_timeout_s", "pending_timeout_s", 0.0, 1e9,
                          &cfg->pending_timeout_s, err)))
        return st;
    long long patience = cfg->patience;
    if ((st = fo_json_int(root, "patience", "patience", 0, 1000000, &patience, err)))
        return st;
    cfg->patience = (unsigned)patience;
    json_t *flow = json_object_get(root, "flow");
    if (flow && (st = parse_flow(flow, &cfg->flow, err)) != FO_OK)
        return st;
    return opt ? parse_optimizer(opt, cfg, err) : FO_OK;
}

/* ---- JSON out ------------------------------------------------------------ */

static void create_run(const struct fo_http_request *req, struct fo_http_reply *rep) {
    struct fo_error err = {0};
    json_t *root = NULL;
    struct fo_run_config cfg;
    double *lo = malloc(2 * FO_FLOW_MAX_DIM * sizeof *lo);
    const char *name = "";
    char id[FO_RUN_ID_LEN + 1];
    enum fo_status st =
        lo ? fo_json_parse_object(req->body, req->body_len, &root, &err) : FO_ENOMEM;
    if (st == FO_OK)
        st = parse_create(root, &cfg, lo, lo + FO_FLOW_MAX_DIM, &name, &err);
    if (st == FO_OK)
        st = fo_service_run_create(req->svc, &cfg, name, id, &err);
    if (st == FO_OK) {
        snprintf(rep->location, sizeof rep->location, "/v1/runs/%s", id);
        fo__reply_run(req, rep, id, 201);
    } else {
        fo__reply_status(rep, st, &err);
    }
    json_decref(root);
    free(lo);
}

static void get_run(const struct fo_http_request *req, struct fo_http_reply *rep) {
    fo__reply_run(req, rep, req->params[0], 200);
}

/* A number field of a patch into *out, setting bit in t->set when present. */
static enum fo_status tune_num(json_t *obj, const char *key, const char *field, double lo,
                               double hi, double *out, unsigned bit, struct fo_tune *t,
                               struct fo_error *err) {
    if (!obj || !json_object_get(obj, key))
        return FO_OK;
    t->set |= bit;
    return fo_json_num(obj, key, field, lo, hi, out, err);
}

/* The live settings of a PATCH body (fo_engine_tune checks them as a whole). */
static enum fo_status parse_tune(json_t *root, struct fo_tune *t, struct fo_error *err) {
    memset(t, 0, sizeof *t);
    json_t *opt = json_object_get(root, "optimizer");
    static const char *const opt_keys[] = {"kl_target", "entropy_coef", NULL};
    if (opt && !json_is_object(opt))
        return fo_error_set(err, FO_EINVAL, "optimizer", "optimizer must be an object");
    enum fo_status st = opt ? fo_json_only_keys(opt, opt_keys, "optimizer", err) : FO_OK;
    if (st == FO_OK)
        st = tune_num(root, "lr", "lr", 1e-12, 100.0, &t->lr, FO_TUNE_LR, t, err);
    if (st == FO_OK)
        st = tune_num(root, "pending_timeout_s", "pending_timeout_s", 0.0, 1e9,
                      &t->pending_timeout_s, FO_TUNE_PENDING_TIMEOUT, t, err);
    if (st == FO_OK)
        st = tune_num(opt, "kl_target", "optimizer.kl_target", 1e-6, 100.0, &t->kl_target,
                      FO_TUNE_KL_TARGET, t, err);
    if (st == FO_OK)
        st = tune_num(opt, "entropy_coef", "optimizer.entropy_coef", 0.0, 100.0,
                      &t->entropy_coef, FO_TUNE_ENTROPY_COEF, t, err);
    long long budget = 0, patience = 0;
    if (st == FO_OK && json_object_get(root, "budget") &&
        (st = fo_json_int(root, "budget", "budget", 0, INT64_MAX, &budget, err)) ==
            FO_OK) {
        t->set |= FO_TUNE_BUDGET;
        t->budget = (uint64_t)budget;
    }
    if (st == FO_OK && json_object_get(root, "patience") &&
        (st = fo_json_int(root, "patience", "patience", 0, 1000000, &patience, err)) ==
            FO_OK) {
        t->set |= FO_TUNE_PATIENCE;
        t->patience = (unsigned)patience;
    }
    json_t *target = json_object_get(root, "target");
    if (st == FO_OK && target) {
        t->set |= FO_TUNE_TARGET;
        t->has_target = !json_is_null(target);
        if (t->has_target)
            st = fo_json_num(root, "target", "target", -INFINITY, INFINITY, &t->target,
                             err);
    }
    return st;
}

static void patch_run(const struct fo_http_request *req, struct fo_http_reply *rep) {
    struct fo_error err = {0};
    json_t *root = NULL;
    static const char *const keys[] = {
        "name",      "state", "lr", "budget", "target", "patience", "pending_timeout_s",
        "optimizer", NULL};
    struct fo_tune tune;
    enum fo_status st =
        fo_json_parse_request(req->body, req->body_len, keys, "the patch", &root, &err);
    json_t *name = root ? json_object_get(root, "name") : NULL;
    json_t *state = root ? json_object_get(root, "state") : NULL;
    if (st == FO_OK && name && !json_is_string(name))
        st = fo_error_set(&err, FO_EINVAL, "name", "name must be a string");
    if (st == FO_OK && state && !json_is_string(state))
        st = fo_error_set(&err, FO_EINVAL, "state", "state must be a string");
    if (st == FO_OK)
        st = parse_tune(root, &tune, &err);
    if (st == FO_OK)
        st = fo_service_run_patch(req->svc, req->params[0], json_string_value(name),
                                  json_string_value(state), &tune, &err);
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
    {"GET", "/v1/runs", 0, list_runs, "limit cursor"},
    {"PATCH", "/v1/runs/{id}", 4096, patch_run, NULL},
    {"DELETE", "/v1/runs/{id}", 0, delete_run, NULL},
    {"POST", "/v1/runs", MAX_CREATE_BODY, create_run, NULL},
    {"GET", "/v1/runs/{id}", 0, get_run, NULL},
};
const size_t fo__n_runs_routes = sizeof fo__runs_routes / sizeof fo__runs_routes[0];
