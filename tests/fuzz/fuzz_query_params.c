/* fuzz_query_params.c: libFuzzer target for nlogd's parameter parsers
 * (src/server/qparams.c, timeparse.c, search.c): the query string of the
 * GET endpoints and the body of POST /api/v2/logs/export.
 *
 * The input's first byte picks the parser; the rest is the input.
 * Properties checked:
 *   - no crash, leak or hang;
 *   - a rejection is a 4xx with a code and a message (bad input is never a 5xx);
 *   - an accepted filter is coherent: a known level or none, start <= end,
 *     a search query that compiles to 1..16 words, and a cursor it makes is
 *     read back to the same id under the same filter;
 *   - accepted time bounds go through the arithmetic that uses them without
 *     overflow: the store's time-ordered ids (microseconds * 1024 + 1023,
 *     store.h) and the metric buckets (perf_buckets.h) — UBSan and the
 *     explicit checks below catch any accepted time outside what they hold;
 *   - an accepted time formats back to a time the parser accepts again with
 *     the same value (microseconds kept).
 * Corpus: tests/fuzz/corpus/query_params/ (replayed as fuzz_query_params_replay). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <nlog/format.h>
#include <nlog/level.h>

#include "server/perf_buckets.h"
#include "server/qparams.h"
#include "server/search.h"
#include "server/timeparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_err(const nlogd_err *e)
{
    if (e->status < 400 || e->status > 499 || !e->code[0] || !e->message[0])
        abort();
}

/* The store's id range for a bound (store_sqlite.c id_floor/id_ceil):
 * floor(ns / 1000) * 1024, + 1023 for an upper bound. */
static void check_id(int64_t ns)
{
    int64_t us = ns / 1000 - (ns % 1000 < 0), id;
    if (__builtin_mul_overflow(us, (int64_t) 1024, &id) ||
        __builtin_add_overflow(id, (int64_t) 1023, &id))
        abort();
    if (ns < NLOGD_TIME_MIN_NS || ns > NLOGD_TIME_MAX_NS)
        abort();
}

/* The metric buckets over [t0, t1] (as rest_perf.c computes them). */
static void check_buckets(int64_t t0, int64_t t1)
{
    static const size_t points[] = {1, 2, 1000, 10000};
    for (size_t i = 0; i < sizeof points / sizeof points[0]; i++) {
        double w = nlogd_bucket_width(t0, t1, points[i]);
        if (!(w > 0))
            abort();
        int64_t first = nlogd_bucket_mid(t0, t1, w, 0);
        int64_t last = nlogd_bucket_mid(t0, t1, w, points[i] - 1);
        if (first < t0 || last > t1 || first > last)
            abort();
        (void) nlogd_bucket_before_end(t0, w, points[i] - 1, t1);
    }
}

static void check_filter(const nlogd_filter *f)
{
    if (f->min_level && nlog_level_index((nlog_level) f->min_level) < 0)
        abort();
    if (f->has_start && f->has_end && f->start_ns > f->end_ns)
        abort();
    if (f->has_start)
        check_id(f->start_ns);
    if (f->has_end)
        check_id(f->end_ns);
    /* performance metrics default a missing bound: end now, start an hour before */
    int64_t t1 = f->has_end ? f->end_ns : 1700000000000000000LL;
    int64_t t0 = f->has_start ? f->start_ns : t1 - 3600LL * 1000000000LL;
    if (t0 <= t1)
        check_buckets(t0, t1);
    if (f->search[0]) {
        nlogd_search s;
        char why[128];
        if (nlogd_search_compile(f->search, strlen(f->search), &s, why, sizeof why) != 0 ||
            s.n == 0 || s.n > NLOGD_SEARCH_WORDS_MAX)
            abort();
        char fts[2048];
        nlogd_search_fts(&s, fts, sizeof fts);
        if (!fts[0])
            abort();
    }
    char c[NLOGD_CURSOR_LEN + 1];
    nlogd_filter g = *f;
    nlogd_err e;
    nlogd_cursor_make(f, 123456789, c);
    if (nlogd_cursor_read("cursor", c, strlen(c), &g, &e) != 0 || g.cursor_id != 123456789)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const accepted[] = {"level", "category", "logger", "start_time",
                                           "end_time", "search_query", "limit", "cursor", NULL};
    if (size == 0)
        return 0;
    int which = data[0] % 3;
    const char *in = (const char *) data + 1;
    size_t n = size - 1;
    nlogd_err e;
    nlogd_filter f;
    memset(&f, 0, sizeof f);
    if (which == 0) {
        char *qs = malloc(n + 1);
        nlogd_qparams *q = malloc(sizeof *q);
        if (!qs || !q)
            abort();
        memcpy(qs, in, n);
        qs[n] = '\0';
        if (nlogd_qp_parse(qs, accepted, q, &e) != 0 || nlogd_qp_filter(q, &f, &e) != 0) {
            check_err(&e);
        } else {
            const char *v;
            size_t len;
            long limit;
            if ((v = nlogd_qp_get(q, "limit", &len)) &&
                nlogd_qp_uint("limit", v, len, 1, 1000, &limit, &e) == 0 &&
                (limit < 1 || limit > 1000))
                abort();
            if ((v = nlogd_qp_get(q, "cursor", &len)) && nlogd_cursor_read("cursor", v, len, &f, &e))
                check_err(&e);
            check_filter(&f);
        }
        free(q);
        free(qs);
    } else if (which == 1) {
        nlogd_export_format fmt;
        if (nlogd_export_parse(in, n, &f, &fmt, &e) != 0)
            check_err(&e);
        else if ((int) fmt < 0 || fmt > NLOGD_EXPORT_TXT)
            abort();
        else
            check_filter(&f);
    } else {
        int64_t t, t2;
        char why[128];
        if (nlogd_time_parse(in, n, &t, why, sizeof why) == 0) {
            char s[NLOG_FORMAT_RFC3339_SIZE];
            nlog_format_rfc3339(t, s);
            if (nlogd_time_parse(s, strlen(s), &t2, why, sizeof why) != 0 ||
                t2 != t - (t % 1000 + 1000) % 1000)
                abort();
        } else if (!why[0]) {
            abort();
        }
    }
    return 0;
}
