/* engine.h (internal): the aggregation thread and the recording buffers.
 *
 * Every thread that records gets its own bounded ring (async/ring.h, the
 * data structure only; none of src/async's state). Entries are samples:
 * a handle sample names its series by pointer; a named sample carries the
 * metric name, unit and tags as bytes. The aggregation thread drains every
 * ring, ingests the samples into the store (store.h) and evaluates alerts
 * under the store lock, then — with no lock held — logs the performance
 * records, calls alert callbacks and queues notifications (notify.h). It
 * also runs the system collector (sysmetrics.h) when it is due.
 *
 * Lock order: lifecycle config lock > state lock > async > registry >
 * engine lock > store lock > notify lock. The aggregation thread never holds
 * the engine or store lock while it logs or calls back.
 * Tested by: tests/unit/perf/test_engine.c, test_concurrency_perf.c */
#ifndef NLOG_PERF_ENGINE_H
#define NLOG_PERF_ENGINE_H

#include <stdint.h>

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
/* Wakes the aggregation thread if it sleeps (a ring is filling up). */
void nlog__perf_nudge(void);
/* Starts the aggregation thread if it is not running. */
void nlog__perf_ensure_running(void);
/* Whether the caller is the aggregation thread. */
int nlog__perf_is_aggregator(void);
/* Reports an allocation failure once. */
void nlog__perf_report_oom(const char *what);

/* Tests: holds the aggregation thread before its next pass (1) or lets it
 * go (0). A flush waits while it is held. */
void nlog__perf_test_pause(int pause);
/* Tests: the monotonic time the system collector next runs at. */
int64_t nlog__perf_next_collect_ns(void);

#endif /* NLOG_PERF_ENGINE_H */
