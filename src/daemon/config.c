/* config.c - see config.h. */
#include "daemon/config.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum kind { TEXT, UINT, LEVEL, LOG_FORMAT, DURABILITY, YESNO };

/*
 * Every setting, once: its flag (--key, also the config file's key), its
 * environment variable, where it lands and its help. A UINT's range is
 * [lo, hi]; a TEXT's capacity is the field's size.
 */
struct setting {
    const char *key, *env;
    enum kind kind;
    size_t offset, size;
    long lo, hi;
    const char *arg;  /* the value's name in --help */
    const char *help; /* lines of at most 50 characters */
};

#define TEXT_AT(field)                                                                   \
    TEXT, offsetof(struct fo_daemon_config, field),                                      \
        sizeof((struct fo_daemon_config *)0)->field, 0, 0
#define UINT_AT(field, lo, hi) UINT, offsetof(struct fo_daemon_config, field), 0, lo, hi
#define KIND_AT(kind, field) kind, offsetof(struct fo_daemon_config, field), 0, 0, 0

static const struct setting settings[] = {
    {"listen", "FLOWOPT_LISTEN", TEXT_AT(listen), "HOST:PORT",
     "address to serve on; port 0 picks a free port\n(default 127.0.0.1:8080)"},
    {"db", "FLOWOPT_DB", TEXT_AT(db), "PATH",
     "SQLite database; one daemon at a time holds it\n(PATH.lock) (default "
     "./var/flowopt.db)"},
    {"init", "FLOWOPT_INIT", KIND_AT(YESNO, init), NULL,
     "create the database (and its folder) if missing;\nwithout it a missing "
     "database is refused, so a\nlost file is never replaced by an empty one"},
    {"quick-check", "FLOWOPT_QUICK_CHECK", KIND_AT(YESNO, quick_check), "yes|no",
     "read every page of the database at start and\nrefuse to serve a damaged one "
     "(default yes;\nno serves what still reads)"},
    {"log-level", "FLOWOPT_LOG_LEVEL", KIND_AT(LEVEL, log_level), "LEVEL",
     "error, warn, info or debug (default info)"},
    {"log-format", "FLOWOPT_LOG_FORMAT", KIND_AT(LOG_FORMAT, log_format), "text|json",
     "text lines, or one JSON object a line with the\nrequest's id (also sent back as "
     "X-Request-Id)\n(default text)"},
    {"durability", "FLOWOPT_DURABILITY", KIND_AT(DURABILITY, durability), "MODE",
     "normal (survives a crash) or full (also power\nloss) (default normal)"},
    {"threads", "FLOWOPT_THREADS", UINT_AT(threads, 1, 256), "N",
     "HTTP worker threads, 1-256 (default 8)"},
    {"checkpoint-retention", "FLOWOPT_CHECKPOINT_RETENTION",
     UINT_AT(checkpoint_retention, 0, 1000000), "N",
     "checkpoints kept per run, newest first; 0 keeps\nall (default 20)"},
    {"tokens-file", "FLOWOPT_TOKENS_FILE", TEXT_AT(tokens_file), "PATH",
     "API tokens, one a line: every route but\n/v1/health then needs "
     "'Authorization: Bearer\nTOKEN'; SIGHUP reloads it (default none)"},
    {"park-idle", "FLOWOPT_PARK_IDLE", UINT_AT(park_idle_s, 0, 100000000), "SECONDS",
     "a run unused this long leaves memory until its\nnext request; 0 never "
     "(default 600)"},
    {"evaluator-allow", "FLOWOPT_EVALUATOR_ALLOW", TEXT_AT(evaluator_allow),
     "HOST[:PORT],...",
     "the only hosts a run's push-mode evaluator may\nname: the daemon then "
     "calls them (default none:\noff)"},
    {"max-connections", "FLOWOPT_MAX_CONNECTIONS", UINT_AT(max_connections, 1, 1000000),
     "N",
     "connections served at once; more get 503 and\nthen are refused "
     "(default 1000)"},
    {"max-connections-per-ip", "FLOWOPT_MAX_CONNECTIONS_PER_IP",
     UINT_AT(max_per_ip, 1, 1000000), "N",
     "connections one address may hold (raise it\nbehind a proxy) (default 128)"},
    {"header-timeout", "FLOWOPT_HEADER_TIMEOUT", UINT_AT(header_timeout_s, 1, 3600),
     "SECONDS",
     "a request's headers must arrive within this, and\nan idle connection is "
     "closed after it; a trickle\ndoes not extend it (default 15)"},
    {"shard", "FLOWOPT_SHARD", UINT_AT(shard, 0, 255), "N",
     "this daemon's number among several behind a\nproxy: its run ids begin with N in "
     "hex, so the\nproxy routes by id (default none)"},
    {"max-runs", "FLOWOPT_MAX_RUNS", UINT_AT(max_runs, 1, 100000000), "N",
     "runs the daemon holds; a create beyond is 409\n(default 10000)"},
    {"max-params", "FLOWOPT_MAX_PARAMS", UINT_AT(max_params, 1000, 67108864), "N",
     "parameters of one run's flow (8 bytes each,\nseveral copies); a larger create "
     "or import is\n422 (default 2097152)"},
    {"max-answer-values", "FLOWOPT_MAX_ANSWER_VALUES",
     UINT_AT(max_answer_values, 1000, 1000000000), "N",
     "coordinates in one answer: an ask's n x dim, a\npage of samples' limit x dim; "
     "more is 422\n(default 2000000)"},
    {"tls-cert", "FLOWOPT_TLS_CERT", TEXT_AT(tls_cert), "PATH",
     "serve HTTPS with this PEM certificate (chain),\nwith --tls-key (default none: "
     "plain HTTP)"},
    {"tls-key", "FLOWOPT_TLS_KEY", TEXT_AT(tls_key), "PATH",
     "the certificate's PEM private key (keep it\nreadable by the daemon only)"},
    {"backup", "FLOWOPT_BACKUP", TEXT_AT(backup), "DEST",
     "copy the database (--db), even while a daemon\nserves it, to the new file DEST "
     "and exit:\nconsistent, checked, never overwriting"},
    {"allowed-hosts", "FLOWOPT_ALLOWED_HOSTS", TEXT_AT(allowed_hosts), "NAME,...",
     "Host names served besides IP literals and\nlocalhost (a DNS-rebinding "
     "page names its own);\n'*' serves any (default none)"},
    {"cors-origins", "FLOWOPT_CORS_ORIGINS", TEXT_AT(cors_origins), "ORIGIN,...",
     "other web origins whose pages may call the API\n(https://host[:port]); "
     "any other cross-origin\nrequest is 403 (default none)"},
};
#define N_SETTINGS (sizeof settings / sizeof settings[0])

const char *fo_daemon_usage(void) {
    static char text[8192];
    size_t n = (size_t)snprintf(text, sizeof text, "usage: flowoptd [options]\n\n");
    for (size_t i = 0; i < N_SETTINGS && n < sizeof text; i++) {
        const struct setting *s = &settings[i];
        char flag[64];
        snprintf(flag, sizeof flag, "--%s%s%s", s->key, s->arg ? " " : "",
                 s->arg ? s->arg : "");
        const char *line = s->help;
        int first = 1;
        while (*line && n < sizeof text) {
            size_t len = strcspn(line, "\n");
            int pad = first && strlen(flag) < 24;
            n += (size_t)snprintf(text + n, sizeof text - n, "  %-*s%s%.*s\n",
                                  pad || !first ? 23 : 0, first ? flag : "",
                                  pad || !first ? "" : "\n                         ",
                                  (int)len, line);
            first = 0;
            line += len + (line[len] == '\n');
        }
        if (n < sizeof text)
            n += (size_t)snprintf(text + n, sizeof text - n, "  %-23s(env %s)\n", "",
                                  s->env);
    }
    if (n < sizeof text)
        snprintf(text + n, sizeof text - n,
                 "  --config PATH          a file of 'key = value' lines with the "
                 "keys above\n"
                 "                         (listen, db, ...; '#' comments); the "
                 "environment\n"
                 "                         and flags win over it (env FLOWOPT_CONFIG)\n"
                 "  --check-config         validate the settings, print "
                 "'configuration OK', exit\n"
                 "  --help                 this text\n"
                 "  --version              print the version and exit\n"
                 "\n"
                 "Flags win over environment variables.\n");
    return text;
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

static enum fo_status set_value(struct fo_daemon_config *cfg, const struct setting *s,
                                const char *value, const char *source,
                                struct fo_error *err) {
    char *at = (char *)cfg + s->offset;
    switch (s->kind) {
    case TEXT:
        if (strlen(value) >= s->size || (strcmp(s->key, "db") == 0 && !value[0]))
            return fo_error_set(err, FO_EINVAL, source, "%s is empty or too long",
                                s->key);
        memcpy(at, value, strlen(value) + 1);
        return FO_OK;
    case UINT:
        if (parse_uint(value, s->lo, s->hi, (unsigned *)(void *)at) != 0)
            return fo_error_set(err, FO_EINVAL, source, "%s must be %ld..%ld, got '%s'",
                                s->key, s->lo, s->hi, value);
        return FO_OK;
    case LEVEL:
        if (fo_log_parse_level(value, (enum fo_log_level *)(void *)at) != 0)
            return fo_error_set(err, FO_EINVAL, source,
                                "unknown log level '%s' (error, warn, info, debug)",
                                value);
        return FO_OK;
    case LOG_FORMAT:
        if (fo_log_parse_format(value, (enum fo_log_format *)(void *)at) != 0)
            return fo_error_set(err, FO_EINVAL, source,
                                "unknown log format '%s' (text, json)", value);
        return FO_OK;
    case DURABILITY:
        if (strcmp(value, "normal") == 0)
            cfg->durability = FO_DURABILITY_NORMAL;
        else if (strcmp(value, "full") == 0)
            cfg->durability = FO_DURABILITY_FULL;
        else
            return fo_error_set(err, FO_EINVAL, source,
                                "unknown durability '%s' (normal, full)", value);
        return FO_OK;
    case YESNO:
        if (strcmp(value, "1") != 0 && strcmp(value, "0") != 0 &&
            strcmp(value, "yes") != 0 && strcmp(value, "no") != 0)
            return fo_error_set(err, FO_EINVAL, source, "%s must be yes or no, got '%s'",
                                s->key, value);
        *(int *)(void *)at = value[0] == '1' || value[0] == 'y';
        return FO_OK;
    }
    return fo_error_set(err, FO_EINVAL, source, "unknown option");
}

static const struct setting *find_setting(const char *key, size_t len) {
    for (size_t k = 0; k < N_SETTINGS; k++)
        if (strlen(settings[k].key) == len && strncmp(settings[k].key, key, len) == 0)
            return &settings[k];
    return NULL;
}

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
    if (strncmp(arg, "--config=", 9) == 0)
        return FO_OK; /* read first, by config_path */
    if (strcmp(arg, "--config") == 0) {
        if (*i + 1 >= argc)
            return fo_error_set(err, FO_EINVAL, arg, "--config needs a value");
        ++*i;
        return FO_OK;
    }
    const struct setting *s =
        strncmp(arg, "--", 2) == 0 ? find_setting(arg + 2, strcspn(arg + 2, "=")) : NULL;
    if (!s)
        return fo_error_set(err, FO_EINVAL, arg, "unknown option '%s' (see --help)", arg);
    const char *eq = strchr(arg, '=');
    if (eq)
        return set_value(cfg, s, eq + 1, arg, err);
    if (!s->arg) /* a switch: --init */
        return set_value(cfg, s, "yes", arg, err);
    if (*i + 1 >= argc)
        return fo_error_set(err, FO_EINVAL, arg, "%s needs a value", arg);
    return set_value(cfg, s, argv[++*i], arg, err);
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
        const struct setting *s = find_setting(p, strlen(p));
        st = !s ? fo_error_set(err, FO_EINVAL, where, "unknown key '%.60s'", p)
                : set_value(cfg, s, v, where, err);
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
    cfg->quick_check = 1;
    cfg->shard = 256;
    const char *file = config_path(argc, argv);
    enum fo_status fst = file ? load_file(cfg, file, err) : FO_OK;
    if (fst != FO_OK)
        return fst;
    for (size_t k = 0; k < N_SETTINGS; k++) {
        const char *v = getenv(settings[k].env);
        enum fo_status st;
        if (v && (st = set_value(cfg, &settings[k], v, settings[k].env, err)) != FO_OK)
            return st;
    }
    for (int i = 1; i < argc; i++) {
        enum fo_status st = parse_flag(cfg, argc, argv, &i, err);
        if (st != FO_OK)
            return st;
    }
    return FO_OK;
}
