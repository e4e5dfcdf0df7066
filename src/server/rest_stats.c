/* rest_stats.c: GET /api/v2/logs/stats (no parameters).
 * Answer: {"total_entries", "by_level": {LEVEL: n}, "by_category": {name: n}
 * (the 100 largest; "categories_total" says how many exist),
 * "by_logger": {name: n} (the 100 largest; "loggers_total" says how many
 * exist), "rates": {"last_minute": {"records", "per_second"}, "last_hour":
 * {...}} (records whose timestamps fall in that window), "oldest_entry",
 * "newest_entry" (RFC 3339 or null), "store": {"size_bytes",
 * "text_index_pending", "index_merging"}, "ingest": {"requests", "received", "accepted",
 * "rejected", "duplicates", "throttled", "failed", "bytes"}, "queue":
 * {"records", "capacity"}, "uptime_seconds"}. Counts come from running
 * totals kept by the store (one row per level, category and logger), so the
 * cost does not grow with the number of records, but it does with the
 * number of distinct categories and loggers (the store reads every name's
 * total to find the largest). The answer itself is bounded: at most
 * NLOGD_STATS_TOP names of each kind. For a role with a level bound (viewer)
 * every figure leaves the records above it out: by_level lacks SECURITY and
 * AUDIT, and total, rates, range and names are counted without them. */
#include <stdlib.h>
#include <string.h>

#include <nlog/level.h>

#include "server/http/router.h"
#include "server/qparams.h"
#include "server/roles.h"

static void counts(nlogd_buf *b, const char *name, const nlogd_count *c, size_t n)
{
    nlogd_buf_printf(b, ",\"%s\":{", name);
    for (size_t i = 0; i < n; i++) {
        if (i)
            nlogd_buf_addc(b, ',');
        nlogd_buf_json_str(b, c[i].name, strlen(c[i].name));
        nlogd_buf_printf(b, ":%llu", (unsigned long long) c[i].n);
    }
    nlogd_buf_addc(b, '}');
}

void nlogd_rest_stats(nlogd_req *req)
{
    static const char *const accepted[] = {NULL};
    nlogd_server *srv = req->srv;
    nlogd_qparams *q = malloc(sizeof *q);
    nlogd_err e;
    if (!q || nlogd_qp_parse(nlogd_query(req), accepted, q, &e) != 0) {
        if (!q)
            nlogd_fail(&e, 503, "internal", "", "out of memory");
        free(q);
        nlogd_reply_error(req, &e);
        return;
    }
    free(q);
    /* a viewer's answer is built without SECURITY and AUDIT records: not
     * their counts, their share of the rates, nor the names only they use */
    const int max_level = nlogd_role_max_level(req->role);
    nlogd_store_stats st;
    if (nlogd_store_stats_get_bounded(srv->store, nlogd_now_ns(), max_level, &st) != NLOG_OK) {
        nlogd_store_stats_free(&st);
        nlogd_fail(&e, 503, "store_unavailable", "", "the store could not be read; retry later");
        nlogd_reply_retry(req, &e, 5);
        return;
    }
    nlogd_buf b;
    nlogd_buf_init(&b, 16u << 20);
    nlogd_buf_printf(&b, "{\"total_entries\":%llu,\"by_level\":{", (unsigned long long) st.total);
    for (int i = 0; i < 8; i++) {
        nlog_level lv = nlog_level_from_index(i);
        if (max_level && (int) lv > max_level)
            continue;
        nlogd_buf_printf(&b, "%s\"%s\":%llu", i ? "," : "", nlog_level_name(lv),
                         (unsigned long long) st.by_level[i]);
    }
    nlogd_buf_addc(&b, '}');
    /* The store lists every category (most records first) but only the
     * NLOGD_STATS_TOP largest loggers; both are cut to that here. */
    counts(&b, "by_category", st.categories,
           st.n_categories < NLOGD_STATS_TOP ? st.n_categories : NLOGD_STATS_TOP);
    nlogd_buf_printf(&b, ",\"categories_total\":%zu", st.n_categories);
    counts(&b, "by_logger", st.loggers,
           st.n_loggers < NLOGD_STATS_TOP ? st.n_loggers : NLOGD_STATS_TOP);
    nlogd_buf_printf(&b,
                     ",\"loggers_total\":%zu,\"rates\":{\"last_minute\":{\"records\":%llu,"
                     "\"per_second\":%.3f},\"last_hour\":{\"records\":%llu,\"per_second\":%.3f}}",
                     st.n_loggers_total, (unsigned long long) st.last_minute,
                     (double) st.last_minute / 60.0, (unsigned long long) st.last_hour,
                     (double) st.last_hour / 3600.0);
    nlogd_buf_adds(&b, ",\"oldest_entry\":");
    if (st.has_range) {
        nlogd_buf_json_time(&b, st.oldest_ns);
        nlogd_buf_adds(&b, ",\"newest_entry\":");
        nlogd_buf_json_time(&b, st.newest_ns);
    } else {
        nlogd_buf_adds(&b, "null,\"newest_entry\":null");
    }
    nlogd_buf_printf(&b,
                     ",\"store\":{\"size_bytes\":%lld,\"text_index_pending\":%llu,"
                     "\"index_merging\":%s}",
                     (long long) st.size_bytes, (unsigned long long) st.fts_pending,
                     nlogd_store_index_merging(srv->store) ? "true" : "false");
    nlogd_buf_printf(&b,
                     ",\"ingest\":{\"requests\":%llu,\"received\":%llu,\"accepted\":%llu,"
                     "\"rejected\":%llu,\"duplicates\":%llu,\"throttled\":%llu,\"failed\":%llu,"
                     "\"bytes\":%llu,\"watched_files\":%llu}",
                     (unsigned long long) nlogd_counter(srv, ingest_requests),
                     (unsigned long long) nlogd_counter(srv, records_received),
                     (unsigned long long) nlogd_counter(srv, records_accepted),
                     (unsigned long long) nlogd_counter(srv, records_rejected),
                     (unsigned long long) nlogd_counter(srv, records_duplicate),
                     (unsigned long long) nlogd_counter(srv, records_throttled),
                     (unsigned long long) nlogd_counter(srv, records_failed),
                     (unsigned long long) nlogd_counter(srv, bytes_received),
                     (unsigned long long) nlogd_counter(srv, watch_records));
    nlogd_buf_printf(&b, ",\"queue\":{\"records\":%zu,\"capacity\":%zu},\"uptime_seconds\":%.3f}\n",
                     nlogd_queue_depth(srv->queue), nlogd_queue_capacity(srv->queue),
                     nlogd_uptime_s(srv));
    nlogd_store_stats_free(&st);
    nlogd_reply_json(req, 200, &b);
    nlogd_buf_free(&b);
}
