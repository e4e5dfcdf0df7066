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
#include "async/fast.h"
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
    r.flags = 0; /* the caller's strings: borrowed, not cacheable */
    NLOG__COUNT(records[nlog_level_index(level)], 1);
    int cut = 0;
    nlog_status est = nlog__pipeline_emit(p, &r, cat, &cut);
    if (cut || truncated)
        NLOG__COUNT(records_truncated, 1);
    return est != NLOG_OK ? est : st;
}

/* Dense level index + 1 by level number; 0 for numbers that are no level.
 * A table, because the call path cannot afford nlog_level_index()'s call. */
static const unsigned char level_index1[NLOG_LEVEL_AUDIT + 1] = {
    [NLOG_LEVEL_TRACE] = 1,    [NLOG_LEVEL_DEBUG] = 2,    [NLOG_LEVEL_INFO] = 3,
    [NLOG_LEVEL_WARNING] = 4,  [NLOG_LEVEL_ERROR] = 5,    [NLOG_LEVEL_CRITICAL] = 6,
    [NLOG_LEVEL_SECURITY] = 7, [NLOG_LEVEL_AUDIT] = 8,
};

static inline int index_of(nlog_level level)
{
    return (unsigned) level <= NLOG_LEVEL_AUDIT ? (int) level_index1[level] - 1 : -1;
}

/* Asynchronous delivery, general path: no lock, no system call, no
 * allocation (see async.h for the exceptions). `time_ns` 0: now. */
static nlog_status queue(nlog_logger *lg, int li, const nlog_site *site, const char *msg,
                         size_t msg_len, const nlog_field *fields, size_t n_fields, int truncated,
                         int64_t time_ns)
{
    nlog_status st = NLOG_OK;
    if (NLOG_UNLIKELY(n_fields > NLOG_FIELDS_MAX)) {
        NLOG__COUNT(fields_ignored, n_fields - NLOG_FIELDS_MAX);
        n_fields = NLOG_FIELDS_MAX;
    }
    const char *cat_name;
    (void) pick_category(fields, n_fields, &cat_name, &st); /* reports unknown ids */
    nlog__qcall c;
    c.logger = lg;
    c.level_index = li;
    if (time_ns) { /* the event's own time (security events) */
        c.time = time_ns;
        c.time_flags = 0;
    } else if (__atomic_load_n(&nlog__tsc_on, __ATOMIC_RELAXED)) {
        c.time = (int64_t) nlog__tsc_read();
        c.time_flags = NLOG__QF_TSC;
    } else {
        c.time = nlog__clock_realtime_ns();
        c.time_flags = 0;
    }
    c.site = site;
    c.msg = msg;
    c.msg_len = msg_len;
    c.fields = fields;
    c.n_fields = n_fields;
    c.truncated = truncated;
    nlog_status qst = nlog__async_submit(&c);
    return qst != NLOG_OK ? qst : st;
}

/* Level validation and filtering shared by every entry point. Returns the
 * level's dense index if the record should be written, else -1. */
static inline int admit(nlog_logger *lg, nlog_level level, nlog_status *st)
{
    int li = index_of(level);
    if (NLOG_UNLIKELY(!lg || li < 0)) {
        *st = NLOG_EINVAL;
        return -1;
    }
    *st = NLOG_OK;
    if (NLOG_LIKELY(nlog_is_enabled(lg, level)))
        return li;
    if (level >= NLOG_LEVEL_SECURITY)
        NLOG__COUNT(disabled, 1);
    return -1;
}

/* Delivers a call that passed the level check: the common tail of
 * nlog__log_at() and nlog__log_admitted(). `trust` (NLOG__TRUST_*) says
 * which strings the macros proved to be literals of the main program;
 * `time_ns` is the record's time, 0 for now. */
static inline __attribute__((always_inline)) nlog_status
dispatch(nlog_logger *lg, int li, unsigned trust, const nlog_site *site, const char *message,
         const nlog_field *fields, size_t n_fields, int64_t time_ns)
{
    if (NLOG_LIKELY(nlog__async_on())) {
        if (NLOG_LIKELY(site && n_fields <= NLOG_FIELDS_MAX && !time_ns)) {
            nlog_status st =
                nlog__async_try_static(lg, li, trust, site, message, fields, n_fields);
            if (NLOG_LIKELY(st != NLOG__ASYNC_AGAIN))
                return st;
        }
        return queue(lg, li, site, message, strlen(message), fields, n_fields, 0, time_ns);
    }
    nlog__pipeline *p = nlog__state_read_begin();
    if (!p) {
        nlog__state_read_end();
        return NLOG_ESTATE;
    }
    nlog_status st = deliver(p, lg, nlog_level_from_index(li), site, message, strlen(message),
                             fields, n_fields, 0, time_ns);
    nlog__state_read_end();
    return st;
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
    int li = admit(lg, level, &st);
    if (li < 0)
        return st;
    return dispatch(lg, li, 0, site, message ? message : "", fields, fields ? n_fields : 0,
                    time_ns);
}

/* Everything but the fast case of nlog__log_admitted(), out of line so that
 * the fast case keeps no values across calls (and saves no registers). */
static __attribute__((noinline)) nlog_status admitted_slow(nlog_logger *lg, int li,
                                                          const nlog_site *site,
                                                          const char *message,
                                                          const nlog_field *fields,
                                                          size_t n_fields)
{
    return dispatch(lg, li, 0, site, message ? message : "", fields, n_fields, 0);
}

nlog_status nlog__log_admitted(nlog_logger *lg, int level_index, const nlog_site *site,
                               const char *message, const nlog_field *fields, size_t n_fields)
{
    int li = level_index & 0xFF;
    if (NLOG_LIKELY(nlog__async_on() && message && n_fields <= NLOG_FIELDS_MAX)) {
        /* The macros' hints hold for the main program only: a shared
         * library's literals go away with dlclose(). The call site is where
         * this function returns to. */
        unsigned trust = 0;
        if (nlog__is_main_code(__builtin_return_address(0)))
            trust = NLOG__TRUST_SITE | NLOG__TRUST_FIELDS |
                    ((level_index & NLOG__HINT_MSG) ? NLOG__TRUST_MSG : 0);
        nlog_status st = nlog__async_try_static(lg, li, trust, site, message, fields, n_fields);
        if (NLOG_LIKELY(st != NLOG__ASYNC_AGAIN))
            return st;
    }
    return admitted_slow(lg, li, site, message, fields, n_fields);
}

nlog_status nlog_logv(nlog_logger *lg, nlog_level level, const nlog_site *site, const char *fmt,
                      va_list ap)
{
    nlog_status st;
    int li = admit(lg, level, &st);
    if (li < 0)
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
        return queue(lg, li, site, sc->msg, len, NULL, 0, truncated, 0);
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
