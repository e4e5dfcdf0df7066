/* platform.h: the operating-system seam. Everything the library asks of the
 * OS that tests need to control (clocks) or that differs between systems
 * (thread ids) goes through here; src/platform/linux/ is the only place with
 * OS-specific code.
 * Tested by: tests/unit/core/test_platform.c */
#ifndef NLOG_PLATFORM_H
#define NLOG_PLATFORM_H

#include <stddef.h>
#include <stdint.h>

typedef int64_t (*nlog__clock_fn)(void);

/* Wall clock in ns since the Unix epoch (UTC). */
int64_t nlog__clock_realtime_ns(void);
/* Monotonic clock in ns, for intervals and retry pacing. */
int64_t nlog__clock_monotonic_ns(void);
/* The same clock at the kernel's tick resolution (CLOCK_MONOTONIC_COARSE,
 * typically 1 to 4 ms, never ahead of nlog__clock_monotonic_ns()), at a
 * fraction of the cost: for timestamps that need no finer resolution.
 * Follows nlog__clock_override() exactly. */
int64_t nlog__clock_monotonic_coarse_ns(void);
/* Replaces the clocks (NULL restores the system clock). For tests only:
 * not thread-safe against concurrent clock reads of the replaced clock. */
void nlog__clock_override(nlog__clock_fn realtime, nlog__clock_fn monotonic);

/* TSC stand-in for the wall clock on the asynchronous call path (clock.c).
 * nlog__tsc_on (atomic) says whether calling threads may store ticks from
 * nlog__tsc_read() instead of nanoseconds; only the writer converts them. */
extern int nlog__tsc_on;
static inline uint64_t nlog__tsc_read(void)
{
#if defined(__x86_64__)
    return __builtin_ia32_rdtsc();
#else
    return 0; /* never called: nlog__tsc_on stays 0 */
#endif
}
/* The same, not executed before the loads that precede it. */
static inline uint64_t nlog__tsc_read_after_loads(void)
{
#if defined(__x86_64__)
    __builtin_ia32_lfence();
    return __builtin_ia32_rdtsc();
#else
    return 0;
#endif
}
/* Turns TSC mode on (if the machine and the clocks allow it) or off. Called
 * with the library's configuration lock held. */
void nlog__tsc_enable(int enable);
/* Writer thread: takes the reference pair for the records read since its
 * last call (call it after loading the queues' heads). */
void nlog__tsc_reference(void);
/* Writer thread: wall-clock nanoseconds of a tick value older than the
 * current reference. */
int64_t nlog__tsc_to_ns(uint64_t ticks);

/* Read-only ranges of the program image (image.c): bytes in them never
 * change or go away, so queues may keep pointers to them. Slot 0 is the main
 * program, slot 1 libnlog's own object when it is a separate one (len 0
 * otherwise). Filled once by nlog__static_ranges_init(), which must run
 * before nlog__is_static() is used. */
typedef struct nlog__range {
    uintptr_t lo;
    uintptr_t len; /* bytes */
} nlog__range;
#define NLOG__STATIC_RANGES 2
extern nlog__range nlog__static_ranges[NLOG__STATIC_RANGES];
void nlog__static_ranges_init(void);
static inline int nlog__is_static(const void *p)
{
    uintptr_t a = (uintptr_t) p;
    return a - nlog__static_ranges[0].lo < nlog__static_ranges[0].len ||
           a - nlog__static_ranges[1].lo < nlog__static_ranges[1].len;
}

/* Whether a code address (a return address) lies in the main program's
 * range: its string literals are then in that range too. */
static inline int nlog__is_main_code(const void *p)
{
    return (uintptr_t) p - nlog__static_ranges[0].lo < nlog__static_ranges[0].len;
}

/* The calling thread's kernel id, cached per thread. */
int64_t nlog__thread_id(void);
/* The process id, refreshed in the child after fork(). */
int64_t nlog__process_id(void);

/* Blocks every asynchronous signal in the calling thread, for the library's
 * own threads (writer, maintenance, collectors, timers): signals such as
 * SIGTERM or SIGCHLD belong to the application's threads, and a handler must
 * never run on a thread that may hold library locks. The synchronous fault
 * signals (SEGV, BUS, FPE, ILL) stay open so the crash drain sees them. */
void nlog__block_async_signals(void);



/* System calls that tests replace to inject faults (short writes, ENOSPC,
 * EIO), in the manner of SQLite's aSyscall[] table. */
#include <sys/types.h>
typedef ssize_t (*nlog__write_fn)(int fd, const void *buf, size_t len);
extern nlog__write_fn nlog__sys_write;

/* The value of an environment variable, or NULL. The one place library code
 * reads the environment outside src/config/. */
const char *nlog__env(const char *name);

/* Fills buf with n bytes from the kernel's random source. Returns 0 or -1. */
int nlog__random(void *buf, size_t n);
/* The user the process runs as ("alice", or "uid:1000" without a name). */
void nlog__process_user(char *buf, size_t size);
/* Where the process's own actions come from: "host/program[pid]". */
void nlog__process_origin(char *buf, size_t size);

/* Creates `path` and its missing parents with `mode`. Returns 0 or an errno. */
int nlog__mkdir_p(const char *path, unsigned mode);
#endif /* NLOG_PLATFORM_H */
