/*
 * crc.h - the CRC-32 (IEEE 802.3, reflected, as zlib's) that flowopt's
 * byte formats end with: snapshots, parameter files, exports.
 */
#ifndef FLOWOPT_CRC_H
#define FLOWOPT_CRC_H

#include <stddef.h>
#include <stdint.h>

uint32_t fo_crc32(const unsigned char *p, size_t n);

#endif
