/* bytes.c - CRC-32 for serialised blobs; see bytes.h. */
#include <stddef.h>
#include "core/bytes.h"

uint32_t fo__crc32(const unsigned char *p, size_t n) {
    uint32_t crc = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int b = 0; b < 8; b++)
            crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}
