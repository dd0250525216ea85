/* bytes.c - CRC-32 for serialised blobs; see bytes.h. */
#include <stddef.h>
#include "core/bytes.h"
#include <flowopt/crc.h>

/*
 * Table-driven CRC-32 (reflected, polynomial 0xedb88320). The table is
 * built on the stack per call: 2 KiB of work against blobs of hundreds of
 * kilobytes, and the library keeps no global state.
 */
uint32_t fo__crc32(const unsigned char *p, size_t n) {
    uint32_t table[256];
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int b = 0; b < 8; b++)
            c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
        table[i] = c;
    }
    uint32_t crc = 0xffffffffu;
    for (size_t i = 0; i < n; i++)
        crc = (crc >> 8) ^ table[(crc ^ p[i]) & 0xffu];
    return ~crc;
}

uint32_t fo_crc32(const unsigned char *p, size_t n) {
    return fo__crc32(p, n);
}
