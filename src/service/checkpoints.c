/*
 * checkpoints.c - a run's saved states: create (with retention), list,
 * bytes for export, restore, fork, and import of untrusted bytes.
 */
#include "service/archive.h"
#include "service/service_internal.h"
#include "store/checkpoints_db.h"
#include "store/samples_db.h"
#include "store/steps_db.h"
#include "store/txn.h"

#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct checkpoint_write {
    const char *run_id;
    const unsigned char *snap;
    size_t len;
    int64_t keep; /* 0: every checkpoint */
    int64_t cid;  /* OUT */
};

/* A new checkpoint, and the oldest beyond the retention dropped. */
static enum fo_status write_checkpoint(struct fo_store *store, void *ctx,
                                       struct fo_error *err) {
    struct checkpoint_write *w = ctx;
    enum fo_status st =
        fo_store_checkpoint_insert(store, w->run_id, w->snap, w->len, &w->cid, err);
    return st == FO_OK && w->keep
               ? fo_store_checkpoints_trim(store, w->run_id, w->keep, err)
               : st;
}

enum fo_status fo_service_checkpoint_create(struct fo_service *svc, const char *id,
                                            uint64_t *cid, struct fo_error *err) {
    struct fo_run *r = fo__run_acquire(svc, id, err);
    if (!r)
        return FO_ENOTFOUND;
    unsigned char *snap = NULL;
    size_t len = 0;
    enum fo_status st = fo__run_snapshot(r->engine, &snap, &len, err);
    struct checkpoint_write w = {r->id, snap, len, (int64_t)svc->checkpoint_retention, 0};
    if (st == FO_OK)
        st = fo_store_transact(svc->store, write_checkpoint, &w, NULL, err);
    free(snap);
    fo__run_release(r);
    *cid = (uint64_t)w.cid;
    return st;
}

enum fo_status fo_service_checkpoints(struct fo_service *svc, const char *id,
                                      fo_checkpoint_info_fn fn, void *ctx,
                                      struct fo_error *err) {
    if (!fo__run_exists(svc, id, err))
        return FO_ENOTFOUND;
    return fo_store_checkpoints(svc->store, id, (fo_checkpoint_fn)fn, ctx, err);
}

enum fo_status fo_service_checkpoint_bytes(struct fo_service *svc, const char *id,
                                           uint64_t cid, unsigned char **bytes,
                                           size_t *len, struct fo_error *err) {
    if (!fo__run_exists(svc, id, err))
        return FO_ENOTFOUND;
    return fo_store_checkpoint_get(svc->store, id, (int64_t)cid, bytes, len, err);
}

struct restore_write {
    struct fo_service *svc;
    struct fo_run *r; /* holding the restored engine */
    uint64_t first_unknown;
};

/* The restored snapshot; samples it never asked expire, later history goes. */
static enum fo_status write_restore(struct fo_store *store, void *ctx,
                                    struct fo_error *err) {
    const struct restore_write *w = ctx;
    struct fo_engine_counters c;
    fo_engine_counters(w->r->engine, &c);
    enum fo_status st = fo__run_save_snapshot(w->svc, w->r, err);
    if (st == FO_OK)
        st = fo_store_samples_expire_from(
            store, w->r->id, (int64_t)w->first_unknown,
            "asked after the checkpoint a restore went back to", err);
    return st == FO_OK ? fo_store_steps_truncate(store, w->r->id, (int64_t)c.updates, err)
                       : st;
}

enum fo_status fo_service_checkpoint_restore(struct fo_service *svc, const char *id,
                                             uint64_t cid, struct fo_error *err) {
    unsigned char *bytes = NULL;
    size_t len = 0;
    struct fo_engine *engine = NULL;
    enum fo_status st = fo_service_checkpoint_bytes(svc, id, cid, &bytes, &len, err);
    if (st == FO_OK)
        st = fo_engine_load(bytes, len, &engine, err);
    free(bytes);
    struct fo_run *r = st == FO_OK ? fo__run_acquire(svc, id, err) : NULL;
    if (!r) {
        fo_engine_destroy(engine);
        return st == FO_OK ? FO_ENOTFOUND : st;
    }
    /* Samples asked after the checkpoint do not exist in the restored run:
     * those still pending expire (a late tell is then a clear conflict), and
     * new ids continue after the last one asked, so ids stay unique. */
    uint64_t first_unknown = fo_engine_next_id(engine);
    fo_engine_skip_ids(engine, fo_engine_next_id(r->engine));
    struct fo_engine *old = r->engine;
    r->engine = engine;
    struct restore_write w = {svc, r, first_unknown};
    st = fo_store_transact(svc->store, write_restore, &w, NULL, err);
    if (st == FO_OK) {
        fo_engine_destroy(old);
    } else {
        r->engine = old;
        fo_engine_destroy(engine);
    }
    fo__run_release(r);
    return st;
}

enum fo_status fo_service_fork(struct fo_service *svc, const char *id, uint64_t cid,
                               const char *name, char *new_id_out, struct fo_error *err) {
    unsigned char *bytes = NULL;
    size_t len = 0;
    enum fo_status st;
    if (cid) {
        st = fo_service_checkpoint_bytes(svc, id, cid, &bytes, &len, err);
    } else {
        struct fo_run *r = fo__run_acquire(svc, id, err);
        if (!r)
            return FO_ENOTFOUND;
        st = fo__run_snapshot(r->engine, &bytes, &len, err);
        fo__run_release(r);
    }
    if (st != FO_OK) {
        free(bytes);
        return st;
    }
    st = fo_service_import(svc, bytes, len, name, new_id_out, err);
    free(bytes);
    return st;
}

enum fo_status fo_service_import(struct fo_service *svc, const unsigned char *bytes,
                                 size_t len, const char *name, char *new_id_out,
                                 struct fo_error *err) {
    /* an archive (its snapshot and the samples' results), or a bare snapshot */
    const unsigned char *snap = bytes;
    size_t snap_len = len;
    const int archive = fo__archive_is(bytes, len);
    enum fo_status st =
        archive ? fo__archive_snapshot(bytes, len, &snap, &snap_len, err) : FO_OK;
    struct fo_engine *engine = NULL;
    /* weighed before anything is allocated for it: 5 KB can declare a
     * flow of a gigabyte */
    struct fo_run_config cfg;
    struct fo_setting_arrays *arrays = st == FO_OK ? malloc(sizeof *arrays) : NULL;
    if (st == FO_OK && !arrays)
        st = fo_error_set(err, FO_ENOMEM, "body", "out of memory");
    if (st == FO_OK)
        st = fo_engine_snapshot_config(snap, snap_len, &cfg, arrays, err);
    if (st == FO_OK)
        st = fo__run_budget(svc, &cfg, err);
    free(arrays);
    if (st == FO_OK)
        st = fo_engine_load(snap, snap_len, &engine, err);
    if (st == FO_OK)
        st = fo__run_adopt(svc, engine, name, new_id_out, err);
    if (st == FO_OK && archive &&
        (st = fo__archive_rows(svc, new_id_out, bytes, len, err)) != FO_OK)
        fo_service_run_delete(svc, new_id_out, NULL); /* all of it, or nothing */
    return st;
}
