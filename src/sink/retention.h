/* retention.h: the maintenance of rotated segments (recovery, compression,
 * retention) and the one background thread per process that runs it.
 *
 * A file sink with rotation registers a job (its directory, file name and
 * nlog__rot_policy) when it is created and kicks it after each rotation; the
 * thread is started by the first kick, runs a pass per kicked job, retries
 * skipped work about once a second, and is stopped and joined when the last
 * job is unregistered (the sinks' destroy, i.e. nlog_shutdown()). After
 * fork() the child has no thread; its next kick starts one.
 * Tested by: tests/unit/sink/test_retention.c, test_compress.c */
#ifndef NLOG_SINK_RETENTION_H
#define NLOG_SINK_RETENTION_H

#include <stdint.h>

#include <nlog/status.h>

#include "internal/compiler.h"
#include "sink/rotate.h"

typedef struct nlog__maint_job nlog__maint_job;

/* Registers the segments of `name` in `dir`. Does not start the thread. */
NLOG_NODISCARD nlog_status nlog__maint_register(const char *dir, const char *name,
                                                const nlog__rot_policy *pol,
                                                nlog__maint_job **ret_job);
/* Asks for a pass over the job soon; starts the thread if needed. Cheap;
 * safe from any thread, including under a sink's lock. */
void nlog__maint_kick(nlog__maint_job *job);
/* Cancels the job's running pass (a compression in progress is abandoned,
 * leaving the original), waits for it, frees the job; stops and joins the
 * thread when it was the last job. NULL is a no-op. */
void nlog__maint_unregister(nlog__maint_job *job);

/* One pass, synchronously on the calling thread: recovery (leftover .tmp
 * files; originals whose complete compressed file exists), compression of
 * every rotated segment not held by a writer (if pol->compress), then
 * retention at time `now_ns` (realtime). `cancel` may be NULL. Returns 1 if
 * something was skipped or failed and deserves another pass later, else 0.
 * A problem is reported through nlog__diag() when *reported is 0 (then set
 * to 1; a clean pass resets it; NULL: always) and always counted. */
int nlog__maint_pass(const char *dir, const char *name, const nlog__rot_policy *pol,
                     int64_t now_ns, const int *cancel, int *reported);

/* Test hook: the number of maintenance threads running in this process (0 or 1). */
int nlog__maint_running(void);
/* Test hook: waits (on a condition, no polling) until no job is pending or
 * in a pass; retries scheduled for later do not count. */
void nlog__maint_test_wait_idle(void);

#endif /* NLOG_SINK_RETENTION_H */
