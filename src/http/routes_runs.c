/*
 * routes_runs.c - runs over HTTP: create, read, ask, tell, best, history.
 * Translation only: JSON in, a service call, JSON out; every failure goes
 * through fo_reply_error (problem+json naming the field).
 */
#include "http/jsonio.h"
#include "http/router.h"
#include "service/runs.h"
#include "service/service.h"
#include "util/text.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CREATE_BODY (64 * 1024)
#define MAX_TELL_BODY (4 * 1024 * 1024)
#define MAX_ASK_BODY 1024
#define MAX_ASK 10000

static void reply_status(struct fo_http_reply *rep, enum fo_status st,
                         struct fo_error *err) {
    if (err->code == FO_OK)
        fo_error_set(err, st, NULL, "%s", fo_strerror(st));
    fo_reply_error(rep, err);
}

/* ---- configuration in -------------------------------------------------- */

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

static enum fo_status parse_optimizer(json_t *o, struct fo_opt_config *oc,
                                      struct fo_error *err) {
    static const char *const keys[] = {"preset",    "utility",      "lr",
                                       "kl_target", "entropy_coef", "reuse_generations",
                                       "mirrored",  "trust_region", NULL};
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
    static const char *const keys[] = {"name",      "dim",        "bounds",
                                       "direction", "batch_size", "seed",
                                       "budget",    "target",     "pending_timeout_s",
                                       "flow",      "optimizer",  NULL};
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
    json_t *flow = json_object_get(root, "flow");
    if (flow && (st = parse_flow(flow, &cfg->flow, err)) != FO_OK)
        return st;
    return opt ? parse_optimizer(opt, &cfg->opt, err) : FO_OK;
}

/* ---- JSON out ------------------------------------------------------------ */

static json_t *config_json(const struct fo_run_view *v) {
    const struct fo_run_config *c = &v->cfg;
    const size_t D = c->flow.dim;
    json_t *layers = json_array(), *hidden = json_array(), *bounds = json_array();
    for (size_t l = 0; l < c->flow.n_layers; l++)
        json_array_append_new(layers, json_string(fo_layer_kind_name(c->flow.kinds[l])));
    for (size_t i = 0; i < c->flow.n_hidden; i++)
        json_array_append_new(hidden, json_integer((json_int_t)c->flow.hidden[i]));
    int bounded = 0;
    for (size_t d = 0; d < D; d++) {
        bounded |= isfinite(v->lo[d]);
        json_array_append_new(
            bounds, json_pack("[oo]", fo_json_real(v->lo[d]), fo_json_real(v->hi[d])));
    }
    json_t *flow =
        json_pack("{s:o, s:o, s:I, s:f, s:s}", "layers", layers, "hidden", hidden, "bins",
                  (json_int_t)c->flow.bins, "bound", c->flow.bound, "permutation",
                  c->flow.perm == FO_PERM_RANDOM ? "random" : "reverse");
    json_t *opt = json_pack("{s:s, s:f, s:f, s:f, s:I, s:b, s:b, s:I}", "utility",
                            fo_utility_name(c->opt.utility), "lr", c->opt.lr, "kl_target",
                            c->opt.kl_target, "entropy_coef", c->opt.entropy_coef,
                            "reuse_generations", (json_int_t)c->opt.reuse_generations,
                            "mirrored", c->opt.mirrored, "trust_region",
                            c->opt.trust_region, "restarts", (json_int_t)c->restarts);
    return json_pack(
        "{s:I, s:o, s:s, s:I, s:I, s:I, s:o, s:f, s:o, s:o}", "dim", (json_int_t)D,
        "bounds", bounded ? bounds : (json_decref(bounds), json_null()), "direction",
        c->direction == FO_MAXIMIZE ? "maximize" : "minimize", "batch_size",
        (json_int_t)c->batch_size, "seed", (json_int_t)c->seed, "budget",
        (json_int_t)c->budget, "target",
        c->has_target ? fo_json_real(c->target) : json_null(), "pending_timeout_s",
        c->pending_timeout_s, "flow", flow, "optimizer", opt);
}

static json_t *run_json(const struct fo_run_view *v) {
    const struct fo_engine_counters *k = &v->counters;
    json_t *counters = json_pack(
        "{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "asked", (json_int_t)k->asked,
        "told", (json_int_t)k->told, "failed", (json_int_t)k->failed, "pending",
        (json_int_t)k->pending, "updates", (json_int_t)k->updates, "generation",
        (json_int_t)k->generation, "rollbacks", (json_int_t)k->rollbacks, "restarts",
        (json_int_t)k->restarts, "batch_size", (json_int_t)k->batch_size);
    return json_pack(
        "{s:s, s:s, s:s, s:o, s:o, s:o, s:s}", "id", v->id, "name", v->name, "state",
        v->state, "config", config_json(v), "counters", counters, "best",
        v->has_best ? json_pack("{s:o}", "value", fo_json_real(v->best_value))
                    : json_null(),
        "stop_reason", fo_stop_name(v->stop));
}

static json_t *step_json(const struct fo_step_report *r) {
    json_t *events = json_array();
    for (unsigned b = 0; b < 16; b++)
        if (r->events & (1u << b)) {
            char name[40];
            fo_event_names(1u << b, name, sizeof name);
            json_array_append_new(events, json_string(name));
        }
    return json_pack(
        "{s:I, s:I, s:I, s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "step",
        (json_int_t)r->step, "generation", (json_int_t)r->generation, "evaluations",
        (json_int_t)r->evaluations, "n", (json_int_t)r->n, "mean", fo_json_real(r->mean),
        "median", fo_json_real(r->median), "best", fo_json_real(r->best), "best_ever",
        fo_json_real(r->best_ever), "entropy", fo_json_real(r->entropy), "grad_norm",
        fo_json_real(r->grad_norm), "kl", fo_json_real(r->kl), "lr", fo_json_real(r->lr),
        "ess", fo_json_real(r->ess), "events", events);
}

static void reply_run(const struct fo_http_request *req, struct fo_http_reply *rep,
                      const char *id, unsigned status) {
    struct fo_error err = {0};
    struct fo_run_view *v = malloc(sizeof *v);
    enum fo_status st = v ? fo_service_run_view(req->svc, id, v, &err) : FO_ENOMEM;
    if (st != FO_OK)
        reply_status(rep, st, &err);
    else
        fo_reply_json(rep, status, run_json(v));
    free(v);
}

/* ---- handlers ------------------------------------------------------------ */

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
        reply_run(req, rep, id, 201);
    } else {
        reply_status(rep, st, &err);
    }
    json_decref(root);
    free(lo);
}

static void get_run(const struct fo_http_request *req, struct fo_http_reply *rep) {
    reply_run(req, rep, req->params[0], 200);
}

static void ask(const struct fo_http_request *req, struct fo_http_reply *rep) {
    struct fo_error err = {0};
    json_t *root = NULL;
    static const char *const keys[] = {"n", NULL};
    long long n = 1;
    enum fo_status st = fo_json_parse_object(req->body, req->body_len, &root, &err);
    if (st == FO_OK)
        st = fo_json_only_keys(root, keys, "the ask", &err);
    if (st == FO_OK)
        st = fo_json_int(root, "n", "n", 1, MAX_ASK, &n, &err);
    json_decref(root);
    size_t D = fo_service_run_dim(req->svc, req->params[0]);
    if (st == FO_OK && D == 0)
        st = fo_error_set(&err, FO_ENOTFOUND, "id", "no run %.64s", req->params[0]);
    const char *key = fo_http_header(req, "Idempotency-Key");
    if (st == FO_OK && key && (!*key || strlen(key) > 200))
        st = fo_error_set(&err, FO_EINVAL, "Idempotency-Key",
                          "keys are 1 to 200 characters");
    struct fo_sample *s = st == FO_OK ? malloc((size_t)n * sizeof *s) : NULL;
    double *x = st == FO_OK ? malloc((size_t)n * D * sizeof *x) : NULL;
    if (st == FO_OK && (!s || !x))
        st = fo_error_set(&err, FO_ENOMEM, "n", "out of memory");
    if (st == FO_OK)
        st = fo_service_ask(req->svc, req->params[0], (size_t)n, key, s, x, &err);
    if (st == FO_OK) {
        json_t *arr = json_array();
        for (size_t i = 0; i < (size_t)n; i++) {
            json_t *xs = json_array();
            for (size_t d = 0; d < D; d++)
                json_array_append_new(xs, fo_json_real(x[i * D + d]));
            json_array_append_new(
                arr, json_pack("{s:o, s:o, s:o, s:I}", "id", fo_json_id(s[i].id), "x", xs,
                               "log_prob", fo_json_real(s[i].log_prob), "generation",
                               (json_int_t)s[i].generation));
        }
        fo_reply_json(rep, 200, json_pack("{s:o}", "samples", arr));
    } else {
        reply_status(rep, st, &err);
    }
    free(s);
    free(x);
}

/* One entry of "results". */
static enum fo_status parse_result(json_t *r, size_t i, struct fo_tell_item *it,
                                   struct fo_error *err) {
    static const char *const keys[] = {"id", "value", "status", "error", NULL};
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
    if (json_object_get(r, "status") && (!status || strcmp(status, "failed") != 0))
        return fo_error_set(err, FO_EINVAL, "status", "%s.status may only be \"failed\"",
                            where);
    it->failed = status != NULL;
    it->error = json_string_value(json_object_get(r, "error"));
    if (it->failed)
        return value ? fo_error_set(err, FO_EINVAL, "value",
                                    "%s: a failed result has no value", where)
                     : FO_OK;
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
    static const char *const keys[] = {"results", NULL};
    enum fo_status st = fo_json_parse_object(req->body, req->body_len, &root, &err);
    if (st == FO_OK)
        st = fo_json_only_keys(root, keys, "the tell", &err);
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
    if (st == FO_OK) {
        json_t *updates = json_array();
        for (size_t i = 0; i < out.n_reports; i++)
            json_array_append_new(updates, step_json(&reps[i]));
        fo_reply_json(rep, 200,
                      json_pack("{s:I, s:I, s:o}", "accepted", (json_int_t)out.accepted,
                                "duplicates", (json_int_t)out.duplicates, "updates",
                                updates));
    } else {
        reply_status(rep, st, &err);
    }
    json_decref(root);
    free(items);
    free(reps);
}

static void best(const struct fo_http_request *req, struct fo_http_reply *rep) {
    struct fo_error err = {0};
    size_t D = fo_service_run_dim(req->svc, req->params[0]);
    double *x = malloc((D ? D : 1) * sizeof *x), value = 0.0;
    uint64_t sid = 0, gen = 0;
    enum fo_status st =
        !D   ? fo_error_set(&err, FO_ENOTFOUND, "id", "no run %.64s", req->params[0])
        : !x ? FO_ENOMEM
             : fo_service_best(req->svc, req->params[0], x, &value, &sid, &gen, &err);
    if (st == FO_OK) {
        json_t *xs = json_array();
        for (size_t d = 0; d < D; d++)
            json_array_append_new(xs, fo_json_real(x[d]));
        fo_reply_json(rep, 200,
                      json_pack("{s:o, s:o, s:o, s:I}", "x", xs, "value",
                                fo_json_real(value), "sample_id", fo_json_id(sid),
                                "generation", (json_int_t)gen));
    } else {
        reply_status(rep, st, &err);
    }
    free(x);
}

static int collect_step(void *ctx, const struct fo_step_report *row) {
    json_array_append_new((json_t *)ctx, step_json(row));
    return 0;
}

/* A non-negative integer query argument, or def when absent. -1 when malformed. */
static long long query_int(const struct fo_http_request *req, const char *key,
                           long long def, long long max) {
    const char *v = fo_http_query(req, key);
    if (!v)
        return def;
    char *end = NULL;
    long long n = strtoll(v, &end, 10);
    return *v && end && !*end && n >= 0 && n <= max ? n : -1;
}

/* A CSV field for a double: empty when not finite. */
static void csv_real(struct fo_text *t, double v) {
    if (isfinite(v))
        fo_text_printf(t, ",%.17g", v);
    else
        fo_text_printf(t, ",");
}

static int csv_step(void *ctx, const struct fo_step_report *r) {
    struct fo_text *t = ctx;
    char events[200];
    fo_event_names(r->events, events, sizeof events);
    fo_text_printf(t, "%llu,%llu,%llu,%zu", (unsigned long long)r->step,
                   (unsigned long long)r->generation, (unsigned long long)r->evaluations,
                   r->n);
    const double v[] = {r->mean,      r->median, r->best, r->best_ever, r->entropy,
                        r->grad_norm, r->kl,     r->lr,   r->ess};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        csv_real(t, v[i]);
    /* event names are [a-z_] joined by commas: quote the field */
    fo_text_printf(t, ",\"%s\"\n", events);
    return 0;
}

static void history(const struct fo_http_request *req, struct fo_http_reply *rep) {
    struct fo_error err = {0};
    long long after = query_int(req, "after", 0, INT64_MAX);
    long long limit = query_int(req, "limit", 1000, 10000);
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
        fo_text_printf(&t,
                       "step,generation,evaluations,n,mean,median,best,best_ever,entropy,"
                       "grad_norm,kl,lr,ess,events\n");
        enum fo_status st = fo_service_history(req->svc, req->params[0], (uint64_t)after,
                                               (uint64_t)limit, csv_step, &t, &err);
        if (st != FO_OK || t.failed) {
            free(t.p);
            reply_status(rep, st != FO_OK ? st : FO_ENOMEM, &err);
            return;
        }
        rep->status = 200;
        rep->body = t.p;
        rep->body_len = t.len;
        rep->content_type = "text/csv";
        return;
    }
    json_t *steps = json_array();
    enum fo_status st = fo_service_history(req->svc, req->params[0], (uint64_t)after,
                                           (uint64_t)limit, collect_step, steps, &err);
    if (st == FO_OK)
        fo_reply_json(rep, 200, json_pack("{s:o}", "steps", steps));
    else {
        json_decref(steps);
        reply_status(rep, st, &err);
    }
}

static void step(const struct fo_http_request *req, struct fo_http_reply *rep) {
    struct fo_error err = {0};
    struct fo_step_report r;
    if (req->body_len) {
        json_t *root = NULL;
        static const char *const none[] = {NULL};
        enum fo_status st = fo_json_parse_object(req->body, req->body_len, &root, &err);
        if (st == FO_OK)
            st = fo_json_only_keys(root, none, "the step", &err);
        json_decref(root);
        if (st != FO_OK) {
            reply_status(rep, st, &err);
            return;
        }
    }
    enum fo_status st = fo_service_step(req->svc, req->params[0], &r, &err);
    if (st == FO_OK)
        fo_reply_json(rep, 200, json_pack("{s:[o]}", "updates", step_json(&r)));
    else
        reply_status(rep, st, &err);
}

static void patch_run(const struct fo_http_request *req, struct fo_http_reply *rep) {
    struct fo_error err = {0};
    json_t *root = NULL;
    static const char *const keys[] = {"name", "state", "lr", NULL};
    double lr = NAN;
    enum fo_status st = fo_json_parse_object(req->body, req->body_len, &root, &err);
    if (st == FO_OK)
        st = fo_json_only_keys(root, keys, "the patch", &err);
    json_t *name = root ? json_object_get(root, "name") : NULL;
    json_t *state = root ? json_object_get(root, "state") : NULL;
    if (st == FO_OK && name && !json_is_string(name))
        st = fo_error_set(&err, FO_EINVAL, "name", "name must be a string");
    if (st == FO_OK && state && !json_is_string(state))
        st = fo_error_set(&err, FO_EINVAL, "state", "state must be a string");
    if (st == FO_OK)
        st = fo_json_num(root, "lr", "lr", 1e-12, 100.0, &lr, &err);
    if (st == FO_OK)
        st = fo_service_run_patch(req->svc, req->params[0], json_string_value(name),
                                  json_string_value(state), lr, &err);
    json_decref(root);
    if (st == FO_OK)
        reply_run(req, rep, req->params[0], 200);
    else
        reply_status(rep, st, &err);
}

static void delete_run(const struct fo_http_request *req, struct fo_http_reply *rep) {
    struct fo_error err = {0};
    enum fo_status st = fo_service_run_delete(req->svc, req->params[0], &err);
    if (st == FO_OK)
        rep->status = 204;
    else
        reply_status(rep, st, &err);
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
        json_array_append_new(c->runs, run_json(v));
        snprintf(c->last, sizeof c->last, "%s", id);
        c->count++;
    }
    free(v);
    return 0;
}

static void list_runs(const struct fo_http_request *req, struct fo_http_reply *rep) {
    struct fo_error err = {0};
    long long limit = query_int(req, "limit", 100, 1000);
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
        reply_status(rep, st, &err);
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

struct samples_ctx {
    json_t *rows;
    size_t count;
    uint64_t last;
    int csv;
    struct fo_text text;
};

static int collect_sample(void *p, const struct fo_sample_record *r) {
    struct samples_ctx *c = p;
    c->count++;
    c->last = r->id;
    if (c->csv) {
        fo_text_printf(&c->text, "%llu,%llu,%s,", (unsigned long long)r->id,
                       (unsigned long long)r->generation, r->status);
        if (isfinite(r->value))
            fo_text_printf(&c->text, "%.17g", r->value);
        fo_text_printf(&c->text, ",%.17g,%s,%s", r->log_prob, r->asked_at,
                       r->told_at ? r->told_at : "");
        for (size_t d = 0; d < r->dim; d++)
            fo_text_printf(&c->text, ",%.17g", r->x[d]);
        fo_text_printf(&c->text, "\n");
        return 0;
    }
    json_t *xs = json_array();
    for (size_t d = 0; d < r->dim; d++)
        json_array_append_new(xs, fo_json_real(r->x[d]));
    json_array_append_new(
        c->rows,
        json_pack("{s:o, s:o, s:s, s:o, s:I, s:o, s:s, s:o}", "id", fo_json_id(r->id),
                  "x", xs, "status", r->status, "value", fo_json_real(r->value),
                  "generation", (json_int_t)r->generation, "log_prob",
                  fo_json_real(r->log_prob), "asked_at", r->asked_at, "told_at",
                  r->told_at ? json_string(r->told_at) : json_null()));
    return 0;
}

static void samples(const struct fo_http_request *req, struct fo_http_reply *rep) {
    struct fo_error err = {0};
    long long limit = query_int(req, "limit", 1000, 10000);
    long long gen = query_int(req, "generation", -1, INT64_MAX);
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
    else if (status && strcmp(status, "pending") && strcmp(status, "told") &&
             strcmp(status, "failed") && strcmp(status, "expired"))
        st = fo_error_set(&err, FO_EINVAL, "status",
                          "status must be pending, told, failed or expired");
    else if (cursor && fo_json_parse_id(cursor, &after) != 0)
        st = fo_error_set(&err, FO_EINVAL, "cursor", "cursor must come from next_cursor");
    else if (format && strcmp(format, "json") && strcmp(format, "csv"))
        st = fo_error_set(&err, FO_EINVAL, "format", "format must be json or csv");
    if (st != FO_OK) {
        fo_reply_error(rep, &err);
        return;
    }
    struct samples_ctx c = {json_array(), 0, 0, format && !strcmp(format, "csv"), {0}};
    if (c.csv)
        fo_text_printf(&c.text,
                       "id,generation,status,value,log_prob,asked_at,told_at,x...\n");
    st = fo_service_samples(req->svc, req->params[0], status, gen, after,
                            (size_t)limit + 1, collect_sample, &c, &err);
    if (st != FO_OK) {
        json_decref(c.rows);
        free(c.text.p);
        reply_status(rep, st, &err);
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
    enum fo_status st = fo_json_parse_object(req->body, req->body_len, &root, &err);
    if (st == FO_OK)
        st = fo_json_only_keys(root, keys, "the request", &err);
    json_t *xs = root ? json_object_get(root, "x") : NULL;
    size_t D = fo_service_run_dim(req->svc, req->params[0]);
    size_t n = json_is_array(xs) ? json_array_size(xs) : 0;
    if (st == FO_OK && D == 0)
        st = fo_error_set(&err, FO_ENOTFOUND, "id", "no run %.64s", req->params[0]);
    if (st == FO_OK && (n == 0 || n > MAX_ASK))
        st = fo_error_set(&err, FO_EINVAL, "x", "x must be 1..%d points", MAX_ASK);
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
        reply_status(rep, st, &err);
    }
    json_decref(root);
    free(x);
    free(lp);
}

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
        reply_status(rep, st, &err);
    }
}

static void create_checkpoint(const struct fo_http_request *req,
                              struct fo_http_reply *rep) {
    struct fo_error err = {0};
    uint64_t cid = 0;
    enum fo_status st =
        fo_service_checkpoint_create(req->svc, req->params[0], &cid, &err);
    if (st != FO_OK) {
        reply_status(rep, st, &err);
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
        reply_run(req, rep, req->params[0], 200);
    else
        reply_status(rep, st, &err);
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
        fo_service_checkpoint_bytes(req->svc, req->params[0], cid, &bytes, &len, &err);
    if (st != FO_OK) {
        reply_status(rep, st, &err);
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
        reply_status(rep, st, err);
        return;
    }
    snprintf(rep->location, sizeof rep->location, "/v1/runs/%s", id);
    reply_run(req, rep, id, 201);
}

static void fork_run(const struct fo_http_request *req, struct fo_http_reply *rep) {
    struct fo_error err = {0};
    json_t *root = NULL;
    static const char *const keys[] = {"checkpoint", "name", NULL};
    uint64_t cid = 0;
    char id[FO_RUN_ID_LEN + 1];
    enum fo_status st = FO_OK;
    if (req->body_len) {
        st = fo_json_parse_object(req->body, req->body_len, &root, &err);
        if (st == FO_OK)
            st = fo_json_only_keys(root, keys, "the fork", &err);
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

const struct fo_route fo__runs_routes[] = {
    {"POST", "/v1/runs/import", 64 * 1024 * 1024, import_run},
    {"GET", "/v1/runs/{id}/checkpoints", 0, list_checkpoints},
    {"POST", "/v1/runs/{id}/checkpoints", 0, create_checkpoint},
    {"POST", "/v1/runs/{id}/checkpoints/{cid}/restore", 0, restore_checkpoint},
    {"GET", "/v1/runs/{id}/checkpoints/{cid}/export", 0, export_checkpoint},
    {"POST", "/v1/runs/{id}/fork", 4096, fork_run},
    {"GET", "/v1/runs", 0, list_runs},
    {"PATCH", "/v1/runs/{id}", 4096, patch_run},
    {"DELETE", "/v1/runs/{id}", 0, delete_run},
    {"POST", "/v1/runs/{id}/step", 1024, step},
    {"GET", "/v1/runs/{id}/samples", 0, samples},
    {"POST", "/v1/runs/{id}/log_prob", MAX_TELL_BODY, log_prob},
    {"POST", "/v1/runs", MAX_CREATE_BODY, create_run},
    {"GET", "/v1/runs/{id}", 0, get_run},
    {"POST", "/v1/runs/{id}/ask", MAX_ASK_BODY, ask},
    {"POST", "/v1/runs/{id}/tell", MAX_TELL_BODY, tell},
    {"GET", "/v1/runs/{id}/best", 0, best},
    {"GET", "/v1/runs/{id}/history", 0, history},
};
const size_t fo__n_runs_routes = sizeof fo__runs_routes / sizeof fo__runs_routes[0];
