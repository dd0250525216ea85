/*
 * main.c - flowopt, the command-line client of flowoptd, for shell loops:
 *
 *   run=$(flowopt create --dim 3 --bounds -5:5 --direction minimize)
 *   flowopt ask "$run" -n 8 | while read -r id x; do
 *       echo "$id $(measure $x)"
 *   done | flowopt tell "$run"
 *   flowopt best "$run"
 *
 * ask prints one sample a line: id, then the coordinates. tell reads lines
 * "id value" (or "id failed") from stdin and sends them in one request.
 */
#include <flowopt/flowopt.h>
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
    "  --help         this text\n"
    "  --version      print the version and exit\n"
    "\n"
    "commands:\n"
    "  health                         the daemon's /v1/health answer\n"
    "  create --dim D [--bounds LO:HI] [--direction minimize|maximize]\n"
    "         [--batch N] [--name NAME]  create a run, print its id\n"
    "  ask RUN [-n N]                 print N samples, one a line: id x1 x2 ...\n"
    "  tell RUN                       read 'id value' or 'id failed' lines from stdin\n"
    "  best RUN                       print the best value, then its x\n"
    "  get RUN                        print the run object (JSON)\n";

struct buf {
    char *p;
    size_t len;
};

static size_t collect(char *data, size_t size, size_t n, void *user) {
    struct buf *b = user;
    char *g = realloc(b->p, b->len + size * n + 1);
    if (!g)
        return 0;
    memcpy(g + b->len, data, size * n);
    b->p = g;
    b->len += size * n;
    b->p[b->len] = '\0';
    return size * n;
}

/* One request; OUT: *json (parsed body, may be NULL). Returns the HTTP status or -1. */
static long request(const char *base, const char *method, const char *path,
                    const char *body, json_t **json) {
    char url[2048];
    *json = NULL;
    if ((size_t)snprintf(url, sizeof url, "%s%s", base, path) >= sizeof url)
        return -1;
    CURL *c = curl_easy_init();
    if (!c)
        return -1;
    struct buf b = {NULL, 0};
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    if (body)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    long status = -1;
    CURLcode rc = curl_easy_perform(c);
    if (rc == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    else
        fprintf(stderr, "flowopt: %s: %s\n", url, curl_easy_strerror(rc));
    if (b.p)
        *json = json_loads(b.p, 0, NULL);
    if (status >= 400) {
        const char *detail = json_string_value(json_object_get(*json, "detail"));
        fprintf(stderr, "flowopt: %ld: %s\n", status, detail ? detail : (b.p ? b.p : ""));
    }
    free(b.p);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return status;
}

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
    char *body = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    json_t *run;
    long st = request(base, "POST", "/v1/runs", body, &run);
    free(body);
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
    long st = request(base, "POST", path, body, &r);
    json_t *samples = json_object_get(r, "samples");
    for (size_t i = 0; st == 200 && i < json_array_size(samples); i++) {
        json_t *s = json_array_get(samples, i), *x = json_object_get(s, "x");
        printf("%s", json_string_value(json_object_get(s, "id")));
        for (size_t d = 0; d < json_array_size(x); d++)
            printf(" %.17g", json_number_value(json_array_get(x, d)));
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
    json_t *req = json_pack("{s:o}", "results", results);
    char *body = json_dumps(req, JSON_COMPACT), path[256];
    json_decref(req);
    snprintf(path, sizeof path, "/v1/runs/%s/tell", run);
    json_t *r;
    long st = request(base, "POST", path, body, &r);
    free(body);
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
    long st = request(base, "GET", path, NULL, &r);
    int rc = st == 200 ? 0 : 1;
    if (st == 200 && best) {
        printf("%.17g", json_number_value(json_object_get(r, "value")));
        json_t *x = json_object_get(r, "x");
        for (size_t d = 0; d < json_array_size(x); d++)
            printf(" %.17g", json_number_value(json_array_get(x, d)));
        putchar('\n');
    } else if (st == 200) {
        rc = print_json(r);
    }
    json_decref(r);
    return rc;
}

static int dispatch(const char *base, int argc, char **argv) {
    const char *cmd = argv[0];
    char path[256];
    if (strcmp(cmd, "health") == 0)
        return cmd_get(base, "/v1/health", 0);
    if (strcmp(cmd, "create") == 0)
        return cmd_create(base, argc - 1, argv + 1);
    if (argc < 2) {
        fprintf(stderr, "flowopt: %s needs a run id\n%s", cmd, usage);
        return 2;
    }
    if (strcmp(cmd, "ask") == 0) {
        long n = argc >= 4 && strcmp(argv[2], "-n") == 0 ? atol(argv[3]) : 1;
        return cmd_ask(base, argv[1], n);
    }
    if (strcmp(cmd, "tell") == 0)
        return cmd_tell(base, argv[1]);
    if (strcmp(cmd, "best") == 0 || strcmp(cmd, "get") == 0) {
        snprintf(path, sizeof path,
                 strcmp(cmd, "best") == 0 ? "/v1/runs/%s/best" : "/v1/runs/%s", argv[1]);
        return cmd_get(base, path, strcmp(cmd, "best") == 0);
    }
    fprintf(stderr, "flowopt: unknown command '%s'\n%s", cmd, usage);
    return 2;
}

int main(int argc, char **argv) {
    const char *base = getenv("FLOWOPT_URL");
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
        fprintf(stderr, "flowopt: unknown option '%s'\n%s", argv[i], usage);
        return 2;
    }
    if (i >= argc) {
        fputs(usage, stderr);
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc = dispatch(base, argc - i, argv + i);
    curl_global_cleanup();
    return rc;
}
