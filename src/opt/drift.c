/* drift.c - the reference point re-measured over time; see drift.h. */
#include "opt/drift.h"
#include "opt/engine_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum fo_status fo__drift_create(struct fo_engine *e, struct fo_error *err) {
    struct fo_drift *d = &e->drift;
    memset(d, 0, sizeof *d);
    d->last = NAN;
    if (!e->cfg.reference)
        return FO_OK;
    d->x = malloc(e->D * sizeof(double));
    if (!d->x)
        return fo_error_set(err, FO_ENOMEM, "run", "out of memory for the reference");
    memcpy(d->x, e->cfg.reference, e->D * sizeof(double));
    e->cfg.reference = d->x;
    return FO_OK;
}

void fo__drift_destroy(struct fo_engine *e) {
    free(e->drift.x);
    e->drift.x = NULL;
}

static int due(const struct fo_engine *e) {
    const struct fo_drift *d = &e->drift;
    return d->x && e->cfg.reference_every > 0 && !d->pending && e->generation >= d->due;
}

size_t fo__drift_wanted(const struct fo_engine *e) {
    return due(e) ? 1 : 0;
}

size_t fo__drift_ask(struct fo_engine *e, size_t n, struct fo_sample *samples,
                     double *x) {
    struct fo_drift *d = &e->drift;
    if (n == 0 || !due(e))
        return 0;
    fo__engine_add_record(e, d->x, 0.0, &samples[0]);
    e->recs[e->n_recs - 1].kind = FO_REC_DRIFT;
    memcpy(x, d->x, e->D * sizeof(double));
    d->pending = samples[0].id;
    d->due = e->generation + e->cfg.reference_every;
    return 1;
}

void fo__drift_resolved(struct fo_engine *e, size_t i) {
    struct fo_drift *d = &e->drift;
    const struct fo_rec *r = &e->recs[i];
    if (r->status == FO_SAMPLE_TOLD) {
        d->last = r->value;
        d->measured++;
    }
    d->pending = 0;
    fo__engine_forget(e, i);
}

double fo__drift_take(struct fo_engine *e) {
    double v = e->drift.last;
    e->drift.last = NAN;
    return v;
}
