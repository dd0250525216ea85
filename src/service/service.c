/* service.c - see service.h. */
#include "service/service.h"
#include "service/service_internal.h"

#include <flowopt/flowopt.h>
#include <stdlib.h>

enum fo_status fo_service_create(const struct fo_service_config *cfg,
                                 struct fo_service **out, struct fo_error *err) {
    *out = NULL;
    struct fo_service *svc = calloc(1, sizeof *svc);
    if (!svc)
        return fo_error_set(err, FO_ENOMEM, NULL, "out of memory creating the service");
    pthread_rwlock_init(&svc->registry_lock, NULL);
    pthread_mutex_init(&svc->stats_lock, NULL);
    enum fo_status st = fo_store_open(&cfg->store, &svc->store, err);
    if (st == FO_OK)
        st = fo__service_load_runs(svc, err);
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
}

void fo_service_destroy(struct fo_service *svc) {
    if (!svc)
        return;
    fo__service_free_runs(svc);
    fo_store_close(svc->store);
    pthread_rwlock_destroy(&svc->registry_lock);
    pthread_mutex_destroy(&svc->stats_lock);
    free(svc);
}
