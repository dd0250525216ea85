/*
 * loop.c - flowopt loop RUN --cmd CMD [-j N] [--budget B] [--timeout S]:
 * the ask/measure/tell loop with a shell command as the instrument. Each
 * sample runs `sh -c 'CMD "$@"' flowopt x1 ... xD` with "x1 ... xD" as its
 * stdin; the last line of its stdout is the value. A non-zero exit, a
 * value that does not parse, or a command past its timeout (killed) is
 * told failed, with the tail of its stderr as the error. N commands run at
 * once; SIGINT stops asking, waits for the running ones, tells them and
 * exits 130. Results are told as they finish; asks carry an
 * Idempotency-Key.
 */
#include "client/commands.h"
#include "client/request.h"
#include "util/text.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_JOBS 256
#define TAIL 400 /* bytes of a failed command's stderr told as its error */

struct job {
    pid_t pid;
    char id[32];
    int out, err;     /* pipe ends, -1 when closed */
    char *stdout_buf; /* all of it */
    size_t out_len;
    char tail[TAIL + 1]; /* the end of its stderr */
    size_t tail_len;
    double started;
    int killed;
};

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig) {
    (void)sig;
    interrupted = 1;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Start cmd for one sample. Returns 0, or -1 (the sample is told failed). */
static int start_job(struct job *j, const char *cmd, const char *id, json_t *x) {
    char script[4096];
    if ((size_t)snprintf(script, sizeof script, "%s \"$@\"", cmd) >= sizeof script)
        return -1;
    size_t D = json_array_size(x);
    char **argv = calloc(D + 5, sizeof *argv);
    char(*num)[FO_DOUBLE_CHARS] = calloc(D ? D : 1, sizeof *num);
    struct fo_text line = {0};
    int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};
    if (!argv || !num || pipe(in) || pipe(out) || pipe(err)) {
        free(argv);
        free(num);
        return -1;
    }
    static char sh[] = "sh", dash_c[] = "-c", name[] = "flowopt";
    argv[0] = sh;
    argv[1] = dash_c;
    argv[2] = script;
    argv[3] = name;
    for (size_t d = 0; d < D; d++) {
        fo_format_double(num[d], json_number_value(json_array_get(x, d)));
        argv[4 + d] = num[d];
        fo_text_printf(&line, d ? " %s" : "%s", num[d]);
    }
    fo_text_printf(&line, "\n");
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        dup2(err[1], 2);
        for (int k = 0; k < 2; k++) {
            close(in[k]);
            close(out[k]);
            close(err[k]);
        }
        signal(SIGINT, SIG_IGN);  /* the loop stops; running commands finish */
        signal(SIGPIPE, SIG_DFL); /* ignored in the loop, not in the command */
        setpgid(0, 0);            /* its own group: a timeout kills all of it */
        execv("/bin/sh", argv);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    close(err[1]);
    if (pid > 0 && line.p) { /* short: fits the pipe; the command may not read it */
        ssize_t w = write(in[1], line.p, line.len);
        (void)w;
    }
    close(in[1]);
    free(line.p);
    free(argv);
    free(num);
    if (pid < 0) {
        close(out[0]);
        close(err[0]);
        return -1;
    }
    memset(j, 0, sizeof *j);
    j->pid = pid;
    snprintf(j->id, sizeof j->id, "%s", id);
    j->out = out[0];
    j->err = err[0];
    j->started = now_s();
    return 0;
}

/* Read what fd has into the job; close it at EOF. */
static void drain(struct job *j, int *fd, int is_out) {
    char buf[4096];
    ssize_t n = read(*fd, buf, sizeof buf);
    if (n <= 0) {
        if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
            close(*fd);
            *fd = -1;
        }
        return;
    }
    if (is_out) {
        char *p = realloc(j->stdout_buf, j->out_len + (size_t)n + 1);
        if (!p)
            return;
        memcpy(p + j->out_len, buf, (size_t)n);
        j->out_len += (size_t)n;
        p[j->out_len] = '\0';
        j->stdout_buf = p;
        return;
    }
    for (ssize_t k = 0; k < n; k++) { /* keep the last TAIL bytes */
        if (j->tail_len == TAIL) {
            memmove(j->tail, j->tail + 1, TAIL - 1);
            j->tail_len--;
        }
        j->tail[j->tail_len++] = buf[k];
    }
    j->tail[j->tail_len] = '\0';
}

/* The value on the last non-empty line of s, or NaN. */
static double last_value(const char *s) {
    if (!s)
        return NAN;
    const char *end = s + strlen(s), *start;
    while (end > s && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
        end--;
    for (start = end; start > s && start[-1] != '\n'; start--)
        ;
    char line[128];
    size_t n = (size_t)(end - start);
    if (n == 0 || n >= sizeof line)
        return NAN;
    memcpy(line, start, n);
    line[n] = '\0';
    char *stop = NULL;
    double v = strtod(line, &stop);
    while (stop && (*stop == ' ' || *stop == '\t'))
        stop++;
    return stop && !*stop && isfinite(v) ? v : NAN;
}

/* The finished job's result for the tell. */
static json_t *result_of(struct job *j, int status, double timeout) {
    double v = last_value(j->stdout_buf);
    const char *why = NULL;
    char msg[TAIL + 80];
    if (j->killed)
        snprintf(msg, sizeof msg, "killed after the timeout of %g s", timeout), why = msg;
    else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        snprintf(msg, sizeof msg, "exit %d: %s",
                 WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
                 j->tail),
            why = msg;
    else if (isnan(v))
        snprintf(msg, sizeof msg, "no value on the last line of stdout: %s", j->tail),
            why = msg;
    free(j->stdout_buf);
    j->stdout_buf = NULL;
    if (why)
        return json_pack("{s:s, s:s, s:s}", "id", j->id, "status", "failed", "error",
                         why);
    return json_pack("{s:s, s:f}", "id", j->id, "value", v);
}

/* Ask n and start a job for each. Returns how many started, or -1 when the
 * ask failed (*exit_code set). */
static int ask_more(const char *base, const char *run, int n, const char *cmd,
                    struct job *jobs, int *running, json_t *failed, int *exit_code) {
    char path[256], body[64], key[33];
    snprintf(path, sizeof path, "/v1/runs/%s/ask", run);
    snprintf(body, sizeof body, "{\"n\": %d}", n);
    fo_cli_new_key(key);
    json_t *r;
    long st = fo_cli_request_json_keyed(base, "POST", path, body, key, &r);
    if (st != 200) {
        json_decref(r);
        *exit_code = fo_cli_exit(st, 200);
        return -1;
    }
    json_t *samples = json_object_get(r, "samples");
    int started = 0;
    for (size_t i = 0; i < json_array_size(samples); i++) {
        json_t *s = json_array_get(samples, i);
        const char *id = json_string_value(json_object_get(s, "id"));
        if (start_job(&jobs[*running], cmd, id, json_object_get(s, "x")) == 0) {
            (*running)++;
            started++;
        } else {
            json_array_append_new(failed, json_pack("{s:s, s:s, s:s}", "id", id, "status",
                                                    "failed", "error",
                                                    "the command could not be started"));
        }
    }
    json_decref(r);
    return started;
}

static int tell(const char *base, const char *run, json_t *results) {
    if (json_array_size(results) == 0) {
        json_decref(results);
        return 0;
    }
    char path[256];
    snprintf(path, sizeof path, "/v1/runs/%s/tell", run);
    json_t *r;
    long st =
        fo_cli_send_json(base, "POST", path, json_pack("{s:o}", "results", results), &r);
    json_decref(r);
    return fo_cli_exit(st, 200);
}

static int stopped(const char *base, const char *run) {
    char path[256];
    snprintf(path, sizeof path, "/v1/runs/%s", run);
    json_t *r;
    long st = fo_cli_request_json(base, "GET", path, NULL, &r);
    const char *reason = json_string_value(json_object_get(r, "stop_reason"));
    const char *state = json_string_value(json_object_get(r, "state"));
    int stop = st != 200 || (reason && strcmp(reason, "none") != 0) ||
               (state && strcmp(state, "active") != 0);
    json_decref(r);
    return stop;
}

int fo_cmd_loop(const char *base, const char *run, int argc, char **argv) {
    const char *cmd = NULL;
    long jobs_n = 1, budget = 0;
    double timeout = 0.0;
    for (int i = 0; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v)
            return 2;
        if (strcmp(argv[i], "--cmd") == 0)
            cmd = v;
        else if (strcmp(argv[i], "-j") == 0)
            jobs_n = atol(v);
        else if (strcmp(argv[i], "--budget") == 0)
            budget = atol(v);
        else if (strcmp(argv[i], "--timeout") == 0)
            timeout = atof(v);
        else
            return 2;
        i++;
    }
    if (!cmd || jobs_n < 1 || jobs_n > MAX_JOBS || budget < 0 || timeout < 0.0)
        return 2;
    struct job *jobs = calloc(MAX_JOBS, sizeof *jobs);
    if (!jobs)
        return 1;
    struct sigaction sa = {0};
    sa.sa_handler = on_sigint;
    sigaction(SIGINT, &sa, NULL);
    /* a command that exits without reading its x line must not kill the
     * loop: the write then fails with EPIPE, which is fine */
    signal(SIGPIPE, SIG_IGN);
    const int show = isatty(2);
    int running = 0, rc = 0, asking = 1;
    long told = 0, asked = 0;
    double t0 = now_s();
    while (asking || running) {
        json_t *results = json_array();
        if (interrupted)
            asking = 0;
        int room = (int)jobs_n - running;
        if (asking && budget && asked >= budget)
            asking = 0;
        if (asking && room > 0) {
            int n = budget && budget - asked < room ? (int)(budget - asked) : room;
            int got = ask_more(base, run, n, cmd, jobs, &running, results, &rc);
            if (got < 0)
                asking = 0;
            else
                asked += got + (long)json_array_size(results);
        }
        /* wait for output, a finished command, or a timeout */
        struct pollfd p[2 * MAX_JOBS];
        int np = 0;
        for (int k = 0; k < running; k++) {
            if (jobs[k].out >= 0)
                p[np++] = (struct pollfd){jobs[k].out, POLLIN, 0};
            if (jobs[k].err >= 0)
                p[np++] = (struct pollfd){jobs[k].err, POLLIN, 0};
        }
        if (np)
            poll(p, (nfds_t)np, 100);
        for (int k = 0; k < running; k++) {
            struct job *j = &jobs[k];
            for (int q = 0; q < np; q++) {
                if (!(p[q].revents & (POLLIN | POLLHUP | POLLERR)))
                    continue;
                if (p[q].fd == j->out)
                    drain(j, &j->out, 1);
                else if (p[q].fd == j->err)
                    drain(j, &j->err, 0);
            }
            if (timeout > 0.0 && !j->killed && now_s() - j->started > timeout) {
                kill(-j->pid, SIGKILL); /* the command and what it started */
                kill(j->pid, SIGKILL);
                j->killed = 1;
                for (int *fd = &j->out; fd <= &j->err;
                     fd++) /* a grandchild may hold them */
                    if (*fd >= 0) {
                        close(*fd);
                        *fd = -1;
                    }
            }
        }
        for (int k = 0; k < running;) {
            struct job *j = &jobs[k];
            int status = 0;
            if (j->out >= 0 || j->err >= 0 || waitpid(j->pid, &status, 0) != j->pid) {
                k++;
                continue;
            }
            json_array_append_new(results, result_of(j, status, timeout));
            jobs[k] = jobs[--running];
        }
        const long now_told = (long)json_array_size(results);
        told += now_told;
        int trc = tell(base, run, results);
        if (trc) {
            rc = trc;
            asking = 0;
        }
        if (show)
            fprintf(stderr, "\r%ld told, %d running, %.1f/s ", told, running,
                    (double)told / fmax(now_s() - t0, 1e-9));
        /* a stopping rule of the run (budget, target, a pause) ends the asking */
        if (asking && trc == 0 && now_told && stopped(base, run))
            asking = 0;
    }
    if (show)
        fputc('\n', stderr);
    free(jobs);
    return interrupted ? 130 : rc;
}
