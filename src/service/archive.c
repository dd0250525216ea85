/* archive.c - exports with the samples' results; see archive.h. */
#include "service/archive.h"
#include "service/checkpoints.h"
#include "service/names.h"
#include "service/service_internal.h"
#include "store/samples_db.h"
#include "store/txn.h"

#include <flowopt/crc.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define ARCHIVE_MAGIC "FOEX"
#define ARCHIVE_VERSION 1u
#define NO_TEXT 0xffffffffu
/* The longest text a row may carry (metadata is at most 4 KB at a tell). */
#define MAX_TEXT 65536u

/* Little-endian words (the service keeps its own: core's are the engine's). */
static void le_put(unsigned char *p, uint64_t v, int bytes) {
    for (int k = 0; k < bytes; k++)
        p[k] = (unsigned char)(v >> (8 * k));
}

static uint64_t le_get(const unsigned char *p, int bytes) {
    uint64_t v = 0;
    for (int k = 0; k < bytes; k++)
        v |= (uint64_t)p[k] << (8 * k);
    return v;
}

static uint64_t f64_bits(double d) {
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

static double bits_f64(uint64_t u) {
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

/* ---- writing ---- */

struct buf {
    unsigned char *p;
    size_t len, cap;
    int failed;
};

static unsigned char *room(struct buf *b, size_t n) {
    if (b->failed)
        return NULL;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n)
            cap *= 2;
        unsigned char *p = realloc(b->p, cap);
        if (!p) {
            b->failed = 1;
            return NULL;
        }
        b->p = p;
        b->cap = cap;
    }
    unsigned char *at = b->p + b->len;
    b->len += n;
    return at;
}

static void put64(struct buf *b, uint64_t v) {
    unsigned char *p = room(b, 8);
    if (p)
        le_put(p, v, 8);
}

static void putf(struct buf *b, double v) {
    unsigned char *p = room(b, 8);
    if (p)
        le_put(p, f64_bits(v), 8);
}

static void put8(struct buf *b, unsigned v) {
    unsigned char *p = room(b, 1);
    if (p)
        *p = (unsigned char)v;
}

static void put_text(struct buf *b, const char *s) {
    size_t n = s ? strlen(s) : 0;
    unsigned char *p = room(b, 4);
    if (p)
        le_put(p, s ? (uint32_t)n : NO_TEXT, 4);
    if (s && (p = room(b, n)))
        memcpy(p, s, n);
}

struct export_ctx {
    struct buf *b;
    uint64_t rows, below; /* rows written; ids the checkpoint had asked */
};

static int on_row(void *p, const struct fo_sample_row *r) {
    struct export_ctx *c = p;
    enum fo_record_status rs;
    if ((uint64_t)r->id >= c->below ||
        fo_service_record_status_parse(r->status, &rs) != 0 || rs == FO_RECORD_PENDING)
        return 0;
    struct buf *b = c->b;
    put64(b, (uint64_t)r->id);
    put64(b, (uint64_t)r->generation);
    put64(b, (uint64_t)r->reissue_of);
    putf(b, r->log_prob);
    putf(b, r->value);
    putf(b, r->std_error);
    putf(b, r->cost);
    put64(b, (uint64_t)r->shots);
    put8(b, (unsigned)rs);
    put8(b, r->observed ? 1u : 0u);
    for (size_t d = 0; d < r->dim; d++)
        putf(b, r->x[d]);
    put_text(b, r->error);
    put_text(b, r->client_id);
    put_text(b, r->metadata);
    put_text(b, r->metrics);
    c->rows++;
    return 0;
}

enum fo_status fo_service_export(struct fo_service *svc, const char *id, uint64_t cid,
                                 unsigned char **bytes, size_t *len,
                                 struct fo_error *err) {
    unsigned char *snap = NULL;
    size_t snap_len = 0;
    *bytes = NULL;
    enum fo_status st = fo_service_checkpoint_bytes(svc, id, cid, &snap, &snap_len, err);
    struct fo_engine *e = NULL;
    if (st == FO_OK) /* which samples it had asked */
        st = fo_engine_load(snap, snap_len, &e, err);
    struct buf b = {0};
    unsigned char *head = room(&b, 4);
    if (head)
        memcpy(head, ARCHIVE_MAGIC, 4);
    unsigned char *ver = room(&b, 4);
    if (ver)
        le_put(ver, ARCHIVE_VERSION, 4);
    put64(&b, snap_len);
    unsigned char *s = room(&b, snap_len);
    if (s && snap)
        memcpy(s, snap, snap_len);
    const size_t rows_at = b.len;
    put64(&b, 0);
    struct export_ctx c = {&b, 0, e ? fo_engine_next_id(e) : 0};
    if (st == FO_OK)
        st = fo_store_samples(svc->store, id, NULL, NULL, -1, 0, INT64_MAX, on_row, &c,
                              err);
    if (st == FO_OK && !b.failed) {
        le_put(b.p + rows_at, c.rows, 8);
        uint32_t crc = fo_crc32(b.p, b.len);
        unsigned char *t = room(&b, 4);
        if (t)
            le_put(t, crc, 4);
    }
    if (st == FO_OK && b.failed)
        st = fo_error_set(err, FO_ENOMEM, "checkpoint", "out of memory for the export");
    fo_engine_destroy(e);
    free(snap);
    if (st != FO_OK) {
        free(b.p);
        return st;
    }
    *bytes = b.p;
    *len = b.len;
    return FO_OK;
}

/* ---- reading ---- */

int fo__archive_is(const unsigned char *bytes, size_t len) {
    return len >= 4 && memcmp(bytes, ARCHIVE_MAGIC, 4) == 0;
}

static enum fo_status corrupt(struct fo_error *err, const char *what) {
    return fo_error_set(err, FO_ECORRUPT, "body", "the export is damaged: %s", what);
}

enum fo_status fo__archive_snapshot(const unsigned char *bytes, size_t len,
                                    const unsigned char **snap, size_t *snap_len,
                                    struct fo_error *err) {
    if (len < 4 + 4 + 8 + 8 + 4 || !fo__archive_is(bytes, len))
        return corrupt(err, "too short");
    if ((uint32_t)le_get(bytes + 4, 4) != ARCHIVE_VERSION)
        return fo_error_set(err, FO_ECORRUPT, "body", "export version %u is not known",
                            (unsigned)(uint32_t)le_get(bytes + 4, 4));
    if ((uint32_t)le_get(bytes + len - 4, 4) != fo_crc32(bytes, len - 4))
        return corrupt(err, "its CRC-32 does not match");
    uint64_t n = le_get(bytes + 8, 8);
    if (n > len - 28)
        return corrupt(err, "the snapshot's length");
    *snap = bytes + 16;
    *snap_len = (size_t)n;
    return FO_OK;
}

struct reader {
    const unsigned char *p;
    size_t left;
    int bad;
};

static const unsigned char *take(struct reader *r, size_t n) {
    if (r->bad || n > r->left) {
        r->bad = 1;
        return NULL;
    }
    const unsigned char *at = r->p;
    r->p += n;
    r->left -= n;
    return at;
}

static uint64_t get64(struct reader *r) {
    const unsigned char *p = take(r, 8);
    return p ? le_get(p, 8) : 0;
}

static double getf(struct reader *r) {
    const unsigned char *p = take(r, 8);
    return p ? bits_f64(le_get(p, 8)) : NAN;
}

/* A text into a new string (NULL for none). */
static char *get_text(struct reader *r) {
    const unsigned char *p = take(r, 4);
    uint32_t n = p ? (uint32_t)le_get(p, 4) : NO_TEXT;
    if (n == NO_TEXT)
        return NULL;
    const unsigned char *s = n <= MAX_TEXT ? take(r, n) : NULL;
    char *out = s ? malloc((size_t)n + 1) : NULL;
    if (!s || !out || memchr(s, '\0', n)) {
        free(out);
        r->bad = 1;
        return NULL;
    }
    memcpy(out, s, n);
    out[n] = '\0';
    return out;
}

/* A JSON object's text, as the tell accepted it: braces around it. */
static int object_text(const char *s) {
    size_t n = s ? strlen(s) : 0;
    return !s || (n >= 2 && s[0] == '{' && s[n - 1] == '}');
}

struct rows_write {
    const char *run_id;
    const unsigned char *p;
    size_t left, dim;
    uint64_t rows, next_id;
};

static enum fo_status write_rows(struct fo_store *store, void *ctx,
                                 struct fo_error *err) {
    const struct rows_write *w = ctx;
    struct reader r = {w->p, w->left, 0};
    double *x = malloc((w->dim ? w->dim : 1) * sizeof *x);
    enum fo_status st = x ? FO_OK : fo_error_set(err, FO_ENOMEM, "body", "out of memory");
    uint64_t prev = 0;
    for (uint64_t k = 0; st == FO_OK && k < w->rows; k++) {
        uint64_t id = get64(&r), gen = get64(&r), reissue = get64(&r);
        double lp = getf(&r), value = getf(&r), se = getf(&r), cost = getf(&r);
        int64_t shots = (int64_t)get64(&r);
        const unsigned char *codes = take(&r, 2);
        for (size_t d = 0; d < w->dim; d++)
            x[d] = getf(&r);
        char *error = get_text(&r), *client = get_text(&r), *meta = get_text(&r),
             *metrics = get_text(&r);
        unsigned rs = codes ? codes[0] : 0, observed = codes ? codes[1] : 2;
        int ok = !r.bad && id > prev && id < w->next_id && reissue < id &&
                 rs > FO_RECORD_PENDING && rs < FO_N_RECORD_STATUSES && observed <= 1 &&
                 isfinite(lp) && (rs != FO_RECORD_TOLD || isfinite(value)) &&
                 (isnan(cost) || (isfinite(cost) && cost > 0.0)) && shots >= 0 &&
                 (!client || strlen(client) <= 128) && object_text(meta) &&
                 object_text(metrics);
        for (size_t d = 0; ok && d < w->dim; d++)
            ok = isfinite(x[d]);
        if (!ok)
            st = corrupt(err, "a sample row");
        const struct fo_store_new_sample ns = {.id = (int64_t)id,
                                               .generation = (int64_t)gen,
                                               .x = x,
                                               .dim = w->dim,
                                               .log_prob = lp,
                                               .reissue_of = (int64_t)reissue,
                                               .client_id = client,
                                               .lease_s = NAN,
                                               .observed = (int)observed};
        const struct fo_store_result res = {
            .status = fo_service_record_status_name((enum fo_record_status)rs),
            .value = rs == FO_RECORD_TOLD ? value : NAN,
            .error = error,
            .std_error = se,
            .shots = shots,
            .cost = cost,
            .metadata = meta,
            .metrics = metrics};
        if (st == FO_OK)
            st = fo_store_sample_insert(store, w->run_id, &ns, err);
        if (st == FO_OK)
            st = fo_store_sample_resolve(store, w->run_id, (int64_t)id, &res, err);
        prev = id;
        free(error);
        free(client);
        free(meta);
        free(metrics);
    }
    free(x);
    if (st == FO_OK && r.left != 4) /* the CRC is all that is left */
        st = corrupt(err, "bytes after the rows");
    return st;
}

enum fo_status fo__archive_rows(struct fo_service *svc, const char *new_id,
                                const unsigned char *bytes, size_t len,
                                struct fo_error *err) {
    const unsigned char *snap;
    size_t snap_len;
    enum fo_status st = fo__archive_snapshot(bytes, len, &snap, &snap_len, err);
    if (st != FO_OK)
        return st;
    struct fo_run *r = fo__run_acquire(svc, new_id, err);
    if (!r)
        return FO_ENOTFOUND;
    const unsigned char *after = snap + snap_len;
    size_t left = len - (size_t)(after - bytes);
    struct rows_write w = {new_id,           after + 8,
                           left - 8,         fo_engine_dim(r->engine),
                           le_get(after, 8), fo_engine_next_id(r->engine)};
    fo__run_release(r);
    uint64_t ticket = 0;
    st = fo_store_transact(svc->store, write_rows, &w, &ticket, err);
    return st == FO_OK ? fo_store_wait(svc->store, ticket, err) : st;
}
