/* clock.c: wall and monotonic clocks with a test override. */
#include <time.h>

#include "platform/platform.h"

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
    __atomic_store_n(&realtime_fn, realtime ? realtime : sys_realtime, __ATOMIC_RELAXED);
    __atomic_store_n(&monotonic_fn, monotonic ? monotonic : sys_monotonic, __ATOMIC_RELAXED);
}
