/*
 * main.c - flowoptd: settings, start-up order, signals, orderly shutdown.
 *
 * Start-up: settings -> log level -> store (migrations) -> listen -> print
 * "listening on HOST:PORT" as the first line on stderr -> wait for a signal.
 * SIGTERM/SIGINT/SIGHUP are blocked in every thread (the mask is inherited
 * by libmicrohttpd's threads) and taken with sigwait here, so no code runs
 * in signal context.
 */
#include "daemon/config.h"
#include "daemon/notify.h"
#include "http/listen.h"
#include "http/auth.h"
#include "http/server.h"
#include "push/push.h"
#include "store/backup.h"
#include "service/service.h"
#include "util/log.h"

#include <flowopt/flowopt.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#define DRAIN_MS 10000

/* Create the database's directory when it is missing (one level, 0750). */
static void ensure_db_dir(const char *db) {
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", db);
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir)
        return;
    *slash = '\0';
    if (mkdir(dir, 0750) != 0 && errno != EEXIST)
        fo_log_warn("cannot create %s: %s", dir, strerror(errno));
}

/* Room for every connection allowed (and the database's files): the soft
 * descriptor limit is often 1024. */
static void raise_fd_limit(unsigned connections) {
    struct rlimit lim;
    if (getrlimit(RLIMIT_NOFILE, &lim) != 0)
        return;
    rlim_t want = (rlim_t)connections + 256;
    if (lim.rlim_cur >= want)
        return;
    lim.rlim_cur =
        lim.rlim_max == RLIM_INFINITY || lim.rlim_max > want ? want : lim.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur < want)
        fo_log_warn("only %llu file descriptors: fewer connections than %u can be served",
                    (unsigned long long)lim.rlim_cur, connections);
}

/* Requests in flight finish (at most DRAIN_MS); a second SIGTERM or SIGINT
 * stops at once (an operator who means it). */
static void drain(struct fo_http_server *http, const sigset_t *signals) {
    fo_http_drain(http);
    struct timespec start, now, tick = {0, 5 * 1000 * 1000};
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        unsigned left = fo_http_in_flight(http);
        clock_gettime(CLOCK_MONOTONIC, &now);
        double ms = (double)(now.tv_sec - start.tv_sec) * 1e3 +
                    (double)(now.tv_nsec - start.tv_nsec) / 1e6;
        if (!left || ms >= DRAIN_MS) {
            if (left)
                fo_log_warn("%u requests still running after %d ms: stopping", left,
                            DRAIN_MS);
            return;
        }
        int sig = sigtimedwait(signals, NULL, &tick);
        if (sig == SIGTERM || sig == SIGINT) {
            fo_log_warn("signal %d again: stopping now (%u requests cut)", sig, left);
            return;
        }
    }
}

/*
 * The next signal. With a systemd watchdog, wake at its interval and ping
 * it after a health check: a daemon whose store lock is wedged stops
 * pinging and is restarted. The status line says why writes are refused.
 */
static int next_signal(const sigset_t *signals, struct fo_service *svc) {
    long ms = fo_notify_watchdog_ms();
    for (;;) {
        if (!ms) {
            int sig = 0;
            return sigwait(signals, &sig) == 0 ? sig : SIGTERM;
        }
        struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
        int sig = sigtimedwait(signals, NULL, &t);
        if (sig > 0)
            return sig;
        struct fo_health h;
        fo_service_health(svc, &h);
        char text[300];
        snprintf(text, sizeof text, "WATCHDOG=1\nSTATUS=%s%.200s",
                 h.degraded[0] ? "degraded: " : "serving", h.degraded);
        fo_notify(text);
    }
}

static int serve(const struct fo_daemon_config *cfg, sigset_t *signals) {
    struct fo_error err = {0};
    struct fo_service_config scfg = {.store = {.path = cfg->db,
                                               .create = cfg->init,
                                               .durability = cfg->durability,
                                               .quick_check = cfg->quick_check},
                                     .checkpoint_retention = cfg->checkpoint_retention,
                                     .park_idle_s = cfg->park_idle_s,
                                     .evaluator_allow = cfg->evaluator_allow,
                                     .max_runs = cfg->max_runs,
                                     .max_params = cfg->max_params,
                                     .max_answer_values = cfg->max_answer_values,
                                     .has_shard = cfg->shard <= 255,
                                     .shard = cfg->shard};
    struct fo_service *svc = NULL;
    if (cfg->init)
        ensure_db_dir(cfg->db);
    if (fo_service_create(&scfg, &svc, &err) != FO_OK) {
        fprintf(stderr, "flowoptd: %s\n", err.msg);
        return 1;
    }
    struct fo_http_config hcfg = {.listen = cfg->listen,
                                  .threads = cfg->threads,
                                  .tokens_file = cfg->tokens_file,
                                  .max_connections = cfg->max_connections,
                                  .max_per_ip = cfg->max_per_ip,
                                  .header_timeout_s = cfg->header_timeout_s,
                                  .allowed_hosts = cfg->allowed_hosts,
                                  .cors_origins = cfg->cors_origins,
                                  .tls_cert = cfg->tls_cert,
                                  .tls_key = cfg->tls_key};
    struct fo_http_server *http = NULL;
    char bound[300];
    if (fo_http_start(&hcfg, svc, &http, bound, sizeof bound, &err) != FO_OK) {
        fprintf(stderr, "flowoptd: %s\n", err.msg);
        fo_service_destroy(svc);
        return 1;
    }
    struct fo_push *push = NULL; /* the calls to evaluators, when any is allowed */
    if (cfg->evaluator_allow[0] && fo_push_start(svc, &push, &err) != FO_OK) {
        fprintf(stderr, "flowoptd: %s\n", err.msg);
        fo_http_stop(http, DRAIN_MS);
        fo_service_destroy(svc);
        return 1;
    }
    fprintf(stderr, "listening on %s\n", bound);
    fflush(stderr);
    size_t damaged = fo_service_report_damage(svc);
    if (damaged)
        fo_log_error("%zu damaged runs: their samples, history and checkpoints stay "
                     "readable; delete them or import an exported checkpoint",
                     damaged);
    fo_notify("READY=1\nSTATUS=serving");
    int sig = 0;
    while ((sig = next_signal(signals, svc)) == SIGHUP) {
        size_t n = 0;
        if (!cfg->tokens_file[0])
            fo_log_info("SIGHUP: nothing to reload");
        else if (fo_http_reload_tokens(http, &n, &err) == FO_OK)
            fo_log_info("SIGHUP: %zu API tokens loaded", n);
        else
            fo_log_warn("SIGHUP: %s; the previous tokens stay", err.msg);
    }
    fo_http_drain(http); /* no new client from here on; then say so */
    fo_log_info("signal %d: stopping", sig);
    fo_notify("STOPPING=1\nSTATUS=draining");
    fo_push_stop(push);
    drain(http, signals);
    fo_http_stop(http, 0);
    fo_service_destroy(svc);
    fo_log_info("stopped");
    return 0;
}

int main(int argc, char **argv) {
    struct fo_daemon_config cfg;
    struct fo_error err = {0};
    if (fo_daemon_config_load(&cfg, argc, argv, &err) != FO_OK) {
        fprintf(stderr, "flowoptd: %s: %s\n", err.field, err.msg);
        return 2;
    }
    if (cfg.show_help) {
        fputs(fo_daemon_usage(), stdout);
        return 0;
    }
    if (cfg.show_version) {
        printf("flowoptd %s\n", FO_VERSION_STRING);
        return 0;
    }
    if (cfg.backup[0]) {
        size_t pages = 0;
        if (fo_store_backup(cfg.db, cfg.backup, &pages, &err) != FO_OK) {
            fprintf(stderr, "flowoptd: %s\n", err.msg);
            return 1;
        }
        printf("backed up %s to %s (%zu pages)\n", cfg.db, cfg.backup, pages);
        return 0;
    }
    if (cfg.check_config) {
        char host[256], port[16];
        if (fo_listen_parse(cfg.listen, host, sizeof host, port, sizeof port, &err) !=
            FO_OK) {
            fprintf(stderr, "flowoptd: %s: %s\n", err.field, err.msg);
            return 2;
        }
        if (cfg.tokens_file[0]) {
            struct fo_auth auth;
            size_t n = 0;
            fo_auth_init(&auth);
            enum fo_status st = fo_auth_load(&auth, cfg.tokens_file, &n, &err);
            fo_auth_free(&auth);
            if (st != FO_OK) {
                fprintf(stderr, "flowoptd: %s: %s\n", err.field, err.msg);
                return 2;
            }
        }
        printf("configuration OK\n");
        return 0;
    }
    fo_log_set_level(cfg.log_level);
    fo_log_set_format(cfg.log_format);
    raise_fd_limit(cfg.max_connections ? cfg.max_connections : 1000);
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &signals, NULL);
    signal(SIGPIPE, SIG_IGN);
    return serve(&cfg, &signals);
}
