/* The 6300ESB watchdog. Config space: 0x60 holds the mode (watchdog mode,
 * 1 kHz clock, and bit 5 which, set, keeps the output from resetting the
 * machine), 0x68 the enable and lock bits. BAR0: two 20-bit preload
 * values (0x00, 0x04) counted down one after the other, and the reload
 * register (0x0C), which takes every write only after the two-byte unlock
 * sequence. At the 1 kHz setting one unit of preload is 2^15 clocks of
 * 30 ns, about 0.98 ms. */
#include <stdbool.h>
#include "drivers/watchdog.h"
#include "drivers/pci.h"
#include "arch/x86/paging.h"
#include "kernel/clock.h"
#include "kernel/log.h"
#include "kernel/timer.h"

#define ESB_VENDOR 0x8086
#define ESB_DEVICE 0x25AB
#define CFG_CONFIG 0x60
#define CFG_LOCK 0x68
#define CONFIG_WATCHDOG_MODE 0x0003u    /* no interrupt on the first stage */
#define LOCK_ENABLE 0x02u
#define REG_TIMER1 0x00
#define REG_TIMER2 0x04
#define REG_RELOAD 0x0C
#define RELOAD_UNLOCK1 0x80u
#define RELOAD_UNLOCK2 0x86u
#define RELOAD_RELOAD 0x0100u
#define PET_NS 100000000ull

static volatile uint8_t *regs;
static uint64_t last_pet;
static struct timer wake;

/* An idle boot CPU sleeps in hlt until something happens; this timer makes
 * sure something does, so that the scheduler's pass, which pets, comes
 * round even on a machine with nothing to do. */
static void wake_expired(struct timer *t)
{
    timer_arm(t, t->deadline + PET_NS * 5);
}

static void unlock(void)
{
    *(volatile uint16_t *)(regs + REG_RELOAD) = RELOAD_UNLOCK1;
    *(volatile uint16_t *)(regs + REG_RELOAD) = RELOAD_UNLOCK2;
}

static void reload(void)
{
    unlock();
    *(volatile uint16_t *)(regs + REG_RELOAD) = RELOAD_RELOAD;
}

void watchdog_init(uint32_t seconds)
{
    if (!seconds)
        return;
    const struct pci_dev *d = 0;
    for (uint32_t i = 0; i < pci_ndevs && !d; i++)
        if (pci_devs[i].vendor == ESB_VENDOR && pci_devs[i].device == ESB_DEVICE)
            d = &pci_devs[i];
    if (!d || d->bar[0].io || !d->bar[0].base || d->bar[0].size < 16) {
        log_warn("watchdog: watchdog=%lu, but no Intel 6300ESB watchdog was found (%s); "
                 "the machine runs without one", (unsigned long)seconds,
                 d ? "its registers are not usable" : "none on PCI");
        return;
    }
    if (pci_read32(d->bus, d->dev, d->fn, CFG_LOCK & ~3u) >> ((CFG_LOCK & 3u) * 8) & 1u) {
        log_warn("watchdog: the 6300ESB was locked by the firmware; left as it is");
        return;
    }
    paging_map_mmio((uint32_t)d->bar[0].base, 4096);
    regs = (volatile uint8_t *)(uintptr_t)d->bar[0].base;
    /* half the time in each stage: the reset comes after both */
    uint32_t units = seconds * 1024u / 2;
    if (units > 0xFFFFFu)
        units = 0xFFFFFu;
    /* registers of their own width: the device ignores wider writes */
    pci_write16(d->bus, d->dev, d->fn, CFG_CONFIG, CONFIG_WATCHDOG_MODE);   /* bit 5 clear: reset */
    pci_write8(d->bus, d->dev, d->fn, CFG_LOCK, 0);
    unlock();
    *(volatile uint32_t *)(regs + REG_TIMER1) = units;
    unlock();
    *(volatile uint32_t *)(regs + REG_TIMER2) = units;
    reload();
    pci_write8(d->bus, d->dev, d->fn, CFG_LOCK, LOCK_ENABLE);
    last_pet = clock_ns();
    wake.fn = wake_expired;
    timer_arm(&wake, last_pet + PET_NS * 5);
    log_info("watchdog: Intel 6300ESB at %02x:%02x.%x armed: the machine resets if lgvisor "
             "stops for %lu s", d->bus, d->dev, d->fn, (unsigned long)seconds);
}

void watchdog_pet(void)
{
    if (!regs)
        return;
    uint64_t now = clock_ns();
    if (now - last_pet < PET_NS)
        return;
    last_pet = now;
    reload();
}
