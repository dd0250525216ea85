/*
 * flow_io.c - parameters to bytes and back, bit-exact on any host:
 *   "FOFP" | u32 version | u64 layout hash | u64 count | count x f64 | u32 CRC-32
 * all little-endian; the CRC covers everything before it.
 */
#include "flow/flow_internal.h"
#include "core/bytes.h"

#include <math.h>
#include <string.h>

#define PARAMS_MAGIC "FOFP"
#define PARAMS_VERSION 1u
#define HEADER_BYTES (4 + 4 + 8 + 8)

enum fo_status fo_flow_params_save(const struct fo_flow *f, unsigned char *buf,
                                   size_t cap, size_t *len, struct fo_error *err) {
    size_t need = HEADER_BYTES + 8 * f->n_params + 4;
    *len = need;
    if (!buf)
        return FO_OK;
    if (cap < need)
        return fo_error_set(err, FO_ETOOBIG, "buffer", "need %zu bytes, have %zu", need,
                            cap);
    memcpy(buf, PARAMS_MAGIC, 4);
    fo__put_u32(buf + 4, PARAMS_VERSION);
    fo__put_u64(buf + 8, f->layout_hash);
    fo__put_u64(buf + 16, f->n_params);
    for (size_t i = 0; i < f->n_params; i++)
        fo__put_f64(buf + HEADER_BYTES + 8 * i, f->params[i]);
    fo__put_u32(buf + need - 4, fo__crc32(buf, need - 4));
    return FO_OK;
}

enum fo_status fo_flow_params_load(struct fo_flow *f, const unsigned char *buf,
                                   size_t len, struct fo_error *err) {
    if (len < HEADER_BYTES + 4 || memcmp(buf, PARAMS_MAGIC, 4) != 0)
        return fo_error_set(err, FO_ECORRUPT, "params", "not a flowopt parameter blob");
    if (fo__get_u32(buf + 4) != PARAMS_VERSION)
        return fo_error_set(err, FO_ECORRUPT, "params", "unknown format version %u",
                            (unsigned)fo__get_u32(buf + 4));
    if (fo__get_u32(buf + len - 4) != fo__crc32(buf, len - 4))
        return fo_error_set(err, FO_ECORRUPT, "params", "checksum mismatch");
    if (fo__get_u64(buf + 8) != f->layout_hash || fo__get_u64(buf + 16) != f->n_params ||
        len != HEADER_BYTES + 8 * f->n_params + 4)
        return fo_error_set(err, FO_ECORRUPT, "params",
                            "parameters belong to a differently shaped flow");
    for (size_t i = 0; i < f->n_params; i++)
        if (!isfinite(fo__get_f64(buf + HEADER_BYTES + 8 * i)))
            return fo_error_set(err, FO_ECORRUPT, "params", "parameter %zu is not finite",
                                i);
    for (size_t i = 0; i < f->n_params; i++)
        f->params[i] = fo__get_f64(buf + HEADER_BYTES + 8 * i);
    return FO_OK;
}
