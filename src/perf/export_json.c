/* export_json.c: nlog_perf_json(), the JSON snapshot behind
 * GET /api/v2/logs/performance/metrics?metric_names=...
 *
 *   {"generated_at": "...Z", "window_seconds": 3600,
 *    "metrics": [{"name", "type", "unit", "series_count",
 *                 "summary": {...}, "trend": {...},
 *                 "series": [{"tags": {...}, "total": {...}, "summary": {...},
 *                             "trend": {...}, "points": [...], "rollups": [...]}]}],
 *    "not_found": ["name", ...]}
 *
 * Metrics come in the order asked for (or name order for all of them);
 * unknown names are listed in "not_found", not an error. NaN (no data)
 * is null. Points are raw samples inside the window (newest max_points),
 * rollups the minute rollups inside it (newest max_rollups).
 * Tested by: tests/unit/perf/test_export.c, tests/fuzz/fuzz_perf_names.c */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "perf/names.h"
#include "perf/query.h"
#include "perf/textbuf.h"
#include "platform/platform.h"

#define EXPORT_LIMIT (64u << 20)
#define NAMES_MAX 256

void nlog_perf_json_opts_init(nlog_perf_json_opts *o)
{
    if (!o)
        return;
    memset(o, 0, sizeof *o);
    o->struct_size = sizeof *o;
    o->window_ns = NLOG__HOUR_NS;
    o->max_points = 100;
    o->max_rollups = 60;
}

typedef struct names {
    const char *p[NAMES_MAX];
    size_t len[NAMES_MAX];
    size_t n;
} names;

static void add_name(const char *name, size_t len, void *user)
{
    names *ns = user;
    for (size_t i = 0; i < ns->n; i++)
        if (ns->len[i] == len && memcmp(ns->p[i], name, len) == 0)
            return; /* asked twice: once */
    if (ns->n < NAMES_MAX) {
        ns->p[ns->n] = name;
        ns->len[ns->n++] = len;
    }
}

static void jnum(nlog__tbuf *b, double v)
{
    if (isfinite(v))
        nlog__tbuf_num(b, v);
    else
        nlog__tbuf_str(b, "null");
}

static void summary(nlog__tbuf *b, const nlog_perf_summary *s)
{
    nlog__tbuf_str(b, "{\"count\":");
    nlog__tbuf_u64(b, s->count);
    const char *k[] = {"sum", "min", "max", "mean", "p50", "p90", "p95", "p99", "per_second"};
    const double v[] = {s->sum, s->min, s->max, s->mean, s->p50, s->p90, s->p95, s->p99,
                        s->per_second};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        nlog__tbuf_fmt(b, ",\"%s\":", k[i]);
        jnum(b, v[i]);
    }
    nlog__tbuf_str(b, ",\"start\":");
    nlog__tbuf_jtime(b, s->start_ns);
    nlog__tbuf_str(b, ",\"end\":");
    nlog__tbuf_jtime(b, s->end_ns);
    nlog__tbuf_str(b, s->exact ? ",\"exact\":true}" : ",\"exact\":false}");
}

static void trend(nlog__tbuf *b, const nlog_perf_trend *t)
{
    nlog__tbuf_str(b, "{\"slope_per_minute\":");
    jnum(b, t->slope_per_minute);
    nlog__tbuf_fmt(b, ",\"direction\":\"%s\",\"previous_count\":", nlog_trend_name(t->direction));
    nlog__tbuf_u64(b, t->previous_count);
    nlog__tbuf_str(b, ",\"previous_mean\":");
    jnum(b, t->previous_mean);
    nlog__tbuf_str(b, ",\"change\":");
    jnum(b, t->change);
    nlog__tbuf_str(b, ",\"change_percent\":");
    jnum(b, t->change_percent);
    nlog__tbuf_str(b, "}");
}

typedef struct json_ctx {
    nlog__tbuf *b;
    nlog__wacc cur, prev;
    int64_t t0, t1;
    const nlog_perf_json_opts *o;
    int first_metric;
} json_ctx;

static int by_time(const void *a, const void *b)
{
    const nlog__psample *x = a, *y = b;
    if (x->t_ns != y->t_ns)
        return x->t_ns < y->t_ns ? -1 : 1;
    return (x->v > y->v) - (x->v < y->v); /* equal times: a fixed order */
}

static void series_json(json_ctx *x, const nlog__family *f, nlog__series *s)
{
    nlog__tbuf *b = x->b;
    nlog__tbuf_str(b, "{\"tags\":{");
    for (uint32_t i = 0; i < s->n_tags; i++) {
        if (i)
            nlog__tbuf_add(b, ",", 1);
        nlog__tbuf_jstr(b, s->tags[i].key, strlen(s->tags[i].key));
        nlog__tbuf_add(b, ":", 1);
        nlog__tbuf_jstr(b, s->tags[i].value, strlen(s->tags[i].value));
    }
    nlog__tbuf_str(b, "},\"total\":{\"count\":");
    nlog__tbuf_u64(b, s->count);
    nlog__tbuf_str(b, ",\"sum\":");
    jnum(b, s->sum);
    nlog__tbuf_str(b, ",\"min\":");
    jnum(b, s->count ? s->min : NAN);
    nlog__tbuf_str(b, ",\"max\":");
    jnum(b, s->count ? s->max : NAN);
    nlog__tbuf_str(b, ",\"last\":");
    jnum(b, s->count ? s->last : NAN);
    nlog__tbuf_str(b, ",\"last_time\":");
    if (s->count)
        nlog__tbuf_jtime(b, s->last_ns);
    else
        nlog__tbuf_str(b, "null");
    nlog__tbuf_str(b, "},\"summary\":");
    nlog_perf_summary sum;
    nlog_perf_trend tr;
    (void) nlog__perf_window(f, &s, 1, x->t0, x->t1, 5.0, &sum, &tr, &x->cur, &x->prev);
    summary(b, &sum);
    nlog__tbuf_str(b, ",\"trend\":");
    trend(b, &tr);
    nlog__tbuf_str(b, ",\"points\":[");
    /* the newest max_points raw samples inside the window, oldest first. The
     * ring is in arrival order, which is not quite time order (a sample
     * that reached the aggregator late), so they are sorted by time. */
    size_t n_in = 0;
    nlog__psample *pts = x->o->max_points && s->raw_len ? malloc(s->raw_len * sizeof *pts) : NULL;
    if (x->o->max_points && s->raw_len && !pts)
        b->failed = NLOG_ENOMEM;
    for (uint32_t i = 0; pts && i < s->raw_len; i++) {
        const nlog__psample *p = nlog__raw_at(s, i);
        if (p->t_ns >= x->t0 && p->t_ns < x->t1)
            pts[n_in++] = *p;
    }
    if (pts)
        qsort(pts, n_in, sizeof *pts, by_time); /* equal times: any order, same values shown */
    size_t first = n_in > x->o->max_points ? n_in - x->o->max_points : 0;
    for (size_t i = first; i < n_in; i++) {
        nlog__tbuf_str(b, i > first ? ",{\"timestamp\":" : "{\"timestamp\":");
        nlog__tbuf_jtime(b, pts[i].t_ns);
        nlog__tbuf_str(b, ",\"value\":");
        jnum(b, pts[i].v);
        nlog__tbuf_add(b, "}", 1);
    }
    free(pts);
    int comma;
    size_t taken;
    nlog__tbuf_str(b, "],\"rollups\":[");
    uint32_t rfirst = s->minutes.len;
    taken = 0;
    while (rfirst > 0 && taken < x->o->max_rollups &&
           nlog__bring_at(&s->minutes, rfirst - 1)->start_ns >= x->t0) {
        rfirst--;
        taken++;
    }
    comma = 0;
    for (uint32_t i = rfirst; i < s->minutes.len; i++) {
        const nlog__pbucket *r = nlog__bring_at(&s->minutes, i);
        if (r->count == 0 || r->start_ns >= x->t1)
            continue;
        nlog__tbuf_str(b, comma ? ",{\"timestamp\":" : "{\"timestamp\":");
        comma = 1;
        nlog__tbuf_jtime(b, r->start_ns);
        nlog__tbuf_str(b, ",\"count\":");
        nlog__tbuf_u64(b, r->count);
        nlog__tbuf_str(b, ",\"sum\":");
        jnum(b, r->sum);
        nlog__tbuf_str(b, ",\"min\":");
        jnum(b, r->min);
        nlog__tbuf_str(b, ",\"max\":");
        jnum(b, r->max);
        nlog__tbuf_str(b, ",\"mean\":");
        jnum(b, r->sum / (double) r->count);
        nlog__tbuf_add(b, "}", 1);
    }
    nlog__tbuf_str(b, "]}");
}

static void metric_json(const nlog__family *f, nlog__series *const *series, size_t n,
                        void *user)
{
    json_ctx *x = user;
    nlog__tbuf *b = x->b;
    if (!x->first_metric)
        nlog__tbuf_add(b, ",", 1);
    x->first_metric = 0;
    nlog__tbuf_str(b, "{\"name\":");
    nlog__tbuf_jstr(b, f->name, f->name_len);
    nlog__tbuf_fmt(b, ",\"type\":\"%s\",\"unit\":", nlog__kind_name(f->kind));
    nlog__tbuf_jstr(b, f->unit, strlen(f->unit));
    nlog__tbuf_fmt(b, ",\"series_count\":%zu,\"summary\":", n);
    nlog_perf_summary sum;
    nlog_perf_trend tr;
    (void) nlog__perf_window(f, series, n, x->t0, x->t1, 5.0, &sum, &tr, &x->cur, &x->prev);
    summary(b, &sum);
    nlog__tbuf_str(b, ",\"trend\":");
    trend(b, &tr);
    nlog__tbuf_str(b, ",\"series\":[");
    for (size_t i = 0; i < n; i++) {
        if (i)
            nlog__tbuf_add(b, ",", 1);
        series_json(x, f, series[i]);
    }
    nlog__tbuf_str(b, "]}");
}

nlog_status nlog_perf_json(const nlog_perf_json_opts *opts, char **ret_text, size_t *ret_len)
{
    nlog__clear_errmsg();
    nlog_perf_json_opts o;
    nlog_perf_json_opts_init(&o);
    if (opts) {
        if (opts->struct_size < sizeof o) {
            nlog__set_errmsg("nlog_perf_json: the options were not set up with "
                             "nlog_perf_json_opts_init()");
            return NLOG_EINVAL;
        }
        o = *opts;
    }
    if (!ret_text || o.window_ns <= 0 || o.window_ns > NLOG_PERF_WINDOW_MAX) {
        nlog__set_errmsg("nlog_perf_json: %s", !ret_text ? "ret_text is NULL"
                                                         : "window_ns must be 1 .. "
                                                           "NLOG_PERF_WINDOW_MAX (100 years)");
        return NLOG_EINVAL;
    }
    if (o.max_points > 100000)
        o.max_points = 100000;
    if (o.max_rollups > NLOG__MINUTES_KEPT)
        o.max_rollups = NLOG__MINUTES_KEPT;
    names ns;
    ns.n = 0;
    if (o.metric_names && o.metric_names[0]) {
        char why[512];
        if (nlog__perf_names_split(o.metric_names, strnlen(o.metric_names, 16385), add_name, &ns,
                                   why, sizeof why) != NLOG_OK) {
            nlog__set_errmsg("%s", why);
            return NLOG_EINVAL;
        }
    }
    nlog__ensure_init();
    (void) nlog_perf_flush();

    nlog__tbuf b;
    nlog__tbuf_init(&b, EXPORT_LIMIT);
    json_ctx x;
    memset(&x, 0, sizeof x);
    x.b = &b;
    x.o = &o;
    x.first_metric = 1;
    int64_t now = nlog__perf_clamp_now(nlog__clock_realtime_ns());
    x.t1 = now + 1;
    x.t0 = x.t1 - o.window_ns;
    if (nlog__wacc_init(&x.cur, x.t0, 1) != NLOG_OK)
        return NLOG_ENOMEM;
    (void) nlog__wacc_init(&x.prev, x.t0, 0);
    nlog__tbuf_str(&b, "{\"generated_at\":");
    nlog__tbuf_jtime(&b, now);
    nlog__tbuf_str(&b, ",\"window_seconds\":");
    nlog__tbuf_num(&b, (double) o.window_ns / 1e9);
    nlog__tbuf_str(&b, ",\"metrics\":[");
    nlog_status st = NLOG_OK;
    int missing[NAMES_MAX] = {0};
    nlog__store_lock();
    if (ns.n == 0) {
        st = nlog__store_each(metric_json, &x);
    } else {
        for (size_t i = 0; i < ns.n && st == NLOG_OK; i++) {
            nlog__family *f = nlog__store_family(ns.p[i], ns.len[i]);
            if (!f) {
                missing[i] = 1;
                continue;
            }
            st = nlog__store_family_each(f, metric_json, &x);
        }
    }
    nlog__store_unlock();
    nlog__tbuf_str(&b, "],\"not_found\":[");
    int comma = 0;
    for (size_t i = 0; i < ns.n; i++) {
        if (!missing[i])
            continue;
        if (comma)
            nlog__tbuf_add(&b, ",", 1);
        comma = 1;
        nlog__tbuf_jstr(&b, ns.p[i], ns.len[i]);
    }
    nlog__tbuf_str(&b, "]}");
    nlog__wacc_free(&x.cur);
    nlog__wacc_free(&x.prev);
    if (st == NLOG_OK && b.failed)
        st = b.failed;
    if (st != NLOG_OK) {
        nlog__tbuf_free(&b);
        nlog__set_errmsg("nlog_perf_json: %s", st == NLOG_ELIMIT ? "the snapshot exceeds 64 MiB"
                                                                  : nlog_status_str(st));
        return st;
    }
    char *text = nlog__tbuf_take(&b, ret_len);
    if (!text)
        return NLOG_ENOMEM;
    *ret_text = text;
    return NLOG_OK;
}
