/*
 * main.c - flowopt, the command-line client of flowoptd, for shell loops:
 *
 *   run=$(flowopt create --dim 3 --bounds -5:5 --direction minimize)
 *   flowopt ask "$run" -n 8 | while read -r id x; do
 *       echo "$id $(measure $x)"
 *   done | flowopt tell "$run"
 *   flowopt best "$run"
 *
 * ask prints one sample a line: id, then the coordinates (in the fewest
 * digits that read back exactly). tell reads lines "id value" (or
 * "id failed") from stdin and sends them in one request. The other commands
 * cover the rest of the API: list, history and samples (CSV), set, delete,
 * checkpoint, export, import, fork.
 */
#include <flowopt/flowopt.h>
#include "client/request.h"
#include "util/text.h"

#include <curl/curl.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: flowopt [--url URL] COMMAND [ARGS]\n"
    "\n"
    "  --url URL      daemon base URL (env FLOWOPT_URL, default http://127.0.0.1:8080)\n"
    "  --token TOKEN  API token, when the daemon has a tokens file (env FLOWOPT_TOKEN)\n"
    "  --help         this text\n"
    "  --version      print the version and exit\n"
    "\n"
    "commands:\n"
    "  health                         the daemon's /v1/health answer\n"
    "  create --dim D [--bounds LO:HI] [--direction minimize|maximize]\n"
    "         [--batch N] [--name NAME]  create a run, print its id\n"
    "  list                           one run a line: id state told best name\n"
    "  ask RUN [-n N]                 print N samples, one a line: id x1 x2 ...\n"
    "  tell RUN                       read 'id value' or 'id failed' lines from stdin\n"
    "  best RUN                       print the best value, then its x\n"
    "  get RUN                        print the run object (JSON)\n"
    "  history RUN                    the run's history as CSV\n"
    "  samples RUN [--status S]       the run's samples as CSV\n"
    "  set RUN KEY=VALUE...           change a run: name, state, lr, budget, target,\n"
    "                                 patience, pending_timeout_s, optimizer.kl_target,\n"
    "                                 optimizer.entropy_coef (VALUE null clears)\n"
    "  delete RUN                     delete a run and its history\n"
    "  checkpoint RUN                 take a checkpoint, print its id\n"
    "  export RUN CID                 write checkpoint CID's portable bytes to stdout\n"
    "  import [--name NAME]           a new run from exported bytes on stdin, print its "
    "id\n"
    "  fork RUN [--checkpoint CID] [--name NAME]  a new run from RUN, print its id\n";

static int print_json(json_t *j) {
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
    if (s)
        puts(s);
    free(s);
    return s ? 0 : 1;
}

static int cmd_create(const char *base, int argc, char **argv) {
    json_t *req = json_object();
    json_object_set_new(req, "direction", json_string("minimize"));
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) {
            fprintf(stderr, "flowopt: %s needs a value\n", a);
            json_decref(req);
            return 2;
        }
        i++;
        if (strcmp(a, "--dim") == 0) {
            json_object_set_new(req, "dim", json_integer(atoll(v)));
        } else if (strcmp(a, "--batch") == 0) {
            json_object_set_new(req, "batch_size", json_integer(atoll(v)));
        } else if (strcmp(a, "--direction") == 0 || strcmp(a, "--name") == 0) {
            json_object_set_new(req, a + 2, json_string(v));
        } else if (strcmp(a, "--bounds") == 0) {
            double lo, hi;
            if (sscanf(v, "%lf:%lf", &lo, &hi) != 2) {
                fprintf(stderr, "flowopt: --bounds takes LO:HI\n");
                json_decref(req);
                return 2;
            }
            json_object_set_new(req, "bounds",
                                json_pack("{s:f, s:f}", "lo", lo, "hi", hi));
        } else {
            fprintf(stderr, "flowopt: unknown option '%s'\n", a);
            json_decref(req);
            return 2;
        }
    }
    json_t *run;
    long st = fo_cli_send_json(base, "POST", "/v1/runs", req, &run);
    if (st == 201)
        puts(json_string_value(json_object_get(run, "id")));
    json_decref(run);
    return st == 201 ? 0 : 1;
}

static int cmd_ask(const char *base, const char *run, long n) {
    char path[256], body[64];
    snprintf(path, sizeof path, "/v1/runs/%s/ask", run);
    snprintf(body, sizeof body, "{\"n\": %ld}", n);
    json_t *r;
    long st = fo_cli_request_json(base, "POST", path, body, &r);
    json_t *samples = json_object_get(r, "samples");
    for (size_t i = 0; st == 200 && i < json_array_size(samples); i++) {
        json_t *s = json_array_get(samples, i), *x = json_object_get(s, "x");
        printf("%s", json_string_value(json_object_get(s, "id")));
        char num[FO_DOUBLE_CHARS];
        for (size_t d = 0; d < json_array_size(x); d++)
            printf(" %s", fo_format_double(num, json_number_value(json_array_get(x, d))));
        putchar('\n');
    }
    json_decref(r);
    return st == 200 ? 0 : 1;
}

static int cmd_tell(const char *base, const char *run) {
    json_t *results = json_array();
    char line[512], id[64], value[128];
    int lineno = 0;
    while (fgets(line, sizeof line, stdin)) {
        lineno++;
        if (sscanf(line, "%63s %127s", id, value) != 2) {
            if (strspn(line, " \t\r\n") == strlen(line))
                continue;
            fprintf(stderr, "flowopt: line %d: expected 'id value'\n", lineno);
            json_decref(results);
            return 2;
        }
        char *end = NULL;
        double v = strtod(value, &end);
        if (strcmp(value, "failed") == 0)
            json_array_append_new(results,
                                  json_pack("{s:s, s:s}", "id", id, "status", "failed"));
        else if (end && !*end && isfinite(v))
            json_array_append_new(results, json_pack("{s:s, s:f}", "id", id, "value", v));
        else {
            fprintf(stderr, "flowopt: line %d: '%s' is not a finite number\n", lineno,
                    value);
            json_decref(results);
            return 2;
        }
    }
    char path[256];
    snprintf(path, sizeof path, "/v1/runs/%s/tell", run);
    json_t *r;
    long st =
        fo_cli_send_json(base, "POST", path, json_pack("{s:o}", "results", results), &r);
    if (st == 200)
        printf("accepted %lld duplicates %lld updates %zu\n",
               (long long)json_integer_value(json_object_get(r, "accepted")),
               (long long)json_integer_value(json_object_get(r, "duplicates")),
               json_array_size(json_object_get(r, "updates")));
    json_decref(r);
    return st == 200 ? 0 : 1;
}

static int cmd_get(const char *base, const char *path, int best) {
    json_t *r;
    long st = fo_cli_request_json(base, "GET", path, NULL, &r);
    int rc = st == 200 ? 0 : 1;
    if (st == 200 && best) {
        char num[FO_DOUBLE_CHARS];
        printf("%s",
               fo_format_double(num, json_number_value(json_object_get(r, "value"))));
        json_t *x = json_object_get(r, "x");
        for (size_t d = 0; d < json_array_size(x); d++)
            printf(" %s", fo_format_double(num, json_number_value(json_array_get(x, d))));
        putchar('\n');
    } else if (st == 200) {
        rc = print_json(r);
    }
    json_decref(r);
    return rc;
}

/* A raw answer (CSV, exported bytes) to stdout. */
static int cmd_raw(const char *base, const char *path) {
    struct fo_body b;
    long st = fo_cli_request(base, "GET", path, NULL, 0, NULL, &b);
    if (st == 200 && b.len && fwrite(b.p, 1, b.len, stdout) != b.len)
        st = -1;
    free(b.p);
    return st == 200 ? 0 : 1;
}

/* The history as CSV, 10,000 rows a request; the header once. */
static int cmd_history(const char *base, const char *run) {
    unsigned long long after = 0;
    for (int page = 0;; page++) {
        char path[256];
        snprintf(path, sizeof path,
                 "/v1/runs/%s/history?format=csv&limit=10000&after=%llu", run, after);
        struct fo_body b;
        if (fo_cli_request(base, "GET", path, NULL, 0, NULL, &b) != 200) {
            free(b.p);
            return 1;
        }
        const char *rows = b.p ? strchr(b.p, '\n') : NULL;
        rows = rows ? rows + 1 : "";
        fputs(page == 0 && b.p ? b.p : rows, stdout);
        size_t n = 0;
        for (const char *q = rows; (q = strchr(q, '\n')) != NULL; q++)
            n++;
        const char *last = n ? rows : NULL;
        for (size_t k = 1; last && k < n; k++)
            last = strchr(last, '\n') + 1;
        if (last)
            after = strtoull(last, NULL, 10);
        free(b.p);
        if (n < 10000)
            return 0;
    }
}

static int cmd_list(const char *base) {
    char path[256] = "/v1/runs?limit=1000";
    for (;;) {
        json_t *r;
        if (fo_cli_request_json(base, "GET", path, NULL, &r) != 200) {
            json_decref(r);
            return 1;
        }
        json_t *runs = json_object_get(r, "runs");
        for (size_t i = 0; i < json_array_size(runs); i++) {
            json_t *run = json_array_get(runs, i);
            json_t *best = json_object_get(json_object_get(run, "best"), "value");
            char num[FO_DOUBLE_CHARS];
            printf("%s %s %lld %s %s\n", json_string_value(json_object_get(run, "id")),
                   json_string_value(json_object_get(run, "state")),
                   (long long)json_integer_value(
                       json_object_get(json_object_get(run, "counters"), "told")),
                   fo_format_double(
                       num, best && json_is_number(best) ? json_number_value(best) : NAN),
                   json_string_value(json_object_get(run, "name")));
        }
        const char *next = json_string_value(json_object_get(r, "next_cursor"));
        if (next)
            snprintf(path, sizeof path, "/v1/runs?limit=1000&cursor=%.64s", next);
        json_decref(r);
        if (!next)
            return 0;
    }
}

/* VALUE of a KEY=VALUE: a number, null, true/false, else a string. */
static json_t *setting_value(const char *v) {
    char *end = NULL;
    double d = strtod(v, &end);
    if (*v && end && !*end && isfinite(d))
        return strchr(v, '.') || strchr(v, 'e') || strchr(v, 'E')
                   ? json_real(d)
                   : json_integer(strtoll(v, NULL, 10));
    if (strcmp(v, "null") == 0)
        return json_null();
    if (strcmp(v, "true") == 0 || strcmp(v, "false") == 0)
        return json_boolean(strcmp(v, "true") == 0);
    return json_string(v);
}

static int cmd_set(const char *base, const char *run, int argc, char **argv) {
    json_t *patch = json_object();
    for (int i = 0; i < argc; i++) {
        const char *eq = strchr(argv[i], '=');
        if (!eq || eq == argv[i]) {
            fprintf(stderr, "flowopt: '%s' is not KEY=VALUE\n", argv[i]);
            json_decref(patch);
            return 2;
        }
        char key[64];
        snprintf(key, sizeof key, "%.*s", (int)(eq - argv[i]), argv[i]);
        json_t *target = patch;
        const char *leaf = key;
        if (strncmp(key, "optimizer.", 10) == 0) {
            target = json_object_get(patch, "optimizer");
            if (!target) {
                target = json_object();
                json_object_set_new(patch, "optimizer", target);
            }
            leaf = key + 10;
        }
        json_object_set_new(target, leaf, setting_value(eq + 1));
    }
    char path[256];
    snprintf(path, sizeof path, "/v1/runs/%s", run);
    json_t *r;
    long st = fo_cli_send_json(base, "PATCH", path, patch, &r);
    int rc = st == 200 ? print_json(r) : 1;
    json_decref(r);
    return rc;
}

/* POST req (taken, may be NULL) to path; print the answer's member `field`. */
static int post_print(const char *base, const char *path, json_t *req, const char *field,
                      long want) {
    json_t *r;
    long st = fo_cli_send_json(base, "POST", path, req, &r);
    if (st == want)
        puts(json_string_value(json_object_get(r, field))
                 ? json_string_value(json_object_get(r, field))
                 : "");
    json_decref(r);
    return st == want ? 0 : 1;
}

/* Everything on stdin (exported checkpoint bytes). OUT: *len. */
static char *read_stdin(size_t *len) {
    size_t cap = 1 << 16;
    char *p = malloc(cap);
    *len = 0;
    size_t got;
    while (p && (got = fread(p + *len, 1, cap - *len, stdin)) > 0) {
        *len += got;
        if (*len == cap) {
            char *g = realloc(p, cap *= 2);
            if (!g) {
                free(p);
                return NULL;
            }
            p = g;
        }
    }
    return p;
}

static int cmd_import(const char *base, int argc, char **argv) {
    char path[512] = "/v1/runs/import";
    if (argc == 2 && strcmp(argv[0], "--name") == 0) {
        char *q = curl_easy_escape(NULL, argv[1], 0);
        snprintf(path, sizeof path, "/v1/runs/import?name=%.400s", q ? q : "");
        curl_free(q);
    } else if (argc) {
        fprintf(stderr, "flowopt: import takes only --name NAME\n");
        return 2;
    }
    size_t len = 0;
    char *bytes = read_stdin(&len);
    if (!bytes)
        return 1;
    struct fo_body b;
    long st =
        fo_cli_request(base, "POST", path, bytes, len, "application/octet-stream", &b);
    free(bytes);
    json_t *r = st == 201 && b.p ? json_loads(b.p, 0, NULL) : NULL;
    if (r)
        puts(json_string_value(json_object_get(r, "id")));
    json_decref(r);
    free(b.p);
    return r ? 0 : 1;
}

static int cmd_fork(const char *base, const char *run, int argc, char **argv) {
    json_t *req = json_object();
    for (int i = 0; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--checkpoint") == 0 || strcmp(argv[i], "--name") == 0)
            json_object_set_new(req, argv[i] + 2, json_string(argv[i + 1]));
    }
    if (argc % 2 || json_object_size(req) * 2 != (size_t)argc) {
        fprintf(stderr, "flowopt: fork takes --checkpoint CID and --name NAME\n");
        json_decref(req);
        return 2;
    }
    char path[256];
    snprintf(path, sizeof path, "/v1/runs/%s/fork", run);
    return post_print(base, path, req, "id", 201);
}

static int dispatch(const char *base, int argc, char **argv) {
    const char *cmd = argv[0];
    char path[512];
    if (strcmp(cmd, "health") == 0)
        return cmd_get(base, "/v1/health", 0);
    if (strcmp(cmd, "create") == 0)
        return cmd_create(base, argc - 1, argv + 1);
    if (strcmp(cmd, "list") == 0)
        return cmd_list(base);
    if (strcmp(cmd, "import") == 0)
        return cmd_import(base, argc - 1, argv + 1);
    if (argc < 2) {
        fprintf(stderr, "flowopt: %s needs a run id\n%s", cmd, usage);
        return 2;
    }
    const char *run = argv[1];
    if (strlen(run) > 64 || strspn(run, "0123456789abcdef") != strlen(run)) {
        fprintf(stderr, "flowopt: '%.80s' is not a run id\n", run);
        return 2;
    }
    if (strcmp(cmd, "ask") == 0) {
        long n = argc >= 4 && strcmp(argv[2], "-n") == 0 ? atol(argv[3]) : 1;
        return cmd_ask(base, run, n);
    }
    if (strcmp(cmd, "tell") == 0)
        return cmd_tell(base, run);
    if (strcmp(cmd, "best") == 0 || strcmp(cmd, "get") == 0) {
        snprintf(path, sizeof path,
                 strcmp(cmd, "best") == 0 ? "/v1/runs/%s/best" : "/v1/runs/%s", run);
        return cmd_get(base, path, strcmp(cmd, "best") == 0);
    }
    if (strcmp(cmd, "history") == 0)
        return cmd_history(base, run);
    if (strcmp(cmd, "samples") == 0) {
        const char *status =
            argc == 4 && strcmp(argv[2], "--status") == 0 ? argv[3] : NULL;
        if (argc != 2 && !status) {
            fprintf(stderr, "flowopt: samples takes only --status S\n");
            return 2;
        }
        snprintf(path, sizeof path, "/v1/runs/%s/samples?format=csv&limit=10000%s%.20s",
                 run, status ? "&status=" : "", status ? status : "");
        return cmd_raw(base, path);
    }
    if (strcmp(cmd, "set") == 0)
        return cmd_set(base, run, argc - 2, argv + 2);
    if (strcmp(cmd, "delete") == 0) {
        snprintf(path, sizeof path, "/v1/runs/%s", run);
        struct fo_body b;
        long st = fo_cli_request(base, "DELETE", path, NULL, 0, NULL, &b);
        free(b.p);
        return st == 204 ? 0 : 1;
    }
    if (strcmp(cmd, "checkpoint") == 0) {
        snprintf(path, sizeof path, "/v1/runs/%s/checkpoints", run);
        return post_print(base, path, NULL, "id", 201);
    }
    if (strcmp(cmd, "export") == 0 && argc == 3) {
        snprintf(path, sizeof path, "/v1/runs/%s/checkpoints/%.20s/export", run, argv[2]);
        return cmd_raw(base, path);
    }
    if (strcmp(cmd, "fork") == 0)
        return cmd_fork(base, run, argc - 2, argv + 2);
    fprintf(stderr, "flowopt: unknown command or arguments '%s'\n%s", cmd, usage);
    return 2;
}

int main(int argc, char **argv) {
    const char *base = getenv("FLOWOPT_URL"), *token = getenv("FLOWOPT_TOKEN");
    if (!base || !*base)
        base = "http://127.0.0.1:8080";
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(usage, stdout);
            return 0;
        }
        if (strcmp(argv[i], "--version") == 0) {
            printf("flowopt %s\n", FO_VERSION_STRING);
            return 0;
        }
        if (strcmp(argv[i], "--url") == 0 && i + 1 < argc) {
            base = argv[++i];
            continue;
        }
        if (strcmp(argv[i], "--token") == 0 && i + 1 < argc) {
            token = argv[++i];
            continue;
        }
        fprintf(stderr, "flowopt: unknown option '%s'\n%s", argv[i], usage);
        return 2;
    }
    if (i >= argc) {
        fputs(usage, stderr);
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    fo_cli_set_token(token);
    int rc = dispatch(base, argc - i, argv + i);
    curl_global_cleanup();
    return rc;
}
