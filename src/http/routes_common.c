/* routes_common.c - helpers shared by the run routes; see routes_common.h. */
#include "http/jsonio.h"
#include "http/router.h"
#include "http/routes_common.h"
#include "service/runs.h"
#include "service/service.h"
#include "util/text.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fo__reply_status(struct fo_http_reply *rep, enum fo_status st,
                      struct fo_error *err) {
    if (err->code == FO_OK)
        fo_error_set(err, st, NULL, "%s", fo_strerror(st));
    fo_reply_error(rep, err);
}

/* ---- configuration in -------------------------------------------------- */

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
    json_t *opt = json_pack(
        "{s:s, s:f, s:f, s:f, s:I, s:b, s:b, s:I, s:I, s:f}", "utility",
        fo_utility_name(c->opt.utility), "lr", c->opt.lr, "kl_target", c->opt.kl_target,
        "entropy_coef", c->opt.entropy_coef, "reuse_generations",
        (json_int_t)c->opt.reuse_generations, "mirrored", c->opt.mirrored, "trust_region",
        c->opt.trust_region, "restarts", (json_int_t)c->restarts, "restart_stall",
        (json_int_t)c->restart_stall, "restart_stall_tol", c->restart_stall_tol);
    return json_pack("{s:I, s:o, s:s, s:I, s:I, s:I, s:o, s:f, s:I, s:o, s:o}", "dim",
                     (json_int_t)D, "bounds",
                     bounded ? bounds : (json_decref(bounds), json_null()), "direction",
                     c->direction == FO_MAXIMIZE ? "maximize" : "minimize", "batch_size",
                     (json_int_t)c->batch_size, "seed", (json_int_t)c->seed, "budget",
                     (json_int_t)c->budget, "target",
                     c->has_target ? fo_json_real(c->target) : json_null(),
                     "pending_timeout_s", c->pending_timeout_s, "patience",
                     (json_int_t)c->patience, "flow", flow, "optimizer", opt);
}

json_t *fo__run_json(const struct fo_run_view *v) {
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

json_t *fo__step_json(const struct fo_step_report *r) {
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

void fo__reply_run(const struct fo_http_request *req, struct fo_http_reply *rep,
                   const char *id, unsigned status) {
    struct fo_error err = {0};
    struct fo_run_view *v = malloc(sizeof *v);
    enum fo_status st = v ? fo_service_run_view(req->svc, id, v, &err) : FO_ENOMEM;
    if (st != FO_OK)
        fo__reply_status(rep, st, &err);
    else
        fo_reply_json(rep, status, fo__run_json(v));
    free(v);
}

/* ---- handlers ------------------------------------------------------------ */

/* A non-negative integer query argument, or def when absent. -1 when malformed. */
long long fo__query_int(const struct fo_http_request *req, const char *key, long long def,
                        long long max) {
    const char *v = fo_http_query(req, key);
    if (!v)
        return def;
    char *end = NULL;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    return *v && end && !*end && errno == 0 && n >= 0 && n <= max ? n : -1;
}
