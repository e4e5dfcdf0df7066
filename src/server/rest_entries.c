/* rest_entries.c: GET /api/v2/logs/entries.
 *
 * Parameters: level (that level and above), category, logger, start_time,
 * end_time (RFC 3339, inclusive), search_query (search.h), limit (1..1000,
 * default 100), cursor (the next_cursor of the previous page). Newest first.
 * Answer: {"entries": [record, ...], "next_cursor": "..." | null}.
 * A page holds up to `limit` records but ends early, with a next_cursor,
 * once its JSON passes NLOGD_PAGE_BYTES (at least one record per page). The
 * body streams (http/out.h), so nlogd's memory does not grow with it. */
#include <stdlib.h>
#include <string.h>

#include "server/entry_json.h"
#include "server/http/out.h"
#include "server/http/router.h"
#include "server/qparams.h"

typedef struct page {
    nlogd_out *out;
    size_t n;
    int64_t last_id;
    int full;            /* stopped at the byte budget */
} page;

static int add_entry(const nlogd_entry *e, void *user)
{
    page *p = user;
    nlogd_buf *b = &p->out->buf;
    if (p->n && nlogd_buf_total(b) >= NLOGD_PAGE_BYTES) {
        p->full = 1;
        return 1;
    }
    if (p->n++)
        nlogd_buf_addc(b, ',');
    nlogd_entry_json(b, e);
    p->last_id = e->id;
    return nlogd_out_failed(p->out);
}

void nlogd_rest_entries_get(nlogd_req *req)
{
    static const char *const accepted[] = {"level", "category", "logger", "start_time",
                                           "end_time", "search_query", "limit", "cursor", NULL};
    nlogd_qparams *q = malloc(sizeof *q);
    nlogd_err e;
    nlogd_filter f;
    long limit = NLOGD_LIMIT_DEFAULT;
    const char *v;
    size_t len;
    memset(&f, 0, sizeof f);
    if (!q) {
        nlogd_fail(&e, 503, "internal", "", "out of memory");
        nlogd_reply_error(req, &e);
        return;
    }
    if (nlogd_qp_parse(nlogd_query(req), accepted, q, &e) != 0 ||
        nlogd_qp_filter(q, &f, &e) != 0 ||
        ((v = nlogd_qp_get(q, "limit", &len)) &&
         nlogd_qp_uint("limit", v, len, 1, NLOGD_LIMIT_MAX, &limit, &e) != 0) ||
        ((v = nlogd_qp_get(q, "cursor", &len)) && nlogd_cursor_read("cursor", v, len, &f, &e)) ||
        nlogd_req_restrict(req, &f, &e) != 0) {
        free(q);
        nlogd_reply_error(req, &e);
        return;
    }
    free(q);
    nlogd_out out;
    nlogd_out_init(&out, req, 200, "application/json", NULL, 0);
    page p = {.out = &out};
    int more = 0;
    nlogd_buf_adds(&out.buf, "{\"entries\":[");
    if (nlogd_store_query(req->srv->store, &f, (size_t) limit, add_entry, &p, &more) != NLOG_OK ||
        nlogd_out_failed(&out)) {
        nlogd_fail(&e, 503, "store_unavailable", "", "the store could not be read; retry later");
        nlogd_out_fail(&out, &e, 5);
        nlogd_out_free(&out);
        return;
    }
    nlogd_buf_adds(&out.buf, "],\"next_cursor\":");
    if ((more || p.full) && p.n) {
        char c[NLOGD_CURSOR_LEN + 1];
        nlogd_cursor_make(&f, p.last_id, c);
        nlogd_buf_printf(&out.buf, "\"%s\"", c);
    } else {
        nlogd_buf_adds(&out.buf, "null");
    }
    nlogd_buf_adds(&out.buf, "}\n");
    (void) nlogd_out_finish(&out);
    nlogd_out_free(&out);
}
