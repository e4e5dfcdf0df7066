/* sysinfo.h: what the system collector (src/perf/sysmetrics.c) reads from
 * the operating system: text files of /proc, directory listings, statvfs,
 * and a few sysconf values. Only the reading is here; the parsing is pure
 * code in src/perf/procparse.c.
 *
 * Tests point the readers at a fixture tree (tests/data/proc/<case>/, with
 * proc/... and sys/block/... inside) with nlog__sys_set_root().
 * Thread-safety: every function may be called from any thread.
 * Tested by: tests/unit/perf/test_sysmetrics.c */
#ifndef NLOG_PLATFORM_SYSINFO_H
#define NLOG_PLATFORM_SYSINFO_H

#include <stddef.h>
#include <stdint.h>

/* Reads the file `path` ("/proc/stat"; below the root) into buf, at most
 * cap - 1 bytes, NUL-terminated; *ret_len receives the length. Returns 0 or
 * an errno value. A longer file is cut at cap - 1 bytes (the parsers skip a
 * cut last line). */
int nlog__sys_read(const char *path, char *buf, size_t cap, size_t *ret_len);

/* Number of entries (excluding . and ..) of the directory `path`. */
int nlog__sys_count_dir(const char *path, uint64_t *ret_count);

/* Descriptors the process has open (entries of /proc/self/fd below the
 * root, not counting the one this count itself opens). */
int nlog__sys_open_fds(uint64_t *ret_count);

/* The entry names of the directory `path`, each NUL-terminated, one after
 * the other in buf; *ret_n receives how many fit. */
int nlog__sys_list_dir(const char *path, char *buf, size_t cap, size_t *ret_n);

/* statvfs() of `path` (not below the root: a real file system). */
int nlog__sys_statvfs(const char *path, uint64_t *ret_frsize, uint64_t *ret_bsize,
                      uint64_t *ret_blocks, uint64_t *ret_bfree, uint64_t *ret_bavail);

/* The device numbers of the file system holding `path`. */
int nlog__sys_dev_of(const char *path, unsigned *ret_major, unsigned *ret_minor);

/* sysconf(_SC_CLK_TCK), the page size, and the online CPUs (each >= 1). */
long nlog__sys_clock_ticks(void);
long nlog__sys_page_size(void);
long nlog__sys_cpus(void);

/* The width in bits of the counters the kernel keeps for network
 * interfaces and disks (`unsigned long` of the kernel, from uname's
 * machine): 64 on 64-bit kernels, whatever the process is, else 32. */
int nlog__sys_counter_bits(void);

/* The host name (gethostname), NUL-terminated, "localhost" if unknown. */
void nlog__sys_hostname(char *buf, size_t size);

/* Tests: prefix every path of nlog__sys_read / _count_dir / _list_dir with
 * `root` (NULL or "" restores "/"). */
void nlog__sys_set_root(const char *root);

#endif /* NLOG_PLATFORM_SYSINFO_H */
