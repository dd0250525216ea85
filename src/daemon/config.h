/*
 * config.h - flowoptd's settings: command-line flags over environment
 * variables over built-in defaults.
 */
#ifndef FLOWOPT_DAEMON_CONFIG_H
#define FLOWOPT_DAEMON_CONFIG_H

#include <flowopt/status.h>
#include "store/store.h"
#include "util/log.h"

struct fo_daemon_config {
    char listen[300];
    char db[4096];
    enum fo_log_level log_level;
    enum fo_log_format log_format;
    enum fo_durability durability;
    unsigned threads;
    unsigned checkpoint_retention;
    unsigned park_idle_s;
    unsigned max_connections, max_per_ip, header_timeout_s;
    unsigned max_runs, max_params, max_answer_values; /* budgets; 0: the defaults */
    unsigned shard;                                   /* --shard 0..255; 256: none */
    char tokens_file[4096];                           /* "" when API tokens are off */
    char evaluator_allow[1024]; /* "" when push-mode evaluators are off */
    char allowed_hosts[1024];   /* Host names served besides IP literals, localhost */
    char cors_origins[1024];    /* cross-origin pages allowed; "" none */
    char tls_cert[4096], tls_key[4096]; /* PEM files: serve HTTPS; "" plain HTTP */
    int show_help;
    int show_version;
    int check_config;
    char backup[4096]; /* --backup DEST: copy the database there and exit */
    int init;          /* --init: create the database (and its folder) when missing */
    int quick_check;   /* PRAGMA quick_check at start (default yes) */
};

/*
 * Fill cfg from defaults, then the environment (FLOWOPT_LISTEN, FLOWOPT_DB,
 * FLOWOPT_LOG_LEVEL, FLOWOPT_DURABILITY, FLOWOPT_THREADS), then argv.
 * FO_EINVAL names the offending flag or variable.
 */
enum fo_status fo_daemon_config_load(struct fo_daemon_config *cfg, int argc, char **argv,
                                     struct fo_error *err);

/* The --help text. */
const char *fo_daemon_usage(void);

#endif
