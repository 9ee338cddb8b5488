/* CPU identification and the features lgvisor uses. */
#include <string.h>
#include "arch/x86/cpu.h"
#include "arch/x86/x86.h"
#include "kernel/log.h"

struct cpu_info cpu;

void cpu_detect(void)
{
    uint32_t r[4];
    cpuid(0, 0, r);
    uint32_t max = r[0];
    memcpy(cpu.vendor + 0, &r[1], 4);
    memcpy(cpu.vendor + 4, &r[3], 4);
    memcpy(cpu.vendor + 8, &r[2], 4);
    if (max >= 1) {
        cpuid(1, 0, r);
        cpu.family = (r[0] >> 8) & 0xF;
        cpu.model = (r[0] >> 4) & 0xF;
        cpu.stepping = r[0] & 0xF;
        if (cpu.family == 0xF)
            cpu.family += (r[0] >> 20) & 0xFF;
        if (cpu.family == 0x6 || cpu.family >= 0xF)
            cpu.model |= ((r[0] >> 16) & 0xF) << 4;
        uint32_t d = r[3];
        cpu.fpu = d & 1;  cpu.pse = (d >> 3) & 1;  cpu.tsc = (d >> 4) & 1;
        cpu.msr = (d >> 5) & 1;  cpu.pae = (d >> 6) & 1;  cpu.apic = (d >> 9) & 1;
        cpu.pge = (d >> 13) & 1;  cpu.cmov = (d >> 15) & 1;  cpu.fxsr = (d >> 24) & 1;
        cpu.sse = (d >> 25) & 1;  cpu.sse2 = (d >> 26) & 1;
    }
    cpuid(0x80000000, 0, r);
    uint32_t ext = r[0];
    if (ext >= 0x80000004) {
        for (uint32_t i = 0; i < 3; i++) {
            cpuid(0x80000002 + i, 0, r);
            memcpy(cpu.brand + 16 * i, r, 16);
        }
    }
    if (ext >= 0x80000001) {
        cpuid(0x80000001, 0, r);
        cpu.nx = (r[3] >> 20) & 1;
    }
    if (ext >= 0x80000007) {
        cpuid(0x80000007, 0, r);
        cpu.invariant_tsc = (r[3] >> 8) & 1;
    }
    /* Intel Core (family 6 from model 0x0E) and family 0xF from model 3 tick
     * at a constant rate even without the invariant-TSC bit. */
    int intel = strcmp(cpu.vendor, "GenuineIntel") == 0;
    cpu.constant_tsc = cpu.invariant_tsc ||
        (intel && ((cpu.family == 6 && cpu.model >= 0x0E) || (cpu.family == 0xF && cpu.model >= 3)));
}

void cpu_log(void)
{
    const char *b = cpu.brand;
    while (*b == ' ')
        b++;
    log_info("cpu: %s family %lu model %lu stepping %lu%s%s", cpu.vendor,
             (unsigned long)cpu.family, (unsigned long)cpu.model, (unsigned long)cpu.stepping,
             *b ? ": " : "", b);
    log_info("cpu: features%s%s%s%s%s%s%s%s%s%s, TSC %s", cpu.pae ? " pae" : "", cpu.nx ? " nx" : "",
             cpu.pse ? " pse" : "",
             cpu.pge ? " pge" : "", cpu.tsc ? " tsc" : "", cpu.apic ? " apic" : "",
             cpu.msr ? " msr" : "", cpu.fxsr ? " fxsr" : "", cpu.sse ? " sse" : "",
             cpu.sse2 ? " sse2" : "",
             cpu.invariant_tsc ? "invariant" : cpu.constant_tsc ? "constant-rate" : "not known constant");
}
