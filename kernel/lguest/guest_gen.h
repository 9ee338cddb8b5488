/* The lguest generations (lguest ABI appendix F). */
#ifndef KERNEL_LGUEST_GUEST_GEN_H
#define KERNEL_LGUEST_GUEST_GEN_H

/* Learnt at LGUEST_INIT (generation.c): made with vmcall, it is a
 * 2.6.32-era guest; by int $0x1f, lguest_data's layout tells 3.10 from 4.x. */
enum guest_gen {
    GEN_310,            /* 2.6.33 to 3.x: int $0x1f, guest-built page tables */
    GEN_2632,           /* vmcall, host-built page tables, lguest_data.pgdir */
    GEN_4,              /* 4.x: noirq_iret, no NOTIFY, virtio-pci devices */
};

/* "2.6.32", "3.10", "4.x": for log lines and the monitor. */
const char *guest_gen_name(enum guest_gen gen);

#endif
