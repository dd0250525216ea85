/*
 * registry.c - the table of live runs: finding, locking and reference
 * counting them, adding one. Lock order everywhere: registry, run, store
 * (service_internal.h).
 */
#include "service/service_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void fo__run_free(struct fo_run *r) {
    if (!r)
        return;
    fo_engine_destroy(r->engine);
    free(r->parked);
    pthread_mutex_destroy(&r->lock);
    free(r);
}

double fo__now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A run around engine (taken over), holding the registry's reference. */
struct fo_run *fo__run_new(struct fo_engine *engine, const char *name,
                           enum fo_run_state state) {
    struct fo_run *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    pthread_mutex_init(&r->lock, NULL);
    atomic_init(&r->refs, 1);
    snprintf(r->name, sizeof r->name, "%s", name ? name : "");
    r->state = state;
    r->engine = engine;
    r->last_used = fo__now_s();
    return r;
}

void fo__service_free_runs(struct fo_service *svc) {
    for (size_t i = 0; i < svc->n_runs; i++)
        fo__run_free(svc->runs[i]);
    free(svc->runs);
    svc->runs = NULL;
    svc->n_runs = svc->cap_runs = 0;
}

/* Add r to the registry (caller holds the write lock). */
enum fo_status fo__registry_add(struct fo_service *svc, struct fo_run *r,
                                struct fo_error *err) {
    if (svc->n_runs == svc->cap_runs) {
        size_t cap = svc->cap_runs ? 2 * svc->cap_runs : 16;
        struct fo_run **grown = realloc(svc->runs, cap * sizeof *grown);
        if (!grown)
            return fo_error_set(err, FO_ENOMEM, "run",
                                "out of memory for the run registry");
        svc->runs = grown;
        svc->cap_runs = cap;
    }
    svc->runs[svc->n_runs++] = r;
    return FO_OK;
}

struct fo_run *fo__run_acquire(struct fo_service *svc, const char *id,
                               struct fo_error *err) {
    struct fo_run *r = fo__run_lock(svc, id, err);
    if (r && fo__run_ensure_loaded(svc, r, err) != FO_OK) {
        pthread_mutex_unlock(&r->lock);
        return NULL;
    }
    if (r)
        r->last_used = fo__now_s();
    return r;
}

/* Drop a reference; the last one of a deleted run frees it. */
void fo__run_unref(struct fo_run *r) {
    if (atomic_fetch_sub(&r->refs, 1) == 1)
        fo__run_free(r);
}

struct fo_run *fo__run_lock(struct fo_service *svc, const char *id,
                            struct fo_error *err) {
    struct fo_run *found = NULL;
    pthread_rwlock_rdlock(&svc->registry_lock);
    for (size_t i = 0; id && i < svc->n_runs && !found; i++)
        if (strcmp(svc->runs[i]->id, id) == 0)
            found = svc->runs[i];
    /* the reference keeps the run alive between the two locks */
    if (found)
        atomic_fetch_add(&found->refs, 1);
    pthread_rwlock_unlock(&svc->registry_lock);
    if (found) {
        pthread_mutex_lock(&found->lock);
        if (found->deleted) {
            pthread_mutex_unlock(&found->lock);
            fo__run_unref(found);
            found = NULL;
        }
    }
    if (!found)
        fo_error_set(err, FO_ENOTFOUND, "id", "no run %.64s", id ? id : "");
    return found;
}

int fo__run_exists(struct fo_service *svc, const char *id, struct fo_error *err) {
    struct fo_run *r = fo__run_lock(svc, id, err);
    if (r)
        fo__run_release(r);
    return r != NULL;
}

void fo__run_release(struct fo_run *r) {
    pthread_mutex_unlock(&r->lock);
    fo__run_unref(r);
}
