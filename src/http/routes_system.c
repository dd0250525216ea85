/* routes_system.c - health and other routes about the daemon itself. */
#include "http/router.h"
#include "http/metrics.h"
#include "http/settings_json.h"
#include "util/text.h"
#include "service/runs.h"
#include "service/evaluators.h"
#include "service/service.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void get_health(const struct fo_http_request *req, struct fo_http_reply *rep) {
    struct fo_health h;
    fo_service_health(req->svc, &h);
    /* degraded is a 503, so a balancer or a probe stops sending writes */
    json_t *o = json_pack("{s:s, s:s, s:i}", "status", h.degraded[0] ? "degraded" : "ok",
                          "version", h.version, "schema_version", h.schema_version);
    if (h.degraded[0])
        json_object_set_new(o, "reason", json_string(h.degraded));
    fo_reply_json(rep, h.degraded[0] ? 503 : 200, o);
}

static void get_settings(const struct fo_http_request *req, struct fo_http_reply *rep) {
    (void)req;
    fo_reply_json(rep, 200, fo__settings_table_json());
}

static void get_metrics(const struct fo_http_request *req, struct fo_http_reply *rep) {
    struct fo_service_stats st;
    struct fo_text t = {0};
    fo_service_stats(req->svc, &st);
    struct fo_push_stats ps;
    fo_service_push_stats(req->svc, &ps);
    fo_text_printf(
        &t,
        "# HELP flowopt_runs Runs by state.\n# TYPE flowopt_runs gauge\n"
        "flowopt_runs{state=\"active\"} %zu\nflowopt_runs{state=\"paused\"} %zu\n"
        "flowopt_runs{state=\"finished\"} %zu\n"
        "# HELP flowopt_runs_parked Runs whose engine is out of memory until their next "
        "request.\n# TYPE flowopt_runs_parked gauge\nflowopt_runs_parked %zu\n"
        "# HELP flowopt_pending_samples Samples asked and not yet told.\n"
        "# TYPE flowopt_pending_samples gauge\nflowopt_pending_samples %llu\n"
        "# HELP flowopt_evaluations_total Values told.\n"
        "# TYPE flowopt_evaluations_total counter\nflowopt_evaluations_total %llu\n"
        "# HELP flowopt_cost_total The cost told with the results (shots, seconds, "
        "money).\n"
        "# TYPE flowopt_cost_total counter\nflowopt_cost_total %.17g\n"
        "# HELP flowopt_updates_total Optimizer updates.\n"
        "# TYPE flowopt_updates_total counter\nflowopt_updates_total %llu\n"
        "# HELP flowopt_rollbacks_total Updates rolled back by the divergence guard.\n"
        "# TYPE flowopt_rollbacks_total counter\nflowopt_rollbacks_total %llu\n"
        "# HELP flowopt_update_duration_seconds Time in tells that ran updates.\n"
        "# TYPE flowopt_update_duration_seconds summary\n"
        "flowopt_update_duration_seconds_sum %.9g\n"
        "flowopt_update_duration_seconds_count %llu\n"
        "# HELP flowopt_push_calls_total Calls to push-mode evaluators.\n"
        "# TYPE flowopt_push_calls_total counter\nflowopt_push_calls_total %llu\n"
        "# HELP flowopt_push_failures_total Calls whose samples were told failed.\n"
        "# TYPE flowopt_push_failures_total counter\nflowopt_push_failures_total %llu\n"
        "# HELP flowopt_push_retries_total Calls sent again after a timeout or a 5xx.\n"
        "# TYPE flowopt_push_retries_total counter\nflowopt_push_retries_total %llu\n"
        "# HELP flowopt_push_seconds_total Time the calls took.\n"
        "# TYPE flowopt_push_seconds_total counter\nflowopt_push_seconds_total %.9g\n"
        "# HELP flowopt_store_commits_total Transactions committed to the database.\n"
        "# TYPE flowopt_store_commits_total counter\nflowopt_store_commits_total %llu\n"
        "# HELP flowopt_store_syncs_total WAL syncs (durability full: one per group "
        "of concurrent commits).\n"
        "# TYPE flowopt_store_syncs_total counter\nflowopt_store_syncs_total %llu\n"
        "# HELP flowopt_store_checkpoints_total Background WAL checkpoints.\n"
        "# TYPE flowopt_store_checkpoints_total counter\n"
        "flowopt_store_checkpoints_total %llu\n",
        st.runs_active, st.runs_paused, st.runs_finished, st.runs_parked,
        (unsigned long long)st.pending, (unsigned long long)st.evaluations, st.cost,
        (unsigned long long)st.updates, (unsigned long long)st.rollbacks,
        st.update_seconds, (unsigned long long)st.timed_updates,
        (unsigned long long)ps.calls, (unsigned long long)ps.failures,
        (unsigned long long)ps.retries, ps.seconds, (unsigned long long)st.commits,
        (unsigned long long)st.syncs, (unsigned long long)st.checkpoints);
    fo_metrics_render(&t);
    if (t.failed) {
        free(t.p);
        fo_reply_problem(rep, 503, "out of memory", NULL, "cannot render the metrics");
        return;
    }
    rep->status = 200;
    rep->body = t.p;
    rep->body_len = t.len;
    rep->content_type = "text/plain; version=0.0.4";
}

const struct fo_route fo__system_routes[] = {
    {"GET", "/v1/health", 0, get_health, NULL, NULL},
    {"GET", "/metrics", 0, get_metrics, NULL, NULL},
    {"GET", "/v1/settings", 0, get_settings, NULL, NULL},
};
const size_t fo__n_system_routes = sizeof fo__system_routes / sizeof fo__system_routes[0];
