/* The list of disks the hypervisor drives (see blkdev.h). */
#include <string.h>
#include "drivers/blkdev.h"

struct blk_dev *blk_devs[BLK_MAX_DEVS];
uint32_t blk_ndevs;

bool blk_register(struct blk_dev *d)
{
    if (blk_ndevs == BLK_MAX_DEVS)
        return false;
    blk_devs[blk_ndevs++] = d;
    return true;
}

struct blk_dev *blk_find(const char *name)
{
    for (uint32_t i = 0; i < blk_ndevs; i++)
        if (strcmp(blk_devs[i]->name, name) == 0)
            return blk_devs[i];
    return 0;
}

uint32_t blk_count(const char *kind)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < blk_ndevs; i++)
        n += strcmp(blk_devs[i]->kind, kind) == 0;
    return n;
}
