/* testutil.c - see testutil.h. */
#include "testutil.h"

#include <curl/curl.h>
#include <jansson.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef FO_TEST_BUILD_DIR
#define FO_TEST_BUILD_DIR "build"
#endif

double fo_test_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

double fo_test_timeout_scale(void) {
    const char *v = getenv("FLOWOPT_TEST_TIMEOUT_MULTIPLIER");
    double m = v ? strtod(v, NULL) : 1.0;
    return m >= 1.0 && m <= 1000.0 ? m : 1.0;
}

int fo_test_wait_for(int (*done)(void *ctx), void *ctx, double timeout_ms) {
    double deadline = fo_test_now_ms() + timeout_ms * fo_test_timeout_scale();
    int r;
    while (!(r = done(ctx)) && fo_test_now_ms() < deadline) {
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return r;
}

int fo_test_file_contains(const char *path, const char *needle) {
    FILE *f = fopen(path, "r");
    char line[4096];
    int found = 0;
    while (f && !found && fgets(line, sizeof line, f))
        found = strstr(line, needle) != NULL;
    if (f)
        fclose(f);
    return found;
}

struct file_wait {
    const char *path, *needle;
};

static int file_has(void *ctx) {
    const struct file_wait *w = ctx;
    return fo_test_file_contains(w->path, w->needle);
}

int fo_test_wait_file(const char *path, const char *needle, double timeout_ms) {
    struct file_wait w = {path, needle};
    return fo_test_wait_for(file_has, &w, timeout_ms);
}

static void sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

int fo_test_tmpdir(char *path, size_t cap) {
    const char *base = getenv("TMPDIR");
    if (!base || !*base)
        base = "/tmp";
    if ((size_t)snprintf(path, cap, "%s/flowopt-test-XXXXXX", base) >= cap)
        return -1;
    return mkdtemp(path) ? 0 : -1;
}

void fo_test_rmdir(const char *path) {
    char cmd[1024];
    if (!path || !strstr(path, "flowopt-test-"))
        return; /* refuse to remove anything we did not make */
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
    if (system(cmd) != 0)
        fprintf(stderr, "# could not remove %s\n", path);
}

const char *fo_test_bin(const char *name) {
    static char path[1024];
    const char *dir = getenv("FLOWOPT_BUILD_DIR");
    snprintf(path, sizeof path, "%s/%s", dir && *dir ? dir : FO_TEST_BUILD_DIR, name);
    return path;
}

/* Reads the first line of the log once it is complete. */
static int read_listen_line(const char *log_path, int *port) {
    FILE *f = fopen(log_path, "r");
    if (!f)
        return -1;
    char line[512];
    int ok = fgets(line, sizeof line, f) && strchr(line, '\n');
    fclose(f);
    if (!ok)
        return -1;
    const char *colon = strrchr(line, ':');
    if (strncmp(line, "listening on ", 13) != 0 || !colon)
        return -2;
    *port = atoi(colon + 1);
    return *port > 0 ? 0 : -2;
}

int fo_test_daemon_start(struct fo_test_daemon *d, const char *db_path,
                         const char *log_path, const char *const *extra_args) {
    memset(d, 0, sizeof *d);
    snprintf(d->log_path, sizeof d->log_path, "%s", log_path);
    const char *argv[32] = {fo_test_bin("flowoptd"), "--init", "--listen",
                            "127.0.0.1:0",           "--db",   db_path};
    size_t n = 6;
    for (size_t i = 0; extra_args && extra_args[i] && n < 31; i++)
        argv[n++] = extra_args[i];
    argv[n] = NULL;
    /* A log left by an earlier daemon must not be read as this one's. */
    unlink(log_path);
    pid_t parent = getpid(), pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        /* A test that crashes must not leave its daemon running, nor holding
         * the test's stdout (prove would wait on the pipe for ever). */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        int fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0)
            _exit(127);
        dup2(fd, STDERR_FILENO);
        dup2(fd, STDOUT_FILENO);
        close(fd);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    d->pid = pid;
    double deadline = fo_test_now_ms() + 10000 * fo_test_timeout_scale();
    while (fo_test_now_ms() < deadline) {
        int rc = read_listen_line(log_path, &d->port);
        if (rc == 0) {
            snprintf(d->base_url, sizeof d->base_url, "http://127.0.0.1:%d", d->port);
            return 0;
        }
        int status;
        if (rc == -2 || waitpid(pid, &status, WNOHANG) == pid) {
            if (rc == -2)
                fo_test_daemon_kill(d);
            d->pid = 0;
            return -1;
        }
        sleep_ms(10);
    }
    fo_test_daemon_kill(d);
    return -1;
}

int fo_test_daemon_wait(struct fo_test_daemon *d, int timeout_ms, int *status) {
    double deadline = fo_test_now_ms() + timeout_ms * fo_test_timeout_scale();
    while (d->pid > 0) {
        pid_t r = waitpid(d->pid, status, WNOHANG);
        if (r == d->pid) {
            d->pid = 0;
            return 0;
        }
        if (r < 0 || fo_test_now_ms() > deadline)
            return -1;
        sleep_ms(5);
    }
    return -1;
}

void fo_test_daemon_kill(struct fo_test_daemon *d) {
    if (d->pid > 0) {
        int status;
        kill(d->pid, SIGKILL);
        waitpid(d->pid, &status, 0);
        d->pid = 0;
    }
}

struct sink {
    char *buf;
    size_t len;
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *user) {
    struct sink *s = user;
    size_t n = size * nmemb;
    char *grown = realloc(s->buf, s->len + n + 1);
    if (!grown)
        return 0;
    memcpy(grown + s->len, data, n);
    s->buf = grown;
    s->len += n;
    s->buf[s->len] = '\0';
    return n;
}

static void copy_header_value(char *dst, size_t cap, const char *line, size_t n,
                              size_t name_len) {
    size_t start = name_len, end = n;
    while (start < end && (line[start] == ' ' || line[start] == '\t'))
        start++;
    while (end > start && (line[end - 1] == '\r' || line[end - 1] == '\n'))
        end--;
    size_t len = end - start < cap - 1 ? end - start : cap - 1;
    memcpy(dst, line + start, len);
    dst[len] = '\0';
}

static size_t on_header(char *line, size_t size, size_t nmemb, void *user) {
    struct fo_test_resp *r = user;
    size_t n = size * nmemb;
    if (n > 13 && strncasecmp(line, "Content-Type:", 13) == 0)
        copy_header_value(r->content_type, sizeof r->content_type, line, n, 13);
    else if (n > 6 && strncasecmp(line, "Allow:", 6) == 0)
        copy_header_value(r->allow, sizeof r->allow, line, n, 6);
    else if (n > 9 && strncasecmp(line, "Location:", 9) == 0)
        copy_header_value(r->location, sizeof r->location, line, n, 9);
    else if (n > 17 && strncasecmp(line, "WWW-Authenticate:", 17) == 0)
        copy_header_value(r->www_authenticate, sizeof r->www_authenticate, line, n, 17);
    else if (n > 5 && strncasecmp(line, "ETag:", 5) == 0)
        copy_header_value(r->etag, sizeof r->etag, line, n, 5);
    else if (n > 14 && strncasecmp(line, "Cache-Control:", 14) == 0)
        copy_header_value(r->cache_control, sizeof r->cache_control, line, n, 14);
    else if (n > 28 && strncasecmp(line, "Access-Control-Allow-Origin:", 28) == 0)
        copy_header_value(r->allow_origin, sizeof r->allow_origin, line, n, 28);
    else if (n > 29 && strncasecmp(line, "Access-Control-Allow-Methods:", 29) == 0)
        copy_header_value(r->allow_methods, sizeof r->allow_methods, line, n, 29);
    return n;
}

/*
 * With FLOWOPT_RECORD set, append every response as one JSON line
 * {method, url, status, content_type, body} for the contract check
 * (tools/check_responses.mjs). Binary bodies are recorded without body.
 */
static void record(const char *method, const char *url, const struct fo_test_resp *r,
                   const char *body, size_t len) {
    const char *file = getenv("FLOWOPT_RECORD");
    char in_dir[1024];
    const char *rec_dir = getenv("FLOWOPT_RECORD_DIR");
    if ((!file || !*file) && rec_dir && *rec_dir) {
        /* one file per program: its own name, from /proc/self/exe */
        char exe[512];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        exe[n > 0 ? n : 0] = '\0';
        const char *base = strrchr(exe, '/');
        snprintf(in_dir, sizeof in_dir, "%s/%s.jsonl", rec_dir, base ? base + 1 : "test");
        file = in_dir;
    }
    if (!file || !*file)
        return;
    int text = strstr(r->content_type, "json") || strstr(r->content_type, "text");
    json_t *j =
        json_pack("{s:s, s:s, s:I, s:s, s:s%}", "method", method, "url", url, "status",
                  (json_int_t)r->status, "content_type", r->content_type, "body",
                  text && body ? body : "", text && body ? len : (size_t)0);
    char *line = j ? json_dumps(j, JSON_COMPACT) : NULL;
    FILE *f = line ? fopen(file, "a") : NULL;
    if (f) {
        fprintf(f, "%s\n", line);
        fclose(f);
    }
    free(line);
    json_decref(j);
}

int fo_test_http(const char *method, const char *url, const char *body,
                 const char *const *headers, struct fo_test_resp *out) {
    return fo_test_http_bytes(method, url, body, body ? strlen(body) : 0, headers, out);
}

int fo_test_http_bytes(const char *method, const char *url, const char *body, size_t len,
                       const char *const *headers, struct fo_test_resp *out) {
    memset(out, 0, sizeof *out);
    CURL *c = curl_easy_init();
    if (!c)
        return -1;
    struct sink s = {0};
    struct curl_slist *list = NULL;
    for (size_t i = 0; headers && headers[i]; i++)
        list = curl_slist_append(list, headers[i]);
    int typed = 0;
    for (size_t i = 0; headers && headers[i]; i++)
        typed |= strncasecmp(headers[i], "Content-Type:", 13) == 0;
    if (body && !typed)
        list = curl_slist_append(list, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(30000 * fo_test_timeout_scale()));
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, out);
    CURLcode rc = curl_easy_perform(c);
    if (rc == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
    if (rc == CURLE_OK)
        record(method, url, out, s.buf, s.len);
    curl_slist_free_all(list);
    curl_easy_cleanup(c);
    if (!s.buf)
        s.buf = calloc(1, 1);
    out->body = s.buf;
    out->len = s.len;
    return rc == CURLE_OK ? 0 : -1;
}

void fo_test_resp_free(struct fo_test_resp *r) {
    free(r->body);
    r->body = NULL;
}

json_t *fo_test_call(const struct fo_test_daemon *d, const char *method, const char *path,
                     const char *body, const char *const *headers, long *status) {
    char url[512];
    struct fo_test_resp r;
    snprintf(url, sizeof url, "%s%s", d->base_url, path);
    json_t *j = NULL;
    *status = 0;
    if (fo_test_http(method, url, body, headers, &r) == 0) {
        *status = r.status;
        j = json_loads(r.body, 0, NULL);
    }
    fo_test_resp_free(&r);
    return j;
}

json_t *fo_test_post(const struct fo_test_daemon *d, const char *path, const char *body,
                     long *status) {
    return fo_test_call(d, "POST", path, body, NULL, status);
}

int fo_test_raw(int port, const char *request, char *out, size_t cap) {
    out[0] = '\0';
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    size_t len = strlen(request), sent = 0;
    while (sent < len) {
        ssize_t n = send(fd, request + sent, len - sent, MSG_NOSIGNAL);
        if (n <= 0)
            break;
        sent += (size_t)n;
    }
    shutdown(fd, SHUT_WR);
    size_t got = 0;
    double deadline = fo_test_now_ms() + 5000 * fo_test_timeout_scale();
    while (got + 1 < cap && fo_test_now_ms() < deadline) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 100) <= 0)
            continue;
        ssize_t n = recv(fd, out + got, cap - 1 - got, 0);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    out[got] = '\0';
    close(fd);
    int status = -1;
    return sscanf(out, "HTTP/1.%*d %d", &status) == 1 ? status : -1;
}
