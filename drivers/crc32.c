/* CRC-32, reflected polynomial 0xEDB88320, with a 256-entry table built
 * on first use (GPT headers and entry arrays are the only users: a few
 * KiB at boot). */
#include "drivers/crc32.h"

static uint32_t table[256];
static int ready;

uint32_t crc32_update(uint32_t crc, const void *data, size_t len)
{
    if (!ready) {
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++)
                c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
        ready = 1;
    }
    const uint8_t *p = data;
    crc = ~crc;
    while (len--)
        crc = table[(crc ^ *p++) & 0xFF] ^ (crc >> 8);
    return ~crc;
}
