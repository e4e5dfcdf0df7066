/* public.c: the public face of the encoders (include/nlog/format.h), for
 * programs that render records they did not log, such as nlogd's export.
 * Tested by: tests/unit/format/test_format_public.c */
#include <string.h>

#include <nlog/format.h>

#include "core/record.h"
#include "format/json.h"
#include "format/text.h"
#include "format/timefmt.h"

static void to_record(const nlog_record_view *v, nlog__record *r)
{
    memset(r, 0, sizeof *r);
    r->time_ns = v->time_ns;
    r->level = v->level;
    r->category = v->category ? v->category : "application";
    r->logger = v->logger ? v->logger : "root";
    r->logger_len = v->logger ? v->logger_len : 4;
    r->message = v->message ? v->message : "";
    r->message_len = v->message ? v->message_len : 0;
    r->file = v->file;
    r->function = v->function;
    r->line = v->line;
    r->fields = v->fields;
    r->n_fields = v->fields ? v->n_fields : 0;
    r->pid = v->pid;
    r->tid = v->tid;
}

size_t nlog_format_console(const nlog_record_view *v, unsigned flags, char *out, size_t cap,
                           int *ret_truncated)
{
    int t = 1;
    size_t n = 0;
    if (v && out && cap >= NLOG_FORMAT_MIN_CAP) {
        nlog__record r;
        nlog__text_opts o = {
            .colors = (flags & NLOG_FORMAT_COLORS) != 0,
            .utc = (flags & NLOG_FORMAT_UTC) != 0,
            .fields = (flags & NLOG_FORMAT_FIELDS) != 0,
            .caller = (flags & NLOG_FORMAT_CALLER) != 0,
        };
        to_record(v, &r);
        n = nlog__text_encode(&r, &o, out, cap, &t);
    }
    if (ret_truncated)
        *ret_truncated = t;
    return n;
}

size_t nlog_format_json(const nlog_record_view *v, char *out, size_t cap, int *ret_truncated)
{
    int t = 1;
    size_t n = 0;
    if (v && out && cap >= NLOG_FORMAT_MIN_CAP) {
        nlog__record r;
        to_record(v, &r);
        n = nlog__json_encode(&r, out, cap, &t);
    }
    if (ret_truncated)
        *ret_truncated = t;
    return n;
}

void nlog_format_rfc3339(int64_t time_ns, char out[NLOG_FORMAT_RFC3339_SIZE])
{
    nlog__fmt_rfc3339(time_ns, out);
    out[NLOG__RFC3339_LEN] = '\0';
}
