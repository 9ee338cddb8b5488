/* The virtio console (lguest-abi.md 9.3), one port like 3.10's hvc0:
 * queue 0 brings input, queue 1 takes output. Once attached, everything
 * the guest prints goes out through it instead of NOTIFY strings. */
#ifndef GUEST_VCONS_H
#define GUEST_VCONS_H
#include <stddef.h>
#include "guest/virtio.h"

#define VCONS_RX_BUFS   32              /* one page each */

/* Finds the console (scanning the bus if nobody has), negotiates, sets
 * up both queues, posts the RX buffers (a kick after each, as 3.10 does),
 * DRIVER_OK, then takes the console output over. 0 on success. */
int vcons_attach(void);
int vcons_attached(void);
struct vdev *vcons_device(void);
/* Output back to NOTIFY strings, the device reset. */
void vcons_detach(void);

/* One TX buffer per 4096 bytes, kicked and waited for (the host completes
 * it inside the kick). 0, or -1 if the device did not take it. */
int vcons_write(const char *s, size_t n);
/* The same bytes as one buffer of nseg segments (a chain, or an indirect
 * table when negotiated): the host must join them. */
int vcons_write_segs(const char *const *parts, unsigned nparts);

/* The next input byte, or -1. */
int vcons_getc(void);
/* Sleeps (HALT) until a line ends (\r or \n); backspace erases, other
 * control characters are dropped. With echo, the finished line is
 * printed (the host shows whole lines only). Returns its length (cut to
 * n - 1, NUL ended), or -1 if the console is not attached. */
int vcons_read_line(char *buf, unsigned n, int echo);

extern volatile u32 vcons_tx_bufs, vcons_rx_bufs, vcons_rx_bytes, vcons_rx_dropped;

/* Called while vcons_read_line waits; weak, empty unless defined. */
void vcons_idle(void);

#endif
