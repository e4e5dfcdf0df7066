/* collector.h (internal): the system collector's own thread.
 *
 * Reading /proc and calling statvfs() can block (a hung NFS mount holds
 * statvfs() for minutes), so the collections run on a thread of their own,
 * never on the aggregation thread: a blocked collection delays only the
 * next collection. The thread takes a baseline snapshot when it starts, then
 * a collection every `interval_ns` of the injectable monotonic clock
 * (platform.h), and leaves each result in a one-slot mailbox for the
 * aggregation thread (a newer result replaces one not yet taken), which
 * ingests it like the samples (series, alerts, records) and then takes the
 * next. The thread touches no logger, store or alert: only its own object,
 * the engine's counters and the aggregator's wake-up.
 *
 * Stopping waits for the thread a bounded time; a thread still inside a
 * blocked system call is then abandoned (detached), and frees its object
 * itself when the call returns.
 * Thread-safety: every function may be called from any thread; the caller
 * (engine.c) serialises start, set and stop.
 * Tested by: tests/unit/perf/test_sysmetrics.c */
#ifndef NLOG_PERF_COLLECTOR_H
#define NLOG_PERF_COLLECTOR_H

#include <stdint.h>

#include "perf/sysmetrics.h"

typedef struct nlog__collector nlog__collector;

/* Starts the thread; NULL if it or its memory could not be had. */
nlog__collector *nlog__collector_start(const char *directory, int64_t interval_ns);
/* Applies a new directory and interval (a changed interval counts from now). */
void nlog__collector_set(nlog__collector *c, const char *directory, int64_t interval_ns);
/* Stops the thread: waits at most wait_ns (real time) for it, then abandons it. */
void nlog__collector_stop(nlog__collector *c, int64_t wait_ns);
/* Aggregation thread: moves a waiting collection into *out (zeroed by the
 * caller; free it with nlog__sysm_out_free()) and its monotonic time into
 * *ret_t. Returns 1 if there was one. */
int nlog__collector_take(nlog__collector *c, nlog__sysm_out *out, int64_t *ret_t);
/* The monotonic time of the next collection (0: the baseline is due). */
int64_t nlog__collector_next(nlog__collector *c);
/* Tests: makes the thread look at the clock now and waits (at most
 * timeout_ns of real time) until nothing is due. Returns 0, or -1 on
 * timeout. */
int nlog__collector_sync(nlog__collector *c, int64_t timeout_ns);
/* Tests: counters as a 32-bit kernel has them (wraps at 2^32), or 0 for
 * the platform's own width. */
void nlog__collector_test_counter_bits(nlog__collector *c, int bits);

/* fork(): prepare/parent take and release the object's lock; in the child,
 * where the thread does not exist, discard frees the object. */
void nlog__collector_atfork_prepare(nlog__collector *c);
void nlog__collector_atfork_parent(nlog__collector *c);
void nlog__collector_atfork_child_discard(nlog__collector *c);

#endif /* NLOG_PERF_COLLECTOR_H */
