/* Finding a device's GSI by making it interrupt. Without an AML
 * interpreter the PCI routing (_PRT) is unknown, but the device can be
 * asked to raise its line while the candidates are watched: the GSI vector
 * handler (irq.c) notes each watched GSI that fires and masks it at once,
 * so a level line nobody clears cannot storm. A line that fires while the
 * device is quiet belongs to someone else (or has the wrong polarity) and
 * does not count in that round. */
#include "arch/x86/irq.h"
#include "arch/x86/irq_probe.h"
#include "arch/x86/ioapic.h"
#include "arch/x86/lapic.h"
#include "arch/x86/trap.h"
#include "arch/x86/x86.h"
#include "kernel/clock.h"

#define QUIET_NS   1000000ull       /* 1 ms with the device quiet */
#define RAISED_NS 20000000ull       /* at most 20 ms for the raised line */
#define SETTLE_NS  1000000ull       /* after the first hit, for any other */
#define ROUNDS 3

static void set_masks(uint64_t gsis, bool masked)
{
    for (uint32_t g = 0; g < IRQ_MAX_LINES; g++)
        if (gsis & (1ull << g)) {
            if (masked)
                ioapic_mask(g);
            else
                ioapic_unmask(g);
        }
}

/* Interrupts on for at most ns with the watched GSIs unmasked; with
 * early, stops SETTLE_NS after the first one fired. */
static uint64_t watch(uint64_t gsis, uint64_t ns, bool early)
{
    irq_probe_fired = 0;
    irq_probe_watch = gsis;
    set_masks(gsis, false);
    uint64_t now = clock_ns(), end = now + ns;
    sti();
    while ((now = clock_ns()) < end) {
        if (early && irq_probe_fired && end > now + SETTLE_NS)
            end = now + SETTLE_NS;
        pause();
    }
    set_masks(gsis, true);
    pause();                    /* one more chance for a request already on its way */
    cli();
    irq_probe_watch = 0;
    return irq_probe_fired;
}

uint64_t irq_probe_gsi(const struct irq_candidate *c, uint32_t n, void (*raise)(void *ctx),
                       void (*clear)(void *ctx), void *ctx)
{
    if (irq_chip() != IRQCHIP_IOAPIC)
        return 0;
    /* Lines in use keep their routing; an edge line in use is an ISA
     * device's and no PCI candidate. Free lines are routed for the test
     * and left masked afterwards. */
    uint64_t gsis = 0, in_use = 0;
    for (uint32_t i = 0; i < n && i < 64; i++) {
        const struct irq_line *l = irq_line_get((int)c[i].gsi);
        if (!l || !ioapic_has_gsi(c[i].gsi))
            continue;
        if (l->nhandlers) {
            if (!l->level)
                continue;
            in_use |= 1ull << c[i].gsi;
        } else {
            ioapic_route(c[i].gsi, (uint8_t)(VEC_FIRST_GSI + c[i].gsi), (uint8_t)lapic_id(),
                         c[i].level, c[i].active_low);
        }
        gsis |= 1ull << c[i].gsi;
    }
    uint64_t hits = 0;
    for (int round = 0; round < ROUNDS && gsis && !hits; round++) {
        clear(ctx);
        uint64_t busy = watch(gsis, QUIET_NS, false);
        raise(ctx);
        hits = watch(gsis & ~busy, RAISED_NS, true);
        clear(ctx);
    }
    for (uint32_t g = 0; g < IRQ_MAX_LINES; g++) {
        const struct irq_line *l = irq_line_get((int)g);
        if ((in_use & (1ull << g)) && !l->masked)
            ioapic_unmask(g);
    }
    uint64_t found = 0;
    for (uint32_t i = 0; i < n && i < 64; i++)
        if (c[i].gsi < IRQ_MAX_LINES && (hits & (1ull << c[i].gsi)))
            found |= 1ull << i;
    return found;
}
