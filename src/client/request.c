/* request.c - HTTP for the flowopt client; see request.h. */
#include "client/request.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *api_token;
static const char *ca_file;
static FILE *json_out;

void fo_cli_set_json_out(FILE *out) {
    json_out = out;
}

void fo_cli_set_token(const char *token) {
    api_token = token && *token ? token : NULL;
}

void fo_cli_set_ca(const char *path) {
    ca_file = path && *path ? path : NULL;
}

static size_t collect(char *data, size_t size, size_t n, void *user) {
    struct fo_body *b = user;
    char *g = realloc(b->p, b->len + size * n + 1);
    if (!g)
        return 0;
    memcpy(g + b->len, data, size * n);
    b->p = g;
    b->len += size * n;
    b->p[b->len] = '\0';
    return size * n;
}

/* The problem's detail for stderr, else the raw answer. */
static void report(long status, const struct fo_body *b) {
    json_t *j = b->p ? json_loads(b->p, 0, NULL) : NULL;
    const char *detail = json_string_value(json_object_get(j, "detail"));
    fprintf(stderr, "flowopt: %ld: %s\n", status, detail ? detail : (b->p ? b->p : ""));
    json_decref(j);
}

/* One try. */
static long request_once(const char *base, const char *method, const char *path,
                         const char *body, size_t len, const char *content_type,
                         const char *key, int last, struct fo_body *out) {
    char url[2048], ctype[128], idem[300];
    out->p = NULL;
    out->len = 0;
    const char *csv = json_out ? strstr(path, "format=csv") : NULL;
    int n = csv /* --json: the daemon's JSON in place of its CSV */
                ? snprintf(url, sizeof url, "%s%.*sformat=json%s", base,
                           (int)(csv - path), path, csv + 10)
                : snprintf(url, sizeof url, "%s%s", base, path);
    if (n < 0 || (size_t)n >= sizeof url)
        return -1;
    CURL *c = curl_easy_init();
    if (!c)
        return -1;
    snprintf(ctype, sizeof ctype, "Content-Type: %s",
             content_type ? content_type : "application/json");
    struct curl_slist *h = curl_slist_append(NULL, ctype);
    char auth[400];
    if (api_token && (size_t)snprintf(auth, sizeof auth, "Authorization: Bearer %s",
                                      api_token) < sizeof auth)
        h = curl_slist_append(h, auth);
    if (key &&
        (size_t)snprintf(idem, sizeof idem, "Idempotency-Key: %s", key) < sizeof idem)
        h = curl_slist_append(h, idem);
    curl_easy_setopt(c, CURLOPT_URL, url);
    if (ca_file) /* a daemon's own certificate, or its CA's (--tls-cert) */
        curl_easy_setopt(c, CURLOPT_CAINFO, ca_file);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    }
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
    long status = -1;
    CURLcode rc = curl_easy_perform(c);
    if (rc == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    else if (last)
        fprintf(stderr, "flowopt: %s: %s\n", url, curl_easy_strerror(rc));
    if (status >= 400 && (status != 503 || last))
        report(status, out);
    if (json_out && out->p && (status < 400 || last || status != 503)) {
        fputs(out->p, json_out);
        if (out->len && out->p[out->len - 1] != '\n')
            fputc('\n', json_out);
        fflush(json_out);
    }
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return status;
}

long fo_cli_request_keyed(const char *base, const char *method, const char *path,
                          const char *body, size_t len, const char *content_type,
                          const char *key, struct fo_body *out) {
    long st = -1;
    for (int t = 0; t < FO_CLI_TRIES; t++) {
        if (t) {
            free(out->p);
            double s = 0.1 * (double)(1 << (t - 1)) * (0.5 + (double)rand() / RAND_MAX);
            struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
            nanosleep(&ts, NULL);
        }
        st = request_once(base, method, path, body, len, content_type, key,
                          t == FO_CLI_TRIES - 1, out);
        if (st != -1 && st != 503)
            break;
    }
    return st;
}

long fo_cli_request(const char *base, const char *method, const char *path,
                    const char *body, size_t len, const char *content_type,
                    struct fo_body *out) {
    return fo_cli_request_keyed(base, method, path, body, len, content_type, NULL, out);
}

void fo_cli_new_key(char *key) {
    unsigned char r[16] = {0};
    FILE *f = fopen("/dev/urandom", "rb");
    size_t got = f ? fread(r, 1, sizeof r, f) : 0;
    if (f)
        fclose(f);
    for (size_t i = got; i < sizeof r; i++) /* no urandom: time and pid */
        r[i] = (unsigned char)(rand() ^ (int)time(NULL) ^ (int)getpid());
    for (size_t i = 0; i < sizeof r; i++)
        snprintf(key + 2 * i, 3, "%02x", r[i]);
}

int fo_cli_exit(long status, long want) {
    return status == want ? 0 : status == -1 ? 3 : 1;
}

long fo_cli_request_json_keyed(const char *base, const char *method, const char *path,
                               const char *body, const char *key, json_t **json) {
    struct fo_body b;
    long st = fo_cli_request_keyed(base, method, path, body, body ? strlen(body) : 0,
                                   NULL, key, &b);
    *json = b.p ? json_loads(b.p, 0, NULL) : NULL;
    free(b.p);
    return st;
}

long fo_cli_request_json(const char *base, const char *method, const char *path,
                         const char *body, json_t **json) {
    struct fo_body b;
    long st = fo_cli_request(base, method, path, body, body ? strlen(body) : 0, NULL, &b);
    *json = b.p ? json_loads(b.p, 0, NULL) : NULL;
    free(b.p);
    return st;
}

long fo_cli_send_json(const char *base, const char *method, const char *path, json_t *req,
                      json_t **json) {
    char *body = req ? json_dumps(req, JSON_COMPACT) : NULL;
    json_decref(req);
    if (req && !body) {
        *json = NULL;
        return -1;
    }
    long st = fo_cli_request_json(base, method, path, body, json);
    free(body);
    return st;
}
