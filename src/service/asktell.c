/*
 * asktell.c - the durable ask/tell path of a run: asks (with idempotency
 * keys), tells checked whole before anything is applied, forced steps,
 * expiry of pending samples. durability.c says how a run is kept durable;
 * reads.c serves what was asked and told.
 */
#include "service/service_internal.h"
#include "store/runs_db.h"
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

struct ask_write {
    const char *run_id;
    const struct fo_ask_options *o;
    size_t n, D; /* n new samples (0: a heartbeat of the client's leases) */
    const struct fo_sample *s;
    const double *x;
};

static enum fo_status write_ask(struct fo_store *store, void *ctx, struct fo_error *err) {
    const struct ask_write *w = ctx;
    struct fo_op op = {
        .kind = FO_OP_ASK, .n = (int64_t)w->n, .std_error = NAN, .cost = NAN};
    enum fo_status st = FO_OK;
    /* any ask of a driver renews what it holds, before its new leases */
    if (w->o->client_id)
        st = fo_store_leases_renew(store, w->run_id, w->o->client_id, NAN, NULL, err);
    if (st == FO_OK && w->n)
        st = fo_store_ops_append(store, w->run_id, &op, 1, err);
    if (st == FO_OK && w->n && w->o->key)
        st = fo_store_ask_key_insert(store, w->run_id, w->o->key, (int64_t)w->s[0].id,
                                     (int64_t)w->n, err);
    for (size_t i = 0; st == FO_OK && i < w->n; i++) {
        const struct fo_store_new_sample ns = {.id = (int64_t)w->s[i].id,
                                               .generation = (int64_t)w->s[i].generation,
                                               .x = w->x + i * w->D,
                                               .dim = w->D,
                                               .log_prob = w->s[i].log_prob,
                                               .reissue_of = (int64_t)w->s[i].reissue_of,
                                               .client_id = w->o->client_id,
                                               .lease_s = w->o->lease_s};
        st = fo_store_sample_insert(store, w->run_id, &ns, err);
    }
    return st;
}

/* The ask's op, key and samples in one transaction (OUT: the commit's ticket). */
static enum fo_status log_ask(struct fo_service *svc, struct fo_run *r, size_t n,
                              const struct fo_ask_options *o, const struct fo_sample *s,
                              const double *x, uint64_t *ticket, struct fo_error *err) {
    struct ask_write w = {r->id, o, n, fo_engine_dim(r->engine), s, x};
    return fo_store_transact(svc->store, write_ask, &w, ticket, err);
}

struct replay_ctx {
    struct fo_sample *samples;
    double *x;
    size_t dim, count;
    uint64_t first;
};

static int on_replayed(void *p, const struct fo_sample_row *row) {
    struct replay_ctx *c = p;
    size_t i = (size_t)((uint64_t)row->id - c->first);
    c->samples[i].id = (uint64_t)row->id;
    c->samples[i].generation = (uint64_t)row->generation;
    c->samples[i].log_prob = row->log_prob;
    c->samples[i].reissue_of = (uint64_t)row->reissue_of;
    memcpy(c->x + i * c->dim, row->x, c->dim * sizeof(double));
    c->count++;
    return 0;
}

/* The samples a keyed ask already handed out; FO_ENOTFOUND when the key is new. */
static enum fo_status replay_key(struct fo_service *svc, struct fo_run *r, size_t n,
                                 const char *key, struct fo_sample *samples, double *x,
                                 struct fo_error *err) {
    int64_t first = 0, count = 0;
    enum fo_status st = fo_store_ask_key_get(svc->store, r->id, key, &first, &count, err);
    if (st != FO_OK)
        return st;
    if ((size_t)count != n)
        return fo_error_set(err, FO_ECONFLICT, "Idempotency-Key",
                            "this key was used for an ask of %lld samples",
                            (long long)count);
    struct replay_ctx c = {samples, x, fo_engine_dim(r->engine), 0, (uint64_t)first};
    st = fo_store_samples(svc->store, r->id, NULL, NULL, -1, first - 1, count,
                          on_replayed, &c, err);
    if (st == FO_OK && c.count != n)
        st = fo_error_set(err, FO_EDAMAGED, "Idempotency-Key",
                          "the key's samples are gone");
    return st;
}

/* Each sample in turn, at its index (its id's offset from the first
 * otherwise: resumed samples are not consecutive). */
static int on_resumed(void *p, const struct fo_sample_row *row) {
    struct replay_ctx *c = p;
    c->first = (uint64_t)row->id - c->count; /* so on_replayed puts it at count */
    return on_replayed(p, row);
}

/* The pending samples the client holds, up to n, oldest first. */
static enum fo_status resume(struct fo_service *svc, struct fo_run *r, size_t n,
                             const char *client_id, struct fo_sample *samples, double *x,
                             size_t *got, struct fo_error *err) {
    struct replay_ctx c = {samples, x, fo_engine_dim(r->engine), 0, 0};
    enum fo_status st = fo_store_samples(svc->store, r->id, "pending", client_id, -1, 0,
                                         (int64_t)n, on_resumed, &c, err);
    *got = c.count;
    return st;
}

enum fo_status fo_service_ask(struct fo_service *svc, const char *id, size_t n,
                              const char *key, struct fo_sample *samples, double *x,
                              struct fo_error *err) {
    const struct fo_ask_options o = {key, NULL, NAN, 0};
    return fo_service_ask_ex(svc, id, n, &o, samples, x, NULL, err);
}

enum fo_status fo_service_ask_ex(struct fo_service *svc, const char *id, size_t n,
                                 const struct fo_ask_options *o,
                                 struct fo_sample *samples, double *x, size_t *resumed,
                                 struct fo_error *err) {
    const char *key = o->key;
    size_t held = 0;
    if (resumed)
        *resumed = 0;
    if (o->resume && key)
        return fo_error_set(err, FO_EINVAL, "resume",
                            "an ask that resumes is safe to repeat: it takes no "
                            "Idempotency-Key");
    if (o->resume && !o->client_id)
        return fo_error_set(err, FO_EINVAL, "client_id",
                            "resume hands back what a client holds: it needs client_id");
    struct fo_run *r = fo__run_acquire(svc, id, err);
    if (!r)
        return FO_ENOTFOUND;
    if (o->resume) {
        enum fo_status rst = resume(svc, r, n, o->client_id, samples, x, &held, err);
        if (rst != FO_OK) {
            fo__run_release(r);
            return rst;
        }
        if (resumed)
            *resumed = held;
    }
    if (key) {
        enum fo_status kst = replay_key(svc, r, n, key, samples, x, err);
        if (kst != FO_ENOTFOUND) {
            fo__run_release(r);
            return kst;
        }
        fo_error_clear(err);
    }
    const size_t fresh = n - held, D = fo_engine_dim(r->engine);
    enum fo_status st =
        !fresh ? FO_OK
        : r->state == FO_RUN_ACTIVE
            ? fo_engine_ask(r->engine, fresh, samples + held, x + held * D, err)
            : fo_error_set(err, FO_ESTATE, "state",
                           "run %s is %s: it hands out no samples", r->id,
                           fo_service_run_state_name(r->state));
    uint64_t ticket = 0;
    if (st == FO_OK && (fresh || o->client_id) &&
        (st = log_ask(svc, r, fresh, o, samples + held, x + held * D, &ticket, err)) !=
            FO_OK)
        fo__run_rebuild(svc, r);
    fo__run_release(r);
    /* Durable before it is handed out; waiting without the run's lock lets
     * the next requests of this run share the sync. */
    return st == FO_OK ? fo_store_wait(svc->store, ticket, err) : st;
}

/*
 * Check a whole tell request against the run. OUT: dup[i] = 1 for items
 * that repeat what is recorded (in the run or earlier in the request).
 */
/*
 * A sample's recorded result, from the engine while it holds the sample,
 * else from the store (samples leave the engine once outside the reuse
 * window, but a repeated tell must stay a no-op forever).
 */
static enum fo_status recorded(struct fo_service *svc, const struct fo_run *r,
                               uint64_t id, int *status, double *value,
                               struct fo_error *err) {
    enum fo_status st = fo_engine_sample_state(r->engine, id, status, value, err);
    if (st != FO_ESTATE)
        return st;
    char text[16];
    st = fo_store_sample_state(svc->store, r->id, (int64_t)id, text, sizeof text, value,
                               err);
    enum fo_record_status rs = FO_RECORD_FAILED;
    if (st == FO_OK && fo_service_record_status_parse(text, &rs) != 0)
        st = fo_error_set(err, FO_EDAMAGED, "id", "sample %llu has status '%.16s'",
                          (unsigned long long)id, text);
    if (st == FO_OK)
        *status = rs == FO_RECORD_TOLD      ? FO_SAMPLE_TOLD
                  : rs == FO_RECORD_PENDING ? FO_SAMPLE_PENDING
                  : rs == FO_RECORD_LOST    ? FO_SAMPLE_LOST
                                            : FO_SAMPLE_FAILED; /* failed, expired */
    if (st == FO_OK && *status == FO_SAMPLE_PENDING)
        st = fo_error_set(err, FO_EDAMAGED, "id",
                          "sample %llu is pending in the store only",
                          (unsigned long long)id);
    return st;
}

/* Item i against what is recorded, or (when still pending there) against
 * the item before it in this request with the same id (before, n: none). */
static enum fo_status check_tell(struct fo_service *svc, const struct fo_run *r,
                                 const struct fo_tell_item *items, size_t i,
                                 size_t before, unsigned char *dup,
                                 struct fo_error *err) {
    const struct fo_tell_item *it = &items[i];
    if (!it->failed && !isfinite(it->value))
        return fo_error_set(err, FO_ERANGE, "value",
                            "results[%zu]: value must be a finite number", i);
    int status;
    double value;
    enum fo_status st = recorded(svc, r, it->id, &status, &value, err);
    if (st != FO_OK)
        return st;
    if (status == FO_SAMPLE_PENDING && before < i) {
        const struct fo_tell_item *b = &items[before];
        status = b->lost ? FO_SAMPLE_LOST : b->failed ? FO_SAMPLE_FAILED : FO_SAMPLE_TOLD;
        value = b->value;
    }
    dup[i] = status != FO_SAMPLE_PENDING;
    int same = it->lost     ? status == FO_SAMPLE_LOST
               : it->failed ? status == FO_SAMPLE_FAILED
                            : status == FO_SAMPLE_TOLD && value == it->value;
    if (dup[i] && !same)
        return fo_error_set(err, FO_ECONFLICT, "results",
                            "results[%zu]: sample %llu already has another result", i,
                            (unsigned long long)it->id);
    return FO_OK;
}

struct id_at {
    uint64_t id;
    size_t at;
};

static int by_id_then_at(const void *pa, const void *pb) {
    const struct id_at *a = pa, *b = pb;
    if (a->id != b->id)
        return a->id < b->id ? -1 : 1;
    return a->at < b->at ? -1 : a->at > b->at;
}

/*
 * prev[i]: the last item before i with the same id, or n when none. Sorted
 * once (n log n), so a tell of 100,000 results costs what its parse does.
 * OUT: *prev, malloc'd, the caller frees it.
 */
static enum fo_status earlier_same_id(const struct fo_tell_item *items, size_t n,
                                      size_t **prev, struct fo_error *err) {
    struct id_at *order = malloc((n ? n : 1) * sizeof *order);
    *prev = malloc((n ? n : 1) * sizeof **prev);
    if (!order || !*prev) {
        free(order);
        free(*prev);
        *prev = NULL;
        return fo_error_set(err, FO_ENOMEM, "results", "out of memory");
    }
    for (size_t i = 0; i < n; i++)
        order[i] = (struct id_at){items[i].id, i};
    qsort(order, n, sizeof *order, by_id_then_at);
    for (size_t k = 0; k < n; k++)
        (*prev)[order[k].at] =
            k > 0 && order[k - 1].id == order[k].id ? order[k - 1].at : n;
    free(order);
    return FO_OK;
}

enum fo_status fo__check_tells(struct fo_service *svc, const struct fo_run *r,
                               const struct fo_tell_item *items, size_t n,
                               unsigned char *dup, struct fo_error *err) {
    size_t *prev = NULL;
    enum fo_status st = earlier_same_id(items, n, &prev, err);
    for (size_t i = 0; st == FO_OK && i < n; i++)
        st = check_tell(svc, r, items, i, prev[i], dup, err);
    free(prev);
    return st;
}

static struct fo_step_row step_row(const struct fo_step_report *p) {
    struct fo_step_row r;
    memset(&r, 0, sizeof r);
    r.step = (int64_t)p->step;
    r.generation = (int64_t)p->generation;
    r.evaluations = (int64_t)p->evaluations;
    r.n = (int64_t)p->n;
#define COPY(name) r.name = p->name;
    FO_STEP_REALS(COPY)
#undef COPY
#define COPY_INT(name) r.name = (int64_t)p->name;
    FO_STEP_INTS(COPY_INT)
#undef COPY_INT
    r.events = (int64_t)p->events;
    return r;
}

/* What one applied result leaves for the store to record. */
struct tell_write {
    const struct fo_tell_item *item;
    enum fo_record_status status; /* told, failed, expired */
    int report;                   /* index into reports, or -1 */
};

/* Record the applied results (ops, sample states, history, maybe a snapshot)
 * in one transaction. The engine has already moved; the caller rebuilds the
 * run from the store if this fails. */
struct tells_write {
    const char *run_id;
    struct fo_op *ops;
    const struct tell_write *w;
    size_t n_ops;
    const struct fo_step_report *reports;
    const unsigned char *snap;
    size_t snap_len;
};

static enum fo_status write_tells(struct fo_store *store, void *ctx,
                                  struct fo_error *err) {
    const struct tells_write *t = ctx;
    enum fo_status st = fo_store_ops_append(store, t->run_id, t->ops, t->n_ops, err);
    for (size_t k = 0; st == FO_OK && k < t->n_ops; k++) {
        const struct fo_tell_item *it = t->w[k].item;
        enum fo_record_status rs = t->w[k].status;
        const int told = rs == FO_RECORD_TOLD;
        const struct fo_store_result res = {fo_service_record_status_name(rs),
                                            told ? it->value : NAN,
                                            it->error,
                                            told ? it->std_error : NAN,
                                            told ? it->shots : 0,
                                            it->cost,
                                            it->metadata,
                                            it->metrics};
        st = fo_store_sample_resolve(store, t->run_id, (int64_t)it->id, &res, err);
        if (st == FO_OK && t->w[k].report >= 0) {
            struct fo_step_row row = step_row(&t->reports[t->w[k].report]);
            st = fo_store_step_insert(store, t->run_id, &row, err);
        }
    }
    if (st == FO_OK && t->snap)
        st = fo_store_run_snapshot(store, t->run_id, t->snap, t->snap_len,
                                   t->ops[t->n_ops - 1].seq, err);
    return st;
}

static enum fo_status record_tells(struct fo_service *svc, struct fo_run *r,
                                   struct fo_op *ops, const struct tell_write *w,
                                   size_t n_ops, const struct fo_step_report *reports,
                                   const unsigned char *snap, size_t snap_len,
                                   uint64_t *ticket, struct fo_error *err) {
    struct tells_write t = {r->id, ops, w, n_ops, reports, snap, snap_len};
    return fo_store_transact(svc->store, write_tells, &t, ticket, err);
}

/*
 * Apply the new results to the engine, then record them in one
 * transaction. The updates they trigger run under the run's lock only, so
 * other runs keep using the store meanwhile.
 */
enum fo_status fo__apply_tells(struct fo_service *svc, struct fo_run *r,
                               const struct fo_tell_item *items, size_t n,
                               const unsigned char *dup, struct fo_step_report *reports,
                               struct fo_tell_outcome *out, uint64_t *ticket,
                               struct fo_error *err) {
    *ticket = 0;
    struct fo_op *ops = malloc((n ? n : 1) * sizeof *ops);
    struct tell_write *w = malloc((n ? n : 1) * sizeof *w);
    if (!ops || !w) {
        free(ops);
        free(w);
        return fo_error_set(err, FO_ENOMEM, "results", "out of memory");
    }
    enum fo_status st = FO_OK;
    size_t k = 0;
    for (size_t i = 0; st == FO_OK && i < n; i++) {
        const struct fo_tell_item *it = &items[i];
        if (dup[i]) {
            out->duplicates++;
            continue;
        }
        int updated = 0;
        struct fo_step_report *rep = &reports[out->n_reports];
        fo_engine_spend(r->engine, it->cost); /* before: its update sees it */
        st = it->lost ? fo_engine_tell_lost(r->engine, it->id, NULL, err)
             : it->failed
                 ? fo_engine_tell_failed(r->engine, it->id, NULL, &updated, rep, err)
                 : fo_engine_tell_se(r->engine, it->id, it->value, it->std_error, NULL,
                                     &updated, rep, err);
        if (st != FO_OK)
            break;
        ops[k] = (struct fo_op){.kind = it->lost     ? FO_OP_LOST
                                        : it->failed ? FO_OP_FAIL
                                                     : FO_OP_TELL,
                                .sample_id = (int64_t)it->id,
                                .value = it->value,
                                .std_error = it->std_error,
                                .cost = it->cost};
        w[k].item = it;
        w[k].status = it->lost      ? FO_RECORD_LOST
                      : it->expired ? FO_RECORD_EXPIRED
                      : it->failed  ? FO_RECORD_FAILED
                                    : FO_RECORD_TOLD;
        w[k].report = -1;
        if (updated) {
            if (it->expired)
                rep->events |= FO_EVENT_EXPIRED;
            w[k].report = (int)out->n_reports++;
        }
        k++;
    }
    out->accepted = k;
    /* The op log alone reproduces the run; a snapshot only bounds how much a
     * restart replays, so it is rewritten every FO_SNAPSHOT_EVERY updates. */
    unsigned char *snap = NULL;
    size_t len = 0;
    unsigned unsaved = r->updates_unsaved + (unsigned)out->n_reports;
    if (st == FO_OK && k && unsaved >= FO_SNAPSHOT_EVERY)
        st = fo__run_snapshot(r->engine, &snap, &len, err);
    if (st == FO_OK && k)
        st = record_tells(svc, r, ops, w, k, reports, snap, len, ticket, err);
    if (st == FO_OK)
        r->updates_unsaved = snap ? 0 : unsaved;
    free(snap);
    free(ops);
    free(w);
    return st;
}

enum fo_status fo_service_tell(struct fo_service *svc, const char *id,
                               const struct fo_tell_item *items, size_t n,
                               struct fo_step_report *reports,
                               struct fo_tell_outcome *outcome, struct fo_error *err) {
    memset(outcome, 0, sizeof *outcome);
    unsigned char *dup = calloc(n ? n : 1, 1);
    if (!dup)
        return fo_error_set(err, FO_ENOMEM, "results", "out of memory");
    struct fo_run *r = fo__run_acquire(svc, id, err);
    if (!r) {
        free(dup);
        return FO_ENOTFOUND;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    enum fo_status st = fo__check_tells(svc, r, items, n, dup, err);
    uint64_t ticket = 0;
    if (st == FO_OK && (st = fo__apply_tells(svc, r, items, n, dup, reports, outcome,
                                             &ticket, err)) != FO_OK) {
        fo__run_rebuild(svc, r);
        memset(outcome, 0, sizeof *outcome);
    }
    if (st == FO_OK && r->engine) {
        struct fo_engine_counters c;
        fo_engine_counters(r->engine, &c);
        outcome->wanted = c.wanted;
    }
    fo__run_release(r);
    free(dup);
    if (st == FO_OK && outcome->n_reports) {
        clock_gettime(CLOCK_MONOTONIC, &t1);
        pthread_mutex_lock(&svc->stats_lock);
        svc->update_seconds +=
            (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
        svc->timed_updates += outcome->n_reports;
        pthread_mutex_unlock(&svc->stats_lock);
    }
    return st == FO_OK ? fo_store_wait(svc->store, ticket, err) : st;
}

struct renew_write {
    const char *run_id, *client_id;
    double lease_s;
    int64_t *renewed;
};

static enum fo_status write_renew(struct fo_store *store, void *ctx,
                                  struct fo_error *err) {
    const struct renew_write *w = ctx;
    return fo_store_leases_renew(store, w->run_id, w->client_id, w->lease_s, w->renewed,
                                 err);
}

enum fo_status fo_service_leases_renew(struct fo_service *svc, const char *id,
                                       const char *client_id, double lease_s,
                                       int64_t *renewed, struct fo_error *err) {
    struct fo_run *r = fo__run_acquire(svc, id, err);
    if (!r)
        return FO_ENOTFOUND;
    struct renew_write w = {r->id, client_id, lease_s, renewed};
    uint64_t ticket = 0;
    enum fo_status st = fo_store_transact(svc->store, write_renew, &w, &ticket, err);
    fo__run_release(r);
    return st == FO_OK ? fo_store_wait(svc->store, ticket, err) : st;
}

struct step_write {
    struct fo_service *svc;
    struct fo_run *r;
    const struct fo_step_report *report;
};

/* A forced update: its op, its history row and the snapshot after it. */
static enum fo_status write_step(struct fo_store *store, void *ctx,
                                 struct fo_error *err) {
    const struct step_write *w = ctx;
    struct fo_op op = {.kind = FO_OP_STEP, .std_error = NAN, .cost = NAN};
    struct fo_step_row row = step_row(w->report);
    enum fo_status st = fo_store_ops_append(store, w->r->id, &op, 1, err);
    if (st == FO_OK)
        st = fo_store_step_insert(store, w->r->id, &row, err);
    return st == FO_OK ? fo__run_save_snapshot(w->svc, w->r, err) : st;
}

enum fo_status fo_service_step(struct fo_service *svc, const char *id,
                               struct fo_step_report *report, struct fo_error *err) {
    struct fo_run *r = fo__run_acquire(svc, id, err);
    if (!r)
        return FO_ENOTFOUND;
    /* A paused or finished run keeps its distribution as it was left. */
    if (r->state != FO_RUN_ACTIVE) {
        enum fo_status sst =
            fo_error_set(err, FO_ESTATE, "state", "run %s is %s: it takes no update",
                         r->id, fo_service_run_state_name(r->state));
        fo__run_release(r);
        return sst;
    }
    /* The update runs before the transaction, under the run's lock only. */
    enum fo_status st = fo_engine_step(r->engine, report, err);
    struct step_write w = {svc, r, report};
    if (st == FO_OK)
        st = fo_store_transact(svc->store, write_step, &w, NULL, err);
    if (st != FO_OK)
        fo__run_rebuild(svc, r);
    else
        r->updates_unsaved = 0;
    fo__run_release(r);
    return st;
}

struct expire_ctx {
    struct fo_tell_item *items;
    size_t n, cap;
    int lost; /* the run's pending_expiry is lost */
};

static int on_expired(void *p, int64_t id) {
    struct expire_ctx *c = p;
    if (c->n < c->cap)
        c->items[c->n++] =
            (struct fo_tell_item){(uint64_t)id, !c->lost, 0.0, c->lost ? NULL : "expired",
                                  !c->lost,     NAN,      0,   c->lost,
                                  NAN,          NULL,     NULL};
    return 0;
}

#define EXPIRE_BATCH 1024

enum fo_status fo_service_expire(struct fo_service *svc, const char *id, size_t *expired,
                                 struct fo_error *err) {
    *expired = 0;
    /* Parked runs have nothing that can expire (see park in runs.c), and
     * this pass must not bring them back or count as their use. */
    struct fo_run *r = fo__run_lock(svc, id, err);
    if (!r)
        return FO_ENOTFOUND;
    if (!r->engine) {
        fo__run_release(r);
        return FO_OK;
    }
    /* leases expire whatever the timeout (0: samples without one never do) */
    const struct fo_run_config *cfg = fo_engine_config(r->engine);
    double timeout = cfg->pending_timeout_s;
    enum fo_status st = FO_OK;
    uint64_t ticket = 0;
    {
        struct fo_tell_item *items = calloc(EXPIRE_BATCH, sizeof *items);
        struct fo_step_report *reps = calloc(EXPIRE_BATCH, sizeof *reps);
        unsigned char *dup = calloc(EXPIRE_BATCH, 1);
        struct expire_ctx c = {items, 0, EXPIRE_BATCH,
                               cfg->pending_expiry == FO_EXPIRY_LOST};
        if (!items || !reps || !dup)
            st = fo_error_set(err, FO_ENOMEM, "run", "out of memory");
        if (st == FO_OK)
            st = fo_store_pending_older(svc->store, r->id, timeout, EXPIRE_BATCH,
                                        on_expired, &c, err);
        if (st == FO_OK && c.n) {
            struct fo_tell_outcome out = {0};
            st = fo__check_tells(svc, r, items, c.n, dup, err);
            if (st == FO_OK && (st = fo__apply_tells(svc, r, items, c.n, dup, reps, &out,
                                                     &ticket, err)) != FO_OK)
                fo__run_rebuild(svc, r);
            *expired = st == FO_OK ? out.accepted : 0;
        }
        free(items);
        free(reps);
        free(dup);
    }
    fo__run_release(r);
    return st == FO_OK ? fo_store_wait(svc->store, ticket, err) : st;
}
