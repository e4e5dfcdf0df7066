/* timer.c: start/stop timers and the cleanup behind NLOG_TIMED and
 * NLOG_TIME_SCOPE. A timer is caller-owned storage; starting reads the
 * monotonic clock, stopping reads it again and records the difference (in
 * seconds, at nanosecond resolution) with that second reading as the sample
 * time, so a timer costs two clock reads and one recording. A timer whose
 * sample is refused (a bad name, a handle of another kind) has no caller to
 * tell: it is counted in samples_rejected and reported once.
 * Tested by: tests/unit/perf/test_engine.c, bench/perf/bench_perf.c */
#include "core/core.h"
#include "internal/diag.h"
#include "perf/engine.h"
#include "perf/store.h"
#include "platform/platform.h"

enum { IDLE = 0, RUNNING = 1, RUNNING_PAST_BLOCK = 2, STOPPED = 3 };

void nlog_timer_start(nlog_timer *t, const char *name, const nlog_tag *tags, size_t n_tags)
{
    if (!t)
        return;
    t->name = name;
    t->tags = tags;
    t->n_tags = n_tags;
    t->metric = NULL;
    t->state = RUNNING;
    t->start_ns = nlog__clock_monotonic_ns();
}

void nlog_timer_start_metric(nlog_timer *t, nlog_metric *m)
{
    if (!t)
        return;
    t->name = NULL;
    t->tags = NULL;
    t->n_tags = 0;
    t->metric = m;
    t->state = RUNNING;
    t->start_ns = nlog__clock_monotonic_ns();
}

nlog_timer nlog__timer_begin(const char *name, const nlog_tag *tags, size_t n_tags)
{
    nlog_timer t;
    nlog_timer_start(&t, name, tags, n_tags);
    return t;
}

static int running(const nlog_timer *t)
{
    return t && (t->state == RUNNING || t->state == RUNNING_PAST_BLOCK);
}

double nlog_timer_elapsed(const nlog_timer *t)
{
    if (!running(t))
        return -1.0;
    int64_t d = nlog__clock_monotonic_ns() - t->start_ns;
    return d > 0 ? (double) d / 1e9 : 0.0;
}

double nlog_timer_stop(nlog_timer *t)
{
    if (!running(t))
        return -1.0;
    int64_t now = nlog__clock_monotonic_ns();
    t->state = STOPPED;
    int64_t d = now - t->start_ns;
    double secs = d > 0 ? (double) d / 1e9 : 0.0;
    nlog_status st;
    if (t->metric) {
        if (t->metric->fam->kind != NLOG_METRIC_TIMER) {
            nlog__set_errmsg("metric '%s' is a %s, not a timer: a timer started on its handle "
                             "records nothing",
                             t->metric->fam->name, nlog__kind_name(t->metric->fam->kind));
            st = NLOG_EINVAL;
        } else {
            st = nlog__perf_observe_at(t->metric, secs, now);
        }
    } else {
        st = nlog__perf_record_at(t->name, NLOG_METRIC_TIMER, secs, "seconds", t->tags,
                                  t->n_tags, now);
    }
    if (st == NLOG_EINVAL) {
        /* A macro-form timer has no caller to return this to: say it once. */
        static int reported;
        nlog__perf_count_rejected();
        if (!__atomic_exchange_n(&reported, 1, __ATOMIC_RELAXED))
            nlog__diag(NLOG_DIAG_INPUT, NLOG_EINVAL, 0, "timer",
                       "%s; the timer's sample was dropped (further rejected timer samples are "
                       "only counted, in samples_rejected)",
                       nlog_errmsg());
    }
    return secs;
}

void nlog_timer_cancel(nlog_timer *t)
{
    if (t)
        t->state = STOPPED;
}

void nlog_timer_cleanup(nlog_timer *t)
{
    if (running(t))
        (void) nlog_timer_stop(t);
}
