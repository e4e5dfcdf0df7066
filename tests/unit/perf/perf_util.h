/* perf_util.h: helpers shared by the tests of src/perf (header-only, so
 * every test stays one executable). */
#ifndef NLOG_TEST_PERF_UTIL_H
#define NLOG_TEST_PERF_UTIL_H

#include <string.h>

#include "testutil.h"

/* 2026-01-01T00:00:00Z: windows and rollups align to whole minutes. */
#define PU_T0 (INT64_C(1767225600) * 1000000000)
#define PU_MONO0 (INT64_C(500) * 1000000000)
#define PU_MS (INT64_C(1000000))
#define PU_S (INT64_C(1000000000))
#define PU_MIN (60 * PU_S)

/* Starts the library with files in dir (NULL: none), every sample a record
 * at INFO, and fake clocks at PU_T0. */
static inline void pu_start(const char *dir, nlog_config *cfg)
{
    nlog_config c;
    if (!cfg) {
        tu_config(&c, dir);
        cfg = &c;
    }
    tu_clock_fake(PU_T0, PU_MONO0);
    if (nlog_init(cfg) != NLOG_OK)
        fail_msg("nlog_init: %s", nlog_errmsg());
}

/* The JSON records of `dir`/netlink.log whose category is `category`
 * (NULL: all); returns how many, objects in out[] (caller puts them). */
static inline size_t pu_records(const char *dir, const char *category, json_object **out,
                                size_t max)
{
    assert_int_equal(nlog_flush(), NLOG_OK);
    size_t len;
    char *text = tu_read_file(tu_path(dir, "netlink.log"), &len);
    if (!text)
        return 0;
    char **lines;
    size_t n = tu_split_lines(text, len, &lines), k = 0;
    for (size_t i = 0; i < n; i++) {
        json_object *o = tu_parse_json(lines[i]);
        json_object *c;
        if (category && (!json_object_object_get_ex(o, "category", &c) ||
                         strcmp(json_object_get_string(c), category) != 0)) {
            json_object_put(o);
            continue;
        }
        if (k < max)
            out[k++] = o;
        else
            json_object_put(o);
    }
    free(lines);
    free(text);
    return k;
}

static inline void pu_put_all(json_object **o, size_t n)
{
    for (size_t i = 0; i < n; i++)
        json_object_put(o[i]);
}

/* o[path...] as a string ("a.b.c"), or NULL. */
static inline json_object *pu_get(json_object *o, const char *path)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    char *save = NULL;
    for (char *p = strtok_r(buf, ".", &save); p && o; p = strtok_r(NULL, ".", &save)) {
        json_object *next = NULL;
        if (!json_object_object_get_ex(o, p, &next))
            return NULL;
        o = next;
    }
    return o;
}

static inline const char *pu_str(json_object *o, const char *path)
{
    json_object *v = pu_get(o, path);
    return v ? json_object_get_string(v) : NULL;
}

static inline double pu_num(json_object *o, const char *path)
{
    json_object *v = pu_get(o, path);
    if (!v)
        fail_msg("no member %s in %s", path, json_object_to_json_string(o));
    return json_object_get_double(v);
}

static inline nlog_perf_summary pu_summary(const char *metric, const nlog_tag *tags, size_t n,
                                           int64_t window_ns, nlog_perf_trend *trend)
{
    nlog_perf_query q;
    nlog_perf_query_init(&q);
    q.metric = metric;
    q.tags = tags;
    q.n_tags = n;
    q.window_ns = window_ns;
    nlog_perf_summary s;
    nlog_status st = nlog_perf_query_run(&q, &s, trend);
    if (st != NLOG_OK)
        fail_msg("query %s: %s (%s)", metric, nlog_status_str(st), nlog_errmsg());
    return s;
}

static inline nlog_perf_counters pu_counters(void)
{
    nlog_perf_counters c;
    memset(&c, 0, sizeof c);
    c.struct_size = sizeof c;
    assert_int_equal(nlog_perf_stats(&c), NLOG_OK);
    return c;
}

#endif /* NLOG_TEST_PERF_UTIL_H */
