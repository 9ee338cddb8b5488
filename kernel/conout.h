/* The console's output queue (see conout.c): lines drained by the UART's
 * transmit interrupt at the line's own pace, dropped with a count when the
 * line cannot keep up, written directly before interrupts and after a fault. */
#ifndef KERNEL_CONOUT_H
#define KERNEL_CONOUT_H
#include <stdbool.h>
#include <stdint.h>

/* Queues s[0..n) (bytes as they go on the wire) whole, or drops it and
 * counts its lines. reply: the monitor's answer to the operator, which may
 * use the part of the ring that log and guest output leave free. */
bool conout_put(const char *s, uint32_t n, bool reply);
/* From now on output is queued; irq: the UART's transmit interrupt is
 * routed (else a timer paces the drain). Needs the timers. */
void conout_start(uint32_t baud, bool irq);
/* The transmit interrupt, the pace timer and the scheduler's loop: the
 * next FIFO load when it is due. */
void conout_poll(void);
/* Bytes free in the ring for replies. */
uint32_t conout_room(void);
/* Lines dropped since boot. */
uint64_t conout_dropped(void);
/* Sends everything queued now, by polling (bounded): before the machine
 * powers off or resets. */
void conout_flush(void);
/* conout_flush, and direct output from then on: a fault report. */
void conout_sync(void);

#endif
