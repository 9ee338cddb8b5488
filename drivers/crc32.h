/* CRC-32 (IEEE 802.3, the one GPT and zlib use). */
#ifndef DRIVERS_CRC32_H
#define DRIVERS_CRC32_H
#include <stddef.h>
#include <stdint.h>

/* crc of len more bytes after crc (0 to start). */
uint32_t crc32_update(uint32_t crc, const void *data, size_t len);

#endif
