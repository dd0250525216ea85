/*
 * commands.c - the flowopt client's commands (commands.h): each turns its
 * arguments into one or a few requests and prints the answer for a shell.
 * ask prints one sample a line: id, then the coordinates (in the fewest
 * digits that read back exactly); tell reads "id value [stderr [shots]]"
 * (or "id failed", "id lost") lines and sends them in one request.
 */
#include <flowopt/settings.h>
#include "client/commands.h"
#include "client/request.h"
#include "client/table.h"
#include "util/text.h"

#include <curl/curl.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int print_json(json_t *j) {
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
    if (s)
        puts(s);
    free(s);
    return s ? 0 : 1;
}

int fo_cmd_create(const char *base, const char *run, int argc, char **argv) {
    (void)run;
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
    json_t *made;
    long st = fo_cli_send_json(base, "POST", "/v1/runs", req, &made);
    if (st == 201)
        puts(json_string_value(json_object_get(made, "id")));
    json_decref(made);
    return fo_cli_exit(st, 201);
}

/* A JSON number as the user wrote it, or the text (which the daemon refuses
 * naming the field). */
static json_t *number_or_text(const char *s) {
    json_t *j = json_loads(s, JSON_DECODE_ANY, NULL);
    if (j && !json_is_number(j)) {
        json_decref(j);
        j = NULL;
    }
    return j ? j : json_string(s);
}

/* observe RUN: "x1 ... xD value" lines from stdin as one request. */
int fo_cmd_observe(const char *base, const char *run, int argc, char **argv) {
    (void)argv;
    if (argc)
        return 2;
    json_t *list = json_array();
    char line[65536];
    int lineno = 0;
    while (fgets(line, sizeof line, stdin)) {
        lineno++;
        json_t *xs = json_array();
        char *save = NULL, *end = NULL;
        int bad = 0;
        for (char *t = strtok_r(line, " \t\r\n", &save); t;
             t = strtok_r(NULL, " \t\r\n", &save)) {
            double v = strtod(t, &end);
            bad |= !end || *end || !isfinite(v);
            json_array_append_new(xs, json_real(v));
        }
        size_t n = json_array_size(xs);
        if (n == 0) {
            json_decref(xs);
            continue;
        }
        if (bad || n < 2) {
            fprintf(stderr, "flowopt: line %d: expected 'x1 ... xD value' (numbers)\n",
                    lineno);
            json_decref(xs);
            json_decref(list);
            return 2;
        }
        json_t *value = json_incref(json_array_get(xs, n - 1));
        json_array_remove(xs, n - 1);
        json_array_append_new(list, json_pack("{s:o, s:o}", "x", xs, "value", value));
    }
    char path[256];
    snprintf(path, sizeof path, "/v1/runs/%s/observations", run);
    json_t *resp;
    long st = fo_cli_send_json(base, "POST", path,
                               json_pack("{s:o}", "observations", list), &resp);
    if (st == 200)
        printf("accepted %lld\n",
               (long long)json_integer_value(json_object_get(resp, "accepted")));
    json_decref(resp);
    return fo_cli_exit(st, 200);
}

/* leases RUN CLIENT [LEASE_S]: renew a driver's leases, print how many. */
int fo_cmd_leases(const char *base, const char *run, int argc, char **argv) {
    if (argc < 1 || argc > 2)
        return 2;
    json_t *req = json_pack("{s:s}", "client_id", argv[0]);
    if (argc == 2)
        json_object_set_new(req, "lease_s", number_or_text(argv[1]));
    char path[256];
    snprintf(path, sizeof path, "/v1/runs/%s/leases", run);
    char *body = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    json_t *r;
    long st = fo_cli_request_json(base, "POST", path, body, &r);
    free(body);
    if (st == 200)
        printf("%lld\n", (long long)json_integer_value(json_object_get(r, "renewed")));
    json_decref(r);
    return fo_cli_exit(st, 200);
}

int fo_cmd_ask(const char *base, const char *run, int argc, char **argv) {
    json_t *req = json_pack("{s:I}", "n", (json_int_t)1);
    for (int i = 0; i < argc; i++) {
        const char *opt = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(opt, "--resume") == 0) {
            json_object_set_new(req, "resume", json_true());
            continue;
        }
        if (!val) {
            json_decref(req);
            return 2;
        }
        i++;
        if (strcmp(opt, "-n") == 0)
            json_object_set_new(req, "n", json_integer(atol(val)));
        else if (strcmp(opt, "--client") == 0)
            json_object_set_new(req, "client_id", json_string(val));
        else if (strcmp(opt, "--lease") == 0) /* the daemon names a bad one */
            json_object_set_new(req, "lease_s", number_or_text(val));
        else {
            json_decref(req);
            return 2;
        }
    }
    char path[256];
    snprintf(path, sizeof path, "/v1/runs/%s/ask", run);
    char *body = json_dumps(req, JSON_COMPACT);
    json_t *req_keep = req; /* resume takes no key */
    json_t *r;
    char key[33];
    fo_cli_new_key(key); /* a retried ask returns the same samples */
    long st = fo_cli_request_json_keyed(
        base, "POST", path, body, json_object_get(req_keep, "resume") ? NULL : key, &r);
    json_decref(req_keep);
    free(body);
    json_t *samples = json_object_get(r, "samples");
    for (size_t i = 0; st == 200 && i < json_array_size(samples); i++) {
        json_t *s = json_array_get(samples, i), *x = json_object_get(s, "x");
        printf("%s", json_string_value(json_object_get(s, "id")));
        char num[FO_DOUBLE_CHARS];
        for (size_t d = 0; d < json_array_size(x); d++)
            printf("%s%s", fo_cli_sep(),
                   fo_format_double(num, json_number_value(json_array_get(x, d))));
        putchar('\n');
    }
    json_decref(r);
    return fo_cli_exit(st, 200);
}

/* One NAME=VALUE token of a tell line into result r: cost=, metric.NAME=
 * (a number) or meta.NAME= (text). Returns 0, or -1 for another name. */
static int tell_extra(json_t *r, const char *tok) {
    const char *eq = strchr(tok, '=');
    if (!eq)
        return -1;
    char name[128];
    size_t len = (size_t)(eq - tok);
    if (len == 0 || len >= sizeof name)
        return -1;
    memcpy(name, tok, len);
    name[len] = '\0';
    const char *val = eq + 1;
    if (strcmp(name, "cost") == 0) {
        json_object_set_new(r, "cost", number_or_text(val));
        return 0;
    }
    const int metric = strncmp(name, "metric.", 7) == 0;
    const size_t skip = metric ? 7 : strncmp(name, "meta.", 5) == 0 ? 5 : 0;
    if (!skip || !name[skip])
        return -1;
    const char *group = metric ? "metrics" : "metadata";
    json_t *obj = json_object_get(r, group);
    if (!obj) {
        obj = json_object();
        json_object_set_new(r, group, obj);
    }
    json_object_set_new(obj, name + skip,
                        metric ? number_or_text(val) : json_string(val));
    return 0;
}

int fo_cmd_tell(const char *base, const char *run, int argc, char **argv) {
    (void)argv;
    if (argc)
        return 2;
    json_t *results = json_array();
    char line[4096];
    int lineno = 0;
    while (fgets(line, sizeof line, stdin)) {
        lineno++;
        char *tok[64], *save = NULL;
        int got = 0;
        for (char *t = strtok_r(line, " \t\r\n", &save); t && got < 64;
             t = strtok_r(NULL, " \t\r\n", &save))
            tok[got++] = t;
        if (got == 0)
            continue;
        if (got < 2) {
            fprintf(stderr, "flowopt: line %d: expected 'id value'\n", lineno);
            json_decref(results);
            return 2;
        }
        char *end = NULL;
        const char *value = tok[1];
        double v = strtod(value, &end);
        json_t *r;
        if (strcmp(value, "failed") == 0 || strcmp(value, "lost") == 0)
            r = json_pack("{s:s, s:s}", "id", tok[0], "status", value);
        else if (end && !*end && isfinite(v))
            r = json_pack("{s:s, s:f}", "id", tok[0], "value", v);
        else {
            fprintf(stderr, "flowopt: line %d: '%s' is not a finite number\n", lineno,
                    value);
            json_decref(results);
            return 2;
        }
        /* then stderr and shots, and NAME=VALUE extras; the daemon checks
         * them and names the field it refuses */
        int positional = 0, bad = 0;
        for (int k = 2; k < got && !bad; k++) {
            if (strchr(tok[k], '='))
                bad = tell_extra(r, tok[k]) != 0;
            else if (positional < 2)
                json_object_set_new(r, positional++ ? "shots" : "stderr",
                                    number_or_text(tok[k]));
            else
                bad = 1;
        }
        if (bad) {
            fprintf(stderr,
                    "flowopt: line %d: after the value come stderr, shots and cost=, "
                    "metric.NAME=, meta.NAME=\n",
                    lineno);
            json_decref(r);
            json_decref(results);
            return 2;
        }
        json_array_append_new(results, r);
    }
    char path[256];
    snprintf(path, sizeof path, "/v1/runs/%s/tell", run);
    json_t *resp;
    long st = fo_cli_send_json(base, "POST", path, json_pack("{s:o}", "results", results),
                               &resp);
    if (st == 200)
        printf("accepted %lld duplicates %lld updates %zu\n",
               (long long)json_integer_value(json_object_get(resp, "accepted")),
               (long long)json_integer_value(json_object_get(resp, "duplicates")),
               json_array_size(json_object_get(resp, "updates")));
    json_decref(resp);
    return fo_cli_exit(st, 200);
}

static int get_print(const char *base, const char *path, int best) {
    json_t *r;
    long st = fo_cli_request_json(base, "GET", path, NULL, &r);
    int rc = fo_cli_exit(st, 200);
    if (st == 200 && best) {
        char num[FO_DOUBLE_CHARS];
        printf("%s",
               fo_format_double(num, json_number_value(json_object_get(r, "value"))));
        json_t *x = json_object_get(r, "x");
        for (size_t d = 0; d < json_array_size(x); d++)
            printf("%s%s", fo_cli_sep(),
                   fo_format_double(num, json_number_value(json_array_get(x, d))));
        putchar('\n');
    } else if (st == 200) {
        rc = print_json(r);
    }
    json_decref(r);
    return rc;
}

/* A raw answer (CSV, exported bytes) to stdout. */
static int get_raw(const char *base, const char *path) {
    struct fo_body b;
    long st = fo_cli_request(base, "GET", path, NULL, 0, NULL, &b);
    if (st == 200 && b.len && fo_cli_tsv() && strstr(path, "format=csv")) {
        struct fo_table t = {0}; /* --tsv: the daemon's CSV as a table */
        fo_table_from_csv(&t, b.p);
        fo_table_print(&t);
    } else if (st == 200 && b.len && fwrite(b.p, 1, b.len, stdout) != b.len) {
        st = -1;
    }
    free(b.p);
    return fo_cli_exit(st, 200);
}

/* The history as CSV, 10,000 rows a request; the header once. */
int fo_cmd_history(const char *base, const char *run, int argc, char **argv) {
    (void)argv;
    if (argc)
        return 2;
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
        const char *text = page == 0 && b.p ? b.p : rows;
        if (fo_cli_tsv()) { /* --tsv: the daemon's CSV as tab-separated rows */
            struct fo_table t = {0};
            fo_table_from_csv(&t, text);
            fo_table_print(&t);
        } else {
            fputs(text, stdout);
        }
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

int fo_cmd_list(const char *base, const char *run, int argc, char **argv) {
    (void)run, (void)argv;
    if (argc)
        return 2;
    char path[256] = "/v1/runs?limit=1000";
    struct fo_table t = {0};
    for (;;) {
        json_t *r;
        long st = fo_cli_request_json(base, "GET", path, NULL, &r);
        if (st != 200) {
            json_decref(r);
            fo_table_print(&t);
            return fo_cli_exit(st, 200);
        }
        json_t *runs = json_object_get(r, "runs");
        for (size_t i = 0; i < json_array_size(runs); i++) {
            json_t *item = json_array_get(runs, i);
            json_t *best = json_object_get(json_object_get(item, "best"), "value");
            char num[FO_DOUBLE_CHARS], told[32];
            snprintf(told, sizeof told, "%lld",
                     (long long)json_integer_value(
                         json_object_get(json_object_get(item, "counters"), "told")));
            fo_table_cell(&t, json_string_value(json_object_get(item, "id")));
            fo_table_cell(&t, json_string_value(json_object_get(item, "state")));
            fo_table_cell(&t, told);
            fo_table_cell(&t, fo_format_double(num, best && json_is_number(best)
                                                        ? json_number_value(best)
                                                        : NAN));
            fo_table_cell(&t, json_string_value(json_object_get(item, "name")));
            fo_table_end_row(&t);
        }
        const char *next = json_string_value(json_object_get(r, "next_cursor"));
        if (next)
            snprintf(path, sizeof path, "/v1/runs?limit=1000&cursor=%.64s", next);
        json_decref(r);
        if (!next) {
            fo_table_print(&t);
            return 0;
        }
    }
}

/* Keys of `set` that are not run settings: the run's name and state, and
 * the learning-rate controller's current rate. */
static const char *const patch_extra[] = {"name", "state", "lr"};

/* VALUE of KEY=VALUE as the JSON the key takes: the settings table knows
 * each live setting's type, so "5" is an integer for budget and a string
 * for name. NULL (after a message) when VALUE does not fit. */
static json_t *setting_value(const char *key, const char *v) {
    char *end = NULL;
    double d = strtod(v, &end);
    int number = *v && end && !*end && isfinite(d);
    if (strcmp(key, "name") == 0 || strcmp(key, "state") == 0)
        return json_string(v);
    const struct fo_setting *s = fo_setting_find(key);
    enum fo_setting_type t = s ? s->type : FO_SETTING_REAL; /* lr */
    if (t == FO_SETTING_OPTIONAL_REAL && strcmp(v, "null") == 0)
        return json_null();
    long long i = strtoll(v, &end, 10);
    if (t == FO_SETTING_UINT && *v && !*end)
        return json_integer(i); /* the daemon judges the range */
    if ((t == FO_SETTING_REAL || t == FO_SETTING_OPTIONAL_REAL) && number)
        return json_real(d);
    fprintf(stderr, "flowopt: %s takes %s, not '%.80s'\n", key,
            t == FO_SETTING_UINT   ? "a whole number"
            : t == FO_SETTING_REAL ? "a number"
                                   : "a number or null",
            v);
    return NULL;
}

/* Is key something `set` may send? Says why not when it is not. */
static int settable(const char *key) {
    for (size_t i = 0; i < sizeof patch_extra / sizeof patch_extra[0]; i++)
        if (strcmp(key, patch_extra[i]) == 0)
            return 1;
    const struct fo_setting *s = fo_setting_find(key);
    if (s && (s->flags & FO_SETTING_LIVE))
        return 1;
    fprintf(stderr, "flowopt: %s %s (flowopt --help lists what set takes)\n", key,
            s && !(s->flags & FO_SETTING_INTERNAL) ? "cannot change on a live run"
                                                   : "is not a setting");
    return 0;
}

/* json[a][b]... = value along a dotted key, making the objects on the way. */
static void set_path(json_t *obj, const char *key, json_t *value) {
    const char *dot;
    while ((dot = strchr(key, '.')) != NULL) {
        char part[64];
        snprintf(part, sizeof part, "%.*s", (int)(dot - key), key);
        json_t *sub = json_object_get(obj, part);
        if (!sub) {
            sub = json_object();
            json_object_set_new(obj, part, sub);
        }
        obj = sub;
        key = dot + 1;
    }
    json_object_set_new(obj, key, value);
}

int fo_cmd_set(const char *base, const char *run, int argc, char **argv) {
    if (!argc)
        return 2;
    json_t *patch = json_object();
    for (int i = 0; i < argc; i++) {
        const char *eq = strchr(argv[i], '=');
        char key[64];
        snprintf(key, sizeof key, "%.*s", eq ? (int)(eq - argv[i]) : 0, argv[i]);
        json_t *v = NULL;
        if (!eq || eq == argv[i])
            fprintf(stderr, "flowopt: '%s' is not KEY=VALUE\n", argv[i]);
        else if (settable(key))
            v = setting_value(key, eq + 1);
        if (!v) {
            json_decref(patch);
            return 2;
        }
        set_path(patch, key, v);
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
    return fo_cli_exit(st, want);
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

int fo_cmd_import(const char *base, const char *run, int argc, char **argv) {
    (void)run;
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

int fo_cmd_fork(const char *base, const char *run, int argc, char **argv) {
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

int fo_cmd_health(const char *base, const char *run, int argc, char **argv) {
    (void)run, (void)argv;
    return argc ? 2 : get_print(base, "/v1/health", 0);
}

int fo_cmd_best(const char *base, const char *run, int argc, char **argv) {
    char path[256];
    (void)argv;
    snprintf(path, sizeof path, "/v1/runs/%s/best", run);
    return argc ? 2 : get_print(base, path, 1);
}

/* One mode a line: state, best value, evaluations, then its x. */
int fo_cmd_modes(const char *base, const char *run, int argc, char **argv) {
    char path[256], num[FO_DOUBLE_CHARS], evals[32];
    (void)argv;
    if (argc)
        return 2;
    snprintf(path, sizeof path, "/v1/runs/%s/modes", run);
    json_t *r;
    long st = fo_cli_request_json(base, "GET", path, NULL, &r);
    json_t *modes = json_object_get(r, "modes"), *m;
    size_t i;
    struct fo_table t = {0};
    json_array_foreach(modes, i, m) {
        json_t *best = json_object_get(m, "best"), *x = json_object_get(m, "x");
        fo_table_cell(&t, json_string_value(json_object_get(m, "state")));
        fo_table_cell(&t, json_is_number(best)
                              ? fo_format_double(num, json_number_value(best))
                              : "-");
        snprintf(evals, sizeof evals, "%lld",
                 (long long)json_integer_value(json_object_get(m, "evaluations")));
        fo_table_cell(&t, evals);
        for (size_t d = 0; d < json_array_size(x); d++)
            fo_table_cell(&t,
                          fo_format_double(num, json_number_value(json_array_get(x, d))));
        fo_table_end_row(&t);
    }
    fo_table_print(&t);
    json_decref(r);
    return fo_cli_exit(st, 200);
}

int fo_cmd_get(const char *base, const char *run, int argc, char **argv) {
    char path[256];
    (void)argv;
    snprintf(path, sizeof path, "/v1/runs/%s", run);
    return argc ? 2 : get_print(base, path, 0);
}

int fo_cmd_samples(const char *base, const char *run, int argc, char **argv) {
    const char *status = argc == 2 && strcmp(argv[0], "--status") == 0 ? argv[1] : NULL;
    if (argc && !status)
        return 2;
    char path[256];
    snprintf(path, sizeof path, "/v1/runs/%s/samples?format=csv&limit=10000%s%.20s", run,
             status ? "&status=" : "", status ? status : "");
    return get_raw(base, path);
}

int fo_cmd_delete(const char *base, const char *run, int argc, char **argv) {
    char path[256];
    (void)argv;
    if (argc)
        return 2;
    snprintf(path, sizeof path, "/v1/runs/%s", run);
    struct fo_body b;
    long st = fo_cli_request(base, "DELETE", path, NULL, 0, NULL, &b);
    free(b.p);
    return fo_cli_exit(st, 204);
}

int fo_cmd_checkpoint(const char *base, const char *run, int argc, char **argv) {
    char path[256];
    (void)argv;
    snprintf(path, sizeof path, "/v1/runs/%s/checkpoints", run);
    return argc ? 2 : post_print(base, path, NULL, "id", 201);
}

int fo_cmd_export(const char *base, const char *run, int argc, char **argv) {
    char path[256];
    if (argc != 1)
        return 2;
    snprintf(path, sizeof path, "/v1/runs/%s/checkpoints/%.20s/export", run, argv[0]);
    return get_raw(base, path);
}

/* The keys `set` takes: its extras, then every live setting of the table. */
void fo_cmd_set_keys(FILE *f) {
    size_t n, e = sizeof patch_extra / sizeof patch_extra[0], col = 33, first = 1;
    const struct fo_setting *t = fo_settings(&n);
    fprintf(f, "%33s", "");
    for (size_t i = 0; i < e + n; i++) {
        if (i >= e && !(t[i - e].flags & FO_SETTING_LIVE))
            continue;
        const char *key = i < e ? patch_extra[i] : t[i - e].name;
        if (!first && col + strlen(key) + 2 > 88) {
            fprintf(f, ",\n%33s", "");
            col = 33;
        } else if (!first) {
            col += (size_t)fprintf(f, ", ");
        }
        col += (size_t)fprintf(f, "%s", key);
        first = 0;
    }
    fputc('\n', f);
}
