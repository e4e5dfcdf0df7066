/* clock.c: wall and monotonic clocks with a test override, and the TSC
 * stand-in for the wall clock on the asynchronous call path.
 *
 * Reading CLOCK_REALTIME through the vDSO costs 20-40 ns; the time stamp
 * counter costs a few. In asynchronous mode a calling thread therefore
 * stores raw TSC ticks and the writer thread turns them into wall-clock
 * nanoseconds. That is only done where it is exact enough: on x86-64 with an
 * invariant TSC (CPUID 0x80000007 EDX bit 8) that the kernel itself uses as
 * its clock source (so it checked that the CPUs' counters agree), and while
 * the system clocks are in use (a test that injects a clock gets it on every
 * path). Otherwise records carry nanoseconds from nlog__clock_realtime_ns().
 *
 * Conversion: the writer takes a reference pair (ticks, realtime ns) at the
 * start of every cycle, after it has read the queues' heads, so every record
 * of that cycle is older than the reference; a record's time is the
 * reference minus its age in ticks times the tick length. The tick length is
 * measured against CLOCK_MONOTONIC from the first calibration point (taken
 * when TSC mode is enabled, at least 2 ms before first use) to the latest
 * reference, so it improves as the process runs and follows NTP slewing
 * like the wall clock does. A record is typically a few microseconds to
 * milliseconds older than its reference, which keeps the error far below the
 * microsecond the records show. A step of the wall clock shows from the next
 * cycle on, as it does in synchronous mode from the next call.
 * Tested by: tests/unit/async/test_concurrency_async.c (timestamps against
 * the system clock), tests/unit/core/test_fsync.c (injected clocks) */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "platform/platform.h"

#if defined(__x86_64__)
#include <cpuid.h>
#endif

static int64_t sys_realtime(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t sys_monotonic(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static nlog__clock_fn realtime_fn = sys_realtime;
static nlog__clock_fn monotonic_fn = sys_monotonic;

int nlog__tsc_on;

/* Calibration, shared by every writer of the process (and inherited by the
 * children of fork(), which run on the same machine). Written by the thread
 * that enables TSC mode before nlog__tsc_on is set, then by the writer only. */
static struct {
    int capable;          /* -1 unknown, 0 no, 1 yes */
    uint64_t tsc0;        /* first calibration point */
    int64_t mono0;
    uint64_t ref_tsc;     /* reference of the current writer cycle */
    int64_t ref_real;
    double ns_per_tick;
} cal = {.capable = -1};

int64_t nlog__clock_realtime_ns(void)
{
    return __atomic_load_n(&realtime_fn, __ATOMIC_RELAXED)();
}

int64_t nlog__clock_monotonic_ns(void)
{
    return __atomic_load_n(&monotonic_fn, __ATOMIC_RELAXED)();
}

int64_t nlog__clock_monotonic_coarse_ns(void)
{
    nlog__clock_fn fn = __atomic_load_n(&monotonic_fn, __ATOMIC_RELAXED);
    if (fn != sys_monotonic)
        return fn(); /* a test's clock */
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void nlog__clock_override(nlog__clock_fn realtime, nlog__clock_fn monotonic)
{
    if (realtime) /* every record must see the injected clock */
        __atomic_store_n(&nlog__tsc_on, 0, __ATOMIC_RELEASE);
    __atomic_store_n(&realtime_fn, realtime ? realtime : sys_realtime, __ATOMIC_RELAXED);
    __atomic_store_n(&monotonic_fn, monotonic ? monotonic : sys_monotonic, __ATOMIC_RELAXED);
}

static int tsc_capable(void)
{
#if defined(__x86_64__)
    unsigned a, b, c, d;
    if (!__get_cpuid(0x80000000u, &a, &b, &c, &d) || a < 0x80000007u)
        return 0;
    if (!__get_cpuid(0x80000007u, &a, &b, &c, &d) || !(d & (1u << 8)))
        return 0; /* the TSC may stop or change rate */
    FILE *f = fopen("/sys/devices/system/clocksource/clocksource0/current_clocksource", "re");
    if (!f)
        return 0;
    char name[32] = "";
    int ok = fgets(name, sizeof name, f) != NULL && strcmp(name, "tsc\n") == 0;
    fclose(f);
    return ok;
#else
    return 0;
#endif
}

void nlog__tsc_enable(int enable)
{
    if (!enable || __atomic_load_n(&realtime_fn, __ATOMIC_RELAXED) != sys_realtime) {
        __atomic_store_n(&nlog__tsc_on, 0, __ATOMIC_RELEASE);
        return;
    }
    if (cal.capable < 0) {
        cal.capable = tsc_capable();
        if (cal.capable) {
            cal.tsc0 = nlog__tsc_read();
            cal.mono0 = sys_monotonic();
        }
    }
    __atomic_store_n(&nlog__tsc_on, cal.capable, __ATOMIC_RELEASE);
}

void nlog__tsc_reference(void)
{
    if (cal.capable <= 0)
        return;
    while (sys_monotonic() - cal.mono0 < 2000000)
        ; /* once per process: a first tick length measured over 2 ms at least */
    /* rdtsc may run ahead of earlier loads; lfence keeps it after the
     * queue heads the caller loaded (Intel SDM: "LFENCE ... RDTSC") */
    uint64_t t = nlog__tsc_read_after_loads();
    int64_t mono = sys_monotonic();
    cal.ref_real = sys_realtime();
    cal.ref_tsc = t;
    if (t > cal.tsc0)
        cal.ns_per_tick = (double) (mono - cal.mono0) / (double) (t - cal.tsc0);
}

int64_t nlog__tsc_to_ns(uint64_t ticks)
{
    int64_t age = (int64_t) (cal.ref_tsc - ticks); /* ticks before the reference */
    return cal.ref_real - (int64_t) ((double) age * cal.ns_per_tick);
}
