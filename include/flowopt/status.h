/*
 * status.h - the one error vocabulary of flowopt.
 *
 * Every fallible function returns an enum fo_status and, when the caller
 * passes one, fills a struct fo_error with the field at fault and a message.
 * Codes are API: new ones are appended, none is ever renumbered.
 */
#ifndef FLOWOPT_STATUS_H
#define FLOWOPT_STATUS_H

enum fo_status {
    FO_OK = 0,
    FO_EINVAL = 1,    /* malformed or inconsistent argument */
    FO_ERANGE = 2,    /* a number outside its allowed range */
    FO_ENOMEM = 3,    /* allocation failed */
    FO_ENOTFOUND = 4, /* no such object */
    FO_ECONFLICT = 5, /* contradicts what is already recorded */
    FO_EBUSY = 6,     /* resource locked; retry later */
    FO_ENUMERIC = 7,  /* NaN, inf or a numerical breakdown */
    FO_EIO = 8,       /* storage or system I/O failed */
    FO_ECORRUPT = 9,  /* stored or uploaded bytes fail their checks */
    FO_ESCHEMA = 10,  /* database schema newer than this binary */
    FO_ESTATE = 11,   /* operation not allowed in the current state */
    FO_ETOOBIG = 12,  /* input larger than its cap */
    FO_ENOSPACE = 13, /* the disk (or the database's page limit) is full */
    FO_EDAMAGED =
        14 /* what the daemon stored fails its checks (not the client's bytes) */
};

#define FO_ERROR_FIELD_LEN 64
#define FO_ERROR_MSG_LEN 200

/* Detail for a failure, filled by the callee; the caller owns the struct. */
struct fo_error {
    enum fo_status code;
    char field[FO_ERROR_FIELD_LEN]; /* offending field or "" */
    char msg[FO_ERROR_MSG_LEN];     /* human-readable, no trailing newline */
};

/* Short, static description of a code ("invalid argument"). Never NULL. */
const char *fo_strerror(enum fo_status code);

/*
 * Record an error and return its code, so a callee can write
 * `return fo_error_set(err, FO_ERANGE, "dim", "must be 1..%d", MAX);`.
 * err may be NULL; field may be NULL. Messages are truncated to fit.
 */
enum fo_status fo_error_set(struct fo_error *err, enum fo_status code, const char *field,
                            const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* Reset err to FO_OK with empty strings; NULL is allowed. */
void fo_error_clear(struct fo_error *err);

#endif
