/* entry_json.c: see entry_json.h. */
#include <string.h>

#include <nlog/level.h>

#include "server/entry_json.h"

static void group(nlogd_buf *b, const char *name, const char *json)
{
    if (!json || !json[0])
        return;
    nlogd_buf_printf(b, ",\"%s\":", name);
    nlogd_buf_adds(b, json);
}

int nlogd_entry_json(nlogd_buf *b, const nlogd_entry *e)
{
    const char *lv = nlog_level_name((nlog_level) e->level);
    nlogd_buf_adds(b, "{\"timestamp\":");
    nlogd_buf_json_time(b, e->ts_ns);
    nlogd_buf_printf(b, ",\"level\":\"%s\",\"category\":", lv ? lv : "UNKNOWN");
    nlogd_buf_json_str(b, e->category, strlen(e->category));
    nlogd_buf_adds(b, ",\"message\":");
    nlogd_buf_json_str(b, e->message, e->message_len);
    nlogd_buf_adds(b, ",\"module\":");
    nlogd_buf_json_str(b, e->logger, strlen(e->logger));
    nlogd_buf_adds(b, ",\"function\":");
    if (e->function)
        nlogd_buf_json_str(b, e->function, strlen(e->function));
    else
        nlogd_buf_adds(b, "null");
    if (e->line >= 0)
        nlogd_buf_printf(b, ",\"line\":%lld", (long long) e->line);
    else
        nlogd_buf_adds(b, ",\"line\":null");
    group(b, "context", e->context);
    group(b, "metadata", e->metadata);
    group(b, "performance_data", e->perf);
    if (e->pid >= 0)
        nlogd_buf_printf(b, ",\"process_id\":%lld", (long long) e->pid);
    if (e->tid >= 0)
        nlogd_buf_printf(b, ",\"thread_id\":%lld", (long long) e->tid);
    if (e->extra && e->extra[0] == '{') {
        size_t n = strlen(e->extra);
        if (n > 2) {
            nlogd_buf_addc(b, ',');
            nlogd_buf_add(b, e->extra + 1, n - 2);
        }
    }
    return nlogd_buf_addc(b, '}');
}
