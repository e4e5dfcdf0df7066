/* engine.h (internal): the aggregation thread and the recording buffers.
 *
 * Every thread that records gets its own bounded ring (async/ring.h, the
 * data structure only; none of src/async's state). Entries are samples:
 * a handle sample names its series by pointer; a named sample carries the
 * metric name, unit and tags as bytes. The aggregation thread drains the
 * rings merged in time order, ingests the samples into the store (store.h)
 * and evaluates alerts under the store lock, then — with no lock held —
 * logs the performance records, calls alert callbacks and queues
 * notifications (notify.h). It also ingests what the system collector
 * (collector.h, its own thread) has collected.
 *
 * Lock order: lifecycle config lock > state lock > async > registry >
 * engine lock > collector lock > store lock > notify lock > alert dispatch
 * lock. The aggregation thread never holds the engine or store lock while it
 * logs or calls back.
 * Tested by: tests/unit/perf/test_engine.c, test_alert.c, test_concurrency_perf.c */
#ifndef NLOG_PERF_ENGINE_H
#define NLOG_PERF_ENGINE_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

#include <nlog/nlog.h>

#include "async/ring.h"

#define NLOG__PS_HANDLE 1 /* ring entry kinds */
#define NLOG__PS_NAMED 2

/* Header shared by both entry kinds. Entries are at most 4096 bytes. */
typedef struct nlog__psent {
    nlog__ring_hdr h;
    int64_t t_ns;        /* monotonic */
    double value;
} nlog__psent;

typedef struct nlog__psent_handle {
    nlog__psent s;
    struct nlog_metric *m;
} nlog__psent_handle;

/* Followed by: uint16_t key/value lengths (2 per tag), then the name, unit,
 * and each tag's key and value bytes (no NULs), padded to 8. */
typedef struct nlog__psent_named {
    nlog__psent s;
    uint8_t kind;        /* nlog_metric_kind */
    uint8_t n_tags;
    uint16_t name_len;
    uint16_t unit_len;
    uint16_t reserved;
} nlog__psent_named;

/* nlog_perf_record() / nlog_metric_observe() with the sample's monotonic
 * time given (0: read the clock), so a timer reuses its stop reading. */
nlog_status nlog__perf_record_at(const char *name, nlog_metric_kind kind, double value,
                                 const char *unit, const nlog_tag *tags, size_t n_tags,
                                 int64_t t_ns);
nlog_status nlog__perf_observe_at(struct nlog_metric *m, double value, int64_t t_ns);

/* Called from src/core/lifecycle.c (with its configuration lock held). */
void nlog__perf_configure(const nlog_config *cfg);
void nlog__perf_stop(void);
void nlog__perf_atfork_prepare(void);
void nlog__perf_atfork_parent(void);
void nlog__perf_atfork_child(void);

/* The calling thread's ring, created on first use (which initialises the
 * library if nothing did yet); NULL if memory ran out. */
nlog__ring *nlog__perf_ring(void);
/* Counts a sample dropped on a full ring (the recording thread). */
void nlog__perf_count_drop(void);
/* Counts a sample refused before it reached the store (a bad name in a
 * timer, ...). */
void nlog__perf_count_rejected(void);
/* Asks for a pass soon (a ring is filling up): once per pass, a semaphore
 * post, no lock; it wakes the aggregation thread only if it sleeps. */
void nlog__perf_nudge(void);
/* Wakes the aggregation thread (a semaphore post: no lock). */
void nlog__perf_wake(void);
/* Starts the aggregation thread if it is not running. */
void nlog__perf_ensure_running(void);
/* Whether the caller is the aggregation thread. */
int nlog__perf_is_aggregator(void);
/* Marks the calling thread as one of this module's own (aggregation,
 * collector, notification delivery), and whether the caller is one: user
 * code there (alert and diagnostics callbacks) must not stop or reconfigure
 * the library (lifecycle.c refuses). */
void nlog__perf_mark_own_thread(void);
int nlog__perf_on_own_thread(void);
/* Reports an allocation failure once. */
void nlog__perf_report_oom(const char *what);
/* Counts a system collection and the sources it could not read. */
void nlog__perf_count_collection(int errors);

/* A condition variable whose timed waits use CLOCK_MONOTONIC, and the
 * absolute deadline `ns` from now on that clock (the system's: real time
 * passes for these waits even when a test fakes the library's clocks). */
void nlog__perf_cond_init(pthread_cond_t *cv);
void nlog__perf_deadline(struct timespec *ts, int64_t ns);

/* How long nlog_perf_flush() waits at most (NLOG_ETIMEDOUT after that). */
#define NLOG__PERF_FLUSH_TIMEOUT_NS (10 * 1000000000LL)

/* Tests: holds the aggregation thread before its next pass (1: returns
 * once it is held, if it runs) or lets it go (0). A flush waits (bounded)
 * while it is held. */
void nlog__perf_test_pause(int pause);
/* Tests: the monotonic time the system collector next runs at (0: its
 * baseline is due, or no collector). */
int64_t nlog__perf_next_collect_ns(void);
/* Tests: lets the collector handle what is due at the current (fake)
 * monotonic time, then flushes. Returns NLOG_OK or NLOG_ETIMEDOUT. */
nlog_status nlog__perf_test_collect_sync(void);
/* Tests: the collector's counters wrap at 2^bits (32 or 64; 0: platform). */
void nlog__perf_test_counter_bits(int bits);
/* Tests: nlog_perf_flush()'s bound (0 restores the default). */
void nlog__perf_test_flush_timeout(int64_t ns);
/* Tests: the most alert events one pass held at once. */
size_t nlog__perf_test_max_events(void);

#endif /* NLOG_PERF_ENGINE_H */
