/* IDENTIFY data: see nvme_ident.h (NVMe 1.4, figures 247 and 249). */
#include <stdio.h>
#include <string.h>
#include "drivers/nvme_ident.h"

static uint64_t le(const uint8_t *p, uint32_t n)
{
    uint64_t v = 0;
    while (n--)
        v = v << 8 | p[n];
    return v;
}

static void text(const uint8_t *p, uint32_t n, char *out)
{
    for (uint32_t i = 0; i < n; i++)
        out[i] = p[i] >= 0x20 && p[i] <= 0x7E ? (char)p[i] : p[i] ? '?' : ' ';
    while (n && out[n - 1] == ' ')
        n--;
    out[n] = 0;
}

void nvme_parse_ctrl(const uint8_t *id, uint32_t page, struct nvme_ctrl_info *out)
{
    memset(out, 0, sizeof(*out));
    text(id + 4, 20, out->serial);
    text(id + 24, 40, out->model);
    uint32_t mdts = id[77];
    /* 2^MDTS pages; a value past 1 GiB is as good as no limit */
    out->max_bytes = mdts && mdts < 18 ? page << mdts : 0;
    out->namespaces = (uint32_t)le(id + 516, 4);
    out->write_cache = id[525] & 1;
}

int nvme_parse_ns(const uint8_t *id, uint64_t *sectors, char *why, uint32_t why_len)
{
    uint64_t size = le(id, 8);
    if (!size) {
        snprintf(why, why_len, "inactive (size 0)");
        return 1;
    }
    uint32_t nlbaf = id[25], fmt = id[26] & 0xF;
    if (fmt > nlbaf) {
        snprintf(why, why_len, "its LBA format %lu is past the %lu it lists", (unsigned long)fmt,
                 (unsigned long)nlbaf + 1);
        return -1;
    }
    const uint8_t *f = id + 128 + 4 * fmt;
    uint32_t ms = (uint32_t)le(f, 2), lbads = f[2];
    if (lbads != 9) {
        if (lbads < 32)
            snprintf(why, why_len, "has blocks of %lu bytes; only 512 is supported", 1ul << lbads);
        else
            snprintf(why, why_len, "has a block size of 2^%lu bytes; only 512 is supported", (unsigned long)lbads);
        return -1;
    }
    if (ms) {
        snprintf(why, why_len, "has %lu bytes of metadata per block; not supported", (unsigned long)ms);
        return -1;
    }
    if (size >> 47) {
        snprintf(why, why_len, "its size (over 2^47 blocks) is not believable");
        return -1;
    }
    *sectors = size;
    return 0;
}
