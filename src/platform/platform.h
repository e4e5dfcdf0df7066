/* platform.h: the operating-system seam. Everything the library asks of the
 * OS that tests need to control (clocks) or that differs between systems
 * (thread ids) goes through here; src/platform/linux/ is the only place with
 * OS-specific code.
 * Tested by: tests/unit/core/test_platform.c */
#ifndef NLOG_PLATFORM_H
#define NLOG_PLATFORM_H

#include <stdint.h>

typedef int64_t (*nlog__clock_fn)(void);

/* Wall clock in ns since the Unix epoch (UTC). */
int64_t nlog__clock_realtime_ns(void);
/* Monotonic clock in ns, for intervals and retry pacing. */
int64_t nlog__clock_monotonic_ns(void);
/* Replaces the clocks (NULL restores the system clock). For tests only:
 * not thread-safe against concurrent clock reads of the replaced clock. */
void nlog__clock_override(nlog__clock_fn realtime, nlog__clock_fn monotonic);

/* The calling thread's kernel id, cached per thread. */
int64_t nlog__thread_id(void);
/* The process id, refreshed in the child after fork(). */
int64_t nlog__process_id(void);



/* System calls that tests replace to inject faults (short writes, ENOSPC,
 * EIO), in the manner of SQLite's aSyscall[] table. */
#include <sys/types.h>
typedef ssize_t (*nlog__write_fn)(int fd, const void *buf, size_t len);
extern nlog__write_fn nlog__sys_write;

/* The value of an environment variable, or NULL. The one place library code
 * reads the environment outside src/config/. */
const char *nlog__env(const char *name);

/* The user the process runs as ("alice", or "uid:1000" without a name). */
void nlog__process_user(char *buf, size_t size);
/* Where the process's own actions come from: "host/program[pid]". */
void nlog__process_origin(char *buf, size_t size);

/* Creates `path` and its missing parents with `mode`. Returns 0 or an errno. */
int nlog__mkdir_p(const char *path, unsigned mode);
#endif /* NLOG_PLATFORM_H */
