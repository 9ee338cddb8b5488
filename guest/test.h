/* The output protocol the harness parses (tests/guest_cases.py):
 *   PASS group/check
 *   FAIL group/check: reason
 *   DONE P passed, F failed
 * then SHUTDOWN (power off) with "done" or a failure summary. */
#ifndef GUEST_TEST_H
#define GUEST_TEST_H
#include <stdio.h>
#include "guest/layout.h"

void pass(const char *name);
void fail(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* PASS name if ok, else FAIL name: reason. Returns ok. */
int check(int ok, const char *name, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
unsigned tests_failed(void);

/* DONE line, then power off ("done", or "N checks failed"). */
void tests_done(void) __attribute__((noreturn));
/* An error the kernel cannot continue after: FAIL line, DONE, power off
 * with "panic: ...". */
void panic(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
/* SHUTDOWN with a copy of msg (the host reads it by GPA). */
void shutdown(const char *msg, u32 reason) __attribute__((noreturn));

/* A trap as the handler saw it. */
struct fault_rec {
    u32 vector, error, eip, cs, eflags;
    u32 cr2;                /* lguest_data.cr2 at entry (#PF only) */
    u32 irq_enabled;        /* lguest_data.irq_enabled at entry */
    u32 frame_end;          /* kernel: address just above EFLAGS */
    u32 user_esp, user_ss;  /* user mode only */
    u32 ebx;                /* probes put the ESP they expect here */
    int from_user;
};

/* Kernel-mode faults on purpose: arm, run the probe, take the record. The
 * handler records the next exception (vectors 0-31 except #NM) and, if
 * resume_eip is non-zero, continues there instead of at the faulting
 * instruction. */
void expect_fault(u32 resume_eip);
/* 1 and *out filled if a fault was recorded since expect_fault; disarms. */
int expect_taken(struct fault_rec *out);
/* Called by the trap handler: 1 if it consumed the fault. */
struct trap_frame;
int expect_record(struct trap_frame *f, u32 cr2, u32 irq_enabled);
void fault_fill(struct fault_rec *r, const struct trap_frame *f, u32 cr2, u32 irq_enabled);

/* Per-trap counters, kept by trap_dispatch. */
extern volatile u32 trap_counts[256];
extern volatile u32 alt_int3_count;

#endif
