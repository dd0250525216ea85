/*
 * bytes.h - fixed (little-endian) byte order for everything flowopt
 * serialises, independent of the host. Private to libflowopt.
 */
#ifndef FLOWOPT_CORE_BYTES_H
#define FLOWOPT_CORE_BYTES_H

#include <stdint.h>
#include <string.h>

static inline void fo__put_u64(unsigned char *p, uint64_t v) {
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static inline uint64_t fo__get_u64(const unsigned char *p) {
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static inline void fo__put_u32(unsigned char *p, uint32_t v) {
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static inline uint32_t fo__get_u32(const unsigned char *p) {
    uint32_t v = 0;
    for (int i = 0; i < 4; i++)
        v |= (uint32_t)p[i] << (8 * i);
    return v;
}

static inline void fo__put_f64(unsigned char *p, double d) {
    uint64_t v;
    memcpy(&v, &d, sizeof v);
    fo__put_u64(p, v);
}

static inline double fo__get_f64(const unsigned char *p) {
    uint64_t v = fo__get_u64(p);
    double d;
    memcpy(&d, &v, sizeof d);
    return d;
}

/* CRC-32 (IEEE 802.3, reflected), for detecting corrupted blobs. */
uint32_t fo__crc32(const unsigned char *p, size_t n);

/* FNV-1a 64-bit, for layout fingerprints. */
static inline uint64_t fo__fnv1a(uint64_t h, const void *data, size_t n) {
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

#define FO__FNV_OFFSET 0xcbf29ce484222325ULL

#endif
