/* export_prom.c: nlog_perf_prometheus(), the Prometheus text exposition
 * (format 0.0.4) of every series and of the library's own counters.
 *
 *   timers, values   summary: {quantile="0.5|0.9|0.95|0.99"} over the last
 *                    5 minutes, then _sum and _count since the series began
 *   gauges           the last value
 *   counters         the total, named <name>_total (unless it already ends so)
 *
 * Label values are escaped as the format requires (\\, \", \n) and kept
 * valid UTF-8 (ill-formed bytes become U+FFFD). Families come in name order
 * and series in tag order, so two scrapes of the same data are identical.
 * Tested by: tests/unit/perf/test_export.c */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/core.h"
#include "format/utf8.h"
#include "internal/diag.h"
#include "perf/query.h"
#include "perf/textbuf.h"
#include "platform/platform.h"

#define EXPORT_LIMIT (64u << 20)
#define QUANTILE_WINDOW_NS (5 * NLOG__MINUTE_NS)

static void prom_num(nlog__tbuf *b, double v)
{
    if (isnan(v))
        nlog__tbuf_str(b, "NaN");
    else if (isinf(v))
        nlog__tbuf_str(b, v > 0 ? "+Inf" : "-Inf");
    else
        nlog__tbuf_num(b, v);
}

static void label_value(nlog__tbuf *b, const char *s)
{
    const unsigned char *p = (const unsigned char *) s;
    size_t n = strlen(s);
    while (n > 0) {
        uint32_t cp;
        size_t k = nlog__utf8_next(p, n, &cp);
        if (cp == '\\')
            nlog__tbuf_add(b, "\\\\", 2);
        else if (cp == '"')
            nlog__tbuf_add(b, "\\\"", 2);
        else if (cp == '\n')
            nlog__tbuf_add(b, "\\n", 2);
        else if (cp == NLOG__UTF8_BAD)
            nlog__tbuf_add(b, NLOG__UTF8_REPLACEMENT, 3);
        else
            nlog__tbuf_add(b, (const char *) p, k);
        p += k;
        n -= k;
    }
}

/* {k="v",...[,extra_key="extra_value"]} or nothing. */
static void labels(nlog__tbuf *b, const nlog__series *s, const char *extra_key,
                   const char *extra_value)
{
    if (s->n_tags == 0 && !extra_key)
        return;
    nlog__tbuf_add(b, "{", 1);
    for (uint32_t i = 0; i < s->n_tags; i++) {
        nlog__tbuf_fmt(b, "%s%s=\"", i ? "," : "", s->tags[i].key);
        label_value(b, s->tags[i].value);
        nlog__tbuf_add(b, "\"", 1);
    }
    if (extra_key)
        nlog__tbuf_fmt(b, "%s%s=\"%s\"", s->n_tags ? "," : "", extra_key, extra_value);
    nlog__tbuf_add(b, "}", 1);
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

typedef struct prom_ctx {
    nlog__tbuf *b;
    nlog__wacc cur, prev;
    int64_t t0, t1;
} prom_ctx;

static void family(const nlog__family *f, nlog__series *const *series, size_t n, void *user)
{
    prom_ctx *x = user;
    nlog__tbuf *b = x->b;
    const char *type = f->kind == NLOG_METRIC_GAUGE     ? "gauge"
                       : f->kind == NLOG_METRIC_COUNTER ? "counter"
                                                        : "summary";
    const char *suffix = f->kind == NLOG_METRIC_COUNTER && !ends_with(f->name, "_total") ? "_total"
                                                                                         : "";
    nlog__tbuf_fmt(b, "# HELP %s%s %s%s%s\n", f->name, suffix, nlog__kind_name(f->kind),
                   f->unit[0] ? ", " : "", f->unit);
    nlog__tbuf_fmt(b, "# TYPE %s%s %s\n", f->name, suffix, type);
    for (size_t i = 0; i < n; i++) {
        const nlog__series *s = series[i];
        if (f->kind == NLOG_METRIC_GAUGE || f->kind == NLOG_METRIC_COUNTER) {
            nlog__tbuf_fmt(b, "%s%s", f->name, suffix);
            labels(b, s, NULL, NULL);
            nlog__tbuf_add(b, " ", 1);
            prom_num(b, f->kind == NLOG_METRIC_GAUGE ? s->last : s->sum);
            nlog__tbuf_add(b, "\n", 1);
            continue;
        }
        nlog_perf_summary sum;
        nlog__series *one = (nlog__series *) s;
        (void) nlog__perf_window(f, &one, 1, x->t0, x->t1, 5.0, &sum, NULL, &x->cur, &x->prev);
        static const char *const qn[4] = {"0.5", "0.9", "0.95", "0.99"};
        const double qv[4] = {sum.p50, sum.p90, sum.p95, sum.p99};
        for (int q = 0; q < 4; q++) {
            nlog__tbuf_str(b, f->name);
            labels(b, s, "quantile", qn[q]);
            nlog__tbuf_add(b, " ", 1);
            prom_num(b, qv[q]);
            nlog__tbuf_add(b, "\n", 1);
        }
        nlog__tbuf_fmt(b, "%s_sum", f->name);
        labels(b, s, NULL, NULL);
        nlog__tbuf_add(b, " ", 1);
        prom_num(b, s->sum);
        nlog__tbuf_fmt(b, "\n%s_count", f->name);
        labels(b, s, NULL, NULL);
        nlog__tbuf_add(b, " ", 1);
        nlog__tbuf_u64(b, s->count);
        nlog__tbuf_add(b, "\n", 1);
    }
}

static void counter(nlog__tbuf *b, const char *name, const char *help, uint64_t v)
{
    nlog__tbuf_fmt(b, "# HELP %s %s\n# TYPE %s counter\n%s ", name, help, name, name);
    nlog__tbuf_u64(b, v);
    nlog__tbuf_add(b, "\n", 1);
}

static void gauge(nlog__tbuf *b, const char *name, const char *help, uint64_t v)
{
    nlog__tbuf_fmt(b, "# HELP %s %s\n# TYPE %s gauge\n%s ", name, help, name, name);
    nlog__tbuf_u64(b, v);
    nlog__tbuf_add(b, "\n", 1);
}

static void self_metrics(nlog__tbuf *b)
{
    nlog_counters c;
    memset(&c, 0, sizeof c);
    c.struct_size = sizeof c;
    nlog_perf_counters p;
    memset(&p, 0, sizeof p);
    p.struct_size = sizeof p;
    if (nlog_stats(&c) == NLOG_OK) {
        nlog__tbuf_str(b, "# HELP nlog_records_total Records accepted, by level.\n"
                          "# TYPE nlog_records_total counter\n");
        for (int i = 0; i < NLOG_LEVEL_COUNT; i++) {
            nlog__tbuf_fmt(b, "nlog_records_total{level=\"%s\"} ",
                           nlog_level_name(nlog_level_from_index(i)));
            nlog__tbuf_u64(b, c.records[i]);
            nlog__tbuf_add(b, "\n", 1);
        }
        nlog__tbuf_str(b, "# HELP nlog_records_dropped_total Records dropped by a full queue, "
                          "by level.\n# TYPE nlog_records_dropped_total counter\n");
        for (int i = 0; i < NLOG_LEVEL_COUNT; i++) {
            nlog__tbuf_fmt(b, "nlog_records_dropped_total{level=\"%s\"} ",
                           nlog_level_name(nlog_level_from_index(i)));
            nlog__tbuf_u64(b, c.dropped[i]);
            nlog__tbuf_add(b, "\n", 1);
        }
        counter(b, "nlog_output_errors_total", "Failed output operations.", c.output_errors);
        counter(b, "nlog_records_failed_total", "Record deliveries an output could not make.",
                c.records_failed);
        counter(b, "nlog_records_truncated_total", "Records cut to fit max_record_size.",
                c.records_truncated);
    }
    if (nlog_perf_stats(&p) == NLOG_OK) {
        counter(b, "nlog_perf_samples_total", "Performance samples aggregated.", p.samples);
        counter(b, "nlog_perf_samples_dropped_total",
                "Samples dropped because a thread's buffer was full.", p.samples_dropped);
        counter(b, "nlog_perf_samples_rejected_total",
                "Samples refused: series or memory cap, kind conflict, bad name.",
                p.samples_rejected);
        gauge(b, "nlog_perf_series", "Series kept.", p.series);
        gauge(b, "nlog_perf_history_bytes", "Bytes the metric history takes.", p.history_bytes);
        counter(b, "nlog_perf_evicted_rollups_total", "Rollups evicted by the memory cap.",
                p.evicted_rollups);
        counter(b, "nlog_perf_evicted_samples_total", "Raw samples evicted by the memory cap.",
                p.evicted_samples);
        counter(b, "nlog_perf_alerts_fired_total", "Alert firings.", p.alerts_fired);
        counter(b, "nlog_perf_alerts_resolved_total", "Alert resolutions.", p.alerts_resolved);
        nlog__tbuf_str(b, "# HELP nlog_alert_notifications_total Alert e-mails and webhook "
                          "posts, by result.\n# TYPE nlog_alert_notifications_total counter\n");
        const char *res[4] = {"sent", "retried", "failed", "dropped"};
        uint64_t val[4] = {p.notifications_sent, p.notifications_retried,
                           p.notifications_failed, p.notifications_dropped};
        for (int i = 0; i < 4; i++) {
            nlog__tbuf_fmt(b, "nlog_alert_notifications_total{result=\"%s\"} ", res[i]);
            nlog__tbuf_u64(b, val[i]);
            nlog__tbuf_add(b, "\n", 1);
        }
    }
}

nlog_status nlog_perf_prometheus(char **ret_text, size_t *ret_len)
{
    nlog__clear_errmsg();
    if (!ret_text) {
        nlog__set_errmsg("nlog_perf_prometheus: ret_text is NULL");
        return NLOG_EINVAL;
    }
    nlog__ensure_init();
    (void) nlog_perf_flush();
    nlog__tbuf b;
    nlog__tbuf_init(&b, EXPORT_LIMIT);
    prom_ctx x;
    memset(&x, 0, sizeof x);
    x.b = &b;
    x.t1 = nlog__perf_clamp_now(nlog__clock_realtime_ns()) + 1;
    x.t0 = x.t1 - QUANTILE_WINDOW_NS;
    if (nlog__wacc_init(&x.cur, x.t0, 1) != NLOG_OK)
        return NLOG_ENOMEM;
    (void) nlog__wacc_init(&x.prev, x.t0, 0);
    nlog__store_lock();
    nlog_status st = nlog__store_each(family, &x);
    nlog__store_unlock();
    nlog__wacc_free(&x.cur);
    nlog__wacc_free(&x.prev);
    if (st == NLOG_OK)
        self_metrics(&b);
    if (st == NLOG_OK && b.failed)
        st = b.failed;
    if (st != NLOG_OK) {
        nlog__tbuf_free(&b);
        nlog__set_errmsg("nlog_perf_prometheus: %s", st == NLOG_ELIMIT
                                                         ? "the exposition exceeds 64 MiB"
                                                         : nlog_status_str(st));
        return st;
    }
    char *text = nlog__tbuf_take(&b, ret_len);
    if (!text)
        return NLOG_ENOMEM;
    *ret_text = text;
    return NLOG_OK;
}
