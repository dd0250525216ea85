/* names.c - stop and event names for the HTTP layer; see names.h. */
#include "service/names.h"

const char *fo_service_stop_name(enum fo_stop s) {
    return fo_stop_name(s);
}

void fo_service_event_names(unsigned events, char *buf, size_t cap) {
    fo_event_names(events, buf, cap);
}
