/* sources: virtio/pci_cfg.c */
#include <string.h>
#include "tests/unit/check.h"
#include "virtio/pci_cfg.h"

#define RAM_END  0x01000000u
#define BAR_LO   (RAM_END + 64 * 4096)
#define BAR1     (RAM_END + 256 * 4096)
static struct vpci_cfg c;
static uint32_t last_slot, last_off, last_len, last_val, window_calls;
static bool last_write, window_answer = true;

static bool window(void *ctx, uint32_t slot, bool write, uint32_t off, uint32_t len, uint32_t *val)
{
    (void)ctx;
    window_calls++;
    last_slot = slot, last_write = write, last_off = off, last_len = len;
    if (write)
        last_val = *val;
    else
        *val = 0xA5A5A5A5u & ((len == 4) ? 0xFFFFFFFFu : (1u << (8 * len)) - 1);
    return window_answer;
}

static void setup(void)
{
    vpci_cfg_init(&c, BAR_LO, 0xF0000000u, window, 0);
    vpci_cfg_add(&c, 1, 3, 0x070000, 1, BAR1, 12);
    vpci_cfg_add(&c, 2, 2, 0x018000, 2, BAR1 + 4096, 16);
    window_calls = 0;
    window_answer = true;
}

static uint32_t cf8(uint32_t slot, uint32_t reg) { return 0x80000000u | slot << 11 | reg; }

static uint32_t rd(uint32_t slot, uint32_t reg, uint32_t size)
{
    uint32_t v;
    CHECK_EQ(vpci_cfg_out(&c, 0xCF8, 4, cf8(slot, reg & ~3u)), VPCI_OK);
    CHECK_EQ(vpci_cfg_in(&c, (uint16_t)(0xCFC + (reg & 3)), size, &v), VPCI_OK);
    return v;
}

static enum vpci_result wr(uint32_t slot, uint32_t reg, uint32_t size, uint32_t v)
{
    vpci_cfg_out(&c, 0xCF8, 4, cf8(slot, reg & ~3u));
    return vpci_cfg_out(&c, (uint16_t)(0xCFC + (reg & 3)), size, v);
}

static void identity(void)
{
    setup();
    CHECK_EQ(rd(0, 0, 4), 0x00081B36u);
    CHECK_EQ(rd(0, 0x0B, 1), 0x06);
    CHECK_EQ(rd(1, 0, 4), 0x10431AF4u);
    CHECK_EQ(rd(2, 2, 2), 0x1042);
    CHECK_EQ(rd(1, 0x08, 1), 1);            /* revision */
    CHECK_EQ(rd(1, 0x3C, 1), 1);
    CHECK_EQ(rd(2, 0x3C, 1), 2);
    CHECK_EQ(rd(1, 0x10, 4), BAR1);
    CHECK_EQ(rd(3, 0, 4), 0xFFFFFFFFu);     /* empty slot */
    CHECK_EQ(rd(9, 0, 2), 0xFFFF);
    /* vendor, device, class are read-only */
    CHECK_EQ(wr(1, 0, 4, 0x12345678), VPCI_OK);
    CHECK_EQ(rd(1, 0, 4), 0x10431AF4u);
    CHECK_EQ(wr(1, 0x3C, 1, 9), VPCI_OK);
    CHECK_EQ(rd(1, 0x3C, 1), 1);
}

static void capabilities(void)
{
    setup();
    CHECK_EQ(rd(1, 0x06, 2) & 0x10, 0x10);
    uint32_t at = rd(1, 0x34, 1), types = 0, n = 0;
    while (at && n < 10) {
        CHECK_EQ(rd(1, at, 1), 0x09);
        types |= 1u << rd(1, at + 3, 1);
        at = rd(1, at + 1, 1);
        n++;
    }
    CHECK_EQ(n, 5);
    CHECK_EQ(types, 0x3Eu);                 /* common, notify, ISR, device, PCI cfg */
    CHECK_EQ(rd(1, VPCI_CAP_DEVICE + 12, 4), 12);
    CHECK_EQ(rd(1, VPCI_CAP_NOTIFY + 16, 4), 0);    /* one notify address for all queues */
}

static void bad_accesses(void)
{
    setup();
    uint32_t v;
    vpci_cfg_out(&c, 0xCF8, 4, cf8(1, 0));
    CHECK_EQ(vpci_cfg_in(&c, 0xCFD, 4, &v), VPCI_UNALIGNED);
    CHECK_EQ(v, 0xFFFFFFFFu);
    CHECK_EQ(vpci_cfg_in(&c, 0xCFF, 2, &v), VPCI_UNALIGNED);
    CHECK_EQ(vpci_cfg_in(&c, 0xCFC, 3, &v), VPCI_UNALIGNED);
    CHECK_EQ(vpci_cfg_out(&c, 0xCFE, 4, 0), VPCI_UNALIGNED);
    CHECK_EQ(vpci_cfg_read(&c, 1, 0x101, 1, &v), VPCI_UNALIGNED);
    CHECK_EQ(vpci_cfg_read(&c, 1, 0x02, 4, &v), VPCI_UNALIGNED);
    CHECK_EQ(vpci_cfg_write(&c, 1, 0x01, 2, 0), VPCI_UNALIGNED);
    /* disabled, other bus, other function, reserved bits: nothing there */
    vpci_cfg_out(&c, 0xCF8, 4, 1u << 11);
    CHECK_EQ(vpci_cfg_in(&c, 0xCFC, 4, &v), VPCI_OK);
    CHECK_EQ(v, 0xFFFFFFFFu);
    vpci_cfg_out(&c, 0xCF8, 4, cf8(1, 0) | 1u << 16);
    vpci_cfg_in(&c, 0xCFC, 4, &v);
    CHECK_EQ(v, 0xFFFFFFFFu);
    vpci_cfg_out(&c, 0xCF8, 4, cf8(1, 0) | 1u << 8);
    vpci_cfg_in(&c, 0xCFC, 4, &v);
    CHECK_EQ(v, 0xFFFFFFFFu);
    vpci_cfg_out(&c, 0xCF8, 4, cf8(1, 0) | 1u << 24);
    vpci_cfg_in(&c, 0xCFC, 4, &v);
    CHECK_EQ(v, 0xFFFFFFFFu);
    /* the address register: dword only, read back */
    vpci_cfg_out(&c, 0xCF8, 4, 0x80000000u);
    vpci_cfg_out(&c, 0xCFB, 1, 0x01);
    CHECK_EQ(vpci_cfg_in(&c, 0xCF8, 4, &v), VPCI_OK);
    CHECK_EQ(v, 0x80000000u);
    CHECK_EQ(vpci_cfg_in(&c, 0xCF9, 1, &v), VPCI_OK);
    CHECK_EQ(v, 0xFF);
}

static void bar_sizing(void)
{
    setup();
    CHECK_EQ(wr(1, 0x10, 4, 0xFFFFFFFFu), VPCI_OK);
    CHECK_EQ(rd(1, 0x10, 4), ~(VPCI_BAR_SIZE - 1));
    uint32_t off;
    CHECK_EQ(vpci_cfg_bar_at(&c, BAR1 + 0x38, &off), 1);    /* still decodes where it was */
    CHECK_EQ(off, 0x38);
    CHECK_EQ(wr(1, 0x10, 4, BAR1), VPCI_OK);
    CHECK_EQ(rd(1, 0x10, 4), BAR1);
    /* the other BARs and the ROM are not implemented: sizing reads 0 */
    CHECK_EQ(wr(1, 0x14, 4, 0xFFFFFFFFu), VPCI_OK);
    CHECK_EQ(rd(1, 0x14, 4), 0);
    CHECK_EQ(wr(1, 0x30, 4, 0xFFFFFFFFu), VPCI_OK);
    CHECK_EQ(rd(1, 0x30, 4), 0);
    /* the bridge has no BAR */
    CHECK_EQ(wr(0, 0x10, 4, 0xFFFFFFFFu), VPCI_OK);
    CHECK_EQ(rd(0, 0x10, 4), 0);
}

static void bar_moves(void)
{
    setup();
    uint32_t off;
    CHECK_EQ(wr(1, 0x10, 4, 0x00100000u), VPCI_BAR_REFUSED);           /* over RAM */
    CHECK_EQ(rd(1, 0x10, 4), BAR1);
    CHECK_EQ(wr(1, 0x10, 4, RAM_END + 4096), VPCI_BAR_REFUSED);        /* the lguest device area */
    CHECK_EQ(wr(1, 0x10, 4, BAR1 + 4096), VPCI_BAR_REFUSED);           /* over slot 2 */
    CHECK_EQ(wr(1, 0x10, 4, 0xFFC00000u), VPCI_BAR_REFUSED);           /* the switcher */
    CHECK_EQ(vpci_cfg_bar_at(&c, BAR1, &off), 1);
    CHECK_EQ(wr(1, 0x10, 4, 0xE0000000u), VPCI_OK);                    /* free space: moves */
    CHECK_EQ(rd(1, 0x10, 4), 0xE0000000u);
    CHECK_EQ(vpci_cfg_bar_at(&c, BAR1, &off), -1);
    CHECK_EQ(vpci_cfg_bar_at(&c, 0xE0000FFFu, &off), 1);
    CHECK_EQ(off, 0xFFF);
    CHECK_EQ(vpci_cfg_bar_at(&c, 0xE0001000u, &off), -1);
    /* low bits are not writable: an unaligned address is aligned down */
    CHECK_EQ(wr(1, 0x10, 4, 0xE0002123u), VPCI_OK);
    CHECK_EQ(rd(1, 0x10, 4), 0xE0002000u);
    /* a refused address after a sizing write falls back to the decoding one */
    wr(1, 0x10, 4, 0xFFFFFFFFu);
    CHECK_EQ(wr(1, 0x10, 4, 0x1000u), VPCI_BAR_REFUSED);
    CHECK_EQ(rd(1, 0x10, 4), 0xE0002000u);
    /* a byte write that moves it onto slot 2's page is refused too */
    wr(1, 0x10, 4, BAR1);
    CHECK_EQ(wr(1, 0x11, 1, 0x10), VPCI_BAR_REFUSED);
    CHECK_EQ(rd(1, 0x10, 4), BAR1);
}

static void command_register(void)
{
    setup();
    CHECK_EQ(rd(1, 0x04, 2), 2);
    wr(1, 0x04, 2, 0xFFFF);
    CHECK_EQ(rd(1, 0x04, 2), 0x0407);
    wr(1, 0x04, 2, 0);
    CHECK_EQ(rd(1, 0x04, 2), 0);
}

static void cfg_window(void)
{
    setup();
    uint32_t cap = VPCI_CAP_PCICFG;
    wr(1, cap + 4, 1, 0);
    wr(1, cap + 8, 4, VPCI_DEVCFG_OFF + 8);
    wr(1, cap + 12, 4, 1);
    CHECK_EQ(wr(1, cap + 16, 4, 0x41424344), VPCI_OK);
    CHECK_EQ(window_calls, 1);
    CHECK(last_write);
    CHECK_EQ(last_slot, 1);
    CHECK_EQ(last_off, VPCI_DEVCFG_OFF + 8);
    CHECK_EQ(last_len, 1);
    CHECK_EQ(last_val, 0x44);               /* the length is the capability's, not the write's */
    wr(1, cap + 12, 4, 2);
    CHECK_EQ(rd(1, cap + 16, 4), 0xA5A5);
    CHECK(!last_write);
    /* bad windows: wrong BAR, bad length, unaligned, outside BAR0 */
    wr(1, cap + 4, 1, 1);
    CHECK_EQ(wr(1, cap + 16, 4, 0), VPCI_WINDOW_BAD);
    wr(1, cap + 4, 1, 0);
    wr(1, cap + 12, 4, 3);
    CHECK_EQ(wr(1, cap + 16, 4, 0), VPCI_WINDOW_BAD);
    wr(1, cap + 12, 4, 4);
    wr(1, cap + 8, 4, 2);
    CHECK_EQ(wr(1, cap + 16, 4, 0), VPCI_WINDOW_BAD);
    wr(1, cap + 8, 4, VPCI_BAR_SIZE);
    uint32_t v;
    vpci_cfg_out(&c, 0xCF8, 4, cf8(1, cap + 16));
    CHECK_EQ(vpci_cfg_in(&c, 0xCFC, 4, &v), VPCI_WINDOW_BAD);
    CHECK_EQ(v, 0xFFFFFFFFu);
    CHECK_EQ(window_calls, 2);
    /* the BAR emulation's refusal comes back */
    wr(1, cap + 8, 4, 0);
    window_answer = false;
    CHECK_EQ(wr(1, cap + 16, 4, 0), VPCI_WINDOW_FAILED);
}

int main(void)
{
    RUN(identity);
    RUN(capabilities);
    RUN(bad_accesses);
    RUN(bar_sizing);
    RUN(bar_moves);
    RUN(command_register);
    RUN(cfg_window);
    return CHECK_EXIT_STATUS();
}
