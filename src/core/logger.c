/* logger.c: the logging calls (nlog_log, nlog_logf, nlog_logv).
 *
 * A call that passes the inline level check builds an nlog__record view on
 * the stack — time, category, site, ids, and borrowed message and fields —
 * and hands it to the pipeline under the state read lock. printf-style
 * messages are formatted into the thread's scratch buffer, cut at a UTF-8
 * boundary with "…" if they exceed max_record_size.
 * Tested by: tests/unit/core/test_logger.c */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "async/async.h"
#include "core/core.h"
#include "core/logger_impl.h"
#include "core/pipeline.h"
#include "core/scratch.h"
#include "core/state.h"
#include "format/utf8.h"
#include "internal/diag.h"
#include "platform/platform.h"

static int bad_category_reported;

/* The category a call asked for (last NLOG_CATEGORY wins), or application. */
static nlog_category pick_category(const nlog_field *fields, size_t n, const char **ret_name,
                                   nlog_status *st)
{
    nlog_category cat = NLOG_CAT_APPLICATION;
    for (size_t i = 0; i < n; i++) {
        if (fields[i].group == NLOG_GROUP_CATEGORY)
            cat = (nlog_category) fields[i].v.i;
    }
    const char *name = nlog_category_name(cat);
    if (!name) {
        if (!__atomic_exchange_n(&bad_category_reported, 1, __ATOMIC_RELAXED))
            nlog__diag(NLOG_DIAG_INPUT, NLOG_EINVAL, 0, "category",
                       "unknown category id %d (register custom categories with "
                       "nlog_category_register()); records are written as 'application'",
                       (int) cat);
        *st = NLOG_EINVAL;
        cat = NLOG_CAT_APPLICATION;
        name = "application";
    }
    *ret_name = name;
    return cat;
}

/* Delivers one accepted record. Called with the state read lock held. */
static nlog_status deliver(nlog__pipeline *p, nlog_logger *lg, nlog_level level,
                           const nlog_site *site, const char *msg, size_t msg_len,
                           const nlog_field *fields, size_t n_fields, int truncated,
                           int64_t time_ns)
{
    nlog_status st = NLOG_OK;
    if (n_fields > NLOG_FIELDS_MAX) {
        NLOG__COUNT(fields_ignored, n_fields - NLOG_FIELDS_MAX);
        n_fields = NLOG_FIELDS_MAX;
    }
    nlog__record r;
    r.time_ns = time_ns ? time_ns : nlog__clock_realtime_ns();
    r.level = level;
    nlog_category cat = pick_category(fields, n_fields, &r.category, &st);
    r.logger = lg->name;
    r.logger_len = lg->name_len;
    r.message = msg;
    r.message_len = msg_len;
    r.file = site ? site->file : NULL;
    r.function = site ? site->function : NULL;
    r.line = site ? site->line : 0;
    r.fields = fields;
    r.n_fields = n_fields;
    r.pid = nlog__process_id();
    r.tid = nlog__thread_id();
    NLOG__COUNT(records[nlog_level_index(level)], 1);
    int cut = 0;
    nlog_status est = nlog__pipeline_emit(p, &r, cat, &cut);
    if (cut || truncated)
        NLOG__COUNT(records_truncated, 1);
    return est != NLOG_OK ? est : st;
}

/* Asynchronous delivery: no lock, no system call, no allocation. */
static nlog_status queue(nlog_logger *lg, nlog_level level, const nlog_site *site,
                         const char *msg, size_t msg_len, const nlog_field *fields,
                         size_t n_fields, int truncated, int64_t time_ns)
{
    nlog_status st = NLOG_OK;
    if (NLOG_UNLIKELY(n_fields > NLOG_FIELDS_MAX)) {
        NLOG__COUNT(fields_ignored, n_fields - NLOG_FIELDS_MAX);
        n_fields = NLOG_FIELDS_MAX;
    }
    const char *cat_name;
    nlog__qcall c;
    c.category = pick_category(fields, n_fields, &cat_name, &st);
    c.logger = lg;
    c.level = level;
    c.time_ns = time_ns ? time_ns : nlog__clock_realtime_ns();
    c.tid = nlog__thread_id();
    c.site = site;
    c.msg = msg;
    c.msg_len = msg_len;
    c.fields = fields;
    c.n_fields = n_fields;
    c.truncated = truncated;
    nlog_status qst = nlog__async_submit(&c);
    return qst != NLOG_OK ? qst : st;
}

/* Level validation and filtering shared by every entry point. Returns 1 if
 * the record should be written. */
static int admit(nlog_logger *lg, nlog_level level, nlog_status *st)
{
    if (!lg || nlog_level_index(level) < 0) {
        *st = NLOG_EINVAL;
        return 0;
    }
    *st = NLOG_OK;
    if (nlog_is_enabled(lg, level))
        return 1;
    if (level >= NLOG_LEVEL_SECURITY)
        NLOG__COUNT(disabled, 1);
    return 0;
}

nlog_status nlog_log(nlog_logger *lg, nlog_level level, const nlog_site *site,
                     const char *message, const nlog_field *fields, size_t n_fields)
{
    return nlog__log_at(lg, level, site, message, fields, n_fields, 0);
}

nlog_status nlog__log_at(nlog_logger *lg, nlog_level level, const nlog_site *site,
                         const char *message, const nlog_field *fields, size_t n_fields,
                         int64_t time_ns)
{
    nlog_status st;
    if (!admit(lg, level, &st))
        return st;
    if (!message)
        message = "";
    if (!fields)
        n_fields = 0;
    if (nlog__async_on())
        return queue(lg, level, site, message, strlen(message), fields, n_fields, 0, time_ns);
    nlog__pipeline *p = nlog__state_read_begin();
    if (!p) {
        nlog__state_read_end();
        return NLOG_ESTATE;
    }
    st = deliver(p, lg, level, site, message, strlen(message), fields, n_fields, 0, time_ns);
    nlog__state_read_end();
    return st;
}

nlog_status nlog_logv(nlog_logger *lg, nlog_level level, const nlog_site *site, const char *fmt,
                      va_list ap)
{
    nlog_status st;
    if (!admit(lg, level, &st))
        return st;
    int async = nlog__async_on();
    nlog__pipeline *p = NULL;
    size_t cap = nlog__record_cap();
    if (!async) {
        p = nlog__state_read_begin();
        if (!p) {
            nlog__state_read_end();
            return NLOG_ESTATE;
        }
        cap = nlog__pipeline_record_cap(p);
    }
    nlog__scratch *sc = nlog__scratch_get(cap);
    if (!sc) {
        if (!async)
            nlog__state_read_end();
        return NLOG_ENOMEM;
    }
    int n = fmt ? vsnprintf(sc->msg, cap, fmt, ap) : snprintf(sc->msg, cap, "(null format)");
    size_t len;
    int truncated = 0;
    if (n < 0) {
        len = (size_t) snprintf(sc->msg, cap, "(invalid format string)");
    } else if ((size_t) n >= cap) {
        /* Cut at a character boundary and mark the cut with U+2026. */
        len = nlog__utf8_cut(sc->msg, cap - 1, cap - 4);
        memcpy(sc->msg + len, "\xE2\x80\xA6", 3);
        len += 3;
        sc->msg[len] = '\0';
        truncated = 1;
    } else {
        len = (size_t) n;
    }
    if (async)
        return queue(lg, level, site, sc->msg, len, NULL, 0, truncated, 0);
    st = deliver(p, lg, level, site, sc->msg, len, NULL, 0, truncated, 0);
    nlog__state_read_end();
    return st;
}

nlog_status nlog_logf(nlog_logger *lg, nlog_level level, const nlog_site *site, const char *fmt,
                      ...)
{
    va_list ap;
    va_start(ap, fmt);
    nlog_status st = nlog_logv(lg, level, site, fmt, ap);
    va_end(ap);
    return st;
}
