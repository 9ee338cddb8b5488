/* The echo client behind the shell's `ping` and the net tests: one request
 * at a time, a payload the reply must carry back unchanged, the round
 * trip timed with the TSC (the first one includes resolving the MAC). */
#include <string.h>
#include "guest/net.h"
#include "guest/x86.h"

static struct {
    u32 dst;
    u16 id, seq;
    unsigned size;
    int got, bad, late;
} cur;

static void on_reply(u32 src, u16 id, u16 seq, const u8 *data, unsigned len)
{
    if (src != cur.dst || id != cur.id)
        return;
    if (seq != cur.seq) {
        cur.late++;
        return;
    }
    int ok = len == cur.size;
    for (unsigned i = 0; ok && i < len; i++)
        ok = data[i] == ping_byte(seq, i);
    if (!ok)
        cur.bad++;
    cur.got = 1;
}

int ping_run(u32 dst, unsigned count, unsigned size, u32 interval_ms, u32 timeout_ms,
             struct ping_result *r)
{
    static u8 payload[ETH_MTU];
    static u16 next_id = 0x4c47;
    if (size > ETH_MTU - IP_HLEN - 8)
        return -1;
    memset(r, 0, sizeof *r);
    r->rtt_min_us = ~0u;
    cur.dst = dst;
    cur.id = next_id++;
    cur.size = size;
    cur.bad = cur.late = 0;
    icmp_on_reply = on_reply;
    for (unsigned n = 0; n < count; n++) {
        cur.seq = (u16)(n + 1);
        cur.got = 0;
        for (unsigned i = 0; i < size; i++)
            payload[i] = ping_byte(cur.seq, i);
        u64 t0 = rdtsc(), deadline = t0 + us_to_cycles((u64)timeout_ms * 1000);
        if (icmp_echo_request(dst, cur.id, cur.seq, payload, size) < 0)
            break;
        r->sent++;
        while (!cur.got && rdtsc() < deadline)
            net_wait_until(deadline);
        if (cur.got) {
            u32 us = cycles_to_us(rdtsc() - t0);
            r->received++;
            r->rtt_sum_us += us;
            if (us < r->rtt_min_us)
                r->rtt_min_us = us;
            if (us > r->rtt_max_us)
                r->rtt_max_us = us;
        }
        u64 next = t0 + us_to_cycles((u64)interval_ms * 1000);
        while (n + 1 < count && rdtsc() < next)
            net_wait_until(next);
    }
    icmp_on_reply = 0;
    r->bad = (unsigned)cur.bad;
    r->late = (unsigned)cur.late;
    if (!r->received)
        r->rtt_min_us = 0;
    return 0;
}
