/* config.c - see config.h. */
#include "daemon/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_THREADS 256

const char *fo_daemon_usage(void) {
    return "usage: flowoptd [options]\n"
           "\n"
           "  --listen HOST:PORT     address to serve on; port 0 picks a free port\n"
           "                         (env FLOWOPT_LISTEN, default 127.0.0.1:8080)\n"
           "  --db PATH              SQLite database; one daemon at a time holds it\n"
           "                         (PATH.lock) (env FLOWOPT_DB, default\n"
           "                         ./var/flowopt.db)\n"
           "  --init                 create the database (and its folder) if missing;\n"
           "                         without it a missing database is refused, so a\n"
           "                         lost file is never replaced by an empty one\n"
           "                         (env FLOWOPT_INIT=yes)\n"
           "  --log-level LEVEL      error, warn, info or debug\n"
           "                         (env FLOWOPT_LOG_LEVEL, default info)\n"
           "  --durability MODE      normal (survives a crash) or full (also power "
           "loss)\n"
           "                         (env FLOWOPT_DURABILITY, default normal)\n"
           "  --threads N            HTTP worker threads, 1-256\n"
           "                         (env FLOWOPT_THREADS, default 8)\n"
           "  --checkpoint-retention N  checkpoints kept per run, newest first; 0 keeps "
           "all\n"
           "                         (env FLOWOPT_CHECKPOINT_RETENTION, default 20)\n"
           "  --tokens-file PATH     API tokens, one a line: every route but /v1/health\n"
           "                         then needs 'Authorization: Bearer TOKEN'; SIGHUP\n"
           "                         reloads it (env FLOWOPT_TOKENS_FILE, default none)\n"
           "  --park-idle SECONDS    a run unused this long leaves memory until its\n"
           "                         next request; 0 never (env FLOWOPT_PARK_IDLE,\n"
           "                         default 600)\n"
           "  --evaluator-allow HOST[:PORT],...  the only hosts a run's push-mode\n"
           "                         evaluator may name: the daemon then calls them\n"
           "                         (env FLOWOPT_EVALUATOR_ALLOW, default none: off)\n"
           "  --max-connections N    connections served at once; more get 503 and\n"
           "                         then are refused (env FLOWOPT_MAX_CONNECTIONS,\n"
           "                         default 1000)\n"
           "  --max-connections-per-ip N  connections one address may hold (raise it\n"
           "                         behind a proxy) (env\n"
           "                         FLOWOPT_MAX_CONNECTIONS_PER_IP, default 128)\n"
           "  --header-timeout SECONDS  a request's headers must arrive within this, "
           "and\n"
           "                         an idle connection is closed after it; a trickle\n"
           "                         does not extend it (env FLOWOPT_HEADER_TIMEOUT,\n"
           "                         default 15)\n"
           "  --config PATH          a file of 'key = value' lines with the keys above\n"
           "                         (listen, db, ...; '#' comments); the environment\n"
           "                         and flags win over it (env FLOWOPT_CONFIG)\n"
           "  --check-config         validate the settings, print 'configuration OK', "
           "exit\n"
           "  --help                 this text\n"
           "  --version              print the version and exit\n"
           "\n"
           "Flags win over environment variables.\n";
}

/* value as a decimal integer in [lo, hi]; 0 on success. */
static int parse_uint(const char *value, long lo, long hi, unsigned *out) {
    char *end = NULL;
    long n = strtol(value, &end, 10);
    if (!value[0] || *end || n < lo || n > hi)
        return -1;
    *out = (unsigned)n;
    return 0;
}

static enum fo_status set_value(struct fo_daemon_config *cfg, const char *key,
                                const char *value, const char *source,
                                struct fo_error *err) {
    if (strcmp(key, "listen") == 0) {
        if (strlen(value) >= sizeof cfg->listen)
            return fo_error_set(err, FO_EINVAL, source, "listen address is too long");
        strcpy(cfg->listen, value);
    } else if (strcmp(key, "db") == 0) {
        if (!value[0] || strlen(value) >= sizeof cfg->db)
            return fo_error_set(err, FO_EINVAL, source,
                                "database path is empty or too long");
        strcpy(cfg->db, value);
    } else if (strcmp(key, "log-level") == 0) {
        if (fo_log_parse_level(value, &cfg->log_level) != 0)
            return fo_error_set(err, FO_EINVAL, source,
                                "unknown log level '%s' (error, warn, info, debug)",
                                value);
    } else if (strcmp(key, "durability") == 0) {
        if (strcmp(value, "normal") == 0)
            cfg->durability = FO_DURABILITY_NORMAL;
        else if (strcmp(value, "full") == 0)
            cfg->durability = FO_DURABILITY_FULL;
        else
            return fo_error_set(err, FO_EINVAL, source,
                                "unknown durability '%s' (normal, full)", value);
    } else if (strcmp(key, "checkpoint-retention") == 0) {
        if (parse_uint(value, 0, 1000000, &cfg->checkpoint_retention) != 0)
            return fo_error_set(err, FO_EINVAL, source,
                                "checkpoint retention must be 0..1000000, got '%s'",
                                value);
    } else if (strcmp(key, "tokens-file") == 0) {
        if (strlen(value) >= sizeof cfg->tokens_file)
            return fo_error_set(err, FO_EINVAL, source, "tokens file path is too long");
        strcpy(cfg->tokens_file, value);
    } else if (strcmp(key, "park-idle") == 0) {
        if (parse_uint(value, 0, 100000000, &cfg->park_idle_s) != 0)
            return fo_error_set(err, FO_EINVAL, source,
                                "park-idle must be 0..100000000 seconds, got '%s'",
                                value);
    } else if (strcmp(key, "evaluator-allow") == 0) {
        if (strlen(value) >= sizeof cfg->evaluator_allow)
            return fo_error_set(err, FO_EINVAL, source, "evaluator-allow is too long");
        strcpy(cfg->evaluator_allow, value);
    } else if (strcmp(key, "max-connections") == 0) {
        if (parse_uint(value, 1, 1000000, &cfg->max_connections) != 0)
            return fo_error_set(err, FO_EINVAL, source,
                                "max-connections must be 1..1000000, got '%s'", value);
    } else if (strcmp(key, "max-connections-per-ip") == 0) {
        if (parse_uint(value, 1, 1000000, &cfg->max_per_ip) != 0)
            return fo_error_set(err, FO_EINVAL, source,
                                "max-connections-per-ip must be 1..1000000, got '%s'",
                                value);
    } else if (strcmp(key, "header-timeout") == 0) {
        if (parse_uint(value, 1, 3600, &cfg->header_timeout_s) != 0)
            return fo_error_set(err, FO_EINVAL, source,
                                "header-timeout must be 1..3600 seconds, got '%s'",
                                value);
    } else if (strcmp(key, "init") == 0) {
        if (strcmp(value, "1") != 0 && strcmp(value, "0") != 0 &&
            strcmp(value, "yes") != 0 && strcmp(value, "no") != 0)
            return fo_error_set(err, FO_EINVAL, source,
                                "init must be yes or no, got '%s'", value);
        cfg->init = value[0] == '1' || value[0] == 'y';
    } else if (strcmp(key, "threads") == 0) {
        if (parse_uint(value, 1, MAX_THREADS, &cfg->threads) != 0)
            return fo_error_set(err, FO_EINVAL, source, "threads must be 1..%d, got '%s'",
                                MAX_THREADS, value);
    } else {
        return fo_error_set(err, FO_EINVAL, source, "unknown option");
    }
    return FO_OK;
}

static const char *const keys[] = {"listen",          "db",
                                   "log-level",       "durability",
                                   "threads",         "checkpoint-retention",
                                   "park-idle",       "tokens-file",
                                   "evaluator-allow", "init",
                                   "max-connections", "max-connections-per-ip",
                                   "header-timeout"};
static const char *const env_names[] = {
    "FLOWOPT_LISTEN",          "FLOWOPT_DB",
    "FLOWOPT_LOG_LEVEL",       "FLOWOPT_DURABILITY",
    "FLOWOPT_THREADS",         "FLOWOPT_CHECKPOINT_RETENTION",
    "FLOWOPT_PARK_IDLE",       "FLOWOPT_TOKENS_FILE",
    "FLOWOPT_EVALUATOR_ALLOW", "FLOWOPT_INIT",
    "FLOWOPT_MAX_CONNECTIONS", "FLOWOPT_MAX_CONNECTIONS_PER_IP",
    "FLOWOPT_HEADER_TIMEOUT"};
#define N_KEYS (sizeof keys / sizeof keys[0])

static enum fo_status parse_flag(struct fo_daemon_config *cfg, int argc, char **argv,
                                 int *i, struct fo_error *err) {
    const char *arg = argv[*i];
    if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
        cfg->show_help = 1;
        return FO_OK;
    }
    if (strcmp(arg, "--version") == 0) {
        cfg->show_version = 1;
        return FO_OK;
    }
    if (strcmp(arg, "--check-config") == 0) {
        cfg->check_config = 1;
        return FO_OK;
    }
    if (strcmp(arg, "--init") == 0) {
        cfg->init = 1;
        return FO_OK;
    }
    if (strncmp(arg, "--config=", 9) == 0)
        return FO_OK; /* read first, by config_path */
    if (strcmp(arg, "--config") == 0) {
        if (*i + 1 >= argc)
            return fo_error_set(err, FO_EINVAL, arg, "--config needs a value");
        ++*i;
        return FO_OK;
    }
    for (size_t k = 0; k < N_KEYS; k++) {
        size_t len = strlen(keys[k]);
        if (strncmp(arg, "--", 2) != 0 || strncmp(arg + 2, keys[k], len) != 0)
            continue;
        const char *value;
        if (arg[2 + len] == '=') {
            value = arg + 3 + len;
        } else if (arg[2 + len] == '\0') {
            if (*i + 1 >= argc)
                return fo_error_set(err, FO_EINVAL, arg, "%s needs a value", arg);
            value = argv[++*i];
        } else {
            continue;
        }
        return set_value(cfg, keys[k], value, arg, err);
    }
    return fo_error_set(err, FO_EINVAL, arg, "unknown option '%s' (see --help)", arg);
}

/* The value of --config (or --config=) in argv, else FLOWOPT_CONFIG, else NULL. */
static const char *config_path(int argc, char **argv) {
    const char *path = getenv("FLOWOPT_CONFIG");
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            path = argv[++i];
        else if (strncmp(argv[i], "--config=", 9) == 0)
            path = argv[i] + 9;
    }
    return path && *path ? path : NULL;
}

/* Settings from a config file: "key = value" lines, blanks and '#' comments. */
static enum fo_status load_file(struct fo_daemon_config *cfg, const char *path,
                                struct fo_error *err) {
    FILE *f = fopen(path, "r");
    if (!f)
        return fo_error_set(err, FO_EIO, "config", "cannot read %s", path);
    char line[4200], where[4200];
    enum fo_status st = FO_OK;
    for (int lineno = 1; st == FO_OK && fgets(line, sizeof line, f); lineno++) {
        char *p = line + strspn(line, " \t");
        p[strcspn(p, "\r\n")] = '\0';
        if (!*p || *p == '#')
            continue;
        snprintf(where, sizeof where, "%s:%d", path, lineno);
        char *eq = strchr(p, '=');
        if (!eq) {
            st = fo_error_set(err, FO_EINVAL, where, "expected 'key = value'");
            break;
        }
        char *k_end = eq;
        while (k_end > p && (k_end[-1] == ' ' || k_end[-1] == '\t'))
            k_end--;
        *k_end = '\0';
        char *v = eq + 1 + strspn(eq + 1, " \t");
        size_t n = strlen(v);
        while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
            v[--n] = '\0';
        size_t k = 0;
        while (k < N_KEYS && strcmp(keys[k], p) != 0)
            k++;
        st = k == N_KEYS ? fo_error_set(err, FO_EINVAL, where, "unknown key '%.60s'", p)
                         : set_value(cfg, keys[k], v, where, err);
    }
    fclose(f);
    return st;
}

enum fo_status fo_daemon_config_load(struct fo_daemon_config *cfg, int argc, char **argv,
                                     struct fo_error *err) {
    memset(cfg, 0, sizeof *cfg);
    strcpy(cfg->listen, "127.0.0.1:8080");
    strcpy(cfg->db, "./var/flowopt.db");
    cfg->log_level = FO_LOG_INFO;
    cfg->durability = FO_DURABILITY_NORMAL;
    cfg->checkpoint_retention = 20;
    cfg->park_idle_s = 600;
    const char *file = config_path(argc, argv);
    enum fo_status fst = file ? load_file(cfg, file, err) : FO_OK;
    if (fst != FO_OK)
        return fst;
    for (size_t k = 0; k < N_KEYS; k++) {
        const char *v = getenv(env_names[k]);
        enum fo_status st;
        if (v && (st = set_value(cfg, keys[k], v, env_names[k], err)) != FO_OK)
            return st;
    }
    for (int i = 1; i < argc; i++) {
        enum fo_status st = parse_flag(cfg, argc, argv, &i, err);
        if (st != FO_OK)
            return st;
    }
    return FO_OK;
}
