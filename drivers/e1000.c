/* The Intel 8254x (e1000) NIC, QEMU's `-device e1000` among them: the
 * hypervisor's one physical network port, behind the guests' software
 * switch. The NIC takes every frame (promiscuous: the guests have MACs of
 * their own) into a ring of 2 KiB buffers; the interrupt handler only notes
 * that work is waiting, and the scheduler collects frames with e1000_poll.
 * Frames to send are copied into a TX ring whose finished descriptors are
 * reclaimed lazily by the next send. Everything runs with interrupts off
 * (docs/ARCHITECTURE.md, "Interrupt discipline"), so the handler never
 * races the rest of this file. */
#include <stdio.h>
#include <string.h>
#include "drivers/e1000.h"
#include "drivers/e1000_regs.h"
#include "drivers/pci.h"
#include "drivers/pci_irq.h"
#include "arch/x86/paging.h"
#include "arch/x86/x86.h"
#include "kernel/clock.h"
#include "kernel/frames.h"
#include "kernel/log.h"
#include "kernel/options.h"
#include "kernel/timer.h"

#define RX_N 256
#define TX_N 256
#define BUF_SIZE 2048u              /* RCTL.BSIZE 00: every frame fits one buffer */
#define MEM_FRAMES (2 + (RX_N + TX_N) * BUF_SIZE / PAGE_SIZE)     /* two rings, then buffers */
#define ETH_MIN 14
#define ETH_MAX 1514

#define PCI_COMMAND 0x04
#define PCI_CMD_MEM (1u << 1)
#define PCI_CMD_MASTER (1u << 2)
#define PCI_CMD_INTX_OFF (1u << 10)

volatile bool e1000_pending;

static volatile uint8_t *regs;
static bool ready;
static const struct e1000_model *model;
static bool link_was_up, link_change;
static uint8_t mac[6];
static volatile struct e1000_rx_desc *rx;     /* volatile: the NIC writes them behind our back */
static volatile struct e1000_tx_desc *tx;
static uint8_t *rx_buf, *tx_buf;
static uint32_t rx_next;            /* the next descriptor the NIC fills */
static uint32_t tx_tail, tx_clean;  /* [tx_clean, tx_tail) belong to the NIC */
static uint32_t tx_told;            /* the tail the NIC was last given */
static bool tx_waiting;             /* TXDW enabled: someone waits for room */
static volatile uint32_t icr_seen;  /* causes noted by the handler since the last poll */
static bool no_irq;                 /* no usable interrupt: always pending */
static struct pci_irq irq;
static struct e1000_stats stats;
static uint32_t tx_len[TX_N];       /* the frame's length on its last descriptor, else 0 */
static struct e1000_ctx_desc tx_ctx;    /* the context the NIC holds now */
static bool tx_ctx_valid;
static bool rx_csum;                /* the last frame polled: its TCP/UDP checksum checked good */

static uint32_t rd(uint32_t reg) { return *(volatile uint32_t *)(regs + reg); }
static void wr(uint32_t reg, uint32_t v) { *(volatile uint32_t *)(regs + reg) = v; }
static bool link_read(void) { return rd(E1000_STATUS) & STATUS_LU; }

/* Bounded: a NIC that never answers must not hang the boot. */
static bool wait_clear(uint32_t reg, uint32_t bits, uint64_t ns)
{
    uint64_t end = clock_ns() + ns;
    while (rd(reg) & bits) {
        if (clock_ns() > end)
            return false;
        pause();
    }
    return true;
}

static void delay_ns(uint64_t ns)
{
    uint64_t end = clock_ns() + ns;
    while (clock_ns() < end)
        pause();
}

static bool mac_valid(const uint8_t m[6])
{
    static const uint8_t zero[6];
    return !(m[0] & 1) && memcmp(m, zero, 6) != 0;     /* unicast, not all zeros */
}

static bool eeprom_read(uint8_t word, uint16_t *out)
{
    bool short_form = model->flags & E1000_M_EERD_SHORT;
    uint32_t done = short_form ? EERD_SHORT_DONE : EERD_DONE;
    wr(E1000_EERD, EERD_START | ((uint32_t)word << (short_form ? EERD_SHORT_ADDR_SHIFT : EERD_ADDR_SHIFT)));
    uint64_t end = clock_ns() + 1000000;               /* 1 ms; a word takes microseconds */
    for (;;) {
        uint32_t v = rd(E1000_EERD);
        if (v & done) {
            *out = EERD_DATA(v);
            return true;
        }
        if (clock_ns() > end)
            return false;
    }
}

/* The EEPROM is where the address lives; RAL/RAH (loaded from it at reset)
 * are the fallback for parts or emulators without EERD. */
static void read_mac(void)
{
    uint16_t w[3];
    if (eeprom_read(0, &w[0]) && eeprom_read(1, &w[1]) && eeprom_read(2, &w[2])) {
        for (int i = 0; i < 3; i++) {
            mac[2 * i] = (uint8_t)w[i];
            mac[2 * i + 1] = (uint8_t)(w[i] >> 8);
        }
        if (mac_valid(mac))
            return;
    }
    uint32_t lo = rd(E1000_RAL0), hi = rd(E1000_RAH0);
    for (int i = 0; i < 4; i++)
        mac[i] = (uint8_t)(lo >> (8 * i));
    mac[4] = (uint8_t)hi;
    mac[5] = (uint8_t)(hi >> 8);
}

static int reset(void)
{
    wr(E1000_IMC, ~0u);
    wr(E1000_CTRL, rd(E1000_CTRL) | CTRL_RST);
    delay_ns(1000);                                     /* the bit may read back before reset begins */
    if (!wait_clear(E1000_CTRL, CTRL_RST, 10000000))
        return -1;
    delay_ns(5000000);                                  /* EEPROM reload after reset (as Linux) */
    (void)rd(E1000_ICR);                                /* causes left over from the firmware */
    uint32_t ctrl = rd(E1000_CTRL);
    ctrl &= ~(CTRL_LRST | CTRL_PHY_RST | CTRL_ILOS | CTRL_VME);
    wr(E1000_CTRL, ctrl | CTRL_SLU | CTRL_ASDE);
    if (model->flags & E1000_M_PCIE) {
        wr(E1000_GCR, rd(E1000_GCR) | GCR_82574_BIT22);
        wr(E1000_CTRL_EXT, (rd(E1000_CTRL_EXT) | CTRL_EXT_82574_SET) & ~CTRL_EXT_82574_CLEAR);
    }
    return 0;
}

static void rings_init(uint32_t mem)
{
    memset((void *)mem, 0, 2 * PAGE_SIZE);
    rx = (volatile struct e1000_rx_desc *)mem;
    tx = (volatile struct e1000_tx_desc *)(mem + PAGE_SIZE);
    rx_buf = (uint8_t *)(mem + 2 * PAGE_SIZE);
    tx_buf = rx_buf + RX_N * BUF_SIZE;
    for (uint32_t i = 0; i < RX_N; i++)
        rx[i].addr = (uint32_t)(rx_buf + i * BUF_SIZE);    /* identity map: bus = physical = virtual */
    for (uint32_t i = 0; i < TX_N; i++)
        tx[i].addr = (uint32_t)(tx_buf + i * BUF_SIZE);

    for (uint32_t i = 0; i < 128; i++)
        wr(E1000_MTA + 4 * i, 0);
    wr(E1000_RAL0, mac[0] | mac[1] << 8 | mac[2] << 16 | (uint32_t)mac[3] << 24);
    wr(E1000_RAH0, mac[4] | mac[5] << 8 | RAH_AV);

    wr(E1000_RDBAL, (uint32_t)rx);
    wr(E1000_RDBAH, 0);
    wr(E1000_RDLEN, RX_N * sizeof(*rx));
    wr(E1000_RDH, 0);
    wr(E1000_RDT, RX_N - 1);                /* one slot always empty: head == tail means none free */
    wr(E1000_RDTR, 0);                      /* no per-frame delay: ITR below does the moderation */
    /* at most net_itr interrupts per second: a burst is taken in one poll */
    wr(E1000_ITR, opt.net_itr ? 1000000000u / 256u / opt.net_itr : 0);
    if (!(model->flags & E1000_M_NO_CSUM))
        wr(E1000_RXCSUM, RXCSUM_IPOFL | RXCSUM_TUOFL);
    wr(E1000_RCTL, RCTL_EN | RCTL_UPE | RCTL_MPE | RCTL_BAM | RCTL_SECRC);
    rx_next = 0;

    wr(E1000_TDBAL, (uint32_t)tx);
    wr(E1000_TDBAH, 0);
    wr(E1000_TDLEN, TX_N * sizeof(*tx));
    wr(E1000_TDH, 0);
    wr(E1000_TDT, 0);
    wr(E1000_TIPG, TIPG_COPPER);
    wr(E1000_TCTL, TCTL_EN | TCTL_PSP | TCTL_CT(0x0F) | TCTL_COLD(0x40));
    tx_tail = tx_clean = tx_told = 0;
    tx_ctx_valid = false;
}

/* Reading ICR acknowledges the NIC and drops its (level) interrupt line;
 * the frames themselves wait for e1000_poll. */
static void e1000_irq(void *ctx)
{
    uint32_t icr = rd(E1000_ICR);
    if (!icr)
        return;                             /* a device sharing the line */
    stats.irqs++;
    icr_seen |= icr;
    e1000_pending = true;
}

/* The test interrupt for finding the INTx GSI (drivers/pci_irq.h): a link
 * status change set by hand, with only that cause enabled. */
static void test_raise(void *ctx)
{
    wr(E1000_IMS, INT_LSC);
    wr(E1000_ICS, INT_LSC);
}

static void test_clear(void *ctx)
{
    wr(E1000_IMC, ~0u);
    (void)rd(E1000_ICR);
}

/* Without a usable interrupt the NIC is polled by a timer, idle or not: its
 * interrupt is what wakes the boot CPU from hlt, and e1000_pending (always
 * set then) makes the scheduler loop take in the frames. */
#define POLL_NS 1000000u
static struct timer poll_timer;

static void poll_tick(struct timer *t)
{
    e1000_pending = true;
    timer_arm(t, clock_ns() + POLL_NS);
}

int e1000_init(const struct pci_dev *d, const struct e1000_model *m)
{
    model = m;
    const char *name = m->name;
    const struct pci_bar *bar = &d->bar[0];
    if (bar->io || !bar->base || bar->base + bar->size > 0xFFC00000ull || bar->size < 0x20000) {
        log_err("e1000: %s at %02x:%02x.%x: BAR0 is not usable memory (%s 0x%lx%08lx, 0x%lx bytes)",
                name, d->bus, d->dev, d->fn, bar->io ? "io" : "mem", (unsigned long)(bar->base >> 32),
                (unsigned long)bar->base, (unsigned long)bar->size);
        return -1;
    }
    uint32_t mem = frames_alloc(MEM_FRAMES, 1);
    if (!mem) {
        log_err("e1000: no memory for the rings");
        return -1;
    }
    uint32_t cmd = pci_read32(d->bus, d->dev, d->fn, PCI_COMMAND) & 0xFFFF;   /* status is write-1-to-clear */
    cmd = (cmd | PCI_CMD_MEM | PCI_CMD_MASTER) & ~PCI_CMD_INTX_OFF;
    pci_write32(d->bus, d->dev, d->fn, PCI_COMMAND, cmd);
    paging_map_mmio((uint32_t)bar->base, (uint32_t)bar->size);
    regs = (volatile uint8_t *)(uint32_t)bar->base;

    if (reset() != 0) {
        log_err("e1000: %s at %02x:%02x.%x does not come out of reset", name, d->bus, d->dev, d->fn);
        frames_free(mem, MEM_FRAMES);
        return -1;
    }
    read_mac();
    rings_init(mem);

    /* Until the interrupt is connected only the test cause may interrupt:
     * the probe for the GSI must see nothing but its own request. */
    struct pci_irq_test test = { test_raise, test_clear, 0 };
    no_irq = pci_irq_set_handler(d, &test, e1000_irq, 0, "e1000", &irq) != 0;
    test_clear(0);
    e1000_pending = true;               /* frames that came in meanwhile */
    wr(E1000_IMS, INT_RXT0 | INT_RXDMT0 | INT_RXO | INT_LSC);  /* no TXDW: sends reclaim lazily */
    ready = true;
    link_was_up = link_read();
    if (no_irq) {
        poll_timer.fn = poll_tick;
        timer_arm(&poll_timer, clock_ns() + POLL_NS);
    }
    log_info("e1000: %s at %02x:%02x.%x, MAC %02x:%02x:%02x:%02x:%02x:%02x, link %s, irq %s, "
             "interrupts %s%lu/s", name, d->bus, d->dev, d->fn, mac[0], mac[1], mac[2], mac[3], mac[4], mac[5],
             link_was_up ? "up" : "down", no_irq ? "none (polled)" : irq.how, opt.net_itr ? "at most " : "",
             (unsigned long)opt.net_itr);
    return 0;
}

bool e1000_ready(void) { return ready; }
const char *e1000_model(void) { return model ? model->name : "none"; }
void e1000_mac(uint8_t out[6]) { memcpy(out, mac, 6); }
/* As last read: at init and on each link-change interrupt, not per frame
 * (a register read is a trap into the emulator or a bus round trip). */
bool e1000_link_up(void) { return ready && link_was_up; }

bool e1000_link_changed(void)
{
    bool c = link_change;
    link_change = false;
    return c;
}

static void counters(void)
{
    stats.rx_missed += rd(E1000_MPC);
    stats.rx_no_desc += rd(E1000_RNBC);
}

static void tx_reclaim(void)
{
    while (tx_clean != tx_tail && (tx[tx_clean].status & TXD_DD)) {
        if (tx_len[tx_clean]) {
            stats.tx_packets++;
            stats.tx_bytes += tx_len[tx_clean];
        }
        tx_clean = (tx_clean + 1) % TX_N;
    }
}

void e1000_tx_flush(void)
{
    if (ready && tx_told != tx_tail) {
        barrier();              /* descriptors complete before the NIC may fetch them (x86 keeps store order) */
        tx_told = tx_tail;
        wr(E1000_TDT, tx_tail);
    }
}

static uint32_t tx_free(void)
{
    uint32_t used = (tx_tail - tx_clean + TX_N) % TX_N;
    return TX_N - 1 - used;
}

bool e1000_tx_has_room(uint32_t need)
{
    if (!ready)
        return false;
    if (tx_free() < need) {
        e1000_tx_flush();
        tx_reclaim();
    }
    if (tx_free() >= need)
        return true;
    if (!tx_waiting) {
        tx_waiting = true;
        wr(E1000_IMS, INT_TXDW);
    }
    return false;
}

uint32_t e1000_tx_room(void)
{
    if (!ready)
        return 0;
    uint32_t used = (tx_tail - tx_clean + TX_N) % TX_N;
    if (used >= TX_N - 1 - 16) {        /* nearly full: hand the batch over, take back what is done */
        e1000_tx_flush();
        tx_reclaim();
        used = (tx_tail - tx_clean + TX_N) % TX_N;
    }
    uint32_t room = TX_N - 1 - used;
    if (!room && !tx_waiting) {
        tx_waiting = true;
        wr(E1000_IMS, INT_TXDW);
    }
    return room;
}

/* -1 when the ring is full; the caller decides whether that is a drop. */
static int tx_queue(const void *frame, uint32_t len)
{
    uint32_t next = (tx_tail + 1) % TX_N;
    if (next == tx_clean) {
        e1000_tx_flush();
        tx_reclaim();
        if (next == tx_clean)
            return -1;
    }
    volatile struct e1000_tx_desc *d = &tx[tx_tail];
    memcpy(tx_buf + tx_tail * BUF_SIZE, frame, len);
    d->addr = (uint32_t)(tx_buf + tx_tail * BUF_SIZE);     /* a context descriptor may have had the slot */
    d->length = (uint16_t)len;
    d->special = 0;
    tx_len[tx_tail] = len;
    d->cmd = TXD_EOP | TXD_IFCS | TXD_RS;
    d->status = 0;
    tx_tail = next;
    return 0;
}

int e1000_send(const void *frame, uint32_t len)
{
    if (!ready)
        return -1;
    if (len < ETH_MIN || len > ETH_MAX || tx_queue(frame, len) != 0) {
        stats.tx_dropped++;
        return -1;
    }
    return 0;
}

uint32_t e1000_offloads(void)
{
    if (!ready || (model->flags & E1000_M_NO_CSUM))
        return 0;
    return E1000_TX_CSUM | ((model->flags & E1000_M_NO_TSO) ? 0 : E1000_TX_TSO);
}

uint32_t e1000_tx_need(uint32_t len)
{
    return 1 + (len + BUF_SIZE - 1) / BUF_SIZE;     /* a context descriptor, then the data */
}

/* A context descriptor when the offload differs from the one the NIC
 * holds (the NIC keeps it for the data descriptors that follow), then the
 * frame in BUF_SIZE pieces, one data descriptor each. */
int e1000_send_offload(const void *frame, uint32_t len, const struct e1000_tx_offload *o)
{
    if (!ready)
        return -1;
    uint32_t max = o->tso ? 65536u + o->hdrlen : ETH_MAX;
    if (len < ETH_MIN || len > max || !e1000_tx_has_room(e1000_tx_need(len))) {
        stats.tx_dropped++;
        return -1;
    }
    struct e1000_ctx_desc c = {
        .tucss = o->css, .tucso = o->cso, .tucse = 0,  /* 0: to the end of the frame */
        .cmd_len = TXX_DEXT | TXX_RS,
    };
    if (o->tso) {
        c.ipcss = ETH_MIN;
        c.ipcso = ETH_MIN + 10;
        c.ipcse = (uint16_t)(o->css - 1);
        c.cmd_len |= TXX_TSE | TXX_IP | TXX_TCP | (len - o->hdrlen);
        c.hdrlen = o->hdrlen;
        c.mss = o->mss;
    }
    if (!tx_ctx_valid || memcmp(&c, &tx_ctx, sizeof c) != 0) {
        volatile struct e1000_ctx_desc *cd = (volatile struct e1000_ctx_desc *)&tx[tx_tail];
        cd->ipcss = c.ipcss;
        cd->ipcso = c.ipcso;
        cd->ipcse = c.ipcse;
        cd->tucss = c.tucss;
        cd->tucso = c.tucso;
        cd->tucse = c.tucse;
        cd->cmd_len = c.cmd_len;
        cd->status = 0;
        cd->hdrlen = c.hdrlen;
        cd->mss = c.mss;
        tx_len[tx_tail] = 0;
        tx_tail = (tx_tail + 1) % TX_N;
        tx_ctx = c;
        tx_ctx_valid = true;
    }
    const uint8_t *p = frame;
    uint8_t popts = POPTS_TXSM | (o->tso ? POPTS_IXSM : 0);
    for (uint32_t at = 0; at < len; ) {
        uint32_t n = len - at < BUF_SIZE ? len - at : BUF_SIZE;
        bool last = at + n == len;
        volatile struct e1000_data_desc *d = (volatile struct e1000_data_desc *)&tx[tx_tail];
        memcpy(tx_buf + tx_tail * BUF_SIZE, p + at, n);
        d->addr = (uint32_t)(tx_buf + tx_tail * BUF_SIZE);
        d->cmd_len = TXX_DEXT | TXX_DTYP_D | TXX_IFCS | TXX_RS | (o->tso ? TXX_TSE : 0) | (last ? TXX_EOP : 0) | n;
        d->status = 0;
        d->popts = popts;
        d->special = 0;
        tx_len[tx_tail] = last ? len : 0;
        tx_tail = (tx_tail + 1) % TX_N;
        at += n;
    }
    return 0;
}

bool e1000_rx_csum_ok(void) { return rx_csum; }

uint32_t e1000_poll(bool (*fn)(const uint8_t *frame, uint32_t len, void *ctx), void *ctx,
                    uint32_t budget)
{
    if (!ready)
        return 0;
    e1000_pending = no_irq;
    uint32_t icr = icr_seen;
    icr_seen = 0;
    if (icr & INT_RXO)
        counters();
    if (icr & INT_LSC) {
        bool up = link_read();
        if (up != link_was_up) {
            link_was_up = up;
            link_change = true;
            stats.link_changes++;
            log_info("e1000: link %s", up ? "up" : "down");
        }
    }
    if ((icr & INT_TXDW) && tx_waiting) {
        tx_waiting = false;
        wr(E1000_IMC, INT_TXDW);
        tx_reclaim();
    }
    uint32_t n = 0, last = RX_N;
    while (n < budget && (rx[rx_next].status & RXD_DD)) {
        volatile struct e1000_rx_desc *d = &rx[rx_next];
        uint32_t len = d->length;   /* valid once DD is seen (x86 keeps load order) */
        /* a frame spanning buffers (no EOP) cannot happen without RCTL.LPE */
        /* a wrong checksum is the guest's to see, not a reason to drop */
        if ((d->status & RXD_EOP) && !(d->errors & ~(RXE_TCPE | RXE_IPE)) && len >= ETH_MIN) {
            rx_csum = (d->status & (RXD_TCPCS | RXD_IXSM)) == RXD_TCPCS && !(d->errors & (RXE_TCPE | RXE_IPE));
            if (!fn(rx_buf + rx_next * BUF_SIZE, len, ctx))
                break;          /* no room behind us: it stays, the NIC waits */
            stats.rx_packets++;
            stats.rx_bytes += len;
            n++;
        } else {
            stats.rx_dropped++;
        }
        d->status = 0;
        last = rx_next;
        rx_next = (rx_next + 1) % RX_N;
    }
    if (last != RX_N)
        wr(E1000_RDT, last);    /* one register write returns the whole batch */
    if (n == budget && (rx[rx_next].status & RXD_DD))
        e1000_pending = true;   /* budget ran out: come back */
    return n;
}

void e1000_get_stats(struct e1000_stats *s)
{
    if (ready) {
        tx_reclaim();
        counters();
    }
    *s = stats;
}

void e1000_get_rings(struct e1000_rings *r)
{
    memset(r, 0, sizeof(*r));
    if (!ready)
        return;
    *r = (struct e1000_rings){
        .rx_size = RX_N, .rx_head = rd(E1000_RDH), .rx_tail = rd(E1000_RDT), .rx_next = rx_next,
        .tx_size = TX_N, .tx_head = rd(E1000_TDH), .tx_tail = tx_tail, .tx_clean = tx_clean,
    };
}

uint64_t e1000_bench_tx(uint32_t frames, uint32_t len)
{
    static uint8_t frame[ETH_MAX];
    if (!ready)
        return 0;
    if (len < ETH_MIN)
        len = ETH_MIN;
    if (len > ETH_MAX)
        len = ETH_MAX;
    memset(frame, 0xFF, 6);
    memcpy(frame + 6, mac, 6);
    frame[12] = 0x88;           /* EtherType 0x88B5: IEEE local experimental */
    frame[13] = 0xB5;
    for (uint32_t i = ETH_MIN; i < len; i++)
        frame[i] = (uint8_t)i;
    uint64_t start = rdtsc(), stall = 0;
    for (uint32_t i = 0; i < frames; ) {
        if (tx_queue(frame, len) == 0) {
            i++;
            stall = 0;
            if (i % 64 == 0 || i == frames)
                e1000_tx_flush();   /* as the guests' path: one tail write per batch */
            continue;
        }
        /* ring full: a NIC that stops sending must not hang the benchmark */
        if (!stall)
            stall = clock_ns();
        else if (clock_ns() - stall > 100000000)
            return 0;
        pause();
    }
    return rdtsc() - start;
}
