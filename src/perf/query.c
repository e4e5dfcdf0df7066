/* query.c: nlog_perf_query_run() and its helpers: a window's summary and
 * trend over the series of one metric that carry a tag filter.
 * Tested by: tests/unit/perf/test_window.c */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "perf/names.h"
#include "perf/query.h"
#include "perf/store.h"
#include "perf/window.h"
#include "platform/platform.h"

#define DEFAULT_WINDOW_NS (5 * NLOG__MINUTE_NS)

void nlog_perf_query_init(nlog_perf_query *q)
{
    if (!q)
        return;
    memset(q, 0, sizeof *q);
    q->struct_size = sizeof *q;
    q->window_ns = DEFAULT_WINDOW_NS;
    q->stable_percent = 5.0;
}

const char *nlog_trend_name(nlog_trend_direction d)
{
    switch (d) {
    case NLOG_TREND_STABLE: return "stable";
    case NLOG_TREND_RISING: return "rising";
    case NLOG_TREND_FALLING: return "falling";
    case NLOG_TREND_UNKNOWN: break;
    }
    return "unknown";
}

int nlog__series_matches(const nlog__series *s, const nlog_tag *tags, size_t n_tags)
{
    for (size_t i = 0; i < n_tags; i++) {
        size_t j = 0;
        while (j < s->n_tags && strcmp(s->tags[j].key, tags[i].key) != 0)
            j++;
        if (j == s->n_tags || strcmp(s->tags[j].value, tags[i].value) != 0)
            return 0;
    }
    return 1;
}

int64_t nlog__perf_clamp_now(int64_t now)
{
    return now < 0 ? 0 : now > NLOG_PERF_END_MAX ? NLOG_PERF_END_MAX : now;
}

nlog_status nlog__perf_window(const nlog__family *f, nlog__series *const *series, size_t n,
                              int64_t t0, int64_t t1, double stable_percent,
                              nlog_perf_summary *ret_summary, nlog_perf_trend *ret_trend,
                              nlog__wacc *cur, nlog__wacc *prev)
{
    int64_t w = t1 - t0;
    nlog__wacc_clear(cur, t0);
    nlog__wacc_clear(prev, t0 - w);
    for (size_t i = 0; i < n; i++) {
        nlog__wacc_add_series(cur, series[i], t0, t1);
        if (ret_trend)
            nlog__wacc_add_series(prev, series[i], t0 - w, t0);
    }
    if (ret_summary) {
        nlog__wacc_summary(cur, f->kind, t0, t1, ret_summary);
        ret_summary->series = (uint32_t) n;
    }
    if (ret_trend)
        nlog__wacc_trend(cur, prev, t0, t1, stable_percent, ret_trend);
    return NLOG_OK;
}

nlog_status nlog_perf_query_run(const nlog_perf_query *q, nlog_perf_summary *ret_summary,
                                nlog_perf_trend *ret_trend)
{
    nlog__clear_errmsg();
    if (!q || q->struct_size < sizeof(nlog_perf_query)) {
        nlog__set_errmsg("nlog_perf_query_run: the query is NULL or was not set up with "
                         "nlog_perf_query_init()");
        return NLOG_EINVAL;
    }
    long name_len = nlog__perf_name_len(q->metric);
    if (name_len < 0) {
        nlog__set_errmsg("nlog_perf_query_run: invalid metric name '%.64s'",
                         q->metric ? q->metric : "(null)");
        return NLOG_EINVAL;
    }
    nlog__perf_lens lens;
    if (nlog__perf_check(q->metric, NULL, q->tags, q->n_tags, &lens) != NLOG_OK)
        return NLOG_EINVAL;
    if (q->window_ns <= 0 || q->window_ns > NLOG_PERF_WINDOW_MAX || q->end_ns < 0 ||
        q->end_ns > NLOG_PERF_END_MAX || !(q->stable_percent >= 0)) {
        nlog__set_errmsg("nlog_perf_query_run: window_ns must be 1 .. %lld (100 years), end_ns "
                         "0 .. %lld (2100-01-01) and stable_percent >= 0",
                         (long long) NLOG_PERF_WINDOW_MAX, (long long) NLOG_PERF_END_MAX);
        return NLOG_EINVAL;
    }
    (void) nlog_perf_flush(); /* every sample recorded before this call (bounded) */
    int64_t end = q->end_ns ? q->end_ns : nlog__perf_clamp_now(nlog__clock_realtime_ns());
    /* both bounds keep t1, t0 and the previous window's start (t0 - window)
     * far inside int64_t */
    int64_t t1 = end + 1, t0 = t1 - q->window_ns;

    nlog__wacc cur, prev;
    if (nlog__wacc_init(&cur, t0, ret_summary != NULL) != NLOG_OK)
        return NLOG_ENOMEM;
    (void) nlog__wacc_init(&prev, t0 - q->window_ns, 0);
    nlog_status st = NLOG_OK;
    nlog__store_lock();
    nlog__family *f = nlog__store_family(q->metric, (size_t) name_len);
    nlog__series **list = NULL;
    size_t n = 0;
    if (f) {
        list = malloc((f->n_series ? f->n_series : 1) * sizeof *list);
        if (!list)
            st = NLOG_ENOMEM;
        for (nlog__series *s = f->series; list && s; s = s->fnext)
            if (nlog__series_matches(s, q->tags, q->n_tags))
                list[n++] = s;
    }
    if (st == NLOG_OK && n == 0) {
        st = NLOG_ENOTFOUND;
        nlog__set_errmsg("no series of metric '%s'%s", q->metric,
                         q->n_tags ? " with those tags" : "");
    }
    if (st == NLOG_OK)
        st = nlog__perf_window(f, list, n, t0, t1, q->stable_percent, ret_summary, ret_trend,
                               &cur, &prev);
    nlog__store_unlock();
    free(list);
    nlog__wacc_free(&cur);
    nlog__wacc_free(&prev);
    return st;
}

void nlog_perf_free(void *p)
{
    free(p);
}
