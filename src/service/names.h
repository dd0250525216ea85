/*
 * names.h - the library's words for stop reasons and update events, as the
 * service hands them to the HTTP layer (which calls nothing below the
 * service).
 */
#ifndef FLOWOPT_SERVICE_NAMES_H
#define FLOWOPT_SERVICE_NAMES_H

#include <stddef.h>
#include <flowopt/opt.h>

/* "none", "budget", ... (static). */
const char *fo_service_stop_name(enum fo_stop s);

/* The names of the set bits of events, comma-separated, into buf (always
 * terminated). */
void fo_service_event_names(unsigned events, char *buf, size_t cap);

#endif
