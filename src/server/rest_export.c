/* rest_export.c: POST /api/v2/logs/export.
 *
 * Streams every matching record, oldest first, as a chunked response: the
 * store is read in pages of EXPORT_PAGE records (each page one short read
 * transaction, continuing after the last id sent), and the encoded text
 * goes out in chunks of about 64 KiB, so memory stays bounded whatever the
 * number of rows and there is no row cap.
 *   json   a JSON array of records (product format)     application/json
 *   ndjson one record per line                          application/x-ndjson
 *   csv    RFC 4180 (CRLF, every text field quoted, "" for "), a header row;
 *          a text field beginning with = + - @ TAB or CR gets a leading '
 *          so spreadsheets do not run it as a formula     text/csv
 *   txt    the console line, times in UTC               text/plain
 * Content-Disposition: attachment; filename="netlink-logs-<UTC time>.<ext>". */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nlog/format.h>
#include <nlog/level.h>

#include "server/entry_json.h"
#include "server/http/router.h"
#include "server/qparams.h"

#define EXPORT_PAGE 5000
#define CHUNK (64 * 1024)

typedef struct exporter {
    nlogd_req *req;
    nlogd_export_format fmt;
    nlogd_buf buf;
    size_t n;
    int64_t last_id;
    int failed;          /* the client went away */
    char line[65536 + 1024];
} exporter;

static void csv_field(nlogd_buf *b, const char *s, size_t n)
{
    nlogd_buf_addc(b, '"');
    if (n && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' ||
              s[0] == '\r'))
        nlogd_buf_addc(b, '\'');
    size_t run = 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] == '"') {
            nlogd_buf_add(b, s + run, i + 1 - run);
            nlogd_buf_addc(b, '"');
            run = i + 1;
        }
    nlogd_buf_add(b, s + run, n - run);
    nlogd_buf_addc(b, '"');
}

static void csv_opt_int(nlogd_buf *b, int64_t v)
{
    if (v >= 0)
        nlogd_buf_printf(b, "%lld", (long long) v);
}

static void csv_row(nlogd_buf *b, const nlogd_entry *e)
{
    char t[NLOG_FORMAT_RFC3339_SIZE];
    const char *lv = nlog_level_name((nlog_level) e->level);
    nlog_format_rfc3339(e->ts_ns, t);
    nlogd_buf_add(b, t, strlen(t));
    nlogd_buf_printf(b, ",%s,", lv ? lv : "UNKNOWN");
    csv_field(b, e->category, strlen(e->category));
    nlogd_buf_addc(b, ',');
    csv_field(b, e->logger, strlen(e->logger));
    nlogd_buf_addc(b, ',');
    csv_field(b, e->message, e->message_len);
    nlogd_buf_addc(b, ',');
    if (e->function)
        csv_field(b, e->function, strlen(e->function));
    nlogd_buf_addc(b, ',');
    csv_opt_int(b, e->line);
    nlogd_buf_addc(b, ',');
    csv_opt_int(b, e->pid);
    nlogd_buf_addc(b, ',');
    csv_opt_int(b, e->tid);
    const char *groups[3] = {e->context, e->metadata, e->perf};
    for (int i = 0; i < 3; i++) {
        nlogd_buf_addc(b, ',');
        if (groups[i])
            csv_field(b, groups[i], strlen(groups[i]));
    }
    nlogd_buf_add(b, "\r\n", 2);
}

static int flush(exporter *x, int force)
{
    if (x->buf.len && (force || x->buf.len >= CHUNK)) {
        if (nlogd_stream_chunk(x->req, x->buf.data, x->buf.len) != 0)
            x->failed = 1;
        nlogd_buf_reset(&x->buf);
    }
    return x->failed;
}

static int visit(const nlogd_entry *e, void *user)
{
    exporter *x = user;
    switch (x->fmt) {
    case NLOGD_EXPORT_JSON:
        nlogd_buf_adds(&x->buf, x->n ? ",\n" : "\n");
        nlogd_entry_json(&x->buf, e);
        break;
    case NLOGD_EXPORT_NDJSON:
        nlogd_entry_json(&x->buf, e);
        nlogd_buf_addc(&x->buf, '\n');
        break;
    case NLOGD_EXPORT_CSV:
        csv_row(&x->buf, e);
        break;
    case NLOGD_EXPORT_TXT: {
        nlog_record_view v = {
            .time_ns = e->ts_ns, .level = (nlog_level) e->level, .category = e->category,
            .logger = e->logger, .logger_len = strlen(e->logger), .message = e->message,
            .message_len = e->message_len, .function = e->function,
            .line = e->line > 0 ? (int) e->line : 0,
        };
        size_t n = nlog_format_console(&v, NLOG_FORMAT_UTC, x->line, sizeof x->line, NULL);
        nlogd_buf_add(&x->buf, x->line, n);
        break;
    }
    }
    x->n++;
    x->last_id = e->id;
    return flush(x, 0) || x->buf.failed;
}

void nlogd_rest_export(nlogd_req *req)
{
    static const char *const types[] = {"application/json", "application/x-ndjson",
                                        "text/csv; charset=utf-8", "text/plain; charset=utf-8"};
    static const char *const exts[] = {"json", "ndjson", "csv", "txt"};
    static const char *const accepted[] = {NULL};
    nlogd_err e;
    nlogd_filter f;
    nlogd_export_format fmt;
    nlogd_buf body;
    memset(&f, 0, sizeof f);
    nlogd_qparams *q = malloc(sizeof *q);
    int bad = !q || nlogd_qp_parse(nlogd_query(req), accepted, q, &e) != 0;
    if (!q)
        nlogd_fail(&e, 503, "internal", "", "out of memory");
    free(q);
    nlogd_buf_init(&body, 65536);
    if (!bad)
        bad = nlogd_read_body(req, 65536, &body, &e) != 0 ||
              nlogd_export_parse(body.data ? body.data : "", body.len, &f, &fmt, &e) != 0;
    nlogd_buf_free(&body);
    if (bad) {
        nlogd_reply_error(req, &e);
        return;
    }
    f.ascending = 1;
    exporter *x = malloc(sizeof *x);
    if (!x) {
        nlogd_fail(&e, 503, "internal", "", "out of memory");
        nlogd_reply_error(req, &e);
        return;
    }
    memset(x, 0, offsetof(exporter, line));
    x->req = req;
    x->fmt = fmt;
    nlogd_buf_init(&x->buf, CHUNK + (4u << 20));
    char stamp[NLOG_FORMAT_RFC3339_SIZE], disp[128];
    nlog_format_rfc3339(nlogd_now_ns(), stamp);
    snprintf(disp, sizeof disp,
             "attachment; filename=\"netlink-logs-%.4s%.2s%.2sT%.2s%.2s%.2sZ.%s\"", stamp,
             stamp + 5, stamp + 8, stamp + 11, stamp + 14, stamp + 17, exts[fmt]);
    /* Check the store before committing to a 200. */
    int more = 0;
    if (nlogd_stream_begin(req, 200, types[fmt], disp) != 0) {
        free(x);
        return;
    }
    if (fmt == NLOGD_EXPORT_JSON)
        nlogd_buf_addc(&x->buf, '[');
    if (fmt == NLOGD_EXPORT_CSV)
        nlogd_buf_adds(&x->buf, "timestamp,level,category,module,message,function,line,"
                                "process_id,thread_id,context,metadata,performance_data\r\n");
    do {
        size_t before = x->n;
        if (nlogd_store_query(req->srv->store, &f, EXPORT_PAGE, visit, x, &more) != NLOG_OK) {
            /* Headers are gone: the only honest signal left is a broken
             * stream (no terminating chunk), which clients report. */
            x->failed = 1;
            req->chunked = 0;
            break;
        }
        if (x->n == before)
            break;
        f.has_cursor = 1;
        f.cursor_id = x->last_id;
    } while (more && !x->failed && !x->buf.failed);
    if (!x->failed) {
        if (fmt == NLOGD_EXPORT_JSON)
            nlogd_buf_adds(&x->buf, x->n ? "\n]\n" : "]\n");
        flush(x, 1);
    }
    nlogd_count(req->srv, export_records, x->n);
    nlogd_buf_free(&x->buf);
    free(x);
}
