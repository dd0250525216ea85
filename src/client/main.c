/*
 * main.c - flowopt, the command-line client of flowoptd, for shell loops:
 *
 *   run=$(flowopt create --dim 3 --bounds -5:5 --direction minimize)
 *   flowopt ask "$run" -n 8 | while read -r id x; do
 *       echo "$id $(measure $x)"
 *   done | flowopt tell "$run"
 *   flowopt best "$run"
 *
 * main.c holds the options and the table of commands, from which --help is
 * printed; commands.c the commands themselves.
 */
#include <flowopt/flowopt.h>
#include "client/commands.h"
#include "client/request.h"
#include "client/table.h"

#include <curl/curl.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char options[] =
    "usage: flowopt [--url URL] COMMAND [ARGS]\n"
    "\n"
    "  --url URL      daemon base URL (env FLOWOPT_URL, default http://127.0.0.1:8080)\n"
    "  --token TOKEN  API token, when the daemon has a tokens file (env FLOWOPT_TOKEN)\n"
    "  --cacert PATH  certificates to check an https daemon against (env "
    "FLOWOPT_CACERT)\n"
    "  --json         print the daemon's JSON answers (one a line) in place of the text\n"
    "  --tsv          tab-separated for programs: list and modes (aligned by default),\n"
    "                 ask and best rows, samples and history (CSV by default)\n"
    "  --help         this text\n"
    "  --version      print the version and exit\n"
    "\n"
    "exit codes: 0 ok, 1 HTTP error (the problem on stderr), 2 usage, 3 network (after\n"
    "retries with backoff; asks carry an Idempotency-Key, so a retry is safe)\n"
    "\n"
    "commands:\n";

/* ---- the commands: one table, from which --help is printed ------------- */

struct command {
    const char *name;
    const char *args; /* after the name, for the usage text */
    const char *help;
    int needs_run; /* the first argument is a run id, checked before sending */
    fo_cmd_fn fn;  /* 2 means bad arguments */
};

static const struct command commands[] = {
    {"health", "", "the daemon's /v1/health answer", 0, fo_cmd_health},
    {"create",
     "--dim D [--bounds LO:HI] [--direction minimize|maximize] [--batch N] "
     "[--name NAME]",
     "create a run, print its id", 0, fo_cmd_create},
    {"list", "", "one run a line: id state told best name", 0, fo_cmd_list},
    {"ask", "RUN [-n N] [--client ID] [--lease S] [--resume]",
     "print N samples, one a line: id x1 x2 ... (--resume: ID's pending ones first)", 1,
     fo_cmd_ask},
    {"leases", "RUN CLIENT [LEASE_S]", "renew CLIENT's leases, print how many", 1,
     fo_cmd_leases},
    {"loop", "RUN --cmd CMD [-j N] [--budget B] [--timeout S]",
     "ask, run CMD per sample (x as arguments and a stdin line; the last stdout line "
     "is the value; a failure is told failed), tell; N at once; Ctrl-C: exit 130",
     1, fo_cmd_loop},
    {"observe", "RUN", "read 'x1 ... xD value' lines the run did not ask for from stdin",
     1, fo_cmd_observe},
    {"tell", "RUN",
     "read 'id value [stderr [shots]] [cost=C] [metric.N=V] [meta.N=T]', 'id failed'"
     " or 'id lost' lines from stdin",
     1, fo_cmd_tell},
    {"best", "RUN", "print the best value, then its x", 1, fo_cmd_best},
    {"modes", "RUN", "the optima the run holds or held: state, best, evaluations, x", 1,
     fo_cmd_modes},
    {"get", "RUN", "print the run object (JSON)", 1, fo_cmd_get},
    {"history", "RUN", "the run's history as CSV", 1, fo_cmd_history},
    {"samples", "RUN [--status S]", "the run's samples as CSV", 1, fo_cmd_samples},
    {"set", "RUN KEY=VALUE...", "change a run (VALUE null clears a target); KEY is", 1,
     fo_cmd_set},
    {"delete", "RUN", "delete a run and its history", 1, fo_cmd_delete},
    {"checkpoint", "RUN", "take a checkpoint, print its id", 1, fo_cmd_checkpoint},
    {"export", "RUN CID", "write checkpoint CID's portable bytes to stdout", 1,
     fo_cmd_export},
    {"import", "[--name NAME]", "a new run from exported bytes on stdin, print its id", 0,
     fo_cmd_import},
    {"fork", "RUN [--checkpoint CID] [--name NAME]", "a new run from RUN, print its id",
     1, fo_cmd_fork},
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static void print_usage(FILE *f) {
    fputs(options, f);
    for (size_t i = 0; i < N_COMMANDS; i++) {
        const struct command *c = &commands[i];
        char left[160];
        snprintf(left, sizeof left, "%s%s%s", c->name, *c->args ? " " : "", c->args);
        if (strlen(left) > 30)
            fprintf(f, "  %s\n%33s%s\n", left, "", c->help);
        else
            fprintf(f, "  %-30s %s\n", left, c->help);
        if (c->fn == fo_cmd_set)
            fo_cmd_set_keys(f);
    }
}

static int dispatch(const char *base, int argc, char **argv) {
    const struct command *c = NULL;
    for (size_t i = 0; i < N_COMMANDS && !c; i++)
        if (strcmp(argv[0], commands[i].name) == 0)
            c = &commands[i];
    if (!c) {
        fprintf(stderr, "flowopt: unknown command '%.80s'\n", argv[0]);
        print_usage(stderr);
        return 2;
    }
    const char *run = NULL;
    if (c->needs_run) {
        run = argc >= 2 ? argv[1] : NULL;
        if (!run) {
            fprintf(stderr, "flowopt: %s needs a run id\n", c->name);
            return 2;
        }
        if (strlen(run) > 64 || strspn(run, "0123456789abcdef") != strlen(run)) {
            fprintf(stderr, "flowopt: '%.80s' is not a run id\n", run);
            return 2;
        }
    }
    int skip = c->needs_run ? 2 : 1;
    int rc = c->fn(base, run, argc - skip, argv + skip);
    if (rc == 2)
        fprintf(stderr, "usage: flowopt %s %s\n", c->name, c->args);
    return rc;
}

int main(int argc, char **argv) {
    const char *base = getenv("FLOWOPT_URL"), *token = getenv("FLOWOPT_TOKEN"),
               *ca = getenv("FLOWOPT_CACERT");
    int json_mode = 0;
    if (!base || !*base)
        base = "http://127.0.0.1:8080";
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            print_usage(stdout);
            return 0;
        }
        if (strcmp(argv[i], "--version") == 0) {
            printf("flowopt %s\n", FO_VERSION_STRING);
            return 0;
        }
        if (strcmp(argv[i], "--json") == 0) {
            json_mode = 1;
            continue;
        }
        if (strcmp(argv[i], "--tsv") == 0) {
            fo_cli_set_tsv(1);
            continue;
        }
        if (strcmp(argv[i], "--url") == 0 && i + 1 < argc) {
            base = argv[++i];
            continue;
        }
        if (strcmp(argv[i], "--token") == 0 && i + 1 < argc) {
            token = argv[++i];
            continue;
        }
        if (strcmp(argv[i], "--cacert") == 0 && i + 1 < argc) {
            ca = argv[++i];
            continue;
        }
        fprintf(stderr, "flowopt: unknown option '%s'\n", argv[i]);
        print_usage(stderr);
        return 2;
    }
    if (i >= argc) {
        print_usage(stderr);
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    fo_cli_set_token(token);
    fo_cli_set_ca(ca);
    FILE *json_out = NULL;
    if (json_mode) { /* the daemon's answers on stdout, the commands' text nowhere */
        int fd = dup(1);
        json_out = fd >= 0 ? fdopen(fd, "w") : NULL;
        if (!json_out || !freopen("/dev/null", "w", stdout)) {
            fprintf(stderr, "flowopt: cannot set up --json output\n");
            return 2;
        }
        fo_cli_set_json_out(json_out);
    }
    int rc = dispatch(base, argc - i, argv + i);
    if (json_out)
        fclose(json_out);
    curl_global_cleanup();
    return rc;
}
