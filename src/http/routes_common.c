/* routes_common.c - helpers shared by the run routes; see routes_common.h. */
#include "http/jsonio.h"
#include "http/router.h"
#include "http/routes_common.h"
#include "http/settings_json.h"
#include "service/names.h"
#include "service/evaluators.h"
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

json_t *fo__run_json(const struct fo_run_view *v) {
    const struct fo_engine_counters *k = &v->counters;
    json_t *counters = json_pack(
        "{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "asked", (json_int_t)k->asked,
        "told", (json_int_t)k->told, "failed", (json_int_t)k->failed, "pending",
        (json_int_t)k->pending, "updates", (json_int_t)k->updates, "generation",
        (json_int_t)k->generation, "rollbacks", (json_int_t)k->rollbacks, "restarts",
        (json_int_t)k->restarts, "batch_size", (json_int_t)k->batch_size);
    json_object_set_new(counters, "wanted", json_integer((json_int_t)k->wanted));
    json_object_set_new(counters, "modelled", json_integer((json_int_t)k->modelled));
    json_object_set_new(counters, "reused", json_integer((json_int_t)k->reused));
    json_object_set_new(counters, "refined", json_integer((json_int_t)k->refined));
    json_object_set_new(counters, "lost", json_integer((json_int_t)k->lost));
    json_object_set_new(counters, "cost", json_real(k->cost));
    json_object_set_new(counters, "observed", json_integer((json_int_t)k->observed));
    json_object_set_new(counters, "phase",
                        json_string(k->refining    ? "refining"
                                    : k->modelling ? "modelling"
                                                   : "sampling"));
    /* a damaged run: read-only, and without settings when its snapshot
     * did not load */
    json_t *run =
        json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:s}", "id", v->id, "created_at",
                  v->created_at, "name", v->name, "state",
                  v->damage[0] ? "damaged" : fo_service_run_state_name(v->state),
                  "config", v->cfg.flow.dim ? fo__settings_json(&v->cfg) : json_null(),
                  "counters", counters, "best",
                  v->has_best ? json_pack("{s:o}", "value", fo_json_real(v->best_value))
                              : json_null(),
                  "stop_reason", fo_service_stop_name(v->stop));
    if (v->damage[0])
        json_object_set_new(run, "damage", json_string(v->damage));
    return run;
}

json_t *fo__step_json(const struct fo_step_report *r) {
    json_t *events = json_array();
    for (unsigned b = 0; b < 32; b++) /* every bit: the names table knows them */
        if (r->events & (1u << b)) {
            char name[40];
            fo_service_event_names(1u << b, name, sizeof name);
            if (name[0])
                json_array_append_new(events, json_string(name));
        }
    json_t *row = json_pack("{s:I, s:I, s:I, s:I}", "step", (json_int_t)r->step,
                            "generation", (json_int_t)r->generation, "evaluations",
                            (json_int_t)r->evaluations, "n", (json_int_t)r->n);
#define FIELD(name) json_object_set_new(row, #name, fo_json_real(r->name));
    FO_STEP_REALS(FIELD)
#undef FIELD
#define INT_FIELD(name)                                                                  \
    json_object_set_new(row, #name, json_integer((json_int_t)r->name));
    FO_STEP_INTS(INT_FIELD)
#undef INT_FIELD
    json_object_set_new(row, "events", events);
    return row;
}

void fo__reply_run(const struct fo_http_request *req, struct fo_http_reply *rep,
                   const char *id, unsigned status) {
    struct fo_error err = {0};
    struct fo_run_view *v = malloc(sizeof *v);
    enum fo_status st = v ? fo_service_run_view(req->svc, id, v, &err) : FO_ENOMEM;
    char *evaluator = NULL;
    if (st == FO_OK)
        st = fo_service_evaluator_get(req->svc, id, &evaluator, &err);
    if (st != FO_OK) {
        fo__reply_status(rep, st, &err);
    } else {
        json_t *run = fo__run_json(v);
        json_t *e = evaluator ? json_loads(evaluator, 0, NULL) : NULL;
        json_object_set_new(run, "evaluator", e ? e : json_null());
        fo_reply_json(rep, status, run);
    }
    free(evaluator);
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
