/* rest_metrics.c: GET /metrics (Prometheus text format 0.0.4) and GET /health.
 *
 * /metrics exposes nlogd's own counters and gauges. Other modules append
 * their series through srv->metrics_extra[] (nlogd_metrics_fn): the seam the
 * performance module plugs into.
 * /health answers 200 {"status": "ok", ...} while the store writes, and 503
 * {"status": "degraded", ...} after a failed commit, until one succeeds. */
#include <stdlib.h>
#include <string.h>

#include "server/http/router.h"
#include "server/qparams.h"

static void counter(nlogd_buf *b, const char *name, const char *help, const char *labels,
                    unsigned long long v, int header)
{
    if (header)
        nlogd_buf_printf(b, "# HELP %s %s\n# TYPE %s counter\n", name, help, name);
    nlogd_buf_printf(b, "%s%s %llu\n", name, labels, v);
}

static void gauge(nlogd_buf *b, const char *name, const char *help, double v)
{
    nlogd_buf_printf(b, "# HELP %s %s\n# TYPE %s gauge\n%s %.17g\n", name, help, name, name, v);
}

static int no_params(nlogd_req *req)
{
    static const char *const accepted[] = {NULL};
    nlogd_qparams *q = malloc(sizeof *q);
    nlogd_err e;
    if (!q || nlogd_qp_parse(nlogd_query(req), accepted, q, &e) != 0) {
        if (!q)
            nlogd_fail(&e, 503, "internal", "", "out of memory");
        free(q);
        nlogd_reply_error(req, &e);
        return -1;
    }
    free(q);
    return 0;
}

void nlogd_rest_metrics(nlogd_req *req)
{
    nlogd_server *srv = req->srv;
    if (no_params(req) != 0)
        return;
    nlogd_buf b;
    nlogd_buf_init(&b, 4u << 20);
    counter(&b, "nlogd_http_requests_total", "HTTP requests received.", "",
            nlogd_counter(srv, http_requests), 1);
    counter(&b, "nlogd_http_errors_total", "HTTP answers with an error status.",
            "{class=\"4xx\"}", nlogd_counter(srv, http_4xx), 1);
    counter(&b, "nlogd_http_errors_total", "", "{class=\"5xx\"}", nlogd_counter(srv, http_5xx), 0);
    counter(&b, "nlogd_ingest_requests_total", "POST /api/v2/logs/entries requests.", "",
            nlogd_counter(srv, ingest_requests), 1);
    counter(&b, "nlogd_ingest_records_total", "Records received, by outcome.",
            "{result=\"accepted\"}", nlogd_counter(srv, records_accepted), 1);
    counter(&b, "nlogd_ingest_records_total", "", "{result=\"rejected\"}",
            nlogd_counter(srv, records_rejected), 0);
    counter(&b, "nlogd_ingest_records_total", "", "{result=\"duplicate\"}",
            nlogd_counter(srv, records_duplicate), 0);
    counter(&b, "nlogd_ingest_records_total", "", "{result=\"throttled\"}",
            nlogd_counter(srv, records_throttled), 0);
    counter(&b, "nlogd_ingest_records_total", "", "{result=\"failed\"}",
            nlogd_counter(srv, records_failed), 0);
    counter(&b, "nlogd_ingest_bytes_total", "Request body bytes after gzip decoding.", "",
            nlogd_counter(srv, bytes_received), 1);
    counter(&b, "nlogd_watch_records_total", "Records read from watched files.", "",
            nlogd_counter(srv, watch_records), 1);
    counter(&b, "nlogd_export_records_total", "Records written by exports.", "",
            nlogd_counter(srv, export_records), 1);
    gauge(&b, "nlogd_queue_records", "Records waiting for the store.",
          (double) nlogd_queue_depth(srv->queue));
    gauge(&b, "nlogd_queue_capacity_records", "Capacity of the store queue.",
          (double) nlogd_queue_capacity(srv->queue));
    gauge(&b, "nlogd_text_index_pending_records", "Records not yet in the word index.",
          (double) nlogd_store_fts_lag(srv->store));
    gauge(&b, "nlogd_index_merging", "1 while the index has segments left to merge.",
          nlogd_store_index_merging(srv->store) ? 1.0 : 0.0);
    gauge(&b, "nlogd_store_healthy", "1 while the store commits, 0 after a failure.",
          nlogd_store_ok(srv->store) ? 1.0 : 0.0);
    gauge(&b, "nlogd_uptime_seconds", "Seconds since nlogd started.", nlogd_uptime_s(srv));
    for (size_t i = 0; i < 4; i++)
        if (srv->metrics_extra[i])
            srv->metrics_extra[i](srv->metrics_extra_user[i], &b);
    if (b.failed) {
        nlogd_err e;
        nlogd_fail(&e, 503, "internal", "", "out of memory");
        nlogd_buf_free(&b);
        nlogd_reply_error(req, &e);
        return;
    }
    nlogd_reply_text(req, 200, "text/plain; version=0.0.4; charset=utf-8", b.data, b.len);
    nlogd_buf_free(&b);
}

void nlogd_rest_health(nlogd_req *req)
{
    nlogd_server *srv = req->srv;
    if (no_params(req) != 0)
        return;
    int ok = nlogd_store_ok(srv->store);
    nlogd_buf b;
    nlogd_buf_init(&b, 4096);
    nlogd_buf_printf(&b,
                     "{\"status\":\"%s\",\"store\":\"%s\",\"queue\":{\"records\":%zu,"
                     "\"capacity\":%zu},\"uptime_seconds\":%.3f}\n",
                     ok ? "ok" : "degraded", ok ? "ok" : "failing",
                     nlogd_queue_depth(srv->queue), nlogd_queue_capacity(srv->queue),
                     nlogd_uptime_s(srv));
    nlogd_reply_json(req, ok ? 200 : 503, &b);
    nlogd_buf_free(&b);
}
