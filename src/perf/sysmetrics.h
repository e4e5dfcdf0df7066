/* sysmetrics.h (internal): the system collector. Each collection reads
 * /proc and statvfs (through platform/sysinfo.h), parses the texts
 * (procparse.h) and turns them, with the previous collection, into values:
 *
 *   machine and process   cpu_usage (percent of all CPUs), process_cpu_usage
 *                         (percent of one CPU), load_average_1m/5m/15m,
 *                         memory_total, memory_available (bytes),
 *                         memory_usage (percent used), process_memory_rss
 *                         (bytes), process_open_fds, process_threads,
 *                         disk_total, disk_available (bytes) and disk_usage
 *                         (percent) of the file system holding `directory`
 *   per disk (device=)    disk_read_bytes_per_second, disk_write_bytes_per_second,
 *                         disk_read_ops_per_second, disk_write_ops_per_second
 *   per interface         network_receive_bytes_per_second,
 *   (interface=)          network_transmit_bytes_per_second,
 *                         network_receive_packets_per_second,
 *                         network_transmit_packets_per_second,
 *                         network_receive_errors, network_transmit_errors
 *                         (errors since the previous collection)
 *
 * Rates need two collections: the first one only takes a baseline. A device
 * or interface seen for the first time, or whose counters were reset or
 * saturated (procparse.h: nlog__counter_delta()), gets its rates from the
 * next collection on; one that disappeared is dropped. Counters wrap at 2^32
 * only on 32-bit kernels (nlog__sys_counter_bits()).
 * Disks are the whole devices of /sys/block other than loop, ram, zram, sr
 * and fd devices.
 * Thread-safety: one collector is used by one thread at a time.
 * Tested by: tests/unit/perf/test_sysmetrics.c */
#ifndef NLOG_PERF_SYSMETRICS_H
#define NLOG_PERF_SYSMETRICS_H

#include <stddef.h>
#include <stdint.h>

#include "perf/procparse.h"

enum { NLOG__SYS_MACHINE = 0, NLOG__SYS_DISK = 1, NLOG__SYS_NET = 2 };

typedef struct nlog__sysval {
    const char *name;                   /* a static string */
    const char *unit;                   /* a static string */
    const char *tag_key;                /* NULL, "device" or "interface" */
    char tag_value[NLOG__DEV_NAME_MAX]; /* "" without a tag */
    double value;
    int group;                          /* NLOG__SYS_* */
} nlog__sysval;

typedef struct nlog__sysm_out {
    nlog__sysval *v;
    size_t n, cap;
} nlog__sysm_out;

typedef struct nlog__sysm nlog__sysm;

nlog__sysm *nlog__sysm_create(void);
void nlog__sysm_destroy(nlog__sysm *s);

/* Takes a snapshot at monotonic time `mono_ns` and appends the values it
 * can compute to *out (which the caller zero-initialises and frees with
 * nlog__sysm_out_free()). Returns how many sources could not be read. */
int nlog__sysm_collect(nlog__sysm *s, const char *directory, int64_t mono_ns,
                       nlog__sysm_out *out);

void nlog__sysm_out_free(nlog__sysm_out *out);

/* The width of the kernel's counters: 32 or 64 (any other value: the
 * platform's, nlog__sys_counter_bits()). Tests use 32 on a 64-bit machine.
 * May be called while another thread collects. */
void nlog__sysm_set_counter_bits(nlog__sysm *s, int bits);

/* The value called `name` (with tag value `tag`, or any when NULL), or NULL. */
const nlog__sysval *nlog__sysm_find(const nlog__sysm_out *out, const char *name,
                                    const char *tag);

#endif /* NLOG_PERF_SYSMETRICS_H */
