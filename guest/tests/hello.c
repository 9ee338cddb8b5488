/* test=hello (the default): the banner has been printed; check that all of
 * RAM is reachable through our direct map, then power off. */
#include "guest/mm.h"
#include "guest/test.h"
#include "guest/tests/tests.h"

void test_hello(void)
{
    /* The last page of every MiB, through the direct map: the boot tables
     * cover all of e820 entry 0. Only free pages are written. */
    unsigned bad = 0;
    for (u32 pa = (1u << 20) - PAGE_SIZE; pa < ram_bytes; pa += 1u << 20) {
        if (!page_is_free(pa))
            continue;
        u32 last = pa + PAGE_SIZE - 4;
        volatile u32 *a = __va(pa), *b = __va(last);
        *a = pa ^ 0x5A5A5A5A;
        *b = last ^ 0xA5A5A5A5;
        bad += *a != (pa ^ 0x5A5A5A5A) || *b != (last ^ 0xA5A5A5A5);
    }
    check(bad == 0, "hello/ram", "%u MiB blocks did not read back", bad);
    check(ram_bytes >= (8u << 20), "hello/mem-size", "RAM is %u KiB", (unsigned)(ram_bytes >> 10));
}
