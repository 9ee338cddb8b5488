/* Line-buffered output through LHCALL_NOTIFY. A line longer than
 * CONSOLE_CHUNK goes out in pieces: the host joins them, and its message
 * reads stay well below any limit. The 4.x build has no NOTIFY: its early
 * console writes the line a byte at a time to the virtio console's
 * emerg_wr (pci.c), as Linux 4.x does. */
#include <string.h>
#include "guest/console.h"
#include "guest/hcall.h"
#include "guest/irq.h"
#include "guest/pci.h"

#define CONSOLE_CHUNK 960

static char line[CONSOLE_CHUNK + 1];
static unsigned len;
int (*console_sink)(const char *s, size_t n);
volatile u32 console_notifies;

static void send(void)
{
    if (!len)
        return;
    /* A console driver took over (like Linux's hvc replacing the early
     * console): it gets the bytes. If it cannot deliver them, it is
     * dropped and the early console carries on. */
    if (console_sink) {
        if (console_sink(line, len) == 0) {
            len = 0;
            return;
        }
        console_sink = 0;
    }
    line[len] = 0;
    /* The buffer is in the image, so its GPA is its direct-map address
     * minus KERNEL_BASE. */
#ifdef LG_GEN4
    for (unsigned i = 0; i < len; i++)
        pci_early_putc(line[i]);
#else
    hcall(LHCALL_NOTIFY, __pa(line), 0, 0);
#endif
    console_notifies++;
    len = 0;
}

void console_write(const char *s, size_t n)
{
    u32 flags = irq_save();
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == 0)
            continue;       /* would end the host's string early */
        line[len++] = c;
        if (c == '\n' || len == CONSOLE_CHUNK)
            send();
    }
    irq_restore(flags);
}

void console_puts(const char *s) { console_write(s, strlen(s)); }

void console_flush(void)
{
    u32 flags = irq_save();
    send();
    irq_restore(flags);
}
