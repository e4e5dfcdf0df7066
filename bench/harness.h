/* harness.h: what the benchmark's drivers and its main program share.
 *
 * A driver is one logging library (or one mode of one) set up to write the
 * reference record to a file. The harness owns everything else: threads,
 * clocks, pacing, statistics, output checks and the table. Drivers are C11,
 * except driver_spdlog.cpp, so this header is valid C and C++.
 *
 * The reference record is the product's JSON example: category "api",
 * logger (module) "auth.service", message "User authenticated successfully",
 * context {request_id: <counter>, user_id: "user_789"}, metadata
 * {auth_method: "password"}, plus the members every JSON line of ours has
 * (timestamp, level, function, line, process_id, thread_id). */
#ifndef NLOG_BENCH_HARNESS_H
#define NLOG_BENCH_HARNESS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#define BENCH_HAVE_TSC 1
#else
#define BENCH_HAVE_TSC 0
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* How drivers define log_one() and log_disabled() (see loops.h). */
#define BENCH_INLINE static inline __attribute__((always_inline))

/* The reference record's values, shared by every driver. */
#define BENCH_LOGGER      "auth.service"
#define BENCH_MESSAGE     "User authenticated successfully"
#define BENCH_CATEGORY    "api"
#define BENCH_USER_ID     "user_789"
#define BENCH_AUTH_METHOD "password"

typedef struct bench_driver {
    const char *name; /* column label, e.g. "nlog sync" */
    const char *file; /* output file name inside the run directory */
    /* Sets up a logger at level INFO writing <dir>/<file>. Returns 0, or -1
     * with a short reason in `why` when this variant does not exist (it is
     * then reported as "n/a (reason)"). Any other failure exits the bench. */
    int (*open)(const char *dir, char *why, size_t why_size);
    /* Final flush and close: when it returns every record is in the file. */
    void (*close)(void);
    /* `n` reference records with request ids first .. first+n-1. */
    void (*run)(uint64_t first, uint64_t n);
    /* The same, each call timed: ticks[k] = timer ticks around call k. */
    void (*run_timed)(uint64_t first, uint64_t n, uint32_t *ticks);
    /* `n` calls at DEBUG, below the INFO threshold. */
    void (*run_disabled)(uint64_t n);
    /* The loops callgrind counts (see loops.h). */
    void (*cg_log)(uint64_t first, uint64_t n);
    void (*cg_empty)(uint64_t first, uint64_t n);
    /* Version of the library, for the report ("1.10.0"). */
    const char *(*version)(void);
} bench_driver;

/* The drivers, in table order. */
extern const bench_driver bench_driver_nlog_sync;
extern const bench_driver bench_driver_nlog_async;
extern const bench_driver bench_driver_spdlog_async;
extern const bench_driver bench_driver_spdlog_sync;
extern const bench_driver bench_driver_log4c;
extern const bench_driver bench_driver_glib;
extern const bench_driver bench_driver_fprintf;

/* Prints "bench: <message>" to stderr and exits with status 1. For setup
 * failures and wrong output, which must never be reported as figures. */
void bench_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* Joins dir and name into out (exits if it does not fit). */
void bench_path(char *out, size_t out_size, const char *dir, const char *name);

/* The timer used around each call: the TSC, fenced so that the call cannot
 * move across the reads (lfence waits for earlier instructions to finish).
 * Elsewhere, CLOCK_MONOTONIC in nanoseconds. Converted with
 * bench_ticks_per_ns(), calibrated once at start-up. */
static inline uint64_t bench_ticks(void)
{
#if BENCH_HAVE_TSC
    _mm_lfence();
    uint64_t t = __rdtsc();
    _mm_lfence();
    return t;
#else
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
#endif
}

static inline uint32_t bench_ticks_clamp(uint64_t d)
{
    return d > UINT32_MAX ? UINT32_MAX : (uint32_t) d;
}

double bench_ticks_per_ns(void);

/* CLOCK_MONOTONIC in nanoseconds, for whole-run times. */
int64_t bench_now_ns(void);

/* ---- Measurements (harness.c), used by main.c. ----
 *
 * Every measurement opens the driver on the run directory, measures, closes
 * it (final flush and close), then checks that the output file holds
 * exactly the records logged, and removes it. A wrong count exits the bench:
 * a figure for records that were not all written would be meaningless. */

/* Non-zero: print the first line each driver writes, once, to stderr. */
extern int bench_show_lines;

/* Calibrates the timer against CLOCK_MONOTONIC (about 0.2 s). */
void bench_calibrate(void);

/* Latency percentiles of one run, in nanoseconds. */
typedef struct bench_pcts {
    double p50, p99, p999, max;
} bench_pcts;

/* What timing an empty call costs: the same timed loop without a call. */
void bench_timer_overhead(uint64_t n, bench_pcts *ret);

/* Throughput: `records` records split over `threads` threads, timed from
 * before the threads start until the driver has closed its file. Returns
 * seconds; *ret_bytes is the size of the output file. */
double bench_throughput(const bench_driver *d, const char *dir, uint64_t records, int threads,
                        uint64_t *ret_bytes);

/* Calling-thread latency of each call. Paced: `n` calls in bursts of
 * `burst` started every `period_ns`. Saturated (burst 0): `n` calls back
 * to back. Both after `warmup` untimed calls. */
void bench_latency(const bench_driver *d, const char *dir, uint64_t warmup, uint64_t n,
                   unsigned burst, int64_t period_ns, bench_pcts *ret);

/* Nanoseconds per call below the threshold (loop included), measured over
 * at least `min_ns` of calls. */
double bench_disabled(const bench_driver *d, const char *dir, int64_t min_ns);

/* Instructions per call on the calling thread, counted by callgrind:
 * runs `self` twice under `valgrind` (--cg-child, see bench_cg_child) and
 * subtracts the empty loop from the logging loop. Returns 0, or -1 with the
 * reason in `why`. */
int bench_callgrind(const char *valgrind, const char *self, const char *driver_name,
                    const char *dir, uint64_t n, double *ret_instr, char *why, size_t why_size);

/* The child side: warm-up calls, then cg_log or cg_empty over n calls, then
 * close and check. Returns the process exit status. */
int bench_cg_child(const bench_driver *d, const char *dir, int empty, uint64_t n);

#ifdef __cplusplus
}
#endif

#endif /* NLOG_BENCH_HARNESS_H */
