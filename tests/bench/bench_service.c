/*
 * bench_service.c - flowoptd on loopback, JSON lines:
 *   ask(1)+tell(1) round-trip latency (p50, p99) with 1 and 8 clients;
 *   told values per second with batches of 50 over 8 clients, for
 *   --durability normal and full;
 *   resident memory of the daemon holding 1,000 runs of D = 10.
 * Each client keeps one connection (keep-alive), as a lab driver would.
 */
#include "testutil.h"

#include <curl/curl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#define CLIENTS 8

static char dir[512];
static struct fo_test_daemon d;

struct conn {
    CURL *curl;
    struct curl_slist *headers;
    char *buf;
    size_t len, cap;
};

static size_t sink(char *p, size_t s, size_t n, void *u) {
    struct conn *c = u;
    size_t k = s * n;
    if (c->len + k + 1 > c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 65536;
        while (cap < c->len + k + 1)
            cap *= 2;
        char *g = realloc(c->buf, cap);
        if (!g)
            return 0;
        c->buf = g;
        c->cap = cap;
    }
    memcpy(c->buf + c->len, p, k);
    c->len += k;
    c->buf[c->len] = '\0';
    return k;
}

static void conn_open(struct conn *c) {
    memset(c, 0, sizeof *c);
    c->curl = curl_easy_init();
    c->headers = curl_slist_append(NULL, "Content-Type: application/json");
    curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, c->headers);
    curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, c);
}

static void conn_close(struct conn *c) {
    curl_slist_free_all(c->headers);
    curl_easy_cleanup(c->curl);
    free(c->buf);
}

/* POST body to path; returns the status (0 on transport error). Body in c->buf. */
static long post(struct conn *c, const char *path, const char *body) {
    char url[256];
    snprintf(url, sizeof url, "%s%s", d.base_url, path);
    c->len = 0;
    curl_easy_setopt(c->curl, CURLOPT_URL, url);
    curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body);
    long status = 0;
    if (curl_easy_perform(c->curl) == CURLE_OK)
        curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
    return status;
}

static void create_run(struct conn *c, char *id, int batch) {
    char body[256];
    snprintf(
        body, sizeof body,
        "{\"dim\": 10, \"bounds\": {\"lo\": -5, \"hi\": 5}, \"direction\": \"minimize\","
        " \"batch_size\": %d}",
        batch);
    post(c, "/v1/runs", body);
    const char *p = c->buf ? strstr(c->buf, "\"id\":\"") : NULL;
    snprintf(id, 17, "%s", p ? p + 6 : "");
}

/* Ask n; tell all n with values 1..n; returns the number of ids seen. */
static int ask_tell(struct conn *c, const char *run, int n) {
    char path[128], ask_body[64];
    snprintf(path, sizeof path, "/v1/runs/%s/ask", run);
    snprintf(ask_body, sizeof ask_body, "{\"n\": %d}", n);
    if (post(c, path, ask_body) != 200)
        return -1;
    char *tell = malloc((size_t)n * 64 + 32), *w = tell;
    w += sprintf(w, "{\"results\": [");
    int k = 0;
    for (const char *p = c->buf; (p = strstr(p, "{\"id\":\"")) != NULL; p += 7) {
        w += sprintf(w, "%s{\"id\": \"%lld\", \"value\": %d.5}", k ? ", " : "",
                     atoll(p + 7), k);
        k++;
    }
    sprintf(w, "]}");
    snprintf(path, sizeof path, "/v1/runs/%s/tell", run);
    long st = post(c, path, tell);
    free(tell);
    return st == 200 ? k : -1;
}

struct job {
    char run[17];
    int rounds, batch;
    double *lat; /* per round, microseconds (may be NULL) */
    long told;
};

static void *worker(void *p) {
    struct job *j = p;
    struct conn c;
    conn_open(&c);
    for (int i = 0; i < j->rounds; i++) {
        double t0 = fo_test_now_ms();
        int k = ask_tell(&c, j->run, j->batch);
        if (j->lat)
            j->lat[i] = (fo_test_now_ms() - t0) * 1e3;
        if (k > 0)
            j->told += k;
    }
    conn_close(&c);
    return NULL;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* A daemon on a fresh database; park_idle: its --park-idle seconds. */
static void start(const char *durability, const char *park_idle) {
    char db[600], log[600];
    snprintf(db, sizeof db, "%s/bench-%s-%s.db", dir, durability, park_idle);
    snprintf(log, sizeof log, "%s/bench-%s-%s.log", dir, durability, park_idle);
    const char *args[] = {"--log-level", "error",       "--durability",
                          durability,    "--park-idle", park_idle,
                          NULL};
    if (fo_test_daemon_start(&d, db, log, args) != 0) {
        fprintf(stderr, "bench_service: flowoptd did not start\n");
        exit(1);
    }
}

static void stop(void) {
    int st;
    kill(d.pid, SIGTERM);
    fo_test_daemon_wait(&d, 10000, &st);
    fo_test_daemon_kill(&d);
}

static void latency(int clients, int rounds) {
    struct job j[CLIENTS];
    pthread_t t[CLIENTS];
    struct conn c;
    conn_open(&c);
    for (int i = 0; i < clients; i++) {
        memset(&j[i], 0, sizeof j[i]);
        create_run(&c, j[i].run, 2);
        j[i].rounds = rounds;
        j[i].batch = 1;
        j[i].lat = calloc((size_t)rounds, sizeof(double));
    }
    conn_close(&c);
    for (int i = 0; i < clients; i++)
        pthread_create(&t[i], NULL, worker, &j[i]);
    for (int i = 0; i < clients; i++)
        pthread_join(t[i], NULL);
    size_t n = (size_t)clients * (size_t)rounds;
    double *all = malloc(n * sizeof *all);
    for (int i = 0; i < clients; i++) {
        memcpy(all + (size_t)i * (size_t)rounds, j[i].lat,
               (size_t)rounds * sizeof(double));
        free(j[i].lat);
    }
    qsort(all, n, sizeof *all, cmp);
    printf("{\"bench\": \"roundtrip\", \"what\": \"ask(1)+tell(1)\", \"clients\": %d, "
           "\"requests\": %zu, \"p50_us\": %.0f, \"p99_us\": %.0f}\n",
           clients, n, all[n / 2], all[(n * 99) / 100]);
    fflush(stdout);
    free(all);
}

/* A counter from /metrics (0 if absent). */
static long long metric(const char *name) {
    struct conn c;
    conn_open(&c);
    char url[256];
    snprintf(url, sizeof url, "%s/metrics", d.base_url);
    curl_easy_setopt(c.curl, CURLOPT_URL, url);
    long long v = 0;
    size_t n = strlen(name);
    if (curl_easy_perform(c.curl) == CURLE_OK && c.buf)
        for (const char *p = c.buf; (p = strstr(p, name)) != NULL; p += n)
            if ((p == c.buf || p[-1] == '\n') && p[n] == ' ')
                v = atoll(p + n + 1);
    conn_close(&c);
    return v;
}

static void throughput(const char *durability, int rounds) {
    struct job j[CLIENTS];
    pthread_t t[CLIENTS];
    struct conn c;
    conn_open(&c);
    for (int i = 0; i < CLIENTS; i++) {
        memset(&j[i], 0, sizeof j[i]);
        create_run(&c, j[i].run, 50);
        j[i].rounds = rounds;
        j[i].batch = 50;
    }
    conn_close(&c);
    long long commits0 = metric("flowopt_store_commits_total");
    long long syncs0 = metric("flowopt_store_syncs_total");
    double t0 = fo_test_now_ms();
    for (int i = 0; i < CLIENTS; i++)
        pthread_create(&t[i], NULL, worker, &j[i]);
    long told = 0;
    for (int i = 0; i < CLIENTS; i++) {
        pthread_join(t[i], NULL);
        told += j[i].told;
    }
    double s = (fo_test_now_ms() - t0) / 1e3;
    printf("{\"bench\": \"throughput\", \"durability\": \"%s\", \"clients\": %d, "
           "\"batch\": 50, "
           "\"told\": %ld, \"seconds\": %.2f, \"told_per_s\": %.0f, \"commits\": %lld, "
           "\"wal_syncs\": %lld}\n",
           durability, CLIENTS, told, s, told / s,
           metric("flowopt_store_commits_total") - commits0,
           metric("flowopt_store_syncs_total") - syncs0);
    fflush(stdout);
}

static long rss_kb(pid_t pid) {
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0)
            kb = atol(line + 6);
    if (f)
        fclose(f);
    return kb;
}

/* Resident memory of runs fresh from create, after each has run one update
 * (the optimizer's state and scratch exist from then on), and once they are
 * parked; then the round trip that brings a parked run back. */
static void memory(int runs) {
    struct conn c;
    conn_open(&c);
    long before = rss_kb(d.pid);
    char(*ids)[17] = calloc((size_t)runs, sizeof *ids);
    for (int i = 0; i < runs; i++)
        create_run(&c, ids[i], 10);
    long created = rss_kb(d.pid);
    for (int i = 0; i < runs; i++)
        ask_tell(&c, ids[i], 10);
    long updated = rss_kb(d.pid);
    /* the daemon runs with --park-idle 10: wait for every run to be parked */
    double t0 = fo_test_now_ms();
    while (metric("flowopt_runs_parked") < runs && fo_test_now_ms() - t0 < 40000)
        nanosleep(&(struct timespec){0, 100 * 1000 * 1000}, NULL);
    /* one janitor tick more: the pass that parks them trims the heap after */
    nanosleep(&(struct timespec){1, 500 * 1000 * 1000}, NULL);
    long parked = metric("flowopt_runs_parked"), rss_parked = rss_kb(d.pid);
    enum { WAKE = 200 };
    double wake[WAKE] = {0};
    int n_wake = runs < WAKE ? runs : WAKE;
    for (int i = 0; i < n_wake; i++) {
        double t = fo_test_now_ms();
        ask_tell(&c, ids[i], 1);
        wake[i] = (fo_test_now_ms() - t) * 1e3;
    }
    qsort(wake, (size_t)n_wake, sizeof *wake, cmp);
    conn_close(&c);
    free(ids);
    printf("{\"bench\": \"memory\", \"runs\": %d, \"dim\": 10, \"rss_kb_before\": %ld, "
           "\"rss_kb\": %ld, \"kb_per_run\": %.1f, \"rss_kb_after_one_update\": %ld, "
           "\"kb_per_run_after_one_update\": %.1f, \"parked\": %ld, "
           "\"rss_kb_parked\": %ld, \"kb_per_run_parked\": %.1f, "
           "\"first_ask1_tell1_after_parking_p50_us\": %.0f, \"p99_us\": %.0f}\n",
           runs, before, created, (double)(created - before) / runs, updated,
           (double)(updated - before) / runs, parked, rss_parked,
           (double)(rss_parked - before) / runs, wake[n_wake / 2],
           wake[(n_wake * 99) / 100]);
    fflush(stdout);
}

int main(int argc, char **argv) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (fo_test_tmpdir(dir, sizeof dir) != 0)
        return 1;
    /* "bench_service throughput normal|full [rounds]": one cell, for profiling. */
    if (argc == 2 && strcmp(argv[1], "memory") == 0) {
        start("normal", "10");
        memory(1000);
        stop();
        fo_test_rmdir(dir);
        curl_global_cleanup();
        return 0;
    }
    if (argc >= 3 && strcmp(argv[1], "throughput") == 0) {
        start(argv[2], "600");
        throughput(argv[2], argc > 3 ? atoi(argv[3]) : 40);
        stop();
        fo_test_rmdir(dir);
        curl_global_cleanup();
        return 0;
    }
    start("normal", "600");
    latency(1, 2000);
    latency(CLIENTS, 500);
    throughput("normal", 100);
    stop();
    start("normal", "10");
    memory(1000);
    stop();
    start("full", "600");
    throughput("full", 100);
    stop();
    fo_test_rmdir(dir);
    curl_global_cleanup();
    return 0;
}
