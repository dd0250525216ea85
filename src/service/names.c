/* names.c - stop and event names for the HTTP layer; see names.h. */
#include "service/names.h"

#include <string.h>

static const char *const run_states[FO_N_RUN_STATES] = {"active", "paused", "finished"};
static const char *const record_statuses[FO_N_RECORD_STATUSES] = {
    "pending", "told", "failed", "expired", "lost"};

static int find(const char *const *names, int n, const char *name) {
    for (int i = 0; name && i < n; i++)
        if (strcmp(names[i], name) == 0)
            return i;
    return -1;
}

const char *fo_service_run_state_name(enum fo_run_state s) {
    return (unsigned)s < FO_N_RUN_STATES ? run_states[s] : "unknown";
}

int fo_service_run_state_parse(const char *name, enum fo_run_state *out) {
    int i = find(run_states, FO_N_RUN_STATES, name);
    if (i >= 0)
        *out = (enum fo_run_state)i;
    return i >= 0 ? 0 : -1;
}

const char *fo_service_record_status_name(enum fo_record_status s) {
    return (unsigned)s < FO_N_RECORD_STATUSES ? record_statuses[s] : "unknown";
}

int fo_service_record_status_parse(const char *name, enum fo_record_status *out) {
    int i = find(record_statuses, FO_N_RECORD_STATUSES, name);
    if (i >= 0)
        *out = (enum fo_record_status)i;
    return i >= 0 ? 0 : -1;
}

const char *fo_service_stop_name(enum fo_stop s) {
    return fo_stop_name(s);
}

void fo_service_event_names(unsigned events, char *buf, size_t cap) {
    fo_event_names(events, buf, cap);
}
