/*
 * commands.h - the flowopt client's commands, all of one shape: argv holds
 * the arguments after the command's name (and after the run id, for the
 * commands that take one; main.c checks it before they run). Each returns
 * the exit code: 0 done, 1 the daemon refused or did not answer, 2 bad
 * arguments (nothing sent).
 */
#ifndef FLOWOPT_CLIENT_COMMANDS_H
#define FLOWOPT_CLIENT_COMMANDS_H

#include <stdio.h>

typedef int (*fo_cmd_fn)(const char *base, const char *run, int argc, char **argv);

int fo_cmd_health(const char *base, const char *run, int argc, char **argv);
int fo_cmd_create(const char *base, const char *run, int argc, char **argv);
int fo_cmd_list(const char *base, const char *run, int argc, char **argv);
int fo_cmd_ask(const char *base, const char *run, int argc, char **argv);
int fo_cmd_leases(const char *base, const char *run, int argc, char **argv);
int fo_cmd_observe(const char *base, const char *run, int argc, char **argv);
int fo_cmd_loop(const char *base, const char *run, int argc, char **argv);
int fo_cmd_tell(const char *base, const char *run, int argc, char **argv);
int fo_cmd_best(const char *base, const char *run, int argc, char **argv);
int fo_cmd_modes(const char *base, const char *run, int argc, char **argv);
int fo_cmd_get(const char *base, const char *run, int argc, char **argv);
int fo_cmd_history(const char *base, const char *run, int argc, char **argv);
int fo_cmd_samples(const char *base, const char *run, int argc, char **argv);
int fo_cmd_set(const char *base, const char *run, int argc, char **argv);
int fo_cmd_delete(const char *base, const char *run, int argc, char **argv);
int fo_cmd_checkpoint(const char *base, const char *run, int argc, char **argv);
int fo_cmd_export(const char *base, const char *run, int argc, char **argv);
int fo_cmd_import(const char *base, const char *run, int argc, char **argv);
int fo_cmd_fork(const char *base, const char *run, int argc, char **argv);

/* The keys `set` takes (its extras, then every live setting of the
 * settings table), indented for --help. */
void fo_cmd_set_keys(FILE *f);

#endif
