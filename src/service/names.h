/*
 * names.h - the service's vocabulary: run states and stored sample
 * statuses, each with its one table of names, and the library's words for
 * stop reasons and update events as the service hands them to the HTTP
 * layer (which calls nothing below the service).
 */
#ifndef FLOWOPT_SERVICE_NAMES_H
#define FLOWOPT_SERVICE_NAMES_H

#include <stddef.h>
#include <flowopt/opt.h>

/* A run's state, as PATCH sets it and the store keeps it. */
enum fo_run_state { FO_RUN_ACTIVE = 0, FO_RUN_PAUSED = 1, FO_RUN_FINISHED = 2 };
#define FO_N_RUN_STATES 3

/* A stored sample's status; the engine's fo_sample_status has no
 * "expired", which the service records for a pending timeout. */
enum fo_record_status {
    FO_RECORD_PENDING = 0,
    FO_RECORD_TOLD = 1,
    FO_RECORD_FAILED = 2,
    FO_RECORD_EXPIRED = 3,
    FO_RECORD_LOST = 4 /* told lost: its point was handed out again */
};
#define FO_N_RECORD_STATUSES 5

/* Names, and back (-1 for an unknown name). The names are the API's and
 * the database's: "active", ..., "pending", "told", .... */
const char *fo_service_run_state_name(enum fo_run_state s);
int fo_service_run_state_parse(const char *name, enum fo_run_state *out);
const char *fo_service_record_status_name(enum fo_record_status s);
int fo_service_record_status_parse(const char *name, enum fo_record_status *out);

/* "none", "budget", ... (static). */
const char *fo_service_stop_name(enum fo_stop s);

/* The names of the set bits of events, comma-separated, into buf (always
 * terminated). */
void fo_service_event_names(unsigned events, char *buf, size_t cap);

#endif
