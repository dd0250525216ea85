/* flow_internal.h - the flow object, shared by flow.c, flow_config.c and flow_io.c. */
#ifndef FLOWOPT_FLOW_FLOW_INTERNAL_H
#define FLOWOPT_FLOW_FLOW_INTERNAL_H

#include <flowopt/flow.h>
#include "flow/layer.h"

struct fo_flow {
    size_t D, L;
    struct fo_flow_config cfg; /* lo/hi point at the copies below */
    struct fo_layer layers[FO_FLOW_MAX_LAYERS];
    size_t *perm;            /* ((L-1), D): h_{l+1}[i] = v_l[perm[l D + i]] */
    double *lo, *hi;         /* (D) */
    unsigned char *bounded;  /* (D) enum fo_map_kind */
    unsigned char *periodic; /* (D), or NULL when none is */
    double *params;          /* (n_params) */
    size_t n_params;
    uint64_t layout_hash;

    /* workspaces for `cap` samples, grown by ensure_capacity */
    size_t cap;
    double *h;     /* (L + 1, cap, D): layer inputs; h_L is z */
    double *tmp;   /* (cap, D): a layer's output before permutation */
    double *ga;    /* (cap, D) gradient buffers */
    double *gb;    /* (cap, D) */
    double *ld;    /* (cap) */
    double *wts;   /* (cap) the weights of the log-determinant terms */
    double *cache; /* sum_l cap * cache_stride_l */
    double *work;  /* cap * max_l work_stride_l */
    size_t cache_stride_total, work_stride_max;
    /* the points whose density pass the workspaces still hold (pass_n 0:
     * none), for fo_flow_log_prob_backward */
    const double *pass_x;
    size_t pass_n;
};

#endif
