/* flowopt.h - umbrella header of libflowopt, the numeric core. */
#ifndef FLOWOPT_FLOWOPT_H
#define FLOWOPT_FLOWOPT_H

#define FO_VERSION_MAJOR 0
#define FO_VERSION_MINOR 1
#define FO_VERSION_PATCH 0
#define FO_VERSION_STRING "0.1.0"

#include <flowopt/status.h>

/* The version the library was built as; compare with FO_VERSION_STRING. */
const char *fo_version(void);

#endif
