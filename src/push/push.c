/* push.c - push-mode evaluators; see push.h. */
#include "push/push.h"
#include "service/asktell.h"
#include "service/evaluators.h"
#include "service/names.h"
#include "service/runs.h"
#include "util/log.h"
#include "util/text.h"
#include "util/url.h"

#include <curl/curl.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_CALLS 256
#define MAX_RUNS 1024
#define CLIENT_ID "push"
#define TICK_MS 50

/* An evaluator as the API keeps it (evaluator_json.h). */
struct evaluator {
    char url[2048];
    long batch, concurrency, retries;
    double timeout_s;
    json_t *headers;
};

struct call {
    CURL *easy;
    char run[64];
    struct evaluator ev; /* a copy: the run may change it meanwhile */
    char *body;
    struct curl_slist *headers;
    struct fo_text resp;
    char **ids;
    size_t n;
    long tries;
    double started, retry_at; /* retry_at > 0: waiting to be sent again */
    int in_multi;
};

struct fo_push {
    struct fo_service *svc;
    pthread_t thread;
    atomic_int stop;
    CURLM *multi;
    struct call *calls[MAX_CALLS];
    size_t n_calls;
    char resumed[MAX_RUNS][64]; /* runs whose held samples were sent again */
    size_t n_resumed;
    int rescan; /* a call finished: its run may take the next batch now */
};

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int parse_evaluator(const char *text, struct evaluator *ev) {
    json_t *j = json_loads(text, 0, NULL);
    const char *url = json_string_value(json_object_get(j, "url"));
    int ok = url && strlen(url) < sizeof ev->url;
    if (ok) {
        snprintf(ev->url, sizeof ev->url, "%s", url);
        ev->batch = (long)json_integer_value(json_object_get(j, "batch"));
        ev->concurrency = (long)json_integer_value(json_object_get(j, "concurrency"));
        ev->retries = (long)json_integer_value(json_object_get(j, "retries"));
        ev->timeout_s = json_number_value(json_object_get(j, "timeout_s"));
        ev->headers = json_incref(json_object_get(j, "headers"));
        ok = ev->batch >= 1 && ev->concurrency >= 1 && ev->timeout_s > 0.0;
    }
    json_decref(j);
    return ok ? 0 : -1;
}

static size_t collect(char *data, size_t size, size_t n, void *user) {
    struct fo_text *t = user;
    if (t->len + size * n > (1u << 24)) /* 16 MB: an answer past it is garbage */
        return 0;
    fo_text_printf(t, "%.*s", (int)(size * n), data);
    return t->failed ? 0 : size * n;
}

static void call_free(struct call *c) {
    if (!c)
        return;
    if (c->easy)
        curl_easy_cleanup(c->easy);
    curl_slist_free_all(c->headers);
    for (size_t i = 0; c->ids && i < c->n; i++)
        free(c->ids[i]);
    free(c->ids);
    free(c->body);
    free(c->resp.p);
    json_decref(c->ev.headers);
    free(c);
}

static size_t in_flight(const struct fo_push *p, const char *run) {
    size_t k = 0;
    for (size_t i = 0; i < p->n_calls; i++)
        k += strcmp(p->calls[i]->run, run) == 0;
    return k;
}

/* The request of c, sent (again). */
static void send_call(struct fo_push *p, struct call *c) {
    free(c->resp.p);
    memset(&c->resp, 0, sizeof c->resp);
    curl_easy_reset(c->easy);
    curl_easy_setopt(c->easy, CURLOPT_URL, c->ev.url);
    curl_easy_setopt(c->easy, CURLOPT_POSTFIELDS, c->body);
    curl_easy_setopt(c->easy, CURLOPT_HTTPHEADER, c->headers);
    curl_easy_setopt(c->easy, CURLOPT_FOLLOWLOCATION, 0L); /* the list is for this URL */
    curl_easy_setopt(c->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c->easy, CURLOPT_TIMEOUT_MS, (long)(c->ev.timeout_s * 1000.0));
    curl_easy_setopt(c->easy, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c->easy, CURLOPT_WRITEDATA, &c->resp);
    curl_easy_setopt(c->easy, CURLOPT_PRIVATE, c);
    c->started = now_s();
    c->retry_at = 0.0;
    c->tries++;
    c->in_multi = curl_multi_add_handle(p->multi, c->easy) == CURLM_OK;
}

/* Tell every sample of c failed with why. */
static void tell_failed(struct fo_push *p, struct call *c, const char *why) {
    struct fo_tell_item *items = calloc(c->n ? c->n : 1, sizeof *items);
    struct fo_step_report *reps = calloc(c->n ? c->n : 1, sizeof *reps);
    struct fo_tell_outcome out;
    for (size_t i = 0; items && i < c->n; i++)
        items[i] = (struct fo_tell_item){.id = strtoull(c->ids[i], NULL, 10),
                                         .failed = 1,
                                         .error = why,
                                         .std_error = NAN,
                                         .cost = NAN};
    if (items && reps)
        fo_service_tell(p->svc, c->run, items, c->n, reps, &out, NULL);
    free(items);
    free(reps);
}

/* The evaluator's answer: values and failures it names, the rest failed. */
static int tell_answer(struct fo_push *p, struct call *c) {
    json_t *j = c->resp.p ? json_loads(c->resp.p, 0, NULL) : NULL;
    json_t *results = json_object_get(j, "results");
    if (!json_is_array(results)) {
        json_decref(j);
        tell_failed(p, c, "the evaluator's answer is not {\"results\": [...]}");
        return -1;
    }
    struct fo_tell_item *items = calloc(c->n ? c->n : 1, sizeof *items);
    struct fo_step_report *reps = calloc(c->n ? c->n : 1, sizeof *reps);
    char(*why)[160] = calloc(c->n ? c->n : 1, sizeof *why);
    int bad = 0;
    for (size_t i = 0; items && reps && why && i < c->n; i++) {
        json_t *r = NULL, *e;
        size_t k;
        json_array_foreach(results, k, e) {
            const char *id = json_string_value(json_object_get(e, "id"));
            if (id && strcmp(id, c->ids[i]) == 0)
                r = e;
        }
        json_t *v = json_object_get(r, "value");
        const char *status = json_string_value(json_object_get(r, "status"));
        const char *err = json_string_value(json_object_get(r, "error"));
        items[i] = (struct fo_tell_item){
            .id = strtoull(c->ids[i], NULL, 10), .std_error = NAN, .cost = NAN};
        if (r && json_is_number(v) && isfinite(json_number_value(v)) && !status) {
            items[i].value = json_number_value(v);
            continue;
        }
        items[i].failed = 1;
        bad |= !(status && strcmp(status, "failed") == 0);
        snprintf(why[i], sizeof why[i], "%s",
                 !r ? "missing from the evaluator's answer"
                 : status && strcmp(status, "failed") == 0
                     ? (err ? err : "failed")
                     : "the evaluator's answer holds no "
                       "finite value for it");
        items[i].error = why[i];
    }
    struct fo_tell_outcome out;
    if (items && reps && why)
        fo_service_tell(p->svc, c->run, items, c->n, reps, &out, NULL);
    free(items);
    free(reps);
    free(why);
    json_decref(j);
    return bad ? -1 : 0;
}

/* A finished transfer: told, or sent again after a backoff. */
static void finished(struct fo_push *p, struct call *c, CURLcode rc) {
    long status = 0;
    curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &status);
    curl_multi_remove_handle(p->multi, c->easy);
    c->in_multi = 0;
    const double took = now_s() - c->started;
    const int transient = rc != CURLE_OK || status >= 500;
    if (transient && c->tries <= c->ev.retries) {
        double back =
            0.1 * (double)(1L << (c->tries - 1)) * (0.5 + (double)rand() / RAND_MAX);
        c->retry_at = now_s() + back;
        fo_service_push_note(p->svc, 0, 1, took);
        return;
    }
    char why[300];
    int failed = 1;
    if (rc != CURLE_OK)
        snprintf(why, sizeof why, "the evaluator could not be reached: %s",
                 curl_easy_strerror(rc));
    else if (status != 200)
        snprintf(why, sizeof why, "the evaluator answered HTTP %ld", status);
    else
        failed = tell_answer(p, c) != 0;
    if (rc != CURLE_OK || status != 200)
        tell_failed(p, c, why);
    fo_service_push_note(p->svc, failed, 0, took);
    p->rescan = 1;
    for (size_t i = 0; i < p->n_calls; i++)
        if (p->calls[i] == c) {
            p->calls[i] = p->calls[--p->n_calls];
            break;
        }
    call_free(c);
}

static int was_resumed(struct fo_push *p, const char *run) {
    for (size_t i = 0; i < p->n_resumed; i++)
        if (strcmp(p->resumed[i], run) == 0)
            return 1;
    if (p->n_resumed < MAX_RUNS)
        snprintf(p->resumed[p->n_resumed++], sizeof p->resumed[0], "%s", run);
    return 0;
}

/* Ask a batch for run and start its call. */
static void start_call(struct fo_push *p, const char *run, const struct evaluator *ev,
                       size_t D) {
    char host[256];
    unsigned port;
    if (fo_url_host_port(ev->url, host, sizeof host, &port) != 0 ||
        !fo_service_evaluator_allowed(p->svc, host, port))
        return; /* the list changed since the run set it: not called */
    struct call *c = calloc(1, sizeof *c);
    struct fo_sample *s = malloc((size_t)ev->batch * sizeof *s);
    double *x = malloc((size_t)ev->batch * (D ? D : 1) * sizeof *x);
    size_t resumed = 0;
    /* the first ask after a start sends again what push still held */
    const struct fo_ask_options o = {NULL, CLIENT_ID,
                                     ev->timeout_s * (double)(ev->retries + 1) + 60.0,
                                     !was_resumed(p, run)};
    if (!c || !s || !x ||
        fo_service_ask_ex(p->svc, run, (size_t)ev->batch, &o, s, x, &resumed, NULL) !=
            FO_OK) {
        free(c);
        free(s);
        free(x);
        return;
    }
    snprintf(c->run, sizeof c->run, "%s", run);
    c->ev = *ev;
    json_incref(c->ev.headers);
    c->n = (size_t)ev->batch;
    c->ids = calloc(c->n, sizeof *c->ids);
    json_t *arr = json_array();
    char num[32];
    for (size_t i = 0; c->ids && i < c->n; i++) {
        snprintf(num, sizeof num, "%llu", (unsigned long long)s[i].id);
        c->ids[i] = strdup(num);
        json_t *xs = json_array();
        for (size_t d = 0; d < D; d++)
            json_array_append_new(xs, json_real(x[i * D + d]));
        json_array_append_new(arr, json_pack("{s:s, s:o}", "id", num, "x", xs));
    }
    json_t *body = json_pack("{s:s, s:o}", "run", run, "samples", arr);
    c->body = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    free(s);
    free(x);
    c->headers = curl_slist_append(NULL, "Content-Type: application/json");
    const char *k;
    json_t *v;
    json_object_foreach(c->ev.headers, k, v) {
        char line[1200];
        snprintf(line, sizeof line, "%s: %s", k, json_string_value(v));
        c->headers = curl_slist_append(c->headers, line);
    }
    c->easy = curl_easy_init();
    if (!c->easy || !c->body || !c->ids || p->n_calls == MAX_CALLS) {
        tell_failed(p, c, "the daemon could not start the call");
        call_free(c);
        return;
    }
    p->calls[p->n_calls++] = c;
    send_call(p, c);
}

/* The runs with an evaluator, copied out: the store's lock is held while
 * they are listed, and asking takes it again. */
struct listing {
    char (*ids)[64];
    char **texts;
    size_t n, cap;
};

static int on_listed(void *ctx, const char *id, const char *text) {
    struct listing *l = ctx;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16;
        char(*ids)[64] = realloc(l->ids, cap * sizeof *ids);
        if (ids)
            l->ids = ids;
        char **texts = ids ? realloc(l->texts, cap * sizeof *texts) : NULL;
        if (!texts)
            return 0;
        l->texts = texts;
        l->cap = cap;
    }
    snprintf(l->ids[l->n], sizeof l->ids[0], "%s", id);
    l->texts[l->n] = strdup(text);
    l->n += l->texts[l->n] != NULL;
    return 0;
}

struct scan {
    struct fo_push *p;
    struct fo_run_view *view;
};

static int on_evaluator(void *ctx, const char *id, const char *text) {
    struct scan *sc = ctx;
    struct evaluator ev = {0};
    if (parse_evaluator(text, &ev) != 0)
        return 0;
    if (fo_service_run_view(sc->p->svc, id, sc->view, NULL) == FO_OK &&
        sc->view->state == FO_RUN_ACTIVE && sc->view->stop == FO_STOP_NONE)
        while (in_flight(sc->p, id) < (size_t)ev.concurrency &&
               sc->p->n_calls < MAX_CALLS) {
            size_t before = sc->p->n_calls;
            start_call(sc->p, id, &ev, sc->view->cfg.flow.dim);
            if (sc->p->n_calls == before)
                break;
        }
    json_decref(ev.headers);
    return 0;
}

static void *worker(void *arg) {
    struct fo_push *p = arg;
    struct fo_run_view *view = malloc(sizeof *view);
    double next_scan = 0.0;
    while (view && !atomic_load(&p->stop)) {
        if (p->rescan || now_s() >= next_scan) {
            p->rescan = 0;
            struct scan sc = {p, view};
            struct listing l = {0};
            fo_service_evaluators(p->svc, on_listed, &l, NULL);
            for (size_t i = 0; i < l.n; i++) {
                on_evaluator(&sc, l.ids[i], l.texts[i]);
                free(l.texts[i]);
            }
            free(l.ids);
            free(l.texts);
            next_scan = now_s() + TICK_MS / 1000.0;
        }
        for (size_t i = 0; i < p->n_calls; i++) /* backoffs that are over */
            if (!p->calls[i]->in_multi && p->calls[i]->retry_at > 0.0 &&
                now_s() >= p->calls[i]->retry_at)
                send_call(p, p->calls[i]);
        int running = 0;
        curl_multi_perform(p->multi, &running);
        CURLMsg *m;
        int left = 0;
        while ((m = curl_multi_info_read(p->multi, &left)) != NULL) {
            if (m->msg != CURLMSG_DONE)
                continue;
            struct call *c = NULL;
            curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&c);
            if (c)
                finished(p, c, m->data.result);
        }
        curl_multi_poll(p->multi, NULL, 0, TICK_MS, NULL);
    }
    free(view);
    return NULL;
}

enum fo_status fo_push_start(struct fo_service *svc, struct fo_push **out,
                             struct fo_error *err) {
    struct fo_push *p = calloc(1, sizeof *p);
    if (!p)
        return fo_error_set(err, FO_ENOMEM, "push", "out of memory");
    p->svc = svc;
    p->multi = curl_multi_init();
    if (!p->multi || pthread_create(&p->thread, NULL, worker, p) != 0) {
        if (p->multi)
            curl_multi_cleanup(p->multi);
        free(p);
        return fo_error_set(err, FO_EIO, "push", "cannot start the push worker");
    }
    *out = p;
    return FO_OK;
}

void fo_push_stop(struct fo_push *p) {
    if (!p)
        return;
    atomic_store(&p->stop, 1);
    curl_multi_wakeup(p->multi);
    pthread_join(p->thread, NULL);
    for (size_t i = 0; i < p->n_calls; i++) {
        if (p->calls[i]->in_multi)
            curl_multi_remove_handle(p->multi, p->calls[i]->easy);
        call_free(p->calls[i]);
    }
    curl_multi_cleanup(p->multi);
    free(p);
}
