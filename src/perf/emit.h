/* emit.h (internal): the records of category `performance` that samples,
 * alert transitions and system snapshots become. They go through the normal
 * logging API (logger "performance"), so they reach the files, the console,
 * the server and the live stream like any other record. Called by the
 * aggregation thread with no library lock held.
 * Tested by: tests/unit/perf/test_engine.c, test_sysmetrics.c */
#ifndef NLOG_PERF_EMIT_H
#define NLOG_PERF_EMIT_H

#include <nlog/nlog.h>

#include "perf/alert.h"
#include "perf/store.h"
#include "perf/sysmetrics.h"

/* One sample of series s: message "<metric> took 4.512 ms" (timers) or
 * "<metric> = <value> <unit>", context = the tags, metadata = metric, type
 * and unit, performance_data = {<metric>: value}. */
nlog_status nlog__perf_emit_sample(nlog_logger *lg, nlog_level level, const nlog__series *s,
                                   double value);

/* A transition: WARNING for firing, INFO for resolved. */
nlog_status nlog__perf_emit_alert(nlog_logger *lg, const nlog__alert_ev *ev);

/* One INFO record for the machine and process metrics of a collection, and
 * one per disk device and network interface. Returns how many it logged. */
uint64_t nlog__perf_emit_system(nlog_logger *lg, const nlog__sysm_out *out);

#endif /* NLOG_PERF_EMIT_H */
