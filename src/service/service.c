/*
 * service.c - the service's life cycle: store, runs loaded from it, and a
 * janitor thread that expires samples pending past their run's timeout and
 * parks runs left idle (their engines leave memory until the next use).
 */
#include "service/service.h"
#include "service/service_internal.h"

#include <flowopt/flowopt.h>
#include <errno.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DEFAULT_EXPIRY_INTERVAL_MS 1000

struct id_list {
    char (*ids)[FO_RUN_ID_LEN + 1];
    size_t n;
};

/* Snapshot the run ids, so expiring never holds the registry lock long. */
static struct id_list list_ids(struct fo_service *svc) {
    struct id_list l = {NULL, 0};
    pthread_rwlock_rdlock(&svc->registry_lock);
    l.ids = malloc((svc->n_runs ? svc->n_runs : 1) * sizeof *l.ids);
    for (size_t i = 0; l.ids && i < svc->n_runs; i++)
        memcpy(l.ids[l.n++], svc->runs[i]->id, FO_RUN_ID_LEN + 1);
    pthread_rwlock_unlock(&svc->registry_lock);
    return l;
}

static void *janitor(void *p) {
    struct fo_service *svc = p;
    pthread_mutex_lock(&svc->janitor_lock);
    while (!svc->stopping) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += svc->expiry_interval_ms / 1000;
        until.tv_nsec += (long)(svc->expiry_interval_ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        int rc = 0;
        while (!svc->stopping && rc != ETIMEDOUT)
            rc = pthread_cond_timedwait(&svc->janitor_wake, &svc->janitor_lock, &until);
        if (svc->stopping)
            break;
        pthread_mutex_unlock(&svc->janitor_lock);
        struct id_list l = list_ids(svc);
        for (size_t i = 0; i < l.n; i++) {
            size_t expired = 0;
            fo_service_expire(svc, l.ids[i], &expired, NULL);
        }
        free(l.ids);
#ifdef __GLIBC__
        /* hand the parked engines' pages back to the system */
        if (fo__park_idle_runs(svc))
            malloc_trim(0);
#else
        fo__park_idle_runs(svc);
#endif
        pthread_mutex_lock(&svc->janitor_lock);
    }
    pthread_mutex_unlock(&svc->janitor_lock);
    return NULL;
}

enum fo_status fo_service_create(const struct fo_service_config *cfg,
                                 struct fo_service **out, struct fo_error *err) {
    *out = NULL;
    struct fo_service *svc = calloc(1, sizeof *svc);
    if (!svc)
        return fo_error_set(err, FO_ENOMEM, NULL, "out of memory creating the service");
    pthread_rwlock_init(&svc->registry_lock, NULL);
    pthread_mutex_init(&svc->stats_lock, NULL);
    pthread_mutex_init(&svc->janitor_lock, NULL);
    pthread_cond_init(&svc->janitor_wake, NULL);
    svc->expiry_interval_ms =
        cfg->expiry_interval_ms ? cfg->expiry_interval_ms : DEFAULT_EXPIRY_INTERVAL_MS;
    svc->checkpoint_retention = cfg->checkpoint_retention;
    svc->park_idle_s = cfg->park_idle_s;
    svc->max_runs = cfg->max_runs ? cfg->max_runs : FO_DEFAULT_MAX_RUNS;
    svc->shard = cfg->has_shard && cfg->shard <= 255 ? (int)cfg->shard : -1;
    svc->max_params = cfg->max_params ? cfg->max_params : FO_DEFAULT_MAX_PARAMS;
    svc->max_answer_values =
        cfg->max_answer_values ? cfg->max_answer_values : FO_DEFAULT_MAX_ANSWER_VALUES;
    snprintf(svc->evaluator_allow, sizeof svc->evaluator_allow, "%s",
             cfg->evaluator_allow ? cfg->evaluator_allow : "");
    enum fo_status st = fo_store_open(&cfg->store, &svc->store, err);
    if (st == FO_OK)
        st = fo__service_load_runs(svc, err);
    if (st == FO_OK && pthread_create(&svc->janitor, NULL, janitor, svc) != 0)
        st = fo_error_set(err, FO_EIO, NULL, "cannot start the expiry thread");
    else if (st == FO_OK)
        svc->janitor_running = 1;
    if (st != FO_OK) {
        fo_service_destroy(svc);
        return st;
    }
    *out = svc;
    return FO_OK;
}

void fo_service_health(struct fo_service *svc, struct fo_health *out) {
    out->version = FO_VERSION_STRING;
    out->schema_version = fo_store_schema_version(svc->store);
    struct fo_error err = {0};
    out->degraded[0] = '\0';
    if (fo_store_writable(svc->store, &err) != FO_OK)
        snprintf(out->degraded, sizeof out->degraded, "%s", err.msg);
}

void fo_service_destroy(struct fo_service *svc) {
    if (!svc)
        return;
    if (svc->janitor_running) {
        pthread_mutex_lock(&svc->janitor_lock);
        svc->stopping = 1;
        pthread_cond_signal(&svc->janitor_wake);
        pthread_mutex_unlock(&svc->janitor_lock);
        pthread_join(svc->janitor, NULL);
    }
    fo__service_free_runs(svc);
    fo_store_close(svc->store);
    pthread_rwlock_destroy(&svc->registry_lock);
    pthread_mutex_destroy(&svc->stats_lock);
    pthread_mutex_destroy(&svc->janitor_lock);
    pthread_cond_destroy(&svc->janitor_wake);
    free(svc);
}

size_t fo_service_max_answer_values(const struct fo_service *svc) {
    return svc->max_answer_values;
}
