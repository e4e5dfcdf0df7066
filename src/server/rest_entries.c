/* rest_entries.c: GET /api/v2/logs/entries.
 *
 * Parameters: level (that level and above), category, logger, start_time,
 * end_time (RFC 3339, inclusive), search_query (search.h), limit (1..1000,
 * default 100), cursor (the next_cursor of the previous page). Newest first.
 * Answer: {"entries": [record, ...], "next_cursor": "..." | null}. */
#include <stdlib.h>
#include <string.h>

#include "server/entry_json.h"
#include "server/http/router.h"
#include "server/qparams.h"

typedef struct page {
    nlogd_buf *out;
    size_t n;
    int64_t last_id;
} page;

static int add_entry(const nlogd_entry *e, void *user)
{
    page *p = user;
    if (p->n++)
        nlogd_buf_addc(p->out, ',');
    nlogd_entry_json(p->out, e);
    p->last_id = e->id;
    return p->out->failed;
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
        ((v = nlogd_qp_get(q, "cursor", &len)) && nlogd_cursor_read("cursor", v, len, &f, &e))) {
        free(q);
        nlogd_reply_error(req, &e);
        return;
    }
    free(q);
    nlogd_buf out;
    nlogd_buf_init(&out, 256u << 20);
    page p = {.out = &out};
    int more = 0;
    nlogd_buf_adds(&out, "{\"entries\":[");
    if (nlogd_store_query(req->srv->store, &f, (size_t) limit, add_entry, &p, &more) != NLOG_OK) {
        nlogd_buf_free(&out);
        nlogd_fail(&e, 503, "store_unavailable", "", "the store could not be read; retry later");
        nlogd_reply_retry(req, &e, 5);
        return;
    }
    nlogd_buf_adds(&out, "],\"next_cursor\":");
    if (more && p.n) {
        char c[NLOGD_CURSOR_LEN + 1];
        nlogd_cursor_make(&f, p.last_id, c);
        nlogd_buf_printf(&out, "\"%s\"", c);
    } else {
        nlogd_buf_adds(&out, "null");
    }
    nlogd_buf_adds(&out, "}\n");
    nlogd_reply_json(req, 200, &out);
    nlogd_buf_free(&out);
}
