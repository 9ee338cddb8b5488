/* Which network function is the guests' wire. Every PCI function of class
 * 02 (network) is logged with whether it is driven: the e1000 driver takes
 * one NIC of its family, the net_uplink'th it knows in PCI order (default
 * the first); other NICs of the family are left alone and said so, and a
 * NIC of another kind is named as not driven. What happened is kept for
 * the monitor's `net` command. */
#include <stdio.h>
#include <string.h>
#include "drivers/e1000.h"
#include "drivers/pci.h"
#include "kernel/log.h"
#include "kernel/options.h"

#define PCI_CLASS_NETWORK 0x02

struct nic_note {
    uint8_t bus, dev, fn;
    uint16_t vendor, device;
    const char *model;          /* NULL: not of the e1000 family */
    const char *state;
};

#define NOTES_MAX 8
static struct nic_note notes[NOTES_MAX];
static uint32_t nnotes, nnics;
static char why_none[96] = "no PCI scan";

static const char *kind(uint16_t vendor, uint16_t device)
{
    if (vendor == 0x1AF4)
        return "virtio-net";
    if (vendor == 0x8086)
        return "an Intel NIC the e1000 driver does not know (igb, ixgbe, ...?)";
    if (vendor == 0x10EC)
        return "Realtek";
    return "unknown vendor";
}

static void note(const struct pci_dev *d, const char *model, const char *state)
{
    if (nnotes < NOTES_MAX)
        notes[nnotes++] = (struct nic_note){ d->bus, d->dev, d->fn, d->vendor, d->device, model, state };
}

void e1000_probe(void)
{
    const struct pci_dev *pick = 0;
    uint32_t known = 0;
    nnotes = nnics = 0;
    for (uint32_t i = 0; i < pci_ndevs; i++) {
        const struct pci_dev *d = &pci_devs[i];
        if (d->class != PCI_CLASS_NETWORK)
            continue;
        nnics++;
        const struct e1000_model *m = e1000_model_of(d->vendor, d->device);
        if (!m) {
            log_warn("net: %02x:%02x.%x %04x:%04x (%s): not driven, lgvisor has no driver for it", d->bus,
                     d->dev, d->fn, d->vendor, d->device, kind(d->vendor, d->device));
            note(d, 0, "not driven (no driver)");
            continue;
        }
        if (++known == opt.net_uplink)
            pick = d;
    }
    if (!pick) {
        snprintf(why_none, sizeof why_none, !known ? "no NIC lgvisor can drive (%lu network functions)"
                                                   : "net_uplink=%lu but only %lu e1000-family NICs",
                 (unsigned long)(known ? opt.net_uplink : nnics), (unsigned long)known);
    }
    uint32_t n = 0;
    for (uint32_t i = 0; i < pci_ndevs; i++) {
        const struct pci_dev *d = &pci_devs[i];
        const struct e1000_model *m = d->class == PCI_CLASS_NETWORK ? e1000_model_of(d->vendor, d->device) : 0;
        if (!m)
            continue;
        n++;
        if (d != pick) {
            log_warn("net: %02x:%02x.%x Intel %s (%04x:%04x): not used, the uplink is %s (net_uplink=%lu "
                     "picks the Nth)", d->bus, d->dev, d->fn, m->name, d->vendor, d->device,
                     pick ? "another NIC" : "none", (unsigned long)opt.net_uplink);
            note(d, m->name, "not used (one uplink)");
            continue;
        }
        log_info("net: %02x:%02x.%x Intel %s (%04x:%04x), irq line %u: the uplink (NIC %lu of %lu)", d->bus,
                 d->dev, d->fn, m->name, d->vendor, d->device, d->irq_line, (unsigned long)n,
                 (unsigned long)known);
        if (e1000_init(d, m) == 0) {
            note(d, m->name, "driven (uplink)");
        } else {
            note(d, m->name, "failed to start");
            snprintf(why_none, sizeof why_none, "the %s at %02x:%02x.%x failed to start", m->name, d->bus,
                     d->dev, d->fn);
        }
    }
    if (!e1000_ready())
        log_warn("net: guests have no wire: %s; they see their link down", why_none);
}

const char *e1000_why_no_uplink(void) { return why_none; }

void e1000_print_nics(void)
{
    if (!nnotes)
        printf("nics: none found on PCI\n");
    for (uint32_t i = 0; i < nnotes; i++) {
        const struct nic_note *n = &notes[i];
        printf("nic %02x:%02x.%x %04x:%04x %s: %s\n", n->bus, n->dev, n->fn, n->vendor, n->device,
               n->model ? n->model : kind(n->vendor, n->device), n->state);
    }
}
