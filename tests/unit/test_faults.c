/*
 * test_faults.c - the service over a store whose writes fail, SQLite's
 * habit: a VFS of our own wraps the real one and, while armed, fails every
 * write with an I/O error or a full disk. On the ask, tell, PATCH,
 * checkpoint and parking paths the call must fail with nothing
 * acknowledged, memory must not run ahead of the store (the next calls
 * behave exactly as on a twin run that never saw the failed one), and the
 * service must serve the next call; reopened from its file, the run
 * continues as the twin does.
 */
#include "service/asktell.h"
#include "service/checkpoints.h"
#include "service/runs.h"
#include "service/service.h"
#include "functions.h"
#include "tap.h"
#include "testutil.h"

#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define D 3

/* ---- a VFS whose writes fail on demand -------------------------------- */

static sqlite3_vfs *real_vfs;
static sqlite3_vfs faulty_vfs;
static atomic_int armed;         /* 0, or the code writes fail with */
static atomic_int failed_writes; /* writes refused so far */

struct faulty_file {
    sqlite3_file base;
    sqlite3_file *real; /* the real VFS's file, just after this struct */
};

#define REAL(f) (((struct faulty_file *)(f))->real)

static int refuse(void) {
    int code = atomic_load(&armed);
    if (code)
        atomic_fetch_add(&failed_writes, 1);
    return code;
}

static int f_close(sqlite3_file *f) {
    return REAL(f)->pMethods->xClose(REAL(f));
}
static int f_read(sqlite3_file *f, void *buf, int n, sqlite3_int64 off) {
    return REAL(f)->pMethods->xRead(REAL(f), buf, n, off);
}
static int f_write(sqlite3_file *f, const void *buf, int n, sqlite3_int64 off) {
    int code = refuse();
    return code ? code : REAL(f)->pMethods->xWrite(REAL(f), buf, n, off);
}
static int f_truncate(sqlite3_file *f, sqlite3_int64 size) {
    int code = refuse();
    return code ? code : REAL(f)->pMethods->xTruncate(REAL(f), size);
}
static int f_sync(sqlite3_file *f, int flags) {
    int code = refuse();
    return code ? SQLITE_IOERR_FSYNC : REAL(f)->pMethods->xSync(REAL(f), flags);
}
static int f_size(sqlite3_file *f, sqlite3_int64 *size) {
    return REAL(f)->pMethods->xFileSize(REAL(f), size);
}
static int f_lock(sqlite3_file *f, int l) {
    return REAL(f)->pMethods->xLock(REAL(f), l);
}
static int f_unlock(sqlite3_file *f, int l) {
    return REAL(f)->pMethods->xUnlock(REAL(f), l);
}
static int f_reserved(sqlite3_file *f, int *out) {
    return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out);
}
static int f_control(sqlite3_file *f, int op, void *arg) {
    return REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
}
static int f_sector(sqlite3_file *f) {
    return REAL(f)->pMethods->xSectorSize(REAL(f));
}
static int f_device(sqlite3_file *f) {
    return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}
static int f_shm_map(sqlite3_file *f, int pg, int sz, int extend, void volatile **p) {
    return REAL(f)->pMethods->xShmMap(REAL(f), pg, sz, extend, p);
}
static int f_shm_lock(sqlite3_file *f, int off, int n, int flags) {
    return REAL(f)->pMethods->xShmLock(REAL(f), off, n, flags);
}
static void f_shm_barrier(sqlite3_file *f) {
    REAL(f)->pMethods->xShmBarrier(REAL(f));
}
static int f_shm_unmap(sqlite3_file *f, int del) {
    return REAL(f)->pMethods->xShmUnmap(REAL(f), del);
}
/* No memory-mapped pages: every write goes through f_write. */
static int f_fetch(sqlite3_file *f, sqlite3_int64 off, int n, void **p) {
    (void)f, (void)off, (void)n;
    *p = NULL;
    return SQLITE_OK;
}
static int f_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p) {
    (void)f, (void)off, (void)p;
    return SQLITE_OK;
}

static const sqlite3_io_methods faulty_io = {
    3,          f_close,       f_read,      f_write,   f_truncate, f_sync,   f_size,
    f_lock,     f_unlock,      f_reserved,  f_control, f_sector,   f_device, f_shm_map,
    f_shm_lock, f_shm_barrier, f_shm_unmap, f_fetch,   f_unfetch,
};

static int f_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags,
                  int *out_flags) {
    (void)vfs;
    struct faulty_file *ff = (struct faulty_file *)file;
    ff->real = (sqlite3_file *)(ff + 1);
    int rc = real_vfs->xOpen(real_vfs, name, ff->real, flags, out_flags);
    file->pMethods = rc == SQLITE_OK && ff->real->pMethods ? &faulty_io : NULL;
    return rc;
}
static int f_delete(sqlite3_vfs *v, const char *name, int sync) {
    (void)v;
    return real_vfs->xDelete(real_vfs, name, sync);
}
static int f_access(sqlite3_vfs *v, const char *name, int flags, int *out) {
    (void)v;
    return real_vfs->xAccess(real_vfs, name, flags, out);
}
static int f_fullpath(sqlite3_vfs *v, const char *name, int n, char *out) {
    (void)v;
    return real_vfs->xFullPathname(real_vfs, name, n, out);
}
static int f_random(sqlite3_vfs *v, int n, char *out) {
    (void)v;
    return real_vfs->xRandomness(real_vfs, n, out);
}
static int f_sleep(sqlite3_vfs *v, int us) {
    (void)v;
    return real_vfs->xSleep(real_vfs, us);
}
static int f_time(sqlite3_vfs *v, double *out) {
    (void)v;
    return real_vfs->xCurrentTime(real_vfs, out);
}
static int f_time64(sqlite3_vfs *v, sqlite3_int64 *out) {
    (void)v;
    return real_vfs->xCurrentTimeInt64(real_vfs, out);
}
static int f_last_error(sqlite3_vfs *v, int n, char *out) {
    (void)v;
    return real_vfs->xGetLastError ? real_vfs->xGetLastError(real_vfs, n, out) : 0;
}

/* Make the faulty VFS the default one, so the store opens through it. */
static void install_vfs(void) {
    real_vfs = sqlite3_vfs_find(NULL);
    faulty_vfs =
        (sqlite3_vfs){.iVersion = 2,
                      .szOsFile = (int)sizeof(struct faulty_file) + real_vfs->szOsFile,
                      .mxPathname = real_vfs->mxPathname,
                      .zName = "faulty",
                      .xOpen = f_open,
                      .xDelete = f_delete,
                      .xAccess = f_access,
                      .xFullPathname = f_fullpath,
                      .xRandomness = f_random,
                      .xSleep = f_sleep,
                      .xCurrentTime = f_time,
                      .xGetLastError = f_last_error,
                      .xCurrentTimeInt64 = f_time64};
    if (sqlite3_vfs_register(&faulty_vfs, 1) != SQLITE_OK)
        tap_bail("cannot register the faulty VFS");
}

/* ---- the service over it --------------------------------------------- */

static char dir[512];
static double lo[D] = {-2, -2, -2}, hi[D] = {2, 2, 2};

static struct fo_service *open_at(const char *name, unsigned park_idle_s) {
    char path[600];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    struct fo_service_config c = {0};
    c.store.path = path;
    c.store.create = 1;
    c.park_idle_s = park_idle_s;
    c.expiry_interval_ms = 20;
    struct fo_service *svc = NULL;
    struct fo_error err;
    if (fo_service_create(&c, &svc, &err) != FO_OK)
        tap_bail("service: %s", err.msg);
    return svc;
}

struct pair {
    struct fo_service *svc, *twin; /* twin: never sees a failure */
    char id[FO_RUN_ID_LEN + 1], twin_id[FO_RUN_ID_LEN + 1];
};

/* Ask n on both; 1 when the ids and coordinates agree bit for bit. */
static int ask_both(struct pair *p, size_t n, struct fo_sample *s) {
    struct fo_sample t[8];
    double x[8 * D], y[8 * D];
    if (fo_service_ask(p->svc, p->id, n, NULL, s, x, NULL) != FO_OK ||
        fo_service_ask(p->twin, p->twin_id, n, NULL, t, y, NULL) != FO_OK)
        return 0;
    int same = memcmp(x, y, n * D * sizeof(double)) == 0;
    for (size_t i = 0; i < n; i++)
        same &= s[i].id == t[i].id;
    return same;
}

static int write_mark;

/* Three writes refused since the mark: several janitor passes tried (one
 * could have been another writer's). */
static int writes_failed(void *ctx) {
    (void)ctx;
    return atomic_load(&failed_writes) >= write_mark + 3;
}

static int parked(void *ctx) {
    struct fo_service_stats st;
    fo_service_stats(ctx, &st);
    return st.runs_parked == 1;
}

static void tell_items(const struct fo_sample *s, size_t n, struct fo_tell_item *items) {
    for (size_t i = 0; i < n; i++)
        items[i] = (struct fo_tell_item){
            s[i].id, 0, 0.5 * (double)s[i].id, NULL, 0, NAN, 0, 0, NAN, NULL, NULL};
}

/* One failure kind (SQLITE_IOERR_WRITE or SQLITE_FULL) on every path. */
static void run_paths(int code, const char *what) {
    char name[64], twin[64];
    snprintf(name, sizeof name, "faults-%d.db", code);
    snprintf(twin, sizeof twin, "twin-%d.db", code);
    struct pair p = {open_at(name, 1), open_at(twin, 0), "", ""};
    struct fo_run_config cfg;
    fo_run_preset(&cfg, "default", D);
    cfg.flow.lo = lo;
    cfg.flow.hi = hi;
    cfg.batch_size = 6;
    fo_service_run_create(p.svc, &cfg, "a", p.id, NULL);
    fo_service_run_create(p.twin, &cfg, "a", p.twin_id, NULL);
    struct fo_sample s[8], junk[8];
    double x[8 * D];
    struct fo_error err;
    tap_ok(ask_both(&p, 3, s), "%s: the run and its twin ask alike", what);

    /* ask */
    atomic_store(&armed, code);
    enum fo_status st = fo_service_ask(p.svc, p.id, 3, NULL, junk, x, &err);
    atomic_store(&armed, 0);
    tap_ok(code == SQLITE_FULL ? st == FO_ENOSPACE : (st == FO_EIO || st == FO_EBUSY),
           "%s: an ask the store cannot record fails (%s)", what, err.msg);
    tap_ok(ask_both(&p, 3, s + 3), "%s: and the next ask draws what the twin draws",
           what);

    /* tell: the generation of 6 completes, so the failed tell had updated */
    struct fo_tell_item items[8];
    struct fo_step_report reps[8], twin_reps[8];
    struct fo_tell_outcome out, twin_out;
    tell_items(s, 6, items);
    atomic_store(&armed, code);
    st = fo_service_tell(p.svc, p.id, items, 6, reps, &out, &err);
    atomic_store(&armed, 0);
    tap_ok(st != FO_OK, "%s: a tell the store cannot record fails (%s)", what, err.msg);
    st = fo_service_tell(p.svc, p.id, items, 6, reps, &out, &err);
    fo_service_tell(p.twin, p.twin_id, items, 6, twin_reps, &twin_out, NULL);
    tap_ok(st == FO_OK && out.accepted == 6 && out.duplicates == 0 && out.n_reports == 1,
           "%s: told again, all 6 are new and update once (accepted %zu, duplicates %zu)",
           what, out.accepted, out.duplicates);
    tap_ok(ask_both(&p, 4, s), "%s: the updated run asks what the twin asks", what);

    /* PATCH */
    struct fo_tune tune = {
        .n = 1, .set = {{.setting = fo_setting_find("budget"), .integer = 99}}};
    atomic_store(&armed, code);
    st = fo_service_run_patch(p.svc, p.id, "renamed", NULL, &tune, &err);
    atomic_store(&armed, 0);
    struct fo_run_view *v = malloc(sizeof *v);
    fo_service_run_view(p.svc, p.id, v, NULL);
    tap_ok(st != FO_OK && v->cfg.budget == 0 && strcmp(v->name, "a") == 0,
           "%s: a PATCH the store cannot record fails and changes nothing", what);
    tap_ok(ask_both(&p, 2, s + 4), "%s: and the run asks on as its twin", what);

    /* checkpoint */
    uint64_t cid = 0;
    atomic_store(&armed, code);
    st = fo_service_checkpoint_create(p.svc, p.id, &cid, &err);
    atomic_store(&armed, 0);
    tap_ok(st != FO_OK, "%s: a checkpoint the store cannot write fails", what);
    st = fo_service_checkpoint_create(p.svc, p.id, &cid, &err);
    tap_ok(st == FO_OK && cid == 1, "%s: the next one is checkpoint 1 (%llu)", what,
           (unsigned long long)cid);

    /* parking: tell what is pending so the run may park, then fail the
     * janitor's snapshot until it has tried several times; once the store
     * takes the write it parks, so it was the janitor that was refused */
    tell_items(s, 6, items);
    fo_service_tell(p.svc, p.id, items, 6, reps, &out, NULL);
    fo_service_tell(p.twin, p.twin_id, items, 6, twin_reps, &twin_out, NULL);
    write_mark = atomic_load(&failed_writes);
    atomic_store(&armed, code);
    int tried = fo_test_wait_for(writes_failed, NULL, 10000.0);
    struct fo_service_stats stats;
    fo_service_stats(p.svc, &stats);
    atomic_store(&armed, 0);
    tap_ok(tried && stats.runs_parked == 0,
           "%s: a run whose snapshot cannot be written stays in memory", what);
    tap_ok(fo_test_wait_for(parked, p.svc, 10000.0),
           "%s: and parks once the store takes the write", what);
    tap_ok(ask_both(&p, 3, s), "%s: back from its parked snapshot it asks as its twin",
           what);

    /* nothing acknowledged lost, nothing refused kept */
    fo_service_destroy(p.svc);
    p.svc = open_at(name, 0);
    tap_ok(ask_both(&p, 3, s), "%s: reopened from its file, it still asks as its twin",
           what);
    free(v);
    fo_service_destroy(p.svc);
    fo_service_destroy(p.twin);
}

int main(void) {
    if (fo_test_tmpdir(dir, sizeof dir) != 0)
        tap_bail("cannot make a temporary directory");
    install_vfs();
    run_paths(SQLITE_IOERR_WRITE, "I/O error");
    run_paths(SQLITE_FULL, "full disk");
    fo_test_rmdir(dir);
    return tap_done();
}
