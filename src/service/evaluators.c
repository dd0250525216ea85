/* evaluators.c - a run's push-mode evaluator; see evaluators.h. */
#include "service/evaluators.h"
#include "service/service_internal.h"
#include "store/runs_db.h"
#include "store/txn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct evaluator_write {
    const char *id, *text;
};

static enum fo_status write_evaluator(struct fo_store *store, void *ctx,
                                      struct fo_error *err) {
    const struct evaluator_write *w = ctx;
    return fo_store_run_evaluator_set(store, w->id, w->text, err);
}

enum fo_status fo_service_evaluator_set(struct fo_service *svc, const char *id,
                                        const char *text, struct fo_error *err) {
    struct fo_run *r = fo__run_acquire(svc, id, err);
    if (!r)
        return FO_ENOTFOUND;
    struct evaluator_write w = {r->id, text};
    uint64_t ticket = 0;
    enum fo_status st = fo_store_transact(svc->store, write_evaluator, &w, &ticket, err);
    fo__run_release(r);
    return st == FO_OK ? fo_store_wait(svc->store, ticket, err) : st;
}

enum fo_status fo_service_evaluator_get(struct fo_service *svc, const char *id,
                                        char **text, struct fo_error *err) {
    *text = NULL;
    if (!fo__run_exists(svc, id, err))
        return FO_ENOTFOUND;
    return fo_store_run_evaluator_get(svc->store, id, text, err);
}

enum fo_status fo_service_evaluators(struct fo_service *svc, fo_service_evaluator_fn fn,
                                     void *ctx, struct fo_error *err) {
    return fo_store_run_evaluators(svc->store, fn, ctx, err);
}

void fo_service_push_note(struct fo_service *svc, int failed, int retried,
                          double seconds) {
    pthread_mutex_lock(&svc->stats_lock);
    svc->push.calls++;
    svc->push.failures += failed != 0;
    svc->push.retries += retried != 0;
    svc->push.seconds += seconds;
    pthread_mutex_unlock(&svc->stats_lock);
}

void fo_service_push_stats(struct fo_service *svc, struct fo_push_stats *out) {
    pthread_mutex_lock(&svc->stats_lock);
    *out = svc->push;
    pthread_mutex_unlock(&svc->stats_lock);
}

int fo_service_evaluator_allowed(struct fo_service *svc, const char *host,
                                 unsigned port) {
    char list[sizeof svc->evaluator_allow];
    snprintf(list, sizeof list, "%s", svc->evaluator_allow);
    char *save = NULL;
    for (char *e = strtok_r(list, ", ", &save); e; e = strtok_r(NULL, ", ", &save)) {
        char *colon = strrchr(e, ':');
        unsigned want = 0;
        if (colon && colon[1]) {
            want = (unsigned)strtoul(colon + 1, NULL, 10);
            *colon = '\0';
        }
        if (strcasecmp(e, host) == 0 && (want == 0 || want == port))
            return 1;
    }
    return 0;
}
