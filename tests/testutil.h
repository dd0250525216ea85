/*
 * testutil.h - shared helpers for the test programs: temporary directories,
 * the real flowoptd on a loopback port, and HTTP through libcurl.
 */
#ifndef FLOWOPT_TESTS_TESTUTIL_H
#define FLOWOPT_TESTS_TESTUTIL_H

#include <stddef.h>
#include <sys/types.h>

/* Make a fresh directory under $TMPDIR (or /tmp). OUT: path (capacity cap). */
int fo_test_tmpdir(char *path, size_t cap);
/* rm -rf of a directory made by fo_test_tmpdir. */
void fo_test_rmdir(const char *path);

struct fo_test_daemon {
    pid_t pid;
    int port;
    char base_url[64];
    char log_path[512]; /* the daemon's stderr */
};

/*
 * Start build/.../flowoptd with --listen 127.0.0.1:0 --db db_path plus the
 * NULL-terminated extra args, wait (<= 10 s) for "listening on H:P" on its
 * stderr, and fill d. Returns 0 on success, -1 after killing the child.
 */
int fo_test_daemon_start(struct fo_test_daemon *d, const char *db_path,
                         const char *log_path, const char *const *extra_args);
/*
 * Wait for the daemon to exit, at most timeout_ms. OUT: *status (waitpid).
 * Returns 0 if it exited in time, -1 otherwise (the child is left running).
 */
int fo_test_daemon_wait(struct fo_test_daemon *d, int timeout_ms, int *status);
/* SIGKILL (if running) and reap. */
void fo_test_daemon_kill(struct fo_test_daemon *d);
/* The path of a built program, e.g. fo_test_bin("flowoptd"). Static buffer. */
const char *fo_test_bin(const char *name);

struct fo_test_resp {
    long status;
    char *body; /* NUL-terminated, malloc'd */
    size_t len;
    char content_type[128];
    char allow[128];
    char location[256];
    char www_authenticate[128];
    char etag[64];
    char cache_control[64];
    char allow_origin[256];  /* Access-Control-Allow-Origin */
    char allow_methods[128]; /* Access-Control-Allow-Methods */
};

/*
 * One HTTP request with libcurl. body may be NULL; headers is a
 * NULL-terminated list of "Name: value" or NULL. Returns 0 when a response
 * arrived (any status), -1 on a transport error.
 */
int fo_test_http(const char *method, const char *url, const char *body,
                 const char *const *headers, struct fo_test_resp *out);
/* The same with a binary body of len bytes (and no implied Content-Type). */
int fo_test_http_bytes(const char *method, const char *url, const char *body, size_t len,
                       const char *const *headers, struct fo_test_resp *out);
void fo_test_resp_free(struct fo_test_resp *r);

/*
 * Send request (raw bytes, as written) to 127.0.0.1:port, close our side and
 * read the answer until the daemon closes (at most 5 s). OUT: out (NUL-
 * terminated, capacity cap). Returns the answer's HTTP status, or -1.
 */
int fo_test_raw(int port, const char *request, char *out, size_t cap);

/*
 * POST body (may be NULL) to d's base URL + path. OUT: *status (0 when no
 * answer came). Returns the parsed answer (NULL when none or not JSON);
 * the caller releases it with json_decref.
 */
struct json_t *fo_test_post(const struct fo_test_daemon *d, const char *path,
                            const char *body, long *status);
/* The same for any method, with extra headers (NULL-terminated, may be NULL). */
struct json_t *fo_test_call(const struct fo_test_daemon *d, const char *method,
                            const char *path, const char *body,
                            const char *const *headers, long *status);

/* Monotonic milliseconds. */
double fo_test_now_ms(void);

/*
 * What every test deadline is multiplied by: FLOWOPT_TEST_TIMEOUT_MULTIPLIER
 * (default 1), for slow machines and sanitizers, as libuv's
 * UV_TEST_TIMEOUT_MULTIPLIER.
 */
double fo_test_timeout_scale(void);

/*
 * Poll done(ctx) every 5 ms until it returns non-zero or timeout_ms (times
 * fo_test_timeout_scale) passes. Returns done's last answer: a test waits
 * on its condition, never on a fixed sleep.
 */
int fo_test_wait_for(int (*done)(void *ctx), void *ctx, double timeout_ms);

/* 1 when a line of the file at path contains needle. */
int fo_test_file_contains(const char *path, const char *needle);

/* Wait (timeout_ms, scaled) until the file at path has a line with needle. */
int fo_test_wait_file(const char *path, const char *needle, double timeout_ms);

#endif
