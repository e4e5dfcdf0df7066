/* rest_perf.c: GET /api/v2/logs/performance/metrics.
 *
 * Reads the numbers in stored records' performance_data: every numeric
 * member is a sample of the metric of that name at the record's time (for
 * example {"response_time": 0.045} from NLOG_PERF). A record whose
 * performance_data (or metadata) holds "metric_name" (or "name") and a
 * numeric "value" is a sample of that metric too, the shape custom metrics
 * are recorded in. Parameters: metric_names (comma-separated, up to 32;
 * default: every metric found), category, logger, start_time, end_time
 * (default: the last hour), max_points (1..10000, default 1000: longer
 * series are averaged into that many equal time buckets).
 * Answer: {"start_time", "end_time", "metrics": {"NAME": {"count", "min",
 * "max", "mean", "p50", "p95", "p99", "last", "series": [[time, value]...]}},
 * "records_scanned", "truncated", "oldest_scanned"}.
 *
 * Bounds: records are read newest first, at most ROWS_MAX of them and
 * SAMPLES_MAX samples per request; beyond either, the newest are kept,
 * "truncated" is true and "oldest_scanned" is the time of the oldest record
 * read (the series cover oldest_scanned..end_time; ask again with an earlier
 * end_time for the rest). The answer streams (http/out.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "server/http/out.h"
#include "server/http/router.h"
#include "server/perf_buckets.h"
#include "server/qparams.h"

#define NAMES_MAX 32
#define SAMPLES_MAX 2000000
#define ROWS_MAX 100000 /* records read per request */
#define METRICS_MAX 256

typedef struct sample {
    int64_t ts;
    double v;
} sample;

typedef struct metric {
    char name[129];
    sample *s;
    size_t n, cap;
} metric;

typedef struct perf_scan {
    char wanted[NAMES_MAX][129];
    size_t n_wanted;
    metric m[METRICS_MAX];
    size_t n_metrics;
    size_t total, scanned;
    int truncated;
    int64_t oldest_ts;   /* of the last record read */
} perf_scan;

static metric *find_metric(perf_scan *p, const char *name)
{
    if (strlen(name) > 128)
        return NULL;
    if (p->n_wanted) {
        size_t i = 0;
        while (i < p->n_wanted && strcmp(p->wanted[i], name) != 0)
            i++;
        if (i == p->n_wanted)
            return NULL;
    }
    for (size_t i = 0; i < p->n_metrics; i++)
        if (strcmp(p->m[i].name, name) == 0)
            return &p->m[i];
    if (p->n_metrics == METRICS_MAX)
        return NULL;
    metric *m = &p->m[p->n_metrics++];
    snprintf(m->name, sizeof m->name, "%s", name);
    return m;
}

static void add_sample(perf_scan *p, const char *name, int64_t ts, json_object *v)
{
    if (!json_object_is_type(v, json_type_double) && !json_object_is_type(v, json_type_int))
        return;
    double d = json_object_get_double(v);
    if (!isfinite(d))
        return;
    metric *m = find_metric(p, name);
    if (!m)
        return;
    if (p->total >= SAMPLES_MAX) {
        p->truncated = 1;
        return;
    }
    if (m->n == m->cap) {
        size_t nc = m->cap ? m->cap * 2 : 256;
        sample *ns = realloc(m->s, nc * sizeof *ns);
        if (!ns) {
            p->truncated = 1;
            return;
        }
        m->s = ns;
        m->cap = nc;
    }
    m->s[m->n].ts = ts;
    m->s[m->n].v = d;
    m->n++;
    p->total++;
}

static void named_sample(perf_scan *p, json_object *g, int64_t ts)
{
    json_object *name, *value;
    if (!g || !json_object_object_get_ex(g, "value", &value))
        return;
    if ((json_object_object_get_ex(g, "metric_name", &name) ||
         json_object_object_get_ex(g, "name", &name)) &&
        json_object_is_type(name, json_type_string))
        add_sample(p, json_object_get_string(name), ts, value);
}

static int visit(const nlogd_entry *e, void *user)
{
    perf_scan *p = user;
    if (p->scanned == ROWS_MAX) {
        p->truncated = 1;
        return 1;
    }
    p->scanned++;
    p->oldest_ts = e->ts_ns;
    json_object *perf = e->perf ? json_tokener_parse(e->perf) : NULL;
    if (perf && json_object_is_type(perf, json_type_object)) {
        json_object_object_foreach(perf, k, v) {
            if (strcmp(k, "value") != 0)
                add_sample(p, k, e->ts_ns, v);
        }
        named_sample(p, perf, e->ts_ns);
    }
    json_object_put(perf);
    if (e->metadata && strstr(e->metadata, "\"value\"")) {
        json_object *md = json_tokener_parse(e->metadata);
        if (md && json_object_is_type(md, json_type_object))
            named_sample(p, md, e->ts_ns);
        json_object_put(md);
    }
    return p->total >= SAMPLES_MAX;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return x < y ? -1 : x > y;
}

static int cmp_sample(const void *a, const void *b)
{
    const sample *x = a, *y = b;
    return x->ts < y->ts ? -1 : x->ts > y->ts;
}

static void num(nlogd_buf *b, const char *name, double v)
{
    nlogd_buf_printf(b, ",\"%s\":", name);
    nlogd_buf_double(b, v);
}

static void write_metric(nlogd_buf *b, metric *m, size_t max_points, int64_t t0, int64_t t1)
{
    if (m->n) /* qsort() of a NULL array, even empty, is undefined */
        qsort(m->s, m->n, sizeof *m->s, cmp_sample);
    double *vals = malloc((m->n ? m->n : 1) * sizeof *vals);
    double sum = 0, mn = INFINITY, mx = -INFINITY;
    for (size_t i = 0; i < m->n; i++) {
        double v = m->s[i].v;
        if (vals)
            vals[i] = v;
        sum += v;
        mn = v < mn ? v : mn;
        mx = v > mx ? v : mx;
    }
    nlogd_buf_json_str(b, m->name, strlen(m->name));
    nlogd_buf_printf(b, ":{\"count\":%zu", m->n);
    if (m->n && vals) {
        qsort(vals, m->n, sizeof *vals, cmp_double);
        num(b, "min", mn);
        num(b, "max", mx);
        num(b, "mean", sum / (double) m->n);
        num(b, "p50", vals[(m->n - 1) * 50 / 100]);
        num(b, "p95", vals[(m->n - 1) * 95 / 100]);
        num(b, "p99", vals[(m->n - 1) * 99 / 100]);
        num(b, "last", m->s[m->n - 1].v);
    }
    free(vals);
    nlogd_buf_adds(b, ",\"series\":[");
    if (m->n <= max_points) {
        for (size_t i = 0; i < m->n; i++) {
            nlogd_buf_adds(b, i ? ",[" : "[");
            nlogd_buf_json_time(b, m->s[i].ts);
            nlogd_buf_addc(b, ',');
            nlogd_buf_double(b, m->s[i].v);
            nlogd_buf_addc(b, ']');
        }
    } else {
        /* equal time buckets over [t0, t1], each point the bucket's mean */
        double width = nlogd_bucket_width(t0, t1, max_points);
        size_t i = 0, out = 0;
        for (size_t k = 0; k < max_points && i < m->n; k++) {
            double s = 0;
            size_t c = 0;
            while (i < m->n && (k == max_points - 1 ||
                                nlogd_bucket_before_end(t0, width, k, m->s[i].ts))) {
                s += m->s[i].v;
                c++;
                i++;
            }
            if (!c)
                continue;
            nlogd_buf_adds(b, out++ ? ",[" : "[");
            nlogd_buf_json_time(b, nlogd_bucket_mid(t0, t1, width, k));
            nlogd_buf_addc(b, ',');
            nlogd_buf_double(b, s / (double) c);
            nlogd_buf_addc(b, ']');
        }
    }
    nlogd_buf_adds(b, "]}");
}

void nlogd_rest_perf_metrics(nlogd_req *req)
{
    static const char *const accepted[] = {"metric_names", "category", "logger", "start_time",
                                           "end_time", "max_points", NULL};
    nlogd_qparams *q = malloc(sizeof *q);
    perf_scan *p = calloc(1, sizeof *p);
    nlogd_err e;
    nlogd_filter f;
    long max_points = 1000;
    const char *v;
    size_t len;
    memset(&f, 0, sizeof f);
    f.need_perf = 1;
    int bad = !q || !p;
    if (bad)
        nlogd_fail(&e, 503, "internal", "", "out of memory");
    if (!bad)
        bad = nlogd_qp_parse(nlogd_query(req), accepted, q, &e) != 0 ||
              nlogd_qp_filter(q, &f, &e) != 0;
    if (!bad)
        bad = nlogd_req_restrict(req, &f, &e) != 0;
    if (!bad && (v = nlogd_qp_get(q, "max_points", &len)))
        bad = nlogd_qp_uint("max_points", v, len, 1, 10000, &max_points, &e) != 0;
    if (!bad && (v = nlogd_qp_get(q, "metric_names", &len))) {
        const char *s = v;
        while (!bad) {
            const char *c = strchr(s, ',');
            size_t l = c ? (size_t) (c - s) : strlen(s);
            int ok = l > 0 && l <= 128;
            for (size_t i = 0; ok && i < l; i++) {
                char ch = s[i];
                ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                     (ch >= '0' && ch <= '9') || ch == '_' || ch == '.' || ch == '-' ||
                     ch == ':' || ch == '/';
            }
            if (!ok || p->n_wanted == NAMES_MAX) {
                char qq[128];
                nlogd_quote(qq, sizeof qq, s, l);
                bad = nlogd_fail(&e, 400, "invalid_parameter", "metric_names",
                                 "metric_names: %s is not accepted; accepted: up to %d names of "
                                 "1 to 128 characters from A-Z a-z 0-9 _ . - : /, separated by "
                                 "commas", qq, NAMES_MAX) != 0;
                break;
            }
            memcpy(p->wanted[p->n_wanted], s, l);
            p->wanted[p->n_wanted++][l] = '\0';
            if (!c)
                break;
            s = c + 1;
        }
    }
    free(q);
    if (bad) {
        free(p);
        nlogd_reply_error(req, &e);
        return;
    }
    if (!f.has_end) {
        f.end_ns = nlogd_now_ns();
        f.has_end = 1;
    }
    if (!f.has_start) {
        f.start_ns = f.end_ns - 3600LL * 1000000000LL;
        f.has_start = 1;
    }
    if (f.start_ns > f.end_ns) {
        free(p);
        nlogd_fail(&e, 400, "invalid_parameter", "start_time",
                   "start_time is after end_time (end_time defaults to now); accepted: "
                   "start_time at or before end_time");
        nlogd_reply_error(req, &e);
        return;
    }
    for (size_t i = 0; i < p->n_wanted; i++) /* asked-for metrics appear even when empty */
        (void) find_metric(p, p->wanted[i]);
    int more;
    nlog_status st = nlogd_store_query(req->srv->store, &f, 0, visit, p, &more);
    nlogd_out out;
    nlogd_out_init(&out, req, 200, "application/json", NULL, 0);
    if (st == NLOG_OK) {
        nlogd_buf *b = &out.buf;
        nlogd_buf_adds(b, "{\"start_time\":");
        nlogd_buf_json_time(b, f.start_ns);
        nlogd_buf_adds(b, ",\"end_time\":");
        nlogd_buf_json_time(b, f.end_ns);
        nlogd_buf_adds(b, ",\"metrics\":{");
        for (size_t i = 0; i < p->n_metrics && !nlogd_out_failed(&out); i++) {
            if (i)
                nlogd_buf_addc(b, ',');
            write_metric(b, &p->m[i], (size_t) max_points, f.start_ns, f.end_ns);
        }
        nlogd_buf_printf(b, "},\"records_scanned\":%zu,\"truncated\":%s,\"oldest_scanned\":",
                         p->scanned, p->truncated ? "true" : "false");
        if (p->scanned)
            nlogd_buf_json_time(b, p->oldest_ts);
        else
            nlogd_buf_adds(b, "null");
        nlogd_buf_adds(b, "}\n");
    }
    for (size_t i = 0; i < p->n_metrics; i++)
        free(p->m[i].s);
    free(p);
    if (st != NLOG_OK) {
        nlogd_fail(&e, 503, "store_unavailable", "", "the store could not be read; retry later");
        nlogd_out_fail(&out, &e, 5);
    } else {
        (void) nlogd_out_finish(&out);
    }
    nlogd_out_free(&out);
}

double nlogd_bucket_width(int64_t t0, int64_t t1, size_t points)
{
    /* t1 - t0 + 1 may exceed INT64_MAX (a window of more than 292 years) */
    return ((double) t1 - (double) t0 + 1.0) / (double) points;
}

int nlogd_bucket_before_end(int64_t t0, double width, size_t k, int64_t ts)
{
    return (double) ts < (double) t0 + width * (double) (k + 1);
}

int64_t nlogd_bucket_mid(int64_t t0, int64_t t1, double width, size_t k)
{
    double mid = (double) t0 + width * ((double) k + 0.5);
    /* rounding may step just outside the window at its ends */
    if (mid <= (double) t0)
        return t0;
    if (mid >= (double) t1)
        return t1;
    return (int64_t) mid;
}
