/* sources: drivers/nvme_ident.c */
/* IDENTIFY data as the NVMe driver reads it: the controller's model,
 * serial (non-printable bytes, trailing spaces), MDTS (none, usual, too
 * large), NN and the write cache; a namespace's size and format, and each
 * refusal: inactive, a format index past the list, blocks of 4096 bytes,
 * absurd block sizes, metadata, an unbelievable size. */
#include <stdint.h>
#include <string.h>
#include "drivers/nvme_ident.h"
#include "tests/unit/check.h"

static uint8_t id[4096];
static char why[128];

static void put(uint32_t off, uint64_t v, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        id[off + i] = (uint8_t)(v >> (8 * i));
}

static void ctrl_fields(void)
{
    memset(id, 0, sizeof(id));
    memcpy(id + 4, "lgtest              ", 20);
    memcpy(id + 24, "QEMU NVMe Ctrl                          ", 40);
    id[30] = 0x07;                                      /* a control byte in the model */
    id[77] = 7;
    put(516, 256, 4);
    id[525] = 1;
    struct nvme_ctrl_info ci;
    nvme_parse_ctrl(id, 4096, &ci);
    CHECK_STR(ci.serial, "lgtest");
    CHECK_STR(ci.model, "QEMU N?Me Ctrl");
    CHECK_EQ(ci.max_bytes, 4096u << 7);
    CHECK_EQ(ci.namespaces, 256);
    CHECK(ci.write_cache);
    id[77] = 0;
    id[525] = 0;
    nvme_parse_ctrl(id, 4096, &ci);
    CHECK_EQ(ci.max_bytes, 0);                          /* no limit */
    CHECK(!ci.write_cache);
    id[77] = 40;                                        /* would overflow: as no limit */
    nvme_parse_ctrl(id, 4096, &ci);
    CHECK_EQ(ci.max_bytes, 0);
    memset(id + 24, 0, 40);                             /* all NULs */
    nvme_parse_ctrl(id, 4096, &ci);
    CHECK_STR(ci.model, "");
}

static void ns(uint64_t size, uint32_t nlbaf, uint32_t flbas, uint32_t lbads, uint32_t ms)
{
    memset(id, 0, sizeof(id));
    put(0, size, 8);
    id[25] = (uint8_t)nlbaf;
    id[26] = (uint8_t)flbas;
    uint32_t f = 128 + 4 * (flbas & 0xF);
    if (f + 4 <= sizeof(id)) {
        put(f, ms, 2);
        id[f + 2] = (uint8_t)lbads;
    }
}

static void ns_good(void)
{
    uint64_t sectors = 0;
    ns(22528, 0, 0, 9, 0);
    CHECK_EQ(nvme_parse_ns(id, &sectors, why, sizeof(why)), 0);
    CHECK_EQ(sectors, 22528);
    ns(1ull << 40, 3, 2, 9, 0);                         /* format 2 of 4 */
    CHECK_EQ(nvme_parse_ns(id, &sectors, why, sizeof(why)), 0);
    CHECK_EQ(sectors, 1ull << 40);
}

static void ns_refused(void)
{
    uint64_t sectors = 77;
    ns(0, 0, 0, 9, 0);
    CHECK_EQ(nvme_parse_ns(id, &sectors, why, sizeof(why)), 1);
    CHECK_CONTAINS(why, "inactive");
    ns(1000, 1, 5, 9, 0);
    CHECK_EQ(nvme_parse_ns(id, &sectors, why, sizeof(why)), -1);
    CHECK_CONTAINS(why, "LBA format 5 is past the 2 it lists");
    ns(1000, 0, 0, 12, 0);
    CHECK_EQ(nvme_parse_ns(id, &sectors, why, sizeof(why)), -1);
    CHECK_CONTAINS(why, "blocks of 4096 bytes; only 512 is supported");
    ns(1000, 0, 0, 0, 0);
    CHECK_EQ(nvme_parse_ns(id, &sectors, why, sizeof(why)), -1);
    CHECK_CONTAINS(why, "blocks of 1 bytes");
    ns(1000, 0, 0, 200, 0);
    CHECK_EQ(nvme_parse_ns(id, &sectors, why, sizeof(why)), -1);
    CHECK_CONTAINS(why, "2^200 bytes");
    ns(1000, 0, 0, 9, 8);
    CHECK_EQ(nvme_parse_ns(id, &sectors, why, sizeof(why)), -1);
    CHECK_CONTAINS(why, "8 bytes of metadata");
    ns(1ull << 50, 0, 0, 9, 0);
    CHECK_EQ(nvme_parse_ns(id, &sectors, why, sizeof(why)), -1);
    CHECK_CONTAINS(why, "not believable");
    CHECK_EQ(sectors, 77);                              /* untouched by every refusal */
}

int main(void)
{
    RUN(ctrl_fields);
    RUN(ns_good);
    RUN(ns_refused);
    return CHECK_EXIT_STATUS();
}
