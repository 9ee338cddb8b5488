/* The CMOS real-time clock, read once at boot: guests get wall-clock time
 * as that reading plus the monotonic clock (lguest ABI 7), so it never goes
 * backwards. */
#include "arch/x86/rtc.h"
#include "arch/x86/x86.h"

static uint8_t cmos(uint8_t reg)
{
    outb(0x70, reg);
    return inb(0x71);
}

static uint32_t bcd(uint8_t v, int binary) { return binary ? v : (uint32_t)(v >> 4) * 10 + (v & 15); }

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static uint64_t days_since_epoch(uint32_t y, uint32_t m, uint32_t d)
{
    y -= m <= 2;
    uint32_t era = y / 400, yoe = y - era * 400;
    uint32_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    uint32_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (uint64_t)era * 146097 + doe - 719468;
}

uint64_t rtc_read_epoch(void)
{
    /* wait out an update in progress, then read until two readings agree */
    for (int tries = 0; tries < 1000000 && (cmos(0x0A) & 0x80); tries++)
        pause();
    uint8_t r[6], again[6];
    const uint8_t regs[6] = { 0x00, 0x02, 0x04, 0x07, 0x08, 0x09 };
    for (int i = 0; i < 6; i++) r[i] = cmos(regs[i]);
    for (int tries = 0; tries < 5; tries++) {
        for (int i = 0; i < 6; i++) again[i] = cmos(regs[i]);
        int same = 1;
        for (int i = 0; i < 6; i++) same &= r[i] == again[i];
        if (same) break;
        for (int i = 0; i < 6; i++) r[i] = again[i];
    }
    uint8_t status_b = cmos(0x0B);
    int binary = status_b & 4, h24 = status_b & 2;
    uint32_t sec = bcd(r[0], binary), min = bcd(r[1], binary);
    uint32_t hour = bcd(r[2] & 0x7F, binary);
    if (!h24 && (r[2] & 0x80))
        hour = (hour % 12) + 12;
    else if (!h24 && hour == 12)
        hour = 0;
    uint32_t day = bcd(r[3], binary), mon = bcd(r[4], binary), year = bcd(r[5], binary) + 2000;
    if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60)
        return 0;
    return days_since_epoch(year, mon, day) * 86400 + hour * 3600 + min * 60 + sec;
}
