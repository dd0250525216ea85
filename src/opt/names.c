/* names.c - the names of stop reasons and update events. */
#include <flowopt/opt.h>

#include <string.h>

const char *fo_stop_name(enum fo_stop s) {
    switch (s) {
    case FO_STOP_NONE: return "none";
    case FO_STOP_BUDGET: return "budget";
    case FO_STOP_TARGET: return "target";
    case FO_STOP_SCALE: return "scale";
    case FO_STOP_STALLED: return "stalled";
    case FO_STOP_COST: return "cost";
    }
    return "unknown";
}

void fo_event_names(unsigned events, char *buf, size_t cap) {
    static const char *const names[] = {
        "rollback",      "nonfinite",        "trust_region_failed",
        "entropy_floor", "step_halved",      "lr_up",
        "lr_down",       "clipped",          "forced",
        "empty",         "restart",          "expired",
        "refine",        "structure_broken", "niche",
        "seeded",        "converged",        "merged"};
    size_t used = 0;
    if (cap == 0)
        return;
    buf[0] = '\0';
    for (size_t b = 0; b < sizeof names / sizeof names[0]; b++) {
        if (!(events & (1u << b)))
            continue;
        size_t len = strlen(names[b]);
        if (used + len + 2 > cap)
            break;
        if (used)
            buf[used++] = ',';
        memcpy(buf + used, names[b], len + 1);
        used += len;
    }
}
