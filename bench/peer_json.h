/* peer_json.h: pieces of the reference JSON line for the peers whose output
 * format is our code rather than theirs: the log4c layout, the GLib writer
 * function and the fprintf baseline. They share these helpers so that none
 * of them is faster or slower than the others for reasons of ours. Like the
 * library, they cache per thread what does not change per record: the
 * date-time of the current second, the process id and the thread id. */
#ifndef NLOG_BENCH_PEER_JSON_H
#define NLOG_BENCH_PEER_JSON_H

#include <stddef.h>
#include <stdint.h>

/* "2026-11-24T00:43:51.994827Z" and its NUL. */
#define BENCH_STAMP_SIZE 28

/* Writes the UTC time sec.usec as above into out; returns its length (27). */
size_t bench_utc_stamp(char *out, int64_t sec, long usec);

/* The same for the current CLOCK_REALTIME. */
size_t bench_utc_now(char *out);

/* The process id and the calling thread's kernel id, cached. */
int bench_pid(void);
int bench_tid(void);

/* The level names of our JSON lines, for the peers' own level values. */
#define BENCH_LEVEL_INFO  "INFO"
#define BENCH_LEVEL_DEBUG "DEBUG"

#endif /* NLOG_BENCH_PEER_JSON_H */
