/* procparse.h (internal): pure parsers for the Linux /proc texts the system
 * collector reads, and the arithmetic on their counters.
 *
 * Every function takes the text and its length (no NUL needed), never reads
 * past it, never allocates and accepts any bytes: a malformed line is
 * skipped, a missing field leaves its value 0 and clears a `have_` flag, a
 * number too large for 64 bits saturates at UINT64_MAX. The file reading
 * lives in src/platform/linux/sysinfo.c.
 * Tested by: tests/unit/perf/test_procparse.c (fixtures in tests/data/proc/),
 * tests/fuzz/fuzz_proc.c */
#ifndef NLOG_PERF_PROCPARSE_H
#define NLOG_PERF_PROCPARSE_H

#include <stddef.h>
#include <stdint.h>

/* The "cpu" line of /proc/stat, in clock ticks. */
typedef struct nlog__cpu_times {
    uint64_t user, nice, system, idle, iowait, irq, softirq, steal;
    int have;
} nlog__cpu_times;

/* Fields of /proc/self/stat. */
typedef struct nlog__proc_stat {
    uint64_t utime, stime;   /* clock ticks */
    uint64_t threads;
    uint64_t rss_pages;
    int have;
} nlog__proc_stat;

/* /proc/meminfo, in bytes. */
typedef struct nlog__meminfo {
    uint64_t total, available, free, buffers, cached;
    int have_total, have_available;
} nlog__meminfo;

/* /proc/self/status. */
typedef struct nlog__proc_status {
    uint64_t rss_bytes;      /* VmRSS */
    uint64_t threads;
    int have_rss, have_threads;
} nlog__proc_status;

#define NLOG__DEV_NAME_MAX 32 /* bytes of a device or interface name, with the NUL */

/* One line of /proc/diskstats. */
typedef struct nlog__disk {
    char name[NLOG__DEV_NAME_MAX];
    unsigned major, minor;
    uint64_t reads, read_sectors, writes, write_sectors;
} nlog__disk;

/* One interface of /proc/net/dev. */
typedef struct nlog__netif {
    char name[NLOG__DEV_NAME_MAX];
    uint64_t rx_bytes, rx_packets, rx_errors, rx_drops;
    uint64_t tx_bytes, tx_packets, tx_errors, tx_drops;
} nlog__netif;

/* File-system space (from statvfs), in bytes. */
typedef struct nlog__fs_usage {
    uint64_t total, free, available;
    double used_percent;     /* as df: used / (used + available) */
    int have;
} nlog__fs_usage;

void nlog__parse_proc_stat_cpu(const char *text, size_t len, nlog__cpu_times *out);
void nlog__parse_proc_self_stat(const char *text, size_t len, nlog__proc_stat *out);
void nlog__parse_meminfo(const char *text, size_t len, nlog__meminfo *out);
void nlog__parse_proc_status(const char *text, size_t len, nlog__proc_status *out);
/* The three averages; returns 1 if all were found. */
int nlog__parse_loadavg(const char *text, size_t len, double out[3]);
/* Fills at most `max` entries; returns how many. */
size_t nlog__parse_diskstats(const char *text, size_t len, nlog__disk *out, size_t max);
size_t nlog__parse_net_dev(const char *text, size_t len, nlog__netif *out, size_t max);

/* Space from statvfs fields: block counts in units of frsize (bsize when
 * frsize is 0). Saturates instead of overflowing; nonsense (free > total)
 * is clamped. */
void nlog__fs_usage_from(uint64_t frsize, uint64_t bsize, uint64_t blocks, uint64_t bfree,
                         uint64_t bavail, nlog__fs_usage *out);

/* How much a counter grew from `prev` to `cur`, for counters the kernel
 * keeps in `bits` bits (64, or 32 on 32-bit kernels: see
 * nlog__sys_counter_bits()). Returns 0 and sets *ret_unknown when the delta
 * cannot be told:
 *   - either value saturated at UINT64_MAX (the text had more than 64 bits:
 *     the real values are unknown);
 *   - the counter went down and is not a 32-bit counter that wrapped: it was
 *     reset (the interface or device was re-created, the module reloaded).
 * With bits == 32, a counter that went down wrapped if it looks like a
 * 32-bit counter near its end (prev in the upper half of the 32-bit range,
 * cur within it): the delta is measured across 2^32. With 64-bit counters a
 * decrease is always a reset (a wrap would take centuries). */
uint64_t nlog__counter_delta(uint64_t prev, uint64_t cur, int bits, int *ret_unknown);

/* Machine CPU use in percent (0..100) between two samples; -1 when no time
 * passed or a counter other than iowait went backwards (CPUs went offline).
 * iowait may decrease (the kernel says so in proc(5)): its delta then
 * counts as 0. */
double nlog__cpu_percent(const nlog__cpu_times *a, const nlog__cpu_times *b);

#endif /* NLOG_PERF_PROCPARSE_H */
