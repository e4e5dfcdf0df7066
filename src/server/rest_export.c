/* rest_export.c: POST /api/v2/logs/export.
 *
 * Streams every matching record, oldest first, as a chunked response: the
 * store is read in pages of EXPORT_PAGE records (each page one short read
 * transaction, continuing after the last id sent), and the encoded text
 * goes out in chunks of about 64 KiB (http/out.h), so memory stays bounded
 * whatever the number of rows and there is no row cap. A record larger than
 * a chunk is not buffered: what is buffered is sent first and the record's
 * long values pass straight through to the client.
 *
 * Failure: the status is sent before the first chunk, so a failure after it
 * (the store fails on a later page, the client goes away) ends the stream
 * without its terminating chunk and closes the connection: clients and
 * `nlog export` report an incomplete transfer instead of a short file. A
 * store failure before anything was sent is an ordinary 503.
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
#include "server/http/out.h"
#include "server/http/router.h"
#include "server/qparams.h"

#define EXPORT_PAGE 5000

typedef struct exporter {
    nlogd_req *req;
    nlogd_export_format fmt;
    nlogd_out out;
    size_t n;
    int64_t last_id;
    int failed;          /* an encoder or the client failed: stop */
    char *line;          /* txt: one console line */
    size_t line_size;
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

/* The console line of e, whole: the buffer is sized for the worst case of
 * the console format's escaping (4 bytes per input byte), so nothing is cut. */
static int txt_line(exporter *x, const nlogd_entry *e)
{
    size_t fn = e->function ? strlen(e->function) : 0;
    size_t in = e->message_len + strlen(e->logger) + strlen(e->category) + fn;
    size_t need = in * 4 + 1024;
    if (need < NLOG_FORMAT_MIN_CAP)
        need = NLOG_FORMAT_MIN_CAP;
    if (need > x->line_size) {
        char *l = realloc(x->line, need);
        if (!l)
            return -1;
        x->line = l;
        x->line_size = need;
    }
    nlog_record_view v = {
        .time_ns = e->ts_ns, .level = (nlog_level) e->level, .category = e->category,
        .logger = e->logger, .logger_len = strlen(e->logger), .message = e->message,
        .message_len = e->message_len, .function = e->function,
        .line = e->line > 0 && e->line <= 0x7fffffff ? (int) e->line : 0,
    };
    int cut = 0;
    size_t n = nlog_format_console(&v, NLOG_FORMAT_UTC, x->line, x->line_size, &cut);
    if (n == 0 || cut)
        return -1;
    return nlogd_buf_add(&x->out.buf, x->line, n);
}

static int visit(const nlogd_entry *e, void *user)
{
    exporter *x = user;
    nlogd_buf *b = &x->out.buf;
    switch (x->fmt) {
    case NLOGD_EXPORT_JSON:
        nlogd_buf_adds(b, x->n ? ",\n" : "\n");
        nlogd_entry_json(b, e);
        break;
    case NLOGD_EXPORT_NDJSON:
        nlogd_entry_json(b, e);
        nlogd_buf_addc(b, '\n');
        break;
    case NLOGD_EXPORT_CSV:
        csv_row(b, e);
        break;
    case NLOGD_EXPORT_TXT:
        if (txt_line(x, e) != 0)
            x->failed = 1;
        break;
    }
    x->n++;
    x->last_id = e->id;
    if (nlogd_out_failed(&x->out))
        x->failed = 1;
    return x->failed;
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
    {
        /* audit first: an export that cannot be recorded is not made */
        static const char *const fmt_names[] = {"json", "ndjson", "csv", "txt"};
        nlogd_buf d;
        nlogd_buf_init(&d, 8192);
        nlogd_buf_printf(&d, "{\"format\":\"%s\",\"filter\":", fmt_names[fmt]);
        nlogd_filter_json(&d, &f);
        nlogd_buf_addc(&d, '}');
        int audited = nlogd_req_audit(req, "export", d.data);
        nlogd_buf_free(&d);
        if (audited != 0)
            return;
    }
    exporter *x = calloc(1, sizeof *x);
    if (!x) {
        nlogd_fail(&e, 503, "internal", "", "out of memory");
        nlogd_reply_error(req, &e);
        return;
    }
    x->req = req;
    x->fmt = fmt;
    char stamp[NLOG_FORMAT_RFC3339_SIZE], disp[128];
    nlog_format_rfc3339(nlogd_now_ns(), stamp);
    snprintf(disp, sizeof disp,
             "attachment; filename=\"netlink-logs-%.4s%.2s%.2sT%.2s%.2s%.2sZ.%s\"", stamp,
             stamp + 5, stamp + 8, stamp + 11, stamp + 14, stamp + 17, exts[fmt]);
    /* Nothing is sent before the first chunk is full, so a store that fails
     * on the first page still gets an honest 503. */
    nlogd_out_init(&x->out, req, 200, types[fmt], disp, 1);
    if (fmt == NLOGD_EXPORT_JSON)
        nlogd_buf_addc(&x->out.buf, '[');
    if (fmt == NLOGD_EXPORT_CSV)
        nlogd_buf_adds(&x->out.buf, "timestamp,level,category,module,message,function,line,"
                                    "process_id,thread_id,context,metadata,performance_data\r\n");
    int more = 0, store_failed = 0;
    do {
        size_t before = x->n;
        if (nlogd_store_query(req->srv->store, &f, EXPORT_PAGE, visit, x, &more) != NLOG_OK) {
            store_failed = 1;
            break;
        }
        if (x->n == before)
            break;
        f.has_cursor = 1;
        f.cursor_id = x->last_id;
    } while (more && !x->failed);
    if (store_failed || x->failed) {
        /* Before the first chunk: an ordinary error. After: the stream ends
         * without its terminating chunk and the connection closes. */
        if (store_failed)
            nlogd_fail(&e, 503, "store_unavailable", "", "the store could not be read; retry later");
        else
            nlogd_fail(&e, 503, "internal", "", "out of memory encoding the export; retry later");
        nlogd_out_fail(&x->out, &e, 5);
    } else {
        if (fmt == NLOGD_EXPORT_JSON)
            nlogd_buf_adds(&x->out.buf, x->n ? "\n]\n" : "]\n");
        (void) nlogd_out_finish(&x->out);
    }
    nlogd_count(req->srv, export_records, x->n);
    nlogd_out_free(&x->out);
    free(x->line);
    free(x);
}
