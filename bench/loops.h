/* loops.h: the measured loops, stamped out once per driver.
 *
 * A driver defines two functions and then includes this file:
 *
 *     BENCH_INLINE void log_one(uint64_t i);       one reference record, request id i
 *     BENCH_INLINE void log_disabled(uint64_t i);  the same call at DEBUG (filtered out)
 *
 * Both are forced inline, so every loop below contains the library's own
 * call sequence and nothing of ours but the loop itself; and every library
 * records the function name "log_one". BENCH_LOOPS then names the loops in
 * the driver's bench_driver initialiser, in member order.
 *
 * bench_cg_log_loop and bench_cg_empty_loop are what callgrind counts
 * (--toggle-collect=bench_cg_*_loop*): the same loop with and without the
 * call, so the difference is the calling thread's instructions per call.
 * They are never inlined; the trailing wildcard also covers the clones GCC
 * may make of them (".constprop.0"), and C++ argument lists. */
#ifndef NLOG_BENCH_LOOPS_H
#define NLOG_BENCH_LOOPS_H

#include "harness.h"

static void loop_run(uint64_t first, uint64_t n)
{
    for (uint64_t i = first; i < first + n; i++)
        log_one(i);
}

static void loop_timed(uint64_t first, uint64_t n, uint32_t *ticks)
{
    for (uint64_t k = 0; k < n; k++) {
        uint64_t t0 = bench_ticks();
        log_one(first + k);
        uint64_t t1 = bench_ticks();
        ticks[k] = bench_ticks_clamp(t1 - t0);
    }
}

/* The barrier stands for the application code between two calls: without
 * it a compiler may load the threshold once for the whole loop (clang does),
 * which no real call site gets. */
static void loop_disabled(uint64_t n)
{
    for (uint64_t i = 0; i < n; i++) {
        log_disabled(i);
        __asm__ __volatile__("" : : : "memory");
    }
}

__attribute__((noinline)) static void bench_cg_log_loop(uint64_t first, uint64_t n)
{
    for (uint64_t i = first; i < first + n; i++)
        log_one(i);
}

__attribute__((noinline)) static void bench_cg_empty_loop(uint64_t first, uint64_t n)
{
    for (uint64_t i = first; i < first + n; i++)
        __asm__ __volatile__("" : : "r"(i) : "memory");
}

#define BENCH_LOOPS loop_run, loop_timed, loop_disabled, bench_cg_log_loop, bench_cg_empty_loop

#endif /* NLOG_BENCH_LOOPS_H */
