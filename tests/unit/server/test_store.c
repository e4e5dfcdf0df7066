/* test_store.c: the SQLite store behind store.h (src/server/store_sqlite.c):
 * append with batch-id dedupe, ordering and filters, cursors, search over
 * indexed and not-yet-indexed rows (the same answers), retention, counts,
 * and persistence across reopening. */
#include "testutil.h"

#include "server/store.h"

#define T0 1764547200000000000LL /* 2025-12-01T00:00:00Z */

static nlogd_store *open_store(const char *name)
{
    char why[256];
    nlogd_store *s = NULL;
    const char *dir = tu_scratch(name);
    if (nlogd_store_open(tu_path(dir, "t.db"), &s, why, sizeof why) != NLOG_OK)
        fail_msg("open: %s", why);
    return s;
}

static nlogd_record mk(int64_t t, int level, const char *cat, const char *lg, const char *msg)
{
    nlogd_record r;
    memset(&r, 0, sizeof r);
    r.ts_ns = t;
    r.level = level;
    r.category = cat;
    r.logger = lg;
    r.message = msg;
    r.message_len = strlen(msg);
    r.line = r.pid = r.tid = -1;
    return r;
}

static void append(nlogd_store *s, nlogd_record *recs, size_t n, const char *id)
{
    nlogd_batch b;
    memset(&b, 0, sizeof b);
    b.recs = recs;
    b.n = n;
    if (id)
        snprintf(b.batch_id, sizeof b.batch_id, "%s", id);
    nlogd_batch *bs[1] = {&b};
    assert_int_equal(nlogd_store_append(s, bs, 1), NLOG_OK);
    assert_int_equal(b.status, NLOG_OK);
}

typedef struct got {
    char msgs[2000][64];
    int64_t ids[2000];
    size_t n;
} got;

static int collect(const nlogd_entry *e, void *user)
{
    got *g = user;
    if (g->n < 2000) {
        snprintf(g->msgs[g->n], sizeof g->msgs[0], "%.*s", (int) e->message_len, e->message);
        g->ids[g->n] = e->id;
    }
    g->n++;
    return 0;
}

static size_t query(nlogd_store *s, const nlogd_filter *f, size_t limit, got *g, int *more)
{
    int m = 0;
    g->n = 0;
    assert_int_equal(nlogd_store_query(s, f, limit, collect, g, &m), NLOG_OK);
    if (more)
        *more = m;
    return g->n;
}

static void fill(nlogd_store *s)
{
    static const int levels[] = {NLOG_LEVEL_DEBUG, NLOG_LEVEL_INFO, NLOG_LEVEL_ERROR,
                                 NLOG_LEVEL_SECURITY};
    static char msgs[400][64];
    nlogd_record recs[400];
    for (int i = 0; i < 400; i++) {
        snprintf(msgs[i], sizeof msgs[i], "msg %d %s", i, i % 5 == 0 ? "database timeout" : "ok");
        recs[i] = mk(T0 + (int64_t) i * 1000000000LL, levels[i % 4], i % 2 ? "api" : "database",
                     i % 3 ? "svc.a" : "svc.b", msgs[i]);
    }
    append(s, recs, 400, NULL);
}

static void test_order_filters_cursor(void **state)
{
    (void) state;
    nlogd_store *s = open_store("store_order");
    fill(s);
    static got g;
    nlogd_filter f;
    memset(&f, 0, sizeof f);
    int more;
    assert_int_equal(query(s, &f, 3, &g, &more), 3);
    assert_true(more);
    assert_string_equal(g.msgs[0], "msg 399 ok");
    assert_true(g.ids[0] > g.ids[1] && g.ids[1] > g.ids[2]);
    f.min_level = NLOG_LEVEL_ERROR;
    assert_int_equal(query(s, &f, 0, &g, &more), 200);
    for (size_t i = 1; i < g.n; i++)
        assert_true(g.ids[i - 1] > g.ids[i]); /* the per-level streams merge in order */
    f.min_level = NLOG_LEVEL_INFO;
    snprintf(f.category, sizeof f.category, "database");
    assert_int_equal(query(s, &f, 0, &g, NULL), 100); /* i even & level >= INFO: i%4==2 */
    snprintf(f.logger, sizeof f.logger, "svc.b");
    size_t both = query(s, &f, 0, &g, NULL);
    assert_true(both > 0 && both < 100);
    memset(&f, 0, sizeof f);
    snprintf(f.category, sizeof f.category, "nosuch");
    assert_int_equal(query(s, &f, 0, &g, NULL), 0);
    memset(&f, 0, sizeof f);
    f.has_start = f.has_end = 1;
    f.start_ns = T0 + 10 * 1000000000LL;
    f.end_ns = T0 + 19 * 1000000000LL;
    assert_int_equal(query(s, &f, 0, &g, NULL), 10);
    /* pages by cursor, both directions, cover everything once */
    for (int asc = 0; asc < 2; asc++) {
        memset(&f, 0, sizeof f);
        f.ascending = asc;
        size_t total = 0;
        int64_t prev = 0;
        do {
            query(s, &f, 37, &g, &more);
            for (size_t i = 0; i < g.n; i++) {
                if (total + i)
                    assert_true(asc ? g.ids[i] > prev : g.ids[i] < prev);
                prev = g.ids[i];
            }
            total += g.n;
            f.has_cursor = 1;
            f.cursor_id = prev;
        } while (more);
        assert_int_equal(total, 400);
    }
    nlogd_store_close(s);
}

static void test_search_indexed_and_pending(void **state)
{
    (void) state;
    nlogd_store *s = open_store("store_search");
    fill(s);
    static got before, after;
    nlogd_filter f;
    memset(&f, 0, sizeof f);
    snprintf(f.search, sizeof f.search, "DATABASE time*");
    assert_true(nlogd_store_fts_lag(s) == 400);
    assert_int_equal(query(s, &f, 0, &before, NULL), 80);
    int more = 1;
    while (more)
        assert_int_equal(nlogd_store_maintain(s, 0, &more), NLOG_OK);
    assert_int_equal(nlogd_store_fts_lag(s), 0);
    assert_int_equal(query(s, &f, 0, &after, NULL), 80);
    assert_memory_equal(before.ids, after.ids, 80 * sizeof(int64_t));
    f.min_level = NLOG_LEVEL_ERROR;
    assert_int_equal(query(s, &f, 0, &after, NULL), 40);
    /* half indexed, half pending: still the same answer */
    static char m[64];
    snprintf(m, sizeof m, "late database timeout");
    nlogd_record r = mk(T0 + 500 * 1000000000LL, NLOG_LEVEL_ERROR, "api", "svc.a", m);
    append(s, &r, 1, NULL);
    assert_int_equal(query(s, &f, 0, &after, NULL), 41);
    assert_string_equal(after.msgs[0], "late database timeout");
    nlogd_store_close(s);
}

static void test_dedupe_counts_retention(void **state)
{
    (void) state;
    nlogd_store *s = open_store("store_dedupe");
    nlogd_record recs[3] = {mk(T0, NLOG_LEVEL_INFO, "api", "a", "one"),
                            mk(T0, NLOG_LEVEL_INFO, "api", "a", "two"), /* same microsecond */
                            mk(T0 - 86400LL * 1000000000LL * 40, NLOG_LEVEL_AUDIT, "audit", "b",
                               "old")};
    nlogd_batch b1, b2;
    memset(&b1, 0, sizeof b1);
    memset(&b2, 0, sizeof b2);
    b1.recs = b2.recs = recs;
    b1.n = b2.n = 3;
    snprintf(b1.batch_id, sizeof b1.batch_id, "abc");
    snprintf(b2.batch_id, sizeof b2.batch_id, "abc");
    nlogd_batch *bs[2] = {&b1, &b2};
    assert_int_equal(nlogd_store_append(s, bs, 2), NLOG_OK);
    assert_false(b1.duplicate);
    assert_true(b2.duplicate);
    assert_int_equal(b2.orig_accepted, 3);
    nlogd_store_stats st;
    assert_int_equal(nlogd_store_stats_get(s, T0, &st), NLOG_OK);
    assert_int_equal(st.total, 3);
    assert_int_equal(st.by_level[nlog_level_index(NLOG_LEVEL_INFO)], 2);
    assert_int_equal(st.n_categories, 2);
    assert_string_equal(st.categories[0].name, "api");
    assert_int_equal(st.categories[0].n, 2);
    assert_int_equal(st.oldest_ns, recs[2].ts_ns);
    assert_int_equal(st.newest_ns, T0);
    nlogd_store_stats_free(&st);
    /* retention: older than 30 days before T0 */
    int more = 1;
    while (more)
        assert_int_equal(nlogd_store_maintain(s, T0 - 86400LL * 1000000000LL * 30, &more),
                         NLOG_OK);
    assert_int_equal(nlogd_store_stats_get(s, T0, &st), NLOG_OK);
    assert_int_equal(st.total, 2);
    assert_int_equal(st.by_level[nlog_level_index(NLOG_LEVEL_AUDIT)], 0);
    nlogd_store_stats_free(&st);
    nlogd_store_close(s);
    /* reopened: the data, the dedupe table and the counts persist */
    char why[256];
    assert_int_equal(nlogd_store_open(tu_path(tu_scratch("store_dedupe_again"), "x"), &s, why,
                                      sizeof why), NLOG_OK);
    nlogd_store_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_filters_cursor),
        cmocka_unit_test(test_search_indexed_and_pending),
        cmocka_unit_test(test_dedupe_counts_retention),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
